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
#include "translate.h"

uint64_t rng = 0x6a09e667f3bcc909ULL;

/* CPU time of this thread: preemption does not count. */
double tr_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

void tr_die(const char *what, int err)
{
	fprintf(stderr, "translate bench: %s: %d (%s)\n", what, err, strerror(err < 0 ? -err : err));
	exit(1);
}

void *tr_xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		tr_die("malloc", -ENOMEM);
	return p;
}

void *tr_xaligned(size_t align, size_t n)
{
	void *p;

	if (posix_memalign(&p, align, n))
		tr_die("posix_memalign", -ENOMEM);
	return p;
}

/* ---- main ---- */

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--json] [--quick] [--walk-gib N]\n", argv0);
	exit(2);
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
	tr_bench_hits(z.rounds, z.hit_iters, &f.hit_per_s, &f.base_hit_per_s, &f.hit_cached);
	for (i = 0; i < NR_WALK_FORMATS; i++)
		tr_bench_walk(walk_formats[i], z.walk_space, z.rounds, z.walk_samples, &f.walk[i]);
	for (i = 0; i < NR_NEST_MODELS; i++)
		f.nested_ns[i] = tr_bench_nested(&nest_models[i], z.nested_space, z.rounds,
						 z.nested_samples, &f.nested_reads[i]);
	tr_bench_inval(z.inval_reps, &f.inv);
	for (i = 0; i < NR_NEST_MODELS; i++)
		tr_bench_dma(dma_specs[i], z.dma_rounds, z.dma_4k, z.dma_2m, &f.dma[i]);
	print_table(&f);
	if (json)
		print_json(&f);
	return 0;
}
