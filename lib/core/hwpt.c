/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hardware page tables: paging HWPTs over an IOAS (explicit, or automatic
 * when a device attaches to the IOAS, as iommufd's auto domain), nest
 * parents, and nested VT-d stage-1 HWPTs whose tables the guest owns;
 * cache invalidation requests and dirty tracking.
 *
 * A paging HWPT is a domain of its IOAS: creating it adds the domain's
 * aperture and page-size alignment to the IOAS (ioas_add_domain()), which
 * is where the kernel's "an existing mapping conflicts" refusals come from.
 */
#include <stdio.h>
#include <string.h>

#include "hwpt-private.h"
#include "viommu-private.h"
#include "dev-private.h"
#include "fault-private.h"
#include "json-private.h"
#include "backend/backend.h"
#include "trace-private.h"

#define X(v) ((unsigned long long)(v))

struct ioasid_hwpt *ioas_paging_next(const struct ioasid_ioas *ioas,
				     const struct ioasid_hwpt *prev)
{
	return prev ? prev->next_paging : ioas->paging;
}

static void paging_unlink(struct ioasid_hwpt *hwpt)
{
	struct ioasid_hwpt **pp;

	for (pp = &hwpt->ioas->paging; *pp; pp = &(*pp)->next_paging) {
		if (*pp == hwpt) {
			*pp = hwpt->next_paging;
			break;
		}
	}
}

void hwpt_free_locked(struct ioasid_ctx *ctx, struct ioasid_hwpt *hwpt)
{
	if (hwpt->fault_q) {
		hwpt->fault_q->nr_bound--;
		hwpt->fault_q->obj.users--;
	}
	/*
	 * Left here only after hwpt_obj_teardown() (hwpt_autodom_release()
	 * included), or while the HWPT is being aborted: no refusal to keep.
	 */
	if (ctx->ops->hwpt_destroy && hwpt->be)
		(void)ctx->ops->hwpt_destroy(ctx, hwpt);
	if (hwpt_is_paging(hwpt)) {
		paging_unlink(hwpt);
		ioas_remove_domain(ctx, hwpt->ioas, hwpt);
		hwpt->ioas->obj.users--;
	} else if (hwpt->viommu) {
		hwpt->viommu->obj.users--;
	} else {
		hwpt->parent->nr_children--;
		hwpt->parent->obj.users--;
	}
	ioasid_free(hwpt);
}

static int hwpt_obj_teardown(struct ioasid_ctx *ctx, struct ioasid_obj *obj)
{
	struct ioasid_hwpt *h = (struct ioasid_hwpt *)obj;

	if (!ctx->ops->hwpt_destroy || !h->be)
		return 0;
	return be_refused(ctx, ctx->ops->hwpt_destroy(ctx, h));
}

int hwpt_autodom_release(struct ioasid_ctx *ctx, struct ioasid_hwpt *h)
{
	int err = hwpt_obj_teardown(ctx, &h->obj);

	if (err)
		return err;
	obj_remove(ctx, &h->obj);
	hwpt_free_locked(ctx, h);
	return 0;
}

int ioas_release_idle_domains(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas)
{
	struct ioasid_hwpt *h = ioas->paging, *next;
	int err;

	for (; h; h = next) {
		next = h->next_paging; /* h may be freed */
		if (h->autodom && !h->nr_att) {
			err = hwpt_autodom_release(ctx, h);
			if (err)
				return err;
		}
	}
	return 0;
}

static void hwpt_obj_destroy(struct ioasid_ctx *ctx, struct ioasid_obj *obj)
{
	hwpt_free_locked(ctx, (struct ioasid_hwpt *)obj);
}

static const char *hwpt_type_name(uint32_t type)
{
	switch (type) {
	case IOASID_HWPT_PAGING:
		return "paging";
	case IOASID_HWPT_NESTED_VTD_S1:
		return "nested_vtd_s1";
	case IOASID_HWPT_NESTED_ARM_SMMUV3:
		return "nested_arm_smmuv3";
	case IOASID_HWPT_NESTED_AMD_GUEST:
		return "nested_amd_guest";
	case IOASID_HWPT_NESTED_SELFTEST:
		return "nested_selftest";
	}
	return "?";
}

static json_t *hwpt_obj_dump(struct ioasid_ctx *ctx, struct ioasid_obj *obj, uint32_t flags)
{
	struct ioasid_hwpt *h = (struct ioasid_hwpt *)obj;
	json_t *o;
	int err = 0;

	(void)flags;
	o = json_pack("{s:s,s:i,s:s,s:b,s:i,s:o,s:i,s:b,s:{s:b,s:b,s:b,s:b},s:o,s:o}", "kind",
		      "hwpt", "id", (json_int_t)h->obj.id, "type", hwpt_type_name(h->type), "auto",
		      h->autodom, "ioas", (json_int_t)h->ioas->obj.id, "parent",
		      h->parent ? json_integer(h->parent->obj.id) : json_null(), "nr_attached",
		      (json_int_t)h->nr_att, "dirty_enabled", h->dirty_enabled, "flags",
		      "nest_parent", !!(h->flags & IOASID_HWPT_NEST_PARENT), "dirty_tracking",
		      !!(h->flags & IOASID_HWPT_DIRTY_TRACKING), "pasid",
		      !!(h->flags & IOASID_HWPT_PASID), "fault",
		      !!(h->flags & IOASID_HWPT_FAULT_ID_VALID), "fault_queue",
		      h->fault_q ? json_integer(hwpt_fault_queue_id(h)) : json_null(), "page_sizes",
		      dump_hex(h->pgsize_bitmap));
	if (o && h->viommu)
		err = dump_add(o, "viommu", json_integer(h->viommu->obj.id));
	else if (o && !hwpt_is_paging(h))
		err = dump_add(o, "s1", json_pack("{s:o,s:i,s:o}", "pgtbl_addr", dump_hex(h->s1.pgtbl_addr),
					     "addr_width", (json_int_t)h->s1.addr_width, "flags",
					     dump_hex(h->s1.flags)));
	if (o && !err && ctx->ops->hwpt_json)
		err = ctx->ops->hwpt_json(ctx, h, o);
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

const struct ioasid_obj_ops ioasid_hwpt_obj_ops = {
	.name = "hwpt",
	.noun = "an HWPT",
	.missing = "no HWPT",
	.names_other_kind = true,
	.teardown = hwpt_obj_teardown,
	.destroy = hwpt_obj_destroy,
	.dump = hwpt_obj_dump,
};

/*
 * Can the device's IOMMU make a paging domain with @flags? In the kernel's
 * order (kernel-uapi.md §1.4): iommufd's own checks, then the driver's.
 */
static int check_hwpt_flags(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t flags)
{
	const uint32_t known = IOASID_HWPT_NEST_PARENT | IOASID_HWPT_DIRTY_TRACKING |
			       IOASID_HWPT_FAULT_ID_VALID | IOASID_HWPT_PASID;

	if (flags & ~known)
		return ioasid_err(ctx, -EOPNOTSUPP, "unknown HWPT flags 0x%x", flags & ~known);
	if ((flags & IOASID_HWPT_DIRTY_TRACKING) && !dev->props.dirty_tracking)
		return ioasid_err(ctx, -EOPNOTSUPP, "the IOMMU of %s has no dirty tracking",
				  dev->name);
	if ((flags & IOASID_HWPT_FAULT_ID_VALID) && (flags & IOASID_HWPT_NEST_PARENT))
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "a nest parent cannot take I/O page faults (FAULT_ID_VALID with NEST_PARENT)");
	if ((flags & IOASID_HWPT_NEST_PARENT) && !dev->props.nesting)
		return ioasid_err(ctx, -EOPNOTSUPP, "the IOMMU of %s cannot nest (NEST_PARENT)",
				  dev->name);
	if ((flags & IOASID_HWPT_PASID) && !dev->props.pasid_hwpt)
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "the IOMMU of %s makes no PASID-capable domains (IOASID_HWPT_PASID)",
				  dev->name);
	return 0;
}

/* A bound queue is in use: neither destroy path may take it. */
void hwpt_queue_bind(struct ioasid_fault_queue *q)
{
	if (q) {
		q->nr_bound++;
		q->obj.users++;
	}
}

/*
 * A queue may serve an HWPT only when its set may act on the HWPT's
 * address space (its IOAS, or the vIOMMU a nested HWPT is on): faults go
 * to the owner of the address space, never to another set.
 */
int hwpt_check_queue(struct ioasid_ctx *ctx, uint32_t flags, uint32_t queue, uint32_t owner_set,
		     const char *owner_kind, uint32_t owner_id, struct ioasid_fault_queue **ret)
{
	struct ioasid_fault_queue *q;

	*ret = NULL;
	if (!(flags & IOASID_HWPT_FAULT_ID_VALID))
		return queue ? ioasid_err(ctx, -EINVAL,
					  "fault_queue %u given without IOASID_HWPT_FAULT_ID_VALID",
					  queue) : 0;
	q = obj_lookup(ctx, queue, IOASID_OBJ_FAULT_QUEUE);
	if (!q)
		return -ENOENT;
	if (owner_set && q->set != owner_set)
		return ioasid_err(ctx, -EPERM,
				  "fault queue %u belongs to set %u; %s %u belongs to set %u",
				  queue, q->set, owner_kind, owner_id, owner_set);
	*ret = q;
	return 0;
}

/* hwpt_check_queue() for an HWPT over @ioas. */
static int check_queue(struct ioasid_ctx *ctx, uint32_t flags, uint32_t queue,
		       struct ioasid_ioas *ioas, struct ioasid_fault_queue **ret)
{
	return hwpt_check_queue(ctx, flags, queue, ioas->set, "IOAS", ioas->obj.id, ret);
}

int hwpt_paging_alloc_locked(struct ioasid_ctx *ctx, struct ioasid_dev *dev,
			     struct ioasid_ioas *ioas, uint32_t flags, uint32_t fault_queue,
			     bool autodom, struct ioasid_hwpt **ret)
{
	struct ioasid_fault_queue *q;
	struct ioas_domain_desc d;
	struct ioasid_hwpt *h;
	int err;

	err = check_hwpt_flags(ctx, dev, flags);
	if (!err)
		err = check_queue(ctx, flags, fault_queue, ioas, &q);
	if (err)
		return err;
	h = obj_alloc(ctx, IOASID_OBJ_HWPT, sizeof(*h), &err);
	if (!h)
		return err;
	h->type = IOASID_HWPT_PAGING;
	h->flags = flags;
	h->fault_q = q;
	h->ioas = ioas;
	h->autodom = autodom;
	h->pgsize_bitmap = dev->props.pgsize_bitmap;
	h->aperture_start = dev->props.aperture_start;
	h->aperture_last = dev->props.aperture_last;
	d = (struct ioas_domain_desc){
		.owner = h,
		.pgsize_bitmap = h->pgsize_bitmap,
		.aperture_start = h->aperture_start,
		.aperture_last = h->aperture_last,
	};
	err = ioas_add_domain(ctx, ioas, &d);
	if (err) {
		char msg[IOASID_ERRMSG_MAX];

		snprintf(msg, sizeof(msg), "%s", ioasid_ctx_errmsg(ctx));
		ioasid_err(ctx, err, "a domain for %s (page sizes 0x%llx) on IOAS %u: %s",
			   dev->name, X(h->pgsize_bitmap), ioas->obj.id, msg);
		goto fail;
	}
	if (ctx->ops->hwpt_alloc) {
		err = ctx->ops->hwpt_alloc(ctx, h, dev);
		if (err) {
			ioas_remove_domain(ctx, ioas, h);
			goto fail;
		}
	}
	h->next_paging = ioas->paging;
	ioas->paging = h;
	ioas->obj.users++;
	hwpt_queue_bind(q);
	obj_publish(ctx, &h->obj);
	*ret = h;
	return 0;
fail:
	obj_abort(ctx, &h->obj);
	return err;
}

/* The kernel's checks of VT-d stage-1 data (intel nested domain alloc). */
static int check_vtd_s1(struct ioasid_ctx *ctx, struct ioasid_dev *dev,
			const struct ioasid_hwpt_opts *o, struct ioasid_hwpt_vtd_s1 *s1)
{
	const uint64_t known = IOASID_VTD_S1_SRE | IOASID_VTD_S1_EAFE | IOASID_VTD_S1_WPE;

	/*
	 * The kernel's driver data rules: no size word, so a length other
	 * than its struct's is EINVAL (a longer one too, zeros or not), and
	 * data it cannot read is EFAULT.
	 */
	if (o->data_len != sizeof(*s1))
		return ioasid_err(ctx, -EINVAL, "VT-d stage-1 data_len %u is not %zu", o->data_len,
				  sizeof(*s1));
	if (!o->data)
		return ioasid_err(ctx, -EFAULT, "VT-d stage-1 data is NULL (data_len %u)",
				  o->data_len);
	memcpy(s1, o->data, sizeof(*s1));
	if (s1->flags & ~known)
		return ioasid_err(ctx, -EINVAL, "VT-d stage-1 flags: unknown bits 0x%llx",
				  X(s1->flags & ~known));
	if (s1->__reserved)
		return ioasid_err(ctx, -EINVAL, "VT-d stage-1 __reserved is 0x%x, not 0",
				  s1->__reserved);
	if (s1->addr_width != 48 && s1->addr_width != 57)
		return ioasid_err(ctx, -EINVAL, "VT-d stage-1 addr_width %u is not 48 or 57",
				  s1->addr_width);
	if (s1->addr_width == 57 && !(dev->props.fl_levels & (1u << 5)))
		return ioasid_err(ctx, -EINVAL,
				  "VT-d stage-1 addr_width 57 needs 5-level first-stage tables, which the IOMMU of %s lacks",
				  dev->name);
	if (s1->pgtbl_addr & 0xfff)
		return ioasid_err(ctx, -EINVAL, "VT-d stage-1 pgtbl_addr 0x%llx is not 4 KiB aligned",
				  X(s1->pgtbl_addr));
	if (dev->props.aperture_last != UINT64_MAX &&
	    s1->pgtbl_addr > dev->props.aperture_last)
		return ioasid_err(ctx, -EINVAL,
				  "VT-d stage-1 pgtbl_addr 0x%llx is beyond the %llu-bit guest address space",
				  X(s1->pgtbl_addr), X(64 - __builtin_clzll(dev->props.aperture_last)));
	return 0;
}

/*
 * A nested VT-d stage-1 HWPT over the nest parent @parent, its table the
 * guest's; in the kernel's order of checks (kernel-uapi.md §1.4): iommufd's
 * flags and data, the parent, then the driver's.
 */
static int hwpt_alloc_nested(struct ioasid_ctx *ctx, struct ioasid_dev *dev,
			     struct ioasid_hwpt *parent, const struct ioasid_hwpt_opts *o,
			     struct ioasid_hwpt **ret)
{
	const uint32_t nested_flags = IOASID_HWPT_FAULT_ID_VALID | IOASID_HWPT_PASID;
	struct ioasid_fault_queue *q = NULL;
	struct ioasid_hwpt *h;
	int err;

	if (o->flags & ~nested_flags)
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "a nested HWPT takes only the FAULT_ID_VALID and PASID flags, not 0x%x",
				  o->flags & ~nested_flags);
	if (o->type == IOASID_HWPT_PAGING)
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "over HWPT %u only a nested HWPT can be made (a type with data); a paging one is made over an IOAS",
				  parent->obj.id);
	if (parent->autodom || !(parent->flags & IOASID_HWPT_NEST_PARENT))
		return ioasid_err(ctx, -EINVAL,
				  "a nested HWPT needs a NEST_PARENT paging HWPT; HWPT %u is %s",
				  parent->obj.id,
				  parent->autodom ? "an automatic domain" : "not a nest parent");
	if (!dev->props.nesting || dev->props.vendor_s1 != o->type)
		return ioasid_err(ctx, -EOPNOTSUPP, "the IOMMU of %s has no nested HWPT of type %u",
				  dev->name, o->type);
	if ((o->flags & IOASID_HWPT_PASID) && !dev->props.pasid_hwpt)
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "the IOMMU of %s makes no PASID-capable domains (IOASID_HWPT_PASID)",
				  dev->name);
	h = obj_alloc(ctx, IOASID_OBJ_HWPT, sizeof(*h), &err);
	if (!h)
		return err;
	err = check_vtd_s1(ctx, dev, o, &h->s1);
	if (!err)
		err = check_queue(ctx, o->flags, o->fault_queue, parent->ioas, &q);
	if (!err) {
		h->type = IOASID_HWPT_NESTED_VTD_S1;
		h->flags = o->flags;
		h->parent = parent;
		h->ioas = parent->ioas;
		h->fault_q = q;
		h->pgsize_bitmap = parent->pgsize_bitmap;
		h->aperture_start = parent->aperture_start;
		h->aperture_last = parent->aperture_last;
		err = ctx->ops->hwpt_alloc(ctx, h, dev);
	}
	if (err) {
		obj_abort(ctx, &h->obj);
		return err;
	}
	parent->nr_children++;
	parent->obj.users++;
	hwpt_queue_bind(q);
	obj_publish(ctx, &h->obj);
	*ret = h;
	return 0;
}

/*
 * What @pt names decides the kind, as in the kernel: an IOAS a paging
 * HWPT, a paging HWPT a nested one over it; anything else, a missing id
 * included, is EINVAL.
 */
static int hwpt_alloc_on(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pt,
			 const struct ioasid_hwpt_opts *o, struct ioasid_hwpt **ret)
{
	struct ioasid_obj *obj = obj_find(ctx, pt, IOASID_OBJ_NONE);

	if (obj && obj->kind == IOASID_OBJ_IOAS) {
		/* driver data for a paging domain: no driver takes any */
		if (o->type != IOASID_HWPT_PAGING)
			return ioasid_err(ctx, -EOPNOTSUPP,
					  "HWPT type %u over IOAS %u: a nested HWPT is made over a nest parent HWPT",
					  o->type, pt);
		return hwpt_paging_alloc_locked(ctx, dev, (struct ioasid_ioas *)obj, o->flags,
						o->fault_queue, false, ret);
	}
	if (obj && obj->kind == IOASID_OBJ_HWPT && hwpt_is_paging((struct ioasid_hwpt *)obj))
		return hwpt_alloc_nested(ctx, dev, (struct ioasid_hwpt *)obj, o, ret);
	if (obj && obj->kind == IOASID_OBJ_VIOMMU)
		return hwpt_alloc_on_viommu(ctx, dev, (struct ioasid_viommu *)obj, o, ret);
	if (obj)
		return ioasid_err(ctx, -EINVAL,
				  "an HWPT is made over an IOAS, a paging HWPT or a vIOMMU; %u is %s",
				  pt,
				  obj->kind == IOASID_OBJ_HWPT ? "a nested HWPT" :
								 obj_kind_name(obj->kind));
	return ioasid_err(ctx, -EINVAL,
			  "no IOAS, HWPT or vIOMMU with id %u (the kernel says EINVAL here)", pt);
}

IOASID_EXPORT int ioasid_hwpt_alloc(struct ioasid_ctx *ctx, uint32_t dev_id, uint32_t pt,
				    const struct ioasid_hwpt_opts *opts, uint32_t *ret_hwpt)
{
	struct ioasid_hwpt_opts o = { 0 };
	struct ioasid_hwpt *h = NULL;
	struct ioasid_dev *dev;
	int err;

	if (!ctx)
		return -EINVAL;
	if (!ret_hwpt)
		return ioasid_err(ctx, -EINVAL, "ret_hwpt is NULL");
	if (opts) {
		err = ioasid_opts_check(ctx, opts, opts->sz, sizeof(o), "struct ioasid_hwpt_opts");
		if (err)
			return err;
		memcpy(&o, opts, IOASID_MIN(opts->sz, sizeof(o)));
	}
	/* the kernel's first check: data goes with a type, none without (data NULL or not) */
	if (o.type == IOASID_HWPT_PAGING && o.data_len)
		return ioasid_err(ctx, -EINVAL, "a paging HWPT takes no data (data_len %u)",
				  o.data_len);
	if (o.type != IOASID_HWPT_PAGING && !o.data_len)
		return ioasid_err(ctx, -EINVAL, "HWPT type %u needs its data (data_len 0)", o.type);
	ctx_lock(ctx);
	dev = obj_find(ctx, dev_id, IOASID_OBJ_DEV);
	if (!dev)
		err = obj_missing(ctx, dev_id, IOASID_OBJ_DEV);
	else if (!ctx->ops->hwpt_alloc)
		err = ioasid_err(ctx, -EOPNOTSUPP, "the %s backend has no hardware page tables",
				 ctx->ops->name);
	else
		err = hwpt_alloc_on(ctx, dev, pt, &o, &h);
	if (!err)
		*ret_hwpt = h->obj.id;
	TRACE(ctx, trace_hwpt_alloc(ctx, dev_id, pt, &o, ret_hwpt, err));
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_hwpt_ioas(struct ioasid_ctx *ctx, uint32_t id, uint32_t *ret_ioas)
{
	struct ioasid_hwpt *h;
	int err;

	if (!ctx || !ret_ioas)
		return ioasid_err(ctx, -EINVAL, "ioasid_hwpt_ioas: NULL argument");
	h = ctx_lock_lookup(ctx, id, IOASID_OBJ_HWPT, &err);
	if (!h)
		return err;
	/* a nested HWPT's is its parent's, set when it was made */
	*ret_ioas = h->ioas->obj.id;
	ctx_unlock(ctx);
	return 0;
}

IOASID_EXPORT int ioasid_hwpt_destroy(struct ioasid_ctx *ctx, uint32_t id)
{
	struct ioasid_hwpt *h;
	int err;

	h = ctx_lock_lookup(ctx, id, IOASID_OBJ_HWPT, &err);
	if (!h)
		return err;
	if (h->nr_att)
		err = ioasid_err(ctx, -EBUSY, "HWPT %u has %u (device, PASID) attachment(s)", id,
				 h->nr_att);
	else if (h->nr_children)
		err = ioasid_err(ctx, -EBUSY, "HWPT %u is the parent of %u nested HWPT(s)", id,
				 h->nr_children);
	else
		err = obj_destroy_locked(ctx, id);
	TRACE(ctx, trace_destroy(ctx, "hwpt_destroy", id, err));
	ctx_unlock(ctx);
	return err;
}

/* ---- invalidation ---- */

#define INV_REQ_MIN_SIZE 48u
/* the kernel's IOMMU_HWPT_INVALIDATE_ENTRY_NUM_MAX */
#define INV_ENTRY_NUM_MAX (1u << 19)
/* sizeof(struct iommu_hwpt_vtd_s1_invalidate): its only length */
#define VTD_INV_ENTRY_LEN 24u

/*
 * IOMMU_HWPT_INVALIDATE's bounds, checked before the HWPT is looked up so
 * that one call cannot keep the CPU (kernel-uapi.md §1.4): with entries, a
 * pointer, an entry length of 1..PAGE_SIZE and at most 2^19 entries.
 */
int inv_array_check(struct ioasid_ctx *ctx, const void *entries, uint32_t entry_len, uint32_t n)
{
	if (!n)
		return 0;
	if (!entries || !entry_len)
		return ioasid_err(ctx, -EINVAL, "%u entries with entry_len %u at %p", n, entry_len,
				  entries);
	if (entry_len > ioasid_page_size())
		return ioasid_err(ctx, -EINVAL, "entry_len %u is above the page size %llu",
				  entry_len, X(ioasid_page_size()));
	if (n > INV_ENTRY_NUM_MAX)
		return ioasid_err(ctx, -EINVAL, "%u entries are more than the kernel's %u", n,
				  INV_ENTRY_NUM_MAX);
	return 0;
}

static int check_inv_req(struct ioasid_ctx *ctx, uint32_t i, const struct ioasid_inv_req *r,
			 struct ioasid_inv_req *out)
{
	if (r->size < INV_REQ_MIN_SIZE)
		return ioasid_err(ctx, -EINVAL, "request %u: size %u is below %u", i, r->size,
				  INV_REQ_MIN_SIZE);
	if (r->size > sizeof(*r)) {
		const uint8_t *p = (const uint8_t *)r;
		uint32_t b;

		for (b = sizeof(*r); b < r->size; b++)
			if (p[b])
				return ioasid_err(ctx, -E2BIG, "request %u: byte %u is not zero", i, b);
	}
	*out = *r;
	if (out->version != 1)
		return ioasid_err(ctx, -EOPNOTSUPP, "request %u: version %u is not 1", i, out->version);
	if (out->kind < IOASID_INV_IOTLB || out->kind > IOASID_INV_PASID_CACHE)
		return ioasid_err(ctx, -EINVAL, "request %u: unknown kind %u", i, out->kind);
	if (out->granularity < IOASID_INV_ALL || out->granularity > IOASID_INV_RANGE)
		return ioasid_err(ctx, -EINVAL, "request %u: unknown granularity %u", i,
				  out->granularity);
	if (out->flags & ~IOASID_INV_LEAF)
		return ioasid_err(ctx, -EINVAL, "request %u: unknown flags 0x%x", i, out->flags);
	if (out->__reserved)
		return ioasid_err(ctx, -EINVAL, "request %u: __reserved is not 0", i);
	if (out->granularity == IOASID_INV_PASID && out->pasid == IOASID_PASID_NONE)
		return ioasid_err(ctx, -EINVAL, "request %u: PASID granularity without a PASID", i);
	if (out->kind == IOASID_INV_PASID_CACHE && out->granularity == IOASID_INV_RANGE)
		return ioasid_err(ctx, -EINVAL, "request %u: the PASID cache has no address ranges", i);
	if (out->granularity == IOASID_INV_RANGE) {
		uint64_t pg, end;

		if (out->log2_pgsize < 12 || out->log2_pgsize > 63)
			return ioasid_err(ctx, -EINVAL, "request %u: log2_pgsize %u is not 12..63", i,
					  out->log2_pgsize);
		pg = 1ull << out->log2_pgsize;
		if (out->addr & (pg - 1))
			return ioasid_err(ctx, -EINVAL,
					  "request %u: addr 0x%llx is not aligned to its page size 0x%llx",
					  i, X(out->addr), X(pg));
		if (!out->npages)
			return ioasid_err(ctx, -EINVAL, "request %u: npages is 0", i);
		if (out->npages > (UINT64_MAX >> out->log2_pgsize) ||
		    __builtin_add_overflow(out->addr, (out->npages << out->log2_pgsize) - 1, &end))
			return ioasid_err(ctx, -EOVERFLOW,
					  "request %u: 0x%llx pages of 0x%llx from 0x%llx wrap", i,
					  X(out->npages), X(pg), X(out->addr));
	}
	return 0;
}

IOASID_EXPORT int ioasid_hwpt_invalidate(struct ioasid_ctx *ctx, uint32_t id,
					 const struct ioasid_inv_req *reqs, uint32_t *inout_num,
					 uint64_t *ret_dropped)
{
	struct ioasid_hwpt *h;
	uint64_t dropped = 0;
	uint32_t i = 0, n, stride;
	int err = 0;

	if (!ctx)
		return -EINVAL;
	if (!inout_num)
		return ioasid_err(ctx, -EINVAL, "ioasid_hwpt_invalidate: inout_num is NULL");
	n = *inout_num;
	err = inv_array_check(ctx, reqs, n && reqs ? reqs->size : 0, n);
	if (err) {
		*inout_num = 0;
		return err;
	}
	ctx_lock(ctx);
	h = obj_lookup(ctx, id, IOASID_OBJ_HWPT);
	if (!h) {
		err = -ENOENT;
		goto out;
	}
	if (!ctx->ops->hwpt_invalidate) {
		err = ioasid_err(ctx, -EOPNOTSUPP, "the %s backend cannot invalidate", ctx->ops->name);
		goto out;
	}
	/*
	 * The array's stride is the first request's size (the size the caller
	 * was built with, as the kernel's entry_len); every request must carry
	 * the same size, and none is read past its own end.
	 */
	stride = n ? reqs->size : 0;
	if (n && (stride < INV_REQ_MIN_SIZE || stride % 8)) {
		err = ioasid_err(ctx, -EINVAL, "request 0: size %u is below %u or not a multiple of 8",
				 stride, INV_REQ_MIN_SIZE);
		goto out;
	}
	for (i = 0; i < n; i++) {
		const struct ioasid_inv_req *r = (const void *)((const uint8_t *)reqs +
								(size_t)i * stride);
		struct ioasid_inv_req req;
		uint64_t d = 0;

		if (r->size != stride) {
			err = ioasid_err(ctx, -EINVAL,
					 "request %u: size %u differs from the array's %u", i, r->size,
					 stride);
			break;
		}
		err = check_inv_req(ctx, i, r, &req);
		if (err)
			break;
		err = ctx->ops->hwpt_invalidate(ctx, h, &req, &d);
		if (err)
			break;
		dropped += d;
	}
out:
	TRACE(ctx, trace_invalidate(ctx, id, reqs, n, i, dropped, err));
	*inout_num = i;
	if (ret_dropped)
		*ret_dropped = dropped;
	ctx_unlock(ctx);
	return err;
}

/*
 * The IOTLB range VT-d's driver flushes for @addr and @npages 4 KiB pages
 * when the range is not plain (npages 0, or a range past the top): the
 * aligned power-of-two region that spans its first and last byte, the
 * last computed with wrap-around, or everything when that region is the
 * whole space (the driver's calculate_psi_aligned_address()).
 */
static void vtd_psi_region(uint64_t addr, uint64_t npages, struct ioasid_inv_req *req)
{
	uint64_t last = addr + (npages << 12) - 1, x = addr ^ last;
	unsigned int lg2 = x ? 64 - (unsigned int)__builtin_clzll(x) : 0;

	if (lg2 >= 64) {
		req->granularity = IOASID_INV_ALL;
		return;
	}
	if (lg2 < 12)
		lg2 = 12;
	req->addr = addr & ~((UINT64_C(1) << lg2) - 1);
	req->log2_pgsize = lg2;
	req->npages = 1;
}

/*
 * Raw VT-d entry @i (kernel-uapi.md §1.4) as the typed request it stands
 * for, with the checks of the kernel's VT-d driver: flags or __reserved
 * EOPNOTSUPP, an address not 4 KiB aligned or U64_MAX pages from another
 * address than 0 EINVAL. Any other page count is taken, 0 included.
 */
static int raw_vtd_req(struct ioasid_ctx *ctx, uint32_t i, const uint8_t *e,
		       struct ioasid_inv_req *req)
{
	uint64_t addr, npages, end;
	uint32_t flags, resv;

	memcpy(&addr, e, 8);
	memcpy(&npages, e + 8, 8);
	memcpy(&flags, e + 16, 4);
	memcpy(&resv, e + 20, 4);
	if (flags & ~1u || resv)
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "raw VT-d entry %u: flags 0x%x / __reserved 0x%x", i, flags, resv);
	if (addr & 0xfff)
		return ioasid_err(ctx, -EINVAL,
				  "raw VT-d entry %u: addr 0x%llx is not 4 KiB aligned", i, X(addr));
	if (npages == UINT64_MAX && addr)
		return ioasid_err(ctx, -EINVAL,
				  "raw VT-d entry %u: U64_MAX pages (everything) from addr 0x%llx, not 0",
				  i, X(addr));
	memset(req, 0, sizeof(*req));
	req->size = sizeof(*req);
	req->version = IOASID_INV_REQ_VERSION;
	req->kind = IOASID_INV_IOTLB;
	req->flags = flags & 1u ? IOASID_INV_LEAF : 0;
	req->pasid = IOASID_PASID_NONE;
	req->granularity = IOASID_INV_RANGE;
	if (npages && npages <= (UINT64_MAX >> 12) &&
	    !__builtin_add_overflow(addr, (npages << 12) - 1, &end)) {
		req->addr = addr;
		req->npages = npages;
		req->log2_pgsize = 12;
	} else {
		vtd_psi_region(addr, npages, req);
	}
	return 0;
}

/*
 * The checks of IOMMU_HWPT_INVALIDATE before any entry is handled, in the
 * kernel's order: the bounds, the HWPT (a nested one; any other object is
 * EINVAL), the data type, and the entry length of the VT-d driver (the
 * struct's own, 24 bytes: no size-first rules for driver data). Returns 1
 * when a kernel backend's driver decides the rest (a non-VT-d nested HWPT).
 */
static int check_raw_call(struct ioasid_ctx *ctx, uint32_t id, uint32_t data_type,
			  const void *entries, uint32_t entry_len, uint32_t n,
			  struct ioasid_hwpt **ret)
{
	struct ioasid_obj *obj;
	int err;

	err = inv_array_check(ctx, entries, entry_len, n);
	if (err)
		return err;
	obj = obj_find(ctx, id, IOASID_OBJ_NONE);
	if (!obj)
		return ioasid_err(ctx, -ENOENT, "no object with id %u", id);
	*ret = (struct ioasid_hwpt *)obj;
	if (obj->kind != IOASID_OBJ_HWPT || hwpt_is_paging(*ret))
		return ioasid_err(ctx, -EINVAL, "object %u is not a nested HWPT", id);
	/*
	 * Another nested type: its driver decides (the kernel's mock takes its
	 * own data); SMMUv3's and AMD's nested domains have no
	 * cache_invalidate_user, so IOMMU_HWPT_INVALIDATE is EOPNOTSUPP there
	 * and the guest's commands go to the vIOMMU (ioasid_viommu_invalidate()).
	 */
	if ((*ret)->type != IOASID_HWPT_NESTED_VTD_S1) {
		if (ctx->ops->hwpt_invalidate_raw)
			return 1;
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "nested HWPT %u (type %u) has no invalidation of its own: its guest's commands go to its vIOMMU",
				  id, (*ret)->type);
	}
	if (data_type != IOASID_INV_DATA_VTD_S1)
		return ioasid_err(ctx, -EINVAL, "invalidation data type %u does not fit HWPT %u",
				  data_type, id);
	if (n && entry_len != VTD_INV_ENTRY_LEN)
		return ioasid_err(ctx, -EINVAL, "entry_len %u is not the %u bytes of a VT-d entry",
				  entry_len, VTD_INV_ENTRY_LEN);
	return 0;
}

IOASID_EXPORT int ioasid_hwpt_invalidate_raw(struct ioasid_ctx *ctx, uint32_t id,
					     uint32_t data_type, const void *entries,
					     uint32_t entry_len, uint32_t *inout_num)
{
	struct ioasid_hwpt *h = NULL;
	uint32_t i = 0, n;
	int err = 0;

	if (!ctx)
		return -EINVAL;
	if (!inout_num)
		return ioasid_err(ctx, -EINVAL, "inout_num is NULL");
	n = *inout_num;
	ctx_lock(ctx);
	err = check_raw_call(ctx, id, data_type, entries, entry_len, n, &h);
	if (err < 0)
		goto out;
	/* A kernel backend passes the array through, as it was given. */
	if (ctx->ops->hwpt_invalidate_raw) {
		i = n;
		err = ctx->ops->hwpt_invalidate_raw(ctx, h, data_type, entries, entry_len, &i);
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct ioasid_inv_req req;
		uint64_t d;

		err = raw_vtd_req(ctx, i, (const uint8_t *)entries + (size_t)i * entry_len, &req);
		if (!err)
			err = ctx->ops->hwpt_invalidate(ctx, h, &req, &d);
		if (err)
			goto out;
		/* the kernel flushes the device TLB along with it */
		req.kind = IOASID_INV_DEV_IOTLB;
		err = ctx->ops->hwpt_invalidate(ctx, h, &req, &d);
		if (err)
			goto out;
	}
out:
	TRACE(ctx, trace_invalidate_raw(ctx, id, data_type, entries, entry_len, n, i, err));
	*inout_num = i;
	ctx_unlock(ctx);
	return err;
}

/* ---- dirty tracking ---- */

IOASID_EXPORT int ioasid_hwpt_set_dirty_tracking(struct ioasid_ctx *ctx, uint32_t id, bool on)
{
	struct ioasid_hwpt *h;
	int err;

	h = ctx_lock_lookup(ctx, id, IOASID_OBJ_HWPT, &err);
	if (!h)
		return err;
	if (!hwpt_is_paging(h) || !(h->flags & IOASID_HWPT_DIRTY_TRACKING) ||
		 !ctx->ops->hwpt_set_dirty)
		err = ioasid_err(ctx, -EOPNOTSUPP,
				 "HWPT %u was not allocated with IOASID_HWPT_DIRTY_TRACKING", id);
	else if (!(err = ctx->ops->hwpt_set_dirty(ctx, h, on)))
		h->dirty_enabled = on;
	TRACE(ctx, trace_dirty_tracking(ctx, id, on, err));
	ctx_unlock(ctx);
	return err;
}

/*
 * The range of a dirty read, as iommufd_check_iova_range() takes it: both
 * ends aligned to the IOAS's IOVA alignment (the smallest page its domains
 * map) and to @page_size, which may be smaller than a page: the bitmap
 * then has several bits per page, all set when the page is dirty.
 */
static int dirty_range_check(struct ioasid_ctx *ctx, const struct ioasid_hwpt *h, uint64_t iova,
			     uint64_t length, uint64_t page_size)
{
	uint64_t align = h->ioas && h->ioas->alignment ? h->ioas->alignment : 1;

	if ((iova | length) & (align - 1))
		return ioasid_err(ctx, -EINVAL,
				  "iova 0x%llx and length 0x%llx must be multiples of IOAS %u's IOVA alignment 0x%llx",
				  X(iova), X(length), h->ioas->obj.id, X(align));
	if ((iova | length) & (page_size - 1))
		return ioasid_err(ctx, -EINVAL,
				  "iova 0x%llx and length 0x%llx must be multiples of page_size 0x%llx",
				  X(iova), X(length), X(page_size));
	return 0;
}

IOASID_EXPORT int ioasid_hwpt_get_dirty_bitmap(struct ioasid_ctx *ctx, uint32_t id,
					       uint64_t iova, uint64_t length,
					       uint64_t page_size, uint64_t *bitmap,
					       uint32_t flags)
{
	struct ioasid_hwpt *h;
	uint64_t end;
	int err;

	if (!ctx)
		return -EINVAL;
	if (!bitmap)
		return ioasid_err(ctx, -EINVAL, "bitmap is NULL");
	if (flags & ~IOASID_DIRTY_NO_CLEAR)
		return ioasid_err(ctx, -EOPNOTSUPP, "unknown dirty-bitmap flags 0x%x", flags);
	if (!length)
		return ioasid_err(ctx, -EINVAL, "length is 0");
	/* iommufd_check_iova_range()'s order: the wrap, then the alignments */
	if (__builtin_add_overflow(iova, length - 1, &end))
		return ioasid_err(ctx, -EOVERFLOW, "iova 0x%llx + length 0x%llx wraps", X(iova),
				  X(length));
	/* the kernel takes the lowest set bit of any other; refuse the ambiguity */
	if (!page_size || (page_size & (page_size - 1)))
		return ioasid_err(ctx, -EINVAL, "page_size 0x%llx is not a power of two",
				  X(page_size));
	h = ctx_lock_lookup(ctx, id, IOASID_OBJ_HWPT, &err);
	if (!h)
		return err;
	err = dirty_range_check(ctx, h, iova, length, page_size);
	if (err) {
		ctx_unlock(ctx);
		return err;
	}
	if (!hwpt_is_paging(h) || !(h->flags & IOASID_HWPT_DIRTY_TRACKING) ||
		 !ctx->ops->hwpt_get_dirty)
		err = ioasid_err(ctx, -EOPNOTSUPP,
				 "HWPT %u was not allocated with IOASID_HWPT_DIRTY_TRACKING", id);
	else
		err = ctx->ops->hwpt_get_dirty(ctx, h, iova, length, page_size, bitmap,
					       !(flags & IOASID_DIRTY_NO_CLEAR));
	TRACE(ctx, trace_dirty_read(ctx, id, iova, length, page_size, bitmap, flags, err));
	ctx_unlock(ctx);
	return err;
}
