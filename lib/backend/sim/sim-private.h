/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef IOASID_SIM_PRIVATE_H
#define IOASID_SIM_PRIVATE_H

#include <stdio.h>

#include "backend/backend.h"
#include "core/dev-private.h"
#include "core/hwpt-private.h"
#include "iotlb.h"
#include "pgtable.h"
#include "profile.h"

#define SIM_STALE_RING 256

enum { SIM_DMA_PENDING = 1, SIM_DMA_DONE = 2 };

/* A DMA request; pending while a page request group waits for its answer. */
struct sim_pending {
	uint64_t handle;
	uint64_t cookie;   /* the group it waits on, 0 = none */
	int state;         /* SIM_DMA_* */
	int err;
	uint32_t dev, pasid;
	uint32_t rounds;   /* page request groups raised so far */
	uint32_t flags;    /* IOASID_SIM_DMA_*: write, privileged, execute */
	bool on_stack;     /* still the submitter's stack copy */
	struct sim_pending *moved; /* the heap copy it became */
	struct sim_dev *sd;        /* set while the submitter runs it */
	char why[IOASID_ERRMSG_MAX]; /* the message of its failure */
	uint64_t iova;
	uint8_t *buf;
	size_t len, done;
	struct sim_pending *next;
};

struct sim_ctx {
	struct sim_profile *profile;
	ioasid_sim_event_cb ev_cb;
	void *ev_data;

	/* the IOMMU's caches (one IOMMU per profile) */
	struct sim_iotlb *iotlb;
	struct sim_pasid_cache *pasid_cache;

	enum ioasid_sim_stale_mode stale_mode;
	struct ioasid_sim_stale_event stale[SIM_STALE_RING];
	uint64_t stale_seq;

	uint64_t walks, walk_reads, invalidations, inv_entries;
	uint64_t devtlb_hits, devtlb_misses;
	uint64_t dma_reads, dma_writes, dma_bytes, faults, stale_hits;

	/* bumped whenever a context entry may have changed (attach, detach,
	 * PASID-cache invalidation, HWPT teardown): flushes every context cache */
	uint64_t ctx_gen;
	uint64_t ctx_cache_hits;

	uint16_t next_stag; /* SMMUv3: the stall tag (STAG) of the next stalled transaction */

	struct sim_pending *pending;       /* DMA requests not collected yet, oldest first */
	struct sim_pending **pending_tail; /* the last one's next (sim-dma.c) */
	uint64_t next_handle;

	/* the bound devices, by id - 1 (sim_dev_of()) */
	struct sim_dev **devs;
	uint32_t cap_devs;
};

/* The sim's state of @ctx; NULL when @ctx is not a sim context. */
static inline struct sim_ctx *sim_ctx_of(struct ioasid_ctx *ctx)
{
	return ctx && ctx->ops == &ioasid_sim_backend ? ctx->be : NULL;
}

/*
 * The prologue of the sim's calls on a context (sim.c): lock it and return
 * the sim's state; or NULL, with the lock released and the message set
 * (-EOPNOTSUPP), when it is not a sim context.
 */
struct sim_ctx *sim_lock(struct ioasid_ctx *ctx);

/*
 * Per paging or nested HWPT: everything a translation through it needs,
 * resolved when the HWPT is made (its table, its parent's, its fault
 * queue), so that a DMA request never asks the core.
 */
#define SIM_TLB_PASIDS 4

struct sim_hwpt {
	uint32_t id;        /* the HWPT's id: the domain id tagging cached entries */
	bool paging;
	bool dirty;         /* dirty tracking on: writes must set D in the table */
	/* the table's writes always update its dirty state, tracking or not:
	 * an Arm table with DBM leaves (the CD's HD stays set) */
	bool hw_dirty;
	unsigned int levels;
	struct sim_pt *pt;  /* paging: the stage-2 / single-stage table, in the model's format */
	uint64_t s1_root;   /* nested: the guest's stage-1 table */
	/* nested: the PASID entry's SRE, WPE (only with SRE) and EAFE; ERE is
	 * never set (the kernel has no flag for it): docs/sim-first-stage.md */
	bool sre, wpe, eafe;
	struct sim_hwpt *parent;   /* nested: the paging HWPT it walks through */
	/* nested on a vIOMMU (sim-viommu.h): it, and its model's state (the vSTE, ...) */
	struct sim_viommu *vi;
	void *vpriv;
	struct sim_hwpt *children; /* paging: the nested HWPTs over it */
	struct sim_hwpt *next_child;
	struct ioasid_fault_queue *fault_q; /* where its faults go; NULL: none */
	/*
	 * The PASIDs its IOTLB entries were cached under since they were all
	 * last dropped (a superset): an unmap probes the IOTLB for those few
	 * instead of scanning all of it. More than SIM_TLB_PASIDS: scan.
	 */
	uint32_t tlb_pasids[SIM_TLB_PASIDS];
	unsigned int nr_tlb_pasids;
};

/*
 * What one (device, PASID) is attached to, as the IOMMU's context and
 * PASID tables hold it; set by the attach and detach hooks.
 */
struct sim_route {
	uint32_t pasid; /* IOASID_PASID_NONE: requests without PASID */
	uint32_t refs;  /* attachments leading here: 2 while a replace by the same HWPT runs */
	struct sim_hwpt *sh;
};

/*
 * A context-cache entry: which HWPT (device, PASID) uses. Kept as a model
 * of the IOMMU's context cache: its hits are part of the cache statistics
 * (ioasid_sim_cache_stats(), the dumps), and it is the fast path's check.
 */
#define SIM_CTX_CACHE 4
struct sim_ctx_entry {
	uint64_t gen;  /* valid while equal to sim_ctx.ctx_gen */
	uint32_t pasid;
	struct sim_hwpt *sh;
};

/* Per bound device. */
struct sim_dev {
	uint32_t id;                  /* the device's id: its requester id */
	const struct ioasid_dev *dev; /* the bound device: its name, PRI */
	struct sim_route *routes;     /* sorted by PASID */
	uint32_t nr_routes, cap_routes;
	struct sim_ctx_entry ctx_cache[SIM_CTX_CACHE];
	struct sim_iotlb *devtlb;     /* ATS devices only */
	uint32_t next_grpid;          /* PCIe page request group index */
	bool stall;                   /* SMMUv3: stall-enabled (sim_profile_dev_stalls()) */
	/* bumped at each attach and detach: what a vIOMMU model cached of the
	 * device's configuration (SMMUv3 CDs) is dropped with it, as the
	 * kernel's STE update invalidates it (CMD_CFGI_STE) */
	uint32_t cfg_gen;
	/*
	 * The vIOMMU the device's RID is attached to a nested HWPT of, and the
	 * virtual id it had then: the kernel's vmaster, which keeps reporting
	 * events with that id until the next attach or detach, even if the
	 * vDEVICE goes (arm_smmu_attach_prepare_vmaster()). NULL: none.
	 */
	const struct sim_viommu *vmaster;
	uint64_t vmaster_id;
};

/* The bound device @id, or NULL: the sim's own table, indexed by id. */
static inline struct sim_dev *sim_dev_of(const struct sim_ctx *sim, uint32_t id)
{
	return id - 1 < sim->cap_devs ? sim->devs[id - 1] : NULL;
}

/*
 * A translation, as the DMA engine uses and caches it. perm: SIM_PT_R/W/X/U
 * granted by every stage, plus the XL_* bits.
 */
#define XL_S2W 0x10u   /* the second stage (the only one of a paging HWPT) grants write */
#define XL_DIRTY 0x20u /* every D bit a write through it must set is set */
struct sim_xlate {
	uint64_t host;      /* host address of the IOVA */
	uint64_t page_size; /* bytes of the page holding it */
	uint64_t gpa;       /* nested: the stage-1 output (guest-physical); paging: the IOVA */
	uint32_t perm;      /* SIM_PT_R/W/X/U granted, XL_* */
};

/* No stage-1 output (a stale check's "now" when stage 1 does not translate). */
#define NO_GPA UINT64_MAX

/*
 * A fault a model's translation found, in the terms every model's event
 * record needs; the model encodes it (encode_event) and the shared code
 * queues it on the vIOMMU's vEVENTQ of the model's type, or, for a fault
 * the hardware reports to the host (a stage-2 fault: the VMM's, not the
 * guest's), raises it in the context's fault log as today.
 */
struct sim_vfault {
	bool valid;   /* a record for the guest's event queue */
	bool host;    /* for the host instead (stage 2): never the guest's queue */
	uint32_t id;  /* the model's event code (SMMUv3 EVT_ID_*) */
	uint32_t cls; /* the model's class of the faulting access */
	bool ssv;     /* a substream / PASID came with the request */
	uint32_t ssid;
	uint64_t iova;  /* input address */
	uint64_t ipa;   /* stage-2 faults: the intermediate address */
	uint64_t fetch; /* fetch faults: the address fetched */
	bool write, priv, exec;
	bool s2; /* found by stage 2 */
	/* SMMUv3: the transaction stalled (CD.S, STE.S2S): a page request, never an event record */
	bool stall;
	unsigned int level;
};

/* What a failed translation tells the fault path. */
struct sim_fault_info {
	struct sim_hwpt *hwpt; /* NULL: nothing attached */
	uint32_t reason;       /* enum ioasid_fault_reason; 0 = not a fault */
	bool entry;            /* refused by the PASID entry: never a page request */
	/* a vIOMMU model's fault (sim-viommu.h): its event record's contents */
	struct sim_vfault vf;
	/*
	 * A walk's fault, its message not formatted yet (sim_fault_msg()):
	 * a page request never shows it, and formatting it cost the batched
	 * fault path ~4% of its time.
	 */
	const char *walk_why; /* NULL: the message, if any, is set */
	unsigned int walk_level;
	uint32_t rflags, pasid;
	uint64_t iova;
};

/*
 * The stale-translation detector (sim-dma-translate.c): a cache hit of (@sd,
 * @pasid) on @sh gave @cached, a fresh walk @now (@err its result).
 * Records a mismatch; 0 to use the cached translation, -EIO (message set)
 * when strict mode refuses it.
 */
int sim_stale_hit(struct ioasid_ctx *ctx, struct sim_ctx *sim, const struct sim_dev *sd,
		  uint32_t pasid, const struct sim_hwpt *sh, uint64_t iova,
		  const struct sim_xlate *cached, const struct sim_xlate *now, int err);

/*
 * The IOTLB tag of @sh's cached translations: its id, or for a nested
 * HWPT on a vIOMMU the vIOMMU's VM tag (sim-viommu.h).
 */
uint32_t sim_hwpt_tag(const struct sim_hwpt *sh);

/* The HWPT (@sd, @pasid) is attached to, or NULL (sim-hwpt.c). */
struct sim_hwpt *sim_route_find(const struct sim_dev *sd, uint32_t pasid);

/*
 * How a fault the DMA engine found can be recovered (sim-smmuv3-stall.c):
 * false when it cannot (the request ends); else *@rv says how many pages
 * one group of page requests may take and its group index. VT-d and AMD: a
 * PRI device's group (up to FAULT_GROUP_MAX pages, a PRG index). SMMUv3:
 * only a stalled transaction, a group of one tagged with the SMMU's stall
 * tag; PRI requests are not taken (Linux 7.2's arm_smmu_handle_ppr()).
 * Consumes the group index: call it last, right before raising the group.
 */
struct sim_recov {
	uint32_t max;   /* pages one group may hold */
	uint16_t grpid; /* its PRG index or STAG */
	bool exact;     /* the record holds the faulting address (an SMMU event's), not its page */
};
bool sim_fault_recoverable(struct sim_ctx *sim, struct sim_dev *sd, const struct sim_fault_info *fi,
			   struct sim_recov *rv);

/* The capability chain of one simulated device (sim-caps.c). */
int sim_dev_caps(struct ioasid_ctx *ctx, const struct sim_profile *p,
		 const struct sim_dev_desc *d, void **ret_buf, size_t *ret_len);

/* Our caps.h region type for a profile region type. */
uint32_t sim_resv_to_caps(enum sim_resv_type t);

/* sim-hwpt.c: HWPT tables, their IOAS mirroring, cache maintenance, routes */
int sim_hwpt_alloc(struct ioasid_ctx *ctx, struct ioasid_hwpt *hwpt, struct ioasid_dev *dev);
int sim_hwpt_destroy(struct ioasid_ctx *ctx, struct ioasid_hwpt *hwpt);
int sim_area_map(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, const struct iova_area *a);
int sim_area_unmap(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, const struct iova_area *a);
int sim_hwpt_invalidate(struct ioasid_ctx *ctx, struct ioasid_hwpt *hwpt,
			const struct ioasid_inv_req *req, uint64_t *ret_dropped);
int sim_hwpt_set_dirty(struct ioasid_ctx *ctx, struct ioasid_hwpt *hwpt, bool enable);
int sim_hwpt_get_dirty(struct ioasid_ctx *ctx, struct ioasid_hwpt *hwpt, uint64_t iova,
		       uint64_t length, uint64_t page_size, uint64_t *bitmap, bool clear);
int sim_hwpt_json(struct ioasid_ctx *ctx, struct ioasid_hwpt *hwpt, json_t *obj);
int sim_dev_attach(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pasid,
		   struct ioasid_hwpt *hwpt);
int sim_dev_detach(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pasid,
		   struct ioasid_hwpt *hwpt);
/* Drop every cached translation of @sh (and of its nested children). */
uint64_t sim_flush_hwpt(struct sim_ctx *sim, struct sim_hwpt *sh);
/* Note that @sh has IOTLB entries cached under @pasid (struct sim_hwpt). */
void sim_hwpt_note_tlb_pasid(struct sim_hwpt *sh, uint32_t pasid);

/* sim-stats.c: the IOMMU's part of a context dump */
int sim_ctx_json(struct ioasid_ctx *ctx, json_t *doc);

/* File maps (sim-file.c): the backend ops file_view / file_unview. */
int sim_file_view(struct ioasid_ctx *ctx, int fd, uint64_t offset, uint64_t length, bool write,
		  uint64_t *ret_uva);
void sim_file_unview(struct ioasid_ctx *ctx, int fd, uint64_t uva, uint64_t length);

#endif
