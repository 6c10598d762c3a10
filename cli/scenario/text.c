/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small helpers of the scenario engine: a growing string, JSON values cut
 * short for messages, and the names of permissions, errnos and bits.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ioasidctl.h"
#include "private.h"

void sb_addf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0,
			      fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->s && b->len + (size_t)n < b->cap) {
			b->len += n;
			return;
		}
		b->cap = (b->len + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
}

const char *sb_str(struct strbuf *b)
{
	if (!b->s)
		sb_addf(b, "%s", "");
	return b->s;
}

/* A JSON value for a message: compact, cut at about 60 characters. */
const char *jshow(const json_t *v, char *buf, size_t len)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);

	if (!s) {
		snprintf(buf, len, "(value)");
		return buf;
	}
	if (strlen(s) > 60)
		snprintf(buf, len, "%.57s...", s);
	else
		snprintf(buf, len, "%s", s);
	free(s);
	return buf;
}

const char *perm_str(uint32_t flags)
{
	switch (flags & (IOASID_MAP_READ | IOASID_MAP_WRITE)) {
	case IOASID_MAP_READ | IOASID_MAP_WRITE: return "rw";
	case IOASID_MAP_READ: return "r";
	case IOASID_MAP_WRITE: return "w";
	default: return "-";
	}
}

const char *result_name(int err, char *buf, size_t len)
{
	const char *n = ioasid_strerrno(err);

	if (!strcmp(n, "E?")) {
		snprintf(buf, len, "E%d", err < 0 ? -err : err);
		return buf;
	}
	return n;
}

bool var_char(char c, bool first)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (!first && c >= '0' && c <= '9');
}

bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

void *xgrow(void *arr, size_t nr, size_t size)
{
	if (nr && !is_pow2(nr))
		return arr;
	return xrealloc(arr, (nr ? 2 * nr : 1) * size);
}

json_t *hex_bytes_json(const uint8_t *p, size_t len)
{
	struct strbuf b = { 0 };
	json_t *j;
	size_t i;

	for (i = 0; i < len; i++)
		sb_addf(&b, "%02x", p[i]);
	j = json_string(sb_str(&b));
	free(b.s);
	return j;
}

/* The names of the bits of @v, unknown bits as one "0x..." at the end. */
json_t *bit_names_json(const struct name_val *names, uint64_t v)
{
	json_t *list = json_array();
	char hex[24];

	for (; names->name; names++) {
		if (v & names->val) {
			json_array_append_new(list, json_string(names->name));
			v &= ~names->val;
		}
	}
	if (v) {
		snprintf(hex, sizeof(hex), "0x%" PRIx64, v);
		json_array_append_new(list, json_string(hex));
	}
	return list;
}

/* The name of @v in @names, else the number. */
json_t *name_json(const struct name_val *names, uint64_t v)
{
	for (; names->name; names++)
		if (names->val == v)
			return json_string(names->name);
	return json_integer((json_int_t)v);
}
