/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The iommufd backend's own state, shared by its files, one per kind of
 * kernel object as in the kernel's drivers/iommu/iommufd/:
 *
 *   iommufd.c   open/close, the ops table, handles and kernel ids
 *   ioas.c      IOAS: alloc, map/unmap at fixed IOVAs, options
 *   device.c    bind (cdev path, PCI address, fd), the bind-time probe,
 *               attach/replace/detach
 *   selftest.c  devices of the kernel's mock IOMMU (IOMMUFD_TEST)
 *   hwpt.c      HWPTs: alloc, invalidation, dirty tracking
 *   fault.c     fault queues: alloc, read, respond
 *   viommu.c    vIOMMUs, vDEVICEs, vEVENTQs, HW queues
 *   live-update.c  IOMMU_IOAS_CHANGE_PROCESS
 *
 * What the two Linux backends share (the ioctl seam, sysfs, describing a
 * device) is in lib/linux/linux.h. The unit tests reach the backend
 * through the hooks at the end.
 */
#ifndef IOASID_IOMMUFD_PRIVATE_H
#define IOASID_IOMMUFD_PRIVATE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "backend/backend.h"
#include "core/dev-private.h"
#include "core/hwpt-private.h"
#include "core/fault-private.h"
#include "linux/linux.h"

#define X(v) ((unsigned long long)(v))

/* ctx->be */
struct ifd_ctx {
	int fd;
	bool own;
	ku_ioctl_fn ioctl;
	void *ioctl_data;
	/* the seam under the adopting one of a restore (live-update.c) */
	ku_ioctl_fn real_ioctl;
	void *real_data;
	uint32_t adopt_scratch; /* the IOAS adopt_probe copies into; 0: none yet */
	bool forgetting;        /* a failed restore lets go: no ioctl, no fd closed */
	ku_fault_io_fn fault_io;
	void *fault_io_data;
	char sysfs[PATH_MAX];
	char path[PATH_MAX];
	/*
	 * Kernel objects the library made for itself (the bind-time probe's
	 * scratch IOAS) whose IOMMU_DESTROY the kernel refused: destroyed
	 * again before the next probe and at close, so none outlives the
	 * context unnoticed (ifd_reap_orphans()).
	 */
	uint32_t *orphans;
	uint32_t nr_orphans;
};

/* Destroy what is on @s->orphans; keeps (and logs) what is still refused. */
void ifd_reap_orphans(struct ioasid_ctx *ctx);

/* ioas->be */
struct ifd_ioas {
	uint32_t id; /* kernel IOAS id */
};

/* hwpt->be */
struct ifd_hwpt {
	/*
	 * Kernel HWPT id. For an automatic domain: the id the kernel reported
	 * at the last attach to the IOAS (0 before any).
	 */
	uint32_t id;
	bool autodom;
};

/* What the kernel has attached at one PASID of a device. */
struct ifd_att {
	uint32_t pasid;
	struct ioasid_hwpt *hwpt;
};

/* dev->be */
struct ifd_dev {
	int fd; /* the VFIO cdev; -1 for a selftest device */
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

/* A vIOMMU, vDEVICE, vEVENTQ or HW queue (->be): its kernel id. */
struct ifd_kobj {
	uint32_t id;
};

/* A kernel fault queue (q->be); its fd is q->efd. */
struct ifd_fault {
	uint32_t id; /* kernel fault object id */
};

static inline struct ifd_ctx *ifd_of(struct ioasid_ctx *ctx)
{
	return ctx->be;
}

/* Every ioctl goes through the context's seam. */
static inline int kioctl(struct ioasid_ctx *ctx, int fd, unsigned long req, void *arg)
{
	struct ifd_ctx *s = ifd_of(ctx);

	return s->ioctl(s->ioctl_data, fd, req, arg);
}

static inline uint32_t ioas_kid(const struct ioasid_ioas *ioas)
{
	return ioas->be ? ((const struct ifd_ioas *)ioas->be)->id : 0;
}

static inline uint32_t hwpt_kid(const struct ioasid_hwpt *h)
{
	return h->be ? ((const struct ifd_hwpt *)h->be)->id : 0;
}

/* iommufd.c: IOMMU_DESTROY of kernel object @id. */
int ifd_kdestroy(struct ioasid_ctx *ctx, uint32_t id);

/* ioas.c: IOMMU_IOAS_ALLOC, the kernel id in *@ret (also the probe's scratch IOAS). */
int ifd_kioas_alloc(struct ioasid_ctx *ctx, uint32_t *ret);

/* device.c */
/* What is attached at @pasid of @d, or NULL. */
struct ifd_att *ifd_att_get(struct ifd_dev *d, uint32_t pasid);
/* Fill dev->props and dev->caps from hw_info, the probe and @sd. */
int ifd_describe(struct ioasid_ctx *ctx, struct ioasid_dev *dev, struct ifd_dev *d,
		 const struct ku_sysdev *sd);

/* selftest.c: the kernel's mock devices */
#define IFD_SELFTEST_NAME "iommufd-selftest"
/* Create and bind one; @opts: NULL or "pasid,nodirty" (either, both). */
int ifd_selftest_bind(struct ioasid_ctx *ctx, struct ioasid_dev *dev, const char *opts);
/* Attach (or replace) @pasid of a mock device to kernel object @pt. */
int ifd_selftest_attach(struct ioasid_ctx *ctx, struct ifd_dev *d, uint32_t pasid, uint32_t pt,
			uint32_t *ret_pt);
int ifd_selftest_detach(struct ioasid_ctx *ctx, struct ifd_dev *d, uint32_t pasid);
/* Destroy the mock device's kernel objects. */
void ifd_selftest_free(struct ioasid_ctx *ctx, struct ifd_dev *d);

/* The ops, by file. */
int iommufd_ioas_alloc(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas);
int iommufd_ioas_destroy(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas);
int iommufd_area_map(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, const struct iova_area *a);
int iommufd_area_unmap(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, const struct iova_area *a);
int iommufd_ioas_set_option(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
			    enum ioasid_ioas_option opt, uint64_t val);
int iommufd_ctx_option(struct ioasid_ctx *ctx, enum ioasid_ctx_option opt, bool set, uint64_t *val);
/* live-update.c */
int iommufd_change_process(struct ioasid_ctx *ctx);
/* Put the adopting seam in place (a restore begins); adopt_end takes it away. */
int iommufd_adopt_begin(struct ioasid_ctx *ctx);
void iommufd_adopt_end(struct ioasid_ctx *ctx, bool keep);
int iommufd_adopt_probe(struct ioasid_ctx *ctx, uint32_t kioas, uint64_t iova, uint64_t length);
/* Is a restore adopting the kernel's objects (the seam of live-update.c in place)? */
bool iommufd_adopting(struct ioasid_ctx *ctx);

int iommufd_dev_bind(struct ioasid_ctx *ctx, struct ioasid_dev *dev, const char *name);
int iommufd_dev_bind_fd(struct ioasid_ctx *ctx, struct ioasid_dev *dev, int fd);
void iommufd_dev_unbind(struct ioasid_ctx *ctx, struct ioasid_dev *dev);
int iommufd_dev_list(struct ioasid_ctx *ctx, struct ioasid_dev_entry *out, uint32_t cap,
		     uint32_t *total);
int iommufd_dev_hw_info(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t data_type,
			void *data, uint32_t len, struct ioasid_hw_info *out);
int iommufd_dev_attach(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pasid,
		       struct ioasid_hwpt *h);
int iommufd_dev_detach(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pasid,
		       struct ioasid_hwpt *h);

int iommufd_hwpt_alloc(struct ioasid_ctx *ctx, struct ioasid_hwpt *h, struct ioasid_dev *dev);
int iommufd_hwpt_destroy(struct ioasid_ctx *ctx, struct ioasid_hwpt *h);
int iommufd_hwpt_invalidate(struct ioasid_ctx *ctx, struct ioasid_hwpt *h,
			    const struct ioasid_inv_req *req, uint64_t *ret_dropped);
int iommufd_hwpt_invalidate_raw(struct ioasid_ctx *ctx, struct ioasid_hwpt *h, uint32_t data_type,
				const void *entries, uint32_t entry_len, uint32_t *num);
int iommufd_hwpt_set_dirty(struct ioasid_ctx *ctx, struct ioasid_hwpt *h, bool on);
int iommufd_hwpt_get_dirty(struct ioasid_ctx *ctx, struct ioasid_hwpt *h, uint64_t iova,
			   uint64_t length, uint64_t page_size, uint64_t *bitmap, bool clear);

int iommufd_fault_alloc(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q, int *ret_fd);
int iommufd_fault_destroy(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q);
int iommufd_fault_read(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q,
		       struct ioasid_fault *out, uint32_t cap, uint32_t *ret_n);
int iommufd_fault_respond(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q, uint32_t kcookie,
			  uint32_t code);

struct ioasid_viommu;
struct ioasid_vdevice;
struct ioasid_veventq;
struct ioasid_hw_queue;
int iommufd_viommu_alloc(struct ioasid_ctx *ctx, struct ioasid_viommu *v, struct ioasid_dev *dev,
			 void *data, uint32_t data_len);
int iommufd_viommu_destroy(struct ioasid_ctx *ctx, struct ioasid_viommu *v);
int iommufd_viommu_invalidate(struct ioasid_ctx *ctx, struct ioasid_viommu *v, uint32_t data_type,
			      const void *entries, uint32_t entry_len, uint32_t *num);
int iommufd_vdevice_alloc(struct ioasid_ctx *ctx, struct ioasid_vdevice *vd);
int iommufd_vdevice_destroy(struct ioasid_ctx *ctx, struct ioasid_vdevice *vd);
int iommufd_veventq_alloc(struct ioasid_ctx *ctx, struct ioasid_veventq *q, int *ret_fd);
int iommufd_veventq_destroy(struct ioasid_ctx *ctx, struct ioasid_veventq *q);
int iommufd_veventq_read(struct ioasid_ctx *ctx, struct ioasid_veventq *q,
			 struct ioasid_vevent *out, uint32_t cap, uint32_t *ret_n);
int iommufd_hw_queue_alloc(struct ioasid_ctx *ctx, struct ioasid_hw_queue *hq);
int iommufd_hw_queue_destroy(struct ioasid_ctx *ctx, struct ioasid_hw_queue *hq);
/* The kernel id of a vIOMMU, vDEVICE, vEVENTQ or HW queue; 0 for another kind. */
uint32_t ifd_viommu_obj_kid(struct ioasid_obj *obj);

/* ---- the test seam (unit tests) ---- */

/* Replace the ioctl of an iommufd context. */
int iommufd_set_ioctl_hook(struct ioasid_ctx *ctx, ku_ioctl_fn fn, void *data);
/* Replace the fault fd reads and writes of an iommufd context. */
int iommufd_set_fault_io_hook(struct ioasid_ctx *ctx, ku_fault_io_fn fn, void *data);
/*
 * Process-wide: let "iommufd:PATH" open a character device that is not the
 * iommu misc device, for a fake kernel behind the ioctl hook.
 */
void iommufd_set_open_any_node(bool any);
/* Read sysfs below @root instead of "/sys" (@root is copied). */
int iommufd_set_sysfs_root(struct ioasid_ctx *ctx, const char *root);
/*
 * Process-wide: every iommufd context opened from now on starts with these
 * hooks and sysfs root (NULL @fn: the system's), so that a program that
 * opens its own contexts (ioasidctl over the fake kernel) reaches a fake.
 */
void iommufd_set_test_defaults(ku_ioctl_fn fn, void *data, ku_fault_io_fn fault_fn,
			       void *fault_data, const char *sysfs_root);

#endif /* IOASID_IOMMUFD_PRIVATE_H */
