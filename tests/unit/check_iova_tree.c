/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of lib/util/iova-tree.c, fixed cases: the edges (0, UINT64_MAX,
 * overflow of the alignment, window clipping), memory per area, -ENOMEM at
 * every allocation of an insert, exact removal.
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

/* ---- fixed cases ---- */

START_TEST(test_empty)
{
	struct iova_tree *t = iova_tree_new();
	uint64_t x;

	T_NONNULL(t);
	T_UINT_EQ(iova_tree_count(t), 0);
	T_UINT_GT(iova_tree_heap_bytes(t), 0);
	T_TRUE(iova_tree_check(t));
	T_NULL(iova_tree_find(t, 0));
	T_NULL(iova_tree_find(t, UINT64_MAX));
	T_NULL(iova_tree_first_in(t, 0, UINT64_MAX));
	T_INT_EQ(iova_tree_remove(t, 0, NULL), -ENOENT);
	T_INT_EQ(hole(t, 0, UINT64_MAX, 4096, 4096, 0, &x), 0);
	T_UINT_EQ(x, 0);
	iova_tree_free(t);
	iova_tree_free(NULL);
}
END_TEST

START_TEST(test_basic)
{
	struct iova_tree *t = iova_tree_new();
	struct iova_area a = mk(0x1000, 0x1fff), got;
	struct iova_area *p;
	size_t empty_bytes = iova_tree_heap_bytes(t);

	T_INT_EQ(iova_tree_insert(t, &a), 0);
	insert_ok(t, 0x3000, 0x3fff);
	insert_ok(t, 0x2000, 0x2fff);
	T_UINT_EQ(iova_tree_count(t), 3);
	T_TRUE(iova_tree_check(t));

	T_NULL(iova_tree_find(t, 0xfff));
	p = iova_tree_find(t, 0x1000);
	T_NONNULL(p);
	T_TRUE(area_eq(p, &a));
	T_UINT_EQ(iova_tree_find(t, 0x2abc)->iova, 0x2000);
	T_UINT_EQ(iova_tree_find(t, 0x3fff)->iova, 0x3000);
	T_NULL(iova_tree_find(t, 0x4000));

	/* The cookie may be changed through the returned pointer. */
	iova_tree_find(t, 0x2000)->cookie = 77;
	T_UINT_EQ(iova_tree_find(t, 0x2fff)->cookie, 77);

	T_UINT_EQ(iova_tree_first_in(t, 0, 0x1000)->iova, 0x1000);
	T_UINT_EQ(iova_tree_first_in(t, 0x1fff, 0x1fff)->iova, 0x1000);
	T_UINT_EQ(iova_tree_first_in(t, 0x2001, UINT64_MAX)->iova,
		  0x2000);
	T_NULL(iova_tree_first_in(t, 0, 0xfff));
	T_NULL(iova_tree_first_in(t, 0x4000, UINT64_MAX));
	T_NULL(iova_tree_first_in(t, 0x3000, 0x2000));

	p = iova_tree_first_in(t, 0, UINT64_MAX);
	p = iova_tree_next(t, p);
	T_UINT_EQ(p->iova, 0x2000);
	p = iova_tree_next(t, p);
	T_UINT_EQ(p->iova, 0x3000);
	T_NULL(iova_tree_next(t, p));

	/* Remove needs the exact start. */
	T_INT_EQ(iova_tree_remove(t, 0x2001, &got), -ENOENT);
	T_INT_EQ(iova_tree_remove(t, 0x2000, &got), 0);
	T_UINT_EQ(got.iova, 0x2000);
	T_UINT_EQ(got.last, 0x2fff);
	T_UINT_EQ(got.cookie, 77);
	T_INT_EQ(iova_tree_remove(t, 0x2000, &got), -ENOENT);
	T_NULL(iova_tree_find(t, 0x2000));
	T_TRUE(iova_tree_check(t));
	T_INT_EQ(iova_tree_remove(t, 0x1000, NULL), 0);
	T_INT_EQ(iova_tree_remove(t, 0x3000, NULL), 0);
	T_UINT_EQ(iova_tree_count(t), 0);
	T_UINT_EQ(iova_tree_heap_bytes(t), empty_bytes);
	T_TRUE(iova_tree_check(t));
	iova_tree_free(t);
}
END_TEST

START_TEST(test_einval)
{
	struct iova_tree *t = iova_tree_new();
	struct iova_area a = mk(10, 9);
	uint64_t x;

	T_INT_EQ(iova_tree_insert(t, &a), -EINVAL);
	T_UINT_EQ(iova_tree_count(t), 0);
	T_INT_EQ(hole(t, 0, UINT64_MAX, 0, 1, 0, &x), -EINVAL);
	T_INT_EQ(hole(t, 0, UINT64_MAX, 1, 0, 0, &x), -EINVAL);
	T_INT_EQ(hole(t, 0, UINT64_MAX, 1, 3, 0, &x), -EINVAL);
	T_TRUE(iova_tree_check(t));
	iova_tree_free(t);
}
END_TEST

/* Every kind of overlap is refused and leaves the tree byte for byte. */
START_TEST(test_overlap)
{
	struct iova_tree *t = iova_tree_new();
	struct model m = { 0 };
	size_t bytes;
	uint64_t i;
	static const uint64_t probes[][2] = {
		{ 0x100000, 0x100000 }, { 0x0fffff, 0x100000 },
		{ 0x100fff, 0x101000 }, { 0x0ff000, 0x200000 },
		{ 0x100800, 0x100800 }, { 0, UINT64_MAX },
		{ 0x17e800, 0x17f7ff }, { 0x180fff, 0x181000 },
		{ 0x0fffff, UINT64_MAX },
	};

	/* Enough areas for several leaves, one page apart. */
	rng_state = 7;
	for (i = 0; i < 2000; i++) {
		struct iova_area a = mk(0x100000 + i * 0x2000,
					0x100000 + i * 0x2000 + 0xfff);

		T_INT_EQ(iova_tree_insert(t, &a), 0);
		T_INT_EQ(model_insert(&m, &a), 0);
	}
	bytes = iova_tree_heap_bytes(t);
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		struct iova_area a = mk(probes[i][0], probes[i][1]);

		T_INT_EQ(iova_tree_insert(t, &a), -EEXIST);
	}
	for (i = 0; i < 2000; i++) {
		uint64_t base = 0x100000 + i * 0x2000;
		struct iova_area a = mk(base + rnd_below(0x1000),
					base + 0x1000 + rnd_below(0x3000));

		T_INT_EQ(iova_tree_insert(t, &a), -EEXIST);
	}
	T_UINT_EQ(iova_tree_heap_bytes(t), bytes);
	assert_same(t, &m);
	free(m.a);
	iova_tree_free(t);
}
END_TEST

START_TEST(test_edges)
{
	struct iova_tree *t = iova_tree_new();
	struct iova_area *p;
	uint64_t x;

	insert_ok(t, 0, 0);
	insert_ok(t, UINT64_MAX, UINT64_MAX);
	T_UINT_EQ(iova_tree_find(t, 0)->last, 0);
	T_UINT_EQ(iova_tree_find(t, UINT64_MAX)->iova, UINT64_MAX);
	T_NULL(iova_tree_find(t, 1));
	T_NULL(iova_tree_find(t, UINT64_MAX - 1));
	p = iova_tree_find(t, UINT64_MAX);
	T_NULL(iova_tree_next(t, p));
	p = iova_tree_next(t, iova_tree_find(t, 0));
	T_UINT_EQ(p->iova, UINT64_MAX);
	T_UINT_EQ(iova_tree_first_in(t, 1, UINT64_MAX)->iova,
		  UINT64_MAX);

	/* The one hole is [1, UINT64_MAX - 1]. */
	T_INT_EQ(hole(t, 0, UINT64_MAX, 1, 1, 0, &x), 0);
	T_UINT_EQ(x, 1);
	T_INT_EQ(hole(t, 0, UINT64_MAX, UINT64_MAX, 1, 0, &x), -ENOSPC);
	T_INT_EQ(hole(t, 0, UINT64_MAX, UINT64_MAX - 1, 1, 0, &x), 0);
	T_UINT_EQ(x, 1);
	T_INT_EQ(hole(t, 2, UINT64_MAX, UINT64_MAX - 1, 1, 0, &x),
		 -ENOSPC);
	T_INT_EQ(hole(t, 0, UINT64_MAX, 0x1000, 1ULL << 63, 0, &x), 0);
	T_UINT_EQ(x, 1ULL << 63);
	/* ALIGN_UP(UINT64_MAX - 0x10, 0x100) wraps: no fit, not a bogus 0. */
	T_INT_EQ(hole(t, UINT64_MAX - 0x10, UINT64_MAX, 1, 0x100, 0,
		      &x), -ENOSPC);
	T_INT_EQ(hole(t, UINT64_MAX - 0x10, UINT64_MAX, 1, 1, 0, &x), 0);
	T_UINT_EQ(x, UINT64_MAX - 0x10);
	T_INT_EQ(hole(t, UINT64_MAX - 0x10, UINT64_MAX, 0x10, 1, 0, &x),
		 0);
	T_UINT_EQ(x, UINT64_MAX - 0x10);
	T_INT_EQ(hole(t, UINT64_MAX - 0x10, UINT64_MAX, 0x11, 1, 0, &x),
		 -ENOSPC);
	T_TRUE(iova_tree_check(t));

	T_INT_EQ(iova_tree_remove(t, UINT64_MAX, NULL), 0);
	/* Tail hole [1, UINT64_MAX]: the very top can be handed out. */
	T_INT_EQ(hole(t, UINT64_MAX - 1, UINT64_MAX, 2, 1, 0, &x), 0);
	T_UINT_EQ(x, UINT64_MAX - 1);
	T_INT_EQ(hole(t, UINT64_MAX - 1, UINT64_MAX, 3, 1, 0, &x),
		 -ENOSPC);
	T_INT_EQ(iova_tree_remove(t, 0, NULL), 0);

	/* One area covering everything. */
	insert_ok(t, 0, UINT64_MAX);
	T_UINT_EQ(iova_tree_find(t, 12345)->iova, 0);
	T_NULL(iova_tree_next(t, iova_tree_find(t, 0)));
	T_INT_EQ(hole(t, 0, UINT64_MAX, 1, 1, 0, &x), -ENOSPC);
	T_INT_EQ(iova_tree_remove(t, 0, NULL), 0);

	/* Empty tree: the whole space is one hole. */
	T_INT_EQ(hole(t, 0, UINT64_MAX, UINT64_MAX, 1, 0, &x), 0);
	T_UINT_EQ(x, 0);
	T_INT_EQ(hole(t, 1, UINT64_MAX, UINT64_MAX, 1, 0, &x), 0);
	T_UINT_EQ(x, 1);
	T_INT_EQ(hole(t, 2, UINT64_MAX, UINT64_MAX, 1, 0, &x), -ENOSPC);
	T_INT_EQ(hole(t, 2, UINT64_MAX, 1, 1ULL << 63, 0, &x), 0);
	T_UINT_EQ(x, 1ULL << 63);
	T_INT_EQ(hole(t, 2, UINT64_MAX, 1ULL << 63, 1ULL << 63, 0, &x),
		 0);
	T_INT_EQ(hole(t, 2, UINT64_MAX, (1ULL << 63) + 1, 1ULL << 63, 0,
		      &x), -ENOSPC);
	T_INT_EQ(hole(t, 5, 4, 1, 1, 0, &x), -ENOSPC);
	T_INT_EQ(hole(t, 7, 7, 1, 1, 0, &x), -ENOSPC);
	T_INT_EQ(hole(t, 7, 8, 1, 1, 0, &x), 0);
	T_UINT_EQ(x, 7);
	T_TRUE(iova_tree_check(t));
	iova_tree_free(t);
}
END_TEST

START_TEST(test_find_hole)
{
	struct iova_tree *t = iova_tree_new();
	uint64_t x;

	/* Areas [0x1000,0x1fff], [0x3000,0x3fff], [0x10000,0x1ffff]. */
	insert_ok(t, 0x1000, 0x1fff);
	insert_ok(t, 0x3000, 0x3fff);
	insert_ok(t, 0x10000, 0x1ffff);

	/* Before the first area. */
	T_INT_EQ(hole(t, 0, UINT64_MAX, 0x1000, 0x1000, 0, &x), 0);
	T_UINT_EQ(x, 0);
	/* From 1, the alignment pushes x past the end of [1, 0xfff]. */
	T_INT_EQ(hole(t, 1, UINT64_MAX, 0x1000, 0x1000, 0, &x), 0);
	T_UINT_EQ(x, 0x2000);
	/* Offset OR-ed in after alignment: [0x2000, 0x2fff] gives 0x2080. */
	T_INT_EQ(hole(t, 0x1000, UINT64_MAX, 0x800, 0x1000, 0x80, &x),
		 0);
	T_UINT_EQ(x, 0x2080);
	T_INT_EQ(hole(t, 0x1000, UINT64_MAX, 0xf80, 0x1000, 0x80, &x),
		 0);
	T_UINT_EQ(x, 0x2080);
	T_INT_EQ(hole(t, 0x1000, UINT64_MAX, 0xf81, 0x1000, 0x80, &x),
		 0);
	T_UINT_EQ(x, 0x4080);
	/* Alignment pushes past the small holes. */
	T_INT_EQ(hole(t, 0, UINT64_MAX, 0x1000, 0x8000, 0, &x), 0);
	T_UINT_EQ(x, 0);
	T_INT_EQ(hole(t, 0x10, UINT64_MAX, 0x1000, 0x8000, 0, &x), 0);
	T_UINT_EQ(x, 0x8000);
	T_INT_EQ(hole(t, 0x10, UINT64_MAX, 0x1000, 0x10000, 0, &x), 0);
	T_UINT_EQ(x, 0x20000);
	/* Size: the 0xc000-long hole [0x4000, 0xffff] and then the tail. */
	T_INT_EQ(hole(t, 0, UINT64_MAX, 0xc000, 1, 0, &x), 0);
	T_UINT_EQ(x, 0x4000);
	T_INT_EQ(hole(t, 0, UINT64_MAX, 0xc001, 1, 0, &x), 0);
	T_UINT_EQ(x, 0x20000);
	/* Windows clip holes on both sides. */
	T_INT_EQ(hole(t, 0x4800, 0x8fff, 0x1000, 0x1000, 0, &x), 0);
	T_UINT_EQ(x, 0x5000);
	T_INT_EQ(hole(t, 0x4800, 0x57ff, 0x1000, 0x1000, 0, &x),
		 -ENOSPC);
	T_INT_EQ(hole(t, 0x4800, 0x57ff, 0x800, 0x800, 0, &x), 0);
	T_UINT_EQ(x, 0x4800);
	T_INT_EQ(hole(t, 0x1000, 0x1fff, 1, 1, 0, &x), -ENOSPC);
	T_INT_EQ(hole(t, 0x1000, 0x3fff, 0x1001, 1, 0, &x), -ENOSPC);
	T_INT_EQ(hole(t, 0x1000, 0x3fff, 0x1000, 1, 0, &x), 0);
	T_UINT_EQ(x, 0x2000);
	T_INT_EQ(hole(t, 0x1000, 0x1ffff, 0xc000, 1, 0, &x), 0);
	T_UINT_EQ(x, 0x4000);
	T_INT_EQ(hole(t, 0x1000, 0x1ffff, 0xc001, 1, 0, &x), -ENOSPC);
	/* lo inside an area, hi inside another. */
	T_INT_EQ(hole(t, 0x3800, 0x10800, 0x2000, 0x2000, 0, &x), 0);
	T_UINT_EQ(x, 0x4000);
	T_TRUE(iova_tree_check(t));
	iova_tree_free(t);
}
END_TEST

/* Many areas: find_hole must find holes deep in the tree, lowest first. */
START_TEST(test_find_hole_deep)
{
	struct iova_tree *t = iova_tree_new();
	uint64_t i, x;
	const uint64_t n = 20000;

	for (i = 0; i < n; i++)
		insert_ok(t, i * 0x1000, i * 0x1000 + 0xfff);
	T_INT_EQ(hole(t, 0, UINT64_MAX, 1, 1, 0, &x), 0);
	T_UINT_EQ(x, n * 0x1000);
	/* Punch holes of growing size near the end, then near the start. */
	T_INT_EQ(iova_tree_remove(t, 15000 * 0x1000, NULL), 0);
	T_INT_EQ(iova_tree_remove(t, 15001 * 0x1000, NULL), 0);
	T_INT_EQ(iova_tree_remove(t, 17000 * 0x1000, NULL), 0);
	T_INT_EQ(hole(t, 0, UINT64_MAX, 0x1000, 0x1000, 0, &x), 0);
	T_UINT_EQ(x, 15000 * 0x1000);
	T_INT_EQ(hole(t, 0, UINT64_MAX, 0x2000, 0x1000, 0, &x), 0);
	T_UINT_EQ(x, 15000 * 0x1000);
	T_INT_EQ(hole(t, 0, UINT64_MAX, 0x2000, 0x2000, 0, &x), 0);
	T_UINT_EQ(x, 15000 * 0x1000);
	T_INT_EQ(hole(t, 0, UINT64_MAX, 0x1000, 0x1000, 0x10, &x), 0);
	T_UINT_EQ(x, 15000 * 0x1000 + 0x10);
	T_INT_EQ(hole(t, 0, UINT64_MAX, 0x2000, 0x1000, 0x10, &x), 0);
	T_UINT_EQ(x, n * 0x1000 + 0x10);
	T_INT_EQ(hole(t, 0, UINT64_MAX, 0x2001, 1, 0, &x), 0);
	T_UINT_EQ(x, n * 0x1000);
	T_INT_EQ(hole(t, 15001 * 0x1000, UINT64_MAX, 0x1000, 1, 0, &x),
		 0);
	T_UINT_EQ(x, 15001 * 0x1000);
	T_INT_EQ(hole(t, 15001 * 0x1000 + 1, UINT64_MAX, 0x1000, 1, 0,
		      &x), 0);
	T_UINT_EQ(x, 17000 * 0x1000);
	T_INT_EQ(hole(t, 0, 17000 * 0x1000 + 0xffe, 0x1000, 0x1000, 0,
		      &x), 0);
	T_UINT_EQ(x, 15000 * 0x1000);
	T_INT_EQ(hole(t, 15002 * 0x1000, 17000 * 0x1000 + 0xfff, 0x1000,
		      0x1000, 0, &x), 0);
	T_UINT_EQ(x, 17000 * 0x1000);
	T_INT_EQ(hole(t, 15002 * 0x1000, 17000 * 0x1000 + 0xffe, 0x1000,
		      0x1000, 0, &x), -ENOSPC);
	T_INT_EQ(iova_tree_remove(t, 3 * 0x1000, NULL), 0);
	T_INT_EQ(hole(t, 0, UINT64_MAX, 0x1000, 0x1000, 0, &x), 0);
	T_UINT_EQ(x, 3 * 0x1000);
	T_TRUE(iova_tree_check(t));
	iova_tree_free(t);
}
END_TEST

/* Ascending and descending fills build nearly full nodes. */
START_TEST(test_fill_density)
{
	struct iova_tree *t = iova_tree_new();
	size_t empty = iova_tree_heap_bytes(t);
	const uint64_t n = 50000;
	uint64_t i;

	for (i = 0; i < n; i++)
		insert_ok(t, i * 0x2000, i * 0x2000 + 0xfff);
	T_TRUE(iova_tree_check(t));
	T_UINT_LE((iova_tree_heap_bytes(t) - empty) / n, 40);
	for (i = 0; i < n; i++)
		T_UINT_EQ(iova_tree_find(t, i * 0x2000 + 5)->iova,
			  i * 0x2000);
	/* Fill every gap, lowest first, as a lowest-fit allocator would. */
	for (i = 0; i < n; i++) {
		uint64_t x;

		T_INT_EQ(hole(t, 0, UINT64_MAX, 0x1000, 0x1000, 0, &x),
			 0);
		T_UINT_EQ(x, i * 0x2000 + 0x1000);
		insert_ok(t, x, x + 0xfff);
	}
	T_TRUE(iova_tree_check(t));
	T_UINT_LE((iova_tree_heap_bytes(t) - empty) / (2 * n), 40);
	/* Remove everything from the front, as a teardown does. */
	for (i = 0; i < 2 * n; i++) {
		struct iova_area *a = iova_tree_first_in(t, 0, UINT64_MAX);

		T_UINT_EQ(a->iova, i * 0x1000);
		T_INT_EQ(iova_tree_remove(t, a->iova, NULL), 0);
	}
	T_UINT_EQ(iova_tree_heap_bytes(t), empty);
	T_TRUE(iova_tree_check(t));

	for (i = n; i-- > 0;)
		insert_ok(t, i * 0x2000, i * 0x2000 + 0xfff);
	T_TRUE(iova_tree_check(t));
	T_UINT_LE((iova_tree_heap_bytes(t) - empty) / n, 44);
	iova_tree_free(t);
}
END_TEST

/* Removing a random half keeps the cost per live area bounded. */
START_TEST(test_remove_density)
{
	struct iova_tree *t = iova_tree_new();
	size_t empty = iova_tree_heap_bytes(t);
	const uint64_t n = 40000;
	uint64_t *perm = malloc(n * sizeof(*perm));
	uint64_t i;

	T_NONNULL(perm);
	rng_state = 0x1234567;
	for (i = 0; i < n; i++) {
		insert_ok(t, i * 0x1000, i * 0x1000 + 0x7ff);
		perm[i] = i;
	}
	for (i = n - 1; i > 0; i--) {
		uint64_t j = rnd_below(i + 1), tmp = perm[i];

		perm[i] = perm[j];
		perm[j] = tmp;
	}
	for (i = 0; i < n / 2; i++)
		T_INT_EQ(iova_tree_remove(t, perm[i] * 0x1000, NULL), 0);
	T_TRUE(iova_tree_check(t));
	/* The budget is 64 bytes per area; leaves are at least half full. */
	T_UINT_LE((iova_tree_heap_bytes(t) - empty) / (n / 2), 64);
	for (; i < n; i++)
		T_INT_EQ(iova_tree_remove(t, perm[i] * 0x1000, NULL), 0);
	T_UINT_EQ(iova_tree_heap_bytes(t), empty);
	T_TRUE(iova_tree_check(t));
	free(perm);
	iova_tree_free(t);
}
END_TEST

/*
 * Fail every allocation an insert makes, in turn: each failure must give
 * -ENOMEM and leave the tree exactly as it was; removal never allocates.
 */
static void enomem_insert(struct iova_tree *t, struct model *m, uint64_t iova,
			  unsigned want_allocs)
{
	struct iova_area a = mk(iova, iova + 0x7ff);
	size_t bytes = iova_tree_heap_bytes(t);
	unsigned k;

	for (k = 1;; k++) {
		int r;

		ioasid_alloc_fail_nth(k);
		r = iova_tree_insert(t, &a);
		ioasid_alloc_fail_nth(0);
		if (r != -ENOMEM)
			break;
		T_UINT_EQ(iova_tree_heap_bytes(t), bytes);
		assert_same(t, m);
	}
	T_INT_EQ(model_insert(m, &a), 0);
	T_UINT_EQ(k - 1, want_allocs);
	assert_same(t, m);
}

START_TEST(test_enomem)
{
	struct iova_tree *t = iova_tree_new();
	struct model m = { 0 };
	uint64_t i;

	/* Empty tree: the first leaf. */
	enomem_insert(t, &m, 0, 1);
	/*
	 * With the library's 32-way nodes, 32768 ascending areas fill three
	 * levels to the brim (32 * 32 * 32).
	 */
	for (i = 1; i < 32768; i++) {
		struct iova_area a = mk(i * 0x1000, i * 0x1000 + 0x7ff);

		T_INT_EQ(iova_tree_insert(t, &a), 0);
		T_INT_EQ(model_insert(&m, &a), 0);
	}
	/* Appending now splits the leaf, both internal levels, adds a root. */
	enomem_insert(t, &m, 32768 * 0x1000, 4);
	/*
	 * Into the middle of the first leaf: it and the two internal nodes
	 * above it are full (the new root has room); then into a leaf whose
	 * parent is full but whose grandparent was just split.
	 */
	enomem_insert(t, &m, 0x800, 3);
	enomem_insert(t, &m, 20000 * 0x1000 + 0x800, 2);

	/* Removal never allocates, even while rebalancing. */
	ioasid_alloc_fail_nth(1);
	for (i = 0; i < 32768; i += 2)
		T_INT_EQ(iova_tree_remove(t, i * 0x1000, NULL), 0);
	T_TRUE(!ioasid_alloc_failed());
	ioasid_alloc_fail_nth(0);
	for (i = 0; i < 32768; i += 2)
		T_INT_EQ(model_remove(&m, i * 0x1000, NULL), 0);
	assert_same(t, &m);
	free(m.a);
	iova_tree_free(t);
}
END_TEST
START_TEST(test_remove_exact)
{
	struct iova_tree *t = iova_tree_new();
	struct iova_area a = { .iova = 0x1000, .last = 0x2fff, .uva = 7 }, out;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(iova_tree_insert(t, &a), 0);
	/* another end: refused, tree unchanged, the area reported */
	ck_assert_int_eq(iova_tree_remove_exact(t, 0x1000, 0x1fff, &out), -ERANGE);
	ck_assert_uint_eq(out.last, 0x2fff);
	ck_assert_uint_eq(iova_tree_count(t), 1);
	ck_assert_ptr_nonnull(iova_tree_find(t, 0x2fff));
	/* no area starting there */
	ck_assert_int_eq(iova_tree_remove_exact(t, 0x2000, 0x2fff, NULL), -ENOENT);
	ck_assert_int_eq(iova_tree_remove_exact(t, 0x1000, 0x2fff, &out), 0);
	ck_assert_uint_eq(out.uva, 7);
	ck_assert_uint_eq(iova_tree_count(t), 0);
	ck_assert_int_eq(iova_tree_remove_exact(t, 0x1000, 0x2fff, NULL), -ENOENT);
	iova_tree_free(t);
}
END_TEST
Suite *iova_tree_suite(void)
{
	Suite *s = suite_create("iova_tree");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_einval);
	tcase_add_test(tc, test_overlap);
	tcase_add_test(tc, test_edges);
	tcase_add_test(tc, test_find_hole);
	tcase_add_test(tc, test_find_hole_deep);
	tcase_add_test(tc, test_fill_density);
	tcase_add_test(tc, test_remove_density);
	tcase_add_test(tc, test_enomem);
	tcase_add_test(tc, test_remove_exact);
	/* Generous for valgrind; the suite takes well under 2 s natively. */
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);
	return s;
}
