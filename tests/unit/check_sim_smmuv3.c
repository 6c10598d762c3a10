/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sim's SMMUv3 vIOMMU model (lib/backend/sim/sim-smmuv3.c): a "guest"
 * writes its CD table and stage-1 tables as descriptor bytes into its RAM
 * (the nest parent's IOAS), hands the VMM a vSTE, and the suite checks the
 * vIOMMU objects' rules and the translations the sim's DMA makes (the
 * faults they raise included). Caches, invalidation commands and the
 * vEVENTQ are check_sim_smmuv3_cache.c; stalls check_sim_smmuv3_stall.c;
 * the fixture the first two share is smmuv3-fixture.h.
 */
#include "smmuv3-fixture.h"
#include "suites.h"

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
	suite_add_tcase(s, tc);
	return s;
}
