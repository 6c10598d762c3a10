/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sim's SMMUv3 vIOMMU model, its caches and events: a guest that
 * forgets an invalidation command keeps its stale entries until the right
 * one (TLBI, CFGI, ATC_INV), the commands' errnos and handled counts, the
 * vEVENTQ's overflow, and which faults become event records. The fixture
 * is smmuv3-fixture.h, shared with check_sim_smmuv3.c.
 */
#include "smmuv3-fixture.h"
#include "suites.h"

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

Suite *sim_smmuv3_cache_suite(void)
{
	Suite *s = suite_create("sim_smmuv3_cache");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
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
