/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Device-information capability chains: builder, untrusted-buffer parser,
 * vendor register decoders.
 *
 * Rules the parser enforces (see include/ioasid/caps.h for the errnos):
 *  - every read is bounded by the chain's total_size, which must fit in the
 *    caller's buffer; fields are copied out with memcpy, so neither the
 *    buffer nor a tolerant (4-byte aligned) capability needs alignment;
 *  - a capability's `next` must lie at or past its end. Offsets therefore
 *    strictly increase, capabilities cannot overlap, and a walk visits at
 *    most total_size / 16 capabilities: loops are impossible without any
 *    bookkeeping;
 *  - a known id must be at least as large as its version-1 struct, its
 *    counted array must fit, and its values must make sense; reserved
 *    bytes of a version-1 capability must be zero, while in a newer
 *    version they may have gained a meaning and are ignored;
 *  - unknown ids are skipped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <ioasid/caps.h>

#include "core/private.h"

#define CAP_HDR_SIZE ((uint32_t)sizeof(struct ioasid_cap_header))
#define INFO_HDR_SIZE ((uint32_t)sizeof(struct ioasid_info_hdr))

/* ------------------------------------------------------------------------ */
/* Messages                                                                 */

__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* A failure about the capability at @off: the message starts by naming it. */
__attribute__((format(printf, 6, 7)))
static int cap_fail(char *err, size_t errlen, int ret, uint32_t off,
		    const struct ioasid_cap_header *h, const char *fmt, ...)
{
	const char *name = ioasid_cap_id_name(h->id);
	char what[160];
	va_list ap;

	if (!err || !errlen)
		return ret;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "cap at offset %u (id %u%s%s, version %u): %s",
		 off, h->id, name ? " " : "", name ? name : "", h->version,
		 what);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Names and vendor bit tables                                              */

const char *ioasid_cap_id_name(uint16_t id)
{
	switch (id) {
	case IOASID_CAP_PAGE_SIZES: return "page_sizes";
	case IOASID_CAP_ADDR_WIDTH: return "addr_width";
	case IOASID_CAP_PASID: return "pasid";
	case IOASID_CAP_IOVA_RANGES: return "iova_ranges";
	case IOASID_CAP_RESV_REGIONS: return "resv_regions";
	case IOASID_CAP_FEATURES: return "features";
	case IOASID_CAP_VTD: return "vtd";
	case IOASID_CAP_SMMUV3: return "smmuv3";
	case IOASID_CAP_AMD: return "amd";
	case IOASID_CAP_VIRTIO_IOMMU: return "virtio_iommu";
	}
	return NULL;
}

const char *ioasid_cap_source_name(uint32_t source)
{
	switch (source) {
	case IOASID_CAP_SRC_MEASURED: return "measured";
	case IOASID_CAP_SRC_DERIVED: return "derived";
	case IOASID_CAP_SRC_CONFIGURED: return "configured";
	}
	return NULL;
}

const char *ioasid_resv_type_name(uint32_t type)
{
	switch (type) {
	case IOASID_RESV_RESERVED: return "reserved";
	case IOASID_RESV_MSI: return "msi";
	case IOASID_RESV_SW_MSI: return "sw_msi";
	case IOASID_RESV_DIRECT: return "direct";
	case IOASID_RESV_DIRECT_RELAXABLE: return "direct_relaxable";
	}
	return NULL;
}

/*
 * One decoded boolean: bit @out of the capability's `bits` is bit @regbit
 * of raw register @reg. reg NOREG marks a bit computed from a multi-bit
 * field (listed only for its name).
 */
struct bit_desc {
	uint8_t out;
	uint8_t reg;
	uint8_t regbit;
	const char *name;
};
#define NOREG 0xff

/* reg 0 = CAP_REG, 1 = ECAP_REG (VT-d spec §11.4.2, §11.4.3). */
static const struct bit_desc vtd_bits[] = {
	{ 0, 0, 3, "afl" },     { 1, 0, 4, "rwbf" },     { 2, 0, 5, "plmr" },
	{ 3, 0, 6, "phmr" },    { 4, 0, 7, "cm" },       { 5, 0, 22, "zlr" },
	{ 6, 0, 39, "psi" },    { 7, 0, 54, "dwd" },     { 8, 0, 55, "drd" },
	{ 9, 0, 56, "fl1gp" },  { 10, 0, 59, "pi" },     { 11, 0, 60, "fl5lp" },
	{ 12, 0, 61, "ecmds" }, { 13, 0, 62, "esirtps" }, { 14, 0, 63, "esrtps" },
	{ 15, 0, 34, "sp_2m" }, { 16, 0, 35, "sp_1g" },
	{ 17, 1, 0, "c" },      { 18, 1, 1, "qi" },      { 19, 1, 2, "dt" },
	{ 20, 1, 3, "ir" },     { 21, 1, 4, "eim" },     { 22, 1, 6, "pt" },
	{ 23, 1, 7, "sc" },     { 24, 1, 25, "mts" },    { 25, 1, 26, "nest" },
	{ 26, 1, 27, "dis" },   { 27, 1, 29, "prs" },    { 28, 1, 30, "ers" },
	{ 29, 1, 31, "srs" },   { 30, 1, 33, "nwfs" },   { 31, 1, 34, "eafs" },
	{ 32, 1, 40, "pasid" }, { 33, 1, 41, "dit" },    { 34, 1, 42, "pds" },
	{ 35, 1, 43, "smts" },  { 36, 1, 44, "vcs" },    { 37, 1, 45, "slads" },
	{ 38, 1, 46, "slts" },  { 39, 1, 47, "flts" },   { 40, 1, 48, "smpwc" },
	{ 41, 1, 49, "rps" },   { 42, 1, 51, "pms" },
};

/* reg n = SMMU_IDRn (SMMUv3 spec, IHI 0070, §6.3.1-6.3.6). */
static const struct bit_desc smmuv3_bits[] = {
	{ 0, 0, 0, "s2p" },        { 1, 0, 1, "s1p" },
	{ 2, 0, 2, "ttf_aarch32" }, { 3, 0, 3, "ttf_aarch64" },
	{ 4, 0, 4, "cohacc" },     { 5, 0, 5, "btm" },
	{ 6, NOREG, 0, "ha" },     { 7, NOREG, 0, "hd" },
	{ 8, 0, 8, "dormhint" },   { 9, 0, 9, "hyp" },
	{ 10, 0, 10, "ats" },      { 11, 0, 11, "ns1ats" },
	{ 12, 0, 12, "asid16" },   { 13, 0, 13, "msi" },
	{ 14, 0, 14, "sev" },      { 15, 0, 15, "atos" },
	{ 16, 0, 16, "pri" },      { 17, 0, 17, "vmw" },
	{ 18, 0, 18, "vmid16" },   { 19, 0, 19, "cd2l" },
	{ 20, 0, 20, "vatos" },    { 21, 0, 26, "term_model" },
	{ 22, NOREG, 0, "stall" }, { 23, NOREG, 0, "stall_force" },
	{ 24, 3, 2, "had" },       { 25, 3, 7, "mpam" },
	{ 26, 3, 8, "fwb" },       { 27, 3, 9, "stt" },
	{ 28, 3, 10, "ril" },      { 29, 3, 13, "e0pd" },
	{ 30, 3, 14, "ptwnnc" },   { 31, 3, 15, "dpt" },
	{ 32, 5, 3, "ds" },        { 33, 5, 4, "gran4k" },
	{ 34, 5, 5, "gran16k" },   { 35, 5, 6, "gran64k" },
};

/* reg 0 = EFR, 1 = EFR2 (AMD IOMMU spec, MMIO 0x30 and 0x1a0). */
static const struct bit_desc amd_bits[] = {
	{ 0, 0, 0, "pref" },       { 1, 0, 1, "ppr" },       { 2, 0, 2, "xt" },
	{ 3, 0, 3, "nx" },         { 4, 0, 4, "gt" },        { 5, 0, 6, "ia" },
	{ 6, 0, 7, "ga" },         { 7, 0, 8, "he" },        { 8, 0, 9, "pc" },
	{ 9, 0, 21, "gam_vapic" }, { 10, 0, 48, "gio" },     { 11, 0, 49, "ha" },
	{ 12, 0, 50, "eph" },      { 13, 0, 52, "hd" },      { 14, 0, 63, "snp" },
	{ 15, 1, 1, "sevsnpio" },  { 16, 1, 3, "gcr3trp" },
	{ 17, 1, 11, "htrange_ignore" },
};

static const char *const feature_names[] = {
	"nesting", "dirty_tracking", "pri", "ats", "pasid",
	"pasid_exec", "pasid_priv", "coherent", "stall", "identity",
};

static const char *const virtio_feature_names[] = {
	"input_range", "domain_range", "map_unmap", "bypass", "probe",
	"mmio", "bypass_config",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *bit_desc_name(const struct bit_desc *t, size_t n,
				 unsigned int bit)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].out == bit)
			return t[i].name;
	return NULL;
}

const char *ioasid_cap_bit_name(uint16_t id, unsigned int bit)
{
	switch (id) {
	case IOASID_CAP_FEATURES:
		return bit < ARRAY_SIZE(feature_names) ? feature_names[bit] : NULL;
	case IOASID_CAP_VIRTIO_IOMMU:
		return bit < ARRAY_SIZE(virtio_feature_names) ?
			virtio_feature_names[bit] : NULL;
	case IOASID_CAP_VTD:
		return bit_desc_name(vtd_bits, ARRAY_SIZE(vtd_bits), bit);
	case IOASID_CAP_SMMUV3:
		return bit_desc_name(smmuv3_bits, ARRAY_SIZE(smmuv3_bits), bit);
	case IOASID_CAP_AMD:
		return bit_desc_name(amd_bits, ARRAY_SIZE(amd_bits), bit);
	}
	return NULL;
}

static uint64_t decode_bits(const struct bit_desc *t, size_t n,
			    const uint64_t *regs)
{
	uint64_t bits = 0;

	for (size_t i = 0; i < n; i++)
		if (t[i].reg != NOREG && (regs[t[i].reg] >> t[i].regbit) & 1)
			bits |= UINT64_C(1) << t[i].out;
	return bits;
}

static inline uint64_t field(uint64_t v, unsigned int lo, unsigned int width)
{
	return (v >> lo) & ((UINT64_C(1) << width) - 1);
}

/* ------------------------------------------------------------------------ */
/* Vendor decoding                                                          */

static void vtd_decode(struct ioasid_cap_vtd *c)
{
	const uint64_t regs[2] = { c->cap_reg, c->ecap_reg };
	unsigned int nd = field(c->cap_reg, 0, 3);

	/* ND 7 is reserved; 0..6 give 2^4 .. 2^16 domain ids. */
	c->domains = nd == 7 ? 0 : UINT32_C(1) << (4 + 2 * nd);
	c->bits = decode_bits(vtd_bits, ARRAY_SIZE(vtd_bits), regs);
	c->sagaw = field(c->cap_reg, 8, 5);
	/* SAGAW bit n = (n + 2)-level table (bit 1: 39-bit 3-level, ...). */
	c->levels = (uint8_t)(c->sagaw << 2);
	c->mgaw = field(c->cap_reg, 16, 6) + 1;
	c->sllps = field(c->cap_reg, 34, 4);
	c->pss = field(c->ecap_reg, 35, 5);
	/* The PASID size field means nothing without ECAP.PASID (§11.4.3). */
	c->pasid_bits = (c->bits & IOASID_VTD_PASID) ? c->pss + 1 : 0;
	c->mamv = field(c->cap_reg, 48, 6);
	c->mhmv = field(c->ecap_reg, 20, 4);
}

static void smmuv3_decode(struct ioasid_cap_smmuv3 *c)
{
	static const uint8_t oas_bits[8] = { 32, 36, 40, 42, 44, 48, 52, 0 };
	uint64_t regs[6];
	uint32_t idr0 = c->idr[0];

	for (int i = 0; i < 6; i++)
		regs[i] = c->idr[i];
	c->pad = 0;
	c->bits = decode_bits(smmuv3_bits, ARRAY_SIZE(smmuv3_bits), regs);
	c->st_level = field(idr0, 27, 2);
	c->stall_model = field(idr0, 24, 2);
	c->ttf = field(idr0, 2, 2);
	c->ttendian = field(idr0, 21, 2);
	c->httu = field(idr0, 6, 2);
	if (c->httu == 1 || c->httu == 2)
		c->bits |= IOASID_SMMUV3_HA;
	if (c->httu == 2)
		c->bits |= IOASID_SMMUV3_HD;
	/* STALL_MODEL: 0 stall and terminate, 1 terminate only, 2 stall forced. */
	if (c->stall_model == 0 || c->stall_model == 2)
		c->bits |= IOASID_SMMUV3_STALL;
	if (c->stall_model == 2)
		c->bits |= IOASID_SMMUV3_STALL_FORCE;
	c->sidsize = field(c->idr[1], 0, 6);
	c->ssidsize = field(c->idr[1], 6, 5);
	c->oas_bits = oas_bits[field(c->idr[5], 0, 3)];
	switch (field(c->idr[5], 10, 2)) {
	case 0: c->va_bits = 48; break;
	case 1: c->va_bits = 52; break;
	default: c->va_bits = 0; break;
	}
	c->bbml = field(c->idr[3], 11, 2);
	memset(c->pad2, 0, sizeof(c->pad2));
}

static void amd_decode(struct ioasid_cap_amd *c)
{
	const uint64_t regs[2] = { c->efr, c->efr2 };

	c->bits = decode_bits(amd_bits, ARRAY_SIZE(amd_bits), regs);
	c->hats = field(c->efr, 10, 2);
	c->gats = field(c->efr, 12, 2);
	c->glx = field(c->efr, 14, 2);
	c->pasmax = field(c->efr, 32, 5);
	/* HATS 0/1/2 = 4/5/6-level host tables; 3 is reserved. */
	c->host_levels = c->hats == 3 ? 0 : c->hats + 4;
	/* GATS 0/1 = 4/5-level guest tables; 2 and 3 are reserved. */
	c->guest_levels = c->gats <= 1 ? c->gats + 4 : 0;
	/* PASmax is the largest PASID's width minus one; needs GTSup. */
	c->pasid_bits = (c->bits & IOASID_AMD_GT) ? c->pasmax + 1 : 0;
	c->snp_avic = field(c->efr2, 5, 3);
	c->num_int_remap = field(c->efr2, 8, 2);
	memset(c->pad, 0, sizeof(c->pad));
}

int ioasid_cap_vtd_decode(struct ioasid_cap_vtd *c)
{
	if (!c)
		return -EINVAL;
	vtd_decode(c);
	return 0;
}

int ioasid_cap_smmuv3_decode(struct ioasid_cap_smmuv3 *c)
{
	if (!c)
		return -EINVAL;
	smmuv3_decode(c);
	return 0;
}

int ioasid_cap_amd_decode(struct ioasid_cap_amd *c)
{
	if (!c)
		return -EINVAL;
	amd_decode(c);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Content checks of known capabilities                                     */

/*
 * Each check gets the capability's bytes (@p, h->size of them, already
 * known to be at least the version-1 struct size) and reports problems
 * with cap_fail().
 */
typedef int (*cap_check_fn)(const uint8_t *p, uint32_t off,
			    const struct ioasid_cap_header *h, char *err,
			    size_t errlen);

static int check_page_sizes(const uint8_t *p, uint32_t off,
			    const struct ioasid_cap_header *h, char *err,
			    size_t errlen)
{
	struct ioasid_cap_page_sizes c;

	memcpy(&c, p, sizeof(c));
	if (!c.bitmap)
		return cap_fail(err, errlen, -EINVAL, off, h,
				"page-size bitmap is 0x0");
	return 0;
}

static int check_addr_width(const uint8_t *p, uint32_t off,
			    const struct ioasid_cap_header *h, char *err,
			    size_t errlen)
{
	struct ioasid_cap_addr_width c;

	memcpy(&c, p, sizeof(c));
	if (c.input_bits < 1 || c.input_bits > 64)
		return cap_fail(err, errlen, -EINVAL, off, h,
				"input_bits %u is not in 1..64", c.input_bits);
	if (c.output_bits < 1 || c.output_bits > 64)
		return cap_fail(err, errlen, -EINVAL, off, h,
				"output_bits %u is not in 1..64", c.output_bits);
	return 0;
}

static int check_pasid(const uint8_t *p, uint32_t off,
		       const struct ioasid_cap_header *h, char *err,
		       size_t errlen)
{
	struct ioasid_cap_pasid c;
	uint32_t want;

	memcpy(&c, p, sizeof(c));
	if (c.width > IOASID_PASID_MAX_WIDTH)
		return cap_fail(err, errlen, -EINVAL, off, h,
				"PASID width %u exceeds %u bits", c.width,
				IOASID_PASID_MAX_WIDTH);
	want = c.width ? UINT32_C(1) << c.width : 0;
	if (c.max_pasids != want)
		return cap_fail(err, errlen, -EINVAL, off, h,
				"max_pasids %u does not match width %u (%u)",
				c.max_pasids, c.width, want);
	return 0;
}

/*
 * The counted-array header: @count entries of @elem_size bytes right after
 * the 24-byte fixed part, each at least @known bytes.
 */
static int check_array(const uint8_t *p, uint32_t off,
		       const struct ioasid_cap_header *h, uint32_t known,
		       uint32_t *ret_count, uint32_t *ret_elem, char *err,
		       size_t errlen)
{
	const uint32_t base = sizeof(struct ioasid_cap_iova_ranges);
	uint32_t count, elem;
	uint64_t need;

	memcpy(&count, p + offsetof(struct ioasid_cap_iova_ranges, count), 4);
	memcpy(&elem, p + offsetof(struct ioasid_cap_iova_ranges, elem_size), 4);
	if (elem < known)
		return cap_fail(err, errlen, -EMSGSIZE, off, h,
				"entry size %u is below the %u-byte entry",
				elem, known);
	if (elem % 8)
		return cap_fail(err, errlen, -EINVAL, off, h,
				"entry size %u is not a multiple of 8", elem);
	need = (uint64_t)count * elem;
	if (need > h->size - base)
		return cap_fail(err, errlen, -EMSGSIZE, off, h,
				"%u entries of %u bytes need %llu bytes, the cap has %u after its fixed part",
				count, elem, (unsigned long long)need,
				h->size - base);
	*ret_count = count;
	*ret_elem = elem;
	return 0;
}

static int check_iova_ranges(const uint8_t *p, uint32_t off,
			     const struct ioasid_cap_header *h, char *err,
			     size_t errlen)
{
	const uint8_t *e = p + sizeof(struct ioasid_cap_iova_ranges);
	struct ioasid_cap_iova_range r, prev = { 0, 0 };
	uint32_t count, elem;
	int ret;

	ret = check_array(p, off, h, sizeof(r), &count, &elem, err, errlen);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < count; i++, e += elem) {
		memcpy(&r, e, sizeof(r));
		if (r.start > r.last)
			return cap_fail(err, errlen, -EINVAL, off, h,
					"range %u: start 0x%llx > last 0x%llx",
					i, (unsigned long long)r.start,
					(unsigned long long)r.last);
		/* Sorted and disjoint, as iommufd and VFIO report them. */
		if (i && r.start <= prev.last)
			return cap_fail(err, errlen, -EINVAL, off, h,
					"range %u: start 0x%llx is not above the previous range's last 0x%llx",
					i, (unsigned long long)r.start,
					(unsigned long long)prev.last);
		prev = r;
	}
	return 0;
}

static int check_resv_regions(const uint8_t *p, uint32_t off,
			      const struct ioasid_cap_header *h, char *err,
			      size_t errlen)
{
	const uint8_t *e = p + sizeof(struct ioasid_cap_resv_regions);
	struct ioasid_cap_resv_region r;
	uint32_t count, elem;
	int ret;

	ret = check_array(p, off, h, sizeof(r), &count, &elem, err, errlen);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < count; i++, e += elem) {
		memcpy(&r, e, sizeof(r));
		if (r.start > r.last)
			return cap_fail(err, errlen, -EINVAL, off, h,
					"region %u: start 0x%llx > last 0x%llx",
					i, (unsigned long long)r.start,
					(unsigned long long)r.last);
		/* Unknown types are allowed (read as RESERVED); 0 is not. */
		if (!r.type)
			return cap_fail(err, errlen, -EINVAL, off, h,
					"region %u: type 0", i);
		if (h->version == 1 && r.pad)
			return cap_fail(err, errlen, -EINVAL, off, h,
					"region %u: reserved field is 0x%x, not 0",
					i, r.pad);
	}
	return 0;
}

static int check_features(const uint8_t *p, uint32_t off,
			  const struct ioasid_cap_header *h, char *err,
			  size_t errlen)
{
	struct ioasid_cap_features c;

	memcpy(&c, p, sizeof(c));
	if (c.features & ~c.known)
		return cap_fail(err, errlen, -EINVAL, off, h,
				"features 0x%llx include bits outside known 0x%llx",
				(unsigned long long)c.features,
				(unsigned long long)c.known);
	return 0;
}

/*
 * Compare decoded field @f of @got against @exp (recomputed from the
 * registers); the message names the field and both values.
 */
#define CHECK_DECODED(f)                                                     \
	do {                                                                 \
		if (got.f != exp.f)                                          \
			return cap_fail(err, errlen, -EINVAL, off, h,        \
					"decoded " #f " is 0x%llx, the registers give 0x%llx", \
					(unsigned long long)got.f,           \
					(unsigned long long)exp.f);          \
	} while (0)

static int check_vtd(const uint8_t *p, uint32_t off,
		     const struct ioasid_cap_header *h, char *err,
		     size_t errlen)
{
	struct ioasid_cap_vtd got, exp;

	memcpy(&got, p, sizeof(got));
	exp = got;
	vtd_decode(&exp);
	if (h->version > 1) {
		/* Bits this version does not know may mean something now. */
		got.bits &= IOASID_VTD_BITS_V1;
		exp.bits &= IOASID_VTD_BITS_V1;
	}
	CHECK_DECODED(domains);
	CHECK_DECODED(bits);
	CHECK_DECODED(sagaw);
	CHECK_DECODED(levels);
	CHECK_DECODED(mgaw);
	CHECK_DECODED(sllps);
	CHECK_DECODED(pss);
	CHECK_DECODED(pasid_bits);
	CHECK_DECODED(mamv);
	CHECK_DECODED(mhmv);
	return 0;
}

static int check_smmuv3(const uint8_t *p, uint32_t off,
			const struct ioasid_cap_header *h, char *err,
			size_t errlen)
{
	struct ioasid_cap_smmuv3 got, exp;

	memcpy(&got, p, sizeof(got));
	exp = got;
	smmuv3_decode(&exp);
	if (h->version > 1) {
		got.bits &= IOASID_SMMUV3_BITS_V1;
		exp.bits &= IOASID_SMMUV3_BITS_V1;
	} else {
		if (got.pad)
			return cap_fail(err, errlen, -EINVAL, off, h,
					"reserved field pad is 0x%x, not 0",
					got.pad);
		for (size_t i = 0; i < sizeof(got.pad2); i++)
			if (got.pad2[i])
				return cap_fail(err, errlen, -EINVAL, off, h,
						"reserved byte pad2[%zu] is 0x%x, not 0",
						i, got.pad2[i]);
	}
	CHECK_DECODED(bits);
	CHECK_DECODED(st_level);
	CHECK_DECODED(stall_model);
	CHECK_DECODED(ttf);
	CHECK_DECODED(ttendian);
	CHECK_DECODED(httu);
	CHECK_DECODED(sidsize);
	CHECK_DECODED(ssidsize);
	CHECK_DECODED(oas_bits);
	CHECK_DECODED(va_bits);
	CHECK_DECODED(bbml);
	return 0;
}

static int check_amd(const uint8_t *p, uint32_t off,
		     const struct ioasid_cap_header *h, char *err,
		     size_t errlen)
{
	struct ioasid_cap_amd got, exp;

	memcpy(&got, p, sizeof(got));
	exp = got;
	amd_decode(&exp);
	if (h->version > 1) {
		got.bits &= IOASID_AMD_BITS_V1;
		exp.bits &= IOASID_AMD_BITS_V1;
	} else {
		for (size_t i = 0; i < sizeof(got.pad); i++)
			if (got.pad[i])
				return cap_fail(err, errlen, -EINVAL, off, h,
						"reserved byte pad[%zu] is 0x%x, not 0",
						i, got.pad[i]);
	}
	CHECK_DECODED(bits);
	CHECK_DECODED(hats);
	CHECK_DECODED(gats);
	CHECK_DECODED(glx);
	CHECK_DECODED(pasmax);
	CHECK_DECODED(host_levels);
	CHECK_DECODED(guest_levels);
	CHECK_DECODED(pasid_bits);
	CHECK_DECODED(snp_avic);
	CHECK_DECODED(num_int_remap);
	return 0;
}

static int check_virtio_iommu(const uint8_t *p, uint32_t off,
			      const struct ioasid_cap_header *h, char *err,
			      size_t errlen)
{
	struct ioasid_cap_virtio_iommu c;

	memcpy(&c, p, sizeof(c));
	if (!c.page_size_mask)
		return cap_fail(err, errlen, -EINVAL, off, h,
				"page_size_mask is 0x0");
	if (c.input_start > c.input_end)
		return cap_fail(err, errlen, -EINVAL, off, h,
				"input range start 0x%llx > end 0x%llx",
				(unsigned long long)c.input_start,
				(unsigned long long)c.input_end);
	if (c.domain_start > c.domain_end)
		return cap_fail(err, errlen, -EINVAL, off, h,
				"domain range start %u > end %u",
				c.domain_start, c.domain_end);
	if (c.bypass > 1)
		return cap_fail(err, errlen, -EINVAL, off, h,
				"bypass is %u, not 0 or 1", c.bypass);
	if (h->version == 1 && (c.pad[0] | c.pad[1] | c.pad[2]))
		return cap_fail(err, errlen, -EINVAL, off, h,
				"reserved bytes are not 0");
	return 0;
}

struct known_cap {
	uint16_t id;
	uint32_t size;      /* version-1 struct (fixed part) */
	uint32_t elem_size; /* version-1 array entry, 0 = no array */
	cap_check_fn check;
};

static const struct known_cap known_caps[] = {
	{ IOASID_CAP_PAGE_SIZES, sizeof(struct ioasid_cap_page_sizes), 0,
	  check_page_sizes },
	{ IOASID_CAP_ADDR_WIDTH, sizeof(struct ioasid_cap_addr_width), 0,
	  check_addr_width },
	{ IOASID_CAP_PASID, sizeof(struct ioasid_cap_pasid), 0, check_pasid },
	{ IOASID_CAP_IOVA_RANGES, sizeof(struct ioasid_cap_iova_ranges),
	  sizeof(struct ioasid_cap_iova_range), check_iova_ranges },
	{ IOASID_CAP_RESV_REGIONS, sizeof(struct ioasid_cap_resv_regions),
	  sizeof(struct ioasid_cap_resv_region), check_resv_regions },
	{ IOASID_CAP_FEATURES, sizeof(struct ioasid_cap_features), 0,
	  check_features },
	{ IOASID_CAP_VTD, sizeof(struct ioasid_cap_vtd), 0, check_vtd },
	{ IOASID_CAP_SMMUV3, sizeof(struct ioasid_cap_smmuv3), 0,
	  check_smmuv3 },
	{ IOASID_CAP_AMD, sizeof(struct ioasid_cap_amd), 0, check_amd },
	{ IOASID_CAP_VIRTIO_IOMMU, sizeof(struct ioasid_cap_virtio_iommu), 0,
	  check_virtio_iommu },
};

/* Index into known_caps[], or -1. */
static int known_index(uint16_t id)
{
	for (size_t i = 0; i < ARRAY_SIZE(known_caps); i++)
		if (known_caps[i].id == id)
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------------------ */
/* Walking                                                                  */

struct chain {
	const uint8_t *buf;
	uint32_t total;  /* checked: <= the caller's len */
	uint32_t first;  /* 0 = no capability */
	uint32_t hdr_size;
	uint32_t align;  /* 8, or 4 when tolerant */
};

static int chain_open(const void *buf, size_t len, unsigned int flags,
		      struct chain *c, char *err, size_t errlen)
{
	struct ioasid_info_hdr h;

	if (!buf)
		return fail(err, errlen, -EINVAL, "no buffer");
	if (flags & ~IOASID_CAPS_TOLERANT)
		return fail(err, errlen, -EINVAL, "unknown flags 0x%x",
			    flags & ~IOASID_CAPS_TOLERANT);
	if (len < INFO_HDR_SIZE)
		return fail(err, errlen, -EMSGSIZE,
			    "buffer of %zu bytes is shorter than the %u-byte chain header",
			    len, INFO_HDR_SIZE);
	memcpy(&h, buf, sizeof(h));
	c->buf = buf;
	c->align = (flags & IOASID_CAPS_TOLERANT) ? 4 : 8;
	if (h.magic != IOASID_INFO_MAGIC)
		return fail(err, errlen, -EINVAL,
			    "offset 0: bad magic 0x%08x (want 0x%08x)",
			    h.magic, IOASID_INFO_MAGIC);
	/* A newer header version keeps these fields; it may only grow. */
	if (h.version == 0)
		return fail(err, errlen, -EINVAL, "offset 4: header version 0");
	if (h.hdr_size < INFO_HDR_SIZE || h.hdr_size % c->align)
		return fail(err, errlen, -EINVAL,
			    "offset 6: header size %u (must be >= %u and a multiple of %u)",
			    h.hdr_size, INFO_HDR_SIZE, c->align);
	if (h.total_size < h.hdr_size || h.total_size % c->align)
		return fail(err, errlen, -EINVAL,
			    "offset 8: total_size %u (must be >= header size %u and a multiple of %u)",
			    h.total_size, h.hdr_size, c->align);
	if (h.total_size > len)
		return fail(err, errlen, -EMSGSIZE,
			    "offset 8: total_size %u exceeds the %zu-byte buffer (truncated chain)",
			    h.total_size, len);
	if (h.first_cap && h.first_cap < h.hdr_size)
		return fail(err, errlen, -EINVAL,
			    "offset 12: first_cap %u lies inside the %u-byte header",
			    h.first_cap, h.hdr_size);
	c->total = h.total_size;
	c->first = h.first_cap;
	c->hdr_size = h.hdr_size;
	return 0;
}

/*
 * Check the capability at @off, which must not lie before @min (the end of
 * the header or of the previous capability): its header, its size against
 * the chain and against its id, and the content of a known id.
 */
static int cap_check(const struct chain *c, uint32_t off, uint32_t min,
		     struct ioasid_cap_header *h, char *err, size_t errlen)
{
	const struct known_cap *k;
	int ki;

	if (off < min)
		return fail(err, errlen, -EINVAL,
			    "cap offset %u lies before offset %u, the end of what precedes it (chains only move forward)",
			    off, min);
	if (off % c->align)
		return fail(err, errlen, -EINVAL,
			    "cap offset %u is not a multiple of %u", off,
			    c->align);
	if (off > c->total || c->total - off < CAP_HDR_SIZE)
		return fail(err, errlen, -EMSGSIZE,
			    "cap header at offset %u runs past total_size %u",
			    off, c->total);
	memcpy(h, c->buf + off, sizeof(*h));
	if (h->size < CAP_HDR_SIZE)
		return cap_fail(err, errlen, -EINVAL, off, h,
				"size %u is below the %u-byte cap header",
				h->size, CAP_HDR_SIZE);
	if (h->size > c->total - off)
		return cap_fail(err, errlen, -EMSGSIZE, off, h,
				"size %u runs past total_size %u", h->size,
				c->total);
	if (h->size % c->align)
		return cap_fail(err, errlen, -EINVAL, off, h,
				"size %u is not a multiple of %u", h->size,
				c->align);
	if (!h->id)
		return cap_fail(err, errlen, -EINVAL, off, h, "id 0");
	if (!h->version)
		return cap_fail(err, errlen, -EINVAL, off, h, "version 0");
	if (!h->source)
		return cap_fail(err, errlen, -EINVAL, off, h, "source 0");
	if (h->next && h->next < off + h->size)
		return cap_fail(err, errlen, -EINVAL, off, h,
				"next %u points before the end of this cap (%u): loop or overlap",
				h->next, off + h->size);

	ki = known_index(h->id);
	if (ki < 0)
		return 0; /* unknown: skipped, not an error */
	k = &known_caps[ki];
	if (h->size < k->size)
		return cap_fail(err, errlen, -EMSGSIZE, off, h,
				"size %u is below the %u-byte struct of this id",
				h->size, k->size);
	return k->check(c->buf + off, off, h, err, errlen);
}

static int caps_first(const void *buf, size_t len, unsigned int flags,
		      uint32_t *ret_off, struct ioasid_cap_header *ret_hdr,
		      char *err, size_t errlen)
{
	struct ioasid_cap_header h;
	struct chain c;
	int ret;

	if (!ret_off)
		return fail(err, errlen, -EINVAL, "no ret_off");
	ret = chain_open(buf, len, flags, &c, err, errlen);
	if (ret)
		return ret;
	if (!c.first)
		return fail(err, errlen, -ENOENT, "chain has no capability");
	ret = cap_check(&c, c.first, c.hdr_size, &h, err, errlen);
	if (ret)
		return ret;
	*ret_off = c.first;
	if (ret_hdr)
		*ret_hdr = h;
	return 0;
}

static int caps_next(const void *buf, size_t len, unsigned int flags,
		     uint32_t off, uint32_t *ret_off,
		     struct ioasid_cap_header *ret_hdr, char *err,
		     size_t errlen)
{
	struct ioasid_cap_header h, n;
	struct chain c;
	int ret;

	if (!ret_off)
		return fail(err, errlen, -EINVAL, "no ret_off");
	ret = chain_open(buf, len, flags, &c, err, errlen);
	if (ret)
		return ret;
	/*
	 * Re-check the current capability rather than trust @off: it gives
	 * `next` and the end the next one must not precede.
	 */
	ret = cap_check(&c, off, c.hdr_size, &h, err, errlen);
	if (ret)
		return ret;
	if (!h.next)
		return fail(err, errlen, -ENOENT, "end of chain");
	ret = cap_check(&c, h.next, off + h.size, &n, err, errlen);
	if (ret)
		return ret;
	*ret_off = h.next;
	if (ret_hdr)
		*ret_hdr = n;
	return 0;
}

/*
 * The walk used by validate and find: calls @visit for each capability
 * until it returns non-zero (1 = stop, found; < 0 = error).
 */
static int walk(const void *buf, size_t len, unsigned int flags,
		int (*visit)(void *ctx, uint32_t off,
			     const struct ioasid_cap_header *h, char *err,
			     size_t errlen),
		void *ctx, char *err, size_t errlen)
{
	struct ioasid_cap_header h;
	struct chain c;
	uint32_t off, min;
	int ret;

	ret = chain_open(buf, len, flags, &c, err, errlen);
	if (ret)
		return ret;
	for (off = c.first, min = c.hdr_size; off; off = h.next) {
		ret = cap_check(&c, off, min, &h, err, errlen);
		if (ret)
			return ret;
		ret = visit(ctx, off, &h, err, errlen);
		if (ret)
			return ret;
		min = off + h.size;
	}
	return 0;
}

static int visit_validate(void *ctx, uint32_t off,
			  const struct ioasid_cap_header *h, char *err,
			  size_t errlen)
{
	bool *seen = ctx;
	int ki = known_index(h->id);

	if (ki < 0)
		return 0;
	/* Two page-size caps (say) would leave a reader to guess. */
	if (seen[ki])
		return cap_fail(err, errlen, -EINVAL, off, h,
				"second cap with this id");
	seen[ki] = true;
	return 0;
}

static int caps_validate(const void *buf, size_t len, unsigned int flags,
			 char *err, size_t errlen)
{
	bool seen[ARRAY_SIZE(known_caps)] = { false };

	return walk(buf, len, flags, visit_validate, seen, err, errlen);
}

struct find_ctx {
	uint16_t id;
	uint32_t off;
	struct ioasid_cap_header h;
};

static int visit_find(void *ctx, uint32_t off,
		      const struct ioasid_cap_header *h, char *err,
		      size_t errlen)
{
	struct find_ctx *f = ctx;

	(void)err;
	(void)errlen;
	if (h->id != f->id)
		return 0;
	f->off = off;
	f->h = *h;
	return 1;
}

static int caps_find(const void *buf, size_t len, unsigned int flags,
		     uint16_t id, uint32_t *ret_off,
		     struct ioasid_cap_header *ret_hdr, char *err,
		     size_t errlen)
{
	struct find_ctx f = { .id = id };
	int ret;

	if (!ret_off)
		return fail(err, errlen, -EINVAL, "no ret_off");
	ret = walk(buf, len, flags, visit_find, &f, err, errlen);
	if (ret < 0)
		return ret;
	if (!ret) {
		const char *name = ioasid_cap_id_name(id);

		return fail(err, errlen, -ENOENT, "no cap with id %u%s%s", id,
			    name ? " " : "", name ? name : "");
	}
	*ret_off = f.off;
	if (ret_hdr)
		*ret_hdr = f.h;
	return 0;
}

static int caps_get(const void *buf, size_t len, unsigned int flags,
		    uint16_t id, void *out, size_t outsz, uint32_t *ret_size,
		    char *err, size_t errlen)
{
	struct ioasid_cap_header h;
	uint32_t off;
	size_t n;
	int ret;

	if (!out && outsz)
		return fail(err, errlen, -EINVAL, "no output buffer");
	ret = caps_find(buf, len, flags, id, &off, &h, err, errlen);
	if (ret)
		return ret;
	n = h.size < outsz ? h.size : outsz;
	if (n)
		memcpy(out, (const uint8_t *)buf + off, n);
	if (outsz > n)
		memset((uint8_t *)out + n, 0, outsz - n);
	if (ret_size)
		*ret_size = h.size;
	return 0;
}

static int caps_get_array(const void *buf, size_t len, unsigned int flags,
			  uint16_t id, void *out, uint32_t max,
			  uint32_t *ret_count, char *err, size_t errlen)
{
	const uint8_t *p, *e;
	struct ioasid_cap_header h;
	uint32_t off, count, elem, known, n;
	int ki, ret;

	ki = known_index(id);
	if (ki < 0 || !known_caps[ki].elem_size)
		return fail(err, errlen, -EINVAL, "cap id %u has no array", id);
	if (!ret_count || (!out && max))
		return fail(err, errlen, -EINVAL, "no output buffer");
	ret = caps_find(buf, len, flags, id, &off, &h, err, errlen);
	if (ret)
		return ret;
	/* find checked the cap, so count and elem_size are known to fit. */
	p = (const uint8_t *)buf + off;
	memcpy(&count, p + offsetof(struct ioasid_cap_iova_ranges, count), 4);
	memcpy(&elem, p + offsetof(struct ioasid_cap_iova_ranges, elem_size), 4);
	known = known_caps[ki].elem_size;
	n = count < max ? count : max;
	e = p + known_caps[ki].size;
	for (uint32_t i = 0; i < n; i++, e += elem)
		memcpy((uint8_t *)out + (size_t)i * known, e, known);
	*ret_count = count;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* VFIO-format chains                                                       */

static int vfio_cap_find(const void *buf, size_t len, uint32_t first,
			 uint16_t id, unsigned int flags, uint32_t *ret_off,
			 struct ioasid_vfio_cap_header *ret_hdr,
			 uint32_t *ret_avail, char *err, size_t errlen)
{
	const uint32_t hsz = sizeof(struct ioasid_vfio_cap_header);
	struct ioasid_vfio_cap_header h;
	uint32_t align, off, end;

	if (!buf || !ret_off)
		return fail(err, errlen, -EINVAL, "no buffer");
	if (flags & ~IOASID_CAPS_STRICT_ALIGN)
		return fail(err, errlen, -EINVAL, "unknown flags 0x%x",
			    flags & ~IOASID_CAPS_STRICT_ALIGN);
	align = (flags & IOASID_CAPS_STRICT_ALIGN) ? 8 : 4;
	/* Offsets are 32-bit: nothing past 4 GiB can be reached. */
	if (len > UINT32_MAX)
		len = UINT32_MAX;
	/*
	 * Each `next` must move past the current header, so offsets strictly
	 * increase and the walk ends within len / 8 steps.
	 */
	for (off = first; off; off = h.next) {
		if (off % align)
			return fail(err, errlen, -EINVAL,
				    "vfio cap offset %u is not a multiple of %u",
				    off, align);
		if ((uint64_t)off + hsz > len)
			return fail(err, errlen, -EMSGSIZE,
				    "vfio cap header at offset %u runs past the %zu-byte buffer",
				    off, len);
		memcpy(&h, (const uint8_t *)buf + off, sizeof(h));
		if (h.next && h.next < off + hsz)
			return fail(err, errlen, -EINVAL,
				    "vfio cap at offset %u (id %u): next %u does not move forward",
				    off, h.id, h.next);
		if (h.id != id)
			continue;
		end = h.next && h.next < len ? h.next : (uint32_t)len;
		*ret_off = off;
		if (ret_hdr)
			*ret_hdr = h;
		if (ret_avail)
			*ret_avail = end - off;
		return 0;
	}
	return fail(err, errlen, -ENOENT, "no vfio cap with id %u", id);
}

/* ------------------------------------------------------------------------ */
/* Public parsing calls: their message goes to the thread's last error      */

/* Publish @msg as this thread's message when @ret is an error. */
static int publish(int ret, const char *msg)
{
	return ret ? ioasid_err(NULL, ret, "%s", msg) : 0;
}

int ioasid_caps_validate(const void *buf, size_t len, unsigned int flags)
{
	char m[IOASID_ERRMSG_MAX] = "";

	return publish(caps_validate(buf, len, flags, m, sizeof(m)), m);
}

int ioasid_caps_first(const void *buf, size_t len, unsigned int flags,
		      uint32_t *ret_off, struct ioasid_cap_header *ret_hdr)
{
	char m[IOASID_ERRMSG_MAX] = "";

	return publish(caps_first(buf, len, flags, ret_off, ret_hdr, m, sizeof(m)), m);
}

int ioasid_caps_next(const void *buf, size_t len, unsigned int flags,
		     uint32_t off, uint32_t *ret_off,
		     struct ioasid_cap_header *ret_hdr)
{
	char m[IOASID_ERRMSG_MAX] = "";

	return publish(caps_next(buf, len, flags, off, ret_off, ret_hdr, m, sizeof(m)), m);
}

int ioasid_caps_find(const void *buf, size_t len, unsigned int flags,
		     uint16_t id, uint32_t *ret_off,
		     struct ioasid_cap_header *ret_hdr)
{
	char m[IOASID_ERRMSG_MAX] = "";

	return publish(caps_find(buf, len, flags, id, ret_off, ret_hdr, m, sizeof(m)), m);
}

int ioasid_caps_get(const void *buf, size_t len, unsigned int flags,
		    uint16_t id, void *out, size_t outsz, uint32_t *ret_size)
{
	char m[IOASID_ERRMSG_MAX] = "";

	return publish(caps_get(buf, len, flags, id, out, outsz, ret_size, m, sizeof(m)), m);
}

int ioasid_caps_get_array(const void *buf, size_t len, unsigned int flags,
			  uint16_t id, void *out, uint32_t max,
			  uint32_t *ret_count)
{
	char m[IOASID_ERRMSG_MAX] = "";

	return publish(caps_get_array(buf, len, flags, id, out, max, ret_count, m,
				      sizeof(m)), m);
}

int ioasid_vfio_cap_find(const void *buf, size_t len, uint32_t first,
			 uint16_t id, unsigned int flags, uint32_t *ret_off,
			 struct ioasid_vfio_cap_header *ret_hdr,
			 uint32_t *ret_avail)
{
	char m[IOASID_ERRMSG_MAX] = "";

	return publish(vfio_cap_find(buf, len, first, id, flags, ret_off, ret_hdr,
				     ret_avail, m, sizeof(m)), m);
}

/* ------------------------------------------------------------------------ */
/* Builder                                                                  */

struct ioasid_caps_builder {
	uint8_t *buf;
	size_t len;      /* bytes in use; 0 = no header written yet */
	size_t alloc;    /* bytes allocated */
	uint32_t last;   /* offset of the last capability, 0 = none */
	uint32_t seen;   /* bit i = known_caps[i] already added */
};

/* So a single u32 can record which known ids a chain already has. */
_Static_assert(ARRAY_SIZE(known_caps) <= 32, "seen bitmap");

int ioasid_caps_builder_new(struct ioasid_caps_builder **ret_b)
{
	struct ioasid_caps_builder *b;

	if (!ret_b)
		return -EINVAL;
	b = ioasid_calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	*ret_b = b;
	return 0;
}

void ioasid_caps_builder_free(struct ioasid_caps_builder *b)
{
	if (!b)
		return;
	ioasid_free(b->buf);
	ioasid_free(b);
}

void ioasid_caps_free(void *buf)
{
	ioasid_free(buf);
}

static inline size_t round8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/*
 * Make room for @need more bytes past len, writing the chain header first
 * if there is none. The buffer comes from malloc/realloc, hence is at least
 * 8-byte aligned, and every capability size is a multiple of 8, so every
 * capability starts 8-byte aligned in memory too.
 */
static int builder_reserve(struct ioasid_caps_builder *b, size_t need)
{
	size_t want, base = b->len ? b->len : INFO_HDR_SIZE;
	uint8_t *nb;

	if (need > UINT32_MAX - base)
		return -E2BIG;
	want = base + need;
	if (want > b->alloc) {
		size_t n = b->alloc ? b->alloc : 256;

		while (n < want)
			n *= 2;
		nb = ioasid_realloc(b->buf, n);
		if (!nb)
			return -ENOMEM;
		b->buf = nb;
		b->alloc = n;
	}
	if (!b->len) {
		struct ioasid_info_hdr h = {
			.magic = IOASID_INFO_MAGIC,
			.version = IOASID_INFO_VERSION,
			.hdr_size = INFO_HDR_SIZE,
			.total_size = INFO_HDR_SIZE,
			.first_cap = 0,
		};

		memcpy(b->buf, &h, sizeof(h));
		b->len = INFO_HDR_SIZE;
	}
	return 0;
}

/* The builder's errors go to the thread's message (ioasid_last_errmsg()). */
static int builder_fail(struct ioasid_caps_builder *b, int ret,
			const char *what)
{
	(void)b;
	return ioasid_err(NULL, ret, "%s", what);
}

/*
 * Append a capability: @hdr's id/version/source, then @fixed_len bytes of
 * @fixed (the part after the header), then @count entries of @elem bytes,
 * the first @copy bytes of each taken from @arr (entries @stride apart),
 * the rest zero. The new capability is
 * checked exactly as the parser would check it before it is linked in, so
 * a built chain always validates; on any error nothing is linked.
 */
static int builder_append(struct ioasid_caps_builder *b,
			  const struct ioasid_cap_header *hdr,
			  const void *fixed, size_t fixed_len,
			  const void *arr, size_t stride, size_t copy,
			  uint32_t count, size_t elem)
{
	struct ioasid_cap_header h = *hdr;
	struct chain c;
	uint64_t raw;
	uint32_t off;
	uint8_t *p;
	size_t size;
	char msg[IOASID_ERRMSG_MAX];
	int ki, ret;

	raw = CAP_HDR_SIZE + (uint64_t)fixed_len + (uint64_t)count * elem;
	if (raw > UINT32_MAX)
		return builder_fail(b, -E2BIG, "capability larger than 4 GiB");
	size = round8((size_t)raw);
	ki = known_index(h.id);
	if (ki >= 0 && (b->seen & (UINT32_C(1) << ki))) {
		return ioasid_err(NULL, -EEXIST,
				  "a cap with id %u (%s) is already in the chain", h.id,
				  ioasid_cap_id_name(h.id));
	}
	ret = builder_reserve(b, size);
	if (ret == -E2BIG)
		return builder_fail(b, ret, "chain would exceed 4 GiB");
	if (ret)
		return builder_fail(b, ret, "out of memory");

	off = (uint32_t)b->len;
	p = b->buf + off;
	memset(p, 0, size);
	h.next = 0;
	h.size = (uint32_t)size;
	memcpy(p, &h, sizeof(h));
	if (fixed_len)
		memcpy(p + CAP_HDR_SIZE, fixed, fixed_len);
	for (uint32_t i = 0; i < count; i++)
		memcpy(p + CAP_HDR_SIZE + fixed_len + (size_t)i * elem,
		       (const uint8_t *)arr + (size_t)i * stride, copy);

	c.buf = b->buf;
	c.total = off + (uint32_t)size;
	c.first = 0;
	c.hdr_size = INFO_HDR_SIZE;
	c.align = 8;
	ret = cap_check(&c, off, off, &h, msg, sizeof(msg));
	if (ret)
		return ioasid_err(NULL, ret, "%s", msg);

	/* Link it: the previous cap's next (or first_cap), then total_size. */
	if (b->last) {
		memcpy(b->buf + b->last + offsetof(struct ioasid_cap_header, next),
		       &off, sizeof(off));
	} else {
		memcpy(b->buf + offsetof(struct ioasid_info_hdr, first_cap),
		       &off, sizeof(off));
	}
	b->last = off;
	b->len += size;
	{
		uint32_t total = (uint32_t)b->len;

		memcpy(b->buf + offsetof(struct ioasid_info_hdr, total_size),
		       &total, sizeof(total));
	}
	if (ki >= 0)
		b->seen |= UINT32_C(1) << ki;
	return 0;
}

int ioasid_caps_add(struct ioasid_caps_builder *b, const void *cap,
		    size_t size)
{
	struct ioasid_cap_header h;

	if (!b)
		return -EINVAL;
	if (!cap || size < CAP_HDR_SIZE)
		return builder_fail(b, -EINVAL,
				    "capability missing or smaller than its 16-byte header");
	memcpy(&h, cap, sizeof(h));
	return builder_append(b, &h, (const uint8_t *)cap + CAP_HDR_SIZE,
			      size - CAP_HDR_SIZE, NULL, 0, 0, 0, 0);
}

static struct ioasid_cap_header mkhdr(uint16_t id, uint32_t source)
{
	struct ioasid_cap_header h = {
		.id = id, .version = 1, .next = 0, .size = 0, .source = source,
	};

	return h;
}

/* The part of a fixed-size capability struct @s after its header. */
#define BODY(s) ((const uint8_t *)&(s) + CAP_HDR_SIZE), \
		(sizeof(s) - CAP_HDR_SIZE)

int ioasid_caps_add_page_sizes(struct ioasid_caps_builder *b, uint32_t source,
			       uint64_t bitmap)
{
	struct ioasid_cap_page_sizes c = { .bitmap = bitmap };
	struct ioasid_cap_header h = mkhdr(IOASID_CAP_PAGE_SIZES, source);

	if (!b)
		return -EINVAL;
	return builder_append(b, &h, BODY(c), NULL, 0, 0, 0, 0);
}

int ioasid_caps_add_addr_width(struct ioasid_caps_builder *b, uint32_t source,
			       uint32_t input_bits, uint32_t output_bits)
{
	struct ioasid_cap_addr_width c = {
		.input_bits = input_bits, .output_bits = output_bits,
	};
	struct ioasid_cap_header h = mkhdr(IOASID_CAP_ADDR_WIDTH, source);

	if (!b)
		return -EINVAL;
	return builder_append(b, &h, BODY(c), NULL, 0, 0, 0, 0);
}

int ioasid_caps_add_pasid(struct ioasid_caps_builder *b, uint32_t source,
			  uint32_t width)
{
	struct ioasid_cap_pasid c = { .width = width };
	struct ioasid_cap_header h = mkhdr(IOASID_CAP_PASID, source);

	if (!b)
		return -EINVAL;
	/* A width past 31 would be undefined to shift; the check refuses it. */
	c.max_pasids = width && width < 32 ? UINT32_C(1) << width : 0;
	return builder_append(b, &h, BODY(c), NULL, 0, 0, 0, 0);
}

int ioasid_caps_add_iova_ranges(struct ioasid_caps_builder *b, uint32_t source,
				const struct ioasid_cap_iova_range *ranges,
				uint32_t count)
{
	struct ioasid_cap_iova_ranges c = {
		.count = count,
		.elem_size = sizeof(struct ioasid_cap_iova_range),
	};
	struct ioasid_cap_header h = mkhdr(IOASID_CAP_IOVA_RANGES, source);

	if (!b)
		return -EINVAL;
	if (count && !ranges)
		return builder_fail(b, -EINVAL, "no ranges");
	return builder_append(b, &h, BODY(c), ranges, sizeof(*ranges),
			      sizeof(*ranges), count, sizeof(*ranges));
}

int ioasid_caps_add_resv_regions(struct ioasid_caps_builder *b,
				 uint32_t source,
				 const struct ioasid_cap_resv_region *regions,
				 uint32_t count)
{
	struct ioasid_cap_resv_regions c = {
		.count = count,
		.elem_size = sizeof(struct ioasid_cap_resv_region),
	};
	struct ioasid_cap_header h = mkhdr(IOASID_CAP_RESV_REGIONS, source);

	if (!b)
		return -EINVAL;
	if (count && !regions)
		return builder_fail(b, -EINVAL, "no regions");
	/*
	 * Copy start, last and type only: the caller's pad is not ours to
	 * publish, and the zeroed remainder keeps it 0 as version 1 requires.
	 */
	return builder_append(b, &h, BODY(c), regions, sizeof(*regions),
			      offsetof(struct ioasid_cap_resv_region, pad),
			      count, sizeof(*regions));
}

int ioasid_caps_add_features(struct ioasid_caps_builder *b, uint32_t source,
			     uint64_t features, uint64_t known)
{
	struct ioasid_cap_features c = { .features = features, .known = known };
	struct ioasid_cap_header h = mkhdr(IOASID_CAP_FEATURES, source);

	if (!b)
		return -EINVAL;
	return builder_append(b, &h, BODY(c), NULL, 0, 0, 0, 0);
}

int ioasid_caps_add_vtd(struct ioasid_caps_builder *b, uint32_t source,
			uint64_t cap_reg, uint64_t ecap_reg, uint32_t flags)
{
	struct ioasid_cap_vtd c = {
		.cap_reg = cap_reg, .ecap_reg = ecap_reg, .flags = flags,
	};
	struct ioasid_cap_header h = mkhdr(IOASID_CAP_VTD, source);

	if (!b)
		return -EINVAL;
	vtd_decode(&c);
	return builder_append(b, &h, BODY(c), NULL, 0, 0, 0, 0);
}

int ioasid_caps_add_smmuv3(struct ioasid_caps_builder *b, uint32_t source,
			   const uint32_t idr[6], uint32_t iidr, uint32_t aidr,
			   uint32_t flags)
{
	struct ioasid_cap_smmuv3 c = { .flags = flags, .iidr = iidr,
				       .aidr = aidr };
	struct ioasid_cap_header h = mkhdr(IOASID_CAP_SMMUV3, source);

	if (!b)
		return -EINVAL;
	if (!idr)
		return builder_fail(b, -EINVAL, "no IDR registers");
	memcpy(c.idr, idr, sizeof(c.idr));
	smmuv3_decode(&c);
	return builder_append(b, &h, BODY(c), NULL, 0, 0, 0, 0);
}

int ioasid_caps_add_amd(struct ioasid_caps_builder *b, uint32_t source,
			uint64_t efr, uint64_t efr2)
{
	struct ioasid_cap_amd c = { .efr = efr, .efr2 = efr2 };
	struct ioasid_cap_header h = mkhdr(IOASID_CAP_AMD, source);

	if (!b)
		return -EINVAL;
	amd_decode(&c);
	return builder_append(b, &h, BODY(c), NULL, 0, 0, 0, 0);
}

int ioasid_caps_add_virtio_iommu(struct ioasid_caps_builder *b,
				 uint32_t source,
				 const struct ioasid_cap_virtio_iommu *v)
{
	struct ioasid_cap_virtio_iommu c;
	struct ioasid_cap_header h = mkhdr(IOASID_CAP_VIRTIO_IOMMU, source);

	if (!b)
		return -EINVAL;
	if (!v)
		return builder_fail(b, -EINVAL, "no virtio-iommu config");
	c = *v;
	memset(c.pad, 0, sizeof(c.pad));
	return builder_append(b, &h, BODY(c), NULL, 0, 0, 0, 0);
}

int ioasid_caps_builder_finish(struct ioasid_caps_builder *b, void **ret_buf,
			       size_t *ret_len)
{
	int ret;

	if (!b || !ret_buf || !ret_len)
		return -EINVAL;
	/* An empty chain is still a header. */
	ret = builder_reserve(b, 0);
	if (ret)
		return builder_fail(b, ret, "out of memory");
	*ret_buf = b->buf;
	*ret_len = b->len;
	b->buf = NULL;
	b->len = 0;
	b->alloc = 0;
	b->last = 0;
	b->seen = 0;
	return 0;
}
