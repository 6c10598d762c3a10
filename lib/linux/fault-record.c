/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's iommufd fault protocol (kernel-uapi.md §1.5) to and from the
 * common record: struct iommu_hwpt_pgfault (40 bytes, whole groups per
 * read) and struct iommu_hwpt_page_response (8 bytes). Byte buffers in,
 * byte buffers out, so it is tested without a kernel; the iommufd backend
 * uses it on its fault fd.
 */
#include <string.h>

#include "core/private.h"

#define PGFAULT_SIZE 40
#define PGF_PASID_VALID 0x1u
#define PGF_LAST_PAGE 0x2u
#define PERM_READ 0x1u
#define PERM_WRITE 0x2u
#define PERM_EXEC 0x4u
#define PERM_PRIV 0x8u

/* Offsets of struct iommu_hwpt_pgfault (machine-checked in kernel-uapi.md). */
enum {
	OFF_FLAGS = 0, OFF_DEV_ID = 4, OFF_PASID = 8, OFF_GRPID = 12, OFF_PERM = 16,
	OFF_RESERVED = 20, OFF_ADDR = 24, OFF_LENGTH = 32, OFF_COOKIE = 36,
};

static uint32_t get32(const uint8_t *p, unsigned int off)
{
	uint32_t v;

	memcpy(&v, p + off, 4);
	return v;
}

static void put32(uint8_t *p, unsigned int off, uint32_t v)
{
	memcpy(p + off, &v, 4);
}

IOASID_EXPORT int ioasid_fault_from_iommufd(const void *buf, size_t len,
					    struct ioasid_fault *out, uint32_t *inout_num)
{
	const uint8_t *p = buf;
	size_t n, i;
	bool in_group = false;

	if (!inout_num || (*inout_num && !out) || (len && !buf))
		return ioasid_err(NULL, -EINVAL, "ioasid_fault_from_iommufd: NULL argument");
	if (len % PGFAULT_SIZE)
		return ioasid_err(NULL, -EINVAL,
				  "%zu bytes is not a whole number of %d-byte iommufd fault records",
				  len, PGFAULT_SIZE);
	n = len / PGFAULT_SIZE;
	if (n > *inout_num)
		return ioasid_err(NULL, -EMSGSIZE, "%zu records; the array holds %u", n, *inout_num);
	for (i = 0; i < n; i++, p += PGFAULT_SIZE) {
		uint32_t flags = get32(p, OFF_FLAGS), perm = get32(p, OFF_PERM);
		struct ioasid_fault *f = &out[i];
		uint64_t addr;

		/*
		 * Other flag bits are ignored (kernel-uapi.md §1.5): the kernel
		 * copies its own page-request flags, and 7.2's VT-d (with a
		 * PASID) and AMD (always) drivers set 0x4, "the response needs
		 * the PASID".
		 */
		if (perm & ~(PERM_READ | PERM_WRITE | PERM_EXEC | PERM_PRIV))
			return ioasid_err(NULL, -EINVAL, "record %zu: unknown perm bits 0x%x", i, perm);
		if (get32(p, OFF_RESERVED))
			return ioasid_err(NULL, -EINVAL, "record %zu: __reserved is 0x%x", i,
					  get32(p, OFF_RESERVED));
		if (get32(p, OFF_GRPID) > 0xffff)
			return ioasid_err(NULL, -EINVAL, "record %zu: grpid 0x%x is not 16 bits", i,
					  get32(p, OFF_GRPID));
		if (!get32(p, OFF_COOKIE))
			return ioasid_err(NULL, -EINVAL, "record %zu: cookie 0", i);
		/* all records of a group share the first one's cookie */
		if (in_group && get32(p, OFF_COOKIE) != out[i - 1].cookie)
			return ioasid_err(NULL, -EINVAL,
					  "record %zu: cookie %u starts a new group before the last one ended",
					  i, get32(p, OFF_COOKIE));
		memset(f, 0, sizeof(*f));
		memcpy(&addr, p + OFF_ADDR, 8);
		f->flags = IOASID_FAULT_F_PAGE_REQ | IOASID_FAULT_F_ADDR_VALID |
			   IOASID_FAULT_F_GROUP_VALID |
			   ((flags & PGF_PASID_VALID) ? IOASID_FAULT_F_PASID_VALID : 0) |
			   ((flags & PGF_LAST_PAGE) ? IOASID_FAULT_F_LAST : 0) |
			   ((perm & PERM_READ) ? IOASID_FAULT_F_READ : 0) |
			   ((perm & PERM_WRITE) ? IOASID_FAULT_F_WRITE : 0) |
			   ((perm & PERM_EXEC) ? IOASID_FAULT_F_EXEC : 0) |
			   ((perm & PERM_PRIV) ? IOASID_FAULT_F_PRIV : 0);
		f->reason = IOASID_FAULT_R_PAGE_REQUEST;
		f->dev = get32(p, OFF_DEV_ID);
		f->pasid = (flags & PGF_PASID_VALID) ? get32(p, OFF_PASID) : IOASID_PASID_NONE;
		f->grpid = (uint16_t)get32(p, OFF_GRPID);
		f->addr = addr;
		f->cookie = get32(p, OFF_COOKIE);
		in_group = !(flags & PGF_LAST_PAGE);
	}
	/* the kernel hands out whole groups: a cut one is a short read */
	if (in_group)
		return ioasid_err(NULL, -EINVAL,
				  "the last of %zu records lacks LAST_PAGE: a group was cut short", n);
	*inout_num = (uint32_t)n;
	return 0;
}

IOASID_EXPORT int ioasid_fault_to_iommufd(const struct ioasid_fault *in, uint32_t n, void *buf,
					  size_t len)
{
	uint8_t *p = buf;
	uint32_t i;

	if ((n && !in) || (len && !buf))
		return ioasid_err(NULL, -EINVAL, "ioasid_fault_to_iommufd: NULL argument");
	if ((size_t)n * PGFAULT_SIZE > len)
		return ioasid_err(NULL, -EMSGSIZE, "%u records need %u bytes; the buffer has %zu", n,
				  n * PGFAULT_SIZE, len);
	for (i = 0; i < n; i++, p += PGFAULT_SIZE) {
		const struct ioasid_fault *f = &in[i];

		if (f->cookie > UINT32_MAX)
			return ioasid_err(NULL, -EINVAL, "record %u: cookie %llu is above 32 bits", i,
					  (unsigned long long)f->cookie);
		memset(p, 0, PGFAULT_SIZE);
		put32(p, OFF_FLAGS, ((f->flags & IOASID_FAULT_F_PASID_VALID) ? PGF_PASID_VALID : 0) |
				    ((f->flags & IOASID_FAULT_F_LAST) ? PGF_LAST_PAGE : 0));
		put32(p, OFF_DEV_ID, f->dev);
		put32(p, OFF_PASID, (f->flags & IOASID_FAULT_F_PASID_VALID) ? f->pasid : 0);
		put32(p, OFF_GRPID, f->grpid);
		put32(p, OFF_PERM, ((f->flags & IOASID_FAULT_F_READ) ? PERM_READ : 0) |
				   ((f->flags & IOASID_FAULT_F_WRITE) ? PERM_WRITE : 0) |
				   ((f->flags & IOASID_FAULT_F_EXEC) ? PERM_EXEC : 0) |
				   ((f->flags & IOASID_FAULT_F_PRIV) ? PERM_PRIV : 0));
		memcpy(p + OFF_ADDR, &f->addr, 8);
		put32(p, OFF_COOKIE, (uint32_t)f->cookie);
	}
	return 0;
}

IOASID_EXPORT int ioasid_fault_response_iommufd(uint64_t cookie, uint32_t code, void *buf)
{
	uint8_t *p = buf;

	if (!buf)
		return ioasid_err(NULL, -EINVAL, "buf is NULL");
	if (cookie == 0 || cookie > UINT32_MAX)
		return ioasid_err(NULL, -EINVAL, "cookie %llu is not a 32-bit iommufd cookie",
				  (unsigned long long)cookie);
	if (code > IOASID_FAULT_FAILURE)
		return ioasid_err(NULL, -EINVAL, "response code %u is unknown", code);
	put32(p, 0, (uint32_t)cookie);
	/* iommufd knows only SUCCESS (0) and INVALID (1): FAILURE goes as INVALID */
	put32(p, 4, code == IOASID_FAULT_SUCCESS ? 0 : 1);
	return 0;
}
