/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * File and dma-buf maps: IOMMU_IOAS_MAP_FILE's rules (kernel-uapi.md §4.9)
 * on every backend. A file area is recorded like the pages of a copy
 * (io-pagetable.c's shared-pages records), with the file: the library's
 * duplicate of the caller's fd and the file offset. The file offset plays
 * the part of the process address for the alignment rules and the
 * automatic IOVA choice, as in the kernel; the area's uva is the
 * backend's view of the range (the sim's mmap) or, without one, the file
 * offset itself, so that a piece of the area (a copy) still finds its
 * file offset.
 *
 * Pinning follows the kernel: a memfd's pages are pinned and charged as
 * process memory where and when the kernel pins them (an IOAS with a
 * domain), and pin_check_file() refuses what memfd_pin_folios() refuses;
 * a dma-buf is the exporter's memory and is never charged.
 */
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "ioas-private.h"
#include "backend/backend.h"

#ifndef DMA_BUF_MAGIC
#define DMA_BUF_MAGIC 0x444d4142
#endif

#define X(v) ((unsigned long long)(v))

static const char *const kind_names[] = {
	[IOASID_BACKING_VA] = "process memory",
	[IOASID_BACKING_FILE] = "a file",
	[IOASID_BACKING_DMABUF] = "a dma-buf",
};

/* A file the caller handed in, as the library keeps it. */
struct file_in {
	int fd; /* the library's duplicate */
	enum ioasid_backing_kind kind;
	uint64_t ino;
};

/*
 * Take a duplicate of the caller's fd and tell a dma-buf from a file, as
 * the kernel tries dma_buf_get() first; a dma-buf's range must lie inside
 * the buffer (iopt_alloc_dmabuf_pages()).
 */
static int file_take(struct ioasid_ctx *ctx, const struct ioasid_map_file_opts *o,
		     struct file_in *ret)
{
	struct statfs sfs;
	struct stat st;
	off_t size;
	int fd;

	if (o->fd < 0 || fstatfs(o->fd, &sfs) || fstat(o->fd, &st))
		return ioasid_err(ctx, -EBADF, "fd %d is not an open file", (int)o->fd);
	ret->kind = sfs.f_type == DMA_BUF_MAGIC ? IOASID_BACKING_DMABUF : IOASID_BACKING_FILE;
	ret->ino = st.st_ino;
	if (!(ctx->ops->map_file_kinds & (1u << ret->kind)))
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "the %s backend cannot map %s (IOMMU_IOAS_MAP_FILE needs the iommufd backend%s)",
				  ctx->ops->name, kind_names[ret->kind],
				  ret->kind == IOASID_BACKING_DMABUF ?
					  "; the sim imports no dma-buf" :
					  "");
	if (ret->kind == IOASID_BACKING_DMABUF) {
		size = lseek(o->fd, 0, SEEK_END);
		if (size < 0 || o->offset + o->length - 1 >= (uint64_t)size)
			return ioasid_err(ctx, -EINVAL,
					  "offset 0x%llx + length 0x%llx does not fit in the dma-buf of fd %d (size 0x%llx)",
					  X(o->offset), X(o->length), (int)o->fd,
					  X(size < 0 ? 0 : size));
	}
	fd = fcntl(o->fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return ioasid_err(ctx, -errno, "cannot duplicate fd %d: %s", (int)o->fd,
				  ioasid_strerrno(-errno));
	ret->fd = fd;
	return 0;
}

/*
 * The record of a new file area at @iova, its one claim the area's; the
 * backend's view made here. Return its index, or 0 with the error in
 * *@err (@in->fd is then still the caller's to close).
 */
static uint32_t file_record(struct ioasid_ctx *ctx, const struct file_in *in,
			    const struct ioasid_map_file_opts *o, uint64_t iova, int *err)
{
	struct iova_area a = {
		.iova = iova,
		.last = iova + o->length - 1,
		.uva = o->offset,
		.cookie = o->flags & AREA_PERM_MASK,
	};
	struct ioas_pages *p;
	uint64_t view = 0;
	uint32_t idx;

	if (ctx->ops->file_view && in->kind == IOASID_BACKING_FILE) {
		*err = ctx->ops->file_view(ctx, in->fd, o->offset, o->length,
					   o->flags & IOASID_MAP_WRITE, &view);
		if (*err)
			return 0;
	}
	if (view)
		a.uva = view;
	if (pin_exempt(ctx))
		a.cookie |= AREA_NOACCT;
	idx = iopt_pages_new(ctx, &a, false);
	p = &ctx->pages[idx - 1];
	p->fd = in->fd;
	p->offset = o->offset;
	p->ino = in->ino;
	p->kind = (uint8_t)in->kind;
	p->view = view != 0;
	return idx;
}

void iopt_file_release(struct ioasid_ctx *ctx, struct ioas_pages *p)
{
	if (p->view && ctx->ops->file_unview)
		ctx->ops->file_unview(ctx, p->fd, p->uva, p->length);
	close(p->fd);
	p->fd = -1;
	p->view = false;
	p->kind = IOASID_BACKING_VA;
}

int iopt_map_file(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
		  const struct ioasid_map_file_opts *o, uint64_t *inout_iova)
{
	struct file_in in = { .fd = -1 };
	uint64_t where, end;
	uint32_t idx;
	int err;

	err = iopt_check_map_args(ctx, o->flags, o->length, inout_iova);
	if (err)
		return err;
	if (__builtin_add_overflow(o->offset, o->length - 1, &end))
		return ioasid_err(ctx, -EOVERFLOW, "offset 0x%llx + length 0x%llx wraps",
				  X(o->offset), X(o->length));
	err = file_take(ctx, o, &in);
	if (!err)
		err = iopt_check_aligned(ctx, ioas, "offset", o->offset, o->length);
	if (!err)
		err = iopt_pages_reserve(ctx, 1);
	if (!err)
		err = iopt_area_place(ctx, ioas, o->flags, o->offset, o->length, *inout_iova,
				      &where);
	if (err)
		goto fail;
	idx = file_record(ctx, &in, o, where, &err);
	if (!idx)
		goto fail;
	err = iopt_area_add(ctx, ioas, where, ctx->pages[idx - 1].uva, o->length, o->flags, idx);
	if (err) {
		iopt_pages_put(ctx, idx); /* closes the fd */
		return err;
	}
	*inout_iova = where;
	return 0;
fail:
	if (in.fd >= 0)
		close(in.fd);
	return err;
}

void area_backing(struct ioasid_ctx *ctx, const struct iova_area *a, struct area_backing *ret)
{
	const struct ioas_pages *p = iopt_area_pages(ctx, a);

	if (!p || p->kind == IOASID_BACKING_VA) {
		*ret = (struct area_backing){ .kind = IOASID_BACKING_VA, .fd = -1 };
		return;
	}
	ret->kind = (enum ioasid_backing_kind)p->kind;
	ret->fd = p->fd;
	ret->offset = p->offset + (a->uva - p->uva);
	ret->ino = p->ino;
	ret->revoked = p->revoked;
}

uint64_t area_view_uva(struct ioasid_ctx *ctx, const struct iova_area *a)
{
	const struct ioas_pages *p = iopt_area_pages(ctx, a);

	return !p || p->kind == IOASID_BACKING_VA || p->view ? a->uva : 0;
}
