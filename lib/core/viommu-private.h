/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vIOMMU object kinds (include/ioasid/viommu.h), one file each:
 * viommu.c, vdevice.c, veventq.c, hw_queue.c. The dependencies are the
 * kernel's (kernel-uapi.md §1.8): a vIOMMU holds its nest parent; vDEVICEs,
 * nested HWPTs, vEVENTQs and HW queues hold their vIOMMU (obj.users); a
 * vDEVICE holds its device.
 */
#ifndef IOASID_VIOMMU_PRIVATE_H
#define IOASID_VIOMMU_PRIVATE_H

#include "private.h"

struct ioasid_dev;
struct ioasid_hwpt;

struct ioasid_viommu {
	struct ioasid_obj obj;
	uint32_t type;              /* enum ioasid_viommu_type */
	uint32_t dev_id;            /* the device it was made for */
	struct ioasid_hwpt *parent; /* the nest parent it holds */
	uint32_t set;               /* owner: the set of the parent's IOAS */
	uint32_t nr_vdevs;
	void *be;
};

struct ioasid_vdevice {
	struct ioasid_obj obj;
	struct ioasid_viommu *viommu;
	struct ioasid_dev *dev;
	uint64_t virt_id;
	void *be;
};

struct ioasid_veventq {
	struct ioasid_obj obj;
	struct ioasid_viommu *viommu;
	uint32_t type, depth, set;
	int fd; /* the backend's, -1 once closed */
	bool seq_known;
	uint32_t next_seq;
	uint64_t nr_read, lost_marks, seq_gaps;
	void *be;
};

struct ioasid_hw_queue {
	struct ioasid_obj obj;
	struct ioasid_viommu *viommu;
	uint32_t type, index;
	uint64_t iova, length;
	void *be;
};

/* The vIOMMU's vDEVICE at @virt_id, or NULL (vdevice.c). */
struct ioasid_vdevice *vdevice_find(struct ioasid_ctx *ctx, const struct ioasid_viommu *v,
				    uint64_t virt_id);
/* The vDEVICE of @dev, or NULL (vdevice.c). */
struct ioasid_vdevice *vdevice_of_dev(struct ioasid_ctx *ctx, const struct ioasid_dev *dev);

/*
 * A nested HWPT on vIOMMU @v for @dev with the options of
 * ioasid_hwpt_alloc() (viommu.c); the kernel's checks, then the backend.
 */
int hwpt_alloc_on_viommu(struct ioasid_ctx *ctx, struct ioasid_dev *dev, struct ioasid_viommu *v,
			 const struct ioasid_hwpt_opts *o, struct ioasid_hwpt **ret);

/* The message of a backend without vIOMMU objects; returns -EOPNOTSUPP. */
int viommu_unsupported(struct ioasid_ctx *ctx, const char *what);

/*
 * The kernel's bounds of an IOMMU_HWPT_INVALIDATE array (hwpt.c), before
 * any object is looked at: -EINVAL with a message, or 0.
 */
int inv_array_check(struct ioasid_ctx *ctx, const void *entries, uint32_t entry_len, uint32_t num);

extern const struct ioasid_obj_ops ioasid_viommu_obj_ops;
extern const struct ioasid_obj_ops ioasid_vdevice_obj_ops;
extern const struct ioasid_obj_ops ioasid_veventq_obj_ops;
extern const struct ioasid_obj_ops ioasid_hw_queue_obj_ops;

#endif
