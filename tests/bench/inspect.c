/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmark: what a live inspection subscriber that stops reading costs
 * the VMM's map path (issue 16: at most 5%).
 *
 * One sim context, one IOAS, N fixed 4 KiB maps then their N unmaps, timed
 * per call, in rounds that alternate two configurations in the same run:
 *
 *   none   no subscriber (the event hook is one untaken branch);
 *   stuck  an inspection endpoint with a client that subscribed to every
 *          event and never reads: its socket and the endpoint's output
 *          buffer fill, then its ring, and every event after that is
 *          dropped and counted, never waited for.
 *
 * A "stuck" round starts with a fresh connection, fills it untimed (so the
 * timed part is the steady state of a subscriber that stopped reading),
 * and hangs up at its end. The medians of the rounds are compared.
 *
 *   inspect [--size N] [--rounds R] [--json]
 *
 * With --json the last line of stdout is one JSON object: map_ns and
 * unmap_ns (none), map_stuck_ns and unmap_stuck_ns, map_overhead_pct and
 * unmap_overhead_pct (stuck over none, in percent; negative is noise) and
 * events_dropped (by the endpoint, over every stuck round).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <ioasid/ioasid.h>

#define PG 4096ull
#define BASE 0x100000ull
#define MAX_ROUNDS 100000

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what, int err, struct ioasid_ctx *ctx)
{
	fprintf(stderr, "bench inspect: %s: %d (%s): %s\n", what, err, ioasid_strerrno(err),
		ctx ? ioasid_ctx_errmsg(ctx) : ioasid_last_errmsg());
	exit(1);
}

/* N maps then N unmaps; ns per call of each into *map, *unmap. */
static void run(struct ioasid_ctx *ctx, uint32_t ioas, void *mem, uint32_t n, double *map,
		double *unmap)
{
	double t0, t1, t2;
	uint64_t io, bytes;
	uint32_t i;
	int err;

	t0 = now_ns();
	for (i = 0; i < n; i++) {
		io = BASE + i * 2 * PG;
		err = ioasid_ioas_map(ctx, ioas, mem, PG,
				      IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA,
				      &io);
		if (err)
			die("map", err, ctx);
	}
	t1 = now_ns();
	for (i = 0; i < n; i++) {
		err = ioasid_ioas_unmap(ctx, ioas, BASE + i * 2 * PG, PG, &bytes);
		if (err)
			die("unmap", err, ctx);
	}
	t2 = now_ns();
	*map = (t1 - t0) / n;
	*unmap = (t2 - t1) / n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Wait until the endpoint counts @want subscribers. */
static void wait_subscribers(struct ioasid_inspect *ins, uint32_t want)
{
	struct ioasid_inspect_stats st;
	int i;

	for (i = 0; i < 5000; i++) {
		if (ioasid_inspect_stats(ins, &st) == 0 && st.subscribers == want)
			return;
		usleep(1000);
	}
	fprintf(stderr, "bench inspect: the endpoint never had %u subscribers\n", want);
	exit(1);
}

/* A client that subscribes to everything and never reads again. */
static int stuck_client(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	static const char req[] = "{\"op\":\"subscribe\"}\n";
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1)) {
		perror("bench inspect: client");
		exit(1);
	}
	return fd;
}

/* A sim context with an empty IOAS (with sim0 attached: @attach); *ret_ioas its id. */
static struct ioasid_ctx *new_ctx(bool attach, uint32_t *ret_ioas)
{
	struct ioasid_ctx *ctx;
	uint32_t dev;
	int err = ioasid_ctx_open("sim", NULL, &ctx);

	if (err)
		die("open", err, NULL);
	ioasid_ctx_set_pinned_limit(ctx, UINT64_MAX);
	err = ioasid_ioas_alloc(ctx, ret_ioas);
	if (!err && attach)
		err = ioasid_dev_bind(ctx, "sim0", &dev);
	if (!err && attach)
		err = ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, *ret_ioas, NULL);
	if (err)
		die("setup", err, ctx);
	return ctx;
}

/*
 * Four contexts: [0] a bare IOAS, [1] the same with a stuck subscriber,
 * [2] an IOAS with a device attached (a paging domain: pages pinned, the
 * sim's page table written), [3] the same with a stuck subscriber.
 */
#define NCTX 4

int main(int argc, char **argv)
{
	static const char *const names[NCTX] = { "no subscriber", "a subscriber not reading",
						 "attached, no subscriber",
						 "attached, subscriber not reading" };
	uint32_t n = 1000, rounds = 300, ioas[NCTX], r;
	double *map[NCTX], *unmap[NCTX], m[NCTX], u[NCTX], mmin[NCTX], umin[NCTX];
	struct ioasid_inspect_stats st[2];
	struct ioasid_inspect *ins[2];
	struct ioasid_ctx *ctx[NCTX];
	char dir[] = "/tmp/ioasid-bench-XXXXXX", path[2][64];
	int json = 0, k, err, fd[2];
	void *mem;

	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--json")) {
			json = 1;
		} else if (!strcmp(argv[k], "--size") && k + 1 < argc) {
			n = (uint32_t)strtoul(argv[++k], NULL, 0);
		} else if (!strcmp(argv[k], "--rounds") && k + 1 < argc) {
			rounds = (uint32_t)strtoul(argv[++k], NULL, 0);
		} else {
			fprintf(stderr, "usage: %s [--size N] [--rounds R] [--json]\n", argv[0]);
			return 2;
		}
	}
	if (!n || !rounds || rounds > MAX_ROUNDS) {
		fprintf(stderr, "bench inspect: --size must be > 0, --rounds 1..%d\n", MAX_ROUNDS);
		return 2;
	}
	for (k = 0; k < NCTX; k++) {
		ctx[k] = new_ctx(k >= 2, &ioas[k]);
		map[k] = calloc(rounds, sizeof(double));
		unmap[k] = calloc(rounds, sizeof(double));
		if (!map[k] || !unmap[k])
			die("calloc", -ENOMEM, NULL);
	}
	mem = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || !mkdtemp(dir))
		die("setup", -errno, NULL);
	/* an endpoint and a subscriber that never reads for [1] and [3], filled before timing */
	for (k = 0; k < 2; k++) {
		snprintf(path[k], sizeof(path[k]), "%s/s%d", dir, k);
		err = ioasid_inspect_start(ctx[2 * k + 1], path[k], NULL, &ins[k]);
		if (err)
			die("inspect_start", err, NULL);
		fd[k] = stuck_client(path[k]);
		wait_subscribers(ins[k], 1);
	}
	for (k = 0; k < NCTX; k++) {
		uint32_t i;

		for (i = 0; i < 20; i++)
			run(ctx[k], ioas[k], mem, n > 1000 ? n : 1000, &m[k], &u[k]);
	}
	/* alternate, and turn the order every round, so that drift hits all alike */
	for (r = 0; r < rounds; r++) {
		for (k = 0; k < NCTX; k++) {
			int c = (k + (int)r) % NCTX;

			run(ctx[c], ioas[c], mem, n, &map[c][r], &unmap[c][r]);
		}
	}
	for (k = 0; k < 2; k++) {
		usleep(30000); /* a turn of the endpoint's loop: its drop count is current */
		ioasid_inspect_stats(ins[k], &st[k]);
		close(fd[k]);
		ioasid_inspect_stop(ins[k]);
		if (!st[k].events_dropped) {
			fprintf(stderr, "bench inspect: the subscriber's ring never filled\n");
			return 1;
		}
	}
	rmdir(dir);
	for (k = 0; k < NCTX; k++) {
		m[k] = median(map[k], (int)rounds); /* sorts: [0] is the minimum */
		u[k] = median(unmap[k], (int)rounds);
		mmin[k] = map[k][0];
		umin[k] = unmap[k][0];
	}
	printf("%u rounds of %u maps then %u unmaps; ns per call, min / median of the rounds\n",
	       rounds, n, n);
	printf("%-34s %22s %22s\n", "", "map", "unmap");
	for (k = 0; k < NCTX; k++) {
		printf("%-34s %10.1f / %-10.1f %10.1f / %-10.1f\n", names[k], mmin[k], m[k],
		       umin[k], u[k]);
		if (k % 2)
			printf("%-34s %9.2f%% / %-9.2f %9.2f%% / %-9.2f\n", "  overhead (%)",
			       (mmin[k] / mmin[k - 1] - 1) * 100, (m[k] / m[k - 1] - 1) * 100,
			       (umin[k] / umin[k - 1] - 1) * 100, (u[k] / u[k - 1] - 1) * 100);
	}
	printf("events dropped: %llu and %llu (sent before the clients' buffers filled: %llu and %llu)\n",
	       (unsigned long long)st[0].events_dropped, (unsigned long long)st[1].events_dropped,
	       (unsigned long long)st[0].events_sent, (unsigned long long)st[1].events_sent);
	if (json)
		printf("{\"map_ns\":%.1f,\"unmap_ns\":%.1f,\"map_stuck_ns\":%.1f,\"unmap_stuck_ns\":%.1f,"
		       "\"map_overhead_pct\":%.2f,\"unmap_overhead_pct\":%.2f,"
		       "\"map_median_overhead_pct\":%.2f,\"unmap_median_overhead_pct\":%.2f,"
		       "\"attached_map_ns\":%.1f,\"attached_map_stuck_ns\":%.1f,"
		       "\"attached_map_overhead_pct\":%.2f,\"attached_unmap_overhead_pct\":%.2f,"
		       "\"events_dropped\":%llu}\n",
		       mmin[0], umin[0], mmin[1], umin[1], (mmin[1] / mmin[0] - 1) * 100,
		       (umin[1] / umin[0] - 1) * 100, (m[1] / m[0] - 1) * 100,
		       (u[1] / u[0] - 1) * 100, mmin[2], mmin[3], (mmin[3] / mmin[2] - 1) * 100,
		       (umin[3] / umin[2] - 1) * 100,
		       (unsigned long long)(st[0].events_dropped + st[1].events_dropped));
	for (k = 0; k < NCTX; k++) {
		ioasid_ctx_close(ctx[k]);
		free(map[k]);
		free(unmap[k]);
	}
	munmap(mem, PG);
	return 0;
}
