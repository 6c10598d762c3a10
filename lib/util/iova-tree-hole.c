/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* iova-tree: the lowest fitting hole (find_hole) and iot_tighten(). */

#include "iova-tree-int.h"

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
static inline bool gap_fits(struct hole_q *q, uint64_t prev_last, uint64_t next_first)
{
	return next_first - prev_last - 1 >= q->need && hole_fits(q, prev_last + 1, next_first - 1);
}

/*
 * The subtree at level @lv of @path (the root when lv == height) is loose
 * and a search just found its stored summary promising more than it
 * holds: make the summary exact from the node's own entries and carry the
 * change upwards (iot_propagate() rescans only the rows that need it). This is
 * where the work a fixed map or an unmap saved by leaving a bound behind
 * is paid, once, and only if an automatic allocation ever looks there.
 */
void iot_tighten(struct iova_tree *t, const struct pent *path, unsigned lv, void *node)
{
	struct summ s;

	if (lv)
		iot_inode_summ(node, &s);
	else
		iot_leaf_summ(node, &s);
	((struct leaf *)node)->loose = 0; /* same offset in both kinds */
	if (lv == t->height) {
		memcpy(t->cap, s.cap, sizeof(t->cap));
		return;
	}
	iot_propagate(t, path, lv, &s,
		      memcmp(s.cap, iot_stored_caps(t, path, lv), sizeof(s.cap)) != 0);
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
				iot_tighten(t, path, lv - 1, c);
		}
	}
	return 0;
}

int iova_tree_find_hole(struct iova_tree *t, uint64_t lo, uint64_t hi, uint64_t length,
			uint64_t align, uint64_t offset, uint64_t *out)
{
	struct hole_q q = {
		.lo = lo,
		.hi = hi,
		.length = length,
		.mask = align - 1,
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
				iot_tighten(t, path, t->height, t->root);
		}
		if (!found && t->max < UINT64_MAX)
			found = hole_fits(&q, t->max + 1, UINT64_MAX);
	}
	if (!found)
		return -ENOSPC;
	*out = q.out;
	return 0;
}
