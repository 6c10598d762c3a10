/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libioasid: IOASID sets and PASIDs.
 *
 * A set is what one owner (typically one VM) may use: a quota of PASIDs
 * and of address spaces. PASIDs come from the context's PASID space, which
 * the IOMMU's PASID width bounds (at most 20 bits; PASID 0 is kept for
 * requests without PASID, as Linux keeps it). An owner acts through its
 * set: a PASID of another set is refused with -EPERM.
 */
#ifndef IOASID_SET_H
#define IOASID_SET_H

#include <ioasid/ctx.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Options of ioasid_set_alloc(); see IOASID_OPTS_INIT(). */
struct ioasid_set_opts {
	size_t sz;
	uint64_t owner;      /* the owner's token (e.g. a VM id); informative */
	uint32_t max_pasids; /* quota; 0 = no PASIDs at all */
	uint32_t max_ioas;   /* quota of address spaces; 0 = none */
};

/**
 * ioasid_set_alloc() - create a set.
 * @ctx: the context.
 * @opts: the owner and quotas (required).
 * @ret_set: its id.
 * Return: 0; -EINVAL for NULL @opts or a quota above the PASID space;
 * -E2BIG for a non-zero unknown tail of @opts; -ENOMEM.
 */
IOASID_EXPORT int ioasid_set_alloc(struct ioasid_ctx *ctx,
				 const struct ioasid_set_opts *opts,
				 uint32_t *ret_set);

/**
 * ioasid_set_destroy() - destroy a set, freeing its PASIDs.
 * @ctx: the context.
 * @set: the set.
 * Return: 0; -ENOENT unknown set; -EBUSY while one of its PASIDs is
 * attached or one of its address spaces exists.
 */
IOASID_EXPORT int ioasid_set_destroy(struct ioasid_ctx *ctx, uint32_t set);

/**
 * ioasid_pasid_alloc() - allocate the lowest free PASID in [@min, @max]
 * to @set; @min == @max asks for that one PASID.
 * @ctx: the context.
 * @set: the set.
 * @min: lowest acceptable PASID (>= 1).
 * @max: highest acceptable PASID (< 2^PASID width of the IOMMU).
 * @ret_pasid: the PASID.
 * Return: 0; -ENOENT unknown set; -EINVAL for min 0, min > max, or a range
 * outside the context's PASID space (message names the width);
 * -EDQUOT when the set's quota is used up (message names the quota);
 * -EEXIST when the one PASID asked for is taken; -ENOSPC when no PASID in
 * the range is free; -EOPNOTSUPP when the IOMMU has no PASID support.
 */
IOASID_EXPORT int ioasid_pasid_alloc(struct ioasid_ctx *ctx, uint32_t set,
				     uint32_t min, uint32_t max,
				     uint32_t *ret_pasid);

/**
 * ioasid_pasid_free() - give a PASID back.
 * @ctx: the context.
 * @set: the set that holds it.
 * @pasid: the PASID.
 * Return: 0; -ENOENT when no set holds @pasid; -EPERM when another set
 * holds it; -EBUSY while it is attached.
 */
IOASID_EXPORT int ioasid_pasid_free(struct ioasid_ctx *ctx, uint32_t set,
				    uint32_t pasid);

/**
 * ioasid_pasid_owner() - which set holds @pasid.
 * @ctx: the context.
 * @pasid: the PASID.
 * @ret_set: the set's id.
 * Return: 0, or -ENOENT when the PASID is free.
 */
IOASID_EXPORT int ioasid_pasid_owner(struct ioasid_ctx *ctx, uint32_t pasid,
				     uint32_t *ret_set);

/**
 * ioasid_set_ioas_alloc() - create an address space charged to @set's
 * address-space quota and owned by it.
 * @ctx: the context.
 * @set: the set.
 * @ret_ioas: the new address space.
 * Return: 0; -ENOENT unknown set; -EDQUOT quota reached; -ENOMEM.
 */
IOASID_EXPORT int ioasid_set_ioas_alloc(struct ioasid_ctx *ctx, uint32_t set,
					uint32_t *ret_ioas);

/* What ioasid_set_info() reports. */
struct ioasid_set_info {
	uint64_t owner;
	uint32_t max_pasids;
	uint32_t nr_pasids;
	uint32_t max_ioas;
	uint32_t nr_ioas;
	uint32_t pasid_width; /* of the context's PASID space */
	uint32_t __reserved;
};

/**
 * ioasid_set_info() - quotas and usage of a set.
 * @ctx: the context.
 * @set: the set.
 * @ret_info: filled in.
 * Return: 0, or -ENOENT.
 */
IOASID_EXPORT int ioasid_set_info(struct ioasid_ctx *ctx, uint32_t set,
				  struct ioasid_set_info *ret_info);

/**
 * ioasid_set_pasids() - list the PASIDs of a set in ascending order,
 * starting at @from.
 * @ctx: the context.
 * @set: the set.
 * @from: first PASID to consider.
 * @out: array of *@inout_num.
 * @inout_num: in: capacity; out: entries written.
 * Return: 0, or -ENOENT.
 */
IOASID_EXPORT int ioasid_set_pasids(struct ioasid_ctx *ctx, uint32_t set,
				    uint32_t from, uint32_t *out, uint32_t *inout_num);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_SET_H */
