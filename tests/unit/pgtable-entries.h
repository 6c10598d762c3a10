/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the page-table suites (check_pgtable*.c) share: page-size and
 * access shorthands, an assertion that only costs on failure, and table
 * entries written and read a byte at a time, so that the tests can only
 * pass by reading the VT-d entry format.
 */
#ifndef IOASID_TEST_PGTABLE_ENTRIES_H
#define IOASID_TEST_PGTABLE_ENTRIES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "backend/sim/pgtable.h"

/*
 * ck_assert records its location with the runner on every call, success
 * included; the tests' loops check thousands of things, so they only pay
 * for a failure.
 */
#define expect(cond, ...)                          \
	do {                                       \
		if (!(cond))                       \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

#define K4 SIM_PT_SZ_4K
#define M2 SIM_PT_SZ_2M
#define G1 SIM_PT_SZ_1G
#define ALLSZ (K4 | M2 | G1)
#define ACC_ALL (SIM_PT_R | SIM_PT_W | SIM_PT_X | SIM_PT_U)

/* Entries are written and read a byte at a time, little-endian. */
static inline void put(uint64_t *tbl, unsigned int idx, uint64_t v)
{
	uint8_t *b = (uint8_t *)tbl + idx * 8;
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t get(const uint64_t *tbl, unsigned int idx)
{
	const uint8_t *b = (const uint8_t *)tbl + idx * 8;
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static inline unsigned int idx_of(uint64_t va, unsigned int level)
{
	return (unsigned int)(va >> (12 + 9 * (level - 1))) & 511;
}

/* ---- table pages for hand-built tables, freed together ---- */

#define PT_TEST_MAX_PAGES 256
static void *pt_test_pages[PT_TEST_MAX_PAGES];
static int pt_test_nr_pages;

/* A zeroed, 4 KiB-aligned table page. */
static inline uint64_t *page(void)
{
	void *p = NULL;

	ck_assert_int_lt(pt_test_nr_pages, PT_TEST_MAX_PAGES);
	ck_assert_int_eq(posix_memalign(&p, 4096, 4096), 0);
	memset(p, 0, 4096);
	pt_test_pages[pt_test_nr_pages++] = p;
	return p;
}

static inline void pages_free(void)
{
	while (pt_test_nr_pages)
		free(pt_test_pages[--pt_test_nr_pages]);
}

#endif
