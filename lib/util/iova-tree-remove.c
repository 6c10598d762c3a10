/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* iova-tree: remove, with merges and redistribution; never allocates. */

#include "iova-tree-int.h"

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
	/* As in iot_leaf_shift_left(): a bound for both, x unchanged. */
	iot_pair_bound(x, ai, &s);
	s.min = a->a[0].iova;
	s.max = a->a[a->n - 1].last;
	iot_inode_set(x, ai, a, &s);
	s.min = b->a[0].iova;
	s.max = b->a[b->n - 1].last;
	iot_inode_set(x, ai + 1, b, &s);
	iot_inode_fix_gcaps(x, ai + 1, ai + 2);
	a->loose = b->loose = 1;
}

static void inode_redistribute(struct inode *x, unsigned ai)
{
	struct inode *a = x->child[ai], *b = x->child[ai + 1];
	unsigned want = (a->n + b->n) / 2;
	struct summ s;

	if (a->n < want) {
		unsigned m = want - a->n;

		iot_inode_move(a, a->n, b, 0, m);
		iot_inode_move(b, 0, b, m, b->n - m);
		a->n += m;
		b->n -= m;
		iot_inode_fix_gcaps(a, a->n - m, a->n - m + 1);
		iot_inode_fix_gcaps(b, 0, 1);
	} else if (a->n > want) {
		unsigned m = a->n - want;

		iot_inode_move(b, m, b, 0, b->n);
		iot_inode_move(b, 0, a, want, m);
		a->n -= m;
		b->n += m;
		iot_inode_fix_gcaps(b, 0, 1);
		iot_inode_fix_gcaps(b, m, m + 1);
	}
	iot_pair_bound(x, ai, &s);
	s.min = a->min[0];
	s.max = a->max[a->n - 1];
	iot_inode_set(x, ai, a, &s);
	s.min = b->min[0];
	s.max = b->max[b->n - 1];
	iot_inode_set(x, ai + 1, b, &s);
	iot_inode_fix_gcaps(x, ai + 1, ai + 2);
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
static unsigned pick_pair(const struct inode *x, unsigned i, unsigned n, unsigned cap, bool leaves)
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
static void inode_rebalance(struct iova_tree *t, struct pent *path, unsigned lv)
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
		iot_inode_move(a, a->n, b, 0, b->n);
		a->n += b->n;
		a->loose |= b->loose; /* s is made of the stored values */
		/* b's first entry now has a left neighbour. */
		iot_inode_fix_gcaps(a, a->n - b->n, a->n - b->n + 1);
		t->bytes -= sizeof(*b);
		ioasid_free(b);
		iot_inode_set(y, ai, a, &s);
		iot_inode_delete(y, ai + 1);
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
	ai = pick_pair(x, path[1].idx, ((struct leaf *)x->child[path[1].idx])->n, LEAF_CAP, true);
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
	iot_inode_set(x, ai, a, &s);
	iot_inode_delete(x, ai + 1);
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
		iot_inode_delete(x, path[lv].idx);
		if (x->n)
			break;
		/* A thin node (see iot_inode_split()) lost its only child. */
		t->bytes -= sizeof(*x);
		ioasid_free(x);
	}
	if (lv > t->height) {
		/* That was the last area: only thin nodes led to it. */
		t->root = NULL;
		t->height = 0;
		return;
	}
	h = iot_stored_caps(t, path, lv);
	if (path[lv].idx == 0 || path[lv].idx == x->n) {
		iot_inode_caps(x, s.cap);
		x->loose = 0;
	} else {
		memcpy(s.cap, h, sizeof(s.cap));
		caps_max(s.cap, x->gcap[path[lv].idx]);
	}
	s.min = x->min[0];
	s.max = x->max[x->n - 1];
	iot_propagate(t, path, lv, &s, memcmp(s.cap, h, sizeof(s.cap)) != 0);
	inode_rebalance(t, path, lv);
}

static int remove_at(struct iova_tree *t, uint64_t iova, bool check_last, uint64_t last,
		     struct iova_area *out);

int iova_tree_remove(struct iova_tree *t, uint64_t iova, struct iova_area *out)
{
	return remove_at(t, iova, false, 0, out);
}

int iova_tree_remove_exact(struct iova_tree *t, uint64_t iova, uint64_t last, struct iova_area *out)
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
	l = iot_descend(t, iova, path);
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
	h = iot_stored_caps(t, path, 0);
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
	iot_propagate(t, path, 0, &s, changed);
	if (t->height && l->n < LEAF_MIN)
		leaf_rebalance(t, path);
	return 0;
}
