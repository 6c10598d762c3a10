/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The field tables (lib/caps/fields.h) and the vendor models (lib/vendor):
 * the tables are sound (registers in range, no undeclared overlaps, every
 * decoded bit named, bits in order), every decoded number decodes and
 * encodes back, every field of every capability shows up in the JSON, the
 * brief JSON and the text rows, sync and derive are inverses, registers are
 * named as profile files name them, and ioasid_caps_rows() refuses what it
 * must.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include <ioasid/caps.h>
#include <ioasid/json.h>

#include "caps/caps-json.h"
#include "caps/fields.h"
#include "vendor/vendor.h"

static bool reads_register(const struct cap_field *f)
{
	return f->kind == CF_NUM || f->kind == CF_BIT || f->kind == CF_SHOW ||
	       f->kind == CF_FLAG;
}

/* The register bits @f reads, as a mask of its register. */
static uint64_t reg_mask(const struct cap_field *f)
{
	uint64_t m = f->width >= 64 ? UINT64_MAX : (UINT64_C(1) << f->width) - 1;

	return m << f->lo;
}

START_TEST(test_tables_sound)
{
	for (unsigned int i = 0; cap_descs[i]; i++) {
		const struct cap_desc *d = cap_descs[i];
		char name[48];

		ck_assert_ptr_eq(cap_desc_find(d->id), d);
		for (unsigned int k = 0; k < d->nfields; k++) {
			const struct cap_field *f = &d->fields[k];

			ck_assert_msg(f->kind && f->key, "%s field %u", d->name, k);
			ck_assert_msg(f->off + (f->count > 1 ? f->count : 1u) * f->size <= d->size ||
				      reads_register(f) || f->kind == CF_ARRAY,
				      "%s.%s lies past the struct", d->name, f->key);
			if (!reads_register(f))
				continue;
			ck_assert_msg(f->width >= 1 && f->lo + f->width <= 8u * f->rsize,
				      "%s.%s: bits %u..%u of a %u-byte register", d->name, f->key,
				      f->lo, f->lo + f->width - 1, f->rsize);
			ck_assert_msg(f->reg + f->rsize <= d->size, "%s.%s", d->name, f->key);
			/* the register is a raw member of the capability */
			vendor_reg_name(d, f->reg, false, name, sizeof(name));
			ck_assert_msg(strncmp(name, "offset", 6), "%s.%s reads no register",
				      d->name, f->key);
			if (f->map == MAP_TABLE)
				ck_assert_msg(f->table, "%s.%s", d->name, f->key);
		}
	}
}
END_TEST

START_TEST(test_no_undeclared_overlap)
{
	for (unsigned int i = 0; vendor_models[i]; i++) {
		const struct cap_desc *d = vendor_models[i]->cap;

		for (unsigned int a = 0; a < d->nfields; a++) {
			const struct cap_field *fa = &d->fields[a];

			if (!reads_register(fa))
				continue;
			for (unsigned int b = a + 1; b < d->nfields; b++) {
				const struct cap_field *fb = &d->fields[b];

				if (!reads_register(fb) || fa->reg != fb->reg ||
				    !(reg_mask(fa) & reg_mask(fb)))
					continue;
				ck_assert_msg((fa->flags | fb->flags) & CFF_VIEW,
					      "%s: %s and %s read the same bits undeclared",
					      d->name, fa->key, fb->key);
			}
		}
	}
}
END_TEST

START_TEST(test_bits_named)
{
	for (unsigned int i = 0; vendor_models[i]; i++) {
		const struct cap_desc *d = vendor_models[i]->cap;
		uint64_t seen = 0, last = 0;

		if (!d->bits_off)
			continue;
		for (unsigned int k = 0; k < d->nfields; k++) {
			const struct cap_field *f = &d->fields[k];

			if (f->kind != CF_BIT)
				continue;
			ck_assert_msg(f->mask && !(f->mask & (f->mask - 1)), "%s.%s", d->name, f->key);
			ck_assert_msg(!(seen & f->mask), "%s.%s twice", d->name, f->key);
			/* the JSON lists them in this order, by bit */
			ck_assert_msg(f->mask > last, "%s.%s out of order", d->name, f->key);
			ck_assert_msg(f->vals, "%s.%s", d->name, f->key);
			last = f->mask;
			seen |= f->mask;
		}
		/* every bit version 1 defines is decoded and named, and no other */
		ck_assert_uint_eq(seen, d->bits_v1);
		ck_assert_uint_eq(cap_named_bits(d->id), d->bits_v1);
		for (unsigned int b = 0; b < 64; b++)
			ck_assert_int_eq(!!ioasid_cap_bit_name(d->id, b), (d->bits_v1 >> b) & 1);
	}
	ck_assert_uint_eq(cap_named_bits(IOASID_CAP_FEATURES), IOASID_FEAT_ALL);
	ck_assert_uint_eq(cap_named_bits(IOASID_CAP_VIRTIO_IOMMU), 0x7f);
}
END_TEST

/* The register bit a gated number needs (the CF_BIT with the gate's mask), set. */
static void open_gate(const struct cap_desc *d, const struct cap_field *f, void *cap)
{
	for (unsigned int k = 0; k < d->nfields && f->mask; k++)
		if (d->fields[k].kind == CF_BIT && d->fields[k].mask == f->mask)
			cf_set_reg_bits(&d->fields[k], cap, 1);
}

START_TEST(test_numbers_round_trip)
{
	for (unsigned int i = 0; vendor_models[i]; i++) {
		const struct cap_desc *d = vendor_models[i]->cap;

		for (unsigned int k = 0; k < d->nfields; k++) {
			const struct cap_field *f = &d->fields[k];
			unsigned int n = f->width > 8 ? 256 : 1u << f->width;

			if (f->kind != CF_NUM && f->kind != CF_SHOW)
				continue;
			for (uint64_t raw = 0; raw < n; raw++) {
				union vendor_regs zero, before, after;
				uint64_t v, back;

				memset(&zero, 0, sizeof(zero));
				open_gate(d, f, &zero);
				before = zero;
				vendor_decode(d, &before);
				after = zero;
				cf_set_reg_bits(f, &after, raw);
				vendor_decode(d, &after);
				v = cf_decode(d, f, &after);
				if (f->kind == CF_NUM)
					ck_assert_uint_eq(cf_get(&after, f->off, f->size), v);
				/* the bits that give v decode to v again */
				cf_unmap(f, v, &back);
				ck_assert_msg(cf_map(f, back) == v, "%s.%s raw %llu", d->name,
					      f->key, (unsigned long long)raw);
				if (f->kind != CF_NUM || (f->flags & CFF_VIEW))
					continue;
				/* and encoding the decoded value writes them */
				after = before;
				cf_put(&after, f->off, f->size, v);
				vendor_encode(d, &before, &after);
				ck_assert_msg(cf_get(&after, f->off, f->size) == v &&
					      cf_decode(d, f, &after) == v,
					      "%s.%s: %llu does not encode", d->name, f->key,
					      (unsigned long long)v);
			}
		}
	}
}
END_TEST

START_TEST(test_bits_round_trip)
{
	for (unsigned int i = 0; vendor_models[i]; i++) {
		const struct cap_desc *d = vendor_models[i]->cap;

		for (unsigned int k = 0; k < d->nfields; k++) {
			const struct cap_field *f = &d->fields[k];
			union vendor_regs r, before;

			if (f->kind != CF_BIT || f->vals != 2)
				continue;
			memset(&r, 0, sizeof(r));
			cf_set_reg_bits(f, &r, 1);
			vendor_decode(d, &r);
			ck_assert_msg(cf_get(&r, d->bits_off, 8) & f->mask, "%s.%s", d->name, f->key);
			/* setting the decoded bit sets the register bit */
			memset(&before, 0, sizeof(before));
			vendor_decode(d, &before);
			r = before;
			cf_put(&r, d->bits_off, 8, cf_get(&r, d->bits_off, 8) | f->mask);
			vendor_encode(d, &before, &r);
			ck_assert_uint_eq(cf_reg_bits(f, &r), 1);
		}
	}
}
END_TEST

/* One chain with every capability the library knows, registers all ones. */
static void *full_chain(size_t *len)
{
	static const uint32_t idr[6] = { ~0u, ~0u, ~0u, ~0u, ~0u, ~0u };
	const struct ioasid_cap_iova_range ranges[] = { { 0, 0xfff }, { 0x2000, 0xffff } };
	const struct ioasid_cap_resv_region regions[] = {
		{ 0x1000, 0x1fff, IOASID_RESV_MSI, 0 }, { 0x10000, 0x1ffff, 99, 0 },
	};
	struct ioasid_cap_virtio_iommu v = {
		.features = 0x7f, .page_size_mask = 0x1000, .input_end = 0xffff,
		.domain_end = 9, .probe_size = 512, .bypass = 1,
	};
	struct ioasid_caps_builder *b;
	void *buf;

	ck_assert_int_eq(ioasid_caps_builder_new(&b), 0);
	ck_assert_int_eq(ioasid_caps_add_page_sizes(b, 1, 0x40201000), 0);
	ck_assert_int_eq(ioasid_caps_add_addr_width(b, 1, 48, 46), 0);
	ck_assert_int_eq(ioasid_caps_add_pasid(b, 1, 20), 0);
	ck_assert_int_eq(ioasid_caps_add_iova_ranges(b, 1, ranges, 2), 0);
	ck_assert_int_eq(ioasid_caps_add_resv_regions(b, 1, regions, 2), 0);
	ck_assert_int_eq(ioasid_caps_add_features(b, 1, 0x1, 0xff), 0);
	ck_assert_int_eq(ioasid_caps_add_vtd(b, 1, ~UINT64_C(0), ~UINT64_C(0), 1), 0);
	ck_assert_int_eq(ioasid_caps_add_smmuv3(b, 1, idr, ~0u, ~0u, 1), 0);
	ck_assert_int_eq(ioasid_caps_add_amd(b, 1, ~UINT64_C(0), ~UINT64_C(0)), 0);
	ck_assert_int_eq(ioasid_caps_add_virtio_iommu(b, 1, &v), 0);
	ck_assert_int_eq(ioasid_caps_builder_finish(b, &buf, len), 0);
	ioasid_caps_builder_free(b);
	return buf;
}

/* Every field with a JSON form is in the capability's object (or "decoded"). */
static void check_json_fields(const struct cap_desc *d, const struct cap_field *fields,
			      unsigned int n, json_t *o)
{
	json_t *dec = json_object_get(o, "decoded");

	for (unsigned int k = 0; k < n; k++) {
		const struct cap_field *f = &fields[k];
		json_t *dst = f->sect == CS_DECODED ? dec : o;

		if (f->kind == CF_PAD || (f->kind == CF_MEMBER && !f->json))
			continue;
		if (f->json == J_NAMES) {
			for (unsigned int b = 0; b < f->nnames; b++)
				ck_assert_msg(json_object_get(dst, f->names[b]), "%s: %s", d->name,
					      f->names[b]);
			continue;
		}
		ck_assert_msg(json_object_get(dst, f->key), "%s: no \"%s\"", d->name, f->key);
		if (f->kind == CF_RANGE)
			ck_assert_msg(json_object_get(dst, f->key2), "%s: %s", d->name, f->key2);
		if (f->kind == CF_ARRAY)
			check_json_fields(d, f->sub, f->nsub,
					  json_array_get(json_object_get(dst, f->key), 0));
	}
}

START_TEST(test_every_field_in_json)
{
	size_t len;
	void *buf = full_chain(&len);
	json_t *arr = ioasid_caps_to_json(buf, len), *brief = ioasid_caps_to_json_brief(buf, len);
	size_t i;
	json_t *o;

	ck_assert_ptr_nonnull(arr);
	ck_assert_ptr_nonnull(brief);
	ck_assert_uint_eq(json_array_size(arr), 10);
	json_array_foreach(arr, i, o) {
		const struct cap_desc *d =
			cap_desc_find((uint16_t)json_integer_value(json_object_get(o, "id_num")));

		ck_assert_ptr_nonnull(d);
		check_json_fields(d, d->fields, d->nfields, o);
		/* and the brief summary has what the table gives a brief key */
		for (unsigned int k = 0; k < d->nfields; k++)
			if (d->fields[k].brief)
				ck_assert_msg(json_object_get(brief, d->fields[k].brief), "%s",
					      d->fields[k].brief);
	}
	/* an unnamed reserved type reads as reserved; vendor names the last vendor cap */
	o = json_array_get(json_object_get(brief, "reserved"), 1);
	ck_assert_str_eq(json_string_value(json_object_get(o, "type")), "reserved");
	ck_assert_str_eq(json_string_value(json_object_get(brief, "vendor")), "virtio_iommu");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(brief, "page_sizes"), 2)),
			 "1G");
	json_decref(arr);
	json_decref(brief);
	ioasid_caps_free(buf);
}
END_TEST

/* Rows of one capability, as "label=value" lines, with the sections seen. */
struct rows_seen {
	char text[8192];
	size_t n;
	unsigned int sections;
};

static int collect(const struct ioasid_cap_row *row, void *data)
{
	struct rows_seen *rs = data;

	ck_assert_ptr_nonnull(row->heading);
	rs->sections |= 1u << row->section;
	rs->n += (size_t)snprintf(rs->text + rs->n, sizeof(rs->text) - rs->n, "%s=%s\n",
				  row->label, row->value);
	ck_assert_uint_lt(rs->n, sizeof(rs->text));
	return 0;
}

static bool has_row(const struct rows_seen *rs, const char *label)
{
	char want[80];

	snprintf(want, sizeof(want), "%s=", label);
	return !strncmp(rs->text, want, strlen(want)) ||
	       (snprintf(want, sizeof(want), "\n%s=", label), strstr(rs->text, want));
}

START_TEST(test_every_field_in_rows)
{
	struct ioasid_cap_header h;
	size_t len;
	void *buf = full_chain(&len);
	uint32_t off;
	int rc;

	for (rc = ioasid_caps_first(buf, len, 0, &off, &h); !rc;
	     rc = ioasid_caps_next(buf, len, 0, off, &off, &h)) {
		const struct cap_desc *d = cap_desc_find(h.id);
		struct rows_seen rs = { .n = 0 };
		char label[64];

		ck_assert_int_eq(ioasid_caps_rows(buf, len, off, collect, &rs), 0);
		ck_assert_uint_eq(rs.sections, d->raw_heading ?
				  (1u << IOASID_CAP_SECT_RAW | 1u << IOASID_CAP_SECT_DECODED) :
				  1u << IOASID_CAP_SECT_MAIN);
		for (unsigned int k = 0; k < d->nfields; k++) {
			const struct cap_field *f = &d->fields[k];

			if (f->kind == CF_BIT)
				ck_assert_msg(has_row(&rs, "bits"), "%s", d->name);
			if (f->kind == CF_FLAG && f->label)
				ck_assert_msg(strstr(rs.text, f->label), "%s: %s", d->name, f->label);
			if (!f->text || !f->label)
				continue;
			snprintf(label, sizeof(label), "%s%s", f->label, f->count > 1 ? "0" : "");
			ck_assert_msg(has_row(&rs, label), "%s: no row %s in\n%s", d->name, label,
				      rs.text);
		}
	}
	ck_assert_int_eq(rc, -ENOENT);
	ioasid_caps_free(buf);
}
END_TEST

static int stop(const struct ioasid_cap_row *row, void *data)
{
	(void)row;
	(void)data;
	return 42;
}

START_TEST(test_rows_refuse)
{
	struct rows_seen rs = { .n = 0 };
	struct ioasid_caps_builder *b;
	struct ioasid_cap_header h;
	uint8_t unknown[24] = { 0 };
	size_t len;
	void *buf;
	uint32_t off;

	ck_assert_int_eq(ioasid_caps_builder_new(&b), 0);
	h = (struct ioasid_cap_header){ .id = 0x4242, .version = 1, .source = 1 };
	memcpy(unknown, &h, sizeof(h));
	ck_assert_int_eq(ioasid_caps_add(b, unknown, sizeof(unknown)), 0);
	ck_assert_int_eq(ioasid_caps_add_pasid(b, 1, 0), 0);
	ck_assert_int_eq(ioasid_caps_builder_finish(b, &buf, &len), 0);
	ioasid_caps_builder_free(b);

	ck_assert_int_eq(ioasid_caps_first(buf, len, 0, &off, &h), 0);
	ck_assert_int_eq(ioasid_caps_rows(buf, len, off, collect, &rs), -ENOENT);
	ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(), "16962"));
	ck_assert_int_eq(ioasid_caps_rows(buf, len, off, NULL, NULL), -EINVAL);
	/* an offset that is no capability, a cut chain */
	ck_assert_int_eq(ioasid_caps_rows(buf, len, 4, collect, &rs), -EINVAL);
	ck_assert_int_eq(ioasid_caps_rows(buf, 8, off, collect, &rs), -EMSGSIZE);
	ck_assert_int_eq(ioasid_caps_next(buf, len, 0, off, &off, &h), 0);
	/* the callback's verdict comes back */
	ck_assert_int_eq(ioasid_caps_rows(buf, len, off, stop, NULL), 42);
	ck_assert_int_eq(ioasid_caps_rows(buf, len, off, collect, &rs), 0);
	ck_assert_str_eq(rs.text, "PASID width=0 (no PASID support)\n");
	ioasid_caps_free(buf);
}
END_TEST

START_TEST(test_sync_derive_inverse)
{
	static const struct {
		const struct vendor_model *m;
		struct vendor_props p;
	} cases[] = {
		{ &vendor_vtd, { .input_width = 48, .levels = 0x30, .page_sizes = 0x40201000,
				 .pasid_width = 20, .nesting = true, .dirty = true, .pri = true,
				 .ats = true, .scalable = true } },
		{ &vendor_vtd, { .input_width = 39, .levels = 0x8, .page_sizes = 0x1000,
				 .caching = true } },
		{ &vendor_smmuv3, { .input_width = 52, .output_width = 44,
				    .page_sizes = 0x62215000, .pasid_width = 16,
				    .nesting = true, .dirty = true, .ats = true } },
		{ &vendor_amd, { .levels = 0x3e, .pasid_width = 16, .nesting = true,
				 .pri = true } },
		{ &vendor_virtio_iommu, { .input_width = 40, .page_sizes = 0x1000,
					  .ap_start = 0x1000, .ap_last = 0xffffffffff } },
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct vendor_props *want = &cases[i].p;
		struct vendor_props got;
		struct vendor_err e;
		union vendor_regs r, again;
		uint64_t va, vb;
		char name[48];

		memset(&r, 0xa5, sizeof(r)); /* bits no property decides survive */
		vendor_sync(cases[i].m, want, &r);
		ck_assert_int_eq(vendor_derive(cases[i].m, &r, &got, &e), 0);
#define SAME(bit, f) ck_assert_msg(!(got.mask & (bit)) || got.f == want->f, "%s: %s", \
				   cases[i].m->name, #f)
		SAME(VP_INPUT, input_width);
		SAME(VP_OUTPUT, output_width);
		SAME(VP_LEVELS, levels);
		SAME(VP_PGSIZES, page_sizes);
		SAME(VP_PASID, pasid_width);
		SAME(VP_NESTING, nesting);
		SAME(VP_DIRTY, dirty);
		SAME(VP_PRI, pri);
		SAME(VP_ATS, ats);
		SAME(VP_SCALABLE, scalable);
		SAME(VP_CACHING, caching);
		SAME(VP_APERTURE, ap_start);
		SAME(VP_APERTURE, ap_last);
#undef SAME
		/* registers that agree with the properties are left alone */
		again = r;
		vendor_sync(cases[i].m, want, &again);
		ck_assert_ptr_null(vendor_regs_differ(cases[i].m, &r, &again, &va, &vb, name,
						      sizeof(name)));
	}
}
END_TEST

START_TEST(test_register_names)
{
	union vendor_regs a, b;
	uint64_t va, vb;
	char name[48];

	memset(&a, 0, sizeof(a));
	b = a;
	b.smmuv3.idr[5] = 7;
	ck_assert_str_eq(vendor_regs_differ(&vendor_smmuv3, &a, &b, &va, &vb, name,
					    sizeof(name)), "idr[5]");
	ck_assert_uint_eq(vb, 7);
	b = a;
	b.virtio.input_end = 1;
	ck_assert_str_eq(vendor_regs_differ(&vendor_virtio_iommu, &a, &b, &va, &vb, name,
					    sizeof(name)), "input_range.end");
	b.virtio.page_size_mask = 0x1000;
	ck_assert_str_eq(vendor_prop_reg(&vendor_virtio_iommu, VP_APERTURE, &b, &va, name,
					 sizeof(name)), "input_range");
	ck_assert_uint_eq(va, 1);
	ck_assert_ptr_null(vendor_prop_reg(&vendor_virtio_iommu, VP_NESTING, &b, &va, name,
					   sizeof(name)));
	b = a;
	b.vtd.ecap_reg = 3;
	ck_assert_str_eq(vendor_prop_reg(&vendor_vtd, VP_PASID, &b, &va, name, sizeof(name)),
			 "ecap_reg");
	ck_assert_uint_eq(va, 3);
	ck_assert_str_eq(vendor_prop_reg(&vendor_vtd, VP_CACHING, &b, &va, name, sizeof(name)),
			 "cap_reg");
	ck_assert_ptr_eq(vendor_by_cap(IOASID_CAP_AMD), &vendor_amd);
	ck_assert_ptr_null(vendor_by_cap(IOASID_CAP_PASID));
	ck_assert(vendor_field_holds(&vendor_smmuv3, "oas_bits", 52));
	ck_assert(!vendor_field_holds(&vendor_smmuv3, "oas_bits", 50));
	ck_assert(!vendor_field_holds(&vendor_smmuv3, "oas_bits", 0));
	ck_assert_str_eq(vendor_field_values(&vendor_smmuv3, "oas_bits", name, sizeof(name)),
			 "32, 36, 40, 42, 44, 48, 52");
}
END_TEST

START_TEST(test_reserved_encodings)
{
	union vendor_regs r;
	struct vendor_props p;
	struct vendor_err e;

	memset(&r, 0, sizeof(r));
	r.smmuv3.idr[5] = 7; /* OAS 7 */
	ck_assert_int_eq(vendor_derive(&vendor_smmuv3, &r, &p, &e), -EINVAL);
	ck_assert_str_eq(e.reg, "idr[5]");
	ck_assert_ptr_nonnull(strstr(e.msg, "OAS encoding 7"));
	r.smmuv3.idr[5] = 2u << 10; /* VAX 2 */
	ck_assert_int_eq(vendor_derive(&vendor_smmuv3, &r, &p, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "VAX encoding 2"));
	memset(&r, 0, sizeof(r));
	r.amd.efr = 3u << 10; /* HATS 3 */
	ck_assert_int_eq(vendor_derive(&vendor_amd, &r, &p, &e), -EINVAL);
	ck_assert_str_eq(e.reg, "efr");
	memset(&r, 0, sizeof(r));
	r.vtd.cap_reg = UINT64_C(4) << 34; /* SLLPS 512G */
	ck_assert_int_eq(vendor_derive(&vendor_vtd, &r, &p, &e), -EINVAL);
	ck_assert_str_eq(e.reg, "cap_reg");
}
END_TEST

START_TEST(test_size_name)
{
	char b[32];

	ck_assert_str_eq(ioasid_size_name(0x1000, b, sizeof(b)), "4K");
	ck_assert_str_eq(ioasid_size_name(UINT64_C(1) << 30, b, sizeof(b)), "1G");
	ck_assert_str_eq(ioasid_size_name(0x1800, b, sizeof(b)), "6K");
	ck_assert_str_eq(ioasid_size_name(0x800, b, sizeof(b)), "2K");
	ck_assert_str_eq(ioasid_size_name(0x801, b, sizeof(b)), "0x801");
	ck_assert_str_eq(ioasid_size_name(UINT64_C(1) << 63, b, sizeof(b)), "8E");
	ck_assert_str_eq(ioasid_size_name(0, b, sizeof(b)), "0");
}
END_TEST

/* Called by the shared runner (tests/unit). */
Suite *vendor_suite(void);

Suite *vendor_suite(void)
{
	Suite *s = suite_create("vendor");
	TCase *tc;

	tc = tcase_create("tables");
	tcase_add_test(tc, test_tables_sound);
	tcase_add_test(tc, test_no_undeclared_overlap);
	tcase_add_test(tc, test_bits_named);
	tcase_add_test(tc, test_numbers_round_trip);
	tcase_add_test(tc, test_bits_round_trip);
	suite_add_tcase(s, tc);

	tc = tcase_create("shown");
	tcase_add_test(tc, test_every_field_in_json);
	tcase_add_test(tc, test_every_field_in_rows);
	tcase_add_test(tc, test_rows_refuse);
	tcase_add_test(tc, test_size_name);
	suite_add_tcase(s, tc);

	tc = tcase_create("models");
	tcase_add_test(tc, test_sync_derive_inverse);
	tcase_add_test(tc, test_register_names);
	tcase_add_test(tc, test_reserved_encodings);
	suite_add_tcase(s, tc);
	return s;
}
