/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iommufd backend (/dev/iommu + VFIO cdevs).
 *
 * Not implemented in this release: opening it fails with -EOPNOTSUPP and
 * says so, rather than pretending to work (see the real-backend issue).
 */
#include "../backend.h"

static int iommufd_open(struct ioasid_ctx *ctx, const char *arg)
{
	return ioasid_err(ctx, -EOPNOTSUPP,
			  "the iommufd backend%s%s is not implemented in libioasid %s yet; use --backend sim",
			  arg ? " at " : "", arg ? arg : "", PACKAGE_VERSION);
}

static int iommufd_open_fd(struct ioasid_ctx *ctx, int fd, bool own)
{
	(void)own;
	return ioasid_err(ctx, -EOPNOTSUPP,
			  "the iommufd backend (fd %d) is not implemented in libioasid %s yet",
			  fd, PACKAGE_VERSION);
}

static void iommufd_close(struct ioasid_ctx *ctx)
{
	(void)ctx;
}

const struct ioasid_backend_ops ioasid_iommufd_backend = {
	.name = "iommufd",
	.kind = IOASID_BACKEND_IOMMUFD,
	.open = iommufd_open,
	.open_fd = iommufd_open_fd,
	.close = iommufd_close,
};
