/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Ops on the vIOMMU objects (include/ioasid/viommu.h, docs/viommu.md):
 * vIOMMUs and their raw invalidations, vDEVICEs and their lookups both
 * ways, vEVENTQs (read, counts) and HW queues. Nested HWPTs on a vIOMMU
 * are hwpt_alloc with "viommu" (ops-hwpt.c).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../ioasidctl.h"
#include "private.h"

/* The label of object @id of @kinds, or null (an object no label names). */
static json_t *label_json(const struct scenario *sc, uint32_t id, unsigned int kinds)
{
	const char *lb = id ? label_of_id(sc, id, kinds) : NULL;

	return lb ? json_string(lb) : json_null();
}

/* ------------------------------------------------------------------------ */
/* vIOMMUs                                                                  */

HANDLER(op_viommu_alloc)
{
	const struct argval *d = arg(s, "data");
	uint8_t *data = d->n ? xcalloc(1, d->n) : NULL;
	uint32_t id = IOASID_ID_NONE;
	int err;

	/* the driver writes its answer back into the data: a copy of the file's */
	if (data)
		memcpy(data, d->arr, d->n);
	struct ioasid_viommu_opts o = { .sz = sizeof(struct ioasid_viommu_opts),
					.type = (uint32_t)num(s, "type", 0),
					.flags = (uint32_t)num(s, "flags", 0),
					.data = data,
					.data_len = (uint32_t)d->n };
	err = ioasid_viommu_alloc(r->ctx, obj_id(s, "dev"), obj_id(s, "hwpt"), &o, &id);
	if (!err && data)
		json_object_set_new(value, "data", hex_bytes_json(data, d->n));
	free(data);
	return label_made(s, err, id);
}

HANDLER(op_viommu_destroy)
{
	return label_ended(s, "viommu", ioasid_viommu_destroy(r->ctx, obj_id(s, "viommu")));
}

HANDLER(op_viommu_info)
{
	struct ioasid_viommu_info in = { .sz = sizeof(in) };
	int err = ioasid_viommu_info(r->ctx, obj_id(s, "viommu"), &in);

	if (err)
		return err;
	json_object_set_new(value, "type", name_json(viommu_type_names, in.type));
	json_object_set_new(value, "dev", label_json(r->sc, in.dev, K_DEV));
	json_object_set_new(value, "hwpt", label_json(r->sc, in.hwpt, K_HWPT));
	json_object_set_new(value, "set", label_json(r->sc, in.set, K_SET));
	json_object_set_new(value, "nr_vdevices", json_integer(in.nr_vdevices));
	json_object_set_new(value, "nr_users", json_integer(in.nr_users));
	return 0;
}

HANDLER(op_viommu_invalidate)
{
	const struct argval *a = arg(s, "entries");
	uint32_t handled = (uint32_t)a->n;
	int err;

	/* check_viommu_invalidate() made a->n entries of a->u bytes */
	err = ioasid_viommu_invalidate(r->ctx, obj_id(s, "viommu"),
				       (uint32_t)num(s, "data_type", 0), a->arr, (uint32_t)a->u,
				       &handled);
	if (err)
		return harness_err(r, err, "%s (handled: %" PRIu32 " of %zu)",
				   ioasid_ctx_errmsg(r->ctx), handled, a->n);
	json_object_set_new(value, "handled", json_integer(handled));
	return 0;
}

/* ------------------------------------------------------------------------ */
/* vDEVICEs                                                                 */

HANDLER(op_vdevice_alloc)
{
	uint32_t id = IOASID_ID_NONE;
	int err = ioasid_vdevice_alloc(r->ctx, obj_id(s, "viommu"), obj_id(s, "dev"),
				       num(s, "virt_id", 0), &id);

	return label_made(s, err, id);
}

HANDLER(op_vdevice_destroy)
{
	return label_ended(s, "vdevice", ioasid_vdevice_destroy(r->ctx, obj_id(s, "vdevice")));
}

HANDLER(op_vdevice_find)
{
	uint32_t vdev = IOASID_ID_NONE, dev = IOASID_ID_NONE;
	int err = ioasid_vdevice_find(r->ctx, obj_id(s, "viommu"), num(s, "virt_id", 0), &vdev,
				      &dev);

	if (err)
		return err;
	json_object_set_new(value, "vdevice", label_json(r->sc, vdev, K_VDEVICE));
	json_object_set_new(value, "dev", label_json(r->sc, dev, K_DEV));
	return 0;
}

HANDLER(op_vdevice_of_dev)
{
	uint32_t vdev = IOASID_ID_NONE, viommu = IOASID_ID_NONE;
	uint64_t virt_id = 0;
	int err = ioasid_vdevice_of_dev(r->ctx, obj_id(s, "dev"), &vdev, &viommu, &virt_id);

	if (err)
		return err;
	json_object_set_new(value, "vdevice", label_json(r->sc, vdev, K_VDEVICE));
	json_object_set_new(value, "viommu", label_json(r->sc, viommu, K_VIOMMU));
	json_object_set_new(value, "virt_id", json_hex(virt_id));
	return 0;
}

/* ------------------------------------------------------------------------ */
/* vEVENTQs                                                                 */

HANDLER(op_veventq_alloc)
{
	struct ioasid_veventq_opts o = { .sz = sizeof(struct ioasid_veventq_opts),
					 .type = (uint32_t)num(s, "type", 0),
					 .depth = (uint32_t)num(s, "depth", 0),
					 .set = opt_obj_id(s, "set"),
					 .flags = (uint32_t)num(s, "flags", 0) };
	uint32_t id = IOASID_ID_NONE;
	int err = ioasid_veventq_alloc(r->ctx, obj_id(s, "viommu"), &o, &id);

	return label_made(s, err, id);
}

HANDLER(op_veventq_destroy)
{
	return label_ended(s, "veventq", ioasid_veventq_destroy(r->ctx, obj_id(s, "veventq")));
}

HANDLER(op_veventq_read)
{
	uint32_t cap = (uint32_t)num(s, "max", 64), n = 0, i;
	struct ioasid_vevent *ev = xcalloc(cap ? cap : 1, sizeof(*ev));
	json_t *list;
	int err = ioasid_veventq_read(r->ctx, obj_id(s, "veventq"), ev, cap, &n);

	if (err) {
		free(ev);
		return err;
	}
	list = json_array();
	for (i = 0; i < n; i++) {
		uint32_t len = ev[i].data_len < IOASID_VEVENT_DATA_MAX ? ev[i].data_len :
									  IOASID_VEVENT_DATA_MAX;

		json_array_append_new(list,
				      json_pack("{s:o,s:I,s:o}", "flags",
						bit_names_json(vevent_flag_names, ev[i].flags),
						"sequence", (json_int_t)ev[i].sequence, "data",
						len ? hex_bytes_json(ev[i].data, len) : json_null()));
	}
	free(ev);
	json_object_set_new(value, "events", list);
	return 0;
}

HANDLER(op_veventq_stats)
{
	struct ioasid_veventq_stats st = { .sz = sizeof(st) };
	int err = ioasid_veventq_stats(r->ctx, obj_id(s, "veventq"), &st);

	if (err)
		return err;
	json_object_set_new(value, "read", json_integer((json_int_t)st.read));
	json_object_set_new(value, "lost_marks", json_integer((json_int_t)st.lost_marks));
	json_object_set_new(value, "seq_gaps", json_integer((json_int_t)st.seq_gaps));
	json_object_set_new(value, "viommu", label_json(r->sc, st.viommu, K_VIOMMU));
	json_object_set_new(value, "set", label_json(r->sc, st.set, K_SET));
	json_object_set_new(value, "type", name_json(veventq_type_names, st.type));
	json_object_set_new(value, "depth", json_integer(st.depth));
	return 0;
}

/* ------------------------------------------------------------------------ */
/* HW queues                                                                */

HANDLER(op_hw_queue_alloc)
{
	struct ioasid_hw_queue_opts o = { .sz = sizeof(struct ioasid_hw_queue_opts),
					  .type = (uint32_t)num(s, "type", 0),
					  .index = (uint32_t)num(s, "index", 0),
					  .iova = num(s, "iova", 0),
					  .length = num(s, "length", 0),
					  .flags = (uint32_t)num(s, "flags", 0) };
	uint32_t id = IOASID_ID_NONE;
	int err = ioasid_hw_queue_alloc(r->ctx, obj_id(s, "viommu"), &o, &id);

	return label_made(s, err, id);
}

HANDLER(op_hw_queue_destroy)
{
	return label_ended(s, "hw_queue", ioasid_hw_queue_destroy(r->ctx, obj_id(s, "hw_queue")));
}
