/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Restoring a context (state-restore.c), reading the saved state: the
 * checked readers of the document's values and references, the object
 * list, and the order the objects are made again in (the order their ids
 * are given out in).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/state-restore-private.h"

/* Ids above this are refused: the id table is laid out up to the largest. */
#define LU_MAX_ID (1u << 16)

/* ---- reading values ---- */

int rs_get_u32(json_t *o, const char *key, const char *what, uint32_t *ret)
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

int rs_get_int(json_t *o, const char *key, const char *what, int *ret)
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

int rs_get_hex(json_t *o, const char *key, const char *what, uint64_t *ret)
{
	return get_hex_of(json_object_get(o, key), key, what, ret);
}

int rs_get_bool(json_t *o, const char *key, const char *what, bool *ret)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_boolean(v))
		return rs_err(-EINVAL, "%s: \"%s\" is missing or not true/false", what, key);
	*ret = json_is_true(v);
	return 0;
}

json_t *rs_get_array(json_t *o, const char *key, const char *what, int *err)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_array(v))
		*err = rs_err(-EINVAL, "%s: \"%s\" is missing or not an array", what, key);
	return v;
}

/* The object @id of @kind named by field @key of @what; NULL with the message. */
struct rs_obj *rs_get_ref(struct restore *r, json_t *o, const char *key, const char *what,
			  enum ioasid_obj_kind kind, int *err)
{
	uint32_t id;
	struct rs_obj *ro;

	*err = rs_get_u32(o, key, what, &id);
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
const char *rs_obj_what(const struct rs_obj *ro, char *buf, size_t len)
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

int rs_read_objects(struct restore *r, json_t *arr)
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
		err = rs_get_u32(o, "id", what, &ro->id);
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

	rs_obj_what(dev, what, sizeof(what));
	att = rs_get_array(dev->j, "attached", what, &err);
	json_array_foreach(att, i, a) {
		struct rs_obj *h;

		if (!json_is_object(a))
			return rs_err(-EINVAL, "%s: attached[%zu] is not an object", what, i);
		h = rs_get_ref(r, a, "hwpt", what, IOASID_OBJ_HWPT, &err);
		if (!h)
			return err;
		order_add(r, h);
	}
	return err;
}

/* The "type" of an HWPT (paging when the document has none: an older save). */
int rs_hwpt_type(struct rs_obj *ro, uint32_t *ret)
{
	char what[48];

	*ret = IOASID_HWPT_PAGING;
	if (!json_object_get(ro->j, "type"))
		return 0;
	return rs_get_u32(ro->j, "type", rs_obj_what(ro, what, sizeof(what)), ret);
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
	err = rs_hwpt_type(ro, &type);
	if (err || type == IOASID_HWPT_PAGING) {
		if (!err)
			order_add(r, ro);
		return err;
	}
	rs_obj_what(ro, what, sizeof(what));
	if (depth)
		return rs_err(-EINVAL, "%s: \"parent\" is a nested HWPT", what);
	parent = rs_get_ref(r, ro->j, "parent", what, IOASID_OBJ_HWPT, &err);
	if (!parent)
		return err;
	err = rs_get_bool(parent->j, "auto", what, &autodom);
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
int rs_plan_order(struct restore *r)
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
				err = rs_get_bool(ro->j, "auto",
						  rs_obj_what(ro, what, sizeof(what)), &autodom);
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
