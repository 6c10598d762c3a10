/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The names a scenario may use for numbers: flags (a list of names, OR'd)
 * and enums (one name). Each list ends with a NULL name; where an argument
 * takes one, a raw number is accepted too (see values.c, parse_named()).
 */
#include "private.h"

/* ------------------------------------------------------------------------ */
/* Hardware page tables and invalidation                                    */

/* hwpt_alloc "flags" */
const struct name_val hwpt_flag_names[] = {
	{ "nest_parent", IOASID_HWPT_NEST_PARENT },
	{ "dirty_tracking", IOASID_HWPT_DIRTY_TRACKING },
	{ "fault_id_valid", IOASID_HWPT_FAULT_ID_VALID }, /* "queue" sets it */
	{ "pasid", IOASID_HWPT_PASID },
	{ NULL, 0 },
};

/* hwpt_alloc "type" */
const struct name_val hwpt_type_names[] = {
	{ "paging", IOASID_HWPT_PAGING },
	{ "nested_vtd_s1", IOASID_HWPT_NESTED_VTD_S1 },
	{ "nested_arm_smmuv3", IOASID_HWPT_NESTED_ARM_SMMUV3 },
	{ "nested_amd_guest", IOASID_HWPT_NESTED_AMD_GUEST },
	{ "nested_selftest", IOASID_HWPT_NESTED_SELFTEST },
	{ NULL, 0 },
};

/* hwpt_alloc "s1.flags": VT-d stage-1 flags */
const struct name_val vtd_s1_flag_names[] = {
	{ "sre", IOASID_VTD_S1_SRE },
	{ "eafe", IOASID_VTD_S1_EAFE },
	{ "wpe", IOASID_VTD_S1_WPE },
	{ NULL, 0 },
};

/* invalidate "requests[].kind" */
const struct name_val inv_kind_names[] = {
	{ "iotlb", IOASID_INV_IOTLB },
	{ "dev_iotlb", IOASID_INV_DEV_IOTLB },
	{ "pasid_cache", IOASID_INV_PASID_CACHE },
	{ NULL, 0 },
};

/* invalidate "requests[].granularity" */
const struct name_val inv_gran_names[] = {
	{ "all", IOASID_INV_ALL },
	{ "pasid", IOASID_INV_PASID },
	{ "range", IOASID_INV_RANGE },
	{ NULL, 0 },
};

/* ------------------------------------------------------------------------ */
/* Faults and the sim                                                       */

/* fault_respond "code", and a virtio-iommu PAGE_RESP's */
const struct name_val fault_code_names[] = {
	{ "success", IOASID_FAULT_SUCCESS },
	{ "invalid", IOASID_FAULT_INVALID },
	{ "failure", IOASID_FAULT_FAILURE },
	{ NULL, 0 },
};

/* dma_read / dma_write "attrs": what else the request is (a write is the op's) */
const struct name_val dma_attr_names[] = {
	{ "priv", IOASID_SIM_DMA_PRIV },
	{ "exec", IOASID_SIM_DMA_EXEC },
	{ NULL, 0 },
};

/* stale_mode "mode" */
const struct name_val stale_mode_names[] = {
	{ "faithful", IOASID_SIM_STALE_FAITHFUL },
	{ "strict", IOASID_SIM_STALE_STRICT },
	{ NULL, 0 },
};

/* ------------------------------------------------------------------------ */
/* virtio-iommu                                                             */

/* virtio_iommu_new "features": what the device offers beyond the spec's basics */
const struct name_val virtio_iommu_ext_names[] = {
	{ "page_size_mask", IOASID_VIRTIO_IOMMU_EXT_PGSIZE_MASK },
	{ "ext_faults", IOASID_VIRTIO_IOMMU_EXT_FAULT },
	{ "mmio", IOASID_VIRTIO_IOMMU_MMIO },
	{ NULL, 0 },
};

/* virtio-iommu feature bits (kernel-uapi.md §3.1, and the two extensions) */
const struct name_val virtio_feature_names[] = {
	{ "input_range", IOASID_VIRTIO_IOMMU_F_INPUT_RANGE },
	{ "domain_range", IOASID_VIRTIO_IOMMU_F_DOMAIN_RANGE },
	{ "map_unmap", IOASID_VIRTIO_IOMMU_F_MAP_UNMAP },
	{ "bypass", IOASID_VIRTIO_IOMMU_F_BYPASS },
	{ "probe", IOASID_VIRTIO_IOMMU_F_PROBE },
	{ "mmio", IOASID_VIRTIO_IOMMU_F_MMIO },
	{ "bypass_config", IOASID_VIRTIO_IOMMU_F_BYPASS_CONFIG },
	{ "page_size_mask", IOASID_VIRTIO_IOMMU_F_PROBE_PGSIZE },
	{ "ext_faults", IOASID_VIRTIO_IOMMU_F_FAULT_EXT },
	{ NULL, 0 },
};

/* virtio_iommu_request "request.type" */
const struct name_val vreq_type_names[] = {
	{ "attach", IOASID_VIRTIO_IOMMU_T_ATTACH },
	{ "detach", IOASID_VIRTIO_IOMMU_T_DETACH },
	{ "map", IOASID_VIRTIO_IOMMU_T_MAP },
	{ "unmap", IOASID_VIRTIO_IOMMU_T_UNMAP },
	{ "probe", IOASID_VIRTIO_IOMMU_T_PROBE },
	{ "page_resp", IOASID_VIRTIO_IOMMU_T_PAGE_RESP },
	{ NULL, 0 },
};

/* ... an ATTACH's "flags" */
const struct name_val vattach_flag_names[] = {
	{ "bypass", IOASID_VIRTIO_IOMMU_ATTACH_F_BYPASS },
	{ NULL, 0 },
};

/* ... a MAP's "flags" */
const struct name_val vmap_flag_names[] = {
	{ "read", IOASID_VIRTIO_IOMMU_MAP_F_READ },
	{ "write", IOASID_VIRTIO_IOMMU_MAP_F_WRITE },
	{ "mmio", IOASID_VIRTIO_IOMMU_MAP_F_MMIO },
	{ NULL, 0 },
};

/* ... a PAGE_RESP's "flags" */
const struct name_val vpage_resp_flag_names[] = {
	{ "pasid", IOASID_VIRTIO_IOMMU_PAGE_RESP_F_PASID },
	{ NULL, 0 },
};

/* virtio_iommu_event: the flags of a fault record */
const struct name_val vfault_flag_names[] = {
	{ "read", IOASID_VIRTIO_IOMMU_FAULT_F_READ },
	{ "write", IOASID_VIRTIO_IOMMU_FAULT_F_WRITE },
	{ "exec", IOASID_VIRTIO_IOMMU_FAULT_F_EXEC },
	{ "priv", IOASID_VIRTIO_IOMMU_FAULT_F_PRIV },
	{ "address", IOASID_VIRTIO_IOMMU_FAULT_F_ADDRESS },
	{ "pasid", IOASID_VIRTIO_IOMMU_FAULT_F_PASID },
	{ "grpid", IOASID_VIRTIO_IOMMU_FAULT_F_GRPID },
	{ "priv_data", IOASID_VIRTIO_IOMMU_FAULT_F_PRIV_DATA },
	{ "last", IOASID_VIRTIO_IOMMU_FAULT_F_LAST },
	{ "page_req", IOASID_VIRTIO_IOMMU_FAULT_F_PAGE_REQ },
	{ NULL, 0 },
};

/* ... its reason */
const struct name_val vfault_reason_names[] = {
	{ "unknown", IOASID_VIRTIO_IOMMU_FAULT_R_UNKNOWN },
	{ "domain", IOASID_VIRTIO_IOMMU_FAULT_R_DOMAIN },
	{ "mapping", IOASID_VIRTIO_IOMMU_FAULT_R_MAPPING },
	{ NULL, 0 },
};

/* the RESV_MEM properties of a PROBE reply */
const struct name_val vresv_subtype_names[] = {
	{ "reserved", IOASID_VIRTIO_IOMMU_RESV_MEM_T_RESERVED },
	{ "msi", IOASID_VIRTIO_IOMMU_RESV_MEM_T_MSI },
	{ NULL, 0 },
};

/* viommu_alloc "type" (include/ioasid/viommu.h) */
const struct name_val viommu_type_names[] = {
	{ "arm_smmuv3", IOASID_VIOMMU_ARM_SMMUV3 },
	{ "tegra241_cmdqv", IOASID_VIOMMU_TEGRA241_CMDQV },
	{ "selftest", IOASID_VIOMMU_SELFTEST },
	{ NULL, 0 },
};

/* viommu_invalidate "data_type" */
const struct name_val viommu_inv_type_names[] = {
	{ "arm_smmuv3", IOASID_VIOMMU_INV_ARM_SMMUV3 },
	{ "selftest", IOASID_VIOMMU_INV_SELFTEST },
	{ NULL, 0 },
};

/* veventq_alloc "type" */
const struct name_val veventq_type_names[] = {
	{ "arm_smmuv3", IOASID_VEVENTQ_ARM_SMMUV3 },
	{ "tegra241_cmdqv", IOASID_VEVENTQ_TEGRA241_CMDQV },
	{ "selftest", IOASID_VEVENTQ_SELFTEST },
	{ NULL, 0 },
};

/* veventq_read: the flags of an event */
const struct name_val vevent_flag_names[] = {
	{ "lost_events", IOASID_VEVENT_LOST_EVENTS },
	{ NULL, 0 },
};

/* hw_queue_alloc "type" */
const struct name_val hw_queue_type_names[] = {
	{ "tegra241_cmdqv", IOASID_HW_QUEUE_TEGRA241_CMDQV },
	{ "selftest", IOASID_HW_QUEUE_SELFTEST },
	{ NULL, 0 },
};

/* dev_hw_info "data_type" (include/ioasid/dev.h) */
const struct name_val hw_info_type_names[] = {
	{ "default", IOASID_HW_INFO_DEFAULT },
	{ "intel_vtd", IOASID_HW_INFO_INTEL_VTD },
	{ "arm_smmuv3", IOASID_HW_INFO_ARM_SMMUV3 },
	{ "tegra241_cmdqv", IOASID_HW_INFO_TEGRA241_CMDQV },
	{ "amd", IOASID_HW_INFO_AMD },
	{ "selftest", IOASID_HW_INFO_SELFTEST },
	{ NULL, 0 },
};
