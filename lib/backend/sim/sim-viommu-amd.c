/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AMD vIOMMU model (sim-viommu.h), as Linux 7.2.13's AMD driver does
 * it (drivers/iommu/amd/iommufd.c, nested.c; docs/sim-formats.md, "AMD
 * nested"):
 *
 *  - vIOMMU: any non-zero type (amd_iommufd_get_viommu_size() answers for
 *    every type), no driver data looked at;
 *  - nested HWPT: IOMMU_HWPT_DATA_AMD_GUEST, a 32-byte guest DTE checked
 *    by vendor_amd_gdte_check(); each guest domain id (gDomID) of a
 *    vIOMMU gets one host domain id (hDomID) shared by every nested HWPT
 *    with that gDomID (Linux's gdomid_array), which tags the TLB;
 *  - attach: the RID only (the nested domain has no set_dev_pasid); the
 *    guest's GCR3 table resolves every PASID;
 *  - translation: GCR3 table -> guest v2 tables -> GPA, every guest access
 *    through the nest parent's v1 table (sim-amd.c), cached in the IOTLB
 *    under the vIOMMU's tag and (hDomID, PASID);
 *  - no invalidation data type, no vEVENTQ type, no HW queue: Linux 7.2's
 *    AMD vIOMMU has no cache_invalidate op (IOMMU_HWPT_INVALIDATE on it is
 *    EOPNOTSUPP), reports no vEVENT and has no HW queue type. What flushes
 *    the guest's cached translations is what the kernel does: a change of
 *    the nest parent (INVALIDATE_IOMMU_PAGES of every hDomID), and the
 *    sim drops them when a hDomID is released.
 */
#include <string.h>

#include "sim-amd.h"
#include "sim-guard.h"
#include "sim-viommu.h"

#define X(v) ((unsigned long long)(v))

/* hDomIDs: 11 bits of the IOTLB's PASID slot, above a no-PASID bit and a 20-bit PASID. */
#define AMD_HDOM_MAX 2047u
#define AMD_SUB_NOPASID (1u << 20)

/* Per vIOMMU. */
struct amd_viommu {
	struct sim_ctx *sim; /* for the flush when a hDomID is released */
};

/* Per nested HWPT. */
struct amd_nested {
	struct vendor_amd_gdte g;
	uint32_t hdom; /* 1..AMD_HDOM_MAX */
};

static const struct amd_nested *nested_of(const struct sim_hwpt *sh)
{
	return sh->vpriv;
}

/* The IOTLB's PASID slot of a translation of @hdom for a request with @pasid. */
static uint32_t amd_subtag(uint32_t hdom, uint32_t pasid)
{
	return hdom << 21 | (pasid == IOASID_PASID_NONE ? AMD_SUB_NOPASID : (pasid & 0xfffffu));
}

/* ---- vIOMMU ---- */

/*
 * amd_iommufd_get_viommu_size() answers for every type and
 * amd_iommufd_viommu_init() reads no user data: any non-zero type (the
 * core refused 0) and any data are taken.
 */
static int amd_viommu_init(struct ioasid_ctx *ctx, struct sim_viommu *sv, struct ioasid_dev *dev,
			   void *data, uint32_t data_len)
{
	struct amd_viommu *av = ioasid_calloc(1, sizeof(*av));

	(void)dev;
	(void)data;
	(void)data_len;
	if (!av)
		return ioasid_err(ctx, -ENOMEM, "out of memory for an AMD vIOMMU");
	av->sim = ctx->be;
	sv->priv = av;
	return 0;
}

static void amd_viommu_fini(struct sim_viommu *sv)
{
	ioasid_free(sv->priv);
	sv->priv = NULL;
}

/* ---- nested HWPTs: the guest DTE, gDomID -> hDomID ---- */

/*
 * The hDomID of gDomID @gdom on @sv: the one a nested HWPT over the same
 * parent with the same vIOMMU and gDomID holds, else the lowest one free
 * among the parent's nested HWPTs (the vIOMMUs over one parent share its
 * IOTLB tag, so their hDomIDs must differ). 0: none left.
 */
static uint32_t hdom_get(const struct sim_viommu *sv, uint16_t gdom, bool *ret_fresh)
{
	uint8_t used[(AMD_HDOM_MAX + 8) / 8];
	const struct sim_hwpt *c;
	uint32_t h;

	memset(used, 0, sizeof(used));
	*ret_fresh = false;
	for (c = sv->parent->children; c; c = c->next_child) {
		const struct amd_nested *an;

		if (!c->vi || c->vi->model != sv->model || !c->vpriv)
			continue;
		an = nested_of(c);
		if (c->vi == sv && an->g.gdom_id == gdom)
			return an->hdom;
		used[an->hdom / 8] |= (uint8_t)(1u << (an->hdom % 8));
	}
	*ret_fresh = true;
	for (h = 1; h <= AMD_HDOM_MAX; h++)
		if (!(used[h / 8] & (1u << (h % 8))))
			return h;
	return 0;
}

/*
 * amd_iommu_alloc_domain_nested(): the data type (EOPNOTSUPP), the
 * copy of a 32-byte struct (a shorter one EINVAL; the core refuses a
 * longer one with E2BIG), validate_gdte_nested(), then the hDomID
 * (ENOSPC when none is left).
 */
static int amd_nested_alloc(struct ioasid_ctx *ctx, struct sim_viommu *sv, struct ioasid_hwpt *h,
			    struct sim_hwpt *sh)
{
	const struct sim_profile *p = ((struct sim_ctx *)ctx->be)->profile;
	struct ioasid_hwpt_amd_guest d;
	struct vendor_amd_gdte g;
	struct vendor_err e;
	struct amd_nested *an;
	unsigned int i;
	bool fresh;
	int err;

	if (h->type != IOASID_HWPT_NESTED_AMD_GUEST)
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "an AMD vIOMMU makes nested HWPTs from a guest DTE (type %u), not type %u",
				  IOASID_HWPT_NESTED_AMD_GUEST, h->type);
	if (h->vdata_len < sizeof(d))
		return ioasid_err(ctx, -EINVAL,
				  "a guest DTE is %zu bytes (struct iommu_hwpt_amd_guest); data_len %u",
				  sizeof(d), h->vdata_len);
	memcpy(&d, h->vdata, sizeof(d));
	for (i = 0; i < 4; i++)
		d.dte[i] = le64toh(d.dte[i]);
	memset(&e, 0, sizeof(e));
	err = vendor_amd_gdte_check(d.dte, p->regs.amd.guest_levels, &g, &e);
	if (err)
		return ioasid_err(ctx, err, "guest DTE refused at %s: %s", e.reg, e.msg);
	an = ioasid_calloc(1, sizeof(*an));
	if (!an)
		return ioasid_err(ctx, -ENOMEM, "out of memory for a nested AMD HWPT");
	an->g = g;
	an->hdom = hdom_get(sv, g.gdom_id, &fresh);
	if (!an->hdom) {
		ioasid_free(an);
		return ioasid_err(ctx, -ENOSPC,
				  "no host domain id left for guest domain id %u (the sim has %u per nest parent)",
				  g.gdom_id, AMD_HDOM_MAX);
	}
	sh->vpriv = an;
	sh->levels = g.gpt_levels;
	return 0;
}

/*
 * The last nested HWPT of a hDomID goes: the sim drops the VM's cached
 * translations, so that the hDomID's next owner cannot hit them (a
 * superset: the other nested HWPTs of the VM walk again).
 */
static void amd_nested_free(struct sim_hwpt *sh)
{
	const struct amd_nested *an = nested_of(sh);
	const struct amd_viommu *av = sh->vi->priv;
	const struct sim_hwpt *c;
	bool shared = false;

	for (c = sh->vi->parent->children; c; c = c->next_child)
		if (c != sh && c->vi == sh->vi && c->vpriv && nested_of(c)->hdom == an->hdom)
			shared = true;
	if (!shared) {
		struct sim_ctx *sim = av->sim;
		uint32_t i;

		sim->inv_entries += sim_iotlb_inv_id(sim->iotlb, sh->vi->tag);
		/* and the devices' ATCs, which cache under the same tags */
		for (i = 0; i < sim->cap_devs; i++)
			if (sim->devs[i] && sim->devs[i]->devtlb)
				sim->inv_entries += sim_iotlb_inv_id(sim->devs[i]->devtlb,
								     sh->vi->tag);
	}
	ioasid_free(sh->vpriv);
}

/*
 * nested_domain_ops has no set_dev_pasid: PASIDs come from the guest's
 * GCR3 table. nested_attach_device() refuses (EINVAL, with a WARN) a
 * device whose PCI PASID capability is enabled, which the driver does
 * while the device's RID is attached to a PASID-capable (v2) domain and
 * undoes only in its detach: a replace straight from such a domain.
 */
static int amd_attach_check(struct ioasid_ctx *ctx, struct sim_viommu *sv, struct sim_dev *sd,
			    uint32_t pasid, struct sim_hwpt *sh)
{
	const struct sim_hwpt *cur;

	(void)sv;
	if (pasid != IOASID_PASID_NONE)
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "%s: an AMD nested HWPT (%u) is attached to the RID only; its guest's GCR3 table holds the PASIDs (PASID %u)",
				  sd->dev->name, sh->id, pasid);
	cur = sim_route_find(sd, IOASID_PASID_NONE);
	if (cur && cur->paging && sim_pt_format(cur->pt) == SIM_PT_AMD_V2)
		return ioasid_err(ctx, -EINVAL,
				  "%s has PASIDs enabled by its PASID-capable domain (HWPT %u): the AMD driver attaches a nested HWPT only to a device without (detach first)",
				  sd->dev->name, cur->id);
	return 0;
}

/* ---- translation ---- */

/* Guest memory through the vIOMMU's stage 2, for sim_amd_guest_xlate(). */
struct amd_gmem {
	const struct sim_viommu *sv;
	bool set_ad;
	struct sim_pt_result s2; /* the stage-2 result of the access that failed */
	bool s2_failed;
};

static int amd_gmem_addr(struct amd_gmem *g, uint64_t gpa, unsigned int acc, uint64_t **ret)
{
	int err = sim_viommu_s2(g->sv, gpa, acc, g->set_ad, &g->s2);

	if (err) {
		g->s2_failed = true;
		return err;
	}
	*ret = (uint64_t *)(uintptr_t)g->s2.oa;
	return 0;
}

static int amd_gmem_read(void *opaque, uint64_t gpa, uint64_t *val)
{
	uint64_t *p, v;
	int err = amd_gmem_addr(opaque, gpa, SIM_PT_R, &p);

	if (err)
		return err;
	err = sim_guard_load64(p, &v);
	*val = le64toh(v);
	return err;
}

static int amd_gmem_or(void *opaque, uint64_t gpa, uint64_t bits)
{
	uint64_t *p;
	int err = amd_gmem_addr(opaque, gpa, SIM_PT_W, &p);

	return err ? err : sim_guard_or64(p, htole64(bits));
}

/*
 * The walk access of a request: a write, an execute (a read with X), and
 * user mode unless the request carries the privileged bit (PASID TLP
 * prefix PMR). The IOMMU enforces R/W in supervisor mode too.
 */
static unsigned int amd_access(uint32_t rflags)
{
	return ((rflags & IOASID_SIM_DMA_WRITE) ? SIM_PT_W : SIM_PT_R) |
	       ((rflags & IOASID_SIM_DMA_EXEC) ? SIM_PT_X : 0) |
	       ((rflags & IOASID_SIM_DMA_PRIV) ? 0 : SIM_PT_U);
}

static const char *amd_kind(uint32_t rflags)
{
	return (rflags & IOASID_SIM_DMA_EXEC)  ? "execute" :
	       (rflags & IOASID_SIM_DMA_WRITE) ? "write" :
						 "read";
}

/* Where a walk failed, for the fault path. */
struct amd_walk_fault {
	struct sim_amd_xlate gx;
	bool s2;                 /* the final GPA translation failed */
	struct sim_pt_result r2; /* ... how */
};

/*
 * A full walk of @rq with access @acc (| SIM_PT_WALK_SET_AD for the
 * IOMMU's A/D updates): the guest stage, then the GPA through stage 2.
 */
static int amd_walk(const struct sim_vreq *rq, unsigned int acc, struct sim_xlate *x,
		    struct amd_walk_fault *f)
{
	const struct amd_nested *an = nested_of(rq->sh);
	const struct sim_hwpt *ph = rq->sh->vi->parent;
	const bool set_ad = acc & SIM_PT_WALK_SET_AD, wr = acc & SIM_PT_W;
	struct amd_gmem g = { .sv = rq->sh->vi, .set_ad = set_ad };
	struct sim_amd_gmem m = { amd_gmem_read, amd_gmem_or, &g };
	uint32_t pasid = rq->pasid == IOASID_PASID_NONE ? SIM_AMD_NO_PASID : rq->pasid;
	bool d1, d2;
	int err;

	f->s2 = false;
	err = sim_amd_guest_xlate(&an->g, &m, pasid, rq->iova, acc, &f->gx);
	rq->sim->walk_reads += f->gx.reads;
	if (err)
		return err;
	x->gpa = f->gx.gpa;
	err = sim_viommu_s2(rq->sh->vi, f->gx.gpa, acc & (SIM_PT_R | SIM_PT_W), set_ad, &f->r2);
	rq->sim->walk_reads += f->r2.reads;
	if (err) {
		f->s2 = true;
		return err;
	}
	x->host = f->r2.oa;
	x->page_size = f->gx.guest ? IOASID_MIN(f->gx.page_size, f->r2.page_size) : f->r2.page_size;
	/* dirty in both stages: the guest's always (AMD v2 sets D), the parent's while tracking */
	d1 = !f->gx.guest || f->gx.dirty || (wr && set_ad);
	d2 = !ph->dirty || f->r2.dirty || (wr && set_ad);
	x->perm = (f->gx.perm & f->r2.perm) | ((f->r2.perm & SIM_PT_W) ? XL_S2W : 0) |
		  (d1 && d2 ? XL_DIRTY : 0);
	return 0;
}

static uint32_t amd_reason(const struct amd_walk_fault *f)
{
	enum sim_pt_fault why;

	if (f->s2)
		why = f->r2.fault_reason;
	else if (f->gx.fault == SIM_AMD_GUEST_PT)
		why = f->gx.walk.fault_reason;
	else
		return IOASID_FAULT_R_NOT_PRESENT; /* GCR3 entry, PASID out of range */
	return why == SIM_PT_FAULT_PERM         ? IOASID_FAULT_R_PERMISSION :
	       why == SIM_PT_FAULT_RESERVED_BIT ? IOASID_FAULT_R_RESERVED :
						  IOASID_FAULT_R_NOT_PRESENT;
}

/*
 * The AMD IOMMU logs these as IO_PAGE_FAULT events in the host's event
 * log; Linux 7.2 forwards none to the VM (no AMD vEVENTQ type), so the
 * fault goes where the sim's faults go (the HWPT's fault queue or the
 * context's log). A not-present guest translation is a page request
 * (PPR) only when the guest's DTE enabled PPR.
 */
static int amd_fault(const struct sim_vreq *rq, const struct amd_walk_fault *f, int err,
		     struct sim_fault_info *fi)
{
	const struct amd_nested *an = nested_of(rq->sh);

	fi->reason = amd_reason(f);
	fi->entry = !an->g.ppr;
	memset(&fi->vf, 0, sizeof(fi->vf));
	fi->vf.host = true; /* the host's event log, never the guest's */
	return ioasid_err(rq->ctx, err == -EACCES ? -EACCES : -EFAULT,
			  "%s %s at iova 0x%llx (PASID %d, HWPT %u, gDomID %u): %s%s",
			  rq->sd->dev->name, amd_kind(rq->rflags), X(rq->iova), (int)rq->pasid,
			  rq->sh->id, an->g.gdom_id,
			  f->s2 ? "the guest-physical address does not translate in the nest parent" :
				  sim_amd_fault_name(&f->gx),
			  f->s2 && f->r2.fault_reason == SIM_PT_FAULT_PERM ? " (permission)" : "");
}

static int amd_translate(const struct sim_vreq *rq, struct sim_xlate *x, struct sim_fault_info *fi)
{
	const struct amd_nested *an = nested_of(rq->sh);
	struct sim_ctx *sim = rq->sim;
	const uint32_t tag = rq->sh->vi->tag, sub = amd_subtag(an->hdom, rq->pasid);
	const unsigned int acc = amd_access(rq->rflags);
	const uint32_t need = acc & SIM_PT_PERM_MASK;
	const struct sim_iotlb_entry *e = NULL;
	struct amd_walk_fault f;
	int err;

	if (rq->sd->devtlb) {
		e = sim_iotlb_lookup(rq->sd->devtlb, tag, sub, rq->iova);
		if (e)
			sim->devtlb_hits++;
		else
			sim->devtlb_misses++;
	}
	if (!e)
		e = sim_iotlb_lookup(sim->iotlb, tag, sub, rq->iova);
	if (e) {
		const uint64_t psz = sim_iotlb_entry_size(e), off = rq->iova & (psz - 1);
		struct sim_xlate now = { .gpa = NO_GPA };

		x->host = e->oa + off;
		x->page_size = psz;
		x->perm = e->perm;
		x->gpa = e->data + off;
		/* the guest may have changed its tables without any invalidation reaching us */
		err = sim_viommu_stale(rq, x, &now,
				       amd_walk(rq, acc & ~SIM_PT_WALK_SET_AD, &now, &f));
		if (err) {
			fi->reason = 0; /* refused (strict mode), not a translation fault */
			return err;
		}
		if ((x->perm & need) != need) {
			fi->reason = IOASID_FAULT_R_PERMISSION;
			fi->entry = !an->g.ppr;
			memset(&fi->vf, 0, sizeof(fi->vf));
			fi->vf.host = true;
			return ioasid_err(rq->ctx, -EACCES,
					  "%s %s at iova 0x%llx (PASID %d): the cached translation does not allow it",
					  rq->sd->dev->name, amd_kind(rq->rflags), X(rq->iova),
					  (int)rq->pasid);
		}
		/* a write through an entry whose D bits are not all set walks to set them */
		if (!(acc & SIM_PT_W) || (x->perm & XL_DIRTY))
			return 0;
	}
	err = amd_walk(rq, acc | SIM_PT_WALK_SET_AD, x, &f);
	if (err)
		return amd_fault(rq, &f, err, fi);
	sim_iotlb_insert(sim->iotlb, tag, sub, rq->iova, x->page_size,
			 x->host & ~(x->page_size - 1), x->perm, x->gpa & ~(x->page_size - 1));
	if (rq->sd->devtlb)
		sim_iotlb_insert(rq->sd->devtlb, tag, sub, rq->iova, x->page_size,
				 x->host & ~(x->page_size - 1), x->perm,
				 x->gpa & ~(x->page_size - 1));
	return 0;
}

/* ---- what Linux 7.2's AMD vIOMMU does not have ---- */

static int amd_invalidate(struct ioasid_ctx *ctx, struct sim_viommu *sv, uint32_t data_type,
			  const void *entries, uint32_t entry_len, uint32_t *num)
{
	(void)entries;
	(void)entry_len;
	*num = 0;
	return ioasid_err(ctx, -EOPNOTSUPP,
			  "IOMMU_HWPT_INVALIDATE on vIOMMU %u (data type %u): Linux 7.2's AMD vIOMMU has no cache_invalidate (no AMD invalidation data type exists)",
			  sv->v->obj.id, data_type);
}

const struct sim_viommu_model sim_viommu_amd = {
	.name = "amd",
	.vendor = SIM_VENDOR_AMD,
	.hwpt_type = IOASID_HWPT_NESTED_AMD_GUEST,
	.inv_type = 0,
	.vevent_type = 0,
	.vevent_len = 0,
	.viommu_init = amd_viommu_init,
	.viommu_fini = amd_viommu_fini,
	.nested_alloc = amd_nested_alloc,
	.nested_free = amd_nested_free,
	.attach_check = amd_attach_check,
	.translate = amd_translate,
	.invalidate = amd_invalidate,
	/* no vEVENTQ type: nothing to encode */
};
