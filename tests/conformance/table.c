// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The table: every TEST_F of the kernel's tools/testing/selftests/iommu/
 * iommufd.c (Linux 7.2.13) in each of its variants, and every test of
 * iommufd_fail_nth.c, with what the suite does about it. A selftest case
 * whose parts need different things is split into rows (the part column).
 * `conformance --list` prints it; docs/conformance.md explains the columns.
 *
 * Deviation ids (CF_XFAIL) are the open items of issue 11 §2; a case that
 * fails for another reason is a new deviation and must not be marked here
 * without saying so.
 */
#include "cases.h"

#define R(r) CF_NEED_ROLE(r)
#define DEV R(CF_DEV)
#define DEV2 R(CF_DEV2)
#define DEV3 R(CF_DEV3)
#define PDEV R(CF_DEV_PASID)

#define ROW(fx, var, tst, prt, nd, st, wy, fn, arg)    \
	{                                              \
		fx, var, tst, prt, nd, st, wy, fn, arg \
	}

/* ---- why a row is not run ---- */
#define N_SKIP "selftest-skip: the selftest SKIPs this test in this variant (no vIOMMU)"
#define N_ABI                                                                                \
	"kernel-abi: the ioctl size word, a NULL argument, unknown requests (the library's " \
	"copies of the layouts: tests/vm/uapi-layout.c)"
#define N_VFIO_COMPAT                                                                       \
	"vfio-compat: iommufd's emulation of the VFIO type-1 container, which the library " \
	"does not use (its vfio backend talks to type 1: tests/vm/test-vfio.c)"
#define N_ACCESS                                                                             \
	"kernel-access: an in-kernel user of an IOAS (iommufd_access, as VFIO mdev drivers " \
	"use), which user space has no handle on"
#define N_FAIL_NTH                                                                \
	"fault-injection: the kernel's own allocations failed at every position " \
	"(CONFIG_FAULT_INJECTION); the library's are, by tests/unit/check_alloc_fail.c"

/* ---- FIXTURE(change_process) variants ---- */
static const struct change_process_variant cp_none = { .accounting = CP_ACCOUNT_NONE };
static const struct change_process_variant cp_user = { .accounting = CP_ACCOUNT_USER };
static const struct change_process_variant cp_mm = { .accounting = CP_ACCOUNT_MM };

/* ---- FIXTURE(iommufd_ioas) variants ---- */
static const struct ioas_variant no_domain = { .domains = 0 };
static const struct ioas_variant mock_domain = { .domains = 1, .pasid = true };
static const struct ioas_variant two_mock_domain = { .domains = 2 };
static const struct ioas_variant mock_domain_limit = { .domains = 1, .memory_limit = 16 };

#define IO_N_no_domain 0
#define IO_N_mock_domain (DEV | PDEV)
#define IO_N_two_mock_domain (DEV | DEV2)
#define IO_N_mock_domain_limit DEV

/* One iommufd_ioas row of variant @v. */
#define IO(v, tst, prt, nd, st, wy, fn) \
	ROW("iommufd_ioas", #v, #tst, prt, IO_N_##v | (nd), st, wy, fn, &v)
/* The same row in all four variants. */
#define IO4(tst, prt, nd, st, wy, fn)                                                       \
	IO(no_domain, tst, prt, nd, st, wy, fn), IO(mock_domain, tst, prt, nd, st, wy, fn), \
		IO(two_mock_domain, tst, prt, nd, st, wy, fn),                              \
		IO(mock_domain_limit, tst, prt, nd, st, wy, fn)

/* ---- FIXTURE(iommufd_mock_domain) variants ---- */
static const struct mock_variant one_domain = { .domains = 1 };
static const struct mock_variant two_domains = { .domains = 2 };
static const struct mock_variant one_domain_hugepage = { .domains = 1, .hugepages = true };
static const struct mock_variant two_domains_hugepage = { .domains = 2, .hugepages = true };

static const struct mock_variant one_domain_file = { .domains = 1, .file = true };
static const struct mock_variant one_domain_file_hugepage = { .domains = 1,
							      .hugepages = true,
							      .file = true };
#define MD_N_one_domain_file DEV
#define MD_N_one_domain_file_hugepage DEV
#define MD_N_one_domain DEV
#define MD_N_two_domains (DEV | DEV2)
#define MD_N_one_domain_hugepage DEV
#define MD_N_two_domains_hugepage (DEV | DEV2)

#define MD(v, tst, nd, st, wy, fn) \
	ROW("iommufd_mock_domain", #v, #tst, "", MD_N_##v | (nd), st, wy, fn, &v)
/* The four variants over process memory, and the two over a memfd. */
#define MD6(tst, nd, st, wy, fn)                                                   \
	MD(one_domain, tst, nd, st, wy, fn), MD(two_domains, tst, nd, st, wy, fn), \
		MD(one_domain_hugepage, tst, nd, st, wy, fn),                      \
		MD(two_domains_hugepage, tst, nd, st, wy, fn),                     \
		MD(one_domain_file, tst, nd, st, wy, fn),                          \
		MD(one_domain_file_hugepage, tst, nd, st, wy, fn)

/* ---- FIXTURE(iommufd_dirty_tracking) variants ---- */
static const struct dirty_variant domain_dirty8k = { .buffer_size = 8ull << 10 };
static const struct dirty_variant domain_dirty16k = { .buffer_size = 16ull << 10 };
static const struct dirty_variant domain_dirty64k = { .buffer_size = 64ull << 10 };
static const struct dirty_variant domain_dirty128k = { .buffer_size = 128ull << 10 };
static const struct dirty_variant domain_dirty320k = { .buffer_size = 320ull << 10 };
static const struct dirty_variant domain_dirty64M = { .buffer_size = 64ull << 20 };
static const struct dirty_variant domain_dirty64M_huge = { .buffer_size = 64ull << 20,
							   .hugepages = true };
static const struct dirty_variant domain_dirty128M = { .buffer_size = 128ull << 20 };
static const struct dirty_variant domain_dirty128M_huge = { .buffer_size = 128ull << 20,
							    .hugepages = true };

#define DT(v, tst, prt, nd, st, wy, fn) \
	ROW("iommufd_dirty_tracking", #v, #tst, prt, DEV | (nd), st, wy, fn, &v)
/* The tests whose meaning does not depend on the buffer, in variant @v. */
#define DT_COMMON(v)                                                                               \
	DT(v, enforce_dirty, "", DEV2, CF_RUN, "", c_enforce_dirty),                               \
		DT(v, enforce_dirty, "nodirty", R(CF_DEV_NODIRTY), CF_RUN, "",                     \
		   c_enforce_dirty_nodirty),                                                       \
		DT(v, set_dirty_tracking, "", DEV2, CF_RUN, "", c_set_dirty_tracking),             \
		DT(v, pasid_set_dirty_tracking, "", PDEV, CF_RUN, "", c_pasid_set_dirty_tracking), \
		DT(v, pasid_set_dirty_tracking, "nodirty", R(CF_DEV_PASID_NODIRTY), CF_RUN, "",    \
		   c_pasid_set_dirty_tracking_nodirty),                                            \
		DT(v, device_dirty_capability, "", DEV2, CF_RUN, "", c_device_dirty_capability)
/* The two bitmap tests: reading with clear (st, wy), and with NO_CLEAR (st_nc, wy_nc). */
#define DT_BITMAP(v, nd, st, wy, st_nc, wy_nc)                                           \
	DT(v, get_dirty_bitmap, "", CF_NEED_DIRTY | (nd), st, wy, c_get_dirty_bitmap),   \
		DT(v, get_dirty_bitmap_no_clear, "", CF_NEED_DIRTY | (nd), st_nc, wy_nc, \
		   c_get_dirty_bitmap_no_clear)
#define DT_ALL(v, st, wy, st_nc, wy_nc) DT_COMMON(v), DT_BITMAP(v, 0, st, wy, st_nc, wy_nc)
/* The huge-page variants: dirty bits per huge IOPTE. */
#define DT_HUGE(v) DT_COMMON(v), DT_BITMAP(v, CF_NEED_HUGE_IOPTE, CF_RUN, "", CF_RUN, "")

/* ---- FIXTURE(iommufd_device_pasid) variants ---- */
static const struct pasid_variant no_pasid = { .pasid_capable = false };
static const struct pasid_variant has_pasid = { .pasid_capable = true };

#define PA(v, prt, nd, st, wy, fn) \
	ROW("iommufd_device_pasid", #v, "pasid_attach", prt, PDEV | (nd), st, wy, fn, &v)

/* ---- rows that wait or do not apply, per fixture ---- */
/* ---- FIXTURE(iommufd_viommu) variants ---- */
static const struct viommu_variant no_viommu = { .viommu = false };
static const struct viommu_variant mock_viommu = { .viommu = true };

#define VI_N_no_viommu CF_NEED_VIOMMU
#define VI_N_mock_viommu (DEV | CF_NEED_VIOMMU)
/* One iommufd_viommu row that runs. */
#define VI(v, tst, nd, fn) ROW("iommufd_viommu", #v, #tst, "", VI_N_##v | (nd), CF_RUN, "", fn, &v)
/* The selftest SKIPs it in variant no_viommu. */
#define VI_SKIP(tst) ROW("iommufd_viommu", "no_viommu", #tst, "", 0, CF_NA, N_SKIP, NULL, NULL)
#define VC(v, tst) ROW("vfio_compat_mock_domain", #v, #tst, "", 0, CF_NA, N_VFIO_COMPAT, NULL, NULL)
#define VC5(v) \
	VC(v, simple_close), VC(v, option_huge_pages), VC(v, get_info), VC(v, map), VC(v, huge_map)
#define NTH(tst) ROW("basic_fail_nth", "", #tst, "", 0, CF_NA, N_FAIL_NTH, NULL, NULL)

/*
 * Deviations: ids used in the case bodies' CF_DRET/CF_DTRUE; none is open
 * (docs/conformance.md). A row lists the ids it expects to show.
 */

const struct cf_case cf_cases[] = {
	/* FIXTURE(iommufd) */
	ROW("iommufd", "", "simple_close", "", 0, CF_RUN, "", c_simple_close, NULL),
	ROW("iommufd", "", "cmd_fail", "", 0, CF_RUN, "", c_cmd_fail, NULL),
	ROW("iommufd", "", "cmd_length", "", 0, CF_NA, N_ABI, NULL, NULL),
	ROW("iommufd", "", "cmd_ex_fail", "", 0, CF_RUN, "", c_cmd_ex_fail, NULL),
	ROW("iommufd", "", "global_options", "rlimit_mode", 0, CF_RUN, "",
	    c_global_options_rlimit_mode, NULL),
	ROW("iommufd", "", "global_options", "huge_pages", 0, CF_RUN, "",
	    c_global_options_huge_pages, NULL),

	/* FIXTURE(change_process) */
	ROW("change_process", "account_none", "basic", "", DEV, CF_RUN, "", c_change_process_basic,
	    &cp_none),
	ROW("change_process", "account_user", "basic", "", DEV, CF_RUN, "", c_change_process_basic,
	    &cp_user),
	ROW("change_process", "account_mm", "basic", "", DEV, CF_RUN, "", c_change_process_basic,
	    &cp_mm),

	/* FIXTURE(iommufd_ioas) */
	IO4(ioas_auto_destroy, "", 0, CF_RUN, "", c_ioas_auto_destroy),
	IO4(ioas_destroy, "", 0, CF_RUN, "", c_ioas_destroy),
	IO4(alloc_hwpt_nested, "", 0, CF_RUN, "", c_alloc_hwpt_nested_paging),
	IO(mock_domain, alloc_hwpt_nested, "nested", CF_NEED_NESTING | CF_NEED_IOPF, CF_RUN, "",
	   c_alloc_hwpt_nested_nested),
	IO(two_mock_domain, alloc_hwpt_nested, "nested", CF_NEED_NESTING | CF_NEED_IOPF, CF_RUN, "",
	   c_alloc_hwpt_nested_nested),
	IO(mock_domain_limit, alloc_hwpt_nested, "nested", CF_NEED_NESTING | CF_NEED_IOPF, CF_RUN,
	   "", c_alloc_hwpt_nested_nested),
	IO4(hwpt_attach, "", DEV3, CF_RUN, "", c_hwpt_attach),
	IO4(ioas_area_destroy, "", 0, CF_RUN, "", c_ioas_area_destroy),
	IO4(ioas_area_auto_destroy, "", 0, CF_RUN, "", c_ioas_area_auto_destroy),
	IO4(get_hw_info, "", 0, CF_RUN, "", c_get_hw_info),
	IO4(area, "", 0, CF_RUN, "", c_area),
	IO4(unmap_fully_contained_areas, "", 0, CF_RUN, "", c_unmap_fully_contained_areas),
	IO4(unmap_fully_contained_areas, "atomic", 0, CF_STRICTER,
	    "atomic-unmap: a refused unmap removes nothing (the kernel's removes the areas before "
	    "the one that sticks out)",
	    c_unmap_atomic),
	IO4(area_auto_iova, "", 0, CF_RUN, "", c_area_auto_iova),
	IO4(reserved_overflow, "", 0, CF_RUN, "", c_reserved_overflow),
	IO4(area_allowed, "", 0, CF_RUN, "", c_area_allowed),
	IO4(copy_area, "", 0, CF_RUN, "", c_copy_area),
	IO4(iova_ranges, "", 0, CF_RUN, "", c_iova_ranges),
	IO4(access_domain_destory, "", 0, CF_NA, N_ACCESS, NULL),
	IO4(access_pin, "", 0, CF_NA, N_ACCESS, NULL),
	IO4(access_pin_unmap, "", 0, CF_NA, N_ACCESS, NULL),
	IO4(access_rw, "", 0, CF_NA, N_ACCESS, NULL),
	IO4(access_rw_unaligned, "", 0, CF_NA, N_ACCESS, NULL),
	IO4(fork_gone, "", 0, CF_NA, N_ACCESS "; and a context is not shared across fork()", NULL),
	IO4(fork_present, "", 0, CF_NA, N_ACCESS "; and a context is not shared across fork()",
	    NULL),
	IO4(ioas_option_huge_pages, "", 0, CF_RUN, "", c_ioas_option_huge_pages),
	IO4(ioas_iova_alloc, "", 0, CF_RUN, "", c_ioas_iova_alloc),
	IO4(ioas_align_change, "", 0, CF_RUN, "", c_ioas_align_change),
	IO4(copy_sweep, "", 0, CF_RUN, "", c_copy_sweep),
	IO4(dmabuf_simple, "", CF_NEED_DMABUF, CF_RUN, "", c_dmabuf_simple),
	IO4(dmabuf_revoke, "", CF_NEED_DMABUF, CF_RUN, "", c_dmabuf_revoke),

	/* FIXTURE(iommufd_mock_domain) */
	MD6(basic, 0, CF_RUN, "", c_md_basic),
	MD6(ro_unshare, 0, CF_RUN, "", c_md_ro_unshare),
	MD6(all_aligns, 0, CF_RUN, "", c_md_all_aligns),
	MD6(all_aligns_copy, DEV3, CF_RUN, "", c_md_all_aligns_copy),
	MD6(user_copy, 0, CF_RUN, "", c_md_user_copy),
	MD6(replace, 0, CF_RUN, "", c_md_replace),
	MD6(alloc_hwpt, DEV3, CF_RUN, "", c_md_alloc_hwpt),

	/* FIXTURE(iommufd_dirty_tracking) */
	DT_ALL(domain_dirty8k, CF_RUN, "", CF_RUN, ""),
	DT_ALL(domain_dirty16k, CF_RUN, "", CF_RUN, ""),
	DT_ALL(domain_dirty64k, CF_RUN, "", CF_RUN, ""),
	DT_ALL(domain_dirty128k, CF_RUN, "", CF_RUN, ""),
	DT_ALL(domain_dirty320k, CF_RUN, "", CF_RUN, ""),
	DT_ALL(domain_dirty64M, CF_RUN, "", CF_RUN, ""),
	DT_HUGE(domain_dirty64M_huge),
	DT_ALL(domain_dirty128M, CF_RUN, "", CF_RUN, ""),
	DT_HUGE(domain_dirty128M_huge),

	/* FIXTURE(iommufd): the VFIO container emulation */
	ROW("iommufd", "", "simple_ioctls", "", 0, CF_NA, N_VFIO_COMPAT, NULL, NULL),
	ROW("iommufd", "", "unmap_cmd", "", 0, CF_NA, N_VFIO_COMPAT, NULL, NULL),
	ROW("iommufd", "", "map_cmd", "", 0, CF_NA, N_VFIO_COMPAT, NULL, NULL),
	ROW("iommufd", "", "info_cmd", "", 0, CF_NA, N_VFIO_COMPAT, NULL, NULL),
	ROW("iommufd", "", "set_iommu_cmd", "", 0, CF_NA, N_VFIO_COMPAT, NULL, NULL),
	ROW("iommufd", "", "vfio_ioas", "", 0, CF_NA, N_VFIO_COMPAT, NULL, NULL),

	/* FIXTURE(vfio_compat_mock_domain) */
	VC5(Ver1v2),
	VC5(Ver1v0),

	/* FIXTURE(iommufd_viommu) */
	VI(no_viommu, viommu_auto_destroy, 0, c_viommu_auto_destroy),
	VI(no_viommu, viommu_negative_tests, 0, c_viommu_negative_tests),
	VI_SKIP(viommu_alloc_nested_iopf),
	VI_SKIP(viommu_alloc_with_data),
	VI(no_viommu, vdevice_alloc, 0, c_vdevice_alloc),
	VI_SKIP(vdevice_cache),
	VI_SKIP(hw_queue),
	VI_SKIP(vdevice_tombstone),
	VI(mock_viommu, viommu_auto_destroy, 0, c_viommu_auto_destroy),
	VI(mock_viommu, viommu_negative_tests, 0, c_viommu_negative_tests),
	VI(mock_viommu, viommu_alloc_nested_iopf, CF_NEED_IOPF, c_viommu_alloc_nested_iopf),
	VI(mock_viommu, viommu_alloc_with_data, CF_NEED_VIOMMU_DATA, c_viommu_alloc_with_data),
	VI(mock_viommu, vdevice_alloc, 0, c_vdevice_alloc),
	VI(mock_viommu, vdevice_cache, CF_NEED_VDEV_CACHE, c_vdevice_cache),
	VI(mock_viommu, hw_queue, CF_NEED_HW_QUEUE, c_hw_queue),
	ROW("iommufd_viommu", "mock_viommu", "vdevice_tombstone", "", VI_N_mock_viommu, CF_STRICTER,
	    "vdevice-unbind: a device with a vDEVICE is not unbound (EBUSY; the kernel destroys "
	    "the vDEVICE and leaves its id a tombstone)",
	    c_vdevice_tombstone, &mock_viommu),

	/* FIXTURE(iommufd_device_pasid) */
	PA(no_pasid, "", DEV, CF_RUN, "", c_pasid_attach_rules),
	PA(no_pasid, "nested", DEV | CF_NEED_NESTING | CF_NEED_IOPF, CF_RUN, "",
	   c_pasid_attach_nested),
	PA(has_pasid, "", 0, CF_RUN, "", c_pasid_attach_rules),
	PA(has_pasid, "nested", CF_NEED_NESTING | CF_NEED_IOPF, CF_RUN, "", c_pasid_attach_nested),

	/* iommufd_fail_nth.c: FIXTURE(basic_fail_nth) */
	NTH(basic),
	NTH(map_domain),
	NTH(map_file_domain),
	NTH(map_two_domains),
	NTH(access_rw),
	NTH(access_pin),
	NTH(access_pin_domain),
	NTH(device),
};

const unsigned int cf_nr_cases = sizeof(cf_cases) / sizeof(cf_cases[0]);
