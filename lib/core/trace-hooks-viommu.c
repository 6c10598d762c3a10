/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hooks of the vIOMMU objects (include/ioasid/viommu.h): vIOMMUs and
 * their raw invalidations, vDEVICEs, vEVENTQs and what is read from them,
 * HW queues. Their destruction is trace_destroy() (trace-hooks.c); nested
 * HWPTs on a vIOMMU are trace_hwpt_alloc().
 */
#include <stdlib.h>
#include <string.h>

#include "trace-internal.h"

/* What a scenario's viommu_invalidate takes: entries of at most 8192 bytes. */
#define VIOMMU_ENTRY_MAX 8192
/* A scenario's veventq_read reads at most 4096 events. */
#define VEVENTQ_READ_MAX 4096

json_t *trace_hex_bytes(const void *p, size_t len)
{
	char *hex = malloc(2 * len + 1);
	json_t *j;
	size_t i;

	if (!hex)
		return NULL;
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", ((const uint8_t *)p)[i]);
	hex[2 * len] = 0;
	j = json_string(hex);
	free(hex);
	return j;
}

void trace_viommu_alloc(struct ioasid_ctx *ctx, uint32_t dev, uint32_t hwpt,
			const struct ioasid_viommu_opts *o, const void *in,
			const uint32_t *ret_viommu, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s;

	if (!t)
		return;
	/*
	 * The driver writes its answer over the data: the input is the copy
	 * the entry point made (none: out of memory, or NULL data, which no
	 * scenario step can give with a length).
	 */
	if (o->data_len && !in) {
		t->skipped++;
		return;
	}
	s = trace_step("viommu_alloc", err);
	if (!trace_add_ref(t, s, "dev", dev, M(IOASID_OBJ_DEV)) ||
	    !trace_add_ref(t, s, "hwpt", hwpt, M(IOASID_OBJ_HWPT)))
		return;
	json_object_set_new(s, "type", json_integer(o->type));
	if (o->flags)
		json_object_set_new(s, "flags", trace_hex(o->flags));
	if (o->data_len) {
		json_object_set_new(s, "data", trace_hex_bytes(in, o->data_len));
		if (!err)
			trace_expect(s, err, "data", trace_hex_bytes(o->data, o->data_len));
	}
	trace_add_made(t, s, err, ret_viommu, IOASID_OBJ_VIOMMU);
	trace_emit(ctx, t, s);
}

void trace_viommu_invalidate(struct ioasid_ctx *ctx, uint32_t viommu, uint32_t data_type,
			     const void *entries, uint32_t entry_len, uint32_t n, uint32_t handled,
			     int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s, *list, *e;
	uint32_t i;

	if (!t)
		return;
	if (!entry_len || entry_len > VIOMMU_ENTRY_MAX || (n && !entries)) {
		t->skipped++;
		return;
	}
	trace_sync_contents(ctx, t);
	s = trace_step("viommu_invalidate", err);
	if (!trace_add_ref(t, s, "viommu", viommu, M(IOASID_OBJ_VIOMMU) | M(IOASID_OBJ_HWPT)))
		return;
	json_object_set_new(s, "data_type", json_integer(data_type));
	json_object_set_new(s, "entry_len", json_integer(entry_len));
	list = json_array();
	json_object_set_new(s, "entries", list);
	for (i = 0; i < n; i++) {
		e = trace_hex_bytes((const uint8_t *)entries + (size_t)i * entry_len, entry_len);
		if (!e || json_array_append_new(list, e)) {
			json_decref(s);
			trace_write_failed(ctx, t, -ENOMEM);
			return;
		}
	}
	trace_expect(s, err, "handled", json_integer(handled));
	trace_emit(ctx, t, s);
}

void trace_vdevice_alloc(struct ioasid_ctx *ctx, uint32_t viommu, uint32_t dev, uint64_t virt_id,
			 const uint32_t *ret_vdevice, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s;

	if (!t)
		return;
	s = trace_step("vdevice_alloc", err);
	if (!trace_add_ref(t, s, "viommu", viommu, M(IOASID_OBJ_VIOMMU)) ||
	    !trace_add_ref(t, s, "dev", dev, M(IOASID_OBJ_DEV)))
		return;
	json_object_set_new(s, "virt_id", trace_hex(virt_id));
	trace_add_made(t, s, err, ret_vdevice, IOASID_OBJ_VDEVICE);
	trace_emit(ctx, t, s);
}

void trace_veventq_alloc(struct ioasid_ctx *ctx, uint32_t viommu,
			 const struct ioasid_veventq_opts *o, const uint32_t *ret_veventq, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s;

	if (!t)
		return;
	s = trace_step("veventq_alloc", err);
	if (!trace_add_ref(t, s, "viommu", viommu, M(IOASID_OBJ_VIOMMU)))
		return;
	json_object_set_new(s, "type", json_integer(o->type));
	json_object_set_new(s, "depth", json_integer(o->depth));
	if (o->set && !trace_add_ref(t, s, "set", o->set, M(IOASID_OBJ_SET)))
		return;
	if (o->flags)
		json_object_set_new(s, "flags", trace_hex(o->flags));
	trace_add_made(t, s, err, ret_veventq, IOASID_OBJ_VEVENTQ);
	trace_emit(ctx, t, s);
}

/* An event as the scenario's veventq_read shows it. */
static json_t *vevent_value(const struct ioasid_vevent *ev)
{
	uint32_t len = ev->data_len < IOASID_VEVENT_DATA_MAX ? ev->data_len : IOASID_VEVENT_DATA_MAX;
	uint32_t rest = ev->flags & ~IOASID_VEVENT_LOST_EVENTS;
	json_t *flags = json_array();

	if (ev->flags & IOASID_VEVENT_LOST_EVENTS)
		json_array_append_new(flags, json_string("lost_events"));
	if (rest)
		json_array_append_new(flags, trace_hex(rest));
	return json_pack("{s:o,s:I,s:o}", "flags", flags, "sequence", (json_int_t)ev->sequence,
			 "data", len ? trace_hex_bytes(ev->data, len) : json_null());
}

void trace_veventq_read(struct ioasid_ctx *ctx, uint32_t veventq, const struct ioasid_vevent *ev,
			uint32_t cap, uint32_t n, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s, *list;
	uint32_t i;

	if (!t)
		return;
	if (cap > VEVENTQ_READ_MAX) {
		/* a scenario reads fewer at once: the replay could split the events otherwise */
		t->skipped++;
		return;
	}
	s = trace_step("veventq_read", err);
	if (!trace_add_ref(t, s, "veventq", veventq, M(IOASID_OBJ_VEVENTQ)))
		return;
	json_object_set_new(s, "max", json_integer(cap));
	list = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(list, vevent_value(&ev[i]));
	trace_expect(s, err, "events", list);
	trace_emit(ctx, t, s);
}

void trace_hw_queue_alloc(struct ioasid_ctx *ctx, uint32_t viommu,
			  const struct ioasid_hw_queue_opts *o, const uint32_t *ret_hw_queue,
			  int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s;

	if (!t)
		return;
	s = trace_step("hw_queue_alloc", err);
	if (!trace_add_ref(t, s, "viommu", viommu, M(IOASID_OBJ_VIOMMU)))
		return;
	json_object_set_new(s, "type", json_integer(o->type));
	json_object_set_new(s, "index", json_integer(o->index));
	json_object_set_new(s, "iova", trace_hex(o->iova));
	json_object_set_new(s, "length", trace_hex(o->length));
	if (o->flags)
		json_object_set_new(s, "flags", trace_hex(o->flags));
	trace_add_made(t, s, err, ret_hw_queue, IOASID_OBJ_HW_QUEUE);
	trace_emit(ctx, t, s);
}
