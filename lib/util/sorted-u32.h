/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small arrays of records kept sorted by a leading uint32_t key (a PASID):
 * the core's per-PASID use counts and the sim's routes. Each record type
 * begins with its key; @size is the record's size. The caller owns the
 * memory and makes room before an insert.
 */
#ifndef IOASID_SORTED_U32_H
#define IOASID_SORTED_U32_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * The index of the record with @key among the @n at @base, or where it
 * would go; *@found tells which.
 */
static inline uint32_t sorted_u32_find(const void *base, uint32_t n, size_t size, uint32_t key,
				       bool *found)
{
	uint32_t lo = 0, hi = n, k = 0;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		memcpy(&k, (const char *)base + (size_t)mid * size, sizeof(k));
		if (k < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n)
		memcpy(&k, (const char *)base + (size_t)lo * size, sizeof(k));
	*found = lo < n && k == key;
	return lo;
}

/* Open a slot at @pos for a new record: those from @pos on move up; *@n grows by one. */
static inline void sorted_u32_open(void *base, uint32_t *n, size_t size, uint32_t pos)
{
	char *at = (char *)base + (size_t)pos * size;

	memmove(at + size, at, (size_t)(*n - pos) * size);
	(*n)++;
}

/* Close the slot at @pos: those after it move down; *@n shrinks by one. */
static inline void sorted_u32_close(void *base, uint32_t *n, size_t size, uint32_t pos)
{
	char *at = (char *)base + (size_t)pos * size;

	memmove(at, at + size, (size_t)(*n - pos - 1) * size);
	(*n)--;
}

#endif
