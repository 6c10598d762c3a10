/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of lib/util/pasid-alloc.c: fixed cases at widths 0 (empty), 1, 5
 * (part of one chunk) and 20 (4096 chunks, both summary levels), owner
 * tables, randomized runs at widths from 3 to 20 checked call by call
 * against a plain array of owners, and allocation failure at every
 * position.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/pasid-alloc.h"
#include "suites.h"

/* Also declared by suites.h once the suite is listed there. */
Suite *pasid_alloc_suite(void);

#define MAX20 ((UINT32_C(1) << 20) - 1)

/*
 * Check's ck_assert() records a mark point per passing assertion (a write
 * to the runner in fork mode): far too slow for a million iterations.
 */
#define require(cond, ...)                         \
	do {                                       \
		if (!(cond))                       \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

#define require_eq(a, b)                                                 \
	do {                                                             \
		unsigned long long a_ = (a), b_ = (b);                   \
		require(a_ == b_, "%s == %llu, %s == %llu", #a, a_, #b, b_); \
	} while (0)

/* Fixed-seed xorshift64: the same run every time. */
static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)((rng_state >> 16) % n);
}

static uint32_t alloc_ok(struct pasid_space *ps, uint32_t min, uint32_t max,
			 uint32_t owner)
{
	uint32_t p = 0;
	int r = pasid_space_alloc(ps, min, max, owner, &p);

	require(r == 0, "alloc [%u, %u] owner %u: %d", min, max, owner, r);
	require(p >= min && p <= max, "alloc [%u, %u] gave %u", min, max, p);
	require(pasid_space_owner(ps, p) == owner, "owner of %u: %u, not %u",
		p, pasid_space_owner(ps, p), owner);
	return p;
}

static int alloc_ret(struct pasid_space *ps, uint32_t min, uint32_t max,
		     uint32_t owner)
{
	uint32_t p = 0xdeadbeef;
	int r = pasid_space_alloc(ps, min, max, owner, &p);

	require(!r || p == 0xdeadbeef, "out written on failure %d", r);
	return r;
}

static uint32_t next_of(const struct pasid_space *ps, uint32_t from,
			uint32_t owner)
{
	uint32_t p = 0;
	int r = pasid_space_next(ps, from, owner, &p);

	if (r) {
		require(r == -ENOENT, "next from %u: %d", from, r);
		return UINT32_MAX;
	}
	require(p >= from, "next from %u gave %u", from, p);
	return p;
}

START_TEST(test_bad_width_and_null)
{
	ck_assert_ptr_null(pasid_space_new(21));
	ck_assert_ptr_null(pasid_space_new(32));
	pasid_space_free(NULL);
}
END_TEST

START_TEST(test_width0)
{
	struct pasid_space *ps = pasid_space_new(0);
	size_t heap;

	ck_assert_ptr_nonnull(ps);
	ck_assert_uint_eq(pasid_space_width(ps), 0);
	ck_assert_uint_eq(pasid_space_count(ps), 0);
	heap = pasid_space_heap_bytes(ps);
	ck_assert_uint_gt(heap, 0);
	ck_assert_uint_eq(next_of(ps, 0, 0), UINT32_MAX);
	ck_assert_uint_eq(next_of(ps, 1, 7), UINT32_MAX);
	ck_assert_uint_eq(pasid_space_owner(ps, 0), 0);
	ck_assert_uint_eq(pasid_space_owner(ps, 1), 0);
	ck_assert_int_eq(pasid_space_release(ps, 0, 1), -ENOENT);
	ck_assert_int_eq(pasid_space_release(ps, 1, 1), -ENOENT);
	/* No range is valid here; the defensive check refuses it. */
	ck_assert_int_eq(alloc_ret(ps, 1, 1, 1), -EINVAL);
	ck_assert_int_eq(alloc_ret(ps, 0, 0, 1), -EINVAL);
	pasid_space_release_owner(ps, 1);
	ck_assert_uint_eq(pasid_space_count(ps), 0);
	ck_assert_uint_eq(pasid_space_heap_bytes(ps), heap);
	pasid_space_free(ps);
}
END_TEST

START_TEST(test_width1)
{
	struct pasid_space *ps = pasid_space_new(1);

	ck_assert_ptr_nonnull(ps);
	ck_assert_uint_eq(pasid_space_width(ps), 1);
	ck_assert_uint_eq(alloc_ok(ps, 1, 1, 7), 1);
	ck_assert_uint_eq(pasid_space_count(ps), 1);
	ck_assert_int_eq(alloc_ret(ps, 1, 1, 7), -EEXIST);
	ck_assert_int_eq(alloc_ret(ps, 1, 1, 8), -EEXIST);
	/* outside the space: the caller should not ask, we refuse */
	ck_assert_int_eq(alloc_ret(ps, 1, 2, 7), -EINVAL);
	ck_assert_int_eq(alloc_ret(ps, 2, 2, 7), -EINVAL);

	ck_assert_int_eq(pasid_space_release(ps, 1, 8), -EPERM);
	ck_assert_int_eq(pasid_space_release(ps, 1, 0), -EPERM);
	ck_assert_uint_eq(pasid_space_owner(ps, 1), 7);
	ck_assert_int_eq(pasid_space_release(ps, 0, 7), -ENOENT);
	ck_assert_int_eq(pasid_space_release(ps, 2, 7), -ENOENT);
	ck_assert_uint_eq(pasid_space_count(ps), 1);

	ck_assert_uint_eq(next_of(ps, 0, 0), 1);
	ck_assert_uint_eq(next_of(ps, 1, 7), 1);
	ck_assert_uint_eq(next_of(ps, 0, 8), UINT32_MAX);
	ck_assert_uint_eq(next_of(ps, 2, 0), UINT32_MAX);
	ck_assert_uint_eq(next_of(ps, UINT32_MAX, 0), UINT32_MAX);

	ck_assert_int_eq(pasid_space_release(ps, 1, 7), 0);
	ck_assert_int_eq(pasid_space_release(ps, 1, 7), -ENOENT);
	ck_assert_uint_eq(pasid_space_count(ps), 0);
	ck_assert_uint_eq(pasid_space_owner(ps, 1), 0);
	ck_assert_uint_eq(next_of(ps, 0, 0), UINT32_MAX);
	ck_assert_uint_eq(alloc_ok(ps, 1, 1, 9), 1);
	pasid_space_free(ps);
}
END_TEST

START_TEST(test_width5_lowest_fit)
{
	struct pasid_space *ps = pasid_space_new(5);
	uint32_t i;

	ck_assert_ptr_nonnull(ps);
	/* Caller errors are refused and change nothing. */
	ck_assert_int_eq(alloc_ret(ps, 0, 31, 1), -EINVAL);
	ck_assert_int_eq(alloc_ret(ps, 5, 4, 1), -EINVAL);
	ck_assert_int_eq(alloc_ret(ps, 1, 32, 1), -EINVAL);
	ck_assert_int_eq(alloc_ret(ps, 1, 31, 0), -EINVAL);
	ck_assert_uint_eq(pasid_space_count(ps), 0);

	for (i = 1; i <= 31; i++)
		ck_assert_uint_eq(alloc_ok(ps, 1, 31, i % 3 + 1), i);
	ck_assert_uint_eq(pasid_space_count(ps), 31);
	ck_assert_int_eq(alloc_ret(ps, 1, 31, 1), -ENOSPC);
	ck_assert_int_eq(alloc_ret(ps, 30, 31, 1), -ENOSPC);
	ck_assert_int_eq(alloc_ret(ps, 5, 5, 1), -EEXIST);

	ck_assert_int_eq(pasid_space_release(ps, 20, 20 % 3 + 1), 0);
	ck_assert_int_eq(pasid_space_release(ps, 7, 7 % 3 + 1), 0);
	ck_assert_int_eq(pasid_space_release(ps, 3, 3 % 3 + 1), 0);
	ck_assert_uint_eq(pasid_space_count(ps), 28);
	ck_assert_uint_eq(alloc_ok(ps, 1, 31, 9), 3);
	ck_assert_uint_eq(alloc_ok(ps, 4, 31, 9), 7);
	ck_assert_int_eq(alloc_ret(ps, 8, 19, 9), -ENOSPC);
	ck_assert_int_eq(alloc_ret(ps, 21, 31, 9), -ENOSPC);
	ck_assert_uint_eq(alloc_ok(ps, 8, 20, 9), 20);
	ck_assert_int_eq(alloc_ret(ps, 1, 31, 9), -ENOSPC);

	/* Range bounds on an empty space. */
	for (i = 1; i <= 3; i++)
		pasid_space_release_owner(ps, i);
	pasid_space_release_owner(ps, 9);
	ck_assert_uint_eq(pasid_space_count(ps), 0);
	ck_assert_uint_eq(alloc_ok(ps, 31, 31, 1), 31);
	ck_assert_uint_eq(alloc_ok(ps, 30, 31, 1), 30);
	ck_assert_int_eq(alloc_ret(ps, 30, 31, 1), -ENOSPC);
	ck_assert_uint_eq(alloc_ok(ps, 1, 31, 1), 1);
	ck_assert_uint_eq(alloc_ok(ps, 2, 2, 1), 2);
	ck_assert_uint_eq(alloc_ok(ps, 1, 31, 1), 3);
	ck_assert_uint_eq(alloc_ok(ps, 10, 29, 1), 10);
	ck_assert_uint_eq(next_of(ps, 4, 0), 10);
	ck_assert_uint_eq(next_of(ps, 11, 1), 30);
	pasid_space_free(ps);
}
END_TEST

/* Size of one per-PASID owner table (a chunk of 256 with two owners). */
#define TABLE_BYTES (256 * sizeof(uint32_t))

START_TEST(test_width20)
{
	struct pasid_space *ps = pasid_space_new(20);
	size_t heap0;
	uint32_t i;

	ck_assert_ptr_nonnull(ps);
	heap0 = pasid_space_heap_bytes(ps);
	/* The bitmaps and chunk records, no owner tables: about 260 KiB. */
	ck_assert_uint_lt(heap0, 272 * 1024);

	ck_assert_uint_eq(alloc_ok(ps, MAX20, MAX20, 1), MAX20);
	ck_assert_uint_eq(alloc_ok(ps, MAX20 - 1, MAX20, 1), MAX20 - 1);
	ck_assert_uint_eq(pasid_space_heap_bytes(ps), heap0); /* one owner */
	ck_assert_int_eq(alloc_ret(ps, MAX20 - 1, MAX20, 1), -ENOSPC);
	ck_assert_int_eq(alloc_ret(ps, MAX20, MAX20, 2), -EEXIST);
	ck_assert_int_eq(alloc_ret(ps, MAX20, MAX20 + 1, 2), -EINVAL);
	ck_assert_uint_eq(next_of(ps, 0, 0), MAX20 - 1);
	ck_assert_uint_eq(next_of(ps, MAX20, 0), MAX20);
	ck_assert_uint_eq(next_of(ps, MAX20 + 1, 0), UINT32_MAX);
	ck_assert_uint_eq(pasid_space_owner(ps, MAX20 + 1), 0);
	ck_assert_uint_eq(pasid_space_owner(ps, MAX20 - 2), 0);
	ck_assert_int_eq(pasid_space_release(ps, MAX20 + 1, 1), -ENOENT);
	ck_assert_int_eq(pasid_space_release(ps, MAX20 - 2, 1), -ENOENT);

	/*
	 * Lowest fit across every level: a level-1 bit covers 4096 PASIDs,
	 * a level-2 bit 262144.
	 */
	for (i = 1; i <= 300000; i++)
		require_eq(alloc_ok(ps, 1, MAX20, 2), i);
	/* the last chunk has room, but not at or above min: search past it */
	ck_assert_int_eq(alloc_ret(ps, MAX20 - 1, MAX20, 1), -ENOSPC);
	ck_assert_uint_eq(pasid_space_heap_bytes(ps), heap0);
	ck_assert_uint_eq(pasid_space_owner(ps, 0), 0);
	ck_assert_int_eq(pasid_space_release(ps, 0, 2), -ENOENT);
	ck_assert_int_eq(pasid_space_release(ps, 262145, 2), 0);
	/* a second owner in a chunk of owner 2: one table */
	ck_assert_uint_eq(alloc_ok(ps, 1, MAX20, 3), 262145);
	ck_assert_uint_eq(pasid_space_heap_bytes(ps), heap0 + TABLE_BYTES);
	ck_assert_uint_eq(pasid_space_owner(ps, 262144), 2);
	ck_assert_uint_eq(pasid_space_owner(ps, 262146), 2);
	ck_assert_int_eq(pasid_space_release(ps, 4096, 2), 0);
	ck_assert_int_eq(pasid_space_release(ps, 5, 2), 0);
	ck_assert_uint_eq(alloc_ok(ps, 6, MAX20, 3), 4096);
	ck_assert_uint_eq(alloc_ok(ps, 6, MAX20, 3), 300001);
	ck_assert_uint_eq(alloc_ok(ps, 1, MAX20, 3), 5);
	ck_assert_uint_eq(pasid_space_heap_bytes(ps), heap0 + 4 * TABLE_BYTES);
	ck_assert_uint_eq(next_of(ps, 1, 3), 5);
	ck_assert_uint_eq(next_of(ps, 6, 3), 4096);
	ck_assert_uint_eq(next_of(ps, 4097, 3), 262145);
	ck_assert_uint_eq(next_of(ps, 262146, 3), 300001);
	ck_assert_uint_eq(next_of(ps, 300002, 3), UINT32_MAX);
	ck_assert_uint_eq(next_of(ps, 300002, 0), MAX20 - 1);
	ck_assert_uint_eq(next_of(ps, 300002, 1), MAX20 - 1);
	ck_assert_uint_eq(next_of(ps, 5, 2), 6);
	ck_assert_uint_eq(next_of(ps, 299999, 2), 299999);
	ck_assert_uint_eq(next_of(ps, 300001, 2), UINT32_MAX);

	/* Fill it all, then empty it: memory goes back to (almost) nothing. */
	for (i = 300002; i < MAX20 - 1; i++)
		require_eq(alloc_ok(ps, 300002, MAX20, 4), i);
	ck_assert_uint_eq(pasid_space_count(ps), MAX20);
	ck_assert_int_eq(alloc_ret(ps, 1, MAX20, 4), -ENOSPC);
	/* tables only where owners meet: the four above and the last chunk */
	ck_assert_uint_eq(pasid_space_heap_bytes(ps), heap0 + 5 * TABLE_BYTES);
	ck_assert_uint_eq(pasid_space_owner(ps, MAX20 - 2), 4);
	ck_assert_uint_eq(pasid_space_owner(ps, MAX20 - 1), 1);
	for (i = 1; i <= 4; i++)
		pasid_space_release_owner(ps, i);
	ck_assert_uint_eq(pasid_space_count(ps), 0);
	ck_assert_uint_eq(next_of(ps, 0, 0), UINT32_MAX);
	ck_assert_uint_eq(pasid_space_heap_bytes(ps), heap0 + TABLE_BYTES); /* spare */
	ck_assert_uint_eq(alloc_ok(ps, 1, MAX20, 5), 1);
	pasid_space_free(ps);
}
END_TEST

/* Every chunk shared by two owners: a table each, freed as they empty. */
START_TEST(test_owner_tables)
{
	struct pasid_space *ps = pasid_space_new(12);
	size_t heap0 = pasid_space_heap_bytes(ps);
	uint32_t i;

	for (i = 1; i < 4096; i++)
		require_eq(alloc_ok(ps, 1, 4095, i % 2 + 1), i);
	ck_assert_uint_eq(pasid_space_heap_bytes(ps), heap0 + 16 * TABLE_BYTES);
	for (i = 1; i < 4096; i++)
		require_eq(pasid_space_owner(ps, i), i % 2 + 1);
	ck_assert_uint_eq(next_of(ps, 301, 1), 302);
	ck_assert_uint_eq(next_of(ps, 302, 2), 303);
	/* owner 2 gone: the chunks keep their tables, still one owner each */
	pasid_space_release_owner(ps, 2);
	ck_assert_uint_eq(pasid_space_count(ps), 2047);
	ck_assert_uint_eq(pasid_space_heap_bytes(ps), heap0 + 16 * TABLE_BYTES);
	ck_assert_uint_eq(alloc_ok(ps, 1, 4095, 3), 1);
	/* emptied chunks give their tables back, all but one spare */
	pasid_space_release_owner(ps, 1);
	ck_assert_uint_eq(pasid_space_heap_bytes(ps), heap0 + 2 * TABLE_BYTES);
	ck_assert_int_eq(pasid_space_release(ps, 1, 3), 0);
	ck_assert_uint_eq(pasid_space_heap_bytes(ps), heap0 + TABLE_BYTES);
	ck_assert_uint_eq(pasid_space_count(ps), 0);
	pasid_space_free(ps);
}
END_TEST

START_TEST(test_next_count_release_owner)
{
	struct pasid_space *ps = pasid_space_new(10);
	unsigned long allocs;
	uint32_t i, p, n;
	size_t heap0;

	ck_assert_ptr_nonnull(ps);
	heap0 = pasid_space_heap_bytes(ps);
	for (i = 1; i <= 600; i++)
		alloc_ok(ps, i, i, i % 3 + 1);
	ck_assert_uint_eq(pasid_space_count(ps), 600);

	/* Nothing below allocates, even with a failure armed. */
	allocs = ioasid_alloc_count();
	ioasid_alloc_fail_nth(1);

	for (n = 0, p = next_of(ps, 0, 2); p != UINT32_MAX;
	     p = next_of(ps, p + 1, 2), n++)
		ck_assert_uint_eq(p, 3 * n + 1);
	ck_assert_uint_eq(n, 200);
	for (n = 0, p = next_of(ps, 0, 0); p != UINT32_MAX;
	     p = next_of(ps, p + 1, 0), n++)
		ck_assert_uint_eq(p, n + 1);
	ck_assert_uint_eq(n, 600);
	ck_assert_uint_eq(next_of(ps, 301, 3), 302);
	ck_assert_uint_eq(next_of(ps, 301, 1), 303);
	ck_assert_uint_eq(next_of(ps, 601, 0), UINT32_MAX);
	ck_assert_uint_eq(next_of(ps, 0, 4), UINT32_MAX);

	pasid_space_release_owner(ps, 0);
	pasid_space_release_owner(ps, 99);
	ck_assert_uint_eq(pasid_space_count(ps), 600);
	pasid_space_release_owner(ps, 2);
	ck_assert_uint_eq(pasid_space_count(ps), 400);
	ck_assert_uint_eq(next_of(ps, 0, 2), UINT32_MAX);
	for (i = 1; i <= 600; i++)
		ck_assert_uint_eq(pasid_space_owner(ps, i),
				  i % 3 == 1 ? 0 : i % 3 + 1);
	ck_assert_int_eq(pasid_space_release(ps, 4, 2), -ENOENT);
	ck_assert_int_eq(pasid_space_release(ps, 5, 2), -EPERM);
	ck_assert_int_eq(pasid_space_release(ps, 5, 3), 0);
	ck_assert_uint_eq(pasid_space_count(ps), 399);

	ck_assert(!ioasid_alloc_failed());
	ck_assert_uint_eq(ioasid_alloc_count(), allocs);
	ioasid_alloc_fail_nth(0);

	/* The freed PASIDs are the lowest free ones again. */
	ck_assert_uint_eq(alloc_ok(ps, 1, 1023, 4), 1);
	ck_assert_uint_eq(alloc_ok(ps, 1, 1023, 4), 4);
	ck_assert_uint_eq(alloc_ok(ps, 1, 1023, 4), 5);
	ck_assert_uint_eq(alloc_ok(ps, 1, 1023, 4), 7);
	for (i = 1; i <= 4; i++)
		pasid_space_release_owner(ps, i);
	ck_assert_uint_eq(pasid_space_count(ps), 0);
	ck_assert_uint_eq(pasid_space_heap_bytes(ps), heap0 + TABLE_BYTES);
	pasid_space_free(ps);
}
END_TEST

/* ---- randomized run against a plain array of owners ---- */

struct model {
	uint32_t *owner; /* [nbits]; 0 = free */
	uint32_t nbits, count;
};

static int model_alloc(struct model *m, uint32_t min, uint32_t max,
		       uint32_t owner, uint32_t *out)
{
	uint32_t p;

	if (min == max) {
		if (m->owner[min])
			return -EEXIST;
		p = min;
	} else {
		for (p = min; p <= max && m->owner[p]; p++)
			;
		if (p > max)
			return -ENOSPC;
	}
	m->owner[p] = owner;
	m->count++;
	*out = p;
	return 0;
}

static int model_release(struct model *m, uint32_t pasid, uint32_t owner)
{
	if (pasid >= m->nbits || !m->owner[pasid])
		return -ENOENT;
	if (m->owner[pasid] != owner)
		return -EPERM;
	m->owner[pasid] = 0;
	m->count--;
	return 0;
}

static uint32_t model_next(const struct model *m, uint32_t from, uint32_t owner)
{
	uint32_t p;

	for (p = from; p < m->nbits; p++)
		if (m->owner[p] && (!owner || m->owner[p] == owner))
			return p;
	return UINT32_MAX;
}

static void model_release_owner(struct model *m, uint32_t owner)
{
	uint32_t p;

	for (p = 0; p < m->nbits && owner; p++) {
		if (m->owner[p] == owner) {
			m->owner[p] = 0;
			m->count--;
		}
	}
}

/* Every allocated PASID and its owner agree with the model. */
static void check_all(const struct pasid_space *ps, const struct model *m)
{
	uint32_t p = 0, q;

	require_eq(pasid_space_count(ps), m->count);
	for (;;) {
		q = model_next(m, p, 0);
		require_eq(next_of(ps, p, 0), q);
		if (q == UINT32_MAX)
			break;
		require_eq(pasid_space_owner(ps, q), m->owner[q]);
		p = q + 1;
	}
}

/* Op @i of differential(): an allocation in a random range, as the model does. */
static void differential_alloc(struct pasid_space *ps, struct model *m, unsigned int i,
			       uint32_t span, uint32_t owner)
{
	uint32_t top = m->nbits - 1;
	uint32_t min = 1 + rnd(top), max, a, b;
	int r, want;

	if (rnd(8) == 0)
		max = min;
	else if (rnd(4) == 0)
		max = top;
	else
		max = min + rnd(span);
	if (max > top)
		max = top;
	a = b = 0xdeadbeef;
	want = model_alloc(m, min, max, owner, &a);
	r = pasid_space_alloc(ps, min, max, owner, &b);
	require(r == want, "op %u: alloc [%u, %u]: %d, model %d", i, min, max, r, want);
	require_eq(a, b);
}

/* Op @i of differential(): a release, mostly of a live PASID by its owner. */
static void differential_release(struct pasid_space *ps, struct model *m, unsigned int i,
				 uint32_t owner)
{
	/* mostly live PASIDs, sometimes wrong owners or junk */
	uint32_t p = rnd(4) ? model_next(m, rnd(m->nbits), 0) : rnd(m->nbits + 2);
	int r, want;

	if (p == UINT32_MAX)
		p = rnd(m->nbits + 2);
	if (rnd(4) && p < m->nbits && m->owner[p])
		owner = m->owner[p];
	else if (rnd(8) == 0)
		owner = 0;
	want = model_release(m, p, owner);
	r = pasid_space_release(ps, p, owner);
	require(r == want, "op %u: release %u/%u: %d, model %d", i, p, owner, r, want);
}

/*
 * @ops random calls on a space of @width bits. Ranges are at most @span
 * wide (keeps the brute-force model cheap at 20 bits). Phases of mostly
 * allocating and mostly freeing sweep the fill level up and down so the
 * summaries empty and fill at every level.
 */
static void differential(unsigned int width, unsigned int ops, uint32_t span,
			 uint64_t seed)
{
	struct pasid_space *ps = pasid_space_new(width);
	struct model m = { .nbits = UINT32_C(1) << width };
	size_t heap0;
	unsigned int i;

	ck_assert_ptr_nonnull(ps);
	m.owner = calloc(m.nbits, sizeof(*m.owner));
	ck_assert_ptr_nonnull(m.owner);
	rng_state = seed;
	heap0 = pasid_space_heap_bytes(ps);

	for (i = 0; i < ops; i++) {
		unsigned int phase = i / (ops / 8 + 1);
		bool filling = phase % 2 == 0;
		/* one owner (no owner tables), two, or four */
		uint32_t k = rnd(100), owner = 1 + rnd(1U << (phase / 2 % 3)), a;

		if (k < (filling ? 70u : 25u)) {
			differential_alloc(ps, &m, i, span, owner);
		} else if (k < 90) {
			differential_release(ps, &m, i, owner);
		} else if (k < 97) {
			uint32_t from = rnd(m.nbits + 2);

			if (rnd(3) == 0)
				owner = 0;
			require_eq(next_of(ps, from, owner),
				   model_next(&m, from, owner));
		} else if (k < 99) {
			a = rnd(m.nbits + 2);
			require_eq(pasid_space_owner(ps, a),
				   a < m.nbits ? m.owner[a] : 0);
		} else {
			model_release_owner(&m, owner);
			pasid_space_release_owner(ps, owner);
		}
		require_eq(pasid_space_count(ps), m.count);
		if (i % 4096 == 0)
			check_all(ps, &m);
	}
	check_all(ps, &m);

	for (i = 1; i <= 4; i++) {
		model_release_owner(&m, i);
		pasid_space_release_owner(ps, i);
	}
	check_all(ps, &m);
	require_eq(pasid_space_count(ps), 0);
	/* at most the one spare owner table is left over */
	ck_assert_uint_le(pasid_space_heap_bytes(ps), heap0 + TABLE_BYTES);
	free(m.owner);
	pasid_space_free(ps);
}

START_TEST(test_differential_small)
{
	differential(3, 4000, 8, 0x9e3779b97f4a7c15ULL);
	differential(6, 6000, 64, 0x2545f4914f6cdd1dULL);
	differential(7, 10000, 128, 0x3c6ef372fe94f82bULL);
}
END_TEST

START_TEST(test_differential_mid)
{
	/* 2 chunks; 32 (one summary word); 128 (two summary words) */
	differential(9, 8000, 512, 0x5851f42d4c957f2dULL);
	differential(13, 12000, 8192, 0xdb4f0b9175ae2165ULL);
	differential(15, 6000, 4096, 0x14057b7ef767814fULL);
}
END_TEST

START_TEST(test_differential_20)
{
	/* narrow ranges, but min anywhere in the space */
	differential(20, 5000, 512, 0x853c49e6748fea9bULL);
}
END_TEST

/* ---- allocation failure at every position ---- */

#define SNAP_MAX 16

struct snap {
	uint32_t count, n;
	uint32_t pasid[SNAP_MAX], owner[SNAP_MAX];
	size_t heap;
};

static void take_snap(const struct pasid_space *ps, struct snap *s)
{
	uint32_t p = 0;

	memset(s, 0, sizeof(*s));
	s->count = pasid_space_count(ps);
	s->heap = pasid_space_heap_bytes(ps);
	while (s->n < SNAP_MAX && !pasid_space_next(ps, p, 0, &p)) {
		s->pasid[s->n] = p;
		s->owner[s->n++] = pasid_space_owner(ps, p);
		p++;
	}
}

/*
 * Fail the 1st, 2nd, ... allocation of alloc(@min, @max, @owner) until it
 * goes through; every failure must be -ENOMEM with nothing changed.
 * Return: the PASID, after checking it is @want.
 */
static uint32_t alloc_fail_each(struct pasid_space *ps, uint32_t min,
				uint32_t max, uint32_t owner, uint32_t want,
				unsigned int want_fails)
{
	struct snap before, after;
	unsigned long n;
	unsigned int fails = 0;
	uint32_t p;
	int r;

	for (n = 1;; n++) {
		take_snap(ps, &before);
		p = 0xdeadbeef;
		ioasid_alloc_fail_nth(n);
		r = pasid_space_alloc(ps, min, max, owner, &p);
		ioasid_alloc_fail_nth(0);
		if (!ioasid_alloc_failed())
			break;
		fails++;
		ck_assert_msg(r == -ENOMEM, "alloc [%u, %u] failing #%lu: %d",
			      min, max, n, r);
		ck_assert_uint_eq(p, 0xdeadbeef);
		take_snap(ps, &after);
		ck_assert_msg(!memcmp(&before, &after, sizeof(before)),
			      "state changed after failing allocation %lu", n);
		ck_assert_uint_eq(pasid_space_owner(ps, want), 0);
	}
	ck_assert_msg(r == 0, "alloc [%u, %u]: %d", min, max, r);
	ck_assert_uint_eq(p, want);
	ck_assert_uint_eq(fails, want_fails);
	return p;
}

START_TEST(test_alloc_fail_nth)
{
	struct pasid_space *ps = NULL;
	unsigned int width, fails;
	unsigned long n;

	/* pasid_space_new(): NULL for each failure, then a space. */
	for (width = 0; width <= 20; width += 5) {
		fails = 0;
		for (n = 1;; n++) {
			ioasid_alloc_fail_nth(n);
			ps = pasid_space_new(width);
			ioasid_alloc_fail_nth(0);
			if (!ioasid_alloc_failed())
				break;
			ck_assert_ptr_null(ps);
			fails++;
		}
		ck_assert_ptr_nonnull(ps);
		ck_assert_uint_ge(fails, 1);
		ck_assert_uint_eq(pasid_space_count(ps), 0);
		if (width != 20)
			pasid_space_free(ps);
	}

	/* one owner per chunk needs no memory */
	alloc_fail_each(ps, 1, MAX20, 1, 1, 0);
	alloc_fail_each(ps, 200, 200, 1, 200, 0);
	/* a second owner in chunk 0: its owner table */
	alloc_fail_each(ps, 1, MAX20, 2, 2, 1);
	alloc_fail_each(ps, 3, MAX20, 3, 3, 0);
	/* the same in chunk 1, by exact PASID */
	alloc_fail_each(ps, 256, 256, 3, 256, 0);
	alloc_fail_each(ps, 257, 257, 4, 257, 1);
	/* emptying chunk 1 keeps its table as the spare, reused next */
	ck_assert_int_eq(pasid_space_release(ps, 256, 3), 0);
	ck_assert_int_eq(pasid_space_release(ps, 257, 4), 0);
	alloc_fail_each(ps, 512, 512, 1, 512, 0);
	alloc_fail_each(ps, 513, 513, 2, 513, 0);
	/* at the very top */
	alloc_fail_each(ps, MAX20, MAX20, 5, MAX20, 0);
	alloc_fail_each(ps, MAX20 - 1, MAX20, 6, MAX20 - 1, 1);
	/* lowest-fit searches landing in a mixed, an empty, a one-owner chunk */
	alloc_fail_each(ps, 4, MAX20, 7, 4, 0);
	alloc_fail_each(ps, 258, MAX20, 8, 258, 0);
	alloc_fail_each(ps, 259, MAX20, 9, 259, 1);
	ck_assert_uint_eq(pasid_space_count(ps), 11);
	pasid_space_free(ps);
}
END_TEST

Suite *pasid_alloc_suite(void)
{
	Suite *s = suite_create("pasid_alloc");
	TCase *tc = tcase_create("fixed");
	TCase *tr = tcase_create("random");

	tcase_add_test(tc, test_bad_width_and_null);
	tcase_add_test(tc, test_width0);
	tcase_add_test(tc, test_width1);
	tcase_add_test(tc, test_width5_lowest_fit);
	tcase_add_test(tc, test_width20);
	tcase_add_test(tc, test_owner_tables);
	tcase_add_test(tc, test_next_count_release_owner);
	tcase_add_test(tc, test_alloc_fail_nth);
	suite_add_tcase(s, tc);

	/* generous for valgrind; natively the three take well under 1 s */
	tcase_set_timeout(tr, 120);
	tcase_add_test(tr, test_differential_small);
	tcase_add_test(tr, test_differential_mid);
	tcase_add_test(tr, test_differential_20);
	suite_add_tcase(s, tr);
	return s;
}
