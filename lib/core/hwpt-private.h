/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef IOASID_HWPT_PRIVATE_H
#define IOASID_HWPT_PRIVATE_H

#include "private.h"
#include "ioas-private.h"
#include "fault-private.h"

struct ioasid_dev;
struct ioasid_viommu;

struct ioasid_hwpt {
	struct ioasid_obj obj;
	uint32_t type;  /* enum ioasid_hwpt_type */
	uint32_t flags; /* IOASID_HWPT_* */
	/* paging: the IOAS it mirrors; nested: the parent's IOAS */
	struct ioasid_ioas *ioas;
	struct ioasid_hwpt *parent; /* nested only */
	struct ioasid_hwpt_vtd_s1 s1;
	/* nested on a vIOMMU: it (held), and the driver's data as given */
	struct ioasid_viommu *viommu;
	uint8_t vdata[32];
	uint32_t vdata_len;
	struct ioasid_fault_queue *fault_q; /* its faults go there (FAULT_ID_VALID); NULL: none */
	bool autodom;       /* made by an IOAS attach, goes with its last user */
	bool dirty_enabled;
	uint32_t nr_att;    /* devices attached */
	uint32_t nr_children; /* nested HWPTs over this one */
	uint64_t pgsize_bitmap;
	uint64_t aperture_start, aperture_last;
	struct ioasid_hwpt *next_paging; /* the IOAS's list of paging HWPTs */
	void *be;
};

static inline bool hwpt_is_paging(const struct ioasid_hwpt *h)
{
	return h->type == IOASID_HWPT_PAGING;
}

/* The id of the queue its faults go to; 0: none. */
static inline uint32_t hwpt_fault_queue_id(const struct ioasid_hwpt *h)
{
	return h->fault_q ? h->fault_q->obj.id : 0;
}

/*
 * The fault queue of an HWPT being made, in *@ret (NULL: none): @queue
 * with IOASID_HWPT_FAULT_ID_VALID in @flags (-EINVAL a queue without the
 * flag, -ENOENT no such queue), whose set must be @owner_set unless that
 * is 0 (-EPERM; the message names @owner_kind @owner_id, "IOAS 3" or
 * "vIOMMU 5", the address space the faults come from).
 */
int hwpt_check_queue(struct ioasid_ctx *ctx, uint32_t flags, uint32_t queue, uint32_t owner_set,
		     const char *owner_kind, uint32_t owner_id, struct ioasid_fault_queue **ret);
/* The HWPT being published takes @q (NULL: nothing). */
void hwpt_queue_bind(struct ioasid_fault_queue *q);
/* Make a paging HWPT over @ioas for @dev (also used for automatic domains). */
int hwpt_paging_alloc_locked(struct ioasid_ctx *ctx, struct ioasid_dev *dev,
			     struct ioasid_ioas *ioas, uint32_t flags, uint32_t fault_queue,
			     bool autodom, struct ioasid_hwpt **ret);
/* Destroy an HWPT that nobody uses (object already removed or never published). */
void hwpt_free_locked(struct ioasid_ctx *ctx, struct ioasid_hwpt *hwpt);
/*
 * An automatic domain lost its last device: destroy it. The kernel keeps
 * one it allocated on our request (one with a fault queue) when it refuses
 * IOMMU_DESTROY; then so do the records, as an idle automatic domain that
 * the next attach may reuse and the IOAS's destroy tries again
 * (ioas_release_idle_domains()). Returns 0 or the refusal.
 */
int hwpt_autodom_release(struct ioasid_ctx *ctx, struct ioasid_hwpt *h);
/* Release @ioas's idle automatic domains; the first refusal, or 0. */
int ioas_release_idle_domains(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas);

extern const struct ioasid_obj_ops ioasid_hwpt_obj_ops;

#endif
