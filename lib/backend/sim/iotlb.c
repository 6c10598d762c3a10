/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IOTLB, device-IOTLB and PASID cache of the simulated IOMMU (iotlb.h).
 * Everything but the hit path, which is inline in the header.
 */
#include <errno.h>
#include <string.h>

#include "util/alloc.h"
#include "iotlb.h"

#define GEN_ONE (UINT64_C(1) << SIM_IOTLB_GEN_SHIFT)
#define GEN_MASK (~UINT64_C(0) << SIM_IOTLB_GEN_SHIFT)
#define CACHE_LINE 64

static inline unsigned int tag_kind(uint64_t va)
{
	return (unsigned int)(va >> SIM_IOTLB_KIND_SHIFT) & 7;
}

static inline bool tag_live(const struct sim_iotlb *t, uint32_t i)
{
	return (t->tags[i].va & GEN_MASK) == t->gen;
}

static inline uint32_t nr_slots(const struct sim_iotlb *t)
{
	return (t->set_mask + 1) * SIM_IOTLB_WAYS;
}

struct sim_iotlb *sim_iotlb_new(unsigned int entries)
{
	struct sim_iotlb *t;
	uint32_t nsets;

	if (entries < SIM_IOTLB_WAYS || (entries & (entries - 1))) {
		errno = EINVAL;
		return NULL;
	}
	nsets = entries / SIM_IOTLB_WAYS;
	t = ioasid_calloc(1, sizeof(*t));
	if (!t)
		goto nomem;
	/* generation 0 is never current, so zeroed tags are all invalid */
	t->tags = ioasid_aligned_alloc(CACHE_LINE, (size_t)entries * sizeof(*t->tags));
	if (!t->tags)
		goto nomem_t;
	memset(t->tags, 0, (size_t)entries * sizeof(*t->tags));
	t->ents = ioasid_calloc(entries, sizeof(*t->ents));
	if (!t->ents)
		goto nomem_t;
	t->victim = ioasid_calloc(nsets, 1);
	if (!t->victim)
		goto nomem_t;
	t->set_mask = nsets - 1;
	t->gen = GEN_ONE;
	return t;
nomem_t:
	sim_iotlb_free(t);
nomem:
	errno = ENOMEM;
	return NULL;
}

void sim_iotlb_free(struct sim_iotlb *t)
{
	if (!t)
		return;
	ioasid_free(t->tags);
	ioasid_free(t->ents);
	ioasid_free(t->victim);
	ioasid_free(t);
}

unsigned int sim_iotlb_capacity(const struct sim_iotlb *t)
{
	return nr_slots(t);
}

uint64_t sim_iotlb_count(const struct sim_iotlb *t)
{
	return t->nvalid;
}

void sim_iotlb_stats(const struct sim_iotlb *t, struct sim_iotlb_stats *st)
{
	*st = t->st;
}

static void drop(struct sim_iotlb *t, uint32_t i)
{
	unsigned int k = tag_kind(t->tags[i].va);

	t->tags[i].va = 0;
	t->tags[i].ctx = 0;
	t->nvalid--;
	if (!--t->count[k])
		t->kinds &= ~(1u << k);
}

/*
 * Store one entry of @kind for @iova under @ctx: over the entry with the
 * same tag, else in a free way, else over the set's round-robin victim
 * (cheap, and with 4 ways hardly worse than LRU for DMA streams).
 */
static void insert_raw(struct sim_iotlb *t, unsigned int kind, uint64_t ctx,
		       uint64_t iova, const struct sim_iotlb_entry *val)
{
	unsigned int shift = sim_iotlb_kind_shift(kind);
	uint64_t va = ((iova >> shift) & SIM_IOTLB_VPN_MASK) |
		      (uint64_t)kind << SIM_IOTLB_KIND_SHIFT;
	uint32_t set = sim_iotlb_set(t, va, ctx), base = set * SIM_IOTLB_WAYS, i;
	unsigned int w, hit;

	va |= t->gen;
	hit = sim_iotlb_match(&t->tags[base], va, ctx);
	if (hit) {
		w = (unsigned int)__builtin_ctz(hit);
		goto store;
	}
	for (w = 0; w < SIM_IOTLB_WAYS; w++)
		if (!tag_live(t, base + w))
			break;
	if (w == SIM_IOTLB_WAYS) {
		w = t->victim[set];
		t->victim[set] = (uint8_t)((w + 1) % SIM_IOTLB_WAYS);
		drop(t, base + w);
		t->st.evictions++;
	}
	t->nvalid++;
	t->count[kind]++;
	t->kinds |= 1u << kind;
store:
	i = base + w;
	t->tags[i].va = va;
	t->tags[i].ctx = ctx;
	t->ents[i] = *val;
	t->ents[i].iova = iova & ~((UINT64_C(1) << shift) - 1);
	t->ents[i].kind = (uint8_t)kind;
	t->st.inserts++;
}

int sim_iotlb_insert(struct sim_iotlb *t, uint32_t id, uint32_t pasid,
		     uint64_t iova, uint64_t page_size, uint64_t oa, uint32_t perm,
		     uint64_t data)
{
	struct sim_iotlb_entry e = { .oa = oa & ~(page_size - 1), .data = data, .perm = perm };
	unsigned int kind;

	switch (page_size) {
	case UINT64_C(1) << 12:
		kind = SIM_IOTLB_K_4K;
		break;
	case UINT64_C(1) << 21:
		kind = SIM_IOTLB_K_2M;
		break;
	case UINT64_C(1) << 30:
		kind = SIM_IOTLB_K_1G;
		break;
	default:
		return -EINVAL;
	}
	if (pasid == SIM_PASID_ANY)
		return -EINVAL;
	e.level = (uint8_t)(kind + 1);
	insert_raw(t, kind, (uint64_t)id << 32 | pasid, iova, &e);
	return 0;
}

int sim_iotlb_insert_table(struct sim_iotlb *t, uint32_t id, uint32_t pasid,
			   uint64_t iova, unsigned int level, uint64_t table,
			   uint32_t perm)
{
	struct sim_iotlb_entry e = { .oa = table, .perm = perm };

	if (level < 1 || level > 3 || pasid == SIM_PASID_ANY)
		return -EINVAL;
	e.level = (uint8_t)level;
	insert_raw(t, SIM_IOTLB_K_TBL_2M + level - 1, (uint64_t)id << 32 | pasid, iova, &e);
	return 0;
}

const struct sim_iotlb_entry *sim_iotlb_lookup_table(struct sim_iotlb *t, uint32_t id,
						     uint32_t pasid, uint64_t iova)
{
	const uint64_t ctx = (uint64_t)id << 32 | pasid;
	unsigned int k;

	/* the deepest table saves the most reads */
	for (k = SIM_IOTLB_K_TBL_2M; k <= SIM_IOTLB_K_TBL_512G; k++) {
		const struct sim_iotlb_entry *e;

		if (!(t->kinds & (1u << k)))
			continue;
		e = sim_iotlb_probe(t, k, ctx, iova);
		if (e) {
			t->st.hits++;
			return e;
		}
	}
	t->st.misses++;
	return NULL;
}

/* ---- invalidation ---- */

uint64_t sim_iotlb_inv_all(struct sim_iotlb *t)
{
	uint64_t n = t->nvalid;

	t->gen += GEN_ONE;
	if (!t->gen) {
		/* wrapped: old tags could look current again */
		memset(t->tags, 0, (size_t)nr_slots(t) * sizeof(*t->tags));
		t->gen = GEN_ONE;
	}
	t->nvalid = 0;
	t->kinds = 0;
	memset(t->count, 0, sizeof(t->count));
	t->st.inv_calls++;
	t->st.inv_entries += n;
	return n;
}

/*
 * What a scan drops: tags whose ctx word matches under @ctx_mask (the id,
 * and the PASID unless any), of @kinds, overlapping [start, last].
 */
struct match {
	uint64_t ctx_mask, ctx_val;
	uint32_t kinds;
	uint64_t start, last;  /* inclusive */
};

static void match_init(struct match *m, uint32_t id, uint32_t pasid, uint32_t kinds,
		       uint64_t start, uint64_t last)
{
	m->ctx_mask = pasid == SIM_PASID_ANY ? ~UINT64_C(0) << 32 : ~UINT64_C(0);
	m->ctx_val = ((uint64_t)id << 32 | pasid) & m->ctx_mask;
	m->kinds = kinds;
	m->start = start;
	m->last = last;
}

static inline bool span_matches(uint64_t va, const struct match *m)
{
	unsigned int k = tag_kind(va), sh = sim_iotlb_kind_shift(k);
	uint64_t base = (va & SIM_IOTLB_VPN_MASK) << sh;

	return (m->kinds & (1u << k)) && base <= m->last &&
	       base + ((UINT64_C(1) << sh) - 1) >= m->start;
}

/*
 * One pass over the array. The context word is compared first: it rejects
 * most slots with one load, and a stale or empty slot fails the generation
 * test after it.
 */
static uint64_t scan(struct sim_iotlb *t, const struct match *m)
{
	const struct sim_iotlb_tag *tags = t->tags;
	const uint64_t gen = t->gen, cm = m->ctx_mask, cv = m->ctx_val;
	uint32_t i, n = nr_slots(t);
	uint64_t dropped = 0;

	for (i = 0; i < n; i++) {
		uint64_t va = tags[i].va;

		if ((tags[i].ctx & cm) != cv || (va & GEN_MASK) != gen || !span_matches(va, m))
			continue;
		drop(t, i);
		dropped++;
	}
	return dropped;
}

static uint64_t inv_done(struct sim_iotlb *t, uint64_t n)
{
	t->st.inv_calls++;
	t->st.inv_entries += n;
	return n;
}

uint64_t sim_iotlb_inv_id(struct sim_iotlb *t, uint32_t id)
{
	struct match m;

	match_init(&m, id, SIM_PASID_ANY, ~0u, 0, ~UINT64_C(0));
	return inv_done(t, scan(t, &m));
}

uint64_t sim_iotlb_inv_pasid(struct sim_iotlb *t, uint32_t id, uint32_t pasid)
{
	struct match m;

	match_init(&m, id, pasid, ~0u, 0, ~UINT64_C(0));
	return inv_done(t, scan(t, &m));
}

/* Drop the entry of @kind whose span starts at vpn << shift, if cached. */
static uint64_t probe_drop(struct sim_iotlb *t, unsigned int kind, uint64_t ctx,
			   uint64_t vpn)
{
	uint64_t va = (vpn & SIM_IOTLB_VPN_MASK) | (uint64_t)kind << SIM_IOTLB_KIND_SHIFT;
	uint32_t base = sim_iotlb_set(t, va, ctx) * SIM_IOTLB_WAYS;
	unsigned int hit = sim_iotlb_match(&t->tags[base], va | t->gen, ctx);

	if (!hit)
		return 0;
	drop(t, base + (unsigned int)__builtin_ctz(hit));
	return 1;
}

uint64_t sim_iotlb_inv_range(struct sim_iotlb *t, uint32_t id, uint32_t pasid,
			     uint64_t addr, uint64_t npages, unsigned int lg2,
			     unsigned int flags)
{
	uint64_t size, start, last, probes = 0, dropped = 0, ctx = (uint64_t)id << 32 | pasid;
	uint32_t kinds = SIM_IOTLB_LEAF_KINDS;
	struct match m;

	if (!npages || lg2 > 63)
		return inv_done(t, 0);
	size = UINT64_C(1) << lg2;
	start = addr & ~(size - 1);
	/* start is size-aligned, so ~0 - start = M * size + size - 1 */
	if (npages - 1 > (~UINT64_C(0) - start) >> lg2)
		last = ~UINT64_C(0);
	else
		last = start + ((npages - 1) << lg2) + (size - 1);
	if (!(flags & SIM_IOTLB_INV_LEAF))
		kinds |= SIM_IOTLB_TABLE_KINDS;
	match_init(&m, id, pasid, kinds, start, last);
	kinds &= t->kinds;

	if (pasid != SIM_PASID_ANY) {
		uint32_t k;

		for (k = kinds; k; k &= k - 1) {
			unsigned int sh = sim_iotlb_kind_shift((unsigned int)__builtin_ctz(k));

			probes += (m.last >> sh) - (m.start >> sh) + 1;
			if (probes > t->set_mask + 1)
				break;
		}
		if (probes <= t->set_mask + 1) {
			for (k = kinds; k; k &= k - 1) {
				unsigned int kind = (unsigned int)__builtin_ctz(k);
				unsigned int sh = sim_iotlb_kind_shift(kind);
				uint64_t v;

				for (v = m.start >> sh; v <= m.last >> sh; v++)
					dropped += probe_drop(t, kind, ctx, v);
			}
			return inv_done(t, dropped);
		}
	}
	return inv_done(t, scan(t, &m));
}

int sim_iotlb_for_each(const struct sim_iotlb *t,
		       int (*fn)(void *opaque, uint32_t id, uint32_t pasid,
				 const struct sim_iotlb_entry *e),
		       void *opaque)
{
	uint32_t i, n = nr_slots(t);

	for (i = 0; i < n; i++) {
		int r;

		if (!tag_live(t, i))
			continue;
		r = fn(opaque, (uint32_t)(t->tags[i].ctx >> 32), (uint32_t)t->tags[i].ctx,
		       &t->ents[i]);
		if (r)
			return r;
	}
	return 0;
}

/* ---- PASID cache: the same array, kind PASID, vpn 0 ---- */

struct sim_pasid_cache {
	struct sim_iotlb t;
};

struct sim_pasid_cache *sim_pasid_cache_new(unsigned int entries)
{
	return (struct sim_pasid_cache *)sim_iotlb_new(entries);
}

void sim_pasid_cache_free(struct sim_pasid_cache *pc)
{
	sim_iotlb_free(pc ? &pc->t : NULL);
}

int sim_pasid_cache_insert(struct sim_pasid_cache *pc, uint32_t sid, uint32_t pasid,
			   uint64_t root, uint32_t domain, uint32_t flags)
{
	struct sim_iotlb_entry e = { .oa = root, .data = domain, .perm = flags };

	if (pasid == SIM_PASID_ANY || domain == SIM_DOMAIN_ANY)
		return -EINVAL;
	insert_raw(&pc->t, SIM_IOTLB_K_PASID, (uint64_t)sid << 32 | pasid, 0, &e);
	return 0;
}

bool sim_pasid_cache_lookup(struct sim_pasid_cache *pc, uint32_t sid, uint32_t pasid,
			    uint64_t *root, uint32_t *domain, uint32_t *flags)
{
	const struct sim_iotlb_entry *e =
		sim_iotlb_probe(&pc->t, SIM_IOTLB_K_PASID, (uint64_t)sid << 32 | pasid, 0);

	if (!e) {
		pc->t.st.misses++;
		return false;
	}
	pc->t.st.hits++;
	if (root)
		*root = e->oa;
	if (domain)
		*domain = (uint32_t)e->data;
	if (flags)
		*flags = e->perm;
	return true;
}

uint64_t sim_pasid_cache_inv_all(struct sim_pasid_cache *pc)
{
	return sim_iotlb_inv_all(&pc->t);
}

/* The PASID cache is tagged by source id; invalidations name the domain. */
static uint64_t pc_scan(struct sim_iotlb *t, uint32_t domain, uint32_t pasid)
{
	uint32_t i, n = nr_slots(t);
	uint64_t dropped = 0;

	for (i = 0; i < n && t->nvalid; i++) {
		if (!tag_live(t, i))
			continue;
		if (domain != SIM_DOMAIN_ANY && (uint32_t)t->ents[i].data != domain)
			continue;
		if (pasid != SIM_PASID_ANY && (uint32_t)t->tags[i].ctx != pasid)
			continue;
		drop(t, i);
		dropped++;
	}
	return inv_done(t, dropped);
}

uint64_t sim_pasid_cache_inv_domain(struct sim_pasid_cache *pc, uint32_t domain)
{
	return pc_scan(&pc->t, domain, SIM_PASID_ANY);
}

uint64_t sim_pasid_cache_inv_pasid(struct sim_pasid_cache *pc, uint32_t domain,
				   uint32_t pasid)
{
	return pc_scan(&pc->t, domain, pasid);
}

void sim_pasid_cache_stats(const struct sim_pasid_cache *pc, struct sim_iotlb_stats *st)
{
	*st = pc->t.st;
}
