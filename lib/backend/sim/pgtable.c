/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Radix page tables of the simulated IOMMU in the VT-d entry formats (see
 * pgtable.h). The tables hold nothing but the entries: there is no shadow
 * structure, so whatever a walk finds is what the bytes say, and a table
 * page that holds no entry is recognised by scanning it.
 *
 * Format facts, from the Intel VT-d Architecture Specification, chapter 9
 * ("Translation Structure Formats"):
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
 * Both formats: A is set in every entry used by a translation and D in the
 * leaf of a write, when the remapping hardware supports A/D updates.
 */
#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "util/alloc.h"
#include "pgtable.h"

#define ALL_PGSIZES (SIM_PT_SZ_4K | SIM_PT_SZ_2M | SIM_PT_SZ_1G)

struct sim_pt {
	uint64_t *root;
	enum sim_pt_format fmt;
	unsigned int levels;
	uint64_t pgsize_bitmap;
	size_t nr_tables;
};

/* ---- entry access: little-endian, atomic so walks may run concurrently ---- */

static inline uint64_t *tbl_ptr(uint64_t addr)
{
	return (uint64_t *)(uintptr_t)addr;
}

static inline uint64_t ld(const uint64_t *tbl, unsigned int i)
{
	return le64toh(__atomic_load_n(&tbl[i], __ATOMIC_ACQUIRE));
}

/* Release: a new table page's zeroes are visible before the entry is. */
static inline void st(uint64_t *tbl, unsigned int i, uint64_t v)
{
	__atomic_store_n(&tbl[i], htole64(v), __ATOMIC_RELEASE);
}

static inline unsigned int pt_index(uint64_t va, unsigned int level)
{
	return (unsigned int)(va >> (12 + 9 * (level - 1))) & (SIM_PT_ENTRIES - 1);
}

/* ---- format helpers ---- */

static inline bool fmt_valid(enum sim_pt_format fmt)
{
	return fmt == SIM_PT_VTD_SL || fmt == SIM_PT_VTD_FL;
}

static inline uint64_t fmt_present(enum sim_pt_format fmt)
{
	return fmt == SIM_PT_VTD_SL ? SIM_SL_R | SIM_SL_W : SIM_FL_P;
}

static inline uint64_t fmt_a(enum sim_pt_format fmt)
{
	return fmt == SIM_PT_VTD_SL ? SIM_SL_A : SIM_FL_A;
}

static inline uint64_t fmt_d(enum sim_pt_format fmt)
{
	return fmt == SIM_PT_VTD_SL ? SIM_SL_D : SIM_FL_D;
}

/*
 * A leaf, for an entry of one of our own tables (already known valid):
 * every level-1 entry, PS in a level-2/3 entry.
 */
static inline bool is_leaf(uint64_t e, unsigned int level)
{
	return level == 1 || (e & SIM_SL_PS); /* PS is bit 7 in both formats */
}

/* What an entry grants, as SIM_PT_* bits (ANDed over the levels). */
static inline uint32_t entry_perm(enum sim_pt_format fmt, uint64_t e)
{
	if (fmt == SIM_PT_VTD_SL)
		/* no privilege levels in the second stage: U is never refused */
		return (uint32_t)(e & (SIM_SL_R | SIM_SL_W | SIM_SL_X)) | SIM_PT_U;
	return SIM_PT_R | (e & SIM_FL_RW ? SIM_PT_W : 0) |
	       (e & SIM_FL_US ? SIM_PT_U : 0) | (e & SIM_FL_XD ? 0 : SIM_PT_X);
}

/* A table (non-leaf) entry: grants everything, the leaf restricts. */
static inline uint64_t make_table(enum sim_pt_format fmt, const uint64_t *child)
{
	uint64_t a = (uint64_t)(uintptr_t)child;

	if (fmt == SIM_PT_VTD_SL)
		return a | SIM_SL_R | SIM_SL_W | SIM_SL_X;
	return a | SIM_FL_P | SIM_FL_RW | SIM_FL_US;
}

static inline uint64_t make_leaf(enum sim_pt_format fmt, uint64_t oa,
				 unsigned int level, uint32_t perm)
{
	uint64_t e = oa;

	if (level > 1)
		e |= SIM_SL_PS;
	if (fmt == SIM_PT_VTD_SL)
		return e | (perm & (SIM_PT_R | SIM_PT_W | SIM_PT_X));
	e |= SIM_FL_P;
	if (perm & SIM_PT_W)
		e |= SIM_FL_RW;
	if (perm & SIM_PT_U)
		e |= SIM_FL_US;
	if (!(perm & SIM_PT_X))
		e |= SIM_FL_XD;
	return e;
}

/* Whether a mapping with @perm can be expressed in @fmt. */
static bool perm_ok(enum sim_pt_format fmt, uint32_t perm)
{
	if (perm & ~SIM_PT_PERM_MASK)
		return false;
	if (fmt == SIM_PT_VTD_SL)
		return perm & (SIM_PT_R | SIM_PT_W);
	return perm & SIM_PT_R; /* a present first-stage entry is readable */
}

/*
 * The entries of the table that replaces a huge leaf @e of @level: the
 * same attributes, A/D included, over 512 leaves of the next size down.
 * In the first-stage format a 4 KiB leaf keeps PAT at bit 7, a large one
 * at bit 12, so PAT moves when the children are 4 KiB pages.
 */
static void split_fill(enum sim_pt_format fmt, uint64_t *child, uint64_t e,
		       unsigned int level)
{
	uint64_t csize = sim_pt_level_size(level - 1);
	uint64_t base = e & SIM_PT_ADDR_MASK & ~(sim_pt_level_size(level) - 1);
	uint64_t attr = e & ~SIM_PT_ADDR_MASK;
	unsigned int i;

	if (level - 1 == 1) {
		attr &= ~SIM_SL_PS;
		if (fmt == SIM_PT_VTD_FL && (e & SIM_FL_PAT_LARGE))
			attr |= SIM_FL_PS; /* bit 7 = PAT in a PTE */
	} else if (fmt == SIM_PT_VTD_FL && (e & SIM_FL_PAT_LARGE)) {
		attr |= SIM_FL_PAT_LARGE;
	}
	for (i = 0; i < SIM_PT_ENTRIES; i++)
		child[i] = htole64(base + i * csize + attr);
}

/* ---- table pages ---- */

static uint64_t *table_alloc(struct sim_pt *pt)
{
	uint64_t *t = ioasid_aligned_alloc(SIM_PT_TABLE_SIZE, SIM_PT_TABLE_SIZE);

	if (!t)
		return NULL;
	memset(t, 0, SIM_PT_TABLE_SIZE);
	pt->nr_tables++;
	return t;
}

static void table_free(struct sim_pt *pt, uint64_t *t)
{
	ioasid_free(t);
	pt->nr_tables--;
}

static bool table_empty(const uint64_t *t)
{
	unsigned int i;

	for (i = 0; i < SIM_PT_ENTRIES; i++)
		if (t[i])
			return false;
	return true;
}

static void free_tables(struct sim_pt *pt, uint64_t *t, unsigned int level)
{
	unsigned int i;

	if (level > 1) {
		for (i = 0; i < SIM_PT_ENTRIES; i++) {
			uint64_t e = ld(t, i);

			if (e && !is_leaf(e, level))
				free_tables(pt, tbl_ptr(e & SIM_PT_ADDR_MASK), level - 1);
		}
	}
	table_free(pt, t);
}

/* ---- object ---- */

struct sim_pt *sim_pt_new(enum sim_pt_format fmt, unsigned int levels,
			  uint64_t pgsize_bitmap)
{
	struct sim_pt *pt;

	if (!fmt_valid(fmt) || (levels != 4 && levels != 5) ||
	    !(pgsize_bitmap & SIM_PT_SZ_4K) || (pgsize_bitmap & ~ALL_PGSIZES)) {
		errno = EINVAL;
		return NULL;
	}
	pt = ioasid_calloc(1, sizeof(*pt));
	if (!pt)
		goto nomem;
	pt->fmt = fmt;
	pt->levels = levels;
	pt->pgsize_bitmap = pgsize_bitmap;
	pt->root = table_alloc(pt);
	if (!pt->root) {
		ioasid_free(pt);
		goto nomem;
	}
	return pt;
nomem:
	errno = ENOMEM;
	return NULL;
}

void sim_pt_free(struct sim_pt *pt)
{
	if (!pt)
		return;
	free_tables(pt, pt->root, pt->levels);
	ioasid_free(pt);
}

uint64_t sim_pt_root(const struct sim_pt *pt)
{
	return (uint64_t)(uintptr_t)pt->root;
}

enum sim_pt_format sim_pt_format(const struct sim_pt *pt)
{
	return pt->fmt;
}

unsigned int sim_pt_levels(const struct sim_pt *pt)
{
	return pt->levels;
}

uint64_t sim_pt_pgsize_bitmap(const struct sim_pt *pt)
{
	return pt->pgsize_bitmap;
}

size_t sim_pt_table_pages(const struct sim_pt *pt)
{
	return pt->nr_tables;
}

void sim_pt_walker_init(struct sim_pt_walker *w, const struct sim_pt *pt)
{
	memset(w, 0, sizeof(*w));
	w->format = pt->fmt;
	w->levels = pt->levels;
	w->pgsize_bitmap = pt->pgsize_bitmap;
}

/* [va, va + len) is 4 KiB aligned and inside the input width. */
static bool range_ok(const struct sim_pt *pt, uint64_t va, uint64_t len)
{
	uint64_t top = UINT64_C(1) << sim_pt_va_bits(pt->levels);

	return !((va | len) & (SIM_PT_SZ_4K - 1)) && va < top && len <= top - va;
}

/* ---- unmap ---- */

/*
 * Clear every leaf in [va, end) of @tbl at @level; the caller has split
 * the huge leaves at the two edges, so each leaf met lies wholly inside.
 * Child tables left empty are freed: without a scan when the range covered
 * the child's whole span.
 */
static uint64_t clear_range(struct sim_pt *pt, uint64_t *tbl, unsigned int level,
			    uint64_t va, uint64_t end)
{
	uint64_t size = sim_pt_level_size(level), cleared = 0;

	while (va < end) {
		unsigned int idx = pt_index(va, level);
		uint64_t start = va & ~(size - 1), next = start + size;
		uint64_t e = ld(tbl, idx);

		if (!e) {
			va = next;
			continue;
		}
		if (is_leaf(e, level)) {
			assert(va == start && next <= end);
			st(tbl, idx, 0);
			cleared += size;
		} else {
			uint64_t *child = tbl_ptr(e & SIM_PT_ADDR_MASK);
			bool whole = va == start && next <= end;

			cleared += clear_range(pt, child, level - 1, va, next < end ? next : end);
			if (whole || table_empty(child)) {
				st(tbl, idx, 0);
				table_free(pt, child);
			}
		}
		va = next;
	}
	return cleared;
}

struct split_rec {
	uint64_t *tbl;
	unsigned int idx;
	uint64_t old;
	uint64_t *child;
};

/*
 * Make @addr a leaf boundary: split the huge leaf that covers it (and the
 * smaller leaf that then covers it, if still needed), recording each split
 * in @rec so that split_undo can put the old entry back.
 */
static int split_at(struct sim_pt *pt, uint64_t addr, struct split_rec *rec,
		    unsigned int *nrec)
{
	uint64_t *tbl = pt->root;
	unsigned int level = pt->levels;

	for (;;) {
		unsigned int idx = pt_index(addr, level);
		uint64_t e = ld(tbl, idx), *child;

		if (!e)
			return 0;
		if (!is_leaf(e, level)) {
			tbl = tbl_ptr(e & SIM_PT_ADDR_MASK);
			level--;
			continue;
		}
		if (!(addr & (sim_pt_level_size(level) - 1)))
			return 0; /* already on an edge; level 1 always is */
		child = table_alloc(pt);
		if (!child)
			return -ENOMEM;
		split_fill(pt->fmt, child, e, level);
		rec[*nrec] = (struct split_rec){ tbl, idx, e, child };
		(*nrec)++;
		st(tbl, idx, make_table(pt->fmt, child) | (e & fmt_a(pt->fmt)));
		tbl = child;
		level--;
	}
}

static void split_undo(struct sim_pt *pt, struct split_rec *rec, unsigned int n)
{
	while (n--) {
		st(rec[n].tbl, rec[n].idx, rec[n].old);
		table_free(pt, rec[n].child);
	}
}

int sim_pt_unmap(struct sim_pt *pt, uint64_t iova, uint64_t len,
		 uint64_t *ret_unmapped)
{
	/* each edge splits at most 1 GiB -> 2 MiB -> 4 KiB */
	struct split_rec rec[4];
	unsigned int nrec = 0;
	uint64_t end = iova + len, cleared;
	int r;

	if (ret_unmapped)
		*ret_unmapped = 0;
	if (!range_ok(pt, iova, len))
		return -EINVAL;
	if (!len)
		return 0;
	r = split_at(pt, iova, rec, &nrec);
	if (!r && end < (UINT64_C(1) << sim_pt_va_bits(pt->levels)))
		r = split_at(pt, end, rec, &nrec);
	if (r) {
		split_undo(pt, rec, nrec);
		return r;
	}
	cleared = clear_range(pt, pt->root, pt->levels, iova, end);
	if (ret_unmapped)
		*ret_unmapped = cleared;
	return 0;
}

/* ---- map ---- */

/*
 * Map [va, end) of @tbl at @level to va + @delta. *done advances past each
 * leaf written, so that on failure [iova, *done) is exactly what this call
 * added. A child table allocated here and left empty by a failure is
 * removed here, since the caller's roll-back of [iova, *done) may not reach
 * it.
 */
static int map_range(struct sim_pt *pt, uint64_t *tbl, unsigned int level, uint64_t va,
		     uint64_t end, uint64_t delta, uint32_t perm, uint64_t pgsizes, uint64_t *done)
{
	uint64_t size = sim_pt_level_size(level);

	while (va < end) {
		unsigned int idx = pt_index(va, level);
		uint64_t next = (va & ~(size - 1)) + size;
		uint64_t oa = va + delta, e = ld(tbl, idx), *child;
		bool fresh = false;
		int r;

		if (level <= 3 && (pgsizes & size) && !((va | oa) & (size - 1)) && end - va >= size) {
			if (e)
				return -EEXIST;
			st(tbl, idx, make_leaf(pt->fmt, oa, level, perm));
			*done = next;
			va = next;
			continue;
		}
		if (!e) {
			child = table_alloc(pt);
			if (!child)
				return -ENOMEM;
			st(tbl, idx, make_table(pt->fmt, child));
			fresh = true;
		} else if (is_leaf(e, level)) {
			return -EEXIST;
		} else {
			child = tbl_ptr(e & SIM_PT_ADDR_MASK);
		}
		r = map_range(pt, child, level - 1, va, next < end ? next : end, delta, perm,
			      pgsizes, done);
		if (r) {
			if (fresh && table_empty(child)) {
				st(tbl, idx, 0);
				table_free(pt, child);
			}
			return r;
		}
		va = next;
	}
	return 0;
}

int sim_pt_map_sizes(struct sim_pt *pt, uint64_t iova, uint64_t oa, uint64_t len, uint32_t perm,
		     uint64_t pgsizes)
{
	uint64_t done = iova;
	int r;

	if (!len || !range_ok(pt, iova, len) || (oa & (SIM_PT_SZ_4K - 1)) ||
	    !perm_ok(pt->fmt, perm) || !(pgsizes & SIM_PT_SZ_4K))
		return -EINVAL;
	if (oa >> SIM_PT_OA_BITS || len > (UINT64_C(1) << SIM_PT_OA_BITS) - oa)
		return -ERANGE;
	r = map_range(pt, pt->root, pt->levels, iova, iova + len, oa - iova, perm,
		      pgsizes & pt->pgsize_bitmap, &done);
	if (r && done > iova)
		clear_range(pt, pt->root, pt->levels, iova, done);
	return r;
}

int sim_pt_map(struct sim_pt *pt, uint64_t iova, uint64_t oa, uint64_t len, uint32_t perm)
{
	return sim_pt_map_sizes(pt, iova, oa, len, perm, pt->pgsize_bitmap);
}

/* ---- dirty bits ---- */

struct dirty_ctx {
	uint64_t iova;       /* address of bit 0 */
	unsigned int shift;  /* log2 of the granule */
	uint64_t *bitmap;
	bool clear;
	uint64_t d;          /* the format's D bit */
};

static void bitmap_set_range(uint64_t *bm, uint64_t first, uint64_t last)
{
	while (first <= last) {
		unsigned int b = first & 63;
		uint64_t n = last - first + 1;
		uint64_t cnt = n < 64 - b ? n : 64 - b;

		bm[first >> 6] |= (cnt == 64 ? ~UINT64_C(0) : ((UINT64_C(1) << cnt) - 1)) << b;
		first += cnt;
	}
}

static void dirty_range(struct sim_pt *pt, uint64_t *tbl, unsigned int level,
			uint64_t va, uint64_t end, const struct dirty_ctx *c)
{
	uint64_t size = sim_pt_level_size(level);

	while (va < end) {
		unsigned int idx = pt_index(va, level);
		uint64_t start = va & ~(size - 1), next = start + size;
		uint64_t hi = next < end ? next : end;
		uint64_t e = ld(tbl, idx);

		if (e && !is_leaf(e, level)) {
			dirty_range(pt, tbl_ptr(e & SIM_PT_ADDR_MASK), level - 1, va, hi, c);
		} else if (e & c->d) {
			bitmap_set_range(c->bitmap, (va - c->iova) >> c->shift,
					 (hi - 1 - c->iova) >> c->shift);
			/*
			 * A leaf reaching outside the range keeps its D bit: it
			 * also stands for pages the caller did not ask about,
			 * and reporting the inside again later is harmless
			 * while losing the outside would not be.
			 */
			if (c->clear && va == start && next <= end)
				__atomic_fetch_and(&tbl[idx], htole64(~c->d), __ATOMIC_RELAXED);
		}
		va = next;
	}
}

int sim_pt_dirty_read(struct sim_pt *pt, uint64_t iova, uint64_t len,
		      uint64_t page_size, uint64_t *bitmap, bool clear)
{
	struct dirty_ctx c;
	uint64_t top = UINT64_C(1) << sim_pt_va_bits(pt->levels);

	if (!page_size || (page_size & (page_size - 1)) ||
	    ((iova | len) & (page_size - 1)) || iova > top || len > top - iova)
		return -EINVAL;
	if (!len)
		return 0;
	c.iova = iova;
	c.shift = (unsigned int)__builtin_ctzll(page_size);
	c.bitmap = bitmap;
	c.clear = clear;
	c.d = fmt_d(pt->fmt);
	dirty_range(pt, pt->root, pt->levels, iova, iova + len, &c);
	return 0;
}

/* ---- walk ---- */

static inline int walk_fault(struct sim_pt_result *res, unsigned int level,
			     enum sim_pt_fault why, int err)
{
	res->fault_level = level;
	res->fault_reason = why;
	return err;
}

/*
 * A PS entry above level 1 is a leaf only where the hardware has that page
 * size; the address bits below the page size are reserved (the large PAT
 * bit of the first stage aside).
 */
static inline __attribute__((always_inline)) bool large_leaf_bad(enum sim_pt_format fmt, uint64_t e,
								 unsigned int level,
								 uint64_t pgsizes)
{
	uint64_t size = sim_pt_level_size(level), low;

	if (level > 3 || !(pgsizes & size))
		return true;
	low = (size - 1) & SIM_PT_ADDR_MASK;
	if (fmt == SIM_PT_VTD_FL)
		low &= ~SIM_FL_PAT_LARGE;
	return (e & low) != 0;
}

/* The translation of @iova by leaf @e at @level, found in @table. */
static inline __attribute__((always_inline)) void walk_result(struct sim_pt_result *res, uint64_t e,
							      unsigned int level, uint32_t perm,
							      uint64_t table, uint64_t iova)
{
	uint64_t size = sim_pt_level_size(level);

	res->oa = (e & SIM_PT_ADDR_MASK & ~(size - 1)) | (iova & (size - 1));
	res->page_size = size;
	res->perm = perm;
	res->level = level;
	res->leaf_table = table;
	res->leaf_index = pt_index(iova, level);
	res->leaf_entry = e;
}

/*
 * Set A in every entry the walk read from @top down to the leaf at
 * @level, and D in the leaf for a write, where not set yet (@ents).
 */
static inline __attribute__((always_inline)) int walk_set_ad(const struct sim_pt_walker *w,
							     struct sim_pt_result *res,
							     const uint64_t *ents, unsigned int top,
							     unsigned int level, uint64_t iova,
							     unsigned int flags, bool direct)
{
	uint64_t a = fmt_a(w->format);
	unsigned int l;

	if (w->format == SIM_PT_VTD_FL && (flags & SIM_PT_WALK_SET_EA))
		a |= SIM_FL_EA;
	for (l = top; l >= level; l--) {
		uint64_t bits = a;

		if (l == level && (flags & SIM_PT_W))
			bits |= fmt_d(w->format);
		bits &= ~ents[l];
		if (!bits)
			continue;
		if (direct) {
			__atomic_fetch_or(&tbl_ptr(res->path[l].table)[pt_index(iova, l)],
					  htole64(bits), __ATOMIC_RELAXED);
		} else {
			int r = w->set_bits(w->opaque, res->path[l].table, pt_index(iova, l), bits);

			if (r)
				return walk_fault(res, l, SIM_PT_FAULT_READ, r);
		}
	}
	return 0;
}

/*
 * The walk proper; @direct (a constant in each caller) reads host memory
 * without the callback, which keeps the common stage-2 walk free of
 * indirect calls.
 */
static inline __attribute__((always_inline)) int
walk_core(const struct sim_pt_walker *w, uint64_t table, unsigned int level,
	  uint32_t perm, uint64_t iova, unsigned int flags,
	  struct sim_pt_result *res, bool direct)
{
	const enum sim_pt_format fmt = w->format;
	const uint64_t present = fmt_present(fmt);
	const uint64_t pgsizes = w->pgsize_bitmap ? w->pgsize_bitmap : ALL_PGSIZES;
	uint64_t hi_rsvd = 0, ents[SIM_PT_MAX_LEVELS + 1], e;
	unsigned int top = level, need;

	if (w->oa_bits > 12 && w->oa_bits < SIM_PT_OA_BITS)
		hi_rsvd = SIM_PT_ADDR_MASK & ~((UINT64_C(1) << w->oa_bits) - 1);
	res->reads = 0;
	res->fault_level = 0;
	res->fault_reason = SIM_PT_FAULT_NONE;
	if (iova >> sim_pt_va_bits(w->levels))
		return walk_fault(res, w->levels, SIM_PT_FAULT_ADDRESS, -ENOENT);

	for (;;) {
		unsigned int idx = pt_index(iova, level);

		res->path[level].table = table;
		res->path[level].perm = perm;
		if (direct) {
			e = ld(tbl_ptr(table), idx);
		} else {
			int r = w->read_entry(w->opaque, table, idx, &e);

			if (r)
				return walk_fault(res, level, SIM_PT_FAULT_READ, r);
		}
		res->reads++;
		ents[level] = e;
		if (!(e & present))
			return walk_fault(res, level, SIM_PT_FAULT_NOT_PRESENT, -ENOENT);
		if (e & hi_rsvd)
			return walk_fault(res, level, SIM_PT_FAULT_RESERVED_BIT, -ENOENT);
		perm &= entry_perm(fmt, e);
		if (level == 1)
			break;
		if (e & SIM_SL_PS) { /* bit 7 = PS in both formats above level 1 */
			if (large_leaf_bad(fmt, e, level, pgsizes))
				return walk_fault(res, level, SIM_PT_FAULT_RESERVED_BIT, -ENOENT);
			break;
		}
		table = e & SIM_PT_ADDR_MASK;
		level--;
	}
	walk_result(res, e, level, perm, table, iova);

	need = flags & SIM_PT_PERM_MASK;
	if (flags & SIM_PT_WALK_NO_WP)
		need &= ~SIM_PT_W;
	if ((perm & need) != need)
		return walk_fault(res, level, SIM_PT_FAULT_PERM, -EACCES);
	if (flags & SIM_PT_WALK_SET_AD)
		return walk_set_ad(w, res, ents, top, level, iova, flags, direct);
	return 0;
}

static int walk_check(const struct sim_pt_walker *w, unsigned int level,
		      unsigned int flags)
{
	if (!fmt_valid(w->format) || (w->levels != 4 && w->levels != 5) || level < 1 ||
	    level > w->levels ||
	    (flags &
	     ~(SIM_PT_PERM_MASK | SIM_PT_WALK_SET_AD | SIM_PT_WALK_SET_EA | SIM_PT_WALK_NO_WP)) ||
	    (w->read_entry && (flags & SIM_PT_WALK_SET_AD) && !w->set_bits))
		return -EINVAL;
	return 0;
}

int sim_pt_walk_from(const struct sim_pt_walker *w, uint64_t table,
		     unsigned int level, uint32_t perm, uint64_t iova,
		     unsigned int flags, struct sim_pt_result *res)
{
	int r = walk_check(w, level, flags);

	if (r)
		return r;
	if (!w->read_entry)
		return walk_core(w, table, level, perm, iova, flags, res, true);
	return walk_core(w, table, level, perm, iova, flags, res, false);
}

int sim_pt_walk(const struct sim_pt_walker *w, uint64_t root, uint64_t iova,
		unsigned int flags, struct sim_pt_result *res)
{
	return sim_pt_walk_from(w, root, w->levels, SIM_PT_PERM_MASK, iova, flags, res);
}
