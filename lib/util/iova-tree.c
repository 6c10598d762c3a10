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
 * new values of the few quantities the change touched (see iot_propagate()),
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
 * summary exact (iot_tighten()) and carries the decrease up. A bound is thus
 * paid for once, by the first search it misleads, and never by a workload
 * of fixed maps only (a guest choosing its IOVAs through a vIOMMU). A node
 * that is not loose stores exactly the maximum over its entries (entries
 * of loose children included), which is what iova_tree_check() verifies.
 *
 * Insert never leaves a half-done split behind: every node a split cascade
 * needs is allocated before anything is modified, so -ENOMEM leaves the
 * tree untouched. Remove never allocates: it only merges and frees.
 */
#include "iova-tree-int.h"

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
