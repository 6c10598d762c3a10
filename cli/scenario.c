/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The scenario engine: load and check a scenario file, then run its steps
 * against a context and report one result per step.
 *
 * Everything a step may say is described by the op table at the bottom of
 * this file: per op its name, its handler, the argument keys it takes (with
 * their types and the label kinds they accept) and the kind of object its
 * "as" names. The loader checks every step against that table, so handlers
 * run only on arguments of the right type and labels of the right kind, and
 * a malformed file fails before anything has run. Adding an op is adding a
 * handler and one row, in sorted order (the table is searched with bsearch
 * and its order is checked at load time).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ioasidctl.h"
#include "scenario.h"
#include "table.h"

/* ------------------------------------------------------------------------ */
/* Types                                                                    */

/* What a label can name. A bit each, so an argument can accept several. */
enum label_kind {
	K_IOAS = 1u << 0,
	K_SET = 1u << 1,
	K_DEV = 1u << 2,
	K_BUFFER = 1u << 3,
	K_PASID = 1u << 4,
	K_HWPT = 1u << 5,
	K_QUEUE = 1u << 6, /* a fault queue */
	K_DMA = 1u << 7,   /* a DMA request that waits for a page response */
	K_VIRTIO_IOMMU = 1u << 8, /* a virtio-iommu device back-end (no library id) */
};
/* library objects with an id */
#define K_OBJECT (K_IOAS | K_SET | K_DEV | K_HWPT | K_QUEUE)

enum arg_type {
	A_NUM,     /* JSON integer or "0x..."/decimal string, <= max */
	A_BOOL,
	A_STR,
	A_PERM,    /* "r", "w", "rw", "none" */
	A_LABEL,   /* a label of one of .kinds */
	A_PASID,   /* a number or a pasid label */
	A_RANGES,  /* [[start, last], ...] or [{"start", "last"}, ...] */
	A_RESV,    /* like A_RANGES, objects may add "type" */
	A_PGSIZES, /* a bitmap number or a list of sizes (4096, "2M", ...) */
	A_HEX,     /* bytes as a hex string: "deadbeef" */
	A_ENUM,    /* one of .names, or a number <= max (a raw escape hatch) */
	A_FLAGS,   /* a list of .names (OR'd), or a number <= max */
	A_JSON,    /* any JSON value; the op's check parses it (into arr, n) */
};

/* A name and the number it stands for, in lists ended by a NULL name. */
struct name_val {
	const char *name;
	uint64_t val;
};

struct arg_spec {
	const char *key;
	enum arg_type type;
	bool required;
	unsigned int kinds; /* A_LABEL */
	uint64_t max;       /* A_NUM, A_ENUM, A_FLAGS: largest value, 0 = UINT64_MAX */
	bool hex;           /* A_NUM: an address or size, shown as 0x... */
	const struct name_val *names; /* A_ENUM, A_FLAGS */
};

struct label;
struct mem;
struct dma_req;

/* A checked argument value. */
struct argval {
	bool present;
	json_t *json;        /* the value in the file (after ${VAR}) */
	uint64_t u;          /* A_NUM, A_BOOL, A_PERM (map flags), A_PGSIZES, A_PASID number,
				A_ENUM, A_FLAGS */
	const char *s;       /* A_STR */
	struct label *label; /* A_LABEL, A_PASID given as a label */
	void *arr;           /* A_RANGES, A_RESV, A_HEX, A_JSON (as its check made it) */
	size_t n;            /* entries of arr (bytes for A_HEX) */
};

struct label {
	char *name;
	unsigned int kind;
	size_t step;    /* defining step */
	uint64_t size;  /* K_BUFFER: bytes, known when the file is checked */
	/* set when the defining step succeeds */
	bool live;
	uint32_t id;    /* K_OBJECT; K_DMA: the request's handle */
	uint32_t pasid; /* K_PASID */
	struct mem *mem; /* K_BUFFER */
	uint64_t cookie; /* K_QUEUE: the last page request group read from it */
	struct dma_req *dma; /* K_DMA */
	struct ioasid_virtio_iommu *virtio_iommu; /* K_VIRTIO_IOMMU */
};

/*
 * A DMA the sim's engine runs for a dma_read/dma_write step. The device side
 * of the copy must stay valid until the request is collected, which may be
 * never: requests that wait live until scenario_free().
 */
struct dma_req {
	uint8_t *buf;   /* the device side: a scenario buffer, or @own */
	uint8_t *own;   /* memory the request owns, or NULL */
	size_t len;
	bool write;
	uint64_t iova;
	uint64_t handle; /* when it waits */
};

/* Memory a step allocated (a buffer, or the fresh memory of a map). */
struct mem {
	char *name;     /* the label, or "#N" for an unlabelled map of step N */
	uint8_t *va;
	size_t size;    /* bytes asked for */
	size_t maplen;  /* bytes mapped (whole pages, at least one) */
	int fd;         /* memfd, or -1 */
};

struct run;
struct step;
struct loader;

struct op_desc {
	const char *name;
	int (*run)(struct run *r, const struct step *s, json_t *value);
	const struct arg_spec *args; /* the keys it takes, ended by a NULL key */
	unsigned int makes;          /* what its "as" names; 0: no "as" */
	/* checks beyond types and labels; 0 or CLI_EXIT_USAGE */
	int (*check)(struct loader *l, struct step *s);
};

struct step {
	size_t index;
	const struct op_desc *op;
	json_t *json;
	struct argval *vals; /* one per op->args entry */
	struct label *as;
	int expect;          /* -1: none; 0: "ok"; else the errno */
};

struct scenario {
	char *file;
	json_t *root;
	const char *backend;
	char *profile;
	struct step *steps;
	size_t nr_steps;
	struct label **labels;
	size_t nr_labels;
	/* run time */
	struct mem **mems;
	size_t nr_mems;
	struct dma_req **dmas; /* requests that waited (their memory) */
	size_t nr_dmas;
	uint64_t now_ns;       /* the fault timeouts' clock (clock_advance) */
	struct ioasid_virtio_iommu **virtio_iommus; /* freed at the end of scenario_run() */
	size_t nr_virtio_iommus;
};

struct loader {
	struct scenario *sc;
	char path[128]; /* JSON path of the step being checked, "steps[3]" */
};

struct run {
	struct scenario *sc;
	struct ioasid_ctx *ctx;
	char msg[512]; /* the harness's own message for a failure, else "" */
};

static const struct op_desc *op_find(const char *name);
static void op_table_check(void);

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */

struct strbuf {
	char *s;
	size_t len, cap;
};

static void sb_addf(struct strbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_addf(struct strbuf *b, const char *fmt, ...)
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

static const char *sb_str(struct strbuf *b)
{
	if (!b->s)
		sb_addf(b, "%s", "");
	return b->s;
}

/* A JSON value for a message: compact, cut at about 60 characters. */
static const char *jshow(const json_t *v, char *buf, size_t len)
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

static const char *perm_str(uint32_t flags)
{
	switch (flags & (IOASID_MAP_READ | IOASID_MAP_WRITE)) {
	case IOASID_MAP_READ | IOASID_MAP_WRITE: return "rw";
	case IOASID_MAP_READ: return "r";
	case IOASID_MAP_WRITE: return "w";
	default: return "-";
	}
}

static const char *result_name(int err, char *buf, size_t len)
{
	const char *n = ioasid_strerrno(err);

	if (!strcmp(n, "E?")) {
		snprintf(buf, len, "E%d", err < 0 ? -err : err);
		return buf;
	}
	return n;
}

/* ------------------------------------------------------------------------ */
/* Loading: errors                                                          */

static int lerr(struct loader *l, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "ioasidctl: FILE: steps[3].iova: message"; returns CLI_EXIT_USAGE. */
static int lerr(struct loader *l, const char *key, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ioasidctl: %s: ", l->sc->file);
	if (*l->path || key)
		fprintf(stderr, "%s%s%s: ", l->path,
			*l->path && key && *key != '[' ? "." : "", key ? key : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_EXIT_USAGE;
}

/* ------------------------------------------------------------------------ */
/* Loading: ${VAR}                                                          */

static bool var_char(char c, bool first)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (!first && c >= '0' && c <= '9');
}

/* Replace every ${NAME} in the string @v; 0 or CLI_EXIT_USAGE. */
static int expand_string(struct loader *l, const char *key, json_t *v)
{
	const char *s = json_string_value(v), *p, *end;
	struct strbuf b = { 0 };
	char name[128], show[80];
	const char *val;
	size_t n;

	if (!strstr(s, "${"))
		return 0;
	for (p = s; *p; ) {
		if (p[0] != '$' || p[1] != '{') {
			sb_addf(&b, "%c", *p++);
			continue;
		}
		end = strchr(p + 2, '}');
		n = end ? (size_t)(end - p - 2) : 0;
		if (!end || !n || n >= sizeof(name) || !var_char(p[2], true)) {
			free(b.s);
			return lerr(l, key, "%s: bad variable reference (write ${NAME})",
				    jshow(v, show, sizeof(show)));
		}
		memcpy(name, p + 2, n);
		name[n] = '\0';
		for (size_t i = 1; i < n; i++) {
			if (!var_char(name[i], false)) {
				free(b.s);
				return lerr(l, key, "%s: bad variable name '%s'",
					    jshow(v, show, sizeof(show)), name);
			}
		}
		val = getenv(name);
		if (!val) {
			free(b.s);
			return lerr(l, key, "environment variable %s is not set (used in %s)",
				    name, jshow(v, show, sizeof(show)));
		}
		sb_addf(&b, "%s", val);
		p = end + 1;
	}
	json_string_set(v, sb_str(&b));
	free(b.s);
	return 0;
}

/* ${VAR} in every string of @v, keys excepted; @key names @v in messages. */
static int expand_all(struct loader *l, const char *key, json_t *v)
{
	char sub[160];
	const char *k;
	json_t *e;
	size_t i;
	int err;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return expand_string(l, key, v);
	case JSON_OBJECT:
		json_object_foreach(v, k, e) {
			/* free text may well mention ${VAR} without needing it */
			if (!strcmp(k, "comment") || !strcmp(k, "description"))
				continue;
			snprintf(sub, sizeof(sub), "%s%s%s", key ? key : "",
				 key ? "." : "", k);
			err = expand_all(l, sub, e);
			if (err)
				return err;
		}
		return 0;
	case JSON_ARRAY:
		json_array_foreach(v, i, e) {
			snprintf(sub, sizeof(sub), "%s[%zu]", key ? key : "", i);
			err = expand_all(l, sub, e);
			if (err)
				return err;
		}
		return 0;
	default:
		return 0;
	}
}

/* ------------------------------------------------------------------------ */
/* Loading: values                                                          */

/* A number: a JSON integer >= 0, or a string "0x..." (hex) or decimal. */
static bool parse_num(const json_t *v, uint64_t *ret)
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

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static struct label *label_find(struct scenario *sc, const char *name)
{
	size_t i;

	for (i = 0; i < sc->nr_labels; i++)
		if (!strcmp(sc->labels[i]->name, name))
			return sc->labels[i];
	return NULL;
}

static int parse_label(struct loader *l, const char *key, const json_t *v,
		       unsigned int kinds, struct label **ret)
{
	char show[80], want[64];
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

static int parse_hex_bytes(struct loader *l, const char *key, const json_t *v,
			   struct argval *a)
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
static int parse_named(struct loader *l, const char *key, const json_t *v,
		       const struct name_val *names, bool list, uint64_t max,
		       uint64_t *ret)
{
	char show[80], all[256], sub[96], hexmax[24];
	const json_t *e;
	size_t i;
	uint64_t bit;

	if (!max)
		max = UINT64_MAX;
	*ret = 0;
	if (parse_num(v, ret)) {
		if (*ret > max) {
			snprintf(hexmax, sizeof(hexmax), "0x%" PRIx64, max);
			return lerr(l, key, "%s is larger than %s", jshow(v, show, sizeof(show)),
				    hexmax);
		}
		return 0;
	}
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

static int parse_arg(struct loader *l, const struct arg_spec *spec, json_t *v,
		     struct argval *a)
{
	const char *key = spec->key, *s;
	uint64_t max = spec->max ? spec->max : UINT64_MAX;
	char show[80], hexmax[24];

	a->present = true;
	a->json = v;
	switch (spec->type) {
	case A_NUM:
		if (!parse_num(v, &a->u))
			return lerr(l, key, "%s is not a number (a JSON integer >= 0 or a \"0x...\" string)",
				    jshow(v, show, sizeof(show)));
		if (a->u > max) {
			snprintf(hexmax, sizeof(hexmax), "0x%" PRIx64, max);
			return lerr(l, key, "%s is larger than %s", jshow(v, show, sizeof(show)),
				    hexmax);
		}
		return 0;
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
		s = json_string_value(v);
		if (s && !strcmp(s, "rw"))
			a->u = IOASID_MAP_READ | IOASID_MAP_WRITE;
		else if (s && !strcmp(s, "r"))
			a->u = IOASID_MAP_READ;
		else if (s && !strcmp(s, "w"))
			a->u = IOASID_MAP_WRITE;
		else if (s && !strcmp(s, "none"))
			a->u = 0;
		else
			return lerr(l, key, "%s is not \"r\", \"w\", \"rw\" or \"none\"",
				    jshow(v, show, sizeof(show)));
		return 0;
	case A_LABEL:
		return parse_label(l, key, v, spec->kinds, &a->label);
	case A_PASID:
		if (parse_num(v, &a->u)) {
			if (a->u > UINT32_MAX)
				return lerr(l, key, "%s is larger than 0xffffffff",
					    jshow(v, show, sizeof(show)));
			return 0;
		}
		return parse_label(l, key, v, K_PASID, &a->label);
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

static bool label_name_ok(const char *s)
{
	size_t i;

	/* Labels never start with a digit, so "pasid": "5" stays a number. */
	if (!var_char(s[0], true))
		return false;
	for (i = 1; s[i]; i++)
		if (!var_char(s[i], false) && s[i] != '-' && s[i] != '.')
			return false;
	return i <= 64;
}

static void allowed_keys(const struct op_desc *op, char *buf, size_t len)
{
	const struct arg_spec *a;
	size_t off = 0;

	buf[0] = '\0';
	for (a = op->args; a && a->key; a++)
		off += snprintf(buf + off, off < len ? len - off : 0, "%s, ", a->key);
	snprintf(buf + off, off < len ? len - off : 0, "%s%s", op->makes ? "as, " : "",
		 "expect, comment");
}

static int load_step(struct loader *l, json_t *js, struct step *s)
{
	const struct arg_spec *spec;
	char show[80], keys[512];
	const char *k, *opname;
	json_t *v;
	size_t i, nargs = 0;
	int err;

	if (!json_is_object(js))
		return lerr(l, NULL, "%s: a step is an object {\"op\": NAME, ...}",
			    jshow(js, show, sizeof(show)));
	s->json = js;
	s->expect = -1;
	err = expand_all(l, NULL, js);
	if (err)
		return err;
	v = json_object_get(js, "op");
	if (!v)
		return lerr(l, "op", "missing (every step names its op)");
	opname = json_string_value(v);
	if (!opname)
		return lerr(l, "op", "%s is not a string", jshow(v, show, sizeof(show)));
	s->op = op_find(opname);
	if (!s->op)
		return lerr(l, "op", "unknown op %s", jshow(v, show, sizeof(show)));
	for (spec = s->op->args; spec && spec->key; spec++)
		nargs++;
	s->vals = xcalloc(nargs, sizeof(*s->vals));

	json_object_foreach(js, k, v) {
		if (!strcmp(k, "op"))
			continue;
		if (!strcmp(k, "comment")) {
			if (!json_is_string(v))
				return lerr(l, k, "%s is not a string", jshow(v, show, sizeof(show)));
			continue;
		}
		if (!strcmp(k, "expect")) {
			const char *e = json_string_value(v);

			if (e && !strcmp(e, "ok"))
				s->expect = 0;
			else if (e && ioasid_errno_from_name(e))
				s->expect = ioasid_errno_from_name(e);
			else
				return lerr(l, k, "%s is not \"ok\" or an errno name such as \"EEXIST\"",
					    jshow(v, show, sizeof(show)));
			continue;
		}
		if (!strcmp(k, "as"))
			continue; /* after the arguments: a step cannot name itself */
		for (i = 0; i < nargs; i++)
			if (!strcmp(s->op->args[i].key, k))
				break;
		if (i == nargs) {
			allowed_keys(s->op, keys, sizeof(keys));
			return lerr(l, k, "unknown argument of op %s (it takes: %s)",
				    s->op->name, keys);
		}
		err = parse_arg(l, &s->op->args[i], v, &s->vals[i]);
		if (err)
			return err;
	}
	for (i = 0; i < nargs; i++)
		if (s->op->args[i].required && !s->vals[i].present)
			return lerr(l, s->op->args[i].key, "missing (op %s needs it)",
				    s->op->name);

	v = json_object_get(js, "as");
	if (v) {
		struct label *old, *lb;

		if (!s->op->makes)
			return lerr(l, "as", "op %s makes nothing to label", s->op->name);
		if (!json_is_string(v) || !label_name_ok(json_string_value(v)))
			return lerr(l, "as", "%s is not a label (letters, digits, _ . -; not starting with a digit; at most 64)",
				    jshow(v, show, sizeof(show)));
		old = label_find(l->sc, json_string_value(v));
		if (old)
			return lerr(l, "as", "label %s is already defined by steps[%zu]",
				    jshow(v, show, sizeof(show)), old->step);
		lb = xcalloc(1, sizeof(*lb));
		lb->name = xstrdup(json_string_value(v));
		lb->kind = s->op->makes;
		lb->step = s->index;
		l->sc->labels = xrealloc(l->sc->labels,
					 (l->sc->nr_labels + 1) * sizeof(*l->sc->labels));
		l->sc->labels[l->sc->nr_labels++] = lb;
		s->as = lb;
	}
	if (s->op->check)
		return s->op->check(l, s);
	return 0;
}

/* Resolve a relative profile path against the scenario file's directory. */
static char *profile_path(const char *file, const char *profile)
{
	const char *slash = strrchr(file, '/');
	size_t n = strlen(profile);
	bool is_file = strchr(profile, '/') || (n > 5 && !strcmp(profile + n - 5, ".json"));

	if (!is_file || profile[0] == '/' || !slash)
		return xstrdup(profile);
	return xasprintf("%.*s/%s", (int)(slash - file), file, profile);
}

int scenario_load(const char *path, struct scenario **ret)
{
	struct scenario *sc = xcalloc(1, sizeof(*sc));
	struct loader l = { .sc = sc };
	json_error_t jerr;
	json_t *steps, *v;
	char show[80];
	const char *k;
	size_t i;
	int err;

	op_table_check();
	*ret = NULL;
	sc->file = xstrdup(path);
	sc->root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!sc->root) {
		if (jerr.line < 1)
			cli_err("%s: %s", path, jerr.text);
		else
			cli_err("%s:%d:%d: not valid JSON: %s%s", path, jerr.line,
				jerr.column, jerr.text,
				strstr(jerr.text, "too big integer") ?
				" (write numbers above 2^63 as \"0x...\" strings)" : "");
		scenario_free(sc);
		return CLI_EXIT_USAGE;
	}
	if (!json_is_object(sc->root)) {
		err = lerr(&l, NULL, "%s is not a scenario (an object {\"steps\": [...]})",
			   jshow(sc->root, show, sizeof(show)));
		goto fail;
	}
	json_object_foreach(sc->root, k, v) {
		if (!strcmp(k, "steps"))
			continue;
		if (strcmp(k, "backend") && strcmp(k, "profile") && strcmp(k, "description")) {
			err = lerr(&l, k, "unknown key (a scenario has backend, profile, description, steps)");
			goto fail;
		}
		if (strcmp(k, "description")) {
			err = expand_all(&l, k, v);
			if (err)
				goto fail;
		}
		if (!json_is_string(v) || !*json_string_value(v)) {
			err = lerr(&l, k, "%s is not a non-empty string", jshow(v, show, sizeof(show)));
			goto fail;
		}
	}
	sc->backend = json_string_value(json_object_get(sc->root, "backend"));
	v = json_object_get(sc->root, "profile");
	if (v)
		sc->profile = profile_path(path, json_string_value(v));
	steps = json_object_get(sc->root, "steps");
	if (!steps) {
		err = lerr(&l, "steps", "missing (a scenario is {\"steps\": [...]})");
		goto fail;
	}
	if (!json_is_array(steps)) {
		err = lerr(&l, "steps", "%s is not a list of steps", jshow(steps, show, sizeof(show)));
		goto fail;
	}
	sc->nr_steps = json_array_size(steps);
	sc->steps = xcalloc(sc->nr_steps, sizeof(*sc->steps));
	for (i = 0; i < sc->nr_steps; i++) {
		snprintf(l.path, sizeof(l.path), "steps[%zu]", i);
		sc->steps[i].index = i;
		err = load_step(&l, json_array_get(steps, i), &sc->steps[i]);
		if (err)
			goto fail;
	}
	*ret = sc;
	return CLI_EXIT_OK;
fail:
	scenario_free(sc);
	return err;
}

const char *scenario_backend(const struct scenario *sc)
{
	return sc->backend;
}

const char *scenario_profile(const struct scenario *sc)
{
	return sc->profile;
}

void scenario_free(struct scenario *sc)
{
	size_t i, j;

	if (!sc)
		return;
	for (i = 0; i < sc->nr_mems; i++) {
		struct mem *m = sc->mems[i];

		munmap(m->va, m->maplen);
		if (m->fd >= 0)
			close(m->fd);
		free(m->name);
		free(m);
	}
	free(sc->mems);
	for (i = 0; i < sc->nr_dmas; i++) {
		free(sc->dmas[i]->own);
		free(sc->dmas[i]);
	}
	free(sc->dmas);
	free(sc->virtio_iommus); /* the objects went with scenario_run() */
	for (i = 0; i < sc->nr_steps; i++) {
		struct step *s = &sc->steps[i];

		for (j = 0; s->vals && s->op->args[j].key; j++)
			free(s->vals[j].arr);
		free(s->vals);
	}
	free(sc->steps);
	for (i = 0; i < sc->nr_labels; i++) {
		free(sc->labels[i]->name);
		free(sc->labels[i]);
	}
	free(sc->labels);
	free(sc->profile);
	json_decref(sc->root);
	free(sc->file);
	free(sc);
}

/* ------------------------------------------------------------------------ */
/* Argument access for handlers                                             */

static const struct argval *arg(const struct step *s, const char *key)
{
	static const struct argval absent;
	size_t i;

	for (i = 0; s->op->args[i].key; i++)
		if (!strcmp(s->op->args[i].key, key))
			return &s->vals[i];
	return &absent;
}

static bool has(const struct step *s, const char *key)
{
	return arg(s, key)->present;
}

static uint64_t num(const struct step *s, const char *key, uint64_t def)
{
	const struct argval *a = arg(s, key);

	return a->present ? a->u : def;
}

/*
 * The id behind an object label: 0 (which no object has) when the step that
 * made it failed or the object was destroyed, so using it fails with the
 * library's -ENOENT instead of reaching an object that reused the id.
 */
static uint32_t obj_id(const struct step *s, const char *key)
{
	const struct argval *a = arg(s, key);

	return a->label && a->label->live ? a->label->id : IOASID_ID_NONE;
}

/* A PASID argument, or IOASID_PASID_NONE when absent. */
static uint32_t pasid_arg(const struct step *s, const char *key)
{
	const struct argval *a = arg(s, key);

	if (!a->present)
		return IOASID_PASID_NONE;
	if (a->label)
		return a->label->pasid; /* stays usable after pasid_free: a stale PASID is a test */
	return (uint32_t)a->u;
}

static void label_set_id(const struct step *s, uint32_t id)
{
	if (s->as) {
		s->as->id = id;
		s->as->live = true;
	}
}

static void label_kill(const struct step *s, const char *key)
{
	const struct argval *a = arg(s, key);

	if (a->label)
		a->label->live = false;
}

/* The live label of an object id, for values that name objects. */
static const char *label_of_id(const struct scenario *sc, uint32_t id, unsigned int kinds)
{
	size_t i;

	for (i = 0; id && i < sc->nr_labels; i++)
		if ((sc->labels[i]->kind & kinds) && sc->labels[i]->live &&
		    sc->labels[i]->id == id)
			return sc->labels[i]->name;
	return NULL;
}

static int harness_err(struct run *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A failure of the harness itself (e.g. mmap), not of the library. */
static int harness_err(struct run *r, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	return err;
}

/* ------------------------------------------------------------------------ */
/* Memory                                                                   */

/*
 * The alignment memory gets when the file asks for less: its size rounded
 * up to a power of two (at most 1 TiB). An automatic IOVA keeps the low
 * bits of the process address up to that size (the kernel does so to allow
 * huge pages, kernel-uapi.md §4.3), so without this the IOVAs a scenario
 * reports would depend on where mmap() happened to put the memory.
 */
static uint64_t natural_align(uint64_t size)
{
	uint64_t a = 1;

	while (a < size && a < (UINT64_C(1) << 40))
		a <<= 1;
	return a;
}

/*
 * Allocate @size bytes aligned to @align (at least a page, at least the
 * natural alignment): reserve room for the alignment without backing it,
 * place the memory at the aligned address and give back the rest, so
 * munmap() of the result frees all.
 */
static int mem_alloc(struct run *r, const char *name, uint64_t size,
		     uint64_t align, bool memfd, struct mem **ret)
{
	struct scenario *sc = r->sc;
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t maplen, resv;
	uintptr_t base, start;
	struct mem *m;
	void *p;
	int fd = -1, err;

	if (align < natural_align(size))
		align = natural_align(size);
	if (align < pg)
		align = pg;
	if (size > SIZE_MAX - pg)
		return harness_err(r, -ENOMEM, "cannot allocate 0x%" PRIx64 " bytes of memory for %s",
				   size, name);
	maplen = ((size ? size : 1) + pg - 1) & ~(pg - 1);
	if (maplen > SIZE_MAX - align)
		return harness_err(r, -ENOMEM, "cannot allocate 0x%" PRIx64 " bytes aligned to 0x%"
				   PRIx64 " for %s", size, align, name);
	resv = maplen + align - pg;
	p = mmap(NULL, resv, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return harness_err(r, -errno, "cannot reserve 0x%" PRIx64 " bytes of memory for %s: %s",
				   resv, name, strerror(errno));
	base = (uintptr_t)p;
	start = (base + align - 1) & ~(uintptr_t)(align - 1);
	if (memfd) {
		fd = memfd_create(name, MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, maplen) < 0) {
			err = -errno;
			harness_err(r, err, "memfd for %s (0x%" PRIx64 " bytes): %s", name,
				    maplen, strerror(errno));
			goto fail;
		}
		p = mmap((void *)start, maplen, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, fd, 0);
	} else {
		p = mmap((void *)start, maplen, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	}
	if (p == MAP_FAILED) {
		err = -errno;
		harness_err(r, err, "cannot map 0x%" PRIx64 " bytes of memory for %s: %s",
			    maplen, name, strerror(errno));
		goto fail;
	}
	if (start > base)
		munmap((void *)base, start - base);
	if (base + resv > start + maplen)
		munmap((void *)(start + maplen), base + resv - (start + maplen));
	m = xcalloc(1, sizeof(*m));
	m->name = xstrdup(name);
	m->va = (uint8_t *)start;
	m->size = size;
	m->maplen = maplen;
	m->fd = fd;
	sc->mems = xrealloc(sc->mems, (sc->nr_mems + 1) * sizeof(*sc->mems));
	sc->mems[sc->nr_mems++] = m;
	*ret = m;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	munmap((void *)base, resv);
	return err;
}

/*
 * The memory holding process address @va, for naming it. With @end_too,
 * an address one past the end of some memory names it too (messages name
 * ends), but only when no memory holds the address itself: allocations
 * are often adjacent, and the start of one must not read as the end of
 * its neighbour.
 */
static const struct mem *mem_at(const struct scenario *sc, uint64_t va,
				uint64_t *off, bool end_too)
{
	size_t i, pass;

	for (pass = 0; pass < (end_too ? 2u : 1u); pass++) {
		for (i = 0; i < sc->nr_mems; i++) {
			const struct mem *m = sc->mems[i];
			uint64_t start = (uintptr_t)m->va;

			if (va >= start && (va - start < m->maplen ||
					    (pass && va - start == m->maplen))) {
				*off = va - start;
				return m;
			}
		}
	}
	return NULL;
}

/* Words after which the library's messages put an object id: "IOAS 3". */
static const struct {
	const char *word;
	unsigned int kinds;
} id_words[] = {
	{ "IOAS", K_IOAS }, { "ioas", K_IOAS }, { "set", K_SET }, { "HWPT", K_HWPT },
	{ "hwpt", K_HWPT }, { "device", K_DEV }, { "object", K_OBJECT },
	{ "queue", K_QUEUE }, { "DMA", K_DMA },
};

/*
 * At @p, "WORD N" where N is the id of a live label: append "WORD LABEL"
 * and return the length consumed, else 0.
 */
static size_t id_to_label(const struct scenario *sc, const char *p, struct strbuf *b)
{
	const char *lb, *q;
	unsigned long id;
	size_t i, len;

	for (i = 0; i < sizeof(id_words) / sizeof(id_words[0]); i++) {
		len = strlen(id_words[i].word);
		if (strncmp(p, id_words[i].word, len) || p[len] != ' ' ||
		    p[len + 1] < '0' || p[len + 1] > '9')
			continue;
		id = strtoul(p + len + 1, (char **)&q, 10);
		if (var_char(*q, false) || id > UINT32_MAX)
			return 0;
		lb = label_of_id(sc, (uint32_t)id, id_words[i].kinds);
		if (!lb)
			return 0;
		sb_addf(b, "%s %s", id_words[i].word, lb);
		return (size_t)(q - p);
	}
	return 0;
}

/*
 * Process addresses differ from run to run, object ids from backend to
 * backend (and library version to library version); outputs must not.
 * Rewrite every "0x..." inside memory the scenario allocated as
 * LABEL+0xOFFSET, and "IOAS 3" (set, HWPT, object, ...) as "IOAS LABEL"
 * when a live label names that object.
 */
static char *sanitize_text(const struct scenario *sc, const char *msg)
{
	struct strbuf b = { 0 };
	const struct mem *m;
	const char *p = msg;
	uint64_t v, off;
	size_t n;

	while (*p) {
		if (p == msg || !var_char(p[-1], false)) {
			n = id_to_label(sc, p, &b);
			if (n) {
				p += n;
				continue;
			}
		}
		if (p[0] == '0' && p[1] == 'x' && (p == msg || !var_char(p[-1], false))) {
			n = strspn(p + 2, "0123456789abcdefABCDEF");
			if (n && n <= 16) {
				v = strtoull(p + 2, NULL, 16);
				m = v >= 0x10000 ? mem_at(sc, v, &off, true) : NULL;
				if (m) {
					sb_addf(&b, "%s+0x%" PRIx64, m->name, off);
					p += 2 + n;
					continue;
				}
			}
		}
		sb_addf(&b, "%c", *p++);
	}
	sb_str(&b);
	return b.s;
}

static void sanitize_json(const struct scenario *sc, json_t *v)
{
	const char *k;
	json_t *e;
	size_t i;
	char *s;

	switch (json_typeof(v)) {
	case JSON_STRING:
		if (!strstr(json_string_value(v), "0x"))
			return;
		s = sanitize_text(sc, json_string_value(v));
		json_string_set(v, s);
		free(s);
		return;
	case JSON_OBJECT:
		json_object_foreach(v, k, e)
			sanitize_json(sc, e);
		return;
	case JSON_ARRAY:
		json_array_foreach(v, i, e)
			sanitize_json(sc, e);
		return;
	default:
		return;
	}
}

/* A mapping as values show it: no process address, the memory's name. */
static json_t *mapping_json(struct run *r, const struct ioasid_mapping *mp)
{
	const struct mem *m;
	uint64_t off;
	json_t *o;

	o = json_object();
	json_object_set_new(o, "iova", json_hex(mp->iova));
	json_object_set_new(o, "last", json_hex(mp->iova + mp->length - 1));
	json_object_set_new(o, "length", json_hex(mp->length));
	json_object_set_new(o, "perm", json_string(perm_str(mp->flags)));
	m = mem_at(r->sc, mp->uva, &off, false);
	if (m) {
		json_object_set_new(o, "buffer", json_string(m->name));
		json_object_set_new(o, "offset", json_hex(off));
	} else {
		json_object_set_new(o, "buffer", json_null());
	}
	return o;
}

/* ------------------------------------------------------------------------ */
/* Op handlers: address spaces                                              */

/*
 * Every handler has this signature: it returns 0 or a negative errno and
 * fills @value on success. Not every handler needs every argument.
 */
#define UNUSED __attribute__((unused))
#define HANDLER(name) \
	static int name(struct run *r UNUSED, const struct step *s UNUSED, json_t *value UNUSED)

HANDLER(op_ioas_alloc)
{
	uint32_t id;
	int err = ioasid_ioas_alloc(r->ctx, &id);

	if (!err)
		label_set_id(s, id);
	return err;
}

HANDLER(op_ioas_destroy)
{
	int err = ioasid_ioas_destroy(r->ctx, obj_id(s, "ioas"));

	if (!err)
		label_kill(s, "ioas");
	return err;
}

HANDLER(op_destroy)
{
	int err = ioasid_obj_destroy(r->ctx, obj_id(s, "object"));

	if (!err)
		label_kill(s, "object");
	return err;
}

/* Map flags: "perm" (default rw), FIXED_IOVA when @fixed, raw "flags" OR'd in. */
static uint32_t map_flags(const struct step *s, bool fixed)
{
	uint32_t flags = has(s, "perm") ? (uint32_t)num(s, "perm", 0) :
			 IOASID_MAP_READ | IOASID_MAP_WRITE;

	if (fixed)
		flags |= IOASID_MAP_FIXED_IOVA;
	return flags | (uint32_t)num(s, "flags", 0);
}

HANDLER(op_map)
{
	const struct argval *b = arg(s, "buffer");
	uint64_t iova = num(s, "iova", 0), offset = num(s, "offset", 0), length;
	struct mem *m;
	char name[32];
	int err;

	if (b->present) {
		m = b->label->mem;
		/* the loader checked offset + length against the buffer's size */
		length = num(s, "length", m ? m->size - offset : 0);
		if (!m)
			return harness_err(r, -ENOENT, "buffer %s was not allocated (steps[%zu] failed)",
					   b->label->name, b->label->step);
	} else {
		length = num(s, "length", 0);
		if (s->as)
			snprintf(name, sizeof(name), "%s", s->as->name);
		else
			snprintf(name, sizeof(name), "#%zu", s->index);
		err = mem_alloc(r, name, length, 0, false, &m);
		if (err)
			return err;
		if (s->as) {
			s->as->mem = m;
			s->as->live = true;
		}
	}
	err = ioasid_ioas_map(r->ctx, obj_id(s, "ioas"), m->va + offset, length,
			      map_flags(s, has(s, "iova")), &iova);
	if (!err)
		json_object_set_new(value, "iova", json_hex(iova));
	return err;
}

HANDLER(op_unmap)
{
	uint64_t unmapped = 0;
	int err = ioasid_ioas_unmap(r->ctx, obj_id(s, "ioas"), num(s, "iova", 0),
				    num(s, "length", 0), &unmapped);

	if (!err)
		json_object_set_new(value, "unmapped", json_hex(unmapped));
	return err;
}

HANDLER(op_copy)
{
	uint64_t dst_iova = num(s, "dst_iova", 0);
	int err = ioasid_ioas_copy(r->ctx, obj_id(s, "dst"), obj_id(s, "src"),
				   num(s, "src_iova", 0), num(s, "length", 0),
				   map_flags(s, has(s, "dst_iova")), &dst_iova);

	if (!err)
		json_object_set_new(value, "dst_iova", json_hex(dst_iova));
	return err;
}

HANDLER(op_iova_ranges)
{
	struct ioasid_iova_range *rg = NULL;
	uint32_t num_rg = 0, cap = 0, i;
	uint64_t align = 0;
	json_t *list;
	int err;

	/* Ask for the count, then for the ranges; again if they changed. */
	for (;;) {
		num_rg = cap;
		err = ioasid_ioas_iova_ranges(r->ctx, obj_id(s, "ioas"), rg, &num_rg, &align);
		if (err != -EMSGSIZE && !(err == 0 && num_rg > cap))
			break;
		cap = num_rg;
		rg = xrealloc(rg, cap * sizeof(*rg));
	}
	if (!err) {
		list = json_array();
		for (i = 0; i < num_rg; i++)
			json_array_append_new(list, json_pack("{s:o, s:o}",
							      "start", json_hex(rg[i].start),
							      "last", json_hex(rg[i].last)));
		json_object_set_new(value, "ranges", list);
		json_object_set_new(value, "alignment", json_hex(align));
	}
	free(rg);
	return err;
}

HANDLER(op_allow_iovas)
{
	const struct argval *a = arg(s, "ranges");

	return ioasid_ioas_allow_iovas(r->ctx, obj_id(s, "ioas"), a->arr, (uint32_t)a->n);
}

HANDLER(op_reserve)
{
	return ioasid_ioas_reserve(r->ctx, obj_id(s, "ioas"), num(s, "start", 0),
				   num(s, "last", 0));
}

HANDLER(op_unreserve)
{
	return ioasid_ioas_unreserve(r->ctx, obj_id(s, "ioas"), num(s, "start", 0),
				     num(s, "last", 0));
}

HANDLER(op_option)
{
	uint64_t val = 0;
	int err = 0;

	/* "name" is checked at load time: huge_pages is the one option so far */
	if (has(s, "value"))
		err = ioasid_ioas_set_option(r->ctx, obj_id(s, "ioas"),
					     IOASID_IOAS_OPT_HUGE_PAGES, num(s, "value", 0));
	if (!err)
		err = ioasid_ioas_get_option(r->ctx, obj_id(s, "ioas"),
					     IOASID_IOAS_OPT_HUGE_PAGES, &val);
	if (!err)
		json_object_set_new(value, "huge_pages", json_integer((json_int_t)val));
	return err;
}

HANDLER(op_lookup)
{
	struct ioasid_mapping mp;
	int err = ioasid_ioas_lookup(r->ctx, obj_id(s, "ioas"), num(s, "iova", 0), &mp);

	json_t *m;

	if (err)
		return err;
	m = mapping_json(r, &mp);
	json_object_update(value, m);
	json_decref(m);
	return 0;
}

/* Every area of an IOAS, in IOVA order, paging through the library's list. */
static int list_mappings(struct run *r, uint32_t ioas, struct ioasid_mapping **ret,
			 size_t *ret_n)
{
	struct ioasid_mapping page[64], *all = NULL;
	uint64_t from = 0;
	size_t n = 0;
	uint32_t got, i;
	int err;

	for (;;) {
		got = 64;
		err = ioasid_ioas_mappings(r->ctx, ioas, from, page, &got);
		if (err) {
			free(all);
			return err;
		}
		all = xrealloc(all, (n + got) * sizeof(*all));
		for (i = 0; i < got; i++)
			all[n++] = page[i];
		if (got < 64)
			break;
		from = page[got - 1].iova + page[got - 1].length;
		if (!from) /* the last area ends at the top of the address space */
			break;
	}
	*ret = all;
	*ret_n = n;
	return 0;
}

HANDLER(op_mappings)
{
	struct ioasid_mapping *all;
	size_t n, i;
	json_t *list;
	int err = list_mappings(r, obj_id(s, "ioas"), &all, &n);

	if (err)
		return err;
	list = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(list, mapping_json(r, &all[i]));
	json_object_set_new(value, "mappings", list);
	free(all);
	return 0;
}

HANDLER(op_ioas_stats)
{
	struct ioasid_ioas_stats st;
	int err = ioasid_ioas_stats(r->ctx, obj_id(s, "ioas"), &st);

	if (err)
		return err;
	json_object_set_new(value, "areas", json_integer((json_int_t)st.nr_areas));
	json_object_set_new(value, "mapped_bytes", json_hex(st.mapped_bytes));
	json_object_set_new(value, "reserved", json_integer((json_int_t)st.nr_reserved));
	json_object_set_new(value, "allowed", json_integer((json_int_t)st.nr_allowed));
	json_object_set_new(value, "alignment", json_hex(st.alignment));
	json_object_set_new(value, "attached", json_integer(st.nr_attached));
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Op handlers: pinned memory                                               */

HANDLER(op_pinned)
{
	struct ioasid_pinned_info pi;
	int err = ioasid_ctx_pinned(r->ctx, &pi);

	if (err)
		return err;
	json_object_set_new(value, "pinned_pages", json_integer((json_int_t)pi.pinned_pages));
	/* no limit is null: UINT64_MAX does not fit a JSON integer */
	json_object_set_new(value, "limit_pages", pi.limit_pages == UINT64_MAX ? json_null() :
				   json_integer((json_int_t)pi.limit_pages));
	json_object_set_new(value, "page_size", json_hex(pi.page_size));
	json_object_set_new(value, "exempt", json_boolean(pi.exempt));
	return 0;
}

HANDLER(op_pinned_limit)
{
	int err = 0;

	if (has(s, "limit"))
		err = ioasid_ctx_set_pinned_limit(r->ctx, num(s, "limit", 0));
	if (!err && has(s, "cap_ipc_lock_exempt"))
		err = ioasid_ctx_set_cap_ipc_lock_exempt(r->ctx,
							 num(s, "cap_ipc_lock_exempt", 1));
	return err;
}

/* ------------------------------------------------------------------------ */
/* Op handlers: sets and PASIDs                                             */

HANDLER(op_set_alloc)
{
	struct ioasid_set_opts o = { .sz = sizeof(struct ioasid_set_opts), .owner = num(s, "owner", 0),
		    .max_pasids = (uint32_t)num(s, "max_pasids", 0),
		    .max_ioas = (uint32_t)num(s, "max_ioas", 0) };
	uint32_t id;
	int err = ioasid_set_alloc(r->ctx, &o, &id);

	if (!err)
		label_set_id(s, id);
	return err;
}

HANDLER(op_set_destroy)
{
	int err = ioasid_set_destroy(r->ctx, obj_id(s, "set"));

	if (!err)
		label_kill(s, "set");
	return err;
}

HANDLER(op_set_ioas_alloc)
{
	uint32_t id;
	int err = ioasid_set_ioas_alloc(r->ctx, obj_id(s, "set"), &id);

	if (!err)
		label_set_id(s, id);
	return err;
}

HANDLER(op_set_info)
{
	struct ioasid_set_info si;
	uint32_t pasids[64], got, i, from = 0;
	json_t *list;
	int err = ioasid_set_info(r->ctx, obj_id(s, "set"), &si);

	if (err)
		return err;
	list = json_array();
	for (;;) {
		got = 64;
		err = ioasid_set_pasids(r->ctx, obj_id(s, "set"), from, pasids, &got);
		if (err) {
			json_decref(list);
			return err;
		}
		for (i = 0; i < got; i++)
			json_array_append_new(list, json_integer(pasids[i]));
		if (got < 64 || pasids[got - 1] == UINT32_MAX)
			break;
		from = pasids[got - 1] + 1;
	}
	json_object_set_new(value, "owner", json_hex(si.owner));
	json_object_set_new(value, "max_pasids", json_integer(si.max_pasids));
	json_object_set_new(value, "nr_pasids", json_integer(si.nr_pasids));
	json_object_set_new(value, "max_ioas", json_integer(si.max_ioas));
	json_object_set_new(value, "nr_ioas", json_integer(si.nr_ioas));
	json_object_set_new(value, "pasid_width", json_integer(si.pasid_width));
	json_object_set_new(value, "pasids", list);
	return 0;
}

HANDLER(op_pasid_alloc)
{
	struct ioasid_set_info si;
	uint32_t set = obj_id(s, "set"), min, max, pasid;
	int err;

	if (has(s, "pasid")) {
		min = max = pasid_arg(s, "pasid");
	} else {
		min = (uint32_t)num(s, "min", 1);
		if (has(s, "max")) {
			max = (uint32_t)num(s, "max", 0);
		} else {
			/* default: the whole PASID space of the context */
			err = ioasid_set_info(r->ctx, set, &si);
			if (err)
				return err;
			max = si.pasid_width ? (uint32_t)((UINT64_C(1) << si.pasid_width) - 1) : 1;
		}
	}
	err = ioasid_pasid_alloc(r->ctx, set, min, max, &pasid);
	if (err)
		return err;
	if (s->as) {
		s->as->pasid = pasid;
		s->as->live = true;
	}
	json_object_set_new(value, "pasid", json_integer(pasid));
	return 0;
}

HANDLER(op_pasid_free)
{
	return ioasid_pasid_free(r->ctx, obj_id(s, "set"), pasid_arg(s, "pasid"));
}

/* ------------------------------------------------------------------------ */
/* Op handlers: devices                                                     */

HANDLER(op_dev_bind)
{
	uint32_t id;
	int err = ioasid_dev_bind(r->ctx, arg(s, "dev")->s, &id);

	if (!err)
		label_set_id(s, id);
	return err;
}

HANDLER(op_dev_unbind)
{
	int err = ioasid_dev_unbind(r->ctx, obj_id(s, "dev"));

	if (!err)
		label_kill(s, "dev");
	return err;
}

HANDLER(op_dev_info)
{
	size_t len = 0, got;
	void *buf;
	json_t *sum;
	int err;

	err = ioasid_dev_info(r->ctx, obj_id(s, "dev"), NULL, 0, &len);
	if (err && err != -EMSGSIZE)
		return err;
	buf = xcalloc(1, len);
	err = ioasid_dev_info(r->ctx, obj_id(s, "dev"), buf, len, &got);
	if (err) {
		free(buf);
		return err;
	}
	sum = caps_summary_json(buf, got < len ? got : len);
	free(buf);
	if (!sum)
		return harness_err(r, -EINVAL, "the device's capability chain is malformed: %s",
				   ioasid_last_errmsg());
	json_object_update(value, sum);
	json_decref(sum);
	return 0;
}

HANDLER(op_dev_list)
{
	struct ioasid_dev_entry *e = NULL;
	uint32_t n = 0, cap = 0, i;
	const char *lb;
	json_t *list;
	int err;

	for (;;) {
		n = cap;
		err = ioasid_dev_list(r->ctx, e, &n);
		if (err != -EMSGSIZE && !(err == 0 && n > cap))
			break;
		cap = n;
		e = xrealloc(e, cap * sizeof(*e));
	}
	if (err) {
		free(e);
		return err;
	}
	list = json_array();
	for (i = 0; i < n; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(e[i].name));
		json_object_set_new(o, "bdf", json_string(e[i].bdf));
		json_object_set_new(o, "iommu", json_string(e[i].iommu));
		json_object_set_new(o, "driver", json_string(e[i].driver));
		lb = label_of_id(r->sc, e[i].bound, K_DEV);
		/* bound, but not through a label of ours: say so without the id */
		json_object_set_new(o, "bound", lb ? json_string(lb) :
					    e[i].bound ? json_true() : json_null());
		json_array_append_new(list, o);
	}
	json_object_set_new(value, "devices", list);
	free(e);
	return 0;
}

HANDLER(op_detach)
{
	return ioasid_dev_detach(r->ctx, obj_id(s, "dev"), pasid_arg(s, "pasid"));
}

HANDLER(op_dev_add)
{
	const struct argval *resv = arg(s, "reserved");
	struct ioasid_sim_dev_desc d = { .sz = sizeof(struct ioasid_sim_dev_desc), .name = arg(s, "name")->s,
		    .bdf = arg(s, "bdf")->s,
		    /* 4K, 2M and 1G unless told: what an x86 device usually gets */
		    .pgsize_bitmap = num(s, "page_sizes", UINT64_C(0x40201000)),
		    .pasid_width = (uint32_t)num(s, "pasid_width", 0),
		    .flags = (num(s, "pri", 0) ? IOASID_SIM_DEV_PRI : 0) |
			     (num(s, "ats", 0) ? IOASID_SIM_DEV_ATS : 0),
		    .resv = resv->arr, .nr_resv = (uint32_t)resv->n };

	return ioasid_sim_dev_add(r->ctx, &d);
}

HANDLER(op_dev_remove)
{
	return ioasid_sim_dev_remove(r->ctx, arg(s, "name")->s);
}

/* ------------------------------------------------------------------------ */
/* Op handlers: memory and state                                            */

HANDLER(op_buffer)
{
	struct mem *m;
	char name[32];
	int err;

	snprintf(name, sizeof(name), "#%zu", s->index);
	err = mem_alloc(r, s->as ? s->as->name : name, num(s, "size", 0),
			num(s, "align", 0), num(s, "memfd", 0), &m);
	if (err)
		return err;
	if (s->as) {
		s->as->mem = m;
		s->as->live = true;
	}
	return 0;
}

/* The bytes a write or read covers; NULL when the buffer was never made. */
static uint8_t *buf_range(struct run *r, const struct step *s, size_t *len)
{
	const struct argval *b = arg(s, "buffer");
	uint64_t off = num(s, "offset", 0);

	if (!b->label->mem) {
		harness_err(r, -ENOENT, "buffer %s was not allocated (steps[%zu] failed)",
			    b->label->name, b->label->step);
		return NULL;
	}
	*len = num(s, "length", b->label->mem->size - off);
	return b->label->mem->va + off;
}

HANDLER(op_write)
{
	const struct argval *data = arg(s, "data");
	size_t len, i;
	uint8_t *p = buf_range(r, s, &len);

	if (!p)
		return -ENOENT;
	if (data->present) {
		/* the pattern repeats over the range */
		for (i = 0; i < len; i++)
			p[i] = ((const uint8_t *)data->arr)[i % data->n];
	} else {
		memset(p, (int)num(s, "byte", 0), len);
	}
	return 0;
}

HANDLER(op_read)
{
	struct strbuf b = { 0 };
	size_t len, i;
	uint8_t *p = buf_range(r, s, &len);

	if (!p)
		return -ENOENT;
	for (i = 0; i < len; i++)
		sb_addf(&b, "%02x", p[i]);
	json_object_set_new(value, "data", json_string(sb_str(&b)));
	free(b.s);
	return 0;
}

HANDLER(op_dump)
{
	char *doc = NULL;
	json_t *j;
	int err = ioasid_json_ctx(r->ctx, IOASID_JSON_COMPACT, &doc);

	if (err)
		return err;
	j = json_loads(doc, 0, NULL);
	ioasid_json_free(doc);
	if (!json_is_object(j)) {
		json_decref(j);
		return harness_err(r, -EPROTO, "ioasid_json_ctx() returned something that is not a JSON object");
	}
	sanitize_json(r->sc, j);
	json_object_update(value, j);
	json_decref(j);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Op handlers: hardware page tables                                        */

/*
 * An optional object argument of an options struct, where 0 means "none":
 * absent 0; a label that names nothing an id no object has (so the library
 * refuses it with ENOENT instead of quietly taking "none").
 */
static uint32_t opt_obj_id(const struct step *s, const char *key)
{
	const struct argval *a = arg(s, key);

	if (!a->present)
		return IOASID_ID_NONE;
	return a->label && a->label->live ? a->label->id : UINT32_MAX;
}

/* What an attach, replace or hwpt_alloc names: "ioas" or "hwpt" (one). */
static uint32_t pt_id(const struct step *s)
{
	return has(s, "hwpt") ? obj_id(s, "hwpt") : obj_id(s, "ioas");
}

static int attach_common(struct run *r, const struct step *s, bool replace)
{
	struct ioasid_attach_opts o = { .sz = sizeof(struct ioasid_attach_opts), .set = obj_id(s, "set"),
		    .fault_queue = opt_obj_id(s, "queue") };

	if (replace)
		return ioasid_dev_replace(r->ctx, obj_id(s, "dev"), pasid_arg(s, "pasid"),
					  pt_id(s), &o);
	return ioasid_dev_attach(r->ctx, obj_id(s, "dev"), pasid_arg(s, "pasid"), pt_id(s), &o);
}

HANDLER(op_attach)
{
	return attach_common(r, s, false);
}

HANDLER(op_replace)
{
	return attach_common(r, s, true);
}

HANDLER(op_hwpt_alloc)
{
	const struct argval *s1 = arg(s, "s1");
	uint32_t flags = (uint32_t)num(s, "flags", 0), id;
	int err;

	if (has(s, "queue"))
		flags |= IOASID_HWPT_FAULT_ID_VALID;
	struct ioasid_hwpt_opts o = { .sz = sizeof(struct ioasid_hwpt_opts), .flags = flags,
		    .type = (uint32_t)num(s, "type", IOASID_HWPT_PAGING),
		    .data = s1->arr,
		    .data_len = s1->present ? (uint32_t)sizeof(struct ioasid_hwpt_vtd_s1) : 0,
		    .fault_queue = opt_obj_id(s, "queue") };
	err = ioasid_hwpt_alloc(r->ctx, obj_id(s, "dev"), pt_id(s), &o, &id);
	if (!err)
		label_set_id(s, id);
	return err;
}

HANDLER(op_hwpt_destroy)
{
	int err = ioasid_hwpt_destroy(r->ctx, obj_id(s, "hwpt"));

	if (!err)
		label_kill(s, "hwpt");
	return err;
}

/* One typed invalidation request as the file gives it. */
struct inv_item {
	struct ioasid_inv_req req;
	struct label *pasid; /* a PASID label, or NULL: req.pasid holds it */
	struct label *dev;   /* a device label, or NULL: req.dev is 0 (every device) */
};

/* The library's message of a refused invalidation, and how far it got. */
static int inv_err(struct run *r, int err, uint32_t handled, size_t n)
{
	return harness_err(r, err, "%s (handled: %" PRIu32 " of %zu)",
			   ioasid_ctx_errmsg(r->ctx), handled, n);
}

HANDLER(op_invalidate)
{
	const struct argval *a = arg(s, "requests");
	const struct inv_item *it = a->arr;
	struct ioasid_inv_req *reqs = xcalloc(a->n ? a->n : 1, sizeof(*reqs));
	uint32_t handled = (uint32_t)a->n;
	uint64_t dropped = 0;
	size_t i;
	int err;

	for (i = 0; i < a->n; i++) {
		reqs[i] = it[i].req;
		if (it[i].pasid)
			reqs[i].pasid = it[i].pasid->pasid;
		if (it[i].dev)
			reqs[i].dev = it[i].dev->live ? it[i].dev->id : UINT32_MAX;
	}
	err = ioasid_hwpt_invalidate(r->ctx, obj_id(s, "hwpt"), reqs, &handled, &dropped);
	free(reqs);
	if (err)
		return inv_err(r, err, handled, a->n);
	json_object_set_new(value, "handled", json_integer(handled));
	json_object_set_new(value, "dropped", json_integer((json_int_t)dropped));
	return 0;
}

#define VTD_INV_ENTRY_LEN 24 /* struct iommu_hwpt_vtd_s1_invalidate */

HANDLER(op_invalidate_raw)
{
	const struct argval *a = arg(s, "entries");
	uint32_t handled = (uint32_t)a->n;
	int err;

	err = ioasid_hwpt_invalidate_raw(r->ctx, obj_id(s, "hwpt"),
					 (uint32_t)num(s, "data_type", IOASID_INV_DATA_VTD_S1),
					 a->arr, VTD_INV_ENTRY_LEN, &handled);
	if (err)
		return inv_err(r, err, handled, a->n);
	json_object_set_new(value, "handled", json_integer(handled));
	return 0;
}

HANDLER(op_dirty_tracking)
{
	return ioasid_hwpt_set_dirty_tracking(r->ctx, obj_id(s, "hwpt"), num(s, "enable", 0));
}

#define DIRTY_MAX_BITS (UINT64_C(1) << 24) /* granules one dirty_read covers */
#define DIRTY_MAX_LISTED 4096              /* addresses it lists */

HANDLER(op_dirty_read)
{
	uint64_t iova = num(s, "iova", 0), length = num(s, "length", 0);
	uint64_t psz = num(s, "page_size", 4096), nbits = 1, i, count = 0, *bitmap;
	json_t *list;
	int err;

	/* arguments the library refuses get a one-word bitmap: it writes none */
	if (psz >= 4096 && is_pow2(psz) && length && !((iova | length) & (psz - 1)))
		nbits = length / psz;
	if (nbits > DIRTY_MAX_BITS)
		return harness_err(r, -E2BIG, "dirty_read: 0x%" PRIx64 " granules of 0x%" PRIx64
				   " bytes; one step reads at most 0x%" PRIx64, nbits, psz,
				   DIRTY_MAX_BITS);
	bitmap = xcalloc((size_t)((nbits + 63) / 64), sizeof(*bitmap));
	err = ioasid_hwpt_get_dirty_bitmap(r->ctx, obj_id(s, "hwpt"), iova, length, psz, bitmap,
					   num(s, "clear", 1) ? 0 : IOASID_DIRTY_NO_CLEAR);
	if (err) {
		free(bitmap);
		return err;
	}
	list = json_array();
	for (i = 0; i < nbits; i++) {
		if (!(bitmap[i / 64] & (UINT64_C(1) << (i % 64))))
			continue;
		if (count++ < DIRTY_MAX_LISTED)
			json_array_append_new(list, json_hex(iova + i * psz));
	}
	free(bitmap);
	json_object_set_new(value, "dirty", list);
	json_object_set_new(value, "count", json_integer((json_int_t)count));
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Op handlers: the sim's DMA engine, caches and stale detector             */

/* What a finished DMA reports: bytes done, and what a read brought in. */
static void dma_value(const struct dma_req *d, size_t done, json_t *value)
{
	struct strbuf b = { 0 };
	size_t i;

	json_object_set_new(value, "done", json_hex(done));
	if (d->write || d->len > 4096)
		return;
	for (i = 0; i < d->len; i++)
		sb_addf(&b, "%02x", d->buf[i]);
	json_object_set_new(value, "data", json_string(sb_str(&b)));
	free(b.s);
}

static void dma_free(struct dma_req *d)
{
	free(d->own);
	free(d);
}

static int dma_start(struct run *r, const struct step *s, bool write, json_t *value)
{
	const struct argval *b = arg(s, "buffer"), *data = arg(s, "data");
	uint64_t off = num(s, "offset", 0), iova = num(s, "iova", 0), handle = 0;
	struct scenario *sc = r->sc;
	struct dma_req *d;
	size_t done = 0, i;
	int err;

	d = xcalloc(1, sizeof(*d));
	d->write = write;
	d->iova = iova;
	if (b->present) {
		if (!b->label->mem) {
			free(d);
			return harness_err(r, -ENOENT, "buffer %s was not allocated (steps[%zu] failed)",
					   b->label->name, b->label->step);
		}
		/* the loader checked offset + length against the buffer's size */
		d->len = num(s, "length", b->label->mem->size - off);
		d->buf = b->label->mem->va + off;
	} else {
		d->len = num(s, "length", data->n);
		d->own = xcalloc(1, d->len ? d->len : 1);
		d->buf = d->own;
		for (i = 0; data->present && i < d->len; i++)
			d->buf[i] = ((const uint8_t *)data->arr)[i % data->n];
		if (has(s, "byte"))
			memset(d->buf, (int)num(s, "byte", 0), d->len);
	}
	err = ioasid_sim_dma_submit(r->ctx, obj_id(s, "dev"), pasid_arg(s, "pasid"), iova,
				    d->buf, d->len, write, &handle, &done);
	if (err == -EAGAIN) {
		/* it waits for a page response: its memory lives to the end */
		d->handle = handle;
		sc->dmas = xrealloc(sc->dmas, (sc->nr_dmas + 1) * sizeof(*sc->dmas));
		sc->dmas[sc->nr_dmas++] = d;
		if (s->as) {
			s->as->dma = d;
			/* handles only grow: a label never reaches another request */
			s->as->id = (uint32_t)handle;
			s->as->live = true;
		}
		return err;
	}
	if (!err)
		dma_value(d, done, value);
	else if (err != -ENOENT && err != -EOPNOTSUPP && err != -EINVAL)
		harness_err(r, err, "%s (0x%zx of 0x%zx bytes done)", ioasid_ctx_errmsg(r->ctx),
			    done, d->len);
	dma_free(d);
	return err;
}

HANDLER(op_dma_read)
{
	return dma_start(r, s, false, value);
}

HANDLER(op_dma_write)
{
	return dma_start(r, s, true, value);
}

/* dma_poll / dma_wait: collect a request that waited. */
static int dma_collect(struct run *r, const struct step *s, bool wait, json_t *value)
{
	const struct label *lb = arg(s, "dma")->label;
	const struct dma_req *d = lb->live ? lb->dma : NULL;
	uint64_t handle = d ? d->handle : 0; /* 0: no request has it */
	size_t done = 0;
	char ebuf[16];
	int err;

	if (wait)
		err = ioasid_sim_dma_wait(r->ctx, handle, num(s, "timeout_ns", 0), &done);
	else
		err = ioasid_sim_dma_poll(r->ctx, handle, &done);
	if (!err) {
		dma_value(d, done, value);
		return 0;
	}
	if (!d || err == -ENOENT || err == -ETIMEDOUT || err == -EOPNOTSUPP || err == -EINVAL)
		return err; /* the library's own refusal, with its message */
	if (err == -EAGAIN)
		return harness_err(r, err, "DMA %s still waits for a page response (0x%zx of 0x%zx bytes done)",
				   lb->name, done, d->len);
	/* the request's own result: the library has no message for it */
	return harness_err(r, err, "DMA %s (a %s of 0x%zx bytes at iova 0x%" PRIx64
			   ") ended with %s: 0x%zx bytes done", lb->name,
			   d->write ? "write" : "read", d->len, d->iova,
			   result_name(err, ebuf, sizeof(ebuf)), done);
}

HANDLER(op_dma_poll)
{
	return dma_collect(r, s, false, value);
}

HANDLER(op_dma_wait)
{
	return dma_collect(r, s, true, value);
}

HANDLER(op_stale_mode)
{
	return ioasid_sim_set_stale_mode(r->ctx, (enum ioasid_sim_stale_mode)num(s, "mode", 0));
}

HANDLER(op_cache_stats)
{
	struct ioasid_sim_cache_stats st;
	int err = ioasid_sim_cache_stats(r->ctx, &st);

	if (err)
		return err;
#define STAT(f) json_object_set_new(value, #f, json_integer((json_int_t)st.f))
	STAT(iotlb_hits);
	STAT(iotlb_misses);
	STAT(iotlb_inserts);
	STAT(iotlb_evictions);
	STAT(devtlb_hits);
	STAT(devtlb_misses);
	STAT(pasid_cache_hits);
	STAT(pasid_cache_misses);
	STAT(context_cache_hits);
	STAT(walks);
	STAT(walk_reads);
	STAT(invalidations);
	STAT(inv_entries);
	STAT(stale_hits);
	STAT(dma_reads);
	STAT(dma_writes);
	STAT(dma_bytes);
	STAT(faults);
#undef STAT
	return 0;
}

#define STALE_RING 256 /* the library keeps the last 256 */

HANDLER(op_stale_events)
{
	struct ioasid_sim_stale_event *ev = xcalloc(STALE_RING, sizeof(*ev));
	uint32_t n = STALE_RING, i;
	const char *lb;
	char ebuf[16];
	json_t *list, *o;
	int err = ioasid_sim_stale_events(r->ctx, ev, &n);

	if (err) {
		free(ev);
		return err;
	}
	list = json_array();
	for (i = 0; i < n; i++) {
		o = json_object();
		json_object_set_new(o, "seq", json_integer((json_int_t)ev[i].seq));
		lb = label_of_id(r->sc, ev[i].dev, K_DEV);
		json_object_set_new(o, "dev", lb ? json_string(lb) : json_null());
		json_object_set_new(o, "pasid", ev[i].pasid == IOASID_PASID_NONE ? json_null() :
					    json_integer(ev[i].pasid));
		lb = label_of_id(r->sc, ev[i].hwpt, K_HWPT);
		json_object_set_new(o, "hwpt", lb ? json_string(lb) : json_null());
		json_object_set_new(o, "iova", json_hex(ev[i].iova));
		/* process addresses: rewritten as BUFFER+0xOFF with every value */
		json_object_set_new(o, "cached", json_hex(ev[i].cached_addr));
		json_object_set_new(o, "cached_perm", json_string(perm_str(ev[i].cached_perm)));
		if (ev[i].current_err) {
			json_object_set_new(o, "current", json_null());
			json_object_set_new(o, "current_perm", json_null());
			json_object_set_new(o, "current_err",
					    json_string(result_name(ev[i].current_err, ebuf,
								    sizeof(ebuf))));
		} else {
			json_object_set_new(o, "current", json_hex(ev[i].current_addr));
			json_object_set_new(o, "current_perm",
					    json_string(perm_str(ev[i].current_perm)));
			json_object_set_new(o, "current_err", json_null());
		}
		json_array_append_new(list, o);
	}
	free(ev);
	json_object_set_new(value, "events", list);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Op handlers: faults                                                      */

static const struct name_val fault_flag_names[] = {
	{ "read", IOASID_FAULT_F_READ },
	{ "write", IOASID_FAULT_F_WRITE },
	{ "exec", IOASID_FAULT_F_EXEC },
	{ "priv", IOASID_FAULT_F_PRIV },
	{ "last", IOASID_FAULT_F_LAST },
	{ "page_req", IOASID_FAULT_F_PAGE_REQ },
	{ "addr_valid", IOASID_FAULT_F_ADDR_VALID },
	{ "pasid_valid", IOASID_FAULT_F_PASID_VALID },
	{ "group_valid", IOASID_FAULT_F_GROUP_VALID },
	{ "priv_valid", IOASID_FAULT_F_PRIV_VALID },
	{ NULL, 0 },
};

static const struct name_val fault_reason_names[] = {
	{ "page_request", IOASID_FAULT_R_PAGE_REQUEST },
	{ "not_present", IOASID_FAULT_R_NOT_PRESENT },
	{ "permission", IOASID_FAULT_R_PERMISSION },
	{ "blocked", IOASID_FAULT_R_BLOCKED },
	{ "reserved", IOASID_FAULT_R_RESERVED },
	{ NULL, 0 },
};

/* A fault record as values show it: names, labels, null for invalid fields. */
static json_t *fault_json(const struct scenario *sc, const struct ioasid_fault *f)
{
	const struct name_val *nv;
	uint32_t rest = f->flags;
	json_t *o = json_object(), *flags = json_array();
	const char *lb;
	char hex[24];

	for (nv = fault_flag_names; nv->name; nv++) {
		if (f->flags & nv->val) {
			json_array_append_new(flags, json_string(nv->name));
			rest &= ~(uint32_t)nv->val;
		}
	}
	if (rest) {
		snprintf(hex, sizeof(hex), "0x%" PRIx32, rest);
		json_array_append_new(flags, json_string(hex));
	}
	json_object_set_new(o, "flags", flags);
	for (nv = fault_reason_names; nv->name && nv->val != f->reason; nv++)
		;
	json_object_set_new(o, "reason", nv->name ? json_string(nv->name) :
					 json_integer(f->reason));
	lb = label_of_id(sc, f->dev, K_DEV);
	json_object_set_new(o, "dev", lb ? json_string(lb) : json_null());
	json_object_set_new(o, "pasid", (f->flags & IOASID_FAULT_F_PASID_VALID) ?
				    json_integer(f->pasid) : json_null());
	json_object_set_new(o, "addr", (f->flags & IOASID_FAULT_F_ADDR_VALID) ?
				   json_hex(f->addr) : json_null());
	json_object_set_new(o, "grpid", (f->flags & IOASID_FAULT_F_GROUP_VALID) ?
				    json_integer(f->grpid) : json_null());
	/* an automatic domain has no label */
	lb = label_of_id(sc, f->hwpt, K_HWPT);
	json_object_set_new(o, "hwpt", lb ? json_string(lb) : json_null());
	json_object_set_new(o, "cookie", (f->flags & IOASID_FAULT_F_PAGE_REQ) ?
				     json_integer((json_int_t)f->cookie) : json_null());
	if (f->flags & IOASID_FAULT_F_PRIV_VALID)
		json_object_set_new(o, "private_data",
				    json_pack("[o,o]", json_hex(f->private_data[0]),
					      json_hex(f->private_data[1])));
	return o;
}

HANDLER(op_fault_queue_alloc)
{
	struct ioasid_fault_queue_opts o = { .sz = sizeof(struct ioasid_fault_queue_opts), .set = obj_id(s, "set"),
		    .depth = (uint32_t)num(s, "depth", 0),
		    .timeout_ns = num(s, "timeout_ns", 0) };
	uint32_t id;
	int err = ioasid_fault_queue_alloc(r->ctx, &o, &id);

	if (!err)
		label_set_id(s, id);
	return err;
}

HANDLER(op_fault_queue_destroy)
{
	int err = ioasid_fault_queue_destroy(r->ctx, obj_id(s, "queue"));

	if (!err)
		label_kill(s, "queue");
	return err;
}

HANDLER(op_fault_read)
{
	struct label *q = arg(s, "queue")->label;
	uint32_t n = (uint32_t)num(s, "max", 64), i;
	struct ioasid_fault *recs = xcalloc(n ? n : 1, sizeof(*recs));
	json_t *list;
	int err = ioasid_fault_read(r->ctx, obj_id(s, "queue"), recs, &n);

	if (err) {
		free(recs);
		return err;
	}
	list = json_array();
	for (i = 0; i < n; i++) {
		json_array_append_new(list, fault_json(r->sc, &recs[i]));
		/* "cookie": "last" answers the last page request group read */
		if (recs[i].flags & IOASID_FAULT_F_PAGE_REQ)
			q->cookie = recs[i].cookie;
	}
	free(recs);
	json_object_set_new(value, "records", list);
	return 0;
}

HANDLER(op_fault_respond)
{
	const struct argval *c = arg(s, "cookie");
	uint64_t cookie = c->n ? arg(s, "queue")->label->cookie : c->u;

	return ioasid_fault_respond(r->ctx, obj_id(s, "queue"), cookie,
				    (uint32_t)num(s, "code", 0));
}

HANDLER(op_fault_stats)
{
	struct ioasid_fault_queue_stats st;
	int err = ioasid_fault_queue_stats(r->ctx, obj_id(s, "queue"), &st);

	if (err)
		return err;
#define STAT(f) json_object_set_new(value, #f, json_integer((json_int_t)st.f))
	STAT(raised);
	STAT(delivered);
	STAT(groups);
	STAT(answered_success);
	STAT(answered_invalid);
	STAT(answered_failure);
	STAT(timed_out);
	STAT(overflowed);
	STAT(detached);
	STAT(queued);
	STAT(pending);
#undef STAT
	return 0;
}

HANDLER(op_fault_unrouted)
{
	uint32_t n = (uint32_t)num(s, "max", 64), i;
	struct ioasid_fault *recs = xcalloc(n ? n : 1, sizeof(*recs));
	json_t *list;
	int err = ioasid_fault_unrouted(r->ctx, recs, &n);

	if (err) {
		free(recs);
		return err;
	}
	list = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(list, fault_json(r->sc, &recs[i]));
	free(recs);
	json_object_set_new(value, "records", list);
	return 0;
}

HANDLER(op_clock_advance)
{
	uint64_t ns = num(s, "ns", 0);
	uint32_t expired = 0;
	int err;

	/* the loader caps ns at INT64_MAX; the clock stops there */
	r->sc->now_ns = ns > (uint64_t)INT64_MAX - r->sc->now_ns ? (uint64_t)INT64_MAX :
			r->sc->now_ns + ns;
	err = ioasid_fault_expire(r->ctx, &expired);
	if (err)
		return err;
	json_object_set_new(value, "expired", json_integer(expired));
	json_object_set_new(value, "now", json_integer((json_int_t)r->sc->now_ns));
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Static checks beyond types and labels                                    */

/* Offset and length inside a buffer whose size the file gives. */
static int check_in_buffer(struct loader *l, struct step *s, uint64_t max_len)
{
	const struct argval *b = arg(s, "buffer");
	uint64_t size = b->label->size, off = num(s, "offset", 0), len;

	if (off > size)
		return lerr(l, "offset", "0x%" PRIx64 " is past the end of buffer %s (0x%" PRIx64 " bytes)",
			    off, b->label->name, size);
	len = num(s, "length", size - off);
	if (len > size - off)
		return lerr(l, "length", "0x%" PRIx64 " bytes from offset 0x%" PRIx64
			    " run past the end of buffer %s (0x%" PRIx64 " bytes)",
			    len, off, b->label->name, size);
	if (max_len && len > max_len)
		return lerr(l, "length", "0x%" PRIx64 " is more than %" PRIu64 " bytes",
			    len, max_len);
	return 0;
}

static int check_map(struct loader *l, struct step *s)
{
	if (has(s, "buffer")) {
		if (s->as)
			return lerr(l, "as", "a map of buffer %s allocates nothing to label",
				    arg(s, "buffer")->label->name);
		return check_in_buffer(l, s, 0);
	}
	if (has(s, "offset"))
		return lerr(l, "offset", "only a map of a \"buffer\" takes an offset");
	if (!has(s, "length"))
		return lerr(l, "length", "missing (a map names a \"buffer\" or a \"length\")");
	if (s->as)
		s->as->size = num(s, "length", 0);
	return 0;
}

static int check_buffer(struct loader *l, struct step *s)
{
	if (!num(s, "size", 0))
		return lerr(l, "size", "a buffer has at least one byte");
	if (has(s, "align") && !is_pow2(num(s, "align", 0)))
		return lerr(l, "align", "0x%" PRIx64 " is not a power of two", num(s, "align", 0));
	if (s->as)
		s->as->size = num(s, "size", 0);
	return 0;
}

static int check_write(struct loader *l, struct step *s)
{
	if (has(s, "data") == has(s, "byte"))
		return lerr(l, "data", "a write takes exactly one of \"data\" and \"byte\"");
	return check_in_buffer(l, s, 0);
}

static int check_read(struct loader *l, struct step *s)
{
	return check_in_buffer(l, s, 4096);
}

static int check_option(struct loader *l, struct step *s)
{
	char show[80];

	if (strcmp(arg(s, "name")->s, "huge_pages"))
		return lerr(l, "name", "%s is not an option (huge_pages)",
			    jshow(arg(s, "name")->json, show, sizeof(show)));
	return 0;
}

static int check_pasid_alloc(struct loader *l, struct step *s)
{
	if (has(s, "pasid") && (has(s, "min") || has(s, "max")))
		return lerr(l, "pasid", "give either \"pasid\" or \"min\"/\"max\", not both");
	return 0;
}

static int check_pinned_limit(struct loader *l, struct step *s)
{
	if (!has(s, "limit") && !has(s, "cap_ipc_lock_exempt"))
		return lerr(l, "limit", "missing (give \"limit\", \"cap_ipc_lock_exempt\" or both)");
	return 0;
}

/* Names the new ops take (each also takes a raw number). */
static const struct name_val hwpt_flag_names[] = {
	{ "nest_parent", IOASID_HWPT_NEST_PARENT },
	{ "dirty_tracking", IOASID_HWPT_DIRTY_TRACKING },
	{ "fault_id_valid", IOASID_HWPT_FAULT_ID_VALID }, /* "queue" sets it */
	{ "pasid", IOASID_HWPT_PASID },
	{ NULL, 0 },
};

static const struct name_val hwpt_type_names[] = {
	{ "paging", IOASID_HWPT_PAGING },
	{ "nested_vtd_s1", IOASID_HWPT_NESTED_VTD_S1 },
	{ NULL, 0 },
};

static const struct name_val vtd_s1_flag_names[] = {
	{ "sre", IOASID_VTD_S1_SRE },
	{ "eafe", IOASID_VTD_S1_EAFE },
	{ "wpe", IOASID_VTD_S1_WPE },
	{ NULL, 0 },
};

static const struct name_val inv_kind_names[] = {
	{ "iotlb", IOASID_INV_IOTLB },
	{ "dev_iotlb", IOASID_INV_DEV_IOTLB },
	{ "pasid_cache", IOASID_INV_PASID_CACHE },
	{ NULL, 0 },
};

static const struct name_val inv_gran_names[] = {
	{ "all", IOASID_INV_ALL },
	{ "pasid", IOASID_INV_PASID },
	{ "range", IOASID_INV_RANGE },
	{ NULL, 0 },
};

static const struct name_val stale_mode_names[] = {
	{ "faithful", IOASID_SIM_STALE_FAITHFUL },
	{ "strict", IOASID_SIM_STALE_STRICT },
	{ NULL, 0 },
};

static const struct name_val fault_code_names[] = {
	{ "success", IOASID_FAULT_SUCCESS },
	{ "invalid", IOASID_FAULT_INVALID },
	{ "failure", IOASID_FAULT_FAILURE },
	{ NULL, 0 },
};

/* An argument the check fills in (A_JSON); NULL for a key the op lacks. */
static struct argval *arg_mut(struct step *s, const char *key)
{
	size_t i;

	for (i = 0; s->op->args[i].key; i++)
		if (!strcmp(s->op->args[i].key, key))
			return &s->vals[i];
	return NULL;
}

/* ---- the members of an object argument ("s1", "requests[2]", ...) ---- */

/* @v is an object whose keys are all in @known (NULL-ended). */
static int sub_keys(struct loader *l, const char *key, const json_t *v,
		    const char *const *known)
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
static int sub_num(struct loader *l, const char *key, const json_t *obj, const char *field,
		   uint64_t max, uint64_t def, uint64_t *ret)
{
	const json_t *v = json_object_get(obj, field);
	char sub[160], show[80];

	*ret = def;
	if (!v)
		return 0;
	snprintf(sub, sizeof(sub), "%s.%s", key, field);
	if (!parse_num(v, ret))
		return lerr(l, sub, "%s is not a number (a JSON integer >= 0 or a \"0x...\" string)",
			    jshow(v, show, sizeof(show)));
	if (max && *ret > max)
		return lerr(l, sub, "%s is larger than 0x%" PRIx64, jshow(v, show, sizeof(show)), max);
	return 0;
}

static int sub_named(struct loader *l, const char *key, const json_t *obj, const char *field,
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

static int sub_bool(struct loader *l, const char *key, const json_t *obj, const char *field,
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

/* ---- checks of the new ops ---- */

/* attach, replace, hwpt_alloc: exactly one of "ioas" and "hwpt". */
static int check_pt(struct loader *l, struct step *s)
{
	if (has(s, "ioas") && has(s, "hwpt"))
		return lerr(l, "hwpt", "give either \"ioas\" or \"hwpt\", not both");
	if (!has(s, "ioas") && !has(s, "hwpt"))
		return lerr(l, "ioas", "missing (op %s needs \"ioas\" or \"hwpt\")", s->op->name);
	return 0;
}

static int check_hwpt_alloc(struct loader *l, struct step *s)
{
	static const char *const known[] = { "pgtbl_addr", "addr_width", "flags", "reserved", NULL };
	struct argval *a = arg_mut(s, "s1");
	struct ioasid_hwpt_vtd_s1 *s1;
	uint64_t v;
	int err;

	err = check_pt(l, s);
	if (err || !a->present)
		return err;
	err = sub_keys(l, "s1", a->json, known);
	if (err)
		return err;
	if (!json_object_get(a->json, "pgtbl_addr"))
		return lerr(l, "s1.pgtbl_addr", "missing (the stage-1 root, a guest-physical address)");
	s1 = xcalloc(1, sizeof(*s1));
	a->arr = s1;
	a->n = 1;
	err = sub_num(l, "s1", a->json, "pgtbl_addr", 0, 0, &s1->pgtbl_addr);
	if (!err)
		err = sub_num(l, "s1", a->json, "addr_width", UINT32_MAX, 48, &v);
	if (!err) {
		s1->addr_width = (uint32_t)v;
		err = sub_named(l, "s1", a->json, "flags", vtd_s1_flag_names, true, 0, 0,
				&s1->flags);
	}
	if (!err)
		err = sub_num(l, "s1", a->json, "reserved", UINT32_MAX, 0, &v);
	if (!err)
		s1->__reserved = (uint32_t)v;
	return err;
}

static int check_invalidate(struct loader *l, struct step *s)
{
	static const char *const known[] = {
		"kind", "granularity", "pasid", "addr", "npages", "log2_pgsize", "leaf", "dev",
		"flags", "version", "size", NULL,
	};
	struct argval *a = arg_mut(s, "requests");
	struct inv_item *it;
	char key[64], sub[96], show[80];
	const json_t *e, *p;
	uint64_t v = 0;
	bool leaf = false;
	size_t i;
	int err;

	if (!json_is_array(a->json))
		return lerr(l, "requests", "%s is not a list of requests",
			    jshow(a->json, show, sizeof(show)));
	a->n = json_array_size(a->json);
	it = xcalloc(a->n ? a->n : 1, sizeof(*it));
	a->arr = it;
	json_array_foreach(a->json, i, e) {
		struct ioasid_inv_req *q = &it[i].req;

		snprintf(key, sizeof(key), "requests[%zu]", i);
		err = sub_keys(l, key, e, known);
		if (err)
			return err;
		if (!json_object_get(e, "kind"))
			return lerr(l, key, "missing \"kind\" (iotlb, dev_iotlb, pasid_cache)");
		err = sub_named(l, key, e, "kind", inv_kind_names, false, UINT16_MAX, 0, &v);
		q->kind = (uint16_t)v;
		if (!err)
			err = sub_named(l, key, e, "granularity", inv_gran_names, false, UINT16_MAX,
					IOASID_INV_ALL, &v);
		q->granularity = (uint16_t)v;
		if (!err)
			err = sub_num(l, key, e, "addr", 0, 0, &q->addr);
		if (!err)
			err = sub_num(l, key, e, "npages", 0, 1, &q->npages);
		if (!err)
			err = sub_num(l, key, e, "log2_pgsize", UINT32_MAX, 12, &v);
		q->log2_pgsize = (uint32_t)v;
		if (!err)
			err = sub_bool(l, key, e, "leaf", &leaf);
		if (!err)
			err = sub_num(l, key, e, "flags", UINT16_MAX, 0, &v);
		q->flags = (uint16_t)v | (leaf ? IOASID_INV_LEAF : 0);
		if (!err)
			err = sub_num(l, key, e, "version", UINT16_MAX, 1, &v);
		q->version = (uint16_t)v;
		/* not above 48: the library reads a longer one's tail past the entry */
		if (!err)
			err = sub_num(l, key, e, "size", sizeof(*q), sizeof(*q), &v);
		q->size = (uint32_t)v;
		if (err)
			return err;
		q->pasid = IOASID_PASID_NONE;
		p = json_object_get(e, "pasid");
		snprintf(sub, sizeof(sub), "%s.pasid", key);
		if (p && parse_num(p, &v)) {
			if (v > UINT32_MAX)
				return lerr(l, sub, "%s is larger than 0xffffffff",
					    jshow(p, show, sizeof(show)));
			q->pasid = (uint32_t)v;
		} else if (p) {
			err = parse_label(l, sub, p, K_PASID, &it[i].pasid);
			if (err)
				return err;
		}
		p = json_object_get(e, "dev");
		snprintf(sub, sizeof(sub), "%s.dev", key);
		if (p) {
			err = parse_label(l, sub, p, K_DEV, &it[i].dev);
			if (err)
				return err;
		}
	}
	return 0;
}

/* VT-d stage-1 invalidation entries: {addr, npages, flags, __reserved}, 24 bytes. */
static int check_invalidate_raw(struct loader *l, struct step *s)
{
	static const char *const known[] = { "addr", "npages", "leaf", "flags", "reserved", NULL };
	struct argval *a = arg_mut(s, "entries");
	uint64_t addr = 0, npages = 0, flags = 0, resv = 0;
	char key[64], show[80];
	const json_t *e;
	uint32_t f32, r32;
	uint8_t *out;
	bool leaf = false;
	size_t i;
	int err;

	if (!json_is_array(a->json))
		return lerr(l, "entries", "%s is not a list of entries",
			    jshow(a->json, show, sizeof(show)));
	a->n = json_array_size(a->json);
	out = xcalloc(a->n ? a->n : 1, VTD_INV_ENTRY_LEN);
	a->arr = out;
	json_array_foreach(a->json, i, e) {
		snprintf(key, sizeof(key), "entries[%zu]", i);
		err = sub_keys(l, key, e, known);
		if (!err)
			err = sub_num(l, key, e, "addr", 0, 0, &addr);
		if (!err)
			err = sub_num(l, key, e, "npages", 0, 1, &npages);
		if (!err)
			err = sub_bool(l, key, e, "leaf", &leaf);
		if (!err)
			err = sub_num(l, key, e, "flags", UINT32_MAX, 0, &flags);
		if (!err)
			err = sub_num(l, key, e, "reserved", UINT32_MAX, 0, &resv);
		if (err)
			return err;
		f32 = (uint32_t)flags | (leaf ? 1u : 0u); /* IOMMU_VTD_INV_FLAGS_LEAF */
		r32 = (uint32_t)resv;
		memcpy(out + i * VTD_INV_ENTRY_LEN, &addr, 8);
		memcpy(out + i * VTD_INV_ENTRY_LEN + 8, &npages, 8);
		memcpy(out + i * VTD_INV_ENTRY_LEN + 16, &f32, 4);
		memcpy(out + i * VTD_INV_ENTRY_LEN + 20, &r32, 4);
	}
	return 0;
}

#define DMA_MAX_LEN (UINT64_C(64) << 20) /* bytes one DMA step moves */

static int check_dma(struct loader *l, struct step *s)
{
	bool write = !strcmp(s->op->name, "dma_write");
	int sources = has(s, "buffer") + has(s, "data") + has(s, "byte");
	uint64_t len;
	int err;

	if (write && sources != 1)
		return lerr(l, "data", "a dma_write takes exactly one of \"buffer\", \"data\" and \"byte\"");
	if (has(s, "buffer")) {
		err = check_in_buffer(l, s, 0);
		if (err)
			return err;
		len = num(s, "length", arg(s, "buffer")->label->size - num(s, "offset", 0));
		if (len > DMA_MAX_LEN)
			return lerr(l, "length", "0x%" PRIx64 " bytes: one DMA step moves at most 0x%"
				    PRIx64, len, DMA_MAX_LEN);
		return 0;
	}
	if (has(s, "offset"))
		return lerr(l, "offset", "only a DMA to or from a \"buffer\" takes an offset");
	if (!has(s, "length") && !has(s, "data"))
		return lerr(l, "length", "missing (a DMA without \"buffer\"%s needs a length)",
			    write ? " or \"data\"" : "");
	return 0;
}

static int check_fault_respond(struct loader *l, struct step *s)
{
	struct argval *a = arg_mut(s, "cookie");
	char show[80];

	if (json_is_string(a->json) && !strcmp(json_string_value(a->json), "last")) {
		a->n = 1; /* the last group read from the queue, at run time */
		return 0;
	}
	if (!parse_num(a->json, &a->u))
		return lerr(l, "cookie", "%s is neither a number nor \"last\"",
			    jshow(a->json, show, sizeof(show)));
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Op handlers and checks: the virtio-iommu device back-end                 */

/* virtio_iommu_new "features": what the device offers beyond the spec's basics */
static const struct name_val virtio_iommu_ext_names[] = {
	{ "page_size_mask", IOASID_VIRTIO_IOMMU_EXT_PGSIZE_MASK },
	{ "ext_faults", IOASID_VIRTIO_IOMMU_EXT_FAULT },
	{ "mmio", IOASID_VIRTIO_IOMMU_MMIO },
	{ NULL, 0 },
};

/* virtio-iommu feature bits (kernel-uapi.md §3.1, and the two extensions) */
static const struct name_val virtio_feature_names[] = {
	{ "input_range", IOASID_VIRTIO_IOMMU_F_INPUT_RANGE },
	{ "domain_range", IOASID_VIRTIO_IOMMU_F_DOMAIN_RANGE },
	{ "map_unmap", IOASID_VIRTIO_IOMMU_F_MAP_UNMAP },
	{ "bypass", IOASID_VIRTIO_IOMMU_F_BYPASS },
	{ "probe", IOASID_VIRTIO_IOMMU_F_PROBE },
	{ "mmio", IOASID_VIRTIO_IOMMU_F_MMIO },
	{ "bypass_config", IOASID_VIRTIO_IOMMU_F_BYPASS_CONFIG },
	{ "page_size_mask", IOASID_VIRTIO_IOMMU_F_PROBE_PGSIZE },
	{ "ext_faults", IOASID_VIRTIO_IOMMU_F_FAULT_EXT },
	{ NULL, 0 },
};

static const struct name_val vreq_type_names[] = {
	{ "attach", IOASID_VIRTIO_IOMMU_T_ATTACH },
	{ "detach", IOASID_VIRTIO_IOMMU_T_DETACH },
	{ "map", IOASID_VIRTIO_IOMMU_T_MAP },
	{ "unmap", IOASID_VIRTIO_IOMMU_T_UNMAP },
	{ "probe", IOASID_VIRTIO_IOMMU_T_PROBE },
	{ "page_resp", IOASID_VIRTIO_IOMMU_T_PAGE_RESP },
	{ NULL, 0 },
};

static const struct name_val vattach_flag_names[] = {
	{ "bypass", IOASID_VIRTIO_IOMMU_ATTACH_F_BYPASS },
	{ NULL, 0 },
};

static const struct name_val vmap_flag_names[] = {
	{ "read", IOASID_VIRTIO_IOMMU_MAP_F_READ },
	{ "write", IOASID_VIRTIO_IOMMU_MAP_F_WRITE },
	{ "mmio", IOASID_VIRTIO_IOMMU_MAP_F_MMIO },
	{ NULL, 0 },
};

static const struct name_val vpage_resp_flag_names[] = {
	{ "pasid", IOASID_VIRTIO_IOMMU_PAGE_RESP_F_PASID },
	{ NULL, 0 },
};

static const struct name_val vfault_flag_names[] = {
	{ "read", IOASID_VIRTIO_IOMMU_FAULT_F_READ },
	{ "write", IOASID_VIRTIO_IOMMU_FAULT_F_WRITE },
	{ "exec", IOASID_VIRTIO_IOMMU_FAULT_F_EXEC },
	{ "priv", IOASID_VIRTIO_IOMMU_FAULT_F_PRIV },
	{ "address", IOASID_VIRTIO_IOMMU_FAULT_F_ADDRESS },
	{ "pasid", IOASID_VIRTIO_IOMMU_FAULT_F_PASID },
	{ "grpid", IOASID_VIRTIO_IOMMU_FAULT_F_GRPID },
	{ "priv_data", IOASID_VIRTIO_IOMMU_FAULT_F_PRIV_DATA },
	{ "last", IOASID_VIRTIO_IOMMU_FAULT_F_LAST },
	{ "page_req", IOASID_VIRTIO_IOMMU_FAULT_F_PAGE_REQ },
	{ NULL, 0 },
};

static const struct name_val vfault_reason_names[] = {
	{ "unknown", IOASID_VIRTIO_IOMMU_FAULT_R_UNKNOWN },
	{ "domain", IOASID_VIRTIO_IOMMU_FAULT_R_DOMAIN },
	{ "mapping", IOASID_VIRTIO_IOMMU_FAULT_R_MAPPING },
	{ NULL, 0 },
};

static const struct name_val vresv_subtype_names[] = {
	{ "reserved", IOASID_VIRTIO_IOMMU_RESV_MEM_T_RESERVED },
	{ "msi", IOASID_VIRTIO_IOMMU_RESV_MEM_T_MSI },
	{ NULL, 0 },
};

/* One region of virtio_iommu_new's "memory": guest-physical address -> buffer. */
struct vmem_item {
	struct label *buf;
	uint64_t gpa, off, size;
	bool mmio;
};

#define VIOMMU_WRITABLE_MAX ((UINT64_C(1) << 20) + 4096) /* above probe_size's 1 MiB */

static void le_put(uint8_t *p, uint64_t v, unsigned int bytes)
{
	unsigned int i;

	for (i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t le_get(const uint8_t *p, unsigned int bytes)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static json_t *hex_bytes_json(const uint8_t *p, size_t len)
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
static json_t *bit_names_json(const struct name_val *names, uint64_t v)
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
static json_t *name_json(const struct name_val *names, uint64_t v)
{
	for (; names->name; names++)
		if (names->val == v)
			return json_string(names->name);
	return json_integer((json_int_t)v);
}

/* The virtio-iommu a step names; NULL (and the harness's message) when its step failed. */
static struct ioasid_virtio_iommu *virtio_iommu_of(struct run *r, const struct step *s)
{
	const struct label *lb = arg(s, "virtio_iommu")->label;

	if (lb->live && lb->virtio_iommu)
		return lb->virtio_iommu;
	harness_err(r, -ENOENT, "virtio_iommu %s was not made (steps[%zu] failed)", lb->name, lb->step);
	return NULL;
}

HANDLER(op_virtio_iommu_new)
{
	const struct argval *mem = arg(s, "memory");
	const struct vmem_item *it = mem->arr;
	struct ioasid_virtio_iommu_mem *tab = NULL;
	struct ioasid_virtio_iommu *v = NULL;
	uint32_t flags = (uint32_t)num(s, "features", 0);
	struct scenario *sc = r->sc;
	size_t i;
	int err;

	if (num(s, "boot_bypass", 0))
		flags |= IOASID_VIRTIO_IOMMU_BOOT_BYPASS;
	if (has(s, "domain_start") || has(s, "domain_end"))
		flags |= IOASID_VIRTIO_IOMMU_DOMAIN_RANGE;
	if (has(s, "input_start") || has(s, "input_end"))
		flags |= IOASID_VIRTIO_IOMMU_INPUT_RANGE;
	if (mem->n)
		tab = xcalloc(mem->n, sizeof(*tab));
	for (i = 0; i < mem->n; i++) {
		if (!it[i].buf->mem) {
			free(tab);
			return harness_err(r, -ENOENT, "buffer %s was not allocated (steps[%zu] failed)",
					   it[i].buf->name, it[i].buf->step);
		}
		tab[i].gpa = it[i].gpa;
		tab[i].size = it[i].size;
		tab[i].hva = it[i].buf->mem->va + it[i].off;
		tab[i].flags = it[i].mmio ? IOASID_VIRTIO_IOMMU_MEM_MMIO : 0;
	}
	{
		struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts), .flags = flags, .set = opt_obj_id(s, "set"),
			    .mem = tab, .nr_mem = (uint32_t)mem->n,
			    .bypass_ioas = opt_obj_id(s, "bypass_ioas"),
			    .page_size_mask = num(s, "page_size_mask", 0),
			    .input_start = num(s, "input_start", 0),
			    .input_end = num(s, "input_end", UINT64_MAX),
			    .domain_start = (uint32_t)num(s, "domain_start", 0),
			    .domain_end = (uint32_t)num(s, "domain_end", UINT32_MAX),
			    .probe_size = (uint32_t)num(s, "probe_size", 0),
			    .fault_depth = (uint32_t)num(s, "fault_depth", 0),
			    .fault_timeout_ns = num(s, "fault_timeout_ns", 0) };

		err = ioasid_virtio_iommu_new(r->ctx, &o, &v);
	}
	free(tab); /* the library copies the table */
	if (err)
		return err;
	sc->virtio_iommus = xrealloc(sc->virtio_iommus, (sc->nr_virtio_iommus + 1) * sizeof(*sc->virtio_iommus));
	sc->virtio_iommus[sc->nr_virtio_iommus++] = v;
	if (s->as) {
		s->as->virtio_iommu = v;
		s->as->live = true;
	}
	return 0;
}

HANDLER(op_virtio_iommu_endpoint_add)
{
	const struct argval *resv = arg(s, "reserved");
	const struct ioasid_sim_resv *rv = resv->arr;
	struct ioasid_virtio_iommu *v = virtio_iommu_of(r, s);
	struct ioasid_virtio_iommu_resv_mem *extra;
	size_t i;
	int err;

	if (!v)
		return -ENOENT;
	extra = xcalloc(resv->n ? resv->n : 1, sizeof(*extra));
	for (i = 0; i < resv->n; i++) {
		extra[i].start = rv[i].start;
		extra[i].end = rv[i].last;
		/* the check allowed only "reserved" and "msi" */
		extra[i].subtype = rv[i].type == IOASID_RESV_MSI ?
				   IOASID_VIRTIO_IOMMU_RESV_MEM_T_MSI :
				   IOASID_VIRTIO_IOMMU_RESV_MEM_T_RESERVED;
	}
	{
		struct ioasid_virtio_iommu_endpoint_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_endpoint_opts), .resv = extra,
			    .nr_resv = (uint32_t)resv->n };

		err = ioasid_virtio_iommu_endpoint_add(v, (uint32_t)num(s, "endpoint", 0),
						 obj_id(s, "dev"), &o);
	}
	free(extra);
	return err;
}

HANDLER(op_virtio_iommu_endpoint_del)
{
	struct ioasid_virtio_iommu *v = virtio_iommu_of(r, s);

	if (!v)
		return -ENOENT;
	return ioasid_virtio_iommu_endpoint_del(v, (uint32_t)num(s, "endpoint", 0));
}

HANDLER(op_virtio_iommu_features)
{
	struct ioasid_virtio_iommu *v = virtio_iommu_of(r, s);
	uint64_t offered, driver;
	int err;

	if (!v)
		return -ENOENT;
	offered = ioasid_virtio_iommu_device_features(v);
	/* without "driver_features" the driver takes everything offered */
	driver = num(s, "driver_features", offered);
	err = ioasid_virtio_iommu_set_driver_features(v, driver);
	if (err)
		return err;
	json_object_set_new(value, "device_features", bit_names_json(virtio_feature_names, offered));
	json_object_set_new(value, "driver_features", bit_names_json(virtio_feature_names, driver));
	return 0;
}

HANDLER(op_virtio_iommu_config)
{
	struct ioasid_virtio_iommu *v = virtio_iommu_of(r, s);
	uint8_t raw[IOASID_VIRTIO_IOMMU_CONFIG_SIZE];
	struct ioasid_virtio_iommu_config c;
	int err;

	if (!v)
		return -ENOENT;
	err = ioasid_virtio_iommu_config(v, &c);
	if (!err)
		err = ioasid_virtio_iommu_config_read(v, 0, raw, sizeof(raw));
	if (err)
		return err;
	json_object_set_new(value, "page_size_mask", json_hex(c.page_size_mask));
	json_object_set_new(value, "input_range",
			    json_pack("{s:o, s:o}", "start", json_hex(c.input_start),
				      "end", json_hex(c.input_end)));
	json_object_set_new(value, "domain_range",
			    json_pack("{s:I, s:I}", "start", (json_int_t)c.domain_start,
				      "end", (json_int_t)c.domain_end));
	json_object_set_new(value, "probe_size", json_integer(c.probe_size));
	json_object_set_new(value, "bypass", json_integer(c.bypass));
	/* what the guest reads: struct virtio_iommu_config, little-endian */
	json_object_set_new(value, "raw", hex_bytes_json(raw, sizeof(raw)));
	return 0;
}

/* @len bytes at @base as iovecs cut at the points of @sp (a uint64_t list). */
static struct iovec *iov_cut(uint8_t *base, size_t len, const struct argval *sp,
			     unsigned int *nr)
{
	const uint64_t *pt = sp->arr;
	struct iovec *iov = xcalloc(sp->n + 1, sizeof(*iov));
	size_t i, from = 0;

	for (i = 0; i < sp->n; i++) {
		iov[i].iov_base = base + from;
		iov[i].iov_len = pt[i] - from;
		from = pt[i];
	}
	iov[i].iov_base = base + from;
	iov[i].iov_len = len - from;
	*nr = (unsigned int)(sp->n + 1);
	return iov;
}

/* PROBE properties, as a driver reads them (ioasid_virtio_iommu_probe_parse()). */
static json_t *probe_props_json(const uint8_t *p, size_t len)
{
	struct ioasid_virtio_iommu_probe_props pp = { 0 };
	struct ioasid_virtio_iommu_resv_mem *resv;
	json_t *o = json_object(), *list;
	uint32_t i;
	int err;

	/* every RESV_MEM takes 24 bytes: at most len / 24 of them */
	pp.max_resv = (uint32_t)(len / IOASID_VIRTIO_IOMMU_PROP_RESV_MEM_SIZE + 1);
	resv = xcalloc(pp.max_resv, sizeof(*resv));
	pp.resv = resv;
	err = ioasid_virtio_iommu_probe_parse(p, len, &pp);
	if (err) {
		char ebuf[16];

		json_object_set_new(o, "error", json_string(result_name(err, ebuf, sizeof(ebuf))));
		json_object_set_new(o, "message", json_string(ioasid_last_errmsg()));
		free(resv);
		return o;
	}
	list = json_array();
	for (i = 0; i < pp.nr_resv && i < pp.max_resv; i++)
		json_array_append_new(list, json_pack("{s:o, s:o, s:o}",
						      "start", json_hex(resv[i].start),
						      "end", json_hex(resv[i].end),
						      "subtype", name_json(vresv_subtype_names,
									   resv[i].subtype)));
	json_object_set_new(o, "resv_mem", list);
	json_object_set_new(o, "page_size_mask", pp.page_size_mask ?
				 json_hex(pp.page_size_mask) : json_null());
	json_object_set_new(o, "unknown", json_integer(pp.nr_unknown));
	/* the bytes that hold properties; the rest of probe_size is zero */
	json_object_set_new(o, "hex", hex_bytes_json(p, pp.used));
	free(resv);
	return o;
}

HANDLER(op_virtio_iommu_request)
{
	struct ioasid_virtio_iommu *v = virtio_iommu_of(r, s);
	const struct argval *rq = arg(s, "request"), *wsp = arg(s, "writable_split");
	const uint64_t *wpt = wsp->arr;
	const uint8_t *req = rq->arr;
	struct ioasid_virtio_iommu_config c;
	struct iovec *rd, *wr;
	unsigned int nr_rd, nr_wr;
	size_t wlen, used = 0, i;
	const char *sn;
	uint8_t *wbuf, status;
	bool probe;
	int err;

	if (!v)
		return -ENOENT;
	err = ioasid_virtio_iommu_config(v, &c);
	if (err)
		return err;
	probe = req[0] == IOASID_VIRTIO_IOMMU_T_PROBE;
	/* by default what the type needs: the tail, after the properties for PROBE */
	wlen = has(s, "writable") ? num(s, "writable", 0) :
	       (probe ? c.probe_size : 0) + IOASID_VIRTIO_IOMMU_TAIL_SIZE;
	for (i = 0; i < wsp->n; i++)
		if (wpt[i] > wlen)
			return harness_err(r, -EINVAL, "writable_split[%zu]: %" PRIu64
					   " is past the end of the %zu device-writable bytes",
					   i, wpt[i], wlen);
	wbuf = xcalloc(1, wlen ? wlen : 1);
	rd = iov_cut((uint8_t *)rq->arr, rq->n, arg(s, "split"), &nr_rd);
	wr = iov_cut(wbuf, wlen, wsp, &nr_wr);
	err = ioasid_virtio_iommu_request(v, rd, nr_rd, wr, nr_wr, &used);
	free(rd);
	free(wr);
	if (err) {
		free(wbuf);
		return err;
	}
	if (used >= IOASID_VIRTIO_IOMMU_TAIL_SIZE) {
		status = wbuf[used - IOASID_VIRTIO_IOMMU_TAIL_SIZE];
		sn = ioasid_virtio_iommu_status_name(status);
		json_object_set_new(value, "status", sn ? json_string(sn) : json_integer(status));
		json_object_set_new(value, "used", json_integer((json_int_t)used));
		json_object_set_new(value, "tail", hex_bytes_json(wbuf + used - IOASID_VIRTIO_IOMMU_TAIL_SIZE,
								  IOASID_VIRTIO_IOMMU_TAIL_SIZE));
		if (status != IOASID_VIRTIO_IOMMU_S_OK)
			json_object_set_new(value, "error", json_string(ioasid_ctx_errmsg(r->ctx)));
		else if (probe && used == (size_t)c.probe_size + IOASID_VIRTIO_IOMMU_TAIL_SIZE)
			json_object_set_new(value, "properties", probe_props_json(wbuf, c.probe_size));
	} else {
		json_object_set_new(value, "used", json_integer((json_int_t)used));
	}
	free(wbuf);
	return 0;
}

HANDLER(op_virtio_iommu_event)
{
	struct ioasid_virtio_iommu *v = virtio_iommu_of(r, s);
	size_t len = num(s, "size", IOASID_VIRTIO_IOMMU_FAULT_EXT_SIZE), used = 0;
	uint8_t *rec;
	uint32_t flags;
	bool ext;
	int err;

	if (!v)
		return -ENOENT;
	rec = xcalloc(1, len ? len : 1);
	err = ioasid_virtio_iommu_event_pop_buf(v, rec, len, &used);
	if (err == -EAGAIN) {
		json_object_set_new(value, "empty", json_true());
		free(rec);
		return 0;
	}
	if (err || used < IOASID_VIRTIO_IOMMU_FAULT_SIZE) {
		free(rec);
		return err ? err : harness_err(r, -EPROTO, "an event record of %zu bytes", used);
	}
	ext = used >= IOASID_VIRTIO_IOMMU_FAULT_EXT_SIZE;
	flags = (uint32_t)le_get(rec + 4, 4);
	json_object_set_new(value, "hex", hex_bytes_json(rec, used));
	json_object_set_new(value, "reason", name_json(vfault_reason_names, rec[0]));
	json_object_set_new(value, "flags", bit_names_json(vfault_flag_names, flags));
	json_object_set_new(value, "endpoint", json_integer((json_int_t)le_get(rec + 8, 4)));
	json_object_set_new(value, "address", (flags & IOASID_VIRTIO_IOMMU_FAULT_F_ADDRESS) ?
				     json_hex(le_get(rec + 16, 8)) : json_null());
	json_object_set_new(value, "pasid", ext && (flags & IOASID_VIRTIO_IOMMU_FAULT_F_PASID) ?
				   json_integer((json_int_t)le_get(rec + 24, 4)) : json_null());
	json_object_set_new(value, "grpid", ext && (flags & IOASID_VIRTIO_IOMMU_FAULT_F_GRPID) ?
				   json_integer((json_int_t)le_get(rec + 28, 2)) : json_null());
	if (ext && (flags & IOASID_VIRTIO_IOMMU_FAULT_F_PRIV_DATA))
		json_object_set_new(value, "private_data",
				    json_pack("[o,o]", json_hex(le_get(rec + 32, 8)),
					      json_hex(le_get(rec + 40, 8))));
	free(rec);
	return 0;
}

static int check_virtio_iommu_new(struct loader *l, struct step *s)
{
	static const char *const known[] = { "gpa", "buffer", "offset", "size", "mmio", NULL };
	struct argval *a = arg_mut(s, "memory");
	struct vmem_item *it;
	char key[64], sub[96], show[80];
	const json_t *e;
	uint64_t bsize;
	size_t i;
	int err;

	if (!a->present)
		return 0;
	if (!json_is_array(a->json))
		return lerr(l, "memory", "%s is not a list of regions ({\"gpa\", \"buffer\", \"offset\", \"size\"})",
			    jshow(a->json, show, sizeof(show)));
	a->n = json_array_size(a->json);
	it = xcalloc(a->n ? a->n : 1, sizeof(*it));
	a->arr = it;
	json_array_foreach(a->json, i, e) {
		snprintf(key, sizeof(key), "memory[%zu]", i);
		err = sub_keys(l, key, e, known);
		if (err)
			return err;
		if (!json_object_get(e, "gpa"))
			return lerr(l, key, "missing \"gpa\" (the region's guest-physical address)");
		if (!json_object_get(e, "buffer"))
			return lerr(l, key, "missing \"buffer\" (the buffer label that holds the region)");
		snprintf(sub, sizeof(sub), "%s.buffer", key);
		err = parse_label(l, sub, json_object_get(e, "buffer"), K_BUFFER, &it[i].buf);
		if (!err)
			err = sub_num(l, key, e, "gpa", 0, 0, &it[i].gpa);
		if (!err)
			err = sub_num(l, key, e, "offset", 0, 0, &it[i].off);
		if (!err)
			err = sub_bool(l, key, e, "mmio", &it[i].mmio);
		if (err)
			return err;
		bsize = it[i].buf->size;
		if (it[i].off > bsize)
			return lerr(l, key, "offset 0x%" PRIx64 " is past the end of buffer %s (0x%"
				    PRIx64 " bytes)", it[i].off, it[i].buf->name, bsize);
		err = sub_num(l, key, e, "size", 0, bsize - it[i].off, &it[i].size);
		if (err)
			return err;
		if (it[i].size > bsize - it[i].off)
			return lerr(l, key, "0x%" PRIx64 " bytes from offset 0x%" PRIx64
				    " run past the end of buffer %s (0x%" PRIx64 " bytes)",
				    it[i].size, it[i].off, it[i].buf->name, bsize);
	}
	return 0;
}

static int check_virtio_iommu_endpoint_add(struct loader *l, struct step *s)
{
	const struct argval *a = arg(s, "reserved");
	const struct ioasid_sim_resv *rv = a->arr;
	char key[64];
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (rv[i].type != IOASID_RESV_RESERVED && rv[i].type != IOASID_RESV_MSI) {
			snprintf(key, sizeof(key), "reserved[%zu]", i);
			return lerr(l, key, "type %s: PROBE reports \"reserved\" or \"msi\" regions",
				    ioasid_resv_type_name(rv[i].type));
		}
	}
	return 0;
}

/* A list of cut points into @len bytes (0 = unknown yet), non-decreasing. */
static int parse_split(struct loader *l, const char *key, struct argval *a, uint64_t len)
{
	char sub[96], show[80];
	uint64_t *pt, prev = 0;
	const json_t *e;
	size_t i;

	if (!a->present)
		return 0;
	if (!json_is_array(a->json))
		return lerr(l, key, "%s is not a list of byte offsets", jshow(a->json, show, sizeof(show)));
	a->n = json_array_size(a->json);
	pt = xcalloc(a->n ? a->n : 1, sizeof(*pt));
	a->arr = pt;
	json_array_foreach(a->json, i, e) {
		snprintf(sub, sizeof(sub), "%s[%zu]", key, i);
		if (!parse_num(e, &pt[i]))
			return lerr(l, sub, "%s is not a number", jshow(e, show, sizeof(show)));
		if (pt[i] < prev)
			return lerr(l, sub, "%" PRIu64 " is below the cut before it (%" PRIu64
				    "): cuts go in increasing order", pt[i], prev);
		if (len && pt[i] > len)
			return lerr(l, sub, "%" PRIu64 " is past the end of the %" PRIu64 " bytes",
				    pt[i], len);
		prev = pt[i];
	}
	return 0;
}

/* A required member of a structured request. */
static int vreq_need(struct loader *l, const json_t *o, const char *field, const char *what)
{
	if (json_object_get(o, field))
		return 0;
	return lerr(l, "request", "missing \"%s\" (%s)", field, what);
}

/*
 * The structured form of a request: {"type": NAME, fields...}, encoded
 * little-endian per kernel-uapi.md §3.3 (PAGE_RESP: virtio-iommu.h). The
 * device-readable part only; the tail is the device's to write.
 */
static int encode_vreq(struct loader *l, const json_t *o, struct argval *a)
{
	static const char *const k_attach[] = { "type", "domain", "endpoint", "flags", "reserved", NULL };
	static const char *const k_detach[] = { "type", "domain", "endpoint", "reserved", NULL };
	static const char *const k_map[] = {
		"type", "domain", "virt_start", "virt_end", "phys_start", "flags", NULL,
	};
	static const char *const k_unmap[] = {
		"type", "domain", "virt_start", "virt_end", "reserved", NULL,
	};
	static const char *const k_probe[] = { "type", "endpoint", "reserved", NULL };
	static const char *const k_page_resp[] = {
		"type", "endpoint", "pasid", "flags", "grpid", "code", "reserved", NULL,
	};
	static const char *const k_other[] = { "type", NULL };
	const char *const *known;
	uint64_t type = 0, v1 = 0, v2 = 0, v3 = 0, v4 = 0, fl = 0, rs = 0;
	uint8_t *b = xcalloc(1, 80);
	size_t len;
	int err;

	a->arr = b; /* freed with the step, also after an error */
	if (!json_is_object(o))
		return lerr(l, "request", "internal error: not an object");
	if (!json_object_get(o, "type"))
		return lerr(l, "request", "missing \"type\" (attach, detach, map, unmap, probe, page_resp, or a number)");
	err = sub_named(l, "request", o, "type", vreq_type_names, false, UINT8_MAX, 0, &type);
	if (err)
		return err;
	switch (type) {
	case IOASID_VIRTIO_IOMMU_T_ATTACH: known = k_attach; break;
	case IOASID_VIRTIO_IOMMU_T_DETACH: known = k_detach; break;
	case IOASID_VIRTIO_IOMMU_T_MAP: known = k_map; break;
	case IOASID_VIRTIO_IOMMU_T_UNMAP: known = k_unmap; break;
	case IOASID_VIRTIO_IOMMU_T_PROBE: known = k_probe; break;
	case IOASID_VIRTIO_IOMMU_T_PAGE_RESP: known = k_page_resp; break;
	default: known = k_other; break;
	}
	err = sub_keys(l, "request", o, known);
	if (err)
		return err;
	b[0] = (uint8_t)type;
	switch (type) {
	case IOASID_VIRTIO_IOMMU_T_ATTACH:
	case IOASID_VIRTIO_IOMMU_T_DETACH:
		len = 20;
		err = vreq_need(l, o, "domain", "the domain id");
		if (!err)
			err = vreq_need(l, o, "endpoint", "the endpoint id");
		if (!err)
			err = sub_num(l, "request", o, "domain", UINT32_MAX, 0, &v1);
		if (!err)
			err = sub_num(l, "request", o, "endpoint", UINT32_MAX, 0, &v2);
		if (!err && type == IOASID_VIRTIO_IOMMU_T_ATTACH)
			err = sub_named(l, "request", o, "flags", vattach_flag_names, true,
					UINT32_MAX, 0, &fl);
		if (!err)
			err = sub_num(l, "request", o, "reserved",
				      type == IOASID_VIRTIO_IOMMU_T_ATTACH ? UINT32_MAX : 0, 0, &rs);
		if (err)
			return err;
		le_put(b + 4, v1, 4);
		le_put(b + 8, v2, 4);
		if (type == IOASID_VIRTIO_IOMMU_T_ATTACH) {
			le_put(b + 12, fl, 4);
			le_put(b + 16, rs, 4);
		} else {
			le_put(b + 12, rs, 8);
		}
		break;
	case IOASID_VIRTIO_IOMMU_T_MAP:
	case IOASID_VIRTIO_IOMMU_T_UNMAP:
		len = type == IOASID_VIRTIO_IOMMU_T_MAP ? 36 : 28;
		err = vreq_need(l, o, "domain", "the domain id");
		if (!err)
			err = vreq_need(l, o, "virt_start", "the first IOVA");
		if (!err)
			err = vreq_need(l, o, "virt_end", "the last IOVA, inclusive");
		if (!err && type == IOASID_VIRTIO_IOMMU_T_MAP)
			err = vreq_need(l, o, "phys_start", "the guest-physical address");
		if (!err)
			err = sub_num(l, "request", o, "domain", UINT32_MAX, 0, &v1);
		if (!err)
			err = sub_num(l, "request", o, "virt_start", 0, 0, &v2);
		if (!err)
			err = sub_num(l, "request", o, "virt_end", 0, 0, &v3);
		if (!err && type == IOASID_VIRTIO_IOMMU_T_MAP)
			err = sub_num(l, "request", o, "phys_start", 0, 0, &v4);
		if (!err && type == IOASID_VIRTIO_IOMMU_T_MAP)
			err = sub_named(l, "request", o, "flags", vmap_flag_names, true, UINT32_MAX,
					IOASID_VIRTIO_IOMMU_MAP_F_READ |
					IOASID_VIRTIO_IOMMU_MAP_F_WRITE, &fl);
		if (!err && type == IOASID_VIRTIO_IOMMU_T_UNMAP)
			err = sub_num(l, "request", o, "reserved", UINT32_MAX, 0, &rs);
		if (err)
			return err;
		le_put(b + 4, v1, 4);
		le_put(b + 8, v2, 8);
		le_put(b + 16, v3, 8);
		if (type == IOASID_VIRTIO_IOMMU_T_MAP) {
			le_put(b + 24, v4, 8);
			le_put(b + 32, fl, 4);
		} else {
			le_put(b + 24, rs, 4);
		}
		break;
	case IOASID_VIRTIO_IOMMU_T_PROBE:
		len = 72;
		err = vreq_need(l, o, "endpoint", "the endpoint id");
		if (!err)
			err = sub_num(l, "request", o, "endpoint", UINT32_MAX, 0, &v1);
		if (!err)
			err = sub_num(l, "request", o, "reserved", 0, 0, &rs);
		if (err)
			return err;
		le_put(b + 4, v1, 4);
		le_put(b + 8, rs, 8); /* the first 8 of the 64 reserved bytes */
		break;
	case IOASID_VIRTIO_IOMMU_T_PAGE_RESP:
		len = 24;
		err = vreq_need(l, o, "endpoint", "the endpoint id");
		if (!err)
			err = vreq_need(l, o, "grpid", "the page request group");
		if (!err)
			err = vreq_need(l, o, "code", "success, invalid, failure");
		if (!err)
			err = sub_num(l, "request", o, "endpoint", UINT32_MAX, 0, &v1);
		if (!err)
			err = sub_num(l, "request", o, "pasid", UINT32_MAX, 0, &v2);
		if (!err)
			err = sub_named(l, "request", o, "flags", vpage_resp_flag_names, true,
					UINT32_MAX, 0, &fl);
		if (!err)
			err = sub_num(l, "request", o, "grpid", UINT16_MAX, 0, &v3);
		if (!err)
			err = sub_named(l, "request", o, "code", fault_code_names, false,
					UINT16_MAX, 0, &v4); /* enum ioasid_fault_code */
		if (!err)
			err = sub_num(l, "request", o, "reserved", UINT32_MAX, 0, &rs);
		if (err)
			return err;
		/* a PASID given makes it valid */
		if (json_object_get(o, "pasid"))
			fl |= IOASID_VIRTIO_IOMMU_PAGE_RESP_F_PASID;
		le_put(b + 4, v1, 4);
		le_put(b + 8, v2, 4);
		le_put(b + 12, fl, 4);
		le_put(b + 16, v3, 2);
		le_put(b + 18, v4, 2);
		le_put(b + 20, rs, 4);
		break;
	default:
		len = IOASID_VIRTIO_IOMMU_HEAD_SIZE; /* a head, nothing the device knows */
		break;
	}
	a->n = len;
	return 0;
}

/*
 * The hex form of a request: byte pairs, optionally in groups separated by
 * single spaces ("01000000 01000000 00010000 ..."); a group is whole bytes.
 */
static int parse_request_hex(struct loader *l, struct argval *a)
{
	const char *str = json_string_value(a->json), *p;
	char show[80], *flat;
	size_t n, off = 0;
	json_t *tmp;
	int err;

	flat = xcalloc(1, strlen(str) + 1);
	for (p = str; *p; p += n) {
		if (p != str) {
			if (*p != ' ')
				break;
			p++;
		}
		n = strcspn(p, " ");
		if (!n || n % 2 || strspn(p, "0123456789abcdefABCDEF") != n)
			break;
		memcpy(flat + off, p, n);
		off += n;
	}
	if (*p || !off) {
		free(flat);
		return lerr(l, "request", "%s is not a string of hex byte pairs (\"0100000001000000...\", "
			    "spaces allowed between whole bytes)", jshow(a->json, show, sizeof(show)));
	}
	tmp = json_string(flat);
	free(flat);
	err = parse_hex_bytes(l, "request", tmp, a);
	json_decref(tmp);
	return err;
}

static int check_virtio_iommu_request(struct loader *l, struct step *s)
{
	struct argval *a = arg_mut(s, "request"), *wsp = arg_mut(s, "writable_split");
	char show[80];
	int err;

	if (json_is_string(a->json))
		err = parse_request_hex(l, a);
	else if (json_is_object(a->json))
		err = encode_vreq(l, a->json, a);
	else
		err = lerr(l, "request", "%s is neither hex bytes (\"0100000001000000...\") nor a request object ({\"type\": \"attach\", ...})",
			   jshow(a->json, show, sizeof(show)));
	if (!err)
		err = parse_split(l, "split", arg_mut(s, "split"), a->n);
	/* without "writable" the size is known at run time (PROBE: probe_size) */
	if (!err)
		err = parse_split(l, "writable_split", wsp,
				  has(s, "writable") ? num(s, "writable", 0) : 0);
	if (!err && has(s, "writable") && !num(s, "writable", 0) && wsp->n &&
	    ((const uint64_t *)wsp->arr)[wsp->n - 1])
		err = lerr(l, "writable_split", "cuts into 0 device-writable bytes");
	return err;
}

/* ------------------------------------------------------------------------ */
/* The op table                                                             */

/*
 * Row helpers. An argument is A(key, type, options...): .required, .kinds
 * (label kinds accepted), .max (numbers), .hex (shown as 0x... in tables).
 */
#define A(k, t, ...) { .key = (k), .type = (t), __VA_ARGS__ }
#define END_ARGS { .key = NULL }
#define ARGS(...) .args = (const struct arg_spec[]){ __VA_ARGS__, END_ARGS }
#define NO_ARGS .args = (const struct arg_spec[]){ END_ARGS }
#define OP(n, fn, ...) { .name = (n), .run = (fn), __VA_ARGS__ }

/* Arguments several ops share. */
#define ARG_IOAS A("ioas", A_LABEL, .required = true, .kinds = K_IOAS)
#define ARG_SET A("set", A_LABEL, .required = true, .kinds = K_SET)
#define ARG_DEV A("dev", A_LABEL, .required = true, .kinds = K_DEV)
#define ARG_PASID A("pasid", A_PASID)
#define ARG_ADDR(k) A(k, A_NUM, .hex = true)
#define ARG_ADDR_REQ(k) A(k, A_NUM, .hex = true, .required = true)
#define ARG_U32(k) A(k, A_NUM, .max = UINT32_MAX)
#define ARG_BOOL(k) A(k, A_BOOL)
#define ARG_PERM A("perm", A_PERM)
#define ARG_FLAGS A("flags", A_NUM, .max = UINT32_MAX, .hex = true)
#define ARG_BUFFER A("buffer", A_LABEL, .required = true, .kinds = K_BUFFER)
#define ARG_HWPT A("hwpt", A_LABEL, .required = true, .kinds = K_HWPT)
#define ARG_QUEUE A("queue", A_LABEL, .required = true, .kinds = K_QUEUE)
#define ARG_DMA A("dma", A_LABEL, .required = true, .kinds = K_DMA)
#define ARG_VIRTIO_IOMMU A("virtio_iommu", A_LABEL, .required = true, .kinds = K_VIRTIO_IOMMU)
/* attach and replace: the IOAS or HWPT (one), the acting set, a fault queue */
#define ARGS_ATTACH \
	ARGS(ARG_DEV, ARG_PASID, A("ioas", A_LABEL, .kinds = K_IOAS), \
	     A("set", A_LABEL, .kinds = K_SET), A("hwpt", A_LABEL, .kinds = K_HWPT), \
	     A("queue", A_LABEL, .kinds = K_QUEUE))
/* dma_read and dma_write: the device side is a buffer or fresh memory */
#define ARGS_DMA(...) \
	ARGS(ARG_DEV, ARG_PASID, ARG_ADDR_REQ("iova"), \
	     A("length", A_NUM, .hex = true, .max = DMA_MAX_LEN), \
	     A("buffer", A_LABEL, .kinds = K_BUFFER), ARG_ADDR("offset"), __VA_ARGS__)

/* Sorted by name (strcmp order): op_find() uses bsearch. */
static const struct op_desc op_table[] = {
	OP("allow_iovas", op_allow_iovas,
	   ARGS(ARG_IOAS, A("ranges", A_RANGES, .required = true))),
	OP("attach", op_attach, ARGS_ATTACH, .check = check_pt),
	OP("buffer", op_buffer,
	   ARGS(ARG_ADDR_REQ("size"), ARG_ADDR("align"), ARG_BOOL("memfd")),
	   .makes = K_BUFFER, .check = check_buffer),
	OP("cache_stats", op_cache_stats, NO_ARGS),
	OP("clock_advance", op_clock_advance,
	   ARGS(A("ns", A_NUM, .required = true, .max = INT64_MAX))),
	OP("copy", op_copy,
	   ARGS(A("src", A_LABEL, .required = true, .kinds = K_IOAS), ARG_ADDR_REQ("src_iova"),
		A("dst", A_LABEL, .required = true, .kinds = K_IOAS), ARG_ADDR("dst_iova"),
		ARG_ADDR_REQ("length"), ARG_PERM, ARG_FLAGS)),
	OP("destroy", op_destroy,
	   ARGS(A("object", A_LABEL, .required = true, .kinds = K_OBJECT))),
	OP("detach", op_detach, ARGS(ARG_DEV, ARG_PASID)),
	OP("dev_add", op_dev_add,
	   ARGS(A("name", A_STR, .required = true), A("bdf", A_STR),
		A("page_sizes", A_PGSIZES), A("pasid_width", A_NUM, .max = 32),
		ARG_BOOL("pri"), ARG_BOOL("ats"), A("reserved", A_RESV))),
	OP("dev_bind", op_dev_bind, ARGS(A("dev", A_STR, .required = true)),
	   .makes = K_DEV),
	OP("dev_info", op_dev_info, ARGS(ARG_DEV)),
	OP("dev_list", op_dev_list, NO_ARGS),
	OP("dev_remove", op_dev_remove, ARGS(A("name", A_STR, .required = true))),
	OP("dev_unbind", op_dev_unbind, ARGS(ARG_DEV)),
	OP("dirty_read", op_dirty_read,
	   ARGS(ARG_HWPT, ARG_ADDR_REQ("iova"), ARG_ADDR_REQ("length"), ARG_ADDR("page_size"),
		ARG_BOOL("clear"))),
	OP("dirty_tracking", op_dirty_tracking,
	   ARGS(ARG_HWPT, A("enable", A_BOOL, .required = true))),
	OP("dma_poll", op_dma_poll, ARGS(ARG_DMA)),
	OP("dma_read", op_dma_read, ARGS_DMA(END_ARGS), .makes = K_DMA, .check = check_dma),
	/* no limit would hang the run: nothing else answers while it waits */
	OP("dma_wait", op_dma_wait,
	   ARGS(ARG_DMA, A("timeout_ns", A_NUM, .max = UINT64_C(10000000000)))),
	OP("dma_write", op_dma_write,
	   ARGS_DMA(A("data", A_HEX), A("byte", A_NUM, .max = 255)),
	   .makes = K_DMA, .check = check_dma),
	OP("dump", op_dump, NO_ARGS),
	OP("fault_queue_alloc", op_fault_queue_alloc,
	   ARGS(ARG_SET, ARG_U32("depth"), A("timeout_ns", A_NUM)), .makes = K_QUEUE),
	OP("fault_queue_destroy", op_fault_queue_destroy, ARGS(ARG_QUEUE)),
	OP("fault_read", op_fault_read, ARGS(ARG_QUEUE, A("max", A_NUM, .max = 4096))),
	OP("fault_respond", op_fault_respond,
	   ARGS(ARG_QUEUE, A("cookie", A_JSON, .required = true),
		A("code", A_ENUM, .required = true, .names = fault_code_names,
		  .max = UINT32_MAX)),
	   .check = check_fault_respond),
	OP("fault_stats", op_fault_stats, ARGS(ARG_QUEUE)),
	OP("fault_unrouted", op_fault_unrouted, ARGS(A("max", A_NUM, .max = 4096))),
	OP("hwpt_alloc", op_hwpt_alloc,
	   ARGS(ARG_DEV, A("ioas", A_LABEL, .kinds = K_IOAS),
		A("hwpt", A_LABEL, .kinds = K_HWPT),
		A("flags", A_FLAGS, .names = hwpt_flag_names, .max = UINT32_MAX),
		A("queue", A_LABEL, .kinds = K_QUEUE),
		A("type", A_ENUM, .names = hwpt_type_names, .max = UINT32_MAX),
		A("s1", A_JSON)),
	   .makes = K_HWPT, .check = check_hwpt_alloc),
	OP("hwpt_destroy", op_hwpt_destroy, ARGS(ARG_HWPT)),
	OP("invalidate", op_invalidate,
	   ARGS(ARG_HWPT, A("requests", A_JSON, .required = true)),
	   .check = check_invalidate),
	OP("invalidate_raw", op_invalidate_raw,
	   ARGS(ARG_HWPT, A("entries", A_JSON, .required = true), ARG_U32("data_type")),
	   .check = check_invalidate_raw),
	OP("ioas_alloc", op_ioas_alloc, NO_ARGS, .makes = K_IOAS),
	OP("ioas_destroy", op_ioas_destroy, ARGS(ARG_IOAS)),
	OP("ioas_stats", op_ioas_stats, ARGS(ARG_IOAS)),
	OP("iova_ranges", op_iova_ranges, ARGS(ARG_IOAS)),
	OP("lookup", op_lookup, ARGS(ARG_IOAS, ARG_ADDR_REQ("iova"))),
	OP("map", op_map,
	   ARGS(ARG_IOAS, ARG_ADDR("iova"), ARG_ADDR("length"),
		A("buffer", A_LABEL, .kinds = K_BUFFER), ARG_ADDR("offset"), ARG_PERM,
		ARG_FLAGS),
	   .makes = K_BUFFER, .check = check_map),
	OP("mappings", op_mappings, ARGS(ARG_IOAS)),
	OP("option", op_option,
	   ARGS(ARG_IOAS, A("name", A_STR, .required = true), A("value", A_NUM)),
	   .check = check_option),
	OP("pasid_alloc", op_pasid_alloc,
	   ARGS(ARG_SET, ARG_U32("min"), ARG_U32("max"), ARG_PASID),
	   .makes = K_PASID, .check = check_pasid_alloc),
	OP("pasid_free", op_pasid_free,
	   ARGS(ARG_SET, A("pasid", A_PASID, .required = true))),
	OP("pinned", op_pinned, NO_ARGS),
	OP("pinned_limit", op_pinned_limit,
	   ARGS(ARG_ADDR("limit"), ARG_BOOL("cap_ipc_lock_exempt")),
	   .check = check_pinned_limit),
	OP("read", op_read, ARGS(ARG_BUFFER, ARG_ADDR("offset"), ARG_ADDR("length")),
	   .check = check_read),
	OP("replace", op_replace, ARGS_ATTACH, .check = check_pt),
	OP("reserve", op_reserve,
	   ARGS(ARG_IOAS, ARG_ADDR_REQ("start"), ARG_ADDR_REQ("last"))),
	OP("set_alloc", op_set_alloc,
	   ARGS(ARG_ADDR("owner"), ARG_U32("max_pasids"), ARG_U32("max_ioas")),
	   .makes = K_SET),
	OP("set_destroy", op_set_destroy, ARGS(ARG_SET)),
	OP("set_info", op_set_info, ARGS(ARG_SET)),
	OP("set_ioas_alloc", op_set_ioas_alloc, ARGS(ARG_SET), .makes = K_IOAS),
	OP("stale_events", op_stale_events, NO_ARGS),
	OP("stale_mode", op_stale_mode,
	   ARGS(A("mode", A_ENUM, .required = true, .names = stale_mode_names,
		  .max = UINT32_MAX))),
	OP("unmap", op_unmap,
	   ARGS(ARG_IOAS, ARG_ADDR_REQ("iova"), ARG_ADDR_REQ("length"))),
	OP("unreserve", op_unreserve,
	   ARGS(ARG_IOAS, ARG_ADDR_REQ("start"), ARG_ADDR_REQ("last"))),
	OP("virtio_iommu_config", op_virtio_iommu_config, ARGS(ARG_VIRTIO_IOMMU)),
	OP("virtio_iommu_endpoint_add", op_virtio_iommu_endpoint_add,
	   ARGS(ARG_VIRTIO_IOMMU, A("endpoint", A_NUM, .required = true, .max = UINT32_MAX), ARG_DEV,
		A("reserved", A_RESV)),
	   .check = check_virtio_iommu_endpoint_add),
	OP("virtio_iommu_endpoint_del", op_virtio_iommu_endpoint_del,
	   ARGS(ARG_VIRTIO_IOMMU, A("endpoint", A_NUM, .required = true, .max = UINT32_MAX))),
	OP("virtio_iommu_event", op_virtio_iommu_event, ARGS(ARG_VIRTIO_IOMMU, A("size", A_NUM, .max = 4096))),
	OP("virtio_iommu_features", op_virtio_iommu_features,
	   ARGS(ARG_VIRTIO_IOMMU, A("driver_features", A_FLAGS, .names = virtio_feature_names))),
	OP("virtio_iommu_new", op_virtio_iommu_new,
	   ARGS(A("set", A_LABEL, .kinds = K_SET), A("memory", A_JSON),
		A("features", A_FLAGS, .names = virtio_iommu_ext_names, .max = UINT32_MAX),
		ARG_BOOL("boot_bypass"), A("bypass_ioas", A_LABEL, .kinds = K_IOAS),
		A("page_size_mask", A_PGSIZES), ARG_ADDR("input_start"), ARG_ADDR("input_end"),
		ARG_U32("domain_start"), ARG_U32("domain_end"), ARG_U32("probe_size"),
		ARG_U32("fault_depth"), A("fault_timeout_ns", A_NUM)),
	   .makes = K_VIRTIO_IOMMU, .check = check_virtio_iommu_new),
	OP("virtio_iommu_request", op_virtio_iommu_request,
	   ARGS(ARG_VIRTIO_IOMMU, A("request", A_JSON, .required = true),
		A("writable", A_NUM, .max = VIOMMU_WRITABLE_MAX), A("split", A_JSON),
		A("writable_split", A_JSON)),
	   .check = check_virtio_iommu_request),
	OP("write", op_write,
	   ARGS(ARG_BUFFER, ARG_ADDR("offset"), ARG_ADDR("length"),
		A("byte", A_NUM, .max = 255), A("data", A_HEX)),
	   .check = check_write),
};

static int op_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct op_desc *)elem)->name);
}

static const struct op_desc *op_find(const char *name)
{
	return bsearch(name, op_table, sizeof(op_table) / sizeof(op_table[0]),
		       sizeof(op_table[0]), op_cmp);
}

/* bsearch needs the order; a row added out of place must not go unnoticed. */
static void op_table_check(void)
{
	size_t i;

	for (i = 1; i < sizeof(op_table) / sizeof(op_table[0]); i++) {
		if (strcmp(op_table[i - 1].name, op_table[i].name) >= 0) {
			fprintf(stderr, "ioasidctl: internal error: op table not sorted at \"%s\"\n",
				op_table[i].name);
			abort();
		}
	}
}

/* ------------------------------------------------------------------------ */
/* Running                                                                  */

/*
 * A JSON value as table text: strings bare, ranges as START-LAST, lists
 * comma-separated; cut at about 160 characters.
 */
static void render(const json_t *v, struct strbuf *b)
{
	const json_t *start, *last, *type;
	const char *k;
	json_t *e;
	size_t i, mark = b->len;
	char show[80];

	switch (json_typeof(v)) {
	case JSON_STRING:
		sb_addf(b, "%s", json_string_value(v));
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, e) {
			if (b->len - mark > 160) {
				sb_addf(b, ",...");
				break;
			}
			if (i)
				sb_addf(b, ",");
			render(e, b);
		}
		if (!json_array_size(v))
			sb_addf(b, "[]");
		break;
	case JSON_OBJECT:
		start = json_object_get(v, "start");
		last = json_object_get(v, "last");
		type = json_object_get(v, "type");
		if (json_is_string(start) && json_is_string(last)) {
			sb_addf(b, "%s-%s", json_string_value(start), json_string_value(last));
			if (json_is_string(type))
				sb_addf(b, "(%s)", json_string_value(type));
			break;
		}
		sb_addf(b, "{");
		json_object_foreach((json_t *)v, k, e) {
			if (b->len - mark > 160) {
				sb_addf(b, " ...");
				break;
			}
			sb_addf(b, "%s%s=", b->s[b->len - 1] == '{' ? "" : " ", k);
			render(e, b);
		}
		sb_addf(b, "}");
		break;
	default:
		sb_addf(b, "%s", jshow(v, show, sizeof(show)));
		break;
	}
}

static void detail_ranges(bool resv, const struct argval *a, struct strbuf *b)
{
	const struct ioasid_iova_range *r = a->arr;
	const struct ioasid_sim_resv *rv = a->arr;
	const char *tn;
	size_t i;

	if (!a->n)
		sb_addf(b, "[]");
	for (i = 0; i < a->n; i++) {
		if (resv) {
			tn = ioasid_resv_type_name(rv[i].type);
			sb_addf(b, "%s0x%" PRIx64 "-0x%" PRIx64 "(%s)", i ? "," : "",
				rv[i].start, rv[i].last, tn ? tn : "?");
		} else {
			sb_addf(b, "%s0x%" PRIx64 "-0x%" PRIx64, i ? "," : "", r[i].start,
				r[i].last);
		}
	}
}

/* "ioas=A iova=0x1000 length=0x2000" from a step's arguments. */
static void detail_args(const struct step *s, struct strbuf *b)
{
	const struct arg_spec *spec;
	const struct argval *a;
	char show[80];
	size_t i;

	for (i = 0; (spec = &s->op->args[i])->key; i++) {
		a = &s->vals[i];
		if (!a->present)
			continue;
		sb_addf(b, "%s%s=", b->len ? " " : "", spec->key);
		if (a->label)
			sb_addf(b, "%s", a->label->name);
		else if (spec->type == A_NUM && spec->hex)
			sb_addf(b, "0x%" PRIx64, a->u);
		else if (spec->type == A_NUM || spec->type == A_PASID)
			sb_addf(b, "%" PRIu64, a->u);
		else if (spec->type == A_PGSIZES)
			sb_addf(b, "%s", cli_pgsizes_str(a->u, show, sizeof(show)));
		else if (spec->type == A_RANGES || spec->type == A_RESV)
			detail_ranges(spec->type == A_RESV, a, b);
		else
			render(a->json, b);
	}
	if (s->as)
		sb_addf(b, "%sas=%s", b->len ? " " : "", s->as->name);
}

static void detail_value(json_t *value, struct strbuf *b)
{
	const char *k;
	json_t *v;
	bool first = true;

	json_object_foreach(value, k, v) {
		sb_addf(b, "%s%s=", first ? (b->len ? " -> " : "-> ") : " ", k);
		first = false;
		render(v, b);
	}
}

/* After the steps: the mappings of every address space that is still alive. */
static void print_mapping_tables(struct run *r, FILE *out)
{
	struct scenario *sc = r->sc;
	struct ioasid_ioas_stats st;
	struct ioasid_mapping *all;
	const struct mem *m;
	struct table *t;
	uint64_t off;
	size_t i, j, n;

	for (i = 0; i < sc->nr_labels; i++) {
		const struct label *lb = sc->labels[i];

		if (lb->kind != K_IOAS || !lb->live)
			continue;
		if (list_mappings(r, lb->id, &all, &n))
			continue;
		fprintf(out, "\nIOAS %s", lb->name);
		if (!ioasid_ioas_stats(r->ctx, lb->id, &st))
			fprintf(out, ": %" PRIu64 " area%s, 0x%" PRIx64 " bytes mapped, alignment 0x%"
				PRIx64 ", %u attached", st.nr_areas, st.nr_areas == 1 ? "" : "s",
				st.mapped_bytes, st.alignment, st.nr_attached);
		fputc('\n', out);
		if (!n) {
			free(all);
			continue;
		}
		t = table_new();
		table_indent(t, 2);
		table_column(t, "IOVA", TABLE_RIGHT);
		table_column(t, "LAST", TABLE_RIGHT);
		table_column(t, "LENGTH", TABLE_RIGHT);
		table_column(t, "PERM", TABLE_LEFT);
		table_column(t, "BUFFER", TABLE_LEFT);
		for (j = 0; j < n; j++) {
			table_cellf(t, "0x%" PRIx64, all[j].iova);
			table_cellf(t, "0x%" PRIx64, all[j].iova + all[j].length - 1);
			table_cellf(t, "0x%" PRIx64, all[j].length);
			table_cell(t, perm_str(all[j].flags));
			m = mem_at(sc, all[j].uva, &off, false);
			if (m)
				table_cellf(t, "%s+0x%" PRIx64, m->name, off);
			else
				table_cell(t, "-");
		}
		table_print(t, out);
		table_free(t);
		free(all);
	}
}

static void print_dump(struct run *r, FILE *out)
{
	char *doc = NULL;
	json_t *j;
	int err = ioasid_json_ctx(r->ctx, IOASID_JSON_COMPACT, &doc);

	if (err) {
		cli_err("%s: cannot dump the final state: %s", r->sc->file,
			ioasid_ctx_errmsg(r->ctx));
		return;
	}
	j = json_loads(doc, 0, NULL);
	if (j) {
		sanitize_json(r->sc, j);
		json_print_line(out, j);
		json_decref(j);
	} else {
		fprintf(out, "%s\n", doc);
	}
	ioasid_json_free(doc);
}

/* What a step did, as the three outputs report it. */
struct step_result {
	int err;          /* 0 or a negative errno */
	bool mismatch;    /* the step had "expect" and the result differs */
	const char *name; /* "ok" or the errno name */
	json_t *value;    /* {} after a failure */
	char *message;    /* NULL on success; sanitized */
	char buf[16];
};

static const char *expect_name(const struct step *s, char *buf, size_t len)
{
	return s->expect ? result_name(-s->expect, buf, len) : "ok";
}

static void emit_jsonl(const struct step *s, const struct step_result *sr)
{
	json_t *line = json_object();
	char ebuf[16];

	json_object_set_new(line, "step", json_integer((json_int_t)s->index));
	json_object_set_new(line, "op", json_string(s->op->name));
	json_object_set_new(line, "result", json_string(sr->name));
	if (sr->mismatch)
		json_object_set_new(line, "expected",
				    json_string(expect_name(s, ebuf, sizeof(ebuf))));
	json_object_set_new(line, "value", json_incref(sr->value));
	if (sr->message)
		json_object_set_new(line, "message", json_string(sr->message));
	json_print_line(stdout, line);
	/* one line per step as it happens, also when stdout is a pipe */
	fflush(stdout);
	json_decref(line);
}

static void emit_row(struct table *t, const struct step *s,
		     const struct step_result *sr)
{
	struct strbuf b = { 0 };
	char ebuf[16];

	detail_args(s, &b);
	detail_value(sr->value, &b);
	if (sr->message)
		sb_addf(&b, "%s%s", b.len ? ": " : "", sr->message);
	table_cellf(t, "%zu", s->index);
	table_cell(t, s->op->name);
	table_cell(t, sr->name);
	if (s->expect < 0)
		table_cell(t, "");
	else
		table_cellf(t, "%s%s", expect_name(s, ebuf, sizeof(ebuf)),
			    sr->mismatch ? " MISMATCH" : "");
	table_cell(t, sb_str(&b));
	free(b.s);
}

static void run_step(struct run *r, const struct step *s, struct step_result *sr)
{
	const char *msg;
	int err;

	r->msg[0] = '\0';
	sr->value = json_object();
	err = s->op->run(r, s, sr->value);
	if (err > 0)
		err = -err;
	sr->err = err;
	sr->mismatch = s->expect >= 0 && s->expect != -err;
	sr->name = err ? result_name(err, sr->buf, sizeof(sr->buf)) : "ok";
	sr->message = NULL;
	if (err) {
		/* a failed step reports no value, only why */
		json_object_clear(sr->value);
		msg = r->msg[0] ? r->msg : ioasid_ctx_errmsg(r->ctx);
		sr->message = sanitize_text(r->sc, msg ? msg : "");
	}
	sanitize_json(r->sc, sr->value);
}

/* The clock of the fault timeouts: scenario time, moved by clock_advance. */
static uint64_t scenario_clock(void *data)
{
	return ((const struct scenario *)data)->now_ns;
}

int scenario_run(struct scenario *sc, struct ioasid_ctx *ctx,
		 const struct scenario_run_opts *o)
{
	struct run r = { .sc = sc, .ctx = ctx };
	size_t i, nr_failed = 0, nr_refused = 0, nr_run = 0;
	struct step_result sr;
	struct table *t = NULL;
	char ebuf[16];

	/*
	 * Unanswered page requests time out by scenario time, not wall time,
	 * so that a run never depends on how fast it is (the library runs no
	 * timer thread then). @sc outlives @ctx: the callers close the context
	 * before scenario_free().
	 */
	sc->now_ns = 0;
	ioasid_ctx_set_clock(ctx, scenario_clock, sc);

	if (o->output == SCENARIO_OUT_TABLE) {
		t = table_new();
		table_column(t, "STEP", TABLE_RIGHT);
		table_column(t, "OP", TABLE_LEFT);
		table_column(t, "RESULT", TABLE_LEFT);
		table_column(t, "EXPECTED", TABLE_LEFT);
		table_column(t, "DETAIL", TABLE_LEFT);
	}
	for (i = 0; i < sc->nr_steps; i++) {
		const struct step *s = &sc->steps[i];

		if (o->stop && o->stop(o->data))
			break;
		run_step(&r, s, &sr);
		nr_run++;
		nr_failed += sr.mismatch;
		nr_refused += sr.err != 0;
		if (o->output == SCENARIO_OUT_JSONL)
			emit_jsonl(s, &sr);
		else if (o->output == SCENARIO_OUT_TABLE)
			emit_row(t, s, &sr);
		else if (sr.mismatch)
			cli_err("%s: steps[%zu] (%s): expected %s, got %s%s%s", sc->file, i,
				s->op->name, expect_name(s, ebuf, sizeof(ebuf)), sr.name,
				sr.message ? ": " : "", sr.message ? sr.message : "");
		free(sr.message);
		json_decref(sr.value);
	}
	if (t) {
		table_print(t, stdout);
		table_free(t);
		printf("\n%zu step%s run, %zu refused, %zu unexpected result%s\n", nr_run,
		       nr_run == 1 ? "" : "s", nr_refused, nr_failed, nr_failed == 1 ? "" : "s");
		print_mapping_tables(&r, stdout);
		if (o->dump)
			fputc('\n', stdout);
	}
	if (o->dump && o->output != SCENARIO_OUT_NONE)
		print_dump(&r, stdout);
	/* the virtio_iommus' objects live in @ctx, which the caller closes next */
	for (i = 0; i < sc->nr_virtio_iommus; i++)
		ioasid_virtio_iommu_free(sc->virtio_iommus[i]);
	sc->nr_virtio_iommus = 0;
	for (i = 0; i < sc->nr_labels; i++)
		if (sc->labels[i]->kind == K_VIRTIO_IOMMU)
			sc->labels[i]->live = false;
	fflush(stdout);
	return nr_failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
