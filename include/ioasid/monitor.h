/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libioasid: device events from the kernel (uevents over netlink, read
 * through libnl-3), filtered to what matters for device assignment: VFIO
 * devices and groups appearing and going, and PCI devices changing driver
 * (e.g. bound to or unbound from vfio-pci).
 */
#ifndef IOASID_MONITOR_H
#define IOASID_MONITOR_H

#include <stdbool.h>
#include <ioasid/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One parsed uevent. Strings are NUL-terminated, "" when absent. */
struct ioasid_uevent {
	char action[16];     /* add, remove, bind, unbind, change, move, ... */
	char devpath[256];   /* /devices/pci0000:00/0000:00:01.0 */
	char subsystem[32];  /* pci, vfio, vfio-dev, iommu, ... */
	char driver[32];     /* DRIVER= */
	char devname[64];    /* DEVNAME= (vfio/devices/vfio0) */
	char pci_slot[32];   /* PCI_SLOT_NAME= */
	uint64_t seqnum;     /* SEQNUM= */
};

/**
 * ioasid_uevent_parse() - parse one kernel uevent message
 * ("ACTION@DEVPATH\0KEY=VALUE\0..."). Untrusted input: every length is
 * checked; over-long values are refused, not truncated.
 * @buf: the message.
 * @len: its length.
 * @ret_ev: filled in; left unchanged when the message is refused.
 *
 * As the kernel sends them, the message must end with a NUL (a cut one
 * does not), the devpath must be absolute with no empty, "." or ".."
 * component (so "/sys" + devpath stays in /sys), and each of the keys kept
 * in struct ioasid_uevent may appear only once. Other keys are skipped.
 * Every refusal sets ioasid_last_errmsg() to the offset and the field.
 * Return: 0; -EINVAL malformed (empty, no final NUL, no '@' header, a
 * field without '=' or with an empty key, a missing, repeated or
 * disagreeing ACTION or DEVPATH, a SEQNUM that is not a 64-bit decimal);
 * -ENAMETOOLONG a value too long for its field; -ENOMSG a libudev message
 * (they start with "libudev\0"), which is not a kernel uevent.
 */
IOASID_EXPORT int ioasid_uevent_parse(const void *buf, size_t len,
				      struct ioasid_uevent *ret_ev);

/**
 * ioasid_uevent_relevant() - whether an event concerns device assignment.
 * @ev: the event.
 * Return: true for every event of the vfio (groups), vfio-dev (device
 * cdevs) and iommu (IOMMU instances) subsystems, and for PCI
 * bind/unbind/add/remove events; false for NULL.
 */
IOASID_EXPORT bool ioasid_uevent_relevant(const struct ioasid_uevent *ev);

struct ioasid_monitor;

/**
 * ioasid_monitor_open() - subscribe to kernel uevents (libnl-3 socket on
 * NETLINK_KOBJECT_UEVENT, group 1).
 * @ret_mon: the monitor.
 * Return: 0; -EPROTONOSUPPORT, -EAFNOSUPPORT or another negative errno
 * when the kernel offers no uevent socket here (e.g. a kernel built
 * without networking); -ENOMEM; -EINVAL for a NULL @ret_mon.
 */
IOASID_EXPORT int ioasid_monitor_open(struct ioasid_monitor **ret_mon);

/**
 * ioasid_monitor_fd() - the pollable fd of a monitor (O_CLOEXEC,
 * O_NONBLOCK). It stays owned by the monitor.
 * @mon: the monitor.
 * @ret_fd: the fd.
 * Return: 0, or -EINVAL for a NULL argument.
 */
IOASID_EXPORT int ioasid_monitor_fd(struct ioasid_monitor *mon, int *ret_fd);

/**
 * ioasid_monitor_read() - read one pending event without blocking.
 * @mon: the monitor.
 * @ret_ev: filled in.
 *
 * Only messages the kernel sent (netlink port 0) are parsed; anything else
 * on the group is refused, so a process cannot forge events. Do not call
 * it for one monitor from two threads at once (the monitor has one
 * buffer). Every error except -EAGAIN has consumed one message: keep
 * reading until -EAGAIN.
 * Return: 0; -EAGAIN nothing pending; -EINVAL / -ENAMETOOLONG a malformed
 * message (skipped; the next call reads the next one); -ENOMSG a libudev
 * message (skipped); -EPERM a message not from the kernel (skipped);
 * -EMSGSIZE a message too long for the buffer (skipped); -ENOBUFS the
 * socket queue overflowed and events were lost (rescan, e.g. with
 * ioasid_host_devices()); another negative errno from the socket.
 */
IOASID_EXPORT int ioasid_monitor_read(struct ioasid_monitor *mon,
				      struct ioasid_uevent *ret_ev);

/**
 * ioasid_monitor_close() - close a monitor; NULL is fine.
 * @mon: the monitor.
 */
IOASID_EXPORT void ioasid_monitor_close(struct ioasid_monitor *mon);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_MONITOR_H */
