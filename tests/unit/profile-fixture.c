/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sim-profile suites' shared helpers (see profile-fixture.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile-fixture.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

const char *top_srcdir(void)
{
	const char *s = getenv("top_srcdir");

	return s && *s ? s : TOP_SRCDIR;
}

/* ------------------------------------------------------------------------
 * A temporary directory per test for profile files
 */

/* Short, so "<tmpdir>/<file>" always fits a PATH_MAX buffer. */
char tmpdir[256];

void setup_tmp(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/check_profile.XXXXXX", base && *base ? base : "/tmp");
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

void teardown_tmp(void)
{
	rm_rf(tmpdir);
}

/* Write @text to tmpdir/@name; the full path goes to @path. */
void write_file(const char *name, const char *text, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

struct sim_profile *load_ok(const char *spec)
{
	struct sim_profile *p = NULL;
	char err[512];
	int ret = sim_profile_load(spec, &p, err, sizeof(err));

	ck_assert_msg(ret == 0, "load %s: %d %s", spec, ret, err);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sim_profile_check(p, err, sizeof(err)), 0);
	return p;
}

struct sim_profile *load_text_ok(const char *name, const char *text)
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
	ck_assert_int_eq(bit(cap, 7), p->caching_mode);      /* CM */
	ck_assert_int_eq(sm, p->scalable_mode);              /* SMTS */
	ck_assert_int_eq(bit(ecap, 46), p->scalable_mode);   /* SLTS */
	ck_assert_int_eq(bit(ecap, 40), p->pasid_width > 0); /* PASID */
	if (p->pasid_width)
		ck_assert_uint_eq(bits(ecap, 39, 35) + 1, p->pasid_width);
	ck_assert_int_eq(bit(ecap, 26), p->nesting);        /* NEST */
	ck_assert_int_eq(bit(ecap, 29), p->pri);            /* PRS */
	ck_assert_int_eq(bit(ecap, 45), p->dirty_tracking); /* SLADS */
	ck_assert_int_eq(bit(ecap, 2), p->ats);             /* DT */
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

	ck_assert(bit(idr[0], 1));                                      /* S1P */
	ck_assert_int_eq(bit(idr[0], 0) && bit(idr[0], 1), p->nesting); /* S2P */
	ck_assert_int_eq(bits(idr[0], 7, 6) == 2, p->dirty_tracking);   /* HTTU */
	ck_assert_uint_le(bits(idr[0], 7, 6), 2);
	ck_assert_int_eq(bit(idr[0], 10), p->ats);              /* ATS */
	ck_assert_int_eq(bit(idr[0], 16), p->pri);              /* PRI */
	ck_assert_uint_eq(bits(idr[1], 10, 6), p->pasid_width); /* SSIDSIZE */
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

		ck_assert_int_eq(sscanf(p->devices[i].bdf, "%*x:%x:%x.%x", &bus, &dev, &fn), 3);
		if (bits(idr[1], 5, 0) < 16)
			ck_assert_uint_lt(bus << 8 | dev << 3 | fn, 1U << bits(idr[1], 5, 0));
	}
}

static void assert_amd_consistent(const struct sim_profile *p)
{
	uint64_t efr = p->regs.amd.efr;
	unsigned int hats = (unsigned int)bits(efr, 11, 10);

	ck_assert_uint_lt(hats, 3);
	ck_assert_uint_eq(p->levels, ((1U << (hats + 5)) - 1) & ~1U); /* 1..HATS+4 */
	/* Linux: v2 tables need GTSup + GIOSup; PASIDs and PPR also PPRSup + EPHSup */
	int gt_ppr = bit(efr, 4) && bit(efr, 48) && bit(efr, 1) && bit(efr, 50);

	ck_assert_int_eq(gt_ppr, p->pri);
	ck_assert_int_eq(gt_ppr, p->pasid_width > 0);
	/* a nest parent: GTSup + GIOSup + EFR2 GCR3TRPMode */
	ck_assert_int_eq(bit(efr, 4) && bit(efr, 48) && bit(p->regs.amd.efr2, 3), p->nesting);
	if (p->pasid_width)
		ck_assert_uint_eq(bits(efr, 36, 32) + 1, p->pasid_width); /* PASmax */
	ck_assert_int_eq(bit(efr, 52), p->dirty_tracking);                /* HDSup */
}

static void assert_virtio_consistent(const struct sim_profile *p)
{
	const struct ioasid_cap_virtio_iommu *r = &p->regs.virtio;

	ck_assert_uint_eq(r->page_size_mask, p->page_sizes);
	ck_assert_uint_eq(r->input_start, p->aperture_start);
	ck_assert_uint_eq(r->input_end, p->aperture_last);
	ck_assert(r->features & (1ULL << 2)); /* MAP_UNMAP */
	ck_assert_uint_le(r->domain_start, r->domain_end);
	ck_assert_int_eq(p->pasid_width, 0);
	ck_assert(!p->nesting && !p->dirty_tracking && !p->pri && !p->ats);
	for (unsigned int i = 0; i < p->nr_devices; i++)
		if (p->devices[i].nr_regions)
			ck_assert(r->features & (1ULL << 4)); /* PROBE */
}

/* Vendor-neutral invariants plus the vendor's own decoding. */
void assert_consistent(const struct sim_profile *p)
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

bool has_region(const struct sim_dev_desc *d, uint64_t start, uint64_t last, enum sim_resv_type type)
{
	for (unsigned int i = 0; i < d->nr_regions; i++)
		if (d->regions[i].start == start && d->regions[i].last == last &&
		    d->regions[i].type == type)
			return true;
	return false;
}

void assert_same_profile(const struct sim_profile *a, const struct sim_profile *b)
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
			ck_assert_uint_eq(a->regs.smmuv3.idr[i], b->regs.smmuv3.idr[i]);
		ck_assert_uint_eq(a->regs.smmuv3.iidr, b->regs.smmuv3.iidr);
		ck_assert_uint_eq(a->regs.smmuv3.aidr, b->regs.smmuv3.aidr);
		break;
	case SIM_VENDOR_AMD:
		ck_assert_uint_eq(a->regs.amd.efr, b->regs.amd.efr);
		ck_assert_uint_eq(a->regs.amd.efr2, b->regs.amd.efr2);
		break;
	case SIM_VENDOR_VIRTIO_IOMMU:
		ck_assert_uint_eq(a->regs.virtio.page_size_mask, b->regs.virtio.page_size_mask);
		ck_assert_uint_eq(a->regs.virtio.input_end, b->regs.virtio.input_end);
		ck_assert_uint_eq(a->regs.virtio.domain_end, b->regs.virtio.domain_end);
		ck_assert_uint_eq(a->regs.virtio.probe_size, b->regs.virtio.probe_size);
		ck_assert_uint_eq(a->regs.virtio.features, b->regs.virtio.features);
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
