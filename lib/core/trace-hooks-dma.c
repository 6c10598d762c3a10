/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hooks of what devices do (trace-private.h): fault records read and
 * the fault clock, the sim's DMA engine, invalidation, dirty tracking and
 * the sim's stale-translation mode.
 */
#include <inttypes.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trace-internal.h"

/* ---- faults and the sim's DMA engine ---- */

/* A fault record as a scenario's fault_read value shows it (docs/scenario-format.md). */
static json_t *fault_value(struct ioasid_trace *t, const struct ioasid_fault *f)
{
	json_t *o = json_object(), *flags = json_array(), *l;
	const char *reason = ioasid_fault_reason_name(f->reason);
	uint32_t rest = 0, bit;
	const char *name;
	unsigned int i;

	/* named bits in bit order, then the unnamed ones as one hex number */
	for (i = 0; i < 32; i++) {
		bit = 1u << i;
		if (!(f->flags & bit))
			continue;
		name = ioasid_fault_flag_name(bit);
		if (name)
			json_array_append_new(flags, json_string(name));
		else
			rest |= bit;
	}
	if (rest)
		json_array_append_new(flags, trace_hex(rest));
	json_object_set_new(o, "flags", flags);
	json_object_set_new(o, "reason", reason ? json_string(reason) : json_integer(f->reason));
	l = trace_label_ref(t, f->dev, M(IOASID_OBJ_DEV));
	json_object_set_new(o, "dev", l ? l : json_null());
	json_object_set_new(o, "pasid",
			    (f->flags & IOASID_FAULT_F_PASID_VALID) ? json_integer(f->pasid) :
								      json_null());
	json_object_set_new(o, "addr",
			    (f->flags & IOASID_FAULT_F_ADDR_VALID) ? trace_hex(f->addr) :
								     json_null());
	json_object_set_new(o, "grpid",
			    (f->flags & IOASID_FAULT_F_GROUP_VALID) ? json_integer(f->grpid) :
								      json_null());
	/* an automatic domain has no label: the trace never saw it made */
	l = trace_label_ref(t, f->hwpt, M(IOASID_OBJ_HWPT));
	json_object_set_new(o, "hwpt", l ? l : json_null());
	json_object_set_new(o, "cookie",
			    (f->flags & (IOASID_FAULT_F_PAGE_REQ | IOASID_FAULT_F_TIMED_OUT)) ?
				    json_integer((json_int_t)f->cookie) :
				    json_null());
	if (f->flags & IOASID_FAULT_F_PRIV_VALID)
		json_object_set_new(o, "private_data",
				    json_pack("[o,o]", trace_hex(f->private_data[0]),
					      trace_hex(f->private_data[1])));
	return o;
}

/* A scenario reads at most 4096 records a step (docs/scenario-format.md). */
#define FAULT_READ_MAX 4096u

void trace_fault_read(struct ioasid_ctx *ctx, uint32_t queue, uint32_t max,
		      const struct ioasid_fault *recs, uint32_t n, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s, *list;
	uint32_t i;

	if (!t)
		return;
	if (max > FAULT_READ_MAX && n > FAULT_READ_MAX) {
		t->skipped++;
		return;
	}
	s = trace_step("fault_read", err);
	if (!trace_add_ref(t, s, "queue", queue, M(IOASID_OBJ_FAULT_QUEUE)))
		return;
	json_object_set_new(s, "max", json_integer(IOASID_MIN(max, FAULT_READ_MAX)));
	if (!err) {
		list = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(list, fault_value(t, &recs[i]));
		trace_expect(s, err, "records", list);
	}
	trace_emit(ctx, t, s);
}

void trace_fault_unrouted(struct ioasid_ctx *ctx, uint32_t max, const struct ioasid_fault *recs,
			  uint32_t n)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s, *list;
	uint32_t i;

	if (!t)
		return;
	if (max > FAULT_READ_MAX && n > FAULT_READ_MAX) {
		t->skipped++;
		return;
	}
	s = trace_step("fault_unrouted", 0);
	json_object_set_new(s, "max", json_integer(IOASID_MIN(max, FAULT_READ_MAX)));
	list = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(list, fault_value(t, &recs[i]));
	trace_expect(s, 0, "records", list);
	trace_emit(ctx, t, s);
}

/* The fault clock: the context's own (a scenario's starts at 0), else CLOCK_MONOTONIC. */
static uint64_t fault_clock_now(struct ioasid_ctx *ctx)
{
	struct timespec ts;

	if (ctx->clock)
		return ctx->clock(ctx->clock_data);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * ioasid_fault_expire() as a clock_advance step by the time since the last
 * one. A context with its own clock counts from 0, as a replay does; one on
 * the wall clock from its first expire (its timer thread's own expiries are
 * not calls, and are not recorded: docs/tracing.md).
 */
void trace_fault_expire(struct ioasid_ctx *ctx, uint32_t expired)
{
	struct ioasid_trace *t = trace_rec(ctx);
	uint64_t now, delta;
	json_t *s;

	if (!t)
		return;
	now = fault_clock_now(ctx);
	if (!t->clock_started) {
		t->clock_started = true;
		t->clock_last = ctx->clock ? 0 : now;
	}
	delta = now > t->clock_last ? now - t->clock_last : 0;
	if (delta > (uint64_t)INT64_MAX)
		delta = (uint64_t)INT64_MAX;
	t->clock_last += delta;
	s = trace_step("clock_advance", 0);
	json_object_set_new(s, "ns", json_integer((json_int_t)delta));
	trace_expect(s, 0, "expired", json_integer(expired));
	trace_emit(ctx, t, s);
}

static int handle_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A DMA that waits for a page response: its label, remembered for dma_poll/dma_wait. */
static json_t *dma_label_new(struct ioasid_trace *t, uint64_t handle)
{
	uint64_t *h = malloc(sizeof(*h));
	char buf[32];

	if (!h)
		return NULL;
	*h = handle;
	if (!tsearch(h, &t->dmas, handle_cmp)) {
		free(h);
		return NULL;
	}
	snprintf(buf, sizeof(buf), "dma%" PRIu64, handle);
	return json_string(buf);
}

/* The device side of a DMA write: its bytes when contents are asked for, else zeros. */
#define DMA_DATA_MAX (UINT64_C(1) << 16)
static void dma_write_data(struct ioasid_trace *t, json_t *s, const void *buf, size_t len)
{
	char *hex;
	size_t i;

	if (!(t->flags & IOASID_TRACE_CONTENTS) || !len || len > DMA_DATA_MAX ||
	    !(hex = malloc(2 * len + 1))) {
		json_object_set_new(s, "byte", json_integer(0));
		return;
	}
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", ((const uint8_t *)buf)[i]);
	json_object_set_new(s, "data", json_string(hex));
	free(hex);
}

void trace_dma(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid, uint64_t iova, const void *buf,
	       size_t len, uint32_t rflags, const uint64_t *ret_handle, const size_t *ret_done,
	       int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	bool write = rflags & IOASID_SIM_DMA_WRITE;
	json_t *s, *l;

	if (!t)
		return;
	/* a scenario's DMA moves at least a byte and at most 64 MiB */
	if (!len || len > (UINT64_C(64) << 20) || (err == -EAGAIN && !ret_handle)) {
		t->skipped++;
		return;
	}
	s = trace_step(write ? "dma_write" : "dma_read", err);
	if (!trace_add_ref(t, s, "dev", dev, M(IOASID_OBJ_DEV)))
		return;
	if (pasid != IOASID_PASID_NONE)
		json_object_set_new(s, "pasid", json_integer(pasid));
	json_object_set_new(s, "iova", trace_hex(iova));
	json_object_set_new(s, "length", trace_hex(len));
	if (rflags & ~IOASID_SIM_DMA_WRITE)
		json_object_set_new(s, "attrs", trace_hex(rflags & ~IOASID_SIM_DMA_WRITE));
	if (write)
		dma_write_data(t, s, buf, len);
	if (err == -EAGAIN && (l = dma_label_new(t, *ret_handle)))
		json_object_set_new(s, "as", l);
	if (ret_done)
		trace_expect(s, err, "done", trace_hex(*ret_done));
	trace_emit(ctx, t, s);
	trace_sync_contents(ctx, t); /* what the DMA wrote (the VMM's writes went before it) */
}

void trace_dma_collect(struct ioasid_ctx *ctx, bool wait, uint64_t handle, const size_t *ret_done,
		       int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	char buf[32];
	json_t *s;

	if (!t)
		return;
	if (!tfind(&handle, &t->dmas, handle_cmp)) {
		t->skipped++;
		return;
	}
	/* a replayed wait never sleeps: one that timed out here is still waiting there */
	s = trace_step(wait ? "dma_wait" : "dma_poll", err);
	snprintf(buf, sizeof(buf), "dma%" PRIu64, handle);
	json_object_set_new(s, "dma", json_string(buf));
	if (ret_done)
		trace_expect(s, err, "done", trace_hex(*ret_done));
	trace_emit(ctx, t, s);
	trace_sync_contents(ctx, t); /* what the retried DMA wrote */
}

/* ---- invalidation, dirty tracking, the sim's stale mode ---- */

/* "handled" of a refusal is in the replay's message, not its value: only success compares it. */
void trace_invalidate(struct ioasid_ctx *ctx, uint32_t hwpt, const struct ioasid_inv_req *reqs,
		      uint32_t n, uint32_t handled, uint64_t dropped, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s, *list, *o, *l;
	uint32_t i;

	if (!t)
		return;
	/* a scenario's request is this version's struct, with no reserved bits */
	if (n && (!reqs || reqs->size != sizeof(*reqs))) {
		t->skipped++;
		return;
	}
	for (i = 0; i < n; i++)
		if (reqs[i].size != sizeof(*reqs) || reqs[i].__reserved) {
			t->skipped++;
			return;
		}
	trace_sync_contents(ctx, t);
	s = trace_step("invalidate", err);
	if (!trace_add_ref(t, s, "hwpt", hwpt, M(IOASID_OBJ_HWPT)))
		return;
	list = json_array();
	json_object_set_new(s, "requests", list);
	for (i = 0; i < n; i++) {
		const struct ioasid_inv_req *r = &reqs[i];

		o = json_object();
		json_object_set_new(o, "kind", json_integer(r->kind));
		json_object_set_new(o, "granularity", json_integer(r->granularity));
		if (r->pasid != IOASID_PASID_NONE)
			json_object_set_new(o, "pasid", json_integer(r->pasid));
		json_object_set_new(o, "addr", trace_hex(r->addr));
		json_object_set_new(o, "npages", trace_hex(r->npages));
		json_object_set_new(o, "log2_pgsize", json_integer(r->log2_pgsize));
		json_object_set_new(o, "flags", json_integer(r->flags));
		json_object_set_new(o, "version", json_integer(r->version));
		if (r->dev) {
			l = trace_label_ref(t, r->dev, M(IOASID_OBJ_DEV));
			if (!l) {
				t->skipped++;
				json_decref(s);
				return;
			}
			json_object_set_new(o, "dev", l);
		}
		json_array_append_new(list, o);
	}
	trace_expect(s, err, "handled", json_integer(handled));
	trace_expect(s, err, "dropped", json_integer((json_int_t)dropped));
	trace_emit(ctx, t, s);
}

/* VT-d stage-1 entries (struct iommu_hwpt_vtd_s1_invalidate), the one raw type a scenario gives. */
struct trace_vtd_inv {
	uint64_t addr, npages;
	uint32_t flags, reserved;
};

void trace_invalidate_raw(struct ioasid_ctx *ctx, uint32_t hwpt, uint32_t data_type,
			  const void *entries, uint32_t entry_len, uint32_t n, uint32_t handled,
			  int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	struct trace_vtd_inv e;
	json_t *s, *list;
	uint32_t i;

	if (!t)
		return;
	if (!n || !entries || entry_len != sizeof(e)) {
		t->skipped++;
		return;
	}
	trace_sync_contents(ctx, t);
	s = trace_step("invalidate_raw", err);
	if (!trace_add_ref(t, s, "hwpt", hwpt, M(IOASID_OBJ_HWPT)))
		return;
	json_object_set_new(s, "data_type", json_integer(data_type));
	list = json_array();
	json_object_set_new(s, "entries", list);
	for (i = 0; i < n; i++) {
		memcpy(&e, (const uint8_t *)entries + (size_t)i * sizeof(e), sizeof(e));
		json_array_append_new(list, json_pack("{s:o,s:o,s:I,s:I}", "addr", trace_hex(e.addr),
						      "npages", trace_hex(e.npages), "flags",
						      (json_int_t)e.flags, "reserved",
						      (json_int_t)e.reserved));
	}
	trace_expect(s, err, "handled", json_integer(handled));
	trace_emit(ctx, t, s);
}

/* A scenario's dirty_read lists at most 4096 addresses and reads at most 2^24 granules. */
#define DIRTY_LISTED_MAX 4096
#define DIRTY_BITS_MAX (UINT64_C(1) << 24)

void trace_dirty_read(struct ioasid_ctx *ctx, uint32_t hwpt, uint64_t iova, uint64_t length,
		      uint64_t page_size, const uint64_t *bitmap, uint32_t flags, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	uint64_t nbits = length / page_size, i, count = 0;
	json_t *s, *list;

	if (!t)
		return;
	if (nbits > DIRTY_BITS_MAX || page_size < 4096) {
		t->skipped++;
		return;
	}
	s = trace_step("dirty_read", err);
	if (!trace_add_ref(t, s, "hwpt", hwpt, M(IOASID_OBJ_HWPT)))
		return;
	json_object_set_new(s, "iova", trace_hex(iova));
	json_object_set_new(s, "length", trace_hex(length));
	json_object_set_new(s, "page_size", trace_hex(page_size));
	json_object_set_new(s, "clear", json_boolean(!(flags & IOASID_DIRTY_NO_CLEAR)));
	if (!err) {
		list = json_array();
		for (i = 0; i < nbits; i++) {
			if (!(bitmap[i / 64] & (UINT64_C(1) << (i % 64))))
				continue;
			if (count++ < DIRTY_LISTED_MAX)
				json_array_append_new(list, trace_hex(iova + i * page_size));
		}
		trace_expect(s, err, "dirty", list);
		trace_expect(s, err, "count", json_integer((json_int_t)count));
	}
	trace_emit(ctx, t, s);
}

void trace_stale_mode(struct ioasid_ctx *ctx, int mode)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s;

	if (!t)
		return;
	s = trace_step("stale_mode", 0);
	json_object_set_new(s, "mode", json_integer(mode));
	trace_emit(ctx, t, s);
}
