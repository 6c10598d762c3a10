/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pasid-alloc: a hierarchical bitmap of free PASIDs with the owners kept
 * beside it (see pasid-alloc.h for the contract and the costs).
 *
 * Layout. The space is cut into chunks of 256 PASIDs. A chunk is one
 * 64-byte cache line: four 64-bit words of free bits (1 = free) and the
 * record of who holds the chunk's PASIDs. Above the chunks sit two fixed
 * summary levels, one bit per chunk ("has a free PASID") in up to 64
 * words, and one word with a bit per word of that. A 20-bit space has 4096
 * chunks, so two summary levels always suffice and every walk is straight
 * code: look in the chunk of the start, else one summary word, else the
 * top word, then back down with one ctz per level.
 *
 * Why this shape: a VMM that recycles PASIDs frees one at random and asks
 * for the lowest free one, in a space that may be nearly full. The
 * summaries (1 KiB for 20 bits) stay in cache; each operation then touches
 * one chunk line for both the free bit and the owner check, instead of a
 * bitmap word and an owner table entry in two different places.
 *
 * A second pair of summaries says which chunks hold an allocated PASID,
 * for pasid_space_next(); it only changes when a chunk's count goes from 0
 * to 1 or back, so it costs nothing on the common path.
 *
 * PASID 0, and for widths below 8 the PASIDs past the end of the only
 * chunk, are never free in the bitmap and never count as allocated:
 * chunk0_valid masks them.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "alloc.h"
#include "pasid-alloc.h"

#define CHUNK_SHIFT 8
#define CHUNK_SIZE (1U << CHUNK_SHIFT)
#define CHUNK_MASK (CHUNK_SIZE - 1)
#define CHUNK_WORDS (CHUNK_SIZE / 64)
#define LINE 64

/* Chunk summary words: one word of bits over them must suffice. */
#define MAX_SUM_WORDS ((1U << (PASID_SPACE_MAX_WIDTH - CHUNK_SHIFT)) / 64)
_Static_assert(MAX_SUM_WORDS <= 64, "two summary levels must cover the space");

#define NONE UINT32_MAX /* nothing found; above every PASID */

/*
 * PASIDs [256 c, 256 c + 255]: their free bits and who holds them. While
 * they all have one owner (one VM per space is the common case) that owner
 * is kept once, in @sole, and the bitmap says which PASIDs it holds: no
 * memory per PASID. The first PASID of a second owner gives the chunk a
 * table of 256 owners (1 KiB), kept until the chunk is empty again.
 */
struct chunk {
	uint64_t free[CHUNK_WORDS]; /* 1 = free */
	uint32_t used;              /* allocated PASIDs in the chunk */
	uint32_t sole;              /* their owner while owners is NULL */
	uint32_t *owners;           /* [CHUNK_SIZE], 0 = free; or NULL */
} __attribute__((aligned(LINE)));

/* A two-level summary over the chunks: bit c of l1 = chunk c qualifies. */
struct summary {
	uint64_t *l1; /* [sum_words] */
	uint64_t l2;  /* bit w = l1[w] != 0 */
};

struct pasid_space {
	unsigned int width;
	uint32_t nbits;     /* 2^width, PASID 0 included */
	uint32_t nchunks;
	uint32_t sum_words; /* words of each l1, 1..64 */
	uint32_t count;     /* allocated PASIDs */
	uint32_t tables;    /* owner tables allocated, the spare included */
	struct summary has_free, has_used;
	uint64_t chunk0_valid[CHUNK_WORDS]; /* PASIDs of chunk 0 that exist */
	struct chunk *chunks;               /* [nchunks], line-aligned */
	uint32_t *spare;                    /* an all-zero owner table */
	size_t block_bytes;                 /* this struct and its storage */
	uint64_t storage[];                 /* the two l1s, then chunks[] */
};

static inline uint64_t bit(uint32_t i)
{
	return 1ULL << (i & 63);
}

static inline void sum_set(struct summary *s, uint32_t c)
{
	uint64_t was = s->l1[c >> 6];

	s->l1[c >> 6] = was | bit(c);
	if (!was)
		s->l2 |= bit(c >> 6);
}

static inline void sum_clear(struct summary *s, uint32_t c)
{
	s->l1[c >> 6] &= ~bit(c);
	if (!s->l1[c >> 6])
		s->l2 &= ~bit(c >> 6);
}

/* The first chunk >= @c whose bit is set in @s, or NONE. */
static inline uint32_t sum_find(const struct pasid_space *ps,
				const struct summary *s, uint32_t c)
{
	uint32_t w = c >> 6;
	uint64_t x;

	if (c >= ps->nchunks)
		return NONE;
	x = s->l1[w] & (~0ULL << (c & 63));
	if (!x) {
		/* the rest of l1[w] is empty: the next candidate word is w + 1 */
		if (++w >= ps->sum_words)
			return NONE;
		x = s->l2 & (~0ULL << w);
		if (!x)
			return NONE;
		w = (uint32_t)__builtin_ctzll(x);
		x = s->l1[w];
	}
	return w << 6 | (uint32_t)__builtin_ctzll(x);
}

/* The first set bit >= @from (0..255) of the four words @x, or NONE. */
static inline uint32_t words_find(const uint64_t *x, uint32_t from)
{
	uint32_t k = from >> 6;
	uint64_t m = x[k] & (~0ULL << (from & 63));

	while (!m) {
		if (++k == CHUNK_WORDS)
			return NONE;
		m = x[k];
	}
	return k << 6 | (uint32_t)__builtin_ctzll(m);
}

/* The allocated bits of chunk @c, in @x. */
static inline void chunk_used(const struct pasid_space *ps, uint32_t c,
			      uint64_t *x)
{
	const struct chunk *ch = &ps->chunks[c];
	unsigned int k;

	for (k = 0; k < CHUNK_WORDS; k++)
		x[k] = ~ch->free[k] & (c ? ~0ULL : ps->chunk0_valid[k]);
}

static inline bool chunk_full(const struct chunk *ch)
{
	return !(ch->free[0] | ch->free[1] | ch->free[2] | ch->free[3]);
}

static inline bool is_free(const struct chunk *ch, uint32_t pasid)
{
	return ch->free[(pasid >> 6) % CHUNK_WORDS] & bit(pasid);
}

/* Owner of @pasid (< nbits) in its chunk @ch, 0 when free. */
static inline uint32_t owner_in(const struct chunk *ch, uint32_t pasid)
{
	if (ch->owners)
		return ch->owners[pasid & CHUNK_MASK];
	/* PASID 0 is never free in the bitmap, and never allocated */
	return !pasid || is_free(ch, pasid) ? 0 : ch->sole;
}

struct pasid_space *pasid_space_new(unsigned int width)
{
	struct pasid_space *ps;
	uint32_t nbits, nchunks, sum_words, c, k;
	uintptr_t at;
	size_t bytes;

	if (width > PASID_SPACE_MAX_WIDTH)
		return NULL;
	nbits = UINT32_C(1) << width;
	nchunks = (nbits + CHUNK_MASK) >> CHUNK_SHIFT;
	sum_words = (nchunks + 63) / 64;

	/* room to move chunks[] up to a cache-line boundary */
	bytes = sizeof(*ps) + 2 * sum_words * sizeof(uint64_t) + LINE +
		nchunks * sizeof(struct chunk);
	ps = ioasid_calloc(1, bytes);
	if (!ps)
		return NULL;
	ps->width = width;
	ps->nbits = nbits;
	ps->nchunks = nchunks;
	ps->sum_words = sum_words;
	ps->block_bytes = bytes;
	ps->has_free.l1 = ps->storage;
	ps->has_used.l1 = ps->storage + sum_words;
	at = (uintptr_t)(ps->storage + 2 * sum_words);
	ps->chunks = (struct chunk *)((at + LINE - 1) & ~(uintptr_t)(LINE - 1));

	for (k = 0; k < CHUNK_WORDS; k++) {
		uint32_t lo = k * 64;

		if (lo >= nbits)
			ps->chunk0_valid[k] = 0;
		else if (nbits - lo >= 64)
			ps->chunk0_valid[k] = ~0ULL;
		else
			ps->chunk0_valid[k] = (1ULL << (nbits - lo)) - 1;
	}
	ps->chunk0_valid[0] &= ~1ULL;

	/* Everything free but PASID 0 (and whatever a short space lacks). */
	for (c = 0; c < nchunks; c++) {
		for (k = 0; k < CHUNK_WORDS; k++)
			ps->chunks[c].free[k] = c ? ~0ULL : ps->chunk0_valid[k];
		if (!chunk_full(&ps->chunks[c]))
			sum_set(&ps->has_free, c);
	}
	return ps;
}

void pasid_space_free(struct pasid_space *ps)
{
	uint32_t c;

	if (!ps)
		return;
	for (c = 0; c < ps->nchunks; c++)
		ioasid_free(ps->chunks[c].owners);
	ioasid_free(ps->spare);
	ioasid_free(ps);
}

unsigned int pasid_space_width(const struct pasid_space *ps)
{
	return ps->width;
}

uint32_t pasid_space_count(const struct pasid_space *ps)
{
	return ps->count;
}

size_t pasid_space_heap_bytes(const struct pasid_space *ps)
{
	return ps->block_bytes + ps->tables * CHUNK_SIZE * sizeof(uint32_t);
}

/*
 * Chunk @c gets a second owner: give it a table of owners, filled with
 * the sole one. Return: 0, or -ENOMEM with nothing changed. Out of line:
 * rare, and it would cost the hot path registers.
 */
static __attribute__((noinline, cold)) int chunk_split(struct pasid_space *ps,
						       uint32_t c)
{
	struct chunk *ch = &ps->chunks[c];
	uint64_t x[CHUNK_WORDS];
	uint32_t *t = ps->spare, k;

	if (t) {
		ps->spare = NULL;
	} else {
		t = ioasid_calloc(CHUNK_SIZE, sizeof(*t));
		if (!t)
			return -ENOMEM;
		ps->tables++;
	}
	chunk_used(ps, c, x);
	for (k = 0; k < CHUNK_WORDS; k++)
		for (; x[k]; x[k] &= x[k] - 1)
			t[k << 6 | (uint32_t)__builtin_ctzll(x[k])] = ch->sole;
	ch->owners = t;
	return 0;
}

int pasid_space_alloc(struct pasid_space *ps, uint32_t min, uint32_t max,
		      uint32_t owner, uint32_t *out)
{
	struct chunk *ch;
	uint32_t p, c, i;

	if (!owner || !min || min > max || max >= ps->nbits)
		return -EINVAL;
	c = min >> CHUNK_SHIFT;
	ch = &ps->chunks[c];
	if (min == max) {
		if (!is_free(ch, min))
			return -EEXIST;
		i = min & CHUNK_MASK;
	} else {
		/* the summary first: min's chunk is often full */
		c = sum_find(ps, &ps->has_free, c);
		if (c == NONE)
			return -ENOSPC;
		ch = &ps->chunks[c];
		i = words_find(ch->free, c == min >> CHUNK_SHIFT ? min & CHUNK_MASK : 0);
		if (i == NONE) {
			/* free PASIDs of min's chunk are all below min */
			c = sum_find(ps, &ps->has_free, c + 1);
			if (c == NONE)
				return -ENOSPC;
			ch = &ps->chunks[c];
			i = words_find(ch->free, 0);
		}
	}
	p = c << CHUNK_SHIFT | i;
	if (p > max)
		return -ENOSPC;

	/* The only step that can fail comes first, so failure changes nothing. */
	if (!ch->used) {
		ch->sole = owner;
		sum_set(&ps->has_used, c);
	} else if (!ch->owners && ch->sole != owner && chunk_split(ps, c)) {
		return -ENOMEM;
	}
	if (ch->owners)
		ch->owners[i] = owner;
	ch->used++;

	ch->free[i >> 6] &= ~bit(i);
	if (!ch->free[i >> 6] && chunk_full(ch))
		sum_clear(&ps->has_free, c);
	ps->count++;
	*out = p;
	return 0;
}

/* Chunk @ch with an owner table became empty: drop or keep the table. */
static __attribute__((noinline)) void chunk_unsplit(struct pasid_space *ps,
						    struct chunk *ch)
{
	/* keep one zeroed table for the next split, free the rest */
	if (!ps->spare) {
		ps->spare = ch->owners;
	} else {
		ioasid_free(ch->owners);
		ps->tables--;
	}
	ch->owners = NULL;
}

/* Free @pasid, allocated in chunk @ch. */
static inline void release_one(struct pasid_space *ps, struct chunk *ch,
			       uint32_t pasid)
{
	uint32_t c = pasid >> CHUNK_SHIFT, i = pasid & CHUNK_MASK;

	if (chunk_full(ch))
		sum_set(&ps->has_free, c);
	ch->free[i >> 6] |= bit(i);
	ps->count--;

	if (--ch->used) {
		if (ch->owners)
			ch->owners[i] = 0;
		return;
	}
	sum_clear(&ps->has_used, c);
	ch->sole = 0;
	if (!ch->owners)
		return;
	ch->owners[i] = 0;
	chunk_unsplit(ps, ch);
}

int pasid_space_release(struct pasid_space *ps, uint32_t pasid, uint32_t owner)
{
	struct chunk *ch;
	uint32_t holder;

	if (pasid >= ps->nbits)
		return -ENOENT;
	ch = &ps->chunks[pasid >> CHUNK_SHIFT];
	holder = owner_in(ch, pasid);
	if (!holder)
		return -ENOENT;
	if (holder != owner)
		return -EPERM;
	release_one(ps, ch, pasid);
	return 0;
}

uint32_t pasid_space_owner(const struct pasid_space *ps, uint32_t pasid)
{
	if (pasid >= ps->nbits)
		return 0;
	return owner_in(&ps->chunks[pasid >> CHUNK_SHIFT], pasid);
}

int pasid_space_next(const struct pasid_space *ps, uint32_t from,
		     uint32_t owner, uint32_t *out)
{
	uint32_t c, i = from & CHUNK_MASK;

	if (from >= ps->nbits)
		return -ENOENT;
	for (c = from >> CHUNK_SHIFT;; c++, i = 0) {
		const struct chunk *ch;
		uint64_t x[CHUNK_WORDS];
		uint32_t at = c;

		c = sum_find(ps, &ps->has_used, at);
		if (c == NONE)
			return -ENOENT;
		if (c != at)
			i = 0;
		ch = &ps->chunks[c];
		/* a chunk with one owner is all or nothing */
		if (owner && !ch->owners && ch->sole != owner)
			continue;
		chunk_used(ps, c, x);
		for (;; i++) {
			i = words_find(x, i);
			if (i == NONE)
				break;
			if (!owner || !ch->owners || ch->owners[i] == owner) {
				*out = c << CHUNK_SHIFT | i;
				return 0;
			}
			if (i == CHUNK_MASK)
				break;
		}
	}
}

void pasid_space_release_owner(struct pasid_space *ps, uint32_t owner)
{
	uint32_t c, k;

	if (!owner)
		return;
	for (c = sum_find(ps, &ps->has_used, 0); c != NONE;
	     c = sum_find(ps, &ps->has_used, c + 1)) {
		struct chunk *ch = &ps->chunks[c];
		uint64_t x[CHUNK_WORDS];

		if (!ch->owners && ch->sole != owner)
			continue;
		/*
		 * Walk a copy of the allocated bits: once the chunk's last
		 * PASID goes, so does its table, but then no bit is left.
		 */
		chunk_used(ps, c, x);
		for (k = 0; k < CHUNK_WORDS; k++) {
			for (; x[k]; x[k] &= x[k] - 1) {
				uint32_t i = k << 6 | (uint32_t)__builtin_ctzll(x[k]);

				if (!ch->owners || ch->owners[i] == owner)
					release_one(ps, ch, c << CHUNK_SHIFT | i);
			}
		}
	}
}
