/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * I/O address spaces: the records every backend shares, and iommufd's rules
 * (kernel-uapi.md §1.4 IOAS_* and §4.1-§4.5) applied to them.
 *
 * Areas live in an iova_tree; reserved regions (the caller's, devices',
 * and everything outside an attached domain's aperture) in a small sorted
 * array, since there are few and they may overlap each other.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ioas-private.h"
#include "json-private.h"
#include "backend/backend.h"
#include "set-private.h"

/* The largest automatic alignment: the THP size on x86-64 (§4.3). */
#define AUTO_ALIGN_MAX (2ull << 20)

#define X(v) ((unsigned long long)(v))

static uint64_t pages_spanned(uint64_t uva, uint64_t length)
{
	uint64_t pg = ioasid_page_size();

	return (uva + length - 1) / pg - uva / pg + 1;
}

/* ---- shared pages (copy) ---- */

static int pages_reserve(struct ioasid_ctx *ctx, uint32_t n)
{
	uint32_t free = 0, i = ctx->free_pages_head;

	while (i && free < n) {
		free++;
		i = ctx->pages[i - 1].next_free;
	}
	if (free >= n)
		return 0;
	n -= free;
	if (ctx->nr_pages + n > ctx->cap_pages) {
		uint32_t ncap = IOASID_MAX(ctx->cap_pages * 2, ctx->nr_pages + n);
		struct ioas_pages *p;

		if (ncap < 16)
			ncap = 16;
		p = ioasid_realloc(ctx->pages, ncap * sizeof(*p));
		if (!p)
			return ioasid_err(ctx, -ENOMEM, "out of memory for shared-page records");
		ctx->pages = p;
		ctx->cap_pages = ncap;
	}
	return 0;
}

/* Cannot fail after pages_reserve(). Returns a 1-based index. */
static uint32_t pages_new(struct ioasid_ctx *ctx, uint64_t npages)
{
	uint32_t idx;

	if (ctx->free_pages_head) {
		idx = ctx->free_pages_head;
		ctx->free_pages_head = ctx->pages[idx - 1].next_free;
	} else {
		idx = ++ctx->nr_pages;
	}
	ctx->pages[idx - 1].npages = npages;
	ctx->pages[idx - 1].refs = 1;
	ctx->pages[idx - 1].next_free = 0;
	return idx;
}

/* Drop one area's claim on its pages; uncharge when nobody is left. */
static void area_release_pages(struct ioasid_ctx *ctx, const struct iova_area *a)
{
	if (a->cookie & AREA_SHARED) {
		uint32_t idx = (uint32_t)(a->cookie >> AREA_PAGES_SHIFT);
		struct ioas_pages *p = &ctx->pages[idx - 1];

		if (--p->refs == 0) {
			pin_uncharge(ctx, p->npages);
			p->next_free = ctx->free_pages_head;
			ctx->free_pages_head = idx;
		}
	} else {
		pin_uncharge(ctx, pages_spanned(a->uva, a->last - a->iova + 1));
	}
}

/* ---- reserved regions and allowed ranges ---- */

static const struct ioas_resv *resv_find(const struct ioasid_ioas *ioas,
					 uint64_t start, uint64_t last)
{
	uint32_t i;

	for (i = 0; i < ioas->nr_resv; i++) {
		const struct ioas_resv *r = &ioas->resv[i];

		if (r->start > last)
			break;
		if (r->last >= start)
			return r;
	}
	return NULL;
}

static const char *resv_kind_name(const struct ioas_resv *r)
{
	switch (r->kind) {
	case RESV_USER:
		return "caller-reserved region";
	case RESV_DEVICE:
		return "device reserved region";
	default:
		return "region outside a domain's aperture";
	}
}

static const struct ioasid_iova_range *allowed_find(const struct ioasid_ioas *ioas,
						    uint64_t start, uint64_t last)
{
	uint32_t i;

	for (i = 0; i < ioas->nr_allowed; i++)
		if (ioas->allowed[i].start <= last && ioas->allowed[i].last >= start)
			return &ioas->allowed[i];
	return NULL;
}

static int resv_grow(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, uint32_t n)
{
	struct ioas_resv *r;
	uint32_t ncap;

	if (ioas->nr_resv + n <= ioas->cap_resv)
		return 0;
	ncap = IOASID_MAX(ioas->cap_resv * 2, ioas->nr_resv + n);
	r = ioasid_realloc(ioas->resv, ncap * sizeof(*r));
	if (!r)
		return ioasid_err(ctx, -ENOMEM, "out of memory for reserved regions");
	ioas->resv = r;
	ioas->cap_resv = ncap;
	return 0;
}

/* Insert keeping the array sorted by start; capacity already ensured. */
static void resv_insert(struct ioasid_ioas *ioas, const struct ioas_resv *n)
{
	uint32_t i = ioas->nr_resv;

	while (i > 0 && ioas->resv[i - 1].start > n->start) {
		ioas->resv[i] = ioas->resv[i - 1];
		i--;
	}
	ioas->resv[i] = *n;
	ioas->nr_resv++;
}

static void resv_remove_owner(struct ioasid_ioas *ioas, const void *owner)
{
	uint32_t i, j = 0;

	for (i = 0; i < ioas->nr_resv; i++)
		if (ioas->resv[i].kind == RESV_USER || ioas->resv[i].owner != owner)
			ioas->resv[j++] = ioas->resv[i];
	ioas->nr_resv = j;
}

/*
 * A reservation may not cover a mapping or an allowed range (§4.1).
 * Return: 0 or -EADDRINUSE with a message naming both.
 */
static int resv_check(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
		      uint64_t start, uint64_t last, const char *what)
{
	const struct ioasid_iova_range *al;
	const struct iova_area *a;

	a = iova_tree_first_in(ioas->areas, start, last);
	if (a)
		return ioasid_err(ctx, -EADDRINUSE,
				  "%s [0x%llx, 0x%llx] covers the mapping [0x%llx, 0x%llx] of IOAS %u",
				  what, X(start), X(last), X(a->iova), X(a->last), ioas->obj.id);
	al = allowed_find(ioas, start, last);
	if (al)
		return ioasid_err(ctx, -EADDRINUSE,
				  "%s [0x%llx, 0x%llx] covers the allowed range [0x%llx, 0x%llx] of IOAS %u",
				  what, X(start), X(last), X(al->start), X(al->last), ioas->obj.id);
	return 0;
}

/* The gaps between reserved regions over [0, UINT64_MAX]. */
int ioas_usable_ranges(struct ioasid_ioas *ioas, struct ioasid_iova_range **ret,
		       uint32_t *ret_n)
{
	struct ioasid_iova_range *out;
	uint64_t next = 0;
	bool done = false;
	uint32_t i, n = 0;

	out = ioasid_calloc(ioas->nr_resv + 1, sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (i = 0; i < ioas->nr_resv && !done; i++) {
		const struct ioas_resv *r = &ioas->resv[i];

		if (r->last < next)
			continue;
		if (r->start > next) {
			out[n].start = next;
			out[n].last = r->start - 1;
			n++;
		}
		if (r->last == UINT64_MAX)
			done = true;
		else
			next = r->last + 1;
	}
	if (!done) {
		out[n].start = next;
		out[n].last = UINT64_MAX;
		n++;
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

/* ---- alignment ---- */

static uint64_t calc_alignment(const struct ioasid_ioas *ioas)
{
	uint64_t align = ioas->huge_pages ? 1 : ioasid_page_size();
	uint32_t i;

	for (i = 0; i < ioas->nr_domains; i++)
		align = IOASID_MAX(align, ioas->domains[i].min_pgsize);
	return align;
}

/* Every area must honour @align in IOVA, length and in-page offset. */
static int check_areas_aligned(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
			       uint64_t align, const char *why)
{
	const struct iova_area *a;
	uint64_t m = align - 1;

	if (align == 1)
		return 0;
	for (a = iova_tree_first_in(ioas->areas, 0, UINT64_MAX); a;
	     a = iova_tree_next(ioas->areas, a)) {
		uint64_t len = a->last - a->iova + 1;

		if ((a->iova & m) || (len & m) ||
		    ((a->uva % ioasid_page_size()) & m))
			return ioasid_err(ctx, -EADDRINUSE,
					  "%s needs IOVA alignment 0x%llx, but the mapping [0x%llx, 0x%llx] (va 0x%llx) of IOAS %u is not aligned to it",
					  why, X(align), X(a->iova), X(a->last), X(a->uva), ioas->obj.id);
	}
	return 0;
}

/* ---- object lifecycle ---- */

static void ioas_remove_all(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
			    uint64_t *ret_bytes)
{
	uint64_t bytes = 0;
	struct iova_area a;
	struct iova_area *p;

	while ((p = iova_tree_first_in(ioas->areas, 0, UINT64_MAX))) {
		iova_tree_remove(ioas->areas, p->iova, &a);
		if (ctx->ops->area_unmap)
			ctx->ops->area_unmap(ctx, ioas, &a);
		area_release_pages(ctx, &a);
		bytes += a.last - a.iova + 1;
	}
	ioas->mapped_bytes = 0;
	if (ret_bytes)
		*ret_bytes = bytes;
}

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

static void ioas_obj_destroy(struct ioasid_ctx *ctx, struct ioasid_obj *obj)
{
	struct ioasid_ioas *ioas = (struct ioasid_ioas *)obj;

	ioas_remove_all(ctx, ioas, NULL);
	if (ctx->ops->ioas_destroy)
		ctx->ops->ioas_destroy(ctx, ioas);
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

static json_t *ioas_obj_dump(struct ioasid_ctx *ctx, struct ioasid_obj *obj, uint32_t flags)
{
	struct ioasid_ioas *ioas = (struct ioasid_ioas *)obj;
	struct ioasid_iova_range *usable = NULL;
	json_t *o, *arr;
	uint32_t i, n;
	int err = 0;

	(void)ctx;
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
			err = dump_append(arr, json_pack("{s:o,s:o,s:o,s:o,s:s,s:b}", "iova", dump_hex(a->iova),
						    "last", dump_hex(a->last), "length",
						    dump_hex(a->last - a->iova + 1), "uva", dump_hex(a->uva),
						    "perm", perm_str((uint32_t)a->cookie),
						    "shared", !!(a->cookie & AREA_SHARED)));
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
	set = ctx_lock_lookup(ctx, id, IOASID_OBJ_SET);
	if (!set)
		return -ENOENT;
	err = set_ioas_charge(ctx, set);
	if (!err) {
		err = ioas_alloc_locked(ctx, id, ret_ioas);
		if (err)
			set_ioas_uncharge(ctx, id);
	}
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_ioas_destroy(struct ioasid_ctx *ctx, uint32_t id)
{
	int err;

	if (!ctx)
		return -EINVAL;
	if (!ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS))
		return -ENOENT;
	err = obj_destroy_locked(ctx, id);
	ctx_unlock(ctx);
	return err;
}

/* ---- placing a new area ---- */

static uint64_t roundup_pow2(uint64_t v)
{
	if (v <= 1)
		return 1;
	if (v > (1ull << 63))
		return 1ull << 63;
	return 1ull << (64 - __builtin_clzll(v - 1));
}

/* Check a caller-chosen range (§1.4 IOAS_MAP, FIXED_IOVA). */
static int check_fixed(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
		       uint64_t iova, uint64_t length)
{
	const struct ioas_resv *r;
	const struct iova_area *a;
	uint64_t last;

	if (iova & (ioas->alignment - 1))
		return ioasid_err(ctx, -EINVAL,
				  "iova 0x%llx is not aligned to the IOAS %u alignment 0x%llx",
				  X(iova), ioas->obj.id, X(ioas->alignment));
	if (__builtin_add_overflow(iova, length - 1, &last))
		return ioasid_err(ctx, -EOVERFLOW,
				  "iova 0x%llx + length 0x%llx wraps past the end of the address space",
				  X(iova), X(length));
	r = resv_find(ioas, iova, last);
	if (r)
		return ioasid_err(ctx, -EINVAL,
				  "[0x%llx, 0x%llx] touches the %s [0x%llx, 0x%llx] of IOAS %u",
				  X(iova), X(last), resv_kind_name(r), X(r->start), X(r->last),
				  ioas->obj.id);
	a = iova_tree_first_in(ioas->areas, iova, last);
	if (a)
		return ioasid_err(ctx, -EEXIST,
				  "[0x%llx, 0x%llx] overlaps the mapping [0x%llx, 0x%llx] of IOAS %u",
				  X(iova), X(last), X(a->iova), X(a->last), ioas->obj.id);
	return 0;
}

/* Lowest fit in [lo, hi] minus reserved regions. */
static int find_in_window(struct ioasid_ioas *ioas, uint64_t lo, uint64_t hi,
			  uint64_t length, uint64_t align, uint64_t offset,
			  uint64_t *out)
{
	uint32_t i;

	for (i = 0; i <= ioas->nr_resv && lo <= hi; i++) {
		uint64_t wlast = hi;
		const struct ioas_resv *r = i < ioas->nr_resv ? &ioas->resv[i] : NULL;

		if (r && r->last < lo)
			continue;
		if (r && r->start <= hi)
			wlast = r->start > lo ? r->start - 1 : lo - 1;
		/*
		 * The tree applies the kernel's rule itself, offset OR-ed in
		 * even when it is not below the alignment (§4.3).
		 */
		if ((!r || r->start > lo) &&
		    !iova_tree_find_hole(ioas->areas, lo, wlast, length, align, offset, out))
			return 0;
		if (!r || r->start > hi || r->last >= hi)
			break;
		lo = IOASID_MAX(lo, r->last + 1);
	}
	return -ENOSPC;
}

/* Automatic IOVA choice (§4.3). */
static int choose_iova(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
		       uint64_t src_addr, uint64_t length, uint64_t *out)
{
	uint64_t pg = ioasid_page_size();
	uint64_t align, offset = src_addr % pg;
	uint32_t i;

	align = roundup_pow2(length);
	if (src_addr)
		align = IOASID_MIN(align, 1ull << __builtin_ctzll(src_addr));
	align = IOASID_MIN(align, AUTO_ALIGN_MAX);
	if (align < ioas->alignment)
		return ioasid_err(ctx, -EINVAL,
				  "automatic IOVA: va 0x%llx and length 0x%llx allow alignment 0x%llx, below the IOAS %u alignment 0x%llx",
				  X(src_addr), X(length), X(align), ioas->obj.id,
				  X(ioas->alignment));
	if (ioas->nr_allowed) {
		for (i = 0; i < ioas->nr_allowed; i++)
			if (!find_in_window(ioas, ioas->allowed[i].start,
					    ioas->allowed[i].last, length, align,
					    offset, out))
				return 0;
	} else if (!find_in_window(ioas, pg, UINT64_MAX - pg, length, align,
				   offset, out)) {
		return 0;
	}
	return ioasid_err(ctx, -ENOSPC,
			  "no free IOVA range of length 0x%llx (alignment 0x%llx) in IOAS %u%s",
			  X(length), X(align), ioas->obj.id,
			  ioas->nr_allowed ? " within its allowed ranges" : "");
}

/* Arguments shared by map and copy. */
static int check_map_args(struct ioasid_ctx *ctx, uint32_t flags, uint64_t length,
			  const uint64_t *iova)
{
	if (!iova)
		return ioasid_err(ctx, -EINVAL, "iova pointer is NULL");
	if (flags & ~(IOASID_MAP_FIXED_IOVA | IOASID_MAP_READ | IOASID_MAP_WRITE))
		return ioasid_err(ctx, -EOPNOTSUPP, "unknown map flags 0x%x",
				  flags & ~(IOASID_MAP_FIXED_IOVA | IOASID_MAP_READ |
					    IOASID_MAP_WRITE));
	/* The kernel refuses values >= ULONG_MAX before anything else. */
	if (length == UINT64_MAX)
		return ioasid_err(ctx, -EOVERFLOW, "length 0x%llx is too large", X(length));
	if ((flags & IOASID_MAP_FIXED_IOVA) && *iova == UINT64_MAX)
		return ioasid_err(ctx, -EOVERFLOW, "iova 0x%llx is too large", X(*iova));
	if (!(flags & (IOASID_MAP_READ | IOASID_MAP_WRITE)))
		return ioasid_err(ctx, -EINVAL, "map flags 0x%x grant neither READ nor WRITE", flags);
	if (!length)
		return ioasid_err(ctx, -EINVAL, "length is 0");
	return 0;
}

/*
 * Place and insert one area; @pages_idx != 0 shares that pages record
 * (reference already taken by the caller), else the pages are charged.
 */
static int area_add(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
		    uint64_t iova, uint64_t uva, uint64_t length, uint32_t perm,
		    uint32_t pages_idx)
{
	struct iova_area a = {
		.iova = iova,
		.last = iova + length - 1,
		.uva = uva,
		.cookie = perm & AREA_PERM_MASK,
	};
	uint64_t npages = 0;
	int err;

	if (pages_idx) {
		a.cookie |= AREA_SHARED | ((uint64_t)pages_idx << AREA_PAGES_SHIFT);
	} else {
		npages = pages_spanned(uva, length);
		err = pin_charge(ctx, npages);
		if (err)
			return err;
	}
	err = iova_tree_insert(ioas->areas, &a);
	if (err) {
		if (!pages_idx)
			pin_uncharge(ctx, npages);
		if (err == -ENOMEM)
			return ioasid_err(ctx, err, "out of memory for the mapping record");
		return ioasid_err(ctx, err, "cannot record [0x%llx, 0x%llx]: %s",
				  X(a.iova), X(a.last), ioasid_strerrno(err));
	}
	if (ctx->ops->area_map) {
		err = ctx->ops->area_map(ctx, ioas, &a);
		if (err) {
			iova_tree_remove(ioas->areas, a.iova, NULL);
			if (!pages_idx)
				pin_uncharge(ctx, npages);
			return err;
		}
	}
	ioas->mapped_bytes += length;
	return 0;
}

IOASID_EXPORT int ioasid_ioas_map(struct ioasid_ctx *ctx, uint32_t id, void *va,
				  uint64_t length, uint32_t flags, uint64_t *inout_iova)
{
	struct ioasid_ioas *ioas;
	uint64_t uva = (uintptr_t)va, where, end;
	int err;

	if (!ctx)
		return -EINVAL;
	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS);
	if (!ioas)
		return -ENOENT;
	err = check_map_args(ctx, flags, length, inout_iova);
	if (err)
		goto out;
	if (!va) {
		err = ioasid_err(ctx, -EFAULT, "va is NULL");
		goto out;
	}
	if (__builtin_add_overflow(uva, length - 1, &end)) {
		err = ioasid_err(ctx, -EOVERFLOW, "va 0x%llx + length 0x%llx wraps",
				 X(uva), X(length));
		goto out;
	}
	if ((length & (ioas->alignment - 1)) ||
	    ((uva % ioasid_page_size()) & (ioas->alignment - 1))) {
		err = ioasid_err(ctx, -EINVAL,
				 "length 0x%llx or the in-page offset of va 0x%llx is not aligned to the IOAS %u alignment 0x%llx",
				 X(length), X(uva), id, X(ioas->alignment));
		goto out;
	}
	if (flags & IOASID_MAP_FIXED_IOVA) {
		where = *inout_iova;
		err = check_fixed(ctx, ioas, where, length);
	} else {
		err = choose_iova(ctx, ioas, uva, length, &where);
	}
	if (err)
		goto out;
	err = area_add(ctx, ioas, where, uva, length, flags, 0);
	if (!err)
		*inout_iova = where;
out:
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_ioas_unmap(struct ioasid_ctx *ctx, uint32_t id,
				    uint64_t iova, uint64_t length,
				    uint64_t *ret_unmapped)
{
	struct ioasid_ioas *ioas;
	struct iova_area *a, rm;
	uint64_t last, bytes = 0, n;
	int err = 0;

	if (!ctx)
		return -EINVAL;
	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS);
	if (!ioas)
		return -ENOENT;
	if (iova == 0 && length == UINT64_MAX) {
		ioas_remove_all(ctx, ioas, &bytes);
		goto done;
	}
	if (iova == UINT64_MAX || length == UINT64_MAX) {
		err = ioasid_err(ctx, -EOVERFLOW, "iova 0x%llx / length 0x%llx too large",
				 X(iova), X(length));
		goto out;
	}
	if (!length) {
		err = ioasid_err(ctx, -EINVAL, "length is 0");
		goto out;
	}
	if (__builtin_add_overflow(iova, length - 1, &last)) {
		err = ioasid_err(ctx, -EOVERFLOW,
				 "iova 0x%llx + length 0x%llx wraps past the end of the address space",
				 X(iova), X(length));
		goto out;
	}
	/*
	 * The common case, exactly one whole area: one tree descent. No other
	 * area can meet the range then, since areas never overlap.
	 */
	if (!iova_tree_remove_exact(ioas->areas, iova, last, &rm)) {
		if (ctx->ops->area_unmap)
			ctx->ops->area_unmap(ctx, ioas, &rm);
		area_release_pages(ctx, &rm);
		bytes = rm.last - rm.iova + 1;
		ioas->mapped_bytes -= bytes;
		goto done;
	}
	/*
	 * Check every area first, so a refused unmap removes nothing (the
	 * kernel removes earlier areas before it sees one straddling the end).
	 */
	a = iova_tree_first_in(ioas->areas, iova, last);
	if (!a) {
		err = ioasid_err(ctx, -ENOENT, "no mapping in [0x%llx, 0x%llx] of IOAS %u",
				 X(iova), X(last), id);
		goto out;
	}
	for (n = 0; a && a->iova <= last; n++) {
		if (a->iova < iova || a->last > last) {
			err = ioasid_err(ctx, -ENOENT,
					 "the mapping [0x%llx, 0x%llx] of IOAS %u straddles the %s of [0x%llx, 0x%llx]; only whole mappings can be unmapped",
					 X(a->iova), X(a->last), id,
					 a->iova < iova ? "start" : "end", X(iova), X(last));
			goto out;
		}
		/* an area ending at the range's end is the last one in it */
		a = a->last == last ? NULL : iova_tree_next(ioas->areas, a);
	}
	while (n--) {
		a = iova_tree_first_in(ioas->areas, iova, last);
		iova_tree_remove(ioas->areas, a->iova, &rm);
		if (ctx->ops->area_unmap)
			ctx->ops->area_unmap(ctx, ioas, &rm);
		area_release_pages(ctx, &rm);
		bytes += rm.last - rm.iova + 1;
		/* the next area cannot start below this one's end */
		iova = rm.last + 1;
	}
	ioas->mapped_bytes -= bytes;
done:
	if (ret_unmapped)
		*ret_unmapped = bytes;
out:
	ctx_unlock(ctx);
	return err;
}

/* One piece of a copy: a source area clipped to the copied range. */
struct copy_piece {
	uint64_t uva;
	uint64_t length;
	uint64_t src_area; /* IOVA where the source area starts */
};

IOASID_EXPORT int ioasid_ioas_copy(struct ioasid_ctx *ctx, uint32_t dst_id,
				   uint32_t src_id, uint64_t src_iova,
				   uint64_t length, uint32_t flags,
				   uint64_t *inout_dst_iova)
{
	struct ioasid_ioas *dst, *src;
	struct copy_piece *pieces = NULL;
	uint32_t n = 0, cap = 0, i, need_new = 0;
	struct iova_area *a;
	uint64_t src_last, pos, where, done_bytes;
	int err;

	if (!ctx)
		return -EINVAL;
	ctx_lock(ctx);
	err = check_map_args(ctx, flags, length, inout_dst_iova);
	if (err)
		goto out;
	if (src_iova == UINT64_MAX) {
		err = ioasid_err(ctx, -EOVERFLOW, "src_iova 0x%llx is too large", X(src_iova));
		goto out;
	}
	dst = obj_lookup(ctx, dst_id, IOASID_OBJ_IOAS);
	src = dst ? obj_lookup(ctx, src_id, IOASID_OBJ_IOAS) : NULL;
	if (!dst || !src) {
		err = -ENOENT;
		goto out;
	}
	if (__builtin_add_overflow(src_iova, length - 1, &src_last)) {
		err = ioasid_err(ctx, -EOVERFLOW, "src_iova 0x%llx + length 0x%llx wraps",
				 X(src_iova), X(length));
		goto out;
	}
	/* The source range must be covered, hole-free, by areas. */
	pos = src_iova;
	for (a = iova_tree_find(src->areas, src_iova); pos <= src_last;
	     a = iova_tree_next(src->areas, a)) {
		uint64_t plast;

		if (!a || a->iova > pos || a->last < pos) {
			err = ioasid_err(ctx, -ENOENT,
					 "source IOVA 0x%llx of IOAS %u is not mapped", X(pos), src_id);
			goto out;
		}
		if ((flags & AREA_PERM_MASK) & ~(a->cookie & AREA_PERM_MASK)) {
			err = ioasid_err(ctx, -EPERM,
					 "copy asks for %s%s but the source mapping [0x%llx, 0x%llx] allows only %s%s",
					 flags & IOASID_MAP_READ ? "r" : "", flags & IOASID_MAP_WRITE ? "w" : "",
					 X(a->iova), X(a->last),
					 a->cookie & IOASID_MAP_READ ? "r" : "",
					 a->cookie & IOASID_MAP_WRITE ? "w" : "");
			goto out;
		}
		if (n == cap) {
			struct copy_piece *np;

			cap = cap ? cap * 2 : 4;
			np = ioasid_realloc(pieces, cap * sizeof(*np));
			if (!np) {
				err = ioasid_err(ctx, -ENOMEM, "out of memory for a copy");
				goto out;
			}
			pieces = np;
		}
		plast = IOASID_MIN(a->last, src_last);
		pieces[n].uva = a->uva + (pos - a->iova);
		pieces[n].length = plast - pos + 1;
		pieces[n].src_area = a->iova;
		if (!(a->cookie & AREA_SHARED))
			need_new++;
		n++;
		if (plast == src_last)
			break;
		pos = plast + 1;
	}
	/* Alignment of the new area(s) in dst. */
	for (i = 0; i < n; i++) {
		if ((pieces[i].length & (dst->alignment - 1)) ||
		    ((pieces[i].uva % ioasid_page_size()) & (dst->alignment - 1))) {
			err = ioasid_err(ctx, -EINVAL,
					 "source piece at va 0x%llx length 0x%llx is not aligned to the IOAS %u alignment 0x%llx",
					 X(pieces[i].uva), X(pieces[i].length), dst_id,
					 X(dst->alignment));
			goto out;
		}
	}
	if (flags & IOASID_MAP_FIXED_IOVA) {
		where = *inout_dst_iova;
		err = check_fixed(ctx, dst, where, length);
	} else {
		err = choose_iova(ctx, dst, pieces[0].uva, length, &where);
	}
	if (err)
		goto out;
	err = pages_reserve(ctx, need_new);
	if (err)
		goto out;
	/*
	 * Insert the pieces; on failure remove those already added. Inserts
	 * may move areas inside the tree (src may equal dst), so each source
	 * area is found again by its IOVA.
	 */
	done_bytes = 0;
	for (i = 0; i < n; i++) {
		struct iova_area *s = iova_tree_find(src->areas, pieces[i].src_area);
		uint32_t idx;

		if (!(s->cookie & AREA_SHARED)) {
			idx = pages_new(ctx, pages_spanned(s->uva, s->last - s->iova + 1));
			s->cookie |= AREA_SHARED | ((uint64_t)idx << AREA_PAGES_SHIFT);
		} else {
			idx = (uint32_t)(s->cookie >> AREA_PAGES_SHIFT);
		}
		ctx->pages[idx - 1].refs++;
		err = area_add(ctx, dst, where + done_bytes, pieces[i].uva,
			       pieces[i].length, flags, idx);
		if (err) {
			ctx->pages[idx - 1].refs--;
			while (i-- > 0) {
				struct iova_area rm;

				done_bytes -= pieces[i].length;
				iova_tree_remove(dst->areas, where + done_bytes, &rm);
				if (ctx->ops->area_unmap)
					ctx->ops->area_unmap(ctx, dst, &rm);
				area_release_pages(ctx, &rm);
				dst->mapped_bytes -= pieces[i].length;
			}
			goto out;
		}
		done_bytes += pieces[i].length;
	}
	*inout_dst_iova = where;
out:
	ioasid_free(pieces);
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
	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS);
	if (!ioas)
		return -ENOENT;
	err = ioas_usable_ranges(ioas, &usable, &n);
	if (err) {
		ioasid_err(ctx, err, "out of memory for the IOVA ranges");
		goto out;
	}
	cap = *inout_num;
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
	struct ioasid_iova_range *sorted = NULL;
	struct ioasid_ioas *ioas;
	uint32_t i, j;
	int err = 0;

	if (!ctx)
		return -EINVAL;
	if (num && !ranges)
		return ioasid_err(ctx, -EINVAL, "ranges is NULL with %u entries", num);
	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS);
	if (!ioas)
		return -ENOENT;
	if (num) {
		sorted = ioasid_malloc(num * sizeof(*sorted));
		if (!sorted) {
			err = ioasid_err(ctx, -ENOMEM, "out of memory for %u allowed ranges", num);
			goto out;
		}
	}
	for (i = 0; i < num; i++) {
		const struct ioasid_iova_range *r = &ranges[i];
		const struct ioas_resv *rv;

		if (r->start >= r->last) {
			err = ioasid_err(ctx, -EINVAL,
					 "allowed range %u [0x%llx, 0x%llx]: start must be below last",
					 i, X(r->start), X(r->last));
			goto out;
		}
		rv = resv_find(ioas, r->start, r->last);
		if (rv) {
			err = ioasid_err(ctx, -EADDRINUSE,
					 "allowed range %u [0x%llx, 0x%llx] touches the %s [0x%llx, 0x%llx]",
					 i, X(r->start), X(r->last), resv_kind_name(rv),
					 X(rv->start), X(rv->last));
			goto out;
		}
		/* insertion sort: lists are short */
		for (j = i; j > 0 && sorted[j - 1].start > r->start; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = *r;
	}
	for (i = 1; i < num; i++) {
		if (sorted[i].start <= sorted[i - 1].last) {
			err = ioasid_err(ctx, -EINVAL,
					 "allowed ranges [0x%llx, 0x%llx] and [0x%llx, 0x%llx] overlap",
					 X(sorted[i - 1].start), X(sorted[i - 1].last),
					 X(sorted[i].start), X(sorted[i].last));
			goto out;
		}
	}
	ioasid_free(ioas->allowed);
	ioas->allowed = sorted;
	ioas->nr_allowed = num;
	sorted = NULL;
out:
	ioasid_free(sorted);
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_ioas_reserve(struct ioasid_ctx *ctx, uint32_t id,
				      uint64_t start, uint64_t last)
{
	struct ioas_resv r = { .start = start, .last = last, .kind = RESV_USER };
	struct ioasid_ioas *ioas;
	int err;

	if (!ctx)
		return -EINVAL;
	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS);
	if (!ioas)
		return -ENOENT;
	if (last < start) {
		err = ioasid_err(ctx, -EINVAL, "reserved range [0x%llx, 0x%llx]: last is below start",
				 X(start), X(last));
		goto out;
	}
	err = resv_check(ctx, ioas, start, last, "reserved range");
	if (err)
		goto out;
	err = resv_grow(ctx, ioas, 1);
	if (err)
		goto out;
	resv_insert(ioas, &r);
out:
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_ioas_unreserve(struct ioasid_ctx *ctx, uint32_t id,
					uint64_t start, uint64_t last)
{
	struct ioasid_ioas *ioas;
	uint32_t i;
	int err;

	if (!ctx)
		return -EINVAL;
	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS);
	if (!ioas)
		return -ENOENT;
	err = ioasid_err(ctx, -ENOENT, "IOAS %u has no caller reservation [0x%llx, 0x%llx]",
			 id, X(start), X(last));
	for (i = 0; i < ioas->nr_resv; i++) {
		struct ioas_resv *r = &ioas->resv[i];

		if (r->kind == RESV_USER && r->start == start && r->last == last) {
			memmove(r, r + 1, (ioas->nr_resv - i - 1) * sizeof(*r));
			ioas->nr_resv--;
			err = 0;
			break;
		}
	}
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_ioas_set_option(struct ioasid_ctx *ctx, uint32_t id,
					 enum ioasid_ioas_option opt, uint64_t val)
{
	struct ioasid_ioas *ioas;
	bool old;
	int err;

	if (!ctx)
		return -EINVAL;
	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS);
	if (!ioas)
		return -ENOENT;
	if (opt != IOASID_IOAS_OPT_HUGE_PAGES) {
		err = ioasid_err(ctx, -EOPNOTSUPP, "unknown IOAS option %d", (int)opt);
		goto out;
	}
	if (val > 1) {
		err = ioasid_err(ctx, -EINVAL, "huge_pages value %llu is not 0 or 1", X(val));
		goto out;
	}
	/* the kernel's rule (iopt_disable_large_pages): not once domains map areas */
	if (!val && ioas->huge_pages && ioas->paging && ioas->mapped_bytes) {
		err = ioasid_err(ctx, -EINVAL,
				 "turning huge pages off on IOAS %u: its domains already map 0x%llx bytes",
				 id, X(ioas->mapped_bytes));
		goto out;
	}
	old = ioas->huge_pages;
	ioas->huge_pages = val;
	err = check_areas_aligned(ctx, ioas, calc_alignment(ioas), "turning huge pages off");
	if (!err && ctx->ops->ioas_set_option)
		err = ctx->ops->ioas_set_option(ctx, ioas, opt, val);
	if (err)
		ioas->huge_pages = old;
	else
		ioas->alignment = calc_alignment(ioas);
out:
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
	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS);
	if (!ioas)
		return -ENOENT;
	if (opt != IOASID_IOAS_OPT_HUGE_PAGES)
		err = ioasid_err(ctx, -EOPNOTSUPP, "unknown IOAS option %d", (int)opt);
	else
		*ret_val = ioas->huge_pages;
	ctx_unlock(ctx);
	return err;
}

static void fill_mapping(struct ioasid_mapping *m, const struct iova_area *a)
{
	m->iova = a->iova;
	m->length = a->last - a->iova + 1;
	m->uva = a->uva;
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
	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS);
	if (!ioas)
		return -ENOENT;
	a = iova_tree_find(ioas->areas, iova);
	if (a)
		fill_mapping(ret_mapping, a);
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

	if (!ctx || !inout_num || (*inout_num && !out))
		return ioasid_err(ctx, -EINVAL, "ioasid_ioas_mappings: NULL argument");
	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS);
	if (!ioas)
		return -ENOENT;
	for (a = iova_tree_first_in(ioas->areas, from, UINT64_MAX); a && n < *inout_num;
	     a = iova_tree_next(ioas->areas, a))
		fill_mapping(&out[n++], a);
	*inout_num = n;
	ctx_unlock(ctx);
	return 0;
}

IOASID_EXPORT int ioasid_ioas_stats(struct ioasid_ctx *ctx, uint32_t id,
				    struct ioasid_ioas_stats *ret_stats)
{
	struct ioasid_ioas *ioas;

	if (!ctx || !ret_stats)
		return ioasid_err(ctx, -EINVAL, "ioasid_ioas_stats: NULL argument");
	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS);
	if (!ioas)
		return -ENOENT;
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

/* ---- attached domains (used by device attach) ---- */

int ioas_add_domain(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
		    const struct ioas_domain_desc *d)
{
	uint64_t pg = ioasid_page_size(), min_pgsize, new_align;
	struct ioas_resv r;
	uint32_t i, nres = d->nr_resv;
	int err;

	if (!d->pgsize_bitmap)
		return ioasid_err(ctx, -EINVAL, "page-size bitmap 0x0 of the domain is invalid");
	min_pgsize = 1ull << __builtin_ctzll(d->pgsize_bitmap);
	if (min_pgsize > pg)
		return ioasid_err(ctx, -EINVAL,
				  "the domain's smallest page size 0x%llx (bitmap 0x%llx) is above the CPU page size 0x%llx",
				  X(min_pgsize), X(d->pgsize_bitmap), X(pg));
	if (d->aperture_last < d->aperture_start)
		return ioasid_err(ctx, -EINVAL, "aperture [0x%llx, 0x%llx] is empty",
				  X(d->aperture_start), X(d->aperture_last));
	/* Check everything before changing anything. */
	if (d->aperture_start) {
		err = resv_check(ctx, ioas, 0, d->aperture_start - 1,
				 "the space below the domain's aperture");
		if (err)
			return err;
		nres++;
	}
	if (d->aperture_last != UINT64_MAX) {
		err = resv_check(ctx, ioas, d->aperture_last + 1, UINT64_MAX,
				 "the space above the domain's aperture");
		if (err)
			return err;
		nres++;
	}
	for (i = 0; i < d->nr_resv; i++) {
		if (d->resv[i].last < d->resv[i].start)
			return ioasid_err(ctx, -EINVAL, "device reserved region [0x%llx, 0x%llx] is empty",
					  X(d->resv[i].start), X(d->resv[i].last));
		err = resv_check(ctx, ioas, d->resv[i].start, d->resv[i].last,
				 "the device's reserved region");
		if (err)
			return err;
	}
	new_align = IOASID_MAX(ioas->alignment, min_pgsize);
	if (new_align > ioas->alignment) {
		char why[128];

		snprintf(why, sizeof(why), "a domain with page sizes 0x%llx", X(d->pgsize_bitmap));
		err = check_areas_aligned(ctx, ioas, new_align, why);
		if (err)
			return err;
	}
	err = resv_grow(ctx, ioas, nres);
	if (err)
		return err;
	if (ioas->nr_domains == ioas->cap_domains) {
		uint32_t ncap = ioas->cap_domains ? ioas->cap_domains * 2 : 4;
		struct ioas_domain *nd = ioasid_realloc(ioas->domains, ncap * sizeof(*nd));

		if (!nd)
			return ioasid_err(ctx, -ENOMEM, "out of memory for an attachment");
		ioas->domains = nd;
		ioas->cap_domains = ncap;
	}
	/* Commit: nothing below can fail. */
	ioas->domains[ioas->nr_domains].owner = d->owner;
	ioas->domains[ioas->nr_domains].min_pgsize = min_pgsize;
	ioas->domains[ioas->nr_domains].device = d->device;
	ioas->nr_domains++;
	r.owner = d->owner;
	r.type = 0;
	if (d->aperture_start) {
		r.kind = RESV_APERTURE;
		r.start = 0;
		r.last = d->aperture_start - 1;
		resv_insert(ioas, &r);
	}
	if (d->aperture_last != UINT64_MAX) {
		r.kind = RESV_APERTURE;
		r.start = d->aperture_last + 1;
		r.last = UINT64_MAX;
		resv_insert(ioas, &r);
	}
	for (i = 0; i < d->nr_resv; i++) {
		r = d->resv[i];
		r.kind = RESV_DEVICE;
		r.owner = d->owner;
		resv_insert(ioas, &r);
	}
	ioas->alignment = calc_alignment(ioas);
	return 0;
}

uint32_t ioas_nr_devices(const struct ioasid_ioas *ioas)
{
	uint32_t i, n = 0;

	for (i = 0; i < ioas->nr_domains; i++)
		n += ioas->domains[i].device;
	return n;
}

void ioas_remove_domain(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
			const void *owner)
{
	uint32_t i, j = 0;

	(void)ctx;
	for (i = 0; i < ioas->nr_domains; i++)
		if (ioas->domains[i].owner != owner)
			ioas->domains[j++] = ioas->domains[i];
	ioas->nr_domains = j;
	resv_remove_owner(ioas, owner);
	ioas->alignment = calc_alignment(ioas);
}

IOASID_EXPORT int ioasid_ioas_set_ranges_cb(struct ioasid_ctx *ctx, uint32_t id,
					    ioasid_ranges_cb cb, void *data)
{
	struct ioasid_ioas *ioas;

	if (!ctx)
		return -EINVAL;
	ioas = ctx_lock_lookup(ctx, id, IOASID_OBJ_IOAS);
	if (!ioas)
		return -ENOENT;
	ioas->ranges_cb = cb;
	ioas->ranges_cb_data = data;
	ctx_unlock(ctx);
	return 0;
}
