/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The scenario engine behind `ioasidctl run` (and `monitor --script`).
 *
 * A scenario file is checked completely before anything runs: JSON syntax,
 * every key and type, numbers, ${VAR} references, labels (defined before
 * use, never reused, of the right kind) and the buffer bounds of every map.
 * Only then are the steps run, all of them, whatever they return. See
 * docs/scenario-format.md for the format and the value of each op.
 */
#ifndef IOASIDCTL_SCENARIO_H
#define IOASIDCTL_SCENARIO_H

#include <stdbool.h>
#include <stdio.h>

#include <ioasid/ioasid.h>

struct scenario;

/*
 * scenario_load() - read and check a scenario file.
 * @path: the file.
 * @ret: the scenario (free with scenario_free()).
 * Return: CLI_EXIT_OK, or CLI_EXIT_USAGE after printing
 * "ioasidctl: FILE: steps[N].KEY: message" to stderr.
 */
int scenario_load(const char *path, struct scenario **ret);

/*
 * scenario_free() - free a scenario, including the memory its buffers and
 * maps allocated. Call it after the context the steps ran on is closed, so
 * no mapping outlives the memory behind it. NULL is fine.
 */
void scenario_free(struct scenario *sc);

/* The file's "backend" and "profile" (relative profile paths resolved
 * against the file's directory); NULL when absent. */
const char *scenario_backend(const struct scenario *sc);
const char *scenario_profile(const struct scenario *sc);

enum scenario_output {
	SCENARIO_OUT_JSONL, /* one JSON line per step (the default) */
	SCENARIO_OUT_TABLE, /* aligned tables: steps, then mappings per IOAS */
	SCENARIO_OUT_NONE,  /* nothing on stdout; failed expectations on stderr */
};

struct scenario_run_opts {
	enum scenario_output output;
	bool dump; /* end with the context's state (ioasid_json_ctx()) */
	/* Asked before every step; true stops the run there (monitor --count). */
	bool (*stop)(void *data);
	void *data;
};

/*
 * scenario_run() - run every step on @ctx, printing as @o asks.
 * Return: CLI_EXIT_OK, or CLI_EXIT_FAIL when a step's result differed from
 * its "expect".
 */
int scenario_run(struct scenario *sc, struct ioasid_ctx *ctx,
		 const struct scenario_run_opts *o);

#endif /* IOASIDCTL_SCENARIO_H */
