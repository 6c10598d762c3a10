/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libioasid: a virtio-iommu device back-end (virtio device 23).
 *
 * A VMM that offers its guest a virtio-iommu device hands this object the
 * guest's requests as they come off the request virtqueue, lets it answer
 * config-space accesses, and drains its event records into the event
 * virtqueue. The object turns them into libioasid operations, using only
 * the public API, so it works on every backend:
 *
 *   virtio-iommu              libioasid
 *   ------------------------  --------------------------------------------
 *   endpoint                  a bound device (registered by the VMM)
 *   domain                    an IOAS, made on the first ATTACH and
 *                             destroyed with its last endpoint
 *   ATTACH / DETACH           ioasid_dev_attach() / ioasid_dev_replace()
 *   MAP / UNMAP               ioasid_ioas_map() (fixed IOVA) / _unmap()
 *   PROBE                     the device's capability chain (caps.h)
 *   fault event               a record of the virtio-iommu's fault queue (fault.h)
 *
 * Wire format: every multi-byte field on the virtqueues and in config
 * space is little-endian, whatever the host; the layouts are those of the
 * virtio specification (docs/virtio-iommu.md has the byte maps). A request
 * may reach the device split into any number of iovec segments at any byte
 * boundary; the library gathers what it reads and checks every length
 * before it reads a field.
 *
 * Two libioasid extensions, each behind a feature bit that the device
 * offers only when the VMM asks for it (IOASID_VIRTIO_IOMMU_EXT_*) and that
 * takes effect only when the driver acknowledges it; neither number is in
 * the virtio specification:
 *  - IOASID_VIRTIO_IOMMU_F_PROBE_PGSIZE (feature bit 22): PROBE reports a
 *    per-endpoint PAGE_SIZE_MASK property (type 0x801);
 *  - IOASID_VIRTIO_IOMMU_F_FAULT_EXT (feature bit 23): 48-byte fault
 *    records with PASID, page-request group and private data, and the
 *    PAGE_RESP request (type 0x81) that answers page requests.
 *
 * Threading: one object may be used from several threads (request queue,
 * event queue, config space); its calls are serialized by its own lock,
 * which is taken before the context's. The translate callback runs with
 * that lock held and must not call back into the object.
 */
#ifndef IOASID_VIRTIO_IOMMU_H
#define IOASID_VIRTIO_IOMMU_H

#include <stdbool.h>
#include <sys/uio.h>

#include <ioasid/common.h>
#include <ioasid/ctx.h>
#include <ioasid/caps.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- wire constants of the virtio specification (kernel-uapi.md §3) ---- */

/* Request types (byte 0 of every request). */
#define IOASID_VIRTIO_IOMMU_T_ATTACH 1
#define IOASID_VIRTIO_IOMMU_T_DETACH 2
#define IOASID_VIRTIO_IOMMU_T_MAP    3
#define IOASID_VIRTIO_IOMMU_T_UNMAP  4
#define IOASID_VIRTIO_IOMMU_T_PROBE  5

/* Status codes (byte 0 of the tail). */
#define IOASID_VIRTIO_IOMMU_S_OK     0
#define IOASID_VIRTIO_IOMMU_S_IOERR  1
#define IOASID_VIRTIO_IOMMU_S_UNSUPP 2
#define IOASID_VIRTIO_IOMMU_S_DEVERR 3
#define IOASID_VIRTIO_IOMMU_S_INVAL  4
#define IOASID_VIRTIO_IOMMU_S_RANGE  5
#define IOASID_VIRTIO_IOMMU_S_NOENT  6
#define IOASID_VIRTIO_IOMMU_S_FAULT  7
#define IOASID_VIRTIO_IOMMU_S_NOMEM  8
#define IOASID_VIRTIO_IOMMU_S_MAX    8

/* ATTACH flags. */
#define IOASID_VIRTIO_IOMMU_ATTACH_F_BYPASS (1u << 0)

/* MAP flags. */
#define IOASID_VIRTIO_IOMMU_MAP_F_READ  (1u << 0)
#define IOASID_VIRTIO_IOMMU_MAP_F_WRITE (1u << 1)
#define IOASID_VIRTIO_IOMMU_MAP_F_MMIO  (1u << 2)

/* PROBE property types (low 12 bits of the property's type field). */
#define IOASID_VIRTIO_IOMMU_PROBE_T_NONE     0
#define IOASID_VIRTIO_IOMMU_PROBE_T_RESV_MEM 1
#define IOASID_VIRTIO_IOMMU_PROBE_T_MASK     0xfffu

/* RESV_MEM subtypes; an unknown subtype is to be treated as RESERVED. */
#define IOASID_VIRTIO_IOMMU_RESV_MEM_T_RESERVED 0
#define IOASID_VIRTIO_IOMMU_RESV_MEM_T_MSI      1

/* Fault reasons and flags (struct virtio_iommu_fault). */
#define IOASID_VIRTIO_IOMMU_FAULT_R_UNKNOWN 0
#define IOASID_VIRTIO_IOMMU_FAULT_R_DOMAIN  1
#define IOASID_VIRTIO_IOMMU_FAULT_R_MAPPING 2
#define IOASID_VIRTIO_IOMMU_FAULT_F_READ    (1u << 0)
#define IOASID_VIRTIO_IOMMU_FAULT_F_WRITE   (1u << 1)
#define IOASID_VIRTIO_IOMMU_FAULT_F_EXEC    (1u << 2)
#define IOASID_VIRTIO_IOMMU_FAULT_F_ADDRESS (1u << 8)

/* Sizes of the wire structs (whole request: head + body + tail). */
#define IOASID_VIRTIO_IOMMU_CONFIG_SIZE     40
#define IOASID_VIRTIO_IOMMU_HEAD_SIZE       4
#define IOASID_VIRTIO_IOMMU_TAIL_SIZE       4
#define IOASID_VIRTIO_IOMMU_REQ_ATTACH_SIZE 24 /* device-readable 20 */
#define IOASID_VIRTIO_IOMMU_REQ_DETACH_SIZE 24 /* device-readable 20 */
#define IOASID_VIRTIO_IOMMU_REQ_MAP_SIZE    40 /* device-readable 36 */
#define IOASID_VIRTIO_IOMMU_REQ_UNMAP_SIZE  32 /* device-readable 28 */
#define IOASID_VIRTIO_IOMMU_REQ_PROBE_SIZE  76 /* readable 72, + probe_size + tail */
#define IOASID_VIRTIO_IOMMU_PROP_HEAD_SIZE  4
#define IOASID_VIRTIO_IOMMU_PROP_RESV_MEM_SIZE 24 /* length field 20 */
#define IOASID_VIRTIO_IOMMU_FAULT_SIZE      24

/* Byte offsets of struct virtio_iommu_config. */
#define IOASID_VIRTIO_IOMMU_CFG_PAGE_SIZE_MASK 0
#define IOASID_VIRTIO_IOMMU_CFG_INPUT_START    8
#define IOASID_VIRTIO_IOMMU_CFG_INPUT_END      16
#define IOASID_VIRTIO_IOMMU_CFG_DOMAIN_START   24
#define IOASID_VIRTIO_IOMMU_CFG_DOMAIN_END     28
#define IOASID_VIRTIO_IOMMU_CFG_PROBE_SIZE     32
#define IOASID_VIRTIO_IOMMU_CFG_BYPASS         36

/* ---- libioasid extensions (not in the virtio specification) ---- */

/*
 * Feature bit 22: PROBE carries a PAGE_SIZE_MASK property per endpoint, and
 * a domain takes the page sizes of its first endpoint. The bit is the top
 * of the device-specific range 0..23 (valid in every virtio version), as
 * far as possible from the bits the specification allocates upwards from 0.
 */
#define IOASID_VIRTIO_IOMMU_F_PROBE_PGSIZE_BIT 22
#define IOASID_VIRTIO_IOMMU_F_PROBE_PGSIZE \
	(UINT64_C(1) << IOASID_VIRTIO_IOMMU_F_PROBE_PGSIZE_BIT)

/*
 * PROBE property type 0x801, PAGE_SIZE_MASK: 16 bytes, length field 12.
 *   0  le16 type (0x801)   2  le16 length (12)
 *   4  u8 reserved[4]      8  le64 page_size_mask (never 0; full 64 bits)
 * Property types 0x800..0xfff are left alone by the specification's
 * allocations so far; libioasid takes its numbers from there.
 */
#define IOASID_VIRTIO_IOMMU_PROBE_T_PAGE_SIZE_MASK 0x801
#define IOASID_VIRTIO_IOMMU_PROP_PGSIZE_SIZE       16 /* length field 12 */

/*
 * Feature bit 23: extended fault records and page responses.
 *
 * Extended record, 48 bytes; the first 24 are struct virtio_iommu_fault
 * unchanged (so `endpoint` stays at offset 8), the rest is appended:
 *   24 le32 pasid        (with FAULT_F_PASID)
 *   28 le16 grpid        (with FAULT_F_GRPID: the PCIe page request group)
 *   30 le16 reserved     (0)
 *   32 le64 private_data[0], 40 le64 private_data[1] (with FAULT_F_PRIV_DATA)
 */
#define IOASID_VIRTIO_IOMMU_F_FAULT_EXT_BIT 23
#define IOASID_VIRTIO_IOMMU_F_FAULT_EXT \
	(UINT64_C(1) << IOASID_VIRTIO_IOMMU_F_FAULT_EXT_BIT)
#define IOASID_VIRTIO_IOMMU_FAULT_EXT_SIZE 48
#define IOASID_VIRTIO_IOMMU_FAULT_F_PRIV      (1u << 3)  /* privileged access */
#define IOASID_VIRTIO_IOMMU_FAULT_F_PASID     (1u << 9)  /* pasid is valid */
#define IOASID_VIRTIO_IOMMU_FAULT_F_GRPID     (1u << 10) /* grpid is valid */
#define IOASID_VIRTIO_IOMMU_FAULT_F_PRIV_DATA (1u << 11) /* private_data valid */
#define IOASID_VIRTIO_IOMMU_FAULT_F_LAST      (1u << 12) /* last of its group */
#define IOASID_VIRTIO_IOMMU_FAULT_F_PAGE_REQ  (1u << 13) /* needs a PAGE_RESP */

/*
 * Request PAGE_RESP (type 0x81), 28 bytes, device-readable 24: answers the
 * page request group (endpoint, pasid, grpid), once, after its LAST record.
 *   0  head (type 0x81)    4  le32 endpoint     8  le32 pasid
 *   12 le32 flags (PAGE_RESP_F_PASID: pasid is valid)
 *   16 le16 grpid          18 le16 code (0 SUCCESS, 1 INVALID, 2 FAILURE:
 *                                        enum ioasid_fault_code)
 *   20 u8 reserved[4]      24 tail
 * Without the feature the type is unknown to the device.
 */
#define IOASID_VIRTIO_IOMMU_T_PAGE_RESP        0x81
#define IOASID_VIRTIO_IOMMU_REQ_PAGE_RESP_SIZE 28
#define IOASID_VIRTIO_IOMMU_PAGE_RESP_F_PASID  (1u << 0)

/* ---- the device object ---- */

struct ioasid_virtio_iommu;

/* Flags of struct ioasid_virtio_iommu_opts. */
#define IOASID_VIRTIO_IOMMU_EXT_PGSIZE_MASK (1u << 0) /* offer feature bit 22 */
#define IOASID_VIRTIO_IOMMU_EXT_FAULT       (1u << 1) /* offer feature bit 23 */
#define IOASID_VIRTIO_IOMMU_MMIO            (1u << 2) /* MAP_F_MMIO: offer F_MMIO */
#define IOASID_VIRTIO_IOMMU_BOOT_BYPASS     (1u << 3) /* config bypass is 1 at reset */
#define IOASID_VIRTIO_IOMMU_DOMAIN_RANGE    (1u << 4) /* domain_start/end are set */
#define IOASID_VIRTIO_IOMMU_INPUT_RANGE     (1u << 5) /* input_start/end are set */

/* Flag of a guest memory region and of a translation: device memory. */
#define IOASID_VIRTIO_IOMMU_MEM_MMIO (1u << 0)

/*
 * One region of guest-physical memory and where it lives in the VMM.
 * Regions must not overlap; adjacent regions contiguous in both spaces act
 * as one.
 */
struct ioasid_virtio_iommu_mem {
	uint64_t gpa;
	uint64_t size;
	void *hva;
	uint32_t flags; /* IOASID_VIRTIO_IOMMU_MEM_MMIO for device memory */
	uint32_t __reserved;
};

/**
 * typedef ioasid_virtio_iommu_translate_fn - guest-physical to VMM address.
 * @data: the opts' translate_data.
 * @gpa: first guest-physical address.
 * @size: bytes, >= 1.
 * @flags: IOASID_VIRTIO_IOMMU_MEM_MMIO when the guest asked for device memory.
 * @ret_hva: where [@gpa, @gpa + @size) starts in the VMM, contiguous.
 *
 * Runs with the virtio-iommu's lock held: it must not call back into it.
 * Return: 0, or -EFAULT when the range is not (contiguous) guest memory of
 * that kind; the request then ends with status FAULT.
 */
typedef int (*ioasid_virtio_iommu_translate_fn)(void *data, uint64_t gpa,
					  uint64_t size, uint32_t flags,
					  void **ret_hva);

/* Options of ioasid_virtio_iommu_new(); see IOASID_OPTS_INIT(). */
struct ioasid_virtio_iommu_opts {
	size_t sz;
	uint32_t flags;  /* IOASID_VIRTIO_IOMMU_* */
	/*
	 * The set that owns the domains' address spaces and the fault queue
	 * (fault.h); 0 = no set: no fault reporting. The set's IOAS quota
	 * must cover the domains, plus one IOAS for blocked endpoints.
	 */
	uint32_t set;
	/*
	 * GPA -> VMM address: a callback, or (with @translate NULL) a table,
	 * which may start empty (ioasid_virtio_iommu_set_memory()).
	 */
	ioasid_virtio_iommu_translate_fn translate;
	void *translate_data;
	const struct ioasid_virtio_iommu_mem *mem; /* copied */
	uint32_t nr_mem;
	/*
	 * The IOAS that bypassing endpoints use: guest memory mapped at
	 * IOVA = GPA, kept by the VMM. 0: built from @mem (RAM regions) when
	 * a table is given; with a callback and no IOAS, bypass is not
	 * offered (no BYPASS, BYPASS_CONFIG).
	 */
	uint32_t bypass_ioas;
	uint64_t page_size_mask; /* page sizes the VMM allows; 0 = all */
	uint64_t input_start;    /* with IOASID_VIRTIO_IOMMU_INPUT_RANGE: a limit */
	uint64_t input_end;      /* inclusive */
	uint32_t domain_start;   /* with IOASID_VIRTIO_IOMMU_DOMAIN_RANGE; else */
	uint32_t domain_end;     /* [0, UINT32_MAX] (inclusive) */
	uint32_t probe_size;     /* bytes of PROBE properties; 0 = 512 */
	uint32_t fault_depth;    /* fault queue depth; 0 = library default */
	uint64_t fault_timeout_ns; /* unanswered page requests; 0 = default */
	/*
	 * Bounds on the guest's mappings (MAPs in force): in one domain, and
	 * in all of the virtio-iommu's domains together; a MAP past either
	 * is answered NOMEM, the spec's status for insufficient resources.
	 * 0 = IOASID_VIRTIO_IOMMU_MAX_MAPPINGS_DEFAULT. A guest is otherwise
	 * bounded only by pinned-page accounting, from which a VMM holding
	 * CAP_IPC_LOCK is exempt: it could map the same pages at every IOVA
	 * of its input range and grow the records and page tables without
	 * end.
	 */
	uint32_t max_domain_mappings;
	uint32_t max_mappings;
};

/*
 * The default of both mapping bounds: the kernel's default
 * dma_entry_limit of VFIO type1 (per container), which the Linux
 * virtio-iommu driver already lives within behind VMMs that forward each
 * MAP to a container.
 */
#define IOASID_VIRTIO_IOMMU_MAX_MAPPINGS_DEFAULT 65535u

/**
 * ioasid_virtio_iommu_new() - create a virtio-iommu device back-end.
 * @ctx: the context its objects live in.
 * @opts: options (required).
 * @ret_dev: the new object.
 *
 * Creates the fault queue and the IOAS that blocked endpoints attach to
 * (so that their DMA faults are reported as DOMAIN faults) when a set is
 * given, and the bypass IOAS when it is built from the memory table.
 * Return: 0; -EINVAL both a callback and a table, a bad flag or range,
 * overlapping memory regions, BOOT_BYPASS without a bypass IOAS, a
 * probe_size above 1 MiB; -E2BIG non-zero unknown tail; -ENOENT unknown
 * set or bypass IOAS; -ENOMEM; errors of the objects it creates.
 */
IOASID_EXPORT int ioasid_virtio_iommu_new(struct ioasid_ctx *ctx,
				    const struct ioasid_virtio_iommu_opts *opts,
				    struct ioasid_virtio_iommu **ret_dev);

/**
 * ioasid_virtio_iommu_free() - detach every endpoint, destroy the domains and the
 * objects the virtio-iommu made, answer pending page requests INVALID, free it.
 * The devices stay bound; nothing is attached to them afterwards.
 * @v: the virtio-iommu; NULL is fine.
 */
IOASID_EXPORT void ioasid_virtio_iommu_free(struct ioasid_virtio_iommu *v);

/* A reserved region as PROBE reports it (RESV_MEM), both ends inclusive. */
struct ioasid_virtio_iommu_resv_mem {
	uint64_t start;
	uint64_t end;
	uint8_t subtype; /* IOASID_VIRTIO_IOMMU_RESV_MEM_T_* */
	uint8_t __pad[7];
};

/* Options of ioasid_virtio_iommu_endpoint_add(); see IOASID_OPTS_INIT(). */
struct ioasid_virtio_iommu_endpoint_opts {
	size_t sz;
	/* regions PROBE reports besides the device's (e.g. a virtual MSI
	 * doorbell of the VMM as subtype MSI); copied */
	const struct ioasid_virtio_iommu_resv_mem *resv;
	uint32_t nr_resv;
	uint32_t flags; /* none yet: 0 */
};

/**
 * ioasid_virtio_iommu_endpoint_add() - register a virtio endpoint id for a bound
 * device. The virtio-iommu owns the device's attachment without PASID from now
 * on: the endpoint starts unattached (bypassing or blocked, as the config
 * says).
 * @v: the virtio-iommu.
 * @endpoint: the virtio endpoint id (platform-defined, e.g. the PCI RID).
 * @dev: the bound device (dev.h).
 * @opts: options or NULL.
 *
 * The device's page sizes, aperture and reserved regions come from its
 * capability chain; the config space (page_size_mask, input_range) is
 * recomputed: what every endpoint can do.
 * Return: 0; -EEXIST endpoint id or device already registered; -ENOENT
 * unknown device; -EINVAL a chain without page sizes, or an endpoint that
 * would leave no common page size or input range (the message names it);
 * -ENOMEM; errors of the attach to the bypass or blocked IOAS.
 */
IOASID_EXPORT int
ioasid_virtio_iommu_endpoint_add(struct ioasid_virtio_iommu *v, uint32_t endpoint,
			   uint32_t dev,
			   const struct ioasid_virtio_iommu_endpoint_opts *opts);

/**
 * ioasid_virtio_iommu_endpoint_del() - unregister an endpoint (hot unplug): it
 * leaves its domain (the domain goes with its last endpoint) and the
 * device is detached.
 * @v: the virtio-iommu.
 * @endpoint: the endpoint id.
 * Return: 0, or -ENOENT.
 */
IOASID_EXPORT int ioasid_virtio_iommu_endpoint_del(struct ioasid_virtio_iommu *v,
					     uint32_t endpoint);

/**
 * ioasid_virtio_iommu_set_memory() - replace the memory table (memory hot-plug).
 * @v: the virtio-iommu, created with a table.
 * @mem: the regions (copied).
 * @nr: how many.
 *
 * A region that leaves the table (a removed region, or one whose gpa, size,
 * host address or kind changed) takes the guest's mappings into it along:
 * every mapping of every domain whose host memory meets the region is
 * removed whole (the unit of MAP and UNMAP; a mapping through host memory
 * that another region of the new table also covers goes too). Once this
 * returns 0 no device reaches the region through the virtio-iommu, and the
 * VMM may reuse that memory. The guest learns of it as the virtio spec
 * allows: the spec has no event for a mapping the device removes, so the
 * guest sees a MAPPING fault event at the IOVA when its device next uses it,
 * and a MAP into the region gets FAULT. The removal is not refused while
 * mapped, because a guest (hostile, or just slow to UNMAP) could then keep
 * memory from the VMM for ever; VMMs take memory away after the guest has
 * released it (ACPI eject, virtio-mem unplug), so a mapping still pointing
 * there is the guest's bug, and counted (struct ioasid_virtio_iommu_stats
 * .revoked). The bypass IOAS built from the table follows: removed regions
 * are unmapped, new ones mapped.
 * A VMM with a translate callback has no table: it must not free guest
 * memory that a domain may still map.
 *
 * Return: 0; -EINVAL overlapping regions or a virtio-iommu with a callback;
 * -ENOMEM; an unmap error of a guest mapping or a map error of the bypass
 * IOAS: the old table then stays (mappings into the leaving regions may
 * already be gone), and the VMM must not reuse the memory.
 */
IOASID_EXPORT int ioasid_virtio_iommu_set_memory(struct ioasid_virtio_iommu *v,
					   const struct ioasid_virtio_iommu_mem *mem,
					   uint32_t nr);

/**
 * ioasid_virtio_iommu_device_features() - the device-specific feature bits the
 * device offers (IOASID_VIRTIO_IOMMU_F_*, bits 0..23). Transport bits
 * (VERSION_1, ACCESS_PLATFORM, ...) are the VMM's to add.
 * @v: the virtio-iommu.
 * Return: the bits.
 */
IOASID_EXPORT uint64_t ioasid_virtio_iommu_device_features(struct ioasid_virtio_iommu *v);

/**
 * ioasid_virtio_iommu_set_driver_features() - the bits the driver accepted
 * (FEATURES_OK). Bits 24 and up are transport bits and are ignored. Until
 * this is called no feature is negotiated: MAP, UNMAP and PROBE answer
 * UNSUPP.
 * @v: the virtio-iommu.
 * @features: the driver's feature bits.
 * Return: 0; -EINVAL a device-specific bit the device did not offer
 * (nothing changes); errors of moving unattached endpoints between bypass
 * and blocked.
 */
IOASID_EXPORT int ioasid_virtio_iommu_set_driver_features(struct ioasid_virtio_iommu *v,
						    uint64_t features);

/**
 * ioasid_virtio_iommu_reset() - device reset: every endpoint leaves its domain,
 * the domains are destroyed, pending page requests are answered INVALID,
 * the negotiated features are forgotten and bypass takes its boot value.
 * @v: the virtio-iommu.
 * Return: 0, or the first error met (the reset still runs to the end).
 */
IOASID_EXPORT int ioasid_virtio_iommu_reset(struct ioasid_virtio_iommu *v);

/* The config space in native byte order. */
struct ioasid_virtio_iommu_config {
	uint64_t page_size_mask;
	uint64_t input_start;
	uint64_t input_end;    /* inclusive */
	uint32_t domain_start;
	uint32_t domain_end;   /* inclusive */
	uint32_t probe_size;
	uint8_t bypass;
	uint8_t __pad[3];
};

/**
 * ioasid_virtio_iommu_config() - the config space, native order.
 * @v: the virtio-iommu.
 * @ret_config: filled in.
 * Return: 0, or -EINVAL for NULL arguments.
 */
IOASID_EXPORT int ioasid_virtio_iommu_config(struct ioasid_virtio_iommu *v,
				       struct ioasid_virtio_iommu_config *ret_config);

/**
 * ioasid_virtio_iommu_config_read() - read config-space bytes as the guest sees
 * them (struct virtio_iommu_config, little-endian, 40 bytes).
 * @v: the virtio-iommu.
 * @offset: byte offset.
 * @buf: destination.
 * @len: bytes; @offset + @len <= 40.
 * Return: 0, or -ERANGE beyond the config space.
 */
IOASID_EXPORT int ioasid_virtio_iommu_config_read(struct ioasid_virtio_iommu *v,
					    uint32_t offset, void *buf,
					    uint32_t len);

/**
 * ioasid_virtio_iommu_config_write() - a guest write to config space. Only the
 * byte `bypass` (offset 36) is writable, only with BYPASS_CONFIG
 * negotiated, and only with 0 or 1; unattached endpoints follow at once.
 * @v: the virtio-iommu.
 * @offset: byte offset.
 * @buf: the bytes.
 * @len: how many.
 * Return: 0; -ERANGE beyond the config space; -EPERM a read-only byte, or
 * BYPASS_CONFIG not negotiated; -EINVAL a bypass value other than 0 or 1
 * (nothing changes); errors of moving the unattached endpoints.
 */
IOASID_EXPORT int ioasid_virtio_iommu_config_write(struct ioasid_virtio_iommu *v,
					     uint32_t offset, const void *buf,
					     uint32_t len);

/**
 * ioasid_virtio_iommu_request() - handle one request of the request virtqueue.
 * @v: the virtio-iommu.
 * @rd: the device-readable segments (head and body), in order.
 * @nr_rd: how many.
 * @wr: the device-writable segments (PROBE properties and tail), in order.
 * @nr_wr: how many.
 * @ret_used: the used length to put in the used ring: the bytes written to
 *            @wr (4, or probe_size + 4 for PROBE); 0 when nothing was.
 *
 * Decodes ATTACH, DETACH, MAP, UNMAP, PROBE (and PAGE_RESP with the fault
 * extension), executes it and writes the tail's status, mapping libioasid
 * errnos to status codes (ioasid_virtio_iommu_status_from_errno(), with the
 * per-request exceptions of docs/virtio-iommu.md). The tail goes at offset
 * 0 of the writable part, or after the probe_size bytes of properties for
 * PROBE. A readable part shorter than its request's layout is answered
 * IOERR. The error message of @v's context says why a status is not OK.
 *
 * Return: 0 when a status was written (whatever the status); -EOPNOTSUPP
 * an unknown request type: nothing written, used length 0 (the spec's
 * answer; the VMM just returns the buffer); -EMSGSIZE the writable part
 * cannot hold the tail where it belongs (nothing written; the driver is
 * broken, the VMM may mark the device NEEDS_RESET); -EINVAL NULL arguments.
 */
IOASID_EXPORT int ioasid_virtio_iommu_request(struct ioasid_virtio_iommu *v,
					const struct iovec *rd, unsigned int nr_rd,
					const struct iovec *wr, unsigned int nr_wr,
					size_t *ret_used);

/**
 * ioasid_virtio_iommu_request_buf() - ioasid_virtio_iommu_request() with one readable
 * and one writable buffer.
 * @v: the virtio-iommu.
 * @req: the device-readable bytes.
 * @req_len: their number.
 * @resp: the device-writable buffer.
 * @resp_len: its size.
 * @ret_used: as for ioasid_virtio_iommu_request().
 * Return: as ioasid_virtio_iommu_request().
 */
IOASID_EXPORT int ioasid_virtio_iommu_request_buf(struct ioasid_virtio_iommu *v,
					    const void *req, size_t req_len,
					    void *resp, size_t resp_len,
					    size_t *ret_used);

/**
 * ioasid_virtio_iommu_status_from_errno() - the virtio status for a libioasid
 * errno, by the table of docs/virtio-iommu.md: 0 OK; EINVAL, EEXIST INVAL;
 * EOPNOTSUPP, EADDRINUSE UNSUPP; ENOENT, ENODEV NOENT; ERANGE, EOVERFLOW
 * RANGE; EFAULT, EACCES FAULT; ENOMEM, ENOSPC, EDQUOT NOMEM; EBADMSG (a
 * request cut short) IOERR; anything else DEVERR.
 * @err: 0 or a negative (or positive) errno.
 * Return: IOASID_VIRTIO_IOMMU_S_*.
 */
IOASID_EXPORT uint8_t ioasid_virtio_iommu_status_from_errno(int err);

/**
 * ioasid_virtio_iommu_status_name() - "OK", "IOERR", "UNSUPP", "DEVERR", "INVAL",
 * "RANGE", "NOENT", "FAULT", "NOMEM".
 * @status: a status code.
 * Return: the name, or NULL for an unknown code.
 */
IOASID_EXPORT const char *ioasid_virtio_iommu_status_name(uint8_t status);

/**
 * ioasid_virtio_iommu_event_fd() - a pollable fd that is readable while fault
 * records wait in the virtio-iommu's fault queue (fault.h); the virtio-iommu may also
 * hold records already taken from it (struct ioasid_virtio_iommu_stats
 * .events_held): call ioasid_virtio_iommu_event_pop() while it returns 0.
 * @v: the virtio-iommu.
 * @ret_fd: the fd, owned by the library.
 * Return: 0; -EOPNOTSUPP no fault queue (no set given).
 */
IOASID_EXPORT int ioasid_virtio_iommu_event_fd(struct ioasid_virtio_iommu *v, int *ret_fd);

/**
 * ioasid_virtio_iommu_event_pop() - write the next fault record into one buffer
 * of the event virtqueue: struct virtio_iommu_fault (24 bytes), or the
 * 48-byte extended record once the fault extension is negotiated.
 * @v: the virtio-iommu.
 * @wr: the buffer's device-writable segments.
 * @nr_wr: how many.
 * @ret_used: bytes written (the used length).
 *
 * A page request reaches the guest only with the fault extension and an
 * attached endpoint; otherwise the virtio-iommu answers it INVALID at once and
 * the guest sees an ordinary fault record. Records of a device that is no
 * endpoint any more are dropped (counted).
 * Return: 0; -EAGAIN nothing to report; -EMSGSIZE the buffer is smaller
 * than a record (the record stays); -EOPNOTSUPP no fault queue.
 */
IOASID_EXPORT int ioasid_virtio_iommu_event_pop(struct ioasid_virtio_iommu *v,
					  const struct iovec *wr,
					  unsigned int nr_wr, size_t *ret_used);

/**
 * ioasid_virtio_iommu_event_pop_buf() - ioasid_virtio_iommu_event_pop() into one buffer.
 * @v: the virtio-iommu.
 * @buf: the buffer.
 * @len: its size.
 * @ret_used: bytes written.
 * Return: as ioasid_virtio_iommu_event_pop().
 */
IOASID_EXPORT int ioasid_virtio_iommu_event_pop_buf(struct ioasid_virtio_iommu *v,
					      void *buf, size_t len,
					      size_t *ret_used);

/**
 * ioasid_virtio_iommu_fault_queue() - the id of the virtio-iommu's fault queue, for
 * its counters (ioasid_fault_queue_stats()).
 * @v: the virtio-iommu.
 * @ret_queue: the id.
 * Return: 0; -EOPNOTSUPP none.
 */
IOASID_EXPORT int ioasid_virtio_iommu_fault_queue(struct ioasid_virtio_iommu *v,
					    uint32_t *ret_queue);

/**
 * ioasid_virtio_iommu_domain_ioas() - the IOAS behind a virtio domain.
 * @v: the virtio-iommu.
 * @domain: the virtio domain id.
 * @ret_ioas: its IOAS (the shared bypass IOAS for a bypass domain).
 * Return: 0, or -ENOENT no such domain.
 */
IOASID_EXPORT int ioasid_virtio_iommu_domain_ioas(struct ioasid_virtio_iommu *v,
					    uint32_t domain, uint32_t *ret_ioas);

/**
 * ioasid_virtio_iommu_endpoint_domain() - the domain an endpoint is attached to.
 * @v: the virtio-iommu.
 * @endpoint: the endpoint id.
 * @ret_domain: the domain id.
 * Return: 0; -ENOENT unknown endpoint, or one that is not attached.
 */
IOASID_EXPORT int ioasid_virtio_iommu_endpoint_domain(struct ioasid_virtio_iommu *v,
						uint32_t endpoint,
						uint32_t *ret_domain);

/* Counters of a virtio-iommu. */
struct ioasid_virtio_iommu_stats {
	uint64_t requests;        /* answered with a status */
	uint64_t status[IOASID_VIRTIO_IOMMU_S_MAX + 1]; /* per status code */
	uint64_t unknown;         /* unknown types, returned unwritten */
	uint64_t events;          /* records written to the event queue */
	uint64_t page_requests;   /* page request groups given to the guest */
	uint64_t auto_answered;   /* groups the virtio-iommu answered INVALID itself */
	uint64_t dropped;         /* records of devices that are no endpoint */
	uint32_t nr_endpoints;
	uint32_t nr_domains;
	uint32_t events_held;     /* records taken off the queue, not yet popped */
	uint32_t groups_pending;  /* groups given to the guest, not answered */
	uint64_t nr_mappings;     /* the guest's mappings in force, all domains */
	uint64_t revoked;         /* mappings removed because their memory left the table */
};

/**
 * ioasid_virtio_iommu_stats() - read the counters.
 * @v: the virtio-iommu.
 * @ret_stats: filled in.
 * Return: 0, or -EINVAL for NULL arguments.
 */
IOASID_EXPORT int ioasid_virtio_iommu_stats(struct ioasid_virtio_iommu *v,
				      struct ioasid_virtio_iommu_stats *ret_stats);

/* ---- the guest side: a PROBE property parser ---- */

/* What ioasid_virtio_iommu_probe_parse() found. */
struct ioasid_virtio_iommu_probe_props {
	struct ioasid_virtio_iommu_resv_mem *resv; /* in: array of max_resv, or NULL */
	uint32_t max_resv;   /* in */
	uint32_t nr_resv;    /* out: RESV_MEM properties found (may be > max) */
	uint64_t page_size_mask; /* out: PAGE_SIZE_MASK, 0 when absent */
	uint32_t nr_unknown; /* out: properties of unknown type, skipped */
	uint32_t used;       /* out: bytes up to the end of the last property */
};

/**
 * ioasid_virtio_iommu_probe_parse() - parse the properties[] of a PROBE answer,
 * as a driver must: untrusted input, little-endian, each property header
 * {le16 type, le16 length} followed by length bytes; stop at type NONE or
 * at the end of the buffer; skip unknown types. A property whose length is
 * smaller than its struct is refused before any of its fields is read; a
 * longer one is read on the fields known. PAGE_SIZE_MASK (type 0x801) is a
 * full 64-bit value on every host; 0 is a violation and fails the probe.
 * An unknown RESV_MEM subtype is reported as RESERVED. A failure leaves
 * its message as the thread's last error (ioasid_last_errmsg()).
 * @buf: the probe_size bytes of properties.
 * @len: their number.
 * @inout_props: results (resv / max_resv set by the caller).
 * Return: 0; -EMSGSIZE a property shorter than its struct, or running past
 * @len; -EINVAL a RESV_MEM with start > end, a PAGE_SIZE_MASK of 0 or with
 * non-zero reserved bytes, or two PAGE_SIZE_MASK properties.
 */
IOASID_EXPORT int ioasid_virtio_iommu_probe_parse(const void *buf, size_t len,
					    struct ioasid_virtio_iommu_probe_props *inout_props);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_VIRTIO_IOMMU_H */
