/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Contexts: backend specs, option structs, messages, logging, ids. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"

START_TEST(test_open_sim)
{
	struct ioasid_ctx *ctx = NULL;

	ck_assert_int_eq(ioasid_ctx_open("sim", NULL, &ctx), 0);
	ck_assert_int_eq(ioasid_ctx_backend(ctx), IOASID_BACKEND_SIM);
	ck_assert_str_eq(ioasid_ctx_backend_name(ctx), "sim");
	ck_assert_ptr_nonnull(strstr(ioasid_ctx_backend_reason(ctx), "sim"));
	ioasid_ctx_close(ctx);
	ioasid_ctx_close(NULL);
}
END_TEST

START_TEST(test_bad_specs)
{
	static const struct {
		const char *spec;
		int err;
		const char *needle;
	} cases[] = {
		{ "bogus", -EINVAL, "bogus" },
		{ "vfio:/x", -EINVAL, "vfio takes no argument" },
		{ "auto:x", -EINVAL, "auto takes no argument" },
		{ "sim:", -EINVAL, "empty argument" },
		{ "", -EINVAL, "unknown backend" },
	};
	struct ioasid_ctx *ctx = (struct ioasid_ctx *)1;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = ioasid_ctx_open(cases[i].spec, NULL, &ctx);

		ck_assert_msg(r == cases[i].err, "spec '%s': %d", cases[i].spec, r);
		ck_assert_ptr_null(ctx);
		ck_assert_msg(strstr(ioasid_last_errmsg(), cases[i].needle),
			      "spec '%s': message '%s'", cases[i].spec, ioasid_last_errmsg());
	}
	ck_assert_int_eq(ioasid_ctx_open("sim", NULL, NULL), -EINVAL);
}
END_TEST

START_TEST(test_kernel_backends_refuse)
{
	struct ioasid_ctx *ctx = NULL;
	int fd, r;

	/* A missing node: the open's errno, the path in the message. */
	ck_assert_int_eq(ioasid_ctx_open("iommufd:/nonexistent", NULL, &ctx), -ENOENT);
	ck_assert_ptr_null(ctx);
	ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(), "/nonexistent"));
	/* another character device: refused at open, not by ENOTTY at the first call */
	if (!access("/sys/dev/char", F_OK)) {
		ck_assert_int_eq(ioasid_ctx_open("iommufd:/dev/zero", NULL, &ctx), -ENODEV);
		ck_assert_ptr_null(ctx);
		ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(),
					     "/dev/zero is virtual/mem/zero, not the iommu device"));
	}
	/* vfio works only where /dev/vfio/vfio does */
	r = ioasid_ctx_open("vfio", NULL, &ctx);
	if (r) {
		ck_assert_ptr_null(ctx);
		ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(), "/dev/vfio/vfio"));
	} else {
		ioasid_ctx_close(ctx);
		ctx = NULL;
	}
	/* an fd that is not /dev/iommu is refused */
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ioasid_ctx_open_fd(IOASID_BACKEND_IOMMUFD, fd, false, NULL, &ctx),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(), "not /dev/iommu"));
	/* not owned: still open */
	ck_assert_int_eq(fcntl(fd, F_GETFD), FD_CLOEXEC);
	ck_assert_int_eq(ioasid_ctx_open_fd(IOASID_BACKEND_VFIO, fd, false, NULL, &ctx), -EINVAL);
	ck_assert_int_eq(fcntl(fd, F_GETFD), FD_CLOEXEC);
	ck_assert_int_eq(ioasid_ctx_open_fd(IOASID_BACKEND_IOMMUFD, fd, true, NULL, &ctx),
			 -EINVAL);
	/* owned: closed even on failure */
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	ck_assert_int_eq(ioasid_ctx_open_fd(IOASID_BACKEND_SIM, 0, false, NULL, &ctx), -EINVAL);
	ck_assert_int_eq(ioasid_ctx_open_fd(IOASID_BACKEND_IOMMUFD, -1, false, NULL, &ctx), -EBADF);
	ck_assert_int_eq(ioasid_ctx_open_fd((enum ioasid_backend_kind)77, 3, false, NULL, &ctx),
			 -EINVAL);
}
END_TEST

START_TEST(test_auto_never_sim)
{
	struct ioasid_ctx *ctx = NULL;
	int r = ioasid_ctx_open("auto", NULL, &ctx);

	/* Whatever this machine has, auto never falls back to the sim. */
	if (r == 0) {
		ck_assert_int_ne(ioasid_ctx_backend(ctx), IOASID_BACKEND_SIM);
		ioasid_ctx_close(ctx);
	} else {
		ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(), "auto"));
	}
}
END_TEST

/* A caller built against a newer header: a bigger struct. */
struct big_opts {
	struct ioasid_ctx_opts o;
	uint64_t future;
};

START_TEST(test_opts_sizes)
{
	struct ioasid_ctx *ctx = NULL;
	struct big_opts big;
	struct ioasid_ctx_opts small;

	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	ck_assert_int_eq(ioasid_ctx_open("sim", &big.o, &ctx), 0);
	ioasid_ctx_close(ctx);

	big.future = 1;
	ck_assert_int_eq(ioasid_ctx_open("sim", &big.o, &ctx), -E2BIG);
	ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(), "not zero"));

	/* an older caller: only sz and the log fields */
	memset(&small, 0xff, sizeof(small));
	small.sz = offsetof(struct ioasid_ctx_opts, log_level);
	small.log = NULL;
	small.log_data = NULL;
	ck_assert_int_eq(ioasid_ctx_open("sim", &small, &ctx), 0);
	ioasid_ctx_close(ctx);

	memset(&small, 0, sizeof(small));
	small.sz = 3;
	ck_assert_int_eq(ioasid_ctx_open("sim", &small, &ctx), -EINVAL);

	{
		struct ioasid_ctx_opts o = { .sz = sizeof(struct ioasid_ctx_opts), .flags = 0x80 };
		ck_assert_int_eq(ioasid_ctx_open("sim", &o, &ctx), -EINVAL);
		ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(), "0x80"));
	}
	{
		struct ioasid_ctx_opts o = { .sz = sizeof(struct ioasid_ctx_opts), .log_level = 9 };
		ck_assert_int_eq(ioasid_ctx_open("sim", &o, &ctx), -EINVAL);
	}
}
END_TEST

struct log_capture {
	int n;
	char last[256];
};

static void capture_log(void *data, enum ioasid_log_level level, const char *msg)
{
	struct log_capture *c = data;

	(void)level;
	c->n++;
	snprintf(c->last, sizeof(c->last), "%s", msg);
}

START_TEST(test_log_and_errmsg)
{
	struct log_capture cap = { 0 };
	struct ioasid_ctx *ctx;
	uint32_t ioas;

	struct ioasid_ctx_opts o = { .sz = sizeof(struct ioasid_ctx_opts), .log = capture_log, .log_data = &cap,
		    .log_level = IOASID_LOG_DEBUG };
	ck_assert_int_eq(ioasid_ctx_open("sim", &o, &ctx), 0);
	ck_assert_int_ge(cap.n, 1); /* the "opened" info line */
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	ck_assert_int_eq(ioasid_ioas_destroy(ctx, 4242), -ENOENT);
	ck_assert_errmsg_has(ctx, "4242");
	ck_assert_ptr_nonnull(strstr(cap.last, "4242"));
	ck_assert_int_eq(ioasid_ctx_set_log(ctx, NULL, NULL, 8), -EINVAL);
	ck_assert_int_eq(ioasid_ctx_set_log(ctx, NULL, NULL, 3), 0);
	ioasid_ctx_close(ctx);
}
END_TEST

START_TEST(test_ids_and_destroy)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint32_t a, b, c;

	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &b));
	ck_assert_uint_gt(a, 0);
	ck_assert_uint_ne(a, b);
	ck_assert_int_eq(ioasid_obj_kind(ctx, a), IOASID_OBJ_IOAS);
	ck_assert_int_eq(ioasid_obj_kind(ctx, 999), IOASID_OBJ_NONE);
	ck_assert_ok(ctx, ioasid_obj_destroy(ctx, a));
	ck_assert_int_eq(ioasid_obj_destroy(ctx, a), -ENOENT);
	ck_assert_int_eq(ioasid_obj_destroy(ctx, 0), -ENOENT);
	/* a released id is reused */
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &c));
	ck_assert_uint_eq(c, a);
	ioasid_ctx_close(ctx);
}
END_TEST

START_TEST(test_errno_names)
{
	ck_assert_str_eq(ioasid_strerrno(-EEXIST), "EEXIST");
	ck_assert_str_eq(ioasid_strerrno(EADDRINUSE), "EADDRINUSE");
	ck_assert_str_eq(ioasid_strerrno(0), "ok");
	ck_assert_str_eq(ioasid_strerrno(-4095), "E?");
	ck_assert_int_eq(ioasid_errno_from_name("EOVERFLOW"), EOVERFLOW);
	ck_assert_int_eq(ioasid_errno_from_name("ENOPE"), 0);
	ck_assert_int_eq(ioasid_errno_from_name(NULL), 0);
	ck_assert_str_eq(ioasid_version(), PACKAGE_VERSION);
}
END_TEST

START_TEST(test_pinned_limit_rlimit)
{
	struct ioasid_ctx *ctx = NULL;
	struct ioasid_pinned_info pi;

	ck_assert_int_eq(ioasid_ctx_open("sim", NULL, &ctx), 0);
	ck_assert_ok(ctx, ioasid_ctx_set_cap_ipc_lock_exempt(ctx, false));
	ck_assert_ok(ctx, ioasid_ctx_pinned(ctx, &pi));
	ck_assert_uint_eq(pi.exempt, 0);
	ck_assert_uint_eq(pi.page_size, (uint64_t)sysconf(_SC_PAGESIZE));
	ck_assert_ok(ctx, ioasid_ctx_set_pinned_limit(ctx, 1 << 20));
	ck_assert_ok(ctx, ioasid_ctx_pinned(ctx, &pi));
	ck_assert_uint_eq(pi.limit_pages, (1 << 20) / pi.page_size);
	ioasid_ctx_close(ctx);
}
END_TEST

START_TEST(test_many_objects)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint32_t ids[100];
	int i;

	/* more objects than any initial table size, released in every order */
	for (i = 0; i < 100; i++)
		ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ids[i]));
	for (i = 0; i < 100; i += 2)
		ck_assert_ok(ctx, ioasid_ioas_destroy(ctx, ids[i]));
	for (i = 0; i < 50; i++)
		ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ids[2 * i]));
	for (i = 99; i >= 50; i--)
		ck_assert_ok(ctx, ioasid_ioas_destroy(ctx, ids[i]));
	ioasid_ctx_close(ctx); /* the rest go with the context */
}
END_TEST

Suite *ctx_suite(void)
{
	Suite *s = suite_create("ctx");
	TCase *tc = tcase_create("ctx");

	tcase_add_test(tc, test_open_sim);
	tcase_add_test(tc, test_bad_specs);
	tcase_add_test(tc, test_kernel_backends_refuse);
	tcase_add_test(tc, test_auto_never_sim);
	tcase_add_test(tc, test_opts_sizes);
	tcase_add_test(tc, test_log_and_errmsg);
	tcase_add_test(tc, test_ids_and_destroy);
	tcase_add_test(tc, test_errno_names);
	tcase_add_test(tc, test_pinned_limit_rlimit);
	tcase_add_test(tc, test_many_objects);
	suite_add_tcase(s, tc);
	return s;
}
