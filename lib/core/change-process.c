/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ioasid_ctx_change_process(): the pins of a context move to the calling
 * process (issue 12, docs/live-update.md, kernel-uapi.md §1.8).
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
	/* Before file maps (issue 12 item 2) every area is process memory. */
	(void)ctx;
	(void)ioas;
	(void)a;
	(void)ret;
	return false;
}

int lu_map_file(struct ioasid_ctx *ctx, uint32_t ioas, const struct lu_file *f, uint64_t length,
		uint32_t perm, uint64_t iova)
{
	(void)ioas;
	(void)f;
	(void)length;
	(void)perm;
	(void)iova;
	/* Before file maps (issue 12 item 2) there is nothing to map them with. */
	return ioasid_err(ctx, -EOPNOTSUPP, "file maps are not built yet");
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
			return ioasid_err(ctx, -EINVAL,
					  "%s: IOAS %u maps [0x%llx, 0x%llx] from process memory at va 0x%llx, which cannot move to another process (only file maps can)",
					  what, ioas->obj.id, (unsigned long long)a->iova,
					  (unsigned long long)a->last, (unsigned long long)a->uva);
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
