/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the simulator's translation caches (lib/backend/sim/iotlb.c):
 * hits and misses for every page size, replacement within a set, each kind
 * and granularity of invalidation with the counts they return, the
 * device-IOTLB and the PASID cache, and a randomized run checked against a
 * model of what may still be cached.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "backend/sim/iotlb.h"
#include "backend/sim/pgtable.h"
#include "suites.h"

Suite *iotlb_suite(void);

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

#define K4 (UINT64_C(1) << 12)
#define M2 (UINT64_C(1) << 21)
#define G1 (UINT64_C(1) << 30)
#define RW (SIM_PT_R | SIM_PT_W)

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t oa_of(const struct sim_iotlb_entry *e, uint64_t iova)
{
	return e->oa + (iova & (sim_iotlb_entry_size(e) - 1));
}

/* The set a 4K leaf of (@id, @pasid, @iova) lives in. */
static uint32_t set_of(const struct sim_iotlb *t, uint32_t id, uint32_t pasid, uint64_t iova)
{
	return sim_iotlb_set(t, (iova >> 12) & SIM_IOTLB_VPN_MASK,
			     (uint64_t)id << 32 | pasid);
}

struct counter {
	uint32_t id, pasid;  /* pasid SIM_PASID_ANY: any */
	uint32_t kinds;
	uint64_t start, last;
	uint64_t n;
};

static int count_cb(void *opaque, uint32_t id, uint32_t pasid, const struct sim_iotlb_entry *e)
{
	struct counter *c = opaque;
	uint64_t end = e->iova + sim_iotlb_entry_size(e) - 1;

	if (id == c->id && (c->pasid == SIM_PASID_ANY || pasid == c->pasid) &&
	    (c->kinds & (1u << e->kind)) && e->iova <= c->last && end >= c->start)
		c->n++;
	return 0;
}

/* Valid entries of (@id, @pasid) of @kinds overlapping [start, last]. */
static uint64_t count_matching(const struct sim_iotlb *t, uint32_t id, uint32_t pasid,
			       uint32_t kinds, uint64_t start, uint64_t last)
{
	struct counter c = { id, pasid, kinds, start, last, 0 };

	sim_iotlb_for_each(t, count_cb, &c);
	return c.n;
}

static uint64_t count_all(const struct sim_iotlb *t, uint32_t id)
{
	return count_matching(t, id, SIM_PASID_ANY, ~0u, 0, ~UINT64_C(0));
}

START_TEST(test_hit_miss)
{
	struct sim_iotlb *t = sim_iotlb_new(512);
	const struct sim_iotlb_entry *e;
	struct sim_iotlb_stats st;
	uint64_t va;

	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(sim_iotlb_capacity(t), 512);
	ck_assert_ptr_null(sim_iotlb_lookup(t, 1, SIM_PASID_NONE, 0x1234000));

	ck_assert_int_eq(sim_iotlb_insert(t, 1, SIM_PASID_NONE, 0x1234000, K4, 0xabc000, RW,
					  0xdead), 0);
	e = sim_iotlb_lookup(t, 1, SIM_PASID_NONE, 0x1234abc);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(oa_of(e, 0x1234abc), 0xabcabc);
	ck_assert_uint_eq(e->perm, RW);
	ck_assert_uint_eq(e->data, 0xdead);
	ck_assert_uint_eq(e->iova, 0x1234000);
	ck_assert_uint_eq(e->level, 1);
	ck_assert_uint_eq(sim_iotlb_entry_size(e), K4);
	/* each part of the tag matters */
	ck_assert_ptr_null(sim_iotlb_lookup(t, 1, 0x123, 0x1234abc));
	ck_assert_ptr_null(sim_iotlb_lookup(t, 2, SIM_PASID_NONE, 0x1234abc));
	ck_assert_ptr_null(sim_iotlb_lookup(t, 1, SIM_PASID_NONE, 0x1235000));
	ck_assert_ptr_null(sim_iotlb_lookup(t, 1, SIM_PASID_NONE, 0x1233fff));
	ck_assert_ptr_null(sim_iotlb_lookup(t, 1, SIM_PASID_NONE, 0x1234000 | (UINT64_C(1) << 48)));

	/* a 2M entry answers for every address inside it, and only there */
	ck_assert_int_eq(sim_iotlb_insert(t, 1, 0x123, 0x40000000 + 0x12345, M2,
					  0x80000000 + 0x12000, SIM_PT_R, 0), 0);
	for (va = 0x40000000; va < 0x40000000 + M2; va += K4) {
		e = sim_iotlb_lookup(t, 1, 0x123, va + 0x10);
		expect(e && oa_of(e, va + 0x10) == 0x80000000 + (va - 0x40000000) + 0x10 &&
		       sim_iotlb_entry_size(e) == M2 && e->level == 2, "2M lookup %#llx",
		       (unsigned long long)va);
	}
	ck_assert_ptr_null(sim_iotlb_lookup(t, 1, 0x123, 0x40000000 - 1));
	ck_assert_ptr_null(sim_iotlb_lookup(t, 1, 0x123, 0x40000000 + M2));
	/* 1G */
	ck_assert_int_eq(sim_iotlb_insert(t, 1, 0x123, 4 * G1, G1, 8 * G1, RW, 0), 0);
	e = sim_iotlb_lookup(t, 1, 0x123, 5 * G1 - 1);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(oa_of(e, 5 * G1 - 1), 9 * G1 - 1);
	ck_assert_uint_eq(e->level, 3);
	/* a 4K entry inside the 2M one is found first */
	ck_assert_int_eq(sim_iotlb_insert(t, 1, 0x123, 0x40005000, K4, 0x777000, RW, 0), 0);
	ck_assert_uint_eq(oa_of(sim_iotlb_lookup(t, 1, 0x123, 0x40005008), 0x40005008), 0x777008);
	ck_assert_uint_eq(oa_of(sim_iotlb_lookup(t, 1, 0x123, 0x40006008), 0x40006008),
			  0x80006008);
	/* the same tag again replaces the entry */
	ck_assert_uint_eq(sim_iotlb_count(t), 4);
	ck_assert_int_eq(sim_iotlb_insert(t, 1, SIM_PASID_NONE, 0x1234fff, K4, 0xbbb000, SIM_PT_R,
					  0), 0);
	ck_assert_uint_eq(sim_iotlb_count(t), 4);
	ck_assert_uint_eq(sim_iotlb_lookup(t, 1, SIM_PASID_NONE, 0x1234000)->oa, 0xbbb000);
	/* bad arguments */
	ck_assert_int_eq(sim_iotlb_insert(t, 1, 1, 0, 8192, 0, RW, 0), -EINVAL);
	ck_assert_int_eq(sim_iotlb_insert(t, 1, SIM_PASID_ANY, 0, K4, 0, RW, 0), -EINVAL);
	ck_assert_int_eq(sim_iotlb_insert_table(t, 1, 1, 0, 4, 0, RW), -EINVAL);

	sim_iotlb_stats(t, &st);
	ck_assert_uint_eq(st.hits, 512 + 1 + 2 + 1 + 1);
	ck_assert_uint_eq(st.misses, 1 + 5 + 2);
	ck_assert_uint_eq(st.inserts, 5);
	ck_assert_uint_eq(st.evictions, 0);
	ck_assert_uint_eq(st.inv_calls, 0);

	ck_assert_ptr_null(sim_iotlb_new(0));
	ck_assert_ptr_null(sim_iotlb_new(2));
	ck_assert_ptr_null(sim_iotlb_new(24));
	ck_assert_int_eq(errno, EINVAL);
	sim_iotlb_free(t);
	sim_iotlb_free(NULL);
}
END_TEST

START_TEST(test_replacement)
{
	struct sim_iotlb *t = sim_iotlb_new(16); /* 4 sets of 4 */
	struct sim_iotlb_stats st;
	uint64_t same[6], va;
	int n = 0, i;

	/* six pages that land in the same set */
	for (va = 0; n < 6; va += K4)
		if (set_of(t, 3, 9, va) == set_of(t, 3, 9, 0))
			same[n++] = va;
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(sim_iotlb_insert(t, 3, 9, same[i], K4, same[i] + K4, RW, 0), 0);
	for (i = 0; i < 4; i++)
		ck_assert_ptr_nonnull(sim_iotlb_lookup(t, 3, 9, same[i]));
	sim_iotlb_stats(t, &st);
	ck_assert_uint_eq(st.evictions, 0);
	/* round robin: the 5th replaces the 1st, the 6th the 2nd */
	ck_assert_int_eq(sim_iotlb_insert(t, 3, 9, same[4], K4, 0, RW, 0), 0);
	ck_assert_ptr_null(sim_iotlb_lookup(t, 3, 9, same[0]));
	ck_assert_ptr_nonnull(sim_iotlb_lookup(t, 3, 9, same[1]));
	ck_assert_int_eq(sim_iotlb_insert(t, 3, 9, same[5], K4, 0, RW, 0), 0);
	ck_assert_ptr_null(sim_iotlb_lookup(t, 3, 9, same[1]));
	for (i = 2; i < 6; i++)
		ck_assert_ptr_nonnull(sim_iotlb_lookup(t, 3, 9, same[i]));
	sim_iotlb_stats(t, &st);
	ck_assert_uint_eq(st.evictions, 2);
	ck_assert_uint_eq(sim_iotlb_count(t), 4);
	/* a way freed by an invalidation is reused before anything is evicted */
	ck_assert_uint_eq(sim_iotlb_inv_range(t, 3, 9, same[3], 1, 12, 0), 1);
	ck_assert_int_eq(sim_iotlb_insert(t, 3, 9, same[0], K4, 0, RW, 0), 0);
	sim_iotlb_stats(t, &st);
	ck_assert_uint_eq(st.evictions, 2);
	for (i = 0; i < 6; i++)
		ck_assert(!sim_iotlb_lookup(t, 3, 9, same[i]) == (i == 1 || i == 3));

	/* many distinct pages: never more than the capacity, every insert
	 * beyond it an eviction */
	sim_iotlb_inv_all(t);
	sim_iotlb_stats(t, &st);
	for (i = 0; i < 1000; i++)
		sim_iotlb_insert(t, 3, 9, (uint64_t)i * K4, K4, 0, RW, 0);
	ck_assert_uint_eq(sim_iotlb_count(t), 16);
	ck_assert_uint_eq(count_all(t, 3), 16);
	{
		struct sim_iotlb_stats st2;

		sim_iotlb_stats(t, &st2);
		ck_assert_uint_eq(st2.evictions - st.evictions, 1000 - 16);
	}
	sim_iotlb_free(t);
}
END_TEST

START_TEST(test_inv_all)
{
	struct sim_iotlb *t = sim_iotlb_new(64);
	struct sim_iotlb_stats st;
	unsigned int i;

	for (i = 0; i < 10; i++)
		sim_iotlb_insert(t, i, SIM_PASID_NONE, i * M2, i & 1 ? M2 : K4, 0, RW, 0);
	sim_iotlb_insert_table(t, 1, 1, 0, 1, 0x1000, RW);
	ck_assert_uint_eq(sim_iotlb_count(t), 11);
	ck_assert_uint_eq(sim_iotlb_inv_all(t), 11);
	ck_assert_uint_eq(sim_iotlb_count(t), 0);
	for (i = 0; i < 10; i++)
		ck_assert_ptr_null(sim_iotlb_lookup(t, i, SIM_PASID_NONE, i * M2));
	ck_assert_ptr_null(sim_iotlb_lookup_table(t, 1, 1, 0));
	ck_assert_uint_eq(count_all(t, 1), 0);
	sim_iotlb_stats(t, &st);
	ck_assert_uint_eq(st.inv_calls, 1);
	ck_assert_uint_eq(st.inv_entries, 11);

	sim_iotlb_free(t);

	/*
	 * Across the wrap of the 16-bit generation nothing old comes back: not
	 * the entries of the first generations, not the zeroed slots. A big
	 * cache, so that the few inserts on the way do not happen to overwrite
	 * the old entries' slots.
	 */
	t = sim_iotlb_new(4096);
	for (i = 0; i < 10; i++)
		sim_iotlb_insert(t, 5, 5, 0x5000 + i * K4, K4, 0x5000, RW, 0);
	for (i = 0; i < 70000; i++) {
		expect(sim_iotlb_inv_all(t) == (i == 0 ? 10 : i % 4096 == 1), "flush %u", i);
		if (i % 4096 == 0) {
			sim_iotlb_insert(t, 6, 6, 0x100000 + i * K4, K4, 0x5000, RW, 0);
			expect(sim_iotlb_lookup(t, 6, 6, 0x100000 + i * K4), "flush %u", i);
		}
		expect(!sim_iotlb_lookup(t, 5, 5, 0x5000) && !sim_iotlb_lookup(t, 0, 0, 0) &&
		       sim_iotlb_count(t) == (i % 4096 == 0), "flush %u: stale hit", i);
		/* the hit path only probes page sizes it holds; for_each sees all */
		if (i % 1024 == 0 || (i > 65500 && i < 65600))
			expect(count_all(t, 5) == 0 && count_all(t, 0) == 0 &&
			       count_all(t, 6) == sim_iotlb_count(t), "flush %u: stale", i);
	}
	ck_assert_uint_eq(count_all(t, 5), 0);
	sim_iotlb_insert(t, 5, 5, 0x5000, K4, 0x6000, RW, 0);
	ck_assert_uint_eq(sim_iotlb_lookup(t, 5, 5, 0x5000)->oa, 0x6000);
	ck_assert_uint_eq(sim_iotlb_count(t), 1);
	sim_iotlb_free(t);
}
END_TEST

START_TEST(test_inv_domain_pasid)
{
	struct sim_iotlb *t = sim_iotlb_new(1024);
	const uint32_t pasids[3] = { SIM_PASID_NONE, 5, 6 };
	unsigned int d, p, i;

	for (d = 1; d <= 2; d++)
		for (p = 0; p < 3; p++)
			for (i = 0; i < 8; i++)
				ck_assert_int_eq(sim_iotlb_insert(t, d, pasids[p], i * M2,
								  i < 6 ? K4 : M2, 0, RW, 0), 0);
	for (d = 1; d <= 2; d++)
		ck_assert_int_eq(sim_iotlb_insert_table(t, d, 5, 0, 1, 0x1000, RW), 0);
	ck_assert_uint_eq(sim_iotlb_count(t), 2 * 3 * 8 + 2);

	/* a domain: everything of it, table entries included */
	ck_assert_uint_eq(sim_iotlb_inv_id(t, 1), 25);
	ck_assert_uint_eq(count_all(t, 1), 0);
	ck_assert_uint_eq(count_all(t, 2), 25);
	ck_assert_uint_eq(sim_iotlb_inv_id(t, 1), 0);
	/* one PASID of a domain */
	ck_assert_uint_eq(sim_iotlb_inv_pasid(t, 2, 5), 9);
	ck_assert_ptr_null(sim_iotlb_lookup_table(t, 2, 5, 0));
	ck_assert_ptr_null(sim_iotlb_lookup(t, 2, 5, 0));
	ck_assert_ptr_nonnull(sim_iotlb_lookup(t, 2, 6, 0));
	ck_assert_ptr_nonnull(sim_iotlb_lookup(t, 2, SIM_PASID_NONE, 0));
	/* requests without PASID are their own "PASID" */
	ck_assert_uint_eq(sim_iotlb_inv_pasid(t, 2, SIM_PASID_NONE), 8);
	ck_assert_ptr_null(sim_iotlb_lookup(t, 2, SIM_PASID_NONE, 7 * M2));
	ck_assert_ptr_nonnull(sim_iotlb_lookup(t, 2, 6, 7 * M2));
	ck_assert_uint_eq(sim_iotlb_count(t), 8);
	sim_iotlb_free(t);
}
END_TEST

START_TEST(test_inv_range)
{
	struct sim_iotlb *t = sim_iotlb_new(4096);
	unsigned int i;

	for (i = 0; i < 64; i++) {
		sim_iotlb_insert(t, 1, 5, 0x100000 + i * K4, K4, i * K4, RW, 0);
		sim_iotlb_insert(t, 1, 6, 0x100000 + i * K4, K4, i * K4, RW, 0);
		sim_iotlb_insert(t, 2, 5, 0x100000 + i * K4, K4, i * K4, RW, 0);
	}
	sim_iotlb_insert(t, 1, 5, 2 * M2, M2, 0, RW, 0);
	sim_iotlb_insert(t, 1, 5, G1, G1, 0, RW, 0);
	/* the walk reaches the PT of [0, 2M) and the PD of [1G, 2G) */
	sim_iotlb_insert_table(t, 1, 5, 0x100000, 1, 0x7000, RW);
	sim_iotlb_insert_table(t, 1, 5, G1, 2, 0x8000, SIM_PT_R);
	ck_assert_uint_eq(sim_iotlb_lookup_table(t, 1, 5, 0x1fffff)->oa, 0x7000);
	ck_assert_uint_eq(sim_iotlb_lookup_table(t, 1, 5, G1 + 5)->level, 2);
	ck_assert_ptr_null(sim_iotlb_lookup_table(t, 1, 5, M2));

	/* one 4K page, leaf hint: the page only */
	ck_assert_uint_eq(sim_iotlb_inv_range(t, 1, 5, 0x105000, 1, 12, SIM_IOTLB_INV_LEAF), 1);
	ck_assert_ptr_null(sim_iotlb_lookup(t, 1, 5, 0x105000));
	ck_assert_ptr_nonnull(sim_iotlb_lookup(t, 1, 5, 0x104000));
	ck_assert_ptr_nonnull(sim_iotlb_lookup(t, 1, 6, 0x105000));
	ck_assert_ptr_nonnull(sim_iotlb_lookup(t, 2, 5, 0x105000));
	ck_assert_ptr_nonnull(sim_iotlb_lookup_table(t, 1, 5, 0x105000));
	/* without the hint the table entry above the page goes too */
	ck_assert_uint_eq(sim_iotlb_inv_range(t, 1, 5, 0x106000, 1, 12, 0), 2);
	ck_assert_ptr_null(sim_iotlb_lookup_table(t, 1, 5, 0x105000));
	/* a 4K invalidation inside a 2M leaf or a 1G leaf drops the big leaf */
	ck_assert_uint_eq(sim_iotlb_inv_range(t, 1, 5, 2 * M2 + 0x3000, 1, 12,
					      SIM_IOTLB_INV_LEAF), 1);
	ck_assert_ptr_null(sim_iotlb_lookup(t, 1, 5, 2 * M2));
	ck_assert_uint_eq(sim_iotlb_inv_range(t, 1, 5, G1 + 5 * M2, 1, 21, SIM_IOTLB_INV_LEAF), 1);
	ck_assert_ptr_null(sim_iotlb_lookup(t, 1, 5, G1));
	ck_assert_ptr_nonnull(sim_iotlb_lookup_table(t, 1, 5, G1));
	/* a 2M invalidation (addr rounded down to 2M) drops every 4K page in it */
	ck_assert_uint_eq(sim_iotlb_inv_range(t, 1, 5, 0x123456, 1, 21, SIM_IOTLB_INV_LEAF), 62);
	ck_assert_uint_eq(count_all(t, 1), 64 + 1);
	/* a run of pages: 8 x 4K */
	ck_assert_uint_eq(sim_iotlb_inv_range(t, 1, 6, 0x108000, 8, 12, 0), 8);
	ck_assert_ptr_nonnull(sim_iotlb_lookup(t, 1, 6, 0x107000));
	ck_assert_ptr_nonnull(sim_iotlb_lookup(t, 1, 6, 0x110000));
	/* every PASID of the domain at once */
	sim_iotlb_insert(t, 1, SIM_PASID_NONE, 0x120000, K4, 0, RW, 0);
	sim_iotlb_insert(t, 1, 5, 0x120000, K4, 0, RW, 0);
	ck_assert_uint_eq(sim_iotlb_inv_range(t, 1, SIM_PASID_ANY, 0x120000, 1, 12, 0), 3);
	/* "everything" as VT-d writes it: addr 0, npages all ones */
	ck_assert_uint_eq(sim_iotlb_inv_range(t, 1, 6, 0, UINT64_MAX, 12, 0), 64 - 8 - 1);
	ck_assert_uint_eq(sim_iotlb_inv_range(t, 1, 5, 0, UINT64_MAX, 12, 0), 1);
	ck_assert_uint_eq(count_all(t, 1), 0);
	ck_assert_uint_eq(count_all(t, 2), 64);
	/* nothing, and odd arguments */
	ck_assert_uint_eq(sim_iotlb_inv_range(t, 2, 5, 0x100000, 0, 12, 0), 0);
	ck_assert_uint_eq(sim_iotlb_inv_range(t, 2, 5, 0x100000, 1, 64, 0), 0);
	ck_assert_uint_eq(sim_iotlb_inv_range(t, 2, 5, ~UINT64_C(0) - 5, 3, 63, 0), 0);
	ck_assert_uint_eq(sim_iotlb_inv_range(t, 2, 5, 0, 2, 63, 0), 64);
	sim_iotlb_free(t);
}
END_TEST

/*
 * Random inserts and range invalidations of every shape on a small cache
 * (so both the per-page probe and the scan are taken); each call must drop
 * exactly the valid entries that match, no more.
 */
START_TEST(test_inv_range_random)
{
	struct sim_iotlb *t = sim_iotlb_new(64);
	unsigned int i, round;

	rng = 0x243f6a8885a308d3ULL;
	for (round = 0; round < 3000; round++) {
		for (i = 0; i < 20; i++) {
			unsigned int k = (unsigned int)(rnd() % 8);
			uint32_t id = (uint32_t)(rnd() % 2), pasid = (uint32_t)(rnd() % 3);
			uint64_t va = rnd() % (4 * G1);

			if (pasid == 2)
				pasid = SIM_PASID_NONE;
			if (k < 3)
				sim_iotlb_insert(t, id, pasid, va, UINT64_C(1) << (12 + 9 * k), va, RW, 0);
			else if (k < 5)
				sim_iotlb_insert_table(t, id, pasid, va, k - 2, 0x1000, RW);
			else
				sim_iotlb_insert(t, id, pasid, va & ~(8 * M2 - 1), K4, 0, RW, 0);
		}
		{
			uint32_t id = (uint32_t)(rnd() % 2), p = (uint32_t)(rnd() % 4);
			uint32_t pasid = p == 2 ? SIM_PASID_NONE : p == 3 ? SIM_PASID_ANY : p;
			unsigned int lg2 = (unsigned int)(rnd() % 3) * 9 + 12;
			uint64_t npages = 1 + rnd() % (rnd() % 2 ? 4 : 2000);
			uint64_t addr = rnd() % (4 * G1), size = UINT64_C(1) << lg2;
			unsigned int flags = (unsigned int)(rnd() % 2);
			uint32_t kinds = flags ? SIM_IOTLB_LEAF_KINDS : ~0u;
			uint64_t start = addr & ~(size - 1), last = start + npages * size - 1;
			uint64_t want = count_matching(t, id, pasid, kinds, start, last);
			uint64_t before = sim_iotlb_count(t);

			uint64_t got = sim_iotlb_inv_range(t, id, pasid, addr, npages, lg2, flags);

			expect(got == want, "round %u: dropped %llu, want %llu", round,
			       (unsigned long long)got, (unsigned long long)want);
			expect(count_matching(t, id, pasid, kinds, start, last) == 0 &&
			       sim_iotlb_count(t) == before - want &&
			       count_all(t, 0) + count_all(t, 1) == sim_iotlb_count(t),
			       "round %u: wrong survivors", round);
		}
	}
	sim_iotlb_free(t);
}
END_TEST

/*
 * A model of the last value inserted under each tag, dropped on
 * invalidation: a hit must return exactly that value (a miss is always
 * allowed, entries get evicted).
 */
#define MODEL_MAX 4096
struct mentry {
	uint32_t id, pasid;
	uint64_t page, size, oa;
	bool live;
};
static struct mentry model[MODEL_MAX];
static unsigned int nmodel;

static struct mentry *model_find(uint32_t id, uint32_t pasid, uint64_t page, uint64_t size)
{
	unsigned int i;

	for (i = 0; i < nmodel; i++)
		if (model[i].id == id && model[i].pasid == pasid && model[i].page == page &&
		    model[i].size == size)
			return &model[i];
	expect(nmodel < MODEL_MAX, "model full");
	model[nmodel] = (struct mentry){ id, pasid, page, size, 0, false };
	return &model[nmodel++];
}

START_TEST(test_random_model)
{
	struct sim_iotlb *t = sim_iotlb_new(128);
	unsigned int step, i;

	rng = 0x13198a2e03707344ULL;
	nmodel = 0;
	for (step = 0; step < 40000; step++) {
		uint32_t id = (uint32_t)(rnd() % 3), pasid = (uint32_t)(rnd() % 3);
		uint64_t size = UINT64_C(1) << (12 + 9 * (rnd() % 3 ? 0 : 1 + rnd() % 2));
		uint64_t va = (rnd() % 64) * (rnd() % 4 ? K4 : M2);
		unsigned int op = (unsigned int)(rnd() % 100);
		const struct sim_iotlb_entry *e;
		struct mentry *m;

		if (op < 45) {
			m = model_find(id, pasid, va & ~(size - 1), size);
			m->oa = rnd() & ~(G1 - 1);
			m->live = true;
			sim_iotlb_insert(t, id, pasid, va, size, m->oa, RW, 0);
		} else if (op < 94) {
			e = sim_iotlb_lookup(t, id, pasid, va);
			if (e) {
				m = model_find(id, pasid, e->iova, sim_iotlb_entry_size(e));
				expect(m->live && e->oa == m->oa && va >= e->iova &&
				       va - e->iova < sim_iotlb_entry_size(e),
				       "step %u: a hit the model does not have", step);
				/* nothing smaller that is still cached covers va */
				expect(m->size == K4 ||
				       (!sim_iotlb_probe(t, 0, (uint64_t)id << 32 | pasid, va) &&
					(m->size == M2 ||
					 !sim_iotlb_probe(t, 1, (uint64_t)id << 32 | pasid, va))),
				       "step %u: not the smallest page", step);
			}
		} else if (op < 97) {
			uint64_t n = rnd() % 16 + 1;

			sim_iotlb_inv_range(t, id, pasid, va, n, 12, SIM_IOTLB_INV_LEAF);
			for (i = 0; i < nmodel; i++)
				if (model[i].id == id && model[i].pasid == pasid &&
				    model[i].page <= va + n * K4 - 1 &&
				    model[i].page + model[i].size - 1 >= (va & ~(K4 - 1)))
					model[i].live = false;
		} else if (op < 98) {
			sim_iotlb_inv_pasid(t, id, pasid);
			for (i = 0; i < nmodel; i++)
				if (model[i].id == id && model[i].pasid == pasid)
					model[i].live = false;
		} else if (op < 99) {
			sim_iotlb_inv_id(t, id);
			for (i = 0; i < nmodel; i++)
				if (model[i].id == id)
					model[i].live = false;
		} else {
			sim_iotlb_inv_all(t);
			for (i = 0; i < nmodel; i++)
				model[i].live = false;
		}
	}
	ck_assert_uint_eq(count_all(t, 0) + count_all(t, 1) + count_all(t, 2), sim_iotlb_count(t));
	sim_iotlb_free(t);
}
END_TEST

/* The device-IOTLB: the same cache keyed by device (requester) id. */
START_TEST(test_devtlb)
{
	struct sim_iotlb *dt = sim_iotlb_new(1024);
	const uint32_t dev_a = 0x0100, dev_b = 0x0208;
	struct sim_iotlb_stats st;
	unsigned int i;

	for (i = 0; i < 32; i++) {
		sim_iotlb_insert(dt, dev_a, 1, i * K4, K4, 0x10000000 + i * K4, RW, 0);
		sim_iotlb_insert(dt, dev_b, 1, i * K4, K4, 0x20000000 + i * K4, RW, 0);
	}
	sim_iotlb_insert(dt, dev_a, SIM_PASID_NONE, 0, M2, 0x40000000, SIM_PT_R, 0);
	ck_assert_uint_eq(sim_iotlb_lookup(dt, dev_b, 1, 0x5008)->oa, 0x20005000);
	/* an ATS invalidation of an aligned 64K span (16 pages) of dev_a, PASID 1 */
	ck_assert_uint_eq(sim_iotlb_inv_range(dt, dev_a, 1, 0x10000, 16, 12, 0), 16);
	ck_assert_ptr_null(sim_iotlb_lookup(dt, dev_a, 1, 0x10000));
	ck_assert_ptr_nonnull(sim_iotlb_lookup(dt, dev_a, 1, 0xf000));
	ck_assert_ptr_nonnull(sim_iotlb_lookup(dt, dev_b, 1, 0x10000));
	ck_assert_ptr_nonnull(sim_iotlb_lookup(dt, dev_a, SIM_PASID_NONE, 0x10000));
	/* the same span for every PASID of the device */
	ck_assert_uint_eq(sim_iotlb_inv_range(dt, dev_a, SIM_PASID_ANY, 0, 1, 16, 0), 16 + 1);
	/* all of one device */
	ck_assert_uint_eq(sim_iotlb_inv_id(dt, dev_b), 32);
	ck_assert_uint_eq(sim_iotlb_count(dt), 0);
	sim_iotlb_stats(dt, &st);
	ck_assert_uint_eq(st.inv_calls, 3);
	ck_assert_uint_eq(st.inv_entries, 65);
	sim_iotlb_free(dt);
}
END_TEST

START_TEST(test_pasid_cache)
{
	struct sim_pasid_cache *pc = sim_pasid_cache_new(1024);
	struct sim_iotlb_stats st;
	uint64_t root;
	uint32_t dom, flags, p;

	ck_assert_ptr_nonnull(pc);
	ck_assert(!sim_pasid_cache_lookup(pc, 0x100, 1, &root, &dom, &flags));
	for (p = 1; p <= 10; p++) {
		ck_assert_int_eq(sim_pasid_cache_insert(pc, 0x100, p, 0x1000 * p, p <= 5 ? 7 : 8,
							 p), 0);
		ck_assert_int_eq(sim_pasid_cache_insert(pc, 0x200, p, 0x100000 * p, 9, 0), 0);
	}
	ck_assert_int_eq(sim_pasid_cache_insert(pc, 0x200, SIM_PASID_NONE, 0xabc000, 9, 0), 0);
	ck_assert(sim_pasid_cache_lookup(pc, 0x100, 3, &root, &dom, &flags));
	ck_assert_uint_eq(root, 0x3000);
	ck_assert_uint_eq(dom, 7);
	ck_assert_uint_eq(flags, 3);
	ck_assert(sim_pasid_cache_lookup(pc, 0x200, SIM_PASID_NONE, &root, NULL, NULL));
	ck_assert_uint_eq(root, 0xabc000);
	ck_assert(!sim_pasid_cache_lookup(pc, 0x300, 3, NULL, NULL, NULL));
	/* re-insert replaces */
	ck_assert_int_eq(sim_pasid_cache_insert(pc, 0x100, 3, 0x33000, 7, 0), 0);
	ck_assert(sim_pasid_cache_lookup(pc, 0x100, 3, &root, NULL, NULL));
	ck_assert_uint_eq(root, 0x33000);
	ck_assert_int_eq(sim_pasid_cache_insert(pc, 0x100, SIM_PASID_ANY, 0, 7, 0), -EINVAL);
	ck_assert_int_eq(sim_pasid_cache_insert(pc, 0x100, 1, 0, SIM_DOMAIN_ANY, 0), -EINVAL);

	/* PASID-selective within a domain; then in any domain */
	ck_assert_uint_eq(sim_pasid_cache_inv_pasid(pc, 7, 2), 1);
	ck_assert(!sim_pasid_cache_lookup(pc, 0x100, 2, NULL, NULL, NULL));
	ck_assert(sim_pasid_cache_lookup(pc, 0x200, 2, NULL, NULL, NULL));
	ck_assert_uint_eq(sim_pasid_cache_inv_pasid(pc, 7, 7), 0); /* PASID 7 is domain 8 */
	ck_assert_uint_eq(sim_pasid_cache_inv_pasid(pc, SIM_DOMAIN_ANY, 4), 2);
	/* domain-selective */
	ck_assert_uint_eq(sim_pasid_cache_inv_domain(pc, 8), 5);
	ck_assert(!sim_pasid_cache_lookup(pc, 0x100, 6, NULL, NULL, NULL));
	ck_assert(sim_pasid_cache_lookup(pc, 0x100, 5, NULL, NULL, NULL));
	/* global */
	ck_assert_uint_eq(sim_pasid_cache_inv_all(pc), 3 + 9 + 1);
	ck_assert(!sim_pasid_cache_lookup(pc, 0x200, 1, NULL, NULL, NULL));
	sim_pasid_cache_stats(pc, &st);
	ck_assert_uint_eq(st.inv_calls, 5);
	ck_assert_uint_eq(st.inv_entries, 1 + 0 + 2 + 5 + 13);
	ck_assert_uint_eq(st.inserts, 22);
	sim_pasid_cache_free(pc);
	sim_pasid_cache_free(NULL);
}
END_TEST

struct collect {
	unsigned int n;
	uint64_t sum;
};

static int collect_cb(void *opaque, uint32_t id, uint32_t pasid, const struct sim_iotlb_entry *e)
{
	struct collect *c = opaque;

	expect(id == 4 && pasid == (e->iova == 4 * G1 ? SIM_PASID_NONE : 2) &&
	       e->oa == e->iova + G1, "entry %#llx", (unsigned long long)e->iova);
	c->sum += sim_iotlb_entry_size(e);
	return ++c->n == 100 ? 42 : 0;
}

/* Every cached translation can be enumerated (for a staleness check). */
START_TEST(test_for_each)
{
	struct sim_iotlb *t = sim_iotlb_new(256);
	struct collect c = { 0, 0 };
	unsigned int i;

	for (i = 0; i < 16; i++)
		sim_iotlb_insert(t, 4, 2, i * M2, i < 8 ? K4 : M2, i * M2 + G1, RW, i);
	sim_iotlb_insert(t, 4, SIM_PASID_NONE, 4 * G1, G1, 5 * G1, RW, 0);
	ck_assert_int_eq(sim_iotlb_for_each(t, collect_cb, &c), 0);
	ck_assert_uint_eq(c.n, 17);
	ck_assert_uint_eq(c.sum, 8 * K4 + 8 * M2 + G1);
	for (i = 0; i < 200; i++)
		sim_iotlb_insert(t, 4, 2, 64 * M2 + i * K4, K4, 64 * M2 + i * K4 + G1, RW, 0);
	c.n = 0;
	ck_assert_int_eq(sim_iotlb_for_each(t, collect_cb, &c), 42);
	ck_assert_uint_eq(c.n, 100);
	sim_iotlb_free(t);
}
END_TEST

START_TEST(test_alloc_fail)
{
	struct sim_iotlb *t;
	struct sim_pasid_cache *pc;
	unsigned long n;

	for (n = 1;; n++) {
		ioasid_alloc_fail_nth(n);
		t = sim_iotlb_new(1024);
		ioasid_alloc_fail_nth(0);
		if (!ioasid_alloc_failed())
			break;
		ck_assert_ptr_null(t);
		ck_assert_int_eq(errno, ENOMEM);
	}
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(n, 5);
	sim_iotlb_free(t);
	for (n = 1;; n++) {
		ioasid_alloc_fail_nth(n);
		pc = sim_pasid_cache_new(64);
		ioasid_alloc_fail_nth(0);
		if (!ioasid_alloc_failed())
			break;
		ck_assert_ptr_null(pc);
	}
	ck_assert_ptr_nonnull(pc);
	sim_pasid_cache_free(pc);
}
END_TEST

Suite *iotlb_suite(void)
{
	Suite *s = suite_create("iotlb");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_hit_miss);
	tcase_add_test(tc, test_replacement);
	tcase_add_test(tc, test_inv_all);
	tcase_add_test(tc, test_inv_domain_pasid);
	tcase_add_test(tc, test_inv_range);
	tcase_add_test(tc, test_inv_range_random);
	tcase_add_test(tc, test_random_model);
	tcase_add_test(tc, test_devtlb);
	tcase_add_test(tc, test_pasid_cache);
	tcase_add_test(tc, test_for_each);
	tcase_add_test(tc, test_alloc_fail);
	suite_add_tcase(s, tc);
	return s;
}
