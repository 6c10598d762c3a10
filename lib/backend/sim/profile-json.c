/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The strict reader of profile files, which reads the built-ins too.
 * Every error names the file, the key path and the bad value.
 *
 * Profile file format (version 1; docs/profile-format.md has the long form)
 * =========================================================================
 *
 * One JSON object. Unknown keys are errors at every level. A number is a
 * JSON integer (>= 0) or a string "0x..." (needed above 2^63).
 *
 *   {
 *     "version":        1,                       optional; only 1 exists
 *     "name":           STRING,                  default: the file name
 *                                                without ".json"; < 64 bytes
 *     "description":    STRING,                  optional, ignored
 *     "base":           BUILTIN,                 start from a built-in
 *                                                (IOMMU, registers, devices)
 *     "model":          "vtd" | "smmuv3" | "amd" | "virtio-iommu" | "generic",
 *                                                required without "base";
 *                                                with it, must match. Alone
 *                                                it starts from the built-in
 *                                                of that name, no devices.
 *     "input_width":    1..64,                   IOVA bits
 *     "output_width":   1..64,                   output address bits
 *     "levels":         [N, ...],                table depths, 1..6
 *     "page_sizes":     PGSIZES,                 what the IOMMU can map
 *     "pasid_width":    0..20,
 *     "nesting":        BOOL,
 *     "dirty_tracking": BOOL,
 *     "pri":            BOOL,                    takes page requests
 *     "ats":            BOOL,                    serves ATS
 *     "scalable_mode":  BOOL,                    vtd only
 *     "caching_mode":   BOOL,                    vtd only
 *     "iotlb_size":     0..1048576,              simulated IOTLB entries
 *     "aperture":       {"start": NUM, "last": NUM},
 *                                                default [0, 2^input_width-1]
 *     "registers":      REGISTERS,               raw vendor registers
 *     "devices":        [DEVICE, ...]            replaces the base's list;
 *                                                at most 64
 *   }
 *
 *   PGSIZES  = NUM (a bitmap, e.g. "0x40201000")
 *            | [SIZE, ...] with SIZE = "4K", "2M", "1G", "16K", ... or NUM
 *   DEVICE   = {"name": STRING,        default "simN" (N = index); < 32 bytes,
 *                                      [A-Za-z0-9_.-]
 *               "bdf": STRING,         "dddd:bb:dd.f" or "bb:dd.f";
 *                                      default "0000:NN:00.0", NN = index + 1
 *               "page_sizes": PGSIZES, default: the IOMMU's; never 0
 *               "pasid_width": 0..20,  default 0
 *               "pri": BOOL, "ats": BOOL,   default false
 *               "stall": BOOL,         smmuv3 only: dma-can-stall; default
 *                                      false
 *               "reserved": [{"start": NUM, "last": NUM,
 *                             "type": "reserved" | "msi" | "sw_msi" |
 *                                     "direct" | "direct_relaxable"}, ...]}
 *                                      default: the model's MSI window;
 *                                      at most 16, no two overlapping
 *   REGISTERS: per model, the keys of its struct vendor_model.profile_regs
 *              (a key left out keeps the starting value); none for generic
 *
 * Fields versus registers. When "registers" is given, every field the
 * registers encode (e.g. VT-d MGAW -> input_width) is decoded from them; a
 * field the file also gives must agree, and the remaining register bits must
 * agree with the fields too. Without "registers", the registers of the
 * starting point are kept and every field-derived bit is recomputed
 * (sim_profile_sync_registers()). Either way the result is consistent.
 *
 * A built-in's own file (profiles/NAME.json) is read with one difference:
 * "model" starts from nothing, so the file gives every value.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "profile-private.h"

/* ------------------------------------------------------------------------
 * Devices
 */

static int parse_region(json_t *v, const char *path, struct sim_resv_region *r, struct perr *e)
{
	static const char *const keys[] = { "start", "last", "type", NULL };
	char kpath[192], b[96];
	json_t *t;
	int ret;

	ret = profile_expect(v, json_is_object(v), "an object", path, e);
	if (!ret)
		ret = profile_check_keys(v, path, profile_key_in_list, keys, e);
	if (!ret)
		ret = profile_get_range(v, path, "last", false, &r->start, &r->last, e);
	if (ret)
		return ret;
	r->type = SIM_RESV_RESERVED;
	t = json_object_get(v, "type");
	if (!t)
		return 0;
	profile_subpath(kpath, sizeof(kpath), path, "type");
	ret = profile_expect(t, json_is_string(t), "a region type string", kpath, e);
	if (ret)
		return ret;
	if (!profile_resv_from_name(json_string_value(t), &r->type))
		return 0;
	return profile_fail(e, -EINVAL, kpath,
			    "unknown type %s (reserved, msi, sw_msi, direct, direct_relaxable)",
			    profile_jdesc(t, b, sizeof(b)));
}

/* "name", by default "simN" for the N-th device. */
static int dev_name(json_t *v, unsigned int idx, const char *pfx, struct sim_dev_desc *d,
		    struct perr *e)
{
	json_t *x = json_object_get(v, "name");
	char path[96], b[96];
	const char *s;
	int ret;

	profile_subpath(path, sizeof(path), pfx, "name");
	if (!x) {
		snprintf(d->name, sizeof(d->name), "sim%u", idx);
		return profile_check_name(d->name, sizeof(d->name), path, e);
	}
	ret = profile_expect(x, json_is_string(x), "a string", path, e);
	if (ret)
		return ret;
	s = json_string_value(x);
	if (strlen(s) >= sizeof(d->name))
		return profile_fail(e, -E2BIG, path, "%s is %zu bytes; at most %zu fit",
				    profile_jdesc(x, b, sizeof(b)), strlen(s), sizeof(d->name) - 1);
	memcpy(d->name, s, strlen(s) + 1);
	return profile_check_name(d->name, sizeof(d->name), path, e);
}

/* "bdf", by default one endpoint per bus, as behind PCIe root ports. */
static int dev_bdf(json_t *v, unsigned int idx, const char *pfx, struct sim_dev_desc *d,
		   struct perr *e)
{
	json_t *x = json_object_get(v, "bdf");
	char path[96], b[96];
	int ret;

	if (!x) {
		snprintf(d->bdf, sizeof(d->bdf), "0000:%02x:00.0", idx + 1);
		return 0;
	}
	profile_subpath(path, sizeof(path), pfx, "bdf");
	ret = profile_expect(x, json_is_string(x), "a string", path, e);
	if (ret)
		return ret;
	if (profile_bdf_normalise(json_string_value(x), d->bdf, NULL))
		return profile_fail(e, -EINVAL, path,
				    "%s is not a PCI address (dddd:bb:dd.f or bb:dd.f)",
				    profile_jdesc(x, b, sizeof(b)));
	return 0;
}

/* Page sizes (by default the IOMMU's), PASID width, PRI, ATS and stall. */
static int dev_features(json_t *v, const char *pfx, const struct sim_profile *p,
			struct sim_dev_desc *d, struct perr *e)
{
	char path[96];
	json_t *x;
	int ret = 0;

	d->page_sizes = p->page_sizes;
	if ((x = json_object_get(v, "page_sizes"))) {
		profile_subpath(path, sizeof(path), pfx, "page_sizes");
		ret = profile_get_pgsizes(x, path, &d->page_sizes, e);
	}
	if (!ret && (x = json_object_get(v, "pasid_width"))) {
		profile_subpath(path, sizeof(path), pfx, "pasid_width");
		ret = profile_get_pasid_width(x, path, &d->pasid_width, e);
	}
	if (!ret && (x = json_object_get(v, "pri"))) {
		profile_subpath(path, sizeof(path), pfx, "pri");
		ret = profile_get_bool(x, path, &d->pri, e);
	}
	if (!ret && (x = json_object_get(v, "ats"))) {
		profile_subpath(path, sizeof(path), pfx, "ats");
		ret = profile_get_bool(x, path, &d->ats, e);
	}
	if (!ret && (x = json_object_get(v, "stall"))) {
		profile_subpath(path, sizeof(path), pfx, "stall");
		ret = profile_get_bool(x, path, &d->stall, e);
	}
	return ret;
}

/* "reserved", by default what the model's driver reports. */
static int dev_regions(json_t *v, const char *pfx, const struct sim_profile *p,
		       struct sim_dev_desc *d, struct perr *e)
{
	json_t *x = json_object_get(v, "reserved"), *el;
	char path[96], rpath[128];
	size_t i;
	int ret;

	if (!x) {
		profile_default_regions(p->vendor, d);
		return 0;
	}
	profile_subpath(path, sizeof(path), pfx, "reserved");
	ret = profile_expect(x, json_is_array(x), "an array of regions", path, e);
	if (ret)
		return ret;
	if (json_array_size(x) > SIM_DEV_MAX_REGIONS)
		return profile_fail(e, -E2BIG, path, "%zu regions; at most %u fit",
				    json_array_size(x), SIM_DEV_MAX_REGIONS);
	json_array_foreach(x, i, el) {
		snprintf(rpath, sizeof(rpath), "%s[%zu]", path, i);
		ret = parse_region(el, rpath, &d->regions[i], e);
		if (ret)
			return ret;
		d->nr_regions++;
	}
	return 0;
}

static int parse_device(json_t *v, unsigned int idx, const char *pfx, const struct sim_profile *p,
			struct sim_dev_desc *d, struct perr *e)
{
	static const char *const keys[] = {
		"name", "bdf", "page_sizes", "pasid_width", "pri", "ats", "stall", "reserved", NULL,
	};
	int ret;

	ret = profile_expect(v, json_is_object(v), "a device object", pfx, e);
	if (!ret)
		ret = profile_check_keys(v, pfx, profile_key_in_list, keys, e);
	if (ret)
		return ret;
	memset(d, 0, sizeof(*d));
	ret = dev_name(v, idx, pfx, d, e);
	if (!ret)
		ret = dev_bdf(v, idx, pfx, d, e);
	if (!ret)
		ret = dev_features(v, pfx, p, d, e);
	if (!ret)
		ret = dev_regions(v, pfx, p, d, e);
	return ret;
}

/* ------------------------------------------------------------------------
 * Registers: the keys and shapes the model's table gives
 */

static bool key_is_reg(const char *key, const void *model)
{
	const struct vendor_model *m = model;

	for (const struct vendor_profile_reg *r = m ? m->profile_regs : NULL; r && r->key; r++)
		if (!strcmp(key, r->key))
			return true;
	return false;
}

/* One register of @f's size at @off. */
static int get_reg(json_t *x, const char *path, const struct cap_field *f, unsigned int off,
		   union vendor_regs *regs, struct perr *e)
{
	uint64_t v;
	int ret;

	if (f->size >= 8)
		ret = profile_get_u64(x, path, &v, e);
	else
		ret = profile_get_bounded(x, path, profile_width_mask(8u * f->size), &v, e);
	if (!ret)
		cf_put(regs, off, f->size, v);
	return ret;
}

/* An array of registers: "idr": [IDR0, ..., IDR5]. */
static int get_reg_array(json_t *x, const char *path, const struct cap_field *f,
			 union vendor_regs *regs, struct perr *e)
{
	char what[96], name[16], ipath[96];
	size_t i, n;
	json_t *el;
	int ret;

	for (n = 0; f->label[n] && n < sizeof(name) - 1; n++)
		name[n] = (char)toupper((unsigned char)f->label[n]);
	name[n] = '\0';
	snprintf(what, sizeof(what), "an array of %u numbers (%s0..%s%u)", f->count, name, name,
		 f->count - 1u);
	ret = profile_expect(x, json_is_array(x) && json_array_size(x) == f->count, what, path, e);
	json_array_foreach(x, i, el) {
		if (ret)
			break;
		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		ret = get_reg(el, ipath, f, f->off + (unsigned int)i * f->size, regs, e);
	}
	return ret;
}

/* A range of registers: {"start": NUM, "end": NUM}. */
static int get_reg_range(json_t *x, const char *path, const struct vendor_profile_reg *r,
			 const struct cap_field *f, union vendor_regs *regs, struct perr *e)
{
	uint64_t s, l, max = profile_width_mask(8u * f->size);
	int ret = profile_get_range(x, path, "end", true, &s, &l, e);

	if (ret)
		return ret;
	if (s > max || l > max)
		return profile_fail(e, -EINVAL, path,
				    "[%" PRIu64 ", %" PRIu64 "] does not fit %u-bit %s", s, l,
				    8u * f->size, r->ids);
	cf_put(regs, f->off, f->size, s);
	cf_put(regs, f->off2, f->size, l);
	return 0;
}

static int parse_registers(json_t *v, struct sim_profile *p, struct perr *e)
{
	const struct vendor_model *m = profile_model_of(p->vendor);
	const struct cap_field *f;
	char path[64];
	json_t *x;
	int ret;

	ret = profile_expect(v, json_is_object(v), "an object", "registers", e);
	if (!ret)
		ret = profile_check_keys(v, "registers", key_is_reg, m, e);
	/* numbers first, then ranges: the order files have always been read in */
	for (unsigned int ranges = 0; m && ranges < 2; ranges++) {
		for (const struct vendor_profile_reg *r = m->profile_regs; !ret && r->key; r++) {
			f = vendor_profile_field(m, r);
			x = json_object_get(v, r->key);
			if (!x || !f || (f->kind == CF_RANGE) != ranges)
				continue;
			snprintf(path, sizeof(path), "registers.%s", r->key);
			if (f->kind == CF_RANGE)
				ret = get_reg_range(x, path, r, f, &p->regs, e);
			else if (f->count > 1)
				ret = get_reg_array(x, path, f, &p->regs, e);
			else
				ret = get_reg(x, path, f, f->off, &p->regs, e);
		}
	}
	return ret;
}

/* A field's value in @base (struct sim_profile or vendor_props) at @off, for messages. */
static const char *field_str(const struct profile_field *f, const void *base, size_t off, char *buf,
			     size_t len)
{
	uint64_t v = cf_get(base, (unsigned int)off, f->size);

	switch (f->kind) {
	case PF_LEVELS:
		return vendor_levels_str((uint8_t)v, buf, len);
	case PF_PGSIZES:
		return vendor_pgsizes_desc(v, buf, len);
	case PF_BOOL:
		snprintf(buf, len, "%s", v ? "true" : "false");
		break;
	case PF_RANGE:
		snprintf(buf, len, "[0x%" PRIx64 ", 0x%" PRIx64 "]", v,
			 cf_get(base, (unsigned int)(off + f->size), f->size));
		break;
	default:
		snprintf(buf, len, "%" PRIu64, v);
		break;
	}
	return buf;
}

/* Whether the profile's value of @f is what the registers give (@d). */
static bool field_agrees(const struct sim_profile *p, const struct profile_field *f,
			 const struct vendor_props *d)
{
	const struct vendor_model *m = profile_model_of(p->vendor);
	unsigned int coarse = f->prop == VP_INPUT ? m->limits->input_coarse : 0;
	unsigned int n = f->kind == PF_RANGE ? 2 : 1;

	for (unsigned int k = 0; k < n; k++) {
		uint64_t a = cf_get(p, (unsigned int)(f->off + k * f->size), f->size);
		uint64_t b = cf_get(d, (unsigned int)(f->voff + k * f->size), f->size);

		if (coarse ? (a > coarse) != (b > coarse) : a != b)
			return false;
	}
	return true;
}

/*
 * Take every field the registers determine: a field the file also gave
 * must agree (@given has its VP_* bit), the others are filled in.
 */
static int reconcile(struct sim_profile *p, unsigned int given, const struct vendor_props *d,
		     struct perr *e)
{
	char want[200], have[200], key[64];
	const char *k;
	uint64_t regval;

	for (unsigned int i = 0; i < profile_nfields; i++) {
		const struct profile_field *f = &profile_fields[i];
		unsigned int n = f->kind == PF_RANGE ? 2 : 1;

		if (!(d->mask & f->prop))
			continue;
		if (!(given & f->prop)) {
			memcpy((char *)p + f->off, (const char *)d + f->voff, n * f->size);
			continue;
		}
		if (field_agrees(p, f, d))
			continue;
		field_str(f, d, f->voff, want, sizeof(want));
		field_str(f, p, f->off, have, sizeof(have));
		k = profile_prop_reg(p, f->prop, &regval, key, sizeof(key));
		return profile_fail(e, -EINVAL, k,
				    "0x%" PRIx64 " gives %s %s, but the profile says %s", regval,
				    f->key, want, have);
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * The profile
 */

static bool key_is_top(const char *key, const void *arg)
{
	static const char *const keys[] = {
		"version", "name", "description", "base", "model", "registers", "devices", NULL,
	};

	(void)arg;
	for (unsigned int i = 0; i < profile_nfields; i++)
		if (!strcmp(key, profile_fields[i].key))
			return true;
	return profile_key_in_list(key, keys);
}

static int parse_header(json_t *root, struct perr *e)
{
	json_t *x = json_object_get(root, "version");
	char b[96];

	if (x && !(json_is_integer(x) && json_integer_value(x) == 1))
		return profile_fail(e, -EINVAL, "version", "only version 1 exists, got %s",
				    profile_jdesc(x, b, sizeof(b)));
	x = json_object_get(root, "description");
	return x ? profile_expect(x, json_is_string(x), "a string", "description", e) : 0;
}

/* "base": a whole built-in. */
static int start_from_base(json_t *base, json_t *model, enum sim_vendor vendor,
			   struct sim_profile *p, struct perr *e)
{
	char b[96], b2[96], list[160];
	int ret;

	ret = profile_expect(base, json_is_string(base), "a built-in profile name", "base", e);
	if (ret)
		return ret;
	ret = profile_builtin_copy(p, json_string_value(base), e);
	if (ret == -ENOENT)
		return profile_fail(e, -ENOENT, "base", "no built-in profile %s (%s)",
				    profile_jdesc(base, b, sizeof(b)),
				    profile_builtin_list(list, sizeof(list)));
	if (ret)
		return ret;
	if (model && vendor != p->vendor)
		return profile_fail(e, -EINVAL, "model", "%s, but base %s is a %s profile",
				    profile_jdesc(model, b, sizeof(b)),
				    profile_jdesc(base, b2, sizeof(b2)), sim_vendor_name(p->vendor));
	return 0;
}

/*
 * The starting point: a whole built-in ("base"), or a model's built-in
 * IOMMU without its devices ("model"); for a built-in's own file, the
 * model with nothing.
 */
static int parse_start(json_t *root, bool builtin, struct sim_profile *p, struct perr *e)
{
	json_t *base = json_object_get(root, "base"), *model = json_object_get(root, "model");
	enum sim_vendor vendor = SIM_VENDOR_GENERIC;
	char b[96], list[96];
	int ret;

	if (model) {
		ret = profile_expect(model, json_is_string(model), "a model name string", "model",
				     e);
		if (ret)
			return ret;
		if (profile_vendor_from_name(json_string_value(model), &vendor))
			return profile_fail(e, -EINVAL, "model", "unknown model %s (%s)",
					    profile_jdesc(model, b, sizeof(b)),
					    profile_model_list(list, sizeof(list)));
	}
	/* a built-in starting from another would wait on its own lock */
	if (base && builtin)
		return profile_fail(e, -EINVAL, "base", "a built-in starts from nothing");
	if (base)
		return start_from_base(base, model, vendor, p, e);
	if (!model)
		return profile_fail(e, -EINVAL, NULL,
				    "needs \"model\" or \"base\" to say what IOMMU it describes");
	if (builtin) {
		memset(p, 0, sizeof(*p));
		p->vendor = vendor;
		return 0;
	}
	ret = profile_builtin_copy(p, sim_vendor_name(vendor), e);
	if (ret == -ENOENT)
		return profile_fail(e, -ENOENT, "model", "no built-in profile %s to start from",
				    profile_jdesc(model, b, sizeof(b)));
	if (ret)
		return ret;
	p->nr_devices = 0;
	memset(p->devices, 0, sizeof(p->devices));
	return 0;
}

/* Name from a file path: basename without ".json", made a valid name. */
static void name_from_path(const char *path, char *out, size_t len)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 5 && !strcmp(base + n - 5, ".json"))
		n -= 5;
	/* A label, not data: shorten it rather than refuse the file. */
	if (n >= len)
		n = len - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = profile_name_char_ok(base[i]) ? base[i] : '_';
	out[n] = '\0';
	if (!n)
		snprintf(out, len, "profile");
}

static int parse_name(json_t *root, const char *path, struct sim_profile *p, struct perr *e)
{
	json_t *x = json_object_get(root, "name");
	const char *s;
	char b[96];
	int ret;

	if (!x) {
		name_from_path(path, p->name, sizeof(p->name));
		return 0;
	}
	ret = profile_expect(x, json_is_string(x), "a string", "name", e);
	if (ret)
		return ret;
	s = json_string_value(x);
	if (strlen(s) >= sizeof(p->name))
		return profile_fail(e, -E2BIG, "name", "%s is %zu bytes; at most %zu fit",
				    profile_jdesc(x, b, sizeof(b)), strlen(s), sizeof(p->name) - 1);
	memcpy(p->name, s, strlen(s) + 1);
	return 0;
}

static int get_field(json_t *x, const struct profile_field *f, struct sim_profile *p, struct perr *e)
{
	void *dst = (char *)p + f->off;

	switch (f->kind) {
	case PF_WIDTH:
		return profile_get_width(x, f->key, dst, e);
	case PF_LEVELS:
		return profile_get_levels(x, f->key, dst, e);
	case PF_PGSIZES:
		return profile_get_pgsizes(x, f->key, dst, e);
	case PF_PASID:
		return profile_get_pasid_width(x, f->key, dst, e);
	case PF_BOOL:
		return profile_get_bool(x, f->key, dst, e);
	case PF_U32:
		return profile_get_u32(x, f->key, dst, e);
	default:
		return profile_get_range(x, f->key, "last", true, dst, (uint64_t *)dst + 1, e);
	}
}

/* The generic fields the file gives; @ret_given gets their VP_* bits. */
static int parse_fields(json_t *root, struct sim_profile *p, unsigned int *ret_given, struct perr *e)
{
	json_t *x;
	int ret;

	*ret_given = 0;
	for (unsigned int i = 0; i < profile_nfields; i++) {
		x = json_object_get(root, profile_fields[i].key);
		if (!x)
			continue;
		ret = get_field(x, &profile_fields[i], p, e);
		if (ret)
			return ret;
		*ret_given |= profile_fields[i].prop;
	}
	return 0;
}

/* Registers that agree with the fields, and the aperture. */
static int parse_regs(json_t *root, unsigned int given, struct sim_profile *p, struct perr *e)
{
	const struct vendor_model *m = profile_model_of(p->vendor);
	bool ap_reg = m && m->limits->aperture_reg;
	json_t *x = json_object_get(root, "registers");
	struct vendor_props d;
	int ret;

	if (x) {
		ret = parse_registers(x, p, e);
		if (!ret)
			ret = profile_derive(p, &d, e);
		if (!ret)
			ret = reconcile(p, given, &d, e);
		if (ret)
			return ret;
	} else if (ap_reg && (given & VP_APERTURE) && !(given & VP_INPUT)) {
		/* the input width is the aperture's (virtio-iommu's input range) */
		p->input_width = (uint8_t)vendor_width_of(p->aperture_last);
	}
	if (!(given & VP_APERTURE) && !(x && ap_reg)) {
		p->aperture_start = 0;
		p->aperture_last = profile_width_mask(p->input_width);
	}
	if (x)
		return profile_check_synced(p, e);
	sim_profile_sync_registers(p);
	return 0;
}

static int parse_devices(json_t *root, struct sim_profile *p, struct perr *e)
{
	json_t *x = json_object_get(root, "devices"), *el;
	char dpath[32];
	size_t i;
	int ret;

	if (!x)
		return 0;
	ret = profile_expect(x, json_is_array(x), "an array of devices", "devices", e);
	if (ret)
		return ret;
	if (json_array_size(x) > SIM_PROFILE_MAX_DEVICES)
		return profile_fail(e, -E2BIG, "devices", "%zu devices; at most %u fit",
				    json_array_size(x), SIM_PROFILE_MAX_DEVICES);
	memset(p->devices, 0, sizeof(p->devices));
	p->nr_devices = 0;
	json_array_foreach(x, i, el) {
		snprintf(dpath, sizeof(dpath), "devices[%zu]", i);
		ret = parse_device(el, (unsigned int)i, dpath, p, &p->devices[i], e);
		if (ret)
			return ret;
		p->nr_devices++;
	}
	return 0;
}

static int parse_profile(json_t *root, const char *path, bool builtin, struct sim_profile *p,
			 struct perr *e)
{
	unsigned int given;
	char b[96];
	int ret;

	if (!json_is_object(root))
		return profile_fail(e, -EINVAL, NULL, "the top level must be an object, not %s",
				    profile_jdesc(root, b, sizeof(b)));
	ret = profile_check_keys(root, NULL, key_is_top, NULL, e);
	if (!ret)
		ret = parse_header(root, e);
	if (!ret)
		ret = parse_start(root, builtin, p, e);
	if (!ret)
		ret = parse_name(root, path, p, e);
	if (!ret)
		ret = parse_fields(root, p, &given, e);
	if (!ret)
		ret = parse_regs(root, given, p, e);
	if (!ret)
		ret = parse_devices(root, p, e);
	return ret ? ret : profile_check(p, e);
}

int profile_read_file(const char *path, struct sim_profile *p, struct perr *e)
{
	json_error_t je;
	json_t *root;
	struct stat st;
	FILE *f;
	int ret;

	/* "e": O_CLOEXEC, so a VMM forking helpers does not leak the fd. */
	f = fopen(path, "re");
	if (!f) {
		ret = errno;
		return profile_fail(e, -ret, NULL, "cannot open: %s", strerror(ret));
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		return profile_fail(e, -EISDIR, NULL, "is a directory, not a file");
	}
	/*
	 * jansson 2.14 can fail for lack of memory before it fills in an
	 * error (lex_init()): start zeroed, and read "no message" as ENOMEM.
	 */
	memset(&je, 0, sizeof(je));
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	if (!root && (json_error_code(&je) == json_error_out_of_memory || !je.text[0]))
		return profile_fail(e, -ENOMEM, NULL, "out of memory reading JSON");
	if (!root)
		return profile_fail(e, -EINVAL, NULL, "line %d, column %d: not valid JSON: %s",
				    je.line, je.column, je.text);
	ret = parse_profile(root, path, false, p, e);
	json_decref(root);
	return ret;
}

int profile_read_builtin(const char *name, const char *text, struct sim_profile *p, struct perr *e)
{
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	int ret;

	/* the text is valid JSON (the unit tests read every built-in): jansson ran out of memory */
	if (!root)
		return profile_fail(e, -ENOMEM, NULL, "out of memory reading JSON");
	ret = parse_profile(root, name, true, p, e);
	json_decref(root);
	return ret;
}
