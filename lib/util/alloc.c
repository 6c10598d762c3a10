/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Allocation wrappers with a fail-the-N-th hook for tests (see alloc.h).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

static atomic_ulong alloc_count;
static atomic_ulong fail_at;  /* alloc_count value that fails; 0 = off */
static atomic_int fail_hit;

static int should_fail(void)
{
	unsigned long n = atomic_fetch_add(&alloc_count, 1) + 1;
	unsigned long f = atomic_load_explicit(&fail_at, memory_order_relaxed);

	if (f && n == f) {
		atomic_store(&fail_hit, 1);
		return 1;
	}
	return 0;
}

void ioasid_alloc_fail_nth(unsigned long n)
{
	/* arming clears the record of the last failure; disarming keeps it */
	if (n)
		atomic_store(&fail_hit, 0);
	atomic_store(&fail_at, n ? atomic_load(&alloc_count) + n : 0);
}

unsigned long ioasid_alloc_count(void)
{
	return atomic_load(&alloc_count);
}

int ioasid_alloc_failed(void)
{
	return atomic_load(&fail_hit);
}

void *ioasid_malloc(size_t size)
{
	return should_fail() ? NULL : malloc(size);
}

void *ioasid_calloc(size_t n, size_t size)
{
	return should_fail() ? NULL : calloc(n, size);
}

void *ioasid_realloc(void *p, size_t size)
{
	return should_fail() ? NULL : realloc(p, size);
}

void *ioasid_array_room(void *base, uint32_t *cap, uint32_t need, size_t size)
{
	uint32_t ncap = *cap ? *cap : 4;
	void *n;

	if (need <= *cap)
		return base;
	while (ncap < need)
		ncap = ncap > UINT32_MAX / 2 ? need : ncap * 2;
	n = ioasid_realloc(base, (size_t)ncap * size);
	if (n)
		*cap = ncap;
	return n;
}

void *ioasid_aligned_alloc(size_t align, size_t size)
{
	void *p;

	if (should_fail())
		return NULL;
	/* posix_memalign, unlike C11 aligned_alloc, takes any size */
	if (posix_memalign(&p, align, size))
		return NULL;
	return p;
}

char *ioasid_strdup(const char *s)
{
	size_t len = strlen(s) + 1;
	char *d = ioasid_malloc(len);

	if (d)
		memcpy(d, s, len);
	return d;
}

void ioasid_free(void *p)
{
	free(p);
}
