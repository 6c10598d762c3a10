// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * FIXTURE(iommufd_dirty_tracking): an IOAS with huge pages off (so that
 * dirty bits are per base page), a buffer of the variant's size, a device
 * attached. Dirty bits are planted by the oracle (the sim: DMA writes; the
 * kernel: IOMMU_TEST_OP_DIRTY) and read through the API.
 */
#include <errno.h>
#include <string.h>

#include "cases.h"

struct dirty_fx {
	const struct dirty_variant *v;
	uint32_t ioas, dev;
	struct cf_geom g;
	uint8_t *buffer;
	uint64_t *bitmap; /* room for the buffer's bits and a page more */
	uint64_t nbits;   /* buffer_size / the domain's page */
};

static void dirty_setup(struct cf_t *t, struct dirty_fx *f)
{
	memset(f, 0, sizeof(*f));
	f->v = t->c->arg;
	f->buffer = f->v->hugepages ? cf_mem_huge(t, f->v->buffer_size) :
				      cf_mem(t, f->v->buffer_size, 2u << 20);
	f->ioas = cf_ioas(t);
	/* dirty bits per base page: the domain must not use larger ones */
	if (!f->v->hugepages)
		CF_OK(t, ioasid_ioas_set_option(t->ctx, f->ioas, IOASID_IOAS_OPT_HUGE_PAGES, 0));
	f->dev = cf_dev(t, CF_DEV);
	CF_OK(t, ioasid_dev_attach(t->ctx, f->dev, IOASID_PASID_NONE, f->ioas, NULL));
	cf_geom(t, f->dev, &f->g);
	f->nbits = f->v->buffer_size / f->g.pgsize;
	f->bitmap = cf_mem(t, (f->nbits + 7) / 8 + cf_page, cf_page);
}

/* A dirty-tracking HWPT takes another device of the same IOMMU. */
void c_enforce_dirty(struct cf_t *t)
{
	struct dirty_fx f;
	uint32_t h = 0, d2;

	dirty_setup(t, &f);
	CF_OK(t, cf_hwpt_alloc(t, f.dev, f.ioas, IOASID_HWPT_DIRTY_TRACKING, &h));
	d2 = cf_dev(t, CF_DEV2);
	CF_OK(t, ioasid_dev_attach(t->ctx, d2, IOASID_PASID_NONE, h, NULL));
	CF_OK(t, ioasid_dev_detach(t->ctx, d2, IOASID_PASID_NONE));
	CF_OK(t, ioasid_hwpt_destroy(t->ctx, h));
}

/* A device whose IOMMU cannot track: not on a dirty-tracking HWPT, and none for it. */
void c_enforce_dirty_nodirty(struct cf_t *t)
{
	uint32_t h = 0, nd, ioas2;
	struct dirty_fx f;

	dirty_setup(t, &f);
	CF_OK(t, cf_hwpt_alloc(t, f.dev, f.ioas, IOASID_HWPT_DIRTY_TRACKING, &h));
	nd = cf_dev(t, CF_DEV_NODIRTY);
	CF_RET(t, ioasid_dev_attach(t->ctx, nd, IOASID_PASID_NONE, h, NULL), -EINVAL);
	CF_OK(t, ioasid_hwpt_destroy(t->ctx, h));

	ioas2 = cf_ioas(t);
	CF_OK(t, ioasid_dev_attach(t->ctx, nd, IOASID_PASID_NONE, ioas2, NULL));
	CF_RET(t, cf_hwpt_alloc(t, nd, ioas2, IOASID_HWPT_DIRTY_TRACKING, &h), -EOPNOTSUPP);
}

/*
 * Tracking on and off on a dirty-tracking HWPT (with @hwpt_flags too) that
 * the device of @role is attached to, at its RID and, unless NONE, @pasid.
 */
static void track_on_off(struct cf_t *t, enum cf_role role, uint32_t hwpt_flags, uint32_t pasid)
{
	struct ioasid_attach_opts ao;
	uint32_t h = 0, d;
	struct dirty_fx f;

	dirty_setup(t, &f);
	CF_OK(t, cf_hwpt_alloc(t, f.dev, f.ioas, IOASID_HWPT_DIRTY_TRACKING | hwpt_flags, &h));
	d = cf_dev(t, role);
	CF_OK(t, ioasid_dev_attach(t->ctx, d, IOASID_PASID_NONE, h, NULL));
	if (pasid != IOASID_PASID_NONE) {
		ao = cf_as_set(cf_set_with_pasid(t, pasid));
		CF_OK(t, ioasid_dev_attach(t->ctx, d, pasid, h, &ao));
	}
	CF_OK(t, ioasid_hwpt_set_dirty_tracking(t->ctx, h, true));
	CF_OK(t, ioasid_hwpt_set_dirty_tracking(t->ctx, h, false));
	if (pasid != IOASID_PASID_NONE)
		CF_OK(t, ioasid_dev_detach(t->ctx, d, pasid));
	CF_OK(t, ioasid_dev_detach(t->ctx, d, IOASID_PASID_NONE));
	CF_OK(t, ioasid_hwpt_destroy(t->ctx, h));
}

void c_set_dirty_tracking(struct cf_t *t)
{
	track_on_off(t, CF_DEV2, 0, IOASID_PASID_NONE);
}

/* Dirty tracking on an HWPT that a PASID is attached to. */
void c_pasid_set_dirty_tracking(struct cf_t *t)
{
	track_on_off(t, CF_DEV_PASID, IOASID_HWPT_PASID, 100);
}

/* ... and a PASID of a device that cannot track is refused there. */
void c_pasid_set_dirty_tracking_nodirty(struct cf_t *t)
{
	const uint32_t pasid = 100;
	struct ioasid_attach_opts ao;
	uint32_t h = 0, nd, set, ioas2;
	struct dirty_fx f;

	dirty_setup(t, &f);
	CF_OK(t,
	      cf_hwpt_alloc(t, f.dev, f.ioas, IOASID_HWPT_PASID | IOASID_HWPT_DIRTY_TRACKING, &h));
	ioas2 = cf_ioas(t);
	nd = cf_dev(t, CF_DEV_PASID_NODIRTY);
	CF_OK(t, ioasid_dev_attach(t->ctx, nd, IOASID_PASID_NONE, ioas2, NULL));
	set = cf_set_with_pasid(t, pasid);
	ao = cf_as_set(set);
	/* refused because nd's RID domain, automatic, does not allow PASIDs */
	CF_DRET(t, "pasid-autodomain", ioasid_dev_attach(t->ctx, nd, pasid, h, &ao), -EINVAL);
}

/* The device's information says dirty tracking (IOMMU_HW_CAP_DIRTY_TRACKING). */
void c_device_dirty_capability(struct cf_t *t)
{
	struct dirty_fx f;
	uint32_t h = 0, d2;

	dirty_setup(t, &f);
	CF_OK(t, cf_hwpt_alloc(t, f.dev, f.ioas, 0, &h));
	d2 = cf_dev(t, CF_DEV2);
	CF_OK(t, ioasid_dev_attach(t->ctx, d2, IOASID_PASID_NONE, h, NULL));
	CF_TRUE(t, f.g.features & IOASID_FEAT_DIRTY_TRACKING,
		"device %u's features 0x%llx lack DIRTY_TRACKING", f.dev, X(f.g.features));
	CF_OK(t, ioasid_dev_detach(t->ctx, d2, IOASID_PASID_NONE));
	CF_OK(t, ioasid_hwpt_destroy(t->ctx, h));
}

static bool bit(const uint64_t *b, uint64_t n)
{
	return b[n / 64] >> (n % 64) & 1;
}

/*
 * The first bit of @bm that differs from what @want says, checked with the
 * deviation that would explain it: a dirty page reported clean is
 * "sim-dirty-devtlb", a clean one reported dirty "sim-huge-pages-option".
 */
static void check_bits(struct cf_t *t, struct dirty_fx *f, const uint64_t *bm,
		       bool (*want)(uint64_t n, uint64_t npte, uint32_t flags), uint64_t npte,
		       uint32_t flags, const char *what)
{
	uint64_t n;

	for (n = 0; n < f->nbits && bit(bm, n) == want(n, npte, flags); n++)
		;
	if (n == f->nbits)
		cf_pass(t);
	else
		cf_fail(t, bit(bm, n) ? "sim-huge-pages-option" : "sim-dirty-devtlb", __FILE__,
			__LINE__, "%s: bit %llu of %llu is %d", what, X(n), X(f->nbits), bit(bm, n));
}

/* Planted: the first IOPTE of every pair, so its npte bits. */
static bool planted(uint64_t n, uint64_t npte, uint32_t flags)
{
	return n % (2 * npte) < npte;
}

/* After a read: clean again, unless the read did not clear. */
static bool after_read(uint64_t n, uint64_t npte, uint32_t flags)
{
	return (flags & IOASID_DIRTY_NO_CLEAR) && planted(n, npte, flags);
}

/*
 * The selftest's test_mock_dirty_bitmaps(): the first page of every other
 * IOPTE (of @npte pages) dirtied; the read shows each such IOPTE whole and
 * nothing else; a second read shows nothing, or (NO_CLEAR) the same.
 */
static void dirty_round(struct cf_t *t, struct dirty_fx *f, uint32_t h, uint64_t *bm,
			uint32_t flags, uint64_t npte)
{
	uint64_t pg = f->g.pgsize, n, nr = 0;
	size_t bytes = (f->nbits + 7) / 8;

	memset(bm, 0, bytes);
	for (n = 0; n < f->nbits; n += 2 * npte)
		bm[n / 64] |= 1ull << (n % 64);
	CF_OK(t, cf_oracle.plant_dirty(t, f->dev, h, f->g.ap_start, f->v->buffer_size, pg, bm, &nr));
	CF_EQ(t, nr, f->nbits / (2 * npte) ? f->nbits / (2 * npte) : 1);

	memset(bm, 0, bytes);
	if (!CF_DRET(t, "dirty-bitmap-pgsize",
		     ioasid_hwpt_get_dirty_bitmap(t->ctx, h, f->g.ap_start, f->v->buffer_size, pg,
						  bm, flags),
		     0))
		return;
	check_bits(t, f, bm, planted, npte, flags, "first read");
	memset(bm, 0, bytes);
	CF_OK(t, ioasid_hwpt_get_dirty_bitmap(t->ctx, h, f->g.ap_start, f->v->buffer_size, pg, bm,
					      flags));
	check_bits(t, f, bm, after_read, npte, flags, "second read");
}

/*
 * Pages per IOPTE: 1 with huge pages off; for the huge variants, the
 * IOMMU's largest page up to the 2 MiB the buffer is aligned to (the
 * selftest's mock huge table has 1 MiB IOPTEs).
 */
static uint64_t pages_per_iopte(struct dirty_fx *f)
{
	uint64_t huge = 0, p;

	if (!f->v->hugepages)
		return 1;
	for (p = f->g.pgsize; p && p <= (2u << 20); p <<= 1)
		if (f->g.pgsizes & p)
			huge = p;
	return huge / f->g.pgsize;
}

/*
 * The buffer mapped, a dirty-tracking HWPT over it (the device moved onto
 * it, so that the sim's DMA goes through it), tracking on, then rounds
 * with the bitmap at its start and a page-size further (the selftest's
 * third, byte-unaligned bitmap has no counterpart: the API's bitmap is a
 * uint64_t array).
 */
static void get_dirty_bitmap(struct cf_t *t, uint32_t flags)
{
	struct dirty_fx f;
	uint64_t npte;
	uint32_t h = 0;

	dirty_setup(t, &f);
	npte = pages_per_iopte(&f);
	CF_OK(t, ioasid_ioas_map(t->ctx, f.ioas, f.buffer, f.v->buffer_size,
				 IOASID_MAP_FIXED_IOVA | IOASID_MAP_READ | IOASID_MAP_WRITE,
				 &f.g.ap_start));
	CF_OK(t, cf_hwpt_alloc(t, f.dev, f.ioas, IOASID_HWPT_DIRTY_TRACKING, &h));
	CF_OK(t, ioasid_dev_replace(t->ctx, f.dev, IOASID_PASID_NONE, h, NULL));
	CF_OK(t, ioasid_hwpt_set_dirty_tracking(t->ctx, h, true));
	dirty_round(t, &f, h, f.bitmap, flags, npte);
	dirty_round(t, &f, h, (uint64_t *)((uint8_t *)f.bitmap + f.g.pgsize), flags, npte);
	CF_OK(t, ioasid_dev_replace(t->ctx, f.dev, IOASID_PASID_NONE, f.ioas, NULL));
	CF_OK(t, ioasid_hwpt_destroy(t->ctx, h));
}

void c_get_dirty_bitmap(struct cf_t *t)
{
	get_dirty_bitmap(t, 0);
}

void c_get_dirty_bitmap_no_clear(struct cf_t *t)
{
	get_dirty_bitmap(t, IOASID_DIRTY_NO_CLEAR);
}
