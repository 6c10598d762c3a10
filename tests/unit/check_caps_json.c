/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Capability chains as JSON (ioasid_caps_to_json): every known cap's
 * fields and decoded bits, unknown caps as bytes, a bad chain, and
 * jansson's allocator failing at every call.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include <ioasid/caps.h>

#include "caps/caps-json.h"
#include "caps-chain.h"
#include "suites.h"

static json_t *cap_by_id(json_t *arr, const char *id)
{
	size_t i;
	json_t *o;

	json_array_foreach(arr, i, o) {
		const char *s = json_string_value(json_object_get(o, "id"));

		if (s && !strcmp(s, id))
			return o;
	}
	return NULL;
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	ck_assert_msg(s != NULL, "no string \"%s\"", key);
	return s;
}

static json_int_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	ck_assert_msg(json_is_integer(v), "no integer \"%s\"", key);
	return json_integer_value(v);
}
/* The generic caps of build_full(), field by field. */
static void expect_json_generic_caps(json_t *arr)
{
	json_t *o, *v;

	o = json_array_get(arr, 0);
	ck_assert_str_eq(jstr(o, "id"), "page_sizes");
	ck_assert_int_eq(jint(o, "id_num"), 1);
	ck_assert_int_eq(jint(o, "version"), 1);
	ck_assert_str_eq(jstr(o, "source"), "measured");
	ck_assert_int_eq(jint(o, "offset"), 16);
	ck_assert_int_eq(jint(o, "size"), 24);
	ck_assert_str_eq(jstr(o, "bitmap"), "0x40201000");

	o = cap_by_id(arr, "addr_width");
	ck_assert_str_eq(jstr(o, "source"), "derived");
	ck_assert_int_eq(jint(o, "input_bits"), 48);
	ck_assert_int_eq(jint(o, "output_bits"), 46);

	o = cap_by_id(arr, "pasid");
	ck_assert_int_eq(jint(o, "width"), 20);
	ck_assert_int_eq(jint(o, "max_pasids"), 1 << 20);

	o = cap_by_id(arr, "iova_ranges");
	v = json_object_get(o, "ranges");
	ck_assert_uint_eq(json_array_size(v), 2);
	ck_assert_str_eq(jstr(json_array_get(v, 1), "start"), "0xfef00000");
	ck_assert_str_eq(jstr(json_array_get(v, 1), "last"), "0x7fffffffff");

	o = cap_by_id(arr, "resv_regions");
	v = json_object_get(o, "regions");
	ck_assert_uint_eq(json_array_size(v), 3);
	ck_assert_str_eq(jstr(json_array_get(v, 0), "type"), "msi");
	ck_assert_str_eq(jstr(json_array_get(v, 2), "type"), "direct_relaxable");

	o = cap_by_id(arr, "features");
	v = json_object_get(o, "features");
	ck_assert(json_is_true(json_object_get(v, "nesting")));
	ck_assert(json_is_true(json_object_get(v, "ats")));
	ck_assert(json_is_false(json_object_get(v, "dirty_tracking")));
	ck_assert(json_is_null(json_object_get(v, "pri")));
}

/* The vendor caps keep their registers and show their decoded fields. */
static void expect_json_vendor_caps(json_t *arr)
{
	json_t *o, *dec, *v;

	o = cap_by_id(arr, "vtd");
	ck_assert_str_eq(jstr(o, "cap_reg"), "0xd2008c22260206");
	ck_assert_str_eq(jstr(o, "ecap_reg"), "0xf42");
	dec = json_object_get(o, "decoded");
	ck_assert_int_eq(jint(dec, "mgaw"), 39);
	ck_assert_int_eq(jint(dec, "domains"), 65536);
	v = json_object_get(dec, "levels");
	ck_assert_uint_eq(json_array_size(v), 1);
	ck_assert_int_eq(json_integer_value(json_array_get(v, 0)), 3);
	ck_assert(json_is_true(json_object_get(dec, "sp_1g")));
	ck_assert(json_is_true(json_object_get(dec, "pt")));
	ck_assert(json_is_false(json_object_get(dec, "smts")));
	ck_assert(json_is_false(json_object_get(dec, "cm")));

	o = cap_by_id(arr, "smmuv3");
	ck_assert_str_eq(jstr(o, "source"), "configured");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(o, "idr"), 0)),
			 "0xd0d149b");
	dec = json_object_get(o, "decoded");
	ck_assert_int_eq(jint(dec, "oas_bits"), 48);
	ck_assert_int_eq(jint(dec, "ssidsize"), 20);
	ck_assert_int_eq(jint(dec, "arch_minor"), 2);
	ck_assert(json_is_true(json_object_get(dec, "hd")));
	ck_assert(json_is_false(json_object_get(dec, "stall")));

	o = cap_by_id(arr, "amd");
	ck_assert_str_eq(jstr(o, "efr"), "0x13000f000057da");
	dec = json_object_get(o, "decoded");
	ck_assert_int_eq(jint(dec, "pasid_bits"), 16);
	ck_assert(json_is_true(json_object_get(dec, "gt")));

	o = cap_by_id(arr, "virtio_iommu");
	ck_assert_str_eq(jstr(o, "page_size_mask"), "0xfffffffffffff000");
	ck_assert_int_eq(jint(o, "bypass"), 1);
	dec = json_object_get(o, "decoded");
	ck_assert(json_is_true(json_object_get(dec, "probe")));
	ck_assert(json_is_false(json_object_get(dec, "mmio")));

	o = cap_by_id(arr, "unknown");
	ck_assert_int_eq(jint(o, "id_num"), 0x7777);
	ck_assert_int_eq(jint(o, "version"), 3);
	ck_assert_str_eq(jstr(o, "data"), "8877665544332211a500000000000000");
}

/* An unknown cap's bytes are dumped up to 4096 of them. */
static void expect_json_unknown_truncated(void)
{
	struct ioasid_caps_builder *b;
	static uint8_t big[16 + 5000];
	struct ioasid_cap_header h = { 0x3333, 1, 0, 0, MEASURED };
	json_t *arr, *o;
	void *buf;
	size_t len;

	memcpy(big, &h, sizeof(h));
	memset(big + 16, 0xab, sizeof(big) - 16);
	ck_assert_int_eq(ioasid_caps_builder_new(&b), 0);
	ck_assert_int_eq(ioasid_caps_add(b, big, sizeof(big)), 0);
	ck_assert_int_eq(ioasid_caps_builder_finish(b, &buf, &len), 0);
	ioasid_caps_builder_free(b);
	arr = ioasid_caps_to_json(buf, len);
	ck_assert_ptr_nonnull(arr);
	o = json_array_get(arr, 0);
	ck_assert(json_is_true(json_object_get(o, "data_truncated")));
	ck_assert_uint_eq(strlen(jstr(o, "data")), 2 * 4096);
	ck_assert_int_eq(jint(o, "size"), 5016);
	json_decref(arr);
	ioasid_caps_free(buf);
}

START_TEST(test_json)
{
	json_t *arr;
	void *buf;
	size_t len;
	char *text;
	struct raw r;

	build_full(&buf, &len);
	arr = ioasid_caps_to_json(buf, len);
	ck_assert_msg(arr != NULL, "%s", ioasid_last_errmsg());
	ck_assert(json_is_array(arr));
	ck_assert_uint_eq(json_array_size(arr), 11);
	expect_json_generic_caps(arr);
	expect_json_vendor_caps(arr);

	text = json_dumps(arr, JSON_COMPACT);
	ck_assert_ptr_nonnull(text);
	free(text);
	json_decref(arr);

	/* A bad chain gives NULL and the parser's message. */
	raw_from(&r, buf, len);
	put32(&r, 8, (uint32_t)len + 8);
	ck_assert_ptr_null(ioasid_caps_to_json(rb(&r), r.len));
	ck_err_has(ioasid_last_errmsg(), "truncated");
	ioasid_caps_free(buf);
	expect_json_unknown_truncated();

	/* An empty chain is an empty array. */
	raw_hdr(&r, 16, 0);
	arr = ioasid_caps_to_json(rb(&r), r.len);
	ck_assert_ptr_nonnull(arr);
	ck_assert_uint_eq(json_array_size(arr), 0);
	json_decref(arr);
}
END_TEST

/* jansson's allocator, made to fail at the n-th call. */
static long json_fail_at;

static void *json_failing_malloc(size_t n)
{
	if (json_fail_at > 0 && --json_fail_at == 0)
		return NULL;
	return malloc(n);
}

START_TEST(test_json_oom)
{
	json_malloc_t old_malloc;
	json_free_t old_free;
	json_t *arr;
	void *buf;
	size_t len;
	long n;

	build_full(&buf, &len);
	json_get_alloc_funcs(&old_malloc, &old_free);
	/* Fail each allocation in turn until one run needs no failure. */
	for (n = 1; n < 100000; n++) {
		bool hit;

		json_fail_at = n;
		json_set_alloc_funcs(json_failing_malloc, free);
		arr = ioasid_caps_to_json(buf, len);
		hit = json_fail_at == 0;
		json_set_alloc_funcs(old_malloc, old_free);
		if (!hit) {
			ck_assert_ptr_nonnull(arr);
			json_decref(arr);
			break;
		}
		ck_assert_msg(arr == NULL, "allocation %ld failed unnoticed", n);
		ck_err_has(ioasid_last_errmsg(), "out of memory");
	}
	ck_assert_int_gt(n, 100);
	json_fail_at = 0;
	ioasid_caps_free(buf);
}
END_TEST

Suite *caps_json_suite(void)
{
	Suite *s = suite_create("caps_json");
	TCase *tc;

	tc = tcase_create("json");
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_json_oom);
	suite_add_tcase(s, tc);
	return s;
}
