/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef IOASID_FAULT_PRIVATE_H
#define IOASID_FAULT_PRIVATE_H

#include "private.h"

#define FAULT_GROUP_MAX 16   /* records in one page request group */
#define FAULT_UNROUTED_RING 256

/*
 * Called once when a group is answered (by the owner, the timer, an
 * overflow or a detach), with the context lock held: the backend resumes
 * or fails the requests that waited on it.
 */
typedef void (*fault_resume_fn)(struct ioasid_ctx *ctx, uint64_t cookie, uint32_t code,
				const char *why, void *data);

/*
 * A group of a kernel-backed queue (iommufd) lives in the kernel until it
 * is read; the library then keeps this record of it, without the records
 * themselves (allocated only up to recs[]), to answer it once: kcookie is
 * the kernel's cookie, cookie the library's (unique in the context, so a
 * cookie the kernel reuses cannot answer the wrong group).
 */
struct fault_group {
	uint64_t cookie;
	uint64_t deadline;          /* by the context's clock */
	uint32_t kcookie;           /* the kernel's; 0: a software group */
	struct ioasid_fault_queue *q;
	uint32_t dev, pasid, hwpt;  /* for detach/replace */
	uint32_t nrec;
	bool read;                  /* taken by the owner: may be answered */
	/* a response slot of its polled queue: 0 none, 1 reserved, 2 on the ring */
	uint8_t slotted;
	bool whole; /* allocated with recs[]: may be kept for reuse */
	fault_resume_fn resume;
	void *resume_data;
	struct fault_group *next;      /* the context's pending groups */
	struct fault_group **pprev;    /* what points at it there: unlinked at once */
	struct fault_group *next_q;    /* the queue's FIFO of unread groups */
	struct ioasid_fault recs[FAULT_GROUP_MAX];
};

struct ioasid_fault_queue {
	struct ioasid_obj obj;
	uint32_t set;
	/*
	 * A software queue: an eventfd the library keeps readable while
	 * records wait. A kernel queue (the backend has fault_alloc): the
	 * kernel's fault fd, owned by the backend (be is its state); records
	 * stay in the kernel until read, so queued/fifo are unused.
	 */
	bool kernel;
	void *be;
	int efd;
	bool efd_set;            /* the eventfd counter is non-zero */
	uint32_t depth;
	uint32_t queued;         /* records not read yet */
	uint32_t pending;        /* groups not answered yet */
	uint32_t nr_bound;       /* HWPTs reporting to it */
	uint64_t timeout_ns;
	uint32_t timeout_code; /* the timeout's answer (enum ioasid_fault_code) */
	struct fault_group *fifo_head, *fifo_tail;
	struct ioasid_fault_queue_stats st;
	/*
	 * A polled queue (IOASID_FAULT_QUEUE_POLLED): its rings; the FIFO
	 * then holds only what waits for room in the record ring.
	 */
	struct ioasid_fault_ring *ring;
	struct ioasid_fault_queue *polled_next; /* ctx->polled */
	/*
	 * Answered groups kept for the next ones (up to FAULT_SPARE_MAX): a
	 * group is over 1 KiB, and a fault would otherwise allocate, clear
	 * and free one every time.
	 */
	struct fault_group *spare;
	uint32_t nspare;
};

#define FAULT_SPARE_MAX 64

/* ---- polled delivery (fault-ring.c); all with the context lock held ---- */

/* Rings for @q of @depth records; -ENOMEM with a message. */
int fault_ring_alloc(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q, uint32_t depth);
void fault_ring_free(struct ioasid_fault_ring *ring);
/*
 * Reserve a response slot for a new group of @q; the cookie is chosen
 * (above ctx->next_cookie, which it advances) so that it names the slot.
 * Return: the cookie, or 0 when every slot is taken.
 */
uint64_t fault_ring_reserve(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q,
			    struct fault_group *g);
/* Release @g's slot as it is answered (by anyone but a response on the ring). */
void fault_ring_release(struct ioasid_fault_queue *q, struct fault_group *g);
/*
 * Publish @n records (a whole group, or one unrecoverable record) on the
 * record ring, and the slot of @g (NULL for a record without a response).
 * Return: false when the ring has no room (nothing done).
 */
bool fault_ring_push(struct ioasid_fault_queue *q, const struct ioasid_fault *recs, uint32_t n,
		     struct fault_group *g);
/*
 * Between these two, the calling thread puts off the futex wake-ups of
 * owners asleep in ioasid_fault_ring_wait() that its publications call
 * for: begin with the context lock taken, flush after dropping it. Woken
 * under the lock, an owner on the same CPU preempts the waker at once,
 * finds the lock held and sleeps on it: two more system calls and two
 * more context switches per fault (tests/bench/fault, one core).
 */
void fault_ring_defer_wakes(void);
void fault_ring_flush_wakes(void);
/* Tell the owner how many records wait in @q's FIFO (q->queued). */
void fault_ring_spilled(struct ioasid_fault_queue *q);
/* Move what waits in @q's FIFO into the ring, in order, while it fits. */
void fault_ring_refill(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q);
/* Apply the responses waiting on every polled queue's ring. */
void fault_ring_drain_all(struct ioasid_ctx *ctx);
/*
 * For a library thread that waits for a response: the counter to watch
 * while spinning without the lock, and the pair to bracket a sleep on
 * ctx->fault_cond with (lock held) so that no response is missed.
 */
static inline uint64_t fault_ring_doorbell(struct ioasid_ctx *ctx)
{
	return __atomic_load_n(&ctx->resp_doorbell, __ATOMIC_ACQUIRE);
}
void fault_ring_sleep_begin(struct ioasid_ctx *ctx);
/*
 * Whether the owner polling a ring last ran on the CPU the caller runs on:
 * a waiter there should yield the CPU to it rather than spin against it.
 */
bool fault_ring_owner_here(struct ioasid_ctx *ctx);
void fault_ring_sleep_end(struct ioasid_ctx *ctx);

/*
 * Raise a page request group of @n records (1..FAULT_GROUP_MAX; the caller
 * fills flags/dev/pasid/addr/grpid; LAST, PAGE_REQ, cookie and hwpt are set
 * here) on @q. Return: 0 and *ret_cookie; -ENOSPC when the queue is full:
 * the group is answered FAILURE at once (resume is called) and counted.
 */
int fault_raise_group(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q, uint32_t hwpt,
		      struct ioasid_fault *recs, uint32_t n, fault_resume_fn resume,
		      void *data, uint64_t *ret_cookie);

/* An unrecoverable record: to @q when there is one, else the context's log. */
void fault_raise_unrecoverable(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q,
			       const struct ioasid_fault *rec);

/* Answer INVALID every pending group of (dev, pasid) raised through @hwpt. */
void fault_cancel(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid, uint32_t hwpt);

/* The owner answered @g (through its queue's ring): count it, answer it. */
void fault_answer_by_owner(struct ioasid_ctx *ctx, struct fault_group *g, uint32_t code);

/* Now, by the context's clock. */
uint64_t fault_now(struct ioasid_ctx *ctx);

/* Context teardown: stop the timer (call without the lock) / free state. */
void fault_ctx_stop(struct ioasid_ctx *ctx);
void fault_ctx_free(struct ioasid_ctx *ctx);

extern const struct ioasid_obj_ops ioasid_fault_queue_obj_ops;

#endif
