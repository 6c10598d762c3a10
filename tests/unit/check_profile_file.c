/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Simulated IOMMU profiles: profile files — every malformed one refused with
 * a message naming the key and the value, custom ones of every model, the
 * examples, allocation failure at every position.
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
#include "profile-fixture.h"
#include "suites.h"

/* ------------------------------------------------------------------------
 * Malformed profile files
 */

struct bad_case {
	const char *file;
	const char *json;
	int err;
	const char *needles[4]; /* each must be in the message */
};

#define DEV_LIST_65 /* 65 empty device objects */           \
	"[{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}," \
	"{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},"  \
	"{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},"  \
	"{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}]"
#define RGN "{\"start\":0,\"last\":0}"
#define RGN_LIST_17                                                                             \
	"[" RGN "," RGN "," RGN "," RGN "," RGN "," RGN "," RGN "," RGN "," RGN "," RGN "," RGN \
	"," RGN "," RGN "," RGN "," RGN "," RGN "," RGN "]"

static const struct bad_case bad_cases[] = {
	/* not JSON, with jansson's line and column */
	{ "not_json.json",
	  "{\n  \"model\": \"vtd\",\n  oops\n}\n",
	  -EINVAL,
	  { "line 3, column", "not valid JSON" } },
	{ "dup_key.json",
	  "{\"model\": \"vtd\", \"model\": \"amd\"}",
	  -EINVAL,
	  { "not valid JSON", "duplicate" } },
	{ "toplevel.json", "[1, 2]", -EINVAL, { "top level", "an array of 2" } },
	/* wrong types */
	{ "type_bool.json",
	  "{\"model\": \"vtd\", \"nesting\": \"yes\"}",
	  -EINVAL,
	  { ": nesting: ", "\"yes\"", "true or false" } },
	{ "type_num.json",
	  "{\"base\": \"vtd\", \"input_width\": \"48\"}",
	  -EINVAL,
	  { ": input_width: ", "\"48\"" } },
	{ "type_real.json",
	  "{\"base\": \"vtd\", \"iotlb_size\": 1.5}",
	  -EINVAL,
	  { ": iotlb_size: ", "1.5" } },
	{ "type_neg.json",
	  "{\"base\": \"vtd\", \"iotlb_size\": -1}",
	  -EINVAL,
	  { ": iotlb_size: ", "-1" } },
	{ "type_dev.json",
	  "{\"base\": \"vtd\", \"devices\": [{\"pri\": 1}]}",
	  -EINVAL,
	  { "devices[0].pri", "expected true or false, got 1" } },
	{ "type_devices.json",
	  "{\"base\": \"vtd\", \"devices\": {}}",
	  -EINVAL,
	  { ": devices: ", "{}" } },
	{ "hex_overflow.json",
	  "{\"base\": \"vtd\", \"aperture\": {\"start\": 0, \"last\": \"0x1ffffffffffffffff\"}}",
	  -EINVAL,
	  { "aperture.last", "0x1ffffffffffffffff", "64 bits" } },
	/* page-size bitmap 0 */
	{ "pgsize_zero.json",
	  "{\"base\": \"vtd\", \"devices\": [{\"name\": \"a\"}, {\"name\": \"b\", \"page_sizes\": \"0x0\"}]}",
	  -EINVAL,
	  { "devices[1].page_sizes", "\"0x0\"", "must not be 0" } },
	{ "pgsize_empty.json",
	  "{\"base\": \"vtd\", \"page_sizes\": []}",
	  -EINVAL,
	  { ": page_sizes: ", "[]", "must not be 0" } },
	{ "pgsize_int0.json",
	  "{\"base\": \"generic\", \"devices\": [{\"page_sizes\": 0}]}",
	  -EINVAL,
	  { "devices[0].page_sizes", "got 0)" } },
	{ "pgsize_pow2.json",
	  "{\"base\": \"vtd\", \"page_sizes\": [\"4K\", \"3K\"]}",
	  -EINVAL,
	  { "page_sizes[1]", "\"3K\"", "power of two" } },
	{ "pgsize_model.json",
	  "{\"base\": \"vtd\", \"page_sizes\": [\"4K\", \"64K\"]}",
	  -EINVAL,
	  { ": page_sizes: ", "64K", "vtd" } },
	{ "pgsize_dev.json",
	  "{\"base\": \"generic\", \"devices\": [{\"page_sizes\": [\"2M\"]}]}",
	  -EINVAL,
	  { "devices[0].page_sizes", "0x200000", "2M" } },
	{ "pgsize_smmu.json",
	  "{\"base\": \"smmuv3\", \"page_sizes\": [\"4K\", \"2M\"], \"devices\": []}",
	  -EINVAL,
	  { ": page_sizes: ", "0x201000", "granule" } },
	/* widths */
	{ "width0.json",
	  "{\"base\": \"vtd\", \"input_width\": 0}",
	  -EINVAL,
	  { ": input_width: ", "width 0", "1..64" } },
	{ "width65.json",
	  "{\"base\": \"generic\", \"output_width\": 65}",
	  -EINVAL,
	  { ": output_width: ", "width 65" } },
	{ "out_low.json",
	  "{\"base\": \"vtd\", \"output_width\": 32}",
	  -EINVAL,
	  { ": output_width: ", "32", "below 36", "vtd" } },
	{ "out_oas.json",
	  "{\"base\": \"smmuv3\", \"output_width\": 46}",
	  -EINVAL,
	  { ": output_width: ", "46", "OAS" } },
	{ "in_high.json",
	  "{\"base\": \"smmuv3\", \"input_width\": 57}",
	  -EINVAL,
	  { ": input_width: ", "57", "smmuv3" } },
	{ "levels.json",
	  "{\"base\": \"qemu-vtd\", \"input_width\": 48}",
	  -EINVAL,
	  { ": levels: ", "[3]", "48" } },
	{ "levels_vtd.json",
	  "{\"base\": \"vtd\", \"levels\": [2, 4]}",
	  -EINVAL,
	  { ": levels: ", "[2,4]", "vtd" } },
	{ "levels_amd.json",
	  "{\"base\": \"amd\", \"levels\": [3, 4]}",
	  -EINVAL,
	  { ": levels: ", "[3,4]", "HATS" } },
	/* PASID width */
	{ "pasid21.json",
	  "{\"base\": \"vtd\", \"pasid_width\": 21}",
	  -EINVAL,
	  { ": pasid_width: ", "21", "20" } },
	{ "dev_pasid24.json",
	  "{\"base\": \"vtd\", \"devices\": [{\"pasid_width\": 24}]}",
	  -EINVAL,
	  { "devices[0].pasid_width", "24", "20" } },
	{ "dev_pasid_iommu.json",
	  "{\"base\": \"amd\", \"devices\": [{\"pasid_width\": 20}]}",
	  -EINVAL,
	  { "devices[0].pasid_width", "20", "IOMMU's pasid_width 16" } },
	{ "legacy_pasid.json",
	  "{\"base\": \"qemu-vtd\", \"pasid_width\": 8}",
	  -EINVAL,
	  { ": pasid_width: ", "8", "scalable_mode" } },
	{ "amd_gt.json",
	  "{\"base\": \"amd\", \"pasid_width\": 0, \"devices\": []}",
	  -EINVAL,
	  { ": pri: ", "pasid_width 0", "PPRSup" } },
	{ "virtio_pasid.json",
	  "{\"base\": \"virtio-iommu\", \"pasid_width\": 4}",
	  -EINVAL,
	  { ": pasid_width: ", "virtio-iommu" } },
	/* devices and regions */
	{ "overlap.json",
	  "{\"base\": \"vtd\", \"devices\": [{\"reserved\": ["
	  "{\"start\": \"0xfee00000\", \"last\": \"0xfeefffff\", \"type\": \"msi\"},"
	  "{\"start\": \"0xfee80000\", \"last\": \"0xfef7ffff\"}]}]}",
	  -EINVAL,
	  { "devices[0].reserved[1]", "0xfee80000", "overlaps reserved[0]" } },
	{ "region_order.json",
	  "{\"base\": \"vtd\", \"devices\": [{\"reserved\": [{\"start\": 10, \"last\": 5}]}]}",
	  -EINVAL,
	  { "devices[0].reserved[0]", "0xa", "above last 0x5" } },
	{ "region_type.json",
	  "{\"base\": \"vtd\", \"devices\": [{\"reserved\": [{\"start\": 0, \"last\": 1, \"type\": \"mmio\"}]}]}",
	  -EINVAL,
	  { "devices[0].reserved[0].type", "\"mmio\"" } },
	{ "dup_name.json",
	  "{\"base\": \"vtd\", \"devices\": [{\"name\": \"sim0\"}, {\"name\": \"x\"}, {\"name\": \"sim0\"}]}",
	  -EINVAL,
	  { "devices[2].name", "\"sim0\"", "devices[0]" } },
	{ "dup_bdf.json",
	  "{\"base\": \"vtd\", \"devices\": [{\"bdf\": \"00:02.0\"}, {\"bdf\": \"0000:00:02.0\"}]}",
	  -EINVAL,
	  { "devices[1].bdf", "\"0000:00:02.0\"", "devices[0]" } },
	{ "bad_bdf.json",
	  "{\"base\": \"vtd\", \"devices\": [{\"bdf\": \"0000:00:20.0\"}]}",
	  -EINVAL,
	  { "devices[0].bdf", "\"0000:00:20.0\"" } },
	{ "bad_name.json",
	  "{\"base\": \"vtd\", \"devices\": [{\"name\": \"a/b\"}]}",
	  -EINVAL,
	  { "devices[0].name", "\"a/b\"", "'/'" } },
	{ "pri_no_ats.json",
	  "{\"base\": \"vtd\", \"devices\": [{\"pri\": true}]}",
	  -EINVAL,
	  { "devices[0].pri", "ats" } },
	/* unknown keys, at every level */
	{ "unknown_top.json",
	  "{\"model\": \"vtd\", \"colour\": \"red\"}",
	  -EINVAL,
	  { ": colour: ", "unknown key" } },
	{ "unknown_dev.json",
	  "{\"base\": \"vtd\", \"devices\": [{}, {\"colour\": 1}]}",
	  -EINVAL,
	  { "devices[1].colour", "unknown key" } },
	{ "unknown_region.json",
	  "{\"base\": \"vtd\", \"devices\": [{\"reserved\": [{\"start\": 0, \"last\": 1, \"size\": 2}]}]}",
	  -EINVAL,
	  { "devices[0].reserved[0].size", "unknown key" } },
	{ "unknown_reg.json",
	  "{\"model\": \"vtd\", \"registers\": {\"efr\": 1}}",
	  -EINVAL,
	  { "registers.efr", "unknown key" } },
	{ "unknown_generic_reg.json",
	  "{\"model\": \"generic\", \"registers\": {\"cap_reg\": 1}}",
	  -EINVAL,
	  { "registers.cap_reg", "unknown key" } },
	{ "unknown_aperture.json",
	  "{\"base\": \"vtd\", \"aperture\": {\"start\": 0, \"end\": 1}}",
	  -EINVAL,
	  { "aperture.end", "unknown key" } },
	/* where to start from */
	{ "no_model.json", "{\"name\": \"x\"}", -EINVAL, { "\"model\" or \"base\"" } },
	{ "bad_model.json", "{\"model\": \"mips\"}", -EINVAL, { ": model: ", "\"mips\"" } },
	{ "bad_base.json", "{\"base\": \"nope\"}", -ENOENT, { ": base: ", "\"nope\"" } },
	{ "base_model.json",
	  "{\"base\": \"vtd\", \"model\": \"amd\"}",
	  -EINVAL,
	  { ": model: ", "\"amd\"", "\"vtd\"" } },
	{ "version.json", "{\"version\": 2, \"model\": \"vtd\"}", -EINVAL, { ": version: ", "2" } },
	/* capacity */
	{ "too_many_devices.json",
	  "{\"model\": \"generic\", \"devices\": " DEV_LIST_65 "}",
	  -E2BIG,
	  { ": devices: ", "65", "64" } },
	{ "too_many_regions.json",
	  "{\"model\": \"generic\", \"devices\": [{\"reserved\": " RGN_LIST_17 "}]}",
	  -E2BIG,
	  { "devices[0].reserved", "17", "16" } },
	{ "long_dev_name.json",
	  "{\"model\": \"generic\", \"devices\": [{\"name\": \"a-device-name-that-is-far-too-long\"}]}",
	  -E2BIG,
	  { "devices[0].name", "a-device-name-that-is-far", "31" } },
	{ "long_name.json",
	  "{\"model\": \"generic\", \"name\": \"pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp\"}",
	  -E2BIG,
	  { ": name: ", "pppppppp", "63" } },
	/* registers against fields */
	{ "regs_conflict.json",
	  "{\"model\": \"vtd\", \"input_width\": 48, \"output_width\": 39, \"registers\": "
	  "{\"cap_reg\": \"0xd2008c22260286\", \"ecap_reg\": \"0xf00f5a\"}}",
	  -EINVAL,
	  { "registers.cap_reg", "0xd2008c22260286", "input_width 39", "48" } },
	{ "regs_bits.json",
	  "{\"model\": \"vtd\", \"output_width\": 39, \"registers\": "
	  "{\"cap_reg\": \"0x1d2008c22260286\", \"ecap_reg\": \"0xf00f5a\"}}",
	  -EINVAL,
	  { "registers.cap_reg", "0x1d2008c22260286", "disagrees" } },
	{ "regs_oas.json",
	  "{\"base\": \"smmuv3\", \"registers\": {\"idr\": [\"0x80d769b\", \"0x2739d10\", 0, \"0x400\", 0, \"0x800077\"]}}",
	  -EINVAL,
	  { "registers.idr[5]", "OAS encoding 7", "0x00800077" } },
	{ "regs_idr_len.json",
	  "{\"base\": \"smmuv3\", \"registers\": {\"idr\": [1, 2]}}",
	  -EINVAL,
	  { "registers.idr", "6 numbers" } },
	{ "regs_u32.json",
	  "{\"base\": \"smmuv3\", \"registers\": {\"aidr\": \"0x100000000\"}}",
	  -EINVAL,
	  { "registers.aidr", "4294967296" } },
	{ "regs_amd.json",
	  "{\"base\": \"amd\", \"pasid_width\": 8, \"registers\": {}}",
	  -EINVAL,
	  { "registers.efr", "pasid_width 16", "8" } },
	{ "regs_virtio.json",
	  "{\"base\": \"virtio-iommu\", \"registers\": {\"features\": \"0x13\"}}",
	  -EINVAL,
	  { "registers.features", "0x13", "MAP_UNMAP" } },
	{ "sidsize.json",
	  "{\"base\": \"smmuv3\", \"registers\": {\"idr\": [\"0x80d769b\", \"0x2739d08\", 0, \"0x400\", 0, \"0x800075\"]},"
	  " \"devices\": [{\"bdf\": \"0000:01:00.0\"}]}",
	  -EINVAL,
	  { "devices[0].bdf", "\"0000:01:00.0\"", "SIDSIZE" } },
	{ "scalable_amd.json",
	  "{\"base\": \"amd\", \"scalable_mode\": true}",
	  -EINVAL,
	  { ": scalable_mode: ", "vtd" } },
	{ "aperture.json",
	  "{\"base\": \"vtd\", \"aperture\": {\"start\": \"0x1000\", \"last\": \"0x1000000000000\"}}",
	  -EINVAL,
	  { "aperture.last", "0x1000000000000", "48-bit" } },
};

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

START_TEST(test_bad_profiles)
{
	const struct bad_case *c = &bad_cases[_i];
	struct sim_profile *p = (void *)1;
	char path[PATH_MAX], err[1024];
	int ret;

	write_file(c->file, c->json, path, sizeof(path));
	ret = sim_profile_load(path, &p, err, sizeof(err));
	ck_assert_msg(ret == c->err, "%s: got %d (%s), want %d", c->file, ret, err, c->err);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(err, c->file), "%s: file not named in \"%s\"", c->file, err);
	for (unsigned int i = 0; i < 4 && c->needles[i]; i++)
		ck_assert_msg(strstr(err, c->needles[i]), "%s: \"%s\" not in \"%s\"", c->file,
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
	struct sim_profile *p =
		load_text_ok("custom.json",
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
	ck_assert_uint_eq(bits(cap, 21, 16), 56);   /* MGAW 57 */
	ck_assert_uint_eq(bits(cap, 12, 8), 0x8);   /* SAGAW 5-level only */
	ck_assert_uint_eq(bits(cap, 37, 34), 1);    /* SLLPS 2M */
	ck_assert(bit(cap, 60) && !bit(cap, 56));   /* FL5LP, no FL1GP */
	ck_assert_uint_eq(bits(ecap, 39, 35), 9);   /* PSS */
	ck_assert(!bit(ecap, 26) && bit(ecap, 45)); /* no NEST, SLADS */
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
	ck_assert(has_region(&p->devices[1], 0xfee00000, 0xfeefffff, SIM_RESV_MSI));
	sim_profile_free(p);
}
END_TEST

/* Raw registers alone: the fields come from decoding them. */
START_TEST(test_raw_registers_decode)
{
	struct sim_profile *p =
		load_text_ok("raw.json",
			     "{\"model\": \"vtd\", \"output_width\": 39, \"registers\": "
			     "{\"cap_reg\": \"0xd2008c22260286\", \"ecap_reg\": \"0xf00f5a\"}}");

	assert_consistent(p);
	ck_assert_str_eq(p->name, "raw"); /* from the file name */
	ck_assert_uint_eq(p->input_width, 39);
	ck_assert_uint_eq(p->levels, 1U << 3);
	ck_assert(p->caching_mode && !p->scalable_mode);
	ck_assert_uint_eq(p->pasid_width, 0);
	ck_assert(!p->nesting && !p->pri && !p->ats && !p->dirty_tracking);
	ck_assert_uint_eq(p->nr_devices, 0); /* "model" starts empty */
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

	/*
	 * AMD without PASIDs, page requests or nesting: the one bit each needs
	 * alone (EPHSup, EFR2 GCR3TRPMode) and PASmax go; GTSup stays.
	 */
	p = load_text_ok("amd-nogt.json",
			 "{\"base\": \"amd\", \"pasid_width\": 0, \"nesting\": false,"
			 " \"pri\": false, \"devices\": [{\"ats\": true}]}");
	assert_consistent(p);
	ck_assert(bit(p->regs.amd.efr, 4));
	ck_assert(!bit(p->regs.amd.efr, 50));
	ck_assert(!bit(p->regs.amd.efr2, 3));
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
	ck_assert_uint_eq(p->nr_devices, 4);
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
		"smmuv3-two-devices.json",
		"vtd-57bit.json",
		"qemu72-virtio-iommu.json",
	};
	char path[PATH_MAX];

	for (unsigned int i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct sim_profile *p;

		snprintf(path, sizeof(path), "%s/examples/profiles/%s", top_srcdir(), files[i]);
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

	snprintf(file, sizeof(file), "%s/examples/profiles/smmuv3-two-devices.json", top_srcdir());
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

Suite *profile_file_suite(void)
{
	Suite *s = suite_create("profile_file");
	TCase *tc;

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
	return s;
}
