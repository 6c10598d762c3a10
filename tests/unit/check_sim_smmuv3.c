/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sim's SMMUv3 vIOMMU model (lib/backend/sim/sim-smmuv3.c): a "guest"
 * writes its CD table and stage-1 tables as descriptor bytes into its RAM
 * (the nest parent's IOAS), hands the VMM a vSTE, and the suite checks the
 * translations the sim's DMA makes, the event records on the vEVENTQ, the
 * invalidation commands with the kernel's errnos and handled counts, and
 * the stale entries a guest that forgets a command keeps.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"
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

static uint64_t *gp(uint64_t gpa)
{
	return (uint64_t *)(mem + (gpa - G));
}

/* The fixture on profile @spec. */
static void setup_spec(const char *spec)
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

static void setup(void)
{
	setup_spec("sim:smmuv3");
}

static void teardown(void)
{
	ioasid_ctx_close(ctx);
	munmap(raw, 10 * MB);
}

/* The vSTE words. */
static uint64_t ste0(unsigned int cfg, unsigned int fmt, uint64_t ctxptr, unsigned int cdmax)
{
	return SMMU_STE0_V | SMMU_PUT(cfg, SMMU_STE0_CFG_H, SMMU_STE0_CFG_L) |
	       SMMU_PUT(fmt, SMMU_STE0_S1FMT_H, SMMU_STE0_S1FMT_L) | ctxptr |
	       SMMU_PUT(cdmax, SMMU_STE0_CDMAX_H, SMMU_STE0_CDMAX_L);
}

/* A nested HWPT from vSTE (@w0, @w1); 0 and the errno in *@err on a refusal. */
static uint32_t nested_try(uint64_t w0, uint64_t w1, int *err)
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

static uint32_t nested(uint64_t w0, uint64_t w1)
{
	int err;
	uint32_t h = nested_try(w0, w1, &err);

	ck_assert_ok(ctx, err);
	return h;
}

/* CD word 0 for a 48-bit stage 1 over 48-bit IPA, ASID @asid, plus @bits. */
static uint64_t cd0(uint16_t asid, uint64_t bits)
{
	return SMMU_PUT(16, SMMU_CD0_T0SZ_H, SMMU_CD0_T0SZ_L) | SMMU_CD0_V | SMMU_CD0_AA64 |
	       SMMU_PUT(5, SMMU_CD0_IPS_H, SMMU_CD0_IPS_L) | SMMU_CD0_R | SMMU_CD0_A |
	       SMMU_PUT(asid, SMMU_CD0_ASID_H, SMMU_CD0_ASID_L) | bits;
}

static void cd_write(uint64_t at, uint64_t w0, uint64_t ttb)
{
	gp(at)[0] = htole64(w0);
	gp(at)[1] = htole64(ttb);
}

/* Stage-1 tables at TT(0..3) mapping GVA to @leaf. */
static void s1_build(uint64_t leaf)
{
	memset(mem + PG, 0, 4 * PG);
	gp(TT(0))[0] = htole64(TT(1) | TABLE);
	gp(TT(1))[0] = htole64(TT(2) | TABLE);
	gp(TT(2))[2] = htole64(TT(3) | TABLE);
	gp(TT(3))[0] = htole64(leaf);
}

/* The usual guest: CD 0 at CDTAB, tables mapping GVA -> DATA, a stage-1 vSTE attached. */
static uint32_t guest(uint64_t cd_bits)
{
	uint32_t h;

	cd_write(CDTAB, cd0(ASID, cd_bits), TT(0));
	s1_build(DATA | LEAF_RW);
	h = nested(ste0(SMMU_STE_CFG_S1_TRANS, SMMU_S1FMT_LINEAR, CDTAB, 0), 0);
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, h, NULL));
	return h;
}

static int rd(uint32_t pasid, uint64_t iova, void *b, size_t n)
{
	size_t done;

	return ioasid_sim_dma_read(ctx, dev, pasid, iova, b, n, &done);
}

static int wr(uint32_t pasid, uint64_t iova, const void *b, size_t n)
{
	size_t done;

	return ioasid_sim_dma_write(ctx, dev, pasid, iova, b, n, &done);
}

static uint32_t events(struct ioasid_vevent *ev, uint32_t cap)
{
	uint32_t n = 0;

	ck_assert_ok(ctx, ioasid_veventq_read(ctx, evq, ev, cap, &n));
	return n;
}

static uint64_t evw(const struct ioasid_vevent *e, unsigned int i)
{
	uint64_t w;

	memcpy(&w, e->data + 8 * i, 8);
	return le64toh(w);
}

/* Exactly one event waits: @id for the guest's stream, with @ssid (-1: none). */
static struct ioasid_vevent one_event(uint32_t id, int ssid)
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

static void no_event(void)
{
	struct ioasid_vevent ev[2];

	ck_assert_uint_eq(events(ev, 2), 0);
}

/* Send commands; returns the errno, *@handled the count. */
static int cmds(const struct ioasid_smmuv3_cmd *c, uint32_t n, uint32_t *handled)
{
	*handled = n;
	return ioasid_viommu_invalidate(ctx, viommu, IOASID_VIOMMU_INV_ARM_SMMUV3, c, sizeof(*c),
					handled);
}

static struct ioasid_smmuv3_cmd cmd(uint64_t w0, uint64_t w1)
{
	struct ioasid_smmuv3_cmd c = { .cmd = { htole64(w0), htole64(w1) } };

	return c;
}

static void send1(uint64_t w0, uint64_t w1)
{
	struct ioasid_smmuv3_cmd c = cmd(w0, w1);
	uint32_t n;

	ck_assert_ok(ctx, cmds(&c, 1, &n));
	ck_assert_uint_eq(n, 1);
}

/* Stale hits recorded so far: the newest event's sequence number. */
static uint64_t stale_count(void)
{
	static struct ioasid_sim_stale_event ev[256];
	uint32_t n = 256;

	ck_assert_ok(ctx, ioasid_sim_stale_events(ctx, ev, &n));
	return n ? ev[n - 1].seq : 0;
}

/* ---- the objects ---- */

START_TEST(test_viommu_rules)
{
	struct ioasid_viommu_opts vo = { .sz = sizeof(vo), .type = IOASID_VIOMMU_TEGRA241_CMDQV };
	struct ioasid_hw_queue_opts ho = { .sz = sizeof(ho),
					   .type = IOASID_HW_QUEUE_TEGRA241_CMDQV,
					   .iova = G,
					   .length = PG };
	struct ioasid_veventq_opts qo = { .sz = sizeof(qo),
					  .type = IOASID_VEVENTQ_ARM_SMMUV3,
					  .depth = 4 };
	struct ioasid_ctx *vtd;
	uint32_t x, d2, v;

	/* the Tegra241 type needs its CMDQV extension */
	ck_assert_ret(ctx, ioasid_viommu_alloc(ctx, dev, parent, &vo, &x), -EOPNOTSUPP);
	ck_assert_errmsg_has(ctx, "IOMMU_VIOMMU_TYPE_ARM_SMMUV3");
	/* asked before the HWPT, as the kernel's get_viommu_size(): not ENOENT */
	ck_assert_ret(ctx, ioasid_viommu_alloc(ctx, dev, 9999, &vo, &x), -EOPNOTSUPP);
	/* a plain SMMUv3 vIOMMU has no HW queues */
	ck_assert_ret(ctx, ioasid_hw_queue_alloc(ctx, viommu, &ho, &x), -EOPNOTSUPP);
	ck_assert_errmsg_has(ctx, "no HW queues");
	/* one queue per type (the core's EEXIST) */
	ck_assert_ret(ctx, ioasid_veventq_alloc(ctx, viommu, &qo, &x), -EEXIST);
	/* a vSID names one device; sim1 gets another */
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim1", &d2));
	ck_assert_ret(ctx, ioasid_vdevice_alloc(ctx, viommu, d2, VSID, &x), -EEXIST);
	ck_assert_ok(ctx, ioasid_vdevice_alloc(ctx, viommu, d2, 0x43, &x));
	ck_assert_ok(ctx, ioasid_vdevice_destroy(ctx, x));

	/* a VT-d profile: its driver has no vIOMMU */
	vtd = test_sim_ctx_spec("sim:vtd");
	{
		struct ioasid_hwpt_opts po = { .sz = sizeof(po), .flags = IOASID_HWPT_NEST_PARENT };
		struct ioasid_viommu_opts so = { .sz = sizeof(so), .type = 1 };
		uint32_t i2, dv, p2;

		ck_assert_ok(vtd, ioasid_ioas_alloc(vtd, &i2));
		ck_assert_ok(vtd, ioasid_dev_bind(vtd, "sim0", &dv));
		ck_assert_ok(vtd, ioasid_hwpt_alloc(vtd, dv, i2, &po, &p2));
		ck_assert_ret(vtd, ioasid_viommu_alloc(vtd, dv, p2, &so, &v), -EOPNOTSUPP);
		ck_assert_errmsg_has(vtd, "no vIOMMU");
		ck_assert_ret(vtd, ioasid_viommu_alloc(vtd, dv, 9999, &so, &v), -EOPNOTSUPP);
	}
	ioasid_ctx_close(vtd);
}
END_TEST

/* A JSON profile of model smmuv3 without stage 2: no nesting, so no vIOMMU. */
START_TEST(test_profile_without_nesting)
{
	char path[] = "/tmp/ioasid-smmuv3-flat-XXXXXX.json", spec[64];
	static const char json[] = "{ \"version\": 1, \"name\": \"smmuv3-flat\", "
				   "\"base\": \"smmuv3\", \"nesting\": false }\n";
	struct ioasid_viommu_opts vo = { .sz = sizeof(vo), .type = IOASID_VIOMMU_ARM_SMMUV3 };
	struct ioasid_ctx *flat;
	uint32_t d, v;
	int fd = mkstemps(path, 5);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, json, sizeof(json) - 1), (ssize_t)sizeof(json) - 1);
	close(fd);
	snprintf(spec, sizeof(spec), "sim:%s", path);
	flat = test_sim_ctx_spec(spec);
	unlink(path);
	ck_assert_ok(flat, ioasid_dev_bind(flat, "sim0", &d));
	ck_assert_ret(flat, ioasid_viommu_alloc(flat, d, 1, &vo, &v), -EOPNOTSUPP);
	ck_assert_errmsg_has(flat, "no nesting");
	ioasid_ctx_close(flat);
}
END_TEST

/* arm_smmu_validate_vste() and the copy before it, errno for errno. */
START_TEST(test_vste_validation)
{
	struct ioasid_hwpt_arm_smmuv3 d = { .ste = { 0, 0 } };
	uint8_t big[24] = { 0 };
	struct ioasid_hwpt_opts o = { .sz = sizeof(o),
				      .type = IOASID_HWPT_NESTED_ARM_SMMUV3,
				      .data = &d,
				      .data_len = sizeof(d) };
	const uint64_t s1 = ste0(SMMU_STE_CFG_S1_TRANS, 0, CDTAB, 0);
	uint32_t h;
	int err;

	/* allowed fields only: word 0 bit 6.. are S1ContextPtr, but bits 58:52 are not */
	nested_try(s1 | (UINT64_C(1) << 55), 0, &err);
	ck_assert_int_eq(err, -EIO);
	ck_assert_errmsg_has(ctx, "may not set");
	nested_try(s1, UINT64_C(1) << 19 /* MEV */, &err);
	ck_assert_int_eq(err, -EIO);
	/* Config: abort, bypass and stage-1 only */
	nested_try(ste0(SMMU_STE_CFG_S2_TRANS, 0, 0, 0), 0, &err);
	ck_assert_int_eq(err, -EIO);
	nested_try(ste0(SMMU_STE_CFG_NESTED, 0, 0, 0), 0, &err);
	ck_assert_int_eq(err, -EIO);
	nested_try(ste0(1, 0, 0, 0), 0, &err);
	ck_assert_int_eq(err, -EIO);
	ck_assert_errmsg_has(ctx, "Config 1");
	/* EATS 2 (S1CHK) and 3 */
	nested_try(s1, SMMU_PUT(2, SMMU_STE1_EATS_H, SMMU_STE1_EATS_L), &err);
	ck_assert_int_eq(err, -EIO);
	ck_assert_errmsg_has(ctx, "EATS 2");
	/* valid ones */
	ck_assert_uint_ne(nested(s1, SMMU_PUT(1, SMMU_STE1_EATS_H, SMMU_STE1_EATS_L) |
					     SMMU_STE1_S1STALLD | SMMU_STE1_S1CIR),
			  0);
	ck_assert_uint_ne(nested(ste0(SMMU_STE_CFG_BYPASS, 0, 0, 0), 0), 0);
	ck_assert_uint_ne(nested(ste0(SMMU_STE_CFG_ABORT, 0, 0, 0), 0), 0);
	/* V = 0: whatever else it says, an abort STE */
	ck_assert_uint_ne(nested(~SMMU_STE0_V, ~UINT64_C(0)), 0);

	/* the copy: too short is EINVAL, a longer one needs a zero tail */
	o.data_len = 8;
	ck_assert_ret(ctx, ioasid_hwpt_alloc(ctx, dev, viommu, &o, &h), -EINVAL);
	memcpy(big, &d, sizeof(d));
	big[20] = 1;
	o.data = big;
	o.data_len = sizeof(big);
	ck_assert_ret(ctx, ioasid_hwpt_alloc(ctx, dev, viommu, &o, &h), -E2BIG);
	big[20] = 0;
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, viommu, &o, &h));
	/* the data type, then the flags the driver takes */
	o.type = IOASID_HWPT_NESTED_AMD_GUEST;
	ck_assert_ret(ctx, ioasid_hwpt_alloc(ctx, dev, viommu, &o, &h), -EINVAL);
	o.type = IOASID_HWPT_NESTED_ARM_SMMUV3;
	o.flags = IOASID_HWPT_PASID;
	ck_assert_ret(ctx, ioasid_hwpt_alloc(ctx, dev, viommu, &o, &h), -EOPNOTSUPP);
}
END_TEST

/* A stage-1 vSTE needs the device's vDEVICE before the attach; abort and bypass do not. */
START_TEST(test_attach_needs_vdevice)
{
	uint32_t s1 = nested(ste0(SMMU_STE_CFG_S1_TRANS, 0, CDTAB, 0), 0);
	uint32_t byp = nested(ste0(SMMU_STE_CFG_BYPASS, 0, 0, 0), 0);
	uint32_t inv = 1;

	ck_assert_ok(ctx, ioasid_vdevice_destroy(ctx, vdev));
	ck_assert_ret(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, s1, NULL), -ENOENT);
	ck_assert_errmsg_has(ctx, "no vDEVICE");
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, byp, NULL));
	ck_assert_ok(ctx, ioasid_vdevice_alloc(ctx, viommu, dev, VSID, &vdev));
	ck_assert_ok(ctx, ioasid_dev_replace(ctx, dev, IOASID_PASID_NONE, s1, NULL));
	/* a nested HWPT on a vIOMMU is invalidated through the vIOMMU only */
	{
		struct ioasid_inv_req req = { .size = sizeof(req),
					      .version = IOASID_INV_REQ_VERSION,
					      .kind = IOASID_INV_IOTLB,
					      .granularity = IOASID_INV_ALL };
		uint64_t dropped;

		ck_assert_ret(ctx, ioasid_hwpt_invalidate(ctx, s1, &req, &inv, &dropped),
			      -EOPNOTSUPP);
	}
}
END_TEST

/* ---- translation ---- */

START_TEST(test_translate_linear)
{
	uint8_t b[8];

	guest(SMMU_CD0_HA | SMMU_CD0_HD);
	memcpy(mem + (DATA - G), "smmu-s1!", 8);
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 8));
	ck_assert_int_eq(memcmp(b, "smmu-s1!", 8), 0);
	ck_assert_ok(ctx, wr(IOASID_PASID_NONE, GVA + 8, "written", 7));
	ck_assert_int_eq(memcmp(mem + (DATA - G) + 8, "written", 7), 0);
	/* the next page of the table is empty: a translation fault, recorded for the guest */
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GVA + PG, b, 8), -EFAULT);
	ck_assert_errmsg_has(ctx, "F_TRANSLATION");
	{
		struct ioasid_vevent e = one_event(SMMU_EVT_F_TRANSLATION, -1);

		ck_assert_uint_eq(evw(&e, 2), GVA + PG);
		ck_assert_uint_ne(evw(&e, 1) & SMMU_EVT1_RNW, 0); /* a read */
		ck_assert_uint_eq(evw(&e, 1) & (SMMU_EVT1_S2 | SMMU_EVT1_PNU), 0);
		ck_assert_uint_eq(SMMU_GET(evw(&e, 1), SMMU_EVT1_CLASS_H, SMMU_EVT1_CLASS_L),
				  SMMU_EVT_CLASS_IN);
	}
	/* a block: 2 MiB at L2 index 3 */
	gp(TT(2))[3] = htole64((G + 0x200000) | SIM_ARM_VALID | SIM_ARM_AF | SIM_ARM_S1_AP1);
	memcpy(mem + 0x200000 + 0x1234, "block", 5);
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, 0x600000 + 0x1234, b, 5));
	ck_assert_int_eq(memcmp(b, "block", 5), 0);
}
END_TEST

/* Hardware access flag (CD.HA with IDR0.HTTU), and its absence. */
START_TEST(test_access_flag)
{
	uint32_t h;
	uint8_t b[4];

	cd_write(CDTAB, cd0(ASID, 0), TT(0));
	s1_build((DATA | LEAF_RW) & ~SIM_ARM_AF);
	h = nested(ste0(SMMU_STE_CFG_S1_TRANS, 0, CDTAB, 0), 0);
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, h, NULL));
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GVA, b, 4), -EFAULT);
	ck_assert_errmsg_has(ctx, "access flag");
	one_event(SMMU_EVT_F_ACCESS, -1);
	ck_assert_uint_eq(le64toh(gp(TT(3))[0]) & SIM_ARM_AF, 0);
	/* with HA the walk sets AF in guest memory (through stage 2) */
	cd_write(CDTAB, cd0(ASID, SMMU_CD0_HA), TT(0));
	send1(SMMU_CMD_CFGI_CD_ALL | SMMU_PUT(VSID, SMMU_CMD0_SID_H, SMMU_CMD0_SID_L), 0);
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
	ck_assert_uint_ne(le64toh(gp(TT(3))[0]) & SIM_ARM_AF, 0);
}
END_TEST

/* HD with HA: a write makes a writable-clean DBM leaf dirty; HA alone leaves it read-only. */
START_TEST(test_dirty_state)
{
	const uint64_t clean = DATA | LEAF_RW | SIM_ARM_DBM | SIM_ARM_S1_AP2;
	uint8_t b[4] = { 1, 2, 3, 4 };

	guest(SMMU_CD0_HA | SMMU_CD0_HD);
	gp(TT(3))[0] = htole64(clean);
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
	ck_assert_uint_eq(le64toh(gp(TT(3))[0]), clean); /* a read leaves it clean */
	ck_assert_ok(ctx, wr(IOASID_PASID_NONE, GVA, b, 4));
	ck_assert_uint_eq(le64toh(gp(TT(3))[0]) & SIM_ARM_S1_AP2, 0); /* writable-dirty now */
	/* HA only: DBM is ignored, AP[2] makes it read-only; AF is still set on a read */
	cd_write(CDTAB, cd0(ASID, SMMU_CD0_HA), TT(0));
	send1(SMMU_CMD_CFGI_CD_ALL | SMMU_PUT(VSID, SMMU_CMD0_SID_H, SMMU_CMD0_SID_L), 0);
	gp(TT(3))[0] = htole64(clean & ~SIM_ARM_AF);
	send1(SMMU_CMD_TLBI_NH_ALL, 0);
	ck_assert_ret(ctx, wr(IOASID_PASID_NONE, GVA, b, 4), -EACCES);
	one_event(SMMU_EVT_F_PERMISSION, -1);
	ck_assert_uint_eq(le64toh(gp(TT(3))[0]), clean & ~SIM_ARM_AF); /* untouched */
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
	ck_assert_uint_eq(le64toh(gp(TT(3))[0]), clean);
	/* a write to a plain writable leaf without AF: HA sets it */
	gp(TT(3))[0] = htole64((DATA | LEAF_RW) & ~SIM_ARM_AF);
	send1(SMMU_CMD_TLBI_NH_ALL, 0);
	ck_assert_ok(ctx, wr(IOASID_PASID_NONE, GVA, b, 4));
	ck_assert_uint_eq(le64toh(gp(TT(3))[0]), DATA | LEAF_RW);
}
END_TEST

/* Permission, address size, unprivileged access, and CD.R = 0. */
START_TEST(test_stage1_faults)
{
	uint8_t b[4] = { 0 };
	struct ioasid_vevent e;

	guest(0);
	/* read-only (AP[2]) */
	gp(TT(3))[0] = htole64(DATA | LEAF_RW | SIM_ARM_S1_AP2);
	ck_assert_ret(ctx, wr(IOASID_PASID_NONE, GVA, b, 4), -EACCES);
	e = one_event(SMMU_EVT_F_PERMISSION, -1);
	ck_assert_uint_eq(evw(&e, 1) & SMMU_EVT1_RNW, 0); /* a write */
	ck_assert_uint_eq(evw(&e, 2), GVA);
	/* EL1 only (AP[1] clear): an unprivileged request may not read */
	gp(TT(3))[0] = htole64((DATA | LEAF_RW) & ~SIM_ARM_S1_AP1);
	send1(SMMU_CMD_TLBI_NH_ALL, 0);
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GVA, b, 4), -EACCES);
	one_event(SMMU_EVT_F_PERMISSION, -1);
	/* an output address beyond the CD's IPS (40 bits here) */
	cd_write(CDTAB, cd0(ASID, 0) & ~SMMU_MASK(SMMU_CD0_IPS_H, SMMU_CD0_IPS_L), TT(0));
	gp(CDTAB)[0] = htole64(le64toh(gp(CDTAB)[0]) | SMMU_PUT(2, SMMU_CD0_IPS_H, SMMU_CD0_IPS_L));
	send1(SMMU_CMD_CFGI_CD | SMMU_PUT(VSID, SMMU_CMD0_SID_H, SMMU_CMD0_SID_L), 0);
	gp(TT(3))[0] = htole64((UINT64_C(1) << 41) | LEAF_RW);
	send1(SMMU_CMD_TLBI_NH_ALL, 0);
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GVA, b, 4), -EFAULT);
	one_event(SMMU_EVT_F_ADDR_SIZE, -1);
	/* CD.R clear: the fault is not recorded */
	cd_write(CDTAB, cd0(ASID, 0) & ~SMMU_CD0_R, TT(0));
	send1(SMMU_CMD_CFGI_CD | SMMU_PUT(VSID, SMMU_CMD0_SID_H, SMMU_CMD0_SID_L), 0);
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GVA + PG, b, 4), -EFAULT);
	no_event();
	/* T0SZ 39: a 25-bit input, the walk starts at level 2 (TT(2)) */
	memcpy(mem + (DATA - G), "lvl2", 4);
	gp(TT(3))[0] = htole64(DATA | LEAF_RW);
	cd_write(CDTAB, (cd0(ASID, 0) & ~SMMU_MASK(5, 0)) | 39, TT(2));
	send1(SMMU_CMD_CFGI_CD | SMMU_PUT(VSID, SMMU_CMD0_SID_H, SMMU_CMD0_SID_L), 0);
	send1(SMMU_CMD_TLBI_NH_ALL, 0);
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
	ck_assert_int_eq(memcmp(b, "lvl2", 4), 0);
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, UINT64_C(1) << 25, b, 4), -EFAULT);
	one_event(SMMU_EVT_F_TRANSLATION, -1);
	/* T0SZ 15: beyond the 4K granule's range */
	cd_write(CDTAB, (cd0(ASID, 0) & ~SMMU_MASK(5, 0)) | 15, TT(0));
	send1(SMMU_CMD_CFGI_CD | SMMU_PUT(VSID, SMMU_CMD0_SID_H, SMMU_CMD0_SID_L), 0);
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GVA + PG, b, 4), -EFAULT);
	one_event(SMMU_EVT_C_BAD_CD, -1);
	/* input beyond T0SZ (48 bits) */
	cd_write(CDTAB, cd0(ASID, 0), TT(0));
	send1(SMMU_CMD_CFGI_CD | SMMU_PUT(VSID, SMMU_CMD0_SID_H, SMMU_CMD0_SID_L), 0);
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, UINT64_C(1) << 48, b, 4), -EFAULT);
	one_event(SMMU_EVT_F_TRANSLATION, -1);
}
END_TEST

/*
 * The 16K and 64K granules (CD.TG0 2 and 1, which the smmuv3 profile's
 * IDR5 offers): 4 levels of 2048 entries, 3 of 8192, in guest memory.
 */
#define T16(n) (G + 0x200000 + (n)*0x4000ull)  /* 16K tables, our level 4 - n */
#define D16 (G + 0x300000)                     /* a 16K page */
#define T64(n) (G + 0x400000 + (n)*0x10000ull) /* 64K tables, our level 3 - n */
#define D64 (G + 0x500000)                     /* a 64K page */
#define GV16 0x1400000ull                      /* index 1280 at Arm level 3 of 16K: beyond 512 */
#define GV64 0x2400000ull                      /* index 576 at Arm level 3 of 64K */
#define TG0(g) SMMU_PUT(g, SMMU_CD0_TG0_H, SMMU_CD0_TG0_L)
#define CFGI_CD0 (SMMU_CMD_CFGI_CD | SMMU_PUT(VSID, SMMU_CMD0_SID_H, SMMU_CMD0_SID_L))

START_TEST(test_granules)
{
	uint32_t h;
	uint8_t b[4];

	/* 16K: GV16 is index 1280 of the Arm level-3 table; the read is 10 KiB into the page */
	gp(T16(0))[0] = htole64(T16(1) | TABLE);
	gp(T16(1))[0] = htole64(T16(2) | TABLE);
	gp(T16(2))[0] = htole64(T16(3) | TABLE);
	gp(T16(3))[1280] = htole64(D16 | LEAF_RW);
	memcpy(mem + (D16 - G) + 0x2abc, "g16k", 4);
	cd_write(CDTAB, cd0(ASID, TG0(2)), T16(0));
	h = nested(ste0(SMMU_STE_CFG_S1_TRANS, SMMU_S1FMT_LINEAR, CDTAB, 0), 0);
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, h, NULL));
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GV16 + 0x2abc, b, 4));
	ck_assert_int_eq(memcmp(b, "g16k", 4), 0);
	/* the page is 16K: GV16 + 16K is the next entry, not mapped */
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GV16 + 0x4000, b, 4), -EFAULT);
	one_event(SMMU_EVT_F_TRANSLATION, -1);
	/*
	 * The leaf moves; a TLBI_NH_VA names the page's first 4K only, yet
	 * the whole 16K page goes (the sim caches it in 4K pieces)
	 */
	memcpy(mem + (D16 - G) + 0x8000 + 0x2abc, "new!", 4);
	gp(T16(3))[1280] = htole64((D16 + 0x8000) | LEAF_RW);
	send1(SMMU_CMD_TLBI_NH_VA | SMMU_PUT(ASID, SMMU_CMD0_TLBI_ASID_H, SMMU_CMD0_TLBI_ASID_L),
	      GV16);
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GV16 + 0x2abc, b, 4));
	ck_assert_int_eq(memcmp(b, "new!", 4), 0);
	/* a 16K table descriptor of type block at Arm level 1 is invalid (no LPA2) */
	gp(T16(1))[0] = htole64(SIM_ARM_VALID | SIM_ARM_AF);
	send1(SMMU_CMD_TLBI_NH_ALL, 0);
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GV16, b, 4), -EFAULT);
	one_event(SMMU_EVT_F_TRANSLATION, -1);
	gp(T16(1))[0] = htole64(T16(2) | TABLE);
	/* T0SZ 39 with 16K: the walk starts at Arm level 3 (TTB0 = that table) */
	cd_write(CDTAB, (cd0(ASID, TG0(2)) & ~SMMU_MASK(5, 0)) | 39, T16(3));
	send1(CFGI_CD0, 0);
	send1(SMMU_CMD_TLBI_NH_ALL, 0);
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GV16 + 0x2abc, b, 4));
	ck_assert_int_eq(memcmp(b, "new!", 4), 0);
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, UINT64_C(1) << 25, b, 4), -EFAULT);
	one_event(SMMU_EVT_F_TRANSLATION, -1);

	/* 64K: 3 levels from Arm level 1; GV64 is index 576 of the level-3 table */
	gp(T64(0))[0] = htole64(T64(1) | TABLE);
	gp(T64(1))[0] = htole64(T64(2) | TABLE);
	gp(T64(2))[576] = htole64(D64 | LEAF_RW);
	memcpy(mem + (D64 - G) + 0xabcd, "g64k", 4);
	cd_write(CDTAB, cd0(ASID, TG0(1)), T64(0));
	send1(CFGI_CD0, 0);
	send1(SMMU_CMD_TLBI_NH_ALL, 0);
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GV64 + 0xabcd, b, 4));
	ck_assert_int_eq(memcmp(b, "g64k", 4), 0);
	/* AF clear, HA clear: an access flag fault; HA set: the SMMU sets AF in guest memory */
	gp(T64(2))[576] = htole64((D64 | LEAF_RW) & ~SIM_ARM_AF);
	send1(SMMU_CMD_TLBI_NH_ALL, 0);
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GV64 + 0xabcd, b, 4), -EFAULT);
	one_event(SMMU_EVT_F_ACCESS, -1);
	cd_write(CDTAB, cd0(ASID, TG0(1) | SMMU_CD0_HA), T64(0));
	send1(CFGI_CD0, 0);
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GV64 + 0xabcd, b, 4));
	ck_assert_uint_eq(le64toh(gp(T64(2))[576]) & SIM_ARM_AF, SIM_ARM_AF);
	/* T0SZ 34 with 64K: a 30-bit input starts at Arm level 2 (TTB0 = T64(1)) */
	cd_write(CDTAB, (cd0(ASID, TG0(1)) & ~SMMU_MASK(5, 0)) | 34, T64(1));
	send1(CFGI_CD0, 0);
	send1(SMMU_CMD_TLBI_NH_ALL, 0);
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GV64 + 0xabcd, b, 4));
	ck_assert_int_eq(memcmp(b, "g64k", 4), 0);
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, UINT64_C(1) << 30, b, 4), -EFAULT);
	one_event(SMMU_EVT_F_TRANSLATION, -1);
}
END_TEST

/* A granule IDR5 does not offer stays a bad CD. */
START_TEST(test_granule_not_offered)
{
	char path[] = "/tmp/ioasid-smmuv3-4k-XXXXXX.json", spec[64];
	static const char json[] =
		"{ \"version\": 1, \"name\": \"smmuv3-4k\", \"base\": \"smmuv3\", "
		"\"page_sizes\": [\"4K\", \"2M\", \"1G\"], \"devices\": [ { \"name\": \"sim0\", "
		"\"bdf\": \"0000:00:03.0\", \"page_sizes\": [\"4K\", \"2M\", \"1G\"] } ] }\n";
	uint8_t b[4];
	int fd = mkstemps(path, 5);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, json, sizeof(json) - 1), (ssize_t)sizeof(json) - 1);
	close(fd);
	snprintf(spec, sizeof(spec), "sim:%s", path);
	teardown();
	setup_spec(spec);
	unlink(path);
	cd_write(CDTAB, cd0(ASID, TG0(2)), T16(0));
	s1_build(DATA | LEAF_RW);
	ck_assert_ok(ctx,
		     ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE,
				       nested(ste0(SMMU_STE_CFG_S1_TRANS, 0, CDTAB, 0), 0), NULL));
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GVA, b, 4), -EFAULT);
	one_event(SMMU_EVT_C_BAD_CD, -1);
	ck_assert_errmsg_has(ctx, "IDR5.GRAN16K does not offer");
	/* the 4K granule still translates */
	cd_write(CDTAB, cd0(ASID, 0), TT(0));
	send1(CFGI_CD0, 0);
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
}
END_TEST

/*
 * Global entries (nG = 0): cached for every ASID of the VMID, kept by
 * TLBI_NH_ASID, dropped by TLBI_NH_VA whatever its ASID.
 */
START_TEST(test_global_entries)
{
	const uint64_t asid_b = SMMU_PUT(ASID + 1, SMMU_CMD0_TLBI_ASID_H, SMMU_CMD0_TLBI_ASID_L);
	uint8_t b[4];
	unsigned int global;

	guest(0);
	memcpy(mem + (DATA - G), "old!", 4);
	memcpy(mem + (DATA2 - G), "new!", 4);
	for (global = 0; global < 2; global++) {
		const uint64_t leaf = global ? LEAF_GLOBAL : LEAF_RW;

		cd_write(CDTAB, cd0(ASID, 0), TT(0));
		send1(CFGI_CD0, 0);
		gp(TT(3))[0] = htole64(DATA | leaf);
		send1(SMMU_CMD_TLBI_NH_ALL, 0);
		ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
		/* the CD moves to another ASID, the page moves, no TLBI */
		cd_write(CDTAB, cd0(ASID + 1, 0), TT(0));
		send1(CFGI_CD0, 0);
		gp(TT(3))[0] = htole64(DATA2 | leaf);
		ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
		/* only the global entry is found under the new ASID */
		ck_assert_int_eq(memcmp(b, global ? "old!" : "new!", 4), 0);
		if (!global)
			continue;
		/* TLBI by ASID, of either ASID, keeps a global entry */
		send1(SMMU_CMD_TLBI_NH_ASID | asid_b, 0);
		send1(SMMU_CMD_TLBI_NH_ASID |
			      SMMU_PUT(ASID, SMMU_CMD0_TLBI_ASID_H, SMMU_CMD0_TLBI_ASID_L),
		      0);
		ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
		ck_assert_int_eq(memcmp(b, "old!", 4), 0);
		/* TLBI by VA drops it, whatever the ASID it names */
		send1(SMMU_CMD_TLBI_NH_VA |
			      SMMU_PUT(ASID + 5, SMMU_CMD0_TLBI_ASID_H, SMMU_CMD0_TLBI_ASID_L),
		      GVA);
		ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
		ck_assert_int_eq(memcmp(b, "new!", 4), 0);
	}
}
END_TEST

/* Configuration errors: C_BAD_CD, C_BAD_SUBSTREAMID, C_BAD_STE, F_STREAM_DISABLED. */
START_TEST(test_config_faults)
{
	uint32_t h;
	uint8_t b[4];

	/* V clear */
	cd_write(CDTAB, cd0(ASID, 0) & ~SMMU_CD0_V, TT(0));
	s1_build(DATA | LEAF_RW);
	h = nested(ste0(SMMU_STE_CFG_S1_TRANS, 0, CDTAB, 0), 0);
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, h, NULL));
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GVA, b, 4), -EFAULT);
	ck_assert_errmsg_has(ctx, "C_BAD_CD");
	one_event(SMMU_EVT_C_BAD_CD, -1);
	/* AArch32 and a reserved TG0 are bad CDs too */
	cd_write(CDTAB, cd0(ASID, 0) & ~SMMU_CD0_AA64, TT(0));
	send1(SMMU_CMD_CFGI_CD_ALL | SMMU_PUT(VSID, SMMU_CMD0_SID_H, SMMU_CMD0_SID_L), 0);
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GVA, b, 4), -EFAULT);
	one_event(SMMU_EVT_C_BAD_CD, -1);
	cd_write(CDTAB, cd0(ASID, SMMU_PUT(3, SMMU_CD0_TG0_H, SMMU_CD0_TG0_L)), TT(0));
	send1(SMMU_CMD_CFGI_CD_ALL | SMMU_PUT(VSID, SMMU_CMD0_SID_H, SMMU_CMD0_SID_L), 0);
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GVA, b, 4), -EFAULT);
	one_event(SMMU_EVT_C_BAD_CD, -1);
	cd_write(CDTAB, cd0(ASID, 0), TT(0));
	send1(SMMU_CMD_CFGI_CD_ALL | SMMU_PUT(VSID, SMMU_CMD0_SID_H, SMMU_CMD0_SID_L), 0);
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
	/* a substream on a single-CD STE */
	ck_assert_ret(ctx, rd(3, GVA, b, 4), -EFAULT);
	ck_assert_errmsg_has(ctx, "C_BAD_SUBSTREAMID");
	one_event(SMMU_EVT_C_BAD_SUBSTREAMID, 3);

	/* S1CDMax 2 (4 CDs), S1DSS terminate: no-SSID traffic is F_STREAM_DISABLED */
	h = nested(ste0(SMMU_STE_CFG_S1_TRANS, 0, CDTAB, 2), 0);
	ck_assert_ok(ctx, ioasid_dev_replace(ctx, dev, IOASID_PASID_NONE, h, NULL));
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GVA, b, 4), -EFAULT);
	one_event(SMMU_EVT_F_STREAM_DISABLED, -1);
	ck_assert_ret(ctx, rd(4, GVA, b, 4), -EFAULT); /* SSID 4 >= 2^2 */
	one_event(SMMU_EVT_C_BAD_SUBSTREAMID, 4);
	/* S1CDMax above IDR1.SSIDSIZE (20): C_BAD_STE */
	h = nested(ste0(SMMU_STE_CFG_S1_TRANS, 0, CDTAB, 21), 0);
	ck_assert_ok(ctx, ioasid_dev_replace(ctx, dev, IOASID_PASID_NONE, h, NULL));
	ck_assert_ret(ctx, rd(1, GVA, b, 4), -EFAULT);
	one_event(SMMU_EVT_C_BAD_STE, 1);
	/* an abort vSTE terminates silently */
	h = nested(ste0(SMMU_STE_CFG_ABORT, 0, 0, 0), 0);
	ck_assert_ok(ctx, ioasid_dev_replace(ctx, dev, IOASID_PASID_NONE, h, NULL));
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GVA, b, 4), -EFAULT);
	ck_assert_errmsg_has(ctx, "aborts");
	no_event();
}
END_TEST

/* Bypass: stage 2 only; S1DSS bypass and SSID0 for traffic without SSID. */
START_TEST(test_bypass_and_s1dss)
{
	uint32_t h;
	uint8_t b[5];

	memcpy(mem + 0x6000, "gpa3k", 5);
	h = nested(ste0(SMMU_STE_CFG_BYPASS, 0, 0, 0), 0);
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, h, NULL));
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, G + 0x6000, b, 5));
	ck_assert_int_eq(memcmp(b, "gpa3k", 5), 0);
	/* the parent does not map below G: the host's stage-2 fault, no guest event */
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, 0x1000, b, 5), -EFAULT);
	ck_assert_errmsg_has(ctx, "stage 2");
	no_event();

	/* S1CDMax 1, S1DSS bypass: no SSID is stage 2 only, SSID 1 uses CD 1 */
	cd_write(CDTAB + SMMU_CD_SIZE, cd0(9, 0), TT(0));
	s1_build(DATA | LEAF_RW);
	memcpy(mem + (DATA - G), "viacd", 5);
	h = nested(ste0(SMMU_STE_CFG_S1_TRANS, 0, CDTAB, 1),
		   SMMU_PUT(SMMU_S1DSS_BYPASS, SMMU_STE1_S1DSS_H, SMMU_STE1_S1DSS_L));
	ck_assert_ok(ctx, ioasid_dev_replace(ctx, dev, IOASID_PASID_NONE, h, NULL));
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, G + 0x6000, b, 5));
	ck_assert_int_eq(memcmp(b, "gpa3k", 5), 0);
	ck_assert_ok(ctx, rd(1, GVA, b, 5));
	ck_assert_int_eq(memcmp(b, "viacd", 5), 0);
	/* S1DSS SSID0: no SSID uses CD 0, and SSID 0 itself is refused */
	cd_write(CDTAB, cd0(8, 0), TT(0));
	h = nested(ste0(SMMU_STE_CFG_S1_TRANS, 0, CDTAB, 1),
		   SMMU_PUT(SMMU_S1DSS_SSID0, SMMU_STE1_S1DSS_H, SMMU_STE1_S1DSS_L));
	ck_assert_ok(ctx, ioasid_dev_replace(ctx, dev, IOASID_PASID_NONE, h, NULL));
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 5));
	ck_assert_int_eq(memcmp(b, "viacd", 5), 0);
	ck_assert_ret(ctx, rd(0, GVA, b, 5), -EFAULT);
	one_event(SMMU_EVT_C_BAD_SUBSTREAMID, 0);
}
END_TEST

/* 2-level CD tables: 64 KiB leaves (Linux's) and 4 KiB leaves; a missing L1 entry. */
START_TEST(test_cd_two_level)
{
	const uint64_t l1 = G + 0x10000, l2 = G + 0x200000, l2b = G + 0x20000;
	uint32_t h;
	uint8_t b[4];

	s1_build(DATA | LEAF_RW);
	memcpy(mem + (DATA - G), "2lvl", 4);
	/* SSID 1029 = L1 index 1, CD 5 of a 1024-CD leaf */
	gp(l1)[1] = htole64(l2 | SMMU_L1CD_V);
	cd_write(l2 + 5 * SMMU_CD_SIZE, cd0(11, 0), TT(0));
	h = nested(ste0(SMMU_STE_CFG_S1_TRANS, SMMU_S1FMT_64K_L2, l1, 12), 0);
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, h, NULL));
	ck_assert_ok(ctx, rd(1029, GVA, b, 4));
	ck_assert_int_eq(memcmp(b, "2lvl", 4), 0);
	/* SSID 5 = L1 index 0, not valid */
	ck_assert_ret(ctx, rd(5, GVA, b, 4), -EFAULT);
	one_event(SMMU_EVT_C_BAD_SUBSTREAMID, 5);
	/* 4 KiB leaves: SSID 70 = L1 index 1, CD 6 */
	gp(l1)[1] = htole64(l2b | SMMU_L1CD_V);
	cd_write(l2b + 6 * SMMU_CD_SIZE, cd0(12, 0), TT(0));
	h = nested(ste0(SMMU_STE_CFG_S1_TRANS, SMMU_S1FMT_4K_L2, l1, 12), 0);
	ck_assert_ok(ctx, ioasid_dev_replace(ctx, dev, IOASID_PASID_NONE, h, NULL));
	ck_assert_ok(ctx, rd(70, GVA, b, 4));
	ck_assert_int_eq(memcmp(b, "2lvl", 4), 0);
}
END_TEST

/* Every stage-1 table access goes through stage 2: a table outside the parent's map. */
START_TEST(test_table_through_stage2)
{
	uint8_t b[4];

	guest(0);
	/* L1 table pointer to an IPA the parent does not map */
	gp(TT(0))[0] = htole64(0x1000 | TABLE);
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GVA, b, 4), -EFAULT);
	ck_assert_errmsg_has(ctx, "stage-1 table fetch");
	no_event(); /* stage 2 is the host's */
	{
		struct ioasid_fault f[2];
		uint32_t n = 2;

		ck_assert_ok(ctx, ioasid_fault_unrouted(ctx, f, &n));
		ck_assert_uint_eq(n, 1);
	}
	/* a CD table outside it */
	cd_write(CDTAB, cd0(ASID, 0), TT(0));
	s1_build(DATA | LEAF_RW);
	{
		uint32_t h = nested(ste0(SMMU_STE_CFG_S1_TRANS, 0, 0x2000, 0), 0);

		ck_assert_ok(ctx, ioasid_dev_replace(ctx, dev, IOASID_PASID_NONE, h, NULL));
	}
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GVA, b, 4), -EFAULT);
	ck_assert_errmsg_has(ctx, "a CD fetch");
	no_event();
}
END_TEST

/* ---- caches and invalidation ---- */

/* A leaf moved without TLBI keeps its stale translation until the right command. */
START_TEST(test_tlb_stale_until_tlbi)
{
	static const struct {
		uint64_t w0, w1;
	} inv[] = {
		{ SMMU_CMD_TLBI_NH_VA | SMMU_PUT(ASID, SMMU_CMD0_TLBI_ASID_H, SMMU_CMD0_TLBI_ASID_L),
		  GVA | SMMU_CMD1_TLBI_LEAF },
		{ SMMU_CMD_TLBI_NH_VAA, GVA },
		{ SMMU_CMD_TLBI_NH_ASID |
			  SMMU_PUT(ASID, SMMU_CMD0_TLBI_ASID_H, SMMU_CMD0_TLBI_ASID_L),
		  0 },
		{ SMMU_CMD_TLBI_NH_ALL, 0 },
		{ SMMU_CMD_TLBI_NSNH_ALL, 0 },
		/* a range: 2 pages of 4K from GVA (TG 1, NUM 1, SCALE 0) */
		{ SMMU_CMD_TLBI_NH_VA | SMMU_PUT(ASID, SMMU_CMD0_TLBI_ASID_H, SMMU_CMD0_TLBI_ASID_L) |
			  SMMU_PUT(1, SMMU_CMD0_TLBI_NUM_H, SMMU_CMD0_TLBI_NUM_L),
		  GVA | SMMU_PUT(1, SMMU_CMD1_TLBI_TG_H, SMMU_CMD1_TLBI_TG_L) },
	};
	uint8_t b[4];
	unsigned int i;

	guest(0);
	memcpy(mem + (DATA - G), "old!", 4);
	memcpy(mem + (DATA2 - G), "new!", 4);
	for (i = 0; i < sizeof(inv) / sizeof(inv[0]); i++) {
		uint64_t before;

		gp(TT(3))[0] = htole64(DATA | LEAF_RW);
		send1(SMMU_CMD_TLBI_NH_ALL, 0);
		ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
		ck_assert_int_eq(memcmp(b, "old!", 4), 0);
		/* the guest moves the page and forgets the TLBI */
		gp(TT(3))[0] = htole64(DATA2 | LEAF_RW);
		before = stale_count();
		ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
		ck_assert_msg(memcmp(b, "old!", 4) == 0, "command %u: not stale before it", i);
		ck_assert_uint_eq(stale_count(), before + 1);
		/* a TLBI of another ASID or address changes nothing */
		send1(SMMU_CMD_TLBI_NH_ASID |
			      SMMU_PUT(ASID + 1, SMMU_CMD0_TLBI_ASID_H, SMMU_CMD0_TLBI_ASID_L),
		      0);
		send1(SMMU_CMD_TLBI_NH_VAA, GVA + 0x10000);
		ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
		ck_assert_int_eq(memcmp(b, "old!", 4), 0);
		send1(inv[i].w0, inv[i].w1);
		ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
		ck_assert_msg(memcmp(b, "new!", 4) == 0, "command %u did not invalidate", i);
	}
	/* strict mode refuses the stale entry instead */
	ck_assert_ok(ctx, ioasid_sim_set_stale_mode(ctx, IOASID_SIM_STALE_STRICT));
	gp(TT(3))[0] = htole64(DATA | LEAF_RW);
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GVA, b, 4), -EIO);
}
END_TEST

/* A CD changed without CFGI_CD: the CD cache keeps the old one, even after a TLBI. */
START_TEST(test_cd_cache_stale_until_cfgi)
{
	const uint64_t tt2 = G + 0x30000; /* a second set of tables, L0..L3 */
	uint8_t b[4];
	uint32_t vsid = VSID;

	guest(0);
	memcpy(mem + (DATA - G), "cd-A", 4);
	memcpy(mem + (DATA2 - G), "cd-B", 4);
	gp(tt2)[0] = htole64((tt2 + PG) | TABLE);
	gp(tt2 + PG)[0] = htole64((tt2 + 2 * PG) | TABLE);
	gp(tt2 + 2 * PG)[2] = htole64((tt2 + 3 * PG) | TABLE);
	gp(tt2 + 3 * PG)[0] = htole64(DATA2 | LEAF_RW);
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
	ck_assert_int_eq(memcmp(b, "cd-A", 4), 0);
	/* new TTB0 and ASID, no CFGI_CD; a TLBI of everything */
	cd_write(CDTAB, cd0(ASID + 1, 0), tt2);
	send1(SMMU_CMD_TLBI_NH_ALL, 0);
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
	ck_assert_int_eq(memcmp(b, "cd-A", 4), 0);
	/* CFGI_CD of another SSID, or of an unknown vSID, does not help */
	send1(SMMU_CMD_CFGI_CD | SMMU_PUT(vsid, SMMU_CMD0_SID_H, SMMU_CMD0_SID_L) |
		      SMMU_PUT(1, SMMU_CMD0_SSID_H, SMMU_CMD0_SSID_L),
	      0);
	send1(SMMU_CMD_TLBI_NH_ALL, 0);
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
	ck_assert_int_eq(memcmp(b, "cd-A", 4), 0);
	send1(SMMU_CMD_CFGI_CD | SMMU_PUT(vsid, SMMU_CMD0_SID_H, SMMU_CMD0_SID_L), 0);
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
	ck_assert_int_eq(memcmp(b, "cd-B", 4), 0);
}
END_TEST

/* ATS: the ATC keeps a translation after a TLBI until ATC_INV. */
START_TEST(test_atc_needs_atc_inv)
{
	uint32_t h;
	uint8_t b[4];

	cd_write(CDTAB, cd0(ASID, 0), TT(0));
	s1_build(DATA | LEAF_RW);
	memcpy(mem + (DATA - G), "atc1", 4);
	memcpy(mem + (DATA2 - G), "atc2", 4);
	h = nested(ste0(SMMU_STE_CFG_S1_TRANS, 0, CDTAB, 0),
		   SMMU_PUT(SMMU_EATS_TRANS, SMMU_STE1_EATS_H, SMMU_STE1_EATS_L));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, h, NULL));
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
	gp(TT(3))[0] = htole64(DATA2 | LEAF_RW);
	send1(SMMU_CMD_TLBI_NH_ALL, 0);
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
	ck_assert_int_eq(memcmp(b, "atc1", 4), 0);
	/* ATC_INV of the whole space (size 52) for the vSID, no SSID */
	send1(SMMU_CMD_ATC_INV | SMMU_PUT(VSID, SMMU_CMD0_SID_H, SMMU_CMD0_SID_L),
	      SMMU_PUT(52, SMMU_CMD1_ATC_SIZE_H, SMMU_CMD1_ATC_SIZE_L));
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
	ck_assert_int_eq(memcmp(b, "atc2", 4), 0);
	/* a 4 KiB ATC_INV at the address works as well */
	gp(TT(3))[0] = htole64(DATA | LEAF_RW);
	send1(SMMU_CMD_TLBI_NH_ALL, 0);
	send1(SMMU_CMD_ATC_INV | SMMU_PUT(VSID, SMMU_CMD0_SID_H, SMMU_CMD0_SID_L), GVA);
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
	ck_assert_int_eq(memcmp(b, "atc1", 4), 0);
}
END_TEST

/* arm_vsmmu_cache_invalidate()'s errnos and handled counts. */
START_TEST(test_invalidate_errnos)
{
	struct ioasid_smmuv3_cmd c[3];
	uint8_t wide[2][24];
	uint32_t n;
	uint8_t b[4];

	guest(0);
	/* the data type first, then no entries */
	c[0] = cmd(SMMU_CMD_TLBI_NH_ALL, 0);
	n = 1;
	ck_assert_ret(ctx, ioasid_viommu_invalidate(ctx, viommu, 2, c, 16, &n), -EINVAL);
	ck_assert_uint_eq(n, 0);
	n = 0;
	ck_assert_ret(ctx,
		      ioasid_viommu_invalidate(ctx, viommu, IOASID_VIOMMU_INV_ARM_SMMUV3, c, 16, &n),
		      -EINVAL);
	ck_assert_errmsg_has(ctx, "empty");
	/* a command the vIOMMU does not forward, at index 1 */
	c[1] = cmd(SMMU_CMD_SYNC, 0);
	c[2] = cmd(SMMU_CMD_TLBI_NH_ALL, 0);
	ck_assert_ret(ctx, cmds(c, 3, &n), -EIO);
	ck_assert_uint_eq(n, 1);
	ck_assert_errmsg_has(ctx, "opcode 0x46");
	c[1] = cmd(SMMU_CMD_CFGI_STE | SMMU_PUT(VSID, SMMU_CMD0_SID_H, SMMU_CMD0_SID_L), 0);
	ck_assert_ret(ctx, cmds(c, 3, &n), -EIO);
	ck_assert_uint_eq(n, 1);
	c[1] = cmd(SMMU_CMD_TLBI_S12_VMALL, 0);
	ck_assert_ret(ctx, cmds(c, 3, &n), -EIO);
	/* a vSID no vDEVICE has */
	c[1] = cmd(SMMU_CMD_CFGI_CD_ALL | SMMU_PUT(0x99, SMMU_CMD0_SID_H, SMMU_CMD0_SID_L), 0);
	ck_assert_ret(ctx, cmds(c, 3, &n), -EIO);
	ck_assert_uint_eq(n, 1);
	ck_assert_errmsg_has(ctx, "vSID 0x99");
	/* longer entries need a zero tail, checked before any command runs */
	memset(wide, 0, sizeof(wide));
	memcpy(wide[0], &c[0], 16);
	memcpy(wide[1], &c[2], 16);
	wide[1][17] = 1;
	n = 2;
	ck_assert_ret(ctx,
		      ioasid_viommu_invalidate(ctx, viommu, IOASID_VIOMMU_INV_ARM_SMMUV3, wide, 24,
					       &n),
		      -E2BIG);
	ck_assert_uint_eq(n, 0);
	wide[1][17] = 0;
	n = 2;
	ck_assert_ok(ctx, ioasid_viommu_invalidate(ctx, viommu, IOASID_VIOMMU_INV_ARM_SMMUV3, wide,
						   24, &n));
	ck_assert_uint_eq(n, 2);
	/* a shorter entry is zero-extended: 8 bytes of NH_ALL */
	n = 1;
	ck_assert_ok(ctx,
		     ioasid_viommu_invalidate(ctx, viommu, IOASID_VIOMMU_INV_ARM_SMMUV3, c, 8, &n));
	ck_assert_uint_eq(n, 1);

	/* the kernel's batch: a refused command leaves the ones before it in its batch unissued */
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
	memcpy(mem + (DATA2 - G), "moved", 4);
	gp(TT(3))[0] = htole64(DATA2 | LEAF_RW);
	c[0] = cmd(SMMU_CMD_TLBI_NH_ALL, 0);
	c[1] = cmd(SMMU_CMD_SYNC, 0);
	ck_assert_ret(ctx, cmds(c, 2, &n), -EIO);
	ck_assert_uint_eq(n, 1);
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
	ck_assert_int_ne(memcmp(b, "move", 4), 0); /* still the old page */
}
END_TEST

/* The vEVENTQ: sequence numbers, LOST_EVENTS at overflow, the fd's readiness. */
START_TEST(test_veventq_overflow)
{
	struct ioasid_veventq_opts qo = { .sz = sizeof(qo),
					  .type = IOASID_VEVENTQ_ARM_SMMUV3,
					  .depth = 2 };
	struct ioasid_veventq_stats st = { .sz = sizeof(st) };
	struct ioasid_vevent ev[8];
	struct pollfd pfd = { .events = POLLIN };
	uint8_t b[4];
	uint32_t n, i;

	ck_assert_ok(ctx, ioasid_veventq_destroy(ctx, evq));
	ck_assert_ok(ctx, ioasid_veventq_alloc(ctx, viommu, &qo, &evq));
	ck_assert_ok(ctx, ioasid_veventq_fd(ctx, evq, &pfd.fd));
	guest(0);
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	for (i = 0; i < 4; i++)
		ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GVA + (i + 1) * PG, b, 4), -EFAULT);
	ck_assert_int_eq(poll(&pfd, 1, 0), 1);
	n = events(ev, 8);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(ev[0].sequence, 0);
	ck_assert_uint_eq(ev[1].sequence, 1);
	ck_assert_uint_eq(evw(&ev[1], 2), GVA + 2 * PG);
	ck_assert_uint_eq(ev[2].flags, IOASID_VEVENT_LOST_EVENTS);
	ck_assert_uint_eq(ev[2].sequence, 3);
	ck_assert_uint_eq(ev[2].data_len, 0);
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	/* the next one continues the numbering */
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GVA + 9 * PG, b, 4), -EFAULT);
	ck_assert_uint_eq(events(ev, 8), 1);
	ck_assert_uint_eq(ev[0].sequence, 4);
	ck_assert_ok(ctx, ioasid_veventq_stats(ctx, evq, &st));
	ck_assert_uint_eq(st.read, 3);
	ck_assert_uint_eq(st.lost_marks, 1);
	ck_assert_uint_eq(st.seq_gaps, 1); /* 2 was lost; the mark carries 3 */
	/* a full queue whose mark is followed by a record: the mark goes, the gap stays */
	for (i = 0; i < 3; i++)
		ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GVA + (i + 1) * PG, b, 4), -EFAULT);
	ck_assert_uint_eq(events(ev, 1), 1);
	ck_assert_uint_eq(ev[0].sequence, 5);
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GVA + 5 * PG, b, 4), -EFAULT);
	n = events(ev, 8);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(ev[0].sequence, 6);
	ck_assert_uint_eq(ev[1].sequence, 8);
	ck_assert_uint_eq(ev[1].flags, 0);
	ck_assert_ok(ctx, ioasid_veventq_stats(ctx, evq, &st));
	ck_assert_uint_eq(st.seq_gaps, 2);
}
END_TEST

/* A stage-2 unmap by the VMM flushes the VM's stage-1 entries (the kernel's nest-parent flush). */
START_TEST(test_stage2_unmap_flushes)
{
	uint8_t b[4];

	guest(0);
	ck_assert_ok(ctx, rd(IOASID_PASID_NONE, GVA, b, 4));
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas, G, 8 * MB, NULL));
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GVA, b, 4), -EFAULT);
	ck_assert_errmsg_has(ctx, "stage 2");
}
END_TEST

/*
 * A PRI device on a nested HWPT with a fault queue: Linux 7.2's SMMUv3 takes
 * no page requests from it (arm_smmu_handle_ppr() logs and denies them; the
 * driver takes stalls only: check_sim_smmuv3_stall.c). The fault ends the
 * DMA and is the guest's event.
 */
START_TEST(test_pri_no_page_requests)
{
	struct ioasid_set_opts so = { .sz = sizeof(so), .max_pasids = 4, .max_ioas = 4 };
	struct ioasid_fault_queue_opts fo = { .sz = sizeof(fo), .depth = 8 };
	struct ioasid_hwpt_arm_smmuv3 d = {
		.ste = { htole64(ste0(SMMU_STE_CFG_S1_TRANS, 0, CDTAB, 0)), 0 }
	};
	struct ioasid_hwpt_opts o = { .sz = sizeof(o),
				      .type = IOASID_HWPT_NESTED_ARM_SMMUV3,
				      .flags = IOASID_HWPT_FAULT_ID_VALID,
				      .data = &d,
				      .data_len = sizeof(d) };
	struct ioasid_fault f[4];
	uint32_t q, h, n = 4;
	uint8_t b[8];

	ck_assert_ok(ctx, ioasid_set_alloc(ctx, &so, &fo.set));
	ck_assert_ok(ctx, ioasid_fault_queue_alloc(ctx, &fo, &q));
	o.fault_queue = q;
	/* the guest even asks for stalls (CD.S): sim0 is no stall-enabled master */
	cd_write(CDTAB, cd0(ASID, SMMU_CD0_S), TT(0));
	s1_build(DATA | LEAF_RW);
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, viommu, &o, &h));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, h, NULL));
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GVA + PG, b, 8), -EFAULT);
	one_event(SMMU_EVT_F_TRANSLATION, -1);
	ck_assert_ok(ctx, ioasid_fault_read(ctx, q, f, &n));
	for (uint32_t i = 0; i < n; i++)
		ck_assert_uint_eq(f[i].flags & IOASID_FAULT_F_PAGE_REQ, 0);
	/* a configuration error is never a page request either */
	cd_write(CDTAB, cd0(ASID, 0) & ~SMMU_CD0_V, TT(0));
	send1(SMMU_CMD_CFGI_CD_ALL | SMMU_PUT(VSID, SMMU_CMD0_SID_H, SMMU_CMD0_SID_L), 0);
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GVA + 2 * PG, b, 8), -EFAULT);
	one_event(SMMU_EVT_C_BAD_CD, -1);
}
END_TEST

/*
 * The vSID of an event is the one the device had at attach (the kernel's
 * vmaster): destroying the vDEVICE afterwards does not silence or rename
 * the device's events until the next attach or detach.
 */
START_TEST(test_event_vsid_from_attach)
{
	uint8_t b[4];

	guest(0);
	ck_assert_ok(ctx, ioasid_vdevice_destroy(ctx, vdev));
	vdev = 0;
	ck_assert_ret(ctx, rd(IOASID_PASID_NONE, GVA + 8 * PG, b, 4), -EFAULT);
	one_event(SMMU_EVT_F_TRANSLATION, -1);
	/* detached, the device has no vmaster any more: nothing is reported */
	ck_assert_ok(ctx, ioasid_dev_detach(ctx, dev, IOASID_PASID_NONE));
	ck_assert_int_lt(rd(IOASID_PASID_NONE, GVA, b, 4), 0);
	no_event();
}
END_TEST

Suite *sim_smmuv3_suite(void)
{
	Suite *s = suite_create("sim_smmuv3");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_viommu_rules);
	tcase_add_test(tc, test_profile_without_nesting);
	tcase_add_test(tc, test_vste_validation);
	tcase_add_test(tc, test_attach_needs_vdevice);
	tcase_add_test(tc, test_translate_linear);
	tcase_add_test(tc, test_access_flag);
	tcase_add_test(tc, test_dirty_state);
	tcase_add_test(tc, test_stage1_faults);
	tcase_add_test(tc, test_config_faults);
	tcase_add_test(tc, test_granules);
	tcase_add_test(tc, test_granule_not_offered);
	tcase_add_test(tc, test_global_entries);
	tcase_add_test(tc, test_bypass_and_s1dss);
	tcase_add_test(tc, test_cd_two_level);
	tcase_add_test(tc, test_table_through_stage2);
	tcase_add_test(tc, test_tlb_stale_until_tlbi);
	tcase_add_test(tc, test_cd_cache_stale_until_cfgi);
	tcase_add_test(tc, test_atc_needs_atc_inv);
	tcase_add_test(tc, test_invalidate_errnos);
	tcase_add_test(tc, test_veventq_overflow);
	tcase_add_test(tc, test_stage2_unmap_flushes);
	tcase_add_test(tc, test_pri_no_page_requests);
	tcase_add_test(tc, test_event_vsid_from_attach);
	suite_add_tcase(s, tc);
	return s;
}
