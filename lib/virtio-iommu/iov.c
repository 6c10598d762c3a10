/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scatter/gather over the iovec arrays a VMM hands over: a virtqueue
 * chain's device-readable and device-writable parts may be split at any
 * byte, so requests, replies and event records are read and written
 * through these.
 */
#include <string.h>

#include "private.h"

/* Copy between a flat buffer and the bytes of @iov from @off on. */
static size_t iov_copy(const struct iovec *iov, unsigned int cnt, size_t off,
		       uint8_t *buf, size_t len, bool to_iov)
{
	size_t done = 0;
	unsigned int i;

	for (i = 0; i < cnt && done < len; i++) {
		size_t seg = iov[i].iov_len, n;
		uint8_t *at;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		at = (uint8_t *)iov[i].iov_base + off;
		n = VI_MIN(seg - off, len - done);
		if (to_iov)
			memcpy(at, buf + done, n);
		else
			memcpy(buf + done, at, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t vi_iov_read(const struct iovec *iov, unsigned int cnt, size_t off,
		   void *dst, size_t len)
{
	return iov_copy(iov, cnt, off, dst, len, false);
}

size_t vi_iov_write(const struct iovec *iov, unsigned int cnt, size_t off,
		    const void *src, size_t len)
{
	/* iov_copy() only reads @src in this direction */
	return iov_copy(iov, cnt, off, (uint8_t *)(uintptr_t)src, len, true);
}
