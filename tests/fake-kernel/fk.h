/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A stateful fake kernel for the iommufd backend (README.md here): it holds
 * what 7.2.13's iommufd holds for one context -- IOASes with their areas,
 * paging HWPTs (automatic ones included), nested HWPTs, bound devices with
 * what each RID or PASID is attached to, fault queues -- and answers the
 * backend's ioctls as that kernel does (docs/kernel-uapi.md §1, §2.1),
 * behind the backend's per-context ioctl seam. Any one ioctl can be made
 * to fail (struct fk_inject), which the fail-nth driver (tests/unit/
 * check_failnth.c) uses to try every step of every operation.
 *
 * One file per kind of kernel object, as drivers/iommu/iommufd/ is laid out:
 *   fk-main.c    the object table, IOMMU_DESTROY, IOMMU_OPTION, the ioctl
 *                entry with failure injection, the sysfs tree
 *   fk-ioas.c    IOAS alloc, map, unmap, copy, usable ranges
 *   fk-device.c  bind, hw_info, attach/replace/detach, automatic domains,
 *                closing a device fd
 *   fk-hwpt.c    HWPT alloc, dirty tracking, invalidation
 *   fk-fault.c   fault queues and their fd
 *   fk-state.c   the kernel's state and the library's, as comparable lines
 */
#ifndef IOASID_FAKE_KERNEL_FK_H
#define IOASID_FAKE_KERNEL_FK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <ioasid/ioasid.h>

#include "linux/uapi.h"

#define FK_MAX_OBJ 64   /* object ids 1..FK_MAX_OBJ-1 */
#define FK_MAX_AREAS 32 /* per IOAS */
#define FK_MAX_ATT 8    /* attachments per device (RID and PASIDs) */
#define FK_MAX_DEVS 3   /* /dev/null, /dev/zero, /dev/full play VFIO cdevs */

/* The aperture of every fake domain: 39 bits, as QEMU's VT-d. */
#define FK_APERTURE_LAST ((1ull << 39) - 1)
/* Every fake device's MSI window (its group's reserved_regions). */
#define FK_MSI_START 0xfee00000ull
#define FK_MSI_LAST 0xfeefffffull

enum fk_kind {
	FK_FREE,
	FK_IOAS,
	FK_HWPT_PAGING,
	FK_HWPT_NESTED,
	FK_DEVICE,
	FK_FAULT,
	FK_VIOMMU,
	FK_VDEVICE,
	FK_VEVENTQ,
	FK_HW_QUEUE
};

#define FK_MAX_EV 16 /* events a fake vEVENTQ holds, the LOST_EVENTS mark included */

/* One entry of a vEVENTQ's deliver list. */
struct fk_vevent {
	bool lost; /* the LOST_EVENTS mark */
	uint32_t seq, virt_id;
};

struct fk_area {
	uint64_t iova, length, uva; /* uva: the file offset of a MAP_FILE area */
	uint32_t flags;
	bool file; /* made by IOMMU_IOAS_MAP_FILE of @fd */
	int32_t fd;
};

struct fk_att {
	bool pasid_valid;
	uint32_t pasid;
	uint32_t hwpt; /* the HWPT attached */
};

struct fk_obj {
	enum fk_kind kind;
	/* IOAS */
	struct fk_area areas[FK_MAX_AREAS];
	uint32_t nr_areas;
	bool no_huge;
	/* HWPT: paging on @ioas, nested on @parent */
	uint32_t ioas, parent, fault;
	bool autodom, nest_parent, dirty_cap, dirty_on;
	bool pasid_compat; /* allocated with ALLOC_PASID: takes PASIDs */
	uint32_t users;    /* attachments and nested HWPTs on it */
	/* device */
	int slot; /* index in fk->devs */
	struct fk_att att[FK_MAX_ATT];
	uint32_t nr_att;
	/* fault queue, vEVENTQ: its fd, known by inode (fd numbers are reused) */
	int qfd;
	dev_t qdev;
	ino_t qino;
	/*
	 * vIOMMU objects: @viommu the vIOMMU they are on (a vIOMMU: @parent its
	 * nest parent, @dev its device); a vDEVICE's @dev and @virt_id; a
	 * vEVENTQ's @type, @depth and deliver list; a HW queue's @index, its
	 * @prev (the queue it depends on) and memory.
	 */
	uint32_t viommu, dev, type, depth, index, prev;
	uint64_t virt_id, iova, length;
	struct fk_vevent ev[FK_MAX_EV];
	uint32_t nr_ev, nr_events, seq;
};

/* A VFIO cdev the test opened: the fd the fake kernel knows it by. */
struct fk_devfd {
	int fd;
	int hold; /* adopted (fk_adopt_fd): a dup of it, to know the open file again */
	dev_t rdev;
	uint32_t devid; /* bound: its object; 0 unbound */
	/*
	 * An SR-IOV VF whose PF vfio-pci drives, with the PF's VF token
	 * (vfio_pci_core_match_token_uuid()); false: neither a VF nor a PF,
	 * as edu, which a token is refused for.
	 */
	bool vf;
	uint8_t vf_token[16];
};

/*
 * Failure injection, shared by both fakes: the @fail_at'th ioctl since
 * the last reset (1-based) fails with the errno the kernel would most
 * plausibly give for that request.
 */
struct fk_inject {
	uint64_t calls, fail_at;
	/* and a lasting refusal: request @refuse fails its next @refuse_left calls */
	char refuse[48];
	unsigned int refuse_left;
	char failed[48]; /* the request that was made to fail */
	char trace[512]; /* the requests made since the reset */
};

/* Make request @name (fk_req_name()) fail its next @times calls. */
void fk_refuse(struct fk_inject *inj, const char *name, unsigned int times);

/* Count and trace one call of @name; true when it is the one to fail. */
bool fk_inject_hit(struct fk_inject *inj, const char *name);

struct fk {
	struct fk_obj obj[FK_MAX_OBJ];
	struct fk_devfd devs[FK_MAX_DEVS];
	struct fk_inject inj;
	bool pasid_capable; /* devices take PASID attachments */
	uint64_t ecap;      /* the VT-d ECAP GET_HW_INFO reports (fk_init: QEMU's) */
};

/* The VT-d QEMU emulates (legacy mode), as its registers read, and its
 * scalable mode with nesting (SMTS, NEST, FLTS, SLTS). */
#define FK_VTD_CAP 0x00d2008c22260286ull
#define FK_VTD_ECAP 0x0000000000f00f5aull
#define FK_VTD_ECAP_NESTING (FK_VTD_ECAP | 1ull << 26 | 1ull << 43 | 1ull << 46 | 1ull << 47)

/* ---- fk-main.c ---- */
/* A fresh kernel, and the sysfs tree its devices are described by. */
void fk_init(struct fk *k);
void fk_sysfs(void);
void fk_sysfs_rm(void);
const char *fk_sysfs_root(void);
/* Show the IOMMU's registers in sysfs, as the kernel's VT-d driver does. */
void fk_sysfs_iommu(uint64_t cap, uint64_t ecap);
/* rm -rf @dir (a temporary tree of the fakes). */
void fk_rm_tree(const char *dir);
/* An iommufd context over @k (on /dev/null, with the fake sysfs). */
struct ioasid_ctx *fk_ctx(struct fk *k);
/* Open device cdev @slot (0..FK_MAX_DEVS-1) as a caller would: its fd. */
int fk_open_dev(struct fk *k, int slot);
/*
 * A device fd the program opened itself (a bind by name): take it for the
 * slot whose node it is, when that slot has no open fd; a binding made
 * through an fd since closed is released first, as the kernel did at the
 * close.
 */
void fk_adopt_fd(struct fk *k, int fd);
/* The caller closes a device fd: the kernel detaches and unbinds it. */
void fk_close_dev(struct fk *k, int slot);
/* The iommufd's file is released: every object goes. */
void fk_release(struct fk *k);
int fk_ioctl(void *data, int fd, unsigned long req, void *arg);
ssize_t fk_fault_io(void *data, int fd, void *buf, size_t len, bool is_write);
const char *fk_req_name(unsigned long req);
void fk_inject_reset(struct fk_inject *inj);

/* object table (fk-main.c) */
uint32_t fk_new(struct fk *k, enum fk_kind kind); /* 0 when full */
struct fk_obj *fk_get(struct fk *k, uint32_t id, enum fk_kind kind);
void fk_free(struct fk *k, uint32_t id);
/* The device object bound from @fd, or NULL. */
struct fk_obj *fk_dev_of_fd(struct fk *k, int fd, uint32_t *ret_id);

/* ---- per kind ---- */
int fk_ioas_alloc(struct fk *k, struct ku_iommu_ioas_alloc *a);
int fk_ioas_map(struct fk *k, struct ku_iommu_ioas_map *m);
int fk_ioas_map_file(struct fk *k, struct ku_iommu_ioas_map_file *m);
int fk_ioas_unmap(struct fk *k, struct ku_iommu_ioas_unmap *u);
int fk_ioas_copy(struct fk *k, struct ku_iommu_ioas_copy *c);
int fk_ioas_iova_ranges(struct fk *k, struct ku_iommu_ioas_iova_ranges *q);
/* Does [start, last] meet a reserved interval of IOAS @ioas (devices, apertures)? */
bool fk_ioas_reserved(struct fk *k, uint32_t ioas, uint64_t start, uint64_t last);
uint64_t fk_ioas_align(struct fk *k, uint32_t ioas);
/* Is IOAS @ioas held by an HWPT? */
bool fk_ioas_held(struct fk *k, uint32_t ioas);

int fk_dev_bind(struct fk *k, int fd, struct ku_vfio_device_bind_iommufd *b);
int fk_dev_hw_info(struct fk *k, struct ku_iommu_hw_info *h);
int fk_dev_attach(struct fk *k, int fd, struct ku_vfio_device_attach_iommufd_pt *a);
int fk_dev_detach(struct fk *k, int fd, struct ku_vfio_device_detach_iommufd_pt *a);
/* Detach everything of device object @id (unbind, close). */
void fk_dev_detach_all(struct fk *k, uint32_t id);

int fk_hwpt_alloc(struct fk *k, struct ku_iommu_hwpt_alloc *a);
int fk_hwpt_set_dirty(struct fk *k, struct ku_iommu_hwpt_set_dirty_tracking *d);
int fk_hwpt_get_dirty(struct fk *k, struct ku_iommu_hwpt_get_dirty_bitmap *d);
int fk_hwpt_invalidate(struct fk *k, struct ku_iommu_hwpt_invalidate *inv);
/* Drop one user of HWPT @id; an automatic one goes with its last. */
void fk_hwpt_put(struct fk *k, uint32_t id);

int fk_fault_alloc(struct fk *k, struct ku_iommu_fault_alloc *a);
/* A new object of @kind with an fd that holds it (qfd); 0 and *@ret_err on failure. */
uint32_t fk_new_with_fd(struct fk *k, enum fk_kind kind, int *ret_err);
/* Is fault queue @o's fd still open (it holds the object)? */
bool fk_fault_fd_open(const struct fk_obj *o);

/* fk-viommu.c: the test driver's vIOMMU objects (IOMMU_*_TYPE_SELFTEST) */
int fk_viommu_alloc(struct fk *k, struct ku_iommu_viommu_alloc *a);
int fk_vdevice_alloc(struct fk *k, struct ku_iommu_vdevice_alloc *a);
int fk_veventq_alloc(struct fk *k, struct ku_iommu_veventq_alloc *a);
int fk_hw_queue_alloc(struct fk *k, struct ku_iommu_hw_queue_alloc *a);
int fk_hwpt_alloc_on_viommu(struct fk *k, struct ku_iommu_hwpt_alloc *a);
int fk_viommu_invalidate(struct fk *k, struct ku_iommu_hwpt_invalidate *inv);
/* IOMMU_DESTROY of a vIOMMU object @id: 0, -EBUSY, or 1 when @id is no such object. */
int fk_viommu_destroy(struct fk *k, uint32_t id);
/*
 * The test driver's report of an event of device @dev_id (a device
 * object) to the vEVENTQ of type SELFTEST of its vIOMMU: -ENOENT without
 * a vDEVICE, -EOPNOTSUPP without such a queue; a full queue loses it.
 */
int fk_vevent_trigger(struct fk *k, uint32_t dev_id);
/* A read() of vEVENTQ fd @fd; -EBADF when @fd is no vEVENTQ's. */
ssize_t fk_veventq_read(struct fk *k, int fd, void *buf, size_t len);
/* The device object @id goes (closed fd): the kernel destroys its vDEVICE. */
void fk_vdevice_tombstone(struct fk *k, uint32_t dev_id);

/* ---- fk-state.c ---- */
/*
 * What the kernel holds, as sorted lines ("ioas 3 area 0x100000+0x2000",
 * "dev 2 pasid - hwpt 4", ...), and the same built from the library's
 * JSON dump and kernel ids: the two must be equal. Each returns a
 * malloc'd, '\n'-separated text.
 */
char *fk_state_kernel(struct fk *k);
char *fk_state_library(struct ioasid_ctx *ctx);
/* Lines in one and not the other, "-kernel only" / "+library only"; NULL if equal. */
char *fk_state_diff(const char *kernel, const char *library);

#endif
