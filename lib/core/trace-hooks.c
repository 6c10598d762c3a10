/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hooks of address spaces, sets and PASIDs, devices, HWPTs, fault
 * queues, the pinned-memory limit and the sim's hot-plug (trace-private.h):
 * each writes the step of the call that just ran, with its result and
 * returned values.
 */
#include <string.h>

#include "ioasid/sim.h"

#include "dev-private.h"
#include "trace-internal.h"

/* The longest HWPT data recorded (the library keeps 32 bytes of a nested HWPT's). */
#define HWPT_DATA_MAX 4096

static const char *perm_name(uint32_t flags)
{
	switch (flags & (IOASID_MAP_READ | IOASID_MAP_WRITE)) {
	case IOASID_MAP_READ | IOASID_MAP_WRITE:
		return "rw";
	case IOASID_MAP_READ:
		return "r";
	case IOASID_MAP_WRITE:
		return "w";
	default:
		return "none";
	}
}

/* perm, and the flag bits perm and a given IOVA do not say (a raw "flags"). */
static void add_map_flags(json_t *s, uint32_t flags)
{
	uint32_t rest = flags & ~(IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA);

	json_object_set_new(s, "perm", json_string(perm_name(flags)));
	if (rest)
		json_object_set_new(s, "flags", trace_hex(rest));
}

void trace_ioas_alloc(struct ioasid_ctx *ctx, uint32_t set, const uint32_t *ret_id, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s;

	if (!t)
		return;
	s = trace_step(set ? "set_ioas_alloc" : "ioas_alloc", err);
	if (set && !trace_add_ref(t, s, "set", set, M(IOASID_OBJ_SET)))
		return;
	trace_add_made(t, s, err, ret_id, IOASID_OBJ_IOAS);
	trace_emit(ctx, t, s);
}

/*
 * ioas_destroy, set_destroy, hwpt_destroy, fault_queue_destroy, dev_unbind,
 * viommu_destroy, vdevice_destroy, veventq_destroy, hw_queue_destroy, destroy.
 */
void trace_destroy(struct ioasid_ctx *ctx, const char *op, uint32_t id, int err)
{
	static const struct {
		const char *op, *key;
		unsigned int mask;
	} ops[] = {
		{ "ioas_destroy", "ioas", M(IOASID_OBJ_IOAS) },
		{ "set_destroy", "set", M(IOASID_OBJ_SET) },
		{ "hwpt_destroy", "hwpt", M(IOASID_OBJ_HWPT) },
		{ "fault_queue_destroy", "queue", M(IOASID_OBJ_FAULT_QUEUE) },
		{ "dev_unbind", "dev", M(IOASID_OBJ_DEV) },
		{ "viommu_destroy", "viommu", M(IOASID_OBJ_VIOMMU) },
		{ "vdevice_destroy", "vdevice", M(IOASID_OBJ_VDEVICE) },
		{ "veventq_destroy", "veventq", M(IOASID_OBJ_VEVENTQ) },
		{ "hw_queue_destroy", "hw_queue", M(IOASID_OBJ_HW_QUEUE) },
		{ "destroy", "object",
		  M(IOASID_OBJ_IOAS) | M(IOASID_OBJ_SET) | M(IOASID_OBJ_DEV) | M(IOASID_OBJ_HWPT) |
			  M(IOASID_OBJ_FAULT_QUEUE) | M(IOASID_OBJ_VIOMMU) | M(IOASID_OBJ_VDEVICE) |
			  M(IOASID_OBJ_VEVENTQ) | M(IOASID_OBJ_HW_QUEUE) },
	};
	struct ioasid_trace *t = trace_rec(ctx);
	size_t i;
	json_t *s;

	if (!t)
		return;
	for (i = 0; i < ARRAY_SIZE(ops) && strcmp(ops[i].op, op); i++)
		;
	if (i == ARRAY_SIZE(ops))
		return;
	s = trace_step(op, err);
	if (trace_add_ref(t, s, ops[i].key, id, ops[i].mask))
		trace_emit(ctx, t, s);
}

void trace_map(struct ioasid_ctx *ctx, uint32_t ioas, const void *va, uint64_t length,
	       uint32_t flags, const uint64_t *inout_iova, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	struct trace_buf *b;
	json_t *s;

	if (!t)
		return;
	if (!inout_iova || !length) {
		t->skipped++;
		return;
	}
	/* the IOAS first: no buffer step for a map the trace leaves out */
	s = trace_step("map", err);
	if (!trace_add_ref(t, s, "ioas", ioas, M(IOASID_OBJ_IOAS)))
		return;
	if (length > (UINT64_C(1) << 62)) {
		/* a length no buffer can have (a test of the overflow checks) */
		t->skipped++;
		json_decref(s);
		return;
	}
	b = trace_buffer_for(ctx, t, va, length);
	if (!b) {
		json_decref(s);
		trace_write_failed(ctx, t, -ENOMEM);
		return;
	}
	if (!err && (t->flags & IOASID_TRACE_CONTENTS))
		trace_sync_buffer(ctx, t, b);
	json_object_set_new(s, "buffer", json_string(b->label));
	json_object_set_new(s, "offset", trace_hex(b->off + ((uintptr_t)va - b->va)));
	json_object_set_new(s, "length", trace_hex(length));
	if (flags & IOASID_MAP_FIXED_IOVA)
		json_object_set_new(s, "iova", trace_hex(*inout_iova));
	add_map_flags(s, flags);
	trace_expect(s, err, "iova", trace_hex(*inout_iova));
	trace_emit(ctx, t, s);
}

void trace_map_file(struct ioasid_ctx *ctx, uint32_t ioas, const struct ioasid_map_file_opts *o,
		    const uint64_t *inout_iova, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	struct trace_buf *b;
	char label[24];
	json_t *s;
	int e;

	if (!t)
		return;
	if (!inout_iova) {
		t->skipped++;
		return;
	}
	s = trace_step("map_file", err);
	if (!trace_add_ref(t, s, "ioas", ioas, M(IOASID_OBJ_IOAS)))
		return;
	e = trace_file_buffer(ctx, t, o->fd, label, sizeof(label), &b);
	if (e) {
		json_decref(s);
		if (e == -EOPNOTSUPP)
			t->skipped++; /* a dma-buf: no scenario op makes one */
		else
			trace_write_failed(ctx, t, e);
		return;
	}
	if (b && (t->flags & IOASID_TRACE_CONTENTS))
		trace_sync_buffer(ctx, t, b);
	json_object_set_new(s, "buffer", json_string(label));
	json_object_set_new(s, "offset", trace_hex(o->offset));
	json_object_set_new(s, "length", trace_hex(o->length));
	if (o->flags & IOASID_MAP_FIXED_IOVA)
		json_object_set_new(s, "iova", trace_hex(*inout_iova));
	add_map_flags(s, o->flags);
	trace_expect(s, err, "iova", trace_hex(*inout_iova));
	trace_emit(ctx, t, s);
}

void trace_unmap(struct ioasid_ctx *ctx, uint32_t ioas, uint64_t iova, uint64_t length,
		 uint64_t unmapped, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s;

	if (!t)
		return;
	s = trace_step("unmap", err);
	if (!trace_add_ref(t, s, "ioas", ioas, M(IOASID_OBJ_IOAS)))
		return;
	json_object_set_new(s, "iova", trace_hex(iova));
	json_object_set_new(s, "length", trace_hex(length));
	trace_expect(s, err, "unmapped", trace_hex(unmapped));
	trace_emit(ctx, t, s);
}

void trace_copy(struct ioasid_ctx *ctx, uint32_t dst, uint32_t src, uint64_t src_iova,
		uint64_t length, uint32_t flags, const uint64_t *inout_dst_iova, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s;

	if (!t)
		return;
	if (!inout_dst_iova) {
		t->skipped++;
		return;
	}
	s = trace_step("copy", err);
	if (!trace_add_ref(t, s, "dst", dst, M(IOASID_OBJ_IOAS)) ||
	    !trace_add_ref(t, s, "src", src, M(IOASID_OBJ_IOAS)))
		return;
	json_object_set_new(s, "src_iova", trace_hex(src_iova));
	json_object_set_new(s, "length", trace_hex(length));
	if (flags & IOASID_MAP_FIXED_IOVA)
		json_object_set_new(s, "dst_iova", trace_hex(*inout_dst_iova));
	add_map_flags(s, flags);
	trace_expect(s, err, "dst_iova", trace_hex(*inout_dst_iova));
	trace_emit(ctx, t, s);
}

void trace_allow_iovas(struct ioasid_ctx *ctx, uint32_t ioas,
		       const struct ioasid_iova_range *ranges, uint32_t num, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s, *list;
	uint32_t i;

	if (!t)
		return;
	if (num && !ranges) {
		t->skipped++;
		return;
	}
	s = trace_step("allow_iovas", err);
	if (!trace_add_ref(t, s, "ioas", ioas, M(IOASID_OBJ_IOAS)))
		return;
	list = json_array();
	for (i = 0; i < num; i++)
		json_array_append_new(list, json_pack("[o,o]", trace_hex(ranges[i].start),
						      trace_hex(ranges[i].last)));
	json_object_set_new(s, "ranges", list);
	trace_emit(ctx, t, s);
}

void trace_reserve(struct ioasid_ctx *ctx, bool reserve, uint32_t ioas, uint64_t start,
		   uint64_t last, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s;

	if (!t)
		return;
	s = trace_step(reserve ? "reserve" : "unreserve", err);
	if (!trace_add_ref(t, s, "ioas", ioas, M(IOASID_OBJ_IOAS)))
		return;
	json_object_set_new(s, "start", trace_hex(start));
	json_object_set_new(s, "last", trace_hex(last));
	trace_emit(ctx, t, s);
}

void trace_ioas_option(struct ioasid_ctx *ctx, uint32_t ioas, int opt, uint64_t val, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s;

	if (!t)
		return;
	if (opt != IOASID_IOAS_OPT_HUGE_PAGES) {
		/* no scenario op names another option */
		t->skipped++;
		return;
	}
	s = trace_step("option", err);
	if (!trace_add_ref(t, s, "ioas", ioas, M(IOASID_OBJ_IOAS)))
		return;
	json_object_set_new(s, "name", json_string("huge_pages"));
	json_object_set_new(s, "value", trace_hex(val));
	trace_expect(s, err, "huge_pages", json_integer((json_int_t)val));
	trace_emit(ctx, t, s);
}

void trace_set_alloc(struct ioasid_ctx *ctx, const struct ioasid_set_opts *o,
		     const uint32_t *ret_set, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s;

	if (!t)
		return;
	if (!o) {
		t->skipped++;
		return;
	}
	s = trace_step("set_alloc", err);
	json_object_set_new(s, "owner", trace_hex(o->owner));
	json_object_set_new(s, "max_pasids", json_integer(o->max_pasids));
	json_object_set_new(s, "max_ioas", json_integer(o->max_ioas));
	trace_add_made(t, s, err, ret_set, IOASID_OBJ_SET);
	trace_emit(ctx, t, s);
}

void trace_pasid_alloc(struct ioasid_ctx *ctx, uint32_t set, uint32_t min, uint32_t max,
		       const uint32_t *ret_pasid, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s;

	if (!t)
		return;
	if (!ret_pasid) {
		t->skipped++;
		return;
	}
	s = trace_step("pasid_alloc", err);
	if (!trace_add_ref(t, s, "set", set, M(IOASID_OBJ_SET)))
		return;
	json_object_set_new(s, "min", json_integer(min));
	json_object_set_new(s, "max", json_integer(max));
	trace_expect(s, err, "pasid", json_integer(*ret_pasid));
	trace_emit(ctx, t, s);
}

void trace_pasid_free(struct ioasid_ctx *ctx, uint32_t set, uint32_t pasid, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s;

	if (!t)
		return;
	s = trace_step("pasid_free", err);
	if (!trace_add_ref(t, s, "set", set, M(IOASID_OBJ_SET)))
		return;
	json_object_set_new(s, "pasid", json_integer(pasid));
	trace_emit(ctx, t, s);
}

void trace_dev_bind(struct ioasid_ctx *ctx, const char *name, const uint32_t *ret_dev, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	struct ioasid_dev *dev;
	char dname[64];
	json_t *s;
	int e;

	if (!t)
		return;
	/* a bind by fd (ioasid_dev_bind_fd()): the name the library gave the device */
	if (!name && !err && (dev = obj_find(ctx, *ret_dev, IOASID_OBJ_DEV)))
		name = dev->name;
	if (!name || !*name) {
		t->skipped++;
		return;
	}
	snprintf(dname, sizeof(dname), "%s", name);
	if (!t->sim) {
		/* the name the profile gives the device: the sim binds by it */
		e = trace_dev_note(ctx, t, *ret_dev, err, dname, sizeof(dname));
		if (e) {
			trace_write_failed(ctx, t, e);
			return;
		}
	}
	s = trace_step("dev_bind", err);
	json_object_set_new(s, "dev", json_string(dname));
	trace_add_made(t, s, err, ret_dev, IOASID_OBJ_DEV);
	trace_emit(ctx, t, s);
}

static const char *const resv_type_name[] = {
	[IOASID_RESV_RESERVED] = "reserved",
	[IOASID_RESV_MSI] = "msi",
	[IOASID_RESV_SW_MSI] = "sw_msi",
	[IOASID_RESV_DIRECT] = "direct",
	[IOASID_RESV_DIRECT_RELAXABLE] = "direct_relaxable",
};

void trace_sim_dev_add(struct ioasid_ctx *ctx, const struct ioasid_sim_dev_desc *d, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	bool named = true;
	json_t *s, *resv, *r;
	uint32_t i, type;

	if (!t)
		return;
	/* the dev_add op needs a name, and names only the region types above */
	for (i = 0; i < d->nr_resv; i++) {
		type = d->resv[i].type;
		if (type >= sizeof(resv_type_name) / sizeof(resv_type_name[0]) ||
		    !resv_type_name[type])
			named = false;
	}
	if (!named || !d->name || !d->pgsize_bitmap || d->pasid_width > 32) {
		t->skipped++;
		return;
	}
	s = trace_step("dev_add", err);
	json_object_set_new(s, "name", json_string(d->name));
	if (d->bdf)
		json_object_set_new(s, "bdf", json_string(d->bdf));
	json_object_set_new(s, "page_sizes", trace_hex(d->pgsize_bitmap));
	json_object_set_new(s, "pasid_width", json_integer(d->pasid_width));
	json_object_set_new(s, "pri", json_boolean(d->flags & IOASID_SIM_DEV_PRI));
	json_object_set_new(s, "ats", json_boolean(d->flags & IOASID_SIM_DEV_ATS));
	if (d->nr_resv) {
		resv = json_array();
		for (i = 0; i < d->nr_resv; i++) {
			r = json_pack("{s:o, s:o, s:s}", "start", trace_hex(d->resv[i].start),
				      "last", trace_hex(d->resv[i].last), "type",
				      resv_type_name[d->resv[i].type]);
			json_array_append_new(resv, r);
		}
		json_object_set_new(s, "reserved", resv);
	}
	trace_emit(ctx, t, s);
}

void trace_sim_dev_remove(struct ioasid_ctx *ctx, const char *name, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s;

	if (!t)
		return;
	s = trace_step("dev_remove", err);
	json_object_set_new(s, "name", json_string(name));
	trace_emit(ctx, t, s);
}

void trace_attach(struct ioasid_ctx *ctx, bool replace, uint32_t dev, uint32_t pasid, uint32_t pt,
		  const struct ioasid_attach_opts *o, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	unsigned int kind;
	json_t *s;

	if (!t)
		return;
	s = trace_step(replace ? "replace" : "attach", err);
	if (!trace_add_ref(t, s, "dev", dev, M(IOASID_OBJ_DEV)))
		return;
	if (pasid != IOASID_PASID_NONE)
		json_object_set_new(s, "pasid", json_integer(pasid));
	kind = pt && pt <= t->nr_ids ? t->ids[pt - 1].kind : IOASID_OBJ_IOAS;
	if (!trace_add_ref(t, s, kind == IOASID_OBJ_HWPT ? "hwpt" : "ioas", pt,
			   M(IOASID_OBJ_IOAS) | M(IOASID_OBJ_HWPT)))
		return;
	if (o && o->set && !trace_add_ref(t, s, "set", o->set, M(IOASID_OBJ_SET)))
		return;
	if (o && o->fault_queue &&
	    !trace_add_ref(t, s, "queue", o->fault_queue, M(IOASID_OBJ_FAULT_QUEUE)))
		return;
	trace_emit(ctx, t, s);
}

void trace_detach(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s;

	if (!t)
		return;
	s = trace_step("detach", err);
	if (!trace_add_ref(t, s, "dev", dev, M(IOASID_OBJ_DEV)))
		return;
	if (pasid != IOASID_PASID_NONE)
		json_object_set_new(s, "pasid", json_integer(pasid));
	trace_emit(ctx, t, s);
}

void trace_hwpt_alloc(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pt,
		      const struct ioasid_hwpt_opts *o, const uint32_t *ret_hwpt, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	const struct ioasid_hwpt_vtd_s1 *s1;
	unsigned int kind;
	json_t *s;

	if (!t)
		return;
	/* VT-d stage 1 as "s1", any other driver's data as raw "data" */
	if (!o || !ret_hwpt || (o->data_len && (!o->data || o->data_len > HWPT_DATA_MAX))) {
		t->skipped++;
		return;
	}
	trace_sync_contents(ctx, t);
	s = trace_step("hwpt_alloc", err);
	if (!trace_add_ref(t, s, "dev", dev, M(IOASID_OBJ_DEV)))
		return;
	kind = pt && pt <= t->nr_ids ? t->ids[pt - 1].kind : IOASID_OBJ_IOAS;
	if (!trace_add_ref(t, s,
			   kind == IOASID_OBJ_HWPT   ? "hwpt" :
			   kind == IOASID_OBJ_VIOMMU ? "viommu" :
						       "ioas",
			   pt, M(IOASID_OBJ_IOAS) | M(IOASID_OBJ_HWPT) | M(IOASID_OBJ_VIOMMU)))
		return;
	if (o->flags)
		json_object_set_new(s, "flags", trace_hex(o->flags));
	if (o->type != IOASID_HWPT_PAGING)
		json_object_set_new(s, "type", json_integer(o->type));
	if (o->fault_queue &&
	    !trace_add_ref(t, s, "queue", o->fault_queue, M(IOASID_OBJ_FAULT_QUEUE)))
		return;
	if (o->data_len && (o->type != IOASID_HWPT_NESTED_VTD_S1 || o->data_len != sizeof(*s1) ||
			    kind == IOASID_OBJ_VIOMMU)) {
		json_t *hex = trace_hex_bytes(o->data, o->data_len);

		if (!hex) {
			json_decref(s);
			trace_write_failed(ctx, t, -ENOMEM);
			return;
		}
		json_object_set_new(s, "data", hex);
	} else if (o->data_len) {
		s1 = o->data;
		json_object_set_new(s, "s1",
				    json_pack("{s:o,s:I,s:o,s:I}", "pgtbl_addr",
					      trace_hex(s1->pgtbl_addr), "addr_width",
					      (json_int_t)s1->addr_width, "flags",
					      trace_hex(s1->flags), "reserved",
					      (json_int_t)s1->__reserved));
	}
	trace_add_made(t, s, err, ret_hwpt, IOASID_OBJ_HWPT);
	trace_emit(ctx, t, s);
}

void trace_dirty_tracking(struct ioasid_ctx *ctx, uint32_t hwpt, bool enable, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s;

	if (!t)
		return;
	s = trace_step("dirty_tracking", err);
	if (!trace_add_ref(t, s, "hwpt", hwpt, M(IOASID_OBJ_HWPT)))
		return;
	json_object_set_new(s, "enable", json_boolean(enable));
	trace_emit(ctx, t, s);
}

void trace_pinned_limit(struct ioasid_ctx *ctx, const uint64_t *limit, const bool *exempt, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s;

	if (!t)
		return;
	s = trace_step("pinned_limit", err);
	if (limit)
		json_object_set_new(s, "limit", trace_hex(*limit));
	if (exempt)
		json_object_set_new(s, "cap_ipc_lock_exempt", json_boolean(*exempt));
	trace_emit(ctx, t, s);
}

void trace_fault_queue_alloc(struct ioasid_ctx *ctx, const struct ioasid_fault_queue_opts *o,
			     const uint32_t *ret_queue, int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s;

	if (!t)
		return;
	if (!o || (o->flags & ~IOASID_FAULT_QUEUE_TIMEOUT_CODE)) {
		t->skipped++;
		return;
	}
	s = trace_step("fault_queue_alloc", err);
	if (!trace_add_ref(t, s, "set", o->set, M(IOASID_OBJ_SET)))
		return;
	json_object_set_new(s, "depth", json_integer(o->depth));
	json_object_set_new(s, "timeout_ns", trace_hex(o->timeout_ns));
	if (o->flags & IOASID_FAULT_QUEUE_TIMEOUT_CODE)
		json_object_set_new(s, "timeout_code", json_integer(o->timeout_code));
	trace_add_made(t, s, err, ret_queue, IOASID_OBJ_FAULT_QUEUE);
	trace_emit(ctx, t, s);
}

void trace_fault_respond(struct ioasid_ctx *ctx, uint32_t queue, uint64_t cookie, uint32_t code,
			 int err)
{
	struct ioasid_trace *t = trace_rec(ctx);
	json_t *s;

	if (!t)
		return;
	s = trace_step("fault_respond", err);
	if (!trace_add_ref(t, s, "queue", queue, M(IOASID_OBJ_FAULT_QUEUE)))
		return;
	json_object_set_new(s, "cookie", json_integer((json_int_t)cookie));
	json_object_set_new(s, "code", json_integer(code));
	trace_emit(ctx, t, s);
	trace_sync_contents(ctx, t); /* what the retried DMA wrote */
}
