/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Ops on the context as a whole: destroying any object, pinned-page
 * accounting and the dump of the context's state.
 */
#include <errno.h>
#include <stdint.h>

#include "../ioasidctl.h"
#include "private.h"

HANDLER(op_destroy)
{
	return label_ended(s, "object", ioasid_obj_destroy(r->ctx, obj_id(s, "object")));
}

HANDLER(op_pinned)
{
	struct ioasid_pinned_info pi;
	int err = ioasid_ctx_pinned(r->ctx, &pi);

	if (err)
		return err;
	json_object_set_new(value, "pinned_pages", json_integer((json_int_t)pi.pinned_pages));
	/* no limit is null: UINT64_MAX does not fit a JSON integer */
	json_object_set_new(value, "limit_pages", pi.limit_pages == UINT64_MAX ? json_null() :
				   json_integer((json_int_t)pi.limit_pages));
	json_object_set_new(value, "page_size", json_hex(pi.page_size));
	json_object_set_new(value, "exempt", json_boolean(pi.exempt));
	return 0;
}

HANDLER(op_pinned_limit)
{
	int err = 0;

	if (has(s, "limit"))
		err = ioasid_ctx_set_pinned_limit(r->ctx, num(s, "limit", 0));
	if (!err && has(s, "cap_ipc_lock_exempt"))
		err = ioasid_ctx_set_cap_ipc_lock_exempt(r->ctx,
							 num(s, "cap_ipc_lock_exempt", 1));
	return err;
}

HANDLER(op_dump)
{
	char *doc = NULL;
	json_t *j;
	int err = ioasid_json_ctx(r->ctx, IOASID_JSON_COMPACT, &doc);

	if (err)
		return err;
	j = json_loads(doc, 0, NULL);
	ioasid_json_free(doc);
	if (!json_is_object(j)) {
		json_decref(j);
		return harness_err(r, -EPROTO, "ioasid_json_ctx() returned something that is not a JSON object");
	}
	sanitize_dump(r->sc, j);
	json_object_update(value, j);
	json_decref(j);
	return 0;
}
