/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Arm VMSAv8-64 translation table formats, 4 KiB granule first (the
 * 16 KiB and 64 KiB granules at the end of the file), for the SMMUv3 model (the SMMU walks the Arm ARM's tables: SMMUv3 spec,
 * chapter 3.3 / 5.4; Arm ARM D8.3 "Translation table descriptor formats",
 * D8.4 permissions, D8.5 the access flag and dirty state).
 *
 * Descriptors: bits 1:0 = 0b11 a table (lookup levels 0-2) or a page
 * (level 3), 0b01 a block (levels 1 and 2; a level-0 block needs FEAT_LPA2
 * with 4 KiB, not modelled), bit 0 clear invalid; 0b01 at level 3 is
 * invalid. The next-level table and the output address are bits 47:12
 * (48-bit OA; with a narrower IDR5.OAS the bits above it make an Address
 * Size fault). A block's output address is its bits above the block size:
 * the RES0 bits below it are not checked by the sim.
 *
 * Lower attributes of a block or page: stage 1 AttrIndx 4:2, NS 5,
 * AP[2:1] 7:6 (AP[2] read-only, AP[1] EL0 access), SH 9:8, AF 10, nG 11;
 * stage 2 MemAttr 5:2, S2AP 7:6 (bit 6 read, bit 7 write), SH 9:8, AF 10.
 * Upper attributes: DBM 51, Contiguous 52 (a hint, ignored), PXN 53 and
 * UXN 54 in stage 1, XN 54 in stage 2 (FEAT_XNX's bit 53 is not modelled).
 * Stage-1 table descriptors carry PXNTable 59, UXNTable 60, APTable 62:61
 * (62: no writes below, 61: no EL0 access below) and NSTable 63; stage-2
 * table descriptors have no attributes.
 *
 * Access flag: a block or page with AF clear takes an Access flag fault,
 * unless the hardware manages it (HTTU, SMMU_IDR0.HTTU >= 1 and the CD's
 * or STE's HA), in which case the walk sets it. Dirty state (HTTU = 2 and
 * HD): a descriptor with DBM set is writable; it is writable-clean while
 * AP[2] is set (stage 1) or S2AP[1] is clear (stage 2), and a write makes
 * it writable-dirty by clearing AP[2] / setting S2AP[1]. Without the
 * hardware update, a write to a writable-clean descriptor is a Permission
 * fault. Linux's io-pgtable-arm maps every leaf with AF set, and with
 * IO_PGTABLE_QUIRK_ARM_HD every writable stage-1 leaf as DBM with AP[2]
 * clear (writable-dirty); reading the dirty bitmap sets AP[2] again.
 */
#include "pgtable-fmt.h"

#define ARM_S2_MEMATTR_OIWB (UINT64_C(0xf) << SIM_ARM_MEMATTR_SHIFT)
#define ARM_S1_ATTRIDX_CACHE (UINT64_C(1) << SIM_ARM_ATTRINDX_SHIFT)
#define ARM_SH_IS (UINT64_C(3) << SIM_ARM_SH_SHIFT)

/* ---- shared by both stages ---- */

/* A table at levels 0-2 (ours 4-2), a page at level 3 (ours 1): type 0b11. */
static inline uint64_t arm_type(unsigned int level)
{
	return level == 1 ? SIM_ARM_VALID | SIM_ARM_TABLE : SIM_ARM_VALID;
}

static uint64_t arm_make_table(uint64_t child, unsigned int level)
{
	(void)level;
	return child | SIM_ARM_VALID | SIM_ARM_TABLE;
}

/* Children of a block keep its attributes; at level 3 they are pages. */
static uint64_t arm_split_attr(uint64_t e, unsigned int level)
{
	return (e & ~SIM_ARM_ADDR_MASK & ~SIM_ARM_TYPE_MASK) | arm_type(level - 1);
}

/* Levels 3 and 0 (ours 1 and 4) have no block: 0b01 there is invalid. */
static bool arm_present(uint64_t e, unsigned int level)
{
	if (level == 1 || level == 4)
		return (e & SIM_ARM_TYPE_MASK) == (SIM_ARM_VALID | SIM_ARM_TABLE);
	return e & SIM_ARM_VALID;
}

static bool arm_huge(uint64_t e, unsigned int level)
{
	(void)level;
	return !(e & SIM_ARM_TABLE);
}

/* Every 4 KiB-granule block size is architectural: nothing to refuse. */
static bool arm_huge_bad(uint64_t e, unsigned int level, uint64_t pgsizes)
{
	(void)e;
	(void)level;
	(void)pgsizes;
	return false;
}

/* ---- stage 1 ---- */

/*
 * A valid stage-1 descriptor always grants reads, so a write-only mapping
 * is taken as read-write, as Linux's io-pgtable-arm takes it (AP has no
 * write-only encoding); QEMU's SMMUv3 guest showed the kernel accepting it.
 */
static bool s1_perm_ok(uint32_t perm)
{
	return !(perm & ~SIM_PT_PERM_MASK) && (perm & (SIM_PT_R | SIM_PT_W));
}

static uint64_t s1_make_leaf(uint64_t oa, unsigned int level, uint32_t perm, unsigned int nflags)
{
	uint64_t e = oa | arm_type(level) | SIM_ARM_AF | SIM_ARM_NG | ARM_SH_IS |
		     ARM_S1_ATTRIDX_CACHE;

	if (!(perm & SIM_PT_W))
		e |= SIM_ARM_S1_AP2;
	else if (nflags & SIM_PT_NEW_DBM)
		e |= SIM_ARM_DBM; /* writable-dirty, as Linux maps it */
	if (perm & SIM_PT_U)
		e |= SIM_ARM_S1_AP1;
	if (!(perm & SIM_PT_X))
		e |= SIM_ARM_PXN | SIM_ARM_UXN;
	return e;
}

/*
 * Execute is granted only where neither UXN nor PXN forbids it: the sim's
 * requests do not say which exception level executes.
 */
static uint32_t s1_perm(uint64_t e, bool leaf)
{
	uint32_t p = SIM_PT_R | SIM_PT_W | SIM_PT_U | SIM_PT_X;

	if (!leaf) {
		if (e & SIM_ARM_APTABLE1)
			p &= ~SIM_PT_W;
		if (e & SIM_ARM_APTABLE0)
			p &= ~SIM_PT_U;
		if (e & (SIM_ARM_UXNTABLE | SIM_ARM_PXNTABLE))
			p &= ~SIM_PT_X;
		return p;
	}
	if ((e & SIM_ARM_S1_AP2) && !(e & SIM_ARM_DBM))
		p &= ~SIM_PT_W;
	if (!(e & SIM_ARM_S1_AP1))
		p &= ~SIM_PT_U;
	if (e & (SIM_ARM_UXN | SIM_ARM_PXN))
		p &= ~SIM_PT_X;
	return p;
}

static bool s1_dirty(uint64_t e)
{
	return (e & (SIM_ARM_DBM | SIM_ARM_S1_AP2)) == SIM_ARM_DBM;
}

static enum sim_pt_fault s1_needs_update(uint64_t e, unsigned int access)
{
	if (!(e & SIM_ARM_AF))
		return SIM_PT_FAULT_ACCESS;
	if ((access & SIM_PT_W) && (e & SIM_ARM_DBM) && (e & SIM_ARM_S1_AP2))
		return SIM_PT_FAULT_PERM;
	return SIM_PT_FAULT_NONE;
}

/* AF in the leaf (table descriptors have none); a DBM write clears AP[2]. */
static struct sim_pt_update s1_update(uint64_t e, bool leaf, unsigned int flags)
{
	struct sim_pt_update u = { 0, 0 };

	if (!leaf)
		return u;
	u.set = SIM_ARM_AF;
	if ((flags & SIM_PT_W) && (e & SIM_ARM_DBM))
		u.clear = SIM_ARM_S1_AP2;
	return u;
}

SIM_PT_DECLARE_WALKS(s1);

const struct sim_pt_fmt sim_pt_fmt_arm_s1 = {
	.id = SIM_PT_ARM_S1,
	.name = "arm-stage1",
	.addr_mask = SIM_ARM_ADDR_MASK,
	.oa_bits = 48,
	.levels_ok = 1u << 3 | 1u << 4,
	.oa_fault = SIM_PT_FAULT_ADDR_SIZE,
	.perm_ok = s1_perm_ok,
	.make_table = arm_make_table,
	.make_leaf = s1_make_leaf,
	.split_attr = arm_split_attr,
	.split_keep = 0,
	.dirty_nflags = SIM_PT_NEW_DBM,
	.clean_set = SIM_ARM_S1_AP2,
	.present = arm_present,
	.huge = arm_huge,
	.huge_bad = arm_huge_bad,
	.next_level = sim_pt_next_down,
	.leaf_shift = sim_pt_level_shift,
	.perm = s1_perm,
	.dirty = s1_dirty,
	.needs_update = s1_needs_update,
	.update = s1_update,
	.walk_direct = s1_walk_direct,
	.walk_cb = s1_walk_cb,
};

SIM_PT_DEFINE_WALKS(s1, sim_pt_fmt_arm_s1)

/* ---- stage 2 ---- */

static bool s2_perm_ok(uint32_t perm)
{
	return !(perm & ~SIM_PT_PERM_MASK) && (perm & (SIM_PT_R | SIM_PT_W));
}

static uint64_t s2_make_leaf(uint64_t oa, unsigned int level, uint32_t perm, unsigned int nflags)
{
	uint64_t e = oa | arm_type(level) | SIM_ARM_AF | ARM_SH_IS | ARM_S2_MEMATTR_OIWB;

	if (perm & SIM_PT_R)
		e |= SIM_ARM_S2AP_R;
	if (perm & SIM_PT_W)
		e |= SIM_ARM_S2AP_W | ((nflags & SIM_PT_NEW_DBM) ? SIM_ARM_DBM : 0);
	if (!(perm & SIM_PT_X))
		e |= SIM_ARM_UXN; /* XN[1] */
	return e;
}

/* No privilege levels in stage 2 (U never refused); table descriptors grant all. */
static uint32_t s2_perm(uint64_t e, bool leaf)
{
	if (!leaf)
		return SIM_PT_R | SIM_PT_W | SIM_PT_U | SIM_PT_X;
	return (e & SIM_ARM_S2AP_R ? SIM_PT_R : 0) |
	       (e & (SIM_ARM_S2AP_W | SIM_ARM_DBM) ? SIM_PT_W : 0) | SIM_PT_U |
	       (e & SIM_ARM_UXN ? 0 : SIM_PT_X);
}

static bool s2_dirty(uint64_t e)
{
	return (e & (SIM_ARM_DBM | SIM_ARM_S2AP_W)) == (SIM_ARM_DBM | SIM_ARM_S2AP_W);
}

static enum sim_pt_fault s2_needs_update(uint64_t e, unsigned int access)
{
	if (!(e & SIM_ARM_AF))
		return SIM_PT_FAULT_ACCESS;
	if ((access & SIM_PT_W) && (e & SIM_ARM_DBM) && !(e & SIM_ARM_S2AP_W))
		return SIM_PT_FAULT_PERM;
	return SIM_PT_FAULT_NONE;
}

/* AF in the leaf; a DBM write sets S2AP[1]. */
static struct sim_pt_update s2_update(uint64_t e, bool leaf, unsigned int flags)
{
	struct sim_pt_update u = { 0, 0 };

	if (!leaf)
		return u;
	u.set = SIM_ARM_AF;
	if ((flags & SIM_PT_W) && (e & SIM_ARM_DBM))
		u.set |= SIM_ARM_S2AP_W;
	return u;
}

SIM_PT_DECLARE_WALKS(s2);

const struct sim_pt_fmt sim_pt_fmt_arm_s2 = {
	.id = SIM_PT_ARM_S2,
	.name = "arm-stage2",
	.addr_mask = SIM_ARM_ADDR_MASK,
	.oa_bits = 48,
	.levels_ok = 1u << 3 | 1u << 4,
	.oa_fault = SIM_PT_FAULT_ADDR_SIZE,
	.perm_ok = s2_perm_ok,
	.make_table = arm_make_table,
	.make_leaf = s2_make_leaf,
	.split_attr = arm_split_attr,
	.split_keep = 0,
	.dirty_nflags = SIM_PT_NEW_DBM,
	.clean_clear = SIM_ARM_S2AP_W,
	.present = arm_present,
	.huge = arm_huge,
	.huge_bad = arm_huge_bad,
	.next_level = sim_pt_next_down,
	.leaf_shift = sim_pt_level_shift,
	.perm = s2_perm,
	.dirty = s2_dirty,
	.needs_update = s2_needs_update,
	.update = s2_update,
	.walk_direct = s2_walk_direct,
	.walk_cb = s2_walk_cb,
};

SIM_PT_DEFINE_WALKS(s2, sim_pt_fmt_arm_s2)

/*
 * ---- the 16 KiB and 64 KiB granules (Arm ARM D8.2, D8.3) ----
 *
 * A table page is one granule: 2048 entries of 11 index bits (16 KiB) or
 * 8192 of 13 (64 KiB). Our level 1 holds the pages (Arm level 3), level 2
 * the blocks: 32 MiB (16K) or 512 MiB (64K). Without FEAT_LPA2 the 16K
 * granule has no level-1 block, and without FEAT_LPA (52-bit OA) the 64K
 * granule none either: 0b01 there, and at every level but 2, is invalid.
 * A 48-bit input is 4 levels of 16K (Arm level 0 a table of 2 entries) or
 * 3 of 64K (Arm level 1, 64 entries). Output and next-table addresses are
 * bits 47:14 / 47:16; the bits below (RES0, with LPA the 64K granule's
 * OA[51:48] in 15:12) are not read: 52-bit output is not modelled.
 * Every attribute is where the 4 KiB granule has it.
 */

#define ARM_ADDR_16K UINT64_C(0x0000ffffffffc000)
#define ARM_ADDR_64K UINT64_C(0x0000ffffffff0000)

/* A block only at level 2 (ours); tables and pages are 0b11 everywhere else. */
static bool arm_present_l2blk(uint64_t e, unsigned int level)
{
	if (level != 2)
		return (e & SIM_ARM_TYPE_MASK) == (SIM_ARM_VALID | SIM_ARM_TABLE);
	return e & SIM_ARM_VALID;
}

static unsigned int arm_shift_16k(uint64_t e, unsigned int level)
{
	(void)e;
	return 14 + 11 * (level - 1);
}

static unsigned int arm_shift_64k(uint64_t e, unsigned int level)
{
	(void)e;
	return 16 + 13 * (level - 1);
}

#define ARM_S1_OPS                                                                     \
	.perm_ok = s1_perm_ok, .make_leaf = s1_make_leaf, .clean_set = SIM_ARM_S1_AP2, \
	.perm = s1_perm, .dirty = s1_dirty, .needs_update = s1_needs_update, .update = s1_update
#define ARM_S2_OPS                                                                       \
	.perm_ok = s2_perm_ok, .make_leaf = s2_make_leaf, .clean_clear = SIM_ARM_S2AP_W, \
	.perm = s2_perm, .dirty = s2_dirty, .needs_update = s2_needs_update, .update = s2_update

/* One granule format: its ops table and its two walk instances. */
#define ARM_GRANULE_FMT(var, pfx, fid, fname, shift, mask, lvls, sizes, shiftfn, stage_ops) \
	SIM_PT_DECLARE_WALKS(pfx);                                                          \
	const struct sim_pt_fmt var = {                                                     \
		.id = fid,                                                                  \
		.name = fname,                                                              \
		.addr_mask = mask,                                                          \
		.oa_bits = 48,                                                              \
		.levels_ok = lvls,                                                          \
		.pg_shift = shift,                                                          \
		.in_max = 48,                                                               \
		.pgsizes = sizes,                                                           \
		.oa_fault = SIM_PT_FAULT_ADDR_SIZE,                                         \
		.make_table = arm_make_table,                                               \
		.split_attr = arm_split_attr,                                               \
		.split_keep = 0,                                                            \
		.dirty_nflags = SIM_PT_NEW_DBM,                                             \
		.present = arm_present_l2blk,                                               \
		.huge = arm_huge,                                                           \
		.huge_bad = arm_huge_bad,                                                   \
		.next_level = sim_pt_next_down,                                             \
		.leaf_shift = shiftfn,                                                      \
		.walk_direct = pfx##_walk_direct,                                           \
		.walk_cb = pfx##_walk_cb,                                                   \
		stage_ops,                                                                  \
	};                                                                                  \
	SIM_PT_DEFINE_WALKS(pfx, var)

/* 16K: 1 to 4 levels (T0SZ 39 starts at Arm level 3, 16 at level 0). */
#define LEVELS_16K (1u << 1 | 1u << 2 | 1u << 3 | 1u << 4)
/* 64K: 1 to 3 levels (48 bits start at Arm level 1). */
#define LEVELS_64K (1u << 1 | 1u << 2 | 1u << 3)

ARM_GRANULE_FMT(sim_pt_fmt_arm_s1_16k, s1_16k, SIM_PT_ARM_S1_16K, "arm-stage1-16k", 14,
		ARM_ADDR_16K, LEVELS_16K, SIM_PT_SZ_16K | SIM_PT_SZ_32M, arm_shift_16k, ARM_S1_OPS)
ARM_GRANULE_FMT(sim_pt_fmt_arm_s1_64k, s1_64k, SIM_PT_ARM_S1_64K, "arm-stage1-64k", 16,
		ARM_ADDR_64K, LEVELS_64K, SIM_PT_SZ_64K | SIM_PT_SZ_512M, arm_shift_64k, ARM_S1_OPS)
ARM_GRANULE_FMT(sim_pt_fmt_arm_s2_16k, s2_16k, SIM_PT_ARM_S2_16K, "arm-stage2-16k", 14,
		ARM_ADDR_16K, LEVELS_16K, SIM_PT_SZ_16K | SIM_PT_SZ_32M, arm_shift_16k, ARM_S2_OPS)
ARM_GRANULE_FMT(sim_pt_fmt_arm_s2_64k, s2_64k, SIM_PT_ARM_S2_64K, "arm-stage2-64k", 16,
		ARM_ADDR_64K, LEVELS_64K, SIM_PT_SZ_64K | SIM_PT_SZ_512M, arm_shift_64k, ARM_S2_OPS)

enum sim_pt_format sim_pt_arm_format(bool s2, unsigned int pg_shift)
{
	switch (pg_shift) {
	case 12:
		return s2 ? SIM_PT_ARM_S2 : SIM_PT_ARM_S1;
	case 14:
		return s2 ? SIM_PT_ARM_S2_16K : SIM_PT_ARM_S1_16K;
	case 16:
		return s2 ? SIM_PT_ARM_S2_64K : SIM_PT_ARM_S1_64K;
	default:
		return 0;
	}
}

unsigned int sim_pt_arm_granule(uint64_t pgsizes, uint64_t cpu_page)
{
	const uint64_t grans = pgsizes & (SIM_PT_SZ_4K | SIM_PT_SZ_16K | SIM_PT_SZ_64K);
	uint64_t below = grans & (cpu_page - 1), above = grans & ~(cpu_page - 1);

	if (!cpu_page || (cpu_page & (cpu_page - 1)))
		return 0;
	if (grans & cpu_page)
		return (unsigned int)__builtin_ctzll(cpu_page);
	if (below)
		return 63 - (unsigned int)__builtin_clzll(below);
	if (above)
		return (unsigned int)__builtin_ctzll(above);
	return 0;
}
