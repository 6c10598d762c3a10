/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The live inspection endpoint (include/ioasid/inspect.h,
 * docs/inspection.md): a Unix socket served by one thread of its own.
 *
 * The thread polls the listening socket, its clients and a wake pipe.
 * Every socket is non-blocking and every client has an output buffer: a
 * client that does not read only stops its own answers (its buffer past
 * OUT_HIGH, the thread stops reading its requests and draining its event
 * ring, and the ring then drops, counting). The VMM's threads meet the
 * endpoint only at the context lock, which the queries take for bounded
 * copies (inspect-proto.c), and at the event rings, which never wait.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "inspect-private.h"
#include "events-private.h"

#define MAX_CLIENTS_DEFAULT 8
#define MAX_CLIENTS_LIMIT 64
#define RING_DEFAULT 4096
#define RING_LIMIT (1u << 20)
/* A client's unsent output past which it is not read from nor fed events. */
#define OUT_HIGH (256u * 1024)
/* Events taken from a ring per turn of the loop. */
#define EVENT_BATCH 256
/* How often a subscriber's ring is drained while nothing else happens. */
#define EVENT_POLL_MS 10

struct client {
	int fd;
	uid_t uid;
	bool closing; /* close once the output is sent */
	char in[IOASID_INSPECT_MAX_LINE];
	size_t in_len;
	char *out;
	size_t out_len, out_off, out_cap;
	struct event_sub *sub;
	uint64_t drops_unreported; /* dropped for it, not told yet */
};

struct ioasid_inspect {
	struct ioasid_ctx *ctx;
	struct sockaddr_un addr;
	dev_t dev;
	ino_t ino;
	int lfd;
	int wake[2];
	pthread_t thread;
	uid_t owner;
	uint32_t max_clients, ring_events;
	struct client *clients[MAX_CLIENTS_LIMIT];
	uint32_t nr_clients;
	pthread_mutex_t st_lock; /* st: read by ioasid_inspect_stats() */
	struct ioasid_inspect_stats st;
	struct ioasid_inspect *next_live; /* on the live list, under live_lock */
	bool detached;                    /* shut down with its context: stop only frees it */
};

/*
 * Every running endpoint, so that closing a context first shuts down the
 * endpoints still serving it (inspect_ctx_closing()) instead of leaving
 * their thread on freed memory.
 */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ioasid_inspect *live;

#define STAT_ADD(ins, field, n)                        \
	do {                                           \
		pthread_mutex_lock(&(ins)->st_lock);   \
		(ins)->st.field += (n);                \
		pthread_mutex_unlock(&(ins)->st_lock); \
	} while (0)

/* ---- output ---- */

static int out_append(struct client *c, const char *s, size_t len)
{
	if (c->out_off && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *n;

		if (c->out_off) {
			memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
			c->out_len -= c->out_off;
			c->out_off = 0;
		}
		while (cap < c->out_len + len)
			cap *= 2;
		if (cap != c->out_cap) {
			n = realloc(c->out, cap);
			if (!n)
				return -ENOMEM;
			c->out = n;
			c->out_cap = cap;
		}
	}
	memcpy(c->out + c->out_len, s, len);
	c->out_len += len;
	return 0;
}

static size_t out_pending(const struct client *c)
{
	return c->out_len - c->out_off;
}

/* Send what the socket takes now. Return: 0, or -1 when the peer is gone. */
static int out_flush(struct client *c)
{
	while (out_pending(c)) {
		ssize_t n = send(c->fd, c->out + c->out_off, out_pending(c),
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0)
			return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
		c->out_off += (size_t)n;
	}
	return 0;
}

/* Queue an error response; with @closing, the connection ends after it. */
static void send_error(struct ioasid_inspect *ins, struct client *c, const char *tag, int err,
		       const char *msg, bool closing)
{
	size_t len;
	char *line = inspect_error_line(tag, err, msg, closing, &len);

	STAT_ADD(ins, errors, 1);
	if (line)
		(void)out_append(c, line, len);
	free(line);
	if (closing) {
		c->closing = true;
		STAT_ADD(ins, closed_on_error, 1);
	}
}

/* ---- events ---- */

static const char *reason_name(uint32_t r)
{
	static const char *const names[] = { "unknown",    "page_request", "not_present",
					     "permission", "blocked",      "reserved" };

	return r < ARRAY_SIZE(names) ? names[r] : "unknown";
}

static void pasid_text(uint32_t pasid, char *buf, size_t len)
{
	if (pasid == IOASID_PASID_NONE)
		snprintf(buf, len, "null");
	else
		snprintf(buf, len, "%u", pasid);
}

/* One event as a line (docs/inspection.md, "Events"); its length. */
static int event_line(const struct event_rec *e, char *buf, size_t len)
{
	char pasid[16];
	int n = snprintf(buf, len,
			 "{\"v\":%d,\"event\":\"%s\",\"seq\":%" PRIu64 ",\"time_ns\":%" PRIu64,
			 IOASID_INSPECT_PROTOCOL, event_kind_name(e->kind), e->seq, e->time_ns);

	pasid_text(e->pasid, pasid, sizeof(pasid));
	switch (e->kind) {
	case EVENT_MAP:
		n += snprintf(buf + n, len - (size_t)n,
			      ",\"ioas\":%u,\"iova\":\"0x%" PRIx64 "\",\"length\":\"0x%" PRIx64
			      "\",\"perm\":\"%s%s\"}\n",
			      e->obj, e->addr, e->len, (e->target & IOASID_MAP_READ) ? "r" : "",
			      (e->target & IOASID_MAP_WRITE) ? "w" : "");
		break;
	case EVENT_UNMAP:
		n += snprintf(buf + n, len - (size_t)n,
			      ",\"ioas\":%u,\"iova\":\"0x%" PRIx64 "\",\"length\":\"0x%" PRIx64
			      "\"}\n",
			      e->obj, e->addr, e->len);
		break;
	case EVENT_ATTACH:
		n += snprintf(buf + n, len - (size_t)n,
			      ",\"dev\":%u,\"pasid\":%s,\"hwpt\":%u,\"target\":%u}\n", e->obj,
			      pasid, e->target, e->extra);
		break;
	case EVENT_DETACH:
		n += snprintf(buf + n, len - (size_t)n, ",\"dev\":%u,\"pasid\":%s,\"hwpt\":%u}\n",
			      e->obj, pasid, e->target);
		break;
	default: {
		char cookie[24];

		if (e->len)
			snprintf(cookie, sizeof(cookie), "%" PRIu64, e->len);
		else
			snprintf(cookie, sizeof(cookie), "null");
		n += snprintf(buf + n, len - (size_t)n,
			      ",\"dev\":%u,\"pasid\":%s,\"hwpt\":%u,\"addr\":\"0x%" PRIx64
			      "\",\"reason\":\"%s\",\"page_request\":%s,\"cookie\":%s}\n",
			      e->obj, pasid, e->target, e->addr, reason_name(e->extra),
			      (e->flags & IOASID_FAULT_F_PAGE_REQ) ? "true" : "false", cookie);
		break;
	}
	}
	return n;
}

/* Count what @c's ring dropped, whether or not @c can be told now. */
static void collect_drops(struct ioasid_inspect *ins, struct client *c)
{
	uint64_t d = c->sub ? events_new_drops(c->sub) : 0;

	if (d) {
		STAT_ADD(ins, events_dropped, d);
		c->drops_unreported += d;
	}
}

/* Move what @c's ring holds into its output, unless its output is backed up. */
static void drain_events(struct ioasid_inspect *ins, struct client *c)
{
	struct event_rec ev[EVENT_BATCH];
	uint32_t n, i, sent;
	char line[512];

	collect_drops(ins, c);
	do {
		if (!c->sub || c->closing || out_pending(c) >= OUT_HIGH)
			return;
		if (c->drops_unreported) {
			int len = snprintf(line, sizeof(line),
					   "{\"v\":%d,\"event\":\"dropped\",\"count\":%" PRIu64
					   "}\n",
					   IOASID_INSPECT_PROTOCOL, c->drops_unreported);

			if (!out_append(c, line, (size_t)len))
				c->drops_unreported = 0;
		}
		n = events_take(c->sub, ev, EVENT_BATCH);
		for (i = 0, sent = 0; i < n; i++) {
			int len = event_line(&ev[i], line, sizeof(line));

			if (len > 0 && (size_t)len < sizeof(line) &&
			    !out_append(c, line, (size_t)len))
				sent++;
		}
		if (sent)
			STAT_ADD(ins, events_sent, sent);
	} while (n == EVENT_BATCH);
}

static void unsubscribe(struct ioasid_inspect *ins, struct client *c)
{
	if (!c->sub)
		return;
	events_unsubscribe(ins->ctx, c->sub);
	collect_drops(ins, c);
	events_sub_free(c->sub);
	c->sub = NULL;
	STAT_ADD(ins, subscribers, -1u);
}

static void do_subscribe(struct ioasid_inspect *ins, struct client *c, const struct inspect_req *req)
{
	char result[160], *line;
	size_t len;
	uint32_t k;
	int n;

	if (req->op == INSPECT_OP_UNSUBSCRIBE) {
		if (!c->sub) {
			send_error(ins, c, req->tag, -ENOENT, "not subscribed", false);
			return;
		}
		/* what the ring still holds goes first */
		drain_events(ins, c);
		unsubscribe(ins, c);
		snprintf(result, sizeof(result), "{}");
	} else {
		if (c->sub) {
			send_error(ins, c, req->tag, -EALREADY,
				   "already subscribed (unsubscribe first to change the events)",
				   false);
			return;
		}
		c->sub = events_sub_new(ins->ring_events, req->events);
		if (!c->sub) {
			send_error(ins, c, req->tag, -ENOMEM, "out of memory for an event ring",
				   false);
			return;
		}
		n = snprintf(result, sizeof(result), "{\"ring\":%u,\"events\":[", c->sub->size);
		for (k = 0; k < EVENT_NR_KINDS; k++)
			if (req->events & (1u << k))
				n += snprintf(result + n, sizeof(result) - (size_t)n, "%s\"%s\"",
					      result[n - 1] == '[' ? "" : ",", event_kind_name(k));
		snprintf(result + n, sizeof(result) - (size_t)n, "]}");
	}
	line = inspect_ok_line(req->tag,
			       req->op == INSPECT_OP_SUBSCRIBE ? "subscribe" : "unsubscribe",
			       result, &len);
	if (line)
		(void)out_append(c, line, len);
	free(line);
	/* the answer is queued before the first event can be */
	if (req->op == INSPECT_OP_SUBSCRIBE) {
		events_subscribe(ins->ctx, c->sub);
		STAT_ADD(ins, subscribers, 1);
	}
}

/* ---- requests ---- */

static void handle_line(struct ioasid_inspect *ins, struct client *c, const char *line, size_t len)
{
	struct ioasid_inspect_stats st;
	struct inspect_req req;
	char msg[256], *resp;
	size_t rlen;
	bool fatal;
	int err;

	STAT_ADD(ins, requests, 1);
	err = inspect_parse(line, len, &req, msg, sizeof(msg), &fatal);
	if (err) {
		send_error(ins, c, req.tag, err, msg, fatal);
		return;
	}
	if (req.op == INSPECT_OP_SUBSCRIBE || req.op == INSPECT_OP_UNSUBSCRIBE) {
		do_subscribe(ins, c, &req);
		return;
	}
	pthread_mutex_lock(&ins->st_lock);
	st = ins->st;
	pthread_mutex_unlock(&ins->st_lock);
	err = inspect_answer(ins->ctx, &req, &st, &resp, &rlen);
	if (err) {
		send_error(ins, c, req.tag, err, "out of memory for the answer", false);
		return;
	}
	if (!strncmp(resp, "{\"v\":1,\"ok\":false", 17))
		STAT_ADD(ins, errors, 1);
	if (out_append(c, resp, rlen))
		send_error(ins, c, req.tag, -ENOMEM, "out of memory for the answer", true);
	free(resp);
}

/* Read what is there; answer every complete line. -1: close the connection. */
static int client_read(struct ioasid_inspect *ins, struct client *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
		char *nl;

		if (n == 0) {
			/* a client that half-closes still gets its answers (`socat -`, shell pipes) */
			c->closing = true;
			return 0;
		}
		if (n < 0)
			return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
		c->in_len += (size_t)n;
		while (!c->closing && (nl = memchr(c->in, '\n', c->in_len))) {
			size_t len = (size_t)(nl - c->in);

			handle_line(ins, c, c->in, len);
			memmove(c->in, nl + 1, c->in_len - len - 1);
			c->in_len -= len + 1;
		}
		if (c->closing)
			return 0;
		if (c->in_len == sizeof(c->in)) {
			char msg[96];

			snprintf(msg, sizeof(msg),
				 "request line longer than %d bytes (its newline included)",
				 IOASID_INSPECT_MAX_LINE);
			STAT_ADD(ins, requests, 1);
			send_error(ins, c, "", -EMSGSIZE, msg, true);
			return 0;
		}
		if (out_pending(c) >= OUT_HIGH)
			return 0; /* the rest waits until this client reads its answers */
	}
}

/*
 * Read and forget what a peer sent before its connection is closed: a
 * Unix socket closed with unread data resets the peer, which could then
 * lose the error line that says why it was closed. Bounded.
 */
static void discard_input(int fd)
{
	char buf[4096];
	int i;

	for (i = 0; i < 16 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0; i++)
		;
}

static void client_close(struct ioasid_inspect *ins, uint32_t i)
{
	struct client *c = ins->clients[i];

	unsubscribe(ins, c);
	discard_input(c->fd);
	close(c->fd);
	free(c->out);
	ioasid_free(c);
	ins->clients[i] = ins->clients[--ins->nr_clients];
	STAT_ADD(ins, clients, -1u);
}

/* Tell a refused peer why, if its socket takes it now, and hang up. */
static void refuse(struct ioasid_inspect *ins, int fd, int err, const char *msg)
{
	size_t len;
	char *line = inspect_error_line("", err, msg, true, &len);

	/* counted before the peer can see the answer: it may look at the stats next */
	STAT_ADD(ins, refused, 1);
	if (line)
		(void)send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	free(line);
	discard_input(fd);
	close(fd);
}

static void accept_one(struct ioasid_inspect *ins)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct client *c;
	char msg[128];
	int fd = accept4(ins->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) || clen != sizeof(cred)) {
		refuse(ins, fd, -EPERM, "the peer's credentials cannot be read");
		return;
	}
	if (cred.uid != ins->owner && cred.uid != 0) {
		snprintf(msg, sizeof(msg),
			 "uid %u may not inspect this process (owner uid %u, or root)",
			 (unsigned)cred.uid, (unsigned)ins->owner);
		refuse(ins, fd, -EACCES, msg);
		return;
	}
	if (ins->nr_clients >= ins->max_clients) {
		snprintf(msg, sizeof(msg), "too many connections (%u)", ins->max_clients);
		refuse(ins, fd, -EBUSY, msg);
		return;
	}
	c = ioasid_calloc(1, sizeof(*c));
	if (!c) {
		refuse(ins, fd, -ENOMEM, "out of memory for a connection");
		return;
	}
	c->fd = fd;
	c->uid = cred.uid;
	ins->clients[ins->nr_clients++] = c;
	pthread_mutex_lock(&ins->st_lock);
	ins->st.accepted++;
	ins->st.clients++;
	pthread_mutex_unlock(&ins->st_lock);
}

static void *serve(void *arg)
{
	struct ioasid_inspect *ins = arg;
	struct pollfd pfd[2 + MAX_CLIENTS_LIMIT];

	for (;;) {
		uint32_t i, n = ins->nr_clients;
		bool subs = false;

		pfd[0] = (struct pollfd){ .fd = ins->wake[0], .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = ins->lfd, .events = POLLIN };
		for (i = 0; i < n; i++) {
			struct client *c = ins->clients[i];

			pfd[2 + i] = (struct pollfd){ .fd = c->fd };
			if (!c->closing && out_pending(c) < OUT_HIGH)
				pfd[2 + i].events |= POLLIN;
			if (out_pending(c))
				pfd[2 + i].events |= POLLOUT;
			subs |= c->sub != NULL;
		}
		if (poll(pfd, 2 + n, subs ? EVENT_POLL_MS : -1) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		for (i = n; i-- > 0;) {
			struct client *c = ins->clients[i];
			bool gone = false;

			if (pfd[2 + i].revents & POLLIN)
				gone = client_read(ins, c) < 0;
			else if (pfd[2 + i].revents & (POLLHUP | POLLERR))
				gone = true;
			if (!gone) {
				drain_events(ins, c);
				gone = out_flush(c) < 0 || (c->closing && !out_pending(c));
			}
			if (gone)
				client_close(ins, i);
		}
		if (pfd[1].revents & POLLIN)
			accept_one(ins);
	}
	return NULL;
}

/* ---- start and stop ---- */

/* What is at @path: nothing, or a socket nobody listens on (removed). */
static int path_free(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat sb;
	int fd, r;

	if (lstat(path, &sb)) {
		if (errno == ENOENT)
			return 0;
		return ioasid_err(NULL, -errno, "inspection socket %s: %s", path,
				  ioasid_strerrno(-errno));
	}
	if (!S_ISSOCK(sb.st_mode))
		return ioasid_err(NULL, -EEXIST,
				  "inspection socket %s: something other than a socket is there",
				  path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ioasid_err(NULL, -errno, "inspection socket %s: socket: %s", path,
				  ioasid_strerrno(-errno));
	memcpy(a.sun_path, path, strlen(path));
	r = connect(fd, (struct sockaddr *)&a, sizeof(a));
	close(fd);
	if (!r)
		return ioasid_err(NULL, -EADDRINUSE,
				  "inspection socket %s: a process listens on it already", path);
	if (errno != ECONNREFUSED)
		return ioasid_err(NULL, -EADDRINUSE, "inspection socket %s: in use (%s)", path,
				  ioasid_strerrno(-errno));
	if (unlink(path) && errno != ENOENT)
		return ioasid_err(NULL, -errno, "inspection socket %s: removing the stale one: %s",
				  path, ioasid_strerrno(-errno));
	return 0;
}

static int check_opts(const struct ioasid_inspect_opts *opts, struct ioasid_inspect_opts *o)
{
	int err;

	memset(o, 0, sizeof(*o));
	if (opts) {
		err = ioasid_opts_check(NULL, opts, opts->sz, sizeof(*o),
					"struct ioasid_inspect_opts");
		if (err)
			return err;
		memcpy(o, opts, IOASID_MIN(opts->sz, sizeof(*o)));
	}
	if (o->flags)
		return ioasid_err(NULL, -EINVAL, "unknown inspection flags 0x%x", o->flags);
	if (o->__reserved)
		return ioasid_err(NULL, -EINVAL, "ioasid_inspect_opts.__reserved is 0x%x, not 0",
				  o->__reserved);
	if (o->max_clients > MAX_CLIENTS_LIMIT)
		return ioasid_err(NULL, -EINVAL, "max_clients %u is above %u", o->max_clients,
				  MAX_CLIENTS_LIMIT);
	if (o->ring_events > RING_LIMIT)
		return ioasid_err(NULL, -EINVAL, "ring_events %u is above %u", o->ring_events,
				  RING_LIMIT);
	if (!o->max_clients)
		o->max_clients = MAX_CLIENTS_DEFAULT;
	if (!o->ring_events)
		o->ring_events = RING_DEFAULT;
	return 0;
}

static int listen_at(struct ioasid_inspect *ins, const char *path)
{
	struct stat sb;
	int err;

	ins->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (ins->lfd < 0)
		return ioasid_err(NULL, -errno, "inspection socket %s: socket: %s", path,
				  ioasid_strerrno(-errno));
	if (bind(ins->lfd, (struct sockaddr *)&ins->addr, sizeof(ins->addr)))
		return ioasid_err(NULL, -errno, "inspection socket %s: bind: %s", path,
				  ioasid_strerrno(-errno));
	/* nobody can connect before listen(): the mode is right by then */
	if (chmod(path, 0600) || lstat(path, &sb)) {
		err = ioasid_err(NULL, -errno, "inspection socket %s: chmod 0600: %s", path,
				 ioasid_strerrno(-errno));
		unlink(path);
		return err;
	}
	ins->dev = sb.st_dev;
	ins->ino = sb.st_ino;
	if (listen(ins->lfd, 16)) {
		err = ioasid_err(NULL, -errno, "inspection socket %s: listen: %s", path,
				 ioasid_strerrno(-errno));
		unlink(path);
		return err;
	}
	return 0;
}

/* Remove the socket file if it is still the one this endpoint made. */
static void unlink_ours(struct ioasid_inspect *ins)
{
	struct stat sb;

	if (!lstat(ins->addr.sun_path, &sb) && sb.st_dev == ins->dev && sb.st_ino == ins->ino)
		unlink(ins->addr.sun_path);
}

static void ins_free(struct ioasid_inspect *ins)
{
	if (ins->lfd >= 0)
		close(ins->lfd);
	if (ins->wake[0] >= 0)
		close(ins->wake[0]);
	if (ins->wake[1] >= 0)
		close(ins->wake[1]);
	pthread_mutex_destroy(&ins->st_lock);
	ioasid_free(ins);
}

IOASID_EXPORT int ioasid_inspect_start(struct ioasid_ctx *ctx, const char *path,
				       const struct ioasid_inspect_opts *opts,
				       struct ioasid_inspect **ret_ins)
{
	struct ioasid_inspect_opts o;
	struct ioasid_inspect *ins;
	int err;

	if (!ctx || !path || !ret_ins)
		return ioasid_err(NULL, -EINVAL, "ioasid_inspect_start: %s is NULL",
				  !ctx  ? "ctx" :
				  !path ? "path" :
					  "ret_ins");
	if (!*path)
		return ioasid_err(NULL, -EINVAL, "inspection socket path is empty");
	if (strlen(path) >= sizeof(ins->addr.sun_path))
		return ioasid_err(NULL, -ENAMETOOLONG,
				  "inspection socket path %.40s... is %zu bytes; a Unix socket address holds %zu",
				  path, strlen(path), sizeof(ins->addr.sun_path) - 1);
	err = check_opts(opts, &o);
	if (err)
		return err;
	ins = ioasid_calloc(1, sizeof(*ins));
	if (!ins)
		return ioasid_err(NULL, -ENOMEM, "out of memory for an inspection endpoint");
	ins->ctx = ctx;
	ins->lfd = ins->wake[0] = ins->wake[1] = -1;
	ins->owner = geteuid();
	ins->max_clients = o.max_clients;
	ins->ring_events = o.ring_events;
	ins->addr.sun_family = AF_UNIX;
	memcpy(ins->addr.sun_path, path, strlen(path));
	pthread_mutex_init(&ins->st_lock, NULL);
	if (pipe2(ins->wake, O_CLOEXEC | O_NONBLOCK)) {
		err = ioasid_err(NULL, -errno, "inspection socket %s: pipe: %s", path,
				 ioasid_strerrno(-errno));
		goto fail;
	}
	err = path_free(path);
	if (!err)
		err = listen_at(ins, path);
	if (err)
		goto fail;
	err = -pthread_create(&ins->thread, NULL, serve, ins);
	if (err) {
		unlink_ours(ins);
		ioasid_err(NULL, err, "inspection socket %s: no thread: %s", path,
			   ioasid_strerrno(err));
		goto fail;
	}
	pthread_mutex_lock(&live_lock);
	ins->next_live = live;
	live = ins;
	pthread_mutex_unlock(&live_lock);
	*ret_ins = ins;
	return 0;
fail:
	ins_free(ins);
	return err;
}

/* End the thread, close every connection, remove the socket file. */
static void shut_down(struct ioasid_inspect *ins)
{
	(void)!write(ins->wake[1], "x", 1);
	pthread_join(ins->thread, NULL);
	while (ins->nr_clients)
		client_close(ins, ins->nr_clients - 1);
	unlink_ours(ins);
}

void inspect_ctx_closing(struct ioasid_ctx *ctx)
{
	struct ioasid_inspect **pp, *ins;

	pthread_mutex_lock(&live_lock);
	for (pp = &live; (ins = *pp);) {
		if (ins->ctx != ctx) {
			pp = &ins->next_live;
			continue;
		}
		*pp = ins->next_live;
		ioasid_log(ctx, IOASID_LOG_WARN,
			   "the inspection endpoint at %s was still running: stopped with its context",
			   ins->addr.sun_path);
		shut_down(ins);
		ins->detached = true;
	}
	pthread_mutex_unlock(&live_lock);
}

IOASID_EXPORT void ioasid_inspect_stop(struct ioasid_inspect *ins)
{
	struct ioasid_inspect **pp;

	if (!ins)
		return;
	pthread_mutex_lock(&live_lock);
	if (!ins->detached) {
		for (pp = &live; *pp && *pp != ins; pp = &(*pp)->next_live)
			;
		if (*pp)
			*pp = ins->next_live;
		shut_down(ins);
	}
	pthread_mutex_unlock(&live_lock);
	ins_free(ins);
}

IOASID_EXPORT int ioasid_inspect_stats(struct ioasid_inspect *ins,
				       struct ioasid_inspect_stats *ret_stats)
{
	if (!ins || !ret_stats)
		return ioasid_err(NULL, -EINVAL, "ioasid_inspect_stats: %s is NULL",
				  !ins ? "ins" : "ret_stats");
	pthread_mutex_lock(&ins->st_lock);
	*ret_stats = ins->st;
	pthread_mutex_unlock(&ins->st_lock);
	return 0;
}
