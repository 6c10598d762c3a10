/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fake kernel's object table, IOMMU_DESTROY and IOMMU_OPTION, the
 * ioctl entry with failure injection, and the sysfs tree the library
 * describes the fake devices from (fk.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "backend/iommufd/iommufd-private.h"
#include "fk.h"

/* ---- objects ---- */

/* The kernel hands out the lowest free id (an allocating xarray from 1). */
uint32_t fk_new(struct fk *k, enum fk_kind kind)
{
	uint32_t id;

	for (id = 1; id < FK_MAX_OBJ; id++) {
		if (k->obj[id].kind == FK_FREE) {
			memset(&k->obj[id], 0, sizeof(k->obj[id]));
			k->obj[id].kind = kind;
			k->obj[id].qfd = -1;
			return id;
		}
	}
	return 0;
}

struct fk_obj *fk_get(struct fk *k, uint32_t id, enum fk_kind kind)
{
	if (!id || id >= FK_MAX_OBJ || k->obj[id].kind == FK_FREE)
		return NULL;
	return k->obj[id].kind == kind ? &k->obj[id] : NULL;
}

void fk_free(struct fk *k, uint32_t id)
{
	memset(&k->obj[id], 0, sizeof(k->obj[id]));
}

struct fk_obj *fk_dev_of_fd(struct fk *k, int fd, uint32_t *ret_id)
{
	int i;

	for (i = 0; i < FK_MAX_DEVS; i++) {
		if (k->devs[i].fd == fd && fd >= 0 && k->devs[i].devid) {
			if (ret_id)
				*ret_id = k->devs[i].devid;
			return &k->obj[k->devs[i].devid];
		}
	}
	return NULL;
}

/* IOMMU_DESTROY: EBUSY while anything holds the object (kernel-uapi.md §1.3). */
static int fk_destroy(struct fk *k, struct ku_iommu_destroy *d)
{
	struct fk_obj *o = d->id < FK_MAX_OBJ ? &k->obj[d->id] : NULL;

	if (!o || !d->id || o->kind == FK_FREE)
		return -ENOENT;
	switch (o->kind) {
	case FK_IOAS:
		if (fk_ioas_held(k, d->id))
			return -EBUSY;
		break;
	case FK_HWPT_PAGING:
	case FK_HWPT_NESTED:
		if (o->users)
			return -EBUSY;
		if (o->kind == FK_HWPT_NESTED)
			k->obj[o->parent].users--;
		if (o->fault)
			k->obj[o->fault].users--;
		break;
	case FK_DEVICE:
		return -EBUSY; /* VFIO holds it until the cdev is closed */
	case FK_FAULT:
		if (o->users || fk_fault_fd_open(o))
			return -EBUSY;
		break;
	default:
		return -ENOENT;
	}
	fk_free(k, d->id);
	return 0;
}

/* IOMMU_OPTION: the two options the kernel has; HUGE_PAGES per IOAS. */
static int fk_option(struct fk *k, struct ku_iommu_option *o)
{
	struct fk_obj *ioas;

	if (o->__reserved || o->op > KU_IOMMU_OPTION_OP_GET)
		return -EOPNOTSUPP;
	if (o->option_id == KU_IOMMU_OPTION_RLIMIT_MODE) {
		if (o->object_id)
			return -EOPNOTSUPP;
		if (o->op == KU_IOMMU_OPTION_OP_GET)
			o->val64 = 0;
		return o->op == KU_IOMMU_OPTION_OP_GET ? 0 : -EPERM;
	}
	if (o->option_id != KU_IOMMU_OPTION_HUGE_PAGES)
		return -EOPNOTSUPP;
	ioas = fk_get(k, o->object_id, FK_IOAS);
	if (!ioas)
		return -ENOENT;
	if (o->op == KU_IOMMU_OPTION_OP_GET) {
		o->val64 = !ioas->no_huge;
		return 0;
	}
	if (o->val64 > 1)
		return -EINVAL;
	ioas->no_huge = !o->val64;
	return 0;
}

/* ---- the entry ---- */

static const struct {
	unsigned long req;
	const char *name;
	int err; /* what an injected failure answers */
} reqs[] = {
	{ KU_IOMMU_DESTROY, "DESTROY", -EBUSY },
	{ KU_IOMMU_IOAS_ALLOC, "IOAS_ALLOC", -ENOMEM },
	{ KU_IOMMU_IOAS_MAP, "IOAS_MAP", -ENOMEM },
	{ KU_IOMMU_IOAS_MAP_FILE, "IOAS_MAP_FILE", -ENOMEM },
	{ KU_IOMMU_IOAS_UNMAP, "IOAS_UNMAP", -EBUSY },
	{ KU_IOMMU_IOAS_COPY, "IOAS_COPY", -ENOMEM },
	{ KU_IOMMU_IOAS_IOVA_RANGES, "IOAS_IOVA_RANGES", -ENOMEM },
	{ KU_IOMMU_OPTION, "OPTION", -ENOMEM },
	{ KU_IOMMU_HWPT_ALLOC, "HWPT_ALLOC", -ENOMEM },
	{ KU_IOMMU_GET_HW_INFO, "GET_HW_INFO", -ENOMEM },
	{ KU_IOMMU_HWPT_SET_DIRTY_TRACKING, "HWPT_SET_DIRTY_TRACKING", -ENOMEM },
	{ KU_IOMMU_HWPT_GET_DIRTY_BITMAP, "HWPT_GET_DIRTY_BITMAP", -EFAULT },
	{ KU_IOMMU_HWPT_INVALIDATE, "HWPT_INVALIDATE", -ENOMEM },
	{ KU_IOMMU_FAULT_QUEUE_ALLOC, "FAULT_QUEUE_ALLOC", -ENOMEM },
	{ KU_VFIO_DEVICE_BIND_IOMMUFD, "BIND_IOMMUFD", -ENOMEM },
	{ KU_VFIO_DEVICE_ATTACH_IOMMUFD_PT, "ATTACH_IOMMUFD_PT", -ENOMEM },
	{ KU_VFIO_DEVICE_DETACH_IOMMUFD_PT, "DETACH_IOMMUFD_PT", -EBUSY },
};

const char *fk_req_name(unsigned long req)
{
	size_t i;

	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
		if (reqs[i].req == req)
			return reqs[i].name;
	return "?";
}

static int injected_err(unsigned long req)
{
	size_t i;

	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
		if (reqs[i].req == req)
			return reqs[i].err;
	return -EINVAL;
}

void fk_inject_reset(struct fk_inject *inj)
{
	inj->trace[0] = '\0';
	inj->failed[0] = '\0';
	inj->calls = 0;
}

bool fk_inject_hit(struct fk_inject *inj, const char *name)
{
	size_t n = strlen(inj->trace);

	inj->calls++;
	if (n + 40 < sizeof(inj->trace))
		snprintf(inj->trace + n, sizeof(inj->trace) - n, "%s%s", n ? " " : "", name);
	if (!inj->fail_at || inj->calls != inj->fail_at)
		return false;
	snprintf(inj->failed, sizeof(inj->failed), "%s", name);
	return true;
}

static int dispatch(struct fk *k, int fd, unsigned long req, void *arg)
{
	switch (req) {
	case KU_IOMMU_DESTROY:
		return fk_destroy(k, arg);
	case KU_IOMMU_IOAS_ALLOC:
		return fk_ioas_alloc(k, arg);
	case KU_IOMMU_IOAS_MAP:
		return fk_ioas_map(k, arg);
	case KU_IOMMU_IOAS_MAP_FILE:
		return fk_ioas_map_file(k, arg);
	case KU_IOMMU_IOAS_UNMAP:
		return fk_ioas_unmap(k, arg);
	case KU_IOMMU_IOAS_COPY:
		return fk_ioas_copy(k, arg);
	case KU_IOMMU_IOAS_IOVA_RANGES:
		return fk_ioas_iova_ranges(k, arg);
	case KU_IOMMU_OPTION:
		return fk_option(k, arg);
	case KU_IOMMU_HWPT_ALLOC:
		return fk_hwpt_alloc(k, arg);
	case KU_IOMMU_GET_HW_INFO:
		return fk_dev_hw_info(k, arg);
	case KU_IOMMU_HWPT_SET_DIRTY_TRACKING:
		return fk_hwpt_set_dirty(k, arg);
	case KU_IOMMU_HWPT_GET_DIRTY_BITMAP:
		return fk_hwpt_get_dirty(k, arg);
	case KU_IOMMU_HWPT_INVALIDATE:
		return fk_hwpt_invalidate(k, arg);
	case KU_IOMMU_FAULT_QUEUE_ALLOC:
		return fk_fault_alloc(k, arg);
	case KU_VFIO_DEVICE_BIND_IOMMUFD:
		return fk_dev_bind(k, fd, arg);
	case KU_VFIO_DEVICE_ATTACH_IOMMUFD_PT:
		return fk_dev_attach(k, fd, arg);
	case KU_VFIO_DEVICE_DETACH_IOMMUFD_PT:
		return fk_dev_detach(k, fd, arg);
	default:
		return -ENOTTY;
	}
}

/* The ioctl seam (iommufd_set_ioctl_hook), failure injection first. */
int fk_ioctl(void *data, int fd, unsigned long req, void *arg)
{
	struct fk *k = data;

	if (fk_inject_hit(&k->inj, fk_req_name(req)))
		return injected_err(req);
	return dispatch(k, fd, req, arg);
}

/* ---- devices the caller opens ---- */

static const char *const dev_nodes[FK_MAX_DEVS] = { "/dev/null", "/dev/zero", "/dev/full" };

int fk_open_dev(struct fk *k, int slot)
{
	struct fk_devfd *d = &k->devs[slot];
	struct stat st;

	d->fd = open(dev_nodes[slot], O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(d->fd, 0);
	ck_assert_int_eq(fstat(d->fd, &st), 0);
	d->rdev = st.st_rdev;
	d->devid = 0;
	return d->fd;
}

void fk_close_dev(struct fk *k, int slot)
{
	struct fk_devfd *d = &k->devs[slot];

	if (d->fd < 0)
		return;
	if (d->devid) {
		fk_dev_detach_all(k, d->devid);
		fk_free(k, d->devid);
		d->devid = 0;
	}
	close(d->fd);
	d->fd = -1;
}

void fk_release(struct fk *k)
{
	int i;

	for (i = 0; i < FK_MAX_DEVS; i++)
		fk_close_dev(k, i);
	for (i = 1; i < FK_MAX_OBJ; i++)
		fk_free(k, (uint32_t)i);
}

void fk_init(struct fk *k)
{
	int i;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < FK_MAX_DEVS; i++)
		k->devs[i].fd = -1;
	k->ecap = FK_VTD_ECAP;
}

/* ---- sysfs: three PCI devices whose cdevs are /dev/null, /dev/zero, /dev/full ---- */

static char root[64];

const char *fk_sysfs_root(void)
{
	return root;
}

/* A directory (@content NULL) or a file of @len bytes. */
static void put(const char *rel, const char *content, size_t len)
{
	char path[256], *s;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (s = path + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	if (!content) {
		mkdir(path, 0755);
		return;
	}
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(content, 1, len, f), len);
	fclose(f);
}

static void link_to(const char *rel, const char *target)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	ck_assert_int_eq(symlink(target, path), 0);
}

void fk_sysfs(void)
{
	static const char *const chr[FK_MAX_DEVS] = { "1:3", "1:5", "1:7" };
	char rel[192], tgt[192], text[64];
	int i;

	snprintf(root, sizeof(root), "/tmp/ioasid-fk.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	put("bus/pci/devices/x", NULL, 0);
	put("dev/char/x", NULL, 0);
	for (i = 0; i < FK_MAX_DEVS; i++) {
		snprintf(rel, sizeof(rel), "devices/pci0000:00/0000:00:0%d.0/vfio-dev/vfio%d",
			 i + 1, i);
		put(rel, NULL, 0);
		/* conventional PCI: 64 bytes of config space, no capabilities */
		memset(text, 0, sizeof(text));
		snprintf(rel, sizeof(rel), "devices/pci0000:00/0000:00:0%d.0/config", i + 1);
		put(rel, text, 64);
		snprintf(rel, sizeof(rel), "bus/pci/devices/0000:00:0%d.0", i + 1);
		snprintf(tgt, sizeof(tgt), "../../../devices/pci0000:00/0000:00:0%d.0", i + 1);
		link_to(rel, tgt);
		snprintf(rel, sizeof(rel), "dev/char/%s", chr[i]);
		snprintf(tgt, sizeof(tgt), "../../devices/pci0000:00/0000:00:0%d.0/vfio-dev/vfio%d",
			 i + 1, i);
		link_to(rel, tgt);
		/* one group each (5, 6, 7), as the vfio backend binds one device per group */
		memset(text, 0, sizeof(text));
		snprintf(text, sizeof(text), "0x%016llx 0x%016llx msi\n",
			 (unsigned long long)FK_MSI_START, (unsigned long long)FK_MSI_LAST);
		snprintf(rel, sizeof(rel), "kernel/iommu_groups/%d/reserved_regions", 5 + i);
		put(rel, text, strlen(text));
		snprintf(rel, sizeof(rel), "devices/pci0000:00/0000:00:0%d.0/iommu_group", i + 1);
		snprintf(tgt, sizeof(tgt), "../../../kernel/iommu_groups/%d", 5 + i);
		link_to(rel, tgt);
	}
}

void fk_rm_tree(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

void fk_sysfs_rm(void)
{
	fk_rm_tree(root);
}

struct ioasid_ctx *fk_ctx(struct fk *k)
{
	struct ioasid_ctx *ctx = NULL;

	iommufd_set_open_any_node(true); /* /dev/null stands in for /dev/iommu */
	ck_assert_int_eq(ioasid_ctx_open("iommufd:/dev/null", NULL, &ctx), 0);
	ck_assert_int_eq(iommufd_set_ioctl_hook(ctx, fk_ioctl, k), 0);
	ck_assert_int_eq(iommufd_set_fault_io_hook(ctx, fk_fault_io, k), 0);
	ck_assert_int_eq(iommufd_set_sysfs_root(ctx, root), 0);
	ioasid_ctx_set_pinned_limit(ctx, UINT64_MAX);
	return ctx;
}
