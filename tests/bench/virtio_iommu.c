/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmark: virtio-iommu MAP and UNMAP requests through the decoder, on
 * the sim, against the same operations through the plain API in the same
 * run (the baseline: what a VMM that already knew the host address would
 * call).
 *
 *   virtio_iommu [--iters N] [--rounds N] [--quick] [--json]
 *
 * One endpoint (sim1) in one domain; each iteration maps one 4 KiB page of
 * guest memory at its own IOVA and unmaps it again, cycling over 256
 * pages. Request side: the guest's bytes are written into a request buffer
 * split as a split virtqueue presents it (readable part, then a separate
 * 4-byte writable tail) and handed to ioasid_virtio_iommu_request(); the status
 * is checked. API side: ioasid_ioas_map(FIXED) + ioasid_ioas_unmap() on
 * the same address space with the same host addresses. The two sides
 * alternate in rounds (and in which goes first) and each keeps its fastest
 * round, so drift of the machine hits both alike.
 *
 * With --json the last line of stdout is one JSON object:
 *   request_per_s  requests (MAP or UNMAP) handled per second
 *   request_ns     ns per request through the decoder
 *   api_ns         ns per plain-API call (map or unmap)
 *   request_overhead_ratio = request_ns / api_ns (target <= 1.3)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <ioasid/ioasid.h>
#include <ioasid/virtio-iommu.h>

#define PG 4096ull
#define PAGES 256u
#define RAM_GPA 0x80000000ull
#define IOVA_BASE 0x1000000ull

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what, int err, struct ioasid_ctx *ctx)
{
	fprintf(stderr, "bench virtio_iommu: %s: %d (%s): %s\n", what, err, ioasid_strerrno(err),
		ctx ? ioasid_ctx_errmsg(ctx) : "");
	exit(1);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

struct bench {
	struct ioasid_ctx *ctx;
	struct ioasid_virtio_iommu *v;
	uint32_t ioas;
	uint8_t *ram;
};

/* One round through the decoder: @iters MAP + UNMAP pairs; ns per request. */
static double round_requests(struct bench *b, long iters)
{
	uint8_t map[36] = { IOASID_VIRTIO_IOMMU_T_MAP }, unmap[28] = { IOASID_VIRTIO_IOMMU_T_UNMAP };
	uint8_t tail[4];
	struct iovec rmap = { map, sizeof(map) }, runmap = { unmap, sizeof(unmap) };
	struct iovec wr = { tail, sizeof(tail) };
	size_t used;
	double t0;
	long i;
	int err;

	put32(map + 4, 1);
	put32(map + 32, IOASID_VIRTIO_IOMMU_MAP_F_READ | IOASID_VIRTIO_IOMMU_MAP_F_WRITE);
	put32(unmap + 4, 1);
	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		uint64_t n = (uint64_t)i % PAGES, iova = IOVA_BASE + n * PG;

		put64(map + 8, iova);
		put64(map + 16, iova + PG - 1);
		put64(map + 24, RAM_GPA + n * PG);
		err = ioasid_virtio_iommu_request(b->v, &rmap, 1, &wr, 1, &used);
		if (err || tail[0] != IOASID_VIRTIO_IOMMU_S_OK)
			die("MAP request", err ? err : -tail[0], b->ctx);
		put64(unmap + 8, iova);
		put64(unmap + 16, iova + PG - 1);
		err = ioasid_virtio_iommu_request(b->v, &runmap, 1, &wr, 1, &used);
		if (err || tail[0] != IOASID_VIRTIO_IOMMU_S_OK)
			die("UNMAP request", err ? err : -tail[0], b->ctx);
	}
	return (now_ns() - t0) / (2.0 * iters);
}

/* The same through the plain API; ns per call. */
static double round_api(struct bench *b, long iters)
{
	double t0 = now_ns();
	long i;
	int err;

	for (i = 0; i < iters; i++) {
		uint64_t n = (uint64_t)i % PAGES, iova = IOVA_BASE + n * PG;

		err = ioasid_ioas_map(b->ctx, b->ioas, b->ram + n * PG, PG,
				      IOASID_MAP_FIXED_IOVA | IOASID_MAP_READ | IOASID_MAP_WRITE,
				      &iova);
		if (err)
			die("ioasid_ioas_map", err, b->ctx);
		err = ioasid_ioas_unmap(b->ctx, b->ioas, iova, PG, NULL);
		if (err)
			die("ioasid_ioas_unmap", err, b->ctx);
	}
	return (now_ns() - t0) / (2.0 * iters);
}

/* The options; 0, or 2 (usage). */
static int parse_args(int argc, char **argv, long *iters, long *rounds, int *json)
{
	int k;

	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--json")) {
			*json = 1;
		} else if (!strcmp(argv[k], "--quick")) {
			*iters = 200;
			*rounds = 2;
		} else if (!strcmp(argv[k], "--iters") && k + 1 < argc) {
			*iters = strtol(argv[++k], NULL, 0);
		} else if (!strcmp(argv[k], "--rounds") && k + 1 < argc) {
			*rounds = strtol(argv[++k], NULL, 0);
		} else {
			fprintf(stderr, "usage: %s [--iters N] [--rounds N] [--quick] [--json]\n",
				argv[0]);
			return 2;
		}
	}
	if (*iters < 1 || *rounds < 1) {
		fprintf(stderr, "bench virtio_iommu: --iters and --rounds must be >= 1\n");
		return 2;
	}
	return 0;
}

/*
 * A sim context, guest RAM, and a virtio-iommu whose endpoint 1 (sim1) the
 * driver attached to domain 1; b->ioas is that domain's IOAS.
 */
static void setup(struct bench *b)
{
	struct ioasid_set_opts so = { .sz = sizeof(struct ioasid_set_opts), .max_ioas = 8 };
	uint8_t att[20] = { IOASID_VIRTIO_IOMMU_T_ATTACH }, tail[4];
	uint32_t dev, set;
	size_t used;
	int err;

	err = ioasid_ctx_open("sim", NULL, &b->ctx);
	if (err)
		die("ioasid_ctx_open", err, NULL);
	ioasid_ctx_set_pinned_limit(b->ctx, UINT64_MAX);
	b->ram = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->ram == MAP_FAILED)
		die("mmap", -errno, NULL);
	err = ioasid_dev_bind(b->ctx, "sim1", &dev);
	if (err)
		die("ioasid_dev_bind", err, b->ctx);
	err = ioasid_set_alloc(b->ctx, &so, &set);
	if (err)
		die("ioasid_set_alloc", err, b->ctx);
	{
		struct ioasid_virtio_iommu_mem mem = { .gpa = RAM_GPA,
						       .size = PAGES * PG,
						       .hva = b->ram };
		struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts), .set = set, .mem = &mem, .nr_mem = 1 };

		err = ioasid_virtio_iommu_new(b->ctx, &o, &b->v);
		if (err)
			die("ioasid_virtio_iommu_new", err, b->ctx);
	}
	err = ioasid_virtio_iommu_endpoint_add(b->v, 1, dev, NULL);
	if (!err)
		err = ioasid_virtio_iommu_set_driver_features(b->v,
							      ioasid_virtio_iommu_device_features(
								      b->v));
	if (err)
		die("endpoint / features", err, b->ctx);
	put32(att + 4, 1);
	put32(att + 8, 1);
	err = ioasid_virtio_iommu_request_buf(b->v, att, sizeof(att), tail, sizeof(tail), &used);
	if (err || tail[0] != IOASID_VIRTIO_IOMMU_S_OK)
		die("ATTACH request", err ? err : -tail[0], b->ctx);
	err = ioasid_virtio_iommu_domain_ioas(b->v, 1, &b->ioas);
	if (err)
		die("ioasid_virtio_iommu_domain_ioas", err, b->ctx);
}

int main(int argc, char **argv)
{
	long iters = 5000, rounds = 15, r;
	double req_best = 1e30, api_best = 1e30, ratio;
	struct bench b = { 0 };
	int json = 0;

	if (parse_args(argc, argv, &iters, &rounds, &json))
		return 2;
	setup(&b);

	/* warm-up: page tables and caches of both paths */
	round_requests(&b, iters / 4 + 1);
	round_api(&b, iters / 4 + 1);
	for (r = 0; r < rounds; r++) {
		double q, a;

		/* alternate which side goes first, so neither always runs on a warmer cache */
		if (r & 1) {
			a = round_api(&b, iters);
			q = round_requests(&b, iters);
		} else {
			q = round_requests(&b, iters);
			a = round_api(&b, iters);
		}

		req_best = q < req_best ? q : req_best;
		api_best = a < api_best ? a : api_best;
	}
	ratio = req_best / api_best;
	printf("virtio-iommu MAP/UNMAP, %ld pairs x %ld rounds (best round):\n", iters, rounds);
	printf("  through the decoder  %9.1f ns/request  %12.0f requests/s\n", req_best,
	       1e9 / req_best);
	printf("  plain API            %9.1f ns/call\n", api_best);
	printf("  overhead ratio       %9.3f (target <= 1.3)\n", ratio);
	if (json)
		printf("{\"request_per_s\": %.0f, \"request_ns\": %.1f, \"api_ns\": %.1f, "
		       "\"request_overhead_ratio\": %.3f, \"iters\": %ld, \"rounds\": %ld}\n",
		       1e9 / req_best, req_best, api_best, ratio, iters, rounds);
	ioasid_virtio_iommu_free(b.v);
	ioasid_ctx_close(b.ctx);
	munmap(b.ram, PAGES * PG);
	return 0;
}
