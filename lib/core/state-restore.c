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
 *
 * This file reads the document's header and opens the context; reading
 * the objects and planning their order is state-restore-read.c's, making
 * them state-restore-make.c's, adopting the kernel's objects
 * state-restore-adopt.c's (their shared declarations in
 * state-restore-private.h).
 */
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "core/state-restore-private.h"

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
	err = rs_get_u32(d, "version", "the document", &version);
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

	err = rs_get_u32(r->doc, "rlimit_mode", "the document", &mode);
	err = err ?: rs_get_hex(r->doc, "pinned_limit", "the document", &limit);
	err = err ?: rs_get_bool(r->doc, "cap_ipc_lock_exempt", "the document", &exempt);
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
		err = rs_get_int(r->doc, "ctx_fd", "the document", &fd);
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
	objects = err ? NULL : rs_get_array(r->doc, "objects", "the document", &err);
	err = err ?: rs_read_objects(r, objects);
	err = err ?: rs_plan_order(r);
	err = err ?: open_ctx(r, spec, opts);
	if (!err && r->max_id)
		err = rs_make_objects(r);
	if (!err)
		rs_adopt_end(r->ctx, true);
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
		rs_adopt_end(r.ctx, false);
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
