/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-iommu fault reporting through the sim's DMA engine: plain fault
 * records, page requests with the fault extension and the guest's page
 * responses, and page requests the virtio-iommu answers itself.
 */
#include <stdio.h>
#include <sys/mman.h>

#include <ioasid/virtio-iommu.h>

#include "helpers.h"
#include "suites.h"
#include "virtio-iommu-fixture.h"

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
	ck_assert_uint_eq(g32(rec + 4),
			  IOASID_VIRTIO_IOMMU_FAULT_F_READ | IOASID_VIRTIO_IOMMU_FAULT_F_ADDRESS);
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
	ck_assert_uint_eq(g32(rec + 4),
			  IOASID_VIRTIO_IOMMU_FAULT_F_WRITE | IOASID_VIRTIO_IOMMU_FAULT_F_ADDRESS);
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
					       sizeof(buf), true, &h, &done),
			 -EAGAIN);
	ck_assert_uint_eq(pop(vio, rec, sizeof(rec)), 48);
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
	ck_assert_ok(ctx, ioasid_virtio_iommu_stats(vio, &st));
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
					       false, &h, &done),
			 -EAGAIN);
	ck_assert_uint_eq(pop(vio, rec, sizeof(rec)), 48);
	ck_assert_uint_ne(g32(rec + 4) & IOASID_VIRTIO_IOMMU_FAULT_F_PAGE_REQ, 0);
	ck_status(req(b, mk_page_resp(b, EP0, 0, 0, g16(rec + 28), IOASID_FAULT_INVALID)), S_OK);
	ck_assert_int_eq(ioasid_sim_dma_wait(ctx, h, UINT64_MAX, &done), -EFAULT);
	/* a group the guest never answers is answered INVALID by a reset */
	ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev[0], IOASID_PASID_NONE, 0x300000, buf, 8,
					       false, &h, &done),
			 -EAGAIN);
	ck_assert_uint_eq(pop(vio, rec, sizeof(rec)), 48);
	ck_assert_ok(ctx, ioasid_virtio_iommu_reset(vio));
	ck_assert_int_eq(ioasid_sim_dma_wait(ctx, h, UINT64_MAX, &done), -EFAULT);
	ck_assert_int_eq(ioasid_virtio_iommu_event_pop_buf(vio, rec, sizeof(rec), &used), -EAGAIN);
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
					       &h, &done),
			 -EAGAIN);
	ck_assert_uint_eq(pop(vio, rec, sizeof(rec)), 48);
	ck_assert_uint_eq(rec[0], IOASID_VIRTIO_IOMMU_FAULT_R_DOMAIN);
	ck_assert_uint_eq(g32(rec + 4) & IOASID_VIRTIO_IOMMU_FAULT_F_PAGE_REQ, 0);
	ck_assert_int_eq(ioasid_sim_dma_wait(ctx, h, UINT64_MAX, &done), -EFAULT);
	vi = mk_virtio_iommu(IOASID_VIRTIO_IOMMU_EXT_FAULT, NO_EXT, 0);
	/* no fault extension: the guest cannot answer; the virtio-iommu does, INVALID */
	ck_status(req_on(vi, b, mk_attach(b, 1, EP0, 0)), S_OK);
	ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev[0], IOASID_PASID_NONE, 0x4000, x, 8, false,
					       &h, &done),
			 -EAGAIN);
	ck_assert_uint_eq(pop(vi, rec, sizeof(rec)), 24);
	ck_assert_uint_eq(rec[0], IOASID_VIRTIO_IOMMU_FAULT_R_MAPPING);
	ck_assert_uint_eq(g32(rec + 4),
			  IOASID_VIRTIO_IOMMU_FAULT_F_READ | IOASID_VIRTIO_IOMMU_FAULT_F_ADDRESS);
	ck_assert_int_eq(ioasid_sim_dma_wait(ctx, h, UINT64_MAX, &done), -EFAULT);
	ck_assert_ok(ctx, ioasid_virtio_iommu_stats(vi, &st));
	ck_assert_uint_eq(st.auto_answered, 1);
	ck_assert_uint_eq(st.groups_pending, 0);
	ioasid_virtio_iommu_free(vi);
}
END_TEST

/*
 * ATTACH of the last endpoint of a domain to a fresh domain re-uses the old
 * domain's address space: the device does not move, so the groups the
 * guest holds for it are answered INVALID as a move would answer them.
 */
START_TEST(test_fresh_domain_answers_groups)
{
	struct ioasid_virtio_iommu_stats st;
	uint8_t b[80], rec[64];
	uint64_t h;
	size_t done;
	char buf[8];

	ck_status(attach(1, EP0), S_OK);
	ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev[0], IOASID_PASID_NONE, 0x300000, buf, 8,
					       false, &h, &done),
			 -EAGAIN);
	ck_assert_uint_eq(pop(vio, rec, sizeof(rec)), 48);
	ck_assert_uint_ne(g32(rec + 4) & IOASID_VIRTIO_IOMMU_FAULT_F_PAGE_REQ, 0);
	ck_assert_ok(ctx, ioasid_virtio_iommu_stats(vio, &st));
	ck_assert_uint_eq(st.groups_pending, 1);
	ck_status(attach(2, EP0), S_OK);
	ck_assert_ok(ctx, ioasid_virtio_iommu_stats(vio, &st));
	ck_assert_uint_eq(st.groups_pending, 0);
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h, &done), -EFAULT);
	ck_status(req(b, mk_page_resp(b, EP0, 0, 0, g16(rec + 28), IOASID_FAULT_SUCCESS)), S_NOENT);
}
END_TEST

Suite *virtio_iommu_faults_suite(void)
{
	Suite *s = suite_create("virtio_iommu_faults");
	TCase *tc = vio_tcase("virtio_iommu_faults");

	tcase_add_test(tc, test_fault_records_plain);
	tcase_add_test(tc, test_page_request_roundtrip);
	tcase_add_test(tc, test_page_request_answered_by_virtio_iommu);
	tcase_add_test(tc, test_fresh_domain_answers_groups);
	suite_add_tcase(s, tc);
	return s;
}
