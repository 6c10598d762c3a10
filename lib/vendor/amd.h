/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AMD IOMMU facts beyond the feature registers: the Device Table Entry
 * fields a guest's DTE carries into a nested domain, and the GCR3 table
 * (AMD I/O Virtualization Technology specification, pub. 48882, 2.2.2
 * "Device Table Entry Format" and 2.2.6 "Guest CR3 table"; the field names
 * are Linux's, drivers/iommu/amd/amd_iommu_types.h). Private to the
 * library: the sim's AMD model and the checks of a nested HWPT's data use
 * them.
 */
#ifndef IOASID_VENDOR_AMD_H
#define IOASID_VENDOR_AMD_H

#include <stdbool.h>
#include <stdint.h>

#include "vendor.h"

#define AMD_MASK(hi, lo) ((~UINT64_C(0) >> (63 - (hi))) & ~((UINT64_C(1) << (lo)) - 1))
#define AMD_GET(v, hi, lo) (((v)&AMD_MASK(hi, lo)) >> (lo))

/* DTE word 0 (bits 63:0) */
#define AMD_DTE0_V (UINT64_C(1) << 0)
#define AMD_DTE0_TV (UINT64_C(1) << 1)
#define AMD_DTE0_MODE AMD_MASK(11, 9)      /* host table depth; 0: no host translation */
#define AMD_DTE0_HOST_TRP AMD_MASK(51, 12) /* host table root */
#define AMD_DTE0_PPR (UINT64_C(1) << 52)   /* peripheral page requests enabled */
#define AMD_DTE0_GIOV (UINT64_C(1) << 54)  /* requests without PASID use PASID 0's guest table */
#define AMD_DTE0_GV (UINT64_C(1) << 55)    /* guest translation valid */
#define AMD_DTE0_GLX_SHIFT 56              /* 2 bits: GCR3 table levels - 1; 3 reserved */
#define AMD_DTE0_GCR3_14_12 AMD_MASK(60, 58)
#define AMD_DTE0_IR (UINT64_C(1) << 61)
#define AMD_DTE0_IW (UINT64_C(1) << 62)
/* DTE word 1 (bits 127:64) */
#define AMD_DTE1_DOMID AMD_MASK(15, 0)
#define AMD_DTE1_GCR3_30_15 AMD_MASK(31, 16)
#define AMD_DTE1_GCR3_51_31 AMD_MASK(63, 43)
/* DTE word 2 (bits 191:128) */
#define AMD_DTE2_GPT_SHIFT 54 /* 2 bits, GuestPagingMode: 0 4-level, 1 5-level */

/* A GCR3 table entry: valid bit 0, the next table or the guest CR3 at 51:12. */
#define AMD_GCR3_VALID (UINT64_C(1) << 0)
#define AMD_GCR3_ADDR AMD_MASK(51, 12)

/*
 * What a guest DTE makes of a nested domain: the fields Linux's
 * set_dte_nested() copies into the host DTE (drivers/iommu/amd/nested.c).
 * Everything else the guest wrote is ignored, and GV is always set.
 */
struct vendor_amd_gdte {
	uint64_t gcr3_root;       /* the GCR3 table, a guest-physical address (51:12) */
	unsigned int gcr3_levels; /* GLX + 1: 1..3 */
	unsigned int gpt_levels;  /* the guest's v2 tables: 4 or 5 */
	uint16_t gdom_id;         /* the guest's domain id: its TLB tag */
	bool giov;                /* requests without PASID use PASID 0's table */
	bool ppr;                 /* page requests reach the PPR log (fault queue) */
};

/**
 * vendor_amd_gdte_check() - the kernel's checks of a guest DTE for a
 * nested domain, in its order (validate_gdte_nested()), then what it keeps.
 * @dte: the four words of struct iommu_hwpt_amd_guest, in host order.
 * @guest_levels: the deepest guest table the host allows (Linux's
 *                amd_iommu_gpt_level: 5 only with EFR.GATS = 1 and LA57).
 * @ret: filled on success.
 * @e: on failure, the word ("dte[0]") and what is wrong.
 *
 * Return: 0; -EINVAL a Mode or host table root set, V and GV with a zero
 * GCR3 root, a GuestPagingMode other than 0 or 1, GLX 3; -EOPNOTSUPP a
 * 5-level guest table on a host without them.
 */
int vendor_amd_gdte_check(const uint64_t dte[4], unsigned int guest_levels,
			  struct vendor_amd_gdte *ret, struct vendor_err *e);

#endif /* IOASID_VENDOR_AMD_H */
