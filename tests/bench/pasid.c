/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PASID allocation benchmark: the cost of freeing one PASID and allocating
 * the lowest free one in a nearly full PASID space, as a VMM that recycles
 * PASIDs would see it, measured on the same call sequence by:
 *
 *   alloc_free_ns           ioasid_pasid_free + ioasid_pasid_alloc (public
 *                           API on a sim context: lock, set lookup, quota)
 *   raw_alloc_free_ns       pasid_space_release + pasid_space_alloc, one
 *                           owner (as the API run: one set)
 *   raw_mixed_owners_alloc_free_ns
 *                           the same with two owners interleaved PASID by
 *                           PASID, so every chunk needs its owner table
 *   baseline_alloc_free_ns  a flat bitmap searched word by word from min,
 *                           plus a flat owner array: the naive design
 *
 * Every run starts from the same pre-filled space (--size PASIDs, random
 * holes) and replays the same fixed-seed choices, and all implement lowest
 * fit, so they must hand out the same PASIDs: a checksum of them is
 * compared and a mismatch is an error. Timings are reported, never judged.
 * Each figure is the median over 16 consecutive batches, so that a batch
 * in which the machine was busy elsewhere does not skew it.
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

#include "util/pasid-alloc.h"

#define WIDTH IOASID_PASID_MAX_WIDTH /* the sim's default profile has 20 */
#define SEED_FILL 0x6a09e667f3bcc909ULL
#define SEED_LOOP 0xbb67ae8584caa73bULL
#define OWNER 1 /* owner id of the one-owner raw and baseline runs */
#define BATCHES 16

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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* ---- what one run does, whatever the allocator ---- */

/*
 * Which PASID to free next: uniform over the allocated ones. A dense space
 * is sampled by rejection on a bitmap (128 KiB, stays cached); a sparse
 * one through an array of the live PASIDs. A 4 MiB array picked at random
 * would cost a cache miss per pair and measure the harness, not the
 * allocator.
 */
struct run {
	const uint32_t *fill; /* pre-allocated PASIDs, ascending */
	uint32_t nfill;
	uint32_t top;         /* highest PASID of the space */
	uint64_t iters;
	bool dense;
	uint64_t *shadow;     /* dense: 1 = allocated */
	uint32_t *live;       /* sparse: the allocated PASIDs */
	uint64_t sum;         /* checksum of the PASIDs handed out */
	double ns;            /* per free + alloc pair (median batch) */
};

static void run_reset(struct run *r)
{
	uint32_t i;

	rng = SEED_LOOP;
	r->sum = 0;
	if (r->dense) {
		memset(r->shadow, 0, ((size_t)r->top / 64 + 1) * sizeof(uint64_t));
		for (i = 0; i < r->nfill; i++)
			r->shadow[r->fill[i] / 64] |= 1ULL << (r->fill[i] % 64);
	} else {
		memcpy(r->live, r->fill, (size_t)r->nfill * sizeof(uint32_t));
	}
}

/* A random allocated PASID; *@slot says where it came from. */
static inline uint32_t take(struct run *r, uint32_t *slot)
{
	uint32_t p;

	if (!r->dense) {
		*slot = pick(r->nfill);
		return r->live[*slot];
	}
	do
		p = 1 + pick(r->top);
	while (!(r->shadow[p / 64] >> (p % 64) & 1));
	return p;
}

/* @p, from @slot, was freed and @q allocated. */
static inline void put(struct run *r, uint32_t slot, uint32_t p, uint32_t q)
{
	if (r->dense) {
		r->shadow[p / 64] &= ~(1ULL << (p % 64));
		r->shadow[q / 64] |= 1ULL << (q % 64);
	} else {
		r->live[slot] = q;
	}
	r->sum = r->sum * 31 + q;
}

/*
 * The timed loop: free a random allocated PASID, allocate the lowest free
 * one in [1, top]. FREE and ALLOC are statements that use p (and set q),
 * setting err. A macro rather than callbacks so each allocator's calls
 * are made directly, as a VMM would make them.
 */
#define RUN_LOOP(r, FREE, ALLOC)                                           \
	do {                                                               \
		double batch_[BATCHES];                                    \
		unsigned int b_, nb_ = (r)->iters < BATCHES ? 1 : BATCHES; \
		run_reset(r);                                              \
		for (b_ = 0; b_ < nb_; b_++) {                             \
			uint64_t n_ = (r)->iters / nb_, it_;               \
			double t0_;                                        \
			if (b_ == nb_ - 1)                                 \
				n_ += (r)->iters % nb_;                    \
			t0_ = now_ns();                                    \
			for (it_ = 0; it_ < n_; it_++) {                   \
				uint32_t slot_ = 0, q = 0;                 \
				uint32_t p = take(r, &slot_);              \
				int err;                                   \
				FREE;                                      \
				if (err)                                   \
					die("free", err);                  \
				ALLOC;                                     \
				if (err)                                   \
					die("alloc", err);                 \
				put(r, slot_, p, q);                       \
			}                                                  \
			batch_[b_] = (now_ns() - t0_) / (double)n_;        \
		}                                                          \
		qsort(batch_, nb_, sizeof(double), cmp_double);            \
		(r)->ns = nb_ % 2 ? batch_[nb_ / 2] :                      \
			(batch_[nb_ / 2 - 1] + batch_[nb_ / 2]) / 2;       \
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

/* ---- the runs ---- */

static void run_api(struct run *r, double *prefill_ns)
{
	struct ioasid_set_opts so = { .sz = sizeof(struct ioasid_set_opts), .owner = 1 };
	struct ioasid_set_info info;
	struct ioasid_ctx *ctx = NULL;
	uint32_t set, i, got;
	double t0;
	int ret;

	ret = ioasid_ctx_open("sim", NULL, &ctx);
	if (ret) {
		fprintf(stderr, "%s\n", ioasid_last_errmsg());
		die("ioasid_ctx_open(sim)", ret);
	}
	/* The quota is the whole space: the bench measures the allocator. */
	so.max_pasids = r->top;
	ret = ioasid_set_alloc(ctx, &so, &set);
	if (ret) {
		fprintf(stderr, "%s\n", ioasid_ctx_errmsg(ctx));
		die("ioasid_set_alloc", ret);
	}
	ret = ioasid_set_info(ctx, set, &info);
	if (ret)
		die("ioasid_set_info", ret);
	if (info.pasid_width != WIDTH) {
		fprintf(stderr, "pasid bench: the sim has %u-bit PASIDs, not %u\n",
			info.pasid_width, WIDTH);
		exit(1);
	}
	t0 = now_ns();
	for (i = 0; i < r->nfill; i++) {
		ret = ioasid_pasid_alloc(ctx, set, r->fill[i], r->fill[i], &got);
		if (ret) {
			fprintf(stderr, "%s\n", ioasid_ctx_errmsg(ctx));
			die("ioasid_pasid_alloc (prefill)", ret);
		}
	}
	*prefill_ns = (now_ns() - t0) / (double)r->nfill;

	RUN_LOOP(r, err = ioasid_pasid_free(ctx, set, p),
		 err = ioasid_pasid_alloc(ctx, set, 1, r->top, &q));
	ioasid_ctx_close(ctx);
}

static void run_raw(struct run *r, bool mixed, size_t *heap)
{
	struct pasid_space *ps = pasid_space_new(WIDTH);
	uint32_t i, got;
	int ret;

	if (!ps)
		die("pasid_space_new", -ENOMEM);
	for (i = 0; i < r->nfill; i++) {
		uint32_t owner = mixed ? 1 + (r->fill[i] & 1) : OWNER;

		ret = pasid_space_alloc(ps, r->fill[i], r->fill[i], owner, &got);
		if (ret)
			die("pasid_space_alloc (prefill)", ret);
	}
	if (mixed) {
		/* a freed PASID's owner gets the new one: the mix stays */
		uint32_t o = 0;

		RUN_LOOP(r, o = pasid_space_owner(ps, p);
			 err = pasid_space_release(ps, p, o),
			 err = pasid_space_alloc(ps, 1, r->top, o, &q));
	} else {
		RUN_LOOP(r, err = pasid_space_release(ps, p, OWNER),
			 err = pasid_space_alloc(ps, 1, r->top, OWNER, &q));
	}
	*heap = pasid_space_heap_bytes(ps);
	pasid_space_free(ps);
}

static void run_baseline(struct run *r)
{
	struct flat f = { .nbits = UINT32_C(1) << WIDTH };
	uint32_t i, got;
	int ret;

	f.used = calloc((f.nbits + 63) / 64, sizeof(*f.used));
	f.owner = calloc(f.nbits, sizeof(*f.owner));
	if (!f.used || !f.owner)
		die("calloc", -ENOMEM);
	f.used[0] = 1; /* PASID 0 is never handed out */
	for (i = 0; i < r->nfill; i++) {
		ret = flat_alloc(&f, r->fill[i], r->fill[i], OWNER, &got);
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
	bool fill = size > top / 2;
	uint32_t n, p;

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
	unsigned long long v;
	char *end;

	if (!s || *s == '-')
		usage(argv0);
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		usage(argv0);
	return v;
}

/* Every run starts from the same @nfill PASIDs of [1, @top] and does @iters pairs. */
static void run_prepare(struct run *r, const uint32_t *fill, uint32_t nfill, uint32_t top,
			uint64_t iters)
{
	r->fill = fill;
	r->nfill = nfill;
	r->top = top;
	r->iters = iters;
	r->dense = nfill >= top / 2;
	if (r->dense)
		r->shadow = malloc(((size_t)top / 64 + 1) * sizeof(uint64_t));
	else
		r->live = malloc(nfill * sizeof(uint32_t));
	if (!r->shadow && !r->live)
		die("malloc", -ENOMEM);
}

int main(int argc, char **argv)
{
	const uint32_t top = (UINT32_C(1) << WIDTH) - 1;
	uint64_t size = top - 63, iters = 200000;
	struct run api = { 0 }, raw = { 0 }, mixed = { 0 }, base = { 0 };
	struct run *runs[] = { &api, &raw, &mixed, &base };
	double prefill_ns;
	size_t heap, mixed_heap;
	uint32_t *fill;
	bool json = false;
	unsigned int k;
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
	for (k = 0; k < 4; k++)
		run_prepare(runs[k], fill, (uint32_t)size, top, iters);

	run_api(&api, &prefill_ns);
	run_raw(&raw, false, &heap);
	run_raw(&mixed, true, &mixed_heap);
	run_baseline(&base);
	if (api.sum != raw.sum || raw.sum != mixed.sum || raw.sum != base.sum) {
		fprintf(stderr, "pasid bench: the allocators disagree (checksums %" PRIx64
			" %" PRIx64 " %" PRIx64 " %" PRIx64 ")\n",
			api.sum, raw.sum, mixed.sum, base.sum);
		return 1;
	}

	printf("PASID space: %u bits, %" PRIu64 " PASIDs pre-allocated, %" PRIu64
	       " free+alloc pairs per run (median of %u batches)\n", WIDTH, size,
	       iters, iters < BATCHES ? 1 : BATCHES);
	printf("  public API (sim, one set):       %9.1f ns per free+alloc (%.0f pairs/s)\n",
	       api.ns, 1e9 / api.ns);
	printf("  pasid-alloc, one owner:          %9.1f ns per free+alloc (%.0f pairs/s)\n",
	       raw.ns, 1e9 / raw.ns);
	printf("  pasid-alloc, two owners mixed:   %9.1f ns per free+alloc\n", mixed.ns);
	printf("  flat bitmap, linear scan:        %9.1f ns per free+alloc\n", base.ns);
	printf("  pasid-alloc / flat:              %9.4f\n", raw.ns / base.ns);
	printf("  API prefill: %.1f ns per ioasid_pasid_alloc of a given PASID\n",
	       prefill_ns);
	printf("  pasid-alloc heap: %zu bytes one owner, %zu bytes two owners\n",
	       heap, mixed_heap);
	if (json)
		printf("{\"pasid_width\": %u, \"prefilled\": %" PRIu64 ", \"iters\": %" PRIu64
		       ", \"alloc_free_ns\": %.2f, \"alloc_free_per_s\": %.0f"
		       ", \"raw_alloc_free_ns\": %.2f, \"raw_alloc_free_per_s\": %.0f"
		       ", \"raw_mixed_owners_alloc_free_ns\": %.2f"
		       ", \"baseline_alloc_free_ns\": %.2f, \"ratio_vs_baseline\": %.5f"
		       ", \"api_prefill_alloc_ns\": %.2f, \"raw_heap_bytes\": %zu"
		       ", \"raw_mixed_owners_heap_bytes\": %zu}\n",
		       WIDTH, size, iters, api.ns, 1e9 / api.ns, raw.ns, 1e9 / raw.ns,
		       mixed.ns, base.ns, raw.ns / base.ns, prefill_ns, heap, mixed_heap);
	free(fill);
	for (k = 0; k < 4; k++) {
		free(runs[k]->shadow);
		free(runs[k]->live);
	}
	return 0;
}
