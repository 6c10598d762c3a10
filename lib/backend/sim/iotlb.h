/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Translation caches of the simulated IOMMU: the IOTLB (with a small
 * paging-structure cache in the same array), the device-IOTLB (an ATS
 * translation cache, one struct sim_iotlb keyed by device id instead of
 * domain id) and the PASID cache.
 *
 * A set-associative array, SIM_IOTLB_WAYS ways per set. One set's four
 * tags fill one 64-byte cache line; a tag is two words compared whole:
 *
 *   va  = vpn (bits 44:0, the input address >> the entry's page shift)
 *       | kind << 45 (page size; leaf or table entry; PASID entry)
 *       | generation << 48
 *   ctx = id << 32 | pasid   (id = domain id, or device id for a devTLB)
 *
 * The set is one multiplicative hash of the tag without the generation, so
 * a lookup is: hash, load one line, compare, for each page size present
 * (smallest first). Invalidating everything bumps the generation, which
 * makes every stored tag stale at once; the generation is 16 bits and its
 * wrap clears the array, once per 65535 flushes.
 *
 * Not thread-safe and lock-free by design: one cache belongs to one
 * thread (or the caller serializes), as the hit path must stay a handful
 * of instructions.
 */
#ifndef IOASID_SIM_IOTLB_H
#define IOASID_SIM_IOTLB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define SIM_IOTLB_WAYS 4

/* A request without PASID (tags only). */
#define SIM_PASID_NONE UINT32_C(0xffffffff)
/* Invalidation only: every PASID of the id, SIM_PASID_NONE included. */
#define SIM_PASID_ANY UINT32_C(0xfffffffe)
/* PASID-cache invalidation only: any domain. */
#define SIM_DOMAIN_ANY UINT32_C(0xffffffff)

/* sim_iotlb_inv_range flag: only leaf entries changed (VT-d IH / "leaf"),
 * the paging-structure (table) entries of the range may stay. */
#define SIM_IOTLB_INV_LEAF 0x1u

/* Kinds of entry; the kind is part of the tag. */
enum {
	SIM_IOTLB_K_4K = 0,      /* leaves */
	SIM_IOTLB_K_2M = 1,
	SIM_IOTLB_K_1G = 2,
	SIM_IOTLB_K_TBL_2M = 3,  /* table entries: the level-1 table of a 2 MiB span */
	SIM_IOTLB_K_TBL_1G = 4,  /* the level-2 table of a 1 GiB span */
	SIM_IOTLB_K_TBL_512G = 5, /* the level-3 table of a 512 GiB span */
	SIM_IOTLB_K_PASID = 6,   /* PASID-cache entry */
	SIM_IOTLB_NR_KINDS = 7,
};
#define SIM_IOTLB_LEAF_KINDS 0x7u
#define SIM_IOTLB_TABLE_KINDS 0x38u

#define SIM_IOTLB_VPN_MASK ((UINT64_C(1) << 45) - 1)
#define SIM_IOTLB_KIND_SHIFT 45
#define SIM_IOTLB_GEN_SHIFT 48

struct sim_iotlb_tag {
	uint64_t va;
	uint64_t ctx;
};

/*
 * What an entry caches. It keeps the whole translation (input page, output,
 * permissions, page size through kind, and the caller's @data, e.g. the raw
 * leaf entry), so that a stale-translation check can compare it with a
 * fresh walk.
 */
struct sim_iotlb_entry {
	uint64_t iova;   /* input address of the page / span start */
	uint64_t oa;     /* output address of the page; table address for a
			    table entry; PASID-table-entry root for the PASID cache */
	uint64_t data;   /* caller's (raw leaf entry); domain for the PASID cache */
	uint32_t perm;   /* SIM_PT_* permissions; caller's flags for the PASID cache */
	uint8_t kind;
	uint8_t level;   /* leaf level (1..3); level of the cached table */
	uint16_t pad;
};

struct sim_iotlb_stats {
	uint64_t hits;
	uint64_t misses;
	uint64_t inserts;
	uint64_t evictions;   /* valid entries replaced by an insert */
	uint64_t inv_calls;
	uint64_t inv_entries; /* valid entries dropped by invalidations */
};

struct sim_iotlb {
	struct sim_iotlb_tag *tags;      /* nsets * WAYS, 64-byte aligned */
	struct sim_iotlb_entry *ents;    /* same indices */
	uint8_t *victim;                 /* per set: next way to replace */
	uint64_t gen;                    /* current generation << 48 */
	uint32_t set_mask;
	uint32_t kinds;                  /* kinds that may have live entries */
	uint64_t nvalid;                 /* live entries */
	uint32_t count[SIM_IOTLB_NR_KINDS];
	struct sim_iotlb_stats st;
};

/* @entries: a power of two, at least SIM_IOTLB_WAYS. NULL: EINVAL/ENOMEM. */
struct sim_iotlb *sim_iotlb_new(unsigned int entries);
void sim_iotlb_free(struct sim_iotlb *t);
unsigned int sim_iotlb_capacity(const struct sim_iotlb *t);
/* Entries currently valid. */
uint64_t sim_iotlb_count(const struct sim_iotlb *t);
void sim_iotlb_stats(const struct sim_iotlb *t, struct sim_iotlb_stats *st);

static inline unsigned int sim_iotlb_kind_shift(unsigned int kind)
{
	return 12 + 9 * (kind < SIM_IOTLB_K_TBL_2M ? kind : kind - 2);
}

/* Bytes covered by an entry (page size of a leaf, span of a table entry). */
static inline uint64_t sim_iotlb_entry_size(const struct sim_iotlb_entry *e)
{
	return UINT64_C(1) << sim_iotlb_kind_shift(e->kind);
}

static inline uint32_t sim_iotlb_set(const struct sim_iotlb *t, uint64_t va,
				     uint64_t ctx)
{
	uint64_t h = (va ^ (ctx * UINT64_C(0x9e3779b97f4a7c15))) *
		     UINT64_C(0xbf58476d1ce4e5b9);

	return (uint32_t)(h >> 32) & t->set_mask;
}

/*
 * Which way of the set at @tg holds exactly (@va, @ctx): bit @way set, or
 * 0. All four ways at once and without a branch per way: which way
 * holds an entry is random, so an early-exit loop would mispredict on most
 * hits. A tag is in a set at most once.
 */
static inline unsigned int sim_iotlb_match(const struct sim_iotlb_tag *tg, uint64_t va,
					   uint64_t ctx)
{
#ifdef __SSE2__
	/*
	 * x86-64 baseline (SSE2 has no 64-bit compare): compare 32-bit lanes,
	 * then pack each way's four lane results into one byte each, so that
	 * way w becomes 32-bit lane w, all ones exactly when it matched.
	 */
	const __m128i key = _mm_set_epi64x((long long)ctx, (long long)va);
	const __m128i *p = (const __m128i *)(const void *)tg;
	__m128i a = _mm_packs_epi32(_mm_cmpeq_epi32(_mm_load_si128(p), key),
				    _mm_cmpeq_epi32(_mm_load_si128(p + 1), key));
	__m128i b = _mm_packs_epi32(_mm_cmpeq_epi32(_mm_load_si128(p + 2), key),
				    _mm_cmpeq_epi32(_mm_load_si128(p + 3), key));
	__m128i w = _mm_cmpeq_epi32(_mm_packs_epi16(a, b), _mm_set1_epi32(-1));

	return (unsigned int)_mm_movemask_ps(_mm_castsi128_ps(w));
#else
	return (unsigned int)(((tg[0].va ^ va) | (tg[0].ctx ^ ctx)) == 0) |
	       (unsigned int)(((tg[1].va ^ va) | (tg[1].ctx ^ ctx)) == 0) << 1 |
	       (unsigned int)(((tg[2].va ^ va) | (tg[2].ctx ^ ctx)) == 0) << 2 |
	       (unsigned int)(((tg[3].va ^ va) | (tg[3].ctx ^ ctx)) == 0) << 3;
#endif
}

/* The entry of @kind covering @iova, or NULL; no statistics. */
static inline const struct sim_iotlb_entry *
sim_iotlb_probe(const struct sim_iotlb *t, unsigned int kind, uint64_t ctx,
		uint64_t iova)
{
	uint64_t va = ((iova >> sim_iotlb_kind_shift(kind)) & SIM_IOTLB_VPN_MASK) |
		      (uint64_t)kind << SIM_IOTLB_KIND_SHIFT;
	uint32_t base = sim_iotlb_set(t, va, ctx) * SIM_IOTLB_WAYS;
	unsigned int hit = sim_iotlb_match(&t->tags[base], va | t->gen, ctx);

	if (!hit)
		return NULL;
	return &t->ents[base + (unsigned int)__builtin_ctz(hit)];
}

/*
 * The hit path: the leaf translation of @iova for (@id, @pasid), or NULL.
 * Output address = e->oa + (iova & (sim_iotlb_entry_size(e) - 1)).
 * The page sizes are probed smallest first, each only if the cache holds
 * entries of that size, with the size a constant in each probe.
 */
static inline const struct sim_iotlb_entry *
sim_iotlb_lookup(struct sim_iotlb *t, uint32_t id, uint32_t pasid, uint64_t iova)
{
	const uint64_t ctx = (uint64_t)id << 32 | pasid;
	const uint32_t kinds = t->kinds;
	const struct sim_iotlb_entry *e = NULL;

	if (kinds & (1u << SIM_IOTLB_K_4K))
		e = sim_iotlb_probe(t, SIM_IOTLB_K_4K, ctx, iova);
	if (!e && (kinds & (1u << SIM_IOTLB_K_2M)))
		e = sim_iotlb_probe(t, SIM_IOTLB_K_2M, ctx, iova);
	if (!e && (kinds & (1u << SIM_IOTLB_K_1G)))
		e = sim_iotlb_probe(t, SIM_IOTLB_K_1G, ctx, iova);
	if (e)
		t->st.hits++;
	else
		t->st.misses++;
	return e;
}

/*
 * Cache a leaf: (@id, @pasid, the @page_size page holding @iova, which must
 * be below 2^57) -> @oa (the page's output address) with @perm; @data is
 * kept for the caller. Replaces an entry with the same tag. -EINVAL for a page size other than
 * 4 KiB / 2 MiB / 1 GiB or @pasid SIM_PASID_ANY.
 */
int sim_iotlb_insert(struct sim_iotlb *t, uint32_t id, uint32_t pasid,
		     uint64_t iova, uint64_t page_size, uint64_t oa, uint32_t perm,
		     uint64_t data);

/*
 * Paging-structure cache: remember that the walk for @iova reaches the
 * table @table at @level (1..3) with @perm granted by the levels above
 * (a struct sim_pt_step), so a later walk can start there with
 * sim_pt_walk_from. sim_iotlb_lookup_table returns the deepest such entry,
 * or NULL; it counts in the same hit/miss statistics.
 */
int sim_iotlb_insert_table(struct sim_iotlb *t, uint32_t id, uint32_t pasid,
			   uint64_t iova, unsigned int level, uint64_t table,
			   uint32_t perm);
const struct sim_iotlb_entry *sim_iotlb_lookup_table(struct sim_iotlb *t, uint32_t id,
						     uint32_t pasid, uint64_t iova);

/*
 * Invalidations; each returns the number of valid entries dropped.
 * inv_all is O(1); inv_id (a whole domain, or device for a devTLB) and
 * inv_pasid (one (id, pasid), SIM_PASID_NONE for requests without PASID)
 * scan the array. inv_range drops the entries of (@id, @pasid) overlapping
 * [addr, addr + npages << lg2) (addr rounded down to 2^lg2; npages large
 * enough to pass the top means "to the end"), leaves of every size and,
 * unless @flags has SIM_IOTLB_INV_LEAF, table entries; it probes page by
 * page when that is fewer steps than a scan (one page: O(1)) and scans
 * otherwise, and always for @pasid SIM_PASID_ANY.
 */
uint64_t sim_iotlb_inv_all(struct sim_iotlb *t);
uint64_t sim_iotlb_inv_id(struct sim_iotlb *t, uint32_t id);
uint64_t sim_iotlb_inv_pasid(struct sim_iotlb *t, uint32_t id, uint32_t pasid);
uint64_t sim_iotlb_inv_range(struct sim_iotlb *t, uint32_t id, uint32_t pasid,
			     uint64_t addr, uint64_t npages, unsigned int lg2,
			     unsigned int flags);

/*
 * Call @fn for every valid entry (for a stale-translation check); a
 * non-zero return stops the iteration and is returned.
 */
int sim_iotlb_for_each(const struct sim_iotlb *t,
		       int (*fn)(void *opaque, uint32_t id, uint32_t pasid,
				 const struct sim_iotlb_entry *e),
		       void *opaque);

/* ---- PASID cache: (source id, PASID) -> PASID-table entry contents ---- */

struct sim_pasid_cache;

struct sim_pasid_cache *sim_pasid_cache_new(unsigned int entries);
void sim_pasid_cache_free(struct sim_pasid_cache *pc);
/* -EINVAL for @pasid SIM_PASID_ANY or @domain SIM_DOMAIN_ANY. */
int sim_pasid_cache_insert(struct sim_pasid_cache *pc, uint32_t sid, uint32_t pasid,
			   uint64_t root, uint32_t domain, uint32_t flags);
/* true and the cached contents, or false (a miss). Outputs may be NULL. */
bool sim_pasid_cache_lookup(struct sim_pasid_cache *pc, uint32_t sid, uint32_t pasid,
			    uint64_t *root, uint32_t *domain, uint32_t *flags);
/* As VT-d's PASID-cache invalidation: global, domain-selective, and
 * PASID-selective (@domain may be SIM_DOMAIN_ANY). Entries dropped. */
uint64_t sim_pasid_cache_inv_all(struct sim_pasid_cache *pc);
uint64_t sim_pasid_cache_inv_domain(struct sim_pasid_cache *pc, uint32_t domain);
uint64_t sim_pasid_cache_inv_pasid(struct sim_pasid_cache *pc, uint32_t domain,
				   uint32_t pasid);
void sim_pasid_cache_stats(const struct sim_pasid_cache *pc, struct sim_iotlb_stats *st);

#endif
