/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The backend table: the only global state of the library.
 */
#include <string.h>

#include "backend.h"

static const struct ioasid_backend_ops *const backends[] = {
	&ioasid_sim_backend,
	&ioasid_iommufd_backend,
	&ioasid_vfio_backend,
};

const struct ioasid_backend_ops *backend_find(enum ioasid_backend_kind kind)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(backends); i++)
		if (backends[i]->kind == kind)
			return backends[i];
	return NULL;
}

const struct ioasid_backend_ops *backend_by_name(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(backends); i++)
		if (strlen(backends[i]->name) == len &&
		    !memcmp(backends[i]->name, name, len))
			return backends[i];
	return NULL;
}

int backend_not_built(struct ioasid_ctx *ctx, const char *name, const char *what)
{
	return ioasid_err(ctx, -EOPNOTSUPP,
			  "the %s backend%s%s is not implemented in libioasid %s yet; use --backend sim",
			  name, what ? " " : "", what ? what : "", PACKAGE_VERSION);
}

/* ---- kernel handles behind a context's objects ---- */

IOASID_EXPORT int ioasid_ctx_fd(struct ioasid_ctx *ctx, int *ret_fd)
{
	int err;

	if (!ctx || !ret_fd)
		return ioasid_err(ctx, -EINVAL, "ioasid_ctx_fd: NULL argument");
	ctx_lock(ctx);
	if (!ctx->ops->ctx_fd)
		err = ioasid_err(ctx, -EOPNOTSUPP, "the %s backend has no kernel fd",
				 ctx->ops->name);
	else
		err = ctx->ops->ctx_fd(ctx, ret_fd);
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_obj_kernel_id(struct ioasid_ctx *ctx, uint32_t id,
				       uint32_t *ret_kernel_id)
{
	struct ioasid_obj *obj;
	int err;

	if (!ctx || !ret_kernel_id)
		return ioasid_err(ctx, -EINVAL, "ioasid_obj_kernel_id: NULL argument");
	obj = ctx_lock_lookup(ctx, id, IOASID_OBJ_NONE, &err);
	if (!obj)
		return err;
	if (!ctx->ops->obj_kernel_id)
		err = ioasid_err(ctx, -EOPNOTSUPP, "the %s backend has no kernel objects (%s %u)",
				 ctx->ops->name, obj_kind_name(obj->kind), id);
	else
		err = ctx->ops->obj_kernel_id(ctx, obj, ret_kernel_id);
	ctx_unlock(ctx);
	return err;
}
