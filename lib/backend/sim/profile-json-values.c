/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading one value of a profile file: numbers (integers or "0x..."),
 * widths, page sizes, table depths, booleans, ranges, and the keys an
 * object may have. Each reader's message names the key path and the bad
 * value; profile-json.c reads the document with them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "profile-private.h"

/* A short, allocation-free rendering of a JSON value for messages. */
const char *profile_jdesc(const json_t *v, char *buf, size_t len)
{
	const char *s;

	switch (json_typeof(v)) {
	case JSON_INTEGER:
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(buf, len, "%g", json_real_value(v));
		break;
	case JSON_STRING:
		s = json_string_value(v);
		snprintf(buf, len, "\"%.48s%s\"", s, strlen(s) > 48 ? "..." : "");
		break;
	case JSON_TRUE:
		snprintf(buf, len, "true");
		break;
	case JSON_FALSE:
		snprintf(buf, len, "false");
		break;
	case JSON_NULL:
		snprintf(buf, len, "null");
		break;
	case JSON_OBJECT:
		snprintf(buf, len, json_object_size(v) ? "an object" : "{}");
		break;
	case JSON_ARRAY:
		if (json_array_size(v))
			snprintf(buf, len, "an array of %zu", json_array_size(v));
		else
			snprintf(buf, len, "[]");
		break;
	default:
		snprintf(buf, len, "?");
		break;
	}
	return buf;
}

bool profile_key_in_list(const char *key, const void *list)
{
	for (const char *const *k = list; *k; k++)
		if (!strcmp(key, *k))
			return true;
	return false;
}

/* Refuse any key of @obj that @known does not know; @pfx is the object's key path. */
int profile_check_keys(json_t *obj, const char *pfx, bool (*known)(const char *key, const void *arg),
		       const void *arg, struct perr *e)
{
	const char *key;
	json_t *v;
	char path[256];

	json_object_foreach(obj, key, v) {
		if (known(key, arg))
			continue;
		profile_subpath(path, sizeof(path), pfx, key);
		return profile_fail(e, -EINVAL, path, "unknown key");
	}
	return 0;
}

int profile_expect(json_t *v, bool ok, const char *what, const char *path, struct perr *e)
{
	char b[96];

	if (ok)
		return 0;
	return profile_fail(e, -EINVAL, path, "expected %s, got %s", what,
			    profile_jdesc(v, b, sizeof(b)));
}

/* A "0x..." string; 1 when @s is not one. */
static int hex_string(json_t *v, const char *path, uint64_t *out, struct perr *e)
{
	const char *s = json_string_value(v);
	uint64_t val = 0;
	char b[96];

	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2])
		return 1;
	for (size_t i = 2; s[i]; i++) {
		int d = profile_hexval(s[i]);

		if (d < 0)
			return 1;
		if (val >> 60)
			return profile_fail(e, -EINVAL, path, "%s does not fit in 64 bits",
					    profile_jdesc(v, b, sizeof(b)));
		val = val << 4 | (uint64_t)d;
	}
	*out = val;
	return 0;
}

/* A number: a JSON integer >= 0, or a "0x..." string (for >= 2^63). */
int profile_get_u64(json_t *v, const char *path, uint64_t *out, struct perr *e)
{
	char b[96];
	int ret = 1;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < 0)
			return profile_fail(e, -EINVAL, path,
					    "negative number %" JSON_INTEGER_FORMAT, i);
		*out = (uint64_t)i;
		return 0;
	}
	if (json_is_string(v))
		ret = hex_string(v, path, out, e);
	if (ret <= 0)
		return ret;
	return profile_fail(e, -EINVAL, path, "expected an integer or a \"0x...\" string, got %s",
			    profile_jdesc(v, b, sizeof(b)));
}

int profile_get_bounded(json_t *v, const char *path, uint64_t max, uint64_t *out, struct perr *e)
{
	int ret = profile_get_u64(v, path, out, e);

	if (ret)
		return ret;
	if (*out > max)
		return profile_fail(e, -EINVAL, path,
				    "%" PRIu64 " (0x%" PRIx64 ") is above the maximum %" PRIu64,
				    *out, *out, max);
	return 0;
}

int profile_get_u32(json_t *v, const char *path, uint32_t *out, struct perr *e)
{
	uint64_t x;
	int ret = profile_get_bounded(v, path, UINT32_MAX, &x, e);

	if (!ret)
		*out = (uint32_t)x;
	return ret;
}

int profile_get_width(json_t *v, const char *path, uint8_t *out, struct perr *e)
{
	uint64_t x;
	int ret = profile_get_u64(v, path, &x, e);

	if (ret)
		return ret;
	if (x < 1 || x > 64)
		return profile_fail(e, -EINVAL, path, "width %" PRIu64 " is outside 1..64", x);
	*out = (uint8_t)x;
	return 0;
}

int profile_get_pasid_width(json_t *v, const char *path, uint8_t *out, struct perr *e)
{
	uint64_t x;
	int ret = profile_get_u64(v, path, &x, e);

	if (ret)
		return ret;
	if (x > SIM_PASID_WIDTH_MAX)
		return profile_fail(e, -EINVAL, path,
				    "pasid_width %" PRIu64 " exceeds the PCIe maximum of %u", x,
				    SIM_PASID_WIDTH_MAX);
	*out = (uint8_t)x;
	return 0;
}

int profile_get_bool(json_t *v, const char *path, bool *out, struct perr *e)
{
	int ret = profile_expect(v, json_is_boolean(v), "true or false", path, e);

	if (!ret)
		*out = json_is_true(v);
	return ret;
}

/* "4K", "2M", "1G", "512G", "4096"; not hex (the caller's profile_get_u64() reads that). */
static int parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	const char *u;
	uint64_t v = 0;
	unsigned int shift = 0;
	const char *q = s;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return -1;
	if (*q < '0' || *q > '9')
		return -1;
	while (*q >= '0' && *q <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*q++ - '0');
	}
	if (*q) {
		u = strchr(units, *q >= 'a' ? *q - ('a' - 'A') : *q);
		if (!u || q[1])
			return -1;
		shift = 10 * (unsigned int)(u - units + 1);
	}
	if (v && (v << shift) >> shift != v)
		return -1;
	*out = v << shift;
	return 0;
}

/* One entry of a page-size array: a size word or a number, a power of two. */
static int get_size_entry(json_t *el, const char *path, uint64_t *out, struct perr *e)
{
	char b[96];
	int ret;

	if (json_is_string(el) && !parse_size(json_string_value(el), out)) {
		/* a size word */
	} else if (json_is_string(el) && json_string_value(el)[0] != '0') {
		return profile_fail(e, -EINVAL, path,
				    "%s is not a size like \"4K\", \"2M\", \"1G\" or a number",
				    profile_jdesc(el, b, sizeof(b)));
	} else {
		ret = profile_get_u64(el, path, out, e);
		if (ret)
			return ret;
	}
	if (!*out || (*out & (*out - 1)))
		return profile_fail(e, -EINVAL, path, "%s is not a power of two",
				    profile_jdesc(el, b, sizeof(b)));
	return 0;
}

int profile_get_pgsizes(json_t *v, const char *path, uint64_t *out, struct perr *e)
{
	char ipath[160], b[96];
	uint64_t bm = 0, sz;
	size_t i;
	json_t *el;
	int ret;

	if (json_is_array(v)) {
		json_array_foreach(v, i, el) {
			snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
			ret = get_size_entry(el, ipath, &sz, e);
			if (ret)
				return ret;
			bm |= sz;
		}
	} else if (json_is_string(v) && !parse_size(json_string_value(v), &bm)) {
		/* one size given alone, e.g. "4K" */
		if (bm & (bm - 1))
			return profile_fail(e, -EINVAL, path, "%s is not a power of two",
					    profile_jdesc(v, b, sizeof(b)));
	} else {
		ret = profile_get_u64(v, path, &bm, e);
		if (ret)
			return ret;
	}
	if (!bm)
		return profile_fail(e, -EINVAL, path, "page-size bitmap must not be 0 (got %s)",
				    profile_jdesc(v, b, sizeof(b)));
	*out = bm;
	return 0;
}

int profile_get_levels(json_t *v, const char *path, uint8_t *out, struct perr *e)
{
	char ipath[160];
	uint8_t levels = 0;
	uint64_t l;
	size_t i;
	json_t *el;
	int ret;

	ret = profile_expect(v, json_is_array(v) && json_array_size(v),
			     "a non-empty array of table depths", path, e);
	if (ret)
		return ret;
	json_array_foreach(v, i, el) {
		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		ret = profile_get_u64(el, ipath, &l, e);
		if (ret)
			return ret;
		if (l < 1 || l > 6)
			return profile_fail(e, -EINVAL, ipath, "depth %" PRIu64 " is outside 1..6",
					    l);
		levels |= (uint8_t)(1U << l);
	}
	*out = levels;
	return 0;
}

/*
 * {"start": NUM, "last"|"end": NUM}, both required. With @strict, no other
 * key is allowed; a caller with more keys checks them itself.
 */
int profile_get_range(json_t *v, const char *path, const char *lastkey, bool strict,
		      uint64_t *start, uint64_t *last, struct perr *e)
{
	const char *keys[] = { "start", lastkey, NULL };
	char kpath[224];
	json_t *s, *l;
	int ret;

	ret = profile_expect(v, json_is_object(v), "an object", path, e);
	if (!ret && strict)
		ret = profile_check_keys(v, path, profile_key_in_list, keys, e);
	if (ret)
		return ret;
	s = json_object_get(v, "start");
	l = json_object_get(v, lastkey);
	if (!s || !l)
		return profile_fail(e, -EINVAL, path, "needs both \"start\" and \"%s\"", lastkey);
	profile_subpath(kpath, sizeof(kpath), path, "start");
	ret = profile_get_u64(s, kpath, start, e);
	if (ret)
		return ret;
	profile_subpath(kpath, sizeof(kpath), path, lastkey);
	return profile_get_u64(l, kpath, last, e);
}
