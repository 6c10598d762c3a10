/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* iova-tree: per-node summaries, and carrying a change up the path. */

#include "iova-tree-int.h"

/* ---- node summaries and entries ---- */

static void leaf_caps(const struct leaf *l, cap_t *c)
{
	unsigned i;

	memset(c, 0, NCAP * sizeof(*c));
	for (i = 1; i < l->n; i++)
		gap_caps_max(l->a[i - 1].last, l->a[i].iova, c);
}

void iot_leaf_summ(const struct leaf *l, struct summ *s)
{
	s->min = l->a[0].iova;
	s->max = l->a[l->n - 1].last;
	leaf_caps(l, s->cap);
}

void iot_inode_caps(const struct inode *x, cap_t *c)
{
	unsigned i;

	memcpy(c, x->cap[0], NCAP * sizeof(*c));
	for (i = 1; i < x->n; i++) {
		caps_max(c, x->cap[i]);
		caps_max(c, x->gcap[i]);
	}
}

/* Recompute the cached gap capacities of entries [from, to) of @x. */
void iot_inode_fix_gcaps(struct inode *x, unsigned from, unsigned to)
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

void iot_inode_summ(const struct inode *x, struct summ *s)
{
	s->min = x->min[0];
	s->max = x->max[x->n - 1];
	iot_inode_caps(x, s->cap);
}

void iot_inode_set(struct inode *x, unsigned i, void *child, const struct summ *s)
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
void iot_pair_bound(const struct inode *x, unsigned i, struct summ *s)
{
	memcpy(s->cap, x->cap[i], sizeof(s->cap));
	caps_max(s->cap, x->cap[i + 1]);
	caps_max(s->cap, x->gcap[i + 1]);
}

/* Copy @cnt entries src[si..] to dst[di..]; the ranges may overlap. */
void iot_inode_move(struct inode *dst, unsigned di, const struct inode *src, unsigned si,
		    unsigned cnt)
{
	memmove(&dst->max[di], &src->max[si], cnt * sizeof(uint64_t));
	memmove(&dst->min[di], &src->min[si], cnt * sizeof(uint64_t));
	memmove(&dst->child[di], &src->child[si], cnt * sizeof(void *));
	memmove(dst->cap[di], src->cap[si], cnt * sizeof(dst->cap[0]));
	memmove(dst->gcap[di], src->gcap[si], cnt * sizeof(dst->gcap[0]));
}

void iot_inode_insert(struct inode *x, unsigned q, void *child, const struct summ *s)
{
	iot_inode_move(x, q + 1, x, q, x->n - q);
	iot_inode_set(x, q, child, s);
	x->n++;
	iot_inode_fix_gcaps(x, q, q + 2);
}

void iot_inode_delete(struct inode *x, unsigned q)
{
	iot_inode_move(x, q, x, q + 1, x->n - q - 1);
	x->n--;
	iot_inode_fix_gcaps(x, q, q + 1);
}

/* The stored summary of the subtree at level @l of @path. */
void iot_stored_summ(struct iova_tree *t, const struct pent *path, unsigned l, struct summ *s)
{
	if (l == t->height) {
		s->min = t->min;
		s->max = t->max;
	} else {
		s->min = path[l + 1].node->min[path[l + 1].idx];
		s->max = path[l + 1].node->max[path[l + 1].idx];
	}
	memcpy(s->cap, iot_stored_caps(t, path, l), sizeof(s->cap));
}

void iot_set_root_summ(struct iova_tree *t, const struct summ *s)
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
void iot_propagate(struct iova_tree *t, const struct pent *path, unsigned l, struct summ *s,
		   bool caps_changed)
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
		h = iot_stored_caps(t, path, l + 1);
		memcpy(s->cap, h, sizeof(s->cap));
		/*
		 * A row whose maximum may be gone keeps its old value, now a
		 * bound: iot_tighten() makes it exact when a search needs it.
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
