/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of lib/util/iova-tree.c, randomized: long runs that compare
 * every answer of the tree with the reference model of iova-tree-model.h.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/iova-tree.h"
#include "iova-tree-model.h"
#include "suites.h"

/* ---- randomized differential test ---- */

/*
 * Granularity of the random addresses and lengths: bytes, or pages, which
 * is what exercises the alignment capacities the tree keeps.
 */
static unsigned rnd_shift;

/* Addresses cluster near 0, the middle and UINT64_MAX to hit every edge. */
static uint64_t rnd_addr(void)
{
	uint64_t off = rnd_below(1 << 16) << rnd_shift;

	switch (rnd_below(4)) {
	case 0:
		return off;
	case 1:
		return UINT64_MAX - off;
	default:
		return (1ULL << 40) + off;
	}
}

static uint64_t rnd_len(void)
{
	switch (rnd_below(8)) {
	case 0:
		return 1ULL << rnd_shift;
	case 1:
		return (1 + rnd_below(1 << 12)) << rnd_shift;
	case 2:
		return 1ULL << rnd_below(64);
	default:
		return (1 + rnd_below(64)) << rnd_shift;
	}
}

static void rnd_hole_args(struct hole_args *q)
{
	q->lo = rnd_below(4) ? rnd_addr() : 0;
	q->hi = rnd_below(4) ? rnd_addr() : UINT64_MAX;
	if (rnd_below(8) && q->lo > q->hi) {
		uint64_t tmp = q->lo;

		q->lo = q->hi;
		q->hi = tmp;
	}
	q->length = rnd_len();
	q->align = 1ULL << (rnd_below(3) ? rnd_shift + rnd_below(10) : rnd_below(64));
	q->offset = rnd_below(2) ? 0 : rnd_below(q->align);
}

/* Compare one query; return the tree's answer (*got set when 0). */
static int check_hole(struct iova_tree *t, const struct model *m, const struct hole_args *q,
		      uint64_t *got)
{
	uint64_t want = 0;
	int rt = iova_tree_find_hole(t, q->lo, q->hi, q->length, q->align, q->offset, got);
	int rm = model_find_hole(m, q, &want);

	T_INT_EQ(rt, rm);
	if (!rt)
		T_UINT_EQ(*got, want);
	return rt;
}

/* One random insert, sometimes of an inverted or wrapping range. */
static void random_insert(struct iova_tree *t, struct model *m, unsigned op)
{
	uint64_t iova = rnd_addr(), len = rnd_len();
	struct iova_area a;

	/* Clamp at UINT64_MAX; sometimes make last < iova. */
	a = mk(iova, len - 1 > UINT64_MAX - iova ? UINT64_MAX : iova + len - 1);
	if (!rnd_below(200))
		a.last = iova - 1;
	a.cookie = op;
	T_INT_EQ(iova_tree_insert(t, &a), model_insert(m, &a));
}

/* One remove, mostly of an area that is there. */
static void random_remove(struct iova_tree *t, struct model *m)
{
	struct iova_area got, want;
	uint64_t iova;
	int rt;

	if (m->n && rnd_below(8))
		iova = m->a[rnd_below(m->n)].iova;
	else
		iova = rnd_addr();
	rt = iova_tree_remove(t, iova, &got);
	T_INT_EQ(rt, model_remove(m, iova, &want));
	if (!rt)
		T_TRUE(area_eq(&got, &want));
}

/* One point lookup, often at an area's last byte. */
static void random_find(struct iova_tree *t, struct model *m)
{
	uint64_t x = rnd_below(2) || !m->n ? rnd_addr() : m->a[rnd_below(m->n)].last;
	const struct iova_area *w = model_first_in(m, x, x);
	const struct iova_area *g = iova_tree_find(t, x);

	if (w)
		T_TRUE(g && area_eq(g, w));
	else
		T_NULL(g);
}

/* One range lookup and a short walk on from it; false if it found nothing. */
static bool random_first_in_walk(struct iova_tree *t, struct model *m)
{
	uint64_t f = rnd_addr(), l = rnd_addr();
	const struct iova_area *w = model_first_in(m, f, l);
	const struct iova_area *g = iova_tree_first_in(t, f, l);
	unsigned k;

	if (!w) {
		T_NULL(g);
		return false;
	}
	T_TRUE(g && area_eq(g, w));
	/* A short walk with next(). */
	for (k = 0; k < 40 && g; k++) {
		w = w + 1 < m->a + m->n ? w + 1 : NULL;
		g = iova_tree_next(t, g);
		if (w)
			T_TRUE(g && area_eq(g, w));
		else
			T_NULL(g);
	}
	return true;
}

/* One hole search, and half the time an allocation there. */
static void random_hole(struct iova_tree *t, struct model *m)
{
	struct hole_args q;
	uint64_t x;

	rnd_hole_args(&q);
	/* Allocate there, as the ioas code does. */
	if (!check_hole(t, m, &q, &x) && rnd_below(2)) {
		struct iova_area a = mk(x, x + q.length - 1);
		uint64_t tmp;

		T_UINT_GE(x, q.lo);
		T_UINT_LE(x + q.length - 1, q.hi);
		T_TRUE(!__builtin_add_overflow(x, q.length - 1, &tmp));
		T_INT_EQ(iova_tree_insert(t, &a), 0);
		T_INT_EQ(model_insert(m, &a), 0);
	}
}

/*
 * @ops random operations on a tree and on the model side by side (compared
 * every 512), keeping at most about @max_live areas, then everything
 * removed in random order.
 */
static void run_random(uint64_t seed, unsigned ops, size_t max_live, unsigned shift)
{
	struct iova_tree *t = iova_tree_new();
	size_t empty = iova_tree_heap_bytes(t);
	struct model m = { 0 };
	unsigned op;

	rng_state = seed;
	rnd_shift = shift;
	for (op = 0; op < ops; op++) {
		unsigned r = rnd_below(100);
		bool shrink = m.n > max_live;

		if (!shrink && r < 35) {
			random_insert(t, &m, op);
		} else if (shrink || r < 65) {
			random_remove(t, &m);
		} else if (r < 75) {
			random_find(t, &m);
		} else if (r < 82) {
			if (!random_first_in_walk(t, &m))
				continue;
		} else {
			random_hole(t, &m);
		}
		if (op % 512 == 0)
			assert_same(t, &m);
	}
	assert_same(t, &m);
	while (m.n) {
		uint64_t iova = m.a[rnd_below(m.n)].iova;

		T_INT_EQ(iova_tree_remove(t, iova, NULL), 0);
		T_INT_EQ(model_remove(&m, iova, NULL), 0);
		if (m.n % 256 == 0)
			assert_same(t, &m);
	}
	T_UINT_EQ(iova_tree_heap_bytes(t), empty);
	free(m.a);
	iova_tree_free(t);
}

START_TEST(test_random_small)
{
	/* Few live areas: leaf-only and two-level trees, many edge hits. */
	run_random(0x9e3779b97f4a7c15ULL, 30000, 40, 0);
}
END_TEST

START_TEST(test_random_large)
{
	run_random(0xd1b54a32d192ed03ULL, 40000, 3000, 0);
}
END_TEST

START_TEST(test_random_pages)
{
	run_random(0x2545f4914f6cdd1dULL, 40000, 3000, 12);
}
END_TEST

/*
 * Dense, page-granular allocations (the ioas workload): find_hole with
 * the kernel's alignment rule, inserts and random frees.
 */
START_TEST(test_random_alloc)
{
	struct iova_tree *t = iova_tree_new();
	struct model m = { 0 };
	unsigned op;

	rng_state = 42;
	for (op = 0; op < 20000; op++) {
		if (m.n < 2500 && rnd_below(3)) {
			struct hole_args q;
			uint64_t x, pages = 1 + rnd_below(rnd_below(4) ? 4 : 64);

			q.lo = 0x1000;
			q.hi = rnd_below(4) ? UINT64_MAX - 0xfff : 1ULL << 26;
			q.length = pages << 12;
			q.align = 0x1000;
			while (q.align < q.length && q.align < (2ULL << 20))
				q.align <<= 1;
			q.offset = rnd_below(4) ? 0 : 0x123;
			if (!check_hole(t, &m, &q, &x)) {
				struct iova_area a = mk(x, x + q.length - 1);

				T_INT_EQ(iova_tree_insert(t, &a), 0);
				T_INT_EQ(model_insert(&m, &a), 0);
			}
		} else if (m.n) {
			uint64_t iova = m.a[rnd_below(m.n)].iova;

			T_INT_EQ(iova_tree_remove(t, iova, NULL), 0);
			T_INT_EQ(model_remove(&m, iova, NULL), 0);
		}
		if (op % 1024 == 0)
			assert_same(t, &m);
	}
	assert_same(t, &m);
	free(m.a);
	iova_tree_free(t);
}
END_TEST
/*
 * Long runs of automatic allocations with the same few keys and nothing
 * removed (where find_hole() starts from the end of the last area it chose
 * for that key, struct lowfit), broken by allocations at another length
 * or window, by inserts the search did not choose, by an insert at a
 * different place than the answer, and every so often by a remove, which
 * must drop what was remembered. Every answer is compared with the model.
 */
START_TEST(test_random_lowfit_runs)
{
	struct iova_tree *t = iova_tree_new();
	struct model m = { 0 };
	unsigned op;

	rng_state = 99;
	/* a fragmented start: 4 KiB areas every 8 KiB with random gaps */
	for (op = 0; op < 3000; op++) {
		struct iova_area a = mk(0x100000 + op * 0x2000ULL,
					0x100000 + op * 0x2000ULL + 0xfff);

		if (rnd_below(4)) {
			T_INT_EQ(iova_tree_insert(t, &a), 0);
			T_INT_EQ(model_insert(&m, &a), 0);
		}
	}
	for (op = 0; op < 30000; op++) {
		unsigned kind = rnd_below(100);

		if (kind < 85 || !m.n) {
			struct hole_args q;
			uint64_t x, pages = 1 + rnd_below(rnd_below(8) ? 4 : 16);

			q.lo = rnd_below(8) ? 0x1000 : 0x100000 + rnd_below(64) * 0x1000;
			q.hi = rnd_below(6) ? UINT64_MAX - 0xfff : 0x100000 + 0x2000 * 3000;
			q.length = pages << 12;
			q.align = 0x1000;
			while (q.align < q.length && q.align < (2ULL << 20))
				q.align <<= 1;
			q.offset = rnd_below(8) ? 0 : (rnd_below(2) ? 0x123 : q.align + 0x1000);
			if (!check_hole(t, &m, &q, &x)) {
				/* sometimes a shorter area than asked, or none */
				uint64_t last = x + (rnd_below(8) ? q.length : 0x1000) - 1;
				struct iova_area a = mk(x, last);

				if (rnd_below(16)) {
					T_INT_EQ(iova_tree_insert(t, &a), 0);
					T_INT_EQ(model_insert(&m, &a), 0);
				}
			}
		} else if (kind < 95) {
			/* an insert nobody searched for, where it fits */
			uint64_t iova = 0x1000 * (1 + rnd_below(0x8000));
			struct iova_area a = mk(iova, iova + 0xfff);
			int rm = model_insert(&m, &a);

			T_INT_EQ(iova_tree_insert(t, &a), rm);
		} else {
			uint64_t iova = m.a[rnd_below(m.n)].iova;

			T_INT_EQ(iova_tree_remove(t, iova, NULL), 0);
			T_INT_EQ(model_remove(&m, iova, NULL), 0);
		}
		if (op % 2048 == 0)
			assert_same(t, &m);
	}
	assert_same(t, &m);
	free(m.a);
	iova_tree_free(t);
}
END_TEST
/*
 * The benchmark's churn: 4 KiB areas every 8 KiB, half of them unmapped
 * and mapped back at fixed IOVAs in random order, which leaves loose
 * summaries (upper bounds) behind. Every find_hole() answer must still be
 * the model's, for every alignment row and many lengths, and the searches
 * that tighten summaries must leave the tree valid; an insert right after
 * a search (the remembered hole) must agree with the model too, also at
 * another length or after something else changed the tree.
 */
START_TEST(test_random_churn_loose)
{
	const uint64_t base = 0x100000, stride = 0x2000, n = 6000;
	struct iova_tree *t = iova_tree_new();
	struct model m = { 0 };
	bool saw_loose = false;
	unsigned round, k;
	uint64_t i;

	rng_state = 7;
	for (i = 0; i < n; i++) {
		struct iova_area a = mk(base + i * stride, base + i * stride + 0xfff);

		T_INT_EQ(iova_tree_insert(t, &a), 0);
		T_INT_EQ(model_insert(&m, &a), 0);
	}
	for (round = 0; round < 40; round++) {
		/* churn: unmaps and fixed maps back at random live slots */
		for (k = 0; k < 3000; k++) {
			uint64_t iova = base + rnd_below(n) * stride;
			struct iova_area a = mk(iova, iova + 0xfff), old;

			/* (an area allocated below may start there, of another size) */
			if (model_remove(&m, iova, &old) == 0)
				T_INT_EQ(iova_tree_remove_exact(t, iova, old.last, NULL), 0);
			else if (rnd_below(2))
				T_INT_EQ(iova_tree_insert(t, &a), model_insert(&m, &a));
		}
		T_TRUE(iova_tree_check(t));
		saw_loose |= iova_tree_loose_nodes(t) > 0;
		/* searches for every alignment row: the answers are the model's */
		for (k = 0; k < 60; k++) {
			struct hole_args q = {
				.lo = rnd_below(2) ? 0x1000 : base + rnd_below(n) * stride,
				.hi = rnd_below(4) ? UINT64_MAX - 0xfff : base + n * stride,
				.length = (1 + rnd_below(rnd_below(3) ? 8 : 600)) << 12,
				.align = 1ULL << (k % 3 ? 12 + rnd_below(10) : rnd_below(23)),
				.offset = 0,
			};
			uint64_t x, want;
			int rt = hole(t, q.lo, q.hi, q.length, q.align, q.offset, &x);

			T_INT_EQ(rt, model_find_hole(&m, &q, &want));
			if (rt)
				continue;
			T_UINT_EQ(x, want);
			if (rnd_below(3) == 0) {
				/* allocate there: through the remembered hole */
				struct iova_area a = mk(x, x + q.length - 1);

				T_INT_EQ(iova_tree_insert(t, &a), 0);
				T_INT_EQ(model_insert(&m, &a), 0);
			} else if (rnd_below(2) == 0) {
				/* the same IOVA, longer: may not fit any more */
				struct iova_area a = mk(x, x + q.length * 64 - 1);
				int rm = model_insert(&m, &a);

				T_INT_EQ(iova_tree_insert(t, &a), rm);
			} else if (m.n) {
				/* something else changes the tree first */
				uint64_t iova = m.a[rnd_below(m.n)].iova;
				struct iova_area a = mk(x, x + q.length - 1);

				T_INT_EQ(iova_tree_remove(t, iova, NULL), 0);
				T_INT_EQ(model_remove(&m, iova, NULL), 0);
				T_INT_EQ(iova_tree_insert(t, &a), model_insert(&m, &a));
			}
		}
		assert_same(t, &m);
	}
	T_TRUE(saw_loose);
	free(m.a);
	iova_tree_free(t);
}
END_TEST

Suite *iova_tree_random_suite(void)
{
	Suite *s = suite_create("iova_tree_random");
	TCase *tc = tcase_create("random");

	tcase_add_test(tc, test_random_small);
	tcase_add_test(tc, test_random_large);
	tcase_add_test(tc, test_random_pages);
	tcase_add_test(tc, test_random_alloc);
	tcase_add_test(tc, test_random_churn_loose);
	tcase_add_test(tc, test_random_lowfit_runs);
	/* Generous for valgrind; the suite takes well under 2 s natively. */
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);
	return s;
}
