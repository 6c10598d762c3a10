/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Ops on PASID sets: their allocation, their IOAS quota and the PASIDs
 * allocated in them.
 */
#include <stdint.h>

#include "../ioasidctl.h"
#include "private.h"

HANDLER(op_set_alloc)
{
	struct ioasid_set_opts o = { .sz = sizeof(struct ioasid_set_opts), .owner = num(s, "owner", 0),
		    .max_pasids = (uint32_t)num(s, "max_pasids", 0),
		    .max_ioas = (uint32_t)num(s, "max_ioas", 0) };
	uint32_t id = IOASID_ID_NONE;
	int err = ioasid_set_alloc(r->ctx, &o, &id);

	return label_made(s, err, id);
}

HANDLER(op_set_destroy)
{
	return label_ended(s, "set", ioasid_set_destroy(r->ctx, obj_id(s, "set")));
}

HANDLER(op_set_ioas_alloc)
{
	uint32_t id = IOASID_ID_NONE;
	int err = ioasid_set_ioas_alloc(r->ctx, obj_id(s, "set"), &id);

	return label_made(s, err, id);
}

HANDLER(op_set_info)
{
	struct ioasid_set_info si;
	uint32_t pasids[64], got, i, from = 0;
	json_t *list;
	int err = ioasid_set_info(r->ctx, obj_id(s, "set"), &si);

	if (err)
		return err;
	list = json_array();
	for (;;) {
		got = 64;
		err = ioasid_set_pasids(r->ctx, obj_id(s, "set"), from, pasids, &got);
		if (err) {
			json_decref(list);
			return err;
		}
		for (i = 0; i < got; i++)
			json_array_append_new(list, json_integer(pasids[i]));
		if (got < 64 || pasids[got - 1] == UINT32_MAX)
			break;
		from = pasids[got - 1] + 1;
	}
	json_object_set_new(value, "owner", json_hex(si.owner));
	json_object_set_new(value, "max_pasids", json_integer(si.max_pasids));
	json_object_set_new(value, "nr_pasids", json_integer(si.nr_pasids));
	json_object_set_new(value, "max_ioas", json_integer(si.max_ioas));
	json_object_set_new(value, "nr_ioas", json_integer(si.nr_ioas));
	json_object_set_new(value, "pasid_width", json_integer(si.pasid_width));
	json_object_set_new(value, "pasids", list);
	return 0;
}

HANDLER(op_pasid_alloc)
{
	struct ioasid_set_info si;
	uint32_t set = obj_id(s, "set"), min, max, pasid;
	int err;

	if (has(s, "pasid")) {
		min = max = pasid_arg(s, "pasid");
	} else {
		min = (uint32_t)num(s, "min", 1);
		if (has(s, "max")) {
			max = (uint32_t)num(s, "max", 0);
		} else {
			/* default: the whole PASID space of the context */
			err = ioasid_set_info(r->ctx, set, &si);
			if (err)
				return err;
			max = si.pasid_width ? (uint32_t)((UINT64_C(1) << si.pasid_width) - 1) : 1;
		}
	}
	err = ioasid_pasid_alloc(r->ctx, set, min, max, &pasid);
	if (err)
		return err;
	if (s->as) {
		s->as->pasid = pasid;
		s->as->live = true;
	}
	json_object_set_new(value, "pasid", json_integer(pasid));
	return 0;
}

HANDLER(op_pasid_free)
{
	return ioasid_pasid_free(r->ctx, obj_id(s, "set"), pasid_arg(s, "pasid"));
}
