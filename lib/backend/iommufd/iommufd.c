/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The iommufd backend: /dev/iommu plus VFIO device cdevs
 * (kernel-uapi.md §1, §2.1). This file opens and closes the context,
 * holds the ops table and answers for handles and kernel ids; each kind
 * of kernel object has its own file (see iommufd-private.h).
 *
 * The core validates every request against its own records and chooses
 * every IOVA; it calls this backend only for a change it has accepted, and
 * rolls its records back when the kernel refuses.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iommufd-private.h"

int iommufd_set_ioctl_hook(struct ioasid_ctx *ctx, ku_ioctl_fn fn, void *data)
{
	if (!ctx || ctx->ops != &ioasid_iommufd_backend)
		return -EINVAL;
	ifd_of(ctx)->ioctl = fn ? fn : ku_sys_ioctl;
	ifd_of(ctx)->ioctl_data = data;
	return 0;
}

int iommufd_set_fault_io_hook(struct ioasid_ctx *ctx, ku_fault_io_fn fn, void *data)
{
	if (!ctx || ctx->ops != &ioasid_iommufd_backend)
		return -EINVAL;
	ifd_of(ctx)->fault_io = fn ? fn : ku_sys_fault_io;
	ifd_of(ctx)->fault_io_data = data;
	return 0;
}

/* Tests: "iommufd:PATH" opens any character device (the fake kernel's node). */
static bool open_any_node;

void iommufd_set_open_any_node(bool any)
{
	open_any_node = any;
}

int iommufd_set_sysfs_root(struct ioasid_ctx *ctx, const char *root)
{
	if (!ctx || ctx->ops != &ioasid_iommufd_backend || !root)
		return -EINVAL;
	snprintf(ifd_of(ctx)->sysfs, sizeof(ifd_of(ctx)->sysfs), "%s", root);
	return 0;
}

static struct {
	ku_ioctl_fn ioctl;
	void *ioctl_data;
	ku_fault_io_fn fault_io;
	void *fault_io_data;
	char sysfs[PATH_MAX];
} test_defaults;

void iommufd_set_test_defaults(ku_ioctl_fn fn, void *data, ku_fault_io_fn fault_fn,
			       void *fault_data, const char *sysfs_root)
{
	test_defaults.ioctl = fn;
	test_defaults.ioctl_data = data;
	test_defaults.fault_io = fault_fn;
	test_defaults.fault_io_data = fault_data;
	snprintf(test_defaults.sysfs, sizeof(test_defaults.sysfs), "%s",
		 sysfs_root ? sysfs_root : "");
}

static int ifd_setup(struct ioasid_ctx *ctx, int fd, bool own, const char *path)
{
	struct ifd_ctx *s = ioasid_calloc(1, sizeof(*s));

	if (!s)
		return ioasid_err(ctx, -ENOMEM, "out of memory for the iommufd backend");
	s->fd = fd;
	s->own = own;
	s->ioctl = test_defaults.ioctl ? test_defaults.ioctl : ku_sys_ioctl;
	s->ioctl_data = test_defaults.ioctl_data;
	s->fault_io = test_defaults.fault_io ? test_defaults.fault_io : ku_sys_fault_io;
	s->fault_io_data = test_defaults.fault_io_data;
	snprintf(s->sysfs, sizeof(s->sysfs), "%s",
		 test_defaults.sysfs[0] ? test_defaults.sysfs : "/sys");
	snprintf(s->path, sizeof(s->path), "%s", path);
	ctx->be = s;
	/*
	 * iommufd has no context-wide PASID width: take the widest of the
	 * host's IOMMUs as sysfs shows them (0 on an IOMMU without PASIDs,
	 * as QEMU's VT-d), PCIe's 20 bits when it shows none.
	 */
	ctx->pasid_width = (uint32_t)ku_host_pasid_width(s->sysfs);
	return 0;
}

/*
 * "iommufd:PATH" opens PATH, which must be the iommu misc device under any
 * name: another character device (/dev/zero) would open and answer every
 * ioctl ENOTTY, so that the failure came at the first call instead of here.
 */
static int iommufd_open(struct ioasid_ctx *ctx, const char *arg)
{
	const char *path = arg ? arg : "/dev/iommu";
	char what[128];
	struct stat st;
	int fd, err;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		return ioasid_err(ctx, err, "iommufd: cannot open %s: %s%s", path, strerror(-err),
				  err == -ENOENT ? " (kernel without CONFIG_IOMMUFD?)" : "");
	}
	if (fstat(fd, &st) || !S_ISCHR(st.st_mode)) {
		close(fd);
		return ioasid_err(ctx, -ENODEV, "iommufd: %s is not a character device", path);
	}
	if (!open_any_node && !ku_is_misc_dev(st.st_rdev, "iommu", what, sizeof(what))) {
		close(fd);
		return ioasid_err(ctx, -ENODEV,
				  "iommufd: %s is %s, not the iommu device (/dev/iommu)", path,
				  what);
	}
	err = ifd_setup(ctx, fd, true, path);
	if (err)
		close(fd);
	return err;
}

static int iommufd_open_fd(struct ioasid_ctx *ctx, int fd, bool own)
{
	struct stat st;
	char path[32], what[128];

	if (fstat(fd, &st))
		return ioasid_err(ctx, -EBADF, "iommufd: fd %d: %s", fd, strerror(errno));
	if (!S_ISCHR(st.st_mode))
		return ioasid_err(ctx, -EINVAL, "iommufd: fd %d is not a character device (/dev/iommu)",
				  fd);
	if (!open_any_node && !ku_is_misc_dev(st.st_rdev, "iommu", what, sizeof(what)))
		return ioasid_err(ctx, -EINVAL, "iommufd: fd %d is %s, not /dev/iommu", fd, what);
	snprintf(path, sizeof(path), "fd %d", fd);
	return ifd_setup(ctx, fd, own, path);
}

static void iommufd_close(struct ioasid_ctx *ctx)
{
	struct ifd_ctx *s = ifd_of(ctx);

	if (!s)
		return;
	/* a caller's iommufd outlives us: leave it none of our objects */
	if (s->nr_orphans && !s->own)
		ifd_reap_orphans(ctx);
	if (s->own)
		close(s->fd);
	ioasid_free(s->orphans);
	ioasid_free(s);
	ctx->be = NULL;
}

int ifd_kdestroy(struct ioasid_ctx *ctx, uint32_t id)
{
	struct ku_iommu_destroy d = { .size = sizeof(d), .id = id };

	return kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_DESTROY, &d);
}

/* ---- handles ---- */

static int iommufd_ctx_fd(struct ioasid_ctx *ctx, int *ret_fd)
{
	*ret_fd = ifd_of(ctx)->fd;
	return 0;
}

static int iommufd_dev_fd(struct ioasid_ctx *ctx, struct ioasid_dev *dev, int *ret_fd)
{
	struct ifd_dev *d = dev->be;

	if (d->mock)
		return ioasid_err(ctx, -EOPNOTSUPP, "%s is a selftest device: it has no VFIO fd",
				  dev->name);
	*ret_fd = d->fd;
	return 0;
}

/*
 * A BAR range as a dma-buf: VFIO_DEVICE_FEATURE GET of DMA_BUF with one
 * range on the device's cdev (kernel-uapi.md §2.3); the new fd is the
 * ioctl's value. One range: what IOMMU_IOAS_MAP_FILE imports.
 */
static int iommufd_dev_bar_dmabuf(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t bar,
				  uint64_t offset, uint64_t length, int *ret_fd)
{
	struct {
		struct ku_vfio_device_feature hdr;
		struct ku_vfio_device_feature_dma_buf get;
		struct ku_vfio_region_dma_range range;
	} f = {
		.hdr = { .argsz = sizeof(f),
			 .flags = KU_VFIO_DEVICE_FEATURE_GET | KU_VFIO_DEVICE_FEATURE_DMA_BUF },
		.get = { .region_index = bar, .open_flags = O_RDWR | O_CLOEXEC, .nr_ranges = 1 },
		.range = { .offset = offset, .length = length },
	};
	struct ifd_dev *d = dev->be;
	int r;

	if (d->mock)
		return ioasid_err(ctx, -EOPNOTSUPP, "%s is a selftest device: it has no BARs",
				  dev->name);
	r = kioctl(ctx, d->fd, KU_VFIO_DEVICE_FEATURE, &f);
	if (r < 0)
		return ioasid_err(ctx, r,
				  "VFIO_DEVICE_FEATURE_DMA_BUF of BAR %u offset 0x%llx length 0x%llx of %s: the kernel says %s%s",
				  bar, (unsigned long long)offset, (unsigned long long)length,
				  dev->name, strerror(-r),
				  r == -ENOTTY ? " (a kernel without CONFIG_VFIO_PCI_DMABUF)" : "");
	*ret_fd = r;
	return 0;
}

static int iommufd_obj_kernel_id(struct ioasid_ctx *ctx, struct ioasid_obj *obj,
				 uint32_t *ret_id)
{
	uint32_t id = 0;

	switch (obj->kind) {
	case IOASID_OBJ_IOAS:
		id = ioas_kid((struct ioasid_ioas *)obj);
		break;
	case IOASID_OBJ_DEV:
		id = ((struct ifd_dev *)((struct ioasid_dev *)obj)->be)->devid;
		break;
	case IOASID_OBJ_FAULT_QUEUE: {
		struct ioasid_fault_queue *q = (struct ioasid_fault_queue *)obj;

		id = q->be ? ((struct ifd_fault *)q->be)->id : 0;
		break;
	}
	case IOASID_OBJ_HWPT:
		id = hwpt_kid((struct ioasid_hwpt *)obj);
		if (!id)
			return ioasid_err(ctx, -ENOENT,
					  "HWPT %u is an automatic domain that no device has attached yet: it has no kernel object",
					  obj->id);
		break;
	case IOASID_OBJ_VIOMMU:
	case IOASID_OBJ_VDEVICE:
	case IOASID_OBJ_VEVENTQ:
	case IOASID_OBJ_HW_QUEUE:
		id = ifd_viommu_obj_kid(obj);
		break;
	default:
		return ioasid_err(ctx, -EOPNOTSUPP, "a %s has no iommufd object",
				  obj_kind_name(obj->kind));
	}
	*ret_id = id;
	return 0;
}

const struct ioasid_backend_ops ioasid_iommufd_backend = {
	.name = "iommufd",
	.kind = IOASID_BACKEND_IOMMUFD,
	.open = iommufd_open,
	.open_fd = iommufd_open_fd,
	.close = iommufd_close,
	.kernel_pins = true,
	.ctx_option = iommufd_ctx_option,
	.ioas_alloc = iommufd_ioas_alloc,
	.ioas_destroy = iommufd_ioas_destroy,
	.area_map = iommufd_area_map,
	.area_unmap = iommufd_area_unmap,
	.ioas_set_option = iommufd_ioas_set_option,
	.dev_bind = iommufd_dev_bind,
	.dev_bind_fd = iommufd_dev_bind_fd,
	.dev_unbind = iommufd_dev_unbind,
	.dev_list = iommufd_dev_list,
	.dev_hw_info = iommufd_dev_hw_info,
	.bind_token = true,
	.hwpt_alloc = iommufd_hwpt_alloc,
	.hwpt_destroy = iommufd_hwpt_destroy,
	.hwpt_invalidate = iommufd_hwpt_invalidate,
	.hwpt_invalidate_raw = iommufd_hwpt_invalidate_raw,
	.hwpt_set_dirty = iommufd_hwpt_set_dirty,
	.hwpt_get_dirty = iommufd_hwpt_get_dirty,
	.dev_attach = iommufd_dev_attach,
	.dev_detach = iommufd_dev_detach,
	.fault_alloc = iommufd_fault_alloc,
	.fault_destroy = iommufd_fault_destroy,
	.fault_read = iommufd_fault_read,
	.fault_respond = iommufd_fault_respond,
	.ctx_fd = iommufd_ctx_fd,
	.dev_fd = iommufd_dev_fd,
	.obj_kernel_id = iommufd_obj_kernel_id,
	.change_process = iommufd_change_process,
	.adopt_begin = iommufd_adopt_begin,
	.adopt_end = iommufd_adopt_end,
	.adopt_probe = iommufd_adopt_probe,
	.map_file_kinds = (1u << IOASID_BACKING_FILE) | (1u << IOASID_BACKING_DMABUF),
	.dev_bar_dmabuf = iommufd_dev_bar_dmabuf,
	/* vIOMMU objects */
	.viommu_alloc = iommufd_viommu_alloc,
	.viommu_destroy = iommufd_viommu_destroy,
	.viommu_invalidate = iommufd_viommu_invalidate,
	.vdevice_alloc = iommufd_vdevice_alloc,
	.vdevice_destroy = iommufd_vdevice_destroy,
	.veventq_alloc = iommufd_veventq_alloc,
	.veventq_destroy = iommufd_veventq_destroy,
	.veventq_read = iommufd_veventq_read,
	.hw_queue_alloc = iommufd_hw_queue_alloc,
	.hw_queue_destroy = iommufd_hw_queue_destroy,
};
