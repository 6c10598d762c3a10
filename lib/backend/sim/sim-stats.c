/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the simulated IOMMU lets its user observe and set beside DMA: the
 * cache statistics, the stale-translation events and mode (sim-dma-translate.c
 * detects them), and the IOMMU's part of a context dump.
 */
#include <string.h>

#include "sim-private.h"
#include "core/trace-private.h"

#define X(v) ((unsigned long long)(v))

IOASID_EXPORT int ioasid_sim_set_stale_mode(struct ioasid_ctx *ctx,
					    enum ioasid_sim_stale_mode mode)
{
	struct sim_ctx *sim;

	if (!ctx)
		return -EINVAL;
	if (mode != IOASID_SIM_STALE_FAITHFUL && mode != IOASID_SIM_STALE_STRICT)
		return ioasid_err(ctx, -EINVAL, "unknown stale mode %d", (int)mode);
	sim = sim_lock(ctx);
	if (!sim)
		return -EOPNOTSUPP;
	sim->stale_mode = mode;
	TRACE(ctx, trace_stale_mode(ctx, (int)mode));
	ctx_unlock(ctx);
	return 0;
}

IOASID_EXPORT int ioasid_sim_stale_events(struct ioasid_ctx *ctx,
					  struct ioasid_sim_stale_event *out, uint32_t *inout_num)
{
	struct sim_ctx *sim;
	uint64_t first, s;
	uint32_t n = 0;

	if (!ctx || !inout_num || (*inout_num && !out))
		return ioasid_err(ctx, -EINVAL, "ioasid_sim_stale_events: NULL argument");
	sim = sim_lock(ctx);
	if (!sim)
		return -EOPNOTSUPP;
	first = sim->stale_seq > SIM_STALE_RING ? sim->stale_seq - SIM_STALE_RING : 0;
	for (s = first; s < sim->stale_seq && n < *inout_num; s++)
		out[n++] = sim->stale[s % SIM_STALE_RING];
	*inout_num = n;
	ctx_unlock(ctx);
	return 0;
}

IOASID_EXPORT int ioasid_sim_cache_stats(struct ioasid_ctx *ctx,
					 struct ioasid_sim_cache_stats *ret_stats)
{
	struct sim_iotlb_stats it, pc;
	struct sim_ctx *sim;

	if (!ctx || !ret_stats)
		return ioasid_err(ctx, -EINVAL, "ioasid_sim_cache_stats: NULL argument");
	sim = sim_lock(ctx);
	if (!sim)
		return -EOPNOTSUPP;
	sim_iotlb_stats(sim->iotlb, &it);
	sim_pasid_cache_stats(sim->pasid_cache, &pc);
	memset(ret_stats, 0, sizeof(*ret_stats));
	ret_stats->iotlb_hits = it.hits;
	ret_stats->iotlb_misses = it.misses;
	ret_stats->iotlb_inserts = it.inserts;
	ret_stats->iotlb_evictions = it.evictions;
	ret_stats->devtlb_hits = sim->devtlb_hits;
	ret_stats->devtlb_misses = sim->devtlb_misses;
	ret_stats->pasid_cache_hits = pc.hits;
	ret_stats->context_cache_hits = sim->ctx_cache_hits;
	ret_stats->pasid_cache_misses = pc.misses;
	ret_stats->walks = sim->walks;
	ret_stats->walk_reads = sim->walk_reads;
	ret_stats->invalidations = sim->invalidations;
	ret_stats->inv_entries = sim->inv_entries;
	ret_stats->stale_hits = sim->stale_hits;
	ret_stats->dma_reads = sim->dma_reads;
	ret_stats->dma_writes = sim->dma_writes;
	ret_stats->dma_bytes = sim->dma_bytes;
	ret_stats->faults = sim->faults;
	ctx_unlock(ctx);
	return 0;
}

/* The IOMMU's state in a context dump: caches, counters, stale events. */
int sim_ctx_json(struct ioasid_ctx *ctx, json_t *doc)
{
	struct sim_ctx *sim = ctx->be;
	struct sim_iotlb_stats it, pc;
	json_t *o, *evs;
	uint64_t s, first;

	sim_iotlb_stats(sim->iotlb, &it);
	sim_pasid_cache_stats(sim->pasid_cache, &pc);
	evs = json_array();
	o = json_pack("{s:s,s:i,s:I,s:s,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I},s:o}",
		      "model", sim_vendor_name(sim->profile->vendor),
		      "iotlb_size", (json_int_t)sim_iotlb_capacity(sim->iotlb),
		      "iotlb_entries", (json_int_t)sim_iotlb_count(sim->iotlb),
		      "stale_mode", sim->stale_mode == IOASID_SIM_STALE_STRICT ? "strict" : "faithful",
		      "stats",
		      "iotlb_hits", (json_int_t)it.hits, "iotlb_misses", (json_int_t)it.misses,
		      "iotlb_inserts", (json_int_t)it.inserts, "iotlb_evictions", (json_int_t)it.evictions,
		      "devtlb_hits", (json_int_t)sim->devtlb_hits,
		      "devtlb_misses", (json_int_t)sim->devtlb_misses,
		      "pasid_cache_hits", (json_int_t)pc.hits, "pasid_cache_misses", (json_int_t)pc.misses,
		      "context_cache_hits", (json_int_t)sim->ctx_cache_hits,
		      "walks", (json_int_t)sim->walks, "walk_reads", (json_int_t)sim->walk_reads,
		      "invalidations", (json_int_t)sim->invalidations,
		      "inv_entries", (json_int_t)sim->inv_entries,
		      "stale_hits", (json_int_t)sim->stale_hits, "dma_reads", (json_int_t)sim->dma_reads,
		      "dma_writes", (json_int_t)sim->dma_writes, "dma_bytes", (json_int_t)sim->dma_bytes,
		      "faults", (json_int_t)sim->faults,
		      "stale_events", evs);
	if (!o)
		return -ENOMEM;
	first = sim->stale_seq > SIM_STALE_RING ? sim->stale_seq - SIM_STALE_RING : 0;
	for (s = first; s < sim->stale_seq; s++) {
		const struct ioasid_sim_stale_event *e = &sim->stale[s % SIM_STALE_RING];
		char a[24], b[24], c[24], g[24], h[24];
		json_t *je;

		snprintf(a, sizeof(a), "0x%llx", X(e->iova));
		snprintf(b, sizeof(b), "0x%llx", X(e->cached_addr));
		snprintf(c, sizeof(c), "0x%llx", X(e->current_addr));
		snprintf(g, sizeof(g), "0x%llx", X(e->cached_gpa));
		snprintf(h, sizeof(h), "0x%llx", X(e->current_gpa));
		je = json_pack("{s:I,s:i,s:o,s:i,s:s,s:s,s:o,s:s,s:s,s:i,s:i,s:i}", "seq",
			       (json_int_t)e->seq, "dev", (json_int_t)e->dev, "pasid",
			       e->pasid == IOASID_PASID_NONE ? json_null() : json_integer(e->pasid),
			       "hwpt", (json_int_t)e->hwpt, "iova", a, "cached_gpa", g,
			       "current_gpa",
			       (e->flags & IOASID_SIM_STALE_F_CURRENT_GPA) ? json_string(h) :
									     json_null(),
			       "cached_addr", b, "current_addr", c, "cached_perm",
			       (json_int_t)e->cached_perm, "current_perm",
			       (json_int_t)e->current_perm, "current_err",
			       (json_int_t)e->current_err);
		if (!je || json_array_append_new(evs, je)) {
			json_decref(o);
			return -ENOMEM;
		}
	}
	if (json_object_set_new(doc, "iommu", o))
		return -ENOMEM;
	return 0;
}
