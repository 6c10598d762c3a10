/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel backends without a kernel: the reserved_regions parser, the
 * PCI capability walk, hw_info -> capability chain (checked against the
 * sim's qemu-vtd profile, which models the same hardware), and the
 * iommufd backend's ioctls and error paths against a fake kernel behind
 * the backend's ioctl seam and a fake sysfs tree.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"

#include "backend/iommufd/iommufd-private.h"
#include "backend/vfio/vfio-private.h"
#include "linux/linux.h"

#define QEMU_VTD_CAP 0x00d2008c22260286ull
#define QEMU_VTD_ECAP 0x0000000000f00f5aull

/* ---- parsers ---- */

START_TEST(test_resv_parse)
{
	static const char text[] =
		"0x00000000000a0000 0x00000000000bffff direct-relaxable\n"
		"0x00000000fee00000 0x00000000feefffff msi\n"
		"0x0000000008000000 0x00000000080fffff reserved\n"
		"0x0000000010000000 0x0000000010000fff direct\n"
		"0x0000000020000000 0x0000000020000fff something-new\n";
	struct ioasid_cap_resv_region r[8];
	char err[200];
	uint32_t n = 0;

	ck_assert_int_eq(ku_parse_resv_regions(text, strlen(text), r, 8, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(r[0].type, IOASID_RESV_DIRECT_RELAXABLE);
	ck_assert_uint_eq(r[1].start, 0xfee00000);
	ck_assert_uint_eq(r[1].last, 0xfeefffff);
	ck_assert_uint_eq(r[1].type, IOASID_RESV_MSI);
	ck_assert_uint_eq(r[2].type, IOASID_RESV_RESERVED);
	ck_assert_uint_eq(r[3].type, IOASID_RESV_DIRECT);
	ck_assert_uint_eq(r[4].type, IOASID_RESV_RESERVED); /* unknown: treated as reserved */
	/* counting only, then too small */
	ck_assert_int_eq(ku_parse_resv_regions(text, strlen(text), NULL, 0, &n, err, sizeof(err)),
			 -EMSGSIZE);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(ku_parse_resv_regions(text, strlen(text), r, 2, &n, err, sizeof(err)),
			 -EMSGSIZE);
	ck_assert_uint_eq(r[1].type, IOASID_RESV_MSI);
	/* empty file, blank lines, no final newline */
	ck_assert_int_eq(ku_parse_resv_regions("", 0, r, 8, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(ku_parse_resv_regions("\n0x1000 0x1fff msi", 19, r, 8, &n, err,
					       sizeof(err)), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(r[0].last, 0x1fff);
}
END_TEST

START_TEST(test_resv_parse_bad)
{
	static const char *const bad[] = {
		"0x1000 msi\n",                          /* no end */
		"0x2000 0x1000 msi\n",                   /* end below start */
		"0x1000 0x1fff\n",                       /* no type */
		"zz 0x1fff msi\n",                       /* not hex */
		"0x1000 0x1fff msi extra\n",             /* trailing word */
		"0x10000000000000000 0x1 msi\n",         /* 17 digits */
	};
	struct ioasid_cap_resv_region r[4];
	char err[200];
	uint32_t n, i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ck_assert_msg(ku_parse_resv_regions(bad[i], strlen(bad[i]), r, 4, &n, err,
						    sizeof(err)) == -EINVAL, "'%s' accepted", bad[i]);
		ck_assert_msg(strstr(err, "line 1"), "message '%s'", err);
	}
	/* the line number of a later bad line */
	ck_assert_int_eq(ku_parse_resv_regions("0x1 0x2 msi\n0x3\n", 16, r, 4, &n, err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "line 2"));
}
END_TEST

START_TEST(test_bdf)
{
	ck_assert(ku_is_bdf("0000:00:01.0"));
	ck_assert(ku_is_bdf("00:1f.7"));
	ck_assert(ku_is_bdf("abcd:ef:1f.7"));
	ck_assert(!ku_is_bdf("0000:00:01.0x"));
	ck_assert(!ku_is_bdf("/dev/vfio/devices/vfio0"));
	ck_assert(!ku_is_bdf("0000:00:01"));
	ck_assert(!ku_is_bdf("sim0"));
	ck_assert(!ku_is_bdf(""));
}
END_TEST

static void put16(uint8_t *c, size_t off, uint16_t v)
{
	c[off] = (uint8_t)v;
	c[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *c, size_t off, uint32_t v)
{
	put16(c, off, (uint16_t)v);
	put16(c, off + 2, (uint16_t)(v >> 16));
}

START_TEST(test_pci_config)
{
	static uint8_t cfg[4096];
	struct ku_pci_feats f;

	/* conventional PCI without a capability list: known, nothing */
	memset(cfg, 0, sizeof(cfg));
	ku_pci_parse_config(cfg, 256, &f);
	ck_assert(f.known && !f.ats && !f.pri && !f.pasid);
	/* too short to tell */
	ku_pci_parse_config(cfg, 32, &f);
	ck_assert(!f.known);
	/* a list with MSI (0x05) then PCIe (0x10) */
	put16(cfg, 0x06, 0x10);
	cfg[0x34] = 0x40;
	cfg[0x40] = 0x05;
	cfg[0x41] = 0x50;
	cfg[0x50] = 0x10;
	cfg[0x51] = 0x00;
	/* PCIe but only 256 bytes readable (not root): unknown */
	ku_pci_parse_config(cfg, 256, &f);
	ck_assert(!f.known);
	/* extended: AER (1) -> ATS (0xf) -> PRI (0x13) -> PASID (0x1b) */
	put32(cfg, 0x100, 0x0001u | 1u << 16 | 0x140u << 20);
	put32(cfg, 0x140, 0x000fu | 1u << 16 | 0x160u << 20);
	put32(cfg, 0x160, 0x0013u | 1u << 16 | 0x180u << 20);
	put32(cfg, 0x180, 0x001bu | 1u << 16);
	ku_pci_parse_config(cfg, 4096, &f);
	ck_assert(f.known && f.ats && f.pri && f.pasid);
	/* a loop in the extended list ends */
	put32(cfg, 0x180, 0x001bu | 1u << 16 | 0x100u << 20);
	ku_pci_parse_config(cfg, 4096, &f);
	ck_assert(f.known && f.ats && f.pri && f.pasid);
	/* a loop in the classic list ends too (no PCIe found: conventional) */
	cfg[0x51] = 0x40;
	cfg[0x50] = 0x09;
	ku_pci_parse_config(cfg, 4096, &f);
	ck_assert(f.known && !f.ats);
}
END_TEST

/* ---- facts -> chain ---- */

static void *chain_of_sim(size_t *len)
{
	struct ioasid_ctx *ctx = NULL;
	static uint8_t buf[4096];
	uint32_t d;

	ck_assert_int_eq(ioasid_ctx_open("sim:qemu-vtd", NULL, &ctx), 0);
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &d));
	ck_assert_ok(ctx, ioasid_dev_info(ctx, d, buf, sizeof(buf), len));
	ioasid_ctx_close(ctx);
	return buf;
}

/* Compare every capability's content, ignoring only hdr.source. */
static void chains_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	static const uint16_t ids[] = {
		IOASID_CAP_PAGE_SIZES, IOASID_CAP_ADDR_WIDTH, IOASID_CAP_PASID,
		IOASID_CAP_IOVA_RANGES, IOASID_CAP_RESV_REGIONS, IOASID_CAP_FEATURES,
		IOASID_CAP_VTD,
	};
	uint8_t x[512], y[512];
	char err[200];
	uint32_t i, sx, sy;

	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		memset(x, 0, sizeof(x));
		memset(y, 0, sizeof(y));
		ck_assert_msg(!ioasid_caps_get(a, alen, 0, ids[i], x, sizeof(x), &sx),
			      "cap %s missing: %s", ioasid_cap_id_name(ids[i]), err);
		ck_assert_msg(!ioasid_caps_get(b, blen, 0, ids[i], y, sizeof(y), &sy),
			      "sim cap %s missing: %s", ioasid_cap_id_name(ids[i]), err);
		ck_assert_uint_eq(sx, sy);
		/* the header's next/source may differ; the content may not */
		ck_assert_msg(!memcmp(x + sizeof(struct ioasid_cap_header),
				      y + sizeof(struct ioasid_cap_header),
				      sx - sizeof(struct ioasid_cap_header)),
			      "cap %s differs from the sim's", ioasid_cap_id_name(ids[i]));
	}
}

static void vtd_facts(struct ku_dev_facts *f, struct ku_iommu_hw_info_vtd *v,
		      struct ioasid_cap_resv_region *msi, struct ioasid_iova_range *r)
{
	memset(f, 0, sizeof(*f));
	memset(v, 0, sizeof(*v));
	v->flags = KU_IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17; /* Linux always sets it */
	v->cap_reg = QEMU_VTD_CAP;
	v->ecap_reg = QEMU_VTD_ECAP;
	msi->start = 0xfee00000;
	msi->last = 0xfeefffff;
	msi->type = IOASID_RESV_MSI;
	msi->pad = 0;
	r[0].start = 0;
	r[0].last = 0xfedfffff;
	r[1].start = 0xfef00000;
	r[1].last = (1ull << 39) - 1;
	f->hw_info = true;
	f->hw_type = KU_IOMMU_HW_INFO_TYPE_INTEL_VTD;
	f->data = v;
	f->data_len = sizeof(*v);
	f->resv = msi;
	f->nr_resv = 1;
	f->pci.known = true;
	f->coherent = true;
	f->can_nest = f->can_pasid = f->can_dirty = true;
	f->host_page_size = 4096;
}

START_TEST(test_describe_qemu_vtd)
{
	struct ku_iommu_hw_info_vtd v;
	struct ioasid_cap_resv_region msi;
	struct ioasid_iova_range r[2];
	struct ku_dev_facts f;
	struct ioasid_dev dev;
	size_t slen;
	void *sim = chain_of_sim(&slen);
	int probed;

	/* probed (as in the VM) and not probed (derived from MGAW) */
	for (probed = 1; probed >= 0; probed--) {
		vtd_facts(&f, &v, &msi, r);
		if (probed) {
			f.probed = true;
			f.alignment = 4096;
			f.ranges = r;
			f.nr_ranges = 2;
		}
		memset(&dev, 0, sizeof(dev));
		snprintf(dev.name, sizeof(dev.name), "edu");
		ck_assert_int_eq(ku_dev_describe(NULL, &dev, &f), 0);
		ck_assert_int_eq(ioasid_caps_validate(dev.caps, dev.caps_len, 0), 0);
		chains_equal(dev.caps, dev.caps_len, sim, slen);
		ck_assert_uint_eq(dev.props.pgsize_bitmap, 0x1000 | 0x200000 | 0x40000000);
		ck_assert_uint_eq(dev.props.aperture_start, 0);
		ck_assert_uint_eq(dev.props.aperture_last, (1ull << 39) - 1);
		ck_assert_uint_eq(dev.props.nr_resv, 1);
		ck_assert_uint_eq(dev.props.resv[0].start, 0xfee00000);
		ck_assert_uint_eq(dev.props.pasid_width, 0);
		ck_assert(!dev.props.nesting && !dev.props.dirty_tracking && !dev.props.ats);
		ioasid_caps_free(dev.caps);
		ioasid_free(dev.props.resv);
	}
}
END_TEST

START_TEST(test_describe_features)
{
	/* scalable mode with nesting, PASIDs, dirty tracking, an ATS+PRI device */
	const uint64_t ecap = QEMU_VTD_ECAP | 1ull << 2 /* DT */ | 1ull << 26 /* NEST */ |
			      1ull << 29 /* PRS */ | 1ull << 40 /* PASID */ | 19ull << 35 |
			      1ull << 43 /* SMTS */ | 1ull << 46 /* SLTS */ | 1ull << 47 /* FLTS */;
	struct ku_iommu_hw_info_vtd v;
	struct ioasid_cap_resv_region resv[2];
	struct ioasid_iova_range r[2];
	struct ioasid_cap_features fe;
	struct ku_dev_facts f;
	struct ioasid_dev dev;

	vtd_facts(&f, &v, &resv[0], r);
	v.ecap_reg = ecap;
	f.max_pasid_log2 = 20;
	f.hw_caps = KU_IOMMU_HW_CAP_DIRTY_TRACKING | KU_IOMMU_HW_CAP_PCI_PASID_EXEC;
	f.pci.ats = f.pci.pri = f.pci.pasid = true;
	/* a relaxable region is listed but does not bind the IOAS */
	resv[1] = (struct ioasid_cap_resv_region){ 0xa0000, 0xbffff, IOASID_RESV_DIRECT_RELAXABLE, 0 };
	f.nr_resv = 2;
	f.resv = resv;
	memset(&dev, 0, sizeof(dev));
	ck_assert_int_eq(ku_dev_describe(NULL, &dev, &f), 0);
	ck_assert(dev.props.nesting);
	ck_assert_uint_eq(dev.props.vendor_s1, IOASID_HWPT_NESTED_VTD_S1);
	ck_assert(dev.props.dirty_tracking && dev.props.ats && dev.props.pri);
	ck_assert_uint_eq(dev.props.pasid_width, 20);
	ck_assert_uint_eq(dev.props.nr_resv, 1);
	/* first-stage page sizes and the 48-bit first-stage input in scalable mode */
	ck_assert_uint_eq(dev.props.pgsize_bitmap, 0x1000 | 0x200000);
	ck_assert_int_eq(ioasid_caps_get(dev.caps, dev.caps_len, 0, IOASID_CAP_FEATURES, &fe,
					 sizeof(fe), NULL), 0);
	ck_assert(fe.features & IOASID_FEAT_PASID_EXEC);
	ck_assert(!(fe.features & IOASID_FEAT_PASID_PRIV));
	ck_assert((fe.known & fe.features) == fe.features);
	ioasid_caps_free(dev.caps);
	ioasid_free(dev.props.resv);

	/* the vfio backend's view of the same: no nesting, PASID or dirty */
	f.can_nest = f.can_pasid = f.can_dirty = false;
	memset(&dev, 0, sizeof(dev));
	ck_assert_int_eq(ku_dev_describe(NULL, &dev, &f), 0);
	ck_assert(!dev.props.nesting && !dev.props.dirty_tracking && !dev.props.pasid_width);
	ioasid_caps_free(dev.caps);
	ioasid_free(dev.props.resv);

	/* no hw_info data at all (virtio-iommu): the alignment is the page size */
	memset(&f, 0, sizeof(f));
	f.hw_info = true;
	f.probed = true;
	f.alignment = 4096;
	f.ranges = r;
	f.nr_ranges = 1;
	r[0] = (struct ioasid_iova_range){ 0, (1ull << 48) - 1 };
	memset(&dev, 0, sizeof(dev));
	ck_assert_int_eq(ku_dev_describe(NULL, &dev, &f), 0);
	ck_assert_uint_eq(dev.props.pgsize_bitmap, 4096);
	ck_assert_uint_eq(dev.props.aperture_last, (1ull << 48) - 1);
	ioasid_caps_free(dev.caps);
	ioasid_free(dev.props.resv);
}
END_TEST

/* ---- a fake kernel behind the ioctl seam ---- */

struct fake {
	uint32_t next_id;
	unsigned long fail_req; /* refuse this request ... */
	int fail_err;           /* ... with this */
	uint32_t maps, unmaps, attaches, detaches, destroys;
	struct ku_iommu_ioas_map last_map;
	struct ku_iommu_ioas_unmap last_unmap;
	struct ku_vfio_device_attach_iommufd_pt last_attach;
	struct ku_iommu_hwpt_alloc last_hwpt;
	struct ku_iommu_hwpt_vtd_s1 last_s1;
	struct ku_iommu_hwpt_invalidate last_inv;
	struct ku_iommu_hwpt_vtd_s1_invalidate last_entry;
	uint64_t ecap;
	uint32_t bound;
	struct fake_fq *fq;   /* fault queues (test_fake_kernel_faults) */
	uint32_t nr_fq;
};

/*
 * A kernel fault queue as §1.5 describes it (and 7.2's eventq.c does):
 * records wait in whole groups; a read takes as many whole groups as fit,
 * giving each the lowest free cookie; a read that cannot take the first
 * group fails with EINVAL (old_kernel: returns 0); a response consumes
 * its cookie, EINVAL for an unknown one or a code other than 0/1. The fd
 * is an eventfd, readable while groups wait.
 */
#define FQ_MAX 32

struct fake_fq {
	int fd;
	uint32_t id;
	bool old_kernel;
	bool destroyed, fd_was_closed;
	struct ku_iommu_hwpt_pgfault recs[FQ_MAX];
	uint32_t nr;
	bool outstanding[FQ_MAX + 1];
	uint32_t writes;
	struct ku_iommu_hwpt_page_response last;
};

static struct fake_fq *fake_fq_of(struct fake *k, int fd)
{
	uint32_t i;

	for (i = 0; i < k->nr_fq; i++)
		if (k->fq[i].fd == fd && !k->fq[i].destroyed)
			return &k->fq[i];
	ck_abort_msg("fault io on fd %d, which is no fake fault queue", fd);
	return NULL;
}

static void fake_fq_signal(struct fake_fq *f)
{
	uint64_t v = 1;

	if (f->nr)
		ck_assert_int_eq(write(f->fd, &v, sizeof(v)), sizeof(v));
	else
		(void)!read(f->fd, &v, sizeof(v));
}

/* The device raises a group of @n records at @addr, @addr + 4K, ... */
static void fake_fq_raise(struct fake_fq *f, uint32_t dev_id, bool pasid_valid, uint32_t pasid,
			  uint64_t addr, uint32_t perm, uint32_t n)
{
	uint32_t i;

	ck_assert_uint_le(f->nr + n, FQ_MAX);
	for (i = 0; i < n; i++) {
		struct ku_iommu_hwpt_pgfault *r = &f->recs[f->nr++];

		memset(r, 0, sizeof(*r));
		r->flags = (pasid_valid ? 1u : 0) | (i == n - 1 ? 2u : 0);
		r->dev_id = dev_id;
		r->pasid = pasid_valid ? pasid : 0;
		r->grpid = 5;
		r->perm = perm;
		r->addr = addr + 4096ull * i;
	}
	fake_fq_signal(f);
}

static ssize_t fake_fault_io(void *data, int fd, void *buf, size_t len, bool is_write)
{
	struct fake_fq *f = fake_fq_of(data, fd);
	size_t done = 0;

	if (is_write) {
		struct ku_iommu_hwpt_page_response r;

		if (len % sizeof(r))
			return -ESPIPE;
		for (; done < len; done += sizeof(r)) {
			memcpy(&r, (uint8_t *)buf + done, sizeof(r));
			if (r.code > 1 || r.cookie == 0 || r.cookie > FQ_MAX || !f->outstanding[r.cookie])
				return done ? (ssize_t)done : -EINVAL;
			f->outstanding[r.cookie] = false;
			f->writes++;
			f->last = r;
		}
		return (ssize_t)done;
	}
	if (len % sizeof(f->recs[0]))
		return -ESPIPE;
	while (f->nr) {
		uint32_t n, i, cookie;

		for (n = 0; n < f->nr && !(f->recs[n].flags & 2u); n++)
			;
		n++;
		if (n * sizeof(f->recs[0]) > len - done) {
			if (!done)
				return f->old_kernel ? 0 : -EINVAL;
			break;
		}
		for (cookie = 1; f->outstanding[cookie]; cookie++)
			;
		f->outstanding[cookie] = true;
		for (i = 0; i < n; i++) {
			f->recs[i].cookie = cookie;
			memcpy((uint8_t *)buf + done, &f->recs[i], sizeof(f->recs[0]));
			done += sizeof(f->recs[0]);
		}
		memmove(f->recs, f->recs + n, (f->nr - n) * sizeof(f->recs[0]));
		f->nr -= n;
	}
	fake_fq_signal(f);
	return (ssize_t)done;
}

static int fake_ioctl(void *data, int fd, unsigned long req, void *arg)
{
	struct fake *k = data;

	if (req == k->fail_req && k->fail_err)
		return k->fail_err;
	switch (req) {
	case KU_IOMMU_IOAS_ALLOC:
		((struct ku_iommu_ioas_alloc *)arg)->out_ioas_id = k->next_id++;
		return 0;
	case KU_IOMMU_DESTROY: {
		uint32_t i, id = ((struct ku_iommu_destroy *)arg)->id;

		k->destroys++;
		for (i = 0; i < k->nr_fq; i++) {
			if (k->fq[i].id == id && !k->fq[i].destroyed) {
				/* the library closed the fd first (it holds the object) */
				k->fq[i].fd_was_closed = fcntl(k->fq[i].fd, F_GETFD) < 0 && errno == EBADF;
				k->fq[i].destroyed = true;
			}
		}
		return 0;
	}
	case KU_IOMMU_FAULT_QUEUE_ALLOC: {
		struct ku_iommu_fault_alloc *a = arg;
		struct fake_fq *f;

		ck_assert_ptr_nonnull(k->fq);
		ck_assert_uint_eq(a->size, sizeof(*a));
		ck_assert_uint_eq(a->flags, 0);
		f = &k->fq[k->nr_fq++];
		memset(f, 0, sizeof(*f));
		/* neither close-on-exec nor non-blocking: the library sets both */
		f->fd = eventfd(0, 0);
		ck_assert_int_ge(f->fd, 0);
		f->id = k->next_id++;
		a->out_fault_id = f->id;
		a->out_fault_fd = (uint32_t)f->fd;
		return 0;
	}
	case KU_IOMMU_IOAS_MAP:
		k->maps++;
		k->last_map = *(struct ku_iommu_ioas_map *)arg;
		return 0;
	case KU_IOMMU_IOAS_UNMAP:
		k->unmaps++;
		k->last_unmap = *(struct ku_iommu_ioas_unmap *)arg;
		return 0;
	case KU_VFIO_DEVICE_BIND_IOMMUFD:
		k->bound++;
		((struct ku_vfio_device_bind_iommufd *)arg)->out_devid = 77;
		return 0;
	case KU_IOMMU_GET_HW_INFO: {
		struct ku_iommu_hw_info *h = arg;
		struct ku_iommu_hw_info_vtd v = { .cap_reg = QEMU_VTD_CAP, .ecap_reg = k->ecap };

		ck_assert_uint_eq(h->dev_id, 77);
		memcpy((void *)(uintptr_t)h->data_uptr, &v, IOASID_MIN(h->data_len, sizeof(v)));
		h->data_len = sizeof(v);
		h->data_type = KU_IOMMU_HW_INFO_TYPE_INTEL_VTD;
		h->out_max_pasid_log2 = 0;
		h->out_capabilities = 0;
		return 0;
	}
	case KU_VFIO_DEVICE_ATTACH_IOMMUFD_PT: {
		struct ku_vfio_device_attach_iommufd_pt *a = arg;

		k->attaches++;
		k->last_attach = *a;
		a->pt_id = 500 + a->pt_id;
		return 0;
	}
	case KU_VFIO_DEVICE_DETACH_IOMMUFD_PT:
		k->detaches++;
		return 0;
	case KU_IOMMU_IOAS_IOVA_RANGES: {
		struct ku_iommu_ioas_iova_ranges *q = arg;
		struct ku_iommu_iova_range *r = (void *)(uintptr_t)q->allowed_iovas;

		q->out_iova_alignment = 4096;
		if (q->num_iovas < 2) {
			q->num_iovas = 2;
			return -EMSGSIZE;
		}
		q->num_iovas = 2;
		r[0].start = 0;
		r[0].last = 0xfedfffff;
		r[1].start = 0xfef00000;
		r[1].last = (1ull << 39) - 1;
		return 0;
	}
	case KU_IOMMU_HWPT_ALLOC: {
		struct ku_iommu_hwpt_alloc *a = arg;

		if (a->data_type == KU_IOMMU_HWPT_DATA_VTD_S1)
			memcpy(&k->last_s1, (void *)(uintptr_t)a->data_uptr, sizeof(k->last_s1));
		a->out_hwpt_id = k->next_id++;
		k->last_hwpt = *a;
		return 0;
	}
	case KU_IOMMU_HWPT_INVALIDATE: {
		struct ku_iommu_hwpt_invalidate *inv = arg;

		k->last_inv = *inv;
		if (inv->entry_num && inv->entry_len >= sizeof(k->last_entry))
			memcpy(&k->last_entry, (void *)(uintptr_t)inv->data_uptr,
			       sizeof(k->last_entry));
		return 0;
	}
	default:
		return -ENOTTY;
	}
}

static char fake_root[64];

static void mkpath(const char *rel, const char *content)
{
	char path[256], *s;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fake_root, rel);
	for (s = path + strlen(fake_root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	if (content) {
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fputs(content, f);
		fclose(f);
	} else {
		mkdir(path, 0755);
	}
}

static void mklink(const char *rel, const char *target)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", fake_root, rel);
	ck_assert_int_eq(symlink(target, path), 0);
}

/* A sysfs tree with one device, 0000:00:01.0, whose cdev is /dev/null's 1:3. */
static void fake_sysfs(void)
{
	static const char dev[] = "devices/pci0000:00/0000:00:01.0";
	char cfg[256];
	FILE *f;

	snprintf(fake_root, sizeof(fake_root), "/tmp/ioasid-fakesys.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fake_root));
	mkpath("devices/pci0000:00/0000:00:01.0/vfio-dev/vfio0", NULL);
	mkpath("kernel/iommu_groups/5/reserved_regions",
	       "0x00000000fee00000 0x00000000feefffff msi\n");
	mkpath("devices/virtual/iommu/dmar0/intel-iommu/cap", "d2008c22260286\n");
	mkpath("bus/pci/devices/x", NULL);
	mkpath("dev/char/x", NULL);
	mklink("bus/pci/devices/0000:00:01.0", "../../../devices/pci0000:00/0000:00:01.0");
	mklink("dev/char/1:3", "../../devices/pci0000:00/0000:00:01.0/vfio-dev/vfio0");
	mklink("devices/pci0000:00/0000:00:01.0/iommu_group", "../../../kernel/iommu_groups/5");
	(void)dev;
	/* conventional PCI config space */
	memset(cfg, 0, sizeof(cfg));
	{
		char path[256];

		snprintf(path, sizeof(path), "%s/devices/pci0000:00/0000:00:01.0/config", fake_root);
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(fwrite(cfg, 1, sizeof(cfg), f), sizeof(cfg));
		fclose(f);
	}
}

static void fake_sysfs_rm(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fake_root);
	ck_assert_int_eq(system(cmd), 0);
}

static struct ioasid_ctx *fake_ctx(struct fake *k)
{
	struct ioasid_ctx *ctx = NULL;

	memset(k, 0, sizeof(*k));
	k->next_id = 1;
	k->ecap = QEMU_VTD_ECAP;
	ck_assert_int_eq(ioasid_ctx_open("iommufd:/dev/null", NULL, &ctx), 0);
	ck_assert_int_eq(iommufd_set_ioctl_hook(ctx, fake_ioctl, k), 0);
	ck_assert_int_eq(iommufd_set_sysfs_root(ctx, fake_root), 0);
	ioasid_ctx_set_pinned_limit(ctx, UINT64_MAX);
	return ctx;
}

/* The HWPT object the core made, found by kind. */
static uint32_t find_hwpt(struct ioasid_ctx *ctx)
{
	uint32_t id;

	for (id = 1; id < 64; id++)
		if (ioasid_obj_kind(ctx, id) == IOASID_OBJ_HWPT)
			return id;
	return 0;
}

START_TEST(test_fake_kernel_ioas)
{
	const uint32_t RW = IOASID_MAP_READ | IOASID_MAP_WRITE, F = IOASID_MAP_FIXED_IOVA;
	struct fake k;
	struct ioasid_ctx *ctx;
	struct ioasid_mapping m;
	uint8_t *buf = test_mem(4 * 4096);
	uint32_t a, kid = 0;
	uint64_t iova = 0x100000, got;
	int fd = -1;

	fake_sysfs();
	ctx = fake_ctx(&k);
	ck_assert_ok(ctx, ioasid_ctx_fd(ctx, &fd));
	ck_assert_int_ge(fd, 0);
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	ck_assert_ok(ctx, ioasid_obj_kernel_id(ctx, a, &kid));
	ck_assert_uint_eq(kid, 1);
	/* a map reaches the kernel at the library's IOVA with its permissions */
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, a, buf, 2 * 4096, F | IOASID_MAP_READ, &iova));
	ck_assert_uint_eq(k.maps, 1);
	ck_assert_uint_eq(k.last_map.ioas_id, 1);
	ck_assert_uint_eq(k.last_map.iova, 0x100000);
	ck_assert_uint_eq(k.last_map.length, 2 * 4096);
	ck_assert_uint_eq(k.last_map.user_va, (uintptr_t)buf);
	ck_assert_uint_eq(k.last_map.flags, KU_IOMMU_IOAS_MAP_FIXED_IOVA | KU_IOMMU_IOAS_MAP_READABLE);
	/* automatic IOVA: chosen by the library, sent as FIXED */
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, a, buf + 2 * 4096, 4096, RW, &iova));
	ck_assert(k.last_map.flags & KU_IOMMU_IOAS_MAP_FIXED_IOVA);
	ck_assert_uint_eq(k.last_map.iova, iova);
	/* the kernel refuses: the library returns its errno and keeps nothing */
	k.fail_req = KU_IOMMU_IOAS_MAP;
	k.fail_err = -ENOMEM;
	iova = 0x400000;
	ck_assert_ret(ctx, ioasid_ioas_map(ctx, a, buf, 4096, F | RW, &iova), -ENOMEM);
	ck_assert_errmsg_has(ctx, "IOMMU_IOAS_MAP");
	ck_assert_int_eq(ioasid_ioas_lookup(ctx, a, 0x400000, &m), -ENOENT);
	k.fail_err = 0;
	/* refused by the library: the kernel is not asked */
	ck_assert_ret(ctx, ioasid_ioas_map(ctx, a, buf, 4096, F | RW, &(uint64_t){ 0x100000 }),
		      -EEXIST);
	ck_assert_uint_eq(k.maps, 2);
	ck_assert_ret(ctx, ioasid_ioas_unmap(ctx, a, 0x100000, 4096, NULL), -ENOENT);
	ck_assert_uint_eq(k.unmaps, 0);
	/* unmap: exactly the area */
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, a, 0x100000, 2 * 4096, &got));
	ck_assert_uint_eq(k.unmaps, 1);
	ck_assert_uint_eq(k.last_unmap.iova, 0x100000);
	ck_assert_uint_eq(k.last_unmap.length, 2 * 4096);
	/* huge pages off goes to the kernel; a kernel refusal restores it */
	k.fail_req = KU_IOMMU_OPTION;
	k.fail_err = -EINVAL;
	ck_assert_ret(ctx, ioasid_ioas_set_option(ctx, a, IOASID_IOAS_OPT_HUGE_PAGES, 0), -EINVAL);
	ck_assert_ok(ctx, ioasid_ioas_get_option(ctx, a, IOASID_IOAS_OPT_HUGE_PAGES, &got));
	ck_assert_uint_eq(got, 1);
	k.fail_err = 0;
	/* IOAS alloc refused by the kernel */
	k.fail_req = KU_IOMMU_IOAS_ALLOC;
	k.fail_err = -ENOTTY;
	ck_assert_ret(ctx, ioasid_ioas_alloc(ctx, &kid), -ENOTTY);
	ck_assert_errmsg_has(ctx, "not an iommufd");
	k.fail_err = 0;
	ck_assert_ok(ctx, ioasid_ioas_destroy(ctx, a));
	ck_assert_uint_eq(k.unmaps, 2); /* the remaining area went first */
	ck_assert_uint_eq(k.destroys, 1);
	ioasid_ctx_close(ctx);
	fake_sysfs_rm();
	munmap(buf, 4 * 4096);
}
END_TEST

START_TEST(test_fake_kernel_device)
{
	const uint32_t RW = IOASID_MAP_READ | IOASID_MAP_WRITE, F = IOASID_MAP_FIXED_IOVA;
	struct ioasid_iova_range r[4];
	struct fake k;
	struct ioasid_ctx *ctx;
	uint8_t *buf = test_mem(4096);
	uint32_t a, b, d, h, n = 4, kid = 0;
	uint64_t iova = 0xfee00000, align;
	char name[64];
	int fd, got;

	fake_sysfs();
	ctx = fake_ctx(&k);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_ok(ctx, ioasid_dev_bind_fd(ctx, fd, &d));
	ck_assert_uint_eq(k.bound, 1);
	/* the probe attached once and detached */
	ck_assert_uint_eq(k.attaches, 1);
	ck_assert_uint_eq(k.detaches, 1);
	ck_assert_ok(ctx, ioasid_dev_name(ctx, d, name, sizeof(name)));
	ck_assert_str_eq(name, "/dev/vfio/devices/vfio0");
	ck_assert_ok(ctx, ioasid_obj_kernel_id(ctx, d, &kid));
	ck_assert_uint_eq(kid, 77);
	ck_assert_ok(ctx, ioasid_dev_fd(ctx, d, &got));
	ck_assert_int_eq(got, fd);

	/* attach to an IOAS: the kernel attaches to the IOAS id */
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, a, NULL));
	ck_assert_uint_eq(k.last_attach.pt_id, 2); /* 1 was the probe's IOAS */
	ck_assert_uint_eq(k.last_attach.flags, 0);
	h = find_hwpt(ctx);
	ck_assert_uint_ne(h, 0);
	ck_assert_ok(ctx, ioasid_obj_kernel_id(ctx, h, &kid));
	ck_assert_uint_eq(kid, 502); /* what the kernel reported */
	/* the device's reserved region and aperture now bind the IOAS */
	ck_assert_ok(ctx, ioasid_ioas_iova_ranges(ctx, a, r, &n, &align));
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(r[0].last, 0xfedfffff);
	ck_assert_uint_eq(r[1].last, (1ull << 39) - 1);
	ck_assert_uint_eq(align, 4096);
	ck_assert_ret(ctx, ioasid_ioas_map(ctx, a, buf, 4096, F | RW, &iova), -EINVAL);
	/* a kernel refusal of an attach leaves nothing behind */
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &b));
	k.fail_req = KU_VFIO_DEVICE_ATTACH_IOMMUFD_PT;
	k.fail_err = -EBUSY;
	ck_assert_ret(ctx, ioasid_dev_replace(ctx, d, IOASID_PASID_NONE, b, NULL), -EBUSY);
	ck_assert_errmsg_has(ctx, "VFIO_DEVICE_ATTACH_IOMMUFD_PT");
	k.fail_err = 0;
	ck_assert_ok(ctx, ioasid_dev_attached(ctx, d, IOASID_PASID_NONE, &kid));
	ck_assert_uint_eq(kid, a);
	n = 4;
	ck_assert_ok(ctx, ioasid_ioas_iova_ranges(ctx, b, r, &n, &align));
	ck_assert_uint_eq(n, 1);
	/* replace: one kernel attach, no detach in between */
	k.detaches = 0;
	ck_assert_ok(ctx, ioasid_dev_replace(ctx, d, IOASID_PASID_NONE, b, NULL));
	ck_assert_uint_eq(k.last_attach.pt_id, 3);
	ck_assert_uint_eq(k.detaches, 0);
	ck_assert_ok(ctx, ioasid_dev_detach(ctx, d, IOASID_PASID_NONE));
	ck_assert_uint_eq(k.detaches, 1);
	/* QEMU's VT-d (legacy mode): no nesting, dirty tracking or PASID */
	ck_assert_ret(ctx, ioasid_hwpt_alloc(ctx, d, a,
					     &(struct ioasid_hwpt_opts){ .sz = sizeof(struct ioasid_hwpt_opts),
									  .flags = IOASID_HWPT_NEST_PARENT },
					     &h), -EOPNOTSUPP);
	ck_assert_ok(ctx, ioasid_dev_unbind(ctx, d));
	/* the caller keeps its fd */
	ck_assert_int_eq(fcntl(fd, F_GETFD), FD_CLOEXEC);
	close(fd);
	ioasid_ctx_close(ctx);
	fake_sysfs_rm();
	munmap(buf, 4096);
}
END_TEST

START_TEST(test_fake_kernel_nested)
{
	/* a scalable-mode VT-d with nesting */
	const uint64_t ecap = QEMU_VTD_ECAP | 1ull << 26 | 1ull << 43 | 1ull << 46 | 1ull << 47;
	struct ioasid_hwpt_vtd_s1 s1 = { .pgtbl_addr = 0x200000, .addr_width = 48 };
	struct ioasid_inv_req req;
	struct ku_iommu_hwpt_vtd_s1_invalidate raw[2];
	struct fake k;
	struct ioasid_ctx *ctx;
	uint32_t a, d, parent, nested, n, kid;
	int fd;

	fake_sysfs();
	ctx = fake_ctx(&k);
	k.ecap = ecap;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ck_assert_ok(ctx, ioasid_dev_bind_fd(ctx, fd, &d));
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, d, a,
					    &(struct ioasid_hwpt_opts){ .sz = sizeof(struct ioasid_hwpt_opts),
									 .flags = IOASID_HWPT_NEST_PARENT },
					    &parent));
	ck_assert_uint_eq(k.last_hwpt.flags, KU_IOMMU_HWPT_ALLOC_NEST_PARENT);
	ck_assert_uint_eq(k.last_hwpt.dev_id, 77);
	ck_assert_ok(ctx, ioasid_obj_kernel_id(ctx, parent, &kid));
	ck_assert_uint_eq(kid, k.last_hwpt.out_hwpt_id);
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, d, parent,
					    &(struct ioasid_hwpt_opts){ .sz = sizeof(struct ioasid_hwpt_opts),
									 .type = IOASID_HWPT_NESTED_VTD_S1,
									 .data = &s1, .data_len = sizeof(s1) },
					    &nested));
	ck_assert_uint_eq(k.last_hwpt.pt_id, kid);
	ck_assert_uint_eq(k.last_hwpt.data_type, KU_IOMMU_HWPT_DATA_VTD_S1);
	ck_assert_uint_eq(k.last_hwpt.data_len, 24);
	ck_assert_uint_eq(k.last_s1.pgtbl_addr, 0x200000);
	ck_assert_uint_eq(k.last_s1.addr_width, 48);
	/* a typed range request becomes one VT-d entry in 4 KiB pages */
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.version = 1;
	req.kind = IOASID_INV_IOTLB;
	req.granularity = IOASID_INV_RANGE;
	req.flags = IOASID_INV_LEAF;
	req.pasid = IOASID_PASID_NONE;
	req.log2_pgsize = 21;
	req.addr = 0x400000;
	req.npages = 2;
	n = 1;
	ck_assert_ok(ctx, ioasid_hwpt_invalidate(ctx, nested, &req, &n, NULL));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(k.last_inv.data_type, KU_IOMMU_HWPT_INVALIDATE_DATA_VTD_S1);
	ck_assert_uint_eq(k.last_inv.entry_num, 1);
	ck_assert_uint_eq(k.last_entry.addr, 0x400000);
	ck_assert_uint_eq(k.last_entry.npages, 1024);
	ck_assert_uint_eq(k.last_entry.flags, KU_IOMMU_VTD_INV_FLAGS_LEAF);
	/* everything */
	req.granularity = IOASID_INV_ALL;
	n = 1;
	ck_assert_ok(ctx, ioasid_hwpt_invalidate(ctx, nested, &req, &n, NULL));
	ck_assert_uint_eq(k.last_entry.addr, 0);
	ck_assert_uint_eq(k.last_entry.npages, UINT64_MAX);
	/* a raw array passes through unchanged; the kernel's count comes back */
	memset(raw, 0, sizeof(raw));
	raw[0].addr = 0x1000;
	raw[0].npages = 3;
	n = 2;
	ck_assert_ok(ctx, ioasid_hwpt_invalidate_raw(ctx, nested, IOASID_INV_DATA_VTD_S1, raw,
						     sizeof(raw[0]), &n));
	ck_assert_uint_eq(k.last_inv.entry_num, 2);
	ck_assert_uint_eq(k.last_inv.entry_len, 24);
	ck_assert_uint_eq(k.last_entry.npages, 3);
	k.fail_req = KU_IOMMU_HWPT_INVALIDATE;
	k.fail_err = -EOPNOTSUPP;
	n = 2;
	ck_assert_ret(ctx, ioasid_hwpt_invalidate_raw(ctx, nested, IOASID_INV_DATA_VTD_S1, raw,
						      sizeof(raw[0]), &n), -EOPNOTSUPP);
	k.fail_err = 0;
	ck_assert_ok(ctx, ioasid_hwpt_destroy(ctx, nested));
	ck_assert_ok(ctx, ioasid_hwpt_destroy(ctx, parent));
	ioasid_ctx_close(ctx);
	close(fd);
	fake_sysfs_rm();
}
END_TEST

static uint64_t fq_now;

static uint64_t fq_clock(void *data)
{
	(void)data;
	return fq_now;
}

static bool fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* Read one group of @want records off @q; returns its cookie. */
static uint64_t fq_read_one(struct ioasid_ctx *ctx, uint32_t q, struct ioasid_fault *f,
			    uint32_t want)
{
	uint32_t n = 8;

	ck_assert_ok(ctx, ioasid_fault_read(ctx, q, f, &n));
	ck_assert_uint_eq(n, want);
	ck_assert(f[n - 1].flags & IOASID_FAULT_F_LAST);
	return f[0].cookie;
}

/*
 * Fault queues on iommufd, against the fake kernel: the kernel queue and
 * its fd, FAULT_ID_VALID with the kernel's fault id (explicit and
 * automatic domains), whole-group reads converted with the library's
 * device and HWPT ids and cookies, responses as the kernel's bytes
 * (FAILURE as INVALID), the rules the kernel cannot know (one response,
 * EPERM through another set's queue, the timeout), the kernel's EINVAL,
 * detach, destroy.
 */
START_TEST(test_fake_kernel_faults)
{
	const uint32_t R = 0x1u, RW = 0x1u | 0x2u; /* the kernel's perm READ, WRITE */
	struct ioasid_fault_queue_opts qo = { .sz = sizeof(qo), .timeout_ns = 1000 };
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho), .flags = IOASID_HWPT_FAULT_ID_VALID };
	struct ioasid_attach_opts ao = { .sz = sizeof(ao) };
	struct ioasid_set_opts so = { .sz = sizeof(so), .max_ioas = 4 };
	struct ioasid_fault_queue_stats st;
	struct ioasid_fault f[8];
	struct fake_fq fqs[4];
	struct fake k;
	struct ioasid_ctx *ctx;
	uint32_t a, d, s1, s2, q1, q2, h, auto_h, n, kid, expired;
	uint64_t c, c2;
	int fd, qfd;

	fake_sysfs();
	ctx = fake_ctx(&k);
	k.fq = fqs;
	/* an injected clock from the start: no timer thread, ioasid_fault_expire() */
	fq_now = 5000;
	ck_assert_ok(ctx, ioasid_ctx_set_clock(ctx, fq_clock, NULL));
	ck_assert_int_eq(iommufd_set_fault_io_hook(ctx, fake_fault_io, &k), 0);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ck_assert_ok(ctx, ioasid_dev_bind_fd(ctx, fd, &d));
	ck_assert_ok(ctx, ioasid_set_alloc(ctx, &so, &s1));
	ck_assert_ok(ctx, ioasid_set_alloc(ctx, &so, &s2));

	/* the kernel refuses a queue: its errno and a message naming the ioctl */
	k.fail_req = KU_IOMMU_FAULT_QUEUE_ALLOC;
	k.fail_err = -ENOTTY;
	qo.set = s1;
	ck_assert_ret(ctx, ioasid_fault_queue_alloc(ctx, &qo, &q1), -ENOTTY);
	ck_assert_errmsg_has(ctx, "IOMMU_FAULT_QUEUE_ALLOC");
	k.fail_err = 0;

	/* a kernel queue: its id, its fd (close-on-exec, non-blocking) */
	ck_assert_ok(ctx, ioasid_fault_queue_alloc(ctx, &qo, &q1));
	qo.set = s2;
	ck_assert_ok(ctx, ioasid_fault_queue_alloc(ctx, &qo, &q2));
	ck_assert_uint_eq(k.nr_fq, 2);
	ck_assert_ok(ctx, ioasid_obj_kernel_id(ctx, q1, &kid));
	ck_assert_uint_eq(kid, fqs[0].id);
	ck_assert_ok(ctx, ioasid_fault_queue_fd(ctx, q1, &qfd));
	ck_assert_int_eq(qfd, fqs[0].fd);
	ck_assert_int_eq(fcntl(qfd, F_GETFD), FD_CLOEXEC);
	ck_assert(fcntl(qfd, F_GETFL) & O_NONBLOCK);

	/* an HWPT with it: FAULT_ID_VALID and the kernel's fault id */
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	ho.fault_queue = q1;
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, d, a, &ho, &h));
	ck_assert_uint_eq(k.last_hwpt.flags, KU_IOMMU_HWPT_FAULT_ID_VALID);
	ck_assert_uint_eq(k.last_hwpt.fault_id, fqs[0].id);
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, h, NULL));

	/* nothing waits */
	n = 8;
	ck_assert_ok(ctx, ioasid_fault_read(ctx, q1, f, &n));
	ck_assert_uint_eq(n, 0);
	ck_assert(!fd_readable(qfd));

	/* a group of two: only whole, with the library's ids */
	fake_fq_raise(&fqs[0], 77, false, 0, 0x10000, RW, 2);
	ck_assert(fd_readable(qfd));
	n = 1;
	ck_assert_ret(ctx, ioasid_fault_read(ctx, q1, f, &n), -EMSGSIZE);
	ck_assert_uint_eq(n, 0);
	ck_assert_errmsg_has(ctx, "does not fit in 1 record");
	fqs[0].old_kernel = true; /* a kernel that reads 0 bytes instead */
	n = 1;
	ck_assert_ret(ctx, ioasid_fault_read(ctx, q1, f, &n), -EMSGSIZE);
	n = 0;
	ck_assert_ret(ctx, ioasid_fault_read(ctx, q1, NULL, &n), -EMSGSIZE);
	fqs[0].old_kernel = false;
	n = 0;
	ck_assert_ret(ctx, ioasid_fault_read(ctx, q1, NULL, &n), -EMSGSIZE);
	ck_assert(fd_readable(qfd));
	c = fq_read_one(ctx, q1, f, 2);
	ck_assert(!fd_readable(qfd));
	ck_assert_uint_ne(c, 0);
	ck_assert_uint_eq(f[1].cookie, c);
	ck_assert_uint_eq(f[0].dev, d);
	ck_assert_uint_eq(f[0].hwpt, h);
	ck_assert_uint_eq(f[1].hwpt, h);
	ck_assert_uint_eq(f[0].pasid, IOASID_PASID_NONE);
	ck_assert_uint_eq(f[0].addr, 0x10000);
	ck_assert_uint_eq(f[1].addr, 0x11000);
	ck_assert_uint_eq(f[0].grpid, 5);
	ck_assert_uint_eq(f[0].reason, IOASID_FAULT_R_PAGE_REQUEST);
	ck_assert_uint_eq(f[0].flags, IOASID_FAULT_F_READ | IOASID_FAULT_F_WRITE |
				      IOASID_FAULT_F_PAGE_REQ | IOASID_FAULT_F_ADDR_VALID |
				      IOASID_FAULT_F_GROUP_VALID);
	ck_assert(f[1].flags & IOASID_FAULT_F_LAST);
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q1, &st));
	ck_assert_uint_eq(st.raised, 2);
	ck_assert_uint_eq(st.delivered, 2);
	ck_assert_uint_eq(st.groups, 1);
	ck_assert_uint_eq(st.pending, 1);
	ck_assert_uint_eq(st.queued, 0);

	/* the rules the kernel cannot know: refused before it is asked */
	ck_assert_ret(ctx, ioasid_fault_respond(ctx, q2, c, IOASID_FAULT_SUCCESS), -EPERM);
	ck_assert_ret(ctx, ioasid_fault_respond(ctx, q1, c, 3), -EINVAL);
	ck_assert_uint_eq(fqs[0].writes, 0);
	ck_assert_uint_eq(fqs[1].writes, 0);
	ck_assert_ok(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS));
	ck_assert_uint_eq(fqs[0].writes, 1);
	ck_assert_uint_eq(fqs[0].last.cookie, 1);
	ck_assert_uint_eq(fqs[0].last.code, 0);
	ck_assert_ret(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS), -EINVAL);
	ck_assert_errmsg_has(ctx, "no pending group");
	ck_assert_uint_eq(fqs[0].writes, 1);

	/* the kernel reuses its cookie 1; the library's cookie is new. FAILURE goes as INVALID */
	fake_fq_raise(&fqs[0], 77, false, 0, 0x20000, R, 1);
	c2 = fq_read_one(ctx, q1, f, 1);
	ck_assert_uint_ne(c2, c);
	ck_assert_uint_eq(f[0].flags & (IOASID_FAULT_F_READ | IOASID_FAULT_F_WRITE),
			  IOASID_FAULT_F_READ);
	ck_assert_ret(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS), -EINVAL);
	ck_assert_ok(ctx, ioasid_fault_respond(ctx, q1, c2, IOASID_FAULT_FAILURE));
	ck_assert_uint_eq(fqs[0].writes, 2);
	ck_assert_uint_eq(fqs[0].last.cookie, 1);
	ck_assert_uint_eq(fqs[0].last.code, 1);

	/* the kernel no longer has the group (answered behind the library's back) */
	fake_fq_raise(&fqs[0], 77, false, 0, 0x30000, RW, 1);
	c = fq_read_one(ctx, q1, f, 1);
	fqs[0].outstanding[1] = false;
	ck_assert_ret(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS), -EINVAL);
	ck_assert_errmsg_has(ctx, "no longer pending in the kernel");
	ck_assert_ret(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS), -EINVAL);
	ck_assert_errmsg_has(ctx, "no pending group");

	/* the timeout runs from delivery and answers INVALID to the kernel */
	fake_fq_raise(&fqs[0], 77, false, 0, 0x40000, RW, 1);
	fq_now += 5000; /* waiting in the kernel does not count */
	c = fq_read_one(ctx, q1, f, 1);
	fq_now += 999;
	ck_assert_ok(ctx, ioasid_fault_expire(ctx, &expired));
	ck_assert_uint_eq(expired, 0);
	fq_now += 1;
	ck_assert_ok(ctx, ioasid_fault_expire(ctx, &expired));
	ck_assert_uint_eq(expired, 1);
	ck_assert_uint_eq(fqs[0].writes, 3);
	ck_assert_uint_eq(fqs[0].last.code, 1);
	ck_assert(!fqs[0].outstanding[1]);
	ck_assert_ret(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS), -EINVAL);

	/* a device this context has not bound: no library device or HWPT */
	fake_fq_raise(&fqs[0], 99, true, 7, 0x50000, RW, 1);
	c = fq_read_one(ctx, q1, f, 1);
	ck_assert_uint_eq(f[0].dev, 0);
	ck_assert_uint_eq(f[0].hwpt, 0);
	ck_assert_uint_eq(f[0].pasid, 7);
	ck_assert(f[0].flags & IOASID_FAULT_F_PASID_VALID);
	ck_assert_ok(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_INVALID));
	ck_assert_uint_eq(fqs[0].writes, 4);

	/* detach: the kernel answers what is pending; the library drops its record */
	fake_fq_raise(&fqs[0], 77, false, 0, 0x60000, RW, 1);
	c = fq_read_one(ctx, q1, f, 1);
	ck_assert_ok(ctx, ioasid_dev_detach(ctx, d, IOASID_PASID_NONE));
	ck_assert_uint_eq(fqs[0].writes, 4);
	ck_assert_ret(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS), -EINVAL);
	ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q1, &st));
	ck_assert_uint_eq(st.groups, 6);
	ck_assert_uint_eq(st.delivered, 7);
	ck_assert_uint_eq(st.answered_success, 1);
	ck_assert_uint_eq(st.answered_invalid, 1);
	ck_assert_uint_eq(st.answered_failure, 1);
	ck_assert_uint_eq(st.timed_out, 1);
	ck_assert_uint_eq(st.detached, 2); /* the kernel's answer and the detach */
	ck_assert_uint_eq(st.pending, 0);

	/* busy while bound */
	ck_assert_ret(ctx, ioasid_fault_queue_destroy(ctx, q1), -EBUSY);
	ck_assert_ok(ctx, ioasid_hwpt_destroy(ctx, h));

	/* an IOAS attach with a queue: a real HWPT with the fault id */
	ao.fault_queue = q1;
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, a, &ao));
	ck_assert_uint_eq(k.last_hwpt.flags, KU_IOMMU_HWPT_FAULT_ID_VALID);
	ck_assert_uint_eq(k.last_hwpt.fault_id, fqs[0].id);
	ck_assert_uint_eq(k.last_attach.pt_id, k.last_hwpt.out_hwpt_id);
	auto_h = find_hwpt(ctx);
	ck_assert_uint_ne(auto_h, 0);
	ck_assert_ok(ctx, ioasid_obj_kernel_id(ctx, auto_h, &kid));
	ck_assert_uint_eq(kid, k.last_hwpt.out_hwpt_id);
	fake_fq_raise(&fqs[0], 77, false, 0, 0x70000, RW, 1);
	c = fq_read_one(ctx, q1, f, 1);
	ck_assert_uint_eq(f[0].hwpt, auto_h);
	ck_assert_ok(ctx, ioasid_fault_respond(ctx, q1, c, IOASID_FAULT_SUCCESS));
	ck_assert_ok(ctx, ioasid_dev_detach(ctx, d, IOASID_PASID_NONE));
	ck_assert_uint_eq(find_hwpt(ctx), 0);

	/* destroy: the fd is closed before the kernel object goes */
	ck_assert_ok(ctx, ioasid_fault_queue_destroy(ctx, q1));
	ck_assert(fqs[0].destroyed && fqs[0].fd_was_closed);
	ck_assert_ret(ctx, ioasid_fault_queue_fd(ctx, q1, &qfd), -ENOENT);
	ioasid_ctx_close(ctx);
	ck_assert(fqs[1].destroyed && fqs[1].fd_was_closed);
	close(fd);
	fake_sysfs_rm();
}
END_TEST

/* The real clock: the timer thread answers a kernel group the owner forgot. */
START_TEST(test_fake_kernel_fault_timer)
{
	struct ioasid_fault_queue_opts qo = { .sz = sizeof(qo), .timeout_ns = 1000000 };
	struct ioasid_set_opts so = { .sz = sizeof(so) };
	struct ioasid_fault_queue_stats st;
	struct ioasid_fault f[8];
	struct fake_fq fqs[1];
	struct fake k;
	struct ioasid_ctx *ctx;
	uint32_t q;
	int i;

	fake_sysfs();
	ctx = fake_ctx(&k);
	k.fq = fqs;
	ck_assert_int_eq(iommufd_set_fault_io_hook(ctx, fake_fault_io, &k), 0);
	ck_assert_ok(ctx, ioasid_set_alloc(ctx, &so, &qo.set));
	ck_assert_ok(ctx, ioasid_fault_queue_alloc(ctx, &qo, &q));
	fake_fq_raise(&fqs[0], 77, false, 0, 0x1000, 1, 1);
	fq_read_one(ctx, q, f, 1);
	for (i = 0; i < 2000; i++) {
		ck_assert_ok(ctx, ioasid_fault_queue_stats(ctx, q, &st));
		if (st.timed_out)
			break;
		usleep(1000);
	}
	ck_assert_uint_eq(st.timed_out, 1);
	ck_assert_uint_eq(st.pending, 0);
	/* the stats call took the lock after the timer's answer */
	ck_assert_uint_eq(fqs[0].writes, 1);
	ck_assert_uint_eq(fqs[0].last.code, 1);
	ioasid_ctx_close(ctx);
	fake_sysfs_rm();
}
END_TEST

static void put64(uint8_t *c, size_t off, uint64_t v)
{
	put32(c, off, (uint32_t)v);
	put32(c, off + 4, (uint32_t)(v >> 32));
}

START_TEST(test_vfio_iommu_info)
{
	/* a pre-6.6 layout: the 12-byte DMA_AVAIL cap leaves the next on 4 bytes */
	uint8_t buf[160];
	struct vf_info vi;

	memset(buf, 0, sizeof(buf));
	put32(buf, 0, sizeof(buf));
	put32(buf, 4, KU_VFIO_IOMMU_INFO_PGSIZES | KU_VFIO_IOMMU_INFO_CAPS);
	put64(buf, 8, 0x40201000);
	put32(buf, 16, 24);
	/* IOVA ranges at 24: 2 ranges, 48 bytes */
	put16(buf, 24, KU_VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	put16(buf, 26, 1);
	put32(buf, 28, 72);
	put32(buf, 32, 2);
	put64(buf, 40, 0);
	put64(buf, 48, 0xfedfffff);
	put64(buf, 56, 0xfef00000);
	put64(buf, 64, (1ull << 39) - 1);
	/* DMA_AVAIL at 72 (12 bytes), migration at 84 */
	put16(buf, 72, KU_VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	put16(buf, 74, 1);
	put32(buf, 76, 84);
	put32(buf, 80, 65000);
	put16(buf, 84, KU_VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	put16(buf, 86, 1);
	put32(buf, 88, 0);
	put64(buf, 84 + offsetof(struct ku_vfio_iommu_type1_info_cap_migration, pgsize_bitmap),
	      0x1000);
	ck_assert_int_eq(vfio_parse_iommu_info(NULL, buf, sizeof(buf), &vi), 0);
	ck_assert_uint_eq(vi.pgsizes, 0x40201000);
	ck_assert(vi.has_ranges);
	ck_assert_uint_eq(vi.nr_ranges, 2);
	ck_assert_uint_eq(vi.ranges[1].start, 0xfef00000);
	ck_assert_uint_eq(vi.ranges[1].last, (1ull << 39) - 1);
	ck_assert(vi.has_dma_avail);
	ck_assert_uint_eq(vi.dma_avail, 65000);
	ck_assert(vi.migration);
	ck_assert_uint_eq(vi.dirty_pgsizes, 0x1000);
	ioasid_free(vi.ranges);
	/* ranges out of order */
	put64(buf, 56, 0x1000);
	ck_assert_int_eq(vfio_parse_iommu_info(NULL, buf, sizeof(buf), &vi), -EINVAL);
	put64(buf, 56, 0xfef00000);
	/* a count that does not fit */
	put32(buf, 32, 200);
	ck_assert_int_eq(vfio_parse_iommu_info(NULL, buf, sizeof(buf), &vi), -EMSGSIZE);
	put32(buf, 32, 2);
	/* a loop: the chain must move forward */
	put32(buf, 76, 24);
	ck_assert_int_ne(vfio_parse_iommu_info(NULL, buf, sizeof(buf), &vi), 0);
}
END_TEST

START_TEST(test_sim_has_no_kernel_handles)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint32_t a, k;
	int fd;

	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &a));
	ck_assert_ret(ctx, ioasid_ctx_fd(ctx, &fd), -EOPNOTSUPP);
	ck_assert_ret(ctx, ioasid_obj_kernel_id(ctx, a, &k), -EOPNOTSUPP);
	ck_assert_ret(ctx, ioasid_obj_kernel_id(ctx, 999, &k), -ENOENT);
	ck_assert_ret(ctx, ioasid_obj_kernel_id(ctx, a, NULL), -EINVAL);
	ioasid_ctx_close(ctx);
}
END_TEST

Suite *iommufd_suite(void)
{
	Suite *s = suite_create("iommufd");
	TCase *tc = tcase_create("iommufd");

	tcase_add_test(tc, test_resv_parse);
	tcase_add_test(tc, test_resv_parse_bad);
	tcase_add_test(tc, test_bdf);
	tcase_add_test(tc, test_pci_config);
	tcase_add_test(tc, test_describe_qemu_vtd);
	tcase_add_test(tc, test_describe_features);
	tcase_add_test(tc, test_fake_kernel_ioas);
	tcase_add_test(tc, test_fake_kernel_device);
	tcase_add_test(tc, test_fake_kernel_nested);
	tcase_add_test(tc, test_fake_kernel_faults);
	tcase_add_test(tc, test_fake_kernel_fault_timer);
	tcase_add_test(tc, test_vfio_iommu_info);
	tcase_add_test(tc, test_sim_has_no_kernel_handles);
	suite_add_tcase(s, tc);
	return s;
}
