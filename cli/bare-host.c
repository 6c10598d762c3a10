/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * list and info on a bare host: no kernel backend opens (no /dev/iommu, no
 * /dev/vfio, or nodes this user may not open), yet sysfs still tells which
 * PCI devices sit behind an IOMMU, in which group, with which driver. That
 * is what a user needs to set a device up for VFIO, so it is printed, with
 * one line on stderr saying why no backend is usable and how to try the
 * simulated one. The exit code stays 3 (unavailable): scripts that test
 * `ioasidctl list` before using a backend keep their meaning.
 */
#include <stdlib.h>
#include <string.h>

#include "ioasidctl.h"
#include "table.h"

const char *cli_sysfs_root(void)
{
	const char *root = getenv("IOASIDCTL_SYSFS_ROOT");

	return root && *root ? root : "/sys";
}

/* Whether host entry @e is the device the user named (cdev, full or short BDF). */
static bool entry_is(const struct ioasid_dev_entry *e, const char *dev)
{
	size_t bl = strlen(e->bdf), dl = strlen(dev);

	if (!strcmp(e->name, dev) || !strcmp(e->bdf, dev))
		return true;
	/* "00:02.0" for "0000:00:02.0", as lspci prints it */
	return dl < bl && e->bdf[bl - dl - 1] == ':' && !strcmp(e->bdf + bl - dl, dev);
}

static int print_device(const struct cli_global *g, const char *why,
			const struct ioasid_dev_entry *e)
{
	struct table *t;

	if (g->json) {
		json_t *doc = json_pack("{s:n, s:s, s:o}", "backend", "unusable", why, "device",
					list_entry_json(e));
		char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		if (!s)
			cli_oom();
		puts(s);
		free(s);
		json_decref(doc);
		return CLI_EXIT_UNAVAIL;
	}
	printf("%s: no backend can bind it; what sysfs says:\n\n", e->name);
	t = table_new();
	table_indent(t, 2);
	table_column(t, "FIELD", TABLE_LEFT);
	table_column(t, "VALUE", TABLE_LEFT);
	table_cell(t, "bdf");
	table_cell(t, *e->bdf ? e->bdf : "-");
	table_cell(t, "iommu");
	table_cell(t, *e->iommu ? e->iommu : "-");
	table_cell(t, "driver");
	table_cell(t, *e->driver ? e->driver : "-");
	table_cell(t, "group");
	table_cell(t, *e->group ? e->group : "-");
	table_cell(t, "cdev");
	table_cell(t, strcmp(e->name, e->bdf) ? e->name : "-");
	table_print(t, stdout);
	table_free(t);
	return CLI_EXIT_UNAVAIL;
}

static int bare_host(const struct cli_global *g, const char *why, const char *dev)
{
	struct ioasid_dev_entry *e = NULL;
	uint32_t i, n = 0;
	int err, rc = CLI_EXIT_UNAVAIL;

	err = cli_dev_entries(NULL, &e, &n);
	if (err) {
		cli_err("%s: host devices: %s", dev ? "info" : "list",
			*ioasid_last_errmsg() ? ioasid_last_errmsg() : ioasid_strerrno(err));
		return CLI_EXIT_UNAVAIL;
	}
	if (!dev) {
		list_print(g, NULL, why, e, n);
		if (!n)
			cli_err("list: no PCI device of this host is in an IOMMU group (IOMMU off or absent? on Intel, boot with intel_iommu=on)");
	} else {
		for (i = 0; i < n && !entry_is(&e[i], dev); i++)
			;
		if (i < n)
			rc = print_device(g, why, &e[i]);
		else
			cli_err("info: %s: not among the %u PCI devices of this host in an IOMMU group",
				dev, n);
	}
	free(e);
	return rc;
}

int cli_open_for_host(const struct cli_global *g, const char *spec, const char *dev,
		      struct ioasid_ctx **ret_ctx)
{
	int err = ioasid_ctx_open(spec, NULL, ret_ctx), rc;
	const char *msg;
	char *why;

	if (!err)
		return 0;
	rc = cli_exit_for_open_error(err);
	if (rc != CLI_EXIT_UNAVAIL || cli_spec_is_sim(spec))
		return cli_open_error(spec, err);
	msg = ioasid_last_errmsg();
	why = xasprintf("backend %s: %s", spec, msg && *msg ? msg : strerror(-err));
	rc = bare_host(g, why, dev);
	cli_err("no kernel backend is usable (%s); try the simulated IOMMU: ioasidctl --backend sim %s",
		why, dev ? "info sim0" : "list");
	free(why);
	return rc;
}
