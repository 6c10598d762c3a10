/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sim's hardware page tables: each paging HWPT owns a real VT-d
 * second-stage table (pgtable.c) mirroring its IOAS, kept coherent with the
 * IOTLB as the kernel keeps it (unmap flushes); nested HWPTs point at a
 * guest-owned first-stage table that only the guest changes, and only the
 * guest's invalidations flush. Also the invalidation requests, dirty
 * tracking and the HWPT's JSON view.
 */
#include <string.h>

#include "sim-private.h"

#define PG 4096ull

static uint32_t pt_perm(uint64_t cookie)
{
	return ((cookie & IOASID_MAP_READ) ? SIM_PT_R : 0) |
	       ((cookie & IOASID_MAP_WRITE) ? SIM_PT_W : 0);
}

static struct sim_ctx *sim_of(struct ioasid_ctx *ctx)
{
	return ctx->be;
}

/* Invalidate the device TLBs of the devices using @h (or a child of @h). */
static uint64_t flush_devtlbs(struct ioasid_ctx *ctx, struct ioasid_hwpt *h,
			      const struct ioasid_inv_req *req)
{
	struct ioasid_obj *o;
	uint64_t n = 0;
	uint32_t pos = 0, i;

	while ((o = obj_next(ctx, IOASID_OBJ_DEV, &pos))) {
		struct ioasid_dev *dev = (struct ioasid_dev *)o;
		struct sim_dev *sd = dev->be;

		if (!sd || !sd->devtlb || (req && req->dev && req->dev != dev->obj.id))
			continue;
		for (i = 0; i < dev->nr_att; i++) {
			struct ioasid_hwpt *ah = dev->att[i]->hwpt;
			uint32_t pasid = dev->att[i]->pasid;

			if (ah != h && ah->parent != h)
				continue;
			if (!req || req->granularity == IOASID_INV_ALL)
				n += sim_iotlb_inv_pasid(sd->devtlb, ah->obj.id, pasid);
			else if (req->granularity == IOASID_INV_PASID) {
				if (req->pasid == pasid)
					n += sim_iotlb_inv_pasid(sd->devtlb, ah->obj.id, pasid);
			} else if (req->pasid == IOASID_PASID_NONE || req->pasid == pasid) {
				n += sim_iotlb_inv_range(sd->devtlb, ah->obj.id, pasid, req->addr,
							 req->npages, req->log2_pgsize,
							 (req->flags & IOASID_INV_LEAF) ?
							 SIM_IOTLB_INV_LEAF : 0);
			}
		}
	}
	return n;
}

uint64_t sim_flush_hwpt(struct ioasid_ctx *ctx, struct ioasid_hwpt *h)
{
	struct sim_ctx *sim = sim_of(ctx);
	struct ioasid_obj *o;
	uint64_t n;
	uint32_t pos = 0;

	sim->ctx_gen++;
	n = sim_iotlb_inv_id(sim->iotlb, h->obj.id);
	n += sim_pasid_cache_inv_domain(sim->pasid_cache, h->obj.id);
	/* nested children translate through @h: their entries depend on it */
	while ((o = obj_next(ctx, IOASID_OBJ_HWPT, &pos))) {
		struct ioasid_hwpt *c = (struct ioasid_hwpt *)o;

		if (c->parent == h)
			n += sim_iotlb_inv_id(sim->iotlb, c->obj.id);
	}
	return n + flush_devtlbs(ctx, h, NULL);
}

int sim_hwpt_alloc(struct ioasid_ctx *ctx, struct ioasid_hwpt *h, struct ioasid_dev *dev)
{
	const struct sim_profile *p = sim_of(ctx)->profile;
	struct sim_hwpt *sh;
	const struct iova_area *a;
	uint64_t pgsz;
	int err;

	sh = ioasid_calloc(1, sizeof(*sh));
	if (!sh)
		return ioasid_err(ctx, -ENOMEM, "out of memory for an HWPT");
	if (!hwpt_is_paging(h)) {
		sh->levels = h->s1.addr_width == 57 ? 5 : 4;
		h->be = sh;
		return 0;
	}
	/* 4-level covers every profile up to 48 bits; the aperture limits it */
	sh->levels = p->input_width > 48 ? 5 : 4;
	pgsz = dev->props.pgsize_bitmap & (SIM_PT_SZ_4K | SIM_PT_SZ_2M | SIM_PT_SZ_1G);
	if (!(pgsz & SIM_PT_SZ_4K)) {
		ioasid_free(sh);
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "the sim builds VT-d format tables, which need 4 KiB pages; %s has page sizes 0x%llx",
				  dev->name, (unsigned long long)dev->props.pgsize_bitmap);
	}
	sh->pt = sim_pt_new(SIM_PT_VTD_SL, sh->levels, pgsz);
	if (!sh->pt) {
		ioasid_free(sh);
		return ioasid_err(ctx, -ENOMEM, "out of memory for a page table");
	}
	for (a = iova_tree_first_in(h->ioas->areas, 0, UINT64_MAX); a;
	     a = iova_tree_next(h->ioas->areas, a)) {
		err = sim_pt_map(sh->pt, a->iova, a->uva, a->last - a->iova + 1, pt_perm(a->cookie));
		if (err) {
			sim_pt_free(sh->pt);
			ioasid_free(sh);
			return ioasid_err(ctx, err, "mirroring [0x%llx, 0x%llx] into a page table: %s",
					  (unsigned long long)a->iova, (unsigned long long)a->last,
					  ioasid_strerrno(err));
		}
	}
	h->be = sh;
	return 0;
}

void sim_hwpt_destroy(struct ioasid_ctx *ctx, struct ioasid_hwpt *h)
{
	struct sim_hwpt *sh = h->be;

	sim_flush_hwpt(ctx, h);
	sim_pt_free(sh->pt);
	ioasid_free(sh);
	h->be = NULL;
}

int sim_area_map(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, const struct iova_area *a)
{
	struct ioasid_hwpt *h, *u;
	uint64_t len = a->last - a->iova + 1;
	int err;

	for (h = ioas->paging; h; h = h->next_paging) {
		err = sim_pt_map(((struct sim_hwpt *)h->be)->pt, a->iova, a->uva, len,
				 pt_perm(a->cookie));
		if (err) {
			for (u = ioas->paging; u != h; u = u->next_paging)
				sim_pt_unmap(((struct sim_hwpt *)u->be)->pt, a->iova, len, NULL);
			return ioasid_err(ctx, err, "the page table of HWPT %u cannot map [0x%llx, 0x%llx]: %s",
					  h->obj.id, (unsigned long long)a->iova,
					  (unsigned long long)a->last, ioasid_strerrno(err));
		}
	}
	return 0;
}

void sim_area_unmap(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, const struct iova_area *a)
{
	struct sim_ctx *sim = sim_of(ctx);
	uint64_t len = a->last - a->iova + 1;
	struct ioasid_hwpt *h;

	for (h = ioas->paging; h; h = h->next_paging) {
		struct ioasid_inv_req req = {
			.granularity = IOASID_INV_RANGE,
			.pasid = IOASID_PASID_NONE,
			.addr = a->iova,
			.npages = len / PG,
			.log2_pgsize = 12,
		};
		struct ioasid_obj *o;
		uint32_t pos = 0;

		/* Areas are mapped whole, so no huge leaf needs splitting here. */
		sim_pt_unmap(((struct sim_hwpt *)h->be)->pt, a->iova, len, NULL);
		/* as the kernel does: the unmap flushes the IOTLB and device TLBs */
		sim->inv_entries += sim_iotlb_inv_range(sim->iotlb, h->obj.id, SIM_PASID_ANY,
							a->iova, len / PG, 12, 0);
		sim->inv_entries += flush_devtlbs(ctx, h, &req);
		while ((o = obj_next(ctx, IOASID_OBJ_HWPT, &pos)))
			if (((struct ioasid_hwpt *)o)->parent == h)
				sim->inv_entries += sim_iotlb_inv_id(sim->iotlb, o->id);
	}
}

int sim_hwpt_invalidate(struct ioasid_ctx *ctx, struct ioasid_hwpt *h,
			const struct ioasid_inv_req *req, uint64_t *ret_dropped)
{
	struct sim_ctx *sim = sim_of(ctx);
	uint32_t did = h->obj.id;
	uint64_t n = 0;

	switch (req->kind) {
	case IOASID_INV_IOTLB:
		if (req->granularity == IOASID_INV_ALL)
			n = sim_iotlb_inv_id(sim->iotlb, did);
		else if (req->granularity == IOASID_INV_PASID)
			n = sim_iotlb_inv_pasid(sim->iotlb, did, req->pasid);
		else
			n = sim_iotlb_inv_range(sim->iotlb, did,
						req->pasid == IOASID_PASID_NONE ? SIM_PASID_ANY : req->pasid,
						req->addr, req->npages, req->log2_pgsize,
						(req->flags & IOASID_INV_LEAF) ? SIM_IOTLB_INV_LEAF : 0);
		/* as the kernel does for VT-d: the device TLBs go along */
		n += flush_devtlbs(ctx, h, req);
		break;
	case IOASID_INV_DEV_IOTLB:
		if (req->dev && !obj_find(ctx, req->dev, IOASID_OBJ_DEV))
			return ioasid_err(ctx, -ENOENT, "device-IOTLB request for unknown device %u",
					  req->dev);
		n = flush_devtlbs(ctx, h, req);
		break;
	case IOASID_INV_PASID_CACHE:
		sim->ctx_gen++; /* the context caches hold what the PASID cache held */
		if (req->granularity == IOASID_INV_ALL)
			n = sim_pasid_cache_inv_domain(sim->pasid_cache, did);
		else
			n = sim_pasid_cache_inv_pasid(sim->pasid_cache, did, req->pasid);
		break;
	default:
		return ioasid_err(ctx, -EINVAL, "unknown invalidation kind %u", req->kind);
	}
	sim->invalidations++;
	sim->inv_entries += n;
	*ret_dropped = n;
	return 0;
}

/* Clear (or read) the dirty bits of every area, a bounded chunk at a time. */
static int dirty_sweep(struct ioasid_ctx *ctx, struct ioasid_hwpt *h)
{
	struct sim_hwpt *sh = h->be;
	const struct iova_area *a;
	uint64_t scratch[64]; /* 4096 pages = 16 MiB per step */

	for (a = iova_tree_first_in(h->ioas->areas, 0, UINT64_MAX); a;
	     a = iova_tree_next(h->ioas->areas, a)) {
		uint64_t off;

		for (off = a->iova; off <= a->last; off += 4096 * PG) {
			uint64_t n = IOASID_MIN(a->last - off + 1, 4096 * PG);
			int err = sim_pt_dirty_read(sh->pt, off, n, PG, scratch, true);

			if (err)
				return ioasid_err(ctx, err, "clearing dirty bits at 0x%llx: %s",
						  (unsigned long long)off, ioasid_strerrno(err));
			if (off + n - 1 == UINT64_MAX)
				break;
		}
	}
	return 0;
}

int sim_hwpt_set_dirty(struct ioasid_ctx *ctx, struct ioasid_hwpt *h, bool enable)
{
	int err = 0;

	/* enabling wipes stale dirty state first (kernel-uapi.md §1.4) */
	if (enable && !h->dirty_enabled)
		err = dirty_sweep(ctx, h);
	/* cached entries remember whether their page was dirtied: drop them */
	sim_flush_hwpt(ctx, h);
	return err;
}

int sim_hwpt_get_dirty(struct ioasid_ctx *ctx, struct ioasid_hwpt *h, uint64_t iova,
		       uint64_t length, uint64_t page_size, uint64_t *bitmap, bool clear)
{
	struct sim_ctx *sim = sim_of(ctx);
	struct sim_hwpt *sh = h->be;
	int err;

	err = sim_pt_dirty_read(sh->pt, iova, length, page_size, bitmap, clear);
	if (err)
		return ioasid_err(ctx, err,
				  "dirty bitmap of [0x%llx, +0x%llx) at page size 0x%llx: beyond the %u-level table or misaligned",
				  (unsigned long long)iova, (unsigned long long)length,
				  (unsigned long long)page_size, sh->levels);
	/* a cleared D bit must be set again by the next write: flush the range */
	if (clear)
		sim->inv_entries += sim_iotlb_inv_range(sim->iotlb, h->obj.id, SIM_PASID_ANY, iova,
							length / page_size,
							(unsigned int)__builtin_ctzll(page_size), 0);
	return 0;
}

struct count_arg {
	uint32_t id;
	uint64_t n;
};

static int count_entries(void *opaque, uint32_t id, uint32_t pasid,
			 const struct sim_iotlb_entry *e)
{
	struct count_arg *c = opaque;

	(void)pasid;
	(void)e;
	if (id == c->id)
		c->n++;
	return 0;
}

int sim_hwpt_json(struct ioasid_ctx *ctx, struct ioasid_hwpt *h, json_t *obj)
{
	struct sim_hwpt *sh = h->be;
	struct count_arg c = { .id = h->obj.id };
	json_t *t;

	sim_iotlb_for_each(sim_of(ctx)->iotlb, count_entries, &c);
	if (hwpt_is_paging(h))
		t = json_pack("{s:s,s:i,s:I}", "format", "vtd-second-stage", "levels",
			      (json_int_t)sh->levels, "table_pages",
			      (json_int_t)sim_pt_table_pages(sh->pt));
	else
		t = json_pack("{s:s,s:i,s:s}", "format", "vtd-first-stage", "levels",
			      (json_int_t)sh->levels, "owner", "guest");
	if (!t || json_object_set_new(obj, "table", t))
		return -ENOMEM;
	t = json_pack("{s:I}", "iotlb_entries", (json_int_t)c.n);
	if (!t || json_object_set_new(obj, "cache", t))
		return -ENOMEM;
	return 0;
}

int sim_dev_attach(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pasid,
		   struct ioasid_hwpt *h)
{
	struct sim_ctx *sim = sim_of(ctx);

	(void)h;
	/* the context entry changed: forget what was cached for it */
	sim->ctx_gen++;
	sim_pasid_cache_inv_pasid(sim->pasid_cache, SIM_DOMAIN_ANY, pasid);
	return 0;
}

void sim_dev_detach(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pasid,
		    struct ioasid_hwpt *h)
{
	struct sim_ctx *sim = sim_of(ctx);
	struct sim_dev *sd = dev->be;

	sim->ctx_gen++;
	sim_pasid_cache_inv_pasid(sim->pasid_cache, h->obj.id, pasid);
	if (sd && sd->devtlb)
		sim_iotlb_inv_pasid(sd->devtlb, h->obj.id, pasid);
}
