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
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* strnlen, fileno, fopen "e" */
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/alloc.h"
#include "profile.h"

#define BIT64(n)		(1ULL << (n))
#define GENMASK64(h, l)		((~0ULL >> (63 - (h))) & (~0ULL << (l)))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#define SZ_4K		0x1000ULL
#define SZ_16K		0x4000ULL
#define SZ_64K		0x10000ULL
#define SZ_2M		0x200000ULL
#define SZ_32M		0x2000000ULL
#define SZ_512M		0x20000000ULL
#define SZ_1G		0x40000000ULL

/* Every power of two from 4 KiB up: the most any model may list. */
#define PGSIZES_ANY	(~(SZ_4K - 1))

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
		snprintf(buf, len, json_object_size(v) ? "an object" : "{}");
		break;
	case JSON_ARRAY:
		if (json_array_size(v))
			snprintf(buf, len, "an array of %zu", json_array_size(v));
		else
			snprintf(buf, len, "[]");
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

/* The first entry is the default profile (docs/profile-format.md: `vtd`). */
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

static unsigned int highest_level(uint8_t levels)
{
	return levels ? ilog2_u64(levels) : 0;
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
	snprintf(out, SIM_BDF_MAX, "%04x:%02x:%02x.%x",
		 (unsigned int)dom & 0xffff, (unsigned int)bus & 0xff,
		 (unsigned int)dev & 0x1f, (unsigned int)fn & 7);
	if (rid)
		*rid = (uint16_t)(bus << 8 | dev << 3 | fn);
	return 0;
}

/* ------------------------------------------------------------------------
 * Registers: the vendor model (lib/vendor) synthesizes and decodes them
 *
 * vendor_sync() rewrites only the bits a field determines, so the
 * implementation bits of the starting point (fault-recording offsets, queue
 * sizes, ...) survive. vendor_derive() is the inverse for the same bits. A
 * register set is consistent with the fields exactly when sync leaves it
 * unchanged.
 */

static const struct vendor_model *const sim_models[] = {
	[SIM_VENDOR_GENERIC] = NULL, /* no registers */
	[SIM_VENDOR_VTD] = &vendor_vtd,
	[SIM_VENDOR_SMMUV3] = &vendor_smmuv3,
	[SIM_VENDOR_AMD] = &vendor_amd,
	[SIM_VENDOR_VIRTIO_IOMMU] = &vendor_virtio_iommu,
};

static const struct vendor_model *model_of(enum sim_vendor v)
{
	return (unsigned int)v < ARRAY_SIZE(sim_models) ? sim_models[v] : NULL;
}

const struct vendor_model *sim_profile_model(const struct sim_profile *p)
{
	return model_of(p->vendor);
}

/* Synthesize into @r (which may be &p->regs) from @p's fields. */
static void sync_into(const struct sim_profile *p, union vendor_regs *r)
{
	const struct vendor_model *m = model_of(p->vendor);
	const struct vendor_props vp = {
		.input_width = p->input_width,
		.output_width = p->output_width,
		.levels = p->levels,
		.pasid_width = p->pasid_width,
		.page_sizes = p->page_sizes,
		.ap_start = p->aperture_start,
		.ap_last = p->aperture_last,
		.nesting = p->nesting,
		.dirty = p->dirty_tracking,
		.pri = p->pri,
		.ats = p->ats,
		.scalable = p->scalable_mode,
		.caching = p->caching_mode,
	};

	if (m)
		vendor_sync(m, &vp, r);
}

void sim_profile_sync_registers(struct sim_profile *p)
{
	if (p)
		sync_into(p, &p->regs);
}

/* Which fields a register set determines (struct vendor_props.mask). */
enum {
	D_INPUT = VP_INPUT,
	D_OUTPUT = VP_OUTPUT,
	D_LEVELS = VP_LEVELS,
	D_PGSIZES = VP_PGSIZES,
	D_PASID = VP_PASID,
	D_NESTING = VP_NESTING,
	D_DIRTY = VP_DIRTY,
	D_PRI = VP_PRI,
	D_ATS = VP_ATS,
	D_SCALABLE = VP_SCALABLE,
	D_CACHING = VP_CACHING,
	D_APERTURE = VP_APERTURE,
};

/* The fields the registers determine, and their values. */
static int decode_regs(const struct sim_profile *p, struct vendor_props *d,
		       struct perr *e)
{
	const struct vendor_model *m = model_of(p->vendor);
	struct vendor_err ve;
	char path[64];

	memset(d, 0, sizeof(*d));
	if (!m || !vendor_derive(m, &p->regs, d, &ve))
		return 0;
	snprintf(path, sizeof(path), "registers.%s", ve.reg);
	return fail(e, -EINVAL, path, "%s", ve.msg);
}

/*
 * The register (as a key path) that carries a decoded field, and its
 * value, for messages.
 */
static const char *reg_key_for(const struct sim_profile *p, unsigned int field,
			       uint64_t *value, char *buf, size_t len)
{
	const struct vendor_model *m = model_of(p->vendor);
	const char *name;
	char reg[48];

	*value = 0;
	if (!m)
		return "registers";
	name = vendor_prop_reg(m, field, &p->regs, value, reg, sizeof(reg));
	if (!name)
		return "model";
	snprintf(buf, len, "registers.%s", name);
	return buf;
}

/* The registers must be what the fields synthesize. */
static int check_regs_synced(const struct sim_profile *p, struct perr *e)
{
	const struct vendor_model *m = model_of(p->vendor);
	union vendor_regs synced = p->regs;
	char reg[48], path[64];
	const char *name;
	uint64_t va, vb;

	if (!m)
		return 0;
	sync_into(p, &synced);
	name = vendor_regs_differ(m, &p->regs, &synced, &va, &vb, reg, sizeof(reg));
	if (!name)
		return 0;
	snprintf(path, sizeof(path), "registers.%s", name);
	return fail(e, -EINVAL, path,
		    "0x%" PRIx64 " disagrees with the profile's fields, which give 0x%" PRIx64,
		    va, vb);
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

/* ------------------------------------------------------------------------
 * Built-in profiles
 *
 * Each builder fills a zeroed profile with fields and registers that agree;
 * sim_profile_load() still runs the full check on them, and the unit test
 * decodes every register bit on its own.
 */

/*
 * vtd (the default): a VT-d 4.x DMA-remapping unit in scalable mode, as on
 * recent Xeon servers, with the features a VMM needs: 48-bit IOVA with
 * 4-level tables (SAGAW also offers 5-level, FL5LP set), 46-bit host
 * addresses (HAW of a typical Xeon Scalable system), 4K/2M/1G pages on both
 * stages (SLLPS 0b11, FL1GP), 20-bit PASIDs (ECAP.PASID, PSS 19), nesting
 * (NEST, FLTS + SLTS), page requests (PRS) and ATS (DT), and second-stage
 * access/dirty bits for dirty tracking (SLADS).
 *
 * The register values are ours, not copied from one machine. Bits no field
 * decides are typical values: cap ND 6 (64K domains), ZLR, FRO 0x400, NFR 8,
 * PSI, MAMV 18, read/write drain, PI, ESRTPS/ESIRTPS; ecap C, QI, IR, EIM,
 * PT, SC, IRO 0x500, MHMV 15, MTS, ERS, SRS, NWFS, EAFS, DIT, PDS, SMPWC,
 * RPS. Decoded:
 *   cap_reg  0xd9d2078c406f0c06: SAGAW 0b01100 (4+5 level), MGAW 47,
 *            SLLPS 0b11, FL1GP, FL5LP, CM 0
 *   ecap_reg 0x0003ef9ee6f050df: DT, NEST, PRS, PSS 19, PASID, SMTS,
 *            SLADS, SLTS, FLTS
 * Devices: sim0 does everything (PASID 20, PRI, ATS), sim1 has no PASID,
 * sim2 maps 4 KiB pages only. Each reports the IOAPIC/MSI window
 * 0xfee00000-0xfeefffff as an MSI region, as the Linux driver does.
 */
static void build_vtd(struct sim_profile *p)
{
	p->vendor = SIM_VENDOR_VTD;
	p->input_width = 48;
	p->output_width = 46;
	p->levels = 1U << 4 | 1U << 5;
	p->page_sizes = SZ_4K | SZ_2M | SZ_1G;
	p->pasid_width = 20;
	p->nesting = true;
	p->dirty_tracking = true;
	p->pri = true;
	p->ats = true;
	p->scalable_mode = true;
	p->caching_mode = false;
	p->iotlb_size = 2048;
	p->regs.vtd.cap_reg = 0xd9d2078c406f0c06ULL;
	p->regs.vtd.ecap_reg = 0x0003ef9ee6f050dfULL;

	dev_init(p, "sim0", "0000:01:00.0", SZ_4K | SZ_2M | SZ_1G, 20,
		 true, true);
	dev_init(p, "sim1", "0000:02:00.0", SZ_4K | SZ_2M | SZ_1G, 0,
		 false, true);
	dev_init(p, "sim2", "0000:03:00.0", SZ_4K, 0, false, false);
}

/*
 * qemu-vtd: what QEMU 7.2's "-device intel-iommu,intremap=on,caching-mode=on"
 * shows a Linux guest on "-machine q35,accel=kvm,kernel-irqchip=split"
 * (intremap=on needs the split irqchip under KVM).
 *
 * Derivation from QEMU 7.2 hw/i386/intel_iommu.c vtd_init() and
 * intel_iommu_internal.h, with the property defaults of that release
 * (aw-bits=39, dma-drain=on, dma-translation=on, pt=on, device-iotlb=off,
 * x-scalable-mode=off, snoop-control=off, x-pasid-mode=off):
 *   cap  = FRO  (0x220 << 20 = 0x22000000: fault regs at 0x220)
 *        | NFR  (1 register -> 0)
 *        | ND   ((16 - 4) / 2 = 6: 16-bit domain IDs)
 *        | MAMV (18 << 48)
 *        | PSI  (bit 39)
 *        | SLLPS ((1 << 34) | (1 << 35): 2 MiB *and* 1 GiB, advertised
 *               unconditionally; QEMU 7.2 has no knob for it)
 *        | MGAW (39 - 1 = 38 << 16)
 *        | DRAIN (bits 54, 55: dma-drain defaults on)
 *        | SAGAW 39-bit (0x2 << 8: 3-level only, aw-bits = 39)
 *        | CM   (bit 7: caching-mode=on)
 *        = 0x00d2008c22260286
 *   ecap = QI (bit 1) | IRO (0xf0 << 4 = 0xf00: IOTLB regs at 0xf0)
 *        | IR (bit 3) | MHMV (15 << 20)           intremap=on
 *        | EIM (bit 4)    eim=auto -> on with the in-kernel (split) irqchip
 *        | PT (bit 6)     pt defaults on
 *        = 0x0000000000f00f5a
 * A guest prints exactly "cap d2008c22260286 ecap f00f5a" for this command
 * line (the values are unchanged from QEMU 4.2 to 7.2). Under TCG, EIM is
 * off (ecap 0xf00f4a); from QEMU 9.x the defaults move (ESRTPS, aw-bits 48).
 *
 * So: legacy mode, 39-bit input and host address width (DMAR HAW 39),
 * 3-level tables, 4K/2M/1G pages, no PASID/PRI/ATS/nesting/dirty. The
 * guest's IOTLB is QEMU's hash of at most 1024 entries (VTD_IOTLB_MAX_SIZE).
 * One device, modelled on QEMU's "edu" test device at 0000:00:01.0 (plain
 * PCI: no ATS, PRI or PASID), with the MSI window reserved.
 */
static void build_qemu_vtd(struct sim_profile *p)
{
	p->vendor = SIM_VENDOR_VTD;
	p->input_width = 39;
	p->output_width = 39;
	p->levels = 1U << 3;
	p->page_sizes = SZ_4K | SZ_2M | SZ_1G;
	p->pasid_width = 0;
	p->nesting = false;
	p->dirty_tracking = false;
	p->pri = false;
	p->ats = false;
	p->scalable_mode = false;
	p->caching_mode = true;
	p->iotlb_size = 1024;
	p->regs.vtd.cap_reg = 0x00d2008c22260286ULL;
	p->regs.vtd.ecap_reg = 0x0000000000f00f5aULL;

	dev_init(p, "sim0", "0000:00:01.0", SZ_4K | SZ_2M | SZ_1G, 0,
		 false, false);
}

/*
 * smmuv3: an SMMUv3.2 (AIDR 0x02) with 2-level stream tables (ST_LEVEL 1,
 * SIDSIZE 16: one PCIe segment of RIDs), stage 1 and 2 (S1P, S2P: nesting),
 * AArch64 tables (TTF 2), coherent walks (COHACC), 16-bit ASIDs/VMIDs,
 * 2-level CD tables (CD2L), stall model 0 (stall and terminate both
 * supported) plus PCIe PRI, ATS, HTTU 2 (hardware access *and* dirty
 * flags: dirty tracking), 20-bit SubstreamIDs (SSIDSIZE 20), 48-bit input
 * (VAX 0) and output (OAS 5), 4K/16K/64K granules (with their 2M/1G, 32M
 * and 512M blocks, as Linux's arm_smmu_device_hw_probe() adds them), range
 * invalidation (IDR3.RIL), queues of 2^19 entries.
 *   idr = {0x080d769b, 0x02739d10, 0, 0x00000400, 0, 0x00800075}
 * IIDR is 0 (an unnamed implementation) on purpose: Linux drops nesting for
 * Arm's MMU-600 before r2 and for MMU-700 (errata 1209401, 2268618), and a
 * profile claiming one of those with nesting would contradict the driver.
 * Devices get Linux's software MSI window 0x8000000-0x80fffff (SW_MSI).
 */
static void build_smmuv3(struct sim_profile *p)
{
	const uint64_t all = SZ_4K | SZ_2M | SZ_1G | SZ_16K | SZ_32M |
			     SZ_64K | SZ_512M;

	p->vendor = SIM_VENDOR_SMMUV3;
	p->input_width = 48;
	p->output_width = 48;
	p->levels = 0x1e;	/* 1..4 */
	p->page_sizes = all;
	p->pasid_width = 20;
	p->nesting = true;
	p->dirty_tracking = true;
	p->pri = true;
	p->ats = true;
	p->iotlb_size = 2048;
	p->regs.smmuv3 = (struct ioasid_cap_smmuv3){
		.idr = { 0x080d769b, 0x02739d10, 0, 0x00000400, 0, 0x00800075 },
		.iidr = 0,
		.aidr = 0x02,
	};

	dev_init(p, "sim0", "0000:01:00.0", all, 20, true, true);
	dev_init(p, "sim1", "0000:02:00.0", SZ_4K | SZ_2M | SZ_1G, 0,
		 false, false);
	dev_init(p, "sim2", "0000:03:00.0", SZ_64K | SZ_512M, 0,
		 false, true);
}

/*
 * amd: an AMD-Vi IOMMU with guest translation (GTSup: v2 tables, PASIDs,
 * nesting) and peripheral page requests (PPRSup), PASmax 15 (16-bit PASIDs,
 * the most Linux uses), HATS 2 (v1 tables up to 6 levels), GATS 0 (4-level
 * guest tables), no host dirty bits (HDSup 0). The EFR is the one printed
 * by a public EPYC boot log, "AMD-Vi: Extended features
 * (0x246577efa2254afa, 0x10): PPR NX GT [5] IA GA PC GA_vAPIC"; EFR2 0x10
 * from the same line. 48-bit IOVA and host addresses, 4K/2M/1G pages (what
 * Linux's v2 tables offer). ATS is per device on AMD (IOTLBSup is in the
 * capability header, not the EFR). Devices report the MSI window and the
 * HyperTransport hole 0xfd00000000-0xffffffffff, as Linux does.
 */
static void build_amd(struct sim_profile *p)
{
	p->vendor = SIM_VENDOR_AMD;
	p->input_width = 48;
	p->output_width = 48;
	p->levels = 0x7e;	/* 1..6 */
	p->page_sizes = SZ_4K | SZ_2M | SZ_1G;
	p->pasid_width = 16;
	p->nesting = true;
	p->dirty_tracking = false;
	p->pri = true;
	p->ats = true;
	p->iotlb_size = 2048;
	p->regs.amd.efr = 0x246577efa2254afaULL;
	p->regs.amd.efr2 = 0x10;

	dev_init(p, "sim0", "0000:01:00.0", SZ_4K | SZ_2M | SZ_1G, 16,
		 true, true);
	dev_init(p, "sim1", "0000:02:00.0", SZ_4K | SZ_2M | SZ_1G, 0,
		 false, false);
}

/*
 * virtio-iommu: a virtio-iommu device (virtio 1.2 §5.13) with a 4 KiB
 * granule (page_size_mask 0x1000), input range 0..2^48-1, domain IDs
 * 0..65535 and PROBE (probe_size 512, QEMU's VIOMMU_PROBE_SIZE). Features:
 * INPUT_RANGE, DOMAIN_RANGE, MAP_UNMAP, PROBE, MMIO, BYPASS_CONFIG, the set
 * QEMU offers. QEMU 7.2 itself advertises TARGET_PAGE_MASK (every size from
 * 4 KiB), input end 2^64-1 and domain end 2^32-1; this profile is the
 * narrower, more typical 48-bit configuration (later QEMUs can be set up
 * so with their granule= and aw-bits= properties; examples/profiles/ has
 * the 7.2 defaults as a profile file). No PASID, PRI, ATS, nesting
 * or dirty tracking exist in virtio-iommu. Devices report the x86 MSI
 * window as a RESV_MEM probe property of subtype MSI. There is no IOTLB:
 * the device looks mappings up directly.
 */
static void build_virtio(struct sim_profile *p)
{
	p->vendor = SIM_VENDOR_VIRTIO_IOMMU;
	p->input_width = 48;
	p->output_width = 48;
	p->levels = 1U << 4;
	p->page_sizes = SZ_4K;
	p->iotlb_size = 0;
	p->regs.virtio = (struct ioasid_cap_virtio_iommu){
		.page_size_mask = SZ_4K,
		.input_start = 0,
		.input_end = (1ULL << 48) - 1,
		.domain_start = 0,
		.domain_end = 65535,
		.probe_size = 512,
		.features = IOASID_VIRTIO_IOMMU_F_INPUT_RANGE |
			    IOASID_VIRTIO_IOMMU_F_DOMAIN_RANGE |
			    IOASID_VIRTIO_IOMMU_F_MAP_UNMAP |
			    IOASID_VIRTIO_IOMMU_F_PROBE | IOASID_VIRTIO_IOMMU_F_MMIO |
			    IOASID_VIRTIO_IOMMU_F_BYPASS_CONFIG,
	};

	dev_init(p, "sim0", "0000:01:00.0", SZ_4K, 0, false, false);
	dev_init(p, "sim1", "0000:02:00.0", SZ_4K, 0, false, false);
}

/*
 * generic: the least an IOMMU can be, for tests that must not depend on any
 * vendor: 48-bit in and out, 4-level 4 KiB tables, 4 KiB pages only, no
 * PASID or other features, no registers and no reserved regions.
 */
static void build_generic(struct sim_profile *p)
{
	p->vendor = SIM_VENDOR_GENERIC;
	p->input_width = 48;
	p->output_width = 48;
	p->levels = 1U << 4;
	p->page_sizes = SZ_4K;
	p->iotlb_size = 256;

	dev_init(p, "sim0", "0000:01:00.0", SZ_4K, 0, false, false);
	dev_init(p, "sim1", "0000:02:00.0", SZ_4K, 0, false, false);
}

struct builtin {
	const char *name;
	void (*build)(struct sim_profile *p);
};

static const struct builtin builtins[] = {
	{ "vtd", build_vtd },
	{ "qemu-vtd", build_qemu_vtd },
	{ "smmuv3", build_smmuv3 },
	{ "amd", build_amd },
	{ "virtio-iommu", build_virtio },
	{ "generic", build_generic },
};

/* Fill a zeroed @p with built-in @name; -ENOENT if there is none. */
static int build_builtin(struct sim_profile *p, const char *name)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(builtins); i++) {
		if (strcmp(name, builtins[i].name))
			continue;
		memset(p, 0, sizeof(*p));
		snprintf(p->name, sizeof(p->name), "%s", name);
		builtins[i].build(p);
		p->aperture_start = 0;
		p->aperture_last = width_mask(p->input_width);
		return 0;
	}
	return -ENOENT;
}

/* ------------------------------------------------------------------------
 * Validation
 */

static void subpath(char *buf, size_t len, const char *prefix, const char *key)
{
	if (prefix && *prefix)
		snprintf(buf, len, "%s.%s", prefix, key);
	else
		snprintf(buf, len, "%s", key);
}

static const char *desc_pgsizes(uint64_t bm, char *buf, size_t len)
{
	char list[160];

	snprintf(buf, len, "0x%" PRIx64 " (%s)", bm,
		 bm ? pgsizes_str(bm, list, sizeof(list)) : "none");
	return buf;
}

/* Name rules shared by profiles and devices; @max counts the NUL. */
static int check_name(const char *name, size_t max, const char *path,
		      struct perr *e)
{
	size_t len = strnlen(name, max);

	if (len == max)
		return fail(e, -E2BIG, path,
			    "name \"%.*s...\" is longer than the %zu bytes that fit",
			    24, name, max - 1);
	if (!len)
		return fail(e, -EINVAL, path, "name is empty");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (name_char_ok(name[i]))
			continue;
		if (c > 0x20 && c < 0x7f)
			return fail(e, -EINVAL, path,
				    "name \"%s\" has '%c'; use A-Z a-z 0-9 _ . -",
				    name, c);
		return fail(e, -EINVAL, path,
			    "name has byte 0x%02x at %zu; use A-Z a-z 0-9 _ . -",
			    c, i);
	}
	return 0;
}

static bool regions_overlap(const struct sim_resv_region *a,
			    const struct sim_resv_region *b)
{
	return a->start <= b->last && b->start <= a->last;
}

/*
 * One device against its IOMMU. @pfx is the device's key path
 * ("devices[2]", or the name for a hot-added one). Uniqueness is the
 * caller's business.
 */
static int check_device(const struct sim_profile *p,
			const struct sim_dev_desc *d, const char *pfx,
			struct perr *e)
{
	char path[128], b1[200], b2[200], rkey[32], norm[SIM_BDF_MAX];
	uint16_t rid;
	int ret;

	subpath(path, sizeof(path), pfx, "name");
	ret = check_name(d->name, sizeof(d->name), path, e);
	if (ret)
		return ret;

	subpath(path, sizeof(path), pfx, "bdf");
	if (strnlen(d->bdf, sizeof(d->bdf)) == sizeof(d->bdf) ||
	    bdf_normalise(d->bdf, norm, &rid) || strcmp(norm, d->bdf))
		return fail(e, -EINVAL, path,
			    "\"%.*s\" is not a PCI address in the form dddd:bb:dd.f",
			    (int)sizeof(d->bdf), d->bdf);
	if (p->vendor == SIM_VENDOR_SMMUV3) {
		struct ioasid_cap_smmuv3 c = p->regs.smmuv3;
		unsigned int sidsize;

		ioasid_cap_smmuv3_decode(&c);
		sidsize = c.sidsize;
		if (sidsize < 16 && rid >> sidsize)
			return fail(e, -EINVAL, path,
				    "\"%s\" is StreamID 0x%04x, beyond the %u-bit SIDSIZE of registers.idr[1]",
				    d->bdf, rid, sidsize);
	}

	subpath(path, sizeof(path), pfx, "page_sizes");
	if (!d->page_sizes)
		return fail(e, -EINVAL, path,
			    "page-size bitmap must not be 0 (got 0x0)");
	if (d->page_sizes & ~p->page_sizes)
		return fail(e, -EINVAL, path,
			    "%s includes sizes the IOMMU cannot map; it maps %s",
			    desc_pgsizes(d->page_sizes, b1, sizeof(b1)),
			    desc_pgsizes(p->page_sizes, b2, sizeof(b2)));

	subpath(path, sizeof(path), pfx, "pasid_width");
	if (d->pasid_width > SIM_PASID_WIDTH_MAX)
		return fail(e, -EINVAL, path,
			    "pasid_width %u exceeds the PCIe maximum of %u",
			    d->pasid_width, SIM_PASID_WIDTH_MAX);
	if (d->pasid_width > p->pasid_width)
		return fail(e, -EINVAL, path,
			    "pasid_width %u exceeds the IOMMU's pasid_width %u",
			    d->pasid_width, p->pasid_width);

	subpath(path, sizeof(path), pfx, "pri");
	if (d->pri && !d->ats)
		return fail(e, -EINVAL, path,
			    "pri true needs ats true (PCIe PRI requires ATS)");
	if (d->pri && !p->pri)
		return fail(e, -EINVAL, path,
			    "pri true, but the IOMMU takes no page requests");
	subpath(path, sizeof(path), pfx, "ats");
	if (d->ats && !p->ats)
		return fail(e, -EINVAL, path,
			    "ats true, but the IOMMU does not serve ATS");

	subpath(path, sizeof(path), pfx, "reserved");
	if (d->nr_regions > SIM_DEV_MAX_REGIONS)
		return fail(e, -E2BIG, path, "%u regions; at most %u fit",
			    d->nr_regions, SIM_DEV_MAX_REGIONS);
	if (d->nr_regions && p->vendor == SIM_VENDOR_VIRTIO_IOMMU &&
	    !(p->regs.virtio.features & IOASID_VIRTIO_IOMMU_F_PROBE))
		return fail(e, -EINVAL, path,
			    "virtio-iommu reports reserved regions only by PROBE, and registers.features lacks VIRTIO_IOMMU_F_PROBE");
	for (unsigned int i = 0; i < d->nr_regions; i++) {
		const struct sim_resv_region *r = &d->regions[i];

		snprintf(rkey, sizeof(rkey), "reserved[%u]", i);
		subpath(path, sizeof(path), pfx, rkey);
		if ((unsigned int)r->type >= ARRAY_SIZE(resv_names))
			return fail(e, -EINVAL, path, "unknown type %u",
				    (unsigned int)r->type);
		if (r->start > r->last)
			return fail(e, -EINVAL, path,
				    "start 0x%" PRIx64 " is above last 0x%" PRIx64,
				    r->start, r->last);
		for (unsigned int j = 0; j < i; j++) {
			const struct sim_resv_region *o = &d->regions[j];

			if (regions_overlap(r, o))
				return fail(e, -EINVAL, path,
					    "[0x%" PRIx64 ", 0x%" PRIx64 "] overlaps reserved[%u] [0x%" PRIx64 ", 0x%" PRIx64 "]",
					    r->start, r->last, j, o->start,
					    o->last);
		}
	}
	return 0;
}

static int check_vendor(const struct sim_profile *p, struct perr *e)
{
	char b1[200];

	if (p->vendor != SIM_VENDOR_VTD) {
		if (p->scalable_mode)
			return fail(e, -EINVAL, "scalable_mode",
				    "true, but only model vtd has a scalable mode (model is %s)",
				    sim_vendor_name(p->vendor));
		if (p->caching_mode)
			return fail(e, -EINVAL, "caching_mode",
				    "true, but only model vtd has a caching mode (model is %s)",
				    sim_vendor_name(p->vendor));
	}

	switch (p->vendor) {
	case SIM_VENDOR_VTD:
		if (!(p->page_sizes & SZ_4K))
			return fail(e, -EINVAL, "page_sizes",
				    "%s lacks 4K, the VT-d base page",
				    desc_pgsizes(p->page_sizes, b1, sizeof(b1)));
		/* VT-d 3.0+: PASIDs, nesting, A/D bits and PRS need scalable mode. */
		if (!p->scalable_mode) {
			if (p->pasid_width)
				return fail(e, -EINVAL, "pasid_width",
					    "%u, but PASIDs need scalable_mode",
					    p->pasid_width);
			if (p->nesting)
				return fail(e, -EINVAL, "nesting",
					    "true, but nesting needs scalable_mode");
			if (p->dirty_tracking)
				return fail(e, -EINVAL, "dirty_tracking",
					    "true, but second-stage dirty bits need scalable_mode");
			if (p->pri)
				return fail(e, -EINVAL, "pri",
					    "true, but page requests need scalable_mode");
		}
		break;
	case SIM_VENDOR_SMMUV3: {
		uint64_t want = 0;

		if (!vendor_field_holds(&vendor_smmuv3, "oas_bits", p->output_width))
			return fail(e, -EINVAL, "output_width",
				    "%u is not an SMMUv3 OAS size (%s)", p->output_width,
				    vendor_field_values(&vendor_smmuv3, "oas_bits", b1,
							sizeof(b1)));
		/* Linux adds each granule with all its block sizes. */
		if (p->page_sizes & (SZ_4K | SZ_2M | SZ_1G))
			want |= SZ_4K | SZ_2M | SZ_1G;
		if (p->page_sizes & (SZ_16K | SZ_32M))
			want |= SZ_16K | SZ_32M;
		if (p->page_sizes & (SZ_64K | SZ_512M))
			want |= SZ_64K | SZ_512M;
		if (p->page_sizes != want)
			return fail(e, -EINVAL, "page_sizes",
				    "%s is not a union of whole granules (4K,2M,1G / 16K,32M / 64K,512M)",
				    desc_pgsizes(p->page_sizes, b1, sizeof(b1)));
		break;
	}
	case SIM_VENDOR_AMD: {
		unsigned int top = highest_level(p->levels);
		struct ioasid_cap_amd c = p->regs.amd;

		if (top < 4 || p->levels != (uint8_t)GENMASK64(top, 1))
			return fail(e, -EINVAL, "levels",
				    "%s; AMD v1 tables take every depth from 1 up to 4, 5 or 6 (EFR.HATS)",
				    levels_str(p->levels, b1, sizeof(b1)));
		if (p->nesting != (p->pasid_width > 0))
			return fail(e, -EINVAL, "nesting",
				    "%s with pasid_width %u; on AMD both come from EFR.GTSup (guest translation), so they go together",
				    p->nesting ? "true" : "false",
				    p->pasid_width);
		ioasid_cap_amd_decode(&c);
		if (!c.guest_levels)
			return fail(e, -EINVAL, "registers.efr",
				    "GATS encoding %u is reserved (efr 0x%016" PRIx64 ")",
				    c.gats, c.efr);
		break;
	}
	case SIM_VENDOR_VIRTIO_IOMMU: {
		const struct ioasid_cap_virtio_iommu *r = &p->regs.virtio;
		const uint64_t defined = cap_named_bits(IOASID_CAP_VIRTIO_IOMMU);

		if (p->pasid_width || p->nesting || p->dirty_tracking ||
		    p->pri || p->ats) {
			const char *k = p->pasid_width ? "pasid_width" :
					p->nesting ? "nesting" :
					p->dirty_tracking ? "dirty_tracking" :
					p->pri ? "pri" : "ats";

			return fail(e, -EINVAL, k,
				    "virtio-iommu has no %s (must be 0/false)", k);
		}
		if (r->features & ~defined)
			return fail(e, -EINVAL, "registers.features",
				    "0x%" PRIx64 " has bits beyond the defined 0x%" PRIx64,
				    r->features, defined);
		if (!(r->features & IOASID_VIRTIO_IOMMU_F_MAP_UNMAP))
			return fail(e, -EINVAL, "registers.features",
				    "0x%" PRIx64 " lacks VIRTIO_IOMMU_F_MAP_UNMAP, without which nothing can be mapped",
				    r->features);
		if ((r->features & IOASID_VIRTIO_IOMMU_F_PROBE) && !r->probe_size)
			return fail(e, -EINVAL, "registers.probe_size",
				    "0 with VIRTIO_IOMMU_F_PROBE offered");
		if (!(r->features & IOASID_VIRTIO_IOMMU_F_INPUT_RANGE) &&
		    (p->aperture_start || p->aperture_last != ~0ULL))
			return fail(e, -EINVAL, "registers.features",
				    "0x%" PRIx64 " lacks VIRTIO_IOMMU_F_INPUT_RANGE, so the input range is all 64 bits, not [0x%" PRIx64 ", 0x%" PRIx64 "]",
				    r->features, p->aperture_start,
				    p->aperture_last);
		if (r->domain_start > r->domain_end)
			return fail(e, -EINVAL, "registers.domain_range",
				    "start %u is above end %u", r->domain_start,
				    r->domain_end);
		if (p->input_width != bits_for(p->aperture_last))
			return fail(e, -EINVAL, "input_width",
				    "%u, but the input range ends at 0x%" PRIx64 " (%u bits)",
				    p->input_width, p->aperture_last,
				    bits_for(p->aperture_last));
		break;
	}
	case SIM_VENDOR_GENERIC:
		break;
	}
	return 0;
}

static int check_profile(const struct sim_profile *p, struct perr *e)
{
	const struct model_info *mi;
	uint64_t minpg;
	char b1[200], path[64];
	bool reach_ok = false;
	int ret;

	ret = check_name(p->name, sizeof(p->name), "name", e);
	if (ret)
		return ret;
	if ((unsigned int)p->vendor >= ARRAY_SIZE(model_info))
		return fail(e, -EINVAL, "model", "unknown model %u",
			    (unsigned int)p->vendor);
	mi = &model_info[p->vendor];

	if (p->input_width < 1 || p->input_width > 64)
		return fail(e, -EINVAL, "input_width",
			    "width %u is outside 1..64", p->input_width);
	if (p->output_width < 1 || p->output_width > 64)
		return fail(e, -EINVAL, "output_width",
			    "width %u is outside 1..64", p->output_width);
	if (p->input_width < mi->in_min || p->input_width > mi->in_max)
		return fail(e, -EINVAL, "input_width",
			    "%u is outside %u..%u, what model %s allows",
			    p->input_width, mi->in_min, mi->in_max,
			    sim_vendor_name(p->vendor));
	if (p->output_width < mi->out_min)
		return fail(e, -EINVAL, "output_width",
			    "%u is below %u, the least model %s allows",
			    p->output_width, mi->out_min,
			    sim_vendor_name(p->vendor));
	if (p->output_width > mi->out_max)
		return fail(e, -EINVAL, "output_width",
			    "%u is above %u, the most model %s allows",
			    p->output_width, mi->out_max,
			    sim_vendor_name(p->vendor));

	if (!p->page_sizes)
		return fail(e, -EINVAL, "page_sizes",
			    "page-size bitmap must not be 0 (got 0x0)");
	if (p->page_sizes & ~mi->pgsizes)
		return fail(e, -EINVAL, "page_sizes",
			    "%s has sizes model %s cannot map (it allows %s)",
			    desc_pgsizes(p->page_sizes, b1, sizeof(b1)),
			    sim_vendor_name(p->vendor),
			    mi->pgsizes == PGSIZES_ANY ? "powers of two from 4K" :
			    pgsizes_str(mi->pgsizes, path, sizeof(path)));
	if (p->input_width < 64 && p->page_sizes >> p->input_width)
		return fail(e, -EINVAL, "page_sizes",
			    "%s has a page larger than the %u-bit input space",
			    desc_pgsizes(p->page_sizes, b1, sizeof(b1)),
			    p->input_width);
	minpg = p->page_sizes & -p->page_sizes;

	if (!p->levels || (p->levels & ~mi->levels))
		return fail(e, -EINVAL, "levels",
			    "%s; model %s allows %s",
			    levels_str(p->levels, b1, sizeof(b1)),
			    sim_vendor_name(p->vendor),
			    levels_str(mi->levels, path, sizeof(path)));
	/*
	 * Some depth must reach the whole input space with some base page:
	 * the smallest page, or on SMMUv3 any granule it offers (52-bit VA is
	 * 3 levels of 64K, but beyond 4 levels of 4K).
	 */
	for (unsigned int g = 12; g < 64; g++) {
		uint64_t gran = 1ULL << g;

		if (!(p->page_sizes & gran))
			continue;
		if (gran != minpg && !(p->vendor == SIM_VENDOR_SMMUV3 &&
				       (gran == SZ_16K || gran == SZ_64K)))
			continue;
		for (unsigned int l = 1; l <= 6; l++)
			if ((p->levels & (1U << l)) &&
			    table_reach(l, g) >= p->input_width)
				reach_ok = true;
	}
	if (!reach_ok)
		return fail(e, -EINVAL, "levels",
			    "%s cannot cover input_width %u with %s pages",
			    levels_str(p->levels, b1, sizeof(b1)),
			    p->input_width, pgsizes_str(minpg, path, sizeof(path)));

	if (p->pasid_width > SIM_PASID_WIDTH_MAX)
		return fail(e, -EINVAL, "pasid_width",
			    "pasid_width %u exceeds the PCIe maximum of %u",
			    p->pasid_width, SIM_PASID_WIDTH_MAX);
	if (p->pri && !p->ats)
		return fail(e, -EINVAL, "pri",
			    "true needs ats true (PCIe PRI requires ATS)");
	if (p->iotlb_size > IOTLB_SIZE_MAX)
		return fail(e, -EINVAL, "iotlb_size",
			    "%u is above the %u entries the simulator allows",
			    p->iotlb_size, IOTLB_SIZE_MAX);

	if (p->aperture_start > p->aperture_last)
		return fail(e, -EINVAL, "aperture",
			    "start 0x%" PRIx64 " is above last 0x%" PRIx64,
			    p->aperture_start, p->aperture_last);
	if (p->aperture_last > width_mask(p->input_width))
		return fail(e, -EINVAL, "aperture.last",
			    "0x%" PRIx64 " is beyond the %u-bit input space",
			    p->aperture_last, p->input_width);
	if ((p->aperture_start & (minpg - 1)) ||
	    ((p->aperture_last + 1) & (minpg - 1)))
		return fail(e, -EINVAL, "aperture",
			    "[0x%" PRIx64 ", 0x%" PRIx64 "] is not aligned to the %s granule",
			    p->aperture_start, p->aperture_last,
			    pgsizes_str(minpg, path, sizeof(path)));

	ret = check_vendor(p, e);
	if (ret)
		return ret;

	if (p->nr_devices > SIM_PROFILE_MAX_DEVICES)
		return fail(e, -E2BIG, "devices", "%u devices; at most %u fit",
			    p->nr_devices, SIM_PROFILE_MAX_DEVICES);
	for (unsigned int i = 0; i < p->nr_devices; i++) {
		const struct sim_dev_desc *d = &p->devices[i];

		snprintf(path, sizeof(path), "devices[%u]", i);
		ret = check_device(p, d, path, e);
		if (ret)
			return ret;
		for (unsigned int j = 0; j < i; j++) {
			if (!strcmp(d->name, p->devices[j].name))
				return fail(e, -EINVAL, strcat(path, ".name"),
					    "\"%s\" is already the name of devices[%u]",
					    d->name, j);
			if (!strcmp(d->bdf, p->devices[j].bdf))
				return fail(e, -EINVAL, strcat(path, ".bdf"),
					    "\"%s\" is already the address of devices[%u] (%s)",
					    d->bdf, j, p->devices[j].name);
		}
	}

	/* Last: the registers must be what the fields synthesize. */
	return check_regs_synced(p, e);
}

int sim_profile_check(const struct sim_profile *p, char *err, size_t errlen)
{
	struct perr e = { .buf = err, .len = errlen, .src = NULL };

	if (err && errlen)
		err[0] = '\0';
	if (!p)
		return fail(&e, -EINVAL, NULL, "no profile");
	/* Name the profile only if its name is a string at all. */
	if (strnlen(p->name, sizeof(p->name)) < sizeof(p->name))
		e.src = p->name;
	return check_profile(p, &e);
}

/* ------------------------------------------------------------------------
 * JSON profile files
 */

/* Refuse any key of @obj not in @allowed; @pfx is the object's key path. */
static int check_keys(json_t *obj, const char *pfx,
		      const char *const *allowed, struct perr *e)
{
	const char *key;
	json_t *v;
	char path[256];

	json_object_foreach(obj, key, v) {
		unsigned int i;

		for (i = 0; allowed[i]; i++)
			if (!strcmp(key, allowed[i]))
				break;
		if (!allowed[i]) {
			subpath(path, sizeof(path), pfx, key);
			return fail(e, -EINVAL, path, "unknown key");
		}
	}
	return 0;
}

static int expect_type(json_t *v, bool ok, const char *what,
		       const char *path, struct perr *e)
{
	char b[96];

	if (ok)
		return 0;
	return fail(e, -EINVAL, path, "expected %s, got %s", what,
		    jdesc(v, b, sizeof(b)));
}

/* A number: a JSON integer >= 0, or a "0x..." string (for >= 2^63). */
static int get_u64(json_t *v, const char *path, uint64_t *out, struct perr *e)
{
	char b[96];

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < 0)
			return fail(e, -EINVAL, path,
				    "negative number %" JSON_INTEGER_FORMAT, i);
		*out = (uint64_t)i;
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		uint64_t val = 0;
		size_t i;

		if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2])
			goto bad;
		for (i = 2; s[i]; i++) {
			int d = hexval(s[i]);

			if (d < 0)
				goto bad;
			if (val >> 60)
				return fail(e, -EINVAL, path,
					    "%s does not fit in 64 bits",
					    jdesc(v, b, sizeof(b)));
			val = val << 4 | (uint64_t)d;
		}
		*out = val;
		return 0;
	}
bad:
	return fail(e, -EINVAL, path,
		    "expected an integer or a \"0x...\" string, got %s",
		    jdesc(v, b, sizeof(b)));
}

static int get_bounded(json_t *v, const char *path, uint64_t max,
		       uint64_t *out, struct perr *e)
{
	int ret = get_u64(v, path, out, e);

	if (ret)
		return ret;
	if (*out > max)
		return fail(e, -EINVAL, path,
			    "%" PRIu64 " (0x%" PRIx64 ") is above the maximum %" PRIu64,
			    *out, *out, max);
	return 0;
}

static int get_u32(json_t *v, const char *path, uint32_t *out, struct perr *e)
{
	uint64_t x;
	int ret = get_bounded(v, path, UINT32_MAX, &x, e);

	if (!ret)
		*out = (uint32_t)x;
	return ret;
}

static int get_width(json_t *v, const char *path, uint8_t *out,
		     struct perr *e)
{
	uint64_t x;
	int ret = get_u64(v, path, &x, e);

	if (ret)
		return ret;
	if (x < 1 || x > 64)
		return fail(e, -EINVAL, path,
			    "width %" PRIu64 " is outside 1..64", x);
	*out = (uint8_t)x;
	return 0;
}

static int get_pasid_width(json_t *v, const char *path, uint8_t *out,
			   struct perr *e)
{
	uint64_t x;
	int ret = get_u64(v, path, &x, e);

	if (ret)
		return ret;
	if (x > SIM_PASID_WIDTH_MAX)
		return fail(e, -EINVAL, path,
			    "pasid_width %" PRIu64 " exceeds the PCIe maximum of %u",
			    x, SIM_PASID_WIDTH_MAX);
	*out = (uint8_t)x;
	return 0;
}

static int get_bool(json_t *v, const char *path, bool *out, struct perr *e)
{
	int ret = expect_type(v, json_is_boolean(v), "true or false", path, e);

	if (!ret)
		*out = json_is_true(v);
	return ret;
}

/* "4K", "2M", "1G", "512G", "4096", "0x1000". */
static int parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned int shift = 0;
	const char *q = s;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return -1;	/* the caller's get_u64() handles hex */
	if (*q < '0' || *q > '9')
		return -1;
	while (*q >= '0' && *q <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*q++ - '0');
	}
	switch (*q) {
	case '\0':
		break;
	case 'K': case 'k':
		shift = 10;
		break;
	case 'M': case 'm':
		shift = 20;
		break;
	case 'G': case 'g':
		shift = 30;
		break;
	case 'T': case 't':
		shift = 40;
		break;
	default:
		return -1;
	}
	if (shift && q[1])
		return -1;
	if (v && (v << shift) >> shift != v)
		return -1;
	*out = v << shift;
	return 0;
}

static int get_pgsizes(json_t *v, const char *path, uint64_t *out,
		       struct perr *e)
{
	char ipath[160], b[96];
	uint64_t bm = 0, sz;
	size_t i;
	json_t *el;
	int ret;

	if (json_is_array(v)) {
		json_array_foreach(v, i, el) {
			snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
			if (json_is_string(el) &&
			    !parse_size(json_string_value(el), &sz)) {
				/* parsed */
			} else if (json_is_string(el) &&
				   json_string_value(el)[0] != '0') {
				return fail(e, -EINVAL, ipath,
					    "%s is not a size like \"4K\", \"2M\", \"1G\" or a number",
					    jdesc(el, b, sizeof(b)));
			} else {
				ret = get_u64(el, ipath, &sz, e);
				if (ret)
					return ret;
			}
			if (!sz || (sz & (sz - 1)))
				return fail(e, -EINVAL, ipath,
					    "%s is not a power of two",
					    jdesc(el, b, sizeof(b)));
			bm |= sz;
		}
	} else if (json_is_string(v) && !parse_size(json_string_value(v), &bm)) {
		/* one size given alone, e.g. "4K" */
		if (bm & (bm - 1))
			return fail(e, -EINVAL, path,
				    "%s is not a power of two",
				    jdesc(v, b, sizeof(b)));
	} else {
		ret = get_u64(v, path, &bm, e);
		if (ret)
			return ret;
	}
	if (!bm)
		return fail(e, -EINVAL, path,
			    "page-size bitmap must not be 0 (got %s)",
			    jdesc(v, b, sizeof(b)));
	*out = bm;
	return 0;
}

static int get_levels(json_t *v, const char *path, uint8_t *out,
		      struct perr *e)
{
	char ipath[160];
	uint8_t levels = 0;
	uint64_t l;
	size_t i;
	json_t *el;
	int ret;

	ret = expect_type(v, json_is_array(v) && json_array_size(v),
			  "a non-empty array of table depths", path, e);
	if (ret)
		return ret;
	json_array_foreach(v, i, el) {
		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		ret = get_u64(el, ipath, &l, e);
		if (ret)
			return ret;
		if (l < 1 || l > 6)
			return fail(e, -EINVAL, ipath,
				    "depth %" PRIu64 " is outside 1..6", l);
		levels |= (uint8_t)(1U << l);
	}
	*out = levels;
	return 0;
}

/*
 * {"start": NUM, "last"|"end": NUM}, both required. With @strict, no other
 * key is allowed; a caller with more keys checks them itself.
 */
static int get_range(json_t *v, const char *path, const char *lastkey,
		     bool strict, uint64_t *start, uint64_t *last,
		     struct perr *e)
{
	const char *keys[] = { "start", lastkey, NULL };
	char kpath[224];
	json_t *s, *l;
	int ret;

	ret = expect_type(v, json_is_object(v), "an object", path, e);
	if (!ret && strict)
		ret = check_keys(v, path, keys, e);
	if (ret)
		return ret;
	s = json_object_get(v, "start");
	l = json_object_get(v, lastkey);
	if (!s || !l)
		return fail(e, -EINVAL, path, "needs both \"start\" and \"%s\"",
			    lastkey);
	subpath(kpath, sizeof(kpath), path, "start");
	ret = get_u64(s, kpath, start, e);
	if (ret)
		return ret;
	subpath(kpath, sizeof(kpath), path, lastkey);
	return get_u64(l, kpath, last, e);
}

static int parse_region(json_t *v, const char *path,
			struct sim_resv_region *r, struct perr *e)
{
	static const char *const keys[] = { "start", "last", "type", NULL };
	char kpath[192], b[96];
	json_t *t;
	int ret;

	ret = expect_type(v, json_is_object(v), "an object", path, e);
	if (!ret)
		ret = check_keys(v, path, keys, e);
	if (!ret)
		ret = get_range(v, path, "last", false, &r->start, &r->last,
				e);
	if (ret)
		return ret;
	r->type = SIM_RESV_RESERVED;
	t = json_object_get(v, "type");
	if (!t)
		return 0;
	subpath(kpath, sizeof(kpath), path, "type");
	ret = expect_type(t, json_is_string(t), "a region type string",
			  kpath, e);
	if (ret)
		return ret;
	for (unsigned int i = 0; i < ARRAY_SIZE(resv_names); i++) {
		if (!strcmp(json_string_value(t), resv_names[i])) {
			r->type = (enum sim_resv_type)i;
			return 0;
		}
	}
	return fail(e, -EINVAL, kpath,
		    "unknown type %s (reserved, msi, sw_msi, direct, direct_relaxable)",
		    jdesc(t, b, sizeof(b)));
}

static int parse_device(json_t *v, unsigned int idx, const char *pfx,
			const struct sim_profile *p, struct sim_dev_desc *d,
			struct perr *e)
{
	static const char *const keys[] = {
		"name", "bdf", "page_sizes", "pasid_width", "pri", "ats",
		"reserved", NULL,
	};
	char path[96], b[96];
	json_t *x, *el;
	size_t i;
	int ret;

	ret = expect_type(v, json_is_object(v), "a device object", pfx, e);
	if (!ret)
		ret = check_keys(v, pfx, keys, e);
	if (ret)
		return ret;
	memset(d, 0, sizeof(*d));

	subpath(path, sizeof(path), pfx, "name");
	x = json_object_get(v, "name");
	if (x) {
		const char *s;

		ret = expect_type(x, json_is_string(x), "a string", path, e);
		if (ret)
			return ret;
		s = json_string_value(x);
		if (strlen(s) >= sizeof(d->name))
			return fail(e, -E2BIG, path,
				    "%s is %zu bytes; at most %zu fit",
				    jdesc(x, b, sizeof(b)), strlen(s),
				    sizeof(d->name) - 1);
		memcpy(d->name, s, strlen(s) + 1);
	} else {
		snprintf(d->name, sizeof(d->name), "sim%u", idx);
	}
	ret = check_name(d->name, sizeof(d->name), path, e);
	if (ret)
		return ret;

	subpath(path, sizeof(path), pfx, "bdf");
	x = json_object_get(v, "bdf");
	if (x) {
		ret = expect_type(x, json_is_string(x), "a string", path, e);
		if (ret)
			return ret;
		if (bdf_normalise(json_string_value(x), d->bdf, NULL))
			return fail(e, -EINVAL, path,
				    "%s is not a PCI address (dddd:bb:dd.f or bb:dd.f)",
				    jdesc(x, b, sizeof(b)));
	} else {
		/* One endpoint per bus, as behind PCIe root ports. */
		snprintf(d->bdf, sizeof(d->bdf), "0000:%02x:00.0", idx + 1);
	}

	d->page_sizes = p->page_sizes;
	x = json_object_get(v, "page_sizes");
	if (x) {
		subpath(path, sizeof(path), pfx, "page_sizes");
		ret = get_pgsizes(x, path, &d->page_sizes, e);
		if (ret)
			return ret;
	}
	x = json_object_get(v, "pasid_width");
	if (x) {
		subpath(path, sizeof(path), pfx, "pasid_width");
		ret = get_pasid_width(x, path, &d->pasid_width, e);
		if (ret)
			return ret;
	}
	x = json_object_get(v, "pri");
	if (x) {
		subpath(path, sizeof(path), pfx, "pri");
		ret = get_bool(x, path, &d->pri, e);
		if (ret)
			return ret;
	}
	x = json_object_get(v, "ats");
	if (x) {
		subpath(path, sizeof(path), pfx, "ats");
		ret = get_bool(x, path, &d->ats, e);
		if (ret)
			return ret;
	}

	x = json_object_get(v, "reserved");
	if (!x) {
		dev_default_regions(p->vendor, d);
		return 0;
	}
	subpath(path, sizeof(path), pfx, "reserved");
	ret = expect_type(x, json_is_array(x), "an array of regions", path, e);
	if (ret)
		return ret;
	if (json_array_size(x) > SIM_DEV_MAX_REGIONS)
		return fail(e, -E2BIG, path, "%zu regions; at most %u fit",
			    json_array_size(x), SIM_DEV_MAX_REGIONS);
	json_array_foreach(x, i, el) {
		char rpath[128];

		snprintf(rpath, sizeof(rpath), "%s[%zu]", path, i);
		ret = parse_region(el, rpath, &d->regions[i], e);
		if (ret)
			return ret;
		d->nr_regions++;
	}
	return 0;
}

static int parse_registers(json_t *v, struct sim_profile *p, struct perr *e)
{
	static const char *const vtd_keys[] = { "cap_reg", "ecap_reg", NULL };
	static const char *const smmu_keys[] = { "idr", "iidr", "aidr", NULL };
	static const char *const amd_keys[] = { "efr", "efr2", NULL };
	static const char *const virtio_keys[] = {
		"page_size_mask", "input_range", "domain_range", "probe_size",
		"features", NULL,
	};
	static const char *const no_keys[] = { NULL };
	const char *const *keys;
	char path[64];
	json_t *x, *el;
	size_t i;
	int ret;

	ret = expect_type(v, json_is_object(v), "an object", "registers", e);
	if (ret)
		return ret;
	switch (p->vendor) {
	case SIM_VENDOR_VTD:
		keys = vtd_keys;
		break;
	case SIM_VENDOR_SMMUV3:
		keys = smmu_keys;
		break;
	case SIM_VENDOR_AMD:
		keys = amd_keys;
		break;
	case SIM_VENDOR_VIRTIO_IOMMU:
		keys = virtio_keys;
		break;
	default:
		keys = no_keys;	/* generic: any key is unknown */
		break;
	}
	ret = check_keys(v, "registers", keys, e);
	if (ret)
		return ret;

#define REG64(key, field)						\
	do {								\
		x = json_object_get(v, key);				\
		if (x) {						\
			ret = get_u64(x, "registers." key, &(field), e); \
			if (ret)					\
				return ret;				\
		}							\
	} while (0)
#define REG32(key, field)						\
	do {								\
		x = json_object_get(v, key);				\
		if (x) {						\
			ret = get_u32(x, "registers." key, &(field), e); \
			if (ret)					\
				return ret;				\
		}							\
	} while (0)

	switch (p->vendor) {
	case SIM_VENDOR_VTD:
		REG64("cap_reg", p->regs.vtd.cap_reg);
		REG64("ecap_reg", p->regs.vtd.ecap_reg);
		break;
	case SIM_VENDOR_SMMUV3:
		x = json_object_get(v, "idr");
		if (x) {
			ret = expect_type(x, json_is_array(x) &&
						     json_array_size(x) == 6,
					  "an array of 6 numbers (IDR0..IDR5)",
					  "registers.idr", e);
			if (ret)
				return ret;
			json_array_foreach(x, i, el) {
				snprintf(path, sizeof(path), "registers.idr[%zu]",
					 i);
				ret = get_u32(el, path, &p->regs.smmuv3.idr[i], e);
				if (ret)
					return ret;
			}
		}
		REG32("iidr", p->regs.smmuv3.iidr);
		REG32("aidr", p->regs.smmuv3.aidr);
		break;
	case SIM_VENDOR_AMD:
		REG64("efr", p->regs.amd.efr);
		REG64("efr2", p->regs.amd.efr2);
		break;
	case SIM_VENDOR_VIRTIO_IOMMU: {
		struct ioasid_cap_virtio_iommu *r = &p->regs.virtio;
		uint64_t s, l;

		REG64("page_size_mask", r->page_size_mask);
		REG32("probe_size", r->probe_size);
		REG64("features", r->features);
		x = json_object_get(v, "input_range");
		if (x) {
			ret = get_range(x, "registers.input_range", "end", true,
					&r->input_start, &r->input_end, e);
			if (ret)
				return ret;
		}
		x = json_object_get(v, "domain_range");
		if (x) {
			ret = get_range(x, "registers.domain_range", "end", true,
					&s, &l, e);
			if (ret)
				return ret;
			if (s > UINT32_MAX || l > UINT32_MAX)
				return fail(e, -EINVAL, "registers.domain_range",
					    "[%" PRIu64 ", %" PRIu64 "] does not fit 32-bit domain IDs",
					    s, l);
			r->domain_start = (uint32_t)s;
			r->domain_end = (uint32_t)l;
		}
		break;
	}
	case SIM_VENDOR_GENERIC:
		break;
	}
#undef REG64
#undef REG32
	return 0;
}

static const char *field_name(unsigned int f)
{
	switch (f) {
	case D_INPUT: return "input_width";
	case D_OUTPUT: return "output_width";
	case D_LEVELS: return "levels";
	case D_PGSIZES: return "page_sizes";
	case D_PASID: return "pasid_width";
	case D_NESTING: return "nesting";
	case D_DIRTY: return "dirty_tracking";
	case D_PRI: return "pri";
	case D_ATS: return "ats";
	case D_SCALABLE: return "scalable_mode";
	case D_CACHING: return "caching_mode";
	case D_APERTURE: return "aperture";
	}
	return "?";
}

/*
 * Take every field the registers determine: a field the file also gave
 * must agree (@given has its D_* bit), the others are filled in.
 */
static int reconcile(struct sim_profile *p, unsigned int given,
		     const struct vendor_props *d, struct perr *e)
{
	char want[200], have[200], key[64];
	uint64_t regval;

	for (unsigned int f = 1; f <= D_APERTURE; f <<= 1) {
		bool same;

		if (!(d->mask & f))
			continue;
		switch (f) {
		case D_INPUT:
			/* SMMUv3 encodes only "more than 48 bits" (VAX). */
			if (p->vendor == SIM_VENDOR_SMMUV3)
				same = (p->input_width > 48) ==
				       (d->input_width > 48);
			else
				same = p->input_width == d->input_width;
			if (!(given & f))
				p->input_width = d->input_width;
			snprintf(want, sizeof(want), "%u", d->input_width);
			snprintf(have, sizeof(have), "%u", p->input_width);
			break;
		case D_OUTPUT:
			same = p->output_width == d->output_width;
			if (!(given & f))
				p->output_width = d->output_width;
			snprintf(want, sizeof(want), "%u", d->output_width);
			snprintf(have, sizeof(have), "%u", p->output_width);
			break;
		case D_LEVELS:
			same = p->levels == d->levels;
			if (!(given & f))
				p->levels = d->levels;
			levels_str(d->levels, want, sizeof(want));
			levels_str(p->levels, have, sizeof(have));
			break;
		case D_PGSIZES:
			same = p->page_sizes == d->page_sizes;
			if (!(given & f))
				p->page_sizes = d->page_sizes;
			desc_pgsizes(d->page_sizes, want, sizeof(want));
			desc_pgsizes(p->page_sizes, have, sizeof(have));
			break;
		case D_PASID:
			same = p->pasid_width == d->pasid_width;
			if (!(given & f))
				p->pasid_width = d->pasid_width;
			snprintf(want, sizeof(want), "%u", d->pasid_width);
			snprintf(have, sizeof(have), "%u", p->pasid_width);
			break;
		case D_APERTURE:
			same = p->aperture_start == d->ap_start &&
			       p->aperture_last == d->ap_last;
			if (!(given & f)) {
				p->aperture_start = d->ap_start;
				p->aperture_last = d->ap_last;
			}
			snprintf(want, sizeof(want), "[0x%" PRIx64 ", 0x%" PRIx64 "]",
				 d->ap_start, d->ap_last);
			snprintf(have, sizeof(have), "[0x%" PRIx64 ", 0x%" PRIx64 "]",
				 p->aperture_start, p->aperture_last);
			break;
		default: {
			bool *pf, dv;

			switch (f) {
			case D_NESTING:
				pf = &p->nesting;
				dv = d->nesting;
				break;
			case D_DIRTY:
				pf = &p->dirty_tracking;
				dv = d->dirty;
				break;
			case D_PRI:
				pf = &p->pri;
				dv = d->pri;
				break;
			case D_ATS:
				pf = &p->ats;
				dv = d->ats;
				break;
			case D_SCALABLE:
				pf = &p->scalable_mode;
				dv = d->scalable;
				break;
			default:
				pf = &p->caching_mode;
				dv = d->caching;
				break;
			}
			same = *pf == dv;
			if (!(given & f))
				*pf = dv;
			snprintf(want, sizeof(want), "%s", dv ? "true" : "false");
			snprintf(have, sizeof(have), "%s", *pf ? "true" : "false");
			break;
		}
		}
		if ((given & f) && !same) {
			const char *k = reg_key_for(p, f, &regval, key, sizeof(key));

			return fail(e, -EINVAL, k,
				    "0x%" PRIx64 " gives %s %s, but the profile says %s",
				    regval, field_name(f), want, have);
		}
	}
	return 0;
}

static const char *const top_keys[] = {
	"version", "name", "description", "base", "model", "input_width",
	"output_width", "levels", "page_sizes", "pasid_width", "nesting",
	"dirty_tracking", "pri", "ats", "scalable_mode", "caching_mode",
	"iotlb_size", "aperture", "registers", "devices", NULL,
};

/* Name from a file path: basename without ".json", made a valid name. */
static void name_from_path(const char *path, char *out, size_t len)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 5 && !strcmp(base + n - 5, ".json"))
		n -= 5;
	/* A label, not data: shorten it rather than refuse the file. */
	if (n >= len)
		n = len - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = name_char_ok(base[i]) ? base[i] : '_';
	out[n] = '\0';
	if (!n)
		snprintf(out, len, "profile");
}

static int parse_profile(json_t *root, const char *path,
			 struct sim_profile *p, struct perr *e)
{
	json_t *base, *model, *x, *el;
	enum sim_vendor vendor = SIM_VENDOR_GENERIC;
	unsigned int given = 0;
	bool regs_given;
	char b[96], b2[96], dpath[32];
	size_t i;
	int ret;

	if (!json_is_object(root))
		return fail(e, -EINVAL, NULL,
			    "the top level must be an object, not %s",
			    jdesc(root, b, sizeof(b)));
	ret = check_keys(root, NULL, top_keys, e);
	if (ret)
		return ret;

	x = json_object_get(root, "version");
	if (x && !(json_is_integer(x) && json_integer_value(x) == 1))
		return fail(e, -EINVAL, "version",
			    "only version 1 exists, got %s",
			    jdesc(x, b, sizeof(b)));
	x = json_object_get(root, "description");
	if (x) {
		ret = expect_type(x, json_is_string(x), "a string",
				  "description", e);
		if (ret)
			return ret;
	}

	/* Starting point: a whole built-in, or a model's built-in IOMMU. */
	base = json_object_get(root, "base");
	model = json_object_get(root, "model");
	if (model) {
		ret = expect_type(model, json_is_string(model),
				  "a model name string", "model", e);
		if (ret)
			return ret;
		if (vendor_from_name(json_string_value(model), &vendor))
			return fail(e, -EINVAL, "model",
				    "unknown model %s (vtd, smmuv3, amd, virtio-iommu, generic)",
				    jdesc(model, b, sizeof(b)));
	}
	if (base) {
		ret = expect_type(base, json_is_string(base),
				  "a built-in profile name", "base", e);
		if (ret)
			return ret;
		if (build_builtin(p, json_string_value(base)))
			return fail(e, -ENOENT, "base",
				    "no built-in profile %s (vtd, qemu-vtd, smmuv3, amd, virtio-iommu, generic)",
				    jdesc(base, b, sizeof(b)));
		if (model && vendor != p->vendor)
			return fail(e, -EINVAL, "model",
				    "%s, but base %s is a %s profile",
				    jdesc(model, b, sizeof(b)),
				    jdesc(base, b2, sizeof(b2)),
				    sim_vendor_name(p->vendor));
	} else if (model) {
		build_builtin(p, sim_vendor_name(vendor));
		p->nr_devices = 0;
		memset(p->devices, 0, sizeof(p->devices));
	} else {
		return fail(e, -EINVAL, NULL,
			    "needs \"model\" or \"base\" to say what IOMMU it describes");
	}

	x = json_object_get(root, "name");
	if (x) {
		const char *s;

		ret = expect_type(x, json_is_string(x), "a string", "name", e);
		if (ret)
			return ret;
		s = json_string_value(x);
		if (strlen(s) >= sizeof(p->name))
			return fail(e, -E2BIG, "name",
				    "%s is %zu bytes; at most %zu fit",
				    jdesc(x, b, sizeof(b)), strlen(s),
				    sizeof(p->name) - 1);
		memcpy(p->name, s, strlen(s) + 1);
	} else {
		name_from_path(path, p->name, sizeof(p->name));
	}

#define FIELD(key, flag, getter, dst)					\
	do {								\
		x = json_object_get(root, key);				\
		if (x) {						\
			ret = getter(x, key, &(dst), e);		\
			if (ret)					\
				return ret;				\
			given |= (flag);				\
		}							\
	} while (0)

	FIELD("input_width", D_INPUT, get_width, p->input_width);
	FIELD("output_width", D_OUTPUT, get_width, p->output_width);
	FIELD("levels", D_LEVELS, get_levels, p->levels);
	FIELD("page_sizes", D_PGSIZES, get_pgsizes, p->page_sizes);
	FIELD("pasid_width", D_PASID, get_pasid_width, p->pasid_width);
	FIELD("nesting", D_NESTING, get_bool, p->nesting);
	FIELD("dirty_tracking", D_DIRTY, get_bool, p->dirty_tracking);
	FIELD("pri", D_PRI, get_bool, p->pri);
	FIELD("ats", D_ATS, get_bool, p->ats);
	FIELD("scalable_mode", D_SCALABLE, get_bool, p->scalable_mode);
	FIELD("caching_mode", D_CACHING, get_bool, p->caching_mode);
	FIELD("iotlb_size", 0, get_u32, p->iotlb_size);
#undef FIELD
	x = json_object_get(root, "aperture");
	if (x) {
		ret = get_range(x, "aperture", "last", true, &p->aperture_start,
				&p->aperture_last, e);
		if (ret)
			return ret;
		given |= D_APERTURE;
	}

	x = json_object_get(root, "registers");
	regs_given = x != NULL;
	if (regs_given) {
		struct vendor_props d;

		ret = parse_registers(x, p, e);
		if (!ret)
			ret = decode_regs(p, &d, e);
		if (!ret)
			ret = reconcile(p, given, &d, e);
		if (ret)
			return ret;
	} else if (p->vendor == SIM_VENDOR_VIRTIO_IOMMU &&
		   (given & D_APERTURE) && !(given & D_INPUT)) {
		/* virtio-iommu's input width *is* its input range. */
		p->input_width = (uint8_t)bits_for(p->aperture_last);
	}
	if (!(given & D_APERTURE) &&
	    !(regs_given && p->vendor == SIM_VENDOR_VIRTIO_IOMMU)) {
		p->aperture_start = 0;
		p->aperture_last = width_mask(p->input_width);
	}

	if (regs_given) {
		ret = check_regs_synced(p, e);
		if (ret)
			return ret;
	} else {
		sim_profile_sync_registers(p);
	}

	x = json_object_get(root, "devices");
	if (x) {
		ret = expect_type(x, json_is_array(x), "an array of devices",
				  "devices", e);
		if (ret)
			return ret;
		if (json_array_size(x) > SIM_PROFILE_MAX_DEVICES)
			return fail(e, -E2BIG, "devices",
				    "%zu devices; at most %u fit",
				    json_array_size(x), SIM_PROFILE_MAX_DEVICES);
		memset(p->devices, 0, sizeof(p->devices));
		p->nr_devices = 0;
		json_array_foreach(x, i, el) {
			snprintf(dpath, sizeof(dpath), "devices[%zu]", i);
			ret = parse_device(el, (unsigned int)i, dpath, p,
					   &p->devices[i], e);
			if (ret)
				return ret;
			p->nr_devices++;
		}
	}

	return check_profile(p, e);
}

static int load_file(const char *path, struct sim_profile *p, struct perr *e)
{
	json_error_t je;
	json_t *root;
	struct stat st;
	FILE *f;
	int ret;

	/* "e": O_CLOEXEC, so a VMM forking helpers does not leak the fd. */
	f = fopen(path, "re");
	if (!f) {
		ret = errno;
		return fail(e, -ret, NULL, "cannot open: %s", strerror(ret));
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		return fail(e, -EISDIR, NULL, "is a directory, not a file");
	}
	/*
	 * jansson 2.14 can fail for lack of memory before it fills in an
	 * error (lex_init()): start zeroed, and read "no message" as ENOMEM.
	 */
	memset(&je, 0, sizeof(je));
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	if (!root && (json_error_code(&je) == json_error_out_of_memory ||
		      !je.text[0]))
		return fail(e, -ENOMEM, NULL, "out of memory reading JSON");
	if (!root)
		return fail(e, -EINVAL, NULL,
			    "line %d, column %d: not valid JSON: %s", je.line,
			    je.column, je.text);
	ret = parse_profile(root, path, p, e);
	json_decref(root);
	return ret;
}

/* ------------------------------------------------------------------------
 * Public entry points
 */

static bool is_builtin_spec(const char *s)
{
	size_t n = strlen(s);

	return !strchr(s, '/') && !(n >= 5 && !strcmp(s + n - 5, ".json"));
}

int sim_profile_load(const char *name_or_path, struct sim_profile **out,
		     char *err, size_t errlen)
{
	struct perr e = { .buf = err, .len = errlen, .src = NULL };
	struct sim_profile *p;
	char src[SIM_PROFILE_NAME_MAX + 16];
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!out)
		return fail(&e, -EINVAL, NULL, "no place for the profile");
	*out = NULL;
	if (!name_or_path)
		return fail(&e, -EINVAL, NULL, "no profile name");

	p = ioasid_calloc(1, sizeof(*p));
	if (!p)
		return fail(&e, -ENOMEM, NULL, "out of memory for a profile");

	if (is_builtin_spec(name_or_path)) {
		if (build_builtin(p, name_or_path)) {
			ret = fail(&e, -ENOENT, NULL,
				   "\"%.*s\" is not a built-in profile (vtd, qemu-vtd, smmuv3, amd, virtio-iommu, generic); a file path needs a '/' or a .json suffix",
				   SIM_PROFILE_NAME_MAX, name_or_path);
		} else {
			snprintf(src, sizeof(src), "built-in %s", name_or_path);
			e.src = src;
			ret = check_profile(p, &e);
		}
	} else {
		e.src = name_or_path;
		ret = load_file(name_or_path, p, &e);
	}
	if (ret) {
		ioasid_free(p);
		return ret;
	}
	*out = p;
	return 0;
}

void sim_profile_free(struct sim_profile *p)
{
	ioasid_free(p);
}

const struct sim_dev_desc *sim_profile_find_device(const struct sim_profile *p,
						   const char *name)
{
	if (!p || !name)
		return NULL;
	for (unsigned int i = 0; i < p->nr_devices; i++)
		if (!strcmp(p->devices[i].name, name))
			return &p->devices[i];
	return NULL;
}

static bool bdf_taken(const struct sim_profile *p, const char *bdf)
{
	for (unsigned int i = 0; i < p->nr_devices; i++)
		if (!strcmp(p->devices[i].bdf, bdf))
			return true;
	return false;
}

int sim_profile_add_device(struct sim_profile *p,
			   const struct sim_dev_desc *desc,
			   char *err, size_t errlen)
{
	struct perr e = { .buf = err, .len = errlen, .src = NULL };
	struct sim_dev_desc d;
	char norm[SIM_BDF_MAX];
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!p || !desc)
		return fail(&e, -EINVAL, NULL, "no profile or no device");
	e.src = p->name;
	if (p->nr_devices >= SIM_PROFILE_MAX_DEVICES)
		return fail(&e, -E2BIG, "devices",
			    "already %u devices, the most a profile holds",
			    p->nr_devices);
	d = *desc;

	if (strnlen(d.name, sizeof(d.name)) == sizeof(d.name))
		return fail(&e, -E2BIG, "name",
			    "\"%.*s...\" is longer than the %zu bytes that fit",
			    24, d.name, sizeof(d.name) - 1);
	if (!d.name[0]) {
		/* SIM_PROFILE_MAX_DEVICES + 1 candidates: one is free. */
		for (unsigned int n = 0; n <= SIM_PROFILE_MAX_DEVICES; n++) {
			snprintf(d.name, sizeof(d.name), "sim%u", n);
			if (!sim_profile_find_device(p, d.name))
				break;
		}
	}
	if (strnlen(d.bdf, sizeof(d.bdf)) == sizeof(d.bdf) ||
	    (d.bdf[0] && bdf_normalise(d.bdf, norm, NULL)))
		return fail(&e, -EINVAL, "bdf",
			    "\"%.*s\" is not a PCI address (dddd:bb:dd.f or bb:dd.f)",
			    (int)sizeof(d.bdf), d.bdf);
	if (d.bdf[0]) {
		memcpy(d.bdf, norm, sizeof(norm));
	} else {
		for (unsigned int bus = 1; bus <= SIM_PROFILE_MAX_DEVICES + 1;
		     bus++) {
			snprintf(d.bdf, sizeof(d.bdf), "0000:%02x:00.0", bus);
			if (!bdf_taken(p, d.bdf))
				break;
		}
	}

	ret = check_device(p, &d, d.name, &e);
	if (ret)
		return ret;
	if (sim_profile_find_device(p, d.name))
		return fail(&e, -EEXIST, "name", "a device \"%s\" exists",
			    d.name);
	if (bdf_taken(p, d.bdf))
		return fail(&e, -EEXIST, "bdf",
			    "\"%s\" is taken by another device", d.bdf);

	p->devices[p->nr_devices++] = d;
	return 0;
}

int sim_profile_remove_device(struct sim_profile *p, const char *name,
			      char *err, size_t errlen)
{
	struct perr e = { .buf = err, .len = errlen, .src = NULL };
	const struct sim_dev_desc *d;
	unsigned int i;

	if (err && errlen)
		err[0] = '\0';
	if (!p || !name)
		return fail(&e, -EINVAL, NULL, "no profile or no name");
	e.src = p->name;
	d = sim_profile_find_device(p, name);
	if (!d)
		return fail(&e, -ENOENT, NULL, "no device \"%.*s\"",
			    SIM_DEV_NAME_MAX, name);
	i = (unsigned int)(d - p->devices);
	memmove(&p->devices[i], &p->devices[i + 1],
		(p->nr_devices - i - 1) * sizeof(p->devices[0]));
	p->nr_devices--;
	memset(&p->devices[p->nr_devices], 0, sizeof(p->devices[0]));
	return 0;
}

/* ------------------------------------------------------------------------
 * Dump
 */

/* Collects json_object_set_new() failures so the builder can check once. */
struct jb {
	bool failed;
};

/*
 * Both steal @v: the *_new() calls drop it themselves when they fail, and
 * when an allocation upstream already failed (@obj or @v NULL) we drop it.
 */
static void jset(struct jb *jb, json_t *obj, const char *key, json_t *v)
{
	if (!obj || !v) {
		json_decref(v);
		jb->failed = true;
	} else if (json_object_set_new(obj, key, v)) {
		jb->failed = true;
	}
}

static void jappend(struct jb *jb, json_t *arr, json_t *v)
{
	if (!arr || !v) {
		json_decref(v);
		jb->failed = true;
	} else if (json_array_append_new(arr, v)) {
		jb->failed = true;
	}
}

static json_t *jhex(uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%" PRIx64, v);
	return json_string(b);
}

static json_t *jrange(struct jb *jb, const char *lastkey, uint64_t start,
		      uint64_t last)
{
	json_t *o = json_object();

	jset(jb, o, "start", jhex(start));
	jset(jb, o, lastkey, jhex(last));
	return o;
}

static json_t *jregisters(struct jb *jb, const struct sim_profile *p)
{
	json_t *o = json_object(), *a;

	switch (p->vendor) {
	case SIM_VENDOR_VTD:
		jset(jb, o, "cap_reg", jhex(p->regs.vtd.cap_reg));
		jset(jb, o, "ecap_reg", jhex(p->regs.vtd.ecap_reg));
		break;
	case SIM_VENDOR_SMMUV3:
		a = json_array();
		for (unsigned int i = 0; i < 6; i++)
			jappend(jb, a, jhex(p->regs.smmuv3.idr[i]));
		jset(jb, o, "idr", a);
		jset(jb, o, "iidr", jhex(p->regs.smmuv3.iidr));
		jset(jb, o, "aidr", jhex(p->regs.smmuv3.aidr));
		break;
	case SIM_VENDOR_AMD:
		jset(jb, o, "efr", jhex(p->regs.amd.efr));
		jset(jb, o, "efr2", jhex(p->regs.amd.efr2));
		break;
	case SIM_VENDOR_VIRTIO_IOMMU: {
		const struct ioasid_cap_virtio_iommu *r = &p->regs.virtio;

		jset(jb, o, "page_size_mask", jhex(r->page_size_mask));
		jset(jb, o, "input_range",
		     jrange(jb, "end", r->input_start, r->input_end));
		jset(jb, o, "domain_range",
		     jrange(jb, "end", r->domain_start, r->domain_end));
		jset(jb, o, "probe_size", json_integer(r->probe_size));
		jset(jb, o, "features", jhex(r->features));
		break;
	}
	case SIM_VENDOR_GENERIC:
		break;
	}
	return o;
}

static json_t *jdevice(struct jb *jb, const struct sim_dev_desc *d)
{
	json_t *o = json_object(), *regions = json_array();

	jset(jb, o, "name", json_string(d->name));
	jset(jb, o, "bdf", json_string(d->bdf));
	jset(jb, o, "page_sizes", jhex(d->page_sizes));
	jset(jb, o, "pasid_width", json_integer(d->pasid_width));
	jset(jb, o, "pri", json_boolean(d->pri));
	jset(jb, o, "ats", json_boolean(d->ats));
	for (unsigned int i = 0; i < d->nr_regions; i++) {
		const struct sim_resv_region *r = &d->regions[i];
		json_t *ro = jrange(jb, "last", r->start, r->last);

		jset(jb, ro, "type", json_string(sim_resv_type_name(r->type)));
		jappend(jb, regions, ro);
	}
	jset(jb, o, "reserved", regions);
	return o;
}

json_t *sim_profile_to_json(const struct sim_profile *p)
{
	struct jb jb = { .failed = false };
	json_t *o, *levels, *devs;

	if (!p)
		return NULL;
	o = json_object();
	jset(&jb, o, "version", json_integer(1));
	jset(&jb, o, "name", json_string(p->name));
	jset(&jb, o, "model", json_string(sim_vendor_name(p->vendor)));
	jset(&jb, o, "input_width", json_integer(p->input_width));
	jset(&jb, o, "output_width", json_integer(p->output_width));
	levels = json_array();
	for (unsigned int l = 1; l <= 6; l++)
		if (p->levels & (1U << l))
			jappend(&jb, levels, json_integer(l));
	jset(&jb, o, "levels", levels);
	jset(&jb, o, "page_sizes", jhex(p->page_sizes));
	jset(&jb, o, "pasid_width", json_integer(p->pasid_width));
	jset(&jb, o, "nesting", json_boolean(p->nesting));
	jset(&jb, o, "dirty_tracking", json_boolean(p->dirty_tracking));
	jset(&jb, o, "pri", json_boolean(p->pri));
	jset(&jb, o, "ats", json_boolean(p->ats));
	if (p->vendor == SIM_VENDOR_VTD) {
		jset(&jb, o, "scalable_mode", json_boolean(p->scalable_mode));
		jset(&jb, o, "caching_mode", json_boolean(p->caching_mode));
	}
	jset(&jb, o, "iotlb_size", json_integer(p->iotlb_size));
	jset(&jb, o, "aperture",
	     jrange(&jb, "last", p->aperture_start, p->aperture_last));
	if (p->vendor != SIM_VENDOR_GENERIC)
		jset(&jb, o, "registers", jregisters(&jb, p));
	devs = json_array();
	for (unsigned int i = 0; i < p->nr_devices; i++)
		jappend(&jb, devs, jdevice(&jb, &p->devices[i]));
	jset(&jb, o, "devices", devs);

	if (jb.failed) {
		json_decref(o);
		return NULL;
	}
	return o;
}
