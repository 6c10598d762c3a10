/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Simulated IOMMU profiles: built-ins, JSON profile files, validation, and
 * the vendor registers that go with them.
 *
 * Profile file format (version 1; docs/profile-format.md has the long form)
 * =========================================================================
 *
 * One JSON object. Unknown keys are errors at every level. A number is a
 * JSON integer (>= 0) or a string "0x..." (needed above 2^63).
 *
 *   {
 *     "version":        1,                       optional; only 1 exists
 *     "name":           STRING,                  default: the file name
 *                                                without ".json"; < 64 bytes
 *     "description":    STRING,                  optional, ignored
 *     "base":           BUILTIN,                 start from a built-in
 *                                                (IOMMU, registers, devices)
 *     "model":          "vtd" | "smmuv3" | "amd" | "virtio-iommu" | "generic",
 *                                                required without "base";
 *                                                with it, must match. Alone
 *                                                it starts from the built-in
 *                                                of that name, no devices.
 *     "input_width":    1..64,                   IOVA bits
 *     "output_width":   1..64,                   output address bits
 *     "levels":         [N, ...],                table depths, 1..6
 *     "page_sizes":     PGSIZES,                 what the IOMMU can map
 *     "pasid_width":    0..20,
 *     "nesting":        BOOL,
 *     "dirty_tracking": BOOL,
 *     "pri":            BOOL,                    takes page requests
 *     "ats":            BOOL,                    serves ATS
 *     "scalable_mode":  BOOL,                    vtd only
 *     "caching_mode":   BOOL,                    vtd only
 *     "iotlb_size":     0..1048576,              simulated IOTLB entries
 *     "aperture":       {"start": NUM, "last": NUM},
 *                                                default [0, 2^input_width-1]
 *     "registers":      REGISTERS,               raw vendor registers
 *     "devices":        [DEVICE, ...]            replaces the base's list;
 *                                                at most 64
 *   }
 *
 *   PGSIZES  = NUM (a bitmap, e.g. "0x40201000")
 *            | [SIZE, ...] with SIZE = "4K", "2M", "1G", "16K", ... or NUM
 *   DEVICE   = {"name": STRING,        default "simN" (N = index); < 32 bytes,
 *                                      [A-Za-z0-9_.-]
 *               "bdf": STRING,         "dddd:bb:dd.f" or "bb:dd.f";
 *                                      default "0000:NN:00.0", NN = index + 1
 *               "page_sizes": PGSIZES, default: the IOMMU's; never 0
 *               "pasid_width": 0..20,  default 0
 *               "pri": BOOL, "ats": BOOL,   default false
 *               "reserved": [{"start": NUM, "last": NUM,
 *                             "type": "reserved" | "msi" | "sw_msi" |
 *                                     "direct" | "direct_relaxable"}, ...]}
 *                                      default: the model's MSI window;
 *                                      at most 16, no two overlapping
 *   REGISTERS (per model; a key left out keeps the starting value):
 *     vtd:          {"cap_reg": NUM, "ecap_reg": NUM}
 *     smmuv3:       {"idr": [NUM x 6], "iidr": NUM, "aidr": NUM}
 *     amd:          {"efr": NUM, "efr2": NUM}
 *     virtio-iommu: {"page_size_mask": NUM,
 *                    "input_range": {"start": NUM, "end": NUM},
 *                    "domain_range": {"start": NUM, "end": NUM},
 *                    "probe_size": NUM, "features": NUM}
 *     generic:      none
 *
 * Fields versus registers. When "registers" is given, every field the
 * registers encode (e.g. VT-d MGAW -> input_width) is decoded from them; a
 * field the file also gives must agree, and the remaining register bits must
 * agree with the fields too. Without "registers", the registers of the
 * starting point are kept and every field-derived bit is recomputed
 * (sim_profile_sync_registers()). Either way the result is consistent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../alloc.h"
#include "profile.h"

#define BIT64(n)		(1ULL << (n))
#define GENMASK64(h, l)		((~0ULL >> (63 - (h))) & (~0ULL << (l)))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

static inline uint64_t field_get(uint64_t mask, uint64_t v)
{
	return (v & mask) >> __builtin_ctzll(mask);
}

static inline uint64_t field_prep(uint64_t mask, uint64_t val)
{
	return (val << __builtin_ctzll(mask)) & mask;
}

#define SZ_4K		0x1000ULL
#define SZ_16K		0x4000ULL
#define SZ_64K		0x10000ULL
#define SZ_2M		0x200000ULL
#define SZ_32M		0x2000000ULL
#define SZ_512M		0x20000000ULL
#define SZ_1G		0x40000000ULL

/* Every power of two from 4 KiB up: the most any model may list. */
#define PGSIZES_ANY	(~(SZ_4K - 1))

/*
 * Register fields. Positions are those of the Intel VT-d spec (rev 4.x,
 * §11.4.2-3), the Arm SMMUv3 spec (IHI 0070, §6.3), the AMD IOMMU spec
 * (48882, §3.4.1 MMIO 0x30) and virtio 1.2 §5.13; they match the field
 * definitions the Linux drivers use (intel/iommu.h, arm-smmu-v3.h,
 * amd_iommu_types.h). Only the fields this file reads or writes are named.
 */

/* VT-d Capability Register */
#define VTD_CAP_ND		GENMASK64(2, 0)
#define VTD_CAP_CM		BIT64(7)
#define VTD_CAP_SAGAW		GENMASK64(12, 8)	/* bit0 = 2-level ... bit3 = 5-level */
#define VTD_CAP_MGAW		GENMASK64(21, 16)	/* width - 1 */
#define VTD_CAP_SLLPS		GENMASK64(37, 34)	/* bit0 2 MiB, bit1 1 GiB */
#define VTD_CAP_FL1GP		BIT64(56)
#define VTD_CAP_FL5LP		BIT64(60)
/* VT-d Extended Capability Register */
#define VTD_ECAP_DT		BIT64(2)	/* device-TLB: ATS */
#define VTD_ECAP_NEST		BIT64(26)
#define VTD_ECAP_PRS		BIT64(29)
#define VTD_ECAP_PSS		GENMASK64(39, 35)	/* PASID width - 1 */
#define VTD_ECAP_PASID		BIT64(40)
#define VTD_ECAP_SMTS		BIT64(43)
#define VTD_ECAP_SLADS		BIT64(45)	/* second-stage A/D: dirty tracking */
#define VTD_ECAP_SLTS		BIT64(46)
#define VTD_ECAP_FLTS		BIT64(47)

/* SMMU_IDR0 */
#define SMMU_IDR0_S2P		BIT64(0)
#define SMMU_IDR0_S1P		BIT64(1)
#define SMMU_IDR0_TTF		GENMASK64(3, 2)
#define SMMU_IDR0_HTTU		GENMASK64(7, 6)	/* 1 = access flag, 2 = + dirty */
#define SMMU_IDR0_ATS		BIT64(10)
#define SMMU_IDR0_PRI		BIT64(16)
#define SMMU_IDR0_ST_LEVEL	GENMASK64(28, 27)
/* SMMU_IDR1 */
#define SMMU_IDR1_SIDSIZE	GENMASK64(5, 0)
#define SMMU_IDR1_SSIDSIZE	GENMASK64(10, 6)
/* SMMU_IDR5 */
#define SMMU_IDR5_OAS		GENMASK64(2, 0)
#define SMMU_IDR5_GRAN4K	BIT64(4)
#define SMMU_IDR5_GRAN16K	BIT64(5)
#define SMMU_IDR5_GRAN64K	BIT64(6)
#define SMMU_IDR5_VAX		GENMASK64(11, 10)	/* 1 = 52-bit VA */

/* AMD Extended Feature Register */
#define AMD_EFR_PPRSUP		BIT64(1)
#define AMD_EFR_GTSUP		BIT64(4)
#define AMD_EFR_HATS		GENMASK64(11, 10)	/* max host levels - 4 */
#define AMD_EFR_GATS		GENMASK64(13, 12)	/* 0 = 4-, 1 = 5-level guest */
#define AMD_EFR_PASMAX		GENMASK64(36, 32)	/* PASID width - 1 */
#define AMD_EFR_HDSUP		BIT64(52)	/* host dirty bit support */

/* virtio-iommu feature bits */
#define VIRTIO_IOMMU_F_INPUT_RANGE	BIT64(0)
#define VIRTIO_IOMMU_F_DOMAIN_RANGE	BIT64(1)
#define VIRTIO_IOMMU_F_MAP_UNMAP	BIT64(2)
#define VIRTIO_IOMMU_F_BYPASS		BIT64(3)
#define VIRTIO_IOMMU_F_PROBE		BIT64(4)
#define VIRTIO_IOMMU_F_MMIO		BIT64(5)
#define VIRTIO_IOMMU_F_BYPASS_CONFIG	BIT64(6)
#define VIRTIO_IOMMU_F_ALL		GENMASK64(6, 0)

/* x86 interrupt window: Intel and AMD report it as an MSI region. */
#define X86_MSI_START		0xfee00000ULL
#define X86_MSI_LAST		0xfeefffffULL
/* AMD HyperTransport reserved range (Linux HT_RANGE_START/END). */
#define AMD_HT_START		0xfd00000000ULL
#define AMD_HT_LAST		0xffffffffffULL
/* Linux's software MSI window on Arm (MSI_IOVA_BASE, MSI_IOVA_LENGTH). */
#define ARM_SW_MSI_START	0x8000000ULL
#define ARM_SW_MSI_LAST		0x80fffffULL

#define IOTLB_SIZE_MAX		(1U << 20)

/* ------------------------------------------------------------------------
 * Errors
 */

/* Where a message goes and what it is about ("file.json", "builtin vtd"). */
struct perr {
	char *buf;
	size_t len;
	const char *src;
};

/*
 * Format "SRC: PATH: message" into the caller's buffer and return @ret, so
 * every failure is one statement: return fail(e, -EINVAL, path, ...).
 */
static int __attribute__((format(printf, 4, 5)))
fail(struct perr *e, int ret, const char *path, const char *fmt, ...)
{
	va_list ap;
	size_t n = 0;
	int r;

	if (!e || !e->buf || !e->len)
		return ret;
	e->buf[0] = '\0';
	if (e->src) {
		r = snprintf(e->buf, e->len, "%s: ", e->src);
		n = r < 0 ? 0 : (size_t)r;
	}
	if (n < e->len && path && *path) {
		r = snprintf(e->buf + n, e->len - n, "%s: ", path);
		n += r < 0 ? 0 : (size_t)r;
	}
	if (n < e->len) {
		va_start(ap, fmt);
		vsnprintf(e->buf + n, e->len - n, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* A short, allocation-free rendering of a JSON value for messages. */
static const char *jdesc(const json_t *v, char *buf, size_t len)
{
	const char *s;

	switch (json_typeof(v)) {
	case JSON_INTEGER:
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(buf, len, "%g", json_real_value(v));
		break;
	case JSON_STRING:
		s = json_string_value(v);
		snprintf(buf, len, "\"%.48s%s\"", s, strlen(s) > 48 ? "..." : "");
		break;
	case JSON_TRUE:
		snprintf(buf, len, "true");
		break;
	case JSON_FALSE:
		snprintf(buf, len, "false");
		break;
	case JSON_NULL:
		snprintf(buf, len, "null");
		break;
	case JSON_OBJECT:
		snprintf(buf, len, "an object");
		break;
	case JSON_ARRAY:
		snprintf(buf, len, "an array");
		break;
	default:
		snprintf(buf, len, "?");
		break;
	}
	return buf;
}

/* ------------------------------------------------------------------------
 * Names
 */

static const char *const vendor_names[] = {
	[SIM_VENDOR_GENERIC] = "generic",
	[SIM_VENDOR_VTD] = "vtd",
	[SIM_VENDOR_SMMUV3] = "smmuv3",
	[SIM_VENDOR_AMD] = "amd",
	[SIM_VENDOR_VIRTIO_IOMMU] = "virtio-iommu",
};

static const char *const resv_names[] = {
	[SIM_RESV_RESERVED] = "reserved",
	[SIM_RESV_MSI] = "msi",
	[SIM_RESV_SW_MSI] = "sw_msi",
	[SIM_RESV_DIRECT] = "direct",
	[SIM_RESV_DIRECT_RELAXABLE] = "direct_relaxable",
};

const char *sim_vendor_name(enum sim_vendor v)
{
	if ((unsigned int)v >= ARRAY_SIZE(vendor_names))
		return "unknown";
	return vendor_names[v];
}

const char *sim_resv_type_name(enum sim_resv_type t)
{
	if ((unsigned int)t >= ARRAY_SIZE(resv_names))
		return "unknown";
	return resv_names[t];
}

static int vendor_from_name(const char *s, enum sim_vendor *out)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(vendor_names); i++) {
		if (!strcmp(s, vendor_names[i])) {
			*out = (enum sim_vendor)i;
			return 0;
		}
	}
	return -1;
}

/* The first entry is the default profile (DESIGN.md: `vtd`). */
static const char *const builtin_names[] = {
	"vtd", "qemu-vtd", "smmuv3", "amd", "virtio-iommu", "generic", NULL,
};

const char *const *sim_profile_builtin_names(void)
{
	return builtin_names;
}

/* ------------------------------------------------------------------------
 * Per-model limits
 */

struct model_info {
	uint8_t in_min, in_max;		/* input_width range */
	uint8_t out_min, out_max;	/* output_width range */
	uint8_t levels;			/* depths the architecture defines */
	uint64_t pgsizes;		/* sizes that may appear at all */
};

/*
 * Why these numbers:
 * - vtd: SAGAW defines 3-, 4- and 5-level tables (39/48/57 bits; the 2-level
 *   encoding is deprecated since VT-d 3.0). Second-stage leaves are 4 KiB,
 *   2 MiB and 1 GiB (SLLPS bits 2-3 are reserved). Output is the host
 *   address width of an x86-64 machine: MAXPHYADDR is at least 36 and page
 *   table entries hold at most 52 address bits.
 * - smmuv3: VMSAv8-64 tables of 1..4 levels; 52-bit VA needs IDR5.VAX; the
 *   output must be one of the IDR5.OAS sizes (checked separately).
 * - amd: v1 tables have 1..6 levels (64-bit at 6); the same x86 output rule.
 * - virtio-iommu/generic: no architectural table, anything a 4 KiB-based
 *   simulated table can express.
 */
static const struct model_info model_info[] = {
	[SIM_VENDOR_GENERIC] = { 12, 64, 32, 64, 0x7e, PGSIZES_ANY },
	[SIM_VENDOR_VTD] = { 32, 57, 36, 52, 0x38, SZ_4K | SZ_2M | SZ_1G },
	[SIM_VENDOR_SMMUV3] = { 32, 52, 32, 52, 0x1e,
				SZ_4K | SZ_2M | SZ_1G | SZ_16K | SZ_32M |
				SZ_64K | SZ_512M },
	[SIM_VENDOR_AMD] = { 32, 64, 36, 52, 0x7e, PGSIZES_ANY },
	[SIM_VENDOR_VIRTIO_IOMMU] = { 12, 64, 32, 64, 0x7e, PGSIZES_ANY },
};

/* The SMMUv3 IDR5.OAS encodings, index = field value (6 = 52 bits). */
static const uint8_t smmu_oas_bits[] = { 32, 36, 40, 42, 44, 48, 52 };

static int smmu_oas_encode(unsigned int bits)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(smmu_oas_bits); i++)
		if (smmu_oas_bits[i] == bits)
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------------------
 * Small helpers
 */

static unsigned int ilog2_u64(uint64_t v)
{
	return 63 - (unsigned int)__builtin_clzll(v);
}

/* Bits needed to express @v (v > 0): the width whose top address is v. */
static unsigned int bits_for(uint64_t v)
{
	return v ? ilog2_u64(v) + 1 : 1;
}

static uint64_t width_mask(unsigned int w)
{
	return w >= 64 ? ~0ULL : (1ULL << w) - 1;
}

/* Address bits an L-level table with 2^g-byte pages and 8-byte entries maps. */
static unsigned int table_reach(unsigned int levels, unsigned int g)
{
	return g + levels * (g - 3);
}

/* "4K, 2M, 1G" into @buf, for messages. */
static const char *pgsizes_str(uint64_t bm, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int b = 10; b < 64 && n < len; b++) {
		if (!(bm & BIT64(b)))
			continue;
		unsigned int u = b / 10 - 1, m = b % 10;
		int r = snprintf(buf + n, len - n, "%s%u%c", n ? "," : "",
				 1U << m, units[u]);
		n += r < 0 ? 0 : (size_t)r;
	}
	if (bm & (SZ_4K / 4 - 1) && n < len) /* sizes below 1K, if any */
		snprintf(buf + n, len - n, "%s+<1K", n ? "," : "");
	return buf;
}

static const char *levels_str(uint8_t levels, char *buf, size_t len)
{
	size_t n = 0;
	int r;

	r = snprintf(buf, len, "[");
	n = r < 0 ? 0 : (size_t)r;
	for (unsigned int l = 1; l <= 6 && n < len; l++) {
		if (!(levels & (1U << l)))
			continue;
		r = snprintf(buf + n, len - n, "%s%u", n > 1 ? "," : "", l);
		n += r < 0 ? 0 : (size_t)r;
	}
	if (n < len)
		snprintf(buf + n, len - n, "]");
	return buf;
}

static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Read exactly @n hex digits; -1 if any is not one. */
static long hexn(const char *s, unsigned int n)
{
	long v = 0;

	for (unsigned int i = 0; i < n; i++) {
		int d = hexval(s[i]);

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/*
 * Parse "dddd:bb:dd.f" or "bb:dd.f" into the normalised lower-case long
 * form. PCI device numbers stop at 0x1f and functions at 7.
 */
static int bdf_normalise(const char *s, char out[SIM_BDF_MAX], uint16_t *rid)
{
	long dom = 0, bus, dev, fn;
	size_t len = strlen(s);

	if (len == 12 && s[4] == ':') {
		dom = hexn(s, 4);
		s += 5;
		len -= 5;
	}
	if (len != 7 || s[2] != ':' || s[5] != '.' || dom < 0)
		return -1;
	bus = hexn(s, 2);
	dev = hexn(s + 3, 2);
	fn = hexn(s + 6, 1);
	if (bus < 0 || dev < 0 || dev > 0x1f || fn < 0 || fn > 7)
		return -1;
	snprintf(out, SIM_BDF_MAX, "%04lx:%02lx:%02lx.%lx", dom, bus, dev, fn);
	if (rid)
		*rid = (uint16_t)(bus << 8 | dev << 3 | fn);
	return 0;
}

static uint16_t bdf_rid(const char *bdf)
{
	char tmp[SIM_BDF_MAX];
	uint16_t rid = 0;

	bdf_normalise(bdf, tmp, &rid);
	return rid;
}

/* ------------------------------------------------------------------------
 * Registers: synthesis from fields, decoding into fields
 *
 * sync_*() rewrites only the bits a field determines, so the implementation
 * bits of the starting point (fault-recording offsets, queue sizes, ...)
 * survive. decode_*() is the inverse for the same bits. A register set is
 * consistent with the fields exactly when sync leaves it unchanged.
 */

static void sync_vtd(struct sim_profile *p)
{
	uint64_t cap = p->regs.vtd.cap_reg, ecap = p->regs.vtd.ecap_reg;
	uint64_t sagaw = 0, sllps = 0;

	/* SAGAW bit n = (n + 2)-level table, i.e. level L is bit L - 2. */
	for (unsigned int l = 2; l <= 6; l++)
		if (p->levels & (1U << l))
			sagaw |= 1ULL << (l - 2);
	if (p->page_sizes & SZ_2M)
		sllps |= 1;
	if (p->page_sizes & SZ_1G)
		sllps |= 2;

	cap &= ~(VTD_CAP_CM | VTD_CAP_SAGAW | VTD_CAP_MGAW | VTD_CAP_SLLPS |
		 VTD_CAP_FL1GP | VTD_CAP_FL5LP);
	ecap &= ~(VTD_ECAP_DT | VTD_ECAP_NEST | VTD_ECAP_PRS | VTD_ECAP_PSS |
		  VTD_ECAP_PASID | VTD_ECAP_SMTS | VTD_ECAP_SLADS |
		  VTD_ECAP_SLTS);

	if (p->caching_mode)
		cap |= VTD_CAP_CM;
	cap |= field_prep(VTD_CAP_SAGAW, sagaw);
	cap |= field_prep(VTD_CAP_MGAW, p->input_width - 1U);
	cap |= field_prep(VTD_CAP_SLLPS, sllps);

	if (p->ats)
		ecap |= VTD_ECAP_DT;
	if (p->nesting)
		ecap |= VTD_ECAP_NEST;
	if (p->pri)
		ecap |= VTD_ECAP_PRS;
	if (p->pasid_width)
		ecap |= VTD_ECAP_PASID |
			field_prep(VTD_ECAP_PSS, p->pasid_width - 1U);
	if (p->dirty_tracking)
		ecap |= VTD_ECAP_SLADS;

	/*
	 * Scalable mode brings second-stage tables (SLTS); first-stage tables
	 * (FLTS) are an implementation choice kept from the template, except
	 * that nesting needs them and legacy mode has neither. The first-stage
	 * large-page and 5-level bits follow the generic fields.
	 */
	if (p->scalable_mode) {
		ecap |= VTD_ECAP_SMTS | VTD_ECAP_SLTS;
		if (p->nesting)
			ecap |= VTD_ECAP_FLTS;
	} else {
		ecap &= ~VTD_ECAP_FLTS;
	}
	if (ecap & VTD_ECAP_FLTS) {
		if (p->page_sizes & SZ_1G)
			cap |= VTD_CAP_FL1GP;
		if (p->levels & (1U << 5))
			cap |= VTD_CAP_FL5LP;
	}
	p->regs.vtd.cap_reg = cap;
	p->regs.vtd.ecap_reg = ecap;
}

static void sync_smmuv3(struct sim_profile *p)
{
	struct sim_regs_smmuv3 *r = &p->regs.smmuv3;
	uint64_t idr0 = r->idr[0], idr1 = r->idr[1], idr5 = r->idr[5];
	uint64_t httu = field_get(SMMU_IDR0_HTTU, idr0);
	int oas = smmu_oas_encode(p->output_width);

	idr0 &= ~(SMMU_IDR0_S2P | SMMU_IDR0_ATS | SMMU_IDR0_PRI |
		  SMMU_IDR0_HTTU);
	/* Stage 1 is what every domain uses; stage 2 is only for nesting. */
	idr0 |= SMMU_IDR0_S1P;
	if (p->nesting)
		idr0 |= SMMU_IDR0_S2P;
	if (p->ats)
		idr0 |= SMMU_IDR0_ATS;
	if (p->pri)
		idr0 |= SMMU_IDR0_PRI;
	/* Dirty needs HTTU = 2; without it keep at most the access flag. */
	if (p->dirty_tracking)
		httu = 2;
	else if (httu > 1)
		httu = 1;
	idr0 |= field_prep(SMMU_IDR0_HTTU, httu);

	idr1 &= ~SMMU_IDR1_SSIDSIZE;
	idr1 |= field_prep(SMMU_IDR1_SSIDSIZE, p->pasid_width);

	idr5 &= ~(SMMU_IDR5_OAS | SMMU_IDR5_GRAN4K | SMMU_IDR5_GRAN16K |
		  SMMU_IDR5_GRAN64K | SMMU_IDR5_VAX);
	/* A width that is not an OAS size is refused by the checks. */
	idr5 |= field_prep(SMMU_IDR5_OAS, oas < 0 ? 7 : (uint64_t)oas);
	if (p->page_sizes & (SZ_4K | SZ_2M | SZ_1G))
		idr5 |= SMMU_IDR5_GRAN4K;
	if (p->page_sizes & (SZ_16K | SZ_32M))
		idr5 |= SMMU_IDR5_GRAN16K;
	if (p->page_sizes & (SZ_64K | SZ_512M))
		idr5 |= SMMU_IDR5_GRAN64K;
	if (p->input_width > 48)
		idr5 |= field_prep(SMMU_IDR5_VAX, 1);

	r->idr[0] = (uint32_t)idr0;
	r->idr[1] = (uint32_t)idr1;
	r->idr[5] = (uint32_t)idr5;
}

static unsigned int highest_level(uint8_t levels)
{
	return levels ? ilog2_u64(levels) : 0;
}

static void sync_amd(struct sim_profile *p)
{
	uint64_t efr = p->regs.amd.efr;
	unsigned int top = highest_level(p->levels);

	efr &= ~(AMD_EFR_PPRSUP | AMD_EFR_GTSUP | AMD_EFR_HATS |
		 AMD_EFR_PASMAX | AMD_EFR_HDSUP);
	if (p->pri)
		efr |= AMD_EFR_PPRSUP;
	/* PASIDs live in guest (v2) tables: both need guest translation. */
	if (p->nesting || p->pasid_width)
		efr |= AMD_EFR_GTSUP;
	if (p->pasid_width)
		efr |= field_prep(AMD_EFR_PASMAX, p->pasid_width - 1U);
	/* HATS = maximum host levels - 4 (3 is reserved: checks refuse it). */
	efr |= field_prep(AMD_EFR_HATS, top >= 4 ? top - 4 : 3);
	if (p->dirty_tracking)
		efr |= AMD_EFR_HDSUP;
	p->regs.amd.efr = efr;
}

static void sync_virtio(struct sim_profile *p)
{
	p->regs.virtio.page_size_mask = p->page_sizes;
	p->regs.virtio.input_start = p->aperture_start;
	p->regs.virtio.input_end = p->aperture_last;
}

void sim_profile_sync_registers(struct sim_profile *p)
{
	switch (p->vendor) {
	case SIM_VENDOR_VTD:
		sync_vtd(p);
		break;
	case SIM_VENDOR_SMMUV3:
		sync_smmuv3(p);
		break;
	case SIM_VENDOR_AMD:
		sync_amd(p);
		break;
	case SIM_VENDOR_VIRTIO_IOMMU:
		sync_virtio(p);
		break;
	case SIM_VENDOR_GENERIC:
		break;
	}
}

/* Which fields a register set determines, and their decoded values. */
enum {
	D_INPUT = 1U << 0,
	D_OUTPUT = 1U << 1,
	D_LEVELS = 1U << 2,
	D_PGSIZES = 1U << 3,
	D_PASID = 1U << 4,
	D_NESTING = 1U << 5,
	D_DIRTY = 1U << 6,
	D_PRI = 1U << 7,
	D_ATS = 1U << 8,
	D_SCALABLE = 1U << 9,
	D_CACHING = 1U << 10,
	D_APERTURE = 1U << 11,
};

struct decoded {
	unsigned int mask;
	uint8_t input_width, output_width, levels, pasid_width;
	uint64_t page_sizes, ap_start, ap_last;
	bool nesting, dirty, pri, ats, scalable, caching;
};

static int decode_vtd(const struct sim_regs_vtd *r, struct decoded *d,
		      struct perr *e)
{
	uint64_t sagaw = field_get(VTD_CAP_SAGAW, r->cap_reg);
	uint64_t sllps = field_get(VTD_CAP_SLLPS, r->cap_reg);

	d->mask = D_INPUT | D_LEVELS | D_PGSIZES | D_PASID | D_NESTING |
		  D_DIRTY | D_PRI | D_ATS | D_SCALABLE | D_CACHING;
	d->input_width = (uint8_t)(field_get(VTD_CAP_MGAW, r->cap_reg) + 1);
	d->levels = 0;
	for (unsigned int b = 0; b < 5; b++)
		if (sagaw & (1U << b))
			d->levels |= (uint8_t)(1U << (b + 2));
	if (sllps & ~3ULL)
		return fail(e, -EINVAL, "registers.cap_reg",
			    "SLLPS 0x%" PRIx64 " sets reserved bits (512G/1T)",
			    sllps);
	d->page_sizes = SZ_4K | (sllps & 1 ? SZ_2M : 0) |
			(sllps & 2 ? SZ_1G : 0);
	d->pasid_width = r->ecap_reg & VTD_ECAP_PASID ?
		(uint8_t)(field_get(VTD_ECAP_PSS, r->ecap_reg) + 1) : 0;
	d->nesting = r->ecap_reg & VTD_ECAP_NEST;
	d->dirty = r->ecap_reg & VTD_ECAP_SLADS;
	d->pri = r->ecap_reg & VTD_ECAP_PRS;
	d->ats = r->ecap_reg & VTD_ECAP_DT;
	d->scalable = r->ecap_reg & VTD_ECAP_SMTS;
	d->caching = r->cap_reg & VTD_CAP_CM;
	return 0;
}

static int decode_smmuv3(const struct sim_regs_smmuv3 *r, struct decoded *d,
			 struct perr *e)
{
	uint64_t oas = field_get(SMMU_IDR5_OAS, r->idr[5]);
	uint64_t vax = field_get(SMMU_IDR5_VAX, r->idr[5]);

	d->mask = D_INPUT | D_OUTPUT | D_PGSIZES | D_PASID | D_NESTING |
		  D_DIRTY | D_PRI | D_ATS;
	if (oas >= ARRAY_SIZE(smmu_oas_bits))
		return fail(e, -EINVAL, "registers.idr[5]",
			    "OAS encoding %" PRIu64 " is reserved (idr[5] 0x%08x)",
			    oas, r->idr[5]);
	if (vax > 1)
		return fail(e, -EINVAL, "registers.idr[5]",
			    "VAX encoding %" PRIu64 " is reserved (idr[5] 0x%08x)",
			    vax, r->idr[5]);
	d->output_width = smmu_oas_bits[oas];
	d->input_width = vax ? 52 : 48;
	d->page_sizes = 0;
	if (r->idr[5] & SMMU_IDR5_GRAN4K)
		d->page_sizes |= SZ_4K | SZ_2M | SZ_1G;
	if (r->idr[5] & SMMU_IDR5_GRAN16K)
		d->page_sizes |= SZ_16K | SZ_32M;
	if (r->idr[5] & SMMU_IDR5_GRAN64K)
		d->page_sizes |= SZ_64K | SZ_512M;
	d->pasid_width = (uint8_t)field_get(SMMU_IDR1_SSIDSIZE, r->idr[1]);
	d->nesting = (r->idr[0] & SMMU_IDR0_S1P) && (r->idr[0] & SMMU_IDR0_S2P);
	d->dirty = field_get(SMMU_IDR0_HTTU, r->idr[0]) == 2;
	d->pri = r->idr[0] & SMMU_IDR0_PRI;
	d->ats = r->idr[0] & SMMU_IDR0_ATS;
	return 0;
}

static int decode_amd(const struct sim_regs_amd *r, struct decoded *d,
		      struct perr *e)
{
	uint64_t hats = field_get(AMD_EFR_HATS, r->efr);

	d->mask = D_LEVELS | D_PASID | D_NESTING | D_DIRTY | D_PRI;
	if (hats == 3)
		return fail(e, -EINVAL, "registers.efr",
			    "HATS encoding 3 is reserved (efr 0x%016" PRIx64 ")",
			    r->efr);
	/* v1 tables may be 1 up to HATS + 4 levels deep. */
	d->levels = (uint8_t)GENMASK64(hats + 4, 1);
	d->nesting = r->efr & AMD_EFR_GTSUP;
	d->pasid_width = d->nesting ?
		(uint8_t)(field_get(AMD_EFR_PASMAX, r->efr) + 1) : 0;
	d->dirty = r->efr & AMD_EFR_HDSUP;
	d->pri = r->efr & AMD_EFR_PPRSUP;
	return 0;
}

static int decode_virtio(const struct sim_regs_virtio *r, struct decoded *d)
{
	/* virtio-iommu has no PASID, nesting, dirty, PRI or ATS at all. */
	d->mask = D_INPUT | D_PGSIZES | D_APERTURE | D_PASID | D_NESTING |
		  D_DIRTY | D_PRI | D_ATS;
	d->page_sizes = r->page_size_mask;
	d->ap_start = r->input_start;
	d->ap_last = r->input_end;
	d->input_width = (uint8_t)bits_for(r->input_end);
	d->pasid_width = 0;
	d->nesting = d->dirty = d->pri = d->ats = false;
	return 0;
}

static int decode_regs(const struct sim_profile *p, struct decoded *d,
		       struct perr *e)
{
	memset(d, 0, sizeof(*d));
	switch (p->vendor) {
	case SIM_VENDOR_VTD:
		return decode_vtd(&p->regs.vtd, d, e);
	case SIM_VENDOR_SMMUV3:
		return decode_smmuv3(&p->regs.smmuv3, d, e);
	case SIM_VENDOR_AMD:
		return decode_amd(&p->regs.amd, d, e);
	case SIM_VENDOR_VIRTIO_IOMMU:
		return decode_virtio(&p->regs.virtio, d);
	case SIM_VENDOR_GENERIC:
		break;
	}
	return 0;
}

/* The register (as a key path) that carries a decoded field, for messages. */
static const char *reg_key_for(enum sim_vendor v, unsigned int field)
{
	switch (v) {
	case SIM_VENDOR_VTD:
		return field & (D_INPUT | D_LEVELS | D_PGSIZES | D_CACHING) ?
			"registers.cap_reg" : "registers.ecap_reg";
	case SIM_VENDOR_SMMUV3:
		if (field & (D_INPUT | D_OUTPUT | D_PGSIZES))
			return "registers.idr[5]";
		return field & D_PASID ? "registers.idr[1]" : "registers.idr[0]";
	case SIM_VENDOR_AMD:
		return "registers.efr";
	case SIM_VENDOR_VIRTIO_IOMMU:
		if (field & D_PGSIZES)
			return "registers.page_size_mask";
		if (field & (D_INPUT | D_APERTURE))
			return "registers.input_range";
		return "model";
	case SIM_VENDOR_GENERIC:
		break;
	}
	return "registers";
}

/* Raw value of the register reg_key_for() names, for messages. */
static uint64_t reg_value_for(const struct sim_profile *p, unsigned int field)
{
	switch (p->vendor) {
	case SIM_VENDOR_VTD:
		return field & (D_INPUT | D_LEVELS | D_PGSIZES | D_CACHING) ?
			p->regs.vtd.cap_reg : p->regs.vtd.ecap_reg;
	case SIM_VENDOR_SMMUV3:
		if (field & (D_INPUT | D_OUTPUT | D_PGSIZES))
			return p->regs.smmuv3.idr[5];
		return field & D_PASID ? p->regs.smmuv3.idr[1] :
					 p->regs.smmuv3.idr[0];
	case SIM_VENDOR_AMD:
		return p->regs.amd.efr;
	case SIM_VENDOR_VIRTIO_IOMMU:
		if (field & D_PGSIZES)
			return p->regs.virtio.page_size_mask;
		return p->regs.virtio.input_end;
	case SIM_VENDOR_GENERIC:
		break;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Default reserved regions (what the Linux driver of each model reports)
 */

static void dev_add_region(struct sim_dev_desc *d, uint64_t start,
			   uint64_t last, enum sim_resv_type type)
{
	if (d->nr_regions >= SIM_DEV_MAX_REGIONS)
		return;
	d->regions[d->nr_regions++] = (struct sim_resv_region){
		.start = start, .last = last, .type = type,
	};
}

static void dev_default_regions(enum sim_vendor v, struct sim_dev_desc *d)
{
	d->nr_regions = 0;
	switch (v) {
	case SIM_VENDOR_VTD:
		/* intel_iommu_get_resv_regions(): IOAPIC range as MSI. */
		dev_add_region(d, X86_MSI_START, X86_MSI_LAST, SIM_RESV_MSI);
		break;
	case SIM_VENDOR_AMD:
		/* amd_iommu_get_resv_regions(): MSI window + HT hole. */
		dev_add_region(d, X86_MSI_START, X86_MSI_LAST, SIM_RESV_MSI);
		dev_add_region(d, AMD_HT_START, AMD_HT_LAST,
			       SIM_RESV_RESERVED);
		break;
	case SIM_VENDOR_SMMUV3:
		/* arm_smmu_get_resv_regions(): MSI_IOVA_BASE, 1 MiB. */
		dev_add_region(d, ARM_SW_MSI_START, ARM_SW_MSI_LAST,
			       SIM_RESV_SW_MSI);
		break;
	case SIM_VENDOR_VIRTIO_IOMMU:
		/* PROBE: VIRTIO_IOMMU_PROBE_T_RESV_MEM, subtype MSI (x86). */
		dev_add_region(d, X86_MSI_START, X86_MSI_LAST, SIM_RESV_MSI);
		break;
	case SIM_VENDOR_GENERIC:
		break;
	}
}

static void dev_init(struct sim_profile *p, const char *name,
		     const char *bdf, uint64_t page_sizes, uint8_t pasid_width,
		     bool pri, bool ats)
{
	struct sim_dev_desc *d = &p->devices[p->nr_devices++];

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	d->page_sizes = page_sizes;
	d->pasid_width = pasid_width;
	d->pri = pri;
	d->ats = ats;
	dev_default_regions(p->vendor, d);
}
