/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sim's hardware page tables: each paging HWPT owns a real table
 * (pgtable.c) in its model's format (VT-d second stage, Arm stage 1 or 2,
 * AMD v1)
 * mirroring its IOAS, kept coherent with the
 * IOTLB as the kernel keeps it (unmap flushes); nested HWPTs point at a
 * guest-owned first-stage table that only the guest changes, and only the
 * guest's invalidations flush. Also the invalidation requests, dirty
 * tracking, the HWPT's JSON view, and the devices' routes: what each
 * (device, PASID) is attached to, set by the attach and detach hooks so
 * that a DMA request finds it inside the sim.
 */
#include <string.h>

#include "sim-private.h"
#include "sim-viommu.h"
#include "util/sorted-u32.h"

#define PG 4096ull

static uint32_t pt_perm(uint64_t cookie)
{
	/* iommufd maps without IOMMU_PRIV: user-mode requests may use them too */
	return ((cookie & IOASID_MAP_READ) ? SIM_PT_R : 0) |
	       ((cookie & IOASID_MAP_WRITE) ? SIM_PT_W : 0) | SIM_PT_U;
}

static struct sim_ctx *sim_of(struct ioasid_ctx *ctx)
{
	return ctx->be;
}

/*
 * The leaf sizes a map into @sh may use: all of its table's, or only the
 * base page with the IOAS's huge pages off (IOMMU_OPTION_HUGE_PAGES = 0:
 * iommufd then maps every page alone, kernel-uapi.md §1.4 IOMMU_OPTION).
 * Read at each map, as the kernel reads disable_large_pages: turning the
 * option back on leaves what is mapped as it is.
 */
static uint64_t map_sizes(const struct sim_hwpt *sh, const struct ioasid_ioas *ioas)
{
	return ioas->huge_pages ? sim_pt_pgsize_bitmap(sh->pt) :
				  UINT64_C(1) << sim_pt_pg_shift(sim_pt_format(sh->pt));
}

/* ---- routes: (device, PASID) -> HWPT ---- */

struct sim_hwpt *sim_route_find(const struct sim_dev *sd, uint32_t pasid)
{
	bool found;
	uint32_t i = sorted_u32_find(sd->routes, sd->nr_routes, sizeof(*sd->routes), pasid, &found);

	return found ? sd->routes[i].sh : NULL;
}

/*
 * Route (@sd, @pasid) to @sh. A replace attaches the new HWPT before it
 * detaches the old one: the route moves on to the new one, or, when both
 * are the same HWPT, counts it twice until the old attachment's detach.
 */
static int route_set(struct ioasid_ctx *ctx, struct sim_dev *sd, uint32_t pasid,
		     struct sim_hwpt *sh)
{
	struct sim_route *n;
	bool found;
	uint32_t i = sorted_u32_find(sd->routes, sd->nr_routes, sizeof(*sd->routes), pasid, &found);

	if (found) {
		struct sim_route *r = &sd->routes[i];

		r->refs = r->sh == sh ? r->refs + 1 : 1;
		r->sh = sh;
		return 0;
	}
	n = ioasid_array_room(sd->routes, &sd->cap_routes, sd->nr_routes + 1, sizeof(*n));
	if (!n)
		return ioasid_err(ctx, -ENOMEM, "out of memory for an attachment");
	sd->routes = n;
	sorted_u32_open(sd->routes, &sd->nr_routes, sizeof(*sd->routes), i);
	sd->routes[i].pasid = pasid;
	sd->routes[i].refs = 1;
	sd->routes[i].sh = sh;
	return 0;
}

/* The attachment of (@sd, @pasid) to @sh goes: unless a replace moved the route on. */
static void route_clear(struct sim_dev *sd, uint32_t pasid, const struct sim_hwpt *sh)
{
	bool found;
	uint32_t i = sorted_u32_find(sd->routes, sd->nr_routes, sizeof(*sd->routes), pasid, &found);

	if (found && sd->routes[i].sh == sh && !--sd->routes[i].refs)
		sorted_u32_close(sd->routes, &sd->nr_routes, sizeof(*sd->routes), i);
}

static bool route_present(const struct sim_dev *sd, uint32_t pasid)
{
	bool found;

	sorted_u32_find(sd->routes, sd->nr_routes, sizeof(*sd->routes), pasid, &found);
	return found;
}

int sim_dev_attach(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pasid,
		   struct ioasid_hwpt *h)
{
	struct sim_ctx *sim = sim_of(ctx);
	struct sim_hwpt *sh = h->be;
	struct sim_dev *sd = dev->be;
	int err;

	if (sh->vi) {
		/* the vIOMMU driver's own attach rules (a vDEVICE first, ...) */
		err = sim_viommu_attach_check(ctx, sd, pasid, sh);
		if (err)
			return err;
	}
	err = route_set(ctx, sd, pasid, sh);
	if (err)
		return err;
	if (pasid == IOASID_PASID_NONE)
		sim_viommu_set_vmaster(sd, sh);
	sd->cfg_gen++;
	/* the context entry changed: forget what was cached for it */
	sim->ctx_gen++;
	sim_pasid_cache_inv_pasid(sim->pasid_cache, SIM_DOMAIN_ANY, pasid);
	return 0;
}

int sim_dev_detach(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pasid,
		   struct ioasid_hwpt *h)
{
	struct sim_ctx *sim = sim_of(ctx);
	struct sim_dev *sd = dev->be;

	route_clear(sd, pasid, h->be);
	if (pasid == IOASID_PASID_NONE && !route_present(sd, pasid))
		sd->vmaster = NULL; /* not after a replace, whose attach set the new one */
	sd->cfg_gen++;
	sim->ctx_gen++;
	sim_pasid_cache_inv_pasid(sim->pasid_cache, h->obj.id, pasid);
	if (sd->devtlb)
		sim_iotlb_inv_pasid(sd->devtlb, h->obj.id, pasid);
	return 0;
}

/* ---- cache maintenance ---- */

uint32_t sim_hwpt_tag(const struct sim_hwpt *sh)
{
	return sh->vi ? sh->vi->tag : sh->id;
}

/* Invalidate one route's entries in a device TLB as @req asks (NULL: all). */
static uint64_t flush_devtlb_route(struct sim_iotlb *devtlb, const struct sim_route *r,
				   const struct ioasid_inv_req *req)
{
	uint32_t id = r->sh->id;

	/*
	 * A vIOMMU model's ATC entries are tagged by the VM and the request's
	 * substream, not by the route: a stage-2 change drops the device's
	 * whole ATC of the VM, as the kernel's ATC_INV of a nest parent's
	 * masters does.
	 */
	if (r->sh->vi)
		return sim_iotlb_inv_id(devtlb, r->sh->vi->tag);
	if (!req || req->granularity == IOASID_INV_ALL)
		return sim_iotlb_inv_pasid(devtlb, id, r->pasid);
	if (req->granularity == IOASID_INV_PASID)
		return req->pasid == r->pasid ? sim_iotlb_inv_pasid(devtlb, id, r->pasid) : 0;
	if (req->pasid != IOASID_PASID_NONE && req->pasid != r->pasid)
		return 0;
	return sim_iotlb_inv_range(devtlb, id, r->pasid, req->addr, req->npages, req->log2_pgsize,
				   (req->flags & IOASID_INV_LEAF) ? SIM_IOTLB_INV_LEAF : 0);
}

/* Invalidate the device TLBs of the devices using @sh (or a child of @sh). */
static uint64_t flush_devtlbs(struct sim_ctx *sim, const struct sim_hwpt *sh,
			      const struct ioasid_inv_req *req)
{
	uint64_t n = 0;
	uint32_t d, i;

	for (d = 0; d < sim->cap_devs; d++) {
		struct sim_dev *sd = sim->devs[d];

		if (!sd || !sd->devtlb || (req && req->dev && req->dev != sd->id))
			continue;
		for (i = 0; i < sd->nr_routes; i++)
			if (sd->routes[i].sh == sh || sd->routes[i].sh->parent == sh)
				n += flush_devtlb_route(sd->devtlb, &sd->routes[i], req);
	}
	return n;
}

/* The IOTLB entries of @sh's nested children: they translate through it. */
static uint64_t flush_children(struct sim_ctx *sim, const struct sim_hwpt *sh)
{
	const struct sim_hwpt *c;
	uint64_t n = 0;

	for (c = sh->children; c; c = c->next_child)
		n += sim_iotlb_inv_id(sim->iotlb, sim_hwpt_tag(c));
	return n;
}

uint64_t sim_flush_hwpt(struct sim_ctx *sim, struct sim_hwpt *sh)
{
	uint64_t n;

	sim->ctx_gen++;
	n = sim_iotlb_inv_id(sim->iotlb, sh->id);
	sh->nr_tlb_pasids = 0; /* nothing of it is cached now */
	n += sim_pasid_cache_inv_domain(sim->pasid_cache, sh->id);
	n += flush_children(sim, sh);
	return n + flush_devtlbs(sim, sh, NULL);
}

/* ---- HWPTs and their tables ---- */

/* The sim's table format for each format a vendor model names. */
static const enum sim_pt_format pt_formats[] = {
	[VENDOR_PT_UNKNOWN] = SIM_PT_VTD_SL, [VENDOR_PT_ARM_S1] = SIM_PT_ARM_S1,
	[VENDOR_PT_ARM_S2] = SIM_PT_ARM_S2,  [VENDOR_PT_AMD_V1] = SIM_PT_AMD_V1,
	[VENDOR_PT_AMD_V2] = SIM_PT_AMD_V2,
};

/*
 * The table a paging HWPT with @h's flags gets on this profile: in the
 * format the model's Linux driver would build (vendor_domain's pt_*),
 * deep enough for its input width.
 */
static int table_new(struct ioasid_ctx *ctx, struct sim_hwpt *sh, const struct ioasid_hwpt *h,
		     uint64_t pgsz)
{
	const struct sim_profile *p = sim_of(ctx)->profile;
	struct vendor_domain v;
	unsigned int vf, in, nflags = 0, gran;
	enum sim_pt_format fmt;

	sim_profile_domain(p, &v);
	vf = v.pt_format;
	in = v.pt_in_bits;
	if ((h->flags & IOASID_HWPT_PASID) && v.pt_pasid_alone &&
	    (h->flags & (IOASID_HWPT_NEST_PARENT | IOASID_HWPT_DIRTY_TRACKING)))
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "profile %s makes a PASID-capable domain (IOASID_HWPT_PASID) only without NEST_PARENT and DIRTY_TRACKING (flags 0x%x)",
				  p->name, h->flags);
	if ((h->flags & IOASID_HWPT_PASID) && v.pt_pasid_format) {
		/* the input width is the format's own: 4 or 5 levels of x86-64 paging */
		vf = v.pt_pasid_format;
		in = v.pt_pasid_in_bits ? v.pt_pasid_in_bits : 48;
	}
	if ((h->flags & IOASID_HWPT_NEST_PARENT) && vf) {
		vf = v.pt_parent_format;
		in = v.pt_parent_in_bits;
		if (!vf)
			return ioasid_err(ctx, -EOPNOTSUPP,
					  "profile %s has no stage-2 table format for a nesting parent",
					  p->name);
	}
	if ((h->flags & IOASID_HWPT_DIRTY_TRACKING) && vf) {
		if (!v.pt_dirty_format)
			return ioasid_err(ctx, -EOPNOTSUPP,
					  "profile %s has no table format that tracks dirty pages",
					  p->name);
		if (v.pt_dirty_format != vf)
			return ioasid_err(ctx, -EOPNOTSUPP,
					  "profile %s tracks dirty pages only in %s tables, not in the %s table this HWPT needs",
					  p->name, sim_pt_format_name(pt_formats[v.pt_dirty_format]),
					  sim_pt_format_name(pt_formats[vf]));
		nflags = sim_pt_dirty_flags(pt_formats[vf]);
	}
	if (!in)
		in = p->input_width;
	fmt = pt_formats[vf];
	if (vf == VENDOR_PT_ARM_S1 || vf == VENDOR_PT_ARM_S2) {
		/* the granule io-pgtable-arm picks: the CPU page's if offered */
		gran = sim_pt_arm_granule(pgsz, ioasid_page_size());
		fmt = sim_pt_arm_format(vf == VENDOR_PT_ARM_S2, gran);
		if (!fmt)
			return ioasid_err(ctx, -EOPNOTSUPP,
					  "page sizes 0x%llx hold no Arm granule (4K, 16K, 64K)",
					  (unsigned long long)pgsz);
	}
	pgsz &= sim_pt_fmt_pgsize_bitmap(fmt);
	if (!(pgsz & (UINT64_C(1) << sim_pt_pg_shift(fmt))))
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "the %s table needs its %llu-byte pages, not in page sizes 0x%llx",
				  sim_pt_format_name(fmt),
				  (unsigned long long)1 << sim_pt_pg_shift(fmt),
				  (unsigned long long)pgsz);
	sh->levels = sim_pt_levels_for(fmt, in);
	sh->pt = sim_pt_new_flags(fmt, sh->levels, pgsz, nflags);
	if (!sh->pt)
		return ioasid_err(ctx, -ENOMEM, "out of memory for a page table");
	sh->hw_dirty = nflags & SIM_PT_NEW_DBM;
	return 0;
}

/* A paging HWPT's table, mirroring every area of its IOAS. */
static int paging_table(struct ioasid_ctx *ctx, struct sim_hwpt *sh, struct ioasid_hwpt *h,
			struct ioasid_dev *dev)
{
	const struct iova_area *a;
	uint64_t pgsz;
	int err;

	/* table_new() keeps the sizes of the table's granule */
	pgsz = dev->props.pgsize_bitmap;
	err = table_new(ctx, sh, h, pgsz);
	if (err)
		return err;
	for (a = iova_tree_first_in(h->ioas->areas, 0, UINT64_MAX); a;
	     a = iova_tree_next(h->ioas->areas, a)) {
		err = sim_pt_map_sizes(sh->pt, a->iova, a->uva, a->last - a->iova + 1,
				       pt_perm(a->cookie), map_sizes(sh, h->ioas));
		if (err) {
			sim_pt_free(sh->pt);
			return ioasid_err(ctx, err, "mirroring [0x%llx, 0x%llx] into a page table: %s",
					  (unsigned long long)a->iova, (unsigned long long)a->last,
					  ioasid_strerrno(err));
		}
	}
	return 0;
}

int sim_hwpt_alloc(struct ioasid_ctx *ctx, struct ioasid_hwpt *h, struct ioasid_dev *dev)
{
	struct vendor_domain v;
	struct sim_hwpt *sh;
	int err;

	sim_profile_domain(sim_of(ctx)->profile, &v);
	if (v.no_alloc_flags && hwpt_is_paging(h) && h->flags)
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "profile %s: the %s driver takes no IOMMU_HWPT_ALLOC flags (0x%x given)",
				  sim_of(ctx)->profile->name,
				  sim_profile_model(sim_of(ctx)->profile)->name, h->flags);

	sh = ioasid_calloc(1, sizeof(*sh));
	if (!sh)
		return ioasid_err(ctx, -ENOMEM, "out of memory for an HWPT");
	sh->id = h->obj.id;
	sh->paging = hwpt_is_paging(h);
	sh->fault_q = h->fault_q;
	if (sh->paging) {
		err = paging_table(ctx, sh, h, dev);
		if (err) {
			ioasid_free(sh);
			return err;
		}
	} else if (h->viommu) {
		/* the guest's vendor structure (vSTE, DTE), judged by the vIOMMU's model */
		err = sim_viommu_nested_alloc(ctx, h, sh);
		if (err) {
			ioasid_free(sh);
			return err;
		}
		sh->parent = h->parent->be;
		sh->next_child = sh->parent->children;
		sh->parent->children = sh;
	} else {
		/* the guest's stage 1, walked through the parent's stage 2 */
		sh->levels = h->s1.addr_width == 57 ? 5 : 4;
		sh->s1_root = h->s1.pgtbl_addr;
		/* the PASID entry's bits, as the kernel programs them (kernel-uapi.md §1.4) */
		sh->sre = h->s1.flags & IOASID_VTD_S1_SRE;
		sh->wpe = sh->sre && (h->s1.flags & IOASID_VTD_S1_WPE);
		sh->eafe = h->s1.flags & IOASID_VTD_S1_EAFE;
		sh->parent = h->parent->be;
		sh->next_child = sh->parent->children;
		sh->parent->children = sh;
	}
	h->be = sh;
	return 0;
}

int sim_hwpt_destroy(struct ioasid_ctx *ctx, struct ioasid_hwpt *h)
{
	struct sim_hwpt *sh = h->be, **pp;

	sim_flush_hwpt(sim_of(ctx), sh);
	if (sh->vi)
		sim_viommu_nested_free(sh);
	if (sh->parent) {
		for (pp = &sh->parent->children; *pp != sh; pp = &(*pp)->next_child)
			;
		*pp = sh->next_child;
	}
	sim_pt_free(sh->pt);
	ioasid_free(sh);
	h->be = NULL;
	return 0;
}

int sim_area_map(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, const struct iova_area *a)
{
	struct ioasid_hwpt *h, *u;
	uint64_t len = a->last - a->iova + 1;
	int err;

	for (h = ioas_paging_next(ioas, NULL); h; h = ioas_paging_next(ioas, h)) {
		struct sim_hwpt *sh = h->be;

		err = sim_pt_map_sizes(sh->pt, a->iova, a->uva, len, pt_perm(a->cookie),
				       map_sizes(sh, ioas));
		if (err) {
			for (u = ioas_paging_next(ioas, NULL); u != h; u = ioas_paging_next(ioas, u))
				sim_pt_unmap(((struct sim_hwpt *)u->be)->pt, a->iova, len, NULL);
			return ioasid_err(ctx, err, "the page table of HWPT %u cannot map [0x%llx, 0x%llx]: %s",
					  h->obj.id, (unsigned long long)a->iova,
					  (unsigned long long)a->last, ioasid_strerrno(err));
		}
	}
	return 0;
}

void sim_hwpt_note_tlb_pasid(struct sim_hwpt *sh, uint32_t pasid)
{
	unsigned int i;

	for (i = 0; i < sh->nr_tlb_pasids && i < SIM_TLB_PASIDS; i++)
		if (sh->tlb_pasids[i] == pasid)
			return;
	if (sh->nr_tlb_pasids < SIM_TLB_PASIDS)
		sh->tlb_pasids[sh->nr_tlb_pasids] = pasid;
	if (sh->nr_tlb_pasids <= SIM_TLB_PASIDS)
		sh->nr_tlb_pasids++;
}

int sim_area_unmap(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, const struct iova_area *a)
{
	struct sim_ctx *sim = sim_of(ctx);
	uint64_t len = a->last - a->iova + 1;
	struct ioasid_hwpt *h;

	for (h = ioas_paging_next(ioas, NULL); h; h = ioas_paging_next(ioas, h)) {
		struct sim_hwpt *sh = h->be;
		struct ioasid_inv_req req = {
			.granularity = IOASID_INV_RANGE,
			.pasid = IOASID_PASID_NONE,
			.addr = a->iova,
			.npages = len / PG,
			.log2_pgsize = 12,
		};

		unsigned int i;

		/* Areas are mapped whole, so no huge leaf needs splitting here. */
		sim_pt_unmap(sh->pt, a->iova, len, NULL);
		/* as the kernel does: the unmap flushes the IOTLB and device TLBs */
		if (sh->nr_tlb_pasids > SIM_TLB_PASIDS) {
			sim->inv_entries += sim_iotlb_inv_range(sim->iotlb, sh->id, SIM_PASID_ANY,
								a->iova, len / PG, 12, 0);
		} else {
			for (i = 0; i < sh->nr_tlb_pasids; i++)
				sim->inv_entries += sim_iotlb_inv_range(sim->iotlb, sh->id,
									sh->tlb_pasids[i], a->iova,
									len / PG, 12, 0);
		}
		sim->inv_entries += flush_devtlbs(sim, sh, &req);
		sim->inv_entries += flush_children(sim, sh);
	}
	return 0;
}

int sim_hwpt_invalidate(struct ioasid_ctx *ctx, struct ioasid_hwpt *h,
			const struct ioasid_inv_req *req, uint64_t *ret_dropped)
{
	struct sim_ctx *sim = sim_of(ctx);
	struct sim_hwpt *sh = h->be;
	uint32_t did = sh->id;
	uint64_t n = 0;

	/* the kernel's SMMUv3 and AMD nested domains have no cache_invalidate_user */
	if (sh->vi)
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "HWPT %u is nested on vIOMMU %u: invalidate through the vIOMMU",
				  h->obj.id, h->viommu->obj.id);
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
		n += flush_devtlbs(sim, sh, req);
		break;
	case IOASID_INV_DEV_IOTLB:
		if (req->dev && !sim_dev_of(sim, req->dev))
			return ioasid_err(ctx, -ENOENT, "device-IOTLB request for unknown device %u",
					  req->dev);
		n = flush_devtlbs(sim, sh, req);
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
	struct sim_hwpt *sh = h->be;
	int err = 0;

	/* enabling wipes stale dirty state first (kernel-uapi.md §1.4) */
	if (enable && !sh->dirty)
		err = dirty_sweep(ctx, h);
	/* cached entries remember whether their page was dirtied: drop them */
	sim_flush_hwpt(sim_of(ctx), sh);
	if (!err)
		sh->dirty = enable;
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
	/*
	 * A cleared D bit must be set again by the next write, and a cached
	 * translation remembers that its page is dirty: flush the range, in
	 * the device TLBs too. The nested HWPTs over a nest parent cache by
	 * their own input addresses, which say nothing of the guest-physical
	 * range: flush them whole, as the kernel flushes a nest parent's
	 * nested domains.
	 */
	if (clear) {
		/* in pages of at least 4 KiB: a bitmap may have several bits per page */
		uint64_t pg = IOASID_MAX(page_size, UINT64_C(4096));
		struct ioasid_inv_req req = {
			.granularity = IOASID_INV_RANGE,
			.pasid = IOASID_PASID_NONE,
			.addr = iova & ~(pg - 1),
			.npages = ((iova + length - 1) / pg) - iova / pg + 1,
			.log2_pgsize = (uint32_t)__builtin_ctzll(pg),
		};

		sim->inv_entries += sim_iotlb_inv_range(sim->iotlb, h->obj.id, SIM_PASID_ANY, iova,
							req.npages, req.log2_pgsize, 0);
		sim->inv_entries += flush_devtlbs(sim, sh, sh->children ? NULL : &req);
		sim->inv_entries += flush_children(sim, sh);
	}
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
		t = json_pack("{s:s,s:i,s:I}", "format", sim_pt_format_name(sim_pt_format(sh->pt)),
			      "levels",
			      (json_int_t)sh->levels, "table_pages",
			      (json_int_t)sim_pt_table_pages(sh->pt));
	else
		t = json_pack("{s:s,s:i,s:s}", "format",
			      sh->vi ? sh->vi->model->name : "vtd-first-stage", "levels",
			      (json_int_t)sh->levels, "owner", "guest");
	if (!t || json_object_set_new(obj, "table", t))
		return -ENOMEM;
	t = json_pack("{s:I}", "iotlb_entries", (json_int_t)c.n);
	if (!t || json_object_set_new(obj, "cache", t))
		return -ENOMEM;
	return 0;
}
