/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the two Linux backends (backend/iommufd, backend/vfio) share, and
 * what the unit tests reach without a kernel:
 *
 *   ioctl.c     the system-call seam (ioctl, fault fd reads and writes)
 *   sysfs.c     a device's sysfs node, its IOMMU group's reserved regions,
 *               the registers of the host's IOMMUs, bind names
 *   pci.c       PCI extended capabilities, from config space
 *   describe.c  measured facts -> the device properties and capability
 *               chain the core keeps
 *
 * The kernel's structs and request numbers are in uapi.h.
 */
#ifndef IOASID_LINUX_H
#define IOASID_LINUX_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/dev-private.h"
#include "linux/uapi.h"

/* ---- the system-call seam (ioctl.c) ---- */

/*
 * The ioctl seam: each context calls the kernel through a function
 * pointer kept in its backend state (no global), so a unit test can answer
 * in the kernel's place (iommufd_set_ioctl_hook(), vfio_set_ioctl_hook()).
 * Returns 0 or a non-negative result, or -errno.
 */
typedef int (*ku_ioctl_fn)(void *data, int fd, unsigned long req, void *arg);

/* The default: ioctl(2), -errno on failure. */
int ku_sys_ioctl(void *data, int fd, unsigned long req, void *arg);

/*
 * The same seam for read(2)/write(2) on a fault queue's fd (@is_write picks
 * which): returns the byte count or -errno. The default is the system
 * call; a test's fake kernel answers with the kernel's semantics (whole
 * groups only, EINVAL for unknown cookies).
 */
typedef ssize_t (*ku_fault_io_fn)(void *data, int fd, void *buf, size_t len, bool is_write);

ssize_t ku_sys_fault_io(void *data, int fd, void *buf, size_t len, bool is_write);

/* ---- sysfs (sysfs.c) ---- */

/* snprintf() that says whether the result fit (and keeps gcc's checks quiet). */
bool ku_fmt(char *buf, size_t size, const char *f, ...) __attribute__((format(printf, 3, 4)));

/* The last component of the path @p. */
const char *ku_base_name(const char *p);

/* Is @s a decimal number of 1 to @max digits? */
bool ku_all_digits(const char *s, size_t max);

/*
 * The VFIO device cdev of the device whose sysfs directory is @devdir
 * (relative to the directory @dfd, or AT_FDCWD): its vfio-dev/vfioN entry,
 * as "/dev/vfio/devices/vfioN" in @out ("" when there is none).
 * Return: whether one was found.
 */
bool ku_vfio_cdev(int dfd, const char *devdir, char *out, size_t size);

/* Is char device @rdev the misc device @name ("iommu", "vfio")? @what
 * gets its sysfs name for a message. True when sysfs cannot tell. */
bool ku_is_misc_dev(dev_t rdev, const char *name, char *what, size_t whatlen);

/* Is @s a PCI address "DDDD:BB:DD.F" or "BB:DD.F"? */
bool ku_is_bdf(const char *s);

/*
 * Parse the text of /sys/kernel/iommu_groups/N/reserved_regions: lines of
 * "0xSTART 0xEND TYPE" (END inclusive; TYPE direct, direct-relaxable,
 * reserved or msi; an unknown TYPE counts as reserved). Fills up to @cap
 * regions into @out and the total into *@ret_n. Return: 0, -EINVAL for a
 * malformed line (the message in @err names the line and the text),
 * -EMSGSIZE when more than @cap regions were found (the first @cap and the
 * total are written).
 */
int ku_parse_resv_regions(const char *text, size_t len, struct ioasid_cap_resv_region *out,
			  uint32_t cap, uint32_t *ret_n, char *err, size_t errlen);

/* ---- PCI config space (pci.c) ---- */

/* PCI extended capabilities of a device, from its sysfs config file. */
struct ku_pci_feats {
	bool known; /* config space read: the three below are facts */
	bool ats;
	bool pri;
	bool pasid;
};

/*
 * Walk the PCI capability lists in @cfg (@len bytes of config space):
 * whether the device is PCIe, and its ATS, PRI and PASID extended
 * capabilities. A conventional PCI device (no PCIe capability) has none
 * of them, which is known from 64 bytes; a PCIe device needs the 4 KiB
 * extended space (root can read it), else the answer is unknown.
 */
void ku_pci_parse_config(const uint8_t *cfg, size_t len, struct ku_pci_feats *out);

/* ---- one device in sysfs (sysfs.c) ---- */

/*
 * Everything sysfs tells about one device, found from its sysfs directory
 * ("/sys/devices/pci0000:00/0000:00:01.0").
 */
struct ku_sysdev {
	char dir[PATH_MAX];                  /* the device's sysfs directory, "" if unknown */
	char bdf[32];                        /* its name, "0000:00:01.0" */
	char cdev[64];                       /* "/dev/vfio/devices/vfioN" or "" */
	int group;                           /* IOMMU group number, -1 if none */
	char iommu[32];                      /* the IOMMU instance ("dmar0"), "" if none */
	struct ioasid_cap_resv_region *resv; /* reserved regions (ioasid_malloc) */
	uint32_t nr_resv;
	bool resv_known; /* reserved_regions was read */
	struct ku_pci_feats pci;
	/* raw vendor registers sysfs exposes for the IOMMU instance */
	bool vtd_regs;
	uint64_t vtd_cap, vtd_ecap;
	bool amd_regs; /* amd-iommu/features: "EFR:EFR2" */
	uint64_t amd_efr, amd_efr2;
};

/*
 * Fill @sd for the device whose sysfs directory is @devdir (below @root).
 * Return: 0 or a negative errno with a message in @ctx.
 */
int ku_sysdev_read(struct ioasid_ctx *ctx, const char *root, const char *devdir,
		   struct ku_sysdev *sd);
/* The sysfs directory of the PCI device @bdf: "@root/bus/pci/devices/@bdf". */
int ku_sysdev_from_bdf(struct ioasid_ctx *ctx, const char *root, const char *bdf,
		       struct ku_sysdev *sd);
/* The device behind an open VFIO cdev fd (its char device number). */
int ku_sysdev_from_cdev_fd(struct ioasid_ctx *ctx, const char *root, int fd, struct ku_sysdev *sd);
void ku_sysdev_free(struct ku_sysdev *sd);

/* Resolve a bind name to a sysfs device: cdev path or PCI address. */
int ku_resolve_name(struct ioasid_ctx *ctx, const char *root, const char *name,
		    struct ku_sysdev *sd);

/*
 * The PASID width of the host's IOMMUs (the widest), from the registers
 * sysfs shows below @root (/sys/class/iommu/dmarN/intel-iommu/ecap,
 * .../ivhdN/amd-iommu/features); IOASID_PASID_MAX_WIDTH when it shows none.
 */
int ku_host_pasid_width(const char *root);

/* ---- facts -> device properties and capability chain (describe.c) ---- */

/* What the kernel and sysfs reported about one bound device. */
struct ku_dev_facts {
	/* IOMMU_GET_HW_INFO (iommufd) */
	bool hw_info;
	uint32_t hw_type; /* out_data_type */
	const void *data; /* vendor data, @data_len bytes */
	uint32_t data_len;
	uint8_t max_pasid_log2;
	uint64_t hw_caps; /* out_capabilities */
	/* a probe: the device attached to an empty address space */
	bool probed;
	uint64_t alignment;                     /* the IOVA alignment the kernel reported */
	const struct ioasid_iova_range *ranges; /* usable ranges it reported */
	uint32_t nr_ranges;
	uint64_t pgsize_bitmap; /* VFIO: iova_pgsizes, measured; 0 = none */
	/*
	 * Vendor registers from sysfs, used when the kernel gives no vendor
	 * data: VFIO has no hw_info, and iommufd answers type NONE for an AMD
	 * IOMMU built without CONFIG_AMD_IOMMU_IOMMUFD (distribution kernels).
	 */
	bool vtd_regs;
	uint64_t vtd_cap, vtd_ecap;
	bool amd_regs;
	uint64_t amd_efr, amd_efr2;
	/* sysfs */
	const struct ioasid_cap_resv_region *resv;
	uint32_t nr_resv;
	struct ku_pci_feats pci;
	bool coherent; /* the kernel enforces coherent DMA */
	/* what this backend can do at all (vfio: no nesting, PASID, dirty) */
	bool can_nest, can_pasid, can_dirty;
	uint64_t host_page_size;
	const char *bdf; /* sysfs: the device's name, its PCI address if it has one */
};

/* The facts sysfs gave about @sd (reserved regions, PCI, vendor registers, name) into @f. */
void ku_facts_from_sysdev(struct ku_dev_facts *f, const struct ku_sysdev *sd);

/*
 * Build the core's view of a device from @f: dev->props (page sizes,
 * aperture, reserved regions without relaxable ones, PASID width,
 * PRI/ATS, nesting, dirty tracking) and dev->caps / caps_len (the chain:
 * page sizes DERIVED, address widths DERIVED, PASID MEASURED, usable
 * ranges MEASURED or DERIVED, reserved regions MEASURED, features,
 * vendor registers MEASURED). On failure nothing is left allocated.
 */
int ku_dev_describe(struct ioasid_ctx *ctx, struct ioasid_dev *dev, const struct ku_dev_facts *f);

#endif /* IOASID_LINUX_H */
