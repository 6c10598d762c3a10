/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmark: mapping guest RAM of several GiB (issue 14, item 4). A VMM
 * backs guest memory with a memfd and maps it for DMA in one piece; with a
 * device attached the IOAS pins, so the library checks that the memory
 * could be pinned (pin-check.c) and the sim builds its page table. The
 * library's time per GiB is set next to the cost of touching the same
 * memory once (one write per 4 KiB page of a fresh memfd: the page faults
 * and zeroing any VMM pays before its guest runs), measured in the same
 * run.
 *
 *   bigmap [--sizes MiB,MiB,...] [--touch-max MiB] [--reps N] [--quick] [--json]
 *
 * Default sizes 1024, 4096 and 16384 MiB. Guest memory is mapped
 * MAP_SHARED | MAP_NORESERVE at a 2 MiB aligned address and never touched
 * by the benchmark, so a size costs no RAM unless the library touches it.
 * Touching is measured on at most --touch-max MiB (default 1024) and scaled
 * linearly to the larger sizes (the key says so: touch_scaled).
 * Times are thread CPU time (user and kernel, so the page faults count):
 * the machine this runs on is shared, and wall time there measures the
 * neighbours as much as the work.
 * With --json the last line of stdout is one JSON object; keys of each
 * size are prefixed by it ("m1024_map_ns_per_gib").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <ioasid/ioasid.h>

#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define ALIGN_2M (2 * MIB)
#define IOVA_BASE (4 * GIB)

static void die(const char *what, int err, struct ioasid_ctx *ctx)
{
	fprintf(stderr, "bench bigmap: %s: %d (%s): %s\n", what, err, ioasid_strerrno(err),
		ctx ? ioasid_ctx_errmsg(ctx) : "");
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* A memfd of @len bytes mapped shared at a 2 MiB aligned address. */
static uint8_t *guest_ram(uint64_t len, int *ret_fd)
{
	uint8_t *resv, *p;
	uintptr_t a;
	int fd = memfd_create("bench-guest-ram", MFD_CLOEXEC);

	if (fd < 0)
		die("memfd_create", -errno, NULL);
	if (ftruncate(fd, (off_t)len))
		die("ftruncate", -errno, NULL);
	/* reserve room to align, then put the memfd at the aligned spot */
	resv = mmap(NULL, len + ALIGN_2M, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		    -1, 0);
	if (resv == MAP_FAILED)
		die("mmap reserve", -errno, NULL);
	a = ((uintptr_t)resv + ALIGN_2M - 1) & ~(uintptr_t)(ALIGN_2M - 1);
	if (a > (uintptr_t)resv)
		munmap(resv, a - (uintptr_t)resv);
	munmap((void *)(a + len), (uintptr_t)resv + ALIGN_2M - a);
	p = mmap((void *)a, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_NORESERVE, fd,
		 0);
	if (p == MAP_FAILED)
		die("mmap memfd", -errno, NULL);
	*ret_fd = fd;
	return p;
}

static void guest_ram_free(uint8_t *p, uint64_t len, int fd)
{
	munmap(p, len);
	close(fd);
}

/* ns to touch @len bytes of fresh memfd memory once: one write a page. */
static double touch_ns(uint64_t len)
{
	long pg = sysconf(_SC_PAGESIZE);
	int fd;
	uint8_t *p = guest_ram(len, &fd);
	uint64_t o;
	double t = now_ns();

	for (o = 0; o < len; o += (uint64_t)pg)
		p[o] = 1;
	t = now_ns() - t;
	guest_ram_free(p, len, fd);
	return t;
}

struct result {
	uint64_t mib;
	double map_ns, unmap_ns, touch_ns;
	bool touch_scaled;
};

/* Map and unmap @mib MiB @reps times through an IOAS with a device attached; best of each. */
static void measure(struct result *r, unsigned reps)
{
	uint64_t len = r->mib * MIB, iova, unmapped;
	struct ioasid_ctx *ctx;
	uint32_t ioas, dev;
	uint8_t *ram;
	unsigned i;
	int fd, err;

	err = ioasid_ctx_open("sim", NULL, &ctx);
	if (err)
		die("open", err, NULL);
	ioasid_ctx_set_pinned_limit(ctx, UINT64_MAX);
	if ((err = ioasid_ioas_alloc(ctx, &ioas)) || (err = ioasid_dev_bind(ctx, "sim1", &dev)) ||
	    (err = ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, ioas, NULL)))
		die("setup", err, ctx);
	ram = guest_ram(len, &fd);
	r->map_ns = r->unmap_ns = 0;
	for (i = 0; i < reps; i++) {
		double t0, t1, t2;

		iova = IOVA_BASE;
		t0 = now_ns();
		err = ioasid_ioas_map(ctx, ioas, ram, len,
				      IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA,
				      &iova);
		t1 = now_ns();
		if (err)
			die("map", err, ctx);
		err = ioasid_ioas_unmap(ctx, ioas, iova, len, &unmapped);
		t2 = now_ns();
		if (err)
			die("unmap", err, ctx);
		if (!i || t1 - t0 < r->map_ns)
			r->map_ns = t1 - t0;
		if (!i || t2 - t1 < r->unmap_ns)
			r->unmap_ns = t2 - t1;
	}
	ioasid_ctx_close(ctx);
	guest_ram_free(ram, len, fd);
}

int main(int argc, char **argv)
{
	uint64_t sizes[8] = { 1024, 4096, 16384 }, touch_max = 1024;
	unsigned nsizes = 3, reps = 3, i;
	struct result res[8];
	double touch_per_mib = 0, touch_at = 0;
	bool json = false;

	for (i = 1; i < (unsigned)argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--quick")) {
			sizes[0] = 64;
			nsizes = 1;
			touch_max = 64;
		} else if (!strcmp(argv[i], "--sizes") && i + 1 < (unsigned)argc) {
			char *s = argv[++i], *end;

			for (nsizes = 0; nsizes < 8 && *s; s = *end ? end + 1 : end) {
				sizes[nsizes++] = strtoull(s, &end, 0);
				if (end == s)
					break;
			}
		} else if (!strcmp(argv[i], "--touch-max") && i + 1 < (unsigned)argc) {
			touch_max = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--reps") && i + 1 < (unsigned)argc) {
			reps = (unsigned)strtoul(argv[++i], NULL, 0);
		} else {
			fprintf(stderr,
				"usage: %s [--sizes MiB,...] [--touch-max MiB] [--reps N] [--quick] [--json]\n",
				argv[0]);
			return 2;
		}
	}
	for (i = 0; i < nsizes; i++) {
		if (!sizes[i] || sizes[i] % 2) {
			fprintf(stderr,
				"bench bigmap: size %llu MiB: sizes must be a non-zero multiple of 2 MiB\n",
				(unsigned long long)sizes[i]);
			return 2;
		}
	}
	if (!reps || !touch_max) {
		fprintf(stderr, "bench bigmap: --reps and --touch-max must be at least 1\n");
		return 2;
	}

	for (i = 0; i < nsizes; i++) {
		struct result *r = &res[i];

		r->mib = sizes[i];
		measure(r, reps);
		if (r->mib <= touch_max) {
			r->touch_ns = touch_ns(r->mib * MIB);
			r->touch_scaled = false;
			if (r->mib > touch_at) {
				touch_at = (double)r->mib;
				touch_per_mib = r->touch_ns / r->mib;
			}
		} else {
			r->touch_scaled = true;
		}
	}
	if (!touch_at) {
		touch_at = (double)touch_max;
		touch_per_mib = touch_ns(touch_max * MIB) / touch_max;
	}
	printf("mapping guest RAM (memfd, 2 MiB aligned) with a device attached on the sim; "
	       "touching measured on %.0f MiB\n",
	       touch_at);
	printf("  %8s %14s %14s %16s %14s %10s\n", "MiB", "map ms", "unmap ms", "map ms/GiB",
	       "touch ms/GiB", "map/touch");
	for (i = 0; i < nsizes; i++) {
		struct result *r = &res[i];
		double gib = (double)r->mib / 1024;

		if (r->touch_scaled)
			r->touch_ns = touch_per_mib * r->mib;
		printf("  %8llu %14.3f %14.3f %16.3f %14.1f %9.4f%%%s\n",
		       (unsigned long long)r->mib, r->map_ns / 1e6, r->unmap_ns / 1e6,
		       r->map_ns / gib / 1e6, r->touch_ns / gib / 1e6,
		       100 * r->map_ns / r->touch_ns, r->touch_scaled ? " (touch scaled)" : "");
	}
	if (json) {
		printf("{\"touch_measured_mib\":%.0f,\"touch_ns_per_gib\":%.0f", touch_at,
		       touch_per_mib * 1024);
		for (i = 0; i < nsizes; i++) {
			struct result *r = &res[i];
			double gib = (double)r->mib / 1024;
			char p[32];

			snprintf(p, sizeof(p), "m%llu_", (unsigned long long)r->mib);
			printf(",\"%smap_ns\":%.0f,\"%sunmap_ns\":%.0f,\"%smap_ns_per_gib\":%.0f,"
			       "\"%sunmap_ns_per_gib\":%.0f,\"%stouch_ns\":%.0f,\"%stouch_scaled\":%d,"
			       "\"%smap_vs_touch_ratio\":%.6f",
			       p, r->map_ns, p, r->unmap_ns, p, r->map_ns / gib, p,
			       r->unmap_ns / gib, p, r->touch_ns, p, r->touch_scaled, p,
			       r->map_ns / r->touch_ns);
		}
		printf("}\n");
	}
	return 0;
}
