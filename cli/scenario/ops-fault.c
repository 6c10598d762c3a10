/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Ops on fault queues: allocation, reading records, answering page
 * requests, statistics, faults nobody routed, and the scenario's clock
 * that times unanswered requests out.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../ioasidctl.h"
#include "private.h"

/* A record's flags: the library's names in bit order, then the unnamed bits as hex. */
static json_t *fault_flags_json(uint32_t flags)
{
	json_t *list = json_array();
	uint32_t rest = 0, bit;
	const char *name;
	unsigned int i;

	for (i = 0; i < 32; i++) {
		bit = 1u << i;
		if (!(flags & bit))
			continue;
		name = ioasid_fault_flag_name(bit);
		if (name)
			json_array_append_new(list, json_string(name));
		else
			rest |= bit;
	}
	if (rest)
		json_array_append_new(list, json_hex(rest));
	return list;
}

/* A fault record as values show it: names, labels, null for invalid fields. */
static json_t *fault_json(const struct scenario *sc, const struct ioasid_fault *f)
{
	const char *reason = ioasid_fault_reason_name(f->reason);
	json_t *o = json_object();
	const char *lb;

	json_object_set_new(o, "flags", fault_flags_json(f->flags));
	json_object_set_new(o, "reason", reason ? json_string(reason) : json_integer(f->reason));
	lb = label_of_id(sc, f->dev, K_DEV);
	json_object_set_new(o, "dev", lb ? json_string(lb) : json_null());
	json_object_set_new(o, "pasid", (f->flags & IOASID_FAULT_F_PASID_VALID) ?
				    json_integer(f->pasid) : json_null());
	json_object_set_new(o, "addr", (f->flags & IOASID_FAULT_F_ADDR_VALID) ?
				   json_hex(f->addr) : json_null());
	json_object_set_new(o, "grpid", (f->flags & IOASID_FAULT_F_GROUP_VALID) ?
				    json_integer(f->grpid) : json_null());
	/* an automatic domain has no label */
	lb = label_of_id(sc, f->hwpt, K_HWPT);
	json_object_set_new(o, "hwpt", lb ? json_string(lb) : json_null());
	json_object_set_new(o, "cookie",
			    (f->flags & (IOASID_FAULT_F_PAGE_REQ | IOASID_FAULT_F_TIMED_OUT)) ?
				    json_integer((json_int_t)f->cookie) :
				    json_null());
	if (f->flags & IOASID_FAULT_F_PRIV_VALID)
		json_object_set_new(o, "private_data",
				    json_pack("[o,o]", json_hex(f->private_data[0]),
					      json_hex(f->private_data[1])));
	return o;
}

HANDLER(op_fault_queue_alloc)
{
	struct ioasid_fault_queue_opts o = { .sz = sizeof(struct ioasid_fault_queue_opts),
					     .set = obj_id(s, "set"),
					     .depth = (uint32_t)num(s, "depth", 0),
					     .timeout_ns = num(s, "timeout_ns", 0),
					     .flags = has(s, "timeout_code") ?
							      IOASID_FAULT_QUEUE_TIMEOUT_CODE :
							      0,
					     .timeout_code = (uint32_t)num(s, "timeout_code", 0) };
	uint32_t id = IOASID_ID_NONE;
	int err = ioasid_fault_queue_alloc(r->ctx, &o, &id);

	return label_made(s, err, id);
}

HANDLER(op_fault_queue_destroy)
{
	return label_ended(s, "queue", ioasid_fault_queue_destroy(r->ctx, obj_id(s, "queue")));
}

HANDLER(op_fault_read)
{
	struct label *q = arg(s, "queue")->label;
	uint32_t n = (uint32_t)num(s, "max", 64), i;
	struct ioasid_fault *recs = xcalloc(n ? n : 1, sizeof(*recs));
	json_t *list;
	int err = ioasid_fault_read(r->ctx, obj_id(s, "queue"), recs, &n);

	if (err) {
		free(recs);
		return err;
	}
	list = json_array();
	for (i = 0; i < n; i++) {
		json_array_append_new(list, fault_json(r->sc, &recs[i]));
		/* "cookie": "last" answers the last page request group read */
		if (recs[i].flags & IOASID_FAULT_F_PAGE_REQ)
			q->cookie = recs[i].cookie;
	}
	free(recs);
	json_object_set_new(value, "records", list);
	return 0;
}

HANDLER(op_fault_respond)
{
	const struct argval *c = arg(s, "cookie");
	uint64_t cookie = c->n ? arg(s, "queue")->label->cookie : c->u;

	return ioasid_fault_respond(r->ctx, obj_id(s, "queue"), cookie,
				    (uint32_t)num(s, "code", 0));
}

HANDLER(op_fault_stats)
{
	struct ioasid_fault_queue_stats st;
	int err = ioasid_fault_queue_stats(r->ctx, obj_id(s, "queue"), &st);

	if (err)
		return err;
#define STAT(f) json_object_set_new(value, #f, json_integer((json_int_t)st.f))
	STAT(raised);
	STAT(delivered);
	STAT(groups);
	STAT(answered_success);
	STAT(answered_invalid);
	STAT(answered_failure);
	STAT(timed_out);
	STAT(overflowed);
	STAT(detached);
	STAT(queued);
	STAT(pending);
#undef STAT
	return 0;
}

HANDLER(op_fault_unrouted)
{
	uint32_t n = (uint32_t)num(s, "max", 64), i;
	struct ioasid_fault *recs = xcalloc(n ? n : 1, sizeof(*recs));
	json_t *list;
	int err = ioasid_fault_unrouted(r->ctx, recs, &n);

	if (err) {
		free(recs);
		return err;
	}
	list = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(list, fault_json(r->sc, &recs[i]));
	free(recs);
	json_object_set_new(value, "records", list);
	return 0;
}

HANDLER(op_clock_advance)
{
	uint64_t ns = num(s, "ns", 0);
	uint32_t expired = 0;
	int err;

	/* check_clock_advance() keeps the sum at most INT64_MAX */
	r->sc->now_ns += ns;
	err = ioasid_fault_expire(r->ctx, &expired);
	if (err)
		return err;
	json_object_set_new(value, "expired", json_integer(expired));
	json_object_set_new(value, "now", json_integer((json_int_t)r->sc->now_ns));
	return 0;
}
