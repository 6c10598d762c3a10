/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ioasid_host_devices(): which PCI devices of this host could be assigned,
 * read from sysfs without opening any device.
 *
 * A device is a candidate when it sits in an IOMMU group (its iommu_group
 * link). For each one we report its driver, its group, the kind of IOMMU
 * hardware in front of it (from its iommu link, which names the IOMMU
 * instance: dmar*, ivhd*, smmu3.*, or a virtio device's IOMMU) and, when
 * a VFIO driver has created a device cdev for it, that cdev's path, which
 * is then the name to bind it by.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host-scan.h"
#include "core/private.h"

/* Longest relative path we build: "<bdf>/iommu/device/driver". */
#define REL_MAX 128

static const char *base_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static bool all_digits(const char *s, size_t max)
{
	size_t i;

	if (!*s)
		return false;
	for (i = 0; s[i]; i++)
		if (s[i] < '0' || s[i] > '9' || i >= max)
			return false;
	return true;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* Copy @src into a fixed field; sysfs names that do not fit are cut. */
static void set_field(char *dst, size_t size, const char *src)
{
	size_t n;

	/* a plain loop: gcc 12 misreads strnlen() bounds on short literals */
	for (n = 0; n + 1 < size && src[n]; n++)
		dst[n] = src[n];
	dst[n] = '\0';
}

/*
 * readlinkat() of "@bdf/@what" below @dfd, NUL-terminated.
 * Return: the length, or a negative errno (-ENAMETOOLONG if cut).
 */
static int link_at(int dfd, const char *bdf, const char *what, char *buf,
		   size_t size)
{
	char rel[REL_MAX];
	ssize_t n;

	if ((size_t)snprintf(rel, sizeof(rel), "%s/%s", bdf, what) >= sizeof(rel))
		return -ENAMETOOLONG;
	n = readlinkat(dfd, rel, buf, size);
	if (n < 0)
		return -errno;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return (int)n;
}

/* Whether the path holds a component "virtioN" right before "/iommu/". */
static bool virtio_parent(const char *target)
{
	const char *s = target, *hit;

	while ((hit = strstr(s, "/iommu/")) != NULL) {
		const char *c = hit;

		while (c > target && c[-1] != '/')
			c--;
		if ((size_t)(hit - c) > strlen("virtio") && has_prefix(c, "virtio")) {
			const char *d = c + strlen("virtio");

			while (d < hit && *d >= '0' && *d <= '9')
				d++;
			if (d == hit)
				return true;
		}
		s = hit + 1;
	}
	return false;
}

/*
 * The IOMMU hardware in front of @bdf. The iommu link points to the IOMMU
 * instance's class device; its name tells Intel and AMD apart, and SMMUv3
 * names its instances "smmu3.<base address>" under an arm-smmu-v3
 * platform device. virtio-iommu names its instance after the transport
 * (e.g. the PCI address of the virtio-pci function), so it is recognized
 * by its parent: a virtioN device driven by virtio_iommu.
 */
static const char *iommu_type(int dfd, const char *bdf)
{
	char target[PATH_MAX], drv[PATH_MAX];
	const char *name;

	if (link_at(dfd, bdf, "iommu", target, sizeof(target)) < 0)
		return "unknown"; /* e.g. a vfio-noiommu group */
	name = base_of(target);
	if (has_prefix(name, "dmar"))
		return "vtd";
	if (has_prefix(name, "ivhd"))
		return "amd";
	if (has_prefix(name, "smmu3."))
		return "smmuv3";

	if (link_at(dfd, bdf, "iommu/device/driver", drv, sizeof(drv)) >= 0) {
		if (!strcmp(base_of(drv), "virtio_iommu"))
			return "virtio-iommu";
		if (!strcmp(base_of(drv), "arm-smmu-v3"))
			return "smmuv3";
	}
	if (strstr(target, "/arm-smmu-v3"))
		return "smmuv3";
	if (virtio_parent(target))
		return "virtio-iommu";
	return "unknown";
}

/*
 * The VFIO device cdev of @bdf, "/dev/vfio/devices/vfioN", if a VFIO
 * driver (vfio-pci or a variant driver) made one. Return: true if found.
 */
static bool vfio_cdev(int dfd, const char *bdf, char *out, size_t size)
{
	char rel[REL_MAX];
	struct dirent *de;
	bool found = false;
	DIR *d;
	int fd;

	if ((size_t)snprintf(rel, sizeof(rel), "%s/vfio-dev", bdf) >= sizeof(rel))
		return false;
	fd = openat(dfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return false;
	}
	while ((de = readdir(d)) != NULL) {
		if (!has_prefix(de->d_name, "vfio") || !all_digits(de->d_name + 4, 10))
			continue;
		if ((size_t)snprintf(out, size, "/dev/vfio/devices/%s", de->d_name) < size) {
			found = true;
			break;
		}
	}
	closedir(d);
	return found;
}

static int cmp_bdf(const void *a, const void *b)
{
	const struct ioasid_dev_entry *x = a, *y = b;

	return strcmp(x->bdf, y->bdf);
}

int host_scan_root(const char *sysfs_root, struct ioasid_dev_entry *out,
		   uint32_t *num)
{
	struct ioasid_dev_entry *ents = NULL, *tmp;
	size_t nr = 0, cap = 0, i;
	char path[PATH_MAX], grp[PATH_MAX], drv[PATH_MAX];
	struct dirent *de;
	uint32_t want;
	DIR *d;
	int dfd, r;

	if (!num)
		return ioasid_err(NULL, -EINVAL, "host devices: NULL count");
	if (!out && *num)
		return ioasid_err(NULL, -EINVAL, "host devices: NULL array of %u entries", *num);
	if (!sysfs_root)
		return ioasid_err(NULL, -EINVAL, "host devices: NULL sysfs root");
	want = *num;

	if ((size_t)snprintf(path, sizeof(path), "%s/bus/pci/devices", sysfs_root) >=
	    sizeof(path))
		return ioasid_err(NULL, -ENAMETOOLONG, "host devices: sysfs root '%.64s...' too long",
				  sysfs_root);
	d = opendir(path);
	if (!d) {
		/* no PCI bus at all (or no sysfs): nothing to assign */
		if (errno == ENOENT || errno == ENOTDIR) {
			*num = 0;
			return 0;
		}
		return ioasid_err(NULL, -errno, "host devices: opening %s: %s", path,
				  strerror(errno));
	}
	dfd = dirfd(d);

	for (;;) {
		struct ioasid_dev_entry *e;
		const char *g;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno) {
				r = ioasid_err(NULL, -errno, "host devices: reading %s: %s",
					       path, strerror(errno));
				goto out;
			}
			break;
		}
		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(e->bdf))
			continue;
		/* only devices in an IOMMU group can be assigned */
		if (link_at(dfd, de->d_name, "iommu_group", grp, sizeof(grp)) < 0)
			continue;
		g = base_of(grp);
		if (!all_digits(g, 10))
			continue;

		if (nr == cap) {
			size_t ncap = cap ? cap * 2 : 16;

			tmp = ioasid_realloc(ents, ncap * sizeof(*ents));
			if (!tmp) {
				r = ioasid_err(NULL, -ENOMEM,
					       "host devices: out of memory for %zu entries", ncap);
				goto out;
			}
			ents = tmp;
			cap = ncap;
		}
		e = &ents[nr++];
		memset(e, 0, sizeof(*e));
		set_field(e->bdf, sizeof(e->bdf), de->d_name);
		set_field(e->group, sizeof(e->group), g);
		if (link_at(dfd, de->d_name, "driver", drv, sizeof(drv)) >= 0)
			set_field(e->driver, sizeof(e->driver), base_of(drv));
		set_field(e->iommu, sizeof(e->iommu), iommu_type(dfd, de->d_name));
		if (!vfio_cdev(dfd, de->d_name, e->name, sizeof(e->name)))
			set_field(e->name, sizeof(e->name), e->bdf);
	}

	/* readdir() order is the filesystem's: sort for a stable answer */
	if (nr > 1)
		qsort(ents, nr, sizeof(*ents), cmp_bdf);
	for (i = 0; i < nr && i < want; i++)
		out[i] = ents[i];
	*num = (uint32_t)nr;
	r = 0;
	if (nr > want)
		r = ioasid_err(NULL, -EMSGSIZE, "host devices: %zu devices, room for %u",
			       nr, want);
out:
	closedir(d);
	ioasid_free(ents);
	return r;
}

IOASID_EXPORT int ioasid_host_devices(struct ioasid_dev_entry *out,
				      uint32_t *inout_num)
{
	return host_scan_root("/sys", out, inout_num);
}
