/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The backend table: the only global state of the library.
 */
#include <string.h>

#include "backend.h"

static const struct ioasid_backend_ops *const backends[] = {
	&ioasid_sim_backend,
	&ioasid_iommufd_backend,
	&ioasid_vfio_backend,
};

const struct ioasid_backend_ops *backend_find(enum ioasid_backend_kind kind)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(backends); i++)
		if (backends[i]->kind == kind)
			return backends[i];
	return NULL;
}

const struct ioasid_backend_ops *backend_by_name(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(backends); i++)
		if (strlen(backends[i]->name) == len &&
		    !memcmp(backends[i]->name, name, len))
			return backends[i];
	return NULL;
}

int backend_not_built(struct ioasid_ctx *ctx, const char *name, const char *what)
{
	return ioasid_err(ctx, -EOPNOTSUPP,
			  "the %s backend%s%s is not implemented in libioasid %s yet; use --backend sim",
			  name, what ? " " : "", what ? what : "", PACKAGE_VERSION);
}
