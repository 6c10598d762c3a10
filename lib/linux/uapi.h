/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The iommufd and VFIO user-space ABI, written by hand from the facts in
 * docs/kernel-uapi.md (checked against Linux 7.2.13; every size, offset
 * and request number there is machine-checked). Our own names (ku_ = "kernel
 * uapi") so that a test can compile this header beside the kernel's
 * <linux/iommufd.h> and <linux/vfio.h> and compare every offset and size
 * (tests/vm/uapi-layout.c).
 *
 * Conventions (kernel-uapi.md §0): every 64-bit iommufd field is forced to
 * 8-byte alignment (ku_a64), also on i386; the few VFIO type-1 fields that
 * the kernel declares as plain __u64 keep the ABI's natural alignment
 * (ku_u64). Requests are "no direction, no size" requests with magic ';'
 * (0x3b), built with the C library's _IO(), which also gets powerpc's
 * encoding right.
 */
#ifndef IOASID_KU_UAPI_H
#define IOASID_KU_UAPI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

typedef uint64_t ku_a64 __attribute__((aligned(8)));
typedef uint64_t ku_u64;

#define KU_TYPE 0x3b
#define KU_IO(nr) _IO(KU_TYPE, (nr))

#define KU_ASSERT_SIZE(s, n) _Static_assert(sizeof(struct s) == (n), #s " size")
#define KU_ASSERT_OFF(s, f, n) \
	_Static_assert(offsetof(struct s, f) == (n), #s "." #f " offset")

/* ======================================================================
 * iommufd (/dev/iommu), kernel-uapi.md §1
 * ====================================================================== */

#define KU_IOMMU_DESTROY		KU_IO(0x80)
#define KU_IOMMU_IOAS_ALLOC		KU_IO(0x81)
#define KU_IOMMU_IOAS_ALLOW_IOVAS	KU_IO(0x82)
#define KU_IOMMU_IOAS_COPY		KU_IO(0x83)
#define KU_IOMMU_IOAS_IOVA_RANGES	KU_IO(0x84)
#define KU_IOMMU_IOAS_MAP		KU_IO(0x85)
#define KU_IOMMU_IOAS_UNMAP		KU_IO(0x86)
#define KU_IOMMU_OPTION			KU_IO(0x87)
#define KU_IOMMU_VFIO_IOAS		KU_IO(0x88)
#define KU_IOMMU_HWPT_ALLOC		KU_IO(0x89)
#define KU_IOMMU_GET_HW_INFO		KU_IO(0x8a)
#define KU_IOMMU_HWPT_SET_DIRTY_TRACKING KU_IO(0x8b)
#define KU_IOMMU_HWPT_GET_DIRTY_BITMAP	KU_IO(0x8c)
#define KU_IOMMU_HWPT_INVALIDATE	KU_IO(0x8d)
#define KU_IOMMU_FAULT_QUEUE_ALLOC	KU_IO(0x8e)
#define KU_IOMMU_IOAS_MAP_FILE		KU_IO(0x8f)

struct ku_iommu_destroy {
	uint32_t size;
	uint32_t id;
};
KU_ASSERT_SIZE(ku_iommu_destroy, 8);
KU_ASSERT_OFF(ku_iommu_destroy, id, 4);

struct ku_iommu_ioas_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t out_ioas_id;
};
KU_ASSERT_SIZE(ku_iommu_ioas_alloc, 12);
KU_ASSERT_OFF(ku_iommu_ioas_alloc, flags, 4);
KU_ASSERT_OFF(ku_iommu_ioas_alloc, out_ioas_id, 8);

struct ku_iommu_iova_range {
	ku_a64 start;
	ku_a64 last; /* inclusive */
};
KU_ASSERT_SIZE(ku_iommu_iova_range, 16);
KU_ASSERT_OFF(ku_iommu_iova_range, last, 8);

struct ku_iommu_ioas_iova_ranges {
	uint32_t size;
	uint32_t ioas_id;
	uint32_t num_iovas;
	uint32_t __reserved;
	ku_a64 allowed_iovas;
	ku_a64 out_iova_alignment;
};
KU_ASSERT_SIZE(ku_iommu_ioas_iova_ranges, 32);
KU_ASSERT_OFF(ku_iommu_ioas_iova_ranges, ioas_id, 4);
KU_ASSERT_OFF(ku_iommu_ioas_iova_ranges, num_iovas, 8);
KU_ASSERT_OFF(ku_iommu_ioas_iova_ranges, __reserved, 12);
KU_ASSERT_OFF(ku_iommu_ioas_iova_ranges, allowed_iovas, 16);
KU_ASSERT_OFF(ku_iommu_ioas_iova_ranges, out_iova_alignment, 24);

struct ku_iommu_ioas_allow_iovas {
	uint32_t size;
	uint32_t ioas_id;
	uint32_t num_iovas;
	uint32_t __reserved;
	ku_a64 allowed_iovas;
};
KU_ASSERT_SIZE(ku_iommu_ioas_allow_iovas, 24);
KU_ASSERT_OFF(ku_iommu_ioas_allow_iovas, ioas_id, 4);
KU_ASSERT_OFF(ku_iommu_ioas_allow_iovas, num_iovas, 8);
KU_ASSERT_OFF(ku_iommu_ioas_allow_iovas, __reserved, 12);
KU_ASSERT_OFF(ku_iommu_ioas_allow_iovas, allowed_iovas, 16);

/* enum iommufd_ioas_map_flags */
#define KU_IOMMU_IOAS_MAP_FIXED_IOVA	0x1u
#define KU_IOMMU_IOAS_MAP_WRITEABLE	0x2u
#define KU_IOMMU_IOAS_MAP_READABLE	0x4u

struct ku_iommu_ioas_map {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas_id;
	uint32_t __reserved;
	ku_a64 user_va;
	ku_a64 length;
	ku_a64 iova;
};
KU_ASSERT_SIZE(ku_iommu_ioas_map, 40);
KU_ASSERT_OFF(ku_iommu_ioas_map, flags, 4);
KU_ASSERT_OFF(ku_iommu_ioas_map, ioas_id, 8);
KU_ASSERT_OFF(ku_iommu_ioas_map, __reserved, 12);
KU_ASSERT_OFF(ku_iommu_ioas_map, user_va, 16);
KU_ASSERT_OFF(ku_iommu_ioas_map, length, 24);
KU_ASSERT_OFF(ku_iommu_ioas_map, iova, 32);

struct ku_iommu_ioas_map_file {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas_id;
	int32_t fd;
	ku_a64 start;
	ku_a64 length;
	ku_a64 iova;
};
KU_ASSERT_SIZE(ku_iommu_ioas_map_file, 40);
KU_ASSERT_OFF(ku_iommu_ioas_map_file, flags, 4);
KU_ASSERT_OFF(ku_iommu_ioas_map_file, ioas_id, 8);
KU_ASSERT_OFF(ku_iommu_ioas_map_file, fd, 12);
KU_ASSERT_OFF(ku_iommu_ioas_map_file, start, 16);
KU_ASSERT_OFF(ku_iommu_ioas_map_file, length, 24);
KU_ASSERT_OFF(ku_iommu_ioas_map_file, iova, 32);

struct ku_iommu_ioas_copy {
	uint32_t size;
	uint32_t flags;
	uint32_t dst_ioas_id;
	uint32_t src_ioas_id;
	ku_a64 length;
	ku_a64 dst_iova;
	ku_a64 src_iova;
};
KU_ASSERT_SIZE(ku_iommu_ioas_copy, 40);
KU_ASSERT_OFF(ku_iommu_ioas_copy, flags, 4);
KU_ASSERT_OFF(ku_iommu_ioas_copy, dst_ioas_id, 8);
KU_ASSERT_OFF(ku_iommu_ioas_copy, src_ioas_id, 12);
KU_ASSERT_OFF(ku_iommu_ioas_copy, length, 16);
KU_ASSERT_OFF(ku_iommu_ioas_copy, dst_iova, 24);
KU_ASSERT_OFF(ku_iommu_ioas_copy, src_iova, 32);

struct ku_iommu_ioas_unmap {
	uint32_t size;
	uint32_t ioas_id;
	ku_a64 iova;
	ku_a64 length;
};
KU_ASSERT_SIZE(ku_iommu_ioas_unmap, 24);
KU_ASSERT_OFF(ku_iommu_ioas_unmap, ioas_id, 4);
KU_ASSERT_OFF(ku_iommu_ioas_unmap, iova, 8);
KU_ASSERT_OFF(ku_iommu_ioas_unmap, length, 16);

#define KU_IOMMU_OPTION_RLIMIT_MODE	0u
#define KU_IOMMU_OPTION_HUGE_PAGES	1u
#define KU_IOMMU_OPTION_OP_SET		0u
#define KU_IOMMU_OPTION_OP_GET		1u

struct ku_iommu_option {
	uint32_t size;
	uint32_t option_id;
	uint16_t op;
	uint16_t __reserved;
	uint32_t object_id;
	ku_a64 val64;
};
KU_ASSERT_SIZE(ku_iommu_option, 24);
KU_ASSERT_OFF(ku_iommu_option, option_id, 4);
KU_ASSERT_OFF(ku_iommu_option, op, 8);
KU_ASSERT_OFF(ku_iommu_option, __reserved, 10);
KU_ASSERT_OFF(ku_iommu_option, object_id, 12);
KU_ASSERT_OFF(ku_iommu_option, val64, 16);

struct ku_iommu_vfio_ioas {
	uint32_t size;
	uint32_t ioas_id;
	uint16_t op;
	uint16_t __reserved;
};
KU_ASSERT_SIZE(ku_iommu_vfio_ioas, 12);
KU_ASSERT_OFF(ku_iommu_vfio_ioas, ioas_id, 4);
KU_ASSERT_OFF(ku_iommu_vfio_ioas, op, 8);
KU_ASSERT_OFF(ku_iommu_vfio_ioas, __reserved, 10);

/* HWPT alloc flags and data types */
#define KU_IOMMU_HWPT_ALLOC_NEST_PARENT		0x1u
#define KU_IOMMU_HWPT_ALLOC_DIRTY_TRACKING	0x2u
#define KU_IOMMU_HWPT_FAULT_ID_VALID		0x4u
#define KU_IOMMU_HWPT_ALLOC_PASID		0x8u

#define KU_IOMMU_HWPT_DATA_NONE		0u
#define KU_IOMMU_HWPT_DATA_VTD_S1	1u
#define KU_IOMMU_HWPT_DATA_ARM_SMMUV3	2u
#define KU_IOMMU_HWPT_DATA_AMD_GUEST	3u

struct ku_iommu_hwpt_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t dev_id;
	uint32_t pt_id;
	uint32_t out_hwpt_id;
	uint32_t __reserved;
	uint32_t data_type;
	uint32_t data_len;
	ku_a64 data_uptr;
	uint32_t fault_id;
	uint32_t __reserved2;
};
KU_ASSERT_SIZE(ku_iommu_hwpt_alloc, 48);
KU_ASSERT_OFF(ku_iommu_hwpt_alloc, flags, 4);
KU_ASSERT_OFF(ku_iommu_hwpt_alloc, dev_id, 8);
KU_ASSERT_OFF(ku_iommu_hwpt_alloc, pt_id, 12);
KU_ASSERT_OFF(ku_iommu_hwpt_alloc, out_hwpt_id, 16);
KU_ASSERT_OFF(ku_iommu_hwpt_alloc, __reserved, 20);
KU_ASSERT_OFF(ku_iommu_hwpt_alloc, data_type, 24);
KU_ASSERT_OFF(ku_iommu_hwpt_alloc, data_len, 28);
KU_ASSERT_OFF(ku_iommu_hwpt_alloc, data_uptr, 32);
KU_ASSERT_OFF(ku_iommu_hwpt_alloc, fault_id, 40);
KU_ASSERT_OFF(ku_iommu_hwpt_alloc, __reserved2, 44);

/* hw_info types, flags and capability bits */
#define KU_IOMMU_HW_INFO_TYPE_NONE		0u
#define KU_IOMMU_HW_INFO_TYPE_INTEL_VTD		1u
#define KU_IOMMU_HW_INFO_TYPE_ARM_SMMUV3	2u
#define KU_IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV	3u
#define KU_IOMMU_HW_INFO_TYPE_AMD		4u
#define KU_IOMMU_HW_INFO_FLAG_INPUT_TYPE	0x1u

#define KU_IOMMU_HW_CAP_DIRTY_TRACKING		0x1ull
#define KU_IOMMU_HW_CAP_PCI_PASID_EXEC		0x2ull
#define KU_IOMMU_HW_CAP_PCI_PASID_PRIV		0x4ull
#define KU_IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED	0x8ull

struct ku_iommu_hw_info {
	uint32_t size;
	uint32_t flags;
	uint32_t dev_id;
	uint32_t data_len;
	ku_a64 data_uptr;
	uint32_t data_type; /* in_data_type (with INPUT_TYPE) / out_data_type */
	uint8_t out_max_pasid_log2;
	uint8_t __reserved[3];
	ku_a64 out_capabilities;
};
KU_ASSERT_SIZE(ku_iommu_hw_info, 40);
KU_ASSERT_OFF(ku_iommu_hw_info, flags, 4);
KU_ASSERT_OFF(ku_iommu_hw_info, dev_id, 8);
KU_ASSERT_OFF(ku_iommu_hw_info, data_len, 12);
KU_ASSERT_OFF(ku_iommu_hw_info, data_uptr, 16);
KU_ASSERT_OFF(ku_iommu_hw_info, data_type, 24);
KU_ASSERT_OFF(ku_iommu_hw_info, out_max_pasid_log2, 28);
KU_ASSERT_OFF(ku_iommu_hw_info, __reserved, 29);
KU_ASSERT_OFF(ku_iommu_hw_info, out_capabilities, 32);

#define KU_IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 0x1u

struct ku_iommu_hw_info_vtd {
	uint32_t flags;
	uint32_t __reserved;
	ku_a64 cap_reg;
	ku_a64 ecap_reg;
};
KU_ASSERT_SIZE(ku_iommu_hw_info_vtd, 24);
KU_ASSERT_OFF(ku_iommu_hw_info_vtd, __reserved, 4);
KU_ASSERT_OFF(ku_iommu_hw_info_vtd, cap_reg, 8);
KU_ASSERT_OFF(ku_iommu_hw_info_vtd, ecap_reg, 16);

#define KU_IOMMU_HW_INFO_ARM_SMMUV3_ERRATA_REPEAT_TLBI_CFGI 0x1u

struct ku_iommu_hw_info_arm_smmuv3 {
	uint32_t flags;
	uint32_t __reserved;
	uint32_t idr[6];
	uint32_t iidr;
	uint32_t aidr;
};
KU_ASSERT_SIZE(ku_iommu_hw_info_arm_smmuv3, 40);
KU_ASSERT_OFF(ku_iommu_hw_info_arm_smmuv3, __reserved, 4);
KU_ASSERT_OFF(ku_iommu_hw_info_arm_smmuv3, idr, 8);
KU_ASSERT_OFF(ku_iommu_hw_info_arm_smmuv3, iidr, 32);
KU_ASSERT_OFF(ku_iommu_hw_info_arm_smmuv3, aidr, 36);

struct ku_iommu_hw_info_amd {
	ku_a64 efr;
	ku_a64 efr2;
};
KU_ASSERT_SIZE(ku_iommu_hw_info_amd, 16);
KU_ASSERT_OFF(ku_iommu_hw_info_amd, efr2, 8);

#define KU_IOMMU_VTD_S1_SRE	0x1ull
#define KU_IOMMU_VTD_S1_EAFE	0x2ull
#define KU_IOMMU_VTD_S1_WPE	0x4ull

struct ku_iommu_hwpt_vtd_s1 {
	ku_a64 flags;
	ku_a64 pgtbl_addr;
	uint32_t addr_width;
	uint32_t __reserved;
};
KU_ASSERT_SIZE(ku_iommu_hwpt_vtd_s1, 24);
KU_ASSERT_OFF(ku_iommu_hwpt_vtd_s1, pgtbl_addr, 8);
KU_ASSERT_OFF(ku_iommu_hwpt_vtd_s1, addr_width, 16);
KU_ASSERT_OFF(ku_iommu_hwpt_vtd_s1, __reserved, 20);

#define KU_IOMMU_HWPT_DIRTY_TRACKING_ENABLE 0x1u

struct ku_iommu_hwpt_set_dirty_tracking {
	uint32_t size;
	uint32_t flags;
	uint32_t hwpt_id;
	uint32_t __reserved;
};
KU_ASSERT_SIZE(ku_iommu_hwpt_set_dirty_tracking, 16);
KU_ASSERT_OFF(ku_iommu_hwpt_set_dirty_tracking, flags, 4);
KU_ASSERT_OFF(ku_iommu_hwpt_set_dirty_tracking, hwpt_id, 8);
KU_ASSERT_OFF(ku_iommu_hwpt_set_dirty_tracking, __reserved, 12);

#define KU_IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR 0x1u

struct ku_iommu_hwpt_get_dirty_bitmap {
	uint32_t size;
	uint32_t hwpt_id; /* before flags, unlike most commands */
	uint32_t flags;
	uint32_t __reserved;
	ku_a64 iova;
	ku_a64 length;
	ku_a64 page_size;
	ku_a64 data;
};
KU_ASSERT_SIZE(ku_iommu_hwpt_get_dirty_bitmap, 48);
KU_ASSERT_OFF(ku_iommu_hwpt_get_dirty_bitmap, hwpt_id, 4);
KU_ASSERT_OFF(ku_iommu_hwpt_get_dirty_bitmap, flags, 8);
KU_ASSERT_OFF(ku_iommu_hwpt_get_dirty_bitmap, __reserved, 12);
KU_ASSERT_OFF(ku_iommu_hwpt_get_dirty_bitmap, iova, 16);
KU_ASSERT_OFF(ku_iommu_hwpt_get_dirty_bitmap, length, 24);
KU_ASSERT_OFF(ku_iommu_hwpt_get_dirty_bitmap, page_size, 32);
KU_ASSERT_OFF(ku_iommu_hwpt_get_dirty_bitmap, data, 40);

#define KU_IOMMU_HWPT_INVALIDATE_DATA_VTD_S1		0u
#define KU_IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3	1u

struct ku_iommu_hwpt_invalidate {
	uint32_t size;
	uint32_t hwpt_id;
	ku_a64 data_uptr;
	uint32_t data_type;
	uint32_t entry_len;
	uint32_t entry_num;
	uint32_t __reserved;
};
KU_ASSERT_SIZE(ku_iommu_hwpt_invalidate, 32);
KU_ASSERT_OFF(ku_iommu_hwpt_invalidate, hwpt_id, 4);
KU_ASSERT_OFF(ku_iommu_hwpt_invalidate, data_uptr, 8);
KU_ASSERT_OFF(ku_iommu_hwpt_invalidate, data_type, 16);
KU_ASSERT_OFF(ku_iommu_hwpt_invalidate, entry_len, 20);
KU_ASSERT_OFF(ku_iommu_hwpt_invalidate, entry_num, 24);
KU_ASSERT_OFF(ku_iommu_hwpt_invalidate, __reserved, 28);

#define KU_IOMMU_VTD_INV_FLAGS_LEAF 0x1u

struct ku_iommu_hwpt_vtd_s1_invalidate {
	ku_a64 addr;
	ku_a64 npages;
	uint32_t flags;
	uint32_t __reserved;
};
KU_ASSERT_SIZE(ku_iommu_hwpt_vtd_s1_invalidate, 24);
KU_ASSERT_OFF(ku_iommu_hwpt_vtd_s1_invalidate, npages, 8);
KU_ASSERT_OFF(ku_iommu_hwpt_vtd_s1_invalidate, flags, 16);
KU_ASSERT_OFF(ku_iommu_hwpt_vtd_s1_invalidate, __reserved, 20);

struct ku_iommu_fault_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t out_fault_id;
	uint32_t out_fault_fd;
};
KU_ASSERT_SIZE(ku_iommu_fault_alloc, 16);
KU_ASSERT_OFF(ku_iommu_fault_alloc, flags, 4);
KU_ASSERT_OFF(ku_iommu_fault_alloc, out_fault_id, 8);
KU_ASSERT_OFF(ku_iommu_fault_alloc, out_fault_fd, 12);

struct ku_iommu_hwpt_pgfault {
	uint32_t flags;
	uint32_t dev_id;
	uint32_t pasid;
	uint32_t grpid;
	uint32_t perm;
	uint32_t __reserved;
	ku_a64 addr;
	uint32_t length;
	uint32_t cookie;
};
KU_ASSERT_SIZE(ku_iommu_hwpt_pgfault, 40);
KU_ASSERT_OFF(ku_iommu_hwpt_pgfault, dev_id, 4);
KU_ASSERT_OFF(ku_iommu_hwpt_pgfault, pasid, 8);
KU_ASSERT_OFF(ku_iommu_hwpt_pgfault, grpid, 12);
KU_ASSERT_OFF(ku_iommu_hwpt_pgfault, perm, 16);
KU_ASSERT_OFF(ku_iommu_hwpt_pgfault, __reserved, 20);
KU_ASSERT_OFF(ku_iommu_hwpt_pgfault, addr, 24);
KU_ASSERT_OFF(ku_iommu_hwpt_pgfault, length, 32);
KU_ASSERT_OFF(ku_iommu_hwpt_pgfault, cookie, 36);

struct ku_iommu_hwpt_page_response {
	uint32_t cookie;
	uint32_t code;
};
KU_ASSERT_SIZE(ku_iommu_hwpt_page_response, 8);
KU_ASSERT_OFF(ku_iommu_hwpt_page_response, code, 4);

/* ======================================================================
 * VFIO (kernel-uapi.md §2)
 * ====================================================================== */

#define KU_VFIO_GET_API_VERSION		KU_IO(100)
#define KU_VFIO_CHECK_EXTENSION		KU_IO(101)
#define KU_VFIO_SET_IOMMU		KU_IO(102)
#define KU_VFIO_GROUP_GET_STATUS	KU_IO(103)
#define KU_VFIO_GROUP_SET_CONTAINER	KU_IO(104)
#define KU_VFIO_GROUP_UNSET_CONTAINER	KU_IO(105)
#define KU_VFIO_GROUP_GET_DEVICE_FD	KU_IO(106)
#define KU_VFIO_DEVICE_GET_INFO		KU_IO(107)
#define KU_VFIO_DEVICE_GET_REGION_INFO	KU_IO(108)
#define KU_VFIO_DEVICE_RESET		KU_IO(111)
/* container (type-1) fd */
#define KU_VFIO_IOMMU_GET_INFO		KU_IO(112)
#define KU_VFIO_IOMMU_MAP_DMA		KU_IO(113)
#define KU_VFIO_IOMMU_UNMAP_DMA		KU_IO(114)
#define KU_VFIO_IOMMU_DIRTY_PAGES	KU_IO(117)
/* device cdev fd */
#define KU_VFIO_DEVICE_FEATURE		KU_IO(117)
#define KU_VFIO_DEVICE_BIND_IOMMUFD	KU_IO(118)
#define KU_VFIO_DEVICE_ATTACH_IOMMUFD_PT KU_IO(119)
#define KU_VFIO_DEVICE_DETACH_IOMMUFD_PT KU_IO(120)

#define KU_VFIO_API_VERSION		0

/* extensions */
#define KU_VFIO_TYPE1_IOMMU		1
#define KU_VFIO_SPAPR_TCE_IOMMU		2
#define KU_VFIO_TYPE1v2_IOMMU		3
#define KU_VFIO_DMA_CC_IOMMU		4
#define KU_VFIO_NOIOMMU_IOMMU		8
#define KU_VFIO_UNMAP_ALL		9
#define KU_VFIO_UPDATE_VADDR		10

#define KU_VFIO_DEVICE_BIND_FLAG_TOKEN	0x1u

struct ku_vfio_device_bind_iommufd {
	uint32_t argsz;
	uint32_t flags;
	int32_t iommufd;
	uint32_t out_devid;
	ku_a64 token_uuid_ptr;
};
KU_ASSERT_SIZE(ku_vfio_device_bind_iommufd, 24);
KU_ASSERT_OFF(ku_vfio_device_bind_iommufd, flags, 4);
KU_ASSERT_OFF(ku_vfio_device_bind_iommufd, iommufd, 8);
KU_ASSERT_OFF(ku_vfio_device_bind_iommufd, out_devid, 12);
KU_ASSERT_OFF(ku_vfio_device_bind_iommufd, token_uuid_ptr, 16);
/* what a kernel without FLAG_TOKEN (6.6 .. 6.16) reads */
#define KU_VFIO_DEVICE_BIND_MINSZ 16u

#define KU_VFIO_DEVICE_ATTACH_PASID	0x1u

struct ku_vfio_device_attach_iommufd_pt {
	uint32_t argsz;
	uint32_t flags;
	uint32_t pt_id;
	uint32_t pasid;
};
KU_ASSERT_SIZE(ku_vfio_device_attach_iommufd_pt, 16);
KU_ASSERT_OFF(ku_vfio_device_attach_iommufd_pt, flags, 4);
KU_ASSERT_OFF(ku_vfio_device_attach_iommufd_pt, pt_id, 8);
KU_ASSERT_OFF(ku_vfio_device_attach_iommufd_pt, pasid, 12);

#define KU_VFIO_DEVICE_DETACH_PASID	0x1u

struct ku_vfio_device_detach_iommufd_pt {
	uint32_t argsz;
	uint32_t flags;
	uint32_t pasid;
};
KU_ASSERT_SIZE(ku_vfio_device_detach_iommufd_pt, 12);
KU_ASSERT_OFF(ku_vfio_device_detach_iommufd_pt, flags, 4);
KU_ASSERT_OFF(ku_vfio_device_detach_iommufd_pt, pasid, 8);

#define KU_VFIO_DEVICE_FLAGS_RESET	0x1u
#define KU_VFIO_DEVICE_FLAGS_PCI	0x2u
#define KU_VFIO_DEVICE_FLAGS_CAPS	0x80u

struct ku_vfio_device_info {
	uint32_t argsz;
	uint32_t flags;
	uint32_t num_regions;
	uint32_t num_irqs;
	uint32_t cap_offset;
	uint32_t pad;
};
KU_ASSERT_SIZE(ku_vfio_device_info, 24);
KU_ASSERT_OFF(ku_vfio_device_info, flags, 4);
KU_ASSERT_OFF(ku_vfio_device_info, num_regions, 8);
KU_ASSERT_OFF(ku_vfio_device_info, num_irqs, 12);
KU_ASSERT_OFF(ku_vfio_device_info, cap_offset, 16);
KU_ASSERT_OFF(ku_vfio_device_info, pad, 20);

struct ku_vfio_info_cap_header {
	uint16_t id;
	uint16_t version;
	uint32_t next;
};
KU_ASSERT_SIZE(ku_vfio_info_cap_header, 8);
KU_ASSERT_OFF(ku_vfio_info_cap_header, version, 2);
KU_ASSERT_OFF(ku_vfio_info_cap_header, next, 4);

#define KU_VFIO_GROUP_FLAGS_VIABLE		0x1u
#define KU_VFIO_GROUP_FLAGS_CONTAINER_SET	0x2u

struct ku_vfio_group_status {
	uint32_t argsz;
	uint32_t flags;
};
KU_ASSERT_SIZE(ku_vfio_group_status, 8);
KU_ASSERT_OFF(ku_vfio_group_status, flags, 4);

#define KU_VFIO_IOMMU_INFO_PGSIZES	0x1u
#define KU_VFIO_IOMMU_INFO_CAPS		0x2u

struct ku_vfio_iommu_type1_info {
	uint32_t argsz;
	uint32_t flags;
	ku_a64 iova_pgsizes;
	uint32_t cap_offset;
	uint32_t pad;
};
KU_ASSERT_SIZE(ku_vfio_iommu_type1_info, 24);
KU_ASSERT_OFF(ku_vfio_iommu_type1_info, flags, 4);
KU_ASSERT_OFF(ku_vfio_iommu_type1_info, iova_pgsizes, 8);
KU_ASSERT_OFF(ku_vfio_iommu_type1_info, cap_offset, 16);
KU_ASSERT_OFF(ku_vfio_iommu_type1_info, pad, 20);

#define KU_VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE	1u
#define KU_VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION	2u
#define KU_VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL	3u

/* both ends inclusive; the kernel declares them plain __u64 */
struct ku_vfio_iova_range {
	ku_u64 start;
	ku_u64 end;
};
KU_ASSERT_SIZE(ku_vfio_iova_range, 16);
KU_ASSERT_OFF(ku_vfio_iova_range, end, 8);

struct ku_vfio_iommu_type1_info_cap_iova_range {
	struct ku_vfio_info_cap_header header;
	uint32_t nr_iovas;
	uint32_t reserved;
	struct ku_vfio_iova_range iova_ranges[];
};
KU_ASSERT_SIZE(ku_vfio_iommu_type1_info_cap_iova_range, 16);
KU_ASSERT_OFF(ku_vfio_iommu_type1_info_cap_iova_range, nr_iovas, 8);
KU_ASSERT_OFF(ku_vfio_iommu_type1_info_cap_iova_range, reserved, 12);
KU_ASSERT_OFF(ku_vfio_iommu_type1_info_cap_iova_range, iova_ranges, 16);

/* 32 bytes on LP64, 28 on i386 (kernel-uapi.md §2.6) */
struct ku_vfio_iommu_type1_info_cap_migration {
	struct ku_vfio_info_cap_header header;
	uint32_t flags;
	ku_u64 pgsize_bitmap;
	ku_u64 max_dirty_bitmap_size;
};
#if defined(__x86_64__) || defined(__aarch64__) || defined(__powerpc64__) || \
	(defined(__riscv) && __riscv_xlen == 64)
KU_ASSERT_SIZE(ku_vfio_iommu_type1_info_cap_migration, 32);
KU_ASSERT_OFF(ku_vfio_iommu_type1_info_cap_migration, pgsize_bitmap, 16);
KU_ASSERT_OFF(ku_vfio_iommu_type1_info_cap_migration, max_dirty_bitmap_size, 24);
#elif defined(__i386__)
KU_ASSERT_SIZE(ku_vfio_iommu_type1_info_cap_migration, 28);
KU_ASSERT_OFF(ku_vfio_iommu_type1_info_cap_migration, pgsize_bitmap, 12);
#endif
KU_ASSERT_OFF(ku_vfio_iommu_type1_info_cap_migration, flags, 8);

struct ku_vfio_iommu_type1_info_dma_avail {
	struct ku_vfio_info_cap_header header;
	uint32_t avail;
};
KU_ASSERT_SIZE(ku_vfio_iommu_type1_info_dma_avail, 12);
KU_ASSERT_OFF(ku_vfio_iommu_type1_info_dma_avail, avail, 8);

#define KU_VFIO_DMA_MAP_FLAG_READ	0x1u
#define KU_VFIO_DMA_MAP_FLAG_WRITE	0x2u
#define KU_VFIO_DMA_MAP_FLAG_VADDR	0x4u

struct ku_vfio_iommu_type1_dma_map {
	uint32_t argsz;
	uint32_t flags;
	ku_u64 vaddr;
	ku_u64 iova;
	ku_u64 size;
};
#ifndef __i386__
KU_ASSERT_SIZE(ku_vfio_iommu_type1_dma_map, 32);
#endif
KU_ASSERT_OFF(ku_vfio_iommu_type1_dma_map, flags, 4);
KU_ASSERT_OFF(ku_vfio_iommu_type1_dma_map, vaddr, 8);
KU_ASSERT_OFF(ku_vfio_iommu_type1_dma_map, iova, 16);
KU_ASSERT_OFF(ku_vfio_iommu_type1_dma_map, size, 24);

#define KU_VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP	0x1u
#define KU_VFIO_DMA_UNMAP_FLAG_ALL		0x2u
#define KU_VFIO_DMA_UNMAP_FLAG_VADDR		0x4u

struct ku_vfio_iommu_type1_dma_unmap {
	uint32_t argsz;
	uint32_t flags;
	ku_u64 iova;
	ku_u64 size;
};
#ifndef __i386__
KU_ASSERT_SIZE(ku_vfio_iommu_type1_dma_unmap, 24);
#endif
KU_ASSERT_OFF(ku_vfio_iommu_type1_dma_unmap, flags, 4);
KU_ASSERT_OFF(ku_vfio_iommu_type1_dma_unmap, iova, 8);
KU_ASSERT_OFF(ku_vfio_iommu_type1_dma_unmap, size, 16);

/* ======================================================================
 * File and dma-buf maps (issue 12): a BAR exported as a dma-buf,
 * VFIO_DEVICE_FEATURE GET of DMA_BUF on the device fd (kernel-uapi.md
 * §2.3): the feature header, then the request with its one range.
 * ====================================================================== */

#define KU_VFIO_DEVICE_FEATURE_GET 0x10000u
#define KU_VFIO_DEVICE_FEATURE_DMA_BUF 11u

struct ku_vfio_device_feature {
	uint32_t argsz;
	uint32_t flags;
	/* data[] follows */
};
KU_ASSERT_SIZE(ku_vfio_device_feature, 8);

struct ku_vfio_region_dma_range {
	uint64_t offset;
	uint64_t length;
};
KU_ASSERT_SIZE(ku_vfio_region_dma_range, 16);

struct ku_vfio_device_feature_dma_buf {
	uint32_t region_index;
	uint32_t open_flags;
	uint32_t flags;
	uint32_t nr_ranges;
	/* dma_ranges[] follows */
};
KU_ASSERT_SIZE(ku_vfio_device_feature_dma_buf, 16);
KU_ASSERT_OFF(ku_vfio_device_feature_dma_buf, open_flags, 4);
KU_ASSERT_OFF(ku_vfio_device_feature_dma_buf, flags, 8);
KU_ASSERT_OFF(ku_vfio_device_feature_dma_buf, nr_ranges, 12);

/* ======================================================================
 * Live update (issue 12, kernel-uapi.md §1.9): IOMMU_IOAS_CHANGE_PROCESS
 * moves the pin charges of every file map of every IOAS of the iommufd to
 * the calling process.
 * ====================================================================== */

#define KU_IOMMU_IOAS_CHANGE_PROCESS	KU_IO(0x92)

struct ku_iommu_ioas_change_process {
	uint32_t size;
	uint32_t __reserved; /* must be 0: EOPNOTSUPP otherwise */
};
KU_ASSERT_SIZE(ku_iommu_ioas_change_process, 8);
KU_ASSERT_OFF(ku_iommu_ioas_change_process, __reserved, 4);
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || \
	defined(__arm__) || defined(__riscv)
_Static_assert(KU_IOMMU_IOAS_CHANGE_PROCESS == 0x3b92, "IOMMU_IOAS_CHANGE_PROCESS");
#endif

/* ======================================================================
 * The kernel's iommufd selftest (CONFIG_IOMMUFD_TEST kernels only): just
 * what the library's test device needs (see backend/iommufd/selftest.c). The
 * VM test compares this with the kernel's iommufd_test.h.
 * ====================================================================== */

#define KU_IOMMU_TEST_CMD		KU_IO(0x80 + 32)
#define KU_IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE	10u
#define KU_IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS	12u
#define KU_IOMMU_TEST_OP_DIRTY			13u
#define KU_IOMMU_TEST_OP_DEV_CHECK_CACHE	16u
#define KU_IOMMU_TEST_OP_TRIGGER_VEVENT		17u
#define KU_IOMMU_TEST_OP_PASID_ATTACH		18u
#define KU_IOMMU_TEST_OP_PASID_REPLACE		19u
#define KU_IOMMU_TEST_OP_PASID_DETACH		20u
#define KU_MOCK_FLAGS_DEVICE_NO_DIRTY		0x1u
#define KU_MOCK_FLAGS_DEVICE_PASID		0x4u
#define KU_IOMMU_HW_INFO_TYPE_SELFTEST		0xfeedbeefu

struct ku_iommu_test_cmd {
	uint32_t size;
	uint32_t op;
	uint32_t id;
	uint32_t __reserved;
	union {
		struct {
			uint32_t out_stdev_id;
			uint32_t out_hwpt_id;
			uint32_t out_idev_id;
			uint32_t dev_flags;
		} mock_domain_flags;
		struct {
			uint32_t pt_id;
		} mock_domain_replace;
		struct {
			uint32_t pasid;
			uint32_t pt_id;
		} pasid_attach; /* also PASID_REPLACE */
		struct {
			uint32_t id;
			uint32_t cache;
		} check_dev_cache;
		struct {
			uint32_t dev_id;
		} trigger_vevent;
		struct {
			uint32_t pasid;
		} pasid_detach;
		struct {
			uint32_t flags;
			ku_a64 iova;
			ku_a64 length;
			ku_a64 page_size;
			ku_a64 uptr;
			ku_a64 out_nr_dirty;
		} dirty;
		uint8_t __space[48];
	};
	uint32_t last;
};
KU_ASSERT_SIZE(ku_iommu_test_cmd, 72);
KU_ASSERT_OFF(ku_iommu_test_cmd, mock_domain_flags.dev_flags, 28);
KU_ASSERT_OFF(ku_iommu_test_cmd, dirty.iova, 24);
KU_ASSERT_OFF(ku_iommu_test_cmd, dirty.out_nr_dirty, 56);
KU_ASSERT_OFF(ku_iommu_test_cmd, last, 64);

/* ----------------------------------------------------------------------
 * vIOMMU objects (Linux 6.13+; kernel-uapi.md §1.8): vIOMMU, vDEVICE,
 * vEVENTQ, HW queue, and the nested HWPTs and invalidations sent to them.
 * ---------------------------------------------------------------------- */

#define KU_IOMMU_VIOMMU_ALLOC		KU_IO(0x90)
#define KU_IOMMU_VDEVICE_ALLOC		KU_IO(0x91)
#define KU_IOMMU_VEVENTQ_ALLOC		KU_IO(0x93)
#define KU_IOMMU_HW_QUEUE_ALLOC		KU_IO(0x94)

#define KU_IOMMU_VIOMMU_TYPE_ARM_SMMUV3		1u
#define KU_IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV	2u
#define KU_IOMMU_VIOMMU_TYPE_SELFTEST		0xdeadbeefu
#define KU_IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST	0xdeadbeefu
#define KU_IOMMU_HWPT_DATA_SELFTEST		0xdeadu
#define KU_IOMMU_VEVENTQ_TYPE_ARM_SMMUV3	1u
#define KU_IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV	2u
#define KU_IOMMU_VEVENTQ_TYPE_SELFTEST		0xbeefbeefu
#define KU_IOMMU_VEVENTQ_FLAG_LOST_EVENTS	0x1u
#define KU_IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV	1u
#define KU_IOMMU_HW_QUEUE_TYPE_SELFTEST		0xdeadbeefu

struct ku_iommu_viommu_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t type;
	uint32_t dev_id;
	uint32_t hwpt_id;
	uint32_t out_viommu_id;
	uint32_t data_len;
	uint32_t __reserved;
	ku_a64 data_uptr;
};
KU_ASSERT_SIZE(ku_iommu_viommu_alloc, 40);
KU_ASSERT_OFF(ku_iommu_viommu_alloc, type, 8);
KU_ASSERT_OFF(ku_iommu_viommu_alloc, hwpt_id, 16);
KU_ASSERT_OFF(ku_iommu_viommu_alloc, out_viommu_id, 20);
KU_ASSERT_OFF(ku_iommu_viommu_alloc, data_len, 24);
KU_ASSERT_OFF(ku_iommu_viommu_alloc, data_uptr, 32);

struct ku_iommu_vdevice_alloc {
	uint32_t size;
	uint32_t viommu_id;
	uint32_t dev_id;
	uint32_t out_vdevice_id;
	ku_a64 virt_id;
};
KU_ASSERT_SIZE(ku_iommu_vdevice_alloc, 24);
KU_ASSERT_OFF(ku_iommu_vdevice_alloc, out_vdevice_id, 12);
KU_ASSERT_OFF(ku_iommu_vdevice_alloc, virt_id, 16);

struct ku_iommu_veventq_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t viommu_id;
	uint32_t type;
	uint32_t veventq_depth;
	uint32_t out_veventq_id;
	uint32_t out_veventq_fd;
	uint32_t __reserved;
};
KU_ASSERT_SIZE(ku_iommu_veventq_alloc, 32);
KU_ASSERT_OFF(ku_iommu_veventq_alloc, veventq_depth, 16);
KU_ASSERT_OFF(ku_iommu_veventq_alloc, out_veventq_fd, 24);

/* What a read() of a vEVENTQ fd yields: this header, then the type's record. */
struct ku_iommufd_vevent_header {
	uint32_t flags;
	uint32_t sequence;
};
KU_ASSERT_SIZE(ku_iommufd_vevent_header, 8);

struct ku_iommu_hw_queue_alloc {
	uint32_t size;
	uint32_t flags;
	uint32_t viommu_id;
	uint32_t type;
	uint32_t index;
	uint32_t out_hw_queue_id;
	ku_a64 nesting_parent_iova;
	ku_a64 length;
};
KU_ASSERT_SIZE(ku_iommu_hw_queue_alloc, 40);
KU_ASSERT_OFF(ku_iommu_hw_queue_alloc, index, 16);
KU_ASSERT_OFF(ku_iommu_hw_queue_alloc, nesting_parent_iova, 24);
KU_ASSERT_OFF(ku_iommu_hw_queue_alloc, length, 32);

/* Type-specific records (little-endian words) */
struct ku_iommu_hwpt_arm_smmuv3 {
	ku_a64 ste[2];
};
KU_ASSERT_SIZE(ku_iommu_hwpt_arm_smmuv3, 16);
struct ku_iommu_hwpt_amd_guest {
	ku_a64 dte[4];
};
KU_ASSERT_SIZE(ku_iommu_hwpt_amd_guest, 32);
struct ku_iommu_viommu_arm_smmuv3_invalidate {
	ku_a64 cmd[2];
};
KU_ASSERT_SIZE(ku_iommu_viommu_arm_smmuv3_invalidate, 16);
struct ku_iommu_vevent_arm_smmuv3 {
	ku_a64 evt[4];
};
KU_ASSERT_SIZE(ku_iommu_vevent_arm_smmuv3, 32);

/* The kernel's mock driver (CONFIG_IOMMUFD_TEST), iommufd_test.h */
struct ku_iommu_viommu_selftest {
	uint32_t in_data;
	uint32_t out_data;
	ku_a64 out_mmap_offset;
	ku_a64 out_mmap_length;
};
KU_ASSERT_SIZE(ku_iommu_viommu_selftest, 24);
struct ku_iommu_hwpt_selftest {
	uint32_t iotlb;
	uint32_t pagetable_type;
};
KU_ASSERT_SIZE(ku_iommu_hwpt_selftest, 8);
struct ku_iommu_viommu_invalidate_selftest {
	uint32_t flags;
	uint32_t vdev_id;
	uint32_t cache_id;
};
KU_ASSERT_SIZE(ku_iommu_viommu_invalidate_selftest, 12);
struct ku_iommu_viommu_event_selftest {
	uint32_t virt_id;
};
KU_ASSERT_SIZE(ku_iommu_viommu_event_selftest, 4);
#define KU_IOMMU_TEST_INVALIDATE_FLAG_ALL	0x1u
#define KU_IOMMU_TEST_IOTLB_DEFAULT		0xbadbeefu
#define KU_IOMMU_TEST_DEV_CACHE_DEFAULT		0xbaddadu
#define KU_IOMMU_TEST_HW_QUEUE_MAX		2u

/* The asm-generic encoding (kernel-uapi.md §0): nr in the low byte. */
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || \
	defined(__arm__) || defined(__riscv)
_Static_assert(KU_IOMMU_DESTROY == 0x3b80, "IOMMU_DESTROY");
_Static_assert(KU_IOMMU_IOAS_MAP == 0x3b85, "IOMMU_IOAS_MAP");
_Static_assert(KU_IOMMU_GET_HW_INFO == 0x3b8a, "IOMMU_GET_HW_INFO");
_Static_assert(KU_IOMMU_HWPT_INVALIDATE == 0x3b8d, "IOMMU_HWPT_INVALIDATE");
_Static_assert(KU_IOMMU_IOAS_MAP_FILE == 0x3b8f, "IOMMU_IOAS_MAP_FILE");
_Static_assert(KU_IOMMU_VIOMMU_ALLOC == 0x3b90, "IOMMU_VIOMMU_ALLOC");
_Static_assert(KU_IOMMU_HW_QUEUE_ALLOC == 0x3b94, "IOMMU_HW_QUEUE_ALLOC");
_Static_assert(KU_VFIO_GET_API_VERSION == 0x3b64, "VFIO_GET_API_VERSION");
_Static_assert(KU_VFIO_GROUP_GET_DEVICE_FD == 0x3b6a, "VFIO_GROUP_GET_DEVICE_FD");
_Static_assert(KU_VFIO_DEVICE_GET_INFO == 0x3b6b, "VFIO_DEVICE_GET_INFO");
_Static_assert(KU_VFIO_IOMMU_GET_INFO == 0x3b70, "VFIO_IOMMU_GET_INFO");
_Static_assert(KU_VFIO_IOMMU_MAP_DMA == 0x3b71, "VFIO_IOMMU_MAP_DMA");
_Static_assert(KU_VFIO_IOMMU_UNMAP_DMA == 0x3b72, "VFIO_IOMMU_UNMAP_DMA");
_Static_assert(KU_VFIO_DEVICE_BIND_IOMMUFD == 0x3b76, "VFIO_DEVICE_BIND_IOMMUFD");
_Static_assert(KU_VFIO_DEVICE_ATTACH_IOMMUFD_PT == 0x3b77, "ATTACH_IOMMUFD_PT");
_Static_assert(KU_VFIO_DEVICE_DETACH_IOMMUFD_PT == 0x3b78, "DETACH_IOMMUFD_PT");
#endif

#endif /* IOASID_KU_UAPI_H */
