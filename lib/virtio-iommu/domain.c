/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Domains as address spaces: each virtio domain is an IOAS, made on its
 * first ATTACH and destroyed with its last endpoint (a bypass domain uses
 * the shared bypass IOAS instead), and the requests that act on them:
 * ATTACH, DETACH, MAP, UNMAP (layouts in docs/kernel-uapi.md §3.3).
 */
#include <string.h>

#include "private.h"

/* ---- the domain table ---- */

static uint32_t dom_index(const struct ioasid_virtio_iommu *v, uint32_t id)
{
	return vi_id_index(v->doms, v->nr_doms, sizeof(*v->doms), id);
}

struct vi_domain *vi_dom_find(struct ioasid_virtio_iommu *v, uint32_t id)
{
	uint32_t i = dom_index(v, id);

	return i < v->nr_doms && v->doms[i].id == id ? &v->doms[i] : NULL;
}

/* Make room for a domain; the IOAS is made by the caller. */
static int dom_insert(struct ioasid_virtio_iommu *v, const struct vi_domain *d)
{
	struct vi_domain *n = vi_grow(v->doms, v->nr_doms, &v->cap_doms, sizeof(*n), 8);
	uint32_t i;

	if (!n)
		return -ENOMEM;
	v->doms = n;
	i = dom_index(v, d->id);
	memmove(&v->doms[i + 1], &v->doms[i], (v->nr_doms - i) * sizeof(*v->doms));
	v->doms[i] = *d;
	v->nr_doms++;
	return 0;
}

int vi_ioas_drop(struct ioasid_virtio_iommu *v, uint32_t ioas)
{
	uint32_t *n;
	int err = ioasid_ioas_destroy(v->ctx, ioas);

	if (!err)
		return 0;
	n = vi_grow(v->stale_ioas, v->nr_stale, &v->cap_stale, sizeof(*n), 4);
	if (!n) {
		ioasid_log(v->ctx, IOASID_LOG_WARN,
			   "virtio-iommu: IOAS %u refused destruction and is left to the context",
			   ioas);
		return err;
	}
	v->stale_ioas = n;
	n[v->nr_stale++] = ioas;
	return err;
}

int vi_reap_stale(struct ioasid_virtio_iommu *v)
{
	uint32_t i, kept = 0;
	int err, first = 0;

	for (i = 0; i < v->nr_stale; i++) {
		err = ioasid_ioas_destroy(v->ctx, v->stale_ioas[i]);
		if (err) {
			v->stale_ioas[kept++] = v->stale_ioas[i];
			if (!first)
				first = err;
		}
	}
	v->nr_stale = kept;
	return first;
}

int vi_dom_remove(struct ioasid_virtio_iommu *v, uint32_t id)
{
	uint32_t i = dom_index(v, id);
	int err = 0;

	if (i >= v->nr_doms || v->doms[i].id != id)
		return 0;
	if (!v->doms[i].bypass)
		err = vi_ioas_drop(v, v->doms[i].ioas);
	v->nr_maps -= v->doms[i].nr_maps;
	memmove(&v->doms[i], &v->doms[i + 1], (v->nr_doms - i - 1) * sizeof(*v->doms));
	v->nr_doms--;
	return err;
}

void vi_dom_put(struct ioasid_virtio_iommu *v, uint32_t id)
{
	struct vi_domain *d = vi_dom_find(v, id);

	if (d && !--d->nr_eps && vi_dom_remove(v, id))
		ioasid_log(v->ctx, IOASID_LOG_WARN,
			   "virtio-iommu: destroying the IOAS of domain %u: %s", id,
			   ioasid_last_errmsg());
}

int vi_new_ioas(struct ioasid_virtio_iommu *v, uint32_t *ret)
{
	/* a stale IOAS may hold the quota the new one needs */
	if (v->nr_stale)
		vi_reap_stale(v);
	return v->set ? ioasid_set_ioas_alloc(v->ctx, v->set, ret) : ioasid_ioas_alloc(v->ctx, ret);
}

void vi_dom_recount(struct ioasid_virtio_iommu *v, struct vi_domain *d)
{
	struct ioasid_ioas_stats st;

	if (d->bypass || ioasid_ioas_stats(v->ctx, d->ioas, &st))
		return;
	v->nr_maps = v->nr_maps - d->nr_maps + (uint32_t)st.nr_areas;
	d->nr_maps = (uint32_t)st.nr_areas;
}

void vi_recount(struct ioasid_virtio_iommu *v)
{
	uint32_t i;

	for (i = 0; i < v->nr_doms; i++)
		vi_dom_recount(v, &v->doms[i]);
}

/* ---- checks the requests share ---- */

/* RANGE for a domain id outside the config's domain range. */
static uint8_t check_domain_range(struct ioasid_virtio_iommu *v, const char *what, uint32_t domain)
{
	if (domain >= v->cfg.domain_start && domain <= v->cfg.domain_end)
		return S_OK;
	return vi_fail(v, S_RANGE, "%s: domain %u is outside [%u, %u]", what, domain,
		       v->cfg.domain_start, v->cfg.domain_end);
}

/* MAP and UNMAP: domain @domain, which must exist and not be a bypass domain. */
static uint8_t mapping_domain(struct ioasid_virtio_iommu *v, const char *what, uint32_t domain,
			      struct vi_domain **ret)
{
	*ret = vi_dom_find(v, domain);
	if (!*ret)
		return vi_fail(v, S_NOENT, "%s: no domain %u", what, domain);
	if ((*ret)->bypass)
		return vi_fail(v, S_INVAL, "%s: domain %u is a bypass domain", what, domain);
	return S_OK;
}

/* ATTACH and DETACH: a domain id in range and a registered endpoint. */
static uint8_t request_endpoint(struct ioasid_virtio_iommu *v, const char *what, uint32_t domain,
				uint32_t endpoint, struct vi_endpoint **ret)
{
	uint8_t st = check_domain_range(v, what, domain);

	if (st)
		return st;
	*ret = vi_ep_find(v, endpoint);
	if (!*ret)
		return vi_fail(v, S_NOENT, "%s: no endpoint %u", what, endpoint);
	return S_OK;
}

/* MAP and UNMAP: virt_end not below virt_start. */
static uint8_t check_virt_order(struct ioasid_virtio_iommu *v, const char *what, uint64_t vstart,
				uint64_t vend)
{
	if (vend >= vstart)
		return S_OK;
	return vi_fail(v, S_INVAL, "%s: virt_end 0x%llx is below virt_start 0x%llx", what, X(vend),
		       X(vstart));
}

/* ---- ATTACH and DETACH ---- */

/* The page sizes an endpoint shows the guest: its own with the extension. */
static uint64_t ep_visible_pgsize(const struct ioasid_virtio_iommu *v, const struct vi_endpoint *ep)
{
	return vi_has(v, IOASID_VIRTIO_IOMMU_F_PROBE_PGSIZE) ? ep->pgsize : v->cfg.page_size_mask;
}

/* The library's errno for an attach, as a status: a refusal is UNSUPP. */
static uint8_t attach_status(int err)
{
	switch (err) {
	case -EINVAL:
	case -EADDRINUSE:
	case -EOPNOTSUPP:
		return S_UNSUPP;
	default:
		return ioasid_virtio_iommu_status_from_errno(err);
	}
}

/* ATTACH to a domain that does not exist yet: make it, for @ep. */
static uint8_t dom_create(struct ioasid_virtio_iommu *v, uint32_t domain, bool bypass,
			  const struct vi_endpoint *ep, struct vi_domain **ret)
{
	struct vi_domain nd = { .id = domain, .bypass = bypass, .pgsize = ep_visible_pgsize(v, ep) };
	int err;

	if (bypass) {
		nd.ioas = v->bypass_ioas;
	} else {
		err = vi_new_ioas(v, &nd.ioas);
		if (err)
			return vi_fail_lib(v, ioasid_virtio_iommu_status_from_errno(err),
					   "ATTACH: a new domain");
	}
	if (dom_insert(v, &nd)) {
		if (!bypass)
			vi_ioas_drop(v, nd.ioas);
		return vi_fail(v, S_NOMEM, "ATTACH: out of memory for domain %u", domain);
	}
	*ret = vi_dom_find(v, domain);
	return S_OK;
}

/*
 * ATTACH of @ep, the last endpoint of its domain, to domain @domain that
 * does not exist yet: the old domain would die right after the new one is
 * made, so its IOAS becomes the new domain's, emptied. The device never
 * moves, and a set whose quota covers the live domains (as the docs
 * prescribe) suffices for the way Linux attaches: to a fresh domain
 * without a DETACH first. *@ret_done says whether it was done (when not,
 * the caller makes a new domain); a status other than OK leaves the
 * endpoint in its old domain.
 */
static uint8_t dom_reuse(struct ioasid_virtio_iommu *v, struct vi_endpoint *ep, uint32_t domain,
			 bool bypass, bool *ret_done)
{
	struct vi_domain *od = ep->attached ? vi_dom_find(v, ep->domain) : NULL, nd;
	uint32_t i;
	int err;

	*ret_done = false;
	if (!od || od->nr_eps != 1 || od->bypass || bypass)
		return S_OK;
	err = ioasid_ioas_unmap(v->ctx, od->ioas, 0, UINT64_MAX, NULL);
	if (err)
		return vi_fail_lib(v, ioasid_virtio_iommu_status_from_errno(err),
				   "ATTACH: emptying the address space of the old domain");
	v->nr_maps -= od->nr_maps;
	nd = *od;
	nd.id = domain;
	nd.nr_maps = 0;
	nd.pgsize = ep_visible_pgsize(v, ep);
	/* re-key in place: remove the old entry, insert the new (no allocation) */
	i = (uint32_t)(od - v->doms);
	memmove(&v->doms[i], &v->doms[i + 1], (v->nr_doms - i - 1) * sizeof(*v->doms));
	v->nr_doms--;
	dom_insert(v, &nd); /* room is there: cannot fail */
	vi_events_answer_endpoint(v, ep->id);
	ep->domain = domain;
	*ret_done = true;
	return S_OK;
}

uint8_t vi_req_attach(struct ioasid_virtio_iommu *v, const uint8_t *req)
{
	uint32_t domain = vi_le32(req + 4), endpoint = vi_le32(req + 8), flags = vi_le32(req + 12);
	uint32_t allowed = vi_has(v, IOASID_VIRTIO_IOMMU_F_BYPASS_CONFIG) ?
		IOASID_VIRTIO_IOMMU_ATTACH_F_BYPASS : 0;
	bool bypass = flags & IOASID_VIRTIO_IOMMU_ATTACH_F_BYPASS, created = false;
	struct vi_endpoint *ep;
	struct vi_domain *d;
	uint8_t st;
	int err;

	if (flags & ~allowed)
		return vi_fail(v, S_INVAL, "ATTACH: unknown flags 0x%x", flags & ~allowed);
	st = request_endpoint(v, "ATTACH", domain, endpoint, &ep);
	if (st)
		return st;
	d = vi_dom_find(v, domain);
	if (d && d->bypass != bypass)
		return vi_fail(v, S_INVAL, "ATTACH: domain %u is %sa bypass domain", domain,
			       d->bypass ? "" : "not ");
	if (ep->attached && ep->domain == domain)
		return S_OK;
	/*
	 * The domain's page sizes are what its first endpoint showed the
	 * guest: an endpoint lacking one of them cannot join (the guest may
	 * map with it); one with more sizes can.
	 */
	if (d && !bypass && (ep->pgsize & d->pgsize) != d->pgsize)
		return vi_fail(v, S_UNSUPP,
			       "ATTACH: endpoint %u (page sizes 0x%llx) lacks page sizes 0x%llx of domain %u",
			       endpoint, X(ep->pgsize), X(d->pgsize & ~ep->pgsize), domain);
	if (!d) {
		bool reused;

		st = dom_reuse(v, ep, domain, bypass, &reused);
		if (st || reused)
			return st;
		st = dom_create(v, domain, bypass, ep, &d);
		if (st)
			return st;
		created = true;
	}
	err = vi_ep_move(v, ep, d->ioas);
	if (err) {
		st = vi_fail_lib(v, attach_status(err), "ATTACH");
		if (created)
			vi_dom_remove(v, domain);
		return st;
	}
	d->nr_eps++;
	vi_events_forget_endpoint(v, endpoint);
	if (ep->attached)
		vi_dom_put(v, ep->domain); /* may move the array: d is not used after */
	ep->attached = true;
	ep->domain = domain;
	return S_OK;
}

uint8_t vi_req_detach(struct ioasid_virtio_iommu *v, const uint8_t *req)
{
	uint32_t domain = vi_le32(req + 4), endpoint = vi_le32(req + 8);
	struct vi_endpoint *ep;
	uint8_t st;

	st = request_endpoint(v, "DETACH", domain, endpoint, &ep);
	if (st)
		return st;
	if (!vi_dom_find(v, domain))
		return vi_fail(v, S_NOENT, "DETACH: no domain %u", domain);
	if (!ep->attached || ep->domain != domain)
		return vi_fail(v, S_INVAL, "DETACH: endpoint %u is not attached to domain %u",
			       endpoint, domain);
	/* parking falls back to detaching the device: it leaves either way */
	vi_ep_park(v, ep);
	if (ep->lib_pt && ep->lib_pt != v->bypass_ioas && ep->lib_pt != v->blocked_ioas)
		return vi_fail_lib(v, S_DEVERR, "DETACH");
	vi_events_forget_endpoint(v, endpoint);
	ep->attached = false;
	vi_dom_put(v, domain);
	return S_OK;
}

/* ---- MAP and UNMAP ---- */

/* MAP's libioasid errors: overlap is INVAL, anything outside the usable space RANGE. */
static uint8_t map_status(int err)
{
	switch (err) {
	case -EEXIST:
		return S_INVAL;
	case -EINVAL:
	case -EOVERFLOW:
		return S_RANGE;
	default:
		return ioasid_virtio_iommu_status_from_errno(err);
	}
}

/*
 * MAP's addresses against domain @d: aligned to its smallest page size,
 * inside the input range, the physical end not wrapping.
 */
static uint8_t map_check_range(struct ioasid_virtio_iommu *v, const struct vi_domain *d,
			       uint64_t vstart, uint64_t vend, uint64_t pstart)
{
	uint64_t gran = d->pgsize & -d->pgsize, len, plast;

	if ((vstart | pstart | (vend + 1)) & (gran - 1))
		return vi_fail(v, S_RANGE,
			       "MAP: [0x%llx, 0x%llx] -> 0x%llx is not aligned to the granule 0x%llx of domain %u",
			       X(vstart), X(vend), X(pstart), X(gran), d->id);
	len = vend - vstart + 1;
	if (!len || vstart < v->cfg.input_start || vend > v->cfg.input_end)
		return vi_fail(v, S_RANGE, "MAP: [0x%llx, 0x%llx] is outside the input range [0x%llx, 0x%llx]",
			       X(vstart), X(vend), X(v->cfg.input_start), X(v->cfg.input_end));
	if (__builtin_add_overflow(pstart, len - 1, &plast))
		return vi_fail(v, S_RANGE, "MAP: phys 0x%llx + 0x%llx wraps", X(pstart), X(len));
	return S_OK;
}

/* Map [vstart, vstart + len) of @d to guest-physical @pstart, checked. */
static uint8_t map_guest(struct ioasid_virtio_iommu *v, const struct vi_domain *d, uint64_t vstart,
			 uint64_t len, uint64_t pstart, uint32_t flags)
{
	uint32_t mflags = flags & IOASID_VIRTIO_IOMMU_MAP_F_MMIO ? IOASID_VIRTIO_IOMMU_MEM_MMIO : 0;
	uint64_t gran = d->pgsize & -d->pgsize, align = VI_MIN(gran, v->host_page), iova = vstart;
	uint32_t lflags;
	void *hva;
	int err;

	if (vi_translate(v, pstart, len, mflags, &hva))
		return vi_fail(v, S_FAULT, "MAP: guest-physical [0x%llx, 0x%llx] is not %s",
			       X(pstart), X(pstart + len - 1), mflags ? "device memory" : "guest memory");
	if ((uintptr_t)hva & (align - 1))
		return vi_fail(v, S_DEVERR,
			       "MAP: guest-physical 0x%llx is at hva %p, not aligned to 0x%llx",
			       X(pstart), hva, X(align));
	lflags = IOASID_MAP_FIXED_IOVA |
		 (flags & IOASID_VIRTIO_IOMMU_MAP_F_READ ? IOASID_MAP_READ : 0) |
		 (flags & IOASID_VIRTIO_IOMMU_MAP_F_WRITE ? IOASID_MAP_WRITE : 0);
	err = ioasid_ioas_map(v->ctx, d->ioas, hva, len, lflags, &iova);
	if (err)
		return vi_fail_lib(v, map_status(err), "MAP");
	return S_OK;
}

uint8_t vi_req_map(struct ioasid_virtio_iommu *v, const uint8_t *req)
{
	const uint32_t known = IOASID_VIRTIO_IOMMU_MAP_F_READ | IOASID_VIRTIO_IOMMU_MAP_F_WRITE |
			       IOASID_VIRTIO_IOMMU_MAP_F_MMIO;
	uint32_t domain = vi_le32(req + 4), flags = vi_le32(req + 32);
	uint64_t vstart = vi_le64(req + 8), vend = vi_le64(req + 16), pstart = vi_le64(req + 24);
	struct vi_domain *d;
	uint8_t st;

	st = check_domain_range(v, "MAP", domain);
	if (st)
		return st;
	if (flags & ~known)
		return vi_fail(v, S_INVAL, "MAP: unknown flags 0x%x", flags & ~known);
	if ((flags & IOASID_VIRTIO_IOMMU_MAP_F_MMIO) && !vi_has(v, IOASID_VIRTIO_IOMMU_F_MMIO))
		return vi_fail(v, S_UNSUPP, "MAP: MMIO flag without VIRTIO_IOMMU_F_MMIO");
	st = mapping_domain(v, "MAP", domain, &d);
	if (!st)
		st = check_virt_order(v, "MAP", vstart, vend);
	if (!st)
		st = map_check_range(v, d, vstart, vend, pstart);
	if (st)
		return st;
	if (!(flags & (IOASID_VIRTIO_IOMMU_MAP_F_READ | IOASID_VIRTIO_IOMMU_MAP_F_WRITE)))
		return vi_fail(v, S_UNSUPP, "MAP: a mapping without READ or WRITE");
	/*
	 * The VMM's bounds: NOMEM is the spec's "insufficient resources". The
	 * counts only grow on the way (UNMAP leaves them high, to stay one
	 * library call): at a bound they are re-read before the refusal.
	 */
	if (d->nr_maps >= v->max_dom_maps)
		vi_dom_recount(v, d);
	if (d->nr_maps >= v->max_dom_maps)
		return vi_fail(v, S_NOMEM, "MAP: domain %u holds %u mappings, its limit", domain,
			       d->nr_maps);
	if (v->nr_maps >= v->max_maps)
		vi_recount(v);
	if (v->nr_maps >= v->max_maps)
		return vi_fail(v, S_NOMEM,
			       "MAP: the domains hold %u mappings, the virtio-iommu's limit",
			       v->nr_maps);
	st = map_guest(v, d, vstart, vend - vstart + 1, pstart, flags);
	if (!st) {
		d->nr_maps++;
		v->nr_maps++;
	}
	return st;
}

/* Does a mapping of @ioas contain @iova and reach outside [first, last]? */
static bool straddles(struct ioasid_virtio_iommu *v, uint32_t ioas, uint64_t iova, uint64_t first,
		      uint64_t last)
{
	struct ioasid_mapping m;

	if (ioasid_ioas_lookup(v->ctx, ioas, iova, &m))
		return false;
	return m.iova < first || m.iova + (m.length - 1) > last;
}

/*
 * UNMAP of [vstart, vend] in @ioas: whole mappings only (virtio spec), so
 * a range that would split one is RANGE; gaps are fine.
 */
static uint8_t unmap_range(struct ioasid_virtio_iommu *v, uint32_t domain, uint32_t ioas,
			   uint64_t vstart, uint64_t vend)
{
	uint64_t len = vend - vstart + 1;
	int err;

	/*
	 * The library takes (0, UINT64_MAX) as "everything" and no other
	 * length of 2^64 - 1: the two ranges of that length are decided here.
	 */
	if (!len || len == UINT64_MAX) {
		if (len && straddles(v, ioas, vstart ? 0 : UINT64_MAX, vstart, vend))
			goto range;
		err = ioasid_ioas_unmap(v->ctx, ioas, 0, UINT64_MAX, NULL);
		return err ? vi_fail_lib(v, ioasid_virtio_iommu_status_from_errno(err), "UNMAP") : S_OK;
	}
	/* the common case costs one call; only a refusal needs a closer look */
	err = ioasid_ioas_unmap(v->ctx, ioas, vstart, len, NULL);
	if (!err)
		return S_OK;
	/*
	 * No area can start at 2^64 - 1 (the library, as the kernel, takes no
	 * IOVA of ULONG_MAX), so [2^64 - 1, 2^64 - 1] holds no whole mapping:
	 * only one that straddles it, looked at below, as for a gap.
	 */
	if (err != -ENOENT && !(err == -EOVERFLOW && vstart == UINT64_MAX))
		return vi_fail_lib(v, ioasid_virtio_iommu_status_from_errno(err), "UNMAP");
	if (straddles(v, ioas, vstart, vstart, vend) || straddles(v, ioas, vend, vstart, vend))
		goto range;
	return S_OK; /* nothing mapped there: gaps are fine */
range:
	return vi_fail(v, S_RANGE, "UNMAP: [0x%llx, 0x%llx] of domain %u would split a mapping",
		       X(vstart), X(vend), domain);
}

uint8_t vi_req_unmap(struct ioasid_virtio_iommu *v, const uint8_t *req)
{
	uint32_t domain = vi_le32(req + 4);
	uint64_t vstart = vi_le64(req + 8), vend = vi_le64(req + 16);
	struct vi_domain *d;
	uint8_t st;

	st = check_domain_range(v, "UNMAP", domain);
	if (!st)
		st = mapping_domain(v, "UNMAP", domain, &d);
	if (!st)
		st = check_virt_order(v, "UNMAP", vstart, vend);
	if (st)
		return st;
	return unmap_range(v, domain, d->ioas, vstart, vend);
}
