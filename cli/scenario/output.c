/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a run prints: a JSON line per step (the default), an aligned table
 * of steps and then of the mappings of every live IOAS (--table), nothing
 * but failed expectations (monitor --script), and the final state (--dump).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "../ioasidctl.h"
#include "../table.h"
#include "private.h"

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
		sanitize_dump(r->sc, j);
		json_print_line(out, j);
		json_decref(j);
	} else {
		fprintf(out, "%s\n", doc);
	}
	ioasid_json_free(doc);
}

static const char *expect_name(const struct step *s, char *buf, size_t len)
{
	return s->expect ? result_name(-s->expect, buf, len) : "ok";
}

/* The step's result is not its "expect" (its value may differ alone). */
static bool result_differs(const struct step *s, const struct step_result *sr)
{
	return s->expect >= 0 && s->expect != -sr->err;
}

static void emit_jsonl(const struct step *s, const struct step_result *sr)
{
	json_t *line = json_object();
	char ebuf[16];

	json_object_set_new(line, "step", json_integer((json_int_t)s->index));
	json_object_set_new(line, "op", json_string(s->op->name));
	json_object_set_new(line, "result", json_string(sr->name));
	if (result_differs(s, sr))
		json_object_set_new(line, "expected",
				    json_string(expect_name(s, ebuf, sizeof(ebuf))));
	json_object_set_new(line, "value", json_incref(sr->value));
	if (sr->value_key)
		json_object_set_new(line, "expected_value", json_incref(s->expect_value));
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
	if (s->expect < 0 && !sr->value_key)
		table_cell(t, "");
	else if (s->expect < 0)
		table_cellf(t, "VALUE MISMATCH (%s)", sr->value_key);
	else
		table_cellf(t, "%s%s", expect_name(s, ebuf, sizeof(ebuf)),
			    result_differs(s, sr) ? " MISMATCH" :
			    sr->value_key         ? " VALUE MISMATCH" :
						    "");
	table_cell(t, sb_str(&b));
	free(b.s);
}

void output_begin(struct run *r)
{
	struct table *t;

	if (r->o->output != SCENARIO_OUT_TABLE)
		return;
	t = table_new();
	table_column(t, "STEP", TABLE_RIGHT);
	table_column(t, "OP", TABLE_LEFT);
	table_column(t, "RESULT", TABLE_LEFT);
	table_column(t, "EXPECTED", TABLE_LEFT);
	table_column(t, "DETAIL", TABLE_LEFT);
	r->steps = t;
}

/* "value.KEY: expected X, got Y" for --quiet-like output (SCENARIO_OUT_NONE). */
static void value_mismatch_err(struct run *r, const struct step *s, const struct step_result *sr)
{
	char want[80], got[80];
	json_t *g = json_object_get(sr->value, sr->value_key);

	cli_err("%s: steps[%zu] (%s): value.%s: expected %s, got %s", r->sc->file, s->index,
		s->op->name, sr->value_key,
		jshow(json_object_get(s->expect_value, sr->value_key), want, sizeof(want)),
		g ? jshow(g, got, sizeof(got)) : "nothing");
}

void output_step(struct run *r, const struct step *s, const struct step_result *sr)
{
	char ebuf[16];

	if (r->o->output == SCENARIO_OUT_JSONL)
		emit_jsonl(s, sr);
	else if (r->o->output == SCENARIO_OUT_TABLE)
		emit_row(r->steps, s, sr);
	else if (result_differs(s, sr))
		cli_err("%s: steps[%zu] (%s): expected %s, got %s%s%s", r->sc->file, s->index,
			s->op->name, expect_name(s, ebuf, sizeof(ebuf)), sr->name,
			sr->message ? ": " : "", sr->message ? sr->message : "");
	else if (sr->value_key)
		value_mismatch_err(r, s, sr);
}

void output_end(struct run *r)
{
	if (r->steps) {
		table_print(r->steps, stdout);
		table_free(r->steps);
		r->steps = NULL;
		printf("\n%zu step%s run, %zu refused, %zu unexpected result%s\n", r->nr_run,
		       r->nr_run == 1 ? "" : "s", r->nr_refused, r->nr_failed,
		       r->nr_failed == 1 ? "" : "s");
		print_mapping_tables(r, stdout);
		if (r->o->dump)
			fputc('\n', stdout);
	}
	if (r->o->dump && r->o->output != SCENARIO_OUT_NONE)
		print_dump(r, stdout);
}
