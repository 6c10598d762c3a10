/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The generic half of the vendor models: walking a model's field table to
 * decode registers, to encode decoded values back, to name registers and
 * to compare register sets. The per-model half (which property lives in
 * which register, what a domain gets) is in vtd.c, smmuv3.c, amd.c and
 * virtio-iommu.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

const struct vendor_model *const vendor_models[] = {
	&vendor_vtd, &vendor_smmuv3, &vendor_amd, &vendor_virtio_iommu, NULL,
};

const struct vendor_model *vendor_by_cap(uint16_t id)
{
	for (unsigned int i = 0; vendor_models[i]; i++)
		if (vendor_models[i]->cap->id == id)
			return vendor_models[i];
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Decoding and encoding                                                    */

void vendor_decode(const struct cap_desc *d, void *cap)
{
	uint64_t bits = 0;
	unsigned int i;

	for (i = 0; i < d->nfields; i++) {
		const struct cap_field *f = &d->fields[i];

		if (f->kind == CF_PAD)
			memset((uint8_t *)cap + f->off, 0, f->size);
		else if (f->kind == CF_BIT && ((f->vals >> cf_reg_bits(f, cap)) & 1))
			bits |= f->mask;
	}
	if (d->bits_off)
		cf_put(cap, d->bits_off, 8, bits);
	for (i = 0; i < d->nfields; i++) {
		const struct cap_field *f = &d->fields[i];

		if (f->kind == CF_NUM)
			cf_put(cap, f->off, f->size, cf_decode(d, f, cap));
	}
}

void vendor_encode(const struct cap_desc *d, const void *before, void *cap)
{
	uint64_t old_bits = d->bits_off ? cf_get(before, d->bits_off, 8) : 0;
	uint64_t new_bits = d->bits_off ? cf_get(cap, d->bits_off, 8) : 0;
	uint64_t raw;

	for (unsigned int i = 0; i < d->nfields; i++) {
		const struct cap_field *f = &d->fields[i];
		uint64_t v;

		/* a bit set by a set of values (SMMUv3 HA, ...) has no one encoding */
		if (f->kind == CF_BIT && f->vals == 2 && ((old_bits ^ new_bits) & f->mask))
			cf_set_reg_bits(f, cap, !!(new_bits & f->mask));
		if (f->kind != CF_NUM)
			continue;
		v = cf_get(cap, f->off, f->size);
		if (v == cf_get(before, f->off, f->size))
			continue;
		/* a number whose bit is clear means nothing: its bits are 0 */
		if (f->mask && !(new_bits & f->mask))
			raw = 0;
		else
			cf_unmap(f, v, &raw);
		cf_set_reg_bits(f, cap, raw);
	}
	vendor_decode(d, cap);
}

void vendor_sync(const struct vendor_model *m, const struct vendor_props *p, void *cap)
{
	union vendor_regs before, after;

	memcpy(&before, cap, m->cap->size);
	vendor_decode(m->cap, &before);
	after = before;
	m->sync(p, &after);
	vendor_encode(m->cap, &before, &after);
	memcpy(cap, &after, m->cap->size);
}

int vendor_derive(const struct vendor_model *m, const void *cap, struct vendor_props *p,
		  struct vendor_err *e)
{
	union vendor_regs r;

	memset(p, 0, sizeof(*p));
	memcpy(&r, cap, m->cap->size);
	vendor_decode(m->cap, &r);
	return m->derive(&r, p, e);
}

void vendor_domain(const struct vendor_model *m, const void *cap, struct vendor_domain *dom)
{
	union vendor_regs r;

	memset(dom, 0, sizeof(*dom));
	if (!m->domain)
		return;
	memcpy(&r, cap, m->cap->size);
	vendor_decode(m->cap, &r);
	m->domain(&r, dom);
}

int vendor_fail(struct vendor_err *e, const struct cap_desc *d, unsigned int reg,
		const char *fmt, ...)
{
	va_list ap;

	vendor_reg_name(d, reg, false, e->reg, sizeof(e->reg));
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int vendor_fail_key(struct vendor_err *e, const char *key, const char *fmt, ...)
{
	va_list ap;

	snprintf(e->reg, sizeof(e->reg), "%s", key);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ------------------------------------------------------------------------ */
/* Registers by name                                                        */

/* The raw field holding the register at @reg, and the element's index. */
static const struct cap_field *raw_field(const struct cap_desc *d, unsigned int reg,
					 unsigned int *ret_idx)
{
	for (unsigned int i = 0; i < d->nfields; i++) {
		const struct cap_field *f = &d->fields[i];
		unsigned int n = f->count > 1 ? f->count : 1;

		if (f->sect != CS_RAW)
			continue;
		if (f->kind == CF_RANGE && (reg == f->off || reg == f->off2)) {
			*ret_idx = reg == f->off2;
			return f;
		}
		if (f->kind == CF_MEMBER && reg >= f->off && reg < f->off + n * f->size) {
			*ret_idx = (reg - f->off) / f->size;
			return f;
		}
	}
	return NULL;
}

const char *vendor_reg_name(const struct cap_desc *d, unsigned int reg, bool whole, char *buf,
			    size_t len)
{
	unsigned int idx;
	const struct cap_field *f = raw_field(d, reg, &idx);

	if (!f)
		snprintf(buf, len, "offset %u", reg);
	else if (f->kind == CF_RANGE && !whole)
		snprintf(buf, len, "%s.%s", f->label, idx ? "end" : "start");
	else if (f->count > 1)
		snprintf(buf, len, "%s[%u]", f->label, idx);
	else
		snprintf(buf, len, "%s", f->label);
	return buf;
}

/* The register at @reg of @cap. */
static uint64_t reg_value(const struct cap_desc *d, unsigned int reg, const void *cap)
{
	unsigned int idx;
	const struct cap_field *f = raw_field(d, reg, &idx);

	return f ? cf_get(cap, reg, f->size) : 0;
}

const char *vendor_prop_reg(const struct vendor_model *m, unsigned int prop, const void *cap,
			    uint64_t *ret_value, char *buf, size_t len)
{
	const struct vendor_prop_reg *r = m->prop_regs;

	while (!(r->mask & prop) && r->mask != VP_ALL)
		r++;
	*ret_value = reg_value(m->cap, r->reg, cap);
	return r->model ? NULL : vendor_reg_name(m->cap, r->reg, true, buf, len);
}

const char *vendor_regs_differ(const struct vendor_model *m, const void *a, const void *b,
			       uint64_t *ret_va, uint64_t *ret_vb, char *buf, size_t len)
{
	const struct cap_desc *d = m->cap;

	for (unsigned int i = 0; i < d->nfields; i++) {
		const struct cap_field *f = &d->fields[i];
		unsigned int n = f->kind == CF_RANGE ? 2 : f->count > 1 ? f->count : 1;

		if (f->sect != CS_RAW || (f->kind != CF_MEMBER && f->kind != CF_RANGE))
			continue;
		for (unsigned int k = 0; k < n; k++) {
			unsigned int reg = f->kind == CF_RANGE ? (k ? f->off2 : f->off) :
					   f->off + k * f->size;

			*ret_va = cf_get(a, reg, f->size);
			*ret_vb = cf_get(b, reg, f->size);
			if (*ret_va != *ret_vb)
				return vendor_reg_name(d, reg, false, buf, len);
		}
	}
	return NULL;
}

const struct cap_field *vendor_profile_field(const struct vendor_model *m,
					     const struct vendor_profile_reg *r)
{
	const struct cap_desc *d = m->cap;

	for (unsigned int i = 0; i < d->nfields; i++) {
		const struct cap_field *f = &d->fields[i];

		if (f->sect == CS_RAW && (f->kind == CF_MEMBER || f->kind == CF_RANGE) &&
		    !strcmp(f->label, r->key))
			return f;
	}
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Decoded fields by name                                                   */

uint64_t vendor_field_bits(const struct vendor_model *m, const char *key, const void *cap)
{
	const struct cap_field *f = cf_find(m->cap, key);

	return f ? cf_reg_bits(f, cap) : 0;
}

bool vendor_field_holds(const struct vendor_model *m, const char *key, uint64_t v)
{
	const struct cap_field *f = cf_find(m->cap, key);
	uint64_t bits;

	/* a 0 in a value table is a reserved encoding, not a value */
	return f && cf_unmap(f, v, &bits) && !(f->map == MAP_TABLE && !v);
}

const char *vendor_field_values(const struct vendor_model *m, const char *key, char *buf,
				size_t len)
{
	const struct cap_field *f = cf_find(m->cap, key);
	size_t off = 0;

	buf[0] = '\0';
	for (uint64_t i = 0; f && f->map == MAP_TABLE && i < (UINT64_C(1) << f->width); i++)
		if (f->table[i] && off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%u", off ? ", " : "",
						f->table[i]);
	return buf;
}

/* ------------------------------------------------------------------------ */
/* Values in messages                                                       */

const char *vendor_pgsizes_str(uint64_t sizes, char *buf, size_t len)
{
	size_t n = 0;
	char one[16];
	int r;

	buf[0] = '\0';
	for (unsigned int b = 10; b < 64 && n < len; b++) {
		if (!(sizes >> b & 1))
			continue;
		r = snprintf(buf + n, len - n, "%s%s", n ? "," : "",
			     ioasid_size_name(UINT64_C(1) << b, one, sizeof(one)));
		n += r < 0 ? 0 : (size_t)r;
	}
	if (sizes & (VSZ_4K / 4 - 1) && n < len) /* sizes below 1K, if any */
		snprintf(buf + n, len - n, "%s+<1K", n ? "," : "");
	return buf;
}

const char *vendor_pgsizes_desc(uint64_t sizes, char *buf, size_t len)
{
	char list[160];

	snprintf(buf, len, "0x%" PRIx64 " (%s)", sizes,
		 sizes ? vendor_pgsizes_str(sizes, list, sizeof(list)) : "none");
	return buf;
}

const char *vendor_levels_str(uint8_t levels, char *buf, size_t len)
{
	size_t n;
	int r;

	r = snprintf(buf, len, "[");
	n = r < 0 ? 0 : (size_t)r;
	for (unsigned int l = 1; l <= 6 && n < len; l++) {
		if (!(levels & (1U << l)))
			continue;
		r = snprintf(buf + n, len - n, "%s%u", n > 1 ? "," : "", l);
		n += r < 0 ? 0 : (size_t)r;
	}
	if (n < len)
		snprintf(buf + n, len - n, "]");
	return buf;
}

unsigned int vendor_width_of(uint64_t v)
{
	return v ? 64 - (unsigned int)__builtin_clzll(v) : 1;
}

/* ------------------------------------------------------------------------ */
/* The public decoders                                                      */

int ioasid_cap_vtd_decode(struct ioasid_cap_vtd *c)
{
	if (!c)
		return -EINVAL;
	vendor_decode(&vendor_vtd_cap, c);
	return 0;
}

int ioasid_cap_smmuv3_decode(struct ioasid_cap_smmuv3 *c)
{
	if (!c)
		return -EINVAL;
	vendor_decode(&vendor_smmuv3_cap, c);
	return 0;
}

int ioasid_cap_amd_decode(struct ioasid_cap_amd *c)
{
	if (!c)
		return -EINVAL;
	vendor_decode(&vendor_amd_cap, c);
	return 0;
}
