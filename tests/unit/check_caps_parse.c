/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Capability chains as bytes: every malformed-buffer rule with its errno
 * and the message naming the bad value, loops, duplicates, strict vs
 * tolerant alignment, forward compatibility (unknown ids, newer versions),
 * every truncation and single-byte change, and VFIO-format chains.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <check.h>

#include <ioasid/caps.h>

#include "caps-chain.h"
#include "suites.h"

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
	ck_assert_int_eq(ioasid_caps_validate(NULL, 0, 0), -EINVAL);
	/* A NULL message buffer is fine. */
	ck_assert_int_eq(ioasid_caps_validate(rb(&r), 3, 0), -EMSGSIZE);
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
	ck_invalid(&r, 0, -EMSGSIZE,
		   "offset 16 (id 1 page_sizes, version 1): size 16 is below the 24-byte struct");

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
		ck_assert_int_eq(ioasid_caps_find(rb(&m), m.len, 0, IOASID_CAP_VTD, &off, NULL), 0);
		memcpy(&v, rb(&m) + off, sizeof(v));
		v.mgaw = 48;
		memcpy(rb(&m) + off, &v, sizeof(v));
		ck_invalid(&m, 0, -EINVAL, "decoded mgaw is 0x30, the registers give 0x27");

		raw_from(&m, buf, len);
		ck_assert_int_eq(ioasid_caps_find(rb(&m), m.len, 0, IOASID_CAP_SMMUV3, &off, NULL),
				 0);
		memcpy(&s, rb(&m) + off, sizeof(s));
		s.idr[5] ^= 1; /* OAS 5 -> 4: decoded 48 no longer matches */
		memcpy(rb(&m) + off, &s, sizeof(s));
		ck_invalid(&m, 0, -EINVAL, "decoded oas_bits is 0x30, the registers give 0x2c");

		raw_from(&m, buf, len);
		ck_assert_int_eq(ioasid_caps_find(rb(&m), m.len, 0, IOASID_CAP_AMD, &off, NULL), 0);
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
	ck_assert_int_eq(ioasid_caps_validate(rb(&r), r.len, IOASID_CAPS_TOLERANT), 0);
	/* The 8-byte bitmap at 52 is not 8-byte aligned: copied out safely. */
	ck_assert_int_eq(ioasid_caps_get(rb(&r), r.len, IOASID_CAPS_TOLERANT, IOASID_CAP_PAGE_SIZES,
					 &ps, sizeof(ps), NULL),
			 0);
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
	ck_assert_int_eq(ioasid_caps_validate(rb(&r), r.len, IOASID_CAPS_TOLERANT), 0);

	/* Tolerant still wants 4-byte alignment. */
	put32(&r, 20, 34);
	ck_invalid(&r, IOASID_CAPS_TOLERANT, -EINVAL, "cap offset 34 is not a multiple of 4");

	/* An unaligned buffer start is fine in both modes (copy-out). */
	{
		uint8_t *shifted = (uint8_t *)r.w + 3;
		struct raw ok;

		raw_one_page_sizes(&ok);
		memmove(shifted, ok.w, ok.len);
		ck_assert_int_eq(ioasid_caps_get(shifted, ok.len, 0, IOASID_CAP_PAGE_SIZES, &ps,
						 sizeof(ps), NULL),
				 0);
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
	ck_assert_int_eq(ioasid_caps_get(rb(&r), r.len, 0, IOASID_CAP_PAGE_SIZES, &ps, sizeof(ps),
					 &size),
			 0);
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
				ck_assert_msg(ret == 0 || ret == -EINVAL || ret == -EMSGSIZE,
					      "byte %zu = 0x%x: %d", i, vals[k], ret);
				if (ret)
					ck_assert_uint_gt(strlen(ioasid_last_errmsg()), 0);
			}
		}
	}
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
	put32(r, 0, 100); /* argsz */
	put32(r, 16, 24); /* cap_offset */
	put16(r, 24, 1);
	put16(r, 26, 1);
	put32(r, 28, 56);
	put32(r, 32, 1); /* nr_iovas */
	put64(r, 40, 0);
	put64(r, 48, 0xfedfffff);
	put16(r, 56, 3);
	put16(r, 58, 1);
	put32(r, 60, 68);
	put32(r, 64, 65535); /* avail */
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
	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), r.len, 24, 1, 0, &off, &h, &avail), 0);
	ck_assert_uint_eq(off, 24);
	ck_assert_uint_eq(avail, 32);
	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), r.len, 24, 3, 0, &off, &h, &avail), 0);
	ck_assert_uint_eq(off, 56);
	ck_assert_uint_eq(avail, 12);
	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), r.len, 24, 2, 0, &off, &h, &avail), 0);
	ck_assert_uint_eq(off, 68);
	ck_assert_uint_eq(avail, 32);
	ck_assert_uint_eq(h.version, 1);

	/* Strict alignment refuses the pre-6.6 layout, naming the offset. */
	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), r.len, 24, 2, IOASID_CAPS_STRICT_ALIGN, &off,
					      NULL, NULL),
			 -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "offset 68 is not a multiple of 8");

	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), r.len, 24, 9, 0, &off, NULL, NULL), -ENOENT);
	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), r.len, 0, 1, 0, &off, NULL, NULL), -ENOENT);

	/* Loop: DMA_AVAIL points back at IOVA_RANGE. */
	put32(&r, 60, 24);
	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), r.len, 24, 2, 0, &off, NULL, NULL), -EINVAL);
	ck_err_has(ioasid_last_errmsg(), "offset 56 (id 3): next 24");
	/* Self loop. */
	vfio_info(&r);
	put32(&r, 28, 24);
	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), r.len, 24, 2, 0, &off, NULL, NULL), -EINVAL);
	/* Truncated: the buffer ends inside the last header. */
	vfio_info(&r);
	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), 72, 24, 2, 0, &off, NULL, NULL), -EMSGSIZE);
	ck_err_has(ioasid_last_errmsg(), "offset 68");
	/* next past the end of the buffer. */
	put32(&r, 72, 4000);
	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), r.len, 24, 7, 0, &off, NULL, NULL), -EMSGSIZE);
	/* The last cap's room is bounded by the buffer, not by next. */
	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), r.len, 24, 2, 0, &off, NULL, &avail), 0);
	ck_assert_uint_eq(avail, 32);
	ck_assert_int_eq(ioasid_vfio_cap_find(rb(&r), r.len, 24, 2, 0x10, &off, NULL, NULL),
			 -EINVAL);
}
END_TEST

Suite *caps_parse_suite(void)
{
	Suite *s = suite_create("caps_parse");
	TCase *tc;

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

	tc = tcase_create("vfio");
	tcase_add_test(tc, test_vfio_chain);
	suite_add_tcase(s, tc);
	return s;
}
