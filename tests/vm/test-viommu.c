/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vIOMMU objects (include/ioasid/viommu.h, kernel-uapi.md §1.8) on the
 * kernel's mock IOMMU (CONFIG_IOMMUFD_TEST), in the VM: each new ioctl
 * through the library, and each refusal compared errno for errno with the
 * same request made raw on the context's fd (kernel ids from
 * ioasid_obj_kernel_id()). The mock's own ops check the effects: the
 * device cache an invalidation through the vIOMMU clears
 * (IOMMU_TEST_OP_DEV_CHECK_CACHE), the events it reports
 * (IOMMU_TEST_OP_TRIGGER_VEVENT) read through the library, HW queues.
 * Also the rest of the 6.17+ uAPI the mock answers: GET_HW_INFO with a
 * requested data type, and PASIDs attached to nested HWPTs on a vIOMMU.
 */
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <sys/mman.h>

#include <linux/iommufd.h>
#include <iommufd_test.h>

#include "vmtest.h"
#include "linux/uapi.h"

#define X(v) ((unsigned long long)(v))
#define BASE 0x1000000ull /* the mock's aperture starts at 1 << 24 */
#define VIRT 0x99u

static int ifd;

static uint32_t kid(struct ioasid_ctx *ctx, uint32_t id)
{
	uint32_t k = 0;

	ioasid_obj_kernel_id(ctx, id, &k);
	return k;
}

static int raw(unsigned long req, void *arg)
{
	return ioctl(ifd, req, arg) ? -errno : 0;
}

static int raw_destroy(uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return raw(IOMMU_DESTROY, &d);
}

static int test_cmd(struct iommu_test_cmd *c)
{
	c->size = sizeof(*c);
	return raw(IOMMU_TEST_CMD, c);
}

/* The library's answer @lib and the kernel's raw one @kern are the same errno. */
static void same(const char *what, int lib, int kern)
{
	vt_report(lib == kern, "%s: the library says %s, the raw ioctl %s", what,
		  ioasid_strerrno(lib), ioasid_strerrno(kern));
}

static int raw_viommu(uint32_t type, uint32_t kdev, uint32_t khwpt, uint32_t *out)
{
	struct iommu_viommu_alloc a = {
		.size = sizeof(a),
		.type = type,
		.dev_id = kdev,
		.hwpt_id = khwpt,
	};
	int r = raw(IOMMU_VIOMMU_ALLOC, &a);

	if (!r && out)
		*out = a.out_viommu_id;
	else if (!r)
		raw_destroy(a.out_viommu_id);
	return r;
}

static int lib_viommu(struct ioasid_ctx *ctx, uint32_t type, uint32_t d, uint32_t hwpt,
		      uint32_t *out)
{
	struct ioasid_viommu_opts vo = { .sz = sizeof(vo), .type = type };

	return ioasid_viommu_alloc(ctx, d, hwpt, &vo, out);
}

static void viommu_refusals(struct ioasid_ctx *ctx, uint32_t d, uint32_t a, uint32_t parent)
{
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho) };
	uint32_t plain, v;

	same("vIOMMU type 0", lib_viommu(ctx, 0, d, parent, &v),
	     raw_viommu(0, kid(ctx, d), kid(ctx, parent), NULL));
	same("vIOMMU of a type the mock lacks (SMMUv3)",
	     lib_viommu(ctx, IOASID_VIOMMU_ARM_SMMUV3, d, parent, &v),
	     raw_viommu(IOMMU_VIOMMU_TYPE_ARM_SMMUV3, kid(ctx, d), kid(ctx, parent), NULL));
	same("vIOMMU over an IOAS", lib_viommu(ctx, IOASID_VIOMMU_SELFTEST, d, a, &v),
	     raw_viommu(IOMMU_VIOMMU_TYPE_SELFTEST, kid(ctx, d), kid(ctx, a), NULL));
	if (VT_OK(ctx, ioasid_hwpt_alloc(ctx, d, a, &ho, &plain))) {
		same("vIOMMU over a paging HWPT without NEST_PARENT",
		     lib_viommu(ctx, IOASID_VIOMMU_SELFTEST, d, plain, &v),
		     raw_viommu(IOMMU_VIOMMU_TYPE_SELFTEST, kid(ctx, d), kid(ctx, plain), NULL));
		VT_OK(ctx, ioasid_hwpt_destroy(ctx, plain));
	}
}

static int raw_vdevice(uint32_t kv, uint32_t kdev, uint64_t virt)
{
	struct iommu_vdevice_alloc a = {
		.size = sizeof(a),
		.viommu_id = kv,
		.dev_id = kdev,
		.virt_id = virt,
	};
	int r = raw(IOMMU_VDEVICE_ALLOC, &a);

	if (!r)
		raw_destroy(a.out_vdevice_id);
	return r;
}

static void vdevice_rules(struct ioasid_ctx *ctx, uint32_t v, uint32_t d, uint32_t d2)
{
	uint32_t vd, got, gotdev;

	same("a second vDEVICE for a device", ioasid_vdevice_alloc(ctx, v, d, VIRT + 1, &vd),
	     raw_vdevice(kid(ctx, v), kid(ctx, d), VIRT + 1));
	same("another device at a taken virtual id", ioasid_vdevice_alloc(ctx, v, d2, VIRT, &vd),
	     raw_vdevice(kid(ctx, v), kid(ctx, d2), VIRT));
	same("a vDEVICE on a missing vIOMMU", ioasid_vdevice_alloc(ctx, 999, d2, 7, &vd),
	     raw_vdevice(999, kid(ctx, d2), 7));
	VT_TRUE(!ioasid_vdevice_find(ctx, v, VIRT, &got, &gotdev) && gotdev == d,
		"virt_id 0x%x finds device %u", VIRT, gotdev);
}

static int raw_nested(uint32_t kdev, uint32_t kpt, uint32_t flags)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a),
		.flags = flags,
		.dev_id = kdev,
		.pt_id = kpt,
		.data_type = IOMMU_HWPT_DATA_SELFTEST,
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)&data,
	};
	int r = raw(IOMMU_HWPT_ALLOC, &a);

	if (!r)
		raw_destroy(a.out_hwpt_id);
	return r;
}

static int lib_nested(struct ioasid_ctx *ctx, uint32_t d, uint32_t pt, uint32_t flags, uint32_t *out)
{
	static const struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho),
				       .type = IOASID_HWPT_NESTED_SELFTEST,
				       .flags = flags,
				       .data = &data,
				       .data_len = sizeof(data) };

	return ioasid_hwpt_alloc(ctx, d, pt, &ho, out);
}

static int cache_is(struct ioasid_ctx *ctx, uint32_t d, uint32_t cache_id, uint32_t val)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DEV_CHECK_CACHE, .id = kid(ctx, d) };

	c.check_dev_cache.id = cache_id;
	c.check_dev_cache.cache = val;
	return !test_cmd(&c);
}

static int raw_inv(uint32_t kv, void *e, uint32_t len, uint32_t *num)
{
	struct iommu_hwpt_invalidate hi = {
		.size = sizeof(hi),
		.hwpt_id = kv,
		.data_uptr = (uintptr_t)e,
		.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
		.entry_len = len,
		.entry_num = *num,
	};
	int r = raw(IOMMU_HWPT_INVALIDATE, &hi);

	*num = hi.entry_num;
	return r;
}

static void invalidation(struct ioasid_ctx *ctx, uint32_t v, uint32_t d)
{
	struct iommu_viommu_invalidate_selftest e[2] = { { .vdev_id = VIRT, .cache_id = 1 },
							 { .vdev_id = VIRT, .cache_id = 9 } };
	uint32_t n, kn;
	int lr, kr;

	VT_TRUE(cache_is(ctx, d, 1, IOMMU_TEST_DEV_CACHE_DEFAULT),
		"before: the mock device's cache entry 1 holds its default");
	n = 1;
	VT_OK(ctx,
	      ioasid_viommu_invalidate(ctx, v, IOASID_VIOMMU_INV_SELFTEST, e, sizeof(e[0]), &n));
	VT_TRUE(n == 1 && cache_is(ctx, d, 1, 0) &&
			cache_is(ctx, d, 0, IOMMU_TEST_DEV_CACHE_DEFAULT),
		"an invalidation through the vIOMMU cleared entry 1 (only)");
	n = kn = 2;
	lr = ioasid_viommu_invalidate(ctx, v, IOASID_VIOMMU_INV_SELFTEST, e, sizeof(e[0]), &n);
	kr = raw_inv(kid(ctx, v), e, sizeof(e[0]), &kn);
	same("a cache id beyond the mock's", lr, kr);
	VT_TRUE(n == kn && n == 1, "both stop at entry %u (kernel %u)", n, kn);
	n = kn = 0;
	same("zero entries of the vIOMMU's type",
	     ioasid_viommu_invalidate(ctx, v, IOASID_VIOMMU_INV_SELFTEST, NULL, 0, &n),
	     raw_inv(kid(ctx, v), NULL, 0, &kn));
	n = kn = 1;
	same("an entry shorter than the mock's struct",
	     ioasid_viommu_invalidate(ctx, v, IOASID_VIOMMU_INV_SELFTEST, e, 8, &n),
	     raw_inv(kid(ctx, v), e, 8, &kn));
}

static int wait_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static int trigger(struct ioasid_ctx *ctx, uint32_t d)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_TRIGGER_VEVENT };

	c.trigger_vevent.dev_id = kid(ctx, d);
	return test_cmd(&c);
}

static void events(struct ioasid_ctx *ctx, uint32_t v, uint32_t d)
{
	struct ioasid_veventq_opts qo = { .sz = sizeof(qo),
					  .type = IOASID_VEVENTQ_SELFTEST,
					  .depth = 2 };
	struct ioasid_veventq_stats st = { .sz = sizeof(st) };
	struct iommu_veventq_alloc ra = { .size = sizeof(ra),
					  .type = IOMMU_VEVENTQ_TYPE_SELFTEST,
					  .veventq_depth = 2 };
	struct ioasid_vevent ev[8];
	uint32_t q, q2, n = 0, virt = 0;
	int fd = -1, i;

	VT_TRUE(trigger(ctx, d) == -EOPNOTSUPP,
		"an event with no vEVENTQ of its type: the kernel says EOPNOTSUPP");
	if (!VT_OK(ctx, ioasid_veventq_alloc(ctx, v, &qo, &q)))
		return;
	ra.viommu_id = kid(ctx, v);
	same("a second vEVENTQ of one type", ioasid_veventq_alloc(ctx, v, &qo, &q2),
	     raw(IOMMU_VEVENTQ_ALLOC, &ra));
	ra.veventq_depth = 1u << 20;
	qo.depth = 1u << 20;
	same("a vEVENTQ deeper than 2^19", ioasid_veventq_alloc(ctx, v, &qo, &q2),
	     raw(IOMMU_VEVENTQ_ALLOC, &ra));
	VT_OK(ctx, ioasid_veventq_fd(ctx, q, &fd));
	VT_TRUE(fd >= 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK) && fcntl(fd, F_GETFD) == FD_CLOEXEC,
		"its fd is non-blocking and close-on-exec");
	VT_TRUE(!wait_readable(fd, 0), "nothing waits yet");
	VT_OK(ctx, trigger(ctx, d));
	VT_TRUE(wait_readable(fd, 2000), "an event triggered by the mock polls readable");
	VT_OK(ctx, ioasid_veventq_read(ctx, q, ev, 8, &n));
	if (n)
		memcpy(&virt, ev[0].data, sizeof(virt));
	VT_TRUE(n == 1 && !ev[0].flags && ev[0].data_len == 4 && virt == VIRT,
		"read through the library: %u event(s), virt_id 0x%x", n, virt);
	for (i = 0; i < 4; i++)
		VT_OK(ctx, trigger(ctx, d));
	VT_OK(ctx, ioasid_veventq_read(ctx, q, ev, 8, &n));
	VT_TRUE(n == 3 && ev[2].flags == IOASID_VEVENT_LOST_EVENTS,
		"four into a queue of two: two events and a LOST_EVENTS mark (%u read)", n);
	VT_OK(ctx, trigger(ctx, d));
	VT_OK(ctx, ioasid_veventq_read(ctx, q, ev, 8, &n));
	VT_OK(ctx, ioasid_veventq_stats(ctx, q, &st));
	VT_TRUE(st.read == 4 && st.lost_marks == 1 && st.seq_gaps == 1,
		"counted: %llu read, %llu mark(s), %llu sequence number(s) skipped", X(st.read),
		X(st.lost_marks), X(st.seq_gaps));
	VT_OK(ctx, ioasid_veventq_destroy(ctx, q));
}

static int raw_hwq(uint32_t kv, uint32_t index, uint64_t iova, uint64_t len)
{
	struct iommu_hw_queue_alloc a = {
		.size = sizeof(a),
		.viommu_id = kv,
		.type = IOMMU_HW_QUEUE_TYPE_SELFTEST,
		.index = index,
		.nesting_parent_iova = iova,
		.length = len,
	};
	int r = raw(IOMMU_HW_QUEUE_ALLOC, &a);

	if (!r)
		raw_destroy(a.out_hw_queue_id);
	return r;
}

static int lib_hwq(struct ioasid_ctx *ctx, uint32_t v, uint32_t index, uint64_t iova, uint64_t len,
		   uint32_t *out)
{
	struct ioasid_hw_queue_opts o = { .sz = sizeof(o),
					  .type = IOASID_HW_QUEUE_SELFTEST,
					  .index = index,
					  .iova = iova,
					  .length = len };

	return ioasid_hw_queue_alloc(ctx, v, &o, out);
}

static void hw_queues(struct ioasid_ctx *ctx, uint32_t v)
{
	uint32_t q0, q1, x;

	same("HW queue index 1 before 0", lib_hwq(ctx, v, 1, BASE, 4096, &x),
	     raw_hwq(kid(ctx, v), 1, BASE, 4096));
	same("HW queue over unmapped memory", lib_hwq(ctx, v, 0, BASE + (1u << 22), 4096, &x),
	     raw_hwq(kid(ctx, v), 0, BASE + (1u << 22), 4096));
	same("HW queue of length 0", lib_hwq(ctx, v, 0, BASE, 0, &x),
	     raw_hwq(kid(ctx, v), 0, BASE, 0));
	same("HW queue wrapping around", lib_hwq(ctx, v, 0, ~0ull - 10, 4096, &x),
	     raw_hwq(kid(ctx, v), 0, ~0ull - 10, 4096));
	if (!VT_OK(ctx, lib_hwq(ctx, v, 0, BASE, 4096, &q0)))
		return;
	same("HW queue index 0 again", lib_hwq(ctx, v, 0, BASE + 4096, 4096, &x),
	     raw_hwq(kid(ctx, v), 0, BASE + 4096, 4096));
	same("HW queue index 2", lib_hwq(ctx, v, 2, BASE + 4096, 4096, &x),
	     raw_hwq(kid(ctx, v), 2, BASE + 4096, 4096));
	if (VT_OK(ctx, lib_hwq(ctx, v, 1, BASE + 4096, 64, &q1))) {
		same("destroying queue 0 while 1 depends on it", ioasid_hw_queue_destroy(ctx, q0),
		     raw_destroy(kid(ctx, q0)));
		VT_OK(ctx, ioasid_hw_queue_destroy(ctx, q1));
	}
	VT_OK(ctx, ioasid_hw_queue_destroy(ctx, q0));
}

static int raw_pasid(uint32_t op, uint32_t stdev, uint32_t pasid, uint32_t kpt)
{
	struct iommu_test_cmd c = { .op = op, .id = stdev };

	if (op == IOMMU_TEST_OP_PASID_DETACH) {
		c.pasid_detach.pasid = pasid;
	} else {
		c.pasid_attach.pasid = pasid;
		c.pasid_attach.pt_id = kpt;
	}
	return test_cmd(&c);
}

/* Does the kernel see (selftest object @stdev, @pasid) on HWPT @khwpt (0: nothing)? */
static int pasid_on(uint32_t stdev, uint32_t pasid, uint32_t khwpt)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_PASID_CHECK_HWPT, .id = stdev };

	c.pasid_check.pasid = pasid;
	c.pasid_check.hwpt_id = khwpt;
	return !test_cmd(&c);
}

/*
 * The selftest object behind a device stays inside the backend: the one
 * id of a context this small that sees @pasid on @khwpt is it.
 */
static uint32_t stdev_of(uint32_t pasid, uint32_t khwpt)
{
	uint32_t id;

	for (id = 1; id < 128; id++)
		if (pasid_on(id, pasid, khwpt))
			return id;
	return 0;
}

/*
 * (d, @pasid) onto @pt through the library and raw, each undone when it
 * took: the same errno.
 */
static void same_pasid_attach(struct ioasid_ctx *ctx, const char *what, uint32_t d, uint32_t stdev,
			      uint32_t pasid, uint32_t pt, const struct ioasid_attach_opts *ao)
{
	int lr = ioasid_dev_attach(ctx, d, pasid, pt, ao), kr;

	if (!lr)
		VT_OK(ctx, ioasid_dev_detach(ctx, d, pasid));
	kr = raw_pasid(IOMMU_TEST_OP_PASID_ATTACH, stdev, pasid, kid(ctx, pt));
	if (!kr)
		raw_pasid(IOMMU_TEST_OP_PASID_DETACH, stdev, pasid, 0);
	same(what, lr, kr);
}

/*
 * A PASID of the PASID device attached to nested HWPTs allocated on a
 * vIOMMU (the selftest's pasid_attach does it with its nested_hwpt_id[2]):
 * each of the library's answers against the raw selftest PASID ops.
 */
static void pasid_on_viommu(struct ioasid_ctx *ctx, uint32_t v, uint32_t d2, uint32_t parent)
{
	struct ioasid_set_opts so = { .sz = sizeof(so), .max_pasids = 4, .max_ioas = 1 };
	struct ioasid_attach_opts ao = { .sz = sizeof(ao) };
	uint32_t set = 0, pasid = 0, hp = 0, hn = 0, stdev = 0;

	if (!VT_OK(ctx, ioasid_set_alloc(ctx, &so, &set)) ||
	    !VT_OK(ctx, ioasid_pasid_alloc(ctx, set, 1, 100, &pasid)))
		goto out;
	ao.set = set;
	if (!VT_OK(ctx, lib_nested(ctx, d2, v, IOASID_HWPT_PASID, &hp)) ||
	    !VT_OK(ctx, lib_nested(ctx, d2, v, 0, &hn)))
		goto out;
	if (!VT_OK(ctx, ioasid_dev_attach(ctx, d2, pasid, hp, &ao)))
		goto out;
	stdev = stdev_of(pasid, kid(ctx, hp));
	VT_TRUE(stdev, "the kernel has PASID %u of the PASID device on the vIOMMU's nested HWPT",
		pasid);
	if (stdev) {
		same("attaching that PASID again", ioasid_dev_attach(ctx, d2, pasid, hp, &ao),
		     raw_pasid(IOMMU_TEST_OP_PASID_ATTACH, stdev, pasid, kid(ctx, hp)));
		same("replacing it onto a vIOMMU-nested HWPT without PASIDs",
		     ioasid_dev_replace(ctx, d2, pasid, hn, &ao),
		     raw_pasid(IOMMU_TEST_OP_PASID_REPLACE, stdev, pasid, kid(ctx, hn)));
		VT_TRUE(pasid_on(stdev, pasid, kid(ctx, hp)), "the refused replace kept HWPT %u",
			hp);
	}
	VT_OK(ctx, ioasid_dev_detach(ctx, d2, pasid));
	if (!stdev)
		goto out;
	VT_TRUE(pasid_on(stdev, pasid, 0), "after the detach the kernel has nothing at PASID %u",
		pasid);
	same_pasid_attach(ctx, "a PASID onto a vIOMMU-nested HWPT allowing PASIDs", d2, stdev,
			  pasid, hp, &ao);
	same_pasid_attach(ctx, "a PASID onto a vIOMMU-nested HWPT without IOASID_HWPT_PASID", d2,
			  stdev, pasid, hn, &ao);
	same_pasid_attach(ctx, "a PASID onto the vIOMMU itself", d2, stdev, pasid, v, &ao);
	same_pasid_attach(ctx, "a PASID onto the vIOMMU's nest parent (no PASIDs)", d2, stdev,
			  pasid, parent, &ao);
	same_pasid_attach(ctx, "a PASID past the device's width onto the vIOMMU's nested HWPT", d2,
			  stdev, 1u << 20, hp, &ao);
	VT_TRUE(pasid_on(stdev, pasid, 0), "nothing is left at PASID %u", pasid);
out:
	if (hn)
		VT_OK(ctx, ioasid_hwpt_destroy(ctx, hn));
	if (hp)
		VT_OK(ctx, ioasid_hwpt_destroy(ctx, hp));
	if (pasid)
		VT_OK(ctx, ioasid_pasid_free(ctx, set, pasid));
	if (set)
		VT_OK(ctx, ioasid_set_destroy(ctx, set));
}

static int raw_hw_info(uint32_t kdev, uint32_t type, void *data, uint32_t len,
		       struct iommu_hw_info *out)
{
	*out = (struct iommu_hw_info){ .size = sizeof(*out),
				       .dev_id = kdev,
				       .data_len = len,
				       .data_uptr = (uintptr_t)data,
				       .in_data_type = type };
	/* as the selftest's _test_cmd_get_hw_info(): the flag only for a type */
	if (type != IOMMU_HW_INFO_TYPE_DEFAULT)
		out->flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
	return raw(IOMMU_GET_HW_INFO, out);
}

/*
 * IOMMU_GET_HW_INFO with a requested data type (6.17+): the mock reports
 * its SELFTEST type by default or when asked for it, and refuses any
 * other; library and raw ioctl agree on the errno, the type, the length,
 * the data (and the zeroed tail of a larger buffer), the PASID width and
 * the capabilities.
 */
static void hw_info(struct ioasid_ctx *ctx, uint32_t d)
{
	static const struct {
		uint32_t type;
		const char *name;
	} types[] = {
		{ IOMMU_HW_INFO_TYPE_DEFAULT, "the default type" },
		{ IOMMU_HW_INFO_TYPE_SELFTEST, "the SELFTEST type asked for" },
		{ IOMMU_HW_INFO_TYPE_INTEL_VTD, "VT-d asked of the mock" },
		{ IOMMU_HW_INFO_TYPE_ARM_SMMUV3, "SMMUv3 asked of the mock" },
	};
	uint8_t lib_d[32], raw_d[32];
	struct iommu_hw_info k;
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct ioasid_hw_info hi = { .sz = sizeof(hi) };
		char what[96];
		int lr, kr;

		memset(lib_d, 0xcc, sizeof(lib_d));
		memset(raw_d, 0xcc, sizeof(raw_d));
		lr = ioasid_dev_hw_info(ctx, d, types[i].type, lib_d, sizeof(lib_d), &hi);
		kr = raw_hw_info(kid(ctx, d), types[i].type, raw_d, sizeof(raw_d), &k);
		snprintf(what, sizeof(what), "GET_HW_INFO, %s", types[i].name);
		same(what, lr, kr);
		if (lr || kr)
			continue;
		VT_TRUE(hi.data_type == k.out_data_type && hi.data_len == k.data_len &&
				hi.max_pasid_log2 == k.out_max_pasid_log2 &&
				hi.capabilities == k.out_capabilities &&
				!memcmp(lib_d, raw_d, sizeof(lib_d)),
			"%s: library and kernel report type 0x%x/0x%x, %u/%u bytes, the same data",
			what, hi.data_type, k.out_data_type, hi.data_len, k.data_len);
		VT_TRUE(hi.data_type == IOMMU_HW_INFO_TYPE_SELFTEST &&
				((struct iommu_test_hw_info *)lib_d)->test_reg ==
					IOMMU_HW_INFO_SELFTEST_REGVAL &&
				lib_d[sizeof(lib_d) - 1] == 0,
			"%s: the mock's register 0x%x, the tail zeroed", what,
			((struct iommu_test_hw_info *)lib_d)->test_reg);
	}
}

int main(void)
{
	struct ioasid_viommu_selftest sd = { .in_data = 0x5a5a };
	struct ioasid_viommu_opts vo = { .sz = sizeof(vo),
					 .type = IOASID_VIOMMU_SELFTEST,
					 .data = &sd,
					 .data_len = sizeof(sd) };
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho), .flags = IOASID_HWPT_NEST_PARENT };
	struct ioasid_ctx *ctx = NULL;
	uint32_t d, d2, a, parent, v, vd, h;
	uint64_t iova = BASE;
	long pg = sysconf(_SC_PAGESIZE);
	void *buf;

	if (!VT_OK(NULL, ioasid_ctx_open("iommufd", NULL, &ctx)))
		return vt_done("viommu");
	VT_OK(ctx, ioasid_ctx_fd(ctx, &ifd));
	if (!VT_OK(ctx, ioasid_dev_bind(ctx, "iommufd-selftest", &d)) ||
	    !VT_OK(ctx, ioasid_dev_bind(ctx, "iommufd-selftest:pasid", &d2)))
		goto out;
	hw_info(ctx, d);
	hw_info(ctx, d2);
	buf = mmap(NULL, 16 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(buf, 0, 16 * pg);
	VT_OK(ctx, ioasid_ioas_alloc(ctx, &a));
	VT_OK(ctx,
	      ioasid_ioas_map(ctx, a, buf, 16 * pg,
			      IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA, &iova));
	if (!VT_OK(ctx, ioasid_hwpt_alloc(ctx, d, a, &ho, &parent)))
		goto out;
	viommu_refusals(ctx, d, a, parent);
	if (!VT_OK(ctx, ioasid_viommu_alloc(ctx, d, parent, &vo, &v)))
		goto out;
	VT_TRUE(sd.out_data == 0x5a5a && sd.out_mmap_length == 2 * (uint64_t)pg,
		"the mock's data came back: out_data 0x%x, mmap length 0x%llx", sd.out_data,
		X(sd.out_mmap_length));
	same("destroying the nest parent under a vIOMMU", ioasid_hwpt_destroy(ctx, parent),
	     raw_destroy(kid(ctx, parent)));
	same("a nested HWPT on a vIOMMU with NEST_PARENT",
	     lib_nested(ctx, d, v, IOASID_HWPT_NEST_PARENT, &h),
	     raw_nested(kid(ctx, d), kid(ctx, v), IOMMU_HWPT_ALLOC_NEST_PARENT));
	if (!VT_OK(ctx, ioasid_vdevice_alloc(ctx, v, d, VIRT, &vd)))
		goto out;
	vdevice_rules(ctx, v, d, d2);
	if (VT_OK(ctx, lib_nested(ctx, d, v, 0, &h))) {
		VT_OK(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, h, NULL));
		invalidation(ctx, v, d);
		events(ctx, v, d);
		same("destroying a vIOMMU in use", ioasid_viommu_destroy(ctx, v),
		     raw_destroy(kid(ctx, v)));
		VT_OK(ctx, ioasid_dev_detach(ctx, d, IOASID_PASID_NONE));
		VT_OK(ctx, ioasid_hwpt_destroy(ctx, h));
	}
	pasid_on_viommu(ctx, v, d2, parent);
	hw_queues(ctx, v);
	VT_OK(ctx, ioasid_vdevice_destroy(ctx, vd));
	VT_OK(ctx, ioasid_viommu_destroy(ctx, v));
	VT_OK(ctx, ioasid_hwpt_destroy(ctx, parent));
out:
	ioasid_ctx_close(ctx);
	return vt_done("viommu");
}
