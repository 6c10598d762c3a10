/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The page tables the simulator builds (lib/backend/sim/pgtable.c): map
 * with the largest pages that fit, unmap that splits large leaves, tables
 * freed when empty, allocation failure at every position, A/D bits and
 * dirty bitmaps. The tables are checked by reading their raw bytes back
 * (dump_pt), which is also how "nothing changed" is proved after each
 * failed allocation.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "backend/sim/pgtable.h"
#include "pgtable-entries.h"
#include "suites.h"

/* ---- raw view of a sim_pt ---- */

struct leaf {
	uint64_t iova, size, raw;
};

#define MAX_LEAVES 8192
struct dump {
	size_t n, tables;
	struct leaf l[MAX_LEAVES];
};

static struct dump d_before, d_after;

static void dump_rec(struct dump *d, const uint64_t *t, unsigned int level, uint64_t base)
{
	unsigned int i;

	for (i = 0; i < 512; i++) {
		uint64_t e = get(t, i), va = base + i * sim_pt_level_size(level);

		if (!e)
			continue;
		if (level == 1 || (e & SIM_SL_PS)) {
			expect(d->n < MAX_LEAVES, "more than %d leaves", MAX_LEAVES);
			d->l[d->n++] = (struct leaf){ va, sim_pt_level_size(level), e };
		} else {
			d->tables++;
			dump_rec(d, (const uint64_t *)(uintptr_t)(e & SIM_PT_ADDR_MASK), level - 1,
				 va);
		}
	}
}

static void dump_pt(const struct sim_pt *pt, struct dump *d)
{
	memset(d, 0, sizeof(*d));
	d->tables = 1;
	dump_rec(d, (const uint64_t *)(uintptr_t)sim_pt_root(pt), sim_pt_levels(pt), 0);
	ck_assert_uint_eq(d->tables, sim_pt_table_pages(pt));
}

/* Same raw leaves, and every leaf walks to the same translation. */
static void dump_same(const struct sim_pt *pt, const struct dump *before, const char *what,
		      unsigned long nth)
{
	struct sim_pt_walker w;
	size_t i;

	dump_pt(pt, &d_after);
	ck_assert_msg(before->n == d_after.n && before->tables == d_after.tables &&
			      !memcmp(before->l, d_after.l, before->n * sizeof(before->l[0])),
		      "%s: table changed after failing allocation %lu (%zu->%zu leaves, "
		      "%zu->%zu tables)",
		      what, nth, before->n, d_after.n, before->tables, d_after.tables);
	sim_pt_walker_init(&w, pt);
	for (i = 0; i < before->n; i++) {
		struct sim_pt_result r;
		uint64_t va = before->l[i].iova;

		expect(sim_pt_walk(&w, sim_pt_root(pt), va, 0, &r) == 0 &&
			       r.page_size == before->l[i].size &&
			       r.oa == (before->l[i].raw & SIM_PT_ADDR_MASK & ~(r.page_size - 1)),
		       "%s: walk of %#llx differs after failing allocation %lu", what,
		       (unsigned long long)va, nth);
	}
}

/* The raw leaf entry of a sim_pt covering @va, and its level (0: none). */
static uint64_t raw_leaf(const struct sim_pt *pt, uint64_t va, unsigned int *level)
{
	const uint64_t *t = (const uint64_t *)(uintptr_t)sim_pt_root(pt);
	unsigned int l;

	for (l = sim_pt_levels(pt); l >= 1; l--) {
		uint64_t e = get(t, idx_of(va, l));

		if (!e)
			break;
		if (l == 1 || (e & SIM_SL_PS)) {
			*level = l;
			return e;
		}
		t = (const uint64_t *)(uintptr_t)(e & SIM_PT_ADDR_MASK);
	}
	*level = 0;
	return 0;
}

static void check_walk(const struct sim_pt *pt, uint64_t va, uint64_t want_oa, uint64_t want_size)
{
	struct sim_pt_walker w;
	struct sim_pt_result r;
	int ret;

	sim_pt_walker_init(&w, pt);
	ret = sim_pt_walk(&w, sim_pt_root(pt), va, 0, &r);
	expect(ret == 0, "walk %#llx: %d reason %d level %u", (unsigned long long)va, ret,
	       r.fault_reason, r.fault_level);
	expect(r.oa == want_oa, "walk %#llx: oa %#llx want %#llx", (unsigned long long)va,
	       (unsigned long long)r.oa, (unsigned long long)want_oa);
	expect(r.page_size == want_size, "walk %#llx: size %#llx want %#llx", (unsigned long long)va,
	       (unsigned long long)r.page_size, (unsigned long long)want_size);
}

static void check_unmapped(const struct sim_pt *pt, uint64_t va)
{
	struct sim_pt_walker w;
	struct sim_pt_result r;

	sim_pt_walker_init(&w, pt);
	expect(sim_pt_walk(&w, sim_pt_root(pt), va, 0, &r) == -ENOENT &&
		       r.fault_reason == SIM_PT_FAULT_NOT_PRESENT,
	       "%#llx is mapped", (unsigned long long)va);
}
/* ---- map ---- */

START_TEST(test_map_largest)
{
	struct sim_pt *pt = sim_pt_new(SIM_PT_VTD_SL, 4, ALLSZ);
	uint64_t oa = UINT64_C(0x7f0000000000), e;
	unsigned int level;

	/* 1G + 2M + 4K, iova and oa 1G-aligned: one leaf of each size */
	ck_assert_int_eq(sim_pt_map(pt, G1, oa, G1 + M2 + K4, SIM_PT_R | SIM_PT_W), 0);
	e = raw_leaf(pt, G1, &level);
	ck_assert_uint_eq(level, 3);
	ck_assert_uint_eq(e, oa | SIM_SL_PS | SIM_SL_R | SIM_SL_W);
	e = raw_leaf(pt, 2 * G1, &level);
	ck_assert_uint_eq(level, 2);
	ck_assert_uint_eq(e, (oa + G1) | SIM_SL_PS | SIM_SL_R | SIM_SL_W);
	e = raw_leaf(pt, 2 * G1 + M2, &level);
	ck_assert_uint_eq(level, 1);
	ck_assert_uint_eq(e, (oa + G1 + M2) | SIM_SL_R | SIM_SL_W); /* no PS in a PTE */
	/* root, one PDPT, one PD, one PT */
	ck_assert_uint_eq(sim_pt_table_pages(pt), 4);
	check_walk(pt, G1 + 0x12345678, oa + 0x12345678, G1);
	check_walk(pt, 2 * G1 + 0x1234, oa + G1 + 0x1234, M2);
	check_walk(pt, 2 * G1 + M2 + 0xff8, oa + G1 + M2 + 0xff8, K4);
	check_unmapped(pt, 2 * G1 + M2 + K4);

	/* iova 2M-aligned but oa only 4K-aligned: 4K leaves only */
	ck_assert_int_eq(sim_pt_map(pt, 8 * G1, oa + K4, 2 * M2, SIM_PT_R), 0);
	e = raw_leaf(pt, 8 * G1 + M2, &level);
	ck_assert_uint_eq(level, 1);
	ck_assert_uint_eq(e, (oa + K4 + M2) | SIM_SL_R);

	/* unaligned start: 4K up to the 2M edge, 2M leaves, 4K tail */
	ck_assert_int_eq(sim_pt_map(pt, 16 * G1 - 2 * K4, oa - 2 * K4, 2 * K4 + 2 * M2 + K4,
				    SIM_PT_W),
			 0);
	raw_leaf(pt, 16 * G1 - K4, &level);
	ck_assert_uint_eq(level, 1);
	e = raw_leaf(pt, 16 * G1 + M2, &level);
	ck_assert_uint_eq(level, 2);
	ck_assert(e & SIM_SL_PS);
	raw_leaf(pt, 16 * G1 + 2 * M2, &level);
	ck_assert_uint_eq(level, 1);
	check_walk(pt, 16 * G1 + 2 * M2 + 5, oa + 2 * M2 + 5, K4);
	sim_pt_free(pt);

	/* without 1G leaves in the bitmap: 512 x 2M */
	pt = sim_pt_new(SIM_PT_VTD_FL, 5, K4 | M2);
	ck_assert_int_eq(sim_pt_map(pt, G1, oa, G1, SIM_PT_R | SIM_PT_U), 0);
	e = raw_leaf(pt, G1 + 511 * M2, &level);
	ck_assert_uint_eq(level, 2);
	ck_assert_uint_eq(e, (oa + 511 * M2) | SIM_FL_P | SIM_FL_US | SIM_FL_PS | SIM_FL_XD);
	ck_assert_uint_eq(sim_pt_table_pages(pt), 4);
	check_walk(pt, G1 + 3 * M2 + 7, oa + 3 * M2 + 7, M2);
	sim_pt_free(pt);

	/* 4K only */
	pt = sim_pt_new(SIM_PT_VTD_SL, 4, K4);
	ck_assert_int_eq(sim_pt_map(pt, 0, 0, M2 + K4, SIM_PT_R), 0);
	raw_leaf(pt, 0, &level);
	ck_assert_uint_eq(level, 1);
	ck_assert_uint_eq(sim_pt_table_pages(pt), 5); /* root, PDPT, PD, 2 PTs */
	sim_pt_free(pt);
}
END_TEST

/* Leaf sizes limited per map: the base page only, as with huge pages off. */
START_TEST(test_map_sizes)
{
	struct sim_pt *pt = sim_pt_new(SIM_PT_VTD_SL, 4, ALLSZ);
	uint64_t oa = UINT64_C(0x7f0000000000);
	unsigned int level;

	/* 1G-aligned on both sides, yet 4K leaves only: 512 * 512 of them */
	ck_assert_int_eq(sim_pt_map_sizes(pt, G1, oa, G1 + M2, SIM_PT_R | SIM_PT_W, K4), 0);
	raw_leaf(pt, G1, &level);
	ck_assert_uint_eq(level, 1);
	raw_leaf(pt, 2 * G1 + M2 - K4, &level);
	ck_assert_uint_eq(level, 1);
	/* root, 1 PDPT, 2 PDs, 513 PTs */
	ck_assert_uint_eq(sim_pt_table_pages(pt), 1 + 1 + 2 + 513);
	check_walk(pt, G1 + 0x12345678, oa + 0x12345678, K4);
	/* the sizes asked for (a size no table has is ignored): 1G leaves, then 2M ones */
	ck_assert_int_eq(sim_pt_map_sizes(pt, 4 * G1, oa, G1, SIM_PT_R, M2 | G1 | K4 | (K4 << 1)),
			 0);
	raw_leaf(pt, 4 * G1, &level);
	ck_assert_uint_eq(level, 3);
	ck_assert_int_eq(sim_pt_map_sizes(pt, 8 * G1, oa, G1, SIM_PT_R, K4 | M2), 0);
	raw_leaf(pt, 8 * G1 + 3 * M2, &level);
	ck_assert_uint_eq(level, 2);
	/* the base page is always needed */
	ck_assert_int_eq(sim_pt_map_sizes(pt, 12 * G1, oa, M2, SIM_PT_R, M2), -EINVAL);
	check_unmapped(pt, 12 * G1);
	sim_pt_free(pt);

	/* a 4K-only table ignores bigger sizes asked for */
	pt = sim_pt_new(SIM_PT_VTD_FL, 4, K4);
	ck_assert_int_eq(sim_pt_map_sizes(pt, 0, 0, M2, SIM_PT_R, ALLSZ), 0);
	raw_leaf(pt, 0, &level);
	ck_assert_uint_eq(level, 1);
	sim_pt_free(pt);
}
END_TEST

START_TEST(test_map_errors)
{
	struct sim_pt *pt = sim_pt_new(SIM_PT_VTD_SL, 4, ALLSZ);
	struct sim_pt *fl = sim_pt_new(SIM_PT_VTD_FL, 5, ALLSZ);
	uint64_t top4 = UINT64_C(1) << 48;

	ck_assert_ptr_null(sim_pt_new(SIM_PT_VTD_SL, 3, ALLSZ));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(sim_pt_new(SIM_PT_VTD_SL, 4, M2));
	ck_assert_ptr_null(sim_pt_new(SIM_PT_VTD_SL, 4, K4 | 0x8000));
	ck_assert_ptr_null(sim_pt_new((enum sim_pt_format)7, 4, K4));

	ck_assert_int_eq(sim_pt_map(pt, 0x1800, 0, K4, SIM_PT_R), -EINVAL);
	ck_assert_int_eq(sim_pt_map(pt, 0, 0x800, K4, SIM_PT_R), -EINVAL);
	ck_assert_int_eq(sim_pt_map(pt, 0, 0, 0x1800, SIM_PT_R), -EINVAL);
	ck_assert_int_eq(sim_pt_map(pt, 0, 0, 0, SIM_PT_R), -EINVAL);
	ck_assert_int_eq(sim_pt_map(pt, top4, 0, K4, SIM_PT_R), -EINVAL);
	ck_assert_int_eq(sim_pt_map(pt, top4 - K4, 0, 2 * K4, SIM_PT_R), -EINVAL);
	ck_assert_int_eq(sim_pt_map(pt, top4 - K4, 0, K4, SIM_PT_R), 0);
	ck_assert_int_eq(sim_pt_map(fl, top4, 0, K4, SIM_PT_R), 0); /* 57 bits */
	ck_assert_int_eq(sim_pt_map(fl, UINT64_C(1) << 57, 0, K4, SIM_PT_R), -EINVAL);
	/* permissions the format cannot express */
	ck_assert_int_eq(sim_pt_map(pt, 0, 0, K4, 0), -EINVAL);
	ck_assert_int_eq(sim_pt_map(pt, 0, 0, K4, SIM_PT_X), -EINVAL);
	ck_assert_int_eq(sim_pt_map(pt, 0, 0, K4, SIM_PT_R | 0x40), -EINVAL);
	ck_assert_int_eq(sim_pt_map(fl, 0, 0, K4, SIM_PT_W), -EINVAL);
	/* output beyond 52 bits */
	ck_assert_int_eq(sim_pt_map(pt, 0, UINT64_C(1) << 52, K4, SIM_PT_R), -ERANGE);
	ck_assert_int_eq(sim_pt_map(pt, 0, (UINT64_C(1) << 52) - K4, 2 * K4, SIM_PT_R), -ERANGE);
	ck_assert_int_eq(sim_pt_map(pt, 0, (UINT64_C(1) << 52) - K4, K4, SIM_PT_R), 0);
	check_walk(pt, 0, (UINT64_C(1) << 52) - K4, K4);
	ck_assert_uint_eq(sim_pt_table_pages(pt), 7);

	/* -EEXIST in every arrangement, and the part before the clash undone */
	ck_assert_int_eq(sim_pt_map(pt, G1, G1, G1, SIM_PT_R), 0);         /* 1G leaf */
	ck_assert_int_eq(sim_pt_map(pt, 4 * G1 + M2, 0, K4, SIM_PT_R), 0); /* 4K in a PT */
	dump_pt(pt, &d_before);
	ck_assert_int_eq(sim_pt_map(pt, 0, 0, K4, SIM_PT_R), -EEXIST);
	ck_assert_int_eq(sim_pt_map(pt, G1 + M2, 0, K4, SIM_PT_R), -EEXIST);     /* 4K in a 1G */
	ck_assert_int_eq(sim_pt_map(pt, G1, G1, M2, SIM_PT_R), -EEXIST);         /* 2M in a 1G */
	ck_assert_int_eq(sim_pt_map(pt, 4 * G1 + M2, 0, M2, SIM_PT_R), -EEXIST); /* 2M over a PT */
	ck_assert_int_eq(sim_pt_map(pt, 4 * G1, 4 * G1, G1, SIM_PT_R), -EEXIST); /* 1G over a PD */
	/* a long run of new 2M and 4K leaves, new tables, then the clash */
	ck_assert_int_eq(sim_pt_map(pt, 2 * G1 + K4, K4, 2 * G1 + M2, SIM_PT_R), -EEXIST);
	ck_assert_int_eq(sim_pt_map(pt, G1 - 3 * M2, G1 - 3 * M2, 4 * M2, SIM_PT_R), -EEXIST);
	dump_same(pt, &d_before, "EEXIST", 0);
	sim_pt_free(pt);
	sim_pt_free(fl);
}
END_TEST

/* ---- unmap ---- */

/* Second stage: unmaps that split 1G and 2M leaves, on one edge or both. */
static void unmap_split_second_stage(void)
{
	struct sim_pt *pt = sim_pt_new(SIM_PT_VTD_SL, 4, ALLSZ);
	uint64_t oa = UINT64_C(0x3c0000000), done, va;
	unsigned int level;

	/* split a 1G leaf: a 4K hole in its 2nd 2M */
	ck_assert_int_eq(sim_pt_map(pt, G1, oa, G1, SIM_PT_R | SIM_PT_W), 0);
	ck_assert_uint_eq(sim_pt_table_pages(pt), 2);
	ck_assert_int_eq(sim_pt_unmap(pt, G1 + M2 + 5 * K4, K4, &done), 0);
	ck_assert_uint_eq(done, K4);
	ck_assert_uint_eq(sim_pt_table_pages(pt), 4);
	check_unmapped(pt, G1 + M2 + 5 * K4);
	check_walk(pt, G1 + M2 + 4 * K4 + 9, oa + M2 + 4 * K4 + 9, K4);
	check_walk(pt, G1 + M2 + 6 * K4, oa + M2 + 6 * K4, K4);
	check_walk(pt, G1, oa, M2);
	check_walk(pt, 2 * G1 - 1, oa + G1 - 1, M2);
	raw_leaf(pt, G1 + 2 * M2, &level);
	ck_assert_uint_eq(level, 2);
	/* the split kept permissions */
	ck_assert_uint_eq(raw_leaf(pt, G1 + M2, &level), (oa + M2) | SIM_SL_R | SIM_SL_W);
	ck_assert_uint_eq(level, 1);

	/* split a 2M leaf: unmap its first half */
	ck_assert_int_eq(sim_pt_unmap(pt, G1 + 7 * M2, M2 / 2, &done), 0);
	ck_assert_uint_eq(done, M2 / 2);
	ck_assert_uint_eq(sim_pt_table_pages(pt), 5);
	for (va = G1 + 7 * M2; va < G1 + 8 * M2; va += K4) {
		if (va < G1 + 7 * M2 + M2 / 2)
			check_unmapped(pt, va);
		else
			check_walk(pt, va, oa + va - G1, K4);
	}

	/* both edges inside one 1G leaf, one split each way */
	ck_assert_int_eq(sim_pt_map(pt, 4 * G1, 0, G1, SIM_PT_R), 0);
	ck_assert_int_eq(sim_pt_unmap(pt, 4 * G1 + M2 + K4, 3 * M2, &done), 0);
	ck_assert_uint_eq(done, 3 * M2);
	check_walk(pt, 4 * G1 + M2, M2, K4);
	check_unmapped(pt, 4 * G1 + M2 + K4);
	check_unmapped(pt, 4 * G1 + 4 * M2);
	check_walk(pt, 4 * G1 + 4 * M2 + K4, 4 * M2 + K4, K4);
	check_walk(pt, 4 * G1 + 5 * M2, 5 * M2, M2);

	/* a range over holes and leaves alike; then everything: back to the root */
	ck_assert_int_eq(sim_pt_unmap(pt, 0, 8 * G1, &done), 0);
	ck_assert_uint_eq(done, G1 - K4 - M2 / 2 + G1 - 3 * M2);
	ck_assert_uint_eq(sim_pt_table_pages(pt), 1);
	ck_assert_int_eq(sim_pt_unmap(pt, 0, 8 * G1, &done), 0);
	ck_assert_uint_eq(done, 0);
	ck_assert_int_eq(sim_pt_unmap(pt, 0x800, K4, &done), -EINVAL);
	ck_assert_int_eq(sim_pt_unmap(pt, 0, UINT64_C(1) << 49, &done), -EINVAL);
	ck_assert_int_eq(sim_pt_unmap(pt, 0, 0, NULL), 0);
	sim_pt_free(pt);
}

/* First stage: a large leaf's PAT bit moves as the leaf is split. */
static void unmap_split_keeps_pat(void)
{
	struct sim_pt *pt = sim_pt_new(SIM_PT_VTD_FL, 4, ALLSZ);
	unsigned int level;

	/* first stage: a large leaf's PAT (bit 12) becomes bit 7 in 4K leaves */
	ck_assert_int_eq(sim_pt_map(pt, M2, M2, M2, SIM_PT_R | SIM_PT_W | SIM_PT_X), 0);
	{
		uint64_t e = raw_leaf(pt, M2, &level);
		const uint64_t *t = (const uint64_t *)(uintptr_t)sim_pt_root(pt);
		unsigned int l;

		ck_assert_uint_eq(level, 2);
		for (l = 4; l > 2; l--)
			t = (const uint64_t *)(uintptr_t)(get(t, idx_of(M2, l)) & SIM_PT_ADDR_MASK);
		put((uint64_t *)(uintptr_t)t, idx_of(M2, 2), e | SIM_FL_PAT_LARGE | SIM_FL_PWT);
	}
	ck_assert_int_eq(sim_pt_unmap(pt, M2, K4, NULL), 0);
	ck_assert_uint_eq(raw_leaf(pt, M2 + K4, &level),
			  (M2 + K4) | SIM_FL_P | SIM_FL_RW | SIM_FL_PWT | SIM_FL_PS /* PAT */);
	ck_assert_uint_eq(level, 1);
	check_walk(pt, M2 + 3 * K4 + 1, M2 + 3 * K4 + 1, K4);
	/* ... and stays at bit 12 when a 1G leaf becomes 2M leaves */
	ck_assert_int_eq(sim_pt_map(pt, G1, 3 * G1, G1, SIM_PT_R), 0);
	{
		const uint64_t *t = (const uint64_t *)(uintptr_t)sim_pt_root(pt);

		t = (const uint64_t *)(uintptr_t)(get(t, idx_of(G1, 4)) & SIM_PT_ADDR_MASK);
		put((uint64_t *)(uintptr_t)t, idx_of(G1, 3),
		    raw_leaf(pt, G1, &level) | SIM_FL_PAT_LARGE);
	}
	ck_assert_int_eq(sim_pt_unmap(pt, G1 + M2, M2, NULL), 0);
	ck_assert_uint_eq(raw_leaf(pt, G1 + 2 * M2, &level),
			  (3 * G1 + 2 * M2) | SIM_FL_P | SIM_FL_PS | SIM_FL_PAT_LARGE | SIM_FL_XD);
	ck_assert_uint_eq(level, 2);
	check_walk(pt, G1 + 2 * M2 + 5, 3 * G1 + 2 * M2 + 5, M2);
	sim_pt_free(pt);
}

START_TEST(test_unmap_split)
{
	unmap_split_second_stage();
	unmap_split_keeps_pat();
}
END_TEST

START_TEST(test_unmap_frees_tables)
{
	struct sim_pt *pt = sim_pt_new(SIM_PT_VTD_SL, 5, ALLSZ);
	uint64_t done;
	int i;

	/* 4K pages in eight different 256 TiB / 512 GiB / 1 GiB corners */
	for (i = 0; i < 8; i++) {
		uint64_t va = ((uint64_t)i << 48) | ((uint64_t)i << 39) | ((uint64_t)i << 30) |
			      ((uint64_t)i << 21) | ((uint64_t)i << 12);

		ck_assert_int_eq(sim_pt_map(pt, va, va & 0xffffffffffff, K4, SIM_PT_R), 0);
	}
	ck_assert_uint_eq(sim_pt_table_pages(pt), 1 + 8 * 4);
	for (i = 0; i < 8; i++) {
		uint64_t va = ((uint64_t)i << 48) | ((uint64_t)i << 39) | ((uint64_t)i << 30) |
			      ((uint64_t)i << 21) | ((uint64_t)i << 12);

		/* a neighbour page first: nothing there, nothing freed */
		ck_assert_int_eq(sim_pt_unmap(pt, va + K4, K4, &done), 0);
		ck_assert_uint_eq(done, 0);
		ck_assert_uint_eq(sim_pt_table_pages(pt), 1 + (8 - (size_t)i) * 4);
		ck_assert_int_eq(sim_pt_unmap(pt, va, K4, &done), 0);
		ck_assert_uint_eq(done, K4);
		ck_assert_uint_eq(sim_pt_table_pages(pt), 1 + (7 - (size_t)i) * 4);
	}
	/* a partly emptied PT stays, an emptied one goes */
	ck_assert_int_eq(sim_pt_map(pt, 0, 0, 4 * K4, SIM_PT_R), 0);
	ck_assert_uint_eq(sim_pt_table_pages(pt), 5);
	ck_assert_int_eq(sim_pt_unmap(pt, 0, 2 * K4, NULL), 0);
	ck_assert_uint_eq(sim_pt_table_pages(pt), 5);
	ck_assert_int_eq(sim_pt_unmap(pt, 2 * K4, 2 * K4, NULL), 0);
	ck_assert_uint_eq(sim_pt_table_pages(pt), 1);
	dump_pt(pt, &d_before);
	ck_assert_uint_eq(d_before.n, 0);
	sim_pt_free(pt);
}
END_TEST

/* ---- allocation failure at every position ---- */

/*
 * Run @op with the n-th allocation failing, n = 1, 2, ... until it gets
 * through; each failure must give -ENOMEM and leave the raw table exactly
 * as it was. Returns the number of failures.
 */
#define FAIL_EACH(pt, what, op)                                                               \
	({                                                                                    \
		unsigned long __n;                                                            \
		int __fails = 0;                                                              \
		for (__n = 1;; __n++) {                                                       \
			int __r;                                                              \
			dump_pt(pt, &d_before);                                               \
			ioasid_alloc_fail_nth(__n);                                           \
			__r = (op);                                                           \
			ioasid_alloc_fail_nth(0);                                             \
			if (!ioasid_alloc_failed()) {                                         \
				ck_assert_msg(__r == 0, "%s: %d", what, __r);                 \
				break;                                                        \
			}                                                                     \
			ck_assert_msg(__r == -ENOMEM, "%s: nth %lu gave %d", what, __n, __r); \
			dump_same(pt, &d_before, what, __n);                                  \
			__fails++;                                                            \
		}                                                                             \
		__fails;                                                                      \
	})

START_TEST(test_alloc_fail)
{
	const uint64_t b = UINT64_C(1) << 39; /* a PML4 boundary */
	struct sim_pt *pt = NULL;
	unsigned long n;
	uint64_t done;
	int fails;

	/* creation */
	for (n = 1;; n++) {
		ioasid_alloc_fail_nth(n);
		pt = sim_pt_new(SIM_PT_VTD_SL, 5, ALLSZ);
		ioasid_alloc_fail_nth(0);
		if (!ioasid_alloc_failed())
			break;
		ck_assert_ptr_null(pt);
		ck_assert_int_eq(errno, ENOMEM);
	}
	ck_assert_ptr_nonnull(pt);
	ck_assert_uint_eq(n, 3);

	/* something there already: a 1G leaf, 4K pages, 2M leaves */
	ck_assert_int_eq(sim_pt_map(pt, G1, 5 * G1, G1, SIM_PT_R | SIM_PT_W), 0);
	ck_assert_int_eq(sim_pt_map(pt, M2 - 3 * K4, 0x10000, 4 * M2, SIM_PT_R), 0);

	/*
	 * Across the PML4 boundary with iova and oa congruent modulo 1G: 4K and
	 * 2M leaves before it, then 1G, 2M and 4K after it; new PD, PT, PDPT,
	 * PD and PT pages.
	 */
	fails = FAIL_EACH(pt, "map",
			  sim_pt_map(pt, b - M2 - 2 * K4, 4 * G1 - M2 - 2 * K4,
				     2 * K4 + M2 + G1 + M2 + K4, SIM_PT_R));
	ck_assert_int_eq(fails, 5);
	check_walk(pt, b - 1, 4 * G1 - 1, M2);
	check_walk(pt, b + G1 - 1, 4 * G1 + G1 - 1, G1);
	check_walk(pt, b + G1 + M2, 4 * G1 + G1 + M2, K4);
	check_walk(pt, b - M2 - 2 * K4, 4 * G1 - M2 - 2 * K4, K4);

	/* unmap with both edges inside 1G leaves: two splits at each edge */
	fails = FAIL_EACH(pt, "unmap",
			  sim_pt_unmap(pt, G1 + M2 + K4, b + M2 + K4 - (G1 + M2 + K4), &done));
	ck_assert_int_eq(fails, 4);
	check_walk(pt, G1 + M2, 5 * G1 + M2, K4);
	check_walk(pt, G1, 5 * G1, M2);
	check_unmapped(pt, G1 + M2 + K4);
	check_unmapped(pt, b + M2);
	check_walk(pt, b + M2 + K4, 4 * G1 + M2 + K4, K4);
	check_walk(pt, b + 2 * M2, 4 * G1 + 2 * M2, M2);

	/* an unmap that needs no split never fails */
	fails = FAIL_EACH(pt, "unmap whole", sim_pt_unmap(pt, 0, UINT64_C(1) << 57, &done));
	ck_assert_int_eq(fails, 0);
	ck_assert_uint_eq(sim_pt_table_pages(pt), 1);
	sim_pt_free(pt);
}
END_TEST

/* ---- A/D and dirty bitmaps ---- */

static void walk_ad(struct sim_pt *pt, uint64_t va, unsigned int acc)
{
	struct sim_pt_walker w;
	struct sim_pt_result r;

	sim_pt_walker_init(&w, pt);
	ck_assert_int_eq(sim_pt_walk(&w, sim_pt_root(pt), va, acc | SIM_PT_WALK_SET_AD, &r), 0);
}

static bool bit(const uint64_t *bm, uint64_t n)
{
	return bm[n / 64] >> (n % 64) & 1;
}

static unsigned int popcount(const uint64_t *bm, size_t words)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < words; i++)
		n += (unsigned int)__builtin_popcountll(bm[i]);
	return n;
}

/* Dirty bitmaps read into here: a bit per granule of up to 1G. */
static uint64_t bm[G1 / K4 / 64];

/* Walks set A (every level) and D (leaf, writes) only when asked to. */
static void walks_set_ad(struct sim_pt *pt, uint64_t a, uint64_t d)
{
	const uint64_t *t;
	unsigned int level, l;
	uint64_t e;

	/* a write walk: A at every level, D in the leaf only */
	walk_ad(pt, 0x13000 + 8, SIM_PT_W);
	t = (const uint64_t *)(uintptr_t)sim_pt_root(pt);
	for (l = 4; l >= 1; l--) {
		e = get(t, idx_of(0x13000, l));
		ck_assert(e & a);
		ck_assert(!(e & d) == (l != 1));
		t = (const uint64_t *)(uintptr_t)(e & SIM_PT_ADDR_MASK);
	}
	/* a read walk: A only; a walk without the flag: nothing */
	walk_ad(pt, 0x14000, SIM_PT_R);
	e = raw_leaf(pt, 0x14000, &level);
	ck_assert(e & a);
	ck_assert(!(e & d));
	{
		struct sim_pt_walker w;
		struct sim_pt_result r;

		sim_pt_walker_init(&w, pt);
		ck_assert_int_eq(sim_pt_walk(&w, sim_pt_root(pt), 0x15000, SIM_PT_W, &r), 0);
		ck_assert(!(raw_leaf(pt, 0x15000, &level) & (a | d)));
		/* a failed (permission) walk sets nothing either */
		ck_assert_int_eq(sim_pt_unmap(pt, 0x16000, K4, NULL), 0);
		ck_assert_int_eq(sim_pt_map(pt, 0x16000, 0x50006000, K4, SIM_PT_R), 0);
		ck_assert_int_eq(sim_pt_walk(&w, sim_pt_root(pt), 0x16000,
					     SIM_PT_W | SIM_PT_WALK_SET_AD, &r),
				 -EACCES);
		ck_assert(!(raw_leaf(pt, 0x16000, &level) & (a | d)));
	}
}

/* Reading and clearing the D bits of 4K leaves: one walk, one bit. */
static void dirty_read_4k(struct sim_pt *pt, uint64_t a, uint64_t d)
{
	unsigned int level;

	memset(bm, 0, sizeof(bm));
	ck_assert_int_eq(sim_pt_dirty_read(pt, 0x10000, 16 * K4, K4, bm, false), 0);
	ck_assert_uint_eq(bm[0], UINT64_C(1) << 3);
	/* no clear: the same again */
	memset(bm, 0, sizeof(bm));
	ck_assert_int_eq(sim_pt_dirty_read(pt, 0x10000, 16 * K4, K4, bm, true), 0);
	ck_assert_uint_eq(bm[0], UINT64_C(1) << 3);
	ck_assert(!(raw_leaf(pt, 0x13000, &level) & d));
	ck_assert(raw_leaf(pt, 0x13000, &level) & a); /* A stays */
	memset(bm, 0, sizeof(bm));
	ck_assert_int_eq(sim_pt_dirty_read(pt, 0x10000, 16 * K4, K4, bm, true), 0);
	ck_assert_uint_eq(bm[0], 0);
}

/* A 2M or 1G leaf is dirty in every granule it covers, whatever their size. */
static void dirty_read_large(struct sim_pt *pt, uint64_t d)
{
	unsigned int level, i;

	/* a 2M leaf marks every granule it covers */
	walk_ad(pt, 0x13000, SIM_PT_W);
	walk_ad(pt, M2 + 0x5000, SIM_PT_W);
	memset(bm, 0, sizeof(bm));
	ck_assert_int_eq(sim_pt_dirty_read(pt, 0, 2 * M2, K4, bm, false), 0);
	ck_assert_uint_eq(popcount(bm, 2 * M2 / K4 / 64), 1 + 512);
	ck_assert(bit(bm, 0x13));
	for (i = 512; i < 1024; i++)
		expect(bit(bm, i), "granule %u", i);
	/* granules bigger than the leaves */
	memset(bm, 0, sizeof(bm));
	ck_assert_int_eq(sim_pt_dirty_read(pt, 0, 4 * M2, M2, bm, false), 0);
	ck_assert_uint_eq(bm[0], 3);
	/* a range not aligned to the leaf: only its own granules, and the leaf
	 * that reaches outside keeps D even with clear */
	memset(bm, 0, sizeof(bm));
	ck_assert_int_eq(sim_pt_dirty_read(pt, M2 + 16 * K4, 32 * K4, K4, bm, true), 0);
	ck_assert_uint_eq(bm[0], 0xffffffff);
	ck_assert_uint_eq(bm[1], 0);
	ck_assert(raw_leaf(pt, M2, &level) & d);
	/* the whole leaf, cleared */
	memset(bm, 0, sizeof(bm));
	ck_assert_int_eq(sim_pt_dirty_read(pt, M2, M2, K4, bm, true), 0);
	ck_assert_uint_eq(popcount(bm, M2 / K4 / 64), 512);
	ck_assert(!(raw_leaf(pt, M2, &level) & d));
	memset(bm, 0, sizeof(bm));
	ck_assert_int_eq(sim_pt_dirty_read(pt, M2, M2, K4, bm, false), 0);
	ck_assert_uint_eq(popcount(bm, M2 / K4 / 64), 0);

	/* a 1G leaf: 262144 granules of 4K, 512 of 2M, one of 1G */
	walk_ad(pt, G1 + 12345 * K4, SIM_PT_W);
	memset(bm, 0, sizeof(bm));
	ck_assert_int_eq(sim_pt_dirty_read(pt, G1, G1, K4, bm, false), 0);
	ck_assert_uint_eq(popcount(bm, G1 / K4 / 64), G1 / K4);
	memset(bm, 0, sizeof(bm));
	ck_assert_int_eq(sim_pt_dirty_read(pt, G1 - M2, G1 + 2 * M2, M2, bm, false), 0);
	ck_assert_uint_eq(popcount(bm, 9), 512);
	ck_assert(!bit(bm, 0) && bit(bm, 1) && bit(bm, 512) && !bit(bm, 513));
	memset(bm, 0, sizeof(bm));
	ck_assert_int_eq(sim_pt_dirty_read(pt, 0, 4 * G1, G1, bm, true), 0);
	ck_assert_uint_eq(bm[0], 2 | 1 /* the 4K page 0x13000 */);
	memset(bm, 0, sizeof(bm));
	ck_assert_int_eq(sim_pt_dirty_read(pt, 0, 4 * G1, G1, bm, true), 0);
	ck_assert_uint_eq(bm[0], 0);
}

START_TEST(test_dirty)
{
	enum sim_pt_format f = _i ? SIM_PT_VTD_FL : SIM_PT_VTD_SL;
	const uint64_t a = f == SIM_PT_VTD_SL ? SIM_SL_A : SIM_FL_A;
	const uint64_t d = f == SIM_PT_VTD_SL ? SIM_SL_D : SIM_FL_D;
	struct sim_pt *pt = sim_pt_new(f, 4, ALLSZ);

	ck_assert_int_eq(sim_pt_map(pt, 0x10000, 0x50000000, 16 * K4, SIM_PT_R | SIM_PT_W), 0);
	ck_assert_int_eq(sim_pt_map(pt, M2, 0x40000000, M2, SIM_PT_R | SIM_PT_W), 0);
	ck_assert_int_eq(sim_pt_map(pt, G1, 2 * G1, G1, SIM_PT_R | SIM_PT_W), 0);
	walks_set_ad(pt, a, d);
	dirty_read_4k(pt, a, d);
	dirty_read_large(pt, d);

	/* bad arguments */
	ck_assert_int_eq(sim_pt_dirty_read(pt, 0, M2, 3000, bm, false), -EINVAL);
	ck_assert_int_eq(sim_pt_dirty_read(pt, 0, M2, 0, bm, false), -EINVAL);
	ck_assert_int_eq(sim_pt_dirty_read(pt, K4, M2, M2, bm, false), -EINVAL);
	ck_assert_int_eq(sim_pt_dirty_read(pt, 0, K4, M2, bm, false), -EINVAL);
	ck_assert_int_eq(sim_pt_dirty_read(pt, 0, UINT64_C(1) << 49, K4, bm, false), -EINVAL);
	ck_assert_int_eq(sim_pt_dirty_read(pt, 0, 0, K4, bm, false), 0);

	/* a split keeps D in every piece */
	walk_ad(pt, M2, SIM_PT_W);
	ck_assert_int_eq(sim_pt_unmap(pt, M2 + K4, K4, NULL), 0);
	memset(bm, 0, sizeof(bm));
	ck_assert_int_eq(sim_pt_dirty_read(pt, M2, M2, K4, bm, false), 0);
	ck_assert_uint_eq(popcount(bm, M2 / K4 / 64), 511);
	ck_assert(!bit(bm, 1));
	sim_pt_free(pt);
}
END_TEST
Suite *pgtable_map_suite(void)
{
	Suite *s = suite_create("pgtable_map");
	TCase *tc = tcase_create("map");

	tcase_add_test(tc, test_map_largest);
	tcase_add_test(tc, test_map_sizes);
	tcase_add_test(tc, test_map_errors);
	tcase_add_test(tc, test_unmap_split);
	tcase_add_test(tc, test_unmap_frees_tables);
	tcase_add_test(tc, test_alloc_fail);
	tcase_add_loop_test(tc, test_dirty, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
