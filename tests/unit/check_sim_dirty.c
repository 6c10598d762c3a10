/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the sim records of the accesses it translates: dirty bits at the
 * base page size with the IOAS's huge pages off, dirty tracking on a nest
 * parent through nested translation (the data pages and the stage-1 table
 * pages the IOMMU writes A/D and EA bits into), and the guest-side
 * addresses of a stale-translation event.
 */
#include "nested-fixture.h"
#include "suites.h"

#define RW (IOASID_MAP_READ | IOASID_MAP_WRITE)

static void map_at(uint64_t iova, void *va, uint64_t len)
{
	ck_assert_ok(nf_ctx,
		     ioasid_ioas_map(nf_ctx, nf_ioas, va, len, RW | IOASID_MAP_FIXED_IOVA, &iova));
}

static uint32_t dirty_hwpt(void)
{
	struct ioasid_hwpt_opts o = { .sz = sizeof(o), .flags = IOASID_HWPT_DIRTY_TRACKING };
	uint32_t h;

	ck_assert_ok(nf_ctx, ioasid_hwpt_alloc(nf_ctx, nf_dev, nf_ioas, &o, &h));
	return h;
}

/* Attach sim0 (no PASID) to @h and start its dirty tracking. */
static void attach_tracking(uint32_t h)
{
	ck_assert_ok(nf_ctx, ioasid_dev_attach(nf_ctx, nf_dev, IOASID_PASID_NONE, h, NULL));
	ck_assert_ok(nf_ctx, ioasid_hwpt_set_dirty_tracking(nf_ctx, h, true));
}

/* How many bits of @bm are set; the first in *@first. */
static unsigned int bits_set(const uint64_t *bm, unsigned int words, unsigned int *first)
{
	unsigned int i, n = 0;

	*first = UINT32_MAX;
	for (i = 0; i < words * 64; i++) {
		if (bm[i / 64] >> (i % 64) & 1) {
			if (*first == UINT32_MAX)
				*first = i;
			n++;
		}
	}
	return n;
}

/* Read @h's dirty bits over [iova, +4 MiB) in 4 KiB granules (and clear them). */
static unsigned int dirty_4k(uint32_t h, uint64_t iova, unsigned int *first)
{
	uint64_t bm[16];

	memset(bm, 0, sizeof(bm));
	ck_assert_ok(nf_ctx, ioasid_hwpt_get_dirty_bitmap(nf_ctx, h, iova, 4 * NF_MB, NF_PG, bm, 0));
	return bits_set(bm, 16, first);
}

/*
 * IOMMU_OPTION_HUGE_PAGES = 0: stage 2 maps every page alone, so a write
 * marks one 4 KiB page, not the 2 MiB block around it.
 */
START_TEST(test_huge_pages_off_dirty_at_4k)
{
	unsigned int first;
	uint32_t h;
	size_t done;

	ck_assert_ok(nf_ctx, ioasid_ioas_set_option(nf_ctx, nf_ioas, IOASID_IOAS_OPT_HUGE_PAGES, 0));
	map_at(0x40000000, nf_mem, 4 * NF_MB); /* 2 MiB aligned on both sides */
	h = dirty_hwpt();
	attach_tracking(h);
	ck_assert_ok(nf_ctx, ioasid_sim_dma_write(nf_ctx, nf_dev, IOASID_PASID_NONE, 0x40001000,
						  "d", 1, &done));
	ck_assert_uint_eq(dirty_4k(h, 0x40000000, &first), 1);
	ck_assert_uint_eq(first, 1);

	/* back on: what is mapped stays in 4 KiB pages, as in the kernel ... */
	ck_assert_ok(nf_ctx, ioasid_ioas_set_option(nf_ctx, nf_ioas, IOASID_IOAS_OPT_HUGE_PAGES, 1));
	ck_assert_ok(nf_ctx, ioasid_sim_dma_write(nf_ctx, nf_dev, IOASID_PASID_NONE, 0x40201000,
						  "d", 1, &done));
	ck_assert_uint_eq(dirty_4k(h, 0x40000000, &first), 1);
	ck_assert_uint_eq(first, 0x201);
	/* ... and a new mapping gets 2 MiB leaves: a write dirties all of one */
	map_at(0x50000000, nf_mem + 4 * NF_MB, 2 * NF_MB);
	ck_assert_ok(nf_ctx, ioasid_sim_dma_write(nf_ctx, nf_dev, IOASID_PASID_NONE, 0x50001000,
						  "d", 1, &done));
	ck_assert_uint_eq(dirty_4k(h, 0x50000000, &first), 512);
	ck_assert_uint_eq(first, 0);

	/* the kernel's rule: not off again while domains map areas (EINVAL) */
	ck_assert_int_eq(ioasid_ioas_set_option(nf_ctx, nf_ioas, IOASID_IOAS_OPT_HUGE_PAGES, 0),
			 -EINVAL);
}
END_TEST

/*
 * A bitmap page smaller than the IOMMU's page, as IOMMU_HWPT_GET_DIRTY_BITMAP
 * takes it (the kernel's selftest reads 2 KiB bits): each dirty 4 KiB page
 * sets both of its bits; a range not aligned to the IOAS's 4 KiB IOVA
 * alignment is refused even when it is aligned to the bitmap page.
 */
START_TEST(test_dirty_bitmap_below_page_size)
{
	uint64_t bm[2] = { 0, 0 };
	unsigned int first;
	uint32_t h;
	size_t done;

	ck_assert_ok(nf_ctx, ioasid_ioas_set_option(nf_ctx, nf_ioas, IOASID_IOAS_OPT_HUGE_PAGES, 0));
	map_at(0x40000000, nf_mem, 16 * NF_PG);
	h = dirty_hwpt();
	attach_tracking(h);
	ck_assert_ok(nf_ctx, ioasid_sim_dma_write(nf_ctx, nf_dev, IOASID_PASID_NONE, 0x40003010,
						  "d", 1, &done));
	ck_assert_ok(nf_ctx, ioasid_hwpt_get_dirty_bitmap(nf_ctx, h, 0x40000000, 16 * NF_PG,
							  NF_PG / 2, bm, 0));
	ck_assert_uint_eq(bits_set(bm, 2, &first), 2);
	ck_assert_uint_eq(first, 6);
	/* cleared: nothing the second time */
	memset(bm, 0, sizeof(bm));
	ck_assert_ok(nf_ctx, ioasid_hwpt_get_dirty_bitmap(nf_ctx, h, 0x40000000, 16 * NF_PG,
							  NF_PG / 2, bm, 0));
	ck_assert_uint_eq(bits_set(bm, 2, &first), 0);
	ck_assert_int_eq(ioasid_hwpt_get_dirty_bitmap(nf_ctx, h, 0x40000800, 15 * NF_PG, NF_PG / 2,
						      bm, 0),
			 -EINVAL);
	ck_assert_int_eq(ioasid_hwpt_get_dirty_bitmap(nf_ctx, h, 0x40000000, 16 * NF_PG, 0, bm, 0),
			 -EINVAL);
}
END_TEST

/* With a domain but no mapping yet the option may still go off; later maps are 4 KiB. */
START_TEST(test_huge_pages_off_with_a_domain)
{
	unsigned int first;
	uint32_t h = dirty_hwpt();
	size_t done;

	ck_assert_ok(nf_ctx, ioasid_ioas_set_option(nf_ctx, nf_ioas, IOASID_IOAS_OPT_HUGE_PAGES, 0));
	map_at(0x40000000, nf_mem, 2 * NF_MB);
	attach_tracking(h);
	ck_assert_ok(nf_ctx, ioasid_sim_dma_write(nf_ctx, nf_dev, IOASID_PASID_NONE, 0x401ff000,
						  "d", 1, &done));
	ck_assert_uint_eq(dirty_4k(h, 0x40000000, &first), 1);
	ck_assert_uint_eq(first, 0x1ff);
}
END_TEST

/*
 * A nest parent tracking dirty pages sees what DMA through the nested
 * stage 1 writes: the data page, and the stage-1 table pages whose A/D
 * bits the IOMMU sets — and nothing a read leaves alone.
 */
START_TEST(test_nested_dirty_tracking)
{
	uint32_t parent = nf_parent(IOASID_HWPT_DIRTY_TRACKING, 0), nested, first;
	uint64_t bm[8];
	size_t done;
	uint8_t b[4];

	nf_build_s1(NF_URW, NF_DATA | NF_URW);
	nf_table(1)[1] = (NF_DATA + NF_PG) | NF_URW;
	nested = nf_nested(parent, 0, 0, 0);
	ck_assert_ok(nf_ctx, ioasid_dev_attach(nf_ctx, nf_dev, IOASID_PASID_NONE, nested, NULL));
	ck_assert_ok(nf_ctx, ioasid_hwpt_set_dirty_tracking(nf_ctx, parent, true));
	ck_assert_ok(nf_ctx, ioasid_sim_dma_write(nf_ctx, nf_dev, IOASID_PASID_NONE, NF_GVA, "w1",
						  2, &done));
	/* the four table pages (A set at every level, D in the PT) and the data page */
	nf_dirty(parent, 2 * NF_MB, bm, 8, IOASID_DIRTY_NO_CLEAR);
	ck_assert_uint_eq(bm[0], 0xf);
	ck_assert_uint_eq(bm[4], 1); /* page 0x100 */
	ck_assert_uint_eq(bits_set(bm, 8, &first), 5);
	nf_dirty(parent, 2 * NF_MB, bm, 8, 0);
	nf_dirty(parent, 2 * NF_MB, bm, 8, 0);
	ck_assert_uint_eq(bits_set(bm, 8, &first), 0);

	/* again: stage 1's A and D are set already, so only the data page */
	ck_assert_ok(nf_ctx, ioasid_sim_dma_write(nf_ctx, nf_dev, IOASID_PASID_NONE, NF_GVA, "w2",
						  2, &done));
	nf_dirty(parent, 2 * NF_MB, bm, 8, 0);
	ck_assert_uint_eq(bits_set(bm, 8, &first), 1);
	ck_assert_uint_eq(first, 0x100);
	/* a read of a new page: only the PT, where it set A */
	ck_assert_ok(nf_ctx, ioasid_sim_dma_read(nf_ctx, nf_dev, IOASID_PASID_NONE, NF_GVA + NF_PG,
						 b, 4, &done));
	ck_assert_uint_ne(nf_table(1)[1] & SIM_FL_A, 0);
	nf_dirty(parent, 2 * NF_MB, bm, 8, 0);
	ck_assert_uint_eq(bits_set(bm, 8, &first), 1);
	ck_assert_uint_eq(first, 3);
	/* tracking off: stage 2 records nothing more */
	ck_assert_ok(nf_ctx, ioasid_hwpt_set_dirty_tracking(nf_ctx, parent, false));
	ck_assert_ok(nf_ctx, ioasid_sim_dma_write(nf_ctx, nf_dev, IOASID_PASID_NONE, NF_GVA + NF_PG,
						  "w3", 2, &done));
	nf_dirty(parent, 2 * NF_MB, bm, 8, 0);
	ck_assert_uint_eq(bits_set(bm, 8, &first), 0);
	/* stage 1's D is architectural: set all the same */
	ck_assert_uint_ne(nf_table(1)[1] & SIM_FL_D, 0);
}
END_TEST

/* A write through a translation cached by a read still sets stage 1's D. */
START_TEST(test_nested_cached_write_sets_d)
{
	uint32_t nested;
	size_t done;
	uint8_t b[4];

	nf_build_s1(NF_URW, NF_DATA | NF_URW);
	nested = nf_nested(nf_parent(0, 1), 0, 0, 0);
	ck_assert_ok(nf_ctx, ioasid_dev_attach(nf_ctx, nf_dev, IOASID_PASID_NONE, nested, NULL));
	ck_assert_ok(nf_ctx,
		     ioasid_sim_dma_read(nf_ctx, nf_dev, IOASID_PASID_NONE, NF_GVA, b, 4, &done));
	ck_assert_uint_eq(nf_table(1)[0] & (SIM_FL_A | SIM_FL_D), SIM_FL_A);
	ck_assert_ok(nf_ctx, ioasid_sim_dma_write(nf_ctx, nf_dev, IOASID_PASID_NONE, NF_GVA, "w", 1,
						  &done));
	ck_assert_uint_eq(nf_table(1)[0] & (SIM_FL_A | SIM_FL_D), SIM_FL_A | SIM_FL_D);
}
END_TEST

/*
 * EAFE: the IOMMU sets the extended-accessed bit with A, also where the
 * CPU had set A already — a write the parent's tracking records.
 */
START_TEST(test_eafe)
{
	uint32_t parent = nf_parent(IOASID_HWPT_DIRTY_TRACKING, 0), plain, eafe, first;
	struct ioasid_attach_opts ao = { .sz = sizeof(ao) };
	uint64_t bm[8];
	unsigned int l;
	size_t done;
	uint8_t b[4];

	/* the guest's CPU walked these tables already: A set, EA not */
	nf_build_s1(NF_URW | SIM_FL_A, NF_DATA | NF_URW | SIM_FL_A);
	plain = nf_nested(parent, 0, 0, 0);
	eafe = nf_nested(parent, IOASID_VTD_S1_EAFE, 0, 0);
	ck_assert_ok(nf_ctx, ioasid_dev_attach(nf_ctx, nf_dev, IOASID_PASID_NONE, plain, NULL));
	ck_assert_ok(nf_ctx, ioasid_hwpt_set_dirty_tracking(nf_ctx, parent, true));
	ck_assert_ok(nf_ctx,
		     ioasid_sim_dma_read(nf_ctx, nf_dev, IOASID_PASID_NONE, NF_GVA, b, 4, &done));
	for (l = 4; l >= 1; l--)
		ck_assert_uint_eq(nf_table(l)[l == 2 ? 2 : 0] & SIM_FL_EA, 0);
	nf_dirty(parent, 2 * NF_MB, bm, 8, 0);
	ck_assert_uint_eq(bits_set(bm, 8, &first), 0);

	ck_assert_ok(nf_ctx, ioasid_dev_replace(nf_ctx, nf_dev, IOASID_PASID_NONE, eafe, &ao));
	ck_assert_ok(nf_ctx,
		     ioasid_sim_dma_read(nf_ctx, nf_dev, IOASID_PASID_NONE, NF_GVA, b, 4, &done));
	for (l = 4; l >= 1; l--)
		ck_assert_uint_ne(nf_table(l)[l == 2 ? 2 : 0] & SIM_FL_EA, 0);
	nf_dirty(parent, 2 * NF_MB, bm, 8, 0);
	ck_assert_uint_eq(bm[0], 0xf);
	ck_assert_uint_eq(bits_set(bm, 8, &first), 4);
}
END_TEST

/* A stale event names the guest's addresses: its IOVA and both stage-1 outputs. */
START_TEST(test_stale_event_gpa)
{
	struct ioasid_sim_stale_event ev[4];
	uint32_t nested, n;
	size_t done;

	nf_build_s1(NF_URW, NF_DATA | NF_URW);
	nested = nf_nested(nf_parent(0, 1), 0, 0, 0);
	ck_assert_ok(nf_ctx, ioasid_dev_attach(nf_ctx, nf_dev, IOASID_PASID_NONE, nested, NULL));
	ck_assert_ok(nf_ctx, ioasid_sim_dma_write(nf_ctx, nf_dev, IOASID_PASID_NONE, NF_GVA + 8,
						  "a", 1, &done));
	/* repointed in stage 1, not invalidated */
	nf_table(1)[0] = (NF_GPA + 0x200000) | NF_URW;
	ck_assert_ok(nf_ctx, ioasid_sim_dma_write(nf_ctx, nf_dev, IOASID_PASID_NONE, NF_GVA + 8,
						  "b", 1, &done));
	/* repointed outside the guest's RAM: stage 1 translates, stage 2 does not */
	nf_table(1)[0] = (NF_GPA + 64 * NF_MB) | NF_URW;
	ck_assert_ok(nf_ctx, ioasid_sim_dma_write(nf_ctx, nf_dev, IOASID_PASID_NONE, NF_GVA + 8,
						  "c", 1, &done));
	/* unmapped in stage 1 */
	nf_table(1)[0] = 0;
	ck_assert_ok(nf_ctx, ioasid_sim_dma_write(nf_ctx, nf_dev, IOASID_PASID_NONE, NF_GVA + 8,
						  "d", 1, &done));
	n = 4;
	ck_assert_ok(nf_ctx, ioasid_sim_stale_events(nf_ctx, ev, &n));
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(ev[0].iova, NF_GVA + 8);
	ck_assert_uint_eq(ev[0].cached_gpa, NF_DATA + 8);
	ck_assert_uint_eq(ev[0].flags, IOASID_SIM_STALE_F_CURRENT_GPA);
	ck_assert_uint_eq(ev[0].current_gpa, NF_GPA + 0x200008);
	ck_assert_uint_eq(ev[0].current_addr, (uintptr_t)nf_mem + 0x200008);
	ck_assert_int_eq(ev[0].current_err, 0);
	ck_assert_uint_eq(ev[1].flags, IOASID_SIM_STALE_F_CURRENT_GPA);
	ck_assert_uint_eq(ev[1].current_gpa, NF_GPA + 64 * NF_MB + 8);
	ck_assert_int_eq(ev[1].current_err, -ENOENT);
	ck_assert_uint_eq(ev[1].current_addr, 0);
	ck_assert_uint_eq(ev[2].cached_gpa, NF_DATA + 8);
	ck_assert_uint_eq(ev[2].flags, 0);
	ck_assert_uint_eq(ev[2].current_gpa, 0);
	ck_assert_int_eq(ev[2].current_err, -ENOENT);
	/* faithful mode: every write went to the cached page */
	ck_assert_int_eq(nf_mem[0x100008], 'd');
}
END_TEST

/*
 * An ATS device writes through a leaf its device TLB holds: the clearing
 * read must leave it no "dirty already" state, or the next write through
 * it would not set D again (found by the conformance suite:
 * sim-dirty-devtlb). _i = 0: 4 KiB leaves (huge pages off), 1: a 2 MiB leaf.
 */
START_TEST(test_devtlb_write_after_clearing_read)
{
	const unsigned int pages = _i ? 512 : 1, want_first = _i ? 0 : 3;
	struct ioasid_sim_cache_stats cs0, cs1;
	unsigned int first, round;
	uint32_t h;
	size_t done;

	if (!_i)
		ck_assert_ok(nf_ctx, ioasid_ioas_set_option(nf_ctx, nf_ioas,
							    IOASID_IOAS_OPT_HUGE_PAGES, 0));
	map_at(0x40000000, nf_mem, 2 * NF_MB);
	h = dirty_hwpt();
	attach_tracking(h);
	ck_assert_ok(nf_ctx, ioasid_sim_cache_stats(nf_ctx, &cs0));
	for (round = 0; round < 3; round++) {
		/* twice: the second write is served by the device TLB */
		ck_assert_ok(nf_ctx, ioasid_sim_dma_write(nf_ctx, nf_dev, IOASID_PASID_NONE,
							  0x40003000, "a", 1, &done));
		ck_assert_ok(nf_ctx, ioasid_sim_dma_write(nf_ctx, nf_dev, IOASID_PASID_NONE,
							  0x40003008, "b", 1, &done));
		ck_assert_uint_eq(dirty_4k(h, 0x40000000, &first), pages);
		ck_assert_uint_eq(first, want_first);
	}
	/* each clearing read emptied the device TLB: every round missed it once */
	ck_assert_ok(nf_ctx, ioasid_sim_cache_stats(nf_ctx, &cs1));
	ck_assert_uint_eq(cs1.devtlb_hits - cs0.devtlb_hits, 3);
	ck_assert_uint_ge(cs1.devtlb_misses - cs0.devtlb_misses, 3);
}
END_TEST

Suite *sim_dirty_suite(void)
{
	Suite *s = suite_create("sim_dirty");
	TCase *tc = tcase_create("sim_dirty");

	tcase_add_checked_fixture(tc, nf_setup, nf_teardown);
	tcase_add_test(tc, test_huge_pages_off_dirty_at_4k);
	tcase_add_test(tc, test_dirty_bitmap_below_page_size);
	tcase_add_test(tc, test_huge_pages_off_with_a_domain);
	tcase_add_test(tc, test_nested_dirty_tracking);
	tcase_add_test(tc, test_nested_cached_write_sets_d);
	tcase_add_test(tc, test_eafe);
	tcase_add_test(tc, test_stale_event_gpa);
	tcase_add_loop_test(tc, test_devtlb_write_after_clearing_read, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
