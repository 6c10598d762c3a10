/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SMMUv3 model's invalidation (split from sim-smmuv3.c): the raw CMDQ
 * commands arm_vsmmu_cache_invalidate() forwards, checked and issued in
 * the kernel's batches, each dropping what it names from the TLB, the CD
 * cache or a device's ATC.
 */
#include <string.h>

#include "sim-smmuv3.h"

/* The device the guest names by vSID @vsid; -EIO when it names none. */
static int vsid_dev(struct ioasid_ctx *ctx, const struct sim_viommu *sv, uint64_t c0, uint32_t i,
		    struct sim_dev **ret)
{
	uint32_t vsid = (uint32_t)SMMU_GET(c0, SMMU_CMD0_SID_H, SMMU_CMD0_SID_L);
	struct sim_vdev *svd = sim_viommu_vdev_at(sv, vsid);

	if (!svd)
		return ioasid_err(ctx, -EIO,
				  "SMMUv3 command %u (opcode 0x%02x): vSID 0x%x is no vDEVICE of vIOMMU %u",
				  i, SMMU_CMD_OP(c0), vsid, sv->v->obj.id);
	*ret = svd->sd;
	return 0;
}

/* arm_vsmmu_convert_user_cmd(): the commands the kernel forwards; -EIO for the rest. */
static int cmd_check(struct ioasid_ctx *ctx, const struct sim_viommu *sv, const uint64_t c[2],
		     uint32_t i)
{
	struct sim_dev *sd;

	switch (SMMU_CMD_OP(c[0])) {
	case SMMU_CMD_TLBI_NSNH_ALL:
	case SMMU_CMD_TLBI_NH_VA:
	case SMMU_CMD_TLBI_NH_VAA:
	case SMMU_CMD_TLBI_NH_ALL:
	case SMMU_CMD_TLBI_NH_ASID:
		return 0;
	case SMMU_CMD_ATC_INV:
	case SMMU_CMD_CFGI_CD:
	case SMMU_CMD_CFGI_CD_ALL:
		return vsid_dev(ctx, sv, c[0], i, &sd);
	default:
		return ioasid_err(ctx, -EIO,
				  "SMMUv3 command %u: opcode 0x%02x is not one a vIOMMU forwards (TLBI_NH_ALL/ASID/VA/VAA, TLBI_NSNH_ALL, ATC_INV, CFGI_CD, CFGI_CD_ALL)",
				  i, SMMU_CMD_OP(c[0]));
	}
}

static uint64_t cd_drop(struct vsmmu *vs, const struct sim_dev *sd, bool all, uint32_t ssid)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < CD_CACHE; i++) {
		struct cd_entry *ce = &vs->cds[i];

		if (ce->valid && ce->dev == sd->id && (all || ce->ssid == ssid)) {
			ce->valid = false;
			n++;
		}
	}
	return n;
}

/*
 * Drop the entries of [va, va + (pages << lg2)) in @t, the span widened to
 * whole leaves of vs->wide: a leaf cached in pieces goes all at once, as
 * the one TLB entry of the architecture would (more is always allowed).
 */
static uint64_t inv_span(const struct vsmmu *vs, struct sim_iotlb *t, uint32_t tag, uint32_t pasid,
			 uint64_t va, uint64_t pages, unsigned int lg2, unsigned int flags)
{
	if (vs->wide > (UINT64_C(1) << lg2)) {
		const unsigned int w = (unsigned int)__builtin_ctzll(vs->wide);
		uint64_t end = va + (pages << lg2) - 1;

		if (end < va)
			end = ~UINT64_C(0);
		return sim_iotlb_inv_range(t, tag, pasid, va & ~(vs->wide - 1),
					   (end >> w) - (va >> w) + 1, w, flags);
	}
	return sim_iotlb_inv_range(t, tag, pasid, va, pages, lg2, flags);
}

/* What a TLBI_NH_VA(A) covers: one address (every leaf size), or a range (RIL). */
static uint64_t tlbi_va(const struct vsmmu *vs, struct sim_iotlb *t, uint32_t tag, uint32_t asid,
			const uint64_t c[2])
{
	const unsigned int tg = (unsigned int)SMMU_GET(c[1], SMMU_CMD1_TLBI_TG_H,
						       SMMU_CMD1_TLBI_TG_L);
	const uint64_t va = c[1] & SMMU_CMD1_TLBI_VA_MASK;
	const unsigned int flags = (c[1] & SMMU_CMD1_TLBI_LEAF) ? SIM_IOTLB_INV_LEAF : 0;
	static const unsigned int tg_shift[4] = { 12, 12, 14, 16 };
	uint64_t pages = 1;

	if (tg) {
		unsigned int num = (unsigned int)SMMU_GET(c[0], SMMU_CMD0_TLBI_NUM_H,
							  SMMU_CMD0_TLBI_NUM_L);
		unsigned int scale = (unsigned int)SMMU_GET(c[0], SMMU_CMD0_TLBI_SCALE_H,
							    SMMU_CMD0_TLBI_SCALE_L);

		pages = (uint64_t)(num + 1) << scale;
	}
	return inv_span(vs, t, tag, asid, va, pages, tg_shift[tg], flags);
}

/* Issue one checked command. Returns the cache entries it dropped. */
static uint64_t cmd_issue(struct ioasid_ctx *ctx, struct sim_viommu *sv, const uint64_t c[2])
{
	struct sim_ctx *sim = ctx->be;
	struct vsmmu *vs = vsmmu_of(sv);
	const uint32_t asid = (uint32_t)SMMU_GET(c[0], SMMU_CMD0_TLBI_ASID_H,
						 SMMU_CMD0_TLBI_ASID_L) &
			      vs->asid_mask;
	const uint32_t ssid = (uint32_t)SMMU_GET(c[0], SMMU_CMD0_SSID_H, SMMU_CMD0_SSID_L);
	struct sim_dev *sd = NULL;
	unsigned int size;
	uint64_t span;

	switch (SMMU_CMD_OP(c[0])) {
	case SMMU_CMD_TLBI_NSNH_ALL: /* the kernel makes it NH_ALL of the VM */
	case SMMU_CMD_TLBI_NH_ALL:
		return sim_iotlb_inv_id(sim->iotlb, sv->tag);
	case SMMU_CMD_TLBI_NH_ASID:
		return sim_iotlb_inv_pasid(sim->iotlb, sv->tag, asid);
	case SMMU_CMD_TLBI_NH_VA:
		/* by VA and ASID: the global entries at the VA go too (NH_ASID keeps them) */
		return tlbi_va(vs, sim->iotlb, sv->tag, asid, c) +
		       tlbi_va(vs, sim->iotlb, sv->tag, SUBTAG_GLOBAL, c);
	case SMMU_CMD_TLBI_NH_VAA:
		return tlbi_va(vs, sim->iotlb, sv->tag, SIM_PASID_ANY, c);
	case SMMU_CMD_CFGI_CD:
	case SMMU_CMD_CFGI_CD_ALL:
		vsid_dev(ctx, sv, c[0], 0, &sd);
		return cd_drop(vs, sd, SMMU_CMD_OP(c[0]) == SMMU_CMD_CFGI_CD_ALL, ssid);
	case SMMU_CMD_ATC_INV:
		vsid_dev(ctx, sv, c[0], 0, &sd);
		if (!sd->devtlb)
			return 0;
		size = (unsigned int)SMMU_GET(c[1], SMMU_CMD1_ATC_SIZE_H, SMMU_CMD1_ATC_SIZE_L);
		if (size >= 52)
			return (c[0] & SMMU_CMD0_ATC_GLOBAL) ?
				       sim_iotlb_inv_id(sd->devtlb, sv->tag) :
				       sim_iotlb_inv_pasid(sd->devtlb, sv->tag,
							   (c[0] & SMMU_CMD0_SSV) ? ssid :
										    SIM_PASID_NONE);
		span = UINT64_C(1) << (12 + size);
		return inv_span(vs, sd->devtlb, sv->tag,
				(c[0] & SMMU_CMD0_ATC_GLOBAL) ? SIM_PASID_ANY :
				(c[0] & SMMU_CMD0_SSV)        ? ssid :
								SIM_PASID_NONE,
				(c[1] & SMMU_CMD1_ATC_ADDR_MASK) & ~(span - 1), UINT64_C(1) << size,
				12, 0);
	}
	return 0;
}

/*
 * arm_vsmmu_cache_invalidate(): the whole array is copied first (data
 * type, a zero tail past 16 bytes: else nothing is handled), then each
 * command is checked and the commands go out in batches of 63; a refused
 * command ends the call with the handled count at it, and the checked
 * commands of its batch before it are never issued.
 */
int sim_smmuv3_invalidate(struct ioasid_ctx *ctx, struct sim_viommu *sv, uint32_t data_type,
			  const void *entries, uint32_t entry_len, uint32_t *num)
{
	struct sim_ctx *sim = ctx->be;
	const uint32_t n = *num;
	uint64_t batch[INV_BATCH][2];
	uint32_t i, j, last = 0, k;
	int err;

	*num = 0;
	if (data_type != IOASID_VIOMMU_INV_ARM_SMMUV3)
		return ioasid_err(ctx, -EINVAL,
				  "invalidation data type %u: an SMMUv3 vIOMMU takes IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 (%u)",
				  data_type, IOASID_VIOMMU_INV_ARM_SMMUV3);
	if (!n)
		return ioasid_err(ctx, -EINVAL,
				  "no commands: the SMMUv3 driver refuses an empty array");
	for (i = 0; entry_len > SMMU_INV_LEN && i < n; i++)
		for (j = SMMU_INV_LEN; j < entry_len; j++)
			if (((const uint8_t *)entries)[(size_t)i * entry_len + j])
				return ioasid_err(ctx, -E2BIG,
						  "command %u: byte %u of its %u-byte entry is not zero (a command is %u bytes)",
						  i, j, entry_len, SMMU_INV_LEN);
	for (i = 0; i < n;) {
		uint64_t c[2] = { 0, 0 };

		memcpy(c, (const uint8_t *)entries + (size_t)i * entry_len,
		       IOASID_MIN(entry_len, SMMU_INV_LEN));
		c[0] = le64toh(c[0]);
		c[1] = le64toh(c[1]);
		err = cmd_check(ctx, sv, c, i);
		if (err) {
			*num = i;
			return err;
		}
		batch[i - last][0] = c[0];
		batch[i - last][1] = c[1];
		i++;
		if (i != n && i - last != INV_BATCH)
			continue;
		for (k = 0; k < i - last; k++)
			sim->inv_entries += cmd_issue(ctx, sv, batch[k]);
		last = i;
	}
	*num = n;
	return 0;
}
