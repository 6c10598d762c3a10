/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ioasidctl list: the devices the backend offers.
 *
 * On the sim these are the profile's devices (ioasid_dev_list()); on a
 * real backend, the host's VFIO devices (ioasid_host_devices()), found
 * through /dev/vfio and sysfs. The backend is opened either way, so that
 * "list" fails with exit 3 exactly when every other command would; when no
 * kernel backend is usable it still shows the host's devices (bare-host.c).
 */
#include <errno.h>
#include <stdlib.h>

#include "ioasidctl.h"
#include "table.h"

json_t *list_entry_json(const struct ioasid_dev_entry *e)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", e->name, "bdf", e->bdf, "iommu",
			 e->iommu, "driver", e->driver, "group", e->group);
}

static void print_json(struct ioasid_ctx *ctx, const char *unusable,
		       const struct ioasid_dev_entry *e, uint32_t n)
{
	json_t *doc = json_object(), *list = json_array();
	const char *profile = ctx ? ioasid_sim_profile_name(ctx) : NULL;
	uint32_t i;
	char *s;

	json_object_set_new(doc, "backend",
			    ctx ? json_string(ioasid_ctx_backend_name(ctx)) : json_null());
	if (unusable)
		json_object_set_new(doc, "unusable", json_string(unusable));
	if (profile)
		json_object_set_new(doc, "profile", json_string(profile));
	for (i = 0; i < n; i++)
		json_array_append_new(list, list_entry_json(&e[i]));
	json_object_set_new(doc, "devices", list);
	s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s)
		puts(s);
	free(s);
	json_decref(doc);
}

static void print_table(const struct ioasid_dev_entry *e, uint32_t n)
{
	struct table *t = table_new();
	uint32_t i;

	table_column(t, "NAME", TABLE_LEFT);
	table_column(t, "BDF", TABLE_LEFT);
	table_column(t, "IOMMU", TABLE_LEFT);
	table_column(t, "DRIVER", TABLE_LEFT);
	table_column(t, "GROUP", TABLE_LEFT);
	for (i = 0; i < n; i++) {
		table_cell(t, e[i].name);
		table_cell(t, *e[i].bdf ? e[i].bdf : "-");
		table_cell(t, *e[i].iommu ? e[i].iommu : "-");
		table_cell(t, *e[i].driver ? e[i].driver : "-");
		table_cell(t, *e[i].group ? e[i].group : "-");
	}
	table_print(t, stdout);
	table_free(t);
}

void list_print(const struct cli_global *g, struct ioasid_ctx *ctx, const char *unusable,
		const struct ioasid_dev_entry *e, uint32_t n)
{
	if (g->json)
		print_json(ctx, unusable, e, n);
	else
		print_table(e, n);
}

int cmd_list(const struct cli_global *g, int argc, char **argv)
{
	struct cli_args it = { .argc = argc, .argv = argv, .cmd = "list" };
	struct ioasid_dev_entry *e = NULL;
	struct ioasid_ctx *ctx = NULL;
	const char *val;
	char spec[512];
	uint32_t n = 0;
	int k, rc, err;

	while ((k = cli_next(&it, NULL, &val)) != CLI_ARG_END) {
		if (k == CLI_ARG_ERR)
			return CLI_EXIT_USAGE;
		return cli_usage_err("list: unexpected argument '%s'", val);
	}
	rc = cli_resolve_spec(g, NULL, NULL, spec, sizeof(spec));
	if (rc)
		return rc;
	rc = cli_open_for_host(g, spec, NULL, &ctx);
	if (rc)
		return rc;
	if (ioasid_ctx_backend(ctx) == IOASID_BACKEND_SIM)
		err = cli_dev_entries(ctx, &e, &n);
	else
		err = cli_dev_entries(NULL, &e, &n);
	if (err) {
		cli_err("list: %s", *ioasid_last_errmsg() ? ioasid_last_errmsg() :
			ioasid_strerrno(err));
		ioasid_ctx_close(ctx);
		return CLI_EXIT_FAIL;
	}
	list_print(g, ctx, NULL, e, n);
	free(e);
	ioasid_ctx_close(ctx);
	return CLI_EXIT_OK;
}
