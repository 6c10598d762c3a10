/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-iommu (virtio 1.2 §5.13, device 23): the config space and the
 * device's feature bits, and what they mean for a profile. There are no
 * registers to decode: the config is the capability.
 */
#include <inttypes.h>

#include "model.h"

#define T struct ioasid_cap_virtio_iommu
#define AT(m) CF_AT(T, m)

/* VIRTIO_IOMMU_F_*, by bit. */
static const char *const feature_names[] = {
	"input_range", "domain_range", "map_unmap", "bypass", "probe",
	"mmio", "bypass_config",
};

static const struct cap_field fields[] = {
	{ CF_RAWREG("features", J_HEX, T_HEX), AT(features) },
	/* the lowest set bit is the granule */
	{ CF_RAWREG("page_size_mask", J_HEX, T_HEX), AT(page_size_mask), .check = CK_NONZERO },
	{ .kind = CF_RANGE, .sect = CS_RAW, .key = "input_start", .key2 = "input_end",
	  .label = "input_range", .what = "input range", AT(input_start),
	  .off2 = offsetof(T, input_end), .json = J_HEX, .text = T_RANGE, .check = CK_ORDERED },
	{ .kind = CF_RANGE, .sect = CS_RAW, .key = "domain_start", .key2 = "domain_end",
	  .label = "domain_range", .what = "domain range", AT(domain_start),
	  .off2 = offsetof(T, domain_end), .json = J_INT, .text = T_RANGE, .check = CK_ORDERED },
	{ CF_RAWREG("probe_size", J_INT, T_UINT), AT(probe_size) },
	{ CF_RAWREG("bypass", J_INT, T_UINT), AT(bypass), .check = CK_BOOL },
	{ CF_PADDING(T, pad) },
	{ .kind = CF_MEMBER, .sect = CS_DECODED, .key = "features", AT(features),
	  CF_NAMES(feature_names), .json = J_NAMES, .label = "features", .text = T_NAMES },
	{ .kind = CF_MEMBER, .sect = CS_DECODED, .key = "page_size_mask", AT(page_size_mask),
	  .label = "page sizes", .text = T_PGSIZES },
};

const struct cap_desc vendor_virtio_iommu_cap = {
	.id = IOASID_CAP_VIRTIO_IOMMU,
	.name = "virtio_iommu",
	.size = sizeof(T),
	.raw_heading = "CONFIG",
	.fields = fields,
	.nfields = CF_ARRAY_SIZE(fields),
};

static int virtio_derive(const void *cap, struct vendor_props *p, struct vendor_err *e)
{
	const T *c = cap;

	(void)e;
	/* virtio-iommu has no PASID, nesting, dirty tracking, PRI or ATS at all */
	p->mask = VP_INPUT | VP_PGSIZES | VP_APERTURE | VP_PASID | VP_NESTING | VP_DIRTY |
		  VP_PRI | VP_ATS;
	p->page_sizes = c->page_size_mask;
	p->ap_start = c->input_start;
	p->ap_last = c->input_end;
	/* the input width is the input range's */
	p->input_width = (uint8_t)vendor_width_of(c->input_end);
	return 0;
}

static void virtio_sync(const struct vendor_props *p, void *cap)
{
	T *c = cap;

	c->page_size_mask = p->page_sizes;
	c->input_start = p->ap_start;
	c->input_end = p->ap_last;
}

static const struct vendor_prop_reg prop_regs[] = {
	{ VP_PGSIZES, offsetof(T, page_size_mask), false },
	{ VP_INPUT | VP_APERTURE, offsetof(T, input_end), false },
	/* the rest is what the model is, not what a register says */
	{ VP_ALL, offsetof(T, input_end), true },
};

/* No architectural table: anything a 4 KiB-based simulated table can express. */
static const struct vendor_limits limits = {
	.in_min = 12,
	.in_max = 64,
	.out_min = 32,
	.out_max = 64,
	.levels = 0x7e,
	.aperture_reg = true,
	.page_sizes = VENDOR_PGSIZES_ANY,
};

/* PROBE: a VIRTIO_IOMMU_PROBE_T_RESV_MEM property of subtype MSI (x86). */
static const struct vendor_resv resv[] = { { VX86_MSI_START, VX86_MSI_LAST, IOASID_RESV_MSI },
					   { 0 } };

static const struct vendor_profile_reg profile_regs[] = {
	{ "page_size_mask", NULL }, { "input_range", NULL }, { "domain_range", "domain IDs" },
	{ "probe_size", NULL },     { "features", NULL },    { NULL, NULL },
};

/* The properties that do not exist in virtio-iommu, as profile keys. */
static const char *absent_prop(const struct vendor_props *p)
{
	return p->pasid_width ? "pasid_width" :
	       p->nesting     ? "nesting" :
	       p->dirty       ? "dirty_tracking" :
	       p->pri         ? "pri" :
	       p->ats         ? "ats" :
				NULL;
}

static int virtio_check(const struct vendor_props *p, const void *cap, struct vendor_err *e)
{
	const T *r = cap;
	const uint64_t defined = cap_named_bits(IOASID_CAP_VIRTIO_IOMMU);
	const char *k = absent_prop(p);

	if (k)
		return vendor_fail_key(e, k, "virtio-iommu has no %s (must be 0/false)", k);
	if (r->features & ~defined)
		return vendor_fail_key(e, "registers.features",
				       "0x%" PRIx64 " has bits beyond the defined 0x%" PRIx64,
				       r->features, defined);
	if (!(r->features & IOASID_VIRTIO_IOMMU_F_MAP_UNMAP))
		return vendor_fail_key(e, "registers.features",
				       "0x%" PRIx64
				       " lacks VIRTIO_IOMMU_F_MAP_UNMAP, without which nothing can be mapped",
				       r->features);
	if ((r->features & IOASID_VIRTIO_IOMMU_F_PROBE) && !r->probe_size)
		return vendor_fail_key(e, "registers.probe_size",
				       "0 with VIRTIO_IOMMU_F_PROBE offered");
	if (!(r->features & IOASID_VIRTIO_IOMMU_F_INPUT_RANGE) &&
	    (p->ap_start || p->ap_last != UINT64_MAX))
		return vendor_fail_key(e, "registers.features",
				       "0x%" PRIx64
				       " lacks VIRTIO_IOMMU_F_INPUT_RANGE, so the input range is all 64 bits, not [0x%" PRIx64
				       ", 0x%" PRIx64 "]",
				       r->features, p->ap_start, p->ap_last);
	if (r->domain_start > r->domain_end)
		return vendor_fail_key(e, "registers.domain_range", "start %u is above end %u",
				       r->domain_start, r->domain_end);
	if (p->input_width != vendor_width_of(p->ap_last))
		return vendor_fail_key(e, "input_width",
				       "%u, but the input range ends at 0x%" PRIx64 " (%u bits)",
				       p->input_width, p->ap_last, vendor_width_of(p->ap_last));
	return 0;
}

static int virtio_check_resv(const void *cap, struct vendor_err *e)
{
	const T *r = cap;

	if (!(r->features & IOASID_VIRTIO_IOMMU_F_PROBE))
		return vendor_fail_key(
			e, "reserved",
			"virtio-iommu reports reserved regions only by PROBE, and registers.features lacks VIRTIO_IOMMU_F_PROBE");
	return 0;
}

/* viommu_ops has domain_alloc_paging but no domain_alloc_paging_flags. */
static void virtio_domain(const void *cap, struct vendor_domain *v)
{
	(void)cap;
	v->no_alloc_flags = true;
}

const struct vendor_model vendor_virtio_iommu = {
	.name = "virtio-iommu",
	.cap = &vendor_virtio_iommu_cap,
	.derive = virtio_derive,
	.sync = virtio_sync,
	.domain = virtio_domain,
	.prop_regs = prop_regs,
	.limits = &limits,
	.resv = resv,
	.profile_regs = profile_regs,
	.check = virtio_check,
	.check_resv = virtio_check_resv,
};
