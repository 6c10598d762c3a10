/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sim's AMD model, nested side: the kernel's checks of a guest DTE
 * (lib/vendor/amd.c, validate_gdte_nested() of drivers/iommu/amd/nested.c),
 * the GCR3 table and the guest's v2 tables in guest memory, every guest
 * table access translated by a v1 nest parent (lib/backend/sim/sim-amd.c).
 *
 * Every DTE word, GCR3 entry and page-table entry below is written by
 * hand, a byte at a time, from the AMD IOMMU specification's layouts (DTE
 * 2.2.2, GCR3 table 2.2.6, x86-64 paging entries), never by the code
 * under test.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <ioasid/ioasid.h>

#include "helpers.h"
#include "suites.h"
#include "pgtable-entries.h"
#include "backend/sim/sim-amd.h"
#include "backend/sim/sim-guard.h"

/* ---- guest DTEs ---- */

/* DTE word 0 */
#define D0_V (UINT64_C(1) << 0)
#define D0_TV (UINT64_C(1) << 1)
#define D0_PPR (UINT64_C(1) << 52)
#define D0_GIOV (UINT64_C(1) << 54)
#define D0_GV (UINT64_C(1) << 55)
#define D0_GLX(n) ((uint64_t)(n) << 56)
#define D0_IR (UINT64_C(1) << 61)
#define D0_IW (UINT64_C(1) << 62)
/* DTE word 2: GuestPagingMode, DTE bits 183:182 */
#define D2_GPT(n) ((uint64_t)(n) << 54)

/* The GCR3 root's three pieces: 14:12 at DTE 60:58, 30:15 at 95:80, 51:31 at 127:107. */
static void put_gcr3(uint64_t *dte, uint64_t root)
{
	dte[0] |= ((root >> 12) & 0x7) << 58;
	dte[1] |= ((root >> 15) & 0xffff) << 16;
	dte[1] |= ((root >> 31) & 0x1fffff) << 43;
}

static int gdte(const uint64_t *dte, unsigned int guest_levels, struct vendor_amd_gdte *g,
		struct vendor_err *e)
{
	memset(e, 0, sizeof(*e));
	return vendor_amd_gdte_check(dte, guest_levels, g, e);
}

START_TEST(test_gdte_fields)
{
	const uint64_t root = UINT64_C(0x000fedcba9876000);
	struct vendor_amd_gdte g;
	struct vendor_err e;
	uint64_t dte[4] = { 0 };

	/* what a guest driver writes: V, TV, GV, GLX 1, GIOV, PPR, IR/IW, DomID 0x2a */
	dte[0] = D0_V | D0_TV | D0_GV | D0_GLX(1) | D0_GIOV | D0_PPR | D0_IR | D0_IW;
	dte[1] = 0x2a;
	put_gcr3(dte, root);
	ck_assert_uint_eq(dte[0], UINT64_C(0x61d0000000000003) | (UINT64_C(6) << 58));
	ck_assert_int_eq(gdte(dte, 4, &g, &e), 0);
	ck_assert_uint_eq(g.gcr3_root, root);
	ck_assert_uint_eq(g.gcr3_levels, 2);
	ck_assert_uint_eq(g.gpt_levels, 4);
	ck_assert_uint_eq(g.gdom_id, 0x2a);
	ck_assert(g.giov && g.ppr);

	/* each piece of the root alone: bits 14:12, 30:15, 51:31 */
	memset(dte, 0, sizeof(dte));
	dte[0] = UINT64_C(5) << 58;
	ck_assert_int_eq(gdte(dte, 4, &g, &e), 0);
	ck_assert_uint_eq(g.gcr3_root, UINT64_C(0x5000));
	dte[0] = 0;
	dte[1] = UINT64_C(0x8001) << 16;
	ck_assert_int_eq(gdte(dte, 4, &g, &e), 0);
	ck_assert_uint_eq(g.gcr3_root, UINT64_C(0x40008000));
	dte[1] = UINT64_C(0x100001) << 43;
	ck_assert_int_eq(gdte(dte, 4, &g, &e), 0);
	ck_assert_uint_eq(g.gcr3_root, UINT64_C(0x8000080000000));
	ck_assert(!g.giov && !g.ppr);
	ck_assert_uint_eq(g.gcr3_levels, 1);

	/* GuestPagingMode 1: 5 levels where the host has them */
	memset(dte, 0, sizeof(dte));
	dte[2] = D2_GPT(1);
	ck_assert_int_eq(gdte(dte, 5, &g, &e), 0);
	ck_assert_uint_eq(g.gpt_levels, 5);
	/* fields the kernel ignores: word 3, the rest of word 2, DomID's neighbours */
	dte[2] |= UINT64_C(0x003fffffffffffff) | (UINT64_C(0xff) << 56);
	dte[3] = ~UINT64_C(0);
	ck_assert_int_eq(gdte(dte, 5, &g, &e), 0);
	ck_assert_uint_eq(g.gpt_levels, 5);
}
END_TEST

START_TEST(test_gdte_refused)
{
	struct vendor_amd_gdte g;
	struct vendor_err e;
	uint64_t dte[4] = { 0 };

	/* Mode (11:9) must be 0: the host owns the v1 table */
	dte[0] = UINT64_C(4) << 9;
	ck_assert_int_eq(gdte(dte, 5, &g, &e), -EINVAL);
	ck_assert_str_eq(e.reg, "dte[0]");
	ck_assert_ptr_nonnull(strstr(e.msg, "Mode 4"));
	/* the host table root (51:12) must be 0 */
	dte[0] = UINT64_C(0x1000);
	ck_assert_int_eq(gdte(dte, 5, &g, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "0x1000"));
	/* V and GV with a zero GCR3 root; either alone is fine */
	dte[0] = D0_V | D0_GV;
	ck_assert_int_eq(gdte(dte, 5, &g, &e), -EINVAL);
	ck_assert_str_eq(e.reg, "dte[1]");
	dte[0] = D0_V;
	ck_assert_int_eq(gdte(dte, 5, &g, &e), 0);
	dte[0] = D0_GV;
	ck_assert_int_eq(gdte(dte, 5, &g, &e), 0);
	dte[0] = D0_V | D0_GV | (UINT64_C(1) << 58); /* root 0x1000 */
	ck_assert_int_eq(gdte(dte, 5, &g, &e), 0);
	ck_assert_uint_eq(g.gcr3_root, 0x1000);
	/* GuestPagingMode 2 and 3 */
	dte[2] = D2_GPT(2);
	ck_assert_int_eq(gdte(dte, 5, &g, &e), -EINVAL);
	ck_assert_str_eq(e.reg, "dte[2]");
	dte[2] = D2_GPT(3);
	ck_assert_int_eq(gdte(dte, 5, &g, &e), -EINVAL);
	/* GLX 3; 2 is three levels */
	dte[2] = 0;
	dte[0] |= D0_GLX(3);
	ck_assert_int_eq(gdte(dte, 5, &g, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "GLX 3"));
	dte[0] &= ~D0_GLX(3);
	dte[0] |= D0_GLX(2);
	ck_assert_int_eq(gdte(dte, 5, &g, &e), 0);
	ck_assert_uint_eq(g.gcr3_levels, 3);
	/* 5 levels on a 4-level host: EOPNOTSUPP, after every EINVAL check */
	dte[2] = D2_GPT(1);
	ck_assert_int_eq(gdte(dte, 4, &g, &e), -EOPNOTSUPP);
	dte[0] |= D0_GLX(3);
	ck_assert_int_eq(gdte(dte, 4, &g, &e), -EINVAL);

	/* the kernel's order: Mode, host root, GCR3, paging mode, GLX */
	memset(dte, 0, sizeof(dte));
	dte[0] = (UINT64_C(1) << 9) | UINT64_C(0x2000) | D0_V | D0_GV | D0_GLX(3);
	dte[2] = D2_GPT(2);
	ck_assert_int_eq(gdte(dte, 5, &g, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "Mode 1"));
	dte[0] &= ~(UINT64_C(7) << 9);
	ck_assert_int_eq(gdte(dte, 5, &g, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "host page table root"));
	dte[0] &= ~UINT64_C(0x2000);
	ck_assert_int_eq(gdte(dte, 5, &g, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "zero GCR3"));
	dte[0] |= UINT64_C(1) << 58;
	ck_assert_int_eq(gdte(dte, 5, &g, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "GuestPagingMode 2"));
	dte[2] = 0;
	ck_assert_int_eq(gdte(dte, 5, &g, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "GLX 3"));
}
END_TEST

/* ---- guest memory behind a v1 nest parent ---- */

#define GBASE UINT64_C(0x10000000) /* guest-physical base of the guest RAM */
#define GSIZE (UINT64_C(4) << 20)
#define GPA(n) (GBASE + (uint64_t)(n)*4096)

static uint8_t *gram;         /* guest RAM: GPA(n) is gram + n * 4096 */
static struct sim_pt *parent; /* the nest parent's v1 table: GPA -> gram */
static struct sim_amd_parent pctx;
static struct sim_amd_gmem gm;

static uint64_t *gpage(unsigned int n)
{
	return (uint64_t *)(gram + (size_t)n * 4096);
}

static void gmem_setup(void)
{
	void *p = NULL;

	ck_assert_int_eq(sim_guard_init(), 0);
	ck_assert_int_eq(posix_memalign(&p, SIM_PT_SZ_2M, GSIZE), 0);
	gram = p;
	memset(gram, 0, GSIZE);
	parent = sim_pt_new(SIM_PT_AMD_V1, 4, ALLSZ);
	ck_assert_ptr_nonnull(parent);
	ck_assert_int_eq(sim_pt_map(parent, GBASE, (uint64_t)(uintptr_t)gram, GSIZE,
				    SIM_PT_R | SIM_PT_W),
			 0);
	sim_amd_parent_gmem(&pctx, parent, false, &gm);
}

static void gmem_teardown(void)
{
	sim_pt_free(parent);
	free(gram);
}

/* x86-64 entries: P 0, R/W 1, U/S 2, A 5, D 6, PS 7, XD 63 */
#define P UINT64_C(0x1)
#define RW UINT64_C(0x2)
#define US UINT64_C(0x4)
#define A UINT64_C(0x20)
#define D UINT64_C(0x40)
#define PS UINT64_C(0x80)
#define XD (UINT64_C(1) << 63)
#define GCR3_V UINT64_C(0x1)

#define IOVA UINT64_C(0x00007f1234567000)
#define PASID 5u

/* Guest v2 tables for IOVA: PML4 page 4, PDPT 5, PD 6, PT 7 -> data page 8. */
static void build_v2(uint64_t leaf)
{
	put(gpage(4), idx_of(IOVA, 4), GPA(5) | P | RW | US);
	put(gpage(5), idx_of(IOVA, 3), GPA(6) | P | RW | US);
	put(gpage(6), idx_of(IOVA, 2), GPA(7) | P | RW | US);
	put(gpage(7), idx_of(IOVA, 1), leaf);
}

/* One-level GCR3 table at page 0: PASID 5 -> CR3 page 4. */
static struct vendor_amd_gdte gdte_1(void)
{
	struct vendor_amd_gdte g = { .gcr3_root = GPA(0), .gcr3_levels = 1, .gpt_levels = 4 };

	put(gpage(0), PASID, GPA(4) | GCR3_V);
	return g;
}

START_TEST(test_gcr3_table)
{
	struct vendor_amd_gdte g = gdte_1();
	unsigned int reads = 0;
	uint64_t cr3 = 0;
	int err;

	ck_assert_int_eq(sim_amd_gcr3_lookup(&g, &gm, PASID, &cr3, &reads, &err), SIM_AMD_OK);
	ck_assert_uint_eq(cr3, GPA(4));
	ck_assert_uint_eq(reads, 1);
	/* bits beside V and 51:12 are not looked at */
	put(gpage(0), PASID, GPA(4) | GCR3_V | UINT64_C(0xfff0000000000ffe));
	ck_assert_int_eq(sim_amd_gcr3_lookup(&g, &gm, PASID, &cr3, &reads, &err), SIM_AMD_OK);
	ck_assert_uint_eq(cr3, GPA(4));
	/* V clear, and the neighbour never written */
	put(gpage(0), PASID, GPA(4));
	ck_assert_int_eq(sim_amd_gcr3_lookup(&g, &gm, PASID, &cr3, &reads, &err),
			 SIM_AMD_GCR3_INVALID);
	ck_assert_int_eq(sim_amd_gcr3_lookup(&g, &gm, PASID + 1, &cr3, &reads, &err),
			 SIM_AMD_GCR3_INVALID);
	/* one level indexes 9 PASID bits: 512 is beyond it */
	reads = 0;
	ck_assert_int_eq(sim_amd_gcr3_lookup(&g, &gm, 512, &cr3, &reads, &err), SIM_AMD_PASID_RANGE);
	ck_assert_uint_eq(reads, 0);

	/* two levels (GLX 1): PASID 0xe03 = root[7] -> page 3, page 3[3] -> CR3 page 4 */
	g.gcr3_root = GPA(2);
	g.gcr3_levels = 2;
	put(gpage(2), 7, GPA(3) | GCR3_V);
	put(gpage(3), 3, GPA(4) | GCR3_V);
	reads = 0;
	cr3 = 0;
	ck_assert_int_eq(sim_amd_gcr3_lookup(&g, &gm, 0xe03, &cr3, &reads, &err), SIM_AMD_OK);
	ck_assert_uint_eq(cr3, GPA(4));
	ck_assert_uint_eq(reads, 2);
	/* the upper level's entry not valid: stops there */
	put(gpage(2), 7, GPA(3));
	reads = 0;
	ck_assert_int_eq(sim_amd_gcr3_lookup(&g, &gm, 0xe03, &cr3, &reads, &err),
			 SIM_AMD_GCR3_INVALID);
	ck_assert_uint_eq(reads, 1);
	ck_assert_int_eq(sim_amd_gcr3_lookup(&g, &gm, 1u << 18, &cr3, &reads, &err),
			 SIM_AMD_PASID_RANGE);
	/* three levels (GLX 2) take 20-bit PASIDs */
	g.gcr3_levels = 3;
	put(gpage(2), 2, GPA(9) | GCR3_V);  /* PASID bits 26:18 = 2 */
	put(gpage(9), 7, GPA(3) | GCR3_V);  /* bits 17:9 = 7 */
	put(gpage(3), 3, GPA(10) | GCR3_V); /* bits 8:0 = 3 */
	ck_assert_int_eq(sim_amd_gcr3_lookup(&g, &gm, (2u << 18) | 0xe03, &cr3, &reads, &err),
			 SIM_AMD_OK);
	ck_assert_uint_eq(cr3, GPA(10));

	/* a GCR3 table the parent does not map */
	g.gcr3_levels = 1;
	g.gcr3_root = GBASE + GSIZE;
	ck_assert_int_eq(sim_amd_gcr3_lookup(&g, &gm, PASID, &cr3, &reads, &err), SIM_AMD_GCR3_READ);
	ck_assert_int_eq(err, -ENOENT);
}
END_TEST

START_TEST(test_guest_walk)
{
	struct vendor_amd_gdte g = gdte_1();
	struct sim_amd_xlate x;
	unsigned int l;

	build_v2(GPA(8) | P | RW | US);
	/* a user-mode read: no A/D update without SET_AD */
	ck_assert_int_eq(sim_amd_guest_xlate(&g, &gm, PASID, IOVA + 0x123, SIM_PT_R | SIM_PT_U, &x),
			 0);
	ck_assert(x.guest);
	ck_assert_uint_eq(x.gcr3, GPA(4));
	ck_assert_uint_eq(x.gpa, GPA(8) + 0x123);
	ck_assert_uint_eq(x.page_size, K4);
	ck_assert_uint_eq(x.reads, 1 + 4);
	ck_assert_uint_eq(get(gpage(7), idx_of(IOVA, 1)) & (A | D), 0);
	/* a write with the IOMMU's updates: A at every level, D in the leaf */
	ck_assert_int_eq(sim_amd_guest_xlate(&g, &gm, PASID, IOVA,
					     SIM_PT_W | SIM_PT_U | SIM_PT_WALK_SET_AD, &x),
			 0);
	ck_assert(x.dirty);
	for (l = 4; l >= 2; l--)
		ck_assert_uint_eq(get(gpage(8 - l), idx_of(IOVA, l)) & (A | D), A);
	ck_assert_uint_eq(get(gpage(7), idx_of(IOVA, 1)) & (A | D), A | D);

	/* R/W clear: no writes, privileged or not (the IOMMU always enforces it) */
	build_v2(GPA(8) | P | US);
	ck_assert_int_eq(sim_amd_guest_xlate(&g, &gm, PASID, IOVA, SIM_PT_W | SIM_PT_U, &x),
			 -EACCES);
	ck_assert_int_eq(x.fault, SIM_AMD_GUEST_PT);
	ck_assert_int_eq(x.walk.fault_reason, SIM_PT_FAULT_PERM);
	ck_assert_int_eq(sim_amd_guest_xlate(&g, &gm, PASID, IOVA, SIM_PT_W, &x), -EACCES);
	/* U/S clear in a table entry: user-mode requests refused, privileged ones pass */
	build_v2(GPA(8) | P | RW | US);
	put(gpage(5), idx_of(IOVA, 3), GPA(6) | P | RW);
	ck_assert_int_eq(sim_amd_guest_xlate(&g, &gm, PASID, IOVA, SIM_PT_R | SIM_PT_U, &x),
			 -EACCES);
	ck_assert_int_eq(sim_amd_guest_xlate(&g, &gm, PASID, IOVA, SIM_PT_R, &x), 0);
	/* XD: no execute */
	build_v2(GPA(8) | P | RW | US | XD);
	ck_assert_int_eq(sim_amd_guest_xlate(&g, &gm, PASID, IOVA, SIM_PT_X | SIM_PT_U, &x),
			 -EACCES);
	ck_assert_int_eq(sim_amd_guest_xlate(&g, &gm, PASID, IOVA, SIM_PT_R | SIM_PT_U, &x), 0);
	/* not present in the PT */
	build_v2(GPA(8) | RW | US);
	ck_assert_int_eq(sim_amd_guest_xlate(&g, &gm, PASID, IOVA, SIM_PT_R | SIM_PT_U, &x),
			 -ENOENT);
	ck_assert_int_eq(x.walk.fault_reason, SIM_PT_FAULT_NOT_PRESENT);
	ck_assert_int_eq(x.walk.fault_level, 1);
	ck_assert_str_eq(sim_amd_fault_name(&x), "guest page table entry not present");

	/* a 2 MiB leaf in the PD (PS), at GPA 2 MiB into the RAM */
	put(gpage(6), idx_of(IOVA, 2), GPA(512) | P | RW | US | PS);
	ck_assert_int_eq(sim_amd_guest_xlate(&g, &gm, PASID, IOVA, SIM_PT_R | SIM_PT_U, &x), 0);
	ck_assert_uint_eq(x.page_size, M2);
	ck_assert_uint_eq(x.gpa, GPA(512) + (IOVA & (M2 - 1)));

	/* a PT the parent does not map: the guest walk's read fails */
	put(gpage(6), idx_of(IOVA, 2), (GBASE + GSIZE) | P | RW | US);
	ck_assert_int_eq(sim_amd_guest_xlate(&g, &gm, PASID, IOVA, SIM_PT_R | SIM_PT_U, &x),
			 -ENOENT);
	ck_assert_int_eq(x.walk.fault_reason, SIM_PT_FAULT_READ);
	ck_assert_int_eq(x.walk.fault_level, 1);

	/* a PASID whose GCR3 entry is not valid */
	ck_assert_int_eq(sim_amd_guest_xlate(&g, &gm, PASID + 1, IOVA, SIM_PT_R, &x), -ENOENT);
	ck_assert_int_eq(x.fault, SIM_AMD_GCR3_INVALID);
	ck_assert(!x.guest);
}
END_TEST

START_TEST(test_guest_levels_and_giov)
{
	struct vendor_amd_gdte g = gdte_1();
	struct sim_amd_xlate x;

	build_v2(GPA(8) | P | RW | US);
	/* 5 levels: a PML5 at page 9 whose entry for IOVA (0) leads to the PML4 */
	g.gpt_levels = 5;
	put(gpage(0), PASID, GPA(9) | GCR3_V);
	put(gpage(9), idx_of(IOVA, 5), GPA(4) | P | RW | US);
	ck_assert_int_eq(sim_amd_guest_xlate(&g, &gm, PASID, IOVA, SIM_PT_R | SIM_PT_U, &x), 0);
	ck_assert_uint_eq(x.gpa, GPA(8));
	ck_assert_uint_eq(x.reads, 1 + 5);
	/* a 57-bit address: PML5 index 1, not mapped */
	ck_assert_int_eq(sim_amd_guest_xlate(&g, &gm, PASID, IOVA | (UINT64_C(1) << 48),
					     SIM_PT_R | SIM_PT_U, &x),
			 -ENOENT);
	ck_assert_int_eq(x.walk.fault_level, 5);
	/* 4 levels cannot reach it */
	g.gpt_levels = 4;
	put(gpage(0), PASID, GPA(4) | GCR3_V);
	ck_assert_int_eq(sim_amd_guest_xlate(&g, &gm, PASID, IOVA | (UINT64_C(1) << 48),
					     SIM_PT_R | SIM_PT_U, &x),
			 -ENOENT);
	ck_assert_int_eq(x.walk.fault_reason, SIM_PT_FAULT_ADDRESS);

	/* without PASID and GIOV clear: no guest stage, GPA = IOVA */
	ck_assert_int_eq(sim_amd_guest_xlate(&g, &gm, SIM_AMD_NO_PASID, 0x1234000,
					     SIM_PT_W | SIM_PT_U, &x),
			 0);
	ck_assert(!x.guest);
	ck_assert_uint_eq(x.gpa, 0x1234000);
	ck_assert_uint_eq(x.reads, 0);
	/* GIOV: PASID 0's table, which is not valid yet, then is */
	g.giov = true;
	ck_assert_int_eq(sim_amd_guest_xlate(&g, &gm, SIM_AMD_NO_PASID, IOVA, SIM_PT_R | SIM_PT_U,
					     &x),
			 -ENOENT);
	ck_assert_int_eq(x.fault, SIM_AMD_GCR3_INVALID);
	put(gpage(0), 0, GPA(4) | GCR3_V);
	ck_assert_int_eq(sim_amd_guest_xlate(&g, &gm, SIM_AMD_NO_PASID, IOVA + 8,
					     SIM_PT_R | SIM_PT_U, &x),
			 0);
	ck_assert(x.guest);
	ck_assert_uint_eq(x.gpa, GPA(8) + 8);
}
END_TEST

/* Every guest table access goes through the parent: its A bits and its permissions. */
START_TEST(test_parent_stage)
{
	struct vendor_amd_gdte g = gdte_1();
	struct sim_pt_walker w;
	struct sim_pt_result r;
	struct sim_amd_xlate x;

	build_v2(GPA(8) | P | RW | US);
	/* with HA/HD (the parent tracks dirty pages), the parent's leaves get A */
	sim_amd_parent_gmem(&pctx, parent, true, &gm);
	ck_assert_int_eq(sim_amd_guest_xlate(&g, &gm, PASID, IOVA, SIM_PT_R | SIM_PT_U, &x), 0);
	ck_assert_uint_eq(pctx.reads, (1 + 4) * 3); /* a 3-read parent walk (2 MiB leaves) each */
	sim_pt_walker_init(&w, parent);
	ck_assert_int_eq(sim_pt_walk(&w, sim_pt_root(parent), GPA(0), SIM_PT_R, &r), 0);
	ck_assert_uint_eq(r.page_size, M2);
	ck_assert(r.leaf_entry & SIM_AMD_A);
	ck_assert(!(r.leaf_entry & SIM_AMD_D));
	/* the A/D update is a write through the parent, which sets D there */
	ck_assert_int_eq(sim_amd_guest_xlate(&g, &gm, PASID, IOVA,
					     SIM_PT_R | SIM_PT_U | SIM_PT_WALK_SET_AD, &x),
			 0);
	ck_assert_int_eq(sim_pt_walk(&w, sim_pt_root(parent), GPA(0), SIM_PT_R, &r), 0);
	ck_assert(r.leaf_entry & SIM_AMD_D);

	/* the guest tables mapped read-only by the parent: reads pass, updates fault */
	sim_amd_parent_gmem(&pctx, parent, false, &gm);
	ck_assert_int_eq(sim_pt_unmap(parent, GBASE, GSIZE, NULL), 0);
	ck_assert_int_eq(sim_pt_map(parent, GBASE, (uint64_t)(uintptr_t)gram, GSIZE, SIM_PT_R), 0);
	put(gpage(7), idx_of(IOVA, 1), GPA(8) | P | RW | US);
	ck_assert_int_eq(sim_amd_guest_xlate(&g, &gm, PASID, IOVA, SIM_PT_W | SIM_PT_U, &x), 0);
	ck_assert_int_eq(sim_amd_guest_xlate(&g, &gm, PASID, IOVA,
					     SIM_PT_W | SIM_PT_U | SIM_PT_WALK_SET_AD, &x),
			 -EACCES);
	ck_assert_int_eq(x.walk.fault_reason, SIM_PT_FAULT_READ);
	ck_assert_uint_eq(get(gpage(7), idx_of(IOVA, 1)) & (A | D), 0);
}
END_TEST

/* ---- the AMD vIOMMU model on the amd profile, end to end ---- */

static struct ioasid_ctx *vctx;
static uint32_t vioas, vdev, vparent, vviommu;
static uint8_t *vmem; /* guest RAM: GPA(n) is vmem + n * 4096 */

static uint64_t *vpage(unsigned int n)
{
	return (uint64_t *)(vmem + (size_t)n * 4096);
}

static void viommu_setup(void)
{
	struct ioasid_hwpt_opts po = IOASID_OPTS_INIT(ioasid_hwpt_opts);
	struct ioasid_viommu_opts vo = IOASID_OPTS_INIT(ioasid_viommu_opts);
	uint64_t iova = GBASE;

	vctx = test_sim_ctx_spec("sim:amd");
	vmem = test_mem(GSIZE);
	ck_assert_ok(vctx, ioasid_ioas_alloc(vctx, &vioas));
	ck_assert_ok(vctx,
		     ioasid_ioas_map(vctx, vioas, vmem, GSIZE,
				     IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA,
				     &iova));
	ck_assert_ok(vctx, ioasid_dev_bind(vctx, "sim0", &vdev));
	po.flags = IOASID_HWPT_NEST_PARENT;
	ck_assert_ok(vctx, ioasid_hwpt_alloc(vctx, vdev, vioas, &po, &vparent));
	/* the AMD driver takes any non-zero type: not one of the enum's */
	vo.type = 0x51;
	ck_assert_ok(vctx, ioasid_viommu_alloc(vctx, vdev, vparent, &vo, &vviommu));
}

static void viommu_teardown(void)
{
	ioasid_ctx_close(vctx);
	munmap(vmem, GSIZE);
}

/* A guest DTE: V, GV, GCR3 table at GPA(@gcr3_page), one level, DomID @gdom. */
static void make_dte(struct ioasid_hwpt_amd_guest *d, unsigned int gcr3_page, uint16_t gdom)
{
	memset(d, 0, sizeof(*d));
	d->dte[0] = D0_V | D0_GV | D0_GLX(0);
	d->dte[1] = gdom;
	put_gcr3(d->dte, GPA(gcr3_page));
}

static int nested(const struct ioasid_hwpt_amd_guest *d, uint32_t type, uint32_t len, uint32_t *ret)
{
	struct ioasid_hwpt_opts o = IOASID_OPTS_INIT(ioasid_hwpt_opts);

	o.type = type;
	o.data = d;
	o.data_len = len;
	return ioasid_hwpt_alloc(vctx, vdev, vviommu, &o, ret);
}

/* The guest's tables: GCR3 (page @gcr3) PASID 5 -> PML4 page @pml4 .. PT -> page @data. */
static void guest_tables(unsigned int gcr3, unsigned int pml4, unsigned int data)
{
	put(vpage(gcr3), PASID, GPA(pml4) | GCR3_V);
	put(vpage(pml4), idx_of(IOVA, 4), GPA(pml4 + 1) | P | RW | US);
	put(vpage(pml4 + 1), idx_of(IOVA, 3), GPA(pml4 + 2) | P | RW | US);
	put(vpage(pml4 + 2), idx_of(IOVA, 2), GPA(pml4 + 3) | P | RW | US);
	put(vpage(pml4 + 3), idx_of(IOVA, 1), GPA(data) | P | RW | US);
}

START_TEST(test_viommu_nested_refused)
{
	struct ioasid_hwpt_amd_guest d;
	uint32_t h;

	make_dte(&d, 0, 1);
	/* another vendor's data: EOPNOTSUPP, as amd_iommu_alloc_domain_nested() */
	ck_assert_ret(vctx, nested(&d, IOASID_HWPT_NESTED_ARM_SMMUV3, 16, &h), -EOPNOTSUPP);
	/* a short DTE: iommu_copy_struct_from_user()'s EINVAL */
	ck_assert_ret(vctx, nested(&d, IOASID_HWPT_NESTED_AMD_GUEST, 24, &h), -EINVAL);
	ck_assert_errmsg_has(vctx, "32 bytes");
	/* Mode set: EINVAL naming it */
	d.dte[0] |= UINT64_C(3) << 9;
	ck_assert_ret(vctx, nested(&d, IOASID_HWPT_NESTED_AMD_GUEST, sizeof(d), &h), -EINVAL);
	ck_assert_errmsg_has(vctx, "dte[0]");
	ck_assert_errmsg_has(vctx, "Mode 3");
	/* 5-level guest tables: the amd profile's EFR.GATS is 0 (4 levels) */
	make_dte(&d, 0, 1);
	d.dte[2] = D2_GPT(1);
	ck_assert_ret(vctx, nested(&d, IOASID_HWPT_NESTED_AMD_GUEST, sizeof(d), &h), -EOPNOTSUPP);
	ck_assert_errmsg_has(vctx, "GuestPagingMode 1");
	/* Linux 7.2's AMD vIOMMU takes no invalidation */
	{
		struct ioasid_smmuv3_cmd c = { { 0, 0 } };
		uint32_t n = 1;

		ck_assert_ret(vctx,
			      ioasid_viommu_invalidate(vctx, vviommu, IOASID_VIOMMU_INV_ARM_SMMUV3,
						       &c, sizeof(c), &n),
			      -EOPNOTSUPP);
		ck_assert_uint_eq(n, 0);
	}
}
END_TEST

START_TEST(test_viommu_dma)
{
	struct ioasid_sim_stale_event ev[4];
	struct ioasid_hwpt_amd_guest d;
	uint8_t buf[16] = "guest-dma-write", rd[16];
	uint32_t h, n;
	size_t done;

	make_dte(&d, 0, 7);
	ck_assert_ok(vctx, nested(&d, IOASID_HWPT_NESTED_AMD_GUEST, sizeof(d), &h));
	ck_assert_ok(vctx, ioasid_dev_attach(vctx, vdev, IOASID_PASID_NONE, h, NULL));
	/* the PASIDs are the guest's GCR3 table's, not attachments */
	ck_assert_int_lt(ioasid_dev_attach(vctx, vdev, PASID, h, NULL), 0);
	/* straight from a PASID-capable (v2) domain, PASIDs are still enabled: EINVAL */
	{
		struct ioasid_hwpt_opts po = IOASID_OPTS_INIT(ioasid_hwpt_opts);
		uint32_t v2;

		po.flags = IOASID_HWPT_PASID;
		ck_assert_ok(vctx, ioasid_hwpt_alloc(vctx, vdev, vioas, &po, &v2));
		ck_assert_ok(vctx, ioasid_dev_replace(vctx, vdev, IOASID_PASID_NONE, v2, NULL));
		ck_assert_ret(vctx, ioasid_dev_replace(vctx, vdev, IOASID_PASID_NONE, h, NULL),
			      -EINVAL);
		ck_assert_errmsg_has(vctx, "PASIDs enabled");
		ck_assert_ok(vctx, ioasid_dev_detach(vctx, vdev, IOASID_PASID_NONE));
		ck_assert_ok(vctx, ioasid_dev_attach(vctx, vdev, IOASID_PASID_NONE, h, NULL));
		ck_assert_ok(vctx, ioasid_hwpt_destroy(vctx, v2));
	}

	/* PASID 5 through GCR3 page 0, v2 tables in pages 4..7, data in page 8 */
	guest_tables(0, 4, 8);
	ck_assert_ok(vctx, ioasid_sim_dma_flags(vctx, vdev, PASID, IOVA + 0x10, buf, sizeof(buf),
						IOASID_SIM_DMA_WRITE, &done));
	ck_assert_int_eq(memcmp(vmem + 8 * 4096 + 0x10, buf, sizeof(buf)), 0);
	/* the IOMMU set A on the way and D in the leaf, in guest memory */
	ck_assert_uint_eq(get(vpage(4), idx_of(IOVA, 4)) & (A | D), A);
	ck_assert_uint_eq(get(vpage(7), idx_of(IOVA, 1)) & (A | D), A | D);
	/* a PASID whose GCR3 entry is not valid faults */
	ck_assert_ret(vctx, ioasid_sim_dma_read(vctx, vdev, PASID + 1, IOVA, rd, 4, &done), -EFAULT);
	ck_assert_errmsg_has(vctx, "GCR3 table entry not valid");
	/* without PASID and GIOV clear: no guest stage, the IOVA is the GPA */
	ck_assert_ok(vctx, ioasid_sim_dma_read(vctx, vdev, IOASID_PASID_NONE, GPA(8) + 0x10, rd,
					       sizeof(rd), &done));
	ck_assert_int_eq(memcmp(rd, buf, sizeof(rd)), 0);
	/* the guest's permissions: R/W clear refuses the write, even privileged */
	put(vpage(7), idx_of(IOVA, 1), GPA(8) | P | US);
	ck_assert_ret(vctx,
		      ioasid_sim_dma_flags(vctx, vdev, PASID, IOVA + 0x2000, buf, 4,
					   IOASID_SIM_DMA_WRITE, &done),
		      -EFAULT); /* IOVA + 0x2000: PT entry never written, not present */
	put(vpage(7), idx_of(IOVA, 1) + 1, GPA(9) | P | US);
	ck_assert_ret(vctx,
		      ioasid_sim_dma_flags(vctx, vdev, PASID, IOVA + 0x1000, buf, 4,
					   IOASID_SIM_DMA_WRITE | IOASID_SIM_DMA_PRIV, &done),
		      -EACCES);

	/*
	 * The guest moves its page (PT entry 0 -> page 10) and no invalidation
	 * can reach the IOMMU (7.2 has none for AMD): the cached translation
	 * still sends the DMA to page 8, and the detector sees it.
	 */
	put(vpage(7), idx_of(IOVA, 1), GPA(10) | P | RW | US);
	ck_assert_ok(vctx,
		     ioasid_sim_dma_read(vctx, vdev, PASID, IOVA + 0x10, rd, sizeof(rd), &done));
	ck_assert_int_eq(memcmp(rd, buf, sizeof(rd)), 0);
	n = 4;
	ck_assert_ok(vctx, ioasid_sim_stale_events(vctx, ev, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(ev[0].pasid, PASID);
	ck_assert_uint_eq(ev[0].hwpt, h);
	ck_assert_uint_eq(ev[0].cached_gpa, GPA(8) + 0x10);
	ck_assert_uint_eq(ev[0].current_gpa, GPA(10) + 0x10);
	ck_assert_ok(vctx, ioasid_sim_set_stale_mode(vctx, IOASID_SIM_STALE_STRICT));
	ck_assert_ret(vctx, ioasid_sim_dma_read(vctx, vdev, PASID, IOVA, rd, 4, &done), -EIO);
	ck_assert_ok(vctx, ioasid_sim_set_stale_mode(vctx, IOASID_SIM_STALE_FAITHFUL));

	/* a change of the nest parent flushes every hDomID: the next DMA walks again */
	{
		uint8_t *extra = test_mem(4096);
		uint64_t iova = GBASE + GSIZE;

		ck_assert_ok(vctx, ioasid_ioas_map(vctx, vioas, extra, 4096,
						   IOASID_MAP_READ | IOASID_MAP_FIXED_IOVA, &iova));
		ck_assert_ok(vctx, ioasid_ioas_unmap(vctx, vioas, iova, 4096, NULL));
		munmap(extra, 4096);
	}
	memcpy(vmem + 10 * 4096 + 0x10, "page ten", 8);
	ck_assert_ok(vctx, ioasid_sim_dma_read(vctx, vdev, PASID, IOVA + 0x10, rd, 8, &done));
	ck_assert_int_eq(memcmp(rd, "page ten", 8), 0);
	n = 4;
	ck_assert_ok(vctx, ioasid_sim_stale_events(vctx, ev, &n));
	ck_assert_uint_eq(n, 2); /* the one above and the strict mode's, no new one */
	ck_assert_ok(vctx, ioasid_dev_detach(vctx, vdev, IOASID_PASID_NONE));
	ck_assert_ok(vctx, ioasid_hwpt_destroy(vctx, h));
}
END_TEST

/*
 * Linux maps each gDomID of a vIOMMU to one hDomID: two nested HWPTs with
 * the same gDomID share the TLB tag, so the guest that gave two different
 * GCR3 tables one domain id sees one's translations through the other
 * (the aliasing amd_iommu_alloc_domain_nested() describes); another
 * gDomID does not.
 */
START_TEST(test_viommu_gdomid)
{
	struct ioasid_sim_stale_event ev[4];
	struct ioasid_hwpt_amd_guest d;
	uint32_t ha, hb, hc, hd, n;
	uint8_t rd[8];
	size_t done;

	/* A: GCR3 page 0 -> data page 8; B and C: GCR3 page 1 -> data page 16 */
	guest_tables(0, 4, 8);
	guest_tables(1, 12, 16);
	memcpy(vmem + 8 * 4096, "page--8", 8);
	memcpy(vmem + 16 * 4096, "page-16", 8);
	make_dte(&d, 0, 3);
	ck_assert_ok(vctx, nested(&d, IOASID_HWPT_NESTED_AMD_GUEST, sizeof(d), &ha));
	make_dte(&d, 1, 3);
	ck_assert_ok(vctx, nested(&d, IOASID_HWPT_NESTED_AMD_GUEST, sizeof(d), &hb));
	make_dte(&d, 1, 4);
	ck_assert_ok(vctx, nested(&d, IOASID_HWPT_NESTED_AMD_GUEST, sizeof(d), &hc));

	ck_assert_ok(vctx, ioasid_dev_attach(vctx, vdev, IOASID_PASID_NONE, ha, NULL));
	ck_assert_ok(vctx, ioasid_sim_dma_read(vctx, vdev, PASID, IOVA, rd, 8, &done));
	ck_assert_int_eq(memcmp(rd, "page--8", 8), 0);
	/* B has A's gDomID: A's cached translation answers (and is seen as stale) */
	ck_assert_ok(vctx, ioasid_dev_replace(vctx, vdev, IOASID_PASID_NONE, hb, NULL));
	ck_assert_ok(vctx, ioasid_sim_dma_read(vctx, vdev, PASID, IOVA, rd, 8, &done));
	ck_assert_int_eq(memcmp(rd, "page--8", 8), 0);
	n = 4;
	ck_assert_ok(vctx, ioasid_sim_stale_events(vctx, ev, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(ev[0].hwpt, hb);
	ck_assert_uint_eq(ev[0].cached_gpa, GPA(8));
	ck_assert_uint_eq(ev[0].current_gpa, GPA(16));
	/* C has its own gDomID, so its own hDomID: its own tables */
	ck_assert_ok(vctx, ioasid_dev_replace(vctx, vdev, IOASID_PASID_NONE, hc, NULL));
	ck_assert_ok(vctx, ioasid_sim_dma_read(vctx, vdev, PASID, IOVA, rd, 8, &done));
	ck_assert_int_eq(memcmp(rd, "page-16", 8), 0);
	n = 4;
	ck_assert_ok(vctx, ioasid_sim_stale_events(vctx, ev, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_ok(vctx, ioasid_dev_detach(vctx, vdev, IOASID_PASID_NONE));
	/*
	 * A's and B's hDomID goes with its last HWPT; D (a new gDomID) may get
	 * it again, and finds nothing A cached, in the IOTLB or sim0's ATC.
	 */
	ck_assert_ok(vctx, ioasid_hwpt_destroy(vctx, ha));
	ck_assert_ok(vctx, ioasid_hwpt_destroy(vctx, hb));
	ck_assert_ok(vctx, ioasid_hwpt_destroy(vctx, hc));
	make_dte(&d, 1, 12);
	ck_assert_ok(vctx, nested(&d, IOASID_HWPT_NESTED_AMD_GUEST, sizeof(d), &hd));
	ck_assert_ok(vctx, ioasid_dev_attach(vctx, vdev, IOASID_PASID_NONE, hd, NULL));
	ck_assert_ok(vctx, ioasid_sim_dma_read(vctx, vdev, PASID, IOVA, rd, 8, &done));
	ck_assert_int_eq(memcmp(rd, "page-16", 8), 0);
	n = 4;
	ck_assert_ok(vctx, ioasid_sim_stale_events(vctx, ev, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_ok(vctx, ioasid_dev_detach(vctx, vdev, IOASID_PASID_NONE));
}
END_TEST

/*
 * Two vIOMMUs over one nest parent share its IOTLB tag, but their
 * hDomIDs differ: the same gDomID on each is two host domains, no
 * aliasing between them.
 */
START_TEST(test_viommu_two_on_one_parent)
{
	struct ioasid_viommu_opts vo = IOASID_OPTS_INIT(ioasid_viommu_opts);
	struct ioasid_sim_stale_event ev[2];
	struct ioasid_hwpt_amd_guest d;
	uint32_t v2, ha, hb, n;
	uint8_t rd[8];
	size_t done;

	vo.type = 0x51;
	ck_assert_ok(vctx, ioasid_viommu_alloc(vctx, vdev, vparent, &vo, &v2));
	guest_tables(0, 4, 8);
	guest_tables(1, 12, 16);
	memcpy(vmem + 8 * 4096, "first-8", 8);
	memcpy(vmem + 16 * 4096, "other16", 8);
	make_dte(&d, 0, 3);
	ck_assert_ok(vctx, nested(&d, IOASID_HWPT_NESTED_AMD_GUEST, sizeof(d), &ha));
	make_dte(&d, 1, 3);
	{
		struct ioasid_hwpt_opts o = IOASID_OPTS_INIT(ioasid_hwpt_opts);

		o.type = IOASID_HWPT_NESTED_AMD_GUEST;
		o.data = &d;
		o.data_len = sizeof(d);
		ck_assert_ok(vctx, ioasid_hwpt_alloc(vctx, vdev, v2, &o, &hb));
	}
	ck_assert_ok(vctx, ioasid_dev_attach(vctx, vdev, IOASID_PASID_NONE, ha, NULL));
	ck_assert_ok(vctx, ioasid_sim_dma_read(vctx, vdev, PASID, IOVA, rd, 8, &done));
	ck_assert_int_eq(memcmp(rd, "first-8", 8), 0);
	ck_assert_ok(vctx, ioasid_dev_replace(vctx, vdev, IOASID_PASID_NONE, hb, NULL));
	ck_assert_ok(vctx, ioasid_sim_dma_read(vctx, vdev, PASID, IOVA, rd, 8, &done));
	ck_assert_int_eq(memcmp(rd, "other16", 8), 0);
	n = 2;
	ck_assert_ok(vctx, ioasid_sim_stale_events(vctx, ev, &n));
	ck_assert_uint_eq(n, 0);
	ck_assert_ok(vctx, ioasid_dev_detach(vctx, vdev, IOASID_PASID_NONE));
	ck_assert_ok(vctx, ioasid_hwpt_destroy(vctx, hb));
	ck_assert_ok(vctx, ioasid_viommu_destroy(vctx, v2));
}
END_TEST

/* Page requests (PPR) reach the fault queue only when the guest's DTE enables PPR. */
START_TEST(test_viommu_ppr)
{
	struct ioasid_set_opts so = { .sz = sizeof(so), .max_pasids = 8, .max_ioas = 4 };
	struct ioasid_fault_queue_opts qo = IOASID_OPTS_INIT(ioasid_fault_queue_opts);
	struct ioasid_hwpt_opts o = IOASID_OPTS_INIT(ioasid_hwpt_opts);
	struct ioasid_hwpt_amd_guest d;
	struct ioasid_fault f[4];
	uint32_t set, q, hp, hn, n;
	uint64_t handle;
	size_t done;

	/* the vIOMMU's IOAS has no set: any set's queue may take its faults */
	ck_assert_ok(vctx, ioasid_set_alloc(vctx, &so, &set));
	qo.set = set;
	ck_assert_ok(vctx, ioasid_fault_queue_alloc(vctx, &qo, &q));
	guest_tables(0, 4, 8);
	put(vpage(7), idx_of(IOVA, 1), 0); /* the page is not there yet */
	make_dte(&d, 0, 2);
	d.dte[0] |= D0_PPR;
	o.type = IOASID_HWPT_NESTED_AMD_GUEST;
	o.flags = IOASID_HWPT_FAULT_ID_VALID;
	o.fault_queue = q;
	o.data = &d;
	o.data_len = sizeof(d);
	ck_assert_ok(vctx, ioasid_hwpt_alloc(vctx, vdev, vviommu, &o, &hp));
	d.dte[0] &= ~D0_PPR;
	d.dte[1] = (d.dte[1] & ~UINT64_C(0xffff)) | 9;
	ck_assert_ok(vctx, ioasid_hwpt_alloc(vctx, vdev, vviommu, &o, &hn));

	ck_assert_ok(vctx, ioasid_dev_attach(vctx, vdev, IOASID_PASID_NONE, hp, NULL));
	ck_assert_int_eq(ioasid_sim_dma_submit_flags(vctx, vdev, PASID, IOVA, "ppr!", 4,
						     IOASID_SIM_DMA_WRITE, &handle, &done),
			 -EAGAIN);
	n = 4;
	ck_assert_ok(vctx, ioasid_fault_read(vctx, q, f, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(f[0].flags & (IOASID_FAULT_F_PAGE_REQ | IOASID_FAULT_F_WRITE |
					IOASID_FAULT_F_PASID_VALID),
			  IOASID_FAULT_F_PAGE_REQ | IOASID_FAULT_F_WRITE |
				  IOASID_FAULT_F_PASID_VALID);
	ck_assert_uint_eq(f[0].pasid, PASID);
	ck_assert_uint_eq(f[0].addr, IOVA);
	/* the guest maps the page, the owner answers: the write lands */
	put(vpage(7), idx_of(IOVA, 1), GPA(8) | P | RW | US);
	ck_assert_ok(vctx, ioasid_fault_respond(vctx, q, f[0].cookie, IOASID_FAULT_SUCCESS));
	ck_assert_ok(vctx, ioasid_sim_dma_poll(vctx, handle, &done));
	ck_assert_int_eq(memcmp(vmem + 8 * 4096, "ppr!", 4), 0);

	/* without PPR in the DTE: an unrecoverable fault, no wait */
	ck_assert_ok(vctx, ioasid_dev_replace(vctx, vdev, IOASID_PASID_NONE, hn, NULL));
	ck_assert_int_eq(ioasid_sim_dma_submit_flags(vctx, vdev, PASID, IOVA + 0x1000, "x", 1,
						     IOASID_SIM_DMA_WRITE, &handle, &done),
			 -EFAULT);
	n = 4;
	ck_assert_ok(vctx, ioasid_fault_read(vctx, q, f, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(f[0].flags & (IOASID_FAULT_F_PAGE_REQ | IOASID_FAULT_F_LAST),
			  IOASID_FAULT_F_LAST);
	ck_assert_uint_eq(f[0].reason, IOASID_FAULT_R_NOT_PRESENT);
	ck_assert_uint_eq(f[0].hwpt, hn);
	ck_assert_ok(vctx, ioasid_dev_detach(vctx, vdev, IOASID_PASID_NONE));
}
END_TEST

/* The kernel's IOMMU_VEVENTQ_ALLOC asks no driver: a queue of any type, which AMD never fills. */
START_TEST(test_viommu_no_events)
{
	struct ioasid_veventq_opts qo = IOASID_OPTS_INIT(ioasid_veventq_opts);
	struct ioasid_hw_queue_opts ho = IOASID_OPTS_INIT(ioasid_hw_queue_opts);
	struct ioasid_hwpt_amd_guest d;
	struct ioasid_vevent ev;
	uint32_t q, h, vd, n, hq;
	uint8_t rd[4];
	size_t done;

	qo.type = IOASID_VEVENTQ_ARM_SMMUV3;
	qo.depth = 4;
	ck_assert_ok(vctx, ioasid_veventq_alloc(vctx, vviommu, &qo, &q));
	ck_assert_ok(vctx, ioasid_vdevice_alloc(vctx, vviommu, vdev, 0x100, &vd));
	make_dte(&d, 0, 1);
	ck_assert_ok(vctx, nested(&d, IOASID_HWPT_NESTED_AMD_GUEST, sizeof(d), &h));
	ck_assert_ok(vctx, ioasid_dev_attach(vctx, vdev, IOASID_PASID_NONE, h, NULL));
	ck_assert_ret(vctx, ioasid_sim_dma_read(vctx, vdev, PASID, IOVA, rd, 4, &done), -EFAULT);
	ck_assert_ok(vctx, ioasid_veventq_read(vctx, q, &ev, 1, &n));
	ck_assert_uint_eq(n, 0);
	/* no HW queue type */
	ho.type = IOASID_HW_QUEUE_TEGRA241_CMDQV;
	ho.iova = GBASE;
	ho.length = 4096;
	ck_assert_ret(vctx, ioasid_hw_queue_alloc(vctx, vviommu, &ho, &hq), -EOPNOTSUPP);
	/*
	 * No IOMMU_HWPT_INVALIDATE on the nested HWPT either: AMD's nested
	 * domain has no cache_invalidate_user (EOPNOTSUPP, not EINVAL)
	 */
	n = 1;
	ck_assert_ret(vctx, ioasid_hwpt_invalidate_raw(vctx, h, IOASID_INV_DATA_VTD_S1, rd, 4, &n),
		      -EOPNOTSUPP);
	ck_assert_uint_eq(n, 0);
	ck_assert_errmsg_has(vctx, "vIOMMU");
	ck_assert_ok(vctx, ioasid_dev_detach(vctx, vdev, IOASID_PASID_NONE));
	ck_assert_ok(vctx, ioasid_vdevice_destroy(vctx, vd));
}
END_TEST

Suite *sim_amd_suite(void)
{
	Suite *s = suite_create("sim_amd");
	TCase *tc = tcase_create("dte");
	TCase *tw = tcase_create("guest");
	TCase *tv;

	tcase_add_test(tc, test_gdte_fields);
	tcase_add_test(tc, test_gdte_refused);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tw, gmem_setup, gmem_teardown);
	tcase_add_test(tw, test_gcr3_table);
	tcase_add_test(tw, test_guest_walk);
	tcase_add_test(tw, test_guest_levels_and_giov);
	tcase_add_test(tw, test_parent_stage);
	suite_add_tcase(s, tw);
	tv = tcase_create("viommu");
	tcase_add_checked_fixture(tv, viommu_setup, viommu_teardown);
	tcase_add_test(tv, test_viommu_nested_refused);
	tcase_add_test(tv, test_viommu_dma);
	tcase_add_test(tv, test_viommu_gdomid);
	tcase_add_test(tv, test_viommu_ppr);
	tcase_add_test(tv, test_viommu_two_on_one_parent);
	tcase_add_test(tv, test_viommu_no_events);
	suite_add_tcase(s, tv);
	return s;
}
