/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PASID allocation benchmark: the cost of freeing one PASID and allocating
 * the lowest free one in a nearly full PASID space, as a VMM that recycles
 * PASIDs would see it, measured three ways on the same call sequence:
 *
 *   alloc_free_ns           ioasid_pasid_free + ioasid_pasid_alloc (public
 *                           API on a sim context: lock, set lookup, quota)
 *   raw_alloc_free_ns       pasid_space_release + pasid_space_alloc
 *   baseline_alloc_free_ns  a flat bitmap searched word by word from min,
 *                           plus a flat owner array: the naive design
 *
 * Every run starts from the same pre-filled space (--size PASIDs, random
 * holes) and replays the same fixed-seed choices, and all three implement
 * lowest fit, so they must hand out the same PASIDs: a checksum of them is
 * compared and a mismatch is an error. Timings are reported, never judged.
 *
 * Usage: pasid [--json] [--size N] [--iters N]
 * With --json the last line of stdout is one JSON object of the figures.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ioasid/ioasid.h>

#include "pasid-alloc.h"

#define SEED_FILL 0x6a09e667f3bcc909ULL
#define SEED_LOOP 0xbb67ae8584caa73bULL
#define OWNER 1 /* owner id of the raw and baseline runs */

static uint64_t rng;

static inline uint64_t xorshift64(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Uniform in [0, n) without a division in the timed loop. */
static inline uint32_t pick(uint32_t n)
{
	return (uint32_t)(((xorshift64() >> 32) * n) >> 32);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "pasid bench: %s: %d (%s)\n", what, err, strerror(-err));
	exit(1);
}

/* ---- what one run does, whatever the allocator ---- */

struct run {
	uint32_t *live;   /* the allocated PASIDs, in any order */
	uint32_t nlive;
	uint32_t top;     /* highest PASID of the space */
	uint64_t iters;
	uint64_t sum;     /* checksum of the PASIDs handed out */
	double ns;        /* per free + alloc pair */
};

/*
 * The timed loop: free a random live PASID, allocate the lowest free one
 * in [1, top]. FREE and ALLOC are statements using p and q, setting err.
 * A macro rather than a callback so each allocator's calls are inlined.
 */
#define RUN_LOOP(r, FREE, ALLOC)                                        \
	do {                                                            \
		double t0_ = now_ns();                                  \
		uint64_t it_;                                           \
		rng = SEED_LOOP;                                        \
		for (it_ = 0; it_ < (r)->iters; it_++) {                \
			uint32_t k_ = pick((r)->nlive);                 \
			uint32_t p = (r)->live[k_], q = 0;              \
			int err;                                        \
			FREE;                                           \
			if (err)                                        \
				die("free", err);                       \
			ALLOC;                                          \
			if (err)                                        \
				die("alloc", err);                      \
			(r)->live[k_] = q;                              \
			(r)->sum = (r)->sum * 31 + q;                   \
		}                                                       \
		(r)->ns = (now_ns() - t0_) / (double)(r)->iters;        \
	} while (0)

/* ---- the naive allocator ---- */

struct flat {
	uint64_t *used; /* 1 = allocated */
	uint32_t *owner;
	uint32_t nbits;
};

static int flat_alloc(struct flat *f, uint32_t min, uint32_t max,
		      uint32_t owner, uint32_t *out)
{
	uint32_t w = min >> 6, last = max >> 6, p;
	uint64_t x = ~f->used[w] & (~0ULL << (min & 63));

	while (!x) {
		if (++w > last)
			return -ENOSPC;
		x = ~f->used[w];
	}
	p = w << 6 | (uint32_t)__builtin_ctzll(x);
	if (p > max)
		return -ENOSPC;
	f->used[w] |= 1ULL << (p & 63);
	f->owner[p] = owner;
	*out = p;
	return 0;
}

static int flat_free(struct flat *f, uint32_t pasid, uint32_t owner)
{
	if (pasid >= f->nbits || !f->owner[pasid])
		return -ENOENT;
	if (f->owner[pasid] != owner)
		return -EPERM;
	f->owner[pasid] = 0;
	f->used[pasid >> 6] &= ~(1ULL << (pasid & 63));
	return 0;
}

/* ---- the three runs ---- */

static void run_api(struct run *r, const uint32_t *fill, unsigned int width,
		    double *prefill_ns)
{
	IOASID_OPTS(ioasid_set_opts, so, .owner = 1);
	struct ioasid_set_info info;
	struct ioasid_ctx *ctx = NULL;
	uint32_t set, i;
	double t0;
	int ret;

	ret = ioasid_ctx_open("sim", NULL, &ctx);
	if (ret) {
		fprintf(stderr, "%s\n", ioasid_last_errmsg());
		die("ioasid_ctx_open(sim)", ret);
	}
	/* The quota is the whole space: the bench measures the allocator. */
	so.max_pasids = (UINT32_C(1) << width) - 1;
	ret = ioasid_set_new(ctx, &so, &set);
	if (ret) {
		fprintf(stderr, "%s\n", ioasid_ctx_errmsg(ctx));
		die("ioasid_set_new", ret);
	}
	ret = ioasid_set_info(ctx, set, &info);
	if (ret)
		die("ioasid_set_info", ret);
	if (info.pasid_width != width) {
		fprintf(stderr, "pasid bench: the sim has %u-bit PASIDs, not %u\n",
			info.pasid_width, width);
		exit(1);
	}
	t0 = now_ns();
	for (i = 0; i < r->nlive; i++) {
		ret = ioasid_pasid_alloc(ctx, set, fill[i], fill[i], &r->live[i]);
		if (ret) {
			fprintf(stderr, "%s\n", ioasid_ctx_errmsg(ctx));
			die("ioasid_pasid_alloc (prefill)", ret);
		}
	}
	*prefill_ns = (now_ns() - t0) / (double)r->nlive;

	RUN_LOOP(r, err = ioasid_pasid_free(ctx, set, p),
		 err = ioasid_pasid_alloc(ctx, set, 1, r->top, &q));
	ioasid_ctx_close(ctx);
}

static void run_raw(struct run *r, const uint32_t *fill, unsigned int width,
		    size_t *heap)
{
	struct pasid_space *ps = pasid_space_new(width);
	uint32_t i;
	int ret;

	if (!ps)
		die("pasid_space_new", -ENOMEM);
	for (i = 0; i < r->nlive; i++) {
		ret = pasid_space_alloc(ps, fill[i], fill[i], OWNER, &r->live[i]);
		if (ret)
			die("pasid_space_alloc (prefill)", ret);
	}
	RUN_LOOP(r, err = pasid_space_release(ps, p, OWNER),
		 err = pasid_space_alloc(ps, 1, r->top, OWNER, &q));
	*heap = pasid_space_heap_bytes(ps);
	pasid_space_free(ps);
}

static void run_baseline(struct run *r, const uint32_t *fill, unsigned int width)
{
	struct flat f = { .nbits = UINT32_C(1) << width };
	uint32_t i;
	int ret;

	f.used = calloc((f.nbits + 63) / 64, sizeof(*f.used));
	f.owner = calloc(f.nbits, sizeof(*f.owner));
	if (!f.used || !f.owner)
		die("calloc", -ENOMEM);
	f.used[0] = 1; /* PASID 0 is never handed out */
	for (i = 0; i < r->nlive; i++) {
		ret = flat_alloc(&f, fill[i], fill[i], OWNER, &r->live[i]);
		if (ret)
			die("flat_alloc (prefill)", ret);
	}
	RUN_LOOP(r, err = flat_free(&f, p, OWNER),
		 err = flat_alloc(&f, 1, r->top, OWNER, &q));
	free(f.used);
	free(f.owner);
}

/* ---- set-up and report ---- */

/* @size distinct PASIDs of [1, top], ascending, chosen with a fixed seed. */
static uint32_t *choose(uint32_t size, uint32_t top)
{
	uint8_t *in = calloc((size_t)top + 1, 1);
	uint32_t *out = malloc((size_t)size * sizeof(*out));
	uint32_t n, p;
	bool fill = size > top / 2;

	if (!in || !out)
		die("calloc", -ENOMEM);
	rng = SEED_FILL;
	/* Draw the smaller side (the PASIDs or the holes) by rejection. */
	if (fill)
		memset(in + 1, 1, top);
	for (n = fill ? top - size : size; n; n--) {
		do
			p = 1 + pick(top);
		while (in[p] == !fill);
		in[p] = !fill;
	}
	for (p = 1, n = 0; p <= top; p++)
		if (in[p])
			out[n++] = p;
	free(in);
	return out;
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--json] [--size N] [--iters N]\n", argv0);
	exit(2);
}

static uint64_t parse_num(const char *s, const char *argv0)
{
	char *end;
	unsigned long long v;

	if (!s || *s == '-')
		usage(argv0);
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		usage(argv0);
	return v;
}

int main(int argc, char **argv)
{
	const unsigned int width = IOASID_PASID_MAX_WIDTH; /* the sim's default */
	uint32_t top = (UINT32_C(1) << width) - 1;
	uint64_t size = top - 63, iters = 1000000;
	struct run api = { 0 }, raw = { 0 }, base = { 0 };
	double prefill_ns;
	size_t heap;
	uint32_t *fill;
	bool json = false;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--size"))
			size = parse_num(argv[++i], argv[0]);
		else if (!strcmp(argv[i], "--iters"))
			iters = parse_num(argv[++i], argv[0]);
		else
			usage(argv[0]);
	}
	if (size < 1 || size > top || iters < 1) {
		fprintf(stderr, "pasid bench: need 1 <= --size <= %u and --iters >= 1\n", top);
		return 2;
	}

	fill = choose((uint32_t)size, top);
	api.nlive = raw.nlive = base.nlive = (uint32_t)size;
	api.top = raw.top = base.top = top;
	api.iters = raw.iters = base.iters = iters;
	api.live = malloc(size * sizeof(uint32_t));
	raw.live = malloc(size * sizeof(uint32_t));
	base.live = malloc(size * sizeof(uint32_t));
	if (!api.live || !raw.live || !base.live)
		die("malloc", -ENOMEM);

	run_api(&api, fill, width, &prefill_ns);
	run_raw(&raw, fill, width, &heap);
	run_baseline(&base, fill, width);
	if (api.sum != raw.sum || raw.sum != base.sum) {
		fprintf(stderr, "pasid bench: the allocators disagree (checksums %" PRIx64
			" %" PRIx64 " %" PRIx64 ")\n", api.sum, raw.sum, base.sum);
		return 1;
	}

	printf("PASID space: %u bits, %" PRIu64 " PASIDs pre-allocated, %" PRIu64
	       " free+alloc pairs each\n", width, size, iters);
	printf("  public API (sim, lock + quota): %8.1f ns per free+alloc (%.0f pairs/s)\n",
	       api.ns, 1e9 / api.ns);
	printf("  pasid-alloc directly:           %8.1f ns per free+alloc (%.0f pairs/s)\n",
	       raw.ns, 1e9 / raw.ns);
	printf("  flat bitmap, linear scan:       %8.1f ns per free+alloc\n", base.ns);
	printf("  direct / flat:                  %8.4f\n", raw.ns / base.ns);
	printf("  API prefill: %.1f ns per ioasid_pasid_alloc of one given PASID\n",
	       prefill_ns);
	printf("  pasid-alloc heap: %zu bytes\n", heap);
	if (json)
		printf("{\"pasid_width\": %u, \"prefilled\": %" PRIu64 ", \"iters\": %" PRIu64
		       ", \"alloc_free_ns\": %.2f, \"alloc_free_per_s\": %.0f"
		       ", \"raw_alloc_free_ns\": %.2f, \"raw_alloc_free_per_s\": %.0f"
		       ", \"baseline_alloc_free_ns\": %.2f, \"ratio_vs_baseline\": %.5f"
		       ", \"api_prefill_alloc_ns\": %.2f, \"raw_heap_bytes\": %zu}\n",
		       width, size, iters, api.ns, 1e9 / api.ns, raw.ns, 1e9 / raw.ns,
		       base.ns, raw.ns / base.ns, prefill_ns, heap);
	free(fill);
	free(api.live);
	free(raw.live);
	free(base.live);
	return 0;
}
