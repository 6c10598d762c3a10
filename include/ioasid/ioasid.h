/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libioasid: manage I/O address spaces for assigned devices over iommufd,
 * legacy VFIO type1 or a simulated IOMMU. The umbrella header.
 */
#ifndef IOASID_IOASID_H
#define IOASID_IOASID_H

#include <ioasid/common.h>
#include <ioasid/ctx.h>
#include <ioasid/ioas.h>
#include <ioasid/set.h>
#include <ioasid/dev.h>
#include <ioasid/hwpt.h>
#include <ioasid/fault.h>
#include <ioasid/caps.h>
#include <ioasid/json.h>
#include <ioasid/sim.h>
#include <ioasid/monitor.h>
#include <ioasid/virtio-iommu.h>
#include <ioasid/viommu.h>
#include <ioasid/live-update.h>
#include <ioasid/inspect.h>
#include <ioasid/trace.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Library version. */
#define IOASID_VERSION_MAJOR 0
#define IOASID_VERSION_MINOR 1
#define IOASID_VERSION_PATCH 0

/**
 * ioasid_version() - the library's version string ("0.1.0").
 */
IOASID_EXPORT const char *ioasid_version(void);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_IOASID_H */
