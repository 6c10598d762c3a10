/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmark: the page-fault round trip on the sim. One thread DMAs to an
 * unmapped IOVA (a page request), the owner thread wakes on the queue's fd
 * (epoll), reads the group, maps the page, answers SUCCESS, and the DMA
 * completes; then the page is unmapped for the next round. The baseline,
 * measured in the same run, is an eventfd ping-pong between two threads:
 * the two wake-ups a round trip cannot avoid.
 *
 * Where the scheduler puts the two threads decides both figures (a wake-up
 * on the same core is a context switch, across cores an IPI), so each is
 * measured twice, pinned the same way for the round trip and its
 * baseline: both threads on one core, and on two cores (the first two of
 * the process's affinity mask, or --cpus A,B). With one usable CPU the
 * cross-core figures are 0.
 *
 *   fault [--iters N] [--cpus A,B] [--json]
 *
 * With --json the last line of stdout is one JSON object: roundtrip_ns,
 * pingpong_ns and roundtrip_ratio (= roundtrip / pingpong, lower is
 * better) across cores (on one core when only one is usable), the same
 * with _same_core / _cross_core suffixes, and faults_per_s.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <ioasid/ioasid.h>

#define PG 4096ull
#define IOVA 0x200000ull

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what, int err, struct ioasid_ctx *ctx)
{
	fprintf(stderr, "bench fault: %s: %d (%s): %s\n", what, err, ioasid_strerrno(err),
		ctx ? ioasid_ctx_errmsg(ctx) : "");
	exit(1);
}

/* ---- pinning ---- */

/* A thread attribute that pins to @cpu. */
static void attr_on(pthread_attr_t *a, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_attr_init(a);
	if (pthread_attr_setaffinity_np(a, sizeof(set), &set))
		die("pthread_attr_setaffinity_np", -EINVAL, NULL);
}

/* Pin the calling thread to @cpu. */
static void pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		die("pthread_setaffinity_np", -EINVAL, NULL);
}

/* ---- baseline: eventfd ping-pong ---- */

struct pp {
	int a, b;
	long iters;
};

static void *pong(void *arg)
{
	struct pp *p = arg;
	uint64_t v;
	long i;

	for (i = 0; i < p->iters; i++) {
		if (read(p->a, &v, sizeof(v)) != sizeof(v) || write(p->b, &v, sizeof(v)) != sizeof(v))
			break;
	}
	return NULL;
}

static double pingpong_ns(long iters, int cpu_a, int cpu_b)
{
	struct pp p = { eventfd(0, EFD_CLOEXEC), eventfd(0, EFD_CLOEXEC), iters };
	pthread_attr_t attr;
	pthread_t t;
	uint64_t v = 1;
	double t0;
	long i;

	pin_self(cpu_a);
	attr_on(&attr, cpu_b);
	pthread_create(&t, &attr, pong, &p);
	pthread_attr_destroy(&attr);
	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		if (write(p.a, &v, sizeof(v)) != sizeof(v) || read(p.b, &v, sizeof(v)) != sizeof(v))
			break;
	}
	t0 = (now_ns() - t0) / iters;
	pthread_join(t, NULL);
	close(p.a);
	close(p.b);
	return t0;
}

/* ---- the round trip ---- */

struct owner {
	struct ioasid_ctx *ctx;
	uint32_t q, ioas;
	uint8_t *mem;
	long iters;
};

static void *owner_main(void *arg)
{
	struct owner *o = arg;
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ep = epoll_create1(EPOLL_CLOEXEC), fd, err;
	long answered = 0;

	ioasid_fault_queue_fd(o->ctx, o->q, &fd);
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	while (answered < o->iters) {
		struct ioasid_fault f[16];
		uint32_t n = 16, i;

		if (epoll_wait(ep, &out, 1, 5000) != 1)
			die("epoll_wait timed out", -ETIMEDOUT, NULL);
		err = ioasid_fault_read(o->ctx, o->q, f, &n);
		if (err)
			die("fault_read", err, o->ctx);
		for (i = 0; i < n; i++) {
			uint64_t io = f[i].addr;

			err = ioasid_ioas_map(o->ctx, o->ioas, o->mem, PG,
					      IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA,
					      &io);
			if (err)
				die("map", err, o->ctx);
			if (f[i].flags & IOASID_FAULT_F_LAST) {
				err = ioasid_fault_respond(o->ctx, o->q, f[i].cookie,
							   IOASID_FAULT_SUCCESS);
				if (err)
					die("respond", err, o->ctx);
				answered++;
			}
		}
	}
	close(ep);
	return NULL;
}

/* One pinned measurement of the round trip: ns per round. */
static double roundtrip_ns(long iters, int cpu_dma, int cpu_owner)
{
	struct ioasid_ctx *ctx;
	struct owner o = { 0 };
	pthread_attr_t attr;
	uint32_t set, dev;
	pthread_t t;
	double t0, rt;
	char buf[64];
	size_t done;
	long i;
	int err;

	err = ioasid_ctx_open("sim", NULL, &ctx);
	if (err)
		die("open", err, NULL);
	ioasid_ctx_set_pinned_limit(ctx, UINT64_MAX);
	{
		struct ioasid_set_opts so = { .sz = sizeof(struct ioasid_set_opts), .max_ioas = 1 };
		struct ioasid_fault_queue_opts qo = { .sz = sizeof(struct ioasid_fault_queue_opts), .depth = 64, .timeout_ns = 10000000000ull };
		struct ioasid_attach_opts ao = { .sz = sizeof(struct ioasid_attach_opts), .fault_queue = 0 };

		if ((err = ioasid_set_alloc(ctx, &so, &set)))
			die("set_alloc", err, ctx);
		qo.set = set;
		if ((err = ioasid_fault_queue_alloc(ctx, &qo, &o.q)))
			die("queue_new", err, ctx);
		if ((err = ioasid_set_ioas_alloc(ctx, set, &o.ioas)))
			die("ioas_alloc", err, ctx);
		if ((err = ioasid_dev_bind(ctx, "sim0", &dev)))
			die("bind", err, ctx);
		ao.set = set;
		ao.fault_queue = o.q;
		if ((err = ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, o.ioas, &ao)))
			die("attach", err, ctx);
	}
	o.ctx = ctx;
	o.iters = iters;
	o.mem = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (o.mem == MAP_FAILED)
		die("mmap", -errno, NULL);
	pin_self(cpu_dma);
	attr_on(&attr, cpu_owner);
	pthread_create(&t, &attr, owner_main, &o);
	pthread_attr_destroy(&attr);
	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		err = ioasid_sim_dma_read(ctx, dev, IOASID_PASID_NONE, IOVA, buf, sizeof(buf), &done);
		if (err)
			die("dma", err, ctx);
		err = ioasid_ioas_unmap(ctx, o.ioas, IOVA, PG, NULL);
		if (err)
			die("unmap", err, ctx);
	}
	rt = (now_ns() - t0) / iters;
	pthread_join(t, NULL);
	ioasid_ctx_close(ctx);
	munmap(o.mem, PG);
	return rt;
}

/* The first two CPUs this process may run on (@b = -1 with only one). */
static void two_cpus(int *a, int *b)
{
	cpu_set_t set;
	int i;

	*a = *b = -1;
	if (sched_getaffinity(0, sizeof(set), &set))
		die("sched_getaffinity", -errno, NULL);
	for (i = 0; i < CPU_SETSIZE && *b < 0; i++) {
		if (!CPU_ISSET(i, &set))
			continue;
		if (*a < 0)
			*a = i;
		else
			*b = i;
	}
}

int main(int argc, char **argv)
{
	double rt_same, pp_same, rt_cross = 0, pp_cross = 0, rt, pp;
	int json = 0, k, a = -1, b = -1;
	long iters = 20000;

	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--json")) {
			json = 1;
		} else if (!strcmp(argv[k], "--iters") && k + 1 < argc) {
			iters = strtol(argv[++k], NULL, 0);
		} else if (!strcmp(argv[k], "--cpus") && k + 1 < argc) {
			if (sscanf(argv[++k], "%d,%d", &a, &b) != 2 || a < 0 || b < 0 ||
			    a >= CPU_SETSIZE || b >= CPU_SETSIZE || a == b) {
				fprintf(stderr,
					"bench fault: --cpus wants two different CPUs A,B: '%s'\n",
					argv[k]);
				return 2;
			}
		} else {
			fprintf(stderr, "usage: %s [--iters N] [--cpus A,B] [--json]\n", argv[0]);
			return 2;
		}
	}
	if (iters < 1)
		iters = 1;
	if (a < 0)
		two_cpus(&a, &b);
	rt_same = roundtrip_ns(iters, a, a);
	pp_same = pingpong_ns(iters, a, a);
	if (b >= 0) {
		rt_cross = roundtrip_ns(iters, a, b);
		pp_cross = pingpong_ns(iters, a, b);
	}
	rt = b >= 0 ? rt_cross : rt_same;
	pp = b >= 0 ? pp_cross : pp_same;

	printf("page fault round trip on the sim, %ld rounds, threads pinned\n", iters);
	printf("  %-54s %10s %10s\n", "", "same core", "two cores");
	printf("  %-54s %10.0f %10.0f\n",
	       "DMA -> page request -> owner maps + SUCCESS -> done (ns)", rt_same, rt_cross);
	printf("  %-54s %10.0f %10.0f\n", "baseline: eventfd ping-pong, pinned the same (ns)",
	       pp_same, pp_cross);
	printf("  %-54s %10.2f %10.2f\n", "ratio (target <= 2)", rt_same / pp_same,
	       pp_cross ? rt_cross / pp_cross : 0);
	printf("  (cpus %d and %d)\n", a, b);
	if (json)
		printf("{\"rounds\":%ld,\"roundtrip_ns\":%.0f,\"pingpong_ns\":%.0f,"
		       "\"roundtrip_ratio\":%.2f,\"faults_per_s\":%.0f,"
		       "\"roundtrip_same_core_ns\":%.0f,\"pingpong_same_core_ns\":%.0f,"
		       "\"roundtrip_same_core_ratio\":%.2f,\"roundtrip_cross_core_ns\":%.0f,"
		       "\"pingpong_cross_core_ns\":%.0f,\"roundtrip_cross_core_ratio\":%.2f}\n",
		       iters, rt, pp, rt / pp, 1e9 / rt, rt_same, pp_same, rt_same / pp_same,
		       rt_cross, pp_cross, pp_cross ? rt_cross / pp_cross : 0);
	return 0;
}
