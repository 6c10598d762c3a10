/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library against the kernel's mock IOMMU (CONFIG_IOMMUFD_TEST), in the
 * VM: the selftest device ("iommufd-selftest:pasid") bound, attached and
 * PASID-attached through libioasid with the kernel's PASID rules, dirty
 * tracking through libioasid with dirt planted by the selftest, and a nest
 * parent made by libioasid carrying a nested HWPT of the mock's own format
 * (raw, through ioasid_ctx_fd() and ioasid_obj_kernel_id()), invalidated
 * and checked by the selftest. Our selftest command layout is compared
 * with the kernel's iommufd_test.h first.
 */
#include <stddef.h>
#include <sys/mman.h>

#include <linux/iommufd.h>
#include <iommufd_test.h>

#include "vmtest.h"
#include "backend/iommufd/uapi.h"

#define X(v) ((unsigned long long)(v))

static int ifd;

static int test_cmd(struct iommu_test_cmd *c)
{
	c->size = sizeof(*c);
	return ioctl(ifd, IOMMU_TEST_CMD, c) ? -errno : 0;
}

static uint32_t kid(struct ioasid_ctx *ctx, uint32_t id)
{
	uint32_t k = 0;

	ioasid_obj_kernel_id(ctx, id, &k);
	return k;
}

/* The kernel's view of what (device, PASID) is attached to. */
static int pasid_is(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid, uint32_t hwpt_kid)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_PASID_CHECK_HWPT };

	/* the selftest object's id stays inside the backend: try the ids a
	 * context this small can have; only that object answers 0 */
	for (c.id = 1; c.id < 64; c.id++) {
		c.pasid_check.pasid = pasid;
		c.pasid_check.hwpt_id = hwpt_kid;
		if (!test_cmd(&c))
			return 1;
	}
	return 0;
}

static void test_layout(void)
{
	int ok = sizeof(struct ku_iommu_test_cmd) == sizeof(struct iommu_test_cmd) &&
		 offsetof(struct ku_iommu_test_cmd, mock_domain_flags.dev_flags) ==
			 offsetof(struct iommu_test_cmd, mock_domain_flags.dev_flags) &&
		 offsetof(struct ku_iommu_test_cmd, mock_domain_flags.out_idev_id) ==
			 offsetof(struct iommu_test_cmd, mock_domain_flags.out_idev_id) &&
		 offsetof(struct ku_iommu_test_cmd, mock_domain_replace.pt_id) ==
			 offsetof(struct iommu_test_cmd, mock_domain_replace.pt_id) &&
		 offsetof(struct ku_iommu_test_cmd, pasid_attach.pt_id) ==
			 offsetof(struct iommu_test_cmd, pasid_attach.pt_id) &&
		 offsetof(struct ku_iommu_test_cmd, pasid_detach.pasid) ==
			 offsetof(struct iommu_test_cmd, pasid_detach.pasid) &&
		 offsetof(struct ku_iommu_test_cmd, dirty.uptr) ==
			 offsetof(struct iommu_test_cmd, dirty.uptr) &&
		 offsetof(struct ku_iommu_test_cmd, last) == offsetof(struct iommu_test_cmd, last) &&
		 KU_IOMMU_TEST_CMD == IOMMU_TEST_CMD &&
		 KU_IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE == IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE &&
		 KU_IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS &&
		 KU_IOMMU_TEST_OP_DIRTY == IOMMU_TEST_OP_DIRTY &&
		 KU_IOMMU_TEST_OP_PASID_ATTACH == IOMMU_TEST_OP_PASID_ATTACH &&
		 KU_IOMMU_TEST_OP_PASID_REPLACE == IOMMU_TEST_OP_PASID_REPLACE &&
		 KU_IOMMU_TEST_OP_PASID_DETACH == IOMMU_TEST_OP_PASID_DETACH &&
		 KU_MOCK_FLAGS_DEVICE_NO_DIRTY == MOCK_FLAGS_DEVICE_NO_DIRTY &&
		 KU_MOCK_FLAGS_DEVICE_PASID == MOCK_FLAGS_DEVICE_PASID &&
		 KU_IOMMU_HW_INFO_TYPE_SELFTEST == IOMMU_HW_INFO_TYPE_SELFTEST;

	vt_report(ok, "our selftest command layout and numbers equal iommufd_test.h (%zu bytes)",
		  sizeof(struct iommu_test_cmd));
}

int main(void)
{
	const uint32_t RW = IOASID_MAP_READ | IOASID_MAP_WRITE, F = IOASID_MAP_FIXED_IOVA;
	const uint64_t BASE = MOCK_APERTURE_START;
	struct ioasid_ctx *ctx = NULL;
	struct ioasid_attach_opts ao = { .sz = sizeof(ao) };
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho) };
	struct ioasid_cap_features fe;
	struct ioasid_cap_pasid pa;
	uint8_t caps[4096];
	uint64_t bitmap[4], want[4], iova;
	uint32_t a, d, p, q, plain, dirt, parent, set, pasid, cur;
	size_t clen = 0;
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *buf;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	test_layout();
	if (!VT_OK(NULL, ioasid_ctx_open("iommufd", NULL, &ctx)))
		return vt_done("mock");
	ioasid_ctx_fd(ctx, &ifd);
	r = ioasid_dev_bind(ctx, "iommufd-selftest:pasid", &d);
	if (!VT_TRUE(r == 0, "bind the selftest PASID device: %s", r ? ioasid_ctx_errmsg(ctx) : "ok"))
		goto out;
	VT_RET(ctx, ioasid_dev_bind(ctx, "iommufd-selftest:bogus", &a), -EINVAL);
	ioasid_dev_info(ctx, d, caps, sizeof(caps), &clen);
	VT_TRUE(!ioasid_caps_get(caps, clen, 0, IOASID_CAP_PASID, &pa, sizeof(pa), NULL, NULL, 0) &&
		pa.width == MOCK_PASID_WIDTH, "the mock device has %u-bit PASIDs", pa.width);
	VT_TRUE(!ioasid_caps_get(caps, clen, 0, IOASID_CAP_FEATURES, &fe, sizeof(fe), NULL, NULL, 0) &&
		(fe.features & IOASID_FEAT_DIRTY_TRACKING) && (fe.features & IOASID_FEAT_NESTING),
		"features: dirty tracking and nesting (0x%llx)", X(fe.features));
	VT_RET(ctx, ioasid_dev_fd(ctx, d, &r), -EOPNOTSUPP);
	buf = mmap(NULL, 64 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(buf, 0, 64 * pg);

	VT_OK(ctx, ioasid_ioas_alloc(ctx, &a));
	VT_OK(ctx, ioasid_set_new(ctx, &(struct ioasid_set_opts){ .sz = sizeof(struct ioasid_set_opts), .max_pasids = 8, .max_ioas = 8 }, &set));
	VT_OK(ctx, ioasid_pasid_alloc(ctx, set, 1, 100, &pasid));
	ao.set = set;

	/* PASID rules: every domain on the device must allow PASIDs */
	ho.flags = IOASID_HWPT_PASID;
	VT_OK(ctx, ioasid_hwpt_alloc(ctx, d, a, &ho, &p));
	VT_OK(ctx, ioasid_hwpt_alloc(ctx, d, a, &ho, &q));
	VT_OK(ctx, ioasid_hwpt_alloc(ctx, d, a, NULL, &plain));
	VT_OK(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, plain, NULL));
	r = ioasid_dev_attach(ctx, d, pasid, p, &ao);
	VT_TRUE(r == -EINVAL, "PASID %u attach while the RID domain does not allow PASIDs: %s (kernel rule EINVAL)",
		pasid, ioasid_strerrno(r));
	VT_OK(ctx, ioasid_dev_replace(ctx, d, IOASID_PASID_NONE, p, NULL));
	if (VT_OK(ctx, ioasid_dev_attach(ctx, d, pasid, p, &ao))) {
		VT_TRUE(pasid_is(ctx, d, pasid, kid(ctx, p)), "the kernel has PASID %u on HWPT %u", pasid,
			kid(ctx, p));
		r = ioasid_dev_replace(ctx, d, IOASID_PASID_NONE, plain, NULL);
		VT_TRUE(r == -EINVAL, "RID to a non-PASID domain while a PASID is attached: %s",
			ioasid_strerrno(r));
		VT_OK(ctx, ioasid_dev_replace(ctx, d, pasid, q, &ao));
		VT_TRUE(pasid_is(ctx, d, pasid, kid(ctx, q)), "replaced: the kernel has PASID %u on HWPT %u",
			pasid, kid(ctx, q));
		r = ioasid_dev_attach(ctx, d, pasid + 1, p, &ao);
		VT_TRUE(r == -EPERM || r == -ENOENT, "a PASID the set does not hold: %s",
			ioasid_strerrno(r));
		/*
		 * A PASID attach to an IOAS: the library's automatic domain of a
		 * PASID device allows PASIDs (a real ALLOC_PASID HWPT here).
		 */
		{
			uint32_t p2 = 0, hk = 0;

			VT_OK(ctx, ioasid_pasid_alloc(ctx, set, 1, 100, &p2));
			if (VT_OK(ctx, ioasid_dev_attach(ctx, d, p2, a, &ao))) {
				VT_TRUE(!ioasid_dev_attached(ctx, d, p2, &hk) && hk == a,
					"PASID %u attached to IOAS %u", p2, a);
				VT_OK(ctx, ioasid_dev_detach(ctx, d, p2));
			}
			ioasid_pasid_free(ctx, set, p2);
		}
		VT_RET(ctx, ioasid_dev_detach(ctx, d, pasid), 0);
		VT_TRUE(!pasid_is(ctx, d, pasid, kid(ctx, q)), "detached: the kernel no longer has it");
	}
	VT_OK(ctx, ioasid_dev_detach(ctx, d, IOASID_PASID_NONE));
	VT_OK(ctx, ioasid_hwpt_destroy(ctx, plain));
	VT_OK(ctx, ioasid_hwpt_destroy(ctx, q));
	VT_OK(ctx, ioasid_hwpt_destroy(ctx, p));

	/* dirty tracking: the selftest plants dirt, the library reads it */
	ho.flags = IOASID_HWPT_DIRTY_TRACKING | IOASID_HWPT_PASID;
	if (VT_OK(ctx, ioasid_hwpt_alloc(ctx, d, a, &ho, &dirt))) {
		struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DIRTY };

		VT_OK(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, dirt, NULL));
		/* PAGE_SIZE entries: contiguous memory would otherwise make large
		 * mock entries, whose dirty bit covers more than one page */
		VT_OK(ctx, ioasid_ioas_set_option(ctx, a, IOASID_IOAS_OPT_HUGE_PAGES, 0));
		iova = BASE;
		VT_OK(ctx, ioasid_ioas_map(ctx, a, buf, 64 * pg, F | RW, &iova));
		VT_OK(ctx, ioasid_hwpt_set_dirty_tracking(ctx, dirt, true));
		memset(want, 0, sizeof(want));
		want[0] = 0x8000000000000005ull;
		c.id = kid(ctx, dirt);
		c.dirty.iova = BASE;
		c.dirty.length = 64 * pg;
		c.dirty.page_size = pg;
		c.dirty.uptr = (uintptr_t)want;
		r = test_cmd(&c);
		VT_TRUE(!r && c.dirty.out_nr_dirty == 3, "the selftest dirtied 3 pages (%d, %llu)", r,
			X(c.dirty.out_nr_dirty));
		memset(bitmap, 0, sizeof(bitmap));
		VT_OK(ctx, ioasid_hwpt_get_dirty_bitmap(ctx, dirt, BASE, 64 * pg, pg, bitmap,
							IOASID_DIRTY_NO_CLEAR));
		VT_TRUE(bitmap[0] == want[0], "the library reads them (NO_CLEAR): 0x%llx", X(bitmap[0]));
		memset(bitmap, 0, sizeof(bitmap));
		VT_OK(ctx, ioasid_hwpt_get_dirty_bitmap(ctx, dirt, BASE, 64 * pg, pg, bitmap, 0));
		VT_TRUE(bitmap[0] == want[0], "again, clearing: 0x%llx", X(bitmap[0]));
		memset(bitmap, 0, sizeof(bitmap));
		VT_OK(ctx, ioasid_hwpt_get_dirty_bitmap(ctx, dirt, BASE, 64 * pg, pg, bitmap, 0));
		VT_TRUE(bitmap[0] == 0, "then clean: 0x%llx", X(bitmap[0]));
		VT_OK(ctx, ioasid_hwpt_set_dirty_tracking(ctx, dirt, false));
		/* the kernel's rule: no huge pages switch while domains map areas */
		VT_RET(ctx, ioasid_ioas_set_option(ctx, a, IOASID_IOAS_OPT_HUGE_PAGES, 1), 0);
		VT_RET(ctx, ioasid_ioas_set_option(ctx, a, IOASID_IOAS_OPT_HUGE_PAGES, 0), -EINVAL);
		VT_OK(ctx, ioasid_ioas_unmap(ctx, a, 0, UINT64_MAX, NULL));
		VT_OK(ctx, ioasid_dev_detach(ctx, d, IOASID_PASID_NONE));
		VT_OK(ctx, ioasid_hwpt_destroy(ctx, dirt));
	}
	ho.flags = 0;
	VT_OK(ctx, ioasid_hwpt_alloc(ctx, d, a, NULL, &plain));
	VT_RET(ctx, ioasid_hwpt_set_dirty_tracking(ctx, plain, true), -EOPNOTSUPP);
	VT_OK(ctx, ioasid_hwpt_destroy(ctx, plain));

	/* a nest parent through the library, a nested mock HWPT raw over it */
	ho.flags = IOASID_HWPT_NEST_PARENT;
	if (VT_OK(ctx, ioasid_hwpt_alloc(ctx, d, a, &ho, &parent))) {
		struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
		struct iommu_hwpt_alloc na = {
			.size = sizeof(na), .dev_id = kid(ctx, d), .pt_id = kid(ctx, parent),
			.data_type = IOMMU_HWPT_DATA_SELFTEST, .data_len = sizeof(data),
			.data_uptr = (uintptr_t)&data,
		};
		struct iommu_hwpt_invalidate_selftest inv = { .flags = IOMMU_TEST_INVALIDATE_FLAG_ALL };
		struct iommu_hwpt_invalidate hi = {
			.size = sizeof(hi), .data_uptr = (uintptr_t)&inv,
			.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, .entry_len = sizeof(inv),
			.entry_num = 1,
		};
		struct iommu_test_cmd chk = { .op = IOMMU_TEST_OP_MD_CHECK_IOTLB };

		r = ioctl(ifd, IOMMU_HWPT_ALLOC, &na) ? -errno : 0;
		VT_TRUE(!r, "a nested mock HWPT over the library's parent (kernel %u): %s",
			kid(ctx, parent), ioasid_strerrno(r));
		if (!r) {
			hi.hwpt_id = na.out_hwpt_id;
			r = ioctl(ifd, IOMMU_HWPT_INVALIDATE, &hi) ? -errno : 0;
			chk.id = na.out_hwpt_id;
			chk.check_iotlb.id = 0;
			chk.check_iotlb.iotlb = 0;
			VT_TRUE(!r && hi.entry_num == 1 && !test_cmd(&chk),
				"invalidated all of it; the selftest sees its IOTLB cleared (%s)",
				ioasid_strerrno(r));
			ioctl(ifd, IOMMU_DESTROY, &(struct iommu_destroy){ .size = 8, .id = na.out_hwpt_id });
		}
		VT_OK(ctx, ioasid_hwpt_destroy(ctx, parent));
	}
	VT_TRUE(ioasid_dev_attached(ctx, d, IOASID_PASID_NONE, &cur) == -ENOENT, "nothing attached");
	VT_OK(ctx, ioasid_dev_unbind(ctx, d));
	VT_OK(ctx, ioasid_ioas_destroy(ctx, a));
	munmap(buf, 64 * pg);
out:
	ioasid_ctx_close(ctx);
	return vt_done("mock");
}
