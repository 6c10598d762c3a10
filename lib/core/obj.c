/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The per-context object table: ids, reserve-then-publish, per-kind ops.
 *
 * Ids are small positive integers; a released id is reused, as iommufd's
 * xarray reuses them. A reserved slot holds NULL until obj_publish(), so a
 * half-built object is never visible to lookups.
 */
#include <string.h>

#include "private.h"
#include "viommu-private.h"
#include "trace-private.h"

/* Per-kind operations, indexed by enum ioasid_obj_kind. */
static const struct ioasid_obj_ops *const obj_ops[] = {
	[IOASID_OBJ_IOAS] = &ioasid_ioas_obj_ops,
	[IOASID_OBJ_SET] = &ioasid_set_obj_ops,
	[IOASID_OBJ_DEV] = &ioasid_dev_obj_ops,
	[IOASID_OBJ_HWPT] = &ioasid_hwpt_obj_ops,
	[IOASID_OBJ_FAULT_QUEUE] = &ioasid_fault_queue_obj_ops,
	[IOASID_OBJ_VIOMMU] = &ioasid_viommu_obj_ops,
	[IOASID_OBJ_VDEVICE] = &ioasid_vdevice_obj_ops,
	[IOASID_OBJ_VEVENTQ] = &ioasid_veventq_obj_ops,
	[IOASID_OBJ_HW_QUEUE] = &ioasid_hw_queue_obj_ops,
};

static const struct ioasid_obj_ops *ops_of(enum ioasid_obj_kind kind)
{
	if ((unsigned int)kind < ARRAY_SIZE(obj_ops))
		return obj_ops[kind];
	return NULL;
}

const char *obj_kind_name(enum ioasid_obj_kind kind)
{
	const struct ioasid_obj_ops *ops = ops_of(kind);

	if (kind == IOASID_OBJ_NONE)
		return "none";
	return ops ? ops->name : "?";
}

struct json_t *obj_dump(struct ioasid_ctx *ctx, struct ioasid_obj *obj, uint32_t flags)
{
	return ops_of(obj->kind)->dump(ctx, obj, flags);
}

static int obj_reserve(struct ioasid_ctx *ctx, uint32_t *ret_id)
{
	uint32_t id;

	/*
	 * The free stack must hold every id there is, so that releasing one
	 * (obj_abort(), obj_remove()) can never fail: grow it with the table.
	 */
	if (ctx->cap_free < ctx->nr_slots + 1) {
		uint32_t ncap = ctx->cap_free ? ctx->cap_free : 16;
		uint32_t *n;

		while (ncap < ctx->nr_slots + 1)
			ncap *= 2;
		n = ioasid_realloc(ctx->free_ids, ncap * sizeof(*n));
		if (!n)
			return ioasid_err(ctx, -ENOMEM, "out of memory for the object id table");
		ctx->free_ids = n;
		ctx->cap_free = ncap;
	}
	if (ctx->nr_free) {
		id = ctx->free_ids[--ctx->nr_free];
	} else {
		if (ctx->nr_slots == UINT32_MAX - 1)
			return ioasid_err(ctx, -ENOSPC, "object ids exhausted");
		if (ctx->nr_slots == ctx->cap_slots) {
			uint32_t ncap = ctx->cap_slots ? ctx->cap_slots * 2 : 16;
			struct ioasid_obj **n =
				ioasid_realloc(ctx->objs, ncap * sizeof(*n));

			if (!n)
				return ioasid_err(ctx, -ENOMEM, "out of memory for the object id table");
			ctx->objs = n;
			ctx->cap_slots = ncap;
		}
		ctx->objs[ctx->nr_slots] = NULL;
		id = ++ctx->nr_slots;
	}
	*ret_id = id;
	return 0;
}

/* Give an id back (it was reserved, or its object was removed). */
static void id_release(struct ioasid_ctx *ctx, uint32_t id)
{
	ctx->objs[id - 1] = NULL;
	ctx->free_ids[ctx->nr_free++] = id;
}

void *obj_alloc(struct ioasid_ctx *ctx, enum ioasid_obj_kind kind, size_t size,
		int *ret_err)
{
	struct ioasid_obj *obj;
	uint32_t id = 0;

	*ret_err = obj_reserve(ctx, &id);
	if (*ret_err)
		return NULL;
	obj = ioasid_calloc(1, size);
	if (!obj) {
		id_release(ctx, id);
		*ret_err = ioasid_err(ctx, -ENOMEM, "out of memory for %s", ops_of(kind)->noun);
		return NULL;
	}
	obj->id = id;
	obj->kind = kind;
	return obj;
}

void obj_publish(struct ioasid_ctx *ctx, struct ioasid_obj *obj)
{
	ctx->objs[obj->id - 1] = obj;
	ctx->nr_objs++;
}

void obj_abort(struct ioasid_ctx *ctx, struct ioasid_obj *obj)
{
	const struct ioasid_obj_ops *ops = ops_of(obj->kind);
	uint32_t id = obj->id;

	if (ops->abort)
		ops->abort(ctx, obj);
	else
		ioasid_free(obj);
	id_release(ctx, id);
}

void obj_remove(struct ioasid_ctx *ctx, struct ioasid_obj *obj)
{
	id_release(ctx, obj->id);
	ctx->nr_objs--;
}

int obj_ids_preset(struct ioasid_ctx *ctx, const uint32_t *order, uint32_t n, uint32_t max_id)
{
	struct ioasid_obj **objs;
	uint32_t *ids, i, top = 0;
	bool *wanted;

	if (ctx->nr_slots || !max_id)
		return ioasid_err(ctx, -EINVAL,
				  "object ids can only be laid out in an empty context");
	objs = ioasid_calloc(max_id, sizeof(*objs));
	ids = ioasid_calloc(max_id, sizeof(*ids));
	wanted = ioasid_calloc(max_id, sizeof(*wanted));
	if (!objs || !ids || !wanted) {
		ioasid_free(objs);
		ioasid_free(ids);
		ioasid_free(wanted);
		return ioasid_err(ctx, -ENOMEM, "out of memory for the object id table");
	}
	/* the stack pops from its top: the ids nobody asked for at the bottom */
	for (i = 0; i < n; i++)
		wanted[order[i] - 1] = true;
	for (i = max_id; i > 0; i--)
		if (!wanted[i - 1])
			ids[top++] = i;
	for (i = n; i > 0; i--)
		ids[top++] = order[i - 1];
	ioasid_free(wanted);
	ioasid_free(ctx->objs);
	ioasid_free(ctx->free_ids);
	ctx->objs = objs;
	ctx->cap_slots = ctx->nr_slots = max_id;
	ctx->free_ids = ids;
	ctx->cap_free = max_id;
	ctx->nr_free = top;
	return 0;
}

int obj_missing(struct ioasid_ctx *ctx, uint32_t id, enum ioasid_obj_kind kind)
{
	const struct ioasid_obj_ops *ops = ops_of(kind);

	return ioasid_err(ctx, -ENOENT, "%s with id %u", ops ? ops->missing : "no object", id);
}

int obj_lookup_failed(struct ioasid_ctx *ctx, uint32_t id, enum ioasid_obj_kind kind)
{
	struct ioasid_obj *obj = obj_find(ctx, id, IOASID_OBJ_NONE);
	const struct ioasid_obj_ops *ops = ops_of(kind);

	if (obj && ops && ops->names_other_kind)
		return ioasid_err(ctx, -ENOENT, "object %u is a %s, not %s", id,
				  obj_kind_name(obj->kind), ops->noun);
	return obj_missing(ctx, id, kind);
}

struct ioasid_obj *obj_next(struct ioasid_ctx *ctx, enum ioasid_obj_kind kind,
			    uint32_t *pos)
{
	while (*pos < ctx->nr_slots) {
		struct ioasid_obj *obj = ctx->objs[(*pos)++];

		if (obj && (kind == IOASID_OBJ_NONE || obj->kind == kind))
			return obj;
	}
	return NULL;
}

int obj_destroy_locked(struct ioasid_ctx *ctx, uint32_t id)
{
	struct ioasid_obj *obj = obj_lookup(ctx, id, IOASID_OBJ_NONE);
	const struct ioasid_obj_ops *ops;

	if (!obj)
		return -ENOENT;
	ops = ops_of(obj->kind);
	if (!ops || !ops->destroy)
		return ioasid_err(ctx, -EINVAL, "%s %u cannot be destroyed by id",
				  obj_kind_name(obj->kind), id);
	if (obj->users)
		return ioasid_err(ctx, -EBUSY, "%s %u is in use by %u other object(s)",
				  obj_kind_name(obj->kind), id, obj->users);
	if (ops->teardown) {
		int err = ops->teardown(ctx, obj);

		if (err)
			return err;
	}
	obj_remove(ctx, obj);
	ops->destroy(ctx, obj);
	return 0;
}

int obj_destroy_kind(struct ioasid_ctx *ctx, uint32_t id, enum ioasid_obj_kind kind, const char *op)
{
	int err;

	if (!ctx_lock_lookup(ctx, id, kind, &err))
		return err;
	err = obj_destroy_locked(ctx, id);
	TRACE(ctx, trace_destroy(ctx, op, id, err));
	ctx_unlock(ctx);
	return err;
}

int be_refused(struct ioasid_ctx *ctx, int err)
{
	if (!err || !ctx->closing)
		return err;
	ioasid_log(ctx, IOASID_LOG_ERR, "closing the context: %s", ioasid_ctx_errmsg(ctx));
	return 0;
}

/*
 * Destroy everything, dependents first: repeat passes until the table is
 * empty, each pass destroying the objects nobody uses any more.
 */
void obj_destroy_all(struct ioasid_ctx *ctx)
{
	bool progress = true;

	while (ctx->nr_objs && progress) {
		uint32_t i;

		progress = false;
		for (i = ctx->nr_slots; i > 0; i--) {
			struct ioasid_obj *obj = ctx->objs[i - 1];
			const struct ioasid_obj_ops *ops;

			if (!obj || obj->users)
				continue;
			ops = ops_of(obj->kind);
			/* closing: a refusal was logged, and the record goes anyway */
			if (ops && ops->teardown)
				(void)ops->teardown(ctx, obj);
			obj_remove(ctx, obj);
			if (ops && ops->destroy)
				ops->destroy(ctx, obj);
			progress = true;
		}
	}
}

void obj_table_free(struct ioasid_ctx *ctx)
{
	ioasid_free(ctx->objs);
	ioasid_free(ctx->free_ids);
	ctx->objs = NULL;
	ctx->free_ids = NULL;
}

IOASID_EXPORT int ioasid_obj_destroy(struct ioasid_ctx *ctx, uint32_t id)
{
	int ret;

	if (!ctx)
		return -EINVAL;
	ctx_lock(ctx);
	ret = obj_destroy_locked(ctx, id);
	TRACE(ctx, trace_destroy(ctx, "destroy", id, ret));
	ctx_unlock(ctx);
	return ret;
}

IOASID_EXPORT enum ioasid_obj_kind ioasid_obj_kind(struct ioasid_ctx *ctx,
						   uint32_t id)
{
	struct ioasid_obj *obj;
	enum ioasid_obj_kind kind;

	if (!ctx)
		return IOASID_OBJ_NONE;
	ctx_lock(ctx);
	obj = obj_find(ctx, id, IOASID_OBJ_NONE);
	kind = obj ? obj->kind : IOASID_OBJ_NONE;
	ctx_unlock(ctx);
	return kind;
}
