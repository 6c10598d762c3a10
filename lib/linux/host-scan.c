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
#include "linux/linux.h"

/* Longest relative path we build: "<bdf>/iommu/device/driver". */
#define REL_MAX 128

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
	name = ku_base_name(target);
	if (has_prefix(name, "dmar"))
		return "vtd";
	if (has_prefix(name, "ivhd"))
		return "amd";
	if (has_prefix(name, "smmu3."))
		return "smmuv3";

	if (link_at(dfd, bdf, "iommu/device/driver", drv, sizeof(drv)) >= 0) {
		if (!strcmp(ku_base_name(drv), "virtio_iommu"))
			return "virtio-iommu";
		if (!strcmp(ku_base_name(drv), "arm-smmu-v3"))
			return "smmuv3";
	}
	if (strstr(target, "/arm-smmu-v3"))
		return "smmuv3";
	if (virtio_parent(target))
		return "virtio-iommu";
	return "unknown";
}

static int cmp_bdf(const void *a, const void *b)
{
	const struct ioasid_dev_entry *x = a, *y = b;

	return strcmp(x->bdf, y->bdf);
}

/* The entries found so far. */
struct scan {
	struct ioasid_dev_entry *ents;
	size_t nr, cap;
};

/* A new, zeroed entry at the end of @s, or NULL (out of memory: the message is set). */
static struct ioasid_dev_entry *scan_add(struct scan *s)
{
	struct ioasid_dev_entry *e;

	if (s->nr == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 16;
		struct ioasid_dev_entry *tmp = ioasid_realloc(s->ents, ncap * sizeof(*tmp));

		if (!tmp) {
			ioasid_err(NULL, -ENOMEM, "host devices: out of memory for %zu entries",
				   ncap);
			return NULL;
		}
		s->ents = tmp;
		s->cap = ncap;
	}
	e = &s->ents[s->nr++];
	memset(e, 0, sizeof(*e));
	return e;
}

/* What sysfs below @dfd says of device @bdf, in IOMMU group @group. */
static void fill_entry(int dfd, const char *bdf, const char *group, struct ioasid_dev_entry *e)
{
	char drv[PATH_MAX];

	set_field(e->bdf, sizeof(e->bdf), bdf);
	set_field(e->group, sizeof(e->group), group);
	if (link_at(dfd, bdf, "driver", drv, sizeof(drv)) >= 0)
		set_field(e->driver, sizeof(e->driver), ku_base_name(drv));
	set_field(e->iommu, sizeof(e->iommu), iommu_type(dfd, bdf));
	if (!ku_vfio_cdev(dfd, bdf, e->name, sizeof(e->name)))
		set_field(e->name, sizeof(e->name), e->bdf);
}

/* Every device in directory @d (@path) that sits in an IOMMU group, into @s. */
static int scan_devices(DIR *d, const char *path, struct scan *s)
{
	char grp[PATH_MAX];
	int dfd = dirfd(d);

	for (;;) {
		struct ioasid_dev_entry *e;
		struct dirent *de;
		const char *g;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				return ioasid_err(NULL, -errno, "host devices: reading %s: %s",
						  path, strerror(errno));
			return 0;
		}
		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(e->bdf))
			continue;
		/* only devices in an IOMMU group can be assigned */
		if (link_at(dfd, de->d_name, "iommu_group", grp, sizeof(grp)) < 0)
			continue;
		g = ku_base_name(grp);
		if (!ku_all_digits(g, 10))
			continue;
		e = scan_add(s);
		if (!e)
			return -ENOMEM;
		fill_entry(dfd, de->d_name, g, e);
	}
}

int host_scan_root(const char *sysfs_root, struct ioasid_dev_entry *out,
		   uint32_t *num)
{
	struct scan s = { NULL, 0, 0 };
	char path[PATH_MAX];
	uint32_t want;
	size_t i;
	DIR *d;
	int r;

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
	r = scan_devices(d, path, &s);
	closedir(d);
	if (r) {
		ioasid_free(s.ents);
		return r;
	}

	/* readdir() order is the filesystem's: sort for a stable answer */
	if (s.nr > 1)
		qsort(s.ents, s.nr, sizeof(*s.ents), cmp_bdf);
	for (i = 0; i < s.nr && i < want; i++)
		out[i] = s.ents[i];
	*num = (uint32_t)s.nr;
	if (s.nr > want)
		r = ioasid_err(NULL, -EMSGSIZE, "host devices: %zu devices, room for %u", s.nr,
			       want);
	ioasid_free(s.ents);
	return r;
}

IOASID_EXPORT int ioasid_host_devices(struct ioasid_dev_entry *out,
				      uint32_t *inout_num)
{
	return host_scan_root("/sys", out, inout_num);
}

IOASID_EXPORT int ioasid_host_devices_at(const char *sysfs_root, struct ioasid_dev_entry *out,
					 uint32_t *inout_num)
{
	return host_scan_root(sysfs_root, out, inout_num);
}
