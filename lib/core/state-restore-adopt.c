/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Restoring a context (state-restore.c) on iommufd, adopting the kernel's
 * objects instead of making them (backend.h, adopt): which kernel object
 * the next call takes, the end of the adoption, and the check that an
 * adopted IOAS maps what the state says.
 */
#include <inttypes.h>

#include "backend/backend.h"
#include "core/state-restore-private.h"

/*
 * Adopting the kernel's objects (iommufd; backend.h, adopt_begin): the
 * next object made is the kernel object the state names in @o's
 * "kernel_id". Nothing to do on a backend that makes everything again.
 */
int rs_adopt_next(struct ioasid_ctx *ctx, json_t *o, const char *what)
{
	uint32_t kid;
	int err;

	if (!ctx->ops->adopt_begin)
		return 0;
	err = rs_get_u32(o, "kernel_id", what, &kid);
	if (err)
		return err;
	if (!kid)
		return rs_err(-EINVAL, "%s: kernel_id 0 is no kernel object", what);
	ctx_lock(ctx);
	ctx->adopt_kid = kid;
	ctx->adopt_why[0] = '\0';
	ctx_unlock(ctx);
	return 0;
}

/* The restore is over (@keep) or failed: the backend's adopt_end. */
void rs_adopt_end(struct ioasid_ctx *ctx, bool keep)
{
	if (!ctx->ops->adopt_end)
		return;
	ctx_lock(ctx);
	ctx->ops->adopt_end(ctx, keep);
	ctx_unlock(ctx);
}

/* Does the kernel's IOAS map [@iova, @iova + @len)? 0, -ENOENT, or the probe's error. */
static int probe(struct ioasid_ctx *ctx, uint32_t kioas, uint64_t iova, uint64_t len)
{
	int err;

	ctx_lock(ctx);
	err = ctx->ops->adopt_probe(ctx, kioas, iova, len);
	ctx_unlock(ctx);
	return err;
}

/*
 * Adopting an IOAS (iommufd): its areas are the kernel's, which the
 * restore does not map again; check that the kernel's IOAS maps what the
 * state says. Every area must be mapped to its last byte, and the page
 * before and the page after it must not be, unless the state has an
 * area there too: an area missing, shrunk or grown is refused. (An area
 * of the kernel's far from every area of the state goes unseen: the
 * kernel cannot list them.)
 */
int rs_adopt_check_areas(struct restore *r, struct rs_obj *ro, const char *what)
{
	struct ioasid_ctx *ctx = r->ctx;
	const uint64_t pg = 4096;
	uint64_t prev_end = 0, next_iova, iova, length;
	bool have_prev = false;
	json_t *areas = json_object_get(ro->j, "areas");
	uint32_t kioas = 0;
	size_t i, n = json_array_size(areas);
	int err;

	if (!ctx->ops->adopt_probe || !n)
		return 0;
	err = ioasid_obj_kernel_id(ctx, ro->id, &kioas);
	if (err)
		return rs_call_failed(r, ro, err, "obj_kernel_id");
	for (i = 0; i < n; i++) {
		json_t *a = json_array_get(areas, i);

		/* read and checked by ioas_areas() */
		(void)rs_get_hex(a, "iova", what, &iova);
		(void)rs_get_hex(a, "length", what, &length);
		next_iova = 0;
		if (i + 1 < n)
			(void)rs_get_hex(json_array_get(areas, i + 1), "iova", what, &next_iova);
		err = probe(ctx, kioas, iova, length);
		if (err == -ENOENT)
			return rs_err(-EINVAL,
				      "%s: kernel IOAS %u does not map all of areas[%zu] [0x%" PRIx64
				      ", 0x%" PRIx64 "]",
				      what, kioas, i, iova, iova + length - 1);
		if (!err && iova >= pg && !(have_prev && prev_end == iova)) {
			err = probe(ctx, kioas, iova - pg, pg);
			if (!err)
				return rs_err(-EINVAL,
					      "%s: kernel IOAS %u maps 0x%" PRIx64
					      ", the page before areas[%zu] at 0x%" PRIx64
					      ", which the state leaves unmapped",
					      what, kioas, iova - pg, i, iova);
			err = err == -ENOENT ? 0 : err;
		}
		if (!err && iova + length <= UINT64_MAX - pg + 1 &&
		    !(i + 1 < n && next_iova == iova + length)) {
			err = probe(ctx, kioas, iova + length, pg);
			if (!err)
				return rs_err(-EINVAL,
					      "%s: kernel IOAS %u maps 0x%" PRIx64
					      ", the page after areas[%zu] [0x%" PRIx64
					      ", 0x%" PRIx64 "], which the state leaves unmapped",
					      what, kioas, iova + length, i, iova,
					      iova + length - 1);
			err = err == -ENOENT ? 0 : err;
		}
		if (err)
			return rs_call_failed(r, ro, err, "checking the kernel's areas");
		prev_end = iova + length;
		have_prev = true;
	}
	return 0;
}
