/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every Check suite of the unit tests, one line each; check-all.c runs
 * them all (or those named by CK_RUN_SUITE).
 */
#ifndef IOASID_TEST_SUITES_H
#define IOASID_TEST_SUITES_H

#include <check.h>

#define IOASID_SUITES(X)       \
	X(ctx)                 \
	X(ioas)                \
	X(pin)                 \
	X(filemap)             \
	X(alloc_fail)          \
	X(threads)             \
	X(iova_tree)           \
	X(iova_tree_random)    \
	X(caps_build)          \
	X(caps_parse)          \
	X(caps_decode)         \
	X(caps_json)           \
	X(profile)             \
	X(profile_file)        \
	X(pasid_alloc)         \
	X(monitor)             \
	X(set)                 \
	X(dev)                 \
	X(hwpt)                \
	X(fault)               \
	X(fault_ring)          \
	X(pgtable)             \
	X(pgtable_map)         \
	X(pgtable_arm)         \
	X(pgtable_amd)         \
	X(sim_amd)             \
	X(iotlb)               \
	X(sim_access)          \
	X(sim_dirty)           \
	X(sim_smmuv3)          \
	X(sim_smmuv3_cache)    \
	X(sim_smmuv3_stall)    \
	X(virtio_iommu)        \
	X(virtio_iommu_probe)  \
	X(virtio_iommu_faults) \
	X(virtio_iommu_vmm)    \
	X(kernel_facts)        \
	X(iommufd)             \
	X(iommufd_faults)      \
	X(backend_auto)        \
	X(failnth)             \
	X(viommu)              \
	X(vendor)              \
	X(live_update)         \
	X(live_update_iommufd) \
	X(inspect)             \
	X(trace)

#define DECLARE_SUITE(name) Suite *name##_suite(void);
IOASID_SUITES(DECLARE_SUITE)
#undef DECLARE_SUITE

#endif
