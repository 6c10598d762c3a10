/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The content checks of known capabilities, read off their field tables
 * (fields.h): each field's rule, the counted array's shape and order, the
 * reserved bytes of version 1, and for a vendor capability the decoded
 * members against a fresh decode of its registers. Used by the parser on
 * every capability it visits and by the builder before it links one in.
 *
 * A newer version of a capability is checked on the fields this version
 * knows: its reserved bytes may have gained a meaning, and so may decoded
 * bits this version does not define.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "caps-private.h"
#include "vendor/vendor.h"

/* The capability being checked, and the array entry (@entry, or NULL) in it. */
struct check {
	const struct cap_desc *d;
	const uint8_t *p;
	uint32_t off;
	const struct ioasid_cap_header *h;
	char *err;
	size_t errlen;
	const char *entry; /* "range", "region" */
	uint32_t idx;
};

__attribute__((format(printf, 3, 4)))
static int bad(const struct check *c, int ret, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (c->entry)
		return caps_cap_fail(c->err, c->errlen, ret, c->off, c->h, "%s %u: %s",
				     c->entry, c->idx, what);
	return caps_cap_fail(c->err, c->errlen, ret, c->off, c->h, "%s", what);
}

static const char *what(const struct cap_field *f)
{
	return f->what ? f->what : f->key;
}

/* Reserved bytes are 0 in version 1. */
static int check_pad(const struct check *c, const struct cap_field *f, const uint8_t *base)
{
	if (c->h->version != 1)
		return 0;
	if (f->size == 4 || f->size == 8) {
		unsigned long long v = cf_get(base, f->off, f->size);

		if (!v)
			return 0;
		/* an entry has one reserved field; a capability names its own */
		if (c->entry)
			return bad(c, -EINVAL, "reserved field is 0x%llx, not 0", v);
		return bad(c, -EINVAL, "reserved field %s is 0x%llx, not 0", f->key, v);
	}
	for (unsigned int i = 0; i < f->size; i++)
		if (base[f->off + i])
			return bad(c, -EINVAL, "reserved byte %s[%u] is 0x%x, not 0", f->key, i,
				   base[f->off + i]);
	return 0;
}

static int check_range(const struct check *c, const struct cap_field *f, const uint8_t *base)
{
	unsigned long long a = cf_get(base, f->off, f->size), b = cf_get(base, f->off2, f->size);

	if (a <= b)
		return 0;
	if (f->json != J_HEX)
		return bad(c, -EINVAL, "%s start %llu > end %llu", what(f), a, b);
	if (f->what)
		return bad(c, -EINVAL, "%s start 0x%llx > end 0x%llx", f->what, a, b);
	return bad(c, -EINVAL, "start 0x%llx > %s 0x%llx", a, f->key2, b);
}

/* The rule of one field of the struct or entry at @base. */
static int check_value(const struct check *c, const struct cap_field *f, const uint8_t *base)
{
	unsigned long long v;

	if (f->kind == CF_PAD)
		return check_pad(c, f, base);
	if (!f->check)
		return 0;
	v = cf_get(base, f->off, f->size);
	switch (f->check) {
	case CK_NONZERO:
		if (v)
			return 0;
		if (f->json == J_HEX)
			return bad(c, -EINVAL, "%s is 0x0", what(f));
		return bad(c, -EINVAL, "%s 0", what(f));
	case CK_BETWEEN:
		if (v >= f->min && v <= f->max)
			return 0;
		return bad(c, -EINVAL, "%s %llu is not in %llu..%llu", what(f), v,
			   (unsigned long long)f->min, (unsigned long long)f->max);
	case CK_WIDTH:
		if (v <= f->max)
			return 0;
		return bad(c, -EINVAL, "%s %llu exceeds %llu bits", what(f), v,
			   (unsigned long long)f->max);
	case CK_BOOL:
		return v <= 1 ? 0 : bad(c, -EINVAL, "%s is %llu, not 0 or 1", what(f), v);
	case CK_ORDERED:
		return check_range(c, f, base);
	case CK_SUBSET: {
		unsigned long long known = cf_get(base, f->off2, 8);

		if (!(v & ~known))
			return 0;
		return bad(c, -EINVAL, "%s 0x%llx include bits outside known 0x%llx", f->key, v,
			   known);
	}
	default:
		return 0;
	}
}

/*
 * The counted array: @count entries of @elem_size bytes right after the
 * fixed part, each at least the version-1 entry; then each entry's rules.
 */
static int check_array(struct check *c, const struct cap_field *f)
{
	const uint32_t base = c->d->size, known = c->d->elem_size;
	uint32_t count = (uint32_t)cf_get(c->p, f->off, 4);
	uint32_t elem = (uint32_t)cf_get(c->p, f->off2, 4);
	const struct cap_field *rng = &f->sub[0];
	uint64_t need, prev_last = 0;
	int ret;

	if (elem < known)
		return bad(c, -EMSGSIZE, "entry size %u is below the %u-byte entry", elem, known);
	if (elem % 8)
		return bad(c, -EINVAL, "entry size %u is not a multiple of 8", elem);
	need = (uint64_t)count * elem;
	if (need > c->h->size - base)
		return bad(c, -EMSGSIZE,
			   "%u entries of %u bytes need %llu bytes, the cap has %u after its fixed part",
			   count, elem, (unsigned long long)need, c->h->size - base);
	c->entry = f->what;
	for (c->idx = 0; c->idx < count; c->idx++) {
		const uint8_t *e = c->p + base + (size_t)c->idx * elem;
		uint64_t start = cf_get(e, rng->off, rng->size);

		for (unsigned int i = 0; i < f->nsub; i++) {
			ret = check_value(c, &f->sub[i], e);
			if (ret)
				return ret;
		}
		if (f->check == CK_SORTED && c->idx && start <= prev_last)
			return bad(c, -EINVAL,
				   "start 0x%llx is not above the previous %s's last 0x%llx",
				   (unsigned long long)start, f->what,
				   (unsigned long long)prev_last);
		prev_last = cf_get(e, rng->off2, rng->size);
	}
	c->entry = NULL;
	return 0;
}

/* The decoded members must be what the registers decode to. */
static int check_decoded(const struct check *c)
{
	const struct cap_desc *d = c->d;
	uint64_t mask = c->h->version > 1 ? d->bits_v1 : UINT64_MAX;
	unsigned long long got, exp;
	union vendor_regs r;

	memcpy(&r, c->p, d->size);
	vendor_decode(d, &r);
	got = cf_get(c->p, d->bits_off, 8) & mask;
	exp = cf_get(&r, d->bits_off, 8) & mask;
	if (got != exp)
		return bad(c, -EINVAL, "decoded bits is 0x%llx, the registers give 0x%llx", got, exp);
	for (unsigned int i = 0; i < d->nfields; i++) {
		const struct cap_field *f = &d->fields[i];

		if (f->kind != CF_NUM)
			continue;
		got = cf_get(c->p, f->off, f->size);
		exp = cf_get(&r, f->off, f->size);
		if (got != exp)
			return bad(c, -EINVAL, "decoded %s is 0x%llx, the registers give 0x%llx",
				   f->key, got, exp);
	}
	return 0;
}

int caps_check_content(const struct cap_desc *d, const uint8_t *p, uint32_t off,
		       const struct ioasid_cap_header *h, char *err, size_t errlen)
{
	struct check c = {
		.d = d, .p = p, .off = off, .h = h, .err = err, .errlen = errlen,
	};
	char msg[160];
	int ret = 0;

	for (unsigned int i = 0; i < d->nfields && !ret; i++) {
		const struct cap_field *f = &d->fields[i];

		ret = f->kind == CF_ARRAY ? check_array(&c, f) : check_value(&c, f, p);
	}
	if (!ret && d->bits_off)
		ret = check_decoded(&c);
	if (!ret && d->check) {
		ret = d->check(p, msg, sizeof(msg));
		if (ret)
			ret = bad(&c, ret, "%s", msg);
	}
	return ret;
}
