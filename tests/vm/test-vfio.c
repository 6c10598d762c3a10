/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vfio (legacy type-1) backend against the real kernel, in the VM:
 * bind edu by PCI address, its chain (ranges from VFIO_IOMMU_GET_INFO),
 * mappings made before any device are replayed at attach, real DMA lands
 * and stops landing after unmap, a copy is a second map of the same
 * memory, what type-1 cannot do is refused with EOPNOTSUPP, and a second
 * attach after the last detach replays the mappings again. A replace
 * whose replay the kernel's dma_entry_limit refuses leaves the device
 * where it was, DMA still landing: refused up front when sysfs shows the
 * limit, and undone (the old container's IOMMU rebuilt) when the library
 * cannot see it and the kernel's MAP_DMA says ENOSPC.
 */
#define VT_WITH_EDU
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "vmtest.h"

#include "backend/vfio/vfio-private.h"

#define X(v) ((unsigned long long)(v))

static long pg;

static int landed(const uint8_t *a, const uint8_t *b, size_t n)
{
	return !memcmp(a, b, n);
}

/* Constants, not macros: the checks print their expressions as written. */
static const uint32_t RW = IOASID_MAP_READ | IOASID_MAP_WRITE, F = IOASID_MAP_FIXED_IOVA;
static const size_t XFER = 2048;

/* The bound device: its group, no fd before an attach, its chain. */
static void bound_device(struct ioasid_ctx *ctx, uint32_t d)
{
	struct ioasid_cap_iova_range r[8];
	struct ioasid_cap_page_sizes ps;
	uint8_t caps[4096];
	uint32_t n, kg = 0;
	size_t clen = 0;
	int fd;

	VT_TRUE(!ioasid_obj_kernel_id(ctx, d, &kg) && kg > 0, "device %u is in IOMMU group %u", d, kg);
	VT_RET(ctx, ioasid_dev_fd(ctx, d, &fd), -ENOENT);
	VT_OK(ctx, ioasid_dev_info(ctx, d, caps, sizeof(caps), &clen));
	VT_TRUE(!ioasid_caps_validate(caps, clen, 0), "chain valid %s", ioasid_last_errmsg());
	if (VT_TRUE(!ioasid_caps_get(caps, clen, 0, IOASID_CAP_PAGE_SIZES, &ps, sizeof(ps), NULL) && ps.hdr.source == IOASID_CAP_SRC_MEASURED,
		    "page sizes measured by VFIO_IOMMU_GET_INFO: 0x%llx", X(ps.bitmap)))
		VT_TRUE(ps.bitmap & 0x1000, "4 KiB pages");
	n = 0;
	ioasid_caps_get_array(caps, clen, 0, IOASID_CAP_IOVA_RANGES, r, 8, &n);
	VT_TRUE(n == 2 && r[0].start == 0 && r[0].last == 0xfedfffff && r[1].start == 0xfef00000 &&
		r[1].last == (1ull << 39) - 1,
		"IOVA ranges from the type-1 capability: %u, [0x%llx, 0x%llx] ...", n, X(r[0].start),
		X(r[0].last));
}

/* Attached: the IOAS's usable ranges; huge pages, which type-1 cannot switch. */
static void attached_ranges(struct ioasid_ctx *ctx, uint32_t a)
{
	struct ioasid_iova_range lr[8];
	uint64_t align;
	uint32_t n;

	n = 8;
	VT_OK(ctx, ioasid_ioas_iova_ranges(ctx, a, lr, &n, &align));
	VT_TRUE(n == 2 && lr[0].last == 0xfedfffff && align == (uint64_t)pg,
		"usable ranges after attach: %u, alignment 0x%llx", n, X(align));
	/* the kernel's iommufd rule, kept by the core on every backend */
	VT_RET(ctx, ioasid_ioas_set_option(ctx, a, IOASID_IOAS_OPT_HUGE_PAGES, 0), -EINVAL);
	{
		uint32_t c;

		/* type-1 itself has no such switch */
		VT_OK(ctx, ioasid_ioas_alloc(ctx, &c));
		VT_RET(ctx, ioasid_ioas_set_option(ctx, c, IOASID_IOAS_OPT_HUGE_PAGES, 0), -EOPNOTSUPP);
		VT_OK(ctx, ioasid_ioas_destroy(ctx, c));
	}
}

/* DMA through the mapping made before the attach, replayed. */
static void dma_replayed(struct edu *e, uint8_t *buf)
{
	size_t i;
	int rc;

	for (i = 0; i < XFER; i++)
		buf[i] = (uint8_t)(i * 13 + 1);
	rc = edu_dma(e, 0x100000, EDU_BUF, XFER, 0);
	rc = rc ? rc : edu_dma(e, EDU_BUF, 0x100000 + pg, XFER, 1);
	VT_TRUE(!rc && landed(buf, buf + pg, XFER), "DMA through the replayed mapping lands (%d)", rc);
}

/* A copy (a second MAP_DMA of the same memory) outlives the original's unmap. */
static void dma_copy(struct ioasid_ctx *ctx, struct edu *e, uint32_t a, uint8_t *buf)
{
	uint64_t iova;
	size_t i;
	int rc, any;

	iova = 0x600000;
	VT_OK(ctx, ioasid_ioas_copy(ctx, a, a, 0x100000, 2 * (uint64_t)pg, F | RW, &iova));
	memset(buf + pg, 0, pg);
	rc = edu_dma(e, EDU_BUF, 0x600000 + pg, XFER, 1);
	VT_TRUE(!rc && landed(buf, buf + pg, XFER), "DMA through a copy at 0x600000 lands");
	VT_OK(ctx, ioasid_ioas_unmap(ctx, a, 0x100000, 2 * (uint64_t)pg, NULL));
	memset(buf + pg, 0, pg);
	edu_dma(e, EDU_BUF, 0x100000 + pg, XFER, 1);
	for (i = 0, any = 0; i < XFER; i++)
		any |= buf[pg + i];
	VT_TRUE(!any, "after unmap the same DMA does not land");
	memset(buf + pg, 0, pg);
	rc = edu_dma(e, EDU_BUF, 0x600000 + pg, XFER, 1);
	VT_TRUE(!rc && landed(buf, buf + pg, XFER), "the copy still lands");
	/* a refused unmap removes nothing; the kernel's type-1 agrees it is refused */
	VT_RET(ctx, ioasid_ioas_unmap(ctx, a, 0x600000, (uint64_t)pg, NULL), -ENOENT);
}

/* Replace: to another IOAS (type-1: detach and attach). */
static void dma_after_replace(struct ioasid_ctx *ctx, struct edu *e, uint32_t d, uint32_t a,
			      uint32_t b, uint8_t *buf)
{
	uint64_t iova;
	size_t i;
	int fd, rc, any;

	iova = 0x200000;
	VT_OK(ctx, ioasid_ioas_map(ctx, b, buf, 2 * (uint64_t)pg, F | RW, &iova));
	if (VT_OK(ctx, ioasid_dev_replace(ctx, d, IOASID_PASID_NONE, b, NULL))) {
		VT_OK(ctx, ioasid_dev_fd(ctx, d, &fd));
		edu_open(e, fd);
		memset(buf + pg, 0, pg);
		rc = edu_dma(e, EDU_BUF, 0x200000 + pg, XFER, 1);
		VT_TRUE(!rc && landed(buf, buf + pg, XFER), "after replace, DMA through IOAS %u lands", b);
		memset(buf + pg, 0, pg);
		edu_dma(e, EDU_BUF, 0x600000 + pg, XFER, 1);
		for (i = 0, any = 0; i < XFER; i++)
			any |= buf[pg + i];
		VT_TRUE(!any, "and not through IOAS %u's mapping", a);
	}
}

/* The container lost its domain; a new attach replays again. */
static void dma_after_reattach(struct ioasid_ctx *ctx, uint32_t d, uint32_t a, uint8_t *buf)
{
	struct edu e;
	int fd, rc;

	if (VT_OK(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, a, NULL))) {
		VT_OK(ctx, ioasid_dev_fd(ctx, d, &fd));
		edu_open(&e, fd);
		memset(buf + pg, 0, pg);
		rc = edu_dma(&e, EDU_BUF, 0x600000 + pg, XFER, 1);
		VT_TRUE(!rc && landed(buf, buf + pg, XFER), "re-attached: the replayed copy lands");
		VT_OK(ctx, ioasid_dev_detach(ctx, d, IOASID_PASID_NONE));
	}
}

#define LIMIT_PARAM "/sys/module/vfio_iommu_type1/parameters/dma_entry_limit"

/* Write @v to the module's dma_entry_limit; its old value in *@old. */
static int set_limit(unsigned int v, unsigned int *old)
{
	unsigned int o = 0;
	FILE *f = fopen(LIMIT_PARAM, "r");

	if (!f || fscanf(f, "%u", &o) != 1) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	f = fopen(LIMIT_PARAM, "w");
	if (!f)
		return -1;
	fprintf(f, "%u\n", v);
	if (fclose(f))
		return -1;
	if (old)
		*old = o;
	return 0;
}

/* @d is on @from; DMA through its mapping at @iova lands. */
static void still_on(struct ioasid_ctx *ctx, uint32_t d, uint32_t from, uint64_t iova, uint8_t *buf,
		     const char *what)
{
	struct edu e;
	uint32_t pt = 0;
	int fd, rc = -1;

	VT_TRUE(!ioasid_dev_attached(ctx, d, IOASID_PASID_NONE, &pt) && pt == from,
		"%s: still attached to IOAS %u (%u)", what, from, pt);
	if (VT_OK(ctx, ioasid_dev_fd(ctx, d, &fd)) && !edu_open(&e, fd)) {
		memset(buf + pg, 0, pg);
		rc = edu_dma(&e, EDU_BUF, iova + pg, XFER, 1);
	}
	VT_TRUE(!rc && landed(buf, buf + pg, XFER), "%s: DMA through IOAS %u lands", what, from);
}

/* An IOAS with two mappings (two type-1 entries) of @buf. */
static uint32_t two_areas(struct ioasid_ctx *ctx, uint8_t *buf)
{
	uint64_t iova;
	uint32_t c = 0;

	VT_OK(ctx, ioasid_ioas_alloc(ctx, &c));
	iova = 0x800000;
	VT_OK(ctx, ioasid_ioas_map(ctx, c, buf, (uint64_t)pg, F | RW, &iova));
	iova = 0x900000;
	VT_OK(ctx, ioasid_ioas_map(ctx, c, buf + pg, (uint64_t)pg, F | RW, &iova));
	return c;
}

/* dma_entry_limit 1 as sysfs shows it: the library refuses before anything moves. */
static void replace_limit_seen(struct ioasid_ctx *ctx, uint32_t d, uint32_t b, uint8_t *buf)
{
	uint32_t c = two_areas(ctx, buf);

	VT_RET(ctx, ioasid_dev_replace(ctx, d, IOASID_PASID_NONE, c, NULL), -ENOSPC);
	VT_TRUE(strstr(ioasid_ctx_errmsg(ctx), "dma_entry_limit") != NULL,
		"the message says why: %s", ioasid_ctx_errmsg(ctx));
	still_on(ctx, d, b, 0x200000, buf, "limit seen");
	VT_OK(ctx, ioasid_ioas_destroy(ctx, c));
}

/*
 * A sysfs view without /sys/module (the library cannot read the limit):
 * the kernel refuses the second replayed MAP_DMA, and the group goes back
 * to its old container, whose IOMMU the kernel rebuilds with the one
 * mapping the limit allows.
 */
static void replace_limit_unseen(const char *bdf, uint8_t *buf)
{
	static const char *const keep[] = { "bus", "devices", "kernel", "dev", "class" };
	char view[] = "/tmp/vt-sysfs.XXXXXX", link[64], target[32];
	struct vfio_test_kernel tk = { 0 };
	struct ioasid_ctx *ctx = NULL;
	uint32_t d, b, c;
	uint64_t iova;
	size_t i;

	if (!VT_TRUE(mkdtemp(view) != NULL, "a sysfs view"))
		return;
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		snprintf(link, sizeof(link), "%s/%s", view, keep[i]);
		snprintf(target, sizeof(target), "/sys/%s", keep[i]);
		if (symlink(target, link))
			VT_TRUE(0, "symlink %s: %s", link, strerror(errno));
	}
	tk.sysfs = view;
	if (!VT_TRUE(vfio_ctx_open_test(&tk, &ctx) == 0, "vfio over the view: %s",
		     ioasid_last_errmsg()))
		goto out;
	if (!VT_OK(ctx, ioasid_dev_bind(ctx, bdf, &d)))
		goto out;
	VT_OK(ctx, ioasid_ioas_alloc(ctx, &b));
	iova = 0x200000;
	VT_OK(ctx, ioasid_ioas_map(ctx, b, buf, 2 * (uint64_t)pg, F | RW, &iova));
	if (VT_OK(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, b, NULL))) {
		c = two_areas(ctx, buf);
		VT_RET(ctx, ioasid_dev_replace(ctx, d, IOASID_PASID_NONE, c, NULL), -ENOSPC);
		VT_TRUE(strstr(ioasid_ctx_errmsg(ctx), "replaying") != NULL,
			"the kernel's refusal of the replay: %s", ioasid_ctx_errmsg(ctx));
		still_on(ctx, d, b, 0x200000, buf, "limit unseen, old container rebuilt");
	}
out:
	ioasid_ctx_close(ctx);
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		snprintf(link, sizeof(link), "%s/%s", view, keep[i]);
		unlink(link);
	}
	rmdir(view);
}

int main(void)
{
	const char *bdf = getenv("VMTEST_PCI_BDF");
	struct ioasid_ctx *ctx = NULL;
	uint8_t *buf;
	uint32_t a, b, d, h;
	unsigned int old_limit = 0;
	bool limit_set = false;
	uint64_t iova;
	struct edu e;
	int fd, rc;

	pg = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = ioasid_ctx_open("vfio", NULL, &ctx);
	if (!VT_TRUE(rc == 0, "open vfio: %s", rc ? ioasid_last_errmsg() : "ok"))
		return vt_done("vfio");
	/* type 1 charges the process's locked_vm, always: RLIMIT mode 1, fixed */
	iova = 9;
	VT_OK(ctx, ioasid_ctx_get_option(ctx, IOASID_CTX_OPT_RLIMIT_MODE, &iova));
	VT_TRUE(iova == IOASID_RLIMIT_MODE_MM,
		"VFIO type 1 is in RLIMIT mode 1 (reads %" PRIu64 ")", iova);
	VT_RET(ctx, ioasid_ctx_set_option(ctx, IOASID_CTX_OPT_RLIMIT_MODE, 0), -EOPNOTSUPP);
	if (!bdf) {
		vt_skip("no edu device (VMTEST_PCI_BDF)");
		ioasid_ctx_close(ctx);
		return vt_done("vfio");
	}
	buf = vt_mem(4 * pg);
	VT_RET(ctx, ioasid_dev_bind(ctx, "/dev/null", &d), -ENOENT);
	if (!VT_OK(ctx, ioasid_dev_bind(ctx, bdf, &d)))
		goto out;
	VT_RET(ctx, ioasid_dev_bind(ctx, bdf, &b), -EBUSY);
	bound_device(ctx, d);

	/* maps before any device: kept by the library, replayed at attach */
	VT_OK(ctx, ioasid_ioas_alloc(ctx, &a));
	iova = 0x100000;
	VT_OK(ctx, ioasid_ioas_map(ctx, a, buf, 2 * (uint64_t)pg, F | RW, &iova));
	/* a device without PASIDs takes no PASID attach (the kernel's EINVAL) */
	VT_RET(ctx, ioasid_dev_attach(ctx, d, 1, a, NULL), -EINVAL);
	VT_RET(ctx, ioasid_hwpt_alloc(ctx, d, a, NULL, &h), -EOPNOTSUPP);
	if (!VT_OK(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, a, NULL)))
		goto out_unbind;
	attached_ranges(ctx, a);
	VT_OK(ctx, ioasid_dev_fd(ctx, d, &fd));
	if (!VT_TRUE(edu_open(&e, fd) == 0, "edu answers through the group's device fd"))
		goto out_detach;
	dma_replayed(&e, buf);
	VT_OK(ctx, ioasid_ioas_alloc(ctx, &b));
	dma_copy(ctx, &e, a, buf);
	dma_after_replace(ctx, &e, d, a, b, buf);
	if (set_limit(1, &old_limit)) {
		vt_skip("cannot set " LIMIT_PARAM);
	} else {
		replace_limit_seen(ctx, d, b, buf);
		limit_set = true;
	}
out_detach:
	VT_OK(ctx, ioasid_dev_detach(ctx, d, IOASID_PASID_NONE));
	VT_RET(ctx, ioasid_dev_fd(ctx, d, &fd), -ENOENT);
	dma_after_reattach(ctx, d, a, buf);
	VT_OK(ctx, ioasid_ioas_destroy(ctx, b));
	VT_OK(ctx, ioasid_ioas_destroy(ctx, a));
out_unbind:
	VT_OK(ctx, ioasid_dev_unbind(ctx, d));
out:
	ioasid_ctx_close(ctx);
	if (limit_set) {
		replace_limit_unseen(bdf, buf);
		VT_TRUE(!set_limit(old_limit, NULL), "dma_entry_limit back to %u", old_limit);
	}
	munmap(buf, 4 * pg);
	return vt_done("vfio");
}
