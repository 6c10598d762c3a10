/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ioasidctl: what the command files share — exit codes, global options,
 * the command-line item parser, error printing and a few JSON helpers.
 *
 * The CLI is a client of the public API only (<ioasid/ioasid.h>); it never
 * includes lib/ internals, so it shows what any VMM can do.
 */
#ifndef IOASIDCTL_H
#define IOASIDCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include <ioasid/ioasid.h>

/* Exit codes; docs/ioasidctl.1 (EXIT STATUS) documents them for users. */
enum {
	CLI_EXIT_OK = 0,      /* success */
	CLI_EXIT_FAIL = 1,    /* runtime error or failed expectation */
	CLI_EXIT_USAGE = 2,   /* bad usage or malformed input file */
	CLI_EXIT_UNAVAIL = 3, /* backend or device unavailable */
};

/* Global options: they come before the command. */
struct cli_global {
	const char *backend; /* --backend, NULL when not given */
	const char *profile; /* --profile, NULL when not given */
	bool json;           /* --json */
	const char *connect; /* --connect SOCKET: inspect a running VMM (cmd-connect.c) */
};

/*
 * Command-line items after the command name. Options and positional
 * arguments may be mixed; "--opt VAL" and "--opt=VAL" are both accepted and
 * "--" ends the options.
 */
struct cli_opt {
	const char *name; /* without the leading "--" */
	bool has_arg;
	int key;          /* > 0, returned by cli_next() */
};

struct cli_args {
	int argc;
	char **argv;
	int i;             /* next item */
	const char *cmd;   /* for messages */
	bool opts_done;    /* after "--" */
};

#define CLI_ARG_POS 0   /* a positional argument, in *val */
#define CLI_ARG_END (-1) /* no more items */
#define CLI_ARG_ERR (-2) /* bad option; the message is printed */

int cli_next(struct cli_args *it, const struct cli_opt *opts, const char **val);

/* Commands: each returns an exit code. */
int cmd_list(const struct cli_global *g, int argc, char **argv);
int cmd_info(const struct cli_global *g, int argc, char **argv);
int cmd_run(const struct cli_global *g, int argc, char **argv);
int cmd_monitor(const struct cli_global *g, int argc, char **argv);
/* list, dump, mappings or watch (@cmd) on the endpoint of g->connect. */
int cmd_connect(const struct cli_global *g, const char *cmd, int argc, char **argv);

/* "ioasidctl: MESSAGE" on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As cli_err() plus a pointer to --help; returns CLI_EXIT_USAGE. */
int cli_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The backend spec a command runs on: the global options over what an
 * input file says (@file_backend, @file_profile may be NULL). Precedence:
 * --profile, --backend, the file's "profile", the file's "backend", "auto".
 * A profile applies only to the sim. Return: 0, or CLI_EXIT_USAGE with the
 * message printed (e.g. --profile with a non-sim --backend).
 */
int cli_resolve_spec(const struct cli_global *g, const char *file_backend,
		     const char *file_profile, char *buf, size_t len);

/* Whether @spec names the sim ("sim" or "sim:PROFILE"). */
bool cli_spec_is_sim(const char *spec);

/*
 * Open a context; on failure print the library's message and return the
 * exit code that fits the errno (2 for a malformed spec or profile, 3 for
 * an unavailable backend, 1 otherwise).
 */
int cli_open_ctx(const char *spec, struct ioasid_ctx **ret_ctx);

/* The exit code for a failed ioasid_ctx_open() errno (negative). */
int cli_exit_for_open_error(int err);

/* Print why ioasid_ctx_open(@spec) failed with @err; return its exit code. */
int cli_open_error(const char *spec, int err);

/*
 * cli_open_ctx() for list and info (bare-host.c): when no kernel backend
 * is usable (exit 3, not the sim), print the host's PCI devices behind an
 * IOMMU instead -- all of them, or only @dev for info -- and one line on
 * stderr saying why and how to try the sim, and return CLI_EXIT_UNAVAIL.
 */
int cli_open_for_host(const struct cli_global *g, const char *spec, const char *dev,
		      struct ioasid_ctx **ret_ctx);

/* Where host devices are looked up: $IOASIDCTL_SYSFS_ROOT (tests) or /sys. */
const char *cli_sysfs_root(void);

/*
 * list's output (cmd-list.c): device entries as a table or, with --json,
 * an object with the backend (null with no @ctx, then @unusable says why).
 */
/* One device entry as list --json prints it. */
json_t *list_entry_json(const struct ioasid_dev_entry *e);
void list_print(const struct cli_global *g, struct ioasid_ctx *ctx, const char *unusable,
		const struct ioasid_dev_entry *e, uint32_t n);

/*
 * Every device entry of @ctx's backend (ioasid_dev_list()), or of the host
 * when @ctx is NULL (ioasid_host_devices()), in a new array (*ret, freed by
 * the caller; the array grows while the list does). Return: 0 or the errno.
 */
int cli_dev_entries(struct ioasid_ctx *ctx, struct ioasid_dev_entry **ret, uint32_t *ret_n);

/* Allocation that cannot fail: a CLI has nothing better to do than exit. */
/* "out of memory" and exit 1. */
void cli_oom(void) __attribute__((noreturn));
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* JSON helpers: 64-bit values as "0x..." strings (JSON numbers stop at 2^53). */
json_t *json_hex(uint64_t v);
/* Print @doc as one line (JSON Lines) and a newline; steals nothing. */
void json_print_line(FILE *f, json_t *doc);

/* Page sizes of a bitmap as "4K 2M 1G" (@buf of at least 256 bytes). */
const char *cli_pgsizes_str(uint64_t bitmap, char *buf, size_t len);

/*
 * The summary of a capability chain for the scenario's `dev_info`
 * (cmd-info.c): the library's brief form of the chain (ioasid_json_caps()
 * with IOASID_JSON_BRIEF) as an object; NULL when the chain is malformed.
 */
json_t *caps_summary_json(const void *buf, size_t len);

#endif /* IOASIDCTL_H */
