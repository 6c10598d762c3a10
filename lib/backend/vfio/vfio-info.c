/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vfio backend's parser of VFIO_IOMMU_GET_INFO (vfio-private.h): the
 * fixed struct and the capability chain -- usable IOVA ranges, the DMA
 * mapping budget, dirty logging -- read tolerantly (pre-6.6 kernels place
 * caps on 4-byte boundaries, kernel-uapi.md §2.4).
 */
#include <string.h>

#include "vfio-private.h"
#include "backend/backend.h"

#define X(v) ((unsigned long long)(v))

/*
 * The capability @id in the chain that starts at @first: its offset and
 * the bytes it has. Return: 1 when found, 0 when the chain has none, or
 * the error of a malformed chain (with its message).
 */
static int find_cap(struct ioasid_ctx *ctx, const uint8_t *buf, size_t len, uint32_t first,
		    uint16_t id, uint32_t *ret_off, uint32_t *ret_avail)
{
	int r;

	r = ioasid_vfio_cap_find(buf, len, first, id, 0, ret_off, NULL, ret_avail);
	if (r == -ENOENT)
		return 0;
	if (r)
		return ioasid_err_prefix(ctx, r, "VFIO_IOMMU_GET_INFO capability chain");
	return 1;
}

/* IOVA ranges: header, nr_iovas, reserved, then {start, end} each. */
static int parse_iova_ranges(struct ioasid_ctx *ctx, const uint8_t *buf, uint32_t off,
			     uint32_t avail, struct vf_info *vi)
{
	uint32_t i, nr;

	if (avail < 16)
		return ioasid_err(ctx, -EMSGSIZE,
				  "IOVA-range capability at %u is cut short (%u bytes)", off, avail);
	memcpy(&nr, buf + off + 8, 4);
	if ((uint64_t)nr * 16 > avail - 16)
		return ioasid_err(ctx, -EMSGSIZE,
				  "IOVA-range capability at %u: %u ranges do not fit in %u bytes",
				  off, nr, avail);
	vi->ranges = ioasid_calloc(nr ? nr : 1, sizeof(*vi->ranges));
	if (!vi->ranges)
		return ioasid_err(ctx, -ENOMEM, "out of memory for %u IOVA ranges", nr);
	for (i = 0; i < nr; i++) {
		memcpy(&vi->ranges[i].start, buf + off + 16 + 16 * i, 8);
		memcpy(&vi->ranges[i].last, buf + off + 24 + 16 * i, 8);
		if (vi->ranges[i].last < vi->ranges[i].start ||
		    (i && vi->ranges[i].start <= vi->ranges[i - 1].last))
			return ioasid_err(ctx, -EINVAL,
					  "IOVA-range capability: range %u [0x%llx, 0x%llx] is inverted or out of order",
					  i, X(vi->ranges[i].start), X(vi->ranges[i].last));
	}
	vi->nr_ranges = nr;
	vi->has_ranges = true;
	return 0;
}

/* The capabilities we read: usable IOVA ranges, DMA mapping budget, dirty logging. */
static int parse_caps(struct ioasid_ctx *ctx, const uint8_t *buf, size_t len, uint32_t first,
		      struct vf_info *vi)
{
	uint32_t off, avail;
	int r;

	r = find_cap(ctx, buf, len, first, KU_VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, &off, &avail);
	if (r > 0)
		r = parse_iova_ranges(ctx, buf, off, avail, vi);
	if (r < 0)
		return r;
	/* the budget: header, then the count left */
	r = find_cap(ctx, buf, len, first, KU_VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, &off, &avail);
	if (r < 0)
		return r;
	if (r && avail >= 12) {
		memcpy(&vi->dma_avail, buf + off + 8, 4);
		vi->has_dma_avail = true;
	}
	r = find_cap(ctx, buf, len, first, KU_VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, &off, &avail);
	if (r < 0)
		return r;
	if (r && avail >= offsetof(struct ku_vfio_iommu_type1_info_cap_migration,
				   max_dirty_bitmap_size)) {
		vi->migration = true;
		memcpy(&vi->dirty_pgsizes,
		       buf + off +
			       offsetof(struct ku_vfio_iommu_type1_info_cap_migration,
					pgsize_bitmap),
		       8);
	}
	return 0;
}

int vfio_parse_iommu_info(struct ioasid_ctx *ctx, const uint8_t *buf, size_t len, struct vf_info *vi)
{
	struct ku_vfio_iommu_type1_info info;
	int r;

	memset(vi, 0, sizeof(*vi));
	memcpy(&info, buf, sizeof(info));
	if (info.flags & KU_VFIO_IOMMU_INFO_PGSIZES)
		vi->pgsizes = info.iova_pgsizes;
	if (!(info.flags & KU_VFIO_IOMMU_INFO_CAPS) || !info.cap_offset)
		return 0;
	r = parse_caps(ctx, buf, len, info.cap_offset, vi);
	if (r) {
		ioasid_free(vi->ranges);
		vi->ranges = NULL;
	}
	return r;
}
