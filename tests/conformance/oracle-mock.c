// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The oracle in the VM (tests/vm/run.sh builds it against the kernel's own
 * headers and drivers/iommu/iommufd/iommufd_test.h): what the library did
 * is checked by asking the kernel's mock IOMMU, with IOMMU_TEST_CMD on the
 * context's /dev/iommu (ioasid_ctx_fd()) and the kernel ids the library
 * reports (ioasid_obj_kernel_id()). Test code only: the library is used
 * through its public API, the kernel is asked directly.
 *
 * - check_map: IOMMU_TEST_OP_MD_CHECK_MAP on the device's HWPT (for an
 *   IOAS attach, on the automatic HWPTs: one of them must map the range).
 * - plant_dirty: IOMMU_TEST_OP_DIRTY.
 * - raise_iopf: IOMMU_TEST_OP_TRIGGER_IOPF.
 * - set_memory_limit: IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT, the kernel's
 *   batch memory of the mock_domain_limit variant, put back after the case.
 * - dmabuf_get / dmabuf_revoke: IOMMU_TEST_OP_DMABUF_GET / _REVOKE.
 * - dev_cache_is: IOMMU_TEST_OP_DEV_CHECK_CACHE (the vIOMMU's invalidations).
 * - trigger_vevent: IOMMU_TEST_OP_TRIGGER_VEVENT.
 *
 * Nested HWPTs of the mock's own format cannot be made through the API
 * (its one stage-1 format is VT-d's): nesting is not offered here.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>

#include <linux/iommufd.h>
#include <iommufd_test.h>

#include "cf.h"

/* The kernel's default (selftest.c: iommufd_test_memory_limit). */
#define DEFAULT_MEMORY_LIMIT 65536

static int limit_changed;

static int test_cmd(struct cf_t *t, struct iommu_test_cmd *c)
{
	int fd = -1, err = ioasid_ctx_fd(t->ctx, &fd);

	if (err)
		return err;
	c->size = sizeof(*c);
	return ioctl(fd, IOMMU_TEST_CMD, c) ? -errno : 0;
}

static uint32_t kid(struct cf_t *t, uint32_t id)
{
	uint32_t k = 0;

	return ioasid_obj_kernel_id(t->ctx, id, &k) ? 0 : k;
}

static int check_hwpt(struct cf_t *t, uint32_t hwpt, uint64_t iova, const void *va, size_t len)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.id = kid(t, hwpt),
		.check_map = { .iova = iova, .length = len, .uptr = (uintptr_t)va },
	};

	return c.id ? test_cmd(t, &c) : -ENOENT;
}

static int mock_check_map(struct cf_t *t, uint32_t dev, uint64_t iova, const void *va, size_t len)
{
	uint32_t pt = 0, h[64];
	unsigned int n, i;
	int err;

	err = ioasid_dev_attached(t->ctx, dev, IOASID_PASID_NONE, &pt);
	if (err)
		return err;
	if (ioasid_obj_kind(t->ctx, pt) == IOASID_OBJ_HWPT)
		return check_hwpt(t, pt, iova, va, len);
	/* an IOAS: its automatic HWPTs are objects of the context too */
	n = cf_hwpts(t, h, 64);
	for (i = 0, err = -ENOENT; i < n && err; i++)
		err = check_hwpt(t, h[i], iova, va, len);
	return err;
}

static int mock_plant_dirty(struct cf_t *t, uint32_t dev, uint32_t hwpt, uint64_t iova,
			    uint64_t len, uint64_t pgsz, const uint64_t *bits, uint64_t *ret_nr)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_DIRTY,
		.id = kid(t, hwpt),
		.dirty = { .iova = iova, .length = len, .page_size = pgsz, .uptr = (uintptr_t)bits },
	};
	int err = test_cmd(t, &c);

	if (!err)
		*ret_nr = c.dirty.out_nr_dirty;
	return err;
}

static int mock_raise_iopf(struct cf_t *t, uint32_t dev, uint32_t pasid, uint64_t addr)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = {
			.dev_id = kid(t, dev),
			.pasid = pasid == IOASID_PASID_NONE ? 0 : pasid,
			.grpid = 2,
			.perm = IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE,
			.addr = addr,
		},
	};

	return test_cmd(t, &c);
}

static int set_limit(struct cf_t *t, unsigned int limit)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
		.memory_limit = { .limit = limit },
	};

	return test_cmd(t, &c);
}

static int mock_set_memory_limit(struct cf_t *t, unsigned int limit)
{
	limit_changed = 1;
	return set_limit(t, limit);
}

static void mock_end(struct cf_t *t)
{
	if (limit_changed && t->ctx)
		set_limit(t, DEFAULT_MEMORY_LIMIT);
	limit_changed = 0;
}

static int mock_dmabuf_get(struct cf_t *t, size_t len, int *ret_fd)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DMABUF_GET,
				    .dmabuf_get = { .length = len, .open_flags = O_CLOEXEC } };
	int fd = -1, err = ioasid_ctx_fd(t->ctx, &fd), r;

	if (err)
		return err;
	c.size = sizeof(c);
	r = ioctl(fd, IOMMU_TEST_CMD, &c); /* the new fd is the answer */
	if (r < 0)
		return -errno;
	*ret_fd = r;
	return 0;
}

static int mock_dmabuf_revoke(struct cf_t *t, int fd, bool revoked)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DMABUF_REVOKE,
				    .dmabuf_revoke = { .dmabuf_fd = fd, .revoked = revoked } };

	return test_cmd(t, &c);
}

static int mock_dev_cache_is(struct cf_t *t, uint32_t dev, uint32_t cache_id, uint32_t value)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DEV_CHECK_CACHE,
				    .id = kid(t, dev),
				    .check_dev_cache = { .id = cache_id, .cache = value } };

	return c.id ? test_cmd(t, &c) : -ENOENT;
}

static int mock_trigger_vevent(struct cf_t *t, uint32_t dev)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_TRIGGER_VEVENT,
				    .trigger_vevent = { .dev_id = kid(t, dev) } };

	return c.trigger_vevent.dev_id ? test_cmd(t, &c) : -ENOENT;
}

const struct cf_oracle cf_oracle = {
	.name = "the kernel's mock IOMMU",
	.check_map = mock_check_map,
	.plant_dirty = mock_plant_dirty,
	.raise_iopf = mock_raise_iopf,
	.set_memory_limit = mock_set_memory_limit,
	.end = mock_end,
	.dmabuf_get = mock_dmabuf_get,
	.dmabuf_revoke = mock_dmabuf_revoke,
	.nesting = false,
	.iopf = true,
	.dirty = true,
	.huge_iopte = false,
	.dev_cache_is = mock_dev_cache_is,
	.trigger_vevent = mock_trigger_vevent,
	.viommu = CF_VIOMMU_SELFTEST,
	.viommu_data = true,
	.hw_queue = true,
};
