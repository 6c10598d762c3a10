/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iova-tree internals, shared by its parts (see iova-tree.c for the design):
 *   iova-tree.c         lifetime, lookups, the self check
 *   iova-tree-summ.c    per-node summaries and carrying them up (propagate)
 *   iova-tree-insert.c  insert, splits
 *   iova-tree-remove.c  remove, merges and redistribution
 *   iova-tree-hole.c    find_hole() and making loose summaries exact
 * Small hot helpers are static inline here so that splitting the file
 * costs no calls on the hot paths.
 */
#ifndef IOASID_IOVA_TREE_INT_H
#define IOASID_IOVA_TREE_INT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "alloc.h"
#include "iova-tree.h"

/*
 * 32 areas (1 KiB) per leaf: a leaf insert or remove moves at most 1 KiB,
 * and the descent keys of the internal nodes above 1M areas total ~0.5 MiB,
 * small enough to stay in the L2 cache, so a random lookup pays for about
 * one far miss (the leaf), not one per level.
 */
#ifndef IOVA_TREE_LEAF_CAP
#define IOVA_TREE_LEAF_CAP 32
#endif
#ifndef IOVA_TREE_NODE_CAP
#define IOVA_TREE_NODE_CAP 32
#endif
/* Overridable so a test build can get deep trees out of few areas. */
#define LEAF_CAP IOVA_TREE_LEAF_CAP
#define LEAF_MIN (LEAF_CAP / 2)
#define NODE_CAP IOVA_TREE_NODE_CAP
#define NODE_MIN (NODE_CAP / 2)
_Static_assert(LEAF_CAP >= 4 && NODE_CAP >= 4, "nodes too small");

/* cap[0] is for alignment 1, cap[j] (j >= 1) for alignment 2^(11 + j). */
#define NCAP 11
#define CAP_MASK(j) ((2048ULL << (j)) - 1)

/*
 * Capacities are stored in 4 KiB units, rounded up, saturating at
 * UINT32_MAX (16 TiB and more): half the memory of exact 64-bit counts,
 * which is what pays for caching the gap capacities. Rounding up keeps
 * every stored value an upper bound, and ceil() is monotonic, so the
 * maximum of rounded values is the rounded maximum and pruning on
 * "cap < ceil(need)" still never skips a fit. For page-granular areas,
 * the only kind the kernel maps, the values are exact.
 */
typedef uint32_t cap_t;
#define CAP_SHIFT 12

static inline cap_t to_cap(uint64_t v)
{
	uint64_t u = (v >> CAP_SHIFT) + !!(v & ((1ULL << CAP_SHIFT) - 1));

	return u > UINT32_MAX ? UINT32_MAX : (cap_t)u;
}

/*
 * Bound on the height. With 32-way nodes a balanced tree of 2^64 areas is
 * 13 levels high; uneven splits (see leaf_split()) can leave a few nodes
 * thinner than half, so allow generous slack. Reaching it would take an
 * absurd workload; insert reports -ENOMEM then instead of overrunning the
 * path array.
 */
#define MAX_HEIGHT 40

struct leaf {
	uint32_t n;
	uint32_t loose; /* see "Loose summaries" above */
	/*
	 * Pad the header to 16 bytes: malloc returns 16-byte aligned memory,
	 * so iova and last of each area share one 16-byte chunk and testing
	 * one area never needs two cache lines.
	 */
	uint64_t pad64;
	struct iova_area a[LEAF_CAP];
};

/*
 * max[] and child[] first and together: a descent touches only those
 * (prefetched as one block). Each child's capacities are one contiguous
 * row, so updating a child's summary writes two cache lines, not NCAP.
 * gcap[i] caches the capacities of the gap between children i-1 and i
 * (zero for i == 0): when a hole that was a maximum is filled, the node's
 * new maximum is then a plain scan of stored values, with no alignment
 * arithmetic; filling the lowest fitting hole does that on every level.
 */
struct inode {
	uint32_t n;
	uint32_t loose; /* see "Loose summaries" above */
	uint64_t max[NODE_CAP];
	void *child[NODE_CAP];
	uint64_t min[NODE_CAP];
	cap_t cap[NODE_CAP][NCAP];
	cap_t gcap[NODE_CAP][NCAP];
};

/* iot_tighten() and the checks read the flag without knowing the kind. */
_Static_assert(offsetof(struct leaf, loose) == offsetof(struct inode, loose),
	       "loose at the same place in both node kinds");

/* One step of a descent: the node at this level and the child taken. */
struct pent {
	struct inode *node;
	unsigned idx;
};

struct iova_tree {
	void *root;      /* NULL when empty; a leaf when height == 0 */
	unsigned height; /* number of internal levels */
	size_t count;
	size_t bytes;
	/* Summary of the whole tree, valid when root != NULL. */
	uint64_t min, max;
	cap_t cap[NCAP];
	/*
	 * Where the last find_hole() answer was found, when inside a leaf:
	 * the insert that usually follows starts there instead of descending
	 * again. Any insert or remove drops it (leaf == NULL).
	 */
	struct {
		struct leaf *leaf;
		unsigned pos; /* the area after the hole */
		uint64_t iova;
		struct pent path[MAX_HEIGHT + 1];
	} hint;
};

struct summ {
	uint64_t min, max;
	cap_t cap[NCAP];
};

/* ---- capacity vectors ---- */

/*
 * Capacities of the hole between an area ending at @prev_last and the next
 * one starting at @next_first (areas never overlap, so nothing wraps).
 * Aligning up only moves the start further, so the values never increase
 * with j: stop at the first zero.
 */
static inline void gap_caps(uint64_t prev_last, uint64_t next_first, cap_t *c)
{
	uint64_t s = prev_last + 1, end = next_first;
	unsigned j = 0;

	if (s < end) {
		c[0] = to_cap(end - s);
		for (j = 1; j < NCAP; j++) {
			uint64_t m = CAP_MASK(j), a;

			if (s > UINT64_MAX - m)
				break;
			a = (s + m) & ~m;
			if (a >= end)
				break;
			c[j] = to_cap(end - a);
		}
	}
	for (; j < NCAP; j++)
		c[j] = 0;
}

/* One row of gap_caps(). */
static inline cap_t gap_cap(uint64_t prev_last, uint64_t next_first, unsigned j)
{
	uint64_t s = prev_last + 1, m = j ? CAP_MASK(j) : 0, a;

	if (s >= next_first || s > UINT64_MAX - m)
		return 0;
	a = (s + m) & ~m;
	return a < next_first ? to_cap(next_first - a) : 0;
}

/* *@c = max(*@c, gap_caps(@prev_last, @next_first)), without the vector. */
static inline void gap_caps_max(uint64_t prev_last, uint64_t next_first, cap_t *c)
{
	uint64_t s = prev_last + 1, end = next_first;
	unsigned j;
	cap_t v;

	if (s >= end)
		return;
	/* A hole no bigger than a maximum cannot raise it or any later one. */
	v = to_cap(end - s);
	if (v <= c[NCAP - 1])
		return;
	if (v > c[0])
		c[0] = v;
	for (j = 1; j < NCAP; j++) {
		uint64_t m = CAP_MASK(j), a;

		if (s > UINT64_MAX - m)
			return;
		a = (s + m) & ~m;
		if (a >= end)
			return;
		v = to_cap(end - a);
		if (v > c[j])
			c[j] = v;
	}
}

static inline void caps_max(cap_t *c, const cap_t *d)
{
	unsigned j;

	for (j = 0; j < NCAP; j++)
		c[j] = c[j] > d[j] ? c[j] : d[j];
}

/* Whether any of the hole capacities @g exceeds the maxima @c. */
static inline bool caps_exceed(const cap_t *g, const cap_t *c)
{
	unsigned j;

	for (j = 0; j < NCAP && g[j]; j++) {
		if (g[j] > c[j])
			return true;
	}
	return false;
}

/*
 * caps_exceed() of the hole between two areas, without building its
 * vector: the question an append or a removal asks on the hot path.
 */
static inline bool gap_exceeds(uint64_t prev_last, uint64_t next_first, const cap_t *c)
{
	uint64_t s = prev_last + 1, end = next_first;
	unsigned j;

	if (s >= end)
		return false;
	if (to_cap(end - s) > c[0])
		return true;
	for (j = 1; j < NCAP; j++) {
		uint64_t m = CAP_MASK(j), a;

		if (s > UINT64_MAX - m)
			return false;
		a = (s + m) & ~m;
		if (a >= end)
			return false;
		if (to_cap(end - a) > c[j])
			return true;
	}
	return false;
}

/*
 * Whether the hole between two areas reaches a maximum of @c in some row,
 * row by row without building its vector: the question a fixed map or an
 * unmap asks of the hole it removes from a leaf.
 */
static inline bool gap_attains(uint64_t prev_last, uint64_t next_first, const cap_t *c)
{
	unsigned j;

	for (j = 0; j < NCAP; j++) {
		cap_t v = gap_cap(prev_last, next_first, j);

		if (!v)
			return false; /* zero in every later row too */
		if (v >= c[j])
			return true;
	}
	return false;
}

/* The rows whose maximum in @c may be the hole with capacities @g. */
static inline unsigned caps_attained(const cap_t *g, const cap_t *c)
{
	unsigned j, rows = 0;

	for (j = 0; j < NCAP && g[j]; j++) {
		if (g[j] >= c[j])
			rows |= 1u << j;
	}
	return rows;
}

/*
 * A subtree whose stored capacities were @h had some of the values they
 * are the maximum of changed: @om holds the largest old value of those,
 * @nm the largest new one. Compute the new capacities into @h, and return
 * the rows whose old maximum may have been destroyed with no new value
 * reaching it (left as they were: bounds, see "Loose summaries").
 */
static inline unsigned caps_update(cap_t *h, const cap_t *om, const cap_t *nm)
{
	unsigned j, rescan = 0;

	for (j = 0; j < NCAP; j++) {
		if (nm[j] >= h[j])
			h[j] = nm[j]; /* unchanged values are <= old h <= nm */
		else if (om[j] >= h[j])
			rescan |= 1u << j;
		/* else the old maximum came from an unchanged value: keep it */
	}
	return rescan;
}

/* ---- searching inside nodes ---- */

/*
 * First index i in k[0..n) with k[i] >= x, or n. The keys are ascending,
 * so that is how many are below x: counted over all n with independent
 * loads and no branch, instead of a binary search whose every probe waits
 * for the load before it (5-8% off a fixed map or an unmap at 1k areas). 32 keys are four
 * cache lines, which the descent has prefetched together.
 */
static inline unsigned keys_lb(const uint64_t *k, unsigned n, uint64_t x)
{
	unsigned i, c = 0;

	for (i = 0; i < n; i++)
		c += k[i] < x;
	return c;
}

/* Same on a leaf: first area whose last >= x, or l->n. l->n >= 1. */
static inline unsigned leaf_lb(const struct leaf *l, uint64_t x)
{
	const struct iova_area *b = l->a;
	unsigned n = l->n;

	while (n > 1) {
		unsigned half = n / 2;

		b = b[half].last < x ? b + half : b;
		n -= half;
	}
	return (unsigned)(b - l->a) + (b->last < x);
}

/*
 * A binary search over a node not in cache waits for one memory round trip
 * per probe, and a probe's address depends on the previous one. Asking for
 * every line it may touch up front lets them all arrive in parallel: one
 * round trip per node instead of ~5 (memory latency dominates a random
 * lookup in a million areas).
 */
static inline void prefetch_keys(const struct inode *x)
{
	const char *p = (const char *)x;
	size_t o;

	/* A constant trip count: unrolled, it is a handful of instructions. */
#pragma GCC unroll 16
	for (o = 0; o < offsetof(struct inode, min); o += 64)
		__builtin_prefetch(p + o);
}

static inline void prefetch_leaf(const struct leaf *l)
{
	const char *p = (const char *)l;
	size_t o;

#pragma GCC unroll 32
	for (o = 0; o < sizeof(*l); o += 64)
		__builtin_prefetch(p + o);
}
/*
 * ---- shared between the parts ----
 * Each is documented where it is defined (the part named in the list above).
 */

void iot_leaf_summ(const struct leaf *l, struct summ *s);

void iot_inode_caps(const struct inode *x, cap_t *c);

void iot_inode_fix_gcaps(struct inode *x, unsigned from, unsigned to);

void iot_inode_summ(const struct inode *x, struct summ *s);

void iot_inode_set(struct inode *x, unsigned i, void *child, const struct summ *s);

void iot_pair_bound(const struct inode *x, unsigned i, struct summ *s);

void iot_inode_move(struct inode *dst, unsigned di, const struct inode *src, unsigned si,
		    unsigned cnt);

void iot_inode_insert(struct inode *x, unsigned q, void *child, const struct summ *s);

void iot_inode_delete(struct inode *x, unsigned q);

static inline void iot_leaf_insert_at(struct leaf *l, unsigned p, const struct iova_area *a)
{
	memmove(&l->a[p + 1], &l->a[p], (l->n - p) * sizeof(*a));
	l->a[p] = *a;
	l->n++;
}

/* Where the capacities of the subtree at level @l of @path are stored. */
static inline cap_t *iot_stored_caps(struct iova_tree *t, const struct pent *path, unsigned l)
{
	if (l == t->height)
		return t->cap;
	return path[l + 1].node->cap[path[l + 1].idx];
}

void iot_stored_summ(struct iova_tree *t, const struct pent *path, unsigned l, struct summ *s);

void iot_set_root_summ(struct iova_tree *t, const struct summ *s);

void iot_propagate(struct iova_tree *t, const struct pent *path, unsigned l, struct summ *s,
		   bool caps_changed);

void iot_inode_split(struct inode *x, struct inode *y, unsigned q, void *child,
		     const struct summ *cs);

void iot_leaf_shift_left(struct inode *x, unsigned i, struct leaf *l, unsigned p,
			 const struct iova_area *a);

void iot_tighten(struct iova_tree *t, const struct pent *path, unsigned lv, void *node);

/*
 * Walk down to the leaf that decides @x, recording the path: at each level
 * the first child whose max >= x, or the last child when there is none
 * (x > t->max: an append, which needs no search at all).
 */
static inline struct leaf *iot_descend(const struct iova_tree *t, uint64_t x, struct pent *path)
{
	void *node = t->root;
	unsigned lv;

	if (x > t->max) {
		for (lv = t->height; lv; lv--) {
			struct inode *in = node;

			path[lv].node = in;
			path[lv].idx = in->n - 1;
			node = in->child[in->n - 1];
		}
		return node;
	}
	for (lv = t->height; lv; lv--) {
		struct inode *in = node;
		unsigned i;

		prefetch_keys(in);
		i = keys_lb(in->max, in->n, x);
		path[lv].node = in;
		path[lv].idx = i;
		node = in->child[i];
		/*
		 * An insert or remove reads the child's entry (min, capacities,
		 * the gaps beside it) on its way back up: ask for those lines
		 * now, so their misses overlap the leaf's instead of following.
		 */
		__builtin_prefetch(&in->min[i]);
		__builtin_prefetch(in->cap[i]);
		__builtin_prefetch(in->gcap[i]);
		if (i + 1 < in->n)
			__builtin_prefetch(in->gcap[i + 1]);
	}
	prefetch_leaf(node);
	return node;
}

#endif
