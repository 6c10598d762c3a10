/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The inspection protocol (docs/inspection.md): a request line parsed and
 * checked member by member, and the read-only queries that answer it.
 *
 * Each query holds the context lock only to copy a bounded amount (one
 * page of mappings, one page of fault groups, fixed-size counters per
 * object, or the dump the library already builds under the lock), and
 * turns the copy into text after letting go. Nothing here writes the
 * context's error message: a bad id in a request is the client's mistake,
 * not the VMM's, so lookups use obj_find() and the message goes into the
 * response alone.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspect-private.h"
#include "events-private.h"
#include "fault-private.h"
#include "ioas-private.h"
#include "json-private.h"

#define X(v) ((unsigned long long)(v))

static const char *const op_names[] = {
	[INSPECT_OP_HELLO] = "hello",
	[INSPECT_OP_DUMP] = "dump",
	[INSPECT_OP_MAPPINGS] = "mappings",
	[INSPECT_OP_STATS] = "stats",
	[INSPECT_OP_FAULTS] = "faults",
	[INSPECT_OP_SUBSCRIBE] = "subscribe",
	[INSPECT_OP_UNSUBSCRIBE] = "unsubscribe",
};

/* Members each op accepts besides "op", "v" and "tag". */
static const char *const op_members[][4] = {
	[INSPECT_OP_HELLO] = { NULL },
	[INSPECT_OP_DUMP] = { "id", "maps", NULL },
	[INSPECT_OP_MAPPINGS] = { "ioas", "from", "count", NULL },
	[INSPECT_OP_STATS] = { NULL },
	[INSPECT_OP_FAULTS] = { "after", "count", NULL },
	[INSPECT_OP_SUBSCRIBE] = { "events", NULL },
	[INSPECT_OP_UNSUBSCRIBE] = { NULL },
};

static int bad(char *msg, size_t msg_len, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int bad(char *msg, size_t msg_len, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msg_len, fmt, ap);
	va_end(ap);
	return err;
}

/* A short rendering of a value for a message ("7", "\"x\"", "[...]"). */
static void show(const json_t *v, char *buf, size_t len)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

	if (!s) {
		snprintf(buf, len, "(a value)");
		return;
	}
	if (strlen(s) > 40)
		snprintf(buf, len, "%.37s...", s);
	else
		snprintf(buf, len, "%s", s);
	free(s);
}

/*
 * A 64-bit member: a JSON integer (not negative) or a "0x..." string (what
 * the responses write, since JSON numbers lose bits above 2^53).
 */
static int get_u64(const json_t *v, const char *key, uint64_t *ret, char *msg, size_t msg_len)
{
	char shown[48];

	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*ret = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t n = json_string_length(v), i;
		uint64_t x = 0;

		if (n > 2 && n <= 18 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
			for (i = 2; i < n; i++) {
				char c = s[i];
				unsigned d;

				if (c >= '0' && c <= '9')
					d = (unsigned)(c - '0');
				else if (c >= 'a' && c <= 'f')
					d = (unsigned)(c - 'a' + 10);
				else if (c >= 'A' && c <= 'F')
					d = (unsigned)(c - 'A' + 10);
				else
					break;
				x = (x << 4) | d;
			}
			if (i == n) {
				*ret = x;
				return 0;
			}
		}
	}
	show(v, shown, sizeof(shown));
	return bad(msg, msg_len, -EINVAL,
		   "\"%s\" is %s: not an unsigned integer or a \"0x...\" string of at most 64 bits",
		   key, shown);
}

static int get_u32_range(const json_t *v, const char *key, uint32_t lo, uint32_t hi, uint32_t *ret,
			 char *msg, size_t msg_len)
{
	char shown[48];

	if (json_is_integer(v) && json_integer_value(v) >= lo && json_integer_value(v) <= hi) {
		*ret = (uint32_t)json_integer_value(v);
		return 0;
	}
	show(v, shown, sizeof(shown));
	return bad(msg, msg_len, json_is_integer(v) ? -ERANGE : -EINVAL,
		   "\"%s\" is %s: not an integer in [%u, %u]", key, shown, lo, hi);
}

static int get_events(const json_t *v, uint32_t *ret, char *msg, size_t msg_len)
{
	char shown[48];
	size_t i;

	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > EVENT_NR_KINDS) {
		show(v, shown, sizeof(shown));
		return bad(msg, msg_len, -EINVAL,
			   "\"events\" is %s: not a list of 1 to %d event names", shown,
			   EVENT_NR_KINDS);
	}
	*ret = 0;
	for (i = 0; i < json_array_size(v); i++) {
		const json_t *e = json_array_get(v, i);
		uint32_t k;

		for (k = 0; k < EVENT_NR_KINDS; k++)
			if (json_is_string(e) && !strcmp(json_string_value(e), event_kind_name(k)))
				break;
		if (k == EVENT_NR_KINDS) {
			show(e, shown, sizeof(shown));
			return bad(msg, msg_len, -EINVAL,
				   "\"events\" names %s: not map, unmap, attach, detach or fault",
				   shown);
		}
		*ret |= 1u << k;
	}
	return 0;
}

static int parse_tag(const json_t *tag, struct inspect_req *req, char *msg, size_t msg_len)
{
	char shown[48];
	char *s;

	if (!tag)
		return 0;
	if (!(json_is_string(tag) && json_string_length(tag) <= INSPECT_TAG_MAX) &&
	    !json_is_integer(tag)) {
		show(tag, shown, sizeof(shown));
		return bad(msg, msg_len, -EINVAL,
			   "\"tag\" is %s: not an integer or a string of at most %d bytes", shown,
			   INSPECT_TAG_MAX);
	}
	s = json_dumps(tag, JSON_ENCODE_ANY | JSON_COMPACT | JSON_ENSURE_ASCII);
	if (!s)
		return bad(msg, msg_len, -ENOMEM, "out of memory for the tag");
	if (strlen(s) >= sizeof(req->tag)) {
		/* a short string of escaped control characters grows sixfold */
		free(s);
		return bad(msg, msg_len, -EINVAL,
			   "\"tag\" is too long once escaped (%d bytes at most)", INSPECT_TAG_MAX);
	}
	strcpy(req->tag, s);
	free(s);
	return 0;
}

/* The op's own members, each checked; every other member is refused by name. */
static int parse_members(json_t *o, struct inspect_req *req, char *msg, size_t msg_len)
{
	const char *key;
	json_t *v;
	int err = 0;

	json_object_foreach(o, key, v) {
		size_t i;

		if (!strcmp(key, "op") || !strcmp(key, "v") || !strcmp(key, "tag"))
			continue;
		for (i = 0; op_members[req->op][i]; i++)
			if (!strcmp(key, op_members[req->op][i]))
				break;
		if (!op_members[req->op][i])
			return bad(msg, msg_len, -EINVAL, "op \"%s\" has no member \"%.40s\"",
				   op_names[req->op], key);
		if (!strcmp(key, "id"))
			err = get_u32_range(v, key, 1, UINT32_MAX, &req->id, msg, msg_len);
		else if (!strcmp(key, "ioas"))
			err = get_u32_range(v, key, 1, UINT32_MAX, &req->id, msg, msg_len);
		else if (!strcmp(key, "maps"))
			err = json_is_boolean(v) ?
				      (req->maps = json_is_true(v), 0) :
				      bad(msg, msg_len, -EINVAL, "\"maps\" is not true or false");
		else if (!strcmp(key, "from") || !strcmp(key, "after"))
			err = get_u64(v, key, &req->from, msg, msg_len);
		else if (!strcmp(key, "count"))
			err = get_u32_range(v, key, 1,
					    req->op == INSPECT_OP_MAPPINGS ? INSPECT_MAPPINGS_MAX :
									     INSPECT_FAULTS_MAX,
					    &req->count, msg, msg_len);
		else if (!strcmp(key, "events"))
			err = get_events(v, &req->events, msg, msg_len);
		if (err)
			return err;
	}
	if (req->op == INSPECT_OP_MAPPINGS && !json_object_get(o, "ioas"))
		return bad(msg, msg_len, -EINVAL, "op \"mappings\" needs \"ioas\"");
	return 0;
}

int inspect_parse(const char *line, size_t len, struct inspect_req *req, char *msg, size_t msg_len,
		  bool *ret_fatal)
{
	json_error_t jerr;
	json_t *o, *op, *v;
	char shown[48];
	size_t i;
	int err;

	memset(req, 0, sizeof(*req));
	req->events = EVENT_MASK_ALL;
	*ret_fatal = true;
	if (len >= IOASID_INSPECT_MAX_LINE)
		return bad(msg, msg_len, -EMSGSIZE, "request of %zu bytes: longer than %d", len,
			   IOASID_INSPECT_MAX_LINE - 1);
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		return bad(msg, msg_len, -EPROTO, "not JSON: %s at byte %d", jerr.text,
			   jerr.position);
	if (!json_is_object(o)) {
		json_decref(o);
		return bad(msg, msg_len, -EPROTO, "a request is a JSON object, not this");
	}
	*ret_fatal = false;
	err = parse_tag(json_object_get(o, "tag"), req, msg, msg_len);
	v = json_object_get(o, "v");
	if (!err && v && !(json_is_integer(v) && json_integer_value(v) == IOASID_INSPECT_PROTOCOL)) {
		show(v, shown, sizeof(shown));
		err = bad(msg, msg_len, -EPROTONOSUPPORT,
			  "protocol version \"v\" %s is not supported (this endpoint speaks %d)",
			  shown, IOASID_INSPECT_PROTOCOL);
	}
	op = json_object_get(o, "op");
	if (!err && !json_is_string(op)) {
		if (op)
			show(op, shown, sizeof(shown));
		err = bad(msg, msg_len, -EINVAL, op ? "\"op\" is %s: not a string" : "no \"op\"%s",
			  op ? shown : "");
	}
	if (!err) {
		for (i = 0; i < ARRAY_SIZE(op_names); i++)
			if (!strcmp(json_string_value(op), op_names[i]))
				break;
		if (i == ARRAY_SIZE(op_names)) {
			show(op, shown, sizeof(shown));
			err = bad(msg, msg_len, -EOPNOTSUPP, "unknown op %s", shown);
		} else {
			req->op = (enum inspect_op)i;
			err = parse_members(o, req, msg, msg_len);
		}
	}
	json_decref(o);
	return err;
}

/* ---- responses ---- */

static char *line_join(const char *head, const char *body, const char *tail, size_t *ret_len)
{
	size_t a = strlen(head), b = strlen(body), c = strlen(tail);
	char *s = malloc(a + b + c + 2);

	if (!s)
		return NULL;
	memcpy(s, head, a);
	memcpy(s + a, body, b);
	memcpy(s + a + b, tail, c);
	s[a + b + c] = '\n';
	s[a + b + c + 1] = '\0';
	*ret_len = a + b + c + 1;
	return s;
}

char *inspect_ok_line(const char *tag, const char *op, const char *result, size_t *ret_len)
{
	char head[160];

	snprintf(head, sizeof(head),
		 "{\"v\":%d,%s%s%s\"ok\":true,\"op\":\"%s\",\"result\":", IOASID_INSPECT_PROTOCOL,
		 *tag ? "\"tag\":" : "", tag, *tag ? "," : "", op);
	return line_join(head, result, "}", ret_len);
}

char *inspect_error_line(const char *tag, int err, const char *msg, bool closing, size_t *ret_len)
{
	json_t *o = json_pack("{s:i,s:b,s:{s:s,s:i,s:s},s:b}", "v", IOASID_INSPECT_PROTOCOL, "ok",
			      0, "error", "errno", ioasid_strerrno(err), "code", err, "message",
			      msg, "closing", closing);
	char *body, *s;

	if (!o)
		return NULL;
	if (tag && *tag) {
		json_t *t = json_loads(tag, JSON_DECODE_ANY, NULL);

		if (!t || json_object_set_new(o, "tag", t)) {
			json_decref(o);
			return NULL;
		}
	}
	body = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!body)
		return NULL;
	s = line_join("", body, "", ret_len);
	free(body);
	return s;
}

/* Serialize @o (stolen) as the result of an ok line. */
static int ok_json(const struct inspect_req *req, json_t *o, char **ret, size_t *ret_len)
{
	char *body;

	if (!o)
		return -ENOMEM;
	body = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!body)
		return -ENOMEM;
	*ret = inspect_ok_line(req->tag, op_names[req->op], body, ret_len);
	free(body);
	return *ret ? 0 : -ENOMEM;
}

static int fail(const struct inspect_req *req, int err, const char *msg, char **ret, size_t *ret_len)
{
	*ret = inspect_error_line(req->tag, err, msg, false, ret_len);
	return *ret ? 0 : -ENOMEM;
}

static int answer_hello(struct ioasid_ctx *ctx, const struct inspect_req *req, char **ret,
			size_t *ret_len)
{
	json_t *ops = json_array(), *evs = json_array();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(op_names); i++)
		json_array_append_new(ops, json_string(op_names[i]));
	for (i = 0; i < EVENT_NR_KINDS; i++)
		json_array_append_new(evs, json_string(event_kind_name((uint32_t)i)));
	return ok_json(req,
		       json_pack("{s:i,s:s,s:s,s:I,s:o,s:o,s:i}", "protocol",
				 IOASID_INSPECT_PROTOCOL, "schema", IOASID_JSON_SCHEMA, "backend",
				 ioasid_ctx_backend_name(ctx), "pid", (json_int_t)getpid(), "ops",
				 ops, "events", evs, "max_line", IOASID_INSPECT_MAX_LINE),
		       ret, ret_len);
}

/*
 * The context's document is ioasid_json_ctx()'s, built under the lock in
 * one go (a consistent snapshot); one object's is its kind's dump, under
 * the lock too, with a miss answered without touching the context.
 */
static int answer_dump(struct ioasid_ctx *ctx, const struct inspect_req *req, char **ret,
		       size_t *ret_len)
{
	uint32_t flags = IOASID_JSON_COMPACT | (req->maps ? 0 : IOASID_JSON_NO_MAPS);
	char msg[128], *doc = NULL;
	int err = 0;

	if (!req->id) {
		err = ioasid_json_ctx(ctx, flags, &doc);
	} else {
		struct ioasid_obj *obj;
		json_t *d = NULL, *body = NULL;

		ctx_lock(ctx);
		obj = obj_find(ctx, req->id, IOASID_OBJ_NONE);
		if (obj) {
			body = obj_dump(ctx, obj, flags);
			d = json_pack("{s:s}", "schema", IOASID_JSON_SCHEMA);
		}
		ctx_unlock(ctx);
		if (!obj) {
			snprintf(msg, sizeof(msg), "\"id\" %u names no object", req->id);
			return fail(req, -ENOENT, msg, ret, ret_len);
		}
		if (body && d && !json_object_update(d, body))
			doc = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(body);
		json_decref(d);
		err = doc ? 0 : -ENOMEM;
	}
	if (err)
		return fail(req, err, "out of memory for the dump", ret, ret_len);
	*ret = inspect_ok_line(req->tag, "dump", doc, ret_len);
	free(doc);
	return *ret ? 0 : -ENOMEM;
}

static const char *perm_name(uint32_t flags)
{
	static const char *const names[] = { "-", "w", "r", "rw" };

	return names[((flags & IOASID_MAP_READ) ? 2 : 0) | ((flags & IOASID_MAP_WRITE) ? 1 : 0)];
}

/*
 * One page of an IOAS's areas from req->from, with the IOAS's area count
 * and mapped bytes read in the same lock hold: the page and the totals
 * are one snapshot.
 */
static int answer_mappings(struct ioasid_ctx *ctx, const struct inspect_req *req, char **ret,
			   size_t *ret_len)
{
	uint32_t want = req->count ? req->count : INSPECT_MAPPINGS_DEFAULT, n = 0, i;
	struct ioasid_mapping *m = malloc(want * sizeof(*m));
	uint64_t total = 0, bytes = 0, next = 0;
	bool more = false, found;
	json_t *o, *arr;
	char msg[128];

	if (!m)
		return -ENOMEM;
	ctx_lock(ctx);
	{
		struct ioasid_ioas *ioas = obj_find(ctx, req->id, IOASID_OBJ_IOAS);
		const struct iova_area *a = NULL;

		found = ioas != NULL;
		if (ioas) {
			total = iova_tree_count(ioas->areas);
			bytes = ioas->mapped_bytes;
			a = iova_tree_first_in(ioas->areas, req->from, UINT64_MAX);
		}
		for (; a && n < want; a = iova_tree_next(ioas->areas, a), n++) {
			m[n].iova = a->iova;
			m[n].length = a->last - a->iova + 1;
			m[n].uva = area_view_uva(ctx, a);
			m[n].flags = (uint32_t)(a->cookie & AREA_PERM_MASK);
		}
		if (a) {
			more = true;
			next = a->iova;
		}
	}
	ctx_unlock(ctx);
	if (!found) {
		free(m);
		snprintf(msg, sizeof(msg), "\"ioas\" %u names no IOAS", req->id);
		return fail(req, -ENOENT, msg, ret, ret_len);
	}
	arr = json_array();
	for (i = 0; arr && i < n; i++)
		if (dump_append(arr, json_pack("{s:o,s:o,s:o,s:s}", "iova", dump_hex(m[i].iova),
					       "length", dump_hex(m[i].length), "uva",
					       dump_hex(m[i].uva), "perm", perm_name(m[i].flags)))) {
			json_decref(arr);
			arr = NULL;
		}
	free(m);
	o = json_pack("{s:i,s:o,s:I,s:o,s:i,s:o,s:o}", "ioas", (json_int_t)req->id, "from",
		      dump_hex(req->from), "nr_areas", (json_int_t)total, "mapped_bytes",
		      dump_hex(bytes), "count", (json_int_t)n, "mappings", arr, "next",
		      more ? dump_hex(next) : json_null());
	return ok_json(req, o, ret, ret_len);
}

struct ioas_count {
	uint32_t id;
	uint32_t attached;
	uint64_t areas, bytes;
};

struct queue_count {
	uint32_t id, set;
	struct ioasid_fault_queue_stats st;
};

static json_t *kinds_json(const uint32_t *per_kind)
{
	static const enum ioasid_obj_kind kinds[] = {
		IOASID_OBJ_SET,     IOASID_OBJ_IOAS,        IOASID_OBJ_DEV,
		IOASID_OBJ_HWPT,    IOASID_OBJ_FAULT_QUEUE, IOASID_OBJ_VIOMMU,
		IOASID_OBJ_VDEVICE, IOASID_OBJ_VEVENTQ,     IOASID_OBJ_HW_QUEUE,
	};
	json_t *o = json_object();
	size_t i;

	for (i = 0; o && i < ARRAY_SIZE(kinds); i++)
		if (dump_add(o, obj_kind_name(kinds[i]), json_integer(per_kind[kinds[i]]))) {
			json_decref(o);
			return NULL;
		}
	return o;
}

static json_t *endpoint_json(const struct ioasid_inspect_stats *st)
{
	if (!st)
		return json_null();
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:i}", "accepted",
			 (json_int_t)st->accepted, "refused", (json_int_t)st->refused, "requests",
			 (json_int_t)st->requests, "errors", (json_int_t)st->errors,
			 "closed_on_error", (json_int_t)st->closed_on_error, "events_sent",
			 (json_int_t)st->events_sent, "events_dropped",
			 (json_int_t)st->events_dropped, "clients", (json_int_t)st->clients,
			 "subscribers", (json_int_t)st->subscribers);
}

/* Counters: fixed-size records per IOAS and per fault queue, copied under the lock. */
static int answer_stats(struct ioasid_ctx *ctx, const struct inspect_req *req,
			const struct ioasid_inspect_stats *est, char **ret, size_t *ret_len)
{
	uint32_t per_kind[IOASID_OBJ_HW_QUEUE + 8] = { 0 };
	struct ioas_count *ic = NULL;
	struct queue_count *qc = NULL;
	uint32_t nr_ioas = 0, nr_q = 0, i, pos;
	uint64_t pinned, groups = 0, unrouted;
	struct ioasid_obj *obj;
	struct fault_group *g;
	json_t *o, *ioases, *queues;

	ctx_lock(ctx);
	for (i = 0; i < ctx->nr_slots; i++) {
		obj = ctx->objs[i];
		if (obj && (uint32_t)obj->kind < ARRAY_SIZE(per_kind))
			per_kind[obj->kind]++;
	}
	ic = calloc(per_kind[IOASID_OBJ_IOAS] + 1, sizeof(*ic));
	qc = calloc(per_kind[IOASID_OBJ_FAULT_QUEUE] + 1, sizeof(*qc));
	for (pos = 0; ic && (obj = obj_next(ctx, IOASID_OBJ_IOAS, &pos));) {
		struct ioasid_ioas *ioas = (struct ioasid_ioas *)obj;

		ic[nr_ioas++] = (struct ioas_count){ obj->id, ioas_nr_devices(ioas),
						     iova_tree_count(ioas->areas),
						     ioas->mapped_bytes };
	}
	for (pos = 0; qc && (obj = obj_next(ctx, IOASID_OBJ_FAULT_QUEUE, &pos));) {
		struct ioasid_fault_queue *q = (struct ioasid_fault_queue *)obj;

		qc[nr_q] = (struct queue_count){ obj->id, q->set, q->st };
		qc[nr_q].st.queued = q->queued;
		qc[nr_q++].st.pending = q->pending;
	}
	for (g = ctx->groups; g; g = g->next)
		groups++;
	pinned = ctx->pinned_pages;
	unrouted = ctx->unrouted_count;
	ctx_unlock(ctx);
	if (!ic || !qc) {
		free(ic);
		free(qc);
		return fail(req, -ENOMEM, "out of memory for the statistics", ret, ret_len);
	}
	ioases = json_array();
	for (i = 0; ioases && i < nr_ioas; i++)
		if (dump_append(ioases, json_pack("{s:i,s:I,s:o,s:i}", "id", (json_int_t)ic[i].id,
						  "nr_areas", (json_int_t)ic[i].areas,
						  "mapped_bytes", dump_hex(ic[i].bytes),
						  "nr_attached", (json_int_t)ic[i].attached))) {
			json_decref(ioases);
			ioases = NULL;
		}
	queues = json_array();
	for (i = 0; queues && i < nr_q; i++) {
		const struct ioasid_fault_queue_stats *s = &qc[i].st;

		if (dump_append(queues,
				json_pack("{s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:i}",
					  "id", (json_int_t)qc[i].id, "set", (json_int_t)qc[i].set,
					  "raised", (json_int_t)s->raised, "delivered",
					  (json_int_t)s->delivered, "groups", (json_int_t)s->groups,
					  "answered_success", (json_int_t)s->answered_success,
					  "answered_invalid", (json_int_t)s->answered_invalid,
					  "answered_failure", (json_int_t)s->answered_failure,
					  "timed_out", (json_int_t)s->timed_out, "overflowed",
					  (json_int_t)s->overflowed, "detached",
					  (json_int_t)s->detached, "queued", (json_int_t)s->queued,
					  "pending", (json_int_t)s->pending))) {
			json_decref(queues);
			queues = NULL;
		}
	}
	free(ic);
	free(qc);
	o = json_pack("{s:o,s:I,s:I,s:I,s:o,s:o,s:o}", "objects", kinds_json(per_kind),
		      "pinned_pages", (json_int_t)pinned, "pending_groups", (json_int_t)groups,
		      "unrouted_faults", (json_int_t)unrouted, "ioas", ioases, "fault_queues",
		      queues, "endpoint", endpoint_json(est));
	return ok_json(req, o, ret, ret_len);
}

struct group_copy {
	uint64_t cookie, deadline, addr;
	uint32_t queue, set, dev, pasid, hwpt, nrec;
	bool read, kernel;
};

/*
 * The pending page request groups with a cookie above req->from, lowest
 * first, a page of them: the context keeps them in a list, newest first,
 * so the page is picked by insertion into a bounded sorted array.
 */
static int answer_faults(struct ioasid_ctx *ctx, const struct inspect_req *req, char **ret,
			 size_t *ret_len)
{
	uint32_t want = req->count ? req->count : INSPECT_FAULTS_DEFAULT, n = 0, i;
	struct group_copy *c = malloc(want * sizeof(*c));
	uint64_t total = 0, now;
	struct fault_group *g;
	bool more = false;
	json_t *arr, *o;

	if (!c)
		return -ENOMEM;
	ctx_lock(ctx);
	now = fault_now(ctx);
	for (g = ctx->groups; g; g = g->next) {
		uint32_t at;

		total++;
		if (g->cookie <= req->from)
			continue;
		for (at = n; at > 0 && c[at - 1].cookie > g->cookie; at--)
			;
		if (at == want) {
			more = true;
			continue;
		}
		if (n == want)
			more = true;
		else
			n++;
		memmove(&c[at + 1], &c[at], (n - 1 - at) * sizeof(*c));
		c[at] = (struct group_copy){
			.cookie = g->cookie,
			.deadline = g->deadline,
			.addr = g->nrec ? g->recs[0].addr : 0,
			.queue = g->q ? g->q->obj.id : 0,
			.set = g->q ? g->q->set : 0,
			.dev = g->dev,
			.pasid = g->pasid,
			.hwpt = g->hwpt,
			.nrec = g->nrec,
			.read = g->read,
			.kernel = g->kcookie != 0,
		};
	}
	ctx_unlock(ctx);
	arr = json_array();
	for (i = 0; arr && i < n; i++) {
		json_t *pasid = c[i].pasid == IOASID_PASID_NONE ? json_null() :
								  json_integer(c[i].pasid);

		if (dump_append(arr,
				json_pack("{s:I,s:i,s:i,s:i,s:o,s:i,s:i,s:o,s:b,s:b,s:I}", "cookie",
					  (json_int_t)c[i].cookie, "queue", (json_int_t)c[i].queue,
					  "set", (json_int_t)c[i].set, "dev", (json_int_t)c[i].dev,
					  "pasid", pasid, "hwpt", (json_int_t)c[i].hwpt, "records",
					  (json_int_t)c[i].nrec, "addr", dump_hex(c[i].addr),
					  "read", c[i].read, "kernel", c[i].kernel, "expires_in_ns",
					  (json_int_t)(c[i].deadline > now ? c[i].deadline - now :
									     0)))) {
			json_decref(arr);
			arr = NULL;
		}
	}
	free(c);
	o = json_pack("{s:I,s:I,s:i,s:o,s:o}", "after", (json_int_t)req->from, "pending",
		      (json_int_t)total, "count", (json_int_t)n, "groups", arr, "more",
		      json_boolean(more));
	return ok_json(req, o, ret, ret_len);
}

int inspect_answer(struct ioasid_ctx *ctx, const struct inspect_req *req,
		   const struct ioasid_inspect_stats *st, char **ret, size_t *ret_len)
{
	*ret = NULL;
	switch (req->op) {
	case INSPECT_OP_HELLO:
		return answer_hello(ctx, req, ret, ret_len);
	case INSPECT_OP_DUMP:
		return answer_dump(ctx, req, ret, ret_len);
	case INSPECT_OP_MAPPINGS:
		return answer_mappings(ctx, req, ret, ret_len);
	case INSPECT_OP_STATS:
		return answer_stats(ctx, req, st, ret, ret_len);
	case INSPECT_OP_FAULTS:
		return answer_faults(ctx, req, ret, ret_len);
	case INSPECT_OP_SUBSCRIBE:
	case INSPECT_OP_UNSUBSCRIBE:
		break;
	}
	return fail(req, -EINVAL, "subscribe and unsubscribe need a connection", ret, ret_len);
}
