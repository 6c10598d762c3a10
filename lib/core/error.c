/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Error messages, logging and option-struct checks.
 *
 * The message of a failed call is kept per thread (so concurrent callers of
 * one context do not overwrite each other's) and, as a fallback, per
 * context.
 */
#include <stdio.h>
#include <string.h>

#include "private.h"

static __thread struct {
	const struct ioasid_ctx *ctx;
	char msg[IOASID_ERRMSG_MAX];
} tls_err;

int ioasid_verr(struct ioasid_ctx *ctx, int err, const char *fmt, va_list ap)
{
	vsnprintf(tls_err.msg, sizeof(tls_err.msg), fmt, ap);
	tls_err.ctx = ctx;
	if (ctx) {
		memcpy(ctx->errmsg, tls_err.msg, sizeof(ctx->errmsg));
		if (ctx->log && ctx->log_level >= IOASID_LOG_DEBUG)
			ctx->log(ctx->log_data, IOASID_LOG_DEBUG, tls_err.msg);
	}
	return err;
}

int ioasid_err(struct ioasid_ctx *ctx, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ioasid_verr(ctx, err, fmt, ap);
	va_end(ap);
	return err;
}

int ioasid_err_outer(struct ioasid_ctx *ctx, int err, const char *fmt, ...)
{
	va_list ap;

	if (ctx)
		ctx_lock(ctx);
	va_start(ap, fmt);
	ioasid_verr(ctx, err, fmt, ap);
	va_end(ap);
	if (ctx)
		ctx_unlock(ctx);
	return err;
}

int ioasid_err_prefix(struct ioasid_ctx *ctx, int err, const char *fmt, ...)
{
	char inner[IOASID_ERRMSG_MAX], outer[IOASID_ERRMSG_MAX];
	va_list ap;

	/* copy first: the thread's message is also where the result goes */
	snprintf(inner, sizeof(inner), "%s", tls_err.msg);
	va_start(ap, fmt);
	vsnprintf(outer, sizeof(outer), fmt, ap);
	va_end(ap);
	return ioasid_err(ctx, err, "%s: %s", outer, inner);
}

void ioasid_log(struct ioasid_ctx *ctx, enum ioasid_log_level level,
		const char *fmt, ...)
{
	char buf[IOASID_ERRMSG_MAX];
	va_list ap;

	if (!ctx || !ctx->log || (int)level > ctx->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ctx->log(ctx->log_data, level, buf);
}

IOASID_EXPORT const char *ioasid_ctx_errmsg(const struct ioasid_ctx *ctx)
{
	if (!ctx)
		return tls_err.msg;
	if (tls_err.ctx == ctx)
		return tls_err.msg;
	return ctx->errmsg;
}

IOASID_EXPORT const char *ioasid_last_errmsg(void)
{
	return tls_err.msg;
}

int ioasid_opts_check(struct ioasid_ctx *ctx, const void *opts, size_t user_sz,
		      size_t known_sz, const char *what)
{
	const unsigned char *p = opts;
	size_t i;

	if (user_sz < sizeof(size_t))
		return ioasid_err(ctx, -EINVAL, "%s: sz %zu is smaller than the sz field itself",
				  what, user_sz);
	for (i = known_sz; i < user_sz; i++)
		if (p[i])
			return ioasid_err(ctx, -E2BIG,
					  "%s: sz %zu: byte %zu past the %zu this library knows is 0x%02x, not zero",
					  what, user_sz, i, known_sz, p[i]);
	return 0;
}

static const struct {
	int err;
	const char *name;
} errno_names[] = {
	{ EPERM, "EPERM" },   { ENOENT, "ENOENT" },     { EINTR, "EINTR" },
	{ EIO, "EIO" },       { ENXIO, "ENXIO" },       { E2BIG, "E2BIG" },
	{ EBADF, "EBADF" },   { EAGAIN, "EAGAIN" },     { ENOMEM, "ENOMEM" },
	{ EACCES, "EACCES" }, { EFAULT, "EFAULT" },     { EBUSY, "EBUSY" },
	{ EEXIST, "EEXIST" }, { ENODEV, "ENODEV" },     { EINVAL, "EINVAL" },
	{ ENOSPC, "ENOSPC" }, { ERANGE, "ERANGE" },     { ENOTTY, "ENOTTY" },
	{ EOVERFLOW, "EOVERFLOW" },   { EMSGSIZE, "EMSGSIZE" },
	{ EOPNOTSUPP, "EOPNOTSUPP" }, { EADDRINUSE, "EADDRINUSE" },
	{ EDQUOT, "EDQUOT" }, { ETIMEDOUT, "ETIMEDOUT" }, { ENOSYS, "ENOSYS" },
	{ EALREADY, "EALREADY" }, { ESRCH, "ESRCH" }, { ENOTSUP, "ENOTSUP" },
	{ EPROTO, "EPROTO" }, { ECANCELED, "ECANCELED" }, { ENOMSG, "ENOMSG" },
	{ ENAMETOOLONG, "ENAMETOOLONG" }, { ENOBUFS, "ENOBUFS" },
	{ EPROTONOSUPPORT, "EPROTONOSUPPORT" }, { EAFNOSUPPORT, "EAFNOSUPPORT" },
	{ EDOM, "EDOM" }, { ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" },
};

IOASID_EXPORT const char *ioasid_strerrno(int err)
{
	size_t i;

	if (err < 0)
		err = -err;
	if (err == 0)
		return "ok";
	for (i = 0; i < ARRAY_SIZE(errno_names); i++)
		if (errno_names[i].err == err)
			return errno_names[i].name;
	return "E?";
}

IOASID_EXPORT int ioasid_errno_from_name(const char *name)
{
	size_t i;

	if (!name)
		return 0;
	for (i = 0; i < ARRAY_SIZE(errno_names); i++)
		if (!strcmp(errno_names[i].name, name))
			return errno_names[i].err;
	return 0;
}
