/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live update (issue 12, docs/live-update.md): ioasid_ctx_change_process()
 * on every backend.
 */
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#include "suites.h"

#include "fake-kernel.h"
#include "../fake-kernel/fk-vfio.h"

/* Nothing mapped, or only file maps: the sim has nothing to move and says so. */
START_TEST(test_change_process_sim_empty)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint32_t ioas;

	ck_assert_ok(ctx, ioasid_ctx_change_process(ctx));
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	ck_assert_ok(ctx, ioasid_ctx_change_process(ctx));
	ck_assert_int_eq(ioasid_ctx_change_process(NULL), -EINVAL);
	ioasid_ctx_close(ctx);
}
END_TEST

/* Process memory cannot move: EINVAL, as the kernel, naming the IOAS and the area. */
START_TEST(test_change_process_refuses_anon)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint8_t *buf = test_mem(2 * 4096);
	uint64_t iova = 0x200000;
	uint32_t a, b;

	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &b));
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, b, buf, 4096,
					  IOASID_MAP_READ | IOASID_MAP_FIXED_IOVA, &iova));
	ck_assert_ret(ctx, ioasid_ctx_change_process(ctx), -EINVAL);
	ck_assert_errmsg_has(ctx, "change process: IOAS 2 maps [0x200000, 0x200fff]");
	ck_assert_errmsg_has(ctx, "only file maps");
	/* the area is gone: nothing else stands in the way */
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, b, iova, 4096, NULL));
	ck_assert_ok(ctx, ioasid_ctx_change_process(ctx));
	ioasid_ctx_close(ctx);
	munmap(buf, 2 * 4096);
}
END_TEST

/*
 * iommufd: the request goes to the kernel (reserved field 0) when the
 * library sees no process memory, never otherwise; the kernel's refusal
 * comes back with its errno.
 */
START_TEST(test_change_process_iommufd)
{
	struct fake k;
	struct ioasid_ctx *ctx;
	uint8_t *buf = test_mem(4096);
	uint64_t iova = 0x100000;
	uint32_t a;

	fake_sysfs();
	ctx = fake_ctx(&k);
	ck_assert_ok(ctx, ioasid_ctx_change_process(ctx));
	ck_assert_uint_eq(k.changes, 1);
	k.fail_req = KU_IOMMU_IOAS_CHANGE_PROCESS;
	k.fail_err = -ENOMEM;
	ck_assert_ret(ctx, ioasid_ctx_change_process(ctx), -ENOMEM);
	ck_assert_errmsg_has(ctx, "IOMMU_IOAS_CHANGE_PROCESS");
	ck_assert_errmsg_has(ctx, "limit");
	k.fail_err = -ENOTTY;
	ck_assert_ret(ctx, ioasid_ctx_change_process(ctx), -ENOTTY);
	ck_assert_errmsg_has(ctx, "before 6.13");
	k.fail_err = 0;
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, a, buf, 4096,
					  IOASID_MAP_READ | IOASID_MAP_FIXED_IOVA, &iova));
	ck_assert_ret(ctx, ioasid_ctx_change_process(ctx), -EINVAL);
	ck_assert_errmsg_has(ctx, "IOAS 1 maps [0x100000, 0x100fff]");
	ck_assert_uint_eq(k.changes, 1); /* the kernel was not asked */
	ioasid_ctx_close(ctx);
	fake_sysfs_rm();
	munmap(buf, 4096);
}
END_TEST

/* VFIO type 1 has no way to move its pins: EOPNOTSUPP naming the feature. */
START_TEST(test_change_process_vfio)
{
	struct fkv kv;
	struct ioasid_ctx *ctx;

	fk_sysfs();
	fkv_init(&kv);
	ctx = fkv_ctx(&kv);
	ck_assert_ret(ctx, ioasid_ctx_change_process(ctx), -EOPNOTSUPP);
	ck_assert_errmsg_has(ctx, "change process: the vfio backend cannot move its pins");
	ck_assert_errmsg_has(ctx, "IOMMU_IOAS_CHANGE_PROCESS");
	ioasid_ctx_close(ctx);
	fkv_fini(&kv);
	fk_sysfs_rm();
}
END_TEST

/* A memfd holding @text, read from its start. */
static int doc_fd(const char *text)
{
	int fd = memfd_create("state", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* Save @ctx into a fresh memfd, positioned at its start. */
static int save_to_fd(struct ioasid_ctx *ctx)
{
	int fd = memfd_create("state", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_ok(ctx, ioasid_ctx_save_state(ctx, fd));
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/*
 * Where the process sees a file map (the sim maps the file again), the
 * library's fd of the file and the sim's IOTLB (cold after a restore) are
 * the successor's own: blank every value of @key in @json.
 */
static void blank_value(char *json, const char *key)
{
	char *p = json;

	while ((p = strstr(p, key))) {
		p += strlen(key);
		while (*p && *p != ',' && *p != '\n' && *p != '}')
			*p++ = '_';
	}
}

/*
 * The JSON of every object of @ctx with an id up to 64, one after the
 * other (the caller frees it): what a restore must give back.
 */
static char *dump(struct ioasid_ctx *ctx)
{
	size_t len = 1, n;
	char *all = calloc(1, 1), *one;
	uint32_t id;

	for (id = 1; id <= 64; id++) {
		if (ioasid_obj_kind(ctx, id) == IOASID_OBJ_NONE)
			continue;
		ck_assert_ok(ctx, ioasid_json_object(ctx, id, 0, &one));
		blank_value(one, "\"uva\": ");
		blank_value(one, "\"fd\": ");
		blank_value(one, "\"iotlb_entries\": ");
		n = strlen(one);
		all = realloc(all, len + n);
		memcpy(all + len - 1, one, n + 1);
		len += n;
		ioasid_json_free(one);
	}
	return all;
}

/* Two long texts are equal; else where they part. */
static void same_text(const char *a, const char *b)
{
	size_t i = 0;

	while (a[i] && a[i] == b[i])
		i++;
	ck_assert_msg(a[i] == b[i], "the texts part at byte %zu: '%.120s' vs '%.120s'", i,
		      a + (i > 40 ? i - 40 : 0), b + (i > 40 ? i - 40 : 0));
}

/*
 * Round trip on the sim: sets with PASIDs, IOASes with options, allowed
 * and reserved ranges, a gap in the ids, a device on an HWPT of its own
 * and on an automatic domain: the restored context dumps exactly as the
 * saved one, ids included.
 */
START_TEST(test_save_restore_sim)
{
	struct ioasid_set_opts so = { .sz = sizeof(so),
				      .owner = 0x1234,
				      .max_pasids = 4,
				      .max_ioas = 2 };
	struct ioasid_iova_range allowed[] = { { 0x100000, 0x1fffffff } };
	struct ioasid_ctx *ctx = test_sim_ctx(), *back = NULL;
	uint32_t set, gap, a, b, dev, dev2 = 0, hwpt, p;
	char *before, *after;
	int fd;

	ck_assert_ok(ctx, ioasid_set_alloc(ctx, &so, &set));
	ck_assert_ok(ctx, ioasid_pasid_alloc(ctx, set, 5, 100, &p));
	ck_assert_ok(ctx, ioasid_pasid_alloc(ctx, set, 9, 9, &p));
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &gap));
	ck_assert_ok(ctx, ioasid_set_ioas_alloc(ctx, set, &a));
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &b));
	ck_assert_ok(ctx, ioasid_ioas_set_option(ctx, b, IOASID_IOAS_OPT_HUGE_PAGES, 0));
	ck_assert_ok(ctx, ioasid_ioas_allow_iovas(ctx, b, allowed, 1));
	ck_assert_ok(ctx, ioasid_ioas_reserve(ctx, b, 0x30000000, 0x3fffffff));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim1", &dev2));
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, a, NULL, &hwpt));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, hwpt, NULL));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev2, IOASID_PASID_NONE, b, NULL));
	ck_assert_ok(ctx, ioasid_ioas_destroy(ctx, gap));
	fd = save_to_fd(ctx);
	ck_assert_int_eq(ioasid_ctx_restore_state(fd, NULL, &back), 0);
	before = dump(ctx);
	after = dump(back);
	same_text(after, before);
	/* the restored context works as the old one: the freed id comes first */
	ck_assert_ok(back, ioasid_ioas_alloc(back, &p));
	ck_assert_uint_eq(p, gap);
	free(before);
	free(after);
	ioasid_ctx_close(back);
	ioasid_ctx_close(ctx);
	close(fd);
}
END_TEST

/* A memfd of @len bytes, mapped shared at *@ret_mem. */
static int guest_memfd(size_t len, char **ret_mem)
{
	int fd = memfd_create("guest", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)len), 0);
	*ret_mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(*ret_mem, MAP_FAILED);
	return fd;
}

static void map_file(struct ioasid_ctx *ctx, uint32_t ioas, int fd, uint64_t offset,
		     uint64_t length, uint32_t perm, uint64_t iova)
{
	struct ioasid_map_file_opts o = { .sz = sizeof(o),
					  .fd = fd,
					  .offset = offset,
					  .length = length,
					  .flags = perm | IOASID_MAP_FIXED_IOVA };

	ck_assert_ok(ctx, ioasid_ioas_map_file(ctx, ioas, &o, &iova));
}

/*
 * File maps are handed over as file + offset: the successor's sim maps the
 * same pages again (the device reads what the old one wrote), at the same
 * IOVAs with the same permissions, and the pins can change process.
 */
START_TEST(test_save_restore_file_maps)
{
	struct ioasid_ctx *ctx = test_sim_ctx(), *back = NULL;
	struct ioasid_map_backing b;
	uint32_t a, dev;
	char *mem, *before, *after, buf[16] = "";
	size_t done = 0;
	int mfd = guest_memfd(8 * 4096, &mem), fd;

	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, a, NULL));
	map_file(ctx, a, mfd, 0, 2 * 4096, IOASID_MAP_READ | IOASID_MAP_WRITE, 0x100000);
	map_file(ctx, a, mfd, 4 * 4096, 4096, IOASID_MAP_READ, 0x400000);
	close(mfd); /* the context keeps its own */
	ck_assert_ok(ctx, ioasid_ctx_change_process(ctx));
	ck_assert_ok(ctx,
		     ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, 0x100010, "old", 4, &done));
	strcpy(mem + 4 * 4096, "ro page");
	fd = save_to_fd(ctx);
	ck_assert_int_eq(ioasid_ctx_restore_state(fd, NULL, &back), 0);
	before = dump(ctx);
	after = dump(back);
	same_text(after, before);
	ck_assert_ok(back, ioasid_ctx_change_process(back));
	/* the same memory: what the device wrote, and what the process wrote */
	ck_assert_ok(back,
		     ioasid_sim_dma_read(back, dev, IOASID_PASID_NONE, 0x100010, buf, 4, &done));
	ck_assert_str_eq(buf, "old");
	ck_assert_ok(back,
		     ioasid_sim_dma_read(back, dev, IOASID_PASID_NONE, 0x400000, buf, 8, &done));
	ck_assert_str_eq(buf, "ro page");
	ck_assert_ok(back, ioasid_ioas_backing(back, a, 0x400000, &b));
	ck_assert_uint_eq(b.kind, IOASID_BACKING_FILE);
	ck_assert_uint_eq(b.offset, 4 * 4096);
	/* read-only stays read-only */
	ck_assert_int_lt(ioasid_sim_dma_write(back, dev, IOASID_PASID_NONE, 0x400000, "x", 1, &done),
			 0);
	free(before);
	free(after);
	ioasid_ctx_close(back);
	ioasid_ctx_close(ctx);
	munmap(mem, 8 * 4096);
	close(fd);
}
END_TEST

/*
 * A nested HWPT goes with its stage-1 data and its parent, even when the
 * parent has the higher id (the nested one took a freed id): the restore
 * makes the parent first, and the restored context translates through
 * both stages as the old one did.
 */
START_TEST(test_save_restore_nested)
{
	struct ioasid_hwpt_opts po = { .sz = sizeof(po), .flags = IOASID_HWPT_NEST_PARENT };
	struct ioasid_hwpt_vtd_s1 s1 = { .flags = IOASID_VTD_S1_WPE,
					 .pgtbl_addr = 0x100000,
					 .addr_width = 48 };
	struct ioasid_hwpt_opts no = { .sz = sizeof(no),
				       .type = IOASID_HWPT_NESTED_VTD_S1,
				       .data = &s1,
				       .data_len = sizeof(s1) };
	struct ioasid_ctx *ctx = test_sim_ctx(), *back = NULL;
	uint32_t a, gap, dev, parent, nested;
	uint64_t *t;
	char *mem, *before, *after, buf[8] = "";
	size_t done = 0;
	int mfd = guest_memfd(16 * 4096, &mem), fd;

	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev));
	map_file(ctx, a, mfd, 0, 16 * 4096, IOASID_MAP_READ | IOASID_MAP_WRITE, 0x100000);
	/* a 4-level stage-1 table at GPA 0x100000 (present, writable, user): IOVA 0x0 -> GPA 0x105000 */
	t = (uint64_t *)mem;
	t[0] = 0x101000 | 7;
	t[512] = 0x102000 | 7;
	t[1024] = 0x103000 | 7;
	t[1536] = 0x105000 | 7;
	strcpy(mem + 5 * 4096, "stage2");
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &gap));
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, a, &po, &parent));
	ck_assert_ok(ctx, ioasid_ioas_destroy(ctx, gap));
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, parent, &no, &nested));
	ck_assert_uint_lt(nested, parent);
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, nested, NULL));
	ck_assert_ok(ctx, ioasid_sim_dma_read(ctx, dev, IOASID_PASID_NONE, 0x0, buf, 7, &done));
	ck_assert_str_eq(buf, "stage2");
	fd = save_to_fd(ctx);
	ck_assert_int_eq(ioasid_ctx_restore_state(fd, NULL, &back), 0);
	before = dump(ctx);
	after = dump(back);
	same_text(after, before);
	ck_assert_int_eq(ioasid_obj_kind(back, nested), IOASID_OBJ_HWPT);
	memset(buf, 0, sizeof(buf));
	ck_assert_ok(back, ioasid_sim_dma_read(back, dev, IOASID_PASID_NONE, 0x0, buf, 7, &done));
	ck_assert_str_eq(buf, "stage2");
	/* the parent is held by its child in the restored context too */
	ck_assert_ret(back, ioasid_hwpt_destroy(back, parent), -EBUSY);
	free(before);
	free(after);
	ioasid_ctx_close(back);
	ioasid_ctx_close(ctx);
	munmap(mem, 16 * 4096);
	close(mfd);
	close(fd);
}
END_TEST

/*
 * Fault queues go with the HWPTs that report to them, an automatic
 * domain's included, with their depth, timeout and timeout answer; a
 * queue holding a group is refused (EBUSY, naming the queue and the
 * count) until the group is answered, and then saves.
 */
START_TEST(test_save_restore_fault_queue)
{
	struct ioasid_set_opts so = { .sz = sizeof(so), .max_ioas = 4 };
	struct ioasid_fault_queue_opts fo = { .sz = sizeof(fo),
					      .depth = 64,
					      .timeout_ns = 5000000000ull,
					      .flags = IOASID_FAULT_QUEUE_TIMEOUT_CODE,
					      .timeout_code = IOASID_FAULT_FAILURE };
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho), .flags = IOASID_HWPT_FAULT_ID_VALID };
	struct ioasid_attach_opts ao = { .sz = sizeof(ao) };
	struct ioasid_ctx *ctx = test_sim_ctx(), *back = NULL;
	struct ioasid_fault f[4];
	uint32_t set, q, q2, a, dev, dev2, h, n = 4;
	uint64_t handle;
	size_t done;
	char *mem, *before, *after, buf[8] = "1234567", msg[96];
	int mfd = guest_memfd(4 * 4096, &mem), fd = memfd_create("state", MFD_CLOEXEC);

	ck_assert_ok(ctx, ioasid_set_alloc(ctx, &so, &set));
	fo.set = set;
	ck_assert_ok(ctx, ioasid_fault_queue_alloc(ctx, &fo, &q));
	fo.depth = 0;
	fo.flags = 0;
	ck_assert_ok(ctx, ioasid_fault_queue_alloc(ctx, &fo, &q2));
	ck_assert_ok(ctx, ioasid_set_ioas_alloc(ctx, set, &a));
	map_file(ctx, a, mfd, 0, 4096, IOASID_MAP_READ | IOASID_MAP_WRITE, 0x100000);
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim1", &dev2));
	ho.fault_queue = q;
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, a, &ho, &h));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, h, NULL));
	ao.fault_queue = q2;
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev2, IOASID_PASID_NONE, a, &ao));
	ck_assert_ok(ctx, ioasid_ctx_save_state(ctx, fd));
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(ioasid_ctx_restore_state(fd, NULL, &back), 0);
	before = dump(ctx);
	after = dump(back);
	same_text(after, before);
	/* the restored queue works: a fault of the restored HWPT lands in it */
	ck_assert_int_eq(ioasid_sim_dma_submit(back, dev, IOASID_PASID_NONE, 0x200000, buf, 8, true,
					       &handle, &done),
			 -EAGAIN);
	ck_assert_ok(back, ioasid_fault_read(back, q, f, &n));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(f[0].addr, 0x200000);
	ioasid_ctx_close(back);
	/* a group the old queue holds: refused until it is answered */
	ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev, IOASID_PASID_NONE, 0x200000, buf, 8, true,
					       &handle, &done),
			 -EAGAIN);
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	ck_assert_ret(ctx, ioasid_ctx_save_state(ctx, fd), -EBUSY);
	snprintf(msg, sizeof(msg),
		 "fault queue %u holds 1 page-request group(s) not answered (1 record(s) not read)",
		 q);
	ck_assert_errmsg_has(ctx, msg);
	n = 4;
	ck_assert_ok(ctx, ioasid_fault_read(ctx, q, f, &n));
	ck_assert_ret(ctx, ioasid_ctx_save_state(ctx, fd), -EBUSY);
	snprintf(msg, sizeof(msg),
		 "fault queue %u holds 1 page-request group(s) not answered (0 record(s) not read)",
		 q);
	ck_assert_errmsg_has(ctx, msg);
	ck_assert_ok(ctx, ioasid_fault_respond(ctx, q, f[0].cookie, IOASID_FAULT_INVALID));
	ck_assert_ok(ctx, ioasid_ctx_save_state(ctx, fd));
	free(before);
	free(after);
	ioasid_ctx_close(ctx);
	munmap(mem, 4 * 4096);
	close(mfd);
	close(fd);
}
END_TEST

/* A file map moves (the kernel is asked); a process-memory one beside it does not. */
START_TEST(test_change_process_file_map_iommufd)
{
	struct fake k;
	struct ioasid_ctx *ctx;
	uint8_t *buf = test_mem(4096);
	uint64_t iova = 0x200000;
	uint32_t a;
	char *mem;
	int mfd = guest_memfd(4096, &mem);

	fake_sysfs();
	ctx = fake_ctx(&k);
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	map_file(ctx, a, mfd, 0, 4096, IOASID_MAP_READ, 0x100000);
	ck_assert_ok(ctx, ioasid_ctx_change_process(ctx));
	ck_assert_uint_eq(k.changes, 1);
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, a, buf, 4096,
					  IOASID_MAP_READ | IOASID_MAP_FIXED_IOVA, &iova));
	ck_assert_ret(ctx, ioasid_ctx_change_process(ctx), -EINVAL);
	ck_assert_errmsg_has(ctx, "IOAS 1 maps [0x200000, 0x200fff] from process memory");
	ck_assert_uint_eq(k.changes, 1);
	ioasid_ctx_close(ctx);
	fake_sysfs_rm();
	munmap(buf, 4096);
	munmap(mem, 4096);
	close(mfd);
}
END_TEST

/* What cannot be handed over is refused before anything is written. */
START_TEST(test_save_refusals)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint8_t *buf = test_mem(4096);
	uint64_t iova = 0x300000;
	struct ioasid_set_opts so = { .sz = sizeof(so), .max_ioas = 1 };
	struct ioasid_fault_queue_opts fo = { .sz = sizeof(fo) };
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho) };
	uint32_t a, q, set, dev, h;
	uint64_t handle;
	size_t done;
	char msg[96];
	struct stat st;
	int fd = memfd_create("state", MFD_CLOEXEC);

	ck_assert_int_eq(ioasid_ctx_save_state(NULL, fd), -EINVAL);
	ck_assert_ret(ctx, ioasid_ctx_save_state(ctx, -1), -EBADF);
	ck_assert_errmsg_has(ctx, "fd -1");
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, a, buf, 4096,
					  IOASID_MAP_READ | IOASID_MAP_FIXED_IOVA, &iova));
	ck_assert_ret(ctx, ioasid_ctx_save_state(ctx, fd), -EINVAL);
	ck_assert_errmsg_has(ctx,
			     "save state: IOAS 1 maps [0x300000, 0x300fff] from process memory");
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, a, iova, 4096, NULL));
	/* a group the queue holds cannot outlive the process (test_save_restore_fault_queue) */
	ck_assert_ok(ctx, ioasid_set_alloc(ctx, &so, &set));
	fo.set = set;
	ck_assert_ok(ctx, ioasid_fault_queue_alloc(ctx, &fo, &q));
	ho.flags = IOASID_HWPT_FAULT_ID_VALID;
	ho.fault_queue = q;
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev));
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, a, &ho, &h));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, h, NULL));
	ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev, IOASID_PASID_NONE, 0x300000, buf, 8, true,
					       &handle, &done),
			 -EAGAIN);
	ck_assert_ret(ctx, ioasid_ctx_save_state(ctx, fd), -EBUSY);
	snprintf(msg, sizeof(msg), "save state: fault queue %u holds 1 page-request group(s)", q);
	ck_assert_errmsg_has(ctx, msg);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_size, 0); /* nothing written */
	ioasid_ctx_close(ctx);
	munmap(buf, 4096);
	close(fd);
}
END_TEST

/* vfio cannot hand its pins over: nothing to save. */
START_TEST(test_save_vfio)
{
	struct fkv kv;
	struct ioasid_ctx *ctx;

	fk_sysfs();
	fkv_init(&kv);
	ctx = fkv_ctx(&kv);
	ck_assert_ret(ctx, ioasid_ctx_save_state(ctx, 1), -EOPNOTSUPP);
	ck_assert_errmsg_has(ctx, "save state: the vfio backend");
	ioasid_ctx_close(ctx);
	fkv_fini(&kv);
	fk_sysfs_rm();
}
END_TEST

/* One malformed document: its errno and the words of its message. */
struct bad_doc {
	const char *doc;
	int err;
	const char *msg;
};

#define HDR \
	"\"format\":\"libioasid-state\",\"version\":1,\"backend\":\"sim\",\"spec\":\"sim\",\"rlimit_mode\":0,\"pinned_limit\":\"0x0\",\"cap_ipc_lock_exempt\":true"

static const struct bad_doc bad_docs[] = {
	{ "", -EINVAL, "not a JSON document" },
	{ "{\"format\":\"libioasid-state\",", -EINVAL, "not a JSON document" },
	{ "[]", -EINVAL, "not a JSON object" },
	{ "{\"format\":\"x\"}", -EINVAL, "format x is not" },
	{ "{\"format\":\"libioasid-state\",\"version\":2}", -EOPNOTSUPP, "version 2" },
	{ "{\"format\":\"libioasid-state\",\"version\":\"1\"}", -EINVAL,
	  "\"version\" is missing or not an integer" },
	{ "{\"format\":\"libioasid-state\",\"version\":1,\"backend\":\"vfio\"}", -EOPNOTSUPP,
	  "backend vfio" },
	{ "{\"format\":\"libioasid-state\",\"version\":1,\"backend\":\"sim\"}", -EINVAL,
	  "\"spec\"" },
	{ "{" HDR "}", -EINVAL, "\"objects\" is missing" },
	{ "{" HDR ",\"spec\":\"iommufd\",\"objects\":[]}", -EINVAL, "duplicate" },
	{ "{" HDR ",\"objects\":[1]}", -EINVAL, "objects[0] is not an object" },
	{ "{" HDR ",\"objects\":[{\"id\":0,\"kind\":\"ioas\"}]}", -ERANGE, "id 0 is outside" },
	{ "{" HDR ",\"objects\":[{\"id\":99999999,\"kind\":\"ioas\"}]}", -ERANGE, "id 99999999" },
	{ "{" HDR ",\"objects\":[{\"id\":-1,\"kind\":\"ioas\"}]}", -ERANGE,
	  "\"id\" -1 is out of range" },
	{ "{" HDR ",\"objects\":[{\"id\":1,\"kind\":\"pony\"}]}", -EINVAL, "kind pony" },
	{ "{" HDR ",\"objects\":[{\"id\":1,\"kind\":\"set\"},{\"id\":1,\"kind\":\"ioas\"}]}",
	  -EINVAL, "id 1 appears twice" },
	{ "{" HDR ",\"objects\":[{\"id\":1,\"kind\":\"hwpt\"}]}", -EINVAL,
	  "object 1 (hwpt): \"auto\"" },
	{ "{" HDR ",\"objects\":[{\"id\":1,\"kind\":\"hwpt\",\"auto\":true}]}", -EINVAL,
	  "an automatic domain no device" },
	{ "{" HDR ",\"objects\":[{\"id\":1,\"kind\":\"dev\",\"attached\":[{\"hwpt\":7}]}]}",
	  -EINVAL, "\"hwpt\" 7 is not hwpt" },
	{ "{" HDR ",\"objects\":[{\"id\":1,\"kind\":\"ioas\"}]}", -EINVAL,
	  "object 1 (ioas): \"set\"" },
	{ "{" HDR ",\"objects\":[{\"id\":1,\"kind\":\"ioas\",\"set\":0,\"huge_pages\":1}]}",
	  -EINVAL, "\"huge_pages\" is missing or not true/false" },
	{ "{" HDR ",\"objects\":[{\"id\":1,\"kind\":\"ioas\",\"set\":3,\"huge_pages\":true}]}",
	  -EINVAL, "\"set\" 3 is not set" },
	{ "{" HDR
	  ",\"objects\":[{\"id\":2,\"kind\":\"ioas\",\"set\":0,\"huge_pages\":true,\"allowed\":[{\"start\":\"0x10\",\"last\":\"12\"}],\"reserved\":[],\"areas\":[]}]}",
	  -EINVAL, "\"last\" is missing or not a \"0x...\" string" },
	{ "{" HDR
	  ",\"objects\":[{\"id\":2,\"kind\":\"ioas\",\"set\":0,\"huge_pages\":true,\"allowed\":[],\"reserved\":[{\"start\":\"0x10\",\"last\":\"0xzz\"}],\"areas\":[]}]}",
	  -EINVAL, "\"0xzz\" is not a hexadecimal number" },
	{ "{" HDR
	  ",\"objects\":[{\"id\":2,\"kind\":\"ioas\",\"set\":0,\"huge_pages\":true,\"allowed\":[],\"reserved\":[{\"start\":\"0x1000\",\"last\":\"0x10\"}],\"areas\":[]}]}",
	  -EINVAL, "object 2 (ioas): reserve: " },
	{ "{" HDR
	  ",\"objects\":[{\"id\":2,\"kind\":\"ioas\",\"set\":0,\"huge_pages\":true,\"allowed\":[],\"reserved\":[],\"areas\":[{\"iova\":\"0x1000\",\"length\":\"0x1000\",\"perm\":1,\"fd\":3,\"offset\":\"0x0\"}]}]}",
	  -EINVAL, "perm 1 is not" },
	{ "{" HDR ",\"objects\":[{\"id\":1,\"kind\":\"dev\",\"name\":\"nosuch\",\"attached\":[]}]}",
	  -ENOENT, "object 1 (dev): dev_bind: " },
	{ "{" HDR
	  ",\"objects\":[{\"id\":1,\"kind\":\"set\",\"owner\":\"0x1\",\"max_pasids\":1,\"max_ioas\":1,\"pasids\":[0]}]}",
	  -EINVAL, "pasids[0] is not a PASID" },
	{ "{" HDR
	  ",\"objects\":[{\"id\":1,\"kind\":\"set\",\"owner\":\"0x1\",\"max_pasids\":1,\"max_ioas\":1,\"pasids\":[3,4]}]}",
	  -EDQUOT, "object 1 (set): pasid_alloc" },
	{ "{" HDR ",\"objects\":[{\"id\":1,\"kind\":\"hwpt\",\"auto\":false,\"type\":1}]}", -EINVAL,
	  "object 1 (hwpt): \"parent\" is missing" },
	{ "{" HDR
	  ",\"objects\":[{\"id\":1,\"kind\":\"hwpt\",\"auto\":false,\"type\":1,\"parent\":1}]}",
	  -EINVAL, "object 1 (hwpt): \"parent\" is a nested HWPT" },
	{ "{" HDR
	  ",\"objects\":[{\"id\":1,\"kind\":\"hwpt\",\"auto\":false,\"type\":1,\"parent\":2},{\"id\":2,\"kind\":\"hwpt\",\"auto\":true}]}",
	  -EINVAL, "\"parent\" 2 is an automatic domain" },
	{ "{" HDR ",\"objects\":[{\"id\":1,\"kind\":\"hwpt\",\"auto\":false,\"type\":\"1\"}]}",
	  -EINVAL, "object 1 (hwpt): \"type\" is missing or not an integer" },
	{ "{" HDR ",\"objects\":[{\"id\":1,\"kind\":\"queue\",\"set\":0}]}", -EINVAL,
	  "object 1 (queue): \"depth\"" },
	{ "{" HDR
	  ",\"objects\":[{\"id\":1,\"kind\":\"queue\",\"set\":1,\"depth\":8,\"timeout_ns\":\"0x1\",\"timeout_code\":1}]}",
	  -EINVAL, "object 1 (queue): \"set\" 1 is not set" },
	{ "{" HDR
	  ",\"objects\":[{\"id\":1,\"kind\":\"set\",\"owner\":\"0x1\",\"max_pasids\":1,\"max_ioas\":1,\"pasids\":[]},{\"id\":2,\"kind\":\"queue\",\"set\":1,\"depth\":8,\"timeout_ns\":\"0x1\",\"timeout_code\":7}]}",
	  -EINVAL, "object 2 (queue): fault_queue_alloc: " },
	{ "{\"format\":\"libioasid-state\",\"version\":1,\"backend\":\"sim\",\"spec\":\"iommufd\",\"rlimit_mode\":0,\"pinned_limit\":\"0x0\",\"cap_ipc_lock_exempt\":false,\"objects\":[]}",
	  -EINVAL, "spec \"iommufd\" is not a sim spec" },
	{ "{\"format\":\"libioasid-state\",\"version\":1,\"backend\":\"sim\",\"spec\":\"sim\",\"rlimit_mode\":7,\"pinned_limit\":\"0x0\",\"cap_ipc_lock_exempt\":false,\"objects\":[]}",
	  -ERANGE, "rlimit_mode 7 is not 0 or 1" },
	{ "{\"format\":\"libioasid-state\",\"version\":1,\"backend\":\"iommufd\",\"spec\":\"iommufd\",\"rlimit_mode\":0,\"pinned_limit\":\"0x0\",\"cap_ipc_lock_exempt\":false,\"ctx_fd\":-3,\"objects\":[]}",
	  -EBADF, "\"ctx_fd\" -3 is not an fd" },
};

/* Every malformed document: a negative errno and a message naming the bad value. */
START_TEST(test_restore_malformed)
{
	const struct bad_doc *b = &bad_docs[_i];
	struct ioasid_ctx *ctx = (void *)1;
	int fd = doc_fd(b->doc);
	int r = ioasid_ctx_restore_state(fd, NULL, &ctx);

	ck_assert_msg(r == b->err, "%s: %d (%s), wanted %d: %s", b->doc, r, ioasid_strerrno(r),
		      b->err, ioasid_last_errmsg());
	ck_assert_ptr_null(ctx);
	ck_assert_msg(strstr(ioasid_last_errmsg(), b->msg), "%s: message '%s' lacks '%s'", b->doc,
		      ioasid_last_errmsg(), b->msg);
	ck_assert_msg(!strncmp(ioasid_last_errmsg(), "restore state: ", 15), "%s",
		      ioasid_last_errmsg());
	close(fd);
}
END_TEST

START_TEST(test_restore_args)
{
	struct ioasid_ctx *ctx = NULL;

	ck_assert_int_eq(ioasid_ctx_restore_state(-1, NULL, &ctx), -EBADF);
	ck_assert_ptr_null(ctx);
	ck_assert_int_eq(ioasid_ctx_restore_state(0, NULL, NULL), -EINVAL);
}
END_TEST

/*
 * Every prefix of a good document is refused cleanly (never a crash, never
 * a context), and so is every single-byte change that makes it another
 * document this library does not take -- or a context that closes cleanly.
 */
START_TEST(test_restore_truncated)
{
	struct ioasid_ctx *ctx = test_sim_ctx(), *back;
	uint32_t a, dev;
	char *text;
	size_t len, i;
	int fd;

	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, a, NULL));
	fd = save_to_fd(ctx);
	len = (size_t)lseek(fd, 0, SEEK_END);
	text = calloc(1, len + 1);
	ck_assert_int_eq(pread(fd, text, len, 0), (ssize_t)len);
	close(fd);
	for (i = 0; i < len; i++) {
		char c = text[i];

		text[i] = 0;
		fd = doc_fd(text);
		back = (void *)1;
		ck_assert_int_lt(ioasid_ctx_restore_state(fd, NULL, &back), 0);
		ck_assert_ptr_null(back);
		close(fd);
		text[i] = c;
	}
	fd = doc_fd(text);
	ck_assert_int_eq(ioasid_ctx_restore_state(fd, NULL, &back), 0);
	ioasid_ctx_close(back);
	close(fd);
	free(text);
	ioasid_ctx_close(ctx);
}
END_TEST

Suite *live_update_suite(void)
{
	Suite *s = suite_create("live_update");
	TCase *tc = tcase_create("change_process");

	tcase_add_test(tc, test_change_process_sim_empty);
	tcase_add_test(tc, test_change_process_refuses_anon);
	tcase_add_test(tc, test_change_process_iommufd);
	tcase_add_test(tc, test_change_process_vfio);
	tcase_add_test(tc, test_change_process_file_map_iommufd);
	suite_add_tcase(s, tc);
	tc = tcase_create("state");
	tcase_add_test(tc, test_save_restore_sim);
	tcase_add_test(tc, test_save_restore_file_maps);
	tcase_add_test(tc, test_save_restore_nested);
	tcase_add_test(tc, test_save_restore_fault_queue);
	tcase_add_test(tc, test_save_refusals);
	tcase_add_test(tc, test_save_vfio);
	tcase_add_loop_test(tc, test_restore_malformed, 0, (int)ARRAY_SIZE(bad_docs));
	tcase_add_test(tc, test_restore_args);
	tcase_add_test(tc, test_restore_truncated);
	suite_add_tcase(s, tc);
	return s;
}
