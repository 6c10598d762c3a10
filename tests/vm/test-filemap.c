/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * File and dma-buf maps against the real kernel (issue 12,
 * kernel-uapi.md §4.9), every refusal of the library repeated as a raw
 * IOMMU_IOAS_MAP_FILE on the same kernel IOAS and the errnos compared:
 *  - a memfd mapped by offset without a domain and with one; files the
 *    kernel cannot pin (a pipe, a range past the end) refused where it pins;
 *  - edu DMAs into a memfd map: RAM -> edu -> RAM through the file's pages;
 *  - the selftest's dma-buf (IOMMU_TEST_OP_DMABUF_GET): mapped, its
 *    refusals (dmabuf_simple), revoked with IOMMU_TEST_OP_DMABUF_REVOKE
 *    and told to the library, which marks the area and tells the owner;
 *    a revoked buffer cannot be mapped again (ENODEV);
 *  - edu's BAR0 exported as a dma-buf (VFIO_DEVICE_FEATURE_DMA_BUF, the
 *    kernel built with VFIO_PCI_DMABUF): exported, mapped and refused as
 *    the raw ioctls answer; revoked by vfio-pci when edu's memory decoding
 *    is turned off and when edu is unbound, and the library's records and
 *    the owner's callback see it.
 */
#define VT_WITH_EDU
#include <fcntl.h>
#include <linux/iommufd.h>
#include <sys/mman.h>

#include "iommufd_test.h"
#include "vmtest.h"

static const uint32_t RW = IOASID_MAP_READ | IOASID_MAP_WRITE;
static const uint32_t F = IOASID_MAP_FIXED_IOVA;
static int ifd;
static long pg;

static uint32_t kid(struct ioasid_ctx *ctx, uint32_t id)
{
	uint32_t k = 0;

	ioasid_obj_kernel_id(ctx, id, &k);
	return k;
}

static int raw_map_file(uint32_t kioas, int fd, uint64_t start, uint64_t len, uint64_t iova,
			uint32_t flags)
{
	struct iommu_ioas_map_file m = { .size = sizeof(m),
					 .flags = flags,
					 .ioas_id = kioas,
					 .fd = fd,
					 .start = start,
					 .length = len,
					 .iova = iova };

	return ioctl(ifd, IOMMU_IOAS_MAP_FILE, &m) ? -errno : 0;
}

static void raw_unmap(uint32_t kioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u),
				      .ioas_id = kioas,
				      .iova = iova,
				      .length = len };

	ioctl(ifd, IOMMU_IOAS_UNMAP, &u);
}

static int lib_map_file(struct ioasid_ctx *ctx, uint32_t ioas, int fd, uint64_t start, uint64_t len,
			uint64_t iova, uint32_t flags)
{
	struct ioasid_map_file_opts o = { .sz = sizeof(o),
					  .fd = fd,
					  .flags = flags,
					  .offset = start,
					  .length = len };

	return ioasid_ioas_map_file(ctx, ioas, &o, &iova);
}

/*
 * The library and the kernel answer the same map alike: @want both, and
 * what either made is undone (the library's through the library).
 */
static void map_same(struct ioasid_ctx *ctx, uint32_t ioas, int fd, uint64_t start, uint64_t len,
		     uint64_t iova, uint32_t flags, int want, const char *what)
{
	int rl = lib_map_file(ctx, ioas, fd, start, len, iova, flags);
	int rk;

	if (!rl)
		ioasid_ioas_unmap(ctx, ioas, iova, len, NULL);
	rk = raw_map_file(kid(ctx, ioas), fd, start, len, iova, flags);
	if (!rk)
		raw_unmap(kid(ctx, ioas), iova, len);
	vt_report(rl == want && rk == want, "map_file %s: library %s, kernel %s (want %s)", what,
		  ioasid_strerrno(rl), ioasid_strerrno(rk), ioasid_strerrno(want));
	if (rl != want)
		printf("#   message: %s\n", ioasid_ctx_errmsg(ctx));
}

static int memfd_of(uint64_t size)
{
	int fd = memfd_create("vm-filemap", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, (off_t)size)) {
		perror("memfd");
		exit(2);
	}
	return fd;
}

/* The argument rules, with and without a domain. */
static void refusals(struct ioasid_ctx *ctx, uint32_t a, bool domain)
{
	int fd = memfd_of(2 * pg + 100), p[2];
	const char *w = domain ? "with a domain" : "without a domain";
	char what[128];

	if (pipe(p)) {
		perror("pipe");
		exit(2);
	}
	snprintf(what, sizeof(what), "of a memfd %s", w);
	map_same(ctx, a, fd, 0, 2 * pg, 0x100000, F | RW, 0, what);
	map_same(ctx, a, -1, 0, pg, 0x100000, F | RW, -EBADF, "of fd -1");
	map_same(ctx, a, fd, 0, 0, 0x100000, F | RW, -EINVAL, "of length 0");
	map_same(ctx, a, fd, 0, pg, 0x100000, F, -EINVAL, "without a permission");
	map_same(ctx, a, fd, 0, pg, 0x100000, F | RW | 0x100, -EOPNOTSUPP, "with flag 0x100");
	map_same(ctx, a, fd, UINT64_MAX - pg, 2 * pg, 0x100000, F | RW, -EOVERFLOW,
		 "whose offset + length wraps");
	map_same(ctx, a, fd, 100, pg, 0x100000, F | RW, domain ? -EINVAL : 0,
		 domain ? "at an offset not aligned to the domain's pages" :
			  "at an unaligned offset (no domain: alignment 1)");
	snprintf(what, sizeof(what), "of a pipe %s", w);
	map_same(ctx, a, p[0], 0, pg, 0x100000, F | RW, domain ? -EINVAL : 0, what);
	snprintf(what, sizeof(what), "whose last page ends past the file %s", w);
	map_same(ctx, a, fd, 2 * pg, pg, 0x100000, F | RW, domain ? -EINVAL : 0, what);
	close(p[0]);
	close(p[1]);
	close(fd);
}

/* edu DMAs RAM -> edu -> RAM through a memfd map; the file holds the result. */
static void edu_into_memfd(struct ioasid_ctx *ctx, uint32_t a, struct edu *e)
{
	const size_t n = 2048;
	int fd = memfd_of(4 * pg);
	uint8_t *view = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	struct ioasid_map_backing b;
	size_t i;
	int r;

	for (i = 0; i < n; i++)
		view[pg + i] = (uint8_t)(i * 13 + 1);
	if (!VT_OK(ctx, lib_map_file(ctx, a, fd, pg, 2 * pg, 0x200000, F | RW)))
		return;
	VT_TRUE(!ioasid_ioas_backing(ctx, a, 0x200000, &b) && b.kind == IOASID_BACKING_FILE &&
			b.offset == (uint64_t)pg && b.uva == 0,
		"the area is backed by the file at offset 0x%llx", (unsigned long long)b.offset);
	r = edu_dma(e, 0x200000, EDU_BUF, n, 0);
	r = r ? r : edu_dma(e, EDU_BUF, 0x200000 + pg, n, 1);
	VT_TRUE(!r && !memcmp(view + pg, view + 2 * pg, n),
		"DMA memfd -> edu -> memfd through IOVA 0x200000: %zu bytes land in the file (%d)",
		n, r);
	VT_OK(ctx, ioasid_ioas_unmap(ctx, a, 0x200000, 2 * pg, NULL));
	munmap(view, 4 * pg);
	close(fd);
}

static int test_cmd(struct iommu_test_cmd *c)
{
	int r;

	c->size = sizeof(*c);
	r = ioctl(ifd, IOMMU_TEST_CMD, c);
	return r < 0 ? -errno : r;
}

static int revoked_areas;
static void on_revoke(void *data, struct ioasid_ctx *ctx, uint32_t ioas, uint64_t iova, uint64_t len)
{
	(void)data;
	(void)ctx;
	(void)ioas;
	(void)iova;
	(void)len;
	revoked_areas++;
}

/* The selftest's dma-buf: dmabuf_simple's refusals, then dmabuf_revoke's. */
static void selftest_dmabuf(struct ioasid_ctx *ctx, uint32_t a)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DMABUF_GET,
				    .dmabuf_get = { .length = 4 * pg, .open_flags = O_CLOEXEC } };
	struct ioasid_map_backing b;
	uint32_t n = 0;
	char *doc = NULL;
	int dfd = test_cmd(&c);

	revoked_areas = 0;
	if (!VT_TRUE(dfd >= 0, "IOMMU_TEST_OP_DMABUF_GET gives a dma-buf (%d)", dfd))
		return;
	map_same(ctx, a, dfd, 0, 0, 0x400000, F | RW, -EINVAL, "of a dma-buf, length 0");
	map_same(ctx, a, dfd, 4 * pg, 4 * pg, 0x400000, F | RW, -EINVAL,
		 "of a dma-buf from its end");
	map_same(ctx, a, dfd, 0, 4 * pg + 1, 0x400000, F | RW, -EINVAL,
		 "of a dma-buf, one byte too long");
	map_same(ctx, a, dfd, 0, 4 * pg, 0x400000, F | RW, 0, "of the whole dma-buf");
	VT_OK(ctx, lib_map_file(ctx, a, dfd, 0, 4 * pg, 0x400000, F | RW));
	VT_TRUE(!ioasid_ioas_backing(ctx, a, 0x400000, &b) && b.kind == IOASID_BACKING_DMABUF &&
			!b.revoked,
		"the area is backed by a dma-buf, not revoked");
	VT_OK(ctx, ioasid_ioas_set_revoke_cb(ctx, a, on_revoke, NULL));
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_DMABUF_REVOKE,
				     .dmabuf_revoke = { .dmabuf_fd = dfd, .revoked = 1 } };
	VT_TRUE(test_cmd(&c) == 0, "IOMMU_TEST_OP_DMABUF_REVOKE revokes it");
	map_same(ctx, a, dfd, 0, 4 * pg, 0x800000, F | RW, -ENODEV, "of a revoked dma-buf");
	VT_OK(ctx, ioasid_dmabuf_revoked(ctx, dfd, &n));
	VT_TRUE(n == 1 && revoked_areas == 1,
		"the library marks 1 area and tells the owner (%u, %d)", n, revoked_areas);
	VT_TRUE(!ioasid_ioas_backing(ctx, a, 0x400000, &b) && b.revoked,
		"ioasid_ioas_backing() says revoked");
	VT_TRUE(!ioasid_json_object(ctx, a, 0, &doc) && strstr(doc, "\"revoked\": true"),
		"the dump says revoked");
	ioasid_json_free(doc);
	VT_OK(ctx, ioasid_dmabuf_revoked(ctx, dfd, &n));
	VT_TRUE(n == 0, "a second report marks nothing new (%u)", n);
	/* the kernel keeps the area: it unmaps as any other */
	VT_OK(ctx, ioasid_ioas_unmap(ctx, a, 0x400000, 4 * pg, NULL));
	c = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_DMABUF_REVOKE,
				     .dmabuf_revoke = { .dmabuf_fd = dfd, .revoked = 0 } };
	test_cmd(&c);
	map_same(ctx, a, dfd, 0, 4 * pg, 0x400000, F | RW, 0, "of the dma-buf un-revoked");
	close(dfd);
}

/* The raw VFIO_DEVICE_FEATURE_DMA_BUF on @devfd: 0 (the dma-buf closed) or -errno. */
static int raw_bar_dmabuf(int devfd, uint32_t bar, uint64_t offset, uint64_t length)
{
	struct {
		struct vfio_device_feature hdr;
		struct vfio_device_feature_dma_buf get;
		struct vfio_region_dma_range range;
	} f = { .hdr = { .argsz = sizeof(f),
			 .flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF },
		.get = { .region_index = bar, .open_flags = O_CLOEXEC, .nr_ranges = 1 },
		.range = { .offset = offset, .length = length } };
	int r = ioctl(devfd, VFIO_DEVICE_FEATURE, &f);

	if (r < 0)
		return -errno;
	close(r);
	return 0;
}

/* The library's export and the raw one answer alike. */
static void export_same(struct ioasid_ctx *ctx, uint32_t d, int devfd, uint32_t bar,
			uint64_t offset, uint64_t length, int want, const char *what)
{
	int fd = -1, rl = ioasid_dev_bar_dmabuf(ctx, d, bar, offset, length, &fd);
	int rk = raw_bar_dmabuf(devfd, bar, offset, length);

	if (!rl)
		close(fd);
	vt_report(rl == want && rk == want, "export %s: library %s, kernel %s (want %s)", what,
		  ioasid_strerrno(rl), ioasid_strerrno(rk), ioasid_strerrno(want));
	if (rl != want)
		printf("#   message: %s\n", ioasid_ctx_errmsg(ctx));
}

/* Turn edu's memory decoding on or off through the VFIO config region. */
static int edu_memory(struct edu *e, bool on)
{
	uint16_t cmd;

	if (pread(e->fd, &cmd, 2, e->cfg + 4) != 2)
		return -EIO;
	cmd = on ? cmd | 0x2 : cmd & ~0x2;
	return pwrite(e->fd, &cmd, 2, e->cfg + 4) == 2 ? 0 : -EIO;
}

/*
 * edu's BAR0 as a dma-buf (VFIO_DEVICE_FEATURE_DMA_BUF), mapped for
 * peer-to-peer DMA through the library and through the raw ioctl; then
 * revoked by vfio-pci when edu's memory decoding is turned off
 * (vfio_pci_config.c: a PCI_COMMAND write without MEMORY moves the
 * device's dma-bufs to revoked, and iommufd unmaps them from every domain
 * and answers ENODEV to a new map). Returns the dma-buf, still mapped at
 * @iova_left in @a, for the unbind check; -1 when the export failed.
 */
static int bar_dmabuf(struct ioasid_ctx *ctx, uint32_t d, uint32_t a, struct edu *e,
		      uint64_t iova_left)
{
	const uint64_t len = 4 * pg, iova = 0x600000;
	struct ioasid_map_backing b;
	uint32_t n = 99;
	int fd = -1;

	export_same(ctx, d, e->fd, 0, 0, len, 0, "of edu's BAR0, 4 pages");
	export_same(ctx, d, e->fd, 0, 0, 1 << 20, 0, "of edu's whole BAR0 (1 MiB)");
	export_same(ctx, d, e->fd, 0, 0, (1 << 20) + pg, -EINVAL, "of a page past BAR0's end");
	export_same(ctx, d, e->fd, 0, 100, pg, -EINVAL, "at an unaligned offset");
	/* not BAR1: edu has none, and vfio-pci WARNs on a BAR it never mapped */
	export_same(ctx, d, e->fd, 6, 0, pg, -ENODEV, "of region 6 (the ROM: no BAR)");
	export_same(ctx, d, e->fd, 7, 0, pg, -ENODEV, "of region 7 (config space)");
	if (!VT_OK(ctx, ioasid_dev_bar_dmabuf(ctx, d, 0, 0, len, &fd)))
		return -1;

	map_same(ctx, a, fd, 0, len, iova, F | RW, 0, "of edu's BAR0 dma-buf");
	map_same(ctx, a, fd, pg, 2 * pg, iova, F | RW, 0, "of a slice of edu's BAR0 dma-buf");
	map_same(ctx, a, fd, 0, len + pg, iova, F | RW, -EINVAL,
		 "of edu's BAR0 dma-buf, a page too long");
	map_same(ctx, a, fd, 100, pg, iova, F | RW, -EINVAL,
		 "of edu's BAR0 dma-buf at an unaligned offset");
	if (!VT_OK(ctx, lib_map_file(ctx, a, fd, 0, len, iova, F | RW)))
		return fd;
	VT_TRUE(!ioasid_ioas_backing(ctx, a, iova, &b) && b.kind == IOASID_BACKING_DMABUF &&
			!b.revoked && b.offset == 0,
		"the BAR area is backed by a dma-buf at offset 0, not revoked");

	/* vfio-pci revokes: edu's memory decoding off */
	revoked_areas = 0;
	VT_OK(ctx, ioasid_ioas_set_revoke_cb(ctx, a, on_revoke, NULL));
	VT_TRUE(edu_memory(e, false) == 0, "edu's memory decoding turned off (PCI_COMMAND)");
	map_same(ctx, a, fd, 0, len, 0x800000, F | RW, -ENODEV,
		 "of the BAR dma-buf while edu's memory is off (revoked)");
	export_same(ctx, d, e->fd, 0, 0, len, 0, "of BAR0 while its memory is off");
	VT_OK(ctx, ioasid_dmabuf_revoked(ctx, fd, &n));
	VT_TRUE(n == 1 && revoked_areas == 1,
		"the library marks the BAR area revoked and tells the owner (%u, %d)", n,
		revoked_areas);
	VT_TRUE(!ioasid_ioas_backing(ctx, a, iova, &b) && b.revoked,
		"ioasid_ioas_backing() says the BAR area is revoked");

	/* memory back on: the dma-buf maps again; the revoked area stays dead */
	VT_TRUE(edu_memory(e, true) == 0, "edu's memory decoding turned on again");
	map_same(ctx, a, fd, 0, len, 0x800000, F | RW, 0,
		 "of the BAR dma-buf with edu's memory on again");
	VT_TRUE(!ioasid_ioas_backing(ctx, a, iova, &b) && b.revoked,
		"the old BAR area stays revoked");
	VT_OK(ctx, ioasid_ioas_unmap(ctx, a, iova, len, NULL));
	VT_OK(ctx, lib_map_file(ctx, a, fd, 0, len, iova_left, F | RW));
	return fd;
}

/*
 * Unbinding edu closes its fd, and vfio-pci revokes its dma-bufs
 * (vfio_pci_dma_buf_cleanup()): the library marks the area over the one
 * still mapped at @iova and tells the owner, and the kernel refuses a new
 * map of it (ENODEV).
 */
static void unbind_revokes(struct ioasid_ctx *ctx, uint32_t d, uint32_t a, int dfd, uint64_t iova)
{
	struct ioasid_map_backing b;

	revoked_areas = 0;
	VT_OK(ctx, ioasid_dev_detach(ctx, d, IOASID_PASID_NONE));
	VT_OK(ctx, ioasid_dev_unbind(ctx, d));
	VT_TRUE(revoked_areas == 1, "unbinding edu tells the owner its BAR area is revoked (%d)",
		revoked_areas);
	VT_TRUE(!ioasid_ioas_backing(ctx, a, iova, &b) && b.kind == IOASID_BACKING_DMABUF &&
			b.revoked,
		"the area over edu's BAR is marked revoked after the unbind");
	map_same(ctx, a, dfd, 0, pg, 0x900000, F | RW, -ENODEV,
		 "of the BAR dma-buf of an unbound device");
	VT_OK(ctx, ioasid_ioas_unmap(ctx, a, iova, 4 * pg, NULL));
	close(dfd);
}

static void with_edu(struct ioasid_ctx *ctx, const char *cdev)
{
	const uint64_t left = 0xa00000;
	struct edu e;
	uint32_t d, a;
	int fd, dfd = -1;
	bool bound = true, edu_ok = false;

	if (!VT_OK(ctx, ioasid_dev_bind(ctx, cdev, &d)) || !VT_OK(ctx, ioasid_ioas_alloc(ctx, &a)))
		return;
	if (VT_OK(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, a, NULL))) {
		refusals(ctx, a, true);
		VT_OK(ctx, ioasid_dev_fd(ctx, d, &fd));
		edu_ok = VT_TRUE(edu_open(&e, fd) == 0, "edu answers");
		if (edu_ok)
			edu_into_memfd(ctx, a, &e);
		selftest_dmabuf(ctx, a);
		if (edu_ok) /* edu_open() read BAR0: vfio-pci exports only a BAR it mapped */
			dfd = bar_dmabuf(ctx, d, a, &e, left);
		/* every map above was undone by its test: nothing below @left is left */
		VT_RET(ctx, ioasid_ioas_unmap(ctx, a, 0, left, NULL), -ENOENT);
		if (dfd >= 0) {
			unbind_revokes(ctx, d, a, dfd, left);
			bound = false;
		} else {
			VT_OK(ctx, ioasid_dev_detach(ctx, d, IOASID_PASID_NONE));
		}
	}
	VT_OK(ctx, ioasid_ioas_destroy(ctx, a));
	if (bound)
		VT_OK(ctx, ioasid_dev_unbind(ctx, d));
}

int main(void)
{
	const char *cdev = getenv("VMTEST_VFIO_CDEV");
	struct ioasid_ctx *ctx = NULL;
	uint32_t a;

	pg = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!VT_TRUE(ioasid_ctx_open("iommufd", NULL, &ctx) == 0, "open iommufd: %s",
		     ioasid_last_errmsg()))
		return vt_done("filemap");
	ioasid_ctx_set_cap_ipc_lock_exempt(ctx, false);
	VT_OK(ctx, ioasid_ctx_fd(ctx, &ifd));
	VT_OK(ctx, ioasid_ioas_alloc(ctx, &a));
	refusals(ctx, a, false);
	selftest_dmabuf(ctx, a);
	VT_OK(ctx, ioasid_ioas_unmap(ctx, a, 0, UINT64_MAX, NULL));
	VT_OK(ctx, ioasid_ioas_destroy(ctx, a));
	if (cdev)
		with_edu(ctx, cdev);
	else
		vt_skip("no edu device (VMTEST_VFIO_CDEV)");
	ioasid_ctx_close(ctx);
	return vt_done("filemap");
}
