/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libioasid internals shared by the core object files and the backends.
 */
#ifndef IOASID_PRIVATE_H
#define IOASID_PRIVATE_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <ioasid/ioasid.h>

#include "util/alloc.h"
#include "core/error.h"

struct ioasid_backend_ops;
struct ioasid_obj;
struct json_t;
struct event_sub;

/*
 * Every object begins with this header. Objects live in the context's id
 * table; an id is reserved first (slot holds NULL while the object is being
 * built, so nobody can find it) and published only when everything that
 * can fail has succeeded, as iommufd does.
 */
struct ioasid_obj {
	uint32_t id;
	enum ioasid_obj_kind kind;
	uint32_t users; /* other objects that depend on this one */
};

/*
 * Per-kind operations, one table per object kind (see obj.c): what the
 * generic code (lookups, the object lifecycle, dumps) needs to know of a
 * kind, so that it never switches on it.
 */
struct ioasid_obj_ops {
	const char *name;    /* "ioas", "set", ...: in dumps and messages */
	const char *noun;    /* "an IOAS": "out of memory for an IOAS", "not an IOAS" */
	const char *missing; /* "no IOAS": a lookup that finds nothing ("no IOAS with id 7") */
	/*
	 * A lookup that finds another kind says so ("object 7 is a set, not
	 * an IOAS"); false: it says @missing as when there is nothing.
	 */
	bool names_other_kind;
	/*
	 * Undo a published object in the kernel before destroy; ctx lock
	 * held, users == 0. A refusal returns the kernel's -errno with the
	 * object kept whole (backend.h's rule); while the context closes it is
	 * logged instead (be_refused()). NULL: nothing to undo.
	 */
	int (*teardown)(struct ioasid_ctx *ctx, struct ioasid_obj *obj);
	/* Free a published object (after teardown); ctx lock held, users == 0. */
	void (*destroy)(struct ioasid_ctx *ctx, struct ioasid_obj *obj);
	/*
	 * Free an object obj_alloc() made that was never published, once its
	 * constructor has undone whatever else it did (iommufd's abort).
	 * NULL: the object is plain memory.
	 */
	void (*abort)(struct ioasid_ctx *ctx, struct ioasid_obj *obj);
	/*
	 * Its JSON object in a dump (json-private.h has the helpers), the
	 * backend's view included; NULL when out of memory.
	 */
	struct json_t *(*dump)(struct ioasid_ctx *ctx, struct ioasid_obj *obj, uint32_t flags);
};

struct ioasid_ctx {
	pthread_mutex_t lock;
	const struct ioasid_backend_ops *ops;
	void *be; /* backend private state */
	char spec[256];
	char reason[256];

	ioasid_log_fn log;
	void *log_data;
	int log_level;
	uint32_t flags;

	/* id table: slot i holds the object with id i + 1 */
	struct ioasid_obj **objs;
	uint32_t nr_slots;
	uint32_t cap_slots;
	uint32_t *free_ids; /* stack of released ids, reused lowest-last */
	uint32_t nr_free;
	uint32_t cap_free;
	uint32_t nr_objs;

	/* pinned-page accounting (kernel-uapi.md §4.5, pin.c) */
	uint64_t pinned_pages; /* pinned by this context, charged or not */
	uint32_t rlimit_mode;  /* IOASID_RLIMIT_MODE_*: the account it charges */
	uint64_t pinned_limit; /* bytes; 0 = RLIMIT_MEMLOCK */
	uint64_t rlimit_bytes; /* cached RLIMIT_MEMLOCK; 0 = not read yet */
	uint32_t rlimit_age;   /* charges since it was read */
	bool exempt_enabled;
	bool exempt_checked;
	bool has_cap_ipc_lock;
	bool closing; /* ioasid_ctx_close() runs: refusals are logged, records go */
	/*
	 * While a restore adopts the kernel's objects (state-restore.c,
	 * backend.h's adopt_begin), the next object made is kernel object
	 * adopt_kid; the next device bound from an fd must be the one the
	 * state names adopt_name (NULL: no check; the name a bind gives it).
	 */
	uint32_t adopt_kid;
	int adopt_fd; /* the next fault queue's inherited fd */
	const char *adopt_name;
	/*
	 * Why the backend refused to adopt an object (the op's own message
	 * names only the request): the restore's message carries it.
	 */
	char adopt_why[192];

	/* shared-pages records created by copy (see ioas.c) */
	struct ioas_pages *pages;
	uint32_t nr_pages;
	uint32_t cap_pages;
	uint32_t free_pages_head;

	/* PASID space (set.c), created on first use */
	struct pasid_space *pasids;
	uint32_t pasid_width; /* set by the backend at open */
	/* how many devices use each attached PASID, sorted by PASID (set.c) */
	struct pasid_use *pasid_uses;
	uint32_t nr_pasid_uses, cap_pasid_uses;

	/* faults (fault.c) */
	struct fault_group *groups; /* pending page request groups */
	uint64_t next_cookie;
	ioasid_clock_fn clock;
	void *clock_data;
	pthread_cond_t fault_cond;  /* a group was answered */
	pthread_cond_t timer_cond;  /* the timer has something to look at */
	pthread_t timer;
	bool timer_running, timer_stop;
	uint64_t timer_deadline; /* what the timer sleeps until; 0 = unknown */
	struct ioasid_fault *unrouted; /* ring of FAULT_UNROUTED_RING */
	uint64_t unrouted_head, unrouted_count;
	/*
	 * Polled queues (fault-ring.c): their list (under the lock), and,
	 * read and written without the lock, a counter every response
	 * published on a ring bumps (library threads waiting for a response
	 * watch it) and how many library threads sleep waiting for one (a
	 * response then wakes them itself; see fault_ring_sleep_begin()).
	 */
	struct ioasid_fault_queue *polled;
	uint64_t resp_doorbell;
	uint32_t resp_sleepers;
	/*
	 * A device thread spins on resp_doorbell while the owner takes the
	 * lock and polls: the two fields below, written by every ctx_lock()
	 * and poll, on its cache line cost each spin read a line transfer.
	 * The padding puts them 64 bytes on (the context is malloc'd, so an
	 * alignment attribute would not be kept).
	 */
	char doorbell_pad[64 - sizeof(uint64_t) - sizeof(uint32_t)];
	int32_t owner_cpu; /* where a ring's owner last polled; -1 unknown */
	int32_t lock_cpu;  /* where the lock's holder took it (ctx_lock()) */

	/* the trace being recorded, or NULL (trace.c; read under the lock) */
	struct ioasid_trace *trace;

	/* last error of any thread */
	char errmsg[IOASID_ERRMSG_MAX];

	struct event_sub *events; /* inspection subscribers (events.c), under the lock */
};
_Static_assert(__builtin_offsetof(struct ioasid_ctx, owner_cpu) -
			       __builtin_offsetof(struct ioasid_ctx, resp_doorbell) >=
		       64,
	       "owner_cpu and lock_cpu share resp_doorbell's cache line");

/* CLOCK_MONOTONIC, the clock of every timed wait, in ns. */
static inline uint64_t mono_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The CLOCK_MONOTONIC deadline @timeout_ns from now (saturating at
 * UINT64_MAX), returned in ns and stored in *@ts for the absolute-time
 * waits (futex, pthread_cond_timedwait).
 */
static inline uint64_t mono_deadline(uint64_t timeout_ns, struct timespec *ts)
{
	uint64_t now = mono_now_ns();
	uint64_t d = timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + timeout_ns;

	ts->tv_sec = (time_t)(d / 1000000000ull);
	ts->tv_nsec = (long)(d % 1000000000ull);
	return d;
}

/* Locking: every public entry point takes ctx->lock. */
/* Contended: spin a bounded while before sleeping (ctx.c). */
void ctx_lock_slow(struct ioasid_ctx *ctx);

static inline void ctx_lock(struct ioasid_ctx *ctx)
{
	if (pthread_mutex_trylock(&ctx->lock))
		ctx_lock_slow(ctx);
	/* where the holder runs: a waiter on the same CPU must not spin */
	__atomic_store_n(&ctx->lock_cpu, sched_getcpu(), __ATOMIC_RELAXED);
}

static inline void ctx_unlock(struct ioasid_ctx *ctx)
{
	pthread_mutex_unlock(&ctx->lock);
}

/*
 * Lookups. Every public call on an object begins with one, so the hit
 * path is inline and only the message of a miss is out of line (obj.c).
 */

/* The object @id of @kind (IOASID_OBJ_NONE: of any kind), or NULL. */
static inline void *obj_find(const struct ioasid_ctx *ctx, uint32_t id,
			     enum ioasid_obj_kind kind)
{
	struct ioasid_obj *obj;

	if (id == 0 || id > ctx->nr_slots)
		return NULL;
	obj = ctx->objs[id - 1];
	if (!obj || (kind != IOASID_OBJ_NONE && obj->kind != kind))
		return NULL;
	return obj;
}

/*
 * The message of a lookup that found nothing of @kind, as the public
 * calls word it ("no set with id 7", "object 7 is a ioas, not a set").
 * Returns -ENOENT.
 */
int obj_lookup_failed(struct ioasid_ctx *ctx, uint32_t id, enum ioasid_obj_kind kind);
/* Just the "no <kind> with id N" message; returns -ENOENT. */
int obj_missing(struct ioasid_ctx *ctx, uint32_t id, enum ioasid_obj_kind kind);

/* As obj_find(), with the message set on a miss (the caller returns -ENOENT). */
static inline void *obj_lookup(struct ioasid_ctx *ctx, uint32_t id, enum ioasid_obj_kind kind)
{
	void *obj = obj_find(ctx, id, kind);

	if (!obj)
		obj_lookup_failed(ctx, id, kind);
	return obj;
}

/*
 * The prologue of a public call on one object: lock @ctx and look @id up
 * (obj_lookup()). Return: the object, with the lock held; or NULL with
 * *@ret_err set and the lock not held: -EINVAL for a NULL @ctx, -ENOENT
 * (message set) when there is no such object. Callers read
 *
 *	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS, &err);
 *	if (!ioas)
 *		return err;
 */
static inline void *ctx_lock_lookup(struct ioasid_ctx *ctx, uint32_t id,
				    enum ioasid_obj_kind kind, int *ret_err)
{
	void *obj;

	if (!ctx) {
		*ret_err = -EINVAL;
		return NULL;
	}
	ctx_lock(ctx);
	obj = obj_lookup(ctx, id, kind);
	if (!obj) {
		ctx_unlock(ctx);
		*ret_err = -ENOENT;
	}
	return obj;
}

/*
 * Object table (obj.c). The lifecycle, as iommufd's: obj_alloc() reserves
 * an id and allocates the object, invisible to lookups; the constructor
 * does everything that can fail, then obj_publish(), or obj_abort() on
 * failure (the kind's abort op frees what it had built).
 */

/*
 * A zeroed object of @size bytes (its header filled in) under a new id,
 * or NULL with the thread's message set and *@ret_err -ENOMEM or -ENOSPC.
 */
void *obj_alloc(struct ioasid_ctx *ctx, enum ioasid_obj_kind kind, size_t size,
		int *ret_err);
void obj_publish(struct ioasid_ctx *ctx, struct ioasid_obj *obj);
/*
 * Restoring a saved context (state-restore.c): lay out the empty table
 * so that the next @n obj_alloc() calls get the ids @order[0], @order[1],
 * ... (distinct, each in [1, @max_id]) in turn, and later ones the other
 * ids up to @max_id first. 0, -EINVAL (not empty) or -ENOMEM, message set.
 */
int obj_ids_preset(struct ioasid_ctx *ctx, const uint32_t *order, uint32_t n, uint32_t max_id);
void obj_abort(struct ioasid_ctx *ctx, struct ioasid_obj *obj);
/* Take a published object out of the table (its memory is the caller's). */
void obj_remove(struct ioasid_ctx *ctx, struct ioasid_obj *obj);
const char *obj_kind_name(enum ioasid_obj_kind kind);
/* The object's JSON (its kind's dump op); NULL when out of memory. */
struct json_t *obj_dump(struct ioasid_ctx *ctx, struct ioasid_obj *obj, uint32_t flags);
int obj_destroy_locked(struct ioasid_ctx *ctx, uint32_t id);
/*
 * A public *_destroy() of an object of @kind with no rule of its own: lock,
 * look @id up as @kind (-ENOENT naming it), obj_destroy_locked(); the
 * trace records it as the scenario op @op (trace_destroy()).
 */
int obj_destroy_kind(struct ioasid_ctx *ctx, uint32_t id, enum ioasid_obj_kind kind, const char *op);
/*
 * A backend's teardown answer @err, with its message in the thread's
 * buffer: returned as it is, except while the context closes, when it is
 * logged (IOASID_LOG_ERR) and 0 comes back (backend.h's rule).
 */
int be_refused(struct ioasid_ctx *ctx, int err);
void obj_destroy_all(struct ioasid_ctx *ctx);
void obj_table_free(struct ioasid_ctx *ctx);
/* Iterate objects of one kind in id order: start with *pos = 0. */
struct ioasid_obj *obj_next(struct ioasid_ctx *ctx, enum ioasid_obj_kind kind,
			    uint32_t *pos);

extern const struct ioasid_obj_ops ioasid_ioas_obj_ops;
extern const struct ioasid_obj_ops ioasid_set_obj_ops;
extern const struct ioasid_obj_ops ioasid_dev_obj_ops;
extern const struct ioasid_obj_ops ioasid_hwpt_obj_ops;
extern const struct ioasid_obj_ops ioasid_fault_queue_obj_ops;
struct fault_group;

struct pasid_space;
struct pasid_use;

/*
 * Pinned-page accounting (pin.c, kernel-uapi.md §4.5). pin_charge() counts
 * @pages as pinned by @ctx and, when @charged, charges them to the
 * process-wide account of the context's RLIMIT mode (-ENOMEM, message
 * set, past the limit); pin_uncharge() undoes it. Whether a mapping is
 * charged is fixed when it is made: not when pin_exempt() says so then.
 */
int pin_charge(struct ioasid_ctx *ctx, uint64_t pages, bool charged);
void pin_uncharge(struct ioasid_ctx *ctx, uint64_t pages, bool charged);
bool pin_exempt(struct ioasid_ctx *ctx);
/* IOMMU_OPTION_RLIMIT_MODE's SET, with the kernel's rules and errnos. */
int pin_set_rlimit_mode(struct ioasid_ctx *ctx, uint64_t mode);
/*
 * Could the kernel pin [@uva, @uva + @len) of this process, for write
 * when @write (pin-check.c)? 0, or -EFAULT with a message naming the
 * first page that cannot be pinned. Never faults the process.
 */
int pin_check_memory(struct ioasid_ctx *ctx, uint64_t uva, uint64_t len, bool write);
/*
 * Could the kernel pin [@offset, @offset + @len) of the file @fd
 * (memfd_pin_folios(): shmem or hugetlbfs, inside the file's size)?
 * 0, or -EINVAL / -EBADF with the message.
 */
int pin_check_file(struct ioasid_ctx *ctx, int fd, uint64_t offset, uint64_t len);
/* Tests: false makes pin_check_memory() use its pre-5.14 fallback; true probes again. */
void pin_check_use_populate(bool on);

/* Host page size (cached). */
uint64_t ioasid_page_size(void);

#define IOASID_MIN(a, b) ((a) < (b) ? (a) : (b))
#define IOASID_MAX(a, b) ((a) > (b) ? (a) : (b))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
