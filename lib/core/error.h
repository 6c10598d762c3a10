/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library's error channel: what every layer inside the library uses to
 * leave the message of a failed call (the thread's, and the context's when
 * there is one; read back with ioasid_ctx_errmsg() / ioasid_last_errmsg()),
 * to log through the context's callback, and to check size-prefixed option
 * structs. Implemented in error.c. The layers above the core (the
 * virtio-iommu device model) include this and nothing else of the core.
 */
#ifndef IOASID_CORE_ERROR_H
#define IOASID_CORE_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#include <ioasid/ctx.h>

/* The longest message kept, terminator included. */
#define IOASID_ERRMSG_MAX 256

/*
 * Record an error: @err is a negative errno, returned unchanged, so that
 * call sites read `return ioasid_err(ctx, -EINVAL, "length %llu", len);`.
 * @ctx may be NULL (only the thread's message is set).
 */
int ioasid_err(struct ioasid_ctx *ctx, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int ioasid_verr(struct ioasid_ctx *ctx, int err, const char *fmt, va_list ap);
/*
 * As ioasid_err(), for callers that do not hold @ctx's lock (the layers
 * above the core, e.g. the virtio-iommu device model): the context's
 * message is written under that lock, as every public call of the core
 * writes it, so that it never races another thread's call. Never call it
 * with the lock held.
 */
int ioasid_err_outer(struct ioasid_ctx *ctx, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * As ioasid_err(), with the thread's current message (what a failed public
 * call just left, e.g. a caps parser's) appended after ": ".
 */
int ioasid_err_prefix(struct ioasid_ctx *ctx, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Log at @level through the context's callback (never prints). */
void ioasid_log(struct ioasid_ctx *ctx, enum ioasid_log_level level,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Option-struct check (libbpf's OPTS_VALID): @opts of user size @user_sz,
 * of which the library knows @known_sz bytes. Return: 0, -EINVAL for a size
 * smaller than sizeof(size_t), -E2BIG for a non-zero unknown tail.
 */
int ioasid_opts_check(struct ioasid_ctx *ctx, const void *opts, size_t user_sz,
		      size_t known_sz, const char *what);

#endif
