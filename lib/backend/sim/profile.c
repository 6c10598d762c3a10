/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Simulated IOMMU profiles: what a profile is made of (names, the generic
 * fields, the vendor model behind its registers), the built-ins, loading,
 * and hot add and remove of devices.
 *
 * The file format is docs/profile-format.md: profile-json.c reads it,
 * profile-dump.c writes it, profile-check.c holds the rules. The built-ins
 * are profile files too (profiles/NAME.json), compiled in as text and read
 * by the same reader, once: the parsed built-ins are kept and copied.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strnlen */
#endif
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"
#include "profile-private.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------
 * Errors
 */

int profile_fail(struct perr *e, int ret, const char *path, const char *fmt, ...)
{
	va_list ap;
	size_t n = 0;
	int r;

	if (!e || !e->buf || !e->len)
		return ret;
	e->buf[0] = '\0';
	if (e->src) {
		r = snprintf(e->buf, e->len, "%s: ", e->src);
		n = r < 0 ? 0 : (size_t)r;
	}
	if (n < e->len && path && *path) {
		r = snprintf(e->buf + n, e->len - n, "%s: ", path);
		n += r < 0 ? 0 : (size_t)r;
	}
	if (n < e->len) {
		va_start(ap, fmt);
		vsnprintf(e->buf + n, e->len - n, fmt, ap);
		va_end(ap);
	}
	return ret;
}

int profile_fail_vendor(struct perr *e, const char *pfx, const struct vendor_err *ve)
{
	char path[128];

	profile_subpath(path, sizeof(path), pfx, ve->reg);
	return profile_fail(e, -EINVAL, path, "%s", ve->msg);
}

void profile_subpath(char *buf, size_t len, const char *prefix, const char *key)
{
	if (prefix && *prefix)
		snprintf(buf, len, "%s.%s", prefix, key);
	else
		snprintf(buf, len, "%s", key);
}

/* ------------------------------------------------------------------------
 * Models and names
 */

/* The vendor models (lib/vendor/) behind the profiles' registers. */
static const struct vendor_model *const sim_models[] = {
	[SIM_VENDOR_GENERIC] = NULL,                      /* no registers */
	[SIM_VENDOR_VTD] = &vendor_vtd,                   /* vtd.c */
	[SIM_VENDOR_SMMUV3] = &vendor_smmuv3,             /* smmuv3.c */
	[SIM_VENDOR_AMD] = &vendor_amd,                   /* amd.c */
	[SIM_VENDOR_VIRTIO_IOMMU] = &vendor_virtio_iommu, /* virtio-iommu.c */
};

static const char *const resv_names[] = {
	[SIM_RESV_RESERVED] = "reserved",
	[SIM_RESV_MSI] = "msi",
	[SIM_RESV_SW_MSI] = "sw_msi",
	[SIM_RESV_DIRECT] = "direct",
	[SIM_RESV_DIRECT_RELAXABLE] = "direct_relaxable",
};

bool profile_vendor_known(enum sim_vendor v)
{
	return (unsigned int)v < ARRAY_SIZE(sim_models);
}

const struct vendor_model *profile_model_of(enum sim_vendor v)
{
	return profile_vendor_known(v) ? sim_models[v] : NULL;
}

const struct vendor_model *sim_profile_model(const struct sim_profile *p)
{
	return profile_model_of(p->vendor);
}

unsigned int sim_profile_stall_model(const struct sim_profile *p)
{
	if (p->vendor != SIM_VENDOR_SMMUV3)
		return SIM_STALL_NONE;
	return (p->regs.smmuv3.idr[0] >> 24) & 3u; /* IDR0.STALL_MODEL */
}

bool sim_profile_dev_stalls(const struct sim_profile *p, const struct sim_dev_desc *d)
{
	const unsigned int m = sim_profile_stall_model(p);

	/* arm_smmu_probe_device(): FEAT_STALLS and dma-can-stall, or FEAT_STALL_FORCE */
	return (m == SIM_STALL_BOTH && d->stall) || m == SIM_STALL_FORCE;
}

/* A profile's model is named as its vendor model is. */
const char *sim_vendor_name(enum sim_vendor v)
{
	if (!profile_vendor_known(v))
		return "unknown";
	return sim_models[v] ? sim_models[v]->name : "generic";
}

int profile_vendor_from_name(const char *s, enum sim_vendor *ret_vendor)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(sim_models); i++) {
		if (!strcmp(s, sim_vendor_name((enum sim_vendor)i))) {
			*ret_vendor = (enum sim_vendor)i;
			return 0;
		}
	}
	return -1;
}

const char *profile_model_list(char *buf, size_t len)
{
	size_t n = 0;

	/* the models first, then the one without registers */
	for (unsigned int i = 1; i <= ARRAY_SIZE(sim_models) && n < len; i++) {
		int r = snprintf(buf + n, len - n, "%s%s", i > 1 ? ", " : "",
				 sim_vendor_name((enum sim_vendor)(i % ARRAY_SIZE(sim_models))));

		n += r < 0 ? 0 : (size_t)r;
	}
	return buf;
}

bool profile_resv_known(enum sim_resv_type t)
{
	return (unsigned int)t < ARRAY_SIZE(resv_names);
}

const char *sim_resv_type_name(enum sim_resv_type t)
{
	return profile_resv_known(t) ? resv_names[t] : "unknown";
}

int profile_resv_from_name(const char *s, enum sim_resv_type *ret_type)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(resv_names); i++) {
		if (!strcmp(s, resv_names[i])) {
			*ret_type = (enum sim_resv_type)i;
			return 0;
		}
	}
	return -1;
}

/* ------------------------------------------------------------------------
 * The generic fields
 */

/* 0, and a compile error unless @a and @b have one size. */
#define SAME_SIZE(a, b) (0 * sizeof(char[sizeof(a) == sizeof(b) ? 1 : -1]))
#define PROFILE_M(m) (((struct sim_profile *)0)->m)
/* The member @m of struct sim_profile and @vm of struct vendor_props, of one size. */
#define PF_AT(m, vm)                                                                       \
	.off = offsetof(struct sim_profile, m), .voff = offsetof(struct vendor_props, vm), \
	.size = sizeof(PROFILE_M(m)) + SAME_SIZE(PROFILE_M(m), ((struct vendor_props *)0)->vm)
/* A member no vendor property has. */
#define PF_OWN(m) .off = offsetof(struct sim_profile, m), .size = sizeof(PROFILE_M(m))

/* In the order files have always been read and written in (and of VP_* bits). */
const struct profile_field profile_fields[] = {
	{ "input_width", PF_WIDTH, VP_INPUT, PF_AT(input_width, input_width) },
	{ "output_width", PF_WIDTH, VP_OUTPUT, PF_AT(output_width, output_width) },
	{ "levels", PF_LEVELS, VP_LEVELS, PF_AT(levels, levels) },
	{ "page_sizes", PF_PGSIZES, VP_PGSIZES, PF_AT(page_sizes, page_sizes) },
	{ "pasid_width", PF_PASID, VP_PASID, PF_AT(pasid_width, pasid_width) },
	{ "nesting", PF_BOOL, VP_NESTING, PF_AT(nesting, nesting) },
	{ "dirty_tracking", PF_BOOL, VP_DIRTY, PF_AT(dirty_tracking, dirty) },
	{ "pri", PF_BOOL, VP_PRI, PF_AT(pri, pri) },
	{ "ats", PF_BOOL, VP_ATS, PF_AT(ats, ats) },
	{ "scalable_mode", PF_BOOL, VP_SCALABLE, PF_AT(scalable_mode, scalable), .vtd_only = true },
	{ "caching_mode", PF_BOOL, VP_CACHING, PF_AT(caching_mode, caching), .vtd_only = true },
	/* no register holds the simulated IOTLB's size */
	{ "iotlb_size", PF_U32, 0, PF_OWN(iotlb_size) },
	{ "aperture", PF_RANGE, VP_APERTURE, PF_AT(aperture_start, ap_start) },
};
const unsigned int profile_nfields = ARRAY_SIZE(profile_fields);

_Static_assert(offsetof(struct sim_profile, aperture_last) ==
			       offsetof(struct sim_profile, aperture_start) + sizeof(uint64_t) &&
		       offsetof(struct vendor_props, ap_last) ==
			       offsetof(struct vendor_props, ap_start) + sizeof(uint64_t),
	       "a range is two members in a row");

void profile_props(const struct sim_profile *p, struct vendor_props *ret_props)
{
	memset(ret_props, 0, sizeof(*ret_props));
	for (unsigned int i = 0; i < profile_nfields; i++) {
		const struct profile_field *f = &profile_fields[i];
		unsigned int n = f->kind == PF_RANGE ? 2 : 1;

		for (unsigned int k = 0; f->prop && k < n; k++)
			cf_put(ret_props, f->voff + k * f->size, f->size,
			       cf_get(p, f->off + k * f->size, f->size));
	}
}

/*
 * vendor_sync() rewrites only the bits a field determines, so the
 * implementation bits of the starting point (fault-recording offsets,
 * queue sizes, ...) survive.
 */
void sim_profile_sync_registers(struct sim_profile *p)
{
	const struct vendor_model *m = p ? profile_model_of(p->vendor) : NULL;
	struct vendor_props vp;

	if (!m)
		return;
	profile_props(p, &vp);
	vendor_sync(m, &vp, &p->regs);
}

void profile_decoded_regs(const struct sim_profile *p, union vendor_regs *ret_regs)
{
	const struct vendor_model *m = profile_model_of(p->vendor);

	*ret_regs = p->regs;
	if (m)
		vendor_decode(m->cap, ret_regs);
}

void sim_profile_domain(const struct sim_profile *p, struct vendor_domain *ret_dom)
{
	const struct vendor_model *m = profile_model_of(p->vendor);

	if (m)
		vendor_domain(m, &p->regs, ret_dom);
	else
		memset(ret_dom, 0, sizeof(*ret_dom));
}

/* ------------------------------------------------------------------------
 * Values
 */

bool profile_name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

int profile_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Read exactly @n hex digits; -1 if any is not one. */
static long hexn(const char *s, unsigned int n)
{
	long v = 0;

	for (unsigned int i = 0; i < n; i++) {
		int d = profile_hexval(s[i]);

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* PCI device numbers stop at 0x1f and functions at 7. */
int profile_bdf_normalise(const char *s, char out[SIM_BDF_MAX], uint16_t *ret_rid)
{
	long dom = 0, bus, dev, fn;
	size_t len = strlen(s);

	if (len == 12 && s[4] == ':') {
		dom = hexn(s, 4);
		s += 5;
		len -= 5;
	}
	if (len != 7 || s[2] != ':' || s[5] != '.' || dom < 0)
		return -1;
	bus = hexn(s, 2);
	dev = hexn(s + 3, 2);
	fn = hexn(s + 6, 1);
	if (bus < 0 || dev < 0 || dev > 0x1f || fn < 0 || fn > 7)
		return -1;
	snprintf(out, SIM_BDF_MAX, "%04x:%02x:%02x.%x",
		 (unsigned int)dom & 0xffff, (unsigned int)bus & 0xff,
		 (unsigned int)dev & 0x1f, (unsigned int)fn & 7);
	if (ret_rid)
		*ret_rid = (uint16_t)(bus << 8 | dev << 3 | fn);
	return 0;
}

uint64_t profile_width_mask(unsigned int w)
{
	return w >= 64 ? ~0ULL : (1ULL << w) - 1;
}

/* What the model's Linux driver reports (struct vendor_model.resv). */
void profile_default_regions(enum sim_vendor v, struct sim_dev_desc *d)
{
	const struct vendor_model *m = profile_model_of(v);
	enum sim_resv_type type;

	d->nr_regions = 0;
	for (const struct vendor_resv *r = m ? m->resv : NULL;
	     r && r->type && d->nr_regions < SIM_DEV_MAX_REGIONS; r++) {
		/* the library's region types and the profiles' have the same names */
		if (r->type >= cap_resv_type_nnames ||
		    profile_resv_from_name(cap_resv_type_names[r->type], &type))
			continue;
		d->regions[d->nr_regions++] = (struct sim_resv_region){
			.start = r->start,
			.last = r->last,
			.type = type,
		};
	}
}

/* ------------------------------------------------------------------------
 * Built-ins
 *
 * Reading a built-in's text costs tens of microseconds, and tests open
 * many contexts: each is read once, on first use, and kept for the life
 * of the process (a few built-ins of 29 KiB each, like the text they come
 * from). A kept profile never changes, so it is copied without the lock.
 */

struct parsed_builtin {
	const char *name; /* an entry of sim_builtin_names */
	struct parsed_builtin *next;
	struct sim_profile p;
};

static pthread_mutex_t builtin_lock = PTHREAD_MUTEX_INITIALIZER;
static struct parsed_builtin *parsed_builtins; /* under builtin_lock */

const char *const *sim_profile_builtin_names(void)
{
	return sim_builtin_names;
}

const char *profile_builtin_list(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; sim_builtin_names[i] && n < len; i++) {
		int r = snprintf(buf + n, len - n, "%s%s", i ? ", " : "", sim_builtin_names[i]);

		n += r < 0 ? 0 : (size_t)r;
	}
	return buf;
}

/* Read built-in @i into a new entry; on failure @e says why. */
static struct parsed_builtin *parse_builtin(unsigned int i, struct perr *e)
{
	struct parsed_builtin *b = ioasid_calloc(1, sizeof(*b));
	char src[SIM_PROFILE_NAME_MAX + 16];
	struct perr be = *e;
	int ret;

	if (!b) {
		profile_fail(e, -ENOMEM, NULL, "out of memory for a profile");
		return NULL;
	}
	snprintf(src, sizeof(src), "built-in %s", sim_builtin_names[i]);
	be.src = src;
	ret = profile_read_builtin(sim_builtin_names[i], sim_builtin_json[i], &b->p, &be);
	if (ret) {
		ioasid_free(b);
		return NULL;
	}
	b->name = sim_builtin_names[i];
	return b;
}

/* The parsed built-in @i, read now if it has not been. */
static const struct parsed_builtin *builtin_get(unsigned int i, struct perr *e)
{
	struct parsed_builtin *b;

	pthread_mutex_lock(&builtin_lock);
	for (b = parsed_builtins; b && b->name != sim_builtin_names[i]; b = b->next)
		;
	if (!b) {
		b = parse_builtin(i, e);
		if (b) {
			b->next = parsed_builtins;
			parsed_builtins = b;
		}
	}
	pthread_mutex_unlock(&builtin_lock);
	return b;
}

int profile_builtin_copy(struct sim_profile *p, const char *name, struct perr *e)
{
	const struct parsed_builtin *b;

	for (unsigned int i = 0; sim_builtin_names[i]; i++) {
		if (strcmp(name, sim_builtin_names[i]))
			continue;
		b = builtin_get(i, e);
		if (!b)
			return -ENOMEM;
		memcpy(p, &b->p, sizeof(*p));
		return 0;
	}
	return -ENOENT;
}

/* ------------------------------------------------------------------------
 * Loading
 */

static bool is_builtin_spec(const char *s)
{
	size_t n = strlen(s);

	return !strchr(s, '/') && !(n >= 5 && !strcmp(s + n - 5, ".json"));
}

static int load_builtin(const char *name, struct sim_profile *p, struct perr *e)
{
	char list[160];
	int ret = profile_builtin_copy(p, name, e);

	if (ret == -ENOENT)
		return profile_fail(e, -ENOENT, NULL,
				    "\"%.*s\" is not a built-in profile (%s); a file path needs a '/' or a .json suffix",
				    SIM_PROFILE_NAME_MAX, name,
				    profile_builtin_list(list, sizeof(list)));
	return ret;
}

int sim_profile_load(const char *name_or_path, struct sim_profile **out, char *err, size_t errlen)
{
	struct perr e = { .buf = err, .len = errlen, .src = NULL };
	struct sim_profile *p;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!out)
		return profile_fail(&e, -EINVAL, NULL, "no place for the profile");
	*out = NULL;
	if (!name_or_path)
		return profile_fail(&e, -EINVAL, NULL, "no profile name");

	p = ioasid_calloc(1, sizeof(*p));
	if (!p)
		return profile_fail(&e, -ENOMEM, NULL, "out of memory for a profile");
	if (is_builtin_spec(name_or_path)) {
		ret = load_builtin(name_or_path, p, &e);
	} else {
		e.src = name_or_path;
		ret = profile_read_file(name_or_path, p, &e);
	}
	if (ret) {
		ioasid_free(p);
		return ret;
	}
	*out = p;
	return 0;
}

void sim_profile_free(struct sim_profile *p)
{
	ioasid_free(p);
}

/* ------------------------------------------------------------------------
 * Devices at run time
 */

const struct sim_dev_desc *sim_profile_find_device(const struct sim_profile *p, const char *name)
{
	if (!p || !name)
		return NULL;
	for (unsigned int i = 0; i < p->nr_devices; i++)
		if (!strcmp(p->devices[i].name, name))
			return &p->devices[i];
	return NULL;
}

static bool bdf_taken(const struct sim_profile *p, const char *bdf)
{
	for (unsigned int i = 0; i < p->nr_devices; i++)
		if (!strcmp(p->devices[i].bdf, bdf))
			return true;
	return false;
}

/* An empty name becomes the first free "simN". */
static int new_dev_name(const struct sim_profile *p, struct sim_dev_desc *d, struct perr *e)
{
	if (strnlen(d->name, sizeof(d->name)) == sizeof(d->name))
		return profile_fail(e, -E2BIG, "name",
				    "\"%.*s...\" is longer than the %zu bytes that fit", 24,
				    d->name, sizeof(d->name) - 1);
	/* SIM_PROFILE_MAX_DEVICES + 1 candidates: one is free. */
	for (unsigned int n = 0; !d->name[0] && n <= SIM_PROFILE_MAX_DEVICES; n++) {
		snprintf(d->name, sizeof(d->name), "sim%u", n);
		if (sim_profile_find_device(p, d->name))
			d->name[0] = '\0';
	}
	return 0;
}

/* A BDF in its long form; an empty one becomes the first free "0000:NN:00.0". */
static int new_dev_bdf(const struct sim_profile *p, struct sim_dev_desc *d, struct perr *e)
{
	char norm[SIM_BDF_MAX];

	if (strnlen(d->bdf, sizeof(d->bdf)) == sizeof(d->bdf) ||
	    (d->bdf[0] && profile_bdf_normalise(d->bdf, norm, NULL)))
		return profile_fail(e, -EINVAL, "bdf",
				    "\"%.*s\" is not a PCI address (dddd:bb:dd.f or bb:dd.f)",
				    (int)sizeof(d->bdf), d->bdf);
	if (d->bdf[0]) {
		memcpy(d->bdf, norm, sizeof(norm));
		return 0;
	}
	for (unsigned int bus = 1; bus <= SIM_PROFILE_MAX_DEVICES + 1; bus++) {
		snprintf(d->bdf, sizeof(d->bdf), "0000:%02x:00.0", bus);
		if (!bdf_taken(p, d->bdf))
			break;
	}
	return 0;
}

int sim_profile_add_device(struct sim_profile *p, const struct sim_dev_desc *desc, char *err,
			   size_t errlen)
{
	struct perr e = { .buf = err, .len = errlen, .src = NULL };
	struct sim_dev_desc d;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!p || !desc)
		return profile_fail(&e, -EINVAL, NULL, "no profile or no device");
	e.src = p->name;
	if (p->nr_devices >= SIM_PROFILE_MAX_DEVICES)
		return profile_fail(&e, -E2BIG, "devices",
				    "already %u devices, the most a profile holds", p->nr_devices);
	d = *desc;
	ret = new_dev_name(p, &d, &e);
	if (!ret)
		ret = new_dev_bdf(p, &d, &e);
	if (!ret)
		ret = profile_check_device(p, &d, d.name, &e);
	if (ret)
		return ret;
	if (sim_profile_find_device(p, d.name))
		return profile_fail(&e, -EEXIST, "name", "a device \"%s\" exists", d.name);
	if (bdf_taken(p, d.bdf))
		return profile_fail(&e, -EEXIST, "bdf", "\"%s\" is taken by another device", d.bdf);
	p->devices[p->nr_devices++] = d;
	return 0;
}

int sim_profile_remove_device(struct sim_profile *p, const char *name,
			      char *err, size_t errlen)
{
	struct perr e = { .buf = err, .len = errlen, .src = NULL };
	const struct sim_dev_desc *d;
	unsigned int i;

	if (err && errlen)
		err[0] = '\0';
	if (!p || !name)
		return profile_fail(&e, -EINVAL, NULL, "no profile or no name");
	e.src = p->name;
	d = sim_profile_find_device(p, name);
	if (!d)
		return profile_fail(&e, -ENOENT, NULL, "no device \"%.*s\"", SIM_DEV_NAME_MAX, name);
	i = (unsigned int)(d - p->devices);
	memmove(&p->devices[i], &p->devices[i + 1],
		(p->nr_devices - i - 1) * sizeof(p->devices[0]));
	p->nr_devices--;
	memset(&p->devices[p->nr_devices], 0, sizeof(p->devices[0]));
	return 0;
}
