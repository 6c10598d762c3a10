/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-iommu back-end, tested on bytes: every request is built byte for
 * byte from the layouts of kernel-uapi.md §3 with explicit little-endian
 * stores (so the tests mean the same on any host), every status code is
 * reached, requests are split at every byte boundary, fault records of
 * both formats and page responses go through the sim's DMA engine.
 */
#include <stdio.h>
#include <sys/mman.h>

#include <ioasid/virtio-iommu.h>

#include "helpers.h"
#include "suites.h"

#include "virtio-iommu/private.h"

Suite *virtio_iommu_suite(void);

#define PG 4096ull
#define RAM_GPA 0x80000000ull
#define RAM_PAGES 256u
#define RAM_SIZE (RAM_PAGES * PG)
#define MSI_START 0xfee00000ull
#define MSI_END 0xfeefffffull

#define EP0 8  /* sim0: 4K|2M|1G, PRI */
#define EP1 16 /* sim1: 4K|2M|1G, no PRI */
#define EP2 24 /* sim2: 4K only */

#define T_ATTACH IOASID_VIRTIO_IOMMU_T_ATTACH
#define T_DETACH IOASID_VIRTIO_IOMMU_T_DETACH
#define T_MAP IOASID_VIRTIO_IOMMU_T_MAP
#define T_UNMAP IOASID_VIRTIO_IOMMU_T_UNMAP
#define T_PROBE IOASID_VIRTIO_IOMMU_T_PROBE
#define T_PAGE_RESP IOASID_VIRTIO_IOMMU_T_PAGE_RESP

#define S_OK IOASID_VIRTIO_IOMMU_S_OK
#define S_IOERR IOASID_VIRTIO_IOMMU_S_IOERR
#define S_UNSUPP IOASID_VIRTIO_IOMMU_S_UNSUPP
#define S_DEVERR IOASID_VIRTIO_IOMMU_S_DEVERR
#define S_INVAL IOASID_VIRTIO_IOMMU_S_INVAL
#define S_RANGE IOASID_VIRTIO_IOMMU_S_RANGE
#define S_NOENT IOASID_VIRTIO_IOMMU_S_NOENT
#define S_FAULT IOASID_VIRTIO_IOMMU_S_FAULT
#define S_NOMEM IOASID_VIRTIO_IOMMU_S_NOMEM

#define F_R 1u
#define F_W 2u
#define F_RW 3u

#define ALL_FEATURES UINT64_MAX
#define NO_EXT (~(IOASID_VIRTIO_IOMMU_F_PROBE_PGSIZE | IOASID_VIRTIO_IOMMU_F_FAULT_EXT))

static struct ioasid_ctx *ctx;
static uint32_t dev[3], set;
static uint8_t *ram;
static struct ioasid_virtio_iommu *v;

/* ---- little-endian stores and loads written out, independent of the library ---- */

static void p16(uint8_t *p, uint16_t x)
{
	p[0] = x & 0xff;
	p[1] = x >> 8;
}

static void p32(uint8_t *p, uint32_t x)
{
	p16(p, x & 0xffff);
	p16(p + 2, x >> 16);
}

static void p64(uint8_t *p, uint64_t x)
{
	p32(p, (uint32_t)x);
	p32(p + 4, (uint32_t)(x >> 32));
}

static uint16_t g16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t g32(const uint8_t *p)
{
	return g16(p) | (uint32_t)g16(p + 2) << 16;
}

static uint64_t g64(const uint8_t *p)
{
	return g32(p) | (uint64_t)g32(p + 4) << 32;
}

/* ---- request builders: return the device-readable length ---- */

static size_t mk_attach(uint8_t *b, uint32_t domain, uint32_t ep, uint32_t flags)
{
	memset(b, 0, 24);
	b[0] = T_ATTACH;
	p32(b + 4, domain);
	p32(b + 8, ep);
	p32(b + 12, flags);
	return 20;
}

static size_t mk_detach(uint8_t *b, uint32_t domain, uint32_t ep)
{
	memset(b, 0, 24);
	b[0] = T_DETACH;
	p32(b + 4, domain);
	p32(b + 8, ep);
	return 20;
}

static size_t mk_map(uint8_t *b, uint32_t domain, uint64_t vstart, uint64_t vend,
		     uint64_t phys, uint32_t flags)
{
	memset(b, 0, 40);
	b[0] = T_MAP;
	p32(b + 4, domain);
	p64(b + 8, vstart);
	p64(b + 16, vend);
	p64(b + 24, phys);
	p32(b + 32, flags);
	return 36;
}

static size_t mk_unmap(uint8_t *b, uint32_t domain, uint64_t vstart, uint64_t vend)
{
	memset(b, 0, 32);
	b[0] = T_UNMAP;
	p32(b + 4, domain);
	p64(b + 8, vstart);
	p64(b + 16, vend);
	return 28;
}

static size_t mk_probe(uint8_t *b, uint32_t ep)
{
	memset(b, 0, 72);
	b[0] = T_PROBE;
	p32(b + 4, ep);
	return 72;
}

static size_t mk_page_resp(uint8_t *b, uint32_t ep, uint32_t pasid, uint32_t flags,
			   uint16_t grpid, uint16_t code)
{
	memset(b, 0, 28);
	b[0] = T_PAGE_RESP;
	p32(b + 4, ep);
	p32(b + 8, pasid);
	p32(b + 12, flags);
	p16(b + 16, grpid);
	p16(b + 18, code);
	return 24;
}

/* Send a non-PROBE request as one buffer; the status byte. */
static uint8_t req_on(struct ioasid_virtio_iommu *vi, const uint8_t *rd, size_t len)
{
	uint8_t tail[4] = { 0xee, 0xee, 0xee, 0xee };
	size_t used = 99;

	ck_assert_ok(ctx, ioasid_virtio_iommu_request_buf(vi, rd, len, tail, sizeof(tail), &used));
	ck_assert_uint_eq(used, 4);
	ck_assert_msg(tail[1] == 0 && tail[2] == 0 && tail[3] == 0, "tail reserved bytes");
	ck_assert_msg(tail[0] <= S_NOMEM, "status %u", tail[0]);
	return tail[0];
}

static uint8_t req(const uint8_t *rd, size_t len)
{
	return req_on(v, rd, len);
}

#define ck_status(expr, want)                                                          \
	do {                                                                           \
		uint8_t __s = (expr);                                                  \
		ck_assert_msg(__s == (want), "%s: status %s, wanted %s (%s)", #expr,   \
			      ioasid_virtio_iommu_status_name(__s),                          \
			      ioasid_virtio_iommu_status_name(want), ioasid_ctx_errmsg(ctx)); \
	} while (0)

static uint8_t attach(uint32_t domain, uint32_t ep)
{
	uint8_t b[24];

	return req(b, mk_attach(b, domain, ep, 0));
}

static uint8_t detach(uint32_t domain, uint32_t ep)
{
	uint8_t b[24];

	return req(b, mk_detach(b, domain, ep));
}

static uint8_t map(uint32_t domain, uint64_t vstart, uint64_t vend, uint64_t phys, uint32_t flags)
{
	uint8_t b[80];

	return req(b, mk_map(b, domain, vstart, vend, phys, flags));
}

static uint8_t unmap(uint32_t domain, uint64_t vstart, uint64_t vend)
{
	uint8_t b[32];

	return req(b, mk_unmap(b, domain, vstart, vend));
}

/* PROBE into @out (probe_size + 4 bytes); the status byte at the tail. */
static uint8_t probe_on(struct ioasid_virtio_iommu *vi, uint32_t ep, uint8_t *out, size_t probe_size)
{
	uint8_t b[76];
	size_t used = 0;

	memset(out, 0xaa, probe_size + 4);
	ck_assert_ok(ctx, ioasid_virtio_iommu_request_buf(vi, b, mk_probe(b, ep), out, probe_size + 4,
						    &used));
	ck_assert_uint_eq(used, probe_size + 4);
	return out[probe_size];
}

/* ---- fixture ---- */

static struct ioasid_virtio_iommu *mk_virtio_iommu(uint32_t flags, uint64_t features, uint32_t probe_size)
{
	struct ioasid_virtio_iommu_mem mem = { .gpa = RAM_GPA, .size = RAM_SIZE, .hva = ram };
	struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts), .flags = flags, .set = set, .mem = &mem, .nr_mem = 1,
		    .probe_size = probe_size };
	struct ioasid_virtio_iommu *vi;

	ck_assert_ok(ctx, ioasid_virtio_iommu_new(ctx, &o, &vi));
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_add(vi, EP0, dev[0], NULL));
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_add(vi, EP1, dev[1], NULL));
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_add(vi, EP2, dev[2], NULL));
	if (features)
		ck_assert_ok(ctx, ioasid_virtio_iommu_set_driver_features(
					  vi, ioasid_virtio_iommu_device_features(vi) & features));
	return vi;
}

static void setup(void)
{
	struct ioasid_set_opts so = { .sz = sizeof(struct ioasid_set_opts), .max_ioas = 16 };

	ctx = test_sim_ctx();
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev[0]));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim1", &dev[1]));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim2", &dev[2]));
	ck_assert_ok(ctx, ioasid_set_alloc(ctx, &so, &set));
	ram = test_mem(RAM_SIZE);
	v = mk_virtio_iommu(IOASID_VIRTIO_IOMMU_EXT_PGSIZE_MASK | IOASID_VIRTIO_IOMMU_EXT_FAULT, ALL_FEATURES, 0);
}

static void teardown(void)
{
	ioasid_virtio_iommu_free(v);
	v = NULL;
	ioasid_ctx_close(ctx);
	munmap(ram, RAM_SIZE);
}

static uint32_t dom_ioas(uint32_t domain)
{
	uint32_t ioas = 0;

	ck_assert_ok(ctx, ioasid_virtio_iommu_domain_ioas(v, domain, &ioas));
	return ioas;
}

/* ---- tests ---- */

START_TEST(test_config_space)
{
	uint8_t img[40], b;
	struct ioasid_virtio_iommu_config c;
	struct ioasid_virtio_iommu *two;

	/* sim2 maps 4 KiB only: the common mask is 4 KiB */
	ck_assert_ok(ctx, ioasid_virtio_iommu_config_read(v, 0, img, sizeof(img)));
	ck_assert_uint_eq(g64(img + 0), 0x1000);
	ck_assert_uint_eq(g64(img + 8), 0);
	ck_assert_uint_eq(g64(img + 16), (1ull << 48) - 1); /* vtd: 48-bit input */
	ck_assert_uint_eq(g32(img + 24), 0);
	ck_assert_uint_eq(g32(img + 28), UINT32_MAX);
	ck_assert_uint_eq(g32(img + 32), 512);
	ck_assert_uint_eq(img[36], 0);
	ck_assert_uint_eq(img[37] | img[38] | img[39], 0);
	ck_assert_ok(ctx, ioasid_virtio_iommu_config(v, &c));
	ck_assert_uint_eq(c.page_size_mask, 0x1000);
	/* any byte range reads the same bytes */
	for (uint32_t off = 0; off < 40; off++) {
		ck_assert_ok(ctx, ioasid_virtio_iommu_config_read(v, off, &b, 1));
		ck_assert_uint_eq(b, img[off]);
	}
	ck_assert_int_eq(ioasid_virtio_iommu_config_read(v, 39, img, 2), -ERANGE);
	ck_assert_int_eq(ioasid_virtio_iommu_config_read(v, 41, img, 0), -ERANGE);
	ck_assert_int_eq(ioasid_virtio_iommu_config_read(v, UINT32_MAX, img, 2), -ERANGE);

	/* without sim2: what sim0 and sim1 share */
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_del(v, EP2));
	ck_assert_ok(ctx, ioasid_virtio_iommu_config_read(v, 0, img, 8));
	ck_assert_uint_eq(g64(img), 0x40201000);
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_add(v, EP2, dev[2], NULL));
	ck_assert_ok(ctx, ioasid_virtio_iommu_config_read(v, 0, img, 8));
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
	uint64_t f = ioasid_virtio_iommu_device_features(v);
	uint8_t one = 1, two = 2, img[40];

	ck_assert_uint_eq(f & 0x7f, 0x5f); /* INPUT, DOMAIN, MAP_UNMAP, BYPASS, PROBE, BYPASS_CONFIG */
	ck_assert_uint_ne(f & (1ull << 22), 0);
	ck_assert_uint_ne(f & (1ull << 23), 0);
	ck_assert_uint_eq(f & IOASID_VIRTIO_IOMMU_F_MMIO, 0);
	ck_assert_uint_eq(f >> 24, 0);
	/* transport bits are ignored, unoffered device bits refused */
	ck_assert_ok(ctx, ioasid_virtio_iommu_set_driver_features(v, f | (1ull << 32)));
	ck_assert_int_eq(ioasid_virtio_iommu_set_driver_features(v, f | IOASID_VIRTIO_IOMMU_F_MMIO),
			 -EINVAL);
	ck_assert_errmsg_has(ctx, "did not offer");

	/* bypass: the only writable byte, only 0 or 1, only with BYPASS_CONFIG */
	ck_assert_int_eq(ioasid_virtio_iommu_config_write(v, 0, &one, 1), -EPERM);
	ck_assert_int_eq(ioasid_virtio_iommu_config_write(v, 32, &one, 1), -EPERM);
	ck_assert_int_eq(ioasid_virtio_iommu_config_write(v, 40, &one, 1), -ERANGE);
	ck_assert_int_eq(ioasid_virtio_iommu_config_write(v, 36, &two, 1), -EINVAL);
	ck_assert_ok(ctx, ioasid_virtio_iommu_config_write(v, 36, &one, 1));
	ck_assert_ok(ctx, ioasid_virtio_iommu_config_read(v, 36, img, 1));
	ck_assert_uint_eq(img[0], 1);
	ck_assert_ok(ctx, ioasid_virtio_iommu_set_driver_features(v, f & ~IOASID_VIRTIO_IOMMU_F_BYPASS_CONFIG));
	ck_assert_int_eq(ioasid_virtio_iommu_config_write(v, 36, &one, 1), -EPERM);
}
END_TEST

START_TEST(test_attach_map_dma_unmap)
{
	struct ioasid_mapping m;
	uint32_t ioas, d;
	char buf[64], back[64];
	size_t done;

	ck_status(attach(1, EP0), S_OK);
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_domain(v, EP0, &d));
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

START_TEST(test_every_status)
{
	struct ioasid_virtio_iommu_stats st;
	uint8_t b[80], out[600];
	struct ioasid_virtio_iommu *vi;

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
	ck_assert_ok(ctx, ioasid_virtio_iommu_stats(v, &st));
	for (int s = 0; s <= S_NOMEM; s++)
		if (s != S_DEVERR && s != S_NOMEM)
			ck_assert_msg(st.status[s] > 0, "status %s never reached",
				      ioasid_virtio_iommu_status_name(s));
	/* the rest needs virtio_iommus of their own (they take the devices over) */
	/* DEVERR: PROBE properties that do not fit probe_size */
	vi = mk_virtio_iommu(0, ALL_FEATURES, 16);
	ck_status(probe_on(vi, EP0, out, 16), S_DEVERR);
	ck_assert_errmsg_has(ctx, "needs 24 bytes");
	for (int i = 0; i < 16; i++)
		ck_assert_uint_eq(out[i], 0); /* no partial list */
	ioasid_virtio_iommu_free(vi);
	/* NOMEM: the set's address-space quota is used up */
	{
		struct ioasid_set_opts so = { .sz = sizeof(struct ioasid_set_opts), .max_ioas = 2 }; /* blocked + bypass */
		struct ioasid_virtio_iommu_mem mem = { .gpa = RAM_GPA, .size = RAM_SIZE, .hva = ram };
		uint32_t small;

		ck_assert_ok(ctx, ioasid_set_alloc(ctx, &so, &small));
		{
			struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts), .set = small, .mem = &mem, .nr_mem = 1 };

			ck_assert_ok(ctx, ioasid_virtio_iommu_new(ctx, &o, &vi));
		}
		ck_status(req_on(vi, b, mk_attach(b, 1, 77, 0)), S_NOENT);
		ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_add(vi, 77, dev[2], NULL));
		ck_status(req_on(vi, b, mk_attach(b, 1, 77, 0)), S_NOMEM);
		ck_assert_errmsg_has(ctx, "quota");
		ioasid_virtio_iommu_free(vi);
	}
	/* RANGE for a domain outside domain_range */
	{
		struct ioasid_virtio_iommu_mem mem = { .gpa = RAM_GPA, .size = RAM_SIZE, .hva = ram };
		struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts), .mem = &mem, .nr_mem = 1,
			    .flags = IOASID_VIRTIO_IOMMU_DOMAIN_RANGE, .domain_start = 10,
			    .domain_end = 20 };

		ck_assert_ok(ctx, ioasid_virtio_iommu_new(ctx, &o, &vi));
		ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_add(vi, 1, dev[2], NULL));
		ck_assert_ok(ctx, ioasid_virtio_iommu_set_driver_features(
					  vi, ioasid_virtio_iommu_device_features(vi)));
		ck_status(req_on(vi, b, mk_attach(b, 9, 1, 0)), S_RANGE);
		ck_status(req_on(vi, b, mk_attach(b, 21, 1, 0)), S_RANGE);
		ck_status(req_on(vi, b, mk_map(b, 21, 0, 0xfff, RAM_GPA, F_RW)), S_RANGE);
		ck_status(req_on(vi, b, mk_unmap(b, 9, 0, 0xfff)), S_RANGE);
		ck_status(req_on(vi, b, mk_detach(b, 9, 1)), S_RANGE);
		ck_status(req_on(vi, b, mk_attach(b, 20, 1, 0)), S_OK);
		ck_status(req_on(vi, b, mk_attach(b, 10, 1, 0)), S_OK);
		ioasid_virtio_iommu_free(vi);
	}
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
	ck_assert_int_eq(ioasid_virtio_iommu_request_buf(v, b, 20, out, sizeof(out), &used), -EOPNOTSUPP);
	ck_assert_uint_eq(used, 0);
	for (size_t i = 0; i < sizeof(out); i++)
		ck_assert_uint_eq(out[i], 0xaa);
	b[0] = 0; /* type 0 is not a request either */
	ck_assert_int_eq(ioasid_virtio_iommu_request_buf(v, b, 20, out, sizeof(out), &used), -EOPNOTSUPP);
	/* one byte of head is enough to know the type is unknown */
	b[0] = 0x99;
	ck_assert_int_eq(ioasid_virtio_iommu_request_buf(v, b, 1, out, sizeof(out), &used), -EOPNOTSUPP);
	ck_assert_ok(ctx, ioasid_virtio_iommu_stats(v, &st));
	ck_assert_uint_eq(st.unknown, 3);
	/* PAGE_RESP is unknown without the fault extension */
	vi = mk_virtio_iommu(IOASID_VIRTIO_IOMMU_EXT_FAULT, NO_EXT, 0);
	ck_assert_int_eq(ioasid_virtio_iommu_request_buf(vi, b, mk_page_resp(b, EP0, 0, 0, 1, 0), out,
						   sizeof(out), &used), -EOPNOTSUPP);
	ioasid_virtio_iommu_free(vi);
	/* a writable part that cannot hold the tail: nothing written */
	memset(out, 0xaa, sizeof(out));
	ck_assert_int_eq(ioasid_virtio_iommu_request_buf(v, b, mk_attach(b, 1, EP0, 0), out, 3, &used),
			 -EMSGSIZE);
	ck_assert_uint_eq(used, 0);
	ck_assert_uint_eq(out[0], 0xaa);
	ck_assert_int_eq(ioasid_virtio_iommu_endpoint_domain(v, EP0, &(uint32_t){ 0 }), -ENOENT);
	ck_assert_int_eq(ioasid_virtio_iommu_request_buf(v, b, mk_probe(b, EP0), out, sizeof(out), &used),
			 -EMSGSIZE);
	ck_assert_errmsg_has(ctx, "tail goes at byte 512");
	/* NULL arguments */
	ck_assert_int_eq(ioasid_virtio_iommu_request(v, NULL, 1, NULL, 0, &used), -EINVAL);
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
	ck_assert_int_eq(ioasid_virtio_iommu_domain_ioas(v, 1, &d), -ENOENT);
	ck_assert_uint_eq(ioasid_obj_kind(ctx, ioas1), IOASID_OBJ_NONE);
	ck_status(map(1, 0x4000, 0x4fff, RAM_GPA, F_RW), S_NOENT);
	/* DETACH both: domain 2 dies, the devices are blocked (empty IOAS) */
	ck_status(detach(2, EP0), S_OK);
	ck_status(detach(2, EP0), S_INVAL); /* not attached any more */
	ck_status(detach(2, EP1), S_OK);
	ck_assert_int_eq(ioasid_virtio_iommu_domain_ioas(v, 2, &d), -ENOENT);
	ck_assert_uint_eq(ioasid_obj_kind(ctx, ioas2), IOASID_OBJ_NONE);
	ck_assert_ok(ctx, ioasid_dev_attached(ctx, dev[0], IOASID_PASID_NONE, &d));
	ck_assert_uint_ne(d, ioas2);
	ck_assert_int_eq(ioasid_virtio_iommu_endpoint_domain(v, EP0, &d), -ENOENT);
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
	/* MAP of the whole 64-bit space cannot be a mapping */
	ck_status(map(3, 0, UINT64_MAX, RAM_GPA, F_RW), S_RANGE);
}
END_TEST

START_TEST(test_probe)
{
	uint8_t out[600], b[80];
	struct ioasid_virtio_iommu_resv_mem r[4];
	struct ioasid_virtio_iommu_probe_props pp = { .resv = r, .max_resv = 4 };
	struct ioasid_virtio_iommu *vi;
	size_t used;

	ck_status(probe_on(v, EP0, out, 512), S_OK);
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
	ck_status(probe_on(v, EP2, out, 512), S_OK);
	ck_assert_ok(ctx, ioasid_virtio_iommu_probe_parse(out, 512, &pp));
	ck_assert_uint_eq(pp.page_size_mask, 0x1000);
	/* unknown endpoint; reserved bytes of the request */
	ck_status(probe_on(v, 1234, out, 512), S_NOENT);
	for (int i = 0; i < 512; i++)
		ck_assert_uint_eq(out[i], 0);
	mk_probe(b, EP0);
	b[40] = 1;
	memset(out, 0xaa, sizeof(out));
	ck_assert_ok(ctx, ioasid_virtio_iommu_request_buf(v, b, 72, out, 516, &used));
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
		struct ioasid_virtio_iommu_resv_mem extra = { .start = 0x8000000, .end = 0x80fffff,
							.subtype = 1 };
		struct ioasid_virtio_iommu_endpoint_opts eo = { .sz = sizeof(struct ioasid_virtio_iommu_endpoint_opts), .resv = &extra, .nr_resv = 1 };

		ck_assert_int_eq(ioasid_virtio_iommu_endpoint_add(v, 100, dev[0], &eo), -EEXIST);
		ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_del(v, EP0));
		ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_add(v, 100, dev[0], &eo));
		ck_status(probe_on(v, 100, out, 512), S_OK);
		ck_assert_ok(ctx, ioasid_virtio_iommu_probe_parse(out, 512, &pp));
		ck_assert_uint_eq(pp.nr_resv, 2);
		ck_assert_uint_eq(r[1].start, 0x8000000);
		ck_assert_uint_eq(r[1].end, 0x80fffff);
		ck_assert_uint_eq(r[1].subtype, 1);
		extra.subtype = 5;
		ck_assert_int_eq(ioasid_virtio_iommu_endpoint_add(v, 101, dev[0], &eo), -EINVAL);
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
	ck_status(attach(1, EP2), S_OK);  /* 4K */
	ck_status(attach(1, EP0), S_OK);  /* 4K|2M|1G: more sizes, fine */
	ck_status(attach(2, EP1), S_OK);  /* 4K|2M|1G */
	ck_status(attach(2, EP2), S_UNSUPP); /* lacks 2M and 1G */
	ck_assert_errmsg_has(ctx, "lacks page sizes 0x40200000");
	/* the refused endpoint stayed where it was */
	{
		uint32_t d;

		ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_domain(v, EP2, &d));
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
static uint8_t send_split(struct ioasid_virtio_iommu *vi, const uint8_t *rd, size_t rdlen, size_t k_rd,
			  uint8_t *wr, size_t wrlen, size_t k_wr)
{
	struct iovec r[2] = { { (void *)rd, k_rd }, { (void *)(rd + k_rd), rdlen - k_rd } };
	struct iovec w[3] = { { wr, k_wr }, { NULL, 0 }, { wr + k_wr, wrlen - k_wr } };
	size_t used;

	memset(wr, 0xaa, wrlen);
	ck_assert_ok(ctx, ioasid_virtio_iommu_request(vi, r, 2, w, 3, &used));
	ck_assert_uint_eq(used, wrlen);
	return wr[wrlen - 4];
}

static uint8_t send_bytes(struct ioasid_virtio_iommu *vi, const uint8_t *rd, size_t rdlen, uint8_t *wr,
			  size_t wrlen)
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
		ck_status(send_split(v, a, la, k, wr, 4, k % 5), S_OK);
		ck_status(req(a2, la2), S_OK); /* move away; domain 5 dies */
	}
	ck_status(req(a, la), S_OK);
	for (k = 0; k <= lm; k++) {
		ck_status(send_split(v, m, lm, k, wr, 4, k % 5), S_OK);
		ck_status(send_split(v, m, lm, k, wr, 4, 0), S_INVAL); /* overlap */
		ck_status(send_split(v, u, lu, k % (lu + 1), wr, 4, k % 5), S_OK);
	}
	for (k = 0; k <= ld; k++) {
		ck_status(send_split(v, d, ld, k, wr, 4, k % 5), S_OK);
		ck_status(req(a, la), S_OK);
	}
	/* PROBE: the same properties whatever the split */
	ck_status(probe_on(v, EP1, whole, 512), S_OK);
	for (k = 0; k <= lp; k++) {
		ck_status(send_split(v, p, lp, k, wr, 516, (k * 7) % 517), S_OK);
		ck_assert_int_eq(memcmp(wr, whole, 516), 0);
	}
	for (k = 0; k <= 516; k++) {
		ck_status(send_split(v, p, lp, 36, wr, 516, k), S_OK);
		ck_assert_int_eq(memcmp(wr, whole, 516), 0);
	}
	/* one byte per segment */
	ck_status(send_bytes(v, m, lm, wr, 4), S_OK);
	ck_status(send_bytes(v, u, lu, wr, 4), S_OK);
	ck_status(send_bytes(v, p, lp, wr, 516), S_OK);
	ck_assert_int_eq(memcmp(wr, whole, 516), 0);
	/* cut short at every byte: IOERR, never a read past the end */
	for (k = 0; k < lm; k++)
		ck_status(send_split(v, m, k, k / 2, wr, 4, 2), S_IOERR);
	for (k = 1; k < lp; k++)
		ck_status(send_split(v, p, k, k / 2, wr, 516, 300), S_IOERR);
}
END_TEST

/* Pop one event record into a buffer of @len bytes; its size. */
static size_t pop(struct ioasid_virtio_iommu *vi, uint8_t *rec, size_t len)
{
	size_t used = 0;

	memset(rec, 0xaa, len);
	ck_assert_ok(ctx, ioasid_virtio_iommu_event_pop_buf(vi, rec, len, &used));
	return used;
}

START_TEST(test_fault_records_plain)
{
	struct ioasid_virtio_iommu *vi = mk_virtio_iommu(IOASID_VIRTIO_IOMMU_EXT_FAULT, NO_EXT, 0);
	uint8_t b[80], rec[64];
	struct iovec w[3];
	size_t done, used;
	char x[8];
	int fd;

	ck_assert_ok(ctx, ioasid_virtio_iommu_event_fd(vi, &fd));
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ioasid_virtio_iommu_event_pop_buf(vi, rec, sizeof(rec), &used), -EAGAIN);
	/* a mapping fault of an attached endpoint without PRI */
	ck_status(req_on(vi, b, mk_attach(b, 1, EP1, 0)), S_OK);
	ck_status(req_on(vi, b, mk_map(b, 1, 0x1000, 0x1fff, RAM_GPA, F_R)), S_OK);
	ck_assert_int_eq(ioasid_sim_dma_read(ctx, dev[1], IOASID_PASID_NONE, 0x5008, x, 4, &done),
			 -EFAULT);
	ck_assert_int_eq(ioasid_sim_dma_write(ctx, dev[1], IOASID_PASID_NONE, 0x1000, x, 4, &done),
			 -EACCES);
	/* too small a buffer: the record stays */
	ck_assert_int_eq(ioasid_virtio_iommu_event_pop_buf(vi, rec, 23, &used), -EMSGSIZE);
	ck_assert_uint_eq(pop(vi, rec, sizeof(rec)), 24);
	ck_assert_uint_eq(rec[0], IOASID_VIRTIO_IOMMU_FAULT_R_MAPPING);
	ck_assert_uint_eq(rec[1] | rec[2] | rec[3], 0);
	ck_assert_uint_eq(g32(rec + 4), IOASID_VIRTIO_IOMMU_FAULT_F_READ |
					IOASID_VIRTIO_IOMMU_FAULT_F_ADDRESS);
	ck_assert_uint_eq(g32(rec + 8), EP1);
	ck_assert_uint_eq(g32(rec + 12), 0);
	ck_assert_uint_eq(g64(rec + 16) & ~0xfffull, 0x5000);
	ck_assert_uint_eq(rec[24], 0xaa); /* nothing past the 24 bytes */
	/* the second one, split over three segments */
	w[0] = (struct iovec){ rec, 5 };
	w[1] = (struct iovec){ rec + 5, 0 };
	w[2] = (struct iovec){ rec + 5, 40 };
	memset(rec, 0xaa, sizeof(rec));
	ck_assert_ok(ctx, ioasid_virtio_iommu_event_pop(vi, w, 3, &used));
	ck_assert_uint_eq(used, 24);
	ck_assert_uint_eq(rec[0], IOASID_VIRTIO_IOMMU_FAULT_R_MAPPING);
	ck_assert_uint_eq(g32(rec + 4), IOASID_VIRTIO_IOMMU_FAULT_F_WRITE |
					IOASID_VIRTIO_IOMMU_FAULT_F_ADDRESS);
	ck_assert_uint_eq(g64(rec + 16), 0x1000);
	/* an endpoint in no domain: a DOMAIN fault */
	ck_status(req_on(vi, b, mk_detach(b, 1, EP1)), S_OK);
	ck_assert_int_eq(ioasid_sim_dma_read(ctx, dev[1], IOASID_PASID_NONE, 0x1000, x, 4, &done),
			 -EFAULT);
	ck_assert_uint_eq(pop(vi, rec, sizeof(rec)), 24);
	ck_assert_uint_eq(rec[0], IOASID_VIRTIO_IOMMU_FAULT_R_DOMAIN);
	ck_assert_uint_eq(g32(rec + 8), EP1);
	ck_assert_int_eq(ioasid_virtio_iommu_event_pop_buf(vi, rec, sizeof(rec), &used), -EAGAIN);
	ioasid_virtio_iommu_free(vi);
}
END_TEST

START_TEST(test_page_request_roundtrip)
{
	struct ioasid_virtio_iommu_stats st;
	uint8_t b[80], rec[64];
	uint64_t h;
	uint16_t grp;
	size_t done, used;
	char buf[2 * 4096];

	memset(buf, 'p', sizeof(buf));
	ck_status(attach(1, EP0), S_OK);
	ck_status(map(1, 0x100000, 0x100fff, RAM_GPA, F_RW), S_OK);
	/* the second page is not mapped: a page request */
	ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev[0], IOASID_PASID_NONE, 0x100000, buf,
					       sizeof(buf), true, &h, &done), -EAGAIN);
	ck_assert_uint_eq(pop(v, rec, sizeof(rec)), 48);
	ck_assert_uint_eq(rec[0], IOASID_VIRTIO_IOMMU_FAULT_R_MAPPING);
	ck_assert_uint_eq(g32(rec + 4), IOASID_VIRTIO_IOMMU_FAULT_F_WRITE |
					IOASID_VIRTIO_IOMMU_FAULT_F_ADDRESS |
					IOASID_VIRTIO_IOMMU_FAULT_F_GRPID |
					IOASID_VIRTIO_IOMMU_FAULT_F_LAST |
					IOASID_VIRTIO_IOMMU_FAULT_F_PAGE_REQ);
	ck_assert_uint_eq(g32(rec + 8), EP0); /* where an old driver looks */
	ck_assert_uint_eq(g64(rec + 16), 0x101000);
	ck_assert_uint_eq(g32(rec + 24), 0); /* no PASID */
	grp = g16(rec + 28);
	ck_assert_uint_eq(g16(rec + 30), 0);
	ck_assert_uint_eq(g64(rec + 32) | g64(rec + 40), 0);
	ck_assert_ok(ctx, ioasid_virtio_iommu_stats(v, &st));
	ck_assert_uint_eq(st.groups_pending, 1);
	ck_assert_uint_eq(st.page_requests, 1);
	/* bad answers change nothing */
	ck_status(req(b, mk_page_resp(b, EP0, 0, 0, grp, 3)), S_INVAL);
	ck_status(req(b, mk_page_resp(b, EP0, 0, 2, grp, 0)), S_INVAL);
	ck_status(req(b, mk_page_resp(b, 99, 0, 0, grp, 0)), S_NOENT);
	ck_status(req(b, mk_page_resp(b, EP0, 0, 0, (uint16_t)(grp + 1), 0)), S_NOENT);
	ck_status(req(b, mk_page_resp(b, EP0, 5, IOASID_VIRTIO_IOMMU_PAGE_RESP_F_PASID, grp, 0)),
		  S_NOENT);
	mk_page_resp(b, EP0, 0, 0, grp, 0);
	b[22] = 1;
	ck_status(req(b, 24), S_INVAL);
	mk_page_resp(b, EP0, 0, 0, grp, 0);
	ck_status(req(b, 23), S_IOERR);
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h, &done), -EAGAIN);
	/* the guest maps the page, then answers SUCCESS: the DMA completes */
	ck_status(map(1, 0x101000, 0x101fff, RAM_GPA + PG, F_RW), S_OK);
	ck_status(req(b, mk_page_resp(b, EP0, 0, 0, grp, IOASID_FAULT_SUCCESS)), S_OK);
	ck_assert_ok(ctx, ioasid_sim_dma_wait(ctx, h, UINT64_MAX, &done));
	ck_assert_uint_eq(done, sizeof(buf));
	ck_assert_int_eq(memcmp(ram, buf, sizeof(buf)), 0);
	/* one answer per group */
	ck_status(req(b, mk_page_resp(b, EP0, 0, 0, grp, IOASID_FAULT_SUCCESS)), S_NOENT);
	/* INVALID: the DMA ends with a fault */
	ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev[0], IOASID_PASID_NONE, 0x300000, buf, 8,
					       false, &h, &done), -EAGAIN);
	ck_assert_uint_eq(pop(v, rec, sizeof(rec)), 48);
	ck_assert_uint_ne(g32(rec + 4) & IOASID_VIRTIO_IOMMU_FAULT_F_PAGE_REQ, 0);
	ck_status(req(b, mk_page_resp(b, EP0, 0, 0, g16(rec + 28), IOASID_FAULT_INVALID)), S_OK);
	ck_assert_int_eq(ioasid_sim_dma_wait(ctx, h, UINT64_MAX, &done), -EFAULT);
	/* a group the guest never answers is answered INVALID by a reset */
	ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev[0], IOASID_PASID_NONE, 0x300000, buf, 8,
					       false, &h, &done), -EAGAIN);
	ck_assert_uint_eq(pop(v, rec, sizeof(rec)), 48);
	ck_assert_ok(ctx, ioasid_virtio_iommu_reset(v));
	ck_assert_int_eq(ioasid_sim_dma_wait(ctx, h, UINT64_MAX, &done), -EFAULT);
	ck_assert_int_eq(ioasid_virtio_iommu_event_pop_buf(v, rec, sizeof(rec), &used), -EAGAIN);
}
END_TEST

START_TEST(test_page_request_answered_by_virtio_iommu)
{
	struct ioasid_virtio_iommu *vi;
	struct ioasid_virtio_iommu_stats st;
	uint8_t b[80], rec[64];
	uint64_t h;
	size_t done;
	char x[8];

	/* the fault extension, but the endpoint in no domain: answered, DOMAIN */
	ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev[0], IOASID_PASID_NONE, 0x4000, x, 8, false,
					       &h, &done), -EAGAIN);
	ck_assert_uint_eq(pop(v, rec, sizeof(rec)), 48);
	ck_assert_uint_eq(rec[0], IOASID_VIRTIO_IOMMU_FAULT_R_DOMAIN);
	ck_assert_uint_eq(g32(rec + 4) & IOASID_VIRTIO_IOMMU_FAULT_F_PAGE_REQ, 0);
	ck_assert_int_eq(ioasid_sim_dma_wait(ctx, h, UINT64_MAX, &done), -EFAULT);
	vi = mk_virtio_iommu(IOASID_VIRTIO_IOMMU_EXT_FAULT, NO_EXT, 0);
	/* no fault extension: the guest cannot answer; the virtio-iommu does, INVALID */
	ck_status(req_on(vi, b, mk_attach(b, 1, EP0, 0)), S_OK);
	ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev[0], IOASID_PASID_NONE, 0x4000, x, 8, false,
					       &h, &done), -EAGAIN);
	ck_assert_uint_eq(pop(vi, rec, sizeof(rec)), 24);
	ck_assert_uint_eq(rec[0], IOASID_VIRTIO_IOMMU_FAULT_R_MAPPING);
	ck_assert_uint_eq(g32(rec + 4), IOASID_VIRTIO_IOMMU_FAULT_F_READ |
					IOASID_VIRTIO_IOMMU_FAULT_F_ADDRESS);
	ck_assert_int_eq(ioasid_sim_dma_wait(ctx, h, UINT64_MAX, &done), -EFAULT);
	ck_assert_ok(ctx, ioasid_virtio_iommu_stats(vi, &st));
	ck_assert_uint_eq(st.auto_answered, 1);
	ck_assert_uint_eq(st.groups_pending, 0);
	ioasid_virtio_iommu_free(vi);
}
END_TEST

START_TEST(test_bypass)
{
	struct ioasid_virtio_iommu_mem mem = { .gpa = RAM_GPA, .size = RAM_SIZE, .hva = ram };
	struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts), .set = set, .mem = &mem, .nr_mem = 1,
		    .flags = IOASID_VIRTIO_IOMMU_BOOT_BYPASS };
	struct ioasid_virtio_iommu *vi;
	uint8_t b[80], zero = 0, one = 1;
	size_t done;
	char x[4] = "byp";

	ioasid_virtio_iommu_free(v); /* sim0..2 belong to one virtio-iommu at a time */
	v = NULL;
	ck_assert_ok(ctx, ioasid_virtio_iommu_new(ctx, &o, &vi));
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_add(vi, EP2, dev[2], NULL));
	/* boot bypass: an unattached endpoint reaches guest memory at IOVA = GPA */
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE, RAM_GPA + 16, x, 4,
					       &done));
	ck_assert_str_eq((char *)ram + 16, "byp");
	ck_assert_ok(ctx, ioasid_virtio_iommu_set_driver_features(vi, ioasid_virtio_iommu_device_features(vi)));
	ck_assert_ok(ctx, ioasid_virtio_iommu_config_write(vi, 36, &zero, 1));
	ck_assert_int_eq(ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE, RAM_GPA, x, 4,
					      &done), -EFAULT);
	/* ATTACH_F_BYPASS: a bypass domain, which takes no MAP */
	ck_status(req_on(vi, b, mk_attach(b, 4, EP2, IOASID_VIRTIO_IOMMU_ATTACH_F_BYPASS)), S_OK);
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE, RAM_GPA + 32, x, 4,
					       &done));
	ck_status(req_on(vi, b, mk_map(b, 4, 0, 0xfff, RAM_GPA, F_RW)), S_INVAL);
	ck_status(req_on(vi, b, mk_unmap(b, 4, 0, 0xfff)), S_INVAL);
	ck_status(req_on(vi, b, mk_attach(b, 5, EP2, 0)), S_OK);
	ck_status(req_on(vi, b, mk_attach(b, 5, EP2, IOASID_VIRTIO_IOMMU_ATTACH_F_BYPASS)), S_INVAL);
	ck_status(req_on(vi, b, mk_detach(b, 5, EP2)), S_OK);
	ck_assert_ok(ctx, ioasid_virtio_iommu_config_write(vi, 36, &one, 1));
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE, RAM_GPA, x, 4, &done));
	/* memory hot-plug: the bypass IOAS follows the table */
	{
		uint8_t *more = test_mem(4 * PG);
		struct ioasid_virtio_iommu_mem two[2] = {
			mem, { .gpa = RAM_GPA + RAM_SIZE, .size = 4 * PG, .hva = more },
		};

		ck_assert_int_eq(ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE,
						      RAM_GPA + RAM_SIZE, x, 4, &done), -EFAULT);
		ck_assert_ok(ctx, ioasid_virtio_iommu_set_memory(vi, two, 2));
		ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE,
						       RAM_GPA + RAM_SIZE, x, 4, &done));
		ck_assert_str_eq((char *)more, "byp");
		/* the two regions are contiguous in GPA, not in VMM memory: a MAP across fails */
		ck_status(req_on(vi, b, mk_attach(b, 6, EP2, 0)), S_OK);
		ck_status(req_on(vi, b, mk_map(b, 6, 0, 2 * PG - 1, RAM_GPA + RAM_SIZE - PG, F_RW)),
			  S_FAULT);
		ck_status(req_on(vi, b, mk_map(b, 6, 0, PG - 1, RAM_GPA + RAM_SIZE, F_RW)), S_OK);
		ck_assert_ok(ctx, ioasid_virtio_iommu_set_memory(vi, &mem, 1));
		ck_status(req_on(vi, b, mk_detach(b, 6, EP2)), S_OK);
		ck_assert_int_eq(ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE,
						      RAM_GPA + RAM_SIZE, x, 4, &done), -EFAULT);
		munmap(more, 4 * PG);
	}
	/* without BYPASS_CONFIG the ATTACH flag is unknown; legacy F_BYPASS bypasses */
	ck_assert_ok(ctx, ioasid_virtio_iommu_set_driver_features(vi, IOASID_VIRTIO_IOMMU_F_MAP_UNMAP));
	ck_status(req_on(vi, b, mk_attach(b, 7, EP2, IOASID_VIRTIO_IOMMU_ATTACH_F_BYPASS)), S_INVAL);
	ck_assert_int_eq(ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE, RAM_GPA, x, 4,
					      &done), -EFAULT);
	ck_assert_ok(ctx, ioasid_virtio_iommu_set_driver_features(vi, IOASID_VIRTIO_IOMMU_F_BYPASS));
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev[2], IOASID_PASID_NONE, RAM_GPA, x, 4, &done));
	ioasid_virtio_iommu_free(vi);
}
END_TEST

static int cb_calls;

static int translate_cb(void *data, uint64_t gpa, uint64_t size, uint32_t flags, void **ret)
{
	uint8_t *base = data;

	cb_calls++;
	if (flags || gpa < 0x1000000 || gpa - 0x1000000 >= RAM_SIZE ||
	    size > RAM_SIZE - (gpa - 0x1000000))
		return -EFAULT;
	*ret = base + (gpa - 0x1000000);
	return 0;
}

START_TEST(test_translate_callback_and_reset)
{
	struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts), .translate = translate_cb, .translate_data = ram,
		    .flags = IOASID_VIRTIO_IOMMU_MMIO };
	struct ioasid_virtio_iommu *vi;
	struct ioasid_mapping m;
	uint8_t b[80];
	uint32_t ioas;

	ioasid_virtio_iommu_free(v);
	v = NULL;
	ck_assert_ok(ctx, ioasid_virtio_iommu_new(ctx, &o, &vi));
	/* no bypass with a callback and no bypass IOAS; MMIO offered */
	ck_assert_uint_eq(ioasid_virtio_iommu_device_features(vi) &
				  (IOASID_VIRTIO_IOMMU_F_BYPASS | IOASID_VIRTIO_IOMMU_F_BYPASS_CONFIG),
			  0);
	ck_assert_uint_ne(ioasid_virtio_iommu_device_features(vi) & IOASID_VIRTIO_IOMMU_F_MMIO, 0);
	ck_assert_int_eq(ioasid_virtio_iommu_event_pop_buf(vi, b, 40, &(size_t){ 0 }), -EOPNOTSUPP);
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_add(vi, 1, dev[0], NULL));
	ck_assert_ok(ctx, ioasid_virtio_iommu_set_driver_features(vi, ioasid_virtio_iommu_device_features(vi)));
	ck_status(req_on(vi, b, mk_attach(b, 1, 1, 0)), S_OK);
	ck_status(req_on(vi, b, mk_map(b, 1, 0x2000, 0x2fff, 0x1000000 + PG, F_RW)), S_OK);
	ck_assert_int_eq(cb_calls, 1);
	ck_assert_ok(ctx, ioasid_virtio_iommu_domain_ioas(vi, 1, &ioas));
	ck_assert_ok(ctx, ioasid_ioas_lookup(ctx, ioas, 0x2000, &m));
	ck_assert_uint_eq(m.uva, (uintptr_t)(ram + PG));
	ck_status(req_on(vi, b, mk_map(b, 1, 0x3000, 0x3fff, 0x5000, F_RW)), S_FAULT);
	/* MMIO is passed to the callback, which has no device memory */
	ck_status(req_on(vi, b, mk_map(b, 1, 0x3000, 0x3fff, 0x1000000,
				       F_RW | IOASID_VIRTIO_IOMMU_MAP_F_MMIO)), S_FAULT);
	ck_assert_int_eq(ioasid_virtio_iommu_set_memory(vi, NULL, 0), -EINVAL);
	/* reset: domains gone, features forgotten */
	ck_assert_ok(ctx, ioasid_virtio_iommu_reset(vi));
	ck_assert_uint_eq(ioasid_obj_kind(ctx, ioas), IOASID_OBJ_NONE);
	ck_assert_int_eq(ioasid_dev_attached(ctx, dev[0], IOASID_PASID_NONE, &ioas), -ENOENT);
	ck_status(req_on(vi, b, mk_attach(b, 1, 1, 0)), S_OK);
	ck_status(req_on(vi, b, mk_map(b, 1, 0x2000, 0x2fff, 0x1000000, F_RW)), S_UNSUPP);
	ioasid_virtio_iommu_free(vi);
	ck_assert_int_eq(ioasid_dev_attached(ctx, dev[0], IOASID_PASID_NONE, &ioas), -ENOENT);
}
END_TEST

START_TEST(test_registration_and_options)
{
	struct ioasid_virtio_iommu_mem mem[2] = {
		{ .gpa = 0x1000, .size = 0x2000, .hva = ram },
		{ .gpa = 0x2000, .size = 0x1000, .hva = ram },
	};
	struct ioasid_virtio_iommu *vi;
	uint32_t d;

	/* endpoints */
	ck_assert_int_eq(ioasid_virtio_iommu_endpoint_add(v, EP0, dev[0], NULL), -EEXIST);
	ck_assert_int_eq(ioasid_virtio_iommu_endpoint_add(v, 1, dev[0], NULL), -EEXIST);
	ck_assert_int_eq(ioasid_virtio_iommu_endpoint_add(v, 1, 999, NULL), -ENOENT);
	ck_assert_int_eq(ioasid_virtio_iommu_endpoint_add(v, 1, set, NULL), -ENOENT);
	ck_assert_int_eq(ioasid_virtio_iommu_endpoint_del(v, 1), -ENOENT);
	ck_status(attach(9, EP0), S_OK);
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_del(v, EP0));
	ck_assert_int_eq(ioasid_virtio_iommu_domain_ioas(v, 9, &d), -ENOENT);
	ck_assert_int_eq(ioasid_dev_attached(ctx, dev[0], IOASID_PASID_NONE, &d), -ENOENT);
	ck_status(attach(9, EP0), S_NOENT);
	{
		struct ioasid_virtio_iommu_endpoint_opts eo = { .sz = sizeof(struct ioasid_virtio_iommu_endpoint_opts), .flags = 1 };

		ck_assert_int_eq(ioasid_virtio_iommu_endpoint_add(v, EP0, dev[0], &eo), -EINVAL);
	}
	/* options */
	{
		struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts), .flags = 1u << 20 };

		ck_assert_int_eq(ioasid_virtio_iommu_new(ctx, &o, &vi), -EINVAL);
	}
	{
		struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts), .mem = mem, .nr_mem = 2 };

		ck_assert_int_eq(ioasid_virtio_iommu_new(ctx, &o, &vi), -EINVAL);
		ck_assert_errmsg_has(ctx, "overlap");
	}
	{
		struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts), .mem = mem, .nr_mem = 1,
			    .translate = translate_cb };

		ck_assert_int_eq(ioasid_virtio_iommu_new(ctx, &o, &vi), -EINVAL);
	}
	{
		struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts), .translate = translate_cb,
			    .flags = IOASID_VIRTIO_IOMMU_BOOT_BYPASS };

		ck_assert_int_eq(ioasid_virtio_iommu_new(ctx, &o, &vi), -EINVAL);
	}
	{
		struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts), .set = 4242 };

		ck_assert_int_eq(ioasid_virtio_iommu_new(ctx, &o, &vi), -ENOENT);
	}
	{
		struct {
			struct ioasid_virtio_iommu_opts o;
			uint64_t extra;
		} big = { .o = { .sz = sizeof(big) }, .extra = 1 };

		ck_assert_int_eq(ioasid_virtio_iommu_new(ctx, &big.o, &vi), -E2BIG);
		big.extra = 0;
		ck_assert_ok(ctx, ioasid_virtio_iommu_new(ctx, &big.o, &vi));
		ioasid_virtio_iommu_free(vi);
	}
	ck_assert_int_eq(ioasid_virtio_iommu_new(ctx, NULL, &vi), -EINVAL);
	ioasid_virtio_iommu_free(NULL);
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

/* A VMM whose own host IOMMU is a virtio-iommu (nested virtualization). */
START_TEST(test_on_virtio_iommu_profile)
{
	struct ioasid_virtio_iommu_mem mem = { .gpa = RAM_GPA, .size = RAM_SIZE, .hva = ram };
	struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts), .mem = &mem, .nr_mem = 1 };
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
	ck_assert_ok(c2, ioasid_virtio_iommu_set_driver_features(vi, ioasid_virtio_iommu_device_features(vi)));
	ck_assert_ok(c2, ioasid_virtio_iommu_config_read(vi, 0, img, sizeof(img)));
	ck_assert_uint_eq(g64(img), 0x1000);
	ck_assert_uint_eq(g64(img + 16), (1ull << 48) - 1);
	memset(out, 0, sizeof(out));
	ck_assert_ok(c2, ioasid_virtio_iommu_request_buf(vi, b, mk_probe(b, 3), out, sizeof(out), &used));
	ck_assert_uint_eq(out[512], S_OK);
	ck_assert_ok(c2, ioasid_virtio_iommu_probe_parse(out, 512, &pp));
	ck_assert_uint_eq(pp.nr_resv, 1);
	ck_assert_uint_eq(r[0].start, MSI_START);
	ck_assert_uint_eq(r[0].subtype, IOASID_VIRTIO_IOMMU_RESV_MEM_T_MSI);
	ck_assert_ok(c2, ioasid_virtio_iommu_request_buf(vi, b, mk_attach(b, 1, 3, 0), out, 4, &used));
	ck_assert_uint_eq(out[0], S_OK);
	ck_assert_ok(c2, ioasid_virtio_iommu_request_buf(vi, b, mk_map(b, 1, 0, 0xfff, RAM_GPA, F_RW),
						   out, 4, &used));
	ck_assert_uint_eq(out[0], S_OK);
	ioasid_virtio_iommu_free(vi);
	ioasid_ctx_close(c2);
}
END_TEST

Suite *virtio_iommu_suite(void)
{
	Suite *s = suite_create("virtio_iommu");
	TCase *tc = tcase_create("virtio_iommu");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_config_space);
	tcase_add_test(tc, test_features_and_bypass_write);
	tcase_add_test(tc, test_attach_map_dma_unmap);
	tcase_add_test(tc, test_every_status);
	tcase_add_test(tc, test_unsupp_before_negotiation);
	tcase_add_test(tc, test_unknown_type_and_short_buffers);
	tcase_add_test(tc, test_attach_moves_and_domains_die);
	tcase_add_test(tc, test_unmap_semantics);
	tcase_add_test(tc, test_probe);
	tcase_add_test(tc, test_probe_parser_rules);
	tcase_add_test(tc, test_page_size_rules);
	tcase_add_test(tc, test_split_everywhere);
	tcase_add_test(tc, test_fault_records_plain);
	tcase_add_test(tc, test_page_request_roundtrip);
	tcase_add_test(tc, test_page_request_answered_by_virtio_iommu);
	tcase_add_test(tc, test_bypass);
	tcase_add_test(tc, test_translate_callback_and_reset);
	tcase_add_test(tc, test_registration_and_options);
	tcase_add_test(tc, test_status_table);
	tcase_add_test(tc, test_on_virtio_iommu_profile);
	suite_add_tcase(s, tc);
	return s;
}
