/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fault queues of the iommufd backend against the fake kernel's queues
 * (fake-kernel.c): the kernel's whole-group, lowest-free-cookie and EINVAL
 * semantics behind an eventfd, the library's ids and cookies, responses
 * as bytes, the timeout (an injected clock and the real timer thread),
 * detach, automatic domains and destroy.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"

#include "backend/iommufd/iommufd-private.h"
#include "fake-kernel.h"

static uint64_t fq_now;

static uint64_t fq_clock(void *data)
{
	(void)data;
	return fq_now;
}

static bool fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* Read one group of @want records off @q; returns its cookie. */
static uint64_t fq_read_one(struct ioasid_ctx *ctx, uint32_t q, struct ioasid_fault *f,
			    uint32_t want)
{
	uint32_t n = 8;

	ck_assert_ok(ctx, ioasid_fault_read(ctx, q, f, &n));
	ck_assert_uint_eq(n, want);
	ck_assert(f[n - 1].flags & IOASID_FAULT_F_LAST);
	return f[0].cookie;
}

/* The kernel's perm bits READ and WRITE. */
enum {
	R = 0x1u,
	RW = 0x1u | 0x2u
};

/*
 * The state test_fake_kernel_faults builds up: one device, two sets with a
 * queue each (q1 in s1, q2 in s2), an IOAS and an HWPT reporting to q1.
 */
struct fq_test {
	struct fake k;
	struct fake_fq fqs[4];
	struct ioasid_ctx *ctx;
	uint32_t a, d, s1, s2, q1, q2, h;
	int fd, qfd;
};

static void fq_test_setup(struct fq_test *t)
{
	struct ioasid_set_opts so = { .sz = sizeof(so), .max_ioas = 4 };
	struct ioasid_ctx *ctx;

	fake_sysfs();
	ctx = t->ctx = fake_ctx(&t->k);
	t->k.fq = t->fqs;
	/* an injected clock from the start: no timer thread, ioasid_fault_expire() */
	fq_now = 5000;
	ck_assert_ok(ctx, ioasid_ctx_set_clock(ctx, fq_clock, NULL));
	ck_assert_int_eq(iommufd_set_fault_io_hook(ctx, fake_fault_io, &t->k), 0);
	t->fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ck_assert_ok(ctx, ioasid_dev_bind_fd(ctx, t->fd, &t->d));
	ck_assert_ok(ctx, ioasid_set_alloc(ctx, &so, &t->s1));
	ck_assert_ok(ctx, ioasid_set_alloc(ctx, &so, &t->s2));
}

/* Kernel queues (one refused first) and an HWPT that reports to q1. */
static void fq_test_queues(struct fq_test *t)
{
	struct ioasid_fault_queue_opts qo = { .sz = sizeof(qo), .timeout_ns = 1000 };
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho), .flags = IOASID_HWPT_FAULT_ID_VALID };
	struct ioasid_ctx *ctx = t->ctx;
	uint32_t kid;

	/* the kernel refuses a queue: its errno and a message naming the ioctl */
	t->k.fail_req = KU_IOMMU_FAULT_QUEUE_ALLOC;
	t->k.fail_err = -ENOTTY;
	qo.set = t->s1;
	ck_assert_ret(ctx, ioasid_fault_queue_alloc(ctx, &qo, &t->q1), -ENOTTY);
	ck_assert_errmsg_has(ctx, "IOMMU_FAULT_QUEUE_ALLOC");
	t->k.fail_err = 0;

	/* polled delivery is the library's own: refused, naming it */
	qo.flags = IOASID_FAULT_QUEUE_POLLED;
	ck_assert_ret(ctx, ioasid_fault_queue_alloc(ctx, &qo, &t->q1), -EOPNOTSUPP);
	ck_assert_errmsg_has(ctx, "IOASID_FAULT_QUEUE_POLLED");
	ck_assert_uint_eq(t->k.nr_fq, 0);
	qo.flags = 0;

	/* a kernel queue: its id, its fd (close-on-exec, non-blocking) */
	ck_assert_ok(ctx, ioasid_fault_queue_alloc(ctx, &qo, &t->q1));
	qo.set = t->s2;
	ck_assert_ok(ctx, ioasid_fault_queue_alloc(ctx, &qo, &t->q2));
	ck_assert_uint_eq(t->k.nr_fq, 2);
	ck_assert_ok(ctx, ioasid_obj_kernel_id(ctx, t->q1, &kid));
	ck_assert_uint_eq(kid, t->fqs[0].id);
	ck_assert_ok(ctx, ioasid_fault_queue_fd(ctx, t->q1, &t->qfd));
	ck_assert_int_eq(t->qfd, t->fqs[0].fd);
	ck_assert_int_eq(fcntl(t->qfd, F_GETFD), FD_CLOEXEC);
	ck_assert(fcntl(t->qfd, F_GETFL) & O_NONBLOCK);

	/* an HWPT with it: FAULT_ID_VALID and the kernel's fault id */
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &t->a));
	ho.fault_queue = t->q1;
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, t->d, t->a, &ho, &t->h));
	ck_assert_uint_eq(t->k.last_hwpt.flags, KU_IOMMU_HWPT_FAULT_ID_VALID);
	ck_assert_uint_eq(t->k.last_hwpt.fault_id, t->fqs[0].id);
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, t->d, IOASID_PASID_NONE, t->h, NULL));
}

/*
 * Reads: nothing, then a group of two, only whole and with the library's
 * ids; the group's cookie.
 */
static uint64_t fq_test_read_groups(struct fq_test *t)
{
	struct ioasid_ctx *ctx = t->ctx;
	struct fake_fq *fqs = t->fqs;
	struct ioasid_fault_queue_stats st;
	struct ioasid_fault f[8];
	uint32_t n, q1 = t->q1, d = t->d, h = t->h;
	int qfd = t->qfd;
	uint64_t c;

	/* nothing waits */
	n = 8;
	ck_assert_ok(ctx, ioasid_fault_read(ctx, q1, f, &n));
	ck_assert_uint_eq(n, 0);
	ck_assert(!fd_readable(qfd));

	/* a group of two: only whole, with the library's ids */
	fake_fq_raise(&fqs[0], 77, false, 0, 0x10000, RW, 2);
	ck_assert(fd_readable(qfd));
	n = 1;
	ck_assert_ret(ctx, ioasid_fault_read(ctx, q1, f, &n), -EMSGSIZE);
	ck_assert_uint_eq(n, 0);
	ck_assert_errmsg_has(ctx, "does not fit in 1 record");
	fqs[0].old_kernel = true; /* a kernel that reads 0 bytes instead */
	n = 1;
	ck_assert_ret(ctx, ioasid_fault_read(ctx, q1, f, &n), -EMSGSIZE);
	n = 0;
	ck_assert_ret(ctx, ioasid_fault_read(ctx, q1, NULL, &n), -EMSGSIZE);
	fqs[0].old_kernel = false;
	n = 0;
	ck_assert_ret(ctx, ioasid_fault_read(ctx, q1, NULL, &n), -EMSGSIZE);
	ck_assert(fd_readable(qfd));
	c = fq_read_one(ctx, q1, f, 2);
	ck_assert(!fd_readable(qfd));
	ck_assert_uint_ne(c, 0);
	ck_assert_uint_eq(f[1].cookie, c);
	ck_assert_uint_eq(f[0].dev, d);
	ck_assert_uint_eq(f[0].hwpt, h);
	ck_assert_uint_eq(f[1].hwpt, h);
	ck_assert_uint_eq(f[0].pasid, IOASID_PASID_NONE);
	ck_assert_uint_eq(f[0].addr, 0x10000);
	ck_assert_uint_eq(f[1].addr, 0x11000);
	ck_assert_uint_eq(f[0].grpid, 5);
	ck_assert_uint_eq(f[0].reason, IOASID_FAULT_R_PAGE_REQUEST);
	ck_assert_uint_eq(f[0].flags, IOASID_FAULT_F_READ | IOASID_FAULT_F_WRITE |
					      IOASID_FAULT_F_PAGE_REQ | IOASID_FAULT_F_ADDR_VALID |
					      IOASID_FAULT_F_GROUP_VALID);
	ck_assert(f[1].flags & IOASID_FAULT_F_LAST);
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q1, &st));
	ck_assert_uint_eq(st.raised, 2);
	ck_assert_uint_eq(st.delivered, 2);
	ck_assert_uint_eq(st.groups, 1);
	ck_assert_uint_eq(st.pending, 1);
	ck_assert_uint_eq(st.queued, 0);
	return c;
}

/*
 * Responses: the rules the kernel cannot know, the kernel's cookies
 * reused under new library cookies, a group the kernel no longer has.
 */
static void fq_test_respond(struct fq_test *t, uint64_t c)
{
	struct ioasid_ctx *ctx = t->ctx;
	struct fake_fq *fqs = t->fqs;
	struct ioasid_fault f[8];
	uint32_t q1 = t->q1, q2 = t->q2;
	uint64_t c2;

	/* the rules the kernel cannot know: refused before it is asked */
	ck_assert_ret(ctx, ioasid_fault_respond(ctx, q2, c, IOASID_FAULT_SUCCESS), -EPERM);
	ck_assert_ret(ctx, ioasid_fault_respond(ctx, q1, c, 3), -EINVAL);
	ck_assert_uint_eq(fqs[0].writes, 0);
	ck_assert_uint_eq(fqs[1].writes, 0);
	ck_assert_ok(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS));
	ck_assert_uint_eq(fqs[0].writes, 1);
	ck_assert_uint_eq(fqs[0].last.cookie, 1);
	ck_assert_uint_eq(fqs[0].last.code, 0);
	ck_assert_ret(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS), -EINVAL);
	ck_assert_errmsg_has(ctx, "no pending group");
	ck_assert_uint_eq(fqs[0].writes, 1);

	/* the kernel reuses its cookie 1; the library's cookie is new. FAILURE goes as INVALID */
	fake_fq_raise(&fqs[0], 77, false, 0, 0x20000, R, 1);
	c2 = fq_read_one(ctx, q1, f, 1);
	ck_assert_uint_ne(c2, c);
	ck_assert_uint_eq(f[0].flags & (IOASID_FAULT_F_READ | IOASID_FAULT_F_WRITE),
			  IOASID_FAULT_F_READ);
	ck_assert_ret(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS), -EINVAL);
	ck_assert_ok(ctx, ioasid_fault_respond(ctx, q1, c2, IOASID_FAULT_FAILURE));
	ck_assert_uint_eq(fqs[0].writes, 2);
	ck_assert_uint_eq(fqs[0].last.cookie, 1);
	ck_assert_uint_eq(fqs[0].last.code, 1);

	/* the kernel no longer has the group (answered behind the library's back) */
	fake_fq_raise(&fqs[0], 77, false, 0, 0x30000, RW, 1);
	c = fq_read_one(ctx, q1, f, 1);
	fqs[0].outstanding[1] = false;
	ck_assert_ret(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS), -EINVAL);
	ck_assert_errmsg_has(ctx, "no longer pending in the kernel");
	ck_assert_ret(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS), -EINVAL);
	ck_assert_errmsg_has(ctx, "no pending group");
}

/* The timeout; a device this context has not bound. */
static void fq_test_timeout_and_stranger(struct fq_test *t)
{
	struct ioasid_ctx *ctx = t->ctx;
	struct fake_fq *fqs = t->fqs;
	struct ioasid_fault f[8];
	uint32_t q1 = t->q1, expired;
	uint64_t c;

	/* the timeout runs from delivery and answers INVALID to the kernel */
	fake_fq_raise(&fqs[0], 77, false, 0, 0x40000, RW, 1);
	fq_now += 5000; /* waiting in the kernel does not count */
	c = fq_read_one(ctx, q1, f, 1);
	fq_now += 999;
	ck_assert_ok(ctx, ioasid_fault_expire(ctx, &expired));
	ck_assert_uint_eq(expired, 0);
	fq_now += 1;
	ck_assert_ok(ctx, ioasid_fault_expire(ctx, &expired));
	ck_assert_uint_eq(expired, 1);
	ck_assert_uint_eq(fqs[0].writes, 3);
	ck_assert_uint_eq(fqs[0].last.code, 1);
	ck_assert(!fqs[0].outstanding[1]);
	ck_assert_ret(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS), -EINVAL);
	/* the library's record of the timeout comes first, before the kernel's groups */
	ck_assert_uint_eq(fq_read_one(ctx, q1, f, 1), c);
	ck_assert_uint_eq(f[0].flags & (IOASID_FAULT_F_TIMED_OUT | IOASID_FAULT_F_PAGE_REQ),
			  IOASID_FAULT_F_TIMED_OUT);
	ck_assert_uint_eq(f[0].dev, t->d);
	ck_assert_uint_eq(f[0].reason, IOASID_FAULT_R_PAGE_REQUEST);
	ck_assert_ret(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS), -EINVAL);

	/* a device this context has not bound: no library device or HWPT */
	fake_fq_raise(&fqs[0], 99, true, 7, 0x50000, RW, 1);
	c = fq_read_one(ctx, q1, f, 1);
	ck_assert_uint_eq(f[0].dev, 0);
	ck_assert_uint_eq(f[0].hwpt, 0);
	ck_assert_uint_eq(f[0].pasid, 7);
	ck_assert(f[0].flags & IOASID_FAULT_F_PASID_VALID);
	ck_assert_ok(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_INVALID));
	ck_assert_uint_eq(fqs[0].writes, 4);
}

/* Detach answers what is pending; the queue's counts so far. */
static void fq_test_detach(struct fq_test *t)
{
	struct ioasid_ctx *ctx = t->ctx;
	struct fake_fq *fqs = t->fqs;
	struct ioasid_fault_queue_stats st;
	struct ioasid_fault f[8];
	uint32_t q1 = t->q1, d = t->d;
	uint64_t c;

	/* detach: the kernel answers what is pending; the library drops its record */
	fake_fq_raise(&fqs[0], 77, false, 0, 0x60000, RW, 1);
	c = fq_read_one(ctx, q1, f, 1);
	ck_assert_ok(ctx, ioasid_dev_detach(ctx, d, IOASID_PASID_NONE));
	ck_assert_uint_eq(fqs[0].writes, 4);
	ck_assert_ret(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS), -EINVAL);
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q1, &st));
	ck_assert_uint_eq(st.groups, 6);
	ck_assert_uint_eq(st.delivered, 8); /* the timeout's record among them */
	ck_assert_uint_eq(st.answered_success, 1);
	ck_assert_uint_eq(st.answered_invalid, 1);
	ck_assert_uint_eq(st.answered_failure, 1);
	ck_assert_uint_eq(st.timed_out, 1);
	ck_assert_uint_eq(st.detached, 2); /* the kernel's answer and the detach */
	ck_assert_uint_eq(st.pending, 0);
}

/* An IOAS attach with a queue: a real HWPT with the fault id. */
static void fq_test_auto_domain(struct fq_test *t)
{
	struct ioasid_attach_opts ao = { .sz = sizeof(ao) };
	struct ioasid_ctx *ctx = t->ctx;
	struct fake *k = &t->k;
	struct fake_fq *fqs = t->fqs;
	struct ioasid_fault f[8];
	uint32_t q1 = t->q1, d = t->d, a = t->a, auto_h, kid;
	uint64_t c;

	ao.fault_queue = q1;
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, a, &ao));
	ck_assert_uint_eq(k->last_hwpt.flags, KU_IOMMU_HWPT_FAULT_ID_VALID);
	ck_assert_uint_eq(k->last_hwpt.fault_id, fqs[0].id);
	ck_assert_uint_eq(k->last_attach.pt_id, k->last_hwpt.out_hwpt_id);
	auto_h = find_hwpt(ctx);
	ck_assert_uint_ne(auto_h, 0);
	ck_assert_ok(ctx, ioasid_obj_kernel_id(ctx, auto_h, &kid));
	ck_assert_uint_eq(kid, k->last_hwpt.out_hwpt_id);
	fake_fq_raise(&fqs[0], 77, false, 0, 0x70000, RW, 1);
	c = fq_read_one(ctx, q1, f, 1);
	ck_assert_uint_eq(f[0].hwpt, auto_h);
	ck_assert_ok(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS));
	/*
	 * VT-d sets 0x4 ("the response needs the PASID") on every request
	 * with a PASID: read like any other, answered as asked.
	 */
	fake_fq_raise(&fqs[0], 77, true, 5, 0x80000, RW, 1);
	fqs[0].recs[fqs[0].nr - 1].flags |= 0x4;
	c = fq_read_one(ctx, q1, f, 1);
	ck_assert_uint_eq(f[0].pasid, 5);
	ck_assert_uint_eq(f[0].hwpt, auto_h);
	ck_assert_ok(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS));
	ck_assert_uint_eq(fqs[0].last.code, 0);
	ck_assert_ok(ctx, ioasid_dev_detach(ctx, d, IOASID_PASID_NONE));
	ck_assert_uint_eq(find_hwpt(ctx), 0);
}

/*
 * Fault queues on iommufd, against the fake kernel: the kernel queue and
 * its fd, FAULT_ID_VALID with the kernel's fault id (explicit and
 * automatic domains), whole-group reads converted with the library's
 * device and HWPT ids and cookies, responses as the kernel's bytes
 * (FAILURE as INVALID), the rules the kernel cannot know (one response,
 * EPERM through another set's queue, the timeout), the kernel's EINVAL,
 * detach, destroy.
 */
START_TEST(test_fake_kernel_faults)
{
	struct fq_test t;
	int qfd;

	memset(&t, 0, sizeof(t));
	fq_test_setup(&t);
	fq_test_queues(&t);
	fq_test_respond(&t, fq_test_read_groups(&t));
	fq_test_timeout_and_stranger(&t);
	fq_test_detach(&t);

	/* busy while bound */
	ck_assert_ret(t.ctx, ioasid_fault_queue_destroy(t.ctx, t.q1), -EBUSY);
	ck_assert_ok(t.ctx, ioasid_hwpt_destroy(t.ctx, t.h));
	fq_test_auto_domain(&t);

	/* destroy: the fd is closed before the kernel object goes */
	ck_assert_ok(t.ctx, ioasid_fault_queue_destroy(t.ctx, t.q1));
	ck_assert(t.fqs[0].destroyed && t.fqs[0].fd_was_closed);
	ck_assert_ret(t.ctx, ioasid_fault_queue_fd(t.ctx, t.q1, &qfd), -ENOENT);
	ioasid_ctx_close(t.ctx);
	ck_assert(t.fqs[1].destroyed && t.fqs[1].fd_was_closed);
	close(t.fd);
	fake_sysfs_rm();
}
END_TEST

/* The real clock: the timer thread answers a kernel group the owner forgot. */
START_TEST(test_fake_kernel_fault_timer)
{
	struct ioasid_fault_queue_opts qo = { .sz = sizeof(qo), .timeout_ns = 1000000 };
	struct ioasid_set_opts so = { .sz = sizeof(so) };
	struct ioasid_fault_queue_stats st;
	struct ioasid_fault f[8];
	struct fake_fq fqs[1];
	struct fake k;
	struct ioasid_ctx *ctx;
	uint32_t q;
	int i;

	fake_sysfs();
	ctx = fake_ctx(&k);
	k.fq = fqs;
	ck_assert_int_eq(iommufd_set_fault_io_hook(ctx, fake_fault_io, &k), 0);
	ck_assert_ok(ctx, ioasid_set_alloc(ctx, &so, &qo.set));
	ck_assert_ok(ctx, ioasid_fault_queue_alloc(ctx, &qo, &q));
	fake_fq_raise(&fqs[0], 77, false, 0, 0x1000, 1, 1);
	fq_read_one(ctx, q, f, 1);
	for (i = 0; i < 2000; i++) {
		ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q, &st));
		if (st.timed_out)
			break;
		usleep(1000);
	}
	ck_assert_uint_eq(st.timed_out, 1);
	ck_assert_uint_eq(st.pending, 0);
	/* the stats call took the lock after the timer's answer */
	ck_assert_uint_eq(fqs[0].writes, 1);
	ck_assert_uint_eq(fqs[0].last.code, 1);
	ioasid_ctx_close(ctx);
	fake_sysfs_rm();
}
END_TEST

Suite *iommufd_faults_suite(void)
{
	Suite *s = suite_create("iommufd_faults");
	TCase *tc = tcase_create("iommufd_faults");

	tcase_add_test(tc, test_fake_kernel_faults);
	tcase_add_test(tc, test_fake_kernel_fault_timer);
	suite_add_tcase(s, tc);
	return s;
}
