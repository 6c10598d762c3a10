/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to the sim's SMMUv3 model: what sim-smmuv3.c (configuration,
 * walks, caches, events) shares with sim-smmuv3-cmdq.c (the CMDQ commands
 * of a vIOMMU invalidation).
 */
#ifndef IOASID_SIM_SMMUV3_H
#define IOASID_SIM_SMMUV3_H

#include "sim-viommu.h"
#include "vendor/smmuv3-defs.h"

#define X(v) ((unsigned long long)(v))

#define CD_CACHE 64            /* CD cache entries, direct mapped */
#define SUBTAG_S2 0x10000u     /* TLB sub-tag of stage-2-only translations: no ASID */
#define SUBTAG_GLOBAL 0x20000u /* TLB sub-tag of global (nG = 0) stage-1 leaves: any ASID */
#define INV_BATCH 63           /* the kernel's CMDQ_BATCH_ENTRIES - 1 */
#define SMMU_INV_LEN 16u       /* struct iommu_viommu_arm_smmuv3_invalidate */
#define SMMU_VEVENT_LEN 32u    /* struct iommu_vevent_arm_smmuv3 */
#define SMMU_VSTE_LEN 16u      /* struct iommu_hwpt_arm_smmuv3 */

struct cd_entry {
	bool valid;
	uint32_t dev, ssid, gen; /* the device's id and cfg_gen when fetched */
	uint64_t cd[2];
};

/* Per vIOMMU. */
struct vsmmu {
	struct ioasid_cap_smmuv3 regs_copy;   /* the profile's ID registers, decoded */
	const struct ioasid_cap_smmuv3 *regs; /* = &regs_copy */
	uint16_t asid_mask;
	/*
	 * The largest leaf (a 16K/64K page, a 32M/512M block) cached as
	 * smaller IOTLB entries (which hold 4K, 2M and 1G): a TLBI or ATC_INV
	 * of an address in such a leaf must drop all of its pieces.
	 */
	uint64_t wide;
	struct cd_entry cds[CD_CACHE];
};

static inline struct vsmmu *vsmmu_of(const struct sim_viommu *sv)
{
	return sv->priv;
}

/*
 * arm_vsmmu_cache_invalidate(): the vIOMMU's invalidation with @num raw
 * commands of @entry_len bytes at @entries; *@num gets the handled count.
 * 0, or -EINVAL (data type, no commands), -E2BIG (a non-zero tail), -EIO (a
 * command the kernel does not forward, or a vSID of no vDEVICE).
 */
int sim_smmuv3_invalidate(struct ioasid_ctx *ctx, struct sim_viommu *sv, uint32_t data_type,
			  const void *entries, uint32_t entry_len, uint32_t *num);

#endif
