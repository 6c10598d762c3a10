/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* iova-tree: insert, with splits allocated up front (all or nothing). */

#include "iova-tree-int.h"

/* ---- insert ---- */

/*
 * Split the full leaf @l around an insert of @a at position @p: @l keeps
 * the first part, the empty @r receives the rest. Appending at the end
 * leaves @l full and puts only @a in @r, so ascending inserts (the common
 * case for a growing address space) build full leaves; inserting at the
 * front moves everything to @r and leaves only @a in @l, the mirror case,
 * which iot_leaf_shift_left() then keeps filling from the right.
 */
static void leaf_split(struct leaf *l, struct leaf *r, unsigned p, const struct iova_area *a)
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
		iot_leaf_insert_at(l, p, a);
	} else {
		r->n = LEAF_CAP - s;
		memcpy(r->a, &l->a[s], r->n * sizeof(*a));
		l->n = s;
		iot_leaf_insert_at(r, p - s, a);
	}
}

/* The same for internal nodes; only appends get the uneven split. */
void iot_inode_split(struct inode *x, struct inode *y, unsigned q, void *child,
		     const struct summ *cs)
{
	unsigned s = q == NODE_CAP ? NODE_CAP : (NODE_CAP + 1) / 2;

	if (q < s) {
		y->n = NODE_CAP - (s - 1);
		iot_inode_move(y, 0, x, s - 1, y->n);
		x->n = s - 1;
		iot_inode_insert(x, q, child, cs);
	} else {
		y->n = NODE_CAP - s;
		iot_inode_move(y, 0, x, s, y->n);
		x->n = s;
		iot_inode_insert(y, q - s, child, cs);
	}
	/* y's first entry lost its left neighbour. */
	iot_inode_fix_gcaps(y, 0, 1);
}

/*
 * Insert @a at position @p (< LEAF_CAP, so not an append) of the full leaf
 * child i of @x by moving its first areas into child i-1, which has room.
 * This is what keeps leaves full when a hole between two leaves, or inside
 * one, is filled in ascending order (lowest-fit allocation does exactly
 * that) instead of leaving a trail of half-empty leaves behind.
 */
void iot_leaf_shift_left(struct inode *x, unsigned i, struct leaf *l, unsigned p,
			 const struct iova_area *a)
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
		iot_leaf_insert_at(l, p - room, a);
	}
	/*
	 * Areas only moved between the two leaves and a split a hole: the
	 * holes of both now are among the old ones of both and the gap
	 * between them, shrunk or not. Their largest is a bound for each
	 * leaf, and x's summary, which counted them all, stays exact.
	 */
	iot_pair_bound(x, i - 1, &s);
	s.min = left->a[0].iova;
	s.max = left->a[left->n - 1].last;
	iot_inode_set(x, i - 1, left, &s);
	s.min = l->a[0].iova;
	s.max = l->a[l->n - 1].last;
	iot_inode_set(x, i, l, &s);
	iot_inode_fix_gcaps(x, i - 1, i + 2);
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
	iot_leaf_shift_left(x, path[1].idx, l, p, a);
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
	cap_t *h = iot_stored_caps(t, path, lv);
	struct summ s;
	bool changed;

	changed = gap_exceeds(x->max[i], sr->min, h) || caps_exceed(sr->cap, h);
	if (changed) {
		memcpy(s.cap, h, sizeof(s.cap));
		gap_caps_max(x->max[i], sr->min, s.cap);
		caps_max(s.cap, sr->cap);
	}
	iot_inode_insert(x, i + 1, rnode, sr);
	s.min = x->min[0];
	s.max = sr->max;
	iot_propagate(t, path, lv, &s, changed);
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
	cap_t *h = iot_stored_caps(t, path, 1), og[NCAP];
	struct summ s;

	memcpy(og, x->gcap[i], sizeof(og));
	iot_inode_set(x, i, lnode, sl);
	iot_inode_fix_gcaps(x, i, i + 1);
	if (memcmp(og, x->gcap[i], sizeof(og)) && caps_attained(og, h))
		x->loose = 1;
	iot_inode_insert(x, i + 1, rnode, sr);
	memcpy(s.cap, h, sizeof(s.cap));
	caps_max(s.cap, x->gcap[i + 1]);
	s.min = x->min[0];
	s.max = x->max[x->n - 1];
	iot_propagate(t, path, 1, &s, memcmp(s.cap, h, sizeof(s.cap)) != 0);
}

/* Every level split: grow the new root @r above the two halves. */
static void grow_root(struct iova_tree *t, struct inode *r, void *lnode, const struct summ *sl,
		      void *rnode, const struct summ *sr)
{
	struct summ s;

	r->n = 2;
	r->loose = 0;
	iot_inode_set(r, 0, lnode, sl);
	iot_inode_set(r, 1, rnode, sr);
	iot_inode_fix_gcaps(r, 0, 2);
	t->root = r;
	t->height++;
	iot_inode_summ(r, &s);
	iot_set_root_summ(t, &s);
}

static int insert_full(struct iova_tree *t, struct pent *path, struct leaf *l, unsigned p,
		       const struct iova_area *a)
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
	iot_stored_summ(t, path, 0, &sl);
	leaf_split(l, nl, p, a);
	nl->loose = 0;
	if (append) {
		iot_leaf_summ(nl, &sr);
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
			iot_inode_set(x, i, lnode, &sl);
			iot_inode_fix_gcaps(x, i, i + 2);
		}
		if (x->n < NODE_CAP) {
			iot_inode_insert(x, i + 1, rnode, &sr);
			iot_inode_summ(x, &s);
			x->loose = 0;
			iot_propagate(t, path, lv, &s, true);
			return 0;
		}
		iot_inode_split(x, nodes[lv], i + 1, rnode, &sr);
		nodes[lv]->loose = 0;
		if (append) {
			/* x is unchanged, the new node holds just rnode. */
			iot_stored_summ(t, path, lv, &sl);
		} else {
			iot_inode_summ(x, &sl);
			iot_inode_summ(nodes[lv], &sr);
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
	iot_leaf_summ(l, &s);
	iot_set_root_summ(t, &s);
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
	cap_t *h = iot_stored_caps(t, path, 0);
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
			iot_leaf_insert_at(l, 0, a);
		}
	} else {
		/*
		 * a splits one hole into two smaller ones. If that hole held
		 * a maximum of the leaf, the stored value becomes a bound.
		 */
		if (!l->loose && gap_attains(l->a[p - 1].last, l->a[p].iova, h))
			l->loose = 1;
		iot_leaf_insert_at(l, p, a);
	}
	s.min = l->a[0].iova;
	s.max = l->a[n0].last;
	iot_propagate(t, path, 0, &s, changed);
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
		l = iot_descend(t, a->iova, path);
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
