/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Allocation failure at every position (the kernel's iommufd fail_nth,
 * jansson's chaos test): fail the 1st, 2nd, ... allocation of a call until
 * the call gets through; each failure must return -ENOMEM and leave the
 * address spaces and the pinned count exactly as before.
 */
#include "util/alloc.h"
#include "helpers.h"
#include "suites.h"

#define PG 4096ull
#define MAXM 2048

struct big_snap {
	struct ioasid_mapping m[MAXM];
	uint32_t n;
	struct ioasid_ioas_stats st;
	uint64_t pinned;
};

static struct big_snap s1, s2;

static void snap(struct ioasid_ctx *ctx, uint32_t ioas, struct big_snap *s)
{
	struct ioasid_pinned_info pi;

	memset(s, 0, sizeof(*s));
	s->n = MAXM;
	ck_assert_int_eq(ioasid_ioas_mappings(ctx, ioas, 0, s->m, &s->n), 0);
	ck_assert_int_eq(ioasid_ioas_stats(ctx, ioas, &s->st), 0);
	ck_assert_int_eq(ioasid_ctx_pinned(ctx, &pi), 0);
	s->pinned = pi.pinned_pages;
}

static void same(struct ioasid_ctx *ctx, uint32_t ioas, const struct big_snap *before,
		 const char *what, unsigned long nth)
{
	snap(ctx, ioas, &s2);
	ck_assert_msg(!memcmp(before, &s2, sizeof(s2)),
		      "%s: state changed after failing allocation %lu", what, nth);
}

/*
 * Run @op with the n-th allocation failing, for n = 1, 2, ... until it
 * succeeds without hitting the failure. Return the number of failures seen.
 */
#define FAIL_EACH(ctx, ioas, what, op)                                           \
	({                                                                       \
		unsigned long __n;                                               \
		int __fails = 0;                                                 \
		for (__n = 1;; __n++) {                                          \
			int __r;                                                 \
			snap(ctx, ioas, &s1);                                    \
			ioasid_alloc_fail_nth(__n);                              \
			__r = (op);                                              \
			ioasid_alloc_fail_nth(0);                                \
			if (!ioasid_alloc_failed()) {                            \
				ck_assert_msg(__r == 0, "%s: %d %s", what, __r,  \
					      ioasid_ctx_errmsg(ctx));           \
				break;                                           \
			}                                                        \
			if (__r == 0)                                            \
				continue; /* a failure that was recovered */     \
			ck_assert_msg(__r == -ENOMEM, "%s: nth %lu gave %d",     \
				      what, __n, __r);                           \
			same(ctx, ioas, &s1, what, __n);                         \
			__fails++;                                               \
		}                                                                \
		__fails;                                                         \
	})

START_TEST(test_fail_map_unmap_copy)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint8_t *mem = test_mem(64 * PG);
	uint32_t a, b;
	int i, fails = 0;
	uint64_t io;

	ck_assert_int_eq(ioasid_ioas_alloc(ctx, &a), 0);
	ck_assert_int_eq(ioasid_ioas_alloc(ctx, &b), 0);
	/* enough maps that the IOVA tree splits nodes several times */
	for (i = 0; i < 600; i++) {
		io = 0x100000 + (uint64_t)i * 2 * PG;
		fails += FAIL_EACH(ctx, a, "fixed map",
				   ioasid_ioas_map(ctx, a, mem, PG,
						   IOASID_MAP_READ | IOASID_MAP_FIXED_IOVA, &io));
	}
	for (i = 0; i < 300; i++)
		fails += FAIL_EACH(ctx, a, "auto map",
				   ioasid_ioas_map(ctx, a, mem + (i % 8) * PG, PG,
						   IOASID_MAP_READ | IOASID_MAP_WRITE, &io));
	ck_assert_int_gt(fails, 0);
	/* copies of one and of several areas, also into the same IOAS */
	for (i = 0; i < 300; i++) {
		fails += FAIL_EACH(ctx, b, "copy",
				   ioasid_ioas_copy(ctx, b, a, 0x100000 + (uint64_t)i * 2 * PG, PG,
						    IOASID_MAP_READ, &io));
	}
	fails += FAIL_EACH(ctx, a, "self copy",
			   ioasid_ioas_copy(ctx, a, a, 0x100000, PG, IOASID_MAP_READ, &io));
	/* unmaps never allocate, but are run through the same loop */
	for (i = 0; i < 600; i += 3)
		FAIL_EACH(ctx, a, "unmap",
			  ioasid_ioas_unmap(ctx, a, 0x100000 + (uint64_t)i * 2 * PG, PG, NULL));
	FAIL_EACH(ctx, b, "unmap all", ioasid_ioas_unmap(ctx, b, 0, UINT64_MAX, NULL));
	ioasid_ctx_close(ctx);
	munmap(mem, 64 * PG);
}
END_TEST

START_TEST(test_fail_alloc_objects)
{
	struct ioasid_ctx *ctx = NULL;
	unsigned long n;
	uint32_t id, first;
	int r;

	/* context open */
	for (n = 1;; n++) {
		ioasid_alloc_fail_nth(n);
		r = ioasid_ctx_open("sim", NULL, &ctx);
		ioasid_alloc_fail_nth(0);
		if (!ioasid_alloc_failed())
			break;
		ck_assert_int_eq(r, -ENOMEM);
		ck_assert_ptr_null(ctx);
	}
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(ioasid_ioas_alloc(ctx, &first), 0);
	ck_assert_int_eq(ioasid_ioas_destroy(ctx, first), 0);
	/* IOAS alloc: a failure publishes nothing and leaks no id */
	for (n = 1;; n++) {
		ioasid_alloc_fail_nth(n);
		r = ioasid_ioas_alloc(ctx, &id);
		ioasid_alloc_fail_nth(0);
		if (!ioasid_alloc_failed())
			break;
		ck_assert_int_eq(r, -ENOMEM);
		ck_assert_int_eq(ioasid_obj_kind(ctx, first), IOASID_OBJ_NONE);
	}
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(id, first);
	ioasid_ctx_close(ctx);
}
END_TEST

Suite *alloc_fail_suite(void)
{
	Suite *s = suite_create("alloc_fail");
	TCase *tc = tcase_create("alloc_fail");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fail_map_unmap_copy);
	tcase_add_test(tc, test_fail_alloc_objects);
	suite_add_tcase(s, tc);
	return s;
}
