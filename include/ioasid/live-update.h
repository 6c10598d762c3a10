/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libioasid: live update of the VMM process (docs/live-update.md).
 *
 * A VMM hands its assigned devices to its successor (typically itself,
 * re-executed) without stopping their DMA. The kernel objects stay alive
 * because the successor inherits their files (the iommufd and the device
 * fds); the memory the devices use stays put because it is a file (a
 * memfd) the successor inherits too and maps again. What moves is the
 * charge of the pinned pages, from the old process to the new one:
 * ioasid_ctx_change_process().
 */
#ifndef IOASID_LIVE_UPDATE_H
#define IOASID_LIVE_UPDATE_H

#include <ioasid/common.h>
#include <ioasid/ctx.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * ioasid_ctx_change_process() - charge every pinned page of the context to
 * the calling process (the kernel's IOMMU_IOAS_CHANGE_PROCESS).
 * @ctx: the context.
 *
 * Every area of every IOAS must be a file map: an area over anonymous
 * process memory cannot move, since its pages belong to the old process's
 * address space. The call is all or nothing. From the process that
 * already holds the charges it changes nothing and succeeds, so it also
 * tells whether a context could be handed over.
 *
 * Return: 0; -EINVAL (message naming the IOAS and the area) when an area
 * is not a file map; -ENOMEM when the pins exceed the calling process's
 * pinned-memory limit (iommufd); -EOPNOTSUPP on the vfio backend (VFIO
 * type 1 has no way to move its pins) or on a kernel before 6.13
 * (-ENOTTY from the kernel is reported as it is).
 */
IOASID_EXPORT int ioasid_ctx_change_process(struct ioasid_ctx *ctx);

/**
 * ioasid_ctx_save_state() - write what a successor process needs to take
 * the context over: its objects with their ids, and the handles it
 * inherits (docs/live-update.md describes the document).
 * @ctx: the context (sim or iommufd).
 * @fd: where the JSON document is written (a memfd, a pipe, a file).
 *
 * The document names by number the fds the successor must inherit: on
 * iommufd the context's /dev/iommu and each device's VFIO cdev; on every
 * backend the memfd of each file map. This call clears their FD_CLOEXEC,
 * so that they survive the exec; the caller keeps them open until then.
 * The context stays usable, and its objects must not change between the
 * save and the hand-over.
 *
 * Nested HWPTs over a nest parent go with their stage-1 data; fault
 * queues with their settings and, on iommufd, their fd (the groups the
 * library has not read stay in the kernel's queue for the successor).
 *
 * Return: 0; -EINVAL (message naming the IOAS and the area) when an area
 * maps process memory, which cannot be handed over; -EBUSY (naming the
 * queue) when a fault queue holds page-request groups not answered, which
 * cannot outlive the process; -EOPNOTSUPP on vfio, for a vIOMMU object, a
 * nested HWPT over one or a selftest device (not saved by this version);
 * -EBADF for a negative @fd; -EIO when writing fails; -ENOMEM.
 */
IOASID_EXPORT int ioasid_ctx_save_state(struct ioasid_ctx *ctx, int fd);

/**
 * ioasid_ctx_restore_state() - the successor's side: a context rebuilt
 * from a document ioasid_ctx_save_state() wrote, with every object at its
 * old id.
 * @fd: the document, read to its end.
 * @opts: the new context's options (log callback...), or NULL; the
 *        document's pinned-memory limit applies when it is not 0.
 * @ret_ctx: the context.
 *
 * On iommufd the context adopts the kernel objects the document names,
 * over the inherited /dev/iommu, device and fault fds, without making or
 * changing any (the devices' DMA goes on), after checking each against
 * the kernel (docs/live-update.md: the fds' kinds, the objects' kinds,
 * the IOASes' areas); it owns those fds from then on. On the
 * sim the objects are made again and the file maps mapped again from the
 * inherited memfds. The pins stay charged to the old process until
 * ioasid_ctx_change_process(). The restored context keeps its own
 * duplicates of the memfds (ioasid_ioas_backing() names them); the
 * inherited memfd fds stay open and are the caller's.
 *
 * Every value is checked. On failure nothing is kept (the kernel objects
 * are not touched and the fds stay open) and ioasid_last_errmsg() names
 * the bad value.
 *
 * Return: 0; -EINVAL for a document that is not JSON, not of format
 * "libioasid-state", or has a missing, mistyped or inconsistent value;
 * -ERANGE for an id or a number out of range; -EOPNOTSUPP for another
 * version or backend; -EBADF for a negative @fd or an fd that is not what
 * the document says; -ENOENT when the kernel has no such object, or one
 * of another kind; -EINVAL when an adopted IOAS maps other than the
 * document says; the error of the call that rebuilding an object made;
 * -ENOMEM.
 */
IOASID_EXPORT int ioasid_ctx_restore_state(int fd, const struct ioasid_ctx_opts *opts,
					   struct ioasid_ctx **ret_ctx);

#ifdef __cplusplus
}
#endif

#endif
