/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmark: what libioasid adds to a map and an unmap on the iommufd
 * backend, against the raw IOMMU_IOAS_MAP / IOMMU_IOAS_UNMAP ioctls on the
 * same /dev/iommu in the same run. Needs /dev/iommu (run it in the VM:
 * tests/vm/run.sh bench).
 *
 *   iommufd-map [--iters N] [--pages P] [--rounds R] [--attach CDEV] [--json]
 *
 * Each round maps N areas of P pages at ascending fixed IOVAs and unmaps
 * them again, once through the library (ioasid_ioas_map/unmap on an IOAS
 * of the context) and once raw (on a second kernel IOAS of the same fd),
 * alternating which goes first; the figure of each side is its median
 * round. With --attach the device CDEV is attached to both IOASes in turn
 * (a real domain: the kernel then also writes IOMMU page tables), else the
 * IOASes have no domain and the kernel work is the pinning and its
 * bookkeeping.
 *
 * With --json the last line of stdout is one JSON object: lib_map_ns,
 * raw_map_ns, lib_unmap_ns, raw_unmap_ns (per operation, median round),
 * overhead_ratio (library map+unmap time / raw map+unmap time; the target
 * is <= 1.05), iters, pages, rounds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <ioasid/ioasid.h>

#include "linux/uapi.h"

#define BASE 0x1000000ull

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(struct ioasid_ctx *ctx, const char *what, int err)
{
	fprintf(stderr, "bench iommufd-map: %s: %d (%s): %s\n", what, err, ioasid_strerrno(err),
		ctx ? ioasid_ctx_errmsg(ctx) : ioasid_last_errmsg());
	exit(1);
}

#define FL (IOASID_MAP_FIXED_IOVA | IOASID_MAP_READ | IOASID_MAP_WRITE)

/* The run: its options, the context and its IOAS, the raw IOAS, the memory. */
struct bench {
	uint32_t iters, pages, rounds;
	const char *attach; /* the device's cdev, or NULL */
	int json;
	struct ioasid_ctx *ctx;
	int fd; /* the context's /dev/iommu */
	uint32_t ioas, kraw, dev;
	uint64_t len; /* of one area */
	uint8_t *buf;
};

/* The options; 0, or 2 (usage). */
static int parse_args(struct bench *b, int argc, char **argv)
{
	uint32_t i;

	for (i = 1; i < (uint32_t)argc; i++) {
		if (!strcmp(argv[i], "--json"))
			b->json = 1;
		else if (!strcmp(argv[i], "--iters") && i + 1 < (uint32_t)argc)
			b->iters = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--pages") && i + 1 < (uint32_t)argc)
			b->pages = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < (uint32_t)argc)
			b->rounds = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--attach") && i + 1 < (uint32_t)argc)
			b->attach = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--iters N] [--pages P] [--rounds R] [--attach CDEV] [--json]\n",
				argv[0]);
			return 2;
		}
	}
	return !b->iters || !b->pages || !b->rounds ? 2 : 0;
}

/* The context, both IOASes, the memory (faulted in), the device if any. */
static void setup(struct bench *b)
{
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
	struct ku_iommu_ioas_alloc a = { .size = sizeof(a) };
	int err;

	b->len = b->pages * pg;
	err = ioasid_ctx_open("iommufd", NULL, &b->ctx);
	if (err)
		die(NULL, "open iommufd", err);
	/* both sides pay the same kernel accounting: lift the library's limit */
	ioasid_ctx_set_pinned_limit(b->ctx, UINT64_MAX);
	if ((err = ioasid_ctx_fd(b->ctx, &b->fd)) || (err = ioasid_ioas_alloc(b->ctx, &b->ioas)))
		die(b->ctx, "setup", err);
	if (ioctl(b->fd, KU_IOMMU_IOAS_ALLOC, &a))
		die(b->ctx, "raw IOAS_ALLOC", -errno);
	b->kraw = a.out_ioas_id;
	b->buf = mmap(NULL, b->len * b->iters, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	if (b->buf == MAP_FAILED)
		die(b->ctx, "mmap", -errno);
	memset(b->buf, 1, b->len * b->iters); /* fault everything in once */
	if (b->attach && (err = ioasid_dev_bind(b->ctx, b->attach, &b->dev)))
		die(b->ctx, "bind", err);
}

/* With --attach, the device follows the side being measured. */
static void attach_side(struct bench *b, int lib)
{
	struct ku_vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at), .pt_id = b->kraw };
	uint32_t cur;
	int dfd, err;

	if (lib) {
		if (!ioasid_dev_attached(b->ctx, b->dev, IOASID_PASID_NONE, &cur))
			ioasid_dev_detach(b->ctx, b->dev, IOASID_PASID_NONE);
		/* the raw attach went around the library: re-attach through it */
		if ((err = ioasid_dev_attach(b->ctx, b->dev, IOASID_PASID_NONE, b->ioas, NULL)))
			die(b->ctx, "attach", err);
	} else {
		ioasid_dev_fd(b->ctx, b->dev, &dfd);
		if (ioctl(dfd, KU_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at))
			die(b->ctx, "raw attach", -errno);
	}
}

/* One round through the library: ns per map and per unmap. */
static void lib_round(const struct bench *b, double *map_ns, double *unmap_ns)
{
	struct ioasid_ctx *ctx = b->ctx;
	uint64_t len = b->len, iova;
	uint32_t i, iters = b->iters;
	double t;
	int err;

	t = now_ns();
	for (i = 0; i < iters; i++) {
		iova = BASE + i * len;
		err = ioasid_ioas_map(ctx, b->ioas, b->buf + i * len, len, FL, &iova);
		if (err)
			die(ctx, "map", err);
	}
	*map_ns = (now_ns() - t) / iters;
	t = now_ns();
	for (i = 0; i < iters; i++) {
		err = ioasid_ioas_unmap(ctx, b->ioas, BASE + i * len, len, NULL);
		if (err)
			die(ctx, "unmap", err);
	}
	*unmap_ns = (now_ns() - t) / iters;
}

/* One round of raw ioctls on the second kernel IOAS: ns per map and per unmap. */
static void raw_round(const struct bench *b, double *map_ns, double *unmap_ns)
{
	uint64_t len = b->len;
	uint32_t i, iters = b->iters;
	struct ku_iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = KU_IOMMU_IOAS_MAP_FIXED_IOVA | KU_IOMMU_IOAS_MAP_READABLE |
			 KU_IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = b->kraw,
		.length = len,
	};
	struct ku_iommu_ioas_unmap u = {
		.size = sizeof(u),
		.ioas_id = b->kraw,
		.length = len,
	};
	double t;

	t = now_ns();
	for (i = 0; i < iters; i++) {
		m.user_va = (uintptr_t)(b->buf + i * len);
		m.iova = BASE + i * len;
		if (ioctl(b->fd, KU_IOMMU_IOAS_MAP, &m))
			die(b->ctx, "raw map", -errno);
	}
	*map_ns = (now_ns() - t) / iters;
	t = now_ns();
	for (i = 0; i < iters; i++) {
		u.iova = BASE + i * len;
		u.length = len;
		if (ioctl(b->fd, KU_IOMMU_IOAS_UNMAP, &u))
			die(b->ctx, "raw unmap", -errno);
	}
	*unmap_ns = (now_ns() - t) / iters;
}

/* The medians of each side, as a table and with --json as one JSON line. */
static void report(const struct bench *b, double *lm, double *lu, double *rm, double *ru)
{
	double a = median(lm, b->rounds), bm = median(rm, b->rounds);
	double c = median(lu, b->rounds), d = median(ru, b->rounds);
	double ratio = (a + c) / (bm + d);

	printf("iommufd map/unmap, %u areas of %u page(s), %u rounds, %s\n", b->iters, b->pages,
	       b->rounds, b->attach ? "device attached (real domain)" : "no domain");
	printf("  %-10s %12s %12s\n", "", "libioasid", "raw ioctl");
	printf("  %-10s %12.0f %12.0f ns\n", "map", a, bm);
	printf("  %-10s %12.0f %12.0f ns\n", "unmap", c, d);
	printf("  overhead ratio (map+unmap) %.3f\n", ratio);
	if (b->json)
		printf("{\"iters\":%u,\"pages\":%u,\"rounds\":%u,\"attached\":%d,\"lib_map_ns\":%.0f,"
		       "\"raw_map_ns\":%.0f,\"lib_unmap_ns\":%.0f,\"raw_unmap_ns\":%.0f,"
		       "\"overhead_ratio\":%.4f}\n",
		       b->iters, b->pages, b->rounds, b->attach ? 1 : 0, a, bm, c, d, ratio);
}

int main(int argc, char **argv)
{
	struct bench b = { .iters = 2000, .pages = 1, .rounds = 11 };
	double *lm, *lu, *rm, *ru;
	uint32_t r;
	int side;

	if (parse_args(&b, argc, argv))
		return 2;
	setup(&b);
	lm = calloc(b.rounds, sizeof(double));
	lu = calloc(b.rounds, sizeof(double));
	rm = calloc(b.rounds, sizeof(double));
	ru = calloc(b.rounds, sizeof(double));
	for (r = 0; r < b.rounds; r++) {
		for (side = 0; side < 2; side++) {
			int lib = (side + r) % 2 == 0;

			if (b.attach)
				attach_side(&b, lib);
			if (lib)
				lib_round(&b, &lm[r], &lu[r]);
			else
				raw_round(&b, &rm[r], &ru[r]);
		}
	}
	report(&b, lm, lu, rm, ru);
	if (b.attach) {
		uint32_t cur;

		if (!ioasid_dev_attached(b.ctx, b.dev, IOASID_PASID_NONE, &cur))
			ioasid_dev_detach(b.ctx, b.dev, IOASID_PASID_NONE);
	}
	free(lm);
	free(lu);
	free(rm);
	free(ru);
	ioasid_ctx_close(b.ctx);
	return 0;
}
