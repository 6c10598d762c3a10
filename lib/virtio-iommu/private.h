/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internals of the virtio-iommu back-end (virtio-iommu.c, virtio-iommu-probe.c,
 * virtio-iommu-event.c). The back-end uses only the public API of the library
 * (plus its error-message and allocation helpers), so it runs on every
 * backend.
 */
#ifndef IOASID_VIRTIO_IOMMU_PRIVATE_H
#define IOASID_VIRTIO_IOMMU_PRIVATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <ioasid/virtio-iommu.h>

#include "core/private.h"

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

/* ---- scatter/gather over iovec arrays ---- */

/* Total bytes of @iov, saturated at SIZE_MAX. */
size_t vi_iov_len(const struct iovec *iov, unsigned int cnt);
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

	uint8_t *probe_buf;      /* probe_size bytes of scratch */

	/* events: one read of the queue, handed out record by record */
	struct ioasid_fault *ev;
	uint32_t ev_n, ev_pos, ev_cap;
	struct vi_group *groups;
	uint32_t nr_groups, cap_groups;

	struct ioasid_virtio_iommu_stats st;
};

struct vi_endpoint *vi_ep_find(struct ioasid_virtio_iommu *v, uint32_t id);
struct vi_endpoint *vi_ep_by_dev(struct ioasid_virtio_iommu *v, uint32_t dev);
/* Config bypass in force for unattached endpoints. */
bool vi_bypass_active(const struct ioasid_virtio_iommu *v);
static inline bool vi_has(const struct ioasid_virtio_iommu *v, uint64_t feature)
{
	return v->negotiated && (v->acked & feature);
}

/*
 * Record why a request gets status @status (the context's message, for the
 * VMM's log) and return @status.
 */
uint8_t vi_fail(struct ioasid_virtio_iommu *v, uint8_t status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* PROBE (virtio-iommu-probe.c): fill v->probe_buf for @ep; a status code. */
uint8_t vi_probe_fill(struct ioasid_virtio_iommu *v, const struct vi_endpoint *ep);

/* Events (virtio-iommu-event.c). */
uint8_t vi_page_resp(struct ioasid_virtio_iommu *v, const uint8_t *req);
void vi_events_reset(struct ioasid_virtio_iommu *v);
void vi_events_forget_endpoint(struct ioasid_virtio_iommu *v, uint32_t endpoint);

#endif
