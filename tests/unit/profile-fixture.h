/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the sim-profile suites share (profile-fixture.c): a temporary
 * directory for profile files, loading helpers, and register checks that
 * decode every bit from the spec positions, with no help from the library
 * (a wrong shift there must not be "confirmed" by the same wrong shift here).
 */
#ifndef PROFILE_FIXTURE_H
#define PROFILE_FIXTURE_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/sim/profile-private.h"

#define K4 0x1000ULL
#define K16 0x4000ULL
#define K64 0x10000ULL
#define M2 0x200000ULL
#define M32 0x2000000ULL
#define M512 0x20000000ULL
#define G1 0x40000000ULL

static inline uint64_t bits(uint64_t v, unsigned int hi, unsigned int lo)
{
	return (v >> lo) & ((hi - lo == 63) ? ~0ULL : ((1ULL << (hi - lo + 1)) - 1));
}

static inline bool bit(uint64_t v, unsigned int n)
{
	return (v >> n) & 1;
}

/* Where examples/ lives: make check exports top_srcdir; else ".". */
const char *top_srcdir(void);

/* A fresh directory for a test's profile files (a checked fixture). */
void setup_tmp(void);
void teardown_tmp(void);
/* Write @text to tmpdir/@name; the full path goes to @path. */
void write_file(const char *name, const char *text, char *path, size_t len);

/* Load a built-in name or a file, which must load and pass the checks. */
struct sim_profile *load_ok(const char *spec);
/* The same for @text written to tmpdir/@name. */
struct sim_profile *load_text_ok(const char *name, const char *text);

/* The profile's registers say what its fields say, decoded here. */
void assert_consistent(const struct sim_profile *p);
bool has_region(const struct sim_dev_desc *d, uint64_t start, uint64_t last,
		enum sim_resv_type type);
/* Every field of @a equals @b's. */
void assert_same_profile(const struct sim_profile *a, const struct sim_profile *b);

/* The directory setup_tmp() made (short, so "<tmpdir>/<file>" fits PATH_MAX). */
extern char tmpdir[256];

#endif
