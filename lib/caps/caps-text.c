/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ioasid_caps_rows(): a capability as rows of text, read off its field
 * table (fields.h). The formats are those `ioasidctl info` has always
 * printed; the caller lays the rows out.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "caps-private.h"
#include "core/private.h"

#define TEXT_MAX 2048 /* 64 names of 31 bytes, with blanks */

struct rows {
	ioasid_cap_row_fn fn;
	void *data;
	const struct cap_desc *cd;
	const uint8_t *p;
};

/* A growing string: appends stop quietly at the end of the buffer. */
struct text {
	char s[TEXT_MAX];
	size_t n;
};

__attribute__((format(printf, 2, 3)))
static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (t->n >= sizeof(t->s))
		return;
	va_start(ap, fmt);
	r = vsnprintf(t->s + t->n, sizeof(t->s) - t->n, fmt, ap);
	va_end(ap);
	t->n += r < 0 ? 0 : (size_t)r;
}

/* A word of a list, a blank before all but the first. */
static void word(struct text *t, const char *w)
{
	add(t, "%s%s", t->n ? " " : "", w);
}

static void size_words(struct text *t, uint64_t v)
{
	char one[32];

	for (unsigned int b = 0; b < 64; b++)
		if ((v >> b) & 1)
			word(t, ioasid_size_name(UINT64_C(1) << b, one, sizeof(one)));
	if (!t->n)
		add(t, "none");
}

/* The names of the set bits of @v ("bitN" when unnamed), from @name(@f, bit). */
static void name_words(struct text *t, uint64_t v, const struct cap_desc *cd,
		       const struct cap_field *f)
{
	char one[32];

	for (unsigned int b = 0; b < 64; b++) {
		const char *n = f ? cf_name(f, b) : cap_desc_bit_name(cd, b);

		if (!((v >> b) & 1))
			continue;
		if (!n) {
			snprintf(one, sizeof(one), "bit%u", b);
			n = one;
		}
		word(t, n);
	}
	if (!t->n)
		add(t, "none");
}

static int emit(struct rows *r, uint32_t sect, uint32_t flags, const char *label,
		const char *value)
{
	static const char *const headings[] = {
		[IOASID_CAP_SECT_MAIN] = "CAPABILITY",
		[IOASID_CAP_SECT_DECODED] = "DECODED",
	};
	struct ioasid_cap_row row = {
		.section = sect,
		.flags = flags,
		.heading = sect == IOASID_CAP_SECT_RAW ? r->cd->raw_heading : headings[sect],
		.label = label,
		.value = value,
	};

	return r->fn(&row, r->data);
}

/* The text of one value of @f (the member at @off of the struct at @p). */
static void value_text(struct text *t, const struct rows *r, const struct cap_field *f,
		       const uint8_t *p, unsigned int off)
{
	unsigned long long v = cf_get(p, off, f->size);
	const char *name;

	switch (f->text) {
	case T_UINT:
		add(t, "%llu", v);
		break;
	case T_BITS:
		add(t, "%llu bits", v);
		break;
	case T_HEX:
		add(t, "0x%llx", v);
		break;
	case T_HEXPAD:
		add(t, "0x%0*llx", 2 * f->size, v);
		break;
	case T_FLAGS:
		add(t, "0x%llx", v);
		/* the flags of this register that have something to say */
		for (unsigned int i = 0; i < r->cd->nfields; i++) {
			const struct cap_field *g = &r->cd->fields[i];

			if (g->kind == CF_FLAG && g->reg == off && g->label && cf_reg_bits(g, p))
				add(t, " (%s)", g->label);
		}
		break;
	case T_HEXNAMES:
		/* each name but the table's last ends in a blank, as it always has */
		add(t, "0x%llx (", v);
		for (unsigned int b = 0; b < f->nnames; b++)
			if (((v >> b) & 1) && f->names[b])
				add(t, "%s%s", f->names[b], b + 1 < f->nnames ? " " : "");
		add(t, ")");
		break;
	case T_PGSIZES:
		size_words(t, v);
		break;
	case T_NAMES:
		name_words(t, v, r->cd, f);
		break;
	case T_PASID:
		if (v)
			add(t, "%llu bits (%llu PASIDs)", v,
			    (unsigned long long)cf_get(p, f->off2, f->size));
		else
			add(t, "0 (no PASID support)");
		break;
	case T_RANGE:
		if (f->json == J_HEX)
			add(t, "0x%llx-0x%llx", v, (unsigned long long)cf_get(p, f->off2, f->size));
		else
			add(t, "%llu-%llu", v, (unsigned long long)cf_get(p, f->off2, f->size));
		break;
	case T_ENUM:
		name = cf_name(f, (unsigned int)v);
		if (name)
			add(t, "%s", name);
		else
			add(t, "%s %llu (%s)", f->key, v, cf_name(f, f->arg));
		break;
	default:
		break;
	}
}

static int value_row(struct rows *r, uint32_t sect, const struct cap_field *f,
		     const char *label, unsigned int off)
{
	struct text t = { .n = 0 };
	uint32_t flags = f->text == T_PGSIZES || f->text == T_NAMES ? IOASID_CAP_ROW_WORDS : 0;

	value_text(&t, r, f, r->p, off);
	return emit(r, sect, flags, label, t.s);
}

/* One row per entry of a counted array; "none" when it has none. */
static int array_rows(struct rows *r, const struct cap_field *f)
{
	uint32_t count = (uint32_t)cf_get(r->p, f->off, 4), elem = (uint32_t)cf_get(r->p, f->off2, 4);
	int ret = 0;

	if (!count)
		return emit(r, IOASID_CAP_SECT_MAIN, 0, f->label, "none");
	for (uint32_t i = 0; i < count && !ret; i++) {
		const uint8_t *e = r->p + r->cd->size + (size_t)i * elem;
		struct text t = { .n = 0 };

		for (unsigned int k = 0; k < f->nsub; k++) {
			if (!f->sub[k].text)
				continue;
			if (t.n)
				add(&t, " ");
			value_text(&t, r, &f->sub[k], e, f->sub[k].off);
		}
		ret = emit(r, IOASID_CAP_SECT_MAIN, i ? IOASID_CAP_ROW_MORE : 0, f->label, t.s);
	}
	return ret;
}

/* Present, absent, and (when any) not known. */
static int tristate_rows(struct rows *r, const struct cap_field *f)
{
	uint64_t v = cf_get(r->p, f->off, f->size), known = cf_get(r->p, f->off2, f->size);
	uint64_t all = cap_named_bits(r->cd->id);
	struct text t = { .n = 0 };
	int ret;

	name_words(&t, v, r->cd, f);
	ret = emit(r, IOASID_CAP_SECT_MAIN, IOASID_CAP_ROW_WORDS, f->label, t.s);
	t.n = 0;
	name_words(&t, known & ~v, r->cd, f);
	if (!ret)
		ret = emit(r, IOASID_CAP_SECT_MAIN, IOASID_CAP_ROW_WORDS, "absent", t.s);
	t.n = 0;
	if (!ret && (all & ~known)) {
		name_words(&t, all & ~known, r->cd, f);
		ret = emit(r, IOASID_CAP_SECT_MAIN, IOASID_CAP_ROW_WORDS, "not known", t.s);
	}
	return ret;
}

static int main_rows(struct rows *r)
{
	int ret = 0;

	for (unsigned int i = 0; i < r->cd->nfields && !ret; i++) {
		const struct cap_field *f = &r->cd->fields[i];

		if (f->kind == CF_ARRAY)
			ret = array_rows(r, f);
		else if (f->kind == CF_TRISTATE)
			ret = tristate_rows(r, f);
		else if (f->text)
			ret = value_row(r, IOASID_CAP_SECT_MAIN, f, f->label, f->off);
	}
	return ret;
}

/* Registers, each element of an array its own row; errata flags last. */
static int raw_rows(struct rows *r)
{
	char label[64];
	int ret = 0;

	for (unsigned int pass = 0; pass < 2; pass++) {
		for (unsigned int i = 0; i < r->cd->nfields && !ret; i++) {
			const struct cap_field *f = &r->cd->fields[i];
			unsigned int n = f->count > 1 ? f->count : 1;

			if (f->sect != CS_RAW || !f->text || (f->text == T_FLAGS) != pass)
				continue;
			for (unsigned int k = 0; k < n && !ret; k++) {
				if (n > 1)
					snprintf(label, sizeof(label), "%s%u", f->label, k);
				ret = value_row(r, IOASID_CAP_SECT_RAW, f, n > 1 ? label : f->label,
						f->off + k * f->size);
			}
		}
	}
	return ret;
}

/* Decoded numbers, then at the first decoded bit the names of all set ones. */
static int decoded_rows(struct rows *r)
{
	bool bits_done = false;
	int ret = 0;

	for (unsigned int i = 0; i < r->cd->nfields && !ret; i++) {
		const struct cap_field *f = &r->cd->fields[i];

		if (f->kind == CF_BIT && !bits_done) {
			struct text t = { .n = 0 };

			name_words(&t, cf_get(r->p, r->cd->bits_off, 8), r->cd, NULL);
			ret = emit(r, IOASID_CAP_SECT_DECODED, IOASID_CAP_ROW_WORDS, "bits", t.s);
			bits_done = true;
		} else if (f->sect == CS_DECODED && f->text && f->kind != CF_BIT) {
			ret = value_row(r, IOASID_CAP_SECT_DECODED, f, f->label, f->off);
		}
	}
	return ret;
}

int ioasid_caps_rows(const void *buf, size_t len, uint32_t off, ioasid_cap_row_fn fn,
		     void *data)
{
	char m[IOASID_ERRMSG_MAX] = "";
	struct ioasid_cap_header h;
	struct rows r = { .fn = fn, .data = data };
	struct chain c;
	int ret;

	if (!fn)
		return ioasid_err(NULL, -EINVAL, "no row callback");
	ret = caps_chain_open(buf, len, 0, &c, m, sizeof(m));
	if (!ret)
		ret = caps_cap_check(&c, off, c.hdr_size, &h, m, sizeof(m));
	if (ret)
		return ioasid_err(NULL, ret, "%s", m);
	r.cd = cap_desc_find(h.id);
	if (!r.cd)
		return ioasid_err(NULL, -ENOENT, "no text form for cap id %u", h.id);
	r.p = (const uint8_t *)buf + off;
	if (!r.cd->raw_heading)
		return main_rows(&r);
	ret = raw_rows(&r);
	return ret ? ret : decoded_rows(&r);
}
