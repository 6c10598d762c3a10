/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-iommu (virtio 1.2 §5.13, device 23): the config space and the
 * device's feature bits, and what they mean for a profile. There are no
 * registers to decode: the config is the capability.
 */
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
	p->input_width = (uint8_t)(c->input_end ? 64 - __builtin_clzll(c->input_end) : 1);
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

const struct vendor_model vendor_virtio_iommu = {
	.name = "virtio-iommu",
	.cap = &vendor_virtio_iommu_cap,
	.derive = virtio_derive,
	.sync = virtio_sync,
	.prop_regs = prop_regs,
};
