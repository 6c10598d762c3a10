/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Running a scenario: every step, whatever the ones before returned, on
 * scenario time; output.c prints what each did.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "../ioasidctl.h"
#include "private.h"

/* A failure of the harness itself (e.g. mmap), not of the library. */
int harness_err(struct run *r, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	return err;
}

/*
 * The first member of the step's "expect_value" that its value lacks or
 * holds differently (json_equal(): the same type and contents), or NULL.
 * Only the members given are compared, so a file names what it cares about.
 */
static const char *value_differs(const struct step *s, json_t *value)
{
	const char *key;
	json_t *want;

	if (!s->expect_value)
		return NULL;
	json_object_foreach(s->expect_value, key, want) {
		json_t *got = json_object_get(value, key);

		if (!got || !json_equal(got, want))
			return key;
	}
	return NULL;
}

static void run_step(struct run *r, const struct step *s, struct step_result *sr)
{
	const char *msg;
	int err;

	r->msg[0] = '\0';
	sr->value = json_object();
	err = s->op->run(r, s, sr->value);
	if (s->as)
		label_note_id(r->sc, s->as);
	if (err > 0)
		err = -err;
	sr->err = err;
	sr->mismatch = s->expect >= 0 && s->expect != -err;
	sr->value_key = err ? NULL : value_differs(s, sr->value);
	if (sr->value_key)
		sr->mismatch = true;
	sr->name = err ? result_name(err, sr->buf, sizeof(sr->buf)) : "ok";
	sr->message = NULL;
	if (err) {
		/* a failed step reports no value, only why */
		json_object_clear(sr->value);
		msg = r->msg[0] ? r->msg : ioasid_ctx_errmsg(r->ctx);
		sr->message = sanitize_text(r->sc, msg ? msg : "");
	}
}

/* The clock of the fault timeouts: scenario time, moved by clock_advance. */
static uint64_t scenario_clock(void *data)
{
	return ((const struct scenario *)data)->now_ns;
}

/* The virtio-iommus' objects live in the context, which the caller closes next. */
static void virtio_iommus_free(struct scenario *sc)
{
	size_t i;

	for (i = 0; i < sc->nr_virtio_iommus; i++)
		ioasid_virtio_iommu_free(sc->virtio_iommus[i]);
	sc->nr_virtio_iommus = 0;
	for (i = 0; i < sc->nr_labels; i++)
		if (sc->labels[i]->kind == K_VIRTIO_IOMMU)
			sc->labels[i]->live = false;
}

int scenario_run(struct scenario *sc, struct ioasid_ctx *ctx,
		 const struct scenario_run_opts *o)
{
	struct run r = { .sc = sc, .ctx = ctx, .o = o };
	struct step_result sr;
	size_t i;

	/*
	 * Unanswered page requests time out by scenario time, not wall time,
	 * so that a run never depends on how fast it is (the library runs no
	 * timer thread then). @sc outlives @ctx: the callers close the context
	 * before scenario_free().
	 */
	sc->now_ns = 0;
	ioasid_ctx_set_clock(ctx, scenario_clock, sc);

	output_begin(&r);
	for (i = 0; i < sc->nr_steps; i++) {
		const struct step *s = &sc->steps[i];

		if (o->stop && o->stop(o->data))
			break;
		run_step(&r, s, &sr);
		r.nr_run++;
		r.nr_failed += sr.mismatch;
		r.nr_refused += sr.err != 0;
		output_step(&r, s, &sr);
		free(sr.message);
		json_decref(sr.value);
	}
	output_end(&r);
	virtio_iommus_free(sc);
	fflush(stdout);
	return r.nr_failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
