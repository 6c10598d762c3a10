/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iova-tree: the per-address-space record of areas, keyed by IOVA range.
 *
 * Private to libioasid. Written by hand rather than taken from a library
 * because it is the hot path of every map/unmap/lookup and of automatic
 * IOVA allocation: it must stay O(log n) for all four, including the
 * lowest-fitting-hole search, and cost at most ~64 heap bytes per area at
 * one million areas (see tests/bench/ioas.c).
 *
 * Areas never overlap. Ranges are inclusive: [iova, last].
 * Not thread-safe: the caller (the ioas object) holds its context lock.
 */
#ifndef IOASID_IOVA_TREE_H
#define IOASID_IOVA_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One area: what one successful map or copy created. 32 bytes. */
struct iova_area {
	uint64_t iova;   /* first IOVA */
	uint64_t last;   /* last IOVA, inclusive */
	uint64_t uva;    /* user virtual address backing iova */
	uint64_t cookie; /* owned by the caller (permission bits, pages ref) */
};

struct iova_tree; /* opaque */

/* Return: a new empty tree, or NULL when out of memory. */
struct iova_tree *iova_tree_new(void);
/* Frees the tree and every area in it; NULL is fine. */
void iova_tree_free(struct iova_tree *t);

/* Number of areas in the tree. */
size_t iova_tree_count(const struct iova_tree *t);

/*
 * Insert a copy of @a. Return: 0; -EEXIST if [a->iova, a->last] overlaps an
 * area already in the tree (tree unchanged); -EINVAL if a->last < a->iova;
 * -ENOMEM (tree unchanged).
 */
int iova_tree_insert(struct iova_tree *t, const struct iova_area *a);

/*
 * Remove the area that starts exactly at @iova, copying it to *@out when
 * @out is not NULL. Return: 0, or -ENOENT (tree unchanged). Never allocates.
 */
int iova_tree_remove(struct iova_tree *t, uint64_t iova, struct iova_area *out);

/*
 * Remove the area that is exactly [@iova, @last], in one descent (the
 * common unmap). Return: 0; -ENOENT when no area starts at @iova; -ERANGE
 * when the one starting there does not end at @last (copied to *@out when
 * @out is not NULL; the tree is unchanged). Never allocates.
 */
int iova_tree_remove_exact(struct iova_tree *t, uint64_t iova, uint64_t last,
			   struct iova_area *out);

/*
 * The area containing @iova, or NULL. The pointer stays valid until the next
 * insert or remove on the tree; the caller may change ->cookie through it
 * (and nothing else).
 */
struct iova_area *iova_tree_find(const struct iova_tree *t, uint64_t iova);

/*
 * The lowest area that intersects [first, last] (inclusive), or NULL.
 * Same pointer validity as iova_tree_find().
 */
struct iova_area *iova_tree_first_in(const struct iova_tree *t,
				     uint64_t first, uint64_t last);

/*
 * The area following @a in IOVA order (a must be a pointer returned by this
 * tree and still valid), or NULL at the end.
 */
struct iova_area *iova_tree_next(const struct iova_tree *t,
				 const struct iova_area *a);

/*
 * Lowest free IOVA for a new area, the kernel's rule (iommufd
 * iopt_alloc_iova): among the holes (IOVA ranges not covered by any area)
 * inside the window [lo, hi], take the lowest hole [s, e] for which
 *     x = (ALIGN_UP(s, align)) | offset
 * does not overflow and satisfies x < e && e - x >= length - 1 (exactly the
 * kernel's __alloc_iova_check_range() test), and return x in *out. @align
 * is a power of two >= 1, @offset < align is OR-ed in (the source's in-page
 * offset), @length >= 1.
 * Return: 0, or -ENOSPC when nothing fits (also when lo > hi); -EINVAL if
 * @length is 0 or @align is not a power of two. O(log n) amortised:
 * subtrees whose largest hole is smaller than @length are skipped whole.
 */
int iova_tree_find_hole(struct iova_tree *t, uint64_t lo, uint64_t hi, uint64_t length,
			uint64_t align, uint64_t offset, uint64_t *out);

/* Heap bytes the tree uses right now (nodes and bookkeeping). */
size_t iova_tree_heap_bytes(const struct iova_tree *t);

/*
 * For tests: walk the whole tree (O(n)) and check every invariant: areas
 * ordered and disjoint, node fill, the per-subtree summaries find_hole()
 * relies on (exact, or an upper bound where a node is marked loose), count
 * and heap bytes. Return: true when all hold.
 */
bool iova_tree_check(const struct iova_tree *t);

/*
 * For tests: how many nodes hold a loose summary (an upper bound left by a
 * fixed map or an unmap, made exact by the next find_hole() that finds
 * it promising more than it holds). O(n).
 */
size_t iova_tree_loose_nodes(const struct iova_tree *t);

/* Allocations go through ioasid_malloc() and friends (lib/util/alloc.h). */
#endif
