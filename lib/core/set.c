/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IOASID sets: quotas of PASIDs and address spaces for one owner, and the
 * context's PASID space they draw from, with the count of devices using
 * each PASID.
 *
 * The PASID space is created on first use with the width the backend
 * reported (ctx->pasid_width; the sim takes it from its profile). PASID 0
 * is never handed out: Linux keeps it for requests without PASID.
 */
#include <stdio.h>
#include <string.h>

#include "set-private.h"
#include "json-private.h"
#include "util/pasid-alloc.h"
#include "util/sorted-u32.h"
#include "backend/backend.h"
#include "trace-private.h"

/* How many (device, PASID) attachments one PASID has. */
struct pasid_use {
	uint32_t pasid;
	uint32_t count;
};

/* The PASID space, created on first use. */
static int pasid_space_get(struct ioasid_ctx *ctx, struct pasid_space **ret)
{
	if (!ctx->pasids) {
		ctx->pasids = pasid_space_new(ctx->pasid_width);
		if (!ctx->pasids)
			return ioasid_err(ctx, -ENOMEM, "out of memory for the PASID space");
	}
	*ret = ctx->pasids;
	return 0;
}

uint32_t pasid_owner(const struct ioasid_ctx *ctx, uint32_t pasid)
{
	if (!ctx->pasids || pasid >= (1u << ctx->pasid_width))
		return 0;
	return pasid_space_owner(ctx->pasids, pasid);
}

void pasid_ctx_free(struct ioasid_ctx *ctx)
{
	pasid_space_free(ctx->pasids);
	ioasid_free(ctx->pasid_uses);
	ctx->pasids = NULL;
	ctx->pasid_uses = NULL;
}

static bool pasid_in_use(const struct ioasid_ctx *ctx, uint32_t pasid)
{
	bool found;

	/* the common case, on the PASID free path: no PASID attached anywhere */
	if (!ctx->nr_pasid_uses)
		return false;
	sorted_u32_find(ctx->pasid_uses, ctx->nr_pasid_uses, sizeof(*ctx->pasid_uses), pasid,
			&found);
	return found;
}

int pasid_use_get(struct ioasid_ctx *ctx, uint32_t pasid)
{
	struct pasid_use *n;
	bool found;
	uint32_t i = sorted_u32_find(ctx->pasid_uses, ctx->nr_pasid_uses,
				     sizeof(*ctx->pasid_uses), pasid, &found);

	if (found) {
		ctx->pasid_uses[i].count++;
		return 0;
	}
	n = ioasid_array_room(ctx->pasid_uses, &ctx->cap_pasid_uses, ctx->nr_pasid_uses + 1,
			      sizeof(*n));
	if (!n)
		return ioasid_err(ctx, -ENOMEM, "out of memory for an attachment");
	ctx->pasid_uses = n;
	sorted_u32_open(ctx->pasid_uses, &ctx->nr_pasid_uses, sizeof(*ctx->pasid_uses), i);
	ctx->pasid_uses[i].pasid = pasid;
	ctx->pasid_uses[i].count = 1;
	return 0;
}

void pasid_use_put(struct ioasid_ctx *ctx, uint32_t pasid)
{
	bool found;
	uint32_t i = sorted_u32_find(ctx->pasid_uses, ctx->nr_pasid_uses,
				     sizeof(*ctx->pasid_uses), pasid, &found);

	if (found && !--ctx->pasid_uses[i].count)
		sorted_u32_close(ctx->pasid_uses, &ctx->nr_pasid_uses, sizeof(*ctx->pasid_uses), i);
}

static void set_obj_destroy(struct ioasid_ctx *ctx, struct ioasid_obj *obj)
{
	struct ioasid_set *set = (struct ioasid_set *)obj;

	if (ctx->pasids)
		pasid_space_release_owner(ctx->pasids, obj->id);
	ioasid_free(set);
}

static json_t *set_obj_dump(struct ioasid_ctx *ctx, struct ioasid_obj *obj, uint32_t flags)
{
	struct ioasid_set *set = (struct ioasid_set *)obj;
	json_t *o, *arr;
	uint32_t p = 1;
	int err;

	(void)flags;
	o = json_pack("{s:s,s:i,s:o,s:i,s:i,s:i,s:i}", "kind", "set", "id",
		      (json_int_t)set->obj.id, "owner", dump_hex(set->owner), "max_pasids",
		      (json_int_t)set->max_pasids, "nr_pasids", (json_int_t)set->nr_pasids,
		      "max_ioas", (json_int_t)set->max_ioas, "nr_ioas", (json_int_t)set->nr_ioas);
	if (!o)
		return NULL;
	arr = json_array();
	err = dump_add(o, "pasids", arr);
	while (!err && ctx->pasids && p < (1u << ctx->pasid_width) &&
	       !pasid_space_next(ctx->pasids, p, set->obj.id, &p)) {
		err = dump_append(arr, json_integer(p));
		p++;
	}
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

const struct ioasid_obj_ops ioasid_set_obj_ops = {
	.name = "set",
	.noun = "a set",
	.missing = "no set",
	.names_other_kind = true,
	.destroy = set_obj_destroy,
	.dump = set_obj_dump,
};

IOASID_EXPORT int ioasid_set_alloc(struct ioasid_ctx *ctx,
				 const struct ioasid_set_opts *opts,
				 uint32_t *ret_set)
{
	struct ioasid_set_opts o = { 0 };
	struct ioasid_set *set;
	uint32_t space;
	int err;

	if (!ctx)
		return -EINVAL;
	if (!opts || !ret_set)
		return ioasid_err(ctx, -EINVAL, "ioasid_set_alloc: opts and ret_set are required");
	err = ioasid_opts_check(ctx, opts, opts->sz, sizeof(o), "struct ioasid_set_opts");
	if (err)
		return err;
	memcpy(&o, opts, IOASID_MIN(opts->sz, sizeof(o)));
	ctx_lock(ctx);
	space = ctx->pasid_width ? (1u << ctx->pasid_width) - 1 : 0;
	if (o.max_pasids > space) {
		err = ioasid_err(ctx, -EINVAL,
				 "PASID quota %u is above the %u PASIDs of the %u-bit PASID space",
				 o.max_pasids, space, ctx->pasid_width);
		goto out;
	}
	set = obj_alloc(ctx, IOASID_OBJ_SET, sizeof(*set), &err);
	if (!set)
		goto out;
	set->owner = o.owner;
	set->max_pasids = o.max_pasids;
	set->max_ioas = o.max_ioas;
	obj_publish(ctx, &set->obj);
	*ret_set = set->obj.id;
out:
	TRACE(ctx, trace_set_alloc(ctx, &o, ret_set, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_set_destroy(struct ioasid_ctx *ctx, uint32_t id)
{
	struct ioasid_set *set;
	uint32_t pasid;
	int err;

	set = ctx_lock_lookup(ctx, id, IOASID_OBJ_SET, &err);
	if (!set)
		return err;
	if (set->nr_ioas) {
		err = ioasid_err(ctx, -EBUSY, "set %u still owns %u address space(s)", id,
				 set->nr_ioas);
		goto out;
	}
	if (ctx->pasids) {
		for (pasid = 1; !pasid_space_next(ctx->pasids, pasid, id, &pasid); pasid++) {
			if (pasid_in_use(ctx, pasid)) {
				err = ioasid_err(ctx, -EBUSY,
						 "PASID %u of set %u is still attached", pasid, id);
				goto out;
			}
		}
	}
	err = obj_destroy_locked(ctx, id);
out:
	TRACE(ctx, trace_destroy(ctx, "set_destroy", id, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_pasid_alloc(struct ioasid_ctx *ctx, uint32_t id,
				     uint32_t min, uint32_t max,
				     uint32_t *ret_pasid)
{
	struct pasid_space *ps = NULL;
	struct ioasid_set *set;
	uint32_t limit;
	int err;

	if (!ctx)
		return -EINVAL;
	if (!ret_pasid)
		return ioasid_err(ctx, -EINVAL, "ret_pasid is NULL");
	set = ctx_lock_lookup(ctx, id, IOASID_OBJ_SET, &err);
	if (!set)
		return err;
	if (!ctx->pasid_width) {
		err = ioasid_err(ctx, -EOPNOTSUPP, "the IOMMU of this %s context has no PASID support",
				 ctx->ops->name);
		goto out;
	}
	limit = (1u << ctx->pasid_width) - 1;
	if (min == 0 || min > max || max > limit) {
		err = ioasid_err(ctx, -EINVAL,
				 "PASID range [%u, %u] is not within [1, %u] of the %u-bit PASID space",
				 min, max, limit, ctx->pasid_width);
		goto out;
	}
	if (set->nr_pasids >= set->max_pasids) {
		err = ioasid_err(ctx, -EDQUOT, "set %u has used its quota of %u PASIDs", id,
				 set->max_pasids);
		goto out;
	}
	err = pasid_space_get(ctx, &ps);
	if (err)
		goto out;
	err = pasid_space_alloc(ps, min, max, id, ret_pasid);
	if (err == -EEXIST) {
		uint32_t owner = pasid_space_owner(ps, min);

		err = ioasid_err(ctx, -EEXIST, "PASID %u is already held by %s set %u", min,
				 owner == id ? "this" : "another", owner);
	} else if (err == -ENOSPC) {
		err = ioasid_err(ctx, -ENOSPC, "no free PASID in [%u, %u]", min, max);
	} else if (err) {
		err = ioasid_err(ctx, err, "cannot allocate a PASID: %s", ioasid_strerrno(err));
	} else {
		set->nr_pasids++;
	}
out:
	TRACE(ctx, trace_pasid_alloc(ctx, id, min, max, ret_pasid, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_pasid_free(struct ioasid_ctx *ctx, uint32_t id,
				    uint32_t pasid)
{
	struct ioasid_set *set;
	uint32_t owner;
	int err;

	set = ctx_lock_lookup(ctx, id, IOASID_OBJ_SET, &err);
	if (!set)
		return err;
	/* ownership first: another set learns nothing about a PASID it lacks */
	owner = pasid_owner(ctx, pasid);
	if (!owner) {
		err = ioasid_err(ctx, -ENOENT, "PASID %u is not allocated", pasid);
	} else if (owner != id) {
		err = ioasid_err(ctx, -EPERM, "PASID %u belongs to set %u, not set %u", pasid,
				 owner, id);
	} else if (pasid_in_use(ctx, pasid)) {
		err = ioasid_err(ctx, -EBUSY, "PASID %u is still attached to a device", pasid);
	} else {
		err = pasid_space_release(ctx->pasids, pasid, id);
		if (!err)
			set->nr_pasids--;
	}
	TRACE(ctx, trace_pasid_free(ctx, id, pasid, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_pasid_owner(struct ioasid_ctx *ctx, uint32_t pasid,
				     uint32_t *ret_set)
{
	uint32_t owner;
	int err = 0;

	if (!ctx || !ret_set)
		return ioasid_err(ctx, -EINVAL, "ioasid_pasid_owner: NULL argument");
	ctx_lock(ctx);
	owner = pasid_owner(ctx, pasid);
	if (owner)
		*ret_set = owner;
	else
		err = ioasid_err(ctx, -ENOENT, "PASID %u is not allocated", pasid);
	ctx_unlock(ctx);
	return err;
}

int set_ioas_charge(struct ioasid_ctx *ctx, struct ioasid_set *set)
{
	if (set->nr_ioas >= set->max_ioas)
		return ioasid_err(ctx, -EDQUOT, "set %u has used its quota of %u address spaces",
				  set->obj.id, set->max_ioas);
	set->nr_ioas++;
	set->obj.users++;
	return 0;
}

void set_ioas_uncharge(struct ioasid_ctx *ctx, uint32_t set_id)
{
	struct ioasid_set *set = obj_find(ctx, set_id, IOASID_OBJ_SET);

	if (set) {
		set->nr_ioas--;
		set->obj.users--;
	}
}

IOASID_EXPORT int ioasid_set_info(struct ioasid_ctx *ctx, uint32_t id,
				  struct ioasid_set_info *ret_info)
{
	struct ioasid_set *set;
	int err;

	if (!ctx || !ret_info)
		return ioasid_err(ctx, -EINVAL, "ioasid_set_info: NULL argument");
	set = ctx_lock_lookup(ctx, id, IOASID_OBJ_SET, &err);
	if (!set)
		return err;
	memset(ret_info, 0, sizeof(*ret_info));
	ret_info->owner = set->owner;
	ret_info->max_pasids = set->max_pasids;
	ret_info->nr_pasids = set->nr_pasids;
	ret_info->max_ioas = set->max_ioas;
	ret_info->nr_ioas = set->nr_ioas;
	ret_info->pasid_width = ctx->pasid_width;
	ctx_unlock(ctx);
	return 0;
}

IOASID_EXPORT int ioasid_set_pasids(struct ioasid_ctx *ctx, uint32_t id,
				    uint32_t from, uint32_t *out, uint32_t *inout_num)
{
	uint32_t n = 0, p = from;
	int err;

	if (!ctx || !inout_num || (*inout_num && !out))
		return ioasid_err(ctx, -EINVAL, "ioasid_set_pasids: NULL argument");
	if (!ctx_lock_lookup(ctx, id, IOASID_OBJ_SET, &err))
		return err;
	if (p == 0)
		p = 1;
	while (ctx->pasids && n < *inout_num && p < (1u << ctx->pasid_width) &&
	       !pasid_space_next(ctx->pasids, p, id, &p)) {
		out[n++] = p;
		if (p == UINT32_MAX)
			break;
		p++;
	}
	*inout_num = n;
	ctx_unlock(ctx);
	return 0;
}
