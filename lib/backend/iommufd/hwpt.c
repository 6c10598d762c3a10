/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iommufd HWPTs: IOMMU_HWPT_ALLOC for explicit, nested and fault-reporting
 * domains (an automatic domain is the kernel's own, made when a device
 * attaches to the IOAS), invalidation of nested stage-1 caches, and dirty
 * tracking.
 */
#include <string.h>

#include "iommufd-private.h"
#include "core/viommu-private.h"

int iommufd_hwpt_alloc(struct ioasid_ctx *ctx, struct ioasid_hwpt *h, struct ioasid_dev *dev)
{
	struct ku_iommu_hwpt_alloc a = { .size = sizeof(a) };
	struct ku_iommu_hwpt_vtd_s1 s1;
	struct ifd_dev *d = dev->be;
	struct ifd_hwpt *kh;
	int err;

	kh = ioasid_calloc(1, sizeof(*kh));
	if (!kh)
		return ioasid_err(ctx, -ENOMEM, "out of memory for an HWPT");
	/*
	 * An automatic domain: the kernel makes its own when the device
	 * attaches to the IOAS. Except where the library's automatic domain
	 * reports faults (an attach with a fault queue): the kernel's never
	 * do, so that one is a real IOMMU_HWPT_ALLOC with FAULT_ID_VALID (and,
	 * like the kernel's, without ALLOC_PASID).
	 */
	if (h->autodom && !(h->flags & IOASID_HWPT_FAULT_ID_VALID)) {
		kh->autodom = true;
		h->be = kh;
		return 0;
	}
	a.flags = h->flags & (KU_IOMMU_HWPT_ALLOC_NEST_PARENT | KU_IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
			      KU_IOMMU_HWPT_FAULT_ID_VALID | KU_IOMMU_HWPT_ALLOC_PASID);
	if (h->flags & IOASID_HWPT_FAULT_ID_VALID) {
		/* the core checked the queue: it exists and is a kernel queue */
		struct ioasid_fault_queue *q = h->fault_q;

		a.fault_id = q && q->be ? ((struct ifd_fault *)q->be)->id : 0;
	}
	a.dev_id = d->devid;
	if (h->viommu) {
		/* the driver's data, unchanged: the kernel and its driver judge it */
		a.pt_id = ((struct ifd_kobj *)h->viommu->be)->id;
		a.data_type = h->type;
		a.data_len = h->vdata_len;
		a.data_uptr = (uintptr_t)h->vdata;
	} else if (hwpt_is_paging(h)) {
		a.pt_id = ioas_kid(h->ioas);
		a.data_type = KU_IOMMU_HWPT_DATA_NONE;
	} else if (h->type == IOASID_HWPT_NESTED_VTD_S1) {
		memset(&s1, 0, sizeof(s1));
		s1.flags = h->s1.flags;
		s1.pgtbl_addr = h->s1.pgtbl_addr;
		s1.addr_width = h->s1.addr_width;
		a.pt_id = hwpt_kid(h->parent);
		a.data_type = KU_IOMMU_HWPT_DATA_VTD_S1;
		a.data_len = sizeof(s1);
		a.data_uptr = (uintptr_t)&s1;
	} else {
		ioasid_free(kh);
		return ioasid_err(ctx, -EOPNOTSUPP, "HWPT type %u on iommufd", h->type);
	}
	err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_HWPT_ALLOC, &a);
	if (err) {
		ioasid_free(kh);
		return ioasid_err(ctx, err,
				  "IOMMU_HWPT_ALLOC (flags 0x%x, data type %u, fault id %u) for %s over kernel object %u: the kernel says %s",
				  a.flags, a.data_type, a.fault_id, dev->name, a.pt_id,
				  strerror(-err));
	}
	kh->id = a.out_hwpt_id;
	h->be = kh;
	return 0;
}

int iommufd_hwpt_destroy(struct ioasid_ctx *ctx, struct ioasid_hwpt *h)
{
	struct ifd_hwpt *kh = h->be;
	int err = 0;

	/* an automatic domain went in the kernel with its last device */
	if (!kh->autodom)
		err = ifd_kdestroy(ctx, kh->id);
	if (err) {
		err = ioasid_err(ctx, err,
				 "IOMMU_DESTROY of kernel HWPT %u (HWPT %u): the kernel says %s",
				 kh->id, h->obj.id, strerror(-err));
		if (!ctx->closing)
			return err;
	}
	ioasid_free(kh);
	h->be = NULL;
	return err;
}

static int kinvalidate(struct ioasid_ctx *ctx, struct ioasid_hwpt *h, uint32_t data_type,
		       const void *entries, uint32_t entry_len, uint32_t *num)
{
	struct ku_iommu_hwpt_invalidate inv = {
		.size = sizeof(inv),
		.hwpt_id = hwpt_kid(h),
		.data_uptr = (uintptr_t)entries,
		.data_type = data_type,
		.entry_len = entry_len,
		.entry_num = *num,
	};
	int err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_HWPT_INVALIDATE, &inv);

	*num = inv.entry_num;
	return err;
}

int iommufd_hwpt_invalidate(struct ioasid_ctx *ctx, struct ioasid_hwpt *h,
			    const struct ioasid_inv_req *req, uint64_t *ret_dropped)
{
	struct ku_iommu_hwpt_vtd_s1_invalidate e;
	uint32_t n = 1;
	int err;

	*ret_dropped = 0;
	/*
	 * The kernel keeps paging domains coherent itself, and owns the PASID
	 * table entries of nested ones: nothing to send. It does not say how
	 * many entries it dropped, so the count stays 0.
	 */
	if (hwpt_is_paging(h) || req->kind == IOASID_INV_PASID_CACHE)
		return 0;
	if (h->type != IOASID_HWPT_NESTED_VTD_S1)
		return ioasid_err(ctx, -EOPNOTSUPP, "invalidating HWPT type %u on iommufd", h->type);
	/*
	 * VT-d stage-1: one entry per request. A device-TLB request becomes
	 * an IOTLB one (the kernel flushes the device TLB with it); a PASID
	 * request covers the whole nested HWPT (its PASID is the kernel's).
	 */
	memset(&e, 0, sizeof(e));
	if (req->granularity == IOASID_INV_RANGE) {
		uint32_t shift = req->log2_pgsize - 12;

		e.addr = req->addr;
		e.npages = req->npages > (UINT64_MAX >> shift) ? UINT64_MAX : req->npages << shift;
	} else {
		e.addr = 0;
		e.npages = UINT64_MAX;
	}
	if (req->flags & IOASID_INV_LEAF)
		e.flags = KU_IOMMU_VTD_INV_FLAGS_LEAF;
	err = kinvalidate(ctx, h, KU_IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, &e, sizeof(e), &n);
	if (err)
		return ioasid_err(ctx, err,
				  "IOMMU_HWPT_INVALIDATE of HWPT %u (addr 0x%llx, 0x%llx pages): the kernel says %s",
				  h->obj.id, X(e.addr), X(e.npages), strerror(-err));
	return 0;
}

int iommufd_hwpt_invalidate_raw(struct ioasid_ctx *ctx, struct ioasid_hwpt *h, uint32_t data_type,
				const void *entries, uint32_t entry_len, uint32_t *num)
{
	uint32_t want = *num;
	int err = kinvalidate(ctx, h, data_type, entries, entry_len, num);

	if (err)
		return ioasid_err(ctx, err,
				  "IOMMU_HWPT_INVALIDATE of HWPT %u (type %u, %u entries of %u bytes): entry %u refused: %s",
				  h->obj.id, data_type, want, entry_len, *num, strerror(-err));
	return 0;
}

int iommufd_hwpt_set_dirty(struct ioasid_ctx *ctx, struct ioasid_hwpt *h, bool on)
{
	struct ku_iommu_hwpt_set_dirty_tracking s = {
		.size = sizeof(s),
		.flags = on ? KU_IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
		.hwpt_id = hwpt_kid(h),
	};
	int err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_HWPT_SET_DIRTY_TRACKING, &s);

	if (err)
		return ioasid_err(ctx, err, "IOMMU_HWPT_SET_DIRTY_TRACKING %s on HWPT %u: %s",
				  on ? "on" : "off", h->obj.id, strerror(-err));
	return 0;
}

int iommufd_hwpt_get_dirty(struct ioasid_ctx *ctx, struct ioasid_hwpt *h, uint64_t iova,
			   uint64_t length, uint64_t page_size, uint64_t *bitmap, bool clear)
{
	struct ku_iommu_hwpt_get_dirty_bitmap g = {
		.size = sizeof(g),
		.hwpt_id = hwpt_kid(h),
		.flags = clear ? 0 : KU_IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR,
		.iova = iova,
		.length = length,
		.page_size = page_size,
		.data = (uintptr_t)bitmap,
	};
	int err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_HWPT_GET_DIRTY_BITMAP, &g);

	if (err)
		return ioasid_err(ctx, err,
				  "IOMMU_HWPT_GET_DIRTY_BITMAP of HWPT %u [0x%llx, +0x%llx) per 0x%llx: %s",
				  h->obj.id, X(iova), X(length), X(page_size), strerror(-err));
	return 0;
}
