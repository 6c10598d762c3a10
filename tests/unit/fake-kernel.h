/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fake kernel for the iommufd backend's unit tests (check_iommufd*.c):
 * the ioctls it needs behind the per-context ioctl seam, fault queues
 * behind the read/write seam, and a sysfs tree with one device.
 */
#ifndef IOASID_TEST_FAKE_KERNEL_H
#define IOASID_TEST_FAKE_KERNEL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <ioasid/ioasid.h>

#include "linux/uapi.h"

/* The VT-d QEMU emulates (legacy mode), as its registers read. */
#define QEMU_VTD_CAP 0x00d2008c22260286ull
#define QEMU_VTD_ECAP 0x0000000000f00f5aull

struct fake {
	uint32_t next_id;
	unsigned long fail_req; /* refuse this request ... */
	int fail_err;           /* ... with this */
	uint32_t maps, unmaps, attaches, detaches, destroys;
	uint32_t changes; /* IOMMU_IOAS_CHANGE_PROCESS */
	struct ku_iommu_ioas_map last_map;
	struct ku_iommu_ioas_map_file last_map_file; /* MAP_FILE counts in @maps too */
	struct ku_iommu_ioas_unmap last_unmap;
	struct ku_vfio_device_attach_iommufd_pt last_attach;
	struct ku_iommu_hwpt_alloc last_hwpt;
	struct ku_iommu_hwpt_vtd_s1 last_s1;
	struct ku_iommu_hwpt_invalidate last_inv;
	struct ku_iommu_hwpt_vtd_s1_invalidate last_entry;
	uint64_t ecap;
	uint32_t bound;
	struct fake_fq *fq; /* fault queues (test_fake_kernel_faults) */
	uint32_t nr_fq;
};

/*
 * A kernel fault queue as docs/kernel-uapi.md §1.5 describes it (and
 * 7.2's eventq.c does):
 * records wait in whole groups; a read takes as many whole groups as fit,
 * giving each the lowest free cookie; a read that cannot take the first
 * group fails with EINVAL (old_kernel: returns 0); a response consumes
 * its cookie, EINVAL for an unknown one or a code other than 0/1. The fd
 * is an eventfd, readable while groups wait.
 */
#define FQ_MAX 32

struct fake_fq {
	int fd;
	uint32_t id;
	bool old_kernel;
	bool destroyed, fd_was_closed;
	struct ku_iommu_hwpt_pgfault recs[FQ_MAX];
	uint32_t nr;
	bool outstanding[FQ_MAX + 1];
	uint32_t writes;
	struct ku_iommu_hwpt_page_response last;
};

/* The device raises a group of @n records at @addr, @addr + 4K, ... */
void fake_fq_raise(struct fake_fq *f, uint32_t dev_id, bool pasid_valid, uint32_t pasid,
		   uint64_t addr, uint32_t perm, uint32_t n);

/* The fault queues' read/write seam (iommufd_set_fault_io_hook), data a struct fake. */
ssize_t fake_fault_io(void *data, int fd, void *buf, size_t len, bool is_write);

/*
 * Make the sysfs tree (one device, 0000:00:01.0, whose cdev is /dev/null's
 * 1:3) in a fresh temporary directory; fake_sysfs_rm() removes it.
 */
void fake_sysfs(void);
void fake_sysfs_rm(void);

/* An iommufd context on /dev/null whose kernel is @k, over the fake sysfs. */
struct ioasid_ctx *fake_ctx(struct fake *k);

/* The HWPT object the core made, found by kind. */
uint32_t find_hwpt(struct ioasid_ctx *ctx);

#endif
