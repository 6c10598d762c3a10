/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libioasid: live inspection of a running VMM.
 *
 * A VMM starts a control endpoint for one of its contexts: a Unix stream
 * socket at a path it chooses, served by a thread of the library's own,
 * that answers read-only queries — the JSON dump of the context or of one
 * object, the mappings of an IOAS a page at a time, statistics, the
 * pending page request groups — and streams events (maps, unmaps,
 * attaches, detaches, faults) to the clients that subscribe. The protocol
 * (versioned JSON, one request per line and one response per line) and
 * the security model are in docs/inspection.md; `ioasidctl --connect
 * SOCKET` is its client.
 *
 * The endpoint never blocks the VMM: it takes the context lock only for
 * bounded copies, and a subscriber that does not read loses events (each
 * counted, the count reported to it) rather than slowing the thread that
 * made them. Only processes of the VMM's effective uid, or root, are
 * answered (SO_PEERCRED); the socket is created with mode 0600.
 */
#ifndef IOASID_INSPECT_H
#define IOASID_INSPECT_H

#include <ioasid/ctx.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The protocol version: the "v" member of every message. */
#define IOASID_INSPECT_PROTOCOL 1
/* The longest request line, its newline included. */
#define IOASID_INSPECT_MAX_LINE 4096

struct ioasid_inspect;

/*
 * Options of ioasid_inspect_start(); see IOASID_OPTS_INIT(). Zero fields
 * take the defaults.
 */
struct ioasid_inspect_opts {
	size_t sz;
	uint32_t flags;       /* none yet: 0 */
	uint32_t max_clients; /* connections served at once; 0 = 8, at most 64 */
	uint32_t ring_events; /* events a subscriber's ring holds; 0 = 4096, at most 1 << 20 */
	uint32_t __reserved;
};

/* Counters of an endpoint, since it started. */
struct ioasid_inspect_stats {
	uint64_t accepted;        /* connections answered */
	uint64_t refused;         /* connections refused: another uid, or too many */
	uint64_t requests;        /* requests answered, errors included */
	uint64_t errors;          /* error responses */
	uint64_t closed_on_error; /* connections closed for a malformed or oversized request */
	uint64_t events_sent;     /* events written to subscribers */
	uint64_t events_dropped;  /* events dropped because a subscriber was behind */
	uint32_t clients;         /* connections open now */
	uint32_t subscribers;     /* of those, subscribed to events */
};

/**
 * ioasid_inspect_start() - start a control endpoint for a context.
 * @ctx: the context. Stop the endpoint before ioasid_ctx_close(); a
 * context closed first shuts its endpoints down (a warning is logged) and
 * ioasid_inspect_stop() then only frees them.
 * @path: where to create the socket. An existing socket there that nobody
 * listens on (a stale one) is replaced; anything else there is refused.
 * @opts: options, or NULL for the defaults.
 * @ret_ins: the endpoint.
 *
 * The socket is bound, made mode 0600 and only then listened on, so no
 * peer can connect before its mode is set; every connection is checked
 * again with SO_PEERCRED (the owner is the calling process's effective uid
 * at this call; root is allowed too).
 * Return: 0; -EINVAL a NULL argument, an empty @path, unknown flags or
 * out-of-range options; -E2BIG a non-zero unknown tail of @opts;
 * -ENAMETOOLONG a @path longer than a Unix socket address holds; -EEXIST
 * something other than a socket at @path; -EADDRINUSE a socket at @path
 * that a process listens on; -ENOMEM; another negative errno from the
 * socket calls or from starting the thread. The message names the path.
 */
IOASID_EXPORT int ioasid_inspect_start(struct ioasid_ctx *ctx, const char *path,
				       const struct ioasid_inspect_opts *opts,
				       struct ioasid_inspect **ret_ins);

/**
 * ioasid_inspect_stop() - stop an endpoint: its thread ends, its
 * connections are closed, its socket file is removed (if it is still the
 * one it made) and it is freed.
 * @ins: the endpoint; NULL is fine.
 */
IOASID_EXPORT void ioasid_inspect_stop(struct ioasid_inspect *ins);

/**
 * ioasid_inspect_stats() - an endpoint's counters.
 * @ins: the endpoint.
 * @ret_stats: filled in.
 * Return: 0, or -EINVAL for a NULL argument.
 */
IOASID_EXPORT int ioasid_inspect_stats(struct ioasid_inspect *ins,
				       struct ioasid_inspect_stats *ret_stats);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_INSPECT_H */
