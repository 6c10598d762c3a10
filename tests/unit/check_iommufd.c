/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The iommufd backend without a kernel: its ioctls and error paths for
 * IOAS, devices and nested HWPTs against a fake kernel behind the
 * backend's ioctl seam and a fake sysfs tree (fake-kernel.c); and the sim,
 * which has no kernel handles.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"

#include "backend/iommufd/iommufd-private.h"
#include "fake-kernel.h"

START_TEST(test_fake_kernel_ioas)
{
	const uint32_t RW = IOASID_MAP_READ | IOASID_MAP_WRITE, F = IOASID_MAP_FIXED_IOVA;
	struct fake k;
	struct ioasid_ctx *ctx;
	struct ioasid_mapping m;
	uint8_t *buf = test_mem(4 * 4096);
	uint32_t a, kid = 0;
	uint64_t iova = 0x100000, got;
	int fd = -1;

	fake_sysfs();
	ctx = fake_ctx(&k);
	ck_assert_ok(ctx, ioasid_ctx_fd(ctx, &fd));
	ck_assert_int_ge(fd, 0);
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	ck_assert_ok(ctx, ioasid_obj_kernel_id(ctx, a, &kid));
	ck_assert_uint_eq(kid, 1);
	/* a map reaches the kernel at the library's IOVA with its permissions */
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, a, buf, 2 * 4096, F | IOASID_MAP_READ, &iova));
	ck_assert_uint_eq(k.maps, 1);
	ck_assert_uint_eq(k.last_map.ioas_id, 1);
	ck_assert_uint_eq(k.last_map.iova, 0x100000);
	ck_assert_uint_eq(k.last_map.length, 2 * 4096);
	ck_assert_uint_eq(k.last_map.user_va, (uintptr_t)buf);
	ck_assert_uint_eq(k.last_map.flags, KU_IOMMU_IOAS_MAP_FIXED_IOVA | KU_IOMMU_IOAS_MAP_READABLE);
	/* automatic IOVA: chosen by the library, sent as FIXED */
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, a, buf + 2 * 4096, 4096, RW, &iova));
	ck_assert(k.last_map.flags & KU_IOMMU_IOAS_MAP_FIXED_IOVA);
	ck_assert_uint_eq(k.last_map.iova, iova);
	/* the kernel refuses: the library returns its errno and keeps nothing */
	k.fail_req = KU_IOMMU_IOAS_MAP;
	k.fail_err = -ENOMEM;
	iova = 0x400000;
	ck_assert_ret(ctx, ioasid_ioas_map(ctx, a, buf, 4096, F | RW, &iova), -ENOMEM);
	ck_assert_errmsg_has(ctx, "IOMMU_IOAS_MAP");
	ck_assert_int_eq(ioasid_ioas_lookup(ctx, a, 0x400000, &m), -ENOENT);
	k.fail_err = 0;
	/* refused by the library: the kernel is not asked */
	ck_assert_ret(ctx, ioasid_ioas_map(ctx, a, buf, 4096, F | RW, &(uint64_t){ 0x100000 }),
		      -EEXIST);
	ck_assert_uint_eq(k.maps, 2);
	ck_assert_ret(ctx, ioasid_ioas_unmap(ctx, a, 0x100000, 4096, NULL), -ENOENT);
	ck_assert_uint_eq(k.unmaps, 0);
	/* unmap: exactly the area */
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, a, 0x100000, 2 * 4096, &got));
	ck_assert_uint_eq(k.unmaps, 1);
	ck_assert_uint_eq(k.last_unmap.iova, 0x100000);
	ck_assert_uint_eq(k.last_unmap.length, 2 * 4096);
	/* huge pages off goes to the kernel; a kernel refusal restores it */
	k.fail_req = KU_IOMMU_OPTION;
	k.fail_err = -EINVAL;
	ck_assert_ret(ctx, ioasid_ioas_set_option(ctx, a, IOASID_IOAS_OPT_HUGE_PAGES, 0), -EINVAL);
	ck_assert_ok(ctx, ioasid_ioas_get_option(ctx, a, IOASID_IOAS_OPT_HUGE_PAGES, &got));
	ck_assert_uint_eq(got, 1);
	k.fail_err = 0;
	/* IOAS alloc refused by the kernel */
	k.fail_req = KU_IOMMU_IOAS_ALLOC;
	k.fail_err = -ENOTTY;
	ck_assert_ret(ctx, ioasid_ioas_alloc(ctx, &kid), -ENOTTY);
	ck_assert_errmsg_has(ctx, "not an iommufd");
	k.fail_err = 0;
	ck_assert_ok(ctx, ioasid_ioas_destroy(ctx, a));
	ck_assert_uint_eq(k.unmaps, 2); /* the remaining area went first */
	ck_assert_uint_eq(k.destroys, 1);
	ioasid_ctx_close(ctx);
	fake_sysfs_rm();
	munmap(buf, 4 * 4096);
}
END_TEST

START_TEST(test_fake_kernel_device)
{
	const uint32_t RW = IOASID_MAP_READ | IOASID_MAP_WRITE, F = IOASID_MAP_FIXED_IOVA;
	struct ioasid_iova_range r[4];
	struct fake k;
	struct ioasid_ctx *ctx;
	uint8_t *buf = test_mem(4096);
	uint32_t a, b, d, h, n = 4, kid = 0;
	uint64_t iova = 0xfee00000, align;
	char name[64];
	int fd, got;

	fake_sysfs();
	ctx = fake_ctx(&k);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_ok(ctx, ioasid_dev_bind_fd(ctx, fd, &d));
	ck_assert_uint_eq(k.bound, 1);
	/* the probe attached once and detached */
	ck_assert_uint_eq(k.attaches, 1);
	ck_assert_uint_eq(k.detaches, 1);
	ck_assert_ok(ctx, ioasid_dev_name(ctx, d, name, sizeof(name)));
	ck_assert_str_eq(name, "/dev/vfio/devices/vfio0");
	ck_assert_ok(ctx, ioasid_obj_kernel_id(ctx, d, &kid));
	ck_assert_uint_eq(kid, 77);
	ck_assert_ok(ctx, ioasid_dev_fd(ctx, d, &got));
	ck_assert_int_eq(got, fd);

	/* attach to an IOAS: the kernel attaches to the IOAS id */
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, a, NULL));
	ck_assert_uint_eq(k.last_attach.pt_id, 2); /* 1 was the probe's IOAS */
	ck_assert_uint_eq(k.last_attach.flags, 0);
	h = find_hwpt(ctx);
	ck_assert_uint_ne(h, 0);
	ck_assert_ok(ctx, ioasid_obj_kernel_id(ctx, h, &kid));
	ck_assert_uint_eq(kid, 502); /* what the kernel reported */
	/* the device's reserved region and aperture now bind the IOAS */
	ck_assert_ok(ctx, ioasid_ioas_iova_ranges(ctx, a, r, &n, &align));
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(r[0].last, 0xfedfffff);
	ck_assert_uint_eq(r[1].last, (1ull << 39) - 1);
	ck_assert_uint_eq(align, 4096);
	ck_assert_ret(ctx, ioasid_ioas_map(ctx, a, buf, 4096, F | RW, &iova), -EINVAL);
	/* a kernel refusal of an attach leaves nothing behind */
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &b));
	k.fail_req = KU_VFIO_DEVICE_ATTACH_IOMMUFD_PT;
	k.fail_err = -EBUSY;
	ck_assert_ret(ctx, ioasid_dev_replace(ctx, d, IOASID_PASID_NONE, b, NULL), -EBUSY);
	ck_assert_errmsg_has(ctx, "VFIO_DEVICE_ATTACH_IOMMUFD_PT");
	k.fail_err = 0;
	ck_assert_ok(ctx, ioasid_dev_attached(ctx, d, IOASID_PASID_NONE, &kid));
	ck_assert_uint_eq(kid, a);
	n = 4;
	ck_assert_ok(ctx, ioasid_ioas_iova_ranges(ctx, b, r, &n, &align));
	ck_assert_uint_eq(n, 1);
	/* replace: one kernel attach, no detach in between */
	k.detaches = 0;
	ck_assert_ok(ctx, ioasid_dev_replace(ctx, d, IOASID_PASID_NONE, b, NULL));
	ck_assert_uint_eq(k.last_attach.pt_id, 3);
	ck_assert_uint_eq(k.detaches, 0);
	/* onto what it is on already, by IOAS or by its domain: no ioctl at all */
	k.attaches = 0;
	ck_assert_ok(ctx, ioasid_dev_replace(ctx, d, IOASID_PASID_NONE, b, NULL));
	ck_assert_ok(ctx, ioasid_dev_replace(ctx, d, IOASID_PASID_NONE, find_hwpt(ctx), NULL));
	ck_assert_uint_eq(k.attaches, 0);
	ck_assert_uint_eq(k.detaches, 0);
	ck_assert_ok(ctx, ioasid_dev_replace(ctx, d, IOASID_PASID_NONE, b, NULL));
	ck_assert_ok(ctx, ioasid_dev_attached(ctx, d, IOASID_PASID_NONE, &kid));
	ck_assert_uint_eq(kid, b);
	ck_assert_ok(ctx, ioasid_dev_detach(ctx, d, IOASID_PASID_NONE));
	ck_assert_uint_eq(k.detaches, 1);
	/* QEMU's VT-d (legacy mode): no nesting, dirty tracking or PASID */
	ck_assert_ret(ctx, ioasid_hwpt_alloc(ctx, d, a,
					     &(struct ioasid_hwpt_opts){ .sz = sizeof(struct ioasid_hwpt_opts),
									  .flags = IOASID_HWPT_NEST_PARENT },
					     &h), -EOPNOTSUPP);
	ck_assert_ok(ctx, ioasid_dev_unbind(ctx, d));
	/* the caller keeps its fd */
	ck_assert_int_eq(fcntl(fd, F_GETFD), FD_CLOEXEC);
	close(fd);
	ioasid_ctx_close(ctx);
	fake_sysfs_rm();
	munmap(buf, 4096);
}
END_TEST

/* Invalidations of a nested VT-d HWPT, typed and raw, as the kernel gets them. */
static void nested_invalidations(struct ioasid_ctx *ctx, struct fake *k, uint32_t nested)
{
	struct ioasid_inv_req req;
	struct ku_iommu_hwpt_vtd_s1_invalidate raw[2];
	uint32_t n;

	/* a typed range request becomes one VT-d entry in 4 KiB pages */
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.version = 1;
	req.kind = IOASID_INV_IOTLB;
	req.granularity = IOASID_INV_RANGE;
	req.flags = IOASID_INV_LEAF;
	req.pasid = IOASID_PASID_NONE;
	req.log2_pgsize = 21;
	req.addr = 0x400000;
	req.npages = 2;
	n = 1;
	ck_assert_ok(ctx, ioasid_hwpt_invalidate(ctx, nested, &req, &n, NULL));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(k->last_inv.data_type, KU_IOMMU_HWPT_INVALIDATE_DATA_VTD_S1);
	ck_assert_uint_eq(k->last_inv.entry_num, 1);
	ck_assert_uint_eq(k->last_entry.addr, 0x400000);
	ck_assert_uint_eq(k->last_entry.npages, 1024);
	ck_assert_uint_eq(k->last_entry.flags, KU_IOMMU_VTD_INV_FLAGS_LEAF);
	/* everything */
	req.granularity = IOASID_INV_ALL;
	n = 1;
	ck_assert_ok(ctx, ioasid_hwpt_invalidate(ctx, nested, &req, &n, NULL));
	ck_assert_uint_eq(k->last_entry.addr, 0);
	ck_assert_uint_eq(k->last_entry.npages, UINT64_MAX);
	/* a raw array passes through unchanged; the kernel's count comes back */
	memset(raw, 0, sizeof(raw));
	raw[0].addr = 0x1000;
	raw[0].npages = 3;
	n = 2;
	ck_assert_ok(ctx, ioasid_hwpt_invalidate_raw(ctx, nested, IOASID_INV_DATA_VTD_S1, raw,
						     sizeof(raw[0]), &n));
	ck_assert_uint_eq(k->last_inv.entry_num, 2);
	ck_assert_uint_eq(k->last_inv.entry_len, 24);
	ck_assert_uint_eq(k->last_entry.npages, 3);
	k->fail_req = KU_IOMMU_HWPT_INVALIDATE;
	k->fail_err = -EOPNOTSUPP;
	n = 2;
	ck_assert_ret(ctx, ioasid_hwpt_invalidate_raw(ctx, nested, IOASID_INV_DATA_VTD_S1, raw,
						      sizeof(raw[0]), &n), -EOPNOTSUPP);
	k->fail_err = 0;
}

START_TEST(test_fake_kernel_nested)
{
	/* a scalable-mode VT-d with nesting */
	const uint64_t ecap = QEMU_VTD_ECAP | 1ull << 26 | 1ull << 43 | 1ull << 46 | 1ull << 47;
	struct ioasid_hwpt_vtd_s1 s1 = { .pgtbl_addr = 0x200000, .addr_width = 48 };
	struct fake k;
	struct ioasid_ctx *ctx;
	uint32_t a, d, parent, nested, kid;
	int fd;

	fake_sysfs();
	ctx = fake_ctx(&k);
	k.ecap = ecap;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ck_assert_ok(ctx, ioasid_dev_bind_fd(ctx, fd, &d));
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, d, a,
					    &(struct ioasid_hwpt_opts){
						    .sz = sizeof(struct ioasid_hwpt_opts),
						    .flags = IOASID_HWPT_NEST_PARENT },
					    &parent));
	ck_assert_uint_eq(k.last_hwpt.flags, KU_IOMMU_HWPT_ALLOC_NEST_PARENT);
	ck_assert_uint_eq(k.last_hwpt.dev_id, 77);
	ck_assert_ok(ctx, ioasid_obj_kernel_id(ctx, parent, &kid));
	ck_assert_uint_eq(kid, k.last_hwpt.out_hwpt_id);
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, d, parent,
					    &(struct ioasid_hwpt_opts){
						    .sz = sizeof(struct ioasid_hwpt_opts),
						    .type = IOASID_HWPT_NESTED_VTD_S1,
						    .data = &s1,
						    .data_len = sizeof(s1) },
					    &nested));
	ck_assert_uint_eq(k.last_hwpt.pt_id, kid);
	ck_assert_uint_eq(k.last_hwpt.data_type, KU_IOMMU_HWPT_DATA_VTD_S1);
	ck_assert_uint_eq(k.last_hwpt.data_len, 24);
	ck_assert_uint_eq(k.last_s1.pgtbl_addr, 0x200000);
	ck_assert_uint_eq(k.last_s1.addr_width, 48);
	nested_invalidations(ctx, &k, nested);
	ck_assert_ok(ctx, ioasid_hwpt_destroy(ctx, nested));
	ck_assert_ok(ctx, ioasid_hwpt_destroy(ctx, parent));
	ioasid_ctx_close(ctx);
	close(fd);
	fake_sysfs_rm();
}
END_TEST

START_TEST(test_sim_has_no_kernel_handles)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint32_t a, k;
	int fd;

	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	ck_assert_ret(ctx, ioasid_ctx_fd(ctx, &fd), -EOPNOTSUPP);
	ck_assert_ret(ctx, ioasid_obj_kernel_id(ctx, a, &k), -EOPNOTSUPP);
	ck_assert_ret(ctx, ioasid_obj_kernel_id(ctx, 999, &k), -ENOENT);
	ck_assert_ret(ctx, ioasid_obj_kernel_id(ctx, a, NULL), -EINVAL);
	ioasid_ctx_close(ctx);
}
END_TEST

Suite *iommufd_suite(void)
{
	Suite *s = suite_create("iommufd");
	TCase *tc = tcase_create("iommufd");

	tcase_add_test(tc, test_fake_kernel_ioas);
	tcase_add_test(tc, test_fake_kernel_device);
	tcase_add_test(tc, test_fake_kernel_nested);
	tcase_add_test(tc, test_sim_has_no_kernel_handles);
	suite_add_tcase(s, tc);
	return s;
}
