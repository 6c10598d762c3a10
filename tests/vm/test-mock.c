/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library against the kernel's mock IOMMU (CONFIG_IOMMUFD_TEST), in the
 * VM: the selftest device ("iommufd-selftest:pasid") bound, attached and
 * PASID-attached through libioasid with the kernel's PASID rules, dirty
 * tracking through libioasid with dirt planted by the selftest, and a nest
 * parent made by libioasid carrying a nested HWPT of the mock's own format
 * (raw, through ioasid_ctx_fd() and ioasid_obj_kernel_id()), invalidated
 * and checked by the selftest. Our selftest command layout is compared
 * with the kernel's iommufd_test.h first.
 *
 * Then fault queues (test_faults()): kernel queues made through the
 * library, HWPTs and automatic domains with them, page faults raised by
 * the selftest (IOMMU_TEST_OP_TRIGGER_IOPF), read and answered through
 * the library, with the rules the kernel does not know (one answer,
 * EPERM through another set's queue, the timeout) checked against what
 * the kernel then still holds (a raw response to its cookie).
 */
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <sys/mman.h>

#include <linux/iommufd.h>
#include <iommufd_test.h>

#include "vmtest.h"
#include "linux/uapi.h"

#define X(v) ((unsigned long long)(v))

static int ifd;

static int test_cmd(struct iommu_test_cmd *c)
{
	c->size = sizeof(*c);
	return ioctl(ifd, IOMMU_TEST_CMD, c) ? -errno : 0;
}

static uint32_t kid(struct ioasid_ctx *ctx, uint32_t id)
{
	uint32_t k = 0;

	ioasid_obj_kernel_id(ctx, id, &k);
	return k;
}

/* The kernel's view of what (device, PASID) is attached to. */
static int pasid_is(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid, uint32_t hwpt_kid)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_PASID_CHECK_HWPT };

	/* the selftest object's id stays inside the backend: try the ids a
	 * context this small can have; only that object answers 0 */
	for (c.id = 1; c.id < 64; c.id++) {
		c.pasid_check.pasid = pasid;
		c.pasid_check.hwpt_id = hwpt_kid;
		if (!test_cmd(&c))
			return 1;
	}
	return 0;
}

static void test_layout(void)
{
	int ok = sizeof(struct ku_iommu_test_cmd) == sizeof(struct iommu_test_cmd) &&
		 offsetof(struct ku_iommu_test_cmd, mock_domain_flags.dev_flags) ==
			 offsetof(struct iommu_test_cmd, mock_domain_flags.dev_flags) &&
		 offsetof(struct ku_iommu_test_cmd, mock_domain_flags.out_idev_id) ==
			 offsetof(struct iommu_test_cmd, mock_domain_flags.out_idev_id) &&
		 offsetof(struct ku_iommu_test_cmd, mock_domain_replace.pt_id) ==
			 offsetof(struct iommu_test_cmd, mock_domain_replace.pt_id) &&
		 offsetof(struct ku_iommu_test_cmd, pasid_attach.pt_id) ==
			 offsetof(struct iommu_test_cmd, pasid_attach.pt_id) &&
		 offsetof(struct ku_iommu_test_cmd, pasid_detach.pasid) ==
			 offsetof(struct iommu_test_cmd, pasid_detach.pasid) &&
		 offsetof(struct ku_iommu_test_cmd, dirty.uptr) ==
			 offsetof(struct iommu_test_cmd, dirty.uptr) &&
		 offsetof(struct ku_iommu_test_cmd, last) == offsetof(struct iommu_test_cmd, last) &&
		 KU_IOMMU_TEST_CMD == IOMMU_TEST_CMD &&
		 KU_IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE == IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE &&
		 KU_IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS &&
		 KU_IOMMU_TEST_OP_DIRTY == IOMMU_TEST_OP_DIRTY &&
		 KU_IOMMU_TEST_OP_PASID_ATTACH == IOMMU_TEST_OP_PASID_ATTACH &&
		 KU_IOMMU_TEST_OP_PASID_REPLACE == IOMMU_TEST_OP_PASID_REPLACE &&
		 KU_IOMMU_TEST_OP_PASID_DETACH == IOMMU_TEST_OP_PASID_DETACH &&
		 KU_MOCK_FLAGS_DEVICE_NO_DIRTY == MOCK_FLAGS_DEVICE_NO_DIRTY &&
		 KU_MOCK_FLAGS_DEVICE_PASID == MOCK_FLAGS_DEVICE_PASID &&
		 KU_IOMMU_HW_INFO_TYPE_SELFTEST == IOMMU_HW_INFO_TYPE_SELFTEST;

	vt_report(ok, "our selftest command layout and numbers equal iommufd_test.h (%zu bytes)",
		  sizeof(struct iommu_test_cmd));
}

/* ---- fault queues ---- */

static uint64_t fq_now = 1000000;

static uint64_t fq_clock(void *data)
{
	(void)data;
	return fq_now;
}

/* The mock device raises a one-page request group. */
static int trigger_iopf(uint32_t kdev, uint32_t pasid, uint64_t addr)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = {
			.dev_id = kdev,
			.pasid = pasid,
			.grpid = 3,
			.perm = IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE,
			.addr = addr,
		},
	};

	return test_cmd(&c);
}

static int wait_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/*
 * A response written raw to the kernel's fault fd: 0 when the kernel
 * still had that cookie, else -errno. Kernel cookies are the lowest free
 * (xa_alloc), so with one group outstanding its cookie is 1.
 */
static int raw_respond(int fd, uint32_t cookie)
{
	struct iommu_hwpt_page_response r = { .cookie = cookie, .code = IOMMUFD_PAGE_RESP_SUCCESS };
	ssize_t n = write(fd, &r, sizeof(r));

	return n == (ssize_t)sizeof(r) ? 0 : n < 0 ? -errno : -EIO;
}

/* Trigger a fault at (dev, pasid) and read its one record through the library. */
static uint64_t fault_one(struct ioasid_ctx *ctx, uint32_t q, int qfd, uint32_t kdev, uint32_t pasid,
			  uint64_t addr, struct ioasid_fault *f)
{
	uint32_t n = 4;
	int r;

	memset(f, 0, sizeof(*f));
	r = trigger_iopf(kdev, pasid, addr);
	if (!VT_TRUE(!r, "IOMMU_TEST_OP_TRIGGER_IOPF at 0x%llx: %s", X(addr), ioasid_strerrno(r)))
		return 0;
	VT_TRUE(wait_readable(qfd, 2000), "the queue's fd polls readable");
	r = ioasid_fault_read(ctx, q, f, &n);
	VT_TRUE(!r && n == 1, "read one record through the library (%s, %u)", ioasid_strerrno(r), n);
	return n == 1 ? f->cookie : 0;
}

static uint32_t first_hwpt(struct ioasid_ctx *ctx)
{
	uint32_t id;

	for (id = 1; id < 128; id++)
		if (ioasid_obj_kind(ctx, id) == IOASID_OBJ_HWPT)
			return id;
	return 0;
}

static const uint32_t RWF = IOASID_FAULT_F_READ | IOASID_FAULT_F_WRITE;
static const uint64_t TIMEOUT = 1000000;

/*
 * What test_faults() sets up: the PASID device (d, its kernel id kdev),
 * two sets with a queue each (q1 in s1, whose fd is qfd; q2 in s2), an
 * IOAS and an HWPT reporting to q1 with the device attached, a PASID of s1.
 */
struct fq {
	struct ioasid_ctx *ctx;
	uint32_t d, kdev, s1, s2, q1, q2, a, h, pasid;
	int qfd;
};

/* The context, the queues and an HWPT with q1, attached; false if that failed. */
static bool fq_setup(struct fq *t)
{
	struct ioasid_set_opts so = { .sz = sizeof(so), .max_pasids = 8, .max_ioas = 8 };
	struct ioasid_fault_queue_opts qo = { .sz = sizeof(qo), .timeout_ns = TIMEOUT };
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho) };
	struct ioasid_ctx *ctx = NULL;
	uint32_t d, kdev, s1, s2, q1, q2, kq = 0, a, h;
	int qfd = -1;

	printf("# fault queues\n");
	if (!VT_OK(NULL, ioasid_ctx_open("iommufd", NULL, &ctx)))
		return false;
	t->ctx = ctx;
	ioasid_ctx_fd(ctx, &ifd);
	/* an injected clock: no timer thread, ioasid_fault_expire() runs the timeouts */
	VT_OK(ctx, ioasid_ctx_set_clock(ctx, fq_clock, NULL));
	if (!VT_OK(ctx, ioasid_dev_bind(ctx, "iommufd-selftest:pasid", &d)))
		return false;
	kdev = kid(ctx, d);
	{
		char addr[IOASID_PCI_ADDR_LEN];

		/* the mock device is not a PCI device */
		VT_RET(ctx, ioasid_dev_pci_addr(ctx, d, addr, sizeof(addr)), -ENODEV);
	}
	VT_OK(ctx, ioasid_set_alloc(ctx, &so, &s1));
	VT_OK(ctx, ioasid_set_alloc(ctx, &so, &s2));
	qo.set = s1;
	if (!VT_OK(ctx, ioasid_fault_queue_alloc(ctx, &qo, &q1)))
		return false;
	qo.set = s2;
	VT_OK(ctx, ioasid_fault_queue_alloc(ctx, &qo, &q2));
	VT_OK(ctx, ioasid_fault_queue_fd(ctx, q1, &qfd));
	VT_OK(ctx, ioasid_obj_kernel_id(ctx, q1, &kq));
	VT_TRUE(kq && qfd >= 0 && fcntl(qfd, F_GETFD) == FD_CLOEXEC && (fcntl(qfd, F_GETFL) & O_NONBLOCK),
		"queue %u is kernel fault queue %u, fd %d close-on-exec and non-blocking", q1, kq, qfd);
	VT_OK(ctx, ioasid_ioas_alloc(ctx, &a));

	/* an HWPT with the queue (PASID-capable: the mock device has PASIDs) */
	ho.flags = IOASID_HWPT_FAULT_ID_VALID | IOASID_HWPT_PASID;
	ho.fault_queue = q1;
	if (!VT_OK(ctx, ioasid_hwpt_alloc(ctx, d, a, &ho, &h)))
		return false;
	VT_OK(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, h, NULL));
	t->d = d;
	t->kdev = kdev;
	t->s1 = s1;
	t->s2 = s2;
	t->q1 = q1;
	t->q2 = q2;
	t->a = a;
	t->h = h;
	t->qfd = qfd;
	return true;
}

/* Nothing waits; a fault: too small an array, then the record, answered once. */
static void fq_first_fault(struct fq *t)
{
	struct ioasid_ctx *ctx = t->ctx;
	uint32_t d = t->d, kdev = t->kdev, q1 = t->q1, q2 = t->q2, h = t->h, n;
	int qfd = t->qfd, r;
	struct ioasid_fault f;
	uint64_t c;

	n = 4;
	VT_TRUE(!ioasid_fault_read(ctx, q1, &f, &n) && n == 0 && !wait_readable(qfd, 0),
		"nothing waits: 0 records, the fd not readable");

	/* a fault: too small an array, then the record */
	VT_TRUE(!trigger_iopf(kdev, 0, 0xdeadb000) && wait_readable(qfd, 2000),
		"a fault triggered by the selftest makes the fd readable");
	n = 0;
	VT_RET(ctx, ioasid_fault_read(ctx, q1, &f, &n), -EMSGSIZE);
	n = 4;
	r = ioasid_fault_read(ctx, q1, &f, &n);
	VT_TRUE(!r && n == 1, "read it through the library: %s, %u record(s)", ioasid_strerrno(r), n);
	c = f.cookie;
	VT_TRUE(f.dev == d && f.hwpt == h && f.pasid == IOASID_PASID_NONE &&
		!(f.flags & IOASID_FAULT_F_PASID_VALID) && f.addr == 0xdeadb000 && f.grpid == 3 &&
		(f.flags & RWF) == RWF && (f.flags & IOASID_FAULT_F_LAST) &&
		(f.flags & IOASID_FAULT_F_PAGE_REQ) && f.reason == IOASID_FAULT_R_PAGE_REQUEST && c,
		"record: dev %u (want %u), HWPT %u (want %u), PASID %d, addr 0x%llx, grpid %u, flags 0x%x, cookie %llu",
		f.dev, d, f.hwpt, h, (int)f.pasid, X(f.addr), f.grpid, f.flags, X(c));
	VT_TRUE(!wait_readable(qfd, 0), "read: the fd is no longer readable");
	VT_RET(ctx, ioasid_fault_respond(ctx, q2, c, IOASID_FAULT_SUCCESS), -EPERM);
	VT_OK(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS));
	VT_TRUE(raw_respond(qfd, 1) == -EINVAL, "the kernel got the answer (its cookie 1 is gone)");
	VT_RET(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS), -EINVAL);
}

/* FAILURE, an answer behind the library's back, the timeout. */
static void fq_answers(struct fq *t)
{
	struct ioasid_ctx *ctx = t->ctx;
	uint32_t kdev = t->kdev, q1 = t->q1, expired;
	int qfd = t->qfd;
	struct ioasid_fault f;
	uint64_t c;

	/* FAILURE goes to the kernel as INVALID, which it accepts */
	c = fault_one(ctx, q1, qfd, kdev, 0, 0xbeef000, &f);
	VT_OK(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_FAILURE));
	VT_TRUE(raw_respond(qfd, 1) == -EINVAL, "FAILURE was accepted by the kernel (as INVALID)");

	/* answered behind the library's back: the kernel's EINVAL comes back */
	c = fault_one(ctx, q1, qfd, kdev, 0, 0xbeef000, &f);
	VT_TRUE(raw_respond(qfd, 1) == 0, "a raw answer to kernel cookie 1 through the fd");
	VT_RET(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS), -EINVAL);
	printf("#   message: %s\n", ioasid_ctx_errmsg(ctx));

	/* the timeout: from delivery, answered in the kernel */
	c = fault_one(ctx, q1, qfd, kdev, 0, 0xc0de000, &f);
	fq_now += TIMEOUT - 1;
	VT_TRUE(!ioasid_fault_expire(ctx, &expired) && expired == 0, "1 ns before the timeout: nothing expires");
	fq_now += 1;
	VT_TRUE(!ioasid_fault_expire(ctx, &expired) && expired == 1, "at the timeout: the group is answered");
	VT_TRUE(raw_respond(qfd, 1) == -EINVAL, "the kernel got the timeout's answer");
	VT_RET(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS), -EINVAL);
}

/* A PASID attached to the same HWPT: the record says the PASID. */
static void fq_pasid(struct fq *t)
{
	struct ioasid_attach_opts ao = { .sz = sizeof(ao) };
	struct ioasid_ctx *ctx = t->ctx;
	uint32_t d = t->d, kdev = t->kdev, s1 = t->s1, q1 = t->q1, h = t->h, pasid = 0;
	int qfd = t->qfd;
	struct ioasid_fault f;
	uint64_t c;

	/* a PASID attached to the same HWPT: the record says the PASID */
	VT_OK(ctx, ioasid_pasid_alloc(ctx, s1, 1, 100, &pasid));
	ao.set = s1;
	if (VT_OK(ctx, ioasid_dev_attach(ctx, d, pasid, h, &ao))) {
		c = fault_one(ctx, q1, qfd, kdev, pasid, 0x5000, &f);
		VT_TRUE((f.flags & IOASID_FAULT_F_PASID_VALID) && f.pasid == pasid && f.hwpt == h &&
			f.dev == d, "PASID %u: record PASID %d, HWPT %u, flags 0x%x", pasid, (int)f.pasid,
			f.hwpt, f.flags);
		VT_OK(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS));
		VT_OK(ctx, ioasid_dev_detach(ctx, d, pasid));
	}
	t->pasid = pasid;
}

/* Detach with a group pending: the kernel answers it, the library drops it. */
static void fq_detach(struct fq *t)
{
	struct ioasid_ctx *ctx = t->ctx;
	uint32_t d = t->d, kdev = t->kdev, q1 = t->q1, h = t->h;
	int qfd = t->qfd;
	struct ioasid_fault f;
	uint64_t c;

	c = fault_one(ctx, q1, qfd, kdev, 0, 0x6000, &f);
	VT_OK(ctx, ioasid_dev_detach(ctx, d, IOASID_PASID_NONE));
	VT_TRUE(raw_respond(qfd, 1) == -EINVAL, "detached: the kernel answered the pending group itself");
	VT_RET(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS), -EINVAL);
	VT_RET(ctx, ioasid_fault_queue_destroy(ctx, q1), -EBUSY);
	VT_OK(ctx, ioasid_hwpt_destroy(ctx, h));
}

/* IOAS attaches with a queue: real HWPTs with the fault id. */
static void fq_auto_domains(struct fq *t)
{
	struct ioasid_attach_opts ao = { .sz = sizeof(ao) };
	struct ioasid_ctx *ctx = t->ctx;
	uint32_t d = t->d, kdev = t->kdev, q1 = t->q1, a = t->a, d2, kdev2, ah;
	int qfd = t->qfd;
	struct ioasid_fault f;
	uint64_t c;

	ao.fault_queue = q1;
	if (VT_OK(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, a, &ao))) {
		ah = first_hwpt(ctx);
		c = fault_one(ctx, q1, qfd, kdev, 0, 0x7000, &f);
		VT_TRUE(ah && f.hwpt == ah && kid(ctx, ah), "through the automatic HWPT %u (kernel %u)", ah,
			kid(ctx, ah));
		VT_OK(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS));
		VT_OK(ctx, ioasid_dev_detach(ctx, d, IOASID_PASID_NONE));
	}
	/* the same for a device without PASIDs (whose automatic domain was the kernel's) */
	if (VT_OK(ctx, ioasid_dev_bind(ctx, "iommufd-selftest", &d2))) {
		kdev2 = kid(ctx, d2);
		if (VT_OK(ctx, ioasid_dev_attach(ctx, d2, IOASID_PASID_NONE, a, &ao))) {
			ah = first_hwpt(ctx);
			c = fault_one(ctx, q1, qfd, kdev2, 0, 0x8000, &f);
			VT_TRUE(f.dev == d2 && ah && f.hwpt == ah,
				"a device without PASIDs: dev %u (want %u), HWPT %u (want %u)", f.dev, d2,
				f.hwpt, ah);
			VT_OK(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_INVALID));
			VT_OK(ctx, ioasid_dev_detach(ctx, d2, IOASID_PASID_NONE));
		}
		VT_OK(ctx, ioasid_dev_unbind(ctx, d2));
	}
}

/* The counts of all the above; then everything goes, the queue's fd too. */
static void fq_stats_and_teardown(struct fq *t)
{
	struct ioasid_ctx *ctx = t->ctx;
	uint32_t d = t->d, q1 = t->q1, q2 = t->q2, s1 = t->s1, pasid = t->pasid, a = t->a;
	int qfd = t->qfd;
	struct ioasid_fault_queue_stats st;

	VT_OK(ctx, ioasid_fault_queue_stats(ctx, q1, &st));
	VT_TRUE(st.groups == 8 && st.delivered == 8 && st.answered_success == 3 &&
		st.answered_invalid == 1 && st.answered_failure == 1 && st.timed_out == 1 &&
		st.detached == 2 && st.pending == 0,
		"stats: groups %llu delivered %llu success %llu invalid %llu failure %llu timed out %llu detached %llu pending %u",
		X(st.groups), X(st.delivered), X(st.answered_success), X(st.answered_invalid),
		X(st.answered_failure), X(st.timed_out), X(st.detached), st.pending);
	VT_OK(ctx, ioasid_fault_queue_destroy(ctx, q1));
	VT_TRUE(fcntl(qfd, F_GETFD) < 0 && errno == EBADF, "destroyed: its fd is closed");
	VT_OK(ctx, ioasid_fault_queue_destroy(ctx, q2));
	VT_OK(ctx, ioasid_pasid_free(ctx, s1, pasid));
	VT_OK(ctx, ioasid_dev_unbind(ctx, d));
	VT_OK(ctx, ioasid_ioas_destroy(ctx, a));
}

static void test_faults(void)
{
	struct fq t = { .ctx = NULL };

	if (fq_setup(&t)) {
		fq_first_fault(&t);
		fq_answers(&t);
		fq_pasid(&t);
		fq_detach(&t);
		fq_auto_domains(&t);
		fq_stats_and_teardown(&t);
	}
	ioasid_ctx_close(t.ctx);
}

/* PASID rules: every domain on the device must allow PASIDs. */
static void mock_pasid_rules(struct ioasid_ctx *ctx, uint32_t d, uint32_t a, uint32_t set,
			     uint32_t pasid)
{
	struct ioasid_attach_opts ao = { .sz = sizeof(ao), .set = set };
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho) };
	uint32_t p, q, plain;
	int r;

	ho.flags = IOASID_HWPT_PASID;
	VT_OK(ctx, ioasid_hwpt_alloc(ctx, d, a, &ho, &p));
	VT_OK(ctx, ioasid_hwpt_alloc(ctx, d, a, &ho, &q));
	VT_OK(ctx, ioasid_hwpt_alloc(ctx, d, a, NULL, &plain));
	VT_OK(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, plain, NULL));
	r = ioasid_dev_attach(ctx, d, pasid, p, &ao);
	VT_TRUE(r == -EINVAL, "PASID %u attach while the RID domain does not allow PASIDs: %s (kernel rule EINVAL)",
		pasid, ioasid_strerrno(r));
	VT_OK(ctx, ioasid_dev_replace(ctx, d, IOASID_PASID_NONE, p, NULL));
	if (VT_OK(ctx, ioasid_dev_attach(ctx, d, pasid, p, &ao))) {
		VT_TRUE(pasid_is(ctx, d, pasid, kid(ctx, p)), "the kernel has PASID %u on HWPT %u", pasid,
			kid(ctx, p));
		r = ioasid_dev_replace(ctx, d, IOASID_PASID_NONE, plain, NULL);
		VT_TRUE(r == -EINVAL, "RID to a non-PASID domain while a PASID is attached: %s",
			ioasid_strerrno(r));
		VT_OK(ctx, ioasid_dev_replace(ctx, d, pasid, q, &ao));
		VT_TRUE(pasid_is(ctx, d, pasid, kid(ctx, q)), "replaced: the kernel has PASID %u on HWPT %u",
			pasid, kid(ctx, q));
		r = ioasid_dev_attach(ctx, d, pasid + 1, p, &ao);
		VT_TRUE(r == -EPERM || r == -ENOENT, "a PASID the set does not hold: %s",
			ioasid_strerrno(r));
		/*
		 * A PASID attach to an IOAS: EINVAL, as the kernel's automatic
		 * domains never allow PASIDs (the library's do not either).
		 */
		{
			uint32_t p2 = 0, hk = 0;

			VT_OK(ctx, ioasid_pasid_alloc(ctx, set, 1, 100, &p2));
			VT_RET(ctx, ioasid_dev_attach(ctx, d, p2, a, &ao), -EINVAL);
			VT_TRUE(ioasid_dev_attached(ctx, d, p2, &hk) == -ENOENT,
				"PASID %u is not attached after the refusal", p2);
			ioasid_pasid_free(ctx, set, p2);
		}
		VT_RET(ctx, ioasid_dev_detach(ctx, d, pasid), 0);
		VT_TRUE(!pasid_is(ctx, d, pasid, kid(ctx, q)), "detached: the kernel no longer has it");
	}
	VT_OK(ctx, ioasid_dev_detach(ctx, d, IOASID_PASID_NONE));
	VT_OK(ctx, ioasid_hwpt_destroy(ctx, plain));
	VT_OK(ctx, ioasid_hwpt_destroy(ctx, q));
	VT_OK(ctx, ioasid_hwpt_destroy(ctx, p));
}

/* Dirty tracking: the selftest plants dirt, the library reads it. */
static void mock_dirty(struct ioasid_ctx *ctx, uint32_t d, uint32_t a, uint8_t *buf, long pg)
{
	const uint32_t RW = IOASID_MAP_READ | IOASID_MAP_WRITE, F = IOASID_MAP_FIXED_IOVA;
	const uint64_t BASE = MOCK_APERTURE_START;
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho) };
	uint64_t bitmap[4], want[4], iova;
	uint32_t plain, dirt;
	int r;

	ho.flags = IOASID_HWPT_DIRTY_TRACKING | IOASID_HWPT_PASID;
	if (VT_OK(ctx, ioasid_hwpt_alloc(ctx, d, a, &ho, &dirt))) {
		struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DIRTY };

		VT_OK(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, dirt, NULL));
		/* PAGE_SIZE entries: contiguous memory would otherwise make large
		 * mock entries, whose dirty bit covers more than one page */
		VT_OK(ctx, ioasid_ioas_set_option(ctx, a, IOASID_IOAS_OPT_HUGE_PAGES, 0));
		iova = BASE;
		VT_OK(ctx, ioasid_ioas_map(ctx, a, buf, 64 * pg, F | RW, &iova));
		VT_OK(ctx, ioasid_hwpt_set_dirty_tracking(ctx, dirt, true));
		memset(want, 0, sizeof(want));
		want[0] = 0x8000000000000005ull;
		c.id = kid(ctx, dirt);
		c.dirty.iova = BASE;
		c.dirty.length = 64 * pg;
		c.dirty.page_size = pg;
		c.dirty.uptr = (uintptr_t)want;
		r = test_cmd(&c);
		VT_TRUE(!r && c.dirty.out_nr_dirty == 3, "the selftest dirtied 3 pages (%d, %llu)", r,
			X(c.dirty.out_nr_dirty));
		memset(bitmap, 0, sizeof(bitmap));
		VT_OK(ctx, ioasid_hwpt_get_dirty_bitmap(ctx, dirt, BASE, 64 * pg, pg, bitmap,
							IOASID_DIRTY_NO_CLEAR));
		VT_TRUE(bitmap[0] == want[0], "the library reads them (NO_CLEAR): 0x%llx", X(bitmap[0]));
		memset(bitmap, 0, sizeof(bitmap));
		VT_OK(ctx, ioasid_hwpt_get_dirty_bitmap(ctx, dirt, BASE, 64 * pg, pg, bitmap, 0));
		VT_TRUE(bitmap[0] == want[0], "again, clearing: 0x%llx", X(bitmap[0]));
		memset(bitmap, 0, sizeof(bitmap));
		VT_OK(ctx, ioasid_hwpt_get_dirty_bitmap(ctx, dirt, BASE, 64 * pg, pg, bitmap, 0));
		VT_TRUE(bitmap[0] == 0, "then clean: 0x%llx", X(bitmap[0]));
		VT_OK(ctx, ioasid_hwpt_set_dirty_tracking(ctx, dirt, false));
		/* the kernel's rule: no huge pages switch while domains map areas */
		VT_RET(ctx, ioasid_ioas_set_option(ctx, a, IOASID_IOAS_OPT_HUGE_PAGES, 1), 0);
		VT_RET(ctx, ioasid_ioas_set_option(ctx, a, IOASID_IOAS_OPT_HUGE_PAGES, 0), -EINVAL);
		VT_OK(ctx, ioasid_ioas_unmap(ctx, a, 0, UINT64_MAX, NULL));
		VT_OK(ctx, ioasid_dev_detach(ctx, d, IOASID_PASID_NONE));
		VT_OK(ctx, ioasid_hwpt_destroy(ctx, dirt));
	}
	ho.flags = 0;
	VT_OK(ctx, ioasid_hwpt_alloc(ctx, d, a, NULL, &plain));
	VT_RET(ctx, ioasid_hwpt_set_dirty_tracking(ctx, plain, true), -EOPNOTSUPP);
	VT_OK(ctx, ioasid_hwpt_destroy(ctx, plain));
}

/* A nest parent through the library, a nested mock HWPT raw over it. */
static void mock_nested(struct ioasid_ctx *ctx, uint32_t d, uint32_t a)
{
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho) };
	uint32_t parent;
	int r;

	ho.flags = IOASID_HWPT_NEST_PARENT;
	if (VT_OK(ctx, ioasid_hwpt_alloc(ctx, d, a, &ho, &parent))) {
		struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
		struct iommu_hwpt_alloc na = {
			.size = sizeof(na), .dev_id = kid(ctx, d), .pt_id = kid(ctx, parent),
			.data_type = IOMMU_HWPT_DATA_SELFTEST, .data_len = sizeof(data),
			.data_uptr = (uintptr_t)&data,
		};
		struct iommu_hwpt_invalidate_selftest inv = { .flags = IOMMU_TEST_INVALIDATE_FLAG_ALL };
		struct iommu_hwpt_invalidate hi = {
			.size = sizeof(hi), .data_uptr = (uintptr_t)&inv,
			.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, .entry_len = sizeof(inv),
			.entry_num = 1,
		};
		struct iommu_test_cmd chk = { .op = IOMMU_TEST_OP_MD_CHECK_IOTLB };

		r = ioctl(ifd, IOMMU_HWPT_ALLOC, &na) ? -errno : 0;
		VT_TRUE(!r, "a nested mock HWPT over the library's parent (kernel %u): %s",
			kid(ctx, parent), ioasid_strerrno(r));
		if (!r) {
			hi.hwpt_id = na.out_hwpt_id;
			r = ioctl(ifd, IOMMU_HWPT_INVALIDATE, &hi) ? -errno : 0;
			chk.id = na.out_hwpt_id;
			chk.check_iotlb.id = 0;
			chk.check_iotlb.iotlb = 0;
			VT_TRUE(!r && hi.entry_num == 1 && !test_cmd(&chk),
				"invalidated all of it; the selftest sees its IOTLB cleared (%s)",
				ioasid_strerrno(r));
			ioctl(ifd, IOMMU_DESTROY, &(struct iommu_destroy){ .size = 8, .id = na.out_hwpt_id });
		}
		VT_OK(ctx, ioasid_hwpt_destroy(ctx, parent));
	}
}

int main(void)
{
	struct ioasid_ctx *ctx = NULL;
	struct ioasid_cap_features fe;
	struct ioasid_cap_pasid pa;
	uint8_t caps[4096];
	uint32_t a, d, set, pasid, cur;
	size_t clen = 0;
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *buf;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	test_layout();
	if (!VT_OK(NULL, ioasid_ctx_open("iommufd", NULL, &ctx)))
		return vt_done("mock");
	ioasid_ctx_fd(ctx, &ifd);
	r = ioasid_dev_bind(ctx, "iommufd-selftest:pasid", &d);
	if (!VT_TRUE(r == 0, "bind the selftest PASID device: %s",
		     r ? ioasid_ctx_errmsg(ctx) : "ok"))
		goto out;
	VT_RET(ctx, ioasid_dev_bind(ctx, "iommufd-selftest:bogus", &a), -EINVAL);
	ioasid_dev_info(ctx, d, caps, sizeof(caps), &clen);
	VT_TRUE(!ioasid_caps_get(caps, clen, 0, IOASID_CAP_PASID, &pa, sizeof(pa), NULL) &&
			pa.width == MOCK_PASID_WIDTH,
		"the mock device has %u-bit PASIDs", pa.width);
	VT_TRUE(!ioasid_caps_get(caps, clen, 0, IOASID_CAP_FEATURES, &fe, sizeof(fe), NULL) &&
			(fe.features & IOASID_FEAT_DIRTY_TRACKING) &&
			(fe.features & IOASID_FEAT_NESTING),
		"features: dirty tracking and nesting (0x%llx)", X(fe.features));
	VT_RET(ctx, ioasid_dev_fd(ctx, d, &r), -EOPNOTSUPP);
	buf = mmap(NULL, 64 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(buf, 0, 64 * pg);

	VT_OK(ctx, ioasid_ioas_alloc(ctx, &a));
	VT_OK(ctx, ioasid_set_alloc(ctx,
				    &(struct ioasid_set_opts){ .sz = sizeof(struct ioasid_set_opts),
							       .max_pasids = 8,
							       .max_ioas = 8 },
				    &set));
	VT_OK(ctx, ioasid_pasid_alloc(ctx, set, 1, 100, &pasid));

	mock_pasid_rules(ctx, d, a, set, pasid);
	mock_dirty(ctx, d, a, buf, pg);
	mock_nested(ctx, d, a);
	VT_TRUE(ioasid_dev_attached(ctx, d, IOASID_PASID_NONE, &cur) == -ENOENT, "nothing attached");
	VT_OK(ctx, ioasid_dev_unbind(ctx, d));
	VT_OK(ctx, ioasid_ioas_destroy(ctx, a));
	munmap(buf, 64 * pg);
	test_faults();
out:
	ioasid_ctx_close(ctx);
	return vt_done("mock");
}
