/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sim's DMA engine, its translation: for one page of a request, the
 * context entry (context and PASID caches), the checks of the request's
 * attributes (privileged, execute), the device IOTLB, the IOTLB and the
 * page walk — nested walks read every stage-1 table entry through stage 2.
 *
 * The stale-translation detector: a cached translation of a nested HWPT can
 * go stale, because the guest edits its stage-1 table behind the IOMMU's
 * back and must invalidate. Every hit on such an entry is checked against a
 * fresh walk; a mismatch is counted and recorded, then either used (as
 * hardware would: "faithful") or refused ("strict"). Paging HWPTs cannot go
 * stale: the library changes their tables and flushes in the same call.
 *
 * The requests themselves (copy, wait, resume) are sim-dma.c's; what a
 * page that does not translate raises is sim-dma-fault.c's.
 */
#include <string.h>

#include "sim-dma.h"
#include "sim-guard.h"
#include "sim-private.h"
#include "sim-viommu.h"

#define X(v) ((unsigned long long)(v))

static enum ioasid_fault_reason reason_of(enum sim_pt_fault f);

/*
 * A nested walk: stage-1 table reads go through the parent's stage 2, and
 * so do the A/D (and EA) updates, as writes. With the parent's dirty
 * tracking on (the PASID entry's SSADE), stage 2 records these accesses
 * too: A for a table read, D for the table page an update wrote.
 */
struct nest {
	struct sim_pt_walker s2;
	uint64_t s2_root;
	unsigned int s2_flags; /* SIM_PT_WALK_SET_AD while the parent tracks dirty pages */
	unsigned int reads;
};

static int s2_host(struct nest *n, uint64_t gpa, unsigned int access, uint64_t *host)
{
	struct sim_pt_result r;
	int err = sim_pt_walk(&n->s2, n->s2_root, gpa, access | n->s2_flags, &r);

	n->reads += r.reads;
	if (err)
		return err;
	*host = r.oa;
	return 0;
}

static int nest_read(void *opaque, uint64_t table, unsigned int index, uint64_t *entry)
{
	uint64_t host;
	int err = s2_host(opaque, table + index * 8ull, SIM_PT_R, &host);

	if (err)
		return err;
	/* the guest's table is process memory the VMM may have unmapped */
	return sim_guard_load64((const uint64_t *)(uintptr_t)host, entry);
}

static int nest_set_bits(void *opaque, uint64_t table, unsigned int index, uint64_t bits)
{
	uint64_t host;
	int err = s2_host(opaque, table + index * 8ull, SIM_PT_W, &host);

	if (err)
		return err;
	return sim_guard_or64((uint64_t *)(uintptr_t)host, bits);
}

/*
 * A walk through a nested HWPT: stage 1 in guest memory, every table
 * access and the output translated by the parent's stage 2. @flags: the
 * access (request_access()) | SIM_PT_WALK_SET_AD. First-stage A/D updates
 * are architectural (no enable bit): the caller always asks for them,
 * except for the stale detector's look, which must change nothing.
 */
static int walk_nested(struct sim_ctx *sim, const struct sim_hwpt *sh, uint64_t iova,
		       unsigned int flags, struct sim_xlate *x, struct sim_pt_result *fault)
{
	const struct sim_hwpt *ph = sh->parent;
	const unsigned int s2ad = (flags & SIM_PT_WALK_SET_AD) && ph->dirty ? SIM_PT_WALK_SET_AD : 0;
	const unsigned int wr = flags & SIM_PT_W;
	struct nest n = { .s2_root = sim_pt_root(ph->pt), .s2_flags = s2ad };
	struct sim_pt_walker w1 = {
		.format = SIM_PT_VTD_FL,
		.levels = sh->levels,
		.read_entry = nest_read,
		.set_bits = nest_set_bits,
		.opaque = &n,
	};
	struct sim_pt_result r1, r2;
	bool d1, d2;
	int err;

	if (sh->eafe && (flags & SIM_PT_WALK_SET_AD))
		flags |= SIM_PT_WALK_SET_EA;
	sim_pt_walker_init(&n.s2, ph->pt);
	err = sim_pt_walk(&w1, sh->s1_root, iova, flags, &r1);
	sim->walk_reads += r1.reads;
	if (err) {
		sim->walk_reads += n.reads;
		*fault = r1;
		return err;
	}
	/* the stage-1 output is a guest physical address: stage 2 has no U/S or XD */
	x->gpa = r1.oa;
	err = sim_pt_walk(&n.s2, n.s2_root, r1.oa, (flags & (SIM_PT_R | SIM_PT_W)) | s2ad, &r2);
	sim->walk_reads += n.reads + r2.reads;
	if (err) {
		*fault = r2;
		return err;
	}
	x->host = r2.oa;
	x->page_size = IOASID_MIN(r1.page_size, r2.page_size);
	/* dirty in both stages: stage 1 always, stage 2 while the parent tracks */
	d1 = r1.dirty || (wr && (flags & SIM_PT_WALK_SET_AD));
	d2 = !ph->dirty || r2.dirty || (wr && s2ad);
	x->perm = (r1.perm & r2.perm) | ((r2.perm & SIM_PT_W) ? XL_S2W : 0) |
		  (d1 && d2 ? XL_DIRTY : 0);
	return 0;
}

/* A full walk of @sh for @iova; @flags: access | SIM_PT_WALK_SET_AD. */
static int walk(struct sim_ctx *sim, const struct sim_hwpt *sh, uint64_t iova, unsigned int flags,
		struct sim_xlate *x, struct sim_pt_result *fault)
{
	struct sim_pt_walker w;
	struct sim_pt_result r;
	bool dirty;
	int err;

	sim->walks++;
	if (!sh->paging)
		return walk_nested(sim, sh, iova, flags, x, fault);
	sim_pt_walker_init(&w, sh->pt);
	err = sim_pt_walk(&w, sim_pt_root(sh->pt), iova, flags, &r);
	sim->walk_reads += r.reads;
	if (err) {
		*fault = r;
		return err;
	}
	x->host = r.oa;
	x->page_size = r.page_size;
	x->gpa = iova;
	dirty = r.dirty || ((flags & SIM_PT_W) && (flags & SIM_PT_WALK_SET_AD));
	x->perm = r.perm | ((r.perm & SIM_PT_W) ? XL_S2W : 0) | (dirty ? XL_DIRTY : 0);
	return 0;
}

static uint32_t map_perm(uint32_t perm)
{
	return ((perm & SIM_PT_R) ? IOASID_MAP_READ : 0) |
	       ((perm & SIM_PT_W) ? IOASID_MAP_WRITE : 0);
}

static void record_stale(struct sim_ctx *sim, const struct sim_dev *sd, uint32_t pasid,
			 const struct sim_hwpt *sh, uint64_t iova, const struct sim_xlate *cached,
			 const struct sim_xlate *now, int err)
{
	struct ioasid_sim_stale_event *ev = &sim->stale[sim->stale_seq % SIM_STALE_RING];

	memset(ev, 0, sizeof(*ev));
	ev->dev = sd->id;
	ev->pasid = pasid;
	ev->hwpt = sh->id;
	ev->iova = iova;
	/* what the guest can act on: its IOVA, and where its stage 1 sent it */
	ev->cached_gpa = cached->gpa;
	if (now->gpa != NO_GPA) {
		ev->current_gpa = now->gpa;
		ev->flags |= IOASID_SIM_STALE_F_CURRENT_GPA;
	}
	ev->cached_addr = cached->host;
	ev->cached_perm = map_perm(cached->perm);
	ev->current_err = err;
	if (!err) {
		ev->current_addr = now->host;
		ev->current_perm = map_perm(now->perm);
	}
	ev->seq = ++sim->stale_seq;
	sim->stale_hits++;
}

/* What stopped a walk; @acc: the access it checked. */
static const char *fault_name(const struct sim_pt_result *r, unsigned int acc)
{
	switch (r->fault_reason) {
	case SIM_PT_FAULT_NOT_PRESENT:
		return "not present";
	case SIM_PT_FAULT_RESERVED_BIT:
		return "reserved bit set";
	case SIM_PT_FAULT_ADDRESS:
		return "beyond the address width";
	case SIM_PT_FAULT_PERM:
		/* VT-d fault reason 0x81 */
		if ((acc & SIM_PT_U) && !(r->perm & SIM_PT_U))
			return "permission denied: U/S is clear for a user-mode request";
		return "permission denied";
	case SIM_PT_FAULT_READ:
		return "table not reachable through stage 2";
	case SIM_PT_FAULT_ACCESS:
		return "access flag clear";
	case SIM_PT_FAULT_ADDR_SIZE:
		return "output address beyond the OAS";
	default:
		return "fault";
	}
}

/*
 * The HWPT at (device, PASID), as the IOMMU finds it: its context cache,
 * then its PASID cache, then the tables (the device's routes). The caches
 * are a model: they count hits and misses as the hardware's would, and
 * the attach, detach and invalidation hooks keep them coherent with the
 * routes, so whatever hits is what the routes say.
 */
static struct sim_hwpt *context_entry(struct sim_ctx *sim, struct sim_dev *sd, uint32_t pasid)
{
	struct sim_ctx_entry *ce = &sd->ctx_cache[pasid % SIM_CTX_CACHE];
	struct sim_hwpt *sh;
	uint32_t domain;

	if (ce->gen == sim->ctx_gen && ce->pasid == pasid) {
		sim->ctx_cache_hits++;
		return ce->sh;
	}
	sh = sim_route_find(sd, pasid);
	if (!sim_pasid_cache_lookup(sim->pasid_cache, sd->id, pasid, NULL, &domain, NULL) && sh)
		sim_pasid_cache_insert(sim->pasid_cache, sd->id, pasid,
				       sh->paging ? sim_pt_root(sh->pt) : sh->s1_root, sh->id, 0);
	if (sh) {
		ce->gen = sim->ctx_gen;
		ce->pasid = pasid;
		ce->sh = sh;
	}
	return sh;
}

int sim_stale_hit(struct ioasid_ctx *ctx, struct sim_ctx *sim, const struct sim_dev *sd,
		  uint32_t pasid, const struct sim_hwpt *sh, uint64_t iova,
		  const struct sim_xlate *cached, const struct sim_xlate *now, int err)
{
	/* compare the page: the same host page and permissions (dirty or not)? */
	if (!err && now->host == cached->host &&
	    (now->perm & ~XL_DIRTY) == (cached->perm & ~XL_DIRTY))
		return 0;
	record_stale(sim, sd, pasid, sh, iova, cached, now, err);
	if (sim->stale_mode != IOASID_SIM_STALE_STRICT)
		return 0;
	return ioasid_err(ctx, -EIO,
			  "stale cached translation of iova 0x%llx (HWPT %u) refused in strict mode",
			  X(iova), sh->id);
}

/*
 * A hit on a nested HWPT's cached entry is checked against a fresh walk
 * (the guest may have changed its table without invalidating). Return 0
 * to use it, or -EIO when strict mode refuses a stale one.
 */
static int check_stale(struct ioasid_ctx *ctx, struct sim_ctx *sim, const struct sim_dev *sd,
		       uint32_t pasid, const struct sim_hwpt *sh, uint64_t iova,
		       const struct sim_xlate *cached)
{
	struct sim_pt_result fault;
	struct sim_xlate now = { .gpa = NO_GPA };
	int err;

	err = walk(sim, sh, iova, 0, &now, &fault);
	return sim_stale_hit(ctx, sim, sd, pasid, sh, iova, cached, &now, err);
}

/* Does a translation granting @perm allow the access @acc (request_access())? */
static inline bool access_ok(uint32_t perm, unsigned int acc)
{
	uint32_t need = acc & SIM_PT_PERM_MASK;

	if (acc & SIM_PT_WALK_NO_WP) {
		/* the first stage does not check R/W; the second stage does */
		need &= ~SIM_PT_W;
		if ((acc & SIM_PT_W) && !(perm & XL_S2W))
			return false;
	}
	return (perm & need) == need;
}

static const char *dma_kind(uint32_t rflags)
{
	return (rflags & IOASID_SIM_DMA_EXEC)  ? "execute" :
	       (rflags & IOASID_SIM_DMA_WRITE) ? "write" :
						 "read";
}

/*
 * The PASID entry's checks of a privileged or execute request, and what
 * it asks of the tables (docs/sim-first-stage.md): ERE is never set (the
 * kernel has no flag for it), so an execute request is refused (VT-d
 * fault reason 0x5C); a privileged one needs SRE (0x5D), which only a
 * nested HWPT's IOASID_VTD_S1_SRE sets. Such a refusal is no page fault:
 * no page request can fix it.
 */
static int pasid_entry_check(struct ioasid_ctx *ctx, const struct sim_dev *sd, uint32_t pasid,
			     const struct sim_hwpt *sh, uint64_t iova, uint32_t rflags,
			     unsigned int *ret_acc, struct sim_fault_info *fi)
{
	const char *why = NULL;

	if (rflags & IOASID_SIM_DMA_EXEC)
		why = "an execute request, and the PASID entry's ERE is clear (VT-d fault reason 0x5c)";
	else if (!sh->sre)
		why = "a privileged request, and the PASID entry's SRE is clear (VT-d fault reason 0x5d)";
	if (why) {
		fi->reason = IOASID_FAULT_R_PERMISSION;
		fi->entry = true;
		return ioasid_err(ctx, -EACCES,
				  "%s %s at iova 0x%llx (PASID %d, HWPT %u) refused: %s",
				  sd->dev->name, dma_kind(rflags), X(iova), (int)pasid, sh->id, why);
	}
	/* supervisor mode: U/S does not matter; R/W only with WPE */
	*ret_acc = (rflags & IOASID_SIM_DMA_WRITE) ? SIM_PT_W : SIM_PT_R;
	if ((rflags & IOASID_SIM_DMA_WRITE) && !sh->wpe)
		*ret_acc |= SIM_PT_WALK_NO_WP;
	return 0;
}

/*
 * What a request of @rflags (IOASID_SIM_DMA_*) asks of @sh's tables: the
 * walk's access flags. A request without the privileged bit is a user-mode
 * one (requests without PASID always are: PCIe carries PR and ER in the
 * PASID prefix), so the first stage must grant U/S; the second stage
 * grants it always.
 */
static inline int request_access(struct ioasid_ctx *ctx, const struct sim_dev *sd, uint32_t pasid,
				 const struct sim_hwpt *sh, uint64_t iova, uint32_t rflags,
				 unsigned int *ret_acc, struct sim_fault_info *fi)
{
	if (__builtin_expect(rflags & (IOASID_SIM_DMA_PRIV | IOASID_SIM_DMA_EXEC), 0))
		return pasid_entry_check(ctx, sd, pasid, sh, iova, rflags, ret_acc, fi);
	*ret_acc = ((rflags & IOASID_SIM_DMA_WRITE) ? SIM_PT_W : SIM_PT_R) | SIM_PT_U;
	return 0;
}

/*
 * Translate from the caches. Return 1 with @x filled, 0 when a walk must
 * run (a miss, or a write that must set D through an entry not yet dirty),
 * or a negative errno (message set, fi->reason says what kind of fault).
 */
static int translate_cached(struct ioasid_ctx *ctx, struct sim_ctx *sim, struct sim_dev *sd,
			    uint32_t pasid, const struct sim_hwpt *sh, uint64_t iova,
			    unsigned int acc, struct sim_xlate *x, struct sim_fault_info *fi)
{
	const struct sim_iotlb_entry *e = cached_lookup(sim, sd, sh->id, pasid, iova);
	uint64_t psz;

	if (!e)
		return 0;
	psz = sim_iotlb_entry_size(e);
	x->host = e->oa + (iova & (psz - 1));
	x->page_size = psz;
	x->perm = e->perm;
	x->gpa = e->data + (iova & (psz - 1));
	if (!sh->paging && check_stale(ctx, sim, sd, pasid, sh, iova, x)) {
		fi->reason = 0; /* refused, not a translation fault */
		return -EIO;
	}
	fi->reason = IOASID_FAULT_R_PERMISSION;
	if (!access_ok(x->perm, acc))
		return ioasid_err(ctx, -EACCES, "%s %s at iova 0x%llx: the cached translation is %s",
				  sd->dev->name, (acc & SIM_PT_W) ? "write" : "read", X(iova),
				  (acc & SIM_PT_U) && !(x->perm & SIM_PT_U) ?
					  "for supervisor-mode requests only" :
				  (x->perm & SIM_PT_W) ? "write-only" :
							 "read-only");
	/*
	 * A write through an entry whose page is not dirty yet must set D:
	 * the first stage's always, the second stage's while tracking.
	 */
	return !((acc & SIM_PT_W) && (!sh->paging || sh->dirty || sh->hw_dirty) &&
		 !(x->perm & XL_DIRTY));
}

int sim_fault_msg(struct ioasid_ctx *ctx, const struct sim_dev *sd, struct sim_fault_info *fi,
		  int err)
{
	if (!fi->walk_why)
		return err;
	ioasid_err(ctx, err, "%s %s at iova 0x%llx (PASID %d, HWPT %u): %s at level %u",
		   sd->dev->name, dma_kind(fi->rflags), X(fi->iova), (int)fi->pasid, fi->hwpt->id,
		   fi->walk_why, fi->walk_level);
	fi->walk_why = NULL;
	return err;
}

int sim_translate(struct ioasid_ctx *ctx, struct sim_ctx *sim, struct sim_dev *sd, uint32_t pasid,
		  uint64_t iova, uint32_t rflags, struct sim_xlate *x, struct sim_fault_info *fi)
{
	struct sim_pt_result fault;
	struct sim_hwpt *sh;
	unsigned int acc = 0, flags;
	int err;

	sh = context_entry(sim, sd, pasid);
	if (!sh && pasid != IOASID_PASID_NONE) {
		/*
		 * A vIOMMU-nested stream table entry covers every substream:
		 * the guest's context-descriptor table resolves the PASID.
		 */
		struct sim_hwpt *rid = context_entry(sim, sd, IOASID_PASID_NONE);

		if (rid && rid->vi)
			sh = rid;
	}
	fi->hwpt = sh;
	if (!sh) {
		fi->reason = IOASID_FAULT_R_BLOCKED;
		return ioasid_err(ctx, -EFAULT,
				  "DMA blocked: %s has nothing attached at PASID %d (iova 0x%llx)",
				  sd->dev->name, (int)pasid, X(iova));
	}
	if (sh->vi) {
		/* nested on a vIOMMU: the vendor model's structures and caches */
		const struct sim_vreq rq = {
			.ctx = ctx,
			.sim = sim,
			.sd = sd,
			.sh = sh,
			.pasid = pasid,
			.iova = iova,
			.rflags = rflags,
		};

		return sim_viommu_translate(&rq, x, fi);
	}
	err = request_access(ctx, sd, pasid, sh, iova, rflags, &acc, fi);
	if (err)
		return err;
	err = translate_cached(ctx, sim, sd, pasid, sh, iova, acc, x, fi);
	if (err)
		return err < 0 ? err : 0;
	flags = acc;
	if (sh->paging ? sh->dirty || sh->hw_dirty : true)
		flags |= SIM_PT_WALK_SET_AD;
	err = walk(sim, sh, iova, flags, x, &fault);
	if (err) {
		fi->reason = reason_of(fault.fault_reason);
		fi->walk_why = fault_name(&fault, acc);
		fi->walk_level = fault.fault_level;
		fi->rflags = rflags;
		fi->pasid = pasid;
		fi->iova = iova;
		err = err == -EACCES ? -EACCES : -EFAULT;
		/* a debug log shows every message as it is set: keep its order */
		if (__builtin_expect(ctx->log && ctx->log_level >= IOASID_LOG_DEBUG, 0))
			sim_fault_msg(ctx, sd, fi, err);
		return err;
	}
	sim_hwpt_note_tlb_pasid(sh, pasid);
	sim_iotlb_insert(sim->iotlb, sh->id, pasid, iova, x->page_size,
			 x->host & ~(x->page_size - 1), x->perm, x->gpa & ~(x->page_size - 1));
	if (sd->devtlb)
		sim_iotlb_insert(sd->devtlb, sh->id, pasid, iova, x->page_size,
				 x->host & ~(x->page_size - 1), x->perm,
				 x->gpa & ~(x->page_size - 1));
	return 0;
}

static enum ioasid_fault_reason reason_of(enum sim_pt_fault f)
{
	switch (f) {
	case SIM_PT_FAULT_PERM:
		return IOASID_FAULT_R_PERMISSION;
	case SIM_PT_FAULT_RESERVED_BIT:
		return IOASID_FAULT_R_RESERVED;
	default:
		return IOASID_FAULT_R_NOT_PRESENT;
	}
}
