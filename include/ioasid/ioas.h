/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libioasid: I/O address spaces (IOAS).
 *
 * An IOAS maps IOVA ranges to process memory, with the semantics of
 * iommufd's IOAS (kernel-uapi.md §1.4, §4) on every backend:
 *  - each successful map or copy creates one *area*, the unit of unmap;
 *  - unmap removes whole areas only; holes inside the range are fine; the
 *    library checks its own records first, so a refused unmap removes
 *    nothing (the kernel's own UNMAP is not atomic);
 *  - usable IOVA = the intersection of the apertures of the attached
 *    domains, minus every reserved region (devices' and the caller's);
 *  - alignment = the largest smallest-page-size of the attached domains
 *    (1 with none attached).
 */
#ifndef IOASID_IOAS_H
#define IOASID_IOAS_H

#include <stdbool.h>
#include <ioasid/ctx.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Map flags: the kernel's values (enum iommufd_ioas_map_flags). */
#define IOASID_MAP_FIXED_IOVA (1u << 0) /* use *iova as given */
#define IOASID_MAP_WRITE      (1u << 1) /* the device may write */
#define IOASID_MAP_READ       (1u << 2) /* the device may read */

/* An inclusive IOVA range, as iommufd's struct iommu_iova_range. */
struct ioasid_iova_range {
	uint64_t start;
	uint64_t last;
};

/* One area, as ioasid_ioas_lookup() and ioasid_ioas_mappings() report it. */
struct ioasid_mapping {
	uint64_t iova;
	uint64_t length;
	uint64_t uva;   /* process address backing @iova; for a file or
			 * dma-buf map, the sim's view of it, 0 on the kernel
			 * backends (ioasid_ioas_backing() tells the file) */
	uint32_t flags; /* IOASID_MAP_READ / IOASID_MAP_WRITE */
	uint32_t __reserved;
};

/**
 * ioasid_ioas_alloc() - create an empty address space.
 * @ctx: the context.
 * @ret_id: its id.
 * Return: 0, or -ENOMEM.
 */
IOASID_EXPORT int ioasid_ioas_alloc(struct ioasid_ctx *ctx, uint32_t *ret_id);

/**
 * ioasid_ioas_destroy() - destroy an address space and all its mappings.
 * @ctx: the context.
 * @ioas: the address space.
 * Return: 0; -ENOENT for an unknown id or one that is not an IOAS; -EBUSY
 * while devices or hardware page tables use it; the kernel's errno when
 * it refuses to unmap an area or to destroy the IOAS: the areas unmapped
 * before are gone, the rest and the IOAS stay, and the call may be retried.
 */
IOASID_EXPORT int ioasid_ioas_destroy(struct ioasid_ctx *ctx, uint32_t ioas);

/**
 * ioasid_ioas_map() - map process memory at an IOVA.
 * @ctx: the context.
 * @ioas: the address space.
 * @va: start of the process memory.
 * @length: bytes; a multiple of the IOAS alignment.
 * @flags: IOASID_MAP_READ and/or IOASID_MAP_WRITE (at least one), and
 *         IOASID_MAP_FIXED_IOVA to use *@inout_iova as given.
 * @inout_iova: in: the IOVA with FIXED_IOVA; out: the IOVA used. Without
 *        FIXED_IOVA the lowest fitting hole is chosen, as the kernel
 *        chooses it (kernel-uapi.md §4.3); IOVA 0 is never chosen, and an
 *        allowed list (ioasid_ioas_allow_iovas()) limits the choice.
 *
 * Return: 0; -ENOENT unknown IOAS; -EOPNOTSUPP unknown flag bits; -EINVAL
 * zero length, no permission, misaligned IOVA/length/VA, or a range
 * touching a reserved region or outside the usable ranges; -EOVERFLOW when
 * iova + length wraps or exceeds the address space; -EEXIST when the range
 * overlaps an existing area; -ENOSPC when no hole fits; -ENOMEM when the
 * pinned-memory limit would be exceeded (the message names the limit and
 * the shortfall) or memory runs out; -EFAULT when the memory cannot be
 * pinned (the message names the first such page). Both are answered only
 * where the kernel pins, in an IOAS with a domain; in one without, the
 * first HWPT allocation or attach answers them (see ioasid_ctx_pinned()).
 * On failure nothing changes.
 */
IOASID_EXPORT int ioasid_ioas_map(struct ioasid_ctx *ctx, uint32_t ioas,
				  void *va, uint64_t length, uint32_t flags,
				  uint64_t *inout_iova);

/* What backs an area (ioasid_ioas_backing()). */
enum ioasid_backing_kind {
	IOASID_BACKING_VA = 0,     /* process memory (ioasid_ioas_map(), copy) */
	IOASID_BACKING_FILE = 1,   /* a file range (ioasid_ioas_map_file()) */
	IOASID_BACKING_DMABUF = 2, /* a dma-buf range (ioasid_ioas_map_file()) */
};

/* Options of ioasid_ioas_map_file(); see IOASID_OPTS_INIT(). */
struct ioasid_map_file_opts {
	size_t sz;
	int32_t fd;      /* a memfd (shmem, hugetlbfs) or a dma-buf */
	uint32_t flags;  /* as ioasid_ioas_map()'s */
	uint64_t offset; /* byte offset in the file of the first mapped byte */
	uint64_t length; /* bytes */
};

/**
 * ioasid_ioas_map_file() - map a range of a file or a dma-buf at an IOVA,
 * as IOMMU_IOAS_MAP_FILE (kernel-uapi.md §4.9).
 * @ctx: the context.
 * @ioas: the address space.
 * @opts: the file (@fd), the range (@offset, @length) and the flags, with
 *        ioasid_ioas_map()'s rules: the file offset plays the part of the
 *        process address (its in-page offset must suit the IOAS
 *        alignment, and it guides the automatic IOVA choice).
 * @inout_iova: as for ioasid_ioas_map().
 *
 * The library keeps its own duplicate of @fd while the area exists (the
 * kernel keeps a reference to the file too), so the caller may close its
 * fd at once. The pages of a memfd are pinned and charged as those of
 * process memory, where and when the kernel pins (ioasid_ioas_map()); a
 * dma-buf (e.g. a device's BAR exported with VFIO_DEVICE_FEATURE_DMA_BUF)
 * is not charged.
 * The kernel accepts any open file at map time and pins only shmem
 * (memfd, tmpfs) and hugetlbfs files whose size covers the range: another
 * file, or a range past the end, is refused with -EINVAL where the kernel
 * pins. A dma-buf's range must lie inside the buffer.
 *
 * Return: as ioasid_ioas_map(), and -E2BIG for a non-zero unknown tail of
 * @opts; -EBADF when @fd is not an open file; -EINVAL for a file that
 * cannot be pinned or a range past its end (where the kernel pins) or
 * past the end of a dma-buf; -EOVERFLOW when offset + length wraps;
 * -EOPNOTSUPP on the vfio backend, and for a dma-buf the kernel does not
 * import (only VFIO's and the selftest's; the sim imports none). On
 * failure nothing changes.
 */
IOASID_EXPORT int ioasid_ioas_map_file(struct ioasid_ctx *ctx, uint32_t ioas,
				       const struct ioasid_map_file_opts *opts,
				       uint64_t *inout_iova);

/* The backing of one area (ioasid_ioas_backing()). */
struct ioasid_map_backing {
	uint32_t kind;    /* enum ioasid_backing_kind */
	int32_t fd;       /* the library's fd of the file; -1 for process memory */
	uint64_t offset;  /* file offset of the area's first byte; 0 for VA */
	uint64_t uva;     /* process address of the area's first byte, 0 if none */
	uint32_t revoked; /* 1: a dma-buf its exporter revoked (no DMA reaches it) */
	uint32_t __reserved;
};

/**
 * ioasid_ioas_backing() - what backs the area that contains @iova.
 * @ctx: the context.
 * @ioas: the address space.
 * @iova: an address inside the area.
 * @ret_backing: filled in; @fd stays open (the library's) while the area
 *        exists: dup() it to keep it longer (e.g. to hand a mapping to a
 *        successor process as file + offset).
 * Return: 0; -ENOENT when @iova is not mapped or the IOAS is unknown.
 */
IOASID_EXPORT int ioasid_ioas_backing(struct ioasid_ctx *ctx, uint32_t ioas, uint64_t iova,
				      struct ioasid_map_backing *ret_backing);

/**
 * ioasid_ioas_unmap() - remove the areas inside [iova, iova + length).
 * @ctx: the context.
 * @ioas: the address space.
 * @iova: first IOVA.
 * @length: bytes; iova 0 with length UINT64_MAX removes everything (and
 *          succeeds on an empty IOAS).
 * @ret_unmapped: if not NULL, the bytes of the areas removed.
 *
 * Every area that intersects the range must lie entirely inside it.
 * Return: 0; -ENOENT unknown IOAS, no area in the range, or an area that
 * straddles an end of the range (nothing removed; the message names the
 * area); -EINVAL zero length; -EOVERFLOW when iova + length wraps; the
 * kernel's errno when it refuses to unmap an area (iommufd, vfio): the
 * areas before it in the range are gone, it and those after it stay, as
 * in the kernel.
 */
IOASID_EXPORT int ioasid_ioas_unmap(struct ioasid_ctx *ctx, uint32_t ioas,
				    uint64_t iova, uint64_t length,
				    uint64_t *ret_unmapped);

/**
 * ioasid_ioas_copy() - map memory that is mapped in @src into @dst too.
 * @ctx: the context.
 * @dst: destination address space.
 * @src: source address space (may equal @dst).
 * @src_iova: first source IOVA; [src_iova, src_iova + length) must be fully
 *            covered by areas of @src.
 * @length: bytes.
 * @flags: as for ioasid_ioas_map(); the new area's permissions must be a
 *         subset of every source area's.
 * @inout_dst_iova: in with FIXED_IOVA, out always.
 *
 * The pages are not pinned or charged a second time (kernel-uapi.md §4.5).
 * Return: as ioasid_ioas_map(), and -ENOENT when the source range has a
 * hole; -EPERM when the source lacks a permission asked for.
 */
IOASID_EXPORT int ioasid_ioas_copy(struct ioasid_ctx *ctx, uint32_t dst,
				   uint32_t src, uint64_t src_iova,
				   uint64_t length, uint32_t flags,
				   uint64_t *inout_dst_iova);

/**
 * ioasid_ioas_iova_ranges() - the usable IOVA ranges and the alignment.
 * @ctx: the context.
 * @ioas: the address space.
 * @ranges: array of *@inout_num entries (may be NULL when *@inout_num is 0).
 * @inout_num: in: capacity; out: the total number of ranges.
 * @ret_alignment: if not NULL, the IOVA/length alignment.
 *
 * Return: 0; -EMSGSIZE when the array is too small (the first *@inout_num
 * entries, the total and the alignment are still written, as the kernel
 * does); -ENOENT unknown IOAS.
 */
IOASID_EXPORT int ioasid_ioas_iova_ranges(struct ioasid_ctx *ctx, uint32_t ioas,
					  struct ioasid_iova_range *ranges,
					  uint32_t *inout_num, uint64_t *ret_alignment);

/**
 * ioasid_ioas_allow_iovas() - replace the list of IOVA ranges that must
 * stay usable; automatic IOVA allocation then chooses only inside them.
 * @ctx: the context.
 * @ioas: the address space.
 * @ranges: the ranges (NULL with @num 0 clears the list).
 * @num: how many.
 *
 * Return: 0; -EINVAL for a range with start >= last or ranges that
 * overlap each other; -EADDRINUSE for a range that touches a reserved
 * region. On failure the old list stays.
 */
IOASID_EXPORT int ioasid_ioas_allow_iovas(struct ioasid_ctx *ctx, uint32_t ioas,
					  const struct ioasid_iova_range *ranges,
					  uint32_t num);

/**
 * ioasid_ioas_reserve() - reserve [start, last] for the caller's own use
 * (e.g. a VMM's MSI window): nothing can be mapped there.
 * @ctx: the context.
 * @ioas: the address space.
 * @start: first IOVA.
 * @last: last IOVA (inclusive), >= @start.
 *
 * Return: 0; -EINVAL when last < start; -EADDRINUSE when the range covers
 * a mapping or an allowed range (the message names it); -ENOMEM.
 */
IOASID_EXPORT int ioasid_ioas_reserve(struct ioasid_ctx *ctx, uint32_t ioas,
				      uint64_t start, uint64_t last);

/**
 * ioasid_ioas_unreserve() - drop a range reserved with ioasid_ioas_reserve().
 * @ctx: the context.
 * @ioas: the address space.
 * @start: exactly the start given to ioasid_ioas_reserve().
 * @last: exactly the last given.
 * Return: 0, or -ENOENT when there is no such reservation.
 */
IOASID_EXPORT int ioasid_ioas_unreserve(struct ioasid_ctx *ctx, uint32_t ioas,
					uint64_t start, uint64_t last);

/* IOAS options, the kernel's IOMMU_OPTION ids. */
enum ioasid_ioas_option {
	IOASID_IOAS_OPT_HUGE_PAGES = 1, /* 1 (default) or 0 */
};

/**
 * ioasid_ioas_set_option() - set an option of an address space.
 * @ctx: the context.
 * @ioas: the address space.
 * @opt: the option.
 * @val: its value.
 * Return: 0; -EOPNOTSUPP for an unknown option; -EINVAL for a bad value.
 */
IOASID_EXPORT int ioasid_ioas_set_option(struct ioasid_ctx *ctx, uint32_t ioas,
					 enum ioasid_ioas_option opt,
					 uint64_t val);

/**
 * ioasid_ioas_get_option() - read an option of an address space.
 * @ctx: the context.
 * @ioas: the address space.
 * @opt: the option.
 * @ret_val: its value.
 * Return: 0; -EOPNOTSUPP for an unknown option; -ENOENT unknown IOAS.
 */
IOASID_EXPORT int ioasid_ioas_get_option(struct ioasid_ctx *ctx, uint32_t ioas,
					 enum ioasid_ioas_option opt,
					 uint64_t *ret_val);

/**
 * ioasid_ioas_lookup() - the area that contains @iova.
 * @ctx: the context.
 * @ioas: the address space.
 * @iova: the address.
 * @ret_mapping: the area.
 * Return: 0; -ENOENT when @iova is not mapped or the IOAS is unknown.
 */
IOASID_EXPORT int ioasid_ioas_lookup(struct ioasid_ctx *ctx, uint32_t ioas,
				     uint64_t iova, struct ioasid_mapping *ret_mapping);

/**
 * ioasid_ioas_mappings() - list areas in IOVA order, starting with the
 * first one that ends at or after @from.
 * @ctx: the context.
 * @ioas: the address space.
 * @from: where to start.
 * @out: array of *@inout_num entries.
 * @inout_num: in: capacity; out: entries written.
 * Return: 0; -ENOENT unknown IOAS. Call again with @from after the last
 * area's end to page through a large IOAS.
 */
IOASID_EXPORT int ioasid_ioas_mappings(struct ioasid_ctx *ctx, uint32_t ioas,
				       uint64_t from, struct ioasid_mapping *out,
				       uint32_t *inout_num);

/* Counters of one address space. */
struct ioasid_ioas_stats {
	uint64_t nr_areas;
	uint64_t mapped_bytes;
	uint64_t nr_reserved;  /* reserved regions (devices' and caller's) */
	uint64_t nr_allowed;   /* entries of the allowed list */
	uint64_t alignment;
	uint32_t nr_attached;  /* (device, PASID) attachments */
	uint32_t __reserved;
};

/**
 * ioasid_ioas_stats() - counters of an address space.
 * @ctx: the context.
 * @ioas: the address space.
 * @ret_stats: filled in.
 * Return: 0, or -ENOENT.
 */
IOASID_EXPORT int ioasid_ioas_stats(struct ioasid_ctx *ctx, uint32_t ioas,
				    struct ioasid_ioas_stats *ret_stats);

/*
 * Called after the usable IOVA ranges of @ioas changed (attach, detach,
 * reservation), without the context lock held: it may call back into the
 * context, e.g. ioasid_ioas_iova_ranges().
 */
typedef void (*ioasid_ranges_cb)(void *data, struct ioasid_ctx *ctx,
				 uint32_t ioas);

/**
 * ioasid_ioas_set_ranges_cb() - set (or clear with NULL) the callback that
 * tells the owner of @ioas its usable ranges changed.
 * @ctx: the context.
 * @ioas: the address space.
 * @cb: callback.
 * @data: passed to @cb.
 * Return: 0, or -ENOENT.
 */
IOASID_EXPORT int ioasid_ioas_set_ranges_cb(struct ioasid_ctx *ctx,
					    uint32_t ioas, ioasid_ranges_cb cb,
					    void *data);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_IOAS_H */
