/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the simulator's page tables (lib/backend/sim/pgtable.c).
 *
 * Walks are checked against tables built here byte by byte in 4 KiB-aligned
 * pages, so the walker can only pass by reading the VT-d entry format; the
 * tables sim_pt builds are checked by reading their raw bytes back the same
 * way (dump_pt), which is also how "nothing changed" is proved after each
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
#include "suites.h"

Suite *pgtable_suite(void);

/*
 * ck_assert records its location with the runner on every call, success
 * included; the loops below check thousands of things, so they only pay
 * for a failure.
 */
#define expect(cond, ...)                           \
	do {                                        \
		if (!(cond))                        \
			ck_abort_msg(__VA_ARGS__);  \
	} while (0)

#define K4 SIM_PT_SZ_4K
#define M2 SIM_PT_SZ_2M
#define G1 SIM_PT_SZ_1G
#define ALLSZ (K4 | M2 | G1)
#define ACC_ALL (SIM_PT_R | SIM_PT_W | SIM_PT_X | SIM_PT_U)

/* ---- hand-built tables ---- */

#define MAX_PAGES 256
static void *pages[MAX_PAGES];
static int nr_pages;

static uint64_t *page(void)
{
	void *p = NULL;

	ck_assert_int_lt(nr_pages, MAX_PAGES);
	ck_assert_int_eq(posix_memalign(&p, 4096, 4096), 0);
	memset(p, 0, 4096);
	pages[nr_pages++] = p;
	return p;
}

static void pages_free(void)
{
	while (nr_pages)
		free(pages[--nr_pages]);
}

static uint64_t addr_of(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* Entries are written and read a byte at a time, little-endian. */
static void put(uint64_t *tbl, unsigned int idx, uint64_t v)
{
	uint8_t *b = (uint8_t *)tbl + idx * 8;
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get(const uint64_t *tbl, unsigned int idx)
{
	const uint8_t *b = (const uint8_t *)tbl + idx * 8;
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static unsigned int idx_of(uint64_t va, unsigned int level)
{
	return (unsigned int)(va >> (12 + 9 * (level - 1))) & 511;
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
			dump_rec(d, (const uint64_t *)(uintptr_t)(e & SIM_PT_ADDR_MASK),
				 level - 1, va);
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
		      "%zu->%zu tables)", what, nth, before->n, d_after.n, before->tables,
		      d_after.tables);
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

static void check_walk(const struct sim_pt *pt, uint64_t va, uint64_t want_oa,
		       uint64_t want_size)
{
	struct sim_pt_walker w;
	struct sim_pt_result r;
	int ret;

	sim_pt_walker_init(&w, pt);
	ret = sim_pt_walk(&w, sim_pt_root(pt), va, 0, &r);
	expect(ret == 0, "walk %#llx: %d reason %d level %u", (unsigned long long)va,
		      ret, r.fault_reason, r.fault_level);
	expect(r.oa == want_oa, "walk %#llx: oa %#llx want %#llx",
		      (unsigned long long)va, (unsigned long long)r.oa,
		      (unsigned long long)want_oa);
	expect(r.page_size == want_size, "walk %#llx: size %#llx want %#llx",
		      (unsigned long long)va, (unsigned long long)r.page_size,
		      (unsigned long long)want_size);
}

static void check_unmapped(const struct sim_pt *pt, uint64_t va)
{
	struct sim_pt_walker w;
	struct sim_pt_result r;

	sim_pt_walker_init(&w, pt);
	expect(sim_pt_walk(&w, sim_pt_root(pt), va, 0, &r) == -ENOENT &&
	       r.fault_reason == SIM_PT_FAULT_NOT_PRESENT, "%#llx is mapped",
	       (unsigned long long)va);
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

	for (l = levels; l >= 1; l--) {
		/* a zero entry */
		root = build(&p, f, levels, iova, 1, leaf4k);
		put(p.t[l], p.idx[l], 0);
		ck_assert_int_eq(sim_pt_walk(&w, root, iova, 0, &r), -ENOENT);
		ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_NOT_PRESENT);
		ck_assert_uint_eq(r.fault_level, l);
		ck_assert_uint_eq(r.reads, levels - l + 1);
		/* non-zero but not present: SL without R and W, FL without P */
		put(p.t[l], p.idx[l], addr_of(p.t[2]) |
			(f == SIM_PT_VTD_SL ? SIM_SL_X | SIM_SL_A : SIM_FL_RW | SIM_FL_A));
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

	/* large leaves: the address bits below the page size are reserved */
	for (l = 2; l <= 3; l++) {
		uint64_t size = sim_pt_level_size(l);
		uint64_t base = (UINT64_C(0x40) << 30) | (f == SIM_PT_VTD_SL ? SIM_SL_R | SIM_SL_PS
									    : SIM_FL_P | SIM_FL_PS);

		root = build(&p, f, levels, iova, l, base);
		ck_assert_int_eq(sim_pt_walk(&w, root, iova, 0, &r), 0);
		ck_assert_uint_eq(r.page_size, size);
		/* bit 13: reserved in both; bit 12: reserved in SL only (PAT in FL) */
		put(p.t[l], p.idx[l], base | (UINT64_C(1) << 13));
		ck_assert_int_eq(sim_pt_walk(&w, root, iova, 0, &r), -ENOENT);
		ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_RESERVED_BIT);
		ck_assert_uint_eq(r.fault_level, l);
		put(p.t[l], p.idx[l], base | (UINT64_C(1) << 12));
		ck_assert_int_eq(sim_pt_walk(&w, root, iova, 0, &r),
				 f == SIM_PT_VTD_SL ? -ENOENT : 0);
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
				    SIM_PT_W), 0);
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
	ck_assert_int_eq(sim_pt_map(pt, G1, G1, G1, SIM_PT_R), 0);          /* 1G leaf */
	ck_assert_int_eq(sim_pt_map(pt, 4 * G1 + M2, 0, K4, SIM_PT_R), 0);  /* 4K in a PT */
	dump_pt(pt, &d_before);
	ck_assert_int_eq(sim_pt_map(pt, 0, 0, K4, SIM_PT_R), -EEXIST);
	ck_assert_int_eq(sim_pt_map(pt, G1 + M2, 0, K4, SIM_PT_R), -EEXIST);  /* 4K in a 1G */
	ck_assert_int_eq(sim_pt_map(pt, G1, G1, M2, SIM_PT_R), -EEXIST);      /* 2M in a 1G */
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

START_TEST(test_unmap_split)
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

	/* first stage: a large leaf's PAT (bit 12) becomes bit 7 in 4K leaves */
	pt = sim_pt_new(SIM_PT_VTD_FL, 4, ALLSZ);
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
#define FAIL_EACH(pt, what, op)                                                  \
	({                                                                       \
		unsigned long __n;                                               \
		int __fails = 0;                                                 \
		for (__n = 1;; __n++) {                                          \
			int __r;                                                 \
			dump_pt(pt, &d_before);                                  \
			ioasid_alloc_fail_nth(__n);                              \
			__r = (op);                                              \
			ioasid_alloc_fail_nth(0);                                \
			if (!ioasid_alloc_failed()) {                            \
				ck_assert_msg(__r == 0, "%s: %d", what, __r);    \
				break;                                           \
			}                                                        \
			ck_assert_msg(__r == -ENOMEM, "%s: nth %lu gave %d",     \
				      what, __n, __r);                           \
			dump_same(pt, &d_before, what, __n);                     \
			__fails++;                                               \
		}                                                                \
		__fails;                                                         \
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
	fails = FAIL_EACH(pt, "map", sim_pt_map(pt, b - M2 - 2 * K4, 4 * G1 - M2 - 2 * K4,
						 2 * K4 + M2 + G1 + M2 + K4, SIM_PT_R));
	ck_assert_int_eq(fails, 5);
	check_walk(pt, b - 1, 4 * G1 - 1, M2);
	check_walk(pt, b + G1 - 1, 4 * G1 + G1 - 1, G1);
	check_walk(pt, b + G1 + M2, 4 * G1 + G1 + M2, K4);
	check_walk(pt, b - M2 - 2 * K4, 4 * G1 - M2 - 2 * K4, K4);

	/* unmap with both edges inside 1G leaves: two splits at each edge */
	fails = FAIL_EACH(pt, "unmap", sim_pt_unmap(pt, G1 + M2 + K4,
						   b + M2 + K4 - (G1 + M2 + K4), &done));
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

START_TEST(test_dirty)
{
	enum sim_pt_format f = _i ? SIM_PT_VTD_FL : SIM_PT_VTD_SL;
	const uint64_t a = f == SIM_PT_VTD_SL ? SIM_SL_A : SIM_FL_A;
	const uint64_t d = f == SIM_PT_VTD_SL ? SIM_SL_D : SIM_FL_D;
	struct sim_pt *pt = sim_pt_new(f, 4, ALLSZ);
	static uint64_t bm[G1 / K4 / 64];
	const uint64_t *t;
	unsigned int level, l, i;
	uint64_t e;

	ck_assert_int_eq(sim_pt_map(pt, 0x10000, 0x50000000, 16 * K4, SIM_PT_R | SIM_PT_W), 0);
	ck_assert_int_eq(sim_pt_map(pt, M2, 0x40000000, M2, SIM_PT_R | SIM_PT_W), 0);
	ck_assert_int_eq(sim_pt_map(pt, G1, 2 * G1, G1, SIM_PT_R | SIM_PT_W), 0);

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
					     SIM_PT_W | SIM_PT_WALK_SET_AD, &r), -EACCES);
		ck_assert(!(raw_leaf(pt, 0x16000, &level) & (a | d)));
	}

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

Suite *pgtable_suite(void)
{
	Suite *s = suite_create("pgtable");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_walk_sl_handbuilt, 0, 2);
	tcase_add_loop_test(tc, test_walk_fl_handbuilt, 0, 2);
	tcase_add_loop_test(tc, test_walk_faults, 0, 4);
	tcase_add_test(tc, test_walk_perm_and);
	tcase_add_test(tc, test_walk_nested);
	tcase_add_test(tc, test_walk_from);
	tcase_add_test(tc, test_map_largest);
	tcase_add_test(tc, test_map_errors);
	tcase_add_test(tc, test_unmap_split);
	tcase_add_test(tc, test_unmap_frees_tables);
	tcase_add_test(tc, test_alloc_fail);
	tcase_add_loop_test(tc, test_dirty, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
