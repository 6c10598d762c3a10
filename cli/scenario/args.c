/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What handlers and checks read of their step: argument values by key,
 * the objects behind labels, and the labels a step defines or ends.
 */
#include <search.h>
#include <string.h>

#include "../ioasidctl.h"
#include "private.h"

/* ------------------------------------------------------------------------ */
/* Arguments                                                                */

static struct argval *find_arg(const struct step *s, const char *key)
{
	size_t i;

	for (i = 0; s->op->args[i].key; i++)
		if (!strcmp(s->op->args[i].key, key))
			return &s->vals[i];
	return NULL;
}

const struct argval *arg(const struct step *s, const char *key)
{
	static const struct argval absent;
	const struct argval *a = find_arg(s, key);

	return a ? a : &absent;
}

struct argval *arg_mut(struct step *s, const char *key)
{
	return find_arg(s, key);
}

bool has(const struct step *s, const char *key)
{
	return arg(s, key)->present;
}

uint64_t num(const struct step *s, const char *key, uint64_t def)
{
	const struct argval *a = arg(s, key);

	return a->present ? a->u : def;
}

/*
 * The id behind an object label: 0 (which no object has) when the step that
 * made it failed or the object was destroyed, so using it fails with the
 * library's -ENOENT instead of reaching an object that reused the id.
 */
uint32_t obj_id(const struct step *s, const char *key)
{
	const struct argval *a = arg(s, key);

	return a->label && a->label->live ? a->label->id : IOASID_ID_NONE;
}

/*
 * An optional object argument of an options struct, where 0 means "none":
 * absent 0; a label that names nothing an id no object has (so the library
 * refuses it with ENOENT instead of quietly taking "none").
 */
uint32_t opt_obj_id(const struct step *s, const char *key)
{
	const struct argval *a = arg(s, key);

	if (!a->present)
		return IOASID_ID_NONE;
	return a->label && a->label->live ? a->label->id : UINT32_MAX;
}

uint32_t pasid_arg(const struct step *s, const char *key)
{
	const struct argval *a = arg(s, key);

	if (!a->present)
		return IOASID_PASID_NONE;
	if (a->label)
		return a->label->pasid; /* stays usable after pasid_free: a stale PASID is a test */
	return (uint32_t)a->u;
}

uint32_t pt_id(const struct step *s)
{
	if (has(s, "viommu"))
		return obj_id(s, "viommu");
	return has(s, "hwpt") ? obj_id(s, "hwpt") : obj_id(s, "ioas");
}

/* ------------------------------------------------------------------------ */
/* Labels                                                                   */

int label_made(const struct step *s, int err, uint32_t id)
{
	if (!err && s->as) {
		s->as->id = id;
		s->as->live = true;
	}
	return err;
}

int label_ended(const struct step *s, const char *key, int err)
{
	const struct argval *a = arg(s, key);

	if (!err && a->label)
		a->label->live = false;
	return err;
}

/* Object ids and DMA handles are two numberings: the index keeps them apart. */
static int id_cmp(const void *a, const void *b)
{
	const struct label *x = a, *y = b;
	int dx = x->kind == K_DMA, dy = y->kind == K_DMA;

	if (dx != dy)
		return dx - dy;
	return x->id < y->id ? -1 : x->id > y->id;
}

void label_note_id(struct scenario *sc, struct label *lb)
{
	struct label **slot;

	if (!(lb->kind & (K_OBJECT | K_DMA)) || !lb->live || !lb->id)
		return;
	slot = tsearch(lb, &sc->id_index, id_cmp);
	if (!slot)
		cli_oom();
	/* the same key: replacing the node's label keeps the tree in order */
	*slot = lb;
}

const char *label_of_id(const struct scenario *sc, uint32_t id, unsigned int kinds)
{
	const struct label key = { .kind = kinds == K_DMA ? K_DMA : K_IOAS, .id = id };
	struct label **slot = tfind(&key, &sc->id_index, id_cmp);
	const struct label *lb = slot ? *slot : NULL;

	return lb && lb->live && (lb->kind & kinds) ? lb->name : NULL;
}
