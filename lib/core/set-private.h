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

/*
 * Count an IOAS @set is to own: -EDQUOT (message set) beyond its quota.
 * The IOAS holds the set until set_ioas_uncharge() (its destroy, or a
 * failed allocation).
 */
int set_ioas_charge(struct ioasid_ctx *ctx, struct ioasid_set *set);
void set_ioas_uncharge(struct ioasid_ctx *ctx, uint32_t set_id);

/* The set holding @pasid; 0 when it is free or outside the PASID space. */
uint32_t pasid_owner(const struct ioasid_ctx *ctx, uint32_t pasid);
/*
 * Count one (device, PASID) attachment of @pasid (dev.c does), so that
 * neither the PASID nor its set is freed while a device uses it.
 * pasid_use_get() returns 0 or -ENOMEM (message set).
 */
int pasid_use_get(struct ioasid_ctx *ctx, uint32_t pasid);
void pasid_use_put(struct ioasid_ctx *ctx, uint32_t pasid);
/* Context teardown: the PASID space and the use counts. */
void pasid_ctx_free(struct ioasid_ctx *ctx);

extern const struct ioasid_obj_ops ioasid_set_obj_ops;

#endif
