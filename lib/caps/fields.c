/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading, decoding and naming the values the field tables (fields.h)
 * describe. Everything here is a pure function of a table entry and the
 * bytes of a capability, copied with memcpy so that no alignment is needed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fields.h"

uint64_t cf_get(const void *cap, unsigned int off, unsigned int size)
{
	const uint8_t *p = (const uint8_t *)cap + off;
	uint64_t v64;
	uint32_t v32;
	uint16_t v16;

	switch (size) {
	case 1:
		return *p;
	case 2:
		memcpy(&v16, p, 2);
		return v16;
	case 4:
		memcpy(&v32, p, 4);
		return v32;
	case 8:
		memcpy(&v64, p, 8);
		return v64;
	default:
		return 0;
	}
}

void cf_put(void *cap, unsigned int off, unsigned int size, uint64_t v)
{
	uint8_t *p = (uint8_t *)cap + off;
	uint32_t v32 = (uint32_t)v;
	uint16_t v16 = (uint16_t)v;

	switch (size) {
	case 1:
		*p = (uint8_t)v;
		break;
	case 2:
		memcpy(p, &v16, 2);
		break;
	case 4:
		memcpy(p, &v32, 4);
		break;
	case 8:
		memcpy(p, &v, 8);
		break;
	}
}

static uint64_t width_mask(unsigned int width)
{
	return width >= 64 ? UINT64_MAX : (UINT64_C(1) << width) - 1;
}

uint64_t cf_reg_bits(const struct cap_field *f, const void *cap)
{
	return (cf_get(cap, f->reg, f->rsize) >> f->lo) & width_mask(f->width);
}

void cf_set_reg_bits(const struct cap_field *f, void *cap, uint64_t v)
{
	uint64_t m = width_mask(f->width) << f->lo;
	uint64_t r = cf_get(cap, f->reg, f->rsize);

	cf_put(cap, f->reg, f->rsize, (r & ~m) | ((v << f->lo) & m));
}

uint64_t cf_map(const struct cap_field *f, uint64_t bits)
{
	switch (f->map) {
	case MAP_ADD:
		return bits + f->arg;
	case MAP_SHL:
		return bits << f->arg;
	case MAP_TABLE:
		return f->table[bits];
	default:
		return bits;
	}
}

bool cf_unmap(const struct cap_field *f, uint64_t v, uint64_t *ret_bits)
{
	uint64_t n = UINT64_C(1) << f->width, b = 0;
	bool exact = false;

	switch (f->map) {
	case MAP_ADD:
		exact = v >= f->arg;
		b = exact ? v - f->arg : 0;
		break;
	case MAP_SHL:
		b = v >> f->arg;
		exact = (b << f->arg) == v;
		break;
	case MAP_TABLE:
		/* the value's encoding, else the first reserved one */
		for (uint64_t i = 0; i < n && !exact; i++)
			if (f->table[i] == v) {
				b = i;
				exact = true;
			}
		for (uint64_t i = 0; i < n && !exact; i++)
			if (!f->table[i]) {
				b = i;
				break;
			}
		break;
	default:
		b = v;
		exact = true;
		break;
	}
	if (b & ~width_mask(f->width))
		exact = false;
	*ret_bits = b & width_mask(f->width);
	return exact;
}

uint64_t cf_decode(const struct cap_desc *d, const struct cap_field *f, const void *cap)
{
	if (f->kind == CF_NUM && f->mask && d->bits_off &&
	    !(cf_get(cap, d->bits_off, 8) & f->mask))
		return 0;
	return cf_map(f, cf_reg_bits(f, cap));
}

const char *cf_name(const struct cap_field *f, unsigned int i)
{
	return f->names && i < f->nnames ? f->names[i] : NULL;
}

const struct cap_field *cf_find(const struct cap_desc *d, const char *key)
{
	for (unsigned int i = 0; i < d->nfields; i++)
		if (d->fields[i].key && !strcmp(d->fields[i].key, key))
			return &d->fields[i];
	return NULL;
}

const char *cap_desc_bit_name(const struct cap_desc *d, unsigned int bit)
{
	if (bit >= 64)
		return NULL;
	for (unsigned int i = 0; i < d->nfields; i++) {
		const struct cap_field *f = &d->fields[i];

		/* a vendor capability names the bits of its `bits` member ... */
		if (d->bits_off) {
			if (f->kind == CF_BIT && f->mask == UINT64_C(1) << bit)
				return f->key;
			continue;
		}
		/* ... the others the bits of their one set of named flags */
		if (f->kind == CF_TRISTATE || f->json == J_NAMES)
			return cf_name(f, bit);
	}
	return NULL;
}

uint64_t cap_named_bits(uint16_t id)
{
	const struct cap_desc *d = cap_desc_find(id);
	uint64_t m = 0;

	for (unsigned int b = 0; d && b < 64; b++)
		if (cap_desc_bit_name(d, b))
			m |= UINT64_C(1) << b;
	return m;
}

const char *ioasid_size_name(uint64_t size, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	unsigned int u = 0;
	uint64_t v = size;

	if (!size) {
		snprintf(buf, len, "0");
		return buf;
	}
	while (v >= 1024 && !(v & 1023) && u < sizeof(units) - 1) {
		v >>= 10;
		u++;
	}
	if (!u)
		snprintf(buf, len, "0x%" PRIx64, size);
	else
		snprintf(buf, len, "%" PRIu64 "%c", v, units[u - 1]);
	return buf;
}
