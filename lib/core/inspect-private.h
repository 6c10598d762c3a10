/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The inspection endpoint's protocol (inspect-proto.c), apart from its
 * socket and thread (inspect.c) so that the fuzzer reaches the parser and
 * the queries without a socket. docs/inspection.md is the protocol.
 */
#ifndef IOASID_INSPECT_PRIVATE_H
#define IOASID_INSPECT_PRIVATE_H

#include <ioasid/inspect.h>

#include "private.h"

enum inspect_op {
	INSPECT_OP_HELLO,
	INSPECT_OP_DUMP,
	INSPECT_OP_MAPPINGS,
	INSPECT_OP_STATS,
	INSPECT_OP_FAULTS,
	INSPECT_OP_SUBSCRIBE,
	INSPECT_OP_UNSUBSCRIBE,
};

#define INSPECT_TAG_MAX 64        /* a string tag's bytes */
#define INSPECT_MAPPINGS_MAX 1024 /* areas in one "mappings" answer */
#define INSPECT_MAPPINGS_DEFAULT 256
#define INSPECT_FAULTS_MAX 256 /* groups in one "faults" answer */
#define INSPECT_FAULTS_DEFAULT 64

struct inspect_req {
	enum inspect_op op;
	char tag[INSPECT_TAG_MAX + 8]; /* the tag as JSON text ("" when none) */
	uint32_t id;                   /* dump: 0 = the context; mappings: the IOAS */
	bool maps;                     /* dump: with every IOAS's mappings */
	uint64_t from;                 /* mappings: IOVA; faults: cookie to start after */
	uint32_t count;
	uint32_t events; /* subscribe: 1 << enum event_kind */
};

/*
 * Parse one request line (@len bytes, its newline taken off). Return: 0;
 * or a negative errno with the reason, naming the bad value, in @msg, and
 * *@ret_fatal true when the line is not a JSON object at all (the
 * connection is then closed: its framing cannot be trusted).
 */
int inspect_parse(const char *line, size_t len, struct inspect_req *req, char *msg, size_t msg_len,
		  bool *ret_fatal);

/*
 * Answer @req (any op but subscribe/unsubscribe, which the endpoint
 * handles) on @ctx: the response line, '\n' included, in *@ret (free()),
 * an error response when the query fails. @st: the endpoint's counters
 * for "stats", or NULL. Return: 0, or -ENOMEM (nothing to send).
 */
int inspect_answer(struct ioasid_ctx *ctx, const struct inspect_req *req,
		   const struct ioasid_inspect_stats *st, char **ret, size_t *ret_len);

/*
 * ioasid_ctx_close() calls it first: every endpoint still serving @ctx is
 * shut down (thread, connections, socket file; a warning logged), and its
 * ioasid_inspect_stop() then only frees it.
 */
void inspect_ctx_closing(struct ioasid_ctx *ctx);

/* An error response line ('\n' included; free()); NULL out of memory. */
char *inspect_error_line(const char *tag, int err, const char *msg, bool closing, size_t *ret_len);
/* A plain success line {"v":1,"tag":..,"ok":true,"op":@op,"result":@result}. */
char *inspect_ok_line(const char *tag, const char *op, const char *result, size_t *ret_len);

#endif
