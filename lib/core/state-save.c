/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ioasid_ctx_save_state(): a context's objects, ids and mappings as a
 * JSON document (format "libioasid-state", docs/live-update.md) for the
 * successor process, which rebuilds the context from it
 * (state-restore.c).
 *
 * Everything is read under the context's lock from the core's records;
 * the backend adds its handles (the iommufd's fd, device fds, kernel ids)
 * through the ops it already has (ctx_fd, dev_fd, obj_kernel_id). What a
 * successor could not take over is refused before anything is written.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "core/dev-private.h"
#include "core/fault-private.h"
#include "core/hwpt-private.h"
#include "core/json-private.h"
#include "core/live-update-private.h"
#include "core/set-private.h"
#include "core/viommu-private.h"
#include "util/pasid-alloc.h"

/* What one save collects besides the document: the fds the successor needs. */
struct save {
	struct ioasid_ctx *ctx;
	json_t *objects;
	int fds[64];
	uint32_t nr_fds;
};

/* The successor inherits @fd across exec: remember to clear FD_CLOEXEC. */
static int save_fd(struct save *s, int fd, const char *what)
{
	if (s->nr_fds == ARRAY_SIZE(s->fds))
		return ioasid_err(s->ctx, -E2BIG, "save state: more than %zu fds to hand over (%s)",
				  ARRAY_SIZE(s->fds), what);
	s->fds[s->nr_fds++] = fd;
	return 0;
}

/* The kernel's id of @obj into @o as "kernel_id", when the backend has kernel objects. */
static int save_kernel_id(struct save *s, struct ioasid_obj *obj, json_t *o)
{
	uint32_t kid = 0;
	int err;

	if (!s->ctx->ops->obj_kernel_id)
		return 0;
	err = s->ctx->ops->obj_kernel_id(s->ctx, obj, &kid);
	if (err)
		return err;
	return dump_add(o, "kernel_id", json_integer(kid));
}

static int save_set(struct save *s, struct ioasid_obj *obj, json_t *o)
{
	struct ioasid_set *set = (struct ioasid_set *)obj;
	struct ioasid_ctx *ctx = s->ctx;
	json_t *pasids = json_array();
	uint32_t p = 1;
	int err = 0;

	while (!err && ctx->pasids && p < (1u << ctx->pasid_width) &&
	       !pasid_space_next(ctx->pasids, p, set->obj.id, &p)) {
		err = dump_append(pasids, json_integer(p));
		p++;
	}
	if (!err)
		err = dump_add(o, "pasids", pasids);
	else
		json_decref(pasids);
	if (!err)
		err = dump_add(o, "owner", dump_hex(set->owner));
	if (!err)
		err = dump_add(o, "max_pasids", json_integer(set->max_pasids));
	if (!err)
		err = dump_add(o, "max_ioas", json_integer(set->max_ioas));
	return err;
}

static json_t *save_area(struct save *s, struct ioasid_ioas *ioas, const struct iova_area *a)
{
	struct lu_file f;
	json_t *o;

	if (!lu_area_file(s->ctx, ioas, a, &f))
		return NULL;
	o = json_pack("{s:o,s:o,s:i,s:i,s:o}", "iova", dump_hex(a->iova), "length",
		      dump_hex(a->last - a->iova + 1), "perm", (int)(a->cookie & AREA_PERM_MASK),
		      "fd", f.fd, "offset", dump_hex(f.offset));
	if (o && save_fd(s, f.fd, "a memfd")) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int save_ioas(struct save *s, struct ioasid_obj *obj, json_t *o)
{
	struct ioasid_ioas *ioas = (struct ioasid_ioas *)obj;
	json_t *areas = json_array(), *allowed = json_array(), *resv = json_array();
	const struct iova_area *a;
	uint32_t i;
	int err = 0;

	for (a = iova_tree_first_in(ioas->areas, 0, UINT64_MAX); a && !err;
	     a = iova_tree_next(ioas->areas, a)) {
		json_t *ao = save_area(s, ioas, a);

		err = ao ? dump_append(areas, ao) : -ENOMEM;
	}
	for (i = 0; i < ioas->nr_allowed && !err; i++)
		err = dump_append(allowed,
				  dump_range(ioas->allowed[i].start, ioas->allowed[i].last));
	for (i = 0; i < ioas->nr_resv && !err; i++)
		if (ioas->resv[i].kind == RESV_USER)
			err = dump_append(resv, dump_range(ioas->resv[i].start, ioas->resv[i].last));
	err = err ?: dump_add(o, "set", json_integer(ioas->set));
	err = err ?: dump_add(o, "huge_pages", json_boolean(ioas->huge_pages));
	err = err ?: save_kernel_id(s, obj, o);
	err = err ?: dump_add(o, "allowed", json_incref(allowed));
	err = err ?: dump_add(o, "reserved", json_incref(resv));
	err = err ?: dump_add(o, "areas", json_incref(areas));
	json_decref(allowed);
	json_decref(resv);
	json_decref(areas);
	return err;
}

static int save_dev(struct save *s, struct ioasid_obj *obj, json_t *o)
{
	struct ioasid_dev *dev = (struct ioasid_dev *)obj;
	struct ioasid_ctx *ctx = s->ctx;
	json_t *att = json_array();
	uint32_t i;
	int err = 0;

	for (i = 0; i < dev->nr_att && !err; i++) {
		const struct dev_attach *at = dev->att[i];

		/* an automatic domain's fault queue came with the attachment */
		err = dump_append(att,
				  json_pack("{s:o,s:i,s:i,s:i,s:i}", "pasid",
					    at->pasid == IOASID_PASID_NONE ? json_null() :
									     json_integer(at->pasid),
					    "pt", (int)at->pt, "set", (int)at->set, "hwpt",
					    (int)at->hwpt->obj.id, "fault_queue",
					    at->hwpt->autodom ? (int)hwpt_fault_queue_id(at->hwpt) :
								0));
	}
	err = err ?: dump_add(o, "name", json_string(dev->name));
	if (!err && ctx->ops->dev_fd) {
		int fd = -1;

		err = ctx->ops->dev_fd(ctx, dev, &fd);
		if (err)
			err = ioasid_err_prefix(ctx, err, "save state: device %u", obj->id);
		err = err ?: dump_add(o, "fd", json_integer(fd));
		err = err ?: save_fd(s, fd, "a device");
	}
	err = err ?: save_kernel_id(s, obj, o);
	err = err ?: dump_add(o, "attached", json_incref(att));
	json_decref(att);
	return err;
}

/*
 * The device an HWPT is allocated for when it is made again: one whose
 * page sizes are the HWPT's (the domain takes those of the device it was
 * made for, and another attached device may have more: the fuzzer found a
 * 4 KiB domain coming back with 1 GiB pages), else one attached to it,
 * else the first bound device (the sim's devices share one IOMMU).
 */
static uint32_t hwpt_alloc_dev(struct ioasid_ctx *ctx, const struct ioasid_hwpt *h)
{
	struct ioasid_dev *dev;
	uint32_t i;

	for (dev = dev_next(ctx, NULL); dev; dev = dev_next(ctx, dev))
		if (dev->props.pgsize_bitmap == h->pgsize_bitmap)
			return dev->obj.id;
	for (dev = dev_next(ctx, NULL); dev; dev = dev_next(ctx, dev))
		for (i = 0; i < dev->nr_att; i++)
			if (dev->att[i]->hwpt == h)
				return dev->obj.id;
	dev = dev_next(ctx, NULL);
	return dev ? dev->obj.id : 0;
}

/*
 * A nested HWPT over a nest parent: its parent and its stage-1 data (the
 * guest's table stays where it is, in the parent's memory, which the file
 * maps hand over). One over a vIOMMU would need the vIOMMU, not saved.
 */
static int save_nested(struct save *s, struct ioasid_hwpt *h, json_t *o)
{
	json_t *s1;
	int err;

	if (h->viommu || !h->parent || h->type != IOASID_HWPT_NESTED_VTD_S1)
		return ioasid_err(s->ctx, -EOPNOTSUPP,
				  "save state: HWPT %u is nested (type %u) on %s %u: only nested HWPTs of type %u (VT-d stage 1) over a nest parent are saved",
				  h->obj.id, h->type, h->viommu ? "vIOMMU" : "HWPT",
				  h->viommu ? h->viommu->obj.id :
				  h->parent ? h->parent->obj.id :
					      0,
				  IOASID_HWPT_NESTED_VTD_S1);
	s1 = json_pack("{s:o,s:o,s:i}", "flags", dump_hex(h->s1.flags), "pgtbl_addr",
		       dump_hex(h->s1.pgtbl_addr), "addr_width", (int)h->s1.addr_width);
	err = s1 ? 0 : -ENOMEM;
	err = err ?: dump_add(o, "parent", json_integer(h->parent->obj.id));
	err = err ?: dump_add(o, "s1", json_incref(s1));
	json_decref(s1);
	return err;
}

static int save_hwpt(struct save *s, struct ioasid_obj *obj, json_t *o)
{
	struct ioasid_hwpt *h = (struct ioasid_hwpt *)obj;
	int err;

	err = dump_add(o, "fault_queue", json_integer(hwpt_fault_queue_id(h)));
	err = err ?: dump_add(o, "type", json_integer(h->type));
	err = err ?: dump_add(o, "ioas", json_integer(h->ioas->obj.id));
	err = err ?: (hwpt_is_paging(h) ? 0 : save_nested(s, h, o));
	err = err ?: dump_add(o, "auto", json_boolean(h->autodom));
	err = err ?: dump_add(o, "flags", json_integer(h->flags));
	err = err ?: dump_add(o, "dirty_tracking", json_boolean(h->dirty_enabled));
	err = err ?: dump_add(o, "dev", json_integer(hwpt_alloc_dev(s->ctx, h)));
	err = err ?: save_kernel_id(s, obj, o);
	return err;
}

/*
 * A fault queue. On iommufd the kernel object goes on with its fd, which
 * the successor inherits: the groups the library has not read stay in
 * the kernel's queue and the successor reads them. A group the library
 * holds (read by the owner and not answered, or, on the sim, any group:
 * its queue is the library's) would be lost with the process: refused.
 */
static int save_fault_queue(struct save *s, struct ioasid_obj *obj, json_t *o)
{
	struct ioasid_fault_queue *q = (struct ioasid_fault_queue *)obj;
	int err;

	if (q->pending || q->queued)
		return ioasid_err(s->ctx, -EBUSY,
				  "save state: fault queue %u holds %u page-request group(s) not answered (%u record(s) not read): answer them (ioasid_fault_respond()) before the save, they cannot outlive this process",
				  obj->id, q->pending, q->queued);
	err = dump_add(o, "set", json_integer(q->set));
	err = err ?: dump_add(o, "depth", json_integer(q->depth));
	err = err ?: dump_add(o, "timeout_ns", dump_hex(q->timeout_ns));
	err = err ?: dump_add(o, "timeout_code", json_integer(q->timeout_code));
	err = err ?: save_kernel_id(s, obj, o);
	if (!err && q->kernel) {
		err = dump_add(o, "fd", json_integer(q->efd));
		err = err ?: save_fd(s, q->efd, "a fault queue");
	}
	return err;
}

typedef int (*save_fn)(struct save *s, struct ioasid_obj *obj, json_t *o);

static const save_fn savers[] = {
	[IOASID_OBJ_IOAS] = save_ioas,
	[IOASID_OBJ_SET] = save_set,
	[IOASID_OBJ_DEV] = save_dev,
	[IOASID_OBJ_HWPT] = save_hwpt,
	[IOASID_OBJ_FAULT_QUEUE] = save_fault_queue,
};

static int save_objects(struct save *s)
{
	struct ioasid_obj *obj;
	uint32_t pos = 0;
	int err = 0;

	while (!err && (obj = obj_next(s->ctx, IOASID_OBJ_NONE, &pos))) {
		json_t *o = json_pack("{s:i,s:s}", "id", (int)obj->id, "kind",
				      obj_kind_name(obj->kind));

		if (!o)
			return -ENOMEM;
		if ((unsigned int)obj->kind >= ARRAY_SIZE(savers) || !savers[obj->kind])
			err = ioasid_err(s->ctx, -EOPNOTSUPP, "save state: object %u is a %s",
					 obj->id, obj_kind_name(obj->kind));
		else
			err = savers[obj->kind](s, obj, o);
		if (!err)
			err = dump_append(s->objects, o);
		else
			json_decref(o);
	}
	return err;
}

static json_t *save_doc(struct save *s)
{
	struct ioasid_ctx *ctx = s->ctx;
	json_t *doc = json_pack("{s:s,s:i,s:s,s:s,s:i,s:o,s:b}", "format", LU_FORMAT, "version",
				LU_VERSION, "backend", ctx->ops->name, "spec", ctx->spec,
				"rlimit_mode", (int)ctx->rlimit_mode, "pinned_limit",
				dump_hex(ctx->pinned_limit), "cap_ipc_lock_exempt",
				(int)ctx->exempt_enabled);
	int err = doc ? 0 : -ENOMEM;

	if (!err && ctx->ops->ctx_fd) {
		int fd = -1;

		err = ctx->ops->ctx_fd(ctx, &fd);
		err = err ?: dump_add(doc, "ctx_fd", json_integer(fd));
		err = err ?: save_fd(s, fd, "the context");
	}
	err = err ?: dump_add(doc, "objects", json_incref(s->objects));
	if (err) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* Let every fd the state names survive the exec to the successor. */
static int save_inherit_fds(struct save *s)
{
	uint32_t i;

	for (i = 0; i < s->nr_fds; i++) {
		int fl = fcntl(s->fds[i], F_GETFD);

		if (fl < 0 || fcntl(s->fds[i], F_SETFD, fl & ~FD_CLOEXEC) < 0)
			return ioasid_err(s->ctx, -errno,
					  "save state: fd %d cannot be made inheritable: %s",
					  s->fds[i], strerror(errno));
	}
	return 0;
}

static int save_locked(struct ioasid_ctx *ctx, int fd)
{
	struct save s = { .ctx = ctx, .objects = json_array() };
	json_t *doc = NULL;
	int err = s.objects ? 0 : -ENOMEM;

	err = err ?: lu_backend_check(ctx, "save state");
	err = err ?: lu_first_anon_area(ctx, "save state");
	err = err ?: save_objects(&s);
	if (!err) {
		doc = save_doc(&s);
		if (!doc)
			err = -ENOMEM;
	}
	err = err ?: save_inherit_fds(&s);
	if (!err && json_dumpfd(doc, fd, JSON_PRESERVE_ORDER | JSON_INDENT(1)))
		err = ioasid_err(ctx, -EIO, "save state: writing to fd %d failed", fd);
	if (err == -ENOMEM)
		err = ioasid_err(ctx, -ENOMEM, "save state: out of memory");
	json_decref(doc);
	json_decref(s.objects);
	return err;
}

IOASID_EXPORT int ioasid_ctx_save_state(struct ioasid_ctx *ctx, int fd)
{
	int err;

	if (!ctx)
		return -EINVAL;
	if (fd < 0)
		return ioasid_err(ctx, -EBADF, "save state: fd %d", fd);
	ctx_lock(ctx);
	err = save_locked(ctx, fd);
	ctx_unlock(ctx);
	return err;
}
