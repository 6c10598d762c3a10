/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the IOVA-tree suites (check_iova_tree*.c) share: assertions that
 * cost only on failure, the reference model (a plain sorted array and a
 * brute-force hole search written straight from the rule in iova-tree.h),
 * and a fixed-seed random source.
 */
#ifndef IOASID_TEST_IOVA_TREE_MODEL_H
#define IOASID_TEST_IOVA_TREE_MODEL_H

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/iova-tree.h"

/*
 * Check's ck_assert*() tell the runner the location of every call, with a
 * write each time: far too slow for the millions of checks of the
 * randomized runs. These call into Check only when they fail.
 */
#define T_CMP(X, OP, Y, T, FMT)                                                          \
	do {                                                                             \
		T _x = (T)(X), _y = (T)(Y);                                              \
		if (!(_x OP _y))                                                         \
			ck_abort_msg("Assertion '%s' failed: %s == " FMT ", %s == " FMT, \
				     #X " " #OP " " #Y, #X, _x, #Y, _y);                 \
	} while (0)
#define T_TRUE(C)                                                  \
	do {                                                       \
		if (!(C))                                          \
			ck_abort_msg("Assertion '%s' failed", #C); \
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
static inline size_t model_lb(const struct model *m, uint64_t x)
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

static inline int model_insert(struct model *m, const struct iova_area *a)
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

static inline int model_remove(struct model *m, uint64_t iova, struct iova_area *out)
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

static inline const struct iova_area *model_first_in(const struct model *m, uint64_t first,
						     uint64_t last)
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
static inline bool bf_hole(const struct hole_args *q, uint64_t s, uint64_t e, uint64_t *out)
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
static inline int model_find_hole(const struct model *m, const struct hole_args *q, uint64_t *out)
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
	if (m->a[m->n - 1].last < UINT64_MAX && bf_hole(q, m->a[m->n - 1].last + 1, UINT64_MAX, out))
		return 0;
	return -ENOSPC;
}

static inline bool area_eq(const struct iova_area *x, const struct iova_area *y)
{
	return x->iova == y->iova && x->last == y->last && x->uva == y->uva &&
	       x->cookie == y->cookie;
}

/* The tree holds exactly the model's areas, in order. */
static inline void assert_same(const struct iova_tree *t, const struct model *m)
{
	const struct iova_area *a;
	size_t i = 0;

	T_TRUE(iova_tree_check(t));
	T_UINT_EQ(iova_tree_count(t), m->n);
	for (a = iova_tree_first_in(t, 0, UINT64_MAX); a; a = iova_tree_next(t, a)) {
		T_UINT_LT(i, m->n);
		T_TRUE(area_eq(a, &m->a[i]));
		i++;
	}
	T_UINT_EQ(i, m->n);
}

/* xorshift64*: fixed seed, identical runs everywhere. */
static uint64_t rng_state;

static inline uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static inline uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static inline struct iova_area mk(uint64_t iova, uint64_t last)
{
	struct iova_area a = { .iova = iova, .last = last, .uva = iova ^ 0x5a5a, .cookie = last };

	return a;
}

static inline void insert_ok(struct iova_tree *t, uint64_t iova, uint64_t last)
{
	struct iova_area a = mk(iova, last);

	T_INT_EQ(iova_tree_insert(t, &a), 0);
}

static inline int hole(struct iova_tree *t, uint64_t lo, uint64_t hi, uint64_t length,
		       uint64_t align, uint64_t offset, uint64_t *out)
{
	*out = 0xdeadbeef;
	return iova_tree_find_hole(t, lo, hi, length, align, offset, out);
}

#endif
