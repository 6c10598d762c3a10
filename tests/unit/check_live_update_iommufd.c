/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live update on iommufd (issue 12, docs/live-update.md): the successor's
 * restore adopts the kernel objects the state names, over the stateful
 * fake kernel (tests/fake-kernel) standing in for 7.2's iommufd.
 *
 * The predecessor is played by a context that lets go of its kernel
 * objects and fds without a word to the kernel (as a process does at
 * exec); the successor restores from the document in the same process,
 * with every fd still open at the number the document names.
 */
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"

#include "../fake-kernel/fk.h"
#include "backend/iommufd/iommufd-private.h"

#define RW (IOASID_MAP_READ | IOASID_MAP_WRITE)
#define PG 4096ull

struct lenv {
	struct fk k;
	struct ioasid_ctx *ctx;
	int fd[2]; /* the devices' cdevs */
	int ifd;   /* the iommufd */
	int mfd;   /* the guest memory */
	uint32_t dev[2], ioas, hwpt, parent;
	uint32_t kioas, khwpt, kdev0, kparent;
	json_t *doc; /* what the predecessor saved */
	char *kern;  /* the kernel's state at the save */
};

static void map_file(struct ioasid_ctx *ctx, uint32_t ioas, int fd, uint64_t offset,
		     uint64_t length, uint64_t iova)
{
	struct ioasid_map_file_opts o = { .sz = sizeof(o),
					  .fd = fd,
					  .offset = offset,
					  .length = length,
					  .flags = RW | IOASID_MAP_FIXED_IOVA };

	ck_assert_ok(ctx, ioasid_ioas_map_file(ctx, ioas, &o, &iova));
}

/*
 * Two devices bound from their fds; an IOAS with file maps at 0x100000
 * (two pages), 0x102000 (one page, adjacent) and 0x400000 (one page);
 * device 0 on the IOAS's automatic domain, device 1 on an HWPT of its own
 * -- with @nested, a VT-d stage-1 HWPT over a nest parent (e->hwpt; the
 * parent e->parent).
 */
static void lenv_open_nested(struct lenv *e, bool nested)
{
	struct ioasid_hwpt_opts po = { .sz = sizeof(po), .flags = IOASID_HWPT_NEST_PARENT };
	struct ioasid_hwpt_vtd_s1 s1 = { .pgtbl_addr = 0x100000, .addr_width = 48 };
	struct ioasid_hwpt_opts no = { .sz = sizeof(no),
				       .type = IOASID_HWPT_NESTED_VTD_S1,
				       .data = &s1,
				       .data_len = sizeof(s1) };
	int i;

	memset(e, 0, sizeof(*e));
	fk_sysfs();
	fk_init(&e->k);
	if (nested)
		e->k.ecap = FK_VTD_ECAP_NESTING;
	iommufd_set_test_defaults(fk_ioctl, &e->k, fk_fault_io, &e->k, fk_sysfs_root());
	e->ctx = fk_ctx(&e->k);
	ck_assert_ok(e->ctx, ioasid_ctx_fd(e->ctx, &e->ifd));
	for (i = 0; i < 2; i++) {
		e->fd[i] = fk_open_dev(&e->k, i);
		ck_assert_ok(e->ctx, ioasid_dev_bind_fd(e->ctx, e->fd[i], &e->dev[i]));
	}
	e->mfd = memfd_create("guest", MFD_CLOEXEC);
	ck_assert_int_ge(e->mfd, 0);
	ck_assert_int_eq(ftruncate(e->mfd, 16 * PG), 0);
	ck_assert_ok(e->ctx, ioasid_ioas_alloc(e->ctx, &e->ioas));
	map_file(e->ctx, e->ioas, e->mfd, 0, 2 * PG, 0x100000);
	map_file(e->ctx, e->ioas, e->mfd, 4 * PG, PG, 0x102000);
	map_file(e->ctx, e->ioas, e->mfd, 8 * PG, PG, 0x400000);
	ck_assert_ok(e->ctx, ioasid_dev_attach(e->ctx, e->dev[0], IOASID_PASID_NONE, e->ioas, NULL));
	if (nested) {
		ck_assert_ok(e->ctx, ioasid_hwpt_alloc(e->ctx, e->dev[1], e->ioas, &po, &e->parent));
		ck_assert_ok(e->ctx, ioasid_hwpt_alloc(e->ctx, e->dev[1], e->parent, &no, &e->hwpt));
		ck_assert_ok(e->ctx, ioasid_obj_kernel_id(e->ctx, e->parent, &e->kparent));
	} else {
		ck_assert_ok(e->ctx, ioasid_hwpt_alloc(e->ctx, e->dev[1], e->ioas, NULL, &e->hwpt));
	}
	ck_assert_ok(e->ctx, ioasid_dev_attach(e->ctx, e->dev[1], IOASID_PASID_NONE, e->hwpt, NULL));
	ck_assert_ok(e->ctx, ioasid_obj_kernel_id(e->ctx, e->ioas, &e->kioas));
	ck_assert_ok(e->ctx, ioasid_obj_kernel_id(e->ctx, e->hwpt, &e->khwpt));
	ck_assert_ok(e->ctx, ioasid_obj_kernel_id(e->ctx, e->dev[0], &e->kdev0));
}

static void lenv_open(struct lenv *e)
{
	lenv_open_nested(e, false);
}

/*
 * The predecessor saves, and lets go as at exec: nothing destroyed, no fd
 * closed. (It is closed after the restore: the memfds the state names are
 * its duplicates, which an exec would have kept open.)
 */
static void lenv_handover(struct lenv *e)
{
	int fd = memfd_create("state", MFD_CLOEXEC);
	json_error_t jerr;

	ck_assert_int_ge(fd, 0);
	ck_assert_ok(e->ctx, ioasid_ctx_save_state(e->ctx, fd));
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	e->doc = json_loadfd(fd, 0, &jerr);
	ck_assert_ptr_nonnull(e->doc);
	close(fd);
	e->kern = fk_state_kernel(&e->k);
	ck_assert_int_eq(iommufd_adopt_begin(e->ctx), 0);
	iommufd_adopt_end(e->ctx, false);
}

/* The object of the document with library id @id. */
static json_t *doc_obj(struct lenv *e, uint32_t id)
{
	json_t *o;
	size_t i;

	json_array_foreach(json_object_get(e->doc, "objects"), i, o)
		if (json_integer_value(json_object_get(o, "id")) == (json_int_t)id)
			return o;
	ck_abort_msg("no object %u in the state", id);
	return NULL;
}

/* Restore from the (edited) document: the answer, *@ret_ctx the context. */
static int restore(struct lenv *e, struct ioasid_ctx **ret_ctx)
{
	int fd = memfd_create("state", MFD_CLOEXEC), r;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(json_dumpfd(e->doc, fd, 0), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	r = ioasid_ctx_restore_state(fd, NULL, ret_ctx);
	close(fd);
	ioasid_ctx_close(e->ctx);
	e->ctx = NULL;
	return r;
}

/* The kernel holds exactly what it held at the save. */
static void kernel_unchanged(struct lenv *e)
{
	char *now = fk_state_kernel(&e->k), *diff = fk_state_diff(e->kern, now);

	ck_assert_msg(!diff, "the restore changed the kernel:\n%s", diff ? diff : "");
	free(now);
}

/* A restore that must fail: @err, a message with @msg, the kernel untouched. */
static void restore_fails(struct lenv *e, int err, const char *msg)
{
	struct ioasid_ctx *back = (void *)1;
	int r = restore(e, &back);

	ck_assert_msg(r == err, "restore: %d (%s), wanted %d: %s", r, ioasid_strerrno(r), err,
		      ioasid_last_errmsg());
	ck_assert_ptr_null(back);
	ck_assert_msg(strstr(ioasid_last_errmsg(), msg), "message '%s' lacks '%s'",
		      ioasid_last_errmsg(), msg);
	kernel_unchanged(e);
}

/* Nobody owns the fds after a failed restore: the test closes them. */
static void lenv_close(struct lenv *e, bool restored)
{
	int i;

	if (restored) /* the successor owned and closed them */
		for (i = 0; i < 2; i++)
			e->k.devs[i].fd = e->k.devs[i].hold = -1;
	else
		close(e->ifd);
	fk_release(&e->k);
	iommufd_set_test_defaults(NULL, NULL, NULL, NULL, NULL);
	json_decref(e->doc);
	free(e->kern);
	close(e->mfd);
	fk_sysfs_rm();
}

/*
 * The round trip: the successor's context adopts every kernel object at
 * its kernel id (the kernel's state does not change, not even the ids:
 * the IOAS that checks the areas is gone again), its records are the
 * kernel's, and it works: an unmap reaches the kernel.
 */
START_TEST(test_restore_iommufd_adopts)
{
	struct lenv e;
	struct ioasid_ctx *back = NULL;
	char *lib, *diff, *now;
	uint32_t k = 0;

	lenv_open_nested(&e, _i);
	lenv_handover(&e);
	ck_assert_int_eq(restore(&e, &back), 0);
	kernel_unchanged(&e);
	lib = fk_state_library(back);
	diff = fk_state_diff(e.kern, lib);
	ck_assert_msg(!diff, "the restored records differ from the kernel:\n%s", diff ? diff : "");
	free(lib);
	ck_assert_ok(back, ioasid_obj_kernel_id(back, e.hwpt, &k));
	ck_assert_uint_eq(k, e.khwpt);
	if (_i) { /* the nested HWPT and its parent, both adopted */
		ck_assert_ptr_nonnull(strstr(e.kern, "nested"));
		ck_assert_ok(back, ioasid_obj_kernel_id(back, e.parent, &k));
		ck_assert_uint_eq(k, e.kparent);
		ck_assert_ret(back, ioasid_hwpt_destroy(back, e.parent), -EBUSY);
	}
	ck_assert_ok(back, ioasid_ioas_unmap(back, e.ioas, 0x400000, PG, NULL));
	now = fk_state_kernel(&e.k);
	ck_assert_ptr_null(strstr(now, "area 0x400000"));
	ck_assert_ptr_nonnull(strstr(e.kern, "area 0x400000"));
	free(now);
	ioasid_ctx_close(back);
	lenv_close(&e, true);
}
END_TEST

/* ctx_fd is not an iommufd: EBADF naming it. */
START_TEST(test_adopt_wrong_ctx_fd)
{
	struct lenv e;
	char msg[64];

	lenv_open(&e);
	lenv_handover(&e);
	json_object_set_new(e.doc, "ctx_fd", json_integer(e.mfd));
	snprintf(msg, sizeof(msg), "ctx_fd %d", e.mfd);
	restore_fails(&e, -EBADF, msg);
	lenv_close(&e, false);
}
END_TEST

/* A device's fd is another device's cdev: EBADF naming the fd and both devices. */
START_TEST(test_adopt_wrong_dev_fd)
{
	struct lenv e;
	char msg[64];

	lenv_open(&e);
	lenv_handover(&e);
	json_object_set_new(doc_obj(&e, e.dev[0]), "fd", json_integer(e.fd[1]));
	snprintf(msg, sizeof(msg), "fd %d is device ", e.fd[1]);
	restore_fails(&e, -EBADF, msg);
	ck_assert_msg(strstr(ioasid_last_errmsg(),
			     json_string_value(json_object_get(doc_obj(&e, e.dev[0]), "name"))),
		      "%s", ioasid_last_errmsg());
	lenv_close(&e, false);
}
END_TEST

/* A kernel id naming an object of another kind: ENOENT naming the id, for each kind. */
START_TEST(test_adopt_wrong_kind)
{
	static const char *const what[] = { "is not an IOAS", "is not a device",
					    "is not a paging HWPT", "is not a nested HWPT" };
	struct lenv e;
	uint32_t id, kid;
	char msg[64];

	lenv_open_nested(&e, _i == 3);
	lenv_handover(&e);
	switch (_i) {
	case 0: /* the IOAS's id is the HWPT's */
		id = e.ioas;
		kid = e.khwpt;
		break;
	case 1: /* the device's is the IOAS's */
		id = e.dev[0];
		kid = e.kioas;
		break;
	case 2: /* the HWPT's is the device's */
		id = e.hwpt;
		kid = e.kdev0;
		break;
	default: /* the nested HWPT's is its parent's */
		id = e.hwpt;
		kid = e.kparent;
		break;
	}
	json_object_set_new(doc_obj(&e, id), "kernel_id", json_integer(kid));
	snprintf(msg, sizeof(msg), "kernel object %u %s", kid, what[_i]);
	restore_fails(&e, -ENOENT, msg);
	lenv_close(&e, false);
}
END_TEST

/*
 * The kernel's IOAS maps other than the state says: an area the state has
 * that the kernel lost, one the kernel grew by a page at either end, one
 * the state moved: EINVAL naming the IOAS, the area and the address.
 */
START_TEST(test_adopt_other_mappings)
{
	struct lenv e;
	json_t *areas, *a;
	char msg[128];

	lenv_open(&e);
	switch (_i) {
	case 0: /* the kernel lost the area at 0x400000 after the save */
		lenv_handover(&e);
		fk_get(&e.k, e.kioas, FK_IOAS)->nr_areas--;
		free(e.kern);
		e.kern = fk_state_kernel(&e.k);
		snprintf(msg, sizeof(msg),
			 "kernel IOAS %u does not map all of areas[2] [0x400000, 0x400fff]",
			 e.kioas);
		break;
	case 1: /* the state says the area at 0x400000 is a page shorter at its end */
		map_file(e.ctx, e.ioas, e.mfd, 9 * PG, PG, 0x401000);
		lenv_handover(&e);
		areas = json_object_get(doc_obj(&e, e.ioas), "areas");
		json_array_remove(areas, 3);
		snprintf(msg, sizeof(msg),
			 "kernel IOAS %u maps 0x401000, the page after areas[2] [0x400000, 0x400fff]",
			 e.kioas);
		break;
	case 2: /* ... a page shorter at its start */
		map_file(e.ctx, e.ioas, e.mfd, 7 * PG, PG, 0x3ff000);
		lenv_handover(&e);
		areas = json_object_get(doc_obj(&e, e.ioas), "areas");
		json_array_remove(areas, 2);
		snprintf(msg, sizeof(msg),
			 "kernel IOAS %u maps 0x3ff000, the page before areas[2] at 0x400000",
			 e.kioas);
		break;
	default: /* the state moved an area where the kernel has none */
		lenv_handover(&e);
		a = json_array_get(json_object_get(doc_obj(&e, e.ioas), "areas"), 2);
		json_object_set_new(a, "iova", json_string("0x800000"));
		snprintf(msg, sizeof(msg),
			 "kernel IOAS %u does not map all of areas[2] [0x800000, 0x800fff]",
			 e.kioas);
		break;
	}
	restore_fails(&e, -EINVAL, msg);
	lenv_close(&e, false);
}
END_TEST

/*
 * A fault queue goes on with its kernel object and its fd, which the
 * successor inherited: the restored queue is the same kernel object read
 * through the same fd; the HWPT reporting to it too. A fault fd that is
 * not open any more: EBADF naming it.
 */
START_TEST(test_adopt_fault_queue)
{
	struct ioasid_set_opts so = { .sz = sizeof(so), .max_ioas = 1 };
	struct ioasid_fault_queue_opts fo = { .sz = sizeof(fo) };
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho), .flags = IOASID_HWPT_FAULT_ID_VALID };
	struct ioasid_ctx *back = NULL;
	struct lenv e;
	uint32_t set, q, h, k = 0;
	int qfd = -1, qfd2 = -1;
	char msg[96], *lib, *diff;

	lenv_open(&e);
	ck_assert_ok(e.ctx, ioasid_set_alloc(e.ctx, &so, &set));
	fo.set = set;
	ck_assert_ok(e.ctx, ioasid_fault_queue_alloc(e.ctx, &fo, &q));
	ck_assert_ok(e.ctx, ioasid_fault_queue_fd(e.ctx, q, &qfd));
	ho.fault_queue = q;
	ck_assert_ok(e.ctx, ioasid_hwpt_alloc(e.ctx, e.dev[1], e.ioas, &ho, &h));
	lenv_handover(&e);
	ck_assert_int_eq(json_integer_value(json_object_get(doc_obj(&e, q), "fd")), qfd);
	if (_i) {
		json_object_set_new(doc_obj(&e, q), "fd", json_integer(99));
		k = (uint32_t)json_integer_value(json_object_get(doc_obj(&e, q), "kernel_id"));
		snprintf(msg, sizeof(msg), "fault fd 99 of kernel fault queue %u is not open", k);
		restore_fails(&e, -EBADF, msg);
		close(qfd); /* nobody owns it after a failed restore */
		lenv_close(&e, false);
		return;
	}
	ck_assert_int_eq(restore(&e, &back), 0);
	kernel_unchanged(&e);
	lib = fk_state_library(back);
	diff = fk_state_diff(e.kern, lib);
	ck_assert_msg(!diff, "the restored records differ from the kernel:\n%s", diff ? diff : "");
	free(lib);
	ck_assert_ok(back, ioasid_fault_queue_fd(back, q, &qfd2));
	ck_assert_int_eq(qfd2, qfd);
	ck_assert_int_eq(fcntl(qfd, F_GETFD), FD_CLOEXEC);
	ck_assert_ok(back, ioasid_obj_kernel_id(back, q, &k));
	ck_assert_ptr_nonnull(fk_get(&e.k, k, FK_FAULT));
	ck_assert_ret(back, ioasid_fault_queue_destroy(back, q), -EBUSY);
	ioasid_ctx_close(back);
	lenv_close(&e, true);
}
END_TEST

Suite *live_update_iommufd_suite(void)
{
	Suite *s = suite_create("live_update_iommufd");
	TCase *tc = tcase_create("adopt");

	tcase_add_loop_test(tc, test_restore_iommufd_adopts, 0, 2);
	tcase_add_test(tc, test_adopt_wrong_ctx_fd);
	tcase_add_test(tc, test_adopt_wrong_dev_fd);
	tcase_add_loop_test(tc, test_adopt_wrong_kind, 0, 4);
	tcase_add_loop_test(tc, test_adopt_other_mappings, 0, 4);
	tcase_add_loop_test(tc, test_adopt_fault_queue, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
