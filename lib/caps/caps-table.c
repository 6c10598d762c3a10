/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The field tables of the generic capabilities, the registry of every
 * capability id (the vendor ones are in lib/vendor/), and the names the
 * public API gives ids, sources, reserved-region types and bits.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#include "caps-private.h"
#include "vendor/vendor.h"

/* ------------------------------------------------------------------------ */
/* Names                                                                    */

const char *const cap_resv_type_names[] = {
	[IOASID_RESV_RESERVED] = "reserved",
	[IOASID_RESV_MSI] = "msi",
	[IOASID_RESV_SW_MSI] = "sw_msi",
	[IOASID_RESV_DIRECT] = "direct",
	[IOASID_RESV_DIRECT_RELAXABLE] = "direct_relaxable",
};
const unsigned int cap_resv_type_nnames = CF_ARRAY_SIZE(cap_resv_type_names);

static const char *const source_names[] = {
	[IOASID_CAP_SRC_MEASURED] = "measured",
	[IOASID_CAP_SRC_DERIVED] = "derived",
	[IOASID_CAP_SRC_CONFIGURED] = "configured",
};

/* IOASID_FEAT_*, by bit. */
static const char *const feature_names[] = {
	"nesting", "dirty_tracking", "pri", "ats", "pasid",
	"pasid_exec", "pasid_priv", "coherent", "stall", "identity",
};

/* ------------------------------------------------------------------------ */
/* Generic capabilities                                                     */

/* A value of a generic capability. */
#define CF_VALUE(k, j) .kind = CF_MEMBER, .sect = CS_MAIN, .key = (k), .json = (j)

#define PS(m) CF_AT(struct ioasid_cap_page_sizes, m)
static const struct cap_field page_sizes_fields[] = {
	{ CF_VALUE("bitmap", J_HEX), PS(bitmap), .what = "page-size bitmap",
	  .check = CK_NONZERO, .label = "page sizes", .text = T_PGSIZES,
	  .brief = "page_sizes", .bfmt = B_SIZES },
};

#define AW(m) CF_AT(struct ioasid_cap_addr_width, m)
static const struct cap_field addr_width_fields[] = {
	{ CF_VALUE("input_bits", J_INT), AW(input_bits), .check = CK_BETWEEN,
	  .min = 1, .max = 64, .label = "input width", .text = T_BITS,
	  .brief = "input_bits", .bfmt = B_INT },
	{ CF_VALUE("output_bits", J_INT), AW(output_bits), .check = CK_BETWEEN,
	  .min = 1, .max = 64, .label = "output width", .text = T_BITS,
	  .brief = "output_bits", .bfmt = B_INT },
};

#define PA(m) CF_AT(struct ioasid_cap_pasid, m)
static const struct cap_field pasid_fields[] = {
	{ CF_VALUE("width", J_INT), PA(width), .what = "PASID width",
	  .check = CK_WIDTH, .max = IOASID_PASID_MAX_WIDTH,
	  .off2 = offsetof(struct ioasid_cap_pasid, max_pasids),
	  .label = "PASID width", .text = T_PASID, .brief = "pasid_width",
	  .bfmt = B_INT },
	{ CF_VALUE("max_pasids", J_INT), PA(max_pasids) },
};

/* max_pasids follows from the width. */
static int pasid_check(const uint8_t *cap, char *msg, size_t msglen)
{
	uint32_t width = (uint32_t)cf_get(cap, offsetof(struct ioasid_cap_pasid, width), 4);
	uint32_t max = (uint32_t)cf_get(cap, offsetof(struct ioasid_cap_pasid, max_pasids), 4);
	uint32_t want = width ? UINT32_C(1) << width : 0;

	if (max == want)
		return 0;
	snprintf(msg, msglen, "max_pasids %u does not match width %u (%u)", max, width, want);
	return -EINVAL;
}

/* One inclusive IOVA range, as the entries of both counted capabilities start. */
#define CF_ENTRY_RANGE                                                       \
	.kind = CF_RANGE, .key = "start", .key2 = "last",                    \
	CF_AT(struct ioasid_cap_iova_range, start),                          \
	.off2 = offsetof(struct ioasid_cap_iova_range, last), .json = J_HEX, \
	.check = CK_ORDERED, .text = T_RANGE, .brief = "start", .bfmt = B_HEX

static const struct cap_field iova_range_fields[] = {
	{ CF_ENTRY_RANGE },
};

#define RR(m) CF_AT(struct ioasid_cap_resv_region, m)
static const struct cap_field resv_region_fields[] = {
	{ CF_ENTRY_RANGE },
	/* unknown types are allowed (read as RESERVED); 0 is not */
	{ .kind = CF_MEMBER, .key = "type", RR(type), .json = J_ENUM,
	  .names = cap_resv_type_names, .nnames = CF_ARRAY_SIZE(cap_resv_type_names),
	  .check = CK_NONZERO, .text = T_ENUM, .brief = "type", .bfmt = B_ENUM,
	  .arg = IOASID_RESV_RESERVED },
	{ CF_PADDING(struct ioasid_cap_resv_region, pad) },
};

/* The counted array of a capability laid out like struct ioasid_cap_iova_ranges. */
#define CF_COUNTED(k, what_, sub_)                                          \
	.kind = CF_ARRAY, .sect = CS_MAIN, .key = (k), .what = (what_),      \
	CF_AT(struct ioasid_cap_iova_ranges, count),                         \
	.off2 = offsetof(struct ioasid_cap_iova_ranges, elem_size),          \
	.sub = (sub_), .nsub = CF_ARRAY_SIZE(sub_), .bfmt = B_ARRAY

static const struct cap_field iova_ranges_fields[] = {
	/* sorted and disjoint, as iommufd and VFIO report them */
	{ CF_COUNTED("ranges", "range", iova_range_fields), .check = CK_SORTED,
	  .label = "IOVA ranges", .brief = "iova_ranges" },
};

static const struct cap_field resv_regions_fields[] = {
	/* regions may overlap */
	{ CF_COUNTED("regions", "region", resv_region_fields),
	  .label = "reserved", .brief = "reserved" },
};

#define FE(m) CF_AT(struct ioasid_cap_features, m)
static const struct cap_field features_fields[] = {
	{ CF_VALUE("bits", J_HEX), FE(features) },
	{ CF_VALUE("known", J_HEX), FE(known) },
	/* null in JSON: the backend could not tell, which is not "absent" */
	{ .kind = CF_TRISTATE, .sect = CS_MAIN, .key = "features", FE(features),
	  .off2 = offsetof(struct ioasid_cap_features, known), CF_NAMES(feature_names),
	  .check = CK_SUBSET, .label = "features", .text = T_TRISTATE,
	  .brief = "features", .bfmt = B_NAMES },
};

#define GENERIC(id_, name_, T, f, ...)                                      \
	{ .id = (id_), .name = (name_), .size = sizeof(T), .fields = (f),    \
	  .nfields = CF_ARRAY_SIZE(f), __VA_ARGS__ }

static const struct cap_desc generic_descs[] = {
	GENERIC(IOASID_CAP_PAGE_SIZES, "page_sizes", struct ioasid_cap_page_sizes,
		page_sizes_fields),
	GENERIC(IOASID_CAP_ADDR_WIDTH, "addr_width", struct ioasid_cap_addr_width,
		addr_width_fields),
	GENERIC(IOASID_CAP_PASID, "pasid", struct ioasid_cap_pasid, pasid_fields,
		.check = pasid_check),
	GENERIC(IOASID_CAP_IOVA_RANGES, "iova_ranges", struct ioasid_cap_iova_ranges,
		iova_ranges_fields, .elem_size = sizeof(struct ioasid_cap_iova_range)),
	GENERIC(IOASID_CAP_RESV_REGIONS, "resv_regions", struct ioasid_cap_resv_regions,
		resv_regions_fields, .elem_size = sizeof(struct ioasid_cap_resv_region)),
	GENERIC(IOASID_CAP_FEATURES, "features", struct ioasid_cap_features,
		features_fields),
};

/* ------------------------------------------------------------------------ */
/* The registry                                                             */

const struct cap_desc *const cap_descs[] = {
	&generic_descs[0], &generic_descs[1], &generic_descs[2],
	&generic_descs[3], &generic_descs[4], &generic_descs[5],
	&vendor_vtd_cap, &vendor_smmuv3_cap, &vendor_amd_cap,
	&vendor_virtio_iommu_cap, NULL,
};

/* The builder records the known ids of a chain in a 32-bit map. */
_Static_assert(CF_ARRAY_SIZE(cap_descs) - 1 <= CAPS_MAX_KNOWN, "too many capability ids");

const struct cap_desc *cap_desc_find(uint16_t id)
{
	for (unsigned int i = 0; cap_descs[i]; i++)
		if (cap_descs[i]->id == id)
			return cap_descs[i];
	return NULL;
}

const char *ioasid_cap_id_name(uint16_t id)
{
	const struct cap_desc *d = cap_desc_find(id);

	return d ? d->name : NULL;
}

const char *ioasid_cap_source_name(uint32_t source)
{
	return source < CF_ARRAY_SIZE(source_names) ? source_names[source] : NULL;
}

const char *ioasid_resv_type_name(uint32_t type)
{
	return type < cap_resv_type_nnames ? cap_resv_type_names[type] : NULL;
}

const char *ioasid_cap_bit_name(uint16_t id, unsigned int bit)
{
	const struct cap_desc *d = cap_desc_find(id);

	return d ? cap_desc_bit_name(d, bit) : NULL;
}
