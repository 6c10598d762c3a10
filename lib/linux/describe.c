/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Measured facts -> the core's view of a device: what the kernel reported
 * at bind time (IOMMU_GET_HW_INFO, a probe attach, VFIO_IOMMU_GET_INFO)
 * and what sysfs shows (reserved regions, PCI capabilities, VT-d
 * registers) become the device's properties (dev->props, which the core's
 * checks read) and its capability chain (dev->caps, what the user reads).
 *
 * What a paging domain gets on the IOMMU behind the device — page sizes,
 * address widths, nesting, PRI/ATS — is the vendor model's knowledge
 * (lib/vendor): this file only chooses the model from the hw_info type.
 */
#include <string.h>

#include "linux/linux.h"
#include "vendor/vendor.h"

/* What ku_dev_describe() works out, step by step, before it commits. */
struct desc {
	struct vendor_domain v;                /* the IOMMU's paging domains */
	uint64_t pgsizes;                      /* page-size bitmap */
	struct ioasid_cap_resv_region *sorted; /* f->resv sorted by start */
	uint64_t ap_start, ap_last;            /* aperture, inclusive */
	struct ioasid_cap_iova_range *ranges;  /* usable ranges */
	uint32_t nr_ranges;
	uint64_t feat, known; /* IOASID_FEAT_* */
	uint32_t pasid_width;
};

static unsigned int bits_of(uint64_t last)
{
	return last ? 64 - (unsigned int)__builtin_clzll(last) : 1;
}

/*
 * What a paging domain gets on the IOMMU whose registers the kernel
 * reported: the vendor model (lib/vendor) knows.
 */
static void vtd_view(uint64_t cap, uint64_t ecap, struct vendor_domain *v)
{
	struct ioasid_cap_vtd r = { .cap_reg = cap, .ecap_reg = ecap };

	vendor_domain(&vendor_vtd, &r, v);
}

static void smmuv3_view(const struct ku_iommu_hw_info_arm_smmuv3 *s, struct vendor_domain *v)
{
	struct ioasid_cap_smmuv3 r;

	memset(&r, 0, sizeof(r));
	memcpy(r.idr, s->idr, sizeof(r.idr));
	vendor_domain(&vendor_smmuv3, &r, v);
}

static void amd_view(const struct ku_iommu_hw_info_amd *a, struct vendor_domain *v)
{
	struct ioasid_cap_amd r = { .efr = a->efr, .efr2 = a->efr2 };

	vendor_domain(&vendor_amd, &r, v);
}

/*
 * The registers sysfs shows stand in for the kernel's vendor data when it
 * gives none: no hw_info (VFIO), or type NONE (an AMD IOMMU in a kernel
 * without CONFIG_AMD_IOMMU_IOMMUFD).
 */
static bool sysfs_regs_apply(const struct ku_dev_facts *f)
{
	return !f->hw_info || f->hw_type == KU_IOMMU_HW_INFO_TYPE_NONE;
}

void ku_facts_from_sysdev(struct ku_dev_facts *f, const struct ku_sysdev *sd)
{
	f->resv = sd->resv;
	f->nr_resv = sd->nr_resv;
	f->pci = sd->pci;
	f->vtd_regs = sd->vtd_regs;
	f->vtd_cap = sd->vtd_cap;
	f->vtd_ecap = sd->vtd_ecap;
	f->amd_regs = sd->amd_regs;
	f->amd_efr = sd->amd_efr;
	f->amd_efr2 = sd->amd_efr2;
	f->bdf = sd->bdf;
}

/* The view of the IOMMU behind the device, from hw_info or sysfs registers. */
static void domain_view(const struct ku_dev_facts *f, struct vendor_domain *v)
{
	memset(v, 0, sizeof(*v));
	/* unknown hardware: let the kernel decide */
	v->pasid_hwpt = true;
	if (f->hw_info) {
		if (f->hw_type == KU_IOMMU_HW_INFO_TYPE_INTEL_VTD &&
		    f->data_len >= sizeof(struct ku_iommu_hw_info_vtd)) {
			const struct ku_iommu_hw_info_vtd *vt = f->data;

			vtd_view(vt->cap_reg, vt->ecap_reg, v);
		} else if (f->hw_type == KU_IOMMU_HW_INFO_TYPE_ARM_SMMUV3 &&
			   f->data_len >= sizeof(struct ku_iommu_hw_info_arm_smmuv3)) {
			smmuv3_view(f->data, v);
		} else if (f->hw_type == KU_IOMMU_HW_INFO_TYPE_AMD &&
			   f->data_len >= sizeof(struct ku_iommu_hw_info_amd)) {
			amd_view(f->data, v);
		} else if (f->hw_type == KU_IOMMU_HW_INFO_TYPE_SELFTEST) {
			/* the kernel's mock IOMMU nests, with its own stage-1 format */
			v->nesting = true;
			v->stall_known = true;
		}
	}
	if (!sysfs_regs_apply(f))
		return;
	if (f->vtd_regs)
		vtd_view(f->vtd_cap, f->vtd_ecap, v);
	else if (f->amd_regs)
		amd_view(&(struct ku_iommu_hw_info_amd){ .efr = f->amd_efr, .efr2 = f->amd_efr2 },
			 v);
	/*
	 * A kernel that gives no vendor data has no driver for a guest's
	 * nested data either (AMD's is CONFIG_AMD_IOMMU_IOMMUFD too).
	 */
	if (f->hw_info) {
		v->nesting = false;
		v->vendor_s1 = 0;
	}
}

/* Page sizes: measured (VFIO) or the vendor's at or above the alignment. */
static uint64_t page_sizes(const struct ku_dev_facts *f, const struct vendor_domain *v)
{
	uint64_t pg = f->host_page_size ? f->host_page_size : 4096;
	uint64_t align, bitmap;

	if (f->pgsize_bitmap)
		return f->pgsize_bitmap;
	align = f->probed && f->alignment > 1 ? f->alignment : pg;
	bitmap = v->pgsizes ? v->pgsizes : align;
	bitmap &= ~(align - 1);
	bitmap |= align & (0 - align); /* the alignment itself is a size */
	return bitmap;
}

/* The reserved regions, sorted by start (NULL when there are none). */
static int sort_resv(struct ioasid_ctx *ctx, const struct ku_dev_facts *f, struct desc *d)
{
	uint32_t i, j;

	if (!f->nr_resv)
		return 0;
	d->sorted = ioasid_calloc(f->nr_resv, sizeof(*d->sorted));
	if (!d->sorted)
		return ioasid_err(ctx, -ENOMEM, "out of memory for reserved regions");
	for (i = 0; i < f->nr_resv; i++) {
		for (j = i; j > 0 && d->sorted[j - 1].start > f->resv[i].start; j--)
			d->sorted[j] = d->sorted[j - 1];
		d->sorted[j] = f->resv[i];
	}
	return 0;
}

/* The aperture: measured by the probe, else from the vendor's widths. */
static void aperture(const struct ku_dev_facts *f, struct desc *d)
{
	const struct ioasid_cap_resv_region *sorted = d->sorted;
	uint32_t i;

	d->ap_start = 0;
	d->ap_last = UINT64_MAX;
	if (f->probed && f->nr_ranges) {
		d->ap_start = f->ranges[0].start;
		d->ap_last = f->ranges[f->nr_ranges - 1].last;
		/* a reserved region at an edge hides the aperture's true edge */
		for (i = 0; i < f->nr_resv; i++) {
			if (sorted[i].type == IOASID_RESV_DIRECT_RELAXABLE)
				continue;
			if (sorted[i].last != UINT64_MAX && sorted[i].last + 1 == d->ap_start)
				d->ap_start = sorted[i].start;
			if (d->ap_last != UINT64_MAX && sorted[i].start == d->ap_last + 1)
				d->ap_last = sorted[i].last;
		}
	} else if (d->v.in_bits && d->v.in_bits < 64) {
		d->ap_last = (1ull << d->v.in_bits) - 1;
	}
}

/* Usable ranges: the aperture minus the regions that bind (not relaxable). */
static uint32_t derive_ranges(uint64_t ap_start, uint64_t ap_last,
			      const struct ioasid_cap_resv_region *resv, uint32_t nr,
			      struct ioasid_cap_iova_range *out)
{
	uint64_t next = ap_start;
	uint32_t n = 0, i;
	bool done = false;

	/* @resv is sorted by start here; overlapping regions are fine */
	for (i = 0; i < nr && !done; i++) {
		if (resv[i].type == IOASID_RESV_DIRECT_RELAXABLE)
			continue;
		if (resv[i].last < next || resv[i].start > ap_last)
			continue;
		if (resv[i].start > next) {
			out[n].start = next;
			out[n].last = resv[i].start - 1;
			n++;
		}
		if (resv[i].last >= ap_last)
			done = true;
		else
			next = resv[i].last + 1;
	}
	if (!done) {
		out[n].start = next;
		out[n].last = ap_last;
		n++;
	}
	return n;
}

/* The usable ranges: what the probe measured, else derived from the aperture. */
static int usable_ranges(struct ioasid_ctx *ctx, const struct ku_dev_facts *f, struct desc *d)
{
	uint32_t i, room = f->nr_resv + 1;

	if (f->probed && f->nr_ranges > room)
		room = f->nr_ranges;
	d->ranges = ioasid_calloc(room, sizeof(*d->ranges));
	if (!d->ranges)
		return ioasid_err(ctx, -ENOMEM, "out of memory for IOVA ranges");
	if (f->probed && f->nr_ranges) {
		for (i = 0; i < f->nr_ranges; i++) {
			d->ranges[i].start = f->ranges[i].start;
			d->ranges[i].last = f->ranges[i].last;
		}
		d->nr_ranges = f->nr_ranges;
	} else {
		d->nr_ranges = derive_ranges(d->ap_start, d->ap_last, d->sorted, f->nr_resv,
					     d->ranges);
	}
	return 0;
}

/* The features the backend, the IOMMU and the device all have; which are known. */
static void features(const struct ku_dev_facts *f, struct desc *d)
{
	const struct vendor_domain *v = &d->v;

	d->known = IOASID_FEAT_COHERENT | IOASID_FEAT_NESTING | IOASID_FEAT_DIRTY_TRACKING |
		   IOASID_FEAT_PASID | IOASID_FEAT_IDENTITY;
	if (f->coherent)
		d->feat |= IOASID_FEAT_COHERENT;
	if (f->can_nest && v->nesting)
		d->feat |= IOASID_FEAT_NESTING;
	if (f->can_dirty && f->hw_info && (f->hw_caps & KU_IOMMU_HW_CAP_DIRTY_TRACKING))
		d->feat |= IOASID_FEAT_DIRTY_TRACKING;
	if (f->can_pasid && f->hw_info && f->max_pasid_log2) {
		d->pasid_width = IOASID_MIN((uint32_t)f->max_pasid_log2,
					    (uint32_t)IOASID_PASID_MAX_WIDTH);
		d->feat |= IOASID_FEAT_PASID;
		if (f->hw_caps & KU_IOMMU_HW_CAP_PCI_PASID_EXEC)
			d->feat |= IOASID_FEAT_PASID_EXEC;
		if (f->hw_caps & KU_IOMMU_HW_CAP_PCI_PASID_PRIV)
			d->feat |= IOASID_FEAT_PASID_PRIV;
	}
	if (!f->can_pasid || f->hw_info)
		d->known |= IOASID_FEAT_PASID_EXEC | IOASID_FEAT_PASID_PRIV;
	if (v->stall_known) {
		d->known |= IOASID_FEAT_STALL;
		if (v->stall)
			d->feat |= IOASID_FEAT_STALL;
	}
	if (f->pci.known) {
		d->known |= IOASID_FEAT_ATS | IOASID_FEAT_PRI;
		if (f->pci.ats && v->ats &&
		    !(f->hw_info && (f->hw_caps & KU_IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED)))
			d->feat |= IOASID_FEAT_ATS;
		if (f->pci.pri && v->pri)
			d->feat |= IOASID_FEAT_PRI;
	}
}

/* The vendor capability: the registers as the kernel (or sysfs) gave them. */
static int add_vendor_cap(struct ioasid_caps_builder *b, const struct ku_dev_facts *f)
{
	const uint32_t M = IOASID_CAP_SRC_MEASURED;

	if (f->hw_info) {
		switch (f->hw_type) {
		case KU_IOMMU_HW_INFO_TYPE_INTEL_VTD: {
			struct ku_iommu_hw_info_vtd v;

			memset(&v, 0, sizeof(v));
			memcpy(&v, f->data, IOASID_MIN((size_t)f->data_len, sizeof(v)));
			return ioasid_caps_add_vtd(b, M, v.cap_reg, v.ecap_reg,
						   v.flags & IOASID_VTD_ERRATA_772415_SPR17);
		}
		case KU_IOMMU_HW_INFO_TYPE_ARM_SMMUV3: {
			struct ku_iommu_hw_info_arm_smmuv3 s;

			memset(&s, 0, sizeof(s));
			memcpy(&s, f->data, IOASID_MIN((size_t)f->data_len, sizeof(s)));
			return ioasid_caps_add_smmuv3(b, M, s.idr, s.iidr, s.aidr,
						      s.flags &
							      IOASID_SMMUV3_ERRATA_REPEAT_TLBI_CFGI);
		}
		case KU_IOMMU_HW_INFO_TYPE_AMD: {
			struct ku_iommu_hw_info_amd a;

			memset(&a, 0, sizeof(a));
			memcpy(&a, f->data, IOASID_MIN((size_t)f->data_len, sizeof(a)));
			return ioasid_caps_add_amd(b, M, a.efr, a.efr2);
		}
		default:
			break;
		}
	}
	if (!sysfs_regs_apply(f))
		return 0;
	if (f->vtd_regs)
		return ioasid_caps_add_vtd(b, M, f->vtd_cap, f->vtd_ecap, 0);
	if (f->amd_regs)
		return ioasid_caps_add_amd(b, M, f->amd_efr, f->amd_efr2);
	return 0;
}

/* The capability chain, into dev->caps / caps_len. */
static int build_chain(struct ioasid_ctx *ctx, struct ioasid_dev *dev, const struct ku_dev_facts *f,
		       const struct desc *d)
{
	struct ioasid_caps_builder *b = NULL;
	int err;

	err = ioasid_caps_builder_new(&b);
	if (err)
		return ioasid_err(ctx, err, "out of memory for a capability chain");
	err = ioasid_caps_add_page_sizes(b,
					 f->pgsize_bitmap ? IOASID_CAP_SRC_MEASURED :
							    IOASID_CAP_SRC_DERIVED,
					 d->pgsizes);
	if (!err)
		err = ioasid_caps_add_addr_width(b, IOASID_CAP_SRC_DERIVED, bits_of(d->ap_last),
						 d->v.out_bits ? d->v.out_bits :
								 bits_of(d->ap_last));
	if (!err)
		err = ioasid_caps_add_pasid(b, IOASID_CAP_SRC_MEASURED, d->pasid_width);
	if (!err)
		err = ioasid_caps_add_iova_ranges(b,
						  f->probed ? IOASID_CAP_SRC_MEASURED :
							      IOASID_CAP_SRC_DERIVED,
						  d->ranges, d->nr_ranges);
	if (!err)
		err = ioasid_caps_add_resv_regions(b, IOASID_CAP_SRC_MEASURED, d->sorted,
						   f->nr_resv);
	if (!err)
		err = ioasid_caps_add_features(b, IOASID_CAP_SRC_DERIVED, d->feat, d->known);
	if (!err)
		err = add_vendor_cap(b, f);
	if (!err)
		err = ioasid_caps_builder_finish(b, &dev->caps, &dev->caps_len);
	if (err)
		err = ioasid_err_prefix(ctx, err, "building the capability chain of %s", dev->name);
	ioasid_caps_builder_free(b);
	return err;
}

/* The core's properties; the reserved regions kept are those that bind the IOAS. */
static int set_props(struct ioasid_ctx *ctx, struct ioasid_dev *dev, const struct ku_dev_facts *f,
		     const struct desc *d)
{
	const struct ioasid_cap_resv_region *sorted = d->sorted;
	struct dev_props *p = &dev->props;
	uint32_t i, n;

	p->nr_resv = 0;
	p->resv = NULL;
	for (i = 0, n = 0; i < f->nr_resv; i++)
		if (sorted[i].type != IOASID_RESV_DIRECT_RELAXABLE)
			n++;
	if (n) {
		p->resv = ioasid_calloc(n, sizeof(*p->resv));
		if (!p->resv)
			return ioasid_err(ctx, -ENOMEM, "out of memory for reserved regions");
		for (i = 0; i < f->nr_resv; i++) {
			if (sorted[i].type == IOASID_RESV_DIRECT_RELAXABLE)
				continue;
			p->resv[p->nr_resv].start = sorted[i].start;
			p->resv[p->nr_resv].last = sorted[i].last;
			p->resv[p->nr_resv].type = sorted[i].type;
			p->nr_resv++;
		}
	}
	p->pgsize_bitmap = d->pgsizes;
	p->aperture_start = d->ap_start;
	p->aperture_last = d->ap_last;
	p->pasid_width = d->pasid_width;
	if (f->bdf && ku_is_bdf(f->bdf))
		ku_fmt(p->pci_addr, sizeof(p->pci_addr), "%s", f->bdf);
	p->pasid_hwpt = f->can_pasid && d->v.pasid_hwpt;
	p->pri = d->feat & IOASID_FEAT_PRI;
	p->ats = d->feat & IOASID_FEAT_ATS;
	p->nesting = d->feat & IOASID_FEAT_NESTING;
	p->dirty_tracking = d->feat & IOASID_FEAT_DIRTY_TRACKING;
	p->vendor_s1 = p->nesting ? d->v.vendor_s1 : 0;
	p->fl_levels = d->v.fl_levels;
	return 0;
}

int ku_dev_describe(struct ioasid_ctx *ctx, struct ioasid_dev *dev, const struct ku_dev_facts *f)
{
	struct desc d;
	int err;

	memset(&d, 0, sizeof(d));
	domain_view(f, &d.v);
	d.pgsizes = page_sizes(f, &d.v);
	err = sort_resv(ctx, f, &d);
	if (err)
		return err;
	aperture(f, &d);
	err = usable_ranges(ctx, f, &d);
	if (err)
		goto out;
	features(f, &d);
	err = build_chain(ctx, dev, f, &d);
	if (err)
		goto out;
	err = set_props(ctx, dev, f, &d);
	if (err) {
		ioasid_caps_free(dev->caps);
		dev->caps = NULL;
		dev->caps_len = 0;
	}
out:
	ioasid_free(d.ranges);
	ioasid_free(d.sorted);
	return err;
}
