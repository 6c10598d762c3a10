/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the capability-chain suites (check_caps_*.c) share: register values
 * computed by hand from the specs, chains built byte by byte in aligned
 * buffers, the expectation of a refusal, and one chain holding every known
 * cap (build_full).
 */
#ifndef IOASID_TEST_CAPS_CHAIN_H
#define IOASID_TEST_CAPS_CHAIN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <check.h>

#include <ioasid/caps.h>

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
#define QEMU_VTD_CAP UINT64_C(0x00d2008c22260206)
#define QEMU_VTD_ECAP UINT64_C(0xf42)

/*
 * A scalable-mode VT-d:
 *   CAP  = FL5LP (60) | FL1GP (56) | PSI (39) | SLLPS 0b11 <<34
 *        | MGAW 57-1 <<16 | SAGAW 0b00110 <<8 | CM (7) | ND 6
 *        = 0x1100008c00380686
 *   ECAP = FLTS 47 | SLTS 46 | SLADS 45 | SMTS 43 | PASID 40 | PSS 19 <<35
 *        | PRS 29 | NEST 26 | DT 2 | QI 1 | C 0 = 0xe99824000007
 */
#define SM_VTD_CAP UINT64_C(0x1100008c00380686)
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
extern const uint32_t SMMU_IDR[6];

/*
 * An AMD IOMMU:
 *   EFR  = HDSup 52 | HASup 49 | GIOSup 48 | PASmax 15 <<32 | GLX 1 <<14
 *        | GATS 1 <<12 | HATS 1 <<10 | PC 9 | HE 8 | GA 7 | IA 6 | GT 4
 *        | NX 3 | PPR 1 = 0x0013000f000057da
 *   EFR2 = NUM_INT_REMAP 1 <<8 | SNPAVIC 1 <<5 = 0x120
 */
#define AMD_EFR UINT64_C(0x0013000f000057da)
#define AMD_EFR2 UINT64_C(0x120)

/* Chains are built in uint64_t arrays so tests control their alignment. */
#define RAW_WORDS 512
struct raw {
	uint64_t w[RAW_WORDS];
	size_t len;
};

static inline uint8_t *rb(struct raw *r)
{
	return (uint8_t *)r->w;
}

static inline void put16(struct raw *r, size_t off, uint16_t v)
{
	memcpy(rb(r) + off, &v, sizeof(v));
}

static inline void put32(struct raw *r, size_t off, uint32_t v)
{
	memcpy(rb(r) + off, &v, sizeof(v));
}

static inline void put64(struct raw *r, size_t off, uint64_t v)
{
	memcpy(rb(r) + off, &v, sizeof(v));
}

static inline uint32_t get32(const void *buf, size_t off)
{
	uint32_t v;

	memcpy(&v, (const uint8_t *)buf + off, sizeof(v));
	return v;
}

static inline void raw_hdr(struct raw *r, uint32_t total, uint32_t first)
{
	memset(r->w, 0, sizeof(r->w));
	put32(r, 0, IOASID_INFO_MAGIC);
	put16(r, 4, 1);
	put16(r, 6, 16);
	put32(r, 8, total);
	put32(r, 12, first);
	r->len = total;
}

static inline void raw_cap(struct raw *r, size_t off, uint16_t id, uint16_t ver, uint32_t next,
			   uint32_t size)
{
	put16(r, off, id);
	put16(r, off + 2, ver);
	put32(r, off + 4, next);
	put32(r, off + 8, size);
	put32(r, off + 12, MEASURED);
}

/* A chain with one page-size cap at 16: 40 bytes. */
static inline void raw_one_page_sizes(struct raw *r)
{
	raw_hdr(r, 40, 16);
	raw_cap(r, 16, IOASID_CAP_PAGE_SIZES, 1, 0, 24);
	put64(r, 32, 0x1000);
}

/* Copy a built chain into @r (so it can be mutated). */
static inline void raw_from(struct raw *r, const void *buf, size_t len)
{
	ck_assert_uint_le(len, sizeof(r->w));
	memset(r->w, 0, sizeof(r->w));
	memcpy(r->w, buf, len);
	r->len = len;
}

#define ck_err_has(err, s) \
	ck_assert_msg(strstr((err), (s)) != NULL, "message \"%s\" lacks \"%s\"", (err), (s))

/* Expect validate to fail with @e and a message containing @s. */
#define ck_invalid(r, flags, e, s)                                            \
	do {                                                                  \
		int ret_ = ioasid_caps_validate(rb(r), (r)->len, (flags));    \
		ck_assert_msg(ret_ == (e), "ret %d (want %d): %s", ret_, (e), \
			      ioasid_last_errmsg());                          \
		ck_err_has(ioasid_last_errmsg(), s);                          \
	} while (0)

extern const struct ioasid_cap_iova_range RANGES[2];
extern const struct ioasid_cap_resv_region REGIONS[3];
extern const struct ioasid_cap_virtio_iommu VIRTIO;

/*
 * Every known cap once, plus an unknown one in the middle; free with
 * ioasid_caps_free().
 */
void build_full(void **buf, size_t *len);

#endif
