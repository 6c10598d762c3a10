/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Outputs that do not depend on the run: process addresses differ from
 * run to run, object ids from backend to backend. Values and messages
 * name memory and objects by their labels instead.
 *
 * Only what is known to be a process address is rewritten, never a
 * number because of its value: an IOVA or a length may well fall inside
 * a buffer's addresses on some run, and must then still read as itself.
 * What is known:
 *   values   a handler that reports a process address says so (va_json());
 *   messages the library names a process address as "va 0x...",
 *            "hva 0x..." or "uva 0x..." (va_words below), and only
 *            those numbers are rewritten;
 *   --dump   the schema's process-address members (dump_va_keys below).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

/* Words after which the library's messages put an object id: "IOAS 3". */
static const struct {
	const char *word;
	unsigned int kinds;
} id_words[] = {
	{ "IOAS", K_IOAS },     { "ioas", K_IOAS },       { "set", K_SET },
	{ "HWPT", K_HWPT },     { "hwpt", K_HWPT },       { "device", K_DEV },
	{ "object", K_OBJECT }, { "queue", K_QUEUE },     { "DMA", K_DMA },
	{ "vIOMMU", K_VIOMMU }, { "vDEVICE", K_VDEVICE }, { "vEVENTQ", K_VEVENTQ },
};

/* Words after which the library's messages put a process address: "va 0x7f...". */
static const char *const va_words[] = { "va", "hva", "uva" };

/*
 * The members of ioasid_json_ctx()'s document that hold process
 * addresses (docs/ioasid-schema.json: a mapping's "uva", a stale event's
 * "cached_addr" and "current_addr").
 */
static const char *const dump_va_keys[] = { "uva", "cached_addr", "current_addr" };

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * A process address as outputs show it: LABEL+0xOFF inside memory the
 * scenario allocated (or one past its end, which messages name too), 0x0
 * for none (a stale event's current address when there is no current
 * translation), and "?" anywhere else, which no run can show the same way
 * twice.
 */
static void va_name(const struct scenario *sc, uint64_t va, struct strbuf *b)
{
	const struct mem *m;
	uint64_t off;

	m = mem_at(sc, va, &off, true);
	if (m)
		sb_addf(b, "%s+0x%" PRIx64, m->name, off);
	else
		sb_addf(b, va ? "?" : "0x0");
}

json_t *va_json(const struct scenario *sc, uint64_t va)
{
	struct strbuf b = { 0 };
	json_t *j;

	va_name(sc, va, &b);
	j = json_string(sb_str(&b));
	free(b.s);
	return j;
}

/* @p is at the start of a word (not inside a name or a number). */
static bool word_start(const char *msg, const char *p)
{
	return p == msg || !var_char(p[-1], false);
}

/*
 * At @p, "WORD N" where N is the id of a live label: append "WORD LABEL"
 * and return the length consumed, else 0.
 */
static size_t id_to_label(const struct scenario *sc, const char *p, struct strbuf *b)
{
	const char *lb, *q;
	unsigned long id;
	size_t i, len;

	for (i = 0; i < ARRAY_LEN(id_words); i++) {
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
 * At @p, "WORD 0xN" with WORD one of va_words: append "WORD " and N as
 * va_name() shows it, and return the length consumed, else 0.
 */
static size_t va_to_name(const struct scenario *sc, const char *p, struct strbuf *b)
{
	const char *digits;
	size_t i, len, n;

	for (i = 0; i < ARRAY_LEN(va_words); i++) {
		len = strlen(va_words[i]);
		if (strncmp(p, va_words[i], len) || strncmp(p + len, " 0x", 3))
			continue;
		digits = p + len + 3;
		n = strspn(digits, "0123456789abcdefABCDEF");
		if (!n || n > 16 || var_char(digits[n], false))
			return 0;
		sb_addf(b, "%s ", va_words[i]);
		va_name(sc, strtoull(digits, NULL, 16), b);
		return len + 3 + n;
	}
	return 0;
}

char *sanitize_text(const struct scenario *sc, const char *msg)
{
	struct strbuf b = { 0 };
	const char *p = msg;
	size_t n;

	while (*p) {
		if (word_start(msg, p)) {
			n = id_to_label(sc, p, &b);
			if (!n)
				n = va_to_name(sc, p, &b);
			if (n) {
				p += n;
				continue;
			}
		}
		sb_addf(&b, "%c", *p++);
	}
	sb_str(&b);
	return b.s;
}

json_t *message_json(const struct scenario *sc, const char *msg)
{
	char *s = sanitize_text(sc, msg ? msg : "");
	json_t *j = json_string(s);

	free(s);
	return j;
}

static bool is_dump_va_key(const char *k)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(dump_va_keys); i++)
		if (!strcmp(k, dump_va_keys[i]))
			return true;
	return false;
}

void sanitize_dump(const struct scenario *sc, json_t *v)
{
	struct strbuf b = { 0 };
	const char *k;
	uint64_t va;
	json_t *e;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_object_foreach(v, k, e) {
			if (!is_dump_va_key(k) || !parse_num(e, &va)) {
				sanitize_dump(sc, e);
				continue;
			}
			b.len = 0;
			va_name(sc, va, &b);
			json_string_set(e, b.s);
		}
		free(b.s);
		return;
	case JSON_ARRAY:
		json_array_foreach(v, i, e)
			sanitize_dump(sc, e);
		return;
	default:
		return;
	}
}
