/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internals of the virtio-iommu back-end, shared by its files:
 *
 *   device.c    the object: creation, teardown, reset, queries
 *   config.c    config space and feature negotiation
 *   memory.c    guest memory: the VMM's table, translation, bypass map
 *   endpoint.c  endpoints: registration from the capability chain, where
 *               a device sits when it is in no domain
 *   domain.c    domains as address spaces: ATTACH, DETACH, MAP, UNMAP
 *   request.c   the request decoder: one table of request types
 *   probe.c     PROBE, the device side and the guest side
 *   event.c     fault events and PAGE_RESP
 *   status.c    status codes and the message of a refused request
 *   iov.c       scatter/gather over iovec arrays
 *
 * The back-end sits above the core: it is a user of the public API (the
 * headers of include/ioasid/), so it runs on every backend, and it sees
 * none of the core's structures. From inside the library it takes only:
 *
 * - the allocation hook (util/alloc.h), so that the allocation-failure
 *   tests reach its allocations as they reach the core's;
 * - three functions of the core's error channel (lib/core/error.h):
 *   ioasid_err_outer() sets the message of the context and of the thread
 *   (the public API can only read it) under the context's lock, as the
 *   core's own calls do: a sim DMA on another thread writes the same
 *   message (never ioasid_err() or ioasid_err_prefix() here, which expect
 *   that lock held); ioasid_log() warns through the context's log callback
 *   (the public API can only set it); and ioasid_opts_check() is the
 *   library's one rule for size-prefixed option structs, so that its
 *   option structs answer as every other one does (called without a
 *   context: vi_opts_check() passes its message on).
 *   What a failed call just left is read with ioasid_last_errmsg().
 */
#ifndef IOASID_VIRTIO_IOMMU_PRIVATE_H
#define IOASID_VIRTIO_IOMMU_PRIVATE_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#include <ioasid/ioasid.h>
#include <ioasid/virtio-iommu.h>

#include "util/alloc.h"
#include "core/error.h"

#define VI_MIN(a, b) ((a) < (b) ? (a) : (b))
#define VI_MAX(a, b) ((a) > (b) ? (a) : (b))
#define VI_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* For %llx and %llu. */
#define X(v) ((unsigned long long)(v))

/* Status codes, short. */
#define S_OK     IOASID_VIRTIO_IOMMU_S_OK
#define S_IOERR  IOASID_VIRTIO_IOMMU_S_IOERR
#define S_UNSUPP IOASID_VIRTIO_IOMMU_S_UNSUPP
#define S_DEVERR IOASID_VIRTIO_IOMMU_S_DEVERR
#define S_INVAL  IOASID_VIRTIO_IOMMU_S_INVAL
#define S_RANGE  IOASID_VIRTIO_IOMMU_S_RANGE
#define S_NOENT  IOASID_VIRTIO_IOMMU_S_NOENT
#define S_FAULT  IOASID_VIRTIO_IOMMU_S_FAULT
#define S_NOMEM  IOASID_VIRTIO_IOMMU_S_NOMEM

/* ---- little-endian loads and stores: the wire is LE on every host ---- */

static inline uint16_t vi_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t vi_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t vi_le64(const uint8_t *p)
{
	return (uint64_t)vi_le32(p) | (uint64_t)vi_le32(p + 4) << 32;
}

static inline void vi_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void vi_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void vi_put_le64(uint8_t *p, uint64_t v)
{
	vi_put_le32(p, (uint32_t)v);
	vi_put_le32(p + 4, (uint32_t)(v >> 32));
}

/* ---- scatter/gather over iovec arrays (iov.c) ---- */

/* Total bytes of @iov, saturated at SIZE_MAX. Inline: every request needs it. */
static inline size_t vi_iov_len(const struct iovec *iov, unsigned int cnt)
{
	size_t total = 0;
	unsigned int i;

	for (i = 0; i < cnt; i++)
		if (__builtin_add_overflow(total, iov[i].iov_len, &total))
			return SIZE_MAX;
	return total;
}
/* Copy up to @len bytes at byte @off of the segments to @dst; returns
 * how many were copied (fewer when the segments end first). */
size_t vi_iov_read(const struct iovec *iov, unsigned int cnt, size_t off,
		   void *dst, size_t len);
/* The opposite direction. */
size_t vi_iov_write(const struct iovec *iov, unsigned int cnt, size_t off,
		    const void *src, size_t len);

/* ---- objects ---- */

/* The device-specific feature bits (virtio: 0..23). */
#define VI_DEVICE_FEATURES_MASK ((UINT64_C(1) << 24) - 1)

struct vi_endpoint {
	uint32_t id;        /* virtio endpoint id */
	uint32_t dev;       /* libioasid device */
	uint64_t pgsize;    /* the device's page sizes & the VMM's limit */
	uint64_t ap_start;  /* aperture, inclusive */
	uint64_t ap_last;
	struct ioasid_virtio_iommu_resv_mem *resv; /* PROBE's RESV_MEM list */
	uint32_t nr_resv;
	bool attached;      /* to a virtio domain (@domain) */
	uint32_t domain;
	uint32_t lib_pt;    /* the IOAS the device is attached to; 0 none */
};

struct vi_domain {
	uint32_t id;
	uint32_t ioas;
	uint64_t pgsize;    /* page sizes the guest was told it has */
	uint32_t nr_eps;
	uint32_t nr_maps;   /* areas of @ioas (the guest's mappings), or more: vi_dom_recount() */
	bool bypass;        /* ATTACH_F_BYPASS: uses the shared bypass IOAS */
};

/* A page request group handed to the guest, waiting for PAGE_RESP. */
struct vi_group {
	uint32_t endpoint;
	uint32_t pasid;     /* IOASID_PASID_NONE without one */
	uint16_t grpid;
	uint64_t cookie;
};

struct ioasid_virtio_iommu {
	pthread_mutex_t lock;
	struct ioasid_ctx *ctx;
	uint32_t flags;     /* IOASID_VIRTIO_IOMMU_* */
	uint32_t set;
	uint32_t queue;     /* fault queue; 0 none */
	uint32_t blocked_ioas; /* empty IOAS of blocked endpoints; 0 none */
	uint32_t bypass_ioas;  /* 0: bypass not available */
	bool own_bypass;    /* we built bypass_ioas from the table */

	ioasid_virtio_iommu_translate_fn translate;
	void *translate_data;
	struct ioasid_virtio_iommu_mem *mem; /* sorted by gpa */
	uint32_t nr_mem;

	uint64_t host_page;         /* sysconf(_SC_PAGESIZE), read once */
	uint64_t pgsize_limit;
	uint64_t in_start, in_end;  /* the VMM's limit */
	struct ioasid_virtio_iommu_config cfg;
	bool boot_bypass;

	uint64_t offered;
	uint64_t acked;
	bool negotiated;

	struct vi_endpoint *eps; /* sorted by id */
	uint32_t nr_eps, cap_eps;
	struct vi_domain *doms;  /* sorted by id */
	uint32_t nr_doms, cap_doms;
	/*
	 * IOASes of domains gone whose destruction the library refused
	 * (the kernel said no): destroyed again before the next IOAS is
	 * made and at reset, so that none holds the set's quota for good.
	 */
	uint32_t *stale_ioas;
	uint32_t nr_stale, cap_stale;
	uint32_t nr_maps;                /* the domains' nr_maps summed, always */
	uint32_t max_dom_maps, max_maps; /* the VMM's bounds on them */

	uint8_t *probe_buf;      /* probe_size bytes of scratch */

	/* events: one read of the queue, handed out record by record */
	struct ioasid_fault *ev;
	uint32_t ev_n, ev_pos, ev_cap;
	struct vi_group *groups;
	uint32_t nr_groups, cap_groups;

	struct ioasid_virtio_iommu_stats st;
};

static inline bool vi_has(const struct ioasid_virtio_iommu *v, uint64_t feature)
{
	return v->negotiated && (v->acked & feature);
}

/*
 * Endpoints and domains are kept sorted by their virtio id (both structs
 * start with it): the index of the first one whose id is >= @id. Inline:
 * MAP and UNMAP look their domain up with it.
 */
_Static_assert(offsetof(struct vi_endpoint, id) == 0, "vi_id_index() needs the id first");
_Static_assert(offsetof(struct vi_domain, id) == 0, "vi_id_index() needs the id first");

static inline uint32_t vi_id_index(const void *base, uint32_t n, size_t stride, uint32_t id)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2, at;

		memcpy(&at, (const uint8_t *)base + (size_t)mid * stride, sizeof(at));
		if (at < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Room for one more entry in @arr, @nr of *@cap entries of @size bytes in
 * use: @arr itself while there is room, else the array doubled (@first
 * entries at first) and *@cap raised; NULL when out of memory, with @arr
 * and *@cap as they were.
 */
void *vi_grow(void *arr, uint32_t nr, uint32_t *cap, size_t size, uint32_t first);

/* ---- status codes (status.c) ---- */

/*
 * Record why a request gets status @status (the context's message, for the
 * VMM's log) and return @status.
 */
uint8_t vi_fail(struct ioasid_virtio_iommu *v, uint8_t status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* As vi_fail() after a failed library call, whose message follows @what. */
uint8_t vi_fail_lib(struct ioasid_virtio_iommu *v, uint8_t status, const char *what);
/* Set @err with the message "@what: <what the failed call just left>"; returns @err. */
int vi_err_after(struct ioasid_ctx *ctx, int err, const char *what);
/* ioasid_opts_check(), its message set with ioasid_err_outer(). */
int vi_opts_check(struct ioasid_ctx *ctx, const void *opts, size_t user_sz, size_t known_sz,
		  const char *what);

/* ---- config space and features (config.c) ---- */

/* Page sizes and input range every endpoint (and @extra, if any) can do. */
void vi_config_compute(const struct ioasid_virtio_iommu *v, const struct vi_endpoint *extra,
		       uint64_t *ret_mask, uint64_t *ret_start, uint64_t *ret_end);
/* Recompute the config after the endpoints changed. */
void vi_config_update(struct ioasid_virtio_iommu *v);
uint64_t vi_offered_features(const struct ioasid_virtio_iommu *v);
/* Config bypass in force for unattached endpoints. */
bool vi_bypass_active(const struct ioasid_virtio_iommu *v);

/* ---- guest memory (memory.c) ---- */

/* Copy, sort and check a memory table; *@ret is NULL for an empty one. */
int vi_mem_import(struct ioasid_ctx *ctx, const struct ioasid_virtio_iommu_mem *mem, uint32_t nr,
		  struct ioasid_virtio_iommu_mem **ret);
/* Host address of guest-physical [gpa, gpa + size) of kind @flags. */
int vi_translate(struct ioasid_virtio_iommu *v, uint64_t gpa, uint64_t size, uint32_t flags,
		 void **ret);
/* Map a RAM region of the table at IOVA = GPA in the bypass IOAS. */
int vi_bypass_map_region(struct ioasid_virtio_iommu *v, const struct ioasid_virtio_iommu_mem *r);

/* ---- endpoints (endpoint.c) ---- */

struct vi_endpoint *vi_ep_find(struct ioasid_virtio_iommu *v, uint32_t id);
struct vi_endpoint *vi_ep_by_dev(struct ioasid_virtio_iommu *v, uint32_t dev);
/* Attach the endpoint's device to IOAS @target; 0 detaches it. */
int vi_ep_move(struct ioasid_virtio_iommu *v, struct vi_endpoint *ep, uint32_t target);
/* Put an endpoint that is in no domain where the config says. */
int vi_ep_park(struct ioasid_virtio_iommu *v, struct vi_endpoint *ep);
/* vi_ep_park() every endpoint in no domain; the first error. */
int vi_park_unattached(struct ioasid_virtio_iommu *v);
void vi_ep_release(struct vi_endpoint *ep);

/* ---- domains (domain.c) ---- */

struct vi_domain *vi_dom_find(struct ioasid_virtio_iommu *v, uint32_t id);
/* Destroy a domain's IOAS (never the shared bypass IOAS) and forget it. */
int vi_dom_remove(struct ioasid_virtio_iommu *v, uint32_t id);
/* Destroy @ioas, a domain's; a refusal puts it on v->stale_ioas. */
int vi_ioas_drop(struct ioasid_virtio_iommu *v, uint32_t ioas);
/* Destroy the stale IOASes; the first refusal's errno (they stay), or 0. */
int vi_reap_stale(struct ioasid_virtio_iommu *v);
/* An endpoint left domain @id: the domain goes with its last endpoint. */
void vi_dom_put(struct ioasid_virtio_iommu *v, uint32_t id);
/* A new IOAS, in the virtio-iommu's set when it has one. */
int vi_new_ioas(struct ioasid_virtio_iommu *v, uint32_t *ret);
/*
 * Re-read how many mappings @d holds, and the sum. Between re-reads the
 * counts are upper bounds: MAP adds one, UNMAP takes nothing off.
 */
void vi_dom_recount(struct ioasid_virtio_iommu *v, struct vi_domain *d);
/* vi_dom_recount() of every domain. */
void vi_recount(struct ioasid_virtio_iommu *v);

/*
 * ---- request handlers ----
 *
 * Each gets the device-readable bytes of a request of its type, as many
 * as request.c's table says, with what the table knows checked (the
 * head's reserved bytes, the feature the type needs, the reserved bytes of
 * its body), and returns a status code (with vi_fail()'s message when it
 * is not OK).
 */
uint8_t vi_req_attach(struct ioasid_virtio_iommu *v, const uint8_t *req);  /* domain.c */
uint8_t vi_req_detach(struct ioasid_virtio_iommu *v, const uint8_t *req);  /* domain.c */
uint8_t vi_req_map(struct ioasid_virtio_iommu *v, const uint8_t *req);     /* domain.c */
uint8_t vi_req_unmap(struct ioasid_virtio_iommu *v, const uint8_t *req);   /* domain.c */
/* Also fills v->probe_buf with the endpoint's properties. */
uint8_t vi_req_probe(struct ioasid_virtio_iommu *v, const uint8_t *req);   /* probe.c */
uint8_t vi_req_page_resp(struct ioasid_virtio_iommu *v, const uint8_t *req); /* event.c */

/* ---- events (event.c) ---- */

/* Answer every group the guest holds INVALID and drop the held records. */
void vi_events_reset(struct ioasid_virtio_iommu *v);
/* The endpoint moved: its groups were answered by the library. */
void vi_events_forget_endpoint(struct ioasid_virtio_iommu *v, uint32_t endpoint);
/* The endpoint changed domain without moving: answer its groups INVALID, as a move does. */
void vi_events_answer_endpoint(struct ioasid_virtio_iommu *v, uint32_t endpoint);

#endif
