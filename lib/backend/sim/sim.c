/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The simulated IOMMU backend: a profile (one IOMMU model and its devices;
 * the profile files and their reader beside this one), device binding with
 * capability chains built from it (sim-caps.c), and run-time hot-plug.
 *
 * The core's records are the address spaces; translation (page tables,
 * caches, DMA) builds on them in later parts of the sim.
 */
#include <string.h>

#include "sim-guard.h"
#include "sim-private.h"
#include "sim-viommu.h"
#include "core/trace-private.h"

/* The profile's IOTLB size, as the power of two the cache needs (>= 4). */
static unsigned int iotlb_entries(uint32_t want)
{
	unsigned int n = SIM_IOTLB_WAYS;

	while (n < want && n < (1u << 20))
		n <<= 1;
	return n;
}

static int sim_open(struct ioasid_ctx *ctx, const char *arg)
{
	struct sim_ctx *sim;
	char err[IOASID_ERRMSG_MAX] = "";
	int r;

	/* the DMA engine's accesses to process memory must not fault the process */
	r = sim_guard_init();
	if (r)
		return ioasid_err(ctx, r, "sim: cannot install the SIGSEGV/SIGBUS handlers: %s",
				  strerror(-r));
	sim = ioasid_calloc(1, sizeof(*sim));
	if (!sim)
		return ioasid_err(ctx, -ENOMEM, "out of memory for the simulated IOMMU");
	r = sim_profile_load(arg ? arg : sim_profile_builtin_names()[0], &sim->profile,
			     err, sizeof(err));
	if (r) {
		ioasid_free(sim);
		return ioasid_err(ctx, r, "sim profile %s: %s", arg ? arg : "(default)", err);
	}
	sim->iotlb = sim_iotlb_new(iotlb_entries(sim->profile->iotlb_size));
	sim->pasid_cache = sim_pasid_cache_new(64);
	if (!sim->iotlb || !sim->pasid_cache) {
		sim_iotlb_free(sim->iotlb);
		sim_pasid_cache_free(sim->pasid_cache);
		sim_profile_free(sim->profile);
		ioasid_free(sim);
		return ioasid_err(ctx, -ENOMEM, "out of memory for the simulated IOTLB");
	}
	sim->ctx_gen = 1; /* 0 marks an empty context-cache entry */
	ctx->be = sim;
	ctx->pasid_width = sim->profile->pasid_width;
	snprintf(ctx->reason + strlen(ctx->reason), sizeof(ctx->reason) - strlen(ctx->reason),
		 ", profile %s", sim->profile->name);
	return 0;
}

static void sim_close(struct ioasid_ctx *ctx)
{
	struct sim_ctx *sim = ctx->be;

	while (sim->pending) {
		struct sim_pending *p = sim->pending;

		sim->pending = p->next;
		ioasid_free(p);
	}
	sim_iotlb_free(sim->iotlb);
	sim_pasid_cache_free(sim->pasid_cache);
	sim_profile_free(sim->profile);
	ioasid_free(sim->devs);
	ioasid_free(sim);
	ctx->be = NULL;
}

/* A context dump names the profile after the backend. */
static int sim_ctx_json_ident(struct ioasid_ctx *ctx, json_t *doc)
{
	struct sim_ctx *sim = ctx->be;

	return json_object_set_new(doc, "profile", json_string(sim->profile->name)) ? -ENOMEM : 0;
}

static void list_names(const struct sim_profile *p, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < p->nr_devices && used + 1 < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? ", " : "", p->devices[i].name);
}

/* The sim's state of a device about to be bound as @dev, in its table. */
static int sim_dev_new(struct ioasid_ctx *ctx, struct ioasid_dev *dev)
{
	struct sim_ctx *sim = ctx->be;
	uint32_t id = dev->obj.id, old_cap = sim->cap_devs;
	struct sim_dev *sd, **n;

	n = ioasid_array_room(sim->devs, &sim->cap_devs, id, sizeof(*n));
	if (!n)
		return ioasid_err(ctx, -ENOMEM, "out of memory for device %s", dev->name);
	memset(n + old_cap, 0, (sim->cap_devs - old_cap) * sizeof(*n));
	sim->devs = n;
	sd = ioasid_calloc(1, sizeof(*sd));
	/* an ATS device caches translations itself: its device IOTLB */
	if (sd && dev->props.ats)
		sd->devtlb = sim_iotlb_new(64);
	if (!sd || (dev->props.ats && !sd->devtlb)) {
		ioasid_free(sd);
		return ioasid_err(ctx, -ENOMEM, "out of memory for device %s", dev->name);
	}
	sd->id = id;
	sd->dev = dev;
	sim->devs[id - 1] = sd;
	dev->be = sd;
	return 0;
}

static int sim_dev_bind(struct ioasid_ctx *ctx, struct ioasid_dev *dev, const char *name)
{
	struct sim_ctx *sim = ctx->be;
	const struct sim_profile *p = sim->profile;
	const struct sim_dev_desc *d = sim_profile_find_device(p, name);
	struct vendor_domain dom;
	uint32_t i, n = 0;
	int err;

	if (!d) {
		char names[160];

		list_names(p, names, sizeof(names));
		return ioasid_err(ctx, -ENOENT, "no device '%s' in sim profile '%s' (devices: %s)",
				  name, p->name, names[0] ? names : "none");
	}
	if (d->nr_regions) {
		dev->props.resv = ioasid_calloc(d->nr_regions, sizeof(*dev->props.resv));
		if (!dev->props.resv)
			return ioasid_err(ctx, -ENOMEM, "out of memory for reserved regions");
	}
	/* Relaxable direct regions do not restrict the IOAS (§4.1). */
	for (i = 0; i < d->nr_regions; i++) {
		if (d->regions[i].type == SIM_RESV_DIRECT_RELAXABLE)
			continue;
		dev->props.resv[n].start = d->regions[i].start;
		dev->props.resv[n].last = d->regions[i].last;
		dev->props.resv[n].type = sim_resv_to_caps(d->regions[i].type);
		n++;
	}
	dev->props.nr_resv = n;
	dev->props.pgsize_bitmap = d->page_sizes;
	dev->props.aperture_start = p->aperture_start;
	dev->props.aperture_last = p->aperture_last;
	dev->props.pasid_width = IOASID_MIN(d->pasid_width, p->pasid_width);
	snprintf(dev->props.pci_addr, sizeof(dev->props.pci_addr), "%s", d->bdf);
	/* what Linux's driver for the model makes of a paging domain */
	sim_profile_domain(p, &dom);
	dev->props.pasid_hwpt = dom.pasid_any_dev || dev->props.pasid_width;
	dev->props.pri = d->pri && p->pri;
	dev->props.ats = d->ats && p->ats;
	dev->props.nesting = p->nesting;
	dev->props.dirty_tracking = p->dirty_tracking;
	dev->props.vendor_s1 = dom.vendor_s1;
	dev->props.fl_levels = p->levels;
	err = sim_dev_caps(ctx, p, d, &dev->caps, &dev->caps_len);
	if (!err)
		err = sim_dev_new(ctx, dev);
	if (!err)
		((struct sim_dev *)dev->be)->stall = sim_profile_dev_stalls(p, d);
	if (err) {
		ioasid_caps_free(dev->caps);
		dev->caps = NULL;
		ioasid_free(dev->props.resv);
		dev->props.resv = NULL;
	}
	return err;
}

static void sim_dev_unbind(struct ioasid_ctx *ctx, struct ioasid_dev *dev)
{
	struct sim_ctx *sim = ctx->be;
	struct sim_dev *sd = dev->be;

	sim->devs[sd->id - 1] = NULL;
	sim_iotlb_free(sd->devtlb);
	ioasid_free(sd->routes);
	ioasid_free(sd);
	dev->be = NULL;
}

static int sim_dev_list(struct ioasid_ctx *ctx, struct ioasid_dev_entry *out,
			uint32_t cap, uint32_t *total)
{
	const struct sim_profile *p = ((struct sim_ctx *)ctx->be)->profile;
	uint32_t i;

	for (i = 0; i < p->nr_devices && i < cap; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		snprintf(out[i].name, sizeof(out[i].name), "%s", p->devices[i].name);
		snprintf(out[i].bdf, sizeof(out[i].bdf), "%s", p->devices[i].bdf);
		snprintf(out[i].iommu, sizeof(out[i].iommu), "%s", sim_vendor_name(p->vendor));
		snprintf(out[i].driver, sizeof(out[i].driver), "sim");
	}
	*total = p->nr_devices;
	return 0;
}

/*
 * The sim lives in the process that uses it, and its pins are charged to
 * that process's account (lib/core/pin.c): there is never another process
 * to take them from. As the kernel does from the process that already owns
 * the charges, it succeeds with nothing to move, once the core has checked
 * that every area is a file map.
 */
static int sim_change_process(struct ioasid_ctx *ctx)
{
	(void)ctx;
	return 0;
}

const struct ioasid_backend_ops ioasid_sim_backend = {
	.name = "sim",
	.kind = IOASID_BACKEND_SIM,
	.open = sim_open,
	.close = sim_close,
	.area_map = sim_area_map,
	.area_unmap = sim_area_unmap,
	.dev_bind = sim_dev_bind,
	.dev_unbind = sim_dev_unbind,
	.dev_list = sim_dev_list,
	.hwpt_alloc = sim_hwpt_alloc,
	.hwpt_destroy = sim_hwpt_destroy,
	.hwpt_invalidate = sim_hwpt_invalidate,
	.hwpt_set_dirty = sim_hwpt_set_dirty,
	.hwpt_get_dirty = sim_hwpt_get_dirty,
	.hwpt_json = sim_hwpt_json,
	.ctx_json_ident = sim_ctx_json_ident,
	.ctx_json = sim_ctx_json,
	.dev_attach = sim_dev_attach,
	.dev_detach = sim_dev_detach,
	.change_process = sim_change_process,
	.viommu_alloc = sim_viommu_alloc,
	.viommu_check = sim_viommu_check,
	.viommu_destroy = sim_viommu_destroy,
	.viommu_invalidate = sim_viommu_invalidate,
	.vdevice_alloc = sim_vdevice_alloc,
	.vdevice_destroy = sim_vdevice_destroy,
	.veventq_alloc = sim_veventq_alloc,
	.veventq_destroy = sim_veventq_destroy,
	.veventq_read = sim_veventq_read,
	.hw_queue_alloc = sim_hw_queue_alloc,
	.hw_queue_destroy = sim_hw_queue_destroy,
	.map_file_kinds = 1u << IOASID_BACKING_FILE,
	.file_view = sim_file_view,
	.file_unview = sim_file_unview,
};

/* ---- the sim's own API (sim.h) ---- */

IOASID_EXPORT const char *const *ioasid_sim_profiles(void)
{
	return sim_profile_builtin_names();
}

IOASID_EXPORT const char *ioasid_sim_profile_name(struct ioasid_ctx *ctx)
{
	struct sim_ctx *sim = sim_ctx_of(ctx);

	return sim ? sim->profile->name : NULL;
}

/*
 * The prologue of the sim's calls on a context: lock it and return the
 * sim's state; or NULL, with the lock released and the message set
 * (-EOPNOTSUPP), when it is not a sim context.
 */
struct sim_ctx *sim_lock(struct ioasid_ctx *ctx)
{
	struct sim_ctx *sim;

	ctx_lock(ctx);
	sim = sim_ctx_of(ctx);
	if (!sim) {
		ioasid_err(ctx, -EOPNOTSUPP, "not a sim context");
		ctx_unlock(ctx);
	}
	return sim;
}

static int not_sim(struct ioasid_ctx *ctx)
{
	return ioasid_err(ctx, -EOPNOTSUPP, "this is a %s context, not a sim context",
			  ctx ? ctx->ops->name : "NULL");
}

static int sim_type_from_caps(uint32_t t, enum sim_resv_type *out)
{
	switch (t) {
	case IOASID_RESV_RESERVED:
		*out = SIM_RESV_RESERVED;
		return 0;
	case IOASID_RESV_MSI:
		*out = SIM_RESV_MSI;
		return 0;
	case IOASID_RESV_SW_MSI:
		*out = SIM_RESV_SW_MSI;
		return 0;
	case IOASID_RESV_DIRECT:
		*out = SIM_RESV_DIRECT;
		return 0;
	case IOASID_RESV_DIRECT_RELAXABLE:
		*out = SIM_RESV_DIRECT_RELAXABLE;
		return 0;
	default:
		return -EINVAL;
	}
}

IOASID_EXPORT int ioasid_sim_dev_add(struct ioasid_ctx *ctx,
				     const struct ioasid_sim_dev_desc *desc)
{
	struct ioasid_sim_dev_desc o = { 0 };
	struct sim_dev_desc d;
	struct sim_ctx *sim;
	ioasid_sim_event_cb cb = NULL;
	void *cb_data = NULL;
	char err[IOASID_ERRMSG_MAX] = "";
	uint32_t i;
	int r;

	if (!ctx)
		return -EINVAL;
	if (!desc)
		return ioasid_err(ctx, -EINVAL, "ioasid_sim_dev_add: desc is NULL");
	r = ioasid_opts_check(ctx, desc, desc->sz, sizeof(o), "struct ioasid_sim_dev_desc");
	if (r)
		return r;
	memcpy(&o, desc, IOASID_MIN(desc->sz, sizeof(o)));
	memset(&d, 0, sizeof(d));
	if (o.name && strlen(o.name) >= sizeof(d.name))
		return ioasid_err(ctx, -EINVAL, "device name '%s' is longer than %zu bytes", o.name,
				  sizeof(d.name) - 1);
	if (o.bdf && strlen(o.bdf) >= sizeof(d.bdf))
		return ioasid_err(ctx, -EINVAL, "bdf '%s' is too long", o.bdf);
	if (o.pasid_width > 255)
		return ioasid_err(ctx, -EINVAL, "pasid_width %u is above 20", o.pasid_width);
	if (o.flags & ~(IOASID_SIM_DEV_PRI | IOASID_SIM_DEV_ATS | IOASID_SIM_DEV_STALL))
		return ioasid_err(ctx, -EINVAL, "unknown sim device flags 0x%x", o.flags);
	if (o.nr_resv > SIM_DEV_MAX_REGIONS)
		return ioasid_err(ctx, -E2BIG, "%u reserved regions; a device has at most %d",
				  o.nr_resv, SIM_DEV_MAX_REGIONS);
	if (o.nr_resv && !o.resv)
		return ioasid_err(ctx, -EINVAL, "resv is NULL with %u regions", o.nr_resv);
	if (o.name)
		snprintf(d.name, sizeof(d.name), "%s", o.name);
	if (o.bdf)
		snprintf(d.bdf, sizeof(d.bdf), "%s", o.bdf);
	d.page_sizes = o.pgsize_bitmap;
	d.pasid_width = (uint8_t)o.pasid_width;
	d.pri = o.flags & IOASID_SIM_DEV_PRI;
	d.ats = o.flags & IOASID_SIM_DEV_ATS;
	d.stall = o.flags & IOASID_SIM_DEV_STALL;
	d.nr_regions = o.nr_resv;
	for (i = 0; i < o.nr_resv; i++) {
		d.regions[i].start = o.resv[i].start;
		d.regions[i].last = o.resv[i].last;
		if (sim_type_from_caps(o.resv[i].type, &d.regions[i].type))
			return ioasid_err(ctx, -EINVAL, "reserved region %u: unknown type %u", i,
					  o.resv[i].type);
	}
	ctx_lock(ctx);
	sim = sim_ctx_of(ctx);
	if (!sim) {
		r = not_sim(ctx);
		goto out;
	}
	r = sim_profile_add_device(sim->profile, &d, err, sizeof(err));
	if (r) {
		ioasid_err(ctx, r, "adding a sim device: %s", err);
		goto out;
	}
	cb = sim->ev_cb;
	cb_data = sim->ev_data;
	snprintf(err, sizeof(err), "%s", sim->profile->devices[sim->profile->nr_devices - 1].name);
out:
	TRACE(ctx, trace_sim_dev_add(ctx, &o, r));
	ctx_unlock(ctx);
	if (!r && cb)
		cb(cb_data, ctx, IOASID_SIM_DEV_ADDED, err);
	return r;
}

IOASID_EXPORT int ioasid_sim_dev_remove(struct ioasid_ctx *ctx, const char *name)
{
	struct sim_ctx *sim;
	ioasid_sim_event_cb cb = NULL;
	void *cb_data = NULL;
	char err[IOASID_ERRMSG_MAX] = "";
	int r;

	if (!ctx)
		return -EINVAL;
	if (!name)
		return ioasid_err(ctx, -EINVAL, "ioasid_sim_dev_remove: name is NULL");
	ctx_lock(ctx);
	sim = sim_ctx_of(ctx);
	if (!sim) {
		r = not_sim(ctx);
	} else if (dev_find_by_name(ctx, name)) {
		r = ioasid_err(ctx, -EBUSY, "sim device %s is bound; unbind it first", name);
	} else {
		r = sim_profile_remove_device(sim->profile, name, err, sizeof(err));
		if (r)
			ioasid_err(ctx, r, "removing sim device %s: %s", name, err);
		cb = sim->ev_cb;
		cb_data = sim->ev_data;
	}
	TRACE(ctx, trace_sim_dev_remove(ctx, name, r));
	ctx_unlock(ctx);
	if (!r && cb)
		cb(cb_data, ctx, IOASID_SIM_DEV_REMOVED, name);
	return r;
}

IOASID_EXPORT int ioasid_sim_set_event_cb(struct ioasid_ctx *ctx, ioasid_sim_event_cb cb,
					  void *data)
{
	struct sim_ctx *sim;
	int r = 0;

	if (!ctx)
		return -EINVAL;
	ctx_lock(ctx);
	sim = sim_ctx_of(ctx);
	if (!sim) {
		r = not_sim(ctx);
	} else {
		sim->ev_cb = cb;
		sim->ev_data = data;
	}
	ctx_unlock(ctx);
	return r;
}
