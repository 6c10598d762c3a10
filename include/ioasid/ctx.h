/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libioasid: contexts.
 *
 * A context is one backend instance: an open /dev/iommu (iommufd), a legacy
 * VFIO container (vfio) or an in-process simulated IOMMU (sim). It owns every
 * object made in it; each object has a positive 32-bit id, as in iommufd.
 *
 * Errors: every call returns 0 or a negative errno (the kernel's errno where
 * the kernel has one for the same mistake) and records a message that names
 * the bad value; read it with ioasid_ctx_errmsg(). The library never prints:
 * messages also go to the optional log callback.
 *
 * Threading contract (docs/design.md, "Threading"): every call on a context
 * may be made from any thread, concurrently with any other call on the same
 * context; calls are serialized by the context's lock, except that a fault
 * queue's fd may be polled and read without it. Objects must not be used
 * after they are destroyed, and ioasid_ctx_close() must not race with any
 * other call on the same context.
 */
#ifndef IOASID_CTX_H
#define IOASID_CTX_H

#include <stdbool.h>
#include <ioasid/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ioasid_ctx;

/* Backend kinds: the spec strings of ioasid_ctx_open() below; docs/ioasidctl.1, --backend. */
enum ioasid_backend_kind {
	IOASID_BACKEND_NONE = 0,
	IOASID_BACKEND_SIM = 1,     /* "sim[:PROFILE]" */
	IOASID_BACKEND_IOMMUFD = 2, /* "iommufd[:PATH]" */
	IOASID_BACKEND_VFIO = 3,    /* "vfio" */
};

/* Log levels, syslog's numbers. */
enum ioasid_log_level {
	IOASID_LOG_ERR = 3,
	IOASID_LOG_WARN = 4,
	IOASID_LOG_INFO = 6,
	IOASID_LOG_DEBUG = 7,
};

/*
 * Log callback: @msg is one line without a trailing newline. It may be
 * called with the context lock held: it must not call back into the
 * context.
 */
typedef void (*ioasid_log_fn)(void *data, enum ioasid_log_level level,
			      const char *msg);

/* Options of ioasid_ctx_open(); see IOASID_OPTS_INIT() in common.h. */
struct ioasid_ctx_opts {
	size_t sz;
	/* Messages at or below @log_level go to @log (default ERR). */
	ioasid_log_fn log;
	void *log_data;
	int log_level;
	uint32_t flags; /* IOASID_CTX_* */
	/*
	 * Pinned-memory limit in bytes that this context's pins are held to;
	 * 0 = RLIMIT_MEMLOCK of the process (the kernel's default),
	 * UINT64_MAX = unlimited. See ioasid_ctx_set_pinned_limit().
	 */
	uint64_t pinned_limit;
};

/*
 * Flag: do not exempt a caller holding CAP_IPC_LOCK from pinned-page
 * accounting. The kernel does exempt it (kernel-uapi.md §4.5); the sim
 * follows the kernel unless this flag is set.
 */
#define IOASID_CTX_NO_CAP_IPC_LOCK_EXEMPT (1u << 0)

/**
 * ioasid_ctx_open() - open a context from a backend spec.
 * @spec: "sim", "sim:PROFILE" (a built-in name or a JSON file),
 *        "iommufd", "iommufd:PATH", "vfio" or "auto" (iommufd if
 *        /dev/iommu is iommufd's misc device and VFIO cdevs exist, else
 *        vfio if /dev/vfio/vfio is VFIO's; never sim). NULL means "auto".
 *        The PATH of "iommufd:PATH" must be the iommu misc device
 *        (/dev/iommu under any name), as sysfs shows it.
 * @opts: options or NULL.
 * @ret_ctx: the new context.
 *
 * Return: 0; -EINVAL for a malformed spec or options; -E2BIG for a non-zero
 * unknown tail in @opts; -ENOENT for an unknown profile or missing device
 * node; -ENODEV when no backend of that kind is usable here or the iommufd
 * PATH is not the iommu device (/dev/zero: refused here rather than by
 * -ENOTTY at the first call); -EOPNOTSUPP for
 * a backend this build does not implement; -ENOMEM. On failure the message
 * is available from ioasid_last_errmsg().
 */
IOASID_EXPORT int ioasid_ctx_open(const char *spec,
				  const struct ioasid_ctx_opts *opts,
				  struct ioasid_ctx **ret_ctx);

/**
 * ioasid_ctx_open_fd() - make a context over an already-open fd.
 * @kind: IOASID_BACKEND_IOMMUFD (an open /dev/iommu) or IOASID_BACKEND_VFIO
 *        (an open /dev/vfio/vfio container).
 * @fd: the descriptor.
 * @take_ownership: true: the context closes @fd when it is closed (also
 *        when this call fails); false: the caller keeps it.
 * @opts: options or NULL.
 * @ret_ctx: the new context.
 *
 * Return: 0; -EBADF for a negative fd; -EINVAL for a kind that has no fd;
 * -EOPNOTSUPP for a backend this build does not implement; -ENOMEM.
 */
IOASID_EXPORT int ioasid_ctx_open_fd(enum ioasid_backend_kind kind, int fd,
				     bool take_ownership,
				     const struct ioasid_ctx_opts *opts,
				     struct ioasid_ctx **ret_ctx);

/**
 * ioasid_ctx_close() - destroy every object of the context and free it.
 * @ctx: the context; NULL is fine.
 *
 * It cannot fail: it detaches, unmaps and destroys everything it can,
 * logs each step the kernel refuses (IOASID_LOG_ERR, "closing the context:
 * ...") and frees every record regardless. What the kernel refused stays
 * the kernel's until its iommufd file is released, i.e. once the
 * context's fd and every device fd bound to it (ioasid_dev_bind_fd()'s
 * included) are closed.
 */
IOASID_EXPORT void ioasid_ctx_close(struct ioasid_ctx *ctx);

/**
 * ioasid_ctx_backend() - which backend the context runs on.
 * @ctx: the context.
 * Return: the kind.
 */
IOASID_EXPORT enum ioasid_backend_kind
ioasid_ctx_backend(const struct ioasid_ctx *ctx);

/**
 * ioasid_ctx_backend_name() - the backend's name ("sim", "iommufd", "vfio").
 * @ctx: the context.
 */
IOASID_EXPORT const char *ioasid_ctx_backend_name(const struct ioasid_ctx *ctx);

/**
 * ioasid_ctx_backend_reason() - why this backend was chosen: for "auto",
 * the probe that decided; otherwise what was asked for. Never NULL.
 * @ctx: the context.
 */
IOASID_EXPORT const char *ioasid_ctx_backend_reason(const struct ioasid_ctx *ctx);

/**
 * ioasid_ctx_errmsg() - the message of the last failed call that this
 * thread made on @ctx (or, if this thread made none, of the last failed
 * call of any thread). "" when there is none. The string stays valid until
 * the next call on @ctx from this thread.
 * @ctx: the context.
 */
IOASID_EXPORT const char *ioasid_ctx_errmsg(const struct ioasid_ctx *ctx);

/**
 * ioasid_last_errmsg() - the message of the last failed call of this
 * thread on any context, including a failed ioasid_ctx_open(). Never NULL.
 */
IOASID_EXPORT const char *ioasid_last_errmsg(void);

/**
 * ioasid_ctx_set_log() - set (or clear, with @fn NULL) the log callback.
 * @ctx: the context.
 * @fn: callback.
 * @data: passed to @fn.
 * @level: highest level passed on.
 * Return: 0, or -EINVAL for a level outside 0..7.
 */
IOASID_EXPORT int ioasid_ctx_set_log(struct ioasid_ctx *ctx, ioasid_log_fn fn,
				     void *data, int level);

/*
 * Pinned-page accounting (kernel-uapi.md §4.5), as the kernel does it.
 * Pages are pinned while their address space has a domain: a map into an
 * IOAS with a paging HWPT (one of its own or a device's automatic one)
 * pins at once, a map into an IOAS without one pins nothing until the
 * first HWPT comes (then the HWPT allocation or the attach is the call
 * that answers -EFAULT or -ENOMEM), and the pins go with the last HWPT.
 * Pinned pages are charged to an account of the process, not of the
 * context: the user's (RLIMIT mode 0, the default of /dev/iommu) or the
 * process's own (mode 1, VFIO type-1's way; ioasid_ctx_set_option()).
 * Every context of the process in the same mode draws on the same
 * account, so that together they pin no more than the limit. Memory the
 * kernel could not pin (not mapped, not readable, read-only under
 * IOASID_MAP_WRITE, device memory) is refused with -EFAULT when it would
 * be pinned, on the sim too.
 */

/**
 * ioasid_ctx_set_pinned_limit() - override the pinned-memory limit.
 * @ctx: the context.
 * @bytes: limit in bytes; 0 = back to RLIMIT_MEMLOCK; UINT64_MAX = none.
 *
 * The limit stands in for RLIMIT_MEMLOCK when this context pins: the
 * process-wide account of its RLIMIT mode, with every other context's
 * charges in it, may not pass it. Lowering the limit below what is
 * charged now is allowed: later pins fail.
 * Return: 0.
 */
IOASID_EXPORT int ioasid_ctx_set_pinned_limit(struct ioasid_ctx *ctx,
					      uint64_t bytes);

/**
 * ioasid_ctx_set_cap_ipc_lock_exempt() - whether a process holding
 * CAP_IPC_LOCK is exempt from pinned-page accounting (the kernel's rule,
 * the default). Tests that run as root switch it off to see the limit.
 * @ctx: the context.
 * @exempt: true to follow the kernel.
 * Return: 0.
 */
IOASID_EXPORT int ioasid_ctx_set_cap_ipc_lock_exempt(struct ioasid_ctx *ctx,
						     bool exempt);

/* A clock in nanoseconds, for the timeout of unanswered groups. */
typedef uint64_t (*ioasid_clock_fn)(void *data);

/**
 * ioasid_ctx_set_clock() - replace the monotonic clock the fault timeouts
 * use (tests inject one; NULL restores CLOCK_MONOTONIC). With an injected
 * clock the library runs no timer thread: call ioasid_fault_expire().
 * @ctx: the context.
 * @fn: the clock.
 * @data: passed to @fn.
 * Return: 0.
 */
IOASID_EXPORT int ioasid_ctx_set_clock(struct ioasid_ctx *ctx, ioasid_clock_fn fn,
				       void *data);

/* Pinned-page accounting of a context. */
struct ioasid_pinned_info {
	uint64_t pinned_pages;  /* pages this context pins now, charged or not */
	uint64_t limit_pages;   /* the limit its next pin is held to; UINT64_MAX = none */
	uint64_t page_size;     /* the unit */
	uint32_t exempt;        /* 1: CAP_IPC_LOCK exemption in force: new pins are not charged */
	uint32_t rlimit_mode;   /* the account it charges: IOASID_RLIMIT_MODE_* */
	uint64_t account_pages; /* that account's total, every context of the process */
};

/**
 * ioasid_ctx_pinned() - read the pinned-page accounting.
 * @ctx: the context.
 * @ret_info: filled in.
 * Return: 0, or -EINVAL for NULL arguments.
 */
IOASID_EXPORT int ioasid_ctx_pinned(struct ioasid_ctx *ctx,
				    struct ioasid_pinned_info *ret_info);

/* Context options, the kernel's IOMMU_OPTION ids. */
enum ioasid_ctx_option {
	/* which account pinned pages are charged to: IOASID_RLIMIT_MODE_* */
	IOASID_CTX_OPT_RLIMIT_MODE = 0,
};

/* Values of IOASID_CTX_OPT_RLIMIT_MODE, the kernel's. */
#define IOASID_RLIMIT_MODE_USER 0 /* the user's locked_vm: the default of /dev/iommu and the sim */
#define IOASID_RLIMIT_MODE_MM 1   /* the process's locked_vm: VFIO type-1, always */

/**
 * ioasid_ctx_set_option() - set a context option, as IOMMU_OPTION does
 * (forwarded to the kernel on iommufd).
 * @ctx: the context.
 * @opt: the option.
 * @val: its value.
 *
 * IOASID_CTX_OPT_RLIMIT_MODE follows the kernel's rules, in its order:
 * the calling thread needs CAP_SYS_RESOURCE, the context may hold no
 * object (sets aside, which the kernel does not have), and the value is
 * 0 or 1. The pages pinned after it are charged to the new mode's account.
 *
 * Return: 0; -EOPNOTSUPP for an unknown option, or on the vfio backend
 * (VFIO type-1 always charges the process); -EPERM without
 * CAP_SYS_RESOURCE; -EBUSY while the context holds an object; -EINVAL for
 * a value other than 0 and 1.
 */
IOASID_EXPORT int ioasid_ctx_set_option(struct ioasid_ctx *ctx, enum ioasid_ctx_option opt,
					uint64_t val);

/**
 * ioasid_ctx_get_option() - read a context option (the kernel's value on
 * iommufd).
 * @ctx: the context.
 * @opt: the option.
 * @ret_val: its value.
 * Return: 0; -EOPNOTSUPP for an unknown option; -EINVAL for NULL arguments.
 */
IOASID_EXPORT int ioasid_ctx_get_option(struct ioasid_ctx *ctx, enum ioasid_ctx_option opt,
					uint64_t *ret_val);

/**
 * ioasid_obj_destroy() - destroy any destroyable object by id, as
 * IOMMU_DESTROY does.
 * @ctx: the context.
 * @id: the object.
 * Return: 0; -ENOENT for an unknown id; -EBUSY while the object is in use;
 * as the object's own destroy call when the kernel refuses (the object
 * stays).
 */
IOASID_EXPORT int ioasid_obj_destroy(struct ioasid_ctx *ctx, uint32_t id);

/* Object kinds, as seen through ioasid_obj_kind(). */
enum ioasid_obj_kind {
	IOASID_OBJ_NONE = 0,
	IOASID_OBJ_IOAS = 1,
	IOASID_OBJ_SET = 2,
	IOASID_OBJ_DEV = 3,
	IOASID_OBJ_HWPT = 4,
	IOASID_OBJ_FAULT_QUEUE = 5,
	IOASID_OBJ_VIOMMU = 6, /* include/ioasid/viommu.h */
	IOASID_OBJ_VDEVICE = 7,
	IOASID_OBJ_VEVENTQ = 8,
	IOASID_OBJ_HW_QUEUE = 9,
};

/**
 * ioasid_obj_kind() - the kind of object @id names.
 * @ctx: the context.
 * @id: the object.
 * Return: the kind, or IOASID_OBJ_NONE for an unknown id.
 */
IOASID_EXPORT enum ioasid_obj_kind ioasid_obj_kind(struct ioasid_ctx *ctx,
						   uint32_t id);

/**
 * ioasid_ctx_fd() - the kernel fd behind a context: the open /dev/iommu of
 * an iommufd context (for ioctls the library does not wrap). It stays owned
 * by the context; do not close it.
 * @ctx: the context.
 * @ret_fd: the fd.
 * Return: 0; -EOPNOTSUPP for a backend without one (sim; vfio has one
 * container per address space, see ioasid_obj_kernel_id()).
 */
IOASID_EXPORT int ioasid_ctx_fd(struct ioasid_ctx *ctx, int *ret_fd);

/**
 * ioasid_obj_kernel_id() - the kernel's id of the object @id names: on
 * iommufd, an IOAS's or HWPT's iommufd object id (an automatic HWPT
 * reports the kernel's automatic domain once a device attached), a
 * device's iommufd device id (out_devid) and a fault queue's fault object
 * id (out_fault_id); on vfio, an IOAS's container fd
 * and a device's IOMMU group number.
 * @ctx: the context.
 * @id: the library's object id.
 * @ret_kernel_id: the kernel's id.
 * Return: 0; -ENOENT for an unknown @id or an object with no kernel
 * counterpart yet; -EOPNOTSUPP for kinds the kernel has no object for
 * (sets) and on the sim.
 */
IOASID_EXPORT int ioasid_obj_kernel_id(struct ioasid_ctx *ctx, uint32_t id,
				       uint32_t *ret_kernel_id);

/**
 * ioasid_strerrno() - the symbolic name of an errno value ("EEXIST").
 * @err: a positive or negative errno.
 * Return: the name, or "E?" for one it does not know.
 */
IOASID_EXPORT const char *ioasid_strerrno(int err);

/**
 * ioasid_errno_from_name() - the errno value of a symbolic name.
 * @name: e.g. "EEXIST".
 * Return: the positive errno, or 0 when unknown.
 */
IOASID_EXPORT int ioasid_errno_from_name(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_CTX_H */
