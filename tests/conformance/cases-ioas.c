// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * FIXTURE(iommufd_ioas): one IOAS with 0, 1 or 2 devices attached (the
 * variants no_domain, mock_domain with a PASID-capable device besides,
 * two_mock_domain, mock_domain_limit), and what can be done to its areas,
 * ranges and options. The selftest's IOMMU_TEST_OP_ADD_RESERVED is
 * ioasid_ioas_reserve() here: the caller's own reserved range.
 */
#include <errno.h>
#include <string.h>

#include "cases.h"

void ioas_setup(struct cf_t *t, struct ioas_fx *f)
{
	static const enum cf_role roles[2] = { CF_DEV, CF_DEV2 };
	unsigned int i;

	memset(f, 0, sizeof(*f));
	f->v = t->c->arg;
	f->ioas = cf_ioas(t);
	if (f->v->memory_limit && cf_oracle.set_memory_limit)
		CF_OK(t, cf_oracle.set_memory_limit(t, f->v->memory_limit));
	for (i = 0; i < f->v->domains; i++) {
		f->dev = cf_dev(t, roles[i]);
		CF_OK(t, ioasid_dev_attach(t->ctx, f->dev, IOASID_PASID_NONE, f->ioas, NULL));
		cf_geom(t, f->dev, &f->g);
		f->base = f->g.ap_start;
	}
	if (f->v->pasid) {
		f->pasid_dev = cf_dev(t, CF_DEV_PASID);
		CF_OK(t, ioasid_dev_attach(t->ctx, f->pasid_dev, IOASID_PASID_NONE, f->ioas, NULL));
	}
	f->buffer = cf_mem(t, CF_BUFFER_SIZE, 2u << 20);
	cf_fill(f->buffer, CF_BUFFER_SIZE, 3);
}

static int map_fixed(struct cf_t *t, uint32_t ioas, void *va, uint64_t len, uint64_t iova)
{
	return ioasid_ioas_map(t->ctx, ioas, va, len,
			       IOASID_MAP_FIXED_IOVA | IOASID_MAP_READ | IOASID_MAP_WRITE, &iova);
}

static int unmap(struct cf_t *t, uint32_t ioas, uint64_t iova, uint64_t len)
{
	return ioasid_ioas_unmap(t->ctx, ioas, iova, len, NULL);
}

void c_ioas_auto_destroy(struct cf_t *t)
{
	struct ioas_fx f;

	ioas_setup(t, &f);
}

/* An IOAS with a device's domain on it is busy; one without is destroyed. */
void c_ioas_destroy(struct cf_t *t)
{
	struct ioas_fx f;

	ioas_setup(t, &f);
	CF_RET(t, ioasid_ioas_destroy(t->ctx, f.ioas), f.dev ? -EBUSY : 0);
}

/* Areas do not change that. */
void c_ioas_area_destroy(struct cf_t *t)
{
	struct ioas_fx f;

	ioas_setup(t, &f);
	CF_OK(t, map_fixed(t, f.ioas, f.buffer, cf_page, f.base));
	CF_RET(t, ioasid_ioas_destroy(t->ctx, f.ioas), f.dev ? -EBUSY : 0);
}

/* Ten areas go with the context. */
void c_ioas_area_auto_destroy(struct cf_t *t)
{
	struct ioas_fx f;
	int i;

	ioas_setup(t, &f);
	for (i = 0; i != 10; i++)
		CF_OK(t, map_fixed(t, f.ioas, f.buffer, cf_page, f.base + i * cf_page));
}

/* Unmap works on whole areas only; a map never replaces. */
void c_area(struct cf_t *t)
{
	const uint64_t P = cf_page;
	struct ioas_fx f;
	int i;

	ioas_setup(t, &f);
	for (i = 0; i != 10; i++)
		CF_RET(t, unmap(t, f.ioas, i * P, P), -ENOENT);
	for (i = 0; i != 10; i++)
		CF_OK(t, map_fixed(t, f.ioas, f.buffer, P, f.base + i * P));
	for (i = 0; i != 10; i++)
		CF_OK(t, unmap(t, f.ioas, f.base + i * P, P));

	/* an area is never split */
	CF_OK(t, map_fixed(t, f.ioas, f.buffer, 2 * P, f.base + 16 * P));
	CF_RET(t, unmap(t, f.ioas, f.base + 16 * P, P), -ENOENT);
	CF_RET(t, unmap(t, f.ioas, f.base + 17 * P, P), -ENOENT);

	/* nor mapped over */
	CF_RET(t, map_fixed(t, f.ioas, f.buffer, 2 * P, f.base + 16 * P), -EEXIST);
	CF_RET(t, map_fixed(t, f.ioas, f.buffer, P, f.base + 16 * P), -EEXIST);
	CF_RET(t, map_fixed(t, f.ioas, f.buffer, P, f.base + 17 * P), -EEXIST);
	CF_RET(t, map_fixed(t, f.ioas, f.buffer, 2 * P, f.base + 15 * P), -EEXIST);
	CF_RET(t, map_fixed(t, f.ioas, f.buffer, 3 * P, f.base + 15 * P), -EEXIST);

	/* unmap-all, also of an empty IOAS */
	CF_OK(t, unmap(t, f.ioas, 0, UINT64_MAX));
	CF_OK(t, unmap(t, f.ioas, 0, UINT64_MAX));
}

/* Four areas of 8 pages, 16 pages apart, from base + 4 pages. */
static void four_areas(struct cf_t *t, struct ioas_fx *f)
{
	const uint64_t P = cf_page;
	int i;

	ioas_setup(t, f);
	f->base += 4 * P; /* room below the first area for the no-domain variant */
	for (i = 0; i != 4; i++)
		CF_OK(t, map_fixed(t, f->ioas, f->buffer, 8 * P, f->base + i * 16 * P));
}

void c_unmap_fully_contained_areas(struct cf_t *t)
{
	const uint64_t P = cf_page;
	uint64_t len = 0;
	struct ioas_fx f;

	four_areas(t, &f);
	/* a range that cuts the first area at its start, or the last at its end */
	CF_RET(t, unmap(t, f.ioas, f.base - 4 * P, 8 * P), -ENOENT);
	CF_RET(t, unmap(t, f.ioas, f.base + 3 * 16 * P + 8 * P - 4 * P, 8 * P), -ENOENT);
	/* areas wholly inside, holes between them */
	CF_OK(t,
	      ioasid_ioas_unmap(t->ctx, f.ioas, f.base - 4 * P, 3 * 16 * P + 8 * P + 4 * P, &len));
	CF_EQ(t, len, 32 * P);
}

/*
 * Stricter on purpose: a range that holds the first area whole and cuts
 * the second. The kernel removes the first area and then fails with ENOENT
 * (its UNMAP is not atomic, kernel-uapi.md §1.4); the library checks every
 * area first and removes nothing (include/ioasid/ioas.h, docs/conformance.md).
 */
void c_unmap_atomic(struct cf_t *t)
{
	const uint64_t P = cf_page;
	struct ioasid_mapping m[8];
	uint32_t n = 8;
	struct ioas_fx f;

	four_areas(t, &f);
	CF_RET(t, unmap(t, f.ioas, f.base, 16 * P + 4 * P), -ENOENT);
	CF_OK(t, ioasid_ioas_mappings(t->ctx, f.ioas, 0, m, &n));
	CF_EQ(t, n, 4);
	CF_OK(t, ioasid_ioas_lookup(t->ctx, f.ioas, f.base, &m[0]));
	CF_EQ(t, m[0].iova, f.base);
	if (f.dev)
		CF_MAPS(t, f.dev, f.base, f.buffer, 8 * P);
}

static uint64_t lowest_bit(uint64_t v)
{
	return v & -v;
}

/* Automatic IOVAs: aligned to the length's lowest bit, around reservations, inside the allowed list. */
void c_area_auto_iova(struct cf_t *t)
{
	const uint64_t P = cf_page;
	const uint64_t rs = 4 * P, rl = 100 * P; /* the reservation */
	struct ioasid_iova_range allow;
	uint64_t iovas[10];
	struct ioas_fx f;
	int i;

	ioas_setup(t, &f);
	for (i = 0; i != 10; i++)
		CF_OK(t, cf_map_auto(t, f.ioas, f.buffer, P, &iovas[i]));
	for (i = 0; i != 10; i++)
		CF_OK(t, unmap(t, f.ioas, iovas[i], P));

	for (i = 0; i != 10; i++) {
		uint64_t len = P * (i + 1);

		/* without a domain nothing is pinned: any address will do (the selftest's 2 GiB) */
		CF_OK(t, cf_map_auto(t, f.ioas, f.dev ? (void *)f.buffer : (void *)(1ul << 31), len,
				     &iovas[i]));
		CF_TRUE(t, iovas[i] % lowest_bit(len) == 0, "IOVA 0x%llx for length 0x%llx",
			X(iovas[i]), X(len));
	}
	for (i = 0; i != 10; i++)
		CF_OK(t, unmap(t, f.ioas, iovas[i], P * (i + 1)));

	CF_OK(t, ioasid_ioas_reserve(t->ctx, f.ioas, rs, rs + rl - 1));
	for (i = 0; i != 10; i++) {
		uint64_t len = P * (i + 1);

		CF_OK(t, cf_map_auto(t, f.ioas, f.buffer, len, &iovas[i]));
		CF_TRUE(t, iovas[i] % lowest_bit(len) == 0, "IOVA 0x%llx for length 0x%llx",
			X(iovas[i]), X(len));
		CF_TRUE(t, !(iovas[i] > rs && iovas[i] < rs + rl), "IOVA 0x%llx in the reservation",
			X(iovas[i]));
	}
	for (i = 0; i != 10; i++)
		CF_OK(t, unmap(t, f.ioas, iovas[i], P * (i + 1)));

	/* an allowed range that meets the reservation */
	allow.start = P;
	allow.last = P * 600;
	CF_RET(t, ioasid_ioas_allow_iovas(t->ctx, f.ioas, &allow, 1), -EADDRINUSE);

	allow.start = f.dev ? f.base + P : P * 200;
	allow.last = f.dev ? f.base + P * 600 - 1 : P * 600 - 1;
	CF_OK(t, ioasid_ioas_allow_iovas(t->ctx, f.ioas, &allow, 1));
	for (i = 0; i != 10; i++) {
		uint64_t len = P * (i + 1);

		CF_OK(t, cf_map_auto(t, f.ioas, f.buffer, len, &iovas[i]));
		CF_TRUE(t, iovas[i] % lowest_bit(len) == 0, "IOVA 0x%llx for length 0x%llx",
			X(iovas[i]), X(len));
		CF_TRUE(t, iovas[i] >= allow.start && iovas[i] + len <= allow.last + 1,
			"[0x%llx, +0x%llx) outside the allowed [0x%llx, 0x%llx]", X(iovas[i]),
			X(len), X(allow.start), X(allow.last));
	}
	for (i = 0; i != 10; i++)
		CF_OK(t, unmap(t, f.ioas, iovas[i], P * (i + 1)));
}

/*
 * A reservation up to near the top of the address space: the hole above it
 * is too small once aligned, and the search must not wrap (the kernel's
 * fix for a syzbot report): ENOSPC.
 */
void c_reserved_overflow(struct cf_t *t)
{
	const uint64_t start = 6;
	uint64_t len, map_len, iova = 0;
	struct ioas_fx f;

	ioas_setup(t, &f);
	if (cf_page == 4096) {
		len = 0xffffffffffff8001ull;
		map_len = 0x5000;
	} else {
		len = UINT64_MAX - 2048 * 16; /* the selftest's MOCK_PAGE_SIZE * 16 */
		map_len = 2048 * 10;
	}
	CF_OK(t, ioasid_ioas_reserve(t->ctx, f.ioas, start, start + len - 1));
	CF_RET(t, cf_map_auto(t, f.ioas, f.buffer, map_len, &iova), -ENOSPC);
}

/* A reservation may not meet the allowed list, nor the list a reservation. */
void c_area_allowed(struct cf_t *t)
{
	const uint64_t P = cf_page;
	struct ioasid_iova_range allow;
	struct ioas_fx f;

	ioas_setup(t, &f);
	allow.start = f.base;
	allow.last = f.base + P * 600;
	CF_OK(t, ioasid_ioas_allow_iovas(t->ctx, f.ioas, &allow, 1));
	CF_RET(t, ioasid_ioas_reserve(t->ctx, f.ioas, f.base + P, f.base + 2 * P - 1), -EADDRINUSE);
	CF_OK(t, ioasid_ioas_allow_iovas(t->ctx, f.ioas, NULL, 0));

	CF_OK(t, ioasid_ioas_reserve(t->ctx, f.ioas, f.base + P, f.base + 2 * P - 1));
	CF_RET(t, ioasid_ioas_allow_iovas(t->ctx, f.ioas, &allow, 1), -EADDRINUSE);
}

/* A copy inside one IOAS and into another. */
void c_copy_area(struct cf_t *t)
{
	const uint32_t fl = IOASID_MAP_FIXED_IOVA | IOASID_MAP_WRITE;
	uint64_t dst = 0;
	struct ioas_fx f;
	uint32_t ioas2;

	ioas_setup(t, &f);
	CF_OK(t, map_fixed(t, f.ioas, f.buffer, cf_page, f.base));
	dst = f.base + cf_page;
	CF_OK(t, ioasid_ioas_copy(t->ctx, f.ioas, f.ioas, f.base, cf_page, fl, &dst));
	ioas2 = cf_ioas(t);
	dst = 0;
	CF_OK(t, ioasid_ioas_copy(t->ctx, ioas2, f.ioas, f.base, cf_page, fl, &dst));
}

/* The usable ranges: everything without a domain, the aperture with one; EMSGSIZE as the kernel. */
void c_iova_ranges(struct cf_t *t)
{
	const uint64_t P = cf_page;
	struct ioasid_iova_range r[4];
	uint64_t align = 0;
	uint32_t n = 4;
	struct ioas_fx f;

	ioas_setup(t, &f);
	memset(r, 0, sizeof(r));
	CF_OK(t, ioasid_ioas_iova_ranges(t->ctx, f.ioas, r, &n, &align));
	CF_EQ(t, n, 1);
	CF_EQ(t, r[0].start, f.dev ? f.g.ap_start : 0);
	CF_EQ(t, r[0].last, f.dev ? f.g.ap_last : UINT64_MAX);
	CF_EQ(t, align, f.dev ? f.g.pgsize : 1);

	memset(r, 0, sizeof(r));
	n = 0;
	CF_RET(t, ioasid_ioas_iova_ranges(t->ctx, f.ioas, r, &n, NULL), -EMSGSIZE);
	CF_EQ(t, n, 1);
	CF_TRUE(t, r[0].start == 0 && r[0].last == 0, "nothing written with no room");

	/* a reservation below the aperture splits the domain-less space only */
	CF_OK(t, ioasid_ioas_reserve(t->ctx, f.ioas, P, 2 * P - 1));
	n = 4;
	CF_OK(t, ioasid_ioas_iova_ranges(t->ctx, f.ioas, r, &n, NULL));
	if (!f.dev) {
		CF_EQ(t, n, 2);
		CF_EQ(t, r[0].start, 0);
		CF_EQ(t, r[0].last, P - 1);
		CF_EQ(t, r[1].start, 2 * P);
		CF_EQ(t, r[1].last, UINT64_MAX);
	} else {
		CF_EQ(t, n, 1);
		CF_EQ(t, r[0].start, f.g.ap_start);
		CF_EQ(t, r[0].last, f.g.ap_last);
	}

	memset(r, 0, sizeof(r));
	n = 1;
	if (!f.dev) {
		CF_RET(t, ioasid_ioas_iova_ranges(t->ctx, f.ioas, r, &n, NULL), -EMSGSIZE);
		CF_EQ(t, n, 2);
		CF_EQ(t, r[0].start, 0);
		CF_EQ(t, r[0].last, P - 1);
	} else {
		CF_OK(t, ioasid_ioas_iova_ranges(t->ctx, f.ioas, r, &n, NULL));
		CF_EQ(t, n, 1);
		CF_EQ(t, r[0].start, f.g.ap_start);
		CF_EQ(t, r[0].last, f.g.ap_last);
	}
	CF_TRUE(t, r[1].start == 0 && r[1].last == 0, "no entry past the room");
}

void c_ioas_option_huge_pages(struct cf_t *t)
{
	const enum ioasid_ioas_option o = IOASID_IOAS_OPT_HUGE_PAGES;
	struct ioas_fx f;
	uint64_t v = 3;

	ioas_setup(t, &f);
	CF_OK(t, ioasid_ioas_get_option(t->ctx, f.ioas, o, &v));
	CF_EQ(t, v, 1);
	CF_OK(t, ioasid_ioas_set_option(t->ctx, f.ioas, o, 0));
	v = 3;
	CF_OK(t, ioasid_ioas_get_option(t->ctx, f.ioas, o, &v));
	CF_EQ(t, v, 0);
	CF_RET(t, ioasid_ioas_set_option(t->ctx, f.ioas, o, 2), -EINVAL);
	CF_OK(t, ioasid_ioas_set_option(t->ctx, f.ioas, o, 1));
}

/* Every length up to two pages: the domain's page is the unit, else anything goes. */
void c_ioas_iova_alloc(struct cf_t *t)
{
	struct ioas_fx f;
	uint64_t len, iova;

	ioas_setup(t, &f);
	for (len = 1; len != cf_page * 2; len++) {
		if (f.dev && len % f.g.pgsize) {
			CF_RET(t, cf_map_auto(t, f.ioas, f.buffer, len, &iova), -EINVAL);
		} else {
			CF_OK(t, cf_map_auto(t, f.ioas, f.buffer, len, &iova));
			CF_OK(t, unmap(t, f.ioas, iova, len));
		}
	}
}

/*
 * HUGE_PAGES off raises the alignment to the CPU page: allowed while the
 * areas fit it, then enforced at map; refused (EADDRINUSE) when an area
 * does not fit. Only without a domain (the selftest returns early with one:
 * a domain and areas together refuse the option).
 */
void c_ioas_align_change(struct cf_t *t)
{
	const enum ioasid_ioas_option o = IOASID_IOAS_OPT_HUGE_PAGES;
	const uint64_t P = cf_page, half = cf_page / 2;
	struct ioas_fx f;

	ioas_setup(t, &f);
	if (f.v->domains)
		return;
	CF_OK(t, map_fixed(t, f.ioas, f.buffer, P, CF_NODOM_BASE));
	CF_OK(t, ioasid_ioas_set_option(t->ctx, f.ioas, o, 0));
	CF_RET(t, map_fixed(t, f.ioas, f.buffer + half, P, CF_NODOM_BASE + P), -EINVAL);
	CF_OK(t, ioasid_ioas_set_option(t->ctx, f.ioas, o, 0));
	CF_OK(t, ioasid_ioas_set_option(t->ctx, f.ioas, o, 1));
	CF_OK(t, map_fixed(t, f.ioas, f.buffer + half, P, CF_NODOM_BASE + P));
	CF_RET(t, ioasid_ioas_set_option(t->ctx, f.ioas, o, 0), -EADDRINUSE);
	CF_OK(t, unmap(t, f.ioas, CF_NODOM_BASE + P, P));
	CF_OK(t, unmap(t, f.ioas, CF_NODOM_BASE, P));
}

/*
 * A copy of half a page from every 511th byte of one area (and around it)
 * into an IOAS without domains: ENOENT exactly where the source range leaves
 * the area. Without a domain the area is one byte short of the buffer.
 */
void c_copy_sweep(struct cf_t *t)
{
	const uint32_t fl = IOASID_MAP_FIXED_IOVA | IOASID_MAP_WRITE;
	const uint64_t len = cf_page / 2;
	uint64_t start, last, iova, dst;
	struct ioas_fx f;
	uint32_t dst_ioas;

	ioas_setup(t, &f);
	start = f.dev ? f.g.ap_start : CF_NODOM_BASE;
	dst_ioas = cf_ioas(t);
	last = start + CF_BUFFER_SIZE - (f.dev ? 1 : 2);
	CF_OK(t, map_fixed(t, f.ioas, f.buffer, last - start + 1, start));
	for (iova = start - cf_page; iova <= last; iova += 511) {
		dst = CF_NODOM_BASE;
		if (iova < start || iova + len - 1 > last) {
			CF_RET(t, ioasid_ioas_copy(t->ctx, dst_ioas, f.ioas, iova, len, fl, &dst),
			       -ENOENT);
		} else {
			CF_OK(t, ioasid_ioas_copy(t->ctx, dst_ioas, f.ioas, iova, len, fl, &dst));
			CF_OK(t, unmap(t, dst_ioas, dst, len));
		}
	}
	CF_OK(t, ioasid_ioas_destroy(t->ctx, dst_ioas));
}

/* A dma-buf of 4 pages: length 0, from its end, one byte too long are EINVAL; all of it maps. */
void c_dmabuf_simple(struct cf_t *t)
{
	const uint64_t size = 4 * cf_page;
	struct ioas_fx f;
	uint64_t iova;
	int dfd;

	ioas_setup(t, &f);
	CF_OK(t, cf_oracle.dmabuf_get(t, size, &dfd));
	CF_RET(t, cf_map_file_auto(t, f.ioas, dfd, 0, 0, &iova), -EINVAL);
	CF_RET(t, cf_map_file_auto(t, f.ioas, dfd, size, size, &iova), -EINVAL);
	CF_RET(t, cf_map_file_auto(t, f.ioas, dfd, 0, size + 1, &iova), -EINVAL);
	CF_OK(t, cf_map_file_auto(t, f.ioas, dfd, 0, size, &iova));
}

/*
 * Mapped, then revoked: a domain added later is fine, a new map is ENODEV,
 * the library marks the area when told; un-revoked, the buffer maps
 * again, also at the first area's IOVA once that is unmapped.
 */
void c_dmabuf_revoke(struct cf_t *t)
{
	const uint64_t size = 4 * cf_page;
	struct ioasid_map_backing b;
	struct ioas_fx f;
	uint64_t iova, iova2;
	uint32_t n = 0, hwpt;
	int dfd;

	ioas_setup(t, &f);
	CF_OK(t, cf_oracle.dmabuf_get(t, size, &dfd));
	CF_OK(t, cf_map_file_auto(t, f.ioas, dfd, 0, size, &iova));
	CF_OK(t, cf_oracle.dmabuf_revoke(t, dfd, true));
	if (f.v->domains)
		CF_OK(t, cf_hwpt_alloc(t, f.dev, f.ioas, 0, &hwpt));
	CF_RET(t, cf_map_file_auto(t, f.ioas, dfd, 0, size, &iova2), -ENODEV);
	CF_OK(t, ioasid_dmabuf_revoked(t->ctx, dfd, &n));
	CF_TRUE(t, n == 1, "one area marked revoked (%u)", n);
	CF_OK(t, ioasid_ioas_backing(t->ctx, f.ioas, iova, &b));
	CF_TRUE(t, b.kind == IOASID_BACKING_DMABUF && b.revoked, "the area says revoked");
	CF_OK(t, cf_oracle.dmabuf_revoke(t, dfd, false));
	CF_OK(t, cf_map_file_auto(t, f.ioas, dfd, 0, size, &iova2));
	CF_OK(t, unmap(t, f.ioas, iova, size));
	CF_OK(t, ioasid_ioas_map_file(t->ctx, f.ioas,
				      &(struct ioasid_map_file_opts){
					      .sz = sizeof(struct ioasid_map_file_opts),
					      .fd = dfd,
					      .flags = IOASID_MAP_FIXED_IOVA | IOASID_MAP_READ |
						       IOASID_MAP_WRITE,
					      .length = size },
				      &iova));
}
