/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every heap allocation of libioasid goes through these, so that a test can
 * make the N-th allocation fail (as jansson's chaos test and the kernel's
 * iommufd fail_nth do) and check that the failing call returns -ENOMEM and
 * leaves every object as it was.
 */
#ifndef IOASID_ALLOC_H
#define IOASID_ALLOC_H

#include <stddef.h>
#include <stdint.h>

void *ioasid_malloc(size_t size);
void *ioasid_calloc(size_t n, size_t size);
void *ioasid_realloc(void *p, size_t size);
char *ioasid_strdup(const char *s);
/*
 * @size bytes aligned to @align (a power of two, at least sizeof(void *)),
 * released with ioasid_free. The simulator's page tables need 4 KiB-aligned
 * table pages, as the hardware it imitates does.
 */
void *ioasid_aligned_alloc(size_t align, size_t size);
void ioasid_free(void *p);

/*
 * Room for @need elements of @size bytes in the array @base of *@cap
 * elements (0: none yet): @base itself when it has room, else the array
 * grown by doubling (from 4) and *@cap updated. NULL when out of memory:
 * @base and *@cap are left as they were.
 */
void *ioasid_array_room(void *base, uint32_t *cap, uint32_t need, size_t size);

/*
 * Test hooks. ioasid_alloc_fail_nth(n): the n-th allocation from now (1 =
 * the next one) fails, and only that one; 0 switches it off.
 * ioasid_alloc_count(): allocations attempted since the process started,
 * so a test can learn how many a call makes and then fail each in turn.
 * ioasid_alloc_failed(): whether the armed failure has happened.
 */
void ioasid_alloc_fail_nth(unsigned long n);
unsigned long ioasid_alloc_count(void);
int ioasid_alloc_failed(void);

#endif
