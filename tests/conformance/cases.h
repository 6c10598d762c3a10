/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The case bodies (cases-*.c) and the fixtures they share, for the table
 * (table.c). Each fixture mirrors one FIXTURE of the kernel's selftest.
 */
#ifndef IOASID_CF_CASES_H
#define IOASID_CF_CASES_H

#include "cf.h"

/* ---- FIXTURE(iommufd_ioas) ---- */

struct ioas_variant {
	unsigned int domains;      /* devices attached to the IOAS (0..2) */
	bool pasid;                /* and a PASID-capable one */
	unsigned int memory_limit; /* the kernel's temporary memory limit (pages), 0 = default */
};

struct ioas_fx {
	const struct ioas_variant *v;
	uint32_t ioas;
	uint32_t dev;       /* the last device attached (the selftest's device_id), 0 = none */
	uint32_t pasid_dev; /* 0 = none */
	uint64_t base;      /* the selftest's base_iova: the aperture start with a domain, else 0 */
	struct cf_geom g;   /* of dev */
	uint8_t *buffer;    /* the selftest's buffer: CF_BUFFER_SIZE, 2 MiB aligned */
};

void ioas_setup(struct cf_t *t, struct ioas_fx *f);

/* ---- FIXTURE(change_process) (cases-change-process.c) ---- */

/* The kernel's IOPT_PAGES_ACCOUNT_* of the variant. */
enum {
	CP_ACCOUNT_NONE = 0,
	CP_ACCOUNT_USER = 1,
	CP_ACCOUNT_MM = 2
};

struct change_process_variant {
	int accounting;
};

void c_change_process_basic(struct cf_t *t);

/* ---- FIXTURE(iommufd_mock_domain) ---- */

struct mock_variant {
	unsigned int domains; /* 1 or 2 */
	bool hugepages;
	bool file; /* the buffers are memfds, mapped by fd and offset (IOMMU_IOAS_MAP_FILE) */
};

/* ---- FIXTURE(iommufd_dirty_tracking) ---- */

struct dirty_variant {
	uint64_t buffer_size;
	bool hugepages;
};

/* ---- FIXTURE(iommufd_device_pasid) ---- */

struct pasid_variant {
	bool pasid_capable; /* false: a device without PASIDs is bound too */
};

/* ---- FIXTURE(iommufd_viommu) ---- */

struct viommu_variant {
	bool viommu; /* false: an IOAS only (the selftest's no_viommu) */
};

/* A set and a fault queue it owns. */
uint32_t cf_fault_queue(struct cf_t *t, uint32_t *ret_set);
/* An empty stage-1 table in @ioas (near @ap_last); its IOVA, for pgtbl_addr. */
uint64_t cf_empty_stage1(struct cf_t *t, uint32_t ioas, uint64_t ap_last);
/* Raise a page request at (dev, pasid), read it from @queue (routed by @hwpt), answer it. */
void cf_iopf_round(struct cf_t *t, uint32_t dev, uint32_t pasid, uint32_t queue, uint32_t hwpt,
		   uint64_t addr);

/* iommufd */
void c_simple_close(struct cf_t *t);
void c_cmd_fail(struct cf_t *t);
void c_cmd_ex_fail(struct cf_t *t);
void c_global_options_rlimit_mode(struct cf_t *t);
void c_global_options_huge_pages(struct cf_t *t);

/* iommufd_ioas */
void c_ioas_auto_destroy(struct cf_t *t);
void c_ioas_destroy(struct cf_t *t);
void c_alloc_hwpt_nested_paging(struct cf_t *t);
void c_alloc_hwpt_nested_nested(struct cf_t *t);
void c_hwpt_attach(struct cf_t *t);
void c_ioas_area_destroy(struct cf_t *t);
void c_ioas_area_auto_destroy(struct cf_t *t);
void c_get_hw_info(struct cf_t *t);
void c_area(struct cf_t *t);
void c_unmap_fully_contained_areas(struct cf_t *t);
void c_unmap_atomic(struct cf_t *t);
void c_area_auto_iova(struct cf_t *t);
void c_reserved_overflow(struct cf_t *t);
void c_area_allowed(struct cf_t *t);
void c_copy_area(struct cf_t *t);
void c_iova_ranges(struct cf_t *t);
void c_ioas_option_huge_pages(struct cf_t *t);
void c_ioas_iova_alloc(struct cf_t *t);
void c_dmabuf_simple(struct cf_t *t);
void c_dmabuf_revoke(struct cf_t *t);
void c_ioas_align_change(struct cf_t *t);
void c_copy_sweep(struct cf_t *t);

/* iommufd_mock_domain */
void c_md_basic(struct cf_t *t);
void c_md_ro_unshare(struct cf_t *t);
void c_md_all_aligns(struct cf_t *t);
void c_md_all_aligns_copy(struct cf_t *t);
void c_md_user_copy(struct cf_t *t);
void c_md_replace(struct cf_t *t);
void c_md_alloc_hwpt(struct cf_t *t);

/* iommufd_dirty_tracking */
void c_enforce_dirty(struct cf_t *t);
void c_enforce_dirty_nodirty(struct cf_t *t);
void c_set_dirty_tracking(struct cf_t *t);
void c_pasid_set_dirty_tracking(struct cf_t *t);
void c_pasid_set_dirty_tracking_nodirty(struct cf_t *t);
void c_device_dirty_capability(struct cf_t *t);
void c_get_dirty_bitmap(struct cf_t *t);
void c_get_dirty_bitmap_no_clear(struct cf_t *t);

/* iommufd_device_pasid */
void c_pasid_attach_rules(struct cf_t *t);
void c_pasid_attach_nested(struct cf_t *t);

/* iommufd_viommu */
void c_viommu_auto_destroy(struct cf_t *t);
void c_viommu_negative_tests(struct cf_t *t);
void c_viommu_alloc_nested_iopf(struct cf_t *t);
void c_viommu_alloc_with_data(struct cf_t *t);
void c_hw_queue(struct cf_t *t);
void c_vdevice_tombstone(struct cf_t *t);
void c_vdevice_cache(struct cf_t *t);
void c_vdevice_alloc(struct cf_t *t);

/* The selftest's check_mock_iova(): every domain of @dev maps [iova, +len) to @va. */
#define CF_MAPS(t, dev, iova, va, len)                                                             \
	CF_TRUE(t, !cf_oracle.check_map((t), (dev), (iova), (va), (len)),                          \
		"[0x%llx, +0x%llx) of device %u does not reach the memory at %p", X(iova), X(len), \
		(dev), (const void *)(va))

#endif
