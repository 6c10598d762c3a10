/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libioasid: I/O page faults — fault queues, records, page-request groups
 * and their responses.
 *
 * A fault queue belongs to a set (the owner of the address spaces behind
 * it) and is bound to an HWPT when the HWPT is allocated
 * (IOASID_HWPT_FAULT_ID_VALID, as iommufd's fault_id); an IOAS attach may
 * ask for a queue too (struct ioasid_attach_opts.fault_queue). A fault from
 * (device, PASID) goes to the queue of whatever is attached there — the
 * PASID's owner — never to the device owner's or another set's queue.
 *
 * Page requests come in groups; a group is delivered only whole (its last
 * record has IOASID_FAULT_F_LAST) and gets exactly one response, naming the
 * group's cookie, after it was read. Groups left unanswered are answered
 * after the queue's timeout, so a device never hangs: INVALID unless the
 * owner chose another answer (struct ioasid_fault_queue_opts), and the
 * queue then holds a record of it (IOASID_FAULT_F_TIMED_OUT). A full queue
 * answers FAILURE and counts the overflow; detaching or replacing the HWPT
 * answers its pending groups INVALID. No fault is dropped without a count.
 *
 * On iommufd a queue is the kernel's (IOMMU_FAULT_QUEUE_ALLOC): groups wait
 * in the kernel until read, the fd is the kernel's fault fd, the cookies
 * are still the library's (the kernel's are kept inside), the timeout runs
 * from delivery (read), not from raise, and FAILURE is sent as INVALID.
 * The kernel's queue has no depth: nothing overflows, and `queued` counts
 * only the library's timeout records (the library cannot see what the
 * kernel holds); those are read first, and the kernel's fd does not signal
 * them. See docs/kernel-backends.md.
 */
#ifndef IOASID_FAULT_H
#define IOASID_FAULT_H

#include <ioasid/ctx.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Access and kind flags of a record. */
#define IOASID_FAULT_F_READ      (1u << 0)
#define IOASID_FAULT_F_WRITE     (1u << 1)
#define IOASID_FAULT_F_EXEC      (1u << 2)
#define IOASID_FAULT_F_PRIV      (1u << 3)  /* privileged (supervisor) request */
#define IOASID_FAULT_F_LAST      (1u << 4)  /* last record of its group */
#define IOASID_FAULT_F_PAGE_REQ  (1u << 5)  /* recoverable: the group needs a response */
/*
 * The timeout answered this group (whose cookie the record carries):
 * a record of the library's, needing no response, queued when the timer
 * answers a group. Its other fields are the group's last record's (on
 * iommufd, where the library keeps no records: dev, PASID, HWPT).
 */
#define IOASID_FAULT_F_TIMED_OUT (1u << 6)
/* Validity of the optional fields. */
#define IOASID_FAULT_F_ADDR_VALID  (1u << 8)
#define IOASID_FAULT_F_PASID_VALID (1u << 9)
#define IOASID_FAULT_F_GROUP_VALID (1u << 10)
#define IOASID_FAULT_F_PRIV_VALID  (1u << 11) /* private_data[] is meaningful */

/* Why a record was raised. */
enum ioasid_fault_reason {
	IOASID_FAULT_R_PAGE_REQUEST = 1, /* a page request (PRI) */
	IOASID_FAULT_R_NOT_PRESENT = 2,  /* no translation */
	IOASID_FAULT_R_PERMISSION = 3,   /* the translation lacks the access */
	IOASID_FAULT_R_BLOCKED = 4,      /* nothing attached at (device, PASID) */
	IOASID_FAULT_R_RESERVED = 5,     /* a malformed table entry */
};

/*
 * One fault record, the same for every backend. 64 bytes; new fields are
 * only ever added at the end.
 */
struct ioasid_fault {
	uint32_t flags;    /* IOASID_FAULT_F_* */
	uint32_t reason;   /* enum ioasid_fault_reason */
	uint32_t dev;      /* the endpoint's device id */
	uint32_t pasid;    /* with PASID_VALID */
	uint64_t addr;     /* faulting address (page), with ADDR_VALID */
	uint16_t grpid;    /* PCIe page request group index, with GROUP_VALID */
	uint16_t __pad0;
	uint32_t hwpt;     /* the HWPT the fault was routed by */
	uint64_t private_data[2]; /* with PRIV_VALID */
	uint64_t cookie;   /* the group's; a response echoes it */
	uint64_t __reserved;
};

/* Response codes. iommufd has no FAILURE: it is sent there as INVALID. */
enum ioasid_fault_code {
	IOASID_FAULT_SUCCESS = 0, /* the page is there now: retry */
	IOASID_FAULT_INVALID = 1, /* do not retry this request */
	IOASID_FAULT_FAILURE = 2, /* PCIe Response Failure: stop page requests */
};

/*
 * Options of ioasid_fault_queue_alloc(); see IOASID_OPTS_INIT().
 *
 * The timeout answers INVALID unless IOASID_FAULT_QUEUE_TIMEOUT_CODE says
 * otherwise: the answer the kernel gives what it cannot handle, and the
 * only one that spares the rest of the device — on PCIe a Response Failure
 * stops page requests for the whole function, every PASID of it, whoever
 * owns them. FAILURE is still there for an owner who wants it (sent as
 * INVALID on iommufd, which has no Response Failure); SUCCESS makes the
 * device retry (its next fault raises a new group).
 */
struct ioasid_fault_queue_opts {
	size_t sz;
	uint32_t set;          /* the owner (required) */
	uint32_t depth;        /* records it holds; 0 = 256 */
	uint64_t timeout_ns;   /* how long a group may go unanswered; 0 = 1 s */
	uint32_t flags;        /* IOASID_FAULT_QUEUE_* */
	uint32_t timeout_code; /* with IOASID_FAULT_QUEUE_TIMEOUT_CODE: enum ioasid_fault_code */
};

/* timeout_code is the timeout's answer (else INVALID). */
#define IOASID_FAULT_QUEUE_TIMEOUT_CODE (1u << 0)
/*
 * Polled delivery: records reach the owner through a shared-memory ring
 * (ioasid_fault_ring_get()) instead of ioasid_fault_read(), responses go
 * back through a second ring, and the queue's fd is written only when the
 * owner said it is going to sleep. Software queues only (the sim; vfio):
 * -EOPNOTSUPP on iommufd, whose kernel queue is read() and write() anyway
 * (docs/design.md, "Faults": polled delivery).
 */
#define IOASID_FAULT_QUEUE_POLLED (1u << 1)

/**
 * ioasid_fault_queue_alloc() - create a fault queue owned by a set.
 * @ctx: the context.
 * @opts: the owner, depth, timeout and the timeout's answer.
 * @ret_queue: its id.
 * Return: 0; -EINVAL missing set, depth above 65536, unknown flags or a
 * timeout_code that is not an enum ioasid_fault_code; -EOPNOTSUPP
 * IOASID_FAULT_QUEUE_POLLED on iommufd; -ENOENT unknown set; -E2BIG non-zero unknown tail; -ENOMEM; -EMFILE no eventfd; on
 * iommufd the kernel's refusal of IOMMU_FAULT_QUEUE_ALLOC (-ENOTTY before
 * Linux 6.11).
 */
IOASID_EXPORT int ioasid_fault_queue_alloc(struct ioasid_ctx *ctx,
					 const struct ioasid_fault_queue_opts *opts,
					 uint32_t *ret_queue);

/**
 * ioasid_fault_queue_destroy() - destroy a queue; its pending groups are
 * answered INVALID.
 * @ctx: the context.
 * @queue: the queue.
 *
 * On iommufd the library closes the queue's fd, then destroys the kernel
 * queue; the kernel refuses (EBUSY) while another thread still polls or
 * reads that fd. The queue then stays, with its fd closed
 * (ioasid_fault_queue_fd() says -EBADF): destroy it again once that
 * thread is done.
 * Return: 0; -ENOENT; -EBUSY while an HWPT is bound to it, or the kernel's
 * refusal as above.
 */
IOASID_EXPORT int ioasid_fault_queue_destroy(struct ioasid_ctx *ctx,
					     uint32_t queue);

/**
 * ioasid_fault_queue_fd() - a pollable fd (O_CLOEXEC, non-blocking) that
 * is readable while records wait in the queue. Owned by the library. On
 * iommufd it is the kernel's fault fd: poll it, but read and answer
 * through the library (a group read from the fd directly is unknown to it).
 * @ctx: the context.
 * @queue: the queue.
 * @ret_fd: the fd.
 * Return: 0; -ENOENT; -EBADF after a destroy the kernel refused closed it.
 */
IOASID_EXPORT int ioasid_fault_queue_fd(struct ioasid_ctx *ctx, uint32_t queue,
					int *ret_fd);

/**
 * ioasid_fault_read() - take whole groups off the queue, never blocking.
 * @ctx: the context.
 * @queue: the queue.
 * @out: array of *@inout_num records.
 * @inout_num: in: capacity; out: records written (0: nothing waits).
 * Return: 0; -EMSGSIZE when the next group does not fit (nothing taken;
 * the message says how many records it has — on iommufd it cannot, the
 * kernel does not say); -ENOENT; -EINVAL a polled queue (its records are
 * in its ring: ioasid_fault_ring_poll()); on iommufd -EPROTO for records
 * the library cannot read (they are answered INVALID).
 */
IOASID_EXPORT int ioasid_fault_read(struct ioasid_ctx *ctx, uint32_t queue,
				    struct ioasid_fault *out, uint32_t *inout_num);

/**
 * ioasid_fault_respond() - answer a page request group.
 * @ctx: the context.
 * @queue: the queue the group was read from.
 * @cookie: the group's cookie.
 * @code: enum ioasid_fault_code.
 *
 * Also answers a group taken from a polled queue's ring (answers already
 * on the ring are applied first, so a group is still answered once).
 * Return: 0; -EINVAL unknown or already answered cookie, a group not read
 * yet, or a bad code (on iommufd also a group the kernel no longer holds:
 * the library then drops it, counted as detached); -EPERM the group
 * belongs to another set's queue; -ENOENT unknown queue; on iommufd
 * another errno of the write to the kernel. A refused response changes
 * nothing.
 */
IOASID_EXPORT int ioasid_fault_respond(struct ioasid_ctx *ctx, uint32_t queue,
				       uint64_t cookie, uint32_t code);

/* Counters of a queue. */
struct ioasid_fault_queue_stats {
	uint64_t raised;      /* records raised towards the queue (timeout records included) */
	uint64_t delivered;   /* records read by the owner */
	uint64_t groups;      /* page request groups raised */
	uint64_t answered_success, answered_invalid, answered_failure;
	uint64_t timed_out;   /* groups answered by the timer (its code, INVALID by default) */
	uint64_t overflowed;  /* groups answered FAILURE because the queue was full */
	uint64_t detached;    /* groups answered INVALID by detach/replace/destroy */
	uint32_t queued;      /* records waiting now (polled: waiting for room in the ring) */
	uint32_t pending;     /* groups waiting for a response now */
	uint64_t backpressured; /* polled: groups that waited for room in the ring */
	uint64_t __reserved[1];
};

/**
 * ioasid_fault_queue_stats() - read a queue's counters.
 * @ctx: the context.
 * @queue: the queue.
 * @ret_stats: filled in.
 * Return: 0, or -ENOENT.
 */
IOASID_EXPORT int ioasid_fault_queue_stats(struct ioasid_ctx *ctx, uint32_t queue,
					   struct ioasid_fault_queue_stats *ret_stats);

/**
 * ioasid_fault_unrouted() - unrecoverable fault records that had no queue
 * to go to (a device without PRI on an attachment without a queue, a DMA
 * with nothing attached). The context keeps the last 256.
 * @ctx: the context.
 * @out: array of *@inout_num records.
 * @inout_num: in: capacity; out: records taken (oldest first).
 * Return: 0.
 */
IOASID_EXPORT int ioasid_fault_unrouted(struct ioasid_ctx *ctx,
					struct ioasid_fault *out, uint32_t *inout_num);

/**
 * ioasid_fault_expire() - answer every group whose timeout has passed by
 * the context's clock, now, each with its queue's timeout answer (and a
 * IOASID_FAULT_F_TIMED_OUT record in its queue).
 * @ctx: the context.
 * @ret_expired: if not NULL, how many groups were answered.
 * Return: 0.
 */
IOASID_EXPORT int ioasid_fault_expire(struct ioasid_ctx *ctx, uint32_t *ret_expired);

/* ---- polled delivery (IOASID_FAULT_QUEUE_POLLED) ---- */

/*
 * The rings of a polled queue: records from the library to the owner and
 * responses back, each single producer / single consumer and lock-free.
 * One thread of the owner (the consumer) calls ioasid_fault_ring_poll(),
 * _respond(), _arm() and _wait(); the library is the other end, under its
 * own lock. Valid until the queue is destroyed.
 */
struct ioasid_fault_ring;

/**
 * ioasid_fault_ring_get() - the rings of a polled queue.
 * @ctx: the context.
 * @queue: a queue allocated with IOASID_FAULT_QUEUE_POLLED.
 * @ret_ring: the rings, valid until the queue is destroyed.
 *
 * The record ring holds the queue's depth rounded up to a power of two;
 * a group that does not fit waits in the library, in order, until the
 * owner has made room (counted as backpressured: never answered, never
 * dropped). At most twice that many groups wait for a response; one more
 * is answered FAILURE and counted overflowed, as a full queue does.
 * Return: 0; -ENOENT unknown queue; -EINVAL a queue that is not polled.
 */
IOASID_EXPORT int ioasid_fault_ring_get(struct ioasid_ctx *ctx, uint32_t queue,
					struct ioasid_fault_ring **ret_ring);

/**
 * ioasid_fault_ring_poll() - take whole groups off the record ring, with
 * no lock and no system call while the ring has them (a group that waited
 * for room is moved in under the library's lock).
 * @ring: the rings.
 * @out: array of *@inout_num records.
 * @inout_num: in: capacity; out: records written (0: nothing waits).
 * Records come in the order they were raised; a group may be answered
 * once its LAST record was taken.
 * Return: 0; -EINVAL NULL argument; -EMSGSIZE the next group does not fit
 * (nothing taken; the message says how many records it has).
 */
IOASID_EXPORT int ioasid_fault_ring_poll(struct ioasid_fault_ring *ring, struct ioasid_fault *out,
					 uint32_t *inout_num);

/**
 * ioasid_fault_ring_respond() - answer a group taken from the ring, with
 * no lock and no system call (unless a library thread sleeps waiting for
 * responses: it is woken).
 * @ring: the rings.
 * @cookie: the group's cookie.
 * @code: enum ioasid_fault_code.
 * The library applies the answer at its next look at the ring (a device
 * waiting on the group looks at once; at the latest the timer does).
 * Return: 0; -EINVAL a bad code, or a cookie that names no unanswered group
 * delivered on this ring (unknown, another queue's, answered already, or
 * answered by the timeout or a detach); -EOVERFLOW the response ring is
 * full (cannot happen: it holds as many responses as groups may wait).
 * A refused response changes nothing.
 */
IOASID_EXPORT int ioasid_fault_ring_respond(struct ioasid_fault_ring *ring, uint64_t cookie,
					    uint32_t code);

/**
 * ioasid_fault_ring_respond_many() - answer several groups taken from the
 * ring with one code, published at once: one store of the response ring's
 * tail and one ring of the library's doorbell for all of them, where
 * ioasid_fault_ring_respond() pays each per group (on two cores, each is
 * a cache line the library's waiting thread fetches back).
 * @ring: the rings.
 * @cookies: the groups' cookies.
 * @code: enum ioasid_fault_code, for every group.
 * @inout_num: in, how many cookies; out, how many were answered.
 * The cookies are answered in order; the first that names no unanswered
 * group delivered on this ring stops the call there, and those before it
 * stand (published).
 * Return: 0 when all were answered; -EINVAL a bad code (none answered),
 * a NULL argument, or the cookie at index *@inout_num that names no
 * unanswered group (unknown, another queue's, answered already, or by the
 * timeout or a detach).
 */
IOASID_EXPORT int ioasid_fault_ring_respond_many(struct ioasid_fault_ring *ring,
						 const uint64_t *cookies, uint32_t code,
						 uint32_t *inout_num);

/**
 * ioasid_fault_ring_arm() - say the owner is going to sleep: the library
 * writes the queue's fd (ioasid_fault_queue_fd()) for the next record it
 * publishes. For an event loop: arm, and poll the fd only if it returns 0.
 * @ring: the rings.
 * Return: 1 records wait already (the fd may not be written: do not
 * sleep); 0 armed; -EINVAL NULL ring.
 */
IOASID_EXPORT int ioasid_fault_ring_arm(struct ioasid_fault_ring *ring);

/**
 * ioasid_fault_ring_wait() - block until records wait in the ring.
 * @ring: the rings.
 * @timeout_ns: how long at most; UINT64_MAX = no limit.
 * It sleeps on a futex of the ring's, not on the queue's fd: the fd is
 * written only for ioasid_fault_ring_arm(), and a write left from an
 * earlier arm does not end this wait (the next arm forgets it).
 * Return: 0 records wait; -ETIMEDOUT; -EINVAL NULL ring; -EINTR a signal
 * came first (timed or not, the wait is not restarted).
 */
IOASID_EXPORT int ioasid_fault_ring_wait(struct ioasid_fault_ring *ring, uint64_t timeout_ns);

/* ---- the kernel's iommufd fault protocol (kernel-uapi.md §1.5) ---- */

/**
 * ioasid_fault_from_iommufd() - convert what read() returned from an
 * iommufd fault fd (struct iommu_hwpt_pgfault records, 40 bytes each,
 * whole groups) to common records.
 * @buf: the bytes read.
 * @len: how many (must be a multiple of 40).
 * @out: array of *@inout_num records.
 * @inout_num: in: capacity; out: records written.
 * Return: 0; -EINVAL a length that is not a multiple of 40, a record with
 * unknown perm bits or a non-zero reserved field, or a group whose last
 * record lacks LAST_PAGE (a short read); -EMSGSIZE @out too small.
 * The kernel's dev_id lands in ->dev and its 32-bit cookie in ->cookie.
 * Flag bits other than PASID_VALID and LAST_PAGE are ignored: the kernel
 * copies its internal page-request flags, and Linux 7.2's VT-d (for a
 * request with a PASID) and AMD (for every request) drivers set 0x4
 * (kernel-uapi.md §1.5).
 */
IOASID_EXPORT int ioasid_fault_from_iommufd(const void *buf, size_t len,
					    struct ioasid_fault *out, uint32_t *inout_num);

/**
 * ioasid_fault_to_iommufd() - the inverse: common records to kernel
 * records (for tests and replay).
 * @in: records.
 * @n: how many.
 * @buf: at least 40 * @n bytes.
 * @len: size of @buf.
 * Return: 0; -EMSGSIZE @buf too small; -EINVAL a cookie above 32 bits.
 */
IOASID_EXPORT int ioasid_fault_to_iommufd(const struct ioasid_fault *in, uint32_t n,
					  void *buf, size_t len);

/**
 * ioasid_fault_response_iommufd() - encode a response as the kernel's
 * struct iommu_hwpt_page_response (8 bytes). FAILURE is sent as INVALID:
 * iommufd has no Response Failure code.
 * @cookie: the group's cookie (32 bits on iommufd).
 * @code: enum ioasid_fault_code.
 * @buf: 8 bytes.
 * Return: 0; -EINVAL a bad code or a cookie above 32 bits.
 */
IOASID_EXPORT int ioasid_fault_response_iommufd(uint64_t cookie, uint32_t code,
						void *buf);

/**
 * ioasid_fault_flag_name() - the name of one IOASID_FAULT_F_* flag, for dumps
 * @flag: a single flag bit, e.g. IOASID_FAULT_F_PAGE_REQ
 *
 * "read", "write", "exec", "priv", "last", "page_req", "timed_out",
 * "addr_valid", "pasid_valid", "group_valid", "priv_valid": the names the
 * scenario format and traces write in a record's "flags".
 *
 * Return: the name; NULL for 0, for a value with more than one bit set, or
 * for a bit that has no flag.
 */
IOASID_EXPORT const char *ioasid_fault_flag_name(uint32_t flag);

/**
 * ioasid_fault_reason_name() - the name of an enum ioasid_fault_reason
 * @reason: IOASID_FAULT_R_*
 *
 * "page_request", "not_present", "permission", "blocked", "reserved".
 *
 * Return: the name; NULL for a value that is no reason.
 */
IOASID_EXPORT const char *ioasid_fault_reason_name(uint32_t reason);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_FAULT_H */
