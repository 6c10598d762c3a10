/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fake kernel's vIOMMU objects (kernel-uapi.md §1.8), as 7.2.13's
 * drivers/iommu/iommufd/viommu.c, eventq.c and hw_pagetable.c check them,
 * with the test driver's (selftest.c) answers for the driver's part: only
 * the SELFTEST types exist. Simplified: every fake device is behind the
 * same IOMMU; an event is reported for a device with a vDEVICE (the test
 * driver also wants it attached to a nested HWPT of that vIOMMU); a HW
 * queue's memory is "contiguous" whenever it is mapped.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "fk.h"

#define VEVENTQ_MAX_DEPTH (1u << 19)
#define MOCK_DEV_CACHE_ID_MAX 3 /* the test driver's four cache entries */

int fk_viommu_alloc(struct fk *k, struct ku_iommu_viommu_alloc *a)
{
	struct fk_obj *parent;
	uint32_t id;

	if (a->flags || !a->type)
		return -EOPNOTSUPP;
	if (!fk_get(k, a->dev_id, FK_DEVICE))
		return -ENOENT;
	if (a->type != KU_IOMMU_VIOMMU_TYPE_SELFTEST)
		return -EOPNOTSUPP;
	parent = fk_get(k, a->hwpt_id, FK_HWPT_PAGING);
	if (!parent)
		return -ENOENT;
	if (!parent->nest_parent)
		return -EINVAL;
	if (a->data_len) {
		struct ku_iommu_viommu_selftest d = { 0 };

		/* iommu_copy_struct_from_user(): at least up to out_data */
		if (a->data_len < offsetof(struct ku_iommu_viommu_selftest, out_data) + 4)
			return -EINVAL;
		if (!a->data_uptr)
			return -EFAULT;
		memcpy(&d, (void *)(uintptr_t)a->data_uptr,
		       a->data_len < sizeof(d) ? a->data_len : sizeof(d));
		d.out_data = d.in_data;
		d.out_mmap_length = 2 * 4096;
		memcpy((void *)(uintptr_t)a->data_uptr, &d,
		       a->data_len < sizeof(d) ? a->data_len : sizeof(d));
	}
	id = fk_new(k, FK_VIOMMU);
	if (!id)
		return -ENOMEM;
	k->obj[id].parent = a->hwpt_id;
	k->obj[id].dev = a->dev_id;
	k->obj[id].type = a->type;
	parent->users++;
	a->out_viommu_id = id;
	return 0;
}

static struct fk_obj *vdev_of(struct fk *k, uint32_t viommu, uint64_t virt_id, uint32_t dev)
{
	uint32_t i;

	for (i = 1; i < FK_MAX_OBJ; i++) {
		struct fk_obj *o = &k->obj[i];

		if (o->kind != FK_VDEVICE)
			continue;
		if (dev ? o->dev == dev : (o->viommu == viommu && o->virt_id == virt_id))
			return o;
	}
	return NULL;
}

int fk_vdevice_alloc(struct fk *k, struct ku_iommu_vdevice_alloc *a)
{
	struct fk_obj *v;
	uint32_t id;

	if (a->virt_id > ULONG_MAX)
		return -EINVAL;
	v = fk_get(k, a->viommu_id, FK_VIOMMU);
	if (!v)
		return -ENOENT;
	if (!fk_get(k, a->dev_id, FK_DEVICE))
		return -ENOENT;
	if (vdev_of(k, 0, 0, a->dev_id) || vdev_of(k, a->viommu_id, a->virt_id, 0))
		return -EEXIST;
	id = fk_new(k, FK_VDEVICE);
	if (!id)
		return -ENOMEM;
	k->obj[id].viommu = a->viommu_id;
	k->obj[id].dev = a->dev_id;
	k->obj[id].virt_id = a->virt_id;
	v->users++;
	a->out_vdevice_id = id;
	return 0;
}

static struct fk_obj *veventq_of(struct fk *k, uint32_t viommu, uint32_t type)
{
	uint32_t i;

	for (i = 1; i < FK_MAX_OBJ; i++)
		if (k->obj[i].kind == FK_VEVENTQ && k->obj[i].viommu == viommu &&
		    k->obj[i].type == type)
			return &k->obj[i];
	return NULL;
}

int fk_veventq_alloc(struct fk *k, struct ku_iommu_veventq_alloc *a)
{
	struct fk_obj *v;
	uint32_t id;
	int err;

	if (a->flags || a->__reserved || !a->type)
		return -EOPNOTSUPP;
	if (!a->veventq_depth || a->veventq_depth > VEVENTQ_MAX_DEPTH)
		return -EINVAL;
	v = fk_get(k, a->viommu_id, FK_VIOMMU);
	if (!v)
		return -ENOENT;
	if (veventq_of(k, a->viommu_id, a->type))
		return -EEXIST;
	id = fk_new_with_fd(k, FK_VEVENTQ, &err);
	if (!id)
		return err;
	k->obj[id].viommu = a->viommu_id;
	k->obj[id].type = a->type;
	k->obj[id].depth = a->veventq_depth;
	v->users++;
	a->out_veventq_id = id;
	a->out_veventq_fd = (uint32_t)k->obj[id].qfd;
	return 0;
}

/* Is [iova, iova + length) mapped in IOAS @ioas, area after area? */
static bool mapped(struct fk *k, uint32_t ioas, uint64_t iova, uint64_t length)
{
	const struct fk_obj *o = &k->obj[ioas];
	uint64_t at = iova, last = iova + length - 1;
	bool progress = true;

	while (progress) {
		uint32_t i;

		progress = false;
		for (i = 0; i < o->nr_areas; i++) {
			const struct fk_area *ar = &o->areas[i];

			if (at >= ar->iova && at - ar->iova < ar->length) {
				if (last - ar->iova < ar->length)
					return true;
				at = ar->iova + ar->length;
				progress = true;
			}
		}
	}
	return false;
}

/* The test driver's queues: index 0..1, each after the one before it. */
static int hw_queue_driver(struct fk *k, const struct ku_iommu_hw_queue_alloc *a, uint32_t *ret_prev)
{
	uint32_t i;

	*ret_prev = 0;
	if (a->index >= KU_IOMMU_TEST_HW_QUEUE_MAX)
		return -EINVAL;
	for (i = 1; i < FK_MAX_OBJ; i++) {
		const struct fk_obj *o = &k->obj[i];

		if (o->kind != FK_HW_QUEUE || o->viommu != a->viommu_id)
			continue;
		if (o->index == a->index)
			return -EEXIST;
		if (a->index && o->index == a->index - 1)
			*ret_prev = i;
	}
	return a->index && !*ret_prev ? -EIO : 0;
}

int fk_hw_queue_alloc(struct fk *k, struct ku_iommu_hw_queue_alloc *a)
{
	uint32_t id, prev;
	struct fk_obj *v;
	int err;

	if (a->flags || !a->type)
		return -EOPNOTSUPP;
	if (!a->length)
		return -EINVAL;
	if (a->nesting_parent_iova + (a->length - 1) < a->nesting_parent_iova)
		return -EOVERFLOW;
	v = fk_get(k, a->viommu_id, FK_VIOMMU);
	if (!v)
		return -ENOENT;
	if (a->type != KU_IOMMU_HW_QUEUE_TYPE_SELFTEST)
		return -EOPNOTSUPP;
	/* the kernel pins the memory through the parent's IOAS first */
	if (!mapped(k, k->obj[v->parent].ioas, a->nesting_parent_iova & ~4095ull,
		    a->length + (a->nesting_parent_iova & 4095)))
		return -ENOENT;
	err = hw_queue_driver(k, a, &prev);
	if (err)
		return err;
	id = fk_new(k, FK_HW_QUEUE);
	if (!id)
		return -ENOMEM;
	k->obj[id].viommu = a->viommu_id;
	k->obj[id].type = a->type;
	k->obj[id].index = a->index;
	k->obj[id].prev = prev;
	k->obj[id].iova = a->nesting_parent_iova;
	k->obj[id].length = a->length;
	if (prev)
		k->obj[prev].users++;
	v->users++;
	a->out_hw_queue_id = id;
	return 0;
}

int fk_hwpt_alloc_on_viommu(struct fk *k, struct ku_iommu_hwpt_alloc *a)
{
	struct fk_obj *v = &k->obj[a->pt_id];
	uint32_t id;

	if (a->flags & ~(KU_IOMMU_HWPT_FAULT_ID_VALID | KU_IOMMU_HWPT_ALLOC_PASID))
		return -EOPNOTSUPP;
	if (!a->data_len)
		return -EOPNOTSUPP;
	/* the test driver's data, of its type, at least its first word */
	if (a->data_type != KU_IOMMU_HWPT_DATA_SELFTEST)
		return -EOPNOTSUPP;
	if (a->data_len < 4)
		return -EINVAL;
	if ((a->flags & KU_IOMMU_HWPT_FAULT_ID_VALID) && !fk_get(k, a->fault_id, FK_FAULT))
		return -ENOENT;
	id = fk_new(k, FK_HWPT_NESTED);
	if (!id)
		return -ENOMEM;
	k->obj[id].viommu = a->pt_id;
	k->obj[id].parent = v->parent;
	k->obj[id].pasid_compat = a->flags & KU_IOMMU_HWPT_ALLOC_PASID;
	v->users++;
	if (a->flags & KU_IOMMU_HWPT_FAULT_ID_VALID) {
		k->obj[id].fault = a->fault_id;
		k->obj[a->fault_id].users++;
	}
	a->out_hwpt_id = id;
	return 0;
}

/*
 * The test driver's cache_invalidate, entry by entry. The array is copied
 * as iommu_copy_struct_from_full_user_array() does: a shorter entry is
 * zero-extended, a longer one must have a zero tail (E2BIG).
 */
int fk_viommu_invalidate(struct fk *k, struct ku_iommu_hwpt_invalidate *inv)
{
	struct ku_iommu_viommu_invalidate_selftest e;
	uint32_t i, j, n = inv->entry_num;

	inv->entry_num = 0;
	if (!n && inv->data_type == KU_IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST)
		return 0;
	if (inv->data_type != KU_IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		const uint8_t *p = (const uint8_t *)(uintptr_t)inv->data_uptr +
				   (size_t)i * inv->entry_len;

		for (j = sizeof(e); j < inv->entry_len; j++)
			if (p[j])
				return -E2BIG;
	}
	for (i = 0; i < n; i++, inv->entry_num++) {
		memset(&e, 0, sizeof(e));
		memcpy(&e, (const uint8_t *)(uintptr_t)inv->data_uptr + (size_t)i * inv->entry_len,
		       inv->entry_len < sizeof(e) ? inv->entry_len : sizeof(e));
		if (e.flags & ~KU_IOMMU_TEST_INVALIDATE_FLAG_ALL)
			return -EOPNOTSUPP;
		if (e.cache_id > MOCK_DEV_CACHE_ID_MAX)
			return -EINVAL;
		if (!vdev_of(k, inv->hwpt_id, e.vdev_id, 0))
			return -EINVAL;
	}
	return 0;
}

int fk_viommu_destroy(struct fk *k, uint32_t id)
{
	struct fk_obj *o = &k->obj[id];

	switch (o->kind) {
	case FK_VIOMMU:
		if (o->users)
			return -EBUSY;
		k->obj[o->parent].users--;
		break;
	case FK_VDEVICE:
		k->obj[o->viommu].users--;
		break;
	case FK_VEVENTQ:
		if (fk_fault_fd_open(o))
			return -EBUSY;
		k->obj[o->viommu].users--;
		break;
	case FK_HW_QUEUE:
		if (o->users)
			return -EBUSY;
		if (o->prev)
			k->obj[o->prev].users--;
		k->obj[o->viommu].users--;
		break;
	default:
		return 1;
	}
	fk_free(k, id);
	return 0;
}

void fk_vdevice_tombstone(struct fk *k, uint32_t dev_id)
{
	struct fk_obj *vd = vdev_of(k, 0, 0, dev_id);

	if (vd) {
		k->obj[vd->viommu].users--;
		fk_free(k, (uint32_t)(vd - k->obj));
	}
}

int fk_vevent_trigger(struct fk *k, uint32_t dev_id)
{
	struct fk_obj *vd = vdev_of(k, 0, 0, dev_id);
	struct fk_obj *q;
	struct fk_vevent *e;

	if (!vd)
		return -ENOENT;
	q = veventq_of(k, vd->viommu, KU_IOMMU_VEVENTQ_TYPE_SELFTEST);
	if (!q)
		return -EOPNOTSUPP;
	/* iommufd_vevent_handler(): a trailing LOST_EVENTS mark makes way */
	if (q->nr_ev && q->ev[q->nr_ev - 1].lost)
		q->nr_ev--;
	if (q->nr_ev == FK_MAX_EV)
		return -ENOMEM;
	e = &q->ev[q->nr_ev++];
	e->lost = q->nr_events == q->depth;
	e->virt_id = (uint32_t)vd->virt_id;
	e->seq = q->seq;
	q->seq = (q->seq + 1) & INT_MAX;
	if (!e->lost)
		q->nr_events++;
	return 0;
}

ssize_t fk_veventq_read(struct fk *k, int fd, void *buf, size_t len)
{
	const size_t hdr = sizeof(struct ku_iommufd_vevent_header);
	const size_t rec = sizeof(struct ku_iommu_viommu_event_selftest);
	struct fk_obj *q = NULL;
	size_t done = 0;
	uint32_t i;

	for (i = 1; i < FK_MAX_OBJ && !q; i++)
		if (k->obj[i].kind == FK_VEVENTQ && k->obj[i].qfd == fd &&
		    fk_fault_fd_open(&k->obj[i]))
			q = &k->obj[i];
	if (!q)
		return -EBADF;
	if (len < hdr)
		return -EINVAL;
	while (q->nr_ev) {
		const struct fk_vevent *e = &q->ev[0];
		struct ku_iommufd_vevent_header h = {
			.flags = e->lost ? KU_IOMMU_VEVENTQ_FLAG_LOST_EVENTS : 0,
			.sequence = e->seq,
		};
		size_t need = hdr + (e->lost ? 0 : rec);

		if (len - done < need) {
			if (!done && !e->lost)
				return -EINVAL;
			break;
		}
		memcpy((uint8_t *)buf + done, &h, hdr);
		if (!e->lost) {
			memcpy((uint8_t *)buf + done + hdr, &e->virt_id, rec);
			q->nr_events--;
		}
		done += need;
		memmove(&q->ev[0], &q->ev[1], (q->nr_ev - 1) * sizeof(q->ev[0]));
		q->nr_ev--;
	}
	return (ssize_t)done;
}
