/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which IOVAs an IOAS may use: reserved regions (the caller's, devices',
 * and everything outside an attached domain's aperture), the allowed
 * ranges, the usable ranges they leave, and the alignment the attached
 * domains and the huge-pages option demand (kernel-uapi.md §4.1-§4.3).
 * The entry points are in ioas.c.
 *
 * Reserved regions live in a small array sorted by start, since there are
 * few and they may overlap each other.
 */
#include <stdio.h>
#include <string.h>

#include "ioas-private.h"
#include "backend/backend.h"

#define X(v) ((unsigned long long)(v))

/* ---- reserved regions and allowed ranges ---- */

const struct ioas_resv *resv_find(const struct ioasid_ioas *ioas,
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

const char *resv_kind_name(const struct ioas_resv *r)
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

	/*
	 * Nothing to add (a domain over the whole 64-bit space with no reserved
	 * region: virtio-iommu under QEMU) is no allocation, even while the
	 * array does not exist yet.
	 */
	if (!n)
		return 0;
	r = ioasid_array_room(ioas->resv, &ioas->cap_resv, ioas->nr_resv + n, sizeof(*r));
	if (!r)
		return ioasid_err(ctx, -ENOMEM, "out of memory for reserved regions");
	ioas->resv = r;
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

/*
 * The caller's reservations and allowed ranges (IOAS_IOVA_RANGES,
 * IOAS_ALLOW_IOVAS): each refused, with nothing changed, when it would
 * take away IOVA that is mapped, allowed or reserved already.
 */
int ioas_reserve(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, uint64_t start, uint64_t last)
{
	struct ioas_resv r = { .start = start, .last = last, .kind = RESV_USER };
	int err;

	if (last < start)
		return ioasid_err(ctx, -EINVAL, "reserved range [0x%llx, 0x%llx]: last is below start",
				  X(start), X(last));
	err = resv_check(ctx, ioas, start, last, "reserved range");
	if (!err)
		err = resv_grow(ctx, ioas, 1);
	if (!err)
		resv_insert(ioas, &r);
	return err;
}

int ioas_unreserve(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, uint64_t start,
		   uint64_t last)
{
	int err;
	uint32_t i;

	err = ioasid_err(ctx, -ENOENT, "IOAS %u has no caller reservation [0x%llx, 0x%llx]",
			 ioas->obj.id, X(start), X(last));
	for (i = 0; i < ioas->nr_resv; i++) {
		struct ioas_resv *r = &ioas->resv[i];

		if (r->kind == RESV_USER && r->start == start && r->last == last) {
			memmove(r, r + 1, (ioas->nr_resv - i - 1) * sizeof(*r));
			ioas->nr_resv--;
			err = 0;
			break;
		}
	}
	return err;
}

/* @ranges sorted into @sorted, each checked against the reserved regions. */
static int allowed_sort(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
			const struct ioasid_iova_range *ranges, uint32_t num,
			struct ioasid_iova_range *sorted)
{
	uint32_t i, j;

	for (i = 0; i < num; i++) {
		const struct ioasid_iova_range *r = &ranges[i];
		const struct ioas_resv *rv;

		if (r->start >= r->last)
			return ioasid_err(ctx, -EINVAL,
					  "allowed range %u [0x%llx, 0x%llx]: start must be below last",
					  i, X(r->start), X(r->last));
		rv = resv_find(ioas, r->start, r->last);
		if (rv)
			return ioasid_err(ctx, -EADDRINUSE,
					  "allowed range %u [0x%llx, 0x%llx] touches the %s [0x%llx, 0x%llx]",
					  i, X(r->start), X(r->last), resv_kind_name(rv),
					  X(rv->start), X(rv->last));
		/* insertion sort: lists are short */
		for (j = i; j > 0 && sorted[j - 1].start > r->start; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = *r;
	}
	for (i = 1; i < num; i++)
		if (sorted[i].start <= sorted[i - 1].last)
			return ioasid_err(ctx, -EINVAL,
					  "allowed ranges [0x%llx, 0x%llx] and [0x%llx, 0x%llx] overlap",
					  X(sorted[i - 1].start), X(sorted[i - 1].last),
					  X(sorted[i].start), X(sorted[i].last));
	return 0;
}

int ioas_set_allowed(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
		     const struct ioasid_iova_range *ranges, uint32_t num)
{
	struct ioasid_iova_range *sorted = NULL;
	int err;

	if (num) {
		sorted = ioasid_malloc(num * sizeof(*sorted));
		if (!sorted)
			return ioasid_err(ctx, -ENOMEM, "out of memory for %u allowed ranges", num);
	}
	err = allowed_sort(ctx, ioas, ranges, num, sorted);
	if (err) {
		ioasid_free(sorted);
		return err;
	}
	ioasid_free(ioas->allowed);
	ioas->allowed = sorted;
	ioas->nr_allowed = num;
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

int ioas_set_huge_pages(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, bool on)
{
	bool old = ioas->huge_pages;
	int err;

	/* the kernel's rule (iopt_disable_large_pages): not once domains map areas */
	if (!on && ioas->huge_pages && ioas->paging && ioas->mapped_bytes)
		return ioasid_err(ctx, -EINVAL,
				  "turning huge pages off on IOAS %u: its domains already map 0x%llx bytes",
				  ioas->obj.id, X(ioas->mapped_bytes));
	ioas->huge_pages = on;
	err = check_areas_aligned(ctx, ioas, calc_alignment(ioas), "turning huge pages off");
	if (!err && ctx->ops->ioas_set_option)
		err = ctx->ops->ioas_set_option(ctx, ioas, IOASID_IOAS_OPT_HUGE_PAGES, on);
	if (err)
		ioas->huge_pages = old;
	else
		ioas->alignment = calc_alignment(ioas);
	return err;
}

/* ---- attached domains (used by device attach) ---- */

/*
 * Can @d join @ioas? Its aperture and its device's regions may not cover
 * a mapping or an allowed range, its page size not misalign a mapping.
 * Return: 0 and *@ret_nres, the reserved regions it adds; or an error.
 */
static int domain_check(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
			const struct ioas_domain_desc *d, uint64_t min_pgsize, uint32_t *ret_nres)
{
	uint64_t pg = ioasid_page_size(), new_align;
	uint32_t i, nres = d->nr_resv;
	int err;

	if (min_pgsize > pg)
		return ioasid_err(ctx, -EINVAL,
				  "the domain's smallest page size 0x%llx (bitmap 0x%llx) is above the CPU page size 0x%llx",
				  X(min_pgsize), X(d->pgsize_bitmap), X(pg));
	if (d->aperture_last < d->aperture_start)
		return ioasid_err(ctx, -EINVAL, "aperture [0x%llx, 0x%llx] is empty",
				  X(d->aperture_start), X(d->aperture_last));
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
	*ret_nres = nres;
	return 0;
}

/* Record @d (room already made): its constraint and its reserved regions. */
static void domain_commit(struct ioasid_ioas *ioas, const struct ioas_domain_desc *d,
			  uint64_t min_pgsize)
{
	struct ioas_resv r = { .owner = d->owner, .kind = RESV_APERTURE };
	uint32_t i;

	ioas->domains[ioas->nr_domains].owner = d->owner;
	ioas->domains[ioas->nr_domains].min_pgsize = min_pgsize;
	ioas->domains[ioas->nr_domains].device = d->device;
	ioas->nr_domains++;
	if (d->aperture_start) {
		r.start = 0;
		r.last = d->aperture_start - 1;
		resv_insert(ioas, &r);
	}
	if (d->aperture_last != UINT64_MAX) {
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
}

int ioas_add_domain(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
		    const struct ioas_domain_desc *d)
{
	struct ioas_domain *nd;
	uint64_t min_pgsize;
	uint32_t nres = 0;
	int err;

	if (!d->pgsize_bitmap)
		return ioasid_err(ctx, -EINVAL, "page-size bitmap 0x0 of the domain is invalid");
	min_pgsize = 1ull << __builtin_ctzll(d->pgsize_bitmap);
	/* check everything before changing anything */
	err = domain_check(ctx, ioas, d, min_pgsize, &nres);
	if (!err)
		err = resv_grow(ctx, ioas, nres);
	if (err)
		return err;
	nd = ioasid_array_room(ioas->domains, &ioas->cap_domains, ioas->nr_domains + 1,
			       sizeof(*nd));
	if (!nd)
		return ioasid_err(ctx, -ENOMEM, "out of memory for an attachment");
	ioas->domains = nd;
	/* the first paging domain pins every area (iommufd's iopt_fill_domain()) */
	if (!d->device && !ioas->pinned) {
		err = iopt_pin_all(ctx, ioas);
		if (err)
			return err;
	}
	domain_commit(ioas, d, min_pgsize);
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
	uint32_t i, j = 0, paging = 0;

	for (i = 0; i < ioas->nr_domains; i++) {
		if (ioas->domains[i].owner == owner)
			continue;
		paging += !ioas->domains[i].device;
		ioas->domains[j++] = ioas->domains[i];
	}
	ioas->nr_domains = j;
	resv_remove_owner(ioas, owner);
	ioas->alignment = calc_alignment(ioas);
	/* the last paging domain took the pins with it */
	if (ioas->pinned && !paging)
		iopt_unpin_all(ctx, ioas);
}
