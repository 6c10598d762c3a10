/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The host device scan behind ioasid_host_devices(), with the sysfs root
 * as a parameter so the unit tests can point it at a fake tree.
 */
#ifndef IOASID_HOST_SCAN_H
#define IOASID_HOST_SCAN_H

#include <stdint.h>

#include <ioasid/dev.h>

/*
 * Scan @sysfs_root/bus/pci/devices for devices in an IOMMU group, sorted
 * by PCI address. @out and @num as ioasid_host_devices(): 0, -EMSGSIZE
 * when *@num was too small (the first entries and the total are written),
 * -ENOMEM, -EINVAL, or the errno of a sysfs directory that exists but
 * cannot be read. A tree without bus/pci is an empty list.
 */
int host_scan_root(const char *sysfs_root, struct ioasid_dev_entry *out,
		   uint32_t *num);

#endif
