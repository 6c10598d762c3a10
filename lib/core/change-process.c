/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ioasid_ctx_change_process(): the pins of a context move to the calling
 * process (issue 12, docs/live-update.md, kernel-uapi.md §1.9).
 *
 * The core refuses first what the kernel would refuse with EINVAL, an
 * area that is not a file map, so that the message can name the IOAS and
 * the area; the backend then asks the kernel, which checks again under
 * its own locks.
 */
#include "backend/backend.h"
#include "core/ioas-private.h"
#include "core/live-update-private.h"

bool lu_area_file(struct ioasid_ctx *ctx, const struct ioasid_ioas *ioas, const struct iova_area *a,
		  struct lu_file *ret)
{
	struct area_backing b;

	(void)ioas;
	area_backing(ctx, a, &b);
	/*
	 * Only a file's pages can change process (a dma-buf's cannot, the
	 * kernel says EINVAL: kernel-uapi.md §1.9), and only a file can be
	 * mapped again by the successor.
	 */
	if (b.kind != IOASID_BACKING_FILE)
		return false;
	if (ret)
		*ret = (struct lu_file){ .fd = b.fd, .offset = b.offset };
	return true;
}

int lu_map_file(struct ioasid_ctx *ctx, uint32_t ioas, const struct lu_file *f, uint64_t length,
		uint32_t perm, uint64_t iova)
{
	struct ioasid_map_file_opts o = {
		.sz = sizeof(o),
		.fd = f->fd,
		.flags = perm | IOASID_MAP_FIXED_IOVA,
		.offset = f->offset,
		.length = length,
	};

	return ioasid_ioas_map_file(ctx, ioas, &o, &iova);
}

/* The message for area @a, which is not a file map. */
static int anon_refused(struct ioasid_ctx *ctx, const char *what, const struct ioasid_ioas *ioas,
			const struct iova_area *a)
{
	struct area_backing b;

	area_backing(ctx, a, &b);
	if (b.kind == IOASID_BACKING_DMABUF)
		return ioasid_err(ctx, -EINVAL,
				  "%s: IOAS %u maps [0x%llx, 0x%llx] from a dma-buf, which cannot move to another process (only file maps can)",
				  what, ioas->obj.id, (unsigned long long)a->iova,
				  (unsigned long long)a->last);
	return ioasid_err(ctx, -EINVAL,
			  "%s: IOAS %u maps [0x%llx, 0x%llx] from process memory at va 0x%llx, which cannot move to another process (only file maps can)",
			  what, ioas->obj.id, (unsigned long long)a->iova,
			  (unsigned long long)a->last, (unsigned long long)a->uva);
}

int lu_first_anon_area(struct ioasid_ctx *ctx, const char *what)
{
	struct ioasid_obj *obj;
	uint32_t pos = 0;

	while ((obj = obj_next(ctx, IOASID_OBJ_IOAS, &pos))) {
		struct ioasid_ioas *ioas = (struct ioasid_ioas *)obj;
		const struct iova_area *a;

		for (a = iova_tree_first_in(ioas->areas, 0, UINT64_MAX); a;
		     a = iova_tree_next(ioas->areas, a)) {
			if (lu_area_file(ctx, ioas, a, NULL))
				continue;
			return anon_refused(ctx, what, ioas, a);
		}
	}
	return 0;
}

int lu_backend_check(struct ioasid_ctx *ctx, const char *what)
{
	if (ctx->ops->change_process)
		return 0;
	return ioasid_err(ctx, -EOPNOTSUPP,
			  "%s: the %s backend cannot move its pins to another process (IOMMU_IOAS_CHANGE_PROCESS needs iommufd)",
			  what, ctx->ops->name);
}

IOASID_EXPORT int ioasid_ctx_change_process(struct ioasid_ctx *ctx)
{
	int err;

	if (!ctx)
		return -EINVAL;
	ctx_lock(ctx);
	err = lu_backend_check(ctx, "change process");
	err = err ?: lu_first_anon_area(ctx, "change process");
	if (!err)
		err = ctx->ops->change_process(ctx);
	ctx_unlock(ctx);
	return err;
}
