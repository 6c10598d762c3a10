/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmark: address-space bookkeeping at scale, through the public API on
 * the sim backend, against two baselines measured in the same run: glibc's
 * tsearch red-black tree doing the same operations, and a dependent
 * pointer chase over a working set of the same size (N cache lines in a
 * random cycle: what one miss per operation would cost at that N).
 *
 *   ioas [--size N] [--auto N] [--churn N] [--json]
 *
 * Without --size every phase runs at N = 1k, 10k, 100k and 1M. Phases, at
 * each N: N fixed 4 KiB maps at ascending IOVAs; N random lookups; N/2
 * unmaps in random order (a fragmented space); the N/2 fixed maps back into
 * those holes, in another random order; unmap-and-map-back pairs of random
 * mappings at a steady N (--churn, default 100k); N/2 unmaps again and
 * automatic-IOVA maps of random sizes into that space (--auto, default
 * N/10, at least 100). Lookups, unmap + fill and the library's automatic
 * maps (unmapped again, untimed, between rounds) are repeated until each
 * phase has done about 200k operations, so that small N are timed over
 * more than a few microseconds. tsearch's automatic map has no gap index,
 * so it walks the tree in order (as a GTree-based IOVA tree does) and is
 * run once on at most 200 maps (20 at 1M).
 * The same phases are run on the bare iova tree too (run_tree()), so the
 * table says how much of each libioasid figure is the tree and how much
 * the API around it.
 * Phases are timed in thread CPU time (see now_ns()).
 * bytes_per_mapping is heap bytes measured with mallinfo2() around the map
 * phase.
 *
 * With --json the last line of stdout is one JSON object of figures; with
 * several sizes each key is prefixed by the size ("n1k_unmap_ns").
 */
#include <errno.h>
#include <malloc.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <ioasid/ioasid.h>

#include "util/iova-tree.h" /* the tree alone, linked from the static core library */

#define PG 4096ull
#define BASE 0x100000ull
#define STRIDE (2 * PG) /* a 4 KiB gap between maps, so unmaps fragment */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/*
 * CPU time of this thread, not wall time: the benchmark runs on machines
 * shared with builds, and a phase of a few hundred microseconds that loses
 * the CPU for a time slice would otherwise read several times too slow.
 * The baselines are timed with the same clock, so the ratios stay fair
 * (what preemption still costs, refilled caches, hits both alike).
 */
static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void shuffle(uint32_t *a, uint32_t n)
{
	uint32_t i;

	for (i = n - 1; i > 0; i--) {
		uint32_t j = xorshift() % (i + 1), t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
}

static void die(const char *what, int err, struct ioasid_ctx *ctx)
{
	fprintf(stderr, "bench ioas: %s: %d (%s): %s\n", what, err, ioasid_strerrno(err),
		ctx ? ioasid_ctx_errmsg(ctx) : "");
	exit(1);
}

/* Random automatic-map size: 4 KiB .. 64 KiB in pages. */
static uint64_t auto_len(void)
{
	return (1 + xorshift() % 16) * PG;
}

/* ---- baseline: glibc tsearch ---- */

struct bnode {
	uint64_t iova, last, uva;
	uint32_t flags;
};

static int bcmp_range(const void *a, const void *b)
{
	const struct bnode *x = a, *y = b;

	if (x->last < y->iova)
		return -1;
	if (x->iova > y->last)
		return 1;
	return 0; /* overlap = equal: finds the containing area */
}

/* The in-order walk a tree without a gap index must do. */
static struct {
	uint64_t prev_end, len, found;
	int done;
} walk;

static void walk_fn(const void *nodep, VISIT which, void *closure)
{
	const struct bnode *n = *(const struct bnode *const *)nodep;

	(void)closure;
	if (walk.done || (which != postorder && which != leaf))
		return;
	if (n->iova > walk.prev_end && n->iova - walk.prev_end >= walk.len) {
		walk.found = walk.prev_end;
		walk.done = 1;
		return;
	}
	walk.prev_end = n->last + 1;
}

struct figures {
	double map_ns, lookup_ns, unmap_ns, fill_ns, churn_ns, automap_ns, bytes_per_mapping;
};

/* What one run at one size does: the same for the library and tsearch. */
struct plan {
	uint32_t n, nauto, nchurn;
	uint32_t reps;   /* lookup and unmap/fill rounds: >= 100k operations each */
	uint32_t *order; /* a random permutation of 0..n-1 */
	uint32_t *churn; /* nchurn random indexes of live mappings */
};

static uint64_t iova_of(uint32_t i)
{
	return BASE + (uint64_t)i * STRIDE;
}

static struct bnode *bnode_new(uint64_t iova, uint64_t len)
{
	struct bnode *b = malloc(sizeof(*b));

	if (!b)
		die("malloc", -ENOMEM, NULL);
	b->iova = iova;
	b->last = iova + len - 1;
	b->uva = 0x7f0000000000ull;
	b->flags = 3;
	return b;
}

static void bdelete(void **root, uint64_t iova)
{
	struct bnode key = { .iova = iova, .last = iova }, **found, *b;

	found = tfind(&key, root, bcmp_range);
	if (!found)
		die("tfind", -ENOENT, NULL);
	b = *found;
	tdelete(&key, root, bcmp_range);
	free(b);
}

static void binsert(void **root, struct bnode *b)
{
	if (!tsearch(b, root, bcmp_range))
		die("tsearch", -ENOMEM, NULL);
}

static void run_baseline(const struct plan *p, struct figures *f)
{
	/* its in-order walk costs O(N) a map: bounded to ~2e7 node visits */
	uint32_t i, r, n = p->n, half = n / 2, cap = n > 100000 ? 20000000 / n : 200;
	uint32_t nauto = p->nauto < cap ? p->nauto : cap;
	struct bnode key;
	struct mallinfo2 m0, m1;
	void *root = NULL;
	double t;

	m0 = mallinfo2();
	t = now_ns();
	for (i = 0; i < n; i++)
		binsert(&root, bnode_new(iova_of(i), PG));
	f->map_ns = (now_ns() - t) / n;
	m1 = mallinfo2();
	f->bytes_per_mapping = (double)(m1.uordblks - m0.uordblks) / n;

	t = now_ns();
	for (r = 0; r < p->reps; r++) {
		for (i = 0; i < n; i++) {
			key.iova = key.last = iova_of(p->order[i]) + 5;
			if (!tfind(&key, &root, bcmp_range))
				die("tfind", -ENOENT, NULL);
		}
	}
	f->lookup_ns = (now_ns() - t) / n / p->reps;

	f->unmap_ns = f->fill_ns = 0;
	for (r = 0; r < p->reps; r++) {
		t = now_ns();
		for (i = 0; i < half; i++)
			bdelete(&root, iova_of(p->order[i]));
		f->unmap_ns += now_ns() - t;
		t = now_ns();
		for (i = half; i-- > 0;)
			binsert(&root, bnode_new(iova_of(p->order[i]), PG));
		f->fill_ns += now_ns() - t;
	}
	f->unmap_ns /= (double)half * p->reps;
	f->fill_ns /= (double)half * p->reps;

	t = now_ns();
	for (i = 0; i < p->nchurn; i++) {
		bdelete(&root, iova_of(p->churn[i]));
		binsert(&root, bnode_new(iova_of(p->churn[i]), PG));
	}
	f->churn_ns = p->nchurn ? (now_ns() - t) / p->nchurn : 0;

	for (i = 0; i < half; i++)
		bdelete(&root, iova_of(p->order[i]));
	t = now_ns();
	for (i = 0; i < nauto; i++) {
		walk.prev_end = PG;
		walk.len = auto_len();
		walk.done = 0;
		twalk_r(root, walk_fn, NULL);
		if (!walk.done)
			walk.found = walk.prev_end;
		binsert(&root, bnode_new(walk.found, walk.len));
	}
	f->automap_ns = nauto ? (now_ns() - t) / nauto : 0;
	tdestroy(root, free);
}

static void lib_map(struct ioasid_ctx *ctx, uint32_t ioas, uint8_t *mem, uint64_t iova)
{
	int err = ioasid_ioas_map(ctx, ioas, mem, PG,
				  IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA, &iova);

	if (err)
		die("map", err, ctx);
}

static void lib_unmap(struct ioasid_ctx *ctx, uint32_t ioas, uint64_t iova)
{
	uint64_t un;
	int err = ioasid_ioas_unmap(ctx, ioas, iova, PG, &un);

	if (err)
		die("unmap", err, ctx);
}

static void run_lib(const struct plan *p, struct figures *f)
{
	uint32_t ioas, i, r, n = p->n, half = n / 2;
	uint32_t areps = p->nauto && p->nauto < 200000 ? 200000 / p->nauto : 1;
	struct {
		uint64_t iova, len;
	} *got = malloc((p->nauto ? p->nauto : 1) * sizeof(*got));
	struct ioasid_ctx *ctx;
	struct ioasid_mapping m;
	struct mallinfo2 m0, m1;
	uint8_t *mem;
	uint64_t io;
	double t;
	int err;

	if (!got)
		die("malloc", -ENOMEM, NULL);
	err = ioasid_ctx_open("sim", NULL, &ctx);
	if (err)
		die("open", err, NULL);
	ioasid_ctx_set_pinned_limit(ctx, UINT64_MAX);
	err = ioasid_ioas_alloc(ctx, &ioas);
	if (err)
		die("ioas_alloc", err, ctx);
	mem = mmap(NULL, 64 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap", -errno, NULL);

	m0 = mallinfo2();
	t = now_ns();
	for (i = 0; i < n; i++)
		lib_map(ctx, ioas, mem, iova_of(i));
	f->map_ns = (now_ns() - t) / n;
	m1 = mallinfo2();
	f->bytes_per_mapping = (double)(m1.uordblks - m0.uordblks) / n;

	t = now_ns();
	for (r = 0; r < p->reps; r++) {
		for (i = 0; i < n; i++) {
			err = ioasid_ioas_lookup(ctx, ioas, iova_of(p->order[i]) + 5, &m);
			if (err)
				die("lookup", err, ctx);
		}
	}
	f->lookup_ns = (now_ns() - t) / n / p->reps;

	/* Rounds of: unmap half in random order, map them back in another. */
	f->unmap_ns = f->fill_ns = 0;
	for (r = 0; r < p->reps; r++) {
		t = now_ns();
		for (i = 0; i < half; i++)
			lib_unmap(ctx, ioas, iova_of(p->order[i]));
		f->unmap_ns += now_ns() - t;
		t = now_ns();
		for (i = half; i-- > 0;)
			lib_map(ctx, ioas, mem, iova_of(p->order[i]));
		f->fill_ns += now_ns() - t;
	}
	f->unmap_ns /= (double)half * p->reps;
	f->fill_ns /= (double)half * p->reps;

	t = now_ns();
	for (i = 0; i < p->nchurn; i++) {
		lib_unmap(ctx, ioas, iova_of(p->churn[i]));
		lib_map(ctx, ioas, mem, iova_of(p->churn[i]));
	}
	f->churn_ns = p->nchurn ? (now_ns() - t) / p->nchurn : 0;

	for (i = 0; i < half; i++)
		lib_unmap(ctx, ioas, iova_of(p->order[i]));
	f->automap_ns = 0;
	for (r = 0; r < areps; r++) {
		t = now_ns();
		for (i = 0; i < p->nauto; i++) {
			got[i].len = auto_len();
			err = ioasid_ioas_map(ctx, ioas, mem, got[i].len, IOASID_MAP_READ, &io);
			if (err)
				die("automatic map", err, ctx);
			got[i].iova = io;
		}
		f->automap_ns += now_ns() - t;
		if (r + 1 == areps)
			break;
		for (i = 0; i < p->nauto; i++) {
			err = ioasid_ioas_unmap(ctx, ioas, got[i].iova, got[i].len, &io);
			if (err)
				die("unmap of an automatic map", err, ctx);
		}
	}
	f->automap_ns = p->nauto ? f->automap_ns / p->nauto / areps : 0;
	free(got);
	ioasid_ctx_close(ctx);
	munmap(mem, 64 * PG);
}

/*
 * The same phases on the bare iova tree, without the API around it (the
 * context lock, argument checks, the backend's map/unmap, events): what
 * is left of the libioasid figure is that overhead. The automatic map asks
 * the tree for the alignment the library would use for a page-aligned
 * source (the next power of two of the length).
 */
static void run_tree(const struct plan *p, struct figures *f)
{
	uint32_t i, r, n = p->n, half = n / 2;
	uint32_t areps = p->nauto && p->nauto < 200000 ? 200000 / p->nauto : 1;
	uint64_t *got = malloc((p->nauto ? p->nauto : 1) * sizeof(*got));
	struct iova_tree *t = iova_tree_new();
	struct iova_area a = { .uva = 0x7f0000000000ull, .cookie = 3 };
	double t0;

	if (!got || !t)
		die("malloc", -ENOMEM, NULL);
	for (i = 0; i < n; i++) {
		a.iova = iova_of(i);
		a.last = a.iova + PG - 1;
		if (iova_tree_insert(t, &a))
			die("tree insert", -ENOMEM, NULL);
	}
	t0 = now_ns();
	for (r = 0; r < p->reps; r++) {
		for (i = 0; i < n; i++) {
			if (!iova_tree_find(t, iova_of(p->order[i]) + 5))
				die("tree find", -ENOENT, NULL);
		}
	}
	f->lookup_ns = (now_ns() - t0) / n / p->reps;

	f->unmap_ns = f->fill_ns = 0;
	for (r = 0; r < p->reps; r++) {
		t0 = now_ns();
		for (i = 0; i < half; i++) {
			if (iova_tree_remove_exact(t, iova_of(p->order[i]),
						   iova_of(p->order[i]) + PG - 1, NULL))
				die("tree remove", -ENOENT, NULL);
		}
		f->unmap_ns += now_ns() - t0;
		t0 = now_ns();
		for (i = half; i-- > 0;) {
			a.iova = iova_of(p->order[i]);
			a.last = a.iova + PG - 1;
			if (iova_tree_insert(t, &a))
				die("tree insert", -EEXIST, NULL);
		}
		f->fill_ns += now_ns() - t0;
	}
	f->unmap_ns /= (double)half * p->reps;
	f->fill_ns /= (double)half * p->reps;

	t0 = now_ns();
	for (i = 0; i < p->nchurn; i++) {
		a.iova = iova_of(p->churn[i]);
		a.last = a.iova + PG - 1;
		if (iova_tree_remove_exact(t, a.iova, a.last, NULL) || iova_tree_insert(t, &a))
			die("tree churn", -ENOENT, NULL);
	}
	f->churn_ns = p->nchurn ? (now_ns() - t0) / p->nchurn : 0;

	for (i = 0; i < half; i++)
		iova_tree_remove(t, iova_of(p->order[i]), NULL);
	f->automap_ns = 0;
	for (r = 0; r < areps; r++) {
		t0 = now_ns();
		for (i = 0; i < p->nauto; i++) {
			uint64_t len = auto_len(), align = 1ull << (64 - __builtin_clzll(len - 1));

			if (iova_tree_find_hole(t, PG, UINT64_MAX - PG, len, align, 0, &a.iova))
				die("tree find_hole", -ENOSPC, NULL);
			a.last = a.iova + len - 1;
			if (iova_tree_insert(t, &a))
				die("tree insert", -ENOMEM, NULL);
			got[i] = a.iova;
		}
		f->automap_ns += now_ns() - t0;
		if (r + 1 == areps)
			break;
		for (i = 0; i < p->nauto; i++)
			iova_tree_remove(t, got[i], NULL);
	}
	f->automap_ns = p->nauto ? f->automap_ns / p->nauto / areps : 0;
	f->map_ns = f->bytes_per_mapping = 0;
	iova_tree_free(t);
	free(got);
}

/*
 * ns per hop of a dependent chase through @n cache lines linked in one
 * random cycle: every load depends on the one before, so once the lines
 * outgrow the caches each hop is a miss.
 */
static double chase_ns(uint32_t n)
{
	struct line {
		struct line *next;
		char pad[64 - sizeof(void *)];
	} * lines;
	uint32_t i, *perm, hops = n < (1u << 22) ? (1u << 22) : n;
	struct line *q;
	double t;

	lines = aligned_alloc(64, (size_t)n * sizeof(*lines));
	perm = malloc(n * sizeof(*perm));
	if (!lines || !perm)
		die("malloc", -ENOMEM, NULL);
	for (i = 0; i < n; i++)
		perm[i] = i;
	shuffle(perm, n);
	for (i = 0; i < n; i++)
		lines[perm[i]].next = &lines[perm[(i + 1) % n]];
	q = &lines[perm[0]];
	for (i = 0; i < n; i++) /* warm: as warm as the trees are */
		q = q->next;
	t = now_ns();
	for (i = 0; i < hops; i++)
		q = q->next;
	t = (now_ns() - t) / hops;
	/* keep the chase from being optimized away */
	if (!q)
		die("chase", -EFAULT, NULL);
	free(perm);
	free(lines);
	return t;
}

static void plan_init(struct plan *p, uint32_t n, long nauto, long nchurn)
{
	uint32_t i;

	p->n = n;
	p->reps = n < 200000 ? 200000 / n : 1;
	p->nauto = nauto >= 0 ? (uint32_t)nauto : (n / 10 < 100 ? 100 : n / 10);
	p->nchurn = nchurn >= 0 ? (uint32_t)nchurn : 100000;
	p->order = malloc(n * sizeof(*p->order));
	p->churn = malloc((p->nchurn ? p->nchurn : 1) * sizeof(*p->churn));
	if (!p->order || !p->churn)
		die("malloc", -ENOMEM, NULL);
	for (i = 0; i < n; i++)
		p->order[i] = i;
	shuffle(p->order, n);
	for (i = 0; i < p->nchurn; i++)
		p->churn[i] = xorshift() % n;
}

static const char *size_name(uint32_t n, char *buf, size_t len)
{
	if (n >= 1000000 && n % 1000000 == 0)
		snprintf(buf, len, "%uM", n / 1000000);
	else if (n >= 1000 && n % 1000 == 0)
		snprintf(buf, len, "%uk", n / 1000);
	else
		snprintf(buf, len, "%u", n);
	return buf;
}

static void row(const char *what, double lib, double base, double chase)
{
	printf("  %-32s %10.1f %10.1f %9.2f %9.2f\n", what, lib, base, base ? lib / base : 0,
	       lib / chase);
}

static void print_table(const struct plan *p, const struct figures *l, const struct figures *b,
			const struct figures *tr, double chase)
{
	char nb[16];

	printf("ioas bookkeeping at N = %s mappings (%u churn pairs, %u automatic maps; "
	       "chase: %.1f ns per hop over N cache lines)\n",
	       size_name(p->n, nb, sizeof(nb)), p->nchurn, p->nauto, chase);
	printf("  %-32s %10s %10s %9s %9s\n", "", "libioasid", "tsearch", "lib/tsr", "hops");
	row("ascending fixed map (ns)", l->map_ns, b->map_ns, chase);
	row("random lookup (ns)", l->lookup_ns, b->lookup_ns, chase);
	row("random-order unmap (ns)", l->unmap_ns, b->unmap_ns, chase);
	row("fixed map into a hole (ns)", l->fill_ns, b->fill_ns, chase);
	row("unmap + map back, steady N (ns)", l->churn_ns, b->churn_ns, chase);
	row("automatic map, fragmented (ns)", l->automap_ns, b->automap_ns, chase);
	printf("  %-32s %10.1f %10.1f\n", "heap bytes per mapping", l->bytes_per_mapping,
	       b->bytes_per_mapping);
	printf("  the tree alone, no API (ns): lookup %.1f, unmap %.1f, fixed map into a hole %.1f,\n"
	       "    unmap + map back %.1f, automatic map %.1f\n",
	       tr->lookup_ns, tr->unmap_ns, tr->fill_ns, tr->churn_ns, tr->automap_ns);
	/*
	 * An unmap and a fixed map each begin with what a lookup does (the
	 * lock, the object, one descent to the place): the lookup is a floor
	 * under both, set here against their targets' baselines.
	 */
	printf("  floor: a lookup through the API = %.2f x tsearch's unmap, %.2f x its fill, "
	       "%.2f hops\n",
	       b->unmap_ns ? l->lookup_ns / b->unmap_ns : 0,
	       b->fill_ns ? l->lookup_ns / b->fill_ns : 0, l->lookup_ns / chase);
}

/* One size's figures as JSON members, each key prefixed by @pfx. */
static void print_json(const char *pfx, const struct plan *p, const struct figures *l,
		       const struct figures *b, const struct figures *tr, double chase, bool first)
{
	const struct {
		const char *key;
		double lib, base;
	} k[] = {
		{ "map", l->map_ns, b->map_ns },       { "lookup", l->lookup_ns, b->lookup_ns },
		{ "unmap", l->unmap_ns, b->unmap_ns }, { "fill", l->fill_ns, b->fill_ns },
		{ "churn", l->churn_ns, b->churn_ns }, { "automap", l->automap_ns, b->automap_ns },
	};
	size_t i;

	printf("%s\"%smappings\":%u,\"%sautomaps\":%u,\"%schurn_pairs\":%u,\"%schase_ns\":%.2f,"
	       "\"%sbytes_per_mapping\":%.1f,\"%sbaseline_bytes_per_mapping\":%.1f",
	       first ? "" : ",", pfx, p->n, pfx, p->nauto, pfx, p->nchurn, pfx, chase, pfx,
	       l->bytes_per_mapping, pfx, b->bytes_per_mapping);
	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		printf(",\"%s%s_ns\":%.1f,\"%sbaseline_%s_ns\":%.1f,\"%s%s_vs_tsearch_ratio\":%.3f,"
		       "\"%s%s_chase_hops_ratio\":%.3f",
		       pfx, k[i].key, k[i].lib, pfx, k[i].key, k[i].base, pfx, k[i].key,
		       k[i].base ? k[i].lib / k[i].base : 0, pfx, k[i].key, k[i].lib / chase);
	printf(",\"%stree_lookup_ns\":%.1f,\"%stree_unmap_ns\":%.1f,\"%stree_fill_ns\":%.1f,"
	       "\"%stree_churn_ns\":%.1f,\"%stree_automap_ns\":%.1f",
	       pfx, tr->lookup_ns, pfx, tr->unmap_ns, pfx, tr->fill_ns, pfx, tr->churn_ns, pfx,
	       tr->automap_ns);
	printf(",\"%slookup_vs_tsearch_unmap_ratio\":%.3f,\"%slookup_vs_tsearch_fill_ratio\":%.3f",
	       pfx, b->unmap_ns ? l->lookup_ns / b->unmap_ns : 0, pfx,
	       b->fill_ns ? l->lookup_ns / b->fill_ns : 0);
}

int main(int argc, char **argv)
{
	static const uint32_t all[] = { 1000, 10000, 100000, 1000000 };
	uint32_t sizes[4], nsizes = 4, i;
	long nauto = -1, nchurn = -1;
	bool json = false;

	memcpy(sizes, all, sizeof(all));
	for (i = 1; i < (uint32_t)argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--size") && i + 1 < (uint32_t)argc) {
			sizes[0] = strtoul(argv[++i], NULL, 0);
			nsizes = 1;
		} else if (!strcmp(argv[i], "--auto") && i + 1 < (uint32_t)argc) {
			nauto = strtol(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--churn") && i + 1 < (uint32_t)argc) {
			nchurn = strtol(argv[++i], NULL, 0);
		} else {
			fprintf(stderr, "usage: %s [--size N] [--auto N] [--churn N] [--json]\n",
				argv[0]);
			return 2;
		}
	}
	if (sizes[0] < 2 || nauto < -1 || nchurn < -1) {
		fprintf(stderr, "bench ioas: --size must be at least 2, --auto and --churn >= 0\n");
		return 2;
	}
	struct {
		struct plan p;
		struct figures lib, base, tree;
		double chase;
	} r[4];

	for (i = 0; i < nsizes; i++) {
		rng = 12345 + i;
		plan_init(&r[i].p, sizes[i], nauto, nchurn);
		rng = 777;
		run_lib(&r[i].p, &r[i].lib);
		rng = 777;
		run_baseline(&r[i].p, &r[i].base);
		rng = 777;
		run_tree(&r[i].p, &r[i].tree);
		r[i].chase = chase_ns(sizes[i]);
		print_table(&r[i].p, &r[i].lib, &r[i].base, &r[i].tree, r[i].chase);
	}
	if (json) {
		printf("{");
		for (i = 0; i < nsizes; i++) {
			char pfx[24], nb[16];

			if (nsizes == 1)
				pfx[0] = '\0';
			else
				snprintf(pfx, sizeof(pfx), "n%s_",
					 size_name(sizes[i], nb, sizeof(nb)));
			print_json(pfx, &r[i].p, &r[i].lib, &r[i].base, &r[i].tree, r[i].chase,
				   i == 0);
		}
		printf("}\n");
	}
	for (i = 0; i < nsizes; i++) {
		free(r[i].p.order);
		free(r[i].p.churn);
	}
	return 0;
}
