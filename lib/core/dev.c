/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Devices: bind/unbind, the capability chain, and attaching (device, PASID)
 * to address spaces with the kernel's rules (kernel-uapi.md §4.1, §4.2).
 *
 * Attaching to an IOAS stands for iommufd's automatic domain: the device's
 * page sizes, the IOMMU's aperture and the device's reserved regions become
 * constraints of the IOAS (ioas_add_domain()), checked against its mappings
 * and allowed ranges before anything changes.
 */
#include <stdio.h>
#include <string.h>

#include "dev-private.h"
#include "set-private.h"
#include "hwpt-private.h"
#include "fault-private.h"
#include "events-private.h"
#include "json-private.h"
#include "caps/caps-json.h"
#include "backend/backend.h"
#include "trace-private.h"

#define X(v) ((unsigned long long)(v))

struct ioasid_dev *dev_next(struct ioasid_ctx *ctx, const struct ioasid_dev *prev)
{
	/* the table's slot after @prev's (slot i holds id i + 1) */
	uint32_t pos = prev ? prev->obj.id : 0;

	return (struct ioasid_dev *)obj_next(ctx, IOASID_OBJ_DEV, &pos);
}

struct ioasid_dev *dev_find_by_name(struct ioasid_ctx *ctx, const char *name)
{
	struct ioasid_dev *dev;

	for (dev = dev_next(ctx, NULL); dev; dev = dev_next(ctx, dev))
		if (!strcmp(dev->name, name))
			return dev;
	return NULL;
}

static struct dev_attach *att_find(const struct ioasid_dev *dev, uint32_t pasid,
				   uint32_t *ret_idx)
{
	uint32_t i;

	for (i = 0; i < dev->nr_att; i++) {
		if (dev->att[i]->pasid == pasid) {
			if (ret_idx)
				*ret_idx = i;
			return dev->att[i];
		}
	}
	return NULL;
}

struct ioasid_hwpt *dev_attached_hwpt(const struct ioasid_dev *dev, uint32_t pasid)
{
	const struct dev_attach *att = att_find(dev, pasid, NULL);

	return att ? att->hwpt : NULL;
}

/* Free a device the backend has let go of (or never bound). */
static void dev_obj_abort(struct ioasid_ctx *ctx, struct ioasid_obj *obj)
{
	struct ioasid_dev *dev = (struct ioasid_dev *)obj;

	(void)ctx;
	ioasid_caps_free(dev->caps);
	ioasid_free(dev->props.resv);
	ioasid_free(dev->att);
	ioasid_free(dev->dmabufs);
	ioasid_free(dev);
}

static void dev_obj_destroy(struct ioasid_ctx *ctx, struct ioasid_obj *obj)
{
	if (ctx->ops->dev_unbind)
		ctx->ops->dev_unbind(ctx, (struct ioasid_dev *)obj);
	dmabuf_exporter_gone(ctx, (struct ioasid_dev *)obj);
	dev_obj_abort(ctx, obj);
}

static json_t *dev_obj_dump(struct ioasid_ctx *ctx, struct ioasid_obj *obj, uint32_t flags)
{
	struct ioasid_dev *dev = (struct ioasid_dev *)obj;
	json_t *o, *arr, *caps;
	uint32_t i;
	int err;

	(void)flags;
	o = json_pack("{s:s,s:i,s:s,s:o,s:i,s:b,s:b,s:o}", "kind", "dev", "id",
		      (json_int_t)dev->obj.id, "name", dev->name, "page_sizes",
		      dump_hex(dev->props.pgsize_bitmap), "pasid_width",
		      (json_int_t)dev->props.pasid_width, "pri", dev->props.pri, "ats",
		      dev->props.ats, "aperture",
		      dump_range(dev->props.aperture_start, dev->props.aperture_last));
	if (!o)
		return NULL;
	arr = json_array();
	err = dump_add(o, "attachments", arr);
	for (i = 0; i < dev->nr_att && !err; i++) {
		const struct dev_attach *a = dev->att[i];

		err = dump_append(arr, json_pack("{s:o,s:i,s:o}", "pasid",
					    a->pasid == IOASID_PASID_NONE ? json_null() :
					    json_integer(a->pasid),
					    "pt", (json_int_t)a->pt, "set",
					    a->set ? json_integer(a->set) : json_null()));
	}
	if (!err) {
		/* none: a caller's fd bound whose description failed (dev_bind_common) */
		caps = dev->caps ? ioasid_caps_to_json(dev->caps, dev->caps_len) : json_array();
		err = caps ? dump_add(o, "caps", caps) :
			ioasid_err_prefix(ctx, -EINVAL, "device %s", dev->name);
	}
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * An attached device and its IOAS hold user references, so
 * ioasid_ctx_close() detaches everything (dev_detach_all()) before the
 * destroy-all pass.
 */
const struct ioasid_obj_ops ioasid_dev_obj_ops = {
	.name = "dev",
	.noun = "a device",
	.missing = "no bound device",
	.names_other_kind = true,
	.destroy = dev_obj_destroy,
	.abort = dev_obj_abort,
	.dump = dev_obj_dump,
};

static int dev_bind_common(struct ioasid_ctx *ctx, const char *name, int fd, const uint8_t *token,
			   uint32_t *ret_dev)
{
	struct ioasid_dev *dev;
	int err;

	if (name && dev_find_by_name(ctx, name))
		return ioasid_err(ctx, -EBUSY, "device %s is already bound in this context", name);
	if (name ? !ctx->ops->dev_bind : !ctx->ops->dev_bind_fd)
		return ioasid_err(ctx, -EOPNOTSUPP, "the %s backend cannot bind %s",
				  ctx->ops->name, name ? "devices by name" : "a device fd");
	if (token && !ctx->ops->bind_token)
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "binding with a VF token (VFIO_DEVICE_BIND_FLAG_TOKEN) needs the iommufd backend; the %s backend has none",
				  ctx->ops->name);
	dev = obj_alloc(ctx, IOASID_OBJ_DEV, sizeof(*dev), &err);
	if (!dev)
		return err;
	if (name)
		snprintf(dev->name, sizeof(dev->name), "%s", name);
	dev->bind_token = token;
	err = name ? ctx->ops->dev_bind(ctx, dev, name) : ctx->ops->dev_bind_fd(ctx, dev, fd);
	dev->bind_token = NULL; /* the caller's memory */
	/* a caller's fd the kernel keeps bound stays in the records (backend.h) */
	if (err && (name || !dev->be)) {
		obj_abort(ctx, &dev->obj);
		return err;
	}
	obj_publish(ctx, &dev->obj);
	*ret_dev = dev->obj.id;
	return err;
}

/*
 * @opts checked; *@ret_token the VF token to bind with, or NULL. A copy in
 * @token: the caller's struct need not outlive the call's checks.
 */
static int bind_opts(struct ioasid_ctx *ctx, const struct ioasid_bind_opts *opts, uint8_t token[16],
		     const uint8_t **ret_token)
{
	struct ioasid_bind_opts o = { .sz = sizeof(o) };
	int err;

	*ret_token = NULL;
	if (!opts)
		return 0;
	err = ioasid_opts_check(ctx, opts, opts->sz, sizeof(o), "struct ioasid_bind_opts");
	if (err)
		return err;
	memcpy(&o, opts, IOASID_MIN(opts->sz, sizeof(o)));
	if (o.flags & ~IOASID_BIND_VF_TOKEN)
		return ioasid_err(ctx, -EINVAL,
				  "bind flags 0x%x: unknown (IOASID_BIND_VF_TOKEN is 0x1)",
				  o.flags & ~IOASID_BIND_VF_TOKEN);
	if (o.flags & IOASID_BIND_VF_TOKEN) {
		memcpy(token, o.vf_token, 16);
		*ret_token = token;
	}
	return 0;
}

IOASID_EXPORT int ioasid_dev_bind_opts(struct ioasid_ctx *ctx, const char *name,
				       const struct ioasid_bind_opts *opts, uint32_t *ret_dev)
{
	const uint8_t *token;
	uint8_t copy[16];
	int err;

	if (!ctx)
		return -EINVAL;
	if (!name || !*name || !ret_dev)
		return ioasid_err(ctx, -EINVAL, "ioasid_dev_bind: a device name and ret_dev are required");
	if (strlen(name) >= sizeof(((struct ioasid_dev *)0)->name))
		return ioasid_err(ctx, -ENAMETOOLONG, "device name '%.32s...' is too long", name);
	err = bind_opts(ctx, opts, copy, &token);
	if (err)
		return err;
	ctx_lock(ctx);
	err = dev_bind_common(ctx, name, -1, token, ret_dev);
	TRACE(ctx, trace_dev_bind(ctx, name, ret_dev, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_dev_bind(struct ioasid_ctx *ctx, const char *name, uint32_t *ret_dev)
{
	return ioasid_dev_bind_opts(ctx, name, NULL, ret_dev);
}

IOASID_EXPORT int ioasid_dev_bind_fd_opts(struct ioasid_ctx *ctx, int fd,
					  const struct ioasid_bind_opts *opts, uint32_t *ret_dev)
{
	const uint8_t *token;
	uint8_t copy[16];
	int err;

	if (!ctx)
		return -EINVAL;
	if (fd < 0)
		return ioasid_err(ctx, -EBADF, "fd %d is not a descriptor", fd);
	if (!ret_dev)
		return ioasid_err(ctx, -EINVAL, "ret_dev is NULL");
	err = bind_opts(ctx, opts, copy, &token);
	if (err)
		return err;
	ctx_lock(ctx);
	err = dev_bind_common(ctx, NULL, fd, token, ret_dev);
	TRACE(ctx, trace_dev_bind(ctx, NULL, ret_dev, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_dev_bind_fd(struct ioasid_ctx *ctx, int fd, uint32_t *ret_dev)
{
	return ioasid_dev_bind_fd_opts(ctx, fd, NULL, ret_dev);
}

IOASID_EXPORT int ioasid_dev_unbind(struct ioasid_ctx *ctx, uint32_t id)
{
	struct ioasid_dev *dev;
	int err;

	dev = ctx_lock_lookup(ctx, id, IOASID_OBJ_DEV, &err);
	if (!dev)
		return err;
	if (dev->nr_att)
		err = ioasid_err(ctx, -EBUSY, "device %s is still attached (%u attachment(s))",
				 dev->name, dev->nr_att);
	else
		err = obj_destroy_locked(ctx, id);
	TRACE(ctx, trace_destroy(ctx, "dev_unbind", id, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_dev_fd(struct ioasid_ctx *ctx, uint32_t id, int *ret_fd)
{
	struct ioasid_dev *dev;
	int err;

	if (!ctx || !ret_fd)
		return ioasid_err(ctx, -EINVAL, "ioasid_dev_fd: NULL argument");
	dev = ctx_lock_lookup(ctx, id, IOASID_OBJ_DEV, &err);
	if (!dev)
		return err;
	if (!ctx->ops->dev_fd)
		err = ioasid_err(ctx, -EOPNOTSUPP, "the %s backend has no VFIO device fd",
				 ctx->ops->name);
	else
		err = ctx->ops->dev_fd(ctx, dev, ret_fd);
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_dev_name(struct ioasid_ctx *ctx, uint32_t id, char *buf,
				  size_t len)
{
	struct ioasid_dev *dev;
	int err;

	if (!ctx || !buf || !len)
		return ioasid_err(ctx, -EINVAL, "ioasid_dev_name: NULL argument");
	dev = ctx_lock_lookup(ctx, id, IOASID_OBJ_DEV, &err);
	if (!dev)
		return err;
	snprintf(buf, len, "%s", dev->name);
	ctx_unlock(ctx);
	return 0;
}

IOASID_EXPORT int ioasid_dev_pci_addr(struct ioasid_ctx *ctx, uint32_t id, char *buf, size_t len)
{
	struct ioasid_dev *dev;
	size_t need;
	int err = 0;

	if (!ctx || !buf)
		return ioasid_err(ctx, -EINVAL, "ioasid_dev_pci_addr: NULL argument");
	dev = ctx_lock_lookup(ctx, id, IOASID_OBJ_DEV, &err);
	if (!dev)
		return err;
	need = strlen(dev->props.pci_addr) + 1;
	if (need == 1)
		err = ioasid_err(ctx, -ENODEV, "device %s has no PCI address", dev->name);
	else if (len < need)
		err = ioasid_err(ctx, -EMSGSIZE,
				 "the PCI address of %s needs %zu bytes; the buffer holds %zu",
				 dev->name, need, len);
	else
		memcpy(buf, dev->props.pci_addr, need);
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_dev_info(struct ioasid_ctx *ctx, uint32_t id, void *buf,
				  size_t len, size_t *ret_len)
{
	struct ioasid_dev *dev;
	size_t copy;
	int err = 0;

	if (!ctx || !ret_len || (len && !buf))
		return ioasid_err(ctx, -EINVAL, "ioasid_dev_info: NULL argument");
	dev = ctx_lock_lookup(ctx, id, IOASID_OBJ_DEV, &err);
	if (!dev)
		return err;
	/*
	 * IOMMU_GET_HW_INFO's rules (kernel-uapi.md §1.4): what fits is
	 * copied, the rest of a larger buffer is zeroed, and the full length
	 * comes back whatever the room was.
	 */
	copy = IOASID_MIN(len, dev->caps_len);
	if (copy)
		memcpy(buf, dev->caps, copy);
	if (len > copy)
		memset((uint8_t *)buf + copy, 0, len - copy);
	*ret_len = dev->caps_len;
	ctx_unlock(ctx);
	return 0;
}

IOASID_EXPORT int ioasid_dev_hw_info(struct ioasid_ctx *ctx, uint32_t id, uint32_t data_type,
				     void *data, uint32_t len, struct ioasid_hw_info *ret_info)
{
	struct ioasid_hw_info i = { .sz = sizeof(i) };
	struct ioasid_dev *dev;
	int err = 0;

	if (!ctx)
		return -EINVAL;
	if (len && !data)
		return ioasid_err(ctx, -EINVAL, "ioasid_dev_hw_info: data is NULL (len %u)", len);
	if (!ret_info || ret_info->sz < offsetof(struct ioasid_hw_info, capabilities))
		return ioasid_err(ctx, -EINVAL, "ioasid_dev_hw_info: ret_info is %s",
				  ret_info ? "too small (set its sz)" : "NULL");
	dev = ctx_lock_lookup(ctx, id, IOASID_OBJ_DEV, &err);
	if (!dev)
		return err;
	if (!ctx->ops->dev_hw_info) {
		err = ioasid_err(ctx, -EOPNOTSUPP,
				 "IOMMU_GET_HW_INFO%s: the %s backend has no raw hardware info (iommufd only; ioasid_dev_info() has the decoded facts)",
				 data_type ? " with a requested data type (INPUT_TYPE)" : "",
				 ctx->ops->name);
	} else {
		err = ctx->ops->dev_hw_info(ctx, dev, data_type, data, len, &i);
	}
	if (!err) {
		i.sz = IOASID_MIN(ret_info->sz, sizeof(i));
		memcpy(ret_info, &i, i.sz);
	}
	ctx_unlock(ctx);
	return err;
}

/* ---- attach / detach ---- */

static int check_pasid(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pasid,
		       uint32_t set)
{
	uint32_t owner;

	if (pasid == IOASID_PASID_NONE)
		return 0;
	if (pasid == 0)
		return ioasid_err(ctx, -EINVAL,
				  "PASID 0 is the one of requests without PASID (IOASID_PASID_NONE attaches them)");
	/*
	 * The kernel's iommu_attach_device_pasid(): a PASID at or above the
	 * device's count is EINVAL. A device without PASIDs is refused too,
	 * as the kernel refuses the selftest's (it counts one PASID, the
	 * RID's); see ioasid_dev_attach() for the PCI case.
	 */
	if (!dev->props.pasid_width)
		return ioasid_err(ctx, -EINVAL, "device %s has no PASIDs (PASID %u)", dev->name,
				  pasid);
	if (pasid >= (1u << dev->props.pasid_width))
		return ioasid_err(ctx, -EINVAL, "PASID %u is not below the %u PASIDs of device %s",
				  pasid, 1u << dev->props.pasid_width, dev->name);
	if (!set)
		return ioasid_err(ctx, -EINVAL,
				  "attaching PASID %u needs the acting set (ioasid_attach_opts.set)",
				  pasid);
	owner = pasid_owner(ctx, pasid);
	if (!owner)
		return ioasid_err(ctx, -ENOENT, "PASID %u is not allocated to any set", pasid);
	if (owner != set)
		return ioasid_err(ctx, -EPERM, "PASID %u belongs to set %u, not to the acting set %u",
				  pasid, owner, set);
	return 0;
}

static int att_reserve(struct ioasid_ctx *ctx, struct ioasid_dev *dev,
		       struct dev_attach **ret)
{
	struct dev_attach **n = ioasid_array_room(dev->att, &dev->cap_att, dev->nr_att + 1,
						  sizeof(*n));

	if (!n)
		return ioasid_err(ctx, -ENOMEM, "out of memory for an attachment");
	dev->att = n;
	*ret = ioasid_calloc(1, sizeof(**ret));
	if (!*ret)
		return ioasid_err(ctx, -ENOMEM, "out of memory for an attachment");
	return 0;
}

/* Called with the lock dropped: the owner may query the IOAS again. */
static void notify_ranges(struct ioasid_ctx *ctx, ioasid_ranges_cb cb, void *data,
			  uint32_t ioas)
{
	if (cb)
		cb(data, ctx, ioas);
}

static int detach_locked(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t idx);

/*
 * The kernel's PASID rule (kernel-uapi.md §1.4, HWPT_ALLOC_PASID), for
 * (dev, @pasid) going onto a domain with @flags: a PASID needs a domain
 * allocated to allow PASIDs, and so does the RID's while any PASID is
 * attached. @what names the domain in messages. An IOAS's automatic
 * domain never allows PASIDs, as iommufd allocates it without flags.
 */
static int check_pasid_domains(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pasid,
			       uint32_t flags, const char *what)
{
	uint32_t i;

	if (pasid != IOASID_PASID_NONE && !(flags & IOASID_HWPT_PASID))
		return ioasid_err(ctx, -EINVAL,
				  "%s does not allow PASIDs (an HWPT allocated with IOASID_HWPT_PASID does); it cannot take PASID %u of %s",
				  what, pasid, dev->name);
	for (i = 0; i < dev->nr_att; i++) {
		const struct dev_attach *a = dev->att[i];

		if (pasid != IOASID_PASID_NONE && a->pasid == IOASID_PASID_NONE &&
		    !(a->hwpt->flags & IOASID_HWPT_PASID))
			return ioasid_err(ctx, -EINVAL,
					  "%s has a domain that does not allow PASIDs (HWPT %u) on its RID; it must before PASID %u can attach",
					  dev->name, a->hwpt->obj.id, pasid);
		if (pasid == IOASID_PASID_NONE && a->pasid != IOASID_PASID_NONE &&
		    !(flags & IOASID_HWPT_PASID))
			return ioasid_err(ctx, -EINVAL,
					  "%s has PASID %u attached; the domain of its RID must allow PASIDs too, and %s does not",
					  dev->name, a->pasid, what);
	}
	return 0;
}

/* An automatic domain of @ioas that suits @dev, or a new one. */
static int autodom_get(struct ioasid_ctx *ctx, struct ioasid_dev *dev,
		       struct ioasid_ioas *ioas, uint32_t fault_queue, struct ioasid_hwpt **ret)
{
	uint32_t flags = fault_queue ? IOASID_HWPT_FAULT_ID_VALID : 0;
	struct ioasid_hwpt *h;

	for (h = ioas->paging; h; h = h->next_paging) {
		if (h->autodom && h->pgsize_bitmap == dev->props.pgsize_bitmap &&
		    h->aperture_start == dev->props.aperture_start &&
		    h->aperture_last == dev->props.aperture_last && h->flags == flags &&
		    hwpt_fault_queue_id(h) == fault_queue) {
			*ret = h;
			return 0;
		}
	}
	return hwpt_paging_alloc_locked(ctx, dev, ioas, flags, fault_queue, true, ret);
}

/*
 * What @pt names for an attach: an IOAS (*@ret_hwpt NULL: its automatic
 * domain) or an HWPT (and the IOAS behind it).
 */
static int attach_target(struct ioasid_ctx *ctx, uint32_t pt, const struct ioasid_attach_opts *o,
			 struct ioasid_ioas **ret_ioas, struct ioasid_hwpt **ret_hwpt)
{
	struct ioasid_obj *obj = obj_find(ctx, pt, IOASID_OBJ_NONE);
	struct ioasid_hwpt *h;

	*ret_hwpt = NULL;
	if (obj && obj->kind == IOASID_OBJ_IOAS) {
		*ret_ioas = (struct ioasid_ioas *)obj;
		return 0;
	}
	/* the kernel: an id that does not exist is ENOENT, one of another kind EINVAL */
	if (!obj)
		return ioasid_err(ctx, -ENOENT, "no IOAS or HWPT with id %u", pt);
	if (obj->kind != IOASID_OBJ_HWPT)
		return ioasid_err(ctx, -EINVAL, "object %u is a %s, not an IOAS or HWPT", pt,
				  obj_kind_name(obj->kind));
	h = (struct ioasid_hwpt *)obj;
	if (o->fault_queue)
		return ioasid_err(ctx, -EINVAL,
				  "fault_queue %u in the attach options: HWPT %u has its own (set at allocation)",
				  o->fault_queue, pt);
	*ret_ioas = h->ioas;
	*ret_hwpt = h;
	return 0;
}

/*
 * The kernel's rules for (dev, pasid) before anything is made: what is
 * attached there already (*@ret_old, which only a replace may find), the
 * PASID and the acting set.
 */
static int attach_check(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pasid,
			const struct ioasid_attach_opts *o, bool replace, struct ioasid_ioas *ioas,
			uint32_t *ret_old)
{
	struct dev_attach *old = att_find(dev, pasid, ret_old);
	int err;

	if (old && !replace)
		return pasid == IOASID_PASID_NONE ?
			ioasid_err(ctx, -EBUSY, "device %s is already attached (no PASID)", dev->name) :
			ioasid_err(ctx, -EBUSY, "device %s PASID %u is already attached", dev->name,
				   pasid);
	/* the kernel's replace: EINVAL when nothing is attached there */
	if (!old && replace)
		return ioasid_err(ctx, -EINVAL,
				  "device %s has nothing attached at PASID %d to replace",
				  dev->name, (int)pasid);
	err = check_pasid(ctx, dev, pasid, o->set);
	if (err)
		return err;
	if (o->set && ioas->set && ioas->set != o->set)
		return ioasid_err(ctx, -EPERM, "IOAS %u belongs to set %u, not to the acting set %u",
				  ioas->obj.id, ioas->set, o->set);
	return 0;
}

/*
 * The PASID rule for the domain @pt stands for: @h, or (@h NULL) the
 * automatic domain of the IOAS @pt, whose flags allow no PASIDs. Checked
 * before an automatic domain is made, as the kernel refuses before it
 * adds one to the IOAS.
 */
static int attach_pasid_rule(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pasid,
			     uint32_t pt, const struct ioasid_hwpt *h)
{
	char what[48];

	if (h)
		snprintf(what, sizeof(what), "HWPT %u", h->obj.id);
	else
		snprintf(what, sizeof(what), "the automatic domain of IOAS %u", pt);
	return check_pasid_domains(ctx, dev, pasid, h ? h->flags : 0, what);
}

/*
 * Put @att (dev, pasid) on @h: the device's constraints join the IOAS
 * behind the domain, the PASID is counted, the backend attaches. All or
 * nothing.
 */
static int attach_install(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pasid,
			  uint32_t pt, struct ioasid_hwpt *h, struct dev_attach *att)
{
	struct ioas_domain_desc d = {
		.owner = att,
		.pgsize_bitmap = h->pgsize_bitmap,
		.aperture_start = 0,
		.aperture_last = UINT64_MAX,
		.resv = dev->props.resv,
		.nr_resv = dev->props.nr_resv,
		.device = true,
	};
	int err;

	err = ioas_add_domain(ctx, h->ioas, &d);
	if (err) {
		char msg[IOASID_ERRMSG_MAX];

		snprintf(msg, sizeof(msg), "%s", ioasid_ctx_errmsg(ctx));
		return ioasid_err(ctx, err, "attaching %s (page sizes 0x%llx) to %s %u: %s",
				  dev->name, X(dev->props.pgsize_bitmap),
				  h->autodom ? "IOAS" : "HWPT", pt, msg);
	}
	if (pasid != IOASID_PASID_NONE) {
		err = pasid_use_get(ctx, pasid);
		if (err)
			goto fail_domain;
	}
	if (ctx->ops->dev_attach) {
		err = ctx->ops->dev_attach(ctx, dev, pasid, h);
		if (err)
			goto fail_pasid;
	}
	return 0;
fail_pasid:
	if (pasid != IOASID_PASID_NONE)
		pasid_use_put(ctx, pasid);
fail_domain:
	ioas_remove_domain(ctx, h->ioas, att);
	return err;
}

/*
 * Attach (dev, pasid) to @pt. With @replace, the existing attachment there
 * is swapped for the new one only once the new one is complete.
 */
static int attach_locked(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pasid,
			 uint32_t pt, const struct ioasid_attach_opts *o, bool replace,
			 uint32_t *ret_ioas)
{
	struct dev_attach *att = NULL;
	struct ioasid_hwpt *h = NULL;
	struct ioasid_ioas *ioas = NULL;
	bool made_autodom = false;
	uint32_t old_idx = 0;
	int err;

	if (o->set && !obj_lookup(ctx, o->set, IOASID_OBJ_SET))
		return -ENOENT;
	err = attach_target(ctx, pt, o, &ioas, &h);
	if (!err)
		err = attach_check(ctx, dev, pasid, o, replace, ioas, &old_idx);
	if (!err)
		err = attach_pasid_rule(ctx, dev, pasid, pt, h);
	if (!err)
		err = att_reserve(ctx, dev, &att);
	if (err)
		return err;
	if (!h) {
		struct ioasid_hwpt *first = ioas->paging;

		err = autodom_get(ctx, dev, ioas, o->fault_queue, &h);
		if (err)
			goto fail;
		made_autodom = ioas->paging != first;
	}
	if (replace && dev->att[old_idx]->hwpt == h) {
		/* onto the domain it is on: the kernel does nothing, nor do we */
		dev->att[old_idx]->pt = pt;
		dev->att[old_idx]->set = o->set;
		ioasid_free(att);
		*ret_ioas = ioas->obj.id;
		return 0;
	}
	err = attach_install(ctx, dev, pasid, pt, h, att);
	if (err)
		goto fail;
	att->pasid = pasid;
	att->pt = pt;
	att->set = o->set;
	att->hwpt = h;
	h->nr_att++;
	h->obj.users++;
	dev->obj.users++;
	if (replace) {
		/*
		 * The new one is in place: drop the old one. The kernel's
		 * replace let go of it already; what is left is the backend's
		 * own state of it (vfio leaves the old container here).
		 */
		dev->att[dev->nr_att++] = dev->att[old_idx];
		dev->att[old_idx] = att;
		(void)detach_locked(ctx, dev, dev->nr_att - 1);
	} else {
		dev->att[dev->nr_att++] = att;
	}
	EVENT_ATTACHED(ctx, dev->obj.id, pasid, h->obj.id, pt);
	*ret_ioas = ioas->obj.id;
	return 0;
fail:
	if (made_autodom) {
		obj_remove(ctx, &h->obj);
		hwpt_free_locked(ctx, h);
	}
	ioasid_free(att);
	/* the old attachment is gone in the kernel too: so is its record */
	if (replace && ctx->ops->dev_replace_lost && ctx->ops->dev_replace_lost(ctx, dev, pasid))
		detach_locked(ctx, dev, old_idx);
	return err;
}

static int attach_common(struct ioasid_ctx *ctx, uint32_t id, uint32_t pasid, uint32_t pt,
			 const struct ioasid_attach_opts *opts, bool replace)
{
	struct ioasid_attach_opts o = { 0 };
	struct ioasid_ioas *ioas;
	struct ioasid_dev *dev;
	ioasid_ranges_cb cb = NULL;
	void *cb_data = NULL;
	uint32_t ioas_id = 0;
	int err;

	if (!ctx)
		return -EINVAL;
	if (opts) {
		err = ioasid_opts_check(ctx, opts, opts->sz, sizeof(o), "struct ioasid_attach_opts");
		if (err)
			return err;
		memcpy(&o, opts, IOASID_MIN(opts->sz, sizeof(o)));
		if (o.flags)
			return ioasid_err(ctx, -EINVAL, "unknown attach flags 0x%x", o.flags);
		if (o.__reserved)
			return ioasid_err(ctx, -EINVAL, "ioasid_attach_opts.__reserved is 0x%x, not 0",
					  o.__reserved);
	}
	dev = ctx_lock_lookup(ctx, id, IOASID_OBJ_DEV, &err);
	if (!dev)
		return err;
	if (o.fault_queue && !obj_lookup(ctx, o.fault_queue, IOASID_OBJ_FAULT_QUEUE)) {
		err = -ENOENT;
	} else {
		err = attach_locked(ctx, dev, pasid, pt, &o, replace, &ioas_id);
		if (!err && (ioas = obj_find(ctx, ioas_id, IOASID_OBJ_IOAS))) {
			cb = ioas->ranges_cb;
			cb_data = ioas->ranges_cb_data;
		}
	}
	TRACE(ctx, trace_attach(ctx, replace, id, pasid, pt, &o, err));
	ctx_unlock(ctx);
	if (!err)
		notify_ranges(ctx, cb, cb_data, ioas_id);
	return err;
}

IOASID_EXPORT int ioasid_dev_attach(struct ioasid_ctx *ctx, uint32_t id, uint32_t pasid,
				    uint32_t pt, const struct ioasid_attach_opts *opts)
{
	return attach_common(ctx, id, pasid, pt, opts, false);
}

IOASID_EXPORT int ioasid_dev_replace(struct ioasid_ctx *ctx, uint32_t id, uint32_t pasid,
				     uint32_t pt, const struct ioasid_attach_opts *opts)
{
	return attach_common(ctx, id, pasid, pt, opts, true);
}

/* A refused detach keeps the attachment (backend.h's rule) unless closing. */
static int detach_locked(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t idx)
{
	struct dev_attach *att = dev->att[idx];
	struct ioasid_hwpt *h = att->hwpt;
	int err = ctx->ops->dev_detach ? ctx->ops->dev_detach(ctx, dev, att->pasid, h) : 0;

	err = be_refused(ctx, err);
	if (err)
		return err;
	/* the kernel answers INVALID what is pending through a detached domain */
	fault_cancel(ctx, dev->obj.id, att->pasid, h->obj.id);
	EVENT_DETACHED(ctx, dev->obj.id, att->pasid, h->obj.id);
	ioas_remove_domain(ctx, h->ioas, att);
	h->nr_att--;
	h->obj.users--;
	dev->obj.users--;
	if (att->pasid != IOASID_PASID_NONE)
		pasid_use_put(ctx, att->pasid);
	dev->att[idx] = dev->att[--dev->nr_att];
	ioasid_free(att);
	/* an automatic domain goes with its last device, as in iommufd */
	if (h->autodom && !h->nr_att && hwpt_autodom_release(ctx, h))
		ioasid_log(ctx, IOASID_LOG_WARN,
			   "the automatic domain HWPT %u stays idle: %s (destroyed with its IOAS)",
			   h->obj.id, ioasid_ctx_errmsg(ctx));
	return 0;
}

IOASID_EXPORT int ioasid_dev_detach(struct ioasid_ctx *ctx, uint32_t id,
				    uint32_t pasid)
{
	struct ioasid_dev *dev;
	ioasid_ranges_cb cb = NULL;
	void *cb_data = NULL;
	uint32_t idx, ioas_id = 0;
	int err = 0;

	dev = ctx_lock_lookup(ctx, id, IOASID_OBJ_DEV, &err);
	if (!dev)
		return err;
	/* the kernel: detaching what is not attached succeeds and does nothing */
	if (att_find(dev, pasid, &idx)) {
		struct ioasid_ioas *ioas = dev->att[idx]->hwpt->ioas;

		ioas_id = ioas->obj.id;
		cb = ioas->ranges_cb;
		cb_data = ioas->ranges_cb_data;
		err = detach_locked(ctx, dev, idx);
	}
	TRACE(ctx, trace_detach(ctx, id, pasid, err));
	ctx_unlock(ctx);
	if (!err)
		notify_ranges(ctx, cb, cb_data, ioas_id);
	return err;
}

IOASID_EXPORT int ioasid_dev_attached(struct ioasid_ctx *ctx, uint32_t id,
				      uint32_t pasid, uint32_t *ret_pt)
{
	struct ioasid_dev *dev;
	struct dev_attach *att;
	int err = 0;

	if (!ctx || !ret_pt)
		return ioasid_err(ctx, -EINVAL, "ioasid_dev_attached: NULL argument");
	dev = ctx_lock_lookup(ctx, id, IOASID_OBJ_DEV, &err);
	if (!dev)
		return err;
	if (!(att = att_find(dev, pasid, NULL)))
		err = ioasid_err(ctx, -ENOENT, "device %s is not attached at PASID %d", dev->name,
				 (int)pasid);
	else
		*ret_pt = att->pt;
	ctx_unlock(ctx);
	return err;
}

/* ioasid_ctx_close(): detach every device so objects can go in order (refusals are logged). */
void dev_detach_all(struct ioasid_ctx *ctx)
{
	struct ioasid_dev *dev;

	for (dev = dev_next(ctx, NULL); dev; dev = dev_next(ctx, dev))
		while (dev->nr_att)
			(void)detach_locked(ctx, dev, dev->nr_att - 1);
}

IOASID_EXPORT int ioasid_dev_list(struct ioasid_ctx *ctx, struct ioasid_dev_entry *out,
				  uint32_t *inout_num)
{
	uint32_t total = 0, i;
	int err;

	if (!ctx || !inout_num || (*inout_num && !out))
		return ioasid_err(ctx, -EINVAL, "ioasid_dev_list: NULL argument");
	ctx_lock(ctx);
	if (!ctx->ops->dev_list) {
		err = ioasid_err(ctx, -EOPNOTSUPP, "the %s backend cannot list devices",
				 ctx->ops->name);
		goto out;
	}
	err = ctx->ops->dev_list(ctx, out, *inout_num, &total);
	if (err)
		goto out;
	for (i = 0; i < IOASID_MIN(*inout_num, total); i++) {
		struct ioasid_dev *dev = dev_find_by_name(ctx, out[i].name);

		out[i].bound = dev ? dev->obj.id : 0;
	}
	if (total > *inout_num)
		err = ioasid_err(ctx, -EMSGSIZE, "%u devices; the array holds %u", total, *inout_num);
	*inout_num = total;
out:
	ctx_unlock(ctx);
	return err;
}
