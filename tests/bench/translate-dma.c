/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The translation benchmark (translate.c), DMA through the public API
 * against memcpy of the same size, per model.
 */
#include "translate.h"

/* ---- DMA through the public API against memcpy of the same size ---- */

static double now_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void dma_die(const char *what, int err, struct ioasid_ctx *ctx)
{
	fprintf(stderr, "bench translate: %s: %s: %s\n", what, ioasid_strerrno(err),
		ctx ? ioasid_ctx_errmsg(ctx) : "");
	exit(1);
}

/*
 * The fastest of @rounds rounds of @n copies of @len bytes, per copy. The
 * 4 KiB copies walk through 2 MiB of destination (512 pages), the way a
 * device's DMA walks through its buffers; memcpy does exactly the same
 * copies, so the ratio is the engine's cost on top of the copy.
 */
void tr_bench_dma(const char *spec, unsigned int rounds, unsigned int n4k, unsigned int n2m,
		  struct dma_fig *f)
{
	const uint64_t MB2 = UINT64_C(2) << 20;
	struct ioasid_ctx *ctx;
	uint8_t *raw, *mem, *src;
	uint32_t ioas, dev;
	unsigned int r, i;
	uint64_t io = 0x40000000;
	size_t done;
	int err;

	raw = mmap(NULL, 6 * MB2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		dma_die("mmap", -errno, NULL);
	mem = (uint8_t *)(((uintptr_t)raw + MB2 - 1) & ~(uintptr_t)(MB2 - 1));
	src = mem + 2 * MB2;
	memset(mem, 1, 4 * MB2);
	if ((err = ioasid_ctx_open(spec, NULL, &ctx)))
		dma_die("open", err, NULL);
	ioasid_ctx_set_pinned_limit(ctx, UINT64_MAX);
	if ((err = ioasid_ioas_alloc(ctx, &ioas)) ||
	    (err = ioasid_ioas_map(ctx, ioas, mem, 2 * MB2,
				   IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA,
				   &io)) ||
	    (err = ioasid_dev_bind(ctx, "sim1", &dev)) ||
	    (err = ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, ioas, NULL)))
		dma_die("set-up", err, ctx);
	f->dma_4k_ns = f->memcpy_4k_ns = f->dma_2m_ns = f->memcpy_2m_ns = 1e30;
	for (r = 0; r < rounds; r++) {
		double t;

		t = now_mono_ns();
		for (i = 0; i < n4k; i++)
			if ((err = ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE,
							0x40000000 + (i & 511) * 4096, src, 4096,
							&done)))
				dma_die("dma 4K", err, ctx);
		t = (now_mono_ns() - t) / n4k;
		f->dma_4k_ns = t < f->dma_4k_ns ? t : f->dma_4k_ns;
		t = now_mono_ns();
		for (i = 0; i < n4k; i++) {
			memcpy(mem + (i & 511) * 4096, src, 4096);
			__asm__ volatile("" ::: "memory");
		}
		t = (now_mono_ns() - t) / n4k;
		f->memcpy_4k_ns = t < f->memcpy_4k_ns ? t : f->memcpy_4k_ns;
		t = now_mono_ns();
		for (i = 0; i < n2m; i++)
			if ((err = ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, 0x40000000,
							src, MB2, &done)))
				dma_die("dma 2M", err, ctx);
		t = (now_mono_ns() - t) / n2m;
		f->dma_2m_ns = t < f->dma_2m_ns ? t : f->dma_2m_ns;
		t = now_mono_ns();
		for (i = 0; i < n2m; i++) {
			memcpy(mem, src, MB2);
			__asm__ volatile("" ::: "memory");
		}
		t = (now_mono_ns() - t) / n2m;
		f->memcpy_2m_ns = t < f->memcpy_2m_ns ? t : f->memcpy_2m_ns;
	}
	ioasid_ctx_close(ctx);
	munmap(raw, 6 * MB2);
}
