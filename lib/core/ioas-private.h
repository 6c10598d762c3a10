/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef IOASID_IOAS_PRIVATE_H
#define IOASID_IOAS_PRIVATE_H

#include "private.h"
#include "util/iova-tree.h"

/* Who put a reserved region there. */
enum resv_kind {
	RESV_USER = 0,     /* ioasid_ioas_reserve() */
	RESV_DEVICE = 1,   /* a device's reserved/MSI region */
	RESV_APERTURE = 2, /* outside an attached domain's aperture */
};

struct ioas_resv {
	uint64_t start;
	uint64_t last;
	const void *owner; /* the device/domain; NULL for RESV_USER */
	uint32_t kind;     /* enum resv_kind */
	uint32_t type;     /* region type for RESV_DEVICE (caps.h) */
};

/*
 * Area cookie layout (struct iova_area.cookie): permission bits
 * (IOASID_MAP_READ/WRITE) in the low byte; AREA_NOACCT when its pages are
 * not charged (made while the CAP_IPC_LOCK exemption held); AREA_SHARED
 * when the pages are shared with a copy, in which case the upper 32 bits
 * index ctx->pages and that record's flags decide.
 */
#define AREA_PERM_MASK (IOASID_MAP_READ | IOASID_MAP_WRITE)
#define AREA_SHARED (1ull << 8)
#define AREA_NOACCT (1ull << 9)
#define AREA_PAGES_SHIFT 32

/*
 * The pages of one map, shared by several areas after a copy: pinned and
 * charged once, while at least one of those areas is in an IOAS with a
 * domain (kernel-uapi.md §4.5).
 */
struct ioas_pages {
	uint64_t uva, length; /* the memory, as its first area mapped it */
	uint64_t npages;      /* the pages it spans: what a pin charges */
	uint32_t refs;        /* areas using it; 0 = free slot */
	uint32_t pinned;      /* of those, the areas in an IOAS with a domain */
	uint32_t flags;       /* its first area's AREA_PERM_MASK and AREA_NOACCT bits */
	uint32_t next_free;
	/*
	 * File and dma-buf maps (always recorded here, so that a copy shares
	 * the file): @fd is the library's duplicate of the caller's, @offset
	 * the file offset at @uva. @uva is the backend's view of the range in
	 * process memory (@view, the sim's) or else @offset itself, so that
	 * an area's file offset is always offset + (area uva - uva).
	 */
	uint64_t offset;
	uint64_t ino; /* the file's inode: which dma-buf a revocation names */
	int32_t fd;   /* -1 for process memory */
	uint8_t kind; /* enum ioasid_backing_kind */
	bool view;
	bool revoked; /* a dma-buf its exporter revoked */
};

/* A constraint an attached domain puts on the IOAS. */
struct ioas_domain {
	const void *owner;
	uint64_t min_pgsize;
	bool device; /* a device's attachment (not an HWPT's own aperture) */
};

struct ioasid_ioas {
	struct ioasid_obj obj;
	struct iova_tree *areas;
	uint64_t mapped_bytes;

	struct ioas_resv *resv; /* sorted by start; may overlap each other */
	uint32_t nr_resv, cap_resv;

	struct ioasid_iova_range *allowed; /* sorted, disjoint */
	uint32_t nr_allowed;

	struct ioas_domain *domains;
	uint32_t nr_domains, cap_domains;

	uint64_t alignment; /* derived from domains and huge_pages */
	/*
	 * It has a paging domain (an HWPT of its own): its areas' pages are
	 * pinned, from the first domain's arrival to the last one's departure.
	 */
	bool pinned;
	bool huge_pages;
	uint32_t set; /* owning set, 0 = the context */

	ioasid_ranges_cb ranges_cb; /* told when usable ranges change */
	void *ranges_cb_data;

	struct ioasid_hwpt *paging; /* paging HWPTs mirroring this IOAS */

	void *be; /* backend state */
};


/*
 * Domain constraints (used by device attach): add/remove the aperture
 * (as reserved regions), device reserved regions and page-size alignment of
 * one attached domain. ioas_add_domain checks everything first: -EADDRINUSE
 * (message names the mapping/region) or -EINVAL, and changes nothing then.
 */
struct ioas_domain_desc {
	const void *owner;
	uint64_t pgsize_bitmap;
	uint64_t aperture_start, aperture_last;
	const struct ioas_resv *resv; /* device regions (kind/owner ignored) */
	uint32_t nr_resv;
	bool device; /* counts as an attached device (stats, dumps) */
};

/* Devices attached to @ioas through any of its domains. */
uint32_t ioas_nr_devices(const struct ioasid_ioas *ioas);
int ioas_add_domain(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
		    const struct ioas_domain_desc *d);
void ioas_remove_domain(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
			const void *owner);

/*
 * Which IOVAs may be used (ioas-ranges.c). The usable ranges go into a
 * fresh array (caller frees). The others check their arguments against
 * the IOAS and change nothing on failure (message set).
 */
int ioas_usable_ranges(struct ioasid_ioas *ioas, struct ioasid_iova_range **ret,
		       uint32_t *ret_n);
/* The first reserved region meeting [@start, @last], or NULL; what kind it is, in words. */
const struct ioas_resv *resv_find(const struct ioasid_ioas *ioas, uint64_t start, uint64_t last);
const char *resv_kind_name(const struct ioas_resv *r);
int ioas_reserve(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, uint64_t start, uint64_t last);
int ioas_unreserve(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, uint64_t start,
		   uint64_t last);
int ioas_set_allowed(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
		     const struct ioasid_iova_range *ranges, uint32_t num);
int ioas_set_huge_pages(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, bool on);

/*
 * The areas (io-pagetable.c): the public calls' work once the IOAS is
 * found, with the same messages. iopt_check_map_args() checks what map
 * and copy share (flags, length, the IOVA pointer); iopt_map() checks it
 * itself. iopt_unmap() and iopt_unmap_all() report the bytes they
 * unmapped in *@ret_bytes, also when the backend refused one area: the
 * areas before it are gone, it and those after it stay (backend.h's rule).
 */
int iopt_check_map_args(struct ioasid_ctx *ctx, uint32_t flags, uint64_t length,
			const uint64_t *iova);
int iopt_map(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, void *va, uint64_t length,
	     uint32_t flags, uint64_t *inout_iova);
/* ioasid_ioas_map_file()'s work (io-filemap.c), with iopt_map()'s rules. */
int iopt_map_file(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
		  const struct ioasid_map_file_opts *o, uint64_t *inout_iova);
/*
 * What io-filemap.c shares with io-pagetable.c: placing and adding an
 * area (area_add() with @pages_idx != 0 shares that record), the records
 * themselves, and pinning a file record where the kernel would pin it.
 */
int iopt_area_place(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, uint32_t flags, uint64_t uva,
		    uint64_t length, uint64_t iova, uint64_t *ret_iova);
int iopt_area_add(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, uint64_t iova, uint64_t uva,
		  uint64_t length, uint32_t perm, uint32_t pages_idx);
int iopt_pages_reserve(struct ioasid_ctx *ctx, uint32_t n);
/* A record for the pages of @a (one claim), after iopt_pages_reserve(); 1-based. */
uint32_t iopt_pages_new(struct ioasid_ctx *ctx, const struct iova_area *a, bool pinned);
/* Drop one claim on record @idx; the last frees it. */
void iopt_pages_put(struct ioasid_ctx *ctx, uint32_t idx);
struct ioas_pages *iopt_area_pages(struct ioasid_ctx *ctx, const struct iova_area *a);
/* @length and the in-page offset of @addr (@what: "va", "offset") suit the IOAS alignment. */
int iopt_check_aligned(struct ioasid_ctx *ctx, const struct ioasid_ioas *ioas, const char *what,
		       uint64_t addr, uint64_t length);
/* What ioasid_mapping.uva reports of @a: 0 for a file area the process cannot see. */
uint64_t area_view_uva(struct ioasid_ctx *ctx, const struct iova_area *a);
/* Free a file record nobody uses any more: its fd and its view. */
void iopt_file_release(struct ioasid_ctx *ctx, struct ioas_pages *p);
int iopt_unmap(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, uint64_t iova,
	       uint64_t length, uint64_t *ret_bytes);
int iopt_unmap_all(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, uint64_t *ret_bytes);
/*
 * The first paging domain came (pin every area: the memory checked where
 * the backend does not pin in the kernel, then charged; all or nothing,
 * -EFAULT or -ENOMEM with the message) or the last one went (unpin).
 * They set ioas->pinned.
 */
int iopt_pin_all(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas);
void iopt_unpin_all(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas);
int iopt_copy(struct ioasid_ctx *ctx, struct ioasid_ioas *dst, struct ioasid_ioas *src,
	      uint64_t src_iova, uint64_t length, uint32_t flags, uint64_t *inout_dst_iova);

#endif
