/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmark: address-space bookkeeping at scale, through the public API on
 * the sim backend, against glibc's tsearch red-black tree as the baseline
 * measured in the same run.
 *
 *   ioas [--size N] [--auto N] [--json]
 *
 * Phases: N fixed 4 KiB maps at ascending IOVAs; N random lookups; N/2
 * unmaps in random order (leaving a fragmented space); --auto automatic-IOVA
 * maps of random sizes into that space. The baseline does the same with
 * tsearch/tfind/tdelete; its automatic map has no gap index, so it walks
 * the tree in order (as a GTree-based IOVA tree does) and is run on at
 * most 200 allocations. bytes_per_mapping is heap bytes measured with
 * mallinfo2() around the map phase.
 *
 * With --json the last line of stdout is one JSON object of figures.
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

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
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
	double map_ns, lookup_ns, unmap_ns, automap_ns, bytes_per_mapping;
};

static void run_baseline(uint32_t n, uint32_t nauto, const uint32_t *order,
			 struct figures *f)
{
	void *root = NULL;
	struct bnode key, **found;
	struct mallinfo2 m0, m1;
	double t;
	uint32_t i;

	m0 = mallinfo2();
	t = now_ns();
	for (i = 0; i < n; i++) {
		struct bnode *b = malloc(sizeof(*b));

		b->iova = BASE + (uint64_t)i * STRIDE;
		b->last = b->iova + PG - 1;
		b->uva = 0x7f0000000000ull;
		b->flags = 3;
		if (!tsearch(b, &root, bcmp_range))
			die("tsearch", -ENOMEM, NULL);
	}
	f->map_ns = (now_ns() - t) / n;
	m1 = mallinfo2();
	f->bytes_per_mapping = (double)(m1.uordblks - m0.uordblks) / n;

	t = now_ns();
	for (i = 0; i < n; i++) {
		key.iova = key.last = BASE + (uint64_t)order[i] * STRIDE + 5;
		found = tfind(&key, &root, bcmp_range);
		if (!found)
			die("tfind", -ENOENT, NULL);
	}
	f->lookup_ns = (now_ns() - t) / n;

	t = now_ns();
	for (i = 0; i < n / 2; i++) {
		struct bnode *b;

		key.iova = key.last = BASE + (uint64_t)order[i] * STRIDE;
		found = tfind(&key, &root, bcmp_range);
		b = *found;
		tdelete(&key, &root, bcmp_range);
		free(b);
	}
	f->unmap_ns = (now_ns() - t) / (n / 2);

	nauto = nauto < 200 ? nauto : 200;
	t = now_ns();
	for (i = 0; i < nauto; i++) {
		struct bnode *b = malloc(sizeof(*b));

		walk.prev_end = PG;
		walk.len = auto_len();
		walk.done = 0;
		twalk_r(root, walk_fn, NULL);
		if (!walk.done)
			walk.found = walk.prev_end;
		b->iova = walk.found;
		b->last = walk.found + walk.len - 1;
		b->uva = 0;
		b->flags = 3;
		tsearch(b, &root, bcmp_range);
	}
	f->automap_ns = nauto ? (now_ns() - t) / nauto : 0;
	tdestroy(root, free);
}

static void run_lib(uint32_t n, uint32_t nauto, const uint32_t *order, struct figures *f)
{
	struct ioasid_ctx *ctx;
	struct ioasid_mapping m;
	struct mallinfo2 m0, m1;
	uint8_t *mem;
	uint32_t ioas, i;
	uint64_t io, un;
	double t;
	int err;

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
	for (i = 0; i < n; i++) {
		io = BASE + (uint64_t)i * STRIDE;
		err = ioasid_ioas_map(ctx, ioas, mem, PG,
				      IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA, &io);
		if (err)
			die("map", err, ctx);
	}
	f->map_ns = (now_ns() - t) / n;
	m1 = mallinfo2();
	f->bytes_per_mapping = (double)(m1.uordblks - m0.uordblks) / n;

	t = now_ns();
	for (i = 0; i < n; i++) {
		err = ioasid_ioas_lookup(ctx, ioas, BASE + (uint64_t)order[i] * STRIDE + 5, &m);
		if (err)
			die("lookup", err, ctx);
	}
	f->lookup_ns = (now_ns() - t) / n;

	t = now_ns();
	for (i = 0; i < n / 2; i++) {
		err = ioasid_ioas_unmap(ctx, ioas, BASE + (uint64_t)order[i] * STRIDE, PG, &un);
		if (err)
			die("unmap", err, ctx);
	}
	f->unmap_ns = (now_ns() - t) / (n / 2);

	t = now_ns();
	for (i = 0; i < nauto; i++) {
		err = ioasid_ioas_map(ctx, ioas, mem, auto_len(), IOASID_MAP_READ, &io);
		if (err)
			die("automatic map", err, ctx);
	}
	f->automap_ns = nauto ? (now_ns() - t) / nauto : 0;
	ioasid_ctx_close(ctx);
	munmap(mem, 64 * PG);
}

int main(int argc, char **argv)
{
	uint32_t n = 1000000, nauto = 100000, i, *order;
	struct figures lib, base;
	int json = 0;

	for (i = 1; i < (uint32_t)argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--size") && i + 1 < (uint32_t)argc)
			n = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--auto") && i + 1 < (uint32_t)argc)
			nauto = strtoul(argv[++i], NULL, 0);
		else {
			fprintf(stderr, "usage: %s [--size N] [--auto N] [--json]\n", argv[0]);
			return 2;
		}
	}
	if (n < 2) {
		fprintf(stderr, "bench ioas: --size must be at least 2\n");
		return 2;
	}
	order = malloc(n * sizeof(*order));
	for (i = 0; i < n; i++)
		order[i] = i;
	shuffle(order, n);

	rng = 12345;
	run_lib(n, nauto, order, &lib);
	rng = 12345;
	run_baseline(n, nauto, order, &base);
	free(order);

	printf("ioas bookkeeping, %u mappings, %u automatic maps (baseline: glibc tsearch)\n",
	       n, nauto);
	printf("  %-28s %10s %12s %8s\n", "", "libioasid", "baseline", "speedup");
	printf("  %-28s %10.1f %12.1f %7.1fx\n", "ascending fixed map (ns)", lib.map_ns,
	       base.map_ns, base.map_ns / lib.map_ns);
	printf("  %-28s %10.1f %12.1f %7.1fx\n", "random lookup (ns)", lib.lookup_ns,
	       base.lookup_ns, base.lookup_ns / lib.lookup_ns);
	printf("  %-28s %10.1f %12.1f %7.1fx\n", "random-order unmap (ns)", lib.unmap_ns,
	       base.unmap_ns, base.unmap_ns / lib.unmap_ns);
	printf("  %-28s %10.1f %12.1f %7.1fx\n", "automatic map (ns)", lib.automap_ns,
	       base.automap_ns, lib.automap_ns ? base.automap_ns / lib.automap_ns : 0);
	printf("  %-28s %10.1f %12.1f\n", "heap bytes per mapping", lib.bytes_per_mapping,
	       base.bytes_per_mapping);
	if (json)
		printf("{\"mappings\":%u,\"automaps\":%u,\"map_ns\":%.1f,\"unmap_ns\":%.1f,"
		       "\"lookup_ns\":%.1f,\"automap_ns\":%.1f,\"bytes_per_mapping\":%.1f,"
		       "\"baseline_map_ns\":%.1f,\"baseline_unmap_ns\":%.1f,"
		       "\"baseline_lookup_ns\":%.1f,\"baseline_automap_ns\":%.1f,"
		       "\"baseline_bytes_per_mapping\":%.1f,\"map_speedup_ratio\":%.2f,"
		       "\"unmap_speedup_ratio\":%.2f,\"lookup_speedup_ratio\":%.2f,"
		       "\"automap_speedup_ratio\":%.2f}\n",
		       n, nauto, lib.map_ns, lib.unmap_ns, lib.lookup_ns, lib.automap_ns,
		       lib.bytes_per_mapping, base.map_ns, base.unmap_ns, base.lookup_ns,
		       base.automap_ns, base.bytes_per_mapping, base.map_ns / lib.map_ns,
		       base.unmap_ns / lib.unmap_ns, base.lookup_ns / lib.lookup_ns,
		       lib.automap_ns ? base.automap_ns / lib.automap_ns : 0);
	return 0;
}
