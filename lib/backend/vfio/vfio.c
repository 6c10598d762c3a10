/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * legacy VFIO type1 backend (/dev/vfio/vfio container + groups).
 *
 * Not implemented in this release: opening it fails with -EOPNOTSUPP and
 * says so, rather than pretending to work (see the real-backend issue).
 */
#include "../backend.h"

static int vfio_open(struct ioasid_ctx *ctx, const char *arg)
{
	return ioasid_err(ctx, -EOPNOTSUPP,
			  "the vfio backend%s%s is not implemented in libioasid %s yet; use --backend sim",
			  arg ? " at " : "", arg ? arg : "", PACKAGE_VERSION);
}

static int vfio_open_fd(struct ioasid_ctx *ctx, int fd, bool own)
{
	(void)own;
	return ioasid_err(ctx, -EOPNOTSUPP,
			  "the vfio backend (fd %d) is not implemented in libioasid %s yet",
			  fd, PACKAGE_VERSION);
}

static void vfio_close(struct ioasid_ctx *ctx)
{
	(void)ctx;
}

const struct ioasid_backend_ops ioasid_vfio_backend = {
	.name = "vfio",
	.kind = IOASID_BACKEND_VFIO,
	.open = vfio_open,
	.open_fd = vfio_open_fd,
	.close = vfio_close,
};
