/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sim's DMA engine, its faults: a page of a request that does not
 * translate raises, by what is attached at (device, PASID), a page request
 * group (a PRI device on an HWPT with a fault queue: the request waits for
 * the answer, and resumes or ends by it), a record on a vIOMMU's vEVENTQ
 * (the guest's fault), or an unrecoverable record.
 */
#include <string.h>

#include "sim-dma.h"
#include "sim-private.h"
#include "sim-viommu.h"

#define X(v) ((unsigned long long)(v))

#define DMA_MAX_ROUNDS 4 /* page request rounds one DMA may go through */

static void dma_resume(struct ioasid_ctx *ctx, uint64_t cookie, uint32_t code, const char *why,
		       void *data);

/*
 * A translation of @p failed at @at with @err. Route the fault by what is
 * attached at (device, PASID): a device that can recover it (a PRI device;
 * on SMMUv3 a stalled transaction: sim_fault_recoverable()) on an HWPT with
 * a fault queue raises a page request group there (-EAGAIN: the request waits); anything
 * else raises an unrecoverable record (to that queue, or the context's
 * log) and returns @err.
 */
int sim_dma_fault(struct ioasid_ctx *ctx, struct sim_ctx *sim, struct sim_dev *sd,
		  struct sim_pending *p, uint64_t at, int err, struct sim_fault_info *fi)
{
	struct ioasid_fault_queue *q = NULL;
	struct ioasid_fault recs[FAULT_GROUP_MAX];
	struct sim_recov rv;
	uint32_t n = 0, base;
	uint64_t pg;
	int r;

	if (!fi->reason)
		return sim_fault_msg(ctx, sd, fi, err); /* refused (strict stale mode) */
	if (fi->hwpt)
		q = fi->hwpt->fault_q;
	/* an execute request is a read with ER; PR and ER travel with a PASID */
	base = IOASID_FAULT_F_ADDR_VALID |
	       ((p->flags & IOASID_SIM_DMA_WRITE) ? IOASID_FAULT_F_WRITE : IOASID_FAULT_F_READ) |
	       ((p->flags & IOASID_SIM_DMA_EXEC) ? IOASID_FAULT_F_EXEC : 0) |
	       ((p->flags & IOASID_SIM_DMA_PRIV) ? IOASID_FAULT_F_PRIV : 0) |
	       (p->pasid != IOASID_PASID_NONE ? IOASID_FAULT_F_PASID_VALID : 0);
	if (q && !fi->entry && fi->reason != IOASID_FAULT_R_BLOCKED &&
	    fi->reason != IOASID_FAULT_R_RESERVED && p->rounds < DMA_MAX_ROUNDS &&
	    sim_fault_recoverable(sim, sd, fi, &rv)) {
		/*
		 * One request per page that does not translate, up to a group's
		 * worth. Nothing shows the walk's message (fi->walk_why) here: a
		 * response resumes or ends the request with its own.
		 */
		for (pg = at & ~0xfffull; n < rv.max && pg < p->iova + p->len; pg += 0x1000) {
			struct sim_fault_info f2 = { 0 };
			struct sim_xlate x;

			if (n && !sim_translate(ctx, sim, sd, p->pasid, pg, p->flags, &x, &f2))
				break;
			/* each record zeroed as it is used: a group is mostly one */
			memset(&recs[n], 0, sizeof(recs[n]));
			recs[n].flags = base;
			recs[n].reason = IOASID_FAULT_R_PAGE_REQUEST;
			recs[n].dev = sd->id;
			recs[n].pasid = p->pasid;
			recs[n].addr = rv.exact ? at : pg;
			recs[n].grpid = rv.grpid;
			n++;
			if (pg + 0x1000 < pg)
				break;
		}
		p->rounds++;
		if (p->on_stack) {
			/* it must outlive the call now: move it to the heap */
			struct sim_pending *h = ioasid_malloc(sizeof(*h));

			if (!h)
				return ioasid_err(ctx, -ENOMEM, "out of memory for a pending DMA");
			sim_pending_copy(h, p);
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
		sim_fault_msg(ctx, sd, fi, err);
		if (fi->vf.valid)
			sim_viommu_report(fi->hwpt->vi, sd, &fi->vf);
		return err;
	}
	/* unrecoverable: the request ends with the walk's message */
	sim_fault_msg(ctx, sd, fi, err);
	memset(&recs[0], 0, sizeof(recs[0]));
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
		sim_dma_run(ctx, ctx->be, p);
		return;
	}
	ioasid_err(ctx, code == IOASID_FAULT_INVALID ? -EFAULT : -EIO,
		   "page request group %llu at 0x%llx was answered %s %s", X(cookie),
		   X(p->iova + p->done), code == IOASID_FAULT_INVALID ? "INVALID" : "FAILURE", why);
	sim_dma_finish(ctx, p, code == IOASID_FAULT_INVALID ? -EFAULT : -EIO);
	ioasid_log(ctx, IOASID_LOG_DEBUG, "DMA %llu at 0x%llx ended by a %s response", X(p->handle),
		   X(p->iova + p->done), code == IOASID_FAULT_INVALID ? "INVALID" : "FAILURE");
}
