/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A device's PCI capabilities, read from its config space (the sysfs
 * config file): whether it is PCIe (a PCI Express capability in the
 * list at 0x34), and its ATS, PRI and PASID extended capabilities (the
 * list at 0x100, which only PCIe devices have).
 */
#include <string.h>

#include "linux/linux.h"

static uint16_t cfg16(const uint8_t *c, size_t off)
{
	return (uint16_t)(c[off] | c[off + 1] << 8);
}

static uint32_t cfg32(const uint8_t *c, size_t off)
{
	return (uint32_t)c[off] | (uint32_t)c[off + 1] << 8 | (uint32_t)c[off + 2] << 16 |
	       (uint32_t)c[off + 3] << 24;
}

#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CAP_PTR 0x34
#define PCI_CAP_ID_EXP 0x10
#define PCI_EXT_ATS 0x000f
#define PCI_EXT_PRI 0x0013
#define PCI_EXT_PASID 0x001b

/* Whether the conventional capability list holds the PCI Express capability. */
static bool is_pcie(const uint8_t *cfg, size_t len)
{
	unsigned int guard = 0;
	size_t off;

	if (!(cfg16(cfg, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return false;
	off = cfg[PCI_CAP_PTR] & ~3u;
	/* 48 capabilities at most fit in 192 bytes: a longer list loops */
	while (off >= 0x40 && off + 2 <= IOASID_MIN(len, (size_t)256) && guard++ < 48) {
		if (cfg[off] == PCI_CAP_ID_EXP)
			return true;
		off = cfg[off + 1] & ~3u;
	}
	return false;
}

void ku_pci_parse_config(const uint8_t *cfg, size_t len, struct ku_pci_feats *out)
{
	unsigned int guard = 0;
	size_t off;

	memset(out, 0, sizeof(*out));
	if (len < 64)
		return;
	if (!is_pcie(cfg, len)) {
		/* conventional PCI: no extended capabilities at all */
		out->known = true;
		return;
	}
	if (len < 4096)
		return; /* the extended space was not readable: unknown */
	out->known = true;
	off = 0x100;
	while (off >= 0x100 && off + 4 <= len && guard++ < 960) {
		uint32_t h = cfg32(cfg, off);

		if (!h || h == 0xffffffffu)
			break;
		switch (h & 0xffff) {
		case PCI_EXT_ATS:
			out->ats = true;
			break;
		case PCI_EXT_PRI:
			out->pri = true;
			break;
		case PCI_EXT_PASID:
			out->pasid = true;
			break;
		}
		off = (h >> 20) & ~3u;
	}
}
