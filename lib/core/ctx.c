/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Contexts: backend spec parsing, "auto" selection, open and close.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "private.h"
#include "backend/backend.h"
#include "dev-private.h"
#include "set-private.h"
#include "fault-private.h"
#include "inspect-private.h"
#include "trace-private.h"

IOASID_EXPORT const char *ioasid_version(void)
{
	return PACKAGE_VERSION;
}

static int ctx_new(const struct ioasid_ctx_opts *opts, struct ioasid_ctx **ret)
{
	/* Fields past a smaller caller's sz read as zero. */
	struct ioasid_ctx_opts o = { 0 };
	struct ioasid_ctx *ctx;
	int err;

	if (opts) {
		err = ioasid_opts_check(NULL, opts, opts->sz,
					sizeof(struct ioasid_ctx_opts),
					"struct ioasid_ctx_opts");
		if (err)
			return err;
		memcpy(&o, opts, IOASID_MIN(opts->sz, sizeof(o)));
		if (o.flags & ~IOASID_CTX_NO_CAP_IPC_LOCK_EXEMPT)
			return ioasid_err(NULL, -EINVAL, "ioasid_ctx_opts: unknown flags 0x%x",
					  o.flags);
		if (o.log_level < 0 || o.log_level > 7)
			return ioasid_err(NULL, -EINVAL, "ioasid_ctx_opts: log_level %d is not 0..7",
					  o.log_level);
	}
	ctx = ioasid_calloc(1, sizeof(*ctx));
	if (!ctx)
		return ioasid_err(NULL, -ENOMEM, "out of memory for a context");
	{
		/*
		 * Adaptive: a thread that finds the lock taken spins a little
		 * before it sleeps. The critical sections are short, and on the
		 * fault path the owner's map and the device's retry meet on this
		 * lock every round: a futex sleep and wake-up there cost more
		 * than the section itself (tests/bench/fault).
		 */
		pthread_mutexattr_t ma;

		pthread_mutexattr_init(&ma);
#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
		pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
		pthread_mutex_init(&ctx->lock, &ma);
		pthread_mutexattr_destroy(&ma);
	}
	{
		/* timed waits use CLOCK_MONOTONIC deadlines */
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&ctx->fault_cond, &ca);
		pthread_cond_init(&ctx->timer_cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	ctx->owner_cpu = -1;
	ctx->log = o.log;
	ctx->log_data = o.log_data;
	ctx->log_level = o.log_level ? o.log_level : IOASID_LOG_ERR;
	ctx->flags = o.flags;
	ctx->pinned_limit = o.pinned_limit;
	ctx->exempt_enabled = !(o.flags & IOASID_CTX_NO_CAP_IPC_LOCK_EXEMPT);
	*ret = ctx;
	return 0;
}

static void ctx_free(struct ioasid_ctx *ctx)
{
	obj_table_free(ctx);
	pasid_ctx_free(ctx);
	ioasid_free(ctx->pages);
	fault_ctx_free(ctx);
	pthread_cond_destroy(&ctx->fault_cond);
	pthread_cond_destroy(&ctx->timer_cond);
	pthread_mutex_destroy(&ctx->lock);
	ioasid_free(ctx);
}

/*
 * The RLIMIT mode the backend starts in (an iommufd fd may come in mode 1,
 * VFIO type-1 always charges the process); the core's 0 when it cannot tell.
 */
static void ctx_read_options(struct ioasid_ctx *ctx)
{
	uint64_t v;

	if (ctx->ops->ctx_option &&
	    !ctx->ops->ctx_option(ctx, IOASID_CTX_OPT_RLIMIT_MODE, false, &v) &&
	    v <= IOASID_RLIMIT_MODE_MM)
		ctx->rlimit_mode = (uint32_t)v;
}

IOASID_EXPORT int ioasid_ctx_open(const char *spec,
				  const struct ioasid_ctx_opts *opts,
				  struct ioasid_ctx **ret_ctx)
{
	const struct ioasid_backend_ops *ops;
	const char *colon, *arg = NULL;
	size_t namelen;
	char reason[256];

	if (!ret_ctx)
		return ioasid_err(NULL, -EINVAL, "ret_ctx is NULL");
	*ret_ctx = NULL;
	if (!spec)
		spec = "auto";
	if (strlen(spec) >= sizeof(((struct ioasid_ctx *)NULL)->spec))
		return ioasid_err(NULL, -EINVAL, "backend spec '%.32s...' is too long", spec);
	colon = strchr(spec, ':');
	namelen = colon ? (size_t)(colon - spec) : strlen(spec);
	if (colon)
		arg = colon + 1;

	if (namelen == 4 && !memcmp(spec, "auto", 4)) {
		if (arg)
			return ioasid_err(NULL, -EINVAL, "backend spec '%s': auto takes no argument", spec);
		ops = backend_pick_auto(&backend_auto_host, reason, sizeof(reason));
		if (!ops)
			return ioasid_err(NULL, -ENODEV, "%s", reason);
	} else {
		ops = backend_by_name(spec, namelen);
		if (!ops)
			return ioasid_err(NULL, -EINVAL,
					  "backend spec '%s': unknown backend '%.*s' (sim[:PROFILE], iommufd[:PATH], vfio, auto)",
					  spec, (int)namelen, spec);
		if (arg && !*arg)
			return ioasid_err(NULL, -EINVAL, "backend spec '%s': empty argument after ':'", spec);
		if (arg && ops->kind == IOASID_BACKEND_VFIO)
			return ioasid_err(NULL, -EINVAL, "backend spec '%s': vfio takes no argument", spec);
		snprintf(reason, sizeof(reason), "asked for '%s'", spec);
	}

	return ctx_open_with(ops, spec, reason, opts, NULL, arg, ret_ctx);
}

/*
 * The last step of an open: IOASID_TRACE=FILE starts a trace before any
 * object exists; a trace that cannot start fails the open (it was asked for).
 */
static int ctx_open_trace(struct ioasid_ctx *ctx, struct ioasid_ctx **ret_ctx)
{
	char msg[IOASID_ERRMSG_MAX];
	int err = trace_ctx_open(ctx);

	if (err) {
		snprintf(msg, sizeof(msg), "%s", ctx->errmsg);
		ioasid_ctx_close(ctx);
		return ioasid_err(NULL, err, "%s", msg);
	}
	*ret_ctx = ctx;
	return 0;
}

int ctx_open_with(const struct ioasid_backend_ops *ops, const char *spec, const char *reason,
		  const struct ioasid_ctx_opts *opts,
		  int (*open)(struct ioasid_ctx *ctx, const void *data), const void *data,
		  struct ioasid_ctx **ret_ctx)
{
	struct ioasid_ctx *ctx;
	int err;

	err = ctx_new(opts, &ctx);
	if (err)
		return err;
	snprintf(ctx->spec, sizeof(ctx->spec), "%s", spec);
	snprintf(ctx->reason, sizeof(ctx->reason), "%s", reason);
	ctx->ops = ops;
	err = open ? open(ctx, data) : ops->open(ctx, data);
	if (err) {
		/* keep the backend's message as this thread's message */
		ioasid_err(NULL, err, "%s", ctx->errmsg);
		ctx_free(ctx);
		return err;
	}
	ctx_read_options(ctx);
	ioasid_log(ctx, IOASID_LOG_INFO, "opened backend %s (%s)", ops->name, ctx->reason);
	return ctx_open_trace(ctx, ret_ctx);
}

IOASID_EXPORT int ioasid_ctx_open_fd(enum ioasid_backend_kind kind, int fd,
				     bool take_ownership,
				     const struct ioasid_ctx_opts *opts,
				     struct ioasid_ctx **ret_ctx)
{
	const struct ioasid_backend_ops *ops;
	struct ioasid_ctx *ctx;
	int err;

	if (!ret_ctx)
		err = ioasid_err(NULL, -EINVAL, "ret_ctx is NULL");
	else if (fd < 0)
		err = ioasid_err(NULL, -EBADF, "fd %d is not a descriptor", fd);
	else if (!(ops = backend_find(kind)))
		err = ioasid_err(NULL, -EINVAL, "backend kind %d is unknown", (int)kind);
	else if (!ops->open_fd)
		err = ioasid_err(NULL, -EINVAL, "the %s backend is not opened from an fd", ops->name);
	else
		goto ok;
	if (take_ownership && fd >= 0)
		close(fd);
	return err;
ok:
	*ret_ctx = NULL;
	err = ctx_new(opts, &ctx);
	if (err) {
		if (take_ownership)
			close(fd);
		return err;
	}
	snprintf(ctx->spec, sizeof(ctx->spec), "%s:fd=%d", ops->name, fd);
	snprintf(ctx->reason, sizeof(ctx->reason), "opened over fd %d%s", fd,
		 take_ownership ? " (owned)" : "");
	ctx->ops = ops;
	err = ops->open_fd(ctx, fd, take_ownership);
	if (err) {
		/* a backend that failed has not taken the fd */
		if (take_ownership)
			close(fd);
		ioasid_err(NULL, err, "%s", ctx->errmsg);
		ctx_free(ctx);
		return err;
	}
	ctx_read_options(ctx);
	return ctx_open_trace(ctx, ret_ctx);
}

IOASID_EXPORT void ioasid_ctx_close(struct ioasid_ctx *ctx)
{
	if (!ctx)
		return;
	inspect_ctx_closing(ctx);
	fault_ctx_stop(ctx);
	ctx_lock(ctx);
	trace_ctx_close(ctx);
	ctx->closing = true;
	dev_detach_all(ctx);
	obj_destroy_all(ctx);
	ctx->ops->close(ctx);
	ctx_unlock(ctx);
	ctx_free(ctx);
}

IOASID_EXPORT enum ioasid_backend_kind
ioasid_ctx_backend(const struct ioasid_ctx *ctx)
{
	return ctx ? ctx->ops->kind : IOASID_BACKEND_NONE;
}

IOASID_EXPORT const char *ioasid_ctx_backend_name(const struct ioasid_ctx *ctx)
{
	return ctx ? ctx->ops->name : "none";
}

IOASID_EXPORT const char *ioasid_ctx_backend_reason(const struct ioasid_ctx *ctx)
{
	return ctx ? ctx->reason : "";
}

IOASID_EXPORT int ioasid_ctx_set_log(struct ioasid_ctx *ctx, ioasid_log_fn fn,
				     void *data, int level)
{
	if (!ctx)
		return -EINVAL;
	if (level < 0 || level > 7)
		return ioasid_err(ctx, -EINVAL, "log level %d is not 0..7", level);
	ctx_lock(ctx);
	ctx->log = fn;
	ctx->log_data = data;
	ctx->log_level = level;
	ctx_unlock(ctx);
	return 0;
}

IOASID_EXPORT int ioasid_ctx_set_option(struct ioasid_ctx *ctx, enum ioasid_ctx_option opt,
					uint64_t val)
{
	int err;

	if (!ctx)
		return -EINVAL;
	ctx_lock(ctx);
	if (opt != IOASID_CTX_OPT_RLIMIT_MODE)
		err = ioasid_err(ctx, -EOPNOTSUPP, "unknown context option %d", (int)opt);
	else
		err = pin_set_rlimit_mode(ctx, val);
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_ctx_get_option(struct ioasid_ctx *ctx, enum ioasid_ctx_option opt,
					uint64_t *ret_val)
{
	uint64_t v;
	int err = 0;

	if (!ctx || !ret_val)
		return ioasid_err(ctx, -EINVAL, "ioasid_ctx_get_option: NULL argument");
	ctx_lock(ctx);
	if (opt != IOASID_CTX_OPT_RLIMIT_MODE) {
		err = ioasid_err(ctx, -EOPNOTSUPP, "unknown context option %d", (int)opt);
	} else {
		/* the kernel's value where there is a kernel: it is the referee */
		v = ctx->rlimit_mode;
		if (ctx->ops->ctx_option)
			err = ctx->ops->ctx_option(ctx, opt, false, &v);
		if (err)
			ioasid_err(ctx, err, "reading the RLIMIT mode from the %s backend: %s",
				   ctx->ops->name, strerror(-err));
		else
			*ret_val = v;
	}
	ctx_unlock(ctx);
	return err;
}
