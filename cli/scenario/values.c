/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Argument values: one JSON value of a step, checked against the type its
 * op's table row gives (struct arg_spec) and turned into a struct argval.
 * Every refusal names the value and the JSON path it was found at.
 */
#include <errno.h>
#include <inttypes.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ioasidctl.h"
#include "private.h"

/* A number: a JSON integer >= 0, or a string "0x..." (hex) or decimal. */
bool parse_num(const json_t *v, uint64_t *ret)
{
	const char *s, *digits;
	unsigned long long u;
	char *end;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return false;
		*ret = (uint64_t)json_integer_value(v);
		return true;
	}
	if (!json_is_string(v))
		return false;
	s = json_string_value(v);
	digits = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? s + 2 : s;
	/* strtoull would take blanks, signs and a bare "0x"; we take none */
	if (!*digits || strspn(digits, digits == s ? "0123456789" :
			       "0123456789abcdefABCDEF") != strlen(digits))
		return false;
	errno = 0;
	u = strtoull(digits, &end, digits == s ? 10 : 16);
	if (errno || *end)
		return false;
	*ret = u;
	return true;
}

/* "VALUE is larger than 0xMAX" */
static int too_large(struct loader *l, const char *key, const json_t *v, uint64_t max)
{
	char show[80];

	return lerr(l, key, "%s is larger than 0x%" PRIx64, jshow(v, show, sizeof(show)), max);
}

int parse_num_max(struct loader *l, const char *key, const json_t *v, uint64_t max,
		  uint64_t *ret)
{
	char show[80];

	if (!parse_num(v, ret))
		return lerr(l, key, "%s is not a number (a JSON integer >= 0 or a \"0x...\" string)",
			    jshow(v, show, sizeof(show)));
	if (max && *ret > max)
		return too_large(l, key, v, max);
	return 0;
}

/* A size with an optional K/M/G/T suffix (page_sizes lists only). */
static bool parse_size(const json_t *v, uint64_t *ret)
{
	const char *s;
	unsigned int shift;
	char *end;
	unsigned long long u;

	if (parse_num(v, ret))
		return true;
	if (!json_is_string(v))
		return false;
	s = json_string_value(v);
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	u = strtoull(s, &end, 10);
	if (errno)
		return false;
	switch (*end) {
	case 'K': shift = 10; break;
	case 'M': shift = 20; break;
	case 'G': shift = 30; break;
	case 'T': shift = 40; break;
	default: return false;
	}
	if (end[1] || (u << shift) >> shift != u)
		return false;
	*ret = u << shift;
	return true;
}

static int label_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct label *)a)->name, ((const struct label *)b)->name);
}

struct label *label_find(struct scenario *sc, const char *name)
{
	struct label key = { .name = (char *)name };
	struct label **slot = tfind(&key, &sc->label_index, label_name_cmp);

	return slot ? *slot : NULL;
}

void label_add(struct scenario *sc, struct label *lb)
{
	if (!tsearch(lb, &sc->label_index, label_name_cmp))
		cli_oom();
	sc->labels = xgrow(sc->labels, sc->nr_labels, sizeof(*sc->labels));
	sc->labels[sc->nr_labels++] = lb;
}

static const char *kind_name(unsigned int kind)
{
	switch (kind) {
	case K_IOAS: return "ioas";
	case K_SET: return "set";
	case K_DEV: return "dev";
	case K_BUFFER: return "buffer";
	case K_PASID: return "pasid";
	case K_HWPT: return "hwpt";
	case K_QUEUE: return "queue";
	case K_DMA: return "dma";
	case K_VIRTIO_IOMMU: return "virtio_iommu";
	case K_VIOMMU:
		return "viommu";
	case K_VDEVICE:
		return "vdevice";
	case K_VEVENTQ:
		return "veventq";
	case K_HW_QUEUE:
		return "hw_queue";
	default: return "object";
	}
}

/* "ioas or set or dev" for a mask of kinds */
static const char *kinds_str(unsigned int kinds, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int k;

	buf[0] = '\0';
	for (k = 1; k && k <= kinds; k <<= 1)
		if (kinds & k)
			off += snprintf(buf + off, off < len ? len - off : 0, "%s%s",
					off ? " or " : "", kind_name(k));
	return buf;
}

int parse_label(struct loader *l, const char *key, const json_t *v, unsigned int kinds,
		struct label **ret)
{
	char show[80], want[128];
	struct label *lb;

	if (!json_is_string(v))
		return lerr(l, key, "%s is not a label (a string naming an earlier step's \"as\")",
			    jshow(v, show, sizeof(show)));
	lb = label_find(l->sc, json_string_value(v));
	if (!lb)
		return lerr(l, key, "unknown label %s (labels are defined by an earlier step's \"as\")",
			    jshow(v, show, sizeof(show)));
	if (!(lb->kind & kinds))
		return lerr(l, key, "label %s is of kind %s (from steps[%zu]); expected kind: %s",
			    jshow(v, show, sizeof(show)), kind_name(lb->kind),
			    lb->step, kinds_str(kinds, want, sizeof(want)));
	*ret = lb;
	return 0;
}

/* One range, [start, last] or {"start": S, "last": L}, plus an optional type. */
static int parse_range(struct loader *l, const char *key, const json_t *v,
		       bool with_type, uint64_t *start, uint64_t *last,
		       uint32_t *type)
{
	static const char *const types[] = {
		[IOASID_RESV_RESERVED] = "reserved", [IOASID_RESV_MSI] = "msi",
		[IOASID_RESV_SW_MSI] = "sw_msi", [IOASID_RESV_DIRECT] = "direct",
		[IOASID_RESV_DIRECT_RELAXABLE] = "direct_relaxable",
	};
	char show[80];
	const char *k, *tn;
	json_t *e;
	size_t t;

	*type = IOASID_RESV_RESERVED;
	if (json_is_array(v)) {
		if (json_array_size(v) != 2 || !parse_num(json_array_get(v, 0), start) ||
		    !parse_num(json_array_get(v, 1), last))
			return lerr(l, key, "%s is not a range [start, last] of two numbers",
				    jshow(v, show, sizeof(show)));
		return 0;
	}
	if (!json_is_object(v))
		return lerr(l, key, "%s is not a range ([start, last] or {\"start\", \"last\"})",
			    jshow(v, show, sizeof(show)));
	json_object_foreach((json_t *)v, k, e) {
		if (strcmp(k, "start") && strcmp(k, "last") &&
		    (!with_type || strcmp(k, "type")))
			return lerr(l, key, "unknown key \"%s\" in a range (start, last%s)",
				    k, with_type ? ", type" : "");
	}
	if (!json_object_get(v, "start") || !json_object_get(v, "last"))
		return lerr(l, key, "%s: a range needs \"start\" and \"last\"",
			    jshow(v, show, sizeof(show)));
	if (!parse_num(json_object_get(v, "start"), start))
		return lerr(l, key, "start %s is not a number",
			    jshow(json_object_get(v, "start"), show, sizeof(show)));
	if (!parse_num(json_object_get(v, "last"), last))
		return lerr(l, key, "last %s is not a number",
			    jshow(json_object_get(v, "last"), show, sizeof(show)));
	e = json_object_get(v, "type");
	if (!e)
		return 0;
	tn = json_string_value(e);
	for (t = 1; tn && t < sizeof(types) / sizeof(types[0]); t++) {
		if (!strcmp(tn, types[t])) {
			*type = t;
			return 0;
		}
	}
	return lerr(l, key, "type %s is not one of reserved, msi, sw_msi, direct, direct_relaxable",
		    jshow(e, show, sizeof(show)));
}

static int parse_ranges(struct loader *l, const char *key, const json_t *v,
			bool resv, struct argval *a)
{
	char show[80], sub[96];
	uint64_t start, last;
	uint32_t type;
	json_t *e;
	size_t i;
	int err;

	if (!json_is_array(v))
		return lerr(l, key, "%s is not a list of ranges", jshow(v, show, sizeof(show)));
	a->n = json_array_size(v);
	a->arr = xcalloc(a->n, resv ? sizeof(struct ioasid_sim_resv) :
				      sizeof(struct ioasid_iova_range));
	json_array_foreach(v, i, e) {
		snprintf(sub, sizeof(sub), "%s[%zu]", key, i);
		err = parse_range(l, sub, e, resv, &start, &last, &type);
		if (err)
			return err;
		if (resv) {
			struct ioasid_sim_resv *r = &((struct ioasid_sim_resv *)a->arr)[i];

			r->start = start;
			r->last = last;
			r->type = type;
		} else {
			struct ioasid_iova_range *r = &((struct ioasid_iova_range *)a->arr)[i];

			r->start = start;
			r->last = last;
		}
	}
	return 0;
}

static int parse_pgsizes(struct loader *l, const char *key, const json_t *v,
			 uint64_t *ret)
{
	char show[80], sub[96];
	uint64_t sz;
	json_t *e;
	size_t i;

	*ret = 0;
	if (!json_is_array(v)) {
		if (!parse_num(v, ret) || !*ret)
			return lerr(l, key, "%s is neither a non-zero page-size bitmap nor a list of sizes",
				    jshow(v, show, sizeof(show)));
		return 0;
	}
	json_array_foreach(v, i, e) {
		snprintf(sub, sizeof(sub), "%s[%zu]", key, i);
		if (!parse_size(e, &sz) || !is_pow2(sz))
			return lerr(l, sub, "%s is not a power-of-two size (4096, \"4K\", \"2M\", \"0x1000\")",
				    jshow(e, show, sizeof(show)));
		*ret |= sz;
	}
	if (!*ret)
		return lerr(l, key, "the list of page sizes is empty");
	return 0;
}

int parse_hex_bytes(struct loader *l, const char *key, const json_t *v, struct argval *a)
{
	const char *s = json_string_value(v);
	char show[80];
	uint8_t *out;
	size_t i, n;

	if (!s || !*s || strlen(s) % 2 ||
	    strspn(s, "0123456789abcdefABCDEF") != strlen(s))
		return lerr(l, key, "%s is not a non-empty string of hex byte pairs (\"deadbeef\")",
			    jshow(v, show, sizeof(show)));
	n = strlen(s) / 2;
	out = xmalloc(n);
	for (i = 0; i < n; i++) {
		char pair[3] = { s[2 * i], s[2 * i + 1], 0 };

		out[i] = (uint8_t)strtoul(pair, NULL, 16);
	}
	a->arr = out;
	a->n = n;
	return 0;
}

/* "a, b, c" for a list of names */
static const char *names_str(const struct name_val *names, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (; names && names->name; names++)
		off += snprintf(buf + off, off < len ? len - off : 0, "%s%s",
				off ? ", " : "", names->name);
	return buf;
}

static bool name_lookup(const struct name_val *names, const char *s, uint64_t *ret)
{
	for (; s && names && names->name; names++) {
		if (!strcmp(names->name, s)) {
			*ret = names->val;
			return true;
		}
	}
	return false;
}

/*
 * One of @names (or, with @list, a list of them OR'd together), or a number
 * up to @max (0: UINT64_MAX): the raw escape hatch that lets a scenario
 * hand the library a value it must refuse.
 */
int parse_named(struct loader *l, const char *key, const json_t *v,
		const struct name_val *names, bool list, uint64_t max, uint64_t *ret)
{
	char show[80], all[256], sub[96];
	const json_t *e;
	size_t i;
	uint64_t bit;

	if (!max)
		max = UINT64_MAX;
	*ret = 0;
	if (parse_num(v, ret))
		return *ret > max ? too_large(l, key, v, max) : 0;
	if (!list) {
		if (name_lookup(names, json_string_value(v), ret))
			return 0;
		return lerr(l, key, "%s is not one of %s (or a number)",
			    jshow(v, show, sizeof(show)), names_str(names, all, sizeof(all)));
	}
	if (!json_is_array(v))
		return lerr(l, key, "%s is not a list of names (%s) or a number",
			    jshow(v, show, sizeof(show)), names_str(names, all, sizeof(all)));
	json_array_foreach(v, i, e) {
		snprintf(sub, sizeof(sub), "%s[%zu]", key, i);
		if (!name_lookup(names, json_string_value(e), &bit))
			return lerr(l, sub, "%s is not one of %s", jshow(e, show, sizeof(show)),
				    names_str(names, all, sizeof(all)));
		*ret |= bit;
	}
	return 0;
}

int parse_pasid(struct loader *l, const char *key, const json_t *v, uint64_t *ret,
		struct label **ret_label)
{
	if (parse_num(v, ret))
		return *ret > UINT32_MAX ? too_large(l, key, v, UINT32_MAX) : 0;
	return parse_label(l, key, v, K_PASID, ret_label);
}

/* "r", "w", "rw" or "none", as map flags. */
static int parse_perm(struct loader *l, const char *key, const json_t *v, uint64_t *ret)
{
	const char *s = json_string_value(v);
	char show[80];

	if (s && !strcmp(s, "rw"))
		*ret = IOASID_MAP_READ | IOASID_MAP_WRITE;
	else if (s && !strcmp(s, "r"))
		*ret = IOASID_MAP_READ;
	else if (s && !strcmp(s, "w"))
		*ret = IOASID_MAP_WRITE;
	else if (s && !strcmp(s, "none"))
		*ret = 0;
	else
		return lerr(l, key, "%s is not \"r\", \"w\", \"rw\" or \"none\"",
			    jshow(v, show, sizeof(show)));
	return 0;
}

int parse_arg(struct loader *l, const struct arg_spec *spec, json_t *v, struct argval *a)
{
	const char *key = spec->key;
	char show[80];

	a->present = true;
	a->json = v;
	switch (spec->type) {
	case A_NUM:
		return parse_num_max(l, key, v, spec->max, &a->u);
	case A_BOOL:
		if (!json_is_boolean(v))
			return lerr(l, key, "%s is not true or false", jshow(v, show, sizeof(show)));
		a->u = json_is_true(v);
		return 0;
	case A_STR:
		if (!json_is_string(v) || !*json_string_value(v))
			return lerr(l, key, "%s is not a non-empty string",
				    jshow(v, show, sizeof(show)));
		a->s = json_string_value(v);
		return 0;
	case A_PERM:
		return parse_perm(l, key, v, &a->u);
	case A_LABEL:
		return parse_label(l, key, v, spec->kinds, &a->label);
	case A_PASID:
		return parse_pasid(l, key, v, &a->u, &a->label);
	case A_RANGES:
		return parse_ranges(l, key, v, false, a);
	case A_RESV:
		return parse_ranges(l, key, v, true, a);
	case A_PGSIZES:
		return parse_pgsizes(l, key, v, &a->u);
	case A_HEX:
		return parse_hex_bytes(l, key, v, a);
	case A_ENUM:
		return parse_named(l, key, v, spec->names, false, spec->max, &a->u);
	case A_FLAGS:
		return parse_named(l, key, v, spec->names, true, spec->max, &a->u);
	case A_JSON:
		return 0; /* the op's check parses it */
	}
	return lerr(l, key, "internal error: unknown argument type");
}

int list_items(struct loader *l, const char *key, struct argval *a, size_t size,
	       const char *what)
{
	char show[80];

	if (!json_is_array(a->json))
		return lerr(l, key, "%s is not a list of %s", jshow(a->json, show, sizeof(show)),
			    what);
	a->n = json_array_size(a->json);
	a->arr = xcalloc(a->n ? a->n : 1, size);
	return 0;
}

/* ---- the members of an object argument ("s1", "requests[2]", ...) ---- */

/* @v is an object whose keys are all in @known (NULL-ended). */
int sub_keys(struct loader *l, const char *key, const json_t *v, const char *const *known)
{
	char show[80], all[256];
	size_t i, off = 0;
	const char *k;
	json_t *e;

	if (!json_is_object(v))
		return lerr(l, key, "%s is not an object", jshow(v, show, sizeof(show)));
	json_object_foreach((json_t *)v, k, e) {
		for (i = 0; known[i] && strcmp(known[i], k); i++)
			;
		if (known[i])
			continue;
		for (i = 0; known[i]; i++)
			off += snprintf(all + off, off < sizeof(all) ? sizeof(all) - off : 0,
					"%s%s", i ? ", " : "", known[i]);
		return lerr(l, key, "unknown key \"%s\" (it takes: %s)", k, all);
	}
	return 0;
}

/* Member @field of @obj: a number <= @max (0: any), @def when absent. */
int sub_num(struct loader *l, const char *key, const json_t *obj, const char *field,
	    uint64_t max, uint64_t def, uint64_t *ret)
{
	const json_t *v = json_object_get(obj, field);
	char sub[160];

	*ret = def;
	if (!v)
		return 0;
	snprintf(sub, sizeof(sub), "%s.%s", key, field);
	return parse_num_max(l, sub, v, max, ret);
}

int sub_named(struct loader *l, const char *key, const json_t *obj, const char *field,
	      const struct name_val *names, bool list, uint64_t max, uint64_t def,
	      uint64_t *ret)
{
	const json_t *v = json_object_get(obj, field);
	char sub[160];

	*ret = def;
	if (!v)
		return 0;
	snprintf(sub, sizeof(sub), "%s.%s", key, field);
	return parse_named(l, sub, v, names, list, max, ret);
}

int sub_bool(struct loader *l, const char *key, const json_t *obj, const char *field,
	     bool *ret)
{
	const json_t *v = json_object_get(obj, field);
	char sub[160], show[80];

	*ret = false;
	if (!v)
		return 0;
	snprintf(sub, sizeof(sub), "%s.%s", key, field);
	if (!json_is_boolean(v))
		return lerr(l, sub, "%s is not true or false", jshow(v, show, sizeof(show)));
	*ret = json_is_true(v);
	return 0;
}
