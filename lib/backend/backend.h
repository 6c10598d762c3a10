/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The backend vtable: what a backend (iommufd, vfio, sim) must provide.
 *
 * The core (the lib/ object files) owns the object model and every rule the API promises
 * (argument checks, the IOAS records, automatic IOVA choice, refusing an
 * unmap that would split an area). A backend is called only after the core
 * has validated a request against its own records, and is told each change
 * exactly once; if a backend call fails the core rolls its records back.
 *
 * All ops run with the context lock held. An op left NULL means "nothing to
 * do beyond the core's records" (the sim before it translates), except
 * where marked REQUIRED.
 *
 * The rule every backend keeps with the core (issue 17): after any call,
 * success or failure, the library's records describe exactly what the
 * kernel holds.
 *  - An operation that fails part-way undoes what it did in the kernel;
 *    where the kernel cannot undo it, the record of it stays and the error
 *    is returned.
 *  - Teardown the kernel refuses (area_unmap, dev_detach, hwpt_destroy,
 *    ioas_destroy, fault_destroy return non-zero) returns the kernel's
 *    -errno with a message, and leaves the object's backend state (->be)
 *    as it was: the core keeps the object and its record, and the caller
 *    may retry. A teardown op that reports success has let go of the
 *    kernel object.
 *  - While the context closes (ctx->closing), nobody can retry: a teardown
 *    op frees its backend state whatever the kernel says, and returns the
 *    kernel's answer for the core to log. ioasid_ctx_close() thus releases
 *    everything it can, logs each refusal (IOASID_LOG_ERR), and drops every
 *    record; what the kernel refused stays the kernel's until its file is
 *    released (the context's fd and every device fd bound to it closed).
 */
#ifndef IOASID_BACKEND_H
#define IOASID_BACKEND_H

#include "core/private.h"
#include "util/iova-tree.h"

#include <jansson.h>
#include <sys/types.h>

struct ioasid_ioas;
struct ioasid_dev;
struct ioasid_hwpt;
struct ioasid_dev_entry;
struct ioasid_fault_queue;
struct ioasid_viommu;
struct ioasid_vdevice;
struct ioasid_veventq;
struct ioasid_hw_queue;
struct ioasid_vevent;

struct ioasid_backend_ops {
	const char *name;             /* REQUIRED: "sim", "iommufd", "vfio" */
	enum ioasid_backend_kind kind; /* REQUIRED */

	/* REQUIRED: set up ctx->be from the spec's argument (may be NULL). */
	int (*open)(struct ioasid_ctx *ctx, const char *arg);
	/* Set up over a caller's fd; NULL: -EINVAL (the sim has no fd). */
	int (*open_fd)(struct ioasid_ctx *ctx, int fd, bool take_ownership);
	/* REQUIRED: free ctx->be; every object is already destroyed. */
	void (*close)(struct ioasid_ctx *ctx);

	/*
	 * The kernel pins the pages of each area itself and refuses memory
	 * it cannot pin (EFAULT from area_map, hwpt_alloc or dev_attach).
	 * false: the core checks the memory where the kernel would pin it
	 * (kernel-uapi.md §4.5, lib/core/pin-check.c).
	 */
	bool kernel_pins;
	/*
	 * A context option (enum ioasid_ctx_option), after the core's checks:
	 * @set: apply *@val; else read the backend's value into *@val. Errors
	 * of a set carry a message; a read's do not (the core reads the RLIMIT
	 * mode at open and keeps its own when the read fails). NULL: the
	 * core's record is the whole story.
	 */
	int (*ctx_option)(struct ioasid_ctx *ctx, enum ioasid_ctx_option opt, bool set,
			  uint64_t *val);

	/* Address spaces. ioas->be is the backend's per-IOAS state. */
	int (*ioas_alloc)(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas);
	/* The IOAS's areas are gone; 0 or the kernel's refusal (see the rule above). */
	int (*ioas_destroy)(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas);
	/* A new area, already checked; undo with area_unmap. */
	int (*area_map)(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
			const struct iova_area *area);
	/*
	 * Remove an area the core is about to drop (it is still in the tree).
	 * On a refusal the core keeps the area and returns the error.
	 */
	int (*area_unmap)(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
			  const struct iova_area *area);
	int (*ioas_set_option)(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
			       enum ioasid_ioas_option opt, uint64_t val);

	/*
	 * Devices. dev_bind fills dev->props, dev->caps/caps_len and dev->be
	 * (-ENOENT for an unknown name); NULL: binding is refused.
	 */
	int (*dev_bind)(struct ioasid_ctx *ctx, struct ioasid_dev *dev,
			const char *name);
	/*
	 * A caller's fd. When the kernel bound it but a later step failed,
	 * return the error with dev->be set: the kernel cannot unbind a fd
	 * the caller keeps, so the core keeps the device (undescribed) and
	 * returns the error with its id.
	 */
	int (*dev_bind_fd)(struct ioasid_ctx *ctx, struct ioasid_dev *dev, int fd);
	/* dev_bind and dev_bind_fd bind with dev->bind_token when it is set */
	bool bind_token;
	/* Undo dev_bind; frees what it allocated except dev itself. */
	void (*dev_unbind)(struct ioasid_ctx *ctx, struct ioasid_dev *dev);
	/* The devices on offer: fill up to @cap entries, report the total. */
	int (*dev_list)(struct ioasid_ctx *ctx, struct ioasid_dev_entry *out,
			uint32_t cap, uint32_t *total);
	/*
	 * IOMMU_GET_HW_INFO as it is (ioasid_dev_hw_info()): @data_type 0 the
	 * IOMMU's own, else asked for with IOMMU_HW_INFO_FLAG_INPUT_TYPE;
	 * @data (@len bytes, zeroed past what the IOMMU wrote) and @out's
	 * fields (not its sz). NULL: the backend has no raw hardware info.
	 */
	int (*dev_hw_info)(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t data_type,
			   void *data, uint32_t len, struct ioasid_hw_info *out);
	/*
	 * Hardware page tables. hwpt_alloc sets hwpt->be; a paging HWPT must
	 * then mirror every area of hwpt->ioas (later changes arrive through
	 * area_map/area_unmap of that IOAS). NULL hwpt_alloc: no HWPTs.
	 */
	int (*hwpt_alloc)(struct ioasid_ctx *ctx, struct ioasid_hwpt *hwpt,
			  struct ioasid_dev *dev);
	/*
	 * Destroy the HWPT; 0 or the kernel's refusal (the rule above). Also
	 * called on an automatic domain whose last device left, which the
	 * kernel destroyed itself: no ioctl then.
	 */
	int (*hwpt_destroy)(struct ioasid_ctx *ctx, struct ioasid_hwpt *hwpt);
	/* One request, already checked by the core. */
	int (*hwpt_invalidate)(struct ioasid_ctx *ctx, struct ioasid_hwpt *hwpt,
			       const struct ioasid_inv_req *req, uint64_t *ret_dropped);
	int (*hwpt_set_dirty)(struct ioasid_ctx *ctx, struct ioasid_hwpt *hwpt,
			      bool enable);
	int (*hwpt_get_dirty)(struct ioasid_ctx *ctx, struct ioasid_hwpt *hwpt,
			      uint64_t iova, uint64_t length, uint64_t page_size,
			      uint64_t *bitmap, bool clear);

	/*
	 * Add what identifies the backend's setup (the sim's profile) to a
	 * context dump, right after "backend" and "reason".
	 */
	int (*ctx_json_ident)(struct ioasid_ctx *ctx, json_t *doc);
	/* Add the backend's own state (e.g. the sim's caches) to a context dump. */
	int (*ctx_json)(struct ioasid_ctx *ctx, json_t *doc);
	/* Add the backend's view of an HWPT (caches, tables) to its dump. */
	int (*hwpt_json)(struct ioasid_ctx *ctx, struct ioasid_hwpt *hwpt,
			 json_t *obj);

	/*
	 * (dev, pasid) joins/leaves an HWPT, after the core's checks. On a
	 * replace, the new HWPT's dev_attach comes first and the old one's
	 * dev_detach second: dev_detach must not undo the new attachment.
	 * A refused dev_detach returns the kernel's -errno (the rule above):
	 * the core keeps the attachment.
	 */
	int (*dev_attach)(struct ioasid_ctx *ctx, struct ioasid_dev *dev,
			  uint32_t pasid, struct ioasid_hwpt *hwpt);
	int (*dev_detach)(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pasid,
			  struct ioasid_hwpt *hwpt);
	/*
	 * After dev_attach failed on a replace: true when the backend could
	 * not put the old attachment back in the kernel either (VFIO type-1
	 * has no atomic replace); the core then drops its record of it. NULL:
	 * a failed replace always leaves the old attachment in place.
	 */
	bool (*dev_replace_lost)(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t pasid);

	/*
	 * A raw vendor invalidation array, after the core checked the HWPT's
	 * type against @data_type and the array's pointer and entry length:
	 * passed to the kernel unchanged. *@num in: entries; out: entries
	 * handled. NULL: the core converts each entry to a typed request.
	 */
	int (*hwpt_invalidate_raw)(struct ioasid_ctx *ctx, struct ioasid_hwpt *hwpt,
				   uint32_t data_type, const void *entries,
				   uint32_t entry_len, uint32_t *num);

	/*
	 * Kernel-backed fault queues (iommufd). With fault_alloc set, every
	 * fault queue of the context lives in the kernel and lib/core/fault.c
	 * delegates to these four (all four or none); NULL: the queue is the
	 * library's own (the sim raises groups into it).
	 *
	 * fault_alloc: make the kernel queue for @q, set q->be; *@ret_fd is
	 * its fd (close-on-exec, non-blocking, pollable: readable while a
	 * group waits), owned by the backend until fault_destroy. The core
	 * hands it out as ioasid_fault_queue_fd(). Errors carry a message.
	 *
	 * fault_destroy: close the fd and destroy the kernel queue (the
	 * kernel answers INVALID whatever it still holds). No HWPT is bound.
	 * A refusal (EBUSY while another thread still polls or reads the
	 * fd) returns the -errno and keeps q->be for a retry, the fd closed.
	 *
	 * fault_read: take whole groups off the kernel queue, never blocking,
	 * as many as fit in @cap records, converted to common records in
	 * @out: ->dev the library's device id (0 if the kernel's is unknown),
	 * ->hwpt the library's HWPT the fault came through when the backend
	 * can tell (else 0), ->cookie the kernel's cookie (the core replaces
	 * it with its own). *@ret_n records (0: nothing waits). -EMSGSIZE
	 * when the first waiting group does not fit; other errors as the
	 * kernel says. Errors carry a message.
	 *
	 * fault_respond: answer the group with kernel cookie @kcookie
	 * (enum ioasid_fault_code; FAILURE goes as the kernel has it). Return
	 * 0 or the kernel's -errno, WITHOUT a message (the timer thread calls
	 * it too): -EINVAL means the kernel holds no such group.
	 */
	int (*fault_alloc)(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q, int *ret_fd);
	int (*fault_destroy)(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q);
	int (*fault_read)(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q,
			  struct ioasid_fault *out, uint32_t cap, uint32_t *ret_n);
	int (*fault_respond)(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q,
			     uint32_t kcookie, uint32_t code);

	/*
	 * File and dma-buf maps (issue 12): map_file_kinds has bit (1 << kind)
	 * for each enum ioasid_backing_kind beyond VA that area_map maps (the
	 * core refuses the others with -EOPNOTSUPP); area_backing() tells an
	 * area's. file_view: for a backend that reaches memory through process
	 * addresses (the sim), map [@offset, @offset + @length) of @fd into
	 * the process (for write when @write) and return its address in
	 * *@ret_uva, or leave *@ret_uva 0 when the file cannot be pinned
	 * anyway (the core refuses it where the kernel pins). Errors carry a
	 * message. file_unview undoes it. NULL: no view (the kernel maps the
	 * file itself).
	 */
	uint32_t map_file_kinds;
	int (*file_view)(struct ioasid_ctx *ctx, int fd, uint64_t offset, uint64_t length,
			 bool write, uint64_t *ret_uva);
	void (*file_unview)(struct ioasid_ctx *ctx, int fd, uint64_t uva, uint64_t length);
	/*
	 * Export [@offset, @offset + @length) of BAR @bar of @dev as a dma-buf
	 * (VFIO_DEVICE_FEATURE_DMA_BUF): *@ret_fd its new close-on-exec fd,
	 * the caller's. Errors carry a message. NULL: -EOPNOTSUPP.
	 */
	int (*dev_bar_dmabuf)(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t bar,
			      uint64_t offset, uint64_t length, int *ret_fd);

	/* Kernel handles (ioasid_ctx_fd(), ioasid_dev_fd(),
	 * ioasid_obj_kernel_id()); NULL: -EOPNOTSUPP. */
	int (*ctx_fd)(struct ioasid_ctx *ctx, int *ret_fd);
	int (*dev_fd)(struct ioasid_ctx *ctx, struct ioasid_dev *dev, int *ret_fd);
	int (*obj_kernel_id)(struct ioasid_ctx *ctx, struct ioasid_obj *obj,
			     uint32_t *ret_id);

	/*
	 * vIOMMU objects (include/ioasid/viommu.h, kernel-uapi.md §1.8).
	 * viommu_alloc NULL: the backend has none, and the core answers
	 * -EOPNOTSUPP with @viommu_missing (which says why); else every op
	 * of this block is set. The core has checked what the kernel checks
	 * before the driver (ids, kinds, EEXIST, flags, type 0); the backend
	 * answers the driver's part. Each *_alloc sets ->be; each *_destroy
	 * follows the teardown rule above. A nested HWPT on a vIOMMU comes
	 * through hwpt_alloc with hwpt->viommu set and its data in
	 * hwpt->vdata.
	 *
	 * viommu_alloc: @data (NULL when @data_len is 0) is the caller's, in
	 * and out (the driver may write back into it).
	 * veventq_alloc: *@ret_fd its pollable fd, the backend's until
	 * veventq_destroy. veventq_read: whole events, never blocking, into
	 * @out; *@ret_n of them (0: none wait); errors carry a message.
	 * viommu_invalidate: *@num in: entries, out: entries handled.
	 */
	const char *viommu_missing;
	int (*viommu_alloc)(struct ioasid_ctx *ctx, struct ioasid_viommu *v, struct ioasid_dev *dev,
			    void *data, uint32_t data_len);
	/*
	 * viommu_check (may be NULL): the driver's get_viommu_size(), which
	 * the kernel asks before it looks at the HWPT: whether @dev's IOMMU
	 * has vIOMMUs of @type. 0, or -EOPNOTSUPP with a message. A backend
	 * passing the kernel's answer through needs none.
	 */
	int (*viommu_check)(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t type);
	int (*viommu_destroy)(struct ioasid_ctx *ctx, struct ioasid_viommu *v);
	int (*viommu_invalidate)(struct ioasid_ctx *ctx, struct ioasid_viommu *v, uint32_t data_type,
				 const void *entries, uint32_t entry_len, uint32_t *num);
	int (*vdevice_alloc)(struct ioasid_ctx *ctx, struct ioasid_vdevice *vd);
	int (*vdevice_destroy)(struct ioasid_ctx *ctx, struct ioasid_vdevice *vd);
	int (*veventq_alloc)(struct ioasid_ctx *ctx, struct ioasid_veventq *q, int *ret_fd);
	int (*veventq_destroy)(struct ioasid_ctx *ctx, struct ioasid_veventq *q);
	int (*veventq_read)(struct ioasid_ctx *ctx, struct ioasid_veventq *q,
			    struct ioasid_vevent *out, uint32_t cap, uint32_t *ret_n);
	int (*hw_queue_alloc)(struct ioasid_ctx *ctx, struct ioasid_hw_queue *hq);
	int (*hw_queue_destroy)(struct ioasid_ctx *ctx, struct ioasid_hw_queue *hq);

	/*
	 * Live update (issue 12, lib/core/change-process.c, docs/live-update.md).
	 *
	 * change_process: move the pin charges of every area of the context
	 * to the calling process (IOMMU_IOAS_CHANGE_PROCESS), after the core
	 * checked that every area is file-backed. 0 or the kernel's -errno
	 * with a message; all or nothing. NULL: the backend cannot hand its
	 * pins over (vfio): the core answers -EOPNOTSUPP naming the feature.
	 */
	int (*change_process)(struct ioasid_ctx *ctx);
	/*
	 * Restoring a saved context (lib/core/state-restore.c) over kernel
	 * objects that exist already. Between adopt_begin() and adopt_end(),
	 * an op that would make a kernel object takes kernel object
	 * ctx->adopt_kid instead (ioas_alloc, dev_bind_fd, hwpt_alloc, and
	 * dev_attach, also for the automatic domain it makes), checking where
	 * it can that it is there, and the ops that would change the kernel
	 * (area_map, ioas_set_option) change nothing: it holds all that
	 * already. adopt_end(): @keep, the restore succeeded and the context
	 * owns the fds it was given from now on; !@keep, it failed and the
	 * context is about to be closed without touching the kernel (no
	 * ioctl, no fd closed), so that the kernel objects stay for another
	 * try. NULL adopt_begin: the backend has nothing to adopt (the sim
	 * makes everything again).
	 */
	int (*adopt_begin)(struct ioasid_ctx *ctx);
	void (*adopt_end)(struct ioasid_ctx *ctx, bool keep);
	/*
	 * Between adopt_begin() and adopt_end(): does kernel IOAS @kioas map
	 * every byte of [@iova, @iova + @length)? 0 yes, -ENOENT no, another
	 * errno when the kernel could not be asked (message set). Changes
	 * nothing the devices see. NULL with a NULL adopt_begin.
	 */
	int (*adopt_probe)(struct ioasid_ctx *ctx, uint32_t kioas, uint64_t iova, uint64_t length);
};

/*
 * The core's state a backend may reach beyond the objects an op hands it,
 * implemented in lib/core. A backend reads and fills the fields of the
 * objects it is given (dev->props, hwpt->ioas, ...), but never walks the
 * object table or a device's attachment records itself: these are its
 * only ways in, so the core may change how it keeps them.
 */

/* The bound devices in id order: dev_next(ctx, NULL) is the first; NULL after the last. */
struct ioasid_dev *dev_next(struct ioasid_ctx *ctx, const struct ioasid_dev *prev);
/* The bound device called @name, or NULL. */
struct ioasid_dev *dev_find_by_name(struct ioasid_ctx *ctx, const char *name);
/* The HWPT (@dev, @pasid) is attached to (IOASID_PASID_NONE: the RID's), or NULL. */
struct ioasid_hwpt *dev_attached_hwpt(const struct ioasid_dev *dev, uint32_t pasid);
/*
 * The paging HWPTs that mirror @ioas (each must follow its areas):
 * ioas_paging_next(ioas, NULL) is the first; NULL after the last.
 */
struct ioasid_hwpt *ioas_paging_next(const struct ioasid_ioas *ioas,
				     const struct ioasid_hwpt *prev);

/*
 * File and dma-buf maps (issue 12): what backs area @a of an IOAS --
 * process memory at a->uva, or a file (memfd, dma-buf) by the library's
 * fd and the file offset of the area's first byte. Live update saves
 * mappings through this; the iommufd backend maps with it.
 */
struct area_backing {
	enum ioasid_backing_kind kind;
	int fd;          /* the library's; -1 for process memory */
	uint64_t offset; /* file offset of a->iova */
	uint64_t ino;    /* the file's inode number */
	bool revoked;    /* a dma-buf its exporter revoked */
};
void area_backing(struct ioasid_ctx *ctx, const struct iova_area *a, struct area_backing *ret);

/* Shared by the backends that are not built yet. */
int backend_not_built(struct ioasid_ctx *ctx, const char *name, const char *what);

/* The backends this build knows, by kind (backend.c). */
const struct ioasid_backend_ops *backend_find(enum ioasid_backend_kind kind);
const struct ioasid_backend_ops *backend_by_name(const char *name, size_t len);

/*
 * Where "auto" looks (backend.c). backend_auto_host is the host's; a unit
 * test passes its own paths and a stand-in for the misc-device check, which
 * says whether char device @rdev is the misc device @name ("iommu",
 * "vfio") and, when it is not, what it is in @what.
 */
struct backend_auto_env {
	const char *iommu;        /* "/dev/iommu" */
	const char *vfio;         /* "/dev/vfio/vfio" */
	const char *vfio_devices; /* "/dev/vfio/devices" */
	bool (*is_misc)(dev_t rdev, const char *name, char *what, size_t whatlen);
};
extern const struct backend_auto_env backend_auto_host;

/*
 * "auto": iommufd when @env->iommu is the iommufd misc device and
 * @env->vfio_devices is a directory; else vfio when @env->vfio is the VFIO
 * misc device; else NULL. Each node must be a character device that opens
 * read-write. @reason says why, in either case.
 */
const struct ioasid_backend_ops *backend_pick_auto(const struct backend_auto_env *env, char *reason,
						   size_t len);

/*
 * Open a context of @ops (ctx.c): @open(ctx, @data) sets up ctx->be in
 * place of ops->open(ctx, @data as the spec's argument) when not NULL -- a
 * backend's test-only opener that must install its kernel seams before
 * the first ioctl. @spec and @reason are what the context reports.
 */
int ctx_open_with(const struct ioasid_backend_ops *ops, const char *spec, const char *reason,
		  const struct ioasid_ctx_opts *opts,
		  int (*open)(struct ioasid_ctx *ctx, const void *data), const void *data,
		  struct ioasid_ctx **ret_ctx);

extern const struct ioasid_backend_ops ioasid_sim_backend;
extern const struct ioasid_backend_ops ioasid_iommufd_backend;
extern const struct ioasid_backend_ops ioasid_vfio_backend;

#endif
