/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Endpoints: the devices the VMM registers, what each can do (read from
 * its capability chain), and where a device sits while it is in no
 * domain: the bypass IOAS or the blocked IOAS, as the config says.
 */
#include <stdio.h>
#include <string.h>

#include "private.h"

static uint32_t ep_index(const struct ioasid_virtio_iommu *v, uint32_t id)
{
	return vi_id_index(v->eps, v->nr_eps, sizeof(*v->eps), id);
}

struct vi_endpoint *vi_ep_find(struct ioasid_virtio_iommu *v, uint32_t id)
{
	uint32_t i = ep_index(v, id);

	return i < v->nr_eps && v->eps[i].id == id ? &v->eps[i] : NULL;
}

struct vi_endpoint *vi_ep_by_dev(struct ioasid_virtio_iommu *v, uint32_t dev)
{
	uint32_t i;

	for (i = 0; i < v->nr_eps; i++)
		if (v->eps[i].dev == dev)
			return &v->eps[i];
	return NULL;
}

void vi_ep_release(struct vi_endpoint *ep)
{
	ioasid_free(ep->resv);
	ep->resv = NULL;
}

/* ---- where the device is attached ---- */

/*
 * Attach the device of @ep (no PASID) to @target, or detach it when
 * @target is 0: replace when something is attached, so the device is never
 * left without a domain in between.
 */
int vi_ep_move(struct ioasid_virtio_iommu *v, struct vi_endpoint *ep, uint32_t target)
{
	struct ioasid_attach_opts ao = { .sz = sizeof(struct ioasid_attach_opts), .set = v->set, .fault_queue = v->queue };
	int err;

	if (ep->lib_pt == target)
		return 0;
	if (!target) {
		err = ioasid_dev_detach(v->ctx, ep->dev, IOASID_PASID_NONE);
	} else if (ep->lib_pt) {
		err = ioasid_dev_replace(v->ctx, ep->dev, IOASID_PASID_NONE, target, &ao);
	} else {
		err = ioasid_dev_attach(v->ctx, ep->dev, IOASID_PASID_NONE, target, &ao);
	}
	if (!err)
		ep->lib_pt = target;
	return err;
}

/*
 * The bypass IOAS, or the empty blocked IOAS (whose faults reach our
 * queue). If the move fails the device is detached: blocked either way,
 * never left mapped.
 */
int vi_ep_park(struct ioasid_virtio_iommu *v, struct vi_endpoint *ep)
{
	uint32_t target = vi_bypass_active(v) ? v->bypass_ioas : v->blocked_ioas;
	int err = vi_ep_move(v, ep, target);

	if (err) {
		char msg[IOASID_ERRMSG_MAX];

		snprintf(msg, sizeof(msg), "%s", ioasid_last_errmsg());
		ioasid_log(v->ctx, IOASID_LOG_WARN,
			   "virtio-iommu: endpoint %u: moving to IOAS %u: %s; detaching it", ep->id,
			   target, msg);
		if (vi_ep_move(v, ep, 0) == 0)
			ioasid_err_outer(v->ctx, err, "virtio-iommu: endpoint %u: %s", ep->id, msg);
	}
	return err;
}

int vi_park_unattached(struct ioasid_virtio_iommu *v)
{
	int err = 0, e;
	uint32_t i;

	for (i = 0; i < v->nr_eps; i++) {
		if (v->eps[i].attached)
			continue;
		e = vi_ep_park(v, &v->eps[i]);
		if (e && !err)
			err = e;
	}
	return err;
}

/* ---- what a device can do: its capability chain ---- */

/*
 * The aperture of a device: the hull of its usable IOVA ranges, grown over
 * reserved regions that touch it at either end (usable ranges are the
 * aperture minus reserved regions, caps.h), within its input width.
 */
static void ep_aperture(struct vi_endpoint *ep, const struct ioasid_cap_iova_range *r,
			uint32_t nr_r, const struct ioasid_cap_resv_region *resv,
			uint32_t nr_resv, uint32_t input_bits)
{
	uint64_t width_last = input_bits && input_bits < 64 ? (UINT64_C(1) << input_bits) - 1 :
							       UINT64_MAX;
	bool grown = true;
	uint32_t i;

	if (!nr_r) {
		ep->ap_start = 0;
		ep->ap_last = width_last;
		return;
	}
	ep->ap_start = r[0].start;
	ep->ap_last = r[nr_r - 1].last;
	while (grown) {
		grown = false;
		for (i = 0; i < nr_resv; i++) {
			if (resv[i].type == IOASID_RESV_DIRECT_RELAXABLE)
				continue;
			if (ep->ap_start && resv[i].last == ep->ap_start - 1 &&
			    resv[i].start < ep->ap_start) {
				ep->ap_start = resv[i].start;
				grown = true;
			}
			if (ep->ap_last != UINT64_MAX && resv[i].start == ep->ap_last + 1 &&
			    resv[i].last > ep->ap_last) {
				ep->ap_last = resv[i].last;
				grown = true;
			}
		}
	}
	ep->ap_last = VI_MIN(ep->ap_last, width_last);
}

/*
 * What PROBE reports for a device reserved region. MSI and software MSI
 * windows become subtype MSI: the device's MSI writes land in a window
 * the host manages, so the guest must neither map there nor map a doorbell
 * of its own. Relaxable direct regions bind nothing (the kernel skips them
 * too) and are left out.
 */
static int resv_subtype(uint32_t type)
{
	switch (type) {
	case IOASID_RESV_MSI:
	case IOASID_RESV_SW_MSI:
		return IOASID_VIRTIO_IOMMU_RESV_MEM_T_MSI;
	case IOASID_RESV_DIRECT_RELAXABLE:
		return -1;
	default:
		return IOASID_VIRTIO_IOMMU_RESV_MEM_T_RESERVED;
	}
}

/* The capability chain of device @dev, in a new buffer. */
static int dev_chain(struct ioasid_virtio_iommu *v, uint32_t dev, void **ret_buf, size_t *ret_len)
{
	size_t len = 0;
	void *buf;
	int err;

	/* the chain's size first (a short buffer is not an error), then the chain */
	err = ioasid_dev_info(v->ctx, dev, NULL, 0, &len);
	if (err)
		return err;
	buf = ioasid_malloc(len);
	if (!buf)
		return ioasid_err_outer(v->ctx, -ENOMEM, "virtio-iommu: out of memory for a chain");
	err = ioasid_dev_info(v->ctx, dev, buf, len, &len);
	if (err) {
		ioasid_free(buf);
		return err;
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

/*
 * The entries of counted capability @id of device @dev's chain, in a new
 * array of @nr entries of @size bytes (none when the chain has no such
 * capability). On failure *@ret is NULL.
 */
static int chain_array(struct ioasid_virtio_iommu *v, uint32_t dev, const void *chain, size_t len,
		       uint16_t id, size_t size, void **ret, uint32_t *ret_nr)
{
	uint32_t nr = 0;
	void *arr = NULL;
	int err;

	err = ioasid_caps_get_array(chain, len, 0, id, NULL, 0, &nr);
	if (!err && nr) {
		arr = ioasid_calloc(nr, size);
		if (!arr)
			return ioasid_err_outer(v->ctx, -ENOMEM, "virtio-iommu: out of memory");
		err = ioasid_caps_get_array(chain, len, 0, id, arr, nr, &nr);
	}
	if (err == -ENOENT) {
		nr = 0;
	} else if (err) {
		ioasid_free(arr);
		return ioasid_err_outer(v->ctx, err,
					"virtio-iommu: the chain of device %u is malformed", dev);
	}
	*ret = arr;
	*ret_nr = nr;
	return 0;
}

/* PROBE's RESV_MEM list: the device's reserved regions, then the VMM's. */
static int ep_resv_fill(struct ioasid_virtio_iommu *v, struct vi_endpoint *ep,
			const struct ioasid_cap_resv_region *resv, uint32_t nr_resv,
			const struct ioasid_virtio_iommu_endpoint_opts *o)
{
	uint32_t i, n = 0;

	ep->resv = ioasid_calloc(nr_resv + (o ? o->nr_resv : 0) + 1, sizeof(*ep->resv));
	if (!ep->resv)
		return ioasid_err_outer(v->ctx, -ENOMEM, "virtio-iommu: out of memory");
	for (i = 0; i < nr_resv; i++) {
		int st = resv_subtype(resv[i].type);

		if (st < 0)
			continue;
		ep->resv[n].start = resv[i].start;
		ep->resv[n].end = resv[i].last;
		ep->resv[n].subtype = (uint8_t)st;
		n++;
	}
	for (i = 0; o && i < o->nr_resv; i++)
		ep->resv[n++] = o->resv[i];
	ep->nr_resv = n;
	return 0;
}

/* Read a device's page sizes, aperture and reserved regions from its chain. */
static int ep_from_caps(struct ioasid_virtio_iommu *v, struct vi_endpoint *ep,
			const struct ioasid_virtio_iommu_endpoint_opts *o)
{
	struct ioasid_cap_resv_region *resv = NULL;
	struct ioasid_cap_iova_range *ranges = NULL;
	uint32_t nr_ranges = 0, nr_resv = 0, input_bits = 0;
	struct ioasid_cap_page_sizes ps;
	struct ioasid_cap_addr_width aw;
	void *buf = NULL, *arr;
	size_t len = 0;
	int err;

	err = dev_chain(v, ep->dev, &buf, &len);
	if (err)
		return err;
	err = ioasid_caps_get(buf, len, 0, IOASID_CAP_PAGE_SIZES, &ps, sizeof(ps), NULL);
	if (err) {
		char why[IOASID_ERRMSG_MAX];

		snprintf(why, sizeof(why), "%s",
			 err == -ENOENT ? "no PAGE_SIZES capability" : ioasid_last_errmsg());
		err = ioasid_err_outer(v->ctx, -EINVAL,
				       "virtio-iommu: device %u has no page sizes: %s", ep->dev,
				       why);
		goto out;
	}
	if (!ioasid_caps_get(buf, len, 0, IOASID_CAP_ADDR_WIDTH, &aw, sizeof(aw), NULL))
		input_bits = aw.input_bits;
	err = chain_array(v, ep->dev, buf, len, IOASID_CAP_IOVA_RANGES, sizeof(*ranges), &arr,
			  &nr_ranges);
	if (err)
		goto out;
	ranges = arr;
	err = chain_array(v, ep->dev, buf, len, IOASID_CAP_RESV_REGIONS, sizeof(*resv), &arr,
			  &nr_resv);
	if (err)
		goto out;
	resv = arr;

	ep->pgsize = ps.bitmap & (v->pgsize_limit ? v->pgsize_limit : UINT64_MAX);
	if (!ep->pgsize) {
		err = ioasid_err_outer(v->ctx, -EINVAL,
				       "virtio-iommu: device %u: page sizes 0x%llx, none of them allowed by the VMM's mask 0x%llx",
				       ep->dev, X(ps.bitmap), X(v->pgsize_limit));
		goto out;
	}
	ep_aperture(ep, ranges, nr_ranges, resv, nr_resv, input_bits);
	err = ep_resv_fill(v, ep, resv, nr_resv, o);
out:
	ioasid_free(ranges);
	ioasid_free(resv);
	ioasid_free(buf);
	return err;
}

/* ---- registration ---- */

/* Copy the VMM's endpoint options to @o and check them. */
static int ep_opts_get(struct ioasid_virtio_iommu *v,
		       const struct ioasid_virtio_iommu_endpoint_opts *opts,
		       struct ioasid_virtio_iommu_endpoint_opts *o)
{
	uint32_t i;
	int err;

	err = vi_opts_check(v->ctx, opts, opts->sz, sizeof(*o),
			    "struct ioasid_virtio_iommu_endpoint_opts");
	if (err)
		return err;
	memcpy(o, opts, VI_MIN(opts->sz, sizeof(*o)));
	if (o->flags)
		return ioasid_err_outer(v->ctx, -EINVAL,
					"ioasid_virtio_iommu_endpoint_opts: unknown flags 0x%x",
					o->flags);
	if (o->nr_resv && !o->resv)
		return ioasid_err_outer(v->ctx, -EINVAL,
					"ioasid_virtio_iommu_endpoint_opts: %u regions at NULL",
					o->nr_resv);
	for (i = 0; i < o->nr_resv; i++)
		if (o->resv[i].start > o->resv[i].end ||
		    o->resv[i].subtype > IOASID_VIRTIO_IOMMU_RESV_MEM_T_MSI)
			return ioasid_err_outer(v->ctx, -EINVAL,
						"ioasid_virtio_iommu_endpoint_opts: region %u [0x%llx, 0x%llx] subtype %u",
						i, X(o->resv[i].start), X(o->resv[i].end),
						o->resv[i].subtype);
	return 0;
}

/* Refuse an endpoint that leaves the config with nothing every endpoint has. */
static int ep_fits(struct ioasid_virtio_iommu *v, const struct vi_endpoint *ep)
{
	uint64_t mask, start, end;

	vi_config_compute(v, ep, &mask, &start, &end);
	if (mask && start <= end)
		return 0;
	return ioasid_err_outer(v->ctx, -EINVAL,
				"virtio-iommu: endpoint %u (device %u, page sizes 0x%llx, aperture [0x%llx, 0x%llx]) leaves %s",
				ep->id, ep->dev, X(ep->pgsize), X(ep->ap_start), X(ep->ap_last),
				!mask ? "no page size every endpoint has" :
					"no input range every endpoint has");
}

/* Room for one more endpoint. */
static int ep_reserve(struct ioasid_virtio_iommu *v)
{
	struct vi_endpoint *n = vi_grow(v->eps, v->nr_eps, &v->cap_eps, sizeof(*n), 8);

	if (!n)
		return ioasid_err_outer(v->ctx, -ENOMEM, "virtio-iommu: out of memory");
	v->eps = n;
	return 0;
}

IOASID_EXPORT int ioasid_virtio_iommu_endpoint_add(struct ioasid_virtio_iommu *v, uint32_t endpoint,
					     uint32_t dev,
					     const struct ioasid_virtio_iommu_endpoint_opts *opts)
{
	struct ioasid_virtio_iommu_endpoint_opts o = { 0 };
	struct vi_endpoint ep = { 0 };
	uint32_t i, pt;
	int err;

	if (!v)
		return -EINVAL;
	if (opts) {
		err = ep_opts_get(v, opts, &o);
		if (err)
			return err;
	}
	if (ioasid_obj_kind(v->ctx, dev) != IOASID_OBJ_DEV)
		return ioasid_err_outer(v->ctx, -ENOENT, "virtio-iommu: %u is no bound device", dev);
	pthread_mutex_lock(&v->lock);
	if (vi_ep_find(v, endpoint)) {
		err = ioasid_err_outer(v->ctx, -EEXIST,
				       "virtio-iommu: endpoint %u is registered already", endpoint);
		goto out;
	}
	if (vi_ep_by_dev(v, dev)) {
		err = ioasid_err_outer(v->ctx, -EEXIST,
				       "virtio-iommu: device %u is endpoint %u already", dev,
				       vi_ep_by_dev(v, dev)->id);
		goto out;
	}
	ep.id = endpoint;
	ep.dev = dev;
	err = ep_from_caps(v, &ep, opts ? &o : NULL);
	if (err)
		goto out;
	err = ep_fits(v, &ep);
	if (!err)
		err = ep_reserve(v);
	if (err)
		goto fail;
	/* take over whatever the VMM attached; park it as the config says */
	if (!ioasid_dev_attached(v->ctx, dev, IOASID_PASID_NONE, &pt))
		ep.lib_pt = pt;
	err = vi_ep_park(v, &ep);
	if (err)
		goto fail;
	i = ep_index(v, endpoint);
	memmove(&v->eps[i + 1], &v->eps[i], (v->nr_eps - i) * sizeof(*v->eps));
	v->eps[i] = ep;
	v->nr_eps++;
	vi_config_update(v);
	goto out;
fail:
	vi_ep_release(&ep);
out:
	pthread_mutex_unlock(&v->lock);
	return err;
}

IOASID_EXPORT int ioasid_virtio_iommu_endpoint_del(struct ioasid_virtio_iommu *v, uint32_t endpoint)
{
	struct vi_endpoint *ep;
	uint32_t i;
	int err = 0;

	if (!v)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	ep = vi_ep_find(v, endpoint);
	if (!ep) {
		err = ioasid_err_outer(v->ctx, -ENOENT, "virtio-iommu: no endpoint %u", endpoint);
		goto out;
	}
	vi_ep_move(v, ep, 0);
	vi_events_forget_endpoint(v, endpoint);
	if (ep->attached)
		vi_dom_put(v, ep->domain);
	ep = vi_ep_find(v, endpoint);
	vi_ep_release(ep);
	i = (uint32_t)(ep - v->eps);
	memmove(&v->eps[i], &v->eps[i + 1], (v->nr_eps - i - 1) * sizeof(*v->eps));
	v->nr_eps--;
	vi_config_update(v);
out:
	pthread_mutex_unlock(&v->lock);
	return err;
}
