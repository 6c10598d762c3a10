/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vfio backend. Not implemented in this release: opening it fails with
 * -EOPNOTSUPP and says so, never a fake success.
 */
#include <stdio.h>

#include "../backend.h"

static int vfio_open(struct ioasid_ctx *ctx, const char *arg)
{
	char what[300];

	snprintf(what, sizeof(what), "%s%s", arg ? "at " : "", arg ? arg : "");
	return backend_not_built(ctx, "vfio", arg ? what : NULL);
}

static int vfio_open_fd(struct ioasid_ctx *ctx, int fd, bool own)
{
	char what[32];

	snprintf(what, sizeof(what), "over fd %d", fd);
	return backend_not_built(ctx, "vfio", what);
}

static void vfio_close(struct ioasid_ctx *ctx)
{
}

const struct ioasid_backend_ops ioasid_vfio_backend = {
	.name = "vfio",
	.kind = IOASID_BACKEND_VFIO,
	.open = vfio_open,
	.open_fd = vfio_open_fd,
	.close = vfio_close,
};
