/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fixture the SMMUv3 vIOMMU suites share (check_sim_smmuv3.c: the
 * objects and translation; check_sim_smmuv3_cache.c: caches, invalidation
 * and events): a guest's RAM mapped as the nest parent's IOAS, a vIOMMU,
 * vDEVICE and vEVENTQ on sim0, and helpers that write CDs and stage-1
 * tables as descriptor bytes, send commands and read events. Included by
 * each suite (static: every suite has its own instance).
 */
#ifndef SMMUV3_FIXTURE_H
#define SMMUV3_FIXTURE_H

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "helpers.h"
#include "backend/sim/pgtable.h"
#include "vendor/smmuv3-defs.h"

#define PG 4096ull
#define MB (1ull << 20)
#define G 0x10000000ull            /* guest RAM: GPA of its first byte */
#define GVA 0x400000ull            /* the device's address: L2 index 2, L3 index 0 */
#define DATA (G + 0x100000)        /* where the leaf points */
#define DATA2 (G + 0x101000)       /* a second page */
#define CDTAB G                    /* page 0: the linear CD table */
#define TT(n) (G + (1 + (n)) * PG) /* pages 1-4: stage-1 tables, Arm level n */
#define VSID 0x42u
#define ASID 7u

/* A stage-1 page descriptor for unprivileged read/write, as Linux maps it (not global). */
#define LEAF_RW (SIM_ARM_VALID | SIM_ARM_TABLE | SIM_ARM_AF | SIM_ARM_S1_AP1 | SIM_ARM_NG)
#define LEAF_GLOBAL (LEAF_RW & ~SIM_ARM_NG)
#define TABLE (SIM_ARM_VALID | SIM_ARM_TABLE)

static struct ioasid_ctx *ctx;
static uint32_t ioas, dev, parent, viommu, vdev, evq;
static uint8_t *mem, *raw;

static inline uint64_t *gp(uint64_t gpa)
{
	return (uint64_t *)(mem + (gpa - G));
}

/* The fixture on profile @spec. */
static inline void setup_spec(const char *spec)
{
	struct ioasid_hwpt_opts po = { .sz = sizeof(po), .flags = IOASID_HWPT_NEST_PARENT };
	struct ioasid_viommu_opts vo = { .sz = sizeof(vo), .type = IOASID_VIOMMU_ARM_SMMUV3 };
	struct ioasid_veventq_opts qo = { .sz = sizeof(qo),
					  .type = IOASID_VEVENTQ_ARM_SMMUV3,
					  .depth = 16 };
	uint64_t iova = G;

	ctx = test_sim_ctx_spec(spec);
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev));
	raw = test_mem(10 * MB);
	mem = (uint8_t *)(((uintptr_t)raw + 2 * MB - 1) & ~(2 * MB - 1));
	memset(mem, 0, 8 * MB);
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, 8 * MB,
					  IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA,
					  &iova));
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, ioas, &po, &parent));
	ck_assert_ok(ctx, ioasid_viommu_alloc(ctx, dev, parent, &vo, &viommu));
	ck_assert_ok(ctx, ioasid_vdevice_alloc(ctx, viommu, dev, VSID, &vdev));
	ck_assert_ok(ctx, ioasid_veventq_alloc(ctx, viommu, &qo, &evq));
}

static inline void setup(void)
{
	setup_spec("sim:smmuv3");
}

static inline void teardown(void)
{
	ioasid_ctx_close(ctx);
	munmap(raw, 10 * MB);
}

/* The vSTE words. */
static inline uint64_t ste0(unsigned int cfg, unsigned int fmt, uint64_t ctxptr, unsigned int cdmax)
{
	return SMMU_STE0_V | SMMU_PUT(cfg, SMMU_STE0_CFG_H, SMMU_STE0_CFG_L) |
	       SMMU_PUT(fmt, SMMU_STE0_S1FMT_H, SMMU_STE0_S1FMT_L) | ctxptr |
	       SMMU_PUT(cdmax, SMMU_STE0_CDMAX_H, SMMU_STE0_CDMAX_L);
}

/* A nested HWPT from vSTE (@w0, @w1); 0 and the errno in *@err on a refusal. */
static inline uint32_t nested_try(uint64_t w0, uint64_t w1, int *err)
{
	struct ioasid_hwpt_arm_smmuv3 d = { .ste = { htole64(w0), htole64(w1) } };
	struct ioasid_hwpt_opts o = { .sz = sizeof(o),
				      .type = IOASID_HWPT_NESTED_ARM_SMMUV3,
				      .data = &d,
				      .data_len = sizeof(d) };
	uint32_t h = 0;

	*err = ioasid_hwpt_alloc(ctx, dev, viommu, &o, &h);
	return *err ? 0 : h;
}

static inline uint32_t nested(uint64_t w0, uint64_t w1)
{
	int err;
	uint32_t h = nested_try(w0, w1, &err);

	ck_assert_ok(ctx, err);
	return h;
}

/* CD word 0 for a 48-bit stage 1 over 48-bit IPA, ASID @asid, plus @bits. */
static inline uint64_t cd0(uint16_t asid, uint64_t bits)
{
	return SMMU_PUT(16, SMMU_CD0_T0SZ_H, SMMU_CD0_T0SZ_L) | SMMU_CD0_V | SMMU_CD0_AA64 |
	       SMMU_PUT(5, SMMU_CD0_IPS_H, SMMU_CD0_IPS_L) | SMMU_CD0_R | SMMU_CD0_A |
	       SMMU_PUT(asid, SMMU_CD0_ASID_H, SMMU_CD0_ASID_L) | bits;
}

static inline void cd_write(uint64_t at, uint64_t w0, uint64_t ttb)
{
	gp(at)[0] = htole64(w0);
	gp(at)[1] = htole64(ttb);
}

/* Stage-1 tables at TT(0..3) mapping GVA to @leaf. */
static inline void s1_build(uint64_t leaf)
{
	memset(mem + PG, 0, 4 * PG);
	gp(TT(0))[0] = htole64(TT(1) | TABLE);
	gp(TT(1))[0] = htole64(TT(2) | TABLE);
	gp(TT(2))[2] = htole64(TT(3) | TABLE);
	gp(TT(3))[0] = htole64(leaf);
}

/* The usual guest: CD 0 at CDTAB, tables mapping GVA -> DATA, a stage-1 vSTE attached. */
static inline uint32_t guest(uint64_t cd_bits)
{
	uint32_t h;

	cd_write(CDTAB, cd0(ASID, cd_bits), TT(0));
	s1_build(DATA | LEAF_RW);
	h = nested(ste0(SMMU_STE_CFG_S1_TRANS, SMMU_S1FMT_LINEAR, CDTAB, 0), 0);
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, h, NULL));
	return h;
}

static inline int rd(uint32_t pasid, uint64_t iova, void *b, size_t n)
{
	size_t done;

	return ioasid_sim_dma_read(ctx, dev, pasid, iova, b, n, &done);
}

static inline int wr(uint32_t pasid, uint64_t iova, const void *b, size_t n)
{
	size_t done;

	return ioasid_sim_dma_write(ctx, dev, pasid, iova, b, n, &done);
}

static inline uint32_t events(struct ioasid_vevent *ev, uint32_t cap)
{
	uint32_t n = 0;

	ck_assert_ok(ctx, ioasid_veventq_read(ctx, evq, ev, cap, &n));
	return n;
}

static inline uint64_t evw(const struct ioasid_vevent *e, unsigned int i)
{
	uint64_t w;

	memcpy(&w, e->data + 8 * i, 8);
	return le64toh(w);
}

/* Exactly one event waits: @id for the guest's stream, with @ssid (-1: none). */
static inline struct ioasid_vevent one_event(uint32_t id, int ssid)
{
	struct ioasid_vevent ev[4];
	uint32_t n = events(ev, 4);

	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(ev[0].flags, 0);
	ck_assert_uint_eq(ev[0].data_len, 32);
	ck_assert_uint_eq(evw(&ev[0], 0) & 0xff, id);
	ck_assert_uint_eq(SMMU_GET(evw(&ev[0], 0), SMMU_EVT0_SID_H, SMMU_EVT0_SID_L), VSID);
	if (ssid < 0) {
		ck_assert_uint_eq(evw(&ev[0], 0) & SMMU_EVT0_SSV, 0);
	} else {
		ck_assert_uint_ne(evw(&ev[0], 0) & SMMU_EVT0_SSV, 0);
		ck_assert_uint_eq(SMMU_GET(evw(&ev[0], 0), SMMU_EVT0_SSID_H, SMMU_EVT0_SSID_L),
				  (unsigned int)ssid);
	}
	return ev[0];
}

static inline void no_event(void)
{
	struct ioasid_vevent ev[2];

	ck_assert_uint_eq(events(ev, 2), 0);
}

/* Send commands; returns the errno, *@handled the count. */
static inline int cmds(const struct ioasid_smmuv3_cmd *c, uint32_t n, uint32_t *handled)
{
	*handled = n;
	return ioasid_viommu_invalidate(ctx, viommu, IOASID_VIOMMU_INV_ARM_SMMUV3, c, sizeof(*c),
					handled);
}

static inline struct ioasid_smmuv3_cmd cmd(uint64_t w0, uint64_t w1)
{
	struct ioasid_smmuv3_cmd c = { .cmd = { htole64(w0), htole64(w1) } };

	return c;
}

static inline void send1(uint64_t w0, uint64_t w1)
{
	struct ioasid_smmuv3_cmd c = cmd(w0, w1);
	uint32_t n;

	ck_assert_ok(ctx, cmds(&c, 1, &n));
	ck_assert_uint_eq(n, 1);
}

/* Stale hits recorded so far: the newest event's sequence number. */
static inline uint64_t stale_count(void)
{
	static struct ioasid_sim_stale_event ev[256];
	uint32_t n = 256;

	ck_assert_ok(ctx, ioasid_sim_stale_events(ctx, ev, &n));
	return n ? ev[n - 1].seq : 0;
}

#endif
