/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fail-nth operations of the vfio backend (failnth.h), over the fake
 * type-1 kernel (tests/fake-kernel/fk-vfio.h): binding (the measuring
 * scratch container), attaching with the replay of an IOAS's mappings,
 * replace (a detach and an attach on type-1), map, copy, unmap, detach,
 * context close.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "helpers.h"

#include "backend/vfio/vfio-private.h"
#include "failnth.h"

static void vbind(struct env *e, int i)
{
	char name[16];

	snprintf(name, sizeof(name), "0000:00:0%d.0", i + 1);
	ck_assert_ok(e->ctx, ioasid_dev_bind(e->ctx, name, &e->dev[i]));
}

static void attach(struct env *e, int i, uint32_t ioas)
{
	ck_assert_ok(e->ctx, ioasid_dev_attach(e->ctx, e->dev[i], IOASID_PASID_NONE, ioas, NULL));
}

/* A device and an IOAS with two areas, not attached yet. */
static void with_dev(struct env *e)
{
	vbind(e, 0);
	ck_assert_ok(e->ctx, ioasid_ioas_alloc(e->ctx, &e->ioas));
	failnth_map(e, e->ioas, 0x100000, 0, 2 * 4096);
	failnth_map(e, e->ioas, 0x300000, 4 * 4096, 4096);
}

static void with_attached(struct env *e)
{
	with_dev(e);
	attach(e, 0, e->ioas);
}

static void with_second_dev(struct env *e)
{
	with_attached(e);
	vbind(e, 1);
}

static void with_two_ioas(struct env *e)
{
	with_attached(e);
	ck_assert_ok(e->ctx, ioasid_ioas_alloc(e->ctx, &e->ioas2));
	failnth_map(e, e->ioas2, 0x200000, 8 * 4096, 4096);
	failnth_map(e, e->ioas2, 0x400000, 9 * 4096, 4096);
}

/*
 * dma_entry_limit lowered to 1, as sysfs shows: a new type-1 IOMMU would
 * refuse the second replayed mapping, so the library refuses the replace
 * before the group leaves its container.
 */
static void with_two_ioas_limit(struct env *e)
{
	with_two_ioas(e);
	fkv_set_dma_limit(&e->kv, 1, true);
}

/*
 * The same limit where the library cannot read it (lowered after it
 * looked): the replay fails, and the group goes back to its old
 * container, which a second device keeps live.
 */
static void with_two_ioas_limit_unseen(struct env *e)
{
	with_two_ioas(e);
	vbind(e, 1);
	attach(e, 1, e->ioas);
	fkv_set_dma_limit(&e->kv, 1, false);
}

/*
 * ... and where the group was the last in its old container: going back
 * needs a new type-1 IOMMU, which the lowered limit refuses too.
 */
static void with_two_ioas_limit_alone(struct env *e)
{
	with_two_ioas(e);
	fkv_set_dma_limit(&e->kv, 1, false);
}

static void with_everything(struct env *e)
{
	with_two_ioas(e);
	vbind(e, 1);
	attach(e, 1, e->ioas2);
}

static int op_bind(struct env *e)
{
	return ioasid_dev_bind(e->ctx, "0000:00:01.0", &e->dev[0]);
}

static int op_attach_second(struct env *e)
{
	return ioasid_dev_attach(e->ctx, e->dev[1], IOASID_PASID_NONE, e->ioas, NULL);
}

static int op_map(struct env *e)
{
	uint64_t iova = 0x500000;

	return ioasid_ioas_map(e->ctx, e->ioas, e->mem + 12 * 4096, 4096, FIX, &iova);
}

static int op_copy(struct env *e)
{
	uint64_t iova = 0x800000;

	return ioasid_ioas_copy(e->ctx, e->ioas, e->ioas, 0x100000, 2 * 4096, FIX, &iova);
}

const struct op failnth_vfio_ops[] = {
	{ "vfio_bind", failnth_nothing, op_bind, false, false },
	{ "vfio_attach", with_dev, failnth_op_attach, false, false },
	{ "vfio_attach_second", with_second_dev, op_attach_second, false, false },
	{ "vfio_replace", with_two_ioas, failnth_op_replace, false, false },
	{ "vfio_replace_limit", with_two_ioas_limit, failnth_op_replace, false, true },
	{ "vfio_replace_limit_unseen", with_two_ioas_limit_unseen, failnth_op_replace, false, true },
	{ "vfio_replace_limit_alone", with_two_ioas_limit_alone, failnth_op_replace, false, true },
	{ "vfio_replace_same", with_attached, failnth_op_replace_same, false, false },
	{ "vfio_map", with_attached, op_map, false, false },
	{ "vfio_copy", with_attached, op_copy, false, false },
	{ "vfio_unmap", with_attached, failnth_op_unmap, false, false },
	{ "vfio_detach", with_attached, failnth_op_detach, false, false },
	{ "vfio_unbind", with_dev, failnth_op_unbind, true, false },
	{ "vfio_close", with_everything, failnth_op_close, true, false },
};
const unsigned int failnth_vfio_nr_ops = sizeof(failnth_vfio_ops) / sizeof(failnth_vfio_ops[0]);

const struct known failnth_vfio_known[] = {
	{ NULL, NULL, 0, NULL },
};

/*
 * vfio_ctx_open_test(): the open's own container check already goes
 * through the test's seam, and its refusal fails the open.
 */
START_TEST(test_vfio_open_hooked)
{
	struct fkv kv;
	struct vfio_test_kernel tk = { .ioctl = fkv_ioctl, .ioctl_data = &kv };
	struct ioasid_ctx *ctx = NULL;

	fk_sysfs();
	fkv_init(&kv);
	tk.dev_dir = kv.dir;
	tk.sysfs = fk_sysfs_root();
	kv.inj.fail_at = 1;
	ck_assert_int_eq(vfio_ctx_open_test(&tk, &ctx), -ENOMEM);
	ck_assert_ptr_null(ctx);
	ck_assert_str_eq(kv.inj.trace, "GET_API_VERSION");
	ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(), kv.dir));
	fk_inject_reset(&kv.inj);
	kv.inj.fail_at = 0;
	ck_assert_int_eq(vfio_ctx_open_test(&tk, &ctx), 0);
	ck_assert_str_eq(kv.inj.trace, "GET_API_VERSION CHECK_EXTENSION");
	ck_assert_str_eq(ioasid_ctx_backend_name(ctx), "vfio");
	ioasid_ctx_close(ctx);
	fkv_fini(&kv);
	fk_sysfs_rm();
}
END_TEST

/*
 * A world of its own for the tests below (the fake, a context, memory, a
 * device on an IOAS of two areas, another IOAS of two), dma_entry_limit
 * lowered to 1 (@tell: where the library sees it), and the replace onto
 * the second IOAS tried: what it returned.
 */
static int replace_over_limit(struct env *e, bool tell)
{
	memset(e, 0, sizeof(*e));
	e->vfio = true;
	fk_sysfs();
	fkv_init(&e->kv);
	e->ctx = fkv_ctx(&e->kv);
	e->mem = mmap(NULL, MEM_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(e->mem, MAP_FAILED);
	with_two_ioas(e);
	fkv_set_dma_limit(&e->kv, 1, tell);
	fk_inject_reset(&e->kv.inj);
	return failnth_op_replace(e);
}

static void limit_env_end(struct env *e)
{
	ioasid_ctx_close(e->ctx);
	fkv_fini(&e->kv);
	fk_sysfs_rm();
	munmap(e->mem, MEM_LEN);
}

/*
 * dma_entry_limit as sysfs shows it: the replace that would overrun it is
 * refused before any ioctl, naming the limit, and the device stays.
 */
START_TEST(test_vfio_replace_limit_seen)
{
	struct env e;
	uint32_t pt = 0;
	int fd;

	ck_assert_int_eq(replace_over_limit(&e, true), -ENOSPC);
	ck_assert_uint_eq(e.kv.inj.calls, 0);
	ck_assert_ptr_nonnull(strstr(ioasid_ctx_errmsg(e.ctx), "dma_entry_limit"));
	ck_assert_ok(e.ctx, ioasid_dev_attached(e.ctx, e.dev[0], IOASID_PASID_NONE, &pt));
	ck_assert_uint_eq(pt, e.ioas);
	ck_assert_ok(e.ctx, ioasid_dev_fd(e.ctx, e.dev[0], &fd));
	limit_env_end(&e);
}
END_TEST

/*
 * The limit lowered where the library cannot see it, the device the last
 * in its container: the kernel refuses the replay and then the old
 * container's rebuild, so the device ends detached -- in the library too,
 * with a message that says so.
 */
START_TEST(test_vfio_replace_no_way_back)
{
	struct env e;
	uint32_t pt = 0;
	int fd;

	ck_assert_int_eq(replace_over_limit(&e, false), -ENOSPC);
	ck_assert_ptr_nonnull(strstr(ioasid_ctx_errmsg(e.ctx), "failed too"));
	ck_assert_int_eq(ioasid_dev_attached(e.ctx, e.dev[0], IOASID_PASID_NONE, &pt), -ENOENT);
	ck_assert_int_eq(ioasid_dev_fd(e.ctx, e.dev[0], &fd), -ENOENT);
	/* the library can attach it again, where the limit allows */
	fkv_set_dma_limit(&e.kv, 2, false);
	ck_assert_ok(e.ctx, ioasid_dev_attach(e.ctx, e.dev[0], IOASID_PASID_NONE, e.ioas, NULL));
	limit_env_end(&e);
}
END_TEST

void failnth_vfio_tests(TCase *tc)
{
	tcase_add_test(tc, test_vfio_open_hooked);
	tcase_add_test(tc, test_vfio_replace_limit_seen);
	tcase_add_test(tc, test_vfio_replace_no_way_back);
}
