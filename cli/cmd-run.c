/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ioasidctl run FILE [--dump] [--table]: run a scenario file.
 *
 * The file is checked completely first (exit 2 when malformed, before the
 * backend is even opened), then the backend is opened (exit 3 when it is
 * unavailable) and every step runs. Exit 1 when a step's result differs
 * from its "expect".
 */
#include <string.h>

#include "ioasidctl.h"
#include "scenario/scenario.h"

static const char run_usage[] =
	"Usage: ioasidctl [GLOBAL OPTIONS] run FILE [--dump] [--table]\n"
	"  --dump   end with the final state of the context (one JSON line)\n"
	"  --table  print aligned tables instead of JSON Lines\n";

enum { OPT_DUMP = 1, OPT_TABLE, OPT_HELP };

static const struct cli_opt run_opts[] = {
	{ "dump", false, OPT_DUMP },
	{ "table", false, OPT_TABLE },
	{ "help", false, OPT_HELP },
	{ NULL, false, 0 },
};

int cmd_run(const struct cli_global *g, int argc, char **argv)
{
	struct cli_args it = { .argc = argc, .argv = argv, .cmd = "run" };
	struct scenario_run_opts o = { .output = SCENARIO_OUT_JSONL };
	struct ioasid_ctx *ctx = NULL;
	struct scenario *sc = NULL;
	const char *val, *file = NULL;
	char spec[512];
	int k, rc;

	while ((k = cli_next(&it, run_opts, &val)) != CLI_ARG_END) {
		switch (k) {
		case CLI_ARG_ERR:
			return CLI_EXIT_USAGE;
		case CLI_ARG_POS:
			if (file)
				return cli_usage_err("run: one scenario FILE at a time ('%s' and '%s')",
						     file, val);
			file = val;
			break;
		case OPT_DUMP:
			o.dump = true;
			break;
		case OPT_TABLE:
			o.output = SCENARIO_OUT_TABLE;
			break;
		case OPT_HELP:
			fputs(run_usage, stdout);
			return CLI_EXIT_OK;
		}
	}
	if (!file)
		return cli_usage_err("run: missing the scenario FILE");
	if (g->json && o.output == SCENARIO_OUT_TABLE)
		return cli_usage_err("run: --table and --json exclude each other");

	rc = scenario_load(file, &sc);
	if (rc)
		return rc;
	rc = cli_resolve_spec(g, scenario_backend(sc), scenario_profile(sc), spec,
			      sizeof(spec));
	if (!rc)
		rc = cli_open_ctx(spec, &ctx);
	if (!rc)
		rc = scenario_run(sc, ctx, &o);
	/* the context first: no mapping may outlive the memory behind it */
	ioasid_ctx_close(ctx);
	scenario_free(sc);
	return rc;
}
