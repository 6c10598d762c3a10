/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Polled fault delivery (IOASID_FAULT_QUEUE_POLLED): the record and
 * response rings — order, wrap-around, a full ring (back-pressure, never a
 * lost fault), the response-slot limit, bad responses, the sleep / wake-up
 * protocol in both directions, and several device threads at once.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "util/alloc.h"
#include "helpers.h"
#include "suites.h"

#define PG 4096ull
#define RW (IOASID_MAP_READ | IOASID_MAP_WRITE)
#define FIXED IOASID_MAP_FIXED_IOVA
#define SEC 1000000000ull

static struct ioasid_ctx *ctx;
static uint32_t dev0;
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
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev0)); /* PRI */
	mem = test_mem(64 * PG);
}

static void teardown(void)
{
	ioasid_ctx_close(ctx);
	munmap(mem, 64 * PG);
}

static uint32_t new_set(void)
{
	struct ioasid_set_opts so = { .sz = sizeof(so), .max_pasids = 8, .max_ioas = 4 };
	uint32_t set;

	ck_assert_ok(ctx, ioasid_set_alloc(ctx, &so, &set));
	return set;
}

static uint32_t polled_queue(uint32_t set, uint32_t depth, uint64_t timeout,
			     struct ioasid_fault_ring **ring)
{
	struct ioasid_fault_queue_opts qo = { .sz = sizeof(qo),
					      .set = set,
					      .depth = depth,
					      .timeout_ns = timeout,
					      .flags = IOASID_FAULT_QUEUE_POLLED };
	uint32_t q;

	ck_assert_ok(ctx, ioasid_fault_queue_alloc(ctx, &qo, &q));
	ck_assert_ok(ctx, ioasid_fault_ring_get(ctx, q, ring));
	return q;
}

static uint32_t attach_with_queue(uint32_t set, uint32_t q)
{
	struct ioasid_attach_opts ao = { .sz = sizeof(ao), .set = set, .fault_queue = q };
	uint32_t ioas;

	ck_assert_ok(ctx, ioasid_set_ioas_alloc(ctx, set, &ioas));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev0, IOASID_PASID_NONE, ioas, &ao));
	return ioas;
}

/* A read of 4 bytes at @iova that faults: -EAGAIN and its handle. */
static uint64_t submit(uint64_t iova)
{
	static char x[4];
	uint64_t h;
	size_t done;

	ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev0, IOASID_PASID_NONE, iova, x, sizeof(x),
					       false, &h, &done),
			 -EAGAIN);
	return h;
}

static uint32_t poll_ring(struct ioasid_fault_ring *ring, struct ioasid_fault *f, uint32_t cap)
{
	uint32_t n = cap;

	ck_assert_ok(ctx, ioasid_fault_ring_poll(ring, f, &n));
	return n;
}

START_TEST(test_ring_order_and_rules)
{
	uint32_t set = new_set(), q, plain, n, i, ioas;
	struct ioasid_fault_queue_opts qo = { .sz = sizeof(qo), .set = set };
	struct ioasid_fault_ring *ring, *r2;
	struct ioasid_fault_queue_stats st;
	struct ioasid_fault f[16];
	uint64_t h[5], io;
	size_t done;

	q = polled_queue(set, 0, 0, &ring);
	ck_assert_ok(ctx, ioasid_fault_queue_alloc(ctx, &qo, &plain));
	ck_assert_int_eq(ioasid_fault_ring_get(ctx, plain, &r2), -EINVAL);
	ck_assert_errmsg_has(ctx, "not polled");
	ck_assert_int_eq(ioasid_fault_ring_get(ctx, 999, &r2), -ENOENT);
	ck_assert_int_eq(ioasid_fault_ring_get(ctx, q, NULL), -EINVAL);
	qo.flags = 1u << 7;
	ck_assert_int_eq(ioasid_fault_queue_alloc(ctx, &qo, &plain), -EINVAL);
	ck_assert_errmsg_has(ctx, "0x80");
	ioas = attach_with_queue(set, q);
	ck_assert_uint_eq(poll_ring(ring, f, 16), 0);
	for (i = 0; i < 5; i++)
		h[i] = submit(0x10000 * (i + 1));
	/* the plain read call refuses a polled queue: one consumer, the ring's */
	n = 16;
	ck_assert_int_eq(ioasid_fault_read(ctx, q, f, &n), -EINVAL);
	ck_assert_errmsg_has(ctx, "polled");
	/* in the order raised, each group whole, cookies rising */
	n = poll_ring(ring, f, 16);
	ck_assert_uint_eq(n, 5);
	for (i = 0; i < 5; i++) {
		ck_assert_uint_eq(f[i].addr, 0x10000 * (i + 1));
		ck_assert_uint_ne(f[i].flags & IOASID_FAULT_F_LAST, 0);
		ck_assert_uint_ne(f[i].flags & IOASID_FAULT_F_PAGE_REQ, 0);
		ck_assert_uint_eq(f[i].dev, dev0);
		if (i)
			ck_assert_uint_gt(f[i].cookie, f[i - 1].cookie);
	}
	ck_assert_uint_eq(poll_ring(ring, f + 5, 11), 0);
	/* answers on the ring, applied at the library's next look */
	for (i = 0; i < 5; i++) {
		io = f[i].addr;
		ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem + i * PG, PG, RW | FIXED, &io));
		ck_assert_ok(ctx, ioasid_fault_ring_respond(ring, f[i].cookie,
							    i == 3 ? IOASID_FAULT_INVALID :
								     IOASID_FAULT_SUCCESS));
	}
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h[i], &done), i == 3 ? -EFAULT : 0);
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q, &st));
	ck_assert_uint_eq(st.groups, 5);
	ck_assert_uint_eq(st.raised, 5);
	ck_assert_uint_eq(st.delivered, 5);
	ck_assert_uint_eq(st.answered_success, 4);
	ck_assert_uint_eq(st.answered_invalid, 1);
	ck_assert_uint_eq(st.pending, 0);
	ck_assert_uint_eq(st.backpressured, 0);
	/* the locked call answers a ring group too, once */
	h[0] = submit(0x90000);
	ck_assert_uint_eq(poll_ring(ring, f, 16), 1);
	ck_assert_ok(ctx, ioasid_fault_respond(ctx, q, f[0].cookie, IOASID_FAULT_INVALID));
	ck_assert_int_eq(ioasid_fault_ring_respond(ring, f[0].cookie, IOASID_FAULT_SUCCESS),
			 -EINVAL);
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h[0], &done), -EFAULT);
	/* a polled queue's fd is not readable for records: only for a wake-up */
	{
		struct pollfd pf = { .events = POLLIN };

		h[0] = submit(0xa0000);
		ck_assert_ok(ctx, ioasid_fault_queue_fd(ctx, q, &pf.fd));
		ck_assert_int_eq(poll(&pf, 1, 0), 0);
		ck_assert_int_eq(ioasid_fault_ring_arm(ring), 1); /* records wait: no sleep */
		ck_assert_uint_eq(poll_ring(ring, f, 16), 1);
		ck_assert_int_eq(ioasid_fault_ring_arm(ring), 0);
		h[1] = submit(0xb0000);
		ck_assert_int_eq(poll(&pf, 1, 0), 1);
		ck_assert_ok(ctx, ioasid_fault_ring_wait(ring, SEC));
		ck_assert_uint_eq(poll_ring(ring, f + 1, 15), 1);
		ck_assert_int_eq(ioasid_fault_ring_wait(ring, 1000000), -ETIMEDOUT);
		ck_assert_errmsg_has(ctx, "no record");
		ck_assert_ok(ctx,
			     ioasid_fault_ring_respond(ring, f[0].cookie, IOASID_FAULT_INVALID));
		ck_assert_ok(ctx,
			     ioasid_fault_ring_respond(ring, f[1].cookie, IOASID_FAULT_INVALID));
		ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h[0], &done), -EFAULT);
		ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h[1], &done), -EFAULT);
	}
}
END_TEST

/* Groups of three records, many times round a ring of 16: groups straddle its end. */
START_TEST(test_ring_wraparound)
{
	uint32_t set = new_set(), q, ioas, n, i, round;
	struct ioasid_fault_ring *ring;
	struct ioasid_fault_queue_stats st;
	struct ioasid_fault f[16];
	char buf[3 * 4096];
	uint64_t h, io;
	size_t done;

	q = polled_queue(set, 16, 0, &ring);
	ioas = attach_with_queue(set, q);
	for (round = 0; round < 100; round++) {
		uint64_t base = 0x1000000 + (uint64_t)round * 0x10000;

		ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev0, IOASID_PASID_NONE, base, buf,
						       sizeof(buf), false, &h, &done),
				 -EAGAIN);
		/* too small for the group: nothing taken, the size named */
		n = 2;
		ck_assert_int_eq(ioasid_fault_ring_poll(ring, f, &n), -EMSGSIZE);
		ck_assert_uint_eq(n, 0);
		ck_assert_errmsg_has(ctx, "3 records");
		n = poll_ring(ring, f, 16);
		ck_assert_uint_eq(n, 3);
		for (i = 0; i < 3; i++) {
			ck_assert_uint_eq(f[i].addr, base + i * PG);
			ck_assert_uint_eq(f[i].cookie, f[0].cookie);
			ck_assert_uint_eq(!!(f[i].flags & IOASID_FAULT_F_LAST), i == 2);
		}
		io = base;
		ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, 3 * PG, RW | FIXED, &io));
		ck_assert_ok(ctx,
			     ioasid_fault_ring_respond(ring, f[0].cookie, IOASID_FAULT_SUCCESS));
		ck_assert_ok(ctx, ioasid_sim_dma_poll(ctx, h, &done));
		ck_assert_uint_eq(done, sizeof(buf));
	}
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q, &st));
	ck_assert_uint_eq(st.groups, 100);
	ck_assert_uint_eq(st.raised, 300);
	ck_assert_uint_eq(st.delivered, 300);
	ck_assert_uint_eq(st.answered_success, 100);
}
END_TEST

/*
 * A full ring holds the groups back, in order, until the owner makes
 * room (back-pressure: none answered, none lost); only more groups
 * waiting for a response than the ring has slots (twice its size)
 * overflow, answered FAILURE and counted, as a full plain queue does.
 */
START_TEST(test_ring_full)
{
	uint32_t set = new_set(), q, n, i, got;
	struct ioasid_fault_ring *ring;
	struct ioasid_fault_queue_stats st;
	struct ioasid_fault f[64];
	uint64_t h[40];
	size_t done;
	char x[4];

	q = polled_queue(set, 16, 0, &ring);
	attach_with_queue(set, q);
	for (i = 0; i < 20; i++)
		h[i] = submit(0x10000 * (i + 1));
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q, &st));
	ck_assert_uint_eq(st.backpressured, 4);
	ck_assert_uint_eq(st.queued, 4);
	ck_assert_uint_eq(st.overflowed, 0);
	ck_assert_uint_eq(st.pending, 20);
	/* one poll takes what the ring held, then what waited, in order */
	got = 0;
	while ((n = poll_ring(ring, f + got, 64 - got)))
		got += n;
	ck_assert_uint_eq(got, 20);
	for (i = 0; i < 20; i++)
		ck_assert_uint_eq(f[i].addr, 0x10000 * (i + 1));
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q, &st));
	ck_assert_uint_eq(st.queued, 0);
	ck_assert_uint_eq(st.delivered, 20);
	/* 32 slots: 12 more groups wait for an answer, the 13th overflows */
	for (i = 20; i < 32; i++)
		h[i] = submit(0x10000 * (i + 1));
	ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev0, IOASID_PASID_NONE, 0x900000, x, 4, false,
					       &h[32], &done),
			 -EIO);
	ck_assert_errmsg_has(ctx, "wait for a response");
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q, &st));
	ck_assert_uint_eq(st.overflowed, 1);
	ck_assert_uint_eq(st.pending, 32);
	ck_assert_uint_eq(st.groups, 33);
	for (i = 0; i < 20; i++)
		ck_assert_ok(ctx,
			     ioasid_fault_ring_respond(ring, f[i].cookie, IOASID_FAULT_INVALID));
	got = 0;
	while ((n = poll_ring(ring, f + got, 64 - got)))
		got += n;
	ck_assert_uint_eq(got, 12);
	for (i = 0; i < 12; i++) {
		ck_assert_uint_eq(f[i].addr, 0x10000 * (i + 21));
		ck_assert_ok(ctx,
			     ioasid_fault_ring_respond(ring, f[i].cookie, IOASID_FAULT_INVALID));
	}
	for (i = 0; i < 32; i++)
		ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h[i], &done), -EFAULT);
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q, &st));
	ck_assert_uint_eq(st.answered_invalid, 32);
	ck_assert_uint_eq(st.pending, 0);
	/* every group raised: answered by the owner or counted as overflowed */
	ck_assert_uint_eq(st.groups, st.answered_invalid + st.overflowed);
}
END_TEST

START_TEST(test_ring_bad_responses)
{
	uint32_t set = new_set(), set2 = new_set(), q, q2;
	struct ioasid_fault_ring *ring, *ring2;
	struct ioasid_fault_queue_stats st;
	struct ioasid_fault f[16];
	uint64_t h, h2;
	uint32_t n, i;
	size_t done;

	q = polled_queue(set, 16, SEC, &ring);
	q2 = polled_queue(set2, 16, SEC, &ring2);
	ck_assert_uint_ne(q, q2);
	attach_with_queue(set, q);
	h = submit(0x10000);
	ck_assert_uint_eq(poll_ring(ring, f, 16), 1);
	/* NULLs, a bad code, an unknown cookie, another queue's ring */
	ck_assert_int_eq(ioasid_fault_ring_respond(NULL, f[0].cookie, 0), -EINVAL);
	ck_assert_int_eq(ioasid_fault_ring_arm(NULL), -EINVAL);
	ck_assert_int_eq(ioasid_fault_ring_wait(NULL, 0), -EINVAL);
	n = 1;
	ck_assert_int_eq(ioasid_fault_ring_poll(NULL, f, &n), -EINVAL);
	ck_assert_int_eq(ioasid_fault_ring_poll(ring, NULL, &n), -EINVAL);
	ck_assert_int_eq(ioasid_fault_ring_poll(ring, f, NULL), -EINVAL);
	ck_assert_int_eq(ioasid_fault_ring_respond(ring, f[0].cookie, 7), -EINVAL);
	ck_assert_errmsg_has(ctx, "response code 7");
	ck_assert_int_eq(ioasid_fault_ring_respond(ring, f[0].cookie + 1, 0), -EINVAL);
	ck_assert_errmsg_has(ctx, "names no unanswered group");
	ck_assert_int_eq(ioasid_fault_ring_respond(ring, 0, 0), -EINVAL);
	ck_assert_int_eq(ioasid_fault_ring_respond(ring2, f[0].cookie, 0), -EINVAL);
	ck_assert_errmsg_has(ctx, "queue");
	/* none of those changed anything: the group is still pending */
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h, &done), -EAGAIN);
	/* one answer; the second is refused */
	ck_assert_ok(ctx, ioasid_fault_ring_respond(ring, f[0].cookie, IOASID_FAULT_INVALID));
	ck_assert_int_eq(ioasid_fault_ring_respond(ring, f[0].cookie, IOASID_FAULT_INVALID),
			 -EINVAL);
	ck_assert_errmsg_has(ctx, "answered already");
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h, &done), -EFAULT);
	/* answered by the timeout first: the late answer is refused */
	h = submit(0x20000);
	ck_assert_uint_eq(poll_ring(ring, f, 16), 1);
	fake_now += 2 * SEC;
	ck_assert_ok(ctx, ioasid_fault_expire(ctx, NULL));
	ck_assert_int_eq(ioasid_fault_ring_respond(ring, f[0].cookie, IOASID_FAULT_SUCCESS),
			 -EINVAL);
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h, &done), -EFAULT);
	/* the timeout's record comes through the ring */
	ck_assert_uint_eq(poll_ring(ring, f + 1, 15), 1);
	ck_assert_uint_ne(f[1].flags & IOASID_FAULT_F_TIMED_OUT, 0);
	ck_assert_uint_eq(f[1].cookie, f[0].cookie);
	/*
	 * The owner's answer is on the ring when a detach answers the group:
	 * the detach's answer stands, the owner's is dropped when seen, and
	 * its slot is not given out again until then.
	 */
	h = submit(0x30000);
	ck_assert_uint_eq(poll_ring(ring, f, 16), 1);
	ck_assert_ok(ctx, ioasid_fault_ring_respond(ring, f[0].cookie, IOASID_FAULT_SUCCESS));
	ck_assert_ok(ctx, ioasid_dev_detach(ctx, dev0, IOASID_PASID_NONE));
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h, &done), -EFAULT);
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q, &st));
	ck_assert_uint_eq(st.detached, 1);
	ck_assert_uint_eq(st.timed_out, 1);
	ck_assert_uint_eq(st.answered_success, 0);
	ck_assert_uint_eq(st.answered_invalid, 1);
	ck_assert_uint_eq(st.pending, 0);
	/* every slot is usable again: 32 groups wait at once, none overflows */
	attach_with_queue(set, q);
	for (i = 0; i < 32; i++)
		h2 = submit(0x100000 + i * 0x10000);
	(void)h2;
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q, &st));
	ck_assert_uint_eq(st.overflowed, 0);
	ck_assert_uint_eq(st.pending, 32);
	ck_assert_ok(ctx, ioasid_dev_detach(ctx, dev0, IOASID_PASID_NONE));
}
END_TEST

/*
 * Several groups answered with one call: in order, all or up to the first
 * cookie that names no unanswered group (those before it stand), one code
 * for all; a bad code or argument answers none.
 */
START_TEST(test_ring_respond_many)
{
	uint32_t set = new_set(), set2 = new_set(), q, q2, ioas, n, i;
	struct ioasid_fault_ring *ring, *ring2;
	struct ioasid_fault_queue_stats st;
	struct ioasid_fault f[16];
	uint64_t h[6], c[6], io;
	size_t done;

	q = polled_queue(set, 16, SEC, &ring);
	q2 = polled_queue(set2, 16, SEC, &ring2);
	ioas = attach_with_queue(set, q);
	for (i = 0; i < 6; i++)
		h[i] = submit(0x10000 * (i + 1));
	ck_assert_uint_eq(poll_ring(ring, f, 16), 6);
	for (i = 0; i < 6; i++) {
		c[i] = f[i].cookie;
		io = f[i].addr;
		ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem + i * PG, PG, RW | FIXED, &io));
	}
	/* bad arguments and a bad code: nothing answered */
	n = 2;
	ck_assert_int_eq(ioasid_fault_ring_respond_many(NULL, c, 0, &n), -EINVAL);
	ck_assert_int_eq(ioasid_fault_ring_respond_many(ring, NULL, 0, &n), -EINVAL);
	ck_assert_int_eq(ioasid_fault_ring_respond_many(ring, c, 0, NULL), -EINVAL);
	n = 2;
	ck_assert_int_eq(ioasid_fault_ring_respond_many(ring, c, 9, &n), -EINVAL);
	ck_assert_errmsg_has(ctx, "response code 9");
	ck_assert_uint_eq(n, 0);
	n = 2;
	ck_assert_int_eq(ioasid_fault_ring_respond_many(ring2, c, 0, &n), -EINVAL);
	ck_assert_uint_eq(n, 0);
	n = 0;
	ck_assert_ok(ctx, ioasid_fault_ring_respond_many(ring, NULL, 0, &n));
	ck_assert_uint_eq(n, 0);
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h[i], &done), -EAGAIN);
	/* two answered SUCCESS at once */
	n = 2;
	ck_assert_ok(ctx, ioasid_fault_ring_respond_many(ring, c, IOASID_FAULT_SUCCESS, &n));
	ck_assert_uint_eq(n, 2);
	ck_assert_ok(ctx, ioasid_sim_dma_poll(ctx, h[0], &done));
	ck_assert_ok(ctx, ioasid_sim_dma_poll(ctx, h[1], &done));
	/* the third, then one answered already: the third stands, none after */
	n = 4;
	c[3] = c[0];
	ck_assert_int_eq(ioasid_fault_ring_respond_many(ring, c + 2, IOASID_FAULT_INVALID, &n),
			 -EINVAL);
	ck_assert_uint_eq(n, 1);
	ck_assert_errmsg_has(ctx, "response 1 of 4");
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h[2], &done), -EFAULT);
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h[3], &done), -EAGAIN);
	/* the rest, FAILURE */
	c[3] = f[3].cookie;
	n = 3;
	ck_assert_ok(ctx, ioasid_fault_ring_respond_many(ring, c + 3, IOASID_FAULT_FAILURE, &n));
	ck_assert_uint_eq(n, 3);
	for (i = 3; i < 6; i++)
		ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h[i], &done), -EIO);
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q, &st));
	ck_assert_uint_eq(st.answered_success, 2);
	ck_assert_uint_eq(st.answered_invalid, 1);
	ck_assert_uint_eq(st.answered_failure, 3);
	ck_assert_uint_eq(st.pending, 0);
	(void)q2;
}
END_TEST

/*
 * Sleep and wake-up, both ways. The owner sleeps in ioasid_fault_ring_wait()
 * whenever the ring is empty — every round, so every round the record is
 * published around the moment it arms; and it answers late every few rounds
 * (after the device's bounded spin), so the device sleeps and the answer
 * must wake it. A lost wake-up either way leaves a side asleep: the owner's
 * wait times out (asserted), or the DMA waits until the group's 60 s
 * timeout (the test's timeout fails first).
 */
#define WAKE_ROUNDS 2000

struct waker {
	struct ioasid_fault_ring *ring;
	uint32_t ioas;
	int answered;
	int timeouts;
};

static void *sleepy_owner(void *arg)
{
	struct waker *w = arg;

	while (w->answered < WAKE_ROUNDS) {
		struct ioasid_fault f[16];
		uint32_t n = 16, i;
		uint64_t io;

		if (ioasid_fault_ring_poll(w->ring, f, &n))
			break;
		if (!n) {
			if (ioasid_fault_ring_wait(w->ring, 10 * SEC) == -ETIMEDOUT) {
				w->timeouts++;
				break;
			}
			continue;
		}
		for (i = 0; i < n; i++) {
			io = f[i].addr;
			if (ioasid_ioas_map(ctx, w->ioas, mem, PG, RW | FIXED, &io))
				return NULL;
			if (w->answered % 16 == 5)
				usleep(100); /* longer than the device spins */
			if (ioasid_fault_ring_respond(w->ring, f[i].cookie, IOASID_FAULT_SUCCESS))
				return NULL;
			w->answered++;
		}
	}
	return NULL;
}

START_TEST(test_ring_sleep_wake)
{
	uint32_t set = new_set(), q;
	struct waker w = { 0 };
	pthread_t t;
	char b[8];
	size_t done;
	int i;

	ck_assert_ok(ctx, ioasid_ctx_set_clock(ctx, NULL, NULL));
	q = polled_queue(set, 16, 60 * SEC, &w.ring);
	w.ioas = attach_with_queue(set, q);
	ck_assert_int_eq(pthread_create(&t, NULL, sleepy_owner, &w), 0);
	for (i = 0; i < WAKE_ROUNDS; i++) {
		ck_assert_ok(ctx, ioasid_sim_dma_read(ctx, dev0, IOASID_PASID_NONE, 0x40000, b,
						      sizeof(b), &done));
		ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, w.ioas, 0x40000, PG, NULL));
		if (i % 3 == 0)
			usleep(20); /* the owner is asleep by now, or about to be */
	}
	pthread_join(t, NULL);
	ck_assert_int_eq(w.timeouts, 0);
	ck_assert_int_eq(w.answered, WAKE_ROUNDS);
}
END_TEST

/*
 * A signal ends ioasid_fault_ring_wait(), timed or not: -EINTR. The signal
 * is sent until the wait returns, so it ends the sleep whenever the owner
 * reaches it (one sent before it sleeps is handled and lost).
 */
struct sig_waiter {
	struct ioasid_fault_ring *ring;
	uint64_t timeout;
	int ret;
	int done;
	char msg[256]; /* the waiter's: messages are per thread */
};

static void on_usr1(int sig)
{
	(void)sig;
}

static void *sig_wait_main(void *arg)
{
	struct sig_waiter *w = arg;

	w->ret = ioasid_fault_ring_wait(w->ring, w->timeout);
	snprintf(w->msg, sizeof(w->msg), "%s", ioasid_ctx_errmsg(ctx));
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

START_TEST(test_ring_wait_signal)
{
	struct sigaction sa = { .sa_handler = on_usr1 }, old;
	uint32_t set = new_set();
	struct sig_waiter w = { 0 };
	pthread_t t;
	int k, i;

	attach_with_queue(set, polled_queue(set, 16, 60 * SEC, &w.ring));
	sigemptyset(&sa.sa_mask); /* no SA_RESTART: the sleep must end */
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, &old), 0);
	for (k = 0; k < 2; k++) {
		w.timeout = k ? 60 * SEC : UINT64_MAX;
		w.done = 0;
		ck_assert_int_eq(pthread_create(&t, NULL, sig_wait_main, &w), 0);
		for (i = 0; i < 5000 && !__atomic_load_n(&w.done, __ATOMIC_ACQUIRE); i++) {
			pthread_kill(t, SIGUSR1);
			usleep(1000);
		}
		if (!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE))
			submit(0x40000 +
			       (uint64_t)k * PG); /* the signals did not end it: a record does */
		pthread_join(t, NULL);
		ck_assert_int_eq(w.ret, -EINTR);
		ck_assert_msg(strstr(w.msg, "futex wait"), "message '%s'", w.msg);
	}
	ck_assert_int_eq(sigaction(SIGUSR1, &old, NULL), 0);
}
END_TEST

/* Several device threads, one polling owner: nothing lost, ring order = raise order. */
#define NTHREADS 4
#define PER_THREAD 500

struct poller {
	struct ioasid_fault_ring *ring;
	uint32_t ioas;
	int answered;
	int disorder;
	int stop;
};

static void *polling_owner(void *arg)
{
	struct poller *o = arg;
	uint64_t last = 0, cookies[64];
	unsigned int polls = 0;

	while (!__atomic_load_n(&o->stop, __ATOMIC_ACQUIRE)) {
		struct ioasid_fault f[64];
		uint32_t n = 64, i, m;

		if (ioasid_fault_ring_poll(o->ring, f, &n))
			break;
		if (!n) {
			ioasid_fault_ring_wait(o->ring, 1000000);
			continue;
		}
		m = 0;
		for (i = 0; i < n; i++) {
			uint64_t io = f[i].addr;
			int r = ioasid_ioas_map(ctx, o->ioas, mem + (io / PG % 32) * PG, PG,
						RW | FIXED, &io);

			if (r && r != -EEXIST)
				return NULL;
			if (f[i].cookie <= last)
				o->disorder++;
			last = f[i].cookie;
			/* every other poll answered at once, with one call */
			if (polls % 2) {
				cookies[m++] = f[i].cookie;
				continue;
			}
			if (ioasid_fault_ring_respond(o->ring, f[i].cookie, IOASID_FAULT_SUCCESS))
				return NULL;
			o->answered++;
		}
		if (m &&
		    (ioasid_fault_ring_respond_many(o->ring, cookies, IOASID_FAULT_SUCCESS, &m) ||
		     m != (polls % 2 ? n : 0)))
			return NULL;
		o->answered += (int)m;
		polls++;
	}
	return NULL;
}

START_TEST(test_ring_stress_threads)
{
	struct poller o = { 0 };
	struct test_dma_reader d[NTHREADS];
	struct ioasid_fault_queue_stats st;
	pthread_t ot, t[NTHREADS];
	uint32_t set = new_set(), q;
	int i;

	ck_assert_ok(ctx, ioasid_ctx_set_clock(ctx, NULL, NULL));
	/* a ring smaller than the threads' demand at times: back-pressure too */
	q = polled_queue(set, 2, 60 * SEC, &o.ring);
	o.ioas = attach_with_queue(set, q);
	ck_assert_int_eq(pthread_create(&ot, NULL, polling_owner, &o), 0);
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
	__atomic_store_n(&o.stop, 1, __ATOMIC_RELEASE);
	pthread_join(ot, NULL);
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q, &st));
	ck_assert_uint_eq(st.groups, NTHREADS * PER_THREAD);
	ck_assert_uint_eq(st.answered_success, NTHREADS * PER_THREAD);
	ck_assert_uint_eq(st.delivered, st.raised);
	ck_assert_uint_eq(st.overflowed + st.timed_out + st.detached, 0);
	ck_assert_int_eq(o.answered, NTHREADS * PER_THREAD);
	ck_assert_int_eq(o.disorder, 0);
}
END_TEST

/* A burst of asynchronous DMAs larger than the ring, from several threads. */
static void *burst_main(void *arg)
{
	struct test_dma_reader *d = arg;
	uint64_t h[24];
	bool waits[24];
	size_t done;
	char b[4];
	int i, r;

	for (i = 0; i < 24; i++) {
		r = ioasid_sim_dma_submit(ctx, dev0, IOASID_PASID_NONE,
					  0x200000000ull * (d->idx + 1) + (uint64_t)i * PG, b,
					  sizeof(b), false, &h[i], &done);
		/* -EIO: every response slot taken, answered FAILURE at once */
		waits[i] = r == -EAGAIN;
		if (!waits[i] && r != -EIO)
			return NULL;
	}
	for (i = 0; i < 24; i++)
		if (waits[i] && ioasid_sim_dma_wait(ctx, h[i], 30 * SEC, &done) == 0)
			d->ok++;
	return NULL;
}

START_TEST(test_ring_burst_backpressure)
{
	struct poller o = { 0 };
	struct test_dma_reader d[NTHREADS];
	struct ioasid_fault_queue_stats st;
	pthread_t ot, t[NTHREADS];
	uint32_t set = new_set(), q;
	int i;

	ck_assert_ok(ctx, ioasid_ctx_set_clock(ctx, NULL, NULL));
	/* 16 records, 32 slots: 4 x 24 = 96 requests can overflow the slots */
	q = polled_queue(set, 16, 60 * SEC, &o.ring);
	o.ioas = attach_with_queue(set, q);
	ck_assert_int_eq(pthread_create(&ot, NULL, polling_owner, &o), 0);
	for (i = 0; i < NTHREADS; i++) {
		d[i] = (struct test_dma_reader){ .idx = i };
		ck_assert_int_eq(pthread_create(&t[i], NULL, burst_main, &d[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	__atomic_store_n(&o.stop, 1, __ATOMIC_RELEASE);
	pthread_join(ot, NULL);
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q, &st));
	/* a group is answered by the owner, or overflowed — never lost */
	ck_assert_uint_eq(st.groups, st.answered_success + st.overflowed);
	ck_assert_uint_eq(st.answered_success, (uint64_t)o.answered);
	ck_assert_uint_eq(st.timed_out + st.detached, 0);
	ck_assert_uint_eq(st.pending, 0);
	ck_assert_uint_eq(st.queued, 0);
	ck_assert_int_eq(o.disorder, 0);
	ck_assert_uint_eq(d[0].ok + d[1].ok + d[2].ok + d[3].ok, st.answered_success);
}
END_TEST

/*
 * Answered groups are kept for reuse (up to 64 a queue): with 70 groups
 * of one and two records in flight, over several rounds, groups come
 * both from the spares and new, and each is delivered with its own
 * records, LAST on its last one, a fresh cookie, answered once.
 */
START_TEST(test_ring_group_reuse)
{
	uint32_t set = new_set(), q, n, i, k, round, ngroups;
	struct ioasid_fault_ring *ring;
	struct ioasid_fault_queue_stats st;
	static struct ioasid_fault f[128];
	static char buf[2 * 4096];
	uint64_t h[70], cookies[70], last_cookie = 0;
	size_t done;

	q = polled_queue(set, 128, 0, &ring);
	attach_with_queue(set, q);
	for (round = 0; round < 4; round++) {
		for (i = 0; i < 70; i++)
			ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev0, IOASID_PASID_NONE,
							       0x1000000 * (i + 1), buf,
							       i % 2 ? sizeof(buf) : 4, false,
							       &h[i], &done),
					 -EAGAIN);
		n = poll_ring(ring, f, 128);
		ck_assert_uint_eq(n, 35 + 35 * 2);
		for (k = 0, ngroups = 0; k < n; ngroups++) {
			uint32_t len = ngroups % 2 ? 2 : 1, j;

			ck_assert_uint_eq(f[k].addr, 0x1000000ull * (ngroups + 1));
			ck_assert_uint_gt(f[k].cookie, last_cookie);
			last_cookie = cookies[ngroups] = f[k].cookie;
			for (j = 0; j < len; j++) {
				ck_assert_uint_eq(f[k + j].addr, f[k].addr + j * PG);
				ck_assert_uint_eq(f[k + j].cookie, f[k].cookie);
				ck_assert_uint_eq(!!(f[k + j].flags & IOASID_FAULT_F_LAST),
						  j == len - 1);
			}
			k += len;
		}
		ck_assert_uint_eq(ngroups, 70);
		for (i = 0; i < 70; i++) {
			if (i % 2)
				ck_assert_ok(ctx, ioasid_fault_ring_respond(ring, cookies[i],
									    IOASID_FAULT_INVALID));
			else
				ck_assert_ok(ctx, ioasid_fault_respond(ctx, q, cookies[i],
								       IOASID_FAULT_INVALID));
			/* answered once, whichever way */
			ck_assert_int_eq(ioasid_fault_ring_respond(ring, cookies[i],
								   IOASID_FAULT_SUCCESS),
					 -EINVAL);
		}
		for (i = 0; i < 70; i++)
			ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h[i], &done), -EFAULT);
	}
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q, &st));
	ck_assert_uint_eq(st.groups, 280);
	ck_assert_uint_eq(st.raised, 420);
	ck_assert_uint_eq(st.delivered, 420);
	ck_assert_uint_eq(st.answered_invalid, 280);
	ck_assert_uint_eq(st.pending, 0);
	ck_assert_uint_eq(st.overflowed, 0);
}
END_TEST

/* Detach and destroy with groups on the ring and answers in flight. */
START_TEST(test_ring_destroy)
{
	uint32_t set = new_set(), q;
	struct ioasid_fault_ring *ring;
	struct ioasid_fault_queue_stats st;
	struct ioasid_fault f[16];
	uint64_t h[3];
	size_t done;
	int i;

	q = polled_queue(set, 16, 0, &ring);
	attach_with_queue(set, q);
	for (i = 0; i < 3; i++)
		h[i] = submit(0x10000 * (i + 1));
	ck_assert_uint_eq(poll_ring(ring, f, 1), 1);
	ck_assert_ok(ctx, ioasid_fault_ring_respond(ring, f[0].cookie, IOASID_FAULT_INVALID));
	/* a detach answers what is pending; its answer stands over one in flight */
	ck_assert_ok(ctx, ioasid_dev_detach(ctx, dev0, IOASID_PASID_NONE));
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q, &st));
	ck_assert_uint_eq(st.answered_invalid, 0);
	ck_assert_uint_eq(st.detached, 3);
	ck_assert_uint_eq(st.pending, 0);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(ioasid_sim_dma_poll(ctx, h[i], &done), -EFAULT);
	/* two records still on the ring, unread, at destroy: freed with it */
	ck_assert_ok(ctx, ioasid_fault_queue_destroy(ctx, q));
	ck_assert_int_eq(ioasid_fault_queue_destroy(ctx, q), -ENOENT);
}
END_TEST

/* Every allocation of a polled queue failing in turn: -ENOMEM, nothing left behind. */
START_TEST(test_ring_alloc_fail)
{
	struct ioasid_fault_queue_opts qo = { .sz = sizeof(qo),
					      .set = new_set(),
					      .flags = IOASID_FAULT_QUEUE_POLLED };
	struct ioasid_fault_ring *ring;
	unsigned long n;
	uint32_t q, first;
	int r;

	ck_assert_ok(ctx, ioasid_fault_queue_alloc(ctx, &qo, &first));
	ck_assert_ok(ctx, ioasid_fault_queue_destroy(ctx, first));
	for (n = 1;; n++) {
		ioasid_alloc_fail_nth(n);
		r = ioasid_fault_queue_alloc(ctx, &qo, &q);
		ioasid_alloc_fail_nth(0);
		if (!ioasid_alloc_failed())
			break;
		ck_assert_int_eq(r, -ENOMEM);
		ck_assert_int_eq(ioasid_obj_kind(ctx, first), IOASID_OBJ_NONE);
	}
	ck_assert_int_eq(r, 0);
	ck_assert_uint_ge(n, 6); /* the queue, the ring, its four arrays */
	/* no id was leaked by the failures: the queue has the first free one */
	ck_assert_uint_eq(q, first);
	ck_assert_ok(ctx, ioasid_fault_ring_get(ctx, q, &ring));
	ck_assert_ok(ctx, ioasid_fault_queue_destroy(ctx, q));
}
END_TEST

Suite *fault_ring_suite(void)
{
	Suite *s = suite_create("fault_ring");
	TCase *tc = tcase_create("fault_ring");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_ring_order_and_rules);
	tcase_add_test(tc, test_ring_wraparound);
	tcase_add_test(tc, test_ring_full);
	tcase_add_test(tc, test_ring_bad_responses);
	tcase_add_test(tc, test_ring_respond_many);
	tcase_add_test(tc, test_ring_sleep_wake);
	tcase_add_test(tc, test_ring_wait_signal);
	tcase_add_test(tc, test_ring_stress_threads);
	tcase_add_test(tc, test_ring_burst_backpressure);
	tcase_add_test(tc, test_ring_destroy);
	tcase_add_test(tc, test_ring_group_reuse);
	tcase_add_test(tc, test_ring_alloc_fail);
	suite_add_tcase(s, tc);
	return s;
}
