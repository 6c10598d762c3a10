/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iommufd IOAS objects: one kernel IOAS per library IOAS.
 *
 * The core validates every request against its own records and chooses
 * every IOVA, so this backend maps at fixed IOVAs only, one kernel area per
 * core area, and unmaps exactly those areas: the kernel's non-atomic
 * UNMAP never sees a range that straddles an area.
 *
 * Copies. The core records a copy as new areas over the same user memory;
 * they are mapped with IOMMU_IOAS_MAP of that memory (not IOMMU_IOAS_COPY),
 * so the kernel pins and charges the pages again (kernel-uapi.md §4.5
 * charges COPY once). The library's own accounting charges once.
 *
 * File and dma-buf areas (issue 12) go to the kernel as IOMMU_IOAS_MAP_FILE
 * of the library's fd, a copy of one as a MAP_FILE of the same file.
 *
 * The context's RLIMIT mode is an IOMMU_OPTION too, and lives here with
 * the IOAS's huge-pages option.
 */
#include <string.h>

#include "iommufd-private.h"

int ifd_kioas_alloc(struct ioasid_ctx *ctx, uint32_t *ret)
{
	struct ku_iommu_ioas_alloc a = { .size = sizeof(a) };
	int err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_IOAS_ALLOC, &a);

	if (!err)
		*ret = a.out_ioas_id;
	return err;
}

int iommufd_ioas_alloc(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas)
{
	struct ifd_ioas *k = ioasid_calloc(1, sizeof(*k));
	int err;

	if (!k)
		return ioasid_err(ctx, -ENOMEM, "out of memory for an IOAS");
	err = ifd_kioas_alloc(ctx, &k->id);
	if (err) {
		ioasid_free(k);
		return ioasid_err(ctx, err, "IOMMU_IOAS_ALLOC on %s: %s%s", ifd_of(ctx)->path,
				  strerror(-err), err == -ENOTTY ? " (not an iommufd)" : "");
	}
	ioas->be = k;
	return 0;
}

int iommufd_ioas_destroy(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas)
{
	int err;

	if (!ioas->be)
		return 0;
	err = ifd_kdestroy(ctx, ioas_kid(ioas));
	if (err) {
		err = ioasid_err(ctx, err,
				 "IOMMU_DESTROY of kernel IOAS %u (IOAS %u): the kernel says %s",
				 ioas_kid(ioas), ioas->obj.id, strerror(-err));
		/* refused: the IOAS stays for a retry, unless nobody can retry */
		if (!ctx->closing)
			return err;
	}
	ioasid_free(ioas->be);
	ioas->be = NULL;
	return err;
}

/*
 * A file or dma-buf area: IOMMU_IOAS_MAP_FILE of the library's fd at the
 * area's file offset (kernel-uapi.md §4.9). The kernel takes its own
 * reference to the file.
 */
static int area_map_file(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
			 const struct iova_area *a, const struct area_backing *b)
{
	struct ku_iommu_ioas_map_file m = {
		.size = sizeof(m),
		.flags = KU_IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = ioas_kid(ioas),
		.fd = b->fd,
		.start = b->offset,
		.length = a->last - a->iova + 1,
		.iova = a->iova,
	};
	int err;

	if (a->cookie & IOASID_MAP_READ)
		m.flags |= KU_IOMMU_IOAS_MAP_READABLE;
	if (a->cookie & IOASID_MAP_WRITE)
		m.flags |= KU_IOMMU_IOAS_MAP_WRITEABLE;
	err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_IOAS_MAP_FILE, &m);
	if (err)
		return ioasid_err(ctx, err,
				  "IOMMU_IOAS_MAP_FILE of %s offset 0x%llx at [0x%llx, 0x%llx] in IOAS %u: the kernel says %s",
				  b->kind == IOASID_BACKING_DMABUF ? "a dma-buf" : "a file",
				  X(b->offset), X(a->iova), X(a->last), ioas->obj.id,
				  strerror(-err));
	return 0;
}

int iommufd_area_map(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, const struct iova_area *a)
{
	struct area_backing b;
	struct ku_iommu_ioas_map m = {
		.size = sizeof(m),
		.flags = KU_IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = ioas_kid(ioas),
		.user_va = a->uva,
		.length = a->last - a->iova + 1,
		.iova = a->iova,
	};
	int err;

	area_backing(ctx, a, &b);
	if (b.kind != IOASID_BACKING_VA)
		return area_map_file(ctx, ioas, a, &b);
	if (a->cookie & IOASID_MAP_READ)
		m.flags |= KU_IOMMU_IOAS_MAP_READABLE;
	if (a->cookie & IOASID_MAP_WRITE)
		m.flags |= KU_IOMMU_IOAS_MAP_WRITEABLE;
	err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_IOAS_MAP, &m);
	if (err)
		return ioasid_err(ctx, err,
				  "IOMMU_IOAS_MAP of va 0x%llx at [0x%llx, 0x%llx] in IOAS %u: the kernel says %s",
				  X(a->uva), X(a->iova), X(a->last), ioas->obj.id, strerror(-err));
	return 0;
}

int iommufd_area_unmap(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas, const struct iova_area *a)
{
	struct ku_iommu_ioas_unmap u = {
		.size = sizeof(u),
		.ioas_id = ioas_kid(ioas),
		.iova = a->iova,
		.length = a->last - a->iova + 1,
	};
	int err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_IOAS_UNMAP, &u);

	if (err)
		return ioasid_err(ctx, err,
				  "IOMMU_IOAS_UNMAP of [0x%llx, 0x%llx] in IOAS %u: the kernel says %s",
				  X(a->iova), X(a->last), ioas->obj.id, strerror(-err));
	return 0;
}

int iommufd_ioas_set_option(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
			    enum ioasid_ioas_option opt, uint64_t val)
{
	struct ku_iommu_option o = {
		.size = sizeof(o),
		.option_id = KU_IOMMU_OPTION_HUGE_PAGES,
		.op = KU_IOMMU_OPTION_OP_SET,
		.object_id = ioas_kid(ioas),
		.val64 = val,
	};
	int err;

	if (opt != IOASID_IOAS_OPT_HUGE_PAGES)
		return ioasid_err(ctx, -EOPNOTSUPP, "IOAS option %d", (int)opt);
	err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_OPTION, &o);
	if (err)
		return ioasid_err(ctx, err, "IOMMU_OPTION huge_pages=%llu on IOAS %u: %s", X(val),
				  ioas->obj.id, strerror(-err));
	return 0;
}

/* IOMMU_OPTION on the context (object 0): the RLIMIT mode (kernel-uapi.md §1.4). */
int iommufd_ctx_option(struct ioasid_ctx *ctx, enum ioasid_ctx_option opt, bool set, uint64_t *val)
{
	struct ku_iommu_option o = {
		.size = sizeof(o),
		.option_id = KU_IOMMU_OPTION_RLIMIT_MODE,
		.op = set ? KU_IOMMU_OPTION_OP_SET : KU_IOMMU_OPTION_OP_GET,
		.val64 = set ? *val : 0,
	};
	int err;

	if (opt != IOASID_CTX_OPT_RLIMIT_MODE)
		return set ? ioasid_err(ctx, -EOPNOTSUPP, "context option %d", (int)opt) :
			     -EOPNOTSUPP;
	err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_OPTION, &o);
	if (err)
		return set ? ioasid_err(ctx, err,
					"IOMMU_OPTION rlimit_mode=%llu: the kernel says %s",
					X(*val), strerror(-err)) :
			     err;
	if (!set)
		*val = o.val64;
	return 0;
}
