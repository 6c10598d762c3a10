/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Radix page tables of the simulated IOMMU (see pgtable.h): the part every
 * format shares, driven by the format's ops (pgtable-fmt.h) — table pages,
 * map, unmap with splits, dirty harvest, and the walk's entry point. The
 * tables hold nothing but the entries: there is no shadow structure, so
 * whatever a walk finds is what the bytes say, and a table page that holds
 * no entry is recognised by scanning it.
 */
#include <assert.h>
#include <string.h>

#include "util/alloc.h"
#include "pgtable-fmt.h"

struct sim_pt {
	uint64_t *root;
	const struct sim_pt_fmt *f;
	unsigned int levels;
	unsigned int nflags; /* SIM_PT_NEW_* */
	uint64_t pgsize_bitmap;
	size_t nr_tables;
	/*
	 * Zeroed table pages that an unmap emptied, kept for the next map:
	 * a fault round trip maps and unmaps one page, and would otherwise
	 * free and allocate (and zero) a table at every level each time.
	 */
	uint64_t *spare[SIM_PT_MAX_LEVELS];
	unsigned int nr_spare;
	bool keep_spares; /* set by sim_pt_unmap(): a map's roll-back frees */
};

static const struct sim_pt_fmt *const formats[SIM_PT_NR_FORMATS] = {
	[SIM_PT_VTD_SL] = &sim_pt_fmt_vtd_sl,         [SIM_PT_VTD_FL] = &sim_pt_fmt_vtd_fl,
	[SIM_PT_ARM_S1] = &sim_pt_fmt_arm_s1,         [SIM_PT_ARM_S2] = &sim_pt_fmt_arm_s2,
	[SIM_PT_AMD_V1] = &sim_pt_fmt_amd_v1,         [SIM_PT_AMD_V2] = &sim_pt_fmt_amd_v2,
	[SIM_PT_ARM_S1_16K] = &sim_pt_fmt_arm_s1_16k, [SIM_PT_ARM_S1_64K] = &sim_pt_fmt_arm_s1_64k,
	[SIM_PT_ARM_S2_16K] = &sim_pt_fmt_arm_s2_16k, [SIM_PT_ARM_S2_64K] = &sim_pt_fmt_arm_s2_64k,
};

const struct sim_pt_fmt *sim_pt_fmt_of(enum sim_pt_format fmt)
{
	return (unsigned int)fmt < SIM_PT_NR_FORMATS ? formats[fmt] : NULL;
}

unsigned int sim_pt_dirty_flags(enum sim_pt_format fmt)
{
	const struct sim_pt_fmt *f = sim_pt_fmt_of(fmt);

	return f ? f->dirty_nflags : 0;
}

unsigned int sim_pt_pg_shift(enum sim_pt_format fmt)
{
	const struct sim_pt_fmt *f = sim_pt_fmt_of(fmt);

	return f ? sim_pt_fmt_pg_shift(f) : 0;
}

uint64_t sim_pt_fmt_pgsize_bitmap(enum sim_pt_format fmt)
{
	const struct sim_pt_fmt *f = sim_pt_fmt_of(fmt);

	return f ? sim_pt_fmt_pgsizes(f) : 0;
}

const char *sim_pt_format_name(enum sim_pt_format fmt)
{
	const struct sim_pt_fmt *f = sim_pt_fmt_of(fmt);

	return f ? f->name : "?";
}

/* A leaf of one of our own tables (already known valid). */
static inline bool is_leaf(const struct sim_pt_fmt *f, uint64_t e, unsigned int level)
{
	return level == 1 || f->huge(e, level);
}

/* The entries of the table that replaces huge leaf @e of @level. */
static void split_fill(const struct sim_pt_fmt *f, uint64_t *child, uint64_t e,
		       unsigned int level)
{
	uint64_t csize = sim_pt_fmt_size(f, level - 1);
	uint64_t base = e & f->addr_mask & ~(sim_pt_fmt_size(f, level) - 1);
	uint64_t attr = f->split_attr(e, level);
	unsigned int i, n = sim_pt_fmt_entries(f);

	for (i = 0; i < n; i++)
		child[i] = htole64(base + i * csize + attr);
}

/* ---- table pages ---- */

/* A table page is one granule, aligned to it. */
static uint64_t *table_alloc(struct sim_pt *pt)
{
	const size_t sz = (size_t)1 << sim_pt_fmt_pg_shift(pt->f);
	uint64_t *t;

	if (pt->nr_spare) {
		t = pt->spare[--pt->nr_spare];
	} else {
		t = ioasid_aligned_alloc(sz, sz);
		if (!t)
			return NULL;
		memset(t, 0, sz);
	}
	pt->nr_tables++;
	return t;
}

static void table_free(struct sim_pt *pt, uint64_t *t)
{
	ioasid_free(t);
	pt->nr_tables--;
}

/* A table page known to be all zeroes leaves the table: kept as a spare. */
static void table_free_zeroed(struct sim_pt *pt, uint64_t *t)
{
	if (pt->keep_spares && pt->nr_spare < SIM_PT_MAX_LEVELS) {
		pt->spare[pt->nr_spare++] = t;
		pt->nr_tables--;
	} else {
		table_free(pt, t);
	}
}

/* An OR of each cache line's entries: no early exit per entry, so it vectorizes. */
static bool table_empty(const struct sim_pt_fmt *f, const uint64_t *t)
{
	unsigned int i, j, n = sim_pt_fmt_entries(f);

	for (i = 0; i < n; i += 8) {
		uint64_t any = 0;

		for (j = 0; j < 8; j++)
			any |= t[i + j];
		if (any)
			return false;
	}
	return true;
}

static void free_tables(struct sim_pt *pt, uint64_t *t, unsigned int level)
{
	unsigned int i;

	if (level > 1) {
		for (i = 0; i < sim_pt_fmt_entries(pt->f); i++) {
			uint64_t e = sim_pt_ld(t, i);

			if (e && !is_leaf(pt->f, e, level))
				free_tables(pt, sim_pt_tbl(e & pt->f->addr_mask), level - 1);
		}
	}
	table_free(pt, t);
}

/* ---- object ---- */

struct sim_pt *sim_pt_new_flags(enum sim_pt_format fmt, unsigned int levels,
				uint64_t pgsize_bitmap, unsigned int flags)
{
	const struct sim_pt_fmt *f = sim_pt_fmt_of(fmt);
	struct sim_pt *pt;

	if (!f || levels > SIM_PT_MAX_LEVELS || !(f->levels_ok & (1u << levels)) ||
	    !(pgsize_bitmap & sim_pt_fmt_size(f, 1)) || (pgsize_bitmap & ~sim_pt_fmt_pgsizes(f)) ||
	    (flags & ~f->dirty_nflags)) {
		errno = EINVAL;
		return NULL;
	}
	pt = ioasid_calloc(1, sizeof(*pt));
	if (!pt)
		goto nomem;
	pt->f = f;
	pt->nflags = flags;
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

unsigned int sim_pt_levels_for(enum sim_pt_format fmt, unsigned int in_bits)
{
	const struct sim_pt_fmt *f = sim_pt_fmt_of(fmt);
	unsigned int l, widest = 0;

	for (l = 1; f && l <= SIM_PT_MAX_LEVELS; l++) {
		if (!(f->levels_ok & (1u << l)))
			continue;
		widest = l;
		if (sim_pt_fmt_va_bits(f, l) >= in_bits)
			return l;
	}
	return widest;
}

struct sim_pt *sim_pt_new(enum sim_pt_format fmt, unsigned int levels, uint64_t pgsize_bitmap)
{
	return sim_pt_new_flags(fmt, levels, pgsize_bitmap, 0);
}

void sim_pt_free(struct sim_pt *pt)
{
	if (!pt)
		return;
	free_tables(pt, pt->root, pt->levels);
	while (pt->nr_spare)
		ioasid_free(pt->spare[--pt->nr_spare]);
	ioasid_free(pt);
}

uint64_t sim_pt_root(const struct sim_pt *pt)
{
	return (uint64_t)(uintptr_t)pt->root;
}

enum sim_pt_format sim_pt_format(const struct sim_pt *pt)
{
	return pt->f->id;
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
	w->format = pt->f->id;
	w->levels = pt->levels;
	w->pgsize_bitmap = pt->pgsize_bitmap;
}

/* [va, va + len) is aligned to the granule and inside the input width. */
static bool range_ok(const struct sim_pt *pt, uint64_t va, uint64_t len)
{
	uint64_t top = UINT64_C(1) << sim_pt_fmt_va_bits(pt->f, pt->levels);

	return !((va | len) & (sim_pt_fmt_size(pt->f, 1) - 1)) && va < top && len <= top - va;
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
	uint64_t size = sim_pt_fmt_size(pt->f, level), cleared = 0;

	while (va < end) {
		unsigned int idx = sim_pt_fmt_idx(pt->f, va, level);
		uint64_t start = va & ~(size - 1), next = start + size;
		uint64_t e = sim_pt_ld(tbl, idx);

		if (!e) {
			va = next;
			continue;
		}
		if (is_leaf(pt->f, e, level)) {
			assert(va == start && next <= end);
			sim_pt_st(tbl, idx, 0);
			cleared += size;
		} else {
			uint64_t *child = sim_pt_tbl(e & pt->f->addr_mask);
			bool whole = va == start && next <= end;

			cleared += clear_range(pt, child, level - 1, va, next < end ? next : end);
			/* whole: every entry of it was just cleared */
			if (whole || table_empty(pt->f, child)) {
				sim_pt_st(tbl, idx, 0);
				table_free_zeroed(pt, child);
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
		unsigned int idx = sim_pt_fmt_idx(pt->f, addr, level);
		uint64_t e = sim_pt_ld(tbl, idx), *child;

		if (!e)
			return 0;
		if (!is_leaf(pt->f, e, level)) {
			tbl = sim_pt_tbl(e & pt->f->addr_mask);
			level--;
			continue;
		}
		if (!(addr & (sim_pt_fmt_size(pt->f, level) - 1)))
			return 0; /* already on an edge; level 1 always is */
		child = table_alloc(pt);
		if (!child)
			return -ENOMEM;
		split_fill(pt->f, child, e, level);
		rec[*nrec] = (struct split_rec){ tbl, idx, e, child };
		(*nrec)++;
		sim_pt_st(tbl, idx, pt->f->make_table((uint64_t)(uintptr_t)child, level) |
				     (e & pt->f->split_keep));
		tbl = child;
		level--;
	}
}

static void split_undo(struct sim_pt *pt, struct split_rec *rec, unsigned int n)
{
	while (n--) {
		sim_pt_st(rec[n].tbl, rec[n].idx, rec[n].old);
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
	if (!r && end < (UINT64_C(1) << sim_pt_fmt_va_bits(pt->f, pt->levels)))
		r = split_at(pt, end, rec, &nrec);
	if (r) {
		split_undo(pt, rec, nrec);
		return r;
	}
	pt->keep_spares = true;
	cleared = clear_range(pt, pt->root, pt->levels, iova, end);
	pt->keep_spares = false;
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
	uint64_t size = sim_pt_fmt_size(pt->f, level);

	while (va < end) {
		unsigned int idx = sim_pt_fmt_idx(pt->f, va, level);
		uint64_t next = (va & ~(size - 1)) + size;
		uint64_t oa = va + delta, e = sim_pt_ld(tbl, idx), *child;
		bool fresh = false;
		int r;

		if (level <= 3 && (pgsizes & size) && !((va | oa) & (size - 1)) && end - va >= size) {
			if (e)
				return -EEXIST;
			sim_pt_st(tbl, idx, pt->f->make_leaf(oa, level, perm, pt->nflags));
			*done = next;
			va = next;
			continue;
		}
		if (!e) {
			child = table_alloc(pt);
			if (!child)
				return -ENOMEM;
			sim_pt_st(tbl, idx, pt->f->make_table((uint64_t)(uintptr_t)child, level));
			fresh = true;
		} else if (is_leaf(pt->f, e, level)) {
			return -EEXIST;
		} else {
			child = sim_pt_tbl(e & pt->f->addr_mask);
		}
		r = map_range(pt, child, level - 1, va, next < end ? next : end, delta, perm,
			      pgsizes, done);
		if (r) {
			if (fresh && table_empty(pt->f, child)) {
				sim_pt_st(tbl, idx, 0);
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

	const uint64_t base = sim_pt_fmt_size(pt->f, 1);

	if (!len || !range_ok(pt, iova, len) || (oa & (base - 1)) || !pt->f->perm_ok(perm) ||
	    !(pgsizes & base))
		return -EINVAL;
	if (oa >> pt->f->oa_bits || len > (UINT64_C(1) << pt->f->oa_bits) - oa)
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
	const struct sim_pt_fmt *f;
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
	uint64_t size = sim_pt_fmt_size(c->f, level);

	while (va < end) {
		unsigned int idx = sim_pt_fmt_idx(c->f, va, level);
		uint64_t start = va & ~(size - 1), next = start + size;
		uint64_t hi = next < end ? next : end;
		uint64_t e = sim_pt_ld(tbl, idx);

		if (e && !is_leaf(c->f, e, level)) {
			dirty_range(pt, sim_pt_tbl(e & c->f->addr_mask), level - 1, va, hi, c);
		} else if (e && c->f->dirty(e)) {
			bitmap_set_range(c->bitmap, (va - c->iova) >> c->shift,
					 (hi - 1 - c->iova) >> c->shift);
			/*
			 * A leaf reaching outside the range keeps its D bit: it
			 * also stands for pages the caller did not ask about,
			 * and reporting the inside again later is harmless
			 * while losing the outside would not be.
			 */
			if (c->clear && va == start && next <= end) {
				if (c->f->clean_clear)
					__atomic_fetch_and(&tbl[idx], htole64(~c->f->clean_clear),
							   __ATOMIC_RELAXED);
				if (c->f->clean_set)
					__atomic_fetch_or(&tbl[idx], htole64(c->f->clean_set),
							  __ATOMIC_RELAXED);
			}
		}
		va = next;
	}
}

int sim_pt_dirty_read(struct sim_pt *pt, uint64_t iova, uint64_t len,
		      uint64_t page_size, uint64_t *bitmap, bool clear)
{
	struct dirty_ctx c;
	uint64_t top = UINT64_C(1) << sim_pt_fmt_va_bits(pt->f, pt->levels);

	if (!page_size || (page_size & (page_size - 1)) ||
	    ((iova | len) & (page_size - 1)) || iova > top || len > top - iova)
		return -EINVAL;
	if (!len)
		return 0;
	c.iova = iova;
	c.shift = (unsigned int)__builtin_ctzll(page_size);
	c.bitmap = bitmap;
	c.clear = clear;
	c.f = pt->f;
	dirty_range(pt, pt->root, pt->levels, iova, iova + len, &c);
	return 0;
}

/* ---- walk: the format's instance of sim_pt_walk_core() ---- */

static int walk_check(const struct sim_pt_fmt *f, const struct sim_pt_walker *w,
		      unsigned int level, unsigned int flags)
{
	if (!f || w->levels > SIM_PT_MAX_LEVELS || !(f->levels_ok & (1u << w->levels)) ||
	    level < 1 || level > w->levels ||
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
	const struct sim_pt_fmt *f = sim_pt_fmt_of(w->format);
	int r = walk_check(f, w, level, flags);

	if (r)
		return r;
	if (!w->read_entry)
		return f->walk_direct(w, table, level, perm, iova, flags, res);
	return f->walk_cb(w, table, level, perm, iova, flags, res);
}

int sim_pt_walk(const struct sim_pt_walker *w, uint64_t root, uint64_t iova,
		unsigned int flags, struct sim_pt_result *res)
{
	return sim_pt_walk_from(w, root, w->levels, SIM_PT_PERM_MASK, iova, flags, res);
}
