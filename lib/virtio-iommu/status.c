/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Status codes of the request tail (the virtio spec's, device 23; values
 * in docs/kernel-uapi.md §3.3) and the message that says why a request
 * did not get OK.
 */
#include <stdarg.h>
#include <stdio.h>

#include "private.h"

IOASID_EXPORT uint8_t ioasid_virtio_iommu_status_from_errno(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return S_OK;
	case EINVAL:
	case EEXIST:
		return S_INVAL;
	case EOPNOTSUPP:
	case EADDRINUSE:
		return S_UNSUPP;
	case ENOENT:
	case ENODEV:
		return S_NOENT;
	case ERANGE:
	case EOVERFLOW:
		return S_RANGE;
	case EFAULT:
	case EACCES:
		return S_FAULT;
	case ENOMEM:
	case ENOSPC:
	case EDQUOT:
		return S_NOMEM;
	case EBADMSG:
		return S_IOERR;
	default:
		return S_DEVERR;
	}
}

IOASID_EXPORT const char *ioasid_virtio_iommu_status_name(uint8_t status)
{
	static const char *const names[] = {
		"OK", "IOERR", "UNSUPP", "DEVERR", "INVAL", "RANGE", "NOENT", "FAULT", "NOMEM",
	};

	return status < VI_ARRAY_SIZE(names) ? names[status] : NULL;
}

/*
 * The message becomes the context's (so the VMM can log it); the request
 * itself succeeds, with @status in its tail.
 */
uint8_t vi_fail(struct ioasid_virtio_iommu *v, uint8_t status, const char *fmt, ...)
{
	char msg[IOASID_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ioasid_err_outer(v->ctx, -EINVAL, "virtio-iommu %s: %s",
			 ioasid_virtio_iommu_status_name(status), msg);
	return status;
}

/* The failed call's message is kept, after @what. */
uint8_t vi_fail_lib(struct ioasid_virtio_iommu *v, uint8_t status, const char *what)
{
	char msg[IOASID_ERRMSG_MAX];

	snprintf(msg, sizeof(msg), "%s", ioasid_last_errmsg());
	return vi_fail(v, status, "%s: %s", what, msg);
}

int vi_err_after(struct ioasid_ctx *ctx, int err, const char *what)
{
	char msg[IOASID_ERRMSG_MAX];

	snprintf(msg, sizeof(msg), "%s", ioasid_last_errmsg());
	return ioasid_err_outer(ctx, err, "%s: %s", what, msg);
}

int vi_opts_check(struct ioasid_ctx *ctx, const void *opts, size_t user_sz, size_t known_sz,
		  const char *what)
{
	char msg[IOASID_ERRMSG_MAX];
	int err = ioasid_opts_check(NULL, opts, user_sz, known_sz, what);

	if (!err)
		return 0;
	snprintf(msg, sizeof(msg), "%s", ioasid_last_errmsg());
	return ioasid_err_outer(ctx, err, "%s", msg);
}
