/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A capability chain as JSON, read off the field tables (fields.h), at two
 * levels (as libnl's dump levels): details, every field of every
 * capability; brief, one object of the essentials. The chain is validated
 * first, so the dumpers below may read each capability's known fields
 * without further checks; they still copy (memcpy) rather than cast, since
 * the buffer's own alignment is the caller's.
 *
 * jansson can fail to allocate at any step; instead of checking each
 * call, every setter records the failure in a flag and the result is
 * thrown away at the end when the flag is set.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <ioasid/caps.h>

#include "caps-json.h"
#include "core/private.h"
#include "fields.h"

#define MAX_UNKNOWN_DATA 4096

struct dump {
	bool oom;
};

/*
 * Both setters own @v whatever happens: json_*_new() consume it even when
 * they fail, and when the container itself could not be allocated @v is
 * dropped here.
 */
static void set(struct dump *d, json_t *obj, const char *key, json_t *v)
{
	if (!obj) {
		json_decref(v);
		d->oom = true;
	} else if (!v || json_object_set_new(obj, key, v)) {
		d->oom = true;
	}
}

static void push(struct dump *d, json_t *arr, json_t *v)
{
	if (!arr) {
		json_decref(v);
		d->oom = true;
	} else if (!v || json_array_append_new(arr, v)) {
		d->oom = true;
	}
}

static json_t *hex(uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "0x%" PRIx64, v);
	return json_string(s);
}

static void set_int(struct dump *d, json_t *o, const char *key, uint64_t v)
{
	set(d, o, key, json_integer((json_int_t)v));
}

static json_t *value_json(const struct cap_field *f, uint64_t v)
{
	const char *name;
	json_t *arr;

	switch (f->json) {
	case J_HEX:
		return hex(v);
	case J_BITLIST:
		arr = json_array();
		for (unsigned int n = 0; arr && n < 8u * f->size; n++)
			if (((v >> n) & 1) && json_array_append_new(arr, json_integer(n))) {
				json_decref(arr);
				return NULL;
			}
		return arr;
	case J_ENUM:
		name = cf_name(f, (unsigned int)v);
		return name ? json_string(name) : json_integer((json_int_t)v);
	default:
		return json_integer((json_int_t)v);
	}
}

/* Every named bit of @v as "name": true|false. */
static void set_named_bits(struct dump *d, json_t *o, const struct cap_field *f, uint64_t v)
{
	for (unsigned int i = 0; i < f->nnames; i++)
		if (f->names[i])
			set(d, o, f->names[i], json_boolean((v >> i) & 1));
}

/* Tristate bits: true, false, or null when the backend could not tell. */
static json_t *tristate_json(struct dump *d, const struct cap_field *f, const uint8_t *p)
{
	uint64_t v = cf_get(p, f->off, f->size), known = cf_get(p, f->off2, f->size);
	json_t *o = json_object();

	for (unsigned int i = 0; i < f->nnames; i++)
		set(d, o, f->names[i], !((known >> i) & 1) ? json_null() :
		    json_boolean((v >> i) & 1));
	return o;
}

static void dump_field(struct dump *d, json_t *o, const struct cap_desc *cd,
		       const struct cap_field *f, const uint8_t *p);

/* The entries of a counted array, each an object of its fields. */
static json_t *array_json(struct dump *d, const struct cap_desc *cd, const struct cap_field *f,
			  const uint8_t *p)
{
	uint32_t count = (uint32_t)cf_get(p, f->off, 4), elem = (uint32_t)cf_get(p, f->off2, 4);
	const uint8_t *e = p + cd->size;
	json_t *arr = json_array();

	for (uint32_t i = 0; i < count && !d->oom; i++, e += elem) {
		json_t *jr = json_object();

		for (unsigned int k = 0; k < f->nsub; k++)
			dump_field(d, jr, cd, &f->sub[k], e);
		push(d, arr, jr);
	}
	return arr;
}

/* One field of the capability (or entry) at @p into @o. */
static void dump_field(struct dump *d, json_t *o, const struct cap_desc *cd,
		       const struct cap_field *f, const uint8_t *p)
{
	switch (f->kind) {
	case CF_MEMBER:
		if (f->json == J_NAMES) {
			set_named_bits(d, o, f, cf_get(p, f->off, f->size));
		} else if (f->count > 1) {
			json_t *arr = json_array();

			for (unsigned int i = 0; i < f->count; i++)
				push(d, arr, value_json(f, cf_get(p, f->off + i * f->size, f->size)));
			set(d, o, f->key, arr);
		} else if (f->json) {
			set(d, o, f->key, value_json(f, cf_get(p, f->off, f->size)));
		}
		break;
	case CF_RANGE:
		set(d, o, f->key, value_json(f, cf_get(p, f->off, f->size)));
		set(d, o, f->key2, value_json(f, cf_get(p, f->off2, f->size)));
		break;
	case CF_ARRAY:
		set(d, o, f->key, array_json(d, cd, f, p));
		break;
	case CF_TRISTATE:
		set(d, o, f->key, tristate_json(d, f, p));
		break;
	case CF_NUM:
		set(d, o, f->key, value_json(f, cf_get(p, f->off, f->size)));
		break;
	case CF_SHOW:
		set(d, o, f->key, value_json(f, cf_decode(cd, f, p)));
		break;
	case CF_BIT:
		set(d, o, f->key, json_boolean(cf_get(p, cd->bits_off, 8) & f->mask));
		break;
	case CF_FLAG:
		set(d, o, f->key, json_boolean(cf_reg_bits(f, p)));
		break;
	default:
		break;
	}
}

/* The fields of a known capability: raw ones at the top, decoded ones in "decoded". */
static void dump_known(struct dump *d, json_t *o, const struct cap_desc *cd, const uint8_t *p)
{
	json_t *dec = cd->raw_heading ? json_object() : NULL;

	for (unsigned int i = 0; i < cd->nfields && !d->oom; i++) {
		const struct cap_field *f = &cd->fields[i];

		dump_field(d, f->sect == CS_DECODED ? dec : o, cd, f, p);
	}
	if (cd->raw_heading)
		set(d, o, "decoded", dec);
}

static void dump_unknown(struct dump *d, json_t *o, const uint8_t *p,
			 uint32_t size)
{
	static const char digits[] = "0123456789abcdef";
	uint32_t n = size - sizeof(struct ioasid_cap_header);
	char s[2 * MAX_UNKNOWN_DATA + 1];

	if (n > MAX_UNKNOWN_DATA) {
		set(d, o, "data_truncated", json_true());
		n = MAX_UNKNOWN_DATA;
	}
	p += sizeof(struct ioasid_cap_header);
	for (uint32_t i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 0xf];
	}
	s[2 * n] = '\0';
	set(d, o, "data", json_string(s));
}

static json_t *dump_cap(struct dump *d, const uint8_t *buf, uint32_t off,
			const struct ioasid_cap_header *h)
{
	const uint8_t *p = buf + off;
	const char *name = ioasid_cap_id_name(h->id);
	const char *src = ioasid_cap_source_name(h->source);
	const struct cap_desc *cd;
	json_t *o = json_object();

	if (!o) {
		d->oom = true;
		return NULL;
	}
	set(d, o, "id", json_string(name ? name : "unknown"));
	set_int(d, o, "id_num", h->id);
	set_int(d, o, "version", h->version);
	set(d, o, "source", src ? json_string(src) : json_integer(h->source));
	set_int(d, o, "offset", off);
	set_int(d, o, "size", h->size);

	cd = cap_desc_find(h->id);
	if (cd)
		dump_known(d, o, cd, p);
	else
		dump_unknown(d, o, p, h->size);
	return o;
}

/* ------------------------------------------------------------------------ */
/* The brief level                                                          */

static json_t *brief_names(const struct cap_field *f, uint64_t v)
{
	json_t *arr = json_array();
	char one[32];

	for (unsigned int b = 0; arr && b < 64; b++) {
		const char *n = cf_name(f, b);

		if (!((v >> b) & 1))
			continue;
		if (!n) {
			snprintf(one, sizeof(one), "bit%u", b);
			n = one;
		}
		if (json_array_append_new(arr, json_string(n))) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static json_t *brief_sizes(uint64_t v)
{
	json_t *arr = json_array();
	char one[32];

	for (unsigned int b = 0; arr && b < 64; b++)
		if (((v >> b) & 1) &&
		    json_array_append_new(arr, json_string(ioasid_size_name(UINT64_C(1) << b, one,
									  sizeof(one))))) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

/* One field of the capability (or entry) at @p, if it is part of the summary. */
static void brief_field(struct dump *d, json_t *o, const struct cap_desc *cd,
			const struct cap_field *f, const uint8_t *p)
{
	uint64_t v = f->bfmt && f->bfmt != B_ARRAY ? cf_get(p, f->off, f->size) : 0;
	const char *name;

	switch (f->bfmt) {
	case B_INT:
		set(d, o, f->brief, json_integer((json_int_t)v));
		break;
	case B_SIZES:
		set(d, o, f->brief, brief_sizes(v));
		break;
	case B_NAMES:
		set(d, o, f->brief, brief_names(f, v));
		break;
	case B_HEX:
		set(d, o, f->key, hex(v));
		set(d, o, f->key2, hex(cf_get(p, f->off2, f->size)));
		break;
	case B_ENUM:
		/* a value without a name reads as value .arg */
		name = cf_name(f, (unsigned int)v);
		set(d, o, f->brief, json_string(name ? name : cf_name(f, f->arg)));
		break;
	case B_ARRAY: {
		uint32_t count = (uint32_t)cf_get(p, f->off, 4), elem = (uint32_t)cf_get(p, f->off2, 4);
		json_t *arr = json_array();

		for (uint32_t i = 0; i < count && !d->oom; i++) {
			json_t *jr = json_object();

			for (unsigned int k = 0; k < f->nsub; k++)
				brief_field(d, jr, cd, &f->sub[k], p + cd->size + (size_t)i * elem);
			push(d, arr, jr);
		}
		set(d, o, f->brief, arr);
		break;
	}
	default:
		break;
	}
}

static void brief_cap(struct dump *d, json_t *o, const uint8_t *buf, uint32_t off,
		      const struct ioasid_cap_header *h)
{
	const struct cap_desc *cd = cap_desc_find(h->id);

	if (!cd)
		return;
	for (unsigned int i = 0; i < cd->nfields && !d->oom; i++)
		brief_field(d, o, cd, &cd->fields[i], buf + off);
	/* of a vendor capability, the summary says which vendor */
	if (cd->raw_heading)
		set(d, o, "vendor", json_string(cd->name));
}

/* ------------------------------------------------------------------------ */
/* The chain                                                                */

static json_t *chain_json(const void *buf, size_t len, bool brief)
{
	struct ioasid_cap_header h;
	struct dump d = { .oom = false };
	json_t *top;
	uint32_t off;
	int ret;

	ret = ioasid_caps_validate(buf, len, 0);
	if (ret)
		return NULL;
	top = brief ? json_object() : json_array();
	if (!top)
		goto oom;
	ret = ioasid_caps_first(buf, len, 0, &off, &h);
	while (!ret && !d.oom) {
		if (brief)
			brief_cap(&d, top, buf, off, &h);
		else
			push(&d, top, dump_cap(&d, buf, off, &h));
		ret = ioasid_caps_next(buf, len, 0, off, &off, &h);
	}
	if (d.oom)
		goto oom;
	/* -ENOENT ends the walk; validate() already vouched for the rest. */
	if (ret != -ENOENT) {
		json_decref(top);
		return NULL;
	}
	return top;
oom:
	json_decref(top);
	ioasid_err(NULL, -ENOMEM, "out of memory for a capability dump");
	return NULL;
}

json_t *ioasid_caps_to_json(const void *buf, size_t len)
{
	return chain_json(buf, len, false);
}

json_t *ioasid_caps_to_json_brief(const void *buf, size_t len)
{
	return chain_json(buf, len, true);
}
