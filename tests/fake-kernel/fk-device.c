/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fake kernel's devices (kernel-uapi.md §2.1): binding a cdev fd,
 * GET_HW_INFO, and attaching the RID or a PASID -- to an IOAS through an
 * automatic domain the kernel makes or reuses, or to an HWPT -- where a
 * second attach replaces in one step and an automatic domain goes with its
 * last attachment.
 */
#include <errno.h>
#include <string.h>

#include "fk.h"

/*
 * vfio_df_check_token() and vfio-pci's match_token_uuid(): a token is read
 * (a short argsz reads its pointer as 0), then a VF needs its PF's, and a
 * device that is neither a VF nor a PF takes none.
 */
static int check_token(const struct fk_devfd *d, const struct ku_vfio_device_bind_iommufd *b)
{
	uint64_t ptr = b->argsz >= sizeof(*b) ? b->token_uuid_ptr : 0;
	bool tok = b->flags & KU_VFIO_DEVICE_BIND_FLAG_TOKEN;

	if (tok && !ptr)
		return -EFAULT;
	if (!d->vf)
		return tok ? -EINVAL : 0;
	if (!tok || memcmp((const void *)(uintptr_t)ptr, d->vf_token, sizeof(d->vf_token)))
		return -EACCES;
	return 0;
}

int fk_dev_bind(struct fk *k, int fd, struct ku_vfio_device_bind_iommufd *b)
{
	uint32_t id;
	int i, err;

	if (b->argsz < KU_VFIO_DEVICE_BIND_MINSZ || (b->flags & ~KU_VFIO_DEVICE_BIND_FLAG_TOKEN) ||
	    (int32_t)b->iommufd < 0)
		return -EINVAL;
	fk_adopt_fd(k, fd);
	for (i = 0; i < FK_MAX_DEVS; i++) {
		if (k->devs[i].fd != fd || fd < 0)
			continue;
		if (k->devs[i].devid)
			return -EINVAL; /* bound twice */
		err = check_token(&k->devs[i], b);
		if (err)
			return err;
		id = fk_new(k, FK_DEVICE);
		if (!id)
			return -ENOMEM;
		k->obj[id].slot = i;
		k->devs[i].devid = id;
		b->out_devid = id;
		return 0;
	}
	return -EINVAL; /* not a VFIO cdev this kernel knows */
}

int fk_dev_hw_info(struct fk *k, struct ku_iommu_hw_info *h)
{
	struct ku_iommu_hw_info_vtd v = { .cap_reg = FK_VTD_CAP, .ecap_reg = k->ecap };
	uint32_t copy = h->data_len < sizeof(v) ? h->data_len : (uint32_t)sizeof(v);

	/* iommufd_get_hw_info(), then intel_iommu_hw_info()'s type check */
	if (h->flags & ~KU_IOMMU_HW_INFO_FLAG_INPUT_TYPE)
		return -EOPNOTSUPP;
	if (h->__reserved[0] || h->__reserved[1] || h->__reserved[2])
		return -EOPNOTSUPP;
	if (!(h->flags & KU_IOMMU_HW_INFO_FLAG_INPUT_TYPE))
		h->data_type = KU_IOMMU_HW_INFO_TYPE_NONE; /* DEFAULT */
	if (!fk_get(k, h->dev_id, FK_DEVICE))
		return -ENOENT;
	if (h->data_type != KU_IOMMU_HW_INFO_TYPE_NONE &&
	    h->data_type != KU_IOMMU_HW_INFO_TYPE_INTEL_VTD)
		return -EOPNOTSUPP;
	if (copy)
		memcpy((void *)(uintptr_t)h->data_uptr, &v, copy);
	/* the kernel zeroes the rest of a larger buffer */
	if (h->data_len > copy)
		memset((uint8_t *)(uintptr_t)h->data_uptr + copy, 0, h->data_len - copy);
	h->data_len = sizeof(v);
	h->data_type = KU_IOMMU_HW_INFO_TYPE_INTEL_VTD;
	h->out_max_pasid_log2 = k->pasid_capable ? 20 : 0;
	h->out_capabilities = KU_IOMMU_HW_CAP_DIRTY_TRACKING;
	return 0;
}

void fk_hwpt_put(struct fk *k, uint32_t id)
{
	struct fk_obj *h = &k->obj[id];

	if (!--h->users && h->autodom)
		fk_free(k, id);
}

static struct fk_att *att_of(struct fk_obj *dev, bool pasid_valid, uint32_t pasid)
{
	uint32_t i;

	for (i = 0; i < dev->nr_att; i++)
		if (dev->att[i].pasid_valid == pasid_valid &&
		    (!pasid_valid || dev->att[i].pasid == pasid))
			return &dev->att[i];
	return NULL;
}

/* The IOAS under HWPT @id (a nested one's parent's). */
static uint32_t ioas_under(struct fk *k, uint32_t id)
{
	if (k->obj[id].kind == FK_HWPT_NESTED)
		id = k->obj[id].parent;
	return k->obj[id].ioas;
}

/*
 * The device's reserved region joins the IOAS: EADDRINUSE when an area
 * lies there. An IOAS's first domain must hold every area in its aperture.
 */
static int may_join(struct fk *k, uint32_t ioas, bool new_domain)
{
	const struct fk_obj *o = &k->obj[ioas];
	uint32_t i;

	for (i = 0; i < o->nr_areas; i++) {
		uint64_t s = o->areas[i].iova, l = s + o->areas[i].length - 1;

		if (s <= FK_MSI_LAST && l >= FK_MSI_START)
			return -EADDRINUSE;
		if (new_domain && l > FK_APERTURE_LAST)
			return -EINVAL;
	}
	return 0;
}

/*
 * The kernel's iommufd_hwpt_pasid_compat(): a PASID goes only onto an HWPT
 * allocated with ALLOC_PASID, and only while the RID is on one too; the
 * RID leaves PASID-capable HWPTs only when no PASID is attached. An
 * automatic domain (@pt_id an IOAS) is never PASID-capable.
 */
static int pasid_compat(struct fk *k, struct fk_obj *dev, bool pasid_valid, uint32_t pt_id)
{
	bool compat = !fk_get(k, pt_id, FK_IOAS) && k->obj[pt_id].pasid_compat;
	struct fk_att *rid;
	uint32_t i;

	if (pasid_valid) {
		rid = att_of(dev, false, 0);
		if (!compat || (rid && !k->obj[rid->hwpt].pasid_compat))
			return -EINVAL;
		return 0;
	}
	for (i = 0; i < dev->nr_att && !compat; i++)
		if (dev->att[i].pasid_valid)
			return -EINVAL;
	return 0;
}

/* The HWPT an attach to @pt_id lands on: @pt_id's, or an automatic one. */
static int target(struct fk *k, uint32_t pt_id, uint32_t *ret)
{
	uint32_t i;
	int err;

	if (fk_get(k, pt_id, FK_HWPT_PAGING) || fk_get(k, pt_id, FK_HWPT_NESTED)) {
		*ret = pt_id;
		return may_join(k, ioas_under(k, pt_id), false);
	}
	if (!fk_get(k, pt_id, FK_IOAS))
		return -ENOENT;
	/* every fake device suits every fake domain: the first automatic one */
	for (i = 1; i < FK_MAX_OBJ; i++) {
		if (k->obj[i].kind == FK_HWPT_PAGING && k->obj[i].autodom &&
		    k->obj[i].ioas == pt_id) {
			*ret = i;
			return may_join(k, pt_id, false);
		}
	}
	err = may_join(k, pt_id, !fk_ioas_held(k, pt_id));
	if (err)
		return err;
	i = fk_new(k, FK_HWPT_PAGING);
	if (!i)
		return -ENOMEM;
	k->obj[i].ioas = pt_id;
	k->obj[i].autodom = true;
	*ret = i;
	return 0;
}

int fk_dev_attach(struct fk *k, int fd, struct ku_vfio_device_attach_iommufd_pt *a)
{
	bool pasid_valid = a->flags & KU_VFIO_DEVICE_ATTACH_PASID;
	struct fk_obj *dev = fk_dev_of_fd(k, fd, NULL);
	struct fk_att *at;
	uint32_t h, old = 0;
	int err;

	if (!dev || a->argsz < 12 || (a->flags & ~KU_VFIO_DEVICE_ATTACH_PASID) ||
	    (pasid_valid && a->argsz < 16))
		return -EINVAL;
	if (pasid_valid && !k->pasid_capable)
		return -EOPNOTSUPP;
	if (fk_get(k, a->pt_id, FK_IOAS) || fk_get(k, a->pt_id, FK_HWPT_PAGING) ||
	    fk_get(k, a->pt_id, FK_HWPT_NESTED)) {
		err = pasid_compat(k, dev, pasid_valid, a->pt_id);
		if (err)
			return err;
	}
	err = target(k, a->pt_id, &h);
	if (err)
		return err;
	at = att_of(dev, pasid_valid, a->pasid);
	if (at) {
		old = at->hwpt;
		if (old == h) {
			a->pt_id = h; /* already there: nothing changes */
			return 0;
		}
	} else {
		if (dev->nr_att == FK_MAX_ATT)
			return -ENOMEM;
		at = &dev->att[dev->nr_att++];
		at->pasid_valid = pasid_valid;
		at->pasid = pasid_valid ? a->pasid : 0;
	}
	at->hwpt = h;
	k->obj[h].users++;
	if (old)
		fk_hwpt_put(k, old);
	a->pt_id = h;
	return 0;
}

static void drop_att(struct fk *k, struct fk_obj *dev, struct fk_att *at)
{
	uint32_t h = at->hwpt;

	*at = dev->att[--dev->nr_att];
	fk_hwpt_put(k, h);
}

int fk_dev_detach(struct fk *k, int fd, struct ku_vfio_device_detach_iommufd_pt *a)
{
	bool pasid_valid = a->flags & KU_VFIO_DEVICE_DETACH_PASID;
	struct fk_obj *dev = fk_dev_of_fd(k, fd, NULL);
	struct fk_att *at;

	if (!dev || a->argsz < 8 || (a->flags & ~KU_VFIO_DEVICE_DETACH_PASID) ||
	    (pasid_valid && a->argsz < 12))
		return -EINVAL;
	at = att_of(dev, pasid_valid, a->pasid);
	if (at)
		drop_att(k, dev, at);
	return 0; /* detaching what is not attached does nothing */
}

void fk_dev_detach_all(struct fk *k, uint32_t id)
{
	struct fk_obj *dev = &k->obj[id];

	while (dev->nr_att)
		drop_att(k, dev, &dev->att[0]);
}
