/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Ops on the virtio-iommu device back-end: making one over a set and the
 * guest's memory, endpoints, feature negotiation, the config space, the
 * request queue and the event queue, decoded as a driver would.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/uio.h>

#include "../ioasidctl.h"
#include "private.h"

static uint64_t le_get(const uint8_t *p, unsigned int bytes)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The virtio-iommu a step names; NULL (and the harness's message) when its step failed. */
static struct ioasid_virtio_iommu *virtio_iommu_of(struct run *r, const struct step *s)
{
	const struct label *lb = arg(s, "virtio_iommu")->label;

	if (lb->live && lb->virtio_iommu)
		return lb->virtio_iommu;
	harness_err(r, -ENOENT, "virtio_iommu %s was not made (steps[%zu] failed)", lb->name, lb->step);
	return NULL;
}

HANDLER(op_virtio_iommu_new)
{
	const struct argval *mem = arg(s, "memory");
	const struct vmem_item *it = mem->arr;
	struct ioasid_virtio_iommu_mem *tab = NULL;
	struct ioasid_virtio_iommu *v = NULL;
	uint32_t flags = (uint32_t)num(s, "features", 0);
	struct scenario *sc = r->sc;
	size_t i;
	int err;

	if (num(s, "boot_bypass", 0))
		flags |= IOASID_VIRTIO_IOMMU_BOOT_BYPASS;
	if (has(s, "domain_start") || has(s, "domain_end"))
		flags |= IOASID_VIRTIO_IOMMU_DOMAIN_RANGE;
	if (has(s, "input_start") || has(s, "input_end"))
		flags |= IOASID_VIRTIO_IOMMU_INPUT_RANGE;
	if (mem->n)
		tab = xcalloc(mem->n, sizeof(*tab));
	for (i = 0; i < mem->n; i++) {
		if (!it[i].buf->mem) {
			free(tab);
			return buffer_missing(r, it[i].buf);
		}
		tab[i].gpa = it[i].gpa;
		tab[i].size = it[i].size;
		tab[i].hva = it[i].buf->mem->va + it[i].off;
		tab[i].flags = it[i].mmio ? IOASID_VIRTIO_IOMMU_MEM_MMIO : 0;
	}
	{
		struct ioasid_virtio_iommu_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_opts), .flags = flags, .set = opt_obj_id(s, "set"),
			    .mem = tab, .nr_mem = (uint32_t)mem->n,
			    .bypass_ioas = opt_obj_id(s, "bypass_ioas"),
			    .page_size_mask = num(s, "page_size_mask", 0),
			    .input_start = num(s, "input_start", 0),
			    .input_end = num(s, "input_end", UINT64_MAX),
			    .domain_start = (uint32_t)num(s, "domain_start", 0),
			    .domain_end = (uint32_t)num(s, "domain_end", UINT32_MAX),
			    .probe_size = (uint32_t)num(s, "probe_size", 0),
			    .fault_depth = (uint32_t)num(s, "fault_depth", 0),
			    .fault_timeout_ns = num(s, "fault_timeout_ns", 0) };

		err = ioasid_virtio_iommu_new(r->ctx, &o, &v);
	}
	free(tab); /* the library copies the table */
	if (err)
		return err;
	sc->virtio_iommus = xrealloc(sc->virtio_iommus, (sc->nr_virtio_iommus + 1) * sizeof(*sc->virtio_iommus));
	sc->virtio_iommus[sc->nr_virtio_iommus++] = v;
	if (s->as) {
		s->as->virtio_iommu = v;
		s->as->live = true;
	}
	return 0;
}

HANDLER(op_virtio_iommu_endpoint_add)
{
	const struct argval *resv = arg(s, "reserved");
	const struct ioasid_sim_resv *rv = resv->arr;
	struct ioasid_virtio_iommu *v = virtio_iommu_of(r, s);
	struct ioasid_virtio_iommu_resv_mem *extra;
	size_t i;
	int err;

	if (!v)
		return -ENOENT;
	extra = xcalloc(resv->n ? resv->n : 1, sizeof(*extra));
	for (i = 0; i < resv->n; i++) {
		extra[i].start = rv[i].start;
		extra[i].end = rv[i].last;
		/* the check allowed only "reserved" and "msi" */
		extra[i].subtype = rv[i].type == IOASID_RESV_MSI ?
				   IOASID_VIRTIO_IOMMU_RESV_MEM_T_MSI :
				   IOASID_VIRTIO_IOMMU_RESV_MEM_T_RESERVED;
	}
	{
		struct ioasid_virtio_iommu_endpoint_opts o = { .sz = sizeof(struct ioasid_virtio_iommu_endpoint_opts), .resv = extra,
			    .nr_resv = (uint32_t)resv->n };

		err = ioasid_virtio_iommu_endpoint_add(v, (uint32_t)num(s, "endpoint", 0),
						 obj_id(s, "dev"), &o);
	}
	free(extra);
	return err;
}

HANDLER(op_virtio_iommu_endpoint_del)
{
	struct ioasid_virtio_iommu *v = virtio_iommu_of(r, s);

	if (!v)
		return -ENOENT;
	return ioasid_virtio_iommu_endpoint_del(v, (uint32_t)num(s, "endpoint", 0));
}

HANDLER(op_virtio_iommu_features)
{
	struct ioasid_virtio_iommu *v = virtio_iommu_of(r, s);
	uint64_t offered, driver;
	int err;

	if (!v)
		return -ENOENT;
	offered = ioasid_virtio_iommu_device_features(v);
	/* without "driver_features" the driver takes everything offered */
	driver = num(s, "driver_features", offered);
	err = ioasid_virtio_iommu_set_driver_features(v, driver);
	if (err)
		return err;
	json_object_set_new(value, "device_features", bit_names_json(virtio_feature_names, offered));
	json_object_set_new(value, "driver_features", bit_names_json(virtio_feature_names, driver));
	return 0;
}

HANDLER(op_virtio_iommu_config)
{
	struct ioasid_virtio_iommu *v = virtio_iommu_of(r, s);
	uint8_t raw[IOASID_VIRTIO_IOMMU_CONFIG_SIZE];
	struct ioasid_virtio_iommu_config c;
	int err;

	if (!v)
		return -ENOENT;
	err = ioasid_virtio_iommu_config(v, &c);
	if (!err)
		err = ioasid_virtio_iommu_config_read(v, 0, raw, sizeof(raw));
	if (err)
		return err;
	json_object_set_new(value, "page_size_mask", json_hex(c.page_size_mask));
	json_object_set_new(value, "input_range",
			    json_pack("{s:o, s:o}", "start", json_hex(c.input_start),
				      "end", json_hex(c.input_end)));
	json_object_set_new(value, "domain_range",
			    json_pack("{s:I, s:I}", "start", (json_int_t)c.domain_start,
				      "end", (json_int_t)c.domain_end));
	json_object_set_new(value, "probe_size", json_integer(c.probe_size));
	json_object_set_new(value, "bypass", json_integer(c.bypass));
	/* what the guest reads: struct virtio_iommu_config, little-endian */
	json_object_set_new(value, "raw", hex_bytes_json(raw, sizeof(raw)));
	return 0;
}

/* @len bytes at @base as iovecs cut at the points of @sp (a uint64_t list). */
static struct iovec *iov_cut(uint8_t *base, size_t len, const struct argval *sp,
			     unsigned int *nr)
{
	const uint64_t *pt = sp->arr;
	struct iovec *iov = xcalloc(sp->n + 1, sizeof(*iov));
	size_t i, from = 0;

	for (i = 0; i < sp->n; i++) {
		iov[i].iov_base = base + from;
		iov[i].iov_len = pt[i] - from;
		from = pt[i];
	}
	iov[i].iov_base = base + from;
	iov[i].iov_len = len - from;
	*nr = (unsigned int)(sp->n + 1);
	return iov;
}

/* PROBE properties, as a driver reads them (ioasid_virtio_iommu_probe_parse()). */
static json_t *probe_props_json(const struct scenario *sc, const uint8_t *p, size_t len)
{
	struct ioasid_virtio_iommu_probe_props pp = { 0 };
	struct ioasid_virtio_iommu_resv_mem *resv;
	json_t *o = json_object(), *list;
	uint32_t i;
	int err;

	/* every RESV_MEM takes 24 bytes: at most len / 24 of them */
	pp.max_resv = (uint32_t)(len / IOASID_VIRTIO_IOMMU_PROP_RESV_MEM_SIZE + 1);
	resv = xcalloc(pp.max_resv, sizeof(*resv));
	pp.resv = resv;
	err = ioasid_virtio_iommu_probe_parse(p, len, &pp);
	if (err) {
		char ebuf[16];

		json_object_set_new(o, "error", json_string(result_name(err, ebuf, sizeof(ebuf))));
		json_object_set_new(o, "message", message_json(sc, ioasid_last_errmsg()));
		free(resv);
		return o;
	}
	list = json_array();
	for (i = 0; i < pp.nr_resv && i < pp.max_resv; i++)
		json_array_append_new(list, json_pack("{s:o, s:o, s:o}",
						      "start", json_hex(resv[i].start),
						      "end", json_hex(resv[i].end),
						      "subtype", name_json(vresv_subtype_names,
									   resv[i].subtype)));
	json_object_set_new(o, "resv_mem", list);
	json_object_set_new(o, "page_size_mask", pp.page_size_mask ?
				 json_hex(pp.page_size_mask) : json_null());
	json_object_set_new(o, "unknown", json_integer(pp.nr_unknown));
	/* the bytes that hold properties; the rest of probe_size is zero */
	json_object_set_new(o, "hex", hex_bytes_json(p, pp.used));
	free(resv);
	return o;
}

/*
 * What the device wrote: the status of the tail that ends at @used, the
 * library's message when it is not OK, a PROBE's properties as a driver
 * reads them.
 */
static void request_value(struct run *r, const uint8_t *wbuf, size_t used, bool probe,
			  uint32_t probe_size, json_t *value)
{
	const uint8_t *tail;
	const char *sn;

	if (used < IOASID_VIRTIO_IOMMU_TAIL_SIZE) {
		json_object_set_new(value, "used", json_integer((json_int_t)used));
		return;
	}
	tail = wbuf + used - IOASID_VIRTIO_IOMMU_TAIL_SIZE;
	sn = ioasid_virtio_iommu_status_name(tail[0]);
	json_object_set_new(value, "status", sn ? json_string(sn) : json_integer(tail[0]));
	json_object_set_new(value, "used", json_integer((json_int_t)used));
	json_object_set_new(value, "tail", hex_bytes_json(tail, IOASID_VIRTIO_IOMMU_TAIL_SIZE));
	if (tail[0] != IOASID_VIRTIO_IOMMU_S_OK)
		json_object_set_new(value, "error", message_json(r->sc, ioasid_ctx_errmsg(r->ctx)));
	else if (probe && used == (size_t)probe_size + IOASID_VIRTIO_IOMMU_TAIL_SIZE)
		json_object_set_new(value, "properties", probe_props_json(r->sc, wbuf, probe_size));
}

HANDLER(op_virtio_iommu_request)
{
	struct ioasid_virtio_iommu *v = virtio_iommu_of(r, s);
	const struct argval *rq = arg(s, "request"), *wsp = arg(s, "writable_split");
	const uint64_t *wpt = wsp->arr;
	const uint8_t *req = rq->arr;
	struct ioasid_virtio_iommu_config c;
	struct iovec *rd, *wr;
	unsigned int nr_rd, nr_wr;
	size_t wlen, used = 0, i;
	uint8_t *wbuf;
	bool probe;
	int err;

	if (!v)
		return -ENOENT;
	err = ioasid_virtio_iommu_config(v, &c);
	if (err)
		return err;
	probe = req[0] == IOASID_VIRTIO_IOMMU_T_PROBE;
	/* by default what the type needs: the tail, after the properties for PROBE */
	wlen = has(s, "writable") ? num(s, "writable", 0) :
	       (probe ? c.probe_size : 0) + IOASID_VIRTIO_IOMMU_TAIL_SIZE;
	for (i = 0; i < wsp->n; i++)
		if (wpt[i] > wlen)
			return harness_err(r, -EINVAL, "writable_split[%zu]: %" PRIu64
					   " is past the end of the %zu device-writable bytes",
					   i, wpt[i], wlen);
	wbuf = xcalloc(1, wlen ? wlen : 1);
	rd = iov_cut((uint8_t *)rq->arr, rq->n, arg(s, "split"), &nr_rd);
	wr = iov_cut(wbuf, wlen, wsp, &nr_wr);
	err = ioasid_virtio_iommu_request(v, rd, nr_rd, wr, nr_wr, &used);
	free(rd);
	free(wr);
	if (!err)
		request_value(r, wbuf, used, probe, c.probe_size, value);
	free(wbuf);
	return err;
}

HANDLER(op_virtio_iommu_event)
{
	struct ioasid_virtio_iommu *v = virtio_iommu_of(r, s);
	size_t len = num(s, "size", IOASID_VIRTIO_IOMMU_FAULT_EXT_SIZE), used = 0;
	uint8_t *rec;
	uint32_t flags;
	bool ext;
	int err;

	if (!v)
		return -ENOENT;
	rec = xcalloc(1, len ? len : 1);
	err = ioasid_virtio_iommu_event_pop_buf(v, rec, len, &used);
	if (err == -EAGAIN) {
		json_object_set_new(value, "empty", json_true());
		free(rec);
		return 0;
	}
	if (err || used < IOASID_VIRTIO_IOMMU_FAULT_SIZE) {
		free(rec);
		return err ? err : harness_err(r, -EPROTO, "an event record of %zu bytes", used);
	}
	ext = used >= IOASID_VIRTIO_IOMMU_FAULT_EXT_SIZE;
	flags = (uint32_t)le_get(rec + 4, 4);
	json_object_set_new(value, "hex", hex_bytes_json(rec, used));
	json_object_set_new(value, "reason", name_json(vfault_reason_names, rec[0]));
	json_object_set_new(value, "flags", bit_names_json(vfault_flag_names, flags));
	json_object_set_new(value, "endpoint", json_integer((json_int_t)le_get(rec + 8, 4)));
	json_object_set_new(value, "address", (flags & IOASID_VIRTIO_IOMMU_FAULT_F_ADDRESS) ?
				     json_hex(le_get(rec + 16, 8)) : json_null());
	json_object_set_new(value, "pasid", ext && (flags & IOASID_VIRTIO_IOMMU_FAULT_F_PASID) ?
				   json_integer((json_int_t)le_get(rec + 24, 4)) : json_null());
	json_object_set_new(value, "grpid", ext && (flags & IOASID_VIRTIO_IOMMU_FAULT_F_GRPID) ?
				   json_integer((json_int_t)le_get(rec + 28, 2)) : json_null());
	if (ext && (flags & IOASID_VIRTIO_IOMMU_FAULT_F_PRIV_DATA))
		json_object_set_new(value, "private_data",
				    json_pack("[o,o]", json_hex(le_get(rec + 32, 8)),
					      json_hex(le_get(rec + 40, 8))));
	free(rec);
	return 0;
}
