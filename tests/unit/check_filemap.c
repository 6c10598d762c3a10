/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * File maps on the sim (ioasid_ioas_map_file(), kernel-uapi.md §4.9): the
 * kernel's argument rules and errnos, the pin-time refusals of files the
 * kernel cannot pin, the same accounting as process memory, DMA through
 * the file's pages, the backing reported and dumped, copies of a file
 * area, and the fd the library keeps.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fake-kernel.h"
#include "helpers.h"
#include "suites.h"
#include "../fake-kernel/fk-vfio.h"
#include "backend/vfio/vfio-private.h"

#define PG 4096ull
#define RW (IOASID_MAP_READ | IOASID_MAP_WRITE)
#define FIXED IOASID_MAP_FIXED_IOVA

/* A memfd of @size bytes. */
static int test_memfd(uint64_t size)
{
	int fd = memfd_create("filemap-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	return fd;
}

static int map_file(struct ioasid_ctx *ctx, uint32_t ioas, int fd, uint64_t offset, uint64_t length,
		    uint32_t flags, uint64_t *inout_iova)
{
	struct ioasid_map_file_opts o = IOASID_OPTS_INIT(ioasid_map_file_opts);

	o.fd = fd;
	o.offset = offset;
	o.length = length;
	o.flags = flags;
	return ioasid_ioas_map_file(ctx, ioas, &o, inout_iova);
}

static uint64_t pinned_of(struct ioasid_ctx *ctx)
{
	struct ioasid_pinned_info pi;

	ck_assert_ok(ctx, ioasid_ctx_pinned(ctx, &pi));
	return pi.pinned_pages;
}

START_TEST(test_dma_reaches_the_file)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint32_t ioas, dev = 0;
	struct ioasid_map_backing b;
	struct ioasid_mapping m;
	uint64_t iova = 0x100000;
	char buf[16] = "from the device", got[16] = { 0 };
	int fd = test_memfd(4 * PG);

	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	test_domain(ctx, &dev, ioas);
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, ioas, NULL));
	ck_assert_ok(ctx, map_file(ctx, ioas, fd, PG, 2 * PG, RW | FIXED, &iova));
	/* the library keeps its own fd: the caller's may go */
	close(fd);
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, iova + 8, buf,
					       sizeof(buf), NULL));
	ck_assert_ok(ctx, ioasid_ioas_backing(ctx, ioas, iova + PG, &b));
	ck_assert_uint_eq(b.kind, IOASID_BACKING_FILE);
	ck_assert_uint_eq(b.offset, PG);
	ck_assert_uint_eq(b.revoked, 0);
	ck_assert_int_ge(b.fd, 0);
	/* the device's write is in the file, at file offset PG + 8 */
	ck_assert_int_eq(pread(b.fd, got, sizeof(got), (off_t)(PG + 8)), (ssize_t)sizeof(got));
	ck_assert_mem_eq(got, buf, sizeof(buf));
	/* and what the file holds is what the device reads */
	ck_assert_int_eq(pwrite(b.fd, "file", 4, (off_t)(2 * PG)), 4);
	ck_assert_ok(ctx, ioasid_sim_dma_read(ctx, dev, IOASID_PASID_NONE, iova + PG, got, 4, NULL));
	ck_assert_mem_eq(got, "file", 4);
	ck_assert_ok(ctx, ioasid_ioas_lookup(ctx, ioas, iova, &m));
	ck_assert_uint_eq(m.length, 2 * PG);
	ck_assert_uint_ne(m.uva, 0); /* the sim's view */
	ck_assert_uint_eq(m.uva, b.uva);
	ioasid_ctx_close(ctx);
}
END_TEST

START_TEST(test_argument_errnos)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	struct ioasid_map_file_opts big[2];
	struct ioas_snap snap;
	uint64_t iova = 0x100000;
	uint32_t ioas;
	int fd = test_memfd(4 * PG);

	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	ioas_snap_take(ctx, ioas, &snap);
	ck_assert_ret(ctx, map_file(ctx, ioas, fd, 0, PG, RW | 0x100, &iova), -EOPNOTSUPP);
	ck_assert_errmsg_has(ctx, "0x100");
	ck_assert_ret(ctx, map_file(ctx, ioas, fd, 0, PG, FIXED, &iova), -EINVAL);
	ck_assert_errmsg_has(ctx, "neither READ nor WRITE");
	ck_assert_ret(ctx, map_file(ctx, ioas, fd, 0, 0, RW, &iova), -EINVAL);
	ck_assert_errmsg_has(ctx, "length is 0");
	ck_assert_ret(ctx, map_file(ctx, ioas, fd, 0, UINT64_MAX, RW, &iova), -EOVERFLOW);
	ck_assert_ret(ctx, map_file(ctx, ioas, fd, UINT64_MAX - PG, 2 * PG, RW, &iova), -EOVERFLOW);
	ck_assert_errmsg_has(ctx, "offset 0xffffffffffffefff");
	ck_assert_ret(ctx, map_file(ctx, ioas, -1, 0, PG, RW, &iova), -EBADF);
	ck_assert_errmsg_has(ctx, "fd -1");
	ck_assert_ret(ctx, map_file(ctx, ioas + 100, fd, 0, PG, RW, &iova), -ENOENT);
	ck_assert_ret(ctx, ioasid_ioas_map_file(ctx, ioas, NULL, &iova), -EINVAL);
	ck_assert_errmsg_has(ctx, "opts is NULL");
	memset(big, 0, sizeof(big));
	big[0].sz = sizeof(big);
	big[0].fd = fd;
	big[0].length = PG;
	big[0].flags = RW;
	big[1].length = 1; /* a non-zero unknown tail */
	ck_assert_ret(ctx, ioasid_ioas_map_file(ctx, ioas, big, &iova), -E2BIG);
	ck_assert_ret(ctx, map_file(ctx, ioas, fd, 0, PG, RW, NULL), -EINVAL);
	ioas_snap_same(ctx, ioas, &snap);
	/* a fixed IOVA that overlaps an area: -EEXIST, as ioasid_ioas_map() */
	ck_assert_ok(ctx, map_file(ctx, ioas, fd, 0, 2 * PG, RW | FIXED, &iova));
	iova += PG;
	ck_assert_ret(ctx, map_file(ctx, ioas, fd, 0, PG, RW | FIXED, &iova), -EEXIST);
	close(fd);
	ioasid_ctx_close(ctx);
}
END_TEST

/* The file offset stands for the process address: alignment and the automatic IOVA. */
START_TEST(test_offset_guides_the_iova)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint64_t iova = 0, iova2 = 0;
	uint32_t ioas;
	int fd = test_memfd(8ull << 20);

	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	ck_assert_ok(ctx, map_file(ctx, ioas, fd, 2ull << 20, 2ull << 20, RW, &iova));
	ck_assert_uint_eq(iova & ((2ull << 20) - 1), 0);
	/* a sub-page offset keeps its in-page offset in the IOVA, as a VA does */
	ck_assert_ok(ctx, map_file(ctx, ioas, fd, 0x800, 0x800, RW, &iova2));
	ck_assert_uint_eq(iova2 & (PG - 1), 0x800);
	close(fd);
	ioasid_ctx_close(ctx);
}
END_TEST

/* The kernel pins only shmem/hugetlbfs pages inside the file: refused where it pins. */
START_TEST(test_pin_time_refusals)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint32_t ioas, ioas2, dev = 0, hwpt;
	uint64_t iova = 0x100000, pinned;
	int fd = test_memfd(PG + 100), pipefd[2];

	ck_assert_int_eq(pipe(pipefd), 0);
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas2));
	/* without a domain nothing is pinned: the kernel accepts both */
	ck_assert_ok(ctx, map_file(ctx, ioas, pipefd[0], 0, PG, RW | FIXED, &iova));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev));
	ck_assert_ret(ctx, ioasid_hwpt_alloc(ctx, dev, ioas, NULL, &hwpt), -EINVAL);
	ck_assert_errmsg_has(ctx, "only memfd/shmem and hugetlbfs");
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas, 0, UINT64_MAX, NULL));
	/* whole pages are pinned: the second page is past the size 0x1064 */
	iova = 0x100000;
	ck_assert_ok(ctx, map_file(ctx, ioas, fd, 0, 2 * PG, RW | FIXED, &iova));
	ck_assert_ret(ctx, ioasid_hwpt_alloc(ctx, dev, ioas, NULL, &hwpt), -EINVAL);
	ck_assert_errmsg_has(ctx, "past the file's size 0x1064");
	/* with a domain the map itself is refused, and nothing changes */
	test_domain(ctx, &dev, ioas2);
	pinned = pinned_of(ctx);
	ck_assert_ret(ctx, map_file(ctx, ioas2, fd, 0, 2 * PG, RW | FIXED, &iova), -EINVAL);
	ck_assert_ret(ctx, map_file(ctx, ioas2, pipefd[1], 0, PG, RW | FIXED, &iova), -EINVAL);
	ck_assert_uint_eq(pinned_of(ctx), pinned);
	ck_assert_ret(ctx, ioasid_ioas_lookup(ctx, ioas2, iova, &(struct ioasid_mapping){ 0 }),
		      -ENOENT);
	/* inside the size it is fine */
	ck_assert_ok(ctx, map_file(ctx, ioas2, fd, 0, PG, RW | FIXED, &iova));
	close(fd);
	close(pipefd[0]);
	close(pipefd[1]);
	ioasid_ctx_close(ctx);
}
END_TEST

/* Pinned and charged as process memory: pages spanned, the limit, once for a copy. */
START_TEST(test_accounting)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint32_t ioas, ioas2, dev = 0;
	uint64_t iova = 0x100000, iova2 = 0x200000;
	struct ioasid_map_backing b;
	int fd = test_memfd(16 * PG);

	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas2));
	ck_assert_ok(ctx, map_file(ctx, ioas, fd, PG, 4 * PG, RW | FIXED, &iova));
	ck_assert_uint_eq(pinned_of(ctx), 0); /* no domain: nothing pinned yet */
	test_domain(ctx, &dev, ioas);
	ck_assert_uint_eq(pinned_of(ctx), 4);
	/* a copy shares the file's pages: not charged again, its own offset */
	test_domain(ctx, &dev, ioas2);
	ck_assert_ok(ctx, ioasid_ioas_copy(ctx, ioas2, ioas, iova + PG, 2 * PG, RW | FIXED, &iova2));
	ck_assert_uint_eq(pinned_of(ctx), 4);
	ck_assert_ok(ctx, ioasid_ioas_backing(ctx, ioas2, iova2, &b));
	ck_assert_uint_eq(b.kind, IOASID_BACKING_FILE);
	ck_assert_uint_eq(b.offset, 2 * PG);
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas, iova, 4 * PG, NULL));
	ck_assert_uint_eq(pinned_of(ctx), 4); /* the copy still holds them */
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas2, iova2, 2 * PG, NULL));
	ck_assert_uint_eq(pinned_of(ctx), 0);
	/* the limit holds for files as for process memory */
	ck_assert_ok(ctx, ioasid_ctx_set_pinned_limit(ctx, 3 * PG));
	ck_assert_ret(ctx, map_file(ctx, ioas, fd, 0, 4 * PG, RW | FIXED, &iova), -ENOMEM);
	ck_assert_errmsg_has(ctx, "pinning 4 pages exceeds the limit of 3 pages");
	ck_assert_uint_eq(pinned_of(ctx), 0);
	close(fd);
	ioasid_ctx_close(ctx);
}
END_TEST

/* The library's fd lives as long as the last area using the file. */
START_TEST(test_fd_follows_the_areas)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	struct ioasid_map_backing b;
	uint64_t iova = 0x100000;
	uint32_t ioas;
	int fd = test_memfd(PG);

	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	ck_assert_ok(ctx, map_file(ctx, ioas, fd, 0, PG, IOASID_MAP_READ | FIXED, &iova));
	ck_assert_ok(ctx, ioasid_ioas_backing(ctx, ioas, iova, &b));
	ck_assert_int_ne(b.fd, fd);
	ck_assert_int_ge(fcntl(b.fd, F_GETFD), 0);
	ck_assert_int_ne(fcntl(b.fd, F_GETFD) & FD_CLOEXEC, 0);
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas, iova, PG, NULL));
	ck_assert_int_eq(fcntl(b.fd, F_GETFD), -1);
	/* process memory has no fd */
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, test_mem(PG), PG, RW | FIXED, &iova));
	ck_assert_ok(ctx, ioasid_ioas_backing(ctx, ioas, iova, &b));
	ck_assert_uint_eq(b.kind, IOASID_BACKING_VA);
	ck_assert_int_eq(b.fd, -1);
	ck_assert_ret(ctx, ioasid_ioas_backing(ctx, ioas, iova + PG, &b), -ENOENT);
	close(fd);
	ioasid_ctx_close(ctx);
}
END_TEST

/* The dump names the backing of a file area, never its fd. */
START_TEST(test_json_backing)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint64_t iova = 0x100000;
	uint32_t ioas;
	char *s = NULL;
	int fd = test_memfd(4 * PG);

	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	ck_assert_ok(ctx, map_file(ctx, ioas, fd, 2 * PG, PG, RW | FIXED, &iova));
	ck_assert_ok(ctx, ioasid_json_object(ctx, ioas, 0, &s));
	ck_assert_ptr_nonnull(strstr(s, "\"backing\""));
	ck_assert_ptr_nonnull(strstr(s, "\"kind\": \"file\""));
	ck_assert_ptr_nonnull(strstr(s, "\"offset\": \"0x2000\""));
	ck_assert_ptr_nonnull(strstr(s, "\"revoked\": false"));
	ck_assert_ptr_null(strstr(s, "\"fd\""));
	ioasid_json_free(s);
	close(fd);
	ioasid_ctx_close(ctx);
}
END_TEST

/* The sim needs a writable view for a writable map (docs/file-maps.md). */
START_TEST(test_sim_needs_a_writable_view)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint64_t iova = 0x100000;
	uint32_t ioas;
	int fd = test_memfd(PG);

	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0);
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	ck_assert_ret(ctx, map_file(ctx, ioas, fd, 0, PG, RW | FIXED, &iova), -EPERM);
	ck_assert_errmsg_has(ctx, "the sim needs a writable view");
	ck_assert_ok(ctx, map_file(ctx, ioas, fd, 0, PG, IOASID_MAP_READ | FIXED, &iova));
	close(fd);
	ioasid_ctx_close(ctx);
}
END_TEST

/* The iommufd backend maps a file area with IOMMU_IOAS_MAP_FILE of the library's fd. */
START_TEST(test_iommufd_sends_map_file)
{
	const uint32_t RW_FIXED = KU_IOMMU_IOAS_MAP_FIXED_IOVA | KU_IOMMU_IOAS_MAP_READABLE |
				  KU_IOMMU_IOAS_MAP_WRITEABLE;
	struct ioasid_map_backing b;
	struct ioasid_ctx *ctx;
	uint64_t iova = 0x100000, iova2 = 0x200000;
	struct fake k;
	uint32_t a;
	int fd = test_memfd(8 * PG);

	fake_sysfs();
	ctx = fake_ctx(&k);
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	ck_assert_ok(ctx, map_file(ctx, a, fd, 2 * PG, 4 * PG, RW | FIXED, &iova));
	ck_assert_ok(ctx, ioasid_ioas_backing(ctx, a, iova, &b));
	ck_assert_uint_eq(b.uva, 0); /* no view: the kernel maps the file */
	ck_assert_uint_eq(k.maps, 1);
	ck_assert_int_eq(k.last_map_file.fd, b.fd);
	ck_assert_uint_eq(k.last_map_file.start, 2 * PG);
	ck_assert_uint_eq(k.last_map_file.length, 4 * PG);
	ck_assert_uint_eq(k.last_map_file.iova, 0x100000);
	ck_assert_uint_eq(k.last_map_file.flags, RW_FIXED);
	/* a copy of a piece maps the same file at the piece's offset */
	ck_assert_ok(ctx, ioasid_ioas_copy(ctx, a, a, iova + PG, PG, RW | FIXED, &iova2));
	ck_assert_uint_eq(k.maps, 2);
	ck_assert_uint_eq(k.last_map_file.start, 3 * PG);
	ck_assert_uint_eq(k.last_map_file.iova, 0x200000);
	/* the kernel refuses: its errno, nothing kept */
	k.fail_req = KU_IOMMU_IOAS_MAP_FILE;
	k.fail_err = -EINVAL;
	iova = 0x400000;
	ck_assert_ret(ctx, map_file(ctx, a, fd, 0, PG, RW | FIXED, &iova), -EINVAL);
	ck_assert_errmsg_has(ctx, "IOMMU_IOAS_MAP_FILE of a file offset 0x0");
	ck_assert_ret(ctx, ioasid_ioas_backing(ctx, a, 0x400000, &b), -ENOENT);
	k.fail_err = 0;
	ioasid_ctx_close(ctx);
	fake_sysfs_rm();
	close(fd);
}
END_TEST

/* VFIO type 1 maps process memory only: -EOPNOTSUPP naming the feature. */
START_TEST(test_vfio_refuses)
{
	struct fkv kv;
	struct vfio_test_kernel tk = { .ioctl = fkv_ioctl, .ioctl_data = &kv };
	struct ioasid_ctx *ctx = NULL;
	uint64_t iova = 0x100000;
	uint32_t a;
	int fd = test_memfd(PG);

	fk_sysfs();
	fkv_init(&kv);
	tk.dev_dir = kv.dir;
	tk.sysfs = fk_sysfs_root();
	ck_assert_int_eq(vfio_ctx_open_test(&tk, &ctx), 0);
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	ck_assert_ret(ctx, map_file(ctx, a, fd, 0, PG, RW | FIXED, &iova), -EOPNOTSUPP);
	ck_assert_errmsg_has(ctx, "the vfio backend cannot map a file (IOMMU_IOAS_MAP_FILE");
	ioasid_ctx_close(ctx);
	fkv_fini(&kv);
	fk_sysfs_rm();
	close(fd);
}
END_TEST

Suite *filemap_suite(void)
{
	Suite *s = suite_create("filemap");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_dma_reaches_the_file);
	tcase_add_test(tc, test_argument_errnos);
	tcase_add_test(tc, test_offset_guides_the_iova);
	tcase_add_test(tc, test_pin_time_refusals);
	tcase_add_test(tc, test_accounting);
	tcase_add_test(tc, test_fd_follows_the_areas);
	tcase_add_test(tc, test_json_backing);
	tcase_add_test(tc, test_sim_needs_a_writable_view);
	tcase_add_test(tc, test_iommufd_sends_map_file);
	tcase_add_test(tc, test_vfio_refuses);
	suite_add_tcase(s, tc);
	return s;
}
