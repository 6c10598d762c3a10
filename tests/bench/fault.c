/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmark: the page-fault round trip on the sim. One thread DMAs to an
 * unmapped IOVA (a page request), the owner thread takes the group, maps
 * the page, answers SUCCESS, and the DMA completes; then the page is
 * unmapped for the next round. Four ways, each next to a baseline
 * measured in the same run, pinned the same way:
 *
 *   polled     a polled queue (IOASID_FAULT_QUEUE_POLLED): the owner polls
 *              the ring (bounded backoff: pause, then sched_yield(), then
 *              ioasid_fault_ring_wait()), answers on the ring (what one
 *              poll took, with one ioasid_fault_ring_respond_many()); the device
 *              spins for the answer.   vs a shared-memory spin ping-pong
 *              with the same backoff (the two cache-line transfers a
 *              round trip cannot avoid)
 *   blocking   the polled queue, the owner sleeping in
 *              ioasid_fault_ring_wait() whenever the ring is empty.
 *              vs an eventfd + epoll ping-pong
 *   fd         the plain queue: epoll on its fd, ioasid_fault_read(),
 *              ioasid_fault_respond().   vs the same eventfd + epoll ping-pong
 *   batch      the polled queue with 64 faults in flight: the device
 *              submits 64 DMAs, then waits for them; faults per second.
 *              Measured twice: the owner mapping each faulted page with
 *              its own call (each pays the pin check), and mapping each
 *              run of adjacent faulted pages it took in one poll with one
 *              call (what a VMM that answers in batches can do: one pin
 *              check and one page-table update per run), then answering
 *              every group of the run.
 *
 * The polled round and the batch include work no delivery can remove:
 * the owner's map (with the pinning's madvise) and the device's unmap,
 * the translation that faults and the one that completes. So each is also
 * measured done on one thread (inline: submit, take from the ring, map,
 * answer, collect), and the difference — the hand-off between the two
 * threads — is set against the spin ping-pong.
 *
 * Where the scheduler puts the two threads decides every figure (a
 * wake-up on the same core is a context switch, across cores an IPI),
 * so each is measured with both threads on one core and on two (the
 * first two of the process's affinity mask, or --cpus A,B); with one
 * usable CPU the cross-core figures are 0. Each figure is the median
 * round (batch: the median batch of 64, per fault), not the mean: see
 * struct laps. --reps R (3) repeats the whole set; the figures printed
 * are each repetition's, the JSON has the median of each.
 *
 *   fault [--iters N] [--reps R] [--cpus A,B] [--only WAY]
 *         [--placement same|cross] [--json]
 *
 * --only polled|blocking|fd|batch measures that way and its baseline
 * alone (the other figures are 0); --placement same|cross measures with
 * both threads on one core, or on two, alone (for a profile).
 *
 * With --json the last line of stdout is one JSON object: for the fd way
 * roundtrip_ns, pingpong_ns, roundtrip_ratio and faults_per_s (across
 * cores, or on one core when only one is usable) and the same with
 * _same_core / _cross_core suffixes; for the others polled_ns,
 * spin_pingpong_ns, polled_ratio, blocking_ns, epoll_pingpong_ns,
 * blocking_ratio, batch64_faults_per_s and batch64_runs_faults_per_s,
 * each with _same_core and _cross_core suffixes.
 */
#include <errno.h>
#include <stddef.h>
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

/*
 * Every round is timed on its own and the median kept: on a loaded
 * machine one preemption of a pinned thread (a whole time slice, ms)
 * would otherwise outweigh thousands of rounds, in the figure and in its
 * baseline alike, but not by the same amount.
 */
struct laps {
	double *v;
	long n, cap;
	double last;
};

static void laps_start(struct laps *l, long cap)
{
	l->v = malloc(sizeof(*l->v) * (size_t)cap);
	if (!l->v)
		abort();
	l->n = 0;
	l->cap = cap;
	l->last = now_ns();
}

static void lap(struct laps *l)
{
	double t = now_ns();

	if (l->n < l->cap)
		l->v[l->n++] = t - l->last;
	l->last = t;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

/* The median lap, divided by @per; frees the laps. */
static double laps_median(struct laps *l, long per)
{
	double m;

	qsort(l->v, (size_t)l->n, sizeof(*l->v), cmp_double);
	m = l->n ? l->v[l->n / 2] / per : 0;

	free(l->v);
	return m;
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

/* ---- backoff: what the library's device side does too (sim-dma.c) ---- */

static inline void cpu_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/*
 * A waiter pause-spins when the other side runs on another core, and
 * yields the CPU to it when both are pinned to one (spinning there only
 * delays the other side until the scheduler's tick).
 */
static bool same_core;

struct backoff {
	double start;
	unsigned int n;
};

/* One step of waiting; returns how long it has waited so far (ns). */
static double backoff_step(struct backoff *b)
{
	if (b->n++ == 0)
		b->start = now_ns();
	if (same_core)
		sched_yield();
	else
		cpu_pause();
	if (b->n % 32)
		return 0;
	return now_ns() - b->start;
}

/* ---- baselines ---- */

/* eventfd + epoll ping-pong: both sides sleep for every message */
struct pp {
	int a, b;
	long iters;
};

static void epoll_wait_read(int ep, int fd)
{
	struct epoll_event out;
	uint64_t v;

	if (epoll_wait(ep, &out, 1, 5000) != 1 || read(fd, &v, sizeof(v)) != sizeof(v))
		die("ping-pong epoll_wait/read", -EIO, NULL);
}

static int epoll_on(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
		die("epoll", -errno, NULL);
	return ep;
}

static void *pong(void *arg)
{
	struct pp *p = arg;
	int ep = epoll_on(p->a);
	uint64_t v = 1;
	long i;

	for (i = 0; i < p->iters; i++) {
		epoll_wait_read(ep, p->a);
		if (write(p->b, &v, sizeof(v)) != sizeof(v))
			break;
	}
	close(ep);
	return NULL;
}

static double epoll_pingpong_ns(long iters, int cpu_a, int cpu_b)
{
	struct pp p = { eventfd(0, EFD_CLOEXEC), eventfd(0, EFD_CLOEXEC), iters };
	pthread_attr_t attr;
	pthread_t t;
	uint64_t v = 1;
	struct laps l;
	double t0;
	long i;
	int ep = epoll_on(p.b);

	pin_self(cpu_a);
	attr_on(&attr, cpu_b);
	pthread_create(&t, &attr, pong, &p);
	pthread_attr_destroy(&attr);
	laps_start(&l, iters);
	for (i = 0; i < iters; i++) {
		if (write(p.a, &v, sizeof(v)) != sizeof(v))
			break;
		epoll_wait_read(ep, p.b);
		lap(&l);
	}
	t0 = laps_median(&l, 1);
	pthread_join(t, NULL);
	close(ep);
	close(p.a);
	close(p.b);
	return t0;
}

/* shared-memory spin ping-pong: one counter each way, on its own cache line */
struct spin {
	long ping __attribute__((aligned(64)));
	long pong __attribute__((aligned(64)));
	long iters;
};

static void spin_until(const long *p, long want)
{
	struct backoff b = { 0 };

	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) != want)
		backoff_step(&b);
}

static void *spin_pong(void *arg)
{
	struct spin *s = arg;
	long i;

	for (i = 1; i <= s->iters; i++) {
		spin_until(&s->ping, i);
		__atomic_store_n(&s->pong, i, __ATOMIC_RELEASE);
	}
	return NULL;
}

static double spin_pingpong_ns(long iters, int cpu_a, int cpu_b)
{
	static struct spin s;
	pthread_attr_t attr;
	pthread_t t;
	struct laps l;
	double t0;
	long i;

	s.ping = s.pong = 0;
	s.iters = iters;
	pin_self(cpu_a);
	attr_on(&attr, cpu_b);
	pthread_create(&t, &attr, spin_pong, &s);
	pthread_attr_destroy(&attr);
	laps_start(&l, iters);
	for (i = 1; i <= iters; i++) {
		__atomic_store_n(&s.ping, i, __ATOMIC_RELEASE);
		spin_until(&s.pong, i);
		lap(&l);
	}
	t0 = laps_median(&l, 1);
	pthread_join(t, NULL);
	return t0;
}

/* ---- the round trips ---- */

enum way {
	WAY_FD,
	WAY_POLLED,
	WAY_BLOCKING,
	WAY_BATCH,
	WAY_BATCH_RUNS,   /* the batch, the owner mapping runs of pages at once */
	WAY_INLINE,       /* the work of a polled round, on one thread */
	WAY_INLINE_BATCH, /* the work of a batch, on one thread */
};

#define BATCH 64

struct owner {
	struct ioasid_ctx *ctx;
	struct ioasid_fault_ring *ring;
	uint32_t q, ioas;
	uint8_t *mem;
	long faults; /* to answer */
	enum way way;
};

static void owner_map_n(struct owner *o, uint64_t io, uint64_t npages)
{
	int err = ioasid_ioas_map(o->ctx, o->ioas, o->mem + (io - IOVA), npages * PG,
				  IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA, &io);

	if (err)
		die("map", err, o->ctx);
}

static void owner_map(struct owner *o, const struct ioasid_fault *f)
{
	owner_map_n(o, f->addr, 1);
}

/*
 * Answer every group of @f[0..@n) SUCCESS with one call: one publication
 * for the lot (the owner took them in one poll and mapped them all).
 */
static long owner_answer(struct owner *o, const struct ioasid_fault *f, uint32_t n)
{
	uint64_t cookies[BATCH];
	uint32_t i, m = 0;
	int err;

	for (i = 0; i < n; i++)
		if (f[i].flags & IOASID_FAULT_F_LAST)
			cookies[m++] = f[i].cookie;
	err = ioasid_fault_ring_respond_many(o->ring, cookies, IOASID_FAULT_SUCCESS, &m);
	if (err)
		die("ring_respond_many", err, o->ctx);
	return m;
}

/* Map each run of adjacent pages of @f[0..@n) with one call, then answer. */
static long owner_map_runs(struct owner *o, const struct ioasid_fault *f, uint32_t n)
{
	uint32_t i, j;

	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && f[j].addr == f[j - 1].addr + PG; j++)
			;
		owner_map_n(o, f[i].addr, j - i);
	}
	return owner_answer(o, f, n);
}

static void *owner_fd(struct owner *o)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ep = epoll_create1(EPOLL_CLOEXEC), fd, err;
	long answered = 0;

	ioasid_fault_queue_fd(o->ctx, o->q, &fd);
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	while (answered < o->faults) {
		struct ioasid_fault f[16];
		uint32_t n = 16, i;

		if (epoll_wait(ep, &out, 1, 5000) != 1)
			die("epoll_wait timed out", -ETIMEDOUT, NULL);
		err = ioasid_fault_read(o->ctx, o->q, f, &n);
		if (err)
			die("fault_read", err, o->ctx);
		for (i = 0; i < n; i++) {
			owner_map(o, &f[i]);
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

#define OWNER_SPIN_NS 50000.0 /* then it sleeps in ioasid_fault_ring_wait() */

static void *owner_ring(struct owner *o)
{
	struct backoff b = { 0 };
	long answered = 0;
	int err;

	while (answered < o->faults) {
		struct ioasid_fault f[BATCH];
		uint32_t n = BATCH, i;

		err = ioasid_fault_ring_poll(o->ring, f, &n);
		if (err)
			die("ring_poll", err, o->ctx);
		if (!n) {
			if (o->way == WAY_BLOCKING || backoff_step(&b) > OWNER_SPIN_NS) {
				err = ioasid_fault_ring_wait(o->ring, 5000000000ull);
				if (err)
					die("ring_wait", err, o->ctx);
				b.n = 0;
			}
			continue;
		}
		b.n = 0;
		if (o->way == WAY_BATCH_RUNS) {
			answered += owner_map_runs(o, f, n);
			continue;
		}
		for (i = 0; i < n; i++)
			owner_map(o, &f[i]);
		answered += owner_answer(o, f, n);
	}
	return NULL;
}

static void *owner_main(void *arg)
{
	struct owner *o = arg;

	return o->way == WAY_FD ? owner_fd(o) : owner_ring(o);
}

/*
 * One pinned measurement: ns per round (WAY_BATCH: per fault, with
 * BATCH in flight).
 */
static double roundtrip_ns(enum way way, long iters, int cpu_dma, int cpu_owner)
{
	struct ioasid_ctx *ctx;
	struct owner o = { 0 };
	pthread_attr_t attr;
	uint32_t set, dev;
	pthread_t t;
	struct laps l;
	double rt;
	char buf[64];
	size_t done;
	long i, k,
		per = way == WAY_BATCH || way == WAY_BATCH_RUNS || way == WAY_INLINE_BATCH ? BATCH :
											     1;
	bool inl = way == WAY_INLINE || way == WAY_INLINE_BATCH;
	uint64_t h[BATCH];
	int err;

	err = ioasid_ctx_open("sim", NULL, &ctx);
	if (err)
		die("open", err, NULL);
	ioasid_ctx_set_pinned_limit(ctx, UINT64_MAX);
	{
		struct ioasid_set_opts so = { .sz = sizeof(struct ioasid_set_opts), .max_ioas = 1 };
		struct ioasid_fault_queue_opts qo = { .sz = sizeof(struct ioasid_fault_queue_opts), .depth = 64, .timeout_ns = 10000000000ull };
		struct ioasid_attach_opts ao = { .sz = sizeof(struct ioasid_attach_opts), .fault_queue = 0 };

		if (way != WAY_FD)
			qo.flags = IOASID_FAULT_QUEUE_POLLED;
		if ((err = ioasid_set_alloc(ctx, &so, &set)))
			die("set_alloc", err, ctx);
		qo.set = set;
		if ((err = ioasid_fault_queue_alloc(ctx, &qo, &o.q)))
			die("queue_new", err, ctx);
		if (way != WAY_FD && (err = ioasid_fault_ring_get(ctx, o.q, &o.ring)))
			die("ring_get", err, ctx);
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
	o.way = way;
	o.faults = iters * per;
	o.mem = mmap(NULL, BATCH * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (o.mem == MAP_FAILED)
		die("mmap", -errno, NULL);
	pin_self(cpu_dma);
	if (!inl) {
		attr_on(&attr, cpu_owner);
		pthread_create(&t, &attr, owner_main, &o);
		pthread_attr_destroy(&attr);
	}
	laps_start(&l, iters);
	for (i = 0; i < iters; i++) {
		if (inl) {
			/* submit, take, map, answer on the ring, collect: no hand-off */
			struct ioasid_fault f[BATCH];
			uint32_t n = BATCH, j;

			for (k = 0; k < per; k++) {
				err = ioasid_sim_dma_submit(ctx, dev, IOASID_PASID_NONE,
							    IOVA + k * PG, buf, sizeof(buf), false,
							    &h[k], &done);
				if (err != -EAGAIN)
					die("dma_submit", err, ctx);
			}
			err = ioasid_fault_ring_poll(o.ring, f, &n);
			if (err || n != per)
				die("ring_poll", err ? err : -EIO, ctx);
			for (j = 0; j < n; j++)
				owner_map(&o, &f[j]);
			owner_answer(&o, f, n);
			for (k = 0; k < per; k++) {
				err = ioasid_sim_dma_wait(ctx, h[k], UINT64_MAX, &done);
				if (err)
					die("dma_wait", err, ctx);
			}
		} else if (per == 1) {
			err = ioasid_sim_dma_read(ctx, dev, IOASID_PASID_NONE, IOVA, buf,
						  sizeof(buf), &done);
			if (err)
				die("dma", err, ctx);
		} else {
			for (k = 0; k < BATCH; k++) {
				err = ioasid_sim_dma_submit(ctx, dev, IOASID_PASID_NONE,
							    IOVA + k * PG, buf, sizeof(buf), false,
							    &h[k], &done);
				if (err != -EAGAIN)
					die("dma_submit", err, ctx);
			}
			for (k = 0; k < BATCH; k++) {
				err = ioasid_sim_dma_wait(ctx, h[k], UINT64_MAX, &done);
				if (err)
					die("dma_wait", err, ctx);
			}
		}
		err = ioasid_ioas_unmap(ctx, o.ioas, IOVA, per * PG, NULL);
		if (err)
			die("unmap", err, ctx);
		lap(&l);
	}
	rt = laps_median(&l, per);
	if (!inl)
		pthread_join(t, NULL);
	ioasid_ctx_close(ctx);
	munmap(o.mem, BATCH * PG);
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

/* The figures of one placement (same core or two cores) in one repetition. */
struct figs {
	double fd, epoll_pp, polled, spin_pp, blocking, batch, inl, inl_batch, batch_runs;
};

static const char *only; /* --only WAY: measure that way (and its baseline) alone */
static const char *placement; /* --placement same|cross: that placement alone */

static bool want(const char *way)
{
	return !only || !strcmp(only, way);
}

static void measure(struct figs *f, long iters, int a, int b)
{
	long batch_iters = iters / BATCH > 0 ? iters / BATCH : 1;

	same_core = a == b;
	memset(f, 0, sizeof(*f));
	if (want("fd"))
		f->fd = roundtrip_ns(WAY_FD, iters, a, b);
	if (want("fd") || want("blocking"))
		f->epoll_pp = epoll_pingpong_ns(iters, a, b);
	if (want("polled"))
		f->polled = roundtrip_ns(WAY_POLLED, iters, a, b);
	if (want("polled"))
		f->spin_pp = spin_pingpong_ns(iters, a, b);
	if (want("polled"))
		f->inl = roundtrip_ns(WAY_INLINE, iters, a, a);
	if (want("blocking"))
		f->blocking = roundtrip_ns(WAY_BLOCKING, iters, a, b);
	if (want("batch"))
		f->batch = roundtrip_ns(WAY_BATCH, batch_iters * 4, a, b);
	if (want("batch"))
		f->inl_batch = roundtrip_ns(WAY_INLINE_BATCH, batch_iters * 4, a, a);
	if (want("batch"))
		f->batch_runs = roundtrip_ns(WAY_BATCH_RUNS, batch_iters * 4, a, b);
}

/* The median over @reps of the figure at byte offset @off (0 when absent). */
static double median(const struct figs *f, int reps, size_t off)
{
	double v[16];
	int i;

	for (i = 0; i < reps; i++)
		v[i] = *(const double *)((const char *)&f[i] + off);
	qsort(v, reps, sizeof(*v), cmp_double);
	return v[reps / 2];
}

static double ratio(double x, double base)
{
	return base > 0 ? x / base : 0;
}

static void print_rep(const char *where, const struct figs *f)
{
	printf("  %-10s polled %6.0f ns / spin ping-pong %6.0f = %5.2f (<= 2, <= 1500 ns)\n", where,
	       f->polled, f->spin_pp, ratio(f->polled, f->spin_pp));
	printf("  %-10s   of which the work on one thread %6.0f ns; the hand-off %6.0f ns = %5.2f ping-pongs\n",
	       "", f->inl, f->polled - f->inl, ratio(f->polled - f->inl, f->spin_pp));
	printf("  %-10s blocking %6.0f ns / epoll ping-pong %6.0f = %5.2f (<= 1.2)\n", "",
	       f->blocking, f->epoll_pp, ratio(f->blocking, f->epoll_pp));
	printf("  %-10s fd way %6.0f ns / epoll ping-pong %6.0f = %5.2f\n", "", f->fd, f->epoll_pp,
	       ratio(f->fd, f->epoll_pp));
	printf("  %-10s batch of %d in flight: %.2f M faults/s (>= 2); the work alone on one thread: %.2f M/s\n",
	       "", BATCH, f->batch > 0 ? 1e3 / f->batch : 0,
	       f->inl_batch > 0 ? 1e3 / f->inl_batch : 0);
	printf("  %-10s   the owner mapping each run of adjacent pages at once: %.2f M faults/s (>= 2)\n",
	       "", f->batch_runs > 0 ? 1e3 / f->batch_runs : 0);
}

#define MED(arr, field) median(arr, reps, offsetof(struct figs, field))

int main(int argc, char **argv)
{
	struct figs same[16], cross[16], ms, mc;
	int json = 0, k, a = -1, b = -1, reps = 3, r;
	long iters = 20000;

	memset(cross, 0, sizeof(cross));
	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--json")) {
			json = 1;
		} else if (!strcmp(argv[k], "--iters") && k + 1 < argc) {
			iters = strtol(argv[++k], NULL, 0);
		} else if (!strcmp(argv[k], "--only") && k + 1 < argc) {
			only = argv[++k];
			if (strcmp(only, "polled") && strcmp(only, "blocking") &&
			    strcmp(only, "fd") && strcmp(only, "batch")) {
				fprintf(stderr,
					"bench fault: --only wants polled, blocking, fd or batch: '%s'\n",
					only);
				return 2;
			}
		} else if (!strcmp(argv[k], "--placement") && k + 1 < argc) {
			placement = argv[++k];
			if (strcmp(placement, "same") && strcmp(placement, "cross")) {
				fprintf(stderr,
					"bench fault: --placement wants same or cross: '%s'\n",
					placement);
				return 2;
			}
		} else if (!strcmp(argv[k], "--reps") && k + 1 < argc) {
			reps = atoi(argv[++k]);
			if (reps < 1 || reps > 16) {
				fprintf(stderr, "bench fault: --reps wants 1 to 16: '%s'\n",
					argv[k]);
				return 2;
			}
		} else if (!strcmp(argv[k], "--cpus") && k + 1 < argc) {
			if (sscanf(argv[++k], "%d,%d", &a, &b) != 2 || a < 0 || b < 0 ||
			    a >= CPU_SETSIZE || b >= CPU_SETSIZE || a == b) {
				fprintf(stderr,
					"bench fault: --cpus wants two different CPUs A,B: '%s'\n",
					argv[k]);
				return 2;
			}
		} else {
			fprintf(stderr,
				"usage: %s [--iters N] [--reps R] [--cpus A,B] [--only WAY] [--placement same|cross] [--json]\n",
				argv[0]);
			return 2;
		}
	}
	if (iters < 1)
		iters = 1;
	if (a < 0)
		two_cpus(&a, &b);
	printf("page fault round trip on the sim, %ld rounds, threads pinned (cpus %d and %d), %d repetitions\n",
	       iters, a, b, reps);
	for (r = 0; r < reps; r++) {
		printf(" repetition %d\n", r + 1);
		memset(&same[r], 0, sizeof(same[r]));
		if (!placement || !strcmp(placement, "same")) {
			measure(&same[r], iters, a, a);
			print_rep("same core", &same[r]);
		}
		if (b >= 0 && (!placement || !strcmp(placement, "cross"))) {
			measure(&cross[r], iters, a, b);
			print_rep("two cores", &cross[r]);
		}
	}
	ms = (struct figs){ MED(same, fd),      MED(same, epoll_pp),  MED(same, polled),
			    MED(same, spin_pp), MED(same, blocking),  MED(same, batch),
			    MED(same, inl),     MED(same, inl_batch), MED(same, batch_runs) };
	mc = (struct figs){ MED(cross, fd),      MED(cross, epoll_pp),  MED(cross, polled),
			    MED(cross, spin_pp), MED(cross, blocking),  MED(cross, batch),
			    MED(cross, inl),     MED(cross, inl_batch), MED(cross, batch_runs) };
	printf(" median of %d\n", reps);
	print_rep("same core", &ms);
	if (b >= 0)
		print_rep("two cores", &mc);
	if (json) {
		const struct figs *m = b >= 0 ? &mc : &ms;

		printf("{\"rounds\":%ld,\"reps\":%d,\"roundtrip_ns\":%.0f,\"pingpong_ns\":%.0f,"
		       "\"roundtrip_ratio\":%.2f,\"faults_per_s\":%.0f,"
		       "\"roundtrip_same_core_ns\":%.0f,\"pingpong_same_core_ns\":%.0f,"
		       "\"roundtrip_same_core_ratio\":%.2f,\"roundtrip_cross_core_ns\":%.0f,"
		       "\"pingpong_cross_core_ns\":%.0f,\"roundtrip_cross_core_ratio\":%.2f",
		       iters, reps, m->fd, m->epoll_pp, ratio(m->fd, m->epoll_pp), 1e9 / m->fd,
		       ms.fd, ms.epoll_pp, ratio(ms.fd, ms.epoll_pp), mc.fd, mc.epoll_pp,
		       ratio(mc.fd, mc.epoll_pp));
		for (k = 0; k < 2; k++) {
			const struct figs *f = k ? &mc : &ms;
			const char *sfx = k ? "cross_core" : "same_core";

			printf(",\"polled_%s_ns\":%.0f,\"spin_pingpong_%s_ns\":%.0f,"
			       "\"polled_%s_ratio\":%.2f,\"blocking_%s_ns\":%.0f,"
			       "\"epoll_pingpong_%s_ns\":%.0f,\"blocking_%s_ratio\":%.2f,"
			       "\"batch64_%s_faults_per_s\":%.0f,\"inline_%s_ns\":%.0f,"
			       "\"handoff_%s_ns\":%.0f,\"handoff_%s_ratio\":%.2f,"
			       "\"inline_batch64_%s_faults_per_s\":%.0f,"
			       "\"batch64_runs_%s_faults_per_s\":%.0f",
			       sfx, f->polled, sfx, f->spin_pp, sfx, ratio(f->polled, f->spin_pp),
			       sfx, f->blocking, sfx, f->epoll_pp, sfx,
			       ratio(f->blocking, f->epoll_pp), sfx,
			       f->batch > 0 ? 1e9 / f->batch : 0, sfx, f->inl, sfx,
			       f->polled - f->inl, sfx, ratio(f->polled - f->inl, f->spin_pp), sfx,
			       f->inl_batch > 0 ? 1e9 / f->inl_batch : 0, sfx,
			       f->batch_runs > 0 ? 1e9 / f->batch_runs : 0);
		}
		printf("}\n");
	}
	return 0;
}
