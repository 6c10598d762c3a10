/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iommufd devices: binding a VFIO device cdev to the iommufd, describing
 * it, and attaching its RID or a PASID to an IOAS or an HWPT.
 *
 * Automatic domains. When a device attaches to an IOAS the core makes an
 * automatic HWPT object; here it costs no ioctl: the device is attached to
 * the kernel IOAS itself, so the kernel makes (or reuses) its own automatic
 * domain, exactly what a VMM calling VFIO_DEVICE_ATTACH_IOMMUFD_PT with an
 * IOAS id gets. The kernel returns that domain's id, which
 * ioasid_obj_kernel_id() reports for the automatic HWPT. Explicit HWPTs
 * (ioasid_hwpt_alloc()) are IOMMU_HWPT_ALLOC objects.
 *
 * Device properties come from IOMMU_GET_HW_INFO (vendor registers, PASID
 * width, capability bits), sysfs (reserved regions, PCI ATS/PRI/PASID
 * capabilities) and a probe at bind time: the device is attached to an
 * empty scratch IOAS and IOMMU_IOAS_IOVA_RANGES reports the aperture,
 * reserved ranges and the IOVA alignment the kernel will enforce, then it
 * is detached again.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iommufd-private.h"
#include "linux/host-scan.h"

/* What the kernel has attached, per PASID: the detach after a replace must know. */
static int att_set(struct ioasid_ctx *ctx, struct ifd_dev *d, uint32_t pasid, struct ioasid_hwpt *h)
{
	uint32_t i;

	for (i = 0; i < d->nr_att; i++) {
		if (d->att[i].pasid == pasid) {
			d->att[i].hwpt = h;
			return 0;
		}
	}
	if (d->nr_att == d->cap_att) {
		uint32_t ncap = d->cap_att ? d->cap_att * 2 : 4;
		struct ifd_att *n = ioasid_realloc(d->att, ncap * sizeof(*n));

		if (!n)
			return ioasid_err(ctx, -ENOMEM, "out of memory for an attachment");
		d->att = n;
		d->cap_att = ncap;
	}
	d->att[d->nr_att].pasid = pasid;
	d->att[d->nr_att].hwpt = h;
	d->nr_att++;
	return 0;
}

struct ifd_att *ifd_att_get(struct ifd_dev *d, uint32_t pasid)
{
	uint32_t i;

	for (i = 0; i < d->nr_att; i++)
		if (d->att[i].pasid == pasid)
			return &d->att[i];
	return NULL;
}

static void att_drop(struct ifd_dev *d, uint32_t pasid)
{
	uint32_t i;

	for (i = 0; i < d->nr_att; i++) {
		if (d->att[i].pasid == pasid) {
			d->att[i] = d->att[--d->nr_att];
			return;
		}
	}
}

/* VFIO_DEVICE_ATTACH_IOMMUFD_PT of the RID or @pasid to kernel object @pt (a replace if attached). */
static int kattach(struct ioasid_ctx *ctx, struct ifd_dev *d, uint32_t pasid, uint32_t pt,
		   uint32_t *ret_pt)
{
	struct ku_vfio_device_attach_iommufd_pt a = {
		.argsz = sizeof(a),
		.pt_id = pt,
	};
	int err;

	if (d->mock)
		return ifd_selftest_attach(ctx, d, pasid, pt, ret_pt);
	if (pasid != IOASID_PASID_NONE) {
		a.flags = KU_VFIO_DEVICE_ATTACH_PASID;
		a.pasid = pasid;
	}
	err = kioctl(ctx, d->fd, KU_VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);
	if (!err && ret_pt)
		*ret_pt = a.pt_id;
	return err;
}

static int kdetach(struct ioasid_ctx *ctx, struct ifd_dev *d, uint32_t pasid)
{
	struct ku_vfio_device_detach_iommufd_pt a = { .argsz = sizeof(a) };

	if (d->mock)
		return ifd_selftest_detach(ctx, d, pasid);
	if (pasid != IOASID_PASID_NONE) {
		a.flags = KU_VFIO_DEVICE_DETACH_PASID;
		a.pasid = pasid;
	}
	return kioctl(ctx, d->fd, KU_VFIO_DEVICE_DETACH_IOMMUFD_PT, &a);
}

/*
 * The probe's own detach and destroy cannot be refused for a reason of
 * state (the IOAS is ours, empty, and the device was attached to it a
 * moment ago), so a refusal is a passing one (an allocation or a copy in
 * the kernel): try once more before reporting it.
 */
static int probe_undo(struct ioasid_ctx *ctx,
		      int (*fn)(struct ioasid_ctx *, struct ifd_dev *, uint32_t), struct ifd_dev *d,
		      uint32_t arg)
{
	int err = fn(ctx, d, arg);

	return err ? fn(ctx, d, arg) : 0;
}

static int probe_detach(struct ioasid_ctx *ctx, struct ifd_dev *d, uint32_t unused)
{
	(void)unused;
	return kdetach(ctx, d, IOASID_PASID_NONE);
}

static int probe_destroy(struct ioasid_ctx *ctx, struct ifd_dev *d, uint32_t kid)
{
	(void)d;
	return ifd_kdestroy(ctx, kid);
}

/* Remember @kid for ifd_reap_orphans(); false when even that fails. */
static bool orphan_add(struct ioasid_ctx *ctx, uint32_t kid)
{
	struct ifd_ctx *s = ifd_of(ctx);
	uint32_t *o = ioasid_realloc(s->orphans, (s->nr_orphans + 1) * sizeof(*o));

	if (!o)
		return false;
	o[s->nr_orphans++] = kid;
	s->orphans = o;
	return true;
}

void ifd_reap_orphans(struct ioasid_ctx *ctx)
{
	struct ifd_ctx *s = ifd_of(ctx);
	uint32_t i, kept = 0;
	int err;

	for (i = 0; i < s->nr_orphans; i++) {
		err = ifd_kdestroy(ctx, s->orphans[i]);
		if (err) {
			ioasid_log(ctx, IOASID_LOG_WARN,
				   "iommufd: the scratch IOAS %u of a bind-time probe is still refused destruction: %s",
				   s->orphans[i], strerror(-err));
			s->orphans[kept++] = s->orphans[i];
		}
	}
	s->nr_orphans = kept;
	if (!kept) {
		ioasid_free(s->orphans);
		s->orphans = NULL;
	}
}

/* The usable ranges of a device attached to the scratch IOAS @kid. */
static bool probe_read(struct ioasid_ctx *ctx, uint32_t kid, uint64_t *ret_align,
		       struct ioasid_iova_range **ret_ranges, uint32_t *ret_n)
{
	struct ku_iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = kid };
	struct ku_iommu_iova_range *kr = NULL;
	struct ioasid_iova_range *out = NULL;
	uint32_t i;
	int err;

	err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_IOAS_IOVA_RANGES, &q);
	if (err == -EMSGSIZE && q.num_iovas && q.num_iovas < 4096) {
		kr = ioasid_calloc(q.num_iovas, sizeof(*kr));
		if (kr) {
			q.allowed_iovas = (uintptr_t)kr;
			err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_IOAS_IOVA_RANGES, &q);
		}
	}
	if (!err && q.num_iovas && kr)
		out = ioasid_calloc(q.num_iovas, sizeof(*out));
	if (out) {
		for (i = 0; i < q.num_iovas; i++) {
			out[i].start = kr[i].start;
			out[i].last = kr[i].last;
		}
		*ret_ranges = out;
		*ret_n = q.num_iovas;
		*ret_align = q.out_iova_alignment;
	}
	ioasid_free(kr);
	return out != NULL;
}

/*
 * The probe: attach the freshly bound device to an empty IOAS, read the
 * usable ranges and alignment the kernel then enforces, detach. Fills
 * @ranges (ioasid_malloc) and sets *@ret_probed on success; a failure to
 * read just means "not probed". A failure to undo is an error: the device
 * or the scratch IOAS would stay in the kernel behind the records' back.
 */
static int probe_ranges(struct ioasid_ctx *ctx, struct ioasid_dev *dev, struct ifd_dev *d,
			bool *ret_probed, uint64_t *ret_align,
			struct ioasid_iova_range **ret_ranges, uint32_t *ret_n)
{
	uint32_t kid;
	int err;

	*ret_probed = false;
	if (ifd_of(ctx)->nr_orphans)
		ifd_reap_orphans(ctx);
	if (ifd_kioas_alloc(ctx, &kid))
		return 0;
	err = kattach(ctx, d, IOASID_PASID_NONE, kid, NULL);
	if (err) {
		ioasid_log(ctx, IOASID_LOG_INFO, "probe attach of %s: %s", d->bdf, strerror(-err));
	} else {
		*ret_probed = probe_read(ctx, kid, ret_align, ret_ranges, ret_n);
		err = probe_undo(ctx, probe_detach, d, 0);
		if (err) {
			/* the IOAS cannot go while the device is on it */
			orphan_add(ctx, kid);
			return ioasid_err(ctx, err,
					  "the bind-time probe of %s could not detach it from its scratch IOAS %u: %s (closing the device's fd releases both)",
					  dev->name, kid, strerror(-err));
		}
	}
	err = probe_undo(ctx, probe_destroy, d, kid);
	if (err && !orphan_add(ctx, kid))
		return ioasid_err(ctx, err,
				  "the bind-time probe of %s could not destroy its scratch IOAS %u: %s",
				  dev->name, kid, strerror(-err));
	return 0;
}

int ifd_describe(struct ioasid_ctx *ctx, struct ioasid_dev *dev, struct ifd_dev *d,
		 const struct ku_sysdev *sd)
{
	struct ku_iommu_hw_info hi = { .size = sizeof(hi), .dev_id = d->devid };
	struct ioasid_iova_range *ranges = NULL;
	struct ku_dev_facts f;
	uint8_t data[256];
	int err;

	memset(&f, 0, sizeof(f));
	memset(data, 0, sizeof(data));
	hi.data_len = sizeof(data);
	hi.data_uptr = (uintptr_t)data;
	err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_GET_HW_INFO, &hi);
	if (err)
		return ioasid_err(ctx, err, "IOMMU_GET_HW_INFO of %s (device %u): %s", dev->name,
				  d->devid, strerror(-err));
	f.hw_info = true;
	f.hw_type = hi.data_type;
	f.data = data;
	f.data_len = IOASID_MIN(hi.data_len, (uint32_t)sizeof(data));
	f.max_pasid_log2 = hi.out_max_pasid_log2;
	f.hw_caps = hi.out_capabilities;
	err = probe_ranges(ctx, dev, d, &f.probed, &f.alignment, &ranges, &f.nr_ranges);
	if (err) {
		ioasid_free(ranges);
		return err;
	}
	f.ranges = ranges;
	ku_facts_from_sysdev(&f, sd);
	f.coherent = true; /* iommufd binds only devices whose IOMMU enforces coherency */
	f.can_nest = f.can_pasid = f.can_dirty = true;
	f.host_page_size = ioasid_page_size();
	err = ku_dev_describe(ctx, dev, &f);
	ioasid_free(ranges);
	/*
	 * The context's PASID space covers its devices: a device with wider
	 * PASIDs than sysfs showed (the selftest's mock IOMMU) widens it, as
	 * long as no PASID was handed out yet.
	 */
	if (!err && dev->props.pasid_width > ctx->pasid_width && !ctx->pasids)
		ctx->pasid_width = dev->props.pasid_width;
	return err;
}

static int bind_common(struct ioasid_ctx *ctx, struct ioasid_dev *dev, int fd, bool own,
		       const struct ku_sysdev *sd)
{
	struct ku_vfio_device_bind_iommufd b = {
		.argsz = KU_VFIO_DEVICE_BIND_MINSZ,
		.iommufd = ifd_of(ctx)->fd,
	};
	struct ifd_dev *d;
	int err;

	d = ioasid_calloc(1, sizeof(*d));
	if (!d)
		return ioasid_err(ctx, -ENOMEM, "out of memory for device %s", dev->name);
	d->fd = fd;
	d->own_fd = own;
	ku_fmt(d->cdev, sizeof(d->cdev), "%s", sd->cdev);
	ku_fmt(d->bdf, sizeof(d->bdf), "%s", sd->bdf);
	/*
	 * A VF token needs the whole struct (6.17+); without one the short
	 * form that every kernel since 6.6 reads (KU_VFIO_DEVICE_BIND_MINSZ).
	 */
	if (dev->bind_token) {
		b.argsz = sizeof(b);
		b.flags = KU_VFIO_DEVICE_BIND_FLAG_TOKEN;
		b.token_uuid_ptr = (uintptr_t)dev->bind_token;
	}
	err = kioctl(ctx, fd, KU_VFIO_DEVICE_BIND_IOMMUFD, &b);
	if (err) {
		ioasid_free(d);
		return ioasid_err(
			ctx, err, "VFIO_DEVICE_BIND_IOMMUFD%s of %s: %s%s",
			dev->bind_token ? " with a VF token (FLAG_TOKEN)" : "", dev->name,
			strerror(-err),
			err == -EPERM ?
				" (no interrupt remapping? see iommufd.allow_unsafe_interrupts)" :
			err == -EBUSY ?
				" (in use through its VFIO group?)" :
			err == -EACCES ?
				" (the VF token of its PF is needed, or this one is not it)" :
			err == -EINVAL && dev->bind_token ?
				" (a token for a device that is neither an SR-IOV VF nor a PF, or a kernel before 6.17)" :
				"");
	}
	d->devid = b.out_devid;
	err = ifd_describe(ctx, dev, d, sd);
	/*
	 * Only closing the cdev unbinds it. Our own fd the caller closes; a
	 * caller's fd stays bound, so its device stays in the records too
	 * (backend.h: dev_bind_fd), for ioasid_dev_unbind().
	 */
	if (err && own) {
		ioasid_free(d);
		return err;
	}
	dev->be = d;
	return err;
}

/* Is @name "iommufd-selftest[:OPTS]"? Then *@ret_opts is OPTS or NULL. */
static bool selftest_name(const char *name, const char **ret_opts)
{
	size_t len = strlen(IFD_SELFTEST_NAME);

	if (strncmp(name, IFD_SELFTEST_NAME, len) || (name[len] && name[len] != ':'))
		return false;
	*ret_opts = name[len] ? name + len + 1 : NULL;
	return true;
}

/* A device without a VFIO cdev: say which driver has it. */
static int no_cdev(struct ioasid_ctx *ctx, const char *name, const struct ku_sysdev *sd)
{
	char drv[PATH_MAX] = "", path[PATH_MAX];
	ssize_t n;

	ku_fmt(path, sizeof(path), "%s/driver", sd->dir);
	n = readlink(path, drv, sizeof(drv) - 1);
	if (n > 0)
		drv[n] = '\0';
	return ioasid_err(ctx, -ENOENT,
			  "%s has no VFIO device cdev (driver: %s); bind it to vfio-pci first",
			  name, n > 0 ? ku_base_name(drv) : "none");
}

int iommufd_dev_bind(struct ioasid_ctx *ctx, struct ioasid_dev *dev, const char *name)
{
	struct ifd_ctx *s = ifd_of(ctx);
	struct ku_sysdev sd;
	const char *opts, *path;
	int fd, err;

	if (selftest_name(name, &opts)) {
		if (dev->bind_token)
			return ioasid_err(ctx, -EOPNOTSUPP,
					  "%s is the kernel's selftest device, not a VFIO one: no VF token",
					  name);
		return ifd_selftest_bind(ctx, dev, opts);
	}
	err = ku_resolve_name(ctx, s->sysfs, name, &sd);
	if (err)
		return err;
	if (!sd.cdev[0]) {
		err = no_cdev(ctx, name, &sd);
		goto out;
	}
	/*
	 * A cdev path is opened as given: the node may live outside
	 * /dev/vfio/devices (a container's /dev, a test's stand-in), and it
	 * is the device sysfs found for it. A PCI address opens the node
	 * sysfs names.
	 */
	path = name[0] == '/' ? name : sd.cdev;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = ioasid_err(ctx, -errno, "opening %s (for %s): %s", path, name,
				 strerror(errno));
		goto out;
	}
	err = bind_common(ctx, dev, fd, true, &sd);
	if (err)
		close(fd);
out:
	ku_sysdev_free(&sd);
	return err;
}

/*
 * Is the device of cdev @fd (found as @sd) the one a saved state calls
 * @name? A bind by name took its PCI address or a cdev path (the node of
 * @fd, or of the same device); a bind by fd, the cdev's path.
 */
static bool adopt_name_is(const char *name, int fd, const struct ku_sysdev *sd)
{
	struct stat a, b;

	if (!strcmp(name, sd->bdf) || (sd->cdev[0] && !strcmp(name, sd->cdev)))
		return true;
	return name[0] == '/' && !stat(name, &a) && !fstat(fd, &b) && S_ISCHR(a.st_mode) &&
	       a.st_rdev == b.st_rdev;
}

int iommufd_dev_bind_fd(struct ioasid_ctx *ctx, struct ioasid_dev *dev, int fd)
{
	struct ku_sysdev sd;
	int err;

	err = ku_sysdev_from_cdev_fd(ctx, ifd_of(ctx)->sysfs, fd, &sd);
	if (err)
		return err;
	if (ctx->adopt_name && iommufd_adopting(ctx)) {
		/* a restore: the fd must be the device the state names, which keeps its name */
		if (!adopt_name_is(ctx->adopt_name, fd, &sd)) {
			err = ioasid_err(ctx, -EBADF, "fd %d is device %s (%s), not %s", fd, sd.bdf,
					 sd.cdev[0] ? sd.cdev : "no cdev", ctx->adopt_name);
			ku_sysdev_free(&sd);
			return err;
		}
		ku_fmt(dev->name, sizeof(dev->name), "%s", ctx->adopt_name);
	} else {
		/* named after its cdev, as if bound by that name */
		ku_fmt(dev->name, sizeof(dev->name), "%s", sd.cdev[0] ? sd.cdev : sd.bdf);
	}
	err = bind_common(ctx, dev, fd, false, &sd);
	ku_sysdev_free(&sd);
	return err;
}

void iommufd_dev_unbind(struct ioasid_ctx *ctx, struct ioasid_dev *dev)
{
	struct ifd_dev *d = dev->be;

	if (!d)
		return;
	/*
	 * Closing the cdev unbinds it from the iommufd. A caller's fd
	 * (ioasid_dev_bind_fd()) stays bound until the caller closes it.
	 */
	if (d->mock)
		ifd_selftest_free(ctx, d);
	else if (d->own_fd)
		close(d->fd);
	ioasid_free(d->att);
	ioasid_free(d);
	dev->be = NULL;
}

int iommufd_dev_list(struct ioasid_ctx *ctx, struct ioasid_dev_entry *out, uint32_t cap,
		     uint32_t *total)
{
	struct ifd_ctx *s = ifd_of(ctx);
	uint32_t n = cap;
	int err;

	err = host_scan_root(s->sysfs, out, &n);
	if (err && err != -EMSGSIZE)
		return ioasid_err(ctx, err, "scanning %s for devices: %s", s->sysfs,
				  ioasid_last_errmsg());
	*total = n;
	return 0;
}

/*
 * IOMMU_GET_HW_INFO for the caller, the kernel's rules unchanged; a type
 * asked for goes with IOMMU_HW_INFO_FLAG_INPUT_TYPE (Linux 6.17+: an
 * older kernel refuses the flag with EOPNOTSUPP, as a driver refuses a
 * type it does not report).
 */
int iommufd_dev_hw_info(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t data_type,
			void *data, uint32_t len, struct ioasid_hw_info *out)
{
	struct ifd_dev *d = dev->be;
	struct ku_iommu_hw_info hi = { .size = sizeof(hi),
				       .data_len = len,
				       .data_uptr = (uintptr_t)data,
				       .data_type = data_type };
	int err;

	if (!d)
		return ioasid_err(ctx, -ENODEV, "device %s was never described (its bind failed)",
				  dev->name);
	hi.dev_id = d->devid;
	if (data_type)
		hi.flags = KU_IOMMU_HW_INFO_FLAG_INPUT_TYPE;
	err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_GET_HW_INFO, &hi);
	if (err)
		return ioasid_err(ctx, err,
				  "IOMMU_GET_HW_INFO of %s (device %u, data type 0x%x%s): the kernel says %s",
				  dev->name, d->devid, data_type, data_type ? ", INPUT_TYPE" : "",
				  strerror(-err));
	out->data_type = hi.data_type;
	out->data_len = hi.data_len;
	out->max_pasid_log2 = hi.out_max_pasid_log2;
	out->capabilities = hi.out_capabilities;
	return 0;
}

int iommufd_dev_attach(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pasid,
		       struct ioasid_hwpt *h)
{
	struct ifd_dev *d = dev->be;
	struct ifd_hwpt *kh = h->be;
	uint32_t pt = kh->autodom ? ioas_kid(h->ioas) : kh->id, got = 0;
	int err;

	err = kattach(ctx, d, pasid, pt, &got);
	if (err) {
		char where[32] = "";

		if (pasid != IOASID_PASID_NONE)
			snprintf(where, sizeof(where), " PASID %u", pasid);
		return ioasid_err(ctx, err,
				  "VFIO_DEVICE_ATTACH_IOMMUFD_PT of %s%s to %s %u (kernel id %u): the kernel says %s",
				  dev->name, where, kh->autodom ? "IOAS" : "HWPT",
				  kh->autodom ? h->ioas->obj.id : h->obj.id, pt, strerror(-err));
	}
	if (kh->autodom)
		kh->id = got;
	err = att_set(ctx, d, pasid, h);
	if (err) {
		kdetach(ctx, d, pasid);
		return err;
	}
	return 0;
}

int iommufd_dev_detach(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pasid,
		       struct ioasid_hwpt *h)
{
	struct ifd_dev *d = dev->be;
	struct ifd_att *a = ifd_att_get(d, pasid);
	int err;

	/* replaced meanwhile: the new attachment stays */
	if (!a || a->hwpt != h)
		return 0;
	err = kdetach(ctx, d, pasid);
	if (err) {
		err = ioasid_err(ctx, err,
				 "VFIO_DEVICE_DETACH_IOMMUFD_PT of %s PASID %d: the kernel says %s",
				 dev->name, (int)pasid, strerror(-err));
		if (!ctx->closing)
			return err;
	}
	att_drop(d, pasid);
	return err;
}
