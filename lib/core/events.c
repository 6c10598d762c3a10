/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The event hook (events-private.h): per-subscriber rings that the core
 * fills under the context lock and the inspection endpoint drains on its
 * own thread. The producer never waits: a full ring counts a drop.
 */
#include <stdlib.h>
#include <time.h>

#include "events-private.h"

static const char *const kind_names[EVENT_NR_KINDS] = {
	[EVENT_MAP] = "map",       [EVENT_UNMAP] = "unmap", [EVENT_ATTACH] = "attach",
	[EVENT_DETACH] = "detach", [EVENT_FAULT] = "fault",
};

const char *event_kind_name(uint32_t kind)
{
	return kind < EVENT_NR_KINDS ? kind_names[kind] : "?";
}

struct event_sub *events_sub_new(uint32_t size, uint32_t mask)
{
	struct event_sub *s = ioasid_calloc(1, sizeof(*s));
	uint32_t n = 16;

	if (!s)
		return NULL;
	while (n < size && n < (1u << 20))
		n <<= 1;
	s->ring = ioasid_calloc(n, sizeof(*s->ring));
	if (!s->ring) {
		ioasid_free(s);
		return NULL;
	}
	s->size = n;
	s->mask = mask & EVENT_MASK_ALL;
	return s;
}

void events_sub_free(struct event_sub *s)
{
	if (!s)
		return;
	ioasid_free(s->ring);
	ioasid_free(s);
}

void events_subscribe(struct ioasid_ctx *ctx, struct event_sub *s)
{
	ctx_lock(ctx);
	s->next = ctx->events;
	ctx->events = s;
	ctx_unlock(ctx);
}

void events_unsubscribe(struct ioasid_ctx *ctx, struct event_sub *s)
{
	struct event_sub **pp;

	ctx_lock(ctx);
	for (pp = &ctx->events; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	s->next = NULL;
	ctx_unlock(ctx);
}

/*
 * A full ring costs a counter, no more: the clock is read and the record
 * built only when some ring takes the event, and sequence numbers are made
 * by the consumer (a record carries the drops before it). Only the
 * producer writes head and dropped (the context lock makes it one), so
 * neither needs a locked instruction.
 */
void events_emit(struct ioasid_ctx *ctx, uint32_t kind, uint32_t obj, uint32_t pasid, uint64_t addr,
		 uint64_t len, uint32_t target, uint32_t extra, uint32_t flags)
{
	struct event_sub *s;
	uint64_t now = 0;

	for (s = ctx->events; s; s = s->next) {
		uint64_t head, dropped;
		struct event_rec *r;

		if (!(s->mask & (1u << kind)))
			continue;
		head = atomic_load_explicit(&s->head, memory_order_relaxed);
		dropped = atomic_load_explicit(&s->dropped, memory_order_relaxed);
		if (head - atomic_load_explicit(&s->tail, memory_order_acquire) >= s->size) {
			/* the reader is behind: never wait for it */
			atomic_store_explicit(&s->dropped, dropped + 1, memory_order_relaxed);
			continue;
		}
		if (!now) {
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		}
		r = &s->ring[head & (s->size - 1)];
		*r = (struct event_rec){ .seq = dropped,
					 .time_ns = now,
					 .addr = addr,
					 .len = len,
					 .kind = kind,
					 .obj = obj,
					 .pasid = pasid,
					 .target = target,
					 .extra = extra,
					 .flags = flags };
		atomic_store_explicit(&s->head, head + 1, memory_order_release);
	}
}

uint32_t events_take(struct event_sub *s, struct event_rec *out, uint32_t n)
{
	uint64_t tail = atomic_load_explicit(&s->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&s->head, memory_order_acquire);
	uint32_t i;

	for (i = 0; i < n && tail + i < head; i++) {
		out[i] = s->ring[(tail + i) & (s->size - 1)];
		/* the events pushed before it, the drops before it, and itself */
		out[i].seq = tail + i + out[i].seq + 1;
	}
	atomic_store_explicit(&s->tail, tail + i, memory_order_release);
	return i;
}

uint64_t events_new_drops(struct event_sub *s)
{
	uint64_t dropped = atomic_load_explicit(&s->dropped, memory_order_relaxed);
	uint64_t n = dropped - s->dropped_seen;

	s->dropped_seen = dropped;
	return n;
}
