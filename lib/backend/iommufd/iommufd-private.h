/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The iommufd backend as the unit tests reach it: its test hooks. What
 * it shares with the vfio backend is in lib/linux/linux.h.
 */
#ifndef IOASID_IOMMUFD_PRIVATE_H
#define IOASID_IOMMUFD_PRIVATE_H

#include "backend/backend.h"
#include "core/dev-private.h"
#include "linux/linux.h"

/* Replace the ioctl of an iommufd context (tests). */
int iommufd_set_ioctl_hook(struct ioasid_ctx *ctx, ku_ioctl_fn fn, void *data);
/* Replace the fault fd reads and writes of an iommufd context (tests). */
int iommufd_set_fault_io_hook(struct ioasid_ctx *ctx, ku_fault_io_fn fn, void *data);
/* Read sysfs below @root instead of "/sys" (tests; @root is copied). */
int iommufd_set_sysfs_root(struct ioasid_ctx *ctx, const char *root);

#endif /* IOASID_IOMMUFD_PRIVATE_H */
