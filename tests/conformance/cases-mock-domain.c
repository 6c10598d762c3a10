// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * FIXTURE(iommufd_mock_domain): one IOAS with one or two devices attached,
 * mappings of plain and huge-page memory checked against what the domains
 * translate (the oracle: the sim's DMA, the kernel's
 * IOMMU_TEST_OP_MD_CHECK_MAP). The selftest's page reference counts
 * (IOMMU_TEST_OP_MD_CHECK_REFS) and in-kernel accesses are the kernel's
 * own bookkeeping and have no counterpart here.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cases.h"

struct md_fx {
	const struct mock_variant *v;
	uint32_t ioas;
	uint32_t dev[2];
	uint32_t hwpt[2]; /* the automatic HWPT each device got (shared: the same) */
	struct cf_geom g;
	size_t buf_size; /* the selftest's mmap_buf_size */
	uint8_t *buffer; /* the selftest's buffer */
	uint8_t *mbuf;   /* file variants: the selftest's mfd_buffer, and its memfd */
	int mfd;
};

static void md_setup(struct cf_t *t, struct md_fx *f)
{
	static const enum cf_role roles[2] = { CF_DEV, CF_DEV2 };
	uint32_t before[64];
	unsigned int i, n;

	memset(f, 0, sizeof(*f));
	f->v = t->c->arg;
	f->ioas = cf_ioas(t);
	for (i = 0; i < f->v->domains; i++) {
		n = cf_hwpts(t, before, 64);
		f->dev[i] = cf_dev(t, roles[i]);
		CF_OK(t, ioasid_dev_attach(t->ctx, f->dev[i], IOASID_PASID_NONE, f->ioas, NULL));
		f->hwpt[i] = cf_new_hwpt(t, before, n);
		if (!f->hwpt[i])
			f->hwpt[i] = f->hwpt[0];
	}
	cf_geom(t, f->dev[0], &f->g);
	f->buf_size = f->v->hugepages ? 2 * (2u << 20) : 8 * cf_page;
	f->buffer = cf_mem(t, CF_BUFFER_SIZE, 2u << 20);
	cf_fill(f->buffer, CF_BUFFER_SIZE, 1);
	f->mfd = -1;
	if (f->v->file) {
		f->mbuf = cf_memfd(t, CF_BUFFER_SIZE, false, &f->mfd);
		cf_fill(f->mbuf, CF_BUFFER_SIZE, 3);
	}
}

/* The case's own buffer; for a file variant a memfd, its fd in *@ret_fd. */
static uint8_t *md_buf(struct cf_t *t, struct md_fx *f, int *ret_fd)
{
	uint8_t *b;

	*ret_fd = -1;
	if (f->v->file)
		b = cf_memfd(t, f->buf_size, f->v->hugepages, ret_fd);
	else
		b = f->v->hugepages ? cf_mem_huge(t, f->buf_size) : cf_mem(t, f->buf_size, 0);
	cf_fill(b, f->buf_size, 2);
	return b;
}

/* Map [@off, +@len) of the case's buffer @b: by address, or by file offset. */
static int md_map(struct cf_t *t, struct md_fx *f, uint8_t *b, int fd, size_t off, size_t len,
		  uint64_t *ret_iova)
{
	if (f->v->file)
		return cf_map_file_auto(t, f->ioas, fd, off, len, ret_iova);
	return cf_map_auto(t, f->ioas, b + off, len, ret_iova);
}

/* Every domain of the fixture translates [iova, +len) to va. */
static void md_maps(struct cf_t *t, struct md_fx *f, uint64_t iova, const void *va, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < f->v->domains; i++)
		CF_MAPS(t, f->dev[i], iova, va, len);
}

/*
 * The file variant: a page of the memfd maps; a memfd range one byte
 * longer than the file, and the whole range of a file truncated to 0, are
 * EINVAL (the domain pins at once, and memfd_pin_folios() refuses).
 */
static void basic_file(struct cf_t *t, struct md_fx *f)
{
	uint64_t iova;
	int fd;

	CF_OK(t, cf_map_file_auto(t, f->ioas, f->mfd, 0, cf_page, &iova));
	md_maps(t, f, iova, f->mbuf, cf_page);
	md_buf(t, f, &fd);
	CF_RET(t, cf_map_file_auto(t, f->ioas, fd, 0, f->buf_size + 1, &iova), -EINVAL);
	CF_TRUE(t, ftruncate(fd, 0) == 0, "truncate the memfd");
	CF_RET(t, cf_map_file_auto(t, f->ioas, fd, 0, f->buf_size, &iova), -EINVAL);
}

/* A page maps; memory that is not there (half of it, then all) is EFAULT, as the kernel pins. */
void c_md_basic(struct cf_t *t)
{
	struct md_fx f;
	uint64_t iova;
	uint8_t *buf;
	int fd;

	md_setup(t, &f);
	if (f.v->file) {
		basic_file(t, &f);
		return;
	}
	CF_OK(t, cf_map_auto(t, f.ioas, f.buffer, cf_page, &iova));
	md_maps(t, &f, iova, f.buffer, cf_page);
	/* the oracle tells a wrong translation apart (the next page has other bytes) */
	CF_TRUE(t, cf_oracle.check_map(t, f.dev[0], iova, f.buffer + cf_page, cf_page),
		"the oracle takes [0x%llx, +0x%zx) for a mapping of the wrong page", X(iova),
		cf_page);

	buf = md_buf(t, &f, &fd);
	cf_mem_unmap(t, buf + f.buf_size / 2, f.buf_size / 2);
	CF_DRET(t, "efault-unmapped-memory", cf_map_auto(t, f.ioas, buf, f.buf_size, &iova),
		-EFAULT);
	cf_mem_unmap(t, buf, f.buf_size / 2);
	CF_DRET(t, "efault-unmapped-memory", cf_map_auto(t, f.ioas, buf, f.buf_size, &iova),
		-EFAULT);
}

/*
 * A private file page mapped for reading, then written by the process:
 * the domain must still translate to the page the process sees (the kernel
 * unshares it when it pins).
 */
void c_md_ro_unshare(struct cf_t *t)
{
	struct md_fx f;
	uint64_t iova = 0;
	uint8_t *buf;
	int fd;

	md_setup(t, &f);
	fd = open("/proc/self/exe", O_RDONLY);
	CF_TRUE(t, fd >= 0, "open /proc/self/exe");
	buf = mmap(NULL, cf_page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	CF_TRUE(t, buf != MAP_FAILED, "mmap of /proc/self/exe");
	if (ioasid_ioas_map(t->ctx, f.ioas, buf, cf_page, IOASID_MAP_READ, &iova)) {
		munmap(buf, cf_page);
		CF_TRUE(t, 0, "a read-only map of a private file page: %s",
			ioasid_ctx_errmsg(t->ctx));
	}
	md_maps(t, &f, iova, buf, cf_page);
	memset(buf, 1, cf_page);
	md_maps(t, &f, iova, buf, cf_page);
	CF_OK(t, ioasid_ioas_unmap(t->ctx, f.ioas, iova, cf_page, NULL));
	munmap(buf, cf_page);
}

/*
 * Every start and length, in steps of the domain's page, inside the
 * buffer (for huge pages every sixteenth of it, to the end): map, check
 * the translation, unmap. With @copy, a domain comes and goes while each
 * area exists and must get it too.
 */
static void all_aligns(struct cf_t *t, bool copy)
{
	struct md_fx f;
	size_t step, start, end;
	uint8_t *buf;
	int fd;

	md_setup(t, &f);
	step = f.v->hugepages ? f.buf_size / 16 : f.g.pgsize;
	buf = md_buf(t, &f, &fd);
	for (start = 0; start < f.buf_size; start += step) {
		/* as the selftest: the huge-page loop starts at the end and so maps nothing */
		for (end = f.v->hugepages ? f.buf_size : start + f.g.pgsize; end < f.buf_size;
		     end += f.g.pgsize) {
			uint64_t iova, len = end - start;
			uint32_t d3;

			CF_OK(t, md_map(t, &f, buf, fd, start, len, &iova));
			if (copy) {
				d3 = cf_dev(t, CF_DEV3);
				CF_OK(t, ioasid_dev_attach(t->ctx, d3, IOASID_PASID_NONE, f.ioas,
							   NULL));
				CF_MAPS(t, d3, iova, buf + start, len);
			}
			md_maps(t, &f, iova, buf + start, len);
			if (copy) {
				CF_OK(t, ioasid_dev_detach(t->ctx, d3, IOASID_PASID_NONE));
				cf_unbind(t, CF_DEV3);
			}
			CF_OK(t, ioasid_ioas_unmap(t->ctx, f.ioas, iova, len, NULL));
		}
	}
}

void c_md_all_aligns(struct cf_t *t)
{
	all_aligns(t, false);
}

void c_md_all_aligns_copy(struct cf_t *t)
{
	all_aligns(t, true);
}

/*
 * Memory mapped in an IOAS without domains is copied into the fixture's
 * IOAS and translates there; the source IOAS can then go, and another one
 * serve as the source. (The selftest also pins the pages through an
 * in-kernel access and moves it between the IOASes: no counterpart.)
 */
/* The selftest's buffer (or, for a file variant, its memfd) mapped into @src. */
static int user_copy_src(struct cf_t *t, struct md_fx *f, uint32_t src, uint64_t *ret_iova)
{
	if (f->v->file)
		return cf_map_file_auto(t, src, f->mfd, 0, CF_BUFFER_SIZE, ret_iova);
	return cf_map_auto(t, src, f->buffer, CF_BUFFER_SIZE, ret_iova);
}

void c_md_user_copy(struct cf_t *t)
{
	const uint32_t fl = IOASID_MAP_FIXED_IOVA | IOASID_MAP_WRITE;
	uint32_t src, src2;
	uint64_t src_iova, dst;
	struct md_fx f;
	uint8_t *buf;

	md_setup(t, &f);
	buf = f.v->file ? f.mbuf : f.buffer;
	src = cf_ioas(t);
	CF_OK(t, user_copy_src(t, &f, src, &src_iova));
	dst = f.g.ap_start;
	CF_OK(t, ioasid_ioas_copy(t->ctx, f.ioas, src, src_iova, CF_BUFFER_SIZE, fl, &dst));
	md_maps(t, &f, f.g.ap_start, buf, CF_BUFFER_SIZE);

	src2 = cf_ioas(t);
	CF_OK(t, user_copy_src(t, &f, src2, &src_iova));
	CF_OK(t, ioasid_ioas_unmap(t->ctx, f.ioas, f.g.ap_start, CF_BUFFER_SIZE, NULL));
	CF_OK(t, ioasid_ioas_destroy(t->ctx, src));

	dst = f.g.ap_start;
	CF_OK(t, ioasid_ioas_copy(t->ctx, f.ioas, src2, src_iova, CF_BUFFER_SIZE, fl, &dst));
	md_maps(t, &f, f.g.ap_start, buf, CF_BUFFER_SIZE);
	CF_OK(t, ioasid_ioas_destroy(t->ctx, src2));
}

/*
 * Replace: to another IOAS (the automatic HWPT left behind goes when it
 * was the device's alone), back, and between the automatic HWPTs.
 */
void c_md_replace(struct cf_t *t)
{
	const uint32_t N = IOASID_PASID_NONE;
	struct md_fx f;
	uint32_t ioas2;

	md_setup(t, &f);
	ioas2 = cf_ioas(t);
	CF_OK(t, ioasid_dev_replace(t->ctx, f.dev[0], N, ioas2, NULL));
	if (f.v->domains == 1)
		CF_RET(t, ioasid_dev_replace(t->ctx, f.dev[0], N, f.hwpt[0], NULL), -ENOENT);
	CF_OK(t, ioasid_dev_replace(t->ctx, f.dev[0], N, ioas2, NULL));
	if (f.v->domains >= 2) {
		CF_OK(t, ioasid_dev_replace(t->ctx, f.dev[0], N, f.hwpt[1], NULL));
		CF_OK(t, ioasid_dev_replace(t->ctx, f.dev[0], N, f.hwpt[1], NULL));
		CF_OK(t, ioasid_dev_replace(t->ctx, f.dev[0], N, f.hwpt[0], NULL));
	}
	CF_OK(t, ioasid_dev_replace(t->ctx, f.dev[0], N, f.ioas, NULL));
	CF_OK(t, ioasid_ioas_destroy(t->ctx, ioas2));
}

/* Explicit HWPTs: unknown flags, a rotation through them, another device on one. */
void c_md_alloc_hwpt(struct cf_t *t)
{
	const uint32_t N = IOASID_PASID_NONE;
	struct ioasid_hwpt_opts o;
	struct md_fx f;
	unsigned int i;

	md_setup(t, &f);
	for (i = 0; i < f.v->domains; i++) {
		uint32_t h[2] = { 0 }, d3;

		o = (struct ioasid_hwpt_opts)IOASID_OPTS_INIT(ioasid_hwpt_opts);
		o.flags = ~IOASID_HWPT_NEST_PARENT;
		CF_RET(t, ioasid_hwpt_alloc(t->ctx, f.dev[i], f.ioas, &o, &h[0]), -EOPNOTSUPP);
		o.flags = 0;
		CF_OK(t, ioasid_hwpt_alloc(t->ctx, f.dev[i], f.ioas, &o, &h[0]));
		o.flags = IOASID_HWPT_NEST_PARENT;
		CF_OK(t, ioasid_hwpt_alloc(t->ctx, f.dev[i], f.ioas, &o, &h[1]));

		CF_OK(t, ioasid_dev_replace(t->ctx, f.dev[i], N, h[0], NULL));
		CF_RET(t, ioasid_hwpt_destroy(t->ctx, h[0]), -EBUSY);
		CF_OK(t, ioasid_dev_replace(t->ctx, f.dev[i], N, h[1], NULL));
		CF_RET(t, ioasid_hwpt_destroy(t->ctx, h[1]), -EBUSY);
		CF_OK(t, ioasid_dev_replace(t->ctx, f.dev[i], N, f.ioas, NULL));
		CF_OK(t, ioasid_hwpt_destroy(t->ctx, h[1]));

		d3 = cf_dev(t, CF_DEV3);
		CF_OK(t, ioasid_dev_attach(t->ctx, d3, N, h[0], NULL));
		CF_OK(t, ioasid_dev_detach(t->ctx, d3, N));
		cf_unbind(t, CF_DEV3);
		CF_OK(t, ioasid_hwpt_destroy(t->ctx, h[0]));
	}
}
