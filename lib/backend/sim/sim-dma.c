/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sim's DMA engine: translate (device IOTLB, PASID cache, IOTLB, page
 * walk — nested walks read every stage-1 table entry through stage 2) and
 * copy, page by page, stopping at the first page that does not translate.
 *
 * The stale-translation detector: a cached translation of a nested HWPT can
 * go stale, because the guest edits its stage-1 table behind the IOMMU's
 * back and must invalidate. Every hit on such an entry is checked against a
 * fresh walk; a mismatch is counted and recorded, then either used (as
 * hardware would: "faithful") or refused ("strict"). Paging HWPTs cannot go
 * stale: the library changes their tables and flushes in the same call.
 *
 * A request stays inside the sim: the device comes from the sim's table,
 * what (device, PASID) is attached to from its routes, the tables and the
 * fault queue from the HWPT's sim_hwpt, all resolved when the attachment
 * or the HWPT changed (sim-hwpt.c). The core is called only to raise a
 * fault and to word an error.
 */
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "sim-guard.h"
#include "sim-private.h"
#include "sim-viommu.h"
#include "core/trace-private.h"

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

/* A cached translation: the device's own TLB first (ATS), then the IOTLB. */
static inline const struct sim_iotlb_entry *cached_lookup(struct sim_ctx *sim, struct sim_dev *sd,
							  uint32_t domain, uint32_t pasid,
							  uint64_t iova)
{
	const struct sim_iotlb_entry *e = NULL;

	if (sd->devtlb) {
		e = sim_iotlb_lookup(sd->devtlb, domain, pasid, iova);
		if (e)
			sim->devtlb_hits++;
		else
			sim->devtlb_misses++;
	}
	return e ? e : sim_iotlb_lookup(sim->iotlb, domain, pasid, iova);
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

static int translate(struct ioasid_ctx *ctx, struct sim_ctx *sim, struct sim_dev *sd, uint32_t pasid,
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
		return ioasid_err(ctx, err == -EACCES ? -EACCES : -EFAULT,
				  "%s %s at iova 0x%llx (PASID %d, HWPT %u): %s at level %u",
				  sd->dev->name, dma_kind(rflags), X(iova), (int)pasid, sh->id,
				  fault_name(&fault, acc), fault.fault_level);
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

/* ---- DMA requests, page requests and their completion ---- */

#define DMA_MAX_ROUNDS 4 /* page request rounds one DMA may go through */

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

/* End a request; @ctx's current message says why when @err is set. */
static void pending_finish(struct ioasid_ctx *ctx, struct sim_pending *p, int err)
{
	p->err = err;
	if (err)
		snprintf(p->why, sizeof(p->why), "%s", ioasid_ctx_errmsg(ctx));
	/* published last: a waiter spinning without the lock reads it */
	__atomic_store_n(&p->state, SIM_DMA_DONE, __ATOMIC_RELEASE);
}

/*
 * Before sleeping on the condition variable, spin a little without the
 * lock: the owner usually answers within microseconds, and a futex sleep
 * and wake-up cost more than that (the fault round-trip benchmark shows
 * it). Bounded backoff: pause-spin for up to SPIN_NS, then the caller
 * sleeps; so a slow owner costs at most SPIN_NS of one CPU. When the
 * owner of a polled queue runs on this very CPU (it says where it polls),
 * spinning only delays it: the device yields the CPU to it instead, each
 * time round, within the same bound.
 *
 * A polled queue's owner answers on its ring, without the lock: the
 * answer is applied by whoever looks. While spinning, the device looks
 * whenever the context's response doorbell moves, so the request it
 * waits for completes here, without a wake-up.
 */
#define SPIN_NS 40000ull

static uint64_t spin_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * @bell: the doorbell read before the caller's last look at the rings
 * (under the lock): an answer that came after that look moved it since.
 */
static void spin_until_done(struct ioasid_ctx *ctx, const struct sim_pending *p, uint64_t bell)
{
	uint64_t start = spin_clock(), b;
	bool yield = fault_ring_owner_here(ctx);
	unsigned int i;

	for (;;) {
		for (i = 0; i < 64; i++) {
			if (__atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != SIM_DMA_PENDING)
				return;
			b = fault_ring_doorbell(ctx);
			/* the lock taken (by the owner, mapping): look again later */
			if (b != bell && pthread_mutex_trylock(&ctx->lock) == 0) {
				bell = b;
				fault_ring_drain_all(ctx);
				ctx_unlock(ctx);
				continue;
			}
			if (yield)
				sched_yield();
#if defined(__x86_64__) || defined(__i386__)
			else
				__builtin_ia32_pause();
#endif
		}
		if (spin_clock() - start > SPIN_NS)
			return;
		yield = fault_ring_owner_here(ctx);
	}
}

static int dma_run(struct ioasid_ctx *ctx, struct sim_ctx *sim, struct sim_pending *p);
static void dma_resume(struct ioasid_ctx *ctx, uint64_t cookie, uint32_t code, const char *why,
		       void *data);

/*
 * A translation of @p failed at @at with @err. Route the fault by what is
 * attached at (device, PASID): a PRI device on an HWPT with a fault queue
 * raises a page request group there (-EAGAIN: the request waits); anything
 * else raises an unrecoverable record (to that queue, or the context's
 * log) and returns @err.
 */
static int dma_fault(struct ioasid_ctx *ctx, struct sim_ctx *sim, struct sim_dev *sd,
		     struct sim_pending *p, uint64_t at, int err, const struct sim_fault_info *fi)
{
	struct ioasid_fault_queue *q = NULL;
	struct ioasid_fault recs[FAULT_GROUP_MAX];
	uint32_t n = 0, base;
	uint64_t pg;
	int r;

	if (!fi->reason)
		return err; /* refused (strict stale mode), not a translation fault */
	if (fi->hwpt)
		q = fi->hwpt->fault_q;
	memset(recs, 0, sizeof(recs));
	/* an execute request is a read with ER; PR and ER travel with a PASID */
	base = IOASID_FAULT_F_ADDR_VALID |
	       ((p->flags & IOASID_SIM_DMA_WRITE) ? IOASID_FAULT_F_WRITE : IOASID_FAULT_F_READ) |
	       ((p->flags & IOASID_SIM_DMA_EXEC) ? IOASID_FAULT_F_EXEC : 0) |
	       ((p->flags & IOASID_SIM_DMA_PRIV) ? IOASID_FAULT_F_PRIV : 0) |
	       (p->pasid != IOASID_PASID_NONE ? IOASID_FAULT_F_PASID_VALID : 0);
	if (q && sd->dev->props.pri && !fi->entry && fi->reason != IOASID_FAULT_R_BLOCKED &&
	    fi->reason != IOASID_FAULT_R_RESERVED && p->rounds < DMA_MAX_ROUNDS) {
		/* one request per page that does not translate, up to a group's worth */
		for (pg = at & ~0xfffull; n < FAULT_GROUP_MAX && pg < p->iova + p->len; pg += 0x1000) {
			struct sim_fault_info f2 = { 0 };
			struct sim_xlate x;

			if (n && !translate(ctx, sim, sd, p->pasid, pg, p->flags, &x, &f2))
				break;
			recs[n].flags = base;
			recs[n].reason = IOASID_FAULT_R_PAGE_REQUEST;
			recs[n].dev = sd->id;
			recs[n].pasid = p->pasid;
			recs[n].addr = pg;
			recs[n].grpid = (uint16_t)(sd->next_grpid & 0x1ff);
			n++;
			if (pg + 0x1000 < pg)
				break;
		}
		sd->next_grpid++;
		p->rounds++;
		if (p->on_stack) {
			/* it must outlive the call now: move it to the heap */
			struct sim_pending *h = ioasid_malloc(sizeof(*h));

			if (!h)
				return ioasid_err(ctx, -ENOMEM, "out of memory for a pending DMA");
			*h = *p;
			h->on_stack = false;
			h->sd = NULL; /* the device may be gone when it resumes */
			p->moved = h;
			p = h;
		}
		r = fault_raise_group(ctx, q, fi->hwpt->id, recs, n, dma_resume, p, &p->cookie);
		if (r == 0)
			return -EAGAIN;
		/* a full queue answered FAILURE at once: dma_resume ended @p */
		return p->err ? p->err : r;
	}
	if (fi->hwpt && fi->hwpt->vi && !fi->vf.host) {
		/*
		 * The guest's fault: an event record on its vIOMMU's vEVENTQ,
		 * or none when the guest's structures say not to record it.
		 * Only what the hardware reports to the host (stage 2) goes on.
		 */
		if (fi->vf.valid)
			sim_viommu_report(fi->hwpt->vi, sd, &fi->vf);
		return err;
	}
	recs[0].flags = base | IOASID_FAULT_F_LAST;
	recs[0].reason = fi->reason;
	recs[0].dev = sd->id;
	recs[0].pasid = p->pasid;
	recs[0].addr = at & ~0xfffull;
	recs[0].hwpt = fi->hwpt ? fi->hwpt->id : 0;
	fault_raise_unrecoverable(ctx, q, &recs[0]);
	return err;
}

/* A group this DMA waited on was answered. */
static void dma_resume(struct ioasid_ctx *ctx, uint64_t cookie, uint32_t code, const char *why,
		       void *data)
{
	struct sim_pending *p = data;

	if (p->cookie != cookie || p->state != SIM_DMA_PENDING)
		return;
	p->cookie = 0;
	if (code == IOASID_FAULT_SUCCESS) {
		/* the owner fixed the tables: the device retries */
		dma_run(ctx, ctx->be, p);
		return;
	}
	ioasid_err(ctx, code == IOASID_FAULT_INVALID ? -EFAULT : -EIO,
		   "page request group %llu at 0x%llx was answered %s %s", X(cookie),
		   X(p->iova + p->done), code == IOASID_FAULT_INVALID ? "INVALID" : "FAILURE", why);
	pending_finish(ctx, p, code == IOASID_FAULT_INVALID ? -EFAULT : -EIO);
	ioasid_log(ctx, IOASID_LOG_DEBUG, "DMA %llu at 0x%llx ended by a %s response",
		   X(p->handle), X(p->iova + p->done),
		   code == IOASID_FAULT_INVALID ? "INVALID" : "FAILURE");
}

/*
 * Translate and copy from p->done on. A failure either raises a page
 * request group (PRI device, queue on the HWPT: the request stays pending)
 * or an unrecoverable record, and ends the request.
 */
static int dma_run(struct ioasid_ctx *ctx, struct sim_ctx *sim, struct sim_pending *p)
{
	/* the submitter looked the device up already; a resumed request has not */
	struct sim_dev *sd = p->sd ? p->sd : sim_dev_of(sim, p->dev);
	int err = 0;

	if (!sd) {
		ioasid_err(ctx, -ENODEV, "device %u of DMA %llu went away", p->dev, X(p->handle));
		pending_finish(ctx, p, -ENODEV);
		return -ENODEV;
	}
	while (p->done < p->len) {
		uint64_t at = p->iova + p->done, n;
		struct sim_fault_info fi = { 0 };
		struct sim_xlate x;

		if (p->done && at < p->iova) {
			err = ioasid_err(ctx, -EFAULT, "DMA of %zu bytes from 0x%llx wraps", p->len,
					 X(p->iova));
			break;
		}
		err = translate(ctx, sim, sd, p->pasid, at, p->flags, &x, &fi);
		if (err) {
			sim->faults++;
			err = dma_fault(ctx, sim, sd, p, at, err, &fi);
			if (err == -EAGAIN)
				return err; /* waiting for the page request's answer */
			break;
		}
		n = IOASID_MIN((uint64_t)(p->len - p->done), x.page_size - (at & (x.page_size - 1)));
		err = sim_guard_dma(ctx, x.host, p->buf + p->done, n,
				    p->flags & IOASID_SIM_DMA_WRITE, at);
		if (err)
			break;
		p->done += n;
		sim->dma_bytes += n;
	}
	pending_finish(ctx, p, err);
	return err;
}

static struct sim_pending *pending_find(struct sim_ctx *sim, uint64_t handle,
					struct sim_pending ***ret_pp)
{
	struct sim_pending **pp;

	for (pp = &sim->pending; *pp; pp = &(*pp)->next) {
		if ((*pp)->handle == handle) {
			if (ret_pp)
				*ret_pp = pp;
			return *pp;
		}
	}
	return NULL;
}

/* Hand a finished request's result back (with a message) and forget it. */
static int pending_collect(struct ioasid_ctx *ctx, struct sim_ctx *sim, struct sim_pending **pp,
			   size_t *ret_done)
{
	struct sim_pending *p = *pp;
	int err = p->err;

	if (err)
		ioasid_err(ctx, err, "%s", p->why);
	if (ret_done)
		*ret_done = p->done;
	*pp = p->next;
	ioasid_free(p);
	return err;
}

#define DMA_FLAGS (IOASID_SIM_DMA_WRITE | IOASID_SIM_DMA_PRIV | IOASID_SIM_DMA_EXEC)

/* The request attributes a device can send (sim.h, IOASID_SIM_DMA_*). */
static int check_rflags(struct ioasid_ctx *ctx, uint32_t pasid, uint32_t rflags)
{
	if (rflags & ~DMA_FLAGS)
		return ioasid_err(ctx, -EINVAL, "unknown DMA request flags 0x%x",
				  rflags & ~DMA_FLAGS);
	if ((rflags & (IOASID_SIM_DMA_PRIV | IOASID_SIM_DMA_EXEC)) && pasid == IOASID_PASID_NONE)
		return ioasid_err(ctx, -EINVAL,
				  "%s request needs a PASID: PCIe carries PR and ER in the PASID prefix",
				  (rflags & IOASID_SIM_DMA_PRIV) ? "a privileged" : "an execute");
	if ((rflags & IOASID_SIM_DMA_EXEC) && (rflags & IOASID_SIM_DMA_WRITE))
		return ioasid_err(ctx, -EINVAL, "an execute request is a read, not a write");
	return 0;
}

/*
 * Start a DMA. With @ret_p (the synchronous path, whose caller waits at
 * once) a request left waiting is returned there, valid until its handle
 * is collected, and its -EAGAIN carries no message: formatting one under
 * the lock would only hold up the owner, who takes the lock to map.
 */
static int dma_start(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pasid, uint64_t iova,
		     void *buf, size_t len, uint32_t rflags, uint64_t *ret_handle, size_t *ret_done,
		     struct sim_pending **ret_p)
{
	struct sim_pending onstack, *p;
	struct sim_dev *sd;
	struct sim_ctx *sim;
	int err;

	if (ret_done)
		*ret_done = 0;
	if (!ctx)
		return -EINVAL;
	if (len && !buf)
		return ioasid_err(ctx, -EINVAL, "DMA buffer is NULL for %zu bytes", len);
	err = check_rflags(ctx, pasid, rflags);
	if (err)
		return err;
	ctx_lock(ctx);
	TRACE(ctx, trace_contents_before(ctx));
	sim = sim_ctx_of(ctx);
	if (!sim) {
		err = ioasid_err(ctx, -EOPNOTSUPP, "DMA is simulated only on a sim context");
		goto out;
	}
	sd = sim_dev_of(sim, dev_id);
	if (!sd) {
		err = obj_missing(ctx, dev_id, IOASID_OBJ_DEV);
		goto out;
	}
	/*
	 * The request lives on the stack while it runs: most DMAs complete at
	 * once, and an allocation per DMA would cost more than the hit path.
	 * Only a request that must wait for a page response moves to the heap
	 * (dma_fault() does that before it raises the group).
	 */
	memset(&onstack, 0, sizeof(onstack));
	p = &onstack;
	p->dev = dev_id;
	p->pasid = pasid;
	p->iova = iova;
	p->buf = buf;
	p->len = len;
	p->flags = rflags;
	p->state = SIM_DMA_PENDING;
	p->on_stack = true;
	p->sd = sd;
	if (rflags & IOASID_SIM_DMA_WRITE)
		sim->dma_writes++;
	else
		sim->dma_reads++;
	dma_run(ctx, sim, p);
	if (p->moved) {
		p = p->moved;
		p->handle = ++sim->next_handle;
		p->next = sim->pending;
		sim->pending = p;
		if (p->state == SIM_DMA_PENDING) {
			if (ret_handle)
				*ret_handle = p->handle;
			if (ret_done)
				*ret_done = p->done;
			if (ret_p) {
				*ret_p = p;
				err = -EAGAIN;
				goto out;
			}
			err = ioasid_err(ctx, -EAGAIN,
					 "DMA %llu waits for page request group %llu at 0x%llx",
					 X(p->handle), X(p->cookie), X(p->iova + p->done));
			goto out;
		}
		err = pending_collect(ctx, sim, &sim->pending, ret_done);
		goto out;
	}
	if (ret_done)
		*ret_done = p->done;
	err = p->err;
out:
	TRACE(ctx, trace_dma(ctx, dev_id, pasid, iova, buf, len, rflags, ret_handle, ret_done, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_sim_dma_poll(struct ioasid_ctx *ctx, uint64_t handle, size_t *ret_done)
{
	struct sim_pending *p, **pp;
	struct sim_ctx *sim;
	int err;

	if (!ctx)
		return -EINVAL;
	sim = sim_lock(ctx);
	if (!sim)
		return -EOPNOTSUPP;
	TRACE(ctx, trace_contents_before(ctx));
	fault_ring_drain_all(ctx); /* answers a polled queue's owner left on its ring */
	if (!(p = pending_find(sim, handle, &pp)))
		err = ioasid_err(ctx, -ENOENT, "no DMA request with handle %llu", X(handle));
	else if (p->state == SIM_DMA_PENDING) {
		if (ret_done)
			*ret_done = p->done;
		err = ioasid_err(ctx, -EAGAIN, "DMA %llu still waits for page request group %llu",
				 X(handle), X(p->cookie));
	} else
		err = pending_collect(ctx, sim, pp, ret_done);
	TRACE(ctx, trace_dma_collect(ctx, false, handle, ret_done, err));
	ctx_unlock(ctx);
	return err;
}

static int dma_submit(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pasid, uint64_t iova,
		      void *buf, size_t len, uint32_t rflags, uint64_t *ret_handle, size_t *ret_done)
{
	return dma_start(ctx, dev_id, pasid, iova, buf, len, rflags, ret_handle, ret_done, NULL);
}

static int dma_wait(struct ioasid_ctx *ctx, uint64_t handle, uint64_t timeout_ns, size_t *ret_done,
		    bool spun);

IOASID_EXPORT int ioasid_sim_dma_wait(struct ioasid_ctx *ctx, uint64_t handle,
				      uint64_t timeout_ns, size_t *ret_done)
{
	return dma_wait(ctx, handle, timeout_ns, ret_done, timeout_ns == 0);
}

/* @spun: the caller spun already (or must not): wait on the condition at once. */
static int dma_wait(struct ioasid_ctx *ctx, uint64_t handle, uint64_t timeout_ns, size_t *ret_done,
		    bool spun)
{
	struct sim_pending *p, **pp;
	struct timespec ts;
	struct sim_ctx *sim;
	uint64_t deadline;
	int err = 0;

	if (!ctx)
		return -EINVAL;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	deadline = timeout_ns > UINT64_MAX - deadline ? UINT64_MAX : deadline + timeout_ns;
	ts.tv_sec = (time_t)(deadline / 1000000000ull);
	ts.tv_nsec = (long)(deadline % 1000000000ull);
	sim = sim_lock(ctx);
	if (!sim)
		return -EOPNOTSUPP;
	TRACE(ctx, trace_contents_before(ctx));
	for (;;) {
		p = pending_find(sim, handle, &pp);
		if (!p) {
			err = ioasid_err(ctx, -ENOENT, "no DMA request with handle %llu", X(handle));
			break;
		}
		if (p->state != SIM_DMA_PENDING) {
			err = pending_collect(ctx, sim, pp, ret_done);
			break;
		}
		if (!spun) {
			uint64_t bell = fault_ring_doorbell(ctx);

			fault_ring_drain_all(ctx);
			if (p->state != SIM_DMA_PENDING)
				continue;
			/* only this handle's waiter frees @p: it stays valid */
			spun = true;
			ctx_unlock(ctx);
			spin_until_done(ctx, p, bell);
			ctx_lock(ctx);
			continue;
		}
		/*
		 * Counted as asleep before the last look at the rings, so that a
		 * polled queue's owner answering from now on applies its answer
		 * itself, under the lock we hold until the wait releases it
		 * (fault-ring.c): no answer is left on a ring with nobody to see it.
		 */
		fault_ring_sleep_begin(ctx);
		if (p->state != SIM_DMA_PENDING) {
			fault_ring_sleep_end(ctx);
			continue;
		}
		if (deadline == UINT64_MAX) {
			pthread_cond_wait(&ctx->fault_cond, &ctx->lock);
			fault_ring_sleep_end(ctx);
		} else if (pthread_cond_timedwait(&ctx->fault_cond, &ctx->lock, &ts) == ETIMEDOUT) {
			fault_ring_sleep_end(ctx);
			fault_ring_drain_all(ctx);
			p = pending_find(sim, handle, &pp);
			if (p && p->state == SIM_DMA_PENDING) {
				if (ret_done)
					*ret_done = p->done;
				err = ioasid_err(ctx, -ETIMEDOUT,
						 "DMA %llu still waits for a page response after %llu ns",
						 X(handle), X(timeout_ns));
				break;
			}
		} else {
			fault_ring_sleep_end(ctx);
		}
	}
	TRACE(ctx, trace_dma_collect(ctx, true, handle, ret_done, err));
	ctx_unlock(ctx);
	return err;
}

/*
 * The hot path of a synchronous DMA: a paging HWPT whose cached
 * translation covers the whole transfer with the access it needs. It does
 * exactly what translate() + the copy loop would do on that path, minus
 * their generality (which costs more than a 4 KiB copy). Returns 1 when it
 * did the DMA, 0 when the general path must run. Called with the lock held.
 */
static int dma_fast(struct sim_ctx *sim, uint32_t dev_id, uint32_t pasid, uint64_t iova,
		    void *buf, size_t len, bool write)
{
	struct sim_dev *sd = sim_dev_of(sim, dev_id);
	const struct sim_iotlb_entry *e;
	struct sim_ctx_entry *ce;
	struct sim_hwpt *sh;
	uint64_t psz, host;

	if (!sd || !len)
		return 0;
	ce = &sd->ctx_cache[pasid % SIM_CTX_CACHE];
	if (ce->gen != sim->ctx_gen || ce->pasid != pasid)
		return 0;
	sh = ce->sh;
	if (!sh->paging || (write && (sh->dirty || sh->hw_dirty)))
		return 0;
	e = cached_lookup(sim, sd, sh->id, pasid, iova);
	if (!e || !(e->perm & (write ? SIM_PT_W : SIM_PT_R)))
		return 0;
	psz = sim_iotlb_entry_size(e);
	if ((iova & (psz - 1)) + len > psz)
		return 0;
	host = e->oa + (iova & (psz - 1));
	/* memory the VMM took away: the general path words the refusal */
	if (write ? sim_guard_copy((void *)(uintptr_t)host, buf, len, true) :
		    sim_guard_copy(buf, (const void *)(uintptr_t)host, len, false))
		return 0;
	sim->ctx_cache_hits++;
	if (write)
		sim->dma_writes++;
	else
		sim->dma_reads++;
	sim->dma_bytes += len;
	return 1;
}

/* A DMA that blocks until it ends: the hot path, else submit + wait. */
static int dma_sync(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pasid, uint64_t iova,
		    void *buf, size_t len, uint32_t rflags, size_t *ret_done)
{
	struct sim_pending *p = NULL;
	struct sim_ctx *sim;
	uint64_t handle, bell;
	int err;

	if (ctx && buf && !(rflags & ~IOASID_SIM_DMA_WRITE)) {
		ctx_lock(ctx);
		TRACE(ctx, trace_contents_before(ctx));
		sim = sim_ctx_of(ctx);
		if (sim &&
		    dma_fast(sim, dev_id, pasid, iova, buf, len, rflags & IOASID_SIM_DMA_WRITE)) {
			TRACE(ctx,
			      trace_dma(ctx, dev_id, pasid, iova, buf, len, rflags, NULL, &len, 0));
			ctx_unlock(ctx);
			if (ret_done)
				*ret_done = len;
			return 0;
		}
		ctx_unlock(ctx);
	}

	/*
	 * Read before the request can raise its group: an answer to it moves
	 * the doorbell after this. The first spin needs no lock (the owner,
	 * mapping, holds it just then): only this caller collects @p.
	 */
	bell = ctx ? fault_ring_doorbell(ctx) : 0;
	err = dma_start(ctx, dev_id, pasid, iova, buf, len, rflags, &handle, ret_done, &p);
	if (err == -EAGAIN) {
		spin_until_done(ctx, p, bell);
		err = dma_wait(ctx, handle, UINT64_MAX, ret_done, true);
	}
	return err;
}

IOASID_EXPORT int ioasid_sim_dma_submit(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid,
					uint64_t iova, void *buf, size_t len, bool write,
					uint64_t *ret_handle, size_t *ret_done)
{
	return dma_submit(ctx, dev, pasid, iova, buf, len, write ? IOASID_SIM_DMA_WRITE : 0,
			  ret_handle, ret_done);
}

IOASID_EXPORT int ioasid_sim_dma_submit_flags(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid,
					      uint64_t iova, void *buf, size_t len, uint32_t flags,
					      uint64_t *ret_handle, size_t *ret_done)
{
	return dma_submit(ctx, dev, pasid, iova, buf, len, flags, ret_handle, ret_done);
}

IOASID_EXPORT int ioasid_sim_dma(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid,
				 uint64_t iova, void *buf, size_t len, bool write, size_t *ret_done)
{
	return dma_sync(ctx, dev, pasid, iova, buf, len, write ? IOASID_SIM_DMA_WRITE : 0, ret_done);
}

IOASID_EXPORT int ioasid_sim_dma_flags(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid,
				       uint64_t iova, void *buf, size_t len, uint32_t flags,
				       size_t *ret_done)
{
	return dma_sync(ctx, dev, pasid, iova, buf, len, flags, ret_done);
}

IOASID_EXPORT int ioasid_sim_dma_read(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid,
				      uint64_t iova, void *buf, size_t len, size_t *ret_done)
{
	return dma_sync(ctx, dev, pasid, iova, buf, len, 0, ret_done);
}

IOASID_EXPORT int ioasid_sim_dma_write(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid,
				       uint64_t iova, const void *buf, size_t len,
				       size_t *ret_done)
{
	/* the engine only reads @buf for a write */
	return dma_sync(ctx, dev, pasid, iova, (void *)(uintptr_t)buf, len, IOASID_SIM_DMA_WRITE,
			ret_done);
}
