/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to lib/vendor: what the model files share.
 */
#ifndef IOASID_VENDOR_MODEL_H
#define IOASID_VENDOR_MODEL_H

#include "vendor.h"

#define VSZ_4K   UINT64_C(0x1000)
#define VSZ_16K  UINT64_C(0x4000)
#define VSZ_64K  UINT64_C(0x10000)
#define VSZ_2M   UINT64_C(0x200000)
#define VSZ_32M  UINT64_C(0x2000000)
#define VSZ_512M UINT64_C(0x20000000)
#define VSZ_1G   UINT64_C(0x40000000)

/*
 * The x86 interrupt window, which Intel's, AMD's and (on x86) the
 * virtio-iommu driver report as an MSI region.
 */
#define VX86_MSI_START UINT64_C(0xfee00000)
#define VX86_MSI_LAST UINT64_C(0xfeefffff)

/* A decoded number with a text label other than its key. */
#define CF_DECL(k, l, j, t) .kind = CF_NUM, .sect = CS_DECODED, .key = (k),  \
	.label = (l), .json = (j), .text = (t)
/* A decoded boolean set by several register values (@v: bit n = value n). */
#define CF_BITV(m, name, v) .kind = CF_BIT, .sect = CS_DECODED, .key = (name), \
	.mask = (m), .vals = (v), .flags = CFF_VIEW
/* An array register member of @n elements. */
#define CF_ATN(T, m, n) .off = offsetof(T, m), .size = sizeof(((T *)0)->m[0]), .count = (n)
/* A flag of a register, shown as a boolean; @ann annotates the register's row. */
#define CF_FLAGF(k, ann) .kind = CF_FLAG, .sect = CS_DECODED, .key = (k), .label = (ann)

/* Fill @e about register @reg of @d; returns -EINVAL. */
int vendor_fail(struct vendor_err *e, const struct cap_desc *d, unsigned int reg,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Fill @e about the profile key @key (a model's check hooks); returns -EINVAL. */
int vendor_fail_key(struct vendor_err *e, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* IOASID_VENDOR_MODEL_H */
