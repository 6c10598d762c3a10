/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The chain contents the capability suites share (caps-chain.h). */
#include <stdint.h>

#include <check.h>

#include <ioasid/caps.h>

#include "caps-chain.h"

const uint32_t SMMU_IDR[6] = { 0x0d0d149b, 0x510, 0, 0x1400, 0, 0x455 };

const struct ioasid_cap_iova_range RANGES[2] = {
	{ 0, 0xfedfffff },
	{ 0xfef00000, 0x7fffffffffULL },
};

const struct ioasid_cap_resv_region REGIONS[3] = {
	{ 0xfee00000, 0xfeefffff, IOASID_RESV_MSI, 0 },
	{ 0x8000000, 0x80fffff, IOASID_RESV_SW_MSI, 0 },
	{ 0xa0000, 0xbffff, IOASID_RESV_DIRECT_RELAXABLE, 0 },
};

const struct ioasid_cap_virtio_iommu VIRTIO = {
	.features = IOASID_VIRTIO_IOMMU_F_INPUT_RANGE | IOASID_VIRTIO_IOMMU_F_MAP_UNMAP |
		    IOASID_VIRTIO_IOMMU_F_PROBE,
	.page_size_mask = 0xfffffffffffff000ULL,
	.input_start = 0,
	.input_end = 0xffffffffffULL,
	.domain_start = 1,
	.domain_end = 0xffff,
	.probe_size = 512,
	.bypass = 1,
};

void build_full(void **buf, size_t *len)
{
	struct ioasid_caps_builder *b;
	struct {
		struct ioasid_cap_header hdr;
		uint8_t payload[16];
	} unknown = { { 0x7777, 3, 0, 0, IOASID_CAP_SRC_CONFIGURED },
		      { 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0xa5 } };

	ck_assert_int_eq(ioasid_caps_builder_new(&b), 0);
	ck_assert_int_eq(ioasid_caps_add_page_sizes(b, MEASURED, 0x40201000), 0);
	ck_assert_int_eq(ioasid_caps_add_addr_width(b, IOASID_CAP_SRC_DERIVED, 48, 46), 0);
	ck_assert_int_eq(ioasid_caps_add_pasid(b, MEASURED, 20), 0);
	ck_assert_int_eq(ioasid_caps_add_iova_ranges(b, MEASURED, RANGES, 2), 0);
	ck_assert_int_eq(ioasid_caps_add(b, &unknown, sizeof(unknown)), 0);
	ck_assert_int_eq(ioasid_caps_add_resv_regions(b, MEASURED, REGIONS, 3), 0);
	ck_assert_int_eq(ioasid_caps_add_features(b, MEASURED, IOASID_FEAT_NESTING | IOASID_FEAT_ATS,
						  IOASID_FEAT_NESTING | IOASID_FEAT_ATS |
							  IOASID_FEAT_DIRTY_TRACKING),
			 0);
	ck_assert_int_eq(ioasid_caps_add_vtd(b, MEASURED, QEMU_VTD_CAP, QEMU_VTD_ECAP, 0), 0);
	ck_assert_int_eq(ioasid_caps_add_smmuv3(b, IOASID_CAP_SRC_CONFIGURED, SMMU_IDR, 0x4b0, 0x2,
						0),
			 0);
	ck_assert_int_eq(ioasid_caps_add_amd(b, MEASURED, AMD_EFR, AMD_EFR2), 0);
	ck_assert_int_eq(ioasid_caps_add_virtio_iommu(b, MEASURED, &VIRTIO), 0);
	ck_assert_int_eq(ioasid_caps_builder_finish(b, buf, len), 0);
	ioasid_caps_builder_free(b);
}
