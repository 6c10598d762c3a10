/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Intel VT-d entry formats, from the VT-d Architecture Specification,
 * chapter 9 ("Translation Structure Formats"):
 *
 * Second stage (9.8, "Second-Stage Paging Entries"): R bit 0, W bit 1,
 * X bit 2 (execute, ignored unless execute requests are enabled), EMT 5:3
 * and IPAT 6 (leaves only), PS bit 7 in the PDPE and PDE (1 GiB / 2 MiB
 * leaf), A bit 8, D bit 9 (leaves only), SNP bit 11 (leaves), address
 * 51:12 with the bits at and above the host address width reserved, bits
 * 63:52 ignored. There is no present bit: an entry with R and W both clear
 * is not present. PS is reserved in the PML5E and PML4E, and in the PDPE
 * when 1 GiB pages are not supported; the address bits below the page size
 * of a large leaf (20:12 for 2 MiB, 29:12 for 1 GiB) are reserved.
 *
 * First stage (9.7, "First-Stage Paging Entries", the IA-32e format): P
 * bit 0, R/W 1, U/S 2, PWT 3, PCD 4, A 5, D 6 (leaves only), PS bit 7 in
 * the PDPE and PDE (in the PTE bit 7 is PAT), EA bit 10 (extended
 * accessed, written only with the PASID entry's EAFE), address 51:12, XD
 * bit 63.
 * A large leaf carries its PAT bit at 12, so its reserved low address bits
 * are 20:13 (2 MiB) or 29:13 (1 GiB). PS is reserved in the PML5E and
 * PML4E, and in the PDPE without 1 GiB page support. Present entries always
 * grant read; write needs R/W at every level (except a supervisor write
 * with the PASID entry's WPE clear), user-mode access U/S at every level,
 * and any XD on the way forbids execution.
 *
 * AMD's v2 tables (the guest's, for nested AMD HWPTs) are the same x86-64
 * paging entries without VT-d's EA: the second entry of the first-stage
 * ops below.
 *
 * Both formats: A is set in every entry used by a translation and D in the
 * leaf of a write, when the remapping hardware supports A/D updates; A and
 * D are records only, no access waits for them.
 */
#include "pgtable-fmt.h"

/* ---- shared by both ---- */

/* PS is bit 7 in both formats above level 1. */
static inline bool vtd_huge(uint64_t e, unsigned int level)
{
	(void)level;
	return e & SIM_SL_PS;
}

/*
 * A PS entry is a leaf only where the hardware has that page size; the
 * address bits below the page size are reserved (but for @keep).
 */
static inline bool vtd_huge_bad(uint64_t e, unsigned int level, uint64_t pgsizes, uint64_t keep)
{
	uint64_t size = sim_pt_level_size(level);

	if (level > 3 || !(pgsizes & size))
		return true;
	return (e & (size - 1) & SIM_PT_ADDR_MASK & ~keep) != 0;
}

static enum sim_pt_fault vtd_needs_update(uint64_t e, unsigned int access)
{
	(void)e;
	(void)access;
	return SIM_PT_FAULT_NONE;
}

/* ---- second stage ---- */

static bool sl_perm_ok(uint32_t perm)
{
	return !(perm & ~SIM_PT_PERM_MASK) && (perm & (SIM_PT_R | SIM_PT_W));
}

static uint64_t sl_make_table(uint64_t child, unsigned int level)
{
	(void)level;
	return child | SIM_SL_R | SIM_SL_W | SIM_SL_X;
}

static uint64_t sl_make_leaf(uint64_t oa, unsigned int level, uint32_t perm, unsigned int nflags)
{
	(void)nflags;
	return oa | (level > 1 ? SIM_SL_PS : 0) | (perm & (SIM_PT_R | SIM_PT_W | SIM_PT_X));
}

static uint64_t sl_split_attr(uint64_t e, unsigned int level)
{
	uint64_t attr = e & ~SIM_PT_ADDR_MASK;

	return level - 1 == 1 ? attr & ~SIM_SL_PS : attr;
}

static bool sl_present(uint64_t e, unsigned int level)
{
	(void)level;
	return e & (SIM_SL_R | SIM_SL_W);
}

static bool sl_huge_bad(uint64_t e, unsigned int level, uint64_t pgsizes)
{
	return vtd_huge_bad(e, level, pgsizes, 0);
}

/* No privilege levels in the second stage: U is never refused. */
static uint32_t sl_perm(uint64_t e, bool leaf)
{
	(void)leaf;
	return (uint32_t)(e & (SIM_SL_R | SIM_SL_W | SIM_SL_X)) | SIM_PT_U;
}

static bool sl_dirty(uint64_t e)
{
	return e & SIM_SL_D;
}

static struct sim_pt_update sl_update(uint64_t e, bool leaf, unsigned int flags)
{
	(void)e;
	return (struct sim_pt_update){ SIM_SL_A | (leaf && (flags & SIM_PT_W) ? SIM_SL_D : 0), 0 };
}

SIM_PT_DECLARE_WALKS(sl);

const struct sim_pt_fmt sim_pt_fmt_vtd_sl = {
	.id = SIM_PT_VTD_SL,
	.name = "vtd-second-stage",
	.addr_mask = SIM_PT_ADDR_MASK,
	.oa_bits = SIM_PT_OA_BITS,
	.levels_ok = 1u << 4 | 1u << 5,
	.oa_fault = SIM_PT_FAULT_RESERVED_BIT,
	.perm_ok = sl_perm_ok,
	.make_table = sl_make_table,
	.make_leaf = sl_make_leaf,
	.split_attr = sl_split_attr,
	.split_keep = SIM_SL_A,
	.clean_clear = SIM_SL_D,
	.present = sl_present,
	.huge = vtd_huge,
	.huge_bad = sl_huge_bad,
	.next_level = sim_pt_next_down,
	.leaf_shift = sim_pt_level_shift,
	.perm = sl_perm,
	.dirty = sl_dirty,
	.needs_update = vtd_needs_update,
	.update = sl_update,
	.walk_direct = sl_walk_direct,
	.walk_cb = sl_walk_cb,
};

SIM_PT_DEFINE_WALKS(sl, sim_pt_fmt_vtd_sl)

/* ---- first stage ---- */

static bool fl_perm_ok(uint32_t perm)
{
	return !(perm & ~SIM_PT_PERM_MASK) && (perm & SIM_PT_R); /* present = readable */
}

static uint64_t fl_make_table(uint64_t child, unsigned int level)
{
	(void)level;
	return child | SIM_FL_P | SIM_FL_RW | SIM_FL_US;
}

static uint64_t fl_make_leaf(uint64_t oa, unsigned int level, uint32_t perm, unsigned int nflags)
{
	uint64_t e = oa | SIM_FL_P | (level > 1 ? SIM_FL_PS : 0);

	(void)nflags;
	if (perm & SIM_PT_W)
		e |= SIM_FL_RW;
	if (perm & SIM_PT_U)
		e |= SIM_FL_US;
	if (!(perm & SIM_PT_X))
		e |= SIM_FL_XD;
	return e;
}

/* A 4 KiB leaf keeps PAT at bit 7, a large one at bit 12: PAT moves for 4 KiB children. */
static uint64_t fl_split_attr(uint64_t e, unsigned int level)
{
	uint64_t attr = e & ~SIM_PT_ADDR_MASK;

	if (level - 1 == 1) {
		attr &= ~SIM_FL_PS;
		if (e & SIM_FL_PAT_LARGE)
			attr |= SIM_FL_PS; /* bit 7 = PAT in a PTE */
	} else if (e & SIM_FL_PAT_LARGE) {
		attr |= SIM_FL_PAT_LARGE;
	}
	return attr;
}

static bool fl_present(uint64_t e, unsigned int level)
{
	(void)level;
	return e & SIM_FL_P;
}

static bool fl_huge_bad(uint64_t e, unsigned int level, uint64_t pgsizes)
{
	return vtd_huge_bad(e, level, pgsizes, SIM_FL_PAT_LARGE);
}

static uint32_t fl_perm(uint64_t e, bool leaf)
{
	(void)leaf;
	return SIM_PT_R | (e & SIM_FL_RW ? SIM_PT_W : 0) | (e & SIM_FL_US ? SIM_PT_U : 0) |
	       (e & SIM_FL_XD ? 0 : SIM_PT_X);
}

static bool fl_dirty(uint64_t e)
{
	return e & SIM_FL_D;
}

/* EA is the IOMMU's own accessed bit, set with A under the PASID entry's EAFE. */
static struct sim_pt_update fl_update(uint64_t e, bool leaf, unsigned int flags)
{
	uint64_t a = SIM_FL_A | (flags & SIM_PT_WALK_SET_EA ? SIM_FL_EA : 0);

	(void)e;
	return (struct sim_pt_update){ a | (leaf && (flags & SIM_PT_W) ? SIM_FL_D : 0), 0 };
}

SIM_PT_DECLARE_WALKS(fl);

/* What the VT-d first stage and AMD v2, both x86-64 paging entries, share. */
#define X86_ENTRY_OPS                                                                              \
	.addr_mask = SIM_PT_ADDR_MASK, .oa_bits = SIM_PT_OA_BITS, .levels_ok = 1u << 4 | 1u << 5,  \
	.oa_fault = SIM_PT_FAULT_RESERVED_BIT, .split_attr = fl_split_attr,                        \
	.split_keep = SIM_FL_A, .clean_clear = SIM_FL_D, .present = fl_present, .huge = vtd_huge,  \
	.huge_bad = fl_huge_bad, .next_level = sim_pt_next_down, .leaf_shift = sim_pt_level_shift, \
	.perm = fl_perm, .dirty = fl_dirty, .needs_update = vtd_needs_update

const struct sim_pt_fmt sim_pt_fmt_vtd_fl = {
	.id = SIM_PT_VTD_FL,
	.name = "vtd-first-stage",
	X86_ENTRY_OPS,
	.perm_ok = fl_perm_ok,
	.make_table = fl_make_table,
	.make_leaf = fl_make_leaf,
	.update = fl_update,
	.walk_direct = fl_walk_direct,
	.walk_cb = fl_walk_cb,
};

SIM_PT_DEFINE_WALKS(fl, sim_pt_fmt_vtd_fl)

/* ---- AMD v2: x86-64 paging, as the first stage but for EA ---- */

/*
 * What Linux's generic_pt x86_64 format writes for an AMD v2 domain
 * (x86_64_pt_install_table(), x86_64_pt_iommu_set_prot()): tables
 * P | R/W | U/S | A; leaves P | U/S | A, and R/W | D for a writable one,
 * never XD. Present means readable, so a write-only mapping is taken (and
 * readable), as Linux takes it.
 */
static bool v2_perm_ok(uint32_t perm)
{
	return !(perm & ~SIM_PT_PERM_MASK) && (perm & (SIM_PT_R | SIM_PT_W));
}

static uint64_t v2_make_table(uint64_t child, unsigned int level)
{
	(void)level;
	return child | SIM_FL_P | SIM_FL_RW | SIM_FL_US | SIM_FL_A;
}

static uint64_t v2_make_leaf(uint64_t oa, unsigned int level, uint32_t perm, unsigned int nflags)
{
	(void)nflags;
	return oa | SIM_FL_P | SIM_FL_US | SIM_FL_A | (level > 1 ? SIM_FL_PS : 0) |
	       ((perm & SIM_PT_W) ? SIM_FL_RW | SIM_FL_D : 0);
}

static struct sim_pt_update v2_update(uint64_t e, bool leaf, unsigned int flags)
{
	(void)e;
	return (struct sim_pt_update){ SIM_FL_A | (leaf && (flags & SIM_PT_W) ? SIM_FL_D : 0), 0 };
}

SIM_PT_DECLARE_WALKS(v2);

const struct sim_pt_fmt sim_pt_fmt_amd_v2 = {
	.id = SIM_PT_AMD_V2,
	.name = "amd-v2",
	X86_ENTRY_OPS,
	.perm_ok = v2_perm_ok,
	.make_table = v2_make_table,
	.make_leaf = v2_make_leaf,
	.update = v2_update,
	.walk_direct = v2_walk_direct,
	.walk_cb = v2_walk_cb,
};

SIM_PT_DEFINE_WALKS(v2, sim_pt_fmt_amd_v2)
