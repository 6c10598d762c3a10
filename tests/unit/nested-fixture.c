/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The nested-translation fixture of the sim suites (nested-fixture.h). */
#include "nested-fixture.h"

struct ioasid_ctx *nf_ctx;
uint32_t nf_ioas, nf_dev, nf_set;
uint8_t *nf_mem;
static uint8_t *raw;

void nf_setup(void)
{
	struct ioasid_set_opts so = { .sz = sizeof(so), .max_pasids = 8, .max_ioas = 4 };

	nf_ctx = test_sim_ctx();
	ck_assert_ok(nf_ctx, ioasid_ioas_alloc(nf_ctx, &nf_ioas));
	ck_assert_ok(nf_ctx, ioasid_dev_bind(nf_ctx, "sim0", &nf_dev));
	ck_assert_ok(nf_ctx, ioasid_set_alloc(nf_ctx, &so, &nf_set));
	raw = test_mem(10 * NF_MB);
	nf_mem = (uint8_t *)(((uintptr_t)raw + 2 * NF_MB - 1) & ~(2 * NF_MB - 1));
	memset(nf_mem, 0, 8 * NF_MB);
}

void nf_teardown(void)
{
	ioasid_ctx_close(nf_ctx);
	munmap(raw, 10 * NF_MB);
}

uint64_t *nf_table(unsigned int level)
{
	return (uint64_t *)(nf_mem + (4 - level) * NF_PG);
}

void nf_build_s1(uint64_t table_bits, uint64_t leaf)
{
	memset(nf_mem, 0, 4 * NF_PG);
	nf_table(4)[0] = (NF_GPA + 1 * NF_PG) | table_bits;
	nf_table(3)[0] = (NF_GPA + 2 * NF_PG) | table_bits;
	nf_table(2)[2] = (NF_GPA + 3 * NF_PG) | table_bits; /* 0x400000 >> 21 = 2 */
	nf_table(1)[0] = leaf;
}

uint32_t nf_parent(uint32_t flags, int huge_pages)
{
	struct ioasid_hwpt_opts o = { .sz = sizeof(o), .flags = IOASID_HWPT_NEST_PARENT | flags };
	uint64_t iova = NF_GPA;
	uint32_t parent;

	if (!huge_pages)
		ck_assert_ok(nf_ctx, ioasid_ioas_set_option(nf_ctx, nf_ioas,
							    IOASID_IOAS_OPT_HUGE_PAGES, 0));
	ck_assert_ok(nf_ctx,
		     ioasid_ioas_map(nf_ctx, nf_ioas, nf_mem, 8 * NF_MB,
				     IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA,
				     &iova));
	ck_assert_ok(nf_ctx, ioasid_hwpt_alloc(nf_ctx, nf_dev, nf_ioas, &o, &parent));
	return parent;
}

uint32_t nf_nested(uint32_t parent, uint64_t s1_flags, uint32_t hwpt_flags, uint32_t queue)
{
	struct ioasid_hwpt_vtd_s1 s1 = { .flags = s1_flags, .pgtbl_addr = NF_GPA, .addr_width = 48 };
	struct ioasid_hwpt_opts o = {
		.sz = sizeof(o),
		.flags = hwpt_flags | (queue ? IOASID_HWPT_FAULT_ID_VALID : 0),
		.type = IOASID_HWPT_NESTED_VTD_S1,
		.data = &s1,
		.data_len = sizeof(s1),
		.fault_queue = queue,
	};
	uint32_t nested;

	ck_assert_ok(nf_ctx, ioasid_hwpt_alloc(nf_ctx, nf_dev, parent, &o, &nested));
	return nested;
}

uint32_t nf_attach_pasid(uint32_t hwpt)
{
	struct ioasid_attach_opts ao = { .sz = sizeof(ao), .set = nf_set };
	uint32_t pasid;

	ck_assert_ok(nf_ctx, ioasid_pasid_alloc(nf_ctx, nf_set, 1, 100, &pasid));
	ck_assert_ok(nf_ctx, ioasid_dev_attach(nf_ctx, nf_dev, pasid, hwpt, &ao));
	return pasid;
}

void nf_dirty(uint32_t hwpt, uint64_t len, uint64_t *bm, unsigned int words, uint32_t flags)
{
	memset(bm, 0, words * sizeof(*bm));
	ck_assert_ok(nf_ctx,
		     ioasid_hwpt_get_dirty_bitmap(nf_ctx, hwpt, NF_GPA, len, NF_PG, bm, flags));
}
