/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Ops on I/O address spaces: allocation, map, unmap, copy, IOVA ranges,
 * reservations, options and what an IOAS holds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "../ioasidctl.h"
#include "private.h"

/* A mapping as values show it: no process address, the memory's name. */
static json_t *mapping_json(struct run *r, uint32_t ioas, const struct ioasid_mapping *mp)
{
	struct ioasid_map_backing b;
	const struct mem *m;
	uint64_t off;
	json_t *o;

	o = json_object();
	json_object_set_new(o, "iova", json_hex(mp->iova));
	json_object_set_new(o, "last", json_hex(mp->iova + mp->length - 1));
	json_object_set_new(o, "length", json_hex(mp->length));
	json_object_set_new(o, "perm", json_string(perm_str(mp->flags)));
	m = mem_at(r->sc, mp->uva, &off, false);
	/* a file area: the memfd buffer it maps, at its file offset */
	if (!ioasid_ioas_backing(r->ctx, ioas, mp->iova, &b) && b.kind != IOASID_BACKING_VA) {
		m = mem_of_file(r->sc, b.fd);
		off = b.offset;
		json_object_set_new(o, "backing",
				    json_string(b.kind == IOASID_BACKING_FILE ? "file" : "dmabuf"));
	}
	if (m) {
		json_object_set_new(o, "buffer", json_string(m->name));
		json_object_set_new(o, "offset", json_hex(off));
	} else {
		json_object_set_new(o, "buffer", json_null());
	}
	return o;
}

HANDLER(op_ioas_alloc)
{
	uint32_t id = IOASID_ID_NONE;
	int err = ioasid_ioas_alloc(r->ctx, &id);

	return label_made(s, err, id);
}

HANDLER(op_ioas_destroy)
{
	return label_ended(s, "ioas", ioasid_ioas_destroy(r->ctx, obj_id(s, "ioas")));
}

/* Map flags: "perm" (default rw), FIXED_IOVA when @fixed, raw "flags" OR'd in. */
static uint32_t map_flags(const struct step *s, bool fixed)
{
	uint32_t flags = has(s, "perm") ? (uint32_t)num(s, "perm", 0) :
			 IOASID_MAP_READ | IOASID_MAP_WRITE;

	if (fixed)
		flags |= IOASID_MAP_FIXED_IOVA;
	return flags | (uint32_t)num(s, "flags", 0);
}

HANDLER(op_map)
{
	const struct argval *b = arg(s, "buffer");
	uint64_t iova = num(s, "iova", 0), offset = num(s, "offset", 0), length;
	struct mem *m;
	char name[32];
	int err;

	if (b->present) {
		m = b->label->mem;
		/* the loader checked offset + length against the buffer's size */
		length = num(s, "length", m ? m->size - offset : 0);
		if (!m)
			return buffer_missing(r, b->label);
	} else {
		length = num(s, "length", 0);
		if (s->as)
			snprintf(name, sizeof(name), "%s", s->as->name);
		else
			snprintf(name, sizeof(name), "#%zu", s->index);
		err = mem_alloc(r, name, length, 0, false, &m);
		if (err)
			return err;
		if (s->as) {
			s->as->mem = m;
			s->as->live = true;
		}
	}
	err = ioasid_ioas_map(r->ctx, obj_id(s, "ioas"), m->va + offset, length,
			      map_flags(s, has(s, "iova")), &iova);
	if (!err)
		json_object_set_new(value, "iova", json_hex(iova));
	return err;
}

HANDLER(op_map_file)
{
	struct ioasid_map_file_opts o = IOASID_OPTS_INIT(ioasid_map_file_opts);
	const struct mem *m = arg(s, "buffer")->label->mem;
	uint64_t iova = num(s, "iova", 0);
	int err;

	if (!m)
		return buffer_missing(r, arg(s, "buffer")->label);
	o.fd = m->fd; /* -1 for anonymous memory: the library answers EBADF */
	o.offset = num(s, "offset", 0);
	o.length = num(s, "length", m->size > o.offset ? m->size - o.offset : 0);
	o.flags = map_flags(s, has(s, "iova"));
	err = ioasid_ioas_map_file(r->ctx, obj_id(s, "ioas"), &o, &iova);
	if (!err)
		json_object_set_new(value, "iova", json_hex(iova));
	return err;
}

HANDLER(op_unmap)
{
	uint64_t unmapped = 0;
	int err = ioasid_ioas_unmap(r->ctx, obj_id(s, "ioas"), num(s, "iova", 0),
				    num(s, "length", 0), &unmapped);

	if (!err)
		json_object_set_new(value, "unmapped", json_hex(unmapped));
	return err;
}

HANDLER(op_copy)
{
	uint64_t dst_iova = num(s, "dst_iova", 0);
	int err = ioasid_ioas_copy(r->ctx, obj_id(s, "dst"), obj_id(s, "src"),
				   num(s, "src_iova", 0), num(s, "length", 0),
				   map_flags(s, has(s, "dst_iova")), &dst_iova);

	if (!err)
		json_object_set_new(value, "dst_iova", json_hex(dst_iova));
	return err;
}

HANDLER(op_iova_ranges)
{
	struct ioasid_iova_range *rg = NULL;
	uint32_t num_rg = 0, cap = 0, i;
	uint64_t align = 0;
	json_t *list;
	int err;

	/* Ask for the count, then for the ranges; again if they changed. */
	for (;;) {
		num_rg = cap;
		err = ioasid_ioas_iova_ranges(r->ctx, obj_id(s, "ioas"), rg, &num_rg, &align);
		if (err != -EMSGSIZE && !(err == 0 && num_rg > cap))
			break;
		cap = num_rg;
		rg = xrealloc(rg, cap * sizeof(*rg));
	}
	if (!err) {
		list = json_array();
		for (i = 0; i < num_rg; i++)
			json_array_append_new(list, json_pack("{s:o, s:o}",
							      "start", json_hex(rg[i].start),
							      "last", json_hex(rg[i].last)));
		json_object_set_new(value, "ranges", list);
		json_object_set_new(value, "alignment", json_hex(align));
	}
	free(rg);
	return err;
}

HANDLER(op_allow_iovas)
{
	const struct argval *a = arg(s, "ranges");

	return ioasid_ioas_allow_iovas(r->ctx, obj_id(s, "ioas"), a->arr, (uint32_t)a->n);
}

HANDLER(op_reserve)
{
	return ioasid_ioas_reserve(r->ctx, obj_id(s, "ioas"), num(s, "start", 0),
				   num(s, "last", 0));
}

HANDLER(op_unreserve)
{
	return ioasid_ioas_unreserve(r->ctx, obj_id(s, "ioas"), num(s, "start", 0),
				     num(s, "last", 0));
}

HANDLER(op_option)
{
	uint64_t val = 0;
	int err = 0;

	/* "name" is checked at load time: huge_pages is the one option so far */
	if (has(s, "value"))
		err = ioasid_ioas_set_option(r->ctx, obj_id(s, "ioas"),
					     IOASID_IOAS_OPT_HUGE_PAGES, num(s, "value", 0));
	if (!err)
		err = ioasid_ioas_get_option(r->ctx, obj_id(s, "ioas"),
					     IOASID_IOAS_OPT_HUGE_PAGES, &val);
	if (!err)
		json_object_set_new(value, "huge_pages", json_integer((json_int_t)val));
	return err;
}

HANDLER(op_lookup)
{
	struct ioasid_mapping mp;
	int err = ioasid_ioas_lookup(r->ctx, obj_id(s, "ioas"), num(s, "iova", 0), &mp);

	json_t *m;

	if (err)
		return err;
	m = mapping_json(r, obj_id(s, "ioas"), &mp);
	json_object_update(value, m);
	json_decref(m);
	return 0;
}

/* Every area of an IOAS, in IOVA order, paging through the library's list. */
int list_mappings(struct run *r, uint32_t ioas, struct ioasid_mapping **ret, size_t *ret_n)
{
	struct ioasid_mapping page[64], *all = NULL;
	uint64_t from = 0;
	size_t n = 0;
	uint32_t got, i;
	int err;

	for (;;) {
		got = 64;
		err = ioasid_ioas_mappings(r->ctx, ioas, from, page, &got);
		if (err) {
			free(all);
			return err;
		}
		all = xrealloc(all, (n + got) * sizeof(*all));
		for (i = 0; i < got; i++)
			all[n++] = page[i];
		if (got < 64)
			break;
		from = page[got - 1].iova + page[got - 1].length;
		if (!from) /* the last area ends at the top of the address space */
			break;
	}
	*ret = all;
	*ret_n = n;
	return 0;
}

HANDLER(op_mappings)
{
	struct ioasid_mapping *all;
	size_t n, i;
	json_t *list;
	int err = list_mappings(r, obj_id(s, "ioas"), &all, &n);

	if (err)
		return err;
	list = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(list, mapping_json(r, obj_id(s, "ioas"), &all[i]));
	json_object_set_new(value, "mappings", list);
	free(all);
	return 0;
}

HANDLER(op_ioas_stats)
{
	struct ioasid_ioas_stats st;
	int err = ioasid_ioas_stats(r->ctx, obj_id(s, "ioas"), &st);

	if (err)
		return err;
	json_object_set_new(value, "areas", json_integer((json_int_t)st.nr_areas));
	json_object_set_new(value, "mapped_bytes", json_hex(st.mapped_bytes));
	json_object_set_new(value, "reserved", json_integer((json_int_t)st.nr_reserved));
	json_object_set_new(value, "allowed", json_integer((json_int_t)st.nr_allowed));
	json_object_set_new(value, "alignment", json_hex(st.alignment));
	json_object_set_new(value, "attached", json_integer(st.nr_attached));
	return 0;
}
