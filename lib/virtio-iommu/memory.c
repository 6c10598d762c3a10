/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Guest memory: the VMM's table of guest-physical regions (or its
 * translate callback), which turns MAP's physical addresses into host
 * addresses, and the bypass IOAS that the virtio-iommu builds from the
 * table: guest RAM at IOVA = GPA.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

static int mem_cmp(const void *a, const void *b)
{
	const struct ioasid_virtio_iommu_mem *x = a, *y = b;

	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

int vi_mem_import(struct ioasid_ctx *ctx, const struct ioasid_virtio_iommu_mem *mem, uint32_t nr,
		  struct ioasid_virtio_iommu_mem **ret)
{
	struct ioasid_virtio_iommu_mem *m;
	uint32_t i;

	*ret = NULL;
	if (!nr)
		return 0;
	if (!mem)
		return ioasid_err_outer(ctx, -EINVAL, "virtio-iommu: %u memory regions at NULL", nr);
	m = ioasid_malloc(nr * sizeof(*m));
	if (!m)
		return ioasid_err_outer(ctx, -ENOMEM, "virtio-iommu: out of memory for %u regions",
					nr);
	memcpy(m, mem, nr * sizeof(*m));
	qsort(m, nr, sizeof(*m), mem_cmp);
	for (i = 0; i < nr; i++) {
		uint64_t last;

		if (!m[i].size || !m[i].hva || (m[i].flags & ~IOASID_VIRTIO_IOMMU_MEM_MMIO) ||
		    m[i].__reserved ||
		    __builtin_add_overflow(m[i].gpa, m[i].size - 1, &last)) {
			ioasid_free(m);
			return ioasid_err_outer(ctx, -EINVAL,
						"virtio-iommu: memory region gpa 0x%llx size 0x%llx hva %p flags 0x%x is not valid",
						X(mem[i].gpa), X(mem[i].size), mem[i].hva,
						mem[i].flags);
		}
		if (i && m[i - 1].gpa + m[i - 1].size - 1 >= m[i].gpa) {
			ioasid_err_outer(ctx, -EINVAL,
					 "virtio-iommu: memory regions at gpa 0x%llx and 0x%llx overlap",
					 X(m[i - 1].gpa), X(m[i].gpa));
			ioasid_free(m);
			return -EINVAL;
		}
	}
	*ret = m;
	return 0;
}

/*
 * [gpa, gpa + size) in the table: one region, or a run of regions that are
 * contiguous in both spaces and of the same kind (so one libioasid area
 * can map it, and UNMAP keeps the spec's unit).
 */
static int mem_translate(const struct ioasid_virtio_iommu *v, uint64_t gpa, uint64_t size,
			 uint32_t flags, void **ret)
{
	const struct ioasid_virtio_iommu_mem *m = v->mem;
	uint32_t lo = 0, hi = v->nr_mem, i;
	uint64_t last = gpa + size - 1, end;
	uintptr_t hva;

	while (lo < hi) { /* last region starting at or below gpa */
		uint32_t mid = lo + (hi - lo) / 2;

		if (m[mid].gpa <= gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -EFAULT;
	i = lo - 1;
	if (gpa - m[i].gpa >= m[i].size || (m[i].flags & IOASID_VIRTIO_IOMMU_MEM_MMIO) != flags)
		return -EFAULT;
	hva = (uintptr_t)m[i].hva + (gpa - m[i].gpa);
	end = m[i].gpa + m[i].size - 1;
	while (end < last) {
		if (i + 1 >= v->nr_mem || m[i + 1].gpa != end + 1 ||
		    (uintptr_t)m[i + 1].hva != (uintptr_t)m[i].hva + m[i].size ||
		    m[i + 1].flags != m[i].flags)
			return -EFAULT;
		i++;
		end = m[i].gpa + m[i].size - 1;
	}
	*ret = (void *)hva;
	return 0;
}

int vi_translate(struct ioasid_virtio_iommu *v, uint64_t gpa, uint64_t size, uint32_t flags,
		 void **ret)
{
	if (v->translate)
		return v->translate(v->translate_data, gpa, size, flags, ret);
	return mem_translate(v, gpa, size, flags, ret);
}

/* ---- the bypass IOAS: the table's RAM at IOVA = GPA ---- */

int vi_bypass_map_region(struct ioasid_virtio_iommu *v, const struct ioasid_virtio_iommu_mem *r)
{
	uint64_t iova = r->gpa;

	if (r->flags & IOASID_VIRTIO_IOMMU_MEM_MMIO)
		return 0;
	return ioasid_ioas_map(v->ctx, v->bypass_ioas, r->hva, r->size,
			       IOASID_MAP_FIXED_IOVA | IOASID_MAP_READ | IOASID_MAP_WRITE, &iova);
}

static void bypass_unmap_region(struct ioasid_virtio_iommu *v, const struct ioasid_virtio_iommu_mem *r)
{
	if (!(r->flags & IOASID_VIRTIO_IOMMU_MEM_MMIO))
		ioasid_ioas_unmap(v->ctx, v->bypass_ioas, r->gpa, r->size, NULL);
}

static bool mem_in(const struct ioasid_virtio_iommu_mem *m, uint32_t nr,
		   const struct ioasid_virtio_iommu_mem *r)
{
	uint32_t i;

	for (i = 0; i < nr; i++)
		if (m[i].gpa == r->gpa && m[i].size == r->size && m[i].hva == r->hva &&
		    m[i].flags == r->flags)
			return true;
	return false;
}

/*
 * Make the bypass IOAS follow a new table @m: drop the regions that went,
 * add those that came. On failure the old table's identity map is back.
 */
static int bypass_follow(struct ioasid_virtio_iommu *v, const struct ioasid_virtio_iommu_mem *m,
			 uint32_t nr)
{
	uint32_t i, j;
	int err = 0;

	for (i = 0; i < v->nr_mem; i++)
		if (!mem_in(m, nr, &v->mem[i]))
			bypass_unmap_region(v, &v->mem[i]);
	for (j = 0; j < nr; j++) {
		if (mem_in(v->mem, v->nr_mem, &m[j]))
			continue;
		err = vi_bypass_map_region(v, &m[j]);
		if (err)
			break;
	}
	if (!err)
		return 0;
	while (j-- > 0)
		if (!mem_in(v->mem, v->nr_mem, &m[j]))
			bypass_unmap_region(v, &m[j]);
	for (i = 0; i < v->nr_mem; i++)
		if (!mem_in(m, nr, &v->mem[i]))
			vi_bypass_map_region(v, &v->mem[i]);
	return err;
}

/* ---- guest mappings into memory that leaves the table ---- */

/* Does the host range [uva, uva + len) meet a region of the old table that @m lacks? */
static bool meets_removed(const struct ioasid_virtio_iommu *v,
			  const struct ioasid_virtio_iommu_mem *m, uint32_t nr, uint64_t uva,
			  uint64_t len)
{
	uint32_t i;

	for (i = 0; i < v->nr_mem; i++) {
		uint64_t start = (uintptr_t)v->mem[i].hva;

		if (uva < start + v->mem[i].size && start < uva + len && !mem_in(m, nr, &v->mem[i]))
			return true;
	}
	return false;
}

/*
 * Remove every mapping of domain @d whose host memory meets a region that
 * the new table @m drops: whole mappings (the unit of MAP and UNMAP).
 */
static int revoke_domain(struct ioasid_virtio_iommu *v, struct vi_domain *d,
			 const struct ioasid_virtio_iommu_mem *m, uint32_t nr)
{
	struct ioasid_mapping buf[32];
	uint64_t from = 0, last;
	uint32_t n, i;
	int err = 0;

	do {
		n = VI_ARRAY_SIZE(buf);
		err = ioasid_ioas_mappings(v->ctx, d->ioas, from, buf, &n);
		for (i = 0; !err && i < n; i++) {
			if (!meets_removed(v, m, nr, buf[i].uva, buf[i].length))
				continue;
			err = ioasid_ioas_unmap(v->ctx, d->ioas, buf[i].iova, buf[i].length, NULL);
			if (!err)
				v->st.revoked++;
		}
		if (err || !n)
			break;
		last = buf[n - 1].iova + (buf[n - 1].length - 1);
		from = last + 1;
	} while (n == VI_ARRAY_SIZE(buf) && last != UINT64_MAX);
	vi_dom_recount(v, d);
	return err;
}

/* Every domain's mappings into memory that the new table @m drops go. */
static int revoke_removed(struct ioasid_virtio_iommu *v, const struct ioasid_virtio_iommu_mem *m,
			  uint32_t nr)
{
	uint32_t i;
	int err = 0;

	for (i = 0; i < v->nr_doms && !err; i++)
		if (!v->doms[i].bypass)
			err = revoke_domain(v, &v->doms[i], m, nr);
	return err;
}

IOASID_EXPORT int ioasid_virtio_iommu_set_memory(struct ioasid_virtio_iommu *v,
					   const struct ioasid_virtio_iommu_mem *mem, uint32_t nr)
{
	struct ioasid_virtio_iommu_mem *m;
	int err;

	if (!v)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	if (v->translate) {
		err = ioasid_err_outer(
			v->ctx, -EINVAL,
			"virtio-iommu: this virtio-iommu translates through a callback, not a table");
		goto out;
	}
	err = vi_mem_import(v->ctx, mem, nr, &m);
	if (err)
		goto out;
	err = revoke_removed(v, m, nr);
	if (err) {
		vi_err_after(v->ctx, err,
			     "virtio-iommu: removing the guest's mappings into memory that leaves the table");
		ioasid_free(m);
		goto out;
	}
	if (v->own_bypass) {
		err = bypass_follow(v, m, nr);
		if (err) {
			ioasid_free(m);
			goto out;
		}
	}
	ioasid_free(v->mem);
	v->mem = m;
	v->nr_mem = nr;
out:
	pthread_mutex_unlock(&v->lock);
	return err;
}
