/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sim's first-stage permission checks (docs/sim-first-stage.md): the
 * request attributes of ioasid_sim_dma_flags(), U/S for user-mode
 * requests, the PASID entry's SRE, WPE and ERE, and the fault records
 * such requests raise (IOASID_FAULT_F_PRIV / F_EXEC).
 */
#include "nested-fixture.h"
#include "suites.h"

#define PRIV IOASID_SIM_DMA_PRIV
#define EXEC IOASID_SIM_DMA_EXEC
#define WR IOASID_SIM_DMA_WRITE

/* The one unrouted record a refused request left, checked for @flags and reason. */
static void expect_unrouted(uint32_t flags, uint32_t reason)
{
	struct ioasid_fault f[4];
	uint32_t n = 4;

	ck_assert_ok(nf_ctx, ioasid_fault_unrouted(nf_ctx, f, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(f[0].reason, reason);
	ck_assert_uint_eq(f[0].flags & (IOASID_FAULT_F_READ | IOASID_FAULT_F_WRITE |
					IOASID_FAULT_F_EXEC | IOASID_FAULT_F_PRIV),
			  flags);
}

START_TEST(test_dma_flags_checked)
{
	uint8_t b[8];
	size_t done = 1;
	uint64_t h;

	ck_assert_int_eq(ioasid_sim_dma_flags(nf_ctx, nf_dev, 1, 0, b, 8, 0x8, &done), -EINVAL);
	ck_assert_errmsg_has(nf_ctx, "flags 0x8");
	ck_assert_uint_eq(done, 0);
	ck_assert_int_eq(ioasid_sim_dma_flags(nf_ctx, nf_dev, IOASID_PASID_NONE, 0, b, 8, PRIV,
					      &done),
			 -EINVAL);
	ck_assert_errmsg_has(nf_ctx, "a privileged request needs a PASID");
	ck_assert_int_eq(ioasid_sim_dma_submit_flags(nf_ctx, nf_dev, IOASID_PASID_NONE, 0, b, 8,
						     EXEC, &h, &done),
			 -EINVAL);
	ck_assert_errmsg_has(nf_ctx, "an execute request needs a PASID");
	ck_assert_int_eq(ioasid_sim_dma_flags(nf_ctx, nf_dev, 1, 0, b, 8, EXEC | WR, &done),
			 -EINVAL);
	ck_assert_errmsg_has(nf_ctx, "is a read");
	/* nothing was issued: no fault anywhere */
	{
		struct ioasid_fault f[1];
		uint32_t n = 1;

		ck_assert_ok(nf_ctx, ioasid_fault_unrouted(nf_ctx, f, &n));
		ck_assert_uint_eq(n, 0);
	}
}
END_TEST

/* Requests without PASID are user-mode: the first stage must grant U/S everywhere. */
START_TEST(test_user_requests_need_us)
{
	uint32_t nested;
	uint8_t b[4];
	size_t done;

	nested = nf_nested(nf_parent(0, 1), 0, 0, 0);
	nf_build_s1(SIM_FL_P | SIM_FL_RW, NF_DATA | NF_URW); /* U/S clear above the PT */
	ck_assert_ok(nf_ctx, ioasid_dev_attach(nf_ctx, nf_dev, IOASID_PASID_NONE, nested, NULL));
	ck_assert_int_eq(ioasid_sim_dma_read(nf_ctx, nf_dev, IOASID_PASID_NONE, NF_GVA, b, 4, &done),
			 -EACCES);
	ck_assert_errmsg_has(nf_ctx, "U/S is clear for a user-mode request");
	expect_unrouted(IOASID_FAULT_F_READ, IOASID_FAULT_R_PERMISSION);
	/* nothing was set by the refused walk */
	ck_assert_uint_eq(nf_table(4)[0] & SIM_FL_A, 0);
	nf_table(4)[0] |= SIM_FL_US;
	nf_table(3)[0] |= SIM_FL_US;
	nf_table(2)[2] |= SIM_FL_US;
	memcpy(nf_mem + 0x100000, "user", 4);
	ck_assert_ok(nf_ctx,
		     ioasid_sim_dma_read(nf_ctx, nf_dev, IOASID_PASID_NONE, NF_GVA, b, 4, &done));
	ck_assert_int_eq(memcmp(b, "user", 4), 0);
}
END_TEST

START_TEST(test_privileged_requests)
{
	uint32_t parent = nf_parent(0, 1), plain, sre, sre_wpe, paging, pasid;
	struct ioasid_attach_opts ao = { .sz = sizeof(ao), .set = nf_set };
	uint8_t b[4];
	size_t done;

	/* a supervisor-only, read-only page (U/S and R/W clear in the leaf) */
	nf_build_s1(NF_URW, NF_DATA | SIM_FL_P);
	memcpy(nf_mem + 0x100000, "kern", 4);
	plain = nf_nested(parent, 0, IOASID_HWPT_PASID, 0);
	pasid = nf_attach_pasid(plain);
	ck_assert_int_eq(ioasid_sim_dma_read(nf_ctx, nf_dev, pasid, NF_GVA, b, 4, &done), -EACCES);
	ck_assert_errmsg_has(nf_ctx, "U/S is clear");
	expect_unrouted(IOASID_FAULT_F_READ, IOASID_FAULT_R_PERMISSION);
	/* no SRE: the PASID entry refuses privileged requests (VT-d 0x5d) */
	ck_assert_int_eq(ioasid_sim_dma_flags(nf_ctx, nf_dev, pasid, NF_GVA, b, 4, PRIV, &done),
			 -EACCES);
	ck_assert_errmsg_has(nf_ctx, "SRE is clear");
	expect_unrouted(IOASID_FAULT_F_READ | IOASID_FAULT_F_PRIV, IOASID_FAULT_R_PERMISSION);

	/* SRE without WPE: supervisor mode reads it, and writes it though it is read-only */
	sre = nf_nested(parent, IOASID_VTD_S1_SRE, IOASID_HWPT_PASID, 0);
	ck_assert_ok(nf_ctx, ioasid_dev_replace(nf_ctx, nf_dev, pasid, sre, &ao));
	ck_assert_ok(nf_ctx, ioasid_sim_dma_flags(nf_ctx, nf_dev, pasid, NF_GVA, b, 4, PRIV, &done));
	ck_assert_int_eq(memcmp(b, "kern", 4), 0);
	ck_assert_uint_eq(nf_table(1)[0] & SIM_FL_D, 0);
	ck_assert_ok(nf_ctx, ioasid_sim_dma_flags(nf_ctx, nf_dev, pasid, NF_GVA, "KERN", 4,
						  PRIV | WR, &done));
	ck_assert_int_eq(memcmp(nf_mem + 0x100000, "KERN", 4), 0);
	ck_assert_uint_ne(nf_table(1)[0] & SIM_FL_D, 0);
	ck_assert_uint_eq(nf_table(1)[0] & SIM_FL_RW, 0);
	/* a user-mode request hits the same cached translation: still refused */
	ck_assert_int_eq(ioasid_sim_dma_read(nf_ctx, nf_dev, pasid, NF_GVA, b, 4, &done), -EACCES);
	ck_assert_errmsg_has(nf_ctx, "for supervisor-mode requests only");
	expect_unrouted(IOASID_FAULT_F_READ, IOASID_FAULT_R_PERMISSION);

	/* SRE and WPE: R/W counts for supervisor writes too */
	sre_wpe = nf_nested(parent, IOASID_VTD_S1_SRE | IOASID_VTD_S1_WPE, IOASID_HWPT_PASID, 0);
	ck_assert_ok(nf_ctx, ioasid_dev_replace(nf_ctx, nf_dev, pasid, sre_wpe, &ao));
	ck_assert_int_eq(ioasid_sim_dma_flags(nf_ctx, nf_dev, pasid, NF_GVA, "nope", 4, PRIV | WR,
					      &done),
			 -EACCES);
	expect_unrouted(IOASID_FAULT_F_WRITE | IOASID_FAULT_F_PRIV, IOASID_FAULT_R_PERMISSION);
	ck_assert_ok(nf_ctx, ioasid_sim_dma_flags(nf_ctx, nf_dev, pasid, NF_GVA, b, 4, PRIV, &done));
	ck_assert_int_eq(memcmp(b, "KERN", 4), 0);
	/* the cached entry serves a second privileged write no better */
	ck_assert_int_eq(ioasid_sim_dma_flags(nf_ctx, nf_dev, pasid, NF_GVA, "nope", 4, PRIV | WR,
					      &done),
			 -EACCES);
	ck_assert_errmsg_has(nf_ctx, "read-only");
	expect_unrouted(IOASID_FAULT_F_WRITE | IOASID_FAULT_F_PRIV, IOASID_FAULT_R_PERMISSION);

	/* the kernel sets SRE only for a nested HWPT that asks: a paging one refuses */
	{
		struct ioasid_hwpt_opts o = { .sz = sizeof(o), .flags = IOASID_HWPT_PASID };

		ck_assert_ok(nf_ctx, ioasid_hwpt_alloc(nf_ctx, nf_dev, nf_ioas, &o, &paging));
	}
	ck_assert_ok(nf_ctx, ioasid_dev_replace(nf_ctx, nf_dev, pasid, paging, &ao));
	ck_assert_ok(nf_ctx,
		     ioasid_sim_dma_read(nf_ctx, nf_dev, pasid, NF_GPA + 0x100000, b, 4, &done));
	ck_assert_int_eq(ioasid_sim_dma_flags(nf_ctx, nf_dev, pasid, NF_GPA + 0x100000, b, 4, PRIV,
					      &done),
			 -EACCES);
	ck_assert_errmsg_has(nf_ctx, "SRE is clear");
	expect_unrouted(IOASID_FAULT_F_READ | IOASID_FAULT_F_PRIV, IOASID_FAULT_R_PERMISSION);
}
END_TEST

/* No PASID entry the kernel programs sets ERE: execute requests never pass. */
START_TEST(test_execute_requests)
{
	uint32_t parent = nf_parent(0, 1), sre, paging, pasid;
	struct ioasid_attach_opts ao = { .sz = sizeof(ao), .set = nf_set };
	uint8_t b[4];
	size_t done = 1;

	nf_build_s1(NF_URW, NF_DATA | NF_URW); /* XD clear: executable, as far as stage 1 goes */
	sre = nf_nested(parent, IOASID_VTD_S1_SRE, IOASID_HWPT_PASID, 0);
	pasid = nf_attach_pasid(sre);
	ck_assert_ok(nf_ctx, ioasid_sim_dma_read(nf_ctx, nf_dev, pasid, NF_GVA, b, 4, &done));
	ck_assert_int_eq(ioasid_sim_dma_flags(nf_ctx, nf_dev, pasid, NF_GVA, b, 4, EXEC, &done),
			 -EACCES);
	ck_assert_errmsg_has(nf_ctx, "execute at iova 0x400000");
	ck_assert_errmsg_has(nf_ctx, "ERE is clear");
	ck_assert_uint_eq(done, 0);
	expect_unrouted(IOASID_FAULT_F_READ | IOASID_FAULT_F_EXEC, IOASID_FAULT_R_PERMISSION);
	ck_assert_int_eq(ioasid_sim_dma_flags(nf_ctx, nf_dev, pasid, NF_GVA, b, 4, EXEC | PRIV,
					      &done),
			 -EACCES);
	ck_assert_errmsg_has(nf_ctx, "ERE is clear");
	expect_unrouted(IOASID_FAULT_F_READ | IOASID_FAULT_F_EXEC | IOASID_FAULT_F_PRIV,
			IOASID_FAULT_R_PERMISSION);
	{
		struct ioasid_hwpt_opts o = { .sz = sizeof(o), .flags = IOASID_HWPT_PASID };

		ck_assert_ok(nf_ctx, ioasid_hwpt_alloc(nf_ctx, nf_dev, nf_ioas, &o, &paging));
	}
	ck_assert_ok(nf_ctx, ioasid_dev_replace(nf_ctx, nf_dev, pasid, paging, &ao));
	ck_assert_int_eq(ioasid_sim_dma_flags(nf_ctx, nf_dev, pasid, NF_GPA, b, 4, EXEC, &done),
			 -EACCES);
	ck_assert_errmsg_has(nf_ctx, "ERE is clear");
	expect_unrouted(IOASID_FAULT_F_READ | IOASID_FAULT_F_EXEC, IOASID_FAULT_R_PERMISSION);
}
END_TEST

/*
 * With a PRI device and a queue: a privileged request that misses raises a
 * page request carrying PRIV; one the PASID entry refuses raises none.
 */
START_TEST(test_privileged_page_request)
{
	struct ioasid_fault_queue_opts qo = { .sz = sizeof(qo), .set = nf_set };
	uint32_t q, nested, pasid, n;
	struct ioasid_fault f[4];
	uint64_t h;
	size_t done;
	uint8_t b[4];

	ck_assert_ok(nf_ctx, ioasid_fault_queue_alloc(nf_ctx, &qo, &q));
	nf_build_s1(NF_URW, 0); /* the page is not there yet */
	nested = nf_nested(nf_parent(0, 1), IOASID_VTD_S1_SRE, IOASID_HWPT_PASID, q);
	pasid = nf_attach_pasid(nested);
	ck_assert_int_eq(ioasid_sim_dma_submit_flags(nf_ctx, nf_dev, pasid, NF_GVA, "priv", 4,
						     PRIV | WR, &h, &done),
			 -EAGAIN);
	n = 4;
	ck_assert_ok(nf_ctx, ioasid_fault_read(nf_ctx, q, f, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(f[0].flags & (IOASID_FAULT_F_PRIV | IOASID_FAULT_F_WRITE |
					IOASID_FAULT_F_EXEC | IOASID_FAULT_F_PAGE_REQ |
					IOASID_FAULT_F_PASID_VALID),
			  IOASID_FAULT_F_PRIV | IOASID_FAULT_F_WRITE | IOASID_FAULT_F_PAGE_REQ |
				  IOASID_FAULT_F_PASID_VALID);
	ck_assert_uint_eq(f[0].pasid, pasid);
	/* the guest maps a supervisor page and the owner answers: the write lands */
	nf_table(1)[0] = NF_DATA | SIM_FL_P | SIM_FL_RW;
	ck_assert_ok(nf_ctx, ioasid_fault_respond(nf_ctx, q, f[0].cookie, IOASID_FAULT_SUCCESS));
	ck_assert_ok(nf_ctx, ioasid_sim_dma_poll(nf_ctx, h, &done));
	ck_assert_int_eq(memcmp(nf_mem + 0x100000, "priv", 4), 0);
	/* an execute request is refused by the PASID entry: no page request, no wait */
	ck_assert_int_eq(ioasid_sim_dma_submit_flags(nf_ctx, nf_dev, pasid, NF_GVA, b, 4, EXEC, &h,
						     &done),
			 -EACCES);
	n = 4;
	ck_assert_ok(nf_ctx, ioasid_fault_read(nf_ctx, q, f, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(f[0].flags & (IOASID_FAULT_F_EXEC | IOASID_FAULT_F_PAGE_REQ |
					IOASID_FAULT_F_LAST),
			  IOASID_FAULT_F_EXEC | IOASID_FAULT_F_LAST);
	ck_assert_uint_eq(f[0].reason, IOASID_FAULT_R_PERMISSION);
	ck_assert_uint_eq(f[0].hwpt, nested);
}
END_TEST

Suite *sim_access_suite(void)
{
	Suite *s = suite_create("sim_access");
	TCase *tc = tcase_create("sim_access");

	tcase_add_checked_fixture(tc, nf_setup, nf_teardown);
	tcase_add_test(tc, test_dma_flags_checked);
	tcase_add_test(tc, test_user_requests_need_us);
	tcase_add_test(tc, test_privileged_requests);
	tcase_add_test(tc, test_execute_requests);
	tcase_add_test(tc, test_privileged_page_request);
	suite_add_tcase(s, tc);
	return s;
}
