/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of lib/util/iova-tree.c: fixed cases for the edges (0, UINT64_MAX,
 * overflow of the alignment, window clipping), memory per area, -ENOMEM at
 * every allocation of an insert, plus long randomized runs that compare
 * every answer with a plain sorted array and a brute-force hole search
 * written straight from the rule in iova-tree.h.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/iova-tree.h"
#include "suites.h"

/*
 * Check's ck_assert*() tell the runner the location of every call, with a
 * write each time: far too slow for the millions of checks of the
 * randomized runs. These call into Check only when they fail.
 */
#define T_CMP(X, OP, Y, T, FMT)                                               \
	do {                                                                  \
		T _x = (T)(X), _y = (T)(Y);                                   \
		if (!(_x OP _y))                                              \
			ck_abort_msg("Assertion '%s' failed: %s == " FMT      \
				     ", %s == " FMT, #X " " #OP " " #Y, #X,   \
				     _x, #Y, _y);                             \
	} while (0)
#define T_TRUE(C)                                                             \
	do {                                                                  \
		if (!(C))                                                     \
			ck_abort_msg("Assertion '%s' failed", #C);            \
	} while (0)
#define T_INT_EQ(X, Y) T_CMP(X, ==, Y, intmax_t, "%jd")
#define T_UINT_EQ(X, Y) T_CMP(X, ==, Y, uintmax_t, "%ju")
#define T_UINT_LT(X, Y) T_CMP(X, <, Y, uintmax_t, "%ju")
#define T_UINT_LE(X, Y) T_CMP(X, <=, Y, uintmax_t, "%ju")
#define T_UINT_GT(X, Y) T_CMP(X, >, Y, uintmax_t, "%ju")
#define T_UINT_GE(X, Y) T_CMP(X, >=, Y, uintmax_t, "%ju")
#define T_NULL(P) T_TRUE((P) == NULL)
#define T_NONNULL(P) T_TRUE((P) != NULL)

/* ---- reference model: a sorted array of areas ---- */

struct model {
	struct iova_area *a;
	size_t n, cap;
};

/* First index whose area ends at or after x, or m->n. */
static size_t model_lb(const struct model *m, uint64_t x)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->a[mid].last < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int model_insert(struct model *m, const struct iova_area *a)
{
	size_t p;

	if (a->last < a->iova)
		return -EINVAL;
	p = model_lb(m, a->iova);
	if (p < m->n && m->a[p].iova <= a->last)
		return -EEXIST;
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->a = realloc(m->a, m->cap * sizeof(*m->a));
		T_NONNULL(m->a);
	}
	memmove(&m->a[p + 1], &m->a[p], (m->n - p) * sizeof(*m->a));
	m->a[p] = *a;
	m->n++;
	return 0;
}

static int model_remove(struct model *m, uint64_t iova, struct iova_area *out)
{
	size_t p = model_lb(m, iova);

	if (p == m->n || m->a[p].iova != iova)
		return -ENOENT;
	if (out)
		*out = m->a[p];
	memmove(&m->a[p], &m->a[p + 1], (m->n - p - 1) * sizeof(*m->a));
	m->n--;
	return 0;
}

static const struct iova_area *model_first_in(const struct model *m,
					      uint64_t first, uint64_t last)
{
	size_t p;

	if (first > last)
		return NULL;
	p = model_lb(m, first);
	return p < m->n && m->a[p].iova <= last ? &m->a[p] : NULL;
}

struct hole_args {
	uint64_t lo, hi, length, align, offset;
};

/* The documented rule, applied to one hole [s, e] clipped to [lo, hi]. */
static bool bf_hole(const struct hole_args *q, uint64_t s, uint64_t e,
		    uint64_t *out)
{
	uint64_t x;

	if (s < q->lo)
		s = q->lo;
	if (e > q->hi)
		e = q->hi;
	if (s > e)
		return false;
	if (__builtin_add_overflow(s, q->align - 1, &x))
		return false;
	x = (x & ~(q->align - 1)) | q->offset;
	if (x < e && e - x >= q->length - 1) {
		*out = x;
		return true;
	}
	return false;
}

/* Every hole in ascending order, the first that fits wins. */
static int model_find_hole(const struct model *m, const struct hole_args *q,
			   uint64_t *out)
{
	size_t i;

	if (!m->n)
		return bf_hole(q, 0, UINT64_MAX, out) ? 0 : -ENOSPC;
	if (m->a[0].iova > 0 && bf_hole(q, 0, m->a[0].iova - 1, out))
		return 0;
	for (i = 1; i < m->n; i++) {
		if (m->a[i].iova > m->a[i - 1].last + 1 &&
		    bf_hole(q, m->a[i - 1].last + 1, m->a[i].iova - 1, out))
			return 0;
	}
	if (m->a[m->n - 1].last < UINT64_MAX &&
	    bf_hole(q, m->a[m->n - 1].last + 1, UINT64_MAX, out))
		return 0;
	return -ENOSPC;
}

static bool area_eq(const struct iova_area *x, const struct iova_area *y)
{
	return x->iova == y->iova && x->last == y->last && x->uva == y->uva &&
	       x->cookie == y->cookie;
}

/* The tree holds exactly the model's areas, in order. */
static void assert_same(const struct iova_tree *t, const struct model *m)
{
	const struct iova_area *a;
	size_t i = 0;

	T_TRUE(iova_tree_check(t));
	T_UINT_EQ(iova_tree_count(t), m->n);
	for (a = iova_tree_first_in(t, 0, UINT64_MAX); a;
	     a = iova_tree_next(t, a)) {
		T_UINT_LT(i, m->n);
		T_TRUE(area_eq(a, &m->a[i]));
		i++;
	}
	T_UINT_EQ(i, m->n);
}

/* xorshift64*: fixed seed, identical runs everywhere. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static struct iova_area mk(uint64_t iova, uint64_t last)
{
	struct iova_area a = {
		.iova = iova, .last = last, .uva = iova ^ 0x5a5a, .cookie = last
	};

	return a;
}

static void insert_ok(struct iova_tree *t, uint64_t iova, uint64_t last)
{
	struct iova_area a = mk(iova, last);

	T_INT_EQ(iova_tree_insert(t, &a), 0);
}

static int hole(const struct iova_tree *t, uint64_t lo, uint64_t hi,
		uint64_t length, uint64_t align, uint64_t offset, uint64_t *out)
{
	*out = 0xdeadbeef;
	return iova_tree_find_hole(t, lo, hi, length, align, offset, out);
}

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
	q->align = 1ULL << (rnd_below(3) ? rnd_shift + rnd_below(10) :
			    rnd_below(64));
	q->offset = rnd_below(2) ? 0 : rnd_below(q->align);
}

/* Compare one query; return the tree's answer (*got set when 0). */
static int check_hole(const struct iova_tree *t, const struct model *m,
		      const struct hole_args *q, uint64_t *got)
{
	uint64_t want = 0;
	int rt = iova_tree_find_hole(t, q->lo, q->hi, q->length, q->align,
				     q->offset, got);
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
static void run_random(uint64_t seed, unsigned ops, size_t max_live,
		       unsigned shift)
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
	tcase_add_test(tc, test_random_small);
	tcase_add_test(tc, test_random_large);
	tcase_add_test(tc, test_random_pages);
	tcase_add_test(tc, test_random_alloc);
	tcase_add_test(tc, test_remove_exact);
	/* Generous for valgrind; the suite takes well under 2 s natively. */
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);
	return s;
}
