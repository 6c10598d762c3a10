/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The iommufd backend. Not implemented in this release: opening it fails with
 * -EOPNOTSUPP and says so, never a fake success.
 */
#include <stdio.h>

#include "../backend.h"

static int iommufd_open(struct ioasid_ctx *ctx, const char *arg)
{
	char what[300];

	snprintf(what, sizeof(what), "%s%s", arg ? "at " : "", arg ? arg : "");
	return backend_not_built(ctx, "iommufd", arg ? what : NULL);
}

static int iommufd_open_fd(struct ioasid_ctx *ctx, int fd, bool own)
{
	char what[32];

	snprintf(what, sizeof(what), "over fd %d", fd);
	return backend_not_built(ctx, "iommufd", what);
}

static void iommufd_close(struct ioasid_ctx *ctx)
{
}

const struct ioasid_backend_ops ioasid_iommufd_backend = {
	.name = "iommufd",
	.kind = IOASID_BACKEND_IOMMUFD,
	.open = iommufd_open,
	.open_fd = iommufd_open_fd,
	.close = iommufd_close,
};
