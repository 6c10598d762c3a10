/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Ops of the sim only: hot-plug, the DMA engine (requests that may wait
 * for a page response), the translation caches and the stale-translation
 * detector.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../ioasidctl.h"
#include "private.h"

HANDLER(op_dev_add)
{
	const struct argval *resv = arg(s, "reserved");
	struct ioasid_sim_dev_desc d = {
		.sz = sizeof(struct ioasid_sim_dev_desc),
		.name = arg(s, "name")->s,
		.bdf = arg(s, "bdf")->s,
		/* 4K, 2M and 1G unless told: what an x86 device usually gets */
		.pgsize_bitmap = num(s, "page_sizes", UINT64_C(0x40201000)),
		.pasid_width = (uint32_t)num(s, "pasid_width", 0),
		.flags = (num(s, "pri", 0) ? IOASID_SIM_DEV_PRI : 0) |
			 (num(s, "ats", 0) ? IOASID_SIM_DEV_ATS : 0) |
			 (num(s, "stall", 0) ? IOASID_SIM_DEV_STALL : 0),
		.resv = resv->arr,
		.nr_resv = (uint32_t)resv->n
	};

	return ioasid_sim_dev_add(r->ctx, &d);
}

HANDLER(op_dev_remove)
{
	return ioasid_sim_dev_remove(r->ctx, arg(s, "name")->s);
}

/* What a finished DMA reports: bytes done, and what a read brought in. */
static void dma_value(const struct dma_req *d, size_t done, json_t *value)
{
	json_object_set_new(value, "done", json_hex(done));
	if (d->write || d->len > 4096)
		return;
	json_object_set_new(value, "data", hex_bytes_json(d->buf, d->len));
}

static void dma_free(struct dma_req *d)
{
	free(d->own);
	free(d);
}

static int dma_start(struct run *r, const struct step *s, bool write, json_t *value)
{
	const struct argval *b = arg(s, "buffer"), *data = arg(s, "data");
	uint64_t off = num(s, "offset", 0), iova = num(s, "iova", 0), handle = 0;
	struct scenario *sc = r->sc;
	struct dma_req *d;
	size_t done = 0, i;
	int err;

	d = xcalloc(1, sizeof(*d));
	d->write = write;
	d->iova = iova;
	if (b->present) {
		if (!b->label->mem) {
			free(d);
			return buffer_missing(r, b->label);
		}
		/* the loader checked offset + length against the buffer's size */
		d->len = num(s, "length", b->label->mem->size - off);
		d->buf = b->label->mem->va + off;
	} else {
		d->len = num(s, "length", data->n);
		d->own = xcalloc(1, d->len ? d->len : 1);
		d->buf = d->own;
		for (i = 0; data->present && i < d->len; i++)
			d->buf[i] = ((const uint8_t *)data->arr)[i % data->n];
		if (has(s, "byte"))
			memset(d->buf, (int)num(s, "byte", 0), d->len);
	}
	err = ioasid_sim_dma_submit_flags(r->ctx, obj_id(s, "dev"), pasid_arg(s, "pasid"), iova,
					  d->buf, d->len,
					  (uint32_t)num(s, "attrs", 0) |
						  (write ? IOASID_SIM_DMA_WRITE : 0),
					  &handle, &done);
	if (err == -EAGAIN) {
		/* it waits for a page response: its memory lives to the end */
		d->handle = handle;
		sc->dmas = xrealloc(sc->dmas, (sc->nr_dmas + 1) * sizeof(*sc->dmas));
		sc->dmas[sc->nr_dmas++] = d;
		if (s->as) {
			s->as->dma = d;
			/* handles only grow: a label never reaches another request */
			s->as->id = (uint32_t)handle;
			s->as->live = true;
		}
		return err;
	}
	if (!err)
		dma_value(d, done, value);
	else if (err != -ENOENT && err != -EOPNOTSUPP && err != -EINVAL)
		harness_err(r, err, "%s (0x%zx of 0x%zx bytes done)", ioasid_ctx_errmsg(r->ctx),
			    done, d->len);
	dma_free(d);
	return err;
}

HANDLER(op_dma_read)
{
	return dma_start(r, s, false, value);
}

HANDLER(op_dma_write)
{
	return dma_start(r, s, true, value);
}

/* dma_poll / dma_wait: collect a request that waited. */
static int dma_collect(struct run *r, const struct step *s, bool wait, json_t *value)
{
	const struct label *lb = arg(s, "dma")->label;
	const struct dma_req *d = lb->live ? lb->dma : NULL;
	uint64_t handle = d ? d->handle : 0; /* 0: no request has it */
	static const char no_sleep[] =
		"; nothing answers it while a step runs, so dma_wait does not sleep";
	size_t done = 0;
	char ebuf[16];
	int err;

	if (wait)
		/*
		 * Only a later step answers a page request (the scenario's clock
		 * runs no timer thread): a wait with a timeout would sleep and
		 * end as this one does, so the run never sleeps.
		 */
		err = ioasid_sim_dma_wait(r->ctx, handle, 0, &done);
	else
		err = ioasid_sim_dma_poll(r->ctx, handle, &done);
	if (!err) {
		dma_value(d, done, value);
		return 0;
	}
	if (!d || err == -ENOENT || err == -EOPNOTSUPP || err == -EINVAL)
		return err; /* the library's own refusal, with its message */
	if (err == -EAGAIN || err == -ETIMEDOUT)
		return harness_err(r, err,
				   "DMA %s still waits for a page response (0x%zx of 0x%zx bytes done)%s",
				   lb->name, done, d->len, wait ? no_sleep : "");
	/* the request's own result: the library has no message for it */
	return harness_err(r, err, "DMA %s (a %s of 0x%zx bytes at iova 0x%" PRIx64
			   ") ended with %s: 0x%zx bytes done", lb->name,
			   d->write ? "write" : "read", d->len, d->iova,
			   result_name(err, ebuf, sizeof(ebuf)), done);
}

HANDLER(op_dma_poll)
{
	return dma_collect(r, s, false, value);
}

HANDLER(op_dma_wait)
{
	return dma_collect(r, s, true, value);
}

HANDLER(op_stale_mode)
{
	return ioasid_sim_set_stale_mode(r->ctx, (enum ioasid_sim_stale_mode)num(s, "mode", 0));
}

HANDLER(op_cache_stats)
{
	struct ioasid_sim_cache_stats st;
	int err = ioasid_sim_cache_stats(r->ctx, &st);

	if (err)
		return err;
#define STAT(f) json_object_set_new(value, #f, json_integer((json_int_t)st.f))
	STAT(iotlb_hits);
	STAT(iotlb_misses);
	STAT(iotlb_inserts);
	STAT(iotlb_evictions);
	STAT(devtlb_hits);
	STAT(devtlb_misses);
	STAT(pasid_cache_hits);
	STAT(pasid_cache_misses);
	STAT(context_cache_hits);
	STAT(walks);
	STAT(walk_reads);
	STAT(invalidations);
	STAT(inv_entries);
	STAT(stale_hits);
	STAT(dma_reads);
	STAT(dma_writes);
	STAT(dma_bytes);
	STAT(faults);
#undef STAT
	return 0;
}

#define STALE_RING 256 /* the library keeps the last 256 */

HANDLER(op_stale_events)
{
	struct ioasid_sim_stale_event *ev = xcalloc(STALE_RING, sizeof(*ev));
	uint32_t n = STALE_RING, i;
	const char *lb;
	char ebuf[16];
	json_t *list, *o;
	int err = ioasid_sim_stale_events(r->ctx, ev, &n);

	if (err) {
		free(ev);
		return err;
	}
	list = json_array();
	for (i = 0; i < n; i++) {
		o = json_object();
		json_object_set_new(o, "seq", json_integer((json_int_t)ev[i].seq));
		lb = label_of_id(r->sc, ev[i].dev, K_DEV);
		json_object_set_new(o, "dev", lb ? json_string(lb) : json_null());
		json_object_set_new(o, "pasid", ev[i].pasid == IOASID_PASID_NONE ? json_null() :
					    json_integer(ev[i].pasid));
		lb = label_of_id(r->sc, ev[i].hwpt, K_HWPT);
		json_object_set_new(o, "hwpt", lb ? json_string(lb) : json_null());
		json_object_set_new(o, "iova", json_hex(ev[i].iova));
		/* the guest's side: where its stage 1 sent the IOVA then, and now */
		json_object_set_new(o, "cached_gpa", json_hex(ev[i].cached_gpa));
		json_object_set_new(o, "current_gpa",
				    (ev[i].flags & IOASID_SIM_STALE_F_CURRENT_GPA) ?
					    json_hex(ev[i].current_gpa) :
					    json_null());
		/* process addresses: named by the memory they are in */
		json_object_set_new(o, "cached", va_json(r->sc, ev[i].cached_addr));
		json_object_set_new(o, "cached_perm", json_string(perm_str(ev[i].cached_perm)));
		if (ev[i].current_err) {
			json_object_set_new(o, "current", json_null());
			json_object_set_new(o, "current_perm", json_null());
			json_object_set_new(o, "current_err",
					    json_string(result_name(ev[i].current_err, ebuf,
								    sizeof(ebuf))));
		} else {
			json_object_set_new(o, "current", va_json(r->sc, ev[i].current_addr));
			json_object_set_new(o, "current_perm",
					    json_string(perm_str(ev[i].current_perm)));
			json_object_set_new(o, "current_err", json_null());
		}
		json_array_append_new(list, o);
	}
	free(ev);
	json_object_set_new(value, "events", list);
	return 0;
}
