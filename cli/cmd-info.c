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
 * untrusted input; the rows of each capability are the library's
 * (ioasid_caps_rows()), laid out here. A capability the library does not
 * know is listed by id and size, never guessed at.
 */
#include <errno.h>
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

static const char *source_name(uint32_t src, char *buf, size_t len)
{
	const char *n = ioasid_cap_source_name(src);

	if (n)
		return n;
	snprintf(buf, len, "source %u", src);
	return buf;
}

/* ------------------------------------------------------------------------ */
/* Tables of the library's rows                                             */

static struct table *kv_table(const char *title_a, const char *title_b)
{
	struct table *t = table_new();

	table_indent(t, 2);
	table_column(t, title_a, TABLE_LEFT);
	table_column(t, title_b, TABLE_LEFT);
	table_column(t, "", TABLE_LEFT);
	return t;
}

/*
 * Where the rows of a capability go: the chain's main table (generic
 * capabilities, with their source), or a vendor capability's register and
 * decoded tables. One walk fills one kind: @main is NULL for the second.
 */
struct info_rows {
	struct table *main;
	const char *source;
	struct table *raw, *dec;
};

static int add_row(const struct ioasid_cap_row *row, void *data)
{
	struct info_rows *ir = data;
	bool more = row->flags & IOASID_CAP_ROW_MORE;
	const char *label = more ? "" : row->label, *extra = "";
	struct table **tp, *t;

	if (row->section == IOASID_CAP_SECT_MAIN) {
		if (!ir->main)
			return 0;
		t = ir->main;
		extra = more ? "" : ir->source;
	} else {
		if (ir->main)
			return 0;
		tp = row->section == IOASID_CAP_SECT_RAW ? &ir->raw : &ir->dec;
		if (!*tp)
			*tp = kv_table(row->heading, "VALUE");
		t = *tp;
	}
	if (row->flags & IOASID_CAP_ROW_WORDS) {
		row_words(t, label, row->value, extra);
	} else {
		table_cell(t, label);
		table_cell(t, row->value);
		table_cell(t, extra);
	}
	return 0;
}

static void print_tables(struct table *regs, struct table *dec)
{
	if (regs)
		table_print(regs, stdout);
	if (regs && dec)
		fputc('\n', stdout);
	if (dec)
		table_print(dec, stdout);
	table_free(regs);
	table_free(dec);
}

/* ------------------------------------------------------------------------ */
/* The chain                                                                */

static int print_chain(const void *buf, size_t len)
{
	struct ioasid_cap_header h;
	struct info_rows ir = { .main = table_new() };
	char src[32];
	uint32_t off;
	int rc;

	table_column(ir.main, "CAPABILITY", TABLE_LEFT);
	table_column(ir.main, "VALUE", TABLE_LEFT);
	table_column(ir.main, "SOURCE", TABLE_LEFT);

	/* the generic caps first, in one table */
	for (rc = ioasid_caps_first(buf, len, 0, &off, &h); !rc;
	     rc = ioasid_caps_next(buf, len, 0, off, &off, &h)) {
		if (!ioasid_cap_id_name(h.id))
			continue;
		ir.source = source_name(h.source, src, sizeof(src));
		rc = ioasid_caps_rows(buf, len, off, add_row, &ir);
		if (rc)
			break;
	}
	if (rc != -ENOENT) {
		table_free(ir.main);
		goto bad;
	}
	table_print(ir.main, stdout);
	table_free(ir.main);
	ir.main = NULL;

	/* then every vendor cap, and whatever this ioasidctl does not know */
	for (rc = ioasid_caps_first(buf, len, 0, &off, &h); !rc;
	     rc = ioasid_caps_next(buf, len, 0, off, &off, &h)) {
		if (!ioasid_cap_id_name(h.id)) {
			printf("\ncapability 0x%x (version %u, %u bytes, %s): not known to this ioasidctl\n",
			       h.id, h.version, h.size, source_name(h.source, src, sizeof(src)));
			continue;
		}
		ir.raw = ir.dec = NULL;
		rc = ioasid_caps_rows(buf, len, off, add_row, &ir);
		if (rc) {
			table_free(ir.raw);
			table_free(ir.dec);
			break;
		}
		if (ir.raw || ir.dec)
			printf("\n%s (version %u, %s)\n", ioasid_cap_id_name(h.id), h.version,
			       source_name(h.source, src, sizeof(src)));
		print_tables(ir.raw, ir.dec);
	}
	if (rc != -ENOENT)
		goto bad;
	return 0;
bad:
	cli_err("info: malformed capability chain: %s", ioasid_last_errmsg());
	return CLI_EXIT_FAIL;
}

/* ------------------------------------------------------------------------ */
/* The summary for the scenario's dev_info: the library's brief JSON        */

json_t *caps_summary_json(const void *buf, size_t len)
{
	json_t *doc, *sum;
	char *s = NULL;

	if (ioasid_json_caps(buf, len, IOASID_JSON_BRIEF | IOASID_JSON_COMPACT, &s))
		return NULL;
	doc = json_loads(s, 0, NULL);
	ioasid_json_free(s);
	sum = json_incref(json_object_get(doc, "caps"));
	json_decref(doc);
	return sum;
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
	case ENAMETOOLONG: /* no device has a name that long */
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
		rc = cli_open_for_host(g, spec, name, &ctx);
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
	if (!err) {
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
