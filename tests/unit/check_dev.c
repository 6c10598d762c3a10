/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Devices on the sim: bind, the capability chain, attach rules
 * (kernel-uapi.md §4.1-§4.2), PASID attach, hot-plug, JSON dumps.
 */
#include <stdio.h>

#include "util/alloc.h"
#include "helpers.h"
#include "suites.h"

#define PG 4096ull
#define RW (IOASID_MAP_READ | IOASID_MAP_WRITE)

static struct ioasid_ctx *ctx;
static uint32_t ioas;
static uint8_t *mem;

static void setup(void)
{
	ctx = test_sim_ctx();
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	mem = test_mem(64 * PG);
}

static void teardown(void)
{
	ioasid_ctx_close(ctx);
	munmap(mem, 64 * PG);
}

START_TEST(test_bind_unbind)
{
	uint32_t d, d2;
	char name[16];
	int fd;

	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &d));
	ck_assert_int_eq(ioasid_obj_kind(ctx, d), IOASID_OBJ_DEV);
	ck_assert_ok(ctx, ioasid_dev_name(ctx, d, name, sizeof(name)));
	ck_assert_str_eq(name, "sim0");
	ck_assert_int_eq(ioasid_dev_bind(ctx, "sim0", &d2), -EBUSY);
	ck_assert_int_eq(ioasid_dev_bind(ctx, "nosuch", &d2), -ENOENT);
	ck_assert_errmsg_has(ctx, "nosuch");
	ck_assert_errmsg_has(ctx, "sim0"); /* lists what there is */
	ck_assert_int_eq(ioasid_dev_bind(ctx, "", &d2), -EINVAL);
	ck_assert_int_eq(ioasid_dev_bind_fd(ctx, 0, &d2), -EOPNOTSUPP);
	ck_assert_int_eq(ioasid_dev_fd(ctx, d, &fd), -EOPNOTSUPP);
	ck_assert_ok(ctx, ioasid_dev_unbind(ctx, d));
	ck_assert_int_eq(ioasid_dev_unbind(ctx, d), -ENOENT);
}
END_TEST

START_TEST(test_info_chain)
{
	struct ioasid_cap_page_sizes ps;
	uint32_t off;
	size_t len = 0, len2;
	uint8_t *buf;
	uint32_t d;

	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &d));
	/* IOMMU_GET_HW_INFO's answer: the full length, whatever the room */
	ck_assert_ok(ctx, ioasid_dev_info(ctx, d, NULL, 0, &len));
	ck_assert_uint_gt(len, sizeof(struct ioasid_info_hdr));
	buf = malloc(len + 64);
	ck_assert_ok(ctx, ioasid_dev_info(ctx, d, buf, len, &len2));
	ck_assert_uint_eq(len, len2);
	{
		/* too small: what fits is copied, nothing past it is touched */
		uint8_t *part = malloc(len);

		memset(part, 0xa5, len);
		len2 = 0;
		ck_assert_ok(ctx, ioasid_dev_info(ctx, d, part, 8, &len2));
		ck_assert_uint_eq(len2, len);
		ck_assert_int_eq(memcmp(part, buf, 8), 0);
		ck_assert_uint_eq(part[8], 0xa5);
		/* too large: the tail past the chain is zeroed */
		memset(buf, 0xa5, len + 64);
		ck_assert_ok(ctx, ioasid_dev_info(ctx, d, buf, len + 64, &len2));
		ck_assert_uint_eq(len2, len);
		ck_assert_int_eq(memcmp(part, buf, 8), 0);
		for (off = (uint32_t)len; off < len + 64; off++)
			ck_assert_uint_eq(buf[off], 0);
		free(part);
	}
	ck_assert_int_eq(ioasid_caps_validate(buf, len, 0), 0);
	ck_assert_int_eq(ioasid_caps_get(buf, len, 0, IOASID_CAP_PAGE_SIZES, &ps, sizeof(ps),
					 NULL), 0);
	ck_assert_uint_ne(ps.bitmap & PG, 0);
	ck_assert_int_eq(ioasid_caps_find(buf, len, 0, IOASID_CAP_VTD, &off, NULL), 0);
	free(buf);
}
END_TEST

START_TEST(test_attach_ranges_alignment)
{
	struct ioasid_iova_range r[8];
	uint64_t align, io;
	uint32_t d, n = 8, pt;

	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &d));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, ioas, NULL));
	ck_assert_ok(ctx, ioasid_dev_attached(ctx, d, IOASID_PASID_NONE, &pt));
	ck_assert_uint_eq(pt, ioas);
	ck_assert_ok(ctx, ioasid_ioas_iova_ranges(ctx, ioas, r, &n, &align));
	ck_assert_uint_eq(align, PG);
	/* the aperture end and the MSI window are cut out */
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(r[0].start, 0);
	ck_assert_uint_eq(r[0].last, 0xfedfffff);
	ck_assert_uint_eq(r[1].start, 0xfef00000);
	/* a map into the MSI window fails now */
	io = 0xfee00000;
	ck_assert_int_eq(ioasid_ioas_map(ctx, ioas, mem, PG, RW | IOASID_MAP_FIXED_IOVA, &io),
			 -EINVAL);
	ck_assert_errmsg_has(ctx, "0xfee00000");
	ck_assert_int_eq(ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, ioas, NULL), -EBUSY);
	ck_assert_int_eq(ioasid_ioas_destroy(ctx, ioas), -EBUSY);
	ck_assert_int_eq(ioasid_dev_unbind(ctx, d), -EBUSY);
	ck_assert_ok(ctx, ioasid_dev_detach(ctx, d, IOASID_PASID_NONE));
	/* the kernel: detaching what is not attached succeeds and does nothing */
	ck_assert_ok(ctx, ioasid_dev_detach(ctx, d, IOASID_PASID_NONE));
	ck_assert_int_eq(ioasid_dev_attached(ctx, d, IOASID_PASID_NONE, &pt), -ENOENT);
	ck_assert_int_eq(ioasid_dev_detach(ctx, 999, IOASID_PASID_NONE), -ENOENT);
	/* detach widens the ranges again */
	n = 8;
	ck_assert_ok(ctx, ioasid_ioas_iova_ranges(ctx, ioas, r, &n, &align));
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(align, 1);
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, PG, RW | IOASID_MAP_FIXED_IOVA, &io));
}
END_TEST

START_TEST(test_attach_conflicts)
{
	uint64_t io = 0xfee01000, n;
	uint32_t d;

	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &d));
	/* a mapping inside the device's MSI window */
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, PG, RW | IOASID_MAP_FIXED_IOVA, &io));
	ck_assert_int_eq(ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, ioas, NULL), -EADDRINUSE);
	ck_assert_errmsg_has(ctx, "sim0");
	ck_assert_errmsg_has(ctx, "0xfee01000");
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas, 0, UINT64_MAX, &n));
	/* a mapping the device's page size cannot express */
	io = 0x10800;
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, 0x800, RW | IOASID_MAP_FIXED_IOVA, &io));
	ck_assert_int_eq(ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, ioas, NULL), -EADDRINUSE);
	ck_assert_errmsg_has(ctx, "0x10800");
	ck_assert_errmsg_has(ctx, "page sizes");
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas, 0, UINT64_MAX, &n));
	/* an allowed range that the MSI window would cut */
	{
		struct ioasid_iova_range al = { 0xfe000000, 0xfeffffff };

		ck_assert_ok(ctx, ioasid_ioas_allow_iovas(ctx, ioas, &al, 1));
		ck_assert_int_eq(ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, ioas, NULL),
				 -EADDRINUSE);
		ck_assert_errmsg_has(ctx, "allowed");
		ck_assert_ok(ctx, ioasid_ioas_allow_iovas(ctx, ioas, NULL, 0));
	}
	ck_assert_int_eq(ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, 999, NULL), -ENOENT);
	ck_assert_int_eq(ioasid_dev_attach(ctx, 999, IOASID_PASID_NONE, ioas, NULL), -ENOENT);
	/* the kernel: an object of another kind is EINVAL, not ENOENT */
	ck_assert_int_eq(ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, d, NULL), -EINVAL);
	ck_assert_errmsg_has(ctx, "not an IOAS or HWPT");
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, ioas, NULL));
}
END_TEST

START_TEST(test_more_page_sizes_fine)
{
	uint32_t d0, d2;
	uint64_t io = 0x100000;

	/* sim2 supports only 4K; sim0 supports 4K/2M/1G: both attach */
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim2", &d2));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &d0));
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, 4 * PG, RW | IOASID_MAP_FIXED_IOVA, &io));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, d2, IOASID_PASID_NONE, ioas, NULL));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, d0, IOASID_PASID_NONE, ioas, NULL));
}
END_TEST

/* The PCI address of a bound device, by id: the one the device list shows. */
START_TEST(test_pci_addr)
{
	struct ioasid_dev_entry e[8];
	char buf[IOASID_PCI_ADDR_LEN], small[12];
	uint32_t d, n = 8, i;

	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim1", &d));
	ck_assert_ok(ctx, ioasid_dev_list(ctx, e, &n));
	for (i = 0; i < n && e[i].bound != d; i++)
		;
	ck_assert_uint_lt(i, n);
	ck_assert_ok(ctx, ioasid_dev_pci_addr(ctx, d, buf, sizeof(buf)));
	ck_assert_str_eq(buf, e[i].bdf);
	ck_assert_uint_eq(strlen(buf), 12);
	/* a buffer without room for the NUL: nothing written */
	memset(small, 'x', sizeof(small));
	ck_assert_int_eq(ioasid_dev_pci_addr(ctx, d, small, sizeof(small)), -EMSGSIZE);
	ck_assert_errmsg_has(ctx, "13 bytes");
	ck_assert_int_eq(small[0], 'x');
	ck_assert_int_eq(ioasid_dev_pci_addr(ctx, 4444, buf, sizeof(buf)), -ENOENT);
	ck_assert_int_eq(ioasid_dev_pci_addr(ctx, d, NULL, 16), -EINVAL);
	ck_assert_int_eq(ioasid_dev_pci_addr(ctx, ioas, buf, sizeof(buf)), -ENOENT);
}
END_TEST

START_TEST(test_pasid_attach)
{
	struct ioasid_set_opts so = { .sz = sizeof(struct ioasid_set_opts), .max_pasids = 8 };
	struct ioasid_hwpt_opts po = { .sz = sizeof(po), .flags = IOASID_HWPT_PASID };
	uint32_t a, b, d0, d1, pa, pb, pt, ha, hb, h1;
	uint32_t ioas_b;

	ck_assert_ok(ctx, ioasid_set_alloc(ctx, &so, &a));
	ck_assert_ok(ctx, ioasid_set_alloc(ctx, &so, &b));
	ck_assert_ok(ctx, ioasid_pasid_alloc(ctx, a, 1, 100, &pa));
	ck_assert_ok(ctx, ioasid_pasid_alloc(ctx, b, 1, 100, &pb));
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas_b));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &d0));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim1", &d1));
	/* a PASID needs an HWPT that allows PASIDs */
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, d0, ioas, &po, &ha));
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, d0, ioas_b, &po, &hb));
	{
		struct ioasid_attach_opts oa = { .sz = sizeof(struct ioasid_attach_opts), .set = a };
		struct ioasid_attach_opts ob = { .sz = sizeof(struct ioasid_attach_opts), .set = b };

		/* two sets share sim0 through different PASIDs */
		ck_assert_ok(ctx, ioasid_dev_attach(ctx, d0, pa, ha, &oa));
		ck_assert_ok(ctx, ioasid_dev_attach(ctx, d0, pb, hb, &ob));
		ck_assert_ok(ctx, ioasid_dev_attached(ctx, d0, pb, &pt));
		ck_assert_uint_eq(pt, hb);
		/* the IOAS itself: its automatic domain never allows PASIDs */
		ck_assert_int_eq(ioasid_dev_attach(ctx, d0, pb, ioas_b, &ob), -EBUSY);
		ck_assert_ok(ctx, ioasid_dev_detach(ctx, d0, pb));
		ck_assert_int_eq(ioasid_dev_attach(ctx, d0, pb, ioas_b, &ob), -EINVAL);
		ck_assert_errmsg_has(ctx, "automatic domain of IOAS");
		/* a PASID the acting set does not hold */
		ck_assert_int_eq(ioasid_dev_attach(ctx, d0, pb, hb, &oa), -EPERM);
		ck_assert_errmsg_has(ctx, "belongs to set");
		/* no set named */
		ck_assert_int_eq(ioasid_dev_attach(ctx, d0, pb, hb, NULL), -EINVAL);
		/* beyond the device's PASIDs, PASID 0 */
		ck_assert_int_eq(ioasid_dev_attach(ctx, d0, 1u << 20, ha, &oa), -EINVAL);
		ck_assert_errmsg_has(ctx, "PASID 1048576");
		ck_assert_int_eq(ioasid_dev_attach(ctx, d0, 0, ha, &oa), -EINVAL);
		/*
		 * A device without PASIDs takes no PASID attach, to an IOAS or
		 * to an HWPT that allows PASIDs: the kernel's EINVAL.
		 */
		ck_assert_int_eq(ioasid_dev_attach(ctx, d1, pa, ioas, &oa), -EINVAL);
		ck_assert_errmsg_has(ctx, "sim1 has no PASIDs");
		ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, d1, ioas, &po, &h1));
		ck_assert_int_eq(ioasid_dev_attach(ctx, d1, pa, h1, &oa), -EINVAL);
		ck_assert_errmsg_has(ctx, "sim1 has no PASIDs");
		ck_assert_int_eq(ioasid_dev_attached(ctx, d1, pa, &pt), -ENOENT);
		ck_assert_ok(ctx, ioasid_hwpt_destroy(ctx, h1));
		/* an attached PASID cannot be freed */
		ck_assert_int_eq(ioasid_pasid_free(ctx, a, pa), -EBUSY);
		ck_assert_int_eq(ioasid_set_destroy(ctx, a), -EBUSY);
		ck_assert_ok(ctx, ioasid_dev_detach(ctx, d0, pa));
		ck_assert_ok(ctx, ioasid_pasid_free(ctx, a, pa));
	}
	{
		/* a bad option struct */
		struct {
			struct ioasid_attach_opts o;
			uint32_t extra;
		} big = { .o = { .sz = sizeof(big) }, .extra = 1 };

		ck_assert_int_eq(ioasid_dev_attach(ctx, d1, IOASID_PASID_NONE, ioas, &big.o), -E2BIG);
	}
}
END_TEST

/* A PASID used by two devices stays busy until the last one lets it go. */
START_TEST(test_pasid_shared)
{
	struct ioasid_set_opts so = { .sz = sizeof(struct ioasid_set_opts), .max_pasids = 8 };
	struct ioasid_sim_dev_desc dd = { .sz = sizeof(struct ioasid_sim_dev_desc), .name = "nic0",
					  .pgsize_bitmap = PG, .pasid_width = 8 };
	struct ioasid_attach_opts oa = { .sz = sizeof(struct ioasid_attach_opts) };
	struct ioasid_hwpt_opts po = { .sz = sizeof(po), .flags = IOASID_HWPT_PASID };
	uint32_t a, pa, d0, d1, ioas_b, h0, h1, hb, pt;
	unsigned long n;
	int r;

	ck_assert_ok(ctx, ioasid_sim_dev_add(ctx, &dd));
	ck_assert_ok(ctx, ioasid_set_alloc(ctx, &so, &a));
	ck_assert_ok(ctx, ioasid_pasid_alloc(ctx, a, 1, 100, &pa));
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas_b));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &d0));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "nic0", &d1));
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, d0, ioas, &po, &h0));
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, d1, ioas, &po, &h1));
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, d1, ioas_b, &po, &hb));
	oa.set = a;
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, d0, pa, h0, &oa));
	/* the second device's attach, failing each allocation in turn */
	for (n = 1;; n++) {
		ioasid_alloc_fail_nth(n);
		r = ioasid_dev_attach(ctx, d1, pa, h1, &oa);
		ioasid_alloc_fail_nth(0);
		if (!ioasid_alloc_failed())
			break;
		ck_assert_int_eq(r, -ENOMEM);
		ck_assert_int_eq(ioasid_dev_attached(ctx, d1, pa, &pt), -ENOENT);
	}
	ck_assert_int_eq(r, 0);
	ck_assert_ok(ctx, ioasid_dev_detach(ctx, d0, pa));
	ck_assert_int_eq(ioasid_pasid_free(ctx, a, pa), -EBUSY);
	ck_assert_int_eq(ioasid_set_destroy(ctx, a), -EBUSY);
	ck_assert_errmsg_has(ctx, "is still attached");
	/* a replace keeps the PASID in use */
	ck_assert_ok(ctx, ioasid_dev_replace(ctx, d1, pa, hb, &oa));
	ck_assert_int_eq(ioasid_pasid_free(ctx, a, pa), -EBUSY);
	ck_assert_ok(ctx, ioasid_dev_detach(ctx, d1, pa));
	ck_assert_ok(ctx, ioasid_pasid_free(ctx, a, pa));
	ck_assert_ok(ctx, ioasid_set_destroy(ctx, a));
}
END_TEST

struct cb_count {
	int n;
	uint32_t last;
};

static void ranges_cb(void *data, struct ioasid_ctx *c, uint32_t id)
{
	struct cb_count *cc = data;
	struct ioasid_iova_range r[4];
	uint32_t n = 4;

	/* the lock is not held: calling back in works */
	ck_assert_int_eq(ioasid_ioas_iova_ranges(c, id, r, &n, NULL), 0);
	cc->n++;
	cc->last = id;
}

START_TEST(test_ranges_callback)
{
	struct cb_count cc = { 0 };
	uint32_t d;

	ck_assert_ok(ctx, ioasid_ioas_set_ranges_cb(ctx, ioas, ranges_cb, &cc));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &d));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, ioas, NULL));
	ck_assert_int_eq(cc.n, 1);
	ck_assert_uint_eq(cc.last, ioas);
	ck_assert_ok(ctx, ioasid_dev_detach(ctx, d, IOASID_PASID_NONE));
	ck_assert_int_eq(cc.n, 2);
	ck_assert_int_eq(ioasid_ioas_set_ranges_cb(ctx, 777, NULL, NULL), -ENOENT);
}
END_TEST

struct ev_log {
	int added, removed;
	char last[32];
};

static void ev_cb(void *data, struct ioasid_ctx *c, enum ioasid_sim_event ev, const char *name)
{
	struct ev_log *l = data;

	(void)c;
	if (ev == IOASID_SIM_DEV_ADDED)
		l->added++;
	else
		l->removed++;
	snprintf(l->last, sizeof(l->last), "%s", name);
}

START_TEST(test_hotplug)
{
	struct ioasid_sim_resv resv = { 0xfee00000, 0xfeefffff, IOASID_RESV_MSI, 0 };
	struct ev_log log = { 0 };
	struct ioasid_dev_entry e[70];
	uint32_t n = 70, d;

	ck_assert_ok(ctx, ioasid_sim_set_event_cb(ctx, ev_cb, &log));
	{
		struct ioasid_sim_dev_desc dd = { .sz = sizeof(struct ioasid_sim_dev_desc), .name = "nic0", .pgsize_bitmap = PG,
			    .pasid_width = 8, .flags = IOASID_SIM_DEV_PRI | IOASID_SIM_DEV_ATS, .resv = &resv,
			    .nr_resv = 1 };
		ck_assert_ok(ctx, ioasid_sim_dev_add(ctx, &dd));
		ck_assert_int_eq(log.added, 1);
		ck_assert_str_eq(log.last, "nic0");
		ck_assert_int_eq(ioasid_sim_dev_add(ctx, &dd), -EEXIST);
	}
	{
		struct ioasid_sim_dev_desc dd = { .sz = sizeof(struct ioasid_sim_dev_desc), .name = "bad0", .pgsize_bitmap = 0 };
		ck_assert_int_eq(ioasid_sim_dev_add(ctx, &dd), -EINVAL);
		ck_assert_errmsg_has(ctx, "0");
	}
	ck_assert_ok(ctx, ioasid_dev_list(ctx, e, &n));
	ck_assert_str_eq(e[n - 1].name, "nic0");
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "nic0", &d));
	ck_assert_int_eq(ioasid_sim_dev_remove(ctx, "nic0"), -EBUSY);
	ck_assert_ok(ctx, ioasid_dev_unbind(ctx, d));
	ck_assert_ok(ctx, ioasid_sim_dev_remove(ctx, "nic0"));
	ck_assert_int_eq(log.removed, 1);
	ck_assert_int_eq(ioasid_sim_dev_remove(ctx, "nic0"), -ENOENT);
	ck_assert_int_eq(ioasid_dev_bind(ctx, "nic0", &d), -ENOENT);
	n = 0;
	ck_assert_int_eq(ioasid_dev_list(ctx, NULL, &n), -EMSGSIZE);
	ck_assert_uint_ge(n, 3);
}
END_TEST

START_TEST(test_json_dumps)
{
	char *s = NULL;
	uint32_t d;
	uint64_t io = 0x10000;

	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &d));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, ioas, NULL));
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, PG, RW | IOASID_MAP_FIXED_IOVA, &io));
	ck_assert_ok(ctx, ioasid_json_ctx(ctx, 0, &s));
	ck_assert_ptr_nonnull(strstr(s, "\"schema\": \"ioasid/1\""));
	ck_assert_ptr_nonnull(strstr(s, "\"0x10000\""));
	ck_assert_ptr_nonnull(strstr(s, "\"vtd\""));
	ioasid_json_free(s);
	ck_assert_ok(ctx, ioasid_json_object(ctx, ioas, IOASID_JSON_COMPACT, &s));
	ck_assert_ptr_nonnull(strstr(s, "\"kind\":\"ioas\""));
	ioasid_json_free(s);
	ck_assert_int_eq(ioasid_json_object(ctx, 4321, 0, &s), -ENOENT);
	ck_assert_int_eq(ioasid_json_ctx(ctx, 0x80, &s), -EINVAL);
	ioasid_json_free(NULL);
}
END_TEST

Suite *dev_suite(void)
{
	Suite *s = suite_create("dev");
	TCase *tc = tcase_create("dev");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bind_unbind);
	tcase_add_test(tc, test_info_chain);
	tcase_add_test(tc, test_attach_ranges_alignment);
	tcase_add_test(tc, test_attach_conflicts);
	tcase_add_test(tc, test_more_page_sizes_fine);
	tcase_add_test(tc, test_pci_addr);
	tcase_add_test(tc, test_pasid_attach);
	tcase_add_test(tc, test_pasid_shared);
	tcase_add_test(tc, test_ranges_callback);
	tcase_add_test(tc, test_hotplug);
	tcase_add_test(tc, test_json_dumps);
	suite_add_tcase(s, tc);
	return s;
}
