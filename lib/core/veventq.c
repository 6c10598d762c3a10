/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vEVENTQs: a vIOMMU's events of one type, on a pollable fd
 * (kernel-uapi.md §1.8). The queue belongs to the owner of the vIOMMU's
 * set and to nobody else; what the kernel dropped when it was full shows
 * as LOST_EVENTS marks and sequence gaps, both counted here.
 */
#include <string.h>

#include "viommu-private.h"
#include "trace-private.h"
#include "json-private.h"
#include "backend/backend.h"

#define VEVENTQ_MAX_DEPTH (1u << 19) /* the kernel's bound */
#define VEVENT_SEQ_MASK 0x7fffffffu  /* the kernel's sequence wraps at INT_MAX */

static int veventq_obj_teardown(struct ioasid_ctx *ctx, struct ioasid_obj *obj)
{
	struct ioasid_veventq *q = (struct ioasid_veventq *)obj;

	if (!q->be)
		return 0;
	return be_refused(ctx, ctx->ops->veventq_destroy(ctx, q));
}

static void veventq_obj_destroy(struct ioasid_ctx *ctx, struct ioasid_obj *obj)
{
	struct ioasid_veventq *q = (struct ioasid_veventq *)obj;

	(void)ctx;
	q->viommu->obj.users--;
	ioasid_free(q);
}

static json_t *veventq_obj_dump(struct ioasid_ctx *ctx, struct ioasid_obj *obj, uint32_t flags)
{
	struct ioasid_veventq *q = (struct ioasid_veventq *)obj;

	(void)ctx;
	(void)flags;
	return json_pack("{s:s,s:i,s:i,s:o,s:i,s:o,s:{s:I,s:I,s:I}}", "kind", "veventq", "id",
			 (json_int_t)q->obj.id, "viommu", (json_int_t)q->viommu->obj.id, "type",
			 dump_hex(q->type), "depth", (json_int_t)q->depth, "set",
			 q->set ? json_integer(q->set) : json_null(), "stats", "read",
			 (json_int_t)q->nr_read, "lost_marks", (json_int_t)q->lost_marks,
			 "seq_gaps", (json_int_t)q->seq_gaps);
}

const struct ioasid_obj_ops ioasid_veventq_obj_ops = {
	.name = "veventq",
	.noun = "a vEVENTQ",
	.missing = "no vEVENTQ",
	.names_other_kind = true,
	.teardown = veventq_obj_teardown,
	.destroy = veventq_obj_destroy,
	.dump = veventq_obj_dump,
};

/* IOMMU_VEVENTQ_ALLOC's checks in the kernel's order, then the owner. */
static int veventq_check(struct ioasid_ctx *ctx, uint32_t viommu,
			 const struct ioasid_veventq_opts *o, struct ioasid_viommu **ret_v)
{
	struct ioasid_veventq *q;
	uint32_t pos = 0;

	if (o->flags)
		return ioasid_err(ctx, -EOPNOTSUPP, "vEVENTQ flags 0x%x: none are defined",
				  o->flags);
	if (!o->type)
		return ioasid_err(ctx, -EOPNOTSUPP, "vEVENTQ type 0 is reserved");
	if (!o->depth || o->depth > VEVENTQ_MAX_DEPTH)
		return ioasid_err(ctx, -EINVAL, "vEVENTQ depth %u is not within 1..%u", o->depth,
				  VEVENTQ_MAX_DEPTH);
	*ret_v = obj_lookup(ctx, viommu, IOASID_OBJ_VIOMMU);
	if (!*ret_v)
		return -ENOENT;
	while ((q = (struct ioasid_veventq *)obj_next(ctx, IOASID_OBJ_VEVENTQ, &pos)))
		if (q->viommu == *ret_v && q->type == o->type)
			return ioasid_err(ctx, -EEXIST,
					  "vIOMMU %u has vEVENTQ %u of type 0x%x already", viommu,
					  q->obj.id, o->type);
	if (o->set && !obj_lookup(ctx, o->set, IOASID_OBJ_SET))
		return -ENOENT;
	if (o->set && o->set != (*ret_v)->set)
		return ioasid_err(ctx, -EPERM,
				  "set %u does not own vIOMMU %u (its owner is %s %u): its events go to its owner only",
				  o->set, viommu, (*ret_v)->set ? "set" : "the context, set",
				  (*ret_v)->set);
	return 0;
}

IOASID_EXPORT int ioasid_veventq_alloc(struct ioasid_ctx *ctx, uint32_t viommu,
				       const struct ioasid_veventq_opts *opts, uint32_t *ret_veventq)
{
	struct ioasid_veventq_opts o = { 0 };
	struct ioasid_viommu *v = NULL;
	struct ioasid_veventq *q;
	int err;

	if (!ctx)
		return -EINVAL;
	if (!opts || !ret_veventq)
		return ioasid_err(ctx, -EINVAL, "ioasid_veventq_alloc: %s is NULL",
				  opts ? "ret_veventq" : "opts");
	err = ioasid_opts_check(ctx, opts, opts->sz, sizeof(o), "struct ioasid_veventq_opts");
	if (err)
		return err;
	memcpy(&o, opts, IOASID_MIN(opts->sz, sizeof(o)));
	ctx_lock(ctx);
	err = veventq_check(ctx, viommu, &o, &v);
	if (err)
		goto out;
	q = obj_alloc(ctx, IOASID_OBJ_VEVENTQ, sizeof(*q), &err);
	if (!q)
		goto out;
	q->viommu = v;
	q->type = o.type;
	q->depth = o.depth;
	q->set = v->set;
	q->fd = -1;
	err = ctx->ops->veventq_alloc(ctx, q, &q->fd);
	if (err) {
		obj_abort(ctx, &q->obj);
		goto out;
	}
	v->obj.users++;
	obj_publish(ctx, &q->obj);
	*ret_veventq = q->obj.id;
out:
	TRACE(ctx, trace_veventq_alloc(ctx, viommu, &o, ret_veventq, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_veventq_destroy(struct ioasid_ctx *ctx, uint32_t id)
{
	return obj_destroy_kind(ctx, id, IOASID_OBJ_VEVENTQ, "veventq_destroy");
}

IOASID_EXPORT int ioasid_veventq_fd(struct ioasid_ctx *ctx, uint32_t id, int *ret_fd)
{
	struct ioasid_veventq *q;
	int err;

	if (!ctx)
		return -EINVAL;
	if (!ret_fd)
		return ioasid_err(ctx, -EINVAL, "ioasid_veventq_fd: ret_fd is NULL");
	q = ctx_lock_lookup(ctx, id, IOASID_OBJ_VEVENTQ, &err);
	if (!q)
		return err;
	*ret_fd = q->fd;
	ctx_unlock(ctx);
	return 0;
}

/* Count the marks and the gaps of what was read: never silent about a loss. */
static void veventq_account(struct ioasid_veventq *q, const struct ioasid_vevent *ev, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (q->seq_known && ev[i].sequence != q->next_seq)
			q->seq_gaps += (ev[i].sequence - q->next_seq) & VEVENT_SEQ_MASK;
		q->seq_known = true;
		q->next_seq = (ev[i].sequence + 1) & VEVENT_SEQ_MASK;
		if (ev[i].flags & IOASID_VEVENT_LOST_EVENTS)
			q->lost_marks++;
		else
			q->nr_read++;
	}
}

IOASID_EXPORT int ioasid_veventq_read(struct ioasid_ctx *ctx, uint32_t id,
				      struct ioasid_vevent *out, uint32_t cap, uint32_t *ret_n)
{
	struct ioasid_veventq *q;
	int err;

	if (!ctx)
		return -EINVAL;
	if (!out || !ret_n || !cap)
		return ioasid_err(ctx, -EINVAL, "ioasid_veventq_read: %s",
				  !cap ? "cap is 0" : "NULL argument");
	*ret_n = 0;
	q = ctx_lock_lookup(ctx, id, IOASID_OBJ_VEVENTQ, &err);
	if (!q)
		return err;
	err = ctx->ops->veventq_read(ctx, q, out, cap, ret_n);
	veventq_account(q, out, *ret_n);
	TRACE(ctx, trace_veventq_read(ctx, id, out, cap, *ret_n, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_veventq_stats(struct ioasid_ctx *ctx, uint32_t id,
				       struct ioasid_veventq_stats *ret_stats)
{
	struct ioasid_veventq_stats s = { .sz = sizeof(s) };
	struct ioasid_veventq *q;
	int err;

	if (!ctx)
		return -EINVAL;
	if (!ret_stats || ret_stats->sz < offsetof(struct ioasid_veventq_stats, viommu))
		return ioasid_err(ctx, -EINVAL, "ioasid_veventq_stats: ret_stats is %s",
				  ret_stats ? "too small (set its sz)" : "NULL");
	q = ctx_lock_lookup(ctx, id, IOASID_OBJ_VEVENTQ, &err);
	if (!q)
		return err;
	s.sz = IOASID_MIN(ret_stats->sz, sizeof(s));
	s.read = q->nr_read;
	s.lost_marks = q->lost_marks;
	s.seq_gaps = q->seq_gaps;
	s.viommu = q->viommu->obj.id;
	s.set = q->set;
	s.type = q->type;
	s.depth = q->depth;
	memcpy(ret_stats, &s, s.sz);
	ctx_unlock(ctx);
	return 0;
}
