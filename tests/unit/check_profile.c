/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Simulated IOMMU profiles: built-ins, profile files, hot add/remove.
 *
 * The register checks decode every bit here, from the spec positions, with
 * no help from profile.c: a wrong shift there must not be "confirmed" by the
 * same wrong shift here.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ioasid/hwpt.h>

#include "util/alloc.h"
#include "backend/sim/profile-private.h"
#include "suites.h"

/*
 * Where examples/ lives: make check exports top_srcdir; a build may also
 * define TOP_SRCDIR; else assume the run is from the top of the tree.
 */
#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

static const char *top_srcdir(void)
{
	const char *s = getenv("top_srcdir");

	return s && *s ? s : TOP_SRCDIR;
}

#define K4	0x1000ULL
#define K16	0x4000ULL
#define K64	0x10000ULL
#define M2	0x200000ULL
#define M32	0x2000000ULL
#define M512	0x20000000ULL
#define G1	0x40000000ULL

static uint64_t bits(uint64_t v, unsigned int hi, unsigned int lo)
{
	return (v >> lo) & ((hi - lo == 63) ? ~0ULL : ((1ULL << (hi - lo + 1)) - 1));
}

static bool bit(uint64_t v, unsigned int n)
{
	return (v >> n) & 1;
}

/* ------------------------------------------------------------------------
 * A temporary directory per test for profile files
 */

/* Short, so "<tmpdir>/<file>" always fits a PATH_MAX buffer. */
static char tmpdir[256];

static void setup_tmp(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/check_profile.XXXXXX",
		 base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm_rf(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[PATH_MAX];

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (!lstat(p, &st) && S_ISDIR(st.st_mode))
			rm_rf(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static void teardown_tmp(void)
{
	rm_rf(tmpdir);
}

/* Write @text to tmpdir/@name; the full path goes to @path. */
static void write_file(const char *name, const char *text, char *path,
		       size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

static struct sim_profile *load_ok(const char *spec)
{
	struct sim_profile *p = NULL;
	char err[512];
	int ret = sim_profile_load(spec, &p, err, sizeof(err));

	ck_assert_msg(ret == 0, "load %s: %d %s", spec, ret, err);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sim_profile_check(p, err, sizeof(err)), 0);
	return p;
}

static struct sim_profile *load_text_ok(const char *name, const char *text)
{
	char path[PATH_MAX];

	write_file(name, text, path, sizeof(path));
	return load_ok(path);
}

/* ------------------------------------------------------------------------
 * Independent register decoding
 */

static void assert_vtd_consistent(const struct sim_profile *p)
{
	uint64_t cap = p->regs.vtd.cap_reg, ecap = p->regs.vtd.ecap_reg;
	uint64_t sagaw = bits(cap, 12, 8), sllps = bits(cap, 37, 34);
	uint64_t pgs = K4 | (bit(sllps, 0) ? M2 : 0) | (bit(sllps, 1) ? G1 : 0);
	bool flts = bit(ecap, 47), sm = bit(ecap, 43);

	ck_assert_uint_eq(bits(cap, 21, 16) + 1, p->input_width); /* MGAW */
	/* SAGAW bit 1/2/3 = 3/4/5-level (39/48/57-bit AGAW). */
	for (unsigned int l = 3; l <= 5; l++)
		ck_assert_int_eq(bit(sagaw, l - 2), !!(p->levels & (1U << l)));
	ck_assert_uint_eq(sagaw & ~0xeULL, 0);
	ck_assert_uint_eq(sllps & ~3ULL, 0);
	ck_assert_uint_eq(pgs, p->page_sizes);
	ck_assert_int_eq(bit(cap, 7), p->caching_mode);		/* CM */
	ck_assert_int_eq(sm, p->scalable_mode);			/* SMTS */
	ck_assert_int_eq(bit(ecap, 46), p->scalable_mode);	/* SLTS */
	ck_assert_int_eq(bit(ecap, 40), p->pasid_width > 0);	/* PASID */
	if (p->pasid_width)
		ck_assert_uint_eq(bits(ecap, 39, 35) + 1, p->pasid_width);
	ck_assert_int_eq(bit(ecap, 26), p->nesting);		/* NEST */
	ck_assert_int_eq(bit(ecap, 29), p->pri);		/* PRS */
	ck_assert_int_eq(bit(ecap, 45), p->dirty_tracking);	/* SLADS */
	ck_assert_int_eq(bit(ecap, 2), p->ats);			/* DT */
	if (p->nesting)
		ck_assert(flts);
	if (!sm)
		ck_assert(!flts);
	/* First-stage large pages / 5-level only with first-stage tables. */
	ck_assert_int_eq(bit(cap, 56), flts && (p->page_sizes & G1));
	ck_assert_int_eq(bit(cap, 60), flts && (p->levels & (1U << 5)));
	/* MGAW can never exceed what the deepest SAGAW table reaches. */
	ck_assert_uint_le(p->input_width, 30 + 9 * (64 - __builtin_clzll(sagaw) - 1));
}

static const unsigned int oas_bits[] = { 32, 36, 40, 42, 44, 48, 52 };

static void assert_smmuv3_consistent(const struct sim_profile *p)
{
	const uint32_t *idr = p->regs.smmuv3.idr;
	uint64_t pgs = 0;

	ck_assert(bit(idr[0], 1));					/* S1P */
	ck_assert_int_eq(bit(idr[0], 0) && bit(idr[0], 1), p->nesting);	/* S2P */
	ck_assert_int_eq(bits(idr[0], 7, 6) == 2, p->dirty_tracking);	/* HTTU */
	ck_assert_uint_le(bits(idr[0], 7, 6), 2);
	ck_assert_int_eq(bit(idr[0], 10), p->ats);			/* ATS */
	ck_assert_int_eq(bit(idr[0], 16), p->pri);			/* PRI */
	ck_assert_uint_eq(bits(idr[1], 10, 6), p->pasid_width);	/* SSIDSIZE */
	ck_assert_uint_lt(bits(idr[5], 2, 0), 7);
	ck_assert_uint_eq(oas_bits[bits(idr[5], 2, 0)], p->output_width);
	if (bit(idr[5], 4))
		pgs |= K4 | M2 | G1;
	if (bit(idr[5], 5))
		pgs |= K16 | M32;
	if (bit(idr[5], 6))
		pgs |= K64 | M512;
	ck_assert_uint_eq(pgs, p->page_sizes);
	ck_assert_int_eq(bits(idr[5], 11, 10) == 1, p->input_width > 48); /* VAX */
	/* Every device's RID fits SIDSIZE. */
	for (unsigned int i = 0; i < p->nr_devices; i++) {
		unsigned int bus, dev, fn;

		ck_assert_int_eq(sscanf(p->devices[i].bdf, "%*x:%x:%x.%x",
					&bus, &dev, &fn), 3);
		if (bits(idr[1], 5, 0) < 16)
			ck_assert_uint_lt(bus << 8 | dev << 3 | fn,
					  1U << bits(idr[1], 5, 0));
	}
}

static void assert_amd_consistent(const struct sim_profile *p)
{
	uint64_t efr = p->regs.amd.efr;
	unsigned int hats = (unsigned int)bits(efr, 11, 10);

	ck_assert_uint_lt(hats, 3);
	ck_assert_uint_eq(p->levels, ((1U << (hats + 5)) - 1) & ~1U);	/* 1..HATS+4 */
	ck_assert_int_eq(bit(efr, 1), p->pri);			/* PPRSup */
	ck_assert_int_eq(bit(efr, 4), p->nesting);		/* GTSup */
	ck_assert_int_eq(bit(efr, 4), p->pasid_width > 0);
	if (p->pasid_width)
		ck_assert_uint_eq(bits(efr, 36, 32) + 1, p->pasid_width);	/* PASmax */
	ck_assert_int_eq(bit(efr, 52), p->dirty_tracking);	/* HDSup */
	ck_assert_uint_le(bits(efr, 13, 12), 1);		/* GATS */
}

static void assert_virtio_consistent(const struct sim_profile *p)
{
	const struct ioasid_cap_virtio_iommu *r = &p->regs.virtio;

	ck_assert_uint_eq(r->page_size_mask, p->page_sizes);
	ck_assert_uint_eq(r->input_start, p->aperture_start);
	ck_assert_uint_eq(r->input_end, p->aperture_last);
	ck_assert(r->features & (1ULL << 2));			/* MAP_UNMAP */
	ck_assert_uint_le(r->domain_start, r->domain_end);
	ck_assert_int_eq(p->pasid_width, 0);
	ck_assert(!p->nesting && !p->dirty_tracking && !p->pri && !p->ats);
	for (unsigned int i = 0; i < p->nr_devices; i++)
		if (p->devices[i].nr_regions)
			ck_assert(r->features & (1ULL << 4));	/* PROBE */
}

/* Vendor-neutral invariants plus the vendor's own decoding. */
static void assert_consistent(const struct sim_profile *p)
{
	ck_assert_uint_ge(p->input_width, 1);
	ck_assert_uint_le(p->input_width, 64);
	ck_assert_uint_ne(p->page_sizes, 0);
	ck_assert_uint_le(p->pasid_width, 20);
	ck_assert_uint_le(p->aperture_start, p->aperture_last);
	if (p->input_width < 64)
		ck_assert_uint_lt(p->aperture_last, 1ULL << p->input_width);
	if (p->pri)
		ck_assert(p->ats);
	for (unsigned int i = 0; i < p->nr_devices; i++) {
		const struct sim_dev_desc *d = &p->devices[i];

		ck_assert_uint_ne(d->page_sizes, 0);
		ck_assert_uint_eq(d->page_sizes & ~p->page_sizes, 0);
		ck_assert_uint_le(d->pasid_width, p->pasid_width);
		if (d->pri)
			ck_assert(d->ats && p->pri);
		if (d->ats)
			ck_assert(p->ats);
		ck_assert_ptr_eq(sim_profile_find_device(p, d->name), d);
		for (unsigned int j = 0; j < d->nr_regions; j++) {
			ck_assert_uint_le(d->regions[j].start, d->regions[j].last);
			for (unsigned int k = 0; k < j; k++)
				ck_assert(d->regions[j].last < d->regions[k].start ||
					  d->regions[k].last < d->regions[j].start);
		}
	}
	switch (p->vendor) {
	case SIM_VENDOR_VTD:
		assert_vtd_consistent(p);
		break;
	case SIM_VENDOR_SMMUV3:
		assert_smmuv3_consistent(p);
		break;
	case SIM_VENDOR_AMD:
		assert_amd_consistent(p);
		break;
	case SIM_VENDOR_VIRTIO_IOMMU:
		assert_virtio_consistent(p);
		break;
	case SIM_VENDOR_GENERIC:
		break;
	}
}

static bool has_region(const struct sim_dev_desc *d, uint64_t start,
		       uint64_t last, enum sim_resv_type type)
{
	for (unsigned int i = 0; i < d->nr_regions; i++)
		if (d->regions[i].start == start && d->regions[i].last == last &&
		    d->regions[i].type == type)
			return true;
	return false;
}

/* ------------------------------------------------------------------------
 * Built-ins
 */

START_TEST(test_builtins_load_and_agree)
{
	const char *const *names = sim_profile_builtin_names();
	unsigned int n = 0;

	ck_assert_str_eq(names[0], "vtd");	/* the default */
	for (; *names; names++, n++) {
		struct sim_profile *p = load_ok(*names);

		ck_assert_str_eq(p->name, *names);
		ck_assert_uint_ge(p->nr_devices, 1);
		ck_assert_str_eq(p->devices[0].name, "sim0");
		ck_assert_uint_eq(p->aperture_start, 0);
		ck_assert_uint_eq(p->aperture_last,
				  p->input_width == 64 ? ~0ULL :
				  (1ULL << p->input_width) - 1);
		assert_consistent(p);
		sim_profile_free(p);
	}
	ck_assert_uint_eq(n, 6);
}
END_TEST

START_TEST(test_builtin_vtd)
{
	struct sim_profile *p = load_ok("vtd");
	const struct sim_dev_desc *d;

	ck_assert_int_eq(p->vendor, SIM_VENDOR_VTD);
	ck_assert(p->scalable_mode && !p->caching_mode);
	ck_assert_uint_eq(p->input_width, 48);
	ck_assert_uint_eq(p->levels, 1U << 4 | 1U << 5);
	ck_assert_uint_eq(p->page_sizes, K4 | M2 | G1);
	ck_assert_uint_eq(p->pasid_width, 20);
	ck_assert(p->nesting && p->pri && p->ats && p->dirty_tracking);
	ck_assert(bit(p->regs.vtd.cap_reg, 60));	/* FL5LP: 5-level capable */
	ck_assert_uint_eq(p->nr_devices, 3);

	d = sim_profile_find_device(p, "sim0");
	ck_assert(d && d->pasid_width == 20 && d->pri && d->ats);
	d = sim_profile_find_device(p, "sim1");
	ck_assert(d && d->pasid_width == 0);
	d = sim_profile_find_device(p, "sim2");
	ck_assert(d && d->page_sizes == K4);
	for (unsigned int i = 0; i < p->nr_devices; i++)
		ck_assert(has_region(&p->devices[i], 0xfee00000, 0xfeefffff,
				     SIM_RESV_MSI));
	sim_profile_free(p);
}
END_TEST

START_TEST(test_builtin_qemu_vtd)
{
	struct sim_profile *p = load_ok("qemu-vtd");

	/* What a guest of QEMU 7.2 intel-iommu,intremap=on,caching-mode=on prints. */
	ck_assert_uint_eq(p->regs.vtd.cap_reg, 0x00d2008c22260286ULL);
	ck_assert_uint_eq(p->regs.vtd.ecap_reg, 0x0000000000f00f5aULL);
	ck_assert(!p->scalable_mode && p->caching_mode);
	ck_assert_uint_eq(p->input_width, 39);
	ck_assert_uint_eq(p->output_width, 39);
	ck_assert_uint_eq(p->levels, 1U << 3);
	/* QEMU 7.2 sets SLLPS to 2M and 1G unconditionally. */
	ck_assert_uint_eq(p->page_sizes, K4 | M2 | G1);
	ck_assert_uint_eq(p->pasid_width, 0);
	ck_assert(!p->nesting && !p->pri && !p->ats && !p->dirty_tracking);
	ck_assert_uint_eq(bits(p->regs.vtd.cap_reg, 2, 0), 6);		/* ND */
	ck_assert_uint_eq(bits(p->regs.vtd.cap_reg, 33, 24) * 16, 0x220);	/* FRO */
	ck_assert_uint_eq(bits(p->regs.vtd.cap_reg, 53, 48), 18);	/* MAMV */
	ck_assert_uint_eq(bits(p->regs.vtd.ecap_reg, 17, 8) * 16, 0xf0);	/* IRO */
	ck_assert(bit(p->regs.vtd.ecap_reg, 3) && bit(p->regs.vtd.ecap_reg, 4)); /* IR, EIM */
	ck_assert_uint_eq(p->nr_devices, 1);
	ck_assert_str_eq(p->devices[0].name, "sim0");
	ck_assert_str_eq(p->devices[0].bdf, "0000:00:01.0");
	ck_assert(has_region(&p->devices[0], 0xfee00000, 0xfeefffff,
			     SIM_RESV_MSI));
	sim_profile_free(p);
}
END_TEST

START_TEST(test_builtin_smmuv3)
{
	struct sim_profile *p = load_ok("smmuv3");
	const uint32_t *idr = p->regs.smmuv3.idr;

	ck_assert_uint_eq(bits(idr[0], 28, 27), 1);	/* 2-level stream table */
	ck_assert(bit(idr[0], 0) && bit(idr[0], 1));	/* S2P, S1P */
	ck_assert_uint_eq(bits(idr[0], 7, 6), 2);	/* HTTU: A + D */
	ck_assert_uint_eq(bits(idr[1], 10, 6), 20);	/* SSIDSIZE */
	ck_assert_uint_eq(bits(idr[1], 5, 0), 16);	/* SIDSIZE */
	ck_assert_uint_eq(bits(idr[5], 2, 0), 5);	/* OAS 48 */
	ck_assert_uint_eq(p->input_width, 48);
	ck_assert_uint_eq(p->page_sizes, K4 | M2 | G1 | K16 | M32 | K64 | M512);
	ck_assert_uint_eq(p->regs.smmuv3.aidr, 0x02);	/* v3.2 */
	for (unsigned int i = 0; i < p->nr_devices; i++)
		ck_assert(has_region(&p->devices[i], 0x8000000, 0x80fffff,
				     SIM_RESV_SW_MSI));
	sim_profile_free(p);
}
END_TEST

START_TEST(test_builtin_amd_virtio_generic)
{
	struct sim_profile *p = load_ok("amd");

	ck_assert_uint_eq(bits(p->regs.amd.efr, 36, 32), 15);	/* PASmax */
	ck_assert_uint_eq(p->pasid_width, 16);
	ck_assert(bit(p->regs.amd.efr, 4) && bit(p->regs.amd.efr, 1)); /* GT, PPR */
	ck_assert_uint_eq(p->input_width, 48);
	ck_assert(has_region(&p->devices[0], 0xfee00000, 0xfeefffff,
			     SIM_RESV_MSI));
	ck_assert(has_region(&p->devices[0], 0xfd00000000ULL, 0xffffffffffULL,
			     SIM_RESV_RESERVED));
	sim_profile_free(p);

	p = load_ok("virtio-iommu");
	ck_assert_uint_eq(p->regs.virtio.page_size_mask, K4);
	ck_assert_uint_eq(p->regs.virtio.input_start, 0);
	ck_assert_uint_eq(p->regs.virtio.input_end, (1ULL << 48) - 1);
	ck_assert_uint_eq(p->regs.virtio.domain_start, 0);
	ck_assert_uint_eq(p->regs.virtio.domain_end, 65535);
	ck_assert(p->regs.virtio.features & (1ULL << 4));	/* PROBE */
	ck_assert_uint_gt(p->regs.virtio.probe_size, 0);
	ck_assert(has_region(&p->devices[0], 0xfee00000, 0xfeefffff,
			     SIM_RESV_MSI));
	sim_profile_free(p);

	p = load_ok("generic");
	ck_assert_int_eq(p->vendor, SIM_VENDOR_GENERIC);
	ck_assert_uint_eq(p->page_sizes, K4);
	ck_assert_uint_eq(p->input_width, 48);
	ck_assert_uint_eq(p->pasid_width, 0);
	ck_assert_uint_eq(p->devices[0].nr_regions, 0);
	sim_profile_free(p);
}
END_TEST

static void assert_same_profile(const struct sim_profile *a,
				const struct sim_profile *b)
{
	ck_assert_str_eq(a->name, b->name);
	ck_assert_int_eq(a->vendor, b->vendor);
	ck_assert_uint_eq(a->input_width, b->input_width);
	ck_assert_uint_eq(a->output_width, b->output_width);
	ck_assert_uint_eq(a->levels, b->levels);
	ck_assert_uint_eq(a->page_sizes, b->page_sizes);
	ck_assert_uint_eq(a->pasid_width, b->pasid_width);
	ck_assert_int_eq(a->nesting, b->nesting);
	ck_assert_int_eq(a->dirty_tracking, b->dirty_tracking);
	ck_assert_int_eq(a->pri, b->pri);
	ck_assert_int_eq(a->ats, b->ats);
	ck_assert_int_eq(a->scalable_mode, b->scalable_mode);
	ck_assert_int_eq(a->caching_mode, b->caching_mode);
	ck_assert_uint_eq(a->iotlb_size, b->iotlb_size);
	ck_assert_uint_eq(a->aperture_start, b->aperture_start);
	ck_assert_uint_eq(a->aperture_last, b->aperture_last);
	switch (a->vendor) {
	case SIM_VENDOR_VTD:
		ck_assert_uint_eq(a->regs.vtd.cap_reg, b->regs.vtd.cap_reg);
		ck_assert_uint_eq(a->regs.vtd.ecap_reg, b->regs.vtd.ecap_reg);
		break;
	case SIM_VENDOR_SMMUV3:
		for (unsigned int i = 0; i < 6; i++)
			ck_assert_uint_eq(a->regs.smmuv3.idr[i],
					  b->regs.smmuv3.idr[i]);
		ck_assert_uint_eq(a->regs.smmuv3.iidr, b->regs.smmuv3.iidr);
		ck_assert_uint_eq(a->regs.smmuv3.aidr, b->regs.smmuv3.aidr);
		break;
	case SIM_VENDOR_AMD:
		ck_assert_uint_eq(a->regs.amd.efr, b->regs.amd.efr);
		ck_assert_uint_eq(a->regs.amd.efr2, b->regs.amd.efr2);
		break;
	case SIM_VENDOR_VIRTIO_IOMMU:
		ck_assert_uint_eq(a->regs.virtio.page_size_mask,
				  b->regs.virtio.page_size_mask);
		ck_assert_uint_eq(a->regs.virtio.input_end,
				  b->regs.virtio.input_end);
		ck_assert_uint_eq(a->regs.virtio.domain_end,
				  b->regs.virtio.domain_end);
		ck_assert_uint_eq(a->regs.virtio.probe_size,
				  b->regs.virtio.probe_size);
		ck_assert_uint_eq(a->regs.virtio.features,
				  b->regs.virtio.features);
		break;
	case SIM_VENDOR_GENERIC:
		break;
	}
	ck_assert_uint_eq(a->nr_devices, b->nr_devices);
	for (unsigned int i = 0; i < a->nr_devices; i++) {
		const struct sim_dev_desc *x = &a->devices[i], *y = &b->devices[i];

		ck_assert_str_eq(x->name, y->name);
		ck_assert_str_eq(x->bdf, y->bdf);
		ck_assert_uint_eq(x->page_sizes, y->page_sizes);
		ck_assert_uint_eq(x->pasid_width, y->pasid_width);
		ck_assert_int_eq(x->pri, y->pri);
		ck_assert_int_eq(x->ats, y->ats);
		ck_assert_uint_eq(x->nr_regions, y->nr_regions);
		for (unsigned int j = 0; j < x->nr_regions; j++) {
			ck_assert_uint_eq(x->regions[j].start, y->regions[j].start);
			ck_assert_uint_eq(x->regions[j].last, y->regions[j].last);
			ck_assert_int_eq(x->regions[j].type, y->regions[j].type);
		}
	}
}

/* A dump is itself a valid profile file that loads back to the same thing. */
START_TEST(test_dump_round_trip)
{
	const char *const *names;

	for (names = sim_profile_builtin_names(); *names; names++) {
		struct sim_profile *a = load_ok(*names), *b;
		char path[PATH_MAX];
		json_t *j = sim_profile_to_json(a);

		ck_assert_ptr_nonnull(j);
		snprintf(path, sizeof(path), "%s/%s.json", tmpdir, *names);
		ck_assert_int_eq(json_dump_file(j, path, JSON_INDENT(2)), 0);
		json_decref(j);
		b = load_ok(path);
		assert_same_profile(a, b);
		sim_profile_free(a);
		sim_profile_free(b);
	}
}
END_TEST

/*
 * A built-in is exactly its file, lib/backend/sim/profiles/NAME.json: the
 * dump of the loaded built-in is the file (less its description), the file
 * loaded as any profile file gives the same bytes, and so does a dump.
 */
START_TEST(test_builtin_is_its_file)
{
	const char *const *names;

	for (names = sim_profile_builtin_names(); *names; names++) {
		struct sim_profile *a = load_ok(*names), *b, *c;
		char file[PATH_MAX], dump[PATH_MAX];
		json_error_t je;
		json_t *doc, *j = sim_profile_to_json(a);

		snprintf(file, sizeof(file), "%s/lib/backend/sim/profiles/%s.json", top_srcdir(),
			 *names);
		doc = json_load_file(file, JSON_REJECT_DUPLICATES, &je);
		ck_assert_msg(doc, "%s: %s", file, je.text);
		ck_assert(json_is_string(json_object_get(doc, "description")));
		ck_assert_int_eq(json_object_del(doc, "description"), 0);
		ck_assert_msg(json_equal(doc, j), "%s is not what built-in %s loads", file, *names);

		b = load_ok(file);
		ck_assert_msg(!memcmp(a, b, sizeof(*a)), "%s", file);
		snprintf(dump, sizeof(dump), "%s/%s.json", tmpdir, *names);
		ck_assert_int_eq(json_dump_file(j, dump, 0), 0);
		c = load_ok(dump);
		ck_assert_msg(!memcmp(a, c, sizeof(*a)), "dump of %s", *names);
		json_decref(doc);
		json_decref(j);
		sim_profile_free(a);
		sim_profile_free(b);
		sim_profile_free(c);
	}
}
END_TEST

/* The built-ins' devices report what the model's driver reports (the default). */
START_TEST(test_builtin_regions_are_the_models)
{
	const char *const *names;
	char path[PATH_MAX], text[128];

	for (names = sim_profile_builtin_names(); *names; names++) {
		struct sim_profile *a = load_ok(*names), *b;

		snprintf(text, sizeof(text), "{\"base\": \"%s\", \"devices\": [{}]}", *names);
		write_file("one-device.json", text, path, sizeof(path));
		b = load_ok(path);
		for (unsigned int i = 0; i < a->nr_devices; i++) {
			ck_assert_uint_eq(a->devices[i].nr_regions, b->devices[0].nr_regions);
			ck_assert(!memcmp(a->devices[i].regions, b->devices[0].regions,
					  sizeof(a->devices[i].regions)));
		}
		sim_profile_free(a);
		sim_profile_free(b);
	}
}
END_TEST

/* A load gets a copy: changing it changes no later load. */
START_TEST(test_builtin_copies)
{
	struct sim_profile *p = load_ok("smmuv3"), *q = load_ok("smmuv3");
	char err[512];

	p->input_width = 40;
	p->regs.smmuv3.idr[0] = 0;
	ck_assert_int_eq(sim_profile_remove_device(q, "sim0", err, sizeof(err)), 0);
	sim_profile_free(q);
	q = load_ok("smmuv3");
	ck_assert_uint_eq(q->input_width, 48);
	ck_assert_uint_eq(q->nr_devices, 3);
	ck_assert_uint_eq(q->regs.smmuv3.idr[0], 0x080d769b);
	sim_profile_free(p);
	sim_profile_free(q);
}
END_TEST

/* The built-ins' text, read the way a built-in is: "model" starts from nothing. */
START_TEST(test_builtin_reader)
{
	struct sim_profile *p = ioasid_calloc(1, sizeof(*p));
	char err[512];
	struct perr e = { .buf = err, .len = sizeof(err), .src = "built-in t" };

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(profile_read_builtin("t",
					      "{\"model\": \"generic\", \"input_width\": 48,"
					      " \"output_width\": 48, \"levels\": [4],"
					      " \"page_sizes\": \"4K\"}",
					      p, &e),
			 0);
	ck_assert_str_eq(p->name, "t");
	ck_assert_uint_eq(p->iotlb_size, 0); /* generic's is 256 */
	ck_assert_uint_eq(p->nr_devices, 0);
	ck_assert_uint_eq(p->aperture_last, (1ULL << 48) - 1);

	memset(p, 0, sizeof(*p));
	ck_assert_int_eq(profile_read_builtin("t", "{\"base\": \"vtd\"}", p, &e), -EINVAL);
	ck_assert_str_eq(err, "built-in t: base: a built-in starts from nothing");
	memset(p, 0, sizeof(*p));
	ck_assert_int_eq(profile_read_builtin("t", "{\"model\": \"vtd\"}", p, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "built-in t: input_width: "));
	/* built-in text is known to be JSON: a failure to read it is memory */
	ck_assert_int_eq(profile_read_builtin("t", "{", p, &e), -ENOMEM);
	ck_assert_str_eq(err, "built-in t: out of memory reading JSON");
	ioasid_free(p);
}
END_TEST

/*
 * sim_profile_domain() gives the sim what it decided by vendor before:
 * IOMMU_HWPT_ALLOC_PASID for any device on VT-d and SMMUv3, else for a
 * device with PASIDs; VT-d's stage-1 format when nesting in scalable mode.
 */
static void assert_domain_rule(const struct sim_profile *p)
{
	struct vendor_domain dom;

	sim_profile_domain(p, &dom);
	for (unsigned int i = 0; i < p->nr_devices; i++) {
		unsigned int pw = p->devices[i].pasid_width < p->pasid_width ?
					  p->devices[i].pasid_width :
					  p->pasid_width;
		bool before = p->vendor == SIM_VENDOR_VTD || p->vendor == SIM_VENDOR_SMMUV3 || pw;

		ck_assert_msg((dom.pasid_any_dev || pw) == before, "%s %s", p->name,
			      p->devices[i].name);
	}
	ck_assert_uint_eq(dom.vendor_s1,
			  p->vendor == SIM_VENDOR_VTD && p->nesting && p->scalable_mode ?
				  IOASID_HWPT_NESTED_VTD_S1 :
				  0);
}

START_TEST(test_builtin_domain)
{
	static const char *const files[] = {
		"{\"base\": \"vtd\", \"nesting\": false}",
		"{\"base\": \"amd\", \"pasid_width\": 0, \"nesting\": false, \"pri\": false,"
		" \"devices\": [{}]}",
		"{\"base\": \"smmuv3\", \"pasid_width\": 0, \"devices\": [{}, {\"ats\": true}]}",
		"{\"model\": \"generic\", \"pasid_width\": 8, \"devices\": [{\"pasid_width\": 8}, {}]}",
	};
	const char *const *names;
	char path[PATH_MAX];

	for (names = sim_profile_builtin_names(); *names; names++) {
		struct sim_profile *p = load_ok(*names);

		assert_domain_rule(p);
		sim_profile_free(p);
	}
	for (unsigned int i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct sim_profile *p;

		write_file("domain.json", files[i], path, sizeof(path));
		p = load_ok(path);
		assert_domain_rule(p);
		sim_profile_free(p);
	}
}
END_TEST

/* Threads loading the built-ins at once, the first reads included, get the same bytes. */
static void *load_builtins(void *arg)
{
	struct sim_profile *const *ref = arg;
	char err[256];

	for (unsigned int round = 0; round < 20; round++) {
		const char *const *names = sim_profile_builtin_names();

		for (unsigned int i = 0; names[i]; i++) {
			struct sim_profile *p;

			if (sim_profile_load(names[i], &p, err, sizeof(err)))
				return (void *)1;
			if (ref[i] && memcmp(p, ref[i], sizeof(*p)))
				return (void *)2;
			sim_profile_free(p);
		}
	}
	return NULL;
}

START_TEST(test_builtin_threads)
{
	struct sim_profile *ref[16] = { NULL };
	pthread_t t[4];
	void *ret;

	for (unsigned int k = 0; k < 2; k++) {
		/* first without references: every thread may be the one that reads */
		for (unsigned int i = 0; i < 4; i++)
			ck_assert_int_eq(pthread_create(&t[i], NULL, load_builtins, ref), 0);
		for (unsigned int i = 0; i < 4; i++) {
			ck_assert_int_eq(pthread_join(t[i], &ret), 0);
			ck_assert_ptr_null(ret);
		}
		for (unsigned int i = 0; !k && sim_profile_builtin_names()[i]; i++) {
			ck_assert_uint_lt(i, 16);
			ref[i] = load_ok(sim_profile_builtin_names()[i]);
		}
	}
	for (unsigned int i = 0; i < 16; i++)
		sim_profile_free(ref[i]);
}
END_TEST

START_TEST(test_unknown_builtin_and_missing_file)
{
	struct sim_profile *p = (void *)1;
	char err[512], path[PATH_MAX];

	ck_assert_int_eq(sim_profile_load("no-such", &p, err, sizeof(err)),
			 -ENOENT);
	ck_assert_ptr_null(p);
	ck_assert_ptr_nonnull(strstr(err, "\"no-such\""));

	snprintf(path, sizeof(path), "%s/absent.json", tmpdir);
	ck_assert_int_eq(sim_profile_load(path, &p, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, path));

	/* NULL error buffer is fine; NULL out is refused. */
	ck_assert_int_eq(sim_profile_load("no-such", &p, NULL, 0), -ENOENT);
	ck_assert_int_eq(sim_profile_load("vtd", NULL, err, sizeof(err)),
			 -EINVAL);
	sim_profile_free(NULL);
}
END_TEST

START_TEST(test_directory_refused)
{
	struct sim_profile *p;
	char err[512], path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/dir.json", tmpdir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(sim_profile_load(path, &p, err, sizeof(err)), -EISDIR);
	ck_assert_ptr_nonnull(strstr(err, "dir.json"));
}
END_TEST

/* ------------------------------------------------------------------------
 * Malformed profile files
 */

struct bad_case {
	const char *file;
	const char *json;
	int err;
	const char *needles[4];	/* each must be in the message */
};

#define DEV_LIST_65 /* 65 empty device objects */			\
	"[{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},"		\
	"{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},"		\
	"{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},"		\
	"{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}]"
#define RGN "{\"start\":0,\"last\":0}"
#define RGN_LIST_17 "[" RGN "," RGN "," RGN "," RGN "," RGN "," RGN "," RGN "," \
	RGN "," RGN "," RGN "," RGN "," RGN "," RGN "," RGN "," RGN "," RGN "," RGN "]"

static const struct bad_case bad_cases[] = {
	/* not JSON, with jansson's line and column */
	{ "not_json.json", "{\n  \"model\": \"vtd\",\n  oops\n}\n", -EINVAL,
	  { "line 3, column", "not valid JSON" } },
	{ "dup_key.json", "{\"model\": \"vtd\", \"model\": \"amd\"}", -EINVAL,
	  { "not valid JSON", "duplicate" } },
	{ "toplevel.json", "[1, 2]", -EINVAL,
	  { "top level", "an array of 2" } },
	/* wrong types */
	{ "type_bool.json", "{\"model\": \"vtd\", \"nesting\": \"yes\"}", -EINVAL,
	  { ": nesting: ", "\"yes\"", "true or false" } },
	{ "type_num.json", "{\"base\": \"vtd\", \"input_width\": \"48\"}", -EINVAL,
	  { ": input_width: ", "\"48\"" } },
	{ "type_real.json", "{\"base\": \"vtd\", \"iotlb_size\": 1.5}", -EINVAL,
	  { ": iotlb_size: ", "1.5" } },
	{ "type_neg.json", "{\"base\": \"vtd\", \"iotlb_size\": -1}", -EINVAL,
	  { ": iotlb_size: ", "-1" } },
	{ "type_dev.json", "{\"base\": \"vtd\", \"devices\": [{\"pri\": 1}]}", -EINVAL,
	  { "devices[0].pri", "expected true or false, got 1" } },
	{ "type_devices.json", "{\"base\": \"vtd\", \"devices\": {}}", -EINVAL,
	  { ": devices: ", "{}" } },
	{ "hex_overflow.json",
	  "{\"base\": \"vtd\", \"aperture\": {\"start\": 0, \"last\": \"0x1ffffffffffffffff\"}}",
	  -EINVAL, { "aperture.last", "0x1ffffffffffffffff", "64 bits" } },
	/* page-size bitmap 0 */
	{ "pgsize_zero.json",
	  "{\"base\": \"vtd\", \"devices\": [{\"name\": \"a\"}, {\"name\": \"b\", \"page_sizes\": \"0x0\"}]}",
	  -EINVAL, { "devices[1].page_sizes", "\"0x0\"", "must not be 0" } },
	{ "pgsize_empty.json", "{\"base\": \"vtd\", \"page_sizes\": []}", -EINVAL,
	  { ": page_sizes: ", "[]", "must not be 0" } },
	{ "pgsize_int0.json", "{\"base\": \"generic\", \"devices\": [{\"page_sizes\": 0}]}",
	  -EINVAL, { "devices[0].page_sizes", "got 0)" } },
	{ "pgsize_pow2.json", "{\"base\": \"vtd\", \"page_sizes\": [\"4K\", \"3K\"]}",
	  -EINVAL, { "page_sizes[1]", "\"3K\"", "power of two" } },
	{ "pgsize_model.json", "{\"base\": \"vtd\", \"page_sizes\": [\"4K\", \"64K\"]}",
	  -EINVAL, { ": page_sizes: ", "64K", "vtd" } },
	{ "pgsize_dev.json", "{\"base\": \"generic\", \"devices\": [{\"page_sizes\": [\"2M\"]}]}",
	  -EINVAL, { "devices[0].page_sizes", "0x200000", "2M" } },
	{ "pgsize_smmu.json", "{\"base\": \"smmuv3\", \"page_sizes\": [\"4K\", \"2M\"], \"devices\": []}",
	  -EINVAL, { ": page_sizes: ", "0x201000", "granule" } },
	/* widths */
	{ "width0.json", "{\"base\": \"vtd\", \"input_width\": 0}", -EINVAL,
	  { ": input_width: ", "width 0", "1..64" } },
	{ "width65.json", "{\"base\": \"generic\", \"output_width\": 65}", -EINVAL,
	  { ": output_width: ", "width 65" } },
	{ "out_low.json", "{\"base\": \"vtd\", \"output_width\": 32}", -EINVAL,
	  { ": output_width: ", "32", "below 36", "vtd" } },
	{ "out_oas.json", "{\"base\": \"smmuv3\", \"output_width\": 46}", -EINVAL,
	  { ": output_width: ", "46", "OAS" } },
	{ "in_high.json", "{\"base\": \"smmuv3\", \"input_width\": 57}", -EINVAL,
	  { ": input_width: ", "57", "smmuv3" } },
	{ "levels.json", "{\"base\": \"qemu-vtd\", \"input_width\": 48}", -EINVAL,
	  { ": levels: ", "[3]", "48" } },
	{ "levels_vtd.json", "{\"base\": \"vtd\", \"levels\": [2, 4]}", -EINVAL,
	  { ": levels: ", "[2,4]", "vtd" } },
	{ "levels_amd.json", "{\"base\": \"amd\", \"levels\": [3, 4]}", -EINVAL,
	  { ": levels: ", "[3,4]", "HATS" } },
	/* PASID width */
	{ "pasid21.json", "{\"base\": \"vtd\", \"pasid_width\": 21}", -EINVAL,
	  { ": pasid_width: ", "21", "20" } },
	{ "dev_pasid24.json", "{\"base\": \"vtd\", \"devices\": [{\"pasid_width\": 24}]}",
	  -EINVAL, { "devices[0].pasid_width", "24", "20" } },
	{ "dev_pasid_iommu.json", "{\"base\": \"amd\", \"devices\": [{\"pasid_width\": 20}]}",
	  -EINVAL, { "devices[0].pasid_width", "20", "IOMMU's pasid_width 16" } },
	{ "legacy_pasid.json", "{\"base\": \"qemu-vtd\", \"pasid_width\": 8}", -EINVAL,
	  { ": pasid_width: ", "8", "scalable_mode" } },
	{ "amd_gt.json", "{\"base\": \"amd\", \"pasid_width\": 0, \"devices\": []}", -EINVAL,
	  { ": nesting: ", "pasid_width 0", "GTSup" } },
	{ "virtio_pasid.json", "{\"base\": \"virtio-iommu\", \"pasid_width\": 4}", -EINVAL,
	  { ": pasid_width: ", "virtio-iommu" } },
	/* devices and regions */
	{ "overlap.json",
	  "{\"base\": \"vtd\", \"devices\": [{\"reserved\": ["
	  "{\"start\": \"0xfee00000\", \"last\": \"0xfeefffff\", \"type\": \"msi\"},"
	  "{\"start\": \"0xfee80000\", \"last\": \"0xfef7ffff\"}]}]}",
	  -EINVAL, { "devices[0].reserved[1]", "0xfee80000", "overlaps reserved[0]" } },
	{ "region_order.json",
	  "{\"base\": \"vtd\", \"devices\": [{\"reserved\": [{\"start\": 10, \"last\": 5}]}]}",
	  -EINVAL, { "devices[0].reserved[0]", "0xa", "above last 0x5" } },
	{ "region_type.json",
	  "{\"base\": \"vtd\", \"devices\": [{\"reserved\": [{\"start\": 0, \"last\": 1, \"type\": \"mmio\"}]}]}",
	  -EINVAL, { "devices[0].reserved[0].type", "\"mmio\"" } },
	{ "dup_name.json",
	  "{\"base\": \"vtd\", \"devices\": [{\"name\": \"sim0\"}, {\"name\": \"x\"}, {\"name\": \"sim0\"}]}",
	  -EINVAL, { "devices[2].name", "\"sim0\"", "devices[0]" } },
	{ "dup_bdf.json",
	  "{\"base\": \"vtd\", \"devices\": [{\"bdf\": \"00:02.0\"}, {\"bdf\": \"0000:00:02.0\"}]}",
	  -EINVAL, { "devices[1].bdf", "\"0000:00:02.0\"", "devices[0]" } },
	{ "bad_bdf.json", "{\"base\": \"vtd\", \"devices\": [{\"bdf\": \"0000:00:20.0\"}]}",
	  -EINVAL, { "devices[0].bdf", "\"0000:00:20.0\"" } },
	{ "bad_name.json", "{\"base\": \"vtd\", \"devices\": [{\"name\": \"a/b\"}]}",
	  -EINVAL, { "devices[0].name", "\"a/b\"", "'/'" } },
	{ "pri_no_ats.json", "{\"base\": \"vtd\", \"devices\": [{\"pri\": true}]}",
	  -EINVAL, { "devices[0].pri", "ats" } },
	/* unknown keys, at every level */
	{ "unknown_top.json", "{\"model\": \"vtd\", \"colour\": \"red\"}", -EINVAL,
	  { ": colour: ", "unknown key" } },
	{ "unknown_dev.json", "{\"base\": \"vtd\", \"devices\": [{}, {\"colour\": 1}]}",
	  -EINVAL, { "devices[1].colour", "unknown key" } },
	{ "unknown_region.json",
	  "{\"base\": \"vtd\", \"devices\": [{\"reserved\": [{\"start\": 0, \"last\": 1, \"size\": 2}]}]}",
	  -EINVAL, { "devices[0].reserved[0].size", "unknown key" } },
	{ "unknown_reg.json", "{\"model\": \"vtd\", \"registers\": {\"efr\": 1}}", -EINVAL,
	  { "registers.efr", "unknown key" } },
	{ "unknown_generic_reg.json", "{\"model\": \"generic\", \"registers\": {\"cap_reg\": 1}}",
	  -EINVAL, { "registers.cap_reg", "unknown key" } },
	{ "unknown_aperture.json", "{\"base\": \"vtd\", \"aperture\": {\"start\": 0, \"end\": 1}}",
	  -EINVAL, { "aperture.end", "unknown key" } },
	/* where to start from */
	{ "no_model.json", "{\"name\": \"x\"}", -EINVAL, { "\"model\" or \"base\"" } },
	{ "bad_model.json", "{\"model\": \"mips\"}", -EINVAL, { ": model: ", "\"mips\"" } },
	{ "bad_base.json", "{\"base\": \"nope\"}", -ENOENT, { ": base: ", "\"nope\"" } },
	{ "base_model.json", "{\"base\": \"vtd\", \"model\": \"amd\"}", -EINVAL,
	  { ": model: ", "\"amd\"", "\"vtd\"" } },
	{ "version.json", "{\"version\": 2, \"model\": \"vtd\"}", -EINVAL,
	  { ": version: ", "2" } },
	/* capacity */
	{ "too_many_devices.json", "{\"model\": \"generic\", \"devices\": " DEV_LIST_65 "}",
	  -E2BIG, { ": devices: ", "65", "64" } },
	{ "too_many_regions.json",
	  "{\"model\": \"generic\", \"devices\": [{\"reserved\": " RGN_LIST_17 "}]}",
	  -E2BIG, { "devices[0].reserved", "17", "16" } },
	{ "long_dev_name.json",
	  "{\"model\": \"generic\", \"devices\": [{\"name\": \"a-device-name-that-is-far-too-long\"}]}",
	  -E2BIG, { "devices[0].name", "a-device-name-that-is-far", "31" } },
	{ "long_name.json",
	  "{\"model\": \"generic\", \"name\": \"pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp\"}",
	  -E2BIG, { ": name: ", "pppppppp", "63" } },
	/* registers against fields */
	{ "regs_conflict.json",
	  "{\"model\": \"vtd\", \"input_width\": 48, \"output_width\": 39, \"registers\": "
	  "{\"cap_reg\": \"0xd2008c22260286\", \"ecap_reg\": \"0xf00f5a\"}}",
	  -EINVAL, { "registers.cap_reg", "0xd2008c22260286", "input_width 39", "48" } },
	{ "regs_bits.json",
	  "{\"model\": \"vtd\", \"output_width\": 39, \"registers\": "
	  "{\"cap_reg\": \"0x1d2008c22260286\", \"ecap_reg\": \"0xf00f5a\"}}",
	  -EINVAL, { "registers.cap_reg", "0x1d2008c22260286", "disagrees" } },
	{ "regs_oas.json",
	  "{\"base\": \"smmuv3\", \"registers\": {\"idr\": [\"0x80d769b\", \"0x2739d10\", 0, \"0x400\", 0, \"0x800077\"]}}",
	  -EINVAL, { "registers.idr[5]", "OAS encoding 7", "0x00800077" } },
	{ "regs_idr_len.json", "{\"base\": \"smmuv3\", \"registers\": {\"idr\": [1, 2]}}",
	  -EINVAL, { "registers.idr", "6 numbers" } },
	{ "regs_u32.json", "{\"base\": \"smmuv3\", \"registers\": {\"aidr\": \"0x100000000\"}}",
	  -EINVAL, { "registers.aidr", "4294967296" } },
	{ "regs_amd.json", "{\"base\": \"amd\", \"pasid_width\": 8, \"registers\": {}}",
	  -EINVAL, { "registers.efr", "pasid_width 16", "8" } },
	{ "regs_virtio.json",
	  "{\"base\": \"virtio-iommu\", \"registers\": {\"features\": \"0x13\"}}",
	  -EINVAL, { "registers.features", "0x13", "MAP_UNMAP" } },
	{ "sidsize.json",
	  "{\"base\": \"smmuv3\", \"registers\": {\"idr\": [\"0x80d769b\", \"0x2739d08\", 0, \"0x400\", 0, \"0x800075\"]},"
	  " \"devices\": [{\"bdf\": \"0000:01:00.0\"}]}",
	  -EINVAL, { "devices[0].bdf", "\"0000:01:00.0\"", "SIDSIZE" } },
	{ "scalable_amd.json", "{\"base\": \"amd\", \"scalable_mode\": true}", -EINVAL,
	  { ": scalable_mode: ", "vtd" } },
	{ "aperture.json", "{\"base\": \"vtd\", \"aperture\": {\"start\": \"0x1000\", \"last\": \"0x1000000000000\"}}",
	  -EINVAL, { "aperture.last", "0x1000000000000", "48-bit" } },
};

START_TEST(test_bad_profiles)
{
	const struct bad_case *c = &bad_cases[_i];
	struct sim_profile *p = (void *)1;
	char path[PATH_MAX], err[1024];
	int ret;

	write_file(c->file, c->json, path, sizeof(path));
	ret = sim_profile_load(path, &p, err, sizeof(err));
	ck_assert_msg(ret == c->err, "%s: got %d (%s), want %d", c->file, ret,
		      err, c->err);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(err, c->file), "%s: file not named in \"%s\"",
		      c->file, err);
	for (unsigned int i = 0; i < 4 && c->needles[i]; i++)
		ck_assert_msg(strstr(err, c->needles[i]),
			      "%s: \"%s\" not in \"%s\"", c->file,
			      c->needles[i], err);
}
END_TEST

/* A short buffer truncates the message but never overruns. */
START_TEST(test_short_error_buffer)
{
	struct sim_profile *p;
	char path[PATH_MAX], err[9];

	memset(err, 'x', sizeof(err));
	write_file("short.json", "{\"model\": 1}", path, sizeof(path));
	ck_assert_int_eq(sim_profile_load(path, &p, err, 8), -EINVAL);
	ck_assert_uint_eq(strlen(err), 7);
	ck_assert_int_eq(err[8], 'x');
}
END_TEST

/* ------------------------------------------------------------------------
 * Good custom profiles
 */

START_TEST(test_custom_vtd)
{
	struct sim_profile *p = load_text_ok("custom.json",
		"{\"name\": \"custom\", \"model\": \"vtd\", \"input_width\": 57,\n"
		" \"levels\": [5], \"output_width\": 52, \"pasid_width\": 10,\n"
		" \"nesting\": false, \"dirty_tracking\": true, \"pri\": true,\n"
		" \"ats\": true, \"scalable_mode\": true, \"iotlb_size\": 64,\n"
		" \"page_sizes\": [\"4K\", \"2M\"],\n"
		" \"devices\": [{\"name\": \"nic0\", \"bdf\": \"3A:00.1\",\n"
		"   \"page_sizes\": \"0x201000\", \"pasid_width\": 10, \"pri\": true,\n"
		"   \"ats\": true, \"reserved\": [\n"
		"     {\"start\": \"0xfee00000\", \"last\": \"0xfeefffff\", \"type\": \"msi\"},\n"
		"     {\"start\": 0, \"last\": \"0xfffff\", \"type\": \"direct\"}]},\n"
		"  {\"name\": \"disk0\"}]}\n");
	uint64_t cap = p->regs.vtd.cap_reg, ecap = p->regs.vtd.ecap_reg;

	assert_consistent(p);
	ck_assert_str_eq(p->name, "custom");
	ck_assert_uint_eq(bits(cap, 21, 16), 56);	/* MGAW 57 */
	ck_assert_uint_eq(bits(cap, 12, 8), 0x8);	/* SAGAW 5-level only */
	ck_assert_uint_eq(bits(cap, 37, 34), 1);	/* SLLPS 2M */
	ck_assert(bit(cap, 60) && !bit(cap, 56));	/* FL5LP, no FL1GP */
	ck_assert_uint_eq(bits(ecap, 39, 35), 9);	/* PSS */
	ck_assert(!bit(ecap, 26) && bit(ecap, 45));	/* no NEST, SLADS */
	/* The template's implementation bits survive (vtd's FRO 0x400). */
	ck_assert_uint_eq(bits(cap, 33, 24) * 16, 0x400);
	ck_assert_uint_eq(p->aperture_last, (1ULL << 57) - 1);
	ck_assert_uint_eq(p->iotlb_size, 64);
	ck_assert_uint_eq(p->nr_devices, 2);
	ck_assert_str_eq(p->devices[0].bdf, "0000:3a:00.1");
	ck_assert(has_region(&p->devices[0], 0, 0xfffff, SIM_RESV_DIRECT));
	/* Defaults: the IOMMU's page sizes, a bus of its own, the MSI window. */
	ck_assert_str_eq(p->devices[1].bdf, "0000:02:00.0");
	ck_assert_uint_eq(p->devices[1].page_sizes, K4 | M2);
	ck_assert_uint_eq(p->devices[1].pasid_width, 0);
	ck_assert(has_region(&p->devices[1], 0xfee00000, 0xfeefffff,
			     SIM_RESV_MSI));
	sim_profile_free(p);
}
END_TEST

/* Raw registers alone: the fields come from decoding them. */
START_TEST(test_raw_registers_decode)
{
	struct sim_profile *p = load_text_ok("raw.json",
		"{\"model\": \"vtd\", \"output_width\": 39, \"registers\": "
		"{\"cap_reg\": \"0xd2008c22260286\", \"ecap_reg\": \"0xf00f5a\"}}");

	assert_consistent(p);
	ck_assert_str_eq(p->name, "raw");	/* from the file name */
	ck_assert_uint_eq(p->input_width, 39);
	ck_assert_uint_eq(p->levels, 1U << 3);
	ck_assert(p->caching_mode && !p->scalable_mode);
	ck_assert_uint_eq(p->pasid_width, 0);
	ck_assert(!p->nesting && !p->pri && !p->ats && !p->dirty_tracking);
	ck_assert_uint_eq(p->nr_devices, 0);	/* "model" starts empty */
	sim_profile_free(p);

	p = load_text_ok("raw-smmu.json",
		"{\"model\": \"smmuv3\", \"registers\": {\"idr\": "
		"[\"0x0800001a\", \"0x00000010\", 0, 0, 0, \"0x00000052\"]}}");
	assert_consistent(p);
	ck_assert_uint_eq(p->output_width, 40);
	ck_assert_uint_eq(p->page_sizes, K4 | M2 | G1 | K64 | M512);
	ck_assert(!p->nesting && !p->pri && !p->ats && !p->dirty_tracking);
	ck_assert_uint_eq(p->pasid_width, 0);
	sim_profile_free(p);

	/* A field that agrees with the registers is fine. */
	p = load_text_ok("raw-agree.json",
		"{\"model\": \"vtd\", \"input_width\": 39, \"caching_mode\": true,"
		" \"output_width\": 39, \"registers\": "
		"{\"cap_reg\": \"0xd2008c22260286\", \"ecap_reg\": \"0xf00f5a\"}}");
	sim_profile_free(p);
}
END_TEST

START_TEST(test_custom_other_models)
{
	struct sim_profile *p;

	/* AMD without guest translation: GTSup and PASmax go. */
	p = load_text_ok("amd-nogt.json",
		"{\"base\": \"amd\", \"pasid_width\": 0, \"nesting\": false,"
		" \"pri\": false, \"devices\": [{\"ats\": true}]}");
	assert_consistent(p);
	ck_assert(!bit(p->regs.amd.efr, 4));
	ck_assert_uint_eq(bits(p->regs.amd.efr, 36, 32), 0);
	sim_profile_free(p);

	/* virtio-iommu: the input width follows the aperture. */
	p = load_text_ok("virtio40.json",
		"{\"model\": \"virtio-iommu\", \"aperture\": {\"start\": 0,"
		" \"last\": \"0xffffffffff\"}}");
	assert_consistent(p);
	ck_assert_uint_eq(p->input_width, 40);
	ck_assert_uint_eq(p->regs.virtio.input_end, 0xffffffffffULL);
	sim_profile_free(p);

	/* SMMUv3 with 52-bit VA sets VAX and keeps base devices. */
	p = load_text_ok("smmu52.json",
		"{\"base\": \"smmuv3\", \"input_width\": 52, \"output_width\": 52}");
	assert_consistent(p);
	ck_assert_uint_eq(bits(p->regs.smmuv3.idr[5], 11, 10), 1);
	ck_assert_uint_eq(bits(p->regs.smmuv3.idr[5], 2, 0), 6);
	ck_assert_uint_eq(p->nr_devices, 3);
	sim_profile_free(p);

	/* A generic IOMMU may have PASIDs; sizes as one string. */
	p = load_text_ok("gen.json",
		"{\"model\": \"generic\", \"pasid_width\": 8, \"page_sizes\": \"4K\","
		" \"input_width\": 39, \"levels\": [3],"
		" \"devices\": [{\"pasid_width\": 8}]}");
	assert_consistent(p);
	ck_assert_uint_eq(p->devices[0].pasid_width, 8);
	ck_assert_str_eq(p->devices[0].name, "sim0");
	sim_profile_free(p);
}
END_TEST

START_TEST(test_examples_load)
{
	static const char *const files[] = {
		"smmuv3-two-devices.json", "vtd-57bit.json",
		"qemu72-virtio-iommu.json",
	};
	char path[PATH_MAX];

	for (unsigned int i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct sim_profile *p;

		snprintf(path, sizeof(path), "%s/examples/profiles/%s",
			 top_srcdir(), files[i]);
		p = load_ok(path);
		assert_consistent(p);
		if (i == 2) {
			ck_assert_uint_eq(p->input_width, 64);
			ck_assert_uint_eq(p->page_sizes, 0xfffffffffffff000ULL);
			ck_assert_uint_eq(p->regs.virtio.domain_end, 0xffffffffU);
		}
		sim_profile_free(p);
	}
}
END_TEST

/* ------------------------------------------------------------------------
 * Allocation failure at every position
 */

static void *jansson_malloc(size_t n)
{
	return ioasid_malloc(n);
}

static void jansson_free(void *p)
{
	ioasid_free(p);
}

/*
 * Fail each allocation of load + dump in turn (jansson's included, routed
 * through ioasid_malloc for this test): every failure is -ENOMEM with no
 * profile, or a success when jansson absorbed it; valgrind sees no leak.
 * jansson reports some failures inside its lexer as syntax errors, which
 * is the one -EINVAL allowed here.
 */
START_TEST(test_alloc_failure)
{
	json_malloc_t old_malloc;
	json_free_t old_free;
	char file[PATH_MAX], err[512];
	const char *specs[2] = { "vtd", file };

	snprintf(file, sizeof(file), "%s/examples/profiles/smmuv3-two-devices.json",
		 top_srcdir());
	json_get_alloc_funcs(&old_malloc, &old_free);
	json_set_alloc_funcs(jansson_malloc, jansson_free);
	for (unsigned int s = 0; s < 2; s++) {
		struct sim_profile *p;
		unsigned long before = ioasid_alloc_count(), total, failed = 0;
		json_t *j;

		ck_assert_int_eq(sim_profile_load(specs[s], &p, err, sizeof(err)), 0);
		j = sim_profile_to_json(p);
		ck_assert_ptr_nonnull(j);
		json_decref(j);
		sim_profile_free(p);
		total = ioasid_alloc_count() - before;

		for (unsigned long n = 1; n <= total; n++) {
			int ret;

			p = (void *)1;
			ioasid_alloc_fail_nth(n);
			ret = sim_profile_load(specs[s], &p, err, sizeof(err));
			if (!ret) {
				json_decref(sim_profile_to_json(p));
				sim_profile_free(p);
			}
			ioasid_alloc_fail_nth(0);
			if (!ret)
				continue;
			failed++;
			ck_assert_ptr_null(p);
			ck_assert_msg(ret == -ENOMEM ||
				      (ret == -EINVAL && strstr(err, "not valid JSON")),
				      "%s, allocation %lu: %d %s", specs[s], n, ret, err);
		}
		ck_assert_uint_gt(failed, 0);
	}
	json_set_alloc_funcs(old_malloc, old_free);
}
END_TEST

/*
 * A built-in is read once and then copied, so the loads above fail only
 * in the copy: fail each allocation of reading a built-in's text instead.
 */
START_TEST(test_alloc_failure_builtin_text)
{
	const char *const *names = sim_profile_builtin_names();
	struct sim_profile *p = ioasid_calloc(1, sizeof(*p));
	json_malloc_t old_malloc;
	json_free_t old_free;
	char err[512];
	struct perr e = { .buf = err, .len = sizeof(err), .src = "built-in" };

	ck_assert_ptr_nonnull(p);
	json_get_alloc_funcs(&old_malloc, &old_free);
	json_set_alloc_funcs(jansson_malloc, jansson_free);
	for (unsigned int i = 0; names[i]; i++) {
		unsigned long before = ioasid_alloc_count(), total, failed = 0;

		memset(p, 0, sizeof(*p));
		ck_assert_int_eq(profile_read_builtin(names[i], sim_builtin_json[i], p, &e), 0);
		total = ioasid_alloc_count() - before;
		for (unsigned long n = 1; n <= total; n++) {
			int ret;

			memset(p, 0, sizeof(*p));
			ioasid_alloc_fail_nth(n);
			ret = profile_read_builtin(names[i], sim_builtin_json[i], p, &e);
			ioasid_alloc_fail_nth(0);
			if (!ret)
				continue;
			failed++;
			ck_assert_msg(ret == -ENOMEM, "%s, allocation %lu: %d %s", names[i], n, ret,
				      err);
		}
		ck_assert_uint_gt(failed, 0);
	}
	json_set_alloc_funcs(old_malloc, old_free);
	ioasid_free(p);
}
END_TEST

/* ------------------------------------------------------------------------
 * Hot add / remove, sync, check
 */

static struct sim_dev_desc dev(const char *name, const char *bdf,
			       uint64_t pgs, uint8_t pasid, bool pri, bool ats)
{
	struct sim_dev_desc d;

	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.bdf, sizeof(d.bdf), "%s", bdf);
	d.page_sizes = pgs;
	d.pasid_width = pasid;
	d.pri = pri;
	d.ats = ats;
	return d;
}

#define ADD_FAILS(p, d, want, needle)					\
	do {								\
		unsigned int n_ = (p)->nr_devices;			\
		struct sim_dev_desc d_ = (d);				\
		int r_ = sim_profile_add_device((p), &d_, err, sizeof(err)); \
		ck_assert_msg(r_ == (want), "got %d (%s)", r_, err);	\
		ck_assert_msg(strstr(err, (needle)), "\"%s\" not in \"%s\"", \
			      (needle), err);				\
		ck_assert_uint_eq((p)->nr_devices, n_);			\
	} while (0)

START_TEST(test_add_remove)
{
	struct sim_profile *p = load_ok("vtd");
	struct sim_dev_desc d;
	char err[512];

	/* Empty name and BDF are chosen for the caller. */
	d = dev("", "", K4, 0, false, false);
	ck_assert_int_eq(sim_profile_add_device(p, &d, err, sizeof(err)), 0);
	ck_assert_uint_eq(p->nr_devices, 4);
	ck_assert_str_eq(p->devices[3].name, "sim3");
	ck_assert_str_eq(p->devices[3].bdf, "0000:04:00.0");

	d = dev("nic1", "5e:00.3", K4 | M2, 20, true, true);
	d.nr_regions = 1;
	d.regions[0] = (struct sim_resv_region){ 0xfee00000, 0xfeefffff, SIM_RESV_MSI };
	ck_assert_int_eq(sim_profile_add_device(p, &d, err, sizeof(err)), 0);
	ck_assert_str_eq(sim_profile_find_device(p, "nic1")->bdf, "0000:5e:00.3");

	ADD_FAILS(p, dev("sim0", "", K4, 0, false, false), -EEXIST, "sim0");
	ADD_FAILS(p, dev("new", "01:00.0", K4, 0, false, false), -EEXIST, "0000:01:00.0");
	ADD_FAILS(p, dev("new", "", 0, 0, false, false), -EINVAL, "new.page_sizes");
	ADD_FAILS(p, dev("new", "", K16, 0, false, false), -EINVAL, "0x4000");
	ADD_FAILS(p, dev("new", "", K4, 21, false, false), -EINVAL, "new.pasid_width");
	ADD_FAILS(p, dev("new", "", K4, 0, true, false), -EINVAL, "new.pri");
	ADD_FAILS(p, dev("a/b", "", K4, 0, false, false), -EINVAL, "a/b");
	ADD_FAILS(p, dev("new", "zz:00.0", K4, 0, false, false), -EINVAL, "zz:00.0");

	d = dev("new", "", K4, 0, false, false);
	d.nr_regions = 2;
	d.regions[0] = (struct sim_resv_region){ 0x1000, 0x2fff, SIM_RESV_RESERVED };
	d.regions[1] = (struct sim_resv_region){ 0x2000, 0x3fff, SIM_RESV_RESERVED };
	ADD_FAILS(p, d, -EINVAL, "new.reserved[1]");
	d.nr_regions = SIM_DEV_MAX_REGIONS + 1;
	ADD_FAILS(p, d, -E2BIG, "17");

	/* An unterminated name is over capacity, not read past its end. */
	d = dev("", "", K4, 0, false, false);
	memset(d.name, 'n', sizeof(d.name));
	ADD_FAILS(p, d, -E2BIG, "nnnn");

	ck_assert_int_eq(sim_profile_check(p, err, sizeof(err)), 0);

	/* Remove keeps the others in order. */
	ck_assert_int_eq(sim_profile_remove_device(p, "sim1", err, sizeof(err)), 0);
	ck_assert_ptr_null(sim_profile_find_device(p, "sim1"));
	ck_assert_str_eq(p->devices[1].name, "sim2");
	ck_assert_uint_eq(p->nr_devices, 4);
	ck_assert_int_eq(sim_profile_remove_device(p, "sim1", err, sizeof(err)),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "sim1"));
	ck_assert_int_eq(sim_profile_check(p, err, sizeof(err)), 0);

	/* The freed name is reused by the next unnamed add. */
	d = dev("", "", K4, 0, false, false);
	ck_assert_int_eq(sim_profile_add_device(p, &d, err, sizeof(err)), 0);
	ck_assert_str_eq(p->devices[4].name, "sim1");
	sim_profile_free(p);
}
END_TEST

START_TEST(test_add_rules_follow_iommu)
{
	struct sim_profile *p = load_ok("qemu-vtd");
	struct sim_dev_desc d;
	char err[512];

	/* No PASID, PRI or ATS on this IOMMU: devices cannot have them. */
	ADD_FAILS(p, dev("x", "", K4, 1, false, false), -EINVAL, "pasid_width 0");
	ADD_FAILS(p, dev("x", "", K4, 0, false, true), -EINVAL, "x.ats");
	sim_profile_free(p);

	p = load_ok("smmuv3");
	/* Any subset of the IOMMU's sizes is fine; 128K is not among them. */
	d = dev("x", "", K4 | K16, 0, false, false);
	ck_assert_int_eq(sim_profile_add_device(p, &d, err, sizeof(err)), 0);
	ADD_FAILS(p, dev("y", "", K4 | 0x20000ULL, 0, false, false), -EINVAL,
		  "y.page_sizes");
	sim_profile_free(p);
}
END_TEST

START_TEST(test_add_capacity)
{
	struct sim_profile *p = load_ok("generic");
	struct sim_dev_desc d = dev("", "", K4, 0, false, false);
	char err[512];

	while (p->nr_devices < SIM_PROFILE_MAX_DEVICES)
		ck_assert_int_eq(sim_profile_add_device(p, &d, err, sizeof(err)), 0);
	ck_assert_int_eq(sim_profile_check(p, err, sizeof(err)), 0);
	ADD_FAILS(p, d, -E2BIG, "64");
	sim_profile_free(p);
}
END_TEST

START_TEST(test_sync_and_check)
{
	struct sim_profile *p = load_ok("vtd");
	char err[512];

	/* Change fields, resync: consistent again. */
	p->input_width = 57;
	p->levels = 1U << 5;
	ck_assert_int_eq(sim_profile_check(p, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "registers.cap_reg"));
	sim_profile_sync_registers(p);
	p->aperture_last = (1ULL << 57) - 1;
	ck_assert_msg(sim_profile_check(p, err, sizeof(err)) == 0, "%s", err);
	assert_consistent(p);

	/* A flipped register bit is caught and named. */
	p->regs.vtd.ecap_reg ^= 1ULL << 29;	/* PRS */
	ck_assert_int_eq(sim_profile_check(p, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "registers.ecap_reg"));
	sim_profile_free(p);

	ck_assert_int_eq(sim_profile_check(NULL, err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(test_json_dump_shape)
{
	struct sim_profile *p = load_ok("smmuv3");
	json_t *j = sim_profile_to_json(p), *d;

	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(json_object_get(j, "model")), "smmuv3");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "version")), 1);
	ck_assert_uint_eq(json_array_size(json_object_get(
		json_object_get(j, "registers"), "idr")), 6);
	d = json_array_get(json_object_get(j, "devices"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(d, "name")), "sim0");
	ck_assert_str_eq(json_string_value(json_object_get(
		json_array_get(json_object_get(d, "reserved"), 0), "type")),
		"sw_msi");
	ck_assert_ptr_null(json_object_get(j, "scalable_mode"));
	json_decref(j);
	sim_profile_free(p);
	ck_assert_ptr_null(sim_profile_to_json(NULL));
	ck_assert_str_eq(sim_vendor_name(SIM_VENDOR_VIRTIO_IOMMU), "virtio-iommu");
	ck_assert_str_eq(sim_resv_type_name(SIM_RESV_DIRECT_RELAXABLE),
			 "direct_relaxable");
}
END_TEST

Suite *profile_suite(void)
{
	Suite *s = suite_create("profile");
	TCase *tc;

	/* first, so that in one process (CK_FORK=no, check-tsan) its threads read the built-ins */
	tc = tcase_create("threads");
	tcase_add_test(tc, test_builtin_threads);
	suite_add_tcase(s, tc);

	tc = tcase_create("builtin");
	tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
	tcase_add_test(tc, test_builtins_load_and_agree);
	tcase_add_test(tc, test_builtin_vtd);
	tcase_add_test(tc, test_builtin_qemu_vtd);
	tcase_add_test(tc, test_builtin_smmuv3);
	tcase_add_test(tc, test_builtin_amd_virtio_generic);
	tcase_add_test(tc, test_dump_round_trip);
	tcase_add_test(tc, test_builtin_is_its_file);
	tcase_add_test(tc, test_builtin_regions_are_the_models);
	tcase_add_test(tc, test_builtin_copies);
	tcase_add_test(tc, test_builtin_reader);
	tcase_add_test(tc, test_builtin_domain);
	tcase_add_test(tc, test_unknown_builtin_and_missing_file);
	tcase_add_test(tc, test_json_dump_shape);
	suite_add_tcase(s, tc);

	tc = tcase_create("file");
	tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
	tcase_add_loop_test(tc, test_bad_profiles, 0,
			    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, test_directory_refused);
	tcase_add_test(tc, test_short_error_buffer);
	tcase_add_test(tc, test_custom_vtd);
	tcase_add_test(tc, test_raw_registers_decode);
	tcase_add_test(tc, test_custom_other_models);
	tcase_add_test(tc, test_examples_load);
	tcase_add_test(tc, test_alloc_failure);
	tcase_add_test(tc, test_alloc_failure_builtin_text);
	suite_add_tcase(s, tc);

	tc = tcase_create("hotplug");
	tcase_add_test(tc, test_add_remove);
	tcase_add_test(tc, test_add_rules_follow_iommu);
	tcase_add_test(tc, test_add_capacity);
	tcase_add_test(tc, test_sync_and_check);
	suite_add_tcase(s, tc);
	return s;
}
