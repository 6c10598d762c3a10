/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the sim's nested-translation suites share (nested-fixture.c): a sim
 * context with sim0 (PRI, ATS, PASID) bound, 8 MiB of guest RAM that a
 * nest parent maps at guest-physical NF_GPA, and a VT-d first-stage table
 * the "guest" writes into that RAM: PML4, PDPT, PD and PT in its first
 * four pages, translating NF_GVA (PT entry 0) and the pages after it.
 */
#ifndef NESTED_FIXTURE_H
#define NESTED_FIXTURE_H

#include <stdint.h>

#include "helpers.h"
#include "backend/sim/pgtable.h"

#define NF_PG 4096ull
#define NF_MB (1ull << 20)
#define NF_GPA 0x10000000ull        /* guest RAM in the parent's IOAS */
#define NF_GVA 0x400000ull          /* the device's IOVA: PD entry 2, PT entry 0 */
#define NF_DATA (NF_GPA + 0x100000) /* where PT entry 0 points by default */
/* What Linux writes in every first-stage entry: requests are user-mode. */
#define NF_URW (SIM_FL_P | SIM_FL_RW | SIM_FL_US)

extern struct ioasid_ctx *nf_ctx;
extern uint32_t nf_ioas, nf_dev, nf_set;
extern uint8_t *nf_mem; /* guest RAM: GPA NF_GPA + x is nf_mem + x */

/* Checked fixture: the context, the IOAS, sim0, a set (PASIDs, queues), the RAM (zeroed). */
void nf_setup(void);
void nf_teardown(void);

/* The guest's table of @level (4: the root at NF_GPA ... 1: the PT). */
uint64_t *nf_table(unsigned int level);

/* Write the stage-1 tables: @table_bits in PML4/PDPT/PD, PT[0] = @leaf. */
void nf_build_s1(uint64_t table_bits, uint64_t leaf);

/*
 * Map the guest RAM at NF_GPA and make the nest parent over it (@flags:
 * more IOASID_HWPT_*). @huge_pages 0 turns the IOAS's huge pages off
 * first, so that stage 2 maps it in 4 KiB pages.
 */
uint32_t nf_parent(uint32_t flags, int huge_pages);

/*
 * A nested VT-d HWPT over @parent with stage-1 @s1_flags (IOASID_VTD_S1_*),
 * allocation @hwpt_flags, and fault queue @queue (0: none).
 */
uint32_t nf_nested(uint32_t parent, uint64_t s1_flags, uint32_t hwpt_flags, uint32_t queue);

/* Attach sim0 at a fresh PASID of nf_set to @hwpt; returns the PASID. */
uint32_t nf_attach_pasid(uint32_t hwpt);

/* Zero @bm (@words words) and read @hwpt's dirty bits of the guest RAM's first @len bytes. */
void nf_dirty(uint32_t hwpt, uint64_t len, uint64_t *bm, unsigned int words, uint32_t flags);

#endif
