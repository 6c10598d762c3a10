/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libioasid: device information as a capability chain.
 *
 * A chain is one buffer: a struct ioasid_info_hdr at offset 0, then
 * capabilities, each starting with a struct ioasid_cap_header whose `next`
 * is the offset (from the start of the buffer) of the following capability;
 * 0 ends the chain. New capabilities and new versions of a capability never
 * break an old reader: it skips ids it does not know and reads only the
 * fields it knows of a newer version.
 *
 * Every value is in native byte order. Every struct here has fixed-width
 * fields, explicit padding and a size that is a multiple of 8, so that a
 * chain we build keeps every capability 8-byte aligned.
 *
 * The parser treats every buffer as untrusted (bounds, alignment, loops,
 * truncation, sizes below what an id and version require, arrays that
 * overrun). Accessors copy out of the buffer, so the buffer itself needs no
 * particular alignment. Errors are negative errnos:
 *
 *   -EINVAL    malformed: bad magic, bad alignment, a `next` that does not
 *              move forward past the end of the current capability (which
 *              is how loops are refused, in linear time), an impossible
 *              value (page-size bitmap 0, start > last, decoded vendor
 *              fields that disagree with the raw registers, ...), a known
 *              id present twice, unknown flags.
 *   -EMSGSIZE  something is cut short: the buffer is shorter than the chain
 *              says, a capability runs past the end of the chain, a
 *              capability is smaller than the struct of its id and version,
 *              a counted array does not fit in its capability.
 *   -E2BIG     (builder) the chain would not fit the 32-bit offsets.
 *   -ENOENT    lookup miss, empty chain, end of chain.
 *   -ENOMEM    (builder) out of memory; the builder is left unchanged.
 *
 * Every failed call leaves a message naming the offset, the capability id
 * and the bad value as the thread's last error: read it with
 * ioasid_last_errmsg() (ctx.h). These calls take no context.
 *
 * Threads: the parsing, decoding and naming functions keep no state and
 * may run concurrently, also on one buffer. A builder is not locked: one
 * thread at a time per builder.
 */
#ifndef IOASID_CAPS_H
#define IOASID_CAPS_H

#include <stddef.h>
#include <stdint.h>

#include <ioasid/common.h>
#include <ioasid/ctx.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A compile-time check of this header's layouts, in C and C++ alike. */
#ifdef __cplusplus
#define IOASID_CAPS_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define IOASID_CAPS_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/* ------------------------------------------------------------------------ */
/* Chain layout                                                             */

/*
 * The value of the multi-character constant 'IOAI', stored in native order
 * (so a little-endian dump shows "IAOI"); a chain written on a host of the
 * other byte order fails this check instead of being misread.
 */
#define IOASID_INFO_MAGIC 0x494f4149u
#define IOASID_INFO_VERSION 1

/* At offset 0 of every chain. 16 bytes. */
struct ioasid_info_hdr {
	uint32_t magic;      /* IOASID_INFO_MAGIC */
	uint16_t version;    /* IOASID_INFO_VERSION; newer ones are accepted */
	uint16_t hdr_size;   /* bytes of this header; first_cap >= hdr_size */
	uint32_t total_size; /* bytes of the whole chain, header included */
	uint32_t first_cap;  /* offset of the first capability, 0 = none */
};

/* Where a capability's content came from. */
enum ioasid_cap_source {
	IOASID_CAP_SRC_MEASURED = 1,   /* read from the hardware or the kernel */
	IOASID_CAP_SRC_DERIVED = 2,    /* computed from other facts */
	IOASID_CAP_SRC_CONFIGURED = 3, /* set by a sim profile */
};

/* Starts every capability. 16 bytes. */
struct ioasid_cap_header {
	uint16_t id;      /* enum ioasid_cap_id, or one this reader may not know */
	uint16_t version; /* layout version of this id, >= 1 */
	uint32_t next;    /* offset from the buffer start of the next cap, 0 ends */
	uint32_t size;    /* bytes of this capability, header included */
	uint32_t source;  /* enum ioasid_cap_source */
};

/*
 * Capability ids. Vendor ids are 0x100 plus the iommufd hw_info type where
 * one exists (IOMMU_HW_INFO_TYPE_INTEL_VTD = 1, ARM_SMMUV3 = 2, AMD = 4).
 */
enum ioasid_cap_id {
	IOASID_CAP_PAGE_SIZES = 1,
	IOASID_CAP_ADDR_WIDTH = 2,
	IOASID_CAP_PASID = 3,
	IOASID_CAP_IOVA_RANGES = 4,
	IOASID_CAP_RESV_REGIONS = 5,
	IOASID_CAP_FEATURES = 6,
	IOASID_CAP_VTD = 0x101,
	IOASID_CAP_SMMUV3 = 0x102,
	IOASID_CAP_AMD = 0x104,
	IOASID_CAP_VIRTIO_IOMMU = 0x110,
};

/* ------------------------------------------------------------------------ */
/* Generic capabilities (all version 1)                                     */

/* Supported IOMMU page sizes: bit n set = 2^n bytes. Never 0. */
struct ioasid_cap_page_sizes {
	struct ioasid_cap_header hdr;
	uint64_t bitmap;
};

/* Address widths in bits, each 1..64. */
struct ioasid_cap_addr_width {
	struct ioasid_cap_header hdr;
	uint32_t input_bits;  /* IOVA width the device can emit and we translate */
	uint32_t output_bits; /* physical address width of the translation */
};

/* PASID support: width 0 (none) ..IOASID_PASID_MAX_WIDTH. */
struct ioasid_cap_pasid {
	struct ioasid_cap_header hdr;
	uint32_t width;      /* bits */
	uint32_t max_pasids; /* 1 << width, or 0 when width is 0 */
};

/* One IOVA range, both ends inclusive. 16 bytes. */
struct ioasid_cap_iova_range {
	uint64_t start;
	uint64_t last;
};

/*
 * Usable IOVA ranges: sorted, non-overlapping. Followed by `count` entries of
 * `elem_size` bytes each (>= sizeof(struct ioasid_cap_iova_range), a multiple
 * of 8); a newer version may make entries longer, readers use the prefix.
 */
struct ioasid_cap_iova_ranges {
	struct ioasid_cap_header hdr;
	uint32_t count;
	uint32_t elem_size;
	/* struct ioasid_cap_iova_range ranges[count]; */
};

/* Reserved-region types; an unknown type is to be treated as RESERVED. */
enum ioasid_resv_type {
	IOASID_RESV_RESERVED = 1,         /* never map */
	IOASID_RESV_MSI = 2,              /* hardware MSI window, never map */
	IOASID_RESV_SW_MSI = 3,           /* software-managed MSI window */
	IOASID_RESV_DIRECT = 4,           /* must stay identity-mapped */
	IOASID_RESV_DIRECT_RELAXABLE = 5, /* identity-mapped, may be given up */
};

/* One reserved region, both ends inclusive. 24 bytes. */
struct ioasid_cap_resv_region {
	uint64_t start;
	uint64_t last;
	uint32_t type; /* enum ioasid_resv_type, never 0 */
	uint32_t pad;  /* 0 */
};

/* Reserved regions (may overlap). Entries follow as for IOVA_RANGES. */
struct ioasid_cap_resv_regions {
	struct ioasid_cap_header hdr;
	uint32_t count;
	uint32_t elem_size;
	/* struct ioasid_cap_resv_region regions[count]; */
};

/* Feature bits (struct ioasid_cap_features). */
#define IOASID_FEAT_NESTING        (UINT64_C(1) << 0) /* nested stage-1 hwpt */
#define IOASID_FEAT_DIRTY_TRACKING (UINT64_C(1) << 1)
#define IOASID_FEAT_PRI            (UINT64_C(1) << 2) /* PCIe page requests */
#define IOASID_FEAT_ATS            (UINT64_C(1) << 3)
#define IOASID_FEAT_PASID          (UINT64_C(1) << 4)
#define IOASID_FEAT_PASID_EXEC     (UINT64_C(1) << 5)
#define IOASID_FEAT_PASID_PRIV     (UINT64_C(1) << 6)
#define IOASID_FEAT_COHERENT       (UINT64_C(1) << 7) /* walks snoop caches */
#define IOASID_FEAT_STALL          (UINT64_C(1) << 8) /* stall-model faults */
#define IOASID_FEAT_IDENTITY       (UINT64_C(1) << 9) /* pass-through domain */
#define IOASID_FEAT_ALL            ((UINT64_C(1) << 10) - 1)

/*
 * Features. `known` says which bits the backend could determine: a bit
 * outside `known` is "unknown", not "absent" (e.g. legacy VFIO cannot tell
 * PRI). features must be a subset of known.
 */
struct ioasid_cap_features {
	struct ioasid_cap_header hdr;
	uint64_t features;
	uint64_t known;
};

/* ------------------------------------------------------------------------ */
/* Vendor capabilities: raw registers plus fields decoded from them         */
/*                                                                          */
/* The decoded fields are a pure function of the raw registers (see         */
/* ioasid_cap_*_decode()); the parser refuses a capability whose decoded     */
/* fields disagree with its registers.                                      */

/* Errata flags, as iommufd reports them (iommu_hw_info_vtd.flags). */
#define IOASID_VTD_ERRATA_772415_SPR17 (1u << 0)

/*
 * Decoded VT-d booleans (struct ioasid_cap_vtd.bits), named after the
 * VT-d spec fields (§11.4.2 CAP_REG, §11.4.3 ECAP_REG); first/second-level
 * names are the pre-4.0 spelling of first/second-stage.
 */
#define IOASID_VTD_AFL      (UINT64_C(1) << 0)  /* CAP[3] advanced fault log */
#define IOASID_VTD_RWBF     (UINT64_C(1) << 1)  /* CAP[4] write-buffer flush */
#define IOASID_VTD_PLMR     (UINT64_C(1) << 2)  /* CAP[5] */
#define IOASID_VTD_PHMR     (UINT64_C(1) << 3)  /* CAP[6] */
#define IOASID_VTD_CM       (UINT64_C(1) << 4)  /* CAP[7] caching mode */
#define IOASID_VTD_ZLR      (UINT64_C(1) << 5)  /* CAP[22] zero-length read */
#define IOASID_VTD_PSI      (UINT64_C(1) << 6)  /* CAP[39] page-selective inv. */
#define IOASID_VTD_DWD      (UINT64_C(1) << 7)  /* CAP[54] write draining */
#define IOASID_VTD_DRD      (UINT64_C(1) << 8)  /* CAP[55] read draining */
#define IOASID_VTD_FL1GP    (UINT64_C(1) << 9)  /* CAP[56] first-stage 1 GiB */
#define IOASID_VTD_PI       (UINT64_C(1) << 10) /* CAP[59] posted interrupts */
#define IOASID_VTD_FL5LP    (UINT64_C(1) << 11) /* CAP[60] first-stage 5-level */
#define IOASID_VTD_ECMDS    (UINT64_C(1) << 12) /* CAP[61] enhanced commands */
#define IOASID_VTD_ESIRTPS  (UINT64_C(1) << 13) /* CAP[62] */
#define IOASID_VTD_ESRTPS   (UINT64_C(1) << 14) /* CAP[63] */
#define IOASID_VTD_SP_2M    (UINT64_C(1) << 15) /* CAP[34] SLLPS 2 MiB */
#define IOASID_VTD_SP_1G    (UINT64_C(1) << 16) /* CAP[35] SLLPS 1 GiB */
#define IOASID_VTD_C        (UINT64_C(1) << 17) /* ECAP[0] coherent walks */
#define IOASID_VTD_QI       (UINT64_C(1) << 18) /* ECAP[1] queued invalidation */
#define IOASID_VTD_DT       (UINT64_C(1) << 19) /* ECAP[2] device TLB (ATS) */
#define IOASID_VTD_IR       (UINT64_C(1) << 20) /* ECAP[3] interrupt remapping */
#define IOASID_VTD_EIM      (UINT64_C(1) << 21) /* ECAP[4] x2APIC */
#define IOASID_VTD_PT       (UINT64_C(1) << 22) /* ECAP[6] pass-through */
#define IOASID_VTD_SC       (UINT64_C(1) << 23) /* ECAP[7] snoop control */
#define IOASID_VTD_MTS      (UINT64_C(1) << 24) /* ECAP[25] memory type */
#define IOASID_VTD_NEST     (UINT64_C(1) << 25) /* ECAP[26] nested translation */
#define IOASID_VTD_DIS      (UINT64_C(1) << 26) /* ECAP[27] */
#define IOASID_VTD_PRS      (UINT64_C(1) << 27) /* ECAP[29] page requests */
#define IOASID_VTD_ERS      (UINT64_C(1) << 28) /* ECAP[30] execute requests */
#define IOASID_VTD_SRS      (UINT64_C(1) << 29) /* ECAP[31] supervisor req. */
#define IOASID_VTD_NWFS     (UINT64_C(1) << 30) /* ECAP[33] no write flag */
#define IOASID_VTD_EAFS     (UINT64_C(1) << 31) /* ECAP[34] extended A flag */
#define IOASID_VTD_PASID    (UINT64_C(1) << 32) /* ECAP[40] PASID support */
#define IOASID_VTD_DIT      (UINT64_C(1) << 33) /* ECAP[41] device-TLB inv. thr. */
#define IOASID_VTD_PDS      (UINT64_C(1) << 34) /* ECAP[42] page-request drain */
#define IOASID_VTD_SMTS     (UINT64_C(1) << 35) /* ECAP[43] scalable mode */
#define IOASID_VTD_VCS      (UINT64_C(1) << 36) /* ECAP[44] virtual commands */
#define IOASID_VTD_SLADS    (UINT64_C(1) << 37) /* ECAP[45] 2nd-stage A/D (dirty) */
#define IOASID_VTD_SLTS     (UINT64_C(1) << 38) /* ECAP[46] second-stage */
#define IOASID_VTD_FLTS     (UINT64_C(1) << 39) /* ECAP[47] first-stage */
#define IOASID_VTD_SMPWC    (UINT64_C(1) << 40) /* ECAP[48] snoopy PASID walks */
#define IOASID_VTD_RPS      (UINT64_C(1) << 41) /* ECAP[49] RID_PASID */
#define IOASID_VTD_PMS      (UINT64_C(1) << 42) /* ECAP[51] perf monitoring */
#define IOASID_VTD_BITS_V1  ((UINT64_C(1) << 43) - 1)

/* Intel VT-d. 56 bytes. */
struct ioasid_cap_vtd {
	struct ioasid_cap_header hdr;
	uint64_t cap_reg;   /* raw Capability Register */
	uint64_t ecap_reg;  /* raw Extended Capability Register */
	uint32_t flags;     /* IOASID_VTD_ERRATA_* */
	/* decoded */
	uint32_t domains;   /* CAP.ND: 2^(4 + 2 * ND); 0 for the reserved ND 7 */
	uint64_t bits;      /* IOASID_VTD_* */
	uint8_t sagaw;      /* CAP[12:8]: bit 1 39-bit, 2 48-bit, 3 57-bit */
	uint8_t levels;     /* bit n set = n-level table supported (SAGAW << 2) */
	uint8_t mgaw;       /* CAP[21:16] + 1: max guest address width, bits */
	uint8_t sllps;      /* CAP[37:34]: bit 0 2 MiB, bit 1 1 GiB superpages */
	uint8_t pss;        /* ECAP[39:35] PASID size field */
	uint8_t pasid_bits; /* PSS + 1 when ECAP.PASID, else 0 */
	uint8_t mamv;       /* CAP[53:48] max address mask value */
	uint8_t mhmv;       /* ECAP[23:20] max handle mask value */
};

/* Errata flags, as iommufd reports them (iommu_hw_info_arm_smmuv3.flags). */
#define IOASID_SMMUV3_ERRATA_REPEAT_TLBI_CFGI (1u << 0)

/* Decoded SMMUv3 booleans (struct ioasid_cap_smmuv3.bits), from IHI 0070. */
#define IOASID_SMMUV3_S2P          (UINT64_C(1) << 0)  /* IDR0[0] */
#define IOASID_SMMUV3_S1P          (UINT64_C(1) << 1)  /* IDR0[1] */
#define IOASID_SMMUV3_TTF_AARCH32  (UINT64_C(1) << 2)  /* IDR0[2] */
#define IOASID_SMMUV3_TTF_AARCH64  (UINT64_C(1) << 3)  /* IDR0[3] */
#define IOASID_SMMUV3_COHACC       (UINT64_C(1) << 4)  /* IDR0[4] */
#define IOASID_SMMUV3_BTM          (UINT64_C(1) << 5)  /* IDR0[5] */
#define IOASID_SMMUV3_HA           (UINT64_C(1) << 6)  /* IDR0.HTTU >= 1 */
#define IOASID_SMMUV3_HD           (UINT64_C(1) << 7)  /* IDR0.HTTU == 2 */
#define IOASID_SMMUV3_DORMHINT     (UINT64_C(1) << 8)  /* IDR0[8] */
#define IOASID_SMMUV3_HYP          (UINT64_C(1) << 9)  /* IDR0[9] */
#define IOASID_SMMUV3_ATS          (UINT64_C(1) << 10) /* IDR0[10] */
#define IOASID_SMMUV3_NS1ATS       (UINT64_C(1) << 11) /* IDR0[11] */
#define IOASID_SMMUV3_ASID16       (UINT64_C(1) << 12) /* IDR0[12] */
#define IOASID_SMMUV3_MSI          (UINT64_C(1) << 13) /* IDR0[13] */
#define IOASID_SMMUV3_SEV          (UINT64_C(1) << 14) /* IDR0[14] */
#define IOASID_SMMUV3_ATOS         (UINT64_C(1) << 15) /* IDR0[15] */
#define IOASID_SMMUV3_PRI          (UINT64_C(1) << 16) /* IDR0[16] */
#define IOASID_SMMUV3_VMW          (UINT64_C(1) << 17) /* IDR0[17] */
#define IOASID_SMMUV3_VMID16       (UINT64_C(1) << 18) /* IDR0[18] */
#define IOASID_SMMUV3_CD2L         (UINT64_C(1) << 19) /* IDR0[19] */
#define IOASID_SMMUV3_VATOS        (UINT64_C(1) << 20) /* IDR0[20] */
#define IOASID_SMMUV3_TERM_MODEL   (UINT64_C(1) << 21) /* IDR0[26] */
#define IOASID_SMMUV3_STALL        (UINT64_C(1) << 22) /* STALL_MODEL 0 or 2 */
#define IOASID_SMMUV3_STALL_FORCE  (UINT64_C(1) << 23) /* STALL_MODEL == 2 */
#define IOASID_SMMUV3_HAD          (UINT64_C(1) << 24) /* IDR3[2] */
#define IOASID_SMMUV3_MPAM         (UINT64_C(1) << 25) /* IDR3[7] */
#define IOASID_SMMUV3_FWB          (UINT64_C(1) << 26) /* IDR3[8] */
#define IOASID_SMMUV3_STT          (UINT64_C(1) << 27) /* IDR3[9] */
#define IOASID_SMMUV3_RIL          (UINT64_C(1) << 28) /* IDR3[10] range inv. */
#define IOASID_SMMUV3_E0PD         (UINT64_C(1) << 29) /* IDR3[13] */
#define IOASID_SMMUV3_PTWNNC       (UINT64_C(1) << 30) /* IDR3[14] */
#define IOASID_SMMUV3_DPT          (UINT64_C(1) << 31) /* IDR3[15] */
#define IOASID_SMMUV3_DS           (UINT64_C(1) << 32) /* IDR5[3] 52-bit 4K/16K */
#define IOASID_SMMUV3_GRAN4K       (UINT64_C(1) << 33) /* IDR5[4] */
#define IOASID_SMMUV3_GRAN16K      (UINT64_C(1) << 34) /* IDR5[5] */
#define IOASID_SMMUV3_GRAN64K      (UINT64_C(1) << 35) /* IDR5[6] */
#define IOASID_SMMUV3_BITS_V1      ((UINT64_C(1) << 36) - 1)

/* ARM SMMUv3. 80 bytes. */
struct ioasid_cap_smmuv3 {
	struct ioasid_cap_header hdr;
	uint32_t flags;       /* IOASID_SMMUV3_ERRATA_* */
	uint32_t idr[6];      /* raw SMMU_IDR0..5 */
	uint32_t iidr;        /* raw SMMU_IIDR */
	uint32_t aidr;        /* raw SMMU_AIDR */
	uint32_t pad;         /* 0 */
	/* decoded */
	uint64_t bits;        /* IOASID_SMMUV3_* */
	uint8_t st_level;     /* IDR0[28:27]: 0 linear, 1 two-level */
	uint8_t stall_model;  /* IDR0[25:24]: 0 both, 1 no stall, 2 forced */
	uint8_t ttf;          /* IDR0[3:2]: 1 AArch32, 2 AArch64, 3 both */
	uint8_t ttendian;     /* IDR0[22:21]: 0 mixed, 2 LE, 3 BE */
	uint8_t httu;         /* IDR0[7:6]: 0 none, 1 access, 2 access+dirty */
	uint8_t sidsize;      /* IDR1[5:0]: StreamID bits */
	uint8_t ssidsize;     /* IDR1[10:6]: SubstreamID (PASID) bits */
	uint8_t oas_bits;     /* IDR5[2:0] as bits (32..52); 0 = reserved value */
	uint8_t va_bits;      /* IDR5[11:10] VAX as bits (48, 52); 0 = reserved */
	uint8_t bbml;         /* IDR3[12:11] */
	uint8_t pad2[6];      /* 0 */
};

/* Decoded AMD booleans (struct ioasid_cap_amd.bits), AMD IOMMU spec EFR/EFR2. */
#define IOASID_AMD_PREF       (UINT64_C(1) << 0)  /* EFR[0] */
#define IOASID_AMD_PPR        (UINT64_C(1) << 1)  /* EFR[1] PPRSup */
#define IOASID_AMD_XT         (UINT64_C(1) << 2)  /* EFR[2] x2APIC */
#define IOASID_AMD_NX         (UINT64_C(1) << 3)  /* EFR[3] NXSup */
#define IOASID_AMD_GT         (UINT64_C(1) << 4)  /* EFR[4] GTSup guest tables */
#define IOASID_AMD_IA         (UINT64_C(1) << 5)  /* EFR[6] INVALIDATE_ALL */
#define IOASID_AMD_GA         (UINT64_C(1) << 6)  /* EFR[7] guest vAPIC */
#define IOASID_AMD_HE         (UINT64_C(1) << 7)  /* EFR[8] */
#define IOASID_AMD_PC         (UINT64_C(1) << 8)  /* EFR[9] perf counters */
#define IOASID_AMD_GAM_VAPIC  (UINT64_C(1) << 9)  /* EFR[21] */
#define IOASID_AMD_GIO        (UINT64_C(1) << 10) /* EFR[48] GIOSup */
#define IOASID_AMD_HA         (UINT64_C(1) << 11) /* EFR[49] host access bit */
#define IOASID_AMD_EPH        (UINT64_C(1) << 12) /* EFR[50] EPHSup */
#define IOASID_AMD_HD         (UINT64_C(1) << 13) /* EFR[52] HDSup (dirty) */
#define IOASID_AMD_SNP        (UINT64_C(1) << 14) /* EFR[63] */
#define IOASID_AMD_SEVSNPIO   (UINT64_C(1) << 15) /* EFR2[1] */
#define IOASID_AMD_GCR3TRP    (UINT64_C(1) << 16) /* EFR2[3] */
#define IOASID_AMD_HTRANGE_IGNORE (UINT64_C(1) << 17) /* EFR2[11] */
#define IOASID_AMD_BITS_V1    ((UINT64_C(1) << 18) - 1)

/* AMD IOMMU. 56 bytes. */
struct ioasid_cap_amd {
	struct ioasid_cap_header hdr;
	uint64_t efr;         /* raw Extended Feature Register (MMIO 0x30) */
	uint64_t efr2;        /* raw Extended Feature 2 Register (MMIO 0x1a0) */
	/* decoded */
	uint64_t bits;        /* IOASID_AMD_* */
	uint8_t hats;         /* EFR[11:10] */
	uint8_t gats;         /* EFR[13:12] */
	uint8_t glx;          /* EFR[15:14] GLXSup: 0 one-level, 1 two-level GCR3 */
	uint8_t pasmax;       /* EFR[36:32] */
	uint8_t host_levels;  /* HATS + 4 (4..6); 0 for the reserved HATS 3 */
	uint8_t guest_levels; /* GATS 0 -> 4, 1 -> 5; 0 for reserved values */
	uint8_t pasid_bits;   /* PASmax + 1 when GTSup, else 0 */
	uint8_t snp_avic;     /* EFR2[7:5] */
	uint8_t num_int_remap; /* EFR2[9:8]: 0 512 per device, 1 2048 */
	uint8_t pad[7];       /* 0 */
};

/* virtio-iommu feature bits (virtio spec, device 23). */
#define IOASID_VIRTIO_IOMMU_F_INPUT_RANGE   (UINT64_C(1) << 0)
#define IOASID_VIRTIO_IOMMU_F_DOMAIN_RANGE  (UINT64_C(1) << 1)
#define IOASID_VIRTIO_IOMMU_F_MAP_UNMAP     (UINT64_C(1) << 2)
#define IOASID_VIRTIO_IOMMU_F_BYPASS        (UINT64_C(1) << 3)
#define IOASID_VIRTIO_IOMMU_F_PROBE         (UINT64_C(1) << 4)
#define IOASID_VIRTIO_IOMMU_F_MMIO          (UINT64_C(1) << 5)
#define IOASID_VIRTIO_IOMMU_F_BYPASS_CONFIG (UINT64_C(1) << 6)

/*
 * virtio-iommu config space (in native order) and the device's feature
 * bits. Reserved-memory probe properties go in IOASID_CAP_RESV_REGIONS.
 * 64 bytes.
 */
struct ioasid_cap_virtio_iommu {
	struct ioasid_cap_header hdr;
	uint64_t features;       /* IOASID_VIRTIO_IOMMU_F_* (any virtio bit) */
	uint64_t page_size_mask; /* never 0; lowest set bit = granule */
	uint64_t input_start;    /* inclusive range, start <= end */
	uint64_t input_end;
	uint32_t domain_start;   /* inclusive range, start <= end */
	uint32_t domain_end;
	uint32_t probe_size;
	uint8_t bypass;          /* 0 or 1 */
	uint8_t pad[3];          /* 0 */
};

IOASID_CAPS_ASSERT(sizeof(struct ioasid_info_hdr) == 16, "info hdr");
IOASID_CAPS_ASSERT(sizeof(struct ioasid_cap_header) == 16, "cap header");
IOASID_CAPS_ASSERT(sizeof(struct ioasid_cap_page_sizes) == 24, "page_sizes");
IOASID_CAPS_ASSERT(sizeof(struct ioasid_cap_addr_width) == 24, "addr_width");
IOASID_CAPS_ASSERT(sizeof(struct ioasid_cap_pasid) == 24, "pasid");
IOASID_CAPS_ASSERT(sizeof(struct ioasid_cap_iova_range) == 16, "iova_range");
IOASID_CAPS_ASSERT(sizeof(struct ioasid_cap_iova_ranges) == 24, "iova_ranges");
IOASID_CAPS_ASSERT(sizeof(struct ioasid_cap_resv_region) == 24, "resv_region");
IOASID_CAPS_ASSERT(sizeof(struct ioasid_cap_resv_regions) == 24, "resv_regions");
IOASID_CAPS_ASSERT(sizeof(struct ioasid_cap_features) == 32, "features");
IOASID_CAPS_ASSERT(sizeof(struct ioasid_cap_vtd) == 56, "vtd");
IOASID_CAPS_ASSERT(offsetof(struct ioasid_cap_vtd, bits) == 40, "vtd bits");
IOASID_CAPS_ASSERT(sizeof(struct ioasid_cap_smmuv3) == 80, "smmuv3");
IOASID_CAPS_ASSERT(offsetof(struct ioasid_cap_smmuv3, idr) == 20, "smmuv3 idr");
IOASID_CAPS_ASSERT(offsetof(struct ioasid_cap_smmuv3, bits) == 56, "smmuv3 bits");
IOASID_CAPS_ASSERT(sizeof(struct ioasid_cap_amd) == 56, "amd");
IOASID_CAPS_ASSERT(sizeof(struct ioasid_cap_virtio_iommu) == 64, "virtio_iommu");
IOASID_CAPS_ASSERT(offsetof(struct ioasid_cap_virtio_iommu, bypass) == 60, "bypass");

/* ------------------------------------------------------------------------ */
/* Parsing                                                                  */

/*
 * Accept capabilities (and the header size and total size) on 4-byte
 * boundaries instead of 8. For chains whose producer did not pad (like
 * VFIO before Linux 6.6); chains built here are always 8-byte aligned.
 */
#define IOASID_CAPS_TOLERANT (1u << 0)

/**
 * ioasid_caps_validate() - check a whole chain
 * @buf: the chain; any alignment
 * @len: bytes readable at @buf (may exceed the chain's total_size)
 * @flags: 0 or IOASID_CAPS_TOLERANT
 *
 * Checks the header, walks every capability (linear time: each `next` must
 * lie at or past the end of the current capability) and checks the
 * content of every capability whose id it knows. Unknown ids are skipped;
 * a newer version of a known id is checked on the fields this version
 * knows.
 *
 * Return: 0 or a negative errno: -EINVAL (malformed), -EMSGSIZE (cut short),
 * as described at the top of this header.
 */
IOASID_EXPORT int ioasid_caps_validate(const void *buf, size_t len,
				       unsigned int flags);

/**
 * ioasid_caps_first() - locate the first capability
 * @buf: the chain
 * @len: bytes readable at @buf
 * @flags: 0 or IOASID_CAPS_TOLERANT
 * @ret_off: the capability's offset
 * @ret_hdr: a copy of its header, or NULL
 *
 * Checks the chain header and the returned capability (header, and the
 * content if its id is known).
 *
 * Return: 0; -ENOENT when the chain has no capability; -EINVAL or
 * -EMSGSIZE when the header or that capability is bad.
 */
IOASID_EXPORT int ioasid_caps_first(const void *buf, size_t len,
				    unsigned int flags, uint32_t *ret_off,
				    struct ioasid_cap_header *ret_hdr);

/**
 * ioasid_caps_next() - locate the capability after the one at @off
 * @buf: the chain
 * @len: bytes readable at @buf
 * @flags: 0 or IOASID_CAPS_TOLERANT
 * @off: offset of the current capability (from ioasid_caps_first() or a
 *       previous ioasid_caps_next())
 * @ret_off: the next capability's offset
 * @ret_hdr: a copy of its header, or NULL
 *
 * A `next` that does not lie at or past the end of the current capability
 * is refused, so iterating cannot loop.
 *
 * Return: 0; -ENOENT at the end of the chain; -EINVAL or -EMSGSIZE when
 * the current or the next capability is bad.
 */
IOASID_EXPORT int ioasid_caps_next(const void *buf, size_t len,
				   unsigned int flags, uint32_t off,
				   uint32_t *ret_off,
				   struct ioasid_cap_header *ret_hdr);

/**
 * ioasid_caps_find() - locate the first capability with an id
 * @buf: the chain
 * @len: bytes readable at @buf
 * @flags: 0 or IOASID_CAPS_TOLERANT
 * @id: capability id
 * @ret_off: the capability's offset
 * @ret_hdr: a copy of its header, or NULL
 *
 * Return: 0; -ENOENT when no capability has @id; -EINVAL or -EMSGSIZE
 * when the chain up to it, or it, is bad.
 */
IOASID_EXPORT int ioasid_caps_find(const void *buf, size_t len,
				   unsigned int flags, uint16_t id,
				   uint32_t *ret_off,
				   struct ioasid_cap_header *ret_hdr);

/**
 * ioasid_caps_get() - copy out the first capability with an id
 * @buf: the chain
 * @len: bytes readable at @buf
 * @flags: 0 or IOASID_CAPS_TOLERANT
 * @id: capability id
 * @out: where to copy the capability (header included), e.g. a
 *       struct ioasid_cap_vtd
 * @outsz: size of @out
 * @ret_size: the capability's true size, or NULL
 *
 * Copies min(capability size, @outsz) bytes and zero-fills the rest of
 * @out, so a caller built against an older or newer struct gets the fields
 * both know. For IOVA_RANGES and RESV_REGIONS this copies the fixed part
 * and as much of the array as fits; ioasid_caps_get_array() is simpler.
 *
 * Return: 0; -ENOENT when absent; -EINVAL (also for a NULL @out with a
 * non-zero @outsz) or -EMSGSIZE when the chain up to it, or it, is bad.
 */
IOASID_EXPORT int ioasid_caps_get(const void *buf, size_t len,
				  unsigned int flags, uint16_t id, void *out,
				  size_t outsz, uint32_t *ret_size);

/**
 * ioasid_caps_get_array() - copy out the entries of a counted capability
 * @buf: the chain
 * @len: bytes readable at @buf
 * @flags: 0 or IOASID_CAPS_TOLERANT
 * @id: IOASID_CAP_IOVA_RANGES or IOASID_CAP_RESV_REGIONS
 * @out: array of struct ioasid_cap_iova_range or struct
 *       ioasid_cap_resv_region, or NULL when @max is 0
 * @max: entries @out can hold
 * @ret_count: the capability's true count (may exceed @max)
 *
 * Copies min(count, @max) entries; entries longer in a newer version are
 * cut to the struct this version knows.
 *
 * Return: 0; -ENOENT when absent; -EINVAL when @id has no array or the
 * chain is bad; -EMSGSIZE when the chain is cut short.
 */
IOASID_EXPORT int ioasid_caps_get_array(const void *buf, size_t len,
					unsigned int flags, uint16_t id,
					void *out, uint32_t max,
					uint32_t *ret_count);

/* ------------------------------------------------------------------------ */
/* VFIO-format chains                                                       */

/* VFIO's own capability header (struct vfio_info_cap_header). 8 bytes. */
struct ioasid_vfio_cap_header {
	uint16_t id;
	uint16_t version;
	uint32_t next; /* offset from the start of the info buffer, 0 ends */
};
IOASID_CAPS_ASSERT(sizeof(struct ioasid_vfio_cap_header) == 8, "vfio cap");

/**
 * ioasid_vfio_cap_find() - find a capability in a VFIO *_GET_INFO buffer
 * @buf: the whole info buffer (fixed struct, then capabilities)
 * @len: bytes the kernel filled (min of argsz and the buffer size)
 * @first: the fixed struct's cap_offset; 0 means no capabilities
 * @id: capability id (the id space is per ioctl)
 * @flags: 0 (4-byte alignment, as kernels before 6.6 place caps) or
 *         IOASID_CAPS_STRICT_ALIGN
 * @ret_off: the capability's offset
 * @ret_hdr: a copy of its header, or NULL
 * @ret_avail: bytes from @ret_off to the next capability or the end of the
 *             buffer, which bound what the caller may read; or NULL
 *
 * VFIO capabilities carry no size, so each is bounded by the next one or
 * the end of the buffer; offsets must increase, which also refuses loops.
 *
 * Return: 0; -ENOENT when absent; -EINVAL (bad alignment, an offset that
 * does not move forward) or -EMSGSIZE (a header past the end of @buf).
 */
IOASID_EXPORT int ioasid_vfio_cap_find(const void *buf, size_t len,
				       uint32_t first, uint16_t id,
				       unsigned int flags, uint32_t *ret_off,
				       struct ioasid_vfio_cap_header *ret_hdr,
				       uint32_t *ret_avail);

/* For ioasid_vfio_cap_find(): require 8-byte alignment (Linux >= 6.6). */
#define IOASID_CAPS_STRICT_ALIGN (1u << 1)

/* ------------------------------------------------------------------------ */
/* Building                                                                 */

struct ioasid_caps_builder; /* opaque */

/**
 * ioasid_caps_builder_new() - start an empty chain
 * @ret_b: the new builder
 *
 * Return: 0, -EINVAL (@ret_b NULL) or -ENOMEM.
 */
IOASID_EXPORT int ioasid_caps_builder_new(struct ioasid_caps_builder **ret_b);

/**
 * ioasid_caps_builder_free() - free a builder and any chain not yet taken
 * @b: the builder; NULL is fine
 */
IOASID_EXPORT void ioasid_caps_builder_free(struct ioasid_caps_builder *b);

/**
 * ioasid_caps_add() - append a capability given as a filled struct
 * @b: the builder
 * @cap: the capability; hdr.id, hdr.version and hdr.source are used,
 *       hdr.next and hdr.size are set by the builder
 * @size: bytes at @cap (struct plus any array), >= 16
 *
 * The capability is padded with zeros to a multiple of 8 bytes, so every
 * capability starts 8-byte aligned. Known ids are checked exactly as the
 * parser checks them; unknown ids are appended as they are (for testing
 * readers, or to pass data through).
 *
 * Return: 0; -EINVAL (bad content, version 0, id 0, source 0); -EMSGSIZE
 * (@size below the struct of a known id); -EEXIST (a known id already in
 * the chain); -E2BIG (chain past 4 GiB); -ENOMEM. On error the builder is
 * unchanged.
 */
IOASID_EXPORT int ioasid_caps_add(struct ioasid_caps_builder *b,
				  const void *cap, size_t size);

/**
 * ioasid_caps_add_page_sizes() - append IOASID_CAP_PAGE_SIZES
 * @b: the builder
 * @source: enum ioasid_cap_source
 * @bitmap: page sizes, bit n = 2^n bytes; not 0
 *
 * Return: as ioasid_caps_add().
 */
IOASID_EXPORT int ioasid_caps_add_page_sizes(struct ioasid_caps_builder *b,
					     uint32_t source, uint64_t bitmap);

/**
 * ioasid_caps_add_addr_width() - append IOASID_CAP_ADDR_WIDTH
 * @b: the builder
 * @source: enum ioasid_cap_source
 * @input_bits: IOVA width, 1..64
 * @output_bits: output address width, 1..64
 *
 * Return: as ioasid_caps_add().
 */
IOASID_EXPORT int ioasid_caps_add_addr_width(struct ioasid_caps_builder *b,
					     uint32_t source,
					     uint32_t input_bits,
					     uint32_t output_bits);

/**
 * ioasid_caps_add_pasid() - append IOASID_CAP_PASID
 * @b: the builder
 * @source: enum ioasid_cap_source
 * @width: PASID width in bits, 0..IOASID_PASID_MAX_WIDTH (0 = no PASID)
 *
 * max_pasids is set to 1 << @width (0 for width 0).
 *
 * Return: as ioasid_caps_add().
 */
IOASID_EXPORT int ioasid_caps_add_pasid(struct ioasid_caps_builder *b,
					uint32_t source, uint32_t width);

/**
 * ioasid_caps_add_iova_ranges() - append IOASID_CAP_IOVA_RANGES
 * @b: the builder
 * @source: enum ioasid_cap_source
 * @ranges: @count ranges, sorted, non-overlapping, start <= last
 * @count: number of ranges (0 is allowed: nothing usable)
 *
 * Return: as ioasid_caps_add().
 */
IOASID_EXPORT int
ioasid_caps_add_iova_ranges(struct ioasid_caps_builder *b, uint32_t source,
			    const struct ioasid_cap_iova_range *ranges,
			    uint32_t count);

/**
 * ioasid_caps_add_resv_regions() - append IOASID_CAP_RESV_REGIONS
 * @b: the builder
 * @source: enum ioasid_cap_source
 * @regions: @count regions, start <= last, type != 0 (pad is ignored)
 * @count: number of regions
 *
 * Return: as ioasid_caps_add().
 */
IOASID_EXPORT int
ioasid_caps_add_resv_regions(struct ioasid_caps_builder *b, uint32_t source,
			     const struct ioasid_cap_resv_region *regions,
			     uint32_t count);

/**
 * ioasid_caps_add_features() - append IOASID_CAP_FEATURES
 * @b: the builder
 * @source: enum ioasid_cap_source
 * @features: IOASID_FEAT_* that are present
 * @known: IOASID_FEAT_* whose presence the backend could determine;
 *         must include @features
 *
 * Return: as ioasid_caps_add().
 */
IOASID_EXPORT int ioasid_caps_add_features(struct ioasid_caps_builder *b,
					   uint32_t source, uint64_t features,
					   uint64_t known);

/**
 * ioasid_caps_add_vtd() - append IOASID_CAP_VTD, decoding the registers
 * @b: the builder
 * @source: enum ioasid_cap_source
 * @cap_reg: raw VT-d Capability Register
 * @ecap_reg: raw VT-d Extended Capability Register
 * @flags: IOASID_VTD_ERRATA_*
 *
 * Return: as ioasid_caps_add().
 */
IOASID_EXPORT int ioasid_caps_add_vtd(struct ioasid_caps_builder *b,
				      uint32_t source, uint64_t cap_reg,
				      uint64_t ecap_reg, uint32_t flags);

/**
 * ioasid_caps_add_smmuv3() - append IOASID_CAP_SMMUV3, decoding the registers
 * @b: the builder
 * @source: enum ioasid_cap_source
 * @idr: raw SMMU_IDR0..5
 * @iidr: raw SMMU_IIDR
 * @aidr: raw SMMU_AIDR
 * @flags: IOASID_SMMUV3_ERRATA_*
 *
 * Return: as ioasid_caps_add(); -EINVAL for a NULL @idr.
 */
IOASID_EXPORT int ioasid_caps_add_smmuv3(struct ioasid_caps_builder *b,
					 uint32_t source, const uint32_t idr[6],
					 uint32_t iidr, uint32_t aidr,
					 uint32_t flags);

/**
 * ioasid_caps_add_amd() - append IOASID_CAP_AMD, decoding the registers
 * @b: the builder
 * @source: enum ioasid_cap_source
 * @efr: raw Extended Feature Register
 * @efr2: raw Extended Feature 2 Register
 *
 * Return: as ioasid_caps_add().
 */
IOASID_EXPORT int ioasid_caps_add_amd(struct ioasid_caps_builder *b,
				      uint32_t source, uint64_t efr,
				      uint64_t efr2);

/**
 * ioasid_caps_add_virtio_iommu() - append IOASID_CAP_VIRTIO_IOMMU
 * @b: the builder
 * @source: enum ioasid_cap_source
 * @v: the config; its hdr is ignored
 *
 * Return: as ioasid_caps_add(); -EINVAL for a NULL @v, a zero
 * page_size_mask, an inverted range or bypass > 1.
 */
IOASID_EXPORT int
ioasid_caps_add_virtio_iommu(struct ioasid_caps_builder *b, uint32_t source,
			     const struct ioasid_cap_virtio_iommu *v);

/**
 * ioasid_caps_builder_finish() - take the chain
 * @b: the builder
 * @ret_buf: the chain, 8-byte aligned; free it with ioasid_caps_free()
 * @ret_len: its size (= its header's total_size)
 *
 * The builder is empty afterwards and can build another chain.
 *
 * Return: 0, -EINVAL (NULL argument) or -ENOMEM (builder unchanged).
 */
IOASID_EXPORT int ioasid_caps_builder_finish(struct ioasid_caps_builder *b,
					     void **ret_buf, size_t *ret_len);

/**
 * ioasid_caps_free() - free a chain from ioasid_caps_builder_finish()
 * @buf: the chain; NULL is fine
 */
IOASID_EXPORT void ioasid_caps_free(void *buf);

/* ------------------------------------------------------------------------ */
/* Vendor register decoding                                                 */

/**
 * ioasid_cap_vtd_decode() - fill the decoded fields of a VT-d capability
 * @c: the capability; reads cap_reg and ecap_reg, writes domains, bits,
 *     sagaw, levels, mgaw, sllps, pss, pasid_bits, mamv, mhmv
 *
 * Leaves hdr and flags alone.
 *
 * Return: 0 or -EINVAL (@c NULL).
 */
IOASID_EXPORT int ioasid_cap_vtd_decode(struct ioasid_cap_vtd *c);

/**
 * ioasid_cap_smmuv3_decode() - fill the decoded fields of an SMMUv3 capability
 * @c: the capability; reads idr[], writes bits and the fields after it, and
 *     zeroes pad and pad2
 *
 * Return: 0 or -EINVAL (@c NULL).
 */
IOASID_EXPORT int ioasid_cap_smmuv3_decode(struct ioasid_cap_smmuv3 *c);

/**
 * ioasid_cap_amd_decode() - fill the decoded fields of an AMD capability
 * @c: the capability; reads efr and efr2, writes bits and the fields after
 *     it, zeroes pad
 *
 * Return: 0 or -EINVAL (@c NULL).
 */
IOASID_EXPORT int ioasid_cap_amd_decode(struct ioasid_cap_amd *c);

/* ------------------------------------------------------------------------ */
/* Text rows (what `ioasidctl info` prints)                                 */

/* Sections of a capability's rows. */
#define IOASID_CAP_SECT_MAIN    1 /* a generic capability: one table for the chain */
#define IOASID_CAP_SECT_RAW     2 /* a vendor capability's registers or config */
#define IOASID_CAP_SECT_DECODED 3 /* what is decoded from them */

/* Row flags. */
#define IOASID_CAP_ROW_WORDS (1u << 0) /* the value is words: it may wrap at a blank */
#define IOASID_CAP_ROW_MORE  (1u << 1) /* another entry of the previous row's item */

/* One row of a capability, as text. The strings live until the callback returns. */
struct ioasid_cap_row {
	uint32_t section;    /* IOASID_CAP_SECT_* */
	uint32_t flags;      /* IOASID_CAP_ROW_* */
	const char *heading; /* title of the section's first column: "CAPABILITY",
			      * "REGISTER", "CONFIG", "DECODED" */
	const char *label;   /* what the row is: "input width", "cap_reg", ... */
	const char *value;   /* e.g. "48 bits", "0x0000000000f00f5a", "4K 2M 1G" */
};

/* Called for each row; a non-zero return stops the walk and is returned. */
typedef int (*ioasid_cap_row_fn)(const struct ioasid_cap_row *row, void *data);

/**
 * ioasid_caps_rows() - the rows of a capability, for a text table
 * @buf: the chain
 * @len: bytes readable at @buf
 * @off: the capability's offset (from ioasid_caps_first() or
 *       ioasid_caps_next())
 * @fn: called for each row, in order: the main rows of a generic
 *      capability; the register rows, then the decoded rows, of a vendor one
 * @data: passed to @fn
 *
 * The capability is checked as ioasid_caps_next() checks it. Every field
 * of a known capability that has a text form gives a row: a counted array
 * one per entry ("none" when empty), a list of names one row of words.
 *
 * Return: 0; @fn's non-zero return; -ENOENT for an id this library does
 * not know (no rows); -EINVAL or -EMSGSIZE when the chain up to it, or it,
 * is bad.
 */
IOASID_EXPORT int ioasid_caps_rows(const void *buf, size_t len, uint32_t off,
				   ioasid_cap_row_fn fn, void *data);

/* ------------------------------------------------------------------------ */
/* Names (for dumps; each returns NULL when it has no name for the value)   */

/* "page_sizes", "addr_width", "pasid", "iova_ranges", "resv_regions",
 * "features", "vtd", "smmuv3", "amd", "virtio_iommu". */
IOASID_EXPORT const char *ioasid_cap_id_name(uint16_t id);
/* "measured", "derived", "configured". */
IOASID_EXPORT const char *ioasid_cap_source_name(uint32_t source);
/* "reserved", "msi", "sw_msi", "direct", "direct_relaxable". */
IOASID_EXPORT const char *ioasid_resv_type_name(uint32_t type);

/**
 * ioasid_size_name() - a size as the library's text and brief JSON write it
 * @size: bytes
 * @buf: where to write the name
 * @len: size of @buf (32 bytes always suffice)
 *
 * "4K", "2M", "1G", ... (the largest unit that divides @size exactly),
 * "0x800" for a size that is no multiple of 1 KiB, "0" for 0.
 *
 * Return: @buf.
 */
IOASID_EXPORT const char *ioasid_size_name(uint64_t size, char *buf, size_t len);

/*
 * Name of bit @bit (0..63) of: the features of IOASID_CAP_FEATURES, the
 * decoded `bits` of IOASID_CAP_VTD / SMMUV3 / AMD, the virtio feature bits
 * of IOASID_CAP_VIRTIO_IOMMU. E.g. ("nesting"), ("smts"), ("gran4k").
 */
IOASID_EXPORT const char *ioasid_cap_bit_name(uint16_t id, unsigned int bit);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_CAPS_H */
