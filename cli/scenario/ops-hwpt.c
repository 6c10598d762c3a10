/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Ops on hardware page tables: allocation (paging or nested stage 1),
 * cache invalidation (typed and raw), dirty tracking.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "../ioasidctl.h"
#include "private.h"

HANDLER(op_hwpt_alloc)
{
	const struct argval *s1 = arg(s, "s1"), *data = arg(s, "data");
	uint32_t flags = (uint32_t)num(s, "flags", 0), id = IOASID_ID_NONE;
	int err;

	if (has(s, "queue"))
		flags |= IOASID_HWPT_FAULT_ID_VALID;
	/* "s1" (VT-d stage 1) or "data" (any driver's bytes; check_hwpt_alloc) */
	struct ioasid_hwpt_opts o = { .sz = sizeof(struct ioasid_hwpt_opts),
				      .flags = flags,
				      .type = (uint32_t)num(s, "type", IOASID_HWPT_PAGING),
				      .data = s1->present ? s1->arr : data->arr,
				      .data_len = s1->present ? (uint32_t)sizeof(
									struct ioasid_hwpt_vtd_s1) :
								(uint32_t)data->n,
				      .fault_queue = opt_obj_id(s, "queue") };
	err = ioasid_hwpt_alloc(r->ctx, obj_id(s, "dev"), pt_id(s), &o, &id);
	return label_made(s, err, id);
}

HANDLER(op_hwpt_destroy)
{
	return label_ended(s, "hwpt", ioasid_hwpt_destroy(r->ctx, obj_id(s, "hwpt")));
}

/* The library's message of a refused invalidation, and how far it got. */
static int inv_err(struct run *r, int err, uint32_t handled, size_t n)
{
	return harness_err(r, err, "%s (handled: %" PRIu32 " of %zu)",
			   ioasid_ctx_errmsg(r->ctx), handled, n);
}

HANDLER(op_invalidate)
{
	const struct argval *a = arg(s, "requests");
	const struct inv_item *it = a->arr;
	struct ioasid_inv_req *reqs = xcalloc(a->n ? a->n : 1, sizeof(*reqs));
	uint32_t handled = (uint32_t)a->n;
	uint64_t dropped = 0;
	size_t i;
	int err;

	for (i = 0; i < a->n; i++) {
		reqs[i] = it[i].req;
		if (it[i].pasid)
			reqs[i].pasid = it[i].pasid->pasid;
		if (it[i].dev)
			reqs[i].dev = it[i].dev->live ? it[i].dev->id : UINT32_MAX;
	}
	err = ioasid_hwpt_invalidate(r->ctx, obj_id(s, "hwpt"), reqs, &handled, &dropped);
	free(reqs);
	if (err)
		return inv_err(r, err, handled, a->n);
	json_object_set_new(value, "handled", json_integer(handled));
	json_object_set_new(value, "dropped", json_integer((json_int_t)dropped));
	return 0;
}

HANDLER(op_invalidate_raw)
{
	const struct argval *a = arg(s, "entries");
	uint32_t handled = (uint32_t)a->n;
	int err;

	err = ioasid_hwpt_invalidate_raw(r->ctx, obj_id(s, "hwpt"),
					 (uint32_t)num(s, "data_type", IOASID_INV_DATA_VTD_S1),
					 a->arr, VTD_INV_ENTRY_LEN, &handled);
	if (err)
		return inv_err(r, err, handled, a->n);
	json_object_set_new(value, "handled", json_integer(handled));
	return 0;
}

HANDLER(op_dirty_tracking)
{
	return ioasid_hwpt_set_dirty_tracking(r->ctx, obj_id(s, "hwpt"), num(s, "enable", 0));
}

#define DIRTY_MAX_BITS (UINT64_C(1) << 24) /* granules one dirty_read covers */
#define DIRTY_MAX_LISTED 4096              /* addresses it lists */

HANDLER(op_dirty_read)
{
	uint64_t iova = num(s, "iova", 0), length = num(s, "length", 0);
	uint64_t psz = num(s, "page_size", 4096), nbits = 1, i, count = 0, *bitmap;
	json_t *list;
	int err;

	/* arguments the library refuses get a one-word bitmap: it writes none */
	if (psz >= 4096 && is_pow2(psz) && length && !((iova | length) & (psz - 1)))
		nbits = length / psz;
	if (nbits > DIRTY_MAX_BITS)
		return harness_err(r, -E2BIG, "dirty_read: 0x%" PRIx64 " granules of 0x%" PRIx64
				   " bytes; one step reads at most 0x%" PRIx64, nbits, psz,
				   DIRTY_MAX_BITS);
	bitmap = xcalloc((size_t)((nbits + 63) / 64), sizeof(*bitmap));
	err = ioasid_hwpt_get_dirty_bitmap(r->ctx, obj_id(s, "hwpt"), iova, length, psz, bitmap,
					   num(s, "clear", 1) ? 0 : IOASID_DIRTY_NO_CLEAR);
	if (err) {
		free(bitmap);
		return err;
	}
	list = json_array();
	for (i = 0; i < nbits; i++) {
		if (!(bitmap[i / 64] & (UINT64_C(1) << (i % 64))))
			continue;
		if (count++ < DIRTY_MAX_LISTED)
			json_array_append_new(list, json_hex(iova + i * psz));
	}
	free(bitmap);
	json_object_set_new(value, "dirty", list);
	json_object_set_new(value, "count", json_integer((json_int_t)count));
	return 0;
}
