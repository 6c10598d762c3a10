/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ioasid_ctx_restore_state(): a successor process rebuilds a context from
 * the document ioasid_ctx_save_state() wrote (docs/live-update.md).
 *
 * Every value is checked before it is used, and every object gets back
 * the id it had: the table is laid out first (obj_ids_preset()) in the
 * order the objects are made again -- sets, IOASes (options, reserved
 * ranges, file maps), devices, HWPTs, then the attachments, each
 * automatic domain taking its id when the attachment that made it is
 * made. The objects are made through the public calls, so every rule of
 * the API applies to a restored context as to a new one; on iommufd the
 * backend adopts the kernel objects the state names instead of making
 * them (backend.h, adopt).
 *
 * On failure nothing is left: the context is closed (on iommufd without
 * touching the adopted kernel objects, which stay for another try) and
 * the thread's message names the bad value (ioasid_last_errmsg()).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "core/dev-private.h"
#include "core/hwpt-private.h"
#include "core/live-update-private.h"

/* Ids above this are refused: the id table is laid out up to the largest. */
#define LU_MAX_ID (1u << 16)

struct rs_obj {
	uint32_t id;
	enum ioasid_obj_kind kind;
	json_t *j;
	bool made;
};

struct restore {
	json_t *doc;
	struct rs_obj *objs;
	uint32_t n;
	uint32_t *slot; /* id -> index in objs + 1; 0: no such object */
	uint32_t max_id;
	uint32_t *order;
	uint32_t nr_order;
	struct ioasid_ctx *ctx;
	enum ioasid_backend_kind kind;
};

#define rs_err(err, ...) ioasid_err(NULL, (err), "restore state: " __VA_ARGS__)

/* ---- reading values ---- */

static int get_u32(json_t *o, const char *key, const char *what, uint32_t *ret)
{
	json_t *v = json_object_get(o, key);
	json_int_t i;

	if (!json_is_integer(v))
		return rs_err(-EINVAL, "%s: \"%s\" is missing or not an integer", what, key);
	i = json_integer_value(v);
	if (i < 0 || i > (json_int_t)UINT32_MAX)
		return rs_err(-ERANGE, "%s: \"%s\" %" JSON_INTEGER_FORMAT " is out of range", what,
			      key, i);
	*ret = (uint32_t)i;
	return 0;
}

static int get_int(json_t *o, const char *key, const char *what, int *ret)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return rs_err(-EINVAL, "%s: \"%s\" is missing or not an integer", what, key);
	if (json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX)
		return rs_err(-EBADF, "%s: \"%s\" %" JSON_INTEGER_FORMAT " is not an fd", what, key,
			      json_integer_value(v));
	*ret = (int)json_integer_value(v);
	return 0;
}

/* A 64-bit value, written as a "0x..." string. */
static int get_hex_of(json_t *v, const char *key, const char *what, uint64_t *ret)
{
	const char *s = json_string_value(v);
	char *end;

	if (!s || strncmp(s, "0x", 2) || !s[2] || strlen(s) > 18)
		return rs_err(-EINVAL, "%s: \"%s\" is missing or not a \"0x...\" string", what, key);
	errno = 0;
	*ret = strtoull(s + 2, &end, 16);
	if (*end || errno)
		return rs_err(-EINVAL, "%s: \"%s\" \"%s\" is not a hexadecimal number", what, key,
			      s);
	return 0;
}

static int get_hex(json_t *o, const char *key, const char *what, uint64_t *ret)
{
	return get_hex_of(json_object_get(o, key), key, what, ret);
}

static int get_bool(json_t *o, const char *key, const char *what, bool *ret)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_boolean(v))
		return rs_err(-EINVAL, "%s: \"%s\" is missing or not true/false", what, key);
	*ret = json_is_true(v);
	return 0;
}

static json_t *get_array(json_t *o, const char *key, const char *what, int *err)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_array(v))
		*err = rs_err(-EINVAL, "%s: \"%s\" is missing or not an array", what, key);
	return v;
}

/* The object @id of @kind named by field @key of @what; NULL with the message. */
static struct rs_obj *get_ref(struct restore *r, json_t *o, const char *key, const char *what,
			      enum ioasid_obj_kind kind, int *err)
{
	uint32_t id;
	struct rs_obj *ro;

	*err = get_u32(o, key, what, &id);
	if (*err)
		return NULL;
	ro = id && id <= r->max_id && r->slot[id - 1] ? &r->objs[r->slot[id - 1] - 1] : NULL;
	if (!ro || (kind != IOASID_OBJ_NONE && ro->kind != kind)) {
		*err = rs_err(-EINVAL, "%s: \"%s\" %u is not %s in the state", what, key, id,
			      kind == IOASID_OBJ_NONE ? "an object" : obj_kind_name(kind));
		return NULL;
	}
	return ro;
}

/* "object 5 (ioas)", for messages. */
static const char *obj_what(const struct rs_obj *ro, char *buf, size_t len)
{
	snprintf(buf, len, "object %u (%s)", ro->id, obj_kind_name(ro->kind));
	return buf;
}

/* ---- the object list and the order ids are given out in ---- */

static int kind_from_name(const char *s, enum ioasid_obj_kind *ret)
{
	static const enum ioasid_obj_kind kinds[] = { IOASID_OBJ_IOAS, IOASID_OBJ_SET,
						      IOASID_OBJ_DEV, IOASID_OBJ_HWPT,
						      IOASID_OBJ_FAULT_QUEUE };
	size_t i;

	for (i = 0; s && i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(s, obj_kind_name(kinds[i]))) {
			*ret = kinds[i];
			return 0;
		}
	return -1;
}

static int read_objects(struct restore *r, json_t *arr)
{
	size_t i;

	r->n = (uint32_t)json_array_size(arr);
	if (json_array_size(arr) > LU_MAX_ID)
		return rs_err(-ERANGE, "%zu objects (at most %u)", json_array_size(arr), LU_MAX_ID);
	r->objs = ioasid_calloc(r->n ? r->n : 1, sizeof(*r->objs));
	if (!r->objs)
		return rs_err(-ENOMEM, "out of memory");
	for (i = 0; i < r->n; i++) {
		json_t *o = json_array_get(arr, i);
		struct rs_obj *ro = &r->objs[i];
		char what[32];
		int err;

		snprintf(what, sizeof(what), "objects[%zu]", i);
		if (!json_is_object(o))
			return rs_err(-EINVAL, "%s is not an object", what);
		err = get_u32(o, "id", what, &ro->id);
		if (err)
			return err;
		if (!ro->id || ro->id > LU_MAX_ID)
			return rs_err(-ERANGE, "%s: id %u is outside [1, %u]", what, ro->id,
				      LU_MAX_ID);
		if (kind_from_name(json_string_value(json_object_get(o, "kind")), &ro->kind))
			return rs_err(-EINVAL,
				      "%s (id %u): kind %s is not one this library restores", what,
				      ro->id,
				      json_string_value(json_object_get(o, "kind")) ?: "(missing)");
		ro->j = o;
		r->max_id = IOASID_MAX(r->max_id, ro->id);
	}
	r->slot = ioasid_calloc(r->max_id ? r->max_id : 1, sizeof(*r->slot));
	r->order = ioasid_calloc(r->n ? r->n : 1, sizeof(*r->order));
	if (!r->slot || !r->order)
		return rs_err(-ENOMEM, "out of memory");
	for (i = 0; i < r->n; i++) {
		if (r->slot[r->objs[i].id - 1])
			return rs_err(-EINVAL, "objects[%zu]: id %u appears twice", i,
				      r->objs[i].id);
		r->slot[r->objs[i].id - 1] = (uint32_t)i + 1;
	}
	return 0;
}

static void order_add(struct restore *r, struct rs_obj *ro)
{
	if (!ro->made) {
		ro->made = true; /* here: "placed in the order" */
		r->order[r->nr_order++] = ro->id;
	}
}

static int order_attachments(struct restore *r, struct rs_obj *dev)
{
	char what[48];
	json_t *att, *a;
	size_t i;
	int err = 0;

	obj_what(dev, what, sizeof(what));
	att = get_array(dev->j, "attached", what, &err);
	json_array_foreach(att, i, a) {
		struct rs_obj *h;

		if (!json_is_object(a))
			return rs_err(-EINVAL, "%s: attached[%zu] is not an object", what, i);
		h = get_ref(r, a, "hwpt", what, IOASID_OBJ_HWPT, &err);
		if (!h)
			return err;
		order_add(r, h);
	}
	return err;
}

/* The "type" of an HWPT (paging when the document has none: an older save). */
static int hwpt_type(struct rs_obj *ro, uint32_t *ret)
{
	char what[48];

	*ret = IOASID_HWPT_PAGING;
	if (!json_object_get(ro->j, "type"))
		return 0;
	return get_u32(ro->j, "type", obj_what(ro, what, sizeof(what)), ret);
}

/*
 * An HWPT made by hand, after its nest parent when it is nested (the
 * parent may have the higher id: ids are reused). @depth stops a loop of
 * parents in a bad document.
 */
static int order_hwpt(struct restore *r, struct rs_obj *ro, uint32_t depth)
{
	struct rs_obj *parent;
	char what[48];
	uint32_t type;
	bool autodom = false;
	int err;

	if (ro->made)
		return 0;
	err = hwpt_type(ro, &type);
	if (err || type == IOASID_HWPT_PAGING) {
		if (!err)
			order_add(r, ro);
		return err;
	}
	obj_what(ro, what, sizeof(what));
	if (depth)
		return rs_err(-EINVAL, "%s: \"parent\" is a nested HWPT", what);
	parent = get_ref(r, ro->j, "parent", what, IOASID_OBJ_HWPT, &err);
	if (!parent)
		return err;
	err = get_bool(parent->j, "auto", what, &autodom);
	if (!err && autodom)
		err = rs_err(-EINVAL, "%s: \"parent\" %u is an automatic domain", what, parent->id);
	err = err ?: order_hwpt(r, parent, depth + 1);
	if (!err)
		order_add(r, ro);
	return err;
}

/*
 * Sets, fault queues, IOASes, devices and the HWPTs made by hand in id
 * order (a nested one after its parent); then the automatic domains, in
 * the order the attachments make them.
 */
static int plan_order(struct restore *r)
{
	static const enum ioasid_obj_kind first[] = { IOASID_OBJ_SET, IOASID_OBJ_FAULT_QUEUE,
						      IOASID_OBJ_IOAS, IOASID_OBJ_DEV,
						      IOASID_OBJ_HWPT };
	uint32_t k, id;
	int err;

	for (k = 0; k < ARRAY_SIZE(first); k++)
		for (id = 1; id <= r->max_id; id++) {
			struct rs_obj *ro = r->slot[id - 1] ? &r->objs[r->slot[id - 1] - 1] : NULL;
			bool autodom = false;
			char what[48];

			if (!ro || ro->kind != first[k])
				continue;
			if (ro->kind == IOASID_OBJ_HWPT) {
				err = get_bool(ro->j, "auto", obj_what(ro, what, sizeof(what)),
					       &autodom);
				if (err)
					return err;
			}
			if (ro->kind != IOASID_OBJ_HWPT)
				order_add(r, ro);
			else if (!autodom && (err = order_hwpt(r, ro, 0)))
				return err;
		}
	for (id = 1; id <= r->max_id; id++) {
		struct rs_obj *ro = r->slot[id - 1] ? &r->objs[r->slot[id - 1] - 1] : NULL;

		if (ro && ro->kind == IOASID_OBJ_DEV) {
			err = order_attachments(r, ro);
			if (err)
				return err;
		}
	}
	for (k = 0; k < r->n; k++) {
		if (!r->objs[k].made)
			return rs_err(-EINVAL,
				      "object %u (hwpt): an automatic domain no device is attached to",
				      r->objs[k].id);
		r->objs[k].made = false;
	}
	return 0;
}

/* ---- making the objects ---- */

/*
 * Adopting the kernel's objects (iommufd; backend.h, adopt_begin): the
 * next object made is the kernel object the state names in @o's
 * "kernel_id". Nothing to do on a backend that makes everything again.
 */
static int adopt_next(struct ioasid_ctx *ctx, json_t *o, const char *what)
{
	uint32_t kid;
	int err;

	if (!ctx->ops->adopt_begin)
		return 0;
	err = get_u32(o, "kernel_id", what, &kid);
	if (err)
		return err;
	if (!kid)
		return rs_err(-EINVAL, "%s: kernel_id 0 is no kernel object", what);
	ctx_lock(ctx);
	ctx->adopt_kid = kid;
	ctx->adopt_why[0] = '\0';
	ctx_unlock(ctx);
	return 0;
}

/* The restore is over (@keep) or failed: the backend's adopt_end. */
static void adopt_end(struct ioasid_ctx *ctx, bool keep)
{
	if (!ctx->ops->adopt_end)
		return;
	ctx_lock(ctx);
	ctx->ops->adopt_end(ctx, keep);
	ctx_unlock(ctx);
}

/* The object the last call made must have the id it had: else the state is inconsistent. */
static int check_id(const struct rs_obj *ro, uint32_t got)
{
	char what[48];

	if (got == ro->id)
		return 0;
	return rs_err(-EINVAL, "%s came back as id %u: the state's ids are inconsistent",
		      obj_what(ro, what, sizeof(what)), got);
}

/* A public call on the context failed: its message, prefixed with the object. */
static int call_failed(struct restore *r, const struct rs_obj *ro, int err, const char *call)
{
	char what[48], why[sizeof(r->ctx->adopt_why)] = "";

	if (r->ctx) {
		ctx_lock(r->ctx);
		memcpy(why, r->ctx->adopt_why, sizeof(why));
		r->ctx->adopt_why[0] = '\0';
		ctx_unlock(r->ctx);
	}
	if (why[0]) /* the backend's request failed because the adoption check did */
		return rs_err(err, "%s: %s: %s", obj_what(ro, what, sizeof(what)), call, why);
	return ioasid_err_prefix(NULL, err, "restore state: %s: %s",
				 obj_what(ro, what, sizeof(what)), call);
}

static int make_set(struct restore *r, struct rs_obj *ro)
{
	struct ioasid_set_opts o = { .sz = sizeof(o) };
	json_t *pasids, *p;
	char what[48];
	uint32_t id;
	size_t i;
	int err;

	obj_what(ro, what, sizeof(what));
	err = get_hex(ro->j, "owner", what, &o.owner);
	err = err ?: get_u32(ro->j, "max_pasids", what, &o.max_pasids);
	err = err ?: get_u32(ro->j, "max_ioas", what, &o.max_ioas);
	pasids = err ? NULL : get_array(ro->j, "pasids", what, &err);
	if (err)
		return err;
	err = ioasid_set_alloc(r->ctx, &o, &id);
	if (err)
		return call_failed(r, ro, err, "set_alloc");
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
			return call_failed(r, ro, err, "pasid_alloc");
	}
	return err;
}

static int read_range(json_t *v, const char *key, const char *what, uint64_t *start, uint64_t *last)
{
	int err;

	if (!json_is_object(v))
		return rs_err(-EINVAL, "%s: an entry of \"%s\" is not {start, last}", what, key);
	err = get_hex(v, "start", what, start);
	return err ?: get_hex(v, "last", what, last);
}

static int ioas_ranges(struct restore *r, struct rs_obj *ro, const char *what)
{
	struct ioasid_iova_range *ranges = NULL;
	json_t *allowed, *resv, *v;
	size_t i;
	int err = 0;

	allowed = get_array(ro->j, "allowed", what, &err);
	resv = err ? NULL : get_array(ro->j, "reserved", what, &err);
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
				err = call_failed(r, ro, err, "allow_iovas");
		}
		ioasid_free(ranges);
	}
	json_array_foreach(resv, i, v) {
		uint64_t start, last;

		if (err)
			break;
		err = read_range(v, "reserved", what, &start, &last);
		if (!err && (err = ioasid_ioas_reserve(r->ctx, ro->id, start, last)))
			err = call_failed(r, ro, err, "reserve");
	}
	return err;
}

/* Does the kernel's IOAS map [@iova, @iova + @len)? 0, -ENOENT, or the probe's error. */
static int probe(struct ioasid_ctx *ctx, uint32_t kioas, uint64_t iova, uint64_t len)
{
	int err;

	ctx_lock(ctx);
	err = ctx->ops->adopt_probe(ctx, kioas, iova, len);
	ctx_unlock(ctx);
	return err;
}

/*
 * Adopting an IOAS (iommufd): its areas are the kernel's, which the
 * restore does not map again; check that the kernel's IOAS maps what the
 * state says. Every area must be mapped to its last byte, and the page
 * before and the page after it must not be, unless the state has an
 * area there too: an area missing, shrunk or grown is refused. (An area
 * of the kernel's far from every area of the state goes unseen: the
 * kernel cannot list them.)
 */
static int adopt_check_areas(struct restore *r, struct rs_obj *ro, const char *what)
{
	struct ioasid_ctx *ctx = r->ctx;
	const uint64_t pg = 4096;
	uint64_t prev_end = 0, next_iova, iova, length;
	bool have_prev = false;
	json_t *areas = json_object_get(ro->j, "areas");
	uint32_t kioas = 0;
	size_t i, n = json_array_size(areas);
	int err;

	if (!ctx->ops->adopt_probe || !n)
		return 0;
	err = ioasid_obj_kernel_id(ctx, ro->id, &kioas);
	if (err)
		return call_failed(r, ro, err, "obj_kernel_id");
	for (i = 0; i < n; i++) {
		json_t *a = json_array_get(areas, i);

		/* read and checked by ioas_areas() */
		(void)get_hex(a, "iova", what, &iova);
		(void)get_hex(a, "length", what, &length);
		next_iova = 0;
		if (i + 1 < n)
			(void)get_hex(json_array_get(areas, i + 1), "iova", what, &next_iova);
		err = probe(ctx, kioas, iova, length);
		if (err == -ENOENT)
			return rs_err(-EINVAL,
				      "%s: kernel IOAS %u does not map all of areas[%zu] [0x%" PRIx64
				      ", 0x%" PRIx64 "]",
				      what, kioas, i, iova, iova + length - 1);
		if (!err && iova >= pg && !(have_prev && prev_end == iova)) {
			err = probe(ctx, kioas, iova - pg, pg);
			if (!err)
				return rs_err(-EINVAL,
					      "%s: kernel IOAS %u maps 0x%" PRIx64
					      ", the page before areas[%zu] at 0x%" PRIx64
					      ", which the state leaves unmapped",
					      what, kioas, iova - pg, i, iova);
			err = err == -ENOENT ? 0 : err;
		}
		if (!err && iova + length <= UINT64_MAX - pg + 1 &&
		    !(i + 1 < n && next_iova == iova + length)) {
			err = probe(ctx, kioas, iova + length, pg);
			if (!err)
				return rs_err(-EINVAL,
					      "%s: kernel IOAS %u maps 0x%" PRIx64
					      ", the page after areas[%zu] [0x%" PRIx64
					      ", 0x%" PRIx64 "], which the state leaves unmapped",
					      what, kioas, iova + length, i, iova,
					      iova + length - 1);
			err = err == -ENOENT ? 0 : err;
		}
		if (err)
			return call_failed(r, ro, err, "checking the kernel's areas");
		prev_end = iova + length;
		have_prev = true;
	}
	return 0;
}

static int ioas_areas(struct restore *r, struct rs_obj *ro, const char *what)
{
	json_t *areas, *a;
	size_t i;
	int err = 0;

	areas = get_array(ro->j, "areas", what, &err);
	json_array_foreach(areas, i, a) {
		uint64_t iova, length;
		struct lu_file f;
		uint32_t perm;

		if (err)
			break;
		if (!json_is_object(a))
			return rs_err(-EINVAL, "%s: areas[%zu] is not an object", what, i);
		err = get_hex(a, "iova", what, &iova);
		err = err ?: get_hex(a, "length", what, &length);
		err = err ?: get_u32(a, "perm", what, &perm);
		err = err ?: get_int(a, "fd", what, &f.fd);
		err = err ?: get_hex(a, "offset", what, &f.offset);
		if (!err && (perm & ~(uint32_t)(IOASID_MAP_READ | IOASID_MAP_WRITE) || !perm))
			err = rs_err(-EINVAL, "%s: areas[%zu]: perm %u is not READ and/or WRITE",
				     what, i, perm);
		if (!err && (err = lu_map_file(r->ctx, ro->id, &f, length, perm, iova)))
			err = call_failed(r, ro, err, "map_file");
	}
	return err ?: adopt_check_areas(r, ro, what);
}

static int make_ioas(struct restore *r, struct rs_obj *ro)
{
	struct rs_obj *set = NULL;
	uint32_t set_id, id;
	bool huge = true;
	char what[48];
	int err;

	obj_what(ro, what, sizeof(what));
	err = get_u32(ro->j, "set", what, &set_id);
	err = err ?: get_bool(ro->j, "huge_pages", what, &huge);
	if (!err && set_id)
		set = get_ref(r, ro->j, "set", what, IOASID_OBJ_SET, &err);
	if (err)
		return err;
	err = adopt_next(r->ctx, ro->j, what);
	if (err)
		return err;
	err = set ? ioasid_set_ioas_alloc(r->ctx, set->id, &id) : ioasid_ioas_alloc(r->ctx, &id);
	if (err && r->ctx->ops->adopt_begin) {
		char call[64];

		snprintf(call, sizeof(call), "adopting kernel IOAS %u", r->ctx->adopt_kid);
		return call_failed(r, ro, err, call);
	}
	if (err)
		return call_failed(r, ro, err, "ioas_alloc");
	err = check_id(ro, id);
	if (!err && !huge &&
	    (err = ioasid_ioas_set_option(r->ctx, id, IOASID_IOAS_OPT_HUGE_PAGES, 0)))
		err = call_failed(r, ro, err, "set_option huge_pages");
	err = err ?: ioas_ranges(r, ro, what);
	return err ?: ioas_areas(r, ro, what);
}

static int make_dev(struct restore *r, struct rs_obj *ro)
{
	const char *name = json_string_value(json_object_get(ro->j, "name"));
	char what[48];
	uint32_t id;
	int err, fd;

	obj_what(ro, what, sizeof(what));
	if (!name)
		return rs_err(-EINVAL, "%s: \"name\" is missing or not a string", what);
	if (r->kind == IOASID_BACKEND_SIM) {
		err = ioasid_dev_bind(r->ctx, name, &id);
	} else {
		err = get_int(ro->j, "fd", what, &fd);
		err = err ?: adopt_next(r->ctx, ro->j, what);
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
		return call_failed(r, ro, err, "dev_bind");
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

	obj_what(ro, what, sizeof(what));
	err = get_u32(ro->j, "set", what, &o.set);
	err = err ?: get_u32(ro->j, "depth", what, &o.depth);
	err = err ?: get_hex(ro->j, "timeout_ns", what, &o.timeout_ns);
	err = err ?: get_u32(ro->j, "timeout_code", what, &o.timeout_code);
	if (!err && !get_ref(r, ro->j, "set", what, IOASID_OBJ_SET, &err))
		return err;
	if (!err && r->kind == IOASID_BACKEND_IOMMUFD)
		err = get_int(ro->j, "fd", what, &fd);
	err = err ?: adopt_next(r->ctx, ro->j, what);
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
		return call_failed(r, ro, err, "fault_queue_alloc");
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
	err = get_hex(j, "flags", what, &s1->flags);
	err = err ?: get_hex(j, "pgtbl_addr", what, &s1->pgtbl_addr);
	err = err ?: get_u32(j, "addr_width", what, &s1->addr_width);
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

	obj_what(ro, what, sizeof(what));
	err = get_u32(ro->j, "flags", what, &o.flags);
	err = err ?: get_bool(ro->j, "dirty_tracking", what, &dirty);
	err = err ?: hwpt_type(ro, &o.type);
	if (!err && o.type != IOASID_HWPT_PAGING && o.type != IOASID_HWPT_NESTED_VTD_S1)
		err = rs_err(-EOPNOTSUPP, "%s: type %u is not one this library restores", what,
			     o.type);
	if (!err && o.type == IOASID_HWPT_NESTED_VTD_S1)
		err = read_s1(ro, what, &s1, &o);
	if (err)
		return err;
	if (o.flags & IOASID_HWPT_FAULT_ID_VALID) {
		struct rs_obj *q = get_ref(r, ro->j, "fault_queue", what, IOASID_OBJ_FAULT_QUEUE,
					   &err);

		if (!q)
			return err;
		o.fault_queue = q->id;
	}
	dev = get_ref(r, ro->j, "dev", what, IOASID_OBJ_DEV, &err);
	ioas = dev ? get_ref(r, ro->j, "ioas", what, IOASID_OBJ_IOAS, &err) : NULL;
	pt = ioas;
	if (ioas && o.type != IOASID_HWPT_PAGING)
		pt = get_ref(r, ro->j, "parent", what, IOASID_OBJ_HWPT, &err);
	if (!pt)
		return err;
	err = adopt_next(r->ctx, ro->j, what);
	if (err)
		return err;
	err = ioasid_hwpt_alloc(r->ctx, dev->id, pt->id, &o, &id);
	if (err)
		return call_failed(r, ro, err, "hwpt_alloc");
	err = check_id(ro, id);
	if (!err && dirty && (err = ioasid_hwpt_set_dirty_tracking(r->ctx, id, true)))
		err = call_failed(r, ro, err, "set_dirty_tracking");
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
	if (!json_is_null(pj) && get_u32(a, "pasid", what, &pasid))
		return -EINVAL;
	if (pasid == IOASID_PASID_NONE && !json_is_null(pj))
		return rs_err(-EINVAL, "%s: pasid %u is not a PASID", what, pasid);
	err = get_u32(a, "set", what, &o.set);
	pt = err ? NULL : get_ref(r, a, "pt", what, IOASID_OBJ_NONE, &err);
	h = pt ? get_ref(r, a, "hwpt", what, IOASID_OBJ_HWPT, &err) : NULL;
	if (!h)
		return err;
	/* an older save has none: no automatic domain had a queue then */
	if (json_object_get(a, "fault_queue") &&
	    json_integer_value(json_object_get(a, "fault_queue")) &&
	    !get_ref(r, a, "fault_queue", what, IOASID_OBJ_FAULT_QUEUE, &err))
		return err;
	if (json_object_get(a, "fault_queue"))
		o.fault_queue = (uint32_t)json_integer_value(json_object_get(a, "fault_queue"));
	err = adopt_next(r->ctx, h->j, what);
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

static int make_objects(struct restore *r)
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
			(void)get_bool(ro->j, "auto", "", &autodom); /* read by plan_order() */
		if (autodom)
			break; /* from here on, the attachments make them */
		err = makers[ro->kind](r, ro);
		if (err)
			return err;
	}
	return make_attachments(r);
}

/* ---- the document ---- */

static int read_header(struct restore *r, const char **ret_spec)
{
	json_t *d = r->doc;
	const char *format = json_string_value(json_object_get(d, "format"));
	const char *backend = json_string_value(json_object_get(d, "backend"));
	uint32_t version;
	int err;

	if (!json_is_object(d))
		return rs_err(-EINVAL, "the document is not a JSON object");
	if (!format || strcmp(format, LU_FORMAT))
		return rs_err(-EINVAL, "format %s is not \"%s\"", format ?: "(missing)", LU_FORMAT);
	err = get_u32(d, "version", "the document", &version);
	if (err)
		return err;
	if (version != LU_VERSION)
		return rs_err(-EOPNOTSUPP, "version %u (this library reads version %u)", version,
			      LU_VERSION);
	if (backend && !strcmp(backend, "sim"))
		r->kind = IOASID_BACKEND_SIM;
	else if (backend && !strcmp(backend, "iommufd"))
		r->kind = IOASID_BACKEND_IOMMUFD;
	else
		return rs_err(-EOPNOTSUPP, "backend %s cannot be restored (sim or iommufd)",
			      backend ?: "(missing)");
	*ret_spec = json_string_value(json_object_get(d, "spec"));
	if (!*ret_spec)
		return rs_err(-EINVAL, "\"spec\" is missing or not a string");
	return 0;
}

static int open_ctx(struct restore *r, const char *spec, const struct ioasid_ctx_opts *opts)
{
	uint64_t limit, cur;
	bool exempt = true;
	uint32_t mode;
	int err, fd;

	err = get_u32(r->doc, "rlimit_mode", "the document", &mode);
	err = err ?: get_hex(r->doc, "pinned_limit", "the document", &limit);
	err = err ?: get_bool(r->doc, "cap_ipc_lock_exempt", "the document", &exempt);
	if (err)
		return err;
	if (mode > IOASID_RLIMIT_MODE_MM)
		return rs_err(-ERANGE, "rlimit_mode %u is not 0 or 1", mode);
	if (r->kind == IOASID_BACKEND_SIM) {
		if (strncmp(spec, "sim", 3) || (spec[3] && spec[3] != ':'))
			return rs_err(-EINVAL, "spec \"%s\" is not a sim spec", spec);
		err = ioasid_ctx_open(spec, opts, &r->ctx);
		if (err)
			return ioasid_err_prefix(NULL, err, "restore state: spec \"%s\"", spec);
		/* the kernel keeps its own mode: only the sim has to be told */
		err = ioasid_ctx_get_option(r->ctx, IOASID_CTX_OPT_RLIMIT_MODE, &cur);
		if (!err && cur != mode)
			err = ioasid_ctx_set_option(r->ctx, IOASID_CTX_OPT_RLIMIT_MODE, mode);
	} else {
		err = get_int(r->doc, "ctx_fd", "the document", &fd);
		if (err)
			return err;
		/* the context takes the fd only once the restore succeeded */
		err = ioasid_ctx_open_fd(IOASID_BACKEND_IOMMUFD, fd, false, opts, &r->ctx);
		/* an fd that is not an iommufd is not what the state says it is */
		if (err == -EINVAL || err == -EBADF)
			return ioasid_err_prefix(NULL, -EBADF, "restore state: ctx_fd %d", fd);
		if (err)
			return ioasid_err_prefix(NULL, err, "restore state: ctx_fd %d", fd);
		ctx_lock(r->ctx);
		r->ctx->adopt_fd = -1;
		err = r->ctx->ops->adopt_begin ? r->ctx->ops->adopt_begin(r->ctx) : 0;
		ctx_unlock(r->ctx);
	}
	if (!err && limit)
		err = ioasid_ctx_set_pinned_limit(r->ctx, limit);
	if (!err)
		err = ioasid_ctx_set_cap_ipc_lock_exempt(r->ctx, exempt);
	if (err)
		return ioasid_err_prefix(NULL, err, "restore state: the context's settings");
	return 0;
}

static int restore_doc(struct restore *r, const struct ioasid_ctx_opts *opts)
{
	const char *spec = NULL;
	json_t *objects;
	int err;

	err = read_header(r, &spec);
	objects = err ? NULL : get_array(r->doc, "objects", "the document", &err);
	err = err ?: read_objects(r, objects);
	err = err ?: plan_order(r);
	err = err ?: open_ctx(r, spec, opts);
	if (!err && r->max_id)
		err = make_objects(r);
	if (!err)
		adopt_end(r->ctx, true);
	return err;
}

IOASID_EXPORT int ioasid_ctx_restore_state(int fd, const struct ioasid_ctx_opts *opts,
					   struct ioasid_ctx **ret_ctx)
{
	struct restore r = { 0 };
	json_error_t jerr;
	int err;

	if (!ret_ctx)
		return rs_err(-EINVAL, "ret_ctx is NULL");
	*ret_ctx = NULL;
	if (fd < 0)
		return rs_err(-EBADF, "fd %d", fd);
	r.doc = json_loadfd(fd, JSON_REJECT_DUPLICATES, &jerr);
	if (!r.doc)
		return rs_err(-EINVAL, "fd %d: not a JSON document: line %d: %s", fd, jerr.line,
			      jerr.text);
	err = restore_doc(&r, opts);
	if (err && r.ctx) {
		char msg[IOASID_ERRMSG_MAX];

		/* closing may log: keep the reason for the caller */
		snprintf(msg, sizeof(msg), "%s", ioasid_last_errmsg());
		adopt_end(r.ctx, false);
		ioasid_ctx_close(r.ctx);
		ioasid_err(NULL, err, "%s", msg);
	} else if (!err) {
		*ret_ctx = r.ctx;
	}
	json_decref(r.doc);
	ioasid_free(r.objs);
	ioasid_free(r.slot);
	ioasid_free(r.order);
	return err;
}
