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
	fault_resume_fn resume;
	void *resume_data;
	struct fault_group *next;      /* the context's pending groups */
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
};


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

/* Now, by the context's clock. */
uint64_t fault_now(struct ioasid_ctx *ctx);

/* Context teardown: stop the timer (call without the lock) / free state. */
void fault_ctx_stop(struct ioasid_ctx *ctx);
void fault_ctx_free(struct ioasid_ctx *ctx);

extern const struct ioasid_obj_ops ioasid_fault_queue_obj_ops;

#endif
