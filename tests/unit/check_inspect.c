/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live inspection (include/ioasid/inspect.h, docs/inspection.md): the
 * endpoint's socket rules, every query, malformed and oversized requests,
 * a peer of another uid, and a VMM-like process inspected while its
 * threads map, unmap and fault (a suite check-tsan runs).
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "helpers.h"

#define IOASID_MIN(a, b) ((a) < (b) ? (a) : (b))
#include "suites.h"

#define PG 4096ull
#define RW (IOASID_MAP_READ | IOASID_MAP_WRITE)
#define FIXED IOASID_MAP_FIXED_IOVA

static char dir[64], path[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ioasid-inspect-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vmm.sock", dir);
}

static void teardown(void)
{
	unlink(path);
	rmdir(dir);
}

/* ---- a line client ---- */

struct tcl {
	int fd;
	char *buf;
	size_t len, cap;
};

static struct tcl *tcl_open(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct tcl *c = calloc(1, sizeof(*c));

	ck_assert_ptr_nonnull(c);
	strcpy(a.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(c->fd, 0);
	ck_assert_msg(connect(c->fd, (struct sockaddr *)&a, sizeof(a)) == 0, "connect %s: %s", path,
		      strerror(errno));
	return c;
}

static void tcl_close(struct tcl *c)
{
	close(c->fd);
	free(c->buf);
	free(c);
}

static void tcl_send(struct tcl *c, const char *s, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(c->fd, s + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return; /* the endpoint closed: what it said is still to be read */
		off += (size_t)n;
	}
}

/* The next line as JSON, NULL at EOF; fails after @ms without one. */
static json_t *tcl_read(struct tcl *c, int ms)
{
	for (;;) {
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		ssize_t n;

		if (nl) {
			size_t l = (size_t)(nl - c->buf);
			json_error_t jerr;
			json_t *j = json_loadb(c->buf, l, 0, &jerr);

			ck_assert_msg(j != NULL, "not JSON (%s): %.*s", jerr.text,
				      (int)IOASID_MIN(l, 200), c->buf);
			memmove(c->buf, nl + 1, c->len - l - 1);
			c->len -= l + 1;
			return j;
		}
		ck_assert_msg(poll(&p, 1, ms) == 1, "no answer within %d ms", ms);
		if (c->cap - c->len < 65536) {
			c->cap = c->cap ? 2 * c->cap : 1 << 17;
			c->buf = realloc(c->buf, c->cap);
			ck_assert_ptr_nonnull(c->buf);
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n <= 0)
			return NULL;
		c->len += (size_t)n;
	}
}

/* Send a request line, return its response (events before it skipped). */
static json_t *tcl_call(struct tcl *c, const char *req)
{
	json_t *j;

	tcl_send(c, req, strlen(req));
	tcl_send(c, "\n", 1);
	while ((j = tcl_read(c, 10000)) && json_object_get(j, "event"))
		json_decref(j);
	ck_assert_msg(j != NULL, "the endpoint closed on %s", req);
	return j;
}

/* The result of a successful call. */
static json_t *tcl_ok(struct tcl *c, const char *req)
{
	json_t *j = tcl_call(c, req), *r;

	ck_assert_msg(json_is_true(json_object_get(j, "ok")), "%s failed: %s", req,
		      json_string_value(json_object_get(json_object_get(j, "error"), "message")));
	ck_assert_int_eq(json_integer_value(json_object_get(j, "v")), 1);
	r = json_incref(json_object_get(j, "result"));
	json_decref(j);
	return r;
}

/* A failed call: its error's errno name and message (checked to contain @needle). */
static void tcl_fails(struct tcl *c, const char *req, const char *errname, const char *needle,
		      bool closing)
{
	json_t *j = tcl_call(c, req), *e = json_object_get(j, "error");
	const char *msg = json_string_value(json_object_get(e, "message"));

	ck_assert_msg(json_is_false(json_object_get(j, "ok")), "%s did not fail", req);
	ck_assert_str_eq(json_string_value(json_object_get(e, "errno")), errname);
	ck_assert_msg(msg && strstr(msg, needle), "%s: message '%s' lacks '%s'", req, msg, needle);
	ck_assert(json_is_true(json_object_get(j, "closing")) == closing);
	json_decref(j);
	if (closing) {
		j = tcl_read(c, 5000);
		ck_assert_msg(j == NULL, "the connection stayed open after a fatal request");
	}
}

static uint64_t hex(json_t *v)
{
	ck_assert_msg(json_is_string(v), "not a hex string");
	return strtoull(json_string_value(v), NULL, 16);
}

static struct ioasid_inspect *start(struct ioasid_ctx *ctx, const struct ioasid_inspect_opts *o)
{
	struct ioasid_inspect *ins = NULL;
	int r = ioasid_inspect_start(ctx, path, o, &ins);

	ck_assert_msg(r == 0, "start: %d %s", r, ioasid_last_errmsg());
	return ins;
}

/* ---- the socket ---- */

START_TEST(test_start_rules)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	struct ioasid_inspect_opts o = { .sz = sizeof(o) };
	struct ioasid_inspect *ins = NULL, *ins2 = NULL;
	char longp[200];
	struct stat sb;
	int fd;

	ck_assert_int_eq(ioasid_inspect_start(NULL, path, NULL, &ins), -EINVAL);
	ck_assert_int_eq(ioasid_inspect_start(ctx, NULL, NULL, &ins), -EINVAL);
	ck_assert_int_eq(ioasid_inspect_start(ctx, path, NULL, NULL), -EINVAL);
	ck_assert_int_eq(ioasid_inspect_start(ctx, "", NULL, &ins), -EINVAL);
	memset(longp, 'a', sizeof(longp));
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	ck_assert_int_eq(ioasid_inspect_start(ctx, longp, NULL, &ins), -ENAMETOOLONG);
	ck_assert(strstr(ioasid_last_errmsg(), "199 bytes"));
	o.flags = 4;
	ck_assert_int_eq(ioasid_inspect_start(ctx, path, &o, &ins), -EINVAL);
	ck_assert(strstr(ioasid_last_errmsg(), "0x4"));
	o.flags = 0;
	o.max_clients = 1000;
	ck_assert_int_eq(ioasid_inspect_start(ctx, path, &o, &ins), -EINVAL);
	ck_assert(strstr(ioasid_last_errmsg(), "1000"));
	o.max_clients = 0;

	/* a file that is not a socket is never replaced */
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(ioasid_inspect_start(ctx, path, NULL, &ins), -EEXIST);
	ck_assert(strstr(ioasid_last_errmsg(), path));
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert(S_ISREG(sb.st_mode));
	unlink(path);

	/* created 0600; a live socket is not taken over; stop removes it */
	ins = start(ctx, NULL);
	ck_assert_int_eq(lstat(path, &sb), 0);
	ck_assert(S_ISSOCK(sb.st_mode));
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	ck_assert_int_eq(ioasid_inspect_start(ctx, path, NULL, &ins2), -EADDRINUSE);
	ioasid_inspect_stop(ins);
	ck_assert_int_eq(lstat(path, &sb), -1);
	ioasid_inspect_stop(NULL);

	/* a stale socket (nobody listening) is replaced */
	{
		struct sockaddr_un a = { .sun_family = AF_UNIX };

		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		strcpy(a.sun_path, path);
		ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
		close(fd);
	}
	ins = start(ctx, NULL);
	ioasid_inspect_stop(ins);
	ioasid_ctx_close(ctx);
}
END_TEST

/* Closing the context first shuts its endpoint down; stop then only frees it. */
START_TEST(test_ctx_closed_first)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	struct ioasid_inspect *ins = start(ctx, NULL), *other;
	struct ioasid_ctx *ctx2 = test_sim_ctx();
	char path2[160];
	struct stat sb;
	struct tcl *c = tcl_open();

	/* an endpoint of another context is not touched */
	snprintf(path2, sizeof(path2), "%s/other.sock", dir);
	ck_assert_int_eq(ioasid_inspect_start(ctx2, path2, NULL, &other), 0);
	json_decref(tcl_ok(c, "{\"op\":\"subscribe\"}"));
	ioasid_ctx_close(ctx);
	ck_assert_ptr_null(tcl_read(c, 5000));
	ck_assert_int_eq(lstat(path, &sb), -1);
	ck_assert_int_eq(lstat(path2, &sb), 0);
	ioasid_inspect_stop(ins);
	tcl_close(c);
	ioasid_inspect_stop(other);
	ck_assert_int_eq(lstat(path2, &sb), -1);
	ioasid_ctx_close(ctx2);
}
END_TEST

/* ---- queries ---- */

START_TEST(test_queries)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint8_t *mem = test_mem(8 * PG);
	struct ioasid_inspect *ins;
	struct ioasid_inspect_stats st;
	uint32_t ioas, dev, i;
	struct tcl *c;
	json_t *r, *arr, *m;
	char req[256];

	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, ioas, NULL));
	for (i = 0; i < 5; i++) {
		uint64_t io = 0x100000 + i * 0x10000;

		ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem + i * PG, PG, RW | FIXED, &io));
	}
	ins = start(ctx, NULL);
	c = tcl_open();

	r = tcl_ok(c, "{\"op\":\"hello\",\"v\":1}");
	ck_assert_int_eq(json_integer_value(json_object_get(r, "protocol")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(r, "backend")), "sim");
	ck_assert_int_eq(json_integer_value(json_object_get(r, "pid")), getpid());
	json_decref(r);

	/* the context, without and with its mappings */
	r = tcl_ok(c, "{\"op\":\"dump\"}");
	ck_assert_str_eq(json_string_value(json_object_get(r, "schema")), "ioasid/1");
	m = json_array_get(json_object_get(r, "ioas"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(m, "nr_areas")), 5);
	ck_assert_ptr_null(json_object_get(m, "mappings"));
	json_decref(r);
	r = tcl_ok(c, "{\"op\":\"dump\",\"maps\":true}");
	m = json_array_get(json_object_get(r, "ioas"), 0);
	ck_assert_uint_eq(json_array_size(json_object_get(m, "mappings")), 5);
	json_decref(r);
	snprintf(req, sizeof(req), "{\"op\":\"dump\",\"id\":%u,\"tag\":\"t1\"}", dev);
	r = tcl_call(c, req);
	ck_assert_str_eq(json_string_value(json_object_get(r, "tag")), "t1");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "result"), "kind")),
			 "dev");
	json_decref(r);
	/* a bad id: an error naming it; the connection stays, the VMM's message is untouched */
	ioasid_ioas_map(ctx, 999, mem, PG, RW, &(uint64_t){ 0 });
	tcl_fails(c, "{\"op\":\"dump\",\"id\":77}", "ENOENT", "77", false);
	ck_assert_errmsg_has(ctx, "999");
	tcl_fails(c, "{\"op\":\"mappings\",\"ioas\":77}", "ENOENT", "77", false);
	snprintf(req, sizeof(req), "{\"op\":\"mappings\",\"ioas\":%u}", dev);
	tcl_fails(c, req, "ENOENT", "names no IOAS", false);

	/* mappings, two at a time: every page says the totals of its snapshot */
	{
		uint64_t from = 0, seen = 0;
		bool more = true;

		while (more) {
			snprintf(req, sizeof(req),
				 "{\"op\":\"mappings\",\"ioas\":%u,\"count\":2,\"from\":\"0x%llx\"}",
				 ioas, (unsigned long long)from);
			r = tcl_ok(c, req);
			ck_assert_int_eq(json_integer_value(json_object_get(r, "nr_areas")), 5);
			ck_assert_uint_eq(hex(json_object_get(r, "mapped_bytes")), 5 * PG);
			arr = json_object_get(r, "mappings");
			json_array_foreach(arr, i, m) {
				ck_assert_uint_eq(hex(json_object_get(m, "iova")),
						  0x100000 + seen * 0x10000);
				ck_assert_uint_eq(hex(json_object_get(m, "length")), PG);
				ck_assert_str_eq(json_string_value(json_object_get(m, "perm")),
						 "rw");
				seen++;
			}
			more = !json_is_null(json_object_get(r, "next"));
			if (more)
				from = hex(json_object_get(r, "next"));
			json_decref(r);
		}
		ck_assert_uint_eq(seen, 5);
	}

	r = tcl_ok(c, "{\"op\":\"stats\"}");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r, "objects"), "ioas")),
			 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r, "objects"), "dev")),
			 1);
	m = json_array_get(json_object_get(r, "ioas"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(m, "nr_attached")), 1);
	ck_assert_int_eq(json_integer_value(
				 json_object_get(json_object_get(r, "endpoint"), "clients")),
			 1);
	json_decref(r);

	r = tcl_ok(c, "{\"op\":\"faults\"}");
	ck_assert_int_eq(json_integer_value(json_object_get(r, "pending")), 0);
	json_decref(r);

	tcl_close(c);
	ck_assert_ok(ctx, ioasid_inspect_stats(ins, &st));
	ck_assert_uint_eq(st.accepted, 1);
	ck_assert_uint_ge(st.errors, 3);
	ck_assert_int_eq(ioasid_inspect_stats(NULL, &st), -EINVAL);
	ioasid_inspect_stop(ins);
	ioasid_ctx_close(ctx);
	munmap(mem, 8 * PG);
}
END_TEST

/* Pending page request groups, as the faults op lists them. */
START_TEST(test_faults_pending)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	struct ioasid_set_opts so = { .sz = sizeof(so), .max_pasids = 8, .max_ioas = 4 };
	struct ioasid_fault_queue_opts qo = { .sz = sizeof(qo), .timeout_ns = 60000000000ull };
	struct ioasid_attach_opts ao = { .sz = sizeof(ao) };
	struct ioasid_inspect *ins;
	uint32_t set, q, ioas, dev, i;
	uint64_t handle[3];
	char buf[3][64];
	struct tcl *c;
	json_t *r, *g;
	size_t done;

	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev));
	ck_assert_ok(ctx, ioasid_set_alloc(ctx, &so, &set));
	qo.set = set;
	ck_assert_ok(ctx, ioasid_fault_queue_alloc(ctx, &qo, &q));
	ao.set = set;
	ao.fault_queue = q;
	ck_assert_ok(ctx, ioasid_set_ioas_alloc(ctx, set, &ioas));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, ioas, &ao));
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev, IOASID_PASID_NONE,
						       0x400000 + i * PG, buf[i], sizeof(buf[i]),
						       true, &handle[i], &done),
				 -EAGAIN);
	ins = start(ctx, NULL);
	c = tcl_open();
	r = tcl_ok(c, "{\"op\":\"faults\",\"count\":2}");
	ck_assert_int_eq(json_integer_value(json_object_get(r, "pending")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "count")), 2);
	ck_assert(json_is_true(json_object_get(r, "more")));
	g = json_array_get(json_object_get(r, "groups"), 1);
	ck_assert_uint_eq(hex(json_object_get(g, "addr")), 0x401000);
	ck_assert_int_eq(json_integer_value(json_object_get(g, "queue")), q);
	ck_assert_int_eq(json_integer_value(json_object_get(g, "dev")), dev);
	ck_assert(json_is_null(json_object_get(g, "pasid")));
	{
		char req[96];

		snprintf(req, sizeof(req), "{\"op\":\"faults\",\"after\":%lld}",
			 (long long)json_integer_value(json_object_get(g, "cookie")));
		json_decref(r);
		r = tcl_ok(c, req);
	}
	ck_assert_int_eq(json_integer_value(json_object_get(r, "count")), 1);
	ck_assert(json_is_false(json_object_get(r, "more")));
	ck_assert_uint_eq(hex(json_object_get(json_array_get(json_object_get(r, "groups"), 0),
					      "addr")),
			  0x402000);
	json_decref(r);
	r = tcl_ok(c, "{\"op\":\"stats\"}");
	ck_assert_int_eq(json_integer_value(json_object_get(r, "pending_groups")), 3);
	g = json_array_get(json_object_get(r, "fault_queues"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(g, "groups")), 3);
	json_decref(r);
	tcl_close(c);
	ioasid_inspect_stop(ins);
	ioasid_ctx_close(ctx);
}
END_TEST

/* ---- bad requests ---- */

START_TEST(test_malformed)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	struct ioasid_inspect *ins = start(ctx, NULL);
	struct ioasid_inspect_stats st;
	struct tcl *c;
	char *big;
	json_t *j;

	c = tcl_open();
	/* semantic errors: answered, the connection stays */
	tcl_fails(c, "{\"op\":\"frobnicate\"}", "EOPNOTSUPP", "\"frobnicate\"", false);
	tcl_fails(c, "{\"tag\":3}", "EINVAL", "no \"op\"", false);
	tcl_fails(c, "{\"op\":7}", "EINVAL", "\"op\" is 7", false);
	tcl_fails(c, "{\"op\":\"hello\",\"v\":2}", "EPROTONOSUPPORT", "\"v\" 2", false);
	tcl_fails(c, "{\"op\":\"dump\",\"bogus\":1}", "EINVAL", "\"bogus\"", false);
	tcl_fails(c, "{\"op\":\"dump\",\"id\":-1}", "ERANGE", "\"id\" is -1", false);
	tcl_fails(c, "{\"op\":\"dump\",\"id\":4294967296}", "ERANGE", "4294967296", false);
	tcl_fails(c, "{\"op\":\"dump\",\"id\":\"1\"}", "EINVAL", "\"id\" is \"1\"", false);
	tcl_fails(c, "{\"op\":\"dump\",\"maps\":1}", "EINVAL", "\"maps\"", false);
	tcl_fails(c, "{\"op\":\"mappings\"}", "EINVAL", "needs \"ioas\"", false);
	tcl_fails(c, "{\"op\":\"mappings\",\"ioas\":1,\"count\":5000}", "ERANGE", "5000", false);
	tcl_fails(c, "{\"op\":\"mappings\",\"ioas\":1,\"from\":\"0xfffffffffffffffff\"}", "EINVAL",
		  "0xfffffffffffffffff", false);
	tcl_fails(c, "{\"op\":\"mappings\",\"ioas\":1,\"from\":\"12\"}", "EINVAL", "\"12\"", false);
	tcl_fails(c, "{\"op\":\"subscribe\",\"events\":[\"map\",\"boom\"]}", "EINVAL", "\"boom\"",
		  false);
	tcl_fails(c, "{\"op\":\"subscribe\",\"events\":[]}", "EINVAL", "\"events\"", false);
	tcl_fails(c, "{\"op\":\"unsubscribe\"}", "ENOENT", "not subscribed", false);
	tcl_fails(c, "{\"op\":\"hello\",\"tag\":[1]}", "EINVAL", "\"tag\"", false);
	tcl_fails(c, "{\"op\":\"hello\",\"op\":\"dump\"}", "EPROTO", "duplicate", true);
	tcl_close(c);

	/* framing errors: answered, then the connection is closed */
	c = tcl_open();
	tcl_fails(c, "{\"op\":", "EPROTO", "not JSON", true);
	tcl_close(c);
	c = tcl_open();
	tcl_fails(c, "[\"dump\"]", "EPROTO", "JSON object", true);
	tcl_close(c);
	c = tcl_open();
	tcl_send(c, "{\"op\":\"hello\"}\0junk\n", 21);
	j = tcl_read(c, 5000);
	ck_assert(json_is_false(json_object_get(j, "ok")));
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "error"), "errno")),
			 "EPROTO");
	json_decref(j);
	ck_assert_ptr_null(tcl_read(c, 5000));
	tcl_close(c);

	/* a line over the limit, no newline in sight */
	big = malloc(3 * IOASID_INSPECT_MAX_LINE);
	memset(big, 'x', 3 * IOASID_INSPECT_MAX_LINE);
	c = tcl_open();
	tcl_send(c, big, 3 * IOASID_INSPECT_MAX_LINE);
	j = tcl_read(c, 5000);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "error"), "errno")),
			 "EMSGSIZE");
	ck_assert(strstr(json_string_value(json_object_get(json_object_get(j, "error"), "message")),
			 "4096"));
	ck_assert(json_is_true(json_object_get(j, "closing")));
	json_decref(j);
	ck_assert_ptr_null(tcl_read(c, 5000));
	tcl_close(c);
	/* the longest line that fits is still a request */
	memcpy(big, "{\"op\":\"hello\",\"tag\":\"a\"", 23);
	memset(big + 23, ' ', IOASID_INSPECT_MAX_LINE - 23 - 2);
	big[IOASID_INSPECT_MAX_LINE - 2] = '}';
	big[IOASID_INSPECT_MAX_LINE - 1] = '\n';
	c = tcl_open();
	tcl_send(c, big, IOASID_INSPECT_MAX_LINE);
	j = tcl_read(c, 5000);
	ck_assert(json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	tcl_close(c);
	free(big);

	/* a client that half-closes after its requests still gets every answer */
	c = tcl_open();
	tcl_send(c, "{\"op\":\"hello\",\"tag\":1}\n{\"op\":\"stats\",\"tag\":2}\n{\"op\"", 51);
	shutdown(c->fd, SHUT_WR);
	j = tcl_read(c, 5000);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "tag")), 1);
	json_decref(j);
	j = tcl_read(c, 5000);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "tag")), 2);
	ck_assert(json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	ck_assert_ptr_null(tcl_read(c, 5000));
	tcl_close(c);

	/* and the endpoint still answers */
	c = tcl_open();
	json_decref(tcl_ok(c, "{\"op\":\"hello\"}"));
	tcl_close(c);
	ck_assert_ok(ctx, ioasid_inspect_stats(ins, &st));
	ck_assert_uint_eq(st.closed_on_error, 5);
	ioasid_inspect_stop(ins);
	ioasid_ctx_close(ctx);
}
END_TEST

/* ---- another uid ---- */

START_TEST(test_other_uid_refused)
{
	struct ioasid_ctx *ctx;
	struct ioasid_inspect *ins;
	struct ioasid_inspect_stats st;
	const uid_t nobody = 65534;
	int status;
	pid_t pid;

	if (geteuid() != 0) {
		/*
		 * A user namespace does not help here: SO_PEERCRED reports the
		 * peer's uid as seen from the endpoint's namespace, which is
		 * ours. A second uid needs root.
		 */
		fprintf(stderr,
			"inspect: other-uid test skipped: not root, no second uid to connect as\n");
		return;
	}
	ctx = test_sim_ctx();
	ins = start(ctx, NULL);
	/* 0600 keeps nobody out at connect() already */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		chmod(dir, 0711);
		if (setresgid(nobody, nobody, nobody) || setresuid(nobody, nobody, nobody))
			_exit(10);
		strcpy(a.sun_path, path);
		_exit(connect(fd, (struct sockaddr *)&a, sizeof(a)) == -1 && errno == EACCES ? 0 :
											       11);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);

	/* a socket whose mode was loosened still refuses: SO_PEERCRED decides */
	ck_assert_int_eq(chmod(path, 0666), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		char buf[512];
		ssize_t n, got = 0;

		if (setresgid(nobody, nobody, nobody) || setresuid(nobody, nobody, nobody))
			_exit(10);
		strcpy(a.sun_path, path);
		signal(SIGPIPE, SIG_IGN);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
			_exit(12);
		(void)!write(fd, "{\"op\":\"dump\"}\n", 14);
		while ((n = read(fd, buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
			got += n;
		buf[got] = '\0';
		/* one error line naming the uid, then the end: nothing of the dump */
		if (!strstr(buf, "\"EACCES\"") || !strstr(buf, "uid 65534") ||
		    strstr(buf, "schema")) {
			fprintf(stderr, "refused peer read: %s (%s)\n", buf, strerror(errno));
			_exit(13);
		}
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
	ck_assert_ok(ctx, ioasid_inspect_stats(ins, &st));
	ck_assert_uint_eq(st.refused, 1);
	ck_assert_uint_eq(st.accepted, 0);
	ioasid_inspect_stop(ins);
	ioasid_ctx_close(ctx);
}
END_TEST

/* ---- events ---- */

START_TEST(test_events)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint8_t *mem = test_mem(4 * PG);
	struct ioasid_inspect *ins = start(ctx, NULL);
	uint32_t ioas, dev, hwpt;
	uint64_t io = 0x200000, n;
	struct tcl *c = tcl_open(), *c2 = tcl_open();
	json_t *r, *e;
	char buf[64];

	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim1", &dev));
	r = tcl_ok(c, "{\"op\":\"subscribe\",\"events\":[\"attach\",\"detach\",\"fault\"]}");
	ck_assert_uint_eq(json_array_size(json_object_get(r, "events")), 3);
	json_decref(r);
	json_decref(tcl_ok(c2, "{\"op\":\"subscribe\"}"));
	tcl_fails(c2, "{\"op\":\"subscribe\"}", "EALREADY", "already", false);

	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, ioas, NULL));
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, PG, RW | FIXED, &io));
	/* an unrecoverable fault: sim1 has no PRI */
	ck_assert_int_eq(ioasid_sim_dma(ctx, dev, IOASID_PASID_NONE, 0x900000, buf, sizeof(buf),
					true, NULL),
			 -EFAULT);
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas, io, PG, &n));
	ck_assert_ok(ctx, ioasid_dev_detach(ctx, dev, IOASID_PASID_NONE));

	/* c: attach, fault, detach (no map/unmap) */
	e = tcl_read(c, 5000);
	ck_assert_str_eq(json_string_value(json_object_get(e, "event")), "attach");
	ck_assert_int_eq(json_integer_value(json_object_get(e, "dev")), dev);
	ck_assert(json_is_null(json_object_get(e, "pasid")));
	ck_assert_int_eq(json_integer_value(json_object_get(e, "target")), ioas);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "seq")), 1);
	hwpt = (uint32_t)json_integer_value(json_object_get(e, "hwpt"));
	json_decref(e);
	e = tcl_read(c, 5000);
	ck_assert_str_eq(json_string_value(json_object_get(e, "event")), "fault");
	ck_assert_uint_eq(hex(json_object_get(e, "addr")), 0x900000);
	ck_assert_str_eq(json_string_value(json_object_get(e, "reason")), "not_present");
	ck_assert(json_is_null(json_object_get(e, "cookie")));
	json_decref(e);
	e = tcl_read(c, 5000);
	ck_assert_str_eq(json_string_value(json_object_get(e, "event")), "detach");
	ck_assert_int_eq(json_integer_value(json_object_get(e, "hwpt")), hwpt);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "seq")), 3);
	json_decref(e);

	/* c2: all five, in order */
	{
		static const char *const want[] = { "attach", "map", "fault", "unmap", "detach" };
		size_t i;

		for (i = 0; i < 5; i++) {
			e = tcl_read(c2, 5000);
			ck_assert_str_eq(json_string_value(json_object_get(e, "event")), want[i]);
			if (i == 1) {
				ck_assert_uint_eq(hex(json_object_get(e, "iova")), 0x200000);
				ck_assert_uint_eq(hex(json_object_get(e, "length")), PG);
				ck_assert_str_eq(json_string_value(json_object_get(e, "perm")),
						 "rw");
			}
			json_decref(e);
		}
	}
	/* after unsubscribe, nothing more comes */
	json_decref(tcl_ok(c2, "{\"op\":\"unsubscribe\"}"));
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, PG, RW | FIXED, &io));
	r = tcl_ok(c2, "{\"op\":\"hello\"}");
	json_decref(r);
	tcl_close(c);
	tcl_close(c2);
	ioasid_inspect_stop(ins);
	ioasid_ctx_close(ctx);
	munmap(mem, 4 * PG);
}
END_TEST

/* ---- a VMM inspected while it runs ---- */

#define MAPPERS 3
#define SLOTS 32
#define ROUNDS 1500
#define FAULTS 200
#define EXPECTED_EVENTS (MAPPERS * (2 * ROUNDS - SLOTS / 2) + FAULTS)

struct vmm {
	struct ioasid_ctx *ctx;
	uint32_t ioas, dev, q;
	uint8_t *mem;
	int errors;
};

struct mapper {
	struct vmm *v;
	int idx;
	int errors;
};

static void *mapper(void *arg)
{
	struct mapper *m = arg;
	uint64_t base = 0x100000000ull * (uint64_t)(m->idx + 1);
	int i;

	for (i = 0; i < ROUNDS; i++) {
		uint64_t io = base + (uint64_t)(i % SLOTS) * 0x10000, n = 0;

		if (ioasid_ioas_map(m->v->ctx, m->v->ioas, m->v->mem + (size_t)m->idx * PG, PG,
				    RW | FIXED, &io))
			m->errors++;
		if (i >= SLOTS / 2) {
			uint64_t old = base + (uint64_t)((i - SLOTS / 2) % SLOTS) * 0x10000;

			if (ioasid_ioas_unmap(m->v->ctx, m->v->ioas, old, PG, &n) || n != PG)
				m->errors++;
		}
	}
	return NULL;
}

/* DMAs to unmapped IOVAs: page requests the owner answers INVALID. */
static void *faulter(void *arg)
{
	struct vmm *v = arg;
	char buf[64];
	int i;

	for (i = 0; i < FAULTS; i++) {
		struct ioasid_fault f[16];
		uint64_t handle;
		uint32_t n = 16, k;
		size_t done;
		int r = ioasid_sim_dma_submit(v->ctx, v->dev, IOASID_PASID_NONE,
					      0x7000000000ull + (uint64_t)i * PG, buf, sizeof(buf),
					      true, &handle, &done);

		if (r != -EAGAIN) {
			v->errors++;
			continue;
		}
		if (ioasid_fault_read(v->ctx, v->q, f, &n))
			v->errors++;
		for (k = 0; k < n; k++)
			if ((f[k].flags & IOASID_FAULT_F_LAST) &&
			    ioasid_fault_respond(v->ctx, v->q, f[k].cookie, IOASID_FAULT_INVALID))
				v->errors++;
		if (ioasid_sim_dma_wait(v->ctx, handle, 0, &done) != -EFAULT)
			v->errors++;
	}
	return NULL;
}

/* Every answer is one snapshot: its counts agree with its own contents. */
static void check_snapshot(struct tcl *c, struct vmm *v)
{
	char req[128];
	json_t *r, *arr, *m;
	uint64_t sum = 0;
	size_t i;

	snprintf(req, sizeof(req), "{\"op\":\"mappings\",\"ioas\":%u,\"count\":1024}", v->ioas);
	r = tcl_ok(c, req);
	arr = json_object_get(r, "mappings");
	json_array_foreach(arr, i, m) {
		ck_assert_uint_eq(hex(json_object_get(m, "length")), PG);
		sum += PG;
	}
	/* fewer than 1024 areas: the page is all of them */
	ck_assert_int_eq(json_integer_value(json_object_get(r, "nr_areas")), json_array_size(arr));
	ck_assert_uint_eq(hex(json_object_get(r, "mapped_bytes")), sum);
	json_decref(r);

	r = tcl_ok(c, "{\"op\":\"dump\",\"maps\":true}");
	json_array_foreach(json_object_get(r, "ioas"), i, m) {
		json_t *maps = json_object_get(m, "mappings"), *a;
		size_t k;

		sum = 0;
		json_array_foreach(maps, k, a)
			sum += hex(json_object_get(a, "length"));
		ck_assert_int_eq(json_integer_value(json_object_get(m, "nr_areas")),
				 json_array_size(maps));
		ck_assert_uint_eq(hex(json_object_get(m, "mapped_bytes")), sum);
	}
	json_decref(r);

	r = tcl_ok(c, "{\"op\":\"stats\"}");
	m = json_array_get(json_object_get(r, "ioas"), 0);
	ck_assert_uint_eq(hex(json_object_get(m, "mapped_bytes")),
			  (uint64_t)json_integer_value(json_object_get(m, "nr_areas")) * PG);
	json_decref(r);
	json_decref(tcl_ok(c, "{\"op\":\"faults\"}"));
}

struct watcher {
	struct tcl *c;
	_Atomic uint64_t events, dropped, last_seq;
	uint64_t gaps;
	_Atomic bool saw[3];
};

/* Read events until the endpoint stops; seq gaps must equal the dropped counts. */
static void *watch(void *arg)
{
	struct watcher *w = arg;
	json_t *e;

	while ((e = tcl_read(w->c, 30000))) {
		const char *kind = json_string_value(json_object_get(e, "event"));

		if (kind && !strcmp(kind, "dropped")) {
			w->dropped += (uint64_t)json_integer_value(json_object_get(e, "count"));
		} else if (kind) {
			uint64_t seq = (uint64_t)json_integer_value(json_object_get(e, "seq"));

			ck_assert_uint_gt(seq, w->last_seq);
			w->gaps += seq - w->last_seq - 1;
			w->events++;
			w->last_seq = seq;
			if (!strcmp(kind, "map"))
				w->saw[0] = true;
			if (!strcmp(kind, "unmap"))
				w->saw[1] = true;
			if (!strcmp(kind, "fault"))
				w->saw[2] = true;
		}
		json_decref(e);
	}
	return NULL;
}

START_TEST(test_live_vmm)
{
	struct ioasid_set_opts so = { .sz = sizeof(so), .max_pasids = 8, .max_ioas = 4 };
	struct ioasid_fault_queue_opts qo = { .sz = sizeof(qo), .depth = 64 };
	struct ioasid_attach_opts ao = { .sz = sizeof(ao) };
	struct ioasid_inspect_opts io = { .sz = sizeof(io), .ring_events = 1024 };
	struct ioasid_inspect_stats st;
	struct ioasid_inspect *ins;
	struct mapper mp[MAPPERS];
	pthread_t t[MAPPERS + 2];
	struct watcher w = { 0 };
	struct vmm v = { 0 };
	struct tcl *c, *stuck;
	uint32_t set;
	int i;

	v.ctx = test_sim_ctx();
	v.mem = test_mem(MAPPERS * PG);
	ck_assert_ok(v.ctx, ioasid_dev_bind(v.ctx, "sim0", &v.dev));
	ck_assert_ok(v.ctx, ioasid_set_alloc(v.ctx, &so, &set));
	qo.set = set;
	ck_assert_ok(v.ctx, ioasid_fault_queue_alloc(v.ctx, &qo, &v.q));
	ck_assert_ok(v.ctx, ioasid_set_ioas_alloc(v.ctx, set, &v.ioas));
	ao.set = set;
	ao.fault_queue = v.q;
	ck_assert_ok(v.ctx, ioasid_dev_attach(v.ctx, v.dev, IOASID_PASID_NONE, v.ioas, &ao));
	ins = start(v.ctx, &io);

	/* a subscriber that never reads, and one that does */
	stuck = tcl_open();
	json_decref(tcl_ok(stuck, "{\"op\":\"subscribe\"}"));
	w.c = tcl_open();
	json_decref(tcl_ok(w.c, "{\"op\":\"subscribe\",\"events\":[\"map\",\"unmap\",\"fault\"]}"));
	ck_assert_int_eq(pthread_create(&t[MAPPERS + 1], NULL, watch, &w), 0);
	c = tcl_open();

	for (i = 0; i < MAPPERS; i++) {
		mp[i] = (struct mapper){ .v = &v, .idx = i };
		ck_assert_int_eq(pthread_create(&t[i], NULL, mapper, &mp[i]), 0);
	}
	ck_assert_int_eq(pthread_create(&t[MAPPERS], NULL, faulter, &v), 0);
	/* inspect while they run, and once more after */
	for (i = 0; i < 20; i++)
		check_snapshot(c, &v);
	for (i = 0; i <= MAPPERS; i++)
		pthread_join(t[i], NULL);
	check_snapshot(c, &v);
	for (i = 0; i < MAPPERS; i++)
		ck_assert_msg(mp[i].errors == 0, "mapper %d: %d errors", i, mp[i].errors);
	ck_assert_msg(v.errors == 0, "faulter: %d errors", v.errors);

	/*
	 * Every event reaches the watcher or is counted as dropped for it:
	 * 3 x 1500 maps, 3 x 1484 unmaps and the 200 page requests.
	 */
	for (i = 0; i < 1000 && w.events + w.dropped != EXPECTED_EVENTS; i++)
		usleep(10000);
	ck_assert_msg(w.events + w.dropped == EXPECTED_EVENTS,
		      "%llu events + %llu dropped, last seq %llu", (unsigned long long)w.events,
		      (unsigned long long)w.dropped, (unsigned long long)w.last_seq);
	/* the stopped endpoint ends the watcher's stream */
	ck_assert_ok(v.ctx, ioasid_inspect_stats(ins, &st));
	ioasid_inspect_stop(ins);
	pthread_join(t[MAPPERS + 1], NULL);
	/* (whether a fault got through the drops depends on timing: test_events checks them) */
	ck_assert(w.saw[0] && w.saw[1]);
	/* a gap in seq is a drop; drops after the last event seen leave no gap */
	ck_assert_uint_le(w.gaps, w.dropped);
	ck_assert_uint_eq(w.dropped - w.gaps, EXPECTED_EVENTS - w.last_seq);
	/* the one that never read lost events, counted, and stalled nobody */
	ck_assert_uint_gt(st.events_dropped, 0);
	ck_assert_uint_eq(st.subscribers, 2);
	tcl_close(stuck);
	tcl_close(w.c);
	tcl_close(c);
	ioasid_ctx_close(v.ctx);
	munmap(v.mem, MAPPERS * PG);
}
END_TEST

Suite *inspect_suite(void)
{
	Suite *s = suite_create("inspect");
	TCase *tc = tcase_create("inspect");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_start_rules);
	tcase_add_test(tc, test_ctx_closed_first);
	tcase_add_test(tc, test_queries);
	tcase_add_test(tc, test_faults_pending);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_other_uid_refused);
	tcase_add_test(tc, test_events);
	tcase_add_test(tc, test_live_vmm);
	suite_add_tcase(s, tc);
	return s;
}
