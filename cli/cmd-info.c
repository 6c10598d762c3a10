/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ioasidctl info DEV: bind a device and print its capability chain.
 *
 * Text: a table of the generic capabilities (page sizes, address widths,
 * PASIDs, IOVA ranges, reserved regions, features), then each vendor
 * capability's raw registers and the fields decoded from them. --json: the
 * device object of ioasid_json_object() (or, if the library cannot make
 * one, the chain from ioasid_json_caps()).
 *
 * The chain is walked with the public parser (caps.h), which checks it as
 * untrusted input; a capability this ioasidctl does not know is listed by
 * id and size, never guessed at.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ioasidctl.h"
#include "table.h"

#define WRAP 64 /* characters of a word list per table row */

/* A row whose value is a list of words (single blanks), wrapped over several rows. */
static void row_words(struct table *t, const char *field, const char *words,
		      const char *extra)
{
	const char *p = words, *w;
	bool first = true;
	size_t len, wl;

	if (!*words) {
		table_cell(t, field);
		table_cell(t, "none");
		table_cell(t, extra);
		return;
	}
	while (*p) {
		/* take words while they fit, and at least one */
		for (len = 0;;) {
			w = p + len + (len ? 1 : 0);
			wl = strcspn(w, " ");
			if (len && len + 1 + wl > WRAP)
				break;
			len = (size_t)(w - p) + wl;
			if (!w[wl])
				break;
		}
		table_cell(t, first ? field : "");
		table_cellf(t, "%.*s", (int)len, p);
		table_cell(t, first ? extra : "");
		first = false;
		p += len;
		while (*p == ' ')
			p++;
	}
}

/* Names of the set bits of @bits for capability @id ("nesting pri ..."). */
static void bit_names(uint16_t id, uint64_t bits, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int b;
	const char *n;

	buf[0] = '\0';
	for (b = 0; b < 64; b++) {
		if (!(bits & (UINT64_C(1) << b)))
			continue;
		n = ioasid_cap_bit_name(id, b);
		if (n)
			off += snprintf(buf + off, off < len ? len - off : 0, "%s%s",
					off ? " " : "", n);
		else
			off += snprintf(buf + off, off < len ? len - off : 0, "%sbit%u",
					off ? " " : "", b);
	}
}

static const char *source_name(uint32_t src, char *buf, size_t len)
{
	const char *n = ioasid_cap_source_name(src);

	if (n)
		return n;
	snprintf(buf, len, "source %u", src);
	return buf;
}

/*
 * The entries of a counted capability (IOVA_RANGES, RESV_REGIONS) in a new
 * array (*ret, NULL when there are none). Return: 0 or the parser's errno.
 */
static int get_array(const void *buf, size_t len, uint16_t id, size_t elem,
		     void **ret, uint32_t *count)
{
	void *out;
	int rc;

	*ret = NULL;
	*count = 0;
	rc = ioasid_caps_get_array(buf, len, 0, id, NULL, 0, count);
	if (rc || !*count)
		return rc;
	out = xcalloc(*count, elem);
	rc = ioasid_caps_get_array(buf, len, 0, id, out, *count, count);
	if (rc) {
		free(out);
		*count = 0;
		return rc;
	}
	*ret = out;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Vendor capabilities                                                      */

static struct table *kv_table(const char *title_a, const char *title_b)
{
	struct table *t = table_new();

	table_indent(t, 2);
	table_column(t, title_a, TABLE_LEFT);
	table_column(t, title_b, TABLE_LEFT);
	table_column(t, "", TABLE_LEFT);
	return t;
}

static void kv(struct table *t, const char *k, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void kv(struct table *t, const char *k, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	table_cell(t, k);
	table_cell(t, s ? s : "?");
	table_end_row(t);
	free(s);
}

static void print_tables(struct table *regs, struct table *dec)
{
	table_print(regs, stdout);
	fputc('\n', stdout);
	table_print(dec, stdout);
	table_free(regs);
	table_free(dec);
}

static void print_vtd(const struct ioasid_cap_vtd *c)
{
	struct table *r = kv_table("REGISTER", "VALUE"), *d = kv_table("DECODED", "VALUE");
	char words[1024];

	kv(r, "cap_reg", "0x%016" PRIx64, c->cap_reg);
	kv(r, "ecap_reg", "0x%016" PRIx64, c->ecap_reg);
	kv(r, "flags", "0x%x%s", c->flags,
	   c->flags & IOASID_VTD_ERRATA_772415_SPR17 ? " (erratum 772415 SPR17)" : "");
	kv(d, "domains", "%u", c->domains);
	kv(d, "sagaw", "0x%x (%s%s%s)", c->sagaw, c->sagaw & 2 ? "39-bit " : "",
	   c->sagaw & 4 ? "48-bit " : "", c->sagaw & 8 ? "57-bit" : "");
	kv(d, "levels", "0x%x", c->levels);
	kv(d, "mgaw", "%u bits", c->mgaw);
	kv(d, "sllps", "0x%x (%s%s)", c->sllps, c->sllps & 1 ? "2M " : "", c->sllps & 2 ? "1G" : "");
	kv(d, "pss", "%u", c->pss);
	kv(d, "pasid_bits", "%u", c->pasid_bits);
	kv(d, "mamv", "%u", c->mamv);
	kv(d, "mhmv", "%u", c->mhmv);
	bit_names(IOASID_CAP_VTD, c->bits, words, sizeof(words));
	row_words(d, "bits", words, "");
	print_tables(r, d);
}

static void print_smmuv3(const struct ioasid_cap_smmuv3 *c)
{
	struct table *r = kv_table("REGISTER", "VALUE"), *d = kv_table("DECODED", "VALUE");
	char words[1024], name[16];
	unsigned int i;

	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "idr%u", i);
		kv(r, name, "0x%08x", c->idr[i]);
	}
	kv(r, "iidr", "0x%08x", c->iidr);
	kv(r, "aidr", "0x%08x", c->aidr);
	kv(r, "flags", "0x%x", c->flags);
	kv(d, "st_level", "%u", c->st_level);
	kv(d, "stall_model", "%u", c->stall_model);
	kv(d, "ttf", "%u", c->ttf);
	kv(d, "ttendian", "%u", c->ttendian);
	kv(d, "httu", "%u", c->httu);
	kv(d, "sidsize", "%u bits", c->sidsize);
	kv(d, "ssidsize", "%u bits", c->ssidsize);
	kv(d, "oas", "%u bits", c->oas_bits);
	kv(d, "va", "%u bits", c->va_bits);
	kv(d, "bbml", "%u", c->bbml);
	bit_names(IOASID_CAP_SMMUV3, c->bits, words, sizeof(words));
	row_words(d, "bits", words, "");
	print_tables(r, d);
}

static void print_amd(const struct ioasid_cap_amd *c)
{
	struct table *r = kv_table("REGISTER", "VALUE"), *d = kv_table("DECODED", "VALUE");
	char words[1024];

	kv(r, "efr", "0x%016" PRIx64, c->efr);
	kv(r, "efr2", "0x%016" PRIx64, c->efr2);
	kv(d, "hats", "%u", c->hats);
	kv(d, "gats", "%u", c->gats);
	kv(d, "glx", "%u", c->glx);
	kv(d, "pasmax", "%u", c->pasmax);
	kv(d, "host_levels", "%u", c->host_levels);
	kv(d, "guest_levels", "%u", c->guest_levels);
	kv(d, "pasid_bits", "%u", c->pasid_bits);
	kv(d, "snp_avic", "%u", c->snp_avic);
	kv(d, "num_int_remap", "%u", c->num_int_remap);
	bit_names(IOASID_CAP_AMD, c->bits, words, sizeof(words));
	row_words(d, "bits", words, "");
	print_tables(r, d);
}

static void print_virtio(const struct ioasid_cap_virtio_iommu *c)
{
	struct table *r = kv_table("CONFIG", "VALUE"), *d = kv_table("DECODED", "VALUE");
	char words[1024];

	kv(r, "features", "0x%" PRIx64, c->features);
	kv(r, "page_size_mask", "0x%" PRIx64, c->page_size_mask);
	kv(r, "input_range", "0x%" PRIx64 "-0x%" PRIx64, c->input_start, c->input_end);
	kv(r, "domain_range", "%u-%u", c->domain_start, c->domain_end);
	kv(r, "probe_size", "%u", c->probe_size);
	kv(r, "bypass", "%u", c->bypass);
	bit_names(IOASID_CAP_VIRTIO_IOMMU, c->features, words, sizeof(words));
	row_words(d, "features", words, "");
	row_words(d, "page sizes", cli_pgsizes_str(c->page_size_mask, words, sizeof(words)), "");
	print_tables(r, d);
}

/* ------------------------------------------------------------------------ */
/* The generic table                                                        */

static int print_chain(const void *buf, size_t len)
{
	struct ioasid_cap_header h;
	struct table *t = table_new();
	char words[1024], src[32];
	uint32_t off, count, i;
	int rc;

	table_column(t, "CAPABILITY", TABLE_LEFT);
	table_column(t, "VALUE", TABLE_LEFT);
	table_column(t, "SOURCE", TABLE_LEFT);

	/* generic caps first, in a fixed order, whatever the chain's order */
	for (rc = ioasid_caps_first(buf, len, 0, &off, &h); !rc;
	     rc = ioasid_caps_next(buf, len, 0, off, &off, &h)) {
		const char *s = source_name(h.source, src, sizeof(src));

		switch (h.id) {
		case IOASID_CAP_PAGE_SIZES: {
			struct ioasid_cap_page_sizes c;

			if (ioasid_caps_get(buf, len, 0, h.id, &c, sizeof(c), NULL))
				goto bad;
			row_words(t, "page sizes", cli_pgsizes_str(c.bitmap, words, sizeof(words)), s);
			break;
		}
		case IOASID_CAP_ADDR_WIDTH: {
			struct ioasid_cap_addr_width c;

			if (ioasid_caps_get(buf, len, 0, h.id, &c, sizeof(c), NULL))
				goto bad;
			table_cell(t, "input width");
			table_cellf(t, "%u bits", c.input_bits);
			table_cell(t, s);
			table_cell(t, "output width");
			table_cellf(t, "%u bits", c.output_bits);
			table_cell(t, s);
			break;
		}
		case IOASID_CAP_PASID: {
			struct ioasid_cap_pasid c;

			if (ioasid_caps_get(buf, len, 0, h.id, &c, sizeof(c), NULL))
				goto bad;
			table_cell(t, "PASID width");
			if (c.width)
				table_cellf(t, "%u bits (%u PASIDs)", c.width, c.max_pasids);
			else
				table_cell(t, "0 (no PASID support)");
			table_cell(t, s);
			break;
		}
		case IOASID_CAP_IOVA_RANGES: {
			struct ioasid_cap_iova_range *rg;

			if (get_array(buf, len, h.id, sizeof(*rg), (void **)&rg, &count))
				goto bad;
			if (!count) {
				table_cell(t, "IOVA ranges");
				table_cell(t, "none");
				table_cell(t, s);
			}
			for (i = 0; rg && i < count; i++) {
				table_cell(t, i ? "" : "IOVA ranges");
				table_cellf(t, "0x%" PRIx64 "-0x%" PRIx64, rg[i].start, rg[i].last);
				table_cell(t, i ? "" : s);
			}
			free(rg);
			break;
		}
		case IOASID_CAP_RESV_REGIONS: {
			struct ioasid_cap_resv_region *rr;
			const char *tn;

			if (get_array(buf, len, h.id, sizeof(*rr), (void **)&rr, &count))
				goto bad;
			if (!count) {
				table_cell(t, "reserved");
				table_cell(t, "none");
				table_cell(t, s);
			}
			for (i = 0; rr && i < count; i++) {
				tn = ioasid_resv_type_name(rr[i].type);
				table_cell(t, i ? "" : "reserved");
				if (tn)
					table_cellf(t, "0x%" PRIx64 "-0x%" PRIx64 " %s", rr[i].start,
						    rr[i].last, tn);
				else
					table_cellf(t, "0x%" PRIx64 "-0x%" PRIx64 " type %u (reserved)",
						    rr[i].start, rr[i].last, rr[i].type);
				table_cell(t, i ? "" : s);
			}
			free(rr);
			break;
		}
		case IOASID_CAP_FEATURES: {
			struct ioasid_cap_features c;

			if (ioasid_caps_get(buf, len, 0, h.id, &c, sizeof(c), NULL))
				goto bad;
			bit_names(IOASID_CAP_FEATURES, c.features, words, sizeof(words));
			row_words(t, "features", words, s);
			bit_names(IOASID_CAP_FEATURES, c.known & ~c.features, words, sizeof(words));
			row_words(t, "absent", words, s);
			bit_names(IOASID_CAP_FEATURES, IOASID_FEAT_ALL & ~c.known, words,
				  sizeof(words));
			if (*words)
				row_words(t, "not known", words, s);
			break;
		}
		default:
			break;
		}
	}
	if (rc != -ENOENT)
		goto bad;
	table_print(t, stdout);
	table_free(t);

	/* then every vendor cap, and whatever this ioasidctl does not know */
	for (rc = ioasid_caps_first(buf, len, 0, &off, &h); !rc;
	     rc = ioasid_caps_next(buf, len, 0, off, &off, &h)) {
		const char *name = ioasid_cap_id_name(h.id);
		union {
			struct ioasid_cap_vtd vtd;
			struct ioasid_cap_smmuv3 smmuv3;
			struct ioasid_cap_amd amd;
			struct ioasid_cap_virtio_iommu virtio;
		} c;

		switch (h.id) {
		case IOASID_CAP_PAGE_SIZES:
		case IOASID_CAP_ADDR_WIDTH:
		case IOASID_CAP_PASID:
		case IOASID_CAP_IOVA_RANGES:
		case IOASID_CAP_RESV_REGIONS:
		case IOASID_CAP_FEATURES:
			continue;
		case IOASID_CAP_VTD:
		case IOASID_CAP_SMMUV3:
		case IOASID_CAP_AMD:
		case IOASID_CAP_VIRTIO_IOMMU:
			if (ioasid_caps_get(buf, len, 0, h.id, &c, sizeof(c), NULL))
				goto bad_nofree;
			printf("\n%s (version %u, %s)\n", name, h.version,
			       source_name(h.source, src, sizeof(src)));
			if (h.id == IOASID_CAP_VTD)
				print_vtd(&c.vtd);
			else if (h.id == IOASID_CAP_SMMUV3)
				print_smmuv3(&c.smmuv3);
			else if (h.id == IOASID_CAP_AMD)
				print_amd(&c.amd);
			else
				print_virtio(&c.virtio);
			break;
		default:
			printf("\ncapability 0x%x (version %u, %u bytes, %s): not known to this ioasidctl\n",
			       h.id, h.version, h.size, source_name(h.source, src, sizeof(src)));
			break;
		}
	}
	if (rc != -ENOENT)
		goto bad_nofree;
	return 0;
bad:
	table_free(t);
bad_nofree:
	cli_err("info: malformed capability chain: %s", ioasid_last_errmsg());
	return CLI_EXIT_FAIL;
}

/* ------------------------------------------------------------------------ */
/* The summary for the scenario's dev_info                                  */

json_t *caps_summary_json(const void *buf, size_t len)
{
	struct ioasid_cap_header h;
	json_t *o = json_object(), *list;
	uint32_t off, count, i;
	unsigned int b;
	char one[32];
	int rc;

	for (rc = ioasid_caps_first(buf, len, 0, &off, &h); !rc;
	     rc = ioasid_caps_next(buf, len, 0, off, &off, &h)) {
		switch (h.id) {
		case IOASID_CAP_PAGE_SIZES: {
			struct ioasid_cap_page_sizes c;

			if (ioasid_caps_get(buf, len, 0, h.id, &c, sizeof(c), NULL))
				goto bad;
			list = json_array();
			for (b = 0; b < 64; b++)
				if (c.bitmap & (UINT64_C(1) << b))
					json_array_append_new(list, json_string(
						cli_size_str(UINT64_C(1) << b, one, sizeof(one))));
			json_object_set_new(o, "page_sizes", list);
			break;
		}
		case IOASID_CAP_ADDR_WIDTH: {
			struct ioasid_cap_addr_width c;

			if (ioasid_caps_get(buf, len, 0, h.id, &c, sizeof(c), NULL))
				goto bad;
			json_object_set_new(o, "input_bits", json_integer(c.input_bits));
			json_object_set_new(o, "output_bits", json_integer(c.output_bits));
			break;
		}
		case IOASID_CAP_PASID: {
			struct ioasid_cap_pasid c;

			if (ioasid_caps_get(buf, len, 0, h.id, &c, sizeof(c), NULL))
				goto bad;
			json_object_set_new(o, "pasid_width", json_integer(c.width));
			break;
		}
		case IOASID_CAP_IOVA_RANGES: {
			struct ioasid_cap_iova_range *rg;

			if (get_array(buf, len, h.id, sizeof(*rg), (void **)&rg, &count))
				goto bad;
			list = json_array();
			for (i = 0; rg && i < count; i++)
				json_array_append_new(list, json_pack("{s:o, s:o}",
					"start", json_hex(rg[i].start), "last", json_hex(rg[i].last)));
			json_object_set_new(o, "iova_ranges", list);
			free(rg);
			break;
		}
		case IOASID_CAP_RESV_REGIONS: {
			struct ioasid_cap_resv_region *rr;
			const char *tn;

			if (get_array(buf, len, h.id, sizeof(*rr), (void **)&rr, &count))
				goto bad;
			list = json_array();
			for (i = 0; rr && i < count; i++) {
				tn = ioasid_resv_type_name(rr[i].type);
				json_array_append_new(list, json_pack("{s:o, s:o, s:s}",
					"start", json_hex(rr[i].start), "last", json_hex(rr[i].last),
					"type", tn ? tn : "reserved"));
			}
			json_object_set_new(o, "reserved", list);
			free(rr);
			break;
		}
		case IOASID_CAP_FEATURES: {
			struct ioasid_cap_features c;
			const char *n;

			if (ioasid_caps_get(buf, len, 0, h.id, &c, sizeof(c), NULL))
				goto bad;
			list = json_array();
			for (b = 0; b < 64; b++) {
				if (!(c.features & (UINT64_C(1) << b)))
					continue;
				n = ioasid_cap_bit_name(IOASID_CAP_FEATURES, b);
				if (n) {
					json_array_append_new(list, json_string(n));
				} else {
					snprintf(one, sizeof(one), "bit%u", b);
					json_array_append_new(list, json_string(one));
				}
			}
			json_object_set_new(o, "features", list);
			break;
		}
		default:
			if (ioasid_cap_id_name(h.id) && h.id >= 0x100)
				json_object_set_new(o, "vendor", json_string(ioasid_cap_id_name(h.id)));
			break;
		}
	}
	if (rc == -ENOENT)
		return o;
bad:
	json_decref(o);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* The command                                                              */

static int bind_exit_code(int err)
{
	switch (-err) {
	case ENOENT:
	case ENODEV:
	case EBUSY:
	case EOPNOTSUPP:
	case EACCES:
	case EPERM:
	case ENXIO:
		return CLI_EXIT_UNAVAIL;
	case EINVAL:
		return CLI_EXIT_USAGE;
	default:
		return CLI_EXIT_FAIL;
	}
}

static int print_json_doc(struct ioasid_ctx *ctx, uint32_t dev, const void *buf,
			  size_t len)
{
	char *doc = NULL;
	int err = ioasid_json_object(ctx, dev, 0, &doc);

	if (err)
		err = ioasid_json_caps(buf, len, 0, &doc);
	if (err) {
		cli_err("info: cannot dump the device as JSON: %s", ioasid_last_errmsg());
		return CLI_EXIT_FAIL;
	}
	puts(doc);
	ioasid_json_free(doc);
	return CLI_EXIT_OK;
}

int cmd_info(const struct cli_global *g, int argc, char **argv)
{
	struct cli_args it = { .argc = argc, .argv = argv, .cmd = "info" };
	struct ioasid_ctx *ctx = NULL;
	const char *val, *name = NULL, *profile;
	size_t len = 0, got = 0;
	void *buf = NULL;
	char spec[512];
	uint32_t dev;
	int k, rc, err;

	while ((k = cli_next(&it, NULL, &val)) != CLI_ARG_END) {
		if (k == CLI_ARG_ERR)
			return CLI_EXIT_USAGE;
		if (name)
			return cli_usage_err("info: one DEV at a time ('%s' and '%s')", name, val);
		name = val;
	}
	if (!name)
		return cli_usage_err("info: missing DEV (a sim device name, a cdev path or a PCI BDF)");
	rc = cli_resolve_spec(g, NULL, NULL, spec, sizeof(spec));
	if (!rc)
		rc = cli_open_ctx(spec, &ctx);
	if (rc)
		return rc;

	err = ioasid_dev_bind(ctx, name, &dev);
	if (err) {
		cli_err("info: %s: %s", name, *ioasid_ctx_errmsg(ctx) ? ioasid_ctx_errmsg(ctx) :
			ioasid_strerrno(err));
		rc = bind_exit_code(err);
		goto out;
	}
	/* the chain's size first, then the chain, as with IOMMU_GET_HW_INFO */
	err = ioasid_dev_info(ctx, dev, NULL, 0, &len);
	if (!err || err == -EMSGSIZE) {
		buf = xcalloc(1, len);
		err = ioasid_dev_info(ctx, dev, buf, len, &got);
	}
	if (err) {
		cli_err("info: %s: %s", name, ioasid_ctx_errmsg(ctx));
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	if (got < len)
		len = got;
	if (g->json) {
		rc = print_json_doc(ctx, dev, buf, len);
		goto out;
	}
	profile = ioasid_sim_profile_name(ctx);
	printf("%s: backend %s%s%s%s, capability chain of %zu bytes\n\n", name,
	       ioasid_ctx_backend_name(ctx), profile ? " (profile " : "",
	       profile ? profile : "", profile ? ")" : "", len);
	rc = print_chain(buf, len);
out:
	free(buf);
	ioasid_ctx_close(ctx);
	return rc;
}
