/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The translation benchmark (translate.c), the IOTLB phases: hits and
 * invalidations of the sim's IOTLB against a chained hash table keyed by
 * the same tag, in the same run.
 */
#include "translate.h"

/* ---- the baseline: a chained hash table keyed by the same tag ---- */

struct hnode {
	struct hnode *next;
	uint64_t gfn; /* iova >> page shift */
	uint32_t domain, pasid;
	uint32_t level; /* 1 = 4K, 2 = 2M, 3 = 1G */
	uint32_t perm;
	uint64_t oa;
};

struct hmap {
	struct hnode **b;
	uint64_t mask;
	size_t n;
};

static inline uint64_t hkey(uint64_t gfn, uint32_t domain, uint32_t pasid, uint32_t level)
{
	uint64_t h = gfn * UINT64_C(0x9e3779b97f4a7c15);

	h ^= ((uint64_t)domain << 32 | pasid) * UINT64_C(0xc2b2ae3d27d4eb4f);
	h ^= level;
	return h ^ (h >> 29);
}

static void hmap_init(struct hmap *m, size_t buckets)
{
	m->b = calloc(buckets, sizeof(*m->b));
	if (!m->b)
		tr_die("calloc", -ENOMEM);
	m->mask = buckets - 1;
	m->n = 0;
}

static void hmap_insert(struct hmap *m, uint32_t domain, uint32_t pasid, uint64_t iova,
			uint32_t level, uint64_t oa)
{
	uint64_t gfn = iova >> (12 + 9 * (level - 1));
	struct hnode **pp = &m->b[hkey(gfn, domain, pasid, level) & m->mask], *nd;

	for (nd = *pp; nd; nd = nd->next)
		if (nd->gfn == gfn && nd->domain == domain && nd->pasid == pasid &&
		    nd->level == level) {
			nd->oa = oa;
			return;
		}
	nd = tr_xmalloc(sizeof(*nd));
	*nd = (struct hnode){ *pp, gfn, domain, pasid, level, 3, oa };
	*pp = nd;
	m->n++;
}

static inline const struct hnode *hmap_lookup(const struct hmap *m, uint32_t domain, uint32_t pasid,
					      uint64_t iova)
{
	uint32_t level;

	for (level = 1; level <= 3; level++) {
		uint64_t gfn = iova >> (12 + 9 * (level - 1));
		const struct hnode *nd = m->b[hkey(gfn, domain, pasid, level) & m->mask];

		for (; nd; nd = nd->next)
			if (nd->gfn == gfn && nd->domain == domain && nd->pasid == pasid &&
			    nd->level == level)
				return nd;
	}
	return NULL;
}

static size_t hmap_remove_page(struct hmap *m, uint32_t domain, uint32_t pasid, uint64_t iova)
{
	size_t n = 0;
	uint32_t level;

	for (level = 1; level <= 3; level++) {
		uint64_t gfn = iova >> (12 + 9 * (level - 1));
		struct hnode **pp = &m->b[hkey(gfn, domain, pasid, level) & m->mask], *nd;

		while ((nd = *pp)) {
			if (nd->gfn == gfn && nd->domain == domain && nd->pasid == pasid &&
			    nd->level == level) {
				*pp = nd->next;
				free(nd);
				n++;
				m->n--;
			} else {
				pp = &nd->next;
			}
		}
	}
	return n;
}

/* Remove every node of (@domain, @pasid), or every node at all. */
static size_t hmap_remove_all(struct hmap *m, bool all, uint32_t domain, uint32_t pasid)
{
	size_t n = 0;
	uint64_t i;

	for (i = 0; i <= m->mask; i++) {
		struct hnode **pp = &m->b[i], *nd;

		while ((nd = *pp)) {
			if (all || (nd->domain == domain && nd->pasid == pasid)) {
				*pp = nd->next;
				free(nd);
				n++;
			} else {
				pp = &nd->next;
			}
		}
	}
	m->n -= n;
	return n;
}

static void hmap_destroy(struct hmap *m)
{
	hmap_remove_all(m, true, 0, 0);
	free(m->b);
}

/* ---- IOTLB hits ---- */

struct live {
	uint64_t *iova;
	uint32_t *pasid;
	size_t n, cap;
};

static int collect(void *opaque, uint32_t id, uint32_t pasid, const struct sim_iotlb_entry *e)
{
	struct live *l = opaque;

	(void)id; /* one domain throughout */
	if (l->n < l->cap) {
		l->iova[l->n] = e->iova;
		l->pasid[l->n] = pasid;
		l->n++;
	}
	return 0;
}

void tr_bench_hits(unsigned int rounds, uint64_t iters, double *hit_per_s, double *base_per_s,
		   unsigned int *cached)
{
	enum {
		NADDR = 1 << 16,
		TLB = 512
	};
	struct sim_iotlb *t = sim_iotlb_new(TLB);
	struct live l = { tr_xmalloc(TLB * 8), tr_xmalloc(TLB * 4), 0, TLB };
	uint64_t *addr = tr_xmalloc(NADDR * sizeof(*addr)), sum = 0, sum2 = 0, i;
	struct hmap m;
	double ns;

	if (!t)
		tr_die("sim_iotlb_new", -errno);
	/* random pages of a 64 GiB space; whatever survives the set conflicts */
	for (i = 0; i < TLB; i++) {
		uint64_t va = (rnd() % (UINT64_C(64) << 18)) << 12;

		sim_iotlb_insert(t, DOM, PASID, va, K4, va ^ (UINT64_C(1) << 40), SIM_PT_R, 0);
	}
	sim_iotlb_for_each(t, collect, &l)
		;
	*cached = (unsigned int)l.n;
	hmap_init(&m, TLB);
	for (i = 0; i < l.n; i++)
		hmap_insert(&m, DOM, PASID, l.iova[i], 1, l.iova[i] ^ (UINT64_C(1) << 40));
	for (i = 0; i < NADDR; i++)
		addr[i] = l.iova[rnd() % l.n] + (rnd() & 0xfff);

	/* warm both, then the timed runs over the same addresses */
	for (i = 0; i < NADDR; i++) {
		if (!sim_iotlb_lookup(t, DOM, PASID, addr[i]) ||
		    !hmap_lookup(&m, DOM, PASID, addr[i]))
			tr_die("a lookup missed", -ENOENT);
	}
	BEST_OF(
		ns, rounds, iters, for (i = 0; i < iters; i++) {
			const struct sim_iotlb_entry *e = sim_iotlb_lookup(t, DOM, PASID,
									   addr[i & (NADDR - 1)]);

			if (__builtin_expect(!e, 0))
				tr_die("IOTLB miss", -ENOENT);
			sum += e->oa;
		});
	*hit_per_s = 1e9 / ns;
	BEST_OF(
		ns, rounds, iters, for (i = 0; i < iters; i++) {
			const struct hnode *nd = hmap_lookup(&m, DOM, PASID, addr[i & (NADDR - 1)]);

			if (__builtin_expect(!nd, 0))
				tr_die("hash miss", -ENOENT);
			sum2 += nd->oa;
		});
	*base_per_s = 1e9 / ns;
	if (sum != sum2)
		tr_die("the IOTLB and the hash table disagree", -EINVAL);
	hmap_destroy(&m);
	sim_iotlb_free(t);
	free(l.iova);
	free(l.pasid);
	free(addr);
}

/* ---- invalidations ---- */

#define NPASIDS 16

/* Fill @t and @m with the same @want 4 KiB entries over NPASIDS PASIDs. */
static void fill(struct sim_iotlb *t, struct hmap *m, struct live *l, size_t want)
{
	size_t i;

	while (sim_iotlb_count(t) < want) {
		uint64_t va = (rnd() % (UINT64_C(1) << 24)) << 12;

		sim_iotlb_insert(t, DOM, (uint32_t)(rnd() % NPASIDS), va, K4, va, SIM_PT_R, 0);
	}
	l->n = 0;
	sim_iotlb_for_each(t, collect, l)
		;
	/* in random order, so the page invalidations do not walk the array */
	for (i = l->n - 1; i > 0; i--) {
		size_t j = rnd() % (i + 1);
		uint64_t va = l->iova[i];
		uint32_t p = l->pasid[i];

		l->iova[i] = l->iova[j];
		l->pasid[i] = l->pasid[j];
		l->iova[j] = va;
		l->pasid[j] = p;
	}
	hmap_remove_all(m, true, 0, 0);
	for (i = 0; i < l->n; i++)
		hmap_insert(m, DOM, l->pasid[i], l->iova[i], 1, l->iova[i]);
}

static void refill(struct sim_iotlb *t, struct hmap *m, const struct live *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		sim_iotlb_insert(t, DOM, l->pasid[i], l->iova[i], K4, l->iova[i], SIM_PT_R, 0);
		hmap_insert(m, DOM, l->pasid[i], l->iova[i], 1, l->iova[i]);
	}
}

void tr_bench_inval(unsigned int reps, struct inval *res)
{
	enum {
		WANT = 10000,
		CAP = 16384,
		BATCH = 2000
	};
	struct sim_iotlb *t = sim_iotlb_new(CAP);
	struct live l = { tr_xmalloc(CAP * 8), tr_xmalloc(CAP * 4), 0, CAP };
	double tp = 1e300, tq = 1e300, bp = 1e300, bq = 1e300, ba = 1e300, t0, d;
	uint64_t dropped = 0, bdropped = 0;
	unsigned int rep, p, k;
	struct hmap m;
	size_t i;

	if (!t)
		tr_die("sim_iotlb_new", -errno);
	hmap_init(&m, CAP);
	fill(t, &m, &l, WANT);
	res->cached = (unsigned int)l.n;
	for (rep = 0; rep < reps; rep++) {
		/* one page at a time: BATCH distinct cached pages */
		t0 = tr_cpu_ns();
		for (i = 0; i < BATCH; i++)
			dropped += sim_iotlb_inv_range(t, DOM, l.pasid[i], l.iova[i], 1, 12,
						       SIM_IOTLB_INV_LEAF);
		d = (tr_cpu_ns() - t0) / BATCH;
		tp = d < tp ? d : tp;
		t0 = tr_cpu_ns();
		for (i = 0; i < BATCH; i++)
			bdropped += hmap_remove_page(&m, DOM, l.pasid[i], l.iova[i]);
		d = (tr_cpu_ns() - t0) / BATCH;
		bp = d < bp ? d : bp;
		refill(t, &m, &l);

		/* one PASID */
		p = rep % NPASIDS;
		t0 = tr_cpu_ns();
		dropped += sim_iotlb_inv_pasid(t, DOM, p);
		d = tr_cpu_ns() - t0;
		tq = d < tq ? d : tq;
		t0 = tr_cpu_ns();
		bdropped += hmap_remove_all(&m, false, DOM, p);
		d = tr_cpu_ns() - t0;
		bq = d < bq ? d : bq;
		refill(t, &m, &l);

		/* everything (the sim's run of flushes comes after the loop) */
		dropped += sim_iotlb_inv_all(t);
		t0 = tr_cpu_ns();
		bdropped += hmap_remove_all(&m, true, 0, 0);
		d = tr_cpu_ns() - t0;
		ba = d < ba ? d : ba;
		refill(t, &m, &l);
	}
	if (dropped != bdropped)
		tr_die("the IOTLB and the hash table dropped different counts", -EINVAL);
	BEST_OF(res->all_ns, reps < 20 ? reps : 20, 1u << 20,
		for (k = 0; k < (1u << 20); k++) dropped += sim_iotlb_inv_all(t));
	res->page_ns = tp;
	res->base_page_ns = bp;
	res->pasid_ns = tq;
	res->base_pasid_ns = bq;
	res->base_all_ns = ba;
	hmap_destroy(&m);
	sim_iotlb_free(t);
	free(l.iova);
	free(l.pasid);
}
