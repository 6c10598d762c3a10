/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libioasid: vIOMMU objects (iommufd, Linux 6.13+).
 *
 * A vIOMMU is one VM's slice of one physical IOMMU: it is made over a
 * nest-parent paging HWPT (the VM's stage 2) for a device behind that IOMMU,
 * and carries what belongs to the IOMMU rather than to a device:
 *
 *  - vDEVICEs: each assigned device's virtual id on the vIOMMU (the guest's
 *    SMMUv3 stream id, its AMD/VT-d requester id); one per device;
 *  - nested HWPTs allocated on the vIOMMU (ioasid_hwpt_alloc() with @pt the
 *    vIOMMU's id), whose stage-1 tables the guest owns;
 *  - cache invalidation in the vendor's own command format
 *    (ioasid_viommu_invalidate(): SMMUv3 CMDQ entries, for instance);
 *  - vEVENTQs: a pollable queue per event type of what the IOMMU reports
 *    for the VM (SMMUv3 event records), routed to the owner of the set the
 *    vIOMMU's address space belongs to;
 *  - HW queues: a queue in guest memory the hardware reads directly
 *    (Tegra241 CMDQV's VCMDQs).
 *
 * The kernel's rules and errnos hold on every backend (kernel-uapi.md
 * §1.8); docs/viommu.md shows which piece of a VMM calls what. The vfio
 * backend has none of this (-EOPNOTSUPP); the sim has it on the profiles
 * whose model it simulates (SMMUv3, AMD) and answers
 * -EOPNOTSUPP on the others, as their Linux drivers have no vIOMMU.
 */
#ifndef IOASID_VIOMMU_H
#define IOASID_VIOMMU_H

#include <stddef.h>
#include <stdint.h>
#include <ioasid/ctx.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * vIOMMU types: the kernel's enum iommu_viommu_type. 0 is reserved (the
 * kernel answers EOPNOTSUPP). AMD has no type of its own in Linux 7.2: its
 * driver takes any non-zero type.
 */
enum ioasid_viommu_type {
	IOASID_VIOMMU_ARM_SMMUV3 = 1,
	IOASID_VIOMMU_TEGRA241_CMDQV = 2, /* SMMUv3 with NVIDIA's CMDQ virtualization */
};
/*
 * The kernel's test driver (CONFIG_IOMMUFD_TEST), for test rigs. The
 * SELFTEST values are macros: above INT_MAX, ISO C enums cannot hold them.
 */
#define IOASID_VIOMMU_SELFTEST 0xdeadbeefu

/*
 * The test driver's vIOMMU data (struct iommu_viommu_selftest): it copies
 * @in_data to @out_data and says where its two pages may be mmap()ed.
 */
struct ioasid_viommu_selftest {
	uint32_t in_data;
	uint32_t out_data;
	uint64_t out_mmap_offset;
	uint64_t out_mmap_length;
};

/* Options of ioasid_viommu_alloc(); see IOASID_OPTS_INIT(). */
struct ioasid_viommu_opts {
	size_t sz;
	uint32_t type;  /* enum ioasid_viommu_type */
	uint32_t flags; /* none defined: 0 */
	/*
	 * Type-specific data, read and written back by the driver (the
	 * kernel's user data: its struct as the caller was built). NULL and 0:
	 * none. Not looked at while @data_len is 0.
	 */
	void *data;
	uint32_t data_len;
};

/**
 * ioasid_viommu_alloc() - make a vIOMMU.
 * @ctx: the context.
 * @dev: a device behind the physical IOMMU the vIOMMU is a slice of.
 * @hwpt: a nest-parent paging HWPT (the VM's stage 2); the vIOMMU belongs
 *        to the set of its IOAS.
 * @opts: type and type-specific data (required: there is no default type).
 * @ret_viommu: the vIOMMU's id.
 *
 * In the kernel's order: flags and type, the device, the driver's type,
 * then the HWPT, then the driver's data.
 *
 * Return: 0; -EOPNOTSUPP flags, type 0, a type the device's IOMMU does not
 * have, a backend without vIOMMUs (vfio; a sim profile without a vIOMMU
 * model);
 * -ENOENT no device @dev, no HWPT @hwpt or a nested one; -EINVAL @opts or
 * @ret_viommu NULL, an HWPT that is not a nest parent, data the driver
 * refuses; -E2BIG a non-zero unknown tail of @opts; -ENOMEM.
 */
IOASID_EXPORT int ioasid_viommu_alloc(struct ioasid_ctx *ctx, uint32_t dev, uint32_t hwpt,
				      const struct ioasid_viommu_opts *opts, uint32_t *ret_viommu);

/**
 * ioasid_viommu_destroy() - destroy a vIOMMU.
 * @ctx: the context.
 * @viommu: the vIOMMU.
 * Return: 0; -ENOENT; -EBUSY while it has vDEVICEs, nested HWPTs,
 * vEVENTQs or HW queues.
 */
IOASID_EXPORT int ioasid_viommu_destroy(struct ioasid_ctx *ctx, uint32_t viommu);

/* What ioasid_viommu_info() tells. */
struct ioasid_viommu_info {
	size_t sz;
	uint32_t type; /* enum ioasid_viommu_type */
	uint32_t dev;  /* the device it was made for (it may be unbound since) */
	uint32_t hwpt; /* its nest parent */
	uint32_t set;  /* the owner: the set of the parent's IOAS (0: the context) */
	uint32_t nr_vdevices;
	uint32_t nr_users; /* vDEVICEs, nested HWPTs, vEVENTQs, HW queues */
};

/**
 * ioasid_viommu_info() - describe a vIOMMU.
 * @ctx: the context.
 * @viommu: the vIOMMU.
 * @ret_info: filled up to its @sz (set it with IOASID_OPTS_INIT()).
 * Return: 0; -ENOENT; -EINVAL @ret_info NULL or its @sz too small.
 */
IOASID_EXPORT int ioasid_viommu_info(struct ioasid_ctx *ctx, uint32_t viommu,
				     struct ioasid_viommu_info *ret_info);

/*
 * Invalidation data types sent to a vIOMMU: the kernel's
 * enum iommu_hwpt_invalidate_data_type values for vIOMMUs.
 *
 * ARM_SMMUV3 entries are struct ioasid_smmuv3_cmd (two little-endian
 * words of a CMDQ command). The kernel accepts CMD_TLBI_NH_ALL, _NH_ASID,
 * _NH_VA, _NH_VAA (it writes the VM's VMID into them), CMD_TLBI_NSNH_ALL
 * (made NH_ALL of the VM), CMD_ATC_INV, CMD_CFGI_CD and CMD_CFGI_CD_ALL
 * (their stream id is the vDEVICE's virtual id, which it translates; an
 * unknown one is -EIO), and answers -EIO at any other opcode.
 */
#define IOASID_VIOMMU_INV_ARM_SMMUV3 1u
/* the kernel's test driver (CONFIG_IOMMUFD_TEST), for test rigs */
#define IOASID_VIOMMU_INV_SELFTEST 0xdeadbeefu

/* One SMMUv3 command-queue entry, as the guest wrote it (struct iommu_viommu_arm_smmuv3_invalidate). */
struct ioasid_smmuv3_cmd {
	uint64_t cmd[2]; /* little-endian */
};

/* The test driver's entry (struct iommu_viommu_invalidate_selftest). */
struct ioasid_viommu_inv_selftest {
	uint32_t flags;    /* bit 0: every cache entry of the device */
	uint32_t vdev_id;  /* a vDEVICE's virtual id */
	uint32_t cache_id; /* the entry, without bit 0 of @flags */
};

/**
 * ioasid_viommu_invalidate() - send raw vendor invalidations to a vIOMMU,
 * unchanged, as IOMMU_HWPT_INVALIDATE does (kernel-uapi.md §1.8).
 * @ctx: the context.
 * @viommu: the vIOMMU.
 * @data_type: IOASID_VIOMMU_INV_*.
 * @entries: the array.
 * @entry_len: bytes per entry (the kernel zero-extends a shorter entry,
 *             and takes a longer one whose tail is zero).
 * @inout_num: in: entries; out: entries handled (0 when refused before
 *             the first).
 *
 * Zero entries are a valid call: it checks that @viommu takes @data_type.
 *
 * Return: 0; -EINVAL before any entry: with entries, @entries NULL, an
 * @entry_len of 0 or above the page size, more than 2^19 entries;
 * -ENOENT no object @viommu; -EINVAL an object that is neither a vIOMMU
 * nor a nested HWPT; -EOPNOTSUPP a backend without vIOMMUs; at an entry,
 * the driver's answer (-EIO an SMMUv3 command it does not take, -EINVAL
 * a bad field, -EOPNOTSUPP unknown flags, -E2BIG a non-zero tail).
 */
IOASID_EXPORT int ioasid_viommu_invalidate(struct ioasid_ctx *ctx, uint32_t viommu,
					   uint32_t data_type, const void *entries,
					   uint32_t entry_len, uint32_t *inout_num);

/**
 * ioasid_vdevice_alloc() - give a device its virtual id on a vIOMMU.
 * @ctx: the context.
 * @viommu: the vIOMMU.
 * @dev: a device behind the vIOMMU's physical IOMMU.
 * @virt_id: the id the guest knows it by (SMMUv3: its stream id).
 * @ret_vdevice: the vDEVICE's id.
 *
 * A device has at most one vDEVICE; a virtual id names at most one device
 * on a vIOMMU. The device cannot be unbound while it has one (the kernel
 * would destroy the vDEVICE behind the VMM's back): destroy it first.
 *
 * Return: 0; -ENOENT no vIOMMU @viommu or device @dev; -EINVAL a device
 * behind another IOMMU, @virt_id above ULONG_MAX, @ret_vdevice NULL;
 * -EEXIST the device has a vDEVICE already, or @virt_id is taken on
 * @viommu; -EOPNOTSUPP a backend without vIOMMUs; -ENOMEM.
 */
IOASID_EXPORT int ioasid_vdevice_alloc(struct ioasid_ctx *ctx, uint32_t viommu, uint32_t dev,
				       uint64_t virt_id, uint32_t *ret_vdevice);

/**
 * ioasid_vdevice_destroy() - destroy a vDEVICE.
 * @ctx: the context.
 * @vdevice: the vDEVICE.
 * Return: 0; -ENOENT.
 */
IOASID_EXPORT int ioasid_vdevice_destroy(struct ioasid_ctx *ctx, uint32_t vdevice);

/**
 * ioasid_vdevice_find() - the vDEVICE of a virtual id on a vIOMMU (what a
 * vIOMMU model needs when the guest names a stream id).
 * @ctx: the context.
 * @viommu: the vIOMMU.
 * @virt_id: the virtual id.
 * @ret_vdevice: its vDEVICE.
 * @ret_dev: if not NULL, its device.
 * Return: 0; -ENOENT no vIOMMU @viommu, or nothing at @virt_id (the
 * message says which); -EINVAL @ret_vdevice NULL.
 */
IOASID_EXPORT int ioasid_vdevice_find(struct ioasid_ctx *ctx, uint32_t viommu, uint64_t virt_id,
				      uint32_t *ret_vdevice, uint32_t *ret_dev);

/**
 * ioasid_vdevice_of_dev() - the vDEVICE of a device (the other way round).
 * @ctx: the context.
 * @dev: the device.
 * @ret_vdevice: its vDEVICE.
 * @ret_viommu: if not NULL, the vIOMMU it is on.
 * @ret_virt_id: if not NULL, its virtual id.
 * Return: 0; -ENOENT no device @dev, or it has no vDEVICE; -EINVAL
 * @ret_vdevice NULL.
 */
IOASID_EXPORT int ioasid_vdevice_of_dev(struct ioasid_ctx *ctx, uint32_t dev, uint32_t *ret_vdevice,
					uint32_t *ret_viommu, uint64_t *ret_virt_id);

/* vEVENTQ types: the kernel's enum iommu_veventq_type; 0 is reserved. */
enum ioasid_veventq_type {
	IOASID_VEVENTQ_ARM_SMMUV3 = 1,     /* struct ioasid_vevent_smmuv3 */
	IOASID_VEVENTQ_TEGRA241_CMDQV = 2, /* two words of VCMDQ error map */
};
/* the kernel's test driver (CONFIG_IOMMUFD_TEST), for test rigs: a 4-byte virtual id */
#define IOASID_VEVENTQ_SELFTEST 0xbeefbeefu

/* An SMMUv3 event record, the guest's stream id in place of the host's. */
struct ioasid_vevent_smmuv3 {
	uint64_t evt[4]; /* little-endian */
};

/* Options of ioasid_veventq_alloc(); see IOASID_OPTS_INIT(). */
struct ioasid_veventq_opts {
	size_t sz;
	uint32_t type;  /* enum ioasid_veventq_type */
	uint32_t depth; /* events it holds before it loses some: 1..2^19 */
	/*
	 * The owner: 0 for the owner of the vIOMMU (the set of its parent's
	 * IOAS); another set is -EPERM: a VM's events go to its owner only.
	 */
	uint32_t set;
	uint32_t flags; /* none defined: 0 */
};

/**
 * ioasid_veventq_alloc() - make a vEVENTQ on a vIOMMU.
 * @ctx: the context.
 * @viommu: the vIOMMU.
 * @opts: type, depth, owner.
 * @ret_veventq: its id.
 *
 * The kernel asks no driver: a queue of any non-zero type is made on any
 * vIOMMU, and gets events only if the vIOMMU reports that type (an AMD
 * vIOMMU reports none in Linux 7.2).
 *
 * Return: 0; -EOPNOTSUPP flags, type 0, a backend without vIOMMUs;
 * -EINVAL depth 0 or above 2^19, @opts or @ret_veventq NULL; -ENOENT no
 * vIOMMU @viommu or no set @opts->set; -EEXIST the vIOMMU has a queue of
 * that type; -EPERM a set other than the vIOMMU's owner; -E2BIG; -ENOMEM;
 * -EMFILE.
 */
IOASID_EXPORT int ioasid_veventq_alloc(struct ioasid_ctx *ctx, uint32_t viommu,
				       const struct ioasid_veventq_opts *opts,
				       uint32_t *ret_veventq);

/**
 * ioasid_veventq_destroy() - destroy a vEVENTQ; what it held is dropped.
 * @ctx: the context.
 * @veventq: the queue.
 * Return: 0; -ENOENT; the kernel's refusal (the queue stays).
 */
IOASID_EXPORT int ioasid_veventq_destroy(struct ioasid_ctx *ctx, uint32_t veventq);

/**
 * ioasid_veventq_fd() - a pollable fd (O_CLOEXEC, non-blocking), readable
 * while events wait. Owned by the library: poll it, read through
 * ioasid_veventq_read(), which keeps the counts.
 * @ctx: the context.
 * @veventq: the queue.
 * @ret_fd: the fd.
 * Return: 0; -ENOENT; -EINVAL @ret_fd NULL.
 */
IOASID_EXPORT int ioasid_veventq_fd(struct ioasid_ctx *ctx, uint32_t veventq, int *ret_fd);

#define IOASID_VEVENT_DATA_MAX 32 /* the largest record of a known type */
/* The queue lost events here (it was full): a header with no record. */
#define IOASID_VEVENT_LOST_EVENTS (1u << 0)

/* One event, as the kernel's header and record. */
struct ioasid_vevent {
	uint32_t flags;    /* IOASID_VEVENT_LOST_EVENTS */
	uint32_t sequence; /* the kernel's, wrapping at 2^31 */
	uint32_t data_len; /* bytes of @data; 0 for a LOST_EVENTS mark */
	uint32_t __reserved;
	uint8_t data[IOASID_VEVENT_DATA_MAX];
};

/**
 * ioasid_veventq_read() - take the waiting events, never blocking.
 * @ctx: the context.
 * @veventq: the queue.
 * @out: room for @cap events.
 * @cap: how many.
 * @ret_n: events read (0: nothing waits).
 *
 * A LOST_EVENTS mark comes as an event of its own; a gap in the sequence
 * numbers is counted too (ioasid_veventq_stats()): overflow is never silent.
 * Return: 0; -ENOENT; -EINVAL @out or @ret_n NULL or @cap 0; the
 * kernel's read error (-EMSGSIZE an event longer than
 * IOASID_VEVENT_DATA_MAX).
 */
IOASID_EXPORT int ioasid_veventq_read(struct ioasid_ctx *ctx, uint32_t veventq,
				      struct ioasid_vevent *out, uint32_t cap, uint32_t *ret_n);

/* What ioasid_veventq_stats() reports; @sz: sizeof as the caller was built. */
struct ioasid_veventq_stats {
	size_t sz;
	uint64_t read;       /* events handed out (marks not counted) */
	uint64_t lost_marks; /* LOST_EVENTS marks read */
	uint64_t seq_gaps;   /* sequence numbers skipped between two reads */
	uint32_t viommu, set, type, depth;
};

/**
 * ioasid_veventq_stats() - the queue's counts and owner.
 * @ctx: the context.
 * @veventq: the queue.
 * @ret_stats: filled up to its @sz.
 * Return: 0; -ENOENT; -EINVAL NULL or too small.
 */
IOASID_EXPORT int ioasid_veventq_stats(struct ioasid_ctx *ctx, uint32_t veventq,
				       struct ioasid_veventq_stats *ret_stats);

/* HW queue types: the kernel's enum iommu_hw_queue_type; 0 is reserved. */
enum ioasid_hw_queue_type {
	IOASID_HW_QUEUE_TEGRA241_CMDQV = 1,
};
/* the kernel's test driver (CONFIG_IOMMUFD_TEST), for test rigs */
#define IOASID_HW_QUEUE_SELFTEST 0xdeadbeefu

/* Options of ioasid_hw_queue_alloc(); see IOASID_OPTS_INIT(). */
struct ioasid_hw_queue_opts {
	size_t sz;
	uint32_t type;   /* enum ioasid_hw_queue_type */
	uint32_t index;  /* the queue's index on the vIOMMU */
	uint64_t iova;   /* base, an IOVA of the vIOMMU's parent IOAS */
	uint64_t length; /* bytes, >= 1 */
	uint32_t flags;  /* none defined: 0 */
};

/**
 * ioasid_hw_queue_alloc() - give the hardware a queue in guest memory.
 * @ctx: the context.
 * @viommu: the vIOMMU.
 * @opts: type, index and the memory.
 * @ret_hw_queue: its id.
 *
 * The kernel pins the memory, which must be mapped in the parent's IOAS
 * and physically contiguous; it stays pinned while the queue lives.
 * Return: 0; -EOPNOTSUPP flags, type 0, a type the vIOMMU lacks, a backend
 * without vIOMMUs; -EINVAL length 0, NULL arguments, an index the driver
 * refuses; -EOVERFLOW iova + length - 1 wraps; -ENOENT no vIOMMU @viommu,
 * memory not mapped; -EFAULT memory not contiguous; -EEXIST the index is
 * taken; the driver's other answers (the test driver: -EIO an index
 * whose predecessor is missing).
 */
IOASID_EXPORT int ioasid_hw_queue_alloc(struct ioasid_ctx *ctx, uint32_t viommu,
					const struct ioasid_hw_queue_opts *opts,
					uint32_t *ret_hw_queue);

/**
 * ioasid_hw_queue_destroy() - destroy a HW queue; its memory is unpinned.
 * @ctx: the context.
 * @hw_queue: the queue.
 * Return: 0; -ENOENT; the kernel's refusal (-EBUSY while a later queue
 * depends on it, as the test driver's do).
 */
IOASID_EXPORT int ioasid_hw_queue_destroy(struct ioasid_ctx *ctx, uint32_t hw_queue);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_VIOMMU_H */
