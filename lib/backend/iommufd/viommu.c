/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iommufd vIOMMU objects (kernel-uapi.md §1.8): IOMMU_VIOMMU_ALLOC,
 * IOMMU_VDEVICE_ALLOC, IOMMU_VEVENTQ_ALLOC with the reading of its fd,
 * IOMMU_HW_QUEUE_ALLOC, and IOMMU_HWPT_INVALIDATE sent to a vIOMMU. Each
 * object's kernel id is its ->be (struct ifd_kobj); IOMMU_DESTROY ends it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "iommufd-private.h"
#include "core/viommu-private.h"

static int kobj_new(struct ioasid_ctx *ctx, void **be, uint32_t id)
{
	struct ifd_kobj *k = ioasid_calloc(1, sizeof(*k));

	if (!k) {
		ifd_kdestroy(ctx, id);
		return ioasid_err(ctx, -ENOMEM, "out of memory for kernel object %u", id);
	}
	k->id = id;
	*be = k;
	return 0;
}

/* IOMMU_DESTROY of one of these objects, under the teardown rule (backend.h). */
static int kobj_destroy(struct ioasid_ctx *ctx, void **be, const char *what, uint32_t id)
{
	struct ifd_kobj *k = *be;
	int err = ifd_kdestroy(ctx, k->id);

	if (err) {
		err = ioasid_err(ctx, err,
				 "IOMMU_DESTROY of kernel %s %u (%s %u): the kernel says %s", what,
				 k->id, what, id, strerror(-err));
		if (!ctx->closing)
			return err;
	}
	ioasid_free(k);
	*be = NULL;
	return err;
}

int iommufd_viommu_alloc(struct ioasid_ctx *ctx, struct ioasid_viommu *v, struct ioasid_dev *dev,
			 void *data, uint32_t data_len)
{
	struct ku_iommu_viommu_alloc a = {
		.size = sizeof(a),
		.type = v->type,
		.dev_id = ((struct ifd_dev *)dev->be)->devid,
		.hwpt_id = hwpt_kid(v->parent),
		.data_len = data_len,
		.data_uptr = (uintptr_t)data,
	};
	int err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_VIOMMU_ALLOC, &a);

	if (err)
		return ioasid_err(ctx, err,
				  "IOMMU_VIOMMU_ALLOC (type 0x%x, %u bytes of data) for %s over HWPT %u: the kernel says %s%s",
				  v->type, data_len, dev->name, v->parent->obj.id, strerror(-err),
				  err == -ENOTTY     ? " (a kernel before 6.13 has no vIOMMUs)" :
				  err == -EOPNOTSUPP ? " (the IOMMU has no vIOMMU of that type)" :
						       "");
	return kobj_new(ctx, &v->be, a.out_viommu_id);
}

int iommufd_viommu_destroy(struct ioasid_ctx *ctx, struct ioasid_viommu *v)
{
	return kobj_destroy(ctx, &v->be, "vIOMMU", v->obj.id);
}

static uint32_t kid(void *be)
{
	return be ? ((struct ifd_kobj *)be)->id : 0;
}

int iommufd_viommu_invalidate(struct ioasid_ctx *ctx, struct ioasid_viommu *v, uint32_t data_type,
			      const void *entries, uint32_t entry_len, uint32_t *num)
{
	struct ku_iommu_hwpt_invalidate inv = {
		.size = sizeof(inv),
		.hwpt_id = kid(v->be),
		.data_uptr = (uintptr_t)entries,
		.data_type = data_type,
		.entry_len = entry_len,
		.entry_num = *num,
	};
	uint32_t want = *num;
	int err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_HWPT_INVALIDATE, &inv);

	*num = inv.entry_num;
	if (err)
		return ioasid_err(ctx, err,
				  "IOMMU_HWPT_INVALIDATE of vIOMMU %u (type 0x%x, %u entries of %u bytes): entry %u refused: %s",
				  v->obj.id, data_type, want, entry_len, *num, strerror(-err));
	return 0;
}

int iommufd_vdevice_alloc(struct ioasid_ctx *ctx, struct ioasid_vdevice *vd)
{
	struct ku_iommu_vdevice_alloc a = {
		.size = sizeof(a),
		.viommu_id = kid(vd->viommu->be),
		.dev_id = ((struct ifd_dev *)vd->dev->be)->devid,
		.virt_id = vd->virt_id,
	};
	int err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_VDEVICE_ALLOC, &a);

	if (err)
		return ioasid_err(ctx, err,
				  "IOMMU_VDEVICE_ALLOC of %s at virt_id 0x%llx on vIOMMU %u: the kernel says %s",
				  vd->dev->name, X(vd->virt_id), vd->viommu->obj.id, strerror(-err));
	return kobj_new(ctx, &vd->be, a.out_vdevice_id);
}

int iommufd_vdevice_destroy(struct ioasid_ctx *ctx, struct ioasid_vdevice *vd)
{
	return kobj_destroy(ctx, &vd->be, "vDEVICE", vd->obj.id);
}

int iommufd_veventq_alloc(struct ioasid_ctx *ctx, struct ioasid_veventq *q, int *ret_fd)
{
	struct ku_iommu_veventq_alloc a = {
		.size = sizeof(a),
		.viommu_id = kid(q->viommu->be),
		.type = q->type,
		.veventq_depth = q->depth,
	};
	int err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_VEVENTQ_ALLOC, &a);
	int fd, fl;

	if (err)
		return ioasid_err(ctx, err,
				  "IOMMU_VEVENTQ_ALLOC (type 0x%x, depth %u) on vIOMMU %u: the kernel says %s",
				  q->type, q->depth, q->viommu->obj.id, strerror(-err));
	fd = (int)a.out_veventq_fd;
	/* the kernel makes it close-on-exec; reads never block, but say so */
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK)) {
		err = -errno;
		close(fd);
		ifd_kdestroy(ctx, a.out_veventq_id);
		return ioasid_err(ctx, err, "vEVENTQ fd %d: fcntl: %s", fd, strerror(-err));
	}
	err = kobj_new(ctx, &q->be, a.out_veventq_id);
	if (err) {
		close(fd);
		return err;
	}
	*ret_fd = fd;
	return 0;
}

int iommufd_veventq_destroy(struct ioasid_ctx *ctx, struct ioasid_veventq *q)
{
	/* the open fd holds the kernel object: close it first (once) */
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	return kobj_destroy(ctx, &q->be, "vEVENTQ", q->obj.id);
}

/* The record that follows a header of a vEVENTQ of @type; 0: unknown. */
static uint32_t vevent_len(uint32_t type)
{
	switch (type) {
	case KU_IOMMU_VEVENTQ_TYPE_ARM_SMMUV3:
		return sizeof(struct ku_iommu_vevent_arm_smmuv3);
	case KU_IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV:
		return 16; /* struct iommu_vevent_tegra241_cmdqv: lvcmdq_err_map[2] */
	case KU_IOMMU_VEVENTQ_TYPE_SELFTEST:
		return sizeof(struct ku_iommu_viommu_event_selftest);
	}
	return 0;
}

/* Split what one read() gave into events: headers, then records of @len. */
static uint32_t vevent_parse(const uint8_t *buf, size_t got, uint32_t len,
			     struct ioasid_vevent *out, uint32_t cap)
{
	size_t off = 0;
	uint32_t n = 0;

	while (n < cap && off + sizeof(struct ku_iommufd_vevent_header) <= got) {
		struct ku_iommufd_vevent_header h;
		struct ioasid_vevent *e = &out[n++];

		memcpy(&h, buf + off, sizeof(h));
		off += sizeof(h);
		memset(e, 0, sizeof(*e));
		e->flags = h.flags & KU_IOMMU_VEVENTQ_FLAG_LOST_EVENTS ? IOASID_VEVENT_LOST_EVENTS :
									 0;
		e->sequence = h.sequence;
		if (e->flags || off + len > got)
			continue;
		memcpy(e->data, buf + off, len);
		e->data_len = len;
		off += len;
	}
	return n;
}

int iommufd_veventq_read(struct ioasid_ctx *ctx, struct ioasid_veventq *q,
			 struct ioasid_vevent *out, uint32_t cap, uint32_t *ret_n)
{
	struct ifd_ctx *s = ifd_of(ctx);
	uint32_t len = vevent_len(q->type);
	size_t each = sizeof(struct ku_iommufd_vevent_header) + len;
	uint8_t buf[4096];
	ssize_t r;

	*ret_n = 0;
	if (!len)
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "vEVENTQ %u: the library does not know the record length of type 0x%x",
				  q->obj.id, q->type);
	if (len > IOASID_VEVENT_DATA_MAX)
		return ioasid_err(ctx, -EMSGSIZE, "vEVENTQ %u: records of %u bytes", q->obj.id, len);
	/*
	 * A read takes whole events only; a buffer sized for full records
	 * never splits one, whatever mix of marks and events comes.
	 */
	if (cap > sizeof(buf) / each)
		cap = sizeof(buf) / each;
	r = s->fault_io(s->fault_io_data, q->fd, buf, cap * each, false);
	if (r == -EAGAIN || r == 0)
		return 0;
	if (r < 0)
		return ioasid_err(ctx, (int)r, "read of vEVENTQ %u (fd %d): %s", q->obj.id, q->fd,
				  strerror((int)-r));
	*ret_n = vevent_parse(buf, (size_t)r, len, out, cap);
	return 0;
}

int iommufd_hw_queue_alloc(struct ioasid_ctx *ctx, struct ioasid_hw_queue *hq)
{
	struct ku_iommu_hw_queue_alloc a = {
		.size = sizeof(a),
		.viommu_id = kid(hq->viommu->be),
		.type = hq->type,
		.index = hq->index,
		.nesting_parent_iova = hq->iova,
		.length = hq->length,
	};
	int err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_HW_QUEUE_ALLOC, &a);

	if (err)
		return ioasid_err(ctx, err,
				  "IOMMU_HW_QUEUE_ALLOC (type 0x%x, index %u, [0x%llx, +0x%llx)) on vIOMMU %u: the kernel says %s",
				  hq->type, hq->index, X(hq->iova), X(hq->length),
				  hq->viommu->obj.id, strerror(-err));
	return kobj_new(ctx, &hq->be, a.out_hw_queue_id);
}

int iommufd_hw_queue_destroy(struct ioasid_ctx *ctx, struct ioasid_hw_queue *hq)
{
	return kobj_destroy(ctx, &hq->be, "HW queue", hq->obj.id);
}

/* The kernel id behind one of these objects (ioasid_obj_kernel_id()). */
uint32_t ifd_viommu_obj_kid(struct ioasid_obj *obj)
{
	switch (obj->kind) {
	case IOASID_OBJ_VIOMMU:
		return kid(((struct ioasid_viommu *)obj)->be);
	case IOASID_OBJ_VDEVICE:
		return kid(((struct ioasid_vdevice *)obj)->be);
	case IOASID_OBJ_VEVENTQ:
		return kid(((struct ioasid_veventq *)obj)->be);
	case IOASID_OBJ_HW_QUEUE:
		return kid(((struct ioasid_hw_queue *)obj)->be);
	default:
		return 0;
	}
}
