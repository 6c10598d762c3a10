/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-iommu PROBE: the device side (the request, and an endpoint's
 * properties from its capability chain) and the guest side (a parser a
 * driver, a test or a VMM's test tool can trust with any bytes).
 *
 * Property list (virtio spec; docs/kernel-uapi.md §3.3): each entry is a
 * 4-byte header {le16 type (low 12 bits), le16 length} and `length` bytes;
 * the list ends at type NONE or at the end of the probe_size bytes; unused
 * space is zero.
 */
#include <string.h>

#include "private.h"

/* Bytes after the 4-byte header, the `length` field of each property. */
#define RESV_MEM_LEN (IOASID_VIRTIO_IOMMU_PROP_RESV_MEM_SIZE - IOASID_VIRTIO_IOMMU_PROP_HEAD_SIZE)
#define PGSIZE_LEN   (IOASID_VIRTIO_IOMMU_PROP_PGSIZE_SIZE - IOASID_VIRTIO_IOMMU_PROP_HEAD_SIZE)

/* ---- the device side ---- */

/* Fill v->probe_buf with the properties of @ep; a status code. */
static uint8_t probe_fill(struct ioasid_virtio_iommu *v, const struct vi_endpoint *ep)
{
	uint32_t size = v->cfg.probe_size, off = 0, need, i;
	uint8_t *b = v->probe_buf;
	bool pgsize = vi_has(v, IOASID_VIRTIO_IOMMU_F_PROBE_PGSIZE);

	need = ep->nr_resv * IOASID_VIRTIO_IOMMU_PROP_RESV_MEM_SIZE +
	       (pgsize ? IOASID_VIRTIO_IOMMU_PROP_PGSIZE_SIZE : 0);
	if (need > size) {
		/*
		 * A partial list would let the guest map over a reserved
		 * region: refuse the whole probe. The device's own probe_size
		 * is too small, hence a device error.
		 */
		return vi_fail(v, S_DEVERR,
			       "PROBE: endpoint %u needs %u bytes of properties, probe_size is %u",
			       ep->id, need, size);
	}
	memset(b, 0, size);
	for (i = 0; i < ep->nr_resv; i++, off += IOASID_VIRTIO_IOMMU_PROP_RESV_MEM_SIZE) {
		vi_put_le16(b + off, IOASID_VIRTIO_IOMMU_PROBE_T_RESV_MEM);
		vi_put_le16(b + off + 2, RESV_MEM_LEN);
		b[off + 4] = ep->resv[i].subtype;
		vi_put_le64(b + off + 8, ep->resv[i].start);
		vi_put_le64(b + off + 16, ep->resv[i].end);
	}
	if (pgsize) {
		vi_put_le16(b + off, IOASID_VIRTIO_IOMMU_PROBE_T_PAGE_SIZE_MASK);
		vi_put_le16(b + off + 2, PGSIZE_LEN);
		vi_put_le64(b + off + 8, ep->pgsize);
	}
	return S_OK;
}

uint8_t vi_req_probe(struct ioasid_virtio_iommu *v, const uint8_t *req)
{
	uint32_t endpoint = vi_le32(req + 4);
	struct vi_endpoint *ep;

	ep = vi_ep_find(v, endpoint);
	if (!ep)
		return vi_fail(v, S_NOENT, "PROBE: no endpoint %u", endpoint);
	return probe_fill(v, ep);
}

/* ---- the guest side ---- */

/* A RESV_MEM property at @off; @p points after its header, @plen bytes. */
static int parse_resv_mem(const uint8_t *p, uint16_t plen, size_t off,
			  struct ioasid_virtio_iommu_probe_props *props)
{
	struct ioasid_virtio_iommu_resv_mem *r;
	uint64_t start, end;

	/* refused before any field is read */
	if (plen < RESV_MEM_LEN)
		return ioasid_err_outer(NULL, -EMSGSIZE,
					"RESV_MEM at %zu has length %u, its struct needs %u", off,
					plen, RESV_MEM_LEN);
	start = vi_le64(p + 4);
	end = vi_le64(p + 12);
	if (start > end)
		return ioasid_err_outer(NULL, -EINVAL,
					"RESV_MEM at %zu: start 0x%llx is above end 0x%llx", off,
					X(start), X(end));
	if (props->nr_resv < props->max_resv) {
		r = &props->resv[props->nr_resv];
		memset(r, 0, sizeof(*r));
		r->start = start;
		r->end = end;
		/* an unknown subtype means RESERVED (spec) */
		r->subtype = p[0] == IOASID_VIRTIO_IOMMU_RESV_MEM_T_MSI ?
			IOASID_VIRTIO_IOMMU_RESV_MEM_T_MSI : IOASID_VIRTIO_IOMMU_RESV_MEM_T_RESERVED;
	}
	props->nr_resv++;
	return 0;
}

/* A PAGE_SIZE_MASK property at @off; @p points after its header, @plen bytes. */
static int parse_page_size_mask(const uint8_t *p, uint16_t plen, size_t off,
				struct ioasid_virtio_iommu_probe_props *props)
{
	uint64_t mask;

	if (plen < PGSIZE_LEN)
		return ioasid_err_outer(NULL, -EMSGSIZE,
					"PAGE_SIZE_MASK at %zu has length %u, its struct needs %u",
					off, plen, PGSIZE_LEN);
	if (props->page_size_mask)
		return ioasid_err_outer(NULL, -EINVAL, "a second PAGE_SIZE_MASK at %zu", off);
	if (p[0] | p[1] | p[2] | p[3])
		return ioasid_err_outer(NULL, -EINVAL,
					"PAGE_SIZE_MASK at %zu: reserved bytes are not zero", off);
	/* the full 64 bits, never narrowed to the host's long */
	mask = vi_le64(p + 4);
	if (!mask)
		return ioasid_err_outer(NULL, -EINVAL,
					"PAGE_SIZE_MASK at %zu is 0: no page size at all", off);
	props->page_size_mask = mask;
	return 0;
}

IOASID_EXPORT int ioasid_virtio_iommu_probe_parse(const void *buf, size_t len,
					    struct ioasid_virtio_iommu_probe_props *inout_props)
{
	const uint8_t *b = buf;
	size_t off = 0;
	int err;

	if (!inout_props || (!buf && len) || (!inout_props->resv && inout_props->max_resv))
		return ioasid_err_outer(NULL, -EINVAL,
					"ioasid_virtio_iommu_probe_parse: NULL argument");
	inout_props->nr_resv = 0;
	inout_props->nr_unknown = 0;
	inout_props->page_size_mask = 0;
	inout_props->used = 0;
	/* a header needs 4 bytes; fewer left over is end of buffer */
	while (len - off >= IOASID_VIRTIO_IOMMU_PROP_HEAD_SIZE) {
		uint16_t type = vi_le16(b + off) & IOASID_VIRTIO_IOMMU_PROBE_T_MASK;
		uint16_t plen = vi_le16(b + off + 2);
		const uint8_t *p = b + off + IOASID_VIRTIO_IOMMU_PROP_HEAD_SIZE;

		if (type == IOASID_VIRTIO_IOMMU_PROBE_T_NONE)
			break;
		if (plen > len - off - IOASID_VIRTIO_IOMMU_PROP_HEAD_SIZE)
			return ioasid_err_outer(NULL, -EMSGSIZE,
						"property at %zu (type %u) has length %u, only %zu bytes follow",
						off, type, plen,
						len - off - IOASID_VIRTIO_IOMMU_PROP_HEAD_SIZE);
		switch (type) {
		case IOASID_VIRTIO_IOMMU_PROBE_T_RESV_MEM:
			err = parse_resv_mem(p, plen, off, inout_props);
			break;
		case IOASID_VIRTIO_IOMMU_PROBE_T_PAGE_SIZE_MASK:
			err = parse_page_size_mask(p, plen, off, inout_props);
			break;
		default:
			inout_props->nr_unknown++;
			err = 0;
			break;
		}
		if (err)
			return err;
		off += IOASID_VIRTIO_IOMMU_PROP_HEAD_SIZE + (size_t)plen;
		inout_props->used = off > UINT32_MAX ? UINT32_MAX : (uint32_t)off;
	}
	return 0;
}
