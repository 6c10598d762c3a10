/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to the page-table files: one ops table per entry format, like
 * the kernel's io-pgtable ops. pgtable.c builds, splits, clears and
 * harvests tables through these ops alone; the walk is the template below,
 * which each format file instantiates with its own constant ops so that
 * the compiler inlines the entry tests into a straight walk (no indirect
 * call per level on the DMA path).
 *
 * Entries are little-endian 64-bit words in table pages of the format's
 * granule: 4 KiB pages of 512 entries in every format but the Arm ones of
 * the 16 KiB (2048 entries) and 64 KiB (8192) granules; the levels are
 * numbered as in pgtable.h, level 1 holding the granule's pages.
 */
#ifndef IOASID_SIM_PGTABLE_FMT_H
#define IOASID_SIM_PGTABLE_FMT_H

#include <endian.h>
#include <errno.h>

#include "pgtable.h"

#define SIM_PT_ALL_PGSIZES (SIM_PT_SZ_4K | SIM_PT_SZ_2M | SIM_PT_SZ_1G)

/* What a walk's hardware update does to one entry: OR @set, then clear @clear. */
struct sim_pt_update {
	uint64_t set;
	uint64_t clear;
};

struct sim_pt_fmt {
	enum sim_pt_format id;
	const char *name;         /* the HWPT JSON's "format" */
	uint64_t addr_mask;       /* output / next-table address field */
	unsigned int oa_bits;     /* the widest output the field holds */
	unsigned int levels_ok;   /* bit n: n-level tables */
	unsigned int pg_shift;    /* log2 of the granule (page and table page); 0: 12 */
	unsigned int in_max;      /* the widest input whatever the levels; 0: no cap */
	uint64_t pgsizes;         /* the leaf sizes the format has; 0: 4K | 2M | 1G */
	/* the fault an address bit at or above the walker's oa_bits raises */
	enum sim_pt_fault oa_fault;

	/* ---- building our own tables ---- */
	/* whether a mapping with @perm (SIM_PT_*) can be expressed */
	bool (*perm_ok)(uint32_t perm);
	/* a table entry at @level pointing at @child (at @level - 1), granting everything */
	uint64_t (*make_table)(uint64_t child, unsigned int level);
	/* a leaf at @level mapping @oa; @nflags: SIM_PT_NEW_* */
	uint64_t (*make_leaf)(uint64_t oa, unsigned int level, uint32_t perm,
			      unsigned int nflags);
	/* the non-address bits of the children of huge leaf @e of @level */
	uint64_t (*split_attr)(uint64_t e, unsigned int level);
	/* bits of a split leaf kept in the table entry replacing it */
	uint64_t split_keep;
	/* SIM_PT_NEW_* flags a dirty-tracking domain's table needs (Arm: DBM) */
	unsigned int dirty_nflags;
	/* cleaning a dirty leaf: e & ~clean_clear | clean_set */
	uint64_t clean_clear, clean_set;

	/* ---- reading entries (inlined into the walk) ---- */
	bool (*present)(uint64_t e, unsigned int level);
	/* a present entry above level 1 is a leaf (huge page / block) */
	bool (*huge)(uint64_t e, unsigned int level);
	/* a huge leaf the hardware rejects: size not supported, reserved bits */
	bool (*huge_bad)(uint64_t e, unsigned int level, uint64_t pgsizes);
	/* the level of the table a table entry at @level points to (AMD may skip) */
	unsigned int (*next_level)(uint64_t e, unsigned int level);
	/* log2 of the bytes leaf @e at @level maps; 0 for a bad size encoding */
	unsigned int (*leaf_shift)(uint64_t e, unsigned int level);
	/* what a table entry (@leaf false) or a leaf grants, as SIM_PT_* */
	uint32_t (*perm)(uint64_t e, bool leaf);
	bool (*dirty)(uint64_t e);
	/*
	 * Without hardware updates (no SIM_PT_WALK_SET_AD), the fault a
	 * granted @access (SIM_PT_R/W/...) to leaf @e still takes; NONE if
	 * the access needs no update to go through.
	 */
	enum sim_pt_fault (*needs_update)(uint64_t e, unsigned int access);
	/* the hardware update of entry @e for a successful access */
	struct sim_pt_update (*update)(uint64_t e, bool leaf, unsigned int flags);

	/* the walk, instantiated from walk_core() below */
	int (*walk_direct)(const struct sim_pt_walker *w, uint64_t table, unsigned int level,
			   uint32_t perm, uint64_t iova, unsigned int flags,
			   struct sim_pt_result *res);
	int (*walk_cb)(const struct sim_pt_walker *w, uint64_t table, unsigned int level,
		       uint32_t perm, uint64_t iova, unsigned int flags, struct sim_pt_result *res);
};

extern const struct sim_pt_fmt sim_pt_fmt_vtd_sl, sim_pt_fmt_vtd_fl;
extern const struct sim_pt_fmt sim_pt_fmt_arm_s1, sim_pt_fmt_arm_s2;
extern const struct sim_pt_fmt sim_pt_fmt_arm_s1_16k, sim_pt_fmt_arm_s1_64k;
extern const struct sim_pt_fmt sim_pt_fmt_arm_s2_16k, sim_pt_fmt_arm_s2_64k;
extern const struct sim_pt_fmt sim_pt_fmt_amd_v1, sim_pt_fmt_amd_v2;

/* The ops of @fmt; NULL for an unknown format. */
const struct sim_pt_fmt *sim_pt_fmt_of(enum sim_pt_format fmt);

/* ---- shared entry access: little-endian, atomic so walks may run concurrently ---- */

static inline uint64_t *sim_pt_tbl(uint64_t addr)
{
	return (uint64_t *)(uintptr_t)addr;
}

static inline uint64_t sim_pt_ld(const uint64_t *tbl, unsigned int i)
{
	return le64toh(__atomic_load_n(&tbl[i], __ATOMIC_ACQUIRE));
}

/* Release: a new table page's zeroes are visible before the entry is. */
static inline void sim_pt_st(uint64_t *tbl, unsigned int i, uint64_t v)
{
	__atomic_store_n(&tbl[i], htole64(v), __ATOMIC_RELEASE);
}

static inline unsigned int sim_pt_index(uint64_t va, unsigned int level)
{
	return (unsigned int)(va >> (12 + 9 * (level - 1))) & (SIM_PT_ENTRIES - 1);
}

/*
 * The geometry of a format's granule. In the walk @f is a constant, so
 * these fold to the 4 KiB numbers above for every format but the Arm
 * 16 KiB / 64 KiB ones.
 */
static inline __attribute__((always_inline)) unsigned int sim_pt_fmt_pg_shift(
	const struct sim_pt_fmt *f)
{
	return f->pg_shift ? f->pg_shift : 12;
}

/* Index bits of one level: a table page holds 2^stride 8-byte entries. */
static inline __attribute__((always_inline)) unsigned int sim_pt_fmt_stride(
	const struct sim_pt_fmt *f)
{
	return sim_pt_fmt_pg_shift(f) - 3;
}

static inline __attribute__((always_inline)) unsigned int sim_pt_fmt_entries(
	const struct sim_pt_fmt *f)
{
	return 1u << sim_pt_fmt_stride(f);
}

/* log2 of the bytes one entry at @level covers. */
static inline __attribute__((always_inline)) unsigned int sim_pt_fmt_shift(const struct sim_pt_fmt *f,
									   unsigned int level)
{
	return sim_pt_fmt_pg_shift(f) + sim_pt_fmt_stride(f) * (level - 1);
}

static inline __attribute__((always_inline)) uint64_t sim_pt_fmt_size(const struct sim_pt_fmt *f,
								      unsigned int level)
{
	return UINT64_C(1) << sim_pt_fmt_shift(f, level);
}

static inline __attribute__((always_inline)) unsigned int sim_pt_fmt_idx(const struct sim_pt_fmt *f,
									 uint64_t va,
									 unsigned int level)
{
	return (unsigned int)(va >> sim_pt_fmt_shift(f, level)) & (sim_pt_fmt_entries(f) - 1);
}

/* Input bits of a table of @levels (capped at the format's widest input). */
static inline __attribute__((always_inline)) unsigned int sim_pt_fmt_va_bits(
	const struct sim_pt_fmt *f, unsigned int levels)
{
	unsigned int b = sim_pt_fmt_pg_shift(f) + sim_pt_fmt_stride(f) * levels;

	return f->in_max && b > f->in_max ? f->in_max : b;
}

static inline __attribute__((always_inline)) uint64_t sim_pt_fmt_pgsizes(const struct sim_pt_fmt *f)
{
	return f->pgsizes ? f->pgsizes : SIM_PT_ALL_PGSIZES;
}

/* The ordinary next_level and leaf_shift: one level down, the level's size. */
static inline unsigned int sim_pt_next_down(uint64_t e, unsigned int level)
{
	(void)e;
	return level - 1;
}

static inline unsigned int sim_pt_level_shift(uint64_t e, unsigned int level)
{
	(void)e;
	return 12 + 9 * (level - 1);
}

/* ---- the walk template ---- */

#define SIM_PT_INLINE static inline __attribute__((always_inline))

SIM_PT_INLINE int sim_pt_walk_fault(struct sim_pt_result *res, unsigned int level,
				    enum sim_pt_fault why, int err)
{
	res->fault_level = level;
	res->fault_reason = why;
	return err;
}

/* Apply @u to entry @idx of @table, directly or through the walker's callbacks. */
SIM_PT_INLINE int sim_pt_apply(const struct sim_pt_walker *w, uint64_t table, unsigned int idx,
			       struct sim_pt_update u, bool direct)
{
	if (direct) {
		if (u.set)
			__atomic_fetch_or(&sim_pt_tbl(table)[idx], htole64(u.set),
					  __ATOMIC_RELAXED);
		if (u.clear)
			__atomic_fetch_and(&sim_pt_tbl(table)[idx], htole64(~u.clear),
					   __ATOMIC_RELAXED);
		return 0;
	}
	if (u.set) {
		int r = w->set_bits(w->opaque, table, idx, u.set);

		if (r)
			return r;
	}
	if (u.clear)
		return w->clear_bits ? w->clear_bits(w->opaque, table, idx, u.clear) : -EINVAL;
	return 0;
}

/*
 * The hardware updates of a successful walk, from the top level read down
 * to the leaf at @level: what each entry still lacks (@ents as read).
 */
SIM_PT_INLINE int sim_pt_walk_update(const struct sim_pt_fmt *f, const struct sim_pt_walker *w,
				     struct sim_pt_result *res, uint64_t *ents, unsigned int top,
				     unsigned int level, unsigned int visited, uint64_t iova,
				     unsigned int flags, bool direct)
{
	unsigned int l;

	for (l = top; l >= level; l--) {
		struct sim_pt_update u;
		int r;

		if (!(visited & (1u << l)))
			continue; /* a level the walk skipped */
		u = f->update(ents[l], l == level, flags);

		u.set &= ~ents[l];
		u.clear &= ents[l];
		if (!u.set && !u.clear)
			continue;
		r = sim_pt_apply(w, res->path[l].table, sim_pt_fmt_idx(f, iova, l), u, direct);
		if (r)
			return sim_pt_walk_fault(res, l, SIM_PT_FAULT_READ, r);
		if (l == level)
			res->dirty = f->dirty((ents[l] | u.set) & ~u.clear);
	}
	return 0;
}

/*
 * A table entry at @level that points to level @next, not @level - 1: a
 * skip (AMD v1) goes down, over index bits that must all be zero.
 */
SIM_PT_INLINE enum sim_pt_fault sim_pt_skip_fault(unsigned int level, unsigned int next,
						 uint64_t iova)
{
	if (!next || next >= level)
		return SIM_PT_FAULT_RESERVED_BIT;
	if ((iova >> sim_pt_va_bits(next)) & ((UINT64_C(1) << (9 * (level - 1 - next))) - 1))
		return SIM_PT_FAULT_NOT_PRESENT;
	return SIM_PT_FAULT_NONE;
}

/* The translation of @iova by leaf @e at @level, of 2^@shift bytes, found in @table. */
SIM_PT_INLINE void sim_pt_walk_leaf(const struct sim_pt_fmt *f, struct sim_pt_result *res,
				    uint64_t e, unsigned int level, unsigned int shift,
				    uint32_t perm, uint64_t table, uint64_t iova)
{
	uint64_t size = UINT64_C(1) << shift;

	res->oa = (e & f->addr_mask & ~(size - 1)) | (iova & (size - 1));
	res->page_size = size;
	res->perm = perm;
	res->level = level;
	res->leaf_table = table;
	res->leaf_index = sim_pt_fmt_idx(f, iova, level);
	res->leaf_entry = e;
	res->dirty = f->dirty(e);
}

/*
 * The walk proper. @f is a format's constant ops and @direct a constant in
 * each instance: host-memory tables are read without the callback.
 */
SIM_PT_INLINE int sim_pt_walk_core(const struct sim_pt_fmt *f, const struct sim_pt_walker *w,
				   uint64_t table, unsigned int level, uint32_t perm,
				   uint64_t iova, unsigned int flags, struct sim_pt_result *res,
				   bool direct)
{
	const uint64_t pgsizes = w->pgsize_bitmap ? w->pgsize_bitmap : SIM_PT_ALL_PGSIZES;
	uint64_t hi = 0, ents[SIM_PT_MAX_LEVELS + 1], e;
	unsigned int top = level, need, visited = 0, shift;
	enum sim_pt_fault why;

	if (w->oa_bits > 12 && w->oa_bits < f->oa_bits)
		hi = f->addr_mask & ~((UINT64_C(1) << w->oa_bits) - 1);
	res->reads = 0;
	res->fault_level = 0;
	res->fault_reason = SIM_PT_FAULT_NONE;
	if (iova >> sim_pt_fmt_va_bits(f, w->levels))
		return sim_pt_walk_fault(res, w->levels, SIM_PT_FAULT_ADDRESS, -ENOENT);

	for (;;) {
		unsigned int idx = sim_pt_fmt_idx(f, iova, level), next;
		bool leaf;

		res->path[level].table = table;
		res->path[level].perm = perm;
		if (direct) {
			e = sim_pt_ld(sim_pt_tbl(table), idx);
		} else {
			int r = w->read_entry(w->opaque, table, idx, &e);

			if (r)
				return sim_pt_walk_fault(res, level, SIM_PT_FAULT_READ, r);
		}
		res->reads++;
		ents[level] = e;
		visited |= 1u << level;
		if (!f->present(e, level))
			return sim_pt_walk_fault(res, level, SIM_PT_FAULT_NOT_PRESENT, -ENOENT);
		if (e & hi)
			return sim_pt_walk_fault(res, level, f->oa_fault, -ENOENT);
		leaf = level == 1 || f->huge(e, level);
		perm &= f->perm(e, leaf);
		if (leaf)
			break;
		table = e & f->addr_mask;
		next = f->next_level(e, level);
		why = next == level - 1 ? SIM_PT_FAULT_NONE : sim_pt_skip_fault(level, next, iova);
		if (why != SIM_PT_FAULT_NONE)
			return sim_pt_walk_fault(res, level, why, -ENOENT);
		level = next;
	}
	shift = f->leaf_shift(e, level);
	if (!shift || (level > 1 && f->huge_bad(e, level, pgsizes)))
		return sim_pt_walk_fault(res, level, SIM_PT_FAULT_RESERVED_BIT, -ENOENT);
	sim_pt_walk_leaf(f, res, e, level, shift, perm, table, iova);

	need = flags & SIM_PT_PERM_MASK;
	if (flags & SIM_PT_WALK_NO_WP)
		need &= ~SIM_PT_W;
	if ((perm & need) != need)
		return sim_pt_walk_fault(res, level, SIM_PT_FAULT_PERM, -EACCES);
	if (flags & SIM_PT_WALK_SET_AD)
		return sim_pt_walk_update(f, w, res, ents, top, level, visited, iova, flags,
					  direct);
	why = f->needs_update(e, flags & SIM_PT_PERM_MASK);
	if (why != SIM_PT_FAULT_NONE)
		return sim_pt_walk_fault(res, level, why, why == SIM_PT_FAULT_PERM ? -EACCES : -ENOENT);
	return 0;
}

/* Declare the two walk instances of a format, before its ops table. */
#define SIM_PT_DECLARE_WALKS(prefix)                                                           \
	static int prefix##_walk_direct(const struct sim_pt_walker *w, uint64_t table,         \
					unsigned int level, uint32_t perm, uint64_t iova,      \
					unsigned int flags, struct sim_pt_result *res);        \
	static int prefix##_walk_cb(const struct sim_pt_walker *w, uint64_t table,             \
				    unsigned int level, uint32_t perm, uint64_t iova,          \
				    unsigned int flags, struct sim_pt_result *res)

/* Define them, after ops table @f (its initializer visible, so its calls fold). */
#define SIM_PT_DEFINE_WALKS(prefix, f)                                                          \
	static int prefix##_walk_direct(const struct sim_pt_walker *w, uint64_t table,         \
					unsigned int level, uint32_t perm, uint64_t iova,      \
					unsigned int flags, struct sim_pt_result *res)         \
	{                                                                                      \
		return sim_pt_walk_core(&(f), w, table, level, perm, iova, flags, res, true);  \
	}                                                                                      \
	static int prefix##_walk_cb(const struct sim_pt_walker *w, uint64_t table,             \
				    unsigned int level, uint32_t perm, uint64_t iova,          \
				    unsigned int flags, struct sim_pt_result *res)             \
	{                                                                                      \
		return sim_pt_walk_core(&(f), w, table, level, perm, iova, flags, res, false); \
	}

#endif
