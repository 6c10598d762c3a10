/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libioasid: hardware page tables (HWPT) and cache invalidation.
 *
 * A paging HWPT is a real IOMMU domain mirroring an address space (stage 2,
 * or the only stage); one is made implicitly when a device attaches to an
 * IOAS, as iommufd's automatic domain. A nest-parent paging HWPT can carry
 * nested stage-1 HWPTs whose tables live in guest memory (memory mapped in
 * the parent's IOAS) and belong to the guest: the guest edits them and must
 * invalidate the caches, exactly as on hardware.
 *
 * Devices attach to an HWPT with ioasid_dev_attach(), naming its id.
 */
#ifndef IOASID_HWPT_H
#define IOASID_HWPT_H

#include <stdbool.h>
#include <ioasid/ctx.h>
#include <ioasid/dev.h>

#ifdef __cplusplus
extern "C" {
#endif

/* HWPT kinds (ioasid_hwpt_opts.type); values are iommufd's data types. */
enum ioasid_hwpt_type {
	IOASID_HWPT_PAGING = 0,        /* over an IOAS */
	IOASID_HWPT_NESTED_VTD_S1 = 1, /* VT-d stage 1 over a nest parent */
	/*
	 * Nested HWPTs made on a vIOMMU (@pt of ioasid_hwpt_alloc() a vIOMMU,
	 * include/ioasid/viommu.h); their data is the driver's, passed on
	 * unchanged: struct ioasid_hwpt_arm_smmuv3, struct
	 * ioasid_hwpt_amd_guest, the test driver's two words.
	 */
	IOASID_HWPT_NESTED_ARM_SMMUV3 = 2, /* a guest STE */
	IOASID_HWPT_NESTED_AMD_GUEST = 3,  /* a guest DTE */
	/* the kernel's test driver (CONFIG_IOMMUFD_TEST), for test rigs */
	IOASID_HWPT_NESTED_SELFTEST = 0xdead,
};

/* SMMUv3 nested data: the guest's Stream Table Entry, words 0-1 (LE). */
struct ioasid_hwpt_arm_smmuv3 {
	uint64_t ste[2];
};

/* AMD nested data: the guest's Device Table Entry (LE). */
struct ioasid_hwpt_amd_guest {
	uint64_t dte[4];
};

/* Allocation flags: iommufd's IOMMU_HWPT_ALLOC_* values. */
#define IOASID_HWPT_NEST_PARENT     (1u << 0)
#define IOASID_HWPT_DIRTY_TRACKING  (1u << 1)
#define IOASID_HWPT_FAULT_ID_VALID  (1u << 2) /* fault_queue is set */
#define IOASID_HWPT_PASID           (1u << 3) /* may be attached to PASIDs */

/* VT-d stage-1 data: the kernel's struct iommu_hwpt_vtd_s1, 24 bytes. */
struct ioasid_hwpt_vtd_s1 {
	uint64_t flags;      /* IOASID_VTD_S1_* */
	uint64_t pgtbl_addr; /* stage-1 root, a guest physical (parent IOVA) */
	uint32_t addr_width; /* 48 (4-level) or 57 (5-level) */
	uint32_t __reserved; /* 0 */
};

#define IOASID_VTD_S1_SRE  (1ull << 0) /* supervisor requests */
#define IOASID_VTD_S1_EAFE (1ull << 1) /* extended access flag */
#define IOASID_VTD_S1_WPE  (1ull << 2) /* write protect */

/* Options of ioasid_hwpt_alloc(); see IOASID_OPTS_INIT(). */
struct ioasid_hwpt_opts {
	size_t sz;
	uint32_t flags;       /* IOASID_HWPT_* */
	uint32_t type;        /* enum ioasid_hwpt_type */
	/*
	 * Type-specific data (struct ioasid_hwpt_vtd_s1), exactly the
	 * kernel's struct: no size word, so @data_len must be its size.
	 * Not looked at while @data_len is 0.
	 */
	const void *data;
	uint32_t data_len;    /* bytes at @data */
	/*
	 * With IOASID_HWPT_FAULT_ID_VALID. Deliberately stricter than the
	 * kernel, which ignores its fault_id without the flag: a queue
	 * named without the flag is -EINVAL rather than silently unused.
	 */
	uint32_t fault_queue;
};

/**
 * ioasid_hwpt_alloc() - make a hardware page table for @dev.
 * @ctx: the context.
 * @dev: the device the table is made for (its IOMMU decides the format).
 * @pt: an IOAS (paging HWPT) or a nest-parent paging HWPT (nested HWPT).
 * @opts: flags, type and data (NULL: a plain paging HWPT).
 * @ret_hwpt: the new HWPT's id.
 *
 * The kernel's answers, in its order (kernel-uapi.md §1.4): the data
 * against the type first, then the device, then what @pt names.
 *
 * Over a vIOMMU (@pt a vIOMMU id): only a nested HWPT, with the
 * vIOMMU's driver's data (kernel-uapi.md §1.8); flags other than
 * FAULT_ID_VALID and PASID, or no data, are -EOPNOTSUPP, a device behind
 * another IOMMU -EINVAL, and the data is the driver's to judge. The
 * library keeps up to 32 bytes of it (the largest driver struct, AMD's
 * DTE): a longer @data_len is -E2BIG, stricter than the kernel, which
 * would take a zero tail.
 *
 * Return: 0; -EINVAL a paging type with a @data_len or another type
 * without one, a @pt that does not exist or is neither an IOAS nor a
 * paging HWPT (the kernel does not say ENOENT there), a nested HWPT over a
 * parent without NEST_PARENT or over an automatic domain, stage-1 data of
 * another length than the kernel's struct or with a bad field (the
 * message names it), a fault queue without FAULT_ID_VALID; -EFAULT stage-1
 * data at NULL; -ENOENT unknown @dev or fault queue; -EOPNOTSUPP a flag or
 * type the IOMMU cannot do (nesting, dirty tracking, PASID), FAULT_ID_VALID
 * with NEST_PARENT, a paging type over an HWPT, a nested type over an IOAS,
 * a nested HWPT with flags other than FAULT_ID_VALID and PASID; -EPERM a
 * queue of a set that may not act on the IOAS; -E2BIG non-zero unknown tail
 * of @opts; -ENOMEM.
 */
IOASID_EXPORT int ioasid_hwpt_alloc(struct ioasid_ctx *ctx, uint32_t dev,
				    uint32_t pt,
				    const struct ioasid_hwpt_opts *opts,
				    uint32_t *ret_hwpt);

/**
 * ioasid_hwpt_destroy() - destroy an HWPT.
 * @ctx: the context.
 * @hwpt: the HWPT.
 * Return: 0; -ENOENT; -EBUSY while attached or parent of nested HWPTs;
 * the kernel's errno when it refuses IOMMU_DESTROY (the HWPT stays, and
 * the call may be retried).
 */
IOASID_EXPORT int ioasid_hwpt_destroy(struct ioasid_ctx *ctx, uint32_t hwpt);

/**
 * ioasid_hwpt_ioas() - the IOAS whose mappings an HWPT translates.
 * @ctx: the context.
 * @hwpt: any HWPT: one the caller allocated, or the automatic one an
 *        attach to an IOAS made (whose id a fault record carries, and
 *        ioasid_dev_attached() does not give: it answers the IOAS).
 * @ret_ioas: a paging HWPT's IOAS; for a nested HWPT, its parent's IOAS
 *            (the stage-2 the guest's stage-1 table sits in).
 * Return: 0; -ENOENT no HWPT @hwpt; -EINVAL @ret_ioas NULL.
 */
IOASID_EXPORT int ioasid_hwpt_ioas(struct ioasid_ctx *ctx, uint32_t hwpt, uint32_t *ret_ioas);

/* Invalidation request kinds. */
enum ioasid_inv_kind {
	/* translations cached by the IOMMU; the device TLBs of the devices
	 * using the HWPT are flushed along, as the kernel does for VT-d */
	IOASID_INV_IOTLB = 1,
	IOASID_INV_DEV_IOTLB = 2,   /* only the device TLBs (ATS) */
	IOASID_INV_PASID_CACHE = 3, /* cached PASID-table entries */
};

/* Granularity. */
enum ioasid_inv_gran {
	IOASID_INV_ALL = 1,   /* everything of the HWPT */
	IOASID_INV_PASID = 2, /* everything of one PASID */
	IOASID_INV_RANGE = 3, /* addr + npages pages of 2^log2_pgsize bytes */
};

#define IOASID_INV_LEAF (1u << 0) /* only leaf entries changed */

/*
 * One request; versioned, explicitly padded, size-prefixed: @size is
 * sizeof(struct ioasid_inv_req) as the caller was built (48 today; a
 * multiple of 8). It is also the array's stride: every request of one call
 * carries the same size. A longer request must have a zero tail.
 * IOASID_INV_REQ_INIT sets size and version and zeroes the rest, in C and
 * C++:
 *
 *   struct ioasid_inv_req r = IOASID_INV_REQ_INIT;
 *
 *   r.kind = IOASID_INV_IOTLB;
 *   r.granularity = IOASID_INV_ALL;
 */
#define IOASID_INV_REQ_VERSION 1

/* One cache invalidation request of ioasid_hwpt_invalidate() (see above for size and version). */
struct ioasid_inv_req {
	uint32_t size;
	uint16_t version;     /* IOASID_INV_REQ_VERSION */
	uint16_t kind;        /* enum ioasid_inv_kind */
	uint16_t granularity; /* enum ioasid_inv_gran */
	uint16_t flags;       /* IOASID_INV_LEAF */
	uint32_t pasid;       /* IOASID_PASID_NONE or a PASID (PASID/RANGE) */
	uint32_t dev;         /* device id, for DEV_IOTLB; 0 = every device */
	uint32_t log2_pgsize; /* RANGE: page size, 12 = 4 KiB, 21 = 2 MiB */
	uint64_t addr;        /* RANGE: first address, aligned to the page size */
	uint64_t npages;      /* RANGE: number of pages, >= 1 */
	uint64_t __reserved;  /* 0 */
};

/* A struct ioasid_inv_req with size and version set, the rest zero (see above). */
#ifdef __cplusplus
#define IOASID_INV_REQ_INIT (::ioasid_inv_req_init_())
#else
#define IOASID_INV_REQ_INIT                                                  \
	{ .size = sizeof(struct ioasid_inv_req), .version = IOASID_INV_REQ_VERSION }
#endif

/**
 * ioasid_hwpt_invalidate() - flush caches of an HWPT.
 * @ctx: the context.
 * @hwpt: a nested HWPT (or a paging one: then only the device IOTLB and
 *        PASID cache matter, the library keeps the IOTLB of paging HWPTs
 *        coherent itself, as the kernel does).
 * @reqs: the requests.
 * @inout_num: in: how many; out: how many were handled (the kernel's entry_num:
 *       on failure, the index of the first one not handled).
 * @ret_dropped: if not NULL, cache entries dropped in total.
 *
 * The kernel's bounds of IOMMU_HWPT_INVALIDATE hold here too: with
 * requests, @reqs not NULL, a request size of at most the page size and
 * at most 2^19 requests, else -EINVAL before any is looked at.
 *
 * Return: 0; the error of the first request that could not be handled:
 * -EINVAL (bad kind, granularity, alignment, size below the minimum; the
 * message names the request index and field), -E2BIG (non-zero tail),
 * -EOPNOTSUPP (a newer version); -EINVAL the bounds above; -ENOENT
 * unknown HWPT.
 */
IOASID_EXPORT int ioasid_hwpt_invalidate(struct ioasid_ctx *ctx, uint32_t hwpt,
					 const struct ioasid_inv_req *reqs,
					 uint32_t *inout_num, uint64_t *ret_dropped);

/* Raw vendor invalidation arrays (the kernel's data types). */
#define IOASID_INV_DATA_VTD_S1 0 /* struct iommu_hwpt_vtd_s1_invalidate */

/**
 * ioasid_hwpt_invalidate_raw() - flush with a raw vendor array, passed
 * through unchanged on iommufd and interpreted by the sim, with the
 * kernel's answers on both (kernel-uapi.md §1.4 IOMMU_HWPT_INVALIDATE).
 * @ctx: the context.
 * @hwpt: a nested HWPT.
 * @data_type: IOASID_INV_DATA_*.
 * @entries: the array.
 * @entry_len: bytes per entry: exactly the kernel's struct (24 for VT-d).
 *             Driver data has no size word, so a longer entry is -EINVAL
 *             even with a zero tail.
 * @inout_num: in: entries; out: entries handled (0 when the call is
 *             refused before the first).
 *
 * A VT-d entry is taken as the kernel's VT-d driver takes it: any page
 * count, 0 included (the driver then flushes the aligned region around
 * the address, everything from address 0); U64_MAX pages from address 0
 * flush everything.
 *
 * Return: 0; -EINVAL, before any entry: with entries, @entries NULL, an
 * @entry_len of 0, above the page size or other than the struct's, more
 * than 2^19 entries, an @hwpt that is not a nested HWPT, a @data_type
 * that does not fit it; at an entry: an address not 4 KiB aligned, or
 * U64_MAX pages from another address than 0; -EOPNOTSUPP at an entry:
 * flags other than IOMMU_VTD_INV_FLAGS_LEAF or a non-zero __reserved;
 * -EOPNOTSUPP, before any entry, a nested HWPT of another type on the sim
 * (an SMMUv3 or AMD guest's commands go to its vIOMMU:
 * ioasid_viommu_invalidate()); on iommufd such an HWPT's driver answers
 * (EOPNOTSUPP for SMMUv3 and AMD, the mock's own data type for the
 * kernel's test driver); -ENOENT no object @hwpt.
 */
IOASID_EXPORT int ioasid_hwpt_invalidate_raw(struct ioasid_ctx *ctx,
					     uint32_t hwpt, uint32_t data_type,
					     const void *entries,
					     uint32_t entry_len, uint32_t *inout_num);

/**
 * ioasid_hwpt_set_dirty_tracking() - start or stop dirty tracking.
 * @ctx: the context.
 * @hwpt: a paging HWPT allocated with IOASID_HWPT_DIRTY_TRACKING.
 * @enable: start (clearing stale dirty state first) or stop.
 * Return: 0; -ENOENT; -EOPNOTSUPP when the HWPT has no dirty support.
 */
IOASID_EXPORT int ioasid_hwpt_set_dirty_tracking(struct ioasid_ctx *ctx,
						 uint32_t hwpt, bool enable);

/* Flag of ioasid_hwpt_get_dirty_bitmap(): read the dirty bits, leave them set. */
#define IOASID_DIRTY_NO_CLEAR (1u << 0)

/**
 * ioasid_hwpt_get_dirty_bitmap() - read (and by default clear) dirty bits.
 * @ctx: the context.
 * @hwpt: the paging HWPT.
 * @iova: IOVA of bit 0, aligned to @page_size and to the IOAS's IOVA
 *        alignment (the smallest page its domains map).
 * @length: bytes covered, non-zero, aligned as @iova.
 * @page_size: bytes per bit, a power of two; as in the kernel it may be
 *             smaller than a page (each dirty page then sets all its bits).
 * @bitmap: (length / page_size) bits; only set bits are written, zero it.
 * @flags: IOASID_DIRTY_NO_CLEAR to read without clearing.
 *
 * Granularity: the IOMMU keeps one dirty bit per IOPTE, so a write
 * anywhere in a huge page (a 2 MiB or 1 GiB leaf) sets every bit of the
 * @page_size granules that leaf covers, as the kernel reports it: with
 * huge pages a bitmap may show more dirty than was written, never less.
 * For exact base-page bits, map with huge pages off
 * (IOASID_IOAS_OPT_HUGE_PAGES, ioas.h), so every leaf is a base page.
 *
 * Return: 0; -EINVAL bad alignment or page size (checked, as
 * IOMMU_HWPT_GET_DIRTY_BITMAP does, after the HWPT is found); -EOVERFLOW
 * a range that wraps; -EOPNOTSUPP no dirty support; -ENOENT.
 */
IOASID_EXPORT int ioasid_hwpt_get_dirty_bitmap(struct ioasid_ctx *ctx,
					       uint32_t hwpt, uint64_t iova,
					       uint64_t length,
					       uint64_t page_size,
					       uint64_t *bitmap, uint32_t flags);

#ifdef __cplusplus
}
#endif

#ifdef __cplusplus
/* IOASID_INV_REQ_INIT for C++: value-initialized (all zero), then the prefix. */
static inline struct ioasid_inv_req ioasid_inv_req_init_()
{
	struct ioasid_inv_req r = ioasid_inv_req();

	r.size = sizeof(r);
	r.version = IOASID_INV_REQ_VERSION;
	return r;
}
#endif

#endif /* IOASID_HWPT_H */
