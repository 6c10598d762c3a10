/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The translation benchmark (translate.c): what its files share. The
 * IOTLB phases (hits, invalidations, against a hash-table baseline) are
 * translate-iotlb.c's, the walks (one stage, nested per model)
 * translate-walk.c's, DMA through the public API translate-dma.c's;
 * translate.c holds the options, the reporting and main.
 */
#ifndef IOASID_BENCH_TRANSLATE_H
#define IOASID_BENCH_TRANSLATE_H

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/mman.h>

#include <ioasid/ioasid.h>

#include "backend/sim/iotlb.h"
#include "backend/sim/pgtable.h"

#define K4 SIM_PT_SZ_4K
#define M2 SIM_PT_SZ_2M
#define G1 SIM_PT_SZ_1G
#define DOM 1
#define PASID 5

extern uint64_t rng;

static inline uint64_t xorshift(uint64_t x)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

static inline uint64_t rnd(void)
{
	return rng = xorshift(rng);
}

/* CPU time of this thread: preemption does not count. */
double tr_cpu_ns(void);

/*
 * Run @body (a statement doing @per_round units of work) @rounds times and
 * set @best to the CPU nanoseconds per unit of the fastest round.
 */
#define BEST_OF(best, rounds, per_round, body)                         \
	do {                                                           \
		unsigned int r_;                                       \
		(best) = 1e300;                                        \
		for (r_ = 0; r_ < (rounds); r_++) {                    \
			double t_ = tr_cpu_ns(), d_;                   \
			body;                                          \
			d_ = (tr_cpu_ns() - t_) / (double)(per_round); \
			if (d_ < (best))                               \
				(best) = d_;                           \
		}                                                      \
	} while (0)

void tr_die(const char *what, int err);
void *tr_xmalloc(size_t n);
void *tr_xaligned(size_t align, size_t n);

/* A walk of one table format against its own chase, in the same run. */
struct walk_fig {
	double walk_ns, chase_ns;
	unsigned int reads;
	size_t table_bytes;
};

/*
 * A model's nesting: the guest's stage-1 format, the entry bits its guest
 * driver writes in table and leaf entries, and the nest parent's format.
 */
struct nest_model {
	const char *key; /* the JSON keys' infix; NULL for VT-d (the plain keys) */
	const char *name;
	enum sim_pt_format s1, s2;
	uint64_t nonleaf, leaf;
};

#define NR_NEST_MODELS 3
extern const struct nest_model nest_models[NR_NEST_MODELS];

struct inval {
	double page_ns, pasid_ns, all_ns;
	double base_page_ns, base_pasid_ns, base_all_ns;
	unsigned int cached;
};

struct dma_fig {
	double dma_4k_ns, memcpy_4k_ns, dma_2m_ns, memcpy_2m_ns;
};

/* The phases, each filling its figures (translate-iotlb.c, -walk.c, -dma.c). */
void tr_bench_hits(unsigned int rounds, uint64_t iters, double *hit_per_s, double *base_per_s,
		   unsigned int *cached);
void tr_bench_inval(unsigned int reps, struct inval *res);
void tr_bench_walk(enum sim_pt_format fmt, uint64_t space, unsigned int rounds, uint64_t samples,
		   struct walk_fig *fig);
double tr_bench_nested(const struct nest_model *m, uint64_t space, unsigned int rounds,
		       uint64_t samples, unsigned int *reads);
void tr_bench_dma(const char *spec, unsigned int rounds, unsigned int n4k, unsigned int n2m,
		  struct dma_fig *f);

#endif
