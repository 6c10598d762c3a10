/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef IOASID_SIM_PRIVATE_H
#define IOASID_SIM_PRIVATE_H

#include <stdio.h>

#include "../backend.h"
#include "profile.h"

struct sim_ctx {
	struct sim_profile *profile;
	ioasid_sim_event_cb ev_cb;
	void *ev_data;
};

/* The capability chain of one simulated device (sim-caps.c). */
int sim_dev_caps(struct ioasid_ctx *ctx, const struct sim_profile *p,
		 const struct sim_dev_desc *d, void **ret_buf, size_t *ret_len);

/* Our caps.h region type for a profile region type. */
uint32_t sim_resv_to_caps(enum sim_resv_type t);

#endif
