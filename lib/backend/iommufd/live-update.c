/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iommufd and live update (issue 12, docs/live-update.md): handing the
 * pins of the context's file maps to the calling process.
 */
#include <string.h>

#include "iommufd-private.h"

/*
 * IOMMU_IOAS_CHANGE_PROCESS (kernel-uapi.md §1.4, §1.9). The core has
 * checked that every area is a file map; the kernel checks again, under
 * its locks, and moves the charges of every IOAS of the fd at once.
 */
int iommufd_change_process(struct ioasid_ctx *ctx)
{
	struct ku_iommu_ioas_change_process c = { .size = sizeof(c) };
	int err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_IOAS_CHANGE_PROCESS, &c);

	if (err)
		return ioasid_err(ctx, err, "IOMMU_IOAS_CHANGE_PROCESS on %s: the kernel says %s%s",
				  ifd_of(ctx)->path, strerror(-err),
				  err == -ENOTTY ? " (a kernel before 6.13)" :
				  err == -ENOMEM ? " (the pins exceed this process's limit)" :
						   "");
	return 0;
}

/*
 * Adopting the kernel's objects on a restore (backend.h, adopt_end). The
 * backend's ops run unchanged; this seam stands between them and the
 * kernel while ctx->adopting, answering the requests that would make or
 * change something with the objects the kernel holds already, and passing
 * the others (GET_HW_INFO, IOVA_RANGES) through.
 */
static int adopt_ioctl(void *data, int fd, unsigned long req, void *arg)
{
	struct ioasid_ctx *ctx = data;
	struct ifd_ctx *s = ifd_of(ctx);
	uint32_t kid = ctx->adopt_kid;

	switch (req) {
	case KU_IOMMU_IOAS_ALLOC: {
		/* is it an IOAS? IOVA_RANGES says ENOENT for anything else */
		struct ku_iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = kid };
		int err = s->real_ioctl(s->real_data, s->fd, KU_IOMMU_IOAS_IOVA_RANGES, &q);

		if (err && err != -EMSGSIZE)
			return err;
		((struct ku_iommu_ioas_alloc *)arg)->out_ioas_id = kid;
		return 0;
	}
	case KU_VFIO_DEVICE_BIND_IOMMUFD:
		((struct ku_vfio_device_bind_iommufd *)arg)->out_devid = kid;
		return 0;
	case KU_IOMMU_HWPT_ALLOC:
		((struct ku_iommu_hwpt_alloc *)arg)->out_hwpt_id = kid;
		return 0;
	case KU_VFIO_DEVICE_ATTACH_IOMMUFD_PT:
		((struct ku_vfio_device_attach_iommufd_pt *)arg)->pt_id = kid;
		return 0;
	case KU_IOMMU_IOAS_MAP:
	case KU_IOMMU_IOAS_MAP_FILE:
	case KU_IOMMU_OPTION:
		return 0;
	default:
		return s->real_ioctl(s->real_data, fd, req, arg);
	}
}

/* After a failed restore: the context lets go of everything without a word to the kernel. */
static int forget_ioctl(void *data, int fd, unsigned long req, void *arg)
{
	(void)data;
	(void)fd;
	(void)req;
	(void)arg;
	return 0;
}

int iommufd_adopt_begin(struct ioasid_ctx *ctx)
{
	struct ifd_ctx *s = ifd_of(ctx);

	s->real_ioctl = s->ioctl;
	s->real_data = s->ioctl_data;
	s->ioctl = adopt_ioctl;
	s->ioctl_data = ctx;
	return 0;
}

void iommufd_adopt_end(struct ioasid_ctx *ctx, bool keep)
{
	struct ifd_ctx *s = ifd_of(ctx);
	struct ioasid_dev *dev;

	if (s->ioctl != adopt_ioctl)
		return;
	if (!keep) {
		s->ioctl = forget_ioctl;
		s->own = false;
		for (dev = dev_next(ctx, NULL); dev; dev = dev_next(ctx, dev))
			((struct ifd_dev *)dev->be)->own_fd = false;
		return;
	}
	s->ioctl = s->real_ioctl;
	s->ioctl_data = s->real_data;
	/* the context holds the fds the predecessor's context held */
	s->own = true;
	for (dev = dev_next(ctx, NULL); dev; dev = dev_next(ctx, dev))
		((struct ifd_dev *)dev->be)->own_fd = true;
}
