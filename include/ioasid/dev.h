/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libioasid: devices — bind, information, attach and detach.
 *
 * A bound device is an object of the context. It is attached, with or
 * without a PASID, to an address space (through an implicit domain, as
 * iommufd makes an automatic HWPT) or to a hardware page table. The
 * kernel's rules hold on every backend (kernel-uapi.md §4.1, §4.2):
 *  - the address space's alignment becomes the largest smallest page size
 *    of its attached domains; a device whose page sizes conflict with an
 *    existing mapping, or whose reserved regions cover one, is refused with
 *    -EADDRINUSE and a message that names both;
 *  - usable IOVA = the attached apertures' intersection minus every
 *    reserved region; detach widens it again.
 */
#ifndef IOASID_DEV_H
#define IOASID_DEV_H

#include <stdbool.h>
#include <ioasid/ctx.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * ioasid_dev_bind() - bind a device to the context.
 * @ctx: the context.
 * @name: a sim device name ("sim0"), a VFIO cdev path
 *        ("/dev/vfio/devices/vfio0") or a PCI address ("0000:00:01.0").
 * @ret_dev: the device's id.
 * Return: 0; -ENOENT no such device; -EBUSY already bound in this
 * context; -EOPNOTSUPP when the backend cannot bind this kind of name.
 */
IOASID_EXPORT int ioasid_dev_bind(struct ioasid_ctx *ctx, const char *name,
				  uint32_t *ret_dev);

/**
 * ioasid_dev_bind_fd() - bind an already-open VFIO device fd.
 * @ctx: the context.
 * @fd: the VFIO cdev fd; the caller keeps it.
 * @ret_dev: the device's id.
 *
 * Only closing a cdev unbinds it in the kernel. So when the kernel bound
 * @fd but a later step failed (reading what the device is), the device
 * stays bound in the library too: the error comes back with *@ret_dev
 * set, to a device without a description (no capabilities, no page
 * sizes) that ioasid_dev_unbind() lets go of before the caller closes @fd.
 * Return: 0; -EBADF; -EOPNOTSUPP on backends without VFIO devices (sim);
 * the kernel's error of a later step, with *@ret_dev set.
 */
IOASID_EXPORT int ioasid_dev_bind_fd(struct ioasid_ctx *ctx, int fd,
				     uint32_t *ret_dev);

/* ioasid_bind_opts.flags */
#define IOASID_BIND_VF_TOKEN (1u << 0) /* bind with ioasid_bind_opts.vf_token */

/* Options of ioasid_dev_bind_opts() and ioasid_dev_bind_fd_opts(); see IOASID_OPTS_INIT(). */
struct ioasid_bind_opts {
	size_t sz;
	uint32_t flags; /* IOASID_BIND_* */
	/*
	 * With IOASID_BIND_VF_TOKEN: the VF token, a UUID in its 16 bytes
	 * (RFC 4122 order, as uuid_parse() writes it). An SR-IOV VF whose PF
	 * is bound to vfio-pci needs its PF's token; a PF with VFs in use
	 * needs the token they use, and one without sets it. The kernel
	 * refuses a token for any other device (-EINVAL).
	 */
	uint8_t vf_token[16];
};

/**
 * ioasid_dev_bind_opts() - ioasid_dev_bind() with options: a VF token.
 * @ctx: the context.
 * @name: as ioasid_dev_bind().
 * @opts: the options; NULL is ioasid_dev_bind().
 * @ret_dev: the device's id.
 *
 * The token goes to the kernel with VFIO_DEVICE_BIND_IOMMUFD's
 * FLAG_TOKEN (Linux 6.17+; kernel-uapi.md §2.1).
 * Return: as ioasid_dev_bind(); -EINVAL unknown @opts->flags, or the
 * kernel's refusal of a token for a device that is neither a VF nor a PF
 * with SR-IOV (a kernel before 6.17 refuses the flag so too); -EACCES a
 * token the PF did not set, or none where one is needed; -E2BIG a non-zero
 * unknown tail of @opts; -EOPNOTSUPP a token on a backend that binds
 * without iommufd (vfio, sim) or on the kernel's selftest devices.
 */
IOASID_EXPORT int ioasid_dev_bind_opts(struct ioasid_ctx *ctx, const char *name,
				       const struct ioasid_bind_opts *opts, uint32_t *ret_dev);

/**
 * ioasid_dev_bind_fd_opts() - ioasid_dev_bind_fd() with options: a VF token.
 * @ctx: the context.
 * @fd: as ioasid_dev_bind_fd().
 * @opts: as ioasid_dev_bind_opts(); NULL is ioasid_dev_bind_fd().
 * @ret_dev: the device's id.
 * Return: as ioasid_dev_bind_fd() and ioasid_dev_bind_opts().
 */
IOASID_EXPORT int ioasid_dev_bind_fd_opts(struct ioasid_ctx *ctx, int fd,
					  const struct ioasid_bind_opts *opts, uint32_t *ret_dev);

/**
 * ioasid_dev_unbind() - unbind a device.
 * @ctx: the context.
 * @dev: the device.
 * Return: 0; -ENOENT unknown device; -EBUSY while it is attached.
 */
IOASID_EXPORT int ioasid_dev_unbind(struct ioasid_ctx *ctx, uint32_t dev);

/**
 * ioasid_dev_fd() - the VFIO device fd behind a bound device, for regions
 * and interrupts. It stays owned by the library.
 * @ctx: the context.
 * @dev: the device.
 * @ret_fd: the fd.
 * Return: 0; -ENOENT; -EOPNOTSUPP when there is none (sim).
 */
IOASID_EXPORT int ioasid_dev_fd(struct ioasid_ctx *ctx, uint32_t dev,
				int *ret_fd);

/**
 * ioasid_dev_name() - the name the device was bound by.
 * @ctx: the context.
 * @dev: the device.
 * @buf: where to write it (NUL-terminated, truncated to @len).
 * @len: size of @buf.
 * Return: 0, or -ENOENT.
 */
IOASID_EXPORT int ioasid_dev_name(struct ioasid_ctx *ctx, uint32_t dev,
				  char *buf, size_t len);

/* Room for a PCI address "dddd:bb:dd.f" and its NUL. */
#define IOASID_PCI_ADDR_LEN 16

/**
 * ioasid_dev_pci_addr() - the PCI address of a bound device.
 * @ctx: the context.
 * @dev: the device.
 * @buf: where to write it, "dddd:bb:dd.f" (lower case) and a NUL.
 * @len: size of @buf; IOASID_PCI_ADDR_LEN is always enough.
 *
 * The address the device had when it was bound, whatever name or fd it
 * was bound by (a VFIO cdev path, an fd from the VMM's caller; the sim's
 * profile gives its devices one).
 *
 * Return: 0; -ENOENT unknown device; -ENODEV a device without one (the
 * kernel's selftest devices); -EMSGSIZE @len too small (nothing written);
 * -EINVAL @buf NULL.
 */
IOASID_EXPORT int ioasid_dev_pci_addr(struct ioasid_ctx *ctx, uint32_t dev, char *buf, size_t len);

/**
 * ioasid_dev_info() - the device's capability chain (caps.h).
 * @ctx: the context.
 * @dev: the device.
 * @buf: where to copy it (may be NULL when @len is 0).
 * @len: size of @buf.
 * @ret_len: the chain's full size.
 *
 * With IOMMU_GET_HW_INFO's rules: the first min(@len, full size) bytes of
 * the chain are copied, the rest of a larger @buf is zeroed, and *@ret_len
 * is the full size whatever @len was. So a caller asks with @len 0 (or a
 * buffer it hopes is big enough), and calls again with *@ret_len bytes if
 * that is more than it gave; a short buffer is not an error.
 * Return: 0; -ENOENT unknown device; -EINVAL @buf NULL with a non-zero
 * @len, or @ret_len NULL.
 */
IOASID_EXPORT int ioasid_dev_info(struct ioasid_ctx *ctx, uint32_t dev,
				  void *buf, size_t len, size_t *ret_len);

/*
 * Vendor data types of ioasid_dev_hw_info(): iommufd's enum
 * iommu_hw_info_type. DEFAULT asks for the IOMMU's own type.
 */
#define IOASID_HW_INFO_DEFAULT 0u
#define IOASID_HW_INFO_INTEL_VTD 1u      /* struct iommu_hw_info_vtd */
#define IOASID_HW_INFO_ARM_SMMUV3 2u     /* struct iommu_hw_info_arm_smmuv3 */
#define IOASID_HW_INFO_TEGRA241_CMDQV 3u /* struct iommu_hw_info_tegra241_cmdqv */
#define IOASID_HW_INFO_AMD 4u            /* struct iommu_hw_info_amd */
/* the kernel's test driver (CONFIG_IOMMUFD_TEST), for test rigs */
#define IOASID_HW_INFO_SELFTEST 0xfeedbeefu

/* What ioasid_dev_hw_info() tells beside the data. */
struct ioasid_hw_info {
	size_t sz;               /* sizeof as the caller was built (IOASID_OPTS_INIT()) */
	uint32_t data_type;      /* IOASID_HW_INFO_* of the data written */
	uint32_t data_len;       /* bytes of data the IOMMU has (may exceed the room given) */
	uint32_t max_pasid_log2; /* the device's PASID width; 0: none */
	uint64_t capabilities;   /* iommufd's IOMMU_HW_CAP_* bits */
};

/**
 * ioasid_dev_hw_info() - the IOMMU's raw hardware information for a
 * device, as IOMMU_GET_HW_INFO reports it, in a vendor data type the
 * caller may name (Linux 6.17+: IOMMU_HW_INFO_FLAG_INPUT_TYPE).
 * @ctx: the context.
 * @dev: the device.
 * @data_type: IOASID_HW_INFO_DEFAULT for the IOMMU's own type, else the
 *             type wanted (an SMMUv3 with CMDQV reports either its
 *             SMMUv3 registers or its CMDQV ones).
 * @data: where the data goes (may be NULL when @len is 0).
 * @len: room at @data; the kernel's rules: what fits is written, the rest
 *       of a larger buffer is zeroed, @ret_info->data_len is the full size.
 * @ret_info: type, full length, PASID width and capabilities; filled up
 *            to its @sz.
 *
 * ioasid_dev_info() gives the same facts decoded; this is for a VMM that
 * hands a vendor's registers to its vIOMMU model unchanged.
 *
 * Return: 0; -ENOENT unknown device; -EINVAL @data NULL with a non-zero
 * @len, @ret_info NULL or its @sz too small; -EOPNOTSUPP a type the
 * IOMMU does not report (the driver's answer; a kernel before 6.17
 * refuses the flag so too), a backend without raw hardware info (vfio,
 * sim: the message names the feature).
 */
IOASID_EXPORT int ioasid_dev_hw_info(struct ioasid_ctx *ctx, uint32_t dev, uint32_t data_type,
				     void *data, uint32_t len, struct ioasid_hw_info *ret_info);

/* Options of ioasid_dev_attach(); see IOASID_OPTS_INIT(). */
struct ioasid_attach_opts {
	size_t sz;
	/*
	 * The set acting (required for a PASID attach: the PASID must be
	 * allocated to it, else -EPERM); 0 = none. A library rule: the kernel
	 * has no sets.
	 */
	uint32_t set;
	uint32_t flags; /* none defined yet: must be 0 */
	/*
	 * For an IOAS attach: the fault queue the automatic domain reports
	 * I/O page faults to (fault.h); 0 = none. For an HWPT attach the queue
	 * is the HWPT's own (IOASID_HWPT_FAULT_ID_VALID) and this must be 0.
	 */
	uint32_t fault_queue;
	uint32_t __reserved;
};

/**
 * ioasid_dev_attach() - attach (device, PASID) to an address space or a
 * hardware page table.
 * @ctx: the context.
 * @dev: the device.
 * @pasid: IOASID_PASID_NONE for requests without PASID, else a PASID.
 * @pt: an IOAS or HWPT id.
 * @opts: options or NULL.
 *
 * The kernel's PASID rule (kernel-uapi.md §1.4): a PASID goes only onto
 * an HWPT allocated with IOASID_HWPT_PASID, and only while the RID has no
 * domain or one that allows PASIDs; while a PASID is attached, the RID's
 * domain must allow PASIDs too. An IOAS's automatic domain never does (as
 * iommufd's), so a PASID cannot be attached to an IOAS, and a device using
 * PASIDs has its RID on an IOASID_HWPT_PASID HWPT as well. A device
 * without PASIDs takes no PASID attach (-EINVAL, as the kernel answers for
 * its selftest's device). Deliberately one answer on every backend: for a
 * PCI device without the PASID capability Linux's VT-d driver would take
 * the attach and program a PASID the device can never send.
 *
 * Return: 0; -ENOENT unknown device or @pt; -EBUSY (dev, PASID) is already
 * attached; -EADDRINUSE conflicts with existing mappings (page sizes or
 * reserved regions; the message names both sides); -EINVAL a @pt that is
 * neither an IOAS nor an HWPT, a breach of the PASID rule, PASID 0, a
 * PASID on a device without PASIDs or at or above its PASID count, or a
 * bad option; -EPERM a PASID that the acting set does not hold.
 */
IOASID_EXPORT int ioasid_dev_attach(struct ioasid_ctx *ctx, uint32_t dev,
				    uint32_t pasid, uint32_t pt,
				    const struct ioasid_attach_opts *opts);

/**
 * ioasid_dev_detach() - detach (device, PASID). As in the kernel,
 * detaching what is not attached succeeds and changes nothing.
 * @ctx: the context.
 * @dev: the device.
 * @pasid: IOASID_PASID_NONE or the PASID.
 * Return: 0; -ENOENT unknown device; the kernel's errno when it refuses
 * the detach (iommufd: VFIO_DEVICE_DETACH_IOMMUFD_PT): the attachment
 * stays, in the kernel and in the library, and the call may be retried.
 */
IOASID_EXPORT int ioasid_dev_detach(struct ioasid_ctx *ctx, uint32_t dev,
				    uint32_t pasid);

/**
 * ioasid_dev_replace() - atomically move (device, PASID) to another IOAS or
 * HWPT; pending page requests of the old one are answered INVALID.
 * @ctx: the context.
 * @dev: the device.
 * @pasid: IOASID_PASID_NONE or the PASID.
 * @pt: the new IOAS or HWPT.
 * @opts: as for ioasid_dev_attach().
 * A replace onto the domain (device, PASID) is on already -- the same
 * HWPT, or an IOAS whose automatic domain it is on -- succeeds and changes
 * nothing, in the kernel and in the library, as the kernel's own replace.
 *
 * On the vfio backend (VFIO type-1 has no atomic replace) the group leaves
 * its container and joins the new one, and the device fd changes; when
 * that fails part-way, the group goes back, its old container's IOMMU and
 * mappings rebuilt if it was the last group there. A replay that the
 * module's dma_entry_limit (as sysfs shows it) would refuse is refused
 * before the group leaves (-ENOSPC).
 *
 * Return: as ioasid_dev_attach(), and -EINVAL when nothing was attached
 * there (the kernel's answer); -ENOSPC on vfio when the new IOAS has more
 * mappings than a type-1 IOMMU takes; on failure the old attachment
 * stays, except on vfio when the kernel refuses the way back too (the
 * message says so): then the device is detached, in the kernel and in
 * the library.
 */
IOASID_EXPORT int ioasid_dev_replace(struct ioasid_ctx *ctx, uint32_t dev,
				     uint32_t pasid, uint32_t pt,
				     const struct ioasid_attach_opts *opts);

/**
 * ioasid_dev_attached() - what (device, PASID) is attached to.
 * @ctx: the context.
 * @dev: the device.
 * @pasid: IOASID_PASID_NONE or the PASID.
 * @ret_pt: the IOAS or HWPT id.
 * Return: 0; -ENOENT when nothing is attached there.
 */
IOASID_EXPORT int ioasid_dev_attached(struct ioasid_ctx *ctx, uint32_t dev,
				      uint32_t pasid, uint32_t *ret_pt);

/* One device the backend can offer, as ioasid_dev_list() reports it. */
struct ioasid_dev_entry {
	char name[64];        /* what ioasid_dev_bind() takes */
	char bdf[32];         /* PCI address, "" if none */
	char iommu[32];       /* IOMMU type: "vtd", "smmuv3", "amd", ... */
	char driver[32];      /* the bound driver ("vfio-pci"; "sim" on the sim) */
	char group[32];       /* IOMMU group / VFIO cdev path, "" if none */
	uint32_t bound;       /* id when bound in this context, else 0 */
	uint32_t __reserved;
};

/**
 * ioasid_dev_list() - the devices this context's backend offers.
 * @ctx: the context.
 * @out: array of *@inout_num entries (may be NULL when *@inout_num is 0).
 * @inout_num: in: capacity; out: the total number.
 * Return: 0; -EMSGSIZE when the array was too small (the first entries
 * and the total are written).
 */
IOASID_EXPORT int ioasid_dev_list(struct ioasid_ctx *ctx,
				  struct ioasid_dev_entry *out, uint32_t *inout_num);

/**
 * ioasid_host_devices() - scan this host, without a context, for PCI
 * devices behind an IOMMU: sysfs IOMMU groups, each device's IOMMU type and
 * driver, and its VFIO cdev (/dev/vfio/devices/vfioN) when a VFIO driver
 * has it; sorted by PCI address.
 * @out: array of *@inout_num entries (may be NULL when *@inout_num is 0).
 * @inout_num: in: capacity; out: the total number.
 * Return: 0; -EMSGSIZE as ioasid_dev_list(); -ENOMEM.
 */
IOASID_EXPORT int ioasid_host_devices(struct ioasid_dev_entry *out,
				      uint32_t *inout_num);

/**
 * ioasid_dev_bar_dmabuf() - export a range of a bound device's BAR as a
 * dma-buf (VFIO_DEVICE_FEATURE_DMA_BUF, kernel-uapi.md §2.3), to map it
 * with ioasid_ioas_map_file() into the IOAS of another device: DMA from
 * that device then reaches this one's BAR (peer-to-peer).
 * @ctx: the context.
 * @dev: the device (a VFIO PCI device).
 * @bar: the BAR (0-5).
 * @offset: first byte in the BAR, page-aligned.
 * @length: bytes, page-aligned, not 0.
 * @ret_fd: the dma-buf's new fd (close-on-exec); the caller closes it.
 *
 * vfio-pci revokes the dma-buf when the device is reset, its memory
 * decoding turned off or its fd closed; when the library unbinds @dev it
 * marks the areas over the buffer revoked (ioasid_dmabuf_revoked()).
 * Return: 0; -ENOENT unknown device; -EOPNOTSUPP on the sim (no BARs)
 * and the vfio backend; the kernel's errno otherwise: -ENOTTY when the
 * kernel lacks the feature (CONFIG_VFIO_PCI_DMABUF, which needs
 * CONFIG_PCI_P2PDMA), -ENODEV for a region that is not a BAR, -EINVAL for
 * a length of 0 or an unaligned range.
 */
IOASID_EXPORT int ioasid_dev_bar_dmabuf(struct ioasid_ctx *ctx, uint32_t dev, uint32_t bar,
					uint64_t offset, uint64_t length, int *ret_fd);

/**
 * ioasid_host_devices_at() - ioasid_host_devices() with sysfs read below
 * @sysfs_root instead of /sys (a container's copy, or a test's tree).
 * @sysfs_root: the directory that stands for /sys.
 * @out: array of *@inout_num entries (may be NULL when *@inout_num is 0).
 * @inout_num: in: capacity; out: the total number.
 * Return: as ioasid_host_devices(); 0 with no entry when @sysfs_root has
 * no bus/pci/devices; -EINVAL for a NULL @sysfs_root; -ENAMETOOLONG when
 * the path does not fit PATH_MAX.
 */
IOASID_EXPORT int ioasid_host_devices_at(const char *sysfs_root, struct ioasid_dev_entry *out,
					 uint32_t *inout_num);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_DEV_H */
