/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The capability chain of a simulated device, built from its profile:
 * every value is CONFIGURED except the usable IOVA ranges, which are
 * DERIVED (the aperture minus the device's reserved regions).
 */
#include "sim-private.h"

uint32_t sim_resv_to_caps(enum sim_resv_type t)
{
	switch (t) {
	case SIM_RESV_MSI:
		return IOASID_RESV_MSI;
	case SIM_RESV_SW_MSI:
		return IOASID_RESV_SW_MSI;
	case SIM_RESV_DIRECT:
		return IOASID_RESV_DIRECT;
	case SIM_RESV_DIRECT_RELAXABLE:
		return IOASID_RESV_DIRECT_RELAXABLE;
	default:
		return IOASID_RESV_RESERVED;
	}
}

/* Aperture minus the regions that bind (relaxable ones do not, §4.1). */
static uint32_t usable_ranges(const struct sim_profile *p, const struct sim_dev_desc *d,
			      struct ioasid_cap_iova_range *out)
{
	struct sim_resv_region r[SIM_DEV_MAX_REGIONS];
	uint32_t nr = 0, n = 0, i, j;
	uint64_t next = p->aperture_start;
	bool done = false;

	for (i = 0; i < d->nr_regions; i++) {
		if (d->regions[i].type == SIM_RESV_DIRECT_RELAXABLE)
			continue;
		/* insertion sort by start: at most SIM_DEV_MAX_REGIONS */
		for (j = nr; j > 0 && r[j - 1].start > d->regions[i].start; j--)
			r[j] = r[j - 1];
		r[j] = d->regions[i];
		nr++;
	}
	for (i = 0; i < nr && !done; i++) {
		if (r[i].last < next || r[i].start > p->aperture_last)
			continue;
		if (r[i].start > next) {
			out[n].start = next;
			out[n].last = r[i].start - 1;
			n++;
		}
		if (r[i].last >= p->aperture_last)
			done = true;
		else
			next = r[i].last + 1;
	}
	if (!done) {
		out[n].start = next;
		out[n].last = p->aperture_last;
		n++;
	}
	return n;
}

/* The model's capability, from the profile's registers. */
static int add_vendor_cap(struct ioasid_caps_builder *b, const struct sim_profile *p)
{
	const struct vendor_model *m = sim_profile_model(p);
	union vendor_regs r = p->regs;
	struct ioasid_cap_header *h = (struct ioasid_cap_header *)&r;

	if (!m)
		return 0;
	/* Linux's intel_iommu_hw_info() always reports this erratum flag */
	if (m == &vendor_vtd)
		r.vtd.flags = IOASID_VTD_ERRATA_772415_SPR17;
	vendor_decode(m->cap, &r);
	*h = (struct ioasid_cap_header){
		.id = m->cap->id, .version = 1, .source = IOASID_CAP_SRC_CONFIGURED,
	};
	return ioasid_caps_add(b, &r, m->cap->size);
}

int sim_dev_caps(struct ioasid_ctx *ctx, const struct sim_profile *p,
		 const struct sim_dev_desc *d, void **ret_buf, size_t *ret_len)
{
	const uint32_t CF = IOASID_CAP_SRC_CONFIGURED;
	struct ioasid_cap_iova_range ranges[SIM_DEV_MAX_REGIONS + 1];
	struct ioasid_cap_resv_region regions[SIM_DEV_MAX_REGIONS];
	struct ioasid_caps_builder *b;
	uint32_t pasid_width = IOASID_MIN(d->pasid_width, p->pasid_width);
	uint64_t feat = IOASID_FEAT_COHERENT;
	uint32_t i, nranges;
	int err;

	err = ioasid_caps_builder_new(&b);
	if (err)
		return ioasid_err(ctx, err, "out of memory for a capability chain");
	for (i = 0; i < d->nr_regions; i++) {
		regions[i].start = d->regions[i].start;
		regions[i].last = d->regions[i].last;
		regions[i].type = sim_resv_to_caps(d->regions[i].type);
		regions[i].pad = 0;
	}
	nranges = usable_ranges(p, d, ranges);
	if (p->nesting)
		feat |= IOASID_FEAT_NESTING;
	if (p->dirty_tracking)
		feat |= IOASID_FEAT_DIRTY_TRACKING;
	if (p->pri && d->pri)
		feat |= IOASID_FEAT_PRI;
	if (p->ats && d->ats)
		feat |= IOASID_FEAT_ATS;
	if (pasid_width)
		feat |= IOASID_FEAT_PASID;

	err = ioasid_caps_add_page_sizes(b, CF, d->page_sizes);
	if (!err)
		err = ioasid_caps_add_addr_width(b, CF, p->input_width, p->output_width);
	if (!err)
		err = ioasid_caps_add_pasid(b, CF, pasid_width);
	if (!err)
		err = ioasid_caps_add_iova_ranges(b, IOASID_CAP_SRC_DERIVED, ranges, nranges);
	if (!err)
		err = ioasid_caps_add_resv_regions(b, CF, regions, d->nr_regions);
	if (!err)
		err = ioasid_caps_add_features(b, CF, feat, IOASID_FEAT_ALL);
	if (!err)
		err = add_vendor_cap(b, p);
	if (!err)
		err = ioasid_caps_builder_finish(b, ret_buf, ret_len);
	if (err)
		ioasid_err_prefix(ctx, err, "building the capability chain of %s", d->name);
	ioasid_caps_builder_free(b);
	return err;
}
