/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Ops on devices: bind, unbind, their capabilities, the host's list, and
 * attaching a device (or one of its PASIDs) to an IOAS or HWPT.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../ioasidctl.h"
#include "private.h"

HANDLER(op_dev_bind)
{
	const struct argval *t = arg(s, "vf_token");
	struct ioasid_bind_opts o = { .sz = sizeof(o) };
	uint32_t id = IOASID_ID_NONE;
	int err;

	/* check_dev_bind() made the token's 16 bytes */
	if (t->present) {
		o.flags = IOASID_BIND_VF_TOKEN;
		memcpy(o.vf_token, t->arr, sizeof(o.vf_token));
	}
	err = ioasid_dev_bind_opts(r->ctx, arg(s, "dev")->s, t->present ? &o : NULL, &id);
	return label_made(s, err, id);
}

HANDLER(op_dev_hw_info)
{
	struct ioasid_hw_info hi = { .sz = sizeof(hi) };
	uint32_t len = (uint32_t)num(s, "max", 256);
	uint8_t *data = xcalloc(1, len ? len : 1);
	int err = ioasid_dev_hw_info(r->ctx, obj_id(s, "dev"),
				     (uint32_t)num(s, "data_type", IOASID_HW_INFO_DEFAULT),
				     len ? data : NULL, len, &hi);

	if (!err) {
		json_object_set_new(value, "data_type", name_json(hw_info_type_names, hi.data_type));
		json_object_set_new(value, "data_len", json_integer(hi.data_len));
		json_object_set_new(value, "data",
				    hex_bytes_json(data, hi.data_len < len ? hi.data_len : len));
		json_object_set_new(value, "max_pasid_log2", json_integer(hi.max_pasid_log2));
		json_object_set_new(value, "capabilities", json_hex(hi.capabilities));
	}
	free(data);
	return err;
}

HANDLER(op_dev_unbind)
{
	return label_ended(s, "dev", ioasid_dev_unbind(r->ctx, obj_id(s, "dev")));
}

HANDLER(op_dev_info)
{
	size_t len = 0, got;
	void *buf;
	json_t *sum;
	int err;

	err = ioasid_dev_info(r->ctx, obj_id(s, "dev"), NULL, 0, &len);
	if (err)
		return err;
	buf = xcalloc(1, len);
	err = ioasid_dev_info(r->ctx, obj_id(s, "dev"), buf, len, &got);
	if (err) {
		free(buf);
		return err;
	}
	sum = caps_summary_json(buf, got < len ? got : len);
	free(buf);
	if (!sum)
		return harness_err(r, -EINVAL, "the device's capability chain is malformed: %s",
				   ioasid_last_errmsg());
	json_object_update(value, sum);
	json_decref(sum);
	return 0;
}

HANDLER(op_dev_list)
{
	struct ioasid_dev_entry *e = NULL;
	uint32_t n = 0, cap = 0, i;
	const char *lb;
	json_t *list;
	int err;

	for (;;) {
		n = cap;
		err = ioasid_dev_list(r->ctx, e, &n);
		if (err != -EMSGSIZE && !(err == 0 && n > cap))
			break;
		cap = n;
		e = xrealloc(e, cap * sizeof(*e));
	}
	if (err) {
		free(e);
		return err;
	}
	list = json_array();
	for (i = 0; i < n; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(e[i].name));
		json_object_set_new(o, "bdf", json_string(e[i].bdf));
		json_object_set_new(o, "iommu", json_string(e[i].iommu));
		json_object_set_new(o, "driver", json_string(e[i].driver));
		lb = label_of_id(r->sc, e[i].bound, K_DEV);
		/* bound, but not through a label of ours: say so without the id */
		json_object_set_new(o, "bound", lb ? json_string(lb) :
					    e[i].bound ? json_true() : json_null());
		json_array_append_new(list, o);
	}
	json_object_set_new(value, "devices", list);
	free(e);
	return 0;
}

HANDLER(op_detach)
{
	return ioasid_dev_detach(r->ctx, obj_id(s, "dev"), pasid_arg(s, "pasid"));
}

static int attach_common(struct run *r, const struct step *s, bool replace)
{
	struct ioasid_attach_opts o = { .sz = sizeof(struct ioasid_attach_opts), .set = obj_id(s, "set"),
		    .fault_queue = opt_obj_id(s, "queue") };

	if (replace)
		return ioasid_dev_replace(r->ctx, obj_id(s, "dev"), pasid_arg(s, "pasid"),
					  pt_id(s), &o);
	return ioasid_dev_attach(r->ctx, obj_id(s, "dev"), pasid_arg(s, "pasid"), pt_id(s), &o);
}

HANDLER(op_attach)
{
	return attach_common(r, s, false);
}

HANDLER(op_replace)
{
	return attach_common(r, s, true);
}
