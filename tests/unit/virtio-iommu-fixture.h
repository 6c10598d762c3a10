/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the virtio-iommu suites (check_virtio_iommu*.c) share: a sim context
 * with three devices bound and a virtio-iommu over them (vio), requests
 * built byte for byte from the layouts of docs/kernel-uapi.md §3 with
 * explicit little-endian stores (so the tests mean the same on any host),
 * and the status each request gets back.
 */
#ifndef IOASID_TEST_VIRTIO_IOMMU_FIXTURE_H
#define IOASID_TEST_VIRTIO_IOMMU_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include <ioasid/virtio-iommu.h>

#include "helpers.h"

/* S_OK ... S_NOMEM: the status codes, short */
#include "virtio-iommu/private.h"

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

#define F_R 1u
#define F_W 2u
#define F_RW 3u

#define ALL_FEATURES UINT64_MAX
#define NO_EXT (~(IOASID_VIRTIO_IOMMU_F_PROBE_PGSIZE | IOASID_VIRTIO_IOMMU_F_FAULT_EXT))

/* Made by vio_setup() for each test, undone by vio_teardown(). */
extern struct ioasid_ctx *ctx;
extern uint32_t dev[3], set;
extern uint8_t *ram;
extern struct ioasid_virtio_iommu *vio;

/* ---- little-endian stores and loads written out, independent of the library ---- */

static inline void p16(uint8_t *p, uint16_t x)
{
	p[0] = x & 0xff;
	p[1] = x >> 8;
}

static inline void p32(uint8_t *p, uint32_t x)
{
	p16(p, x & 0xffff);
	p16(p + 2, x >> 16);
}

static inline void p64(uint8_t *p, uint64_t x)
{
	p32(p, (uint32_t)x);
	p32(p + 4, (uint32_t)(x >> 32));
}

static inline uint16_t g16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t g32(const uint8_t *p)
{
	return g16(p) | (uint32_t)g16(p + 2) << 16;
}

static inline uint64_t g64(const uint8_t *p)
{
	return g32(p) | (uint64_t)g32(p + 4) << 32;
}

/* ---- request builders: return the device-readable length ---- */

size_t mk_attach(uint8_t *b, uint32_t domain, uint32_t ep, uint32_t flags);
size_t mk_detach(uint8_t *b, uint32_t domain, uint32_t ep);
size_t mk_map(uint8_t *b, uint32_t domain, uint64_t vstart, uint64_t vend, uint64_t phys,
	      uint32_t flags);
size_t mk_unmap(uint8_t *b, uint32_t domain, uint64_t vstart, uint64_t vend);
size_t mk_probe(uint8_t *b, uint32_t ep);
size_t mk_page_resp(uint8_t *b, uint32_t ep, uint32_t pasid, uint32_t flags, uint16_t grpid,
		    uint16_t code);

/* Send a non-PROBE request as one buffer; the status byte. */
uint8_t req_on(struct ioasid_virtio_iommu *vi, const uint8_t *rd, size_t len);
/* The same, to vio. */
uint8_t req(const uint8_t *rd, size_t len);

#define ck_status(expr, want)                                                                 \
	do {                                                                                  \
		uint8_t __s = (expr);                                                         \
		ck_assert_msg(__s == (want), "%s: status %s, wanted %s (%s)", #expr,          \
			      ioasid_virtio_iommu_status_name(__s),                           \
			      ioasid_virtio_iommu_status_name(want), ioasid_ctx_errmsg(ctx)); \
	} while (0)

/* Requests to vio, built and sent; the status byte. */
uint8_t attach(uint32_t domain, uint32_t ep);
uint8_t detach(uint32_t domain, uint32_t ep);
uint8_t map(uint32_t domain, uint64_t vstart, uint64_t vend, uint64_t phys, uint32_t flags);
uint8_t unmap(uint32_t domain, uint64_t vstart, uint64_t vend);

/* PROBE into @out (probe_size + 4 bytes); the status byte at the tail. */
uint8_t probe_on(struct ioasid_virtio_iommu *vi, uint32_t ep, uint8_t *out, size_t probe_size);

/* Pop one event record into a buffer of @len bytes; its size. */
size_t pop(struct ioasid_virtio_iommu *vi, uint8_t *rec, size_t len);

/*
 * A virtio-iommu over the test's RAM and set with the three devices as
 * EP0..EP2; with @features, the driver accepted those the device offers.
 */
struct ioasid_virtio_iommu *mk_virtio_iommu(uint32_t flags, uint64_t features, uint32_t probe_size);

/* The IOAS behind @domain of vio. */
uint32_t dom_ioas(uint32_t domain);

/* A test case whose tests each get the fixture above. */
TCase *vio_tcase(const char *name);

#endif
