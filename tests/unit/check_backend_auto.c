/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * "auto" on odd hosts: what sits at /dev/iommu must be iommufd's misc
 * device before auto picks iommufd; anything else (another character
 * device, a regular file) falls back to vfio. The paths and the misc check
 * are the test's: /dev/full plays iommufd's node, /dev/zero VFIO's, and
 * /dev/null is "some other character device".
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"

#include "backend/backend.h"

static dev_t rdev_of(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISCHR(st.st_mode));
	return st.st_rdev;
}

/* /dev/full is the misc device "iommu", /dev/zero "vfio"; nothing else is. */
static bool test_is_misc(dev_t rdev, const char *name, char *what, size_t whatlen)
{
	snprintf(what, whatlen, "not it");
	if (!strcmp(name, "iommu"))
		return rdev == rdev_of("/dev/full");
	return !strcmp(name, "vfio") && rdev == rdev_of("/dev/zero");
}

static char tmpdir[64], regular[96];

static void mk_tmp(void)
{
	int fd;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ioasid-auto.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(regular, sizeof(regular), "%s/iommu", tmpdir);
	fd = open(regular, O_CREAT | O_RDWR, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void rm_tmp(void)
{
	ck_assert_int_eq(unlink(regular), 0);
	ck_assert_int_eq(rmdir(tmpdir), 0);
}

START_TEST(test_auto_odd_iommu_node)
{
	struct backend_auto_env env = {
		.iommu = "/dev/full",
		.vfio = "/dev/zero",
		.is_misc = test_is_misc,
	};
	const struct ioasid_backend_ops *ops;
	char reason[512];

	mk_tmp();
	env.vfio_devices = tmpdir;
	/* the real thing: iommufd */
	ops = backend_pick_auto(&env, reason, sizeof(reason));
	ck_assert_ptr_eq(ops, &ioasid_iommufd_backend);
	/* another character device at the iommufd path: vfio, saying why */
	env.iommu = "/dev/null";
	ops = backend_pick_auto(&env, reason, sizeof(reason));
	ck_assert_msg(ops == &ioasid_vfio_backend, "picked %s: %s", ops ? ops->name : "none",
		      reason);
	ck_assert_msg(strstr(reason, "/dev/null is not it, not the misc device 'iommu'"), "%s",
		      reason);
	/* a regular file there: vfio too */
	env.iommu = regular;
	ops = backend_pick_auto(&env, reason, sizeof(reason));
	ck_assert_msg(ops == &ioasid_vfio_backend, "picked %s: %s", ops ? ops->name : "none",
		      reason);
	ck_assert_msg(strstr(reason, "is not a character device"), "%s", reason);
	/* the VFIO node is checked the same way: nothing usable */
	env.vfio = regular;
	ck_assert_ptr_null(backend_pick_auto(&env, reason, sizeof(reason)));
	env.vfio = "/dev/null";
	ck_assert_ptr_null(backend_pick_auto(&env, reason, sizeof(reason)));
	ck_assert_msg(strstr(reason, "vfio unusable (/dev/null is not it"), "%s", reason);
	/* iommufd's node without device cdevs: vfio */
	env.iommu = "/dev/full";
	env.vfio = "/dev/zero";
	env.vfio_devices = regular;
	ck_assert_ptr_eq(backend_pick_auto(&env, reason, sizeof(reason)), &ioasid_vfio_backend);
	ck_assert_msg(strstr(reason, "is missing"), "%s", reason);
	rm_tmp();
}
END_TEST

/* The host's own check never takes a non-misc device (/dev/null is 1:3) for iommufd. */
START_TEST(test_auto_host_check)
{
	char what[160];

	ck_assert(!backend_auto_host.is_misc(rdev_of("/dev/null"), "iommu", what, sizeof(what)));
	ck_assert_msg(strstr(what, "not a misc device"), "%s", what);
	ck_assert(!backend_auto_host.is_misc(rdev_of("/dev/null"), "vfio", what, sizeof(what)));
	ck_assert_str_eq(backend_auto_host.iommu, "/dev/iommu");
	ck_assert_str_eq(backend_auto_host.vfio, "/dev/vfio/vfio");
}
END_TEST

Suite *backend_auto_suite(void)
{
	Suite *s = suite_create("backend_auto");
	TCase *tc = tcase_create("backend_auto");

	tcase_add_test(tc, test_auto_odd_iommu_node);
	tcase_add_test(tc, test_auto_host_check);
	suite_add_tcase(s, tc);
	return s;
}
