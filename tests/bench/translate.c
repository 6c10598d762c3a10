/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Translation benchmark of the simulated IOMMU: the IOTLB hit path, page
 * walks, a nested (stage-1 through stage-2) walk and IOTLB invalidations,
 * each next to a baseline measured in the same run:
 *
 *   hit_per_s            IOTLB hits on one core (sim_iotlb_lookup)
 *   baseline_hashmap_hit_per_s
 *                        the same lookups in a chained hash table keyed by
 *                        the same tag, probing 4K/2M/1G in turn and
 *                        allocating a node per entry, as emulated VT-d
 *                        IOTLBs typically do
 *   walk_ns              a 4-level second-stage walk (sim_pt_walk) of a
 *                        random address in a large 4 KiB-mapped space, each
 *                        walk depending on the previous one's result
 *   chase_ns             a raw chase of 4 dependent loads through a random
 *                        cycle over as much memory as the walk's tables
 *   walk_ratio           walk_ns / chase_ns
 *   walk_arm_s1_ns, chase_arm_s1_ns, walk_ratio_arm_s1 (and _arm_s2)
 *                        the same walk and chase over an Arm VMSAv8-64
 *                        stage-1 (stage-2) table of the same mapping;
 *                        walk_ratio_arm_s1_vs_vtd compares the ratios;
 *                        walk_amd_v1_ns ... the same over an AMD v1 table
 *   nested_walk_ns       a 4-level first-stage walk whose tables live in
 *                        guest memory, each table read translated by a
 *                        4-level stage-2 walk, plus the stage-2 walk of the
 *                        result: 24 entry reads (nested_reads)
 *   nested_walk_smmuv3_ns, nested_walk_amd_ns
 *                        the same nested walk in the other models' formats:
 *                        an Arm stage 1 through an Arm stage 2 (SMMUv3), the
 *                        guest's v2 tables through a v1 table (AMD);
 *                        nested_ratio_*_vs_vtd compares each with VT-d's
 *   inval_page_ns, inval_pasid_ns, inval_all_ns
 *                        invalidating one page / one PASID / everything
 *                        with cached_entries (10 k) entries cached, and the
 *                        same on the hash table (baseline_inval_*_ns)
 *   dma_ratio_4k, dma_ratio_2m (and _smmuv3, _amd)
 *                        memcpy time / ioasid_sim_dma_write time of the same
 *                        copies, on the vtd, smmuv3 and amd profiles (each
 *                        model's own paging table behind the IOTLB);
 *                        dma_ratio_*_vs_vtd compares each with VT-d's
 *
 * The IOTLB is one structure for every model (sim_iotlb, tagged by domain
 * and PASID whatever a model calls them: VMID/ASID, hDomID), so hit_per_s
 * is every model's; a model's own hit path through the API is its DMA
 * figure.
 *
 * Timing: loops are timed in short rounds on the thread's CPU clock and
 * the fastest round is kept, so that other work on the machine (a parallel
 * make, say) neither adds preempted time nor skews one side of a
 * comparison; the baselines are timed the same way. inval_all is too short
 * to time one call: it is a run of back-to-back flushes, the first of a
 * full cache. Its cost does not depend on how many entries are live (a
 * generation bump; the array is only cleared when the 16-bit generation
 * wraps, and a run of 2^20 calls includes that share).
 *
 * Usage: translate [--json] [--quick] [--walk-gib N]
 * With --json the last line of stdout is one JSON object of the figures.
 * --quick is a tiny smoke run (figures meaningless). Figures are reported,
 * never judged.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/mman.h>

#include <ioasid/ioasid.h>

#include "backend/sim/iotlb.h"
#include "backend/sim/pgtable.h"

#define K4 SIM_PT_SZ_4K
#define M2 SIM_PT_SZ_2M
#define G1 SIM_PT_SZ_1G
#define DOM 1
#define PASID 5

static uint64_t rng = 0x6a09e667f3bcc909ULL;

static inline uint64_t xorshift(uint64_t x)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

static inline uint64_t rnd(void)
{
	return rng = xorshift(rng);
}

/* CPU time of this thread: preemption does not count. */
static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/*
 * Run @body (a statement doing @per_round units of work) @rounds times and
 * set @best to the CPU nanoseconds per unit of the fastest round.
 */
#define BEST_OF(best, rounds, per_round, body)                               \
	do {                                                                 \
		unsigned int r_;                                             \
		(best) = 1e300;                                              \
		for (r_ = 0; r_ < (rounds); r_++) {                          \
			double t_ = cpu_ns(), d_;                            \
			body;                                                \
			d_ = (cpu_ns() - t_) / (double)(per_round);          \
			if (d_ < (best))                                     \
				(best) = d_;                                 \
		}                                                            \
	} while (0)

static void die(const char *what, int err)
{
	fprintf(stderr, "translate bench: %s: %d (%s)\n", what, err, strerror(err < 0 ? -err : err));
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		die("malloc", -ENOMEM);
	return p;
}

static void *xaligned(size_t align, size_t n)
{
	void *p;

	if (posix_memalign(&p, align, n))
		die("posix_memalign", -ENOMEM);
	return p;
}

/* ---- the baseline: a chained hash table keyed by the same tag ---- */

struct hnode {
	struct hnode *next;
	uint64_t gfn;       /* iova >> page shift */
	uint32_t domain, pasid;
	uint32_t level;     /* 1 = 4K, 2 = 2M, 3 = 1G */
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
		die("calloc", -ENOMEM);
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
	nd = xmalloc(sizeof(*nd));
	*nd = (struct hnode){ *pp, gfn, domain, pasid, level, 3, oa };
	*pp = nd;
	m->n++;
}

static inline const struct hnode *hmap_lookup(const struct hmap *m, uint32_t domain,
					      uint32_t pasid, uint64_t iova)
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

static void bench_hits(unsigned int rounds, uint64_t iters, double *hit_per_s,
		       double *base_per_s, unsigned int *cached)
{
	enum { NADDR = 1 << 16, TLB = 512 };
	struct sim_iotlb *t = sim_iotlb_new(TLB);
	struct live l = { xmalloc(TLB * 8), xmalloc(TLB * 4), 0, TLB };
	uint64_t *addr = xmalloc(NADDR * sizeof(*addr)), sum = 0, sum2 = 0, i;
	struct hmap m;
	double ns;

	if (!t)
		die("sim_iotlb_new", -errno);
	/* random pages of a 64 GiB space; whatever survives the set conflicts */
	for (i = 0; i < TLB; i++) {
		uint64_t va = (rnd() % (UINT64_C(64) << 18)) << 12;

		sim_iotlb_insert(t, DOM, PASID, va, K4, va ^ (UINT64_C(1) << 40), SIM_PT_R, 0);
	}
	sim_iotlb_for_each(t, collect, &l);
	*cached = (unsigned int)l.n;
	hmap_init(&m, TLB);
	for (i = 0; i < l.n; i++)
		hmap_insert(&m, DOM, PASID, l.iova[i], 1, l.iova[i] ^ (UINT64_C(1) << 40));
	for (i = 0; i < NADDR; i++)
		addr[i] = l.iova[rnd() % l.n] + (rnd() & 0xfff);

	/* warm both, then the timed runs over the same addresses */
	for (i = 0; i < NADDR; i++) {
		if (!sim_iotlb_lookup(t, DOM, PASID, addr[i]) || !hmap_lookup(&m, DOM, PASID, addr[i]))
			die("a lookup missed", -ENOENT);
	}
	BEST_OF(ns, rounds, iters, for (i = 0; i < iters; i++) {
		const struct sim_iotlb_entry *e = sim_iotlb_lookup(t, DOM, PASID, addr[i & (NADDR - 1)]);

		if (__builtin_expect(!e, 0))
			die("IOTLB miss", -ENOENT);
		sum += e->oa;
	});
	*hit_per_s = 1e9 / ns;
	BEST_OF(ns, rounds, iters, for (i = 0; i < iters; i++) {
		const struct hnode *nd = hmap_lookup(&m, DOM, PASID, addr[i & (NADDR - 1)]);

		if (__builtin_expect(!nd, 0))
			die("hash miss", -ENOENT);
		sum2 += nd->oa;
	});
	*base_per_s = 1e9 / ns;
	if (sum != sum2)
		die("the IOTLB and the hash table disagree", -EINVAL);
	hmap_destroy(&m);
	sim_iotlb_free(t);
	free(l.iova);
	free(l.pasid);
	free(addr);
}

/* ---- walks ---- */

/*
 * @samples walks of random addresses of [0, space), each address depending
 * on the previous walk's result (oa >> 63 is 0, but the CPU must wait for
 * it), so that walks do not overlap and the figure is a latency.
 */
static void run_walks(const struct sim_pt_walker *w, uint64_t root, uint64_t space,
		      uint64_t samples, uint64_t *state)
{
	struct sim_pt_result r;
	uint64_t x = *state, i;

	for (i = 0; i < samples; i++) {
		uint64_t va;

		x = xorshift(x);
		va = (x % space) & ~UINT64_C(7);
		if (__builtin_expect(sim_pt_walk(w, root, va, SIM_PT_R, &r) != 0, 0))
			die("walk", -EFAULT);
		x += r.oa >> 63;
	}
	*state = x;
}

/* The same chain of random starts, each followed by 4 dependent loads. */
static void run_chase(const uint64_t *mem, uint64_t lines, uint64_t samples, uint64_t *state)
{
	uint64_t x = *state, i;

	for (i = 0; i < samples; i++) {
		uint64_t p;

		x = xorshift(x);
		p = x % lines;
		p = mem[p * 8];
		p = mem[p * 8];
		p = mem[p * 8];
		p = mem[p * 8];
		x += p >> 63;
	}
	*state = x;
}

/* A walk of one table format against its own chase, in the same run. */
struct walk_fig {
	double walk_ns, chase_ns;
	unsigned int reads;
	size_t table_bytes;
};

static void bench_walk(enum sim_pt_format fmt, uint64_t space, unsigned int rounds,
		       uint64_t samples, struct walk_fig *fig)
{
	struct sim_pt *pt = sim_pt_new(fmt, 4, K4 | M2 | G1);
	double *walk_ns = &fig->walk_ns, *chase_ns = &fig->chase_ns;
	unsigned int *reads = &fig->reads;
	size_t *table_bytes = &fig->table_bytes;
	struct sim_pt_walker w;
	struct sim_pt_result r;
	uint64_t lines, i, *mem, xw = 0x3c6ef372fe94f82bULL, xc = xw;
	int ret;

	if (!pt)
		die("sim_pt_new", -errno);
	/* oa = iova + 1T + 4K: never 2M-congruent, so every leaf is a 4 KiB one */
	ret = sim_pt_map(pt, 0, (UINT64_C(1) << 40) + K4, space, SIM_PT_R | SIM_PT_W);
	if (ret)
		die("sim_pt_map", ret);
	sim_pt_walker_init(&w, pt);
	if (sim_pt_walk(&w, sim_pt_root(pt), space - 1, 0, &r) || r.page_size != K4)
		die("not a 4 KiB leaf", -EINVAL);
	*reads = r.reads;
	*table_bytes = sim_pt_table_pages(pt) * SIM_PT_TABLE_SIZE;

	/* a random cyclic permutation (Sattolo) of cache lines, same bytes */
	lines = *table_bytes / 64;
	mem = xaligned(4096, lines * 64);
	for (i = 0; i < lines; i++)
		mem[i * 8] = i;
	for (i = lines - 1; i > 0; i--) {
		uint64_t j = rnd() % i, tmp = mem[i * 8];

		mem[i * 8] = mem[j * 8];
		mem[j * 8] = tmp;
	}

	/* a warm-up of each, then the timed rounds */
	run_walks(&w, sim_pt_root(pt), space, samples, &xw);
	run_chase(mem, lines, samples, &xc);
	BEST_OF(*walk_ns, rounds, samples, run_walks(&w, sim_pt_root(pt), space, samples, &xw));
	BEST_OF(*chase_ns, rounds, samples, run_chase(mem, lines, samples, &xc));
	if (xw != xc)
		die("the walk and the chase drew different addresses", -EINVAL);
	free(mem);
	sim_pt_free(pt);
}

/* ---- nested walk ---- */

struct nested {
	uint8_t *ram;              /* host memory behind GPA [0, ram_size) */
	uint64_t ram_size, next;   /* bump allocator of guest table pages */
	struct sim_pt *s2;
	struct sim_pt_walker s2w;
	uint64_t s2root;
	uint64_t reads;
};

static uint64_t guest_page(struct nested *n)
{
	uint64_t gpa = n->next;

	if (gpa + K4 > n->ram_size)
		die("guest RAM too small", -ENOMEM);
	n->next += K4;
	return gpa;
}

static void guest_put(struct nested *n, uint64_t table, unsigned int idx, uint64_t v)
{
	uint64_t le = htole64(v);

	memcpy(n->ram + table + idx * 8, &le, 8);
}

static uint64_t guest_get(struct nested *n, uint64_t table, unsigned int idx)
{
	uint64_t le;

	memcpy(&le, n->ram + table + idx * 8, 8);
	return le64toh(le);
}

/* Stage-1 table reads: the table's guest-physical address through stage 2. */
static int nested_read(void *opaque, uint64_t table, unsigned int index, uint64_t *entry)
{
	struct nested *n = opaque;
	struct sim_pt_result r;
	int ret = sim_pt_walk(&n->s2w, n->s2root, table + index * 8, SIM_PT_R, &r);

	if (ret)
		return ret;
	n->reads += r.reads;
	*entry = le64toh(*(const uint64_t *)(uintptr_t)r.oa);
	return 0;
}

/*
 * A model's nesting: the guest's stage-1 format, the entry bits its guest
 * driver writes in table and leaf entries, and the nest parent's format.
 */
struct nest_model {
	const char *key; /* the JSON keys' infix; NULL for VT-d (the plain keys) */
	const char *name;
	enum sim_pt_format s1, s2;
	uint64_t nonleaf, leaf;
};

#define NR_NEST_MODELS 3
static const struct nest_model nest_models[NR_NEST_MODELS] = {
	/* VT-d first stage (IA-32e) over the second stage */
	{ NULL, "VT-d FL over SL", SIM_PT_VTD_FL, SIM_PT_VTD_SL, SIM_FL_P | SIM_FL_RW | SIM_FL_US,
	  SIM_FL_P | SIM_FL_RW | SIM_FL_US },
	/* SMMUv3: the CD's VMSAv8-64 stage 1 over stage 2 (table 0b11; page 0b11 | AF | AP[1]) */
	{ "smmuv3", "SMMUv3 S1 over S2", SIM_PT_ARM_S1, SIM_PT_ARM_S2, SIM_ARM_VALID | SIM_ARM_TABLE,
	  SIM_ARM_VALID | SIM_ARM_TABLE | SIM_ARM_AF | SIM_ARM_S1_AP1 },
	/* AMD: the guest CR3's v2 (x86-64) tables over the v1 host table */
	{ "amd", "AMD v2 over v1", SIM_PT_AMD_V2, SIM_PT_AMD_V1, SIM_FL_P | SIM_FL_RW | SIM_FL_US,
	  SIM_FL_P | SIM_FL_RW | SIM_FL_US },
};

/*
 * A 4-level guest stage-1 walk of model @m whose tables are in guest
 * memory, every entry read translated by a 4-level walk of the parent's
 * format, then the parent's walk of the result. The guest's GCR3 or CD
 * lookup in front of it is not timed: a real IOMMU caches it.
 */
static double bench_nested(const struct nest_model *m, uint64_t space, unsigned int rounds,
			   uint64_t samples, unsigned int *reads)
{
	const uint64_t data_gpa = UINT64_C(1) << 34; /* guest data at 16 GiB */
	const uint64_t nonleaf = m->nonleaf;
	struct nested n = { 0 };
	struct sim_pt_walker w = { .format = m->s1,
				   .levels = 4,
				   .read_entry = nested_read,
				   .opaque = &n };
	struct sim_pt_result r, r2;
	uint64_t s1root, va, x = 0x510e527fade682d1ULL, i, sum = 0;
	double ns;
	int ret;

	/* stage-1 tables: one page per 2 MiB of space plus the upper levels */
	n.ram_size = (space / M2 + space / G1 + 16) * K4;
	n.ram = xaligned(4096, n.ram_size);
	memset(n.ram, 0, n.ram_size);
	n.next = K4;
	/* stage 2 with 4 KiB pages only: the full 4 x 5 + 4 reads */
	n.s2 = sim_pt_new(m->s2, 4, K4);
	if (!n.s2)
		die("sim_pt_new", -errno);
	ret = sim_pt_map(n.s2, 0, (uint64_t)(uintptr_t)n.ram, n.ram_size, SIM_PT_R | SIM_PT_W);
	if (!ret) /* the data pages are never touched: any output will do */
		ret = sim_pt_map(n.s2, data_gpa, UINT64_C(1) << 44, space, SIM_PT_R | SIM_PT_W);
	if (ret)
		die("sim_pt_map (stage 2)", ret);
	sim_pt_walker_init(&n.s2w, n.s2);
	n.s2root = sim_pt_root(n.s2);

	/* stage 1 (first-stage format, in guest memory): iova -> data_gpa + iova */
	s1root = guest_page(&n);
	for (va = 0; va < space; va += K4) {
		uint64_t t = s1root;
		unsigned int l;

		for (l = 4; l > 1; l--) {
			unsigned int idx = (unsigned int)(va >> (12 + 9 * (l - 1))) & 511;
			uint64_t e = guest_get(&n, t, idx);

			if (!e) {
				e = guest_page(&n) | nonleaf;
				guest_put(&n, t, idx, e);
			}
			t = e & SIM_PT_ADDR_MASK;
		}
		guest_put(&n, t, (unsigned int)(va >> 12) & 511, (data_gpa + va) | m->leaf);
	}

	ret = sim_pt_walk(&w, s1root, space - 1, SIM_PT_R, &r);
	if (!ret)
		ret = sim_pt_walk(&n.s2w, n.s2root, r.oa, SIM_PT_R, &r2);
	if (ret || r2.oa != (UINT64_C(1) << 44) + space - 1)
		die("nested walk", ret ? ret : -EINVAL);
	n.reads = 0;
	BEST_OF(ns, rounds, samples, for (i = 0; i < samples; i++) {
		x = xorshift(x);
		va = (x % space) & ~UINT64_C(7);
		if (__builtin_expect(sim_pt_walk(&w, s1root, va, SIM_PT_R, &r) != 0, 0) ||
		    __builtin_expect(sim_pt_walk(&n.s2w, n.s2root, r.oa, SIM_PT_R, &r2) != 0, 0))
			die("nested walk", -EFAULT);
		n.reads += r.reads + r2.reads;
		sum += r2.oa;
		x += r2.oa >> 63;
	});
	*reads = (unsigned int)(n.reads / (samples * rounds));
	if (!sum)
		die("nested walk", -EINVAL);
	sim_pt_free(n.s2);
	free(n.ram);
	return ns;
}

/* ---- invalidations ---- */

struct inval {
	double page_ns, pasid_ns, all_ns;
	double base_page_ns, base_pasid_ns, base_all_ns;
	unsigned int cached;
};

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
	sim_iotlb_for_each(t, collect, l);
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

static void bench_inval(unsigned int reps, struct inval *res)
{
	enum { WANT = 10000, CAP = 16384, BATCH = 2000 };
	struct sim_iotlb *t = sim_iotlb_new(CAP);
	struct live l = { xmalloc(CAP * 8), xmalloc(CAP * 4), 0, CAP };
	double tp = 1e300, tq = 1e300, bp = 1e300, bq = 1e300, ba = 1e300, t0, d;
	uint64_t dropped = 0, bdropped = 0;
	unsigned int rep, p, k;
	struct hmap m;
	size_t i;

	if (!t)
		die("sim_iotlb_new", -errno);
	hmap_init(&m, CAP);
	fill(t, &m, &l, WANT);
	res->cached = (unsigned int)l.n;
	for (rep = 0; rep < reps; rep++) {
		/* one page at a time: BATCH distinct cached pages */
		t0 = cpu_ns();
		for (i = 0; i < BATCH; i++)
			dropped += sim_iotlb_inv_range(t, DOM, l.pasid[i], l.iova[i], 1, 12,
						       SIM_IOTLB_INV_LEAF);
		d = (cpu_ns() - t0) / BATCH;
		tp = d < tp ? d : tp;
		t0 = cpu_ns();
		for (i = 0; i < BATCH; i++)
			bdropped += hmap_remove_page(&m, DOM, l.pasid[i], l.iova[i]);
		d = (cpu_ns() - t0) / BATCH;
		bp = d < bp ? d : bp;
		refill(t, &m, &l);

		/* one PASID */
		p = rep % NPASIDS;
		t0 = cpu_ns();
		dropped += sim_iotlb_inv_pasid(t, DOM, p);
		d = cpu_ns() - t0;
		tq = d < tq ? d : tq;
		t0 = cpu_ns();
		bdropped += hmap_remove_all(&m, false, DOM, p);
		d = cpu_ns() - t0;
		bq = d < bq ? d : bq;
		refill(t, &m, &l);

		/* everything (the sim's run of flushes comes after the loop) */
		dropped += sim_iotlb_inv_all(t);
		t0 = cpu_ns();
		bdropped += hmap_remove_all(&m, true, 0, 0);
		d = cpu_ns() - t0;
		ba = d < ba ? d : ba;
		refill(t, &m, &l);
	}
	if (dropped != bdropped)
		die("the IOTLB and the hash table dropped different counts", -EINVAL);
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

/* ---- main ---- */

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--json] [--quick] [--walk-gib N]\n", argv0);
	exit(2);
}

/* ---- DMA through the public API against memcpy of the same size ---- */

struct dma_fig {
	double dma_4k_ns, memcpy_4k_ns, dma_2m_ns, memcpy_2m_ns;
};

static double now_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void dma_die(const char *what, int err, struct ioasid_ctx *ctx)
{
	fprintf(stderr, "bench translate: %s: %s: %s\n", what, ioasid_strerrno(err),
		ctx ? ioasid_ctx_errmsg(ctx) : "");
	exit(1);
}

/*
 * The fastest of @rounds rounds of @n copies of @len bytes, per copy. The
 * 4 KiB copies walk through 2 MiB of destination (512 pages), the way a
 * device's DMA walks through its buffers; memcpy does exactly the same
 * copies, so the ratio is the engine's cost on top of the copy.
 */
static void bench_dma(const char *spec, unsigned int rounds, unsigned int n4k, unsigned int n2m,
		      struct dma_fig *f)
{
	const uint64_t MB2 = UINT64_C(2) << 20;
	struct ioasid_ctx *ctx;
	uint8_t *raw, *mem, *src;
	uint32_t ioas, dev;
	unsigned int r, i;
	uint64_t io = 0x40000000;
	size_t done;
	int err;

	raw = mmap(NULL, 6 * MB2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		dma_die("mmap", -errno, NULL);
	mem = (uint8_t *)(((uintptr_t)raw + MB2 - 1) & ~(uintptr_t)(MB2 - 1));
	src = mem + 2 * MB2;
	memset(mem, 1, 4 * MB2);
	if ((err = ioasid_ctx_open(spec, NULL, &ctx)))
		dma_die("open", err, NULL);
	ioasid_ctx_set_pinned_limit(ctx, UINT64_MAX);
	if ((err = ioasid_ioas_alloc(ctx, &ioas)) ||
	    (err = ioasid_ioas_map(ctx, ioas, mem, 2 * MB2, IOASID_MAP_READ | IOASID_MAP_WRITE |
				   IOASID_MAP_FIXED_IOVA, &io)) ||
	    (err = ioasid_dev_bind(ctx, "sim1", &dev)) ||
	    (err = ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, ioas, NULL)))
		dma_die("set-up", err, ctx);
	f->dma_4k_ns = f->memcpy_4k_ns = f->dma_2m_ns = f->memcpy_2m_ns = 1e30;
	for (r = 0; r < rounds; r++) {
		double t;

		t = now_mono_ns();
		for (i = 0; i < n4k; i++)
			if ((err = ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE,
							0x40000000 + (i & 511) * 4096, src, 4096, &done)))
				dma_die("dma 4K", err, ctx);
		t = (now_mono_ns() - t) / n4k;
		f->dma_4k_ns = t < f->dma_4k_ns ? t : f->dma_4k_ns;
		t = now_mono_ns();
		for (i = 0; i < n4k; i++) {
			memcpy(mem + (i & 511) * 4096, src, 4096);
			__asm__ volatile("" ::: "memory");
		}
		t = (now_mono_ns() - t) / n4k;
		f->memcpy_4k_ns = t < f->memcpy_4k_ns ? t : f->memcpy_4k_ns;
		t = now_mono_ns();
		for (i = 0; i < n2m; i++)
			if ((err = ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, 0x40000000, src, MB2,
							&done)))
				dma_die("dma 2M", err, ctx);
		t = (now_mono_ns() - t) / n2m;
		f->dma_2m_ns = t < f->dma_2m_ns ? t : f->dma_2m_ns;
		t = now_mono_ns();
		for (i = 0; i < n2m; i++) {
			memcpy(mem, src, MB2);
			__asm__ volatile("" ::: "memory");
		}
		t = (now_mono_ns() - t) / n2m;
		f->memcpy_2m_ns = t < f->memcpy_2m_ns ? t : f->memcpy_2m_ns;
	}
	ioasid_ctx_close(ctx);
	munmap(raw, 6 * MB2);
}

/* How much each part measures (--quick shrinks it all for make check). */
struct sizes {
	unsigned int rounds, inval_reps, dma_rounds, dma_4k, dma_2m;
	uint64_t hit_iters, walk_space, walk_samples, nested_space, nested_samples;
};

/* The models whose DMA path is timed, with the nest_models[] order: VT-d first. */
static const char *const dma_specs[NR_NEST_MODELS] = { "sim:vtd", "sim:smmuv3", "sim:amd" };

#define NR_WALK_FORMATS 4
static const enum sim_pt_format walk_formats[NR_WALK_FORMATS] = {
	SIM_PT_VTD_SL, SIM_PT_ARM_S1, SIM_PT_ARM_S2, SIM_PT_AMD_V1
};

/* Every figure of a run. */
struct figures {
	double hit_per_s, base_hit_per_s;
	/* walks per format (walk_formats[]): VT-d second stage first */
	struct walk_fig walk[NR_WALK_FORMATS];
	/* per model (nest_models[], dma_specs[]): VT-d first */
	double nested_ns[NR_NEST_MODELS];
	unsigned int nested_reads[NR_NEST_MODELS], hit_cached;
	uint64_t walk_space, nested_space;
	struct inval inv;
	struct dma_fig dma[NR_NEST_MODELS];
};

/* The options into @z; true for --json. */
static bool parse_args(int argc, char **argv, struct sizes *z)
{
	bool json = false;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--quick")) {
			z->rounds = 2;
			z->hit_iters = 100000;
			z->walk_space = UINT64_C(64) << 20;
			z->walk_samples = 10000;
			z->nested_space = UINT64_C(16) << 20;
			z->nested_samples = 2000;
			z->inval_reps = 2;
			z->dma_rounds = 2;
			z->dma_4k = 200;
			z->dma_2m = 2;
		} else if (!strcmp(argv[i], "--walk-gib") && i + 1 < argc) {
			char *end;

			z->walk_space = strtoull(argv[++i], &end, 0) << 30;
			if (*end || !z->walk_space || z->walk_space > (UINT64_C(1) << 47))
				usage(argv[0]);
		} else {
			usage(argv[0]);
		}
	}
	return json;
}

static void print_table(const struct figures *f)
{
	const struct walk_fig *w = &f->walk[0];
	unsigned int i;

	printf("IOTLB hits (%u cached 4K entries, 512-entry 4-way):\n", f->hit_cached);
	printf("  sim_iotlb_lookup:     %8.1f M/s  (%.2f ns)   target >= 150 M/s\n",
	       f->hit_per_s / 1e6, 1e9 / f->hit_per_s);
	printf("  chained hash table:   %8.1f M/s  (%.2f ns)\n", f->base_hit_per_s / 1e6,
	       1e9 / f->base_hit_per_s);
	printf("Walks over %" PRIu64 " MiB mapped in 4K pages (%zu MiB of tables):\n",
	       f->walk_space >> 20, w->table_bytes >> 20);
	printf("  4-level walk:         %8.1f ns  (%u reads)\n", w->walk_ns, w->reads);
	printf("  4-load pointer chase: %8.1f ns\n", w->chase_ns);
	printf("  walk / chase:         %8.3f        target <= 4\n", w->walk_ns / w->chase_ns);
	for (i = 1; i < NR_WALK_FORMATS; i++)
		printf("  %-18s    %8.1f ns  vs chase %6.1f ns  walk / chase %.3f  (vs VT-d %.3f)\n",
		       sim_pt_format_name(walk_formats[i]), f->walk[i].walk_ns,
		       f->walk[i].chase_ns, f->walk[i].walk_ns / f->walk[i].chase_ns,
		       f->walk[i].walk_ns / f->walk[i].chase_ns / (w->walk_ns / w->chase_ns));
	printf("Nested walks (guest stage 1 through the parent, %" PRIu64 " MiB stage-1 space):\n",
	       f->nested_space >> 20);
	for (i = 0; i < NR_NEST_MODELS; i++)
		printf("  %-18s    %8.1f ns  (%u reads)  vs VT-d %.3f\n", nest_models[i].name,
		       f->nested_ns[i], f->nested_reads[i], f->nested_ns[i] / f->nested_ns[0]);
	printf("Invalidations with %u entries cached (16 PASIDs):      sim   hash table\n",
	       f->inv.cached);
	printf("  one page:   %10.1f ns %10.1f ns\n", f->inv.page_ns, f->inv.base_page_ns);
	printf("  one PASID:  %10.1f ns %10.1f ns\n", f->inv.pasid_ns, f->inv.base_pasid_ns);
	printf("  all:        %10.1f ns %10.1f ns\n", f->inv.all_ns, f->inv.base_all_ns);
	for (i = 0; i < NR_NEST_MODELS; i++) {
		const struct dma_fig *d = &f->dma[i];

		printf("DMA through ioasid_sim_dma_write (IOTLB hits) vs memcpy, %s:\n",
		       dma_specs[i]);
		printf("  4 KiB: %8.1f ns vs %8.1f ns   throughput ratio %.3f   target >= 0.8\n",
		       d->dma_4k_ns, d->memcpy_4k_ns, d->memcpy_4k_ns / d->dma_4k_ns);
		printf("  2 MiB: %8.1f ns vs %8.1f ns   throughput ratio %.3f   target >= 0.95\n",
		       d->dma_2m_ns, d->memcpy_2m_ns, d->memcpy_2m_ns / d->dma_2m_ns);
		if (i)
			printf("  ratios vs VT-d: 4 KiB %.3f, 2 MiB %.3f\n",
			       (d->memcpy_4k_ns / d->dma_4k_ns) /
				       (f->dma[0].memcpy_4k_ns / f->dma[0].dma_4k_ns),
			       (d->memcpy_2m_ns / d->dma_2m_ns) /
				       (f->dma[0].memcpy_2m_ns / f->dma[0].dma_2m_ns));
	}
}

/* One JSON object on the last line (tests/tools/bench-smoke.sh reads its keys). */
static void print_json(const struct figures *f)
{
	const struct walk_fig *w = &f->walk[0];
	static const char *const key[NR_WALK_FORMATS] = { NULL, "arm_s1", "arm_s2", "amd_v1" };
	unsigned int i;

	/* the other formats' walks first, each with its own chase and its ratio to VT-d's */
	printf("{");
	for (i = 1; i < NR_WALK_FORMATS; i++)
		printf("\"walk_%s_ns\": %.2f, \"chase_%s_ns\": %.2f, \"walk_ratio_%s\": %.4f"
		       ", \"walk_ratio_%s_vs_vtd\": %.3f, ",
		       key[i], f->walk[i].walk_ns, key[i], f->walk[i].chase_ns, key[i],
		       f->walk[i].walk_ns / f->walk[i].chase_ns, key[i],
		       f->walk[i].walk_ns / f->walk[i].chase_ns / (w->walk_ns / w->chase_ns));
	/* the other models' nested walks and DMA, each with its ratio to VT-d's */
	for (i = 1; i < NR_NEST_MODELS; i++) {
		const struct dma_fig *d = &f->dma[i], *v = &f->dma[0];
		const char *k = nest_models[i].key;

		printf("\"nested_walk_%s_ns\": %.2f, \"nested_reads_%s\": %u"
		       ", \"nested_ratio_%s_vs_vtd\": %.3f, ",
		       k, f->nested_ns[i], k, f->nested_reads[i], k,
		       f->nested_ns[i] / f->nested_ns[0]);
		printf("\"dma_4k_%s_ns\": %.1f, \"memcpy_4k_%s_ns\": %.1f, \"dma_ratio_4k_%s\": %.3f"
		       ", \"dma_ratio_4k_%s_vs_vtd\": %.3f"
		       ", \"dma_2m_%s_ns\": %.1f, \"memcpy_2m_%s_ns\": %.1f, \"dma_ratio_2m_%s\": %.3f"
		       ", \"dma_ratio_2m_%s_vs_vtd\": %.3f, ",
		       k, d->dma_4k_ns, k, d->memcpy_4k_ns, k, d->memcpy_4k_ns / d->dma_4k_ns, k,
		       (d->memcpy_4k_ns / d->dma_4k_ns) / (v->memcpy_4k_ns / v->dma_4k_ns), k,
		       d->dma_2m_ns, k, d->memcpy_2m_ns, k, d->memcpy_2m_ns / d->dma_2m_ns, k,
		       (d->memcpy_2m_ns / d->dma_2m_ns) / (v->memcpy_2m_ns / v->dma_2m_ns));
	}
	printf("\"dma_4k_ns\": %.1f, \"memcpy_4k_ns\": %.1f, \"dma_ratio_4k\": %.3f"
	       ", \"dma_2m_ns\": %.1f, \"memcpy_2m_ns\": %.1f, \"dma_ratio_2m\": %.3f, ",
	       f->dma[0].dma_4k_ns, f->dma[0].memcpy_4k_ns,
	       f->dma[0].memcpy_4k_ns / f->dma[0].dma_4k_ns, f->dma[0].dma_2m_ns,
	       f->dma[0].memcpy_2m_ns, f->dma[0].memcpy_2m_ns / f->dma[0].dma_2m_ns);
	printf("\"hit_per_s\": %.0f, \"hit_ns\": %.3f, \"baseline_hashmap_hit_per_s\": %.0f"
	       ", \"baseline_hashmap_hit_ns\": %.3f, \"hit_speedup_vs_hashmap\": %.3f"
	       ", \"hit_cached_entries\": %u"
	       ", \"walk_ns\": %.2f, \"chase_ns\": %.2f, \"walk_ratio\": %.4f"
	       ", \"walk_reads\": %u, \"walk_mapped_bytes\": %" PRIu64 ", \"walk_table_bytes\": %zu"
	       ", \"nested_walk_ns\": %.2f, \"nested_reads\": %u"
	       ", \"nested_to_walk_ratio\": %.3f"
	       ", \"cached_entries\": %u"
	       ", \"inval_page_ns\": %.2f, \"inval_pasid_ns\": %.2f, \"inval_all_ns\": %.2f"
	       ", \"baseline_inval_page_ns\": %.2f, \"baseline_inval_pasid_ns\": %.2f"
	       ", \"baseline_inval_all_ns\": %.2f}\n",
	       f->hit_per_s, 1e9 / f->hit_per_s, f->base_hit_per_s, 1e9 / f->base_hit_per_s,
	       f->hit_per_s / f->base_hit_per_s, f->hit_cached, w->walk_ns, w->chase_ns,
	       w->walk_ns / w->chase_ns, w->reads, f->walk_space, w->table_bytes, f->nested_ns[0],
	       f->nested_reads[0], f->nested_ns[0] / w->walk_ns, f->inv.cached, f->inv.page_ns,
	       f->inv.pasid_ns, f->inv.all_ns, f->inv.base_page_ns, f->inv.base_pasid_ns,
	       f->inv.base_all_ns);
}

int main(int argc, char **argv)
{
	/* short rounds, many of them: the fastest is likelier to run alone */
	struct sizes z = {
		.rounds = 200,
		.inval_reps = 300,
		.dma_rounds = 30,
		.dma_4k = 20000,
		.dma_2m = 40,
		.hit_iters = 250000,
		.walk_space = UINT64_C(128) << 30,
		.walk_samples = 10000,
		.nested_space = UINT64_C(4) << 30,
		.nested_samples = 5000,
	};
	struct figures f;
	bool json = parse_args(argc, argv, &z);
	unsigned int i;

	memset(&f, 0, sizeof(f));
	f.walk_space = z.walk_space;
	f.nested_space = z.nested_space;
	bench_hits(z.rounds, z.hit_iters, &f.hit_per_s, &f.base_hit_per_s, &f.hit_cached);
	for (i = 0; i < NR_WALK_FORMATS; i++)
		bench_walk(walk_formats[i], z.walk_space, z.rounds, z.walk_samples, &f.walk[i]);
	for (i = 0; i < NR_NEST_MODELS; i++)
		f.nested_ns[i] = bench_nested(&nest_models[i], z.nested_space, z.rounds,
					      z.nested_samples, &f.nested_reads[i]);
	bench_inval(z.inval_reps, &f.inv);
	for (i = 0; i < NR_NEST_MODELS; i++)
		bench_dma(dma_specs[i], z.dma_rounds, z.dma_4k, z.dma_2m, &f.dma[i]);
	print_table(&f);
	if (json)
		print_json(&f);
	return 0;
}
