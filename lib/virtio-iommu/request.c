/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The request decoder: a chain of the request queue in, its tail (and
 * PROBE's properties) out. The types the device knows are one table, in
 * type order, as the kernel's iommufd_ioctl_ops[] lists its ioctls: each
 * entry says how many device-readable bytes its layout has (the public
 * header's request sizes less the tail), which feature it needs and where
 * its reserved bytes are, so that sizes, negotiation and reserved fields
 * are checked here, once, before a handler sees the bytes.
 */
#include <string.h>

#include "private.h"

/* Device-readable bytes of a request whose whole layout is @size bytes. */
#define READABLE(size) ((size) - IOASID_VIRTIO_IOMMU_TAIL_SIZE)

struct vi_request_op {
	uint8_t type;
	const char *name;
	size_t size;          /* device-readable bytes of its layout */
	/* Without this feature the type is unknown (an extension's); 0: none. */
	uint64_t known_with;
	/* Without this feature the request answers UNSUPP; 0: none. */
	uint64_t needs;
	const char *needs_name;
	/* Reserved bytes of the body, which must be zero; @resv_len 0: none. */
	uint8_t resv_off, resv_len;
	bool props;           /* probe_size bytes of properties precede the tail */
	uint8_t (*handle)(struct ioasid_virtio_iommu *v, const uint8_t *req);
};

static const struct vi_request_op request_ops[] = {
	{ .type = IOASID_VIRTIO_IOMMU_T_ATTACH, .name = "ATTACH", .handle = vi_req_attach,
	  .size = READABLE(IOASID_VIRTIO_IOMMU_REQ_ATTACH_SIZE), .resv_off = 16, .resv_len = 4 },
	{ .type = IOASID_VIRTIO_IOMMU_T_DETACH, .name = "DETACH", .handle = vi_req_detach,
	  .size = READABLE(IOASID_VIRTIO_IOMMU_REQ_DETACH_SIZE), .resv_off = 12, .resv_len = 8 },
	{ .type = IOASID_VIRTIO_IOMMU_T_MAP, .name = "MAP", .handle = vi_req_map,
	  .size = READABLE(IOASID_VIRTIO_IOMMU_REQ_MAP_SIZE),
	  .needs = IOASID_VIRTIO_IOMMU_F_MAP_UNMAP, .needs_name = "VIRTIO_IOMMU_F_MAP_UNMAP" },
	{ .type = IOASID_VIRTIO_IOMMU_T_UNMAP, .name = "UNMAP", .handle = vi_req_unmap,
	  .size = READABLE(IOASID_VIRTIO_IOMMU_REQ_UNMAP_SIZE), .resv_off = 24, .resv_len = 4,
	  .needs = IOASID_VIRTIO_IOMMU_F_MAP_UNMAP, .needs_name = "VIRTIO_IOMMU_F_MAP_UNMAP" },
	{ .type = IOASID_VIRTIO_IOMMU_T_PROBE, .name = "PROBE", .handle = vi_req_probe,
	  .size = READABLE(IOASID_VIRTIO_IOMMU_REQ_PROBE_SIZE), .resv_off = 8, .resv_len = 64,
	  .needs = IOASID_VIRTIO_IOMMU_F_PROBE, .needs_name = "VIRTIO_IOMMU_F_PROBE",
	  .props = true },
	{ .type = IOASID_VIRTIO_IOMMU_T_PAGE_RESP, .name = "PAGE_RESP", .handle = vi_req_page_resp,
	  .size = READABLE(IOASID_VIRTIO_IOMMU_REQ_PAGE_RESP_SIZE), .resv_off = 20, .resv_len = 4,
	  .known_with = IOASID_VIRTIO_IOMMU_F_FAULT_EXT },
};

/* The longest device-readable part of any request above. */
#define VI_REQ_MAX READABLE(IOASID_VIRTIO_IOMMU_REQ_PROBE_SIZE)
_Static_assert(VI_REQ_MAX >= READABLE(IOASID_VIRTIO_IOMMU_REQ_ATTACH_SIZE) &&
	       VI_REQ_MAX >= READABLE(IOASID_VIRTIO_IOMMU_REQ_DETACH_SIZE) &&
	       VI_REQ_MAX >= READABLE(IOASID_VIRTIO_IOMMU_REQ_MAP_SIZE) &&
	       VI_REQ_MAX >= READABLE(IOASID_VIRTIO_IOMMU_REQ_UNMAP_SIZE) &&
	       VI_REQ_MAX >= READABLE(IOASID_VIRTIO_IOMMU_REQ_PAGE_RESP_SIZE),
	       "VI_REQ_MAX holds every request");

/* Are the @n bytes at @p all zero? */
static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* The entry of @type, or NULL when this device does not know the type. */
static const struct vi_request_op *request_op(const struct ioasid_virtio_iommu *v, uint8_t type)
{
	size_t i;

	for (i = 0; i < VI_ARRAY_SIZE(request_ops); i++) {
		const struct vi_request_op *op = &request_ops[i];

		if (op->type == type)
			return !op->known_with || vi_has(v, op->known_with) ? op : NULL;
	}
	return NULL;
}

/*
 * The status of a request of type @op (NULL: not even a type byte) whose
 * first @got bytes (all of them, up to VI_REQ_MAX) are @req: a whole
 * request, the head's reserved bytes zero, its feature negotiated, its
 * body's reserved bytes zero, then what its handler says.
 */
static uint8_t request_run(struct ioasid_virtio_iommu *v, const struct vi_request_op *op,
			   const uint8_t *req, size_t got, const struct iovec *rd,
			   unsigned int nr_rd)
{
	/* every layout fits VI_REQ_MAX: @got falls short only when the request does */
	if (got < IOASID_VIRTIO_IOMMU_HEAD_SIZE || got < (op ? op->size : 0)) {
		/* not a whole request: a transport problem, not a bad parameter */
		return vi_fail(v, S_IOERR,
			       "%s request has %zu device-readable bytes; its layout needs %zu",
			       op ? op->name : "empty", vi_iov_len(rd, nr_rd),
			       op ? op->size : (size_t)IOASID_VIRTIO_IOMMU_HEAD_SIZE);
	}
	if (!all_zero(req + 1, 3))
		return vi_fail(v, S_INVAL, "%s: reserved bytes of the head are not zero", op->name);
	if (op->needs && !vi_has(v, op->needs))
		return vi_fail(v, S_UNSUPP, "%s: %s is not negotiated", op->name, op->needs_name);
	if (!all_zero(req + op->resv_off, op->resv_len))
		return vi_fail(v, S_INVAL, "%s: reserved bytes are not zero", op->name);
	return op->handle(v, req);
}

/*
 * Write the device-writable part: PROBE's properties (none when it
 * failed), then the tail at @tail_off. Returns the used length.
 */
static size_t request_reply(struct ioasid_virtio_iommu *v, const struct vi_request_op *op,
			    uint8_t status, const struct iovec *wr, unsigned int nr_wr,
			    size_t tail_off)
{
	uint8_t tail[IOASID_VIRTIO_IOMMU_TAIL_SIZE] = { status };

	if (op && op->props) {
		if (status != S_OK)
			memset(v->probe_buf, 0, tail_off);
		vi_iov_write(wr, nr_wr, 0, v->probe_buf, tail_off);
	}
	vi_iov_write(wr, nr_wr, tail_off, tail, sizeof(tail));
	return tail_off + sizeof(tail);
}

IOASID_EXPORT int ioasid_virtio_iommu_request(struct ioasid_virtio_iommu *v, const struct iovec *rd,
					unsigned int nr_rd, const struct iovec *wr,
					unsigned int nr_wr, size_t *ret_used)
{
	const struct vi_request_op *op = NULL;
	uint8_t req[VI_REQ_MAX];
	size_t got, wr_len, tail_off;
	uint8_t status;

	if (!v || !ret_used || (!rd && nr_rd) || (!wr && nr_wr))
		return v ? ioasid_err_outer(v->ctx, -EINVAL,
					    "ioasid_virtio_iommu_request: NULL argument") :
			   -EINVAL;
	*ret_used = 0;
	pthread_mutex_lock(&v->lock);
	/* one copy: the longest layout, or all there is */
	got = vi_iov_read(rd, nr_rd, 0, req, sizeof(req));
	if (got) {
		op = request_op(v, req[0]);
		if (!op) {
			/* the spec's answer: the buffer goes back unwritten */
			v->st.unknown++;
			pthread_mutex_unlock(&v->lock);
			return ioasid_err_outer(v->ctx, -EOPNOTSUPP,
						"virtio-iommu: unknown request type %u: returned unwritten",
						req[0]);
		}
	}
	tail_off = op && op->props ? v->cfg.probe_size : 0;
	wr_len = vi_iov_len(wr, nr_wr);
	if (wr_len < tail_off + IOASID_VIRTIO_IOMMU_TAIL_SIZE) {
		pthread_mutex_unlock(&v->lock);
		return ioasid_err_outer(v->ctx, -EMSGSIZE,
					"virtio-iommu: %s request with %zu device-writable bytes: its tail goes at byte %zu",
					op ? op->name : "empty", wr_len, tail_off);
	}
	status = request_run(v, op, req, got, rd, nr_rd);
	*ret_used = request_reply(v, op, status, wr, nr_wr, tail_off);
	v->st.requests++;
	v->st.status[status]++;
	pthread_mutex_unlock(&v->lock);
	return 0;
}

IOASID_EXPORT int ioasid_virtio_iommu_request_buf(struct ioasid_virtio_iommu *v, const void *req,
					    size_t req_len, void *resp, size_t resp_len,
					    size_t *ret_used)
{
	struct iovec rd = { .iov_base = (void *)req, .iov_len = req_len };
	struct iovec wr = { .iov_base = resp, .iov_len = resp_len };

	if ((!req && req_len) || (!resp && resp_len))
		return v ? ioasid_err_outer(v->ctx, -EINVAL,
					    "ioasid_virtio_iommu_request_buf: NULL buffer") :
			   -EINVAL;
	return ioasid_virtio_iommu_request(v, &rd, 1, &wr, 1, ret_used);
}
