/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The iommufd backend against the real kernel, in the VM (tests/vm/run.sh):
 *  - "auto" picks iommufd and says why;
 *  - IOAS operations and their errors: each refusal of the library is
 *    repeated as the raw ioctl on the same kernel IOAS (a refused request
 *    changes nothing, so the kernel sees the same state) and the two
 *    errnos must be equal; the kernel's non-atomic unmap is shown on a
 *    twin IOAS the library does not own;
 *  - bind of edu by cdev path, by PCI address and by fd; its capability
 *    chain checked against the sim's qemu-vtd profile field for field;
 *  - attach: the library's usable ranges and alignment equal the kernel's
 *    IOMMU_IOAS_IOVA_RANGES; reserved-region and alignment refusals;
 *  - real DMA with edu: map, DMA in, compare, unmap, the same DMA does not
 *    land; through an explicit HWPT (replace) and through a copy;
 *  - HWPT flags and PASIDs the QEMU VT-d (legacy mode) cannot do refused
 *    with the kernel's errno;
 *  - a replace onto the IOAS or HWPT the device is on: DMA still lands;
 *  - each destroy the library refuses with EBUSY (an IOAS with a device or
 *    an HWPT on it, an HWPT with a device, a queue an HWPT reports to) is
 *    refused by the kernel too, by IOMMU_DESTROY on the same id;
 *  - a fault queue destroyed while another thread polls its fd: the
 *    kernel's EBUSY, the queue kept, destroyed once the poll is over.
 */
#define VT_WITH_EDU
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>

#include <linux/iommufd.h>

#include "vmtest.h"
#include "linux/uapi.h"

#define X(v) ((unsigned long long)(v))

/*
 * Map flags: read-write, at a fixed IOVA. Constants, not macros: the checks
 * print their expressions as written.
 */
static const uint32_t RW = IOASID_MAP_READ | IOASID_MAP_WRITE;
static const uint32_t F = IOASID_MAP_FIXED_IOVA;

static int ifd;           /* the context's /dev/iommu */
static long pg;

static int raw(unsigned long req, void *arg)
{
	return ioctl(ifd, req, arg) ? -errno : 0;
}

static int raw_map(uint32_t kioas, void *va, uint64_t len, uint64_t iova, uint32_t lflags)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m),
		.ioas_id = kioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	/* the library's flags are the kernel's values */
	m.flags = lflags;
	return raw(IOMMU_IOAS_MAP, &m);
}

static int raw_unmap(uint32_t kioas, uint64_t iova, uint64_t len, uint64_t *ret_len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = kioas, .iova = iova, .length = len };
	int r = raw(IOMMU_IOAS_UNMAP, &u);

	if (!r && ret_len)
		*ret_len = u.length;
	return r;
}

static uint32_t kid(struct ioasid_ctx *ctx, uint32_t id)
{
	uint32_t k = 0;

	if (ioasid_obj_kernel_id(ctx, id, &k))
		printf("# no kernel id for %u: %s\n", id, ioasid_ctx_errmsg(ctx));
	return k;
}

/*
 * A map the library must refuse: the same raw request on the same kernel
 * IOAS must fail with the same errno (and if it wrongly succeeds, undo it).
 */
static void map_refused(struct ioasid_ctx *ctx, uint32_t ioas, void *va, uint64_t len,
			uint64_t iova, uint32_t flags, int want, const char *what)
{
	uint64_t io = iova;
	int rl = ioasid_ioas_map(ctx, ioas, va, len, flags, &io);
	int rk = raw_map(kid(ctx, ioas), va, len, iova, flags);

	vt_report(rl == want && rk == want, "map %s: library %s, kernel %s (want %s)", what,
		  ioasid_strerrno(rl), ioasid_strerrno(rk), ioasid_strerrno(want));
	if (rl != want)
		printf("#   message: %s\n", ioasid_ctx_errmsg(ctx));
	if (!rk)
		raw_unmap(kid(ctx, ioas), iova, len, NULL);
}

static void unmap_refused(struct ioasid_ctx *ctx, uint32_t ioas, uint64_t iova, uint64_t len,
			  int want, const char *what)
{
	int rl = ioasid_ioas_unmap(ctx, ioas, iova, len, NULL);
	int rk = raw_unmap(kid(ctx, ioas), iova, len, NULL);

	vt_report(rl == want && rk == want, "unmap %s: library %s, kernel %s (want %s)", what,
		  ioasid_strerrno(rl), ioasid_strerrno(rk), ioasid_strerrno(want));
	if (rl != want)
		printf("#   message: %s\n", ioasid_ctx_errmsg(ctx));
}

/* The library's usable ranges and alignment equal the kernel's. */
static void ranges_agree(struct ioasid_ctx *ctx, uint32_t ioas, const char *when)
{
	struct ioasid_iova_range lr[16];
	struct iommu_iova_range kr[16];
	struct iommu_ioas_iova_ranges q = {
		.size = sizeof(q),
		.ioas_id = kid(ctx, ioas),
		.num_iovas = 16,
		.allowed_iovas = (uintptr_t)kr,
	};
	uint32_t n = 16, i;
	uint64_t align = 0;
	int ok, rl, rk;

	rl = ioasid_ioas_iova_ranges(ctx, ioas, lr, &n, &align);
	rk = raw(IOMMU_IOAS_IOVA_RANGES, &q);
	ok = !rl && !rk && n == q.num_iovas && align == q.out_iova_alignment;
	for (i = 0; ok && i < n; i++)
		ok = lr[i].start == kr[i].start && lr[i].last == kr[i].last;
	vt_report(ok, "usable IOVA ranges and alignment %s: library = kernel (%u ranges, align 0x%llx)",
		  when, n, X(align));
	if (!ok) {
		printf("#   library (%d, align 0x%llx):", rl, X(align));
		for (i = 0; i < n && i < 16; i++)
			printf(" [0x%llx,0x%llx]", X(lr[i].start), X(lr[i].last));
		printf("\n#   kernel (%d, align 0x%llx):", rk, X(q.out_iova_alignment));
		for (i = 0; i < q.num_iovas && i < 16; i++)
			printf(" [0x%llx,0x%llx]", X(kr[i].start), X(kr[i].last));
		printf("\n");
	}
}

static void test_auto(void)
{
	struct ioasid_ctx *ctx = NULL;
	int r = ioasid_ctx_open("auto", NULL, &ctx);

	VT_TRUE(!r && ioasid_ctx_backend(ctx) == IOASID_BACKEND_IOMMUFD,
		"auto picks iommufd (%s)", r ? ioasid_last_errmsg() : ioasid_ctx_backend_reason(ctx));
	if (!r)
		VT_TRUE(strstr(ioasid_ctx_backend_reason(ctx), "/dev/iommu") != NULL,
			"auto says why: '%s'", ioasid_ctx_backend_reason(ctx));
	ioasid_ctx_close(ctx);
}

/* ---- IOAS operations without a device ---- */

/*
 * The kernel's unmap is not atomic (docs/kernel-uapi.md §1.4): on a twin
 * IOAS it removes the first area before refusing the one that straddles
 * the end; the library refuses first and removes nothing.
 */
static void unmap_not_atomic(struct ioasid_ctx *ctx, uint32_t a, uint8_t *buf)
{
	struct iommu_ioas_alloc ta = { .size = sizeof(ta) };
	uint64_t iova;
	uint32_t twin;
	int r;

	r = raw(IOMMU_IOAS_ALLOC, &ta);
	twin = ta.out_ioas_id;
	raw_map(twin, buf, pg, 0x100000, F | RW);
	raw_map(twin, buf, 2 * pg, 0x100000 + pg, F | RW);
	iova = 0x100000;
	ioasid_ioas_map(ctx, a, buf, pg, F | RW, &iova);
	iova = 0x100000 + pg;
	ioasid_ioas_map(ctx, a, buf, 2 * pg, F | RW, &iova);
	unmap_refused(ctx, a, 0x100000, 2 * pg, -ENOENT, "straddling the end of the range");
	r = raw_unmap(twin, 0x100000, 2 * pg, NULL);
	VT_TRUE(r == -ENOENT && raw_unmap(twin, 0x100000, pg, NULL) == -ENOENT,
		"the kernel alone: ENOENT, and the first area is gone anyway (%s)",
		ioasid_strerrno(r));
	/*
	 * unmap_refused()'s own raw unmap of the library's IOAS removed its
	 * first area behind the library's back: put it back, so that the
	 * library's unmap of it meets the kernel's (a refusal now stays).
	 */
	raw_map(kid(ctx, a), buf, pg, 0x100000, F | RW);
	VT_TRUE(ioasid_ioas_unmap(ctx, a, 0x100000, pg, NULL) == 0,
		"the library removed nothing: the first area is still there");
	ioasid_ioas_unmap(ctx, a, 0, UINT64_MAX, NULL);
	raw(IOMMU_DESTROY,
	    &(struct iommu_destroy){ .size = sizeof(struct iommu_destroy), .id = twin });
}

/* Copy from a hole: ENOENT as the kernel's COPY. */
static void copy_from_hole(struct ioasid_ctx *ctx, uint32_t a)
{
	uint32_t b;
	struct iommu_ioas_copy c = {
		.size = sizeof(c),
		.flags = F | RW,
		.length = pg,
		.dst_iova = 0x500000,
		.src_iova = 0x700000,
	};
	uint64_t dst = 0x500000;
	int r;

	VT_OK(ctx, ioasid_ioas_alloc(ctx, &b));
	c.dst_ioas_id = kid(ctx, b);
	c.src_ioas_id = kid(ctx, a);
	r = ioasid_ioas_copy(ctx, b, a, 0x700000, pg, F | RW, &dst);
	VT_TRUE(r == -ENOENT && raw(IOMMU_IOAS_COPY, &c) == -ENOENT,
		"copy from an unmapped source: library %s, kernel ENOENT", ioasid_strerrno(r));
	VT_OK(ctx, ioasid_ioas_destroy(ctx, b));
}

/* Huge pages off: the kernel's option follows. */
static void huge_pages_off(struct ioasid_ctx *ctx, uint32_t a, uint8_t *buf)
{
	struct iommu_option o = {
		.size = sizeof(o),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_GET,
		.object_id = kid(ctx, a),
	};
	int r;

	VT_OK(ctx, ioasid_ioas_set_option(ctx, a, IOASID_IOAS_OPT_HUGE_PAGES, 0));
	r = raw(IOMMU_OPTION, &o);
	VT_TRUE(!r && o.val64 == 0, "kernel IOMMU_OPTION huge_pages reads %llu", X(o.val64));
	map_refused(ctx, a, buf + 1, pg, 0x200000, F | RW, -EINVAL,
		    "of an unaligned VA with huge pages off (alignment PAGE_SIZE)");
	VT_OK(ctx, ioasid_ioas_set_option(ctx, a, IOASID_IOAS_OPT_HUGE_PAGES, 1));
}

static void test_ioas_errors(struct ioasid_ctx *ctx)
{
	uint8_t *buf = vt_mem(16 * pg);
	uint64_t iova, got = 0, len;
	uint32_t a;
	int r;

	VT_OK(ctx, ioasid_ioas_alloc(ctx, &a));
	VT_TRUE(kid(ctx, a) > 0, "IOAS %u has kernel id %u", a, kid(ctx, a));
	iova = 0x100000;
	VT_OK(ctx, ioasid_ioas_map(ctx, a, buf, 2 * pg, F | RW, &iova));
	/* the kernel really has it: a raw overlapping map says EEXIST */
	map_refused(ctx, a, buf, pg, 0x100000 + pg, F | RW, -EEXIST, "overlapping an area");
	map_refused(ctx, a, buf, 0, 0x200000, F | RW, -EINVAL, "length 0");
	map_refused(ctx, a, buf, pg, 0x200000, F, -EINVAL, "without READ or WRITE");
	map_refused(ctx, a, buf, pg, 0x200000, F | RW | 0x100, -EOPNOTSUPP, "unknown flag");
	map_refused(ctx, a, buf, pg, UINT64_MAX, F | RW, -EOVERFLOW, "iova ULONG_MAX");
	map_refused(ctx, a, buf, UINT64_MAX, 0x200000, F | RW, -EOVERFLOW, "length ULONG_MAX");
	map_refused(ctx, a, buf, 2 * pg, UINT64_MAX - pg + 1, F | RW, -EOVERFLOW,
		    "iova + length wraps");
	unmap_refused(ctx, a, 0x400000, pg, -ENOENT, "of a range with no mapping");
	unmap_refused(ctx, a, 0x100000, pg, -ENOENT, "of half an area (start inside)");
	unmap_refused(ctx, a, 0x100000 + pg, pg, -ENOENT, "of the second half of an area");
	unmap_refused(ctx, a, 0x100000, 0, -EINVAL, "of length 0");
	unmap_refused(ctx, a, 0x100000, UINT64_MAX - 1, -EOVERFLOW, "wrapping");
	/* a bare IOAS has alignment 1: odd IOVAs and lengths are fine */
	iova = 0x300001;
	VT_OK(ctx, ioasid_ioas_map(ctx, a, buf + 1, pg - 2, F | RW, &iova));
	VT_OK(ctx, ioasid_ioas_unmap(ctx, a, 0x300001, pg - 2, &got));
	VT_TRUE(got == (uint64_t)pg - 2, "unmapped 0x%llx bytes", X(got));
	/* automatic IOVA: the library's choice, mapped at that IOVA in the kernel */
	VT_OK(ctx, ioasid_ioas_map(ctx, a, buf + 4 * pg, 4 * pg, RW, &iova));
	map_refused(ctx, a, buf, pg, iova, F | RW, -EEXIST, "onto the automatic IOVA");
	VT_OK(ctx, ioasid_ioas_unmap(ctx, a, 0, UINT64_MAX, &got));
	VT_TRUE(got == 6 * (uint64_t)pg, "unmap-all removed 0x%llx bytes", X(got));
	r = raw_unmap(kid(ctx, a), 0, UINT64_MAX, &len);
	VT_TRUE(!r && len == 0, "the kernel IOAS is empty too (unmap-all: %d, 0x%llx)", r, X(len));
	VT_OK(ctx, ioasid_ioas_unmap(ctx, a, 0, UINT64_MAX, &got));

	unmap_not_atomic(ctx, a, buf);
	copy_from_hole(ctx, a);
	huge_pages_off(ctx, a, buf);
	ranges_agree(ctx, a, "of a bare IOAS");
	VT_OK(ctx, ioasid_ioas_destroy(ctx, a));
	munmap(buf, 16 * pg);
}

/* IOMMU_OPTION_RLIMIT_MODE through the library: the kernel's answers and value. */
static void test_rlimit_mode(void)
{
	struct ioasid_ctx *ctx = NULL;
	struct iommu_option o = {
		.size = sizeof(o),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
	};
	uint64_t v = 9;
	uint32_t a;
	int fd;

	if (!VT_TRUE(!ioasid_ctx_open("iommufd", NULL, &ctx), "a second iommufd context"))
		return;
	VT_OK(ctx, ioasid_ctx_get_option(ctx, IOASID_CTX_OPT_RLIMIT_MODE, &v));
	VT_TRUE(v == 0, "a /dev/iommu context starts in RLIMIT mode 0 (reads %llu)", X(v));
	VT_RET(ctx, ioasid_ctx_set_option(ctx, IOASID_CTX_OPT_RLIMIT_MODE, 2), -EINVAL);
	VT_OK(ctx, ioasid_ctx_set_option(ctx, IOASID_CTX_OPT_RLIMIT_MODE, 1));
	VT_OK(ctx, ioasid_ctx_fd(ctx, &fd));
	VT_TRUE(!ioctl(fd, IOMMU_OPTION, &o) && o.val64 == 1, "the kernel reads mode %llu",
		X(o.val64));
	VT_OK(ctx, ioasid_ctx_get_option(ctx, IOASID_CTX_OPT_RLIMIT_MODE, &v));
	VT_TRUE(v == 1, "the library reads mode %llu", X(v));
	VT_OK(ctx, ioasid_ioas_alloc(ctx, &a));
	VT_RET(ctx, ioasid_ctx_set_option(ctx, IOASID_CTX_OPT_RLIMIT_MODE, 0), -EBUSY);
	VT_RET(ctx, ioasid_ctx_set_option(ctx, IOASID_CTX_OPT_RLIMIT_MODE, 2), -EBUSY);
	ioasid_ctx_close(ctx);
}

/* ---- the device's capability chain against the sim's qemu-vtd ---- */

static void cmp_u64(const char *what, uint64_t real, uint64_t sim)
{
	vt_report(real == sim, "caps %s: kernel 0x%llx, sim qemu-vtd 0x%llx", what, X(real), X(sim));
}

/* The VT-d registers and what they decode to, kernel against sim. */
static void vtd_vs_sim(const struct ioasid_cap_vtd *vt, const struct ioasid_cap_vtd *svt)
{
	printf("# VT-d cap 0x%016llx ecap 0x%016llx (sim 0x%016llx / 0x%016llx)\n", X(vt->cap_reg),
	       X(vt->ecap_reg), X(svt->cap_reg), X(svt->ecap_reg));
	cmp_u64("vtd cap_reg", vt->cap_reg, svt->cap_reg);
	/*
	 * QEMU turns EIM (x2APIC interrupt remapping) on only with KVM's
	 * split irqchip; the profile models that (its comment says so).
	 * Under TCG the guest sees ecap 0xf00f4a: the one bit that differs.
	 */
	if (vt->ecap_reg == (svt->ecap_reg & ~(1ull << 4)) && vt->ecap_reg != svt->ecap_reg)
		vt_report(1,
			  "caps vtd ecap_reg: kernel 0x%llx = sim 0x%llx without EIM (TCG: no x2APIC remapping)",
			  X(vt->ecap_reg), X(svt->ecap_reg));
	else
		cmp_u64("vtd ecap_reg", vt->ecap_reg, svt->ecap_reg);
	cmp_u64("vtd decoded domains", vt->domains, svt->domains);
	cmp_u64("vtd decoded bits (EIM aside)", vt->bits & ~IOASID_VTD_EIM,
		svt->bits & ~IOASID_VTD_EIM);
	cmp_u64("vtd sagaw", vt->sagaw, svt->sagaw);
	cmp_u64("vtd levels", vt->levels, svt->levels);
	cmp_u64("vtd mgaw", vt->mgaw, svt->mgaw);
	cmp_u64("vtd sllps", vt->sllps, svt->sllps);
	cmp_u64("vtd pasid_bits", vt->pasid_bits, svt->pasid_bits);
	cmp_u64("vtd mamv", vt->mamv, svt->mamv);
	cmp_u64("vtd mhmv", vt->mhmv, svt->mhmv);
	cmp_u64("vtd flags", vt->flags, svt->flags);
}

/* The IOVA ranges, kernel against sim. */
static void ranges_vs_sim(const void *caps, size_t len, const void *scaps, size_t slen)
{
	struct ioasid_cap_iova_range r[8], sr[8];
	uint32_t n, sn, i;

	n = sn = 0;
	if (!ioasid_caps_get_array(caps, len, 0, IOASID_CAP_IOVA_RANGES, r, 8, &n) &&
	    !ioasid_caps_get_array(scaps, slen, 0, IOASID_CAP_IOVA_RANGES, sr, 8, &sn)) {
		int ok = n == sn;

		for (i = 0; ok && i < n; i++)
			ok = r[i].start == sr[i].start && r[i].last == sr[i].last;
		vt_report(ok, "caps iova_ranges: %u ranges, equal to the sim's", n);
		for (i = 0; !ok && i < n; i++)
			printf("#   kernel [0x%llx, 0x%llx]\n", X(r[i].start), X(r[i].last));
		for (i = 0; !ok && i < sn; i++)
			printf("#   sim    [0x%llx, 0x%llx]\n", X(sr[i].start), X(sr[i].last));
	} else {
		vt_report(0, "caps iova_ranges: %s", ioasid_last_errmsg());
	}
}

/* The reserved regions, kernel against sim. */
static void resv_vs_sim(const void *caps, size_t len, const void *scaps, size_t slen)
{
	struct ioasid_cap_resv_region rv[8], srv[8];
	uint32_t n, sn, i;

	n = sn = 0;
	if (!ioasid_caps_get_array(caps, len, 0, IOASID_CAP_RESV_REGIONS, rv, 8, &n) &&
	    !ioasid_caps_get_array(scaps, slen, 0, IOASID_CAP_RESV_REGIONS, srv, 8, &sn)) {
		int ok = n == sn;

		for (i = 0; ok && i < n; i++)
			ok = rv[i].start == srv[i].start && rv[i].last == srv[i].last &&
			     rv[i].type == srv[i].type;
		vt_report(ok, "caps resv_regions: %u regions, equal to the sim's", n);
		for (i = 0; !ok && i < n; i++)
			printf("#   kernel [0x%llx, 0x%llx] %s\n", X(rv[i].start), X(rv[i].last),
			       ioasid_resv_type_name(rv[i].type));
	} else {
		vt_report(0, "caps resv_regions: %s", ioasid_last_errmsg());
	}
}

static void test_caps_vs_sim(const void *caps, size_t len)
{
	struct ioasid_ctx *sim = NULL;
	uint8_t scaps[4096];
	size_t slen = 0;
	uint32_t sdev;
	struct ioasid_cap_page_sizes ps, sps;
	struct ioasid_cap_addr_width aw, saw;
	struct ioasid_cap_pasid pa, spa;
	struct ioasid_cap_features fe, sfe;
	struct ioasid_cap_vtd vt, svt;

	VT_TRUE(ioasid_caps_validate(caps, len, 0) == 0,
		"the chain of edu is valid (%zu bytes) %s", len, ioasid_last_errmsg());
	if (ioasid_ctx_open("sim:qemu-vtd", NULL, &sim) || ioasid_dev_bind(sim, "sim0", &sdev) ||
	    ioasid_dev_info(sim, sdev, scaps, sizeof(scaps), &slen)) {
		vt_report(0, "sim qemu-vtd: %s", ioasid_last_errmsg());
		ioasid_ctx_close(sim);
		return;
	}
#define GET(buf, l, id, s) (ioasid_caps_get(buf, l, 0, id, &s, sizeof(s), NULL) == 0)
	if (VT_TRUE(GET(caps, len, IOASID_CAP_PAGE_SIZES, ps) &&
		    GET(scaps, slen, IOASID_CAP_PAGE_SIZES, sps), "page sizes present"))
		cmp_u64("page_sizes", ps.bitmap, sps.bitmap);
	if (VT_TRUE(GET(caps, len, IOASID_CAP_ADDR_WIDTH, aw) &&
		    GET(scaps, slen, IOASID_CAP_ADDR_WIDTH, saw), "address widths present")) {
		cmp_u64("input_bits", aw.input_bits, saw.input_bits);
		cmp_u64("output_bits", aw.output_bits, saw.output_bits);
	}
	if (VT_TRUE(GET(caps, len, IOASID_CAP_PASID, pa) && GET(scaps, slen, IOASID_CAP_PASID, spa),
		    "PASID present"))
		cmp_u64("pasid width", pa.width, spa.width);
	if (VT_TRUE(GET(caps, len, IOASID_CAP_FEATURES, fe) &&
		    GET(scaps, slen, IOASID_CAP_FEATURES, sfe), "features present")) {
		cmp_u64("features", fe.features, sfe.features);
		cmp_u64("features known", fe.known, sfe.known);
	}
	if (VT_TRUE(GET(caps, len, IOASID_CAP_VTD, vt) && GET(scaps, slen, IOASID_CAP_VTD, svt),
		    "VT-d registers present"))
		vtd_vs_sim(&vt, &svt);
	ranges_vs_sim(caps, len, scaps, slen);
	resv_vs_sim(caps, len, scaps, slen);
#undef GET
	ioasid_ctx_close(sim);
}

/* ---- device: bind, attach, DMA ---- */

/*
 * A teardown the library refuses with EBUSY is one the kernel refuses
 * too: the same IOMMU_DESTROY on the kernel's id says EBUSY, and the
 * object is still there under the same id (the scenario differential
 * shows only the library's side of these refusals).
 */
static void destroy_refused(struct ioasid_ctx *ctx, uint32_t id, const char *what)
{
	uint32_t k = kid(ctx, id);
	int r;

	VT_RET(ctx, ioasid_obj_destroy(ctx, id), -EBUSY);
	r = raw(IOMMU_DESTROY,
		&(struct iommu_destroy){ .size = sizeof(struct iommu_destroy), .id = k });
	VT_TRUE(r == -EBUSY && k > 0 && kid(ctx, id) == k,
		"%s: the library's EBUSY is the kernel's for its id %u: %s", what, k,
		ioasid_strerrno(r));
}

static const size_t XFER = 2048;

/* The device edu is bound as, its IOAS, the memory it DMAs to and its registers. */
struct devtest {
	struct ioasid_ctx *ctx;
	uint32_t d, a;
	uint8_t *buf;
	struct edu e;
	int fd;
};

/* The device list shows edu with its cdev. */
static void dev_listed(struct ioasid_ctx *ctx, const char *cdev, const char *bdf)
{
	struct ioasid_dev_entry ents[16];
	uint32_t nent = 16;
	size_t i;
	int r, landed;

	/* the device list shows edu with its cdev */
	r = ioasid_dev_list(ctx, ents, &nent);
	for (i = 0, landed = 0; !r && i < nent; i++)
		landed |= !strcmp(ents[i].bdf, bdf) && !strcmp(ents[i].name, cdev) &&
			  !strcmp(ents[i].driver, "vfio-pci") && !strcmp(ents[i].iommu, "vtd");
	VT_TRUE(landed, "ioasid_dev_list shows %s as %s (vfio-pci, vtd) (%s)", bdf, cdev,
		r ? ioasid_ctx_errmsg(ctx) : "ok");
}

/* Mappings the device cannot have keep it from attaching. */
static void attach_refused(struct devtest *t)
{
	struct ioasid_ctx *ctx = t->ctx;
	uint32_t d = t->d, a = t->a;
	uint8_t *buf = t->buf;
	uint64_t iova;
	int r;

	/* a mapping that is fine on a bare IOAS but not 4 KiB aligned */
	iova = 0x800001;
	VT_OK(ctx, ioasid_ioas_map(ctx, a, buf + 1, 0x100, F | RW, &iova));
	r = ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, a, NULL);
	VT_TRUE(r == -EADDRINUSE, "attach over a misaligned mapping: %s (kernel rule: EADDRINUSE): %s",
		ioasid_strerrno(r), ioasid_ctx_errmsg(ctx));
	ioasid_ioas_unmap(ctx, a, 0x800001, 0x100, NULL);
	/* a mapping in the MSI window blocks the attach */
	iova = 0xfee00000;
	VT_OK(ctx, ioasid_ioas_map(ctx, a, buf, pg, F | RW, &iova));
	r = ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, a, NULL);
	VT_TRUE(r == -EADDRINUSE, "attach over a mapping in the MSI window: %s: %s",
		ioasid_strerrno(r), ioasid_ctx_errmsg(ctx));
	ioasid_ioas_unmap(ctx, a, 0xfee00000, pg, NULL);
}

/* Attached: the IOAS takes the device's ranges and rules. */
static void attached_rules(struct devtest *t)
{
	struct ioasid_ctx *ctx = t->ctx;
	uint32_t d = t->d, a = t->a, pt;
	uint8_t *buf = t->buf;

	VT_TRUE(!ioasid_dev_attached(ctx, d, IOASID_PASID_NONE, &pt) && pt == a,
		"attached to IOAS %u", a);
	ranges_agree(ctx, a, "with edu attached");
	map_refused(ctx, a, buf, pg, 0xfee00000, F | RW, -EINVAL, "into the MSI window");
	map_refused(ctx, a, buf, pg, 0x200800, F | RW, -EINVAL, "at an IOVA not 4 KiB aligned");
	map_refused(ctx, a, buf, 0x800, 0x200000, F | RW, -EINVAL, "of a length not 4 KiB aligned");
	map_refused(ctx, a, buf + 0x800, pg, 0x200000, F | RW, -EINVAL, "of a VA not 4 KiB aligned");
	map_refused(ctx, a, buf, pg, 1ull << 39, F | RW, -EINVAL, "above the 39-bit aperture");
	VT_RET(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, a, NULL), -EBUSY);
	VT_RET(ctx, ioasid_ioas_destroy(ctx, a), -EBUSY);
	destroy_refused(ctx, a, "an IOAS with a device attached");
	VT_OK(ctx, ioasid_dev_replace(ctx, d, IOASID_PASID_NONE, a, NULL));
	ranges_agree(ctx, a, "after a replace onto the IOAS the device is on");
}

/* Real DMA through the automatic domain, and none after the unmap. */
static void dma_through_ioas(struct devtest *t)
{
	struct ioasid_ctx *ctx = t->ctx;
	uint32_t a = t->a;
	uint8_t *buf = t->buf;
	uint64_t iova;
	size_t i;
	int r, landed;

	iova = 0x100000;
	VT_OK(ctx, ioasid_ioas_map(ctx, a, buf, 2 * (uint64_t)pg, F | RW, &iova));
	for (i = 0; i < XFER; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	r = edu_dma(&t->e, 0x100000, EDU_BUF, XFER, 0);
	r = r ? r : edu_dma(&t->e, EDU_BUF, 0x100000 + pg, XFER, 1);
	VT_TRUE(!r && !memcmp(buf, buf + pg, XFER),
		"DMA RAM -> edu -> RAM through IOVA 0x100000: %zu bytes land (%d)", XFER, r);
	VT_OK(ctx, ioasid_ioas_unmap(ctx, a, 0x100000, 2 * (uint64_t)pg, NULL));
	memset(buf + pg, 0, pg);
	r = edu_dma(&t->e, EDU_BUF, 0x100000 + pg, XFER, 1);
	for (i = 0, landed = 0; i < XFER; i++)
		landed |= buf[pg + i];
	VT_TRUE(!landed, "after unmap the same DMA does not land (dma %d)", r);
	/* the IOAS has a domain: the kernel pins at map time, and cannot pin a hole */
	{
		uint8_t *hole = vt_mem(pg);

		munmap(hole, pg);
		map_refused(ctx, a, hole, pg, 0x300000, F | RW, -EFAULT,
			    "of unmapped memory into an IOAS with a domain");
	}
}

/* An explicit HWPT: replace the automatic domain, DMA through it. */
static void dma_through_hwpt(struct devtest *t)
{
	struct ioasid_ctx *ctx = t->ctx;
	uint32_t d = t->d, a = t->a, h;
	uint8_t *buf = t->buf;
	uint64_t iova;
	size_t i;
	int r;

	VT_RET(ctx, ioasid_hwpt_alloc(ctx, d, a,
				      &(struct ioasid_hwpt_opts){ .sz = sizeof(struct ioasid_hwpt_opts),
								   .flags = IOASID_HWPT_NEST_PARENT },
				      &h), -EOPNOTSUPP);
	VT_RET(ctx, ioasid_hwpt_alloc(ctx, d, a,
				      &(struct ioasid_hwpt_opts){ .sz = sizeof(struct ioasid_hwpt_opts),
								   .flags = IOASID_HWPT_DIRTY_TRACKING },
				      &h), -EOPNOTSUPP);
	{
		/* the same two, raw */
		static const uint32_t fl[] = { IOMMU_HWPT_ALLOC_NEST_PARENT,
					       IOMMU_HWPT_ALLOC_DIRTY_TRACKING };
		for (i = 0; i < 2; i++) {
			struct iommu_hwpt_alloc ha = { .size = sizeof(ha), .flags = fl[i],
						       .dev_id = kid(ctx, d), .pt_id = kid(ctx, a) };

			r = raw(IOMMU_HWPT_ALLOC, &ha);
			VT_TRUE(r == -EOPNOTSUPP, "kernel HWPT_ALLOC flags 0x%x: %s", fl[i],
				ioasid_strerrno(r));
			if (!r)
				raw(IOMMU_DESTROY, &(struct iommu_destroy){ .size = 8, .id = ha.out_hwpt_id });
		}
	}
	if (VT_OK(ctx, ioasid_hwpt_alloc(ctx, d, a, NULL, &h))) {
		VT_TRUE(kid(ctx, h) > 0, "HWPT %u is kernel HWPT %u", h, kid(ctx, h));
		VT_OK(ctx, ioasid_dev_replace(ctx, d, IOASID_PASID_NONE, h, NULL));
		iova = 0x100000;
		VT_OK(ctx, ioasid_ioas_map(ctx, a, buf, 2 * (uint64_t)pg, F | RW, &iova));
		memset(buf + pg, 0, pg);
		r = edu_dma(&t->e, EDU_BUF, 0x100000 + pg, XFER, 1);
		VT_TRUE(!r && !memcmp(buf, buf + pg, XFER), "DMA through the explicit HWPT lands");
		VT_OK(ctx, ioasid_dev_replace(ctx, d, IOASID_PASID_NONE, h, NULL));
		memset(buf + pg, 0, pg);
		r = edu_dma(&t->e, EDU_BUF, 0x100000 + pg, XFER, 1);
		VT_TRUE(!r && !memcmp(buf, buf + pg, XFER),
			"after a replace onto the same HWPT, DMA still lands (%d)", r);
		ranges_agree(ctx, a, "after a replace onto the HWPT the device is on");
		VT_RET(ctx, ioasid_hwpt_destroy(ctx, h), -EBUSY);
		destroy_refused(ctx, h, "an HWPT with a device attached");
		VT_OK(ctx, ioasid_dev_replace(ctx, d, IOASID_PASID_NONE, a, NULL));
		destroy_refused(ctx, a, "an IOAS with a device and an HWPT on it");
		VT_OK(ctx, ioasid_hwpt_destroy(ctx, h));
		memset(buf + pg, 0, pg);
		r = edu_dma(&t->e, EDU_BUF, 0x100000 + pg, XFER, 1);
		VT_TRUE(!r && !memcmp(buf, buf + pg, XFER), "and through the automatic domain again");
	}
}

/* A fault queue an HWPT reports to, and the IOAS under that HWPT. */
static void queue_refused(struct devtest *t)
{
	struct ioasid_set_opts so = { .sz = sizeof(so), .max_ioas = 1 };
	struct ioasid_fault_queue_opts qo = { .sz = sizeof(qo) };
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho), .flags = IOASID_HWPT_FAULT_ID_VALID };
	struct ioasid_ctx *ctx = t->ctx;
	uint32_t set, q, sa, h;

	if (!VT_OK(ctx, ioasid_set_alloc(ctx, &so, &set)))
		return;
	qo.set = set;
	if (VT_OK(ctx, ioasid_fault_queue_alloc(ctx, &qo, &q)) &&
	    VT_OK(ctx, ioasid_set_ioas_alloc(ctx, set, &sa))) {
		ho.fault_queue = q;
		if (VT_OK(ctx, ioasid_hwpt_alloc(ctx, t->d, sa, &ho, &h))) {
			destroy_refused(ctx, q, "a fault queue an HWPT reports to");
			destroy_refused(ctx, sa, "an IOAS an HWPT is built on");
			VT_OK(ctx, ioasid_hwpt_destroy(ctx, h));
		}
		VT_OK(ctx, ioasid_fault_queue_destroy(ctx, q));
		VT_OK(ctx, ioasid_ioas_destroy(ctx, sa));
	}
	VT_OK(ctx, ioasid_set_destroy(ctx, set));
}

/* A copy: the same memory at another IOAS, DMA through the copy. */
static void dma_through_copy(struct devtest *t)
{
	struct ioasid_ctx *ctx = t->ctx;
	uint32_t d = t->d, a = t->a, b;
	uint8_t *buf = t->buf;
	uint64_t iova;
	int r;

	VT_OK(ctx, ioasid_ioas_alloc(ctx, &b));
	iova = 0x400000;
	if (VT_OK(ctx, ioasid_ioas_copy(ctx, b, a, 0x100000, 2 * (uint64_t)pg, F | RW, &iova))) {
		VT_OK(ctx, ioasid_dev_replace(ctx, d, IOASID_PASID_NONE, b, NULL));
		ranges_agree(ctx, b, "of the copy's IOAS");
		memset(buf + pg, 0, pg);
		r = edu_dma(&t->e, EDU_BUF, 0x400000 + pg, XFER, 1);
		VT_TRUE(!r && !memcmp(buf, buf + pg, XFER), "DMA through the copy at 0x400000 lands");
		/* onto the IOAS it is on: nothing changes in the kernel (issue 17) */
		VT_OK(ctx, ioasid_dev_replace(ctx, d, IOASID_PASID_NONE, b, NULL));
		ranges_agree(ctx, b, "after a replace onto the same IOAS");
		memset(buf + pg, 0, pg);
		r = edu_dma(&t->e, EDU_BUF, 0x400000 + pg, XFER, 1);
		VT_TRUE(!r && !memcmp(buf, buf + pg, XFER),
			"after a replace onto the same IOAS, DMA at 0x400000 still lands (%d)", r);
		VT_OK(ctx, ioasid_dev_replace(ctx, d, IOASID_PASID_NONE, a, NULL));
		ranges_agree(ctx, b, "of the copy's IOAS after the device left");
	}
	VT_OK(ctx, ioasid_ioas_destroy(ctx, b));
	VT_OK(ctx, ioasid_ioas_unmap(ctx, a, 0, UINT64_MAX, NULL));
}

/* No PASID on edu: the library refuses as the kernel does. */
static void pasid_refused(struct devtest *t)
{
	struct ioasid_ctx *ctx = t->ctx;
	uint32_t d = t->d, a = t->a, h;
	int fd = t->fd, r;
	uint32_t set = 0, pasid = 0;
	struct ioasid_attach_opts o = { .sz = sizeof(o) };
	int rk;
	struct vfio_device_attach_iommufd_pt at = {
		.argsz = sizeof(at),
		.flags = VFIO_DEVICE_ATTACH_PASID,
		.pt_id = kid(ctx, a),
		.pasid = 1,
	};

	ioasid_set_alloc(ctx,
			 &(struct ioasid_set_opts){ .sz = sizeof(struct ioasid_set_opts),
						    .max_pasids = 8,
						    .max_ioas = 8 },
			 &set);
	o.set = set;
	ioasid_pasid_alloc(ctx, set, 1, 1, &pasid);
	r = ioasid_dev_attach(ctx, d, 1, a, &o);
	printf("#   library: %s\n", ioasid_ctx_errmsg(ctx));
	rk = ioctl(fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) ? -errno : 0;
	/* to an IOAS: EINVAL from both (its automatic domain takes no PASIDs) */
	printf("# PASID attach on edu to an IOAS: library %s, kernel %s\n", ioasid_strerrno(r),
	       ioasid_strerrno(rk));
	VT_TRUE(r == -EINVAL && rk == -EINVAL,
		"PASID attach on edu to an IOAS: library and kernel EINVAL");
	/*
	 * The kernel accepts ALLOC_PASID on a device without PASIDs
	 * (Intel's driver does), and so does the library. A PASID attach
	 * to it, with the RID on that HWPT too, is the library's one
	 * deliberate difference (docs/kernel-backends.md): EINVAL, as the
	 * kernel answers for its selftest's device without PASIDs, where
	 * for a PCI device without the capability the kernel accepts an
	 * attach the device can never use.
	 */
	if (VT_OK(ctx, ioasid_hwpt_alloc(ctx, d, a,
					 &(struct ioasid_hwpt_opts){
						 .sz = sizeof(struct ioasid_hwpt_opts),
						 .flags = IOASID_HWPT_PASID },
					 &h))) {
		VT_OK(ctx, ioasid_dev_replace(ctx, d, IOASID_PASID_NONE, h, NULL));
		r = ioasid_dev_attach(ctx, d, 1, h, &o);
		at.pt_id = kid(ctx, h);
		at.flags = VFIO_DEVICE_ATTACH_PASID;
		rk = ioctl(fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) ? -errno : 0;
		VT_TRUE(r == -EINVAL && rk == 0,
			"PASID attach on edu, RID and PASID on a PASID HWPT: library EINVAL (%s), kernel accepts (%s)",
			ioasid_strerrno(r), ioasid_strerrno(rk));
		if (!rk) {
			struct vfio_device_detach_iommufd_pt dt = {
				.argsz = sizeof(dt),
				.flags = VFIO_DEVICE_DETACH_PASID,
				.pasid = 1,
			};

			ioctl(fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt);
		}
		VT_OK(ctx, ioasid_dev_replace(ctx, d, IOASID_PASID_NONE, a, NULL));
		VT_OK(ctx, ioasid_hwpt_destroy(ctx, h));
	}
	if (set)
		ioasid_set_destroy(ctx, set);
}

/* By PCI address, then by an fd the caller keeps. */
static void bind_other_ways(struct ioasid_ctx *ctx, const char *cdev, const char *bdf)
{
	uint32_t d;
	char name[64];
	int fd;

	if (VT_OK(ctx, ioasid_dev_bind(ctx, bdf, &d))) {
		ioasid_dev_name(ctx, d, name, sizeof(name));
		VT_TRUE(!strcmp(name, bdf), "bound by PCI address as '%s'", name);
		VT_OK(ctx, ioasid_dev_unbind(ctx, d));
	}
	fd = open(cdev, O_RDWR | O_CLOEXEC);
	if (VT_TRUE(fd >= 0, "open %s", cdev)) {
		int got = -1;

		if (VT_OK(ctx, ioasid_dev_bind_fd(ctx, fd, &d))) {
			ioasid_dev_name(ctx, d, name, sizeof(name));
			VT_TRUE(!strcmp(name, cdev), "bound by fd, named '%s'", name);
			VT_TRUE(!ioasid_dev_fd(ctx, d, &got) && got == fd, "ioasid_dev_fd gives the caller's fd");
			/* bound by an fd, the device still has its PCI address */
			if (VT_OK(ctx, ioasid_dev_pci_addr(ctx, d, name, sizeof(name))))
				VT_TRUE(!strcmp(name, bdf), "ioasid_dev_pci_addr: '%s' (sysfs: %s)",
					name, bdf);
			VT_OK(ctx, ioasid_dev_unbind(ctx, d));
		}
		close(fd);
	}
}

/*
 * VFIO_DEVICE_BIND_IOMMUFD with FLAG_TOKEN (6.17+) on edu, a PF without
 * SR-IOV: vfio-pci's match_token_uuid() refuses a token for a device that
 * is neither a VF nor a PF ("VF token incorrectly provided, not a PF or
 * VF": EINVAL). The library (by cdev and by fd) and the raw ioctl agree,
 * and nothing stays bound.
 */
static void bind_with_token(struct ioasid_ctx *ctx, const char *cdev)
{
	static const uint8_t tok[16] = { 0xbd, 0x8d, 0x9d, 0x2b, 0x5a, 0x5f, 0x4f, 0x5a,
					 0xa2, 0x11, 0xf5, 0x91, 0x51, 0x4b, 0xa1, 0xf3 };
	struct ioasid_bind_opts bo = { .sz = sizeof(bo), .flags = IOASID_BIND_VF_TOKEN };
	struct ku_vfio_device_bind_iommufd b = { .argsz = sizeof(b),
						 .flags = KU_VFIO_DEVICE_BIND_FLAG_TOKEN,
						 .token_uuid_ptr = (uintptr_t)tok };
	int fd, cfd = -1, kern = 0, lib, libfd = 0;
	uint32_t d;

	memcpy(bo.vf_token, tok, sizeof(tok));
	VT_OK(ctx, ioasid_ctx_fd(ctx, &cfd));
	b.iommufd = cfd;
	fd = open(cdev, O_RDWR | O_CLOEXEC);
	if (!VT_TRUE(fd >= 0, "open %s", cdev))
		return;
	kern = ioctl(fd, KU_VFIO_DEVICE_BIND_IOMMUFD, &b) ? -errno : 0;
	close(fd); /* unbinds it, had the kernel bound it */
	lib = ioasid_dev_bind_opts(ctx, cdev, &bo, &d);
	if (!lib)
		ioasid_dev_unbind(ctx, d);
	fd = open(cdev, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		libfd = ioasid_dev_bind_fd_opts(ctx, fd, &bo, &d);
		if (!libfd)
			ioasid_dev_unbind(ctx, d);
		close(fd);
	}
	VT_TRUE(lib == kern && libfd == kern,
		"a VF token for edu (a PF without SR-IOV): the raw ioctl says %s, the library %s (by cdev) and %s (by fd): %s",
		ioasid_strerrno(kern), ioasid_strerrno(lib), ioasid_strerrno(libfd),
		ioasid_ctx_errmsg(ctx));
	VT_TRUE(kern == -EINVAL, "the kernel refuses a token for a device neither VF nor PF: %s",
		ioasid_strerrno(kern));
	/* the device binds without one afterwards */
	if (VT_OK(ctx, ioasid_dev_bind_opts(ctx, cdev, NULL, &d)))
		VT_OK(ctx, ioasid_dev_unbind(ctx, d));
}

static void test_device(struct ioasid_ctx *ctx, const char *cdev, const char *bdf)
{
	struct devtest t = { .ctx = ctx, .buf = vt_mem(4 * pg) };
	uint8_t *caps = vt_mem(8192);
	uint32_t a, d, d2;
	size_t clen = 0;
	int fd;

	dev_listed(ctx, cdev, bdf);
	if (!VT_OK(ctx, ioasid_dev_bind(ctx, cdev, &d)))
		return;
	VT_RET(ctx, ioasid_dev_bind(ctx, cdev, &d2), -EBUSY);
	VT_TRUE(kid(ctx, d) > 0, "device %u has iommufd device id %u", d, kid(ctx, d));
	VT_OK(ctx, ioasid_dev_info(ctx, d, caps, 8192, &clen));
	test_caps_vs_sim(caps, clen);
	VT_RET(ctx, ioasid_dev_attach(ctx, d, 1, 0, NULL), -ENOENT);

	VT_OK(ctx, ioasid_ioas_alloc(ctx, &a));
	t.d = d;
	t.a = a;
	attach_refused(&t);
	if (VT_OK(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, a, NULL))) {
		attached_rules(&t);
		VT_OK(ctx, ioasid_dev_fd(ctx, d, &fd));
		t.fd = fd;
		if (VT_TRUE(edu_open(&t.e, fd) == 0, "edu answers through ioasid_dev_fd() (fd %d)",
			    fd)) {
			dma_through_ioas(&t);
			dma_through_hwpt(&t);
			dma_through_copy(&t);
			queue_refused(&t);
			pasid_refused(&t);
		}
		VT_OK(ctx, ioasid_dev_detach(ctx, d, IOASID_PASID_NONE));
		VT_RET(ctx, ioasid_dev_fd(ctx, d, &fd), 0);
		ranges_agree(ctx, a, "after detach");
		VT_OK(ctx, ioasid_ioas_destroy(ctx, a));
	}
	VT_OK(ctx, ioasid_dev_unbind(ctx, d));
	bind_other_ways(ctx, cdev, bdf);
	bind_with_token(ctx, cdev);
	munmap(t.buf, 4 * pg);
	munmap(caps, 8192);
}

static void *poll_fd(void *arg)
{
	struct pollfd p = { .fd = *(int *)arg, .events = POLLIN };

	return (void *)(intptr_t)poll(&p, 1, 1500);
}

/* A fault queue destroyed while another thread polls its fd (issue 17). */
static void test_fault_queue_polled(struct ioasid_ctx *ctx)
{
	struct ioasid_set_opts so = { .sz = sizeof(so) };
	struct ioasid_fault_queue_opts qo = { .sz = sizeof(qo) };
	struct timespec nap = { .tv_nsec = 200 * 1000 * 1000 };
	pthread_t th;
	uint32_t set, q, id = 0;
	int fd = -1, r;

	if (!VT_OK(ctx, ioasid_set_alloc(ctx, &so, &set)))
		return;
	qo.set = set;
	if (!VT_OK(ctx, ioasid_fault_queue_alloc(ctx, &qo, &q)) ||
	    !VT_OK(ctx, ioasid_fault_queue_fd(ctx, q, &fd)))
		return;
	if (!VT_TRUE(pthread_create(&th, NULL, poll_fd, &fd) == 0, "a thread polls the fault fd"))
		return;
	nanosleep(&nap, NULL);
	VT_RET(ctx, ioasid_fault_queue_destroy(ctx, q), -EBUSY);
	VT_TRUE(ioasid_obj_kind(ctx, q) == IOASID_OBJ_FAULT_QUEUE &&
			!ioasid_obj_kernel_id(ctx, q, &id),
		"the refused queue stays, as kernel fault queue %u", id);
	VT_RET(ctx, ioasid_fault_queue_fd(ctx, q, &r), -EBADF);
	pthread_join(th, NULL);
	VT_OK(ctx, ioasid_fault_queue_destroy(ctx, q));
	VT_OK(ctx, ioasid_set_destroy(ctx, set));
}

int main(void)
{
	const char *cdev = getenv("VMTEST_VFIO_CDEV"), *bdf = getenv("VMTEST_PCI_BDF");
	struct ioasid_ctx *ctx = NULL;
	int r;

	pg = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_auto();
	r = ioasid_ctx_open("iommufd", NULL, &ctx);
	if (!VT_TRUE(r == 0, "open iommufd: %s", r ? ioasid_last_errmsg() : ioasid_ctx_backend_reason(ctx)))
		return vt_done("iommufd");
	VT_OK(ctx, ioasid_ctx_fd(ctx, &ifd));
	test_ioas_errors(ctx);
	test_rlimit_mode();
	test_fault_queue_polled(ctx);
	if (cdev && bdf)
		test_device(ctx, cdev, bdf);
	else
		vt_skip("no edu device (VMTEST_VFIO_CDEV, VMTEST_PCI_BDF)");
	ioasid_ctx_close(ctx);
	return vt_done("iommufd");
}
