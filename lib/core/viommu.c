/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vIOMMUs: one VM's slice of a physical IOMMU over a nest parent
 * (kernel-uapi.md §1.8), the nested HWPTs made on one, and the raw vendor
 * invalidations sent to one.
 */
#include <stdlib.h>
#include <string.h>

#include "viommu-private.h"
#include "trace-private.h"
#include "dev-private.h"
#include "hwpt-private.h"
#include "json-private.h"
#include "backend/backend.h"

int viommu_unsupported(struct ioasid_ctx *ctx, const char *what)
{
	return ioasid_err(ctx, -EOPNOTSUPP, "%s: %s", what,
			  ctx->ops->viommu_missing ? ctx->ops->viommu_missing :
						     "this backend has no vIOMMU objects");
}

static int viommu_obj_teardown(struct ioasid_ctx *ctx, struct ioasid_obj *obj)
{
	struct ioasid_viommu *v = (struct ioasid_viommu *)obj;

	if (!v->be)
		return 0;
	return be_refused(ctx, ctx->ops->viommu_destroy(ctx, v));
}

static void viommu_obj_destroy(struct ioasid_ctx *ctx, struct ioasid_obj *obj)
{
	struct ioasid_viommu *v = (struct ioasid_viommu *)obj;

	(void)ctx;
	v->parent->obj.users--;
	ioasid_free(v);
}

static json_t *viommu_obj_dump(struct ioasid_ctx *ctx, struct ioasid_obj *obj, uint32_t flags)
{
	struct ioasid_viommu *v = (struct ioasid_viommu *)obj;

	(void)ctx;
	(void)flags;
	return json_pack("{s:s,s:i,s:o,s:i,s:i,s:o,s:i}", "kind", "viommu", "id",
			 (json_int_t)v->obj.id, "type", dump_hex(v->type), "dev",
			 (json_int_t)v->dev_id, "hwpt", (json_int_t)v->parent->obj.id, "set",
			 v->set ? json_integer(v->set) : json_null(), "nr_vdevices",
			 (json_int_t)v->nr_vdevs);
}

const struct ioasid_obj_ops ioasid_viommu_obj_ops = {
	.name = "viommu",
	.noun = "a vIOMMU",
	.missing = "no vIOMMU",
	.names_other_kind = true,
	.teardown = viommu_obj_teardown,
	.destroy = viommu_obj_destroy,
	.dump = viommu_obj_dump,
};

/* The kernel's IOMMU_VIOMMU_ALLOC checks on the core's records, in its order. */
static int viommu_check(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t hwpt_id,
			const struct ioasid_viommu_opts *o, struct ioasid_dev **ret_dev,
			struct ioasid_hwpt **ret_parent)
{
	struct ioasid_hwpt *parent;

	if (o->flags)
		return ioasid_err(ctx, -EOPNOTSUPP, "vIOMMU flags 0x%x: none are defined", o->flags);
	if (!o->type)
		return ioasid_err(ctx, -EOPNOTSUPP, "vIOMMU type 0 is reserved (no default type)");
	*ret_dev = obj_lookup(ctx, dev_id, IOASID_OBJ_DEV);
	if (!*ret_dev)
		return -ENOENT;
	if (!ctx->ops->viommu_alloc)
		return viommu_unsupported(ctx, "IOMMU_VIOMMU_ALLOC");
	if (ctx->ops->viommu_check) {
		int err = ctx->ops->viommu_check(ctx, *ret_dev, o->type);

		if (err)
			return err;
	}
	/* iommufd_get_hwpt_paging(): a nested HWPT is not found either */
	parent = obj_find(ctx, hwpt_id, IOASID_OBJ_HWPT);
	if (!parent || !hwpt_is_paging(parent))
		return ioasid_err(ctx, -ENOENT, "no paging HWPT with id %u", hwpt_id);
	if (parent->autodom || !(parent->flags & IOASID_HWPT_NEST_PARENT))
		return ioasid_err(ctx, -EINVAL, "a vIOMMU needs a NEST_PARENT HWPT; HWPT %u is %s",
				  hwpt_id,
				  parent->autodom ? "an automatic domain" : "not a nest parent");
	if (o->data_len && !o->data)
		return ioasid_err(ctx, -EFAULT, "vIOMMU data is NULL (data_len %u)", o->data_len);
	*ret_parent = parent;
	return 0;
}

IOASID_EXPORT int ioasid_viommu_alloc(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t hwpt_id,
				      const struct ioasid_viommu_opts *opts, uint32_t *ret_viommu)
{
	struct ioasid_viommu_opts o = { 0 };
	struct ioasid_hwpt *parent = NULL;
	struct ioasid_dev *dev = NULL;
	struct ioasid_viommu *v;
	void *in = NULL; /* tracing: the data as the caller gave it */
	int err;

	if (!ctx)
		return -EINVAL;
	if (!opts || !ret_viommu)
		return ioasid_err(ctx, -EINVAL, "ioasid_viommu_alloc: %s is NULL",
				  opts ? "ret_viommu" : "opts");
	err = ioasid_opts_check(ctx, opts, opts->sz, sizeof(o), "struct ioasid_viommu_opts");
	if (err)
		return err;
	memcpy(&o, opts, IOASID_MIN(opts->sz, sizeof(o)));
	ctx_lock(ctx);
	/* the driver writes its answer over the data: the trace keeps the input */
	if (__builtin_expect(ctx->trace != NULL, 0) && o.data_len && o.data &&
	    (in = malloc(o.data_len)))
		memcpy(in, o.data, o.data_len);
	err = viommu_check(ctx, dev_id, hwpt_id, &o, &dev, &parent);
	if (err)
		goto out;
	v = obj_alloc(ctx, IOASID_OBJ_VIOMMU, sizeof(*v), &err);
	if (!v)
		goto out;
	v->type = o.type;
	v->dev_id = dev_id;
	v->parent = parent;
	v->set = parent->ioas->set;
	err = ctx->ops->viommu_alloc(ctx, v, dev, o.data_len ? o.data : NULL, o.data_len);
	if (err) {
		obj_abort(ctx, &v->obj);
		goto out;
	}
	parent->obj.users++;
	obj_publish(ctx, &v->obj);
	*ret_viommu = v->obj.id;
out:
	TRACE(ctx, trace_viommu_alloc(ctx, dev_id, hwpt_id, &o, in, ret_viommu, err));
	ctx_unlock(ctx);
	free(in);
	return err;
}

IOASID_EXPORT int ioasid_viommu_destroy(struct ioasid_ctx *ctx, uint32_t id)
{
	return obj_destroy_kind(ctx, id, IOASID_OBJ_VIOMMU, "viommu_destroy");
}

IOASID_EXPORT int ioasid_viommu_info(struct ioasid_ctx *ctx, uint32_t id,
				     struct ioasid_viommu_info *ret_info)
{
	struct ioasid_viommu_info i = { .sz = sizeof(i) };
	struct ioasid_viommu *v;
	int err;

	if (!ctx)
		return -EINVAL;
	if (!ret_info || ret_info->sz < offsetof(struct ioasid_viommu_info, nr_users))
		return ioasid_err(ctx, -EINVAL, "ioasid_viommu_info: ret_info is %s",
				  ret_info ? "too small (set its sz)" : "NULL");
	v = ctx_lock_lookup(ctx, id, IOASID_OBJ_VIOMMU, &err);
	if (!v)
		return err;
	i.sz = IOASID_MIN(ret_info->sz, sizeof(i));
	i.type = v->type;
	i.dev = v->dev_id;
	i.hwpt = v->parent->obj.id;
	i.set = v->set;
	i.nr_vdevices = v->nr_vdevs;
	i.nr_users = v->obj.users;
	memcpy(ret_info, &i, i.sz);
	ctx_unlock(ctx);
	return 0;
}

/*
 * iommufd_viommu_alloc_hwpt_nested()'s checks, then the driver's (the
 * backend): flags, data, the driver; the HWPT holds the vIOMMU.
 */
int hwpt_alloc_on_viommu(struct ioasid_ctx *ctx, struct ioasid_dev *dev, struct ioasid_viommu *v,
			 const struct ioasid_hwpt_opts *o, struct ioasid_hwpt **ret)
{
	const uint32_t nested_flags = IOASID_HWPT_FAULT_ID_VALID | IOASID_HWPT_PASID;
	struct ioasid_fault_queue *q = NULL;
	struct ioasid_hwpt *h;
	int err;

	if (o->flags & ~nested_flags)
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "a nested HWPT on vIOMMU %u takes only the FAULT_ID_VALID and PASID flags, not 0x%x",
				  v->obj.id, o->flags & ~nested_flags);
	if (!o->data_len)
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "a nested HWPT on vIOMMU %u needs its driver's data (data_len 0)",
				  v->obj.id);
	if (o->data_len > sizeof(h->vdata))
		return ioasid_err(ctx, -E2BIG,
				  "nested HWPT data_len %u: the library keeps up to %zu bytes",
				  o->data_len, sizeof(h->vdata));
	if (!o->data)
		return ioasid_err(ctx, -EFAULT, "nested HWPT data is NULL (data_len %u)",
				  o->data_len);
	err = hwpt_check_queue(ctx, o->flags, o->fault_queue, v->set, "vIOMMU", v->obj.id, &q);
	if (err)
		return err;
	h = obj_alloc(ctx, IOASID_OBJ_HWPT, sizeof(*h), &err);
	if (!h)
		return err;
	h->type = o->type;
	h->flags = o->flags;
	h->viommu = v;
	h->parent = v->parent;
	h->ioas = v->parent->ioas;
	h->fault_q = q;
	memcpy(h->vdata, o->data, o->data_len);
	h->vdata_len = o->data_len;
	h->pgsize_bitmap = v->parent->pgsize_bitmap;
	h->aperture_start = v->parent->aperture_start;
	h->aperture_last = v->parent->aperture_last;
	err = ctx->ops->hwpt_alloc(ctx, h, dev);
	if (err) {
		obj_abort(ctx, &h->obj);
		return err;
	}
	v->obj.users++;
	hwpt_queue_bind(q);
	obj_publish(ctx, &h->obj);
	*ret = h;
	return 0;
}

IOASID_EXPORT int ioasid_viommu_invalidate(struct ioasid_ctx *ctx, uint32_t id, uint32_t data_type,
					   const void *entries, uint32_t entry_len,
					   uint32_t *inout_num)
{
	struct ioasid_obj *obj;
	uint32_t n;
	int err;

	if (!ctx)
		return -EINVAL;
	if (!inout_num)
		return ioasid_err(ctx, -EINVAL, "ioasid_viommu_invalidate: inout_num is NULL");
	n = *inout_num;
	*inout_num = 0;
	ctx_lock(ctx);
	err = inv_array_check(ctx, entries, entry_len, n);
	if (err)
		goto out;
	obj = obj_find(ctx, id, IOASID_OBJ_NONE);
	if (!obj) {
		err = ioasid_err(ctx, -ENOENT, "no object with id %u", id);
	} else if (obj->kind == IOASID_OBJ_HWPT) {
		/* the kernel's call takes nested HWPTs too: that is the HWPT's call */
		err = ioasid_err(ctx, -EINVAL,
				 "object %u is an HWPT: use ioasid_hwpt_invalidate_raw()", id);
	} else if (obj->kind != IOASID_OBJ_VIOMMU) {
		err = ioasid_err(ctx, -EINVAL, "object %u is a %s, not a vIOMMU", id,
				 obj_kind_name(obj->kind));
	} else if (!ctx->ops->viommu_invalidate) {
		err = viommu_unsupported(ctx, "IOMMU_HWPT_INVALIDATE on a vIOMMU");
	} else {
		*inout_num = n;
		err = ctx->ops->viommu_invalidate(ctx, (struct ioasid_viommu *)obj, data_type,
						  entries, entry_len, inout_num);
	}
out:
	TRACE(ctx,
	      trace_viommu_invalidate(ctx, id, data_type, entries, entry_len, n, *inout_num, err));
	ctx_unlock(ctx);
	return err;
}
