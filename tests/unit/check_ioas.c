/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Address spaces on the sim backend, against the kernel's iommufd rules
 * (kernel-uapi.md §1.4, §4). Every refusal is checked for its errno, its
 * message and an unchanged address space afterwards.
 */
#include <stdio.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"
#include "core/ioas-private.h"

#define PG 4096ull
#define MB (1ull << 20)

static struct ioasid_ctx *ctx;
static uint32_t ioas;
static uint8_t *mem; /* 16 MiB, 2 MiB-aligned */
static void *mem_raw;

static void setup(void)
{
	ctx = test_sim_ctx();
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	mem_raw = test_mem(18 * MB);
	mem = (uint8_t *)(((uintptr_t)mem_raw + 2 * MB - 1) & ~(2 * MB - 1));
}

static void teardown(void)
{
	ioasid_ctx_close(ctx);
	munmap(mem_raw, 18 * MB);
}

static uint64_t map_fixed(uint64_t iova, void *va, uint64_t len, uint32_t perm)
{
	uint64_t io = iova;

	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, va, len, perm | IOASID_MAP_FIXED_IOVA, &io));
	ck_assert_uint_eq(io, iova);
	return io;
}

#define RW (IOASID_MAP_READ | IOASID_MAP_WRITE)
#define FIXED IOASID_MAP_FIXED_IOVA

START_TEST(test_map_lookup_unmap)
{
	struct ioasid_mapping m;
	uint64_t n;

	map_fixed(0x10000, mem, 2 * PG, RW);
	ck_assert_ok(ctx, ioasid_ioas_lookup(ctx, ioas, 0x11fff, &m));
	ck_assert_uint_eq(m.iova, 0x10000);
	ck_assert_uint_eq(m.length, 2 * PG);
	ck_assert_uint_eq(m.uva, (uintptr_t)mem);
	ck_assert_uint_eq(m.flags, RW);
	ck_assert_int_eq(ioasid_ioas_lookup(ctx, ioas, 0x12000, &m), -ENOENT);
	ck_assert_errmsg_has(ctx, "0x12000");
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas, 0x10000, 2 * PG, &n));
	ck_assert_uint_eq(n, 2 * PG);
	ck_assert_int_eq(ioasid_ioas_lookup(ctx, ioas, 0x10000, &m), -ENOENT);
}
END_TEST

START_TEST(test_map_errors)
{
	static const struct {
		uint64_t iova, len;
		uint32_t flags;
		int off; /* va offset into mem */
		int err;
		const char *needle;
	} cases[] = {
		{ 0x1000, PG, RW | FIXED | 0x100, 0, -EOPNOTSUPP, "0x100" },
		{ 0x1000, 0, RW | FIXED, 0, -EINVAL, "length is 0" },
		{ 0x1000, PG, FIXED, 0, -EINVAL, "neither READ nor WRITE" },
		{ UINT64_MAX, PG, RW | FIXED, 0, -EOVERFLOW, "0xffffffffffffffff" },
		{ 0x1000, UINT64_MAX, RW | FIXED, 0, -EOVERFLOW, "0xffffffffffffffff" },
		{ UINT64_MAX - PG + 2, PG, RW | FIXED, 0, -EOVERFLOW, "wraps" },
		/* overlaps the area at 0x100000..0x101fff set up below */
		{ 0x101000, PG, RW | FIXED, 0, -EEXIST, "[0x100000, 0x101fff]" },
		{ 0xff000, 2 * PG, RW | FIXED, 0, -EEXIST, "overlaps" },
		{ 0x100000, 2 * PG, RW | FIXED, 0, -EEXIST, "0x100000" },
		/* the caller-reserved region 0x200000..0x2fffff */
		{ 0x1ff000, 2 * PG, RW | FIXED, 0, -EINVAL, "caller-reserved" },
	};
	struct ioas_snap before;
	size_t i;

	map_fixed(0x100000, mem, 2 * PG, RW);
	ck_assert_ok(ctx, ioasid_ioas_reserve(ctx, ioas, 0x200000, 0x2fffff));
	ioas_snap_take(ctx, ioas, &before);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t io = cases[i].iova;
		int r = ioasid_ioas_map(ctx, ioas, mem + cases[i].off, cases[i].len,
					cases[i].flags, &io);

		ck_assert_msg(r == cases[i].err, "case %zu: %d (%s) wanted %d: %s", i, r,
			      ioasid_strerrno(r), cases[i].err, ioasid_ctx_errmsg(ctx));
		ck_assert_msg(strstr(ioasid_ctx_errmsg(ctx), cases[i].needle),
			      "case %zu: message '%s' lacks '%s'", i, ioasid_ctx_errmsg(ctx),
			      cases[i].needle);
		ck_assert_uint_eq(io, cases[i].iova); /* not written on failure */
		ioas_snap_same(ctx, ioas, &before);
	}
	/* unknown IOAS, an id of another kind, NULL arguments */
	{
		uint64_t io = 0x1000;

		ck_assert_int_eq(ioasid_ioas_map(ctx, 777, mem, PG, RW | FIXED, &io), -ENOENT);
		ck_assert_errmsg_has(ctx, "777");
		ck_assert_int_eq(ioasid_ioas_map(ctx, ioas, mem, PG, RW | FIXED, NULL), -EINVAL);
		ck_assert_int_eq(ioasid_ioas_map(ctx, ioas, NULL, PG, RW | FIXED, &io), -EFAULT);
		ck_assert_int_eq(ioasid_ioas_map(NULL, ioas, mem, PG, RW | FIXED, &io), -EINVAL);
	}
	ioas_snap_same(ctx, ioas, &before);
}
END_TEST

START_TEST(test_alignment_rules)
{
	struct ioas_domain_desc d = {
		.owner = &d,
		.pgsize_bitmap = PG | 2 * MB,
		.aperture_start = 0,
		.aperture_last = (1ull << 48) - 1,
	};
	uint64_t io, align;
	uint32_t n = 0;

	/* a bare IOAS has alignment 1: anything goes */
	io = 0x123;
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem + 5, 7, RW | FIXED, &io));
	ck_assert_int_eq(ioasid_ioas_iova_ranges(ctx, ioas, NULL, &n, &align), -EMSGSIZE);
	ck_assert_uint_eq(align, 1);
	/* a 4 KiB domain cannot attach over it: EADDRINUSE naming the mapping */
	ctx_lock(ctx);
	ck_assert_int_eq(ioas_add_domain(ctx, obj_find(ctx, ioas, IOASID_OBJ_IOAS), &d), -EADDRINUSE);
	ctx_unlock(ctx);
	ck_assert_errmsg_has(ctx, "0x123");
	ck_assert_errmsg_has(ctx, "0x201000"); /* the page-size bitmap */
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas, 0, UINT64_MAX, NULL));
	ctx_lock(ctx);
	ck_assert_int_eq(ioas_add_domain(ctx, obj_find(ctx, ioas, IOASID_OBJ_IOAS), &d), 0);
	ctx_unlock(ctx);
	n = 0;
	ck_assert_int_eq(ioasid_ioas_iova_ranges(ctx, ioas, NULL, &n, &align), -EMSGSIZE);
	ck_assert_uint_eq(align, PG);
	ck_assert_uint_eq(n, 1);
	/* now IOVA, length and VA offset must be page aligned */
	io = 0x1800;
	ck_assert_int_eq(ioasid_ioas_map(ctx, ioas, mem, PG, RW | FIXED, &io), -EINVAL);
	ck_assert_errmsg_has(ctx, "0x1800");
	io = 0x1000;
	ck_assert_int_eq(ioasid_ioas_map(ctx, ioas, mem, 100, RW | FIXED, &io), -EINVAL);
	ck_assert_errmsg_has(ctx, "0x64");
	ck_assert_int_eq(ioasid_ioas_map(ctx, ioas, mem + 8, PG, RW | FIXED, &io), -EINVAL);
	/* outside the 48-bit aperture */
	io = 1ull << 48;
	ck_assert_int_eq(ioasid_ioas_map(ctx, ioas, mem, PG, RW | FIXED, &io), -EINVAL);
	ck_assert_errmsg_has(ctx, "aperture");
	ctx_lock(ctx);
	ioas_remove_domain(ctx, obj_find(ctx, ioas, IOASID_OBJ_IOAS), &d);
	ctx_unlock(ctx);
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, PG, RW | FIXED, &io));
	/* a domain whose smallest page is above the CPU page: EINVAL */
	d.pgsize_bitmap = 2 * MB;
	ctx_lock(ctx);
	ck_assert_int_eq(ioas_add_domain(ctx, obj_find(ctx, ioas, IOASID_OBJ_IOAS), &d), -EINVAL);
	ctx_unlock(ctx);
}
END_TEST

START_TEST(test_huge_pages_option)
{
	uint64_t io = 0x10, v;

	ck_assert_ok(ctx, ioasid_ioas_get_option(ctx, ioas, IOASID_IOAS_OPT_HUGE_PAGES, &v));
	ck_assert_uint_eq(v, 1);
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, 16, RW | FIXED, &io));
	ck_assert_int_eq(ioasid_ioas_set_option(ctx, ioas, IOASID_IOAS_OPT_HUGE_PAGES, 0),
			 -EADDRINUSE);
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas, 0x10, 16, NULL));
	ck_assert_ok(ctx, ioasid_ioas_set_option(ctx, ioas, IOASID_IOAS_OPT_HUGE_PAGES, 0));
	ck_assert_int_eq(ioasid_ioas_map(ctx, ioas, mem, 16, RW | FIXED, &io), -EINVAL);
	ck_assert_int_eq(ioasid_ioas_set_option(ctx, ioas, IOASID_IOAS_OPT_HUGE_PAGES, 2), -EINVAL);
	ck_assert_errmsg_has(ctx, "2");
	ck_assert_int_eq(ioasid_ioas_set_option(ctx, ioas, (enum ioasid_ioas_option)9, 0),
			 -EOPNOTSUPP);
	ck_assert_int_eq(ioasid_ioas_get_option(ctx, ioas, (enum ioasid_ioas_option)9, &v),
			 -EOPNOTSUPP);
}
END_TEST

START_TEST(test_auto_iova)
{
	struct ioasid_iova_range allow[2] = {
		{ 0x40000000, 0x4fffffff },
		{ 0x10000000, 0x1000ffff },
	};
	uint64_t io, io2;

	/* lowest hole from PAGE_SIZE, never 0; aligned to min(pow2(len), va) */
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, PG, RW, &io));
	ck_assert_uint_eq(io, PG);
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, 3 * PG, RW, &io));
	ck_assert_uint_eq(io, 4 * PG); /* length 12K -> alignment 16K */
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, PG, RW, &io));
	ck_assert_uint_eq(io, 2 * PG); /* fills the hole below */
	/* the source VA limits the alignment */
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem + PG, 8 * PG, RW, &io));
	ck_assert_uint_eq(io, 0x7000); /* alignment 4K; the 1-page hole at 0x3000 is too small */
	/* alignment is capped at 2 MiB */
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, 8 * MB, RW, &io));
	ck_assert_uint_eq(io, 2 * MB);
	/* the allowed list limits the choice, lowest allowed range first */
	ck_assert_ok(ctx, ioasid_ioas_allow_iovas(ctx, ioas, allow, 2));
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, 0x10000, RW, &io));
	ck_assert_uint_eq(io, 0x10000000);
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, 0x10000, RW, &io2));
	ck_assert_uint_eq(io2, 0x40000000);
	/* but not fixed maps */
	io = 0x80000000;
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, PG, RW | FIXED, &io));
	/* nothing fits */
	ck_assert_int_eq(ioasid_ioas_map(ctx, ioas, mem, 0x20000000, RW, &io), -ENOSPC);
	ck_assert_errmsg_has(ctx, "0x20000000");
}
END_TEST

START_TEST(test_auto_unaligned_va)
{
	uint64_t io, io2;

	/*
	 * A bare IOAS takes any VA. The kernel ORs the source's in-page offset
	 * into the aligned hole start (§4.3): va offset 0x10, length 0x20 ->
	 * alignment 0x10, and 0x1000 | 0x10.
	 */
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem + 0x10, 0x20, RW, &io));
	ck_assert_uint_eq(io, 0x1010);
	/* the next one cannot start inside [0x1010, 0x102f]: OR-ing 0x10 into
	 * 0x1030 keeps it, and that is free */
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem + 0x10, 0x20, RW, &io2));
	ck_assert_uint_eq(io2, 0x1030);
}
END_TEST

START_TEST(test_auto_skips_reserved)
{
	uint64_t io;

	ck_assert_ok(ctx, ioasid_ioas_reserve(ctx, ioas, 0, 0xffffff));
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, 2 * MB, RW, &io));
	ck_assert_uint_eq(io, 0x1000000);
	ck_assert_ok(ctx, ioasid_ioas_reserve(ctx, ioas, 0x1200000, 0x12fffff));
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, 2 * MB, RW, &io));
	ck_assert_uint_eq(io, 0x1400000);
	/* reserving over a mapping is refused */
	ck_assert_int_eq(ioasid_ioas_reserve(ctx, ioas, 0x1000000, 0x1000fff), -EADDRINUSE);
	ck_assert_errmsg_has(ctx, "0x1000000");
	ck_assert_int_eq(ioasid_ioas_reserve(ctx, ioas, 5, 4), -EINVAL);
	ck_assert_int_eq(ioasid_ioas_unreserve(ctx, ioas, 0x1200000, 0x12fffe), -ENOENT);
	ck_assert_ok(ctx, ioasid_ioas_unreserve(ctx, ioas, 0x1200000, 0x12fffff));
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, 2 * MB, RW, &io));
	ck_assert_uint_eq(io, 0x1200000);
}
END_TEST

START_TEST(test_iova_ranges)
{
	struct ioasid_iova_range r[4];
	uint32_t n = 4;

	ck_assert_ok(ctx, ioasid_ioas_iova_ranges(ctx, ioas, r, &n, NULL));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(r[0].start, 0);
	ck_assert_uint_eq(r[0].last, UINT64_MAX);
	ck_assert_ok(ctx, ioasid_ioas_reserve(ctx, ioas, 0xfee00000, 0xfeefffff));
	ck_assert_ok(ctx, ioasid_ioas_reserve(ctx, ioas, 0xfee80000, 0xfef0ffff)); /* overlaps */
	ck_assert_ok(ctx, ioasid_ioas_reserve(ctx, ioas, 0, 0xfff));
	n = 4;
	ck_assert_ok(ctx, ioasid_ioas_iova_ranges(ctx, ioas, r, &n, NULL));
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(r[0].start, 0x1000);
	ck_assert_uint_eq(r[0].last, 0xfedfffff);
	ck_assert_uint_eq(r[1].start, 0xfef10000);
	ck_assert_uint_eq(r[1].last, UINT64_MAX);
	/* too small an array: EMSGSIZE, the total and what fits */
	n = 1;
	memset(r, 0, sizeof(r));
	ck_assert_int_eq(ioasid_ioas_iova_ranges(ctx, ioas, r, &n, NULL), -EMSGSIZE);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(r[0].start, 0x1000);
	ck_assert_uint_eq(r[1].start, 0);
	n = 1;
	ck_assert_int_eq(ioasid_ioas_iova_ranges(ctx, ioas, NULL, &n, NULL), -EINVAL);
	ck_assert_int_eq(ioasid_ioas_iova_ranges(ctx, 99, r, &n, NULL), -ENOENT);
}
END_TEST

START_TEST(test_allow_iovas_errors)
{
	struct ioasid_iova_range bad_order[1] = { { 0x2000, 0x2000 } };
	struct ioasid_iova_range overlap[2] = { { 0x1000, 0x4fff }, { 0x4000, 0x8fff } };
	struct ioasid_iova_range good[1] = { { 0x100000, 0x1fffff } };
	struct ioasid_iova_range on_resv[1] = { { 0xfe000000, 0xfeffffff } };
	uint64_t io;

	ck_assert_int_eq(ioasid_ioas_allow_iovas(ctx, ioas, bad_order, 1), -EINVAL);
	ck_assert_errmsg_has(ctx, "0x2000");
	ck_assert_int_eq(ioasid_ioas_allow_iovas(ctx, ioas, overlap, 2), -EINVAL);
	ck_assert_errmsg_has(ctx, "overlap");
	ck_assert_ok(ctx, ioasid_ioas_reserve(ctx, ioas, 0xfee00000, 0xfeefffff));
	ck_assert_int_eq(ioasid_ioas_allow_iovas(ctx, ioas, on_resv, 1), -EADDRINUSE);
	ck_assert_errmsg_has(ctx, "0xfee00000");
	ck_assert_int_eq(ioasid_ioas_allow_iovas(ctx, ioas, NULL, 1), -EINVAL);
	ck_assert_ok(ctx, ioasid_ioas_allow_iovas(ctx, ioas, good, 1));
	/* a failed replacement keeps the old list */
	ck_assert_int_eq(ioasid_ioas_allow_iovas(ctx, ioas, overlap, 2), -EINVAL);
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, PG, RW, &io));
	ck_assert_uint_eq(io, 0x100000);
	/* reserving over an allowed range is refused */
	ck_assert_int_eq(ioasid_ioas_reserve(ctx, ioas, 0x180000, 0x180fff), -EADDRINUSE);
	ck_assert_errmsg_has(ctx, "allowed");
	/* clearing */
	ck_assert_ok(ctx, ioasid_ioas_allow_iovas(ctx, ioas, NULL, 0));
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, PG, RW, &io));
	ck_assert_uint_eq(io, PG);
}
END_TEST

START_TEST(test_unmap_rules)
{
	struct ioas_snap before;
	uint64_t n = 12345;

	map_fixed(0x10000, mem, 4 * PG, RW);  /* [0x10000, 0x13fff] */
	map_fixed(0x20000, mem, 4 * PG, RW);  /* [0x20000, 0x23fff] */
	map_fixed(0x30000, mem, 4 * PG, RW);  /* [0x30000, 0x33fff] */
	ioas_snap_take(ctx, ioas, &before);

	/* straddling the start */
	ck_assert_int_eq(ioasid_ioas_unmap(ctx, ioas, 0x11000, 0x30000, &n), -ENOENT);
	ck_assert_errmsg_has(ctx, "straddles the start");
	ioas_snap_same(ctx, ioas, &before);
	/* straddling the end after whole areas: the kernel would have removed
	 * the earlier ones; the library removes nothing */
	ck_assert_int_eq(ioasid_ioas_unmap(ctx, ioas, 0x10000, 0x22000, &n), -ENOENT);
	ck_assert_errmsg_has(ctx, "[0x30000, 0x33fff]");
	ck_assert_errmsg_has(ctx, "straddles the end");
	ioas_snap_same(ctx, ioas, &before);
	ck_assert_uint_eq(n, 12345);
	/* empty range */
	ck_assert_int_eq(ioasid_ioas_unmap(ctx, ioas, 0x40000, PG, &n), -ENOENT);
	ck_assert_errmsg_has(ctx, "no mapping");
	ck_assert_int_eq(ioasid_ioas_unmap(ctx, ioas, 0x10000, 0, &n), -EINVAL);
	ck_assert_int_eq(ioasid_ioas_unmap(ctx, ioas, UINT64_MAX - 5, 10, &n), -EOVERFLOW);
	ck_assert_errmsg_has(ctx, "wraps");
	ck_assert_int_eq(ioasid_ioas_unmap(ctx, ioas, 5, UINT64_MAX, &n), -EOVERFLOW);
	ck_assert_int_eq(ioasid_ioas_unmap(ctx, 4444, 0, PG, &n), -ENOENT);
	ioas_snap_same(ctx, ioas, &before);
	/* holes are fine; the bytes removed are reported */
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas, 0x10000, 0x14000, &n));
	ck_assert_uint_eq(n, 8 * PG);
	/* unmap-all */
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas, 0, UINT64_MAX, &n));
	ck_assert_uint_eq(n, 4 * PG);
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas, 0, UINT64_MAX, &n));
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_copy)
{
	struct ioasid_pinned_info pi;
	struct ioasid_mapping m;
	struct ioas_snap before;
	uint32_t b, dev = 0;
	uint64_t io, n;

	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &b));
	test_domain(ctx, &dev, ioas);
	test_domain(ctx, &dev, b);
	map_fixed(0x10000, mem, 4 * PG, RW);
	map_fixed(0x14000, mem + 8 * PG, 4 * PG, IOASID_MAP_READ);
	ck_assert_ok(ctx, ioasid_ctx_pinned(ctx, &pi));
	ck_assert_uint_eq(pi.pinned_pages, 8);
	/* a sub-range of one area, fixed */
	io = 0x100000;
	ck_assert_ok(ctx, ioasid_ioas_copy(ctx, b, ioas, 0x11000, 2 * PG, RW | FIXED, &io));
	ck_assert_ok(ctx, ioasid_ioas_lookup(ctx, b, 0x100000, &m));
	ck_assert_uint_eq(m.uva, (uintptr_t)mem + PG);
	ck_assert_uint_eq(m.length, 2 * PG);
	/* across two areas: two new areas, read only */
	ck_assert_ok(ctx, ioasid_ioas_copy(ctx, b, ioas, 0x12000, 4 * PG, IOASID_MAP_READ, &io));
	ck_assert_ok(ctx, ioasid_ioas_lookup(ctx, b, io + 2 * PG, &m));
	ck_assert_uint_eq(m.uva, (uintptr_t)mem + 8 * PG);
	/* no second charge */
	ck_assert_ok(ctx, ioasid_ctx_pinned(ctx, &pi));
	ck_assert_uint_eq(pi.pinned_pages, 8);
	/* the source can go; the pages stay charged until the copies go */
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas, 0, UINT64_MAX, &n));
	ck_assert_ok(ctx, ioasid_ctx_pinned(ctx, &pi));
	ck_assert_uint_eq(pi.pinned_pages, 8);
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, b, 0, UINT64_MAX, &n));
	ck_assert_ok(ctx, ioasid_ctx_pinned(ctx, &pi));
	ck_assert_uint_eq(pi.pinned_pages, 0);

	/* errors, each leaving both sides unchanged */
	map_fixed(0x10000, mem, 4 * PG, RW);
	map_fixed(0x20000, mem, 4 * PG, IOASID_MAP_READ);
	ioas_snap_take(ctx, b, &before);
	io = 0;
	ck_assert_int_eq(ioasid_ioas_copy(ctx, b, ioas, 0x13000, 2 * PG, RW, &io), -ENOENT);
	ck_assert_errmsg_has(ctx, "0x14000");
	ck_assert_int_eq(ioasid_ioas_copy(ctx, b, ioas, 0x20000, PG, RW, &io), -EPERM);
	ck_assert_int_eq(ioasid_ioas_copy(ctx, b, ioas, 0x10000, 0, RW, &io), -EINVAL);
	ck_assert_int_eq(ioasid_ioas_copy(ctx, b, 999, 0x10000, PG, RW, &io), -ENOENT);
	ck_assert_int_eq(ioasid_ioas_copy(ctx, b, ioas, 0x10000, PG, RW | 0x40, &io), -EOPNOTSUPP);
	ck_assert_int_eq(ioasid_ioas_copy(ctx, b, ioas, UINT64_MAX - 1, 4, RW, &io), -EOVERFLOW);
	io = 0x100000;
	ck_assert_ok(ctx, ioasid_ioas_copy(ctx, b, ioas, 0x10000, PG, RW | FIXED, &io));
	ioas_snap_take(ctx, b, &before);
	ck_assert_int_eq(ioasid_ioas_copy(ctx, b, ioas, 0x10000, PG, RW | FIXED, &io), -EEXIST);
	ioas_snap_same(ctx, b, &before);
	/* a copy within one IOAS */
	ck_assert_ok(ctx, ioasid_ioas_copy(ctx, ioas, ioas, 0x10000, 4 * PG, RW, &io));
	ck_assert_ok(ctx, ioasid_ioas_lookup(ctx, ioas, io, &m));
	ck_assert_uint_eq(m.uva, (uintptr_t)mem);
}
END_TEST

START_TEST(test_pinned_accounting)
{
	struct ioasid_pinned_info pi;
	struct ioas_snap before;
	uint32_t dev = 0, hwpt;
	uint64_t io, n;

	ck_assert_ok(ctx, ioasid_ctx_set_pinned_limit(ctx, 8 * PG));
	hwpt = test_domain(ctx, &dev, ioas);
	map_fixed(0x10000, mem, 6 * PG, RW);
	ioas_snap_take(ctx, ioas, &before);
	io = 0x100000;
	ck_assert_int_eq(ioasid_ioas_map(ctx, ioas, mem, 3 * PG, RW | FIXED, &io), -ENOMEM);
	ck_assert_errmsg_has(ctx, "limit of 8 pages");
	ck_assert_errmsg_has(ctx, "by 1");
	ioas_snap_same(ctx, ioas, &before);
	/* a second map of the same memory is charged again (§4.5) */
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, 2 * PG, RW | FIXED, &io));
	ck_assert_ok(ctx, ioasid_ctx_pinned(ctx, &pi));
	ck_assert_uint_eq(pi.pinned_pages, 8);
	/*
	 * A domain makes the IOAS page-aligned (§4.3), so memory is pinned by
	 * whole pages: an unaligned VA, which would span one more page, is
	 * refused before anything is pinned.
	 */
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas, 0, UINT64_MAX, &n));
	io = 0x10;
	ck_assert_int_eq(ioasid_ioas_map(ctx, ioas, mem + 0x10, PG, RW | FIXED, &io), -EINVAL);
	ck_assert_errmsg_has(ctx, "alignment 0x1000");
	io = 0x1000;
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem + PG, PG, RW | FIXED, &io));
	ck_assert_ok(ctx, ioasid_ctx_pinned(ctx, &pi));
	ck_assert_uint_eq(pi.pinned_pages, 1);
	/* the CAP_IPC_LOCK exemption, when on and held, lifts the limit */
	ck_assert_ok(ctx, ioasid_ctx_set_cap_ipc_lock_exempt(ctx, true));
	ck_assert_ok(ctx, ioasid_ctx_pinned(ctx, &pi));
	if (pi.exempt) {
		io = 0x200000;
		ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, 16 * PG, RW | FIXED, &io));
		ck_assert_uint_eq(pi.limit_pages, UINT64_MAX);
	} else {
		ck_assert_uint_eq(pi.limit_pages, 8);
	}
	/* destroying the IOAS's last domain, then the IOAS, uncharges everything */
	ck_assert_ok(ctx, ioasid_hwpt_destroy(ctx, hwpt));
	ck_assert_ok(ctx, ioasid_ioas_destroy(ctx, ioas));
	ck_assert_ok(ctx, ioasid_ctx_pinned(ctx, &pi));
	ck_assert_uint_eq(pi.pinned_pages, 0);
}
END_TEST

START_TEST(test_destroy_and_stats)
{
	struct ioasid_ioas_stats st;
	uint64_t io;

	map_fixed(0x10000, mem, 4 * PG, RW);
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, PG, RW, &io));
	ck_assert_ok(ctx, ioasid_ioas_stats(ctx, ioas, &st));
	ck_assert_uint_eq(st.nr_areas, 2);
	ck_assert_uint_eq(st.mapped_bytes, 5 * PG);
	ck_assert_uint_eq(st.alignment, 1);
	ck_assert_int_eq(ioasid_ioas_destroy(ctx, 31337), -ENOENT);
	ck_assert_ok(ctx, ioasid_ioas_destroy(ctx, ioas));
	ck_assert_int_eq(ioasid_ioas_stats(ctx, ioas, &st), -ENOENT);
	ck_assert_int_eq(ioasid_ioas_destroy(ctx, ioas), -ENOENT);
}
END_TEST

START_TEST(test_mappings_paging)
{
	struct ioasid_mapping m[3];
	uint32_t n, total = 0;
	uint64_t from = 0;
	int i;

	for (i = 0; i < 10; i++)
		map_fixed(0x100000 + i * 0x10000, mem, PG, RW);
	do {
		n = 3;
		ck_assert_ok(ctx, ioasid_ioas_mappings(ctx, ioas, from, m, &n));
		if (n)
			from = m[n - 1].iova + m[n - 1].length;
		total += n;
	} while (n == 3);
	ck_assert_uint_eq(total, 10);
}
END_TEST

Suite *ioas_suite(void)
{
	Suite *s = suite_create("ioas");
	TCase *tc = tcase_create("ioas");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_map_lookup_unmap);
	tcase_add_test(tc, test_map_errors);
	tcase_add_test(tc, test_alignment_rules);
	tcase_add_test(tc, test_huge_pages_option);
	tcase_add_test(tc, test_auto_iova);
	tcase_add_test(tc, test_auto_unaligned_va);
	tcase_add_test(tc, test_auto_skips_reserved);
	tcase_add_test(tc, test_iova_ranges);
	tcase_add_test(tc, test_allow_iovas_errors);
	tcase_add_test(tc, test_unmap_rules);
	tcase_add_test(tc, test_copy);
	tcase_add_test(tc, test_pinned_accounting);
	tcase_add_test(tc, test_destroy_and_stats);
	tcase_add_test(tc, test_mappings_paging);
	suite_add_tcase(s, tc);
	return s;
}
