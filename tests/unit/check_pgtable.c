/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Walks of the simulator's page tables (lib/backend/sim/pgtable.c) over
 * tables built here byte by byte in 4 KiB-aligned pages, so the walker
 * can only pass by reading the VT-d entry format: both stages, 4 and 5
 * levels, every fault, permissions over the levels, nested walks through
 * a callback and walks resumed from an earlier path.
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

/* ---- hand-built tables ---- */

static uint64_t addr_of(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}
static uint64_t nonleaf_bits(enum sim_pt_format f)
{
	return f == SIM_PT_VTD_SL ? SIM_SL_R | SIM_SL_W | SIM_SL_X
				  : SIM_FL_P | SIM_FL_RW | SIM_FL_US;
}

struct hpath {
	uint64_t *t[SIM_PT_MAX_LEVELS + 1];
	unsigned int idx[SIM_PT_MAX_LEVELS + 1];
};

/* One table per level from the root down to @leaf_level, which gets @leaf. */
static uint64_t build(struct hpath *p, enum sim_pt_format f, unsigned int levels,
		      uint64_t iova, unsigned int leaf_level, uint64_t leaf)
{
	unsigned int l;

	memset(p, 0, sizeof(*p));
	for (l = levels; l >= leaf_level; l--) {
		p->t[l] = page();
		p->idx[l] = idx_of(iova, l);
	}
	for (l = levels; l > leaf_level; l--)
		put(p->t[l], p->idx[l], addr_of(p->t[l - 1]) | nonleaf_bits(f));
	put(p->t[leaf_level], p->idx[leaf_level], leaf);
	return addr_of(p->t[levels]);
}

static struct sim_pt_walker walker(enum sim_pt_format f, unsigned int levels)
{
	struct sim_pt_walker w = { .format = f, .levels = levels };

	return w;
}

/* An iova with a distinct index at every level and an in-page offset. */
static uint64_t test_iova(unsigned int levels)
{
	uint64_t va = (UINT64_C(3) << 39) | (UINT64_C(5) << 30) | (UINT64_C(7) << 21) |
		      (UINT64_C(9) << 12) | 0x123;

	if (levels == 5)
		va |= UINT64_C(2) << 48;
	return va;
}
/* ---- walks of hand-built tables ---- */

START_TEST(test_walk_sl_handbuilt)
{
	unsigned int levels = (unsigned int)_i ? 5 : 4, leaf;

	for (leaf = 1; leaf <= 3; leaf++) {
		uint64_t size = sim_pt_level_size(leaf), iova = test_iova(levels);
		uint64_t oa = UINT64_C(0x7f1240000000) & ~(size - 1);
		uint64_t e = oa | SIM_SL_R | SIM_SL_W | SIM_SL_SNP | (3u << SIM_SL_EMT_SHIFT) |
			     SIM_SL_IPAT | (leaf > 1 ? SIM_SL_PS : 0) |
			     (UINT64_C(0x5a) << 52); /* ignored bits */
		struct sim_pt_walker w = walker(SIM_PT_VTD_SL, levels);
		struct sim_pt_result r;
		struct hpath p;
		uint64_t root = build(&p, SIM_PT_VTD_SL, levels, iova, leaf, e);

		ck_assert_int_eq(sim_pt_walk(&w, root, iova, SIM_PT_R | SIM_PT_W, &r), 0);
		ck_assert_uint_eq(r.oa, oa | (iova & (size - 1)));
		ck_assert_uint_eq(r.page_size, size);
		ck_assert_uint_eq(r.level, leaf);
		ck_assert_uint_eq(r.perm & (SIM_PT_R | SIM_PT_W | SIM_PT_X), SIM_PT_R | SIM_PT_W);
		ck_assert_uint_eq(r.reads, levels - leaf + 1);
		ck_assert_uint_eq(r.leaf_table, addr_of(p.t[leaf]));
		ck_assert_uint_eq(r.leaf_index, p.idx[leaf]);
		ck_assert_uint_eq(r.leaf_entry, e);
		ck_assert_uint_eq(r.path[levels].table, root);
		/* a second address under the same leaf */
		ck_assert_int_eq(sim_pt_walk(&w, root, (iova & ~(size - 1)) + size - 8, 0, &r), 0);
		ck_assert_uint_eq(r.oa, oa + size - 8);
		/* no A/D without the flag */
		ck_assert_uint_eq(get(p.t[leaf], p.idx[leaf]), e);
		pages_free();
	}
}
END_TEST

START_TEST(test_walk_fl_handbuilt)
{
	unsigned int levels = (unsigned int)_i ? 5 : 4, leaf;

	for (leaf = 1; leaf <= 3; leaf++) {
		uint64_t size = sim_pt_level_size(leaf), iova = test_iova(levels);
		uint64_t oa = UINT64_C(0x000f3c0000000) & ~(size - 1);
		/* a large leaf's PAT (bit 12) is no address bit and no reserved bit */
		uint64_t e = oa | SIM_FL_P | SIM_FL_RW | SIM_FL_US | SIM_FL_PWT |
			     (leaf > 1 ? SIM_FL_PS | SIM_FL_PAT_LARGE : SIM_FL_PS /* PAT */);
		struct sim_pt_walker w = walker(SIM_PT_VTD_FL, levels);
		struct sim_pt_result r;
		struct hpath p;
		uint64_t root = build(&p, SIM_PT_VTD_FL, levels, iova, leaf, e);

		ck_assert_int_eq(sim_pt_walk(&w, root, iova,
					     SIM_PT_R | SIM_PT_W | SIM_PT_X | SIM_PT_U, &r), 0);
		ck_assert_uint_eq(r.oa, oa | (iova & (size - 1)));
		ck_assert_uint_eq(r.page_size, size);
		ck_assert_uint_eq(r.level, leaf);
		ck_assert_uint_eq(r.perm, ACC_ALL);
		ck_assert_uint_eq(r.reads, levels - leaf + 1);
		ck_assert_uint_eq(r.leaf_table, addr_of(p.t[leaf]));
		ck_assert_uint_eq(r.leaf_index, p.idx[leaf]);
		/* XD in the leaf: no execute */
		put(p.t[leaf], p.idx[leaf], e | SIM_FL_XD);
		ck_assert_int_eq(sim_pt_walk(&w, root, iova, SIM_PT_X, &r), -EACCES);
		ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_PERM);
		ck_assert_uint_eq(r.perm, SIM_PT_R | SIM_PT_W | SIM_PT_U);
		pages_free();
	}
}
END_TEST

/* Faults of the entry at level @l of a 4K walk: not present, reserved bits. */
static void faults_at_level(const struct sim_pt_walker *wp, enum sim_pt_format f,
			    unsigned int levels, uint64_t iova, uint64_t oa, unsigned int l)
{
	uint64_t leaf4k = f == SIM_PT_VTD_SL ? oa | SIM_SL_R : oa | SIM_FL_P;
	struct sim_pt_walker w = *wp;
	struct sim_pt_result r;
	struct hpath p;
	uint64_t root;

	/* a zero entry */
	root = build(&p, f, levels, iova, 1, leaf4k);
	put(p.t[l], p.idx[l], 0);
	ck_assert_int_eq(sim_pt_walk(&w, root, iova, 0, &r), -ENOENT);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_NOT_PRESENT);
	ck_assert_uint_eq(r.fault_level, l);
	ck_assert_uint_eq(r.reads, levels - l + 1);
	/* non-zero but not present: SL without R and W, FL without P */
	put(p.t[l], p.idx[l],
	    addr_of(p.t[2]) | (f == SIM_PT_VTD_SL ? SIM_SL_X | SIM_SL_A : SIM_FL_RW | SIM_FL_A));
	ck_assert_int_eq(sim_pt_walk(&w, root, iova, 0, &r), -ENOENT);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_NOT_PRESENT);
	ck_assert_uint_eq(r.fault_level, l);
	pages_free();

	/* an address bit above a 48-bit host address width (the tables
	 * themselves are host pointers, below 2^47) */
	root = build(&p, f, levels, iova, 1, leaf4k);
	w.oa_bits = 48;
	ck_assert_int_eq(sim_pt_walk(&w, root, iova, 0, &r), 0);
	put(p.t[l], p.idx[l], get(p.t[l], p.idx[l]) | (UINT64_C(1) << 50));
	ck_assert_int_eq(sim_pt_walk(&w, root, iova, 0, &r), -ENOENT);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_RESERVED_BIT);
	ck_assert_uint_eq(r.fault_level, l);
	/* ... which is an ordinary address bit at the full 52 (only tried
	 * in the leaf: above it the walk would follow the address) */
	w.oa_bits = 0;
	if (l == 1) {
		ck_assert_int_eq(sim_pt_walk(&w, root, iova, 0, &r), 0);
		ck_assert_uint_eq(r.oa, (oa | (UINT64_C(1) << 50)) + (iova & 0xfff));
	}
	pages_free();

	/* PS in the PML4E / PML5E */
	if (l >= 4) {
		root = build(&p, f, levels, iova, 1, leaf4k);
		put(p.t[l], p.idx[l], get(p.t[l], p.idx[l]) | SIM_SL_PS);
		ck_assert_int_eq(sim_pt_walk(&w, root, iova, 0, &r), -ENOENT);
		ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_RESERVED_BIT);
		ck_assert_uint_eq(r.fault_level, l);
		pages_free();
	}
}

/* A large leaf at level @l: the address bits below the page size are reserved. */
static void large_leaf_faults(const struct sim_pt_walker *wp, enum sim_pt_format f,
			      unsigned int levels, uint64_t iova, unsigned int l)
{
	struct sim_pt_walker w = *wp;
	struct sim_pt_result r;
	uint64_t size = sim_pt_level_size(l);
	uint64_t base = (UINT64_C(0x40) << 30) |
			(f == SIM_PT_VTD_SL ? SIM_SL_R | SIM_SL_PS : SIM_FL_P | SIM_FL_PS);
	struct hpath p;
	uint64_t root;

	root = build(&p, f, levels, iova, l, base);
	ck_assert_int_eq(sim_pt_walk(&w, root, iova, 0, &r), 0);
	ck_assert_uint_eq(r.page_size, size);
	/* bit 13: reserved in both; bit 12: reserved in SL only (PAT in FL) */
	put(p.t[l], p.idx[l], base | (UINT64_C(1) << 13));
	ck_assert_int_eq(sim_pt_walk(&w, root, iova, 0, &r), -ENOENT);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_RESERVED_BIT);
	ck_assert_uint_eq(r.fault_level, l);
	put(p.t[l], p.idx[l], base | (UINT64_C(1) << 12));
	ck_assert_int_eq(sim_pt_walk(&w, root, iova, 0, &r), f == SIM_PT_VTD_SL ? -ENOENT : 0);
	/* the highest bit below the page size */
	put(p.t[l], p.idx[l], base | (size >> 1));
	ck_assert_int_eq(sim_pt_walk(&w, root, iova, 0, &r), -ENOENT);
	ck_assert_uint_eq(r.fault_level, l);
	/* PS for a size the hardware does not support */
	put(p.t[l], p.idx[l], base);
	w.pgsize_bitmap = K4 | (l == 2 ? G1 : M2);
	ck_assert_int_eq(sim_pt_walk(&w, root, iova, 0, &r), -ENOENT);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_RESERVED_BIT);
	ck_assert_uint_eq(r.fault_level, l);
	w.pgsize_bitmap = 0;
	pages_free();
}

/* Not-present and reserved-bit faults at every level, both formats. */
START_TEST(test_walk_faults)
{
	enum sim_pt_format f = (_i & 1) ? SIM_PT_VTD_FL : SIM_PT_VTD_SL;
	unsigned int levels = (_i & 2) ? 5 : 4, l;
	uint64_t iova = test_iova(levels), oa = UINT64_C(0x12345000);
	uint64_t leaf4k = f == SIM_PT_VTD_SL ? oa | SIM_SL_R : oa | SIM_FL_P;
	struct sim_pt_walker w = walker(f, levels);
	struct sim_pt_result r;
	struct hpath p;
	uint64_t root;

	for (l = levels; l >= 1; l--)
		faults_at_level(&w, f, levels, iova, oa, l);
	for (l = 2; l <= 3; l++)
		large_leaf_faults(&w, f, levels, iova, l);

	/* an input address beyond the width */
	root = build(&p, f, levels, iova, 1, leaf4k);
	ck_assert_int_eq(sim_pt_walk(&w, root, UINT64_C(1) << sim_pt_va_bits(levels), 0, &r),
			 -ENOENT);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_ADDRESS);
	ck_assert_uint_eq(r.reads, 0);
	/* a malformed walker */
	w.levels = 3;
	ck_assert_int_eq(sim_pt_walk(&w, root, iova, 0, &r), -EINVAL);
	w.levels = levels;
	ck_assert_int_eq(sim_pt_walk(&w, root, iova, 0x80000, &r), -EINVAL);
	pages_free();
}
END_TEST

/* The permissions are the AND over the levels. */
START_TEST(test_walk_perm_and)
{
	unsigned int levels = 4, l;
	uint64_t iova = test_iova(levels);
	struct sim_pt_walker w;
	struct sim_pt_result r;
	struct hpath p;
	uint64_t root;

	/* second stage: W missing at any one level forbids writes */
	w = walker(SIM_PT_VTD_SL, levels);
	for (l = levels; l >= 1; l--) {
		root = build(&p, SIM_PT_VTD_SL, levels, iova, 1,
			     0x5000 | SIM_SL_R | SIM_SL_W | SIM_SL_X);
		ck_assert_int_eq(sim_pt_walk(&w, root, iova, SIM_PT_W | SIM_PT_X, &r), 0);
		put(p.t[l], p.idx[l], get(p.t[l], p.idx[l]) & ~SIM_SL_W);
		ck_assert_int_eq(sim_pt_walk(&w, root, iova, SIM_PT_R, &r), 0);
		ck_assert_uint_eq(r.perm & 7, SIM_PT_R | SIM_PT_X);
		ck_assert_int_eq(sim_pt_walk(&w, root, iova, SIM_PT_W, &r), -EACCES);
		ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_PERM);
		ck_assert_uint_eq(r.fault_level, 1);
		ck_assert_uint_eq(r.oa, 0x5000 | (iova & 0xfff)); /* still described */
		/* R missing (entry still present through W) */
		put(p.t[l], p.idx[l], (get(p.t[l], p.idx[l]) | SIM_SL_W) & ~SIM_SL_R);
		ck_assert_int_eq(sim_pt_walk(&w, root, iova, SIM_PT_R, &r), -EACCES);
		ck_assert_int_eq(sim_pt_walk(&w, root, iova, SIM_PT_W, &r), 0);
		/* X missing */
		put(p.t[l], p.idx[l], get(p.t[l], p.idx[l]) | SIM_SL_R);
		put(p.t[l], p.idx[l], get(p.t[l], p.idx[l]) & ~SIM_SL_X);
		ck_assert_int_eq(sim_pt_walk(&w, root, iova, SIM_PT_X, &r), -EACCES);
		/* the second stage has no user/supervisor distinction */
		ck_assert_int_eq(sim_pt_walk(&w, root, iova, SIM_PT_R | SIM_PT_U, &r), 0);
		pages_free();
	}

	/* first stage: R/W, U/S ANDed, XD ORed */
	w = walker(SIM_PT_VTD_FL, levels);
	for (l = levels; l >= 1; l--) {
		root = build(&p, SIM_PT_VTD_FL, levels, iova, 1,
			     0x5000 | SIM_FL_P | SIM_FL_RW | SIM_FL_US);
		ck_assert_int_eq(sim_pt_walk(&w, root, iova, ACC_ALL, &r), 0);
		put(p.t[l], p.idx[l], get(p.t[l], p.idx[l]) & ~SIM_FL_RW);
		ck_assert_int_eq(sim_pt_walk(&w, root, iova, SIM_PT_W, &r), -EACCES);
		ck_assert_int_eq(sim_pt_walk(&w, root, iova, SIM_PT_R | SIM_PT_U | SIM_PT_X, &r), 0);
		ck_assert_uint_eq(r.perm, SIM_PT_R | SIM_PT_U | SIM_PT_X);
		put(p.t[l], p.idx[l], (get(p.t[l], p.idx[l]) | SIM_FL_RW) & ~SIM_FL_US);
		ck_assert_int_eq(sim_pt_walk(&w, root, iova, SIM_PT_R | SIM_PT_U, &r), -EACCES);
		/* a supervisor request does not need U/S */
		ck_assert_int_eq(sim_pt_walk(&w, root, iova, SIM_PT_R | SIM_PT_W, &r), 0);
		put(p.t[l], p.idx[l], get(p.t[l], p.idx[l]) | SIM_FL_US | SIM_FL_XD);
		ck_assert_int_eq(sim_pt_walk(&w, root, iova, SIM_PT_X, &r), -EACCES);
		ck_assert_int_eq(sim_pt_walk(&w, root, iova, SIM_PT_W | SIM_PT_U, &r), 0);
		pages_free();
	}
}
END_TEST

/*
 * A supervisor write with WPE clear ignores R/W but is still a write (D);
 * EAFE's extended-accessed bit goes with A, also where only A was set.
 */
START_TEST(test_walk_no_wp_and_ea)
{
	unsigned int levels = 4, l;
	uint64_t iova = test_iova(levels);
	struct sim_pt_walker w = walker(SIM_PT_VTD_FL, levels);
	struct sim_pt_result r;
	struct hpath p;
	uint64_t root = build(&p, SIM_PT_VTD_FL, levels, iova, 1, 0x5000 | SIM_FL_P | SIM_FL_US);

	/* read-only at the leaf: a write is refused unless R/W is not checked */
	ck_assert_int_eq(sim_pt_walk(&w, root, iova, SIM_PT_W | SIM_PT_WALK_SET_AD, &r), -EACCES);
	ck_assert_uint_eq(get(p.t[1], p.idx[1]) & (SIM_FL_A | SIM_FL_D), 0);
	ck_assert_int_eq(sim_pt_walk(&w, root, iova,
				     SIM_PT_W | SIM_PT_WALK_NO_WP | SIM_PT_WALK_SET_AD, &r),
			 0);
	ck_assert_uint_eq(r.perm & SIM_PT_W, 0); /* what the tables grant, unchanged */
	ck_assert_uint_eq(get(p.t[1], p.idx[1]) & (SIM_FL_A | SIM_FL_D), SIM_FL_A | SIM_FL_D);
	/* without EAFE, EA (bit 10) is the software's */
	for (l = levels; l >= 1; l--)
		ck_assert_uint_eq(get(p.t[l], p.idx[l]) & SIM_FL_EA, 0);
	/* with it, EA joins A everywhere, though A is set already */
	ck_assert_int_eq(sim_pt_walk(&w, root, iova,
				     SIM_PT_R | SIM_PT_WALK_SET_AD | SIM_PT_WALK_SET_EA, &r),
			 0);
	for (l = levels; l >= 1; l--)
		ck_assert_uint_eq(get(p.t[l], p.idx[l]) & (SIM_FL_A | SIM_FL_EA),
				  SIM_FL_A | SIM_FL_EA);
	/* NO_WP does not help a user-mode request that lacks U/S */
	put(p.t[2], p.idx[2], get(p.t[2], p.idx[2]) & ~SIM_FL_US);
	ck_assert_int_eq(sim_pt_walk(&w, root, iova, SIM_PT_W | SIM_PT_U | SIM_PT_WALK_NO_WP, &r),
			 -EACCES);
	ck_assert_int_eq(sim_pt_walk(&w, root, iova, 0x800, &r), -EINVAL);
	pages_free();
}
END_TEST

/* ---- walks through a callback: a nested stage-1 table in "guest memory" ---- */

#define GUEST_SIZE (64 * 4096)

struct nest {
	uint8_t *ram;             /* guest RAM, host side */
	struct sim_pt *s2;        /* GPA -> host address */
	struct sim_pt_walker s2w;
	unsigned int reads, fail_at;
};

/* Translate a guest-physical table address through stage 2. */
static int s2_addr(struct nest *n, uint64_t gpa, unsigned int acc, uint64_t *hva)
{
	struct sim_pt_result r;
	int ret = sim_pt_walk(&n->s2w, sim_pt_root(n->s2), gpa, acc, &r);

	if (ret)
		return ret;
	*hva = r.oa;
	return 0;
}

static int nest_read(void *opaque, uint64_t table, unsigned int index, uint64_t *entry)
{
	struct nest *n = opaque;
	uint64_t hva;
	int ret;

	if (++n->reads == n->fail_at)
		return -EFAULT;
	ret = s2_addr(n, table + index * 8, SIM_PT_R, &hva);
	if (ret)
		return ret;
	*entry = get((const uint64_t *)(uintptr_t)hva, 0);
	return 0;
}

static int nest_set_bits(void *opaque, uint64_t table, unsigned int index, uint64_t bits)
{
	struct nest *n = opaque;
	uint64_t hva;
	int ret = s2_addr(n, table + index * 8, SIM_PT_W, &hva);

	if (ret)
		return ret;
	__atomic_fetch_or((uint64_t *)(uintptr_t)hva, bits, __ATOMIC_RELAXED);
	return 0;
}

static void gput(struct nest *n, uint64_t gpa_table, unsigned int idx, uint64_t v)
{
	put((uint64_t *)(void *)(n->ram + gpa_table), idx, v);
}

START_TEST(test_walk_nested)
{
	const uint64_t gbase = 0x80000000; /* guest RAM at GPA 2 GiB */
	struct nest n = { 0 };
	struct sim_pt_walker w = walker(SIM_PT_VTD_FL, 4);
	struct sim_pt_result r;
	uint64_t iova = test_iova(4), s1[5], data_gpa = gbase + 40 * 4096;
	unsigned int l;
	void *ram;

	ck_assert_int_eq(posix_memalign(&ram, 4096, GUEST_SIZE), 0);
	memset(ram, 0, GUEST_SIZE);
	n.ram = ram;
	n.s2 = sim_pt_new(SIM_PT_VTD_SL, 4, ALLSZ);
	ck_assert_ptr_nonnull(n.s2);
	ck_assert_int_eq(sim_pt_map(n.s2, gbase, addr_of(ram), GUEST_SIZE, SIM_PT_R | SIM_PT_W), 0);
	sim_pt_walker_init(&n.s2w, n.s2);
	/* stage-1 tables at guest pages 1..4 (table addresses are GPAs) */
	for (l = 4; l >= 1; l--)
		s1[l] = gbase + (5 - l) * 4096;
	for (l = 4; l > 1; l--)
		gput(&n, s1[l] - gbase, idx_of(iova, l), s1[l - 1] | nonleaf_bits(SIM_PT_VTD_FL));
	gput(&n, s1[1] - gbase, idx_of(iova, 1), data_gpa | SIM_FL_P | SIM_FL_RW | SIM_FL_US);

	w.read_entry = nest_read;
	w.set_bits = nest_set_bits;
	w.opaque = &n;
	ck_assert_int_eq(sim_pt_walk(&w, s1[4], iova, SIM_PT_R | SIM_PT_U, &r), 0);
	ck_assert_uint_eq(r.oa, data_gpa | (iova & 0xfff));
	ck_assert_uint_eq(r.reads, 4);
	ck_assert_uint_eq(n.reads, 4);
	ck_assert_uint_eq(r.leaf_table, s1[1]);
	/* A/D go through the callback into guest memory */
	ck_assert_int_eq(sim_pt_walk(&w, s1[4], iova, SIM_PT_W | SIM_PT_WALK_SET_AD, &r), 0);
	for (l = 4; l >= 1; l--) {
		uint64_t e = get((const uint64_t *)(void *)(n.ram + s1[l] - gbase), idx_of(iova, l));

		ck_assert(e & SIM_FL_A);
		ck_assert(!(e & SIM_FL_D) == (l != 1));
	}
	/* a callback error ends the walk with that error */
	n.reads = 0;
	n.fail_at = 3;
	ck_assert_int_eq(sim_pt_walk(&w, s1[4], iova, 0, &r), -EFAULT);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_READ);
	ck_assert_uint_eq(r.fault_level, 2);
	n.fail_at = 0;
	/* a table outside guest RAM: stage 2 faults, reported as a read fault */
	gput(&n, s1[2] - gbase, idx_of(iova, 2), (gbase + GUEST_SIZE) | nonleaf_bits(SIM_PT_VTD_FL));
	ck_assert_int_eq(sim_pt_walk(&w, s1[4], iova, 0, &r), -ENOENT);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_READ);
	ck_assert_uint_eq(r.fault_level, 1);
	/* SET_AD through a callback needs set_bits */
	w.set_bits = NULL;
	ck_assert_int_eq(sim_pt_walk(&w, s1[4], iova, SIM_PT_WALK_SET_AD, &r), -EINVAL);
	sim_pt_free(n.s2);
	free(ram);
}
END_TEST

/* sim_pt_walk_from, fed from an earlier result's path (a paging-structure cache). */
START_TEST(test_walk_from)
{
	struct sim_pt *pt = sim_pt_new(SIM_PT_VTD_SL, 5, ALLSZ);
	struct sim_pt_walker w;
	struct sim_pt_result r, r2;
	uint64_t va = test_iova(5) & ~UINT64_C(0xfff);
	unsigned int l;

	ck_assert_int_eq(sim_pt_map(pt, va, 0x99000, K4, SIM_PT_R), 0);
	sim_pt_walker_init(&w, pt);
	ck_assert_int_eq(sim_pt_walk(&w, sim_pt_root(pt), va + 8, SIM_PT_R, &r), 0);
	ck_assert_uint_eq(r.reads, 5);
	for (l = 1; l <= 5; l++) {
		ck_assert_int_eq(sim_pt_walk_from(&w, r.path[l].table, l, r.path[l].perm, va + 8,
						  SIM_PT_R, &r2), 0);
		ck_assert_uint_eq(r2.oa, 0x99008);
		ck_assert_uint_eq(r2.reads, l);
		ck_assert_uint_eq(r2.perm, r.perm);
	}
	/* the permissions carried in are ANDed too */
	ck_assert_int_eq(sim_pt_walk_from(&w, r.path[1].table, 1, SIM_PT_W, va, SIM_PT_R, &r2),
			 -EACCES);
	ck_assert_int_eq(sim_pt_walk_from(&w, r.path[1].table, 6, ACC_ALL, va, 0, &r2), -EINVAL);
	sim_pt_free(pt);
}
END_TEST
Suite *pgtable_suite(void)
{
	Suite *s = suite_create("pgtable");
	TCase *tc = tcase_create("walk");

	tcase_add_loop_test(tc, test_walk_sl_handbuilt, 0, 2);
	tcase_add_loop_test(tc, test_walk_fl_handbuilt, 0, 2);
	tcase_add_loop_test(tc, test_walk_faults, 0, 4);
	tcase_add_test(tc, test_walk_perm_and);
	tcase_add_test(tc, test_walk_no_wp_and_ea);
	tcase_add_test(tc, test_walk_nested);
	tcase_add_test(tc, test_walk_from);
	suite_add_tcase(s, tc);
	return s;
}
