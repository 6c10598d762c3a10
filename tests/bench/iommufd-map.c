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

int main(int argc, char **argv)
{
	const uint32_t FL = IOASID_MAP_FIXED_IOVA | IOASID_MAP_READ | IOASID_MAP_WRITE;
	uint32_t iters = 2000, pages = 1, rounds = 11, r, i, ioas, dev = 0, kraw;
	const char *attach = NULL;
	struct ioasid_ctx *ctx = NULL;
	double *lm, *lu, *rm, *ru, t;
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE), len, iova;
	int json = 0, fd, err;
	uint8_t *buf;

	for (i = 1; i < (uint32_t)argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--iters") && i + 1 < (uint32_t)argc)
			iters = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--pages") && i + 1 < (uint32_t)argc)
			pages = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < (uint32_t)argc)
			rounds = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--attach") && i + 1 < (uint32_t)argc)
			attach = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--iters N] [--pages P] [--rounds R] [--attach CDEV] [--json]\n",
				argv[0]);
			return 2;
		}
	}
	if (!iters || !pages || !rounds)
		return 2;
	len = pages * pg;
	err = ioasid_ctx_open("iommufd", NULL, &ctx);
	if (err)
		die(NULL, "open iommufd", err);
	/* both sides pay the same kernel accounting: lift the library's limit */
	ioasid_ctx_set_pinned_limit(ctx, UINT64_MAX);
	if ((err = ioasid_ctx_fd(ctx, &fd)) || (err = ioasid_ioas_alloc(ctx, &ioas)))
		die(ctx, "setup", err);
	{
		struct ku_iommu_ioas_alloc a = { .size = sizeof(a) };

		if (ioctl(fd, KU_IOMMU_IOAS_ALLOC, &a))
			die(ctx, "raw IOAS_ALLOC", -errno);
		kraw = a.out_ioas_id;
	}
	buf = mmap(NULL, len * iters, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die(ctx, "mmap", -errno);
	memset(buf, 1, len * iters); /* fault everything in once */
	if (attach && (err = ioasid_dev_bind(ctx, attach, &dev)))
		die(ctx, "bind", err);

	lm = calloc(rounds, sizeof(double));
	lu = calloc(rounds, sizeof(double));
	rm = calloc(rounds, sizeof(double));
	ru = calloc(rounds, sizeof(double));
	for (r = 0; r < rounds; r++) {
		int side;

		for (side = 0; side < 2; side++) {
			int lib = (side + r) % 2 == 0;

			if (attach) {
				/* the device follows the side being measured */
				struct ku_vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at), .pt_id = kraw };
				int dfd;

				if (lib) {
					uint32_t cur;

					if (!ioasid_dev_attached(ctx, dev, IOASID_PASID_NONE, &cur))
						ioasid_dev_detach(ctx, dev, IOASID_PASID_NONE);
					/* the raw attach went around the library: re-attach through it */
					if ((err = ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, ioas, NULL)))
						die(ctx, "attach", err);
				} else {
					ioasid_dev_fd(ctx, dev, &dfd);
					if (ioctl(dfd, KU_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at))
						die(ctx, "raw attach", -errno);
				}
			}
			if (lib) {
				t = now_ns();
				for (i = 0; i < iters; i++) {
					iova = BASE + i * len;
					err = ioasid_ioas_map(ctx, ioas, buf + i * len, len, FL, &iova);
					if (err)
						die(ctx, "map", err);
				}
				lm[r] = (now_ns() - t) / iters;
				t = now_ns();
				for (i = 0; i < iters; i++) {
					err = ioasid_ioas_unmap(ctx, ioas, BASE + i * len, len, NULL);
					if (err)
						die(ctx, "unmap", err);
				}
				lu[r] = (now_ns() - t) / iters;
			} else {
				struct ku_iommu_ioas_map m = {
					.size = sizeof(m),
					.flags = KU_IOMMU_IOAS_MAP_FIXED_IOVA | KU_IOMMU_IOAS_MAP_READABLE |
						 KU_IOMMU_IOAS_MAP_WRITEABLE,
					.ioas_id = kraw,
					.length = len,
				};
				struct ku_iommu_ioas_unmap u = {
					.size = sizeof(u), .ioas_id = kraw, .length = len,
				};

				t = now_ns();
				for (i = 0; i < iters; i++) {
					m.user_va = (uintptr_t)(buf + i * len);
					m.iova = BASE + i * len;
					if (ioctl(fd, KU_IOMMU_IOAS_MAP, &m))
						die(ctx, "raw map", -errno);
				}
				rm[r] = (now_ns() - t) / iters;
				t = now_ns();
				for (i = 0; i < iters; i++) {
					u.iova = BASE + i * len;
					u.length = len;
					if (ioctl(fd, KU_IOMMU_IOAS_UNMAP, &u))
						die(ctx, "raw unmap", -errno);
				}
				ru[r] = (now_ns() - t) / iters;
			}
		}
	}
	{
		double a = median(lm, rounds), b = median(rm, rounds);
		double c = median(lu, rounds), d = median(ru, rounds);
		double ratio = (a + c) / (b + d);

		printf("iommufd map/unmap, %u areas of %u page(s), %u rounds, %s\n", iters, pages, rounds,
		       attach ? "device attached (real domain)" : "no domain");
		printf("  %-10s %12s %12s\n", "", "libioasid", "raw ioctl");
		printf("  %-10s %12.0f %12.0f ns\n", "map", a, b);
		printf("  %-10s %12.0f %12.0f ns\n", "unmap", c, d);
		printf("  overhead ratio (map+unmap) %.3f\n", ratio);
		if (json)
			printf("{\"iters\":%u,\"pages\":%u,\"rounds\":%u,\"attached\":%d,\"lib_map_ns\":%.0f,"
			       "\"raw_map_ns\":%.0f,\"lib_unmap_ns\":%.0f,\"raw_unmap_ns\":%.0f,"
			       "\"overhead_ratio\":%.4f}\n",
			       iters, pages, rounds, attach ? 1 : 0, a, b, c, d, ratio);
	}
	if (attach) {
		uint32_t cur;

		if (!ioasid_dev_attached(ctx, dev, IOASID_PASID_NONE, &cur))
			ioasid_dev_detach(ctx, dev, IOASID_PASID_NONE);
	}
	free(lm);
	free(lu);
	free(rm);
	free(ru);
	ioasid_ctx_close(ctx);
	return 0;
}
