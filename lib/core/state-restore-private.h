/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Restoring a context: what its files share. state-restore.c reads the
 * document's header and opens the context, state-restore-read.c reads the
 * objects and plans their order, state-restore-make.c makes them again,
 * state-restore-adopt.c adopts the kernel's objects on iommufd.
 */
#ifndef IOASID_STATE_RESTORE_PRIVATE_H
#define IOASID_STATE_RESTORE_PRIVATE_H

#include <jansson.h>

#include "core/live-update-private.h"

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

/* ---- reading the saved state (state-restore-read.c) ---- */

/* The field @key of @o, checked, into @ret; else -EINVAL naming @what and @key. */
int rs_get_u32(json_t *o, const char *key, const char *what, uint32_t *ret);
int rs_get_int(json_t *o, const char *key, const char *what, int *ret);
/* A 64-bit value, written as a "0x..." string. */
int rs_get_hex(json_t *o, const char *key, const char *what, uint64_t *ret);
int rs_get_bool(json_t *o, const char *key, const char *what, bool *ret);
json_t *rs_get_array(json_t *o, const char *key, const char *what, int *err);
/* The object @id of @kind named by field @key of @what; NULL with the message. */
struct rs_obj *rs_get_ref(struct restore *r, json_t *o, const char *key, const char *what,
			  enum ioasid_obj_kind kind, int *err);
/* "object 5 (ioas)", for messages. */
const char *rs_obj_what(const struct rs_obj *ro, char *buf, size_t len);
/* The document's "objects" into @r: objs, slot, max_id. */
int rs_read_objects(struct restore *r, json_t *arr);
/* The "type" of an HWPT (paging when the document has none: an older save). */
int rs_hwpt_type(struct rs_obj *ro, uint32_t *ret);
/* The order the objects are made in, into r->order. */
int rs_plan_order(struct restore *r);

/* ---- adopting the kernel's objects (state-restore-adopt.c) ---- */

/* The next object made is the kernel object named by @o's "kernel_id". */
int rs_adopt_next(struct ioasid_ctx *ctx, json_t *o, const char *what);
/* The restore is over (@keep) or failed: the backend's adopt_end. */
void rs_adopt_end(struct ioasid_ctx *ctx, bool keep);
/* An adopted IOAS: the kernel's IOAS maps the state's areas, no more, no less. */
int rs_adopt_check_areas(struct restore *r, struct rs_obj *ro, const char *what);

/* ---- making the objects (state-restore-make.c) ---- */

/* A public call on the context failed: its message, prefixed with the object. */
int rs_call_failed(struct restore *r, const struct rs_obj *ro, int err, const char *call);
/* Every object of r->order, then the devices' attachments. */
int rs_make_objects(struct restore *r);

#endif
