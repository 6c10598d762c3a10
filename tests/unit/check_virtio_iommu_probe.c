/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-iommu PROBE and page sizes: the properties a PROBE returns and
 * the parser's rules, the page-size rules of domains, every request split
 * at every byte boundary of its readable and writable parts, and a VMM
 * whose own host IOMMU is a virtio-iommu.
 */
#include <stdio.h>
#include <sys/mman.h>

#include <ioasid/virtio-iommu.h>

#include "helpers.h"
#include "suites.h"
#include "virtio-iommu-fixture.h"

START_TEST(test_probe)
{
	uint8_t out[600], b[80];
	struct ioasid_virtio_iommu_resv_mem r[4];
	struct ioasid_virtio_iommu_probe_props pp = { .resv = r, .max_resv = 4 };
	struct ioasid_virtio_iommu *vi;
	size_t used;

	ck_status(probe_on(vio, EP0, out, 512), S_OK);
	/* RESV_MEM, subtype MSI, the x86 MSI window; then PAGE_SIZE_MASK */
	ck_assert_uint_eq(g16(out + 0), 1);
	ck_assert_uint_eq(g16(out + 2), 20);
	ck_assert_uint_eq(out[4], IOASID_VIRTIO_IOMMU_RESV_MEM_T_MSI);
	ck_assert_uint_eq(out[5] | out[6] | out[7], 0);
	ck_assert_uint_eq(g64(out + 8), MSI_START);
	ck_assert_uint_eq(g64(out + 16), MSI_END);
	ck_assert_uint_eq(g16(out + 24), 0x801);
	ck_assert_uint_eq(g16(out + 26), 12);
	ck_assert_uint_eq(g32(out + 28), 0);
	ck_assert_uint_eq(g64(out + 32), 0x40201000);
	for (int i = 40; i < 512; i++)
		ck_assert_uint_eq(out[i], 0);
	ck_assert_uint_eq(out[513] | out[514] | out[515], 0);
	ck_assert_ok(ctx, ioasid_virtio_iommu_probe_parse(out, 512, &pp));
	ck_assert_uint_eq(pp.nr_resv, 1);
	ck_assert_uint_eq(pp.page_size_mask, 0x40201000);
	ck_assert_uint_eq(pp.used, 40);
	ck_status(probe_on(vio, EP2, out, 512), S_OK);
	ck_assert_ok(ctx, ioasid_virtio_iommu_probe_parse(out, 512, &pp));
	ck_assert_uint_eq(pp.page_size_mask, 0x1000);
	/* unknown endpoint; reserved bytes of the request */
	ck_status(probe_on(vio, 1234, out, 512), S_NOENT);
	for (int i = 0; i < 512; i++)
		ck_assert_uint_eq(out[i], 0);
	mk_probe(b, EP0);
	b[40] = 1;
	memset(out, 0xaa, sizeof(out));
	ck_assert_ok(ctx, ioasid_virtio_iommu_request_buf(vio, b, 72, out, 516, &used));
	ck_assert_uint_eq(out[512], S_INVAL);
	/* without the extension negotiated: no PAGE_SIZE_MASK */
	vi = mk_virtio_iommu(IOASID_VIRTIO_IOMMU_EXT_PGSIZE_MASK, NO_EXT, 0);
	ck_status(probe_on(vi, EP0, out, 512), S_OK);
	ck_assert_ok(ctx, ioasid_virtio_iommu_probe_parse(out, 512, &pp));
	ck_assert_uint_eq(pp.nr_resv, 1);
	ck_assert_uint_eq(pp.page_size_mask, 0);
	ck_assert_uint_eq(g16(out + 24), 0);
	ioasid_virtio_iommu_free(vi);
	/* regions the VMM adds (a virtual MSI doorbell), after the device's */
	{
		struct ioasid_virtio_iommu_resv_mem extra = { .start = 0x8000000,
							      .end = 0x80fffff,
							      .subtype = 1 };
		struct ioasid_virtio_iommu_endpoint_opts eo = {
			.sz = sizeof(struct ioasid_virtio_iommu_endpoint_opts),
			.resv = &extra,
			.nr_resv = 1
		};

		ck_assert_int_eq(ioasid_virtio_iommu_endpoint_add(vio, 100, dev[0], &eo), -EEXIST);
		ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_del(vio, EP0));
		ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_add(vio, 100, dev[0], &eo));
		ck_status(probe_on(vio, 100, out, 512), S_OK);
		ck_assert_ok(ctx, ioasid_virtio_iommu_probe_parse(out, 512, &pp));
		ck_assert_uint_eq(pp.nr_resv, 2);
		ck_assert_uint_eq(r[1].start, 0x8000000);
		ck_assert_uint_eq(r[1].end, 0x80fffff);
		ck_assert_uint_eq(r[1].subtype, 1);
		extra.subtype = 5;
		ck_assert_int_eq(ioasid_virtio_iommu_endpoint_add(vio, 101, dev[0], &eo), -EINVAL);
	}
}
END_TEST

/* A buffer of exactly @len bytes at the end of a page-sized allocation's
 * tail, so that reading one byte too far is caught (by valgrind / ASan). */
static int parse_exact(const uint8_t *bytes, size_t len, struct ioasid_virtio_iommu_probe_props *pp)
{
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	memcpy(copy, bytes, len);
	r = ioasid_virtio_iommu_probe_parse(copy, len, pp);
	free(copy);
	return r;
}

START_TEST(test_probe_parser_rules)
{
	struct ioasid_virtio_iommu_resv_mem r[2];
	struct ioasid_virtio_iommu_probe_props pp = { .resv = r, .max_resv = 2 };
	uint8_t b[128];

	/* the mask is a full 64-bit value on every host */
	memset(b, 0, sizeof(b));
	p16(b, 0x801);
	p16(b + 2, 12);
	p64(b + 8, 0x8000000000001000ull);
	ck_assert_int_eq(parse_exact(b, 16, &pp), 0);
	ck_assert_uint_eq(pp.page_size_mask, 0x8000000000001000ull);
	/* a mask of 0 is a violation: the probe fails */
	p64(b + 8, 0);
	ck_assert_int_eq(parse_exact(b, 16, &pp), -EINVAL);
	ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(), "is 0"));
	/* shorter than its struct: refused before any field is read; the
	 * copy ends where the short property ends, so reading on would fault */
	for (uint16_t l = 0; l < 12; l++) {
		p16(b + 2, l);
		ck_assert_int_eq(parse_exact(b, 4 + l, &pp), -EMSGSIZE);
		ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(), "its struct needs 12"));
	}
	/* a longer one is read on the fields known */
	p16(b + 2, 20);
	p64(b + 8, 0x1000);
	ck_assert_int_eq(parse_exact(b, 24, &pp), 0);
	ck_assert_uint_eq(pp.page_size_mask, 0x1000);
	/* reserved bytes, two masks */
	p16(b + 2, 12);
	b[5] = 1;
	ck_assert_int_eq(parse_exact(b, 16, &pp), -EINVAL);
	b[5] = 0;
	memcpy(b + 16, b, 16);
	ck_assert_int_eq(parse_exact(b, 32, &pp), -EINVAL);
	ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(), "second"));
	/* a length past the end of the buffer */
	ck_assert_int_eq(parse_exact(b, 15, &pp), -EMSGSIZE);
	/* RESV_MEM: short, inverted, unknown subtype, more than max_resv */
	memset(b, 0, sizeof(b));
	for (int i = 0; i < 3; i++) {
		p16(b + 24 * i, 1);
		p16(b + 24 * i + 2, 20);
		b[24 * i + 4] = (uint8_t)(i == 0 ? 7 : 1);
		p64(b + 24 * i + 8, 0x1000 * (i + 1));
		p64(b + 24 * i + 16, 0x1000 * (i + 1) + 0xfff);
	}
	ck_assert_int_eq(parse_exact(b, 72, &pp), 0);
	ck_assert_uint_eq(pp.nr_resv, 3);
	ck_assert_uint_eq(r[0].subtype, IOASID_VIRTIO_IOMMU_RESV_MEM_T_RESERVED);
	ck_assert_uint_eq(r[1].subtype, IOASID_VIRTIO_IOMMU_RESV_MEM_T_MSI);
	ck_assert_uint_eq(r[1].start, 0x2000);
	p16(b + 2, 19);
	ck_assert_int_eq(parse_exact(b, 23, &pp), -EMSGSIZE);
	p16(b + 2, 20);
	p64(b + 8, 0x5000);
	ck_assert_int_eq(parse_exact(b, 72, &pp), -EINVAL);
	/* unknown types are skipped, the upper 4 type bits are not part of it,
	 * NONE ends the list, a tail of under 4 bytes ends it too */
	memset(b, 0, sizeof(b));
	p16(b, 0x7);
	p16(b + 2, 2);
	p16(b + 6, 0xf801);
	p16(b + 8, 12);
	p64(b + 14, 0x2000);
	ck_assert_int_eq(parse_exact(b, 25, &pp), 0);
	ck_assert_uint_eq(pp.nr_unknown, 1);
	ck_assert_uint_eq(pp.page_size_mask, 0x2000);
	ck_assert_uint_eq(pp.used, 22);
	b[22] = 1;
	b[23] = 0;
	ck_assert_int_eq(parse_exact(b, 25, &pp), 0); /* 3 bytes: end */
	ck_assert_int_eq(parse_exact(b, 0, &pp), 0);
	ck_assert_int_eq(ioasid_virtio_iommu_probe_parse(NULL, 4, &pp), -EINVAL);
}
END_TEST

START_TEST(test_page_size_rules)
{
	struct ioasid_virtio_iommu *vi;
	uint8_t b[80];

	/* with the extension: a domain takes its first endpoint's sizes */
	ck_status(attach(1, EP2), S_OK);     /* 4K */
	ck_status(attach(1, EP0), S_OK);     /* 4K|2M|1G: more sizes, fine */
	ck_status(attach(2, EP1), S_OK);     /* 4K|2M|1G */
	ck_status(attach(2, EP2), S_UNSUPP); /* lacks 2M and 1G */
	ck_assert_errmsg_has(ctx, "lacks page sizes 0x40200000");
	/* the refused endpoint stayed where it was */
	{
		uint32_t d;

		ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_domain(vio, EP2, &d));
		ck_assert_uint_eq(d, 1);
	}
	/* a 2 MiB mapping in a 4K|2M|1G domain is fine, granule 4K */
	ck_status(map(2, 0x200000, 0x3fffff, RAM_GPA, F_RW), S_FAULT); /* RAM is 1 MiB */
	ck_status(map(2, 0x200000, 0x2fffff, RAM_GPA, F_RW), S_OK);
	/* without the extension every domain has the common mask: all join */
	vi = mk_virtio_iommu(IOASID_VIRTIO_IOMMU_EXT_PGSIZE_MASK, NO_EXT, 0);
	ck_status(req_on(vi, b, mk_attach(b, 2, EP1, 0)), S_OK);
	ck_status(req_on(vi, b, mk_attach(b, 2, EP2, 0)), S_OK);
	ioasid_virtio_iommu_free(vi);
}
END_TEST

/*
 * Split a request at every byte boundary of its readable part and of its
 * writable part (and into single bytes, with empty segments between): the
 * outcome must be that of the whole buffer.
 */
static uint8_t send_split(struct ioasid_virtio_iommu *vi, const uint8_t *rd, size_t rdlen,
			  size_t k_rd, uint8_t *wr, size_t wrlen, size_t k_wr)
{
	struct iovec r[2] = { { (void *)rd, k_rd }, { (void *)(rd + k_rd), rdlen - k_rd } };
	struct iovec w[3] = { { wr, k_wr }, { NULL, 0 }, { wr + k_wr, wrlen - k_wr } };
	size_t used;

	memset(wr, 0xaa, wrlen);
	ck_assert_ok(ctx, ioasid_virtio_iommu_request(vi, r, 2, w, 3, &used));
	ck_assert_uint_eq(used, wrlen);
	return wr[wrlen - 4];
}

static uint8_t send_bytes(struct ioasid_virtio_iommu *vi, const uint8_t *rd, size_t rdlen,
			  uint8_t *wr, size_t wrlen)
{
	struct iovec r[160], w[1100];
	unsigned int nr = 0, nw = 0;
	size_t used, i;

	for (i = 0; i < rdlen; i++) {
		r[nr++] = (struct iovec){ (void *)(rd + i), 1 };
		r[nr++] = (struct iovec){ NULL, 0 };
	}
	for (i = 0; i < wrlen; i++)
		w[nw++] = (struct iovec){ wr + i, 1 };
	memset(wr, 0xaa, wrlen);
	ck_assert_ok(ctx, ioasid_virtio_iommu_request(vi, r, nr, w, nw, &used));
	ck_assert_uint_eq(used, wrlen);
	return wr[wrlen - 4];
}

START_TEST(test_split_everywhere)
{
	uint8_t a[24], a2[24], d[24], m[40], u[32], p[76], wr[520], whole[520];
	size_t la, la2, ld, lm, lu, lp, k;

	la = mk_attach(a, 5, EP1, 0);
	la2 = mk_attach(a2, 6, EP1, 0);
	lm = mk_map(m, 5, 0x7000, 0x8fff, RAM_GPA + 2 * PG, F_RW);
	lu = mk_unmap(u, 5, 0x7000, 0x8fff);
	ld = mk_detach(d, 5, EP1);
	lp = mk_probe(p, EP1);
	for (k = 0; k <= la; k++) {
		ck_status(send_split(vio, a, la, k, wr, 4, k % 5), S_OK);
		ck_status(req(a2, la2), S_OK); /* move away; domain 5 dies */
	}
	ck_status(req(a, la), S_OK);
	for (k = 0; k <= lm; k++) {
		ck_status(send_split(vio, m, lm, k, wr, 4, k % 5), S_OK);
		ck_status(send_split(vio, m, lm, k, wr, 4, 0), S_INVAL); /* overlap */
		ck_status(send_split(vio, u, lu, k % (lu + 1), wr, 4, k % 5), S_OK);
	}
	for (k = 0; k <= ld; k++) {
		ck_status(send_split(vio, d, ld, k, wr, 4, k % 5), S_OK);
		ck_status(req(a, la), S_OK);
	}
	/* PROBE: the same properties whatever the split */
	ck_status(probe_on(vio, EP1, whole, 512), S_OK);
	for (k = 0; k <= lp; k++) {
		ck_status(send_split(vio, p, lp, k, wr, 516, (k * 7) % 517), S_OK);
		ck_assert_int_eq(memcmp(wr, whole, 516), 0);
	}
	for (k = 0; k <= 516; k++) {
		ck_status(send_split(vio, p, lp, 36, wr, 516, k), S_OK);
		ck_assert_int_eq(memcmp(wr, whole, 516), 0);
	}
	/* one byte per segment */
	ck_status(send_bytes(vio, m, lm, wr, 4), S_OK);
	ck_status(send_bytes(vio, u, lu, wr, 4), S_OK);
	ck_status(send_bytes(vio, p, lp, wr, 516), S_OK);
	ck_assert_int_eq(memcmp(wr, whole, 516), 0);
	/* cut short at every byte: IOERR, never a read past the end */
	for (k = 0; k < lm; k++)
		ck_status(send_split(vio, m, k, k / 2, wr, 4, 2), S_IOERR);
	for (k = 1; k < lp; k++)
		ck_status(send_split(vio, p, k, k / 2, wr, 516, 300), S_IOERR);
}
END_TEST

/* A VMM whose own host IOMMU is a virtio-iommu (nested virtualization). */
START_TEST(test_on_virtio_iommu_profile)
{
	struct ioasid_virtio_iommu_mem mem = { .gpa = RAM_GPA, .size = RAM_SIZE, .hva = ram };
	struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts),
					      .mem = &mem,
					      .nr_mem = 1 };
	struct ioasid_virtio_iommu_resv_mem r[2];
	struct ioasid_virtio_iommu_probe_props pp = { .resv = r, .max_resv = 2 };
	struct ioasid_ctx *c2;
	struct ioasid_virtio_iommu *vi;
	uint8_t img[40], out[516], b[80];
	uint32_t d;
	size_t used;

	ck_assert_ok(NULL, ioasid_ctx_open("sim:virtio-iommu", NULL, &c2));
	ioasid_ctx_set_pinned_limit(c2, UINT64_MAX);
	ck_assert_ok(c2, ioasid_dev_bind(c2, "sim0", &d));
	ck_assert_ok(c2, ioasid_virtio_iommu_new(c2, &o, &vi));
	ck_assert_ok(c2, ioasid_virtio_iommu_endpoint_add(vi, 3, d, NULL));
	ck_assert_ok(c2,
		     ioasid_virtio_iommu_set_driver_features(vi, ioasid_virtio_iommu_device_features(
									 vi)));
	ck_assert_ok(c2, ioasid_virtio_iommu_config_read(vi, 0, img, sizeof(img)));
	ck_assert_uint_eq(g64(img), 0x1000);
	ck_assert_uint_eq(g64(img + 16), (1ull << 48) - 1);
	memset(out, 0, sizeof(out));
	ck_assert_ok(c2, ioasid_virtio_iommu_request_buf(vi, b, mk_probe(b, 3), out, sizeof(out),
							 &used));
	ck_assert_uint_eq(out[512], S_OK);
	ck_assert_ok(c2, ioasid_virtio_iommu_probe_parse(out, 512, &pp));
	ck_assert_uint_eq(pp.nr_resv, 1);
	ck_assert_uint_eq(r[0].start, MSI_START);
	ck_assert_uint_eq(r[0].subtype, IOASID_VIRTIO_IOMMU_RESV_MEM_T_MSI);
	ck_assert_ok(c2,
		     ioasid_virtio_iommu_request_buf(vi, b, mk_attach(b, 1, 3, 0), out, 4, &used));
	ck_assert_uint_eq(out[0], S_OK);
	ck_assert_ok(c2,
		     ioasid_virtio_iommu_request_buf(vi, b, mk_map(b, 1, 0, 0xfff, RAM_GPA, F_RW),
						     out, 4, &used));
	ck_assert_uint_eq(out[0], S_OK);
	ioasid_virtio_iommu_free(vi);
	ioasid_ctx_close(c2);
}
END_TEST

Suite *virtio_iommu_probe_suite(void)
{
	Suite *s = suite_create("virtio_iommu_probe");
	TCase *tc = vio_tcase("virtio_iommu_probe");

	tcase_add_test(tc, test_probe);
	tcase_add_test(tc, test_probe_parser_rules);
	tcase_add_test(tc, test_page_size_rules);
	tcase_add_test(tc, test_split_everywhere);
	tcase_add_test(tc, test_on_virtio_iommu_profile);
	suite_add_tcase(s, tc);
	return s;
}
