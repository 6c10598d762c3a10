/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Capability chains built with the builder: round trips of every known cap
 * (and an unknown one), lookups that miss, every value the builder refuses
 * with its errno and message, NULL arguments, allocation failure at every
 * position, and a long chain that must be walked in linear time.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <check.h>

#include <ioasid/caps.h>

#include "util/alloc.h"
#include "caps-chain.h"
#include "suites.h"

static const uint16_t order[] = {
	IOASID_CAP_PAGE_SIZES,
	IOASID_CAP_ADDR_WIDTH,
	IOASID_CAP_PASID,
	IOASID_CAP_IOVA_RANGES,
	0x7777,
	IOASID_CAP_RESV_REGIONS,
	IOASID_CAP_FEATURES,
	IOASID_CAP_VTD,
	IOASID_CAP_SMMUV3,
	IOASID_CAP_AMD,
	IOASID_CAP_VIRTIO_IOMMU,
};

/* Iteration sees every cap of build_full() in order, each 8-byte aligned. */
static void expect_caps_in_order(const void *buf, size_t len)
{
	struct ioasid_cap_header h;
	uint32_t off, n = 0;
	int ret;

	ret = ioasid_caps_first(buf, len, 0, &off, &h);
	while (ret == 0) {
		ck_assert_uint_lt(n, sizeof(order) / sizeof(order[0]));
		ck_assert_uint_eq(h.id, order[n]);
		ck_assert_uint_eq(off % 8, 0);
		ck_assert_uint_eq(h.size % 8, 0);
		n++;
		ret = ioasid_caps_next(buf, len, 0, off, &off, &h);
	}
	ck_assert_int_eq(ret, -ENOENT);
	ck_assert_uint_eq(n, sizeof(order) / sizeof(order[0]));
}

/* The fixed-size generic caps read back as they were added. */
static void expect_generic_caps(const void *buf, size_t len)
{
	uint32_t size;

	{
		struct ioasid_cap_page_sizes c;

		ck_assert_int_eq(ioasid_caps_get(buf, len, 0, IOASID_CAP_PAGE_SIZES, &c, sizeof(c),
						 &size),
				 0);
		ck_assert_uint_eq(size, sizeof(c));
		ck_assert_uint_eq(c.bitmap, 0x40201000);
		ck_assert_uint_eq(c.hdr.source, MEASURED);
		ck_assert_uint_eq(c.hdr.version, 1);
	}
	{
		struct ioasid_cap_addr_width c;

		ck_assert_int_eq(ioasid_caps_get(buf, len, 0, IOASID_CAP_ADDR_WIDTH, &c, sizeof(c),
						 NULL),
				 0);
		ck_assert_uint_eq(c.input_bits, 48);
		ck_assert_uint_eq(c.output_bits, 46);
		ck_assert_uint_eq(c.hdr.source, IOASID_CAP_SRC_DERIVED);
	}
	{
		struct ioasid_cap_pasid c;

		ck_assert_int_eq(ioasid_caps_get(buf, len, 0, IOASID_CAP_PASID, &c, sizeof(c), NULL),
				 0);
		ck_assert_uint_eq(c.width, 20);
		ck_assert_uint_eq(c.max_pasids, 1u << 20);
	}
	{
		struct ioasid_cap_features c;

		ck_assert_int_eq(ioasid_caps_get(buf, len, 0, IOASID_CAP_FEATURES, &c, sizeof(c),
						 NULL),
				 0);
		ck_assert_uint_eq(c.features, IOASID_FEAT_NESTING | IOASID_FEAT_ATS);
		ck_assert_uint_eq(c.known, IOASID_FEAT_NESTING | IOASID_FEAT_ATS |
						   IOASID_FEAT_DIRTY_TRACKING);
	}
}

/* Array caps: every entry, and the true count whatever the room. */
static void expect_array_caps(const void *buf, size_t len)
{
	uint32_t count;

	{
		struct ioasid_cap_iova_range r[4];

		ck_assert_int_eq(ioasid_caps_get_array(buf, len, 0, IOASID_CAP_IOVA_RANGES, r, 4,
						       &count),
				 0);
		ck_assert_uint_eq(count, 2);
		ck_assert_int_eq(memcmp(r, RANGES, sizeof(RANGES)), 0);
		/* Fewer slots than entries: the true count comes back. */
		ck_assert_int_eq(ioasid_caps_get_array(buf, len, 0, IOASID_CAP_IOVA_RANGES, r, 1,
						       &count),
				 0);
		ck_assert_uint_eq(count, 2);
		ck_assert_int_eq(ioasid_caps_get_array(buf, len, 0, IOASID_CAP_IOVA_RANGES, NULL, 0,
						       &count),
				 0);
		ck_assert_uint_eq(count, 2);
	}
	{
		struct ioasid_cap_resv_region r[3];

		ck_assert_int_eq(ioasid_caps_get_array(buf, len, 0, IOASID_CAP_RESV_REGIONS, r, 3,
						       &count),
				 0);
		ck_assert_uint_eq(count, 3);
		ck_assert_int_eq(memcmp(r, REGIONS, sizeof(REGIONS)), 0);
	}
}

/* The vendor caps keep their registers and their decoded fields. */
static void expect_vendor_caps(const void *buf, size_t len)
{
	{
		struct ioasid_cap_vtd c;

		ck_assert_int_eq(ioasid_caps_get(buf, len, 0, IOASID_CAP_VTD, &c, sizeof(c), NULL),
				 0);
		ck_assert_uint_eq(c.cap_reg, QEMU_VTD_CAP);
		ck_assert_uint_eq(c.ecap_reg, QEMU_VTD_ECAP);
		ck_assert_uint_eq(c.mgaw, 39);
	}
	{
		struct ioasid_cap_smmuv3 c;

		ck_assert_int_eq(ioasid_caps_get(buf, len, 0, IOASID_CAP_SMMUV3, &c, sizeof(c),
						 NULL),
				 0);
		ck_assert_int_eq(memcmp(c.idr, SMMU_IDR, sizeof(SMMU_IDR)), 0);
		ck_assert_uint_eq(c.iidr, 0x4b0);
		ck_assert_uint_eq(c.aidr, 0x2);
		ck_assert_uint_eq(c.oas_bits, 48);
	}
	{
		struct ioasid_cap_amd c;

		ck_assert_int_eq(ioasid_caps_get(buf, len, 0, IOASID_CAP_AMD, &c, sizeof(c), NULL),
				 0);
		ck_assert_uint_eq(c.efr, AMD_EFR);
		ck_assert_uint_eq(c.efr2, AMD_EFR2);
	}
	{
		struct ioasid_cap_virtio_iommu c;

		ck_assert_int_eq(ioasid_caps_get(buf, len, 0, IOASID_CAP_VIRTIO_IOMMU, &c,
						 sizeof(c), NULL),
				 0);
		ck_assert_uint_eq(c.features, VIRTIO.features);
		ck_assert_uint_eq(c.page_size_mask, VIRTIO.page_size_mask);
		ck_assert_uint_eq(c.input_end, VIRTIO.input_end);
		ck_assert_uint_eq(c.domain_end, 0xffff);
		ck_assert_uint_eq(c.probe_size, 512);
		ck_assert_uint_eq(c.bypass, 1);
	}
}

/* A bigger out struct than the cap: the tail is zeroed. */
static void expect_tail_zeroed(const void *buf, size_t len)
{
	uint8_t big[64];
	uint32_t size;

	memset(big, 0xee, sizeof(big));
	ck_assert_int_eq(ioasid_caps_get(buf, len, 0, IOASID_CAP_PAGE_SIZES, big, sizeof(big),
					 &size),
			 0);
	ck_assert_uint_eq(size, 24);
	for (size_t i = 24; i < sizeof(big); i++)
		ck_assert_uint_eq(big[i], 0);
}

START_TEST(test_roundtrip_all)
{
	void *buf;
	size_t len;

	build_full(&buf, &len);
	ck_assert_uint_eq((uintptr_t)buf % 8, 0);
	ck_assert_uint_eq(len % 8, 0);
	ck_assert_uint_eq(get32(buf, 8), len);
	ck_assert_int_eq(ioasid_caps_validate(buf, len, 0), 0);
	expect_caps_in_order(buf, len);
	expect_generic_caps(buf, len);
	expect_array_caps(buf, len);
	expect_vendor_caps(buf, len);
	expect_tail_zeroed(buf, len);
	/* Strict chains are valid in tolerant mode too. */
	ck_assert_int_eq(ioasid_caps_validate(buf, len, IOASID_CAPS_TOLERANT), 0);
	ioasid_caps_free(buf);
}
END_TEST

START_TEST(test_lookup_miss_and_empty)
{
	struct ioasid_caps_builder *b;
	struct ioasid_cap_pasid c;
	void *buf;
	size_t len;
	uint32_t off;

	ck_assert_int_eq(ioasid_caps_builder_new(&b), 0);
	ck_assert_int_eq(ioasid_caps_builder_finish(b, &buf, &len), 0);
	ck_assert_uint_eq(len, 16);
	ck_assert_int_eq(ioasid_caps_validate(buf, len, 0), 0);
	ck_assert_int_eq(ioasid_caps_first(buf, len, 0, &off, NULL), -ENOENT);
	ck_assert_int_eq(ioasid_caps_find(buf, len, 0, IOASID_CAP_PASID, &off, NULL), -ENOENT);
	ck_err_has(ioasid_last_errmsg(), "pasid");
	ioasid_caps_free(buf);

	/* The builder is reusable after finish. */
	ck_assert_int_eq(ioasid_caps_add_page_sizes(b, MEASURED, 0x1000), 0);
	ck_assert_int_eq(ioasid_caps_builder_finish(b, &buf, &len), 0);
	ck_assert_uint_eq(len, 40);
	ck_assert_int_eq(ioasid_caps_get(buf, len, 0, IOASID_CAP_PASID, &c, sizeof(c), NULL),
			 -ENOENT);
	ck_assert_int_eq(ioasid_caps_get_array(buf, len, 0, IOASID_CAP_IOVA_RANGES, NULL, 0, &off),
			 -ENOENT);
	/* Not an array cap. */
	ck_assert_int_eq(ioasid_caps_get_array(buf, len, 0, IOASID_CAP_PASID, NULL, 0, &off),
			 -EINVAL);
	ioasid_caps_free(buf);
	ioasid_caps_builder_free(b);
	ioasid_caps_builder_free(NULL);
	ioasid_caps_free(NULL);
}
END_TEST

/* The typed adders refuse each bad field, naming it and its value. */
static void refuse_bad_fields(struct ioasid_caps_builder *b)
{
	struct ioasid_cap_iova_range bad_order[] = {
		{ 0x10000, 0x1ffff },
		{ 0x0, 0xffff },
	};
	struct ioasid_cap_iova_range overlap[] = {
		{ 0x0, 0x1ffff },
		{ 0x1ffff, 0x2ffff },
	};
	struct ioasid_cap_iova_range inverted[] = { { 0x2000, 0x1000 } };
	struct ioasid_cap_resv_region type0[] = { { 0, 0xfff, 0, 0 } };
	struct ioasid_cap_virtio_iommu v = VIRTIO;

	ck_assert_int_eq(ioasid_caps_add_page_sizes(b, MEASURED, 0), -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "bitmap is 0x0");
	ck_err_has(ioasid_last_errmsg(), "page_sizes");
	ck_assert_int_eq(ioasid_caps_add_page_sizes(b, 0, 0x1000), -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "source 0");
	ck_assert_int_eq(ioasid_caps_add_addr_width(b, MEASURED, 0, 48), -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "input_bits 0");
	ck_assert_int_eq(ioasid_caps_add_addr_width(b, MEASURED, 48, 65), -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "output_bits 65");
	ck_assert_int_eq(ioasid_caps_add_pasid(b, MEASURED, 21), -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "width 21");
	ck_assert_int_eq(ioasid_caps_add_pasid(b, MEASURED, 40), -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_iova_ranges(b, MEASURED, bad_order, 2), -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "range 1: start 0x0");
	ck_assert_int_eq(ioasid_caps_add_iova_ranges(b, MEASURED, overlap, 2), -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "0x1ffff");
	ck_assert_int_eq(ioasid_caps_add_iova_ranges(b, MEASURED, inverted, 1), -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "start 0x2000 > last 0x1000");
	ck_assert_int_eq(ioasid_caps_add_iova_ranges(b, MEASURED, NULL, 1), -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_resv_regions(b, MEASURED, type0, 1), -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "type 0");
	ck_assert_int_eq(ioasid_caps_add_features(b, MEASURED, IOASID_FEAT_PRI, IOASID_FEAT_ATS),
			 -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "0x4");
	ck_assert_int_eq(ioasid_caps_add_smmuv3(b, MEASURED, NULL, 0, 0, 0), -EINVAL);
	v.page_size_mask = 0;
	ck_assert_int_eq(ioasid_caps_add_virtio_iommu(b, MEASURED, &v), -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "page_size_mask is 0x0");
	v = VIRTIO;
	v.bypass = 2;
	ck_assert_int_eq(ioasid_caps_add_virtio_iommu(b, MEASURED, &v), -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "bypass is 2");
	v = VIRTIO;
	v.domain_start = 9;
	v.domain_end = 3;
	ck_assert_int_eq(ioasid_caps_add_virtio_iommu(b, MEASURED, &v), -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "domain range start 9 > end 3");
}

/* The generic adder refuses a bad header and a cap below its struct. */
static void refuse_bad_generic_cap(struct ioasid_caps_builder *b, struct ioasid_cap_page_sizes *ps)
{
	ps->hdr.version = 0;
	ck_assert_int_eq(ioasid_caps_add(b, ps, sizeof(*ps)), -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "version 0");
	ps->hdr.version = 1;
	ps->hdr.id = 0;
	ck_assert_int_eq(ioasid_caps_add(b, ps, sizeof(*ps)), -EINVAL);
	ps->hdr.id = IOASID_CAP_PAGE_SIZES;
	ck_assert_int_eq(ioasid_caps_add(b, ps, 8), -EINVAL);
	ck_assert_int_eq(ioasid_caps_add(b, ps, 16), -EMSGSIZE);
	ck_err_has(ioasid_last_errmsg(), "below the 24-byte struct");
}

START_TEST(test_builder_refuses)
{
	struct ioasid_caps_builder *b;
	struct ioasid_cap_page_sizes ps = { { IOASID_CAP_PAGE_SIZES, 1, 0, 0, MEASURED }, 0x1000 };
	void *buf;
	size_t len;

	ck_assert_int_eq(ioasid_caps_builder_new(&b), 0);
	refuse_bad_fields(b);
	refuse_bad_generic_cap(b, &ps);

	/* A known id only once. */
	ck_assert_int_eq(ioasid_caps_add(b, &ps, sizeof(ps)), 0);
	ck_assert_int_eq(ioasid_caps_add_page_sizes(b, MEASURED, 0x2000), -EEXIST);
	ck_err_has(ioasid_last_errmsg(), "already");

	/* None of the failures above left anything in the chain. */
	ck_assert_int_eq(ioasid_caps_builder_finish(b, &buf, &len), 0);
	ck_assert_uint_eq(len, 40);
	ck_assert_int_eq(ioasid_caps_validate(buf, len, 0), 0);
	ioasid_caps_free(buf);

	ck_assert_int_eq(ioasid_caps_add(NULL, &ps, sizeof(ps)), -EINVAL);
	ck_assert_int_eq(ioasid_caps_builder_new(NULL), -EINVAL);
	ck_assert_int_eq(ioasid_caps_builder_finish(b, NULL, &len), -EINVAL);
	ioasid_caps_builder_free(b);
}
END_TEST

START_TEST(test_bad_arguments)
{
	struct ioasid_caps_builder *b;
	struct ioasid_cap_page_sizes ps;
	struct raw r;
	uint32_t off, count;

	raw_one_page_sizes(&r);
	ck_assert_int_eq(ioasid_caps_first(rb(&r), r.len, 0, NULL, NULL), -EINVAL);
	ck_assert_int_eq(ioasid_caps_next(rb(&r), r.len, 0, 16, NULL, NULL), -EINVAL);
	ck_assert_int_eq(ioasid_caps_find(rb(&r), r.len, 0, 1, NULL, NULL), -EINVAL);
	ck_assert_int_eq(ioasid_caps_get(rb(&r), r.len, 0, 1, NULL, 8, NULL), -EINVAL);
	/* outsz 0 only asks whether the cap exists, and its size. */
	ck_assert_int_eq(ioasid_caps_get(rb(&r), r.len, 0, 1, NULL, 0, &off), 0);
	ck_assert_uint_eq(off, 24);
	ck_assert_int_eq(ioasid_caps_get_array(rb(&r), r.len, 0, IOASID_CAP_IOVA_RANGES, NULL, 2,
					       &count),
			 -EINVAL);
	ck_assert_int_eq(ioasid_caps_get_array(rb(&r), r.len, 0, IOASID_CAP_IOVA_RANGES, NULL, 0,
					       NULL),
			 -EINVAL);
	ck_assert_int_eq(ioasid_vfio_cap_find(NULL, 0, 24, 1, 0, &off, NULL, NULL), -EINVAL);
	/* A miss names what was looked for, as the thread's message. */
	ck_assert_int_eq(ioasid_caps_get(rb(&r), r.len, 0, 7, &ps, sizeof(ps), NULL), -ENOENT);
	ck_assert_str_eq(ioasid_last_errmsg(), "no cap with id 7");

	ck_assert_int_eq(ioasid_caps_add_page_sizes(NULL, MEASURED, 1), -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_addr_width(NULL, MEASURED, 1, 1), -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_pasid(NULL, MEASURED, 1), -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_iova_ranges(NULL, MEASURED, RANGES, 1), -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_resv_regions(NULL, MEASURED, REGIONS, 1), -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_features(NULL, MEASURED, 0, 0), -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_vtd(NULL, MEASURED, 0, 0, 0), -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_smmuv3(NULL, MEASURED, SMMU_IDR, 0, 0, 0), -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_amd(NULL, MEASURED, 0, 0), -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_virtio_iommu(NULL, MEASURED, &VIRTIO), -EINVAL);

	ck_assert_int_eq(ioasid_caps_builder_new(&b), 0);
	ck_assert_int_eq(ioasid_caps_add_resv_regions(b, MEASURED, NULL, 1), -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_virtio_iommu(b, MEASURED, NULL), -EINVAL);
	/*
	 * 2^28 16-byte ranges make a 4 GiB cap: refused on the size alone,
	 * before the (here far too short) array is read.
	 */
	ck_assert_int_eq(ioasid_caps_add_iova_ranges(b, MEASURED, RANGES, 1u << 28), -E2BIG);
	ck_err_has(ioasid_last_errmsg(), "4 GiB");
	ioasid_caps_builder_free(b);
}
END_TEST

/*
 * Fail each allocation of building a chain in turn (the buffer grows by
 * realloc several times): the failing call returns -ENOMEM and changes
 * nothing, so the chain ends up holding exactly the caps whose add
 * succeeded, and validates.
 */
START_TEST(test_builder_alloc_fail)
{
	unsigned long n;
	int failed = 1;

	for (n = 1; failed; n++) {
		struct ioasid_caps_builder *b;
		struct ioasid_cap_header h;
		uint8_t big[600];
		uint32_t off, caps = 0, added = 0;
		void *buf;
		size_t len;
		int ret;

		ioasid_alloc_fail_nth(n);
		ret = ioasid_caps_builder_new(&b);
		if (ret) {
			ck_assert_int_eq(ret, -ENOMEM);
			continue;
		}
		for (uint16_t i = 0; i < 40; i++) {
			h = (struct ioasid_cap_header){ 0x4000 + i, 1, 0, 0, MEASURED };
			memset(big, 0, sizeof(big));
			memcpy(big, &h, sizeof(h));
			ret = ioasid_caps_add(b, big, sizeof(big));
			if (ret) {
				ck_assert_int_eq(ret, -ENOMEM);
				ck_assert_str_eq(ioasid_last_errmsg(), "out of memory");
			} else {
				added++;
			}
		}
		ret = ioasid_caps_add_iova_ranges(b, MEASURED, RANGES, 2);
		ck_assert(ret == 0 || ret == -ENOMEM);
		added += !ret;
		ret = ioasid_caps_builder_finish(b, &buf, &len);
		failed = ioasid_alloc_failed();
		ioasid_alloc_fail_nth(0);
		if (ret) {
			/* Builder unchanged: finishing again works. */
			ck_assert_int_eq(ret, -ENOMEM);
			ck_assert_int_eq(ioasid_caps_builder_finish(b, &buf, &len), 0);
		}
		ck_assert_int_eq(ioasid_caps_validate(buf, len, 0), 0);
		ret = ioasid_caps_first(buf, len, 0, &off, &h);
		while (!ret) {
			caps++;
			ret = ioasid_caps_next(buf, len, 0, off, &off, &h);
		}
		ck_assert_uint_eq(caps, added);
		ioasid_caps_free(buf);
		ioasid_caps_builder_free(b);
	}
	/* new + a header buffer + several doublings to ~24 KiB. */
	ck_assert_uint_gt(n, 5);
}
END_TEST

START_TEST(test_long_chain_linear)
{
	/*
	 * 2^16 unknown caps: a walk that re-scanned earlier caps (to detect
	 * loops) would do 2^31 steps here; a linear one does 2^16.
	 */
	const uint32_t n = 1u << 16;
	struct ioasid_caps_builder *b;
	struct ioasid_cap_header h = { 0x4000, 1, 0, 0, MEASURED };
	void *buf;
	size_t len;
	uint32_t off;

	ck_assert_int_eq(ioasid_caps_builder_new(&b), 0);
	for (uint32_t i = 0; i < n; i++)
		ck_assert_int_eq(ioasid_caps_add(b, &h, sizeof(h)), 0);
	ck_assert_int_eq(ioasid_caps_add_page_sizes(b, MEASURED, 0x1000), 0);
	ck_assert_int_eq(ioasid_caps_builder_finish(b, &buf, &len), 0);
	ioasid_caps_builder_free(b);
	ck_assert_uint_eq(len, 16 + 16 * (size_t)n + 24);
	ck_assert_int_eq(ioasid_caps_validate(buf, len, 0), 0);
	ck_assert_int_eq(ioasid_caps_find(buf, len, 0, IOASID_CAP_PAGE_SIZES, &off, NULL), 0);
	ck_assert_uint_eq(off, 16 + 16 * n);
	ioasid_caps_free(buf);
}
END_TEST

Suite *caps_build_suite(void)
{
	Suite *s = suite_create("caps_build");
	TCase *tc;

	tc = tcase_create("build");
	tcase_add_test(tc, test_roundtrip_all);
	tcase_add_test(tc, test_lookup_miss_and_empty);
	tcase_add_test(tc, test_builder_refuses);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_builder_alloc_fail);
	suite_add_tcase(s, tc);
	/* 2^16 caps take well under a second, but valgrind is slow. */
	tc = tcase_create("scale");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_long_chain_linear);
	suite_add_tcase(s, tc);

	return s;
}
