/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Arm SMMUv3 in-memory structures and queue entries (IHI 0070: §5.2 the
 * Stream Table Entry, §5.4 the Context Descriptor, §4 the commands, §7.3
 * the event records), as far as the library uses them: the guest's vSTE of
 * a nested HWPT (IOMMU_HWPT_DATA_ARM_SMMUV3), its CD tables in guest
 * memory, the CMDQ commands a vIOMMU takes and the event records a vEVENTQ
 * gives. Field positions are the architecture's (and Linux's
 * arm-smmu-v3.h names); lib/vendor/smmuv3.c has the ID registers.
 */
#ifndef IOASID_VENDOR_SMMUV3_DEFS_H
#define IOASID_VENDOR_SMMUV3_DEFS_H

#include <stdint.h>

/* Bits @h..@l of a 64-bit word, and a field's value. */
#define SMMU_MASK(h, l) ((~UINT64_C(0) >> (63 - (h))) & ~((UINT64_C(1) << (l)) - 1))
#define SMMU_GET(v, h, l) (((v)&SMMU_MASK(h, l)) >> (l))
#define SMMU_PUT(x, h, l) (((uint64_t)(x) << (l)) & SMMU_MASK(h, l))

/* ---- Stream Table Entry, words 0 and 1 (what a vSTE carries) ---- */
#define SMMU_STE0_V (UINT64_C(1) << 0)
#define SMMU_STE0_CFG_H 3 /* Config, bits 3:1 */
#define SMMU_STE0_CFG_L 1
#define SMMU_STE_CFG_ABORT 0
#define SMMU_STE_CFG_BYPASS 4   /* stage 1 and 2 bypassed (nested: stage 2 only) */
#define SMMU_STE_CFG_S1_TRANS 5 /* stage 1 (nested: over stage 2) */
#define SMMU_STE_CFG_S2_TRANS 6
#define SMMU_STE_CFG_NESTED 7
#define SMMU_STE0_S1FMT_H 5 /* CD table format, bits 5:4 */
#define SMMU_STE0_S1FMT_L 4
#define SMMU_S1FMT_LINEAR 0
#define SMMU_S1FMT_4K_L2 1  /* 2-level, 4 KiB leaves of 64 CDs: SSID[n:6] / SSID[5:0] */
#define SMMU_S1FMT_64K_L2 2 /* 2-level, 64 KiB leaves of 1024 CDs: SSID[n:10] / SSID[9:0] */
#define SMMU_STE0_CTXPTR_MASK SMMU_MASK(51, 6) /* S1ContextPtr */
#define SMMU_STE0_CDMAX_H 63                   /* S1CDMax, bits 63:59: log2 of the CDs */
#define SMMU_STE0_CDMAX_L 59

#define SMMU_STE1_S1DSS_H 1 /* non-substream traffic, bits 1:0 */
#define SMMU_STE1_S1DSS_L 0
#define SMMU_S1DSS_TERMINATE 0
#define SMMU_S1DSS_BYPASS 1
#define SMMU_S1DSS_SSID0 2
#define SMMU_STE1_S1CIR SMMU_MASK(3, 2)
#define SMMU_STE1_S1COR SMMU_MASK(5, 4)
#define SMMU_STE1_S1CSH SMMU_MASK(7, 6)
#define SMMU_STE1_S1STALLD (UINT64_C(1) << 27)
#define SMMU_STE1_EATS_H 29 /* ATS, bits 29:28 */
#define SMMU_STE1_EATS_L 28
#define SMMU_EATS_ABT 0
#define SMMU_EATS_TRANS 1

/*
 * What Linux lets a guest set in a vSTE (arm-smmu-v3.h,
 * STRTAB_STE_{0,1}_NESTING_ALLOWED): any other bit is -EIO.
 */
#define SMMU_STE0_NESTING_ALLOWED                                                  \
	(SMMU_STE0_V | SMMU_MASK(SMMU_STE0_CFG_H, SMMU_STE0_CFG_L) |               \
	 SMMU_MASK(SMMU_STE0_S1FMT_H, SMMU_STE0_S1FMT_L) | SMMU_STE0_CTXPTR_MASK | \
	 SMMU_MASK(SMMU_STE0_CDMAX_H, SMMU_STE0_CDMAX_L))
#define SMMU_STE1_NESTING_ALLOWED                                                              \
	(SMMU_MASK(SMMU_STE1_S1DSS_H, SMMU_STE1_S1DSS_L) | SMMU_STE1_S1CIR | SMMU_STE1_S1COR | \
	 SMMU_STE1_S1CSH | SMMU_STE1_S1STALLD | SMMU_MASK(SMMU_STE1_EATS_H, SMMU_STE1_EATS_L))

/* ---- Level-1 CD descriptor and Context Descriptor ---- */
#define SMMU_L1CD_V (UINT64_C(1) << 0)
#define SMMU_L1CD_L2PTR_MASK SMMU_MASK(51, 12)
#define SMMU_CD_SIZE 64 /* bytes */

#define SMMU_CD0_T0SZ_H 5
#define SMMU_CD0_T0SZ_L 0
#define SMMU_CD0_TG0_H 7 /* 0 4K, 1 64K, 2 16K */
#define SMMU_CD0_TG0_L 6
#define SMMU_CD0_EPD0 (UINT64_C(1) << 14)
#define SMMU_CD0_ENDI (UINT64_C(1) << 15)
#define SMMU_CD0_EPD1 (UINT64_C(1) << 30)
#define SMMU_CD0_V (UINT64_C(1) << 31)
#define SMMU_CD0_IPS_H 34
#define SMMU_CD0_IPS_L 32
#define SMMU_CD0_AFFD (UINT64_C(1) << 35)
#define SMMU_CD0_WXN (UINT64_C(1) << 36)
#define SMMU_CD0_UWXN (UINT64_C(1) << 37)
#define SMMU_CD0_TBI0 (UINT64_C(1) << 38)
#define SMMU_CD0_AA64 (UINT64_C(1) << 41)
#define SMMU_CD0_HD (UINT64_C(1) << 42)
#define SMMU_CD0_HA (UINT64_C(1) << 43)
#define SMMU_CD0_S (UINT64_C(1) << 44) /* stall */
#define SMMU_CD0_R (UINT64_C(1) << 45) /* record faults */
#define SMMU_CD0_A (UINT64_C(1) << 46) /* abort faulting transactions */
#define SMMU_CD0_ASET (UINT64_C(1) << 47)
#define SMMU_CD0_ASID_H 63
#define SMMU_CD0_ASID_L 48
#define SMMU_CD1_TTB0_MASK SMMU_MASK(51, 4)

/* ---- commands (16 bytes, two little-endian words) ---- */
#define SMMU_CMD_OP(c0) ((unsigned int)((c0)&0xff))
#define SMMU_CMD_CFGI_STE 0x03
#define SMMU_CMD_CFGI_ALL 0x04
#define SMMU_CMD_CFGI_CD 0x05
#define SMMU_CMD_CFGI_CD_ALL 0x06
#define SMMU_CMD_TLBI_NH_ALL 0x10
#define SMMU_CMD_TLBI_NH_ASID 0x11
#define SMMU_CMD_TLBI_NH_VA 0x12
#define SMMU_CMD_TLBI_NH_VAA 0x13
#define SMMU_CMD_TLBI_EL2_ALL 0x20
#define SMMU_CMD_TLBI_S12_VMALL 0x28
#define SMMU_CMD_TLBI_S2_IPA 0x2a
#define SMMU_CMD_TLBI_NSNH_ALL 0x30
#define SMMU_CMD_ATC_INV 0x40
#define SMMU_CMD_PRI_RESP 0x41
#define SMMU_CMD_RESUME 0x44
#define SMMU_CMD_SYNC 0x46

#define SMMU_CMD0_SSV (UINT64_C(1) << 11)
#define SMMU_CMD0_SSID_H 31 /* CFGI_CD, ATC_INV */
#define SMMU_CMD0_SSID_L 12
#define SMMU_CMD0_SID_H 63 /* CFGI_*, ATC_INV: the StreamID */
#define SMMU_CMD0_SID_L 32
#define SMMU_CMD1_CFGI_LEAF (UINT64_C(1) << 0)
#define SMMU_CMD0_TLBI_NUM_H 16 /* range invalidation: NUM + 1 ... */
#define SMMU_CMD0_TLBI_NUM_L 12
#define SMMU_CMD0_TLBI_SCALE_H 24 /* ... << SCALE pages of the TG granule */
#define SMMU_CMD0_TLBI_SCALE_L 20
#define SMMU_CMD0_TLBI_VMID_H 47
#define SMMU_CMD0_TLBI_VMID_L 32
#define SMMU_CMD0_TLBI_ASID_H 63
#define SMMU_CMD0_TLBI_ASID_L 48
#define SMMU_CMD1_TLBI_LEAF (UINT64_C(1) << 0)
#define SMMU_CMD1_TLBI_TTL_H 9
#define SMMU_CMD1_TLBI_TTL_L 8
#define SMMU_CMD1_TLBI_TG_H 11 /* 0: not a range; 1 4K, 2 16K, 3 64K */
#define SMMU_CMD1_TLBI_TG_L 10
#define SMMU_CMD1_TLBI_VA_MASK SMMU_MASK(63, 12)
#define SMMU_CMD0_ATC_GLOBAL (UINT64_C(1) << 9)
#define SMMU_CMD1_ATC_SIZE_H 5 /* log2 of the span in 4 KiB pages */
#define SMMU_CMD1_ATC_SIZE_L 0
#define SMMU_CMD1_ATC_ADDR_MASK SMMU_MASK(63, 12)

/* ---- event records (32 bytes, four little-endian words) ---- */
#define SMMU_EVT_F_UUT 0x01
#define SMMU_EVT_C_BAD_STREAMID 0x02
#define SMMU_EVT_F_STE_FETCH 0x03
#define SMMU_EVT_C_BAD_STE 0x04
#define SMMU_EVT_F_STREAM_DISABLED 0x06
#define SMMU_EVT_C_BAD_SUBSTREAMID 0x08
#define SMMU_EVT_F_CD_FETCH 0x09
#define SMMU_EVT_C_BAD_CD 0x0a
#define SMMU_EVT_F_WALK_EABT 0x0b
#define SMMU_EVT_F_TRANSLATION 0x10
#define SMMU_EVT_F_ADDR_SIZE 0x11
#define SMMU_EVT_F_ACCESS 0x12
#define SMMU_EVT_F_PERMISSION 0x13

#define SMMU_EVT0_SSV (UINT64_C(1) << 11)
#define SMMU_EVT0_SSID_H 31
#define SMMU_EVT0_SSID_L 12
#define SMMU_EVT0_SID_H 63
#define SMMU_EVT0_SID_L 32
#define SMMU_EVT1_STAG_H 15
#define SMMU_EVT1_STAG_L 0
#define SMMU_EVT1_STALL (UINT64_C(1) << 31)
#define SMMU_EVT1_PNU (UINT64_C(1) << 33) /* privileged */
#define SMMU_EVT1_IND (UINT64_C(1) << 34) /* instruction */
#define SMMU_EVT1_RNW (UINT64_C(1) << 35) /* read */
#define SMMU_EVT1_S2 (UINT64_C(1) << 39)  /* stage 2 found it */
#define SMMU_EVT1_CLASS_H 41
#define SMMU_EVT1_CLASS_L 40
#define SMMU_EVT_CLASS_CD 0 /* the fault hit a CD fetch */
#define SMMU_EVT_CLASS_TT 1 /* a stage-1 table fetch */
#define SMMU_EVT_CLASS_IN 2 /* the input address */
#define SMMU_EVT3_IPA_MASK SMMU_MASK(51, 12)
#define SMMU_EVT3_FETCH_MASK SMMU_MASK(51, 3)

#endif /* IOASID_VENDOR_SMMUV3_DEFS_H */
