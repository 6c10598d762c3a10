/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The iommufd backend: /dev/iommu plus VFIO device cdevs
 * (kernel-uapi.md §1, §2.1), and the Linux helpers it shares with the
 * vfio backend (sysfs readers, facts -> device description).
 *
 * The core validates every request against its own records and chooses
 * every IOVA, so this backend maps at fixed IOVAs only, one kernel area per
 * core area, and unmaps exactly those areas: the kernel's non-atomic
 * UNMAP never sees a range that straddles an area.
 *
 * Automatic domains. When a device attaches to an IOAS the core makes an
 * automatic HWPT object; here it costs no ioctl: the device is attached to
 * the kernel IOAS itself, so the kernel makes (or reuses) its own automatic
 * domain, exactly what a VMM calling VFIO_DEVICE_ATTACH_IOMMUFD_PT with an
 * IOAS id gets. The kernel returns that domain's id, which
 * ioasid_obj_kernel_id() reports for the automatic HWPT. Explicit HWPTs
 * (ioasid_hwpt_alloc()) are IOMMU_HWPT_ALLOC objects.
 *
 * Copies. The core records a copy as new areas over the same user memory;
 * they are mapped with IOMMU_IOAS_MAP of that memory (not IOMMU_IOAS_COPY),
 * so the kernel pins and charges the pages again (kernel-uapi.md §4.5
 * charges COPY once). The library's own accounting charges once.
 *
 * Device properties come from IOMMU_GET_HW_INFO (vendor registers, PASID
 * width, capability bits), sysfs (reserved regions, PCI ATS/PRI/PASID
 * capabilities) and a probe at bind time: the device is attached to an
 * empty scratch IOAS and IOMMU_IOAS_IOVA_RANGES reports the aperture,
 * reserved ranges and the IOVA alignment the kernel will enforce, then it
 * is detached again.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "iommufd-private.h"
#include "core/hwpt-private.h"
#include "core/fault-private.h"
#include "linux/host-scan.h"

#define X(v) ((unsigned long long)(v))

/* ======================================================================
 * ioctl seam
 * ====================================================================== */

int ku_sys_ioctl(void *data, int fd, unsigned long req, void *arg)
{
	int r;

	(void)data;
	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

ssize_t ku_sys_fault_io(void *data, int fd, void *buf, size_t len, bool is_write)
{
	ssize_t r;

	(void)data;
	do {
		r = is_write ? write(fd, buf, len) : read(fd, buf, len);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

/* snprintf() that says whether the result fit (and keeps gcc's checks quiet). */
static bool __attribute__((format(printf, 3, 4))) fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, size, f, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < size;
}

/* ======================================================================
 * sysfs
 * ====================================================================== */

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
		v = v << 4 | (uint64_t)(isdigit((unsigned char)*p) ? *p - '0' :
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

int ku_parse_resv_regions(const char *text, size_t len,
			  struct ioasid_cap_resv_region *out, uint32_t cap,
			  uint32_t *ret_n, char *err, size_t errlen)
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
	const char *p = text, *end = text + len;
	uint32_t n = 0, line = 0;

	if (err && errlen)
		err[0] = '\0';
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *q, *word;
		uint64_t start, last;
		uint32_t type = IOASID_RESV_RESERVED;
		size_t wlen, i;

		if (!eol)
			eol = end;
		line++;
		q = skip_blank(p, eol);
		if (q == eol || *q == '\0') {
			p = eol + 1;
			continue;
		}
		if (parse_hex64(&q, eol, &start))
			goto bad;
		q = skip_blank(q, eol);
		if (parse_hex64(&q, eol, &last))
			goto bad;
		q = skip_blank(q, eol);
		word = q;
		while (q < eol && *q != ' ' && *q != '\t' && *q != '\r')
			q++;
		wlen = (size_t)(q - word);
		if (!wlen || skip_blank(q, eol) < eol - (eol > q && eol[-1] == '\r'))
			goto bad;
		if (last < start)
			goto bad;
		for (i = 0; i < ARRAY_SIZE(types); i++) {
			if (strlen(types[i].name) == wlen && !memcmp(types[i].name, word, wlen)) {
				type = types[i].type;
				break;
			}
		}
		if (n < cap) {
			out[n].start = start;
			out[n].last = last;
			out[n].type = type;
			out[n].pad = 0;
		}
		n++;
		p = eol + 1;
		continue;
bad:
		if (err && errlen)
			snprintf(err, errlen, "reserved_regions line %u is not \"0xSTART 0xEND TYPE\": '%.*s'",
				 line, (int)IOASID_MIN((size_t)(eol - p), (size_t)80), p);
		return -EINVAL;
	}
	*ret_n = n;
	if (n > cap) {
		if (err && errlen)
			snprintf(err, errlen, "%u reserved regions; room for %u", n, cap);
		return -EMSGSIZE;
	}
	return 0;
}

static uint16_t cfg16(const uint8_t *c, size_t off)
{
	return (uint16_t)(c[off] | c[off + 1] << 8);
}

static uint32_t cfg32(const uint8_t *c, size_t off)
{
	return (uint32_t)c[off] | (uint32_t)c[off + 1] << 8 | (uint32_t)c[off + 2] << 16 |
	       (uint32_t)c[off + 3] << 24;
}

#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CAP_PTR 0x34
#define PCI_CAP_ID_EXP 0x10
#define PCI_EXT_ATS 0x000f
#define PCI_EXT_PRI 0x0013
#define PCI_EXT_PASID 0x001b

void ku_pci_parse_config(const uint8_t *cfg, size_t len, struct ku_pci_feats *out)
{
	bool pcie = false;
	unsigned int guard = 0;
	size_t off;

	memset(out, 0, sizeof(*out));
	if (len < 64)
		return;
	if (cfg16(cfg, PCI_STATUS) & PCI_STATUS_CAP_LIST) {
		off = cfg[PCI_CAP_PTR] & ~3u;
		/* 48 capabilities at most fit in 192 bytes: a longer list loops */
		while (off >= 0x40 && off + 2 <= IOASID_MIN(len, (size_t)256) && guard++ < 48) {
			if (cfg[off] == PCI_CAP_ID_EXP) {
				pcie = true;
				break;
			}
			off = cfg[off + 1] & ~3u;
		}
	}
	if (!pcie) {
		/* conventional PCI: no extended capabilities at all */
		out->known = true;
		return;
	}
	if (len < 4096)
		return; /* the extended space was not readable: unknown */
	out->known = true;
	off = 0x100;
	guard = 0;
	while (off >= 0x100 && off + 4 <= len && guard++ < 960) {
		uint32_t h = cfg32(cfg, off);

		if (!h || h == 0xffffffffu)
			break;
		switch (h & 0xffff) {
		case PCI_EXT_ATS:
			out->ats = true;
			break;
		case PCI_EXT_PRI:
			out->pri = true;
			break;
		case PCI_EXT_PASID:
			out->pasid = true;
			break;
		}
		off = (h >> 20) & ~3u;
	}
}

void ku_sysdev_free(struct ku_sysdev *sd)
{
	ioasid_free(sd->resv);
	sd->resv = NULL;
	sd->nr_resv = 0;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* The vfioN entry of @devdir/vfio-dev, as "/dev/vfio/devices/vfioN". */
static void find_cdev(const char *devdir, char *out, size_t size)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	out[0] = '\0';
	if ((size_t)snprintf(path, sizeof(path), "%s/vfio-dev", devdir) >= sizeof(path))
		return;
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "vfio", 4) || !all_digits(de->d_name + 4))
			continue;
		fmt(out, size, "/dev/vfio/devices/%s", de->d_name);
		break;
	}
	closedir(d);
}

static bool read_hex_file(const char *path, uint64_t *out)
{
	char buf[64];
	const char *p = buf;

	if (read_small(path, buf, sizeof(buf)) <= 0)
		return false;
	return !parse_hex64(&p, buf + strlen(buf), out);
}

int ku_sysdev_read(struct ioasid_ctx *ctx, const char *root, const char *devdir,
		   struct ku_sysdev *sd)
{
	char path[PATH_MAX], link[PATH_MAX], err[160];
	char *text;
	ssize_t n;
	uint8_t *cfg;
	int fd, r;

	memset(sd, 0, sizeof(*sd));
	sd->group = -1;
	fmt(sd->dir, sizeof(sd->dir), "%s", devdir);
	fmt(sd->bdf, sizeof(sd->bdf), "%s", base_name(devdir));
	find_cdev(devdir, sd->cdev, sizeof(sd->cdev));

	fmt(path, sizeof(path), "%s/iommu_group", devdir);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		if (all_digits(base_name(link)))
			sd->group = atoi(base_name(link));
	}
	fmt(path, sizeof(path), "%s/iommu", devdir);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		fmt(sd->iommu, sizeof(sd->iommu), "%s", base_name(link));
		/* intel-iommu shows its registers: /sys/class/iommu/dmarN/intel-iommu */
		fmt(path, sizeof(path), "%s/class/iommu/%s/intel-iommu/cap", root, sd->iommu);
		if (read_hex_file(path, &sd->vtd_cap)) {
			fmt(path, sizeof(path), "%s/class/iommu/%s/intel-iommu/ecap", root, sd->iommu);
			sd->vtd_regs = read_hex_file(path, &sd->vtd_ecap);
		}
	}

	/* reserved regions of the group */
	if (sd->group >= 0) {
		const size_t tsize = 16384;

		text = ioasid_malloc(tsize);
		if (!text)
			return ioasid_err(ctx, -ENOMEM, "out of memory reading reserved regions");
		snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/reserved_regions", root,
			 sd->group);
		n = read_small(path, text, tsize);
		if (n >= 0) {
			uint32_t cnt = 0;

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
				ku_parse_resv_regions(text, (size_t)n, sd->resv, cnt, &cnt, err,
						      sizeof(err));
			}
			sd->nr_resv = cnt;
			sd->resv_known = true;
		}
		ioasid_free(text);
	}

	/* PCI capabilities (root reads the whole 4 KiB) */
	fmt(path, sizeof(path), "%s/config", devdir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		cfg = ioasid_calloc(1, 4096);
		if (cfg) {
			n = pread(fd, cfg, 4096, 0);
			if (n > 0)
				ku_pci_parse_config(cfg, (size_t)n, &sd->pci);
			ioasid_free(cfg);
		}
		close(fd);
	}
	return 0;
}

int ku_sysdev_from_bdf(struct ioasid_ctx *ctx, const char *root, const char *bdf,
		       struct ku_sysdev *sd)
{
	char path[PATH_MAX], real[PATH_MAX], full[32];

	/* "BB:DD.F" means domain 0000 */
	snprintf(full, sizeof(full), "%s%s", strlen(bdf) == 7 ? "0000:" : "", bdf);
	fmt(path, sizeof(path), "%s/bus/pci/devices/%s", root, full);
	if (!realpath(path, real))
		return ioasid_err(ctx, -ENOENT, "no PCI device %s (%s: %s)", bdf, path,
				  strerror(errno));
	return ku_sysdev_read(ctx, root, real, sd);
}

int ku_sysdev_from_cdev_fd(struct ioasid_ctx *ctx, const char *root, int fd,
			   struct ku_sysdev *sd)
{
	char path[PATH_MAX], real[PATH_MAX];
	struct stat st;
	char *s;

	if (fstat(fd, &st))
		return ioasid_err(ctx, -errno, "fstat of fd %d: %s", fd, strerror(errno));
	if (!S_ISCHR(st.st_mode))
		return ioasid_err(ctx, -EINVAL, "fd %d is not a character device (a VFIO cdev)", fd);
	snprintf(path, sizeof(path), "%s/dev/char/%u:%u", root, major(st.st_rdev),
		 minor(st.st_rdev));
	if (!realpath(path, real))
		return ioasid_err(ctx, -ENODEV, "fd %d (char %u:%u) has no sysfs node: %s", fd,
				  major(st.st_rdev), minor(st.st_rdev), strerror(errno));
	/* .../0000:00:01.0/vfio-dev/vfio0: the device is two levels up */
	s = strrchr(real, '/');
	if (!s || strncmp(s + 1, "vfio", 4))
		return ioasid_err(ctx, -EINVAL, "fd %d is %s, not a VFIO device cdev", fd, real);
	*s = '\0';
	s = strrchr(real, '/');
	if (!s || strcmp(s + 1, "vfio-dev"))
		return ioasid_err(ctx, -EINVAL, "fd %d: unexpected sysfs layout at %s", fd, real);
	*s = '\0';
	return ku_sysdev_read(ctx, root, real, sd);
}

int ku_host_pasid_width(const char *root)
{
	char path[PATH_MAX], buf[128];
	struct dirent *de;
	int width = -1;
	DIR *d;

	if (!fmt(path, sizeof(path), "%s/class/iommu", root) || !(d = opendir(path)))
		return IOASID_PASID_MAX_WIDTH;
	while ((de = readdir(d))) {
		uint64_t ecap, efr;
		const char *p;
		int w = -1;

		if (de->d_name[0] == '.')
			continue;
		if (fmt(path, sizeof(path), "%s/class/iommu/%s/intel-iommu/ecap", root, de->d_name) &&
		    read_hex_file(path, &ecap)) {
			/* ECAP.PASID (bit 40), PSS (bits 39:35) = width - 1 */
			w = (ecap >> 40) & 1 ? (int)((ecap >> 35) & 0x1f) + 1 : 0;
		} else if (fmt(path, sizeof(path), "%s/class/iommu/%s/amd-iommu/features", root,
			       de->d_name) && read_small(path, buf, sizeof(buf)) > 0) {
			struct ioasid_cap_amd a;

			p = buf;
			if (!parse_hex64(&p, buf + strlen(buf), &efr)) {
				memset(&a, 0, sizeof(a));
				a.efr = efr;
				ioasid_cap_amd_decode(&a);
				w = a.pasid_bits;
			}
		}
		if (w > width)
			width = w;
	}
	closedir(d);
	/* no IOMMU whose registers sysfs shows: each device's width decides */
	return width < 0 ? IOASID_PASID_MAX_WIDTH : IOASID_MIN(width, IOASID_PASID_MAX_WIDTH);
}

int ku_resolve_name(struct ioasid_ctx *ctx, const char *root, const char *name,
		    struct ku_sysdev *sd)
{
	char path[PATH_MAX], real[PATH_MAX];
	struct stat st;
	const char *b;

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
	b = base_name(name);
	snprintf(path, sizeof(path), "%s/dev/char/%u:%u", root, major(st.st_rdev),
		 minor(st.st_rdev));
	if (!realpath(path, real))
		return ioasid_err(ctx, -ENODEV, "%s (char %u:%u) has no sysfs node", name,
				  major(st.st_rdev), minor(st.st_rdev));
	(void)b;
	/* a VFIO cdev: .../<bdf>/vfio-dev/vfioN */
	{
		char *s = strrchr(real, '/');

		if (s && !strncmp(s + 1, "vfio", 4)) {
			*s = '\0';
			s = strrchr(real, '/');
			if (s && !strcmp(s + 1, "vfio-dev")) {
				*s = '\0';
				return ku_sysdev_read(ctx, root, real, sd);
			}
		}
	}
	return ioasid_err(ctx, -ENOENT, "%s is not a VFIO device cdev (sysfs: %s)", name, real);
}

/* ======================================================================
 * facts -> device properties and capability chain
 * ====================================================================== */

static unsigned int bits_of(uint64_t last)
{
	return last ? 64 - (unsigned int)__builtin_clzll(last) : 1;
}

/* Page sizes and widths a vendor's registers imply for a paging domain. */
struct vendor_view {
	bool pasid_hwpt;      /* IOMMU_HWPT_ALLOC_PASID accepted */
	uint64_t pgsizes;     /* 0 = unknown */
	unsigned int in_bits; /* 0 = unknown */
	unsigned int out_bits;
	bool nesting;
	uint32_t vendor_s1;
	uint32_t fl_levels;
	bool pri, ats, stall_known, stall;
};

static void vtd_view(uint64_t cap, uint64_t ecap, struct vendor_view *v)
{
	struct ioasid_cap_vtd d;
	unsigned int lvl_bits = 0, l;

	memset(&d, 0, sizeof(d));
	d.cap_reg = cap;
	d.ecap_reg = ecap;
	ioasid_cap_vtd_decode(&d);
	/* scalable mode with first-stage tables: paging domains use first stage */
	if ((d.bits & IOASID_VTD_SMTS) && (d.bits & IOASID_VTD_FLTS)) {
		v->pgsizes = 0x1000 | 0x200000 | ((d.bits & IOASID_VTD_FL1GP) ? 0x40000000 : 0);
		v->in_bits = (d.bits & IOASID_VTD_FL5LP) ? 57 : 48;
	} else {
		v->pgsizes = 0x1000 | ((d.sllps & 1) ? 0x200000 : 0) | ((d.sllps & 2) ? 0x40000000 : 0);
		for (l = 3; l <= 5; l++)
			if (d.levels & (1u << l))
				lvl_bits = 12 + 9 * l;
		v->in_bits = lvl_bits ? IOASID_MIN(lvl_bits, d.mgaw) : d.mgaw;
	}
	/* no register holds the host address width: MGAW is its closest bound */
	v->out_bits = d.mgaw;
	if ((d.bits & IOASID_VTD_NEST) && (d.bits & IOASID_VTD_SMTS)) {
		v->nesting = true;
		v->vendor_s1 = IOASID_HWPT_NESTED_VTD_S1;
	}
	v->fl_levels = (1u << 4) | ((d.bits & IOASID_VTD_FL5LP) ? 1u << 5 : 0);
	v->pri = d.bits & IOASID_VTD_PRS;
	v->ats = d.bits & IOASID_VTD_DT;
	v->stall_known = true;
	v->pasid_hwpt = true; /* the Intel driver takes ALLOC_PASID on any device */
}

static void smmuv3_view(const struct ku_iommu_hw_info_arm_smmuv3 *s, struct vendor_view *v)
{
	struct ioasid_cap_smmuv3 d;

	memset(&d, 0, sizeof(d));
	memcpy(d.idr, s->idr, sizeof(d.idr));
	ioasid_cap_smmuv3_decode(&d);
	if (d.bits & IOASID_SMMUV3_GRAN4K)
		v->pgsizes |= 0x1000 | 0x200000 | 0x40000000;
	if (d.bits & IOASID_SMMUV3_GRAN16K)
		v->pgsizes |= 0x4000 | 0x2000000;
	if (d.bits & IOASID_SMMUV3_GRAN64K)
		v->pgsizes |= 0x10000 | 0x20000000;
	v->out_bits = d.oas_bits;
	v->in_bits = d.oas_bits;
	v->pri = d.bits & IOASID_SMMUV3_PRI;
	v->ats = d.bits & IOASID_SMMUV3_ATS;
	v->stall_known = true;
	v->stall = d.bits & IOASID_SMMUV3_STALL;
	v->pasid_hwpt = d.bits & IOASID_SMMUV3_S1P; /* PASID domains are stage 1 */
}

static void amd_view(const struct ku_iommu_hw_info_amd *a, struct vendor_view *v)
{
	struct ioasid_cap_amd d;

	memset(&d, 0, sizeof(d));
	d.efr = a->efr;
	d.efr2 = a->efr2;
	ioasid_cap_amd_decode(&d);
	v->pgsizes = 0x1000 | 0x200000 | 0x40000000;
	if (d.host_levels)
		v->in_bits = IOASID_MIN(12u + 9u * d.host_levels, 64u);
	v->pri = d.bits & IOASID_AMD_PPR;
	v->stall_known = true;
	v->pasid_hwpt = d.pasid_bits; /* v2 tables, which need PASID support */
}

static int add_vendor_cap(struct ioasid_caps_builder *b, const struct ku_dev_facts *f)
{
	const uint32_t M = IOASID_CAP_SRC_MEASURED;

	if (f->hw_info) {
		switch (f->hw_type) {
		case KU_IOMMU_HW_INFO_TYPE_INTEL_VTD: {
			struct ku_iommu_hw_info_vtd v;

			memset(&v, 0, sizeof(v));
			memcpy(&v, f->data, IOASID_MIN((size_t)f->data_len, sizeof(v)));
			return ioasid_caps_add_vtd(b, M, v.cap_reg, v.ecap_reg,
						   v.flags & IOASID_VTD_ERRATA_772415_SPR17);
		}
		case KU_IOMMU_HW_INFO_TYPE_ARM_SMMUV3: {
			struct ku_iommu_hw_info_arm_smmuv3 s;

			memset(&s, 0, sizeof(s));
			memcpy(&s, f->data, IOASID_MIN((size_t)f->data_len, sizeof(s)));
			return ioasid_caps_add_smmuv3(b, M, s.idr, s.iidr, s.aidr,
						      s.flags & IOASID_SMMUV3_ERRATA_REPEAT_TLBI_CFGI);
		}
		case KU_IOMMU_HW_INFO_TYPE_AMD: {
			struct ku_iommu_hw_info_amd a;

			memset(&a, 0, sizeof(a));
			memcpy(&a, f->data, IOASID_MIN((size_t)f->data_len, sizeof(a)));
			return ioasid_caps_add_amd(b, M, a.efr, a.efr2);
		}
		default:
			return 0;
		}
	}
	if (f->vtd_regs)
		return ioasid_caps_add_vtd(b, M, f->vtd_cap, f->vtd_ecap, 0);
	return 0;
}

/* Usable ranges: the aperture minus the regions that bind (not relaxable). */
static uint32_t derive_ranges(uint64_t ap_start, uint64_t ap_last,
			      const struct ioasid_cap_resv_region *resv, uint32_t nr,
			      struct ioasid_cap_iova_range *out)
{
	uint64_t next = ap_start;
	uint32_t n = 0, i;
	bool done = false;

	/* @resv is sorted by start here; overlapping regions are fine */
	for (i = 0; i < nr && !done; i++) {
		if (resv[i].type == IOASID_RESV_DIRECT_RELAXABLE)
			continue;
		if (resv[i].last < next || resv[i].start > ap_last)
			continue;
		if (resv[i].start > next) {
			out[n].start = next;
			out[n].last = resv[i].start - 1;
			n++;
		}
		if (resv[i].last >= ap_last)
			done = true;
		else
			next = resv[i].last + 1;
	}
	if (!done) {
		out[n].start = next;
		out[n].last = ap_last;
		n++;
	}
	return n;
}

int ku_dev_describe(struct ioasid_ctx *ctx, struct ioasid_dev *dev,
		    const struct ku_dev_facts *f)
{
	struct ioasid_cap_resv_region *sorted = NULL;
	struct ioasid_cap_iova_range *ranges = NULL;
	struct ioasid_caps_builder *b = NULL;
	struct dev_props *p = &dev->props;
	struct vendor_view v;
	uint64_t feat = 0, known = 0, pg = f->host_page_size ? f->host_page_size : 4096;
	uint64_t ap_start = 0, ap_last = UINT64_MAX, bitmap;
	uint32_t i, j, nranges, n;
	uint32_t pasid_width = 0;
	int err;

	memset(&v, 0, sizeof(v));
	/* unknown hardware: let the kernel decide */
	v.pasid_hwpt = true;
	if (f->hw_info) {
		if (f->hw_type == KU_IOMMU_HW_INFO_TYPE_INTEL_VTD &&
		    f->data_len >= sizeof(struct ku_iommu_hw_info_vtd)) {
			const struct ku_iommu_hw_info_vtd *vt = f->data;

			vtd_view(vt->cap_reg, vt->ecap_reg, &v);
		} else if (f->hw_type == KU_IOMMU_HW_INFO_TYPE_ARM_SMMUV3 &&
			   f->data_len >= sizeof(struct ku_iommu_hw_info_arm_smmuv3)) {
			smmuv3_view(f->data, &v);
		} else if (f->hw_type == KU_IOMMU_HW_INFO_TYPE_AMD &&
			   f->data_len >= sizeof(struct ku_iommu_hw_info_amd)) {
			amd_view(f->data, &v);
		} else if (f->hw_type == KU_IOMMU_HW_INFO_TYPE_SELFTEST) {
			/* the kernel's mock IOMMU nests, with its own stage-1 format */
			v.nesting = true;
			v.stall_known = true;
		}
	} else if (f->vtd_regs) {
		vtd_view(f->vtd_cap, f->vtd_ecap, &v);
	}

	/* page sizes: measured (VFIO) or the vendor's at or above the alignment */
	if (f->pgsize_bitmap) {
		bitmap = f->pgsize_bitmap;
	} else {
		uint64_t align = f->probed && f->alignment > 1 ? f->alignment : pg;

		bitmap = v.pgsizes ? v.pgsizes : align;
		bitmap &= ~(align - 1);
		bitmap |= align & (0 - align); /* the alignment itself is a size */
	}

	/* reserved regions, sorted by start */
	if (f->nr_resv) {
		sorted = ioasid_calloc(f->nr_resv, sizeof(*sorted));
		if (!sorted)
			return ioasid_err(ctx, -ENOMEM, "out of memory for reserved regions");
		for (i = 0; i < f->nr_resv; i++) {
			for (j = i; j > 0 && sorted[j - 1].start > f->resv[i].start; j--)
				sorted[j] = sorted[j - 1];
			sorted[j] = f->resv[i];
		}
	}

	/* aperture: measured by the probe, else from the vendor's widths */
	if (f->probed && f->nr_ranges) {
		ap_start = f->ranges[0].start;
		ap_last = f->ranges[f->nr_ranges - 1].last;
		/* a reserved region at an edge hides the aperture's true edge */
		for (i = 0; i < f->nr_resv; i++) {
			if (sorted[i].type == IOASID_RESV_DIRECT_RELAXABLE)
				continue;
			if (sorted[i].last != UINT64_MAX && sorted[i].last + 1 == ap_start)
				ap_start = sorted[i].start;
			if (ap_last != UINT64_MAX && sorted[i].start == ap_last + 1)
				ap_last = sorted[i].last;
		}
	} else if (v.in_bits && v.in_bits < 64) {
		ap_last = (1ull << v.in_bits) - 1;
	}

	nranges = f->nr_resv + 1;
	if (f->probed && f->nr_ranges > nranges)
		nranges = f->nr_ranges;
	ranges = ioasid_calloc(nranges, sizeof(*ranges));
	if (!ranges) {
		err = ioasid_err(ctx, -ENOMEM, "out of memory for IOVA ranges");
		goto out;
	}
	if (f->probed && f->nr_ranges) {
		for (i = 0; i < f->nr_ranges; i++) {
			ranges[i].start = f->ranges[i].start;
			ranges[i].last = f->ranges[i].last;
		}
		n = f->nr_ranges;
	} else {
		n = derive_ranges(ap_start, ap_last, sorted, f->nr_resv, ranges);
	}

	/* features */
	known = IOASID_FEAT_COHERENT | IOASID_FEAT_NESTING | IOASID_FEAT_DIRTY_TRACKING |
		IOASID_FEAT_PASID | IOASID_FEAT_IDENTITY;
	if (f->coherent)
		feat |= IOASID_FEAT_COHERENT;
	if (f->can_nest && v.nesting)
		feat |= IOASID_FEAT_NESTING;
	if (f->can_dirty && f->hw_info && (f->hw_caps & KU_IOMMU_HW_CAP_DIRTY_TRACKING))
		feat |= IOASID_FEAT_DIRTY_TRACKING;
	if (f->can_pasid && f->hw_info && f->max_pasid_log2) {
		pasid_width = IOASID_MIN((uint32_t)f->max_pasid_log2, (uint32_t)IOASID_PASID_MAX_WIDTH);
		feat |= IOASID_FEAT_PASID;
		if (f->hw_caps & KU_IOMMU_HW_CAP_PCI_PASID_EXEC)
			feat |= IOASID_FEAT_PASID_EXEC;
		if (f->hw_caps & KU_IOMMU_HW_CAP_PCI_PASID_PRIV)
			feat |= IOASID_FEAT_PASID_PRIV;
	}
	if (!f->can_pasid || f->hw_info)
		known |= IOASID_FEAT_PASID_EXEC | IOASID_FEAT_PASID_PRIV;
	if (v.stall_known) {
		known |= IOASID_FEAT_STALL;
		if (v.stall)
			feat |= IOASID_FEAT_STALL;
	}
	if (f->pci.known) {
		known |= IOASID_FEAT_ATS | IOASID_FEAT_PRI;
		if (f->pci.ats && v.ats &&
		    !(f->hw_info && (f->hw_caps & KU_IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED)))
			feat |= IOASID_FEAT_ATS;
		if (f->pci.pri && v.pri)
			feat |= IOASID_FEAT_PRI;
	}

	err = ioasid_caps_builder_new(&b);
	if (err) {
		err = ioasid_err(ctx, err, "out of memory for a capability chain");
		goto out;
	}
	err = ioasid_caps_add_page_sizes(b, f->pgsize_bitmap ? IOASID_CAP_SRC_MEASURED :
				       IOASID_CAP_SRC_DERIVED, bitmap);
	if (!err)
		err = ioasid_caps_add_addr_width(b, IOASID_CAP_SRC_DERIVED, bits_of(ap_last),
						 v.out_bits ? v.out_bits : bits_of(ap_last));
	if (!err)
		err = ioasid_caps_add_pasid(b, IOASID_CAP_SRC_MEASURED, pasid_width);
	if (!err)
		err = ioasid_caps_add_iova_ranges(b, f->probed ? IOASID_CAP_SRC_MEASURED :
						  IOASID_CAP_SRC_DERIVED, ranges, n);
	if (!err)
		err = ioasid_caps_add_resv_regions(b, IOASID_CAP_SRC_MEASURED, sorted, f->nr_resv);
	if (!err)
		err = ioasid_caps_add_features(b, IOASID_CAP_SRC_DERIVED, feat, known);
	if (!err)
		err = add_vendor_cap(b, f);
	if (!err)
		err = ioasid_caps_builder_finish(b, &dev->caps, &dev->caps_len);
	if (err) {
		err = ioasid_err_prefix(ctx, err, "building the capability chain of %s", dev->name);
		goto out;
	}

	/* the core's properties: reserved regions that bind the IOAS */
	p->nr_resv = 0;
	p->resv = NULL;
	for (i = 0, n = 0; i < f->nr_resv; i++)
		if (sorted[i].type != IOASID_RESV_DIRECT_RELAXABLE)
			n++;
	if (n) {
		p->resv = ioasid_calloc(n, sizeof(*p->resv));
		if (!p->resv) {
			ioasid_caps_free(dev->caps);
			dev->caps = NULL;
			dev->caps_len = 0;
			err = ioasid_err(ctx, -ENOMEM, "out of memory for reserved regions");
			goto out;
		}
		for (i = 0; i < f->nr_resv; i++) {
			if (sorted[i].type == IOASID_RESV_DIRECT_RELAXABLE)
				continue;
			p->resv[p->nr_resv].start = sorted[i].start;
			p->resv[p->nr_resv].last = sorted[i].last;
			p->resv[p->nr_resv].type = sorted[i].type;
			p->nr_resv++;
		}
	}
	p->pgsize_bitmap = bitmap;
	p->aperture_start = ap_start;
	p->aperture_last = ap_last;
	p->pasid_width = pasid_width;
	p->pasid_hwpt = f->can_pasid && v.pasid_hwpt;
	p->pri = feat & IOASID_FEAT_PRI;
	p->ats = feat & IOASID_FEAT_ATS;
	p->nesting = feat & IOASID_FEAT_NESTING;
	p->dirty_tracking = feat & IOASID_FEAT_DIRTY_TRACKING;
	p->vendor_s1 = p->nesting ? v.vendor_s1 : 0;
	p->fl_levels = v.fl_levels;
	err = 0;
out:
	ioasid_caps_builder_free(b);
	ioasid_free(ranges);
	ioasid_free(sorted);
	return err;
}

/* ======================================================================
 * The backend
 * ====================================================================== */

struct ifd_ctx {
	int fd;
	bool own;
	ku_ioctl_fn ioctl;
	void *ioctl_data;
	ku_fault_io_fn fault_io;
	void *fault_io_data;
	char sysfs[PATH_MAX];
	char path[PATH_MAX];
};

struct ifd_ioas {
	uint32_t id; /* kernel IOAS id */
};

struct ifd_hwpt {
	/*
	 * Kernel HWPT id. For an automatic domain: the id the kernel reported
	 * at the last attach to the IOAS (0 before any).
	 */
	uint32_t id;
	bool autodom;
};

struct ifd_att {
	uint32_t pasid;
	struct ioasid_hwpt *hwpt;
};

struct ifd_dev {
	int fd;          /* the VFIO cdev; -1 for a selftest device */
	bool own_fd;
	uint32_t devid;
	/* a selftest (mock) device: its object, and where it parks unattached */
	bool mock;
	uint32_t stdev, park_ioas, park_hwpt, park_pt;
	struct ifd_att *att; /* what the kernel has attached, per PASID */
	uint32_t nr_att, cap_att;
	char cdev[64];
	char bdf[32];
};

/* A kernel fault queue (q->be); its fd is q->efd. */
struct ifd_fault {
	uint32_t id; /* kernel fault object id */
};

static struct ifd_ctx *ifd_of(struct ioasid_ctx *ctx)
{
	return ctx->be;
}

static int kioctl(struct ioasid_ctx *ctx, int fd, unsigned long req, void *arg)
{
	struct ifd_ctx *s = ifd_of(ctx);

	return s->ioctl(s->ioctl_data, fd, req, arg);
}

static uint32_t ioas_kid(const struct ioasid_ioas *ioas)
{
	return ioas->be ? ((const struct ifd_ioas *)ioas->be)->id : 0;
}

static uint32_t hwpt_kid(const struct ioasid_hwpt *h)
{
	return h->be ? ((const struct ifd_hwpt *)h->be)->id : 0;
}

int iommufd_set_ioctl_hook(struct ioasid_ctx *ctx, ku_ioctl_fn fn, void *data)
{
	if (!ctx || ctx->ops != &ioasid_iommufd_backend)
		return -EINVAL;
	ifd_of(ctx)->ioctl = fn ? fn : ku_sys_ioctl;
	ifd_of(ctx)->ioctl_data = data;
	return 0;
}

int iommufd_set_fault_io_hook(struct ioasid_ctx *ctx, ku_fault_io_fn fn, void *data)
{
	if (!ctx || ctx->ops != &ioasid_iommufd_backend)
		return -EINVAL;
	ifd_of(ctx)->fault_io = fn ? fn : ku_sys_fault_io;
	ifd_of(ctx)->fault_io_data = data;
	return 0;
}

int iommufd_set_sysfs_root(struct ioasid_ctx *ctx, const char *root)
{
	if (!ctx || ctx->ops != &ioasid_iommufd_backend || !root)
		return -EINVAL;
	snprintf(ifd_of(ctx)->sysfs, sizeof(ifd_of(ctx)->sysfs), "%s", root);
	return 0;
}

static int ifd_setup(struct ioasid_ctx *ctx, int fd, bool own, const char *path)
{
	struct ifd_ctx *s = ioasid_calloc(1, sizeof(*s));

	if (!s)
		return ioasid_err(ctx, -ENOMEM, "out of memory for the iommufd backend");
	s->fd = fd;
	s->own = own;
	s->ioctl = ku_sys_ioctl;
	s->fault_io = ku_sys_fault_io;
	snprintf(s->sysfs, sizeof(s->sysfs), "/sys");
	snprintf(s->path, sizeof(s->path), "%s", path);
	ctx->be = s;
	/*
	 * iommufd has no context-wide PASID width: take the widest of the
	 * host's IOMMUs as sysfs shows them (0 on an IOMMU without PASIDs,
	 * as QEMU's VT-d), PCIe's 20 bits when it shows none.
	 */
	ctx->pasid_width = (uint32_t)ku_host_pasid_width(s->sysfs);
	return 0;
}

/*
 * "iommufd:PATH" opens PATH as it is (another node of the same driver, or a
 * test's stand-in); only "iommufd" and an fd are checked to be /dev/iommu.
 */
static int iommufd_open(struct ioasid_ctx *ctx, const char *arg)
{
	const char *path = arg ? arg : "/dev/iommu";
	struct stat st;
	int fd, err;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		return ioasid_err(ctx, err, "iommufd: cannot open %s: %s%s", path, strerror(-err),
				  err == -ENOENT ? " (kernel without CONFIG_IOMMUFD?)" : "");
	}
	if (fstat(fd, &st) || !S_ISCHR(st.st_mode)) {
		close(fd);
		return ioasid_err(ctx, -ENODEV, "iommufd: %s is not a character device", path);
	}
	err = ifd_setup(ctx, fd, true, path);
	if (err)
		close(fd);
	return err;
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
	b = base_name(real);
	fmt(what, whatlen, "%s", strstr(real, "/devices/") ? strstr(real, "/devices/") + 9 : real);
	return !strcmp(b, name) && strstr(real, "/misc/");
}

static int iommufd_open_fd(struct ioasid_ctx *ctx, int fd, bool own)
{
	struct stat st;
	char path[32], what[128];

	if (fstat(fd, &st))
		return ioasid_err(ctx, -EBADF, "iommufd: fd %d: %s", fd, strerror(errno));
	if (!S_ISCHR(st.st_mode))
		return ioasid_err(ctx, -EINVAL, "iommufd: fd %d is not a character device (/dev/iommu)",
				  fd);
	if (!ku_is_misc_dev(st.st_rdev, "iommu", what, sizeof(what)))
		return ioasid_err(ctx, -EINVAL, "iommufd: fd %d is %s, not /dev/iommu", fd, what);
	snprintf(path, sizeof(path), "fd %d", fd);
	return ifd_setup(ctx, fd, own, path);
}

static void iommufd_close(struct ioasid_ctx *ctx)
{
	struct ifd_ctx *s = ifd_of(ctx);

	if (!s)
		return;
	if (s->own)
		close(s->fd);
	ioasid_free(s);
	ctx->be = NULL;
}

/* ---- IOAS ---- */

static int kdestroy(struct ioasid_ctx *ctx, uint32_t id)
{
	struct ku_iommu_destroy d = { .size = sizeof(d), .id = id };

	return kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_DESTROY, &d);
}

static int kioas_alloc(struct ioasid_ctx *ctx, uint32_t *ret)
{
	struct ku_iommu_ioas_alloc a = { .size = sizeof(a) };
	int err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_IOAS_ALLOC, &a);

	if (!err)
		*ret = a.out_ioas_id;
	return err;
}

static int iommufd_ioas_alloc(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas)
{
	struct ifd_ioas *k = ioasid_calloc(1, sizeof(*k));
	int err;

	if (!k)
		return ioasid_err(ctx, -ENOMEM, "out of memory for an IOAS");
	err = kioas_alloc(ctx, &k->id);
	if (err) {
		ioasid_free(k);
		return ioasid_err(ctx, err, "IOMMU_IOAS_ALLOC on %s: %s%s", ifd_of(ctx)->path,
				  strerror(-err),
				  err == -ENOTTY ? " (not an iommufd)" : "");
	}
	ioas->be = k;
	return 0;
}

static void iommufd_ioas_destroy(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas)
{
	int err;

	if (!ioas->be)
		return;
	err = kdestroy(ctx, ioas_kid(ioas));
	if (err)
		ioasid_log(ctx, IOASID_LOG_WARN, "IOMMU_DESTROY of kernel IOAS %u (IOAS %u): %s",
			   ioas_kid(ioas), ioas->obj.id, strerror(-err));
	ioasid_free(ioas->be);
	ioas->be = NULL;
}

static int iommufd_area_map(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
			    const struct iova_area *a)
{
	struct ku_iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = KU_IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = ioas_kid(ioas),
		.user_va = a->uva,
		.length = a->last - a->iova + 1,
		.iova = a->iova,
	};
	int err;

	if (a->cookie & IOASID_MAP_READ)
		m.flags |= KU_IOMMU_IOAS_MAP_READABLE;
	if (a->cookie & IOASID_MAP_WRITE)
		m.flags |= KU_IOMMU_IOAS_MAP_WRITEABLE;
	err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_IOAS_MAP, &m);
	if (err)
		return ioasid_err(ctx, err,
				  "IOMMU_IOAS_MAP of va 0x%llx at [0x%llx, 0x%llx] in IOAS %u: the kernel says %s",
				  X(a->uva), X(a->iova), X(a->last), ioas->obj.id, strerror(-err));
	return 0;
}

static void iommufd_area_unmap(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
			       const struct iova_area *a)
{
	struct ku_iommu_ioas_unmap u = {
		.size = sizeof(u),
		.ioas_id = ioas_kid(ioas),
		.iova = a->iova,
		.length = a->last - a->iova + 1,
	};
	int err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_IOAS_UNMAP, &u);

	if (err)
		ioasid_log(ctx, IOASID_LOG_ERR,
			   "IOMMU_IOAS_UNMAP of [0x%llx, 0x%llx] in IOAS %u failed: %s",
			   X(a->iova), X(a->last), ioas->obj.id, strerror(-err));
}

static int iommufd_ioas_set_option(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
				   enum ioasid_ioas_option opt, uint64_t val)
{
	struct ku_iommu_option o = {
		.size = sizeof(o),
		.option_id = KU_IOMMU_OPTION_HUGE_PAGES,
		.op = KU_IOMMU_OPTION_OP_SET,
		.object_id = ioas_kid(ioas),
		.val64 = val,
	};
	int err;

	if (opt != IOASID_IOAS_OPT_HUGE_PAGES)
		return ioasid_err(ctx, -EOPNOTSUPP, "IOAS option %d", (int)opt);
	err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_OPTION, &o);
	if (err)
		return ioasid_err(ctx, err, "IOMMU_OPTION huge_pages=%llu on IOAS %u: %s", X(val),
				  ioas->obj.id, strerror(-err));
	return 0;
}

/* ---- devices ---- */

static int att_set(struct ioasid_ctx *ctx, struct ifd_dev *d, uint32_t pasid,
		   struct ioasid_hwpt *h)
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

static struct ifd_att *att_get(struct ifd_dev *d, uint32_t pasid)
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

static int ktest(struct ioasid_ctx *ctx, struct ku_iommu_test_cmd *c)
{
	c->size = sizeof(*c);
	return kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_TEST_CMD, c);
}

/* A selftest device attaches through the selftest's own operations. */
static int kattach_mock(struct ioasid_ctx *ctx, struct ifd_dev *d, uint32_t pasid, uint32_t pt,
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
	c.op = att_get(d, pasid) ? KU_IOMMU_TEST_OP_PASID_REPLACE : KU_IOMMU_TEST_OP_PASID_ATTACH;
	c.pasid_attach.pasid = pasid;
	c.pasid_attach.pt_id = pt;
	err = ktest(ctx, &c);
	if (!err && ret_pt)
		*ret_pt = c.pasid_attach.pt_id;
	return err;
}

static int kdetach_mock(struct ioasid_ctx *ctx, struct ifd_dev *d, uint32_t pasid)
{
	struct ku_iommu_test_cmd c = { .id = d->stdev };

	if (pasid == IOASID_PASID_NONE)
		return kattach_mock(ctx, d, pasid, d->park_pt, NULL);
	c.op = KU_IOMMU_TEST_OP_PASID_DETACH;
	c.pasid_detach.pasid = pasid;
	return ktest(ctx, &c);
}

static int kattach(struct ioasid_ctx *ctx, struct ifd_dev *d, uint32_t pasid, uint32_t pt,
		   uint32_t *ret_pt)
{
	struct ku_vfio_device_attach_iommufd_pt a = {
		.argsz = sizeof(a),
		.pt_id = pt,
	};
	int err;

	if (d->mock)
		return kattach_mock(ctx, d, pasid, pt, ret_pt);
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
		return kdetach_mock(ctx, d, pasid);
	if (pasid != IOASID_PASID_NONE) {
		a.flags = KU_VFIO_DEVICE_DETACH_PASID;
		a.pasid = pasid;
	}
	return kioctl(ctx, d->fd, KU_VFIO_DEVICE_DETACH_IOMMUFD_PT, &a);
}

/*
 * The probe: attach the freshly bound device to an empty IOAS, read the
 * usable ranges and alignment the kernel then enforces, detach. Fills
 * @ranges (ioasid_malloc) on success; any failure just means "not probed".
 */
static bool probe_ranges(struct ioasid_ctx *ctx, struct ifd_dev *d, uint64_t *ret_align,
			 struct ioasid_iova_range **ret_ranges, uint32_t *ret_n)
{
	struct ku_iommu_ioas_iova_ranges q = { .size = sizeof(q) };
	struct ku_iommu_iova_range *kr = NULL;
	struct ioasid_iova_range *out;
	uint32_t kid, i;
	bool ok = false;
	int err;

	if (kioas_alloc(ctx, &kid))
		return false;
	err = kattach(ctx, d, IOASID_PASID_NONE, kid, NULL);
	if (err) {
		ioasid_log(ctx, IOASID_LOG_INFO, "probe attach of %s: %s", d->bdf, strerror(-err));
		goto out;
	}
	q.ioas_id = kid;
	err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_IOAS_IOVA_RANGES, &q);
	if (err == -EMSGSIZE && q.num_iovas && q.num_iovas < 4096) {
		kr = ioasid_calloc(q.num_iovas, sizeof(*kr));
		if (kr) {
			q.allowed_iovas = (uintptr_t)kr;
			err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_IOAS_IOVA_RANGES, &q);
		}
	}
	if (!err && q.num_iovas && kr) {
		out = ioasid_calloc(q.num_iovas, sizeof(*out));
		if (out) {
			for (i = 0; i < q.num_iovas; i++) {
				out[i].start = kr[i].start;
				out[i].last = kr[i].last;
			}
			*ret_ranges = out;
			*ret_n = q.num_iovas;
			*ret_align = q.out_iova_alignment;
			ok = true;
		}
	}
	kdetach(ctx, d, IOASID_PASID_NONE);
out:
	ioasid_free(kr);
	kdestroy(ctx, kid);
	return ok;
}

static int describe(struct ioasid_ctx *ctx, struct ioasid_dev *dev, struct ifd_dev *d,
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
	f.probed = probe_ranges(ctx, d, &f.alignment, &ranges, &f.nr_ranges);
	f.ranges = ranges;
	f.resv = sd->resv;
	f.nr_resv = sd->nr_resv;
	f.pci = sd->pci;
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
	fmt(d->cdev, sizeof(d->cdev), "%s", sd->cdev);
	fmt(d->bdf, sizeof(d->bdf), "%s", sd->bdf);
	err = kioctl(ctx, fd, KU_VFIO_DEVICE_BIND_IOMMUFD, &b);
	if (err) {
		ioasid_free(d);
		return ioasid_err(ctx, err, "VFIO_DEVICE_BIND_IOMMUFD of %s: %s%s", dev->name,
				  strerror(-err),
				  err == -EPERM ? " (no interrupt remapping? see iommufd.allow_unsafe_interrupts)" :
				  err == -EBUSY ? " (in use through its VFIO group?)" : "");
	}
	d->devid = b.out_devid;
	err = describe(ctx, dev, d, sd);
	if (err) {
		ioasid_free(d);
		return err;
	}
	dev->be = d;
	return 0;
}

static void mock_free(struct ioasid_ctx *ctx, struct ifd_dev *d)
{
	if (d->stdev)
		kdestroy(ctx, d->stdev);
	if (d->park_hwpt)
		kdestroy(ctx, d->park_hwpt);
	if (d->park_ioas)
		kdestroy(ctx, d->park_ioas);
}

/*
 * "iommufd-selftest[:pasid][,nodirty]": a device of the kernel's mock IOMMU
 * (CONFIG_IOMMUFD_TEST kernels only), for testing against the kernel
 * without hardware: PASIDs, dirty tracking, nest parents. It is created
 * bound, parked on a private IOAS (an HWPT allowing PASIDs for a PASID
 * device, as the kernel then wants every domain of the device to), and
 * attaches through the selftest's replace operations. It has no VFIO fd.
 */
static int bind_selftest(struct ioasid_ctx *ctx, struct ioasid_dev *dev, const char *opts)
{
	struct ku_iommu_test_cmd c = { .op = KU_IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS };
	struct ku_sysdev sd;
	struct ifd_dev *d;
	const char *p = opts;
	int err;

	while (p && *p) {
		size_t n = strcspn(p, ",");

		if (n == 5 && !strncmp(p, "pasid", 5))
			c.mock_domain_flags.dev_flags |= KU_MOCK_FLAGS_DEVICE_PASID;
		else if (n == 7 && !strncmp(p, "nodirty", 7))
			c.mock_domain_flags.dev_flags |= KU_MOCK_FLAGS_DEVICE_NO_DIRTY;
		else
			return ioasid_err(ctx, -EINVAL,
					  "selftest device option '%.*s' in '%s' (pasid, nodirty)",
					  (int)n, p, dev->name);
		p += n + (p[n] == ',');
	}
	d = ioasid_calloc(1, sizeof(*d));
	if (!d)
		return ioasid_err(ctx, -ENOMEM, "out of memory for device %s", dev->name);
	d->fd = -1;
	d->mock = true;
	snprintf(d->bdf, sizeof(d->bdf), "selftest");
	err = kioas_alloc(ctx, &d->park_ioas);
	if (err) {
		ioasid_free(d);
		return ioasid_err(ctx, err, "IOMMU_IOAS_ALLOC for %s: %s", dev->name, strerror(-err));
	}
	c.id = d->park_ioas;
	err = ktest(ctx, &c);
	if (err) {
		mock_free(ctx, d);
		ioasid_free(d);
		return ioasid_err(ctx, err == -ENOTTY ? -ENOENT : err,
				  "IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS for %s: %s%s", dev->name,
				  strerror(-err),
				  err == -ENOTTY ? " (a kernel without CONFIG_IOMMUFD_TEST)" : "");
	}
	d->stdev = c.mock_domain_flags.out_stdev_id;
	d->devid = c.mock_domain_flags.out_idev_id;
	d->park_pt = d->park_ioas;
	if (c.mock_domain_flags.dev_flags & KU_MOCK_FLAGS_DEVICE_PASID) {
		struct ku_iommu_hwpt_alloc a = {
			.size = sizeof(a), .flags = KU_IOMMU_HWPT_ALLOC_PASID, .dev_id = d->devid,
			.pt_id = d->park_ioas,
		};

		err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_HWPT_ALLOC, &a);
		if (!err) {
			d->park_hwpt = a.out_hwpt_id;
			d->park_pt = a.out_hwpt_id;
			err = kattach_mock(ctx, d, IOASID_PASID_NONE, d->park_pt, NULL);
		}
		if (err) {
			mock_free(ctx, d);
			ioasid_free(d);
			return ioasid_err(ctx, err, "parking the PASID selftest device %s: %s",
					  dev->name, strerror(-err));
		}
	}
	memset(&sd, 0, sizeof(sd));
	sd.group = -1;
	err = describe(ctx, dev, d, &sd);
	if (err) {
		mock_free(ctx, d);
		ioasid_free(d);
		return err;
	}
	dev->be = d;
	return 0;
}

#define SELFTEST_NAME "iommufd-selftest"

static int iommufd_dev_bind(struct ioasid_ctx *ctx, struct ioasid_dev *dev, const char *name)
{
	struct ifd_ctx *s = ifd_of(ctx);
	struct ku_sysdev sd;
	int fd, err;

	if (!strncmp(name, SELFTEST_NAME, strlen(SELFTEST_NAME)) &&
	    (!name[strlen(SELFTEST_NAME)] || name[strlen(SELFTEST_NAME)] == ':'))
		return bind_selftest(ctx, dev, name[strlen(SELFTEST_NAME)] ?
					       name + strlen(SELFTEST_NAME) + 1 : NULL);
	err = ku_resolve_name(ctx, s->sysfs, name, &sd);
	if (err)
		return err;
	if (!sd.cdev[0]) {
		char drv[PATH_MAX] = "", path[PATH_MAX];
		ssize_t n;

		fmt(path, sizeof(path), "%s/driver", sd.dir);
		n = readlink(path, drv, sizeof(drv) - 1);
		if (n > 0)
			drv[n] = '\0';
		err = ioasid_err(ctx, -ENOENT,
				 "%s has no VFIO device cdev (driver: %s); bind it to vfio-pci first",
				 name, n > 0 ? base_name(drv) : "none");
		goto out;
	}
	fd = open(sd.cdev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = ioasid_err(ctx, -errno, "opening %s (for %s): %s", sd.cdev, name,
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

static int iommufd_dev_bind_fd(struct ioasid_ctx *ctx, struct ioasid_dev *dev, int fd)
{
	struct ku_sysdev sd;
	int err;

	err = ku_sysdev_from_cdev_fd(ctx, ifd_of(ctx)->sysfs, fd, &sd);
	if (err)
		return err;
	/* named after its cdev, as if bound by that name */
	fmt(dev->name, sizeof(dev->name), "%s", sd.cdev[0] ? sd.cdev : sd.bdf);
	err = bind_common(ctx, dev, fd, false, &sd);
	ku_sysdev_free(&sd);
	return err;
}

static void iommufd_dev_unbind(struct ioasid_ctx *ctx, struct ioasid_dev *dev)
{
	struct ifd_dev *d = dev->be;

	if (!d)
		return;
	/*
	 * Closing the cdev unbinds it from the iommufd. A caller's fd
	 * (ioasid_dev_bind_fd()) stays bound until the caller closes it.
	 */
	if (d->mock)
		mock_free(ctx, d);
	else if (d->own_fd)
		close(d->fd);
	ioasid_free(d->att);
	ioasid_free(d);
	dev->be = NULL;
}

static int iommufd_dev_list(struct ioasid_ctx *ctx, struct ioasid_dev_entry *out,
			    uint32_t cap, uint32_t *total)
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

static int iommufd_dev_attach(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pasid,
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

static void iommufd_dev_detach(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pasid,
			       struct ioasid_hwpt *h)
{
	struct ifd_dev *d = dev->be;
	struct ifd_att *a = att_get(d, pasid);
	int err;

	/* replaced meanwhile: the new attachment stays */
	if (!a || a->hwpt != h)
		return;
	err = kdetach(ctx, d, pasid);
	if (err)
		ioasid_log(ctx, IOASID_LOG_ERR, "VFIO_DEVICE_DETACH_IOMMUFD_PT of %s PASID %d: %s",
			   dev->name, (int)pasid, strerror(-err));
	att_drop(d, pasid);
}

/* ---- HWPTs ---- */

static int iommufd_hwpt_alloc(struct ioasid_ctx *ctx, struct ioasid_hwpt *h,
			      struct ioasid_dev *dev)
{
	struct ku_iommu_hwpt_alloc a = { .size = sizeof(a) };
	struct ku_iommu_hwpt_vtd_s1 s1;
	struct ifd_dev *d = dev->be;
	struct ifd_hwpt *kh;
	int err;

	kh = ioasid_calloc(1, sizeof(*kh));
	if (!kh)
		return ioasid_err(ctx, -ENOMEM, "out of memory for an HWPT");
	/*
	 * An automatic domain: the kernel makes its own when the device
	 * attaches to the IOAS. Except where the library's automatic domain
	 * allows PASIDs (a PASID-capable device) or reports faults (an attach
	 * with a fault queue): the kernel's never do, so that one is a real
	 * IOMMU_HWPT_ALLOC with IOMMU_HWPT_ALLOC_PASID / FAULT_ID_VALID.
	 */
	if (h->autodom && !(h->flags & (IOASID_HWPT_PASID | IOASID_HWPT_FAULT_ID_VALID))) {
		kh->autodom = true;
		h->be = kh;
		return 0;
	}
	a.flags = h->flags & (KU_IOMMU_HWPT_ALLOC_NEST_PARENT | KU_IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
			      KU_IOMMU_HWPT_FAULT_ID_VALID | KU_IOMMU_HWPT_ALLOC_PASID);
	if (h->flags & IOASID_HWPT_FAULT_ID_VALID) {
		/* the core checked the queue: it exists and is a kernel queue */
		struct ioasid_fault_queue *q = h->fault_q;

		a.fault_id = q && q->be ? ((struct ifd_fault *)q->be)->id : 0;
	}
	a.dev_id = d->devid;
	if (hwpt_is_paging(h)) {
		a.pt_id = ioas_kid(h->ioas);
		a.data_type = KU_IOMMU_HWPT_DATA_NONE;
	} else if (h->type == IOASID_HWPT_NESTED_VTD_S1) {
		memset(&s1, 0, sizeof(s1));
		s1.flags = h->s1.flags;
		s1.pgtbl_addr = h->s1.pgtbl_addr;
		s1.addr_width = h->s1.addr_width;
		a.pt_id = hwpt_kid(h->parent);
		a.data_type = KU_IOMMU_HWPT_DATA_VTD_S1;
		a.data_len = sizeof(s1);
		a.data_uptr = (uintptr_t)&s1;
	} else {
		ioasid_free(kh);
		return ioasid_err(ctx, -EOPNOTSUPP, "HWPT type %u on iommufd", h->type);
	}
	err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_HWPT_ALLOC, &a);
	if (err) {
		ioasid_free(kh);
		return ioasid_err(ctx, err,
				  "IOMMU_HWPT_ALLOC (flags 0x%x, data type %u, fault id %u) for %s over kernel object %u: the kernel says %s",
				  a.flags, a.data_type, a.fault_id, dev->name, a.pt_id, strerror(-err));
	}
	kh->id = a.out_hwpt_id;
	h->be = kh;
	return 0;
}

static void iommufd_hwpt_destroy(struct ioasid_ctx *ctx, struct ioasid_hwpt *h)
{
	struct ifd_hwpt *kh = h->be;
	int err;

	if (!kh->autodom) {
		err = kdestroy(ctx, kh->id);
		if (err)
			ioasid_log(ctx, IOASID_LOG_WARN, "IOMMU_DESTROY of kernel HWPT %u (HWPT %u): %s",
				   kh->id, h->obj.id, strerror(-err));
	}
	ioasid_free(kh);
	h->be = NULL;
}

static int kinvalidate(struct ioasid_ctx *ctx, struct ioasid_hwpt *h, uint32_t data_type,
		       const void *entries, uint32_t entry_len, uint32_t *num)
{
	struct ku_iommu_hwpt_invalidate inv = {
		.size = sizeof(inv),
		.hwpt_id = hwpt_kid(h),
		.data_uptr = (uintptr_t)entries,
		.data_type = data_type,
		.entry_len = entry_len,
		.entry_num = *num,
	};
	int err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_HWPT_INVALIDATE, &inv);

	*num = inv.entry_num;
	return err;
}

static int iommufd_hwpt_invalidate(struct ioasid_ctx *ctx, struct ioasid_hwpt *h,
				   const struct ioasid_inv_req *req, uint64_t *ret_dropped)
{
	struct ku_iommu_hwpt_vtd_s1_invalidate e;
	uint32_t n = 1;
	int err;

	*ret_dropped = 0;
	/*
	 * The kernel keeps paging domains coherent itself, and owns the PASID
	 * table entries of nested ones: nothing to send. It does not say how
	 * many entries it dropped, so the count stays 0.
	 */
	if (hwpt_is_paging(h) || req->kind == IOASID_INV_PASID_CACHE)
		return 0;
	if (h->type != IOASID_HWPT_NESTED_VTD_S1)
		return ioasid_err(ctx, -EOPNOTSUPP, "invalidating HWPT type %u on iommufd", h->type);
	/*
	 * VT-d stage-1: one entry per request. A device-TLB request becomes
	 * an IOTLB one (the kernel flushes the device TLB with it); a PASID
	 * request covers the whole nested HWPT (its PASID is the kernel's).
	 */
	memset(&e, 0, sizeof(e));
	if (req->granularity == IOASID_INV_RANGE) {
		uint32_t shift = req->log2_pgsize - 12;

		e.addr = req->addr;
		e.npages = req->npages > (UINT64_MAX >> shift) ? UINT64_MAX : req->npages << shift;
	} else {
		e.addr = 0;
		e.npages = UINT64_MAX;
	}
	if (req->flags & IOASID_INV_LEAF)
		e.flags = KU_IOMMU_VTD_INV_FLAGS_LEAF;
	err = kinvalidate(ctx, h, KU_IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, &e, sizeof(e), &n);
	if (err)
		return ioasid_err(ctx, err,
				  "IOMMU_HWPT_INVALIDATE of HWPT %u (addr 0x%llx, 0x%llx pages): the kernel says %s",
				  h->obj.id, X(e.addr), X(e.npages), strerror(-err));
	return 0;
}

static int iommufd_hwpt_invalidate_raw(struct ioasid_ctx *ctx, struct ioasid_hwpt *h,
				       uint32_t data_type, const void *entries,
				       uint32_t entry_len, uint32_t *num)
{
	uint32_t want = *num;
	int err = kinvalidate(ctx, h, data_type, entries, entry_len, num);

	if (err)
		return ioasid_err(ctx, err,
				  "IOMMU_HWPT_INVALIDATE of HWPT %u (type %u, %u entries of %u bytes): entry %u refused: %s",
				  h->obj.id, data_type, want, entry_len, *num, strerror(-err));
	return 0;
}

static int iommufd_hwpt_set_dirty(struct ioasid_ctx *ctx, struct ioasid_hwpt *h, bool on)
{
	struct ku_iommu_hwpt_set_dirty_tracking s = {
		.size = sizeof(s),
		.flags = on ? KU_IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
		.hwpt_id = hwpt_kid(h),
	};
	int err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_HWPT_SET_DIRTY_TRACKING, &s);

	if (err)
		return ioasid_err(ctx, err, "IOMMU_HWPT_SET_DIRTY_TRACKING %s on HWPT %u: %s",
				  on ? "on" : "off", h->obj.id, strerror(-err));
	return 0;
}

static int iommufd_hwpt_get_dirty(struct ioasid_ctx *ctx, struct ioasid_hwpt *h, uint64_t iova,
				  uint64_t length, uint64_t page_size, uint64_t *bitmap,
				  bool clear)
{
	struct ku_iommu_hwpt_get_dirty_bitmap g = {
		.size = sizeof(g),
		.hwpt_id = hwpt_kid(h),
		.flags = clear ? 0 : KU_IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR,
		.iova = iova,
		.length = length,
		.page_size = page_size,
		.data = (uintptr_t)bitmap,
	};
	int err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_HWPT_GET_DIRTY_BITMAP, &g);

	if (err)
		return ioasid_err(ctx, err,
				  "IOMMU_HWPT_GET_DIRTY_BITMAP of HWPT %u [0x%llx, +0x%llx) per 0x%llx: %s",
				  h->obj.id, X(iova), X(length), X(page_size), strerror(-err));
	return 0;
}

/* ---- fault queues (kernel-uapi.md §1.4 IOMMU_FAULT_QUEUE_ALLOC, §1.5) ---- */

#define PGFAULT_SIZE ((uint32_t)sizeof(struct ku_iommu_hwpt_pgfault))
#define FAULT_READ_CHUNK 256u /* records per read(); a bigger group gets a bigger buffer */

static int iommufd_fault_alloc(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q, int *ret_fd)
{
	struct ku_iommu_fault_alloc a = { .size = sizeof(a) };
	struct ifd_fault *kq;
	int err, fd, fl;

	kq = ioasid_calloc(1, sizeof(*kq));
	if (!kq)
		return ioasid_err(ctx, -ENOMEM, "out of memory for fault queue %u", q->obj.id);
	err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_FAULT_QUEUE_ALLOC, &a);
	if (err) {
		ioasid_free(kq);
		return ioasid_err(ctx, err, "IOMMU_FAULT_QUEUE_ALLOC for fault queue %u: the kernel says %s%s",
				  q->obj.id, strerror(-err),
				  err == -ENOTTY ? " (a kernel before 6.11 has no fault queues)" : "");
	}
	kq->id = a.out_fault_id;
	fd = (int)a.out_fault_fd;
	/* the kernel makes it close-on-exec; reads never block, but say so */
	fl = fcntl(fd, F_GETFL);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) || fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK)) {
		err = -errno;
		close(fd);
		kdestroy(ctx, kq->id);
		ioasid_free(kq);
		return ioasid_err(ctx, err, "fault fd %d of kernel fault queue %u: fcntl: %s", fd,
				  a.out_fault_id, strerror(-err));
	}
	q->be = kq;
	*ret_fd = fd;
	return 0;
}

static void iommufd_fault_destroy(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q)
{
	struct ifd_fault *kq = q->be;
	int err;

	/* the open fd holds the kernel object: close it first */
	close(q->efd);
	q->efd = -1;
	err = kdestroy(ctx, kq->id);
	if (err)
		ioasid_log(ctx, IOASID_LOG_WARN,
			   "IOMMU_DESTROY of kernel fault queue %u (queue %u): %s%s", kq->id, q->obj.id,
			   strerror(-err), err == -EBUSY ? " (is a dup of its fd still open?)" : "");
	ioasid_free(kq);
	q->be = NULL;
}

static struct ioasid_dev *dev_by_kid(struct ioasid_ctx *ctx, uint32_t kid)
{
	struct ioasid_dev *dev;

	for (dev = dev_next(ctx, NULL); dev; dev = dev_next(ctx, dev))
		if (dev->be && ((struct ifd_dev *)dev->be)->devid == kid)
			return dev;
	return NULL;
}

/*
 * The HWPT a fault of (dev, pasid) came through: what is attached there,
 * or for a PASID without its own attachment the RID's domain (the kernel
 * routes there for nested domains with a user PASID table) — if it
 * reports to @q.
 */
static uint32_t fault_hwpt(struct ifd_dev *d, uint32_t pasid, const struct ioasid_fault_queue *q)
{
	struct ifd_att *a = att_get(d, pasid);

	if (!a && pasid != IOASID_PASID_NONE)
		a = att_get(d, IOASID_PASID_NONE);
	if (a && a->hwpt->fault_q == q)
		return a->hwpt->obj.id;
	return 0;
}

/* The kernel's device ids to the library's, and the HWPT where it can tell. */
static void fault_map_ids(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q,
			  struct ioasid_fault *f, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct ioasid_dev *dev = dev_by_kid(ctx, f[i].dev);

		if (!dev) {
			ioasid_log(ctx, IOASID_LOG_WARN,
				   "fault queue %u: a fault of kernel device %u, which this context has not bound",
				   q->obj.id, f[i].dev);
			f[i].dev = 0;
			f[i].hwpt = 0;
			continue;
		}
		f[i].dev = dev->obj.id;
		f[i].hwpt = fault_hwpt(dev->be, (f[i].flags & IOASID_FAULT_F_PASID_VALID) ?
						f[i].pasid : IOASID_PASID_NONE, q);
	}
}

/* Is a group waiting in the kernel queue (POLLIN)? */
static bool fault_fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/*
 * Groups the kernel handed out but that cannot be converted (a malformed
 * record): answer each INVALID by its raw cookie, so no device waits.
 */
static void fault_refuse_raw(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q,
			     const uint8_t *buf, size_t len)
{
	struct ifd_ctx *s = ifd_of(ctx);
	uint32_t last = 0;
	size_t off;

	for (off = 0; off + PGFAULT_SIZE <= len; off += PGFAULT_SIZE) {
		struct ku_iommu_hwpt_pgfault r;
		uint8_t resp[8];

		memcpy(&r, buf + off, sizeof(r));
		if (r.cookie == last || ioasid_fault_response_iommufd(r.cookie, IOASID_FAULT_INVALID,
								      resp))
			continue;
		last = r.cookie;
		s->fault_io(s->fault_io_data, q->efd, resp, sizeof(resp), true);
	}
}

/*
 * One read() of at most @want records into *@buf (grown as needed).
 * Return: the bytes read (whole groups only), 0 when nothing waits,
 * -EMSGSIZE when the first waiting group does not fit, or -errno. 7.x
 * kernels fail a read that cannot take the first group with EINVAL; older
 * ones return 0 while the fd stays readable: a second read that still
 * returns 0 tells "too big" from "it arrived just now".
 */
static ssize_t fault_read_once(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q,
			       uint8_t **buf, uint32_t *bufcap, uint32_t want)
{
	struct ifd_ctx *s = ifd_of(ctx);
	size_t len = (size_t)want * PGFAULT_SIZE;
	ssize_t r;

	if (!*buf || want > *bufcap) {
		uint8_t *nb = ioasid_malloc((size_t)IOASID_MAX(want, 1u) * PGFAULT_SIZE);

		if (!nb)
			return -ENOMEM;
		ioasid_free(*buf);
		*buf = nb;
		*bufcap = IOASID_MAX(want, 1u);
	}
	r = s->fault_io(s->fault_io_data, q->efd, *buf, len, false);
	if (r == 0 && fault_fd_readable(q->efd))
		r = s->fault_io(s->fault_io_data, q->efd, *buf, len, false) ?: -EINVAL;
	if (r == -EAGAIN)
		r = 0;
	return r == -EINVAL ? -EMSGSIZE : r;
}

static int iommufd_fault_read(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q,
			      struct ioasid_fault *out, uint32_t cap, uint32_t *ret_n)
{
	uint32_t n = 0, bufcap = 0, want, m;
	uint8_t *buf = NULL;
	ssize_t r;
	int err = 0;

	do {
		want = IOASID_MIN(cap - n, FAULT_READ_CHUNK);
		r = fault_read_once(ctx, q, &buf, &bufcap, want);
		/* a group above the chunk: once more with all the room there is */
		if (r == -EMSGSIZE && want < cap - n) {
			want = cap - n;
			r = fault_read_once(ctx, q, &buf, &bufcap, want);
		}
		if (r <= 0) {
			if (r == -EMSGSIZE && !n)
				err = ioasid_err(ctx, -EMSGSIZE,
						 "the next group of fault queue %u does not fit in %u record(s) (the kernel does not say how many it has)",
						 q->obj.id, cap);
			else if (r < 0 && r != -EMSGSIZE && !n)
				err = ioasid_err(ctx, (int)r, "reading fault queue %u (kernel queue %u): %s",
						 q->obj.id, ((struct ifd_fault *)q->be)->id,
						 strerror((int)-r));
			break;
		}
		m = cap - n;
		err = ioasid_fault_from_iommufd(buf, (size_t)r, out + n, &m);
		if (err) {
			char msg[IOASID_ERRMSG_MAX];

			snprintf(msg, sizeof(msg), "%s", ioasid_last_errmsg());
			fault_refuse_raw(ctx, q, buf, (size_t)r);
			err = n ? 0 : ioasid_err(ctx, -EPROTO,
						 "fault queue %u: the kernel handed out records the library cannot read (answered INVALID): %s",
						 q->obj.id, msg);
			break;
		}
		fault_map_ids(ctx, q, out + n, m);
		n += m;
		/* a short read: the kernel had no more that fit */
	} while (n < cap && (size_t)r == (size_t)want * PGFAULT_SIZE);
	ioasid_free(buf);
	*ret_n = n;
	return err;
}

static int iommufd_fault_respond(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q,
				 uint32_t kcookie, uint32_t code)
{
	struct ifd_ctx *s = ifd_of(ctx);
	uint8_t resp[8];
	ssize_t r;

	/* FAILURE goes as INVALID: iommufd has no Response Failure */
	if (ioasid_fault_response_iommufd(kcookie, code, resp))
		return -EINVAL;
	r = s->fault_io(s->fault_io_data, q->efd, resp, sizeof(resp), true);
	if (r == (ssize_t)sizeof(resp))
		return 0;
	return r < 0 ? (int)r : -EIO;
}

/* ---- handles ---- */

static int iommufd_ctx_fd(struct ioasid_ctx *ctx, int *ret_fd)
{
	*ret_fd = ifd_of(ctx)->fd;
	return 0;
}

static int iommufd_dev_fd(struct ioasid_ctx *ctx, struct ioasid_dev *dev, int *ret_fd)
{
	struct ifd_dev *d = dev->be;

	if (d->mock)
		return ioasid_err(ctx, -EOPNOTSUPP, "%s is a selftest device: it has no VFIO fd",
				  dev->name);
	*ret_fd = d->fd;
	return 0;
}

static int iommufd_obj_kernel_id(struct ioasid_ctx *ctx, struct ioasid_obj *obj,
				 uint32_t *ret_id)
{
	uint32_t id = 0;

	switch (obj->kind) {
	case IOASID_OBJ_IOAS:
		id = ioas_kid((struct ioasid_ioas *)obj);
		break;
	case IOASID_OBJ_DEV:
		id = ((struct ifd_dev *)((struct ioasid_dev *)obj)->be)->devid;
		break;
	case IOASID_OBJ_FAULT_QUEUE: {
		struct ioasid_fault_queue *q = (struct ioasid_fault_queue *)obj;

		id = q->be ? ((struct ifd_fault *)q->be)->id : 0;
		break;
	}
	case IOASID_OBJ_HWPT:
		id = hwpt_kid((struct ioasid_hwpt *)obj);
		if (!id)
			return ioasid_err(ctx, -ENOENT,
					  "HWPT %u is an automatic domain that no device has attached yet: it has no kernel object",
					  obj->id);
		break;
	default:
		return ioasid_err(ctx, -EOPNOTSUPP, "a %s has no iommufd object",
				  obj_kind_name(obj->kind));
	}
	*ret_id = id;
	return 0;
}

const struct ioasid_backend_ops ioasid_iommufd_backend = {
	.name = "iommufd",
	.kind = IOASID_BACKEND_IOMMUFD,
	.open = iommufd_open,
	.open_fd = iommufd_open_fd,
	.close = iommufd_close,
	.ioas_alloc = iommufd_ioas_alloc,
	.ioas_destroy = iommufd_ioas_destroy,
	.area_map = iommufd_area_map,
	.area_unmap = iommufd_area_unmap,
	.ioas_set_option = iommufd_ioas_set_option,
	.dev_bind = iommufd_dev_bind,
	.dev_bind_fd = iommufd_dev_bind_fd,
	.dev_unbind = iommufd_dev_unbind,
	.dev_list = iommufd_dev_list,
	.hwpt_alloc = iommufd_hwpt_alloc,
	.hwpt_destroy = iommufd_hwpt_destroy,
	.hwpt_invalidate = iommufd_hwpt_invalidate,
	.hwpt_invalidate_raw = iommufd_hwpt_invalidate_raw,
	.hwpt_set_dirty = iommufd_hwpt_set_dirty,
	.hwpt_get_dirty = iommufd_hwpt_get_dirty,
	.dev_attach = iommufd_dev_attach,
	.dev_detach = iommufd_dev_detach,
	.fault_alloc = iommufd_fault_alloc,
	.fault_destroy = iommufd_fault_destroy,
	.fault_read = iommufd_fault_read,
	.fault_respond = iommufd_fault_respond,
	.ctx_fd = iommufd_ctx_fd,
	.dev_fd = iommufd_dev_fd,
	.obj_kernel_id = iommufd_obj_kernel_id,
};
