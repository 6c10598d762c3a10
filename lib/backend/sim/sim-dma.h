/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sim's DMA engine, between its three files: sim-dma-translate.c
 * translates one page, sim-dma.c runs requests (copy, wait, resume),
 * sim-dma-fault.c raises what a page that does not translate raises.
 */
#ifndef IOASID_SIM_DMA_H
#define IOASID_SIM_DMA_H

#include <stddef.h>
#include <string.h>

#include "sim-private.h"

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

/*
 * Translate @iova for a request of @rflags (IOASID_SIM_DMA_*) from @sd at
 * @pasid: the caches, else a walk (whose result is cached). 0 with @x
 * filled, or a negative errno (message set, but for a walk's fault, left
 * to sim_fault_msg(); fi->reason says what kind of fault, 0 for none: a
 * refusal of strict stale mode).
 */
int sim_translate(struct ioasid_ctx *ctx, struct sim_ctx *sim, struct sim_dev *sd, uint32_t pasid,
		  uint64_t iova, uint32_t rflags, struct sim_xlate *x, struct sim_fault_info *fi);

/*
 * Set the message of @fi's walk fault, when sim_translate() left it
 * unformatted (fi->walk_why), and return @err. Whoever shows a failed
 * translation's error calls it first; a page request does not.
 */
int sim_fault_msg(struct ioasid_ctx *ctx, const struct sim_dev *sd, struct sim_fault_info *fi,
		  int err);

/*
 * Translate and copy the rest of @p (from p->done on); it ends the request
 * unless a page request group was raised (-EAGAIN: it waits).
 */
int sim_dma_run(struct ioasid_ctx *ctx, struct sim_ctx *sim, struct sim_pending *p);

/* End the request @p with @err; @ctx's current message says why when set. */
void sim_dma_finish(struct ioasid_ctx *ctx, struct sim_pending *p, int err);
/*
 * Clear, or copy, a request but for its failure's message (an empty one):
 * that is written only when it fails (sim_dma_finish()), and it is most of
 * the request's size.
 */
static inline void sim_pending_clear(struct sim_pending *p)
{
	const size_t w = offsetof(struct sim_pending, why), e = w + sizeof(p->why);

	memset(p, 0, w);
	p->why[0] = 0;
	memset((char *)p + e, 0, sizeof(*p) - e);
}

static inline void sim_pending_copy(struct sim_pending *to, const struct sim_pending *from)
{
	const size_t w = offsetof(struct sim_pending, why), e = w + sizeof(from->why);

	memcpy(to, from, w);
	to->why[0] = 0;
	memcpy((char *)to + e, (const char *)from + e, sizeof(*to) - e);
}

/*
 * A translation of @p failed at @at with @err (@fi: what failed): raise a
 * page request group (-EAGAIN: @p waits, on the heap from now on) or an
 * unrecoverable record (returns @err).
 */
int sim_dma_fault(struct ioasid_ctx *ctx, struct sim_ctx *sim, struct sim_dev *sd,
		  struct sim_pending *p, uint64_t at, int err, struct sim_fault_info *fi);

#endif
