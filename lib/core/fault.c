/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fault queues and page request groups.
 *
 * A group lives in the context's list of pending groups from the moment it
 * is raised until it is answered, exactly once: by the owner's response,
 * the timer, an overflow, or a detach/replace/destroy. While unread it also
 * sits in its queue's FIFO; only whole groups are read (as the kernel hands
 * out only complete groups). Answering calls the backend's resume hook,
 * which completes or fails the DMA that waited, and wakes waiters.
 *
 * The timer: with the real clock, one thread per context (started with the
 * first queue) sleeps until the earliest deadline and answers with the
 * queue's timeout code (INVALID unless the owner chose another), leaving a
 * record of it in the queue; with an injected clock there is no thread and
 * ioasid_fault_expire() does it, so tests never sleep.
 *
 * Kernel-backed queues (a backend with fault_alloc: iommufd): groups wait
 * in the kernel until they are read; reading one makes the library's
 * record of it (its own cookie, the kernel's, the deadline), so the rules
 * the kernel cannot know still hold: one response, through the queue that
 * delivered it (EPERM otherwise), the counters, and the timeout, which
 * runs from delivery (the kernel has none) and answers INVALID to the
 * kernel (it has no FAILURE). Detach/replace/destroy: the kernel answers
 * what it holds itself; the library only drops its records.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "fault-private.h"
#include "events-private.h"
#include "json-private.h"
#include "set-private.h"
#include "backend/backend.h"
#include "trace-private.h"

#define X(v) ((unsigned long long)(v))

uint64_t fault_now(struct ioasid_ctx *ctx)
{
	return ctx->clock ? ctx->clock(ctx->clock_data) : mono_now_ns();
}

/*
 * The queue's fd is readable exactly while records wait. The state is
 * tracked so that only a change costs a system call (one write to raise,
 * one read to clear: a non-semaphore eventfd read resets the counter).
 */
static void efd_update(struct ioasid_fault_queue *q)
{
	uint64_t v = 1;
	ssize_t r;

	if (q->kernel || q->ring)
		return; /* a polled queue's fd is written only to wake its owner */
	if (q->queued && !q->efd_set) {
		r = write(q->efd, &v, sizeof(v));
		q->efd_set = r == sizeof(v);
	} else if (!q->queued && q->efd_set) {
		r = read(q->efd, &v, sizeof(v));
		q->efd_set = false;
	}
	(void)r;
}

/* Take @g off its queue's FIFO if it is still unread there. */
static void fifo_remove(struct fault_group *g)
{
	struct ioasid_fault_queue *q = g->q;
	struct fault_group **pp, *prev = NULL;

	if (g->read)
		return;
	for (pp = &q->fifo_head; *pp; prev = *pp, pp = &(*pp)->next_q) {
		if (*pp == g) {
			*pp = g->next_q;
			if (q->fifo_tail == g)
				q->fifo_tail = prev;
			q->queued -= g->nrec;
			if (q->ring)
				fault_ring_spilled(q);
			efd_update(q);
			return;
		}
	}
}

/* Answer @g once, whoever answers: count, resume the waiters, free it. */
static void group_answer(struct ioasid_ctx *ctx, struct fault_group *g, uint32_t code,
			 uint64_t *counter, const char *why)
{
	struct ioasid_fault_queue *q = g->q;

	*g->pprev = g->next;
	if (g->next)
		g->next->pprev = g->pprev;
	fifo_remove(g);
	if (g->slotted)
		fault_ring_release(g->q, g);
	g->q->pending--;
	if (counter)
		(*counter)++;
	if (g->resume)
		g->resume(ctx, g->cookie, code, why, g->resume_data);
	pthread_cond_broadcast(&ctx->fault_cond);
	if (g->whole && q->nspare < FAULT_SPARE_MAX) {
		g->next = q->spare;
		q->spare = g;
		q->nspare++;
	} else {
		ioasid_free(g);
	}
}

/* Put @g at the head of the context's pending groups. */
static void group_link(struct ioasid_ctx *ctx, struct fault_group *g)
{
	g->next = ctx->groups;
	g->pprev = &ctx->groups;
	if (g->next)
		g->next->pprev = &g->next;
	ctx->groups = g;
}

/* A group with room for its records: a spare of @q's, else a new one. */
static struct fault_group *group_new(struct ioasid_fault_queue *q)
{
	struct fault_group *g = q->spare;

	if (g) {
		q->spare = g->next;
		q->nspare--;
		/* the records are written by the raiser, up to nrec */
		memset(g, 0, offsetof(struct fault_group, recs));
	} else {
		g = ioasid_calloc(1, sizeof(*g));
		if (!g)
			return NULL;
	}
	g->whole = true;
	return g;
}

static uint64_t *answer_counter(struct ioasid_fault_queue *q, uint32_t code)
{
	return code == IOASID_FAULT_SUCCESS ? &q->st.answered_success :
	       code == IOASID_FAULT_INVALID ? &q->st.answered_invalid :
					      &q->st.answered_failure;
}

void fault_answer_by_owner(struct ioasid_ctx *ctx, struct fault_group *g, uint32_t code)
{
	group_answer(ctx, g, code, answer_counter(g->q, code), "by its owner");
}

/*
 * Send a library answer of a kernel group to the kernel. Return 0, or
 * the kernel's -errno (no message: the timer calls this too).
 */
static int kernel_answer(struct ioasid_ctx *ctx, struct fault_group *g, uint32_t code)
{
	return ctx->ops->fault_respond(ctx, g->q, g->kcookie, code);
}

/* ---- the timer ---- */

static const char *code_name(uint32_t code)
{
	return code == IOASID_FAULT_SUCCESS ? "SUCCESS" :
	       code == IOASID_FAULT_INVALID ? "INVALID" :
					      "FAILURE";
}

/*
 * The record the owner finds in the queue of a group the timer answered:
 * the group's last record (a kernel group keeps none: who raised it),
 * with its cookie, IOASID_FAULT_F_TIMED_OUT and no response wanted — so
 * the group stays visible, and a late answer's EINVAL has its reason.
 */
static void timeout_record(const struct fault_group *g, struct ioasid_fault *rec)
{
	if (g->kcookie) {
		memset(rec, 0, sizeof(*rec));
		rec->reason = IOASID_FAULT_R_PAGE_REQUEST;
		rec->dev = g->dev;
		if (g->pasid != IOASID_PASID_NONE) {
			rec->flags = IOASID_FAULT_F_PASID_VALID;
			rec->pasid = g->pasid;
		}
		rec->hwpt = g->hwpt;
	} else {
		*rec = g->recs[g->nrec - 1];
	}
	rec->flags |= IOASID_FAULT_F_TIMED_OUT;
	rec->cookie = g->cookie;
}

/* Answer @g with its queue's timeout code, and leave the record of it. */
static void expire_group(struct ioasid_ctx *ctx, struct fault_group *g)
{
	struct ioasid_fault_queue *q = g->q;
	struct ioasid_fault rec;

	ioasid_log(ctx, IOASID_LOG_WARN,
		   "fault queue %u: group %llu (dev %u, PASID %d) unanswered for %llu ns: answering %s",
		   q->obj.id, X(g->cookie), g->dev, (int)g->pasid, X(q->timeout_ns),
		   code_name(q->timeout_code));
	if (g->kcookie) {
		/* FAILURE goes to the kernel as INVALID */
		int err = kernel_answer(ctx, g, q->timeout_code);

		if (err)
			ioasid_log(ctx, IOASID_LOG_INFO,
				   "fault queue %u: the kernel refused the timeout's answer to group %llu (kernel cookie %u): %s",
				   q->obj.id, X(g->cookie), g->kcookie, ioasid_strerrno(err));
	}
	timeout_record(g, &rec);
	/* an unread group leaves the FIFO first: its record takes its place */
	fifo_remove(g);
	g->read = true;
	fault_raise_unrecoverable(ctx, q, &rec);
	group_answer(ctx, g, q->timeout_code, &q->st.timed_out, "by the timeout");
}

static uint32_t expire_locked(struct ioasid_ctx *ctx)
{
	uint64_t now = fault_now(ctx);
	struct fault_group *g, *next;
	uint32_t n = 0;

	/* an answer already on a ring is not late */
	fault_ring_drain_all(ctx);
	for (g = ctx->groups; g; g = next) {
		next = g->next;
		if (g->deadline <= now) {
			expire_group(ctx, g);
			n++;
			next = ctx->groups; /* the list changed */
		}
	}
	return n;
}

static void *timer_main(void *arg)
{
	struct ioasid_ctx *ctx = arg;

	ctx_lock(ctx);
	while (!ctx->timer_stop) {
		struct fault_group *g;
		uint64_t first = UINT64_MAX;

		expire_locked(ctx);
		for (g = ctx->groups; g; g = g->next)
			first = IOASID_MIN(first, g->deadline);
		/* raisers wake the timer only for a deadline before this one */
		ctx->timer_deadline = ctx->clock ? UINT64_MAX : first;
		if (first == UINT64_MAX || ctx->clock) {
			pthread_cond_wait(&ctx->timer_cond, &ctx->lock);
		} else {
			struct timespec ts = {
				.tv_sec = (time_t)(first / 1000000000ull),
				.tv_nsec = (long)(first % 1000000000ull),
			};

			pthread_cond_timedwait(&ctx->timer_cond, &ctx->lock, &ts);
		}
	}
	ctx_unlock(ctx);
	return NULL;
}

static int timer_start(struct ioasid_ctx *ctx)
{
	int err;

	if (ctx->timer_running)
		return 0;
	err = pthread_create(&ctx->timer, NULL, timer_main, ctx);
	if (err)
		return ioasid_err(ctx, -err, "cannot start the fault timer thread: %s",
				  ioasid_strerrno(err));
	ctx->timer_running = true;
	return 0;
}

void fault_ctx_stop(struct ioasid_ctx *ctx)
{
	bool running;

	ctx_lock(ctx);
	ctx->timer_stop = true;
	running = ctx->timer_running;
	pthread_cond_broadcast(&ctx->timer_cond);
	ctx_unlock(ctx);
	if (running)
		pthread_join(ctx->timer, NULL);
	ctx->timer_running = false;
}

void fault_ctx_free(struct ioasid_ctx *ctx)
{
	ioasid_free(ctx->unrouted);
	ctx->unrouted = NULL;
}

IOASID_EXPORT int ioasid_ctx_set_clock(struct ioasid_ctx *ctx, ioasid_clock_fn fn, void *data)
{
	if (!ctx)
		return -EINVAL;
	ctx_lock(ctx);
	ctx->clock = fn;
	ctx->clock_data = data;
	pthread_cond_broadcast(&ctx->timer_cond);
	ctx_unlock(ctx);
	return 0;
}

IOASID_EXPORT int ioasid_fault_expire(struct ioasid_ctx *ctx, uint32_t *ret_expired)
{
	uint32_t n;

	if (!ctx)
		return -EINVAL;
	ctx_lock(ctx);
	n = expire_locked(ctx);
	TRACE(ctx, trace_fault_expire(ctx, n));
	ctx_unlock(ctx);
	if (ret_expired)
		*ret_expired = n;
	return 0;
}

/* ---- queues ---- */

/* A kernel queue goes first: the kernel may refuse (EBUSY while its fd is polled). */
static int queue_obj_teardown(struct ioasid_ctx *ctx, struct ioasid_obj *obj)
{
	struct ioasid_fault_queue *q = (struct ioasid_fault_queue *)obj;

	if (!q->kernel || !q->be)
		return 0;
	return be_refused(ctx, ctx->ops->fault_destroy(ctx, q));
}

static void queue_obj_destroy(struct ioasid_ctx *ctx, struct ioasid_obj *obj)
{
	struct ioasid_fault_queue *q = (struct ioasid_fault_queue *)obj;
	struct ioasid_fault_queue **pq;
	struct fault_group *g, *next;

	/* the owner's answers on the ring count as its answers */
	fault_ring_drain_all(ctx);
	/*
	 * The kernel answers INVALID what a destroyed queue still holds (and
	 * a kernel queue's groups were answered by the detaches that had to
	 * come first: the library only drops its records of them).
	 */
	for (g = ctx->groups; g; g = next) {
		next = g->next;
		if (g->q == q) {
			group_answer(ctx, g, IOASID_FAULT_INVALID, &q->st.detached,
				     "because its fault queue was destroyed");
			next = ctx->groups;
		}
	}
	/* what is left in the FIFO are unrecoverable records nobody read */
	while (q->fifo_head) {
		g = q->fifo_head;
		q->fifo_head = g->next_q;
		ioasid_free(g);
	}
	if (q->set) {
		struct ioasid_set *set = obj_find(ctx, q->set, IOASID_OBJ_SET);

		if (set)
			set->obj.users--;
	}
	for (pq = &ctx->polled; *pq; pq = &(*pq)->polled_next) {
		if (*pq == q) {
			*pq = q->polled_next;
			break;
		}
	}
	while ((g = q->spare)) {
		q->spare = g->next;
		ioasid_free(g);
	}
	fault_ring_free(q->ring);
	if (!q->kernel && q->efd >= 0)
		close(q->efd);
	ioasid_free(q);
}

/* enum ioasid_fault_code as the JSON dumps and scenario files name it */
static const char *const code_json[] = { "success", "invalid", "failure" };

static json_t *queue_obj_dump(struct ioasid_ctx *ctx, struct ioasid_obj *obj, uint32_t flags)
{
	struct ioasid_fault_queue *q = (struct ioasid_fault_queue *)obj;
	const struct ioasid_fault_queue_stats *st = &q->st;

	(void)ctx;
	(void)flags;
	return json_pack("{s:s,s:i,s:i,s:i,s:I,s:s,s:i,s:i,s:i,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}}",
			 "kind", "queue", "id", (json_int_t)q->obj.id, "set", (json_int_t)q->set,
			 "depth", (json_int_t)q->depth, "timeout_ns", (json_int_t)q->timeout_ns,
			 "timeout_code", code_json[q->timeout_code], "queued",
			 (json_int_t)q->queued, "pending", (json_int_t)q->pending, "bound_hwpts",
			 (json_int_t)q->nr_bound, "counters", "raised", (json_int_t)st->raised,
			 "delivered", (json_int_t)st->delivered, "groups", (json_int_t)st->groups,
			 "answered_success", (json_int_t)st->answered_success, "answered_invalid",
			 (json_int_t)st->answered_invalid, "answered_failure",
			 (json_int_t)st->answered_failure, "timed_out", (json_int_t)st->timed_out,
			 "overflowed", (json_int_t)st->overflowed, "detached",
			 (json_int_t)st->detached);
}

const struct ioasid_obj_ops ioasid_fault_queue_obj_ops = {
	.name = "queue",
	.noun = "a fault queue",
	.missing = "no fault queue",
	.teardown = queue_obj_teardown,
	.destroy = queue_obj_destroy,
	.dump = queue_obj_dump,
};

#define QUEUE_FLAGS (IOASID_FAULT_QUEUE_TIMEOUT_CODE | IOASID_FAULT_QUEUE_POLLED)

IOASID_EXPORT int ioasid_fault_queue_alloc(struct ioasid_ctx *ctx,
					 const struct ioasid_fault_queue_opts *opts,
					 uint32_t *ret_queue)
{
	struct ioasid_fault_queue_opts o = { 0 };
	struct ioasid_fault_queue *q;
	struct ioasid_set *set;
	int err;

	if (!ctx)
		return -EINVAL;
	if (!opts || !ret_queue)
		return ioasid_err(ctx, -EINVAL, "ioasid_fault_queue_alloc: opts and ret_queue are required");
	err = ioasid_opts_check(ctx, opts, opts->sz, sizeof(o), "struct ioasid_fault_queue_opts");
	if (err)
		return err;
	memcpy(&o, opts, IOASID_MIN(opts->sz, sizeof(o)));
	if (!o.set)
		return ioasid_err(ctx, -EINVAL, "a fault queue needs an owning set");
	if (o.depth > 65536)
		return ioasid_err(ctx, -EINVAL, "fault queue depth %u is above 65536", o.depth);
	if (o.flags & ~QUEUE_FLAGS)
		return ioasid_err(ctx, -EINVAL, "unknown fault queue flags 0x%x",
				  o.flags & ~QUEUE_FLAGS);
	if (o.flags & IOASID_FAULT_QUEUE_TIMEOUT_CODE) {
		if (o.timeout_code > IOASID_FAULT_FAILURE)
			return ioasid_err(ctx, -EINVAL,
					  "fault queue timeout_code %u is not SUCCESS, INVALID or FAILURE",
					  o.timeout_code);
	} else {
		/* INVALID: FAILURE would stop page requests for every PASID of the function */
		o.timeout_code = IOASID_FAULT_INVALID;
	}
	set = ctx_lock_lookup(ctx, o.set, IOASID_OBJ_SET, &err);
	if (!set)
		return err;
	if ((o.flags & IOASID_FAULT_QUEUE_POLLED) && ctx->ops->fault_alloc) {
		/*
		 * The kernel's queue is a read() and a write() per group: a ring
		 * filled by a library thread reading the fd would add a thread
		 * hop to those system calls, not remove them (docs/design.md, "Faults").
		 */
		err = ioasid_err(ctx, -EOPNOTSUPP,
				 "IOASID_FAULT_QUEUE_POLLED: polled fault delivery is not supported on the %s backend (the kernel's fault fd is read() and write(); poll it and use ioasid_fault_read())",
				 ctx->ops->name);
		goto out;
	}
	if (!ctx->clock) {
		err = timer_start(ctx);
		if (err)
			goto out;
	}
	q = obj_alloc(ctx, IOASID_OBJ_FAULT_QUEUE, sizeof(*q), &err);
	if (!q)
		goto out;
	if (ctx->ops->fault_alloc) {
		q->kernel = true;
		err = ctx->ops->fault_alloc(ctx, q, &q->efd);
	} else {
		q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (q->efd < 0)
			err = ioasid_err(ctx, -errno, "eventfd for a fault queue: %s",
					 ioasid_strerrno(errno));
	}
	if (err) {
		obj_abort(ctx, &q->obj);
		goto out;
	}
	q->set = o.set;
	q->depth = o.depth ? o.depth : 256;
	if (o.flags & IOASID_FAULT_QUEUE_POLLED) {
		err = fault_ring_alloc(ctx, q, q->depth);
		if (err) {
			close(q->efd);
			q->efd = -1;
			obj_abort(ctx, &q->obj);
			goto out;
		}
		q->polled_next = ctx->polled;
		ctx->polled = q;
	}
	q->timeout_ns = o.timeout_ns ? o.timeout_ns : 1000000000ull;
	q->timeout_code = o.timeout_code;
	set->obj.users++;
	obj_publish(ctx, &q->obj);
	*ret_queue = q->obj.id;
out:
	TRACE(ctx, trace_fault_queue_alloc(ctx, &o, ret_queue, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_fault_queue_destroy(struct ioasid_ctx *ctx, uint32_t id)
{
	struct ioasid_fault_queue *q;
	int err;

	q = ctx_lock_lookup(ctx, id, IOASID_OBJ_FAULT_QUEUE, &err);
	if (!q)
		return err;
	if (q->nr_bound)
		err = ioasid_err(ctx, -EBUSY, "fault queue %u is bound to %u HWPT(s)", id, q->nr_bound);
	else
		err = obj_destroy_locked(ctx, id);
	TRACE(ctx, trace_destroy(ctx, "fault_queue_destroy", id, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_fault_queue_fd(struct ioasid_ctx *ctx, uint32_t id, int *ret_fd)
{
	struct ioasid_fault_queue *q;
	int err;

	if (!ctx || !ret_fd)
		return ioasid_err(ctx, -EINVAL, "ioasid_fault_queue_fd: NULL argument");
	q = ctx_lock_lookup(ctx, id, IOASID_OBJ_FAULT_QUEUE, &err);
	if (!q)
		return err;
	err = 0;
	if (q->efd < 0)
		err = ioasid_err(ctx, -EBADF,
				 "fault queue %u: its fd was closed by a destroy the kernel refused; destroy it again",
				 id);
	else
		*ret_fd = q->efd;
	ctx_unlock(ctx);
	return err;
}

static void fifo_append(struct ioasid_fault_queue *q, struct fault_group *g);

int fault_raise_group(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q, uint32_t hwpt,
		      struct ioasid_fault *recs, uint32_t n, fault_resume_fn resume,
		      void *data, uint64_t *ret_cookie)
{
	struct fault_group *g;
	uint32_t i;

	if (n == 0 || n > FAULT_GROUP_MAX)
		return ioasid_err(ctx, -EINVAL, "a page request group of %u records", n);
	g = group_new(q);
	if (!g)
		return ioasid_err(ctx, -ENOMEM, "out of memory for a page request group");
	g->cookie = q->ring ? fault_ring_reserve(ctx, q, g) : ++ctx->next_cookie;
	if (!g->cookie)
		g->cookie = ++ctx->next_cookie; /* every slot taken: overflows below */
	g->q = q;
	g->dev = recs[0].dev;
	g->pasid = (recs[0].flags & IOASID_FAULT_F_PASID_VALID) ? recs[0].pasid : IOASID_PASID_NONE;
	g->hwpt = hwpt;
	g->nrec = n;
	g->resume = resume;
	g->resume_data = data;
	g->deadline = fault_now(ctx) + q->timeout_ns;
	for (i = 0; i < n; i++) {
		g->recs[i] = recs[i];
		g->recs[i].flags |= IOASID_FAULT_F_PAGE_REQ | IOASID_FAULT_F_GROUP_VALID;
		g->recs[i].flags &= ~IOASID_FAULT_F_LAST;
		g->recs[i].cookie = g->cookie;
		g->recs[i].hwpt = hwpt;
	}
	g->recs[n - 1].flags |= IOASID_FAULT_F_LAST;
	group_link(ctx, g);
	q->pending++;
	q->st.raised += n;
	q->st.groups++;
	*ret_cookie = g->cookie;
	EVENT_FAULTED(ctx, &g->recs[n - 1], g->cookie);
	if (q->ring ? !g->slotted : q->queued + n > q->depth) {
		/* never dropped silently: answered FAILURE and counted */
		char why[128];

		g->read = true; /* not in the FIFO */
		if (q->ring) {
			ioasid_log(ctx, IOASID_LOG_WARN,
				   "polled fault queue %u: %u groups wait for a response already: group %llu answered FAILURE",
				   q->obj.id, q->pending - 1, X(g->cookie));
			snprintf(why, sizeof(why),
				 "because %u groups of polled fault queue %u wait for a response",
				 q->pending - 1, q->obj.id);
		} else {
			ioasid_log(ctx, IOASID_LOG_WARN,
				   "fault queue %u is full (%u of %u records): group %llu answered FAILURE",
				   q->obj.id, q->queued, q->depth, X(g->cookie));
			snprintf(why, sizeof(why), "because fault queue %u is full (depth %u)",
				 q->obj.id, q->depth);
		}
		group_answer(ctx, g, IOASID_FAULT_FAILURE, &q->st.overflowed, why);
		return -ENOSPC;
	}
	if (q->ring && !q->fifo_head && fault_ring_push(q, g->recs, n, g)) {
		/* the fast path: straight into the ring, the FIFO is not used */
		q->st.delivered += n;
	} else {
		if (q->ring)
			q->st.backpressured++; /* waits, in order, for room in the ring */
		fifo_append(q, g);
	}
	if (g->deadline < ctx->timer_deadline) {
		ctx->timer_deadline = g->deadline;
		pthread_cond_broadcast(&ctx->timer_cond);
	}
	return 0;
}

/* Append @g to @q's FIFO of unread groups. */
static void fifo_append(struct ioasid_fault_queue *q, struct fault_group *g)
{
	if (q->fifo_tail)
		q->fifo_tail->next_q = g;
	else
		q->fifo_head = g;
	q->fifo_tail = g;
	q->queued += g->nrec;
	if (q->ring)
		fault_ring_spilled(q);
	efd_update(q);
}

void fault_raise_unrecoverable(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q,
			       const struct ioasid_fault *rec)
{
	struct fault_group *g;

	EVENT_FAULTED(ctx, rec, 0);
	if (q && q->ring && !q->fifo_head) {
		struct ioasid_fault r = *rec;

		r.flags &= ~IOASID_FAULT_F_PAGE_REQ;
		r.flags |= IOASID_FAULT_F_LAST;
		if (fault_ring_push(q, &r, 1, NULL)) {
			q->st.raised++;
			q->st.delivered++;
			return;
		}
	}
	/* a polled queue holds up to depth records more while its ring is full */
	if (q && q->queued < q->depth && (g = ioasid_calloc(1, sizeof(*g)))) {
		/* an unrecoverable record is delivered and needs no answer */
		g->q = q;
		g->nrec = 1;
		g->recs[0] = *rec;
		g->recs[0].flags &= ~IOASID_FAULT_F_PAGE_REQ;
		g->recs[0].flags |= IOASID_FAULT_F_LAST;
		fifo_append(q, g);
		q->st.raised++;
		return;
	}
	if (q)
		q->st.overflowed++;
	if (!ctx->unrouted) {
		ctx->unrouted = ioasid_calloc(FAULT_UNROUTED_RING, sizeof(*ctx->unrouted));
		if (!ctx->unrouted) {
			ioasid_log(ctx, IOASID_LOG_ERR, "fault on dev %u at 0x%llx lost: out of memory",
				   rec->dev, X(rec->addr));
			ctx->unrouted_count++;
			return;
		}
	}
	ctx->unrouted[(ctx->unrouted_head + ctx->unrouted_count) % FAULT_UNROUTED_RING] = *rec;
	if (ctx->unrouted_count < FAULT_UNROUTED_RING)
		ctx->unrouted_count++;
	else
		ctx->unrouted_head++;
}

/*
 * Answer INVALID, to the kernel, the groups of @recs[@from..@n) that the
 * library could not record (out of memory), so that no device waits for
 * an answer that never comes. Counted as overflowed.
 */
static void kernel_refuse_rest(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q,
			       const struct ioasid_fault *recs, uint32_t from, uint32_t n)
{
	uint32_t i;

	for (i = from; i < n; i++) {
		if (!(recs[i].flags & IOASID_FAULT_F_LAST))
			continue;
		ctx->ops->fault_respond(ctx, q, (uint32_t)recs[i].cookie, IOASID_FAULT_INVALID);
		q->st.overflowed++;
		q->st.answered_invalid++;
	}
	ioasid_log(ctx, IOASID_LOG_ERR,
		   "fault queue %u: out of memory for the records of groups read from the kernel: %u record(s) answered INVALID",
		   q->obj.id, n - from);
}

/*
 * Read whole groups off a kernel queue and make the library's record of
 * each: the library's cookie replaces the kernel's in every record, the
 * deadline runs from now (the kernel has no timeout).
 */
static int kernel_read(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q,
		       struct ioasid_fault *out, uint32_t cap, uint32_t *ret_n)
{
	uint64_t now = fault_now(ctx);
	uint32_t n = 0, start, end, i;
	int err;

	*ret_n = 0;
	err = ctx->ops->fault_read(ctx, q, out, cap, &n);
	if (err)
		return err;
	for (start = 0; start < n; start = end) {
		struct fault_group *g;

		/* the backend hands out whole groups: the last record is LAST */
		for (end = start; end < n && !(out[end].flags & IOASID_FAULT_F_LAST); end++)
			;
		end = IOASID_MIN(end + 1, n);
		g = ioasid_calloc(1, offsetof(struct fault_group, recs));
		if (!g) {
			kernel_refuse_rest(ctx, q, out, start, n);
			if (!start)
				return ioasid_err(ctx, -ENOMEM,
						  "out of memory for a page request group of queue %u (answered INVALID)",
						  q->obj.id);
			break;
		}
		g->cookie = ++ctx->next_cookie;
		g->kcookie = (uint32_t)out[start].cookie;
		g->q = q;
		g->dev = out[start].dev;
		g->pasid = (out[start].flags & IOASID_FAULT_F_PASID_VALID) ? out[start].pasid :
									    IOASID_PASID_NONE;
		g->hwpt = out[start].hwpt;
		g->nrec = end - start;
		g->read = true;
		g->deadline = now + q->timeout_ns;
		group_link(ctx, g);
		for (i = start; i < end; i++)
			out[i].cookie = g->cookie;
		q->pending++;
		q->st.raised += g->nrec;
		q->st.delivered += g->nrec;
		q->st.groups++;
		if (g->deadline < ctx->timer_deadline) {
			ctx->timer_deadline = g->deadline;
			pthread_cond_broadcast(&ctx->timer_cond);
		}
	}
	*ret_n = start;
	return 0;
}

/* Records of a group that is unread and carries no response (unrecoverable). */
static bool group_is_info(const struct fault_group *g)
{
	return !(g->recs[0].flags & IOASID_FAULT_F_PAGE_REQ);
}

IOASID_EXPORT int ioasid_fault_read(struct ioasid_ctx *ctx, uint32_t id,
				    struct ioasid_fault *out, uint32_t *inout_num)
{
	struct ioasid_fault_queue *q;
	uint32_t n = 0;
	int err = 0;

	if (!ctx || !inout_num || (*inout_num && !out))
		return ioasid_err(ctx, -EINVAL, "ioasid_fault_read: NULL argument");
	ctx_lock(ctx);
	q = obj_lookup(ctx, id, IOASID_OBJ_FAULT_QUEUE);
	if (!q) {
		err = -ENOENT;
		goto out;
	}
	if (q->ring) {
		err = ioasid_err(ctx, -EINVAL,
				 "fault queue %u is polled: its records are in its ring (ioasid_fault_ring_poll())",
				 id);
		goto out;
	}
	/* a kernel queue's FIFO holds only the library's timeout records: those first */
	if (q->kernel && !q->fifo_head) {
		err = kernel_read(ctx, q, out, *inout_num, &n);
		goto out;
	}
	while (q->fifo_head) {
		struct fault_group *g = q->fifo_head;

		if (g->nrec > *inout_num - n) {
			if (!n)
				err = ioasid_err(ctx, -EMSGSIZE,
						 "the next group of queue %u has %u records; the array holds %u",
						 id, g->nrec, *inout_num);
			break;
		}
		memcpy(&out[n], g->recs, g->nrec * sizeof(*out));
		n += g->nrec;
		q->fifo_head = g->next_q;
		if (!q->fifo_head)
			q->fifo_tail = NULL;
		q->queued -= g->nrec;
		q->st.delivered += g->nrec;
		if (group_is_info(g))
			ioasid_free(g);
		else
			g->read = true;
	}
	efd_update(q);
out:
	TRACE(ctx, trace_fault_read(ctx, id, *inout_num, out, n, err));
	*inout_num = n;
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_fault_respond(struct ioasid_ctx *ctx, uint32_t id, uint64_t cookie,
				       uint32_t code)
{
	struct ioasid_fault_queue *q;
	struct fault_group *g;
	int err = 0;

	q = ctx_lock_lookup(ctx, id, IOASID_OBJ_FAULT_QUEUE, &err);
	if (!q)
		return err;
	TRACE(ctx, trace_contents_before(ctx));
	if (code > IOASID_FAULT_FAILURE) {
		err = ioasid_err(ctx, -EINVAL, "response code %u is not SUCCESS, INVALID or FAILURE",
				 code);
		goto out;
	}
	/* an answer already given on a ring comes first */
	fault_ring_drain_all(ctx);
	for (g = ctx->groups; g && g->cookie != cookie; g = g->next)
		;
	if (!g) {
		err = ioasid_err(ctx, -EINVAL, "cookie %llu names no pending group (unknown or already answered)",
				 X(cookie));
		goto out;
	}
	if (g->q != q) {
		err = ioasid_err(ctx, -EPERM,
				 "group %llu belongs to fault queue %u (set %u), not to queue %u (set %u)",
				 X(cookie), g->q->obj.id, g->q->set, id, q->set);
		goto out;
	}
	if (!g->read) {
		err = ioasid_err(ctx, -EINVAL, "group %llu has not been read yet (its LAST record is queued)",
				 X(cookie));
		goto out;
	}
	if (g->kcookie) {
		err = kernel_answer(ctx, g, code);
		if (err == -EINVAL) {
			/* answered meanwhile (a detach, or a write to the fd): drop it */
			ioasid_err(ctx, -EINVAL,
				   "group %llu (kernel cookie %u) is no longer pending in the kernel (answered by a detach, or through the fd directly)",
				   X(cookie), g->kcookie);
			group_answer(ctx, g, IOASID_FAULT_INVALID, &q->st.detached, "by the kernel");
			goto out;
		}
		if (err) {
			err = ioasid_err(ctx, err,
					 "answering group %llu (kernel cookie %u) of fault queue %u: the kernel says %s",
					 X(cookie), g->kcookie, id, ioasid_strerrno(err));
			goto out;
		}
	}
	group_answer(ctx, g, code, answer_counter(q, code), "by its owner");
out:
	TRACE(ctx, trace_fault_respond(ctx, id, cookie, code, err));
	ctx_unlock(ctx);
	return err;
}

void fault_cancel(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid, uint32_t hwpt)
{
	struct fault_group *g, *next;

	for (g = ctx->groups; g; g = next) {
		next = g->next;
		if (g->dev == dev && g->pasid == pasid && g->hwpt == hwpt) {
			group_answer(ctx, g, IOASID_FAULT_INVALID, &g->q->st.detached,
				     "because the HWPT was detached or replaced");
			next = ctx->groups;
		}
	}
}

IOASID_EXPORT int ioasid_fault_queue_stats(struct ioasid_ctx *ctx, uint32_t id,
					   struct ioasid_fault_queue_stats *ret_stats)
{
	struct ioasid_fault_queue *q;
	int err;

	if (!ctx || !ret_stats)
		return ioasid_err(ctx, -EINVAL, "ioasid_fault_queue_stats: NULL argument");
	q = ctx_lock_lookup(ctx, id, IOASID_OBJ_FAULT_QUEUE, &err);
	if (!q)
		return err;
	fault_ring_drain_all(ctx); /* count the answers already given */
	*ret_stats = q->st;
	ret_stats->queued = q->queued;
	ret_stats->pending = q->pending;
	ctx_unlock(ctx);
	return 0;
}

IOASID_EXPORT int ioasid_fault_unrouted(struct ioasid_ctx *ctx, struct ioasid_fault *out,
					uint32_t *inout_num)
{
	uint32_t n = 0;

	if (!ctx || !inout_num || (*inout_num && !out))
		return ioasid_err(ctx, -EINVAL, "ioasid_fault_unrouted: NULL argument");
	ctx_lock(ctx);
	while (n < *inout_num && ctx->unrouted_count && ctx->unrouted) {
		out[n++] = ctx->unrouted[ctx->unrouted_head % FAULT_UNROUTED_RING];
		ctx->unrouted_head++;
		ctx->unrouted_count--;
	}
	TRACE(ctx, trace_fault_unrouted(ctx, *inout_num, out, n));
	*inout_num = n;
	ctx_unlock(ctx);
	return 0;
}
