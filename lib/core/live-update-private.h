/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live update (issue 12, docs/live-update.md): what change-process.c,
 * state-save.c and state-restore.c share.
 */
#ifndef IOASID_LIVE_UPDATE_PRIVATE_H
#define IOASID_LIVE_UPDATE_PRIVATE_H

#include "private.h"
#include "util/iova-tree.h"

struct ioasid_ioas;

/* The state document: its "format" and the "version" this library writes and reads. */
#define LU_FORMAT "libioasid-state"
#define LU_VERSION 1

/* Where a file map's memory is: the file's fd in this process, the offset of iova. */
struct lu_file {
	int fd;
	uint64_t offset;
};

/*
 * Is area @a of @ioas a file map (its memory named by a file and an
 * offset, which a successor process can map again)? When it is and @ret
 * is not NULL, where. Every other area is process memory, which cannot be
 * handed over.
 */
bool lu_area_file(struct ioasid_ctx *ctx, const struct ioasid_ioas *ioas, const struct iova_area *a,
		  struct lu_file *ret);

/*
 * Map [@iova, @iova + @length) of IOAS @ioas from file @f with @perm
 * (IOASID_MAP_READ/WRITE), through the public call (a restore: the caller
 * does not hold the lock). 0 or the call's error, message set.
 */
int lu_map_file(struct ioasid_ctx *ctx, uint32_t ioas, const struct lu_file *f, uint64_t length,
		uint32_t perm, uint64_t iova);

/*
 * 0 when every area of every IOAS of @ctx is a file map; else -EINVAL with
 * a message, prefixed by @what, naming the IOAS and the first other area.
 */
int lu_first_anon_area(struct ioasid_ctx *ctx, const char *what);

/*
 * 0 when @ctx's backend can hand its objects to another process; else
 * -EOPNOTSUPP with a message prefixed by @what naming the feature.
 */
int lu_backend_check(struct ioasid_ctx *ctx, const char *what);

#endif
