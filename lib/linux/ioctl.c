/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The system calls behind the Linux backends' seam (linux.h): what a
 * context calls unless a unit test put its fake kernel in their place.
 */
#include <errno.h>
#include <unistd.h>

#include "linux/linux.h"

int ku_sys_ioctl(void *data, int fd, unsigned long req, void *arg)
{
	int r;

	(void)data;
	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

ssize_t ku_sys_fault_io(void *data, int fd, void *buf, size_t len, bool is_write)
{
	ssize_t r;

	(void)data;
	do {
		r = is_write ? write(fd, buf, len) : read(fd, buf, len);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}
