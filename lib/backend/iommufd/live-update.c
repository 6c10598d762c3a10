/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iommufd and live update (issue 12, docs/live-update.md): handing the
 * pins of the context's file maps to the calling process.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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

/* Refuse to adopt: @err, and why in ctx->adopt_why for the restore's message. */
__attribute__((format(printf, 3, 4))) static int why(struct ioasid_ctx *ctx, int err,
						     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->adopt_why, sizeof(ctx->adopt_why), fmt, ap);
	va_end(ap);
	return err;
}

/* The kernel's answer to @req on @arg, below the adopting seam. */
static int real(struct ifd_ctx *s, unsigned long req, void *arg)
{
	return s->real_ioctl(s->real_data, s->fd, req, arg);
}

/*
 * Is kernel object @kid a device? IOMMU_GET_HW_INFO looks up a device
 * object and answers ENOENT for anything else; it changes nothing.
 */
static int adopt_check_dev(struct ioasid_ctx *ctx, struct ifd_ctx *s, uint32_t kid)
{
	struct ku_iommu_hw_info h = { .size = sizeof(h), .dev_id = kid };
	int err = real(s, KU_IOMMU_GET_HW_INFO, &h);

	if (err == -ENOENT)
		return why(ctx, -ENOENT,
			   "kernel object %u is not a device (IOMMU_GET_HW_INFO says ENOENT)", kid);
	return err ? why(ctx, err, "IOMMU_GET_HW_INFO of device %u: %s", kid, strerror(-err)) : 0;
}

/*
 * Is kernel object @kid an HWPT of the kind the alloc @a asks for? Both
 * probes change nothing. A paging HWPT: IOMMU_HWPT_GET_DIRTY_BITMAP
 * (NO_CLEAR, page size 0) looks up a paging HWPT first and answers
 * ENOENT for any other object, something else (EINVAL, EOPNOTSUPP) for
 * one. A nested HWPT: IOMMU_HWPT_INVALIDATE of no entries answers EINVAL
 * for an object that is neither nested nor a vIOMMU, 0 (or EOPNOTSUPP
 * from a driver without user invalidation) for a nested one.
 */
static int adopt_check_hwpt(struct ioasid_ctx *ctx, struct ifd_ctx *s, uint32_t kid,
			    const struct ku_iommu_hwpt_alloc *a)
{
	bool nested = a->data_type != KU_IOMMU_HWPT_DATA_NONE;
	int err;

	if (nested) {
		struct ku_iommu_hwpt_invalidate inv = { .size = sizeof(inv), .hwpt_id = kid };

		err = real(s, KU_IOMMU_HWPT_INVALIDATE, &inv);
		if (err == -EOPNOTSUPP)
			err = 0;
	} else {
		struct ku_iommu_hwpt_get_dirty_bitmap g = {
			.size = sizeof(g),
			.hwpt_id = kid,
			.flags = KU_IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR
		};

		err = real(s, KU_IOMMU_HWPT_GET_DIRTY_BITMAP, &g);
		err = err == -ENOENT ? -ENOENT : 0;
	}
	if (err == -ENOENT || err == -EINVAL)
		return why(ctx, -ENOENT, "kernel object %u is not a %s HWPT (%s says %s)", kid,
			   nested ? "nested" : "paging",
			   nested ? "IOMMU_HWPT_INVALIDATE" : "IOMMU_HWPT_GET_DIRTY_BITMAP",
			   err == -ENOENT ? "ENOENT" : "EINVAL");
	return err ? why(ctx, err, "asking about HWPT %u: %s", kid, strerror(-err)) : 0;
}

/*
 * Adopting the kernel's objects on a restore (backend.h, adopt_end). The
 * backend's ops run unchanged; this seam stands between them and the
 * kernel while ctx->adopting, answering the requests that would make or
 * change something with the objects the kernel holds already, after
 * checking that the object the state names is there and of that kind,
 * and passing the others (GET_HW_INFO, IOVA_RANGES) through.
 */
static int adopt_ioctl(void *data, int fd, unsigned long req, void *arg)
{
	struct ioasid_ctx *ctx = data;
	struct ifd_ctx *s = ifd_of(ctx);
	uint32_t kid = ctx->adopt_kid;
	int err;

	switch (req) {
	case KU_IOMMU_IOAS_ALLOC: {
		/* is it an IOAS? IOVA_RANGES says ENOENT for anything else */
		struct ku_iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = kid };

		err = real(s, KU_IOMMU_IOAS_IOVA_RANGES, &q);
		if (err == -ENOENT)
			return why(ctx, -ENOENT,
				   "kernel object %u is not an IOAS (IOMMU_IOAS_IOVA_RANGES says ENOENT)",
				   kid);
		if (err && err != -EMSGSIZE)
			return err;
		((struct ku_iommu_ioas_alloc *)arg)->out_ioas_id = kid;
		return 0;
	}
	case KU_VFIO_DEVICE_BIND_IOMMUFD:
		err = adopt_check_dev(ctx, s, kid);
		if (!err)
			((struct ku_vfio_device_bind_iommufd *)arg)->out_devid = kid;
		return err;
	case KU_IOMMU_HWPT_ALLOC:
		err = adopt_check_hwpt(ctx, s, kid, arg);
		if (!err)
			((struct ku_iommu_hwpt_alloc *)arg)->out_hwpt_id = kid;
		return err;
	case KU_IOMMU_FAULT_QUEUE_ALLOC: {
		/*
		 * The kernel has no call that tells a fault object without
		 * changing it; its fd, inherited, must at least be open. It keeps
		 * the groups the predecessor had not read.
		 */
		struct ku_iommu_fault_alloc *a = arg;
		struct stat st;

		if (ctx->adopt_fd < 0 || fstat(ctx->adopt_fd, &st))
			return why(ctx, -EBADF, "fault fd %d of kernel fault queue %u is not open",
				   ctx->adopt_fd, kid);
		a->out_fault_id = kid;
		a->out_fault_fd = (uint32_t)ctx->adopt_fd;
		return 0;
	}
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

bool iommufd_adopting(struct ioasid_ctx *ctx)
{
	return ifd_of(ctx)->ioctl == adopt_ioctl;
}

/*
 * The kernel has no call that lists an IOAS's areas; IOMMU_IOAS_COPY
 * answers the question without changing the source: it takes the pages
 * of [iova, iova + length) only when areas cover every byte (ENOENT
 * otherwise). The copy goes to an IOAS of the library's own with no
 * device, emptied after each probe and destroyed by adopt_end.
 */
int iommufd_adopt_probe(struct ioasid_ctx *ctx, uint32_t kioas, uint64_t iova, uint64_t length)
{
	struct ifd_ctx *s = ifd_of(ctx);
	struct ku_iommu_ioas_copy c = { .size = sizeof(c),
					.flags = KU_IOMMU_IOAS_MAP_FIXED_IOVA |
						 KU_IOMMU_IOAS_MAP_READABLE,
					.src_ioas_id = kioas,
					.length = length,
					.dst_iova = iova,
					.src_iova = iova };
	struct ku_iommu_ioas_unmap u = { .size = sizeof(u), .length = UINT64_MAX };
	int err;

	if (!s->adopt_scratch) {
		struct ku_iommu_ioas_alloc a = { .size = sizeof(a) };

		err = real(s, KU_IOMMU_IOAS_ALLOC, &a);
		if (err)
			return ioasid_err(ctx, err,
					  "adopt: IOMMU_IOAS_ALLOC of the IOAS that checks the areas: %s",
					  strerror(-err));
		s->adopt_scratch = a.out_ioas_id;
	}
	c.dst_ioas_id = s->adopt_scratch;
	err = real(s, KU_IOMMU_IOAS_COPY, &c);
	if (err == -ENOENT)
		return -ENOENT;
	if (err)
		return ioasid_err(ctx, err,
				  "adopt: IOMMU_IOAS_COPY of [0x%llx, 0x%llx] of IOAS %u: %s",
				  X(iova), X(iova + length - 1), kioas, strerror(-err));
	u.ioas_id = s->adopt_scratch;
	err = real(s, KU_IOMMU_IOAS_UNMAP, &u);
	if (err)
		return ioasid_err(ctx, err, "adopt: emptying the probe's IOAS %u: %s",
				  s->adopt_scratch, strerror(-err));
	return 0;
}

/* The probe's IOAS goes with the seam. */
static void adopt_drop_scratch(struct ioasid_ctx *ctx)
{
	struct ifd_ctx *s = ifd_of(ctx);
	struct ku_iommu_destroy d = { .size = sizeof(d), .id = s->adopt_scratch };
	int err;

	if (!s->adopt_scratch)
		return;
	err = real(s, KU_IOMMU_DESTROY, &d);
	if (err)
		ioasid_log(ctx, IOASID_LOG_WARN,
			   "adopt: the kernel keeps the probe's IOAS %u (IOMMU_DESTROY: %s)",
			   s->adopt_scratch, strerror(-err));
	s->adopt_scratch = 0;
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
	adopt_drop_scratch(ctx);
	if (!keep) {
		s->ioctl = forget_ioctl;
		s->own = false;
		s->forgetting = true; /* the fault queues' fds stay open too */
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
