/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Restoring a context (state-restore.c), rebuilding the objects: each
 * object of the planned order made again through the public calls, with
 * the id it had, then the devices' attachments.
 */
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "core/dev-private.h"
#include "core/hwpt-private.h"
#include "core/state-restore-private.h"

/* The object the last call made must have the id it had: else the state is inconsistent. */
static int check_id(const struct rs_obj *ro, uint32_t got)
{
	char what[48];

	if (got == ro->id)
		return 0;
	return rs_err(-EINVAL, "%s came back as id %u: the state's ids are inconsistent",
		      rs_obj_what(ro, what, sizeof(what)), got);
}

/* A public call on the context failed: its message, prefixed with the object. */
int rs_call_failed(struct restore *r, const struct rs_obj *ro, int err, const char *call)
{
	char what[48], why[sizeof(r->ctx->adopt_why)] = "";

	if (r->ctx) {
		ctx_lock(r->ctx);
		memcpy(why, r->ctx->adopt_why, sizeof(why));
		r->ctx->adopt_why[0] = '\0';
		ctx_unlock(r->ctx);
	}
	if (why[0]) /* the backend's request failed because the adoption check did */
		return rs_err(err, "%s: %s: %s", rs_obj_what(ro, what, sizeof(what)), call, why);
	return ioasid_err_prefix(NULL, err, "restore state: %s: %s",
				 rs_obj_what(ro, what, sizeof(what)), call);
}

static int make_set(struct restore *r, struct rs_obj *ro)
{
	struct ioasid_set_opts o = { .sz = sizeof(o) };
	json_t *pasids, *p;
	char what[48];
	uint32_t id;
	size_t i;
	int err;

	rs_obj_what(ro, what, sizeof(what));
	err = rs_get_hex(ro->j, "owner", what, &o.owner);
	err = err ?: rs_get_u32(ro->j, "max_pasids", what, &o.max_pasids);
	err = err ?: rs_get_u32(ro->j, "max_ioas", what, &o.max_ioas);
	pasids = err ? NULL : rs_get_array(ro->j, "pasids", what, &err);
	if (err)
		return err;
	err = ioasid_set_alloc(r->ctx, &o, &id);
	if (err)
		return rs_call_failed(r, ro, err, "set_alloc");
	err = check_id(ro, id);
	json_array_foreach(pasids, i, p) {
		json_int_t v = json_integer_value(p);
		uint32_t got;

		if (err)
			break;
		if (!json_is_integer(p) || v <= 0 || v > (json_int_t)UINT32_MAX)
			return rs_err(-EINVAL, "%s: pasids[%zu] is not a PASID", what, i);
		err = ioasid_pasid_alloc(r->ctx, id, (uint32_t)v, (uint32_t)v, &got);
		if (err)
			return rs_call_failed(r, ro, err, "pasid_alloc");
	}
	return err;
}

static int read_range(json_t *v, const char *key, const char *what, uint64_t *start, uint64_t *last)
{
	int err;

	if (!json_is_object(v))
		return rs_err(-EINVAL, "%s: an entry of \"%s\" is not {start, last}", what, key);
	err = rs_get_hex(v, "start", what, start);
	return err ?: rs_get_hex(v, "last", what, last);
}

static int ioas_ranges(struct restore *r, struct rs_obj *ro, const char *what)
{
	struct ioasid_iova_range *ranges = NULL;
	json_t *allowed, *resv, *v;
	size_t i;
	int err = 0;

	allowed = rs_get_array(ro->j, "allowed", what, &err);
	resv = err ? NULL : rs_get_array(ro->j, "reserved", what, &err);
	if (err)
		return err;
	if (json_array_size(allowed)) {
		ranges = ioasid_calloc(json_array_size(allowed), sizeof(*ranges));
		if (!ranges)
			return rs_err(-ENOMEM, "out of memory");
		json_array_foreach(allowed, i, v) {
			err = read_range(v, "allowed", what, &ranges[i].start, &ranges[i].last);
			if (err)
				break;
		}
		if (!err) {
			err = ioasid_ioas_allow_iovas(r->ctx, ro->id, ranges,
						      (uint32_t)json_array_size(allowed));
			if (err)
				err = rs_call_failed(r, ro, err, "allow_iovas");
		}
		ioasid_free(ranges);
	}
	json_array_foreach(resv, i, v) {
		uint64_t start, last;

		if (err)
			break;
		err = read_range(v, "reserved", what, &start, &last);
		if (!err && (err = ioasid_ioas_reserve(r->ctx, ro->id, start, last)))
			err = rs_call_failed(r, ro, err, "reserve");
	}
	return err;
}

static int ioas_areas(struct restore *r, struct rs_obj *ro, const char *what)
{
	json_t *areas, *a;
	size_t i;
	int err = 0;

	areas = rs_get_array(ro->j, "areas", what, &err);
	json_array_foreach(areas, i, a) {
		uint64_t iova, length;
		struct lu_file f;
		uint32_t perm;

		if (err)
			break;
		if (!json_is_object(a))
			return rs_err(-EINVAL, "%s: areas[%zu] is not an object", what, i);
		err = rs_get_hex(a, "iova", what, &iova);
		err = err ?: rs_get_hex(a, "length", what, &length);
		err = err ?: rs_get_u32(a, "perm", what, &perm);
		err = err ?: rs_get_int(a, "fd", what, &f.fd);
		err = err ?: rs_get_hex(a, "offset", what, &f.offset);
		if (!err && (perm & ~(uint32_t)(IOASID_MAP_READ | IOASID_MAP_WRITE) || !perm))
			err = rs_err(-EINVAL, "%s: areas[%zu]: perm %u is not READ and/or WRITE",
				     what, i, perm);
		if (!err && (err = lu_map_file(r->ctx, ro->id, &f, length, perm, iova)))
			err = rs_call_failed(r, ro, err, "map_file");
	}
	return err ?: rs_adopt_check_areas(r, ro, what);
}

static int make_ioas(struct restore *r, struct rs_obj *ro)
{
	struct rs_obj *set = NULL;
	uint32_t set_id, id;
	bool huge = true;
	char what[48];
	int err;

	rs_obj_what(ro, what, sizeof(what));
	err = rs_get_u32(ro->j, "set", what, &set_id);
	err = err ?: rs_get_bool(ro->j, "huge_pages", what, &huge);
	if (!err && set_id)
		set = rs_get_ref(r, ro->j, "set", what, IOASID_OBJ_SET, &err);
	if (err)
		return err;
	err = rs_adopt_next(r->ctx, ro->j, what);
	if (err)
		return err;
	err = set ? ioasid_set_ioas_alloc(r->ctx, set->id, &id) : ioasid_ioas_alloc(r->ctx, &id);
	if (err && r->ctx->ops->adopt_begin) {
		char call[64];

		snprintf(call, sizeof(call), "adopting kernel IOAS %u", r->ctx->adopt_kid);
		return rs_call_failed(r, ro, err, call);
	}
	if (err)
		return rs_call_failed(r, ro, err, "ioas_alloc");
	err = check_id(ro, id);
	if (!err && !huge &&
	    (err = ioasid_ioas_set_option(r->ctx, id, IOASID_IOAS_OPT_HUGE_PAGES, 0)))
		err = rs_call_failed(r, ro, err, "set_option huge_pages");
	err = err ?: ioas_ranges(r, ro, what);
	return err ?: ioas_areas(r, ro, what);
}

static int make_dev(struct restore *r, struct rs_obj *ro)
{
	const char *name = json_string_value(json_object_get(ro->j, "name"));
	char what[48];
	uint32_t id;
	int err, fd;

	rs_obj_what(ro, what, sizeof(what));
	if (!name)
		return rs_err(-EINVAL, "%s: \"name\" is missing or not a string", what);
	if (r->kind == IOASID_BACKEND_SIM) {
		err = ioasid_dev_bind(r->ctx, name, &id);
	} else {
		err = rs_get_int(ro->j, "fd", what, &fd);
		err = err ?: rs_adopt_next(r->ctx, ro->j, what);
		if (err)
			return err;
		ctx_lock(r->ctx);
		r->ctx->adopt_name = name;
		ctx_unlock(r->ctx);
		err = ioasid_dev_bind_fd(r->ctx, fd, &id);
		ctx_lock(r->ctx);
		r->ctx->adopt_name = NULL;
		ctx_unlock(r->ctx);
	}
	if (err)
		return rs_call_failed(r, ro, err, "dev_bind");
	return check_id(ro, id);
}

/*
 * A fault queue: made again on the sim (empty: the save refuses a queue
 * holding groups); on iommufd the kernel's fault object is adopted with
 * its inherited fd, whose unread groups are still in the kernel's queue.
 */
static int make_fault_queue(struct restore *r, struct rs_obj *ro)
{
	struct ioasid_fault_queue_opts o = { .sz = sizeof(o),
					     .flags = IOASID_FAULT_QUEUE_TIMEOUT_CODE };
	char what[48];
	uint32_t id;
	int err, fd = -1;

	rs_obj_what(ro, what, sizeof(what));
	err = rs_get_u32(ro->j, "set", what, &o.set);
	err = err ?: rs_get_u32(ro->j, "depth", what, &o.depth);
	err = err ?: rs_get_hex(ro->j, "timeout_ns", what, &o.timeout_ns);
	err = err ?: rs_get_u32(ro->j, "timeout_code", what, &o.timeout_code);
	if (!err && !rs_get_ref(r, ro->j, "set", what, IOASID_OBJ_SET, &err))
		return err;
	if (!err && r->kind == IOASID_BACKEND_IOMMUFD)
		err = rs_get_int(ro->j, "fd", what, &fd);
	err = err ?: rs_adopt_next(r->ctx, ro->j, what);
	if (err)
		return err;
	ctx_lock(r->ctx);
	r->ctx->adopt_fd = fd;
	ctx_unlock(r->ctx);
	err = ioasid_fault_queue_alloc(r->ctx, &o, &id);
	ctx_lock(r->ctx);
	r->ctx->adopt_fd = -1;
	ctx_unlock(r->ctx);
	if (err)
		return rs_call_failed(r, ro, err, "fault_queue_alloc");
	return check_id(ro, id);
}

/* A nested HWPT's stage-1 data ("s1") into @s1, and @o set to pass it. */
static int read_s1(struct rs_obj *ro, const char *what, struct ioasid_hwpt_vtd_s1 *s1,
		   struct ioasid_hwpt_opts *o)
{
	json_t *j = json_object_get(ro->j, "s1");
	int err;

	if (!json_is_object(j))
		return rs_err(-EINVAL, "%s: \"s1\" is missing or not an object", what);
	err = rs_get_hex(j, "flags", what, &s1->flags);
	err = err ?: rs_get_hex(j, "pgtbl_addr", what, &s1->pgtbl_addr);
	err = err ?: rs_get_u32(j, "addr_width", what, &s1->addr_width);
	o->data = s1;
	o->data_len = sizeof(*s1);
	return err;
}

static int make_hwpt(struct restore *r, struct rs_obj *ro)
{
	struct ioasid_hwpt_opts o = { .sz = sizeof(o) };
	struct ioasid_hwpt_vtd_s1 s1 = { 0 };
	struct rs_obj *dev, *ioas, *pt;
	char what[48];
	bool dirty = false;
	uint32_t id;
	int err;

	rs_obj_what(ro, what, sizeof(what));
	err = rs_get_u32(ro->j, "flags", what, &o.flags);
	err = err ?: rs_get_bool(ro->j, "dirty_tracking", what, &dirty);
	err = err ?: rs_hwpt_type(ro, &o.type);
	if (!err && o.type != IOASID_HWPT_PAGING && o.type != IOASID_HWPT_NESTED_VTD_S1)
		err = rs_err(-EOPNOTSUPP, "%s: type %u is not one this library restores", what,
			     o.type);
	if (!err && o.type == IOASID_HWPT_NESTED_VTD_S1)
		err = read_s1(ro, what, &s1, &o);
	if (err)
		return err;
	if (o.flags & IOASID_HWPT_FAULT_ID_VALID) {
		struct rs_obj *q = rs_get_ref(r, ro->j, "fault_queue", what, IOASID_OBJ_FAULT_QUEUE,
					      &err);

		if (!q)
			return err;
		o.fault_queue = q->id;
	}
	dev = rs_get_ref(r, ro->j, "dev", what, IOASID_OBJ_DEV, &err);
	ioas = dev ? rs_get_ref(r, ro->j, "ioas", what, IOASID_OBJ_IOAS, &err) : NULL;
	pt = ioas;
	if (ioas && o.type != IOASID_HWPT_PAGING)
		pt = rs_get_ref(r, ro->j, "parent", what, IOASID_OBJ_HWPT, &err);
	if (!pt)
		return err;
	err = rs_adopt_next(r->ctx, ro->j, what);
	if (err)
		return err;
	err = ioasid_hwpt_alloc(r->ctx, dev->id, pt->id, &o, &id);
	if (err)
		return rs_call_failed(r, ro, err, "hwpt_alloc");
	err = check_id(ro, id);
	if (!err && dirty && (err = ioasid_hwpt_set_dirty_tracking(r->ctx, id, true)))
		err = rs_call_failed(r, ro, err, "set_dirty_tracking");
	return err;
}

/* Which HWPT (@dev, @pasid) is attached to now; 0: none. */
static uint32_t attached_hwpt(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pasid)
{
	struct ioasid_dev *dev;
	struct ioasid_hwpt *h;
	uint32_t id = 0;

	ctx_lock(ctx);
	dev = obj_find(ctx, dev_id, IOASID_OBJ_DEV);
	h = dev ? dev_attached_hwpt(dev, pasid) : NULL;
	if (h)
		id = h->obj.id;
	ctx_unlock(ctx);
	return id;
}

static int make_attachment(struct restore *r, struct rs_obj *dev, json_t *a, size_t i)
{
	struct ioasid_attach_opts o = { .sz = sizeof(o) };
	json_t *pj = json_object_get(a, "pasid");
	struct rs_obj *pt, *h;
	uint32_t pasid = IOASID_PASID_NONE;
	char what[64];
	int err;

	snprintf(what, sizeof(what), "object %u (dev): attached[%zu]", dev->id, i);
	if (!json_is_null(pj) && rs_get_u32(a, "pasid", what, &pasid))
		return -EINVAL;
	if (pasid == IOASID_PASID_NONE && !json_is_null(pj))
		return rs_err(-EINVAL, "%s: pasid %u is not a PASID", what, pasid);
	err = rs_get_u32(a, "set", what, &o.set);
	pt = err ? NULL : rs_get_ref(r, a, "pt", what, IOASID_OBJ_NONE, &err);
	h = pt ? rs_get_ref(r, a, "hwpt", what, IOASID_OBJ_HWPT, &err) : NULL;
	if (!h)
		return err;
	/* an older save has none: no automatic domain had a queue then */
	if (json_object_get(a, "fault_queue") &&
	    json_integer_value(json_object_get(a, "fault_queue")) &&
	    !rs_get_ref(r, a, "fault_queue", what, IOASID_OBJ_FAULT_QUEUE, &err))
		return err;
	if (json_object_get(a, "fault_queue"))
		o.fault_queue = (uint32_t)json_integer_value(json_object_get(a, "fault_queue"));
	err = rs_adopt_next(r->ctx, h->j, what);
	if (err)
		return err;
	err = ioasid_dev_attach(r->ctx, dev->id, pasid, pt->id, &o);
	if (err)
		return ioasid_err_prefix(NULL, err, "restore state: %s: dev_attach", what);
	if (attached_hwpt(r->ctx, dev->id, pasid) != h->id)
		return rs_err(-EINVAL, "%s: the attachment to %u uses HWPT %u, not %u", what,
			      pt->id, attached_hwpt(r->ctx, dev->id, pasid), h->id);
	return 0;
}

static int make_attachments(struct restore *r)
{
	uint32_t id;

	for (id = 1; id <= r->max_id; id++) {
		struct rs_obj *ro = r->slot[id - 1] ? &r->objs[r->slot[id - 1] - 1] : NULL;
		json_t *a;
		size_t i;

		if (!ro || ro->kind != IOASID_OBJ_DEV)
			continue;
		json_array_foreach(json_object_get(ro->j, "attached"), i, a) {
			int err = make_attachment(r, ro, a, i);

			if (err)
				return err;
		}
	}
	return 0;
}

int rs_make_objects(struct restore *r)
{
	typedef int (*make_fn)(struct restore * r, struct rs_obj * ro);
	static const make_fn makers[] = {
		[IOASID_OBJ_IOAS] = make_ioas,
		[IOASID_OBJ_SET] = make_set,
		[IOASID_OBJ_DEV] = make_dev,
		[IOASID_OBJ_HWPT] = make_hwpt,
		[IOASID_OBJ_FAULT_QUEUE] = make_fault_queue,
	};
	uint32_t i;
	int err;

	err = obj_ids_preset(r->ctx, r->order, r->nr_order, r->max_id);
	if (err)
		return ioasid_err_prefix(NULL, err, "restore state");
	for (i = 0; i < r->nr_order; i++) {
		struct rs_obj *ro = &r->objs[r->slot[r->order[i] - 1] - 1];
		bool autodom = false;

		if (ro->kind == IOASID_OBJ_HWPT)
			(void)rs_get_bool(ro->j, "auto", "", &autodom); /* read by rs_plan_order() */
		if (autodom)
			break; /* from here on, the attachments make them */
		err = makers[ro->kind](r, ro);
		if (err)
			return err;
	}
	return make_attachments(r);
}
