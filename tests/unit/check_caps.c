/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Capability chains: builder/parser round trips, every malformed-buffer
 * rule with its errno and message, strict vs tolerant alignment, forward
 * compatibility (unknown ids, newer versions), vendor decoders against
 * hand-computed registers, JSON, and VFIO-format chains.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include <ioasid/caps.h>

#include "util/alloc.h"
#include "caps/caps-json.h"

#define ERRLEN 256
#define MEASURED IOASID_CAP_SRC_MEASURED

/*
 * Register values used throughout, each computed by hand from the spec
 * fields named beside it.
 *
 * QEMU 7.2 intel-iommu with its defaults (aw-bits=39, dma-drain=on, pt=on,
 * no intremap/device-iotlb/caching-mode):
 *   CAP  = DRD|DWD (55,54) | MAMV 18 <<48 | PSI (39) | SLLPS 0b11 <<34
 *        | FRO 0x220/16 <<24 | MGAW 39-1 <<16 | SAGAW 0b00010 <<8 | ND 6
 *        = 0x00d2008c22260206 (what a QEMU guest's dmesg prints as "cap")
 *   ECAP = IRO 0xf0/16 <<8 | PT (6) | QI (1) = 0xf42
 */
#define QEMU_VTD_CAP  UINT64_C(0x00d2008c22260206)
#define QEMU_VTD_ECAP UINT64_C(0xf42)

/*
 * A scalable-mode VT-d:
 *   CAP  = FL5LP (60) | FL1GP (56) | PSI (39) | SLLPS 0b11 <<34
 *        | MGAW 57-1 <<16 | SAGAW 0b00110 <<8 | CM (7) | ND 6
 *        = 0x1100008c00380686
 *   ECAP = FLTS 47 | SLTS 46 | SLADS 45 | SMTS 43 | PASID 40 | PSS 19 <<35
 *        | PRS 29 | NEST 26 | DT 2 | QI 1 | C 0 = 0xe99824000007
 */
#define SM_VTD_CAP  UINT64_C(0x1100008c00380686)
#define SM_VTD_ECAP UINT64_C(0xe99824000007)

/*
 * An SMMUv3:
 *   IDR0 = ST_LEVEL 1 <<27 | TERM_MODEL (26) | STALL_MODEL 1 <<24 | CD2L 19
 *        | VMID16 18 | PRI 16 | ASID16 12 | ATS 10 | HTTU 2 <<6 | COHACC 4
 *        | TTF 2 <<2 | S1P 1 | S2P 0 = 0x0d0d149b
 *   IDR1 = SSIDSIZE 20 <<6 | SIDSIZE 16 = 0x510
 *   IDR3 = BBML 2 <<11 | RIL 10 = 0x1400
 *   IDR5 = VAX 1 <<10 | GRAN64K 6 | GRAN4K 4 | OAS 5 = 0x455
 */
static const uint32_t SMMU_IDR[6] = { 0x0d0d149b, 0x510, 0, 0x1400, 0, 0x455 };

/*
 * An AMD IOMMU:
 *   EFR  = HDSup 52 | HASup 49 | GIOSup 48 | PASmax 15 <<32 | GLX 1 <<14
 *        | GATS 1 <<12 | HATS 1 <<10 | PC 9 | HE 8 | GA 7 | IA 6 | GT 4
 *        | NX 3 | PPR 1 = 0x0013000f000057da
 *   EFR2 = NUM_INT_REMAP 1 <<8 | SNPAVIC 1 <<5 = 0x120
 */
#define AMD_EFR  UINT64_C(0x0013000f000057da)
#define AMD_EFR2 UINT64_C(0x120)

/* Chains are built in uint64_t arrays so tests control their alignment. */
#define RAW_WORDS 512
struct raw {
	uint64_t w[RAW_WORDS];
	size_t len;
};

static uint8_t *rb(struct raw *r)
{
	return (uint8_t *)r->w;
}

static void put16(struct raw *r, size_t off, uint16_t v)
{
	memcpy(rb(r) + off, &v, sizeof(v));
}

static void put32(struct raw *r, size_t off, uint32_t v)
{
	memcpy(rb(r) + off, &v, sizeof(v));
}

static void put64(struct raw *r, size_t off, uint64_t v)
{
	memcpy(rb(r) + off, &v, sizeof(v));
}

static uint32_t get32(const void *buf, size_t off)
{
	uint32_t v;

	memcpy(&v, (const uint8_t *)buf + off, sizeof(v));
	return v;
}

static void raw_hdr(struct raw *r, uint32_t total, uint32_t first)
{
	memset(r->w, 0, sizeof(r->w));
	put32(r, 0, IOASID_INFO_MAGIC);
	put16(r, 4, 1);
	put16(r, 6, 16);
	put32(r, 8, total);
	put32(r, 12, first);
	r->len = total;
}

static void raw_cap(struct raw *r, size_t off, uint16_t id, uint16_t ver,
		    uint32_t next, uint32_t size)
{
	put16(r, off, id);
	put16(r, off + 2, ver);
	put32(r, off + 4, next);
	put32(r, off + 8, size);
	put32(r, off + 12, MEASURED);
}

/* A chain with one page-size cap at 16: 40 bytes. */
static void raw_one_page_sizes(struct raw *r)
{
	raw_hdr(r, 40, 16);
	raw_cap(r, 16, IOASID_CAP_PAGE_SIZES, 1, 0, 24);
	put64(r, 32, 0x1000);
}

/* Copy a built chain into @r (so it can be mutated). */
static void raw_from(struct raw *r, const void *buf, size_t len)
{
	ck_assert_uint_le(len, sizeof(r->w));
	memset(r->w, 0, sizeof(r->w));
	memcpy(r->w, buf, len);
	r->len = len;
}

#define ck_err_has(err, s)                                                   \
	ck_assert_msg(strstr((err), (s)) != NULL,                            \
		      "message \"%s\" lacks \"%s\"", (err), (s))

/* Expect validate to fail with @e and a message containing @s. */
#define ck_invalid(r, flags, e, s)                                           \
	do {                                                                 \
		int ret_ = ioasid_caps_validate(rb(r), (r)->len, (flags));   \
		ck_assert_msg(ret_ == (e), "ret %d (want %d): %s", ret_,     \
			      (e), ioasid_last_errmsg());                    \
		ck_err_has(ioasid_last_errmsg(), s);                         \
	} while (0)

static const struct ioasid_cap_iova_range RANGES[] = {
	{ 0, 0xfedfffff },
	{ 0xfef00000, 0x7fffffffffULL },
};

static const struct ioasid_cap_resv_region REGIONS[] = {
	{ 0xfee00000, 0xfeefffff, IOASID_RESV_MSI, 0 },
	{ 0x8000000, 0x80fffff, IOASID_RESV_SW_MSI, 0 },
	{ 0xa0000, 0xbffff, IOASID_RESV_DIRECT_RELAXABLE, 0 },
};

static const struct ioasid_cap_virtio_iommu VIRTIO = {
	.features = IOASID_VIRTIO_IOMMU_F_INPUT_RANGE |
		    IOASID_VIRTIO_IOMMU_F_MAP_UNMAP |
		    IOASID_VIRTIO_IOMMU_F_PROBE,
	.page_size_mask = 0xfffffffffffff000ULL,
	.input_start = 0,
	.input_end = 0xffffffffffULL,
	.domain_start = 1,
	.domain_end = 0xffff,
	.probe_size = 512,
	.bypass = 1,
};

/* Every known cap once, plus an unknown one in the middle. */
static void build_full(void **buf, size_t *len)
{
	struct ioasid_caps_builder *b;
	struct {
		struct ioasid_cap_header hdr;
		uint8_t payload[16];
	} unknown = { { 0x7777, 3, 0, 0, IOASID_CAP_SRC_CONFIGURED },
		      { 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0xa5 } };

	ck_assert_int_eq(ioasid_caps_builder_new(&b), 0);
	ck_assert_int_eq(ioasid_caps_add_page_sizes(b, MEASURED, 0x40201000), 0);
	ck_assert_int_eq(ioasid_caps_add_addr_width(b, IOASID_CAP_SRC_DERIVED,
						    48, 46), 0);
	ck_assert_int_eq(ioasid_caps_add_pasid(b, MEASURED, 20), 0);
	ck_assert_int_eq(ioasid_caps_add_iova_ranges(b, MEASURED, RANGES, 2), 0);
	ck_assert_int_eq(ioasid_caps_add(b, &unknown, sizeof(unknown)), 0);
	ck_assert_int_eq(ioasid_caps_add_resv_regions(b, MEASURED, REGIONS, 3),
			 0);
	ck_assert_int_eq(ioasid_caps_add_features(b, MEASURED,
			IOASID_FEAT_NESTING | IOASID_FEAT_ATS,
			IOASID_FEAT_NESTING | IOASID_FEAT_ATS |
			IOASID_FEAT_DIRTY_TRACKING), 0);
	ck_assert_int_eq(ioasid_caps_add_vtd(b, MEASURED, QEMU_VTD_CAP,
					     QEMU_VTD_ECAP, 0), 0);
	ck_assert_int_eq(ioasid_caps_add_smmuv3(b, IOASID_CAP_SRC_CONFIGURED,
						SMMU_IDR, 0x4b0, 0x2, 0), 0);
	ck_assert_int_eq(ioasid_caps_add_amd(b, MEASURED, AMD_EFR, AMD_EFR2), 0);
	ck_assert_int_eq(ioasid_caps_add_virtio_iommu(b, MEASURED, &VIRTIO), 0);
	ck_assert_int_eq(ioasid_caps_builder_finish(b, buf, len), 0);
	ioasid_caps_builder_free(b);
}

/* ------------------------------------------------------------------------ */

START_TEST(test_roundtrip_all)
{
	static const uint16_t order[] = {
		IOASID_CAP_PAGE_SIZES, IOASID_CAP_ADDR_WIDTH, IOASID_CAP_PASID,
		IOASID_CAP_IOVA_RANGES, 0x7777, IOASID_CAP_RESV_REGIONS,
		IOASID_CAP_FEATURES, IOASID_CAP_VTD, IOASID_CAP_SMMUV3,
		IOASID_CAP_AMD, IOASID_CAP_VIRTIO_IOMMU,
	};
	struct ioasid_cap_header h;
	void *buf;
	size_t len;
	uint32_t off, n = 0, size, count;
	int ret;

	build_full(&buf, &len);
	ck_assert_uint_eq((uintptr_t)buf % 8, 0);
	ck_assert_uint_eq(len % 8, 0);
	ck_assert_uint_eq(get32(buf, 8), len);
	ck_assert_int_eq(ioasid_caps_validate(buf, len, 0), 0);

	/* Iteration sees every cap in order, each 8-byte aligned. */
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

	{
		struct ioasid_cap_page_sizes c;

		ck_assert_int_eq(ioasid_caps_get(buf, len, 0,
				 IOASID_CAP_PAGE_SIZES, &c, sizeof(c), &size), 0);
		ck_assert_uint_eq(size, sizeof(c));
		ck_assert_uint_eq(c.bitmap, 0x40201000);
		ck_assert_uint_eq(c.hdr.source, MEASURED);
		ck_assert_uint_eq(c.hdr.version, 1);
	}
	{
		struct ioasid_cap_addr_width c;

		ck_assert_int_eq(ioasid_caps_get(buf, len, 0,
				 IOASID_CAP_ADDR_WIDTH, &c, sizeof(c), NULL), 0);
		ck_assert_uint_eq(c.input_bits, 48);
		ck_assert_uint_eq(c.output_bits, 46);
		ck_assert_uint_eq(c.hdr.source, IOASID_CAP_SRC_DERIVED);
	}
	{
		struct ioasid_cap_pasid c;

		ck_assert_int_eq(ioasid_caps_get(buf, len, 0, IOASID_CAP_PASID,
				 &c, sizeof(c), NULL), 0);
		ck_assert_uint_eq(c.width, 20);
		ck_assert_uint_eq(c.max_pasids, 1u << 20);
	}
	{
		struct ioasid_cap_iova_range r[4];

		ck_assert_int_eq(ioasid_caps_get_array(buf, len, 0,
				 IOASID_CAP_IOVA_RANGES, r, 4, &count), 0);
		ck_assert_uint_eq(count, 2);
		ck_assert_int_eq(memcmp(r, RANGES, sizeof(RANGES)), 0);
		/* Fewer slots than entries: the true count comes back. */
		ck_assert_int_eq(ioasid_caps_get_array(buf, len, 0,
				 IOASID_CAP_IOVA_RANGES, r, 1, &count), 0);
		ck_assert_uint_eq(count, 2);
		ck_assert_int_eq(ioasid_caps_get_array(buf, len, 0,
				 IOASID_CAP_IOVA_RANGES, NULL, 0, &count), 0);
		ck_assert_uint_eq(count, 2);
	}
	{
		struct ioasid_cap_resv_region r[3];

		ck_assert_int_eq(ioasid_caps_get_array(buf, len, 0,
				 IOASID_CAP_RESV_REGIONS, r, 3, &count), 0);
		ck_assert_uint_eq(count, 3);
		ck_assert_int_eq(memcmp(r, REGIONS, sizeof(REGIONS)), 0);
	}
	{
		struct ioasid_cap_features c;

		ck_assert_int_eq(ioasid_caps_get(buf, len, 0,
				 IOASID_CAP_FEATURES, &c, sizeof(c), NULL), 0);
		ck_assert_uint_eq(c.features,
				  IOASID_FEAT_NESTING | IOASID_FEAT_ATS);
		ck_assert_uint_eq(c.known, IOASID_FEAT_NESTING |
				  IOASID_FEAT_ATS | IOASID_FEAT_DIRTY_TRACKING);
	}
	{
		struct ioasid_cap_vtd c;

		ck_assert_int_eq(ioasid_caps_get(buf, len, 0, IOASID_CAP_VTD,
				 &c, sizeof(c), NULL), 0);
		ck_assert_uint_eq(c.cap_reg, QEMU_VTD_CAP);
		ck_assert_uint_eq(c.ecap_reg, QEMU_VTD_ECAP);
		ck_assert_uint_eq(c.mgaw, 39);
	}
	{
		struct ioasid_cap_smmuv3 c;

		ck_assert_int_eq(ioasid_caps_get(buf, len, 0, IOASID_CAP_SMMUV3,
				 &c, sizeof(c), NULL), 0);
		ck_assert_int_eq(memcmp(c.idr, SMMU_IDR, sizeof(SMMU_IDR)), 0);
		ck_assert_uint_eq(c.iidr, 0x4b0);
		ck_assert_uint_eq(c.aidr, 0x2);
		ck_assert_uint_eq(c.oas_bits, 48);
	}
	{
		struct ioasid_cap_amd c;

		ck_assert_int_eq(ioasid_caps_get(buf, len, 0, IOASID_CAP_AMD,
				 &c, sizeof(c), NULL), 0);
		ck_assert_uint_eq(c.efr, AMD_EFR);
		ck_assert_uint_eq(c.efr2, AMD_EFR2);
	}
	{
		struct ioasid_cap_virtio_iommu c;

		ck_assert_int_eq(ioasid_caps_get(buf, len, 0,
				 IOASID_CAP_VIRTIO_IOMMU, &c, sizeof(c), NULL), 0);
		ck_assert_uint_eq(c.features, VIRTIO.features);
		ck_assert_uint_eq(c.page_size_mask, VIRTIO.page_size_mask);
		ck_assert_uint_eq(c.input_end, VIRTIO.input_end);
		ck_assert_uint_eq(c.domain_end, 0xffff);
		ck_assert_uint_eq(c.probe_size, 512);
		ck_assert_uint_eq(c.bypass, 1);
	}
	{
		/* A bigger out struct than the cap: the tail is zeroed. */
		uint8_t big[64];

		memset(big, 0xee, sizeof(big));
		ck_assert_int_eq(ioasid_caps_get(buf, len, 0,
				 IOASID_CAP_PAGE_SIZES, big, sizeof(big), &size), 0);
		ck_assert_uint_eq(size, 24);
		for (size_t i = 24; i < sizeof(big); i++)
			ck_assert_uint_eq(big[i], 0);
	}
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
	ck_assert_int_eq(ioasid_caps_find(buf, len, 0, IOASID_CAP_PASID, &off,
					  NULL), -ENOENT);
	ck_err_has(ioasid_last_errmsg(), "pasid");
	ioasid_caps_free(buf);

	/* The builder is reusable after finish. */
	ck_assert_int_eq(ioasid_caps_add_page_sizes(b, MEASURED, 0x1000), 0);
	ck_assert_int_eq(ioasid_caps_builder_finish(b, &buf, &len), 0);
	ck_assert_uint_eq(len, 40);
	ck_assert_int_eq(ioasid_caps_get(buf, len, 0, IOASID_CAP_PASID, &c,
					 sizeof(c), NULL),
			 -ENOENT);
	ck_assert_int_eq(ioasid_caps_get_array(buf, len, 0,
			 IOASID_CAP_IOVA_RANGES, NULL, 0, &off), -ENOENT);
	/* Not an array cap. */
	ck_assert_int_eq(ioasid_caps_get_array(buf, len, 0, IOASID_CAP_PASID,
			 NULL, 0, &off), -EINVAL);
	ioasid_caps_free(buf);
	ioasid_caps_builder_free(b);
	ioasid_caps_builder_free(NULL);
	ioasid_caps_free(NULL);
}
END_TEST

START_TEST(test_builder_refuses)
{
	struct ioasid_cap_iova_range bad_order[] = {
		{ 0x10000, 0x1ffff }, { 0x0, 0xffff },
	};
	struct ioasid_cap_iova_range overlap[] = {
		{ 0x0, 0x1ffff }, { 0x1ffff, 0x2ffff },
	};
	struct ioasid_cap_iova_range inverted[] = { { 0x2000, 0x1000 } };
	struct ioasid_cap_resv_region type0[] = { { 0, 0xfff, 0, 0 } };
	struct ioasid_cap_virtio_iommu v = VIRTIO;
	struct ioasid_caps_builder *b;
	struct ioasid_cap_page_sizes ps = {
		{ IOASID_CAP_PAGE_SIZES, 1, 0, 0, MEASURED }, 0x1000
	};
	void *buf;
	size_t len;

	ck_assert_int_eq(ioasid_caps_builder_new(&b), 0);
	ck_assert_int_eq(ioasid_caps_add_page_sizes(b, MEASURED, 0), -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "bitmap is 0x0");
	ck_err_has(ioasid_last_errmsg(), "page_sizes");
	ck_assert_int_eq(ioasid_caps_add_page_sizes(b, 0, 0x1000), -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "source 0");
	ck_assert_int_eq(ioasid_caps_add_addr_width(b, MEASURED, 0, 48),
			 -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "input_bits 0");
	ck_assert_int_eq(ioasid_caps_add_addr_width(b, MEASURED, 48, 65),
			 -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "output_bits 65");
	ck_assert_int_eq(ioasid_caps_add_pasid(b, MEASURED, 21), -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "width 21");
	ck_assert_int_eq(ioasid_caps_add_pasid(b, MEASURED, 40), -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_iova_ranges(b, MEASURED, bad_order, 2),
			 -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "range 1: start 0x0");
	ck_assert_int_eq(ioasid_caps_add_iova_ranges(b, MEASURED, overlap, 2),
			 -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "0x1ffff");
	ck_assert_int_eq(ioasid_caps_add_iova_ranges(b, MEASURED, inverted, 1),
			 -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "start 0x2000 > last 0x1000");
	ck_assert_int_eq(ioasid_caps_add_iova_ranges(b, MEASURED, NULL, 1),
			 -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_resv_regions(b, MEASURED, type0, 1),
			 -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "type 0");
	ck_assert_int_eq(ioasid_caps_add_features(b, MEASURED,
			 IOASID_FEAT_PRI, IOASID_FEAT_ATS), -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "0x4");
	ck_assert_int_eq(ioasid_caps_add_smmuv3(b, MEASURED, NULL, 0, 0, 0),
			 -EINVAL);
	v.page_size_mask = 0;
	ck_assert_int_eq(ioasid_caps_add_virtio_iommu(b, MEASURED, &v),
			 -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "page_size_mask is 0x0");
	v = VIRTIO;
	v.bypass = 2;
	ck_assert_int_eq(ioasid_caps_add_virtio_iommu(b, MEASURED, &v),
			 -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "bypass is 2");
	v = VIRTIO;
	v.domain_start = 9;
	v.domain_end = 3;
	ck_assert_int_eq(ioasid_caps_add_virtio_iommu(b, MEASURED, &v),
			 -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "domain range start 9 > end 3");

	/* Generic add: version 0, id 0, header-only, size below the struct. */
	ps.hdr.version = 0;
	ck_assert_int_eq(ioasid_caps_add(b, &ps, sizeof(ps)), -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "version 0");
	ps.hdr.version = 1;
	ps.hdr.id = 0;
	ck_assert_int_eq(ioasid_caps_add(b, &ps, sizeof(ps)), -EINVAL);
	ps.hdr.id = IOASID_CAP_PAGE_SIZES;
	ck_assert_int_eq(ioasid_caps_add(b, &ps, 8), -EINVAL);
	ck_assert_int_eq(ioasid_caps_add(b, &ps, 16), -EMSGSIZE);
	ck_err_has(ioasid_last_errmsg(), "below the 24-byte struct");

	/* A known id only once. */
	ck_assert_int_eq(ioasid_caps_add(b, &ps, sizeof(ps)), 0);
	ck_assert_int_eq(ioasid_caps_add_page_sizes(b, MEASURED, 0x2000),
			 -EEXIST);
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
	ck_assert_int_eq(ioasid_caps_get_array(rb(&r), r.len, 0,
			 IOASID_CAP_IOVA_RANGES, NULL, 2, &count), -EINVAL);
	ck_assert_int_eq(ioasid_caps_get_array(rb(&r), r.len, 0,
			 IOASID_CAP_IOVA_RANGES, NULL, 0, NULL), -EINVAL);
	ck_assert_int_eq(ioasid_vfio_cap_find(NULL, 0, 24, 1, 0, &off, NULL,
					      NULL), -EINVAL);
	/* A miss names what was looked for, as the thread's message. */
	ck_assert_int_eq(ioasid_caps_get(rb(&r), r.len, 0, 7, &ps, sizeof(ps),
					 NULL), -ENOENT);
	ck_assert_str_eq(ioasid_last_errmsg(), "no cap with id 7");

	ck_assert_int_eq(ioasid_caps_add_page_sizes(NULL, MEASURED, 1), -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_addr_width(NULL, MEASURED, 1, 1),
			 -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_pasid(NULL, MEASURED, 1), -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_iova_ranges(NULL, MEASURED, RANGES, 1),
			 -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_resv_regions(NULL, MEASURED, REGIONS,
						      1), -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_features(NULL, MEASURED, 0, 0),
			 -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_vtd(NULL, MEASURED, 0, 0, 0), -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_smmuv3(NULL, MEASURED, SMMU_IDR, 0, 0,
						0), -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_amd(NULL, MEASURED, 0, 0), -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_virtio_iommu(NULL, MEASURED, &VIRTIO),
			 -EINVAL);

	ck_assert_int_eq(ioasid_caps_builder_new(&b), 0);
	ck_assert_int_eq(ioasid_caps_add_resv_regions(b, MEASURED, NULL, 1),
			 -EINVAL);
	ck_assert_int_eq(ioasid_caps_add_virtio_iommu(b, MEASURED, NULL),
			 -EINVAL);
	/*
	 * 2^28 16-byte ranges make a 4 GiB cap: refused on the size alone,
	 * before the (here far too short) array is read.
	 */
	ck_assert_int_eq(ioasid_caps_add_iova_ranges(b, MEASURED, RANGES,
						     1u << 28), -E2BIG);
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
			h = (struct ioasid_cap_header){ 0x4000 + i, 1, 0, 0,
							MEASURED };
			memset(big, 0, sizeof(big));
			memcpy(big, &h, sizeof(h));
			ret = ioasid_caps_add(b, big, sizeof(big));
			if (ret) {
				ck_assert_int_eq(ret, -ENOMEM);
				ck_assert_str_eq(ioasid_last_errmsg(),
						 "out of memory");
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
			ck_assert_int_eq(ioasid_caps_builder_finish(b, &buf,
								    &len), 0);
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

/* ------------------------------------------------------------------------ */
/* Malformed buffers                                                        */

START_TEST(test_bad_header)
{
	struct raw r;

	raw_one_page_sizes(&r);
	ck_assert_int_eq(ioasid_caps_validate(rb(&r), r.len, 0), 0);

	/* Shorter than the chain header. */
	r.len = 12;
	ck_invalid(&r, 0, -EMSGSIZE, "12 bytes");

	raw_one_page_sizes(&r);
	put32(&r, 0, 0xdeadbeef);
	ck_invalid(&r, 0, -EINVAL, "0xdeadbeef");

	raw_one_page_sizes(&r);
	put16(&r, 4, 0);
	ck_invalid(&r, 0, -EINVAL, "version 0");

	raw_one_page_sizes(&r);
	put16(&r, 6, 8);
	ck_invalid(&r, 0, -EINVAL, "header size 8");

	raw_one_page_sizes(&r);
	put32(&r, 8, 8);
	ck_invalid(&r, 0, -EINVAL, "total_size 8");

	/* Truncated: the buffer is shorter than total_size. */
	raw_one_page_sizes(&r);
	r.len = 32;
	ck_invalid(&r, 0, -EMSGSIZE, "total_size 40 exceeds the 32-byte");

	raw_one_page_sizes(&r);
	put32(&r, 12, 8);
	ck_invalid(&r, 0, -EINVAL, "first_cap 8");

	/* A newer header version with a bigger header is fine. */
	raw_hdr(&r, 48, 24);
	put16(&r, 4, 2);
	put16(&r, 6, 24);
	raw_cap(&r, 24, IOASID_CAP_PAGE_SIZES, 1, 0, 24);
	put64(&r, 40, 0x1000);
	ck_assert_int_eq(ioasid_caps_validate(rb(&r), r.len, 0), 0);

	raw_one_page_sizes(&r);
	ck_assert_int_eq(ioasid_caps_validate(rb(&r), r.len, 0x80), -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "flags 0x80");
	ck_assert_int_eq(ioasid_caps_validate(NULL, 0, 0),
			 -EINVAL);
	/* A NULL message buffer is fine. */
	ck_assert_int_eq(ioasid_caps_validate(rb(&r), 3, 0),
			 -EMSGSIZE);
}
END_TEST

START_TEST(test_bad_cap_sizes)
{
	struct raw r;

	/* Cap header past total_size. */
	raw_hdr(&r, 24, 16);
	ck_invalid(&r, 0, -EMSGSIZE, "cap header at offset 16 runs past total_size 24");

	/* Size below the cap header. */
	raw_one_page_sizes(&r);
	put32(&r, 24, 8);
	ck_invalid(&r, 0, -EINVAL, "size 8 is below the 16-byte cap header");

	/* Size past total_size. */
	raw_one_page_sizes(&r);
	put32(&r, 24, 32);
	ck_invalid(&r, 0, -EMSGSIZE, "size 32 runs past total_size 40");

	/* Size below the struct of the id (page_sizes v1 is 24 bytes). */
	raw_hdr(&r, 32, 16);
	raw_cap(&r, 16, IOASID_CAP_PAGE_SIZES, 1, 0, 16);
	ck_invalid(&r, 0, -EMSGSIZE, "offset 16 (id 1 page_sizes, version 1): size 16 is below the 24-byte struct");

	/* Same for a vendor cap. */
	raw_hdr(&r, 64, 16);
	raw_cap(&r, 16, IOASID_CAP_VTD, 1, 0, 48);
	ck_invalid(&r, 0, -EMSGSIZE, "id 257 vtd");
}
END_TEST

START_TEST(test_bad_arrays)
{
	struct raw r;

	/* 3 ranges announced, room for 1. */
	raw_hdr(&r, 56, 16);
	raw_cap(&r, 16, IOASID_CAP_IOVA_RANGES, 1, 0, 40);
	put32(&r, 32, 3);
	put32(&r, 36, 16);
	put64(&r, 48, 0xfff);
	ck_invalid(&r, 0, -EMSGSIZE, "3 entries of 16 bytes need 48 bytes, the cap has 16");

	/* A count whose byte size would overflow 32 bits. */
	put32(&r, 32, 0xffffffff);
	ck_invalid(&r, 0, -EMSGSIZE, "4294967295 entries");

	/* Entries smaller than the struct this version knows. */
	put32(&r, 32, 1);
	put32(&r, 36, 8);
	ck_invalid(&r, 0, -EMSGSIZE, "entry size 8 is below the 16-byte entry");

	put32(&r, 36, 20);
	ck_invalid(&r, 0, -EINVAL, "entry size 20 is not a multiple of 8");
	put32(&r, 36, 0);
	ck_invalid(&r, 0, -EMSGSIZE, "entry size 0");

	/* Reserved regions: 24-byte entries; 2 announced, room for 1. */
	raw_hdr(&r, 64, 16);
	raw_cap(&r, 16, IOASID_CAP_RESV_REGIONS, 1, 0, 48);
	put32(&r, 32, 2);
	put32(&r, 36, 24);
	put64(&r, 40, 0x1000);
	put64(&r, 48, 0x1fff);
	put32(&r, 56, IOASID_RESV_MSI);
	ck_invalid(&r, 0, -EMSGSIZE, "2 entries of 24 bytes");
	put32(&r, 32, 1);
	ck_assert_int_eq(ioasid_caps_validate(rb(&r), r.len, 0), 0);
	/* Reserved field of a version-1 entry must be 0... */
	put32(&r, 60, 7);
	ck_invalid(&r, 0, -EINVAL, "region 0: reserved field is 0x7");
	/* ...but a newer version may use it. */
	put16(&r, 18, 2);
	ck_assert_int_eq(ioasid_caps_validate(rb(&r), r.len, 0), 0);
	put16(&r, 18, 1);
	put32(&r, 60, 0);
	/* Unknown types are accepted, type 0 is not. */
	put32(&r, 56, 99);
	ck_assert_int_eq(ioasid_caps_validate(rb(&r), r.len, 0), 0);
	put32(&r, 56, 0);
	ck_invalid(&r, 0, -EINVAL, "region 0: type 0");
}
END_TEST

START_TEST(test_bad_values)
{
	struct raw r;
	void *buf;
	size_t len;

	raw_one_page_sizes(&r);
	put64(&r, 32, 0);
	ck_invalid(&r, 0, -EINVAL, "bitmap is 0x0");

	/* Bit 63 alone is a valid (if odd) bitmap: full 64 bits count. */
	put64(&r, 32, UINT64_C(1) << 63);
	ck_assert_int_eq(ioasid_caps_validate(rb(&r), r.len, 0), 0);

	raw_one_page_sizes(&r);
	put16(&r, 16, 0);
	ck_invalid(&r, 0, -EINVAL, "id 0");
	raw_one_page_sizes(&r);
	put16(&r, 18, 0);
	ck_invalid(&r, 0, -EINVAL, "version 0");
	raw_one_page_sizes(&r);
	put32(&r, 28, 0);
	ck_invalid(&r, 0, -EINVAL, "source 0");

	raw_hdr(&r, 40, 16);
	raw_cap(&r, 16, IOASID_CAP_PASID, 1, 0, 24);
	put32(&r, 32, 5);
	put32(&r, 36, 31);
	ck_invalid(&r, 0, -EINVAL, "max_pasids 31 does not match width 5 (32)");
	put32(&r, 32, 24);
	ck_invalid(&r, 0, -EINVAL, "PASID width 24");

	/* Decoded vendor fields must agree with the registers. */
	build_full(&buf, &len);
	{
		struct raw m;
		uint32_t off;
		struct ioasid_cap_vtd v;
		struct ioasid_cap_smmuv3 s;
		struct ioasid_cap_amd a;

		raw_from(&m, buf, len);
		ck_assert_int_eq(ioasid_caps_find(rb(&m), m.len, 0,
				 IOASID_CAP_VTD, &off, NULL), 0);
		memcpy(&v, rb(&m) + off, sizeof(v));
		v.mgaw = 48;
		memcpy(rb(&m) + off, &v, sizeof(v));
		ck_invalid(&m, 0, -EINVAL, "decoded mgaw is 0x30, the registers give 0x27");

		raw_from(&m, buf, len);
		ck_assert_int_eq(ioasid_caps_find(rb(&m), m.len, 0,
				 IOASID_CAP_SMMUV3, &off, NULL), 0);
		memcpy(&s, rb(&m) + off, sizeof(s));
		s.idr[5] ^= 1; /* OAS 5 -> 4: decoded 48 no longer matches */
		memcpy(rb(&m) + off, &s, sizeof(s));
		ck_invalid(&m, 0, -EINVAL, "decoded oas_bits is 0x30, the registers give 0x2c");

		raw_from(&m, buf, len);
		ck_assert_int_eq(ioasid_caps_find(rb(&m), m.len, 0,
				 IOASID_CAP_AMD, &off, NULL), 0);
		memcpy(&a, rb(&m) + off, sizeof(a));
		a.pad[3] = 1;
		memcpy(rb(&m) + off, &a, sizeof(a));
		ck_invalid(&m, 0, -EINVAL, "reserved byte pad[3] is 0x1");
	}
	ioasid_caps_free(buf);
}
END_TEST

START_TEST(test_loops)
{
	struct raw r;
	uint32_t off;

	/* A cap whose next is itself. */
	raw_one_page_sizes(&r);
	put32(&r, 20, 16);
	ck_invalid(&r, 0, -EINVAL, "next 16 points before the end of this cap (40)");
	/* Iteration refuses it too, instead of spinning. */
	ck_assert_int_eq(ioasid_caps_next(rb(&r), r.len, 0, 16, &off, NULL), -EINVAL);
	ck_assert_int_eq(ioasid_caps_find(rb(&r), r.len, 0, 0x4242, &off, NULL), -EINVAL);

	/* Two caps pointing at each other. */
	raw_hdr(&r, 64, 16);
	raw_cap(&r, 16, IOASID_CAP_PAGE_SIZES, 1, 40, 24);
	put64(&r, 32, 0x1000);
	raw_cap(&r, 40, IOASID_CAP_PASID, 1, 16, 24);
	ck_invalid(&r, 0, -EINVAL, "next 16 points before the end of this cap (64)");

	/* next into the middle of the current cap. */
	raw_hdr(&r, 64, 16);
	raw_cap(&r, 16, IOASID_CAP_PAGE_SIZES, 1, 32, 24);
	put64(&r, 32, 0x1000);
	ck_invalid(&r, 0, -EINVAL, "next 32");

	/* next past the end of the chain. */
	raw_hdr(&r, 64, 16);
	raw_cap(&r, 16, IOASID_CAP_PAGE_SIZES, 1, 64, 24);
	put64(&r, 32, 0x1000);
	ck_invalid(&r, 0, -EMSGSIZE, "cap header at offset 64 runs past total_size 64");

	/* ioasid_caps_next() from an offset that is not the chain's own. */
	raw_one_page_sizes(&r);
	ck_assert_int_eq(ioasid_caps_next(rb(&r), r.len, 0, 8, &off, NULL), -EINVAL);
	ck_assert_int_eq(ioasid_caps_next(rb(&r), r.len, 0, 400, &off, NULL), -EMSGSIZE);
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
	ck_assert_int_eq(ioasid_caps_find(buf, len, 0, IOASID_CAP_PAGE_SIZES,
					  &off, NULL), 0);
	ck_assert_uint_eq(off, 16 + 16 * n);
	ioasid_caps_free(buf);
}
END_TEST

START_TEST(test_duplicate_known_id)
{
	struct raw r;

	raw_hdr(&r, 64, 16);
	raw_cap(&r, 16, IOASID_CAP_PAGE_SIZES, 1, 40, 24);
	put64(&r, 32, 0x1000);
	raw_cap(&r, 40, IOASID_CAP_PAGE_SIZES, 1, 0, 24);
	put64(&r, 56, 0x2000);
	ck_invalid(&r, 0, -EINVAL, "cap at offset 40 (id 1 page_sizes, version 1): second cap");

	/* Unknown ids may repeat. */
	raw_cap(&r, 16, 0x999, 1, 40, 24);
	raw_cap(&r, 40, 0x999, 1, 0, 24);
	ck_assert_int_eq(ioasid_caps_validate(rb(&r), r.len, 0), 0);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Alignment                                                                */

START_TEST(test_alignment_strict_vs_tolerant)
{
	struct ioasid_cap_page_sizes ps;
	struct raw r;
	uint32_t off;

	/*
	 * header (16) | unknown cap of 20 bytes at 16 | page_sizes at 36:
	 * where a producer that pads to 4 bytes (VFIO before 6.6) puts it.
	 */
	raw_hdr(&r, 60, 16);
	raw_cap(&r, 16, 0x5555, 1, 36, 20);
	put32(&r, 32, 0xabcd);
	raw_cap(&r, 36, IOASID_CAP_PAGE_SIZES, 1, 0, 24);
	put64(&r, 52, 0x40201000);

	ck_invalid(&r, 0, -EINVAL, "total_size 60");
	put32(&r, 8, 64);
	r.len = 64;
	ck_invalid(&r, 0, -EINVAL, "size 20 is not a multiple of 8");
	ck_assert_int_eq(ioasid_caps_validate(rb(&r), r.len,
			 IOASID_CAPS_TOLERANT), 0);
	/* The 8-byte bitmap at 52 is not 8-byte aligned: copied out safely. */
	ck_assert_int_eq(ioasid_caps_get(rb(&r), r.len, IOASID_CAPS_TOLERANT,
			 IOASID_CAP_PAGE_SIZES, &ps, sizeof(ps), NULL), 0);
	ck_assert_uint_eq(ps.bitmap, 0x40201000);
	ck_assert_int_eq(ioasid_caps_find(rb(&r), r.len, IOASID_CAPS_TOLERANT,
			 IOASID_CAP_PAGE_SIZES, &off, NULL),
			 0);
	ck_assert_uint_eq(off, 36);

	/* A cap at offset 36 after an 8-byte-multiple cap: strict names it. */
	raw_hdr(&r, 64, 16);
	raw_cap(&r, 16, 0x5555, 1, 36, 16);
	raw_cap(&r, 36, IOASID_CAP_PAGE_SIZES, 1, 0, 24);
	put64(&r, 52, 0x1000);
	ck_invalid(&r, 0, -EINVAL, "cap offset 36 is not a multiple of 8");
	ck_assert_int_eq(ioasid_caps_validate(rb(&r), r.len,
			 IOASID_CAPS_TOLERANT), 0);

	/* Tolerant still wants 4-byte alignment. */
	put32(&r, 20, 34);
	ck_invalid(&r, IOASID_CAPS_TOLERANT, -EINVAL,
		   "cap offset 34 is not a multiple of 4");

	/* An unaligned buffer start is fine in both modes (copy-out). */
	{
		uint8_t *shifted = (uint8_t *)r.w + 3;
		struct raw ok;

		raw_one_page_sizes(&ok);
		memmove(shifted, ok.w, ok.len);
		ck_assert_int_eq(ioasid_caps_get(shifted, ok.len, 0,
				 IOASID_CAP_PAGE_SIZES, &ps, sizeof(ps), NULL), 0);
		ck_assert_uint_eq(ps.bitmap, 0x1000);
	}
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Forward compatibility                                                    */

START_TEST(test_unknown_and_newer)
{
	struct ioasid_cap_page_sizes ps;
	struct ioasid_cap_vtd v;
	struct raw r;
	uint32_t off, size;
	struct ioasid_cap_header h;

	/* unknown (24 bytes) -> page_sizes v2 (40 bytes, 16 new bytes). */
	raw_hdr(&r, 80, 16);
	raw_cap(&r, 16, 0x9999, 7, 40, 24);
	put64(&r, 32, 0xffffffffffffffffULL);
	raw_cap(&r, 40, IOASID_CAP_PAGE_SIZES, 2, 0, 40);
	put64(&r, 56, 0x201000);
	put64(&r, 64, 0x1234);
	put64(&r, 72, 0x5678);
	ck_assert_int_eq(ioasid_caps_validate(rb(&r), r.len, 0), 0);
	ck_assert_int_eq(ioasid_caps_get(rb(&r), r.len, 0,
			 IOASID_CAP_PAGE_SIZES, &ps, sizeof(ps), &size), 0);
	ck_assert_uint_eq(ps.bitmap, 0x201000);
	ck_assert_uint_eq(ps.hdr.version, 2);
	ck_assert_uint_eq(size, 40);
	/* The unknown cap is still visible to iteration and find. */
	ck_assert_int_eq(ioasid_caps_first(rb(&r), r.len, 0, &off, &h), 0);
	ck_assert_uint_eq(h.id, 0x9999);
	ck_assert_int_eq(ioasid_caps_find(rb(&r), r.len, 0, 0x9999, &off, &h), 0);
	ck_assert_uint_eq(off, 16);

	/* VT-d v1 with a decoded bit this version does not know: refused. */
	memset(&v, 0, sizeof(v));
	v.cap_reg = QEMU_VTD_CAP;
	v.ecap_reg = QEMU_VTD_ECAP;
	ck_assert_int_eq(ioasid_cap_vtd_decode(&v), 0);
	v.bits |= UINT64_C(1) << 60;
	raw_hdr(&r, 16 + 64, 16);
	memcpy(rb(&r) + 16, &v, sizeof(v));
	raw_cap(&r, 16, IOASID_CAP_VTD, 1, 0, 64);
	ck_invalid(&r, 0, -EINVAL, "decoded bits");
	/* ...but fine in a v2 cap, where it may mean something new. */
	put16(&r, 18, 2);
	ck_assert_int_eq(ioasid_caps_validate(rb(&r), r.len, 0), 0);
	/* A known bit that disagrees is refused at any version. */
	v.bits ^= IOASID_VTD_QI;
	memcpy(rb(&r) + 16 + 16, (uint8_t *)&v + 16, sizeof(v) - 16);
	ck_invalid(&r, 0, -EINVAL, "decoded bits");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Robustness sweep: every truncation and every single-byte change          */

START_TEST(test_mutation_sweep)
{
	void *buf;
	size_t len;
	struct raw m;
	unsigned int flags;

	build_full(&buf, &len);
	for (flags = 0; flags <= IOASID_CAPS_TOLERANT; flags++) {
		for (size_t l = 0; l < len; l++) {
			int ret = ioasid_caps_validate(buf, l, flags);

			/* Short of the header, or of total_size. */
			ck_assert_int_eq(ret, -EMSGSIZE);
		}
		for (size_t i = 0; i < len; i++) {
			static const uint8_t vals[] = { 0x00, 0xff, 0x01, 0x80 };

			for (size_t k = 0; k < sizeof(vals); k++) {
				int ret;

				raw_from(&m, buf, len);
				rb(&m)[i] = vals[k];
				ret = ioasid_caps_validate(rb(&m), m.len, flags);
				ck_assert_msg(ret == 0 || ret == -EINVAL ||
					      ret == -EMSGSIZE,
					      "byte %zu = 0x%x: %d", i, vals[k],
					      ret);
				if (ret)
					ck_assert_uint_gt(strlen(ioasid_last_errmsg()), 0);
			}
		}
	}
	ioasid_caps_free(buf);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Vendor decoders                                                          */

START_TEST(test_decode_vtd_qemu)
{
	struct ioasid_cap_vtd v = { .cap_reg = QEMU_VTD_CAP,
				    .ecap_reg = QEMU_VTD_ECAP };

	ck_assert_int_eq(ioasid_cap_vtd_decode(&v), 0);
	ck_assert_uint_eq(v.domains, 65536);    /* ND 6: 2^(4+12) */
	ck_assert_uint_eq(v.sagaw, 0x2);        /* 39-bit only */
	ck_assert_uint_eq(v.levels, 1u << 3);   /* 3-level */
	ck_assert_uint_eq(v.mgaw, 39);
	ck_assert_uint_eq(v.sllps, 0x3);
	ck_assert_uint_eq(v.mamv, 18);
	ck_assert_uint_eq(v.pss, 0);
	ck_assert_uint_eq(v.pasid_bits, 0);
	ck_assert_uint_eq(v.mhmv, 0);
	ck_assert_uint_eq(v.bits, IOASID_VTD_PSI | IOASID_VTD_DWD |
			  IOASID_VTD_DRD | IOASID_VTD_SP_2M | IOASID_VTD_SP_1G |
			  IOASID_VTD_QI | IOASID_VTD_PT);
	ck_assert(!(v.bits & IOASID_VTD_CM));
	ck_assert(!(v.bits & IOASID_VTD_SMTS));
	ck_assert_int_eq(ioasid_cap_vtd_decode(NULL), -EINVAL);
}
END_TEST

START_TEST(test_decode_vtd_scalable)
{
	struct ioasid_cap_vtd v = { .cap_reg = SM_VTD_CAP,
				    .ecap_reg = SM_VTD_ECAP };

	ioasid_cap_vtd_decode(&v);
	ck_assert_uint_eq(v.domains, 65536);
	ck_assert_uint_eq(v.sagaw, 0x6);
	ck_assert_uint_eq(v.levels, (1u << 3) | (1u << 4)); /* 3- and 4-level */
	ck_assert_uint_eq(v.mgaw, 57);
	ck_assert_uint_eq(v.pss, 19);
	ck_assert_uint_eq(v.pasid_bits, 20);
	ck_assert_uint_eq(v.bits,
		IOASID_VTD_CM | IOASID_VTD_PSI | IOASID_VTD_SP_2M |
		IOASID_VTD_SP_1G | IOASID_VTD_FL1GP | IOASID_VTD_FL5LP |
		IOASID_VTD_C | IOASID_VTD_QI | IOASID_VTD_DT |
		IOASID_VTD_NEST | IOASID_VTD_PRS | IOASID_VTD_PASID |
		IOASID_VTD_SMTS | IOASID_VTD_SLADS | IOASID_VTD_SLTS |
		IOASID_VTD_FLTS);

	/* Reserved ND 7 decodes to 0 domains; PSS alone gives no PASID. */
	v.cap_reg = 7;
	v.ecap_reg = UINT64_C(19) << 35;
	ioasid_cap_vtd_decode(&v);
	ck_assert_uint_eq(v.domains, 0);
	ck_assert_uint_eq(v.pss, 19);
	ck_assert_uint_eq(v.pasid_bits, 0);
	ck_assert_uint_eq(v.mgaw, 1);
	ck_assert_uint_eq(v.bits, 0);
	/* All ones: every known bit, and nothing else. */
	v.cap_reg = v.ecap_reg = ~UINT64_C(0);
	ioasid_cap_vtd_decode(&v);
	ck_assert_uint_eq(v.bits, IOASID_VTD_BITS_V1);
	ck_assert_uint_eq(v.levels, 0x1f << 2);
	ck_assert_uint_eq(v.mgaw, 64);
	ck_assert_uint_eq(v.pasid_bits, 32);
}
END_TEST

START_TEST(test_decode_smmuv3)
{
	struct ioasid_cap_smmuv3 s;

	memset(&s, 0xaa, sizeof(s));
	memcpy(s.idr, SMMU_IDR, sizeof(s.idr));
	ck_assert_int_eq(ioasid_cap_smmuv3_decode(&s), 0);
	ck_assert_uint_eq(s.st_level, 1);
	ck_assert_uint_eq(s.stall_model, 1);
	ck_assert_uint_eq(s.ttf, 2);
	ck_assert_uint_eq(s.ttendian, 0);
	ck_assert_uint_eq(s.httu, 2);
	ck_assert_uint_eq(s.sidsize, 16);
	ck_assert_uint_eq(s.ssidsize, 20);
	ck_assert_uint_eq(s.oas_bits, 48);
	ck_assert_uint_eq(s.va_bits, 52);
	ck_assert_uint_eq(s.bbml, 2);
	ck_assert_uint_eq(s.pad, 0);
	for (size_t i = 0; i < sizeof(s.pad2); i++)
		ck_assert_uint_eq(s.pad2[i], 0);
	/* STALL_MODEL 1: no stall; HTTU 2: access and dirty. */
	ck_assert_uint_eq(s.bits,
		IOASID_SMMUV3_S2P | IOASID_SMMUV3_S1P |
		IOASID_SMMUV3_TTF_AARCH64 | IOASID_SMMUV3_COHACC |
		IOASID_SMMUV3_HA | IOASID_SMMUV3_HD | IOASID_SMMUV3_ATS |
		IOASID_SMMUV3_ASID16 | IOASID_SMMUV3_PRI |
		IOASID_SMMUV3_VMID16 | IOASID_SMMUV3_CD2L |
		IOASID_SMMUV3_TERM_MODEL | IOASID_SMMUV3_RIL |
		IOASID_SMMUV3_GRAN4K | IOASID_SMMUV3_GRAN64K);

	/* Stall forced, HTTU access only, OAS 7 and VAX 2 reserved. */
	memset(s.idr, 0, sizeof(s.idr));
	s.idr[0] = (2u << 24) | (1u << 6) | (3u << 2);
	s.idr[5] = 7 | (2u << 10) | (1u << 3);
	ioasid_cap_smmuv3_decode(&s);
	ck_assert_uint_eq(s.bits, IOASID_SMMUV3_STALL |
			  IOASID_SMMUV3_STALL_FORCE | IOASID_SMMUV3_HA |
			  IOASID_SMMUV3_TTF_AARCH32 |
			  IOASID_SMMUV3_TTF_AARCH64 | IOASID_SMMUV3_DS);
	ck_assert_uint_eq(s.oas_bits, 0);
	ck_assert_uint_eq(s.va_bits, 0);
	ck_assert_uint_eq(s.ttf, 3);
	ck_assert_int_eq(ioasid_cap_smmuv3_decode(NULL), -EINVAL);
}
END_TEST

START_TEST(test_decode_amd)
{
	struct ioasid_cap_amd a;

	memset(&a, 0xaa, sizeof(a));
	a.efr = AMD_EFR;
	a.efr2 = AMD_EFR2;
	ck_assert_int_eq(ioasid_cap_amd_decode(&a), 0);
	ck_assert_uint_eq(a.hats, 1);
	ck_assert_uint_eq(a.host_levels, 5);
	ck_assert_uint_eq(a.gats, 1);
	ck_assert_uint_eq(a.guest_levels, 5);
	ck_assert_uint_eq(a.glx, 1);
	ck_assert_uint_eq(a.pasmax, 15);
	ck_assert_uint_eq(a.pasid_bits, 16);
	ck_assert_uint_eq(a.snp_avic, 1);
	ck_assert_uint_eq(a.num_int_remap, 1);
	for (size_t i = 0; i < sizeof(a.pad); i++)
		ck_assert_uint_eq(a.pad[i], 0);
	ck_assert_uint_eq(a.bits,
		IOASID_AMD_PPR | IOASID_AMD_NX | IOASID_AMD_GT |
		IOASID_AMD_IA | IOASID_AMD_GA | IOASID_AMD_HE |
		IOASID_AMD_PC | IOASID_AMD_GIO | IOASID_AMD_HA |
		IOASID_AMD_HD);

	/* HATS 3 and GATS 2 are reserved; PASmax without GTSup means none. */
	a.efr = (UINT64_C(3) << 10) | (UINT64_C(2) << 12) |
		(UINT64_C(19) << 32);
	a.efr2 = UINT64_C(1) << 11;
	ioasid_cap_amd_decode(&a);
	ck_assert_uint_eq(a.host_levels, 0);
	ck_assert_uint_eq(a.guest_levels, 0);
	ck_assert_uint_eq(a.pasid_bits, 0);
	ck_assert_uint_eq(a.bits, IOASID_AMD_HTRANGE_IGNORE);
	a.efr = a.efr2 = ~UINT64_C(0);
	ioasid_cap_amd_decode(&a);
	ck_assert_uint_eq(a.bits, IOASID_AMD_BITS_V1);
	ck_assert_int_eq(ioasid_cap_amd_decode(NULL), -EINVAL);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(ioasid_cap_id_name(IOASID_CAP_VTD), "vtd");
	ck_assert_str_eq(ioasid_cap_id_name(IOASID_CAP_VIRTIO_IOMMU),
			 "virtio_iommu");
	ck_assert_ptr_null(ioasid_cap_id_name(0x4242));
	ck_assert_str_eq(ioasid_cap_source_name(IOASID_CAP_SRC_DERIVED),
			 "derived");
	ck_assert_ptr_null(ioasid_cap_source_name(0));
	ck_assert_str_eq(ioasid_resv_type_name(IOASID_RESV_SW_MSI), "sw_msi");
	ck_assert_ptr_null(ioasid_resv_type_name(0));
	ck_assert_str_eq(ioasid_cap_bit_name(IOASID_CAP_FEATURES, 1),
			 "dirty_tracking");
	ck_assert_str_eq(ioasid_cap_bit_name(IOASID_CAP_VTD, 35), "smts");
	ck_assert_str_eq(ioasid_cap_bit_name(IOASID_CAP_SMMUV3, 33), "gran4k");
	ck_assert_str_eq(ioasid_cap_bit_name(IOASID_CAP_AMD, 13), "hd");
	ck_assert_str_eq(ioasid_cap_bit_name(IOASID_CAP_VIRTIO_IOMMU, 6),
			 "bypass_config");
	ck_assert_ptr_null(ioasid_cap_bit_name(IOASID_CAP_VTD, 63));
	ck_assert_ptr_null(ioasid_cap_bit_name(IOASID_CAP_PASID, 0));
	/* Every bit inside a vendor's V1 mask has a name, none outside. */
	for (unsigned int i = 0; i < 64; i++) {
		ck_assert_int_eq(!!ioasid_cap_bit_name(IOASID_CAP_VTD, i),
				 !!((IOASID_VTD_BITS_V1 >> i) & 1));
		ck_assert_int_eq(!!ioasid_cap_bit_name(IOASID_CAP_SMMUV3, i),
				 !!((IOASID_SMMUV3_BITS_V1 >> i) & 1));
		ck_assert_int_eq(!!ioasid_cap_bit_name(IOASID_CAP_AMD, i),
				 !!((IOASID_AMD_BITS_V1 >> i) & 1));
		ck_assert_int_eq(!!ioasid_cap_bit_name(IOASID_CAP_FEATURES, i),
				 !!((IOASID_FEAT_ALL >> i) & 1));
	}
}
END_TEST

/* ------------------------------------------------------------------------ */
/* JSON                                                                     */

static json_t *cap_by_id(json_t *arr, const char *id)
{
	size_t i;
	json_t *o;

	json_array_foreach(arr, i, o) {
		const char *s = json_string_value(json_object_get(o, "id"));

		if (s && !strcmp(s, id))
			return o;
	}
	return NULL;
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	ck_assert_msg(s != NULL, "no string \"%s\"", key);
	return s;
}

static json_int_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	ck_assert_msg(json_is_integer(v), "no integer \"%s\"", key);
	return json_integer_value(v);
}

START_TEST(test_json)
{
	json_t *arr, *o, *dec, *v;
	void *buf;
	size_t len;
	char *text;
	struct raw r;

	build_full(&buf, &len);
	arr = ioasid_caps_to_json(buf, len);
	ck_assert_msg(arr != NULL, "%s", ioasid_last_errmsg());
	ck_assert(json_is_array(arr));
	ck_assert_uint_eq(json_array_size(arr), 11);

	o = json_array_get(arr, 0);
	ck_assert_str_eq(jstr(o, "id"), "page_sizes");
	ck_assert_int_eq(jint(o, "id_num"), 1);
	ck_assert_int_eq(jint(o, "version"), 1);
	ck_assert_str_eq(jstr(o, "source"), "measured");
	ck_assert_int_eq(jint(o, "offset"), 16);
	ck_assert_int_eq(jint(o, "size"), 24);
	ck_assert_str_eq(jstr(o, "bitmap"), "0x40201000");

	o = cap_by_id(arr, "addr_width");
	ck_assert_str_eq(jstr(o, "source"), "derived");
	ck_assert_int_eq(jint(o, "input_bits"), 48);
	ck_assert_int_eq(jint(o, "output_bits"), 46);

	o = cap_by_id(arr, "pasid");
	ck_assert_int_eq(jint(o, "width"), 20);
	ck_assert_int_eq(jint(o, "max_pasids"), 1 << 20);

	o = cap_by_id(arr, "iova_ranges");
	v = json_object_get(o, "ranges");
	ck_assert_uint_eq(json_array_size(v), 2);
	ck_assert_str_eq(jstr(json_array_get(v, 1), "start"), "0xfef00000");
	ck_assert_str_eq(jstr(json_array_get(v, 1), "last"), "0x7fffffffff");

	o = cap_by_id(arr, "resv_regions");
	v = json_object_get(o, "regions");
	ck_assert_uint_eq(json_array_size(v), 3);
	ck_assert_str_eq(jstr(json_array_get(v, 0), "type"), "msi");
	ck_assert_str_eq(jstr(json_array_get(v, 2), "type"),
			 "direct_relaxable");

	o = cap_by_id(arr, "features");
	v = json_object_get(o, "features");
	ck_assert(json_is_true(json_object_get(v, "nesting")));
	ck_assert(json_is_true(json_object_get(v, "ats")));
	ck_assert(json_is_false(json_object_get(v, "dirty_tracking")));
	ck_assert(json_is_null(json_object_get(v, "pri")));

	o = cap_by_id(arr, "vtd");
	ck_assert_str_eq(jstr(o, "cap_reg"), "0xd2008c22260206");
	ck_assert_str_eq(jstr(o, "ecap_reg"), "0xf42");
	dec = json_object_get(o, "decoded");
	ck_assert_int_eq(jint(dec, "mgaw"), 39);
	ck_assert_int_eq(jint(dec, "domains"), 65536);
	v = json_object_get(dec, "levels");
	ck_assert_uint_eq(json_array_size(v), 1);
	ck_assert_int_eq(json_integer_value(json_array_get(v, 0)), 3);
	ck_assert(json_is_true(json_object_get(dec, "sp_1g")));
	ck_assert(json_is_true(json_object_get(dec, "pt")));
	ck_assert(json_is_false(json_object_get(dec, "smts")));
	ck_assert(json_is_false(json_object_get(dec, "cm")));

	o = cap_by_id(arr, "smmuv3");
	ck_assert_str_eq(jstr(o, "source"), "configured");
	ck_assert_str_eq(json_string_value(json_array_get(
				json_object_get(o, "idr"), 0)), "0xd0d149b");
	dec = json_object_get(o, "decoded");
	ck_assert_int_eq(jint(dec, "oas_bits"), 48);
	ck_assert_int_eq(jint(dec, "ssidsize"), 20);
	ck_assert_int_eq(jint(dec, "arch_minor"), 2);
	ck_assert(json_is_true(json_object_get(dec, "hd")));
	ck_assert(json_is_false(json_object_get(dec, "stall")));

	o = cap_by_id(arr, "amd");
	ck_assert_str_eq(jstr(o, "efr"), "0x13000f000057da");
	dec = json_object_get(o, "decoded");
	ck_assert_int_eq(jint(dec, "pasid_bits"), 16);
	ck_assert(json_is_true(json_object_get(dec, "gt")));

	o = cap_by_id(arr, "virtio_iommu");
	ck_assert_str_eq(jstr(o, "page_size_mask"), "0xfffffffffffff000");
	ck_assert_int_eq(jint(o, "bypass"), 1);
	dec = json_object_get(o, "decoded");
	ck_assert(json_is_true(json_object_get(dec, "probe")));
	ck_assert(json_is_false(json_object_get(dec, "mmio")));

	o = cap_by_id(arr, "unknown");
	ck_assert_int_eq(jint(o, "id_num"), 0x7777);
	ck_assert_int_eq(jint(o, "version"), 3);
	ck_assert_str_eq(jstr(o, "data"),
			 "8877665544332211a500000000000000");

	text = json_dumps(arr, JSON_COMPACT);
	ck_assert_ptr_nonnull(text);
	free(text);
	json_decref(arr);

	/* A bad chain gives NULL and the parser's message. */
	raw_from(&r, buf, len);
	put32(&r, 8, (uint32_t)len + 8);
	ck_assert_ptr_null(ioasid_caps_to_json(rb(&r), r.len));
	ck_err_has(ioasid_last_errmsg(), "truncated");
	ioasid_caps_free(buf);

	/* An unknown cap's bytes are dumped up to 4096 of them. */
	{
		struct ioasid_caps_builder *b;
		static uint8_t big[16 + 5000];
		struct ioasid_cap_header h = { 0x3333, 1, 0, 0, MEASURED };

		memcpy(big, &h, sizeof(h));
		memset(big + 16, 0xab, sizeof(big) - 16);
		ck_assert_int_eq(ioasid_caps_builder_new(&b), 0);
		ck_assert_int_eq(ioasid_caps_add(b, big, sizeof(big)), 0);
		ck_assert_int_eq(ioasid_caps_builder_finish(b, &buf, &len), 0);
		ioasid_caps_builder_free(b);
		arr = ioasid_caps_to_json(buf, len);
		ck_assert_ptr_nonnull(arr);
		o = json_array_get(arr, 0);
		ck_assert(json_is_true(json_object_get(o, "data_truncated")));
		ck_assert_uint_eq(strlen(jstr(o, "data")), 2 * 4096);
		ck_assert_int_eq(jint(o, "size"), 5016);
		json_decref(arr);
		ioasid_caps_free(buf);
	}

	/* An empty chain is an empty array. */
	raw_hdr(&r, 16, 0);
	arr = ioasid_caps_to_json(rb(&r), r.len);
	ck_assert_ptr_nonnull(arr);
	ck_assert_uint_eq(json_array_size(arr), 0);
	json_decref(arr);
}
END_TEST

/* jansson's allocator, made to fail at the n-th call. */
static long json_fail_at;

static void *json_failing_malloc(size_t n)
{
	if (json_fail_at > 0 && --json_fail_at == 0)
		return NULL;
	return malloc(n);
}

START_TEST(test_json_oom)
{
	json_malloc_t old_malloc;
	json_free_t old_free;
	json_t *arr;
	void *buf;
	size_t len;
	long n;

	build_full(&buf, &len);
	json_get_alloc_funcs(&old_malloc, &old_free);
	/* Fail each allocation in turn until one run needs no failure. */
	for (n = 1; n < 100000; n++) {
		bool hit;

		json_fail_at = n;
		json_set_alloc_funcs(json_failing_malloc, free);
		arr = ioasid_caps_to_json(buf, len);
		hit = json_fail_at == 0;
		json_set_alloc_funcs(old_malloc, old_free);
		if (!hit) {
			ck_assert_ptr_nonnull(arr);
			json_decref(arr);
			break;
		}
		ck_assert_msg(arr == NULL, "allocation %ld failed unnoticed", n);
		ck_err_has(ioasid_last_errmsg(), "out of memory");
	}
	ck_assert_int_gt(n, 100);
	json_fail_at = 0;
	ioasid_caps_free(buf);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* VFIO-format chains                                                       */

/*
 * A VFIO_IOMMU_GET_INFO answer as a pre-6.6 kernel lays it out: the
 * 24-byte type-1 info, IOVA_RANGE (id 1, 16 + 16 bytes) at 24, DMA_AVAIL
 * (id 3, 12 bytes) at 56, MIGRATION (id 2, 32 bytes) at 68 - a 4-byte
 * boundary.
 */
static void vfio_info(struct raw *r)
{
	memset(r->w, 0, sizeof(r->w));
	put32(r, 0, 100);       /* argsz */
	put32(r, 16, 24);       /* cap_offset */
	put16(r, 24, 1);
	put16(r, 26, 1);
	put32(r, 28, 56);
	put32(r, 32, 1);        /* nr_iovas */
	put64(r, 40, 0);
	put64(r, 48, 0xfedfffff);
	put16(r, 56, 3);
	put16(r, 58, 1);
	put32(r, 60, 68);
	put32(r, 64, 65535);    /* avail */
	put16(r, 68, 2);
	put16(r, 70, 1);
	put32(r, 72, 0);
	r->len = 100;
}

START_TEST(test_vfio_chain)
{
	struct ioasid_vfio_cap_header h;
	struct raw r;
	uint32_t off, avail;

	vfio_info(&r);
	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), r.len, 24, 1, 0, &off,
			 &h, &avail), 0);
	ck_assert_uint_eq(off, 24);
	ck_assert_uint_eq(avail, 32);
	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), r.len, 24, 3, 0, &off,
			 &h, &avail), 0);
	ck_assert_uint_eq(off, 56);
	ck_assert_uint_eq(avail, 12);
	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), r.len, 24, 2, 0, &off,
			 &h, &avail), 0);
	ck_assert_uint_eq(off, 68);
	ck_assert_uint_eq(avail, 32);
	ck_assert_uint_eq(h.version, 1);

	/* Strict alignment refuses the pre-6.6 layout, naming the offset. */
	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), r.len, 24, 2,
			 IOASID_CAPS_STRICT_ALIGN, &off, NULL, NULL), -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "offset 68 is not a multiple of 8");

	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), r.len, 24, 9, 0, &off,
			 NULL, NULL), -ENOENT);
	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), r.len, 0, 1, 0, &off,
			 NULL, NULL), -ENOENT);

	/* Loop: DMA_AVAIL points back at IOVA_RANGE. */
	put32(&r, 60, 24);
	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), r.len, 24, 2, 0, &off,
			 NULL, NULL), -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "offset 56 (id 3): next 24");
	/* Self loop. */
	vfio_info(&r);
	put32(&r, 28, 24);
	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), r.len, 24, 2, 0, &off,
			 NULL, NULL), -EINVAL);
	/* Truncated: the buffer ends inside the last header. */
	vfio_info(&r);
	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), 72, 24, 2, 0, &off,
			 NULL, NULL), -EMSGSIZE);
	ck_err_has(ioasid_last_errmsg(), "offset 68");
	/* next past the end of the buffer. */
	put32(&r, 72, 4000);
	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), r.len, 24, 7, 0, &off,
			 NULL, NULL), -EMSGSIZE);
	/* The last cap's room is bounded by the buffer, not by next. */
	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), r.len, 24, 2, 0, &off,
			 NULL, &avail), 0);
	ck_assert_uint_eq(avail, 32);
	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), r.len, 24, 2, 0x10, &off,
			 NULL, NULL), -EINVAL);
}
END_TEST

/* Called by the shared runner (tests/unit). */
Suite *caps_suite(void);

Suite *caps_suite(void)
{
	Suite *s = suite_create("caps");
	TCase *tc;

	tc = tcase_create("build");
	tcase_add_test(tc, test_roundtrip_all);
	tcase_add_test(tc, test_lookup_miss_and_empty);
	tcase_add_test(tc, test_builder_refuses);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_builder_alloc_fail);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_test(tc, test_bad_header);
	tcase_add_test(tc, test_bad_cap_sizes);
	tcase_add_test(tc, test_bad_arrays);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_loops);
	tcase_add_test(tc, test_duplicate_known_id);
	tcase_add_test(tc, test_alignment_strict_vs_tolerant);
	tcase_add_test(tc, test_unknown_and_newer);
	tcase_add_test(tc, test_mutation_sweep);
	suite_add_tcase(s, tc);

	/* 2^16 caps take well under a second, but valgrind is slow. */
	tc = tcase_create("scale");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_long_chain_linear);
	suite_add_tcase(s, tc);

	tc = tcase_create("decode");
	tcase_add_test(tc, test_decode_vtd_qemu);
	tcase_add_test(tc, test_decode_vtd_scalable);
	tcase_add_test(tc, test_decode_smmuv3);
	tcase_add_test(tc, test_decode_amd);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("json");
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_json_oom);
	suite_add_tcase(s, tc);

	tc = tcase_create("vfio");
	tcase_add_test(tc, test_vfio_chain);
	suite_add_tcase(s, tc);

	return s;
}
