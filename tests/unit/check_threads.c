/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The threading contract: 4 threads map, look up and unmap on one address
 * space at once (a VMM's memory listener, fault handler and vCPU threads).
 */
#include <pthread.h>

#include "helpers.h"
#include "suites.h"

#define PG 4096ull
#define ITER 3000

struct worker {
	struct ioasid_ctx *ctx;
	uint32_t ioas;
	int idx;
	uint8_t *mem;
	int errors;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t base = 0x100000000ull * (w->idx + 1);
	int i;

	for (i = 0; i < ITER; i++) {
		uint64_t io = base + (uint64_t)(i % 64) * PG, got = 0, n = 0;
		struct ioasid_mapping m;

		if (ioasid_ioas_map(w->ctx, w->ioas, w->mem, PG,
				    IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA, &io))
			w->errors++;
		if (ioasid_ioas_lookup(w->ctx, w->ioas, io, &m) || m.uva != (uintptr_t)w->mem)
			w->errors++;
		/* an automatic map, which races for holes with the others */
		if (ioasid_ioas_map(w->ctx, w->ioas, w->mem, PG, IOASID_MAP_READ, &got))
			w->errors++;
		if (ioasid_ioas_unmap(w->ctx, w->ioas, got, PG, &n) || n != PG)
			w->errors++;
		if (ioasid_ioas_unmap(w->ctx, w->ioas, io, PG, &n) || n != PG)
			w->errors++;
	}
	return NULL;
}

START_TEST(test_four_threads)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	struct worker w[4];
	pthread_t t[4];
	struct ioasid_ioas_stats st;
	uint8_t *mem = test_mem(4 * PG);
	uint32_t ioas;
	int i;

	ck_assert_int_eq(ioasid_ioas_alloc(ctx, &ioas), 0);
	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){ .ctx = ctx, .ioas = ioas, .idx = i, .mem = mem + i * PG };
		ck_assert_int_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(w[i].errors == 0, "thread %d: %d errors", i, w[i].errors);
	}
	ck_assert_int_eq(ioasid_ioas_stats(ctx, ioas, &st), 0);
	ck_assert_uint_eq(st.nr_areas, 0);
	ck_assert_uint_eq(st.mapped_bytes, 0);
	ioasid_ctx_close(ctx);
	munmap(mem, 4 * PG);
}
END_TEST

Suite *threads_suite(void)
{
	Suite *s = suite_create("threads");
	TCase *tc = tcase_create("threads");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_four_threads);
	suite_add_tcase(s, tc);
	return s;
}
