/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ioasidctl: inspect I/O address spaces and devices, and run scenarios.
 *
 *   ioasidctl [GLOBAL OPTIONS] COMMAND [ARGS]
 *
 * This file holds main() (global options, command dispatch, `version`) and
 * the helpers the command files share.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ioasidctl.h"

static const char usage_text[] =
	"Usage: ioasidctl [GLOBAL OPTIONS] COMMAND [ARGS]\n"
	"\n"
	"Global options (before the command; --opt VAL or --opt=VAL):\n"
	"  --backend SPEC      sim[:PROFILE], iommufd[:PATH], vfio or auto (default auto)\n"
	"  --profile NAME|FILE simulated IOMMU profile (shorthand for --backend sim:NAME)\n"
	"  --json              print JSON instead of tables\n"
	"  --connect SOCKET    inspect a running VMM at its inspection socket: then the\n"
	"                      commands are list, dump [ID] [--maps], mappings IOAS and\n"
	"                      watch [--events LIST] [--count N] [--timeout SECS]\n"
	"  --help              show this help\n"
	"  --version           show the versions of ioasidctl and libioasid\n"
	"\n"
	"Commands:\n"
	"  list                devices the backend offers\n"
	"  info DEV            a device's capabilities (DEV: sim name, cdev path or PCI BDF)\n"
	"  run FILE [--dump] [--table]\n"
	"                      run a scenario file; prints JSON Lines, one per step\n"
	"  monitor [--count N] [--timeout SECS] [--script FILE]\n"
	"                      print device events until SIGINT/SIGTERM\n"
	"  version             same as --version\n"
	"\n"
	"Exit status: 0 ok, 1 runtime error or failed expectation, 2 usage error or\n"
	"malformed input file, 3 backend or device unavailable.\n"
	"See ioasidctl(1) and docs/scenario-format.md.\n";

/* ------------------------------------------------------------------------ */
/* Shared helpers                                                           */

static void verr(const char *fmt, va_list ap)
{
	fputs("ioasidctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(fmt, ap);
	va_end(ap);
}

int cli_usage_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(fmt, ap);
	va_end(ap);
	fputs("Try 'ioasidctl --help'.\n", stderr);
	return CLI_EXIT_USAGE;
}

void cli_oom(void)
{
	fputs("ioasidctl: out of memory\n", stderr);
	exit(CLI_EXIT_FAIL);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		cli_oom();
	return p;
}

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (!p)
		cli_oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		cli_oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		cli_oom();
	return d;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		cli_oom();
	return s;
}

int cli_dev_entries(struct ioasid_ctx *ctx, struct ioasid_dev_entry **ret, uint32_t *ret_n)
{
	struct ioasid_dev_entry *e = NULL;
	uint32_t n, cap = 0;
	int err;

	for (;;) {
		n = cap;
		err = ctx ? ioasid_dev_list(ctx, e, &n) :
			    ioasid_host_devices_at(cli_sysfs_root(), e, &n);
		if (err != -EMSGSIZE && !(err == 0 && n > cap))
			break;
		cap = n;
		e = xrealloc(e, (size_t)cap * sizeof(*e));
	}
	if (err) {
		free(e);
		return err;
	}
	*ret = e;
	*ret_n = n;
	return 0;
}

json_t *json_hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_string(buf);
}

void json_print_line(FILE *f, json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER |
				  JSON_ENCODE_ANY);

	if (!s)
		cli_oom();
	fputs(s, f);
	fputc('\n', f);
	free(s);
}

const char *cli_pgsizes_str(uint64_t bitmap, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int bit;
	char one[32];

	buf[0] = '\0';
	for (bit = 0; bit < 64; bit++) {
		if (!(bitmap & (UINT64_C(1) << bit)))
			continue;
		ioasid_size_name(UINT64_C(1) << bit, one, sizeof(one));
		off += snprintf(buf + off, off < len ? len - off : 0, "%s%s",
				off ? " " : "", one);
	}
	if (!off)
		snprintf(buf, len, "none");
	return buf;
}

bool cli_spec_is_sim(const char *spec)
{
	return !strcmp(spec, "sim") || !strncmp(spec, "sim:", 4);
}

int cli_resolve_spec(const struct cli_global *g, const char *file_backend,
		     const char *file_profile, char *buf, size_t len)
{
	const char *be;

	if (g->profile) {
		if (g->backend && !cli_spec_is_sim(g->backend))
			return cli_usage_err("--profile %s needs the sim backend, not --backend %s",
					     g->profile, g->backend);
		snprintf(buf, len, "sim:%s", g->profile);
		return 0;
	}
	be = g->backend ? g->backend : file_backend ? file_backend : "auto";
	/*
	 * The file's profile describes the simulated machine the scenario was
	 * written for; it is ignored when the scenario runs on real hardware,
	 * which is how one file serves every backend.
	 */
	if (cli_spec_is_sim(be) && file_profile &&
	    !(g->backend && strchr(g->backend, ':'))) {
		snprintf(buf, len, "sim:%s", file_profile);
		return 0;
	}
	snprintf(buf, len, "%s", be);
	return 0;
}

int cli_exit_for_open_error(int err)
{
	switch (-err) {
	case EINVAL:
	case E2BIG:
	case ENAMETOOLONG:
		/* a malformed spec or profile file: the user's input */
		return CLI_EXIT_USAGE;
	case ENODEV:
	case ENOENT:
	case ENOTDIR:
	case EISDIR: /* a profile path that names no file */
	case EOPNOTSUPP:
	case EACCES:
	case EPERM:
	case ENXIO:
	case EBUSY:
	case EPROTONOSUPPORT:
		return CLI_EXIT_UNAVAIL;
	default:
		return CLI_EXIT_FAIL;
	}
}

int cli_open_ctx(const char *spec, struct ioasid_ctx **ret_ctx)
{
	int err = ioasid_ctx_open(spec, NULL, ret_ctx);

	return err ? cli_open_error(spec, err) : 0;
}

int cli_open_error(const char *spec, int err)
{
	const char *msg = ioasid_last_errmsg();

	if (msg && *msg)
		cli_err("backend %s: %s", spec, msg);
	else
		cli_err("backend %s: %s", spec, strerror(-err));
	return cli_exit_for_open_error(err);
}

/* Names of the global options, to tell a user who put one after the command. */
static const char *const global_names[] = { "backend", "profile", "json",
					    "help",    "version", "connect" };

static void bad_option(const struct cli_args *it, const char *arg, size_t namelen)
{
	size_t i;

	for (i = 0; it->cmd && i < sizeof(global_names) / sizeof(global_names[0]); i++) {
		if (strlen(global_names[i]) == namelen &&
		    !strncmp(global_names[i], arg, namelen)) {
			cli_usage_err("%s: '--%s' is a global option: put it before the command",
				      it->cmd, global_names[i]);
			return;
		}
	}
	cli_usage_err("%s%sunknown option '--%.*s'", it->cmd ? it->cmd : "",
		      it->cmd ? ": " : "", (int)namelen, arg);
}

int cli_next(struct cli_args *it, const struct cli_opt *opts, const char **val)
{
	const char *pfx = it->cmd ? it->cmd : "", *sep = it->cmd ? ": " : "";

	const char *arg, *eq;
	size_t namelen;

	*val = NULL;
	if (it->i >= it->argc)
		return CLI_ARG_END;
	arg = it->argv[it->i++];
	if (it->opts_done || arg[0] != '-' || !strcmp(arg, "-")) {
		*val = arg;
		return CLI_ARG_POS;
	}
	if (!strcmp(arg, "--")) {
		it->opts_done = true;
		return cli_next(it, opts, val);
	}
	if (arg[1] != '-') {
		cli_usage_err("%s%sunknown option '%s'", pfx, sep, arg);
		return CLI_ARG_ERR;
	}
	arg += 2;
	eq = strchr(arg, '=');
	namelen = eq ? (size_t)(eq - arg) : strlen(arg);
	for (; opts && opts->name; opts++) {
		if (strlen(opts->name) != namelen || strncmp(opts->name, arg, namelen))
			continue;
		if (!opts->has_arg) {
			if (eq) {
				cli_usage_err("%s%soption '--%s' takes no value", pfx, sep,
					      opts->name);
				return CLI_ARG_ERR;
			}
			return opts->key;
		}
		if (eq) {
			*val = eq + 1;
		} else if (it->i < it->argc && strncmp(it->argv[it->i], "--", 2)) {
			/* "--backend --json" is a forgotten value, not the value "--json" */
			*val = it->argv[it->i++];
		} else {
			cli_usage_err("%s%soption '--%s' needs a value", pfx, sep,
				      opts->name);
			return CLI_ARG_ERR;
		}
		return opts->key;
	}
	bad_option(it, arg, namelen);
	return CLI_ARG_ERR;
}

/* ------------------------------------------------------------------------ */
/* main                                                                     */

static int cmd_version(const struct cli_global *g, int argc, char **argv)
{
	struct cli_args it = { .argc = argc, .argv = argv, .cmd = "version" };
	const char *val;
	json_t *doc;
	int k;

	while ((k = cli_next(&it, NULL, &val)) != CLI_ARG_END) {
		if (k == CLI_ARG_ERR)
			return CLI_EXIT_USAGE;
		return cli_usage_err("version: unexpected argument '%s'", val);
	}
	if (g && g->json) {
		doc = json_pack("{s:s, s:s}", "ioasidctl", PACKAGE_VERSION,
				"libioasid", ioasid_version());
		json_print_line(stdout, doc);
		json_decref(doc);
	} else {
		printf("ioasidctl %s (libioasid %s)\n", PACKAGE_VERSION,
		       ioasid_version());
	}
	return CLI_EXIT_OK;
}

static const struct {
	const char *name;
	int (*fn)(const struct cli_global *g, int argc, char **argv);
} commands[] = {
	{ "info", cmd_info },
	{ "list", cmd_list },
	{ "monitor", cmd_monitor },
	{ "run", cmd_run },
	{ "version", cmd_version },
};

enum {
	OPT_BACKEND = 1,
	OPT_PROFILE,
	OPT_JSON,
	OPT_HELP,
	OPT_VERSION,
	OPT_CONNECT
};

static const struct cli_opt global_opts[] = {
	{ "backend", true, OPT_BACKEND },
	{ "profile", true, OPT_PROFILE },
	{ "json", false, OPT_JSON },
	{ "help", false, OPT_HELP },
	{ "version", false, OPT_VERSION },
	{ "connect", true, OPT_CONNECT },
	{ NULL, false, 0 },
};

int main(int argc, char **argv)
{
	struct cli_args it = { .argc = argc, .argv = argv, .i = 1 };
	struct cli_global g = { 0 };
	const char *val, *cmd = NULL;
	size_t i;
	int k;

	/* Global options end at the first positional item: the command. */
	while (!cmd) {
		k = cli_next(&it, global_opts, &val);
		switch (k) {
		case CLI_ARG_END:
			return cli_usage_err("no command given");
		case CLI_ARG_ERR:
			return CLI_EXIT_USAGE;
		case CLI_ARG_POS:
			cmd = val;
			break;
		case OPT_BACKEND:
			if (!*val)
				return cli_usage_err("--backend needs a non-empty SPEC");
			g.backend = val;
			break;
		case OPT_PROFILE:
			if (!*val)
				return cli_usage_err("--profile needs a non-empty NAME or FILE");
			g.profile = val;
			break;
		case OPT_JSON:
			g.json = true;
			break;
		case OPT_CONNECT:
			if (!*val)
				return cli_usage_err("--connect needs a non-empty SOCKET path");
			g.connect = val;
			break;
		case OPT_HELP:
			fputs(usage_text, stdout);
			return CLI_EXIT_OK;
		case OPT_VERSION:
			return cmd_version(&g, 0, NULL);
		}
	}
	if (g.connect) {
		if (g.backend || g.profile)
			return cli_usage_err(
				"--connect inspects a running VMM: --backend and --profile do not apply");
		return cmd_connect(&g, cmd, argc - it.i, argv + it.i);
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, cmd))
			return commands[i].fn(&g, argc - it.i, argv + it.i);
	if (!strcmp(cmd, "help")) {
		fputs(usage_text, stdout);
		return CLI_EXIT_OK;
	}
	return cli_usage_err("unknown command '%s'", cmd);
}
