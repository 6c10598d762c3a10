/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Devices of the kernel's mock IOMMU (IOMMUFD_TEST kernels): what the
 * library tests PASIDs, dirty tracking, nesting and fault queues with
 * against a real kernel but without the hardware. They are made and
 * attached through IOMMU_TEST_CMD, not through a VFIO cdev.
 */
#include <stdio.h>
#include <string.h>

#include "iommufd-private.h"

static int ktest(struct ioasid_ctx *ctx, struct ku_iommu_test_cmd *c)
{
	c->size = sizeof(*c);
	return kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_TEST_CMD, c);
}

/* A selftest device attaches through the selftest's own operations. */
int ifd_selftest_attach(struct ioasid_ctx *ctx, struct ifd_dev *d, uint32_t pasid, uint32_t pt,
			uint32_t *ret_pt)
{
	struct ku_iommu_test_cmd c = { .id = d->stdev };
	int err;

	if (pasid == IOASID_PASID_NONE) {
		c.op = KU_IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE;
		c.mock_domain_replace.pt_id = pt;
		err = ktest(ctx, &c);
		if (!err && ret_pt)
			*ret_pt = c.mock_domain_replace.pt_id;
		return err;
	}
	c.op = ifd_att_get(d, pasid) ? KU_IOMMU_TEST_OP_PASID_REPLACE :
				       KU_IOMMU_TEST_OP_PASID_ATTACH;
	c.pasid_attach.pasid = pasid;
	c.pasid_attach.pt_id = pt;
	err = ktest(ctx, &c);
	if (!err && ret_pt)
		*ret_pt = c.pasid_attach.pt_id;
	return err;
}

int ifd_selftest_detach(struct ioasid_ctx *ctx, struct ifd_dev *d, uint32_t pasid)
{
	struct ku_iommu_test_cmd c = { .id = d->stdev };

	if (pasid == IOASID_PASID_NONE)
		return ifd_selftest_attach(ctx, d, pasid, d->park_pt, NULL);
	c.op = KU_IOMMU_TEST_OP_PASID_DETACH;
	c.pasid_detach.pasid = pasid;
	return ktest(ctx, &c);
}

void ifd_selftest_free(struct ioasid_ctx *ctx, struct ifd_dev *d)
{
	if (d->stdev)
		ifd_kdestroy(ctx, d->stdev);
	if (d->park_hwpt)
		ifd_kdestroy(ctx, d->park_hwpt);
	if (d->park_ioas)
		ifd_kdestroy(ctx, d->park_ioas);
}

/* The device flags the options ask for: "pasid", "nodirty", comma-separated. */
static int parse_opts(struct ioasid_ctx *ctx, struct ioasid_dev *dev, const char *opts,
		      uint32_t *ret_flags)
{
	const char *p = opts;

	*ret_flags = 0;
	while (p && *p) {
		size_t n = strcspn(p, ",");

		if (n == 5 && !strncmp(p, "pasid", 5))
			*ret_flags |= KU_MOCK_FLAGS_DEVICE_PASID;
		else if (n == 7 && !strncmp(p, "nodirty", 7))
			*ret_flags |= KU_MOCK_FLAGS_DEVICE_NO_DIRTY;
		else
			return ioasid_err(ctx, -EINVAL,
					  "selftest device option '%.*s' in '%s' (pasid, nodirty)",
					  (int)n, p, dev->name);
		p += n + (p[n] == ',');
	}
	return 0;
}

/* The mock device with @flags, made bound and attached to a new private IOAS. */
static int mock_create(struct ioasid_ctx *ctx, struct ioasid_dev *dev, struct ifd_dev *d,
		       uint32_t flags)
{
	struct ku_iommu_test_cmd c = { .op = KU_IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS };
	int err;

	err = ifd_kioas_alloc(ctx, &d->park_ioas);
	if (err)
		return ioasid_err(ctx, err, "IOMMU_IOAS_ALLOC for %s: %s", dev->name,
				  strerror(-err));
	c.id = d->park_ioas;
	c.mock_domain_flags.dev_flags = flags;
	err = ktest(ctx, &c);
	if (err) {
		ifd_selftest_free(ctx, d);
		return ioasid_err(ctx, err == -ENOTTY ? -ENOENT : err,
				  "IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS for %s: %s%s", dev->name,
				  strerror(-err),
				  err == -ENOTTY ? " (a kernel without CONFIG_IOMMUFD_TEST)" : "");
	}
	d->stdev = c.mock_domain_flags.out_stdev_id;
	d->devid = c.mock_domain_flags.out_idev_id;
	d->park_pt = d->park_ioas;
	return 0;
}

/*
 * Park a PASID device on an HWPT of its IOAS that allows PASIDs: the
 * kernel then wants every domain of the device to.
 */
static int mock_park_pasid(struct ioasid_ctx *ctx, struct ioasid_dev *dev, struct ifd_dev *d)
{
	struct ku_iommu_hwpt_alloc a = {
		.size = sizeof(a),
		.flags = KU_IOMMU_HWPT_ALLOC_PASID,
		.dev_id = d->devid,
		.pt_id = d->park_ioas,
	};
	int err;

	err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_HWPT_ALLOC, &a);
	if (!err) {
		d->park_hwpt = a.out_hwpt_id;
		d->park_pt = a.out_hwpt_id;
		err = ifd_selftest_attach(ctx, d, IOASID_PASID_NONE, d->park_pt, NULL);
	}
	if (err) {
		ifd_selftest_free(ctx, d);
		return ioasid_err(ctx, err, "parking the PASID selftest device %s: %s", dev->name,
				  strerror(-err));
	}
	return 0;
}

/*
 * "iommufd-selftest[:pasid][,nodirty]": a device of the kernel's mock IOMMU
 * (CONFIG_IOMMUFD_TEST kernels only), for testing against the kernel
 * without hardware: PASIDs, dirty tracking, nest parents. It is created
 * bound, parked on a private IOAS (an HWPT allowing PASIDs for a PASID
 * device, as the kernel then wants every domain of the device to), and
 * attaches through the selftest's replace operations. It has no VFIO fd.
 */
int ifd_selftest_bind(struct ioasid_ctx *ctx, struct ioasid_dev *dev, const char *opts)
{
	struct ku_sysdev sd;
	struct ifd_dev *d;
	uint32_t flags;
	int err;

	err = parse_opts(ctx, dev, opts, &flags);
	if (err)
		return err;
	d = ioasid_calloc(1, sizeof(*d));
	if (!d)
		return ioasid_err(ctx, -ENOMEM, "out of memory for device %s", dev->name);
	d->fd = -1;
	d->mock = true;
	snprintf(d->bdf, sizeof(d->bdf), "selftest");
	err = mock_create(ctx, dev, d, flags);
	if (!err && (flags & KU_MOCK_FLAGS_DEVICE_PASID))
		err = mock_park_pasid(ctx, dev, d);
	if (!err) {
		memset(&sd, 0, sizeof(sd));
		sd.group = -1;
		err = ifd_describe(ctx, dev, d, &sd);
		if (err)
			ifd_selftest_free(ctx, d);
	}
	if (err) {
		ioasid_free(d);
		return err;
	}
	dev->be = d;
	return 0;
}
