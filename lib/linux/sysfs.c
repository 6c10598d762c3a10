/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the Linux backends read from sysfs about a device before and while
 * they bind it: its node (found by PCI address, VFIO cdev path or cdev
 * fd), its IOMMU group and the group's reserved regions, its IOMMU
 * instance and the registers intel-iommu shows for it, its PCI config
 * space; and the PASID width of the host's IOMMUs.
 *
 * Every reader takes the sysfs root as a parameter ("/sys", or a unit
 * test's fake tree).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "linux/linux.h"
#include "vendor/vendor.h"

bool ku_fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, size, f, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < size;
}

const char *ku_base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

bool ku_all_digits(const char *s, size_t max)
{
	size_t i;

	if (!*s)
		return false;
	for (i = 0; s[i]; i++)
		if (s[i] < '0' || s[i] > '9' || i >= max)
			return false;
	return true;
}

bool ku_is_bdf(const char *s)
{
	unsigned int dom, bus, slot, fn;
	char tail;

	if (sscanf(s, "%4x:%2x:%2x.%1x%c", &dom, &bus, &slot, &fn, &tail) == 4)
		return strlen(s) == 12 && s[4] == ':' && s[7] == ':' && s[10] == '.';
	if (sscanf(s, "%2x:%2x.%1x%c", &bus, &slot, &fn, &tail) == 3)
		return strlen(s) == 7 && s[2] == ':' && s[5] == '.';
	return false;
}

/* Read a small sysfs file into @buf (NUL-terminated). Return bytes or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)got + 1 < size) {
		n = read(fd, buf + got, size - 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return n;
		}
		if (!n)
			break;
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

static const char *skip_blank(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static int parse_hex64(const char **pp, const char *end, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;
	int digits = 0;

	if (end - p >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	while (p < end && isxdigit((unsigned char)*p)) {
		if (digits == 16)
			return -EINVAL;
		v = v << 4 | (uint64_t)(isdigit((unsigned char)*p) ?
						*p - '0' :
						(tolower((unsigned char)*p) - 'a' + 10));
		p++;
		digits++;
	}
	if (!digits)
		return -EINVAL;
	*pp = p;
	*out = v;
	return 0;
}

/* A file that holds one hex number (a register value). */
static bool read_hex_file(const char *path, uint64_t *out)
{
	char buf[64];
	const char *p = buf;

	if (read_small(path, buf, sizeof(buf)) <= 0)
		return false;
	return !parse_hex64(&p, buf + strlen(buf), out);
}

/*
 * amd-iommu/features: "EFR:EFR2" in hex (the kernel's amd_iommu_show_features);
 * an older kernel writes EFR alone, and EFR2 is then 0.
 */
static bool read_amd_features(const char *path, uint64_t *efr, uint64_t *efr2)
{
	char buf[64];
	const char *p = buf, *end;

	if (read_small(path, buf, sizeof(buf)) <= 0)
		return false;
	end = buf + strlen(buf);
	*efr2 = 0;
	if (parse_hex64(&p, end, efr))
		return false;
	if (p < end && *p == ':') {
		p++;
		if (parse_hex64(&p, end, efr2))
			return false;
	}
	return p == end || *p == '\n';
}

/* ---- reserved_regions ---- */

/* The TYPE word of a reserved_regions line; one we do not know is reserved. */
static uint32_t resv_type(const char *word, size_t wlen)
{
	static const struct {
		const char *name;
		uint32_t type;
	} types[] = {
		{ "direct-relaxable", IOASID_RESV_DIRECT_RELAXABLE },
		{ "direct", IOASID_RESV_DIRECT },
		{ "reserved", IOASID_RESV_RESERVED },
		{ "msi", IOASID_RESV_MSI },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++)
		if (strlen(types[i].name) == wlen && !memcmp(types[i].name, word, wlen))
			return types[i].type;
	return IOASID_RESV_RESERVED;
}

/* "0xSTART 0xEND TYPE" from @q (past leading blanks) to @eol. Return 0 or -EINVAL. */
static int parse_resv_line(const char *q, const char *eol, struct ioasid_cap_resv_region *r)
{
	const char *word;
	size_t wlen;

	if (parse_hex64(&q, eol, &r->start))
		return -EINVAL;
	q = skip_blank(q, eol);
	if (parse_hex64(&q, eol, &r->last))
		return -EINVAL;
	q = skip_blank(q, eol);
	word = q;
	while (q < eol && *q != ' ' && *q != '\t' && *q != '\r')
		q++;
	wlen = (size_t)(q - word);
	/* nothing may follow TYPE but blanks and a CR */
	if (!wlen || skip_blank(q, eol) < eol - (eol > q && eol[-1] == '\r'))
		return -EINVAL;
	if (r->last < r->start)
		return -EINVAL;
	r->type = resv_type(word, wlen);
	r->pad = 0;
	return 0;
}

int ku_parse_resv_regions(const char *text, size_t len, struct ioasid_cap_resv_region *out,
			  uint32_t cap, uint32_t *ret_n, char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	uint32_t n = 0, line = 0;

	if (err && errlen)
		err[0] = '\0';
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		struct ioasid_cap_resv_region r;
		const char *q;

		if (!eol)
			eol = end;
		line++;
		q = skip_blank(p, eol);
		if (q != eol && *q != '\0') {
			if (parse_resv_line(q, eol, &r)) {
				if (err && errlen)
					snprintf(err, errlen,
						 "reserved_regions line %u is not \"0xSTART 0xEND TYPE\": '%.*s'",
						 line,
						 (int)IOASID_MIN((size_t)(eol - p), (size_t)80), p);
				return -EINVAL;
			}
			if (n < cap)
				out[n] = r;
			n++;
		}
		p = eol + 1;
	}
	*ret_n = n;
	if (n > cap) {
		if (err && errlen)
			snprintf(err, errlen, "%u reserved regions; room for %u", n, cap);
		return -EMSGSIZE;
	}
	return 0;
}

/* ---- one device ---- */

void ku_sysdev_free(struct ku_sysdev *sd)
{
	ioasid_free(sd->resv);
	sd->resv = NULL;
	sd->nr_resv = 0;
}

bool ku_vfio_cdev(int dfd, const char *devdir, char *out, size_t size)
{
	char path[PATH_MAX];
	struct dirent *de;
	bool found = false;
	DIR *d;
	int fd;

	out[0] = '\0';
	if (!ku_fmt(path, sizeof(path), "%s/vfio-dev", devdir))
		return false;
	fd = openat(dfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return false;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "vfio", 4) || !ku_all_digits(de->d_name + 4, 10))
			continue;
		if (ku_fmt(out, size, "/dev/vfio/devices/%s", de->d_name)) {
			found = true;
			break;
		}
	}
	closedir(d);
	return found;
}

/* The IOMMU group (iommu_group link) and IOMMU instance (iommu link) of @sd. */
static void read_iommu_links(const char *root, const char *devdir, struct ku_sysdev *sd)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	ku_fmt(path, sizeof(path), "%s/iommu_group", devdir);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		if (ku_all_digits(ku_base_name(link), 10))
			sd->group = atoi(ku_base_name(link));
	}
	ku_fmt(path, sizeof(path), "%s/iommu", devdir);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		ku_fmt(sd->iommu, sizeof(sd->iommu), "%s", ku_base_name(link));
		/* intel-iommu shows its registers: /sys/class/iommu/dmarN/intel-iommu */
		ku_fmt(path, sizeof(path), "%s/class/iommu/%s/intel-iommu/cap", root, sd->iommu);
		if (read_hex_file(path, &sd->vtd_cap)) {
			ku_fmt(path, sizeof(path), "%s/class/iommu/%s/intel-iommu/ecap", root,
			       sd->iommu);
			sd->vtd_regs = read_hex_file(path, &sd->vtd_ecap);
		}
		/* amd_iommu shows EFR and EFR2: /sys/class/iommu/ivhdN/amd-iommu/features */
		ku_fmt(path, sizeof(path), "%s/class/iommu/%s/amd-iommu/features", root, sd->iommu);
		sd->amd_regs = read_amd_features(path, &sd->amd_efr, &sd->amd_efr2);
	}
}

/* The reserved regions of @sd's group, when sysfs shows them. */
static int read_resv(struct ioasid_ctx *ctx, const char *root, struct ku_sysdev *sd)
{
	const size_t tsize = 16384;
	char path[PATH_MAX], err[160];
	uint32_t cnt = 0;
	char *text;
	ssize_t n;
	int r;

	text = ioasid_malloc(tsize);
	if (!text)
		return ioasid_err(ctx, -ENOMEM, "out of memory reading reserved regions");
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/reserved_regions", root, sd->group);
	n = read_small(path, text, tsize);
	if (n < 0) {
		ioasid_free(text);
		return 0;
	}
	/* count, then fill */
	r = ku_parse_resv_regions(text, (size_t)n, NULL, 0, &cnt, err, sizeof(err));
	if (r && r != -EMSGSIZE) {
		ioasid_free(text);
		return ioasid_err(ctx, r, "%s: %s", path, err);
	}
	if (cnt) {
		sd->resv = ioasid_calloc(cnt, sizeof(*sd->resv));
		if (!sd->resv) {
			ioasid_free(text);
			return ioasid_err(ctx, -ENOMEM, "out of memory for %u reserved regions",
					  cnt);
		}
		ku_parse_resv_regions(text, (size_t)n, sd->resv, cnt, &cnt, err, sizeof(err));
	}
	sd->nr_resv = cnt;
	sd->resv_known = true;
	ioasid_free(text);
	return 0;
}

/* The PCI capabilities of @sd (root reads the whole 4 KiB of config space). */
static void read_pci(const char *devdir, struct ku_sysdev *sd)
{
	char path[PATH_MAX];
	uint8_t *cfg;
	ssize_t n;
	int fd;

	ku_fmt(path, sizeof(path), "%s/config", devdir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	cfg = ioasid_calloc(1, 4096);
	if (cfg) {
		n = pread(fd, cfg, 4096, 0);
		if (n > 0)
			ku_pci_parse_config(cfg, (size_t)n, &sd->pci);
		ioasid_free(cfg);
	}
	close(fd);
}

int ku_sysdev_read(struct ioasid_ctx *ctx, const char *root, const char *devdir,
		   struct ku_sysdev *sd)
{
	int err;

	memset(sd, 0, sizeof(*sd));
	sd->group = -1;
	ku_fmt(sd->dir, sizeof(sd->dir), "%s", devdir);
	ku_fmt(sd->bdf, sizeof(sd->bdf), "%s", ku_base_name(devdir));
	ku_vfio_cdev(AT_FDCWD, devdir, sd->cdev, sizeof(sd->cdev));
	read_iommu_links(root, devdir, sd);
	if (sd->group >= 0) {
		err = read_resv(ctx, root, sd);
		if (err)
			return err;
	}
	read_pci(devdir, sd);
	return 0;
}

int ku_sysdev_from_bdf(struct ioasid_ctx *ctx, const char *root, const char *bdf,
		       struct ku_sysdev *sd)
{
	char path[PATH_MAX], real[PATH_MAX], full[32];

	/* "BB:DD.F" means domain 0000 */
	snprintf(full, sizeof(full), "%s%s", strlen(bdf) == 7 ? "0000:" : "", bdf);
	ku_fmt(path, sizeof(path), "%s/bus/pci/devices/%s", root, full);
	if (!realpath(path, real))
		return ioasid_err(ctx, -ENOENT, "no PCI device %s (%s: %s)", bdf, path,
				  strerror(errno));
	return ku_sysdev_read(ctx, root, real, sd);
}

/* How far cdev_devdir() got. */
enum cdev_walk {
	CDEV_DEVDIR,    /* @real is the device's directory */
	CDEV_NO_NODE,   /* @root/dev/char/M:N does not resolve (errno says why) */
	CDEV_NOT_VFIO,  /* @real is not a vfioN node */
	CDEV_NOT_UNDER, /* its parent (now @real) is not a vfio-dev directory */
};

/*
 * The sysfs directory of the device whose VFIO cdev is char device @rdev:
 * @root/dev/char/M:N resolves to .../<device>/vfio-dev/vfioN, the device
 * is two levels up. @real (PATH_MAX) is cut as far as the walk went.
 */
static enum cdev_walk cdev_devdir(const char *root, dev_t rdev, char *real)
{
	char path[PATH_MAX];
	char *s;

	snprintf(path, sizeof(path), "%s/dev/char/%u:%u", root, major(rdev), minor(rdev));
	if (!realpath(path, real))
		return CDEV_NO_NODE;
	s = strrchr(real, '/');
	if (!s || strncmp(s + 1, "vfio", 4))
		return CDEV_NOT_VFIO;
	*s = '\0';
	s = strrchr(real, '/');
	if (!s || strcmp(s + 1, "vfio-dev"))
		return CDEV_NOT_UNDER;
	*s = '\0';
	return CDEV_DEVDIR;
}

int ku_sysdev_from_cdev_fd(struct ioasid_ctx *ctx, const char *root, int fd, struct ku_sysdev *sd)
{
	char real[PATH_MAX];
	struct stat st;

	if (fstat(fd, &st))
		return ioasid_err(ctx, -errno, "fstat of fd %d: %s", fd, strerror(errno));
	if (!S_ISCHR(st.st_mode))
		return ioasid_err(ctx, -EINVAL, "fd %d is not a character device (a VFIO cdev)", fd);
	switch (cdev_devdir(root, st.st_rdev, real)) {
	case CDEV_NO_NODE:
		return ioasid_err(ctx, -ENODEV, "fd %d (char %u:%u) has no sysfs node: %s", fd,
				  major(st.st_rdev), minor(st.st_rdev), strerror(errno));
	case CDEV_NOT_VFIO:
		return ioasid_err(ctx, -EINVAL, "fd %d is %s, not a VFIO device cdev", fd, real);
	case CDEV_NOT_UNDER:
		return ioasid_err(ctx, -EINVAL, "fd %d: unexpected sysfs layout at %s", fd, real);
	case CDEV_DEVDIR:
		break;
	}
	return ku_sysdev_read(ctx, root, real, sd);
}

int ku_resolve_name(struct ioasid_ctx *ctx, const char *root, const char *name, struct ku_sysdev *sd)
{
	char real[PATH_MAX];
	struct stat st;

	if (ku_is_bdf(name))
		return ku_sysdev_from_bdf(ctx, root, name, sd);
	if (name[0] != '/')
		return ioasid_err(ctx, -ENOENT,
				  "'%s' is neither a VFIO cdev path (/dev/vfio/devices/vfioN) nor a PCI address (0000:00:01.0)",
				  name);
	if (stat(name, &st))
		return ioasid_err(ctx, -ENOENT, "%s: %s", name, strerror(errno));
	if (!S_ISCHR(st.st_mode))
		return ioasid_err(ctx, -ENOENT, "%s is not a character device", name);
	switch (cdev_devdir(root, st.st_rdev, real)) {
	case CDEV_NO_NODE:
		return ioasid_err(ctx, -ENODEV, "%s (char %u:%u) has no sysfs node", name,
				  major(st.st_rdev), minor(st.st_rdev));
	case CDEV_DEVDIR:
		return ku_sysdev_read(ctx, root, real, sd);
	default:
		return ioasid_err(ctx, -ENOENT, "%s is not a VFIO device cdev (sysfs: %s)", name,
				  real);
	}
}

/*
 * Whether char device @rdev is the misc device @name, from sysfs
 * (/sys/dev/char/M:N -> .../misc/NAME). Without sysfs: assume it is.
 */
bool ku_is_misc_dev(dev_t rdev, const char *name, char *what, size_t whatlen)
{
	char path[64], real[PATH_MAX];
	const char *b;

	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u", major(rdev), minor(rdev));
	if (!realpath(path, real)) {
		snprintf(what, whatlen, "char %u:%u", major(rdev), minor(rdev));
		return errno == ENOENT && access("/sys/dev/char", F_OK);
	}
	b = ku_base_name(real);
	ku_fmt(what, whatlen, "%s",
	       strstr(real, "/devices/") ? strstr(real, "/devices/") + 9 : real);
	return !strcmp(b, name) && strstr(real, "/misc/");
}

/* ---- the host's IOMMUs ---- */

/* Whether IOMMU instance @name is bound to the driver called @driver. */
static bool iommu_driver_is(const char *root, const char *name, const char *driver)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	if (!ku_fmt(path, sizeof(path), "%s/class/iommu/%s/device/driver", root, name))
		return false;
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = '\0';
	return !strcmp(ku_base_name(link), driver);
}

/*
 * The PASID width of IOMMU instance @name, decoded by the vendor model
 * from the register sysfs shows (VT-d ECAP, AMD EFR/EFR2: PASIDs as Linux
 * allows them, which takes more than PASmax); 0 for a virtio-iommu (Linux's
 * driver has no PASIDs) and for an SMMUv3, whose IDR1.SSIDSIZE sysfs does
 * not show: its devices widen the context when bound (GET_HW_INFO's
 * max_pasid_log2 holds it), so a guest under QEMU's SMMUv3 without
 * SubstreamIDs gets 0 as on the sim; -1 when sysfs shows nothing to go by.
 */
static int iommu_pasid_width(const char *root, const char *name)
{
	char path[PATH_MAX];
	uint64_t reg, efr2;

	if (ku_fmt(path, sizeof(path), "%s/class/iommu/%s/intel-iommu/ecap", root, name) &&
	    read_hex_file(path, &reg)) {
		struct ioasid_cap_vtd vtd = { .ecap_reg = reg };

		ioasid_cap_vtd_decode(&vtd);
		return vtd.pasid_bits;
	}
	if (ku_fmt(path, sizeof(path), "%s/class/iommu/%s/amd-iommu/features", root, name) &&
	    read_amd_features(path, &reg, &efr2)) {
		struct ioasid_cap_amd amd = { .efr = reg, .efr2 = efr2 };
		struct vendor_props p;
		struct vendor_err e;

		ioasid_cap_amd_decode(&amd);
		return vendor_derive(&vendor_amd, &amd, &p, &e) ? -1 : (int)p.pasid_width;
	}
	/* arm-smmu-v3 names its instances "smmu3.<MMIO address>" */
	if (iommu_driver_is(root, name, "virtio_iommu") || !strncmp(name, "smmu3.", 6) ||
	    iommu_driver_is(root, name, "arm-smmu-v3"))
		return 0;
	return -1;
}

int ku_host_pasid_width(const char *root)
{
	char path[PATH_MAX];
	struct dirent *de;
	int width = -1;
	DIR *d;

	if (!ku_fmt(path, sizeof(path), "%s/class/iommu", root) || !(d = opendir(path)))
		return IOASID_PASID_MAX_WIDTH;
	while ((de = readdir(d))) {
		int w;

		if (de->d_name[0] == '.')
			continue;
		w = iommu_pasid_width(root, de->d_name);
		if (w > width)
			width = w;
	}
	closedir(d);
	/* no IOMMU whose registers sysfs shows: each device's width decides */
	return width < 0 ? IOASID_PASID_MAX_WIDTH : IOASID_MIN(width, IOASID_PASID_MAX_WIDTH);
}
