/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A VMM-like program for tests/cli/test-trace.sh: several threads map,
 * unmap and DMA on one sim context at once, so that what each call returns
 * (automatic IOVAs, bytes unmapped, DMAs that hit or miss) depends on the
 * order the library serialized the calls. Run with IOASID_TRACE=FILE, its
 * trace must replay with every step agreeing.
 *
 *   trace-vmm [THREADS [ITERATIONS]]
 *
 * Exit 0 when every call answered as this program expects of some order.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <ioasid/ioasid.h>

#define PG 4096ull

struct worker {
	struct ioasid_ctx *ctx;
	uint32_t ioas, dev;
	int idx, iters, errors;
	uint8_t *mem; /* 4 pages of its own */
};

static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t fixed = 0x100000000ull * (uint64_t)(w->idx + 1), n;
	uint8_t byte;
	size_t done;
	int i, err;

	for (i = 0; i < w->iters; i++) {
		uint64_t io = fixed + (uint64_t)(i % 16) * PG, got = 0;

		/* an automatic IOVA: which hole a thread gets depends on the others */
		if (ioasid_ioas_map(w->ctx, w->ioas, w->mem + (i % 4) * PG, PG, IOASID_MAP_READ,
				    &got))
			w->errors++;
		if (ioasid_ioas_map(w->ctx, w->ioas, w->mem, 2 * PG,
				    IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA, &io))
			w->errors++;
		/* the device writes through the fixed mapping, then reads another thread's */
		byte = (uint8_t)i;
		if (ioasid_sim_dma_write(w->ctx, w->dev, IOASID_PASID_NONE, io, &byte, 1, &done))
			w->errors++;
		err = ioasid_sim_dma_read(w->ctx, w->dev, IOASID_PASID_NONE,
					  0x100000000ull * (uint64_t)((w->idx + 1) % 4 + 1), &byte,
					  1, &done);
		if (err && err != -EFAULT)
			w->errors++;
		if (ioasid_ioas_unmap(w->ctx, w->ioas, got, PG, &n) || n != PG)
			w->errors++;
		if (ioasid_ioas_unmap(w->ctx, w->ioas, io, 2 * PG, &n) || n != 2 * PG)
			w->errors++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int nthreads = argc > 1 ? atoi(argv[1]) : 4, iters = argc > 2 ? atoi(argv[2]) : 200, i;
	struct worker w[16];
	pthread_t th[16];
	struct ioasid_ctx *ctx;
	uint32_t ioas, dev;
	uint8_t *mem;
	int errors = 0, err;

	if (nthreads < 1 || nthreads > 16 || iters < 1) {
		fprintf(stderr, "trace-vmm: THREADS is 1..16, ITERATIONS at least 1\n");
		return 2;
	}
	err = ioasid_ctx_open("sim:vtd", NULL, &ctx);
	if (err) {
		fprintf(stderr, "trace-vmm: %s\n", ioasid_last_errmsg());
		return 1;
	}
	mem = mmap(NULL, 16 * 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || ioasid_ioas_alloc(ctx, &ioas) ||
	    ioasid_dev_bind(ctx, "sim0", &dev) ||
	    ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, ioas, NULL)) {
		fprintf(stderr, "trace-vmm: setup: %s\n", ioasid_ctx_errmsg(ctx));
		return 1;
	}
	for (i = 0; i < nthreads; i++) {
		w[i] = (struct worker){ .ctx = ctx,
					.ioas = ioas,
					.dev = dev,
					.idx = i,
					.iters = iters,
					.mem = mem + (size_t)i * 4 * PG };
		if (pthread_create(&th[i], NULL, work, &w[i])) {
			fprintf(stderr, "trace-vmm: pthread_create failed\n");
			return 1;
		}
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		errors += w[i].errors;
	}
	ioasid_dev_detach(ctx, dev, IOASID_PASID_NONE);
	ioasid_dev_unbind(ctx, dev);
	ioasid_ioas_destroy(ctx, ioas);
	ioasid_ctx_close(ctx);
	munmap(mem, 16 * 4 * PG);
	if (errors)
		fprintf(stderr, "trace-vmm: %d calls answered unexpectedly\n", errors);
	return errors ? 1 : 0;
}
