/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Polled fault delivery: the rings of a queue allocated with
 * IOASID_FAULT_QUEUE_POLLED.
 *
 * Two single-producer / single-consumer rings of fixed size:
 *
 *   records    library (under the context lock) -> the owner's thread
 *   responses  the owner's thread -> library (under the context lock)
 *
 * Each index is written by one side only, with a release store, and read
 * by the other with an acquire load: the slot contents written before the
 * release are visible after the acquire. The indices are free-running
 * 32-bit counters (capacity a power of two, 16 to 2^17), and every
 * index lives on its own cache line with the fields its writer owns, so
 * the two sides do not bounce one line between them for every record.
 * Each side also keeps a private copy of the other side's index and
 * reloads it only when the ring looks full (or empty).
 *
 * Response slots: a group on the ring gets a slot in slots[], chosen when
 * it is raised; its cookie's low bits name the slot (fault_ring_reserve()
 * picks the next cookie with those bits), so a response finds its group
 * without a lock. slots[s] holds the cookie while the group may be
 * answered; whoever answers first clears it with a compare-and-swap: the
 * owner's ioasid_fault_ring_respond() (which then pushes the response) or
 * the library answering it otherwise (timeout, detach, destroy). A
 * response that loses the race is refused (-EINVAL) before it touches the
 * response ring, so the response ring never holds more entries than there
 * are slots, and is made that big: it cannot overflow. The library side
 * keeps resv[s], the group holding the slot, until it has seen that
 * group's answer; a slot whose group the library answered while the
 * owner's response was already on its way is marked STALE until that
 * response is drained, so a slot is never reused under a response.
 *
 * Wake-ups, records: the owner polls; before it sleeps it sets need_wake,
 * then looks at the ring once more. The library publishes the tail, then
 * reads need_wake, and wakes the owner only if it is set: need_wake says
 * how. WAKE_FD, set by ioasid_fault_ring_arm() for an owner that sleeps in
 * its own event loop: write the queue's fd. WAKE_FUTEX, set by
 * ioasid_fault_ring_wait(), which sleeps on need_wake itself (a futex):
 * wake it there. The futex costs the owner one system call per sleep, the
 * fd two (the read that forgets the last wake-up, and the poll); and a
 * futex wake-up that comes late (see fault_ring_defer_wakes()) is only
 * spurious, where a late write would leave the fd readable. Both sides store their
 * variable and then load the other's, both operations sequentially
 * consistent (Dekker's pattern): C11 puts all seq_cst operations in one
 * total order that agrees with each thread's program order, so whichever
 * side's store comes second in it is followed by a load that sees the
 * other side's store. (Not fences: ThreadSanitizer does not model them,
 * and on x86 the seq_cst store is the one locked instruction either way.)
 * So either
 * the owner sees the new tail and does not sleep, or the library sees
 * need_wake and wakes it — never neither (a futex wait also checks that
 * need_wake still says WAKE_FUTEX as it goes to sleep, so a wake-up
 * issued before it sleeps is not lost either), which is the lost wake-up
 * a plain "check, then sleep" has (the record published between the
 * owner's check and its sleep). The library clears need_wake with an
 * exchange, so one sleep costs at most one write.
 *
 * Wake-ups, responses: a library thread waiting for a response (a device
 * in the sim) spins on ctx->resp_doorbell, which every response bumps,
 * and drains the response rings when it moves; before it sleeps on
 * ctx->fault_cond it counts itself in ctx->resp_sleepers and drains once
 * more, and a response read after publishing finds it counted and drains
 * the rings itself, under the lock (which the sleeper holds from its last
 * look until its condition wait releases it): the same store / fence /
 * load pattern on both sides.
 */
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fault-private.h"

#define X(v) ((unsigned long long)(v))
#define CACHELINE 64
#define STALE ((struct fault_group *)(uintptr_t)1)
#define WAKE_FD 1    /* need_wake: the owner sleeps on the queue's fd */
#define WAKE_FUTEX 2 /* need_wake: the owner sleeps on need_wake (a futex) */

struct fault_resp {
	uint64_t cookie;
	uint32_t code;
	uint32_t __pad;
};

struct ioasid_fault_ring {
	/* written by the library: what it published, what it has drained */
	struct {
		uint32_t rec_tail;
		uint32_t resp_head;
		uint32_t spilled; /* records waiting in the library for room */
	} __attribute__((aligned(CACHELINE))) lib;
	/* written by the owner: what it took, what it answered */
	struct {
		uint32_t rec_head;
		uint32_t resp_tail;
	} __attribute__((aligned(CACHELINE))) own;
	/* written by the owner before it sleeps, read by the library per publish */
	struct {
		uint32_t need_wake;
	} __attribute__((aligned(CACHELINE))) wake;
	/* the library's own copies (under the context lock) */
	struct {
		uint32_t head_seen; /* the owner's rec_head, last read */
		uint32_t cursor;    /* where the next free slot is looked for */
	} __attribute__((aligned(CACHELINE))) libp;
	/* the owner's own copies */
	struct {
		uint32_t tail_seen;      /* the library's rec_tail, last read */
		uint32_t resp_head_seen; /* the library's resp_head, last read */
		int32_t cpu_said;        /* the CPU last stored in ctx->owner_cpu, + 1 */
	} __attribute__((aligned(CACHELINE))) ownp;
	/* fixed at allocation */
	struct {
		struct ioasid_ctx *ctx;
		struct ioasid_fault *recs; /* cap */
		struct fault_resp *resps;  /* nslots */
		uint64_t *slots;           /* nslots, shared: a cookie or 0 */
		struct fault_group **resv; /* nslots, the library's */
		uint32_t cap, nslots, slot_bits;
		uint32_t queue;
		int efd;
	} __attribute__((aligned(CACHELINE))) ro;
};

static uint32_t load_acq(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_rel(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* ---- the library's side (context lock held) ---- */

int fault_ring_alloc(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q, uint32_t depth)
{
	struct ioasid_fault_ring *r;
	uint32_t cap = FAULT_GROUP_MAX, bits; /* the largest group always fits */

	while (cap < depth)
		cap <<= 1;
	r = ioasid_aligned_alloc(CACHELINE, sizeof(*r));
	if (!r)
		return ioasid_err(ctx, -ENOMEM,
				  "out of memory for the rings of a polled fault queue");
	memset(r, 0, sizeof(*r));
	r->ro.ctx = ctx;
	r->ro.cap = cap;
	r->ro.nslots = cap * 2;
	for (bits = 0; (1u << bits) < r->ro.nslots; bits++)
		;
	r->ro.slot_bits = bits;
	r->ro.queue = q->obj.id;
	r->ro.efd = q->efd;
	r->ro.recs = ioasid_calloc(cap, sizeof(*r->ro.recs));
	r->ro.resps = ioasid_calloc(r->ro.nslots, sizeof(*r->ro.resps));
	r->ro.slots = ioasid_calloc(r->ro.nslots, sizeof(*r->ro.slots));
	r->ro.resv = ioasid_calloc(r->ro.nslots, sizeof(*r->ro.resv));
	if (!r->ro.recs || !r->ro.resps || !r->ro.slots || !r->ro.resv) {
		fault_ring_free(r);
		return ioasid_err(ctx, -ENOMEM,
				  "out of memory for the rings of a polled fault queue of depth %u",
				  cap);
	}
	q->ring = r;
	return 0;
}

void fault_ring_free(struct ioasid_fault_ring *r)
{
	if (!r)
		return;
	ioasid_free(r->ro.recs);
	ioasid_free(r->ro.resps);
	ioasid_free(r->ro.slots);
	ioasid_free(r->ro.resv);
	ioasid_free(r);
}

uint64_t fault_ring_reserve(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q,
			    struct fault_group *g)
{
	struct ioasid_fault_ring *r = q->ring;
	uint32_t mask = r->ro.nslots - 1, i, s;
	uint64_t c;

	for (i = 0; i < r->ro.nslots; i++) {
		s = (r->libp.cursor + i) & mask;
		if (!r->ro.resv[s])
			break;
	}
	if (i == r->ro.nslots)
		return 0;
	r->libp.cursor = s + 1;
	/* the next cookie above every one given out whose low bits are s */
	c = (((ctx->next_cookie >> r->ro.slot_bits) + 1) << r->ro.slot_bits) | s;
	ctx->next_cookie = c;
	r->ro.resv[s] = g;
	g->slotted = 1;
	return c;
}

void fault_ring_release(struct ioasid_fault_queue *q, struct fault_group *g)
{
	struct ioasid_fault_ring *r = q->ring;
	uint32_t s = (uint32_t)(g->cookie & (r->ro.nslots - 1));
	uint64_t expect = g->cookie;

	if (!g->slotted)
		return;
	if (g->slotted == 1 || __atomic_compare_exchange_n(&r->ro.slots[s], &expect, 0, false,
							   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		r->ro.resv[s] = NULL;
	else
		r->ro.resv[s] = STALE; /* the owner's response is on its way: drop it then */
	g->slotted = 0;
}

static void futex_wake(uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/*
 * Futex wake-ups put off until the caller has dropped the context lock
 * (fault_ring_defer_wakes()): per thread, as the lock section that defers
 * them is.
 */
#define DEFER_MAX 4
static __thread struct {
	bool on;
	uint32_t n;
	uint32_t *word[DEFER_MAX];
} deferred __attribute__((tls_model("initial-exec")));

/* Wake the owner if it said it sleeps, the way it said (see the top of the file). */
static void wake_owner(struct ioasid_fault_ring *r)
{
	uint64_t one = 1;
	uint32_t how;
	ssize_t n;

	/* after the seq_cst store of rec_tail (fault_ring_push) */
	if (!__atomic_load_n(&r->wake.need_wake, __ATOMIC_SEQ_CST))
		return;
	how = __atomic_exchange_n(&r->wake.need_wake, 0, __ATOMIC_ACQ_REL);
	if (how == WAKE_FD) {
		n = write(r->ro.efd, &one, sizeof(one));
		(void)n; /* a full counter (2^64 - 2) is readable anyway */
	} else if (how == WAKE_FUTEX) {
		if (deferred.on && deferred.n < DEFER_MAX)
			deferred.word[deferred.n++] = &r->wake.need_wake;
		else
			futex_wake(&r->wake.need_wake);
	}
}

void fault_ring_defer_wakes(void)
{
	deferred.on = true;
}

void fault_ring_flush_wakes(void)
{
	uint32_t i;

	deferred.on = false;
	/*
	 * The ring may have been freed since (its queue destroyed): a futex
	 * wake-up names an address and reads nothing there, and a waiter
	 * that address may belong to by now takes it as a spurious wake-up,
	 * which every futex waiter must.
	 */
	for (i = 0; i < deferred.n; i++)
		futex_wake(deferred.word[i]);
	deferred.n = 0;
}

bool fault_ring_push(struct ioasid_fault_queue *q, const struct ioasid_fault *recs, uint32_t n,
		     struct fault_group *g)
{
	struct ioasid_fault_ring *r = q->ring;
	uint32_t tail = r->lib.rec_tail, mask = r->ro.cap - 1, i;

	if (tail - r->libp.head_seen + n > r->ro.cap) {
		r->libp.head_seen = load_acq(&r->own.rec_head);
		if (tail - r->libp.head_seen + n > r->ro.cap)
			return false;
	}
	for (i = 0; i < n; i++)
		r->ro.recs[(tail + i) & mask] = recs[i];
	if (g) {
		/* answerable from the moment the owner can see it */
		__atomic_store_n(&r->ro.slots[g->cookie & (r->ro.nslots - 1)], g->cookie,
				 __ATOMIC_RELAXED);
		g->slotted = 2;
		g->read = true;
	}
	__atomic_store_n(&r->lib.rec_tail, tail + n, __ATOMIC_SEQ_CST);
	wake_owner(r);
	return true;
}

void fault_ring_spilled(struct ioasid_fault_queue *q)
{
	/* the owner's arm looks at this too: the same store / load pair */
	__atomic_store_n(&q->ring->lib.spilled, q->queued, __ATOMIC_SEQ_CST);
	if (q->queued)
		wake_owner(q->ring);
}

void fault_ring_refill(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q)
{
	struct fault_group *g;

	(void)ctx;
	while ((g = q->fifo_head)) {
		bool info = !(g->recs[0].flags & IOASID_FAULT_F_PAGE_REQ);

		if (!fault_ring_push(q, g->recs, g->nrec, info ? NULL : g))
			break;
		q->fifo_head = g->next_q;
		if (!q->fifo_head)
			q->fifo_tail = NULL;
		q->queued -= g->nrec;
		q->st.delivered += g->nrec;
		if (info)
			ioasid_free(g);
	}
	fault_ring_spilled(q);
}

static void drain_one(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q)
{
	struct ioasid_fault_ring *r = q->ring;
	/* seq_cst: the load of fault_ring_sleep_begin()'s store / load pair */
	uint32_t head = r->lib.resp_head,
		 tail = __atomic_load_n(&r->own.resp_tail, __ATOMIC_SEQ_CST);
	uint32_t mask = r->ro.nslots - 1;

	while (head != tail) {
		struct fault_resp resp = r->ro.resps[head & mask];
		uint32_t s = (uint32_t)(resp.cookie & mask);
		struct fault_group *g = r->ro.resv[s];

		store_rel(&r->lib.resp_head, ++head);
		if (g == STALE || !g || g->cookie != resp.cookie) {
			/* answered meanwhile by the timer or a detach: its answer stands */
			if (g == STALE)
				r->ro.resv[s] = NULL; /* the slot may serve a new group now */
			ioasid_log(ctx, IOASID_LOG_INFO,
				   "fault queue %u: the owner's response to group %llu came after the group was answered otherwise",
				   q->obj.id, X(resp.cookie));
			continue;
		}
		r->ro.resv[s] = NULL;
		g->slotted = 0;
		fault_answer_by_owner(ctx, g, resp.code);
		if (head == tail)
			tail = load_acq(&r->own.resp_tail);
	}
}

void fault_ring_drain_all(struct ioasid_ctx *ctx)
{
	struct ioasid_fault_queue *q;

	for (q = ctx->polled; q; q = q->polled_next)
		drain_one(ctx, q);
}

void fault_ring_sleep_begin(struct ioasid_ctx *ctx)
{
	__atomic_fetch_add(&ctx->resp_sleepers, 1, __ATOMIC_SEQ_CST);
	fault_ring_drain_all(ctx); /* loads each resp_tail seq_cst */
}

bool fault_ring_owner_here(struct ioasid_ctx *ctx)
{
	return sched_getcpu() == __atomic_load_n(&ctx->owner_cpu, __ATOMIC_RELAXED);
}

void fault_ring_sleep_end(struct ioasid_ctx *ctx)
{
	__atomic_fetch_sub(&ctx->resp_sleepers, 1, __ATOMIC_RELAXED);
}

/* ---- the owner's side (no lock) ---- */

IOASID_EXPORT int ioasid_fault_ring_get(struct ioasid_ctx *ctx, uint32_t id,
					struct ioasid_fault_ring **ret_ring)
{
	struct ioasid_fault_queue *q;
	int err;

	if (!ctx || !ret_ring)
		return ioasid_err(ctx, -EINVAL, "ioasid_fault_ring_get: NULL argument");
	q = ctx_lock_lookup(ctx, id, IOASID_OBJ_FAULT_QUEUE, &err);
	if (!q)
		return err;
	err = 0;
	if (!q->ring)
		err = ioasid_err(ctx, -EINVAL,
				 "fault queue %u is not polled (allocate it with IOASID_FAULT_QUEUE_POLLED)",
				 id);
	else
		*ret_ring = q->ring;
	ctx_unlock(ctx);
	return err;
}

/* Move groups that waited for room into the ring: the only locked step. */
static void owner_refill(struct ioasid_fault_ring *r)
{
	struct ioasid_ctx *ctx = r->ro.ctx;
	struct ioasid_fault_queue *q;

	ctx_lock(ctx);
	q = obj_lookup(ctx, r->ro.queue, IOASID_OBJ_FAULT_QUEUE);
	if (q && q->ring == r)
		fault_ring_refill(ctx, q);
	ctx_unlock(ctx);
}

IOASID_EXPORT int ioasid_fault_ring_poll(struct ioasid_fault_ring *r, struct ioasid_fault *out,
					 uint32_t *inout_num)
{
	uint32_t head, tail, mask, cap, n = 0, len;
	bool refilled = false;

	if (!r || !inout_num || (*inout_num && !out))
		return ioasid_err(r ? r->ro.ctx : NULL, -EINVAL,
				  "ioasid_fault_ring_poll: NULL argument");
	cap = *inout_num;
	mask = r->ro.cap - 1;
	{
		/*
		 * A hint for library threads that wait for this thread (rseq:
		 * cheap), stored when it changes. Compared with the owner's own
		 * copy, not with ctx->owner_cpu: that shares a line with
		 * lock_cpu, which every ctx_lock() writes, so reading it at each
		 * poll would pull the line over from the device's core and make
		 * its next ctx_lock() fetch it back.
		 */
		int cpu = sched_getcpu();

		if (cpu + 1 != r->ownp.cpu_said) {
			r->ownp.cpu_said = cpu + 1;
			__atomic_store_n(&r->ro.ctx->owner_cpu, cpu, __ATOMIC_RELAXED);
		}
	}
	head = r->own.rec_head;
	tail = r->ownp.tail_seen;
	for (;;) {
		if (head == tail) {
			tail = r->ownp.tail_seen = load_acq(&r->lib.rec_tail);
			if (head == tail) {
				if (refilled || !load_acq(&r->lib.spilled))
					break;
				/* room was made above: let the groups that waited in */
				store_rel(&r->own.rec_head, head);
				owner_refill(r);
				refilled = true;
				continue;
			}
		}
		/* the library publishes whole groups: the LAST record is there */
		for (len = 1; len < tail - head &&
			      !(r->ro.recs[(head + len - 1) & mask].flags & IOASID_FAULT_F_LAST);
		     len++)
			;
		if (len > cap - n) {
			if (!n) {
				*inout_num = 0;
				return ioasid_err_outer(r->ro.ctx, -EMSGSIZE,
							"the next group of polled fault queue %u has %u records; the array holds %u",
							r->ro.queue, len, cap);
			}
			break;
		}
		if (((head + len - 1) & mask) >= (head & mask)) {
			memcpy(&out[n], &r->ro.recs[head & mask], len * sizeof(*out));
		} else {
			uint32_t first = r->ro.cap - (head & mask);

			memcpy(&out[n], &r->ro.recs[head & mask], first * sizeof(*out));
			memcpy(&out[n + first], r->ro.recs, (len - first) * sizeof(*out));
		}
		n += len;
		head += len;
	}
	store_rel(&r->own.rec_head, head);
	*inout_num = n;
	return 0;
}

IOASID_EXPORT int ioasid_fault_ring_respond(struct ioasid_fault_ring *r, uint64_t cookie,
					    uint32_t code)
{
	uint32_t mask, tail;
	uint64_t expect = cookie;

	if (!r)
		return ioasid_err(NULL, -EINVAL, "ioasid_fault_ring_respond: NULL ring");
	if (code > IOASID_FAULT_FAILURE)
		return ioasid_err_outer(r->ro.ctx, -EINVAL,
					"polled fault queue %u: response code %u to group %llu is not SUCCESS, INVALID or FAILURE",
					r->ro.queue, code, X(cookie));
	mask = r->ro.nslots - 1;
	tail = r->own.resp_tail;
	if (tail - r->ownp.resp_head_seen >= r->ro.nslots) {
		r->ownp.resp_head_seen = load_acq(&r->lib.resp_head);
		if (tail - r->ownp.resp_head_seen >= r->ro.nslots)
			return ioasid_err_outer(r->ro.ctx, -EOVERFLOW,
						"polled fault queue %u: the response ring is full (%u responses not taken); response to group %llu refused",
						r->ro.queue, r->ro.nslots, X(cookie));
	}
	if (!cookie || !__atomic_compare_exchange_n(&r->ro.slots[cookie & mask], &expect, 0, false,
						    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return ioasid_err_outer(r->ro.ctx, -EINVAL,
					"polled fault queue %u: cookie %llu names no unanswered group delivered on its ring (unknown, another queue's, or answered already — by its owner, the timeout or a detach)",
					r->ro.queue, X(cookie));
	r->ro.resps[tail & mask] = (struct fault_resp){ .cookie = cookie, .code = code };
	__atomic_store_n(&r->own.resp_tail, tail + 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&r->ro.ctx->resp_doorbell, 1, __ATOMIC_RELEASE);
	/* after the seq_cst store of resp_tail; pairs with fault_ring_sleep_begin() */
	if (__atomic_load_n(&r->ro.ctx->resp_sleepers, __ATOMIC_SEQ_CST)) {
		ctx_lock(r->ro.ctx);
		fault_ring_drain_all(r->ro.ctx);
		ctx_unlock(r->ro.ctx);
	}
	return 0;
}

IOASID_EXPORT int ioasid_fault_ring_respond_many(struct ioasid_fault_ring *r,
						 const uint64_t *cookies, uint32_t code,
						 uint32_t *inout_num)
{
	uint32_t mask, tail, n, i;

	if (!r || !inout_num || (*inout_num && !cookies))
		return ioasid_err(r ? r->ro.ctx : NULL, -EINVAL,
				  "ioasid_fault_ring_respond_many: NULL argument");
	n = *inout_num;
	*inout_num = 0;
	if (code > IOASID_FAULT_FAILURE)
		return ioasid_err_outer(r->ro.ctx, -EINVAL,
					"polled fault queue %u: response code %u is not SUCCESS, INVALID or FAILURE",
					r->ro.queue, code);
	mask = r->ro.nslots - 1;
	tail = r->own.resp_tail;
	for (i = 0; i < n; i++) {
		uint64_t expect = cookies[i];

		/* a slot per unanswered group, and as many response entries */
		if (!expect ||
		    !__atomic_compare_exchange_n(&r->ro.slots[expect & mask], &expect, 0, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			break;
		r->ro.resps[(tail + i) & mask] = (struct fault_resp){ .cookie = cookies[i],
								      .code = code };
	}
	if (i) {
		/* one publication, one doorbell for the lot */
		__atomic_store_n(&r->own.resp_tail, tail + i, __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&r->ro.ctx->resp_doorbell, 1, __ATOMIC_RELEASE);
		if (__atomic_load_n(&r->ro.ctx->resp_sleepers, __ATOMIC_SEQ_CST)) {
			ctx_lock(r->ro.ctx);
			fault_ring_drain_all(r->ro.ctx);
			ctx_unlock(r->ro.ctx);
		}
	}
	*inout_num = i;
	if (i < n)
		return ioasid_err_outer(r->ro.ctx, -EINVAL,
					"polled fault queue %u: cookie %llu (response %u of %u) names no unanswered group delivered on its ring (unknown, another queue's, or answered already — by its owner, the timeout or a detach); the %u before it were answered",
					r->ro.queue, X(cookies[i]), i, n, i);
	return 0;
}

/*
 * Say how the owner is about to sleep (@how), then look at the ring once
 * more: 1 (and need_wake cleared) when records wait, else 0.
 */
static int arm_as(struct ioasid_fault_ring *r, uint32_t how)
{
	/* pairs with fault_ring_push() + wake_owner(): see the top of the file */
	__atomic_store_n(&r->wake.need_wake, how, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&r->lib.rec_tail, __ATOMIC_SEQ_CST) != r->own.rec_head ||
	    __atomic_load_n(&r->lib.spilled, __ATOMIC_SEQ_CST)) {
		__atomic_store_n(&r->wake.need_wake, 0, __ATOMIC_RELAXED);
		return 1;
	}
	return 0;
}

IOASID_EXPORT int ioasid_fault_ring_arm(struct ioasid_fault_ring *r)
{
	uint64_t v;
	ssize_t n;

	if (!r)
		return ioasid_err(NULL, -EINVAL, "ioasid_fault_ring_arm: NULL ring");
	/* a write for an earlier sleep may still be counted: forget it */
	n = read(r->ro.efd, &v, sizeof(v));
	(void)n;
	return arm_as(r, WAKE_FD);
}

IOASID_EXPORT int ioasid_fault_ring_wait(struct ioasid_fault_ring *r, uint64_t timeout_ns)
{
	struct timespec ts, *tsp = NULL;
	long ret;
	int err;

	if (!r)
		return ioasid_err(NULL, -EINVAL, "ioasid_fault_ring_wait: NULL ring");
	if (timeout_ns != UINT64_MAX) {
		/* an absolute deadline: a spurious wake-up does not restart the wait */
		mono_deadline(timeout_ns, &ts);
		tsp = &ts;
	}
	for (;;) {
		if (arm_as(r, WAKE_FUTEX))
			return 0;
		/*
		 * One sleep, on need_wake itself: the kernel sleeps only while it
		 * still says WAKE_FUTEX, so the library's exchange before this
		 * call makes it return at once. Woken by the library (or a
		 * signal, or the deadline), then the ring is looked at again.
		 */
		ret = syscall(SYS_futex, &r->wake.need_wake, FUTEX_WAIT_BITSET_PRIVATE, WAKE_FUTEX,
			      tsp, NULL, FUTEX_BITSET_MATCH_ANY);
		err = ret < 0 ? errno : 0;
		__atomic_store_n(&r->wake.need_wake, 0, __ATOMIC_RELAXED);
		if (__atomic_load_n(&r->lib.rec_tail, __ATOMIC_ACQUIRE) != r->own.rec_head ||
		    __atomic_load_n(&r->lib.spilled, __ATOMIC_ACQUIRE))
			return 0;
		if (err == ETIMEDOUT)
			return ioasid_err_outer(r->ro.ctx, -ETIMEDOUT,
						"polled fault queue %u: no record in %llu ns",
						r->ro.queue, X(timeout_ns));
		/* a signal ends the wait, timed or not */
		if (err && err != EAGAIN)
			return ioasid_err_outer(r->ro.ctx, -err,
						"polled fault queue %u: futex wait: %s",
						r->ro.queue, ioasid_strerrno(err));
		/* a wake-up meant for an earlier sleep (deferred, or raced): sleep again */
	}
}
