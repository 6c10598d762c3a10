/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dma-bufs (issue 12): a device's BAR exported as a dma-buf, and the
 * revocation of a mapped dma-buf, which the kernel carries out without a
 * word to user space (kernel-uapi.md §4.9). The library marks an area
 * over a revoked buffer when it knows: it unbound the exporting device
 * itself (vfio-pci revokes a device's dma-bufs when its fd closes), or the
 * VMM tells it (ioasid_dmabuf_revoked()). The owner of the area's IOAS
 * hears it through its revoke callback and the log.
 */
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "dev-private.h"
#include "ioas-private.h"
#include "backend/backend.h"

#ifndef DMA_BUF_MAGIC
#define DMA_BUF_MAGIC 0x444d4142
#endif

#define X(v) ((unsigned long long)(v))

/* Tell @ioas's owner that area @a lost its buffer. */
static void tell_owner(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, const struct iova_area *a)
{
	ioasid_log(ctx, IOASID_LOG_WARN,
		   "IOAS %u (set %u): the dma-buf behind [0x%llx, 0x%llx] was revoked by its exporter; DMA there no longer reaches it",
		   ioas->obj.id, ioas->set, X(a->iova), X(a->last));
	if (ioas->revoke_cb)
		ioas->revoke_cb(ioas->revoke_cb_data, ctx, ioas->obj.id, a->iova,
				a->last - a->iova + 1);
}

uint32_t iopt_dmabuf_revoke(struct ioasid_ctx *ctx, uint64_t ino)
{
	struct ioasid_ioas *ioas;
	struct ioas_pages *p;
	struct iova_area *a;
	uint32_t pos = 0, n = 0, i;

	/* records first: a record shared by several areas is marked once, all its areas told */
	for (i = 0; i < ctx->nr_pages; i++) {
		p = &ctx->pages[i];
		if (p->refs && p->kind == IOASID_BACKING_DMABUF && p->ino == ino && !p->revoked)
			p->revoked = 2; /* newly: its areas are told below */
	}
	while ((ioas = (struct ioasid_ioas *)obj_next(ctx, IOASID_OBJ_IOAS, &pos)))
		for (a = iova_tree_first_in(ioas->areas, 0, UINT64_MAX); a;
		     a = iova_tree_next(ioas->areas, a)) {
			p = iopt_area_pages(ctx, a);
			if (p && p->revoked == 2) {
				tell_owner(ctx, ioas, a);
				n++;
			}
		}
	for (i = 0; i < ctx->nr_pages; i++)
		if (ctx->pages[i].revoked)
			ctx->pages[i].revoked = 1;
	return n;
}

void dmabuf_exporter_gone(struct ioasid_ctx *ctx, struct ioasid_dev *dev)
{
	uint32_t i;

	for (i = 0; i < dev->nr_dmabufs; i++)
		iopt_dmabuf_revoke(ctx, dev->dmabufs[i]);
}

/* Remember that @dev exported the dma-buf of @fd, for its unbind. */
static int remember_export(struct ioasid_ctx *ctx, struct ioasid_dev *dev, int fd)
{
	struct stat st;
	uint64_t *arr;

	if (fstat(fd, &st))
		return ioasid_err(ctx, -errno, "cannot read the new dma-buf: %s",
				  ioasid_strerrno(-errno));
	arr = ioasid_array_room(dev->dmabufs, &dev->cap_dmabufs, dev->nr_dmabufs + 1, sizeof(*arr));
	if (!arr)
		return ioasid_err(ctx, -ENOMEM, "out of memory for the dma-bufs of device %s",
				  dev->name);
	dev->dmabufs = arr;
	dev->dmabufs[dev->nr_dmabufs++] = st.st_ino;
	return 0;
}

IOASID_EXPORT int ioasid_dev_bar_dmabuf(struct ioasid_ctx *ctx, uint32_t id, uint32_t bar,
					uint64_t offset, uint64_t length, int *ret_fd)
{
	struct ioasid_dev *dev;
	int err, fd = -1;

	if (!ctx || !ret_fd)
		return ioasid_err(ctx, -EINVAL, "ioasid_dev_bar_dmabuf: NULL argument");
	dev = ctx_lock_lookup(ctx, id, IOASID_OBJ_DEV, &err);
	if (!dev)
		return err;
	if (!ctx->ops->dev_bar_dmabuf)
		err = ioasid_err(ctx, -EOPNOTSUPP,
				 "the %s backend cannot export a BAR as a dma-buf (VFIO_DEVICE_FEATURE_DMA_BUF needs a VFIO device on the iommufd backend)",
				 ctx->ops->name);
	else
		err = ctx->ops->dev_bar_dmabuf(ctx, dev, bar, offset, length, &fd);
	if (!err) {
		err = remember_export(ctx, dev, fd);
		if (err)
			close(fd);
		else
			*ret_fd = fd;
	}
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_dmabuf_revoked(struct ioasid_ctx *ctx, int fd, uint32_t *ret_areas)
{
	struct statfs sfs;
	struct stat st;
	uint32_t n;

	if (!ctx)
		return -EINVAL;
	if (fd < 0 || fstatfs(fd, &sfs) || fstat(fd, &st))
		return ioasid_err(ctx, -EBADF, "fd %d is not an open file", fd);
	if (sfs.f_type != DMA_BUF_MAGIC)
		return ioasid_err(ctx, -EINVAL, "fd %d is not a dma-buf", fd);
	ctx_lock(ctx);
	n = iopt_dmabuf_revoke(ctx, st.st_ino);
	ctx_unlock(ctx);
	if (ret_areas)
		*ret_areas = n;
	return 0;
}

IOASID_EXPORT int ioasid_ioas_set_revoke_cb(struct ioasid_ctx *ctx, uint32_t id,
					    ioasid_revoke_cb cb, void *data)
{
	struct ioasid_ioas *ioas;
	int err;

	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS, &err);
	if (!ioas)
		return err;
	ioas->revoke_cb = cb;
	ioas->revoke_cb_data = data;
	ctx_unlock(ctx);
	return 0;
}
