/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The areas of an IOAS, as iommufd's io_pagetable.c keeps them: placing a
 * new area at a fixed or an automatic IOVA, mapping, unmapping and
 * copying areas (kernel-uapi.md §1.4 IOAS_MAP/UNMAP/COPY, §4.3), pinning
 * their pages while the IOAS has a domain, and the shared-pages records
 * that let the pages of a copy be pinned and charged once (§4.5). The
 * entry points are in ioas.c; which IOVAs may be used is ioas-ranges.c's
 * business.
 *
 * Areas live in an iova_tree keyed by IOVA; the backend is told of each
 * one that comes and goes (area_map/area_unmap).
 */
#include <stdio.h>
#include <string.h>

#include "ioas-private.h"
#include "events-private.h"
#include "backend/backend.h"

/* The largest automatic alignment: the THP size on x86-64 (§4.3). */
#define AUTO_ALIGN_MAX (2ull << 20)

#define X(v) ((unsigned long long)(v))

static uint64_t pages_spanned(uint64_t uva, uint64_t length)
{
	uint64_t pg = ioasid_page_size();

	return (uva + length - 1) / pg - uva / pg + 1;
}

/* ---- shared pages (copy) ---- */

int iopt_pages_reserve(struct ioasid_ctx *ctx, uint32_t n)
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

/*
 * A record for the pages of area @a, one claim taken, pinned once if @a's
 * are. Cannot fail after pages_reserve(). Returns a 1-based index.
 */
uint32_t iopt_pages_new(struct ioasid_ctx *ctx, const struct iova_area *a, bool pinned)
{
	struct ioas_pages *p;
	uint32_t idx;

	if (ctx->free_pages_head) {
		idx = ctx->free_pages_head;
		ctx->free_pages_head = ctx->pages[idx - 1].next_free;
	} else {
		idx = ++ctx->nr_pages;
	}
	p = &ctx->pages[idx - 1];
	p->uva = a->uva;
	p->length = a->last - a->iova + 1;
	p->npages = pages_spanned(p->uva, p->length);
	p->refs = 1;
	p->pinned = pinned;
	p->flags = (uint32_t)(a->cookie & (AREA_PERM_MASK | AREA_NOACCT));
	p->next_free = 0;
	p->offset = 0;
	p->ino = 0;
	p->fd = -1;
	p->kind = IOASID_BACKING_VA;
	p->view = false;
	p->revoked = false;
	return idx;
}

/* The shared-pages record of @a, or NULL when its pages are its own. */
struct ioas_pages *iopt_area_pages(struct ioasid_ctx *ctx, const struct iova_area *a)
{
	if (!(a->cookie & AREA_SHARED))
		return NULL;
	return &ctx->pages[(uint32_t)(a->cookie >> AREA_PAGES_SHIFT) - 1];
}

/* ---- pinning (§4.5) ---- */

/*
 * Pin @a's pages, as the kernel does when the area's IOAS has a domain:
 * the memory must be pinnable (checked here where the backend does not
 * pin in the kernel: the kernel's EFAULT then comes from the backend), then
 * it is charged. Pages shared with other areas are pinned once; their
 * record is charged whole, although the kernel pins only the pages some
 * pinned area uses (docs/design.md).
 */
static int area_pin(struct ioasid_ctx *ctx, const struct iova_area *a)
{
	struct ioas_pages *p = iopt_area_pages(ctx, a);
	uint64_t len = a->last - a->iova + 1, flags = p ? p->flags : a->cookie;
	int err = 0;

	if (p && p->pinned++)
		return 0;
	/* a dma-buf's memory is the exporter's: neither pinned nor charged */
	if (p && p->kind == IOASID_BACKING_DMABUF)
		return 0;
	if (!ctx->ops->kernel_pins && p && p->kind == IOASID_BACKING_FILE)
		err = pin_check_file(ctx, p->fd, p->offset, p->length);
	else if (!ctx->ops->kernel_pins)
		err = p ? pin_check_memory(ctx, p->uva, p->length, flags & IOASID_MAP_WRITE) :
			  pin_check_memory(ctx, a->uva, len, flags & IOASID_MAP_WRITE);
	if (!err)
		err = pin_charge(ctx, p ? p->npages : pages_spanned(a->uva, len),
				 !(flags & AREA_NOACCT));
	if (err && p)
		p->pinned--;
	return err;
}

static void area_unpin(struct ioasid_ctx *ctx, const struct iova_area *a)
{
	struct ioas_pages *p = iopt_area_pages(ctx, a);

	if (!p)
		pin_uncharge(ctx, pages_spanned(a->uva, a->last - a->iova + 1),
			     !(a->cookie & AREA_NOACCT));
	else if (--p->pinned == 0 && p->kind != IOASID_BACKING_DMABUF)
		pin_uncharge(ctx, p->npages, !(p->flags & AREA_NOACCT));
}

int iopt_pin_all(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas)
{
	struct iova_area *a, *b;
	int err;

	for (a = iova_tree_first_in(ioas->areas, 0, UINT64_MAX); a;
	     a = iova_tree_next(ioas->areas, a)) {
		err = area_pin(ctx, a);
		if (err) {
			for (b = iova_tree_first_in(ioas->areas, 0, UINT64_MAX); b != a;
			     b = iova_tree_next(ioas->areas, b))
				area_unpin(ctx, b);
			return err;
		}
	}
	ioas->pinned = true;
	return 0;
}

void iopt_unpin_all(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas)
{
	struct iova_area *a;

	for (a = iova_tree_first_in(ioas->areas, 0, UINT64_MAX); a;
	     a = iova_tree_next(ioas->areas, a))
		area_unpin(ctx, a);
	ioas->pinned = false;
}

void iopt_pages_put(struct ioasid_ctx *ctx, uint32_t idx)
{
	struct ioas_pages *p = &ctx->pages[idx - 1];

	if (--p->refs)
		return;
	if (p->kind != IOASID_BACKING_VA)
		iopt_file_release(ctx, p);
	p->next_free = ctx->free_pages_head;
	ctx->free_pages_head = idx;
}

/* Drop one area's claim on its pages (pinned or not); free a record nobody uses. */
static void area_release_pages(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
			       const struct iova_area *a)
{
	if (ioas->pinned)
		area_unpin(ctx, a);
	if (a->cookie & AREA_SHARED)
		iopt_pages_put(ctx, (uint32_t)(a->cookie >> AREA_PAGES_SHIFT));
}

/*
 * Area @rm, just taken out of the tree: unmap it in the backend, then let
 * the pinned-page count go; its length is added to *@bytes. A refusal puts
 * it back (backend.h's rule) unless the context is closing. Taking it out
 * first keeps the common exact unmap at one tree descent.
 */
static int area_drop_removed(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
			     const struct iova_area *rm, uint64_t *bytes)
{
	int err = ctx->ops->area_unmap ? ctx->ops->area_unmap(ctx, ioas, rm) : 0;

	err = be_refused(ctx, err);
	if (err) {
		/* the tree had room for it a moment ago: it only fails out of memory */
		if (iova_tree_insert(ioas->areas, rm))
			ioasid_log(ctx, IOASID_LOG_ERR,
				   "IOAS %u: out of memory to keep the record of [0x%llx, 0x%llx], which the kernel keeps",
				   ioas->obj.id, X(rm->iova), X(rm->last));
		return err;
	}
	area_release_pages(ctx, ioas, rm);
	ioas->mapped_bytes -= rm->last - rm->iova + 1;
	EVENT_UNMAPPED(ctx, ioas->obj.id, rm->iova, rm->last - rm->iova + 1);
	*bytes += rm->last - rm->iova + 1;
	return 0;
}

/* The same for the area starting at @iova, still in the tree. */
static int area_drop(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, uint64_t iova,
		     uint64_t *bytes)
{
	struct iova_area rm;

	iova_tree_remove(ioas->areas, iova, &rm);
	return area_drop_removed(ctx, ioas, &rm, bytes);
}

int iopt_unmap_all(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, uint64_t *ret_bytes)
{
	struct iova_area *p;
	int err = 0;

	*ret_bytes = 0;
	while (!err && (p = iova_tree_first_in(ioas->areas, 0, UINT64_MAX)))
		err = area_drop(ctx, ioas, p->iova, ret_bytes);
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

/* The error of a fixed range that overlaps an area already there. */
static int overlap_err(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, uint64_t iova,
		       uint64_t last)
{
	const struct iova_area *a = iova_tree_first_in(ioas->areas, iova, last);

	if (!a) /* the caller saw one: cannot happen */
		return ioasid_err(ctx, -EEXIST, "[0x%llx, 0x%llx] overlaps a mapping of IOAS %u",
				  X(iova), X(last), ioas->obj.id);
	return ioasid_err(ctx, -EEXIST,
			  "[0x%llx, 0x%llx] overlaps the mapping [0x%llx, 0x%llx] of IOAS %u",
			  X(iova), X(last), X(a->iova), X(a->last), ioas->obj.id);
}

/*
 * Check a caller-chosen range (§1.4 IOAS_MAP, FIXED_IOVA). With
 * @overlap_later, the areas are not searched: the caller inserts at once,
 * and the insert's descent finds an overlap anyway (iopt_area_add()
 * reports it the same way), so a fixed map costs one descent, not two.
 */
static int check_fixed(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, uint64_t iova,
		       uint64_t length, bool overlap_later)
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
	if (overlap_later)
		return 0;
	a = iova_tree_first_in(ioas->areas, iova, last);
	if (a)
		return overlap_err(ctx, ioas, iova, last);
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

int iopt_check_map_args(struct ioasid_ctx *ctx, uint32_t flags, uint64_t length,
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
 * (reference already taken by the caller). In an IOAS with a domain its
 * pages are pinned first, as the kernel pins before the area is visible.
 */
int iopt_area_add(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, uint64_t iova, uint64_t uva,
		  uint64_t length, uint32_t perm, uint32_t pages_idx)
{
	struct iova_area a = {
		.iova = iova,
		.last = iova + length - 1,
		.uva = uva,
		.cookie = perm & AREA_PERM_MASK,
	};
	int err;

	if (pages_idx)
		a.cookie |= AREA_SHARED | ((uint64_t)pages_idx << AREA_PAGES_SHIFT);
	else if (pin_exempt(ctx))
		a.cookie |= AREA_NOACCT;
	if (ioas->pinned) {
		err = area_pin(ctx, &a);
		if (err)
			return err;
	}
	err = iova_tree_insert(ioas->areas, &a);
	if (err) {
		if (ioas->pinned)
			area_unpin(ctx, &a);
		if (err == -ENOMEM)
			return ioasid_err(ctx, err, "out of memory for the mapping record");
		if (err == -EEXIST)
			return overlap_err(ctx, ioas, a.iova, a.last);
		return ioasid_err(ctx, err, "cannot record [0x%llx, 0x%llx]: %s",
				  X(a.iova), X(a.last), ioasid_strerrno(err));
	}
	if (ctx->ops->area_map) {
		err = ctx->ops->area_map(ctx, ioas, &a);
		if (err) {
			iova_tree_remove(ioas->areas, a.iova, NULL);
			if (ioas->pinned)
				area_unpin(ctx, &a);
			return err;
		}
	}
	ioas->mapped_bytes += length;
	EVENT_MAPPED(ctx, ioas->obj.id, iova, length, perm & AREA_PERM_MASK);
	return 0;
}

/* Where a new area of @length goes: the caller's IOVA, checked, or one chosen for @uva. */
int iopt_area_place(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, uint32_t flags, uint64_t uva,
		    uint64_t length, uint64_t iova, uint64_t *ret_iova)
{
	if (flags & IOASID_MAP_FIXED_IOVA) {
		*ret_iova = iova;
		return check_fixed(ctx, ioas, iova, length, false);
	}
	return choose_iova(ctx, ioas, uva, length, ret_iova);
}

/* ---- map, unmap ---- */

int iopt_check_aligned(struct ioasid_ctx *ctx, const struct ioasid_ioas *ioas, const char *what,
		       uint64_t addr, uint64_t length)
{
	if ((length & (ioas->alignment - 1)) ||
	    ((addr % ioasid_page_size()) & (ioas->alignment - 1)))
		return ioasid_err(ctx, -EINVAL,
				  "length 0x%llx or the in-page offset of %s 0x%llx is not aligned to the IOAS %u alignment 0x%llx",
				  X(length), what, X(addr), ioas->obj.id, X(ioas->alignment));
	return 0;
}

int iopt_map(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, void *va, uint64_t length,
	     uint32_t flags, uint64_t *inout_iova)
{
	uint64_t uva = (uintptr_t)va, where, end;
	int err;

	err = iopt_check_map_args(ctx, flags, length, inout_iova);
	if (err)
		return err;
	if (!va)
		return ioasid_err(ctx, -EFAULT, "va is NULL");
	if (__builtin_add_overflow(uva, length - 1, &end))
		return ioasid_err(ctx, -EOVERFLOW, "va 0x%llx + length 0x%llx wraps", X(uva),
				  X(length));
	err = iopt_check_aligned(ctx, ioas, "va", uva, length);
	if (!err && (flags & IOASID_MAP_FIXED_IOVA) && !ioas->pinned) {
		/*
		 * Nothing happens between placing and inserting, so the insert
		 * finds an overlap itself. Not when the IOAS pins: the pages
		 * are pinned before the insert, and an overlap must win over a
		 * pinning error, as in the kernel.
		 */
		where = *inout_iova;
		err = check_fixed(ctx, ioas, where, length, true);
	} else if (!err) {
		err = iopt_area_place(ctx, ioas, flags, uva, length, *inout_iova, &where);
	}
	if (!err)
		err = iopt_area_add(ctx, ioas, where, uva, length, flags, 0);
	if (!err)
		*inout_iova = where;
	return err;
}

/*
 * Unmap the areas in [@iova, @last], which must all lie wholly inside it.
 * Every area is checked first, so that a refused unmap removes nothing
 * (the kernel removes earlier areas before it sees one straddling the end).
 */
static int unmap_range(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, uint64_t iova,
		       uint64_t last, uint64_t *ret_bytes)
{
	struct iova_area *a;
	uint64_t n;
	int err = 0;

	a = iova_tree_first_in(ioas->areas, iova, last);
	if (!a)
		return ioasid_err(ctx, -ENOENT, "no mapping in [0x%llx, 0x%llx] of IOAS %u",
				  X(iova), X(last), ioas->obj.id);
	for (n = 0; a && a->iova <= last; n++) {
		if (a->iova < iova || a->last > last)
			return ioasid_err(ctx, -ENOENT,
					  "the mapping [0x%llx, 0x%llx] of IOAS %u straddles the %s of [0x%llx, 0x%llx]; only whole mappings can be unmapped",
					  X(a->iova), X(a->last), ioas->obj.id,
					  a->iova < iova ? "start" : "end", X(iova), X(last));
		/* an area ending at the range's end is the last one in it */
		a = a->last == last ? NULL : iova_tree_next(ioas->areas, a);
	}
	*ret_bytes = 0;
	while (n-- && !err) {
		a = iova_tree_first_in(ioas->areas, iova, last);
		/* the next area cannot start below this one's end */
		iova = a->last + 1;
		err = area_drop(ctx, ioas, a->iova, ret_bytes);
	}
	return err;
}

int iopt_unmap(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, uint64_t iova,
	       uint64_t length, uint64_t *ret_bytes)
{
	struct iova_area rm;
	uint64_t last;

	if (iova == 0 && length == UINT64_MAX)
		return iopt_unmap_all(ctx, ioas, ret_bytes);
	if (iova == UINT64_MAX || length == UINT64_MAX)
		return ioasid_err(ctx, -EOVERFLOW, "iova 0x%llx / length 0x%llx too large",
				  X(iova), X(length));
	if (!length)
		return ioasid_err(ctx, -EINVAL, "length is 0");
	if (__builtin_add_overflow(iova, length - 1, &last))
		return ioasid_err(ctx, -EOVERFLOW,
				  "iova 0x%llx + length 0x%llx wraps past the end of the address space",
				  X(iova), X(length));
	/*
	 * The common case, exactly one whole area: one tree descent. No other
	 * area can meet the range then, since areas never overlap.
	 */
	if (!iova_tree_remove_exact(ioas->areas, iova, last, &rm)) {
		*ret_bytes = 0;
		return area_drop_removed(ctx, ioas, &rm, ret_bytes);
	}
	return unmap_range(ctx, ioas, iova, last, ret_bytes);
}

/* ---- copy ---- */

/* One piece of a copy: a source area clipped to the copied range. */
struct copy_piece {
	uint64_t uva;
	uint64_t length;
	uint64_t src_area; /* IOVA where the source area starts */
};

/*
 * The source areas covering [@src_iova, @src_last], clipped to it: the
 * range must be covered without a hole, by areas that allow what @flags
 * ask. Return: 0, the pieces in *@ret (the caller frees them, also on
 * failure), how many, and how many areas still need a shared-pages record.
 */
static int copy_gather(struct ioasid_ctx *ctx, struct ioasid_ioas *src, uint64_t src_iova,
		       uint64_t src_last, uint32_t flags, struct copy_piece **ret,
		       uint32_t *ret_n, uint32_t *ret_need_new)
{
	uint32_t n = 0, cap = 0;
	uint64_t pos = src_iova;
	struct copy_piece *np;
	struct iova_area *a;

	for (a = iova_tree_find(src->areas, src_iova); pos <= src_last;
	     a = iova_tree_next(src->areas, a)) {
		uint64_t plast;

		if (!a || a->iova > pos || a->last < pos)
			return ioasid_err(ctx, -ENOENT, "source IOVA 0x%llx of IOAS %u is not mapped",
					  X(pos), src->obj.id);
		if ((flags & AREA_PERM_MASK) & ~(a->cookie & AREA_PERM_MASK))
			return ioasid_err(ctx, -EPERM,
					  "copy asks for %s%s but the source mapping [0x%llx, 0x%llx] allows only %s%s",
					  flags & IOASID_MAP_READ ? "r" : "", flags & IOASID_MAP_WRITE ? "w" : "",
					  X(a->iova), X(a->last),
					  a->cookie & IOASID_MAP_READ ? "r" : "",
					  a->cookie & IOASID_MAP_WRITE ? "w" : "");
		np = ioasid_array_room(*ret, &cap, n + 1, sizeof(*np));
		if (!np)
			return ioasid_err(ctx, -ENOMEM, "out of memory for a copy");
		*ret = np;
		plast = IOASID_MIN(a->last, src_last);
		(*ret)[n].uva = a->uva + (pos - a->iova);
		(*ret)[n].length = plast - pos + 1;
		(*ret)[n].src_area = a->iova;
		if (!(a->cookie & AREA_SHARED))
			(*ret_need_new)++;
		*ret_n = ++n;
		if (plast == src_last)
			break;
		pos = plast + 1;
	}
	return 0;
}

/* Every piece must suit @dst's alignment, as a map of it would. */
static int copy_check_aligned(struct ioasid_ctx *ctx, const struct ioasid_ioas *dst,
			      const struct copy_piece *pieces, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if ((pieces[i].length & (dst->alignment - 1)) ||
		    ((pieces[i].uva % ioasid_page_size()) & (dst->alignment - 1)))
			return ioasid_err(ctx, -EINVAL,
					  "source piece at va 0x%llx length 0x%llx is not aligned to the IOAS %u alignment 0x%llx",
					  X(pieces[i].uva), X(pieces[i].length), dst->obj.id,
					  X(dst->alignment));
	return 0;
}

/*
 * The shared-pages record of source area @s of @src (made now if it has
 * none: it takes over the area's pin), one more claim taken.
 */
static uint32_t copy_share(struct ioasid_ctx *ctx, const struct ioasid_ioas *src,
			   struct iova_area *s)
{
	uint32_t idx;

	if (!(s->cookie & AREA_SHARED)) {
		idx = iopt_pages_new(ctx, s, src->pinned);
		s->cookie |= AREA_SHARED | ((uint64_t)idx << AREA_PAGES_SHIFT);
	} else {
		idx = (uint32_t)(s->cookie >> AREA_PAGES_SHIFT);
	}
	ctx->pages[idx - 1].refs++;
	return idx;
}

/*
 * Insert the pieces from @where on, sharing their source's pages (records
 * reserved already); on failure remove those already added. Inserts may
 * move areas inside the tree (src may equal dst), so each source area is
 * found again by its IOVA.
 */
static int copy_insert(struct ioasid_ctx *ctx, struct ioasid_ioas *dst, struct ioasid_ioas *src,
		       const struct copy_piece *pieces, uint32_t n, uint64_t where, uint32_t flags)
{
	uint64_t done_bytes = 0;
	uint32_t i, idx;
	int err;

	for (i = 0; i < n; i++) {
		idx = copy_share(ctx, src, iova_tree_find(src->areas, pieces[i].src_area));
		err = iopt_area_add(ctx, dst, where + done_bytes, pieces[i].uva, pieces[i].length,
				    flags, idx);
		if (err) {
			ctx->pages[idx - 1].refs--;
			/* a refused unmap keeps its piece: the kernel has it too */
			while (i-- > 0) {
				uint64_t bytes = 0;

				done_bytes -= pieces[i].length;
				area_drop(ctx, dst, where + done_bytes, &bytes);
			}
			return err;
		}
		done_bytes += pieces[i].length;
	}
	return 0;
}

int iopt_copy(struct ioasid_ctx *ctx, struct ioasid_ioas *dst, struct ioasid_ioas *src,
	      uint64_t src_iova, uint64_t length, uint32_t flags, uint64_t *inout_dst_iova)
{
	struct copy_piece *pieces = NULL;
	uint32_t n = 0, need_new = 0;
	uint64_t src_last, where;
	int err;

	if (__builtin_add_overflow(src_iova, length - 1, &src_last))
		return ioasid_err(ctx, -EOVERFLOW, "src_iova 0x%llx + length 0x%llx wraps",
				  X(src_iova), X(length));
	err = copy_gather(ctx, src, src_iova, src_last, flags, &pieces, &n, &need_new);
	if (!err)
		err = copy_check_aligned(ctx, dst, pieces, n);
	if (!err)
		err = iopt_area_place(ctx, dst, flags, pieces[0].uva, length, *inout_dst_iova,
				      &where);
	if (!err)
		err = iopt_pages_reserve(ctx, need_new);
	if (!err)
		err = copy_insert(ctx, dst, src, pieces, n, where, flags);
	if (!err)
		*inout_dst_iova = where;
	ioasid_free(pieces);
	return err;
}
