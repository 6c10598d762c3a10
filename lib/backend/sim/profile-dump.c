/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The writer of profile files: sim_profile_to_json() gives both the fields
 * and the raw registers, so a dump is itself a valid profile file and
 * loads back to the same profile.
 */
#include <inttypes.h>
#include <stdio.h>

#include "profile-private.h"

/* Collects json_object_set_new() failures so the builder can check once. */
struct jb {
	bool failed;
};

/*
 * Both steal @v: the *_new() calls drop it themselves when they fail, and
 * when an allocation upstream already failed (@obj or @v NULL) we drop it.
 */
static void jset(struct jb *jb, json_t *obj, const char *key, json_t *v)
{
	if (!obj || !v) {
		json_decref(v);
		jb->failed = true;
	} else if (json_object_set_new(obj, key, v)) {
		jb->failed = true;
	}
}

static void jappend(struct jb *jb, json_t *arr, json_t *v)
{
	if (!arr || !v) {
		json_decref(v);
		jb->failed = true;
	} else if (json_array_append_new(arr, v)) {
		jb->failed = true;
	}
}

static json_t *jhex(uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%" PRIx64, v);
	return json_string(b);
}

static json_t *jrange(struct jb *jb, const char *lastkey, uint64_t start, uint64_t last)
{
	json_t *o = json_object();

	jset(jb, o, "start", jhex(start));
	jset(jb, o, lastkey, jhex(last));
	return o;
}

/* A generic field (struct profile_field) of @p. */
static json_t *jfield(struct jb *jb, const struct profile_field *f, const struct sim_profile *p)
{
	uint64_t v = cf_get(p, (unsigned int)f->off, f->size);
	json_t *a;

	switch (f->kind) {
	case PF_LEVELS:
		a = json_array();
		for (unsigned int l = 1; l <= 6; l++)
			if (v & (1U << l))
				jappend(jb, a, json_integer(l));
		return a;
	case PF_PGSIZES:
		return jhex(v);
	case PF_BOOL:
		return json_boolean(v);
	case PF_RANGE:
		return jrange(jb, "last", v, cf_get(p, (unsigned int)(f->off + f->size), f->size));
	default:
		return json_integer((json_int_t)v);
	}
}

/* The registers a profile file gives, in the model's order and shapes. */
static json_t *jregisters(struct jb *jb, const struct vendor_model *m, const struct sim_profile *p)
{
	json_t *o = json_object(), *v;

	for (const struct vendor_profile_reg *r = m->profile_regs; r->key; r++) {
		const struct cap_field *f = vendor_profile_field(m, r);

		if (!f)
			continue;
		if (f->kind == CF_RANGE) {
			v = jrange(jb, "end", cf_get(&p->regs, f->off, f->size),
				   cf_get(&p->regs, f->off2, f->size));
		} else if (f->count > 1) {
			v = json_array();
			for (unsigned int i = 0; i < f->count; i++)
				jappend(jb, v,
					jhex(cf_get(&p->regs, f->off + i * f->size, f->size)));
		} else if (f->json == J_INT) {
			v = json_integer((json_int_t)cf_get(&p->regs, f->off, f->size));
		} else {
			v = jhex(cf_get(&p->regs, f->off, f->size));
		}
		jset(jb, o, r->key, v);
	}
	return o;
}

static json_t *jdevice(struct jb *jb, const struct sim_profile *p, const struct sim_dev_desc *d)
{
	json_t *o = json_object(), *regions = json_array();

	jset(jb, o, "name", json_string(d->name));
	jset(jb, o, "bdf", json_string(d->bdf));
	jset(jb, o, "page_sizes", jhex(d->page_sizes));
	jset(jb, o, "pasid_width", json_integer(d->pasid_width));
	jset(jb, o, "pri", json_boolean(d->pri));
	jset(jb, o, "ats", json_boolean(d->ats));
	if (p->vendor == SIM_VENDOR_SMMUV3) /* an SMMUv3-only key, as scalable_mode is VT-d's */
		jset(jb, o, "stall", json_boolean(d->stall));
	for (unsigned int i = 0; i < d->nr_regions; i++) {
		const struct sim_resv_region *r = &d->regions[i];
		json_t *ro = jrange(jb, "last", r->start, r->last);

		jset(jb, ro, "type", json_string(sim_resv_type_name(r->type)));
		jappend(jb, regions, ro);
	}
	jset(jb, o, "reserved", regions);
	return o;
}

json_t *sim_profile_to_json(const struct sim_profile *p)
{
	struct jb jb = { .failed = false };
	const struct vendor_model *m;
	json_t *o, *devs;

	if (!p)
		return NULL;
	m = profile_model_of(p->vendor);
	o = json_object();
	jset(&jb, o, "version", json_integer(1));
	jset(&jb, o, "name", json_string(p->name));
	jset(&jb, o, "model", json_string(sim_vendor_name(p->vendor)));
	for (unsigned int i = 0; i < profile_nfields; i++) {
		const struct profile_field *f = &profile_fields[i];

		if (!f->vtd_only || p->vendor == SIM_VENDOR_VTD)
			jset(&jb, o, f->key, jfield(&jb, f, p));
	}
	if (m)
		jset(&jb, o, "registers", jregisters(&jb, m, p));
	devs = json_array();
	for (unsigned int i = 0; i < p->nr_devices; i++)
		jappend(&jb, devs, jdevice(&jb, p, &p->devices[i]));
	jset(&jb, o, "devices", devs);

	if (jb.failed) {
		json_decref(o);
		return NULL;
	}
	return o;
}
