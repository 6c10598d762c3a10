/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmark: what tracing costs (docs/tracing.md, "Costs").
 *
 *   trace [--iters N] [--json]
 *
 * 1. map_off_ns: a 4 KiB fixed map and its unmap on the sim, with no trace
 *    running: what a VMM pays, the hooks' branches included.
 * 2. map_on_ns: the same with a trace running (to a file in $TMPDIR, one
 *    write(2) per step): what recording costs.
 * 3. The hook alone, as it is compiled into every recorded entry point:
 *    TRACE(ctx, ...) on the same context with no trace, in a loop whose
 *    compiler barrier makes it load ctx->trace each time (hook_loop_ns),
 *    against the same loop without the hook (empty_loop_ns). Their
 *    difference is the off-branch (branch_ns), and branch_share_pct puts
 *    two of them (a map and an unmap each have one) against map_off_ns.
 *    This measures the branch hot in the cache and predicted, as it is on a
 *    VMM's map path; it is not a build of the library without the hooks,
 *    which the library does not offer.
 *
 * Times are this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), kernel time
 * included, so other load on the machine does not count; each loop is the
 * best of 5 runs.
 *
 * With --json the last line of stdout is one JSON object of the figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ioasid/ioasid.h>

#include "core/private.h"
#include "core/trace-private.h"

#define PG 4096ull

static double now_ns(void)
{
	struct timespec ts;

	/*
	 * CPU time of this thread (kernel time of the trace's writes included):
	 * on a shared, loaded machine wall time mostly measures the scheduler.
	 */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ns per map + unmap pair */
static double map_unmap(struct ioasid_ctx *ctx, uint32_t ioas, void *mem, long iters)
{
	double t0 = now_ns();
	long i;

	for (i = 0; i < iters; i++) {
		uint64_t iova = 0x100000 + (uint64_t)(i % 64) * PG;

		if (ioasid_ioas_map(ctx, ioas, mem, PG,
				    IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA,
				    &iova) ||
		    ioasid_ioas_unmap(ctx, ioas, iova, PG, NULL)) {
			fprintf(stderr, "trace bench: %s\n", ioasid_ctx_errmsg(ctx));
			exit(1);
		}
	}
	return (now_ns() - t0) / (double)iters;
}

/* ns per iteration of a loop that runs the hook (with_hook) or not */
static double hook_loop(struct ioasid_ctx *ctx, long iters, int with_hook)
{
	double t0 = now_ns();
	long i;

	if (with_hook) {
		for (i = 0; i < iters; i++) {
			TRACE(ctx, trace_stale_mode(ctx, 0));
			__asm__ volatile("" ::: "memory");
		}
	} else {
		for (i = 0; i < iters; i++)
			__asm__ volatile("" ::: "memory");
	}
	return (now_ns() - t0) / (double)iters;
}

static double best_of(double (*fn)(struct ioasid_ctx *, long, int), struct ioasid_ctx *ctx,
		      long iters, int arg)
{
	double best = 1e30, v;
	int r;

	for (r = 0; r < 5; r++) {
		v = fn(ctx, iters, arg);
		if (v < best)
			best = v;
	}
	return best;
}

int main(int argc, char **argv)
{
	long iters = 200000;
	int json = 0, i;
	struct ioasid_ctx *ctx;
	uint32_t ioas;
	void *mem;
	char path[256];
	double off, on, hook, empty, branch;
	const char *tmp = getenv("TMPDIR");

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--iters") && i + 1 < argc)
			iters = atol(argv[++i]);
		else if (!strcmp(argv[i], "--json"))
			json = 1;
		else {
			fprintf(stderr, "usage: trace [--iters N] [--json]\n");
			return 2;
		}
	}
	if (iters < 1)
		iters = 1;
	if (ioasid_ctx_open("sim:vtd", NULL, &ctx) || ioasid_ioas_alloc(ctx, &ioas)) {
		fprintf(stderr, "trace bench: %s\n", ioasid_last_errmsg());
		return 1;
	}
	mem = aligned_alloc(PG, PG);
	map_unmap(ctx, ioas, mem, iters / 10 + 1); /* warm up */
	off = 1e30;
	for (i = 0; i < 5; i++) {
		double v = map_unmap(ctx, ioas, mem, iters);

		off = v < off ? v : off;
	}
	snprintf(path, sizeof(path), "%s/ioasid-bench-trace-%d.json", tmp ? tmp : "/tmp",
		 (int)getpid());
	if (ioasid_ctx_trace_start(ctx, path, NULL)) {
		fprintf(stderr, "trace bench: %s\n", ioasid_ctx_errmsg(ctx));
		return 1;
	}
	/* the IOAS was made before the trace: make one it knows */
	ioasid_ioas_destroy(ctx, ioas);
	ioasid_ioas_alloc(ctx, &ioas);
	on = 1e30;
	for (i = 0; i < 5; i++) {
		double v = map_unmap(ctx, ioas, mem, iters / 4 + 1);

		on = v < on ? v : on;
	}
	ioasid_ctx_trace_stop(ctx);
	unlink(path);
	hook = best_of(hook_loop, ctx, iters * 50, 1);
	empty = best_of(hook_loop, ctx, iters * 50, 0);
	branch = hook > empty ? hook - empty : 0;

	printf("map+unmap 4 KiB, tracing off: %8.1f ns\n", off);
	printf("map+unmap 4 KiB, tracing on:  %8.1f ns (%.1fx)\n", on, on / off);
	printf("hook loop %.2f ns, empty loop %.2f ns: the off-branch costs %.2f ns%s,\n", hook,
	       empty, branch, branch == 0 ? " (below what this loop can resolve)" : "");
	printf("  two of them are %.3f%% of a map+unmap\n", 100.0 * 2 * branch / off);
	if (json)
		printf("{\"map_off_ns\": %.1f, \"map_on_ns\": %.1f, \"on_off_ratio\": %.2f, "
		       "\"hook_loop_ns\": %.3f, \"empty_loop_ns\": %.3f, \"branch_ns\": %.3f, "
		       "\"branch_share_pct\": %.4f}\n",
		       off, on, on / off, hook, empty, branch, 100.0 * 2 * branch / off);
	free(mem);
	ioasid_ctx_close(ctx);
	return 0;
}
