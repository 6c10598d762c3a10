/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vIOMMU objects (include/ioasid/viommu.h, kernel-uapi.md §1.8) on the
 * iommufd backend over the stateful fake kernel (tests/fake-kernel/), which
 * answers with the kernel's test driver: the object graph, the ids and the
 * EEXIST/EBUSY/ENOENT rules the kernel checks before any driver, and the
 * library's records against the kernel's after each step. The vfio and sim
 * backends answer EOPNOTSUPP with a message naming the feature.
 */
#include <unistd.h>

#include "helpers.h"
#include "suites.h"

#include "../fake-kernel/fk.h"
#include "../fake-kernel/fk-vfio.h"

#define MEM_LEN (16 * 4096)
#define FIX (IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA)

struct venv {
	struct fk k;
	struct ioasid_ctx *ctx;
	int fd[2];
	uint32_t dev[2], ioas, parent, viommu;
	void *mem;
};

/* Two devices on a nesting VT-d, an IOAS with memory at 0x100000, a nest parent. */
static void venv_open(struct venv *e)
{
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho), .flags = IOASID_HWPT_NEST_PARENT };
	uint64_t iova = 0x100000;
	int i;

	memset(e, 0, sizeof(*e));
	fk_sysfs();
	fk_init(&e->k);
	e->k.ecap = FK_VTD_ECAP_NESTING;
	e->ctx = fk_ctx(&e->k);
	e->mem = mmap(NULL, MEM_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(e->mem, MAP_FAILED);
	for (i = 0; i < 2; i++) {
		e->fd[i] = fk_open_dev(&e->k, i);
		ck_assert_ok(e->ctx, ioasid_dev_bind_fd(e->ctx, e->fd[i], &e->dev[i]));
	}
	ck_assert_ok(e->ctx, ioasid_ioas_alloc(e->ctx, &e->ioas));
	ck_assert_ok(e->ctx, ioasid_ioas_map(e->ctx, e->ioas, e->mem, 4 * 4096, FIX, &iova));
	ck_assert_ok(e->ctx, ioasid_hwpt_alloc(e->ctx, e->dev[0], e->ioas, &ho, &e->parent));
}

/* The library's records and the kernel's agree, then everything goes. */
static void venv_close(struct venv *e)
{
	char *kern = fk_state_kernel(&e->k), *lib = fk_state_library(e->ctx);
	char *diff = fk_state_diff(kern, lib);

	ck_assert_msg(!diff, "records and kernel differ:\n%s", diff ? diff : "");
	free(kern);
	free(lib);
	ioasid_ctx_close(e->ctx);
	fk_release(&e->k);
	munmap(e->mem, MEM_LEN);
	fk_sysfs_rm();
}

static int viommu_alloc(struct venv *e, uint32_t type, uint32_t hwpt, uint32_t *ret)
{
	struct ioasid_viommu_opts vo = IOASID_OPTS_INIT(ioasid_viommu_opts);

	vo.type = type;
	return ioasid_viommu_alloc(e->ctx, e->dev[0], hwpt, &vo, ret);
}

static void with_viommu(struct venv *e)
{
	venv_open(e);
	ck_assert_ok(e->ctx, viommu_alloc(e, IOASID_VIOMMU_SELFTEST, e->parent, &e->viommu));
}

START_TEST(test_viommu_alloc_rules)
{
	struct ioasid_viommu_selftest d = { .in_data = 0xabcd };
	struct ioasid_viommu_opts vo = IOASID_OPTS_INIT(ioasid_viommu_opts);
	struct ioasid_hwpt_opts ho = IOASID_OPTS_INIT(ioasid_hwpt_opts);
	struct ioasid_viommu_info info = IOASID_OPTS_INIT(ioasid_viommu_info);
	uint32_t v, plain;
	struct venv e;

	venv_open(&e);
	ck_assert_ret(e.ctx, viommu_alloc(&e, 0, e.parent, &v), -EOPNOTSUPP);
	ck_assert_errmsg_has(e.ctx, "type 0 is reserved");
	vo.type = IOASID_VIOMMU_SELFTEST;
	vo.flags = 1;
	ck_assert_ret(e.ctx, ioasid_viommu_alloc(e.ctx, e.dev[0], e.parent, &vo, &v), -EOPNOTSUPP);
	ck_assert_errmsg_has(e.ctx, "flags 0x1");
	ck_assert_ret(e.ctx, ioasid_viommu_alloc(e.ctx, e.dev[0], e.parent, NULL, &v), -EINVAL);
	/* the driver has no such type: the kernel's answer, with its message */
	ck_assert_ret(e.ctx, viommu_alloc(&e, IOASID_VIOMMU_ARM_SMMUV3, e.parent, &v), -EOPNOTSUPP);
	ck_assert_errmsg_has(e.ctx, "IOMMU_VIOMMU_ALLOC");
	ck_assert_ret(e.ctx, viommu_alloc(&e, IOASID_VIOMMU_SELFTEST, e.ioas, &v), -ENOENT);
	ck_assert_errmsg_has(e.ctx, "no paging HWPT with id");
	ck_assert_ok(e.ctx, ioasid_hwpt_alloc(e.ctx, e.dev[0], e.ioas, &ho, &plain));
	ck_assert_ret(e.ctx, viommu_alloc(&e, IOASID_VIOMMU_SELFTEST, plain, &v), -EINVAL);
	ck_assert_errmsg_has(e.ctx, "not a nest parent");
	vo.flags = 0;
	vo.data = &d;
	vo.data_len = sizeof(d);
	ck_assert_ret(e.ctx, ioasid_viommu_alloc(e.ctx, 99, e.parent, &vo, &v), -ENOENT);
	ck_assert_ok(e.ctx, ioasid_viommu_alloc(e.ctx, e.dev[0], e.parent, &vo, &v));
	/* the driver writes back into the caller's data */
	ck_assert_uint_eq(d.out_data, 0xabcd);
	ck_assert_int_eq(ioasid_obj_kind(e.ctx, v), IOASID_OBJ_VIOMMU);
	ck_assert_ok(e.ctx, ioasid_viommu_info(e.ctx, v, &info));
	ck_assert_uint_eq(info.type, IOASID_VIOMMU_SELFTEST);
	ck_assert_uint_eq(info.hwpt, e.parent);
	ck_assert_uint_eq(info.dev, e.dev[0]);
	/* it holds its nest parent */
	ck_assert_ret(e.ctx, ioasid_hwpt_destroy(e.ctx, e.parent), -EBUSY);
	ck_assert_ok(e.ctx, ioasid_hwpt_destroy(e.ctx, plain));
	venv_close(&e);
}
END_TEST

START_TEST(test_vdevice_rules)
{
	struct ioasid_viommu_info info = IOASID_OPTS_INIT(ioasid_viommu_info);
	uint32_t vd, vd2, got, gotdev, gotv, kid;
	uint64_t virt;
	struct venv e;

	with_viommu(&e);
	ck_assert_ret(e.ctx, ioasid_vdevice_alloc(e.ctx, 77, e.dev[0], 3, &vd), -ENOENT);
	ck_assert_errmsg_has(e.ctx, "no vIOMMU with id 77");
	ck_assert_ret(e.ctx, ioasid_vdevice_alloc(e.ctx, e.parent, e.dev[0], 3, &vd), -ENOENT);
	ck_assert_errmsg_has(e.ctx, "is a hwpt, not a vIOMMU");
	ck_assert_ret(e.ctx, ioasid_vdevice_alloc(e.ctx, e.viommu, 99, 3, &vd), -ENOENT);
	ck_assert_ok(e.ctx, ioasid_vdevice_alloc(e.ctx, e.viommu, e.dev[0], 3, &vd));
	/* one vDEVICE per device, one device per virtual id */
	ck_assert_ret(e.ctx, ioasid_vdevice_alloc(e.ctx, e.viommu, e.dev[0], 4, &vd2), -EEXIST);
	ck_assert_errmsg_has(e.ctx, "has vDEVICE");
	ck_assert_ret(e.ctx, ioasid_vdevice_alloc(e.ctx, e.viommu, e.dev[1], 3, &vd2), -EEXIST);
	ck_assert_errmsg_has(e.ctx, "virt_id 0x3 of vIOMMU");
	ck_assert_ok(e.ctx, ioasid_vdevice_alloc(e.ctx, e.viommu, e.dev[1], 4, &vd2));
	/* lookups both ways */
	ck_assert_ok(e.ctx, ioasid_vdevice_find(e.ctx, e.viommu, 3, &got, &gotdev));
	ck_assert_uint_eq(got, vd);
	ck_assert_uint_eq(gotdev, e.dev[0]);
	ck_assert_ret(e.ctx, ioasid_vdevice_find(e.ctx, e.viommu, 5, &got, NULL), -ENOENT);
	ck_assert_errmsg_has(e.ctx, "no vDEVICE at virt_id 0x5");
	ck_assert_ok(e.ctx, ioasid_vdevice_of_dev(e.ctx, e.dev[1], &got, &gotv, &virt));
	ck_assert_uint_eq(got, vd2);
	ck_assert_uint_eq(gotv, e.viommu);
	ck_assert_uint_eq(virt, 4);
	ck_assert_ok(e.ctx, ioasid_obj_kernel_id(e.ctx, vd2, &kid));
	ck_assert_int_eq(e.k.obj[kid].kind, FK_VDEVICE);
	ck_assert_uint_eq(e.k.obj[kid].virt_id, 4);
	ck_assert_ok(e.ctx, ioasid_viommu_info(e.ctx, e.viommu, &info));
	ck_assert_uint_eq(info.nr_vdevices, 2);
	/* a vIOMMU with vDEVICEs stays; a device with one stays bound */
	ck_assert_ret(e.ctx, ioasid_viommu_destroy(e.ctx, e.viommu), -EBUSY);
	ck_assert_ret(e.ctx, ioasid_dev_unbind(e.ctx, e.dev[0]), -EBUSY);
	ck_assert_ok(e.ctx, ioasid_vdevice_destroy(e.ctx, vd));
	ck_assert_ret(e.ctx, ioasid_vdevice_of_dev(e.ctx, e.dev[0], &got, NULL, NULL), -ENOENT);
	ck_assert_errmsg_has(e.ctx, "has no vDEVICE");
	ck_assert_ret(e.ctx, ioasid_vdevice_destroy(e.ctx, e.viommu), -ENOENT);
	/* the id is free for another device now */
	ck_assert_ok(e.ctx, ioasid_vdevice_alloc(e.ctx, e.viommu, e.dev[0], 3, &vd));
	venv_close(&e);
}
END_TEST

static int nested_alloc(struct venv *e, uint32_t dev, uint32_t pt, uint32_t flags, uint32_t *ret)
{
	struct ioasid_hwpt_opts ho = IOASID_OPTS_INIT(ioasid_hwpt_opts);
	static const uint32_t data[2] = { 0xbadbeef, 0 };

	ho.type = IOASID_HWPT_NESTED_SELFTEST;
	ho.flags = flags;
	ho.data = data;
	ho.data_len = sizeof(data);
	return ioasid_hwpt_alloc(e->ctx, dev, pt, &ho, ret);
}

START_TEST(test_nested_on_viommu)
{
	struct ioasid_hwpt_opts ho = IOASID_OPTS_INIT(ioasid_hwpt_opts);
	uint32_t h, h2, vd;
	struct venv e;

	with_viommu(&e);
	ck_assert_ret(e.ctx, nested_alloc(&e, e.dev[0], e.viommu, IOASID_HWPT_NEST_PARENT, &h),
		      -EOPNOTSUPP);
	ck_assert_errmsg_has(e.ctx, "takes only the FAULT_ID_VALID and PASID flags");
	/* no data: the kernel's EOPNOTSUPP of a vIOMMU (not the EINVAL of a type without data) */
	ck_assert_ret(e.ctx, ioasid_hwpt_alloc(e.ctx, e.dev[0], e.viommu, &ho, &h), -EOPNOTSUPP);
	ck_assert_errmsg_has(e.ctx, "needs its driver's data");
	ck_assert_ret(e.ctx, nested_alloc(&e, 99, e.viommu, 0, &h), -ENOENT);
	ck_assert_ok(e.ctx, nested_alloc(&e, e.dev[0], e.viommu, 0, &h));
	ck_assert_ok(e.ctx, nested_alloc(&e, e.dev[1], e.viommu, IOASID_HWPT_PASID, &h2));
	/* it holds the vIOMMU, not the parent's nested count */
	ck_assert_ret(e.ctx, ioasid_viommu_destroy(e.ctx, e.viommu), -EBUSY);
	ck_assert_errmsg_has(e.ctx, "in use by 2");
	ck_assert_ok(e.ctx, ioasid_vdevice_alloc(e.ctx, e.viommu, e.dev[0], 8, &vd));
	ck_assert_ok(e.ctx, ioasid_dev_attach(e.ctx, e.dev[0], IOASID_PASID_NONE, h, NULL));
	ck_assert_ret(e.ctx, ioasid_hwpt_destroy(e.ctx, h), -EBUSY);
	ck_assert_ok(e.ctx, ioasid_dev_detach(e.ctx, e.dev[0], IOASID_PASID_NONE));
	ck_assert_ok(e.ctx, ioasid_hwpt_destroy(e.ctx, h2));
	ck_assert_ok(e.ctx, ioasid_hwpt_destroy(e.ctx, h));
	ck_assert_ok(e.ctx, ioasid_vdevice_destroy(e.ctx, vd));
	ck_assert_ok(e.ctx, ioasid_viommu_destroy(e.ctx, e.viommu));
	/* and with it gone, the parent may go */
	ck_assert_ok(e.ctx, ioasid_hwpt_destroy(e.ctx, e.parent));
	venv_close(&e);
}
END_TEST

START_TEST(test_viommu_invalidate)
{
	struct ioasid_viommu_inv_selftest inv[2] = { { .vdev_id = 8, .cache_id = 1 },
						     { .vdev_id = 9, .cache_id = 1 } };
	uint8_t big[sizeof(inv[0]) + 4] = { 0 };
	uint32_t n, vd;
	struct venv e;

	with_viommu(&e);
	ck_assert_ok(e.ctx, ioasid_vdevice_alloc(e.ctx, e.viommu, e.dev[0], 8, &vd));
	/* the kernel's bounds first, whatever the object */
	n = 1;
	ck_assert_ret(e.ctx,
		      ioasid_viommu_invalidate(e.ctx, 99, IOASID_VIOMMU_INV_SELFTEST, NULL,
					       sizeof(inv[0]), &n),
		      -EINVAL);
	ck_assert_uint_eq(n, 0);
	n = 1;
	ck_assert_ret(e.ctx,
		      ioasid_viommu_invalidate(e.ctx, 99, IOASID_VIOMMU_INV_SELFTEST, inv,
					       sizeof(inv[0]), &n),
		      -ENOENT);
	n = 1;
	ck_assert_ret(e.ctx,
		      ioasid_viommu_invalidate(e.ctx, e.ioas, IOASID_VIOMMU_INV_SELFTEST, inv,
					       sizeof(inv[0]), &n),
		      -EINVAL);
	ck_assert_errmsg_has(e.ctx, "not a vIOMMU");
	/* zero entries: checks the type only */
	n = 0;
	ck_assert_ok(e.ctx, ioasid_viommu_invalidate(e.ctx, e.viommu, IOASID_VIOMMU_INV_SELFTEST,
						     NULL, 0, &n));
	n = 1;
	ck_assert_ok(e.ctx, ioasid_viommu_invalidate(e.ctx, e.viommu, IOASID_VIOMMU_INV_SELFTEST,
						     inv, sizeof(inv[0]), &n));
	ck_assert_uint_eq(n, 1);
	/* the second names a virtual id with no vDEVICE: entry 1 refused */
	n = 2;
	ck_assert_ret(e.ctx,
		      ioasid_viommu_invalidate(e.ctx, e.viommu, IOASID_VIOMMU_INV_SELFTEST, inv,
					       sizeof(inv[0]), &n),
		      -EINVAL);
	ck_assert_uint_eq(n, 1);
	ck_assert_errmsg_has(e.ctx, "entry 1 refused");
	/* a longer entry with a zero tail is fine; a non-zero tail E2BIG */
	memcpy(big, &inv[0], sizeof(inv[0]));
	n = 1;
	ck_assert_ok(e.ctx, ioasid_viommu_invalidate(e.ctx, e.viommu, IOASID_VIOMMU_INV_SELFTEST,
						     big, sizeof(big), &n));
	big[sizeof(big) - 1] = 1;
	ck_assert_ret(e.ctx,
		      ioasid_viommu_invalidate(e.ctx, e.viommu, IOASID_VIOMMU_INV_SELFTEST, big,
					       sizeof(big), &n),
		      -E2BIG);
	venv_close(&e);
}
END_TEST

START_TEST(test_veventq)
{
	struct ioasid_veventq_opts qo = IOASID_OPTS_INIT(ioasid_veventq_opts);
	struct ioasid_veventq_stats st = IOASID_OPTS_INIT(ioasid_veventq_stats);
	struct ioasid_vevent ev[8];
	uint32_t q, q2, vd, n, virt, kdev;
	int fd, i;
	struct venv e;

	with_viommu(&e);
	qo.type = IOASID_VEVENTQ_SELFTEST;
	ck_assert_ret(e.ctx, ioasid_veventq_alloc(e.ctx, e.viommu, &qo, &q), -EINVAL);
	ck_assert_errmsg_has(e.ctx, "depth 0");
	qo.depth = 2;
	qo.type = 0;
	ck_assert_ret(e.ctx, ioasid_veventq_alloc(e.ctx, e.viommu, &qo, &q), -EOPNOTSUPP);
	qo.type = IOASID_VEVENTQ_SELFTEST;
	ck_assert_ret(e.ctx, ioasid_veventq_alloc(e.ctx, 99, &qo, &q), -ENOENT);
	ck_assert_ok(e.ctx, ioasid_veventq_alloc(e.ctx, e.viommu, &qo, &q));
	ck_assert_ret(e.ctx, ioasid_veventq_alloc(e.ctx, e.viommu, &qo, &q2), -EEXIST);
	ck_assert_errmsg_has(e.ctx, "has vEVENTQ");
	ck_assert_ok(e.ctx, ioasid_veventq_fd(e.ctx, q, &fd));
	ck_assert_int_ge(fd, 0);
	ck_assert_ok(e.ctx, ioasid_vdevice_alloc(e.ctx, e.viommu, e.dev[0], 0x42, &vd));
	ck_assert_ok(e.ctx, ioasid_obj_kernel_id(e.ctx, e.dev[0], &kdev));
	/* nothing waits */
	ck_assert_ok(e.ctx, ioasid_veventq_read(e.ctx, q, ev, 8, &n));
	ck_assert_uint_eq(n, 0);
	/* depth 2: the third and fourth are lost, one mark says so */
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(fk_vevent_trigger(&e.k, kdev), 0);
	ck_assert_ok(e.ctx, ioasid_veventq_read(e.ctx, q, ev, 8, &n));
	ck_assert_uint_eq(n, 3);
	memcpy(&virt, ev[0].data, sizeof(virt));
	ck_assert_uint_eq(virt, 0x42);
	ck_assert_uint_eq(ev[0].data_len, 4);
	ck_assert_uint_eq(ev[1].sequence, ev[0].sequence + 1);
	ck_assert_uint_eq(ev[2].flags, IOASID_VEVENT_LOST_EVENTS);
	ck_assert_uint_eq(ev[2].data_len, 0);
	/* one more after the loss: its sequence shows the gap too */
	ck_assert_int_eq(fk_vevent_trigger(&e.k, kdev), 0);
	ck_assert_ok(e.ctx, ioasid_veventq_read(e.ctx, q, ev, 8, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_ok(e.ctx, ioasid_veventq_stats(e.ctx, q, &st));
	ck_assert_uint_eq(st.read, 3);
	ck_assert_uint_eq(st.lost_marks, 1);
	ck_assert_uint_eq(st.seq_gaps, 1);
	ck_assert_uint_eq(st.viommu, e.viommu);
	ck_assert_ret(e.ctx, ioasid_viommu_destroy(e.ctx, e.viommu), -EBUSY);
	ck_assert_ok(e.ctx, ioasid_veventq_destroy(e.ctx, q));
	ck_assert_ret(e.ctx, ioasid_veventq_fd(e.ctx, q, &fd), -ENOENT);
	venv_close(&e);
}
END_TEST

/* A queue goes to the owner of the vIOMMU's set, nobody else. */
START_TEST(test_veventq_owner)
{
	struct ioasid_veventq_opts qo = IOASID_OPTS_INIT(ioasid_veventq_opts);
	struct ioasid_veventq_stats st = IOASID_OPTS_INIT(ioasid_veventq_stats);
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho), .flags = IOASID_HWPT_NEST_PARENT };
	struct ioasid_set_opts so = { .sz = sizeof(so), .max_ioas = 2 };
	uint32_t set_a, set_b, ioas_a, parent_a, v, q;
	struct venv e;

	venv_open(&e);
	ck_assert_ok(e.ctx, ioasid_set_alloc(e.ctx, &so, &set_a));
	ck_assert_ok(e.ctx, ioasid_set_alloc(e.ctx, &so, &set_b));
	ck_assert_ok(e.ctx, ioasid_set_ioas_alloc(e.ctx, set_a, &ioas_a));
	ck_assert_ok(e.ctx, ioasid_hwpt_alloc(e.ctx, e.dev[1], ioas_a, &ho, &parent_a));
	ck_assert_ok(e.ctx, viommu_alloc(&e, IOASID_VIOMMU_SELFTEST, parent_a, &v));
	qo.type = IOASID_VEVENTQ_SELFTEST;
	qo.depth = 4;
	qo.set = set_b;
	ck_assert_ret(e.ctx, ioasid_veventq_alloc(e.ctx, v, &qo, &q), -EPERM);
	ck_assert_errmsg_has(e.ctx, "does not own vIOMMU");
	qo.set = 99;
	ck_assert_ret(e.ctx, ioasid_veventq_alloc(e.ctx, v, &qo, &q), -ENOENT);
	qo.set = 0;
	ck_assert_ok(e.ctx, ioasid_veventq_alloc(e.ctx, v, &qo, &q));
	ck_assert_ok(e.ctx, ioasid_veventq_stats(e.ctx, q, &st));
	ck_assert_uint_eq(st.set, set_a);
	venv_close(&e);
}
END_TEST

START_TEST(test_hw_queue)
{
	struct ioasid_hw_queue_opts o = IOASID_OPTS_INIT(ioasid_hw_queue_opts);
	uint32_t q0, q1, x;
	struct venv e;

	with_viommu(&e);
	o.type = IOASID_HW_QUEUE_SELFTEST;
	o.iova = 0x100000;
	ck_assert_ret(e.ctx, ioasid_hw_queue_alloc(e.ctx, e.viommu, &o, &x), -EINVAL);
	ck_assert_errmsg_has(e.ctx, "length 0");
	o.iova = ~0ull - 10;
	o.length = 4096;
	ck_assert_ret(e.ctx, ioasid_hw_queue_alloc(e.ctx, e.viommu, &o, &x), -EOVERFLOW);
	o.type = 0;
	ck_assert_ret(e.ctx, ioasid_hw_queue_alloc(e.ctx, e.viommu, &o, &x), -EOPNOTSUPP);
	o.type = IOASID_HW_QUEUE_SELFTEST;
	o.iova = 0x100000;
	ck_assert_ret(e.ctx, ioasid_hw_queue_alloc(e.ctx, 99, &o, &x), -ENOENT);
	/* memory not mapped in the parent's IOAS: the pin fails */
	o.iova = 0x800000;
	ck_assert_ret(e.ctx, ioasid_hw_queue_alloc(e.ctx, e.viommu, &o, &x), -ENOENT);
	o.iova = 0x100000;
	/* index 1 before 0: the test driver's EIO */
	o.index = 1;
	ck_assert_ret(e.ctx, ioasid_hw_queue_alloc(e.ctx, e.viommu, &o, &x), -EIO);
	o.index = 0;
	ck_assert_ok(e.ctx, ioasid_hw_queue_alloc(e.ctx, e.viommu, &o, &q0));
	ck_assert_ret(e.ctx, ioasid_hw_queue_alloc(e.ctx, e.viommu, &o, &x), -EEXIST);
	o.index = 1;
	o.iova = 0x101000;
	ck_assert_ok(e.ctx, ioasid_hw_queue_alloc(e.ctx, e.viommu, &o, &q1));
	o.index = 2;
	ck_assert_ret(e.ctx, ioasid_hw_queue_alloc(e.ctx, e.viommu, &o, &x), -EINVAL);
	/* queue 1 depends on queue 0: the kernel refuses, the record stays */
	ck_assert_ret(e.ctx, ioasid_hw_queue_destroy(e.ctx, q0), -EBUSY);
	ck_assert_int_eq(ioasid_obj_kind(e.ctx, q0), IOASID_OBJ_HW_QUEUE);
	ck_assert_ret(e.ctx, ioasid_viommu_destroy(e.ctx, e.viommu), -EBUSY);
	ck_assert_ok(e.ctx, ioasid_hw_queue_destroy(e.ctx, q1));
	ck_assert_ok(e.ctx, ioasid_hw_queue_destroy(e.ctx, q0));
	ck_assert_ok(e.ctx, ioasid_viommu_destroy(e.ctx, e.viommu));
	venv_close(&e);
}
END_TEST

/* Closing a context with every kind alive: dependents first, nothing left. */
START_TEST(test_close_with_everything)
{
	struct ioasid_veventq_opts qo = { .sz = sizeof(qo),
					  .type = IOASID_VEVENTQ_SELFTEST,
					  .depth = 1 };
	struct ioasid_hw_queue_opts o = { .sz = sizeof(o),
					  .type = IOASID_HW_QUEUE_SELFTEST,
					  .iova = 0x100000,
					  .length = 64 };
	uint32_t x, i;
	struct venv e;

	with_viommu(&e);
	ck_assert_ok(e.ctx, ioasid_vdevice_alloc(e.ctx, e.viommu, e.dev[0], 1, &x));
	ck_assert_ok(e.ctx, nested_alloc(&e, e.dev[0], e.viommu, 0, &x));
	ck_assert_ok(e.ctx, ioasid_dev_attach(e.ctx, e.dev[0], IOASID_PASID_NONE, x, NULL));
	ck_assert_ok(e.ctx, ioasid_veventq_alloc(e.ctx, e.viommu, &qo, &x));
	ck_assert_ok(e.ctx, ioasid_hw_queue_alloc(e.ctx, e.viommu, &o, &x));
	ioasid_ctx_close(e.ctx);
	for (i = 1; i < FK_MAX_OBJ; i++)
		ck_assert_msg(e.k.obj[i].kind == FK_FREE || e.k.obj[i].kind == FK_DEVICE,
			      "kernel object %u (kind %d) outlived the context", i, e.k.obj[i].kind);
	fk_release(&e.k);
	munmap(e.mem, MEM_LEN);
	fk_sysfs_rm();
}
END_TEST

/* The backends without vIOMMU objects say so, naming the feature. */
START_TEST(test_unsupported_backends)
{
	struct ioasid_viommu_opts vo = { .sz = sizeof(vo), .type = IOASID_VIOMMU_ARM_SMMUV3 };
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho), .flags = IOASID_HWPT_NEST_PARENT };
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint32_t dev, ioas, parent, v, n = 0;

	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev));
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	parent = 0;
	if (ioasid_hwpt_alloc(ctx, dev, ioas, &ho, &parent))
		parent = 0;
	ck_assert_ret(ctx, ioasid_viommu_alloc(ctx, dev, parent, &vo, &v), -EOPNOTSUPP);
	ck_assert_errmsg_has(ctx, "issue #13");
	ck_assert_ret(ctx, ioasid_viommu_invalidate(ctx, ioas, 1, NULL, 0, &n), -EINVAL);
	ioasid_ctx_close(ctx);
}
END_TEST

/*
 * ioasid_dev_hw_info(): IOMMU_GET_HW_INFO as the kernel answers it, with
 * a data type asked for (IOMMU_HW_INFO_FLAG_INPUT_TYPE) or the default;
 * the fake IOMMU is VT-d, so VT-d is the only type it reports.
 */
START_TEST(test_dev_hw_info)
{
	struct ioasid_hw_info hi = IOASID_OPTS_INIT(ioasid_hw_info);
	struct ku_iommu_hw_info_vtd vtd;
	uint8_t big[64];
	struct venv e;

	venv_open(&e);
	memset(&vtd, 0xff, sizeof(vtd));
	ck_assert_ok(e.ctx, ioasid_dev_hw_info(e.ctx, e.dev[0], IOASID_HW_INFO_DEFAULT, &vtd,
					       sizeof(vtd), &hi));
	ck_assert_uint_eq(hi.data_type, IOASID_HW_INFO_INTEL_VTD);
	ck_assert_uint_eq(hi.data_len, sizeof(vtd));
	ck_assert_uint_eq(vtd.cap_reg, FK_VTD_CAP);
	ck_assert_uint_eq(vtd.ecap_reg, FK_VTD_ECAP_NESTING);
	ck_assert(hi.capabilities & KU_IOMMU_HW_CAP_DIRTY_TRACKING);
	/* the type asked for by name; a larger buffer's tail is zeroed */
	memset(big, 0xaa, sizeof(big));
	memset(&hi, 0, sizeof(hi));
	hi.sz = sizeof(hi);
	ck_assert_ok(e.ctx, ioasid_dev_hw_info(e.ctx, e.dev[1], IOASID_HW_INFO_INTEL_VTD, big,
					       sizeof(big), &hi));
	ck_assert_uint_eq(hi.data_type, IOASID_HW_INFO_INTEL_VTD);
	ck_assert_uint_eq(hi.data_len, sizeof(vtd));
	ck_assert_uint_eq(big[sizeof(vtd)], 0);
	ck_assert_uint_eq(big[sizeof(big) - 1], 0);
	/* no room: only the length */
	ck_assert_ok(e.ctx, ioasid_dev_hw_info(e.ctx, e.dev[0], 0, NULL, 0, &hi));
	ck_assert_uint_eq(hi.data_len, sizeof(vtd));
	/* a type VT-d does not report: the driver's EOPNOTSUPP, named */
	ck_assert_ret(e.ctx,
		      ioasid_dev_hw_info(e.ctx, e.dev[0], IOASID_HW_INFO_ARM_SMMUV3, big,
					 sizeof(big), &hi),
		      -EOPNOTSUPP);
	ck_assert_errmsg_has(e.ctx, "data type 0x2, INPUT_TYPE");
	ck_assert_ret(e.ctx,
		      ioasid_dev_hw_info(e.ctx, e.dev[0], IOASID_HW_INFO_SELFTEST, NULL, 0, &hi),
		      -EOPNOTSUPP);
	/* bad arguments, before the kernel */
	ck_assert_ret(e.ctx, ioasid_dev_hw_info(e.ctx, 99, 0, NULL, 0, &hi), -ENOENT);
	ck_assert_ret(e.ctx, ioasid_dev_hw_info(e.ctx, e.dev[0], 0, NULL, 8, &hi), -EINVAL);
	ck_assert_errmsg_has(e.ctx, "data is NULL (len 8)");
	ck_assert_ret(e.ctx, ioasid_dev_hw_info(e.ctx, e.dev[0], 0, NULL, 0, NULL), -EINVAL);
	hi.sz = 4;
	ck_assert_ret(e.ctx, ioasid_dev_hw_info(e.ctx, e.dev[0], 0, NULL, 0, &hi), -EINVAL);
	ck_assert_errmsg_has(e.ctx, "too small");
	/* an older caller's struct: filled up to its size, nothing past it */
	{
		struct {
			struct ioasid_hw_info hi;
			uint64_t canary;
		} old;

		memset(&old, 0x5a, sizeof(old));
		old.hi.sz = offsetof(struct ioasid_hw_info, capabilities);
		ck_assert_ok(e.ctx, ioasid_dev_hw_info(e.ctx, e.dev[0], 0, NULL, 0, &old.hi));
		ck_assert_uint_eq(old.hi.data_len, sizeof(vtd));
		ck_assert_uint_eq(old.hi.capabilities, 0x5a5a5a5a5a5a5a5aull);
	}
	venv_close(&e);
}
END_TEST

/* Neither have vfio (no IOMMU_GET_HW_INFO) nor the sim: EOPNOTSUPP naming the feature. */
START_TEST(test_dev_hw_info_vfio)
{
	struct ioasid_hw_info hi = IOASID_OPTS_INIT(ioasid_hw_info);
	struct ioasid_ctx *ctx;
	struct fkv kv;
	uint32_t dev;

	fk_sysfs();
	fkv_init(&kv);
	ctx = fkv_ctx(&kv);
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "0000:00:01.0", &dev));
	ck_assert_ret(ctx, ioasid_dev_hw_info(ctx, dev, IOASID_HW_INFO_ARM_SMMUV3, NULL, 0, &hi),
		      -EOPNOTSUPP);
	ck_assert_errmsg_has(
		ctx,
		"IOMMU_GET_HW_INFO with a requested data type (INPUT_TYPE): the vfio backend has no raw hardware info");
	ck_assert_ret(ctx, ioasid_dev_hw_info(ctx, dev, 0, NULL, 0, &hi), -EOPNOTSUPP);
	ck_assert_errmsg_has(ctx, "IOMMU_GET_HW_INFO: the vfio backend");
	ioasid_ctx_close(ctx);
	fkv_fini(&kv);
	fk_sysfs_rm();
}
END_TEST

START_TEST(test_dev_hw_info_sim)
{
	struct ioasid_hw_info hi = IOASID_OPTS_INIT(ioasid_hw_info);
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint32_t dev;

	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev));
	ck_assert_ret(ctx, ioasid_dev_hw_info(ctx, dev, IOASID_HW_INFO_INTEL_VTD, NULL, 0, &hi),
		      -EOPNOTSUPP);
	ck_assert_errmsg_has(ctx,
			     "IOMMU_GET_HW_INFO with a requested data type (INPUT_TYPE): the sim backend");
	ck_assert_ret(ctx, ioasid_dev_hw_info(ctx, 99, 0, NULL, 0, &hi), -ENOENT);
	ioasid_ctx_close(ctx);
}
END_TEST

/*
 * The rest of the 6.17 uAPI beside the vIOMMU: binding with a VF token
 * (VFIO_DEVICE_BIND_FLAG_TOKEN), on fake devices that are neither VF nor
 * PF (as edu) and on one that is a VF whose PF set a token.
 */
START_TEST(test_bind_vf_token)
{
	static const uint8_t tok[16] = { 0xbd, 0x8d, 0x9d, 0x2b, 0x5a, 0x5f, 0x4f, 0x5a,
					 0xa2, 0x11, 0xf5, 0x91, 0x51, 0x4b, 0xa1, 0xf3 };
	struct ioasid_bind_opts bo = IOASID_OPTS_INIT(ioasid_bind_opts);
	struct {
		struct ioasid_bind_opts o;
		uint64_t tail;
	} big;
	struct ioasid_ctx *ctx;
	uint32_t d0, d1;
	struct fk k;
	int fd0, fd1;

	fk_sysfs();
	fk_init(&k);
	ctx = fk_ctx(&k);
	k.devs[1].vf = true;
	memcpy(k.devs[1].vf_token, tok, sizeof(tok));
	fd0 = fk_open_dev(&k, 0);
	fd1 = fk_open_dev(&k, 1);
	bo.flags = IOASID_BIND_VF_TOKEN;
	memcpy(bo.vf_token, tok, sizeof(tok));
	/* neither VF nor PF: the kernel refuses a token, and nothing is bound */
	ck_assert_ret(ctx, ioasid_dev_bind_fd_opts(ctx, fd0, &bo, &d0), -EINVAL);
	ck_assert_errmsg_has(ctx, "neither an SR-IOV VF nor a PF");
	ck_assert_uint_eq(k.devs[0].devid, 0);
	ck_assert_ok(ctx, ioasid_dev_bind_fd_opts(ctx, fd0, NULL, &d0));
	/* a VF: no token or a wrong one is EACCES; its PF's token binds it */
	ck_assert_ret(ctx, ioasid_dev_bind_fd(ctx, fd1, &d1), -EACCES);
	ck_assert_errmsg_has(ctx, "the VF token of its PF is needed");
	bo.vf_token[15] ^= 1;
	ck_assert_ret(ctx, ioasid_dev_bind_fd_opts(ctx, fd1, &bo, &d1), -EACCES);
	ck_assert_errmsg_has(ctx, "with a VF token (FLAG_TOKEN)");
	bo.vf_token[15] ^= 1;
	ck_assert_ok(ctx, ioasid_dev_bind_fd_opts(ctx, fd1, &bo, &d1));
	ck_assert_uint_ne(k.devs[1].devid, 0);
	/* options the library refuses before the kernel */
	bo.flags = 0x2;
	ck_assert_ret(ctx, ioasid_dev_bind_opts(ctx, "x", &bo, &d1), -EINVAL);
	ck_assert_errmsg_has(ctx, "bind flags 0x2: unknown");
	bo.flags = 0;
	bo.sz = 2;
	ck_assert_ret(ctx, ioasid_dev_bind_opts(ctx, "x", &bo, &d1), -EINVAL);
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.tail = 1;
	ck_assert_ret(ctx, ioasid_dev_bind_opts(ctx, "x", &big.o, &d1), -E2BIG);
	big.tail = 0;
	ck_assert_ret(ctx, ioasid_dev_bind_opts(ctx, "x", &big.o, &d1), -ENOENT);
	ck_assert_ret(ctx,
		      ioasid_dev_bind_opts(ctx, "iommufd-selftest",
					   &(struct ioasid_bind_opts){
						   .sz = sizeof(struct ioasid_bind_opts),
						   .flags = IOASID_BIND_VF_TOKEN },
					   &d1),
		      -EOPNOTSUPP);
	ck_assert_errmsg_has(ctx, "selftest device, not a VFIO one");
	ck_assert_ok(ctx, ioasid_dev_unbind(ctx, d0));
	ck_assert_ok(ctx, ioasid_dev_unbind(ctx, d1));
	ioasid_ctx_close(ctx);
	close(fd0);
	close(fd1);
	fk_release(&k);
	fk_sysfs_rm();
}
END_TEST

/* Backends that bind without iommufd take no token: EOPNOTSUPP naming it. */
START_TEST(test_bind_vf_token_unsupported)
{
	struct ioasid_bind_opts bo = { .sz = sizeof(bo), .flags = IOASID_BIND_VF_TOKEN };
	struct ioasid_ctx *ctx = test_sim_ctx();
	struct fkv kv;
	uint32_t dev;

	ck_assert_ret(ctx, ioasid_dev_bind_opts(ctx, "sim0", &bo, &dev), -EOPNOTSUPP);
	ck_assert_errmsg_has(
		ctx,
		"binding with a VF token (VFIO_DEVICE_BIND_FLAG_TOKEN) needs the iommufd backend; the sim backend");
	ck_assert_ok(ctx, ioasid_dev_bind_opts(ctx, "sim0", NULL, &dev));
	ioasid_ctx_close(ctx);
	fk_sysfs();
	fkv_init(&kv);
	ctx = fkv_ctx(&kv);
	ck_assert_ret(ctx, ioasid_dev_bind_opts(ctx, "0000:00:01.0", &bo, &dev), -EOPNOTSUPP);
	ck_assert_errmsg_has(ctx, "the vfio backend has none");
	ioasid_ctx_close(ctx);
	fkv_fini(&kv);
	fk_sysfs_rm();
}
END_TEST

Suite *viommu_suite(void)
{
	Suite *s = suite_create("viommu");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_viommu_alloc_rules);
	tcase_add_test(tc, test_vdevice_rules);
	tcase_add_test(tc, test_nested_on_viommu);
	tcase_add_test(tc, test_viommu_invalidate);
	tcase_add_test(tc, test_veventq);
	tcase_add_test(tc, test_veventq_owner);
	tcase_add_test(tc, test_hw_queue);
	tcase_add_test(tc, test_close_with_everything);
	tcase_add_test(tc, test_unsupported_backends);
	tcase_add_test(tc, test_dev_hw_info);
	tcase_add_test(tc, test_dev_hw_info_vfio);
	tcase_add_test(tc, test_dev_hw_info_sim);
	tcase_add_test(tc, test_bind_vf_token);
	tcase_add_test(tc, test_bind_vf_token_unsupported);
	suite_add_tcase(s, tc);
	return s;
}
