/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ioasidctl --connect SOCKET list | dump [ID] | mappings IOAS | watch: the
 * client of a running VMM's inspection endpoint (ioasid_inspect_start(),
 * docs/inspection.md). It speaks the protocol over the socket and nothing
 * else: no context is opened here.
 *
 *   list            the context's objects, one row each
 *   dump [ID]       the JSON document of the context or of object ID
 *   mappings IOAS   the IOAS's areas, paged through to the end
 *   watch           events as they happen, until SIGINT, --count or --timeout
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ioasidctl.h"
#include "table.h"

struct conn {
	int fd;
	const char *path;
	uint64_t tag;
	char *buf; /* what was received and not read yet */
	size_t len, cap;
};

static int conn_open(const char *path, struct conn *c)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	memset(c, 0, sizeof(*c));
	c->path = path;
	if (strlen(path) >= sizeof(a.sun_path))
		return cli_usage_err("--connect %s: longer than a Unix socket address holds", path);
	memcpy(a.sun_path, path, strlen(path));
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof(a))) {
		cli_err("--connect %s: %s", path, strerror(errno));
		if (c->fd >= 0)
			close(c->fd);
		return CLI_EXIT_UNAVAIL;
	}
	return CLI_EXIT_OK;
}

static void conn_close(struct conn *c)
{
	free(c->buf);
	close(c->fd);
}

/* Read one message; NULL (message printed) when the endpoint hung up. */
static json_t *conn_read(struct conn *c)
{
	json_error_t jerr;
	json_t *m;
	char *nl;
	size_t n;

	while (!(nl = c->len ? memchr(c->buf, '\n', c->len) : NULL)) {
		ssize_t got;

		if (c->cap - c->len < 65536) {
			c->cap = c->cap ? c->cap * 2 : 131072;
			c->buf = xrealloc(c->buf, c->cap);
		}
		got = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			cli_err("--connect %s: the endpoint closed the connection", c->path);
			return NULL;
		}
		c->len += (size_t)got;
	}
	n = (size_t)(nl - c->buf);
	m = json_loadb(c->buf, n, 0, &jerr);
	memmove(c->buf, nl + 1, c->len - n - 1);
	c->len -= n + 1;
	if (!json_is_object(m)) {
		cli_err("--connect %s: not a protocol message: %s", c->path, jerr.text);
		json_decref(m);
		return NULL;
	}
	return m;
}

/*
 * Send @req (stolen; "v" and "tag" are added) and read its answer: the
 * "result" (a new reference), or NULL with the endpoint's error printed.
 * Events that arrive meanwhile are skipped.
 */
static json_t *conn_call(struct conn *c, json_t *req, int *rc)
{
	uint64_t tag = ++c->tag;
	json_t *m, *res = NULL;
	char *s;
	size_t len;

	json_object_set_new(req, "v", json_integer(IOASID_INSPECT_PROTOCOL));
	json_object_set_new(req, "tag", json_integer((json_int_t)tag));
	s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!s)
		cli_oom();
	len = strlen(s);
	s[len] = '\n';
	if (send(c->fd, s, len + 1, MSG_NOSIGNAL) != (ssize_t)(len + 1)) {
		cli_err("--connect %s: send: %s", c->path, strerror(errno));
		free(s);
		*rc = CLI_EXIT_FAIL;
		return NULL;
	}
	free(s);
	*rc = CLI_EXIT_FAIL;
	while ((m = conn_read(c))) {
		json_t *t = json_object_get(m, "tag");

		/* a refusal (another uid, too many clients) has no tag: it is the last line */
		bool refused = json_is_false(json_object_get(m, "ok")) && !t;

		if (!refused && (json_object_get(m, "event") || !json_is_integer(t) ||
				 (uint64_t)json_integer_value(t) != tag)) {
			json_decref(m);
			continue;
		}
		if (json_is_true(json_object_get(m, "ok"))) {
			res = json_incref(json_object_get(m, "result"));
			*rc = CLI_EXIT_OK;
		} else {
			json_t *e = json_object_get(m, "error");

			cli_err("%s: %s", json_string_value(json_object_get(e, "errno")) ?: "error",
				json_string_value(json_object_get(e, "message")) ?: "(no message)");
		}
		json_decref(m);
		break;
	}
	return res;
}

static const char *str_of(json_t *o, const char *key, char *buf, size_t len)
{
	json_t *v = json_object_get(o, key);

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	return "";
}

/* A short summary of an object of the dump, from the members it has. */
static void object_detail(json_t *o, char *buf, size_t len)
{
	static const char *const keys[] = { "name",         "ioas",        "set",   "nr_areas",
					    "mapped_bytes", "nr_attached", "depth", "pending" };
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]) && n < len; i++) {
		char tmp[32];
		const char *v = str_of(o, keys[i], tmp, sizeof(tmp));

		if (*v)
			n += (size_t)snprintf(buf + n, len - n, "%s%s=%s", n ? " " : "", keys[i], v);
	}
}

static int do_list(const struct cli_global *g, struct conn *c)
{
	static const char *const lists[] = { "sets",     "ioas",     "devices",
					     "hwpts",    "queues",   "viommus",
					     "vdevices", "veventqs", "hw_queues" };
	json_t *doc, *req = json_pack("{s:s,s:b}", "op", "dump", "maps", 0);
	struct table *t;
	int rc;
	size_t i, j;

	doc = conn_call(c, req, &rc);
	if (!doc)
		return rc;
	if (g->json) {
		json_print_line(stdout, doc);
		json_decref(doc);
		return CLI_EXIT_OK;
	}
	printf("backend %s\n", json_string_value(json_object_get(doc, "backend")) ?: "?");
	t = table_new();
	table_column(t, "ID", TABLE_RIGHT);
	table_column(t, "KIND", TABLE_LEFT);
	table_column(t, "DETAIL", TABLE_LEFT);
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		json_t *arr = json_object_get(doc, lists[i]), *o;

		json_array_foreach(arr, j, o) {
			char id[24], detail[256];

			object_detail(o, detail, sizeof(detail));
			table_cell(t, str_of(o, "id", id, sizeof(id)));
			table_cell(t, json_string_value(json_object_get(o, "kind")) ?: lists[i]);
			table_cell(t, detail);
		}
	}
	table_print(t, stdout);
	table_free(t);
	json_decref(doc);
	return CLI_EXIT_OK;
}

static int parse_u32(const char *what, const char *s, uint32_t *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || !*s || v == 0 || v > UINT32_MAX || *s == '-')
		return cli_usage_err("%s '%s' is not an id (1 to %u)", what, s, UINT32_MAX);
	*ret = (uint32_t)v;
	return CLI_EXIT_OK;
}

static int do_dump(const struct cli_global *g, struct conn *c, const char *id, bool maps)
{
	json_t *doc, *req;
	uint32_t v = 0;
	int rc;

	/* the ID first: a bad one is a usage error with nothing made yet */
	if (id) {
		rc = parse_u32("dump: ID", id, &v);
		if (rc)
			return rc;
	}
	req = json_pack("{s:s,s:b}", "op", "dump", "maps", maps);
	if (id)
		json_object_set_new(req, "id", json_integer(v));
	doc = conn_call(c, req, &rc);
	if (!doc)
		return rc;
	if (g->json) {
		json_print_line(stdout, doc);
	} else {
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	}
	json_decref(doc);
	return CLI_EXIT_OK;
}

static int do_mappings(const struct cli_global *g, struct conn *c, const char *ioas_s)
{
	json_t *all, *next = NULL;
	uint32_t ioas;
	int rc = parse_u32("mappings: IOAS", ioas_s, &ioas);
	size_t i;
	json_t *m;

	if (rc)
		return rc;
	all = json_array();
	do {
		json_t *req = json_pack("{s:s,s:i,s:i}", "op", "mappings", "ioas", (json_int_t)ioas,
					"count", 1024),
		       *res;

		if (next)
			json_object_set(req, "from", next);
		res = conn_call(c, req, &rc);
		json_decref(next);
		next = NULL;
		if (!res) {
			json_decref(all);
			return rc;
		}
		json_array_extend(all, json_object_get(res, "mappings"));
		next = json_incref(json_object_get(res, "next"));
		if (json_is_null(next)) {
			json_decref(next);
			next = NULL;
		}
		json_decref(res);
	} while (next);
	if (g->json) {
		json_t *doc = json_pack("{s:i,s:o}", "ioas", (json_int_t)ioas, "mappings", all);

		json_print_line(stdout, doc);
		json_decref(doc);
		return CLI_EXIT_OK;
	}
	{
		struct table *t = table_new();

		table_column(t, "IOVA", TABLE_RIGHT);
		table_column(t, "LENGTH", TABLE_RIGHT);
		table_column(t, "UVA", TABLE_RIGHT);
		table_column(t, "PERM", TABLE_LEFT);
		json_array_foreach(all, i, m) {
			table_cell(t, json_string_value(json_object_get(m, "iova")) ?: "");
			table_cell(t, json_string_value(json_object_get(m, "length")) ?: "");
			table_cell(t, json_string_value(json_object_get(m, "uva")) ?: "");
			table_cell(t, json_string_value(json_object_get(m, "perm")) ?: "");
		}
		table_print(t, stdout);
		table_free(t);
	}
	json_decref(all);
	return CLI_EXIT_OK;
}

/* One event as a table line. */
static void print_event(json_t *e)
{
	const char *kind = json_string_value(json_object_get(e, "event")) ?: "?";
	char a[32], b[32], cbuf[32], d[32];

	if (!strcmp(kind, "dropped")) {
		printf("%-8s %s events dropped (this client read too slowly)\n", "dropped",
		       str_of(e, "count", a, sizeof(a)));
	} else if (!strcmp(kind, "map") || !strcmp(kind, "unmap")) {
		printf("%-8s ioas %s iova %s length %s%s%s\n", kind, str_of(e, "ioas", a, sizeof(a)),
		       str_of(e, "iova", b, sizeof(b)), str_of(e, "length", cbuf, sizeof(cbuf)),
		       json_object_get(e, "perm") ? " " : "", str_of(e, "perm", d, sizeof(d)));
	} else if (!strcmp(kind, "fault")) {
		printf("%-8s dev %s pasid %s addr %s %s cookie %s\n", kind,
		       str_of(e, "dev", a, sizeof(a)), *str_of(e, "pasid", b, sizeof(b)) ? b : "-",
		       str_of(e, "addr", cbuf, sizeof(cbuf)),
		       json_string_value(json_object_get(e, "reason")) ?: "",
		       *str_of(e, "cookie", d, sizeof(d)) ? d : "-");
	} else {
		printf("%-8s dev %s pasid %s hwpt %s\n", kind, str_of(e, "dev", a, sizeof(a)),
		       *str_of(e, "pasid", b, sizeof(b)) ? b : "-",
		       str_of(e, "hwpt", cbuf, sizeof(cbuf)));
	}
}

static int do_watch(const struct cli_global *g, struct conn *c, const char *events, uint64_t count,
		    double timeout)
{
	json_t *req = json_pack("{s:s}", "op", "subscribe"), *res;
	struct timespec start, now;
	uint64_t seen = 0;
	sigset_t mask;
	int rc, sfd;

	if (events) {
		json_t *arr = json_array();
		char *copy = xstrdup(events), *save = NULL, *tok;

		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			json_array_append_new(arr, json_string(tok));
		free(copy);
		json_object_set_new(req, "events", arr);
	}
	res = conn_call(c, req, &rc);
	if (!res)
		return rc;
	json_decref(res);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	clock_gettime(CLOCK_MONOTONIC, &start);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!count || seen < count) {
		struct pollfd p[2] = { { .fd = c->fd, .events = POLLIN },
				       { .fd = sfd, .events = POLLIN } };
		int wait = -1;
		json_t *m;

		if (timeout > 0) {
			double left;

			clock_gettime(CLOCK_MONOTONIC, &now);
			left = timeout - ((double)(now.tv_sec - start.tv_sec) +
					  (double)(now.tv_nsec - start.tv_nsec) / 1e9);
			if (left <= 0)
				break;
			wait = (int)ceil(left * 1000);
		}
		/* a whole line may be buffered already: poll only when none is */
		if (!(c->len && memchr(c->buf, '\n', c->len))) {
			if (poll(p, 2, wait) <= 0)
				continue;
			if (p[1].revents)
				break;
		}
		m = conn_read(c);
		if (!m) {
			close(sfd);
			return CLI_EXIT_FAIL;
		}
		if (json_object_get(m, "event")) {
			if (g->json)
				json_print_line(stdout, m);
			else
				print_event(m);
			seen++;
		}
		json_decref(m);
	}
	close(sfd);
	return CLI_EXIT_OK;
}

static const char connect_usage[] =
	"Usage: ioasidctl [--json] --connect SOCKET COMMAND\n"
	"  list                          the objects of the inspected context\n"
	"  dump [ID] [--maps]            the JSON document of the context or of object ID\n"
	"  mappings IOAS                 the areas of IOAS, every page of them\n"
	"  watch [--events LIST] [--count N] [--timeout SECS]\n"
	"                                events (map,unmap,attach,detach,fault) as they happen\n";

enum {
	OPT_MAPS = 1,
	OPT_EVENTS,
	OPT_COUNT,
	OPT_TIMEOUT,
	OPT_HELP
};

static const struct cli_opt connect_opts[] = {
	{ "maps", false, OPT_MAPS },  { "events", true, OPT_EVENTS },
	{ "count", true, OPT_COUNT }, { "timeout", true, OPT_TIMEOUT },
	{ "help", false, OPT_HELP },  { NULL, false, 0 },
};

int cmd_connect(const struct cli_global *g, const char *cmd, int argc, char **argv)
{
	struct cli_args it = { .argc = argc, .argv = argv, .cmd = cmd };
	const char *val, *pos = NULL, *events = NULL;
	bool maps = false, watch = !strcmp(cmd, "watch");
	uint64_t count = 0;
	double timeout = 0;
	struct conn c;
	char *end;
	int k, rc;

	if (strcmp(cmd, "list") && strcmp(cmd, "dump") && strcmp(cmd, "mappings") && !watch)
		return cli_usage_err("--connect: unknown command '%s' (list, dump, mappings or watch)",
				     cmd);
	while ((k = cli_next(&it, connect_opts, &val)) != CLI_ARG_END) {
		switch (k) {
		case CLI_ARG_ERR:
			return CLI_EXIT_USAGE;
		case OPT_HELP:
			fputs(connect_usage, stdout);
			return CLI_EXIT_OK;
		case OPT_MAPS:
			if (strcmp(cmd, "dump"))
				return cli_usage_err("%s: --maps is an option of dump", cmd);
			maps = true;
			break;
		case OPT_EVENTS:
		case OPT_COUNT:
		case OPT_TIMEOUT:
			if (!watch)
				return cli_usage_err("%s: --events, --count and --timeout are options of watch",
						     cmd);
			if (k == OPT_EVENTS) {
				events = val;
			} else if (k == OPT_COUNT) {
				errno = 0;
				count = strtoull(val, &end, 10);
				if (errno || *end || !*val || *val == '-' || !count)
					return cli_usage_err("watch: --count '%s' is not a positive number",
							     val);
			} else {
				timeout = strtod(val, &end);
				if (*end || !*val || !(timeout > 0) || !isfinite(timeout))
					return cli_usage_err("watch: --timeout '%s' is not a positive number of seconds",
							     val);
			}
			break;
		case CLI_ARG_POS:
			if (pos || !(!strcmp(cmd, "dump") || !strcmp(cmd, "mappings")))
				return cli_usage_err("%s: unexpected argument '%s'", cmd, val);
			pos = val;
			break;
		}
	}
	if (!strcmp(cmd, "mappings") && !pos)
		return cli_usage_err("mappings: which IOAS? (mappings IOAS)");
	rc = conn_open(g->connect, &c);
	if (rc)
		return rc;
	if (!strcmp(cmd, "list"))
		rc = do_list(g, &c);
	else if (!strcmp(cmd, "dump"))
		rc = do_dump(g, &c, pos, maps);
	else if (!strcmp(cmd, "mappings"))
		rc = do_mappings(g, &c, pos);
	else
		rc = do_watch(g, &c, events, count, timeout);
	conn_close(&c);
	return rc;
}
