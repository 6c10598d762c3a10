/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libioasid: definitions shared by every public header.
 */
#ifndef IOASID_COMMON_H
#define IOASID_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the symbols the shared library exports (see lib/libioasid.map). */
#ifndef IOASID_EXPORT
#define IOASID_EXPORT __attribute__((visibility("default")))
#endif

/* "No PASID": a request or an attachment that carries no PASID (RID only). */
#define IOASID_PASID_NONE UINT32_MAX

/* The largest PASID width any IOMMU offers (PCIe: 20 bits). */
#define IOASID_PASID_MAX_WIDTH 20

/* No object: ids are positive, as in iommufd. */
#define IOASID_ID_NONE 0u

/*
 * Option structs start with `size_t sz`, the size the caller was compiled
 * with. The library accepts a smaller struct (missing fields read as zero)
 * and a bigger one whose unknown tail is all zero; a non-zero byte in the
 * unknown tail is refused with -E2BIG. IOASID_OPTS() declares one zeroed,
 * with sz set:
 *
 *   IOASID_OPTS(ioasid_ctx_opts, o, .pinned_limit = 1 << 20);
 */
#define IOASID_OPTS(TYPE, NAME, ...)                                      \
	struct TYPE NAME = ({                                              \
		memset(&NAME, 0, sizeof(struct TYPE));                     \
		(struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ };   \
	})

#ifdef __cplusplus
}
#endif

#endif /* IOASID_COMMON_H */
