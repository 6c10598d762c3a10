/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vfio backend (VFIO type-1) as the unit tests reach it: its parser of
 * VFIO_IOMMU_GET_INFO and its test hooks. What it shares with the iommufd
 * backend is in lib/linux/linux.h.
 */
#ifndef IOASID_VFIO_PRIVATE_H
#define IOASID_VFIO_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "linux/linux.h"

/* What VFIO_IOMMU_GET_INFO said, in our terms. */
struct vf_info {
	uint64_t pgsizes;
	struct ioasid_iova_range *ranges; /* ioasid_malloc; the caller frees */
	uint32_t nr_ranges;
	bool has_ranges;
	uint32_t dma_avail;
	bool has_dma_avail;
	bool migration;
	uint64_t dirty_pgsizes;
};

/*
 * Parse a VFIO_IOMMU_GET_INFO buffer of @len bytes (the fixed struct, then
 * the capability chain, read tolerantly: pre-6.6 kernels place caps on
 * 4-byte boundaries). Return: 0, -EINVAL / -EMSGSIZE for a bad chain.
 */
int vfio_parse_iommu_info(struct ioasid_ctx *ctx, const uint8_t *buf, size_t len,
			  struct vf_info *vi);

/*
 * A vfio context over a test's kernel (test-only; not exported): @ioctl
 * answers every ioctl from the first on (the open's container check
 * included), the container and group nodes are @dev_dir/vfio and
 * @dev_dir/N instead of /dev/vfio's, sysfs is read below @sysfs. NULL
 * members keep the host's.
 */
struct vfio_test_kernel {
	ku_ioctl_fn ioctl;
	void *ioctl_data;
	const char *dev_dir;
	const char *sysfs;
};
int vfio_ctx_open_test(const struct vfio_test_kernel *tk, struct ioasid_ctx **ret_ctx);

/* Replace the ioctl of a vfio context (tests). */
int vfio_set_ioctl_hook(struct ioasid_ctx *ctx, ku_ioctl_fn fn, void *data);
/* Read sysfs below @root instead of "/sys" (tests; @root is copied). */
int vfio_set_sysfs_root(struct ioasid_ctx *ctx, const char *root);

#endif /* IOASID_VFIO_PRIVATE_H */
