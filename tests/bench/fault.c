/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmark: the page-fault round trip on the sim. One thread DMAs to an
 * unmapped IOVA (a page request), the owner thread wakes on the queue's fd
 * (epoll), reads the group, maps the page, answers SUCCESS, and the DMA
 * completes; then the page is unmapped for the next round. The baseline,
 * measured in the same run, is an eventfd ping-pong between two threads:
 * the two wake-ups a round trip cannot avoid.
 *
 *   fault [--iters N] [--json]
 *
 * With --json the last line of stdout is one JSON object: roundtrip_ns,
 * pingpong_ns, roundtrip_ratio (= roundtrip / pingpong, lower is better),
 * faults_per_s.
 */
#include <errno.h>
#include <pthread.h>
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

static double pingpong_ns(long iters)
{
	struct pp p = { eventfd(0, EFD_CLOEXEC), eventfd(0, EFD_CLOEXEC), iters };
	pthread_t t;
	uint64_t v = 1;
	double t0;
	long i;

	pthread_create(&t, NULL, pong, &p);
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

int main(int argc, char **argv)
{
	struct ioasid_ctx *ctx;
	struct owner o = { 0 };
	uint32_t set, dev;
	pthread_t t;
	double t0, rt, pp;
	long iters = 20000, i;
	int json = 0, err, k;
	char buf[64];
	size_t done;

	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--json"))
			json = 1;
		else if (!strcmp(argv[k], "--iters") && k + 1 < argc)
			iters = strtol(argv[++k], NULL, 0);
		else {
			fprintf(stderr, "usage: %s [--iters N] [--json]\n", argv[0]);
			return 2;
		}
	}
	if (iters < 1)
		iters = 1;
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
	pthread_create(&t, NULL, owner_main, &o);
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
	pp = pingpong_ns(iters);

	printf("page fault round trip on the sim, %ld rounds\n", iters);
	printf("  DMA -> page request -> owner maps + SUCCESS -> DMA done: %9.0f ns\n", rt);
	printf("  baseline: eventfd ping-pong between two threads:         %9.0f ns\n", pp);
	printf("  ratio (target <= 2):                                     %9.2f\n", rt / pp);
	if (json)
		printf("{\"rounds\":%ld,\"roundtrip_ns\":%.0f,\"pingpong_ns\":%.0f,"
		       "\"roundtrip_ratio\":%.2f,\"faults_per_s\":%.0f}\n",
		       iters, rt, pp, rt / pp, 1e9 / rt);
	return 0;
}
