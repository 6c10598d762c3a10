/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A capability chain as JSON. The chain is validated first, so the dumpers
 * below may copy each capability's known struct without further checks;
 * they still copy (memcpy) rather than cast, since the buffer's own
 * alignment is the caller's.
 *
 * jansson can fail to allocate at any step; instead of checking each
 * call, every setter records the failure in a flag and the result is
 * thrown away at the end when the flag is set.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <ioasid/caps.h>

#include "caps-json.h"
#include "core/private.h"

#define MAX_UNKNOWN_DATA 4096

struct dump {
	bool oom;
};

/*
 * Both setters own @v whatever happens: json_*_new() consume it even when
 * they fail, and when the container itself could not be allocated @v is
 * dropped here.
 */
static void set(struct dump *d, json_t *obj, const char *key, json_t *v)
{
	if (!obj) {
		json_decref(v);
		d->oom = true;
	} else if (!v || json_object_set_new(obj, key, v)) {
		d->oom = true;
	}
}

static void push(struct dump *d, json_t *arr, json_t *v)
{
	if (!arr) {
		json_decref(v);
		d->oom = true;
	} else if (!v || json_array_append_new(arr, v)) {
		d->oom = true;
	}
}

static json_t *hex(uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "0x%" PRIx64, v);
	return json_string(s);
}

static void set_hex(struct dump *d, json_t *o, const char *key, uint64_t v)
{
	set(d, o, key, hex(v));
}

static void set_int(struct dump *d, json_t *o, const char *key, uint64_t v)
{
	set(d, o, key, json_integer((json_int_t)v));
}

/* Every named bit of @bits, as "name": true|false. */
static void set_named_bits(struct dump *d, json_t *o, uint16_t id,
			   uint64_t bits)
{
	for (unsigned int i = 0; i < 64; i++) {
		const char *name = ioasid_cap_bit_name(id, i);

		if (name)
			set(d, o, name, json_boolean((bits >> i) & 1));
	}
}

static void dump_page_sizes(struct dump *d, json_t *o, const uint8_t *p)
{
	struct ioasid_cap_page_sizes c;

	memcpy(&c, p, sizeof(c));
	set_hex(d, o, "bitmap", c.bitmap);
}

static void dump_addr_width(struct dump *d, json_t *o, const uint8_t *p)
{
	struct ioasid_cap_addr_width c;

	memcpy(&c, p, sizeof(c));
	set_int(d, o, "input_bits", c.input_bits);
	set_int(d, o, "output_bits", c.output_bits);
}

static void dump_pasid(struct dump *d, json_t *o, const uint8_t *p)
{
	struct ioasid_cap_pasid c;

	memcpy(&c, p, sizeof(c));
	set_int(d, o, "width", c.width);
	set_int(d, o, "max_pasids", c.max_pasids);
}

/* Both counted caps share the layout of struct ioasid_cap_iova_ranges. */
static void array_shape(const uint8_t *p, uint32_t *count, uint32_t *elem)
{
	struct ioasid_cap_iova_ranges c;

	memcpy(&c, p, sizeof(c));
	*count = c.count;
	*elem = c.elem_size;
}

static void dump_iova_ranges(struct dump *d, json_t *o, const uint8_t *p)
{
	const uint8_t *e = p + sizeof(struct ioasid_cap_iova_ranges);
	json_t *arr = json_array();
	uint32_t count, elem;

	array_shape(p, &count, &elem);
	for (uint32_t i = 0; i < count && !d->oom; i++, e += elem) {
		struct ioasid_cap_iova_range r;
		json_t *jr = json_object();

		memcpy(&r, e, sizeof(r));
		set_hex(d, jr, "start", r.start);
		set_hex(d, jr, "last", r.last);
		push(d, arr, jr);
	}
	set(d, o, "ranges", arr);
}

static void dump_resv_regions(struct dump *d, json_t *o, const uint8_t *p)
{
	const uint8_t *e = p + sizeof(struct ioasid_cap_resv_regions);
	json_t *arr = json_array();
	uint32_t count, elem;

	array_shape(p, &count, &elem);
	for (uint32_t i = 0; i < count && !d->oom; i++, e += elem) {
		struct ioasid_cap_resv_region r;
		json_t *jr = json_object();
		const char *type;

		memcpy(&r, e, sizeof(r));
		set_hex(d, jr, "start", r.start);
		set_hex(d, jr, "last", r.last);
		type = ioasid_resv_type_name(r.type);
		set(d, jr, "type",
		    type ? json_string(type) : json_integer(r.type));
		push(d, arr, jr);
	}
	set(d, o, "regions", arr);
}

static void dump_features(struct dump *d, json_t *o, const uint8_t *p)
{
	struct ioasid_cap_features c;
	json_t *f = json_object();

	memcpy(&c, p, sizeof(c));
	set_hex(d, o, "bits", c.features);
	set_hex(d, o, "known", c.known);
	for (unsigned int i = 0; i < 64; i++) {
		const char *name = ioasid_cap_bit_name(IOASID_CAP_FEATURES, i);

		if (!name)
			continue;
		/* null: the backend could not tell, which is not "absent". */
		if (!((c.known >> i) & 1))
			set(d, f, name, json_null());
		else
			set(d, f, name, json_boolean((c.features >> i) & 1));
	}
	set(d, o, "features", f);
}

static void dump_vtd(struct dump *d, json_t *o, const uint8_t *p)
{
	struct ioasid_cap_vtd c;
	json_t *dec = json_object(), *levels = json_array();

	memcpy(&c, p, sizeof(c));
	set_hex(d, o, "cap_reg", c.cap_reg);
	set_hex(d, o, "ecap_reg", c.ecap_reg);
	set_hex(d, o, "flags", c.flags);
	set_int(d, dec, "domains", c.domains);
	set_hex(d, dec, "sagaw", c.sagaw);
	for (int n = 2; n <= 6; n++)
		if ((c.levels >> n) & 1)
			push(d, levels, json_integer(n));
	set(d, dec, "levels", levels);
	set_int(d, dec, "mgaw", c.mgaw);
	set_hex(d, dec, "sllps", c.sllps);
	set_int(d, dec, "pss", c.pss);
	set_int(d, dec, "pasid_bits", c.pasid_bits);
	set_int(d, dec, "mamv", c.mamv);
	set_int(d, dec, "mhmv", c.mhmv);
	set_named_bits(d, dec, IOASID_CAP_VTD, c.bits);
	set(d, dec, "errata_772415_spr17",
	    json_boolean(c.flags & IOASID_VTD_ERRATA_772415_SPR17));
	set(d, o, "decoded", dec);
}

static void dump_smmuv3(struct dump *d, json_t *o, const uint8_t *p)
{
	struct ioasid_cap_smmuv3 c;
	json_t *dec = json_object(), *idr = json_array();

	memcpy(&c, p, sizeof(c));
	set_hex(d, o, "flags", c.flags);
	for (int i = 0; i < 6; i++)
		push(d, idr, hex(c.idr[i]));
	set(d, o, "idr", idr);
	set_hex(d, o, "iidr", c.iidr);
	set_hex(d, o, "aidr", c.aidr);
	set_int(d, dec, "st_level", c.st_level);
	set_int(d, dec, "stall_model", c.stall_model);
	set_int(d, dec, "ttf", c.ttf);
	set_int(d, dec, "ttendian", c.ttendian);
	set_int(d, dec, "httu", c.httu);
	set_int(d, dec, "sidsize", c.sidsize);
	set_int(d, dec, "ssidsize", c.ssidsize);
	set_int(d, dec, "oas_bits", c.oas_bits);
	set_int(d, dec, "va_bits", c.va_bits);
	set_int(d, dec, "bbml", c.bbml);
	/* IIDR and AIDR fields (SMMUv3 spec §6.3.7, §6.3.8). */
	set_hex(d, dec, "implementer", c.iidr & 0xfff);
	set_int(d, dec, "revision", (c.iidr >> 12) & 0xf);
	set_int(d, dec, "variant", (c.iidr >> 16) & 0xf);
	set_hex(d, dec, "product_id", c.iidr >> 20);
	set_int(d, dec, "arch_minor", c.aidr & 0xf);
	set_named_bits(d, dec, IOASID_CAP_SMMUV3, c.bits);
	set(d, dec, "errata_repeat_tlbi_cfgi",
	    json_boolean(c.flags & IOASID_SMMUV3_ERRATA_REPEAT_TLBI_CFGI));
	set(d, o, "decoded", dec);
}

static void dump_amd(struct dump *d, json_t *o, const uint8_t *p)
{
	struct ioasid_cap_amd c;
	json_t *dec = json_object();

	memcpy(&c, p, sizeof(c));
	set_hex(d, o, "efr", c.efr);
	set_hex(d, o, "efr2", c.efr2);
	set_int(d, dec, "hats", c.hats);
	set_int(d, dec, "gats", c.gats);
	set_int(d, dec, "glx", c.glx);
	set_int(d, dec, "pasmax", c.pasmax);
	set_int(d, dec, "host_levels", c.host_levels);
	set_int(d, dec, "guest_levels", c.guest_levels);
	set_int(d, dec, "pasid_bits", c.pasid_bits);
	set_int(d, dec, "snp_avic", c.snp_avic);
	set_int(d, dec, "num_int_remap", c.num_int_remap);
	set_named_bits(d, dec, IOASID_CAP_AMD, c.bits);
	set(d, o, "decoded", dec);
}

static void dump_virtio_iommu(struct dump *d, json_t *o, const uint8_t *p)
{
	struct ioasid_cap_virtio_iommu c;
	json_t *dec = json_object();

	memcpy(&c, p, sizeof(c));
	set_hex(d, o, "features", c.features);
	set_hex(d, o, "page_size_mask", c.page_size_mask);
	set_hex(d, o, "input_start", c.input_start);
	set_hex(d, o, "input_end", c.input_end);
	set_int(d, o, "domain_start", c.domain_start);
	set_int(d, o, "domain_end", c.domain_end);
	set_int(d, o, "probe_size", c.probe_size);
	set_int(d, o, "bypass", c.bypass);
	set_named_bits(d, dec, IOASID_CAP_VIRTIO_IOMMU, c.features);
	set(d, o, "decoded", dec);
}

static void dump_unknown(struct dump *d, json_t *o, const uint8_t *p,
			 uint32_t size)
{
	static const char digits[] = "0123456789abcdef";
	uint32_t n = size - sizeof(struct ioasid_cap_header);
	char s[2 * MAX_UNKNOWN_DATA + 1];

	if (n > MAX_UNKNOWN_DATA) {
		set(d, o, "data_truncated", json_true());
		n = MAX_UNKNOWN_DATA;
	}
	p += sizeof(struct ioasid_cap_header);
	for (uint32_t i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 0xf];
	}
	s[2 * n] = '\0';
	set(d, o, "data", json_string(s));
}

static json_t *dump_cap(struct dump *d, const uint8_t *buf, uint32_t off,
			const struct ioasid_cap_header *h)
{
	const uint8_t *p = buf + off;
	const char *name = ioasid_cap_id_name(h->id);
	const char *src = ioasid_cap_source_name(h->source);
	json_t *o = json_object();

	if (!o) {
		d->oom = true;
		return NULL;
	}
	set(d, o, "id", json_string(name ? name : "unknown"));
	set_int(d, o, "id_num", h->id);
	set_int(d, o, "version", h->version);
	set(d, o, "source", src ? json_string(src) : json_integer(h->source));
	set_int(d, o, "offset", off);
	set_int(d, o, "size", h->size);

	switch (h->id) {
	case IOASID_CAP_PAGE_SIZES: dump_page_sizes(d, o, p); break;
	case IOASID_CAP_ADDR_WIDTH: dump_addr_width(d, o, p); break;
	case IOASID_CAP_PASID: dump_pasid(d, o, p); break;
	case IOASID_CAP_IOVA_RANGES: dump_iova_ranges(d, o, p); break;
	case IOASID_CAP_RESV_REGIONS: dump_resv_regions(d, o, p); break;
	case IOASID_CAP_FEATURES: dump_features(d, o, p); break;
	case IOASID_CAP_VTD: dump_vtd(d, o, p); break;
	case IOASID_CAP_SMMUV3: dump_smmuv3(d, o, p); break;
	case IOASID_CAP_AMD: dump_amd(d, o, p); break;
	case IOASID_CAP_VIRTIO_IOMMU: dump_virtio_iommu(d, o, p); break;
	default: dump_unknown(d, o, p, h->size); break;
	}
	return o;
}

json_t *ioasid_caps_to_json(const void *buf, size_t len)
{
	struct ioasid_cap_header h;
	struct dump d = { .oom = false };
	json_t *arr;
	uint32_t off;
	int ret;

	ret = ioasid_caps_validate(buf, len, 0);
	if (ret)
		return NULL;
	arr = json_array();
	if (!arr)
		goto oom;
	ret = ioasid_caps_first(buf, len, 0, &off, &h);
	while (!ret && !d.oom) {
		push(&d, arr, dump_cap(&d, buf, off, &h));
		ret = ioasid_caps_next(buf, len, 0, off, &off, &h);
	}
	if (d.oom)
		goto oom;
	/* -ENOENT ends the walk; validate() already vouched for the rest. */
	if (ret != -ENOENT) {
		json_decref(arr);
		return NULL;
	}
	return arr;
oom:
	json_decref(arr);
	ioasid_err(NULL, -ENOMEM, "out of memory for a capability dump");
	return NULL;
}
