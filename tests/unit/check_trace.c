/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Record (lib/core/trace.c, docs/tracing.md): the start/stop API and its
 * refusals, what a trace holds (steps, labels, results, values, buffers by
 * size and alignment, contents only when asked, vIOMMU objects), tracing
 * toggled on and off, a trace file that cannot be written, IOASID_TRACE at
 * open, and the profile written for a kernel backend's devices (over the fake kernel),
 * which the sim must load. Replaying traces is tests/cli/test-trace.sh.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "helpers.h"
#include "fake-kernel.h"
#include "suites.h"

#define RW (IOASID_MAP_READ | IOASID_MAP_WRITE)

static char *tmp_path(const char *name)
{
	static char buf[4][256];
	static int n;
	char *p = buf[n++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/ioasid-trace-%d-%s", P_tmpdir, (int)getpid(), name);
	return p;
}

/* The trace's steps (the whole file must be JSON). */
static json_t *load_steps(const char *path, json_t **ret_root)
{
	json_error_t e;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &e), *steps;

	ck_assert_msg(root != NULL, "%s: %s (line %d)", path, e.text, e.line);
	steps = json_object_get(root, "steps");
	ck_assert(json_is_array(steps));
	*ret_root = root;
	return steps;
}

static const char *sget(json_t *step, const char *key)
{
	return json_string_value(json_object_get(step, key));
}

/* The first step of @op at or after @from; its index. */
static size_t find_op(json_t *steps, const char *op, size_t from)
{
	size_t i;

	for (i = from; i < json_array_size(steps); i++)
		if (!strcmp(sget(json_array_get(steps, i), "op"), op))
			return i;
	ck_abort_msg("no %s step from %zu", op, from);
	return 0;
}

START_TEST(test_api_refusals)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	struct ioasid_trace_opts o = { .sz = sizeof(o) };
	struct {
		struct ioasid_trace_opts o;
		uint64_t tail;
	} big = { .o = { .sz = sizeof(big) }, .tail = 1 };
	const char *path = tmp_path("api.json");

	ck_assert_int_eq(ioasid_ctx_trace_start(NULL, path, NULL), -EINVAL);
	ck_assert_int_eq(ioasid_ctx_trace_stop(NULL), -EINVAL);
	ck_assert_ret(ctx, ioasid_ctx_trace_start(ctx, NULL, NULL), -EINVAL);
	ck_assert_errmsg_has(ctx, "NULL");
	ck_assert_ret(ctx, ioasid_ctx_trace_start(ctx, "", NULL), -EINVAL);
	ck_assert_errmsg_has(ctx, "empty");
	o.flags = 0x10;
	ck_assert_ret(ctx, ioasid_ctx_trace_start(ctx, path, &o), -EINVAL);
	ck_assert_errmsg_has(ctx, "0x10");
	o.flags = 0;
	o.__reserved = 3;
	ck_assert_ret(ctx, ioasid_ctx_trace_start(ctx, path, &o), -EINVAL);
	ck_assert_errmsg_has(ctx, "__reserved");
	ck_assert_ret(ctx, ioasid_ctx_trace_start(ctx, path, &big.o), -E2BIG);
	ck_assert_ret(ctx, ioasid_ctx_trace_stop(ctx), -ENOENT);
	ck_assert_errmsg_has(ctx, "no trace");
	/* a path that cannot be created: its errno, the path named */
	ck_assert_ret(ctx, ioasid_ctx_trace_start(ctx, "/nonexistent-dir/t.json", NULL), -ENOENT);
	ck_assert_errmsg_has(ctx, "/nonexistent-dir/t.json");
	ck_assert_ok(ctx, ioasid_ctx_trace_start(ctx, path, NULL));
	ck_assert_ret(ctx, ioasid_ctx_trace_start(ctx, path, NULL), -EBUSY);
	ck_assert_errmsg_has(ctx, path);
	ck_assert_ok(ctx, ioasid_ctx_trace_stop(ctx));
	ck_assert_ret(ctx, ioasid_ctx_trace_stop(ctx), -ENOENT);
	ioasid_ctx_close(ctx);
	unlink(path);
}
END_TEST

/* Steps, labels, results and values; the buffers keep a map's alignment. */
START_TEST(test_steps)
{
	struct ioasid_ctx *ctx = test_sim_ctx_spec("sim:vtd");
	const char *path = tmp_path("steps.json");
	/*
	 * 2 MiB aligned, so mem + 4096 is aligned to 4 KiB exactly, whatever
	 * mmap returned (under valgrind it is often 8 KiB aligned only)
	 */
	uint8_t *raw = test_mem(3 << 21);
	uint8_t *mem = (uint8_t *)(((uintptr_t)raw + (1u << 21) - 1) & ~(uintptr_t)((1u << 21) - 1));
	uint32_t a, b, set, pasid, dev;
	uint64_t iova = 0, fixed = 0x10000000, n;
	json_t *root, *steps, *st;
	size_t i, m;

	ck_assert_ok(ctx, ioasid_ctx_trace_start(ctx, path, NULL));
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev));
	/* a 2 MiB map from an address aligned to 4 KiB only: automatic IOVA */
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, a, mem + 4096, 1 << 21, RW, &iova));
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, a, mem, 4096,
					  IOASID_MAP_READ | IOASID_MAP_FIXED_IOVA, &fixed));
	ck_assert_ret(ctx, ioasid_ioas_map(ctx, a, mem, 4096, RW | IOASID_MAP_FIXED_IOVA, &fixed),
		      -EEXIST);
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, a, fixed, 4096, &n));
	ck_assert_ok(ctx, ioasid_ioas_destroy(ctx, a));
	/* id reused: a new label */
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &b));
	ck_assert_uint_eq(a, b);
	ck_assert_ok(ctx, ioasid_set_alloc(ctx,
					   &(struct ioasid_set_opts){
						   .sz = sizeof(struct ioasid_set_opts),
						   .max_pasids = 4 },
					   &set));
	ck_assert_ok(ctx, ioasid_pasid_alloc(ctx, set, 5, 9, &pasid));
	ck_assert_ok(ctx, ioasid_ctx_trace_stop(ctx));

	steps = load_steps(path, &root);
	st = json_array_get(steps, 0);
	ck_assert_str_eq(sget(st, "op"), "ioas_alloc");
	ck_assert_str_eq(sget(st, "expect"), "ok");
	ck_assert_str_eq(sget(st, "as"), "ioas1");
	i = find_op(steps, "dev_bind", 0);
	ck_assert_str_eq(sget(json_array_get(steps, i), "dev"), "sim0");
	/* the buffer step, then the map: the address sits at offset 0x1000 */
	i = find_op(steps, "buffer", 0);
	st = json_array_get(steps, i);
	ck_assert_str_eq(sget(st, "size"), "0x201000");
	m = find_op(steps, "map", i);
	st = json_array_get(steps, m);
	ck_assert_str_eq(sget(st, "buffer"), sget(json_array_get(steps, i), "as"));
	ck_assert_str_eq(sget(st, "offset"), "0x1000");
	ck_assert_str_eq(sget(st, "perm"), "rw");
	ck_assert_ptr_null(json_object_get(st, "iova"));
	ck_assert_uint_eq(strtoull(sget(json_object_get(st, "expect_value"), "iova"), NULL, 16),
			  iova);
	/* the fixed map and the refused one */
	st = json_array_get(steps, find_op(steps, "map", m + 1));
	ck_assert_str_eq(sget(st, "iova"), "0x10000000");
	ck_assert_str_eq(sget(st, "perm"), "r");
	st = json_array_get(steps, find_op(steps, "map", find_op(steps, "map", m + 1) + 1));
	ck_assert_str_eq(sget(st, "expect"), "EEXIST");
	ck_assert_ptr_null(json_object_get(st, "expect_value"));
	st = json_array_get(steps, find_op(steps, "unmap", 0));
	ck_assert_str_eq(sget(json_object_get(st, "expect_value"), "unmapped"), "0x1000");
	st = json_array_get(steps, find_op(steps, "ioas_alloc", 1));
	ck_assert_str_eq(sget(st, "as"), "ioas1.2");
	st = json_array_get(steps, find_op(steps, "pasid_alloc", 0));
	ck_assert_int_eq(json_integer_value(
				 json_object_get(json_object_get(st, "expect_value"), "pasid")),
			 pasid);
	/* no contents without IOASID_TRACE_CONTENTS */
	for (i = 0; i < json_array_size(steps); i++)
		ck_assert_str_ne(sget(json_array_get(steps, i), "op"), "write");
	ck_assert_str_eq(json_string_value(json_object_get(root, "profile")), "vtd");
	json_decref(root);
	ioasid_ctx_close(ctx);
	unlink(path);
}
END_TEST

/* The label a trace gives object @id made as @prefix. */
static const char *label(const char *prefix, uint32_t id)
{
	static char buf[4][32];
	static int n;
	char *p = buf[n++ % 4];

	snprintf(p, sizeof(buf[0]), "%s%u", prefix, id);
	return p;
}

/* The vIOMMU objects of a nested SMMUv3: their steps, labels and values. */
START_TEST(test_viommu)
{
	struct ioasid_ctx *ctx = test_sim_ctx_spec("sim:smmuv3");
	const char *path = tmp_path("viommu.json");
	uint8_t *mem = test_mem(1 << 21);
	struct ioasid_hwpt_opts po = IOASID_OPTS_INIT(ioasid_hwpt_opts);
	struct ioasid_hwpt_opts no = IOASID_OPTS_INIT(ioasid_hwpt_opts);
	struct ioasid_viommu_opts vo = IOASID_OPTS_INIT(ioasid_viommu_opts);
	struct ioasid_veventq_opts qo = IOASID_OPTS_INIT(ioasid_veventq_opts);
	struct ioasid_hw_queue_opts ho = IOASID_OPTS_INIT(ioasid_hw_queue_opts);
	/* CMD_CFGI_CD of vSID 0x10, leaf */
	const uint64_t cmd[2] = { 0x0000001000000005ull, 1 };
	const uint64_t ste[2] = { 0x4000000bull, 0 };
	uint64_t vdata[2] = { 0x1122334455667788ull, 0 }, iova = 0x40000000;
	uint32_t ioas, dev, s2, v, v2, vd, q, hq, nested, num = 1;
	struct ioasid_vevent ev[4];
	json_t *root, *steps, *st;
	const char *desc;
	size_t i, n;

	ck_assert_ok(ctx, ioasid_ctx_trace_start(ctx, path, NULL));
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev));
	ck_assert_ok(ctx,
		     ioasid_ioas_map(ctx, ioas, mem, 1 << 21, RW | IOASID_MAP_FIXED_IOVA, &iova));
	po.flags = IOASID_HWPT_NEST_PARENT;
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, ioas, &po, &s2));
	vo.type = IOASID_VIOMMU_ARM_SMMUV3;
	ck_assert_ok(ctx, ioasid_viommu_alloc(ctx, dev, s2, &vo, &v));
	/* type data: recorded as given (the entry point copies it before the driver writes) */
	vo.data = vdata;
	vo.data_len = sizeof(vdata);
	ck_assert_ok(ctx, ioasid_viommu_alloc(ctx, dev, s2, &vo, &v2));
	ck_assert_ok(ctx, ioasid_vdevice_alloc(ctx, v, dev, 0x10, &vd));
	qo.type = IOASID_VEVENTQ_ARM_SMMUV3;
	qo.depth = 8;
	ck_assert_ok(ctx, ioasid_veventq_alloc(ctx, v, &qo, &q));
	ho.type = IOASID_HW_QUEUE_TEGRA241_CMDQV;
	ho.iova = 0x40000000;
	ho.length = 4096;
	ck_assert_ret(ctx, ioasid_hw_queue_alloc(ctx, v, &ho, &hq), -EOPNOTSUPP);
	no.type = IOASID_HWPT_NESTED_ARM_SMMUV3;
	no.data = (void *)ste;
	no.data_len = sizeof(ste);
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, v, &no, &nested));
	ck_assert_ok(ctx, ioasid_viommu_invalidate(ctx, v, IOASID_VIOMMU_INV_ARM_SMMUV3, cmd,
						   sizeof(cmd), &num));
	ck_assert_ok(ctx, ioasid_veventq_read(ctx, q, ev, 4, &num));
	ck_assert_uint_eq(num, 0);
	ck_assert_ok(ctx, ioasid_veventq_destroy(ctx, q));
	ck_assert_ok(ctx, ioasid_vdevice_destroy(ctx, vd));
	ck_assert_ok(ctx, ioasid_hwpt_destroy(ctx, nested));
	ck_assert_ok(ctx, ioasid_obj_destroy(ctx, v));
	ck_assert_ok(ctx, ioasid_ctx_trace_stop(ctx));

	steps = load_steps(path, &root);
	st = json_array_get(steps, find_op(steps, "viommu_alloc", 0));
	ck_assert_str_eq(sget(st, "dev"), "dev2");
	ck_assert_str_eq(sget(st, "hwpt"), "hwpt3");
	ck_assert_int_eq(json_integer_value(json_object_get(st, "type")), 1);
	ck_assert_str_eq(sget(st, "as"), "viommu4");
	/* the second vIOMMU (with type data) comes between */
	ck_assert_int_eq(find_op(steps, "viommu_alloc", 0) + 2, find_op(steps, "vdevice_alloc", 0));
	st = json_array_get(steps, find_op(steps, "vdevice_alloc", 0));
	ck_assert_str_eq(sget(st, "viommu"), "viommu4");
	ck_assert_str_eq(sget(st, "as"), label("vdevice", vd));
	ck_assert_str_eq(sget(st, "virt_id"), "0x10");
	st = json_array_get(steps, find_op(steps, "veventq_alloc", 0));
	ck_assert_int_eq(json_integer_value(json_object_get(st, "depth")), 8);
	ck_assert_str_eq(sget(st, "as"), label("veventq", q));
	st = json_array_get(steps, find_op(steps, "hw_queue_alloc", 0));
	ck_assert_str_eq(sget(st, "expect"), "EOPNOTSUPP");
	ck_assert_str_eq(sget(st, "length"), "0x1000");
	ck_assert_ptr_null(json_object_get(st, "as"));
	st = json_array_get(steps, find_op(steps, "hwpt_alloc", find_op(steps, "viommu_alloc", 0)));
	ck_assert_str_eq(sget(st, "viommu"), "viommu4");
	ck_assert_str_eq(sget(st, "data"), "0b000040000000000000000000000000");
	ck_assert_ptr_null(json_object_get(st, "s1"));
	st = json_array_get(steps, find_op(steps, "viommu_invalidate", 0));
	ck_assert_int_eq(json_integer_value(json_object_get(st, "entry_len")), 16);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(st, "entries"), 0)),
			 "05000000100000000100000000000000");
	ck_assert_int_eq(json_integer_value(
				 json_object_get(json_object_get(st, "expect_value"), "handled")),
			 1);
	st = json_array_get(steps, find_op(steps, "veventq_read", 0));
	ck_assert_int_eq(json_integer_value(json_object_get(st, "max")), 4);
	ck_assert_int_eq(json_array_size(
				 json_object_get(json_object_get(st, "expect_value"), "events")),
			 0);
	ck_assert_str_eq(sget(json_array_get(steps, find_op(steps, "veventq_destroy", 0)),
			      "veventq"),
			 label("veventq", q));
	ck_assert_str_eq(sget(json_array_get(steps, find_op(steps, "vdevice_destroy", 0)),
			      "vdevice"),
			 label("vdevice", vd));
	ck_assert_str_eq(sget(json_array_get(steps, find_op(steps, "destroy", 0)), "object"),
			 "viommu4");
	/* the vIOMMU with type data: its input, and what the driver left there */
	st = json_array_get(steps,
			    find_op(steps, "viommu_alloc", find_op(steps, "viommu_alloc", 0) + 1));
	ck_assert_str_eq(sget(st, "data"), "88776655443322110000000000000000");
	ck_assert_str_eq(sget(json_object_get(st, "expect_value"), "data"),
			 "88776655443322110000000000000000");
	ck_assert_str_eq(sget(st, "as"), label("viommu", v2));
	for (i = 0, n = 0; i < json_array_size(steps); i++)
		n += !strcmp(sget(json_array_get(steps, i), "op"), "viommu_alloc");
	ck_assert_uint_eq(n, 2);
	desc = json_string_value(json_object_get(root, "description"));
	ck_assert_msg(strstr(desc, "0 calls left out") != NULL, "%s", desc);
	json_decref(root);
	ioasid_ctx_close(ctx);
	unlink(path);
}
END_TEST

/* Contents when asked: a write step for what is not zero, none for zeros. */
START_TEST(test_contents)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	struct ioasid_trace_opts o = { .sz = sizeof(o), .flags = IOASID_TRACE_CONTENTS };
	const char *path = tmp_path("contents.json");
	uint8_t *mem = test_mem(3 * 4096);
	uint64_t iova = 0;
	uint32_t a;
	json_t *root, *steps, *st;
	size_t i, writes = 0;
	uint64_t off;

	mem[4096 + 5] = 0xab;
	ck_assert_ok(ctx, ioasid_ctx_trace_start(ctx, path, &o));
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, a, mem, 3 * 4096, RW, &iova));
	ck_assert_ok(ctx, ioasid_ctx_trace_stop(ctx));
	steps = load_steps(path, &root);
	/* where the map's memory starts in its buffer */
	off = strtoull(sget(json_array_get(steps, find_op(steps, "map", 0)), "offset"), NULL, 16);
	for (i = 0; i < json_array_size(steps); i++) {
		st = json_array_get(steps, i);
		if (strcmp(sget(st, "op"), "write"))
			continue;
		writes++;
		ck_assert_uint_eq(strtoull(sget(st, "offset"), NULL, 16), off + 0x1000);
		ck_assert_uint_eq(strlen(sget(st, "data")), 2 * 4096);
		ck_assert(!strncmp(sget(st, "data") + 10, "ab", 2));
	}
	ck_assert_uint_eq(writes, 1);
	json_decref(root);
	ioasid_ctx_close(ctx);
	unlink(path);
}
END_TEST

/* On, off, on again: each file holds its own stretch; older objects are left out. */
START_TEST(test_toggle)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	const char *p1 = tmp_path("t1.json"), *p2 = tmp_path("t2.json");
	uint8_t *mem = test_mem(4 * 4096);
	uint64_t iova;
	uint32_t a, b;
	json_t *root, *steps;
	const char *desc;

	ck_assert_ok(ctx, ioasid_ctx_trace_start(ctx, p1, NULL));
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	iova = 0;
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, a, mem, 4096, RW, &iova));
	ck_assert_ok(ctx, ioasid_ctx_trace_stop(ctx));
	/* not traced */
	iova = 0;
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, a, mem + 4096, 4096, RW, &iova));
	ck_assert_ok(ctx, ioasid_ctx_trace_start(ctx, p2, NULL));
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &b));
	iova = 0;
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, b, mem, 4096, RW, &iova));
	/* IOAS a was made before this trace: left out */
	iova = 0;
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, a, mem + 2 * 4096, 4096, RW, &iova));
	ck_assert_ok(ctx, ioasid_ctx_trace_stop(ctx));

	steps = load_steps(p1, &root);
	ck_assert_uint_eq(json_array_size(steps), 3); /* ioas_alloc, buffer, map */
	json_decref(root);
	steps = load_steps(p2, &root);
	ck_assert_uint_eq(json_array_size(steps), 3);
	ck_assert_str_eq(sget(json_array_get(steps, 0), "as"), "ioas2");
	desc = json_string_value(json_object_get(root, "description"));
	ck_assert_ptr_nonnull(strstr(desc, "1 calls left out"));
	json_decref(root);
	ioasid_ctx_close(ctx);
	unlink(p1);
	unlink(p2);
}
END_TEST

static int logged_err;
static void count_log(void *data, enum ioasid_log_level level, const char *msg)
{
	(void)data;
	if (level == IOASID_LOG_ERR && strstr(msg, "write failed"))
		logged_err++;
}

/* A file that takes no data: the calls succeed, the log says so, stop returns it. */
START_TEST(test_write_error)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint8_t *mem = test_mem(4096);
	uint64_t iova = 0;
	uint32_t a;

	if (access("/dev/full", W_OK))
		return;
	logged_err = 0;
	ck_assert_ok(ctx, ioasid_ctx_set_log(ctx, count_log, NULL, IOASID_LOG_ERR));
	ck_assert_ok(ctx, ioasid_ctx_trace_start(ctx, "/dev/full", NULL));
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, a, mem, 4096, RW, &iova));
	ck_assert_int_eq(logged_err, 1);
	ck_assert_ret(ctx, ioasid_ctx_trace_stop(ctx), -ENOSPC);
	ck_assert_errmsg_has(ctx, "/dev/full");
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, a, iova, 4096, NULL));
	/* a trace still running at close: the error is logged, close goes on */
	ck_assert_ok(ctx, ioasid_ctx_trace_start(ctx, "/dev/full", NULL));
	ck_assert_ok(ctx, ioasid_ioas_destroy(ctx, a));
	ioasid_ctx_close(ctx);
	ck_assert_int_ge(logged_err, 2);
}
END_TEST

/* IOASID_TRACE at open: a trace from the first call; a bad path fails the open. */
START_TEST(test_env)
{
	struct ioasid_ctx *ctx = NULL;
	const char *path = tmp_path("env.json");
	json_t *root, *steps;
	uint32_t a;

	setenv("IOASID_TRACE", "/nonexistent-dir/t.json", 1);
	ck_assert_int_eq(ioasid_ctx_open("sim", NULL, &ctx), -ENOENT);
	ck_assert_ptr_null(ctx);
	ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(), "IOASID_TRACE=/nonexistent-dir/t.json"));
	setenv("IOASID_TRACE", path, 1);
	ck_assert_int_eq(ioasid_ctx_open("sim", NULL, &ctx), 0);
	unsetenv("IOASID_TRACE");
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	/* close ends the file */
	ioasid_ctx_close(ctx);
	steps = load_steps(path, &root);
	ck_assert_uint_eq(json_array_size(steps), 1);
	ck_assert_ptr_null(json_object_get(root, "profile"));
	json_decref(root);
	unlink(path);
}
END_TEST

/* A kernel backend: the profile from the devices' capability chains, which the sim loads. */
START_TEST(test_kernel_profile)
{
	struct fake k;
	struct ioasid_ctx *ctx, *sim;
	const char *path = tmp_path("k.json");
	char profile[300], spec[320];
	json_t *root, *steps, *p, *dev;
	json_error_t e;
	uint32_t d, sd, a;
	int fd;

	fake_sysfs();
	ctx = fake_ctx(&k);
	ck_assert_ok(ctx, ioasid_ctx_trace_start(ctx, path, NULL));
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ck_assert_ok(ctx, ioasid_dev_bind_fd(ctx, fd, &d));
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, a, NULL));
	ck_assert_ok(ctx, ioasid_ctx_trace_stop(ctx));
	steps = load_steps(path, &root);
	snprintf(profile, sizeof(profile), "%s.profile.json", path);
	ck_assert_str_eq(json_string_value(json_object_get(root, "profile")),
			 strrchr(profile, '/') + 1);
	ck_assert_str_eq(sget(json_array_get(steps, find_op(steps, "dev_bind", 0)), "dev"), "vfio0");
	json_decref(root);
	p = json_load_file(profile, 0, &e);
	ck_assert_msg(p != NULL, "%s: %s", profile, e.text);
	ck_assert_str_eq(json_string_value(json_object_get(p, "model")), "vtd");
	ck_assert_uint_eq(strtoull(json_string_value(json_object_get(json_object_get(p, "registers"),
								     "cap_reg")),
				   NULL, 16),
			  QEMU_VTD_CAP);
	dev = json_array_get(json_object_get(p, "devices"), 0);
	ck_assert_str_eq(sget(dev, "name"), "vfio0");
	json_decref(p);
	ioasid_dev_detach(ctx, d, IOASID_PASID_NONE);
	ioasid_dev_unbind(ctx, d);
	ioasid_ctx_close(ctx);
	close(fd);
	fake_sysfs_rm();
	/* the sim takes the profile and binds the device by its name */
	snprintf(spec, sizeof(spec), "sim:%s", profile);
	ck_assert_int_eq(ioasid_ctx_open(spec, NULL, &sim), 0);
	ck_assert_ok(sim, ioasid_dev_bind(sim, "vfio0", &sd));
	ioasid_ctx_close(sim);
	unlink(path);
	unlink(profile);
}
END_TEST

/* Threads map and unmap while a trace runs (check-tsan runs this suite too). */
struct mt_worker {
	struct ioasid_ctx *ctx;
	uint32_t ioas;
	uint8_t *mem;
};

#define MT_ITER 200

static void *mt_work(void *arg)
{
	struct mt_worker *w = arg;
	int i;

	for (i = 0; i < MT_ITER; i++) {
		uint64_t iova = 0;

		if (!ioasid_ioas_map(w->ctx, w->ioas, w->mem, 4096, RW, &iova))
			ioasid_ioas_unmap(w->ctx, w->ioas, iova, 4096, NULL);
	}
	return NULL;
}

START_TEST(test_threads)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	const char *path = tmp_path("mt.json");
	uint8_t *mem = test_mem(4 * 4096);
	struct mt_worker w[4];
	pthread_t th[4];
	json_t *root, *steps;
	size_t i, maps = 0, unmaps = 0;
	uint32_t ioas;

	ck_assert_ok(ctx, ioasid_ctx_trace_start(ctx, path, NULL));
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	for (i = 0; i < 4; i++) {
		w[i] = (struct mt_worker){ .ctx = ctx, .ioas = ioas, .mem = mem + i * 4096 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, mt_work, &w[i]), 0);
	}
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	ck_assert_ok(ctx, ioasid_ctx_trace_stop(ctx));
	steps = load_steps(path, &root);
	for (i = 0; i < json_array_size(steps); i++) {
		const char *op = sget(json_array_get(steps, i), "op");

		maps += !strcmp(op, "map");
		unmaps += !strcmp(op, "unmap");
	}
	/* every call, each a whole line of JSON */
	ck_assert_uint_eq(maps, 4 * MT_ITER);
	ck_assert_uint_eq(unmaps, 4 * MT_ITER);
	json_decref(root);
	ioasid_ctx_close(ctx);
	unlink(path);
}
END_TEST

Suite *trace_suite(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("record");

	tcase_add_test(tc, test_api_refusals);
	tcase_add_test(tc, test_steps);
	tcase_add_test(tc, test_viommu);
	tcase_add_test(tc, test_contents);
	tcase_add_test(tc, test_toggle);
	tcase_add_test(tc, test_write_error);
	tcase_add_test(tc, test_env);
	tcase_add_test(tc, test_kernel_profile);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return s;
}
