/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Faults: queues, routing to the PASID's owner, page request groups and
 * their responses, timeouts, overflow, detach; the iommufd record format.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"

#define PG 4096ull
#define RW (IOASID_MAP_READ | IOASID_MAP_WRITE)
#define FIXED IOASID_MAP_FIXED_IOVA

static struct ioasid_ctx *ctx;
static uint32_t dev0, dev1;
static uint8_t *mem;
static uint64_t fake_now;

static uint64_t fake_clock(void *data)
{
	(void)data;
	return fake_now;
}

static void setup(void)
{
	ctx = test_sim_ctx();
	fake_now = 1000;
	ck_assert_ok(ctx, ioasid_ctx_set_clock(ctx, fake_clock, NULL));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev0)); /* PRI, PASID */
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim1", &dev1)); /* no PRI */
	mem = test_mem(64 * PG);
}

static void teardown(void)
{
	ioasid_ctx_close(ctx);
	munmap(mem, 64 * PG);
}

static uint32_t new_set(void)
{
	struct ioasid_set_opts so = { .sz = sizeof(struct ioasid_set_opts), .max_pasids = 8, .max_ioas = 4 };
	uint32_t set;

	ck_assert_ok(ctx, ioasid_set_alloc(ctx, &so, &set));
	return set;
}

static uint32_t new_queue(uint32_t set, uint32_t depth, uint64_t timeout)
{
	struct ioasid_fault_queue_opts qo = { .sz = sizeof(struct ioasid_fault_queue_opts), .set = set, .depth = depth, .timeout_ns = timeout };
	uint32_t q;

	ck_assert_ok(ctx, ioasid_fault_queue_alloc(ctx, &qo, &q));
	return q;
}

static bool readable(uint32_t q)
{
	struct pollfd p = { .events = POLLIN };

	ck_assert_ok(ctx, ioasid_fault_queue_fd(ctx, q, &p.fd));
	return poll(&p, 1, 0) == 1;
}

/* RID of sim0 attached to a fresh IOAS whose automatic domain reports to @q. */
static uint32_t attach_with_queue(uint32_t set, uint32_t q, uint32_t pasid)
{
	struct ioasid_attach_opts ao = { .sz = sizeof(struct ioasid_attach_opts), .set = set, .fault_queue = q };
	uint32_t ioas;

	ck_assert_ok(ctx, ioasid_set_ioas_alloc(ctx, set, &ioas));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev0, pasid, ioas, &ao));
	return ioas;
}

/*
 * (sim0, @pasid) attached to an HWPT that allows PASIDs and reports to
 * @q, over a fresh IOAS of @set: what a PASID needs, on its RID too while
 * PASIDs are attached (an automatic domain never allows PASIDs).
 */
static uint32_t attach_pasid_hwpt(uint32_t set, uint32_t q, uint32_t pasid)
{
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho),
				       .flags = IOASID_HWPT_PASID | IOASID_HWPT_FAULT_ID_VALID,
				       .fault_queue = q };
	struct ioasid_attach_opts ao = { .sz = sizeof(ao), .set = set };
	uint32_t ioas, h;

	ck_assert_ok(ctx, ioasid_set_ioas_alloc(ctx, set, &ioas));
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev0, ioas, &ho, &h));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev0, pasid, h, &ao));
	return h;
}

START_TEST(test_page_request_success)
{
	uint32_t set = new_set(), q = new_queue(set, 0, 0), ioas, n;
	struct ioasid_fault f[16];
	struct ioasid_fault_queue_stats st;
	uint64_t handle, io;
	size_t done;
	char buf[3 * 4096];

	memset(buf, 'w', sizeof(buf));
	ioas = attach_with_queue(set, q, IOASID_PASID_NONE);
	io = 0x100000; /* only the first of three pages is mapped */
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, PG, RW | FIXED, &io));
	ck_assert(!readable(q));
	ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev0, IOASID_PASID_NONE, 0x100000, buf,
					       sizeof(buf), true, &handle, &done), -EAGAIN);
	ck_assert_uint_eq(done, PG);
	ck_assert(readable(q));
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, handle, &done), -EAGAIN);
	/* one group: the two missing pages, the last one marked LAST */
	n = 1;
	ck_assert_int_eq(ioasid_fault_read(ctx, q, f, &n), -EMSGSIZE);
	ck_assert_errmsg_has(ctx, "2 records");
	n = 16;
	ck_assert_ok(ctx, ioasid_fault_read(ctx, q, f, &n));
	ck_assert_uint_eq(n, 2);
	ck_assert(!readable(q));
	ck_assert_uint_eq(f[0].addr, 0x101000);
	ck_assert_uint_eq(f[1].addr, 0x102000);
	ck_assert_uint_eq(f[0].flags & IOASID_FAULT_F_LAST, 0);
	ck_assert_uint_ne(f[1].flags & IOASID_FAULT_F_LAST, 0);
	ck_assert_uint_ne(f[0].flags & IOASID_FAULT_F_PAGE_REQ, 0);
	ck_assert_uint_ne(f[0].flags & IOASID_FAULT_F_WRITE, 0);
	ck_assert_uint_eq(f[0].flags & IOASID_FAULT_F_PASID_VALID, 0);
	ck_assert_uint_eq(f[0].dev, dev0);
	ck_assert_uint_eq(f[0].cookie, f[1].cookie);
	ck_assert_uint_eq(f[0].grpid, f[1].grpid);
	/* the owner maps the pages, then answers SUCCESS: the DMA completes */
	io = 0x101000;
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem + PG, 2 * PG, RW | FIXED, &io));
	ck_assert_ok(ctx, ioasid_fault_respond(ctx, q, f[0].cookie, IOASID_FAULT_SUCCESS));
	ck_assert_ok(ctx, ioasid_sim_dma_poll(ctx, handle, &done));
	ck_assert_uint_eq(done, sizeof(buf));
	ck_assert_int_eq(memcmp(mem, buf, sizeof(buf)), 0);
	/* exactly one response per group */
	ck_assert_int_eq(ioasid_fault_respond(ctx, q, f[0].cookie, IOASID_FAULT_SUCCESS), -EINVAL);
	ck_assert_errmsg_has(ctx, "already answered");
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, handle, &done), -ENOENT);
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q, &st));
	ck_assert_uint_eq(st.raised, 2);
	ck_assert_uint_eq(st.delivered, 2);
	ck_assert_uint_eq(st.groups, 1);
	ck_assert_uint_eq(st.answered_success, 1);
	ck_assert_uint_eq(st.pending, 0);
}
END_TEST

START_TEST(test_invalid_failure_and_rules)
{
	uint32_t set = new_set(), q = new_queue(set, 0, 0), n;
	struct ioasid_fault f[16];
	struct ioasid_fault_queue_stats st;
	uint64_t h1, h2;
	size_t done;
	char b[8];

	attach_with_queue(set, q, IOASID_PASID_NONE);
	ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev0, IOASID_PASID_NONE, 0x200000, b, 8,
					       false, &h1, &done), -EAGAIN);
	/* a response before the group was read is refused and changes nothing */
	ck_assert_int_eq(ioasid_fault_respond(ctx, q, 1, IOASID_FAULT_SUCCESS), -EINVAL);
	ck_assert_errmsg_has(ctx, "not been read");
	ck_assert_int_eq(ioasid_fault_respond(ctx, q, 999, IOASID_FAULT_SUCCESS), -EINVAL);
	ck_assert_int_eq(ioasid_fault_respond(ctx, 4242, 1, IOASID_FAULT_SUCCESS), -ENOENT);
	n = 16;
	ck_assert_ok(ctx, ioasid_fault_read(ctx, q, f, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(ioasid_fault_respond(ctx, q, f[0].cookie, 7), -EINVAL);
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h1, &done), -EAGAIN);
	ck_assert_ok(ctx, ioasid_fault_respond(ctx, q, f[0].cookie, IOASID_FAULT_INVALID));
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h1, &done), -EFAULT);
	ck_assert_uint_eq(done, 0);

	ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev0, IOASID_PASID_NONE, 0x200000, b, 8,
					       false, &h2, &done), -EAGAIN);
	n = 16;
	ck_assert_ok(ctx, ioasid_fault_read(ctx, q, f, &n));
	ck_assert_ok(ctx, ioasid_fault_respond(ctx, q, f[0].cookie, IOASID_FAULT_FAILURE));
	ck_assert_int_eq(ioasid_sim_dma_wait(ctx, h2, 0, &done), -EIO);
	/* SUCCESS without fixing the tables: the device asks again, then gives up */
	ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev0, IOASID_PASID_NONE, 0x200000, b, 8,
					       false, &h1, &done), -EAGAIN);
	for (;;) {
		n = 16;
		ck_assert_ok(ctx, ioasid_fault_read(ctx, q, f, &n));
		ck_assert_uint_eq(n, 1);
		if (!(f[0].flags & IOASID_FAULT_F_PAGE_REQ))
			break; /* the device gave up: an unrecoverable record */
		ck_assert_ok(ctx, ioasid_fault_respond(ctx, q, f[0].cookie, IOASID_FAULT_SUCCESS));
	}
	ck_assert_uint_eq(f[0].reason, IOASID_FAULT_R_NOT_PRESENT);
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h1, &done), -EFAULT);
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q, &st));
	ck_assert_uint_eq(st.answered_invalid, 1);
	ck_assert_uint_eq(st.answered_failure, 1);
	ck_assert_uint_eq(st.answered_success, 4);
}
END_TEST

START_TEST(test_two_owners_share_a_device)
{
	uint32_t a = new_set(), b = new_set(), qa = new_queue(a, 0, 0), qb = new_queue(b, 0, 0);
	uint32_t pa, pb, n;
	struct ioasid_fault f[16];
	uint64_t ha, hb;
	size_t done;
	char x[4];

	ck_assert_ok(ctx, ioasid_pasid_alloc(ctx, a, 1, 100, &pa));
	ck_assert_ok(ctx, ioasid_pasid_alloc(ctx, b, 1, 100, &pb));
	attach_pasid_hwpt(a, qa, IOASID_PASID_NONE); /* the device owner is set a */
	attach_pasid_hwpt(a, qa, pa);
	attach_pasid_hwpt(b, qb, pb);
	ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev0, pb, 0x300000, x, 4, false, &hb, &done),
			 -EAGAIN);
	ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev0, pa, 0x400000, x, 4, false, &ha, &done),
			 -EAGAIN);
	/* each owner sees only its own fault */
	n = 16;
	ck_assert_ok(ctx, ioasid_fault_read(ctx, qa, f, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(f[0].pasid, pa);
	ck_assert_uint_eq(f[0].addr, 0x400000);
	ck_assert_uint_ne(f[0].flags & IOASID_FAULT_F_PASID_VALID, 0);
	{
		struct ioasid_fault g[16];
		uint32_t m = 16;

		ck_assert_ok(ctx, ioasid_fault_read(ctx, qb, g, &m));
		ck_assert_uint_eq(m, 1);
		ck_assert_uint_eq(g[0].pasid, pb);
		/* and answers only its own groups */
		ck_assert_int_eq(ioasid_fault_respond(ctx, qa, g[0].cookie, IOASID_FAULT_INVALID),
				 -EPERM);
		ck_assert_errmsg_has(ctx, "belongs to fault queue");
		ck_assert_int_eq(ioasid_sim_dma_poll(ctx, hb, &done), -EAGAIN);
		ck_assert_ok(ctx, ioasid_fault_respond(ctx, qb, g[0].cookie, IOASID_FAULT_INVALID));
	}
	ck_assert_ok(ctx, ioasid_fault_respond(ctx, qa, f[0].cookie, IOASID_FAULT_INVALID));
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, ha, &done), -EFAULT);
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, hb, &done), -EFAULT);
	/* a queue of set b cannot serve an address space of set a */
	{
		struct ioasid_attach_opts ao = { .sz = sizeof(struct ioasid_attach_opts), .set = a, .fault_queue = qb };
		uint32_t io2, d;

		ck_assert_ok(ctx, ioasid_set_ioas_alloc(ctx, a, &io2));
		ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim2", &d));
		ck_assert_int_eq(ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, io2, &ao), -EPERM);
	}
}
END_TEST

START_TEST(test_unrecoverable_records)
{
	uint32_t set = new_set(), q = new_queue(set, 0, 0), ioas, n;
	struct ioasid_fault f[4];
	size_t done;
	char x[4];

	/* no PRI: an unrecoverable record goes to the queue, the DMA fails */
	{
		struct ioasid_attach_opts ao = { .sz = sizeof(struct ioasid_attach_opts), .set = set, .fault_queue = q };

		ck_assert_ok(ctx, ioasid_set_ioas_alloc(ctx, set, &ioas));
		ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev1, IOASID_PASID_NONE, ioas, &ao));
	}
	ck_assert_int_eq(ioasid_sim_dma_read(ctx, dev1, IOASID_PASID_NONE, 0x5000, x, 4, &done),
			 -EFAULT);
	n = 4;
	ck_assert_ok(ctx, ioasid_fault_read(ctx, q, f, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(f[0].reason, IOASID_FAULT_R_NOT_PRESENT);
	ck_assert_uint_eq(f[0].flags & IOASID_FAULT_F_PAGE_REQ, 0);
	ck_assert_uint_eq(f[0].addr, 0x5000);
	/* nothing attached: the context's log of unrouted records */
	ck_assert_int_eq(ioasid_sim_dma_read(ctx, dev0, 9, 0x5000, x, 4, &done), -EFAULT);
	n = 4;
	ck_assert_ok(ctx, ioasid_fault_unrouted(ctx, f, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(f[0].reason, IOASID_FAULT_R_BLOCKED);
	ck_assert_uint_eq(f[0].pasid, 9);
}
END_TEST

START_TEST(test_timeout_on_injected_clock)
{
	uint32_t set = new_set(), q = new_queue(set, 0, 5000), n, expired;
	struct ioasid_fault_queue_stats st;
	struct ioasid_fault f[4];
	uint64_t h;
	size_t done;
	char x[4];

	attach_with_queue(set, q, IOASID_PASID_NONE);
	ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev0, IOASID_PASID_NONE, 0x9000, x, 4, false,
					       &h, &done), -EAGAIN);
	fake_now += 4999;
	ck_assert_ok(ctx, ioasid_fault_expire(ctx, &expired));
	ck_assert_uint_eq(expired, 0);
	fake_now += 1;
	ck_assert_ok(ctx, ioasid_fault_expire(ctx, &expired));
	ck_assert_uint_eq(expired, 1);
	/* INVALID by default: the device gives this request up, PRI goes on */
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h, &done), -EFAULT);
	ck_assert_errmsg_has(ctx, "INVALID by the timeout");
	/* the expired group left the queue unread: its record of the timeout took its place */
	ck_assert(readable(q));
	n = 4;
	ck_assert_ok(ctx, ioasid_fault_read(ctx, q, f, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(f[0].flags & (IOASID_FAULT_F_TIMED_OUT | IOASID_FAULT_F_PAGE_REQ |
					IOASID_FAULT_F_LAST | IOASID_FAULT_F_READ),
			  IOASID_FAULT_F_TIMED_OUT | IOASID_FAULT_F_LAST | IOASID_FAULT_F_READ);
	ck_assert_uint_eq(f[0].reason, IOASID_FAULT_R_PAGE_REQUEST);
	ck_assert_uint_eq(f[0].addr, 0x9000);
	ck_assert_uint_eq(f[0].dev, dev0);
	ck_assert_uint_ne(f[0].cookie, 0);
	ck_assert(!readable(q));
	/* nothing to answer: the record needs no response, the group had its answer */
	ck_assert_int_eq(ioasid_fault_respond(ctx, q, f[0].cookie, IOASID_FAULT_SUCCESS), -EINVAL);
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q, &st));
	ck_assert_uint_eq(st.timed_out, 1);
	ck_assert_uint_eq(st.answered_failure + st.answered_invalid, 0);
}
END_TEST

/* A queue whose timeout answers @code; sim0's RID on an IOAS reporting to it. */
static uint32_t queue_with_code(uint32_t set, uint32_t code)
{
	struct ioasid_fault_queue_opts qo = { .sz = sizeof(qo),
					      .set = set,
					      .timeout_ns = 100,
					      .flags = IOASID_FAULT_QUEUE_TIMEOUT_CODE,
					      .timeout_code = code };
	uint32_t q;

	ck_assert_ok(ctx, ioasid_fault_queue_alloc(ctx, &qo, &q));
	return q;
}

START_TEST(test_timeout_answer_chosen)
{
	struct ioasid_fault_queue_opts qo = { .sz = sizeof(qo), .set = new_set() };
	uint32_t set = qo.set, q, n, expired, ioas;
	struct ioasid_fault_queue_stats st;
	struct ioasid_fault f[4];
	uint64_t h, io = 0xa000;
	size_t done;
	char x[4] = "abc";

	/* the options: a flag nobody knows, a code that is none */
	qo.flags = 0xd;
	ck_assert_int_eq(ioasid_fault_queue_alloc(ctx, &qo, &q), -EINVAL);
	ck_assert_errmsg_has(ctx, "0xc");
	qo.flags = IOASID_FAULT_QUEUE_TIMEOUT_CODE;
	qo.timeout_code = 3;
	ck_assert_int_eq(ioasid_fault_queue_alloc(ctx, &qo, &q), -EINVAL);
	ck_assert_errmsg_has(ctx, "timeout_code 3");

	/* FAILURE when the owner asks for it: the request fails with EIO */
	q = queue_with_code(set, IOASID_FAULT_FAILURE);
	ioas = attach_with_queue(set, q, IOASID_PASID_NONE);
	ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev0, IOASID_PASID_NONE, 0xa000, x, 4, true, &h,
					       &done),
			 -EAGAIN);
	/* a group the owner read and did not answer in time */
	n = 4;
	ck_assert_ok(ctx, ioasid_fault_read(ctx, q, f, &n));
	ck_assert_uint_eq(n, 1);
	fake_now += 100;
	ck_assert_ok(ctx, ioasid_fault_expire(ctx, &expired));
	ck_assert_uint_eq(expired, 1);
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h, &done), -EIO);
	ck_assert_errmsg_has(ctx, "FAILURE by the timeout");
	n = 4;
	ck_assert_ok(ctx, ioasid_fault_read(ctx, q, f + 1, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(f[1].cookie, f[0].cookie);
	ck_assert_uint_ne(f[1].flags & IOASID_FAULT_F_TIMED_OUT, 0);
	ck_assert_uint_ne(f[1].flags & IOASID_FAULT_F_WRITE, 0);
	ck_assert_int_eq(ioasid_fault_respond(ctx, q, f[0].cookie, IOASID_FAULT_SUCCESS), -EINVAL);
	ck_assert_ok(ctx, ioasid_dev_detach(ctx, dev0, IOASID_PASID_NONE));

	/* SUCCESS: the device retries; with the page mapped meanwhile, the DMA completes */
	q = queue_with_code(set, IOASID_FAULT_SUCCESS);
	ioas = attach_with_queue(set, q, IOASID_PASID_NONE);
	ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev0, IOASID_PASID_NONE, 0xa000, x, 4, true, &h,
					       &done),
			 -EAGAIN);
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, PG, RW | FIXED, &io));
	fake_now += 100;
	ck_assert_ok(ctx, ioasid_fault_expire(ctx, &expired));
	ck_assert_uint_eq(expired, 1);
	ck_assert_ok(ctx, ioasid_sim_dma_poll(ctx, h, &done));
	ck_assert_int_eq(memcmp(mem, "abc", 4), 0);
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q, &st));
	ck_assert_uint_eq(st.timed_out, 1);
	ck_assert_uint_eq(st.queued, 1); /* the record of the timeout */
}
END_TEST

START_TEST(test_overflow_counts)
{
	uint32_t set = new_set(), q = new_queue(set, 2, 0);
	struct ioasid_fault_queue_stats st;
	uint64_t h[3];
	size_t done;
	char x[4];
	int i;

	attach_with_queue(set, q, IOASID_PASID_NONE);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev0, IOASID_PASID_NONE,
						       0x10000 * (i + 1), x, 4, false, &h[i], &done),
				 -EAGAIN);
	/* the third does not fit: answered FAILURE at once, counted */
	ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev0, IOASID_PASID_NONE, 0x30000, x, 4, false,
					       &h[2], &done), -EIO);
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q, &st));
	ck_assert_uint_eq(st.overflowed, 1);
	ck_assert_uint_eq(st.answered_failure, 0);
	ck_assert_uint_eq(st.queued, 2);
	/* detaching answers the pending groups INVALID, as the kernel does */
	ck_assert_ok(ctx, ioasid_dev_detach(ctx, dev0, IOASID_PASID_NONE));
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h[0], &done), -EFAULT);
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h[1], &done), -EFAULT);
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q, &st));
	ck_assert_uint_eq(st.detached, 2);
	ck_assert_uint_eq(st.queued, 0);
	ck_assert_uint_eq(st.pending, 0);
	/* the queue can go now that nothing is bound to it */
	ck_assert_ok(ctx, ioasid_fault_queue_destroy(ctx, q));
	ck_assert_int_eq(ioasid_fault_queue_destroy(ctx, q), -ENOENT);
}
END_TEST

/* Every flag has its scenario-format name; 0, combinations and unused bits have none. */
START_TEST(test_flag_and_reason_names)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} want[] = {
		{ IOASID_FAULT_F_READ, "read" },
		{ IOASID_FAULT_F_WRITE, "write" },
		{ IOASID_FAULT_F_EXEC, "exec" },
		{ IOASID_FAULT_F_PRIV, "priv" },
		{ IOASID_FAULT_F_LAST, "last" },
		{ IOASID_FAULT_F_PAGE_REQ, "page_req" },
		{ IOASID_FAULT_F_TIMED_OUT, "timed_out" },
		{ IOASID_FAULT_F_ADDR_VALID, "addr_valid" },
		{ IOASID_FAULT_F_PASID_VALID, "pasid_valid" },
		{ IOASID_FAULT_F_GROUP_VALID, "group_valid" },
		{ IOASID_FAULT_F_PRIV_VALID, "priv_valid" },
	};
	uint32_t named = 0;
	unsigned int i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_ptr_nonnull(ioasid_fault_flag_name(want[i].bit));
		ck_assert_str_eq(ioasid_fault_flag_name(want[i].bit), want[i].name);
		named |= want[i].bit;
	}
	/* bit 7 and bits 12..31 are no flag */
	for (i = 0; i < 32; i++)
		if (!(named & (1u << i)))
			ck_assert_ptr_null(ioasid_fault_flag_name(1u << i));
	ck_assert_ptr_null(ioasid_fault_flag_name(1u << 7));
	ck_assert_ptr_null(ioasid_fault_flag_name(0));
	ck_assert_ptr_null(ioasid_fault_flag_name(IOASID_FAULT_F_READ | IOASID_FAULT_F_WRITE));

	ck_assert_str_eq(ioasid_fault_reason_name(IOASID_FAULT_R_PAGE_REQUEST), "page_request");
	ck_assert_str_eq(ioasid_fault_reason_name(IOASID_FAULT_R_NOT_PRESENT), "not_present");
	ck_assert_str_eq(ioasid_fault_reason_name(IOASID_FAULT_R_PERMISSION), "permission");
	ck_assert_str_eq(ioasid_fault_reason_name(IOASID_FAULT_R_BLOCKED), "blocked");
	ck_assert_str_eq(ioasid_fault_reason_name(IOASID_FAULT_R_RESERVED), "reserved");
	ck_assert_ptr_null(ioasid_fault_reason_name(0));
	ck_assert_ptr_null(ioasid_fault_reason_name(IOASID_FAULT_R_RESERVED + 1));
	ck_assert_ptr_null(ioasid_fault_reason_name(UINT32_MAX));
}
END_TEST

START_TEST(test_queue_errors)
{
	uint32_t set = new_set(), q, out;

	{
		struct ioasid_fault_queue_opts qo = { .sz = sizeof(struct ioasid_fault_queue_opts), .set = 0 };
		ck_assert_int_eq(ioasid_fault_queue_alloc(ctx, &qo, &out), -EINVAL);
		qo.set = 4321;
		ck_assert_int_eq(ioasid_fault_queue_alloc(ctx, &qo, &out), -ENOENT);
		qo.set = set;
		qo.depth = 70000;
		ck_assert_int_eq(ioasid_fault_queue_alloc(ctx, &qo, &out), -EINVAL);
		ck_assert_errmsg_has(ctx, "70000");
	}
	q = new_queue(set, 0, 0);
	attach_with_queue(set, q, IOASID_PASID_NONE);
	ck_assert_int_eq(ioasid_fault_queue_destroy(ctx, q), -EBUSY);
	/* the generic destroy refuses a bound queue too */
	ck_assert_int_eq(ioasid_obj_destroy(ctx, q), -EBUSY);
	ck_assert_int_eq(ioasid_set_destroy(ctx, set), -EBUSY);
	{
		int fd;

		ck_assert_ok(ctx, ioasid_fault_queue_fd(ctx, q, &fd));
		ck_assert_int_eq(fcntl(fd, F_GETFD), FD_CLOEXEC);
		ck_assert_int_ne(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	}
}
END_TEST

/* ---- the iommufd record format, on bytes ---- */

static void put_rec(uint8_t *p, uint32_t flags, uint32_t dev, uint32_t pasid, uint32_t grpid,
		    uint32_t perm, uint64_t addr, uint32_t cookie)
{
	memset(p, 0, 40);
	memcpy(p + 0, &flags, 4);
	memcpy(p + 4, &dev, 4);
	memcpy(p + 8, &pasid, 4);
	memcpy(p + 12, &grpid, 4);
	memcpy(p + 16, &perm, 4);
	memcpy(p + 24, &addr, 8);
	memcpy(p + 36, &cookie, 4);
}

START_TEST(test_iommufd_records)
{
	uint8_t buf[120], back[120], resp[8];
	struct ioasid_fault f[3];
	uint32_t n = 3, v;

	put_rec(buf, 1, 7, 42, 3, 0x2 | 0x8, 0x7000, 9);
	put_rec(buf + 40, 1 | 2, 7, 42, 3, 0x1, 0x8000, 9);
	put_rec(buf + 80, 2, 8, 0, 4, 0x4, 0x9000, 10);
	ck_assert_int_eq(ioasid_fault_from_iommufd(buf, 120, f, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(f[0].dev, 7);
	ck_assert_uint_eq(f[0].pasid, 42);
	ck_assert_uint_eq(f[0].grpid, 3);
	ck_assert_uint_eq(f[0].addr, 0x7000);
	ck_assert_uint_eq(f[0].cookie, 9);
	ck_assert_uint_ne(f[0].flags & IOASID_FAULT_F_WRITE, 0);
	ck_assert_uint_ne(f[0].flags & IOASID_FAULT_F_PRIV, 0);
	ck_assert_uint_eq(f[0].flags & IOASID_FAULT_F_LAST, 0);
	ck_assert_uint_ne(f[1].flags & IOASID_FAULT_F_LAST, 0);
	ck_assert_uint_eq(f[2].pasid, IOASID_PASID_NONE);
	ck_assert_uint_ne(f[2].flags & IOASID_FAULT_F_EXEC, 0);
	/* and back, byte for byte */
	ck_assert_int_eq(ioasid_fault_to_iommufd(f, 3, back, sizeof(back)), 0);
	ck_assert_int_eq(memcmp(buf, back, 120), 0);
	ck_assert_int_eq(ioasid_fault_to_iommufd(f, 3, back, 80), -EMSGSIZE);
	/* short and malformed reads */
	n = 3;
	ck_assert_int_eq(ioasid_fault_from_iommufd(buf, 100, f, &n), -EINVAL);
	ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(), "100 bytes"));
	n = 3;
	ck_assert_int_eq(ioasid_fault_from_iommufd(buf, 40, f, &n), -EINVAL); /* cut group */
	ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(), "LAST_PAGE"));
	n = 1;
	ck_assert_int_eq(ioasid_fault_from_iommufd(buf, 120, f, &n), -EMSGSIZE);
	n = 3;
	/*
	 * Flag bits the library does not know are ignored: VT-d sets 0x4
	 * ("the response needs the PASID") with every PASID, AMD always.
	 */
	put_rec(buf + 80, 0x4 | 0x2 | 0x1, 8, 5, 4, 0x1, 0x9000, 10);
	ck_assert_int_eq(ioasid_fault_from_iommufd(buf, 120, f, &n), 0);
	ck_assert_uint_eq(f[2].flags & (IOASID_FAULT_F_PASID_VALID | IOASID_FAULT_F_LAST),
			  IOASID_FAULT_F_PASID_VALID | IOASID_FAULT_F_LAST);
	ck_assert_uint_eq(f[2].pasid, 5);
	put_rec(buf + 80, 0x80000000u | 0x2, 8, 0, 4, 0x1, 0x9000, 10);
	ck_assert_int_eq(ioasid_fault_from_iommufd(buf, 120, f, &n), 0);
	ck_assert_uint_eq(f[2].pasid, IOASID_PASID_NONE);
	/* without LAST_PAGE the group is still cut short, whatever else is set */
	put_rec(buf + 80, 0x4 | 0x1, 8, 5, 4, 0x1, 0x9000, 10);
	ck_assert_int_eq(ioasid_fault_from_iommufd(buf, 120, f, &n), -EINVAL);
	put_rec(buf + 80, 2, 8, 0, 4, 0x10, 0x9000, 10); /* unknown perm */
	ck_assert_int_eq(ioasid_fault_from_iommufd(buf, 120, f, &n), -EINVAL);
	put_rec(buf + 80, 2, 8, 0, 4, 0x1, 0x9000, 10);
	v = 5;
	memcpy(buf + 100, &v, 4); /* __reserved */
	ck_assert_int_eq(ioasid_fault_from_iommufd(buf, 120, f, &n), -EINVAL);
	put_rec(buf + 40, 1 | 2, 7, 42, 3, 0x1, 0x8000, 11); /* cookie changes mid-group */
	ck_assert_int_eq(ioasid_fault_from_iommufd(buf, 80, f, &n), -EINVAL);
	n = 0;
	ck_assert_int_eq(ioasid_fault_from_iommufd(NULL, 0, NULL, &n), 0);
	/* responses: FAILURE is sent as INVALID */
	ck_assert_int_eq(ioasid_fault_response_iommufd(9, IOASID_FAULT_FAILURE, resp), 0);
	memcpy(&v, resp, 4);
	ck_assert_uint_eq(v, 9);
	memcpy(&v, resp + 4, 4);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(ioasid_fault_response_iommufd(9, IOASID_FAULT_SUCCESS, resp), 0);
	memcpy(&v, resp + 4, 4);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(ioasid_fault_response_iommufd(1ull << 32, 0, resp), -EINVAL);
	ck_assert_int_eq(ioasid_fault_response_iommufd(9, 3, resp), -EINVAL);
}
END_TEST

/* ---- concurrency: N DMA threads, one owner thread on epoll ---- */

#define NTHREADS 4
#define PER_THREAD 64

struct owner_arg {
	uint32_t q, ioas;
	int answered;
	int stop_fd;
};

static void *owner_main(void *arg)
{
	struct owner_arg *o = arg;
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ep = epoll_create1(EPOLL_CLOEXEC), fd;

	ck_assert_int_ge(ep, 0);
	ck_assert_int_eq(ioasid_fault_queue_fd(ctx, o->q, &fd), 0);
	ev.data.fd = fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	ev.data.fd = o->stop_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, o->stop_fd, &ev);
	for (;;) {
		struct ioasid_fault f[64];
		uint32_t n = 64, i;

		if (epoll_wait(ep, &out, 1, 10000) != 1)
			break;
		if (out.data.fd == o->stop_fd)
			break;
		ck_assert_int_eq(ioasid_fault_read(ctx, o->q, f, &n), 0);
		for (i = 0; i < n; i++) {
			uint64_t io = f[i].addr;
			int r = ioasid_ioas_map(ctx, o->ioas, mem + (io / PG % 32) * PG, PG,
						RW | FIXED, &io);

			ck_assert(r == 0 || r == -EEXIST);
			if (f[i].flags & IOASID_FAULT_F_LAST) {
				ck_assert_int_eq(ioasid_fault_respond(ctx, o->q, f[i].cookie,
								      IOASID_FAULT_SUCCESS), 0);
				__atomic_add_fetch(&o->answered, 1, __ATOMIC_RELAXED);
			}
		}
	}
	close(ep);
	return NULL;
}

START_TEST(test_stress_threads)
{
	struct owner_arg o;
	struct test_dma_reader d[NTHREADS];
	struct ioasid_fault_queue_stats st;
	pthread_t ot, t[NTHREADS];
	uint32_t set = new_set();
	int i, pipefd[2];

	/* a real clock here: the timeout must not fire while the owner works */
	ck_assert_ok(ctx, ioasid_ctx_set_clock(ctx, NULL, NULL));
	o.q = new_queue(set, 1024, 60ull * 1000000000ull);
	o.ioas = attach_with_queue(set, o.q, IOASID_PASID_NONE);
	o.answered = 0;
	ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
	o.stop_fd = pipefd[0];
	ck_assert_int_eq(pthread_create(&ot, NULL, owner_main, &o), 0);
	for (i = 0; i < NTHREADS; i++) {
		d[i] = (struct test_dma_reader){ .ctx = ctx,
						 .dev = dev0,
						 .idx = i,
						 .count = PER_THREAD };
		ck_assert_int_eq(pthread_create(&t[i], NULL, test_dma_reader_main, &d[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(d[i].ok, PER_THREAD);
	}
	ck_assert_int_eq(write(pipefd[1], "x", 1), 1);
	pthread_join(ot, NULL);
	close(pipefd[0]);
	close(pipefd[1]);
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, o.q, &st));
	/* every group raised was delivered once and answered once */
	ck_assert_uint_eq(st.groups, NTHREADS * PER_THREAD);
	ck_assert_uint_eq(st.answered_success, NTHREADS * PER_THREAD);
	ck_assert_uint_eq(st.delivered, st.raised);
	ck_assert_uint_eq(st.overflowed + st.timed_out + st.detached, 0);
	ck_assert_int_eq(o.answered, NTHREADS * PER_THREAD);
}
END_TEST

Suite *fault_suite(void)
{
	Suite *s = suite_create("fault");
	TCase *tc = tcase_create("fault");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_page_request_success);
	tcase_add_test(tc, test_invalid_failure_and_rules);
	tcase_add_test(tc, test_two_owners_share_a_device);
	tcase_add_test(tc, test_unrecoverable_records);
	tcase_add_test(tc, test_timeout_on_injected_clock);
	tcase_add_test(tc, test_timeout_answer_chosen);
	tcase_add_test(tc, test_overflow_counts);
	tcase_add_test(tc, test_queue_errors);
	tcase_add_test(tc, test_flag_and_reason_names);
	tcase_add_test(tc, test_iommufd_records);
	tcase_add_test(tc, test_stress_threads);
	suite_add_tcase(s, tc);
	return s;
}
