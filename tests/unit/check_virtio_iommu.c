/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-iommu requests, tested on bytes: the config space and features,
 * ATTACH / MAP / UNMAP / DETACH with the DMA they allow, every status code
 * reached (and how errnos map to them), unknown types, short buffers and
 * the life of domains.
 */
#include <stdio.h>
#include <sys/mman.h>

#include <ioasid/virtio-iommu.h>

#include "helpers.h"
#include "suites.h"
#include "virtio-iommu-fixture.h"
#include "../fake-kernel/fk.h"

START_TEST(test_config_space)
{
	uint8_t img[40], b;
	struct ioasid_virtio_iommu_config c;
	struct ioasid_virtio_iommu *two;

	/* sim2 maps 4 KiB only: the common mask is 4 KiB */
	ck_assert_ok(ctx, ioasid_virtio_iommu_config_read(vio, 0, img, sizeof(img)));
	ck_assert_uint_eq(g64(img + 0), 0x1000);
	ck_assert_uint_eq(g64(img + 8), 0);
	ck_assert_uint_eq(g64(img + 16), (1ull << 48) - 1); /* vtd: 48-bit input */
	ck_assert_uint_eq(g32(img + 24), 0);
	ck_assert_uint_eq(g32(img + 28), UINT32_MAX);
	ck_assert_uint_eq(g32(img + 32), 512);
	ck_assert_uint_eq(img[36], 0);
	ck_assert_uint_eq(img[37] | img[38] | img[39], 0);
	ck_assert_ok(ctx, ioasid_virtio_iommu_config(vio, &c));
	ck_assert_uint_eq(c.page_size_mask, 0x1000);
	/* any byte range reads the same bytes */
	for (uint32_t off = 0; off < 40; off++) {
		ck_assert_ok(ctx, ioasid_virtio_iommu_config_read(vio, off, &b, 1));
		ck_assert_uint_eq(b, img[off]);
	}
	ck_assert_int_eq(ioasid_virtio_iommu_config_read(vio, 39, img, 2), -ERANGE);
	ck_assert_int_eq(ioasid_virtio_iommu_config_read(vio, 41, img, 0), -ERANGE);
	ck_assert_int_eq(ioasid_virtio_iommu_config_read(vio, UINT32_MAX, img, 2), -ERANGE);

	/* without sim2: what sim0 and sim1 share */
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_del(vio, EP2));
	ck_assert_ok(ctx, ioasid_virtio_iommu_config_read(vio, 0, img, 8));
	ck_assert_uint_eq(g64(img), 0x40201000);
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_add(vio, EP2, dev[2], NULL));
	ck_assert_ok(ctx, ioasid_virtio_iommu_config_read(vio, 0, img, 8));
	ck_assert_uint_eq(g64(img), 0x1000);

	/* the VMM's limits and a domain range */
	{
		struct ioasid_virtio_iommu_mem mem = { .gpa = RAM_GPA, .size = RAM_SIZE, .hva = ram };
		struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts), .mem = &mem, .nr_mem = 1,
			    .flags = IOASID_VIRTIO_IOMMU_INPUT_RANGE | IOASID_VIRTIO_IOMMU_DOMAIN_RANGE,
			    .input_start = 0x1000, .input_end = 0xffffffffull, .domain_start = 1,
			    .domain_end = 7, .page_size_mask = 0x201000, .probe_size = 64 };

		ck_assert_ok(ctx, ioasid_virtio_iommu_new(ctx, &o, &two));
		ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_add(two, 1, dev[0], NULL));
		ck_assert_ok(ctx, ioasid_virtio_iommu_config_read(two, 0, img, sizeof(img)));
		ck_assert_uint_eq(g64(img + 0), 0x201000);
		ck_assert_uint_eq(g64(img + 8), 0x1000);
		ck_assert_uint_eq(g64(img + 16), 0xffffffffull);
		ck_assert_uint_eq(g32(img + 24), 1);
		ck_assert_uint_eq(g32(img + 28), 7);
		ck_assert_uint_eq(g32(img + 32), 64);
		ioasid_virtio_iommu_free(two);
	}
}
END_TEST

START_TEST(test_features_and_bypass_write)
{
	uint64_t f = ioasid_virtio_iommu_device_features(vio);
	uint8_t one = 1, two = 2, img[40];

	ck_assert_uint_eq(f & 0x7f, 0x5f); /* INPUT, DOMAIN, MAP_UNMAP, BYPASS, PROBE, BYPASS_CONFIG */
	ck_assert_uint_ne(f & (1ull << 22), 0);
	ck_assert_uint_ne(f & (1ull << 23), 0);
	ck_assert_uint_eq(f & IOASID_VIRTIO_IOMMU_F_MMIO, 0);
	ck_assert_uint_eq(f >> 24, 0);
	/* transport bits are ignored, unoffered device bits refused */
	ck_assert_ok(ctx, ioasid_virtio_iommu_set_driver_features(vio, f | (1ull << 32)));
	ck_assert_int_eq(ioasid_virtio_iommu_set_driver_features(vio,
								 f | IOASID_VIRTIO_IOMMU_F_MMIO),
			 -EINVAL);
	ck_assert_errmsg_has(ctx, "did not offer");

	/* bypass: the only writable byte, only 0 or 1, only with BYPASS_CONFIG */
	ck_assert_int_eq(ioasid_virtio_iommu_config_write(vio, 0, &one, 1), -EPERM);
	ck_assert_int_eq(ioasid_virtio_iommu_config_write(vio, 32, &one, 1), -EPERM);
	ck_assert_int_eq(ioasid_virtio_iommu_config_write(vio, 40, &one, 1), -ERANGE);
	ck_assert_int_eq(ioasid_virtio_iommu_config_write(vio, 36, &two, 1), -EINVAL);
	ck_assert_ok(ctx, ioasid_virtio_iommu_config_write(vio, 36, &one, 1));
	ck_assert_ok(ctx, ioasid_virtio_iommu_config_read(vio, 36, img, 1));
	ck_assert_uint_eq(img[0], 1);
	ck_assert_ok(ctx,
		     ioasid_virtio_iommu_set_driver_features(vio,
							     f & ~IOASID_VIRTIO_IOMMU_F_BYPASS_CONFIG));
	ck_assert_int_eq(ioasid_virtio_iommu_config_write(vio, 36, &one, 1), -EPERM);
}
END_TEST

START_TEST(test_attach_map_dma_unmap)
{
	struct ioasid_mapping m;
	uint32_t ioas, d;
	char buf[64], back[64];
	size_t done;

	ck_status(attach(1, EP0), S_OK);
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_domain(vio, EP0, &d));
	ck_assert_uint_eq(d, 1);
	ioas = dom_ioas(1);
	ck_assert_uint_eq(ioasid_obj_kind(ctx, ioas), IOASID_OBJ_IOAS);
	ck_status(attach(1, EP0), S_OK); /* again: nothing changes */
	/* IOVA 0x10000..0x11fff -> guest page 4 and 5 */
	ck_status(map(1, 0x10000, 0x11fff, RAM_GPA + 4 * PG, F_RW), S_OK);
	ck_assert_ok(ctx, ioasid_ioas_lookup(ctx, ioas, 0x11000, &m));
	ck_assert_uint_eq(m.iova, 0x10000);
	ck_assert_uint_eq(m.length, 2 * PG);
	ck_assert_uint_eq(m.uva, (uintptr_t)(ram + 4 * PG));
	ck_assert_uint_eq(m.flags, IOASID_MAP_READ | IOASID_MAP_WRITE);
	/* the device's DMA lands in guest memory */
	memset(buf, 0x5a, sizeof(buf));
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev[0], IOASID_PASID_NONE, 0x10ff0, buf,
					       sizeof(buf), &done));
	ck_assert_int_eq(memcmp(ram + 4 * PG + 0xff0, buf, sizeof(buf)), 0);
	ck_assert_ok(ctx, ioasid_sim_dma_read(ctx, dev[0], IOASID_PASID_NONE, 0x10ff0, back,
					      sizeof(back), &done));
	ck_assert_int_eq(memcmp(back, buf, sizeof(buf)), 0);
	/* read-only mapping: writes fault (sim1: no PRI, so no page request) */
	ck_status(attach(1, EP1), S_OK);
	ck_status(map(1, 0x20000, 0x20fff, RAM_GPA, F_R), S_OK);
	ck_assert_int_eq(ioasid_sim_dma_write(ctx, dev[1], IOASID_PASID_NONE, 0x20000, buf, 4,
					      &done), -EACCES);
	ck_status(unmap(1, 0x10000, 0x11fff), S_OK);
	ck_assert_int_eq(ioasid_ioas_lookup(ctx, ioas, 0x10000, &m), -ENOENT);
	ck_assert_int_eq(ioasid_sim_dma_read(ctx, dev[1], IOASID_PASID_NONE, 0x10000, back, 4,
					     &done), -EFAULT);
}
END_TEST

/* Every status the default virtio-iommu (vio) can give, each reached. */
static void every_status_of_vio(void)
{
	struct ioasid_virtio_iommu_stats st;
	uint8_t b[80];

	/* OK */
	ck_status(attach(1, EP1), S_OK);
	ck_status(map(1, 0x1000, 0x1fff, RAM_GPA, F_RW), S_OK);
	/* IOERR: a MAP cut one byte short; a request without a full head */
	mk_map(b, 1, 0x3000, 0x3fff, RAM_GPA, F_RW);
	ck_status(req(b, 35), S_IOERR);
	ck_status(req(b, 3), S_IOERR);
	ck_status(req(b, 0), S_IOERR);
	/* UNSUPP: MMIO without F_MMIO, no permission, an incompatible endpoint */
	ck_status(map(1, 0x3000, 0x3fff, RAM_GPA, F_RW | IOASID_VIRTIO_IOMMU_MAP_F_MMIO), S_UNSUPP);
	ck_status(map(1, 0x3000, 0x3fff, RAM_GPA, 0), S_UNSUPP);
	/* INVAL: reserved bytes, unknown flags, overlap, a wrong DETACH */
	mk_attach(b, 1, EP0, 0);
	b[17] = 1;
	ck_status(req(b, 20), S_INVAL);
	mk_attach(b, 1, EP0, 0);
	b[2] = 1; /* head reserved */
	ck_status(req(b, 20), S_INVAL);
	mk_attach(b, 1, EP0, 0x10);
	ck_status(req(b, 20), S_INVAL);
	ck_status(map(1, 0x1000, 0x1fff, RAM_GPA + PG, F_RW), S_INVAL);
	ck_status(map(1, 0x3000, 0x3fff, RAM_GPA, 0x8), S_INVAL);
	ck_status(map(1, 0x3000, 0x2fff, RAM_GPA, F_RW), S_INVAL);
	ck_status(detach(1, EP0), S_INVAL);
	mk_unmap(b, 1, 0x1000, 0x1fff);
	b[27] = 1;
	ck_status(req(b, 28), S_INVAL);
	mk_detach(b, 1, EP1);
	b[19] = 1;
	ck_status(req(b, 20), S_INVAL);
	/* RANGE: misaligned, outside the input range, a split mapping */
	ck_status(map(1, 0x3800, 0x47ff, RAM_GPA, F_RW), S_RANGE);
	ck_status(map(1, 0x3000, 0x3fff, RAM_GPA + 0x800, F_RW), S_RANGE);
	ck_status(map(1, 0x3000, 0x3ffe, RAM_GPA, F_RW), S_RANGE);
	ck_status(map(1, 1ull << 48, (1ull << 48) + 0xfff, RAM_GPA, F_RW), S_RANGE);
	ck_status(unmap(1, 0x1000, 0x17ff), S_RANGE);
	ck_status(map(1, MSI_START, MSI_START + 0xfff, RAM_GPA, F_RW), S_RANGE); /* reserved */
	/* NOENT: unknown endpoint, unknown domain */
	ck_status(attach(1, 99), S_NOENT);
	ck_status(map(5, 0x3000, 0x3fff, RAM_GPA, F_RW), S_NOENT);
	ck_status(unmap(5, 0x3000, 0x3fff), S_NOENT);
	ck_status(detach(5, EP1), S_NOENT);
	ck_status(detach(1, 99), S_NOENT);
	/* FAULT: guest-physical address that is no guest memory */
	ck_status(map(1, 0x3000, 0x3fff, 0x1000, F_RW), S_FAULT);
	ck_status(map(1, 0x3000, 0x4fff, RAM_GPA + RAM_SIZE - PG, F_RW), S_FAULT);
	ck_status(map(1, 0x3000, 0x3fff, UINT64_MAX - 0xfff, F_RW), S_FAULT);
	ck_assert_ok(ctx, ioasid_virtio_iommu_stats(vio, &st));
	for (int s = 0; s <= S_NOMEM; s++)
		if (s != S_DEVERR && s != S_NOMEM)
			ck_assert_msg(st.status[s] > 0, "status %s never reached",
				      ioasid_virtio_iommu_status_name(s));
}

/* DEVERR: PROBE properties that do not fit probe_size */
static void status_deverr(void)
{
	struct ioasid_virtio_iommu *vi;
	uint8_t out[600];

	vi = mk_virtio_iommu(0, ALL_FEATURES, 16);
	ck_status(probe_on(vi, EP0, out, 16), S_DEVERR);
	ck_assert_errmsg_has(ctx, "needs 24 bytes");
	for (int i = 0; i < 16; i++)
		ck_assert_uint_eq(out[i], 0); /* no partial list */
	ioasid_virtio_iommu_free(vi);
}

/* NOMEM: the set's address-space quota is used up */
static void status_nomem(void)
{
	struct ioasid_set_opts so = { .sz = sizeof(struct ioasid_set_opts),
				      .max_ioas = 2 }; /* blocked + bypass */
	struct ioasid_virtio_iommu_mem mem = { .gpa = RAM_GPA, .size = RAM_SIZE, .hva = ram };
	struct ioasid_virtio_iommu *vi;
	uint8_t b[80];
	uint32_t small;

	ck_assert_ok(ctx, ioasid_set_alloc(ctx, &so, &small));
	{
		struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts),
						      .set = small,
						      .mem = &mem,
						      .nr_mem = 1 };

		ck_assert_ok(ctx, ioasid_virtio_iommu_new(ctx, &o, &vi));
	}
	ck_status(req_on(vi, b, mk_attach(b, 1, 77, 0)), S_NOENT);
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_add(vi, 77, dev[2], NULL));
	ck_status(req_on(vi, b, mk_attach(b, 1, 77, 0)), S_NOMEM);
	ck_assert_errmsg_has(ctx, "quota");
	ioasid_virtio_iommu_free(vi);
}

/* RANGE for a domain outside domain_range */
static void status_domain_outside_range(void)
{
	struct ioasid_virtio_iommu_mem mem = { .gpa = RAM_GPA, .size = RAM_SIZE, .hva = ram };
	struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts),
					      .mem = &mem,
					      .nr_mem = 1,
					      .flags = IOASID_VIRTIO_IOMMU_DOMAIN_RANGE,
					      .domain_start = 10,
					      .domain_end = 20 };
	struct ioasid_virtio_iommu *vi;
	uint8_t b[80];

	ck_assert_ok(ctx, ioasid_virtio_iommu_new(ctx, &o, &vi));
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_add(vi, 1, dev[2], NULL));
	ck_assert_ok(ctx,
		     ioasid_virtio_iommu_set_driver_features(vi, ioasid_virtio_iommu_device_features(
									 vi)));
	ck_status(req_on(vi, b, mk_attach(b, 9, 1, 0)), S_RANGE);
	ck_status(req_on(vi, b, mk_attach(b, 21, 1, 0)), S_RANGE);
	ck_status(req_on(vi, b, mk_map(b, 21, 0, 0xfff, RAM_GPA, F_RW)), S_RANGE);
	ck_status(req_on(vi, b, mk_unmap(b, 9, 0, 0xfff)), S_RANGE);
	ck_status(req_on(vi, b, mk_detach(b, 9, 1)), S_RANGE);
	ck_status(req_on(vi, b, mk_attach(b, 20, 1, 0)), S_OK);
	ck_status(req_on(vi, b, mk_attach(b, 10, 1, 0)), S_OK);
	ioasid_virtio_iommu_free(vi);
}

START_TEST(test_every_status)
{
	every_status_of_vio();
	/* the rest needs virtio_iommus of their own (they take the devices over) */
	status_deverr();
	status_nomem();
	status_domain_outside_range();
}
END_TEST

START_TEST(test_unsupp_before_negotiation)
{
	struct ioasid_virtio_iommu *vi = mk_virtio_iommu(0, 0, 0);
	uint8_t b[80], out[600];

	ck_status(req_on(vi, b, mk_attach(b, 1, EP0, 0)), S_OK);
	ck_status(req_on(vi, b, mk_map(b, 1, 0, 0xfff, RAM_GPA, F_RW)), S_UNSUPP);
	ck_status(req_on(vi, b, mk_unmap(b, 1, 0, 0xfff)), S_UNSUPP);
	ck_status(probe_on(vi, EP0, out, 512), S_UNSUPP);
	ioasid_virtio_iommu_free(vi);
}
END_TEST

START_TEST(test_unknown_type_and_short_buffers)
{
	struct ioasid_virtio_iommu_stats st;
	uint8_t b[80], out[8];
	size_t used = 7;
	struct ioasid_virtio_iommu *vi;

	memset(out, 0xaa, sizeof(out));
	memset(b, 0, sizeof(b));
	b[0] = 0x42;
	ck_assert_int_eq(ioasid_virtio_iommu_request_buf(vio, b, 20, out, sizeof(out), &used),
			 -EOPNOTSUPP);
	ck_assert_uint_eq(used, 0);
	for (size_t i = 0; i < sizeof(out); i++)
		ck_assert_uint_eq(out[i], 0xaa);
	b[0] = 0; /* type 0 is not a request either */
	ck_assert_int_eq(ioasid_virtio_iommu_request_buf(vio, b, 20, out, sizeof(out), &used),
			 -EOPNOTSUPP);
	/* one byte of head is enough to know the type is unknown */
	b[0] = 0x99;
	ck_assert_int_eq(ioasid_virtio_iommu_request_buf(vio, b, 1, out, sizeof(out), &used),
			 -EOPNOTSUPP);
	ck_assert_ok(ctx, ioasid_virtio_iommu_stats(vio, &st));
	ck_assert_uint_eq(st.unknown, 3);
	/* PAGE_RESP is unknown without the fault extension */
	vi = mk_virtio_iommu(IOASID_VIRTIO_IOMMU_EXT_FAULT, NO_EXT, 0);
	ck_assert_int_eq(ioasid_virtio_iommu_request_buf(vi, b, mk_page_resp(b, EP0, 0, 0, 1, 0), out,
						   sizeof(out), &used), -EOPNOTSUPP);
	ioasid_virtio_iommu_free(vi);
	/* a writable part that cannot hold the tail: nothing written */
	memset(out, 0xaa, sizeof(out));
	ck_assert_int_eq(ioasid_virtio_iommu_request_buf(vio, b, mk_attach(b, 1, EP0, 0), out, 3,
							 &used),
			 -EMSGSIZE);
	ck_assert_uint_eq(used, 0);
	ck_assert_uint_eq(out[0], 0xaa);
	ck_assert_int_eq(ioasid_virtio_iommu_endpoint_domain(vio, EP0, &(uint32_t){ 0 }), -ENOENT);
	ck_assert_int_eq(ioasid_virtio_iommu_request_buf(vio, b, mk_probe(b, EP0), out, sizeof(out),
							 &used),
			 -EMSGSIZE);
	ck_assert_errmsg_has(ctx, "tail goes at byte 512");
	/* NULL arguments */
	ck_assert_int_eq(ioasid_virtio_iommu_request(vio, NULL, 1, NULL, 0, &used), -EINVAL);
	ck_assert_int_eq(ioasid_virtio_iommu_request(NULL, NULL, 0, NULL, 0, &used), -EINVAL);
}
END_TEST

START_TEST(test_attach_moves_and_domains_die)
{
	uint32_t ioas1, ioas2, d;
	struct ioasid_mapping m;

	ck_status(attach(1, EP0), S_OK);
	ck_status(attach(1, EP1), S_OK);
	ioas1 = dom_ioas(1);
	ck_status(map(1, 0x4000, 0x4fff, RAM_GPA, F_RW), S_OK);
	/* EP0 moves to domain 2: domain 1 lives on with EP1 */
	ck_status(attach(2, EP0), S_OK);
	ioas2 = dom_ioas(2);
	ck_assert_uint_ne(ioas1, ioas2);
	ck_assert_ok(ctx, ioasid_dev_attached(ctx, dev[0], IOASID_PASID_NONE, &d));
	ck_assert_uint_eq(d, ioas2);
	ck_assert_ok(ctx, ioasid_ioas_lookup(ctx, ioas1, 0x4000, &m));
	/* EP1 moves too: domain 1 goes with its last endpoint, and its mappings */
	ck_status(attach(2, EP1), S_OK);
	ck_assert_int_eq(ioasid_virtio_iommu_domain_ioas(vio, 1, &d), -ENOENT);
	ck_assert_uint_eq(ioasid_obj_kind(ctx, ioas1), IOASID_OBJ_NONE);
	ck_status(map(1, 0x4000, 0x4fff, RAM_GPA, F_RW), S_NOENT);
	/* DETACH both: domain 2 dies, the devices are blocked (empty IOAS) */
	ck_status(detach(2, EP0), S_OK);
	ck_status(detach(2, EP0), S_INVAL); /* not attached any more */
	ck_status(detach(2, EP1), S_OK);
	ck_assert_int_eq(ioasid_virtio_iommu_domain_ioas(vio, 2, &d), -ENOENT);
	ck_assert_uint_eq(ioasid_obj_kind(ctx, ioas2), IOASID_OBJ_NONE);
	ck_assert_ok(ctx, ioasid_dev_attached(ctx, dev[0], IOASID_PASID_NONE, &d));
	ck_assert_uint_ne(d, ioas2);
	ck_assert_int_eq(ioasid_virtio_iommu_endpoint_domain(vio, EP0, &d), -ENOENT);
	/* domain 0 is a domain like any other */
	ck_status(attach(0, EP2), S_OK);
	ck_status(map(0, 0, 0xfff, RAM_GPA, F_RW), S_OK);
	ck_status(unmap(0, 0, UINT64_MAX), S_OK);
}
END_TEST

START_TEST(test_unmap_semantics)
{
	uint32_t ioas;
	struct ioasid_mapping m;

	ck_status(attach(3, EP2), S_OK);
	ioas = dom_ioas(3);
	ck_status(map(3, 0x10000, 0x11fff, RAM_GPA, F_RW), S_OK);
	ck_status(map(3, 0x20000, 0x20fff, RAM_GPA + 8 * PG, F_RW), S_OK);
	/* a range that would split a mapping: RANGE, nothing removed */
	ck_status(unmap(3, 0x11000, 0x30000), S_RANGE);
	ck_status(unmap(3, 0x0, 0x10fff), S_RANGE);
	ck_assert_ok(ctx, ioasid_ioas_lookup(ctx, ioas, 0x10000, &m));
	ck_assert_ok(ctx, ioasid_ioas_lookup(ctx, ioas, 0x20000, &m));
	/* nothing mapped there: OK; gaps are fine */
	ck_status(unmap(3, 0x40000, 0x4ffff), S_OK);
	ck_status(unmap(3, 0x0, 0x1ffff), S_OK);
	ck_assert_int_eq(ioasid_ioas_lookup(ctx, ioas, 0x10000, &m), -ENOENT);
	ck_assert_ok(ctx, ioasid_ioas_lookup(ctx, ioas, 0x20000, &m));
	/* the ranges of length 2^64 - 1 and 2^64 */
	ck_status(map(3, 0x0, 0xfff, RAM_GPA, F_RW), S_OK);
	ck_status(unmap(3, 1, UINT64_MAX), S_RANGE); /* splits [0, 0xfff] */
	ck_status(unmap(3, 0, UINT64_MAX - 1), S_OK);
	ck_assert_int_eq(ioasid_ioas_lookup(ctx, ioas, 0x20000, &m), -ENOENT);
	ck_status(map(3, 0x20000, 0x20fff, RAM_GPA, F_RW), S_OK);
	ck_status(unmap(3, 1, UINT64_MAX), S_OK);
	ck_status(map(3, 0x0, 0xfff, RAM_GPA, F_RW), S_OK);
	ck_status(unmap(3, 0, UINT64_MAX), S_OK);
	ck_status(unmap(3, 0, UINT64_MAX), S_OK); /* empty */
	/* the last byte of the space: a gap like any other (issue 17) */
	ck_status(unmap(3, UINT64_MAX, UINT64_MAX), S_OK);
	ck_status(unmap(3, UINT64_MAX - 0xfff, UINT64_MAX), S_OK);
	ck_status(map(3, 0x0, 0xfff, RAM_GPA, F_RW), S_OK);
	ck_status(unmap(3, UINT64_MAX, UINT64_MAX), S_OK);
	ck_assert_ok(ctx, ioasid_ioas_lookup(ctx, ioas, 0x0, &m));
	/* MAP of the whole 64-bit space cannot be a mapping */
	ck_status(map(3, 0, UINT64_MAX, RAM_GPA, F_RW), S_RANGE);
}
END_TEST

START_TEST(test_status_table)
{
	static const struct {
		int err;
		uint8_t status;
	} t[] = {
		{ 0, S_OK },		{ -EINVAL, S_INVAL },	 { -EEXIST, S_INVAL },
		{ -EOPNOTSUPP, S_UNSUPP }, { -EADDRINUSE, S_UNSUPP }, { -ENOENT, S_NOENT },
		{ -ENODEV, S_NOENT },	{ -ERANGE, S_RANGE },	 { -EOVERFLOW, S_RANGE },
		{ -EFAULT, S_FAULT },	{ -EACCES, S_FAULT },	 { -ENOMEM, S_NOMEM },
		{ -ENOSPC, S_NOMEM },	{ -EDQUOT, S_NOMEM },	 { -EBADMSG, S_IOERR },
		{ -EBUSY, S_DEVERR },	{ -EIO, S_DEVERR },	 { -EPERM, S_DEVERR },
		{ ENOMEM, S_NOMEM },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_uint_eq(ioasid_virtio_iommu_status_from_errno(t[i].err), t[i].status);
	ck_assert_str_eq(ioasid_virtio_iommu_status_name(S_NOMEM), "NOMEM");
	ck_assert_str_eq(ioasid_virtio_iommu_status_name(S_OK), "OK");
	ck_assert_ptr_null(ioasid_virtio_iommu_status_name(9));
}
END_TEST

/*
 * A domain's IOAS that the kernel refuses to destroy is not forgotten: it
 * is destroyed again before the next domain's IOAS is made, so that it
 * cannot hold the set's quota for good (issue 17).
 */
START_TEST(test_refused_domain_ioas_reaped)
{
	struct ioasid_set_opts so = { .sz = sizeof(struct ioasid_set_opts), .max_ioas = 3 };
	struct ioasid_virtio_iommu_mem mem = { .gpa = RAM_GPA, .size = RAM_SIZE, .hva = ram };
	struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts),
					      .mem = &mem,
					      .nr_mem = 1 };
	struct ioasid_virtio_iommu *vi;
	uint32_t d, s, ioas1, ioas2, i, n;
	struct ioasid_ctx *c;
	uint8_t b[64];
	struct fk k;

	fk_sysfs();
	fk_init(&k);
	c = fk_ctx(&k);
	ck_assert_ok(c, ioasid_dev_bind_fd(c, fk_open_dev(&k, 0), &d));
	ck_assert_ok(c, ioasid_set_alloc(c, &so, &s));
	o.set = s;
	ck_assert_ok(c, ioasid_virtio_iommu_new(c, &o, &vi));
	ck_assert_ok(c, ioasid_virtio_iommu_endpoint_add(vi, EP0, d, NULL));
	ck_assert_ok(c, ioasid_virtio_iommu_set_driver_features(vi,
								ioasid_virtio_iommu_device_features(
									vi)));
	ck_assert_uint_eq(req_on(vi, b, mk_attach(b, 1, EP0, 0)), S_OK);
	ck_assert_ok(c, ioasid_virtio_iommu_domain_ioas(vi, 1, &ioas1));
	/*
	 * The domain dies with its last endpoint; the kernel keeps its HWPT
	 * (one with the fault queue, which the library allocated) and so its
	 * IOAS: the HWPT's destroy is refused, and again with the IOAS's.
	 */
	fk_refuse(&k.inj, "DESTROY", 2);
	ck_assert_uint_eq(req_on(vi, b, mk_detach(b, 1, EP0)), S_OK);
	ck_assert_int_eq(ioasid_obj_kind(c, ioas1), IOASID_OBJ_IOAS);
	/* the next domain needs the quota the stale IOAS holds: it goes first */
	ck_assert_uint_eq(req_on(vi, b, mk_attach(b, 2, EP0, 0)), S_OK);
	ck_assert_ok(c, ioasid_virtio_iommu_domain_ioas(vi, 2, &ioas2));
	/* blocked, bypass and domain 2's: the kernel holds no other */
	for (i = 1, n = 0; i < FK_MAX_OBJ; i++)
		n += k.obj[i].kind == FK_IOAS;
	ck_assert_uint_eq(n, 3);
	ioasid_virtio_iommu_free(vi);
	ioasid_ctx_close(c);
	fk_release(&k);
	fk_sysfs_rm();
}
END_TEST

Suite *virtio_iommu_suite(void)
{
	Suite *s = suite_create("virtio_iommu");
	TCase *tc = vio_tcase("virtio_iommu");

	tcase_add_test(tc, test_config_space);
	tcase_add_test(tc, test_features_and_bypass_write);
	tcase_add_test(tc, test_attach_map_dma_unmap);
	tcase_add_test(tc, test_every_status);
	tcase_add_test(tc, test_unsupp_before_negotiation);
	tcase_add_test(tc, test_unknown_type_and_short_buffers);
	tcase_add_test(tc, test_attach_moves_and_domains_die);
	tcase_add_test(tc, test_unmap_semantics);
	tcase_add_test(tc, test_status_table);
	tcase_add_test(tc, test_refused_domain_ioas_reaped);
	suite_add_tcase(s, tc);
	return s;
}
