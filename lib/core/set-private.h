/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef IOASID_SET_PRIVATE_H
#define IOASID_SET_PRIVATE_H

#include "private.h"

struct ioasid_set {
	struct ioasid_obj obj;
	uint64_t owner;
	uint32_t max_pasids;
	uint32_t nr_pasids;
	uint32_t max_ioas;
	uint32_t nr_ioas;
};

/* The IOAS @ioas_set owned goes away: give back its quota. */
void set_put_ioas(struct ioasid_ctx *ctx, uint32_t set_id);

extern const struct ioasid_obj_ops ioasid_set_obj_ops;

#endif
