/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vfio backend: legacy VFIO type-1 (kernel-uapi.md §2.4), for kernels
 * without iommufd.
 *
 * One container (/dev/vfio/vfio, VFIO_TYPE1v2_IOMMU) per IOAS. Type-1 has
 * an IOMMU in a container only while a group is in it, so an IOAS's
 * mappings live in the core's records until the first device attaches;
 * then the group joins the container, VFIO_SET_IOMMU makes the domain and
 * every recorded area is replayed with VFIO_IOMMU_MAP_DMA. When the last
 * group leaves, the kernel drops the domain with its mappings, and the
 * next attach replays them again.
 *
 * Devices are named by PCI address (or VFIO cdev path, resolved to it).
 * Binding opens the group (/dev/vfio/N, must be viable) and measures the
 * device once in a scratch container: VFIO_IOMMU_GET_INFO's page sizes
 * and capability chain (usable IOVA ranges, DMA mapping budget, dirty
 * logging) become the device's properties, with the reserved regions and
 * PCI capabilities from sysfs and, on Intel, the VT-d registers sysfs
 * shows. The device fd (VFIO_GROUP_GET_DEVICE_FD) exists while the device
 * is attached: a group cannot leave a container while one of its devices
 * is open. A replace is a detach and an attach (type-1 has no atomic
 * replace), so the device fd changes; one that fails part-way goes back
 * to the old container (kernel-backends.md, "VFIO type-1").
 *
 * Not available on type-1, refused with -EOPNOTSUPP and a message: HWPTs
 * (explicit domains, nesting), PASIDs, HWPT dirty tracking, invalidation,
 * huge_pages=0. One device per IOMMU group and context.
 *
 * Copies are recorded by the core as new areas over the same memory and
 * mapped with a second MAP_DMA of it, which pins those pages again.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vfio-private.h"
#include "backend/backend.h"
#include "core/hwpt-private.h"
#include "linux/host-scan.h"
#include "linux/linux.h"

#define X(v) ((unsigned long long)(v))

struct vf_ctx {
	ku_ioctl_fn ioctl;
	void *ioctl_data;
	char sysfs[PATH_MAX];
	char dev_dir[PATH_MAX]; /* "/dev/vfio": the container and the group nodes */
	int spare_fd; /* a caller's container for the first IOAS, or -1 */
	bool spare_own;
};

struct vf_ioas {
	int fd;        /* the container */
	bool own;
	bool live;     /* a group is in it and the type-1 IOMMU is set */
	uint32_t nr_groups;
};

struct vf_dev {
	int group;     /* IOMMU group number */
	int group_fd;
	int dev_fd;    /* -1 while not attached */
	struct ioasid_ioas *on;  /* the IOAS whose container holds the group */
	struct ioasid_hwpt *hwpt; /* the automatic domain it is attached through */
	char bdf[32];
};

static struct vf_ctx *vf_of(struct ioasid_ctx *ctx)
{
	return ctx->be;
}

static int kioctl(struct ioasid_ctx *ctx, int fd, unsigned long req, void *arg)
{
	struct vf_ctx *s = vf_of(ctx);

	return s->ioctl(s->ioctl_data, fd, req, arg);
}

/* An integer-argument ioctl (CHECK_EXTENSION, SET_IOMMU). */
static int kioctl_int(struct ioasid_ctx *ctx, int fd, unsigned long req, unsigned long v)
{
	return kioctl(ctx, fd, req, (void *)v);
}

int vfio_set_ioctl_hook(struct ioasid_ctx *ctx, ku_ioctl_fn fn, void *data)
{
	if (!ctx || ctx->ops != &ioasid_vfio_backend)
		return -EINVAL;
	vf_of(ctx)->ioctl = fn ? fn : ku_sys_ioctl;
	vf_of(ctx)->ioctl_data = data;
	return 0;
}

int vfio_set_sysfs_root(struct ioasid_ctx *ctx, const char *root)
{
	if (!ctx || ctx->ops != &ioasid_vfio_backend || !root)
		return -EINVAL;
	snprintf(vf_of(ctx)->sysfs, sizeof(vf_of(ctx)->sysfs), "%s", root);
	return 0;
}

/* A container is usable: API version 0 and type-1v2. */
static int check_container(struct ioasid_ctx *ctx, int fd, const char *what)
{
	int r = kioctl(ctx, fd, KU_VFIO_GET_API_VERSION, NULL);

	if (r < 0)
		return ioasid_err(ctx, r == -ENOTTY ? -EINVAL : r,
				  "vfio: VFIO_GET_API_VERSION on %s: %s%s", what, strerror(-r),
				  r == -ENOTTY ? " (not a VFIO container)" : "");
	if (r != KU_VFIO_API_VERSION)
		return ioasid_err(ctx, -EOPNOTSUPP, "vfio: %s speaks VFIO API version %d, not %d",
				  what, r, KU_VFIO_API_VERSION);
	r = kioctl_int(ctx, fd, KU_VFIO_CHECK_EXTENSION, KU_VFIO_TYPE1v2_IOMMU);
	if (r <= 0)
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "vfio: %s does not offer the type-1v2 IOMMU (VFIO_CHECK_EXTENSION: %d)",
				  what, r);
	return 0;
}

static int open_container(struct ioasid_ctx *ctx, int *ret_fd)
{
	char path[PATH_MAX + 8];
	int fd;

	snprintf(path, sizeof(path), "%s/vfio", vf_of(ctx)->dev_dir);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return ioasid_err(ctx, -errno, "vfio: cannot open %s: %s%s", path, strerror(errno),
				  errno == ENOENT ? " (kernel without CONFIG_VFIO_CONTAINER?)" : "");
	*ret_fd = fd;
	return 0;
}

static int vf_setup(struct ioasid_ctx *ctx)
{
	struct vf_ctx *s = ioasid_calloc(1, sizeof(*s));

	if (!s)
		return ioasid_err(ctx, -ENOMEM, "out of memory for the vfio backend");
	s->ioctl = ku_sys_ioctl;
	s->spare_fd = -1;
	snprintf(s->sysfs, sizeof(s->sysfs), "/sys");
	snprintf(s->dev_dir, sizeof(s->dev_dir), "/dev/vfio");
	ctx->be = s;
	return 0;
}

/* Is a container usable here? One is opened and checked, then closed. */
static int vf_probe(struct ioasid_ctx *ctx)
{
	char path[PATH_MAX + 8];
	int fd, err;

	snprintf(path, sizeof(path), "%s/vfio", vf_of(ctx)->dev_dir);
	err = open_container(ctx, &fd);
	if (!err) {
		err = check_container(ctx, fd, path);
		close(fd);
	}
	if (err) {
		ioasid_free(ctx->be);
		ctx->be = NULL;
	}
	return err;
}

static int vfio_open(struct ioasid_ctx *ctx, const char *arg)
{
	int err;

	(void)arg; /* the core refuses an argument */
	err = vf_setup(ctx);
	return err ? err : vf_probe(ctx);
}

/* The test opener's open: the seams are in place before the first ioctl. */
static int vfio_open_test(struct ioasid_ctx *ctx, const void *data)
{
	const struct vfio_test_kernel *tk = data;
	struct vf_ctx *s;
	int err;

	err = vf_setup(ctx);
	if (err)
		return err;
	s = vf_of(ctx);
	s->ioctl = tk->ioctl ? tk->ioctl : ku_sys_ioctl;
	s->ioctl_data = tk->ioctl_data;
	if (tk->dev_dir)
		snprintf(s->dev_dir, sizeof(s->dev_dir), "%s", tk->dev_dir);
	if (tk->sysfs)
		snprintf(s->sysfs, sizeof(s->sysfs), "%s", tk->sysfs);
	return vf_probe(ctx);
}

int vfio_ctx_open_test(const struct vfio_test_kernel *tk, struct ioasid_ctx **ret_ctx)
{
	if (!tk || !ret_ctx)
		return -EINVAL;
	return ctx_open_with(&ioasid_vfio_backend, "vfio", "a test's kernel", NULL, vfio_open_test,
			     tk, ret_ctx);
}

static int vfio_open_fd(struct ioasid_ctx *ctx, int fd, bool own)
{
	char what[32];
	int err;

	err = vf_setup(ctx);
	if (err)
		return err;
	snprintf(what, sizeof(what), "fd %d", fd);
	err = check_container(ctx, fd, what);
	if (err) {
		ioasid_free(ctx->be);
		ctx->be = NULL;
		return err;
	}
	vf_of(ctx)->spare_fd = fd;
	vf_of(ctx)->spare_own = own;
	return 0;
}

static void vfio_close(struct ioasid_ctx *ctx)
{
	struct vf_ctx *s = vf_of(ctx);

	if (!s)
		return;
	if (s->spare_fd >= 0 && s->spare_own)
		close(s->spare_fd);
	ioasid_free(s);
	ctx->be = NULL;
}

/* ---- address spaces ---- */

static int vfio_ioas_alloc(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas)
{
	struct vf_ctx *s = vf_of(ctx);
	struct vf_ioas *v = ioasid_calloc(1, sizeof(*v));
	int err;

	if (!v)
		return ioasid_err(ctx, -ENOMEM, "out of memory for an IOAS");
	if (s->spare_fd >= 0) {
		/* the caller's container serves the first IOAS */
		v->fd = s->spare_fd;
		v->own = s->spare_own;
		s->spare_fd = -1;
	} else {
		err = open_container(ctx, &v->fd);
		if (err) {
			ioasid_free(v);
			return err;
		}
		v->own = true;
	}
	ioas->be = v;
	return 0;
}

static int vfio_ioas_destroy(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas)
{
	struct vf_ioas *v = ioas->be;

	if (!v)
		return 0;
	if (v->own)
		close(v->fd);
	ioasid_free(v);
	ioas->be = NULL;
	return 0;
}

static int kmap(struct ioasid_ctx *ctx, struct vf_ioas *v, const struct iova_area *a)
{
	struct ku_vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.vaddr = a->uva,
		.iova = a->iova,
		.size = a->last - a->iova + 1,
	};

	if (a->cookie & IOASID_MAP_READ)
		m.flags |= KU_VFIO_DMA_MAP_FLAG_READ;
	if (a->cookie & IOASID_MAP_WRITE)
		m.flags |= KU_VFIO_DMA_MAP_FLAG_WRITE;
	return kioctl(ctx, v->fd, KU_VFIO_IOMMU_MAP_DMA, &m);
}

static int kunmap(struct ioasid_ctx *ctx, struct vf_ioas *v, uint64_t iova, uint64_t size)
{
	struct ku_vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u),
		.iova = iova,
		.size = size,
	};

	return kioctl(ctx, v->fd, KU_VFIO_IOMMU_UNMAP_DMA, &u);
}

static int vfio_area_map(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
			 const struct iova_area *a)
{
	struct vf_ioas *v = ioas->be;
	int err;

	if (!v->live)
		return 0; /* replayed when a device attaches */
	err = kmap(ctx, v, a);
	if (err)
		return ioasid_err(ctx, err,
				  "VFIO_IOMMU_MAP_DMA of va 0x%llx at [0x%llx, 0x%llx] in IOAS %u: the kernel says %s",
				  X(a->uva), X(a->iova), X(a->last), ioas->obj.id, strerror(-err));
	return 0;
}

static int vfio_area_unmap(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
			   const struct iova_area *a)
{
	struct vf_ioas *v = ioas->be;
	int err;

	if (!v->live)
		return 0;
	err = kunmap(ctx, v, a->iova, a->last - a->iova + 1);
	if (err)
		return ioasid_err(ctx, err,
				  "VFIO_IOMMU_UNMAP_DMA of [0x%llx, 0x%llx] in IOAS %u: the kernel says %s; the mapping stays",
				  X(a->iova), X(a->last), ioas->obj.id, strerror(-err));
	return 0;
}

static int vfio_ioas_set_option(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
				enum ioasid_ioas_option opt, uint64_t val)
{
	if (opt == IOASID_IOAS_OPT_HUGE_PAGES && val == 1)
		return 0;
	return ioasid_err(ctx, -EOPNOTSUPP,
			  "VFIO type-1 always maps with the largest pages it can: huge_pages=%llu is not available (IOAS %u)",
			  X(val), ioas->obj.id);
}

/* ---- devices ---- */

static int group_status(struct ioasid_ctx *ctx, int fd, uint32_t *flags)
{
	struct ku_vfio_group_status st = { .argsz = sizeof(st) };
	int err = kioctl(ctx, fd, KU_VFIO_GROUP_GET_STATUS, &st);

	if (!err)
		*flags = st.flags;
	return err;
}

/*
 * Take the group out of its container (the device fd is closed). With no
 * device open the kernel has no reason of state to refuse, so a refusal
 * is a passing one and is tried once more. A lasting one is logged,
 * keeping the message of the error being handled; the caller decides
 * what it means.
 */
static int unset_container(struct ioasid_ctx *ctx, struct vf_dev *d)
{
	int err = kioctl(ctx, d->group_fd, KU_VFIO_GROUP_UNSET_CONTAINER, NULL);

	if (err)
		err = kioctl(ctx, d->group_fd, KU_VFIO_GROUP_UNSET_CONTAINER, NULL);
	if (err)
		ioasid_log(ctx, IOASID_LOG_ERR, "VFIO_GROUP_UNSET_CONTAINER of group %d (%s): %s",
			   d->group, d->bdf, strerror(-err));
	return err;
}

/* Put the group into container @cfd and make sure type-1v2 is set there. */
static int join_container(struct ioasid_ctx *ctx, struct vf_dev *d, int cfd, bool set_iommu)
{
	int32_t c = cfd;
	int err;

	err = kioctl(ctx, d->group_fd, KU_VFIO_GROUP_SET_CONTAINER, &c);
	if (err)
		return ioasid_err(ctx, err, "VFIO_GROUP_SET_CONTAINER of group %d (%s): %s", d->group,
				  d->bdf, strerror(-err));
	if (set_iommu) {
		err = kioctl_int(ctx, cfd, KU_VFIO_SET_IOMMU, KU_VFIO_TYPE1v2_IOMMU);
		if (err) {
			ioasid_err(ctx, err, "VFIO_SET_IOMMU(type-1v2) for group %d (%s): %s",
				   d->group, d->bdf, strerror(-err));
			unset_container(ctx, d);
			return err;
		}
	}
	return 0;
}

/*
 * VFIO_IOMMU_GET_INFO with its capability chain (two calls when the caps
 * do not fit). Returns the buffer (ioasid_malloc) and its filled length.
 */
static int iommu_info(struct ioasid_ctx *ctx, int cfd, uint8_t **ret_buf, size_t *ret_len)
{
	struct ku_vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	uint8_t *buf;
	size_t len;
	int err;

	err = kioctl(ctx, cfd, KU_VFIO_IOMMU_GET_INFO, &info);
	if (err)
		return ioasid_err(ctx, err, "VFIO_IOMMU_GET_INFO: %s", strerror(-err));
	len = IOASID_MAX((size_t)info.argsz, sizeof(info));
	if (len > (1u << 20))
		return ioasid_err(ctx, -EINVAL, "VFIO_IOMMU_GET_INFO asks for %u bytes", info.argsz);
	buf = ioasid_calloc(1, len);
	if (!buf)
		return ioasid_err(ctx, -ENOMEM, "out of memory for %zu bytes of IOMMU info", len);
	if (len == sizeof(info)) {
		memcpy(buf, &info, sizeof(info));
	} else {
		memcpy(buf, &info, sizeof(info));
		((struct ku_vfio_iommu_type1_info *)(void *)buf)->argsz = (uint32_t)len;
		err = kioctl(ctx, cfd, KU_VFIO_IOMMU_GET_INFO, buf);
		if (err) {
			ioasid_free(buf);
			return ioasid_err(ctx, err, "VFIO_IOMMU_GET_INFO (%zu bytes): %s", len,
					  strerror(-err));
		}
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

/*
 * Measure the device in a scratch container: VFIO_IOMMU_GET_INFO, parsed
 * into @vi (its ranges the caller frees), and whether the IOMMU enforces
 * coherent DMA (*@ret_cc > 0).
 */
static int measure(struct ioasid_ctx *ctx, struct ioasid_dev *dev, struct vf_dev *d,
		   struct vf_info *vi, int *ret_cc)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int cfd, err;

	err = open_container(ctx, &cfd);
	if (err)
		return err;
	err = join_container(ctx, d, cfd, true);
	if (err) {
		close(cfd);
		return err;
	}
	err = iommu_info(ctx, cfd, &buf, &len);
	*ret_cc = kioctl_int(ctx, cfd, KU_VFIO_CHECK_EXTENSION, KU_VFIO_DMA_CC_IOMMU);
	if (!err) {
		/* a group left in the scratch container: the bind fails, closing the group takes it out */
		err = unset_container(ctx, d);
		if (err)
			ioasid_err(ctx, err,
				   "taking group %d (%s) out of its measuring container: VFIO_GROUP_UNSET_CONTAINER says %s",
				   d->group, d->bdf, strerror(-err));
	} else {
		unset_container(ctx, d);
	}
	close(cfd);
	if (err) {
		ioasid_free(buf);
		return err;
	}
	err = vfio_parse_iommu_info(ctx, buf, len, vi);
	ioasid_free(buf);
	if (err)
		return err;
	if (!vi->pgsizes) {
		ioasid_free(vi->ranges);
		return ioasid_err(ctx, -EINVAL, "VFIO_IOMMU_GET_INFO for %s reports no page sizes",
				  dev->name);
	}
	return 0;
}

/* Measure the device and describe it. */
static int vf_describe(struct ioasid_ctx *ctx, struct ioasid_dev *dev, struct vf_dev *d,
		       const struct ku_sysdev *sd)
{
	struct ku_dev_facts f;
	struct vf_info vi;
	int err, cc;

	err = measure(ctx, dev, d, &vi, &cc);
	if (err)
		return err;
	memset(&f, 0, sizeof(f));
	f.pgsize_bitmap = vi.pgsizes;
	f.probed = vi.has_ranges;
	f.alignment = vi.pgsizes & (0 - vi.pgsizes);
	f.ranges = vi.ranges;
	f.nr_ranges = vi.nr_ranges;
	ku_facts_from_sysdev(&f, sd);
	f.coherent = cc > 0;
	f.host_page_size = ioasid_page_size();
	err = ku_dev_describe(ctx, dev, &f);
	if (!err && vi.has_dma_avail)
		ioasid_log(ctx, IOASID_LOG_INFO, "vfio: %s: %u more DMA mappings allowed%s", dev->name,
			   vi.dma_avail, vi.migration ? ", container dirty logging available" : "");
	ioasid_free(vi.ranges);
	return err;
}

/*
 * Open the group of @d (/dev/vfio/N) and check that it can serve: viable
 * (every device in it bound to vfio-pci or to no driver) and in no
 * container yet. On failure the group is closed again.
 */
static int open_group(struct ioasid_ctx *ctx, struct vf_dev *d, const char *name)
{
	uint32_t flags = 0;
	char path[PATH_MAX + 16];
	int err;

	snprintf(path, sizeof(path), "%s/%d", vf_of(ctx)->dev_dir, d->group);
	d->group_fd = open(path, O_RDWR | O_CLOEXEC);
	if (d->group_fd < 0)
		return ioasid_err(ctx, errno == ENOENT ? -ENOENT : -errno,
				  "opening %s for %s: %s%s", path, name, strerror(errno),
				  errno == ENOENT ?
					  " (is it bound to vfio-pci?)" :
				  errno == EBUSY ?
					  " (in use by another process or through its cdev?)" :
					  "");
	err = group_status(ctx, d->group_fd, &flags);
	if (err)
		err = ioasid_err(ctx, err, "VFIO_GROUP_GET_STATUS of %s: %s", path, strerror(-err));
	else if (!(flags & KU_VFIO_GROUP_FLAGS_VIABLE))
		err = ioasid_err(ctx, -EBUSY,
				 "IOMMU group %d of %s is not viable: every device in it must be bound to vfio-pci or have no driver",
				 d->group, name);
	else if (flags & KU_VFIO_GROUP_FLAGS_CONTAINER_SET)
		err = ioasid_err(ctx, -EBUSY, "IOMMU group %d of %s is already in a container",
				 d->group, name);
	if (err)
		close(d->group_fd);
	return err;
}

static int vfio_dev_bind(struct ioasid_ctx *ctx, struct ioasid_dev *dev, const char *name)
{
	struct vf_ctx *s = vf_of(ctx);
	struct ku_sysdev sd;
	struct ioasid_dev *o;
	struct vf_dev *d;
	int err;

	err = ku_resolve_name(ctx, s->sysfs, name, &sd);
	if (err)
		return err;
	if (sd.group < 0) {
		err = ioasid_err(ctx, -ENODEV, "%s (%s) is not in an IOMMU group", name, sd.bdf);
		goto out;
	}
	for (o = dev_next(ctx, NULL); o; o = dev_next(ctx, o)) {
		struct vf_dev *other = o->be;

		if (other && other->group == sd.group) {
			err = ioasid_err(ctx, -EBUSY,
					 "IOMMU group %d of %s is already open for %s; the vfio backend binds one device per group",
					 sd.group, name, o->name);
			goto out;
		}
	}
	d = ioasid_calloc(1, sizeof(*d));
	if (!d) {
		err = ioasid_err(ctx, -ENOMEM, "out of memory for device %s", name);
		goto out;
	}
	d->group = sd.group;
	d->dev_fd = -1;
	snprintf(d->bdf, sizeof(d->bdf), "%s", sd.bdf);
	err = open_group(ctx, d, name);
	if (!err) {
		err = vf_describe(ctx, dev, d, &sd);
		if (err)
			close(d->group_fd);
	}
	if (err) {
		ioasid_free(d);
		goto out;
	}
	dev->be = d;
out:
	ku_sysdev_free(&sd);
	return err;
}

static void vfio_dev_unbind(struct ioasid_ctx *ctx, struct ioasid_dev *dev)
{
	struct vf_dev *d = dev->be;

	if (!d)
		return;
	if (d->dev_fd >= 0)
		close(d->dev_fd);
	/* closing the group takes it out of its container as well */
	if (d->on)
		unset_container(ctx, d);
	close(d->group_fd);
	ioasid_free(d);
	dev->be = NULL;
}

static int vfio_dev_list(struct ioasid_ctx *ctx, struct ioasid_dev_entry *out, uint32_t cap,
			 uint32_t *total)
{
	uint32_t n = cap, i;
	int err;

	err = host_scan_root(vf_of(ctx)->sysfs, out, &n);
	if (err && err != -EMSGSIZE)
		return ioasid_err(ctx, err, "scanning %s for devices: %s", vf_of(ctx)->sysfs,
				  ioasid_last_errmsg());
	/* devices are bound here by PCI address; the group is their handle */
	for (i = 0; i < IOASID_MIN(n, cap); i++)
		snprintf(out[i].name, sizeof(out[i].name), "%s", out[i].bdf);
	*total = n;
	return 0;
}

/*
 * The module's dma_entry_limit (kernel-uapi.md §2.4): VFIO_SET_IOMMU gives
 * the new type-1 IOMMU a budget of that many mappings, read from the
 * parameter then. 0 when sysfs does not say.
 */
static uint64_t dma_entry_limit(struct ioasid_ctx *ctx)
{
	char path[PATH_MAX + 64], buf[32];
	unsigned long long v;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/module/vfio_iommu_type1/parameters/dma_entry_limit",
		 vf_of(ctx)->sysfs);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return sscanf(buf, "%llu", &v) == 1 ? v : 0;
}

/*
 * Replay every area of @ioas into its container, which has just got its
 * IOMMU. On failure the caller takes the group out, and with it the
 * IOMMU and every mapping made so far.
 */
static int replay(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas)
{
	struct vf_ioas *v = ioas->be;
	struct iova_area *a;
	int err;

	for (a = iova_tree_first_in(ioas->areas, 0, UINT64_MAX); a;
	     a = iova_tree_next(ioas->areas, a)) {
		err = kmap(ctx, v, a);
		if (err)
			return ioasid_err(ctx, err,
					  "replaying [0x%llx, 0x%llx] of IOAS %u into its VFIO container: %s%s",
					  X(a->iova), X(a->last), ioas->obj.id, strerror(-err),
					  err == -ENOSPC ? " (vfio_iommu_type1 dma_entry_limit)" :
							   "");
	}
	return 0;
}

/*
 * Bring the group into the container of @ioas, for the automatic domain
 * @h: join, the type-1 IOMMU and the replay of the IOAS's areas when no
 * group is there yet, then the device fd. All or nothing: on failure the
 * group has left again, and a container it was the first in has dropped
 * the IOMMU with what was replayed.
 */
static int enter(struct ioasid_ctx *ctx, struct vf_dev *d, struct ioasid_ioas *ioas,
		 struct ioasid_hwpt *h)
{
	struct vf_ioas *v = ioas->be;
	bool first = !v->live;
	int fd, err;

	err = join_container(ctx, d, v->fd, first);
	if (err)
		return err;
	if (first) {
		err = replay(ctx, ioas);
		if (err)
			goto out_leave;
	}
	fd = kioctl(ctx, d->group_fd, KU_VFIO_GROUP_GET_DEVICE_FD, d->bdf);
	if (fd < 0) {
		err = ioasid_err(ctx, fd, "VFIO_GROUP_GET_DEVICE_FD(%s) in group %d: %s", d->bdf,
				 d->group, strerror(-fd));
		goto out_leave;
	}
	v->live = true;
	v->nr_groups++;
	d->dev_fd = fd;
	d->on = ioas;
	d->hwpt = h;
	return 0;
out_leave:
	if (unset_container(ctx, d))
		ioasid_log(ctx, IOASID_LOG_ERR,
			   "group %d (%s) stays in the container of IOAS %u, which the library does not know it is in",
			   d->group, d->bdf, ioas->obj.id);
	return err;
}

/*
 * Take the group out of its container: the device fd closes first (a
 * group with an open device cannot leave). When the kernel refuses, the
 * device is opened again and the attachment stays as it was. The last
 * group out takes the container's IOMMU and mappings with it.
 */
static int leave(struct ioasid_ctx *ctx, struct vf_dev *d)
{
	struct vf_ioas *v = d->on->be;
	int err, fd;

	if (d->dev_fd >= 0) {
		close(d->dev_fd);
		d->dev_fd = -1;
	}
	err = kioctl(ctx, d->group_fd, KU_VFIO_GROUP_UNSET_CONTAINER, NULL);
	if (err) {
		ioasid_err(ctx, err,
			   "VFIO_GROUP_UNSET_CONTAINER of group %d (%s) from IOAS %u: the kernel says %s; it stays attached",
			   d->group, d->bdf, d->on->obj.id, strerror(-err));
		fd = kioctl(ctx, d->group_fd, KU_VFIO_GROUP_GET_DEVICE_FD, d->bdf);
		if (fd >= 0)
			d->dev_fd = fd;
		else
			ioasid_log(ctx, IOASID_LOG_ERR,
				   "VFIO_GROUP_GET_DEVICE_FD(%s) after the refused leave: %s; %s has no device fd",
				   d->bdf, strerror(-fd), d->bdf);
		return err;
	}
	if (!--v->nr_groups)
		v->live = false; /* the kernel dropped the IOMMU and its mappings */
	d->on = NULL;
	d->hwpt = NULL;
	return 0;
}

/* A type-1 IOMMU made for @ioas would refuse its replay (dma_entry_limit). */
static int check_budget(struct ioasid_ctx *ctx, struct vf_dev *d, struct ioasid_ioas *ioas)
{
	struct vf_ioas *v = ioas->be;
	uint64_t limit, n;

	if (v->live)
		return 0;
	limit = dma_entry_limit(ctx);
	n = iova_tree_count(ioas->areas);
	if (limit && n > limit)
		return ioasid_err(ctx, -ENOSPC,
				  "attaching group %d (%s) to IOAS %u would replay %llu mappings into a type-1 IOMMU that takes %llu (vfio_iommu_type1 dma_entry_limit)",
				  d->group, d->bdf, ioas->obj.id, X(n), X(limit));
	return 0;
}

/*
 * A replace: type-1 has no atomic one, so the group leaves its container
 * and enters the new one. When entering fails, the group goes back where
 * it was, with its old IOMMU and mappings rebuilt if it had been the
 * last group there; the error is the first failure's.
 */
static int switch_container(struct ioasid_ctx *ctx, struct vf_dev *d, struct ioasid_ioas *ioas,
			    struct ioasid_hwpt *h)
{
	struct ioasid_ioas *old = d->on;
	struct ioasid_hwpt *oldh = d->hwpt;
	char msg[IOASID_ERRMSG_MAX], back[IOASID_ERRMSG_MAX];
	int err;

	err = leave(ctx, d);
	if (err)
		return err;
	err = enter(ctx, d, ioas, h);
	if (!err)
		return 0;
	snprintf(msg, sizeof(msg), "%s", ioasid_ctx_errmsg(ctx));
	if (!enter(ctx, d, old, oldh))
		return ioasid_err(ctx, err, "%s", msg);
	/* the kernel cannot take it back: the core drops the old record (dev_replace_lost) */
	snprintf(back, sizeof(back), "%s", ioasid_ctx_errmsg(ctx));
	return ioasid_err(ctx, err, "%s; going back to IOAS %u failed too (%s): %s is detached",
			  msg, old->obj.id, back, d->bdf);
}

static int vfio_dev_attach(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pasid,
			   struct ioasid_hwpt *h)
{
	struct vf_dev *d = dev->be;
	int err;

	if (pasid != IOASID_PASID_NONE)
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "VFIO type-1 has no PASIDs (attaching %s PASID %u); use the iommufd backend",
				  dev->name, pasid);
	if (!h->autodom)
		return ioasid_err(ctx, -EOPNOTSUPP, "VFIO type-1 has no HWPTs (HWPT %u)", h->obj.id);
	err = check_budget(ctx, d, h->ioas);
	if (err)
		return err;
	return d->on ? switch_container(ctx, d, h->ioas, h) : enter(ctx, d, h->ioas, h);
}

static int vfio_dev_detach(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pasid,
			   struct ioasid_hwpt *h)
{
	struct vf_dev *d = dev->be;

	/* replaced meanwhile: the new attachment stays */
	if (!d->on || d->hwpt != h)
		return 0;
	return leave(ctx, d);
}

/* A failed replace that could not go back has left the group in no container. */
static bool vfio_dev_replace_lost(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pasid)
{
	struct vf_dev *d = dev->be;

	(void)ctx;
	(void)pasid;
	return !d->on;
}

/* The core's automatic domain needs no kernel object here. */
static int vfio_hwpt_alloc(struct ioasid_ctx *ctx, struct ioasid_hwpt *h, struct ioasid_dev *dev)
{
	if (!h->autodom)
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "VFIO type-1 has no hardware page tables (explicit, nested, dirty-tracking); use the iommufd backend");
	return 0;
}

static int vfio_dev_fd(struct ioasid_ctx *ctx, struct ioasid_dev *dev, int *ret_fd)
{
	struct vf_dev *d = dev->be;

	if (d->dev_fd < 0)
		return ioasid_err(ctx, -ENOENT,
				  "%s is not attached: on VFIO type-1 the device fd exists while the device is attached",
				  dev->name);
	*ret_fd = d->dev_fd;
	return 0;
}

static int vfio_obj_kernel_id(struct ioasid_ctx *ctx, struct ioasid_obj *obj, uint32_t *ret)
{
	switch (obj->kind) {
	case IOASID_OBJ_IOAS:
		*ret = (uint32_t)((struct vf_ioas *)((struct ioasid_ioas *)obj)->be)->fd;
		return 0;
	case IOASID_OBJ_DEV:
		*ret = (uint32_t)((struct vf_dev *)((struct ioasid_dev *)obj)->be)->group;
		return 0;
	default:
		return ioasid_err(ctx, -EOPNOTSUPP, "a %s has no VFIO type-1 counterpart",
				  obj_kind_name(obj->kind));
	}
}

/* Type-1 charges every MAP_DMA to the process's locked_vm: RLIMIT mode 1, fixed. */
static int vfio_ctx_option(struct ioasid_ctx *ctx, enum ioasid_ctx_option opt, bool set,
			   uint64_t *val)
{
	if (set || opt != IOASID_CTX_OPT_RLIMIT_MODE)
		return set ? ioasid_err(ctx, -EOPNOTSUPP,
					"VFIO type-1 has no context options: it always charges the process (RLIMIT mode %d)",
					IOASID_RLIMIT_MODE_MM) :
			     -EOPNOTSUPP;
	*val = IOASID_RLIMIT_MODE_MM;
	return 0;
}

const struct ioasid_backend_ops ioasid_vfio_backend = {
	.name = "vfio",
	.kind = IOASID_BACKEND_VFIO,
	.viommu_missing =
		"VFIO type-1 has no vIOMMU objects (vIOMMU, vDEVICE, vEVENTQ, HW queue are iommufd's, Linux 6.13+)",
	.open = vfio_open,
	.open_fd = vfio_open_fd,
	.close = vfio_close,
	.kernel_pins = true,
	.ctx_option = vfio_ctx_option,
	.ioas_alloc = vfio_ioas_alloc,
	.ioas_destroy = vfio_ioas_destroy,
	.area_map = vfio_area_map,
	.area_unmap = vfio_area_unmap,
	.ioas_set_option = vfio_ioas_set_option,
	.dev_bind = vfio_dev_bind,
	.dev_unbind = vfio_dev_unbind,
	.dev_list = vfio_dev_list,
	.hwpt_alloc = vfio_hwpt_alloc,
	.dev_attach = vfio_dev_attach,
	.dev_detach = vfio_dev_detach,
	.dev_replace_lost = vfio_dev_replace_lost,
	.dev_fd = vfio_dev_fd,
	.obj_kernel_id = vfio_obj_kernel_id,
};
