/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HW queues: a queue in guest memory the IOMMU reads directly, pinned by
 * the kernel while it lives (kernel-uapi.md §1.8).
 */
#include <string.h>

#include "viommu-private.h"
#include "trace-private.h"
#include "json-private.h"
#include "backend/backend.h"

#define X(v) ((unsigned long long)(v))

static int hw_queue_obj_teardown(struct ioasid_ctx *ctx, struct ioasid_obj *obj)
{
	struct ioasid_hw_queue *hq = (struct ioasid_hw_queue *)obj;

	if (!hq->be)
		return 0;
	return be_refused(ctx, ctx->ops->hw_queue_destroy(ctx, hq));
}

static void hw_queue_obj_destroy(struct ioasid_ctx *ctx, struct ioasid_obj *obj)
{
	struct ioasid_hw_queue *hq = (struct ioasid_hw_queue *)obj;

	(void)ctx;
	hq->viommu->obj.users--;
	ioasid_free(hq);
}

static json_t *hw_queue_obj_dump(struct ioasid_ctx *ctx, struct ioasid_obj *obj, uint32_t flags)
{
	struct ioasid_hw_queue *hq = (struct ioasid_hw_queue *)obj;

	(void)ctx;
	(void)flags;
	return json_pack("{s:s,s:i,s:i,s:o,s:i,s:o,s:o}", "kind", "hw_queue", "id",
			 (json_int_t)hq->obj.id, "viommu", (json_int_t)hq->viommu->obj.id, "type",
			 dump_hex(hq->type), "index", (json_int_t)hq->index, "iova",
			 dump_hex(hq->iova), "length", dump_hex(hq->length));
}

const struct ioasid_obj_ops ioasid_hw_queue_obj_ops = {
	.name = "hw_queue",
	.noun = "a HW queue",
	.missing = "no HW queue",
	.names_other_kind = true,
	.teardown = hw_queue_obj_teardown,
	.destroy = hw_queue_obj_destroy,
	.dump = hw_queue_obj_dump,
};

/* IOMMU_HW_QUEUE_ALLOC's checks before the driver, in the kernel's order. */
static int hw_queue_check(struct ioasid_ctx *ctx, const struct ioasid_hw_queue_opts *o)
{
	if (o->flags)
		return ioasid_err(ctx, -EOPNOTSUPP, "HW queue flags 0x%x: none are defined",
				  o->flags);
	if (!o->type)
		return ioasid_err(ctx, -EOPNOTSUPP, "HW queue type 0 is reserved");
	if (!o->length)
		return ioasid_err(ctx, -EINVAL, "HW queue length 0");
	if (o->iova + (o->length - 1) < o->iova)
		return ioasid_err(ctx, -EOVERFLOW, "HW queue [0x%llx, +0x%llx) wraps around",
				  X(o->iova), X(o->length));
	return 0;
}

IOASID_EXPORT int ioasid_hw_queue_alloc(struct ioasid_ctx *ctx, uint32_t viommu,
					const struct ioasid_hw_queue_opts *opts,
					uint32_t *ret_hw_queue)
{
	struct ioasid_hw_queue_opts o = { 0 };
	struct ioasid_hw_queue *hq;
	struct ioasid_viommu *v;
	int err;

	if (!ctx)
		return -EINVAL;
	if (!opts || !ret_hw_queue)
		return ioasid_err(ctx, -EINVAL, "ioasid_hw_queue_alloc: %s is NULL",
				  opts ? "ret_hw_queue" : "opts");
	err = ioasid_opts_check(ctx, opts, opts->sz, sizeof(o), "struct ioasid_hw_queue_opts");
	if (err)
		return err;
	memcpy(&o, opts, IOASID_MIN(opts->sz, sizeof(o)));
	err = hw_queue_check(ctx, &o);
	if (err)
		return err;
	v = ctx_lock_lookup(ctx, viommu, IOASID_OBJ_VIOMMU, &err);
	if (!v)
		return err;
	hq = obj_alloc(ctx, IOASID_OBJ_HW_QUEUE, sizeof(*hq), &err);
	if (!hq)
		goto out;
	hq->viommu = v;
	hq->type = o.type;
	hq->index = o.index;
	hq->iova = o.iova;
	hq->length = o.length;
	err = ctx->ops->hw_queue_alloc(ctx, hq);
	if (err) {
		obj_abort(ctx, &hq->obj);
		goto out;
	}
	v->obj.users++;
	obj_publish(ctx, &hq->obj);
	*ret_hw_queue = hq->obj.id;
out:
	TRACE(ctx, trace_hw_queue_alloc(ctx, viommu, &o, ret_hw_queue, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_hw_queue_destroy(struct ioasid_ctx *ctx, uint32_t id)
{
	return obj_destroy_kind(ctx, id, IOASID_OBJ_HW_QUEUE, "hw_queue_destroy");
}
