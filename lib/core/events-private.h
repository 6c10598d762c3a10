/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The core's event hook: what the live inspection endpoint (inspect.c)
 * streams to its subscribers. The core calls one EVENT_*() line where a
 * map, an unmap, an attach, a detach or a fault happens, always with the
 * context lock held; with nobody subscribed that line is one predicted
 * branch on ctx->events.
 *
 * Each subscriber has a ring of its own, single producer (whoever holds
 * the context lock) and single consumer (the endpoint's thread), with no
 * lock between them: a full ring drops the event and counts it, so a
 * reader that stops reading never stalls the thread that emits.
 */
#ifndef IOASID_EVENTS_PRIVATE_H
#define IOASID_EVENTS_PRIVATE_H

#include <stdatomic.h>

#include "private.h"

enum event_kind {
	EVENT_MAP = 0,
	EVENT_UNMAP = 1,
	EVENT_ATTACH = 2,
	EVENT_DETACH = 3,
	EVENT_FAULT = 4,
	EVENT_NR_KINDS
};

#define EVENT_MASK_ALL ((1u << EVENT_NR_KINDS) - 1)

/* One event as the emitter records it (48 bytes, copied into the ring). */
struct event_rec {
	uint64_t seq; /* per subscriber, from 1: gaps are dropped events (events_take() sets it) */
	uint64_t time_ns; /* CLOCK_MONOTONIC */
	uint64_t addr;    /* map/unmap: IOVA; fault: the address */
	uint64_t len;     /* map/unmap: bytes; fault: the group's cookie (0: none) */
	uint32_t kind;    /* enum event_kind */
	uint32_t obj;     /* map/unmap: IOAS; attach/detach/fault: device */
	uint32_t pasid;   /* attach/detach/fault; IOASID_PASID_NONE for the RID */
	uint32_t target;  /* map: IOASID_MAP_* flags; attach/detach: HWPT; fault: HWPT */
	uint32_t extra;   /* attach: the id attached to; fault: reason */
	uint32_t flags;   /* fault: IOASID_FAULT_F_* of its (last) record */
};

struct event_sub {
	struct event_sub *next; /* ctx->events, changed under the context lock */
	struct event_rec *ring;
	uint32_t size;            /* a power of two */
	uint32_t mask;            /* 1 << enum event_kind of the kinds wanted */
	_Atomic uint64_t head;    /* written by the producer */
	_Atomic uint64_t tail;    /* written by the consumer */
	_Atomic uint64_t dropped; /* events dropped in all; written by the producer */
	uint64_t dropped_seen;    /* consumer side: dropped when it last looked */
};

/*
 * A subscriber with a ring of @size events (rounded up to a power of two,
 * at least 16) for the kinds of @mask; NULL out of memory. It receives
 * nothing until events_subscribe().
 */
struct event_sub *events_sub_new(uint32_t size, uint32_t mask);
/* Add @s to / take it off @ctx's list (they take the context lock). */
void events_subscribe(struct ioasid_ctx *ctx, struct event_sub *s);
void events_unsubscribe(struct ioasid_ctx *ctx, struct event_sub *s);
/* Free a subscriber that is on no list; NULL is fine. */
void events_sub_free(struct event_sub *s);
/* Consumer side: take up to @n events into @out; the number taken. */
uint32_t events_take(struct event_sub *s, struct event_rec *out, uint32_t n);
/* Consumer side: events dropped since the last call. */
uint64_t events_new_drops(struct event_sub *s);
const char *event_kind_name(uint32_t kind);

/*
 * Out of line: only reached with a subscriber. Plain arguments rather than
 * a record, so that an event every ring drops costs no more than the
 * checks that drop it (tests/bench/inspect).
 */
void events_emit(struct ioasid_ctx *ctx, uint32_t kind, uint32_t obj, uint32_t pasid, uint64_t addr,
		 uint64_t len, uint32_t target, uint32_t extra, uint32_t flags);

/*
 * The hook: nothing but the branch with nobody subscribed; with one
 * subscriber whose ring is full (one that stopped reading), the drop is
 * counted here, without a call.
 */
static inline void events_hook(struct ioasid_ctx *ctx, uint32_t kind, uint32_t obj, uint32_t pasid,
			       uint64_t addr, uint64_t len, uint32_t target, uint32_t extra,
			       uint32_t flags)
{
	struct event_sub *s = ctx->events;

	if (__builtin_expect(s == NULL, 1))
		return;
	if (!s->next && (s->mask & (1u << kind))) {
		uint64_t head = atomic_load_explicit(&s->head, memory_order_relaxed);

		if (head - atomic_load_explicit(&s->tail, memory_order_acquire) >= s->size) {
			atomic_store_explicit(&s->dropped,
					      atomic_load_explicit(&s->dropped,
								   memory_order_relaxed) +
						      1,
					      memory_order_relaxed);
			return;
		}
	}
	events_emit(ctx, kind, obj, pasid, addr, len, target, extra, flags);
}

#define EVENT_EMIT(ctx, kind, obj, pasid, addr, len, target, extra, flags) \
	events_hook((ctx), (kind), (obj), (pasid), (addr), (len), (target), (extra), (flags))

/* The lines the core calls, context lock held. */
#define EVENT_MAPPED(ctx, ioas, iova, length, perm) \
	EVENT_EMIT(ctx, EVENT_MAP, ioas, IOASID_PASID_NONE, iova, length, perm, 0, 0)
#define EVENT_UNMAPPED(ctx, ioas, iova, length) \
	EVENT_EMIT(ctx, EVENT_UNMAP, ioas, IOASID_PASID_NONE, iova, length, 0, 0, 0)
#define EVENT_ATTACHED(ctx, dev, pasid, hwpt, pt) \
	EVENT_EMIT(ctx, EVENT_ATTACH, dev, pasid, 0, 0, hwpt, pt, 0)
#define EVENT_DETACHED(ctx, dev, pasid, hwpt) \
	EVENT_EMIT(ctx, EVENT_DETACH, dev, pasid, 0, 0, hwpt, 0, 0)
/* @rec: the fault's (last) record; @cookie: its group's, 0 for none. */
#define EVENT_FAULTED(ctx, rec, cookie)                                                            \
	EVENT_EMIT(ctx, EVENT_FAULT, (rec)->dev,                                                   \
		   ((rec)->flags & IOASID_FAULT_F_PASID_VALID) ? (rec)->pasid : IOASID_PASID_NONE, \
		   (rec)->addr, cookie, (rec)->hwpt, (rec)->reason, (rec)->flags)

#endif
