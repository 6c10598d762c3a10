/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * JSON documents (schema "ioasid/1", docs/ioasid-schema.json): a context
 * with all its objects, one object, a capability chain.
 *
 * The documents are built here; each object kind dumps itself (its ops'
 * dump, in the kind's own file) and the backend adds what it knows through
 * its vtable (ctx_json_ident, ctx_json, hwpt_json). The public calls
 * return strings, so jansson never appears in the ABI.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps/caps-json.h"
#include "json-private.h"
#include "backend/backend.h"

json_t *dump_hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_string(buf);
}

json_t *dump_range(uint64_t start, uint64_t last)
{
	return json_pack("{s:o,s:o}", "start", dump_hex(start), "last", dump_hex(last));
}

int dump_add(json_t *obj, const char *key, json_t *v)
{
	if (!v)
		return -ENOMEM;
	return json_object_set_new(obj, key, v) ? -ENOMEM : 0;
}

int dump_append(json_t *arr, json_t *v)
{
	if (!v)
		return -ENOMEM;
	return json_array_append_new(arr, v) ? -ENOMEM : 0;
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

/* The context's own members: what it is, its backend, its pinned pages. */
static int ctx_members(struct ioasid_ctx *ctx, const struct ioasid_pinned_info *pi, json_t *doc)
{
	json_t *pinned;
	int err;

	pinned = json_pack("{s:I,s:o,s:I,s:b}", "pages", (json_int_t)pi->pinned_pages,
			   "limit_pages", pi->limit_pages == UINT64_MAX ? json_string("unlimited") :
			   json_integer((json_int_t)pi->limit_pages),
			   "page_size", (json_int_t)pi->page_size, "exempt", pi->exempt);
	err = dump_add(doc, "kind", json_string("context"));
	if (!err)
		err = dump_add(doc, "backend", json_string(ctx->ops->name));
	if (!err)
		err = dump_add(doc, "reason", json_string(ctx->reason));
	if (!err && ctx->ops->ctx_json_ident)
		err = ctx->ops->ctx_json_ident(ctx, doc);
	if (!err)
		err = dump_add(doc, "pasid_width", json_integer(ctx->pasid_width));
	if (!err)
		err = dump_add(doc, "unrouted_faults", json_integer((json_int_t)ctx->unrouted_count));
	if (!err)
		err = dump_add(doc, "pinned", pinned);
	else
		json_decref(pinned);
	if (!err && ctx->ops->ctx_json)
		err = ctx->ops->ctx_json(ctx, doc);
	return err;
}

struct kind_list {
	const char *key;
	enum ioasid_obj_kind kind;
};

/*
 * The objects of each kind of @lists, a list per kind in id order; with
 * @omit_empty, a kind the context has none of is left out.
 */
static int dump_lists(struct ioasid_ctx *ctx, uint32_t flags, json_t *doc,
		      const struct kind_list *lists, size_t n, bool omit_empty)
{
	size_t i;
	int err = 0;

	for (i = 0; i < n && !err; i++) {
		uint32_t pos = 0;
		struct ioasid_obj *o = obj_next(ctx, lists[i].kind, &pos);
		json_t *arr;

		if (!o && omit_empty)
			continue;
		arr = json_array();
		err = dump_add(doc, lists[i].key, arr);
		for (; !err && o; o = obj_next(ctx, lists[i].kind, &pos))
			err = dump_append(arr, obj_dump(ctx, o, flags));
	}
	return err;
}

/*
 * Every object, a list per kind, each in id order. The vIOMMU objects
 * (issue #12) only when the context has some: older dumps stay as they were.
 */
static int ctx_objects(struct ioasid_ctx *ctx, uint32_t flags, json_t *doc)
{
	static const struct kind_list lists[] = {
		{ "sets", IOASID_OBJ_SET },           { "ioas", IOASID_OBJ_IOAS },
		{ "devices", IOASID_OBJ_DEV },        { "hwpts", IOASID_OBJ_HWPT },
		{ "queues", IOASID_OBJ_FAULT_QUEUE },
	};
	static const struct kind_list viommu_lists[] = {
		{ "viommus", IOASID_OBJ_VIOMMU },
		{ "vdevices", IOASID_OBJ_VDEVICE },
		{ "veventqs", IOASID_OBJ_VEVENTQ },
		{ "hw_queues", IOASID_OBJ_HW_QUEUE },
	};
	int err = dump_lists(ctx, flags, doc, lists, ARRAY_SIZE(lists), false);

	return err ? err : dump_lists(ctx, flags, doc, viommu_lists, ARRAY_SIZE(viommu_lists), true);
}

IOASID_EXPORT int ioasid_json_ctx(struct ioasid_ctx *ctx, uint32_t flags, char **ret_doc)
{
	struct ioasid_pinned_info pi;
	json_t *doc;
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
	err = doc ? ctx_members(ctx, &pi, doc) : -ENOMEM;
	if (!err)
		err = ctx_objects(ctx, flags, doc);
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
	obj = ctx_lock_lookup(ctx, id, IOASID_OBJ_NONE, &err);
	if (!obj)
		return err;
	body = obj_dump(ctx, obj, flags);
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

	err = check_flags(NULL, flags & ~IOASID_JSON_BRIEF, ret_doc);
	if (err)
		return err;
	if (!buf)
		return ioasid_err(NULL, -EINVAL, "buf is NULL");
	caps = (flags & IOASID_JSON_BRIEF) ? ioasid_caps_to_json_brief(buf, len) :
		ioasid_caps_to_json(buf, len);
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
