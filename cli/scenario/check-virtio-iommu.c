/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Load-time checks of the virtio-iommu ops: the guest memory regions of
 * virtio_iommu_new, the reserved regions of an endpoint, and requests,
 * given as hex bytes or as objects encoded here the way a driver would
 * write them, with the points their buffers are cut at.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ioasidctl.h"
#include "private.h"

static void le_put(uint8_t *p, uint64_t v, unsigned int bytes)
{
	unsigned int i;

	for (i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int check_virtio_iommu_new(struct loader *l, struct step *s)
{
	static const char *const known[] = { "gpa", "buffer", "offset", "size", "mmio", NULL };
	struct argval *a = arg_mut(s, "memory");
	struct vmem_item *it;
	char key[64], sub[96];
	const json_t *e;
	uint64_t bsize;
	size_t i;
	int err;

	if (!a->present)
		return 0;
	err = list_items(l, "memory", a, sizeof(*it),
			 "regions ({\"gpa\", \"buffer\", \"offset\", \"size\"})");
	if (err)
		return err;
	it = a->arr;
	json_array_foreach(a->json, i, e) {
		snprintf(key, sizeof(key), "memory[%zu]", i);
		err = sub_keys(l, key, e, known);
		if (err)
			return err;
		if (!json_object_get(e, "gpa"))
			return lerr(l, key, "missing \"gpa\" (the region's guest-physical address)");
		if (!json_object_get(e, "buffer"))
			return lerr(l, key, "missing \"buffer\" (the buffer label that holds the region)");
		snprintf(sub, sizeof(sub), "%s.buffer", key);
		err = parse_label(l, sub, json_object_get(e, "buffer"), K_BUFFER, &it[i].buf);
		if (!err)
			err = sub_num(l, key, e, "gpa", 0, 0, &it[i].gpa);
		if (!err)
			err = sub_num(l, key, e, "offset", 0, 0, &it[i].off);
		if (!err)
			err = sub_bool(l, key, e, "mmio", &it[i].mmio);
		if (err)
			return err;
		bsize = it[i].buf->size;
		if (it[i].off > bsize)
			return lerr(l, key, "offset 0x%" PRIx64 " is past the end of buffer %s (0x%"
				    PRIx64 " bytes)", it[i].off, it[i].buf->name, bsize);
		err = sub_num(l, key, e, "size", 0, bsize - it[i].off, &it[i].size);
		if (err)
			return err;
		if (it[i].size > bsize - it[i].off)
			return lerr(l, key, "0x%" PRIx64 " bytes from offset 0x%" PRIx64
				    " run past the end of buffer %s (0x%" PRIx64 " bytes)",
				    it[i].size, it[i].off, it[i].buf->name, bsize);
	}
	return 0;
}

int check_virtio_iommu_endpoint_add(struct loader *l, struct step *s)
{
	const struct argval *a = arg(s, "reserved");
	const struct ioasid_sim_resv *rv = a->arr;
	char key[64];
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (rv[i].type != IOASID_RESV_RESERVED && rv[i].type != IOASID_RESV_MSI) {
			snprintf(key, sizeof(key), "reserved[%zu]", i);
			return lerr(l, key, "type %s: PROBE reports \"reserved\" or \"msi\" regions",
				    ioasid_resv_type_name(rv[i].type));
		}
	}
	return 0;
}

/* A list of cut points into @len bytes (0 = unknown yet), non-decreasing. */
static int parse_split(struct loader *l, const char *key, struct argval *a, uint64_t len)
{
	char sub[96], show[80];
	uint64_t *pt, prev = 0;
	const json_t *e;
	size_t i;
	int err;

	if (!a->present)
		return 0;
	err = list_items(l, key, a, sizeof(*pt), "byte offsets");
	if (err)
		return err;
	pt = a->arr;
	json_array_foreach(a->json, i, e) {
		snprintf(sub, sizeof(sub), "%s[%zu]", key, i);
		if (!parse_num(e, &pt[i]))
			return lerr(l, sub, "%s is not a number", jshow(e, show, sizeof(show)));
		if (pt[i] < prev)
			return lerr(l, sub, "%" PRIu64 " is below the cut before it (%" PRIu64
				    "): cuts go in increasing order", pt[i], prev);
		if (len && pt[i] > len)
			return lerr(l, sub, "%" PRIu64 " is past the end of the %" PRIu64 " bytes",
				    pt[i], len);
		prev = pt[i];
	}
	return 0;
}

/* A required member of a structured request. */
static int vreq_need(struct loader *l, const json_t *o, const char *field, const char *what)
{
	if (json_object_get(o, field))
		return 0;
	return lerr(l, "request", "missing \"%s\" (%s)", field, what);
}

/*
 * The structured form of a request: {"type": NAME, fields...}, encoded
 * little-endian per kernel-uapi.md §3.3 (PAGE_RESP: virtio-iommu.h). The
 * device-readable part only; the tail is the device's to write. Each
 * encoder below writes the members after the head's type byte into @b.
 */
typedef int vreq_encode_fn(struct loader *l, const json_t *o, uint64_t type, uint8_t *b);

/* ATTACH and DETACH: domain, endpoint, then flags (ATTACH) and reserved. */
static int vreq_attach(struct loader *l, const json_t *o, uint64_t type, uint8_t *b)
{
	bool attach = type == IOASID_VIRTIO_IOMMU_T_ATTACH;
	uint64_t domain = 0, endpoint = 0, fl = 0, rs = 0;
	int err;

	err = vreq_need(l, o, "domain", "the domain id");
	if (!err)
		err = vreq_need(l, o, "endpoint", "the endpoint id");
	if (!err)
		err = sub_num(l, "request", o, "domain", UINT32_MAX, 0, &domain);
	if (!err)
		err = sub_num(l, "request", o, "endpoint", UINT32_MAX, 0, &endpoint);
	if (!err && attach)
		err = sub_named(l, "request", o, "flags", vattach_flag_names, true,
				UINT32_MAX, 0, &fl);
	if (!err)
		err = sub_num(l, "request", o, "reserved", attach ? UINT32_MAX : 0, 0, &rs);
	if (err)
		return err;
	le_put(b + 4, domain, 4);
	le_put(b + 8, endpoint, 4);
	if (attach) {
		le_put(b + 12, fl, 4);
		le_put(b + 16, rs, 4);
	} else {
		le_put(b + 12, rs, 8);
	}
	return 0;
}

/* MAP and UNMAP: domain, the IOVA range, then phys_start and flags (MAP) or reserved. */
static int vreq_map(struct loader *l, const json_t *o, uint64_t type, uint8_t *b)
{
	bool map = type == IOASID_VIRTIO_IOMMU_T_MAP;
	uint64_t domain = 0, start = 0, end = 0, phys = 0, fl = 0, rs = 0;
	int err;

	err = vreq_need(l, o, "domain", "the domain id");
	if (!err)
		err = vreq_need(l, o, "virt_start", "the first IOVA");
	if (!err)
		err = vreq_need(l, o, "virt_end", "the last IOVA, inclusive");
	if (!err && map)
		err = vreq_need(l, o, "phys_start", "the guest-physical address");
	if (!err)
		err = sub_num(l, "request", o, "domain", UINT32_MAX, 0, &domain);
	if (!err)
		err = sub_num(l, "request", o, "virt_start", 0, 0, &start);
	if (!err)
		err = sub_num(l, "request", o, "virt_end", 0, 0, &end);
	if (!err && map)
		err = sub_num(l, "request", o, "phys_start", 0, 0, &phys);
	if (!err && map)
		err = sub_named(l, "request", o, "flags", vmap_flag_names, true, UINT32_MAX,
				IOASID_VIRTIO_IOMMU_MAP_F_READ |
				IOASID_VIRTIO_IOMMU_MAP_F_WRITE, &fl);
	if (!err && !map)
		err = sub_num(l, "request", o, "reserved", UINT32_MAX, 0, &rs);
	if (err)
		return err;
	le_put(b + 4, domain, 4);
	le_put(b + 8, start, 8);
	le_put(b + 16, end, 8);
	if (map) {
		le_put(b + 24, phys, 8);
		le_put(b + 32, fl, 4);
	} else {
		le_put(b + 24, rs, 4);
	}
	return 0;
}

static int vreq_probe(struct loader *l, const json_t *o, uint64_t type UNUSED, uint8_t *b)
{
	uint64_t endpoint = 0, rs = 0;
	int err;

	err = vreq_need(l, o, "endpoint", "the endpoint id");
	if (!err)
		err = sub_num(l, "request", o, "endpoint", UINT32_MAX, 0, &endpoint);
	if (!err)
		err = sub_num(l, "request", o, "reserved", 0, 0, &rs);
	if (err)
		return err;
	le_put(b + 4, endpoint, 4);
	le_put(b + 8, rs, 8); /* the first 8 of the 64 reserved bytes */
	return 0;
}

static int vreq_page_resp(struct loader *l, const json_t *o, uint64_t type UNUSED, uint8_t *b)
{
	uint64_t endpoint = 0, pasid = 0, fl = 0, grpid = 0, code = 0, rs = 0;
	int err;

	err = vreq_need(l, o, "endpoint", "the endpoint id");
	if (!err)
		err = vreq_need(l, o, "grpid", "the page request group");
	if (!err)
		err = vreq_need(l, o, "code", "success, invalid, failure");
	if (!err)
		err = sub_num(l, "request", o, "endpoint", UINT32_MAX, 0, &endpoint);
	if (!err)
		err = sub_num(l, "request", o, "pasid", UINT32_MAX, 0, &pasid);
	if (!err)
		err = sub_named(l, "request", o, "flags", vpage_resp_flag_names, true,
				UINT32_MAX, 0, &fl);
	if (!err)
		err = sub_num(l, "request", o, "grpid", UINT16_MAX, 0, &grpid);
	if (!err)
		err = sub_named(l, "request", o, "code", fault_code_names, false,
				UINT16_MAX, 0, &code); /* enum ioasid_fault_code */
	if (!err)
		err = sub_num(l, "request", o, "reserved", UINT32_MAX, 0, &rs);
	if (err)
		return err;
	/* a PASID given makes it valid */
	if (json_object_get(o, "pasid"))
		fl |= IOASID_VIRTIO_IOMMU_PAGE_RESP_F_PASID;
	le_put(b + 4, endpoint, 4);
	le_put(b + 8, pasid, 4);
	le_put(b + 12, fl, 4);
	le_put(b + 16, grpid, 2);
	le_put(b + 18, code, 2);
	le_put(b + 20, rs, 4);
	return 0;
}

static const char *const k_attach[] = { "type", "domain", "endpoint", "flags", "reserved", NULL };
static const char *const k_detach[] = { "type", "domain", "endpoint", "reserved", NULL };
static const char *const k_map[] = {
	"type", "domain", "virt_start", "virt_end", "phys_start", "flags", NULL,
};
static const char *const k_unmap[] = {
	"type", "domain", "virt_start", "virt_end", "reserved", NULL,
};
static const char *const k_probe[] = { "type", "endpoint", "reserved", NULL };
static const char *const k_page_resp[] = {
	"type", "endpoint", "pasid", "flags", "grpid", "code", "reserved", NULL,
};
static const char *const k_other[] = { "type", NULL };

/* The request types a driver writes, with their keys and their length. */
static const struct vreq_format {
	uint64_t type;
	const char *const *known; /* the keys of its object */
	size_t len;               /* the device-readable bytes: head and body */
	vreq_encode_fn *encode;
} vreq_formats[] = {
	{ IOASID_VIRTIO_IOMMU_T_ATTACH, k_attach, 20, vreq_attach },
	{ IOASID_VIRTIO_IOMMU_T_DETACH, k_detach, 20, vreq_attach },
	{ IOASID_VIRTIO_IOMMU_T_MAP, k_map, 36, vreq_map },
	{ IOASID_VIRTIO_IOMMU_T_UNMAP, k_unmap, 28, vreq_map },
	{ IOASID_VIRTIO_IOMMU_T_PROBE, k_probe, 72, vreq_probe },
	{ IOASID_VIRTIO_IOMMU_T_PAGE_RESP, k_page_resp, 24, vreq_page_resp },
};

static int encode_vreq(struct loader *l, const json_t *o, struct argval *a)
{
	const struct vreq_format *f = NULL;
	uint8_t *b = xcalloc(1, 80);
	uint64_t type = 0;
	size_t i;
	int err;

	a->arr = b; /* freed with the step, also after an error */
	if (!json_is_object(o))
		return lerr(l, "request", "internal error: not an object");
	if (!json_object_get(o, "type"))
		return lerr(l, "request", "missing \"type\" (attach, detach, map, unmap, probe, page_resp, or a number)");
	err = sub_named(l, "request", o, "type", vreq_type_names, false, UINT8_MAX, 0, &type);
	if (err)
		return err;
	for (i = 0; i < sizeof(vreq_formats) / sizeof(vreq_formats[0]); i++)
		if (vreq_formats[i].type == type)
			f = &vreq_formats[i];
	err = sub_keys(l, "request", o, f ? f->known : k_other);
	if (err)
		return err;
	b[0] = (uint8_t)type;
	if (f) {
		err = f->encode(l, o, type, b);
		if (err)
			return err;
	}
	/* a type the device does not know is a head and nothing else */
	a->n = f ? f->len : IOASID_VIRTIO_IOMMU_HEAD_SIZE;
	return 0;
}

/*
 * The hex form of a request: byte pairs, optionally in groups separated by
 * single spaces ("01000000 01000000 00010000 ..."); a group is whole bytes.
 */
static int parse_request_hex(struct loader *l, struct argval *a)
{
	const char *str = json_string_value(a->json), *p;
	char show[80], *flat;
	size_t n, off = 0;
	json_t *tmp;
	int err;

	flat = xcalloc(1, strlen(str) + 1);
	for (p = str; *p; p += n) {
		if (p != str) {
			if (*p != ' ')
				break;
			p++;
		}
		n = strcspn(p, " ");
		if (!n || n % 2 || strspn(p, "0123456789abcdefABCDEF") != n)
			break;
		memcpy(flat + off, p, n);
		off += n;
	}
	if (*p || !off) {
		free(flat);
		return lerr(l, "request", "%s is not a string of hex byte pairs (\"0100000001000000...\", "
			    "spaces allowed between whole bytes)", jshow(a->json, show, sizeof(show)));
	}
	tmp = json_string(flat);
	free(flat);
	err = parse_hex_bytes(l, "request", tmp, a);
	json_decref(tmp);
	return err;
}

int check_virtio_iommu_request(struct loader *l, struct step *s)
{
	struct argval *a = arg_mut(s, "request"), *wsp = arg_mut(s, "writable_split");
	char show[80];
	int err;

	if (json_is_string(a->json))
		err = parse_request_hex(l, a);
	else if (json_is_object(a->json))
		err = encode_vreq(l, a->json, a);
	else
		err = lerr(l, "request", "%s is neither hex bytes (\"0100000001000000...\") nor a request object ({\"type\": \"attach\", ...})",
			   jshow(a->json, show, sizeof(show)));
	if (!err)
		err = parse_split(l, "split", arg_mut(s, "split"), a->n);
	/* without "writable" the size is known at run time (PROBE: probe_size) */
	if (!err)
		err = parse_split(l, "writable_split", wsp,
				  has(s, "writable") ? num(s, "writable", 0) : 0);
	if (!err && has(s, "writable") && !num(s, "writable", 0) && wsp->n &&
	    ((const uint64_t *)wsp->arr)[wsp->n - 1])
		err = lerr(l, "writable_split", "cuts into 0 device-writable bytes");
	return err;
}
