/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fake kernel's IOASes (kernel-uapi.md §1.4): areas made by MAP and
 * COPY, removed whole by UNMAP (not atomically), and the usable ranges
 * the attached devices and domains leave.
 */
#include <fcntl.h>
#include <errno.h>
#include <string.h>

#include "fk.h"

#define U64_MAX UINT64_MAX

int fk_ioas_alloc(struct fk *k, struct ku_iommu_ioas_alloc *a)
{
	uint32_t id;

	if (a->flags)
		return -EOPNOTSUPP;
	id = fk_new(k, FK_IOAS);
	if (!id)
		return -ENOMEM;
	a->out_ioas_id = id;
	return 0;
}

bool fk_ioas_held(struct fk *k, uint32_t ioas)
{
	uint32_t i;

	for (i = 1; i < FK_MAX_OBJ; i++)
		if (k->obj[i].kind == FK_HWPT_PAGING && k->obj[i].ioas == ioas)
			return true;
	return false;
}

/* A domain's 4 KiB pages, or huge pages off, set the alignment; else bytes. */
uint64_t fk_ioas_align(struct fk *k, uint32_t ioas)
{
	return k->obj[ioas].no_huge || fk_ioas_held(k, ioas) ? 4096 : 1;
}

/* Is device object @dev attached (any PASID) to a paging HWPT on @ioas? */
static bool dev_on_ioas(struct fk *k, const struct fk_obj *dev, uint32_t ioas)
{
	uint32_t i;

	for (i = 0; i < dev->nr_att; i++) {
		const struct fk_obj *h = &k->obj[dev->att[i].hwpt];

		if (h->kind == FK_HWPT_NESTED)
			h = &k->obj[h->parent];
		if (h->kind == FK_HWPT_PAGING && h->ioas == ioas)
			return true;
	}
	return false;
}

bool fk_ioas_reserved(struct fk *k, uint32_t ioas, uint64_t start, uint64_t last)
{
	uint32_t i;

	/* each domain's aperture reserves what lies beyond it */
	if (fk_ioas_held(k, ioas) && last > FK_APERTURE_LAST)
		return true;
	for (i = 1; i < FK_MAX_OBJ; i++)
		if (k->obj[i].kind == FK_DEVICE && dev_on_ioas(k, &k->obj[i], ioas) &&
		    start <= FK_MSI_LAST && last >= FK_MSI_START)
			return true;
	return false;
}

static bool meets_area(const struct fk_obj *o, uint64_t start, uint64_t last)
{
	uint32_t i;

	for (i = 0; i < o->nr_areas; i++)
		if (start <= o->areas[i].iova + o->areas[i].length - 1 && last >= o->areas[i].iova)
			return true;
	return false;
}

/* Insert keeping the areas sorted by IOVA. */
static int add_area(struct fk_obj *o, const struct fk_area *a)
{
	uint32_t i;

	if (o->nr_areas == FK_MAX_AREAS)
		return -ENOMEM;
	for (i = o->nr_areas; i && o->areas[i - 1].iova > a->iova; i--)
		o->areas[i] = o->areas[i - 1];
	o->areas[i] = *a;
	o->nr_areas++;
	return 0;
}

/* The checks of a FIXED_IOVA destination, in the kernel's order. */
static int check_dest(struct fk *k, uint32_t ioas, uint32_t flags, uint64_t iova, uint64_t length)
{
	struct fk_obj *o = &k->obj[ioas];
	uint64_t align = fk_ioas_align(k, ioas);

	if (!(flags & KU_IOMMU_IOAS_MAP_FIXED_IOVA))
		return -EOPNOTSUPP; /* the library always chooses the IOVA */
	if (length % align || iova % align)
		return -EINVAL;
	if (iova + length - 1 < iova)
		return -EOVERFLOW;
	if (fk_ioas_reserved(k, ioas, iova, iova + length - 1))
		return -EINVAL;
	if (meets_area(o, iova, iova + length - 1))
		return -EEXIST;
	return 0;
}

/* MAP's and MAP_FILE's first checks, in the kernel's order. */
static int map_args(struct fk *k, uint32_t flags, uint32_t ioas, uint64_t iova, uint64_t length)
{
	const uint32_t known = KU_IOMMU_IOAS_MAP_FIXED_IOVA | KU_IOMMU_IOAS_MAP_WRITEABLE |
			       KU_IOMMU_IOAS_MAP_READABLE;

	if (flags & ~known)
		return -EOPNOTSUPP;
	if (iova >= U64_MAX || length >= U64_MAX)
		return -EOVERFLOW;
	if (!(flags & (KU_IOMMU_IOAS_MAP_WRITEABLE | KU_IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;
	if (!fk_get(k, ioas, FK_IOAS))
		return -ENOENT;
	return 0;
}

int fk_ioas_map(struct fk *k, struct ku_iommu_ioas_map *m)
{
	struct fk_area a = { .iova = m->iova,
			     .length = m->length,
			     .uva = m->user_va,
			     .flags = m->flags };
	int err;

	if (m->__reserved)
		return -EOPNOTSUPP;
	err = map_args(k, m->flags, m->ioas_id, m->iova, m->length);
	if (err)
		return err;
	if (m->user_va + m->length < m->user_va)
		return -EOVERFLOW;
	if (!m->length)
		return -EINVAL;
	err = check_dest(k, m->ioas_id, m->flags, m->iova, m->length);
	return err ? err : add_area(&k->obj[m->ioas_id], &a);
}

/* MAP_FILE (kernel-uapi.md §9): any open fd; the file's pages are not modelled. */
int fk_ioas_map_file(struct fk *k, struct ku_iommu_ioas_map_file *m)
{
	struct fk_area a = { .iova = m->iova,
			     .length = m->length,
			     .uva = m->start,
			     .flags = m->flags,
			     .file = true,
			     .fd = m->fd };
	int err;

	err = map_args(k, m->flags, m->ioas_id, m->iova, m->length);
	if (err)
		return err;
	if (!m->length)
		return -EINVAL;
	if (m->start + m->length - 1 < m->start)
		return -EOVERFLOW;
	if (fcntl(m->fd, F_GETFD) < 0)
		return -EBADF;
	err = check_dest(k, m->ioas_id, m->flags, m->iova, m->length);
	return err ? err : add_area(&k->obj[m->ioas_id], &a);
}

/* COPY: the source range must be covered by areas without a gap. */
int fk_ioas_copy(struct fk *k, struct ku_iommu_ioas_copy *c)
{
	struct fk_obj *src = fk_get(k, c->src_ioas_id, FK_IOAS);
	struct fk_area a = { .iova = c->dst_iova, .length = c->length, .flags = c->flags };
	uint64_t at = c->src_iova, end = c->src_iova + c->length;
	uint32_t i;
	int err;

	if (!src || !fk_get(k, c->dst_ioas_id, FK_IOAS))
		return -ENOENT;
	if (!c->length)
		return -EINVAL;
	for (i = 0; i < src->nr_areas && at < end; i++) {
		const struct fk_area *s = &src->areas[i];

		if (s->iova <= at && at < s->iova + s->length) {
			if (at == c->src_iova)
				a.uva = s->uva + (at - s->iova);
			at = s->iova + s->length;
		}
	}
	if (at < end)
		return -ENOENT;
	err = check_dest(k, c->dst_ioas_id, c->flags, c->dst_iova, c->length);
	return err ? err : add_area(&k->obj[c->dst_ioas_id], &a);
}

/*
 * An area of IOAS @ioas that a HW queue's memory lies in: the kernel's
 * internal access pinned it and counts a lock on the area
 * (area->num_locks), which UNMAP answers with EBUSY.
 */
static bool area_locked(const struct fk *k, uint32_t ioas, const struct fk_area *a)
{
	uint32_t i;

	for (i = 1; i < FK_MAX_OBJ; i++) {
		const struct fk_obj *q = &k->obj[i];

		if (q->kind != FK_HW_QUEUE || k->obj[k->obj[q->viommu].parent].ioas != ioas)
			continue;
		if (q->iova <= a->iova + a->length - 1 && a->iova <= q->iova + q->length - 1)
			return true;
	}
	return false;
}

/*
 * UNMAP removes whole areas in ascending order: an area sticking out at
 * the start fails before anything goes, one sticking out at the end after
 * the earlier ones are gone (ENOENT either way); a locked area stops it
 * where it is (EBUSY, checked first: io_pagetable.c's order).
 */
int fk_ioas_unmap(struct fk *k, struct ku_iommu_ioas_unmap *u)
{
	struct fk_obj *o = fk_get(k, u->ioas_id, FK_IOAS);
	uint64_t last, done = 0;
	uint32_t i = 0;

	if (!o)
		return -ENOENT;
	if (u->iova == 0 && u->length == U64_MAX) {
		while (o->nr_areas) {
			if (area_locked(k, u->ioas_id, &o->areas[0]))
				return -EBUSY;
			done += o->areas[0].length;
			memmove(o->areas, o->areas + 1, (o->nr_areas - 1) * sizeof(o->areas[0]));
			o->nr_areas--;
		}
		u->length = done;
		return 0;
	}
	if (u->iova >= U64_MAX || u->length >= U64_MAX)
		return -EOVERFLOW;
	if (!u->length)
		return -EINVAL;
	last = u->iova + u->length - 1;
	if (last < u->iova)
		return -EOVERFLOW;
	while (i < o->nr_areas) {
		struct fk_area *a = &o->areas[i];

		if (a->iova + a->length - 1 < u->iova) {
			i++;
			continue;
		}
		if (a->iova > last)
			break;
		if (area_locked(k, u->ioas_id, a))
			return -EBUSY;
		if (a->iova < u->iova || a->iova + a->length - 1 > last)
			return -ENOENT;
		done += a->length;
		memmove(a, a + 1, (o->nr_areas - i - 1) * sizeof(*a));
		o->nr_areas--;
	}
	if (!done)
		return -ENOENT;
	u->length = done;
	return 0;
}

/* The holes between the reserved intervals, over [0, U64_MAX]. */
int fk_ioas_iova_ranges(struct fk *k, struct ku_iommu_ioas_iova_ranges *q)
{
	struct ku_iommu_iova_range r[3], *out = (void *)(uintptr_t)q->allowed_iovas;
	uint32_t n = 0, i;

	if (!fk_get(k, q->ioas_id, FK_IOAS))
		return -ENOENT;
	if (q->__reserved)
		return -EOPNOTSUPP;
	if (fk_ioas_reserved(k, q->ioas_id, FK_MSI_START, FK_MSI_LAST)) {
		r[n].start = 0;
		r[n++].last = FK_MSI_START - 1;
		r[n].start = FK_MSI_LAST + 1;
	} else {
		r[n].start = 0;
	}
	r[n++].last = fk_ioas_held(k, q->ioas_id) ? FK_APERTURE_LAST : U64_MAX;
	for (i = 0; i < n && i < q->num_iovas; i++)
		out[i] = r[i];
	q->out_iova_alignment = fk_ioas_align(k, q->ioas_id);
	if (q->num_iovas < n) {
		q->num_iovas = n;
		return -EMSGSIZE;
	}
	q->num_iovas = n;
	return 0;
}
