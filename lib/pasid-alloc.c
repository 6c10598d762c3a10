/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pasid-alloc: a hierarchical bitmap of free PASIDs with the owners kept
 * beside it (see pasid-alloc.h for the contract and the costs).
 *
 * Layout. Level 0 of the free map has one bit per PASID (1 = free). Level
 * l > 0 has one bit per word of level l - 1, set while that word is
 * non-zero, so the top level is a single word. A second pyramid, the used
 * map, summarizes the complement ("this level-0 word holds an allocated
 * PASID"); its level 0 is the free map's level 0 inverted, so it costs only
 * the summary words. PASID 0 and, for widths below 6, the bits past the end
 * of the only word are never free and never count as allocated:
 * word0_valid masks them.
 *
 * Level 0 is not one array: it is cut into chunks of 256 PASIDs, each a
 * 64-byte cache line holding the chunk's four bitmap words and its owner
 * record. Freeing a random PASID of a big space, or handing out the
 * lowest free one, then costs one cache miss instead of two (bitmap word,
 * then owner): the summaries are small enough to stay cached.
 *
 * A search for the first set bit at or after a position probes the word
 * holding it at level 0 and, while that is empty, the next bit one level
 * up; the first hit is followed back down with one ctz per level.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "alloc.h"
#include "pasid-alloc.h"

#define MAX_LEVELS 4 /* 2^20 bits: 16384, 256, 4 and 1 words */

#define CHUNK_SHIFT 8
#define CHUNK_SIZE (1U << CHUNK_SHIFT)
#define CHUNK_MASK (CHUNK_SIZE - 1)
#define CHUNK_WORDS (CHUNK_SIZE / 64)
#define LINE 64

#define NONE UINT32_MAX /* no bit found; above every PASID */

/*
 * PASIDs [256 c, 256 c + 255]: their free bits and who holds them. While
 * they all have one owner (one VM per space is the common case) that owner
 * is kept once, in @sole, and the bitmap says which PASIDs it holds: no
 * memory per PASID. The first PASID of a second owner gives the chunk a
 * table of 256 owners (1 KiB), kept until the chunk is empty again.
 */
struct chunk {
	uint64_t free[CHUNK_WORDS]; /* level 0 of the free map */
	uint32_t used;              /* allocated PASIDs in the chunk */
	uint32_t sole;              /* their owner while owners is NULL */
	uint32_t *owners;           /* [CHUNK_SIZE], 0 = free; or NULL */
} __attribute__((aligned(LINE)));

struct pasid_space {
	unsigned int width;
	unsigned int levels;  /* 1..MAX_LEVELS; the top level is one word */
	uint32_t nbits;       /* 2^width, PASID 0 included */
	uint32_t count;       /* allocated PASIDs */
	uint32_t nchunks;     /* entries of chunks[] */
	uint32_t tables;      /* owner tables allocated, the spare included */
	uint64_t word0_valid; /* PASIDs that exist in level-0 word 0 */
	uint32_t lvl_bits[MAX_LEVELS];   /* bits at each level */
	uint64_t *free_lvl[MAX_LEVELS];  /* [0] unused: it is in chunks[] */
	uint64_t *used_lvl[MAX_LEVELS];  /* [0] unused: ~level 0 of free */
	struct chunk *chunks;            /* [nchunks], line-aligned */
	uint32_t *spare;                 /* an all-zero owner table to reuse */
	size_t block_bytes;              /* this struct and its storage */
	uint64_t storage[];              /* summaries, then chunks[] */
};

static inline uint64_t bit(uint32_t i)
{
	return 1ULL << (i & 63);
}

/* Level-0 word @w of the free map. */
static inline uint64_t *l0(const struct pasid_space *ps, uint32_t w)
{
	return &ps->chunks[w / CHUNK_WORDS].free[w % CHUNK_WORDS];
}

/* Word @w of level 0 of the free map (@used false) or of the used map. */
static inline uint64_t l0_word(const struct pasid_space *ps, bool used,
			       uint32_t w)
{
	uint64_t x = *l0(ps, w);

	if (used) {
		x = ~x;
		if (w == 0)
			x &= ps->word0_valid;
	}
	return x;
}

/*
 * The first set bit at or after @pos at level 0 of the free map (@used
 * false) or of the used map, or NONE. @used is a constant at every call,
 * so this compiles into two specialized searches.
 */
static inline uint32_t find_from(const struct pasid_space *ps, bool used,
				 uint32_t pos)
{
	uint64_t *const *lvl = used ? ps->used_lvl : ps->free_lvl;
	uint32_t w = pos >> 6;
	unsigned int l;
	uint64_t x;

	if (pos >= ps->nbits)
		return NONE;
	x = l0_word(ps, used, w) & (~0ULL << (pos & 63));
	if (x)
		return w << 6 | (uint32_t)__builtin_ctzll(x);

	/* Climb: the rest of word w is empty, so the next candidate is w + 1. */
	for (l = 1;; l++) {
		if (l == ps->levels)
			return NONE;
		pos = w + 1;
		if (pos >= ps->lvl_bits[l])
			return NONE;
		w = pos >> 6;
		x = lvl[l][w] & (~0ULL << (pos & 63));
		if (x)
			break;
	}
	/* Descend: each set summary bit promises a non-zero word below. */
	pos = w << 6 | (uint32_t)__builtin_ctzll(x);
	while (--l > 0)
		pos = pos << 6 | (uint32_t)__builtin_ctzll(lvl[l][pos]);
	return pos << 6 | (uint32_t)__builtin_ctzll(l0_word(ps, used, pos));
}

/*
 * Word @idx one level down became zero: clear its summary bit, and go on
 * up while that empties the summary word too.
 */
static inline void sum_clear(uint64_t *const *lvl, unsigned int levels,
			     uint32_t idx)
{
	unsigned int l;

	for (l = 1; l < levels; l++) {
		uint32_t w = idx >> 6;

		lvl[l][w] &= ~bit(idx);
		if (lvl[l][w])
			break;
		idx = w;
	}
}

/*
 * Word @idx one level down may have become non-zero: set its summary bit,
 * and go on up while the summary word was empty before.
 */
static inline void sum_set(uint64_t *const *lvl, unsigned int levels,
			   uint32_t idx)
{
	unsigned int l;

	for (l = 1; l < levels; l++) {
		uint32_t w = idx >> 6;
		uint64_t was = lvl[l][w];

		lvl[l][w] = was | bit(idx);
		if (was)
			break;
		idx = w;
	}
}

/* Set the first @n bits of @map, clear the rest of its last word. */
static void set_bits(uint64_t *map, uint32_t n)
{
	memset(map, 0xff, (n / 64) * sizeof(*map));
	if (n % 64)
		map[n / 64] = (1ULL << (n % 64)) - 1;
}

struct pasid_space *pasid_space_new(unsigned int width)
{
	struct pasid_space *ps;
	uint32_t bits[MAX_LEVELS], words = 0, nbits, nchunks, w;
	unsigned int levels = 0, l;
	uintptr_t at;
	size_t bytes;
	uint64_t *p;

	if (width > PASID_SPACE_MAX_WIDTH)
		return NULL;
	nbits = UINT32_C(1) << width;
	nchunks = (nbits + CHUNK_MASK) >> CHUNK_SHIFT;

	/* Summary sizes: two pyramids over the level 0 in the chunks. */
	bits[0] = nbits;
	for (;;) {
		uint32_t lw = (bits[levels] + 63) / 64;

		if (levels)
			words += 2 * lw;
		if (lw == 1)
			break;
		bits[++levels] = lw;
	}
	levels++;

	/* room to move chunks[] up to a cache-line boundary */
	bytes = sizeof(*ps) + words * sizeof(uint64_t) + LINE +
		nchunks * sizeof(struct chunk);
	ps = ioasid_calloc(1, bytes);
	if (!ps)
		return NULL;
	ps->width = width;
	ps->levels = levels;
	ps->nbits = nbits;
	ps->nchunks = nchunks;
	ps->block_bytes = bytes;
	ps->word0_valid = (nbits >= 64 ? ~0ULL : (1ULL << nbits) - 1) & ~1ULL;

	p = ps->storage;
	for (l = 0; l < levels; l++) {
		ps->lvl_bits[l] = bits[l];
		if (l) {
			uint32_t lw = (bits[l] + 63) / 64;

			ps->free_lvl[l] = p;
			ps->used_lvl[l] = p + lw;
			p += 2 * lw;
		}
	}
	at = ((uintptr_t)p + LINE - 1) & ~(uintptr_t)(LINE - 1);
	ps->chunks = (struct chunk *)at;

	/* Everything free but PASID 0 (and the bits past a short space). */
	for (w = 0; w < (nbits + 63) / 64; w++)
		*l0(ps, w) = ~0ULL;
	*l0(ps, 0) = ps->word0_valid;
	for (l = 1; l < levels; l++)
		set_bits(ps->free_lvl[l], bits[l]);
	/* Only width 0 has a word with no free PASID at all. */
	if (!ps->word0_valid && levels > 1)
		sum_clear(ps->free_lvl, levels, 0);
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

static inline bool is_free(const struct chunk *ch, uint32_t pasid)
{
	return ch->free[(pasid / 64) % CHUNK_WORDS] & bit(pasid);
}

/* Owner of @pasid (< nbits) in its chunk @ch, 0 when free. */
static inline uint32_t owner_in(const struct chunk *ch, uint32_t pasid)
{
	if (ch->owners)
		return ch->owners[pasid & CHUNK_MASK];
	/* PASID 0 is never free in the bitmap, and never allocated */
	return !pasid || is_free(ch, pasid) ? 0 : ch->sole;
}

/* Level-0 words of chunk @c that exist (fewer than 4 below width 8). */
#define for_each_chunk_word(ps, c, w)                                   \
	for ((w) = (c) * CHUNK_WORDS;                                   \
	     (w) < (c) * CHUNK_WORDS + CHUNK_WORDS && (w) << 6 < (ps)->nbits; \
	     (w)++)

/*
 * Chunk @c gets a second owner: give it a table of owners, filled with
 * the sole one. Return: 0, or -ENOMEM with nothing changed.
 */
static int chunk_split(struct pasid_space *ps, uint32_t c)
{
	struct chunk *ch = &ps->chunks[c];
	uint32_t *t = ps->spare, w;

	if (t) {
		ps->spare = NULL;
	} else {
		t = ioasid_calloc(CHUNK_SIZE, sizeof(*t));
		if (!t)
			return -ENOMEM;
		ps->tables++;
	}
	for_each_chunk_word(ps, c, w) {
		uint64_t x = l0_word(ps, true, w);

		for (; x; x &= x - 1)
			t[(w << 6 | (uint32_t)__builtin_ctzll(x)) & CHUNK_MASK] = ch->sole;
	}
	ch->owners = t;
	return 0;
}

int pasid_space_alloc(struct pasid_space *ps, uint32_t min, uint32_t max,
		      uint32_t owner, uint32_t *out)
{
	struct chunk *ch;
	uint64_t *word;
	uint32_t p;

	if (!owner || !min || min > max || max >= ps->nbits)
		return -EINVAL;
	if (min == max) {
		if (!is_free(&ps->chunks[min >> CHUNK_SHIFT], min))
			return -EEXIST;
		p = min;
	} else {
		p = find_from(ps, false, min);
		if (p > max) /* NONE is above every max */
			return -ENOSPC;
	}

	/* The only step that can fail comes first, so failure changes nothing. */
	ch = &ps->chunks[p >> CHUNK_SHIFT];
	if (!ch->used)
		ch->sole = owner;
	else if (!ch->owners && ch->sole != owner && chunk_split(ps, p >> CHUNK_SHIFT))
		return -ENOMEM;
	if (ch->owners)
		ch->owners[p & CHUNK_MASK] = owner;
	ch->used++;

	word = &ch->free[(p / 64) % CHUNK_WORDS];
	*word &= ~bit(p);
	if (!*word)
		sum_clear(ps->free_lvl, ps->levels, p >> 6);
	sum_set(ps->used_lvl, ps->levels, p >> 6);
	ps->count++;
	*out = p;
	return 0;
}

/* Free @pasid, allocated in chunk @ch. */
static inline void release_one(struct pasid_space *ps, struct chunk *ch,
			       uint32_t pasid)
{
	uint64_t *word = &ch->free[(pasid / 64) % CHUNK_WORDS];
	uint64_t was = *word;

	*word = was | bit(pasid);
	if (!was)
		sum_set(ps->free_lvl, ps->levels, pasid >> 6);
	if (!l0_word(ps, true, pasid >> 6))
		sum_clear(ps->used_lvl, ps->levels, pasid >> 6);
	ps->count--;

	if (--ch->used) {
		if (ch->owners)
			ch->owners[pasid & CHUNK_MASK] = 0;
		return;
	}
	ch->sole = 0;
	if (!ch->owners)
		return;
	/* Empty: keep one zeroed table for the next split, free the rest. */
	ch->owners[pasid & CHUNK_MASK] = 0;
	if (!ps->spare) {
		ps->spare = ch->owners;
	} else {
		ioasid_free(ch->owners);
		ps->tables--;
	}
	ch->owners = NULL;
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
	uint32_t p = from;

	for (;;) {
		const struct chunk *ch;

		p = find_from(ps, true, p);
		if (p == NONE)
			return -ENOENT;
		if (!owner)
			break;
		ch = &ps->chunks[p >> CHUNK_SHIFT];
		if (ch->owners) {
			if (ch->owners[p & CHUNK_MASK] == owner)
				break;
			p++;
		} else if (ch->sole == owner) {
			break;
		} else {
			/* one owner, not ours: skip the chunk */
			p = (p | CHUNK_MASK) + 1;
		}
	}
	*out = p;
	return 0;
}

void pasid_space_release_owner(struct pasid_space *ps, uint32_t owner)
{
	uint32_t c, w;

	if (!owner)
		return;
	for (c = 0; c < ps->nchunks; c++) {
		struct chunk *ch = &ps->chunks[c];

		if (!ch->used || (!ch->owners && ch->sole != owner))
			continue;
		/*
		 * Each word is read before its PASIDs are released; a table
		 * freed on the chunk's last release is not read again (used
		 * is 0 then).
		 */
		for_each_chunk_word(ps, c, w) {
			uint64_t x = l0_word(ps, true, w);

			for (; x && ch->used; x &= x - 1) {
				uint32_t p = w << 6 | (uint32_t)__builtin_ctzll(x);

				if (!ch->owners || ch->owners[p & CHUNK_MASK] == owner)
					release_one(ps, ch, p);
			}
		}
	}
}
