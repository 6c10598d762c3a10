/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AMD IOMMU v1 host page table ("I/O Page Tables for Host
 * Translations", AMD I/O Virtualization Technology Specification 2.2.3;
 * what Linux programs: drivers/iommu/generic_pt/fmt/amdv1.h).
 *
 * Entry bits: PR 0 (present), A 5 (accessed, written with HA), D 6
 * (dirty, leaves, written with HD), Next Level 11:9, address 51:12, U 59
 * (ATS "untranslated only", not modelled), FC 60 (force coherent, not
 * modelled), IR 61 and IW 62 (read and write permission, ANDed over every
 * level of the walk). Levels are numbered as ours: 1 holds 4 KiB pages.
 *
 * Next Level, in an entry at level n: 1..n-1 points to a table of that
 * level. Less than n-1 skips levels; the index bits of the skipped levels
 * must then be zero in the address, else the walk faults. 0 is a leaf of
 * the level's natural size (4 KiB, 2 MiB, 1 GiB, 512 GiB), and 7 a leaf of
 * a larger power of two than the level's, up to the next level's, given by
 * the address field: the number of consecutive ones from bit 12 upward,
 * t, makes a 2^(13 + t)-byte page (bit 12 clear: 8 KiB; 12 set, 13 clear:
 * 16 KiB; ...). Software replicates such an entry over every slot its page
 * covers. A 512 GiB leaf is refused (Linux: not supported, a hardware
 * bug), and so is any leaf at level 5 and above.
 *
 * Our own tables use natural-size leaves only (no level skipping, no
 * Next Level 7), with IR/IW from the mapping and IR|IW in table entries, as
 * Linux's generic_pt amdv1 writes them; the walk reads all three forms.
 */
#include "pgtable-fmt.h"

#define AMD_NL_SHIFT SIM_AMD_NL_SHIFT
#define AMD_NL(e) ((unsigned int)((e) >> AMD_NL_SHIFT) & 7u)
#define AMD_NL_SIZE 7u

static bool v1_perm_ok(uint32_t perm)
{
	return !(perm & ~SIM_PT_PERM_MASK) && (perm & (SIM_PT_R | SIM_PT_W));
}

/* Linux always sets IR and IW in table entries: the leaf decides. */
static uint64_t v1_make_table(uint64_t child, unsigned int level)
{
	return child | SIM_AMD_PR | SIM_AMD_IR | SIM_AMD_IW |
	       ((uint64_t)(level - 1) << AMD_NL_SHIFT);
}

static uint64_t v1_make_leaf(uint64_t oa, unsigned int level, uint32_t perm, unsigned int nflags)
{
	(void)level;
	(void)nflags;
	return oa | SIM_AMD_PR | (perm & SIM_PT_R ? SIM_AMD_IR : 0) |
	       (perm & SIM_PT_W ? SIM_AMD_IW : 0);
}

/* Natural-size leaves split into natural-size leaves: the same bits. */
static uint64_t v1_split_attr(uint64_t e, unsigned int level)
{
	(void)level;
	return e & ~SIM_PT_ADDR_MASK;
}

static bool v1_present(uint64_t e, unsigned int level)
{
	(void)level;
	return e & SIM_AMD_PR;
}

static bool v1_huge(uint64_t e, unsigned int level)
{
	(void)level;
	return AMD_NL(e) == 0 || AMD_NL(e) == AMD_NL_SIZE;
}

/* 512 GiB and larger leaves, and any at level 5 and up. */
static bool v1_huge_bad(uint64_t e, unsigned int level, uint64_t pgsizes)
{
	(void)e;
	(void)pgsizes;
	return level >= 4 && AMD_NL(e) == 0;
}

static unsigned int v1_next_level(uint64_t e, unsigned int level)
{
	(void)level;
	return AMD_NL(e);
}

/* Natural size, or the Next Level 7 encoding, which must fit its level. */
static unsigned int v1_leaf_shift(uint64_t e, unsigned int level)
{
	unsigned int base = 12 + 9 * (level - 1), shift;

	if (AMD_NL(e) == 0)
		return base;
	if (AMD_NL(e) != AMD_NL_SIZE)
		return 0; /* a level-1 entry pointing further down */
	shift = 13 + (unsigned int)__builtin_ctzll(~(e >> 12));
	return shift > base && shift < base + 9 && level < 5 ? shift : 0;
}

/* No privilege levels, no execute permission in v1 tables. */
static uint32_t v1_perm(uint64_t e, bool leaf)
{
	(void)leaf;
	return (e & SIM_AMD_IR ? SIM_PT_R : 0) | (e & SIM_AMD_IW ? SIM_PT_W : 0) | SIM_PT_U |
	       SIM_PT_X;
}

static bool v1_dirty(uint64_t e)
{
	return e & SIM_AMD_D;
}

static enum sim_pt_fault v1_needs_update(uint64_t e, unsigned int access)
{
	(void)e;
	(void)access;
	return SIM_PT_FAULT_NONE;
}

/* HA sets A in every entry used, HD sets D in the leaf of a write. */
static struct sim_pt_update v1_update(uint64_t e, bool leaf, unsigned int flags)
{
	(void)e;
	return (struct sim_pt_update){ SIM_AMD_A | (leaf && (flags & SIM_PT_W) ? SIM_AMD_D : 0),
				       0 };
}

SIM_PT_DECLARE_WALKS(v1);

const struct sim_pt_fmt sim_pt_fmt_amd_v1 = {
	.id = SIM_PT_AMD_V1,
	.name = "amd-v1",
	.addr_mask = SIM_PT_ADDR_MASK,
	.oa_bits = SIM_PT_OA_BITS,
	.levels_ok = 1u << 3 | 1u << 4 | 1u << 5,
	.oa_fault = SIM_PT_FAULT_RESERVED_BIT,
	.perm_ok = v1_perm_ok,
	.make_table = v1_make_table,
	.make_leaf = v1_make_leaf,
	.split_attr = v1_split_attr,
	.split_keep = SIM_AMD_A,
	.clean_clear = SIM_AMD_D,
	.present = v1_present,
	.huge = v1_huge,
	.huge_bad = v1_huge_bad,
	.next_level = v1_next_level,
	.leaf_shift = v1_leaf_shift,
	.perm = v1_perm,
	.dirty = v1_dirty,
	.needs_update = v1_needs_update,
	.update = v1_update,
	.walk_direct = v1_walk_direct,
	.walk_cb = v1_walk_cb,
};

SIM_PT_DEFINE_WALKS(v1, sim_pt_fmt_amd_v1)
