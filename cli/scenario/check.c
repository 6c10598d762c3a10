/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The checks an op adds at load time beyond types and labels: buffer
 * bounds, arguments that exclude each other, and the nested structures of
 * hwpt_alloc's stage 1 and of invalidation requests.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ioasidctl.h"
#include "private.h"

/* ------------------------------------------------------------------------ */
/* The file's budgets (SCEN_MEM_MAX, SCEN_MOVED_MAX, SCEN_CLOCK_MAX)        */

/* @bytes more of memory, counted in whole 4 KiB pages, at least one. */
static int charge_mem(struct loader *l, const char *key, uint64_t bytes)
{
	uint64_t pages = bytes / SCEN_MEM_UNIT + (bytes % SCEN_MEM_UNIT || !bytes);

	if (pages > (SCEN_MEM_MAX - l->mem) / SCEN_MEM_UNIT)
		return lerr(l, key,
			    "0x%" PRIx64 " bytes of memory: a scenario allocates at most 0x%" PRIx64
			    " bytes (1 GiB) in all, in buffers and in the fresh memory of maps and DMAs (0x%" PRIx64
			    " before this step)",
			    bytes, SCEN_MEM_MAX, l->mem);
	l->mem += pages * SCEN_MEM_UNIT;
	return 0;
}

/*
 * @amount more of a budget that the file's steps share, *@used of @max
 * taken by the steps before: "0x1 ns: the clock_advance steps of a
 * scenario add at most 0x7fff... ns (INT64_MAX) in all (...)".
 */
static int charge(struct loader *l, const char *key, uint64_t amount, uint64_t *used, uint64_t max,
		  const char *what, const char *rule, const char *unit)
{
	if (amount > max - *used)
		return lerr(l, key,
			    "0x%" PRIx64 " %s: %s at most 0x%" PRIx64 " %s in all (0x%" PRIx64
			    " before this step)",
			    amount, what, rule, max, unit, *used);
	*used += amount;
	return 0;
}

/* @bytes more that a write, read or DMA step copies. */
static int charge_moved(struct loader *l, const char *key, uint64_t bytes)
{
	return charge(l, key, bytes, &l->moved, SCEN_MOVED_MAX, "bytes moved",
		      "the write, read, dma_read and dma_write steps of a scenario move",
		      "bytes (4 GiB)");
}

/*
 * Scenario time only moves forward and never wraps: a clock that stopped
 * at its end would answer "ok" to an advance that did not happen.
 */
int check_clock_advance(struct loader *l, struct step *s)
{
	return charge(l, "ns", num(s, "ns", 0), &l->clock, SCEN_CLOCK_MAX, "ns",
		      "the clock_advance steps of a scenario add", "ns (INT64_MAX)");
}

/* ------------------------------------------------------------------------ */
/* Memory and single arguments                                              */

/*
 * Offset and length inside a buffer whose size the file gives; the length
 * (the rest of the buffer when absent) in *@ret_len.
 */
static int check_in_buffer(struct loader *l, struct step *s, uint64_t max_len, uint64_t *ret_len)
{
	const struct argval *b = arg(s, "buffer");
	uint64_t size = b->label->size, off = num(s, "offset", 0), len;

	if (off > size)
		return lerr(l, "offset", "0x%" PRIx64 " is past the end of buffer %s (0x%" PRIx64 " bytes)",
			    off, b->label->name, size);
	len = num(s, "length", size - off);
	if (len > size - off)
		return lerr(l, "length", "0x%" PRIx64 " bytes from offset 0x%" PRIx64
			    " run past the end of buffer %s (0x%" PRIx64 " bytes)",
			    len, off, b->label->name, size);
	if (max_len && len > max_len)
		return lerr(l, "length", "0x%" PRIx64 " is more than %" PRIu64 " bytes",
			    len, max_len);
	*ret_len = len;
	return 0;
}

int check_map(struct loader *l, struct step *s)
{
	uint64_t len;

	if (has(s, "buffer")) {
		if (s->as)
			return lerr(l, "as", "a map of buffer %s allocates nothing to label",
				    arg(s, "buffer")->label->name);
		return check_in_buffer(l, s, 0, &len);
	}
	if (has(s, "offset"))
		return lerr(l, "offset", "only a map of a \"buffer\" takes an offset");
	if (!has(s, "length"))
		return lerr(l, "length", "missing (a map names a \"buffer\" or a \"length\")");
	if (s->as)
		s->as->size = num(s, "length", 0);
	return charge_mem(l, "length", num(s, "length", 0));
}

int check_buffer(struct loader *l, struct step *s)
{
	if (!num(s, "size", 0))
		return lerr(l, "size", "a buffer has at least one byte");
	if (has(s, "align") && !is_pow2(num(s, "align", 0)))
		return lerr(l, "align", "0x%" PRIx64 " is not a power of two", num(s, "align", 0));
	if (s->as)
		s->as->size = num(s, "size", 0);
	return charge_mem(l, "size", num(s, "size", 0));
}

int check_write(struct loader *l, struct step *s)
{
	uint64_t len;
	int err;

	if (has(s, "data") == has(s, "byte"))
		return lerr(l, "data", "a write takes exactly one of \"data\" and \"byte\"");
	err = check_in_buffer(l, s, 0, &len);
	return err ? err : charge_moved(l, "length", len);
}

int check_read(struct loader *l, struct step *s)
{
	uint64_t len;
	int err = check_in_buffer(l, s, 4096, &len);

	return err ? err : charge_moved(l, "length", len);
}

int check_option(struct loader *l, struct step *s)
{
	char show[80];

	if (strcmp(arg(s, "name")->s, "huge_pages"))
		return lerr(l, "name", "%s is not an option (huge_pages)",
			    jshow(arg(s, "name")->json, show, sizeof(show)));
	return 0;
}

int check_pasid_alloc(struct loader *l, struct step *s)
{
	if (has(s, "pasid") && (has(s, "min") || has(s, "max")))
		return lerr(l, "pasid", "give either \"pasid\" or \"min\"/\"max\", not both");
	return 0;
}

int check_pinned_limit(struct loader *l, struct step *s)
{
	if (!has(s, "limit") && !has(s, "cap_ipc_lock_exempt"))
		return lerr(l, "limit", "missing (give \"limit\", \"cap_ipc_lock_exempt\" or both)");
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Attachments and hardware page tables                                     */

/* attach, replace, hwpt_alloc: exactly one of "ioas" and "hwpt". */
int check_pt(struct loader *l, struct step *s)
{
	if (has(s, "ioas") && has(s, "hwpt"))
		return lerr(l, "hwpt", "give either \"ioas\" or \"hwpt\", not both");
	if (!has(s, "ioas") && !has(s, "hwpt"))
		return lerr(l, "ioas", "missing (op %s needs \"ioas\" or \"hwpt\")", s->op->name);
	return 0;
}

int check_hwpt_alloc(struct loader *l, struct step *s)
{
	static const char *const known[] = { "pgtbl_addr", "addr_width", "flags", "reserved", NULL };
	struct argval *a = arg_mut(s, "s1");
	struct ioasid_hwpt_vtd_s1 *s1;
	uint64_t v;
	int err;

	if (has(s, "viommu")) {
		/* a nested HWPT on a vIOMMU: the driver's data, as bytes */
		if (has(s, "ioas") || has(s, "hwpt"))
			return lerr(l, "viommu", "give one of \"ioas\", \"hwpt\" and \"viommu\"");
		if (a->present)
			return lerr(l, "s1",
				    "VT-d stage-1 data is for a nested HWPT over \"hwpt\"; on a \"viommu\", give the driver's \"data\"");
		return 0;
	}
	if (has(s, "data") && a->present)
		return lerr(l, "data", "give either \"s1\" or \"data\", not both");
	err = check_pt(l, s);
	if (err || !a->present)
		return err;
	err = sub_keys(l, "s1", a->json, known);
	if (err)
		return err;
	if (!json_object_get(a->json, "pgtbl_addr"))
		return lerr(l, "s1.pgtbl_addr", "missing (the stage-1 root, a guest-physical address)");
	s1 = xcalloc(1, sizeof(*s1));
	a->arr = s1;
	a->n = 1;
	err = sub_num(l, "s1", a->json, "pgtbl_addr", 0, 0, &s1->pgtbl_addr);
	if (!err)
		err = sub_num(l, "s1", a->json, "addr_width", UINT32_MAX, 48, &v);
	if (!err) {
		s1->addr_width = (uint32_t)v;
		err = sub_named(l, "s1", a->json, "flags", vtd_s1_flag_names, true, 0, 0,
				&s1->flags);
	}
	if (!err)
		err = sub_num(l, "s1", a->json, "reserved", UINT32_MAX, 0, &v);
	if (!err)
		s1->__reserved = (uint32_t)v;
	return err;
}

/* The numbers of one invalidation request; absent ones take the defaults. */
static int inv_request_fields(struct loader *l, const char *key, const json_t *e,
			      struct ioasid_inv_req *q)
{
	uint64_t v = 0;
	bool leaf = false;
	int err;

	err = sub_named(l, key, e, "kind", inv_kind_names, false, UINT16_MAX, 0, &v);
	q->kind = (uint16_t)v;
	if (!err)
		err = sub_named(l, key, e, "granularity", inv_gran_names, false, UINT16_MAX,
				IOASID_INV_ALL, &v);
	q->granularity = (uint16_t)v;
	if (!err)
		err = sub_num(l, key, e, "addr", 0, 0, &q->addr);
	if (!err)
		err = sub_num(l, key, e, "npages", 0, 1, &q->npages);
	if (!err)
		err = sub_num(l, key, e, "log2_pgsize", UINT32_MAX, 12, &v);
	q->log2_pgsize = (uint32_t)v;
	if (!err)
		err = sub_bool(l, key, e, "leaf", &leaf);
	if (!err)
		err = sub_num(l, key, e, "flags", UINT16_MAX, 0, &v);
	q->flags = (uint16_t)v | (leaf ? IOASID_INV_LEAF : 0);
	if (!err)
		err = sub_num(l, key, e, "version", UINT16_MAX, 1, &v);
	q->version = (uint16_t)v;
	/* not above 48: the library reads a longer one's tail past the entry */
	if (!err)
		err = sub_num(l, key, e, "size", sizeof(*q), sizeof(*q), &v);
	q->size = (uint32_t)v;
	return err;
}

/* The PASID (a number or a label) and the device (a label) of one request. */
static int inv_request_refs(struct loader *l, const char *key, const json_t *e,
			    struct inv_item *it)
{
	const json_t *p;
	char sub[96];
	uint64_t v = 0;
	int err;

	it->req.pasid = IOASID_PASID_NONE;
	p = json_object_get(e, "pasid");
	if (p) {
		snprintf(sub, sizeof(sub), "%s.pasid", key);
		err = parse_pasid(l, sub, p, &v, &it->pasid);
		if (err)
			return err;
		if (!it->pasid)
			it->req.pasid = (uint32_t)v;
	}
	p = json_object_get(e, "dev");
	if (p) {
		snprintf(sub, sizeof(sub), "%s.dev", key);
		return parse_label(l, sub, p, K_DEV, &it->dev);
	}
	return 0;
}

int check_invalidate(struct loader *l, struct step *s)
{
	static const char *const known[] = {
		"kind", "granularity", "pasid", "addr", "npages", "log2_pgsize", "leaf", "dev",
		"flags", "version", "size", NULL,
	};
	struct argval *a = arg_mut(s, "requests");
	struct inv_item *it;
	char key[64];
	const json_t *e;
	size_t i;
	int err;

	err = list_items(l, "requests", a, sizeof(*it), "requests");
	if (err)
		return err;
	it = a->arr;
	json_array_foreach(a->json, i, e) {
		snprintf(key, sizeof(key), "requests[%zu]", i);
		err = sub_keys(l, key, e, known);
		if (err)
			return err;
		if (!json_object_get(e, "kind"))
			return lerr(l, key, "missing \"kind\" (iotlb, dev_iotlb, pasid_cache)");
		err = inv_request_fields(l, key, e, &it[i].req);
		if (!err)
			err = inv_request_refs(l, key, e, &it[i]);
		if (err)
			return err;
	}
	return 0;
}

/* VT-d stage-1 invalidation entries: {addr, npages, flags, __reserved}, 24 bytes. */
int check_invalidate_raw(struct loader *l, struct step *s)
{
	static const char *const known[] = { "addr", "npages", "leaf", "flags", "reserved", NULL };
	struct argval *a = arg_mut(s, "entries");
	uint64_t addr = 0, npages = 0, flags = 0, resv = 0;
	char key[64];
	const json_t *e;
	uint32_t f32, r32;
	uint8_t *out;
	bool leaf = false;
	size_t i;
	int err;

	err = list_items(l, "entries", a, VTD_INV_ENTRY_LEN, "entries");
	if (err)
		return err;
	out = a->arr;
	json_array_foreach(a->json, i, e) {
		snprintf(key, sizeof(key), "entries[%zu]", i);
		err = sub_keys(l, key, e, known);
		if (!err)
			err = sub_num(l, key, e, "addr", 0, 0, &addr);
		if (!err)
			err = sub_num(l, key, e, "npages", 0, 1, &npages);
		if (!err)
			err = sub_bool(l, key, e, "leaf", &leaf);
		if (!err)
			err = sub_num(l, key, e, "flags", UINT32_MAX, 0, &flags);
		if (!err)
			err = sub_num(l, key, e, "reserved", UINT32_MAX, 0, &resv);
		if (err)
			return err;
		f32 = (uint32_t)flags | (leaf ? 1u : 0u); /* IOMMU_VTD_INV_FLAGS_LEAF */
		r32 = (uint32_t)resv;
		memcpy(out + i * VTD_INV_ENTRY_LEN, &addr, 8);
		memcpy(out + i * VTD_INV_ENTRY_LEN + 8, &npages, 8);
		memcpy(out + i * VTD_INV_ENTRY_LEN + 16, &f32, 4);
		memcpy(out + i * VTD_INV_ENTRY_LEN + 20, &r32, 4);
	}
	return 0;
}

/*
 * A vIOMMU's raw entries, all of "entry_len" bytes (default: the longest
 * entry): each a hex string of bytes, or {"u32": [...]} / {"u64": [...]},
 * little-endian words (an SMMUv3 command is {"u64": [w0, w1]}, the test
 * driver's entry {"u32": [flags, vdev_id, cache_id]}). A shorter entry is
 * zero-padded, as the kernel zero-extends one.
 */
#define VIOMMU_INV_ENTRY_MAX 4096 /* the library refuses more than a page */

static int viommu_entry_len(struct loader *l, const char *key, const json_t *e, size_t *ret)
{
	static const char *const known[] = { "u32", "u64", NULL };
	const json_t *w32, *w64;
	char show[80];
	size_t len;
	int err;

	if (json_is_string(e)) {
		len = strlen(json_string_value(e));
		if (!len || len % 2 || strspn(json_string_value(e), "0123456789abcdefABCDEF") != len)
			return lerr(l, key, "%s is not a non-empty string of hex byte pairs",
				    jshow(e, show, sizeof(show)));
		*ret = len / 2;
		return 0;
	}
	if (!json_is_object(e))
		return lerr(l, key,
			    "%s is neither a hex string nor {\"u32\": [...]} / {\"u64\": [...]}",
			    jshow(e, show, sizeof(show)));
	err = sub_keys(l, key, e, known);
	if (err)
		return err;
	w32 = json_object_get(e, "u32");
	w64 = json_object_get(e, "u64");
	if (!w32 == !w64)
		return lerr(l, key, "give one of \"u32\" and \"u64\"");
	if (!json_is_array(w32 ? w32 : w64) || !json_array_size(w32 ? w32 : w64))
		return lerr(l, key, "\"%s\" is not a non-empty list of numbers",
			    w32 ? "u32" : "u64");
	*ret = json_array_size(w32 ? w32 : w64) * (w32 ? 4 : 8);
	return 0;
}

/* Entry @e into @out (zeroed, at least as long as the entry). */
static int viommu_entry_fill(struct loader *l, const char *key, const json_t *e, uint8_t *out)
{
	const json_t *w, *v;
	size_t i, size;
	uint64_t x;
	char sub[96];
	int err;

	if (json_is_string(e)) {
		const char *h = json_string_value(e);

		for (i = 0; h[2 * i]; i++) {
			char pair[3] = { h[2 * i], h[2 * i + 1], 0 };

			out[i] = (uint8_t)strtoul(pair, NULL, 16);
		}
		return 0;
	}
	w = json_object_get(e, "u32");
	size = w ? 4 : 8;
	if (!w)
		w = json_object_get(e, "u64");
	json_array_foreach(w, i, v) {
		snprintf(sub, sizeof(sub), "%s.u%zu[%zu]", key, size * 8, i);
		err = parse_num_max(l, sub, v, size == 4 ? UINT32_MAX : 0, &x);
		if (err)
			return err;
		for (size_t b = 0; b < size; b++)
			out[i * size + b] = (uint8_t)(x >> (8 * b));
	}
	return 0;
}

int check_viommu_invalidate(struct loader *l, struct step *s)
{
	struct argval *a = arg_mut(s, "entries");
	size_t i, len = 0, max = 0;
	const json_t *e;
	char key[64];
	int err;

	if (!json_is_array(a->json))
		return lerr(l, "entries", "not a list of entries");
	json_array_foreach(a->json, i, e) {
		snprintf(key, sizeof(key), "entries[%zu]", i);
		err = viommu_entry_len(l, key, e, &len);
		if (err)
			return err;
		if (len > max)
			max = len;
	}
	if (has(s, "entry_len")) {
		if (num(s, "entry_len", 0) < max)
			return lerr(l, "entry_len", "%" PRIu64 " bytes: an entry is %zu bytes long",
				    num(s, "entry_len", 0), max);
		max = (size_t)num(s, "entry_len", 0);
	}
	if (!max)
		max = 1; /* no entries and no length: the call only checks the type */
	if (max > VIOMMU_INV_ENTRY_MAX * 2)
		return lerr(l, "entries",
			    "entries of %zu bytes: a step's entries are at most %u bytes long", max,
			    VIOMMU_INV_ENTRY_MAX * 2);
	err = charge_mem(l, "entries", (uint64_t)max * json_array_size(a->json));
	if (err)
		return err;
	/* an entry length the library refuses is kept for the library to refuse */
	a->n = json_array_size(a->json);
	a->arr = xcalloc(a->n ? a->n : 1, max);
	a->u = max;
	json_array_foreach(a->json, i, e) {
		snprintf(key, sizeof(key), "entries[%zu]", i);
		err = viommu_entry_fill(l, key, e, (uint8_t *)a->arr + i * max);
		if (err)
			return err;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* DMA and faults                                                           */

int check_dma(struct loader *l, struct step *s)
{
	bool write = !strcmp(s->op->name, "dma_write");
	int sources = has(s, "buffer") + has(s, "data") + has(s, "byte");
	uint64_t len;
	int err;

	if (write && sources != 1)
		return lerr(l, "data", "a dma_write takes exactly one of \"buffer\", \"data\" and \"byte\"");
	if (has(s, "buffer")) {
		err = check_in_buffer(l, s, 0, &len);
		if (err)
			return err;
		if (len > DMA_MAX_LEN)
			return lerr(l, "length", "0x%" PRIx64 " bytes: one DMA step moves at most 0x%"
				    PRIx64, len, DMA_MAX_LEN);
		return charge_moved(l, "length", len);
	}
	if (has(s, "offset"))
		return lerr(l, "offset", "only a DMA to or from a \"buffer\" takes an offset");
	if (!has(s, "length") && !has(s, "data"))
		return lerr(l, "length", "missing (a DMA without \"buffer\"%s needs a length)",
			    write ? " or \"data\"" : "");
	/* the device side is fresh memory, which lives to the end if the DMA waits */
	len = num(s, "length", arg(s, "data")->n);
	err = charge_mem(l, "length", len);
	return err ? err : charge_moved(l, "length", len);
}

/* "vf_token": a UUID, "bd8d9d2b-5a5f-4f5a-a211-f591514ba1f3", into 16 bytes. */
int check_dev_bind(struct loader *l, struct step *s)
{
	struct argval *a = arg_mut(s, "vf_token");
	const char *u = a->s;
	uint8_t *out;
	size_t i, n = 0;

	if (!a->present)
		return 0;
	out = xcalloc(1, 16);
	a->arr = out;
	a->n = 16;
	for (i = 0; u[i] && n < 32; i++) {
		char c = u[i];
		int v;

		if ((i == 8 || i == 13 || i == 18 || i == 23) && c == '-')
			continue;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			break;
		out[n / 2] |= (uint8_t)(n % 2 ? v : v << 4);
		n++;
	}
	if (n != 32 || u[i] || i != 36)
		return lerr(l, "vf_token", "\"%s\" is not a UUID (8-4-4-4-12 hex digits)", u);
	return 0;
}

int check_fault_respond(struct loader *l, struct step *s)
{
	struct argval *a = arg_mut(s, "cookie");
	char show[80];

	if (json_is_string(a->json) && !strcmp(json_string_value(a->json), "last")) {
		a->n = 1; /* the last group read from the queue, at run time */
		return 0;
	}
	if (!parse_num(a->json, &a->u))
		return lerr(l, "cookie", "%s is neither a number nor \"last\"",
			    jshow(a->json, show, sizeof(show)));
	return 0;
}
