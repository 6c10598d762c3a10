/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fake kernel's state and the library's records, each as sorted lines
 * in kernel ids, so that a test can say which records disagree:
 *
 *   ioas K                       an IOAS
 *   ioas K area 0xIOVA+0xLEN     one of its areas
 *   hwpt K paging ioas I         a paging HWPT (a kernel-automatic one only while
 *                                attached; which ones the kernel made itself is not
 *                                compared: the library's automatic HWPT of a PASID
 *                                device is an explicit kernel HWPT)
 *   hwpt K nested parent P       a nested HWPT
 *   hwpt K dirty on              dirty tracking enabled
 *   dev K                        a bound device
 *   dev K rid|pasid N hwpt H     what its RID or a PASID is attached to
 *   fault K                      a fault queue
 *
 * The library's side is read through the public API only: its JSON dump
 * and ioasid_obj_kernel_id().
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "fk-vfio.h"
#include "fk.h"

struct lines {
	char **v;
	size_t n, cap;
};

static void add(struct lines *l, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void add(struct lines *l, const char *f, ...)
{
	char buf[160];
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, sizeof(buf), f, ap);
	va_end(ap);
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 32;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		ck_assert_ptr_nonnull(l->v);
	}
	l->v[l->n++] = strdup(buf);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, joined with '\n'; frees @l. */
static char *join(struct lines *l)
{
	size_t i, len = 1;
	char *s;

	if (l->n) /* qsort(NULL, 0, ...) is undefined */
		qsort(l->v, l->n, sizeof(*l->v), cmp_str);
	for (i = 0; i < l->n; i++)
		len += strlen(l->v[i]) + 1;
	s = calloc(1, len);
	ck_assert_ptr_nonnull(s);
	for (i = 0; i < l->n; i++) {
		strcat(s, l->v[i]);
		strcat(s, "\n");
		free(l->v[i]);
	}
	free(l->v);
	return s;
}

static void att_line(struct lines *l, uint32_t dev, bool pasid_valid, uint32_t pasid, uint32_t hwpt)
{
	if (pasid_valid)
		add(l, "dev %u pasid %u hwpt %u", dev, pasid, hwpt);
	else
		add(l, "dev %u rid hwpt %u", dev, hwpt);
}

char *fk_state_kernel(struct fk *k)
{
	struct lines l = { 0 };
	uint32_t id, i;

	for (id = 1; id < FK_MAX_OBJ; id++) {
		const struct fk_obj *o = &k->obj[id];

		switch (o->kind) {
		case FK_IOAS:
			add(&l, "ioas %u", id);
			for (i = 0; i < o->nr_areas; i++)
				add(&l, "ioas %u area 0x%llx+0x%llx", id,
				    (unsigned long long)o->areas[i].iova,
				    (unsigned long long)o->areas[i].length);
			break;
		case FK_HWPT_PAGING:
			add(&l, "hwpt %u paging ioas %u", id, o->ioas);
			if (o->dirty_on)
				add(&l, "hwpt %u dirty on", id);
			break;
		case FK_HWPT_NESTED:
			add(&l, "hwpt %u nested parent %u", id, o->parent);
			break;
		case FK_DEVICE:
			add(&l, "dev %u", id);
			for (i = 0; i < o->nr_att; i++)
				att_line(&l, id, o->att[i].pasid_valid, o->att[i].pasid,
					 o->att[i].hwpt);
			break;
		case FK_FAULT:
			add(&l, "fault %u", id);
			break;
		default:
			break;
		}
	}
	return join(&l);
}

/* ---- the library's side ---- */

static uint32_t kid(struct ioasid_ctx *ctx, json_int_t id)
{
	uint32_t k = 0;

	if (ioasid_obj_kernel_id(ctx, (uint32_t)id, &k))
		return 0;
	return k;
}

static uint64_t hex(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? strtoull(s, NULL, 0) : 0;
}

static json_int_t num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void lib_ioas(struct ioasid_ctx *ctx, json_t *arr, struct lines *l)
{
	size_t i, j;
	json_t *o, *m;

	json_array_foreach(arr, i, o) {
		uint32_t k = kid(ctx, num(o, "id"));

		add(l, "ioas %u", k);
		json_array_foreach(json_object_get(o, "mappings"), j, m)
			add(l, "ioas %u area 0x%llx+0x%llx", k, (unsigned long long)hex(m, "iova"),
			    (unsigned long long)hex(m, "length"));
	}
}

/* The automatic HWPT the library uses for IOAS @ioas: its kernel id. */
static uint32_t auto_of(struct ioasid_ctx *ctx, json_t *hwpts, json_int_t ioas)
{
	size_t i;
	json_t *h;

	json_array_foreach(hwpts, i, h)
		if (json_is_true(json_object_get(h, "auto")) && num(h, "ioas") == ioas &&
		    kid(ctx, num(h, "id")))
			return kid(ctx, num(h, "id"));
	return 0;
}

static void lib_hwpts(struct ioasid_ctx *ctx, json_t *arr, struct lines *l)
{
	size_t i;
	json_t *h;

	json_array_foreach(arr, i, h) {
		uint32_t k = kid(ctx, num(h, "id"));

		/*
		 * The library keeps an automatic domain without devices only
		 * when the kernel refused to destroy it (one it allocated on
		 * the library's request): then it is a kernel object too.
		 */
		if (!k)
			continue;
		if (json_is_null(json_object_get(h, "parent")))
			add(l, "hwpt %u paging ioas %u", k, kid(ctx, num(h, "ioas")));
		else
			add(l, "hwpt %u nested parent %u", k, kid(ctx, num(h, "parent")));
		if (json_is_true(json_object_get(h, "dirty_enabled")))
			add(l, "hwpt %u dirty on", k);
	}
}

static void lib_devs(struct ioasid_ctx *ctx, json_t *arr, json_t *hwpts, struct lines *l)
{
	size_t i, j;
	json_t *d, *a;

	json_array_foreach(arr, i, d) {
		uint32_t k = kid(ctx, num(d, "id"));

		add(l, "dev %u", k);
		json_array_foreach(json_object_get(d, "attachments"), j, a) {
			json_int_t pt = num(a, "pt");
			json_t *pasid = json_object_get(a, "pasid");
			uint32_t h = ioasid_obj_kind(ctx, (uint32_t)pt) == IOASID_OBJ_IOAS ?
					     auto_of(ctx, hwpts, pt) :
					     kid(ctx, pt);

			att_line(l, k, !json_is_null(pasid), (uint32_t)json_integer_value(pasid), h);
		}
	}
}

char *fk_state_library(struct ioasid_ctx *ctx)
{
	struct lines l = { 0 };
	json_error_t jerr;
	json_t *doc, *q;
	char *text = NULL;
	size_t i;

	ck_assert_int_eq(ioasid_json_ctx(ctx, 0, &text), 0);
	doc = json_loads(text, 0, &jerr);
	ioasid_json_free(text);
	ck_assert_ptr_nonnull(doc);
	lib_ioas(ctx, json_object_get(doc, "ioas"), &l);
	lib_hwpts(ctx, json_object_get(doc, "hwpts"), &l);
	lib_devs(ctx, json_object_get(doc, "devices"), json_object_get(doc, "hwpts"), &l);
	json_array_foreach(json_object_get(doc, "queues"), i, q)
		add(&l, "fault %u", kid(ctx, num(q, "id")));
	json_decref(doc);
	return join(&l);
}

/* Does the '\n'-separated @text hold the line @line? */
static bool has_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[len] == '\n')
			return true;
	return false;
}

static void diff_side(const char *from, const char *other, char sign, char *out, size_t size)
{
	const char *p, *e;
	char line[200];

	for (p = from; *p; p = e + 1) {
		e = strchr(p, '\n');
		if (!e)
			break;
		snprintf(line, sizeof(line), "%.*s", (int)(e - p), p);
		if (!has_line(other, line)) {
			size_t n = strlen(out);

			snprintf(out + n, size - n, "%s%c%.*s", n ? "; " : "", sign, (int)(e - p),
				 p);
		}
	}
}

char *fk_state_diff(const char *kernel, const char *library)
{
	char *out = calloc(1, 2048);

	ck_assert_ptr_nonnull(out);
	diff_side(kernel, library, '-', out, 2048);
	diff_side(library, kernel, '+', out, 2048);
	if (!*out) {
		free(out);
		return NULL;
	}
	return out;
}

/* ---- VFIO type-1 (fk-vfio.h) ---- */

char *fkv_state_kernel(struct fkv *k)
{
	struct lines l = { 0 };
	uint32_t i, j;

	fkv_discover(k);
	for (i = 0; i < FKV_MAX_CONT; i++) {
		const struct fkv_cont *c = &k->cont[i];

		if (!c->used)
			continue;
		add(&l, "container %d%s", c->fd, c->iommu ? " iommu" : "");
		for (j = 0; j < c->nr_maps; j++)
			add(&l, "container %d map 0x%llx+0x%llx", c->fd,
			    (unsigned long long)c->maps[j].iova,
			    (unsigned long long)c->maps[j].size);
	}
	for (i = 0; i < FKV_MAX_GROUPS; i++) {
		const struct fkv_group *g = &k->group[i];
		uint32_t n = FKV_FIRST_GROUP + i;

		if (g->fd >= 0)
			add(&l, "group %u open", n);
		if (g->cont >= 0)
			add(&l, "group %u container %d", n, k->cont[g->cont].fd);
		if (g->dev_fd >= 0)
			add(&l, "group %u device", n);
	}
	return join(&l);
}

char *fkv_state_library(struct ioasid_ctx *ctx)
{
	struct lines l = { 0 };
	json_error_t jerr;
	json_t *doc, *o, *m, *a;
	char *text = NULL;
	size_t i, j;

	ck_assert_int_eq(ioasid_json_ctx(ctx, 0, &text), 0);
	doc = json_loads(text, 0, &jerr);
	ioasid_json_free(text);
	ck_assert_ptr_nonnull(doc);
	/* a container has its IOMMU and the IOAS's areas while a group is in it */
	json_array_foreach(json_object_get(doc, "ioas"), i, o) {
		uint32_t c = kid(ctx, num(o, "id"));
		bool live = num(o, "nr_attached") > 0;

		add(&l, "container %u%s", c, live ? " iommu" : "");
		json_array_foreach(json_object_get(o, "mappings"), j, m)
			if (live)
				add(&l, "container %u map 0x%llx+0x%llx", c,
				    (unsigned long long)hex(m, "iova"),
				    (unsigned long long)hex(m, "length"));
	}
	json_array_foreach(json_object_get(doc, "devices"), i, o) {
		uint32_t g = kid(ctx, num(o, "id"));

		add(&l, "group %u open", g);
		json_array_foreach(json_object_get(o, "attachments"), j, a) {
			add(&l, "group %u container %u", g, kid(ctx, num(a, "pt")));
			add(&l, "group %u device", g);
		}
	}
	json_decref(doc);
	return join(&l);
}
