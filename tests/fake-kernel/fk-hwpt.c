/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fake kernel's HWPTs (kernel-uapi.md §1.4 IOMMU_HWPT_ALLOC and the
 * calls after it): paging ones on an IOAS, nested VT-d stage-1 ones on a
 * NEST_PARENT, dirty tracking, invalidation.
 */
#include <errno.h>
#include <string.h>

#include "fk.h"

static int alloc_paging(struct fk *k, struct ku_iommu_hwpt_alloc *a)
{
	const uint32_t known = KU_IOMMU_HWPT_ALLOC_NEST_PARENT |
			       KU_IOMMU_HWPT_ALLOC_DIRTY_TRACKING | KU_IOMMU_HWPT_FAULT_ID_VALID |
			       KU_IOMMU_HWPT_ALLOC_PASID;
	struct fk_obj *h;
	uint32_t id;

	if ((a->flags & ~known) || a->data_type != KU_IOMMU_HWPT_DATA_NONE)
		return -EOPNOTSUPP;
	if ((a->flags & KU_IOMMU_HWPT_FAULT_ID_VALID) &&
	    (a->flags & KU_IOMMU_HWPT_ALLOC_NEST_PARENT))
		return -EOPNOTSUPP;
	if ((a->flags & KU_IOMMU_HWPT_FAULT_ID_VALID) && !fk_get(k, a->fault_id, FK_FAULT))
		return -ENOENT;
	id = fk_new(k, FK_HWPT_PAGING);
	if (!id)
		return -ENOMEM;
	h = &k->obj[id];
	h->ioas = a->pt_id;
	h->nest_parent = a->flags & KU_IOMMU_HWPT_ALLOC_NEST_PARENT;
	h->dirty_cap = a->flags & KU_IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	h->pasid_compat = a->flags & KU_IOMMU_HWPT_ALLOC_PASID;
	if (a->flags & KU_IOMMU_HWPT_FAULT_ID_VALID) {
		h->fault = a->fault_id;
		k->obj[a->fault_id].users++;
	}
	a->out_hwpt_id = id;
	return 0;
}

static int alloc_nested(struct fk *k, struct ku_iommu_hwpt_alloc *a)
{
	struct fk_obj *parent = &k->obj[a->pt_id];
	uint32_t id;

	if (!parent->nest_parent || a->data_type != KU_IOMMU_HWPT_DATA_VTD_S1)
		return -EINVAL;
	if (a->flags & ~(KU_IOMMU_HWPT_FAULT_ID_VALID | KU_IOMMU_HWPT_ALLOC_PASID))
		return -EOPNOTSUPP;
	if ((a->flags & KU_IOMMU_HWPT_FAULT_ID_VALID) && !fk_get(k, a->fault_id, FK_FAULT))
		return -ENOENT;
	id = fk_new(k, FK_HWPT_NESTED);
	if (!id)
		return -ENOMEM;
	k->obj[id].parent = a->pt_id;
	k->obj[id].pasid_compat = a->flags & KU_IOMMU_HWPT_ALLOC_PASID;
	parent->users++;
	if (a->flags & KU_IOMMU_HWPT_FAULT_ID_VALID) {
		k->obj[id].fault = a->fault_id;
		k->obj[a->fault_id].users++;
	}
	a->out_hwpt_id = id;
	return 0;
}

int fk_hwpt_alloc(struct fk *k, struct ku_iommu_hwpt_alloc *a)
{
	if (a->__reserved || a->__reserved2)
		return -EOPNOTSUPP;
	if (!fk_get(k, a->dev_id, FK_DEVICE))
		return -ENOENT;
	if (fk_get(k, a->pt_id, FK_IOAS))
		return alloc_paging(k, a);
	if (fk_get(k, a->pt_id, FK_HWPT_PAGING))
		return alloc_nested(k, a);
	if (fk_get(k, a->pt_id, FK_VIOMMU))
		return fk_hwpt_alloc_on_viommu(k, a);
	return -ENOENT;
}

int fk_hwpt_set_dirty(struct fk *k, struct ku_iommu_hwpt_set_dirty_tracking *d)
{
	struct fk_obj *h = fk_get(k, d->hwpt_id, FK_HWPT_PAGING);

	if (d->flags & ~KU_IOMMU_HWPT_DIRTY_TRACKING_ENABLE)
		return -EOPNOTSUPP;
	if (!h)
		return -ENOENT;
	if (!h->dirty_cap)
		return -EOPNOTSUPP;
	h->dirty_on = d->flags & KU_IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
	return 0;
}

/* No fake device writes memory: every read finds nothing dirty. */
int fk_hwpt_get_dirty(struct fk *k, struct ku_iommu_hwpt_get_dirty_bitmap *d)
{
	struct fk_obj *h = fk_get(k, d->hwpt_id, FK_HWPT_PAGING);

	if ((d->flags & ~KU_IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) || d->__reserved)
		return -EOPNOTSUPP;
	if (!h)
		return -ENOENT;
	if (!h->dirty_cap)
		return -EOPNOTSUPP;
	if (!d->page_size || d->iova % d->page_size || d->length % d->page_size)
		return -EINVAL;
	return 0;
}

int fk_hwpt_invalidate(struct fk *k, struct ku_iommu_hwpt_invalidate *inv)
{
	if (inv->__reserved)
		return -EOPNOTSUPP;
	if (fk_get(k, inv->hwpt_id, FK_VIOMMU))
		return fk_viommu_invalidate(k, inv);
	if (!fk_get(k, inv->hwpt_id, FK_HWPT_NESTED)) {
		inv->entry_num = 0;
		return fk_get(k, inv->hwpt_id, FK_HWPT_PAGING) ? -EINVAL : -ENOENT;
	}
	if (inv->entry_num && (!inv->data_uptr || !inv->entry_len)) {
		inv->entry_num = 0;
		return -EINVAL;
	}
	return 0;
}
