/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-iommu device back-end: the object (creation, teardown, device
 * reset) and the queries a VMM makes of it. What the object does is in
 * the files private.h lists.
 *
 * Everything goes through the public API, so the same back-end runs on
 * iommufd, VFIO and the sim. The rules are the virtio specification's
 * (device 23; layouts in docs/kernel-uapi.md §3), the mapping to
 * libioasid is in docs/virtio-iommu.md.
 */
#include <string.h>
#include <unistd.h>

#include "private.h"

#define VI_PROBE_SIZE_DEFAULT 512u
#define VI_PROBE_SIZE_MAX     (1u << 20)

static const uint32_t known_opts_flags =
	IOASID_VIRTIO_IOMMU_EXT_PGSIZE_MASK | IOASID_VIRTIO_IOMMU_EXT_FAULT | IOASID_VIRTIO_IOMMU_MMIO |
	IOASID_VIRTIO_IOMMU_BOOT_BYPASS | IOASID_VIRTIO_IOMMU_DOMAIN_RANGE | IOASID_VIRTIO_IOMMU_INPUT_RANGE;

void *vi_grow(void *arr, uint32_t nr, uint32_t *cap, size_t size, uint32_t first)
{
	uint32_t ncap = *cap ? 2 * *cap : first;
	void *n;

	if (nr < *cap)
		return arr;
	n = ioasid_realloc(arr, ncap * size);
	if (n)
		*cap = ncap;
	return n;
}

/* ---- creation and teardown ---- */

static uint64_t host_page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (uint64_t)ps : 4096;
}

/* Copy the VMM's options to @o and check them. */
static int opts_get(struct ioasid_ctx *ctx, const struct ioasid_virtio_iommu_opts *opts,
		    struct ioasid_virtio_iommu_opts *o)
{
	int err;

	err = vi_opts_check(ctx, opts, opts->sz, sizeof(*o), "struct ioasid_virtio_iommu_opts");
	if (err)
		return err;
	memcpy(o, opts, VI_MIN(opts->sz, sizeof(*o)));
	if (o->flags & ~known_opts_flags)
		return ioasid_err_outer(ctx, -EINVAL, "ioasid_virtio_iommu_opts: unknown flags 0x%x",
					o->flags & ~known_opts_flags);
	if (o->translate && (o->mem || o->nr_mem))
		return ioasid_err_outer(
			ctx, -EINVAL,
			"ioasid_virtio_iommu_opts: a translate callback and a memory table: give one");
	if ((o->flags & IOASID_VIRTIO_IOMMU_INPUT_RANGE) && o->input_start > o->input_end)
		return ioasid_err_outer(ctx, -EINVAL,
					"ioasid_virtio_iommu_opts: input range [0x%llx, 0x%llx]",
					X(o->input_start), X(o->input_end));
	if ((o->flags & IOASID_VIRTIO_IOMMU_DOMAIN_RANGE) && o->domain_start > o->domain_end)
		return ioasid_err_outer(ctx, -EINVAL,
					"ioasid_virtio_iommu_opts: domain range [%u, %u]",
					o->domain_start, o->domain_end);
	if (o->probe_size > VI_PROBE_SIZE_MAX)
		return ioasid_err_outer(ctx, -EINVAL,
					"ioasid_virtio_iommu_opts: probe_size %u is above %u",
					o->probe_size, VI_PROBE_SIZE_MAX);
	if ((o->flags & IOASID_VIRTIO_IOMMU_BOOT_BYPASS) && o->translate && !o->bypass_ioas)
		return ioasid_err_outer(
			ctx, -EINVAL,
			"ioasid_virtio_iommu_opts: BOOT_BYPASS, but no bypass IOAS (a translate callback and bypass_ioas 0)");
	if (o->bypass_ioas && ioasid_obj_kind(ctx, o->bypass_ioas) != IOASID_OBJ_IOAS)
		return ioasid_err_outer(ctx, -ENOENT,
					"ioasid_virtio_iommu_opts: bypass_ioas %u is no IOAS",
					o->bypass_ioas);
	return 0;
}

/* The fields that follow from the options alone, and the config they give. */
static void init_from_opts(struct ioasid_virtio_iommu *v, struct ioasid_ctx *ctx,
			   const struct ioasid_virtio_iommu_opts *o)
{
	pthread_mutex_init(&v->lock, NULL);
	v->ctx = ctx;
	v->flags = o->flags;
	v->set = o->set;
	v->translate = o->translate;
	v->translate_data = o->translate_data;
	v->host_page = host_page_size();
	v->pgsize_limit = o->page_size_mask;
	v->in_start = o->flags & IOASID_VIRTIO_IOMMU_INPUT_RANGE ? o->input_start : 0;
	v->in_end = o->flags & IOASID_VIRTIO_IOMMU_INPUT_RANGE ? o->input_end : UINT64_MAX;
	v->cfg.domain_start = o->flags & IOASID_VIRTIO_IOMMU_DOMAIN_RANGE ? o->domain_start : 0;
	v->cfg.domain_end = o->flags & IOASID_VIRTIO_IOMMU_DOMAIN_RANGE ? o->domain_end : UINT32_MAX;
	v->cfg.probe_size = o->probe_size ? o->probe_size : VI_PROBE_SIZE_DEFAULT;
	v->max_dom_maps = o->max_domain_mappings ? o->max_domain_mappings :
						   IOASID_VIRTIO_IOMMU_MAX_MAPPINGS_DEFAULT;
	v->max_maps = o->max_mappings ? o->max_mappings : IOASID_VIRTIO_IOMMU_MAX_MAPPINGS_DEFAULT;
	vi_config_update(v);
}

/*
 * The library objects the device stands on: with a set, a fault queue and
 * the blocked IOAS; the bypass IOAS, given or built from the memory table.
 */
static int build_spaces(struct ioasid_virtio_iommu *v, const struct ioasid_virtio_iommu_opts *o)
{
	uint32_t i;
	int err = 0;

	if (o->set) {
		struct ioasid_fault_queue_opts qo = { .sz = sizeof(struct ioasid_fault_queue_opts), .set = o->set, .depth = o->fault_depth,
			    .timeout_ns = o->fault_timeout_ns };

		err = ioasid_fault_queue_alloc(v->ctx, &qo, &v->queue);
		if (err)
			return err;
		err = vi_new_ioas(v, &v->blocked_ioas);
		if (err)
			return err;
	}
	if (o->bypass_ioas) {
		v->bypass_ioas = o->bypass_ioas;
	} else if (!o->translate) {
		err = vi_new_ioas(v, &v->bypass_ioas);
		if (err)
			return err;
		v->own_bypass = true;
		for (i = 0; i < v->nr_mem && !err; i++)
			err = vi_bypass_map_region(v, &v->mem[i]);
	}
	return err;
}

IOASID_EXPORT int ioasid_virtio_iommu_new(struct ioasid_ctx *ctx, const struct ioasid_virtio_iommu_opts *opts,
				    struct ioasid_virtio_iommu **ret_dev)
{
	struct ioasid_virtio_iommu_opts o = { 0 };
	struct ioasid_virtio_iommu *v;
	int err;

	if (!ctx || !opts || !ret_dev)
		return ctx ? ioasid_err_outer(ctx, -EINVAL,
					      "ioasid_virtio_iommu_new: NULL argument") :
			     -EINVAL;
	*ret_dev = NULL;
	err = opts_get(ctx, opts, &o);
	if (err)
		return err;
	v = ioasid_calloc(1, sizeof(*v));
	if (!v)
		return ioasid_err_outer(ctx, -ENOMEM, "virtio-iommu: out of memory");
	init_from_opts(v, ctx, &o);
	if (!o.translate) {
		err = vi_mem_import(ctx, o.mem, o.nr_mem, &v->mem);
		if (err)
			goto fail;
		v->nr_mem = o.nr_mem;
	}
	v->probe_buf = ioasid_malloc(v->cfg.probe_size);
	if (!v->probe_buf) {
		err = ioasid_err_outer(ctx, -ENOMEM, "virtio-iommu: out of memory for PROBE");
		goto fail;
	}
	err = build_spaces(v, &o);
	if (err)
		goto fail;
	v->boot_bypass = o.flags & IOASID_VIRTIO_IOMMU_BOOT_BYPASS;
	v->cfg.bypass = v->boot_bypass;
	v->offered = vi_offered_features(v);
	*ret_dev = v;
	return 0;
fail:
	ioasid_virtio_iommu_free(v);
	return err;
}

IOASID_EXPORT void ioasid_virtio_iommu_free(struct ioasid_virtio_iommu *v)
{
	uint32_t i;

	if (!v)
		return;
	pthread_mutex_lock(&v->lock);
	vi_events_reset(v);
	for (i = 0; i < v->nr_eps; i++) {
		vi_ep_move(v, &v->eps[i], 0);
		vi_ep_release(&v->eps[i]);
	}
	while (v->nr_doms)
		vi_dom_remove(v, v->doms[v->nr_doms - 1].id);
	if (vi_reap_stale(v))
		ioasid_log(v->ctx, IOASID_LOG_WARN,
			   "virtio-iommu: %u IOAS(es) of removed domains still refused destruction: left to the context",
			   v->nr_stale);
	if (v->own_bypass && v->bypass_ioas)
		ioasid_ioas_destroy(v->ctx, v->bypass_ioas);
	if (v->blocked_ioas)
		ioasid_ioas_destroy(v->ctx, v->blocked_ioas);
	if (v->queue)
		ioasid_fault_queue_destroy(v->ctx, v->queue);
	ioasid_free(v->eps);
	ioasid_free(v->doms);
	ioasid_free(v->stale_ioas);
	ioasid_free(v->mem);
	ioasid_free(v->probe_buf);
	ioasid_free(v->ev);
	ioasid_free(v->groups);
	pthread_mutex_unlock(&v->lock);
	pthread_mutex_destroy(&v->lock);
	ioasid_free(v);
}

IOASID_EXPORT int ioasid_virtio_iommu_reset(struct ioasid_virtio_iommu *v)
{
	int err = 0, e;
	uint32_t i;

	if (!v)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	vi_events_reset(v);
	v->negotiated = false;
	v->acked = 0;
	v->cfg.bypass = v->boot_bypass;
	/* every endpoint off its domain first, then the domains can go */
	for (i = 0; i < v->nr_eps; i++) {
		v->eps[i].attached = false;
		e = vi_ep_park(v, &v->eps[i]);
		if (e && !err)
			err = e;
	}
	while (v->nr_doms) {
		e = vi_dom_remove(v, v->doms[v->nr_doms - 1].id);
		if (e && !err)
			err = e;
	}
	e = vi_reap_stale(v);
	if (e && !err)
		err = e;
	pthread_mutex_unlock(&v->lock);
	return err;
}

/* ---- queries ---- */

IOASID_EXPORT int ioasid_virtio_iommu_domain_ioas(struct ioasid_virtio_iommu *v, uint32_t domain,
					    uint32_t *ret_ioas)
{
	struct vi_domain *d;
	int err = 0;

	if (!v || !ret_ioas)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	d = vi_dom_find(v, domain);
	if (d)
		*ret_ioas = d->ioas;
	else
		err = ioasid_err_outer(v->ctx, -ENOENT, "virtio-iommu: no domain %u", domain);
	pthread_mutex_unlock(&v->lock);
	return err;
}

IOASID_EXPORT int ioasid_virtio_iommu_endpoint_domain(struct ioasid_virtio_iommu *v, uint32_t endpoint,
						uint32_t *ret_domain)
{
	struct vi_endpoint *ep;
	int err = 0;

	if (!v || !ret_domain)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	ep = vi_ep_find(v, endpoint);
	if (!ep)
		err = ioasid_err_outer(v->ctx, -ENOENT, "virtio-iommu: no endpoint %u", endpoint);
	else if (!ep->attached)
		err = ioasid_err_outer(v->ctx, -ENOENT, "virtio-iommu: endpoint %u is in no domain",
				       endpoint);
	else
		*ret_domain = ep->domain;
	pthread_mutex_unlock(&v->lock);
	return err;
}

IOASID_EXPORT int ioasid_virtio_iommu_stats(struct ioasid_virtio_iommu *v, struct ioasid_virtio_iommu_stats *ret_stats)
{
	if (!v || !ret_stats)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	vi_recount(v);
	*ret_stats = v->st;
	ret_stats->nr_endpoints = v->nr_eps;
	ret_stats->nr_domains = v->nr_doms;
	ret_stats->events_held = v->ev_n - v->ev_pos;
	ret_stats->groups_pending = v->nr_groups;
	ret_stats->nr_mappings = v->nr_maps;
	pthread_mutex_unlock(&v->lock);
	return 0;
}
