/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The rules every profile follows, whether built in, read from a file or
 * changed at run time: value ranges, what the model's architecture allows
 * (struct vendor_model's limits and check hooks, lib/vendor/), the device
 * rules, and registers that agree with the fields.
 *
 * The rules here are the profile's own; what a model allows is its own
 * business, in lib/vendor/.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strnlen */
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "profile-private.h"

#define IOTLB_SIZE_MAX (1U << 20)

/* A profile without a model: anything a 4 KiB-based simulated table can express. */
static const struct vendor_limits generic_limits = {
	.in_min = 12,
	.in_max = 64,
	.out_min = 32,
	.out_max = 64,
	.levels = 0x7e,
	.page_sizes = VENDOR_PGSIZES_ANY,
};

static const struct vendor_limits *limits_of(const struct sim_profile *p)
{
	const struct vendor_model *m = profile_model_of(p->vendor);

	return m ? m->limits : &generic_limits;
}

/* ------------------------------------------------------------------------
 * Names and devices
 */

int profile_check_name(const char *name, size_t max, const char *path, struct perr *e)
{
	size_t len = strnlen(name, max);

	if (len == max)
		return profile_fail(e, -E2BIG, path,
				    "name \"%.*s...\" is longer than the %zu bytes that fit", 24,
				    name, max - 1);
	if (!len)
		return profile_fail(e, -EINVAL, path, "name is empty");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (profile_name_char_ok(name[i]))
			continue;
		if (c > 0x20 && c < 0x7f)
			return profile_fail(e, -EINVAL, path,
					    "name \"%s\" has '%c'; use A-Z a-z 0-9 _ . -", name, c);
		return profile_fail(e, -EINVAL, path,
				    "name has byte 0x%02x at %zu; use A-Z a-z 0-9 _ . -", c, i);
	}
	return 0;
}

/* Run a device hook of the model, on the decoded registers. */
static int dev_hook(const struct sim_profile *p, const struct sim_dev_desc *d, const char *pfx,
		    bool rid_hook, uint16_t rid, struct perr *e)
{
	const struct vendor_model *m = profile_model_of(p->vendor);
	union vendor_regs r;
	struct vendor_err ve;
	int ret;

	if (!m || !(rid_hook ? m->check_rid != NULL : m->check_resv != NULL))
		return 0;
	profile_decoded_regs(p, &r);
	ret = rid_hook ? m->check_rid(&r, d->bdf, rid, &ve) : m->check_resv(&r, &ve);
	return ret ? profile_fail_vendor(e, pfx, &ve) : 0;
}

/* Its name and PCI address. */
static int check_dev_address(const struct sim_profile *p, const struct sim_dev_desc *d,
			     const char *pfx, struct perr *e)
{
	char path[128], norm[SIM_BDF_MAX];
	uint16_t rid;
	int ret;

	profile_subpath(path, sizeof(path), pfx, "name");
	ret = profile_check_name(d->name, sizeof(d->name), path, e);
	if (ret)
		return ret;
	profile_subpath(path, sizeof(path), pfx, "bdf");
	if (strnlen(d->bdf, sizeof(d->bdf)) == sizeof(d->bdf) ||
	    profile_bdf_normalise(d->bdf, norm, &rid) || strcmp(norm, d->bdf))
		return profile_fail(e, -EINVAL, path,
				    "\"%.*s\" is not a PCI address in the form dddd:bb:dd.f",
				    (int)sizeof(d->bdf), d->bdf);
	return dev_hook(p, d, pfx, true, rid, e);
}

/* What it can do, within what its IOMMU can. */
static int check_dev_features(const struct sim_profile *p, const struct sim_dev_desc *d,
			      const char *pfx, struct perr *e)
{
	char path[128], b1[200], b2[200];

	profile_subpath(path, sizeof(path), pfx, "page_sizes");
	if (!d->page_sizes)
		return profile_fail(e, -EINVAL, path, "page-size bitmap must not be 0 (got 0x0)");
	if (d->page_sizes & ~p->page_sizes)
		return profile_fail(e, -EINVAL, path,
				    "%s includes sizes the IOMMU cannot map; it maps %s",
				    vendor_pgsizes_desc(d->page_sizes, b1, sizeof(b1)),
				    vendor_pgsizes_desc(p->page_sizes, b2, sizeof(b2)));
	profile_subpath(path, sizeof(path), pfx, "pasid_width");
	if (d->pasid_width > SIM_PASID_WIDTH_MAX)
		return profile_fail(e, -EINVAL, path,
				    "pasid_width %u exceeds the PCIe maximum of %u", d->pasid_width,
				    SIM_PASID_WIDTH_MAX);
	if (d->pasid_width > p->pasid_width)
		return profile_fail(e, -EINVAL, path,
				    "pasid_width %u exceeds the IOMMU's pasid_width %u",
				    d->pasid_width, p->pasid_width);
	profile_subpath(path, sizeof(path), pfx, "pri");
	if (d->pri && !d->ats)
		return profile_fail(e, -EINVAL, path,
				    "pri true needs ats true (PCIe PRI requires ATS)");
	if (d->pri && !p->pri)
		return profile_fail(e, -EINVAL, path,
				    "pri true, but the IOMMU takes no page requests");
	profile_subpath(path, sizeof(path), pfx, "ats");
	if (d->ats && !p->ats)
		return profile_fail(e, -EINVAL, path, "ats true, but the IOMMU does not serve ATS");
	/* only arm-smmu-v3 reads dma-can-stall, and only with FEAT_STALLS */
	profile_subpath(path, sizeof(path), pfx, "stall");
	if (d->stall && p->vendor != SIM_VENDOR_SMMUV3)
		return profile_fail(e, -EINVAL, path,
				    "stall true, but model %s does not stall transactions (smmuv3 only)",
				    sim_vendor_name(p->vendor));
	if (d->stall && sim_profile_stall_model(p) != SIM_STALL_BOTH &&
	    sim_profile_stall_model(p) != SIM_STALL_FORCE)
		return profile_fail(e, -EINVAL, path,
				    "stall true, but the SMMU's IDR0.STALL_MODEL is %u (%s): it cannot stall",
				    sim_profile_stall_model(p),
				    sim_profile_stall_model(p) == 1 ? "terminate only" : "reserved");
	return 0;
}

static bool regions_overlap(const struct sim_resv_region *a, const struct sim_resv_region *b)
{
	return a->start <= b->last && b->start <= a->last;
}

/* Its reserved regions: known types, ordered ends, no overlaps. */
static int check_dev_regions(const struct sim_profile *p, const struct sim_dev_desc *d,
			     const char *pfx, struct perr *e)
{
	char path[128], rkey[32];
	int ret;

	profile_subpath(path, sizeof(path), pfx, "reserved");
	if (d->nr_regions > SIM_DEV_MAX_REGIONS)
		return profile_fail(e, -E2BIG, path, "%u regions; at most %u fit", d->nr_regions,
				    SIM_DEV_MAX_REGIONS);
	ret = d->nr_regions ? dev_hook(p, d, pfx, false, 0, e) : 0;
	for (unsigned int i = 0; !ret && i < d->nr_regions; i++) {
		const struct sim_resv_region *r = &d->regions[i];

		snprintf(rkey, sizeof(rkey), "reserved[%u]", i);
		profile_subpath(path, sizeof(path), pfx, rkey);
		if (!profile_resv_known(r->type))
			return profile_fail(e, -EINVAL, path, "unknown type %u",
					    (unsigned int)r->type);
		if (r->start > r->last)
			return profile_fail(e, -EINVAL, path,
					    "start 0x%" PRIx64 " is above last 0x%" PRIx64,
					    r->start, r->last);
		for (unsigned int j = 0; j < i; j++) {
			const struct sim_resv_region *o = &d->regions[j];

			if (regions_overlap(r, o))
				return profile_fail(e, -EINVAL, path,
						    "[0x%" PRIx64 ", 0x%" PRIx64
						    "] overlaps reserved[%u] [0x%" PRIx64
						    ", 0x%" PRIx64 "]",
						    r->start, r->last, j, o->start, o->last);
		}
	}
	return ret;
}

int profile_check_device(const struct sim_profile *p, const struct sim_dev_desc *d, const char *pfx,
			 struct perr *e)
{
	int ret = check_dev_address(p, d, pfx, e);

	if (!ret)
		ret = check_dev_features(p, d, pfx, e);
	if (!ret)
		ret = check_dev_regions(p, d, pfx, e);
	return ret;
}

/* Every device, and no two with one name or one address. */
static int check_devices(const struct sim_profile *p, struct perr *e)
{
	char path[64];
	int ret;

	if (p->nr_devices > SIM_PROFILE_MAX_DEVICES)
		return profile_fail(e, -E2BIG, "devices", "%u devices; at most %u fit",
				    p->nr_devices, SIM_PROFILE_MAX_DEVICES);
	for (unsigned int i = 0; i < p->nr_devices; i++) {
		const struct sim_dev_desc *d = &p->devices[i];

		snprintf(path, sizeof(path), "devices[%u]", i);
		ret = profile_check_device(p, d, path, e);
		if (ret)
			return ret;
		for (unsigned int j = 0; j < i; j++) {
			if (!strcmp(d->name, p->devices[j].name))
				return profile_fail(e, -EINVAL, strcat(path, ".name"),
						    "\"%s\" is already the name of devices[%u]",
						    d->name, j);
			if (!strcmp(d->bdf, p->devices[j].bdf))
				return profile_fail(e, -EINVAL, strcat(path, ".bdf"),
						    "\"%s\" is already the address of devices[%u] (%s)",
						    d->bdf, j, p->devices[j].name);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * The IOMMU
 */

static int check_widths(const struct sim_profile *p, const struct vendor_limits *lim, struct perr *e)
{
	const char *model = sim_vendor_name(p->vendor);

	if (p->input_width < 1 || p->input_width > 64)
		return profile_fail(e, -EINVAL, "input_width", "width %u is outside 1..64",
				    p->input_width);
	if (p->output_width < 1 || p->output_width > 64)
		return profile_fail(e, -EINVAL, "output_width", "width %u is outside 1..64",
				    p->output_width);
	if (p->input_width < lim->in_min || p->input_width > lim->in_max)
		return profile_fail(e, -EINVAL, "input_width",
				    "%u is outside %u..%u, what model %s allows", p->input_width,
				    lim->in_min, lim->in_max, model);
	if (p->output_width < lim->out_min)
		return profile_fail(e, -EINVAL, "output_width",
				    "%u is below %u, the least model %s allows", p->output_width,
				    lim->out_min, model);
	if (p->output_width > lim->out_max)
		return profile_fail(e, -EINVAL, "output_width",
				    "%u is above %u, the most model %s allows", p->output_width,
				    lim->out_max, model);
	return 0;
}

static int check_page_sizes(const struct sim_profile *p, const struct vendor_limits *lim,
			    struct perr *e)
{
	char b1[200], b2[64];

	if (!p->page_sizes)
		return profile_fail(e, -EINVAL, "page_sizes",
				    "page-size bitmap must not be 0 (got 0x0)");
	if (p->page_sizes & ~lim->page_sizes)
		return profile_fail(e, -EINVAL, "page_sizes",
				    "%s has sizes model %s cannot map (it allows %s)",
				    vendor_pgsizes_desc(p->page_sizes, b1, sizeof(b1)),
				    sim_vendor_name(p->vendor),
				    lim->page_sizes == VENDOR_PGSIZES_ANY ?
					    "powers of two from 4K" :
					    vendor_pgsizes_str(lim->page_sizes, b2, sizeof(b2)));
	if (p->input_width < 64 && p->page_sizes >> p->input_width)
		return profile_fail(e, -EINVAL, "page_sizes",
				    "%s has a page larger than the %u-bit input space",
				    vendor_pgsizes_desc(p->page_sizes, b1, sizeof(b1)),
				    p->input_width);
	return 0;
}

/* Address bits an L-level table with 2^g-byte pages and 8-byte entries maps. */
static unsigned int table_reach(unsigned int levels, unsigned int g)
{
	return g + levels * (g - 3);
}

/*
 * Depths the model defines, and one that reaches the whole input space
 * with a base page: the smallest page, or a granule the model may build
 * tables on.
 */
static int check_levels(const struct sim_profile *p, const struct vendor_limits *lim, struct perr *e)
{
	uint64_t minpg = p->page_sizes & -p->page_sizes;
	char b1[200], b2[64];
	bool reach_ok = false;

	if (!p->levels || (p->levels & ~lim->levels))
		return profile_fail(e, -EINVAL, "levels", "%s; model %s allows %s",
				    vendor_levels_str(p->levels, b1, sizeof(b1)),
				    sim_vendor_name(p->vendor),
				    vendor_levels_str(lim->levels, b2, sizeof(b2)));
	for (unsigned int g = 12; g < 64; g++) {
		uint64_t gran = 1ULL << g;

		if (!(p->page_sizes & gran) || (gran != minpg && !(lim->granules & gran)))
			continue;
		for (unsigned int l = 1; l <= 6; l++)
			if ((p->levels & (1U << l)) && table_reach(l, g) >= p->input_width)
				reach_ok = true;
	}
	if (!reach_ok)
		return profile_fail(e, -EINVAL, "levels",
				    "%s cannot cover input_width %u with %s pages",
				    vendor_levels_str(p->levels, b1, sizeof(b1)), p->input_width,
				    vendor_pgsizes_str(minpg, b2, sizeof(b2)));
	return 0;
}

static int check_features(const struct sim_profile *p, struct perr *e)
{
	if (p->pasid_width > SIM_PASID_WIDTH_MAX)
		return profile_fail(e, -EINVAL, "pasid_width",
				    "pasid_width %u exceeds the PCIe maximum of %u", p->pasid_width,
				    SIM_PASID_WIDTH_MAX);
	if (p->pri && !p->ats)
		return profile_fail(e, -EINVAL, "pri",
				    "true needs ats true (PCIe PRI requires ATS)");
	if (p->iotlb_size > IOTLB_SIZE_MAX)
		return profile_fail(e, -EINVAL, "iotlb_size",
				    "%u is above the %u entries the simulator allows",
				    p->iotlb_size, IOTLB_SIZE_MAX);
	return 0;
}

static int check_aperture(const struct sim_profile *p, struct perr *e)
{
	uint64_t minpg = p->page_sizes & -p->page_sizes;
	char b[64];

	if (p->aperture_start > p->aperture_last)
		return profile_fail(e, -EINVAL, "aperture",
				    "start 0x%" PRIx64 " is above last 0x%" PRIx64,
				    p->aperture_start, p->aperture_last);
	if (p->aperture_last > profile_width_mask(p->input_width))
		return profile_fail(e, -EINVAL, "aperture.last",
				    "0x%" PRIx64 " is beyond the %u-bit input space",
				    p->aperture_last, p->input_width);
	if ((p->aperture_start & (minpg - 1)) || ((p->aperture_last + 1) & (minpg - 1)))
		return profile_fail(e, -EINVAL, "aperture",
				    "[0x%" PRIx64 ", 0x%" PRIx64
				    "] is not aligned to the %s granule",
				    p->aperture_start, p->aperture_last,
				    vendor_pgsizes_str(minpg, b, sizeof(b)));
	return 0;
}

/* The vtd-only keys, then the model's own rules. */
static int check_model(const struct sim_profile *p, struct perr *e)
{
	const struct vendor_model *m = profile_model_of(p->vendor);
	struct vendor_props vp;
	union vendor_regs r;
	struct vendor_err ve;

	if (p->vendor != SIM_VENDOR_VTD) {
		if (p->scalable_mode)
			return profile_fail(e, -EINVAL, "scalable_mode",
					    "true, but only model vtd has a scalable mode (model is %s)",
					    sim_vendor_name(p->vendor));
		if (p->caching_mode)
			return profile_fail(e, -EINVAL, "caching_mode",
					    "true, but only model vtd has a caching mode (model is %s)",
					    sim_vendor_name(p->vendor));
	}
	if (!m || !m->check)
		return 0;
	profile_props(p, &vp);
	profile_decoded_regs(p, &r);
	return m->check(&vp, &r, &ve) ? profile_fail_vendor(e, NULL, &ve) : 0;
}

int profile_check(const struct sim_profile *p, struct perr *e)
{
	const struct vendor_limits *lim;
	int ret;

	ret = profile_check_name(p->name, sizeof(p->name), "name", e);
	if (ret)
		return ret;
	if (!profile_vendor_known(p->vendor))
		return profile_fail(e, -EINVAL, "model", "unknown model %u",
				    (unsigned int)p->vendor);
	lim = limits_of(p);
	ret = check_widths(p, lim, e);
	if (!ret)
		ret = check_page_sizes(p, lim, e);
	if (!ret)
		ret = check_levels(p, lim, e);
	if (!ret)
		ret = check_features(p, e);
	if (!ret)
		ret = check_aperture(p, e);
	if (!ret)
		ret = check_model(p, e);
	if (!ret)
		ret = check_devices(p, e);
	/* Last: the registers must be what the fields synthesize. */
	if (!ret)
		ret = profile_check_synced(p, e);
	return ret;
}

int sim_profile_check(const struct sim_profile *p, char *err, size_t errlen)
{
	struct perr e = { .buf = err, .len = errlen, .src = NULL };

	if (err && errlen)
		err[0] = '\0';
	if (!p)
		return profile_fail(&e, -EINVAL, NULL, "no profile");
	/* Name the profile only if its name is a string at all. */
	if (strnlen(p->name, sizeof(p->name)) < sizeof(p->name))
		e.src = p->name;
	return profile_check(p, &e);
}

/* ------------------------------------------------------------------------
 * Registers and fields
 *
 * vendor_derive() gives the fields the registers determine, vendor_sync()
 * the register bits the fields determine. A register set is consistent
 * with the fields exactly when sync leaves it unchanged.
 */

int profile_derive(const struct sim_profile *p, struct vendor_props *ret_props, struct perr *e)
{
	const struct vendor_model *m = profile_model_of(p->vendor);
	struct vendor_err ve;
	char path[64];

	memset(ret_props, 0, sizeof(*ret_props));
	if (!m || !vendor_derive(m, &p->regs, ret_props, &ve))
		return 0;
	snprintf(path, sizeof(path), "registers.%s", ve.reg);
	return profile_fail(e, -EINVAL, path, "%s", ve.msg);
}

const char *profile_prop_reg(const struct sim_profile *p, unsigned int prop, uint64_t *ret_value,
			     char *buf, size_t len)
{
	const struct vendor_model *m = profile_model_of(p->vendor);
	const char *name;
	char reg[48];

	*ret_value = 0;
	if (!m)
		return "registers";
	name = vendor_prop_reg(m, prop, &p->regs, ret_value, reg, sizeof(reg));
	if (!name)
		return "model";
	snprintf(buf, len, "registers.%s", name);
	return buf;
}

int profile_check_synced(const struct sim_profile *p, struct perr *e)
{
	const struct vendor_model *m = profile_model_of(p->vendor);
	union vendor_regs synced = p->regs;
	struct vendor_props vp;
	char reg[48], path[64];
	const char *name;
	uint64_t va, vb;

	if (!m)
		return 0;
	profile_props(p, &vp);
	vendor_sync(m, &vp, &synced);
	name = vendor_regs_differ(m, &p->regs, &synced, &va, &vb, reg, sizeof(reg));
	if (!name)
		return 0;
	snprintf(path, sizeof(path), "registers.%s", name);
	return profile_fail(e, -EINVAL, path,
			    "0x%" PRIx64
			    " disagrees with the profile's fields, which give 0x%" PRIx64,
			    va, vb);
}
