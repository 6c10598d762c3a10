/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Failure at every step (issue 17, item 3), on the iommufd backend over
 * the stateful fake kernel (tests/fake-kernel/): each multi-step operation
 * runs once per ioctl it makes, with that ioctl failing, as the kernel's
 * own iommufd_fail_nth does for allocations. After each run the library's
 * records (its JSON dump, in kernel ids) must equal what the fake kernel
 * holds. A mismatch already known is listed in known[] below with what
 * goes wrong, for the session that fixes it; any other one fails the
 * suite, and a listed one that no longer happens is reported as XPASS
 * (IOASID_FAILNTH_STRICT=1 makes that fail too, to keep the list honest).
 * The one documented exception: a context close with a refusal, which
 * must log that refusal and leaves the rest to the kernel
 * (close_documented()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"

#include "failnth.h"

/* ---- building blocks (each must succeed: no failure is armed) ---- */

static void bind(struct env *e, int i)
{
	e->fd[i] = fk_open_dev(&e->k, i);
	ck_assert_ok(e->ctx, ioasid_dev_bind_fd(e->ctx, e->fd[i], &e->dev[i]));
}

void failnth_map(struct env *e, uint32_t ioas, uint64_t iova, size_t off, size_t len)
{
	ck_assert_ok(e->ctx, ioasid_ioas_map(e->ctx, ioas, e->mem + off, len, FIX, &iova));
}

static void with_dev(struct env *e)
{
	bind(e, 0);
	ck_assert_ok(e->ctx, ioasid_ioas_alloc(e->ctx, &e->ioas));
	failnth_map(e, e->ioas, 0x100000, 0, 2 * 4096);
}

static void with_attached(struct env *e)
{
	with_dev(e);
	ck_assert_ok(e->ctx, ioasid_dev_attach(e->ctx, e->dev[0], IOASID_PASID_NONE, e->ioas, NULL));
}

static void with_two_ioas(struct env *e)
{
	with_attached(e);
	ck_assert_ok(e->ctx, ioasid_ioas_alloc(e->ctx, &e->ioas2));
	failnth_map(e, e->ioas2, 0x200000, 4 * 4096, 4096);
}

static void with_queue(struct env *e)
{
	struct ioasid_set_opts so = { .sz = sizeof(so) };
	struct ioasid_fault_queue_opts qo = { .sz = sizeof(qo) };

	ck_assert_ok(e->ctx, ioasid_set_alloc(e->ctx, &so, &e->set));
	qo.set = e->set;
	ck_assert_ok(e->ctx, ioasid_fault_queue_alloc(e->ctx, &qo, &e->queue));
}

static void with_hwpt(struct env *e)
{
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho), .flags = IOASID_HWPT_DIRTY_TRACKING };

	with_dev(e);
	ck_assert_ok(e->ctx, ioasid_hwpt_alloc(e->ctx, e->dev[0], e->ioas, &ho, &e->hwpt));
}

/* Two devices on one IOAS: one through an explicit HWPT, one automatic. */
static void with_two_domains(struct env *e)
{
	with_hwpt(e);
	bind(e, 1);
	ck_assert_ok(e->ctx, ioasid_dev_attach(e->ctx, e->dev[0], IOASID_PASID_NONE, e->hwpt, NULL));
	ck_assert_ok(e->ctx, ioasid_dev_attach(e->ctx, e->dev[1], IOASID_PASID_NONE, e->ioas, NULL));
}

static void with_dirty(struct env *e)
{
	with_two_domains(e);
	ck_assert_ok(e->ctx, ioasid_hwpt_set_dirty_tracking(e->ctx, e->hwpt, true));
}

static void with_everything(struct env *e)
{
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho), .flags = IOASID_HWPT_FAULT_ID_VALID };

	with_two_domains(e);
	with_queue(e);
	ho.fault_queue = e->queue;
	ck_assert_ok(e->ctx, ioasid_hwpt_alloc(e->ctx, e->dev[0], e->ioas, &ho, &e->hwpt2));
	ck_assert_ok(e->ctx, ioasid_ioas_alloc(e->ctx, &e->ioas2));
	failnth_map(e, e->ioas2, 0x200000, 4 * 4096, 4096);
}

void failnth_nothing(struct env *e)
{
	(void)e;
}

/* ---- the operations ---- */

static int op_bind(struct env *e)
{
	e->fd[0] = fk_open_dev(&e->k, 0);
	return ioasid_dev_bind_fd(e->ctx, e->fd[0], &e->dev[0]);
}

int failnth_op_attach(struct env *e)
{
	return ioasid_dev_attach(e->ctx, e->dev[0], IOASID_PASID_NONE, e->ioas, NULL);
}

int failnth_op_replace(struct env *e)
{
	return ioasid_dev_replace(e->ctx, e->dev[0], IOASID_PASID_NONE, e->ioas2, NULL);
}

int failnth_op_replace_same(struct env *e)
{
	return ioasid_dev_replace(e->ctx, e->dev[0], IOASID_PASID_NONE, e->ioas, NULL);
}

static int op_hwpt_alloc(struct env *e)
{
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho), .flags = IOASID_HWPT_DIRTY_TRACKING };

	return ioasid_hwpt_alloc(e->ctx, e->dev[0], e->ioas, &ho, &e->hwpt);
}

static void with_dev_and_queue(struct env *e)
{
	with_dev(e);
	with_queue(e);
}

/* An HWPT whose page requests go to a fault queue. */
static int op_hwpt_alloc_fault(struct env *e)
{
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho), .flags = IOASID_HWPT_FAULT_ID_VALID };

	ho.fault_queue = e->queue;
	return ioasid_hwpt_alloc(e->ctx, e->dev[0], e->ioas, &ho, &e->hwpt);
}

static void with_hwpt_attached_auto(struct env *e)
{
	with_hwpt(e);
	ck_assert_ok(e->ctx, ioasid_dev_attach(e->ctx, e->dev[0], IOASID_PASID_NONE, e->ioas, NULL));
}

/* From the automatic domain to an explicit HWPT on the same IOAS. */
static int op_replace_hwpt(struct env *e)
{
	return ioasid_dev_replace(e->ctx, e->dev[0], IOASID_PASID_NONE, e->hwpt, NULL);
}

/* A nest parent on a scalable-mode VT-d, and a nested HWPT on it. */
static void with_nest_parent(struct env *e)
{
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho), .flags = IOASID_HWPT_NEST_PARENT };

	e->k.ecap = FK_VTD_ECAP_NESTING;
	with_dev(e);
	ck_assert_ok(e->ctx, ioasid_hwpt_alloc(e->ctx, e->dev[0], e->ioas, &ho, &e->hwpt));
}

static int op_hwpt_nested(struct env *e)
{
	struct ioasid_hwpt_vtd_s1 s1 = { .pgtbl_addr = 0x200000, .addr_width = 48 };
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho),
				       .type = IOASID_HWPT_NESTED_VTD_S1,
				       .data = &s1,
				       .data_len = sizeof(s1) };

	return ioasid_hwpt_alloc(e->ctx, e->dev[0], e->hwpt, &ho, &e->hwpt2);
}

static void with_nested(struct env *e)
{
	with_nest_parent(e);
	ck_assert_ok(e->ctx, op_hwpt_nested(e));
}

static int op_attach_nested(struct env *e)
{
	return ioasid_dev_attach(e->ctx, e->dev[0], IOASID_PASID_NONE, e->hwpt2, NULL);
}

static int op_destroy_nested(struct env *e)
{
	return ioasid_hwpt_destroy(e->ctx, e->hwpt2);
}

/*
 * A device with 20-bit PASIDs, one PASID allocated to a set, and an HWPT
 * that takes PASIDs (an automatic domain never does, as in the kernel).
 */
static void with_pasid_dev(struct env *e)
{
	struct ioasid_set_opts so = { .sz = sizeof(so), .max_pasids = 4 };
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho), .flags = IOASID_HWPT_PASID };

	e->k.pasid_capable = true;
	with_dev(e);
	ck_assert_ok(e->ctx, ioasid_set_alloc(e->ctx, &so, &e->set));
	ck_assert_ok(e->ctx, ioasid_pasid_alloc(e->ctx, e->set, 1, 15, &e->pasid));
	ck_assert_ok(e->ctx, ioasid_hwpt_alloc(e->ctx, e->dev[0], e->ioas, &ho, &e->hwpt));
}

static int op_attach_pasid(struct env *e)
{
	struct ioasid_attach_opts ao = { .sz = sizeof(ao), .set = e->set };

	return ioasid_dev_attach(e->ctx, e->dev[0], e->pasid, e->hwpt, &ao);
}

static void with_pasid_attached(struct env *e)
{
	with_pasid_dev(e);
	ck_assert_ok(e->ctx, op_attach_pasid(e));
}

static int op_detach_pasid(struct env *e)
{
	return ioasid_dev_detach(e->ctx, e->dev[0], e->pasid);
}

static int op_map_domains(struct env *e)
{
	uint64_t iova = 0x400000;

	return ioasid_ioas_map(e->ctx, e->ioas, e->mem + 8 * 4096, 2 * 4096, FIX, &iova);
}

static int op_copy(struct env *e)
{
	uint64_t iova = 0x800000;

	return ioasid_ioas_copy(e->ctx, e->ioas2, e->ioas, 0x100000, 2 * 4096, FIX, &iova);
}

static int op_fault_alloc(struct env *e)
{
	struct ioasid_set_opts so = { .sz = sizeof(so) };
	struct ioasid_fault_queue_opts qo = { .sz = sizeof(qo) };
	int err = ioasid_set_alloc(e->ctx, &so, &qo.set);

	return err ? err : ioasid_fault_queue_alloc(e->ctx, &qo, &e->queue);
}

static int op_dirty_read(struct env *e)
{
	uint64_t bitmap[1] = { 0 };

	return ioasid_hwpt_get_dirty_bitmap(e->ctx, e->hwpt, 0x100000, 2 * 4096, 4096, bitmap, 0);
}

static int op_dirty_on(struct env *e)
{
	return ioasid_hwpt_set_dirty_tracking(e->ctx, e->hwpt, true);
}

static void with_two_areas(struct env *e)
{
	with_two_domains(e);
	failnth_map(e, e->ioas, 0x300000, 4 * 4096, 4096);
}

int failnth_op_unmap(struct env *e)
{
	return ioasid_ioas_unmap(e->ctx, e->ioas, 0, 0x400000, NULL);
}

int failnth_op_detach(struct env *e)
{
	return ioasid_dev_detach(e->ctx, e->dev[0], IOASID_PASID_NONE);
}

static int op_destroy_hwpt(struct env *e)
{
	return ioasid_hwpt_destroy(e->ctx, e->hwpt);
}

static int op_destroy_ioas(struct env *e)
{
	return ioasid_ioas_destroy(e->ctx, e->ioas);
}

static int op_destroy_queue(struct env *e)
{
	return ioasid_fault_queue_destroy(e->ctx, e->queue);
}

int failnth_op_unbind(struct env *e)
{
	return ioasid_dev_unbind(e->ctx, e->dev[0]);
}

/* What ioasid_ctx_close() logged of the refusals it met (failnth_op_close). */
static char close_log[2048];

static void close_logger(void *data, enum ioasid_log_level level, const char *msg)
{
	size_t l = strlen(close_log);

	(void)data;
	(void)level;
	if (!strncmp(msg, "closing the context: ", 21))
		snprintf(close_log + l, sizeof(close_log) - l, "%s\n", msg);
}

int failnth_op_close(struct env *e)
{
	close_log[0] = '\0';
	ck_assert_ok(e->ctx, ioasid_ctx_set_log(e->ctx, close_logger, NULL, IOASID_LOG_ERR));
	ioasid_ctx_close(e->ctx);
	e->ctx = NULL;
	return 0;
}

static const struct op ops[] = {
	{ "bind", failnth_nothing, op_bind, false, false },
	{ "attach_auto", with_dev, failnth_op_attach, false, false },
	{ "replace", with_two_ioas, failnth_op_replace, false, false },
	{ "replace_same", with_attached, failnth_op_replace_same, false, false },
	{ "hwpt_alloc", with_dev, op_hwpt_alloc, false, false },
	{ "hwpt_alloc_fault", with_dev_and_queue, op_hwpt_alloc_fault, false, false },
	{ "replace_hwpt", with_hwpt_attached_auto, op_replace_hwpt, false, false },
	{ "hwpt_nested", with_nest_parent, op_hwpt_nested, false, false },
	{ "attach_nested", with_nested, op_attach_nested, false, false },
	{ "destroy_nested", with_nested, op_destroy_nested, false, false },
	{ "attach_rid_pasid_dev", with_pasid_dev, failnth_op_attach, false, false },
	{ "attach_pasid", with_pasid_dev, op_attach_pasid, false, false },
	{ "detach_pasid", with_pasid_attached, op_detach_pasid, false, false },
	{ "map_domains", with_two_domains, op_map_domains, false, false },
	{ "copy", with_two_ioas, op_copy, false, false },
	{ "fault_alloc", failnth_nothing, op_fault_alloc, false, false },
	{ "dirty_on", with_two_domains, op_dirty_on, false, false },
	{ "dirty_read", with_dirty, op_dirty_read, false, false },
	{ "unmap", with_two_areas, failnth_op_unmap, false, false },
	{ "detach", with_attached, failnth_op_detach, false, false },
	{ "destroy_hwpt", with_hwpt, op_destroy_hwpt, false, false },
	{ "destroy_ioas", with_dev, op_destroy_ioas, false, false },
	{ "destroy_queue", with_queue, op_destroy_queue, false, false },
	{ "unbind", with_dev, failnth_op_unbind, true, false },
	{ "close", with_everything, failnth_op_close, true, false },
};

/*
 * Mismatches known today: op, the request made to fail and which of the
 * op's calls of that request it was (1-based), and what goes wrong.
 */
static const struct known known[] = {
	{ NULL, NULL, 0, NULL },
};

/* ---- the driver ---- */

static void env_open(struct env *e, bool vfio)
{
	memset(e, 0, sizeof(*e));
	e->vfio = vfio;
	e->fd[0] = e->fd[1] = -1;
	if (vfio) {
		fkv_init(&e->kv);
		e->ctx = fkv_ctx(&e->kv);
	} else {
		fk_init(&e->k);
		e->ctx = fk_ctx(&e->k);
	}
	e->mem = mmap(NULL, MEM_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(e->mem, MAP_FAILED);
}

static void env_close(struct env *e)
{
	if (e->ctx)
		ioasid_ctx_close(e->ctx);
	if (e->vfio)
		fkv_fini(&e->kv);
	else
		fk_release(&e->k);
	munmap(e->mem, MEM_LEN);
}

/* The kernel's lines less the bare bindings of caller fds the library let go of. */
static void drop_bare_devs(char *text)
{
	char *p = text, *e;

	while ((e = strchr(p, '\n'))) {
		unsigned int id;
		char tail;

		if (sscanf(p, "dev %u%c", &id, &tail) == 2 && tail == '\n')
			memmove(p, e + 1, strlen(e + 1) + 1);
		else
			p = e + 1;
	}
}

/* The kernel's state and the library's records, and how they differ (NULL: not). */
static char *compare(struct env *e, const struct op *op)
{
	char *kern, *lib, *diff;

	if (e->vfio) {
		kern = fkv_state_kernel(&e->kv);
		lib = e->ctx ? fkv_state_library(e->ctx) : strdup("");
	} else {
		kern = fk_state_kernel(&e->k);
		if (op->lets_go)
			drop_bare_devs(kern);
		lib = e->ctx ? fk_state_library(e->ctx) : strdup("");
	}
	diff = fk_state_diff(kern, lib);
	free(kern);
	free(lib);
	return diff;
}

/* What one run tells. */
struct run {
	char req[48];    /* the request made to fail */
	char trace[512]; /* every request the op made */
	uint64_t calls;
	int err;    /* what the op returned */
	char *diff; /* the mismatch after it, or NULL */
};

/* Run @op with its @at'th ioctl failing (0: none). */
static void run_one(const struct op *op, bool vfio, uint64_t at, struct run *r)
{
	struct env e;
	struct fk_inject *inj;

	env_open(&e, vfio);
	inj = vfio ? &e.kv.inj : &e.k.inj;
	op->setup(&e);
	fk_inject_reset(inj);
	inj->fail_at = at;
	r->err = op->run(&e);
	inj->fail_at = 0;
	r->calls = inj->calls;
	snprintf(r->req, sizeof(r->req), "%s", at ? inj->failed : "none");
	snprintf(r->trace, sizeof(r->trace), "%s", inj->trace);
	ck_assert_msg(at || op->may_fail || r->err == 0, "%s without failures: %d %s", op->name,
		      r->err, e.ctx ? ioasid_ctx_errmsg(e.ctx) : "");
	r->diff = compare(&e, op);
	env_close(&e);
}

/* Which of the op's calls of @req the @at'th call was, from the op's clean trace. */
static unsigned int nth_of(const char *trace, uint64_t at, const char *req)
{
	char buf[512], *tok, *save = NULL;
	unsigned int n = 0;
	uint64_t i = 0;

	snprintf(buf, sizeof(buf), "%s", trace);
	for (tok = strtok_r(buf, " ", &save); tok && i < at; tok = strtok_r(NULL, " ", &save)) {
		i++;
		if (!strcmp(tok, req))
			n++;
	}
	return n;
}

static const struct known *known_of(const struct known *list, const char *op, const char *req,
				    unsigned int nth)
{
	size_t i;

	for (i = 0; list[i].op; i++)
		if (!strcmp(list[i].op, op) && !strcmp(list[i].req, req) && list[i].nth == nth)
			return &list[i];
	return NULL;
}

/*
 * ioasid_ctx_close() cannot fail (include/ioasid/ctx.h): it logs each
 * refusal and drops every record, and what the kernel refused stays the
 * kernel's. So after a close with @req refused, the kernel may hold more
 * than the (empty) records -- as documented only if the refusal of @req
 * was logged.
 */
static bool close_documented(const struct op *op, const struct run *r)
{
	return op->run == failnth_op_close && r->diff && strcmp(r->req, "none") &&
	       strstr(close_log, r->req);
}

/* Judge one run against @list: the count of failures it adds to @report. */
static unsigned int judge(const struct known *list, const struct op *op, const struct run *r,
			  unsigned int nth, uint64_t at, const char *trace, char *report,
			  size_t size)
{
	const struct known *kn = known_of(list, op->name, r->req, nth);
	size_t l = strlen(report);

	if (close_documented(op, r))
		return 0;
	if (r->diff && !kn) {
		snprintf(report + l, size - l,
			 "\n  NEW %s: %s #%u (call %llu of [%s]) failing, returned %d: %s",
			 op->name, r->req, nth, (unsigned long long)at, trace, r->err, r->diff);
		return 1;
	}
	if (!r->diff && kn) {
		fprintf(stderr, "failnth: XPASS %s: %s #%u: %s -- remove it from the known list\n",
			op->name, r->req, nth, kn->what);
		return getenv("IOASID_FAILNTH_STRICT") != NULL;
	}
	return 0;
}

/* @op once cleanly, then once per ioctl it made with that one failing. */
static void fail_every_step(const struct op *op, bool vfio, const struct known *list)
{
	char trace[512], report[8192] = "";
	struct run r;
	unsigned int bad;
	uint64_t at, n;

	fk_sysfs();
	run_one(op, vfio, 0, &r);
	n = r.calls;
	snprintf(trace, sizeof(trace), "%s", r.trace);
	bad = judge(list, op, &r, 0, 0, trace, report, sizeof(report));
	free(r.diff);
	for (at = 1; at <= n; at++) {
		run_one(op, vfio, at, &r);
		bad += judge(list, op, &r, nth_of(trace, at, r.req), at, trace, report,
			     sizeof(report));
		free(r.diff);
	}
	fk_sysfs_rm();
	ck_assert_msg(!bad, "%s: %u mismatch(es) between the records and the kernel:%s", op->name,
		      bad, report);
}

START_TEST(test_fail_every_step)
{
	fail_every_step(&ops[_i], false, known);
}
END_TEST

START_TEST(test_fail_every_step_vfio)
{
	fail_every_step(&failnth_vfio_ops[_i], true, failnth_vfio_known);
}
END_TEST

/* The fake kernel itself: an automatic domain goes with its last attachment. */
START_TEST(test_fake_auto_domain)
{
	struct env e;
	uint32_t kid = 0;
	char *kern, *lib;

	fk_sysfs();
	env_open(&e, false);
	with_attached(&e);
	bind(&e, 1);
	ck_assert_ok(e.ctx, ioasid_dev_attach(e.ctx, e.dev[1], IOASID_PASID_NONE, e.ioas, NULL));
	/* both devices share one automatic domain */
	kern = fk_state_kernel(&e.k);
	lib = fk_state_library(e.ctx);
	ck_assert_msg(!strcmp(kern, lib), "kernel:\n%slibrary:\n%s", kern, lib);
	ck_assert_msg(strstr(kern, "dev 1 rid hwpt 3\ndev 4\ndev 4 rid hwpt 3\n"), "%s", kern);
	free(kern);
	free(lib);
	ck_assert_ok(e.ctx, ioasid_dev_detach(e.ctx, e.dev[0], IOASID_PASID_NONE));
	ck_assert_ok(e.ctx, ioasid_dev_detach(e.ctx, e.dev[1], IOASID_PASID_NONE));
	ck_assert_ok(e.ctx, ioasid_obj_kernel_id(e.ctx, e.ioas, &kid));
	ck_assert(!fk_ioas_held(&e.k, kid));
	env_close(&e);
	fk_sysfs_rm();
}
END_TEST

/* The kernel's state equals the library's records. */
static void assert_agree(struct env *e)
{
	char *kern = fk_state_kernel(&e->k), *lib = fk_state_library(e->ctx);

	ck_assert_msg(!strcmp(kern, lib), "kernel:\n%slibrary:\n%s", kern, lib);
	free(kern);
	free(lib);
}

/*
 * A refused teardown returns the kernel's errno and keeps what the kernel
 * keeps; the retry then goes through (issue 17).
 */
START_TEST(test_refusal_then_retry)
{
	struct env e;
	uint64_t iova = 0x300000;
	int fd;

	fk_sysfs();
	env_open(&e, false);
	with_two_areas(&e);
	with_queue(&e);
	/* the unmap of the second area is refused: it stays, a map there is EEXIST */
	fk_inject_reset(&e.k.inj);
	e.k.inj.fail_at = 2;
	ck_assert_ret(e.ctx, failnth_op_unmap(&e), -EBUSY);
	ck_assert_errmsg_has(e.ctx, "IOMMU_IOAS_UNMAP");
	e.k.inj.fail_at = 0;
	assert_agree(&e);
	ck_assert_ret(e.ctx, ioasid_ioas_map(e.ctx, e.ioas, e.mem + 4 * 4096, 4096, FIX, &iova),
		      -EEXIST);
	ck_assert_ok(e.ctx, failnth_op_unmap(&e));
	/* a fault queue the kernel refuses to destroy: kept, its fd closed */
	fk_inject_reset(&e.k.inj);
	e.k.inj.fail_at = 1;
	ck_assert_ret(e.ctx, ioasid_fault_queue_destroy(e.ctx, e.queue), -EBUSY);
	e.k.inj.fail_at = 0;
	ck_assert_int_eq(ioasid_obj_kind(e.ctx, e.queue), IOASID_OBJ_FAULT_QUEUE);
	ck_assert_ret(e.ctx, ioasid_fault_queue_fd(e.ctx, e.queue, &fd), -EBADF);
	assert_agree(&e);
	ck_assert_ok(e.ctx, ioasid_fault_queue_destroy(e.ctx, e.queue));
	/* a refused detach keeps the device attached; the retry detaches */
	fk_inject_reset(&e.k.inj);
	e.k.inj.fail_at = 1;
	ck_assert_ret(e.ctx, ioasid_dev_detach(e.ctx, e.dev[1], IOASID_PASID_NONE), -EBUSY);
	e.k.inj.fail_at = 0;
	assert_agree(&e);
	ck_assert_ok(e.ctx, ioasid_dev_detach(e.ctx, e.dev[1], IOASID_PASID_NONE));
	assert_agree(&e);
	env_close(&e);
	fk_sysfs_rm();
}
END_TEST

/* How many IOASes the kernel holds. */
static unsigned int kernel_ioases(struct fk *k)
{
	unsigned int i, n = 0;

	for (i = 1; i < FK_MAX_OBJ; i++)
		n += k->obj[i].kind == FK_IOAS;
	return n;
}

/*
 * The bind-time probe undoes its scratch IOAS: one refusal is retried;
 * a lasting one fails the bind (detach) or leaves the IOAS to be
 * destroyed before the next probe (destroy), never unnoticed (issue 17).
 */
START_TEST(test_probe_undo_refused)
{
	struct env e;
	uint32_t dev;

	fk_sysfs();
	env_open(&e, false);
	/* the destroy refused twice: the bind stands, the IOAS waits */
	fk_refuse(&e.k.inj, "DESTROY", 2);
	bind(&e, 0);
	ck_assert_uint_eq(kernel_ioases(&e.k), 1);
	/* the detach refused twice: the bind fails naming the scratch IOAS */
	fk_refuse(&e.k.inj, "DETACH_IOMMUFD_PT", 2);
	e.fd[1] = fk_open_dev(&e.k, 1);
	ck_assert_ret(e.ctx, ioasid_dev_bind_fd(e.ctx, e.fd[1], &dev), -EBUSY);
	ck_assert_errmsg_has(e.ctx, "could not detach it from its scratch IOAS");
	/* the first orphan went before that probe; the second stays attached */
	ck_assert_uint_eq(kernel_ioases(&e.k), 1);
	/* closing the device's fd releases it; the next probe reaps the IOAS */
	ck_assert_ok(e.ctx, ioasid_dev_unbind(e.ctx, dev));
	fk_close_dev(&e.k, 1);
	e.fd[1] = -1;
	e.fd[1] = fk_open_dev(&e.k, 2);
	ck_assert_ok(e.ctx, ioasid_dev_bind_fd(e.ctx, e.fd[1], &dev));
	ck_assert_uint_eq(kernel_ioases(&e.k), 0);
	assert_agree(&e);
	env_close(&e);
	fk_sysfs_rm();
}
END_TEST

/*
 * An automatic domain with a fault queue is an HWPT the library asked the
 * kernel for: when the kernel refuses to destroy it after its last device
 * left, the records keep it (idle), and the IOAS's destroy tries again.
 */
START_TEST(test_idle_autodomain_kept)
{
	struct ioasid_attach_opts ao = { .sz = sizeof(ao) };
	struct ioasid_set_opts so = { .sz = sizeof(so), .max_ioas = 1 };
	struct ioasid_fault_queue_opts qo = { .sz = sizeof(qo) };
	struct env e;

	fk_sysfs();
	env_open(&e, false);
	bind(&e, 0);
	ck_assert_ok(e.ctx, ioasid_set_alloc(e.ctx, &so, &e.set));
	qo.set = e.set;
	ck_assert_ok(e.ctx, ioasid_fault_queue_alloc(e.ctx, &qo, &e.queue));
	ao.set = e.set;
	ao.fault_queue = e.queue;
	ck_assert_ok(e.ctx, ioasid_set_ioas_alloc(e.ctx, e.set, &e.ioas));
	ck_assert_ok(e.ctx, ioasid_dev_attach(e.ctx, e.dev[0], IOASID_PASID_NONE, e.ioas, &ao));
	fk_refuse(&e.k.inj, "DESTROY", 2);
	ck_assert_ok(e.ctx, ioasid_dev_detach(e.ctx, e.dev[0], IOASID_PASID_NONE));
	assert_agree(&e);
	ck_assert_ret(e.ctx, ioasid_ioas_destroy(e.ctx, e.ioas), -EBUSY);
	ck_assert_errmsg_has(e.ctx, "IOMMU_DESTROY of kernel HWPT");
	assert_agree(&e);
	ck_assert_ok(e.ctx, ioasid_ioas_destroy(e.ctx, e.ioas));
	assert_agree(&e);
	env_close(&e);
	fk_sysfs_rm();
}
END_TEST

Suite *failnth_suite(void)
{
	Suite *s = suite_create("failnth");
	TCase *tc = tcase_create("failnth");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fake_auto_domain);
	tcase_add_test(tc, test_refusal_then_retry);
	tcase_add_test(tc, test_probe_undo_refused);
	tcase_add_test(tc, test_idle_autodomain_kept);
	failnth_vfio_tests(tc);
	tcase_add_loop_test(tc, test_fail_every_step, 0, (int)(sizeof(ops) / sizeof(ops[0])));
	tcase_add_loop_test(tc, test_fail_every_step_vfio, 0, (int)failnth_vfio_nr_ops);
	suite_add_tcase(s, tc);
	return s;
}
