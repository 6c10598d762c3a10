/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pasid-alloc: the PASID space of one context, and who holds each PASID.
 *
 * Private to libioasid; lib/core/set.c builds the public set/PASID calls on it
 * (quotas, locking and messages are its business, not ours).
 *
 * A space of width W holds PASIDs 1 .. 2^W - 1 (W = 0..20). PASID 0 is
 * never handed out: it stands for requests without PASID, as in Linux.
 * Each allocated PASID records a non-zero 32-bit owner (the set's id).
 *
 * Why not a plain bitmap: a VMM asks for "the lowest free PASID >= min"
 * on a space that may be nearly full (2^20 PASIDs), and a linear scan
 * then walks up to 16K words. Here the free bits carry two summary levels
 * (a bit per chunk of 256 PASIDs: "has a free PASID", and a word over
 * those), so a search is a fixed handful of word probes, each a
 * __builtin_ctzll. A second pair of summaries ("has an allocated PASID")
 * makes pasid_space_next() equally cheap.
 *
 * Memory: pasid_space_new() allocates one block: the chunks, 64 bytes per
 * 256 PASIDs (free bits and owner record in one cache line), and the
 * summaries: 257 KiB for 20 bits, about 1 KiB for 12 bits. Owners cost
 * nothing more while each chunk has a single owner (the usual case: one
 * set per VM, PASIDs handed out lowest first); a chunk shared by two
 * owners gets a 1 KiB table of owners on the first such allocation, freed
 * when the chunk empties again (one empty table is kept for reuse, so
 * churn at a chunk edge does not hit malloc each time). A full 20-bit
 * space with owners interleaved everywhere costs about 4.3 MiB.
 *
 * Everything is deterministic: the result depends only on the calls made.
 * Not thread-safe: the caller serializes (set.c holds the context lock).
 */
#ifndef IOASID_PASID_ALLOC_H
#define IOASID_PASID_ALLOC_H

#include <stddef.h>
#include <stdint.h>

/* Widest space supported: PCIe PASIDs are 20 bits. */
#define PASID_SPACE_MAX_WIDTH 20

struct pasid_space; /* opaque */

/*
 * A new space of @width bits (0..PASID_SPACE_MAX_WIDTH) with nothing
 * allocated; width 0 is a valid empty space (no PASID can be allocated).
 * Return: the space, or NULL when out of memory or @width is too large.
 */
struct pasid_space *pasid_space_new(unsigned int width);

/* Free the space and every record in it; NULL is fine. */
void pasid_space_free(struct pasid_space *ps);

/* The width given to pasid_space_new(). */
unsigned int pasid_space_width(const struct pasid_space *ps);

/*
 * Allocate the lowest free PASID in [@min, @max] to @owner and store it in
 * *@out. The caller has checked 1 <= @min <= @max < 2^width and
 * @owner != 0; a call that breaks this gets -EINVAL (defensive, not a
 * contract to rely on).
 * Return: 0; -EEXIST when @min == @max and that PASID is taken; -ENOSPC
 * when no PASID in a wider range is free; -ENOMEM when the PASID's chunk
 * needed an owner table (a second owner in it) and none could be
 * allocated. On failure nothing changes and *@out is not written.
 */
int pasid_space_alloc(struct pasid_space *ps, uint32_t min, uint32_t max,
		      uint32_t owner, uint32_t *out);

/*
 * Free @pasid, which @owner holds.
 * Return: 0; -ENOENT when @pasid is not allocated (including 0 and PASIDs
 * outside the space); -EPERM when another owner holds it (an @owner of 0
 * matches nobody). On failure nothing changes. Never allocates.
 */
int pasid_space_release(struct pasid_space *ps, uint32_t pasid, uint32_t owner);

/* The owner of @pasid, or 0 when it is free or outside the space. */
uint32_t pasid_space_owner(const struct pasid_space *ps, uint32_t pasid);

/*
 * The lowest allocated PASID >= @from held by @owner (0: by anyone), in
 * *@out. Return: 0, or -ENOENT when there is none (*@out not written).
 * With owner 0 the cost is a few word probes; with an owner, chunks held
 * wholly by others are skipped at once, but the others' PASIDs in shared
 * chunks between @from and the answer are stepped over one by one.
 */
int pasid_space_next(const struct pasid_space *ps, uint32_t from,
		     uint32_t owner, uint32_t *out);

/* Number of allocated PASIDs. */
uint32_t pasid_space_count(const struct pasid_space *ps);

/*
 * Free every PASID @owner holds (0 matches nobody). Never allocates.
 * Visits each chunk in use once, and each PASID of the chunks @owner has
 * a share in.
 */
void pasid_space_release_owner(struct pasid_space *ps, uint32_t owner);

/*
 * Heap bytes the space holds now (what it asked malloc for, without
 * malloc's own overhead): for memory reports and tests.
 */
size_t pasid_space_heap_bytes(const struct pasid_space *ps);

#endif /* IOASID_PASID_ALLOC_H */
