/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Simulated IOMMU profiles: the built-ins (each a profile file compiled in),
 * their dump round trip, threads reading them, and hot add/remove.
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

#include <ioasid/fault.h>
#include <ioasid/hwpt.h>
#include <ioasid/ioas.h>
#include <ioasid/set.h>

#include "util/alloc.h"
#include "profile-fixture.h"
#include "suites.h"

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
	ck_assert_uint_eq(n, 9);
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

/*
 * The QEMU IOMMUs the VM rig boots under (check-vm compares them with the
 * kernel): AMD's registers as QEMU 7.2 gives them, GTSup without GIOSup, so
 * Linux offers no PASIDs, page requests or nesting; virtio-iommu with its
 * 64-bit input range, where a domain covers the whole space: attaching to
 * it once failed with ENOMEM (no reserved region to add, no array yet).
 */
START_TEST(test_builtin_qemu_amd_virtio)
{
	struct sim_profile *p = load_ok("qemu-amd");
	struct ioasid_ctx *ctx;
	uint32_t d, a, h, set, sa, q;

	ck_assert_uint_eq(p->regs.amd.efr, 0x29d3);
	ck_assert_uint_eq(p->regs.amd.efr2, 0);
	ck_assert(!p->nesting && !p->pri && p->pasid_width == 0);
	ck_assert_uint_eq(p->levels, 0x7e); /* HATS 2: 1..6 levels */
	sim_profile_free(p);

	p = load_ok("qemu-virtio");
	ck_assert_uint_eq(p->input_width, 64);
	ck_assert_uint_eq(p->aperture_last, ~0ULL);
	ck_assert_uint_eq(p->devices[0].page_sizes, K4);
	sim_profile_free(p);

	ck_assert_int_eq(ioasid_ctx_open("sim:qemu-virtio", NULL, &ctx), 0);
	ck_assert_int_eq(ioasid_dev_bind(ctx, "sim0", &d), 0);
	ck_assert_int_eq(ioasid_ioas_alloc(ctx, &a), 0);
	ck_assert_msg(ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, a, NULL) == 0, "%s",
		      ioasid_ctx_errmsg(ctx));
	ck_assert_int_eq(ioasid_dev_detach(ctx, d, IOASID_PASID_NONE), 0);
	/*
	 * Linux's virtio-iommu driver has no domain_alloc_paging_flags: an HWPT
	 * with any flag is EOPNOTSUPP (the VM's answer), one without is fine.
	 */
	ck_assert_int_eq(ioasid_set_alloc(ctx,
					  &(struct ioasid_set_opts){
						  .sz = sizeof(struct ioasid_set_opts),
						  .max_ioas = 1 },
					  &set),
			 0);
	ck_assert_int_eq(ioasid_set_ioas_alloc(ctx, set, &sa), 0);
	ck_assert_int_eq(ioasid_fault_queue_alloc(ctx,
						  &(struct ioasid_fault_queue_opts){
							  .sz = sizeof(
								  struct ioasid_fault_queue_opts),
							  .set = set },
						  &q),
			 0);
	ck_assert_int_eq(ioasid_hwpt_alloc(ctx, d, sa,
					   &(struct ioasid_hwpt_opts){
						   .sz = sizeof(struct ioasid_hwpt_opts),
						   .flags = IOASID_HWPT_FAULT_ID_VALID,
						   .fault_queue = q },
					   &h),
			 -EOPNOTSUPP);
	ck_assert_ptr_nonnull(strstr(ioasid_ctx_errmsg(ctx), "takes no IOMMU_HWPT_ALLOC flags"));
	ck_assert_int_eq(ioasid_hwpt_alloc(ctx, d, sa, NULL, &h), 0);
	ioasid_ctx_close(ctx);
}
END_TEST

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
	ck_assert_uint_eq(q->nr_devices, 4);
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
	tcase_add_test(tc, test_builtin_qemu_amd_virtio);
	tcase_add_test(tc, test_dump_round_trip);
	tcase_add_test(tc, test_builtin_is_its_file);
	tcase_add_test(tc, test_builtin_regions_are_the_models);
	tcase_add_test(tc, test_builtin_copies);
	tcase_add_test(tc, test_builtin_reader);
	tcase_add_test(tc, test_builtin_domain);
	tcase_add_test(tc, test_unknown_builtin_and_missing_file);
	tcase_add_test(tc, test_json_dump_shape);
	suite_add_tcase(s, tc);

	tc = tcase_create("hotplug");
	tcase_add_test(tc, test_add_remove);
	tcase_add_test(tc, test_add_rules_follow_iommu);
	tcase_add_test(tc, test_add_capacity);
	tcase_add_test(tc, test_sync_and_check);
	suite_add_tcase(s, tc);
	return s;
}
