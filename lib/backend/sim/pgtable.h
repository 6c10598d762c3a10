/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The simulated IOMMU's page tables: real multi-level radix tables in the
 * entry formats of the modelled IOMMUs (Intel VT-d second and first stage,
 * Arm VMSAv8-64 stage 1 and stage 2 with the 4 KiB granule, AMD v1 and
 * v2 = x86-64), held in real
 * memory (4 KiB-aligned table pages of 512 little-endian 64-bit entries),
 * so that a walk is driven only by the entry bytes, exactly as the
 * hardware's would be. Each format is one entry of a format ops table
 * (pgtable-fmt.h; the formats in pgtable-vtd.c, pgtable-arm.c and
 * pgtable-amd.c); the
 * table code here and the walk are shared. docs/sim-formats.md says what
 * each format models.
 *
 * Two halves:
 *  - struct sim_pt owns a table built in host memory (the stage-2 / paging
 *    domain side): map, unmap (splitting huge leaves), dirty-bit harvest.
 *  - sim_pt_walk() walks any table given a root address and a callback that
 *    reads one entry; the callback lets a nested stage-1 walk fetch its
 *    table entries from guest memory through stage 2. Without a callback
 *    the table addresses are host pointers and are read directly.
 *
 * Levels are numbered as in the VT-d specification: 1 holds the 4 KiB
 * leaves (PTE), 2 the PDE (2 MiB leaves), 3 the PDPE (1 GiB leaves), 4 the
 * PML4E, 5 the PML5E. A 4-level table covers 48 bits of input address, a
 * 5-level one 57; only the lower, non-negative half of the first-stage
 * (IA-32e) space is modelled, so an input address must be below 2^48 or
 * 2^57 in both formats. The Arm formats number their levels the other way
 * round (lookup level 3 holds the 4 KiB pages): our level n is Arm level
 * 4 - n, and an Arm table has 3 levels (39-bit input) or 4 (48-bit).
 *
 * Not thread-safe for writers: map, unmap and dirty reads of one table must
 * be serialized by the caller. Walks may run concurrently with each other,
 * with a map and with dirty reads (entries are loaded and stored atomically,
 * a new table page is zeroed before it is linked, A/D bits are set and
 * cleared with atomic ORs/ANDs), but not with an unmap or a failed map,
 * which free table pages a walk could still be reading.
 */
#ifndef IOASID_SIM_PGTABLE_H
#define IOASID_SIM_PGTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sim_pt_format {
	/* VT-d second-stage paging entries (spec section 9.8) */
	SIM_PT_VTD_SL = 1,
	/* VT-d first-stage = IA-32e paging entries (spec section 9.7) */
	SIM_PT_VTD_FL = 2,
	/* Arm VMSAv8-64 stage 1, 4 KiB granule (Arm ARM D8.3) */
	SIM_PT_ARM_S1 = 3,
	/* Arm VMSAv8-64 stage 2, 4 KiB granule (Arm ARM D8.3) */
	SIM_PT_ARM_S2 = 4,
	/* AMD IOMMU v1 host page table (AMD IOMMU spec 2.2.3) */
	SIM_PT_AMD_V1 = 5,
	/* AMD IOMMU v2 = x86-64 4/5-level paging entries (the guest's tables) */
	SIM_PT_AMD_V2 = 6,
	/* Arm VMSAv8-64 stage 1 and 2 with the 16 KiB and 64 KiB granules */
	SIM_PT_ARM_S1_16K = 7,
	SIM_PT_ARM_S1_64K = 8,
	SIM_PT_ARM_S2_16K = 9,
	SIM_PT_ARM_S2_64K = 10,
};
#define SIM_PT_NR_FORMATS 11

#define SIM_PT_SZ_16K (UINT64_C(1) << 14)
#define SIM_PT_SZ_32M (UINT64_C(1) << 25)
#define SIM_PT_SZ_64K (UINT64_C(1) << 16)
#define SIM_PT_SZ_512M (UINT64_C(1) << 29)

/*
 * The Arm format of stage @s2 (else stage 1) with the granule of 2^@pg_shift
 * bytes (12, 14 or 16); 0 for another size.
 */
enum sim_pt_format sim_pt_arm_format(bool s2, unsigned int pg_shift);

/*
 * The granule Linux's io-pgtable-arm builds an Arm table on, given the
 * SMMU's page sizes @pgsizes (pages and blocks of the granules IDR5
 * offers) and the CPU page size @cpu_page (arm_lpae_restrict_pgsizes()):
 * the CPU's page if offered, else the largest granule below it, else the
 * smallest above. Returns log2 of the granule (12, 14 or 16), 0 if none.
 */
unsigned int sim_pt_arm_granule(uint64_t pgsizes, uint64_t cpu_page);

/* log2 of @fmt's granule: its page and table-page size (12 but for Arm 16K/64K). */
unsigned int sim_pt_pg_shift(enum sim_pt_format fmt);

/* The leaf sizes format @fmt has (4K | 2M | 1G; 16K | 32M; 64K | 512M). */
uint64_t sim_pt_fmt_pgsize_bitmap(enum sim_pt_format fmt);

#define SIM_PT_MAX_LEVELS 5
#define SIM_PT_ENTRIES 512 /* per 4 KiB table page */
#define SIM_PT_TABLE_SIZE 4096u

#define SIM_PT_SZ_4K (UINT64_C(1) << 12)
#define SIM_PT_SZ_2M (UINT64_C(1) << 21)
#define SIM_PT_SZ_1G (UINT64_C(1) << 30)

/* The widest output address the formats' address field holds (51:12). */
#define SIM_PT_OA_BITS 52

/*
 * Permissions (map) and access types (walk). U is first-stage only: a
 * mapping user-mode requests may use (U/S), and in a walk a request from
 * user mode (a DMA request with PASID and without the privileged bit).
 * A second-stage table has no privilege levels and ignores U.
 */
#define SIM_PT_R 0x1u
#define SIM_PT_W 0x2u
#define SIM_PT_X 0x4u
#define SIM_PT_U 0x8u
#define SIM_PT_PERM_MASK (SIM_PT_R | SIM_PT_W | SIM_PT_X | SIM_PT_U)

/*
 * Walk flag: on a successful translation set the Accessed bit of the entry
 * used at every level and, for a write, the Dirty bit of the leaf, as
 * hardware with A/D support does (VT-d SSADE/SLADE, or first-stage A/D).
 */
#define SIM_PT_WALK_SET_AD 0x100u
/*
 * First stage, with SIM_PT_WALK_SET_AD: set the Extended-Accessed bit
 * wherever A is set, and in entries whose A is set but EA is not (the
 * PASID entry's EAFE: EA is the IOMMU's own accessed bit, which the CPU
 * does not touch).
 */
#define SIM_PT_WALK_SET_EA 0x200u
/*
 * First stage: a supervisor-mode write with the PASID entry's WPE clear.
 * Write permission is not checked (R/W = 0 does not stop it, as CR0.WP = 0
 * on the CPU), but the walk is still a write: D is set in the leaf.
 */
#define SIM_PT_WALK_NO_WP 0x400u

/* Raw entry bits of the two formats, for tests and the lead's tools. */
#define SIM_SL_R (UINT64_C(1) << 0)
#define SIM_SL_W (UINT64_C(1) << 1)
#define SIM_SL_X (UINT64_C(1) << 2)
#define SIM_SL_EMT_SHIFT 3 /* 3 bits */
#define SIM_SL_IPAT (UINT64_C(1) << 6)
#define SIM_SL_PS (UINT64_C(1) << 7)
#define SIM_SL_A (UINT64_C(1) << 8)
#define SIM_SL_D (UINT64_C(1) << 9)
#define SIM_SL_SNP (UINT64_C(1) << 11)

#define SIM_FL_P (UINT64_C(1) << 0)
#define SIM_FL_RW (UINT64_C(1) << 1)
#define SIM_FL_US (UINT64_C(1) << 2)
#define SIM_FL_PWT (UINT64_C(1) << 3)
#define SIM_FL_PCD (UINT64_C(1) << 4)
#define SIM_FL_A (UINT64_C(1) << 5)
#define SIM_FL_D (UINT64_C(1) << 6)
#define SIM_FL_PS (UINT64_C(1) << 7)
#define SIM_FL_EA (UINT64_C(1) << 10)        /* extended accessed (EAFE) */
#define SIM_FL_PAT_LARGE (UINT64_C(1) << 12) /* PAT of a 2 MiB / 1 GiB leaf */
#define SIM_FL_XD (UINT64_C(1) << 63)

/* Address field, bits 51:12, common to both VT-d formats. */
#define SIM_PT_ADDR_MASK UINT64_C(0x000ffffffffff000)

/*
 * Arm VMSAv8-64 descriptors, 4 KiB granule, 48-bit output (Arm ARM D8.3,
 * "Translation table descriptor formats"). Bits 1:0 are the type: 0b11 a
 * table (levels 0-2) or a page (level 3), 0b01 a block (levels 1 and 2),
 * bit 0 clear invalid; 0b01 at level 3 and a block at level 0 are invalid.
 */
#define SIM_ARM_VALID (UINT64_C(1) << 0)
#define SIM_ARM_TABLE (UINT64_C(1) << 1) /* table at levels 0-2, page at 3 */
#define SIM_ARM_TYPE_MASK UINT64_C(3)
#define SIM_ARM_ATTRINDX_SHIFT 2         /* stage 1: MAIR index, 3 bits */
#define SIM_ARM_MEMATTR_SHIFT 2          /* stage 2: MemAttr, 4 bits */
#define SIM_ARM_S1_AP1 (UINT64_C(1) << 6) /* AP[1]: EL0 (unprivileged) access */
#define SIM_ARM_S1_AP2 (UINT64_C(1) << 7) /* AP[2]: read-only */
#define SIM_ARM_S2AP_R (UINT64_C(1) << 6) /* S2AP[0] */
#define SIM_ARM_S2AP_W (UINT64_C(1) << 7) /* S2AP[1] */
#define SIM_ARM_SH_SHIFT 8                /* shareability, 2 bits */
#define SIM_ARM_AF (UINT64_C(1) << 10)
#define SIM_ARM_NG (UINT64_C(1) << 11)   /* stage 1: not global */
#define SIM_ARM_DBM (UINT64_C(1) << 51)
#define SIM_ARM_CONT (UINT64_C(1) << 52)
#define SIM_ARM_PXN (UINT64_C(1) << 53)  /* stage 1; stage 2: XN[0] */
#define SIM_ARM_UXN (UINT64_C(1) << 54)  /* stage 1; stage 2: XN[1] */
/* Stage-1 table descriptor attributes (ignored in stage 2). */
#define SIM_ARM_PXNTABLE (UINT64_C(1) << 59)
#define SIM_ARM_UXNTABLE (UINT64_C(1) << 60)
#define SIM_ARM_APTABLE0 (UINT64_C(1) << 61) /* no EL0 access below */
#define SIM_ARM_APTABLE1 (UINT64_C(1) << 62) /* no writes below */
#define SIM_ARM_NSTABLE (UINT64_C(1) << 63)
/* Output address and next-level table address, bits 47:12. */
#define SIM_ARM_ADDR_MASK UINT64_C(0x0000fffffffff000)

/* AMD v1 host page table entries; the address is bits 51:12 (SIM_PT_ADDR_MASK). */
#define SIM_AMD_PR (UINT64_C(1) << 0)
#define SIM_AMD_A (UINT64_C(1) << 5)
#define SIM_AMD_D (UINT64_C(1) << 6)
#define SIM_AMD_NL_SHIFT 9 /* Next Level, 3 bits: 0 leaf, 1-6 table, 7 sized leaf */
#define SIM_AMD_U (UINT64_C(1) << 59)
#define SIM_AMD_FC (UINT64_C(1) << 60)
#define SIM_AMD_IR (UINT64_C(1) << 61)
#define SIM_AMD_IW (UINT64_C(1) << 62)

/* ---- a table in host memory ---- */

struct sim_pt;

/*
 * A table of @levels in format @fmt whose leaves may be the sizes in
 * @pgsize_bitmap (SIM_PT_SZ_4K required; 2M and 1G optional). The levels
 * a format allows: VT-d 4 or 5, Arm 3 or 4. The root table is allocated
 * at once. NULL with errno EINVAL or ENOMEM.
 */
struct sim_pt *sim_pt_new(enum sim_pt_format fmt, unsigned int levels,
			  uint64_t pgsize_bitmap);

/*
 * sim_pt_new() with @flags: SIM_PT_NEW_DBM makes the writable leaves of an
 * Arm table dirty-bit-modifier entries, as Linux's io-pgtable does for a
 * domain with hardware dirty tracking (IO_PGTABLE_QUIRK_ARM_HD): mapped
 * writable-dirty, cleaned by sim_pt_dirty_read(), made dirty again by a
 * write with SIM_PT_WALK_SET_AD. -EINVAL (errno) for a flag the format
 * does not take (sim_pt_dirty_flags(): VT-d and AMD's D bits need none).
 */
#define SIM_PT_NEW_DBM 0x1u
struct sim_pt *sim_pt_new_flags(enum sim_pt_format fmt, unsigned int levels,
				uint64_t pgsize_bitmap, unsigned int flags);

/*
 * The fewest levels of @fmt covering @in_bits of input address (the most
 * it has if none does); 0 for an unknown format.
 */
unsigned int sim_pt_levels_for(enum sim_pt_format fmt, unsigned int in_bits);

/* The SIM_PT_NEW_* flags a dirty-tracking table of @fmt is made with. */
unsigned int sim_pt_dirty_flags(enum sim_pt_format fmt);

/* The format's name in the HWPT's JSON view ("vtd-second-stage", ...). */
const char *sim_pt_format_name(enum sim_pt_format fmt);
void sim_pt_free(struct sim_pt *pt);

/* The root table's address (a host pointer as an integer). */
uint64_t sim_pt_root(const struct sim_pt *pt);
enum sim_pt_format sim_pt_format(const struct sim_pt *pt);
unsigned int sim_pt_levels(const struct sim_pt *pt);
uint64_t sim_pt_pgsize_bitmap(const struct sim_pt *pt);

/* Table pages currently owned, the root included. */
size_t sim_pt_table_pages(const struct sim_pt *pt);

/*
 * Map [iova, iova + len) to [oa, oa + len) with @perm (SIM_PT_R/W/X/U),
 * using the largest leaves that the alignment of both iova and oa and the
 * remaining length allow. New VT-d leaves have A and D clear; new Arm
 * leaves have AF set (as Linux maps them) and, with SIM_PT_NEW_DBM, are
 * writable-dirty.
 * All or nothing: on any error nothing of the range is left mapped.
 *   -EINVAL  iova, oa or len not multiples of the granule (4 KiB; Arm
 *            16K / 64K formats their own), len 0, the range beyond
 *            the input width, or a permission the format cannot express
 *            (second stage needs R or W; first stage needs R; Arm stage 1
 *            needs R, stage 2 R or W)
 *   -ERANGE  the output range does not fit the format's address field
 *            (52 bits VT-d, 48 bits Arm)
 *   -EEXIST  some part of the range is already mapped
 *   -ENOMEM
 */
int sim_pt_map(struct sim_pt *pt, uint64_t iova, uint64_t oa, uint64_t len,
	       uint32_t perm);

/*
 * sim_pt_map() with the leaf sizes limited to @pgsizes (the granule's page,
 * SIM_PT_SZ_4K for most formats, must be in it; sizes the table does not have are ignored): SIM_PT_SZ_4K alone
 * maps at the base page size, as iommufd does with huge pages off.
 */
int sim_pt_map_sizes(struct sim_pt *pt, uint64_t iova, uint64_t oa, uint64_t len, uint32_t perm,
		     uint64_t pgsizes);

/*
 * Clear the leaves of [iova, iova + len). A huge leaf only partly inside
 * the range is first split into smaller leaves (same output, permissions
 * and A/D bits) so that the part outside stays mapped; the splits need
 * table pages, and on -ENOMEM nothing at all has changed. Table pages that
 * become empty are freed. Unmapped holes are fine. *ret_unmapped (if not
 * NULL) gets the bytes of leaves cleared.
 * -EINVAL for a range not 4 KiB aligned or beyond the input width.
 */
int sim_pt_unmap(struct sim_pt *pt, uint64_t iova, uint64_t len,
		 uint64_t *ret_unmapped);

/*
 * Like IOMMU_HWPT_GET_DIRTY_BITMAP: for each @page_size granule n of
 * [iova, iova + len) set bit n of @bitmap (word n / 64, bit n % 64) if a
 * leaf overlapping the granule is dirty (VT-d: D set; Arm: DBM set and
 * writable, i.e. AP[2] clear in stage 1, S2AP[1] set in stage 2); a huge leaf marks
 * every granule it overlaps. Bits are only ever set, never cleared. With
 * @clear the dirty leaves read are made clean (D cleared; Arm: made
 * writable-clean), atomically, so a concurrent walk's update is never lost. -EINVAL unless page_size is a power of
 * two and iova and len are multiples of it, or for a range beyond the
 * input width.
 */
int sim_pt_dirty_read(struct sim_pt *pt, uint64_t iova, uint64_t len,
		      uint64_t page_size, uint64_t *bitmap, bool clear);

/* ---- walking any table ---- */

/*
 * How to reach the entries. With read_entry NULL, table addresses are host
 * pointers and entries are loaded (and A/D set) directly; otherwise every
 * entry is fetched through read_entry, e.g. translating a guest-physical
 * table address through stage 2 first, and A/D bits are set through
 * set_bits (atomically OR @bits into the entry), which a walk with
 * SIM_PT_WALK_SET_AD then requires. A callback's negative return ends the
 * walk with that value and reason SIM_PT_FAULT_READ.
 */
struct sim_pt_walker {
	enum sim_pt_format format;
	unsigned int levels;    /* 4 or 5 (VT-d), 3 or 4 (Arm) */
	/* Leaf sizes the hardware supports; in VT-d PS where the size is
	 * not supported is a reserved-bit fault (Arm and AMD leaves are
	 * checked against the architecture instead). 0 = 4K | 2M | 1G. */
	uint64_t pgsize_bitmap;
	/* Output address width: address bits from oa_bits up are reserved
	 * (VT-d, AMD) or an Address Size fault (Arm, the OAS). 0 = the
	 * format's whole field (52 bits; Arm 48). */
	unsigned int oa_bits;
	int (*read_entry)(void *opaque, uint64_t table_addr, unsigned int index,
			  uint64_t *entry);
	int (*set_bits)(void *opaque, uint64_t table_addr, unsigned int index,
			uint64_t bits);
	/* Atomically clear @bits: the Arm stage-1 DBM update (AP[2]); a walk
	 * that needs it without this callback fails with -EINVAL. */
	int (*clear_bits)(void *opaque, uint64_t table_addr, unsigned int index,
			  uint64_t bits);
	void *opaque;
};

enum sim_pt_fault {
	SIM_PT_FAULT_NONE = 0,
	SIM_PT_FAULT_NOT_PRESENT, /* -ENOENT */
	SIM_PT_FAULT_RESERVED_BIT, /* -ENOENT: reserved bit, PS where not allowed */
	SIM_PT_FAULT_ADDRESS,     /* -ENOENT: input address beyond the width */
	SIM_PT_FAULT_PERM,        /* -EACCES: access not granted */
	SIM_PT_FAULT_READ,        /* the read_entry/set_bits callback's error */
	SIM_PT_FAULT_ACCESS,      /* -ENOENT: Arm access flag clear, no hardware update */
	SIM_PT_FAULT_ADDR_SIZE,   /* -ENOENT: Arm output address beyond oa_bits */
};

/* One level of the path a walk took, for filling a paging-structure cache. */
struct sim_pt_step {
	uint64_t table;  /* address of the table read at this level */
	uint32_t perm;   /* permissions granted by the levels above it */
};

struct sim_pt_result {
	uint64_t oa;          /* output address of the input address */
	uint64_t page_size;   /* size of the leaf */
	uint64_t leaf_table;  /* where the leaf entry is, for A/D updates */
	uint64_t leaf_entry;  /* the leaf entry as read */
	uint32_t perm;        /* SIM_PT_R/W/X/U granted by all levels */
	unsigned int leaf_index;
	unsigned int level;   /* level of the leaf: 1 (4K), 2 (2M), 3 (1G) */
	bool dirty;           /* the leaf is dirty (after this walk's update) */
	unsigned int reads;   /* entries fetched */
	unsigned int fault_level;         /* where the walk stopped */
	enum sim_pt_fault fault_reason;
	/* path[l] for the levels the walk went through (levels..leaf) */
	struct sim_pt_step path[SIM_PT_MAX_LEVELS + 1];
};

/*
 * Translate @iova starting from the root table at @root. @flags: the access
 * (SIM_PT_R / SIM_PT_W / SIM_PT_X, and SIM_PT_U for a user-mode first-stage
 * request) plus optionally SIM_PT_WALK_SET_AD, _SET_EA and _NO_WP. In the
 * Arm formats SIM_PT_WALK_SET_AD is HTTU (the hardware sets AF and makes
 * a DBM leaf dirty on a write); without it a leaf with AF clear is an
 * access fault and a write to a writable-clean leaf a permission fault.
 * Returns 0 and fills @res; or
 * -ENOENT (not present, reserved bit, address beyond the width) or -EACCES
 * (the translation exists but does not grant the access; the result still
 * describes it) with res->fault_level and res->fault_reason set; or -EINVAL
 * for a malformed walker. A/D bits are only set on success.
 */
int sim_pt_walk(const struct sim_pt_walker *w, uint64_t root, uint64_t iova,
		unsigned int flags, struct sim_pt_result *res);

/*
 * The same walk started part way down, from the table @table read at
 * @level, with @perm the permissions granted by the levels above (from a
 * paging-structure cache filled out of an earlier result's path[]).
 */
int sim_pt_walk_from(const struct sim_pt_walker *w, uint64_t table,
		     unsigned int level, uint32_t perm, uint64_t iova,
		     unsigned int flags, struct sim_pt_result *res);

/* A walker for a struct sim_pt's own table (host memory, direct reads). */
void sim_pt_walker_init(struct sim_pt_walker *w, const struct sim_pt *pt);

/* Input address bits covered by @levels levels: 39, 48 or 57. */
static inline unsigned int sim_pt_va_bits(unsigned int levels)
{
	return 12 + 9 * levels;
}

/* Bytes covered by one entry at @level (1 = 4 KiB). */
static inline uint64_t sim_pt_level_size(unsigned int level)
{
	return UINT64_C(1) << (12 + 9 * (level - 1));
}

#endif
