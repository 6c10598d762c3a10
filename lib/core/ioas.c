/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * I/O address spaces: the object (allocation, teardown, its dump) and the
 * public calls on it, with iommufd's rules (kernel-uapi.md §1.4 IOAS_* and
 * §4.1-§4.5), as iommufd's ioas.c. The areas themselves are kept by
 * io-pagetable.c, which IOVAs may be used by ioas-ranges.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hwpt-private.h"
#include "ioas-private.h"
#include "json-private.h"
#include "backend/backend.h"
#include "set-private.h"
#include "trace-private.h"

#define X(v) ((unsigned long long)(v))

/* ---- the object ---- */

/* Free an IOAS its backend has let go of (or never had). */
static void ioas_obj_abort(struct ioasid_ctx *ctx, struct ioasid_obj *obj)
{
	struct ioasid_ioas *ioas = (struct ioasid_ioas *)obj;

	(void)ctx;
	iova_tree_free(ioas->areas);
	ioasid_free(ioas->resv);
	ioasid_free(ioas->allowed);
	ioasid_free(ioas->domains);
	ioasid_free(ioas);
}

/* Its areas, then the IOAS itself, in the kernel; a refusal keeps what is left. */
static int ioas_obj_teardown(struct ioasid_ctx *ctx, struct ioasid_obj *obj)
{
	struct ioasid_ioas *ioas = (struct ioasid_ioas *)obj;
	uint64_t bytes;
	int err = iopt_unmap_all(ctx, ioas, &bytes);

	if (!err && ctx->ops->ioas_destroy)
		err = be_refused(ctx, ctx->ops->ioas_destroy(ctx, ioas));
	return err;
}

static void ioas_obj_destroy(struct ioasid_ctx *ctx, struct ioasid_obj *obj)
{
	struct ioasid_ioas *ioas = (struct ioasid_ioas *)obj;

	if (ioas->set)
		set_ioas_uncharge(ctx, ioas->set);
	ioas_obj_abort(ctx, obj);
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

/* One area; a file or dma-buf area says what backs it (never its fd: it varies). */
static int dump_mapping(struct ioasid_ctx *ctx, json_t *arr, const struct iova_area *a)
{
	static const char *const kinds[] = { "va", "file", "dmabuf" };
	const struct ioas_pages *p = iopt_area_pages(ctx, a);
	struct area_backing b;
	bool shared;
	json_t *m;
	int err;

	area_backing(ctx, a, &b);
	/* a file area always has a record; it is shared once a copy uses it */
	shared = p && (b.kind == IOASID_BACKING_VA || p->refs > 1);
	m = json_pack("{s:o,s:o,s:o,s:o,s:s,s:b}", "iova", dump_hex(a->iova), "last",
		      dump_hex(a->last), "length", dump_hex(a->last - a->iova + 1), "uva",
		      dump_hex(area_view_uva(ctx, a)), "perm", perm_str((uint32_t)a->cookie),
		      "shared", shared);
	err = dump_append(arr, m);
	if (!err && b.kind != IOASID_BACKING_VA)
		err = dump_add(m, "backing",
			       json_pack("{s:s,s:o,s:b}", "kind", kinds[b.kind], "offset",
					 dump_hex(b.offset), "revoked", b.revoked));
	return err;
}

static json_t *ioas_obj_dump(struct ioasid_ctx *ctx, struct ioasid_obj *obj, uint32_t flags)
{
	struct ioasid_ioas *ioas = (struct ioasid_ioas *)obj;
	struct ioasid_iova_range *usable = NULL;
	json_t *o, *arr;
	uint32_t i, n;
	int err = 0;

	o = json_pack("{s:s,s:i,s:o,s:o,s:b,s:o,s:I,s:i}", "kind", "ioas", "id",
		      (json_int_t)ioas->obj.id, "set",
		      ioas->set ? json_integer(ioas->set) : json_null(), "alignment",
		      dump_hex(ioas->alignment), "huge_pages", ioas->huge_pages, "mapped_bytes",
		      dump_hex(ioas->mapped_bytes), "nr_areas",
		      (json_int_t)iova_tree_count(ioas->areas), "nr_attached",
		      (json_int_t)ioas_nr_devices(ioas));
	if (!o)
		return NULL;
	if (!(flags & IOASID_JSON_NO_MAPS)) {
		const struct iova_area *a;

		arr = json_array();
		err = dump_add(o, "mappings", arr);
		for (a = iova_tree_first_in(ioas->areas, 0, UINT64_MAX); a && !err;
		     a = iova_tree_next(ioas->areas, a))
			err = dump_mapping(ctx, arr, a);
	}
	if (!err && !(err = ioas_usable_ranges(ioas, &usable, &n))) {
		arr = json_array();
		err = dump_add(o, "usable_ranges", arr);
		for (i = 0; i < n && !err; i++)
			err = dump_append(arr, dump_range(usable[i].start, usable[i].last));
		ioasid_free(usable);
	}
	if (!err) {
		arr = json_array();
		err = dump_add(o, "reserved", arr);
		for (i = 0; i < ioas->nr_resv && !err; i++) {
			json_t *r = dump_range(ioas->resv[i].start, ioas->resv[i].last);

			err = dump_append(arr, r);
			if (!err)
				err = dump_add(r, "kind", json_string(resv_kind_str(ioas->resv[i].kind)));
		}
	}
	if (!err) {
		arr = json_array();
		err = dump_add(o, "allowed", arr);
		for (i = 0; i < ioas->nr_allowed && !err; i++)
			err = dump_append(arr, dump_range(ioas->allowed[i].start, ioas->allowed[i].last));
	}
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

const struct ioasid_obj_ops ioasid_ioas_obj_ops = {
	.name = "ioas",
	.noun = "an IOAS",
	.missing = "no IOAS",
	.names_other_kind = true,
	.teardown = ioas_obj_teardown,
	.destroy = ioas_obj_destroy,
	.abort = ioas_obj_abort,
	.dump = ioas_obj_dump,
};

static int ioas_alloc_locked(struct ioasid_ctx *ctx, uint32_t set, uint32_t *ret_id)
{
	struct ioasid_ioas *ioas;
	int err;

	ioas = obj_alloc(ctx, IOASID_OBJ_IOAS, sizeof(*ioas), &err);
	if (!ioas)
		return err;
	ioas->areas = iova_tree_new();
	if (!ioas->areas) {
		err = ioasid_err(ctx, -ENOMEM, "out of memory for an IOAS");
		goto fail;
	}
	ioas->huge_pages = true;
	ioas->alignment = 1;
	ioas->set = set;
	if (ctx->ops->ioas_alloc) {
		err = ctx->ops->ioas_alloc(ctx, ioas);
		if (err)
			goto fail;
	}
	obj_publish(ctx, &ioas->obj);
	*ret_id = ioas->obj.id;
	return 0;
fail:
	obj_abort(ctx, &ioas->obj);
	return err;
}

IOASID_EXPORT int ioasid_ioas_alloc(struct ioasid_ctx *ctx, uint32_t *ret_id)
{
	int err;

	if (!ctx || !ret_id)
		return ioasid_err(ctx, -EINVAL, "ioasid_ioas_alloc: NULL argument");
	ctx_lock(ctx);
	err = ioas_alloc_locked(ctx, 0, ret_id);
	TRACE(ctx, trace_ioas_alloc(ctx, 0, ret_id, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_set_ioas_alloc(struct ioasid_ctx *ctx, uint32_t id,
					uint32_t *ret_ioas)
{
	struct ioasid_set *set;
	int err;

	if (!ctx)
		return -EINVAL;
	if (!ret_ioas)
		return ioasid_err(ctx, -EINVAL, "ret_ioas is NULL");
	set = ctx_lock_lookup(ctx, id, IOASID_OBJ_SET, &err);
	if (!set)
		return err;
	err = set_ioas_charge(ctx, set);
	if (!err) {
		err = ioas_alloc_locked(ctx, id, ret_ioas);
		if (err)
			set_ioas_uncharge(ctx, id);
	}
	TRACE(ctx, trace_ioas_alloc(ctx, id, ret_ioas, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_ioas_destroy(struct ioasid_ctx *ctx, uint32_t id)
{
	struct ioasid_ioas *ioas;
	int err;

	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS, &err);
	if (!ioas)
		return err;
	/* an idle automatic domain the kernel refused to destroy: try again */
	err = ioas_release_idle_domains(ctx, ioas);
	if (!err)
		err = obj_destroy_locked(ctx, id);
	TRACE(ctx, trace_destroy(ctx, "ioas_destroy", id, err));
	ctx_unlock(ctx);
	return err;
}

/* ---- areas ---- */

IOASID_EXPORT int ioasid_ioas_map(struct ioasid_ctx *ctx, uint32_t id, void *va,
				  uint64_t length, uint32_t flags, uint64_t *inout_iova)
{
	struct ioasid_ioas *ioas;
	int err;

	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS, &err);
	if (!ioas)
		return err;
	err = iopt_map(ctx, ioas, va, length, flags, inout_iova);
	TRACE(ctx, trace_map(ctx, id, va, length, flags, inout_iova, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_ioas_map_file(struct ioasid_ctx *ctx, uint32_t id,
				       const struct ioasid_map_file_opts *opts, uint64_t *inout_iova)
{
	struct ioasid_map_file_opts o = { 0 };
	struct ioasid_ioas *ioas;
	int err;

	if (!ctx)
		return -EINVAL;
	if (!opts)
		return ioasid_err(ctx, -EINVAL, "ioasid_ioas_map_file: opts is NULL");
	err = ioasid_opts_check(ctx, opts, opts->sz, sizeof(o), "struct ioasid_map_file_opts");
	if (err)
		return err;
	memcpy(&o, opts, IOASID_MIN(opts->sz, sizeof(o)));
	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS, &err);
	if (!ioas)
		return err;
	err = iopt_map_file(ctx, ioas, &o, inout_iova);
	TRACE(ctx, trace_map_file(ctx, id, &o, inout_iova, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_ioas_backing(struct ioasid_ctx *ctx, uint32_t id, uint64_t iova,
				      struct ioasid_map_backing *ret)
{
	struct ioasid_ioas *ioas;
	const struct iova_area *a;
	struct area_backing b;
	int err = 0;

	if (!ctx || !ret)
		return ioasid_err(ctx, -EINVAL, "ioasid_ioas_backing: NULL argument");
	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS, &err);
	if (!ioas)
		return err;
	a = iova_tree_find(ioas->areas, iova);
	if (a) {
		area_backing(ctx, a, &b);
		*ret = (struct ioasid_map_backing){
			.kind = b.kind,
			.fd = b.fd,
			.offset = b.offset,
			.uva = area_view_uva(ctx, a),
			.revoked = b.revoked,
		};
	} else {
		err = ioasid_err(ctx, -ENOENT, "IOVA 0x%llx is not mapped in IOAS %u", X(iova), id);
	}
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_ioas_unmap(struct ioasid_ctx *ctx, uint32_t id,
				    uint64_t iova, uint64_t length,
				    uint64_t *ret_unmapped)
{
	struct ioasid_ioas *ioas;
	uint64_t bytes = 0;
	int err;

	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS, &err);
	if (!ioas)
		return err;
	err = iopt_unmap(ctx, ioas, iova, length, &bytes);
	if (!err && ret_unmapped)
		*ret_unmapped = bytes;
	TRACE(ctx, trace_unmap(ctx, id, iova, length, bytes, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_ioas_copy(struct ioasid_ctx *ctx, uint32_t dst_id,
				   uint32_t src_id, uint64_t src_iova,
				   uint64_t length, uint32_t flags,
				   uint64_t *inout_dst_iova)
{
	struct ioasid_ioas *dst, *src;
	int err;

	if (!ctx)
		return -EINVAL;
	ctx_lock(ctx);
	err = iopt_check_map_args(ctx, flags, length, inout_dst_iova);
	if (!err && src_iova == UINT64_MAX)
		err = ioasid_err(ctx, -EOVERFLOW, "src_iova 0x%llx is too large", X(src_iova));
	if (err)
		goto out;
	dst = obj_lookup(ctx, dst_id, IOASID_OBJ_IOAS);
	src = dst ? obj_lookup(ctx, src_id, IOASID_OBJ_IOAS) : NULL;
	if (!dst || !src)
		err = -ENOENT;
	else
		err = iopt_copy(ctx, dst, src, src_iova, length, flags, inout_dst_iova);
out:
	TRACE(ctx, trace_copy(ctx, dst_id, src_id, src_iova, length, flags, inout_dst_iova, err));
	ctx_unlock(ctx);
	return err;
}

/* ---- ranges, reservations, options ---- */

IOASID_EXPORT int ioasid_ioas_iova_ranges(struct ioasid_ctx *ctx, uint32_t id,
					  struct ioasid_iova_range *ranges,
					  uint32_t *inout_num, uint64_t *ret_alignment)
{
	struct ioasid_iova_range *usable;
	struct ioasid_ioas *ioas;
	uint32_t n, cap;
	int err;

	if (!ctx || !inout_num)
		return ioasid_err(ctx, -EINVAL, "ioasid_ioas_iova_ranges: inout_num is NULL");
	if (*inout_num && !ranges)
		return ioasid_err(ctx, -EINVAL, "ranges is NULL with a capacity of %u", *inout_num);
	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS, &err);
	if (!ioas)
		return err;
	err = ioas_usable_ranges(ioas, &usable, &n);
	if (err) {
		ioasid_err(ctx, err, "out of memory for the IOVA ranges");
		goto out;
	}
	cap = *inout_num;
	/* the two-call pattern passes ranges NULL with a capacity of 0 */
	if (IOASID_MIN(cap, n))
		memcpy(ranges, usable, IOASID_MIN(cap, n) * sizeof(*usable));
	ioasid_free(usable);
	*inout_num = n;
	if (ret_alignment)
		*ret_alignment = ioas->alignment;
	if (cap < n)
		err = ioasid_err(ctx, -EMSGSIZE, "IOAS %u has %u usable ranges; the array holds %u",
				 id, n, cap);
out:
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_ioas_allow_iovas(struct ioasid_ctx *ctx, uint32_t id,
					  const struct ioasid_iova_range *ranges,
					  uint32_t num)
{
	struct ioasid_ioas *ioas;
	int err;

	if (!ctx)
		return -EINVAL;
	if (num && !ranges)
		return ioasid_err(ctx, -EINVAL, "ranges is NULL with %u entries", num);
	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS, &err);
	if (!ioas)
		return err;
	err = ioas_set_allowed(ctx, ioas, ranges, num);
	TRACE(ctx, trace_allow_iovas(ctx, id, ranges, num, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_ioas_reserve(struct ioasid_ctx *ctx, uint32_t id,
				      uint64_t start, uint64_t last)
{
	struct ioasid_ioas *ioas;
	int err;

	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS, &err);
	if (!ioas)
		return err;
	err = ioas_reserve(ctx, ioas, start, last);
	TRACE(ctx, trace_reserve(ctx, true, id, start, last, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_ioas_unreserve(struct ioasid_ctx *ctx, uint32_t id,
					uint64_t start, uint64_t last)
{
	struct ioasid_ioas *ioas;
	int err;

	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS, &err);
	if (!ioas)
		return err;
	err = ioas_unreserve(ctx, ioas, start, last);
	TRACE(ctx, trace_reserve(ctx, false, id, start, last, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_ioas_set_option(struct ioasid_ctx *ctx, uint32_t id,
					 enum ioasid_ioas_option opt, uint64_t val)
{
	struct ioasid_ioas *ioas;
	int err;

	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS, &err);
	if (!ioas)
		return err;
	if (opt != IOASID_IOAS_OPT_HUGE_PAGES)
		err = ioasid_err(ctx, -EOPNOTSUPP, "unknown IOAS option %d", (int)opt);
	else if (val > 1)
		err = ioasid_err(ctx, -EINVAL, "huge_pages value %llu is not 0 or 1", X(val));
	else
		err = ioas_set_huge_pages(ctx, ioas, val);
	TRACE(ctx, trace_ioas_option(ctx, id, (int)opt, val, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_ioas_get_option(struct ioasid_ctx *ctx, uint32_t id,
					 enum ioasid_ioas_option opt,
					 uint64_t *ret_val)
{
	struct ioasid_ioas *ioas;
	int err = 0;

	if (!ctx || !ret_val)
		return ioasid_err(ctx, -EINVAL, "ioasid_ioas_get_option: NULL argument");
	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS, &err);
	if (!ioas)
		return err;
	if (opt != IOASID_IOAS_OPT_HUGE_PAGES)
		err = ioasid_err(ctx, -EOPNOTSUPP, "unknown IOAS option %d", (int)opt);
	else
		*ret_val = ioas->huge_pages;
	ctx_unlock(ctx);
	return err;
}

static void fill_mapping(struct ioasid_ctx *ctx, struct ioasid_mapping *m, const struct iova_area *a)
{
	m->iova = a->iova;
	m->length = a->last - a->iova + 1;
	m->uva = area_view_uva(ctx, a);
	m->flags = (uint32_t)(a->cookie & AREA_PERM_MASK);
	m->__reserved = 0;
}

IOASID_EXPORT int ioasid_ioas_lookup(struct ioasid_ctx *ctx, uint32_t id,
				     uint64_t iova, struct ioasid_mapping *ret_mapping)
{
	struct ioasid_ioas *ioas;
	const struct iova_area *a;
	int err = 0;

	if (!ctx || !ret_mapping)
		return ioasid_err(ctx, -EINVAL, "ioasid_ioas_lookup: NULL argument");
	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS, &err);
	if (!ioas)
		return err;
	a = iova_tree_find(ioas->areas, iova);
	if (a)
		fill_mapping(ctx, ret_mapping, a);
	else
		err = ioasid_err(ctx, -ENOENT, "IOVA 0x%llx is not mapped in IOAS %u", X(iova), id);
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_ioas_mappings(struct ioasid_ctx *ctx, uint32_t id,
				       uint64_t from, struct ioasid_mapping *out,
				       uint32_t *inout_num)
{
	struct ioasid_ioas *ioas;
	const struct iova_area *a;
	uint32_t n = 0;
	int err;

	if (!ctx || !inout_num || (*inout_num && !out))
		return ioasid_err(ctx, -EINVAL, "ioasid_ioas_mappings: NULL argument");
	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS, &err);
	if (!ioas)
		return err;
	for (a = iova_tree_first_in(ioas->areas, from, UINT64_MAX); a && n < *inout_num;
	     a = iova_tree_next(ioas->areas, a))
		fill_mapping(ctx, &out[n++], a);
	*inout_num = n;
	ctx_unlock(ctx);
	return 0;
}

IOASID_EXPORT int ioasid_ioas_stats(struct ioasid_ctx *ctx, uint32_t id,
				    struct ioasid_ioas_stats *ret_stats)
{
	struct ioasid_ioas *ioas;
	int err;

	if (!ctx || !ret_stats)
		return ioasid_err(ctx, -EINVAL, "ioasid_ioas_stats: NULL argument");
	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS, &err);
	if (!ioas)
		return err;
	memset(ret_stats, 0, sizeof(*ret_stats));
	ret_stats->nr_areas = iova_tree_count(ioas->areas);
	ret_stats->mapped_bytes = ioas->mapped_bytes;
	ret_stats->nr_reserved = ioas->nr_resv;
	ret_stats->nr_allowed = ioas->nr_allowed;
	ret_stats->alignment = ioas->alignment;
	ret_stats->nr_attached = ioas_nr_devices(ioas);
	ctx_unlock(ctx);
	return 0;
}

IOASID_EXPORT int ioasid_ioas_set_ranges_cb(struct ioasid_ctx *ctx, uint32_t id,
					    ioasid_ranges_cb cb, void *data)
{
	struct ioasid_ioas *ioas;
	int err;

	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS, &err);
	if (!ioas)
		return err;
	ioas->ranges_cb = cb;
	ioas->ranges_cb_data = data;
	ctx_unlock(ctx);
	return 0;
}
