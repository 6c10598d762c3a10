/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the kernel backends read, without a kernel: the reserved_regions
 * parser, device names, the PCI capability walk, hw_info -> capability
 * chain (checked against the sim's qemu-vtd profile, which models the
 * same hardware) and VFIO_IOMMU_GET_INFO's capability chain.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"

#include "backend/vfio/vfio-private.h"
#include "linux/linux.h"
#include "fake-kernel.h" /* QEMU_VTD_CAP/ECAP: the VT-d the fake kernel reports too */

/* ---- parsers ---- */

START_TEST(test_resv_parse)
{
	static const char text[] = "0x00000000000a0000 0x00000000000bffff direct-relaxable\n"
				   "0x00000000fee00000 0x00000000feefffff msi\n"
				   "0x0000000008000000 0x00000000080fffff reserved\n"
				   "0x0000000010000000 0x0000000010000fff direct\n"
				   "0x0000000020000000 0x0000000020000fff something-new\n";
	struct ioasid_cap_resv_region r[8];
	char err[200];
	uint32_t n = 0;

	ck_assert_int_eq(ku_parse_resv_regions(text, strlen(text), r, 8, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(r[0].type, IOASID_RESV_DIRECT_RELAXABLE);
	ck_assert_uint_eq(r[1].start, 0xfee00000);
	ck_assert_uint_eq(r[1].last, 0xfeefffff);
	ck_assert_uint_eq(r[1].type, IOASID_RESV_MSI);
	ck_assert_uint_eq(r[2].type, IOASID_RESV_RESERVED);
	ck_assert_uint_eq(r[3].type, IOASID_RESV_DIRECT);
	ck_assert_uint_eq(r[4].type, IOASID_RESV_RESERVED); /* unknown: treated as reserved */
	/* counting only, then too small */
	ck_assert_int_eq(ku_parse_resv_regions(text, strlen(text), NULL, 0, &n, err, sizeof(err)),
			 -EMSGSIZE);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(ku_parse_resv_regions(text, strlen(text), r, 2, &n, err, sizeof(err)),
			 -EMSGSIZE);
	ck_assert_uint_eq(r[1].type, IOASID_RESV_MSI);
	/* empty file, blank lines, no final newline */
	ck_assert_int_eq(ku_parse_resv_regions("", 0, r, 8, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(ku_parse_resv_regions("\n0x1000 0x1fff msi", 19, r, 8, &n, err,
					       sizeof(err)),
			 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(r[0].last, 0x1fff);
}
END_TEST

START_TEST(test_resv_parse_bad)
{
	static const char *const bad[] = {
		"0x1000 msi\n",                  /* no end */
		"0x2000 0x1000 msi\n",           /* end below start */
		"0x1000 0x1fff\n",               /* no type */
		"zz 0x1fff msi\n",               /* not hex */
		"0x1000 0x1fff msi extra\n",     /* trailing word */
		"0x10000000000000000 0x1 msi\n", /* 17 digits */
	};
	struct ioasid_cap_resv_region r[4];
	char err[200];
	uint32_t n, i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ck_assert_msg(ku_parse_resv_regions(bad[i], strlen(bad[i]), r, 4, &n, err,
						    sizeof(err)) == -EINVAL,
			      "'%s' accepted", bad[i]);
		ck_assert_msg(strstr(err, "line 1"), "message '%s'", err);
	}
	/* the line number of a later bad line */
	ck_assert_int_eq(ku_parse_resv_regions("0x1 0x2 msi\n0x3\n", 16, r, 4, &n, err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "line 2"));
}
END_TEST

START_TEST(test_bdf)
{
	ck_assert(ku_is_bdf("0000:00:01.0"));
	ck_assert(ku_is_bdf("00:1f.7"));
	ck_assert(ku_is_bdf("abcd:ef:1f.7"));
	ck_assert(!ku_is_bdf("0000:00:01.0x"));
	ck_assert(!ku_is_bdf("/dev/vfio/devices/vfio0"));
	ck_assert(!ku_is_bdf("0000:00:01"));
	ck_assert(!ku_is_bdf("sim0"));
	ck_assert(!ku_is_bdf(""));
}
END_TEST

static void put16(uint8_t *c, size_t off, uint16_t v)
{
	c[off] = (uint8_t)v;
	c[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *c, size_t off, uint32_t v)
{
	put16(c, off, (uint16_t)v);
	put16(c, off + 2, (uint16_t)(v >> 16));
}

START_TEST(test_pci_config)
{
	static uint8_t cfg[4096];
	struct ku_pci_feats f;

	/* conventional PCI without a capability list: known, nothing */
	memset(cfg, 0, sizeof(cfg));
	ku_pci_parse_config(cfg, 256, &f);
	ck_assert(f.known && !f.ats && !f.pri && !f.pasid);
	/* too short to tell */
	ku_pci_parse_config(cfg, 32, &f);
	ck_assert(!f.known);
	/* a list with MSI (0x05) then PCIe (0x10) */
	put16(cfg, 0x06, 0x10);
	cfg[0x34] = 0x40;
	cfg[0x40] = 0x05;
	cfg[0x41] = 0x50;
	cfg[0x50] = 0x10;
	cfg[0x51] = 0x00;
	/* PCIe but only 256 bytes readable (not root): unknown */
	ku_pci_parse_config(cfg, 256, &f);
	ck_assert(!f.known);
	/* extended: AER (1) -> ATS (0xf) -> PRI (0x13) -> PASID (0x1b) */
	put32(cfg, 0x100, 0x0001u | 1u << 16 | 0x140u << 20);
	put32(cfg, 0x140, 0x000fu | 1u << 16 | 0x160u << 20);
	put32(cfg, 0x160, 0x0013u | 1u << 16 | 0x180u << 20);
	put32(cfg, 0x180, 0x001bu | 1u << 16);
	ku_pci_parse_config(cfg, 4096, &f);
	ck_assert(f.known && f.ats && f.pri && f.pasid);
	/* a loop in the extended list ends */
	put32(cfg, 0x180, 0x001bu | 1u << 16 | 0x100u << 20);
	ku_pci_parse_config(cfg, 4096, &f);
	ck_assert(f.known && f.ats && f.pri && f.pasid);
	/* a loop in the classic list ends too (no PCIe found: conventional) */
	cfg[0x51] = 0x40;
	cfg[0x50] = 0x09;
	ku_pci_parse_config(cfg, 4096, &f);
	ck_assert(f.known && !f.ats);
}
END_TEST

/* ---- facts -> chain ---- */

static void *chain_of_sim(size_t *len)
{
	struct ioasid_ctx *ctx = NULL;
	static uint8_t buf[4096];
	uint32_t d;

	ck_assert_int_eq(ioasid_ctx_open("sim:qemu-vtd", NULL, &ctx), 0);
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &d));
	ck_assert_ok(ctx, ioasid_dev_info(ctx, d, buf, sizeof(buf), len));
	ioasid_ctx_close(ctx);
	return buf;
}

/* Compare every capability's content, ignoring only hdr.source. */
static void chains_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	static const uint16_t ids[] = {
		IOASID_CAP_PAGE_SIZES,  IOASID_CAP_ADDR_WIDTH,   IOASID_CAP_PASID,
		IOASID_CAP_IOVA_RANGES, IOASID_CAP_RESV_REGIONS, IOASID_CAP_FEATURES,
		IOASID_CAP_VTD,
	};
	uint8_t x[512], y[512];
	char err[200];
	uint32_t i, sx, sy;

	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		memset(x, 0, sizeof(x));
		memset(y, 0, sizeof(y));
		ck_assert_msg(!ioasid_caps_get(a, alen, 0, ids[i], x, sizeof(x), &sx),
			      "cap %s missing: %s", ioasid_cap_id_name(ids[i]), err);
		ck_assert_msg(!ioasid_caps_get(b, blen, 0, ids[i], y, sizeof(y), &sy),
			      "sim cap %s missing: %s", ioasid_cap_id_name(ids[i]), err);
		ck_assert_uint_eq(sx, sy);
		/* the header's next/source may differ; the content may not */
		ck_assert_msg(!memcmp(x + sizeof(struct ioasid_cap_header),
				      y + sizeof(struct ioasid_cap_header),
				      sx - sizeof(struct ioasid_cap_header)),
			      "cap %s differs from the sim's", ioasid_cap_id_name(ids[i]));
	}
}

static void vtd_facts(struct ku_dev_facts *f, struct ku_iommu_hw_info_vtd *v,
		      struct ioasid_cap_resv_region *msi, struct ioasid_iova_range *r)
{
	memset(f, 0, sizeof(*f));
	memset(v, 0, sizeof(*v));
	v->flags = KU_IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17; /* Linux always sets it */
	v->cap_reg = QEMU_VTD_CAP;
	v->ecap_reg = QEMU_VTD_ECAP;
	msi->start = 0xfee00000;
	msi->last = 0xfeefffff;
	msi->type = IOASID_RESV_MSI;
	msi->pad = 0;
	r[0].start = 0;
	r[0].last = 0xfedfffff;
	r[1].start = 0xfef00000;
	r[1].last = (1ull << 39) - 1;
	f->hw_info = true;
	f->hw_type = KU_IOMMU_HW_INFO_TYPE_INTEL_VTD;
	f->data = v;
	f->data_len = sizeof(*v);
	f->resv = msi;
	f->nr_resv = 1;
	f->pci.known = true;
	f->coherent = true;
	f->can_nest = f->can_pasid = f->can_dirty = true;
	f->host_page_size = 4096;
}

START_TEST(test_describe_qemu_vtd)
{
	struct ku_iommu_hw_info_vtd v;
	struct ioasid_cap_resv_region msi;
	struct ioasid_iova_range r[2];
	struct ku_dev_facts f;
	struct ioasid_dev dev;
	size_t slen;
	void *sim = chain_of_sim(&slen);
	int probed;

	/* probed (as in the VM) and not probed (derived from MGAW) */
	for (probed = 1; probed >= 0; probed--) {
		vtd_facts(&f, &v, &msi, r);
		if (probed) {
			f.probed = true;
			f.alignment = 4096;
			f.ranges = r;
			f.nr_ranges = 2;
		}
		memset(&dev, 0, sizeof(dev));
		snprintf(dev.name, sizeof(dev.name), "edu");
		ck_assert_int_eq(ku_dev_describe(NULL, &dev, &f), 0);
		ck_assert_int_eq(ioasid_caps_validate(dev.caps, dev.caps_len, 0), 0);
		chains_equal(dev.caps, dev.caps_len, sim, slen);
		ck_assert_uint_eq(dev.props.pgsize_bitmap, 0x1000 | 0x200000 | 0x40000000);
		ck_assert_uint_eq(dev.props.aperture_start, 0);
		ck_assert_uint_eq(dev.props.aperture_last, (1ull << 39) - 1);
		ck_assert_uint_eq(dev.props.nr_resv, 1);
		ck_assert_uint_eq(dev.props.resv[0].start, 0xfee00000);
		ck_assert_uint_eq(dev.props.pasid_width, 0);
		ck_assert(!dev.props.nesting && !dev.props.dirty_tracking && !dev.props.ats);
		ioasid_caps_free(dev.caps);
		ioasid_free(dev.props.resv);
	}
}
END_TEST
START_TEST(test_describe_features)
{
	/* scalable mode with nesting, PASIDs, dirty tracking, an ATS+PRI device */
	const uint64_t ecap = QEMU_VTD_ECAP | 1ull << 2 /* DT */ | 1ull << 26 /* NEST */ |
			      1ull << 29 /* PRS */ | 1ull << 40 /* PASID */ | 19ull << 35 |
			      1ull << 43 /* SMTS */ | 1ull << 46 /* SLTS */ | 1ull << 47 /* FLTS */;
	struct ku_iommu_hw_info_vtd v;
	struct ioasid_cap_resv_region resv[2];
	struct ioasid_iova_range r[2];
	struct ioasid_cap_features fe;
	struct ku_dev_facts f;
	struct ioasid_dev dev;

	vtd_facts(&f, &v, &resv[0], r);
	v.ecap_reg = ecap;
	f.max_pasid_log2 = 20;
	f.hw_caps = KU_IOMMU_HW_CAP_DIRTY_TRACKING | KU_IOMMU_HW_CAP_PCI_PASID_EXEC;
	f.pci.ats = f.pci.pri = f.pci.pasid = true;
	/* a relaxable region is listed but does not bind the IOAS */
	resv[1] = (struct ioasid_cap_resv_region){ 0xa0000, 0xbffff, IOASID_RESV_DIRECT_RELAXABLE,
						   0 };
	f.nr_resv = 2;
	f.resv = resv;
	memset(&dev, 0, sizeof(dev));
	ck_assert_int_eq(ku_dev_describe(NULL, &dev, &f), 0);
	ck_assert(dev.props.nesting);
	ck_assert_uint_eq(dev.props.vendor_s1, IOASID_HWPT_NESTED_VTD_S1);
	ck_assert(dev.props.dirty_tracking && dev.props.ats && dev.props.pri);
	ck_assert_uint_eq(dev.props.pasid_width, 20);
	ck_assert_uint_eq(dev.props.nr_resv, 1);
	/* first-stage page sizes and the 48-bit first-stage input in scalable mode */
	ck_assert_uint_eq(dev.props.pgsize_bitmap, 0x1000 | 0x200000);
	ck_assert_int_eq(ioasid_caps_get(dev.caps, dev.caps_len, 0, IOASID_CAP_FEATURES, &fe,
					 sizeof(fe), NULL),
			 0);
	ck_assert(fe.features & IOASID_FEAT_PASID_EXEC);
	ck_assert(!(fe.features & IOASID_FEAT_PASID_PRIV));
	ck_assert((fe.known & fe.features) == fe.features);
	ioasid_caps_free(dev.caps);
	ioasid_free(dev.props.resv);

	/* the vfio backend's view of the same: no nesting, PASID or dirty */
	f.can_nest = f.can_pasid = f.can_dirty = false;
	memset(&dev, 0, sizeof(dev));
	ck_assert_int_eq(ku_dev_describe(NULL, &dev, &f), 0);
	ck_assert(!dev.props.nesting && !dev.props.dirty_tracking && !dev.props.pasid_width);
	ioasid_caps_free(dev.caps);
	ioasid_free(dev.props.resv);

	/* no hw_info data at all (virtio-iommu): the alignment is the page size */
	memset(&f, 0, sizeof(f));
	f.hw_info = true;
	f.probed = true;
	f.alignment = 4096;
	f.ranges = r;
	f.nr_ranges = 1;
	r[0] = (struct ioasid_iova_range){ 0, (1ull << 48) - 1 };
	memset(&dev, 0, sizeof(dev));
	ck_assert_int_eq(ku_dev_describe(NULL, &dev, &f), 0);
	ck_assert_uint_eq(dev.props.pgsize_bitmap, 4096);
	ck_assert_uint_eq(dev.props.aperture_last, (1ull << 48) - 1);
	ioasid_caps_free(dev.caps);
	ioasid_free(dev.props.resv);
}
END_TEST

/*
 * An AMD IOMMU in a kernel without CONFIG_AMD_IOMMU_IOMMUFD (distribution
 * kernels): IOMMU_GET_HW_INFO answers type NONE, and EFR/EFR2 come from
 * sysfs (amd-iommu/features). The registers are QEMU 7.2's amd-iommu, as
 * the VM shows them: GTSup without GIOSup, so Linux has no v2 tables, no
 * PASIDs, no page requests and no nest parent.
 */
START_TEST(test_describe_amd_sysfs)
{
	struct ioasid_cap_resv_region resv[2] = {
		{ 0xfee00000, 0xfeefffff, IOASID_RESV_MSI, 0 },
		{ 0xfd00000000ull, 0xffffffffffull, IOASID_RESV_RESERVED, 0 },
	};
	struct ioasid_iova_range r[3] = {
		{ 0, 0xfedfffff },
		{ 0xfef00000, 0xfcffffffffull },
		{ 0x10000000000ull, (1ull << 48) - 1 },
	};
	struct ku_iommu_hw_info_amd kernel = { .efr = 0x246577efa2254afaull, .efr2 = 0x18 };
	struct ioasid_cap_amd amd;
	struct ku_dev_facts f;
	struct ioasid_dev dev;

	memset(&f, 0, sizeof(f));
	f.hw_info = true;
	f.hw_type = KU_IOMMU_HW_INFO_TYPE_NONE;
	f.probed = true;
	f.alignment = 4096;
	f.ranges = r;
	f.nr_ranges = 3;
	f.resv = resv;
	f.nr_resv = 2;
	f.amd_regs = true;
	f.amd_efr = 0x29d3;
	f.amd_efr2 = 0;
	f.coherent = true;
	f.can_nest = f.can_pasid = f.can_dirty = true;
	f.host_page_size = 4096;
	memset(&dev, 0, sizeof(dev));
	ck_assert_int_eq(ku_dev_describe(NULL, &dev, &f), 0);
	ck_assert_int_eq(ioasid_caps_get(dev.caps, dev.caps_len, 0, IOASID_CAP_AMD, &amd,
					 sizeof(amd), NULL),
			 0);
	ck_assert_uint_eq(amd.efr, 0x29d3);
	ck_assert_uint_eq(amd.efr2, 0);
	/* the vendor's page sizes, not just the alignment */
	ck_assert_uint_eq(dev.props.pgsize_bitmap, 0x1000 | 0x200000 | 0x40000000);
	ck_assert(!dev.props.nesting && !dev.props.pri);
	ck_assert_uint_eq(dev.props.pasid_width, 0);
	ioasid_caps_free(dev.caps);
	ioasid_free(dev.props.resv);

	/* the kernel's own vendor data wins over sysfs */
	f.hw_type = KU_IOMMU_HW_INFO_TYPE_AMD;
	f.data = &kernel;
	f.data_len = sizeof(kernel);
	memset(&dev, 0, sizeof(dev));
	ck_assert_int_eq(ku_dev_describe(NULL, &dev, &f), 0);
	ck_assert_int_eq(ioasid_caps_get(dev.caps, dev.caps_len, 0, IOASID_CAP_AMD, &amd,
					 sizeof(amd), NULL),
			 0);
	ck_assert_uint_eq(amd.efr, kernel.efr);
	ck_assert(dev.props.nesting); /* GT + GIO + EFR2 GCR3TRPMode */
	ioasid_caps_free(dev.caps);
	ioasid_free(dev.props.resv);
}
END_TEST

/* A file under @root with @text in it, its directories made. */
static void put_file(const char *root, const char *rel, const char *text)
{
	char path[PATH_MAX], cmd[PATH_MAX + 32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	ck_assert_int_eq(system(cmd), 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/*
 * The host's PASID width from sysfs: an AMD IOMMU's EFR as Linux reads it
 * (QEMU's GTSup without GIOSup gives none, though PASmax + 1 is 1), a
 * nesting-capable EPYC's 16 bits, a virtio-iommu (no PASIDs in Linux's
 * driver) none at all, an SMMUv3 none until its devices say; with no IOMMU
 * to go by, the widest.
 */
START_TEST(test_host_pasid_width)
{
	char root[] = "/tmp/ioasid-sysfs-XXXXXX", path[PATH_MAX], cmd[PATH_MAX + 16];

	ck_assert_ptr_nonnull(mkdtemp(root));
	ck_assert_int_eq(ku_host_pasid_width(root), IOASID_PASID_MAX_WIDTH);
	put_file(root, "class/iommu/ivhd0/amd-iommu/features", "29d3:0\n");
	ck_assert_int_eq(ku_host_pasid_width(root), 0);
	put_file(root, "class/iommu/ivhd1/amd-iommu/features", "246577efa2254afa:18\n");
	ck_assert_int_eq(ku_host_pasid_width(root), 16);
	snprintf(cmd, sizeof(cmd), "rm -rf %s/class", root);
	ck_assert_int_eq(system(cmd), 0);
	put_file(root, "bus/virtio/drivers/virtio_iommu/bind", "");
	put_file(root, "devices/virtio0/uevent", "");
	snprintf(path, sizeof(path), "%s/class/iommu/virtio0", root);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", path);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/class/iommu/virtio0/device", root);
	ck_assert_int_eq(symlink("../../../devices/virtio0", path), 0);
	snprintf(path, sizeof(path), "%s/devices/virtio0/driver", root);
	ck_assert_int_eq(symlink("../../bus/virtio/drivers/virtio_iommu", path), 0);
	ck_assert_int_eq(ku_host_pasid_width(root), 0);
	/* an instance showing no registers: its devices decide */
	snprintf(cmd, sizeof(cmd), "rm -rf %s/class && mkdir -p %s/class/iommu/dmar0", root, root);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(ku_host_pasid_width(root), IOASID_PASID_MAX_WIDTH);
	/* an SMMUv3 (QEMU virt's name): SSIDSIZE is not in sysfs, devices widen from 0 */
	snprintf(cmd, sizeof(cmd),
		 "rm -rf %s/class && mkdir -p %s/class/iommu/smmu3.0x0000000009050000", root, root);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(ku_host_pasid_width(root), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* ---- VFIO_IOMMU_GET_INFO ---- */

static void put64(uint8_t *c, size_t off, uint64_t v)
{
	put32(c, off, (uint32_t)v);
	put32(c, off + 4, (uint32_t)(v >> 32));
}
START_TEST(test_vfio_iommu_info)
{
	/* a pre-6.6 layout: the 12-byte DMA_AVAIL cap leaves the next on 4 bytes */
	uint8_t buf[160];
	struct vf_info vi;

	memset(buf, 0, sizeof(buf));
	put32(buf, 0, sizeof(buf));
	put32(buf, 4, KU_VFIO_IOMMU_INFO_PGSIZES | KU_VFIO_IOMMU_INFO_CAPS);
	put64(buf, 8, 0x40201000);
	put32(buf, 16, 24);
	/* IOVA ranges at 24: 2 ranges, 48 bytes */
	put16(buf, 24, KU_VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	put16(buf, 26, 1);
	put32(buf, 28, 72);
	put32(buf, 32, 2);
	put64(buf, 40, 0);
	put64(buf, 48, 0xfedfffff);
	put64(buf, 56, 0xfef00000);
	put64(buf, 64, (1ull << 39) - 1);
	/* DMA_AVAIL at 72 (12 bytes), migration at 84 */
	put16(buf, 72, KU_VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	put16(buf, 74, 1);
	put32(buf, 76, 84);
	put32(buf, 80, 65000);
	put16(buf, 84, KU_VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	put16(buf, 86, 1);
	put32(buf, 88, 0);
	put64(buf, 84 + offsetof(struct ku_vfio_iommu_type1_info_cap_migration, pgsize_bitmap),
	      0x1000);
	ck_assert_int_eq(vfio_parse_iommu_info(NULL, buf, sizeof(buf), &vi), 0);
	ck_assert_uint_eq(vi.pgsizes, 0x40201000);
	ck_assert(vi.has_ranges);
	ck_assert_uint_eq(vi.nr_ranges, 2);
	ck_assert_uint_eq(vi.ranges[1].start, 0xfef00000);
	ck_assert_uint_eq(vi.ranges[1].last, (1ull << 39) - 1);
	ck_assert(vi.has_dma_avail);
	ck_assert_uint_eq(vi.dma_avail, 65000);
	ck_assert(vi.migration);
	ck_assert_uint_eq(vi.dirty_pgsizes, 0x1000);
	ioasid_free(vi.ranges);
	/* ranges out of order */
	put64(buf, 56, 0x1000);
	ck_assert_int_eq(vfio_parse_iommu_info(NULL, buf, sizeof(buf), &vi), -EINVAL);
	put64(buf, 56, 0xfef00000);
	/* a count that does not fit */
	put32(buf, 32, 200);
	ck_assert_int_eq(vfio_parse_iommu_info(NULL, buf, sizeof(buf), &vi), -EMSGSIZE);
	put32(buf, 32, 2);
	/* a loop: the chain must move forward */
	put32(buf, 76, 24);
	ck_assert_int_ne(vfio_parse_iommu_info(NULL, buf, sizeof(buf), &vi), 0);
}
END_TEST

Suite *kernel_facts_suite(void)
{
	Suite *s = suite_create("kernel_facts");
	TCase *tc = tcase_create("kernel_facts");

	tcase_add_test(tc, test_resv_parse);
	tcase_add_test(tc, test_resv_parse_bad);
	tcase_add_test(tc, test_bdf);
	tcase_add_test(tc, test_pci_config);
	tcase_add_test(tc, test_describe_qemu_vtd);
	tcase_add_test(tc, test_describe_features);
	tcase_add_test(tc, test_describe_amd_sysfs);
	tcase_add_test(tc, test_host_pasid_width);
	tcase_add_test(tc, test_vfio_iommu_info);
	suite_add_tcase(s, tc);
	return s;
}
