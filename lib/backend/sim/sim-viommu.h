/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sim's vIOMMU objects (issue #13): the backend ops for vIOMMUs,
 * vDEVICEs, vEVENTQs and HW queues (sim-viommu.c), shared by every vendor
 * model, and the ops table each model fills (sim-smmuv3.c, the AMD one).
 *
 * The split is the kernel's: what iommufd's core does (objects, the event
 * queue with its sequence numbers and LOST_EVENTS mark, guest memory read
 * through the nest parent's stage 2) lives in sim-viommu.c; what a driver
 * does (which vIOMMU type it takes, the nested data it accepts, the vendor
 * commands it forwards, how it translates a nested DMA and what event
 * record a fault becomes) is one struct sim_viommu_model per vendor model,
 * chosen by the profile's vendor. A profile whose vendor has no model
 * (VT-d, virtio-iommu, generic) answers -EOPNOTSUPP, as the kernel's
 * drivers without vIOMMU support do.
 *
 * Caches: a model tags its nested translations in the sim's IOTLB with the
 * vIOMMU's VM tag (sim_viommu.tag, derived from the nest parent as the
 * kernel derives the VMID / domain id from it) and a model-chosen sub-tag
 * in the PASID slot (SMMUv3: the ASID), so that the guest's invalidation
 * commands map onto the IOTLB's invalidations and a guest that forgets one
 * keeps its stale entries; sim_hwpt_tag() gives the tag the sim's own
 * flushes (stage-2 unmap, HWPT teardown) must drop.
 */
#ifndef IOASID_SIM_VIOMMU_H
#define IOASID_SIM_VIOMMU_H

#include "sim-private.h"
#include "core/viommu-private.h"

struct sim_viommu;
struct sim_vdev;

/* One record waiting in a vEVENTQ. */
struct sim_vevent {
	struct sim_vevent *next;
	uint32_t seq;
	uint8_t data[IOASID_VEVENT_DATA_MAX];
};

/*
 * A vEVENTQ's pending events, as the kernel's deliver list keeps them:
 * records in order, and at most one LOST_EVENTS header, always last (a
 * record added after it takes it away; the sequence gap stays).
 */
struct sim_veventq {
	struct ioasid_veventq *q; /* the core's object */
	struct sim_viommu *sv;
	int efd; /* eventfd, readable while something waits */
	uint32_t depth;
	uint32_t rec_len;                 /* the type's record length (0: the model has none) */
	struct sim_vevent *first, **tail; /* records waiting, oldest first */
	uint32_t count;
	bool efd_set;      /* the eventfd's counter is non-zero */
	uint32_t next_seq; /* the kernel's veventq->sequence (wraps at 2^31) */
	bool lost;         /* the LOST_EVENTS header is at the tail */
	uint32_t lost_seq;
	uint64_t reported, dropped;
	struct sim_veventq *next; /* the vIOMMU's queues */
};

/* Per vDEVICE: a device's virtual id (SMMUv3 vSID, AMD guest device id). */
struct sim_vdev {
	struct ioasid_vdevice *vd; /* the core's object */
	struct sim_viommu *sv;
	struct sim_dev *sd;
	uint64_t virt_id;
	struct sim_vdev *next;
};

/* Per vIOMMU. */
struct sim_viommu {
	const struct sim_viommu_model *model;
	struct ioasid_viommu *v; /* the core's object */
	struct sim_hwpt *parent; /* the nest parent: the VM's stage 2 */
	/*
	 * The VM's IOTLB tag: one per nest parent (the kernel takes the
	 * VMID / domain id from the parent domain), in a range no HWPT id
	 * reaches, so that two vIOMMUs over one parent share their TLB
	 * entries as they do on the hardware.
	 */
	uint32_t tag;
	struct sim_vdev *vdevs;
	struct sim_veventq *queues;
	void *priv;              /* the model's */
	struct sim_viommu *next; /* the context's vIOMMUs */
};

/* The IOTLB tag of a vIOMMU over nest parent @parent_id. */
#define SIM_VIOMMU_TAG_BASE 0x80000000u
static inline uint32_t sim_viommu_tag_of(uint32_t parent_id)
{
	return SIM_VIOMMU_TAG_BASE | parent_id;
}

/*
 * What the DMA engine hands a model's translate(): the request, resolved
 * to the device's route (@sh is the nested HWPT on the vIOMMU).
 */
struct sim_vreq {
	struct ioasid_ctx *ctx;
	struct sim_ctx *sim;
	struct sim_dev *sd;
	struct sim_hwpt *sh;
	uint32_t pasid; /* IOASID_PASID_NONE: without PASID / SSID */
	uint64_t iova;
	uint32_t rflags; /* IOASID_SIM_DMA_* */
};

/*
 * One vendor model. Every op is set unless said otherwise. The core's
 * checks (kernel-uapi.md §1.8) ran before each; an op answers the
 * driver's part with the driver's errnos and a message (ioasid_err).
 */
struct sim_viommu_model {
	const char *name;       /* "smmuv3" */
	enum sim_vendor vendor; /* the profiles it serves */
	uint32_t hwpt_type;     /* the nested HWPT data type (IOASID_HWPT_NESTED_*) */
	uint32_t inv_type;      /* the invalidation data type (IOASID_VIOMMU_INV_*) */
	uint32_t vevent_type;   /* the vEVENTQ type it reports (IOASID_VEVENTQ_*) */
	uint32_t vevent_len;    /* its record's bytes (<= IOASID_VEVENT_DATA_MAX) */

	/*
	 * The driver's get_viommu_size(): whether the IOMMU has vIOMMUs of
	 * @type (features, type), before the core looks at the HWPT.
	 */
	int (*viommu_check)(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t type);
	/* IOMMU_VIOMMU_ALLOC's driver part after it: @data (in and out), the model's state. */
	int (*viommu_init)(struct ioasid_ctx *ctx, struct sim_viommu *sv, struct ioasid_dev *dev,
			   void *data, uint32_t data_len);
	/* Free sv->priv; NULL: the model keeps none. */
	void (*viommu_fini)(struct sim_viommu *sv);
	/* IOMMU_VDEVICE_ALLOC's driver part (virtual id rules); NULL: any id. */
	int (*vdevice_init)(struct ioasid_ctx *ctx, struct sim_viommu *sv, struct sim_vdev *svd);
	/*
	 * A nested HWPT from the guest's data (h->vdata, h->vdata_len):
	 * validate it as the driver does and fill sh->vpriv.
	 */
	int (*nested_alloc)(struct ioasid_ctx *ctx, struct sim_viommu *sv, struct ioasid_hwpt *h,
			    struct sim_hwpt *sh);
	void (*nested_free)(struct sim_hwpt *sh);
	/* The driver's attach checks of (@sd, @pasid) to nested @sh; NULL: none. */
	int (*attach_check)(struct ioasid_ctx *ctx, struct sim_viommu *sv, struct sim_dev *sd,
			    uint32_t pasid, struct sim_hwpt *sh);
	/*
	 * Translate a DMA request through nested @rq->sh: its caches, its
	 * walk of the guest's structures in guest memory (each access through
	 * stage 2, sim_viommu_gpa_*), the stale check of a cache hit
	 * (sim_viommu_stale()). 0 with @x filled; or a negative errno with a
	 * message, fi->reason and, for an event, fi->vf filled.
	 */
	int (*translate)(const struct sim_vreq *rq, struct sim_xlate *x, struct sim_fault_info *fi);
	/*
	 * The vendor invalidation array of IOMMU_HWPT_INVALIDATE on the
	 * vIOMMU, after the core's bounds: *@num in: entries, out: handled,
	 * exactly as the driver counts them.
	 */
	int (*invalidate)(struct ioasid_ctx *ctx, struct sim_viommu *sv, uint32_t data_type,
			  const void *entries, uint32_t entry_len, uint32_t *num);
	/*
	 * @vf as the model's event record of vevent_len bytes, for vDEVICE
	 * @virt_id. NULL when vevent_type is 0 (the model reports no events).
	 */
	void (*encode_event)(const struct sim_viommu *sv, const struct sim_vfault *vf,
			     uint64_t virt_id, uint8_t *rec);
	/* IOMMU_HW_QUEUE_ALLOC's driver part; NULL: no HW queues (-EOPNOTSUPP). */
	int (*hw_queue_init)(struct ioasid_ctx *ctx, struct sim_viommu *sv,
			     struct ioasid_hw_queue *hq);
};

extern const struct sim_viommu_model sim_viommu_smmuv3, sim_viommu_amd;

/* The model of @p's vendor, or NULL. */
const struct sim_viommu_model *sim_viommu_model_of(const struct sim_profile *p);

/* ---- for the models ---- */

/* The vDEVICE of @sd on @sv, or NULL. */
struct sim_vdev *sim_viommu_vdev_of(const struct sim_viommu *sv, const struct sim_dev *sd);
/*
 * At an attach of @sd's RID to @sh: its vmaster (the vIOMMU of a nested
 * @sh and the device's virtual id there), which events keep using until
 * the next attach or detach.
 */
void sim_viommu_set_vmaster(struct sim_dev *sd, const struct sim_hwpt *sh);
/* The vDEVICE at @virt_id on @sv, or NULL. */
struct sim_vdev *sim_viommu_vdev_at(const struct sim_viommu *sv, uint64_t virt_id);

/*
 * Guest memory through the vIOMMU's stage 2: what the hardware reads
 * (and, for its table updates, writes) at guest-physical @gpa. A stage-2
 * fault returns -ENOENT / -EACCES with @r (may be NULL) describing it; a
 * page the VMM took away -EFAULT.
 */
int sim_viommu_gpa_read(const struct sim_viommu *sv, uint64_t gpa, void *buf, size_t len,
			struct sim_pt_result *r);

/*
 * A walker whose table reads (and A/D updates) go to guest memory through
 * @sv's stage 2, for a walk of @fmt with @levels. @s2 receives the
 * stage-2 result of the access that failed, if any.
 */
struct sim_viommu_walk {
	struct sim_pt_walker w;
	const struct sim_viommu *sv;
	struct sim_pt_walker s2;
	unsigned int s2_flags;         /* SIM_PT_WALK_SET_AD while the parent tracks dirty */
	struct sim_pt_result s2_fault; /* the stage-2 result of a failed access */
	bool s2_failed;
	unsigned int reads; /* stage-2 entries fetched */
};
void sim_viommu_walk_init(struct sim_viommu_walk *vw, const struct sim_viommu *sv,
			  enum sim_pt_format fmt, unsigned int levels, unsigned int oa_bits,
			  bool set_ad);

/*
 * Translate guest-physical @gpa by the stage 2 for an access @acc
 * (SIM_PT_R / SIM_PT_W): 0 and @r, or the walk's error with @r saying why.
 */
int sim_viommu_s2(const struct sim_viommu *sv, uint64_t gpa, unsigned int acc, bool set_ad,
		  struct sim_pt_result *r);

/*
 * A cache hit of @rq found @cached, and a fresh walk @now (@err its
 * result): the stale-translation detector (sim-dma-translate.c, shared). 0 to use
 * the cached one; -EIO (message set) when strict mode refuses it.
 */
int sim_viommu_stale(const struct sim_vreq *rq, const struct sim_xlate *cached,
		     const struct sim_xlate *now, int err);

/* Queue @vf on @sv's vEVENTQ of the model's type (none: the kernel drops it). */
void sim_viommu_report(struct sim_viommu *sv, struct sim_dev *sd, const struct sim_vfault *vf);

/* ---- for the rest of the sim ---- */

/* sim_dev_attach's driver checks for a nested HWPT on a vIOMMU. */
int sim_viommu_attach_check(struct ioasid_ctx *ctx, struct sim_dev *sd, uint32_t pasid,
			    struct sim_hwpt *sh);
/* sim_hwpt_alloc / _destroy of a nested HWPT on a vIOMMU. */
int sim_viommu_nested_alloc(struct ioasid_ctx *ctx, struct ioasid_hwpt *h, struct sim_hwpt *sh);
void sim_viommu_nested_free(struct sim_hwpt *sh);
/* The DMA engine's translation through a nested HWPT on a vIOMMU. */
int sim_viommu_translate(const struct sim_vreq *rq, struct sim_xlate *x, struct sim_fault_info *fi);

/* The backend ops (backend.h, the vIOMMU block). */
int sim_viommu_check(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t type);
int sim_viommu_alloc(struct ioasid_ctx *ctx, struct ioasid_viommu *v, struct ioasid_dev *dev,
		     void *data, uint32_t data_len);
int sim_viommu_destroy(struct ioasid_ctx *ctx, struct ioasid_viommu *v);
int sim_viommu_invalidate(struct ioasid_ctx *ctx, struct ioasid_viommu *v, uint32_t data_type,
			  const void *entries, uint32_t entry_len, uint32_t *num);
int sim_vdevice_alloc(struct ioasid_ctx *ctx, struct ioasid_vdevice *vd);
int sim_vdevice_destroy(struct ioasid_ctx *ctx, struct ioasid_vdevice *vd);
int sim_veventq_alloc(struct ioasid_ctx *ctx, struct ioasid_veventq *q, int *ret_fd);
int sim_veventq_destroy(struct ioasid_ctx *ctx, struct ioasid_veventq *q);
int sim_veventq_read(struct ioasid_ctx *ctx, struct ioasid_veventq *q, struct ioasid_vevent *out,
		     uint32_t cap, uint32_t *ret_n);
int sim_hw_queue_alloc(struct ioasid_ctx *ctx, struct ioasid_hw_queue *hq);
int sim_hw_queue_destroy(struct ioasid_ctx *ctx, struct ioasid_hw_queue *hq);

#endif
