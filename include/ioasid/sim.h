/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libioasid: the simulated IOMMU's own controls.
 *
 * A sim context runs one profile: an IOMMU model plus named devices
 * ("sim0", "sim1", ...), a built-in (ioasid_sim_profiles()) or a JSON file
 * (docs/profile-format.md). Devices can be added and removed at run time,
 * as hot-plug would; ioasidctl's `monitor` reports those events on the sim.
 */
#ifndef IOASID_SIM_H
#define IOASID_SIM_H

#include <stdbool.h>
#include <ioasid/ctx.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The simulated IOMMU translates with real VT-d tables: paging HWPTs in the
 * second-stage format, nested HWPTs through a guest's first-stage table.
 * docs/sim-first-stage.md says which first-stage entry bits the sim
 * honours and sets, and how it checks a request's permissions.
 */

/**
 * ioasid_sim_profiles() - the names of the built-in profiles, NULL-ended.
 */
IOASID_EXPORT const char *const *ioasid_sim_profiles(void);

/**
 * ioasid_sim_profile_name() - the profile a sim context runs.
 * @ctx: a sim context.
 * Return: its name, or NULL when @ctx is not a sim context.
 */
IOASID_EXPORT const char *ioasid_sim_profile_name(struct ioasid_ctx *ctx);

/* A reserved region of a simulated device. */
struct ioasid_sim_resv {
	uint64_t start;
	uint64_t last;  /* inclusive */
	uint32_t type;  /* IOASID_RESV_* of caps.h */
	uint32_t __reserved;
};

/* A device to add at run time; see IOASID_OPTS_INIT(). */
struct ioasid_sim_dev_desc {
	size_t sz;
	const char *name;        /* unique in the context */
	const char *bdf;         /* PCI address or NULL */
	uint64_t pgsize_bitmap;  /* never 0 */
	uint32_t pasid_width;    /* 0 = no PASID; at most the IOMMU's */
	uint32_t flags;          /* IOASID_SIM_DEV_PRI, IOASID_SIM_DEV_ATS, IOASID_SIM_DEV_STALL */
	const struct ioasid_sim_resv *resv;
	uint32_t nr_resv;
	uint32_t __reserved;
};

/* Flags of struct ioasid_sim_dev_desc: the device takes page requests (PCIe PRI), serves ATS. */
#define IOASID_SIM_DEV_PRI (1u << 0)
#define IOASID_SIM_DEV_ATS (1u << 1)
/*
 * SMMUv3 only: the device can stall (firmware's dma-can-stall); on an SMMU
 * with IDR0.STALL_MODEL 0 its faults become page requests (groups of one).
 */
#define IOASID_SIM_DEV_STALL (1u << 2)

/**
 * ioasid_sim_dev_add() - add a device to the running profile.
 * @ctx: a sim context.
 * @desc: the device.
 * Return: 0; -EINVAL a bad field (message names it and its value);
 * -EEXIST the name is taken; -EOPNOTSUPP not a sim context; -E2BIG
 * non-zero unknown tail; -ENOMEM.
 */
IOASID_EXPORT int ioasid_sim_dev_add(struct ioasid_ctx *ctx,
				     const struct ioasid_sim_dev_desc *desc);

/**
 * ioasid_sim_dev_remove() - remove a device (hot unplug).
 * @ctx: a sim context.
 * @name: its name.
 * Return: 0; -ENOENT unknown name; -EBUSY while it is bound.
 */
IOASID_EXPORT int ioasid_sim_dev_remove(struct ioasid_ctx *ctx,
					const char *name);

/* A sim hot-plug event. */
enum ioasid_sim_event {
	IOASID_SIM_DEV_ADDED = 1,
	IOASID_SIM_DEV_REMOVED = 2,
};

/*
 * Called after a device was added or removed, without the context lock
 * held.
 */
typedef void (*ioasid_sim_event_cb)(void *data, struct ioasid_ctx *ctx,
				    enum ioasid_sim_event ev, const char *name);

/**
 * ioasid_sim_set_event_cb() - set (or clear with NULL) the hot-plug callback.
 * @ctx: a sim context.
 * @cb: callback.
 * @data: passed to @cb.
 * Return: 0, or -EOPNOTSUPP when @ctx is not a sim context.
 */
IOASID_EXPORT int ioasid_sim_set_event_cb(struct ioasid_ctx *ctx,
					  ioasid_sim_event_cb cb, void *data);

/* ---- the DMA engine, translation caches and the stale detector ---- */

/*
 * What a request is (ioasid_sim_dma_flags(), ioasid_sim_dma_submit_flags()):
 * the attributes of a PCIe memory request. PR and ER travel in the PASID
 * TLP prefix, so only a request with a PASID can carry them; a request
 * without PASID is a user-mode data access. How the simulated VT-d checks
 * them (U/S, R/W, XD, the PASID entry's SRE, WPE and ERE) and which fault
 * each refusal raises: docs/sim-first-stage.md.
 */
#define IOASID_SIM_DMA_WRITE (1u << 0) /* the device writes memory (else it reads) */
#define IOASID_SIM_DMA_PRIV (1u << 1)  /* Privileged Mode Requested: supervisor mode */
#define IOASID_SIM_DMA_EXEC (1u << 2)  /* Execute Requested: an instruction fetch (a read) */

/**
 * ioasid_sim_dma() - a DMA by a simulated device, blocking until it ends
 * (ioasid_sim_dma_submit() + ioasid_sim_dma_wait() without a limit: a page
 * request is answered by the owner or, at the latest, by the timeout):
 * copy between @buf and the
 * process memory behind @iova, translated as the IOMMU would (device IOTLB
 * for ATS devices, IOTLB, then a page walk; nested HWPTs walk stage 1 with
 * every table access translated through stage 2), with permission checks.
 * @ctx: a sim context.
 * @dev: a bound device.
 * @pasid: IOASID_PASID_NONE for a request without PASID, else the PASID.
 * @iova: first IOVA.
 * @buf: the device side of the copy.
 * @len: bytes.
 * @write: true: the device writes memory (from @buf); false: it reads.
 * @ret_done: if not NULL, bytes copied before a failure (all on success).
 *
 * A translation failure stops at the failing page: nothing is copied past
 * it, and a fault record is raised for the device at (@dev, @pasid).
 * The request is a user-mode data access (ioasid_sim_dma_flags() issues
 * others): a nested HWPT's stage 1 must grant U/S at every level.
 * Return: 0; -EFAULT no translation (not present, reserved bit, outside the
 * domain, nothing attached at (@dev, @pasid)), or process memory behind it
 * that the program unmapped or protected after mapping it (the copy stops
 * there; the process is not signalled); -EACCES the translation
 * lacks the permission; -EIO a stale cached translation refused in strict
 * mode; -ENOENT unknown device; -EOPNOTSUPP not a sim context.
 */
IOASID_EXPORT int ioasid_sim_dma(struct ioasid_ctx *ctx, uint32_t dev,
				 uint32_t pasid, uint64_t iova, void *buf,
				 size_t len, bool write, size_t *ret_done);

/**
 * ioasid_sim_dma_flags() - ioasid_sim_dma() with the request's attributes:
 * a write, a privileged (supervisor-mode) request, an execute request.
 * @ctx: a sim context.
 * @dev: a bound device.
 * @pasid: IOASID_PASID_NONE or the PASID (PRIV and EXEC need one).
 * @iova: first IOVA.
 * @buf: the device side of the copy.
 * @len: bytes.
 * @flags: IOASID_SIM_DMA_WRITE, IOASID_SIM_DMA_PRIV, IOASID_SIM_DMA_EXEC.
 * @ret_done: if not NULL, bytes copied before a failure (all on success).
 *
 * The fault records of the request carry IOASID_FAULT_F_PRIV and
 * IOASID_FAULT_F_EXEC as it did. A request the PASID entry refuses (an
 * execute request: the kernel never sets ERE; a privileged one without
 * SRE) is an unrecoverable fault even for a PRI device: no page request.
 * Return: as ioasid_sim_dma(); -EACCES also for a request the PASID entry
 * refuses or a stage-1 U/S, R/W or XD refusal (the message names the
 * rule); -EINVAL unknown flags, PRIV or EXEC without a PASID, EXEC with
 * WRITE.
 */
IOASID_EXPORT int ioasid_sim_dma_flags(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid,
				       uint64_t iova, void *buf, size_t len, uint32_t flags,
				       size_t *ret_done);

/**
 * ioasid_sim_dma_read() - the device reads @len bytes at @iova into @buf.
 * @ctx: a sim context.
 * @dev: a bound device.
 * @pasid: IOASID_PASID_NONE or the PASID.
 * @iova: first IOVA.
 * @buf: destination.
 * @len: bytes.
 * @ret_done: bytes done (may be NULL).
 * Return: as ioasid_sim_dma().
 */
IOASID_EXPORT int ioasid_sim_dma_read(struct ioasid_ctx *ctx, uint32_t dev,
				      uint32_t pasid, uint64_t iova, void *buf,
				      size_t len, size_t *ret_done);

/**
 * ioasid_sim_dma_write() - the device writes @len bytes from @buf at @iova.
 * @ctx: a sim context.
 * @dev: a bound device.
 * @pasid: IOASID_PASID_NONE or the PASID.
 * @iova: first IOVA.
 * @buf: source.
 * @len: bytes.
 * @ret_done: bytes done (may be NULL).
 * Return: as ioasid_sim_dma().
 */
IOASID_EXPORT int ioasid_sim_dma_write(struct ioasid_ctx *ctx, uint32_t dev,
				       uint32_t pasid, uint64_t iova,
				       const void *buf, size_t len,
				       size_t *ret_done);

/**
 * ioasid_sim_dma_submit() - start a DMA; the asynchronous core of the
 * engine. A PRI-capable device whose HWPT has a fault queue raises a page
 * request group when a page does not translate (or lacks the permission),
 * and the request waits: -EAGAIN with a handle. On an SMMUv3 profile only a
 * stall-capable master does (IOASID_SIM_DEV_STALL, the profile's "stall"),
 * one page at a time, as Linux 7.2 takes no PCIe page requests there. When the owner answers
 * SUCCESS the device retries and the DMA completes (or raises the next
 * group); INVALID ends it with -EFAULT, FAILURE (also the timeout's and a
 * full queue's answer) with -EIO. @buf must stay valid until the request
 * is collected with ioasid_sim_dma_poll() or ioasid_sim_dma_wait().
 * @ctx: a sim context.
 * @dev: a bound device.
 * @pasid: IOASID_PASID_NONE or the PASID.
 * @iova: first IOVA.
 * @buf: the device side of the copy.
 * @len: bytes.
 * @write: the device writes memory (true) or reads it.
 * @ret_handle: the handle when -EAGAIN is returned.
 * @ret_done: bytes done so far.
 * Return: as ioasid_sim_dma(), or -EAGAIN with *@ret_handle set.
 */
IOASID_EXPORT int ioasid_sim_dma_submit(struct ioasid_ctx *ctx, uint32_t dev,
					uint32_t pasid, uint64_t iova, void *buf,
					size_t len, bool write, uint64_t *ret_handle,
					size_t *ret_done);

/**
 * ioasid_sim_dma_submit_flags() - ioasid_sim_dma_submit() with the
 * request's attributes, as ioasid_sim_dma_flags() takes them (a page
 * request group of the request carries its PRIV and EXEC flags).
 * @ctx: a sim context.
 * @dev: a bound device.
 * @pasid: IOASID_PASID_NONE or the PASID.
 * @iova: first IOVA.
 * @buf: the device side of the copy.
 * @len: bytes.
 * @flags: IOASID_SIM_DMA_*.
 * @ret_handle: the handle when -EAGAIN is returned.
 * @ret_done: bytes done so far.
 * Return: as ioasid_sim_dma_flags(), or -EAGAIN with *@ret_handle set.
 */
IOASID_EXPORT int ioasid_sim_dma_submit_flags(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid,
					      uint64_t iova, void *buf, size_t len, uint32_t flags,
					      uint64_t *ret_handle, size_t *ret_done);

/**
 * ioasid_sim_dma_poll() - has a pending DMA finished? Collects it if so.
 * @ctx: a sim context.
 * @handle: from ioasid_sim_dma_submit().
 * @ret_done: bytes done.
 * Return: -EAGAIN still waiting; -ENOENT unknown (or collected) handle;
 * else the DMA's result, and the handle is released.
 */
IOASID_EXPORT int ioasid_sim_dma_poll(struct ioasid_ctx *ctx, uint64_t handle,
				      size_t *ret_done);

/**
 * ioasid_sim_dma_wait() - block until a pending DMA finishes, at most
 * @timeout_ns (UINT64_MAX: no limit); collects it.
 * @ctx: a sim context.
 * @handle: from ioasid_sim_dma_submit().
 * @timeout_ns: the limit.
 * @ret_done: bytes done.
 * Return: as ioasid_sim_dma_poll(), or -ETIMEDOUT (still pending; the
 * handle stays valid).
 */
IOASID_EXPORT int ioasid_sim_dma_wait(struct ioasid_ctx *ctx, uint64_t handle,
				      uint64_t timeout_ns, size_t *ret_done);

/*
 * What to do with a DMA served from a cached translation that no longer
 * matches the page tables (the guest changed a table and did not
 * invalidate). Either way the event is counted and recorded.
 */
enum ioasid_sim_stale_mode {
	IOASID_SIM_STALE_FAITHFUL = 0, /* use the stale entry, as hardware does */
	IOASID_SIM_STALE_STRICT = 1,   /* refuse the DMA (-EIO) */
};

/**
 * ioasid_sim_set_stale_mode() - choose the stale-translation behaviour.
 * @ctx: a sim context.
 * @mode: the mode.
 * Return: 0; -EINVAL unknown mode; -EOPNOTSUPP not a sim context.
 */
IOASID_EXPORT int ioasid_sim_set_stale_mode(struct ioasid_ctx *ctx,
					    enum ioasid_sim_stale_mode mode);

/*
 * One stale-translation event: a DMA through a nested HWPT served by a
 * cached translation the tables no longer give. The addresses a VMM
 * emulating the guest's IOMMU acts on are the guest's: @iova (the stage-1
 * input) and the stage-1 outputs @cached_gpa and @current_gpa
 * (guest-physical, i.e. IOVAs of the nest parent's IOAS); @cached_addr and
 * @current_addr are the host addresses they ended at. 96 bytes.
 */
struct ioasid_sim_stale_event {
	uint32_t dev;          /* device id */
	uint32_t pasid;        /* IOASID_PASID_NONE or the PASID */
	uint32_t hwpt;         /* the HWPT whose cache served it */
	uint32_t cached_perm;  /* IOASID_MAP_READ/WRITE of the cached entry */
	uint64_t iova;         /* the guest's IOVA (stage-1 input) */
	uint64_t cached_addr;  /* host address the cache sent the access to */
	uint64_t current_addr; /* host address the tables send it to now; 0 if nowhere */
	uint32_t current_perm; /* 0 if the tables have no translation */
	int32_t current_err;   /* 0, or the walk's negative errno */
	uint64_t seq;          /* 1, 2, ... in order of detection */
	uint64_t cached_gpa;   /* the guest-physical address the cache used */
	uint64_t current_gpa;  /* with IOASID_SIM_STALE_F_CURRENT_GPA: stage 1's output now */
	uint32_t flags;        /* IOASID_SIM_STALE_F_* */
	uint32_t __reserved0;
	uint64_t __reserved[2];
};

/* Stage 1 translates the IOVA now (the fault, if any, is in stage 2). */
#define IOASID_SIM_STALE_F_CURRENT_GPA (1u << 0)

/**
 * ioasid_sim_stale_events() - the recorded stale events, oldest first (the
 * last 256 are kept; seq tells how many there were in all).
 * @ctx: a sim context.
 * @out: array of *@inout_num entries.
 * @inout_num: in: capacity; out: entries written.
 * Return: 0; -EOPNOTSUPP not a sim context.
 */
IOASID_EXPORT int ioasid_sim_stale_events(struct ioasid_ctx *ctx,
					  struct ioasid_sim_stale_event *out,
					  uint32_t *inout_num);

/* Counters of the simulated IOMMU's caches and walks. */
struct ioasid_sim_cache_stats {
	uint64_t iotlb_hits, iotlb_misses, iotlb_inserts, iotlb_evictions;
	uint64_t devtlb_hits, devtlb_misses;
	uint64_t pasid_cache_hits, pasid_cache_misses;
	uint64_t context_cache_hits; /* per-device context entries reused */
	uint64_t walks;          /* page walks (a nested walk counts once) */
	uint64_t walk_reads;     /* table entries read by walks */
	uint64_t invalidations;  /* requests handled */
	uint64_t inv_entries;    /* cache entries dropped */
	uint64_t stale_hits;     /* DMAs served from a stale entry */
	uint64_t dma_reads, dma_writes, dma_bytes;
	uint64_t faults;         /* translation failures */
	uint64_t __reserved[3];
};

/**
 * ioasid_sim_cache_stats() - read the counters.
 * @ctx: a sim context.
 * @ret_stats: filled in.
 * Return: 0; -EOPNOTSUPP not a sim context.
 */
IOASID_EXPORT int ioasid_sim_cache_stats(struct ioasid_ctx *ctx,
					 struct ioasid_sim_cache_stats *ret_stats);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_SIM_H */
