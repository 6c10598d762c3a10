/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iova-tree: a B+tree of struct iova_area, ordered by IOVA.
 *
 * Why a B+tree: a binary tree needs three pointers plus the 32-byte
 * payload per area, which is already over the 64-byte budget, and chases
 * one cache line per level. Here leaves hold sorted arrays of areas (32
 * bytes each, so a full leaf costs 32.5 bytes per area) and internal nodes
 * hold, per child, the child pointer and a summary of the child's subtree:
 *
 *   max    - the last IOVA of its last area. This is the search key: areas
 *            never overlap, so "first child whose max >= x" is the only
 *            child that can hold x or the first area after x;
 *   min    - the first IOVA of its first area;
 *   cap[j] - over the holes between two consecutive areas of the subtree,
 *            the largest number of free IOVAs from the first 2^k-aligned
 *            IOVA of the hole to its end (in 4 KiB units, rounded up), for
 *            k = 0 (the plain hole size) and k = 12..21 (every power-of-two
 *            alignment from 4 KiB to 2 MiB, which is what the kernel's rule
 *            min(pow2 >= length, ...) produces for page-granular requests;
 *            other alignments prune with the nearest row below).
 *
 * The gap between neighbouring children i-1 and i is [max[i-1] + 1,
 * min[i] - 1], so every hole of the tree is inside a leaf, between two
 * children of one internal node, or before the first / after the last area
 * (struct iova_tree has the whole tree's summary). find_hole() skips every
 * child whose cap[] for the request's alignment is below what the request
 * needs. The per-alignment capacities matter: with the plain size alone, a
 * fragmented space full of holes that are big enough but misaligned (a
 * 12 KiB hole at an odd 4 KiB page never fits 12 KiB at 16 KiB alignment)
 * makes every search visit all of them, and lowest-fit allocation keeps
 * them in front of the search forever.
 *
 * The summary of a subtree is stored in its parent (the root's in the tree
 * itself). After a small change it is updated per level from the old and
 * new values of the few quantities the change touched (see propagate()),
 * and an append costs no capacity work above the leaf at all. Rebalancing
 * after a removal only regroups areas under one parent, which changes no
 * summary above that parent.
 *
 * Loose summaries. A change that can raise a capacity (an unmap merging
 * two holes) is carried up exactly, at once. A change that can only lower
 * one (a fixed map splitting a hole, a hole leaving a leaf, a split, shift
 * or redistribution regrouping areas) would need a rescan of the node's
 * holes or entries whenever the value lost was a maximum: in a fragmented
 * space that is every few fixed maps, and it was most of their cost.
 * Instead the stored value is left alone, now only an upper bound, and the
 * node is marked loose: its summary in its parent may exceed what its own
 * entries give. Pruning with a bound never skips a fit, so find_hole()
 * stays exact; when it searches a loose subtree in vain it makes that
 * summary exact (tighten()) and carries the decrease up. A bound is thus
 * paid for once, by the first search it misleads, and never by a workload
 * of fixed maps only (a guest choosing its IOVAs through a vIOMMU). A node
 * that is not loose stores exactly the maximum over its entries (entries
 * of loose children included), which is what iova_tree_check() verifies.
 *
 * Insert never leaves a half-done split behind: every node a split cascade
 * needs is allocated before anything is modified, so -ENOMEM leaves the
 * tree untouched. Remove never allocates: it only merges and frees.
 */
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

/* tighten() and the checks read the flag without knowing the kind. */
_Static_assert(offsetof(struct leaf, loose) == offsetof(struct inode, loose),
	       "loose at the same place in both node kinds");

/* One step of a descent: the node at this level and the child taken. */
struct pent {
	struct inode *node;
	unsigned idx;
};

struct iova_tree {
	void *root;       /* NULL when empty; a leaf when height == 0 */
	unsigned height;  /* number of internal levels */
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
static void gap_caps(uint64_t prev_last, uint64_t next_first, cap_t *c)
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
static inline cap_t gap_cap(uint64_t prev_last, uint64_t next_first,
			    unsigned j)
{
	uint64_t s = prev_last + 1, m = j ? CAP_MASK(j) : 0, a;

	if (s >= next_first || s > UINT64_MAX - m)
		return 0;
	a = (s + m) & ~m;
	return a < next_first ? to_cap(next_first - a) : 0;
}

/* *@c = max(*@c, gap_caps(@prev_last, @next_first)), without the vector. */
static inline void gap_caps_max(uint64_t prev_last, uint64_t next_first,
				cap_t *c)
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
static inline bool gap_exceeds(uint64_t prev_last, uint64_t next_first,
			       const cap_t *c)
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
static unsigned caps_update(cap_t *h, const cap_t *om, const cap_t *nm)
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

/* ---- node summaries and entries ---- */

static void leaf_caps(const struct leaf *l, cap_t *c)
{
	unsigned i;

	memset(c, 0, NCAP * sizeof(*c));
	for (i = 1; i < l->n; i++)
		gap_caps_max(l->a[i - 1].last, l->a[i].iova, c);
}

static void leaf_summ(const struct leaf *l, struct summ *s)
{
	s->min = l->a[0].iova;
	s->max = l->a[l->n - 1].last;
	leaf_caps(l, s->cap);
}

static void inode_caps(const struct inode *x, cap_t *c)
{
	unsigned i;

	memcpy(c, x->cap[0], NCAP * sizeof(*c));
	for (i = 1; i < x->n; i++) {
		caps_max(c, x->cap[i]);
		caps_max(c, x->gcap[i]);
	}
}

/* Recompute the cached gap capacities of entries [from, to) of @x. */
static void inode_fix_gcaps(struct inode *x, unsigned from, unsigned to)
{
	unsigned i;

	if (to > x->n)
		to = x->n;
	for (i = from; i < to; i++) {
		if (i)
			gap_caps(x->max[i - 1], x->min[i], x->gcap[i]);
		else
			memset(x->gcap[0], 0, sizeof(x->gcap[0]));
	}
}

static void inode_summ(const struct inode *x, struct summ *s)
{
	s->min = x->min[0];
	s->max = x->max[x->n - 1];
	inode_caps(x, s->cap);
}

static void inode_set(struct inode *x, unsigned i, void *child,
		      const struct summ *s)
{
	x->child[i] = child;
	x->min[i] = s->min;
	x->max[i] = s->max;
	memcpy(x->cap[i], s->cap, sizeof(x->cap[i]));
}

/*
 * The largest capacities among entries @i and @i + 1 of @x and the gap
 * between them: a bound for either after their areas are regrouped.
 */
static void pair_bound(const struct inode *x, unsigned i, struct summ *s)
{
	memcpy(s->cap, x->cap[i], sizeof(s->cap));
	caps_max(s->cap, x->cap[i + 1]);
	caps_max(s->cap, x->gcap[i + 1]);
}

/* Copy @cnt entries src[si..] to dst[di..]; the ranges may overlap. */
static void inode_move(struct inode *dst, unsigned di,
		       const struct inode *src, unsigned si, unsigned cnt)
{
	memmove(&dst->max[di], &src->max[si], cnt * sizeof(uint64_t));
	memmove(&dst->min[di], &src->min[si], cnt * sizeof(uint64_t));
	memmove(&dst->child[di], &src->child[si], cnt * sizeof(void *));
	memmove(dst->cap[di], src->cap[si], cnt * sizeof(dst->cap[0]));
	memmove(dst->gcap[di], src->gcap[si], cnt * sizeof(dst->gcap[0]));
}

static void inode_insert(struct inode *x, unsigned q, void *child,
			 const struct summ *s)
{
	inode_move(x, q + 1, x, q, x->n - q);
	inode_set(x, q, child, s);
	x->n++;
	inode_fix_gcaps(x, q, q + 2);
}

static void inode_delete(struct inode *x, unsigned q)
{
	inode_move(x, q, x, q + 1, x->n - q - 1);
	x->n--;
	inode_fix_gcaps(x, q, q + 1);
}

static void leaf_insert_at(struct leaf *l, unsigned p,
			   const struct iova_area *a)
{
	memmove(&l->a[p + 1], &l->a[p], (l->n - p) * sizeof(*a));
	l->a[p] = *a;
	l->n++;
}

/* Where the capacities of the subtree at level @l of @path are stored. */
static inline cap_t *stored_caps(struct iova_tree *t,
				    const struct pent *path, unsigned l)
{
	if (l == t->height)
		return t->cap;
	return path[l + 1].node->cap[path[l + 1].idx];
}

/* The stored summary of the subtree at level @l of @path. */
static void stored_summ(struct iova_tree *t, const struct pent *path,
			unsigned l, struct summ *s)
{
	if (l == t->height) {
		s->min = t->min;
		s->max = t->max;
	} else {
		s->min = path[l + 1].node->min[path[l + 1].idx];
		s->max = path[l + 1].node->max[path[l + 1].idx];
	}
	memcpy(s->cap, stored_caps(t, path, l), sizeof(s->cap));
}

static void set_root_summ(struct iova_tree *t, const struct summ *s)
{
	t->min = s->min;
	t->max = s->max;
	memcpy(t->cap, s->cap, sizeof(t->cap));
}

/*
 * The subtree at level @l of @path (the root when l == height) now spans
 * s->min..s->max and, when @caps_changed, has capacities s->cap (else they
 * are as stored). Store that and carry the effect upwards, stopping as soon
 * as nothing stored changes. Clobbers *@s.
 */
static void propagate(struct iova_tree *t, const struct pent *path,
		      unsigned l, struct summ *s, bool caps_changed)
{
	for (; l < t->height; l++) {
		struct inode *x = path[l + 1].node;
		unsigned i = path[l + 1].idx, n = x->n;
		uint64_t m0 = x->min[i], M0 = x->max[i];
		cap_t om[NCAP], nm[NCAP], *h;
		bool lgap, rgap;

		if (!caps_changed && m0 == s->min && M0 == s->max)
			return;
		x->min[i] = s->min;
		x->max[i] = s->max;
		/* Besides the child's own caps, only the gaps beside it move. */
		lgap = i > 0 && m0 != s->min;
		rgap = i + 1 < n && M0 != s->max;
		if (!caps_changed && !lgap && !rgap) {
			/* x keeps its caps; only its min (i == 0) or max moved. */
			s->min = x->min[0];
			s->max = x->max[n - 1];
			continue;
		}
		memcpy(om, x->cap[i], sizeof(om));
		if (caps_changed) {
			memcpy(nm, s->cap, sizeof(nm));
			memcpy(x->cap[i], s->cap, sizeof(nm));
		} else {
			memcpy(nm, om, sizeof(nm));
		}
		if (lgap) {
			caps_max(om, x->gcap[i]);
			gap_caps(x->max[i - 1], s->min, x->gcap[i]);
			caps_max(nm, x->gcap[i]);
		}
		if (rgap) {
			caps_max(om, x->gcap[i + 1]);
			gap_caps(s->max, x->min[i + 1], x->gcap[i + 1]);
			caps_max(nm, x->gcap[i + 1]);
		}
		h = stored_caps(t, path, l + 1);
		memcpy(s->cap, h, sizeof(s->cap));
		/*
		 * A row whose maximum may be gone keeps its old value, now a
		 * bound: tighten() makes it exact when a search needs it.
		 */
		if (caps_update(s->cap, om, nm))
			x->loose = 1;
		caps_changed = memcmp(s->cap, h, sizeof(s->cap)) != 0;
		s->min = x->min[0];
		s->max = x->max[n - 1];
	}
	t->min = s->min;
	t->max = s->max;
	if (caps_changed)
		memcpy(t->cap, s->cap, sizeof(t->cap));
}

/* ---- lifetime and simple queries ---- */

struct iova_tree *iova_tree_new(void)
{
	struct iova_tree *t = ioasid_calloc(1, sizeof(*t));

	if (t)
		t->bytes = sizeof(*t);
	return t;
}

static void free_subtree(void *node, unsigned h)
{
	if (h) {
		struct inode *x = node;
		unsigned i;

		for (i = 0; i < x->n; i++)
			free_subtree(x->child[i], h - 1);
	}
	ioasid_free(node);
}

void iova_tree_free(struct iova_tree *t)
{
	if (!t)
		return;
	if (t->root)
		free_subtree(t->root, t->height);
	ioasid_free(t);
}

size_t iova_tree_count(const struct iova_tree *t)
{
	return t->count;
}

size_t iova_tree_heap_bytes(const struct iova_tree *t)
{
	return t->bytes;
}

/*
 * The first area whose last >= @x, or NULL. Descending on max[] never needs
 * to backtrack: every area in the children before the chosen one ends
 * below x, and the chosen one ends at or after it.
 */
static struct iova_area *lower_bound(const struct iova_tree *t, uint64_t x)
{
	const void *node = t->root;
	const struct leaf *l;
	unsigned h;

	if (!node || x > t->max)
		return NULL;
	for (h = t->height; h; h--) {
		const struct inode *in = node;

		prefetch_keys(in);
		node = in->child[keys_lb(in->max, in->n, x)];
	}
	l = node;
	prefetch_leaf(l);
	/* x <= t->max makes every step land inside the node. */
	return (struct iova_area *)&l->a[leaf_lb(l, x)];
}

struct iova_area *iova_tree_find(const struct iova_tree *t, uint64_t iova)
{
	struct iova_area *a = lower_bound(t, iova);

	return a && a->iova <= iova ? a : NULL;
}

struct iova_area *iova_tree_first_in(const struct iova_tree *t,
				     uint64_t first, uint64_t last)
{
	struct iova_area *a;

	if (first > last)
		return NULL;
	a = lower_bound(t, first);
	return a && a->iova <= last ? a : NULL;
}

struct iova_area *iova_tree_next(const struct iova_tree *t,
				 const struct iova_area *a)
{
	if (a->last == UINT64_MAX)
		return NULL;
	return lower_bound(t, a->last + 1);
}

/*
 * Walk down to the leaf that decides @x, recording the path: at each level
 * the first child whose max >= x, or the last child when there is none
 * (x > t->max: an append, which needs no search at all).
 */
static struct leaf *descend(const struct iova_tree *t, uint64_t x,
			    struct pent *path)
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

/* ---- insert ---- */

/*
 * Split the full leaf @l around an insert of @a at position @p: @l keeps
 * the first part, the empty @r receives the rest. Appending at the end
 * leaves @l full and puts only @a in @r, so ascending inserts (the common
 * case for a growing address space) build full leaves; inserting at the
 * front moves everything to @r and leaves only @a in @l, the mirror case,
 * which leaf_shift_left() then keeps filling from the right.
 */
static void leaf_split(struct leaf *l, struct leaf *r, unsigned p,
		       const struct iova_area *a)
{
	unsigned s; /* how many of the LEAF_CAP + 1 areas end up in l */

	if (p == LEAF_CAP)
		s = LEAF_CAP;
	else if (p == 0)
		s = 1;
	else
		s = (LEAF_CAP + 1) / 2;
	if (p < s) {
		r->n = LEAF_CAP - (s - 1);
		memcpy(r->a, &l->a[s - 1], r->n * sizeof(*a));
		l->n = s - 1;
		leaf_insert_at(l, p, a);
	} else {
		r->n = LEAF_CAP - s;
		memcpy(r->a, &l->a[s], r->n * sizeof(*a));
		l->n = s;
		leaf_insert_at(r, p - s, a);
	}
}

/* The same for internal nodes; only appends get the uneven split. */
static void inode_split(struct inode *x, struct inode *y, unsigned q,
			void *child, const struct summ *cs)
{
	unsigned s = q == NODE_CAP ? NODE_CAP : (NODE_CAP + 1) / 2;

	if (q < s) {
		y->n = NODE_CAP - (s - 1);
		inode_move(y, 0, x, s - 1, y->n);
		x->n = s - 1;
		inode_insert(x, q, child, cs);
	} else {
		y->n = NODE_CAP - s;
		inode_move(y, 0, x, s, y->n);
		x->n = s;
		inode_insert(y, q - s, child, cs);
	}
	/* y's first entry lost its left neighbour. */
	inode_fix_gcaps(y, 0, 1);
}

/*
 * Insert @a at position @p (< LEAF_CAP, so not an append) of the full leaf
 * child i of @x by moving its first areas into child i-1, which has room.
 * This is what keeps leaves full when a hole between two leaves, or inside
 * one, is filled in ascending order (lowest-fit allocation does exactly
 * that) instead of leaving a trail of half-empty leaves behind.
 */
static void leaf_shift_left(struct inode *x, unsigned i, struct leaf *l,
			    unsigned p, const struct iova_area *a)
{
	struct leaf *left = x->child[i - 1];
	unsigned room = LEAF_CAP - left->n;
	struct summ s;

	if (p < room) {
		/* a itself fits in the left leaf too. */
		memcpy(&left->a[left->n], l->a, p * sizeof(*a));
		left->n += p;
		left->a[left->n++] = *a;
		memmove(l->a, &l->a[p], (l->n - p) * sizeof(*a));
		l->n -= p;
	} else {
		memcpy(&left->a[left->n], l->a, room * sizeof(*a));
		left->n += room;
		memmove(l->a, &l->a[room], (l->n - room) * sizeof(*a));
		l->n -= room;
		leaf_insert_at(l, p - room, a);
	}
	/*
	 * Areas only moved between the two leaves and a split a hole: the
	 * holes of both now are among the old ones of both and the gap
	 * between them, shrunk or not. Their largest is a bound for each
	 * leaf, and x's summary, which counted them all, stays exact.
	 */
	pair_bound(x, i - 1, &s);
	s.min = left->a[0].iova;
	s.max = left->a[left->n - 1].last;
	inode_set(x, i - 1, left, &s);
	s.min = l->a[0].iova;
	s.max = l->a[l->n - 1].last;
	inode_set(x, i, l, &s);
	inode_fix_gcaps(x, i - 1, i + 2);
	left->loose = l->loose = 1;
}

/*
 * A full leaf that is not the first child and gets @a anywhere but at its
 * end: when its left sibling has room, shift into it instead of splitting.
 * True if done.
 */
static bool insert_by_shift(struct iova_tree *t, struct pent *path, struct leaf *l, unsigned p,
			    const struct iova_area *a)
{
	struct inode *x;
	const struct leaf *left;

	if (!t->height || p == LEAF_CAP || path[1].idx == 0)
		return false;
	x = path[1].node;
	left = x->child[path[1].idx - 1];
	if (left->n == LEAF_CAP)
		return false;
	/* x keeps its span (l keeps its last area) and its capacities. */
	leaf_shift_left(x, path[1].idx, l, p, a);
	return true;
}

/*
 * Allocate the new leaf and the internal nodes levels 1..@nr_nodes of a
 * split up front: a failure must leave the tree as it was.
 */
static int alloc_split_nodes(struct iova_tree *t, unsigned nr_nodes, struct leaf **ret_leaf,
			     struct inode **nodes)
{
	struct leaf *nl;
	unsigned lv;

	nl = ioasid_malloc(sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	for (lv = 1; lv <= nr_nodes; lv++) {
		nodes[lv] = ioasid_malloc(sizeof(struct inode));
		if (!nodes[lv]) {
			while (--lv >= 1)
				ioasid_free(nodes[lv]);
			ioasid_free(nl);
			return -ENOMEM;
		}
	}
	t->bytes += sizeof(*nl) + nr_nodes * sizeof(struct inode);
	*ret_leaf = nl;
	return 0;
}

/*
 * An append reaches level @lv, whose node has room: hang @rnode (summary
 * @sr) after the last child. Only the new gap and @rnode's own holes can
 * raise the node's caps, so no rescan.
 */
static void append_at_level(struct iova_tree *t, struct pent *path, unsigned lv, void *rnode,
			    const struct summ *sr)
{
	struct inode *x = path[lv].node;
	unsigned i = path[lv].idx;
	cap_t *h = stored_caps(t, path, lv);
	struct summ s;
	bool changed;

	changed = gap_exceeds(x->max[i], sr->min, h) || caps_exceed(sr->cap, h);
	if (changed) {
		memcpy(s.cap, h, sizeof(s.cap));
		gap_caps_max(x->max[i], sr->min, s.cap);
		caps_max(s.cap, sr->cap);
	}
	inode_insert(x, i + 1, rnode, sr);
	s.min = x->min[0];
	s.max = sr->max;
	propagate(t, path, lv, &s, changed);
}

/*
 * A leaf split in two (not an append) under path[1], which has room: hang
 * the halves there. The entries carry l's old capacities (a bound), and
 * the gap between the halves was a hole inside l, or (an insert before
 * l's first area) is the one new hole; the gap before l can only shrink.
 * So x's capacities grow by that gap at most, and its summary turns loose
 * if the gap before l held one of its maxima.
 */
static void split_leaf_entry(struct iova_tree *t, struct pent *path, void *lnode,
			     const struct summ *sl, void *rnode, const struct summ *sr)
{
	struct inode *x = path[1].node;
	unsigned i = path[1].idx;
	cap_t *h = stored_caps(t, path, 1), og[NCAP];
	struct summ s;

	memcpy(og, x->gcap[i], sizeof(og));
	inode_set(x, i, lnode, sl);
	inode_fix_gcaps(x, i, i + 1);
	if (memcmp(og, x->gcap[i], sizeof(og)) && caps_attained(og, h))
		x->loose = 1;
	inode_insert(x, i + 1, rnode, sr);
	memcpy(s.cap, h, sizeof(s.cap));
	caps_max(s.cap, x->gcap[i + 1]);
	s.min = x->min[0];
	s.max = x->max[x->n - 1];
	propagate(t, path, 1, &s, memcmp(s.cap, h, sizeof(s.cap)) != 0);
}

/* Every level split: grow the new root @r above the two halves. */
static void grow_root(struct iova_tree *t, struct inode *r, void *lnode, const struct summ *sl,
		      void *rnode, const struct summ *sr)
{
	struct summ s;

	r->n = 2;
	r->loose = 0;
	inode_set(r, 0, lnode, sl);
	inode_set(r, 1, rnode, sr);
	inode_fix_gcaps(r, 0, 2);
	t->root = r;
	t->height++;
	inode_summ(r, &s);
	set_root_summ(t, &s);
}

static int insert_full(struct iova_tree *t, struct pent *path, struct leaf *l,
		       unsigned p, const struct iova_area *a)
{
	struct inode *nodes[MAX_HEIGHT + 1];
	struct leaf *nl;
	void *lnode, *rnode;
	struct summ sl, sr, s;
	unsigned k, lv;
	bool new_root, append = p == LEAF_CAP;
	int ret;

	if (insert_by_shift(t, path, l, p, a))
		return 0;

	/* Levels 0..k-1 split; a new root is needed if all of them do. */
	for (k = 1; k <= t->height && path[k].node->n == NODE_CAP; k++)
		;
	new_root = k > t->height;
	if (new_root && t->height + 1 >= MAX_HEIGHT)
		return -ENOMEM;
	ret = alloc_split_nodes(t, k - 1 + new_root, &nl, nodes);
	if (ret)
		return ret;

	/*
	 * An append (the path is the right edge, every index the last) leaves
	 * every old node as it was and hangs a chain of one-entry nodes off
	 * the right edge: no summary needs a rescan, so skip them.
	 */
	stored_summ(t, path, 0, &sl);
	leaf_split(l, nl, p, a);
	nl->loose = 0;
	if (append) {
		leaf_summ(nl, &sr);
	} else {
		/*
		 * Every hole now inside l or nl was inside l before, a part of
		 * one at most: l's stored capacities bound both. (With p == 0,
		 * l holds only a, and its new hole is the gap between them.)
		 */
		sr = sl;
		sl.min = l->a[0].iova;
		sl.max = l->a[l->n - 1].last;
		sr.min = nl->a[0].iova;
		sr.max = nl->a[nl->n - 1].last;
		l->loose = nl->loose = 1;
	}
	lnode = l;
	rnode = nl;
	for (lv = 1; lv <= t->height; lv++) {
		struct inode *x = path[lv].node;
		unsigned i = path[lv].idx;

		if (x->n < NODE_CAP && append) {
			append_at_level(t, path, lv, rnode, &sr);
			return 0;
		}
		if (lv == 1 && x->n < NODE_CAP) {
			split_leaf_entry(t, path, lnode, &sl, rnode, &sr);
			return 0;
		}
		if (!append) {
			inode_set(x, i, lnode, &sl);
			inode_fix_gcaps(x, i, i + 2);
		}
		if (x->n < NODE_CAP) {
			inode_insert(x, i + 1, rnode, &sr);
			inode_summ(x, &s);
			x->loose = 0;
			propagate(t, path, lv, &s, true);
			return 0;
		}
		inode_split(x, nodes[lv], i + 1, rnode, &sr);
		nodes[lv]->loose = 0;
		if (append) {
			/* x is unchanged, the new node holds just rnode. */
			stored_summ(t, path, lv, &sl);
		} else {
			inode_summ(x, &sl);
			inode_summ(nodes[lv], &sr);
			x->loose = 0;
		}
		lnode = x;
		rnode = nodes[lv];
	}
	grow_root(t, nodes[lv], lnode, &sl, rnode, &sr);
	return 0;
}

/* The first area of an empty tree: a root leaf. */
static int insert_first(struct iova_tree *t, const struct iova_area *a)
{
	struct leaf *l = ioasid_malloc(sizeof(*l));
	struct summ s;

	if (!l)
		return -ENOMEM;
	l->n = 1;
	l->loose = 0;
	l->a[0] = *a;
	t->root = l;
	t->height = 0;
	t->bytes += sizeof(*l);
	t->count = 1;
	leaf_summ(l, &s);
	set_root_summ(t, &s);
	return 0;
}

/*
 * The common case: @a goes at position @p of leaf @l, which has room;
 * the leaf's summary is updated in O(1).
 */
static inline void insert_with_room(struct iova_tree *t, struct pent *path, struct leaf *l,
				    unsigned p, const struct iova_area *a)
{
	unsigned n0 = l->n;
	cap_t *h = stored_caps(t, path, 0);
	struct summ s;
	bool changed = false;

	if (p == 0 || p == n0) {
		/* One new hole, between a and its neighbour in the leaf. */
		uint64_t pl = p ? l->a[n0 - 1].last : a->last;
		uint64_t nf = p ? a->iova : l->a[0].iova;

		if (gap_exceeds(pl, nf, h)) {
			memcpy(s.cap, h, sizeof(s.cap));
			gap_caps_max(pl, nf, s.cap);
			changed = true;
		}
		if (p) {
			l->a[n0] = *a;
			l->n++;
		} else {
			leaf_insert_at(l, 0, a);
		}
	} else {
		/*
		 * a splits one hole into two smaller ones. If that hole held
		 * a maximum of the leaf, the stored value becomes a bound.
		 */
		if (!l->loose && gap_attains(l->a[p - 1].last, l->a[p].iova, h))
			l->loose = 1;
		leaf_insert_at(l, p, a);
	}
	s.min = l->a[0].iova;
	s.max = l->a[n0].last;
	propagate(t, path, 0, &s, changed);
}

int iova_tree_insert(struct iova_tree *t, const struct iova_area *a)
{
	struct pent path[MAX_HEIGHT + 1];
	struct leaf *l;
	unsigned p, n0;
	int ret;

	if (a->last < a->iova)
		return -EINVAL;
	if (!t->root)
		return insert_first(t, a);

	l = t->hint.leaf;
	if (l && a->iova == t->hint.iova && l->a[t->hint.pos - 1].last < a->iova &&
	    a->last < l->a[t->hint.pos].iova) {
		/* Right after find_hole() found this hole: no descent. */
		p = t->hint.pos;
		memcpy(&path[1], &t->hint.path[1], t->height * sizeof(path[0]));
	} else {
		l = descend(t, a->iova, path);
		p = a->iova > t->max ? l->n : leaf_lb(l, a->iova);
	}
	t->hint.leaf = NULL;
	n0 = l->n;
	/*
	 * Area p is the first to end at or after a->iova, the one before it
	 * (in this leaf or the previous one) ends below; only p can overlap.
	 */
	if (p < n0 && l->a[p].iova <= a->last)
		return -EEXIST;

	if (n0 == LEAF_CAP) {
		ret = insert_full(t, path, l, p, a);
		if (!ret)
			t->count++;
		return ret;
	}
	insert_with_room(t, path, l, p, a);
	t->count++;
	return 0;
}

/* ---- remove ---- */

/*
 * Rebalancing only regroups the areas of two siblings: the set of holes
 * under their parent stays the same, so the parent's summary, and every
 * summary above it, stays valid. Only the two entries (and the gap cached
 * between them) need updating. Removal therefore settles the summaries
 * first and restructures afterwards.
 */

/*
 * Leaves @a (child ai of @x) and @b (child ai + 1) hold more than LEAF_CAP
 * areas together: even them out.
 */
static void leaf_redistribute(struct inode *x, unsigned ai)
{
	struct leaf *a = x->child[ai], *b = x->child[ai + 1];
	unsigned want = (a->n + b->n) / 2;
	struct summ s;

	if (a->n < want) {
		unsigned m = want - a->n;

		memcpy(&a->a[a->n], b->a, m * sizeof(b->a[0]));
		memmove(b->a, &b->a[m], (b->n - m) * sizeof(b->a[0]));
		a->n += m;
		b->n -= m;
	} else if (a->n > want) {
		unsigned m = a->n - want;

		memmove(&b->a[m], b->a, b->n * sizeof(b->a[0]));
		memcpy(b->a, &a->a[want], m * sizeof(b->a[0]));
		a->n -= m;
		b->n += m;
	}
	/* As in leaf_shift_left(): a bound for both, x unchanged. */
	pair_bound(x, ai, &s);
	s.min = a->a[0].iova;
	s.max = a->a[a->n - 1].last;
	inode_set(x, ai, a, &s);
	s.min = b->a[0].iova;
	s.max = b->a[b->n - 1].last;
	inode_set(x, ai + 1, b, &s);
	inode_fix_gcaps(x, ai + 1, ai + 2);
	a->loose = b->loose = 1;
}

static void inode_redistribute(struct inode *x, unsigned ai)
{
	struct inode *a = x->child[ai], *b = x->child[ai + 1];
	unsigned want = (a->n + b->n) / 2;
	struct summ s;

	if (a->n < want) {
		unsigned m = want - a->n;

		inode_move(a, a->n, b, 0, m);
		inode_move(b, 0, b, m, b->n - m);
		a->n += m;
		b->n -= m;
		inode_fix_gcaps(a, a->n - m, a->n - m + 1);
		inode_fix_gcaps(b, 0, 1);
	} else if (a->n > want) {
		unsigned m = a->n - want;

		inode_move(b, m, b, 0, b->n);
		inode_move(b, 0, a, want, m);
		a->n -= m;
		b->n += m;
		inode_fix_gcaps(b, 0, 1);
		inode_fix_gcaps(b, m, m + 1);
	}
	pair_bound(x, ai, &s);
	s.min = a->min[0];
	s.max = a->max[a->n - 1];
	inode_set(x, ai, a, &s);
	s.min = b->min[0];
	s.max = b->max[b->n - 1];
	inode_set(x, ai + 1, b, &s);
	inode_fix_gcaps(x, ai + 1, ai + 2);
	a->loose = b->loose = 1;
}

/*
 * Entry ai + 1 of @x merges into entry ai: their summary is the larger of
 * the two plus the gap between them, no rescan needed.
 */
static void merged_summ(const struct inode *x, unsigned ai, struct summ *s)
{
	s->min = x->min[ai];
	s->max = x->max[ai + 1];
	memcpy(s->cap, x->cap[ai], sizeof(s->cap));
	caps_max(s->cap, x->cap[ai + 1]);
	caps_max(s->cap, x->gcap[ai + 1]);
}

/* Which sibling pair to fix for child @i of @x, whose n is @n. */
static unsigned pick_pair(const struct inode *x, unsigned i, unsigned n,
			  unsigned cap, bool leaves)
{
	if (i > 0) {
		unsigned ln = leaves ? ((struct leaf *)x->child[i - 1])->n :
				       ((struct inode *)x->child[i - 1])->n;

		/* The left one if merging with it fits. */
		if (ln + n <= cap || i + 1 == x->n)
			return i - 1;
	}
	return i;
}

/*
 * Node path[lv] may have fallen below NODE_MIN entries: merge it with a
 * sibling or even them out, upwards as long as merges empty parents.
 * Summaries are already right (see above). Frees, never allocates.
 */
static void inode_rebalance(struct iova_tree *t, struct pent *path,
			    unsigned lv)
{
	for (;; lv++) {
		struct inode *x = path[lv].node, *y, *a, *b;
		unsigned ai;
		struct summ s;

		if (lv == t->height) {
			/* The root: drop levels that have a single child. */
			while (t->height && ((struct inode *)t->root)->n == 1) {
				struct inode *r = t->root;

				/* the child's entry is its stored summary */
				memcpy(t->cap, r->cap[0], sizeof(t->cap));
				t->root = r->child[0];
				t->height--;
				t->bytes -= sizeof(*r);
				ioasid_free(r);
			}
			return;
		}
		y = path[lv + 1].node;
		if (x->n >= NODE_MIN || y->n == 1)
			return;
		ai = pick_pair(y, path[lv + 1].idx, x->n, NODE_CAP, false);
		a = y->child[ai];
		b = y->child[ai + 1];
		if (a->n + b->n > NODE_CAP) {
			inode_redistribute(y, ai);
			return;
		}
		merged_summ(y, ai, &s);
		inode_move(a, a->n, b, 0, b->n);
		a->n += b->n;
		a->loose |= b->loose; /* s is made of the stored values */
		/* b's first entry now has a left neighbour. */
		inode_fix_gcaps(a, a->n - b->n, a->n - b->n + 1);
		t->bytes -= sizeof(*b);
		ioasid_free(b);
		inode_set(y, ai, a, &s);
		inode_delete(y, ai + 1);
	}
}

/* Leaf path[1].child fell below LEAF_MIN areas: merge or even out. */
static void leaf_rebalance(struct iova_tree *t, struct pent *path)
{
	struct inode *x = path[1].node;
	struct leaf *a, *b;
	struct summ s;
	unsigned ai;

	if (x->n == 1)
		return;
	ai = pick_pair(x, path[1].idx, ((struct leaf *)x->child[path[1].idx])->n,
		       LEAF_CAP, true);
	a = x->child[ai];
	b = x->child[ai + 1];
	if (a->n + b->n > LEAF_CAP) {
		leaf_redistribute(x, ai);
		return;
	}
	merged_summ(x, ai, &s);
	memcpy(&a->a[a->n], b->a, b->n * sizeof(b->a[0]));
	a->n += b->n;
	a->loose |= b->loose; /* s is made of the stored values */
	t->bytes -= sizeof(*b);
	ioasid_free(b);
	inode_set(x, ai, a, &s);
	inode_delete(x, ai + 1);
	inode_rebalance(t, path, 1);
}

/*
 * The leaf on @path held only the area being removed. Unlink it, and any
 * ancestor left empty, then fix the summaries: the two holes around the
 * area become one that contains both, so capacities only grow, unless
 * the area was at an end of the first node left, where the hole after it
 * moves out of that node.
 */
static void remove_last_in_leaf(struct iova_tree *t, struct pent *path)
{
	struct inode *x = NULL;
	struct summ s;
	unsigned lv;
	cap_t *h;

	ioasid_free(path[1].node->child[path[1].idx]);
	t->bytes -= sizeof(struct leaf);
	for (lv = 1; lv <= t->height; lv++) {
		x = path[lv].node;
		inode_delete(x, path[lv].idx);
		if (x->n)
			break;
		/* A thin node (see inode_split()) lost its only child. */
		t->bytes -= sizeof(*x);
		ioasid_free(x);
	}
	if (lv > t->height) {
		/* That was the last area: only thin nodes led to it. */
		t->root = NULL;
		t->height = 0;
		return;
	}
	h = stored_caps(t, path, lv);
	if (path[lv].idx == 0 || path[lv].idx == x->n) {
		inode_caps(x, s.cap);
		x->loose = 0;
	} else {
		memcpy(s.cap, h, sizeof(s.cap));
		caps_max(s.cap, x->gcap[path[lv].idx]);
	}
	s.min = x->min[0];
	s.max = x->max[x->n - 1];
	propagate(t, path, lv, &s, memcmp(s.cap, h, sizeof(s.cap)) != 0);
	inode_rebalance(t, path, lv);
}

static int remove_at(struct iova_tree *t, uint64_t iova, bool check_last, uint64_t last,
		     struct iova_area *out);

int iova_tree_remove(struct iova_tree *t, uint64_t iova, struct iova_area *out)
{
	return remove_at(t, iova, false, 0, out);
}

int iova_tree_remove_exact(struct iova_tree *t, uint64_t iova, uint64_t last,
			   struct iova_area *out)
{
	return remove_at(t, iova, true, last, out);
}

static int remove_at(struct iova_tree *t, uint64_t iova, bool check_last, uint64_t last,
		     struct iova_area *out)
{
	struct pent path[MAX_HEIGHT + 1];
	cap_t *h;
	struct leaf *l;
	struct summ s;
	unsigned p, n0;
	bool changed = false;

	if (!t->root || iova < t->min || iova > t->max)
		return -ENOENT;
	t->hint.leaf = NULL;
	l = descend(t, iova, path);
	n0 = l->n;
	p = leaf_lb(l, iova);
	if (l->a[p].iova != iova)
		return -ENOENT;
	if (out)
		*out = l->a[p];
	if (check_last && l->a[p].last != last)
		return -ERANGE;
	t->count--;

	if (n0 == 1) {
		if (!t->height) {
			t->bytes -= sizeof(*l);
			ioasid_free(l);
			t->root = NULL;
			return 0;
		}
		remove_last_in_leaf(t, path);
		return 0;
	}

	if (t->height && n0 - 1 < LEAF_MIN) {
		/*
		 * A rebalance with a sibling follows: start fetching both
		 * candidates now so the misses overlap with the work below.
		 */
		const struct inode *x = path[1].node;
		unsigned i = path[1].idx;

		if (i > 0)
			prefetch_leaf(x->child[i - 1]);
		if (i + 1 < x->n)
			prefetch_leaf(x->child[i + 1]);
	}

	/* Work out the new capacities from the areas around p first. */
	h = stored_caps(t, path, 0);
	if (p == 0 || p == n0 - 1) {
		/* The hole on the inner side of p leaves this leaf. */
		/* It may have held a maximum: the stored value is a bound. */
		if (!l->loose && (p == 0 ? gap_attains(l->a[0].last, l->a[1].iova, h) :
					   gap_attains(l->a[p - 1].last, l->a[p].iova, h)))
			l->loose = 1;
	} else {
		/* Two holes merge into one that contains both. */
		if (gap_exceeds(l->a[p - 1].last, l->a[p + 1].iova, h)) {
			memcpy(s.cap, h, sizeof(s.cap));
			gap_caps_max(l->a[p - 1].last, l->a[p + 1].iova, s.cap);
			changed = true;
		}
	}
	memmove(&l->a[p], &l->a[p + 1], (n0 - p - 1) * sizeof(l->a[0]));
	l->n--;
	s.min = l->a[0].iova;
	s.max = l->a[l->n - 1].last;
	propagate(t, path, 0, &s, changed);
	if (t->height && l->n < LEAF_MIN)
		leaf_rebalance(t, path);
	return 0;
}

/* ---- find_hole ---- */

struct hole_q {
	uint64_t lo, hi, length, mask, offset;
	unsigned j;    /* the cap[] row to prune with */
	uint64_t need; /* smallest hole capacity that can hold a fit */
	cap_t need_c;  /* the same in stored units */
	uint64_t out;
	const struct leaf *leaf; /* where out was found, if in a leaf */
	unsigned pos;            /* and the area after its hole */
};

/*
 * Test the hole [s, e] clipped to the window, with exactly the rule of the
 * header comment (the kernel's __alloc_iova_check_range()).
 */
static bool hole_fits(struct hole_q *q, uint64_t s, uint64_t e)
{
	uint64_t x;

	if (s < q->lo)
		s = q->lo;
	if (e > q->hi)
		e = q->hi;
	/* x >= s, so s >= e (including an empty clip) can never give x < e. */
	if (s >= e)
		return false;
	/* ALIGN_UP(s) would wrap past UINT64_MAX. */
	if (s > UINT64_MAX - q->mask)
		return false;
	x = ((s + q->mask) & ~q->mask) | q->offset;
	if (x >= e || e - x < q->length - 1)
		return false;
	q->out = x;
	return true;
}

/* Test the hole between two areas, skipping small ones cheaply. */
static inline bool gap_fits(struct hole_q *q, uint64_t prev_last,
			    uint64_t next_first)
{
	return next_first - prev_last - 1 >= q->need &&
	       hole_fits(q, prev_last + 1, next_first - 1);
}

/*
 * The subtree at level @lv of @path (the root when lv == height) is loose
 * and a search just found its stored summary promising more than it
 * holds: make the summary exact from the node's own entries and carry the
 * change upwards (propagate() rescans only the rows that need it). This is
 * where the work a fixed map or an unmap saved by leaving a bound behind
 * is paid, once, and only if an automatic allocation ever looks there.
 */
static void tighten(struct iova_tree *t, const struct pent *path, unsigned lv, void *node)
{
	struct summ s;

	if (lv)
		inode_summ(node, &s);
	else
		leaf_summ(node, &s);
	((struct leaf *)node)->loose = 0; /* same offset in both kinds */
	if (lv == t->height) {
		memcpy(t->cap, s.cap, sizeof(t->cap));
		return;
	}
	propagate(t, path, lv, &s, memcmp(s.cap, stored_caps(t, path, lv), sizeof(s.cap)) != 0);
}

/*
 * Lowest fitting hole strictly inside the subtree @node at level @lv.
 * Return 1 when found (q->out), 0 when not, -1 when the search went past
 * the window's end so nothing later can fit either. path[lv + 1..height]
 * lead to @node; a loose subtree searched in vain is tightened.
 */
static int hole_search(struct iova_tree *t, void *node, unsigned lv, struct pent *path,
		       struct hole_q *q)
{
	struct inode *x;
	unsigned i;

	if (!lv) {
		const struct leaf *l = node;

		/* Holes before area i end below a[i-1].last < lo: skip them. */
		i = leaf_lb(l, q->lo);
		for (i = i ? i : 1; i < l->n; i++) {
			if (l->a[i - 1].last + 1 >= q->hi)
				return -1;
			if (gap_fits(q, l->a[i - 1].last, l->a[i].iova)) {
				q->leaf = l;
				q->pos = i;
				return 1;
			}
		}
		return 0;
	}

	x = node;
	path[lv].node = x;
	/* Children ending below lo hold nothing in the window. */
	for (i = keys_lb(x->max, x->n, q->lo); i < x->n; i++) {
		if (i > 0) {
			if (x->max[i - 1] + 1 >= q->hi)
				return -1;
			if (x->gcap[i][q->j] >= q->need_c &&
			    hole_fits(q, x->max[i - 1] + 1, x->min[i] - 1))
				return 1;
		}
		/* Holes inside child i start above min[i]. */
		if (x->min[i] >= q->hi)
			return -1;
		if (x->cap[i][q->j] >= q->need_c) {
			void *c = x->child[i];
			int r;

			path[lv].idx = i;
			r = hole_search(t, c, lv - 1, path, q);
			if (r)
				return r;
			if (((struct leaf *)c)->loose)
				tighten(t, path, lv - 1, c);
		}
	}
	return 0;
}

int iova_tree_find_hole(struct iova_tree *t, uint64_t lo, uint64_t hi, uint64_t length,
			uint64_t align, uint64_t offset, uint64_t *out)
{
	struct hole_q q = {
		.lo = lo, .hi = hi, .length = length, .mask = align - 1,
		.offset = offset,
	};
	struct pent path[MAX_HEIGHT + 1];
	unsigned shift;
	bool found;
	int r;

	if (!length || !align || (align & (align - 1)))
		return -EINVAL;
	/*
	 * Prune with the largest tracked alignment not above @align: aligning
	 * to more only moves x further, so that row is an upper bound.
	 */
	shift = (unsigned)__builtin_ctzll(align);
	q.j = shift < 12 ? 0 : shift > 21 ? NCAP - 1 : shift - 11;
	/*
	 * A fit needs x < e and e - x >= length - 1, so e + 1 - ALIGN_UP(s)
	 * >= max(length, 2) + offset (when offset < align it is added, else
	 * it is OR-ed into bits ALIGN_UP(s) may already have). Saturate: a
	 * need past UINT64_MAX is larger than any inner hole anyway.
	 */
	q.need = length < 2 ? 2 : length;
	if (offset < align && __builtin_add_overflow(q.need, offset, &q.need))
		q.need = UINT64_MAX;
	q.need_c = to_cap(q.need);

	if (!t->root) {
		found = hole_fits(&q, 0, UINT64_MAX);
	} else {
		found = t->min > 0 && hole_fits(&q, 0, t->min - 1);
		if (!found && t->cap[q.j] >= q.need_c && t->max > lo && t->min < hi) {
			r = hole_search(t, t->root, t->height, path, &q);
			found = r > 0;
			if (found && q.leaf) {
				t->hint.leaf = (struct leaf *)q.leaf;
				t->hint.pos = q.pos;
				t->hint.iova = q.out;
				memcpy(&t->hint.path[1], &path[1], t->height * sizeof(path[0]));
			}
			if (!r && ((struct leaf *)t->root)->loose)
				tighten(t, path, t->height, t->root);
		}
		if (!found && t->max < UINT64_MAX)
			found = hole_fits(&q, t->max + 1, UINT64_MAX);
	}
	if (!found)
		return -ENOSPC;
	*out = q.out;
	return 0;
}

/* ---- self check, for tests ---- */

/*
 * The capacities of one hole the slow and obvious way, independent of
 * gap_caps() and of the skipping tricks in the summary code.
 */
static void check_gap_caps(uint64_t prev_last, uint64_t next_first,
			   cap_t *c)
{
	unsigned j;

	for (j = 0; j < NCAP; j++) {
		uint64_t align = j ? 1ULL << (11 + j) : 1, s = prev_last + 1, a;

		c[j] = 0;
		if (s >= next_first || __builtin_add_overflow(s, align - 1, &a))
			continue;
		a &= ~(align - 1);
		if (a < next_first) {
			uint64_t v = next_first - a;

			/* ceil(v / 4 KiB), saturated */
			v = v > UINT64_MAX - 4095 ? UINT64_MAX : (v + 4095) / 4096;
			c[j] = v > UINT32_MAX ? UINT32_MAX : (cap_t)v;
		}
	}
}

struct check_walk {
	size_t count, bytes, loose;
	bool have_prev;
	uint64_t prev_last;
};

/* Every row of @hi at least the same row of @lo. */
static bool caps_ge(const cap_t *hi, const cap_t *lo)
{
	unsigned j;

	for (j = 0; j < NCAP; j++) {
		if (hi[j] < lo[j])
			return false;
	}
	return true;
}

/*
 * Whether @stored may be the stored summary of a subtree whose entries
 * give @derived and whose holes give @exact: equal to what the entries
 * give unless the node is loose, a bound then; never below the truth.
 */
static bool check_stored(const cap_t *stored, bool loose, const cap_t *derived, const cap_t *exact)
{
	if (!caps_ge(stored, exact))
		return false;
	return loose ? caps_ge(stored, derived) : !memcmp(stored, derived, NCAP * sizeof(cap_t));
}

/*
 * Recompute the summary of a subtree from scratch, checking as it goes:
 * @s gets the exact one (from the areas), @d the one its node's entries
 * give (the same for a leaf), which is what its parent stores unless the
 * node is loose.
 */
static bool check_node(const void *node, unsigned h, bool is_root, struct check_walk *w,
		       struct summ *s, cap_t *d)
{
	const struct inode *x;
	cap_t g[NCAP];
	unsigned i;

	if (!h) {
		const struct leaf *l = node;

		if (l->n < 1 || l->n > LEAF_CAP || l->loose > 1)
			return false;
		memset(s->cap, 0, sizeof(s->cap));
		for (i = 0; i < l->n; i++) {
			if (l->a[i].last < l->a[i].iova)
				return false;
			if (w->have_prev && l->a[i].iova <= w->prev_last)
				return false;
			if (i) {
				check_gap_caps(l->a[i - 1].last, l->a[i].iova, g);
				caps_max(s->cap, g);
			}
			w->have_prev = true;
			w->prev_last = l->a[i].last;
		}
		w->count += l->n;
		w->bytes += sizeof(*l);
		w->loose += l->loose;
		s->min = l->a[0].iova;
		s->max = l->a[l->n - 1].last;
		memcpy(d, s->cap, sizeof(s->cap));
		return true;
	}

	x = node;
	if (x->n < (is_root ? 2u : 1u) || x->n > NODE_CAP || x->loose > 1)
		return false;
	w->bytes += sizeof(*x);
	w->loose += x->loose;
	memset(s->cap, 0, sizeof(s->cap));
	memset(d, 0, NCAP * sizeof(*d));
	for (i = 0; i < x->n; i++) {
		struct summ c;
		cap_t cd[NCAP];

		if (!check_node(x->child[i], h - 1, false, w, &c, cd))
			return false;
		if (c.min != x->min[i] || c.max != x->max[i] ||
		    !check_stored(x->cap[i], ((const struct leaf *)x->child[i])->loose, cd, c.cap))
			return false;
		caps_max(s->cap, c.cap);
		caps_max(d, x->cap[i]);
		if (i)
			check_gap_caps(x->max[i - 1], x->min[i], g);
		else
			memset(g, 0, sizeof(g));
		if (memcmp(g, x->gcap[i], sizeof(g)))
			return false;
		caps_max(s->cap, g);
		caps_max(d, g);
	}
	s->min = x->min[0];
	s->max = x->max[x->n - 1];
	return true;
}

bool iova_tree_check(const struct iova_tree *t)
{
	struct check_walk w = { .bytes = sizeof(*t) };
	struct summ s;
	cap_t d[NCAP];

	if (!t->root)
		return !t->count && !t->height && t->bytes == sizeof(*t);
	if (t->height >= MAX_HEIGHT)
		return false;
	if (!check_node(t->root, t->height, true, &w, &s, d))
		return false;
	return s.min == t->min && s.max == t->max &&
	       check_stored(t->cap, ((const struct leaf *)t->root)->loose, d, s.cap) &&
	       w.count == t->count && w.bytes == t->bytes;
}

size_t iova_tree_loose_nodes(const struct iova_tree *t)
{
	struct check_walk w = { .bytes = sizeof(*t) };
	struct summ s;
	cap_t d[NCAP];

	if (!t->root || !check_node(t->root, t->height, true, &w, &s, d))
		return 0;
	return w.loose;
}
