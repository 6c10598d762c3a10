/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Our hand-written uapi (lib/linux/uapi.h) beside the test
 * kernel's own <linux/iommufd.h> and <linux/vfio.h>: every size, every
 * field offset and field size, every request number and every constant we
 * use must be equal. Compiled against $KDIR/headers/include and run in the
 * VM (it needs nothing from the kernel at run time, but it runs where the
 * headers' kernel runs).
 */
#include <stddef.h>
#include <stdio.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include <ioasid/ioasid.h>

#include "linux/uapi.h"

/* One comparison: ours against the kernel's. */
struct cmp {
	const char *what;
	unsigned long long ours, theirs;
};

/* A table entry: what, ours, the kernel's. */
#define CMP(...)            \
	{                   \
		__VA_ARGS__ \
	}
#define FSIZE(type, f) sizeof(((struct type *)0)->f)
#define SIZE(o, k) CMP("sizeof " #k, sizeof(struct o), sizeof(struct k))
#define FIELD2(o, of, k, kf)                                                         \
	CMP("offsetof " #k "." #kf, offsetof(struct o, of), offsetof(struct k, kf)), \
		CMP("sizeof " #k "." #kf, FSIZE(o, of), FSIZE(k, kf))
#define FIELD(o, k, f) FIELD2(o, f, k, f)
#define VAL(o, k) CMP(#k, (unsigned long long)(o), (unsigned long long)(k))

/* iommufd (<linux/iommufd.h>) */
static const struct cmp iommufd[] = {
	SIZE(ku_iommu_destroy, iommu_destroy),
	FIELD(ku_iommu_destroy, iommu_destroy, size),
	FIELD(ku_iommu_destroy, iommu_destroy, id),

	SIZE(ku_iommu_ioas_alloc, iommu_ioas_alloc),
	FIELD(ku_iommu_ioas_alloc, iommu_ioas_alloc, size),
	FIELD(ku_iommu_ioas_alloc, iommu_ioas_alloc, flags),
	FIELD(ku_iommu_ioas_alloc, iommu_ioas_alloc, out_ioas_id),

	SIZE(ku_iommu_iova_range, iommu_iova_range),
	FIELD(ku_iommu_iova_range, iommu_iova_range, start),
	FIELD(ku_iommu_iova_range, iommu_iova_range, last),

	SIZE(ku_iommu_ioas_iova_ranges, iommu_ioas_iova_ranges),
	FIELD(ku_iommu_ioas_iova_ranges, iommu_ioas_iova_ranges, size),
	FIELD(ku_iommu_ioas_iova_ranges, iommu_ioas_iova_ranges, ioas_id),
	FIELD(ku_iommu_ioas_iova_ranges, iommu_ioas_iova_ranges, num_iovas),
	FIELD(ku_iommu_ioas_iova_ranges, iommu_ioas_iova_ranges, __reserved),
	FIELD(ku_iommu_ioas_iova_ranges, iommu_ioas_iova_ranges, allowed_iovas),
	FIELD(ku_iommu_ioas_iova_ranges, iommu_ioas_iova_ranges, out_iova_alignment),

	SIZE(ku_iommu_ioas_allow_iovas, iommu_ioas_allow_iovas),
	FIELD(ku_iommu_ioas_allow_iovas, iommu_ioas_allow_iovas, size),
	FIELD(ku_iommu_ioas_allow_iovas, iommu_ioas_allow_iovas, ioas_id),
	FIELD(ku_iommu_ioas_allow_iovas, iommu_ioas_allow_iovas, num_iovas),
	FIELD(ku_iommu_ioas_allow_iovas, iommu_ioas_allow_iovas, __reserved),
	FIELD(ku_iommu_ioas_allow_iovas, iommu_ioas_allow_iovas, allowed_iovas),

	SIZE(ku_iommu_ioas_map, iommu_ioas_map),
	FIELD(ku_iommu_ioas_map, iommu_ioas_map, size),
	FIELD(ku_iommu_ioas_map, iommu_ioas_map, flags),
	FIELD(ku_iommu_ioas_map, iommu_ioas_map, ioas_id),
	FIELD(ku_iommu_ioas_map, iommu_ioas_map, __reserved),
	FIELD(ku_iommu_ioas_map, iommu_ioas_map, user_va),
	FIELD(ku_iommu_ioas_map, iommu_ioas_map, length),
	FIELD(ku_iommu_ioas_map, iommu_ioas_map, iova),

	SIZE(ku_iommu_ioas_map_file, iommu_ioas_map_file),
	FIELD(ku_iommu_ioas_map_file, iommu_ioas_map_file, size),
	FIELD(ku_iommu_ioas_map_file, iommu_ioas_map_file, flags),
	FIELD(ku_iommu_ioas_map_file, iommu_ioas_map_file, ioas_id),
	FIELD(ku_iommu_ioas_map_file, iommu_ioas_map_file, fd),
	FIELD(ku_iommu_ioas_map_file, iommu_ioas_map_file, start),
	FIELD(ku_iommu_ioas_map_file, iommu_ioas_map_file, length),
	FIELD(ku_iommu_ioas_map_file, iommu_ioas_map_file, iova),

	SIZE(ku_iommu_ioas_copy, iommu_ioas_copy),
	FIELD(ku_iommu_ioas_copy, iommu_ioas_copy, size),
	FIELD(ku_iommu_ioas_copy, iommu_ioas_copy, flags),
	FIELD(ku_iommu_ioas_copy, iommu_ioas_copy, dst_ioas_id),
	FIELD(ku_iommu_ioas_copy, iommu_ioas_copy, src_ioas_id),
	FIELD(ku_iommu_ioas_copy, iommu_ioas_copy, length),
	FIELD(ku_iommu_ioas_copy, iommu_ioas_copy, dst_iova),
	FIELD(ku_iommu_ioas_copy, iommu_ioas_copy, src_iova),

	SIZE(ku_iommu_ioas_unmap, iommu_ioas_unmap),
	FIELD(ku_iommu_ioas_unmap, iommu_ioas_unmap, size),
	FIELD(ku_iommu_ioas_unmap, iommu_ioas_unmap, ioas_id),
	FIELD(ku_iommu_ioas_unmap, iommu_ioas_unmap, iova),
	FIELD(ku_iommu_ioas_unmap, iommu_ioas_unmap, length),

	SIZE(ku_iommu_ioas_change_process, iommu_ioas_change_process),
	FIELD(ku_iommu_ioas_change_process, iommu_ioas_change_process, size),
	FIELD(ku_iommu_ioas_change_process, iommu_ioas_change_process, __reserved),

	SIZE(ku_iommu_option, iommu_option),
	FIELD(ku_iommu_option, iommu_option, size),
	FIELD(ku_iommu_option, iommu_option, option_id),
	FIELD(ku_iommu_option, iommu_option, op),
	FIELD(ku_iommu_option, iommu_option, __reserved),
	FIELD(ku_iommu_option, iommu_option, object_id),
	FIELD(ku_iommu_option, iommu_option, val64),

	SIZE(ku_iommu_vfio_ioas, iommu_vfio_ioas),
	FIELD(ku_iommu_vfio_ioas, iommu_vfio_ioas, size),
	FIELD(ku_iommu_vfio_ioas, iommu_vfio_ioas, ioas_id),
	FIELD(ku_iommu_vfio_ioas, iommu_vfio_ioas, op),
	FIELD(ku_iommu_vfio_ioas, iommu_vfio_ioas, __reserved),

	SIZE(ku_iommu_hwpt_alloc, iommu_hwpt_alloc),
	FIELD(ku_iommu_hwpt_alloc, iommu_hwpt_alloc, size),
	FIELD(ku_iommu_hwpt_alloc, iommu_hwpt_alloc, flags),
	FIELD(ku_iommu_hwpt_alloc, iommu_hwpt_alloc, dev_id),
	FIELD(ku_iommu_hwpt_alloc, iommu_hwpt_alloc, pt_id),
	FIELD(ku_iommu_hwpt_alloc, iommu_hwpt_alloc, out_hwpt_id),
	FIELD(ku_iommu_hwpt_alloc, iommu_hwpt_alloc, __reserved),
	FIELD(ku_iommu_hwpt_alloc, iommu_hwpt_alloc, data_type),
	FIELD(ku_iommu_hwpt_alloc, iommu_hwpt_alloc, data_len),
	FIELD(ku_iommu_hwpt_alloc, iommu_hwpt_alloc, data_uptr),
	FIELD(ku_iommu_hwpt_alloc, iommu_hwpt_alloc, fault_id),
	FIELD(ku_iommu_hwpt_alloc, iommu_hwpt_alloc, __reserved2),

	SIZE(ku_iommu_hw_info, iommu_hw_info),
	FIELD(ku_iommu_hw_info, iommu_hw_info, size),
	FIELD(ku_iommu_hw_info, iommu_hw_info, flags),
	FIELD(ku_iommu_hw_info, iommu_hw_info, dev_id),
	FIELD(ku_iommu_hw_info, iommu_hw_info, data_len),
	FIELD(ku_iommu_hw_info, iommu_hw_info, data_uptr),
	FIELD2(ku_iommu_hw_info, data_type, iommu_hw_info, out_data_type),
	FIELD2(ku_iommu_hw_info, data_type, iommu_hw_info, in_data_type),
	FIELD(ku_iommu_hw_info, iommu_hw_info, out_max_pasid_log2),
	FIELD(ku_iommu_hw_info, iommu_hw_info, __reserved),
	FIELD(ku_iommu_hw_info, iommu_hw_info, out_capabilities),

	SIZE(ku_iommu_hw_info_vtd, iommu_hw_info_vtd),
	FIELD(ku_iommu_hw_info_vtd, iommu_hw_info_vtd, flags),
	FIELD(ku_iommu_hw_info_vtd, iommu_hw_info_vtd, __reserved),
	FIELD(ku_iommu_hw_info_vtd, iommu_hw_info_vtd, cap_reg),
	FIELD(ku_iommu_hw_info_vtd, iommu_hw_info_vtd, ecap_reg),

	SIZE(ku_iommu_hw_info_arm_smmuv3, iommu_hw_info_arm_smmuv3),
	FIELD(ku_iommu_hw_info_arm_smmuv3, iommu_hw_info_arm_smmuv3, flags),
	FIELD(ku_iommu_hw_info_arm_smmuv3, iommu_hw_info_arm_smmuv3, __reserved),
	FIELD(ku_iommu_hw_info_arm_smmuv3, iommu_hw_info_arm_smmuv3, idr),
	FIELD(ku_iommu_hw_info_arm_smmuv3, iommu_hw_info_arm_smmuv3, iidr),
	FIELD(ku_iommu_hw_info_arm_smmuv3, iommu_hw_info_arm_smmuv3, aidr),

	SIZE(ku_iommu_hw_info_amd, iommu_hw_info_amd),
	FIELD(ku_iommu_hw_info_amd, iommu_hw_info_amd, efr),
	FIELD(ku_iommu_hw_info_amd, iommu_hw_info_amd, efr2),

	SIZE(ku_iommu_hwpt_vtd_s1, iommu_hwpt_vtd_s1),
	FIELD(ku_iommu_hwpt_vtd_s1, iommu_hwpt_vtd_s1, flags),
	FIELD(ku_iommu_hwpt_vtd_s1, iommu_hwpt_vtd_s1, pgtbl_addr),
	FIELD(ku_iommu_hwpt_vtd_s1, iommu_hwpt_vtd_s1, addr_width),
	FIELD(ku_iommu_hwpt_vtd_s1, iommu_hwpt_vtd_s1, __reserved),

	SIZE(ku_iommu_hwpt_set_dirty_tracking, iommu_hwpt_set_dirty_tracking),
	FIELD(ku_iommu_hwpt_set_dirty_tracking, iommu_hwpt_set_dirty_tracking, size),
	FIELD(ku_iommu_hwpt_set_dirty_tracking, iommu_hwpt_set_dirty_tracking, flags),
	FIELD(ku_iommu_hwpt_set_dirty_tracking, iommu_hwpt_set_dirty_tracking, hwpt_id),
	FIELD(ku_iommu_hwpt_set_dirty_tracking, iommu_hwpt_set_dirty_tracking, __reserved),

	SIZE(ku_iommu_hwpt_get_dirty_bitmap, iommu_hwpt_get_dirty_bitmap),
	FIELD(ku_iommu_hwpt_get_dirty_bitmap, iommu_hwpt_get_dirty_bitmap, size),
	FIELD(ku_iommu_hwpt_get_dirty_bitmap, iommu_hwpt_get_dirty_bitmap, hwpt_id),
	FIELD(ku_iommu_hwpt_get_dirty_bitmap, iommu_hwpt_get_dirty_bitmap, flags),
	FIELD(ku_iommu_hwpt_get_dirty_bitmap, iommu_hwpt_get_dirty_bitmap, __reserved),
	FIELD(ku_iommu_hwpt_get_dirty_bitmap, iommu_hwpt_get_dirty_bitmap, iova),
	FIELD(ku_iommu_hwpt_get_dirty_bitmap, iommu_hwpt_get_dirty_bitmap, length),
	FIELD(ku_iommu_hwpt_get_dirty_bitmap, iommu_hwpt_get_dirty_bitmap, page_size),
	FIELD(ku_iommu_hwpt_get_dirty_bitmap, iommu_hwpt_get_dirty_bitmap, data),

	SIZE(ku_iommu_hwpt_invalidate, iommu_hwpt_invalidate),
	FIELD(ku_iommu_hwpt_invalidate, iommu_hwpt_invalidate, size),
	FIELD(ku_iommu_hwpt_invalidate, iommu_hwpt_invalidate, hwpt_id),
	FIELD(ku_iommu_hwpt_invalidate, iommu_hwpt_invalidate, data_uptr),
	FIELD(ku_iommu_hwpt_invalidate, iommu_hwpt_invalidate, data_type),
	FIELD(ku_iommu_hwpt_invalidate, iommu_hwpt_invalidate, entry_len),
	FIELD(ku_iommu_hwpt_invalidate, iommu_hwpt_invalidate, entry_num),
	FIELD(ku_iommu_hwpt_invalidate, iommu_hwpt_invalidate, __reserved),

	SIZE(ku_iommu_hwpt_vtd_s1_invalidate, iommu_hwpt_vtd_s1_invalidate),
	FIELD(ku_iommu_hwpt_vtd_s1_invalidate, iommu_hwpt_vtd_s1_invalidate, addr),
	FIELD(ku_iommu_hwpt_vtd_s1_invalidate, iommu_hwpt_vtd_s1_invalidate, npages),
	FIELD(ku_iommu_hwpt_vtd_s1_invalidate, iommu_hwpt_vtd_s1_invalidate, flags),
	FIELD(ku_iommu_hwpt_vtd_s1_invalidate, iommu_hwpt_vtd_s1_invalidate, __reserved),

	SIZE(ku_iommu_fault_alloc, iommu_fault_alloc),
	FIELD(ku_iommu_fault_alloc, iommu_fault_alloc, size),
	FIELD(ku_iommu_fault_alloc, iommu_fault_alloc, flags),
	FIELD(ku_iommu_fault_alloc, iommu_fault_alloc, out_fault_id),
	FIELD(ku_iommu_fault_alloc, iommu_fault_alloc, out_fault_fd),

	SIZE(ku_iommu_hwpt_pgfault, iommu_hwpt_pgfault),
	FIELD(ku_iommu_hwpt_pgfault, iommu_hwpt_pgfault, flags),
	FIELD(ku_iommu_hwpt_pgfault, iommu_hwpt_pgfault, dev_id),
	FIELD(ku_iommu_hwpt_pgfault, iommu_hwpt_pgfault, pasid),
	FIELD(ku_iommu_hwpt_pgfault, iommu_hwpt_pgfault, grpid),
	FIELD(ku_iommu_hwpt_pgfault, iommu_hwpt_pgfault, perm),
	FIELD(ku_iommu_hwpt_pgfault, iommu_hwpt_pgfault, __reserved),
	FIELD(ku_iommu_hwpt_pgfault, iommu_hwpt_pgfault, addr),
	FIELD(ku_iommu_hwpt_pgfault, iommu_hwpt_pgfault, length),
	FIELD(ku_iommu_hwpt_pgfault, iommu_hwpt_pgfault, cookie),

	SIZE(ku_iommu_hwpt_page_response, iommu_hwpt_page_response),
	FIELD(ku_iommu_hwpt_page_response, iommu_hwpt_page_response, cookie),
	FIELD(ku_iommu_hwpt_page_response, iommu_hwpt_page_response, code),

	VAL(KU_IOMMU_DESTROY, IOMMU_DESTROY),
	VAL(KU_IOMMU_IOAS_ALLOC, IOMMU_IOAS_ALLOC),
	VAL(KU_IOMMU_IOAS_ALLOW_IOVAS, IOMMU_IOAS_ALLOW_IOVAS),
	VAL(KU_IOMMU_IOAS_COPY, IOMMU_IOAS_COPY),
	VAL(KU_IOMMU_IOAS_IOVA_RANGES, IOMMU_IOAS_IOVA_RANGES),
	VAL(KU_IOMMU_IOAS_MAP, IOMMU_IOAS_MAP),
	VAL(KU_IOMMU_IOAS_UNMAP, IOMMU_IOAS_UNMAP),
	VAL(KU_IOMMU_OPTION, IOMMU_OPTION),
	VAL(KU_IOMMU_VFIO_IOAS, IOMMU_VFIO_IOAS),
	VAL(KU_IOMMU_HWPT_ALLOC, IOMMU_HWPT_ALLOC),
	VAL(KU_IOMMU_GET_HW_INFO, IOMMU_GET_HW_INFO),
	VAL(KU_IOMMU_HWPT_SET_DIRTY_TRACKING, IOMMU_HWPT_SET_DIRTY_TRACKING),
	VAL(KU_IOMMU_HWPT_GET_DIRTY_BITMAP, IOMMU_HWPT_GET_DIRTY_BITMAP),
	VAL(KU_IOMMU_HWPT_INVALIDATE, IOMMU_HWPT_INVALIDATE),
	VAL(KU_IOMMU_FAULT_QUEUE_ALLOC, IOMMU_FAULT_QUEUE_ALLOC),
	VAL(KU_IOMMU_IOAS_MAP_FILE, IOMMU_IOAS_MAP_FILE),
	VAL(KU_IOMMU_IOAS_CHANGE_PROCESS, IOMMU_IOAS_CHANGE_PROCESS),

	VAL(KU_IOMMU_IOAS_MAP_FIXED_IOVA, IOMMU_IOAS_MAP_FIXED_IOVA),
	VAL(KU_IOMMU_IOAS_MAP_WRITEABLE, IOMMU_IOAS_MAP_WRITEABLE),
	VAL(KU_IOMMU_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_READABLE),
	VAL(KU_IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_RLIMIT_MODE),
	VAL(KU_IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_HUGE_PAGES),
	VAL(KU_IOMMU_OPTION_OP_SET, IOMMU_OPTION_OP_SET),
	VAL(KU_IOMMU_OPTION_OP_GET, IOMMU_OPTION_OP_GET),
	VAL(KU_IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_ALLOC_NEST_PARENT),
	VAL(KU_IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_DIRTY_TRACKING),
	VAL(KU_IOMMU_HWPT_FAULT_ID_VALID, IOMMU_HWPT_FAULT_ID_VALID),
	VAL(KU_IOMMU_HWPT_ALLOC_PASID, IOMMU_HWPT_ALLOC_PASID),
	VAL(KU_IOMMU_HWPT_DATA_NONE, IOMMU_HWPT_DATA_NONE),
	VAL(KU_IOMMU_HWPT_DATA_VTD_S1, IOMMU_HWPT_DATA_VTD_S1),
	VAL(KU_IOMMU_HWPT_DATA_ARM_SMMUV3, IOMMU_HWPT_DATA_ARM_SMMUV3),
	VAL(KU_IOMMU_HW_INFO_TYPE_NONE, IOMMU_HW_INFO_TYPE_NONE),
	VAL(KU_IOMMU_HW_INFO_TYPE_INTEL_VTD, IOMMU_HW_INFO_TYPE_INTEL_VTD),
	VAL(KU_IOMMU_HW_INFO_TYPE_ARM_SMMUV3, IOMMU_HW_INFO_TYPE_ARM_SMMUV3),
	VAL(KU_IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV, IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV),
	VAL(KU_IOMMU_HW_INFO_TYPE_AMD, IOMMU_HW_INFO_TYPE_AMD),
	VAL(KU_IOMMU_HW_INFO_FLAG_INPUT_TYPE, IOMMU_HW_INFO_FLAG_INPUT_TYPE),
	VAL(KU_IOMMU_HW_CAP_DIRTY_TRACKING, IOMMU_HW_CAP_DIRTY_TRACKING),
	VAL(KU_IOMMU_HW_CAP_PCI_PASID_EXEC, IOMMU_HW_CAP_PCI_PASID_EXEC),
	VAL(KU_IOMMU_HW_CAP_PCI_PASID_PRIV, IOMMU_HW_CAP_PCI_PASID_PRIV),
	VAL(KU_IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED, IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED),
	VAL(KU_IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17, IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17),
	VAL(KU_IOMMU_VTD_S1_SRE, IOMMU_VTD_S1_SRE),
	VAL(KU_IOMMU_VTD_S1_EAFE, IOMMU_VTD_S1_EAFE),
	VAL(KU_IOMMU_VTD_S1_WPE, IOMMU_VTD_S1_WPE),
	VAL(KU_IOMMU_HWPT_DIRTY_TRACKING_ENABLE, IOMMU_HWPT_DIRTY_TRACKING_ENABLE),
	VAL(KU_IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR),
	VAL(KU_IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1),
	VAL(KU_IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3),
	VAL(KU_IOMMU_VTD_INV_FLAGS_LEAF, IOMMU_VTD_INV_FLAGS_LEAF),
	/* vIOMMU objects (kernel-uapi.md §1.8) */
	SIZE(ku_iommu_viommu_alloc, iommu_viommu_alloc),
	FIELD(ku_iommu_viommu_alloc, iommu_viommu_alloc, flags),
	FIELD(ku_iommu_viommu_alloc, iommu_viommu_alloc, type),
	FIELD(ku_iommu_viommu_alloc, iommu_viommu_alloc, dev_id),
	FIELD(ku_iommu_viommu_alloc, iommu_viommu_alloc, hwpt_id),
	FIELD(ku_iommu_viommu_alloc, iommu_viommu_alloc, out_viommu_id),
	FIELD(ku_iommu_viommu_alloc, iommu_viommu_alloc, data_len),
	FIELD(ku_iommu_viommu_alloc, iommu_viommu_alloc, __reserved),
	FIELD(ku_iommu_viommu_alloc, iommu_viommu_alloc, data_uptr),
	SIZE(ku_iommu_vdevice_alloc, iommu_vdevice_alloc),
	FIELD(ku_iommu_vdevice_alloc, iommu_vdevice_alloc, viommu_id),
	FIELD(ku_iommu_vdevice_alloc, iommu_vdevice_alloc, dev_id),
	FIELD(ku_iommu_vdevice_alloc, iommu_vdevice_alloc, out_vdevice_id),
	FIELD(ku_iommu_vdevice_alloc, iommu_vdevice_alloc, virt_id),
	SIZE(ku_iommu_veventq_alloc, iommu_veventq_alloc),
	FIELD(ku_iommu_veventq_alloc, iommu_veventq_alloc, flags),
	FIELD(ku_iommu_veventq_alloc, iommu_veventq_alloc, viommu_id),
	FIELD(ku_iommu_veventq_alloc, iommu_veventq_alloc, type),
	FIELD(ku_iommu_veventq_alloc, iommu_veventq_alloc, veventq_depth),
	FIELD(ku_iommu_veventq_alloc, iommu_veventq_alloc, out_veventq_id),
	FIELD(ku_iommu_veventq_alloc, iommu_veventq_alloc, out_veventq_fd),
	FIELD(ku_iommu_veventq_alloc, iommu_veventq_alloc, __reserved),
	SIZE(ku_iommufd_vevent_header, iommufd_vevent_header),
	FIELD(ku_iommufd_vevent_header, iommufd_vevent_header, flags),
	FIELD(ku_iommufd_vevent_header, iommufd_vevent_header, sequence),
	SIZE(ku_iommu_hw_queue_alloc, iommu_hw_queue_alloc),
	FIELD(ku_iommu_hw_queue_alloc, iommu_hw_queue_alloc, flags),
	FIELD(ku_iommu_hw_queue_alloc, iommu_hw_queue_alloc, viommu_id),
	FIELD(ku_iommu_hw_queue_alloc, iommu_hw_queue_alloc, type),
	FIELD(ku_iommu_hw_queue_alloc, iommu_hw_queue_alloc, index),
	FIELD(ku_iommu_hw_queue_alloc, iommu_hw_queue_alloc, out_hw_queue_id),
	FIELD(ku_iommu_hw_queue_alloc, iommu_hw_queue_alloc, nesting_parent_iova),
	FIELD(ku_iommu_hw_queue_alloc, iommu_hw_queue_alloc, length),
	SIZE(ku_iommu_hwpt_arm_smmuv3, iommu_hwpt_arm_smmuv3),
	SIZE(ku_iommu_hwpt_amd_guest, iommu_hwpt_amd_guest),
	SIZE(ku_iommu_viommu_arm_smmuv3_invalidate, iommu_viommu_arm_smmuv3_invalidate),
	SIZE(ku_iommu_vevent_arm_smmuv3, iommu_vevent_arm_smmuv3),
	VAL(KU_IOMMU_VIOMMU_ALLOC, IOMMU_VIOMMU_ALLOC),
	VAL(KU_IOMMU_VDEVICE_ALLOC, IOMMU_VDEVICE_ALLOC),
	VAL(KU_IOMMU_VEVENTQ_ALLOC, IOMMU_VEVENTQ_ALLOC),
	VAL(KU_IOMMU_HW_QUEUE_ALLOC, IOMMU_HW_QUEUE_ALLOC),
	VAL(KU_IOMMU_VIOMMU_TYPE_ARM_SMMUV3, IOMMU_VIOMMU_TYPE_ARM_SMMUV3),
	VAL(KU_IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV),
	VAL(KU_IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3),
	VAL(KU_IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV, IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV),
	VAL(KU_IOMMU_VEVENTQ_FLAG_LOST_EVENTS, IOMMU_VEVENTQ_FLAG_LOST_EVENTS),
	VAL(KU_IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV, IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV),
	VAL(IOASID_VIOMMU_ARM_SMMUV3, IOMMU_VIOMMU_TYPE_ARM_SMMUV3),
	VAL(IOASID_VIOMMU_TEGRA241_CMDQV, IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV),
	VAL(IOASID_HWPT_NESTED_ARM_SMMUV3, IOMMU_HWPT_DATA_ARM_SMMUV3),
	VAL(IOASID_HWPT_NESTED_AMD_GUEST, IOMMU_HWPT_DATA_AMD_GUEST),
	VAL(IOASID_VIOMMU_INV_ARM_SMMUV3, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3),
	VAL(IOASID_VEVENTQ_ARM_SMMUV3, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3),
	VAL(IOASID_VEVENTQ_TEGRA241_CMDQV, IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV),
	VAL(IOASID_VEVENT_LOST_EVENTS, IOMMU_VEVENTQ_FLAG_LOST_EVENTS),
	VAL(IOASID_HW_QUEUE_TEGRA241_CMDQV, IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV),
	VAL(sizeof(struct ioasid_hwpt_arm_smmuv3), sizeof(struct iommu_hwpt_arm_smmuv3)),
	VAL(sizeof(struct ioasid_hwpt_amd_guest), sizeof(struct iommu_hwpt_amd_guest)),
	VAL(sizeof(struct ioasid_smmuv3_cmd), sizeof(struct iommu_viommu_arm_smmuv3_invalidate)),
	VAL(sizeof(struct ioasid_vevent_smmuv3), sizeof(struct iommu_vevent_arm_smmuv3)),
};

/* VFIO (<linux/vfio.h>) */
static const struct cmp vfio[] = {
	SIZE(ku_vfio_device_bind_iommufd, vfio_device_bind_iommufd),
	FIELD(ku_vfio_device_bind_iommufd, vfio_device_bind_iommufd, argsz),
	FIELD(ku_vfio_device_bind_iommufd, vfio_device_bind_iommufd, flags),
	FIELD(ku_vfio_device_bind_iommufd, vfio_device_bind_iommufd, iommufd),
	FIELD(ku_vfio_device_bind_iommufd, vfio_device_bind_iommufd, out_devid),
	FIELD(ku_vfio_device_bind_iommufd, vfio_device_bind_iommufd, token_uuid_ptr),

	SIZE(ku_vfio_device_attach_iommufd_pt, vfio_device_attach_iommufd_pt),
	FIELD(ku_vfio_device_attach_iommufd_pt, vfio_device_attach_iommufd_pt, argsz),
	FIELD(ku_vfio_device_attach_iommufd_pt, vfio_device_attach_iommufd_pt, flags),
	FIELD(ku_vfio_device_attach_iommufd_pt, vfio_device_attach_iommufd_pt, pt_id),
	FIELD(ku_vfio_device_attach_iommufd_pt, vfio_device_attach_iommufd_pt, pasid),

	SIZE(ku_vfio_device_detach_iommufd_pt, vfio_device_detach_iommufd_pt),
	FIELD(ku_vfio_device_detach_iommufd_pt, vfio_device_detach_iommufd_pt, argsz),
	FIELD(ku_vfio_device_detach_iommufd_pt, vfio_device_detach_iommufd_pt, flags),
	FIELD(ku_vfio_device_detach_iommufd_pt, vfio_device_detach_iommufd_pt, pasid),

	SIZE(ku_vfio_device_info, vfio_device_info),
	FIELD(ku_vfio_device_info, vfio_device_info, argsz),
	FIELD(ku_vfio_device_info, vfio_device_info, flags),
	FIELD(ku_vfio_device_info, vfio_device_info, num_regions),
	FIELD(ku_vfio_device_info, vfio_device_info, num_irqs),
	FIELD(ku_vfio_device_info, vfio_device_info, cap_offset),
	FIELD(ku_vfio_device_info, vfio_device_info, pad),

	SIZE(ku_vfio_info_cap_header, vfio_info_cap_header),
	FIELD(ku_vfio_info_cap_header, vfio_info_cap_header, id),
	FIELD(ku_vfio_info_cap_header, vfio_info_cap_header, version),
	FIELD(ku_vfio_info_cap_header, vfio_info_cap_header, next),

	SIZE(ku_vfio_group_status, vfio_group_status),
	FIELD(ku_vfio_group_status, vfio_group_status, argsz),
	FIELD(ku_vfio_group_status, vfio_group_status, flags),

	SIZE(ku_vfio_iommu_type1_info, vfio_iommu_type1_info),
	FIELD(ku_vfio_iommu_type1_info, vfio_iommu_type1_info, argsz),
	FIELD(ku_vfio_iommu_type1_info, vfio_iommu_type1_info, flags),
	FIELD(ku_vfio_iommu_type1_info, vfio_iommu_type1_info, iova_pgsizes),
	FIELD(ku_vfio_iommu_type1_info, vfio_iommu_type1_info, cap_offset),
	FIELD(ku_vfio_iommu_type1_info, vfio_iommu_type1_info, pad),

	SIZE(ku_vfio_iova_range, vfio_iova_range),
	FIELD(ku_vfio_iova_range, vfio_iova_range, start),
	FIELD(ku_vfio_iova_range, vfio_iova_range, end),

	SIZE(ku_vfio_iommu_type1_info_cap_iova_range, vfio_iommu_type1_info_cap_iova_range),
	FIELD(ku_vfio_iommu_type1_info_cap_iova_range, vfio_iommu_type1_info_cap_iova_range, header),
	FIELD(ku_vfio_iommu_type1_info_cap_iova_range, vfio_iommu_type1_info_cap_iova_range,
	      nr_iovas),
	FIELD(ku_vfio_iommu_type1_info_cap_iova_range, vfio_iommu_type1_info_cap_iova_range,
	      reserved),
	{ "offsetof vfio_iommu_type1_info_cap_iova_range.iova_ranges",
	  offsetof(struct ku_vfio_iommu_type1_info_cap_iova_range, iova_ranges),
	  offsetof(struct vfio_iommu_type1_info_cap_iova_range, iova_ranges) },

	SIZE(ku_vfio_iommu_type1_info_cap_migration, vfio_iommu_type1_info_cap_migration),
	FIELD(ku_vfio_iommu_type1_info_cap_migration, vfio_iommu_type1_info_cap_migration, header),
	FIELD(ku_vfio_iommu_type1_info_cap_migration, vfio_iommu_type1_info_cap_migration, flags),
	FIELD(ku_vfio_iommu_type1_info_cap_migration, vfio_iommu_type1_info_cap_migration,
	      pgsize_bitmap),
	FIELD(ku_vfio_iommu_type1_info_cap_migration, vfio_iommu_type1_info_cap_migration,
	      max_dirty_bitmap_size),

	SIZE(ku_vfio_iommu_type1_info_dma_avail, vfio_iommu_type1_info_dma_avail),
	FIELD(ku_vfio_iommu_type1_info_dma_avail, vfio_iommu_type1_info_dma_avail, header),
	FIELD(ku_vfio_iommu_type1_info_dma_avail, vfio_iommu_type1_info_dma_avail, avail),

	SIZE(ku_vfio_iommu_type1_dma_map, vfio_iommu_type1_dma_map),
	FIELD(ku_vfio_iommu_type1_dma_map, vfio_iommu_type1_dma_map, argsz),
	FIELD(ku_vfio_iommu_type1_dma_map, vfio_iommu_type1_dma_map, flags),
	FIELD(ku_vfio_iommu_type1_dma_map, vfio_iommu_type1_dma_map, vaddr),
	FIELD(ku_vfio_iommu_type1_dma_map, vfio_iommu_type1_dma_map, iova),
	FIELD(ku_vfio_iommu_type1_dma_map, vfio_iommu_type1_dma_map, size),

	SIZE(ku_vfio_iommu_type1_dma_unmap, vfio_iommu_type1_dma_unmap),
	FIELD(ku_vfio_iommu_type1_dma_unmap, vfio_iommu_type1_dma_unmap, argsz),
	FIELD(ku_vfio_iommu_type1_dma_unmap, vfio_iommu_type1_dma_unmap, flags),
	FIELD(ku_vfio_iommu_type1_dma_unmap, vfio_iommu_type1_dma_unmap, iova),
	FIELD(ku_vfio_iommu_type1_dma_unmap, vfio_iommu_type1_dma_unmap, size),

	VAL(KU_VFIO_GET_API_VERSION, VFIO_GET_API_VERSION),
	VAL(KU_VFIO_CHECK_EXTENSION, VFIO_CHECK_EXTENSION),
	VAL(KU_VFIO_SET_IOMMU, VFIO_SET_IOMMU),
	VAL(KU_VFIO_GROUP_GET_STATUS, VFIO_GROUP_GET_STATUS),
	VAL(KU_VFIO_GROUP_SET_CONTAINER, VFIO_GROUP_SET_CONTAINER),
	VAL(KU_VFIO_GROUP_UNSET_CONTAINER, VFIO_GROUP_UNSET_CONTAINER),
	VAL(KU_VFIO_GROUP_GET_DEVICE_FD, VFIO_GROUP_GET_DEVICE_FD),
	VAL(KU_VFIO_DEVICE_GET_INFO, VFIO_DEVICE_GET_INFO),
	VAL(KU_VFIO_DEVICE_GET_REGION_INFO, VFIO_DEVICE_GET_REGION_INFO),
	VAL(KU_VFIO_DEVICE_RESET, VFIO_DEVICE_RESET),
	VAL(KU_VFIO_IOMMU_GET_INFO, VFIO_IOMMU_GET_INFO),
	VAL(KU_VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_MAP_DMA),
	VAL(KU_VFIO_IOMMU_UNMAP_DMA, VFIO_IOMMU_UNMAP_DMA),
	VAL(KU_VFIO_IOMMU_DIRTY_PAGES, VFIO_IOMMU_DIRTY_PAGES),
	VAL(KU_VFIO_DEVICE_FEATURE, VFIO_DEVICE_FEATURE),
	VAL(KU_VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_BIND_IOMMUFD),
	VAL(KU_VFIO_DEVICE_ATTACH_IOMMUFD_PT, VFIO_DEVICE_ATTACH_IOMMUFD_PT),
	VAL(KU_VFIO_DEVICE_DETACH_IOMMUFD_PT, VFIO_DEVICE_DETACH_IOMMUFD_PT),
	VAL(KU_VFIO_API_VERSION, VFIO_API_VERSION),
	VAL(KU_VFIO_TYPE1_IOMMU, VFIO_TYPE1_IOMMU),
	VAL(KU_VFIO_SPAPR_TCE_IOMMU, VFIO_SPAPR_TCE_IOMMU),
	VAL(KU_VFIO_TYPE1v2_IOMMU, VFIO_TYPE1v2_IOMMU),
	VAL(KU_VFIO_DMA_CC_IOMMU, VFIO_DMA_CC_IOMMU),
	VAL(KU_VFIO_NOIOMMU_IOMMU, VFIO_NOIOMMU_IOMMU),
	VAL(KU_VFIO_UNMAP_ALL, VFIO_UNMAP_ALL),
	VAL(KU_VFIO_UPDATE_VADDR, VFIO_UPDATE_VADDR),
	VAL(KU_VFIO_DEVICE_BIND_FLAG_TOKEN, VFIO_DEVICE_BIND_FLAG_TOKEN),
	VAL(KU_VFIO_DEVICE_ATTACH_PASID, VFIO_DEVICE_ATTACH_PASID),
	VAL(KU_VFIO_DEVICE_DETACH_PASID, VFIO_DEVICE_DETACH_PASID),
	VAL(KU_VFIO_DEVICE_FLAGS_RESET, VFIO_DEVICE_FLAGS_RESET),
	VAL(KU_VFIO_DEVICE_FLAGS_PCI, VFIO_DEVICE_FLAGS_PCI),
	VAL(KU_VFIO_DEVICE_FLAGS_CAPS, VFIO_DEVICE_FLAGS_CAPS),
	VAL(KU_VFIO_GROUP_FLAGS_VIABLE, VFIO_GROUP_FLAGS_VIABLE),
	VAL(KU_VFIO_GROUP_FLAGS_CONTAINER_SET, VFIO_GROUP_FLAGS_CONTAINER_SET),
	VAL(KU_VFIO_IOMMU_INFO_PGSIZES, VFIO_IOMMU_INFO_PGSIZES),
	VAL(KU_VFIO_IOMMU_INFO_CAPS, VFIO_IOMMU_INFO_CAPS),
	VAL(KU_VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE),
	VAL(KU_VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION),
	VAL(KU_VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL),
	VAL(KU_VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_READ),
	VAL(KU_VFIO_DMA_MAP_FLAG_WRITE, VFIO_DMA_MAP_FLAG_WRITE),
	VAL(KU_VFIO_DMA_MAP_FLAG_VADDR, VFIO_DMA_MAP_FLAG_VADDR),
	VAL(KU_VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP),
	VAL(KU_VFIO_DMA_UNMAP_FLAG_ALL, VFIO_DMA_UNMAP_FLAG_ALL),
	VAL(KU_VFIO_DMA_UNMAP_FLAG_VADDR, VFIO_DMA_UNMAP_FLAG_VADDR),
	/* issue 12: a BAR as a dma-buf */
	SIZE(ku_vfio_device_feature, vfio_device_feature),
	FIELD(ku_vfio_device_feature, vfio_device_feature, argsz),
	FIELD(ku_vfio_device_feature, vfio_device_feature, flags),
	SIZE(ku_vfio_region_dma_range, vfio_region_dma_range),
	FIELD(ku_vfio_region_dma_range, vfio_region_dma_range, offset),
	FIELD(ku_vfio_region_dma_range, vfio_region_dma_range, length),
	SIZE(ku_vfio_device_feature_dma_buf, vfio_device_feature_dma_buf),
	FIELD(ku_vfio_device_feature_dma_buf, vfio_device_feature_dma_buf, region_index),
	FIELD(ku_vfio_device_feature_dma_buf, vfio_device_feature_dma_buf, open_flags),
	FIELD(ku_vfio_device_feature_dma_buf, vfio_device_feature_dma_buf, flags),
	FIELD(ku_vfio_device_feature_dma_buf, vfio_device_feature_dma_buf, nr_ranges),
	VAL(KU_VFIO_DEVICE_FEATURE_GET, VFIO_DEVICE_FEATURE_GET),
	VAL(KU_VFIO_DEVICE_FEATURE_DMA_BUF, VFIO_DEVICE_FEATURE_DMA_BUF),
};

/* the library's public values that claim to be the kernel's */
static const struct cmp public[] = {
	VAL(IOASID_MAP_FIXED_IOVA, IOMMU_IOAS_MAP_FIXED_IOVA),
	VAL(IOASID_MAP_READ, IOMMU_IOAS_MAP_READABLE),
	VAL(IOASID_MAP_WRITE, IOMMU_IOAS_MAP_WRITEABLE),
	VAL(IOASID_HWPT_NEST_PARENT, IOMMU_HWPT_ALLOC_NEST_PARENT),
	VAL(IOASID_HWPT_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_DIRTY_TRACKING),
	VAL(IOASID_HWPT_FAULT_ID_VALID, IOMMU_HWPT_FAULT_ID_VALID),
	VAL(IOASID_HWPT_PASID, IOMMU_HWPT_ALLOC_PASID),
	VAL(IOASID_HWPT_NESTED_VTD_S1, IOMMU_HWPT_DATA_VTD_S1),
	VAL(IOASID_INV_DATA_VTD_S1, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1),
	VAL(IOASID_DIRTY_NO_CLEAR, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR),
	VAL(IOASID_CTX_OPT_RLIMIT_MODE, IOMMU_OPTION_RLIMIT_MODE),
	VAL(IOASID_IOAS_OPT_HUGE_PAGES, IOMMU_OPTION_HUGE_PAGES),
	VAL(IOASID_VTD_S1_SRE, IOMMU_VTD_S1_SRE),
	VAL(IOASID_VTD_S1_EAFE, IOMMU_VTD_S1_EAFE),
	VAL(IOASID_VTD_S1_WPE, IOMMU_VTD_S1_WPE),
	VAL(IOASID_VTD_ERRATA_772415_SPR17, IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17),
	VAL(sizeof(struct ioasid_hwpt_vtd_s1), sizeof(struct iommu_hwpt_vtd_s1)),
};

/* Compare every entry of @t; the number that differ. */
static int run(const struct cmp *t, size_t nr)
{
	int bad = 0;
	size_t i;

	for (i = 0; i < nr; i++) {
		if (t[i].ours == t[i].theirs)
			continue;
		bad++;
		printf("not ok - %s: ours %llu (0x%llx), kernel %llu (0x%llx)\n", t[i].what,
		       t[i].ours, t[i].ours, t[i].theirs, t[i].theirs);
	}
	return bad;
}

#define RUN(t) (n += (int)(sizeof(t) / sizeof(t[0])), run(t, sizeof(t) / sizeof(t[0])))

int main(void)
{
	int n = 0, bad = 0;

	bad += RUN(iommufd);
	bad += RUN(vfio);
	bad += RUN(public);
	printf("%s - uapi layout: %d comparisons, %d differ\n", bad ? "not ok" : "ok", n, bad);
	return bad ? 1 : 0;
}
