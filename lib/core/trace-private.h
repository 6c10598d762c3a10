/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The trace hooks (trace.c, docs/tracing.md). Each public entry point that
 * changes state calls one of them, as one line, just before it lets go of
 * the context's lock:
 *
 *	TRACE(ctx, trace_map(ctx, id, va, length, flags, inout_iova, err));
 *
 * so the steps are written in the order the lock serialized the calls. With
 * no trace running the hook costs one predicted-not-taken branch on
 * ctx->trace; the recorder itself is out of line.
 */
#ifndef IOASID_TRACE_PRIVATE_H
#define IOASID_TRACE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ioasid_ctx;
struct ioasid_trace;
struct ioasid_iova_range;
struct ioasid_set_opts;
struct ioasid_attach_opts;
struct ioasid_hwpt_opts;
struct ioasid_fault_queue_opts;

#define TRACE(ctx, call)                                       \
	do {                                                   \
		if (__builtin_expect((ctx)->trace != NULL, 0)) \
			call;                                  \
	} while (0)

/* ioasid_ctx_open*(): IOASID_TRACE=FILE starts a trace; 0 or its error. */
int trace_ctx_open(struct ioasid_ctx *ctx);
/* ioasid_ctx_close(): end a trace still running (its error is logged). */
void trace_ctx_close(struct ioasid_ctx *ctx);

/* The hooks: the call's arguments as it got them, and its result @err. */
void trace_ioas_alloc(struct ioasid_ctx *ctx, uint32_t set, const uint32_t *ret_id, int err);
void trace_destroy(struct ioasid_ctx *ctx, const char *op, uint32_t id, int err);
void trace_map(struct ioasid_ctx *ctx, uint32_t ioas, const void *va, uint64_t length,
	       uint32_t flags, const uint64_t *inout_iova, int err);
struct ioasid_map_file_opts;
void trace_map_file(struct ioasid_ctx *ctx, uint32_t ioas, const struct ioasid_map_file_opts *o,
		    const uint64_t *inout_iova, int err);
void trace_unmap(struct ioasid_ctx *ctx, uint32_t ioas, uint64_t iova, uint64_t length,
		 uint64_t unmapped, int err);
void trace_copy(struct ioasid_ctx *ctx, uint32_t dst, uint32_t src, uint64_t src_iova,
		uint64_t length, uint32_t flags, const uint64_t *inout_dst_iova, int err);
void trace_allow_iovas(struct ioasid_ctx *ctx, uint32_t ioas,
		       const struct ioasid_iova_range *ranges, uint32_t num, int err);
void trace_reserve(struct ioasid_ctx *ctx, bool reserve, uint32_t ioas, uint64_t start,
		   uint64_t last, int err);
void trace_ioas_option(struct ioasid_ctx *ctx, uint32_t ioas, int opt, uint64_t val, int err);
void trace_set_alloc(struct ioasid_ctx *ctx, const struct ioasid_set_opts *o,
		     const uint32_t *ret_set, int err);
void trace_pasid_alloc(struct ioasid_ctx *ctx, uint32_t set, uint32_t min, uint32_t max,
		       const uint32_t *ret_pasid, int err);
void trace_pasid_free(struct ioasid_ctx *ctx, uint32_t set, uint32_t pasid, int err);
void trace_dev_bind(struct ioasid_ctx *ctx, const char *name, const uint32_t *ret_dev, int err);
void trace_attach(struct ioasid_ctx *ctx, bool replace, uint32_t dev, uint32_t pasid, uint32_t pt,
		  const struct ioasid_attach_opts *o, int err);
void trace_detach(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid, int err);
void trace_hwpt_alloc(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pt,
		      const struct ioasid_hwpt_opts *o, const uint32_t *ret_hwpt, int err);
struct ioasid_inv_req;
void trace_invalidate(struct ioasid_ctx *ctx, uint32_t hwpt, const struct ioasid_inv_req *reqs,
		      uint32_t n, uint32_t handled, uint64_t dropped, int err);
void trace_invalidate_raw(struct ioasid_ctx *ctx, uint32_t hwpt, uint32_t data_type,
			  const void *entries, uint32_t entry_len, uint32_t n, uint32_t handled,
			  int err);
void trace_dirty_read(struct ioasid_ctx *ctx, uint32_t hwpt, uint64_t iova, uint64_t length,
		      uint64_t page_size, const uint64_t *bitmap, uint32_t flags, int err);
void trace_stale_mode(struct ioasid_ctx *ctx, int mode);
void trace_dirty_tracking(struct ioasid_ctx *ctx, uint32_t hwpt, bool enable, int err);
void trace_pinned_limit(struct ioasid_ctx *ctx, const uint64_t *limit, const bool *exempt, int err);
void trace_fault_queue_alloc(struct ioasid_ctx *ctx, const struct ioasid_fault_queue_opts *o,
			     const uint32_t *ret_queue, int err);
struct ioasid_fault;
void trace_fault_read(struct ioasid_ctx *ctx, uint32_t queue, uint32_t max,
		      const struct ioasid_fault *recs, uint32_t n, int err);
void trace_fault_expire(struct ioasid_ctx *ctx, uint32_t expired);
void trace_fault_unrouted(struct ioasid_ctx *ctx, uint32_t max, const struct ioasid_fault *recs,
			  uint32_t n);
/* The sim's hot-plug (lib/backend/sim/sim.c). */
struct ioasid_sim_dev_desc;
void trace_sim_dev_add(struct ioasid_ctx *ctx, const struct ioasid_sim_dev_desc *d, int err);
void trace_sim_dev_remove(struct ioasid_ctx *ctx, const char *name, int err);
/*
 * With IOASID_TRACE_CONTENTS, before a call that lets the sim's IOMMU write
 * guest memory (a DMA, a page response that retries one): the VMM's own
 * writes so far, as "write" steps. What the IOMMU then writes (data, A/D
 * bits) is taken after the step: recorded before it, an A bit the VMM never
 * wrote would keep the replay's walk from setting it, and a nest parent's
 * dirty bitmap would miss the table page (first-stage.json).
 */
void trace_contents_before(struct ioasid_ctx *ctx);
/* The sim's DMA engine (lib/backend/sim/sim-dma.c). */
void trace_dma(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid, uint64_t iova, const void *buf,
	       size_t len, uint32_t rflags, const uint64_t *ret_handle, const size_t *ret_done,
	       int err);
void trace_dma_collect(struct ioasid_ctx *ctx, bool wait, uint64_t handle, const size_t *ret_done,
		       int err);
void trace_fault_respond(struct ioasid_ctx *ctx, uint32_t queue, uint64_t cookie, uint32_t code,
			 int err);
/* The vIOMMU objects (trace-hooks-viommu.c). */
struct ioasid_viommu_opts;
struct ioasid_veventq_opts;
struct ioasid_hw_queue_opts;
struct ioasid_vevent;
/* @in: a copy of o->data made before the driver wrote over it (NULL: none made) */
void trace_viommu_alloc(struct ioasid_ctx *ctx, uint32_t dev, uint32_t hwpt,
			const struct ioasid_viommu_opts *o, const void *in,
			const uint32_t *ret_viommu, int err);
void trace_viommu_invalidate(struct ioasid_ctx *ctx, uint32_t viommu, uint32_t data_type,
			     const void *entries, uint32_t entry_len, uint32_t n, uint32_t handled,
			     int err);
void trace_vdevice_alloc(struct ioasid_ctx *ctx, uint32_t viommu, uint32_t dev, uint64_t virt_id,
			 const uint32_t *ret_vdevice, int err);
void trace_veventq_alloc(struct ioasid_ctx *ctx, uint32_t viommu,
			 const struct ioasid_veventq_opts *o, const uint32_t *ret_veventq, int err);
void trace_veventq_read(struct ioasid_ctx *ctx, uint32_t veventq, const struct ioasid_vevent *ev,
			uint32_t cap, uint32_t n, int err);
void trace_hw_queue_alloc(struct ioasid_ctx *ctx, uint32_t viommu,
			  const struct ioasid_hw_queue_opts *o, const uint32_t *ret_hw_queue,
			  int err);

#endif
