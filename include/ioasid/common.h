/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libioasid: definitions shared by every public header.
 */
#ifndef IOASID_COMMON_H
#define IOASID_COMMON_H

#include <stddef.h>
#include <stdint.h>

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
 * unknown tail is refused with -E2BIG. IOASID_OPTS_INIT(TYPE) initializes
 * one with sz set and every other field zero, in C and in C++ alike (no
 * compiler extension; no missing-initializer warning):
 *
 *   struct ioasid_ctx_opts o = IOASID_OPTS_INIT(ioasid_ctx_opts);
 *
 *   o.pinned_limit = 1 << 20;
 *
 * In C the fields may as well be named in the initializer:
 *
 *   struct ioasid_ctx_opts o = { .sz = sizeof(o), .pinned_limit = 1 << 20 };
 */
#ifdef __cplusplus
#define IOASID_OPTS_INIT(TYPE) (::ioasid_opts_init_<struct TYPE>())
#else
#define IOASID_OPTS_INIT(TYPE) { .sz = sizeof(struct TYPE) }
#endif

#ifdef __cplusplus
}
#endif

#ifdef __cplusplus
/* IOASID_OPTS_INIT() for C++: value-initialized (all zero), then sz. */
template <typename T> static inline T ioasid_opts_init_()
{
	T t = T();

	t.sz = sizeof(T);
	return t;
}
#endif

#endif /* IOASID_COMMON_H */
