/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sim profile a trace of a kernel backend names (docs/tracing.md,
 * docs/profile-format.md): the IOMMU model and its raw registers, and per
 * device its page sizes, PASID width, PRI/ATS and reserved regions, all
 * read from the capability chains of the devices bound.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dev-private.h"
#include "trace-internal.h"

/* ---- the profile of a kernel backend's devices ---- */

static json_t *profile_registers(const void *caps, size_t len, const char **ret_model)
{
	struct ioasid_cap_vtd vtd;
	struct ioasid_cap_smmuv3 smmu;
	struct ioasid_cap_amd amd;
	json_t *r = json_object(), *idr;
	int i;

	if (!ioasid_caps_get(caps, len, 0, IOASID_CAP_VTD, &vtd, sizeof(vtd), NULL)) {
		*ret_model = "vtd";
		json_object_set_new(r, "cap_reg", trace_hex(vtd.cap_reg));
		json_object_set_new(r, "ecap_reg", trace_hex(vtd.ecap_reg));
	} else if (!ioasid_caps_get(caps, len, 0, IOASID_CAP_SMMUV3, &smmu, sizeof(smmu), NULL)) {
		*ret_model = "smmuv3";
		idr = json_array();
		for (i = 0; i < 6; i++)
			json_array_append_new(idr, trace_hex(smmu.idr[i]));
		json_object_set_new(r, "idr", idr);
		json_object_set_new(r, "iidr", trace_hex(smmu.iidr));
		json_object_set_new(r, "aidr", trace_hex(smmu.aidr));
	} else if (!ioasid_caps_get(caps, len, 0, IOASID_CAP_AMD, &amd, sizeof(amd), NULL)) {
		*ret_model = "amd";
		json_object_set_new(r, "efr", trace_hex(amd.efr));
		json_object_set_new(r, "efr2", trace_hex(amd.efr2));
	} else {
		*ret_model = "generic";
		json_decref(r);
		return NULL;
	}
	return r;
}

/* One device of the profile, from its capability chain. */
static json_t *profile_device(const struct trace_dev *d)
{
	struct ioasid_cap_page_sizes ps;
	struct ioasid_cap_pasid pasid;
	struct ioasid_cap_features feat;
	struct ioasid_cap_resv_region rr[16];
	uint32_t n = 0, i;
	json_t *o = json_object(), *resv;

	json_object_set_new(o, "name", json_string(d->name));
	if (!ioasid_caps_get(d->caps, d->caps_len, 0, IOASID_CAP_PAGE_SIZES, &ps, sizeof(ps), NULL) &&
	    ps.bitmap)
		json_object_set_new(o, "page_sizes", trace_hex(ps.bitmap));
	if (!ioasid_caps_get(d->caps, d->caps_len, 0, IOASID_CAP_PASID, &pasid, sizeof(pasid), NULL))
		json_object_set_new(o, "pasid_width", json_integer(pasid.width));
	if (!ioasid_caps_get(d->caps, d->caps_len, 0, IOASID_CAP_FEATURES, &feat, sizeof(feat),
			     NULL)) {
		json_object_set_new(o, "pri", json_boolean(feat.features & IOASID_FEAT_PRI));
		json_object_set_new(o, "ats", json_boolean(feat.features & IOASID_FEAT_ATS));
	}
	if (!ioasid_caps_get_array(d->caps, d->caps_len, 0, IOASID_CAP_RESV_REGIONS, rr,
				   ARRAY_SIZE(rr), &n)) {
		resv = json_array();
		for (i = 0; i < n && i < ARRAY_SIZE(rr); i++) {
			const char *type = ioasid_resv_type_name(rr[i].type);

			json_array_append_new(resv, json_pack("{s:o,s:o,s:s}", "start",
							      trace_hex(rr[i].start), "last",
							      trace_hex(rr[i].last), "type",
							      type ? type : "reserved"));
		}
		json_object_set_new(o, "reserved", resv);
	}
	return o;
}

/*
 * Write the profile beside the trace: the IOMMU model and its registers
 * from the first device that has a vendor capability, and every device
 * bound so far. Written again at each bind, so it is whole whenever the
 * trace is read.
 */
int trace_profile_write(struct ioasid_trace *t)
{
	const char *model = "generic";
	json_t *p = json_object(), *regs = NULL, *devs = json_array();
	FILE *f;
	uint32_t i;
	int err = 0;

	for (i = 0; i < t->nr_devs && !regs; i++)
		regs = profile_registers(t->devs[i].caps, t->devs[i].caps_len, &model);
	for (i = 0; i < t->nr_devs; i++)
		json_array_append_new(devs, profile_device(&t->devs[i]));
	json_object_set_new(p, "version", json_integer(1));
	json_object_set_new(p, "name", json_string("trace"));
	json_object_set_new(p, "description",
			    json_string("written by libioasid's trace from the capability chains "
					"of the devices bound (docs/tracing.md)"));
	json_object_set_new(p, "model", json_string(model));
	if (regs)
		json_object_set_new(p, "registers", regs);
	json_object_set_new(p, "devices", devs);
	f = fopen(t->profile_path, "we");
	if (!f)
		err = -errno;
	else if (json_dumpf(p, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) || fputc('\n', f) == EOF)
		err = errno ? -errno : -EIO;
	if (f && fclose(f) && !err)
		err = errno ? -errno : -EIO;
	json_decref(p);
	return err;
}

/* A profile device name ([A-Za-z0-9_.-], < 32 bytes, unique) for @name. */
static void profile_dev_name(const struct ioasid_trace *t, const char *name, char *buf, size_t len)
{
	const char *base = strrchr(name, '/');
	size_t i, n = 0;

	base = base && base[1] ? base + 1 : name;
	for (i = 0; base[i] && n + 1 < len && n < 20; i++) {
		char c = base[i];

		buf[n++] = (char)((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
						  (c >= '0' && c <= '9') || c == '_' || c == '-' ||
						  c == '.' ?
					  c :
					  '_');
	}
	buf[n] = '\0';
	if (!n)
		snprintf(buf, len, "dev");
	for (i = 0; i < t->nr_devs; i++)
		if (!strcmp(t->devs[i].name, buf)) {
			snprintf(buf + strlen(buf), len - strlen(buf), "-%" PRIu32, t->nr_devs);
			break;
		}
}

/*
 * The profile's name for the device the VMM bound as @name (kernel
 * backends): the one it got at its first bind, so a second bind of it (or
 * a refused one) names the same sim device; else a new one, added with the
 * device's chain when @id was bound. 0 or -ENOMEM.
 */
int trace_dev_note(struct ioasid_ctx *ctx, struct ioasid_trace *t, uint32_t id, int err, char *name,
		   size_t len)
{
	struct ioasid_dev *dev = err ? NULL : obj_find(ctx, id, IOASID_OBJ_DEV);
	struct trace_dev *devs, *d;
	char orig[64];
	uint32_t i;

	snprintf(orig, sizeof(orig), "%s", name);
	for (i = 0; i < t->nr_devs; i++)
		if (!strcmp(t->devs[i].orig, orig)) {
			snprintf(name, len, "%s", t->devs[i].name);
			return 0;
		}
	profile_dev_name(t, orig, name, len);
	if (!dev)
		return 0;
	devs = realloc(t->devs, (t->nr_devs + 1) * sizeof(*devs));
	if (!devs)
		return -ENOMEM;
	t->devs = devs;
	d = &devs[t->nr_devs];
	memset(d, 0, sizeof(*d));
	snprintf(d->orig, sizeof(d->orig), "%s", orig);
	snprintf(d->name, sizeof(d->name), "%s", name);
	if (dev->caps_len) {
		d->caps = malloc(dev->caps_len);
		if (!d->caps)
			return -ENOMEM;
		memcpy(d->caps, dev->caps, dev->caps_len);
		d->caps_len = dev->caps_len;
	}
	t->nr_devs++;
	return trace_profile_write(t);
}
