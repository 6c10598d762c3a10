/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * JSON dumps of every object (schema "ioasid/1", docs/ioasid-schema.json).
 *
 * One function per object kind builds a jansson object; the public calls
 * wrap them in a document with "schema" at the top and return a string,
 * so jansson never appears in the ABI.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "caps/caps-json.h"
#include "dev-private.h"
#include "ioas-private.h"
#include "util/pasid-alloc.h"
#include "set-private.h"
#include "hwpt-private.h"
#include "fault-private.h"
#include "backend/backend.h"

/* 64-bit values as "0x..." strings: JSON numbers lose bits above 2^53. */
static json_t *hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_string(buf);
}

static const char *perm_str(uint32_t flags)
{
	switch (flags & (IOASID_MAP_READ | IOASID_MAP_WRITE)) {
	case IOASID_MAP_READ | IOASID_MAP_WRITE:
		return "rw";
	case IOASID_MAP_READ:
		return "r";
	case IOASID_MAP_WRITE:
		return "w";
	default:
		return "";
	}
}

static const char *resv_kind_str(uint32_t kind)
{
	switch (kind) {
	case RESV_USER:
		return "user";
	case RESV_DEVICE:
		return "device";
	default:
		return "aperture";
	}
}

static json_t *range_json(uint64_t start, uint64_t last)
{
	return json_pack("{s:o,s:o}", "start", hex(start), "last", hex(last));
}

/* json_pack() returns NULL on any failure, including a NULL member. */
static int add(json_t *obj, const char *key, json_t *v)
{
	if (!v)
		return -ENOMEM;
	return json_object_set_new(obj, key, v) ? -ENOMEM : 0;
}

static int append(json_t *arr, json_t *v)
{
	if (!v)
		return -ENOMEM;
	return json_array_append_new(arr, v) ? -ENOMEM : 0;
}

static json_t *ioas_json(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, uint32_t flags)
{
	struct ioasid_iova_range *usable = NULL;
	json_t *o, *arr;
	uint32_t i, n;
	int err = 0;

	o = json_pack("{s:s,s:i,s:o,s:o,s:b,s:o,s:I,s:i}", "kind", "ioas", "id",
		      (json_int_t)ioas->obj.id, "set",
		      ioas->set ? json_integer(ioas->set) : json_null(), "alignment",
		      hex(ioas->alignment), "huge_pages", ioas->huge_pages, "mapped_bytes",
		      hex(ioas->mapped_bytes), "nr_areas",
		      (json_int_t)iova_tree_count(ioas->areas), "nr_attached",
		      (json_int_t)ioas_nr_devices(ioas));
	if (!o)
		return NULL;
	if (!(flags & IOASID_JSON_NO_MAPS)) {
		const struct iova_area *a;

		arr = json_array();
		err = add(o, "mappings", arr);
		for (a = iova_tree_first_in(ioas->areas, 0, UINT64_MAX); a && !err;
		     a = iova_tree_next(ioas->areas, a))
			err = append(arr, json_pack("{s:o,s:o,s:o,s:o,s:s,s:b}", "iova", hex(a->iova),
						    "last", hex(a->last), "length",
						    hex(a->last - a->iova + 1), "uva", hex(a->uva),
						    "perm", perm_str((uint32_t)a->cookie),
						    "shared", !!(a->cookie & AREA_SHARED)));
	}
	if (!err && !(err = ioas_usable_ranges(ioas, &usable, &n))) {
		arr = json_array();
		err = add(o, "usable_ranges", arr);
		for (i = 0; i < n && !err; i++)
			err = append(arr, range_json(usable[i].start, usable[i].last));
		ioasid_free(usable);
	}
	if (!err) {
		arr = json_array();
		err = add(o, "reserved", arr);
		for (i = 0; i < ioas->nr_resv && !err; i++) {
			json_t *r = range_json(ioas->resv[i].start, ioas->resv[i].last);

			err = append(arr, r);
			if (!err)
				err = add(r, "kind", json_string(resv_kind_str(ioas->resv[i].kind)));
		}
	}
	if (!err) {
		arr = json_array();
		err = add(o, "allowed", arr);
		for (i = 0; i < ioas->nr_allowed && !err; i++)
			err = append(arr, range_json(ioas->allowed[i].start, ioas->allowed[i].last));
	}
	(void)ctx;
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *set_json(struct ioasid_ctx *ctx, struct ioasid_set *set)
{
	json_t *o, *arr;
	uint32_t p = 1;
	int err;

	o = json_pack("{s:s,s:i,s:o,s:i,s:i,s:i,s:i}", "kind", "set", "id",
		      (json_int_t)set->obj.id, "owner", hex(set->owner), "max_pasids",
		      (json_int_t)set->max_pasids, "nr_pasids", (json_int_t)set->nr_pasids,
		      "max_ioas", (json_int_t)set->max_ioas, "nr_ioas", (json_int_t)set->nr_ioas);
	if (!o)
		return NULL;
	arr = json_array();
	err = add(o, "pasids", arr);
	while (!err && ctx->pasids && p < (1u << ctx->pasid_width) &&
	       !pasid_space_next(ctx->pasids, p, set->obj.id, &p)) {
		err = append(arr, json_integer(p));
		p++;
	}
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *dev_json(struct ioasid_ctx *ctx, struct ioasid_dev *dev)
{
	json_t *o, *arr, *caps;
	uint32_t i;
	int err;

	o = json_pack("{s:s,s:i,s:s,s:o,s:i,s:b,s:b,s:o}", "kind", "dev", "id",
		      (json_int_t)dev->obj.id, "name", dev->name, "page_sizes",
		      hex(dev->props.pgsize_bitmap), "pasid_width",
		      (json_int_t)dev->props.pasid_width, "pri", dev->props.pri, "ats",
		      dev->props.ats, "aperture",
		      range_json(dev->props.aperture_start, dev->props.aperture_last));
	if (!o)
		return NULL;
	arr = json_array();
	err = add(o, "attachments", arr);
	for (i = 0; i < dev->nr_att && !err; i++) {
		const struct dev_attach *a = dev->att[i];

		err = append(arr, json_pack("{s:o,s:i,s:o}", "pasid",
					    a->pasid == IOASID_PASID_NONE ? json_null() :
					    json_integer(a->pasid),
					    "pt", (json_int_t)a->pt, "set",
					    a->set ? json_integer(a->set) : json_null()));
	}
	if (!err) {
		caps = ioasid_caps_to_json(dev->caps, dev->caps_len);
		err = caps ? add(o, "caps", caps) :
			ioasid_err_prefix(ctx, -EINVAL, "device %s", dev->name);
	}
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *hwpt_json(struct ioasid_ctx *ctx, struct ioasid_hwpt *h)
{
	json_t *o;
	int err = 0;

	o = json_pack("{s:s,s:i,s:s,s:b,s:i,s:o,s:i,s:b,s:{s:b,s:b,s:b,s:b},s:o,s:o}",
		      "kind", "hwpt", "id", (json_int_t)h->obj.id, "type",
		      hwpt_is_paging(h) ? "paging" : "nested_vtd_s1", "auto", h->autodom,
		      "ioas", (json_int_t)h->ioas->obj.id, "parent",
		      h->parent ? json_integer(h->parent->obj.id) : json_null(), "nr_attached",
		      (json_int_t)h->nr_att, "dirty_enabled", h->dirty_enabled, "flags",
		      "nest_parent", !!(h->flags & IOASID_HWPT_NEST_PARENT), "dirty_tracking",
		      !!(h->flags & IOASID_HWPT_DIRTY_TRACKING), "pasid",
		      !!(h->flags & IOASID_HWPT_PASID), "fault",
		      !!(h->flags & IOASID_HWPT_FAULT_ID_VALID), "fault_queue",
		      (h->flags & IOASID_HWPT_FAULT_ID_VALID) ? json_integer(h->fault_queue) :
		      json_null(), "page_sizes", hex(h->pgsize_bitmap));
	if (o && !hwpt_is_paging(h))
		err = add(o, "s1", json_pack("{s:o,s:i,s:o}", "pgtbl_addr", hex(h->s1.pgtbl_addr),
					     "addr_width", (json_int_t)h->s1.addr_width, "flags",
					     hex(h->s1.flags)));
	if (o && !err && ctx->ops->hwpt_json)
		err = ctx->ops->hwpt_json(ctx, h, o);
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *queue_json(struct ioasid_fault_queue *q)
{
	const struct ioasid_fault_queue_stats *st = &q->st;

	return json_pack("{s:s,s:i,s:i,s:i,s:I,s:i,s:i,s:i,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}}",
			 "kind", "queue", "id", (json_int_t)q->obj.id, "set", (json_int_t)q->set,
			 "depth", (json_int_t)q->depth, "timeout_ns", (json_int_t)q->timeout_ns,
			 "queued", (json_int_t)q->queued, "pending", (json_int_t)q->pending,
			 "bound_hwpts", (json_int_t)q->nr_bound, "counters",
			 "raised", (json_int_t)st->raised, "delivered", (json_int_t)st->delivered,
			 "groups", (json_int_t)st->groups,
			 "answered_success", (json_int_t)st->answered_success,
			 "answered_invalid", (json_int_t)st->answered_invalid,
			 "answered_failure", (json_int_t)st->answered_failure,
			 "timed_out", (json_int_t)st->timed_out, "overflowed", (json_int_t)st->overflowed,
			 "detached", (json_int_t)st->detached);
}

static json_t *obj_json(struct ioasid_ctx *ctx, struct ioasid_obj *obj, uint32_t flags)
{
	switch (obj->kind) {
	case IOASID_OBJ_IOAS:
		return ioas_json(ctx, (struct ioasid_ioas *)obj, flags);
	case IOASID_OBJ_SET:
		return set_json(ctx, (struct ioasid_set *)obj);
	case IOASID_OBJ_DEV:
		return dev_json(ctx, (struct ioasid_dev *)obj);
	case IOASID_OBJ_HWPT:
		return hwpt_json(ctx, (struct ioasid_hwpt *)obj);
	case IOASID_OBJ_FAULT_QUEUE:
		return queue_json((struct ioasid_fault_queue *)obj);
	default:
		return json_pack("{s:s,s:i}", "kind", obj_kind_name(obj->kind), "id",
				 (json_int_t)obj->id);
	}
}

/* Wrap @body (stolen) into a document and serialize it. */
static int finish(struct ioasid_ctx *ctx, json_t *body, uint32_t flags, char **ret)
{
	size_t jflags = JSON_PRESERVE_ORDER | ((flags & IOASID_JSON_COMPACT) ? JSON_COMPACT : JSON_INDENT(2));
	char *s;

	if (!body)
		return ioasid_err(ctx, -ENOMEM, "out of memory for a JSON dump");
	s = json_dumps(body, jflags);
	json_decref(body);
	if (!s)
		return ioasid_err(ctx, -ENOMEM, "out of memory for a JSON dump");
	*ret = s;
	return 0;
}

static json_t *doc_new(void)
{
	return json_pack("{s:s}", "schema", IOASID_JSON_SCHEMA);
}

static int check_flags(struct ioasid_ctx *ctx, uint32_t flags, char **ret)
{
	if (!ret)
		return ioasid_err(ctx, -EINVAL, "ret is NULL");
	if (flags & ~(IOASID_JSON_COMPACT | IOASID_JSON_NO_MAPS))
		return ioasid_err(ctx, -EINVAL, "unknown JSON flags 0x%x",
				  flags & ~(IOASID_JSON_COMPACT | IOASID_JSON_NO_MAPS));
	return 0;
}

IOASID_EXPORT int ioasid_json_ctx(struct ioasid_ctx *ctx, uint32_t flags, char **ret_doc)
{
	static const struct {
		const char *key;
		enum ioasid_obj_kind kind;
	} lists[] = {
		{ "sets", IOASID_OBJ_SET },
		{ "ioas", IOASID_OBJ_IOAS },
		{ "devices", IOASID_OBJ_DEV },
		{ "hwpts", IOASID_OBJ_HWPT },
		{ "queues", IOASID_OBJ_FAULT_QUEUE },
	};
	struct ioasid_pinned_info pi;
	json_t *doc, *pinned;
	size_t i;
	int err;

	if (!ctx)
		return -EINVAL;
	err = check_flags(ctx, flags, ret_doc);
	if (err)
		return err;
	err = ioasid_ctx_pinned(ctx, &pi);
	if (err)
		return err;
	ctx_lock(ctx);
	doc = doc_new();
	pinned = json_pack("{s:I,s:o,s:I,s:b}", "pages", (json_int_t)pi.pinned_pages,
			   "limit_pages", pi.limit_pages == UINT64_MAX ? json_string("unlimited") :
			   json_integer((json_int_t)pi.limit_pages),
			   "page_size", (json_int_t)pi.page_size, "exempt", pi.exempt);
	err = doc ? 0 : -ENOMEM;
	if (!err)
		err = add(doc, "kind", json_string("context"));
	if (!err)
		err = add(doc, "backend", json_string(ctx->ops->name));
	if (!err)
		err = add(doc, "reason", json_string(ctx->reason));
	if (!err && ctx->ops->kind == IOASID_BACKEND_SIM)
		err = add(doc, "profile", json_string(ioasid_sim_profile_name(ctx)));
	if (!err)
		err = add(doc, "pasid_width", json_integer(ctx->pasid_width));
	if (!err)
		err = add(doc, "unrouted_faults", json_integer((json_int_t)ctx->unrouted_count));
	if (!err)
		err = add(doc, "pinned", pinned);
	else
		json_decref(pinned);
	if (!err && ctx->ops->ctx_json)
		err = ctx->ops->ctx_json(ctx, doc);
	for (i = 0; i < ARRAY_SIZE(lists) && !err; i++) {
		json_t *arr = json_array();
		struct ioasid_obj *o;
		uint32_t pos = 0;

		err = add(doc, lists[i].key, arr);
		while (!err && (o = obj_next(ctx, lists[i].kind, &pos)))
			err = append(arr, obj_json(ctx, o, flags));
	}
	if (err) {
		json_decref(doc);
		doc = NULL;
	}
	err = finish(ctx, doc, flags, ret_doc);
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_json_object(struct ioasid_ctx *ctx, uint32_t id, uint32_t flags,
				     char **ret_doc)
{
	struct ioasid_obj *obj;
	json_t *doc = NULL, *body;
	int err;

	if (!ctx)
		return -EINVAL;
	err = check_flags(ctx, flags, ret_doc);
	if (err)
		return err;
	obj = ctx_lock_lookup(ctx, id, IOASID_OBJ_NONE);
	if (!obj)
		return -ENOENT;
	body = obj_json(ctx, obj, flags);
	doc = doc_new();
	if (body && doc && !json_object_update(doc, body)) {
		json_decref(body);
	} else {
		json_decref(body);
		json_decref(doc);
		doc = NULL;
	}
	err = finish(ctx, doc, flags, ret_doc);
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_json_caps(const void *buf, size_t len, uint32_t flags, char **ret_doc)
{
	json_t *doc, *caps;
	int err;

	err = check_flags(NULL, flags, ret_doc);
	if (err)
		return err;
	if (!buf)
		return ioasid_err(NULL, -EINVAL, "buf is NULL");
	caps = ioasid_caps_to_json(buf, len);
	if (!caps)
		return ioasid_err_prefix(NULL, -EINVAL, "capability chain");
	doc = json_pack("{s:s,s:s,s:o}", "schema", IOASID_JSON_SCHEMA, "kind", "caps", "caps", caps);
	return finish(NULL, doc, flags, ret_doc);
}

IOASID_EXPORT void ioasid_json_free(char *s)
{
	/* jansson allocates with malloc by default */
	free(s);
}
