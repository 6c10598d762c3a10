/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Loading a scenario: read the file, expand ${VAR}, check every step
 * against the op table (keys, types, labels, the op's own check) and define
 * the labels, all before anything runs. Also scenario_free().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../ioasidctl.h"
#include "private.h"

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */

/* "ioasidctl: FILE: steps[3].iova: message"; returns CLI_EXIT_USAGE. */
int lerr(struct loader *l, const char *key, const char *fmt, ...)
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
/* ${VAR}                                                                   */

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
/* Steps                                                                    */

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
		 "expect, expect_value, comment");
}

/* The step is an object naming a known op; its strings' ${VAR} expanded. */
static int step_op(struct loader *l, json_t *js, struct step *s)
{
	const struct arg_spec *spec;
	const char *opname;
	size_t nargs = 0;
	char show[80];
	json_t *v;
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
	return 0;
}

/* "expect": "ok" or an errno name. */
static int step_expect(struct loader *l, const json_t *v, struct step *s)
{
	const char *e = json_string_value(v);
	char show[80];

	if (e && !strcmp(e, "ok"))
		s->expect = 0;
	else if (e && ioasid_errno_from_name(e))
		s->expect = ioasid_errno_from_name(e);
	else
		return lerr(l, "expect", "%s is not \"ok\" or an errno name such as \"EEXIST\"",
			    jshow(v, show, sizeof(show)));
	return 0;
}

/* One key of a step other than "op" and "as": comment, expect or an argument. */
static int step_key(struct loader *l, const char *k, json_t *v, struct step *s)
{
	char show[80], keys[512];
	size_t i;

	if (!strcmp(k, "comment")) {
		if (!json_is_string(v))
			return lerr(l, k, "%s is not a string", jshow(v, show, sizeof(show)));
		return 0;
	}
	if (!strcmp(k, "expect"))
		return step_expect(l, v, s);
	if (!strcmp(k, "expect_value")) {
		/* compared member by member with the step's value (run.c) */
		if (!json_is_object(v))
			return lerr(l, k, "%s is not an object", jshow(v, show, sizeof(show)));
		s->expect_value = v;
		return 0;
	}
	for (i = 0; s->op->args[i].key; i++)
		if (!strcmp(s->op->args[i].key, k))
			return parse_arg(l, &s->op->args[i], v, &s->vals[i]);
	allowed_keys(s->op, keys, sizeof(keys));
	return lerr(l, k, "unknown argument of op %s (it takes: %s)", s->op->name, keys);
}

/* "as": a new label of the kind the op makes. */
static int step_label(struct loader *l, const json_t *v, struct step *s)
{
	struct label *old, *lb;
	char show[80];

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
	label_add(l->sc, lb);
	s->as = lb;
	return 0;
}

static int load_step(struct loader *l, json_t *js, struct step *s)
{
	const char *k;
	json_t *v;
	size_t i;
	int err;

	err = step_op(l, js, s);
	if (err)
		return err;
	json_object_foreach(js, k, v) {
		/* "as" after the arguments: a step cannot name itself */
		if (!strcmp(k, "op") || !strcmp(k, "as"))
			continue;
		err = step_key(l, k, v, s);
		if (err)
			return err;
	}
	for (i = 0; s->op->args[i].key; i++)
		if (s->op->args[i].required && !s->vals[i].present)
			return lerr(l, s->op->args[i].key, "missing (op %s needs it)",
				    s->op->name);
	v = json_object_get(js, "as");
	if (v) {
		err = step_label(l, v, s);
		if (err)
			return err;
	}
	if (s->op->check)
		return s->op->check(l, s);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The file                                                                 */

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

/* Reading a file for jansson, at most SCEN_FILE_MAX bytes of it. */
struct capped_file {
	FILE *f;
	uint64_t got;
	bool too_big;
	int err; /* errno of a failed read */
};

static size_t read_capped(void *buf, size_t len, void *data)
{
	struct capped_file *c = data;
	size_t n = fread(buf, 1, len, c->f);

	if (!n && ferror(c->f)) {
		c->err = errno ? errno : EIO;
		return (size_t)-1;
	}
	c->got += n;
	if (c->got > SCEN_FILE_MAX) {
		c->too_big = true;
		return (size_t)-1;
	}
	return n;
}

/* The file as JSON: CLI_EXIT_OK, or CLI_EXIT_USAGE after the message. */
static int load_json(struct scenario *sc, const char *path)
{
	struct capped_file c = { .f = fopen(path, "re") };
	json_error_t jerr;

	if (!c.f) {
		cli_err("%s: cannot open: %s", path, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	sc->root = json_load_callback(read_capped, &c, JSON_REJECT_DUPLICATES, &jerr);
	fclose(c.f);
	if (sc->root)
		return CLI_EXIT_OK;
	if (c.too_big)
		cli_err("%s: more than 0x%" PRIx64 " bytes: a scenario file is at most 16 MiB",
			path, SCEN_FILE_MAX);
	else if (c.err)
		cli_err("%s: cannot read: %s", path, strerror(c.err));
	else if (jerr.line < 1)
		cli_err("%s: %s", path, jerr.text);
	else
		cli_err("%s:%d:%d: not valid JSON: %s%s", path, jerr.line,
			jerr.column, jerr.text,
			strstr(jerr.text, "too big integer") ?
			" (write numbers above 2^63 as \"0x...\" strings)" : "");
	return CLI_EXIT_USAGE;
}

/* The keys beside "steps": backend, profile, description. */
static int load_top(struct loader *l, const char *path)
{
	struct scenario *sc = l->sc;
	char show[80];
	const char *k;
	json_t *v;
	int err;

	if (!json_is_object(sc->root))
		return lerr(l, NULL, "%s is not a scenario (an object {\"steps\": [...]})",
			    jshow(sc->root, show, sizeof(show)));
	json_object_foreach(sc->root, k, v) {
		if (!strcmp(k, "steps"))
			continue;
		if (strcmp(k, "backend") && strcmp(k, "profile") && strcmp(k, "description"))
			return lerr(l, k, "unknown key (a scenario has backend, profile, description, steps)");
		if (strcmp(k, "description")) {
			err = expand_all(l, k, v);
			if (err)
				return err;
		}
		if (!json_is_string(v) || !*json_string_value(v))
			return lerr(l, k, "%s is not a non-empty string", jshow(v, show, sizeof(show)));
	}
	sc->backend = json_string_value(json_object_get(sc->root, "backend"));
	v = json_object_get(sc->root, "profile");
	if (v)
		sc->profile = profile_path(path, json_string_value(v));
	return 0;
}

static int load_steps(struct loader *l)
{
	struct scenario *sc = l->sc;
	json_t *steps = json_object_get(sc->root, "steps");
	char show[80];
	size_t i;
	int err;

	if (!steps)
		return lerr(l, "steps", "missing (a scenario is {\"steps\": [...]})");
	if (!json_is_array(steps))
		return lerr(l, "steps", "%s is not a list of steps", jshow(steps, show, sizeof(show)));
	sc->nr_steps = json_array_size(steps);
	sc->steps = xcalloc(sc->nr_steps, sizeof(*sc->steps));
	for (i = 0; i < sc->nr_steps; i++) {
		snprintf(l->path, sizeof(l->path), "steps[%zu]", i);
		sc->steps[i].index = i;
		err = load_step(l, json_array_get(steps, i), &sc->steps[i]);
		if (err)
			return err;
	}
	return 0;
}

int scenario_load(const char *path, struct scenario **ret)
{
	struct scenario *sc = xcalloc(1, sizeof(*sc));
	struct loader l = { .sc = sc };
	int err;

	op_table_check();
	*ret = NULL;
	sc->file = xstrdup(path);
	err = load_json(sc, path);
	if (!err)
		err = load_top(&l, path);
	if (!err)
		err = load_steps(&l);
	if (err) {
		scenario_free(sc);
		return err;
	}
	*ret = sc;
	return CLI_EXIT_OK;
}

const char *scenario_backend(const struct scenario *sc)
{
	return sc->backend;
}

const char *scenario_profile(const struct scenario *sc)
{
	return sc->profile;
}

/* The indexes point into sc->labels and sc->mems, which free their entries. */
static void index_node_keep(void *p)
{
	(void)p;
}

void scenario_free(struct scenario *sc)
{
	size_t i, j;

	if (!sc)
		return;
	tdestroy(sc->label_index, index_node_keep);
	tdestroy(sc->id_index, index_node_keep);
	tdestroy(sc->mem_index, index_node_keep);
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
