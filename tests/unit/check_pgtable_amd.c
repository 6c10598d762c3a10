/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AMD formats of the sim's page tables (pgtable-amd.c, and the v2 =
 * x86-64 entry in pgtable-vtd.c). The entries are known-answer numbers
 * from the AMD IOMMU specification's v1 entry layout (PR 0, A 5, D 6,
 * Next Level 11:9, address 51:12, IR 61, IW 62), not from our encoder:
 * level skipping, Next Level 7 sized pages, permissions over the levels,
 * A/D, the encoder's bytes and splits; then an amd profile's HWPT.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"
#include "pgtable-entries.h"
#include "core/dev-private.h"
#include "core/hwpt-private.h"
#include "backend/sim/sim-private.h"

static uint64_t addr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

#define IRW UINT64_C(0x6000000000000000) /* IR | IW */
#define IR UINT64_C(0x2000000000000000)
/* a table entry at level l: Next Level l - 1, present, IR|IW */
#define TBL(t, l) (addr(t) | ((uint64_t)((l) - 1) << 9) | 1 | IRW)

/* A 4-level table down to @leaf_level for @iova, @leaf at the bottom. */
static uint64_t build(uint64_t iova, unsigned int leaf_level, uint64_t leaf, uint64_t **t)
{
	unsigned int l;

	for (l = 4; l >= leaf_level; l--)
		t[l] = page();
	for (l = 4; l > leaf_level; l--)
		put(t[l], idx_of(iova, l), TBL(t[l - 1], l));
	put(t[leaf_level], idx_of(iova, leaf_level), leaf);
	return addr(t[4]);
}

static int walk(uint64_t root, uint64_t iova, unsigned int flags, struct sim_pt_result *r)
{
	struct sim_pt_walker w = { .format = SIM_PT_AMD_V1, .levels = 4 };

	return sim_pt_walk(&w, root, iova, flags, r);
}

#define IOVA UINT64_C(0x0000123456789000)
#define OA UINT64_C(0x000000abcde00000) /* 2 MiB aligned */

START_TEST(test_v1_entries)
{
	struct sim_pt_result r;
	uint64_t *t[6], root;

	/* a 4 KiB page: PR, Next Level 0, IR|IW */
	root = build(IOVA, 1, OA | 1 | IRW, t);
	ck_assert_int_eq(walk(root, IOVA + 0x10, SIM_PT_R | SIM_PT_W, &r), 0);
	ck_assert_uint_eq(r.oa, OA + 0x10);
	ck_assert_uint_eq(r.page_size, K4);
	ck_assert_uint_eq(r.reads, 4);
	/* IR only: no writes */
	put(t[1], idx_of(IOVA, 1), OA | 1 | IR);
	ck_assert_int_eq(walk(root, IOVA, SIM_PT_W, &r), -EACCES);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_PERM);
	/* IW cleared in a table entry above: IR/IW are ANDed over the levels */
	put(t[1], idx_of(IOVA, 1), OA | 1 | IRW);
	put(t[3], idx_of(IOVA, 3), TBL(t[2], 3) & ~UINT64_C(0x4000000000000000));
	ck_assert_int_eq(walk(root, IOVA, SIM_PT_R, &r), 0);
	ck_assert_int_eq(walk(root, IOVA, SIM_PT_W, &r), -EACCES);
	/* not present */
	put(t[1], idx_of(IOVA, 1), OA | IRW);
	ck_assert_int_eq(walk(root, IOVA, SIM_PT_R, &r), -ENOENT);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_NOT_PRESENT);
	/* a level-1 entry with a Next Level of a table: reserved */
	put(t[1], idx_of(IOVA, 1), OA | 1 | IRW | (UINT64_C(3) << 9));
	ck_assert_int_eq(walk(root, IOVA, SIM_PT_R, &r), -ENOENT);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_RESERVED_BIT);
	/* a Next Level not below the entry's own level: reserved */
	put(t[3], idx_of(IOVA, 3), addr(t[2]) | 1 | IRW | (UINT64_C(5) << 9));
	ck_assert_int_eq(walk(root, IOVA, SIM_PT_R, &r), -ENOENT);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_RESERVED_BIT);
	ck_assert_uint_eq(r.fault_level, 3);
	pages_free();

	/* a 512 GiB leaf (level 4, Next Level 0) is refused */
	root = addr(page());
	put((uint64_t *)(uintptr_t)root, idx_of(IOVA, 4), 1 | IRW);
	ck_assert_int_eq(walk(root, IOVA, SIM_PT_R, &r), -ENOENT);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_RESERVED_BIT);
	pages_free();
}
END_TEST

START_TEST(test_v1_level_skip)
{
	struct sim_pt_result r;
	uint64_t *l4 = page(), *l2 = page(), *l1 = page();
	uint64_t iova = UINT64_C(0x0000008000345000); /* level-4 index 1, level-3 index 0 */
	uint64_t root = addr(l4);

	/* level 4 -> level 2 directly (Next Level 2): the level-3 index must be 0 */
	put(l4, 1, addr(l2) | (UINT64_C(2) << 9) | 1 | IRW);
	put(l2, idx_of(iova, 2), addr(l1) | (UINT64_C(1) << 9) | 1 | IRW);
	put(l1, idx_of(iova, 1), OA | 1 | IRW);
	ck_assert_int_eq(walk(root, iova + 8, SIM_PT_W | SIM_PT_WALK_SET_AD, &r), 0);
	ck_assert_uint_eq(r.oa, OA + 8);
	ck_assert_uint_eq(r.reads, 3);
	/* A in the three entries read, D in the leaf */
	ck_assert_uint_eq(get(l4, 1) & 0x60, 0x20);
	ck_assert_uint_eq(get(l2, idx_of(iova, 2)) & 0x60, 0x20);
	ck_assert_uint_eq(get(l1, idx_of(iova, 1)) & 0x60, 0x60);
	ck_assert(r.dirty);
	/* a non-zero index in the skipped level faults */
	ck_assert_int_eq(walk(root, iova + G1, SIM_PT_R, &r), -ENOENT);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_NOT_PRESENT);
	ck_assert_uint_eq(r.fault_level, 4);
	pages_free();
}
END_TEST

START_TEST(test_v1_sized_pages)
{
	struct sim_pt_result r;
	uint64_t *t[6], root;
	uint64_t oa64k = OA + 0x30000, oa32m = UINT64_C(0x000000ab00000000);

	/* Next Level 7 at level 1, bits 14:12 set and 15 clear: a 64 KiB page */
	root = build(IOVA, 1, oa64k | 0x7000 | (UINT64_C(7) << 9) | 1 | IRW, t);
	ck_assert_int_eq(walk(root, IOVA + 0x123, SIM_PT_R, &r), 0);
	ck_assert_uint_eq(r.page_size, 64 * 1024);
	ck_assert_uint_eq(r.oa, oa64k + ((IOVA + 0x123) & 0xffff));
	/* bits 20:12 set: 4 MiB, not a size a level-1 entry can have */
	put(t[1], idx_of(IOVA, 1), OA | 0x1ff000 | (UINT64_C(7) << 9) | 1 | IRW);
	ck_assert_int_eq(walk(root, IOVA, SIM_PT_R, &r), -ENOENT);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_RESERVED_BIT);
	pages_free();

	/* Next Level 7 at level 2, bits 23:12 set and 24 clear: a 32 MiB page */
	root = build(IOVA, 2, oa32m | 0xfff000 | (UINT64_C(7) << 9) | 1 | IRW, t);
	ck_assert_int_eq(walk(root, IOVA, SIM_PT_R, &r), 0);
	ck_assert_uint_eq(r.page_size, 32 * M2 / 2);
	ck_assert_uint_eq(r.oa, oa32m + (IOVA & (32 * M2 / 2 - 1)));
	ck_assert_uint_eq(r.level, 2);
	/* Next Level 0 at level 2: the natural 2 MiB */
	put(t[2], idx_of(IOVA, 2), OA | 1 | IRW);
	ck_assert_int_eq(walk(root, IOVA, SIM_PT_R, &r), 0);
	ck_assert_uint_eq(r.page_size, M2);
	pages_free();
}
END_TEST

START_TEST(test_v1_encoder_and_dirty)
{
	struct sim_pt *pt = sim_pt_new(SIM_PT_AMD_V1, 4, ALLSZ);
	const uint64_t *l4, *l3, *l2;
	uint64_t bm = 0, e;
	struct sim_pt_walker w;
	struct sim_pt_result r;

	ck_assert_ptr_nonnull(pt);
	ck_assert_str_eq(sim_pt_format_name(SIM_PT_AMD_V1), "amd-v1");
	ck_assert_int_eq(sim_pt_map(pt, G1, OA, M2 + K4, SIM_PT_R | SIM_PT_W), 0);
	l4 = (const uint64_t *)(uintptr_t)sim_pt_root(pt);
	e = get(l4, 0);
	ck_assert_uint_eq(e & ~SIM_PT_ADDR_MASK, UINT64_C(0x6000000000000601)); /* NL 3 */
	l3 = (const uint64_t *)(uintptr_t)(e & SIM_PT_ADDR_MASK);
	e = get(l3, 1);
	ck_assert_uint_eq(e & ~SIM_PT_ADDR_MASK, UINT64_C(0x6000000000000401)); /* NL 2 */
	l2 = (const uint64_t *)(uintptr_t)(e & SIM_PT_ADDR_MASK);
	ck_assert_uint_eq(get(l2, 0), OA | UINT64_C(0x6000000000000001)); /* 2 MiB, NL 0 */
	e = get(l2, 1);
	ck_assert_uint_eq(e & ~SIM_PT_ADDR_MASK, UINT64_C(0x6000000000000201)); /* NL 1 */
	ck_assert_uint_eq(get((const uint64_t *)(uintptr_t)(e & SIM_PT_ADDR_MASK), 0),
			  (OA + M2) | UINT64_C(0x6000000000000001));
	/* read-only: IR alone */
	ck_assert_int_eq(sim_pt_map(pt, 2 * G1, OA, K4, SIM_PT_R), 0);
	ck_assert_int_eq(sim_pt_map(pt, 2 * G1, OA, K4, SIM_PT_R), -EEXIST);

	/* splitting the 2 MiB leaf keeps its bits in 4 KiB leaves */
	ck_assert_int_eq(sim_pt_unmap(pt, G1 + 8 * K4, K4, NULL), 0);
	e = get(l2, 0);
	ck_assert_uint_eq(e & ~SIM_PT_ADDR_MASK, UINT64_C(0x6000000000000201));
	ck_assert_uint_eq(get((const uint64_t *)(uintptr_t)(e & SIM_PT_ADDR_MASK), 9),
			  (OA + 9 * K4) | UINT64_C(0x6000000000000001));

	/* D (bit 6) set by a write with HD, read and cleared */
	sim_pt_walker_init(&w, pt);
	ck_assert_int_eq(sim_pt_walk(&w, sim_pt_root(pt), G1 + 3 * K4, SIM_PT_W | SIM_PT_WALK_SET_AD,
				     &r),
			 0);
	ck_assert_uint_eq(r.leaf_entry & 0x40, 0); /* as read, before the update */
	ck_assert(r.dirty);
	ck_assert_int_eq(sim_pt_dirty_read(pt, G1, 16 * K4, K4, &bm, true), 0);
	ck_assert_uint_eq(bm, 0x8);
	bm = 0;
	ck_assert_int_eq(sim_pt_dirty_read(pt, G1, 16 * K4, K4, &bm, false), 0);
	ck_assert_uint_eq(bm, 0);
	/* levels 3 to 5 (modes 3-5); DBM is an Arm flag */
	ck_assert_ptr_null(sim_pt_new(SIM_PT_AMD_V1, 6, ALLSZ));
	ck_assert_ptr_null(sim_pt_new_flags(SIM_PT_AMD_V1, 4, ALLSZ, SIM_PT_NEW_DBM));
	ck_assert_uint_eq(sim_pt_levels_for(SIM_PT_AMD_V1, 39), 3);
	sim_pt_free(pt);
}
END_TEST

START_TEST(test_v2_x86_64)
{
	struct sim_pt_walker w = { .format = SIM_PT_AMD_V2, .levels = 4 };
	struct sim_pt_result r;
	uint64_t *t[6];
	unsigned int l;

	/* x86-64 entries: P|RW|US tables, a 4 KiB leaf P|RW|US with XD */
	for (l = 4; l >= 1; l--)
		t[l] = page();
	for (l = 4; l > 1; l--)
		put(t[l], idx_of(IOVA, l), addr(t[l - 1]) | 0x7);
	/* a walk that faults (the leaf not there yet) sets no A on the way down */
	ck_assert_int_eq(sim_pt_walk(&w, addr(t[4]), IOVA, SIM_PT_W | SIM_PT_WALK_SET_AD, &r),
			 -ENOENT);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_NOT_PRESENT);
	ck_assert_uint_eq(r.fault_level, 1);
	for (l = 4; l > 1; l--)
		ck_assert_uint_eq(get(t[l], idx_of(IOVA, l)), addr(t[l - 1]) | 0x7);
	/* then present, with A clear at every level: walked all the same */
	put(t[1], idx_of(IOVA, 1), OA | 0x7 | UINT64_C(0x8000000000000000));
	ck_assert_int_eq(sim_pt_walk(&w, addr(t[4]), IOVA, SIM_PT_W | SIM_PT_U, &r), 0);
	ck_assert_int_eq(sim_pt_walk(&w, addr(t[4]), IOVA, SIM_PT_R | SIM_PT_X, &r), -EACCES);
	/* A (5) and D (6) as the CPU sets them; bit 10 is not VT-d's EA here */
	ck_assert_int_eq(sim_pt_walk(&w, addr(t[4]), IOVA,
				     SIM_PT_W | SIM_PT_WALK_SET_AD | SIM_PT_WALK_SET_EA, &r),
			 0);
	ck_assert_uint_eq(get(t[1], idx_of(IOVA, 1)) & 0x460, 0x60);
	ck_assert_uint_eq(get(t[4], idx_of(IOVA, 4)) & 0x460, 0x20);
	pages_free();
}
END_TEST

/* ---- an amd profile's HWPT ---- */

START_TEST(test_amd_hwpt)
{
	struct ioasid_ctx *ctx;
	uint8_t *mem = test_mem(K4), buf[8] = { 9, 8, 7 };
	uint64_t iova = 0x200000;
	uint32_t ioas, dev;
	struct ioasid_hwpt *h;
	struct sim_hwpt *sh;
	const uint64_t *t;
	unsigned int l;
	size_t done;

	ctx = test_sim_ctx_spec("sim:amd");
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev));
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, K4,
					  IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA,
					  &iova));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, ioas, NULL));
	h = dev_attached_hwpt(obj_find(ctx, dev, IOASID_OBJ_DEV), IOASID_PASID_NONE);
	sh = h->be;
	ck_assert_int_eq(sim_pt_format(sh->pt), SIM_PT_AMD_V1);
	ck_assert_uint_eq(sh->levels, 4);
	/* walk the bytes by hand: Next Level 3, 2, 1, then the page */
	t = (const uint64_t *)(uintptr_t)sim_pt_root(sh->pt);
	for (l = 4; l > 1; l--) {
		uint64_t e = get(t, idx_of(iova, l));

		ck_assert_uint_eq((e >> 9) & 7, l - 1);
		t = (const uint64_t *)(uintptr_t)(e & SIM_PT_ADDR_MASK);
	}
	ck_assert_uint_eq(get(t, idx_of(iova, 1)), addr(mem) | UINT64_C(0x6000000000000001));
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, iova + 4, buf,
					       sizeof(buf), &done));
	ck_assert_int_eq(memcmp(mem + 4, buf, sizeof(buf)), 0);
	ioasid_ctx_close(ctx);
	munmap(mem, K4);
}
END_TEST

/*
 * amd_iommu_domain_alloc_paging_flags(): an IOMMU_HWPT_ALLOC_PASID domain
 * gets a v2 (x86-64) table, and takes no other flag.
 */
START_TEST(test_amd_pasid_hwpt_v2)
{
	struct ioasid_hwpt_opts o = IOASID_OPTS_INIT(ioasid_hwpt_opts);
	struct ioasid_ctx *ctx;
	uint8_t *mem = test_mem(K4), buf[4] = { 1, 2, 3, 4 };
	uint64_t iova = 0x200000;
	uint32_t ioas, dev, hwpt, bad;
	struct sim_hwpt *sh;
	const uint64_t *t;
	unsigned int l;
	size_t done;

	ctx = test_sim_ctx_spec("sim:amd");
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev));
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, K4,
					  IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA,
					  &iova));
	o.flags = IOASID_HWPT_PASID | IOASID_HWPT_NEST_PARENT;
	ck_assert_ret(ctx, ioasid_hwpt_alloc(ctx, dev, ioas, &o, &bad), -EOPNOTSUPP);
	o.flags = IOASID_HWPT_PASID;
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, ioas, &o, &hwpt));
	sh = ((struct ioasid_hwpt *)obj_find(ctx, hwpt, IOASID_OBJ_HWPT))->be;
	ck_assert_int_eq(sim_pt_format(sh->pt), SIM_PT_AMD_V2);
	ck_assert_uint_eq(sh->levels, 4);
	/*
	 * x86-64 entries as Linux's generic_pt writes them: tables P | R/W |
	 * U/S | A, the writable leaf P | R/W | U/S | A | D, no XD
	 */
	t = (const uint64_t *)(uintptr_t)sim_pt_root(sh->pt);
	for (l = 4; l > 1; l--) {
		uint64_t e = get(t, idx_of(iova, l));

		ck_assert_uint_eq(e & 0xfff, 0x27);
		ck_assert_uint_eq(e >> 52, 0);
		t = (const uint64_t *)(uintptr_t)(e & SIM_PT_ADDR_MASK);
	}
	ck_assert_uint_eq(get(t, idx_of(iova, 1)), addr(mem) | UINT64_C(0x67));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, hwpt, NULL));
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, iova + 8, buf,
					       sizeof(buf), &done));
	ck_assert_int_eq(memcmp(mem + 8, buf, sizeof(buf)), 0);
	ioasid_ctx_close(ctx);
	munmap(mem, K4);
}
END_TEST

/*
 * EFR.GATS 1 (5-level guest tables): Linux's amd_iommu_gpt_level is 5, and
 * its v2 domains get 5-level x86-64 tables (hw_max_vasz_lg2 56).
 */
START_TEST(test_amd_pasid_hwpt_v2_5level)
{
	char path[] = "/tmp/ioasid-amd-gats-XXXXXX.json", spec[64];
	/* the amd profile's EFR with GATS (13:12) = 1 */
	static const char json[] = "{ \"version\": 1, \"name\": \"amd-gats5\", \"base\": \"amd\", "
				   "\"registers\": { \"efr\": \"0x246577efa2255afa\", "
				   "\"efr2\": \"0x18\" } }\n";
	struct ioasid_hwpt_opts o = IOASID_OPTS_INIT(ioasid_hwpt_opts);
	struct ioasid_ctx *ctx;
	uint8_t *mem = test_mem(K4), buf[4] = { 5, 6, 7, 8 };
	uint64_t iova = 0x200000;
	uint32_t ioas, dev, hwpt;
	struct sim_hwpt *sh;
	const uint64_t *t;
	unsigned int l;
	size_t done;
	int fd = mkstemps(path, 5);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, json, sizeof(json) - 1), (ssize_t)sizeof(json) - 1);
	close(fd);
	snprintf(spec, sizeof(spec), "sim:%s", path);
	ctx = test_sim_ctx_spec(spec);
	unlink(path);
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev));
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, K4,
					  IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA,
					  &iova));
	o.flags = IOASID_HWPT_PASID;
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, ioas, &o, &hwpt));
	sh = ((struct ioasid_hwpt *)obj_find(ctx, hwpt, IOASID_OBJ_HWPT))->be;
	ck_assert_int_eq(sim_pt_format(sh->pt), SIM_PT_AMD_V2);
	ck_assert_uint_eq(sh->levels, 5);
	/* the bytes by hand: PML5E, PML4E, PDPTE, PDE, then the PTE */
	t = (const uint64_t *)(uintptr_t)sim_pt_root(sh->pt);
	for (l = 5; l > 1; l--) {
		uint64_t e = get(t, idx_of(iova, l));

		ck_assert_uint_eq(e & 0xfff, 0x27);
		t = (const uint64_t *)(uintptr_t)(e & SIM_PT_ADDR_MASK);
	}
	ck_assert_uint_eq(get(t, idx_of(iova, 1)), addr(mem) | UINT64_C(0x67));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, hwpt, NULL));
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, iova + 8, buf,
					       sizeof(buf), &done));
	ck_assert_int_eq(memcmp(mem + 8, buf, sizeof(buf)), 0);
	ioasid_ctx_close(ctx);
	munmap(mem, K4);
}
END_TEST

Suite *pgtable_amd_suite(void)
{
	Suite *s = suite_create("pgtable_amd");
	TCase *tc = tcase_create("amd");

	tcase_add_test(tc, test_v1_entries);
	tcase_add_test(tc, test_v1_level_skip);
	tcase_add_test(tc, test_v1_sized_pages);
	tcase_add_test(tc, test_v1_encoder_and_dirty);
	tcase_add_test(tc, test_v2_x86_64);
	tcase_add_test(tc, test_amd_hwpt);
	tcase_add_test(tc, test_amd_pasid_hwpt_v2);
	tcase_add_test(tc, test_amd_pasid_hwpt_v2_5level);
	suite_add_tcase(s, tc);
	return s;
}
