/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-iommu events: libioasid fault records become event-queue records
 * (struct virtio_iommu_fault, or the 48-byte extended record of the fault
 * extension), and the guest's PAGE_RESP requests become group responses.
 *
 * The virtio-iommu reads whole groups off its fault queue only when the VMM has
 * an event buffer to fill, so at most one read is held here and the
 * queue's own depth, overflow answer and timeout stay in charge of
 * back-pressure (fault.h).
 */
#include <string.h>

#include "private.h"

#define VI_EV_CAP_MAX (1u << 17) /* records of one read: above any queue depth */

/* ---- page request groups handed to the guest ---- */

static struct vi_group *group_find(struct ioasid_virtio_iommu *v, uint32_t endpoint, uint32_t pasid,
				   uint16_t grpid)
{
	uint32_t i;

	for (i = 0; i < v->nr_groups; i++)
		if (v->groups[i].endpoint == endpoint && v->groups[i].pasid == pasid &&
		    v->groups[i].grpid == grpid)
			return &v->groups[i];
	return NULL;
}

static void group_drop(struct ioasid_virtio_iommu *v, struct vi_group *g)
{
	*g = v->groups[--v->nr_groups];
}

/*
 * Remember (endpoint, PASID, group index) -> cookie. A key seen again is a
 * new group of the device (PCIe reuses indices once answered), so it
 * replaces the old entry.
 */
static int group_add(struct ioasid_virtio_iommu *v, uint32_t endpoint, uint32_t pasid, uint16_t grpid,
		     uint64_t cookie)
{
	struct vi_group *g = group_find(v, endpoint, pasid, grpid);

	if (!g) {
		struct vi_group *n = vi_grow(v->groups, v->nr_groups, &v->cap_groups, sizeof(*n), 16);

		if (!n)
			return -ENOMEM;
		v->groups = n;
		g = &v->groups[v->nr_groups++];
	}
	*g = (struct vi_group){ .endpoint = endpoint, .pasid = pasid, .grpid = grpid,
				.cookie = cookie };
	return 0;
}

void vi_events_forget_endpoint(struct ioasid_virtio_iommu *v, uint32_t endpoint)
{
	uint32_t i = 0;

	/* the library answered them INVALID when the device moved */
	while (i < v->nr_groups) {
		if (v->groups[i].endpoint == endpoint)
			group_drop(v, &v->groups[i]);
		else
			i++;
	}
}

void vi_events_answer_endpoint(struct ioasid_virtio_iommu *v, uint32_t endpoint)
{
	uint32_t i = 0;

	while (i < v->nr_groups) {
		if (v->groups[i].endpoint == endpoint) {
			ioasid_fault_respond(v->ctx, v->queue, v->groups[i].cookie,
					     IOASID_FAULT_INVALID);
			group_drop(v, &v->groups[i]);
		} else {
			i++;
		}
	}
}

void vi_events_reset(struct ioasid_virtio_iommu *v)
{
	uint32_t i;

	for (i = 0; i < v->nr_groups; i++)
		ioasid_fault_respond(v->ctx, v->queue, v->groups[i].cookie, IOASID_FAULT_INVALID);
	v->nr_groups = 0;
	/* held page requests not given to the guest were answered on reading */
	v->ev_n = v->ev_pos = 0;
}

/* ---- the fault queue ---- */

static int no_queue(struct ioasid_virtio_iommu *v)
{
	return ioasid_err_outer(v->ctx, -EOPNOTSUPP,
				"virtio-iommu: no fault queue (the virtio-iommu was made without a set)");
}

IOASID_EXPORT int ioasid_virtio_iommu_fault_queue(struct ioasid_virtio_iommu *v, uint32_t *ret_queue)
{
	if (!v || !ret_queue)
		return -EINVAL;
	if (!v->queue)
		return no_queue(v);
	*ret_queue = v->queue;
	return 0;
}

/* ---- reading the queue ---- */

/*
 * Decide, per page request group of a fresh read, who answers it: the
 * guest, when it negotiated the fault extension and the endpoint is in a
 * domain (it can fix the mapping); otherwise the virtio-iommu, at once, INVALID,
 * and the records become ordinary faults for the guest.
 */
static void triage(struct ioasid_virtio_iommu *v)
{
	bool ext = vi_has(v, IOASID_VIRTIO_IOMMU_F_FAULT_EXT);
	uint32_t i;

	for (i = 0; i < v->ev_n; i++) {
		struct ioasid_fault *f = &v->ev[i];
		struct vi_endpoint *ep;
		uint32_t pasid;

		if (!(f->flags & IOASID_FAULT_F_PAGE_REQ))
			continue;
		ep = vi_ep_by_dev(v, f->dev);
		pasid = f->flags & IOASID_FAULT_F_PASID_VALID ? f->pasid : IOASID_PASID_NONE;
		if (ext && ep && ep->attached &&
		    !group_add(v, ep->id, pasid, f->grpid, f->cookie)) {
			if (f->flags & IOASID_FAULT_F_LAST)
				v->st.page_requests++;
			continue;
		}
		if (f->flags & IOASID_FAULT_F_LAST) {
			ioasid_fault_respond(v->ctx, v->queue, f->cookie, IOASID_FAULT_INVALID);
			v->st.auto_answered++;
		}
		f->flags &= ~(IOASID_FAULT_F_PAGE_REQ | IOASID_FAULT_F_LAST |
			      IOASID_FAULT_F_GROUP_VALID);
	}
}

static int refill(struct ioasid_virtio_iommu *v)
{
	for (;;) {
		uint32_t n = v->ev_cap;
		int err = -EMSGSIZE;

		if (n)
			err = ioasid_fault_read(v->ctx, v->queue, v->ev, &n);
		if (err == -EMSGSIZE) {
			/* the next group is bigger than the buffer: grow it */
			uint32_t ncap = v->ev_cap ? 2 * v->ev_cap : 16;
			struct ioasid_fault *e;

			if (ncap > VI_EV_CAP_MAX)
				return ioasid_err_outer(v->ctx, -EMSGSIZE,
							"virtio-iommu: a fault group above %u records",
							VI_EV_CAP_MAX);
			e = ioasid_realloc(v->ev, ncap * sizeof(*e));
			if (!e)
				return ioasid_err_outer(v->ctx, -ENOMEM,
							"virtio-iommu: out of memory for fault records");
			v->ev = e;
			v->ev_cap = ncap;
			continue;
		}
		if (err)
			return err;
		if (!n)
			return -EAGAIN;
		v->ev_n = n;
		v->ev_pos = 0;
		triage(v);
		return 0;
	}
}

/* ---- encoding ---- */

static uint8_t reason_of(const struct ioasid_fault *f, const struct vi_endpoint *ep)
{
	/* an endpoint in no domain (blocked or bypassing) has no mapping to blame */
	if (f->reason == IOASID_FAULT_R_BLOCKED || !ep->attached)
		return IOASID_VIRTIO_IOMMU_FAULT_R_DOMAIN;
	switch (f->reason) {
	case IOASID_FAULT_R_PAGE_REQUEST:
	case IOASID_FAULT_R_NOT_PRESENT:
	case IOASID_FAULT_R_PERMISSION:
		return IOASID_VIRTIO_IOMMU_FAULT_R_MAPPING;
	default:
		return IOASID_VIRTIO_IOMMU_FAULT_R_UNKNOWN;
	}
}

static size_t encode(const struct ioasid_virtio_iommu *v, const struct ioasid_fault *f,
		     const struct vi_endpoint *ep, uint8_t out[IOASID_VIRTIO_IOMMU_FAULT_EXT_SIZE])
{
	bool ext = vi_has(v, IOASID_VIRTIO_IOMMU_F_FAULT_EXT);
	uint32_t flags = 0;

	memset(out, 0, IOASID_VIRTIO_IOMMU_FAULT_EXT_SIZE);
	if (f->flags & IOASID_FAULT_F_READ)
		flags |= IOASID_VIRTIO_IOMMU_FAULT_F_READ;
	if (f->flags & IOASID_FAULT_F_WRITE)
		flags |= IOASID_VIRTIO_IOMMU_FAULT_F_WRITE;
	if (f->flags & IOASID_FAULT_F_EXEC)
		flags |= IOASID_VIRTIO_IOMMU_FAULT_F_EXEC;
	if (f->flags & IOASID_FAULT_F_ADDR_VALID) {
		flags |= IOASID_VIRTIO_IOMMU_FAULT_F_ADDRESS;
		vi_put_le64(out + 16, f->addr);
	}
	out[0] = reason_of(f, ep);
	vi_put_le32(out + 8, ep->id);
	if (!ext) {
		vi_put_le32(out + 4, flags);
		return IOASID_VIRTIO_IOMMU_FAULT_SIZE;
	}
	if (f->flags & IOASID_FAULT_F_PRIV)
		flags |= IOASID_VIRTIO_IOMMU_FAULT_F_PRIV;
	/*
	 * A group whose endpoint left its domain since it was read was
	 * answered INVALID by the library then: nothing for the guest to do.
	 */
	if (ep->attached && (f->flags & IOASID_FAULT_F_LAST))
		flags |= IOASID_VIRTIO_IOMMU_FAULT_F_LAST;
	if (ep->attached && (f->flags & IOASID_FAULT_F_PAGE_REQ))
		flags |= IOASID_VIRTIO_IOMMU_FAULT_F_PAGE_REQ;
	if (f->flags & IOASID_FAULT_F_PASID_VALID) {
		flags |= IOASID_VIRTIO_IOMMU_FAULT_F_PASID;
		vi_put_le32(out + 24, f->pasid);
	}
	if (ep->attached && (f->flags & IOASID_FAULT_F_GROUP_VALID)) {
		flags |= IOASID_VIRTIO_IOMMU_FAULT_F_GRPID;
		vi_put_le16(out + 28, f->grpid);
	}
	if (f->flags & IOASID_FAULT_F_PRIV_VALID) {
		flags |= IOASID_VIRTIO_IOMMU_FAULT_F_PRIV_DATA;
		vi_put_le64(out + 32, f->private_data[0]);
		vi_put_le64(out + 40, f->private_data[1]);
	}
	vi_put_le32(out + 4, flags);
	return IOASID_VIRTIO_IOMMU_FAULT_EXT_SIZE;
}

IOASID_EXPORT int ioasid_virtio_iommu_event_pop(struct ioasid_virtio_iommu *v, const struct iovec *wr,
					  unsigned int nr_wr, size_t *ret_used)
{
	uint8_t rec[IOASID_VIRTIO_IOMMU_FAULT_EXT_SIZE];
	size_t size, have;
	int err = 0;

	if (!v || !ret_used || (!wr && nr_wr))
		return v ? ioasid_err_outer(v->ctx, -EINVAL,
					    "ioasid_virtio_iommu_event_pop: NULL argument") :
			   -EINVAL;
	*ret_used = 0;
	pthread_mutex_lock(&v->lock);
	if (!v->queue) {
		err = no_queue(v);
		goto out;
	}
	size = vi_has(v, IOASID_VIRTIO_IOMMU_F_FAULT_EXT) ? IOASID_VIRTIO_IOMMU_FAULT_EXT_SIZE :
							    IOASID_VIRTIO_IOMMU_FAULT_SIZE;
	have = vi_iov_len(wr, nr_wr);
	if (have < size) {
		err = ioasid_err_outer(v->ctx, -EMSGSIZE,
				       "virtio-iommu: an event buffer of %zu bytes; a fault record needs %zu",
				       have, size);
		goto out;
	}
	for (;;) {
		const struct ioasid_fault *f;
		struct vi_endpoint *ep;

		if (v->ev_pos == v->ev_n) {
			err = refill(v);
			if (err)
				goto out;
		}
		f = &v->ev[v->ev_pos++];
		ep = vi_ep_by_dev(v, f->dev);
		if (!ep) {
			/* the device left the virtio-iommu; its page requests were answered */
			v->st.dropped++;
			continue;
		}
		size = encode(v, f, ep, rec);
		vi_iov_write(wr, nr_wr, 0, rec, size);
		*ret_used = size;
		v->st.events++;
		break;
	}
out:
	pthread_mutex_unlock(&v->lock);
	return err;
}

IOASID_EXPORT int ioasid_virtio_iommu_event_pop_buf(struct ioasid_virtio_iommu *v, void *buf, size_t len,
					      size_t *ret_used)
{
	struct iovec wr = { .iov_base = buf, .iov_len = len };

	if (!buf && len)
		return v ? ioasid_err_outer(v->ctx, -EINVAL,
					    "ioasid_virtio_iommu_event_pop_buf: NULL buffer") :
			   -EINVAL;
	return ioasid_virtio_iommu_event_pop(v, &wr, 1, ret_used);
}

IOASID_EXPORT int ioasid_virtio_iommu_event_fd(struct ioasid_virtio_iommu *v, int *ret_fd)
{
	if (!v || !ret_fd)
		return -EINVAL;
	if (!v->queue)
		return no_queue(v);
	return ioasid_fault_queue_fd(v->ctx, v->queue, ret_fd);
}

/* ---- PAGE_RESP (fault extension) ---- */

uint8_t vi_req_page_resp(struct ioasid_virtio_iommu *v, const uint8_t *req)
{
	uint32_t endpoint = vi_le32(req + 4), pasid = vi_le32(req + 8), flags = vi_le32(req + 12);
	uint16_t grpid = vi_le16(req + 16), code = vi_le16(req + 18);
	struct vi_group *g;
	uint64_t cookie;
	int err;

	if (flags & ~IOASID_VIRTIO_IOMMU_PAGE_RESP_F_PASID)
		return vi_fail(v, S_INVAL, "PAGE_RESP: unknown flags 0x%x",
			       flags & ~IOASID_VIRTIO_IOMMU_PAGE_RESP_F_PASID);
	if (code > IOASID_FAULT_FAILURE)
		return vi_fail(v, S_INVAL, "PAGE_RESP: code %u is not 0..2", code);
	if (!vi_ep_find(v, endpoint))
		return vi_fail(v, S_NOENT, "PAGE_RESP: no endpoint %u", endpoint);
	if (!(flags & IOASID_VIRTIO_IOMMU_PAGE_RESP_F_PASID))
		pasid = IOASID_PASID_NONE;
	g = group_find(v, endpoint, pasid, grpid);
	if (!g)
		return vi_fail(v, S_NOENT,
			       "PAGE_RESP: no page request group %u of endpoint %u (PASID %d) waits for an answer",
			       grpid, endpoint, (int)pasid);
	cookie = g->cookie;
	group_drop(v, g);
	err = ioasid_fault_respond(v->ctx, v->queue, cookie, code);
	switch (err) {
	case 0:
		return S_OK;
	case -EINVAL:
		/* answered meanwhile (timeout, detach): the group is gone */
		return vi_fail(v, S_NOENT,
			       "PAGE_RESP: group %u of endpoint %u was answered already", grpid,
			       endpoint);
	default:
		return vi_fail(v, ioasid_virtio_iommu_status_from_errno(err), "PAGE_RESP: %s",
			       ioasid_strerrno(err));
	}
}
