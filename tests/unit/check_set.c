/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IOASID sets: quotas, PASID allocation, ownership. */
#include "helpers.h"
#include "suites.h"

static struct ioasid_ctx *ctx;

static void setup(void)
{
	ctx = test_sim_ctx(); /* profile vtd: 20-bit PASIDs */
}

static void teardown(void)
{
	ioasid_ctx_close(ctx);
}

static uint32_t new_set(uint64_t owner, uint32_t max_pasids, uint32_t max_ioas)
{
	struct ioasid_set_opts o = { .sz = sizeof(struct ioasid_set_opts), .owner = owner, .max_pasids = max_pasids,
		    .max_ioas = max_ioas };
	uint32_t set;

	ck_assert_ok(ctx, ioasid_set_alloc(ctx, &o, &set));
	return set;
}

START_TEST(test_alloc_free)
{
	uint32_t a = new_set(1, 4, 0), b = new_set(2, 4, 0), p, q, owner;
	struct ioasid_set_info si;
	uint32_t list[8], n = 8;

	ck_assert_ok(ctx, ioasid_pasid_alloc(ctx, a, 1, 100, &p));
	ck_assert_uint_eq(p, 1);
	ck_assert_ok(ctx, ioasid_pasid_alloc(ctx, b, 1, 100, &q));
	ck_assert_uint_eq(q, 2);
	ck_assert_ok(ctx, ioasid_pasid_alloc(ctx, a, 50, 50, &p)); /* a specific one */
	ck_assert_uint_eq(p, 50);
	ck_assert_int_eq(ioasid_pasid_alloc(ctx, b, 50, 50, &q), -EEXIST);
	ck_assert_errmsg_has(ctx, "50");
	ck_assert_ok(ctx, ioasid_pasid_owner(ctx, 50, &owner));
	ck_assert_uint_eq(owner, a);
	/* another set's PASID */
	ck_assert_int_eq(ioasid_pasid_free(ctx, b, 50), -EPERM);
	ck_assert_errmsg_has(ctx, "PASID 50 belongs to set");
	ck_assert_ok(ctx, ioasid_pasid_owner(ctx, 50, &owner));
	ck_assert_uint_eq(owner, a);
	ck_assert_int_eq(ioasid_pasid_free(ctx, a, 77), -ENOENT);
	ck_assert_ok(ctx, ioasid_set_pasids(ctx, a, 0, list, &n));
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(list[0], 1);
	ck_assert_uint_eq(list[1], 50);
	ck_assert_ok(ctx, ioasid_pasid_free(ctx, a, 50));
	ck_assert_int_eq(ioasid_pasid_owner(ctx, 50, &owner), -ENOENT);
	ck_assert_ok(ctx, ioasid_set_info(ctx, a, &si));
	ck_assert_uint_eq(si.nr_pasids, 1);
	ck_assert_uint_eq(si.max_pasids, 4);
	ck_assert_uint_eq(si.owner, 1);
	ck_assert_uint_eq(si.pasid_width, 20);
}
END_TEST

START_TEST(test_quota_and_space)
{
	uint32_t a = new_set(1, 2, 0), b = new_set(2, 100, 0), p;

	ck_assert_ok(ctx, ioasid_pasid_alloc(ctx, a, 1, 10, &p));
	ck_assert_ok(ctx, ioasid_pasid_alloc(ctx, a, 1, 10, &p));
	ck_assert_int_eq(ioasid_pasid_alloc(ctx, a, 1, 10, &p), -EDQUOT);
	ck_assert_errmsg_has(ctx, "quota of 2 PASIDs");
	/* the range is exhausted for b: ENOSPC */
	ck_assert_ok(ctx, ioasid_pasid_alloc(ctx, b, 3, 3, &p));
	ck_assert_int_eq(ioasid_pasid_alloc(ctx, b, 1, 3, &p), -ENOSPC);
	ck_assert_errmsg_has(ctx, "[1, 3]");
	/* outside the 20-bit space, PASID 0, inverted range */
	ck_assert_int_eq(ioasid_pasid_alloc(ctx, b, 1, 1u << 20, &p), -EINVAL);
	ck_assert_errmsg_has(ctx, "1048575");
	ck_assert_int_eq(ioasid_pasid_alloc(ctx, b, 0, 5, &p), -EINVAL);
	ck_assert_int_eq(ioasid_pasid_alloc(ctx, b, 9, 5, &p), -EINVAL);
	ck_assert_int_eq(ioasid_pasid_alloc(ctx, 999, 1, 5, &p), -ENOENT);
	ck_assert_int_eq(ioasid_pasid_alloc(ctx, b, 1, 5, NULL), -EINVAL);
	/* a quota larger than the PASID space */
	{
		struct ioasid_set_opts o = { .sz = sizeof(struct ioasid_set_opts), .max_pasids = 1u << 20 };
		uint32_t s;

		ck_assert_int_eq(ioasid_set_alloc(ctx, &o, &s), -EINVAL);
		ck_assert_errmsg_has(ctx, "1048576");
	}
	ck_assert_int_eq(ioasid_set_alloc(ctx, NULL, &p), -EINVAL);
}
END_TEST

START_TEST(test_ioas_quota_and_destroy)
{
	uint32_t a = new_set(1, 2, 1), ioas, ioas2, p;

	ck_assert_ok(ctx, ioasid_set_ioas_alloc(ctx, a, &ioas));
	ck_assert_int_eq(ioasid_set_ioas_alloc(ctx, a, &ioas2), -EDQUOT);
	ck_assert_errmsg_has(ctx, "quota of 1 address spaces");
	ck_assert_int_eq(ioasid_set_destroy(ctx, a), -EBUSY);
	ck_assert_ok(ctx, ioasid_ioas_destroy(ctx, ioas));
	ck_assert_ok(ctx, ioasid_set_ioas_alloc(ctx, a, &ioas2));
	ck_assert_ok(ctx, ioasid_ioas_destroy(ctx, ioas2));
	ck_assert_ok(ctx, ioasid_pasid_alloc(ctx, a, 7, 7, &p));
	/* destroying the set frees its PASIDs */
	ck_assert_ok(ctx, ioasid_set_destroy(ctx, a));
	ck_assert_int_eq(ioasid_pasid_owner(ctx, 7, &p), -ENOENT);
	ck_assert_int_eq(ioasid_set_destroy(ctx, a), -ENOENT);
	ck_assert_int_eq(ioasid_set_destroy(ctx, 12345), -ENOENT);
}
END_TEST

START_TEST(test_no_pasid_iommu)
{
	struct ioasid_ctx *c2;
	uint32_t s, p;

	struct ioasid_set_opts o = { .sz = sizeof(struct ioasid_set_opts), .max_pasids = 0 };
	ck_assert_int_eq(ioasid_ctx_open("sim:qemu-vtd", NULL, &c2), 0);
	ck_assert_int_eq(ioasid_set_alloc(c2, &o, &s), 0);
	ck_assert_int_eq(ioasid_pasid_alloc(c2, s, 1, 1, &p), -EOPNOTSUPP);
	ck_assert_ptr_nonnull(strstr(ioasid_ctx_errmsg(c2), "no PASID"));
	ioasid_ctx_close(c2);
}
END_TEST

Suite *set_suite(void)
{
	Suite *s = suite_create("set");
	TCase *tc = tcase_create("set");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_alloc_free);
	tcase_add_test(tc, test_quota_and_space);
	tcase_add_test(tc, test_ioas_quota_and_destroy);
	tcase_add_test(tc, test_no_pasid_iommu);
	suite_add_tcase(s, tc);
	return s;
}
