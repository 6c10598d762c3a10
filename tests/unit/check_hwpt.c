/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The simulated IOMMU translates: HWPTs with real page tables, DMA through
 * the caches and walks, nested stage 1 in guest memory, invalidation, the
 * stale-translation detector, dirty tracking; and the HWPT rules.
 */
#include <stdio.h>

#include "helpers.h"
#include "suites.h"
#include "core/dev-private.h"
#include "core/hwpt-private.h"
#include "backend/sim/sim-private.h"

#define PG 4096ull
#define MB (1ull << 20)
#define RW (IOASID_MAP_READ | IOASID_MAP_WRITE)
#define FIXED IOASID_MAP_FIXED_IOVA

static struct ioasid_ctx *ctx;
static uint32_t ioas, dev;
static uint8_t *mem, *mem_raw; /* 8 MiB, 2 MiB aligned */

static void setup(void)
{
	ctx = test_sim_ctx();
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev));
	mem_raw = test_mem(10 * MB);
	mem = (uint8_t *)(((uintptr_t)mem_raw + 2 * MB - 1) & ~(2 * MB - 1));
	memset(mem, 0, 8 * MB);
}

static void teardown(void)
{
	ioasid_ctx_close(ctx);
	munmap(mem_raw, 10 * MB);
}

static void map_at(uint32_t a, uint64_t iova, void *va, uint64_t len, uint32_t perm)
{
	uint64_t io = iova;

	ck_assert_ok(ctx, ioasid_ioas_map(ctx, a, va, len, perm | FIXED, &io));
}

/* The table of the HWPT at (dev, pasid), reached through the internals. */
static struct sim_pt *pt_of(uint32_t d, uint32_t pasid)
{
	struct ioasid_hwpt *h = dev_attached_hwpt(obj_find(ctx, d, IOASID_OBJ_DEV), pasid);

	return h ? ((struct sim_hwpt *)h->be)->pt : NULL;
}

/* How many HWPT objects the context has (automatic ones included). */
static uint32_t hwpt_count(void)
{
	uint32_t pos = 0, n = 0;

	while (obj_next(ctx, IOASID_OBJ_HWPT, &pos))
		n++;
	return n;
}

/* Read a raw entry of a table in host memory. */
static uint64_t entry(uint64_t table, unsigned int idx)
{
	return ((const uint64_t *)(uintptr_t)table)[idx];
}

START_TEST(test_paging_dma_and_table_bytes)
{
	uint8_t out[8192], in[8192];
	uint64_t root, l3, l2, e;
	size_t done;
	unsigned int i;

	map_at(ioas, 0x40000000, mem, 4 * MB, RW);
	map_at(ioas, 0x50000000, mem + 4 * MB, PG, IOASID_MAP_READ);
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, ioas, NULL));

	/* the table is real: walk its bytes by hand (VT-d second stage) */
	root = sim_pt_root(pt_of(dev, IOASID_PASID_NONE));
	e = entry(root, 0);                       /* level 4, index 0 */
	ck_assert_uint_eq(e & 3, 3);              /* R|W */
	l3 = e & SIM_PT_ADDR_MASK;
	e = entry(l3, 1);                         /* 0x40000000 >> 30 = 1 */
	ck_assert_uint_eq(e & SIM_SL_PS, 0);      /* not a 1 GiB leaf: 4 MiB only */
	l2 = e & SIM_PT_ADDR_MASK;
	e = entry(l2, 0);
	ck_assert_uint_ne(e & SIM_SL_PS, 0);      /* a 2 MiB leaf */
	ck_assert_uint_eq(e & SIM_PT_ADDR_MASK, (uintptr_t)mem);
	ck_assert_uint_ne(entry(l2, 1) & SIM_SL_PS, 0);
	ck_assert_uint_eq(entry(l2, 2), 0);

	for (i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7 + 1);
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, 0x40000ff0, out,
					       sizeof(out), &done));
	ck_assert_uint_eq(done, sizeof(out));
	ck_assert_int_eq(memcmp(mem + 0xff0, out, sizeof(out)), 0);
	ck_assert_ok(ctx, ioasid_sim_dma_read(ctx, dev, IOASID_PASID_NONE, 0x40000ff0, in,
					      sizeof(in), &done));
	ck_assert_int_eq(memcmp(in, out, sizeof(in)), 0);
	/* the read-only page */
	ck_assert_int_eq(ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, 0x50000000, out, 16,
					      &done), -EACCES);
	ck_assert_uint_eq(done, 0);
	ck_assert_errmsg_has(ctx, "0x50000000");
	/* a device with nothing at a PASID is blocked */
	ck_assert_int_eq(ioasid_sim_dma_read(ctx, dev, 5, 0x40000000, in, 16, &done), -EFAULT);
	ck_assert_errmsg_has(ctx, "blocked");
}
END_TEST

START_TEST(test_dma_stops_at_failing_page)
{
	uint8_t out[2 * 4096];
	size_t done;

	memset(out, 0xab, sizeof(out));
	map_at(ioas, 0x60000000, mem, PG, RW); /* only the first page */
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, ioas, NULL));
	ck_assert_int_eq(ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, 0x60000000, out,
					      sizeof(out), &done), -EFAULT);
	ck_assert_uint_eq(done, PG);
	ck_assert_errmsg_has(ctx, "0x60001000");
	ck_assert_errmsg_has(ctx, "not present");
	ck_assert_uint_eq(mem[PG - 1], 0xab);
	ck_assert_uint_eq(mem[PG], 0); /* nothing written past the failing page */
	/* an unmap takes effect at once: the library flushes, as the kernel does */
	ck_assert_ok(ctx, ioasid_sim_dma_read(ctx, dev, IOASID_PASID_NONE, 0x60000000, out, 8, &done));
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas, 0x60000000, PG, NULL));
	ck_assert_int_eq(ioasid_sim_dma_read(ctx, dev, IOASID_PASID_NONE, 0x60000000, out, 8,
					     &done), -EFAULT);
	ck_assert_uint_eq(done, 0);
}
END_TEST

/*
 * A guest-owned VT-d first-stage table in guest memory mapped at GPA
 * 0x10000000. Its entries grant U/S, as Linux's do: requests without PASID
 * are user-mode requests.
 */
#define S1_URW (SIM_FL_P | SIM_FL_RW | SIM_FL_US)
#define GPA 0x10000000ull
#define GVA 0x400000ull
static uint64_t *gtable(unsigned int page)
{
	return (uint64_t *)(mem + page * PG);
}

static void build_s1(uint64_t data_gpa)
{
	memset(mem, 0, 4 * PG);
	gtable(0)[0] = (GPA + 1 * PG) | S1_URW; /* PML4[0] */
	gtable(1)[0] = (GPA + 2 * PG) | S1_URW; /* PDPT[0] */
	gtable(2)[2] = (GPA + 3 * PG) | S1_URW; /* PD[2]: 0x400000 */
	gtable(3)[0] = data_gpa | S1_URW;       /* PT[0] */
}

static uint32_t nested_setup(uint32_t *parent_ret)
{
	struct ioasid_hwpt_vtd_s1 s1 = { .pgtbl_addr = GPA, .addr_width = 48 };
	uint32_t parent, nested;

	map_at(ioas, GPA, mem, 8 * MB, RW);
	{
		struct ioasid_hwpt_opts o = { .sz = sizeof(struct ioasid_hwpt_opts), .flags = IOASID_HWPT_NEST_PARENT };
		ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, ioas, &o, &parent));
	}
	build_s1(GPA + 0x100000);
	{
		struct ioasid_hwpt_opts o = { .sz = sizeof(struct ioasid_hwpt_opts), .type = IOASID_HWPT_NESTED_VTD_S1, .data = &s1,
			    .data_len = sizeof(s1) };
		ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, parent, &o, &nested));
	}
	if (parent_ret)
		*parent_ret = parent;
	return nested;
}

START_TEST(test_nested_and_stale_detector)
{
	struct ioasid_sim_stale_event ev[4];
	struct ioasid_inv_req req = {
		.size = sizeof(req), .version = 1, .kind = IOASID_INV_IOTLB,
		.granularity = IOASID_INV_RANGE, .pasid = IOASID_PASID_NONE,
		.log2_pgsize = 12, .addr = GVA, .npages = 1,
	};
	struct ioasid_sim_cache_stats st;
	uint32_t nested, n = 4, one = 1;
	uint64_t dropped;
	size_t done;

	nested = nested_setup(NULL);
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, nested, NULL));
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, GVA + 0x10, "first", 5,
					       &done));
	ck_assert_int_eq(memcmp(mem + 0x100010, "first", 5), 0);
	/* hardware set the accessed and dirty bits in the guest's leaf */
	ck_assert_uint_ne(gtable(3)[0] & SIM_FL_A, 0);
	ck_assert_uint_ne(gtable(3)[0] & SIM_FL_D, 0);

	/* the guest repoints the page and forgets to invalidate */
	gtable(3)[0] = (GPA + 0x200000) | S1_URW;
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, GVA + 0x10, "stale", 5,
					       &done));
	ck_assert_int_eq(memcmp(mem + 0x100010, "stale", 5), 0); /* the old page */
	ck_assert_uint_eq(mem[0x200010], 0);
	ck_assert_ok(ctx, ioasid_sim_stale_events(ctx, ev, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(ev[0].iova, GVA + 0x10);
	ck_assert_uint_eq(ev[0].cached_addr, (uintptr_t)mem + 0x100010);
	ck_assert_uint_eq(ev[0].current_addr, (uintptr_t)mem + 0x200010);
	ck_assert_uint_eq(ev[0].hwpt, nested);
	ck_assert_ok(ctx, ioasid_sim_cache_stats(ctx, &st));
	ck_assert_uint_eq(st.stale_hits, 1);

	/* after the invalidation the new page is used */
	ck_assert_ok(ctx, ioasid_hwpt_invalidate(ctx, nested, &req, &one, &dropped));
	ck_assert_uint_eq(one, 1);
	ck_assert_uint_ge(dropped, 1);
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, GVA + 0x10, "fresh", 5,
					       &done));
	ck_assert_int_eq(memcmp(mem + 0x200010, "fresh", 5), 0);

	/* strict mode refuses a stale entry, and writes nothing */
	ck_assert_ok(ctx, ioasid_sim_set_stale_mode(ctx, IOASID_SIM_STALE_STRICT));
	gtable(3)[0] = 0; /* unmapped in stage 1, not invalidated */
	ck_assert_int_eq(ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, GVA + 0x10, "nope!", 5,
					      &done), -EIO);
	ck_assert_uint_eq(done, 0);
	ck_assert_int_eq(memcmp(mem + 0x200010, "fresh", 5), 0);
	n = 4;
	ck_assert_ok(ctx, ioasid_sim_stale_events(ctx, ev, &n));
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(ev[1].current_err, -ENOENT);
	ck_assert_int_eq(ioasid_sim_set_stale_mode(ctx, (enum ioasid_sim_stale_mode)7), -EINVAL);
	/* with the invalidation, the fault is a plain translation fault */
	one = 1;
	req.granularity = IOASID_INV_ALL;
	ck_assert_ok(ctx, ioasid_hwpt_invalidate(ctx, nested, &req, &one, NULL));
	ck_assert_int_eq(ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, GVA, "x", 1, &done),
			 -EFAULT);
	ck_assert_errmsg_has(ctx, "not present");
}
END_TEST

START_TEST(test_nested_raw_vtd_invalidation)
{
	struct {
		uint64_t addr, npages;
		uint32_t flags, resv;
	} raw[2] = { { GVA, 1, 1, 0 }, { 0, UINT64_MAX, 0, 0 } };
	uint32_t nested, n = 2;
	size_t done;

	nested = nested_setup(NULL);
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, nested, NULL));
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, GVA, "a", 1, &done));
	gtable(3)[0] = (GPA + 0x300000) | S1_URW;
	ck_assert_ok(ctx, ioasid_hwpt_invalidate_raw(ctx, nested, IOASID_INV_DATA_VTD_S1, raw,
						     sizeof(raw[0]), &n));
	ck_assert_uint_eq(n, 2);
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, GVA, "b", 1, &done));
	ck_assert_uint_eq(mem[0x300000], 'b');
	/* a bad entry: the handled count says where */
	raw[1].resv = 1;
	n = 2;
	ck_assert_int_eq(ioasid_hwpt_invalidate_raw(ctx, nested, IOASID_INV_DATA_VTD_S1, raw,
						    sizeof(raw[0]), &n), -EOPNOTSUPP);
	ck_assert_uint_eq(n, 1);
	n = 1;
	ck_assert_int_eq(ioasid_hwpt_invalidate_raw(ctx, nested, 9, raw, sizeof(raw[0]), &n),
			 -EINVAL);
	n = 1;
	ck_assert_int_eq(ioasid_hwpt_invalidate_raw(ctx, nested, IOASID_INV_DATA_VTD_S1, raw, 16,
						    &n), -EINVAL);
}
END_TEST

/*
 * The kernel's answers to raw VT-d arrays (IOMMU_HWPT_INVALIDATE and the
 * VT-d driver): the same on the sim as the kernel gives on iommufd.
 */
START_TEST(test_raw_invalidation_kernel_rules)
{
	struct vtd_inv {
		uint64_t addr, npages;
		uint32_t flags, resv;
	};
	struct vtd_inv e[2] = { { GVA, 1, 0, 0 }, { 0, 1, 0, 0 } };
	const uint32_t E = sizeof(e[0]);
	uint8_t *big = calloc(1, 2 * E + 65536);
	uint32_t nested, n;
	size_t done;

	ck_assert_ptr_nonnull(big);
	nested = nested_setup(NULL);
	memcpy(big, e, sizeof(e));
	/* longer than the kernel's struct, zero tail or not: EINVAL, nothing handled */
	n = 1;
	ck_assert_int_eq(ioasid_hwpt_invalidate_raw(ctx, nested, IOASID_INV_DATA_VTD_S1, big, E + 8,
						    &n),
			 -EINVAL);
	ck_assert_uint_eq(n, 0);
	ck_assert_errmsg_has(ctx, "entry_len 32");
	/* above the page size: EINVAL before the HWPT is looked up */
	n = 1;
	ck_assert_int_eq(ioasid_hwpt_invalidate_raw(ctx, 4444, IOASID_INV_DATA_VTD_S1, big,
						    (uint32_t)ioasid_page_size() + 1, &n),
			 -EINVAL);
	ck_assert_uint_eq(n, 0);
	ck_assert_errmsg_has(ctx, "page size");
	/* more than 2^19 entries: refused before any is read */
	n = (1u << 19) + 1;
	ck_assert_int_eq(ioasid_hwpt_invalidate_raw(ctx, nested, IOASID_INV_DATA_VTD_S1, big, E, &n),
			 -EINVAL);
	ck_assert_uint_eq(n, 0);
	ck_assert_errmsg_has(ctx, "524289 entries");
	/* an id that is not an HWPT: EINVAL; one that is nothing: ENOENT */
	n = 1;
	ck_assert_int_eq(ioasid_hwpt_invalidate_raw(ctx, dev, IOASID_INV_DATA_VTD_S1, e, E, &n),
			 -EINVAL);
	n = 1;
	ck_assert_int_eq(ioasid_hwpt_invalidate_raw(ctx, 4444, IOASID_INV_DATA_VTD_S1, e, E, &n),
			 -ENOENT);
	/* U64_MAX pages from an address other than 0 */
	e[1].addr = 0x1000;
	e[1].npages = UINT64_MAX;
	n = 2;
	ck_assert_int_eq(ioasid_hwpt_invalidate_raw(ctx, nested, IOASID_INV_DATA_VTD_S1, e, E, &n),
			 -EINVAL);
	ck_assert_uint_eq(n, 1);
	ck_assert_errmsg_has(ctx, "entry 1");
	/*
	 * 0 pages: taken, and it flushes as VT-d's driver does, the aligned
	 * region around the address: a stale stage-1 entry at GVA is gone.
	 */
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, nested, NULL));
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, GVA, "a", 1, &done));
	gtable(3)[0] = (GPA + 0x300000) | S1_URW;
	e[0].npages = 0;
	n = 1;
	ck_assert_ok(ctx, ioasid_hwpt_invalidate_raw(ctx, nested, IOASID_INV_DATA_VTD_S1, e, E, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, GVA, "b", 1, &done));
	ck_assert_uint_eq(mem[0x300000], 'b');
	/* a range past the top of the address space is taken */
	e[0].addr = UINT64_MAX & ~UINT64_C(0xfff);
	e[0].npages = 2;
	n = 1;
	ck_assert_ok(ctx, ioasid_hwpt_invalidate_raw(ctx, nested, IOASID_INV_DATA_VTD_S1, e, E, &n));
	free(big);
}
END_TEST

/* The typed requests keep to the kernel's bounds too. */
START_TEST(test_invalidate_bounds)
{
	struct ioasid_inv_req r = IOASID_INV_REQ_INIT;
	uint32_t nested = nested_setup(NULL), n;

	r.kind = IOASID_INV_IOTLB;
	r.granularity = IOASID_INV_ALL;
	n = (1u << 19) + 1;
	ck_assert_int_eq(ioasid_hwpt_invalidate(ctx, nested, &r, &n, NULL), -EINVAL);
	ck_assert_uint_eq(n, 0);
	n = 1;
	ck_assert_int_eq(ioasid_hwpt_invalidate(ctx, nested, NULL, &n, NULL), -EINVAL);
	ck_assert_uint_eq(n, 0);
	n = 1;
	ck_assert_ok(ctx, ioasid_hwpt_invalidate(ctx, nested, &r, &n, NULL));
	ck_assert_uint_eq(n, 1);
}
END_TEST

/* The IOAS behind an HWPT: explicit, automatic (the fault record's id), nested. */
START_TEST(test_hwpt_ioas)
{
	uint32_t nested, parent = 0, plain, autoh, pt, b, got;

	nested = nested_setup(&parent);
	ck_assert_ok(ctx, ioasid_hwpt_ioas(ctx, nested, &got));
	ck_assert_uint_eq(got, ioas);
	ck_assert_ok(ctx, ioasid_hwpt_ioas(ctx, parent, &got));
	ck_assert_uint_eq(got, ioas);
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &b));
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, b, NULL, &plain));
	ck_assert_ok(ctx, ioasid_hwpt_ioas(ctx, plain, &got));
	ck_assert_uint_eq(got, b);
	/* an attach to an IOAS: the automatic HWPT is the one other HWPT of b */
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, b, NULL));
	ck_assert_ok(ctx, ioasid_dev_attached(ctx, dev, IOASID_PASID_NONE, &pt));
	ck_assert_uint_eq(pt, b);
	autoh = 0;
	{
		struct ioasid_obj *o;
		uint32_t pos = 0;

		while ((o = obj_next(ctx, IOASID_OBJ_HWPT, &pos)))
			if (o->id != nested && o->id != parent && o->id != plain)
				autoh = o->id;
	}
	ck_assert_uint_ne(autoh, 0);
	ck_assert_ok(ctx, ioasid_hwpt_ioas(ctx, autoh, &got));
	ck_assert_uint_eq(got, b);
	/* not an HWPT, no HWPT, no out-param */
	ck_assert_int_eq(ioasid_hwpt_ioas(ctx, b, &got), -ENOENT);
	ck_assert_int_eq(ioasid_hwpt_ioas(ctx, 4444, &got), -ENOENT);
	ck_assert_int_eq(ioasid_hwpt_ioas(ctx, plain, NULL), -EINVAL);
	ck_assert_ok(ctx, ioasid_dev_detach(ctx, dev, IOASID_PASID_NONE));
}
END_TEST

START_TEST(test_invalidate_kinds_and_errors)
{
	struct ioasid_inv_req r[3];
	uint32_t nested, n;
	uint64_t dropped;
	size_t done;
	uint8_t b[4];

	nested = nested_setup(NULL);
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, nested, NULL));
	ck_assert_ok(ctx, ioasid_sim_dma_read(ctx, dev, IOASID_PASID_NONE, GVA, b, 4, &done));
	memset(r, 0, sizeof(r));
	r[0] = (struct ioasid_inv_req){ .size = sizeof(r[0]), .version = 1,
					.kind = IOASID_INV_DEV_IOTLB, .granularity = IOASID_INV_ALL,
					.pasid = IOASID_PASID_NONE };
	r[1] = r[0];
	r[1].kind = IOASID_INV_IOTLB;
	r[1].granularity = IOASID_INV_RANGE;
	r[1].addr = 0;
	r[1].npages = 1;
	r[1].log2_pgsize = 21; /* the 2 MiB page at 0 */
	r[2] = r[0];
	r[2].kind = IOASID_INV_PASID_CACHE;
	n = 3;
	ck_assert_ok(ctx, ioasid_hwpt_invalidate(ctx, nested, r, &n, &dropped));
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_ge(dropped, 2); /* the device IOTLB entry and the PASID-cache entry */

	/* errors: each stops at its index, named in the message */
	r[1].addr = 0x1000; /* not 2 MiB aligned */
	n = 3;
	ck_assert_int_eq(ioasid_hwpt_invalidate(ctx, nested, r, &n, NULL), -EINVAL);
	ck_assert_uint_eq(n, 1);
	ck_assert_errmsg_has(ctx, "request 1");
	ck_assert_errmsg_has(ctx, "0x1000");
	r[1].addr = 0;
	r[1].npages = 0;
	n = 3;
	ck_assert_int_eq(ioasid_hwpt_invalidate(ctx, nested, r, &n, NULL), -EINVAL);
	r[1].npages = 1;
	r[0].size = 40;
	n = 3;
	ck_assert_int_eq(ioasid_hwpt_invalidate(ctx, nested, r, &n, NULL), -EINVAL);
	ck_assert_uint_eq(n, 0);
	/* every request must have the first one's size (the array's stride) */
	r[0].size = sizeof(r[0]);
	r[1].size = 56;
	n = 3;
	ck_assert_int_eq(ioasid_hwpt_invalidate(ctx, nested, r, &n, NULL), -EINVAL);
	ck_assert_uint_eq(n, 1);
	ck_assert_errmsg_has(ctx, "differs");
	r[1].size = sizeof(r[1]);
	r[0].size = 40;
	r[0].size = sizeof(r[0]);
	r[0].version = 2;
	n = 1;
	ck_assert_int_eq(ioasid_hwpt_invalidate(ctx, nested, r, &n, NULL), -EOPNOTSUPP);
	r[0].version = 1;
	r[0].kind = 9;
	n = 1;
	ck_assert_int_eq(ioasid_hwpt_invalidate(ctx, nested, r, &n, NULL), -EINVAL);
	r[0].kind = IOASID_INV_IOTLB;
	r[0].granularity = IOASID_INV_PASID; /* needs a PASID */
	n = 1;
	ck_assert_int_eq(ioasid_hwpt_invalidate(ctx, nested, r, &n, NULL), -EINVAL);
	n = 1;
	ck_assert_int_eq(ioasid_hwpt_invalidate(ctx, 999, r, &n, NULL), -ENOENT);
	n = 0; /* an empty array only checks the object */
	ck_assert_ok(ctx, ioasid_hwpt_invalidate(ctx, nested, NULL, &n, NULL));
}
END_TEST

START_TEST(test_vtd_s1_data_checks)
{
	static const struct {
		struct ioasid_hwpt_vtd_s1 s1;
		const char *needle;
	} bad[] = {
		{ { .flags = 8, .pgtbl_addr = GPA, .addr_width = 48 }, "flags" },
		{ { .pgtbl_addr = GPA, .addr_width = 39 }, "addr_width 39" },
		{ { .pgtbl_addr = GPA + 8, .addr_width = 48 }, "pgtbl_addr" },
		{ { .pgtbl_addr = GPA, .addr_width = 48, .__reserved = 1 }, "__reserved" },
	};
	struct ioasid_hwpt_vtd_s1 good = { .pgtbl_addr = GPA, .addr_width = 48 };
	uint32_t parent, plain, h;
	size_t i;

	map_at(ioas, GPA, mem, 2 * MB, RW);
	{
		struct ioasid_hwpt_opts o = { .sz = sizeof(struct ioasid_hwpt_opts), .flags = IOASID_HWPT_NEST_PARENT };
		ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, ioas, &o, &parent));
	}
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, ioas, NULL, &plain));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ioasid_hwpt_opts o = { .sz = sizeof(struct ioasid_hwpt_opts), .type = IOASID_HWPT_NESTED_VTD_S1,
			    .data = &bad[i].s1, .data_len = sizeof(bad[i].s1) };
		ck_assert_int_eq(ioasid_hwpt_alloc(ctx, dev, parent, &o, &h), -EINVAL);
		ck_assert_errmsg_has(ctx, bad[i].needle);
	}
	{
		struct ioasid_hwpt_opts o = { .sz = sizeof(struct ioasid_hwpt_opts), .type = IOASID_HWPT_NESTED_VTD_S1, .data = &good,
			    .data_len = 16 };
		ck_assert_int_eq(ioasid_hwpt_alloc(ctx, dev, parent, &o, &h), -EINVAL);
		ck_assert_errmsg_has(ctx, "data_len 16");
		/* driver data has no size word: longer than the kernel's struct is EINVAL, zeros or not */
		{
			struct {
				struct ioasid_hwpt_vtd_s1 s1;
				uint64_t tail;
			} longer = { .s1 = good };

			o.data = &longer;
			o.data_len = sizeof(longer);
			ck_assert_int_eq(ioasid_hwpt_alloc(ctx, dev, parent, &o, &h), -EINVAL);
			ck_assert_errmsg_has(ctx, "data_len 32");
		}
		/* data the kernel cannot read: EFAULT; none at all: EINVAL, before the device is looked up */
		o.data = NULL;
		o.data_len = sizeof(good);
		ck_assert_int_eq(ioasid_hwpt_alloc(ctx, dev, parent, &o, &h), -EFAULT);
		o.data_len = 0;
		ck_assert_int_eq(ioasid_hwpt_alloc(ctx, dev, parent, &o, &h), -EINVAL);
		ck_assert_int_eq(ioasid_hwpt_alloc(ctx, 4444, parent, &o, &h), -EINVAL);
		ck_assert_errmsg_has(ctx, "needs its data");
		o.data = &good;
		o.data_len = sizeof(good);
		/* a parent without NEST_PARENT: EINVAL; an IOAS: no driver takes data for a paging domain */
		ck_assert_int_eq(ioasid_hwpt_alloc(ctx, dev, plain, &o, &h), -EINVAL);
		ck_assert_int_eq(ioasid_hwpt_alloc(ctx, dev, ioas, &o, &h), -EOPNOTSUPP);
		/* what does not exist, or is neither IOAS nor paging HWPT: EINVAL, not ENOENT */
		ck_assert_int_eq(ioasid_hwpt_alloc(ctx, dev, 4444, &o, &h), -EINVAL);
		ck_assert_errmsg_has(ctx, "4444");
		ck_assert_int_eq(ioasid_hwpt_alloc(ctx, dev, dev, &o, &h), -EINVAL);
		/* an unknown device is ENOENT */
		ck_assert_int_eq(ioasid_hwpt_alloc(ctx, 4444, parent, &o, &h), -ENOENT);
		/* a nested HWPT takes only FAULT_ID_VALID and PASID */
		o.flags = IOASID_HWPT_DIRTY_TRACKING;
		ck_assert_int_eq(ioasid_hwpt_alloc(ctx, dev, parent, &o, &h), -EOPNOTSUPP);
		o.flags = 0;
		ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, parent, &o, &h));
		{
			/* nothing is made over a nested HWPT; a paging type over a paging HWPT is EOPNOTSUPP */
			struct ioasid_hwpt_opts p = { .sz = sizeof(p) };
			uint32_t h2;

			ck_assert_int_eq(ioasid_hwpt_alloc(ctx, dev, h, &o, &h2), -EINVAL);
			ck_assert_errmsg_has(ctx, "nested");
			ck_assert_int_eq(ioasid_hwpt_alloc(ctx, dev, h, &p, &h2), -EINVAL);
			ck_assert_int_eq(ioasid_hwpt_alloc(ctx, dev, parent, &p, &h2), -EOPNOTSUPP);
			ck_assert_int_eq(ioasid_hwpt_alloc(ctx, dev, plain, &p, &h2), -EOPNOTSUPP);
		}
		/* the parent is busy while it has a child */
		ck_assert_int_eq(ioasid_hwpt_destroy(ctx, parent), -EBUSY);
		ck_assert_ok(ctx, ioasid_hwpt_destroy(ctx, h));
		ck_assert_ok(ctx, ioasid_hwpt_destroy(ctx, parent));
	}
	{
		struct ioasid_hwpt_opts o = { .sz = sizeof(struct ioasid_hwpt_opts), .flags = IOASID_HWPT_NEST_PARENT |
						  IOASID_HWPT_FAULT_ID_VALID, .fault_queue = 0 };
		/* a stage-2 parent cannot take I/O page faults: the kernel's EOPNOTSUPP */
		ck_assert_int_eq(ioasid_hwpt_alloc(ctx, dev, ioas, &o, &h), -EOPNOTSUPP);
		ck_assert_errmsg_has(ctx, "NEST_PARENT");
		o.flags = IOASID_HWPT_FAULT_ID_VALID;
		o.fault_queue = 4321;
		ck_assert_int_eq(ioasid_hwpt_alloc(ctx, dev, ioas, &o, &h), -ENOENT);
		ck_assert_errmsg_has(ctx, "4321");
		o.flags = 0;
		ck_assert_int_eq(ioasid_hwpt_alloc(ctx, dev, ioas, &o, &h), -EINVAL);
		o.fault_queue = 0;
		o.flags = 0x80;
		ck_assert_int_eq(ioasid_hwpt_alloc(ctx, dev, ioas, &o, &h), -EOPNOTSUPP);
		o.flags = 0;
		o.data = &good;
		o.data_len = sizeof(good);
		ck_assert_int_eq(ioasid_hwpt_alloc(ctx, dev, ioas, &o, &h), -EINVAL);
		ck_assert_errmsg_has(ctx, "takes no data");
		/* a pointer without a length is not looked at, as the kernel's data_uptr */
		o.data_len = 0;
		ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, ioas, &o, &h));
		ck_assert_ok(ctx, ioasid_hwpt_destroy(ctx, h));
		/* an unknown type without data fails the data rule first */
		o.data = NULL;
		o.type = 7;
		ck_assert_int_eq(ioasid_hwpt_alloc(ctx, dev, ioas, &o, &h), -EINVAL);
		o.data = &good;
		o.data_len = sizeof(good);
		ck_assert_int_eq(ioasid_hwpt_alloc(ctx, dev, ioas, &o, &h), -EOPNOTSUPP);
		o.type = 0;
		o.data_len = 0;
		o.flags = IOASID_HWPT_NEST_PARENT;
		ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, ioas, &o, &parent));
		o.type = 7;
		o.flags = 0;
		o.data_len = sizeof(good);
		ck_assert_int_eq(ioasid_hwpt_alloc(ctx, dev, parent, &o, &h), -EOPNOTSUPP);
		ck_assert_errmsg_has(ctx, "type 7");
	}
}
END_TEST

START_TEST(test_no_nesting_profile)
{
	struct ioasid_ctx *c2;
	uint32_t io2, d2, h;

	ck_assert_int_eq(ioasid_ctx_open("sim:qemu-vtd", NULL, &c2), 0);
	ck_assert_int_eq(ioasid_ioas_alloc(c2, &io2), 0);
	ck_assert_int_eq(ioasid_dev_bind(c2, "sim0", &d2), 0);
	{
		struct ioasid_hwpt_opts o = { .sz = sizeof(struct ioasid_hwpt_opts), .flags = IOASID_HWPT_NEST_PARENT };
		ck_assert_int_eq(ioasid_hwpt_alloc(c2, d2, io2, &o, &h), -EOPNOTSUPP);
		ck_assert_ptr_nonnull(strstr(ioasid_ctx_errmsg(c2), "cannot nest"));
		o.flags = IOASID_HWPT_DIRTY_TRACKING;
		ck_assert_int_eq(ioasid_hwpt_alloc(c2, d2, io2, &o, &h), -EOPNOTSUPP);
		/* Linux's Intel driver accepts ALLOC_PASID without PASID support */
		o.flags = IOASID_HWPT_PASID;
		ck_assert_int_eq(ioasid_hwpt_alloc(c2, d2, io2, &o, &h), 0);
		ck_assert_int_eq(ioasid_hwpt_destroy(c2, h), 0);
	}
	ioasid_ctx_close(c2);
}
END_TEST

START_TEST(test_dirty_tracking)
{
	uint64_t bm[16];
	uint32_t h, plain;
	size_t done;
	unsigned int i;

	map_at(ioas, 0x40000000, mem, 4 * MB, RW); /* two 2 MiB leaves */
	{
		struct ioasid_hwpt_opts o = { .sz = sizeof(struct ioasid_hwpt_opts), .flags = IOASID_HWPT_DIRTY_TRACKING };
		ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, ioas, &o, &h));
	}
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, ioas, NULL, &plain));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, h, NULL));
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, 0x40001000, "d", 1,
					       &done));
	/* not tracking yet: nothing dirty after enabling */
	ck_assert_ok(ctx, ioasid_hwpt_set_dirty_tracking(ctx, h, true));
	memset(bm, 0, sizeof(bm));
	ck_assert_ok(ctx, ioasid_hwpt_get_dirty_bitmap(ctx, h, 0x40000000, 4 * MB, 2 * MB, bm, 0));
	ck_assert_uint_eq(bm[0], 0);
	/* a write dirties its 2 MiB leaf: every 4 KiB granule of it reads dirty */
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, 0x40001000, "d", 1,
					       &done));
	memset(bm, 0, sizeof(bm));
	ck_assert_ok(ctx, ioasid_hwpt_get_dirty_bitmap(ctx, h, 0x40000000, 4 * MB, PG, bm,
						       IOASID_DIRTY_NO_CLEAR));
	for (i = 0; i < 8; i++)
		ck_assert_uint_eq(bm[i], UINT64_MAX);
	for (i = 8; i < 16; i++)
		ck_assert_uint_eq(bm[i], 0);
	/* NO_CLEAR kept it; the next read clears */
	memset(bm, 0, sizeof(bm));
	ck_assert_ok(ctx, ioasid_hwpt_get_dirty_bitmap(ctx, h, 0x40000000, 4 * MB, 2 * MB, bm, 0));
	ck_assert_uint_eq(bm[0], 1);
	memset(bm, 0, sizeof(bm));
	ck_assert_ok(ctx, ioasid_hwpt_get_dirty_bitmap(ctx, h, 0x40000000, 4 * MB, 2 * MB, bm, 0));
	ck_assert_uint_eq(bm[0], 0);
	/* written again through a cached entry: dirty again */
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, 0x40200000, "e", 1,
					       &done));
	memset(bm, 0, sizeof(bm));
	ck_assert_ok(ctx, ioasid_hwpt_get_dirty_bitmap(ctx, h, 0x40000000, 4 * MB, 2 * MB, bm, 0));
	ck_assert_uint_eq(bm[0], 2);
	/* edges: unaligned range, bad page size, no dirty support */
	ck_assert_int_eq(ioasid_hwpt_get_dirty_bitmap(ctx, h, 0x40000800, PG, PG, bm, 0), -EINVAL);
	ck_assert_errmsg_has(ctx, "0x40000800");
	ck_assert_int_eq(ioasid_hwpt_get_dirty_bitmap(ctx, h, 0x40000000, PG, 3000, bm, 0), -EINVAL);
	ck_assert_int_eq(ioasid_hwpt_get_dirty_bitmap(ctx, plain, 0x40000000, PG, PG, bm, 0),
			 -EOPNOTSUPP);
	ck_assert_int_eq(ioasid_hwpt_set_dirty_tracking(ctx, plain, true), -EOPNOTSUPP);
	ck_assert_ok(ctx, ioasid_hwpt_set_dirty_tracking(ctx, h, false));
}
END_TEST

START_TEST(test_pasid_rules_and_replace)
{
	struct ioasid_set_opts so = { .sz = sizeof(struct ioasid_set_opts), .max_pasids = 4 };
	struct ioasid_hwpt_opts po = { .sz = sizeof(po), .flags = IOASID_HWPT_PASID };
	uint32_t set, pasid, plain, ph, b, pt;
	uint8_t v;
	size_t done;

	ck_assert_ok(ctx, ioasid_set_alloc(ctx, &so, &set));
	ck_assert_ok(ctx, ioasid_pasid_alloc(ctx, set, 1, 100, &pasid));
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, ioas, NULL, &plain));
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, ioas, &po, &ph));
	{
		struct ioasid_attach_opts ao = { .sz = sizeof(struct ioasid_attach_opts), .set = set };

		/* a non-PASID domain on the RID blocks PASID attaches */
		ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, plain, NULL));
		ck_assert_int_eq(ioasid_dev_attach(ctx, dev, pasid, ph, &ao), -EINVAL);
		ck_assert_errmsg_has(ctx, "on its RID");
		/* a PASID-capable HWPT replaces it on the RID */
		ck_assert_ok(ctx, ioasid_dev_replace(ctx, dev, IOASID_PASID_NONE, ph, NULL));
		/*
		 * An IOAS's automatic domain never allows PASIDs (iommufd
		 * allocates it without flags): a PASID attach to an IOAS is
		 * EINVAL, and no automatic domain is left behind.
		 */
		ck_assert_int_eq(ioasid_dev_attach(ctx, dev, pasid, ioas, &ao), -EINVAL);
		ck_assert_errmsg_has(ctx, "automatic domain");
		ck_assert_uint_eq(hwpt_count(), 2);
		ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, pasid, ph, &ao));
		/* now neither a non-PASID HWPT nor an IOAS can come back on the RID */
		ck_assert_int_eq(ioasid_dev_replace(ctx, dev, IOASID_PASID_NONE, plain, NULL),
				 -EINVAL);
		ck_assert_int_eq(ioasid_dev_replace(ctx, dev, IOASID_PASID_NONE, ioas, NULL),
				 -EINVAL);
		ck_assert_errmsg_has(ctx, "PASID 1 attached");
		ck_assert_uint_eq(hwpt_count(), 2);
		ck_assert_ok(ctx, ioasid_dev_attached(ctx, dev, IOASID_PASID_NONE, &pt));
		ck_assert_uint_eq(pt, ph);
		/* nor can a PASID go on a non-PASID HWPT */
		ck_assert_int_eq(ioasid_dev_replace(ctx, dev, pasid, plain, &ao), -EINVAL);
		ck_assert_errmsg_has(ctx, "IOASID_HWPT_PASID");
		ck_assert_ok(ctx, ioasid_dev_detach(ctx, dev, pasid));
		/* the kernel: detaching what is not attached succeeds, replacing it is EINVAL */
		ck_assert_ok(ctx, ioasid_dev_detach(ctx, dev, pasid));
		ck_assert_int_eq(ioasid_dev_replace(ctx, dev, pasid, ph, &ao), -EINVAL);
		ck_assert_errmsg_has(ctx, "nothing attached");
		ck_assert_ok(ctx, ioasid_dev_replace(ctx, dev, IOASID_PASID_NONE, ioas, NULL));
		ck_assert_ok(ctx, ioasid_hwpt_destroy(ctx, ph));
	}
	/* replace moves DMA to the new address space at once */
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &b));
	map_at(ioas, 0x1000000, mem, PG, RW);
	map_at(b, 0x1000000, mem + PG, PG, RW);
	mem[0] = 'A';
	mem[PG] = 'B';
	ck_assert_ok(ctx, ioasid_sim_dma_read(ctx, dev, IOASID_PASID_NONE, 0x1000000, &v, 1, &done));
	ck_assert_uint_eq(v, 'A');
	ck_assert_ok(ctx, ioasid_dev_replace(ctx, dev, IOASID_PASID_NONE, b, NULL));
	ck_assert_ok(ctx, ioasid_sim_dma_read(ctx, dev, IOASID_PASID_NONE, 0x1000000, &v, 1, &done));
	ck_assert_uint_eq(v, 'B');
	/* a replace by what is attached already leaves DMA where it was */
	ck_assert_ok(ctx, ioasid_dev_replace(ctx, dev, IOASID_PASID_NONE, b, NULL));
	ck_assert_ok(ctx, ioasid_sim_dma_read(ctx, dev, IOASID_PASID_NONE, 0x1000000, &v, 1, &done));
	ck_assert_uint_eq(v, 'B');
	/* the automatic domain of the first IOAS went with its last user */
	ck_assert_ok(ctx, ioasid_hwpt_destroy(ctx, plain));
	ck_assert_ok(ctx, ioasid_ioas_destroy(ctx, ioas));
}
END_TEST

START_TEST(test_hwpt_alloc_fail_nth)
{
	unsigned long n;
	uint32_t h;
	int r;

	map_at(ioas, 0x40000000, mem, 4 * MB, RW);
	map_at(ioas, 0x80000000, mem, PG, RW);
	for (n = 1;; n++) {
		ioasid_alloc_fail_nth(n);
		r = ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, ioas, NULL);
		ioasid_alloc_fail_nth(0);
		if (!ioasid_alloc_failed())
			break;
		ck_assert_int_eq(r, -ENOMEM);
		ck_assert_int_eq(ioasid_dev_attached(ctx, dev, IOASID_PASID_NONE, &h), -ENOENT);
	}
	ck_assert_ok(ctx, r);
	/* maps into the attached domain, failing each allocation of the table */
	for (n = 1;; n++) {
		uint64_t io = 0x100000000ull;

		ioasid_alloc_fail_nth(n);
		r = ioasid_ioas_map(ctx, ioas, mem, 4 * MB, RW | FIXED, &io);
		ioasid_alloc_fail_nth(0);
		if (!ioasid_alloc_failed())
			break;
		ck_assert_int_eq(r, -ENOMEM);
		{
			struct ioasid_mapping m;

			ck_assert_int_eq(ioasid_ioas_lookup(ctx, ioas, 0x100000000ull, &m), -ENOENT);
		}
	}
	ck_assert_ok(ctx, r);
}
END_TEST

/*
 * Every invalidation kind and granularity, judged by what it makes the
 * caches forget: the guest repoints its pages, then the stale detector
 * tells which cached translations survived the invalidation.
 */
static uint32_t inv_nested, inv_set, inv_pasid;

static void inv_build(bool repointed)
{
	unsigned int i;

	build_s1(GPA + 0x100000);
	for (i = 0; i < 4; i++)
		gtable(3)[i] = (GPA + (repointed ? 0x200000 : 0x100000) + i * PG) | S1_URW;
}

static uint64_t stale_count(void)
{
	struct ioasid_sim_cache_stats st;

	ck_assert_ok(ctx, ioasid_sim_cache_stats(ctx, &st));
	return st.stale_hits;
}

/* Fill the caches for 4 pages through the RID and the PASID, then repoint. */
static void inv_prime(void)
{
	struct ioasid_inv_req all = { .size = sizeof(all), .version = 1, .kind = IOASID_INV_IOTLB,
				      .granularity = IOASID_INV_ALL, .pasid = IOASID_PASID_NONE };
	uint32_t one = 1, i;
	size_t done;
	uint8_t b;

	inv_build(false);
	ck_assert_ok(ctx, ioasid_hwpt_invalidate(ctx, inv_nested, &all, &one, NULL));
	for (i = 0; i < 4; i++) {
		ck_assert_ok(ctx, ioasid_sim_dma_read(ctx, dev, IOASID_PASID_NONE, GVA + i * PG, &b, 1, &done));
		ck_assert_ok(ctx, ioasid_sim_dma_read(ctx, dev, inv_pasid, GVA + i * PG, &b, 1, &done));
	}
	inv_build(true);
}

/* Bit 2*i: page i through the RID was served stale; bit 2*i+1: through the PASID. */
static unsigned int inv_probe(void)
{
	unsigned int i, mask = 0;
	size_t done;
	uint8_t b;

	for (i = 0; i < 4; i++) {
		uint64_t s0 = stale_count();

		ck_assert_ok(ctx, ioasid_sim_dma_read(ctx, dev, IOASID_PASID_NONE, GVA + i * PG, &b, 1, &done));
		if (stale_count() != s0)
			mask |= 1u << (2 * i);
		s0 = stale_count();
		ck_assert_ok(ctx, ioasid_sim_dma_read(ctx, dev, inv_pasid, GVA + i * PG, &b, 1, &done));
		if (stale_count() != s0)
			mask |= 1u << (2 * i + 1);
	}
	return mask;
}

START_TEST(test_every_invalidation_kind)
{
	static const struct {
		uint16_t kind, gran;
		bool pasid;         /* the request names the PASID */
		uint64_t addr, npages;
		uint32_t lg2;
		unsigned int stale; /* which (page, RID/PASID) stay stale */
		const char *what;
	} cases[] = {
		{ IOASID_INV_IOTLB, IOASID_INV_ALL, false, 0, 0, 0, 0x00, "iotlb all" },
		{ IOASID_INV_IOTLB, IOASID_INV_PASID, true, 0, 0, 0, 0x55, "iotlb pasid" },
		{ IOASID_INV_IOTLB, IOASID_INV_RANGE, false, GVA + PG, 1, 12, 0xf3, "iotlb 4K page 1" },
		{ IOASID_INV_IOTLB, IOASID_INV_RANGE, false, GVA + PG, 2, 12, 0xc3, "iotlb 4K pages 1-2" },
		{ IOASID_INV_IOTLB, IOASID_INV_RANGE, true, GVA, 1, 21, 0x55, "iotlb 2M, pasid" },
		{ IOASID_INV_IOTLB, IOASID_INV_RANGE, false, 0, 1, 30, 0x00, "iotlb 1G" },
		{ IOASID_INV_DEV_IOTLB, IOASID_INV_ALL, false, 0, 0, 0, 0xff, "devtlb only" },
		{ IOASID_INV_DEV_IOTLB, IOASID_INV_PASID, true, 0, 0, 0, 0xff, "devtlb pasid" },
		{ IOASID_INV_DEV_IOTLB, IOASID_INV_RANGE, false, GVA, 4, 12, 0xff, "devtlb range" },
		{ IOASID_INV_PASID_CACHE, IOASID_INV_ALL, false, 0, 0, 0, 0xff, "pasid cache" },
		{ IOASID_INV_PASID_CACHE, IOASID_INV_PASID, true, 0, 0, 0, 0xff, "pasid cache pasid" },
	};
	struct ioasid_hwpt_vtd_s1 s1 = { .pgtbl_addr = GPA, .addr_width = 48 };
	struct ioasid_set_opts so = { .sz = sizeof(struct ioasid_set_opts), .max_pasids = 2 };
	uint32_t parent;
	size_t i;

	map_at(ioas, GPA, mem, 8 * MB, RW);
	{
		struct ioasid_hwpt_opts o = { .sz = sizeof(struct ioasid_hwpt_opts), .flags = IOASID_HWPT_NEST_PARENT };
		ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, ioas, &o, &parent));
	}
	inv_build(false);
	{
		struct ioasid_hwpt_opts o = { .sz = sizeof(struct ioasid_hwpt_opts), .type = IOASID_HWPT_NESTED_VTD_S1, .data = &s1,
			    .data_len = sizeof(s1), .flags = IOASID_HWPT_PASID };
		ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, parent, &o, &inv_nested));
	}
	ck_assert_ok(ctx, ioasid_set_alloc(ctx, &so, &inv_set));
	ck_assert_ok(ctx, ioasid_pasid_alloc(ctx, inv_set, 1, 10, &inv_pasid));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, inv_nested, NULL));
	{
		struct ioasid_attach_opts ao = { .sz = sizeof(struct ioasid_attach_opts), .set = inv_set };
		ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, inv_pasid, inv_nested, &ao));
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ioasid_inv_req r = {
			.size = sizeof(r), .version = 1, .kind = cases[i].kind,
			.granularity = cases[i].gran,
			.pasid = cases[i].pasid ? inv_pasid : IOASID_PASID_NONE,
			.addr = cases[i].addr, .npages = cases[i].npages, .log2_pgsize = cases[i].lg2,
		};
		uint32_t one = 1;
		uint64_t dropped = 0;
		unsigned int got;

		inv_prime();
		ck_assert_ok(ctx, ioasid_hwpt_invalidate(ctx, inv_nested, &r, &one, &dropped));
		got = inv_probe();
		ck_assert_msg(got == cases[i].stale, "%s: stale mask 0x%x, wanted 0x%x", cases[i].what,
			      got, cases[i].stale);
		ck_assert_msg(dropped > 0, "%s dropped nothing", cases[i].what);
	}
}
END_TEST

Suite *hwpt_suite(void)
{
	Suite *s = suite_create("hwpt");
	TCase *tc = tcase_create("hwpt");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_paging_dma_and_table_bytes);
	tcase_add_test(tc, test_dma_stops_at_failing_page);
	tcase_add_test(tc, test_nested_and_stale_detector);
	tcase_add_test(tc, test_nested_raw_vtd_invalidation);
	tcase_add_test(tc, test_raw_invalidation_kernel_rules);
	tcase_add_test(tc, test_invalidate_bounds);
	tcase_add_test(tc, test_hwpt_ioas);
	tcase_add_test(tc, test_invalidate_kinds_and_errors);
	tcase_add_test(tc, test_every_invalidation_kind);
	tcase_add_test(tc, test_vtd_s1_data_checks);
	tcase_add_test(tc, test_no_nesting_profile);
	tcase_add_test(tc, test_dirty_tracking);
	tcase_add_test(tc, test_pasid_rules_and_replace);
	tcase_add_test(tc, test_hwpt_alloc_fail_nth);
	suite_add_tcase(s, tc);
	return s;
}
