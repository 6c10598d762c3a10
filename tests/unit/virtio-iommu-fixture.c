/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fixture and request helpers of the virtio-iommu suites. */
#include <stdio.h>
#include <sys/mman.h>

#include <ioasid/virtio-iommu.h>

#include "helpers.h"
#include "virtio-iommu-fixture.h"

struct ioasid_ctx *ctx;
uint32_t dev[3], set;
uint8_t *ram;
struct ioasid_virtio_iommu *vio;

size_t mk_attach(uint8_t *b, uint32_t domain, uint32_t ep, uint32_t flags)
{
	memset(b, 0, 24);
	b[0] = T_ATTACH;
	p32(b + 4, domain);
	p32(b + 8, ep);
	p32(b + 12, flags);
	return 20;
}

size_t mk_detach(uint8_t *b, uint32_t domain, uint32_t ep)
{
	memset(b, 0, 24);
	b[0] = T_DETACH;
	p32(b + 4, domain);
	p32(b + 8, ep);
	return 20;
}

size_t mk_map(uint8_t *b, uint32_t domain, uint64_t vstart, uint64_t vend, uint64_t phys,
	      uint32_t flags)
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

size_t mk_unmap(uint8_t *b, uint32_t domain, uint64_t vstart, uint64_t vend)
{
	memset(b, 0, 32);
	b[0] = T_UNMAP;
	p32(b + 4, domain);
	p64(b + 8, vstart);
	p64(b + 16, vend);
	return 28;
}

size_t mk_probe(uint8_t *b, uint32_t ep)
{
	memset(b, 0, 72);
	b[0] = T_PROBE;
	p32(b + 4, ep);
	return 72;
}

size_t mk_page_resp(uint8_t *b, uint32_t ep, uint32_t pasid, uint32_t flags, uint16_t grpid,
		    uint16_t code)
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

uint8_t req_on(struct ioasid_virtio_iommu *vi, const uint8_t *rd, size_t len)
{
	uint8_t tail[4] = { 0xee, 0xee, 0xee, 0xee };
	size_t used = 99;

	ck_assert_ok(ctx, ioasid_virtio_iommu_request_buf(vi, rd, len, tail, sizeof(tail), &used));
	ck_assert_uint_eq(used, 4);
	ck_assert_msg(tail[1] == 0 && tail[2] == 0 && tail[3] == 0, "tail reserved bytes");
	ck_assert_msg(tail[0] <= S_NOMEM, "status %u", tail[0]);
	return tail[0];
}

uint8_t req(const uint8_t *rd, size_t len)
{
	return req_on(vio, rd, len);
}

uint8_t attach(uint32_t domain, uint32_t ep)
{
	uint8_t b[24];

	return req(b, mk_attach(b, domain, ep, 0));
}

uint8_t detach(uint32_t domain, uint32_t ep)
{
	uint8_t b[24];

	return req(b, mk_detach(b, domain, ep));
}

uint8_t map(uint32_t domain, uint64_t vstart, uint64_t vend, uint64_t phys, uint32_t flags)
{
	uint8_t b[80];

	return req(b, mk_map(b, domain, vstart, vend, phys, flags));
}

uint8_t unmap(uint32_t domain, uint64_t vstart, uint64_t vend)
{
	uint8_t b[32];

	return req(b, mk_unmap(b, domain, vstart, vend));
}

uint8_t probe_on(struct ioasid_virtio_iommu *vi, uint32_t ep, uint8_t *out, size_t probe_size)
{
	uint8_t b[76];
	size_t used = 0;

	memset(out, 0xaa, probe_size + 4);
	ck_assert_ok(ctx, ioasid_virtio_iommu_request_buf(vi, b, mk_probe(b, ep), out,
							  probe_size + 4, &used));
	ck_assert_uint_eq(used, probe_size + 4);
	return out[probe_size];
}

size_t pop(struct ioasid_virtio_iommu *vi, uint8_t *rec, size_t len)
{
	size_t used = 0;

	memset(rec, 0xaa, len);
	ck_assert_ok(ctx, ioasid_virtio_iommu_event_pop_buf(vi, rec, len, &used));
	return used;
}

/* ---- fixture ---- */

struct ioasid_virtio_iommu *mk_virtio_iommu(uint32_t flags, uint64_t features, uint32_t probe_size)
{
	struct ioasid_virtio_iommu_mem mem = { .gpa = RAM_GPA, .size = RAM_SIZE, .hva = ram };
	struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts),
					      .flags = flags,
					      .set = set,
					      .mem = &mem,
					      .nr_mem = 1,
					      .probe_size = probe_size };
	struct ioasid_virtio_iommu *vi;

	ck_assert_ok(ctx, ioasid_virtio_iommu_new(ctx, &o, &vi));
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_add(vi, EP0, dev[0], NULL));
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_add(vi, EP1, dev[1], NULL));
	ck_assert_ok(ctx, ioasid_virtio_iommu_endpoint_add(vi, EP2, dev[2], NULL));
	if (features)
		ck_assert_ok(ctx,
			     ioasid_virtio_iommu_set_driver_features(vi,
								     ioasid_virtio_iommu_device_features(
									     vi) &
									     features));
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
	vio = mk_virtio_iommu(IOASID_VIRTIO_IOMMU_EXT_PGSIZE_MASK | IOASID_VIRTIO_IOMMU_EXT_FAULT,
			      ALL_FEATURES, 0);
}

static void teardown(void)
{
	ioasid_virtio_iommu_free(vio);
	vio = NULL;
	ioasid_ctx_close(ctx);
	munmap(ram, RAM_SIZE);
}

uint32_t dom_ioas(uint32_t domain)
{
	uint32_t ioas = 0;

	ck_assert_ok(ctx, ioasid_virtio_iommu_domain_ioas(vio, domain, &ioas));
	return ioas;
}

TCase *vio_tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	return tc;
}
