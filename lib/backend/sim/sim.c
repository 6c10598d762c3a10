/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The simulated IOMMU backend.
 *
 * The core's records are the address spaces; the sim adds the IOMMU model
 * and its devices (a profile), and later the page tables, caches and DMA.
 */
#include <string.h>

#include "../backend.h"
#include "sim-private.h"

static int sim_open(struct ioasid_ctx *ctx, const char *arg)
{
	struct sim_ctx *sim = ioasid_calloc(1, sizeof(*sim));

	if (!sim)
		return ioasid_err(ctx, -ENOMEM, "out of memory for the simulated IOMMU");
	snprintf(sim->profile_name, sizeof(sim->profile_name), "%s", arg ? arg : "vtd");
	ctx->be = sim;
	return 0;
}

static void sim_close(struct ioasid_ctx *ctx)
{
	struct sim_ctx *sim = ctx->be;

	ioasid_free(sim);
	ctx->be = NULL;
}

const struct ioasid_backend_ops ioasid_sim_backend = {
	.name = "sim",
	.kind = IOASID_BACKEND_SIM,
	.open = sim_open,
	.close = sim_close,
};
