/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vDEVICEs: a device's virtual id on a vIOMMU (kernel-uapi.md §1.8). One
 * per device, one device per virtual id of a vIOMMU; found either way.
 */
#include <limits.h>
#include <string.h>

#include "viommu-private.h"
#include "trace-private.h"
#include "dev-private.h"
#include "json-private.h"
#include "backend/backend.h"

#define X(v) ((unsigned long long)(v))

struct ioasid_vdevice *vdevice_find(struct ioasid_ctx *ctx, const struct ioasid_viommu *v,
				    uint64_t virt_id)
{
	struct ioasid_vdevice *vd;
	uint32_t pos = 0;

	while ((vd = (struct ioasid_vdevice *)obj_next(ctx, IOASID_OBJ_VDEVICE, &pos)))
		if (vd->viommu == v && vd->virt_id == virt_id)
			return vd;
	return NULL;
}

struct ioasid_vdevice *vdevice_of_dev(struct ioasid_ctx *ctx, const struct ioasid_dev *dev)
{
	struct ioasid_vdevice *vd;
	uint32_t pos = 0;

	while ((vd = (struct ioasid_vdevice *)obj_next(ctx, IOASID_OBJ_VDEVICE, &pos)))
		if (vd->dev == dev)
			return vd;
	return NULL;
}

static int vdevice_obj_teardown(struct ioasid_ctx *ctx, struct ioasid_obj *obj)
{
	struct ioasid_vdevice *vd = (struct ioasid_vdevice *)obj;

	if (!vd->be)
		return 0;
	return be_refused(ctx, ctx->ops->vdevice_destroy(ctx, vd));
}

static void vdevice_obj_destroy(struct ioasid_ctx *ctx, struct ioasid_obj *obj)
{
	struct ioasid_vdevice *vd = (struct ioasid_vdevice *)obj;

	(void)ctx;
	vd->viommu->nr_vdevs--;
	vd->viommu->obj.users--;
	vd->dev->obj.users--;
	ioasid_free(vd);
}

static json_t *vdevice_obj_dump(struct ioasid_ctx *ctx, struct ioasid_obj *obj, uint32_t flags)
{
	struct ioasid_vdevice *vd = (struct ioasid_vdevice *)obj;

	(void)ctx;
	(void)flags;
	return json_pack("{s:s,s:i,s:i,s:i,s:o}", "kind", "vdevice", "id", (json_int_t)vd->obj.id,
			 "viommu", (json_int_t)vd->viommu->obj.id, "dev",
			 (json_int_t)vd->dev->obj.id, "virt_id", dump_hex(vd->virt_id));
}

const struct ioasid_obj_ops ioasid_vdevice_obj_ops = {
	.name = "vdevice",
	.noun = "a vDEVICE",
	.missing = "no vDEVICE",
	.names_other_kind = true,
	.teardown = vdevice_obj_teardown,
	.destroy = vdevice_obj_destroy,
	.dump = vdevice_obj_dump,
};

/* IOMMU_VDEVICE_ALLOC's checks, in the kernel's order. */
static int vdevice_check(struct ioasid_ctx *ctx, uint32_t viommu, uint32_t dev_id, uint64_t virt_id,
			 struct ioasid_viommu **ret_v, struct ioasid_dev **ret_dev)
{
	struct ioasid_vdevice *other;

	/* the kernel indexes an xarray with it */
	if (virt_id > ULONG_MAX)
		return ioasid_err(ctx, -EINVAL, "virt_id 0x%llx is above ULONG_MAX", X(virt_id));
	*ret_v = obj_lookup(ctx, viommu, IOASID_OBJ_VIOMMU);
	if (!*ret_v)
		return -ENOENT;
	*ret_dev = obj_lookup(ctx, dev_id, IOASID_OBJ_DEV);
	if (!*ret_dev)
		return -ENOENT;
	other = vdevice_of_dev(ctx, *ret_dev);
	if (other)
		return ioasid_err(ctx, -EEXIST,
				  "device %s has vDEVICE %u already (virt_id 0x%llx on vIOMMU %u)",
				  (*ret_dev)->name, other->obj.id, X(other->virt_id),
				  other->viommu->obj.id);
	other = vdevice_find(ctx, *ret_v, virt_id);
	if (other)
		return ioasid_err(ctx, -EEXIST,
				  "virt_id 0x%llx of vIOMMU %u is vDEVICE %u's (device %s)",
				  X(virt_id), viommu, other->obj.id, other->dev->name);
	return 0;
}

IOASID_EXPORT int ioasid_vdevice_alloc(struct ioasid_ctx *ctx, uint32_t viommu, uint32_t dev_id,
				       uint64_t virt_id, uint32_t *ret_vdevice)
{
	struct ioasid_vdevice *vd;
	struct ioasid_viommu *v = NULL;
	struct ioasid_dev *dev = NULL;
	int err;

	if (!ctx)
		return -EINVAL;
	if (!ret_vdevice)
		return ioasid_err(ctx, -EINVAL, "ioasid_vdevice_alloc: ret_vdevice is NULL");
	ctx_lock(ctx);
	err = vdevice_check(ctx, viommu, dev_id, virt_id, &v, &dev);
	if (err)
		goto out;
	/* a vIOMMU exists only where the backend has vIOMMU objects */
	vd = obj_alloc(ctx, IOASID_OBJ_VDEVICE, sizeof(*vd), &err);
	if (!vd)
		goto out;
	vd->viommu = v;
	vd->dev = dev;
	vd->virt_id = virt_id;
	err = ctx->ops->vdevice_alloc(ctx, vd);
	if (err) {
		obj_abort(ctx, &vd->obj);
		goto out;
	}
	v->nr_vdevs++;
	v->obj.users++;
	dev->obj.users++;
	obj_publish(ctx, &vd->obj);
	*ret_vdevice = vd->obj.id;
out:
	TRACE(ctx, trace_vdevice_alloc(ctx, viommu, dev_id, virt_id, ret_vdevice, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_vdevice_destroy(struct ioasid_ctx *ctx, uint32_t id)
{
	return obj_destroy_kind(ctx, id, IOASID_OBJ_VDEVICE, "vdevice_destroy");
}

IOASID_EXPORT int ioasid_vdevice_find(struct ioasid_ctx *ctx, uint32_t viommu, uint64_t virt_id,
				      uint32_t *ret_vdevice, uint32_t *ret_dev)
{
	struct ioasid_vdevice *vd;
	struct ioasid_viommu *v;
	int err = 0;

	if (!ctx)
		return -EINVAL;
	if (!ret_vdevice)
		return ioasid_err(ctx, -EINVAL, "ioasid_vdevice_find: ret_vdevice is NULL");
	v = ctx_lock_lookup(ctx, viommu, IOASID_OBJ_VIOMMU, &err);
	if (!v)
		return err;
	vd = vdevice_find(ctx, v, virt_id);
	if (!vd) {
		err = ioasid_err(ctx, -ENOENT, "vIOMMU %u has no vDEVICE at virt_id 0x%llx", viommu,
				 X(virt_id));
	} else {
		*ret_vdevice = vd->obj.id;
		if (ret_dev)
			*ret_dev = vd->dev->obj.id;
	}
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_vdevice_of_dev(struct ioasid_ctx *ctx, uint32_t dev_id,
					uint32_t *ret_vdevice, uint32_t *ret_viommu,
					uint64_t *ret_virt_id)
{
	struct ioasid_vdevice *vd;
	struct ioasid_dev *dev;
	int err = 0;

	if (!ctx)
		return -EINVAL;
	if (!ret_vdevice)
		return ioasid_err(ctx, -EINVAL, "ioasid_vdevice_of_dev: ret_vdevice is NULL");
	dev = ctx_lock_lookup(ctx, dev_id, IOASID_OBJ_DEV, &err);
	if (!dev)
		return err;
	vd = vdevice_of_dev(ctx, dev);
	if (!vd) {
		err = ioasid_err(ctx, -ENOENT, "device %s has no vDEVICE", dev->name);
	} else {
		*ret_vdevice = vd->obj.id;
		if (ret_viommu)
			*ret_viommu = vd->viommu->obj.id;
		if (ret_virt_id)
			*ret_virt_id = vd->virt_id;
	}
	ctx_unlock(ctx);
	return err;
}
