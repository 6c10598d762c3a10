/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Outputs that do not depend on the run: process addresses differ from
 * run to run, object ids from backend to backend. Values and messages
 * name memory and objects by their labels instead.
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
char *sanitize_text(const struct scenario *sc, const char *msg)
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

void sanitize_json(const struct scenario *sc, json_t *v)
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
