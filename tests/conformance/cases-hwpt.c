// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * FIXTURE(iommufd_ioas), the cases about hardware page tables and device
 * information: alloc_hwpt_nested, hwpt_attach, get_hw_info.
 *
 * Nested HWPTs are in a stage-1 format the API knows (VT-d's, the only one
 * today); the mock's own format and its IOTLB model (the selftest's
 * IOMMU_TEST_OP_MD_CHECK_IOTLB, its iotlb_id) have none, so the
 * invalidation checks use the VT-d entry and its rules (kernel-uapi.md §1.4
 * IOMMU_HWPT_INVALIDATE): the same errnos for the same mistakes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"

/* The kernel's struct iommu_hwpt_vtd_s1_invalidate (24 bytes). */
struct vtd_inv {
	uint64_t addr;
	uint64_t npages;
	uint32_t flags;
	uint32_t reserved;
};

static struct ioasid_hwpt_opts hwpt_opts(uint32_t flags)
{
	struct ioasid_hwpt_opts o = IOASID_OPTS_INIT(ioasid_hwpt_opts);

	o.flags = flags;
	return o;
}

/* Paging HWPT allocation and the checks that come before any nested format. */
void c_alloc_hwpt_nested_paging(struct cf_t *t)
{
	struct ioasid_hwpt_vtd_s1 s1 = { .addr_width = 48 };
	struct ioasid_hwpt_opts o;
	uint32_t parent = 0, not_parent = 0, h = 0;
	struct ioas_fx f;

	ioas_setup(t, &f);
	if (!f.dev) {
		CF_RET(t, cf_hwpt_alloc(t, 0, f.ioas, 0, &h), -ENOENT);
		o = hwpt_opts(0);
		o.type = IOASID_HWPT_NESTED_VTD_S1;
		o.data = &s1;
		o.data_len = sizeof(s1);
		CF_RET(t, ioasid_hwpt_alloc(t->ctx, 0, 0, &o, &h), -ENOENT);
		return;
	}
	/* an IOAS id as the device, a device id as the page table */
	CF_RET(t, cf_hwpt_alloc(t, f.ioas, f.ioas, 0, &h), -ENOENT);
	CF_RET(t, cf_hwpt_alloc(t, f.dev, f.dev, 0, &h), -EINVAL);
	/* a nest parent cannot report faults: EOPNOTSUPP before the queue is looked at */
	CF_DRET(t, "hwpt-nest-parent-fault",
		cf_hwpt_alloc(t, f.dev, f.ioas,
			      IOASID_HWPT_NEST_PARENT | IOASID_HWPT_FAULT_ID_VALID, &h),
		-EOPNOTSUPP);

	CF_OK(t, cf_hwpt_alloc(t, f.dev, f.ioas, IOASID_HWPT_NEST_PARENT, &parent));
	CF_OK(t, cf_hwpt_alloc(t, f.dev, f.ioas, 0, &not_parent));

	/* type NONE with data; a type nobody knows; a parent without NEST_PARENT */
	o = hwpt_opts(0);
	o.data = &s1;
	o.data_len = sizeof(s1);
	CF_RET(t, ioasid_hwpt_alloc(t->ctx, f.dev, parent, &o, &h), -EINVAL);
	o.type = 0xdead;
	CF_RET(t, ioasid_hwpt_alloc(t->ctx, f.dev, parent, &o, &h), -EOPNOTSUPP);
	o.type = IOASID_HWPT_NESTED_VTD_S1;
	CF_RET(t, ioasid_hwpt_alloc(t->ctx, f.dev, not_parent, &o, &h), -EINVAL);

	CF_OK(t, ioasid_hwpt_destroy(t->ctx, parent));
	CF_OK(t, ioasid_hwpt_destroy(t->ctx, not_parent));
}

static int inv(struct cf_t *t, uint32_t hwpt, uint32_t type, const void *e, uint32_t len,
	       uint32_t *num)
{
	return ioasid_hwpt_invalidate_raw(t->ctx, hwpt, type, e, len, num);
}

/* The selftest's invalidation sequence, VT-d entries in place of the mock's. */
static void nested_invalidation(struct cf_t *t, uint32_t parent, uint32_t nested)
{
	const uint32_t E = sizeof(struct vtd_inv), VTD = IOASID_INV_DATA_VTD_S1;
	struct vtd_inv e[2];
	uint8_t *big;
	uint32_t num;

	memset(e, 0, sizeof(e));
	e[0].npages = e[1].npages = 1;
	num = 1;
	CF_RET(t, inv(t, parent, VTD, e, E, &num), -EINVAL);
	CF_EQ(t, num, 0);
	num = 0;
	CF_OK(t, inv(t, nested, VTD, e, E, &num));
	CF_EQ(t, num, 0);
	num = 1;
	CF_RET(t, inv(t, nested, 0x7777, e, E, &num), -EINVAL);
	CF_EQ(t, num, 0);

	/* entry sizes: longer than the kernel's struct, 1, more than a page, 0 */
	big = calloc(1, 2 * cf_page + 8);
	CF_TRUE(t, big, "out of memory");
	memcpy(big, e, E);
	num = 1;
	CF_DRET(t, "inv-entry-len", inv(t, nested, VTD, big, E + 1, &num), -EINVAL);
	CF_DEQ(t, "inv-entry-len", num, 0);
	num = 1;
	CF_RET(t, inv(t, nested, VTD, big, 1, &num), -EINVAL);
	CF_EQ(t, num, 0);
	num = 1;
	CF_DRET(t, "inv-bounds", inv(t, nested, VTD, big, (uint32_t)cf_page + 1, &num), -EINVAL);
	CF_DEQ(t, "inv-bounds", num, 0);
	free(big);
	/*
	 * More entries than the kernel takes (2^19): refused before the array
	 * is read. The array is there all the same (zeroed entries), so that a
	 * library that reads it reads memory of ours.
	 */
	num = (1u << 19) + 1;
	CF_DRET(t, "inv-bounds", inv(t, nested, VTD, cf_mem(t, (size_t)num * E, 0), E, &num),
		-EINVAL);
	CF_DEQ(t, "inv-bounds", num, 0);
	num = 1;
	e[0].flags = 0xffffffff;
	CF_RET(t, inv(t, nested, VTD, e, E, &num), -EOPNOTSUPP);
	CF_EQ(t, num, 0);
	e[0].flags = 0;
	num = 1;
	CF_RET(t, inv(t, nested, VTD, NULL, E, &num), -EINVAL);
	CF_EQ(t, num, 0);
	num = 1;
	CF_RET(t, inv(t, nested, VTD, e, 0, &num), -EINVAL);
	CF_EQ(t, num, 0);
	/* the mock's out-of-range iotlb_id: a VT-d address that is not 4 KiB aligned */
	e[0].addr = 0x800;
	num = 1;
	CF_RET(t, inv(t, nested, VTD, e, E, &num), -EINVAL);
	CF_EQ(t, num, 0);

	/* the first entry handled, the second refused: entry_num says 1 */
	e[0].addr = 0;
	e[1].flags = 0xffffffff;
	num = 2;
	CF_RET(t, inv(t, nested, VTD, e, E, &num), -EOPNOTSUPP);
	CF_EQ(t, num, 1);
	e[1].flags = 0;
	e[1].addr = 0x800;
	num = 2;
	CF_RET(t, inv(t, nested, VTD, e, E, &num), -EINVAL);
	CF_EQ(t, num, 1);

	e[1].addr = 0x1000;
	num = 1;
	CF_OK(t, inv(t, nested, VTD, &e[1], E, &num));
	CF_EQ(t, num, 1);
	num = 2;
	CF_OK(t, inv(t, nested, VTD, e, E, &num));
	CF_EQ(t, num, 2);
	/* everything: address 0, U64_MAX pages */
	e[0].npages = UINT64_MAX;
	num = 1;
	CF_OK(t, inv(t, nested, VTD, e, E, &num));
	CF_EQ(t, num, 1);
}

/* A page request from (dev, pasid) reaches the queue of what is attached there. */
void cf_iopf_round(struct cf_t *t, uint32_t dev, uint32_t pasid, uint32_t queue, uint32_t hwpt,
		   uint64_t addr)
{
	struct ioasid_fault r[4];
	uint32_t n = 4;

	CF_OK(t, cf_oracle.raise_iopf(t, dev, pasid, addr));
	CF_OK(t, ioasid_fault_read(t->ctx, queue, r, &n));
	CF_EQ(t, n, 1);
	CF_TRUE(t,
		(r[0].flags & (IOASID_FAULT_F_PAGE_REQ | IOASID_FAULT_F_LAST)) ==
			(IOASID_FAULT_F_PAGE_REQ | IOASID_FAULT_F_LAST),
		"a whole one-record page-request group (flags 0x%x)", r[0].flags);
	CF_EQ(t, r[0].dev, dev);
	CF_EQ(t, r[0].hwpt, hwpt);
	CF_OK(t, ioasid_fault_respond(t->ctx, queue, r[0].cookie, IOASID_FAULT_SUCCESS));
	if (cf_oracle.iopf_done)
		cf_oracle.iopf_done(t, queue);
}

uint32_t cf_fault_queue(struct cf_t *t, uint32_t *ret_set)
{
	struct ioasid_fault_queue_opts qo = IOASID_OPTS_INIT(ioasid_fault_queue_opts);
	uint32_t q = 0;

	*ret_set = cf_set_with_pasid(t, 0);
	qo.set = *ret_set;
	CF_OK(t, ioasid_fault_queue_alloc(t->ctx, &qo, &q));
	return q;
}

/*
 * The guest's stage-1 table for a nested HWPT: an empty (zeroed) page,
 * mapped in the parent's IOAS at the top of the device's aperture.
 */
uint64_t cf_empty_stage1(struct cf_t *t, uint32_t ioas, uint64_t ap_last)
{
	uint64_t iova = (ap_last + 1) - 4096;

	CF_OK(t, ioasid_ioas_map(t->ctx, ioas, cf_mem(t, 4096, 4096), 4096,
				 IOASID_MAP_FIXED_IOVA | IOASID_MAP_READ | IOASID_MAP_WRITE, &iova));
	return iova;
}

/* Nested HWPTs over one parent: allocation, invalidation, attach, busy, a page request. */
void c_alloc_hwpt_nested_nested(struct cf_t *t)
{
	struct ioasid_hwpt_vtd_s1 s1 = { .addr_width = 48 };
	uint32_t parent = 0, not_parent = 0, nested[2] = { 0 }, iopf = 0, h = 0, q, set;
	struct ioasid_hwpt_opts o;
	struct ioas_fx f;

	ioas_setup(t, &f);
	CF_OK(t, cf_hwpt_alloc(t, f.dev, f.ioas, IOASID_HWPT_NEST_PARENT, &parent));
	CF_OK(t, cf_hwpt_alloc(t, f.dev, f.ioas, 0, &not_parent));
	s1.pgtbl_addr = cf_empty_stage1(t, f.ioas, f.g.ap_last);

	o = hwpt_opts(0);
	o.type = IOASID_HWPT_NESTED_VTD_S1;
	o.data = &s1;
	o.data_len = sizeof(s1) - 1;
	CF_RET(t, ioasid_hwpt_alloc(t->ctx, f.dev, parent, &o, &h), -EINVAL);
	o.data = NULL;
	o.data_len = sizeof(s1);
	CF_DRET(t, "hwpt-nested-null-data", ioasid_hwpt_alloc(t->ctx, f.dev, parent, &o, &h),
		-EFAULT);
	o.data = &s1;
	o.flags = IOASID_HWPT_NEST_PARENT;
	CF_RET(t, ioasid_hwpt_alloc(t->ctx, f.dev, parent, &o, &h), -EOPNOTSUPP);
	o.flags = 0;

	q = cf_fault_queue(t, &set);
	CF_OK(t, ioasid_hwpt_alloc(t->ctx, f.dev, parent, &o, &nested[0]));
	CF_OK(t, ioasid_hwpt_alloc(t->ctx, f.dev, parent, &o, &nested[1]));
	o.flags = IOASID_HWPT_FAULT_ID_VALID;
	o.fault_queue = UINT32_MAX;
	CF_RET(t, ioasid_hwpt_alloc(t->ctx, f.dev, parent, &o, &h), -ENOENT);
	o.fault_queue = q;
	CF_OK(t, ioasid_hwpt_alloc(t->ctx, f.dev, parent, &o, &iopf));
	o.flags = 0;
	o.fault_queue = 0;

	/* a nested HWPT is no parent; a parent with children is busy */
	CF_RET(t, ioasid_hwpt_alloc(t->ctx, f.dev, nested[0], &o, &h), -EINVAL);
	CF_RET(t, ioasid_hwpt_destroy(t->ctx, parent), -EBUSY);

	nested_invalidation(t, parent, nested[0]);

	/* attached means busy; replacing moves the device without a gap */
	CF_OK(t, ioasid_dev_replace(t->ctx, f.dev, IOASID_PASID_NONE, nested[0], NULL));
	CF_RET(t, ioasid_hwpt_destroy(t->ctx, nested[0]), -EBUSY);
	CF_OK(t, ioasid_dev_replace(t->ctx, f.dev, IOASID_PASID_NONE, nested[1], NULL));
	CF_RET(t, ioasid_hwpt_destroy(t->ctx, nested[1]), -EBUSY);
	CF_OK(t, ioasid_hwpt_destroy(t->ctx, nested[0]));
	CF_OK(t, ioasid_dev_replace(t->ctx, f.dev, IOASID_PASID_NONE, iopf, NULL));
	CF_RET(t, ioasid_hwpt_destroy(t->ctx, iopf), -EBUSY);
	cf_iopf_round(t, f.dev, IOASID_PASID_NONE, q, iopf, 0x100000);

	CF_OK(t, ioasid_dev_replace(t->ctx, f.dev, IOASID_PASID_NONE, parent, NULL));
	CF_OK(t, ioasid_hwpt_destroy(t->ctx, nested[1]));
	CF_OK(t, ioasid_hwpt_destroy(t->ctx, iopf));
	CF_OK(t, ioasid_dev_replace(t->ctx, f.dev, IOASID_PASID_NONE, f.ioas, NULL));
	CF_OK(t, ioasid_hwpt_destroy(t->ctx, parent));
	CF_OK(t, ioasid_hwpt_destroy(t->ctx, not_parent));
	CF_OK(t, ioasid_fault_queue_destroy(t->ctx, q));
}

/* Another device attaches to the automatic HWPT itself. */
void c_hwpt_attach(struct cf_t *t)
{
	uint32_t h[8], d3;
	struct ioas_fx f;

	ioas_setup(t, &f);
	d3 = cf_dev(t, CF_DEV3);
	if (!f.dev) {
		CF_RET(t, ioasid_dev_attach(t->ctx, d3, IOASID_PASID_NONE, 0, NULL), -ENOENT);
		return;
	}
	CF_TRUE(t, cf_hwpts(t, h, 8) >= 1, "the automatic HWPT of the fixture's device");
	CF_OK(t, ioasid_dev_attach(t->ctx, d3, IOASID_PASID_NONE, h[0], NULL));
}

/*
 * The device's information, as IOMMU_GET_HW_INFO gives it: a buffer of any
 * size is fine, gets what fits (a longer one its tail zeroed) and the full
 * length back. The kernel's choice of a vendor type (INPUT_TYPE) has no
 * counterpart: the chain carries every capability the library knows.
 */
void c_get_hw_info(struct cf_t *t)
{
	uint8_t *exact, *larger;
	size_t len = 0, got = 0, i;
	struct cf_geom g;
	struct ioas_fx f;

	ioas_setup(t, &f);
	if (!f.dev) {
		uint8_t b[64];

		CF_RET(t, ioasid_dev_info(t->ctx, 0, b, sizeof(b), &got), -ENOENT);
		CF_RET(t, ioasid_dev_info(t->ctx, 0, b, 0, &got), -ENOENT);
		return;
	}
	CF_DRET(t, "hw_info-short-buffer", ioasid_dev_info(t->ctx, f.dev, NULL, 0, &len), 0);
	CF_TRUE(t, len >= 16, "the chain's length (%zu)", len);
	exact = cf_mem(t, len, 8);
	larger = cf_mem(t, len + 8, 8);
	CF_OK(t, ioasid_dev_info(t->ctx, f.dev, exact, len, &got));
	CF_EQ(t, got, len);
	memset(larger, 0xaa, len + 8);
	CF_OK(t, ioasid_dev_info(t->ctx, f.dev, larger, len + 8, &got));
	CF_EQ(t, got, len);
	CF_TRUE(t, !memcmp(exact, larger, len), "the same chain in a longer buffer");
	for (i = len; i < len + 8 && !larger[i]; i++)
		;
	CF_DTRUE(t, "hw_info-tail-zero", i == len + 8, "byte %zu past the chain is 0x%02x, not 0",
		 i, larger[i]);
	/* a buffer shorter than the chain gets its first bytes and the length */
	memset(larger, 0, len + 8);
	got = 0;
	CF_DRET(t, "hw_info-short-buffer", ioasid_dev_info(t->ctx, f.dev, larger, 8, &got), 0);
	CF_EQ(t, got, len);
	CF_TRUE(t, !memcmp(larger, exact, 8) && !larger[8], "the first 8 bytes, nothing after");

	CF_EQ(t, f.g.pasid_width, 0);
	if (f.pasid_dev) {
		/* the mock's 20 bits (MOCK_PASID_WIDTH), the PCIe maximum; the sim mirrors it */
		cf_geom(t, f.pasid_dev, &g);
		CF_EQ(t, g.pasid_width, IOASID_PASID_MAX_WIDTH);
	}
}
