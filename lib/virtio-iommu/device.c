/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-iommu device back-end: the object, its endpoints and domains,
 * config space, feature negotiation and the request decoder (ATTACH,
 * DETACH, MAP, UNMAP; PROBE is in probe.c, events and PAGE_RESP in
 * event.c).
 *
 * Everything here goes through the public API, so the same back-end runs
 * on iommufd, VFIO and the sim. The rules are the virtio specification's
 * (device 23; layouts in kernel-uapi.md §3), the mapping to libioasid is
 * in docs/virtio-iommu.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

#define S_OK     IOASID_VIRTIO_IOMMU_S_OK
#define S_IOERR  IOASID_VIRTIO_IOMMU_S_IOERR
#define S_UNSUPP IOASID_VIRTIO_IOMMU_S_UNSUPP
#define S_DEVERR IOASID_VIRTIO_IOMMU_S_DEVERR
#define S_INVAL  IOASID_VIRTIO_IOMMU_S_INVAL
#define S_RANGE  IOASID_VIRTIO_IOMMU_S_RANGE
#define S_NOENT  IOASID_VIRTIO_IOMMU_S_NOENT
#define S_FAULT  IOASID_VIRTIO_IOMMU_S_FAULT
#define S_NOMEM  IOASID_VIRTIO_IOMMU_S_NOMEM

#define X(v) ((unsigned long long)(v))

#define VI_PROBE_SIZE_DEFAULT 512u
#define VI_PROBE_SIZE_MAX     (1u << 20)

static const uint32_t known_opts_flags =
	IOASID_VIRTIO_IOMMU_EXT_PGSIZE_MASK | IOASID_VIRTIO_IOMMU_EXT_FAULT | IOASID_VIRTIO_IOMMU_MMIO |
	IOASID_VIRTIO_IOMMU_BOOT_BYPASS | IOASID_VIRTIO_IOMMU_DOMAIN_RANGE | IOASID_VIRTIO_IOMMU_INPUT_RANGE;

/* ------------------------------------------------------------------------
 * iovec helpers
 */

size_t vi_iov_len(const struct iovec *iov, unsigned int cnt)
{
	size_t total = 0;
	unsigned int i;

	for (i = 0; i < cnt; i++)
		if (__builtin_add_overflow(total, iov[i].iov_len, &total))
			return SIZE_MAX;
	return total;
}

/* Copy between a flat buffer and the bytes of @iov from @off on. */
static size_t iov_copy(const struct iovec *iov, unsigned int cnt, size_t off,
		       uint8_t *buf, size_t len, bool to_iov)
{
	size_t done = 0;
	unsigned int i;

	for (i = 0; i < cnt && done < len; i++) {
		size_t seg = iov[i].iov_len, n;
		uint8_t *at;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		at = (uint8_t *)iov[i].iov_base + off;
		n = IOASID_MIN(seg - off, len - done);
		if (to_iov)
			memcpy(at, buf + done, n);
		else
			memcpy(buf + done, at, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t vi_iov_read(const struct iovec *iov, unsigned int cnt, size_t off,
		   void *dst, size_t len)
{
	return iov_copy(iov, cnt, off, dst, len, false);
}

size_t vi_iov_write(const struct iovec *iov, unsigned int cnt, size_t off,
		    const void *src, size_t len)
{
	/* iov_copy() only reads @src in this direction */
	return iov_copy(iov, cnt, off, (uint8_t *)(uintptr_t)src, len, true);
}

/* ------------------------------------------------------------------------
 * Status codes
 */

IOASID_EXPORT uint8_t ioasid_virtio_iommu_status_from_errno(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return S_OK;
	case EINVAL:
	case EEXIST:
		return S_INVAL;
	case EOPNOTSUPP:
	case EADDRINUSE:
		return S_UNSUPP;
	case ENOENT:
	case ENODEV:
		return S_NOENT;
	case ERANGE:
	case EOVERFLOW:
		return S_RANGE;
	case EFAULT:
	case EACCES:
		return S_FAULT;
	case ENOMEM:
	case ENOSPC:
	case EDQUOT:
		return S_NOMEM;
	case EBADMSG:
		return S_IOERR;
	default:
		return S_DEVERR;
	}
}

IOASID_EXPORT const char *ioasid_virtio_iommu_status_name(uint8_t status)
{
	static const char *const names[] = {
		"OK", "IOERR", "UNSUPP", "DEVERR", "INVAL", "RANGE", "NOENT", "FAULT", "NOMEM",
	};

	return status < ARRAY_SIZE(names) ? names[status] : NULL;
}

/*
 * Record why a request gets a status other than OK (the context's message,
 * so the VMM can log it) and return the status.
 */
uint8_t vi_fail(struct ioasid_virtio_iommu *v, uint8_t status, const char *fmt, ...)
{
	char msg[IOASID_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ioasid_err(v->ctx, -EINVAL, "virtio-iommu %s: %s", ioasid_virtio_iommu_status_name(status), msg);
	return status;
}

/* A failed library call: its message is kept, prefixed. */
static uint8_t vi_fail_lib(struct ioasid_virtio_iommu *v, uint8_t status, const char *what)
{
	char msg[IOASID_ERRMSG_MAX];

	snprintf(msg, sizeof(msg), "%s", ioasid_ctx_errmsg(v->ctx));
	return vi_fail(v, status, "%s: %s", what, msg);
}

/* ------------------------------------------------------------------------
 * Guest memory
 */

static int mem_cmp(const void *a, const void *b)
{
	const struct ioasid_virtio_iommu_mem *x = a, *y = b;

	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

/* Copy, sort and check a memory table. */
static int mem_import(struct ioasid_ctx *ctx, const struct ioasid_virtio_iommu_mem *mem, uint32_t nr,
		      struct ioasid_virtio_iommu_mem **ret)
{
	struct ioasid_virtio_iommu_mem *m;
	uint32_t i;

	*ret = NULL;
	if (!nr)
		return 0;
	if (!mem)
		return ioasid_err(ctx, -EINVAL, "virtio-iommu: %u memory regions at NULL", nr);
	m = ioasid_malloc(nr * sizeof(*m));
	if (!m)
		return ioasid_err(ctx, -ENOMEM, "virtio-iommu: out of memory for %u regions", nr);
	memcpy(m, mem, nr * sizeof(*m));
	qsort(m, nr, sizeof(*m), mem_cmp);
	for (i = 0; i < nr; i++) {
		uint64_t last;

		if (!m[i].size || !m[i].hva || (m[i].flags & ~IOASID_VIRTIO_IOMMU_MEM_MMIO) ||
		    m[i].__reserved ||
		    __builtin_add_overflow(m[i].gpa, m[i].size - 1, &last)) {
			ioasid_free(m);
			return ioasid_err(ctx, -EINVAL,
					  "virtio-iommu: memory region gpa 0x%llx size 0x%llx hva %p flags 0x%x is not valid",
					  X(mem[i].gpa), X(mem[i].size), mem[i].hva, mem[i].flags);
		}
		if (i && m[i - 1].gpa + m[i - 1].size - 1 >= m[i].gpa) {
			ioasid_err(ctx, -EINVAL,
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

static int vi_translate(struct ioasid_virtio_iommu *v, uint64_t gpa, uint64_t size, uint32_t flags,
			void **ret)
{
	if (v->translate)
		return v->translate(v->translate_data, gpa, size, flags, ret);
	return mem_translate(v, gpa, size, flags, ret);
}

/* Map (or unmap) the RAM regions of a table at IOVA = GPA in the bypass IOAS. */
static int bypass_map_region(struct ioasid_virtio_iommu *v, const struct ioasid_virtio_iommu_mem *r)
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

IOASID_EXPORT int ioasid_virtio_iommu_set_memory(struct ioasid_virtio_iommu *v,
					   const struct ioasid_virtio_iommu_mem *mem, uint32_t nr)
{
	struct ioasid_virtio_iommu_mem *m;
	uint32_t i, j;
	int err;

	if (!v)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	if (v->translate) {
		err = ioasid_err(v->ctx, -EINVAL,
				 "virtio-iommu: this virtio-iommu translates through a callback, not a table");
		goto out;
	}
	err = mem_import(v->ctx, mem, nr, &m);
	if (err)
		goto out;
	if (v->own_bypass) {
		/* the bypass IOAS follows: drop what went, add what came */
		for (i = 0; i < v->nr_mem; i++)
			if (!mem_in(m, nr, &v->mem[i]))
				bypass_unmap_region(v, &v->mem[i]);
		for (j = 0; j < nr; j++) {
			if (mem_in(v->mem, v->nr_mem, &m[j]))
				continue;
			err = bypass_map_region(v, &m[j]);
			if (err)
				break;
		}
		if (err) {
			/* undo: the old table stays, and so does its identity map */
			while (j-- > 0)
				if (!mem_in(v->mem, v->nr_mem, &m[j]))
					bypass_unmap_region(v, &m[j]);
			for (i = 0; i < v->nr_mem; i++)
				if (!mem_in(m, nr, &v->mem[i]))
					bypass_map_region(v, &v->mem[i]);
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

/* ------------------------------------------------------------------------
 * Endpoints and domains
 */

/*
 * Endpoints and domains are kept sorted by their virtio id (both structs
 * start with it): the index of the first one whose id is >= @id.
 */
static uint32_t id_index(const void *base, uint32_t n, size_t stride, uint32_t id)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2, at;

		memcpy(&at, (const uint8_t *)base + (size_t)mid * stride, sizeof(at));
		if (at < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

_Static_assert(offsetof(struct vi_endpoint, id) == 0, "id_index() needs the id first");
_Static_assert(offsetof(struct vi_domain, id) == 0, "id_index() needs the id first");

static uint32_t ep_index(const struct ioasid_virtio_iommu *v, uint32_t id)
{
	return id_index(v->eps, v->nr_eps, sizeof(*v->eps), id);
}

struct vi_endpoint *vi_ep_find(struct ioasid_virtio_iommu *v, uint32_t id)
{
	uint32_t i = ep_index(v, id);

	return i < v->nr_eps && v->eps[i].id == id ? &v->eps[i] : NULL;
}

struct vi_endpoint *vi_ep_by_dev(struct ioasid_virtio_iommu *v, uint32_t dev)
{
	uint32_t i;

	for (i = 0; i < v->nr_eps; i++)
		if (v->eps[i].dev == dev)
			return &v->eps[i];
	return NULL;
}

static uint32_t dom_index(const struct ioasid_virtio_iommu *v, uint32_t id)
{
	return id_index(v->doms, v->nr_doms, sizeof(*v->doms), id);
}

static struct vi_domain *dom_find(struct ioasid_virtio_iommu *v, uint32_t id)
{
	uint32_t i = dom_index(v, id);

	return i < v->nr_doms && v->doms[i].id == id ? &v->doms[i] : NULL;
}

/* Make room for a domain; the IOAS is made by the caller. */
static int dom_insert(struct ioasid_virtio_iommu *v, const struct vi_domain *d)
{
	uint32_t i;

	if (v->nr_doms == v->cap_doms) {
		uint32_t ncap = v->cap_doms ? 2 * v->cap_doms : 8;
		struct vi_domain *n = ioasid_realloc(v->doms, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		v->doms = n;
		v->cap_doms = ncap;
	}
	i = dom_index(v, d->id);
	memmove(&v->doms[i + 1], &v->doms[i], (v->nr_doms - i) * sizeof(*v->doms));
	v->doms[i] = *d;
	v->nr_doms++;
	return 0;
}

/* Destroy a domain's IOAS (never the shared bypass IOAS) and forget it. */
static int dom_remove(struct ioasid_virtio_iommu *v, uint32_t id)
{
	uint32_t i = dom_index(v, id);
	int err = 0;

	if (i >= v->nr_doms || v->doms[i].id != id)
		return 0;
	if (!v->doms[i].bypass)
		err = ioasid_ioas_destroy(v->ctx, v->doms[i].ioas);
	memmove(&v->doms[i], &v->doms[i + 1], (v->nr_doms - i - 1) * sizeof(*v->doms));
	v->nr_doms--;
	return err;
}

/* An endpoint left domain @id: the domain goes with its last endpoint. */
static void dom_put(struct ioasid_virtio_iommu *v, uint32_t id)
{
	struct vi_domain *d = dom_find(v, id);

	if (d && !--d->nr_eps && dom_remove(v, id))
		ioasid_log(v->ctx, IOASID_LOG_WARN,
			   "virtio-iommu: destroying the IOAS of domain %u: %s", id,
			   ioasid_ctx_errmsg(v->ctx));
}

static int new_ioas(struct ioasid_virtio_iommu *v, uint32_t *ret)
{
	return v->set ? ioasid_set_ioas_alloc(v->ctx, v->set, ret) : ioasid_ioas_alloc(v->ctx, ret);
}

/*
 * Attach the device of @ep (no PASID) to @target, or detach it when
 * @target is 0: replace when something is attached, so the device is never
 * left without a domain in between.
 */
static int ep_lib_move(struct ioasid_virtio_iommu *v, struct vi_endpoint *ep, uint32_t target)
{
	struct ioasid_attach_opts ao = { .sz = sizeof(struct ioasid_attach_opts), .set = v->set, .fault_queue = v->queue };
	int err;

	if (ep->lib_pt == target)
		return 0;
	if (!target) {
		err = ioasid_dev_detach(v->ctx, ep->dev, IOASID_PASID_NONE);
		if (err == -ENOENT)
			err = 0;
	} else if (ep->lib_pt) {
		err = ioasid_dev_replace(v->ctx, ep->dev, IOASID_PASID_NONE, target, &ao);
	} else {
		err = ioasid_dev_attach(v->ctx, ep->dev, IOASID_PASID_NONE, target, &ao);
	}
	if (!err)
		ep->lib_pt = target;
	return err;
}

bool vi_bypass_active(const struct ioasid_virtio_iommu *v)
{
	if (!v->bypass_ioas)
		return false;
	/* before negotiation, and with BYPASS_CONFIG, the config byte rules */
	if (!v->negotiated || (v->acked & IOASID_VIRTIO_IOMMU_F_BYPASS_CONFIG))
		return v->cfg.bypass;
	return v->acked & IOASID_VIRTIO_IOMMU_F_BYPASS;
}

/*
 * Put an endpoint that is in no domain where the config says: the bypass
 * IOAS, or the empty blocked IOAS (whose faults reach our queue). If that
 * fails the device is detached: blocked either way, never left mapped.
 */
static int ep_park(struct ioasid_virtio_iommu *v, struct vi_endpoint *ep)
{
	uint32_t target = vi_bypass_active(v) ? v->bypass_ioas : v->blocked_ioas;
	int err = ep_lib_move(v, ep, target);

	if (err) {
		char msg[IOASID_ERRMSG_MAX];

		snprintf(msg, sizeof(msg), "%s", ioasid_ctx_errmsg(v->ctx));
		ioasid_log(v->ctx, IOASID_LOG_WARN,
			   "virtio-iommu: endpoint %u: moving to IOAS %u: %s; detaching it", ep->id,
			   target, msg);
		if (ep_lib_move(v, ep, 0) == 0)
			ioasid_err(v->ctx, err, "virtio-iommu: endpoint %u: %s", ep->id, msg);
	}
	return err;
}

static int park_unattached(struct ioasid_virtio_iommu *v)
{
	int err = 0, e;
	uint32_t i;

	for (i = 0; i < v->nr_eps; i++) {
		if (v->eps[i].attached)
			continue;
		e = ep_park(v, &v->eps[i]);
		if (e && !err)
			err = e;
	}
	return err;
}

/* ------------------------------------------------------------------------
 * Config space
 */

static uint64_t host_page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (uint64_t)ps : 4096;
}

/* Page sizes, input range: what every endpoint can do, within the VMM's limits. */
static void config_compute(const struct ioasid_virtio_iommu *v, const struct vi_endpoint *extra,
			   uint64_t *ret_mask, uint64_t *ret_start, uint64_t *ret_end)
{
	uint64_t mask = v->pgsize_limit ? v->pgsize_limit : UINT64_MAX;
	uint64_t start = v->in_start, end = v->in_end;
	uint32_t i;

	for (i = 0; i < v->nr_eps; i++) {
		mask &= v->eps[i].pgsize;
		start = IOASID_MAX(start, v->eps[i].ap_start);
		end = IOASID_MIN(end, v->eps[i].ap_last);
	}
	if (extra) {
		mask &= extra->pgsize;
		start = IOASID_MAX(start, extra->ap_start);
		end = IOASID_MIN(end, extra->ap_last);
	}
	if (!v->nr_eps && !extra) {
		/* no endpoint yet: the host's page, if the VMM allows it */
		uint64_t hp = v->host_page;

		mask = v->pgsize_limit ? (v->pgsize_limit & hp ? hp : v->pgsize_limit &
								      -v->pgsize_limit) : hp;
	}
	*ret_mask = mask;
	*ret_start = start;
	*ret_end = end;
}

static void config_update(struct ioasid_virtio_iommu *v)
{
	config_compute(v, NULL, &v->cfg.page_size_mask, &v->cfg.input_start, &v->cfg.input_end);
}

static void config_image(const struct ioasid_virtio_iommu *v, uint8_t img[IOASID_VIRTIO_IOMMU_CONFIG_SIZE])
{
	memset(img, 0, IOASID_VIRTIO_IOMMU_CONFIG_SIZE);
	vi_put_le64(img + IOASID_VIRTIO_IOMMU_CFG_PAGE_SIZE_MASK, v->cfg.page_size_mask);
	vi_put_le64(img + IOASID_VIRTIO_IOMMU_CFG_INPUT_START, v->cfg.input_start);
	vi_put_le64(img + IOASID_VIRTIO_IOMMU_CFG_INPUT_END, v->cfg.input_end);
	vi_put_le32(img + IOASID_VIRTIO_IOMMU_CFG_DOMAIN_START, v->cfg.domain_start);
	vi_put_le32(img + IOASID_VIRTIO_IOMMU_CFG_DOMAIN_END, v->cfg.domain_end);
	vi_put_le32(img + IOASID_VIRTIO_IOMMU_CFG_PROBE_SIZE, v->cfg.probe_size);
	img[IOASID_VIRTIO_IOMMU_CFG_BYPASS] = v->cfg.bypass;
}

IOASID_EXPORT int ioasid_virtio_iommu_config(struct ioasid_virtio_iommu *v, struct ioasid_virtio_iommu_config *ret_config)
{
	if (!v || !ret_config)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	*ret_config = v->cfg;
	pthread_mutex_unlock(&v->lock);
	return 0;
}

IOASID_EXPORT int ioasid_virtio_iommu_config_read(struct ioasid_virtio_iommu *v, uint32_t offset, void *buf,
					    uint32_t len)
{
	uint8_t img[IOASID_VIRTIO_IOMMU_CONFIG_SIZE];

	if (!v || (!buf && len))
		return -EINVAL;
	if (offset > sizeof(img) || len > sizeof(img) - offset)
		return ioasid_err(v->ctx, -ERANGE,
				  "virtio-iommu: config read of %u bytes at %u is beyond its %zu bytes",
				  len, offset, sizeof(img));
	pthread_mutex_lock(&v->lock);
	config_image(v, img);
	pthread_mutex_unlock(&v->lock);
	memcpy(buf, img + offset, len);
	return 0;
}

IOASID_EXPORT int ioasid_virtio_iommu_config_write(struct ioasid_virtio_iommu *v, uint32_t offset,
					     const void *buf, uint32_t len)
{
	const uint8_t *b = buf;
	uint8_t val;
	int err = 0;

	if (!v || (!buf && len))
		return -EINVAL;
	if (offset > IOASID_VIRTIO_IOMMU_CONFIG_SIZE || len > IOASID_VIRTIO_IOMMU_CONFIG_SIZE - offset)
		return ioasid_err(v->ctx, -ERANGE,
				  "virtio-iommu: config write of %u bytes at %u is beyond its %u bytes",
				  len, offset, IOASID_VIRTIO_IOMMU_CONFIG_SIZE);
	if (!len)
		return 0;
	/* bypass and the reserved bytes after it (a wider access); nothing else */
	if (offset != IOASID_VIRTIO_IOMMU_CFG_BYPASS)
		return ioasid_err(v->ctx, -EPERM,
				  "virtio-iommu: config byte %u is read-only (only bypass, at %u, is writable)",
				  offset, IOASID_VIRTIO_IOMMU_CFG_BYPASS);
	val = b[0];
	pthread_mutex_lock(&v->lock);
	if (!vi_has(v, IOASID_VIRTIO_IOMMU_F_BYPASS_CONFIG)) {
		err = ioasid_err(v->ctx, -EPERM,
				 "virtio-iommu: bypass is writable only with VIRTIO_IOMMU_F_BYPASS_CONFIG negotiated");
	} else if (val > 1) {
		err = ioasid_err(v->ctx, -EINVAL, "virtio-iommu: bypass %u is not 0 or 1", val);
	} else if (val != v->cfg.bypass) {
		v->cfg.bypass = val;
		err = park_unattached(v);
	}
	pthread_mutex_unlock(&v->lock);
	return err;
}

/* ------------------------------------------------------------------------
 * Features
 */

static uint64_t offered_features(const struct ioasid_virtio_iommu *v)
{
	uint64_t f = IOASID_VIRTIO_IOMMU_F_INPUT_RANGE | IOASID_VIRTIO_IOMMU_F_DOMAIN_RANGE |
		     IOASID_VIRTIO_IOMMU_F_MAP_UNMAP | IOASID_VIRTIO_IOMMU_F_PROBE;

	if (v->flags & IOASID_VIRTIO_IOMMU_MMIO)
		f |= IOASID_VIRTIO_IOMMU_F_MMIO;
	if (v->bypass_ioas)
		f |= IOASID_VIRTIO_IOMMU_F_BYPASS | IOASID_VIRTIO_IOMMU_F_BYPASS_CONFIG;
	if (v->flags & IOASID_VIRTIO_IOMMU_EXT_PGSIZE_MASK)
		f |= IOASID_VIRTIO_IOMMU_F_PROBE_PGSIZE;
	if (v->flags & IOASID_VIRTIO_IOMMU_EXT_FAULT)
		f |= IOASID_VIRTIO_IOMMU_F_FAULT_EXT;
	return f;
}

IOASID_EXPORT uint64_t ioasid_virtio_iommu_device_features(struct ioasid_virtio_iommu *v)
{
	return v ? v->offered : 0;
}

IOASID_EXPORT int ioasid_virtio_iommu_set_driver_features(struct ioasid_virtio_iommu *v, uint64_t features)
{
	uint64_t dev_bits = features & VI_DEVICE_FEATURES_MASK;
	bool before;
	int err = 0;

	if (!v)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	if (dev_bits & ~v->offered) {
		err = ioasid_err(v->ctx, -EINVAL,
				 "virtio-iommu: the driver accepted feature bits 0x%llx the device did not offer (offered 0x%llx)",
				 X(dev_bits & ~v->offered), X(v->offered));
		goto out;
	}
	before = vi_bypass_active(v);
	v->acked = dev_bits;
	v->negotiated = true;
	if (vi_bypass_active(v) != before)
		err = park_unattached(v);
out:
	pthread_mutex_unlock(&v->lock);
	return err;
}

/* ------------------------------------------------------------------------
 * Creation and teardown
 */

IOASID_EXPORT int ioasid_virtio_iommu_new(struct ioasid_ctx *ctx, const struct ioasid_virtio_iommu_opts *opts,
				    struct ioasid_virtio_iommu **ret_dev)
{
	struct ioasid_virtio_iommu_opts o = { 0 };
	struct ioasid_virtio_iommu *v;
	uint32_t i;
	int err;

	if (!ctx || !opts || !ret_dev)
		return ctx ? ioasid_err(ctx, -EINVAL, "ioasid_virtio_iommu_new: NULL argument") : -EINVAL;
	*ret_dev = NULL;
	err = ioasid_opts_check(ctx, opts, opts->sz, sizeof(o), "struct ioasid_virtio_iommu_opts");
	if (err)
		return err;
	memcpy(&o, opts, IOASID_MIN(opts->sz, sizeof(o)));
	if (o.flags & ~known_opts_flags)
		return ioasid_err(ctx, -EINVAL, "ioasid_virtio_iommu_opts: unknown flags 0x%x",
				  o.flags & ~known_opts_flags);
	if (o.translate && (o.mem || o.nr_mem))
		return ioasid_err(ctx, -EINVAL,
				  "ioasid_virtio_iommu_opts: a translate callback and a memory table: give one");
	if ((o.flags & IOASID_VIRTIO_IOMMU_INPUT_RANGE) && o.input_start > o.input_end)
		return ioasid_err(ctx, -EINVAL, "ioasid_virtio_iommu_opts: input range [0x%llx, 0x%llx]",
				  X(o.input_start), X(o.input_end));
	if ((o.flags & IOASID_VIRTIO_IOMMU_DOMAIN_RANGE) && o.domain_start > o.domain_end)
		return ioasid_err(ctx, -EINVAL, "ioasid_virtio_iommu_opts: domain range [%u, %u]",
				  o.domain_start, o.domain_end);
	if (o.probe_size > VI_PROBE_SIZE_MAX)
		return ioasid_err(ctx, -EINVAL, "ioasid_virtio_iommu_opts: probe_size %u is above %u",
				  o.probe_size, VI_PROBE_SIZE_MAX);
	if ((o.flags & IOASID_VIRTIO_IOMMU_BOOT_BYPASS) && o.translate && !o.bypass_ioas)
		return ioasid_err(ctx, -EINVAL,
				  "ioasid_virtio_iommu_opts: BOOT_BYPASS, but no bypass IOAS (a translate callback and bypass_ioas 0)");
	if (o.bypass_ioas && ioasid_obj_kind(ctx, o.bypass_ioas) != IOASID_OBJ_IOAS)
		return ioasid_err(ctx, -ENOENT, "ioasid_virtio_iommu_opts: bypass_ioas %u is no IOAS",
				  o.bypass_ioas);

	v = ioasid_calloc(1, sizeof(*v));
	if (!v)
		return ioasid_err(ctx, -ENOMEM, "virtio-iommu: out of memory");
	pthread_mutex_init(&v->lock, NULL);
	v->ctx = ctx;
	v->flags = o.flags;
	v->set = o.set;
	v->translate = o.translate;
	v->translate_data = o.translate_data;
	v->host_page = host_page_size();
	v->pgsize_limit = o.page_size_mask;
	v->in_start = o.flags & IOASID_VIRTIO_IOMMU_INPUT_RANGE ? o.input_start : 0;
	v->in_end = o.flags & IOASID_VIRTIO_IOMMU_INPUT_RANGE ? o.input_end : UINT64_MAX;
	v->cfg.domain_start = o.flags & IOASID_VIRTIO_IOMMU_DOMAIN_RANGE ? o.domain_start : 0;
	v->cfg.domain_end = o.flags & IOASID_VIRTIO_IOMMU_DOMAIN_RANGE ? o.domain_end : UINT32_MAX;
	v->cfg.probe_size = o.probe_size ? o.probe_size : VI_PROBE_SIZE_DEFAULT;
	config_update(v);
	if (!o.translate) {
		err = mem_import(ctx, o.mem, o.nr_mem, &v->mem);
		if (err)
			goto fail;
		v->nr_mem = o.nr_mem;
	}
	v->probe_buf = ioasid_malloc(v->cfg.probe_size);
	if (!v->probe_buf) {
		err = ioasid_err(ctx, -ENOMEM, "virtio-iommu: out of memory for PROBE");
		goto fail;
	}
	if (o.set) {
		struct ioasid_fault_queue_opts qo = { .sz = sizeof(struct ioasid_fault_queue_opts), .set = o.set, .depth = o.fault_depth,
			    .timeout_ns = o.fault_timeout_ns };

		err = ioasid_fault_queue_alloc(ctx, &qo, &v->queue);
		if (err)
			goto fail;
		err = new_ioas(v, &v->blocked_ioas);
		if (err)
			goto fail;
	}
	if (o.bypass_ioas) {
		v->bypass_ioas = o.bypass_ioas;
	} else if (!o.translate) {
		err = new_ioas(v, &v->bypass_ioas);
		if (err)
			goto fail;
		v->own_bypass = true;
		for (i = 0; i < v->nr_mem && !err; i++)
			err = bypass_map_region(v, &v->mem[i]);
		if (err)
			goto fail;
	}
	v->boot_bypass = o.flags & IOASID_VIRTIO_IOMMU_BOOT_BYPASS;
	v->cfg.bypass = v->boot_bypass;
	v->offered = offered_features(v);
	*ret_dev = v;
	return 0;
fail:
	ioasid_virtio_iommu_free(v);
	return err;
}

static void ep_release(struct vi_endpoint *ep)
{
	ioasid_free(ep->resv);
	ep->resv = NULL;
}

IOASID_EXPORT void ioasid_virtio_iommu_free(struct ioasid_virtio_iommu *v)
{
	uint32_t i;

	if (!v)
		return;
	pthread_mutex_lock(&v->lock);
	vi_events_reset(v);
	for (i = 0; i < v->nr_eps; i++) {
		ep_lib_move(v, &v->eps[i], 0);
		ep_release(&v->eps[i]);
	}
	while (v->nr_doms)
		dom_remove(v, v->doms[v->nr_doms - 1].id);
	if (v->own_bypass && v->bypass_ioas)
		ioasid_ioas_destroy(v->ctx, v->bypass_ioas);
	if (v->blocked_ioas)
		ioasid_ioas_destroy(v->ctx, v->blocked_ioas);
	if (v->queue)
		ioasid_fault_queue_destroy(v->ctx, v->queue);
	ioasid_free(v->eps);
	ioasid_free(v->doms);
	ioasid_free(v->mem);
	ioasid_free(v->probe_buf);
	ioasid_free(v->ev);
	ioasid_free(v->groups);
	pthread_mutex_unlock(&v->lock);
	pthread_mutex_destroy(&v->lock);
	ioasid_free(v);
}

IOASID_EXPORT int ioasid_virtio_iommu_reset(struct ioasid_virtio_iommu *v)
{
	int err = 0, e;
	uint32_t i;

	if (!v)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	vi_events_reset(v);
	v->negotiated = false;
	v->acked = 0;
	v->cfg.bypass = v->boot_bypass;
	/* every endpoint off its domain first, then the domains can go */
	for (i = 0; i < v->nr_eps; i++) {
		v->eps[i].attached = false;
		e = ep_park(v, &v->eps[i]);
		if (e && !err)
			err = e;
	}
	while (v->nr_doms) {
		e = dom_remove(v, v->doms[v->nr_doms - 1].id);
		if (e && !err)
			err = e;
	}
	pthread_mutex_unlock(&v->lock);
	return err;
}

/* ------------------------------------------------------------------------
 * Endpoint registration
 */

/*
 * The aperture of a device: the hull of its usable IOVA ranges, grown over
 * reserved regions that touch it at either end (usable ranges are the
 * aperture minus reserved regions, caps.h), within its input width.
 */
static void ep_aperture(struct vi_endpoint *ep, const struct ioasid_cap_iova_range *r,
			uint32_t nr_r, const struct ioasid_cap_resv_region *resv,
			uint32_t nr_resv, uint32_t input_bits)
{
	uint64_t width_last = input_bits && input_bits < 64 ? (UINT64_C(1) << input_bits) - 1 :
							       UINT64_MAX;
	bool grown = true;
	uint32_t i;

	if (!nr_r) {
		ep->ap_start = 0;
		ep->ap_last = width_last;
		return;
	}
	ep->ap_start = r[0].start;
	ep->ap_last = r[nr_r - 1].last;
	while (grown) {
		grown = false;
		for (i = 0; i < nr_resv; i++) {
			if (resv[i].type == IOASID_RESV_DIRECT_RELAXABLE)
				continue;
			if (ep->ap_start && resv[i].last == ep->ap_start - 1 &&
			    resv[i].start < ep->ap_start) {
				ep->ap_start = resv[i].start;
				grown = true;
			}
			if (ep->ap_last != UINT64_MAX && resv[i].start == ep->ap_last + 1 &&
			    resv[i].last > ep->ap_last) {
				ep->ap_last = resv[i].last;
				grown = true;
			}
		}
	}
	ep->ap_last = IOASID_MIN(ep->ap_last, width_last);
}

/*
 * What PROBE reports for a device reserved region. MSI and software MSI
 * windows become subtype MSI: the device's MSI writes land in a window
 * the host manages, so the guest must neither map there nor map a doorbell
 * of its own. Relaxable direct regions bind nothing (the kernel skips them
 * too) and are left out.
 */
static int resv_subtype(uint32_t type)
{
	switch (type) {
	case IOASID_RESV_MSI:
	case IOASID_RESV_SW_MSI:
		return IOASID_VIRTIO_IOMMU_RESV_MEM_T_MSI;
	case IOASID_RESV_DIRECT_RELAXABLE:
		return -1;
	default:
		return IOASID_VIRTIO_IOMMU_RESV_MEM_T_RESERVED;
	}
}

/* Read a device's page sizes, aperture and reserved regions from its chain. */
static int ep_from_caps(struct ioasid_virtio_iommu *v, struct vi_endpoint *ep,
			const struct ioasid_virtio_iommu_endpoint_opts *o)
{
	struct ioasid_cap_iova_range *ranges = NULL;
	struct ioasid_cap_resv_region *resv = NULL;
	struct ioasid_cap_page_sizes ps;
	struct ioasid_cap_addr_width aw;
	uint32_t nr_ranges = 0, nr_resv = 0, input_bits = 0, i, n;
	char msg[128];
	size_t len = 0;
	void *buf = NULL;
	int err;

	/* a real buffer for the size query: some versions memcpy() to it even at length 0 */
	err = ioasid_dev_info(v->ctx, ep->dev, msg, sizeof(struct ioasid_info_hdr), &len);
	if (err && err != -EMSGSIZE)
		return err;
	buf = ioasid_malloc(len);
	if (!buf)
		return ioasid_err(v->ctx, -ENOMEM, "virtio-iommu: out of memory for a chain");
	err = ioasid_dev_info(v->ctx, ep->dev, buf, len, &len);
	if (err)
		goto out;
	err = ioasid_caps_get(buf, len, 0, IOASID_CAP_PAGE_SIZES, &ps, sizeof(ps), NULL);
	if (err) {
		err = err == -ENOENT ?
			ioasid_err(v->ctx, -EINVAL, "virtio-iommu: device %u has no page sizes: no PAGE_SIZES capability", ep->dev) :
			ioasid_err_prefix(v->ctx, -EINVAL, "virtio-iommu: device %u has no page sizes", ep->dev);
		goto out;
	}
	if (!ioasid_caps_get(buf, len, 0, IOASID_CAP_ADDR_WIDTH, &aw, sizeof(aw), NULL))
		input_bits = aw.input_bits;
	err = ioasid_caps_get_array(buf, len, 0, IOASID_CAP_IOVA_RANGES, NULL, 0, &nr_ranges);
	if (!err && nr_ranges) {
		ranges = ioasid_calloc(nr_ranges, sizeof(*ranges));
		if (!ranges) {
			err = ioasid_err(v->ctx, -ENOMEM, "virtio-iommu: out of memory");
			goto out;
		}
		err = ioasid_caps_get_array(buf, len, 0, IOASID_CAP_IOVA_RANGES, ranges,
					    nr_ranges, &nr_ranges);
	}
	if (err == -ENOENT)
		nr_ranges = 0;
	else if (err)
		goto bad_chain;
	err = ioasid_caps_get_array(buf, len, 0, IOASID_CAP_RESV_REGIONS, NULL, 0, &nr_resv);
	if (!err && nr_resv) {
		resv = ioasid_calloc(nr_resv, sizeof(*resv));
		if (!resv) {
			err = ioasid_err(v->ctx, -ENOMEM, "virtio-iommu: out of memory");
			goto out;
		}
		err = ioasid_caps_get_array(buf, len, 0, IOASID_CAP_RESV_REGIONS, resv, nr_resv,
					    &nr_resv);
	}
	if (err == -ENOENT)
		nr_resv = 0;
	else if (err)
		goto bad_chain;
	err = 0;

	ep->pgsize = ps.bitmap & (v->pgsize_limit ? v->pgsize_limit : UINT64_MAX);
	if (!ep->pgsize) {
		err = ioasid_err(v->ctx, -EINVAL,
				 "virtio-iommu: device %u: page sizes 0x%llx, none of them allowed by the VMM's mask 0x%llx",
				 ep->dev, X(ps.bitmap), X(v->pgsize_limit));
		goto out;
	}
	ep_aperture(ep, ranges, nr_ranges, resv, nr_resv, input_bits);

	ep->resv = ioasid_calloc(nr_resv + (o ? o->nr_resv : 0) + 1, sizeof(*ep->resv));
	if (!ep->resv) {
		err = ioasid_err(v->ctx, -ENOMEM, "virtio-iommu: out of memory");
		goto out;
	}
	for (i = 0, n = 0; i < nr_resv; i++) {
		int st = resv_subtype(resv[i].type);

		if (st < 0)
			continue;
		ep->resv[n].start = resv[i].start;
		ep->resv[n].end = resv[i].last;
		ep->resv[n].subtype = (uint8_t)st;
		n++;
	}
	for (i = 0; o && i < o->nr_resv; i++)
		ep->resv[n++] = o->resv[i];
	ep->nr_resv = n;
	goto out;
bad_chain:
	err = ioasid_err(v->ctx, err, "virtio-iommu: the chain of device %u is malformed", ep->dev);
out:
	ioasid_free(ranges);
	ioasid_free(resv);
	ioasid_free(buf);
	return err;
}

IOASID_EXPORT int ioasid_virtio_iommu_endpoint_add(struct ioasid_virtio_iommu *v, uint32_t endpoint,
					     uint32_t dev,
					     const struct ioasid_virtio_iommu_endpoint_opts *opts)
{
	struct ioasid_virtio_iommu_endpoint_opts o = { 0 };
	struct vi_endpoint ep = { 0 };
	uint64_t mask, start, end;
	uint32_t i, pt;
	int err;

	if (!v)
		return -EINVAL;
	if (opts) {
		err = ioasid_opts_check(v->ctx, opts, opts->sz, sizeof(o),
					"struct ioasid_virtio_iommu_endpoint_opts");
		if (err)
			return err;
		memcpy(&o, opts, IOASID_MIN(opts->sz, sizeof(o)));
		if (o.flags)
			return ioasid_err(v->ctx, -EINVAL,
					  "ioasid_virtio_iommu_endpoint_opts: unknown flags 0x%x", o.flags);
		if (o.nr_resv && !o.resv)
			return ioasid_err(v->ctx, -EINVAL,
					  "ioasid_virtio_iommu_endpoint_opts: %u regions at NULL", o.nr_resv);
		for (i = 0; i < o.nr_resv; i++)
			if (o.resv[i].start > o.resv[i].end ||
			    o.resv[i].subtype > IOASID_VIRTIO_IOMMU_RESV_MEM_T_MSI)
				return ioasid_err(v->ctx, -EINVAL,
						  "ioasid_virtio_iommu_endpoint_opts: region %u [0x%llx, 0x%llx] subtype %u",
						  i, X(o.resv[i].start), X(o.resv[i].end),
						  o.resv[i].subtype);
	}
	if (ioasid_obj_kind(v->ctx, dev) != IOASID_OBJ_DEV)
		return ioasid_err(v->ctx, -ENOENT, "virtio-iommu: %u is no bound device", dev);
	pthread_mutex_lock(&v->lock);
	if (vi_ep_find(v, endpoint)) {
		err = ioasid_err(v->ctx, -EEXIST, "virtio-iommu: endpoint %u is registered already",
				 endpoint);
		goto out;
	}
	if (vi_ep_by_dev(v, dev)) {
		err = ioasid_err(v->ctx, -EEXIST,
				 "virtio-iommu: device %u is endpoint %u already", dev,
				 vi_ep_by_dev(v, dev)->id);
		goto out;
	}
	ep.id = endpoint;
	ep.dev = dev;
	err = ep_from_caps(v, &ep, opts ? &o : NULL);
	if (err)
		goto out;
	config_compute(v, &ep, &mask, &start, &end);
	if (!mask || start > end) {
		err = ioasid_err(v->ctx, -EINVAL,
				 "virtio-iommu: endpoint %u (device %u, page sizes 0x%llx, aperture [0x%llx, 0x%llx]) leaves %s",
				 endpoint, dev, X(ep.pgsize), X(ep.ap_start), X(ep.ap_last),
				 !mask ? "no page size every endpoint has" :
					 "no input range every endpoint has");
		goto fail;
	}
	if (v->nr_eps == v->cap_eps) {
		uint32_t ncap = v->cap_eps ? 2 * v->cap_eps : 8;
		struct vi_endpoint *n = ioasid_realloc(v->eps, ncap * sizeof(*n));

		if (!n) {
			err = ioasid_err(v->ctx, -ENOMEM, "virtio-iommu: out of memory");
			goto fail;
		}
		v->eps = n;
		v->cap_eps = ncap;
	}
	/* take over whatever the VMM attached; park it as the config says */
	if (!ioasid_dev_attached(v->ctx, dev, IOASID_PASID_NONE, &pt))
		ep.lib_pt = pt;
	err = ep_park(v, &ep);
	if (err)
		goto fail;
	i = ep_index(v, endpoint);
	memmove(&v->eps[i + 1], &v->eps[i], (v->nr_eps - i) * sizeof(*v->eps));
	v->eps[i] = ep;
	v->nr_eps++;
	config_update(v);
	goto out;
fail:
	ep_release(&ep);
out:
	pthread_mutex_unlock(&v->lock);
	return err;
}

IOASID_EXPORT int ioasid_virtio_iommu_endpoint_del(struct ioasid_virtio_iommu *v, uint32_t endpoint)
{
	struct vi_endpoint *ep;
	uint32_t i;
	int err = 0;

	if (!v)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	ep = vi_ep_find(v, endpoint);
	if (!ep) {
		err = ioasid_err(v->ctx, -ENOENT, "virtio-iommu: no endpoint %u", endpoint);
		goto out;
	}
	ep_lib_move(v, ep, 0);
	vi_events_forget_endpoint(v, endpoint);
	if (ep->attached)
		dom_put(v, ep->domain);
	ep = vi_ep_find(v, endpoint);
	ep_release(ep);
	i = (uint32_t)(ep - v->eps);
	memmove(&v->eps[i], &v->eps[i + 1], (v->nr_eps - i - 1) * sizeof(*v->eps));
	v->nr_eps--;
	config_update(v);
out:
	pthread_mutex_unlock(&v->lock);
	return err;
}

/* ------------------------------------------------------------------------
 * Requests
 */

static bool domain_in_range(const struct ioasid_virtio_iommu *v, uint32_t domain)
{
	return domain >= v->cfg.domain_start && domain <= v->cfg.domain_end;
}

static bool zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* The page sizes an endpoint shows the guest: its own with the extension. */
static uint64_t ep_visible_pgsize(const struct ioasid_virtio_iommu *v, const struct vi_endpoint *ep)
{
	return vi_has(v, IOASID_VIRTIO_IOMMU_F_PROBE_PGSIZE) ? ep->pgsize : v->cfg.page_size_mask;
}

/* The library's errno for an attach, as a status: a refusal is UNSUPP. */
static uint8_t attach_status(int err)
{
	switch (err) {
	case -EINVAL:
	case -EADDRINUSE:
	case -EOPNOTSUPP:
		return S_UNSUPP;
	default:
		return ioasid_virtio_iommu_status_from_errno(err);
	}
}

static uint8_t do_attach(struct ioasid_virtio_iommu *v, const uint8_t *req)
{
	uint32_t domain = vi_le32(req + 4), endpoint = vi_le32(req + 8), flags = vi_le32(req + 12);
	uint32_t allowed = vi_has(v, IOASID_VIRTIO_IOMMU_F_BYPASS_CONFIG) ?
		IOASID_VIRTIO_IOMMU_ATTACH_F_BYPASS : 0;
	bool bypass = flags & IOASID_VIRTIO_IOMMU_ATTACH_F_BYPASS, created = false;
	struct vi_endpoint *ep;
	struct vi_domain *d, nd;
	int err;

	if (!zero(req + 16, 4))
		return vi_fail(v, S_INVAL, "ATTACH: reserved bytes are not zero");
	if (flags & ~allowed)
		return vi_fail(v, S_INVAL, "ATTACH: unknown flags 0x%x", flags & ~allowed);
	if (!domain_in_range(v, domain))
		return vi_fail(v, S_RANGE, "ATTACH: domain %u is outside [%u, %u]", domain,
			       v->cfg.domain_start, v->cfg.domain_end);
	ep = vi_ep_find(v, endpoint);
	if (!ep)
		return vi_fail(v, S_NOENT, "ATTACH: no endpoint %u", endpoint);
	d = dom_find(v, domain);
	if (d && d->bypass != bypass)
		return vi_fail(v, S_INVAL, "ATTACH: domain %u is %sa bypass domain", domain,
			       d->bypass ? "" : "not ");
	if (ep->attached && ep->domain == domain)
		return S_OK;
	/*
	 * The domain's page sizes are what its first endpoint showed the
	 * guest: an endpoint lacking one of them cannot join (the guest may
	 * map with it); one with more sizes can.
	 */
	if (d && !bypass && (ep->pgsize & d->pgsize) != d->pgsize)
		return vi_fail(v, S_UNSUPP,
			       "ATTACH: endpoint %u (page sizes 0x%llx) lacks page sizes 0x%llx of domain %u",
			       endpoint, X(ep->pgsize), X(d->pgsize & ~ep->pgsize), domain);
	if (!d) {
		nd = (struct vi_domain){ .id = domain, .bypass = bypass,
					 .pgsize = ep_visible_pgsize(v, ep) };
		if (bypass) {
			nd.ioas = v->bypass_ioas;
		} else {
			err = new_ioas(v, &nd.ioas);
			if (err)
				return vi_fail_lib(v, ioasid_virtio_iommu_status_from_errno(err),
						   "ATTACH: a new domain");
		}
		if (dom_insert(v, &nd)) {
			if (!bypass)
				ioasid_ioas_destroy(v->ctx, nd.ioas);
			return vi_fail(v, S_NOMEM, "ATTACH: out of memory for domain %u", domain);
		}
		created = true;
		d = dom_find(v, domain);
	}
	err = ep_lib_move(v, ep, d->ioas);
	if (err) {
		uint8_t st = vi_fail_lib(v, attach_status(err), "ATTACH");

		if (created)
			dom_remove(v, domain);
		return st;
	}
	d->nr_eps++;
	vi_events_forget_endpoint(v, endpoint);
	if (ep->attached)
		dom_put(v, ep->domain); /* may move the array: d is not used after */
	ep->attached = true;
	ep->domain = domain;
	return S_OK;
}

static uint8_t do_detach(struct ioasid_virtio_iommu *v, const uint8_t *req)
{
	uint32_t domain = vi_le32(req + 4), endpoint = vi_le32(req + 8);
	struct vi_endpoint *ep;

	if (!zero(req + 12, 8))
		return vi_fail(v, S_INVAL, "DETACH: reserved bytes are not zero");
	if (!domain_in_range(v, domain))
		return vi_fail(v, S_RANGE, "DETACH: domain %u is outside [%u, %u]", domain,
			       v->cfg.domain_start, v->cfg.domain_end);
	ep = vi_ep_find(v, endpoint);
	if (!ep)
		return vi_fail(v, S_NOENT, "DETACH: no endpoint %u", endpoint);
	if (!dom_find(v, domain))
		return vi_fail(v, S_NOENT, "DETACH: no domain %u", domain);
	if (!ep->attached || ep->domain != domain)
		return vi_fail(v, S_INVAL, "DETACH: endpoint %u is not attached to domain %u",
			       endpoint, domain);
	/* parking falls back to detaching the device: it leaves either way */
	ep_park(v, ep);
	if (ep->lib_pt && ep->lib_pt != v->bypass_ioas && ep->lib_pt != v->blocked_ioas)
		return vi_fail_lib(v, S_DEVERR, "DETACH");
	vi_events_forget_endpoint(v, endpoint);
	ep->attached = false;
	dom_put(v, domain);
	return S_OK;
}

/* MAP's libioasid errors: overlap is INVAL, anything outside the usable space RANGE. */
static uint8_t map_status(int err)
{
	switch (err) {
	case -EEXIST:
		return S_INVAL;
	case -EINVAL:
	case -EOVERFLOW:
		return S_RANGE;
	default:
		return ioasid_virtio_iommu_status_from_errno(err);
	}
}

static uint8_t do_map(struct ioasid_virtio_iommu *v, const uint8_t *req)
{
	const uint32_t known = IOASID_VIRTIO_IOMMU_MAP_F_READ | IOASID_VIRTIO_IOMMU_MAP_F_WRITE |
			       IOASID_VIRTIO_IOMMU_MAP_F_MMIO;
	uint32_t domain = vi_le32(req + 4), flags = vi_le32(req + 32), lflags, mflags;
	uint64_t vstart = vi_le64(req + 8), vend = vi_le64(req + 16), pstart = vi_le64(req + 24);
	uint64_t gran, len, plast, iova, hp;
	struct vi_domain *d;
	void *hva;
	int err;

	if (!vi_has(v, IOASID_VIRTIO_IOMMU_F_MAP_UNMAP))
		return vi_fail(v, S_UNSUPP, "MAP: VIRTIO_IOMMU_F_MAP_UNMAP is not negotiated");
	if (!domain_in_range(v, domain))
		return vi_fail(v, S_RANGE, "MAP: domain %u is outside [%u, %u]", domain,
			       v->cfg.domain_start, v->cfg.domain_end);
	if (flags & ~known)
		return vi_fail(v, S_INVAL, "MAP: unknown flags 0x%x", flags & ~known);
	if ((flags & IOASID_VIRTIO_IOMMU_MAP_F_MMIO) && !vi_has(v, IOASID_VIRTIO_IOMMU_F_MMIO))
		return vi_fail(v, S_UNSUPP, "MAP: MMIO flag without VIRTIO_IOMMU_F_MMIO");
	d = dom_find(v, domain);
	if (!d)
		return vi_fail(v, S_NOENT, "MAP: no domain %u", domain);
	if (d->bypass)
		return vi_fail(v, S_INVAL, "MAP: domain %u is a bypass domain", domain);
	if (vend < vstart)
		return vi_fail(v, S_INVAL, "MAP: virt_end 0x%llx is below virt_start 0x%llx",
			       X(vend), X(vstart));
	gran = d->pgsize & -d->pgsize;
	if ((vstart | pstart | (vend + 1)) & (gran - 1))
		return vi_fail(v, S_RANGE,
			       "MAP: [0x%llx, 0x%llx] -> 0x%llx is not aligned to the granule 0x%llx of domain %u",
			       X(vstart), X(vend), X(pstart), X(gran), domain);
	len = vend - vstart + 1;
	if (!len || vstart < v->cfg.input_start || vend > v->cfg.input_end)
		return vi_fail(v, S_RANGE, "MAP: [0x%llx, 0x%llx] is outside the input range [0x%llx, 0x%llx]",
			       X(vstart), X(vend), X(v->cfg.input_start), X(v->cfg.input_end));
	if (__builtin_add_overflow(pstart, len - 1, &plast))
		return vi_fail(v, S_RANGE, "MAP: phys 0x%llx + 0x%llx wraps", X(pstart), X(len));
	if (!(flags & (IOASID_VIRTIO_IOMMU_MAP_F_READ | IOASID_VIRTIO_IOMMU_MAP_F_WRITE)))
		return vi_fail(v, S_UNSUPP, "MAP: a mapping without READ or WRITE");
	mflags = flags & IOASID_VIRTIO_IOMMU_MAP_F_MMIO ? IOASID_VIRTIO_IOMMU_MEM_MMIO : 0;
	if (vi_translate(v, pstart, len, mflags, &hva))
		return vi_fail(v, S_FAULT, "MAP: guest-physical [0x%llx, 0x%llx] is not %s",
			       X(pstart), X(plast), mflags ? "device memory" : "guest memory");
	hp = v->host_page;
	if ((uintptr_t)hva & (IOASID_MIN(gran, hp) - 1))
		return vi_fail(v, S_DEVERR, "MAP: guest-physical 0x%llx lives at %p, not aligned to 0x%llx",
			       X(pstart), hva, X(IOASID_MIN(gran, hp)));
	lflags = IOASID_MAP_FIXED_IOVA |
		 (flags & IOASID_VIRTIO_IOMMU_MAP_F_READ ? IOASID_MAP_READ : 0) |
		 (flags & IOASID_VIRTIO_IOMMU_MAP_F_WRITE ? IOASID_MAP_WRITE : 0);
	iova = vstart;
	err = ioasid_ioas_map(v->ctx, d->ioas, hva, len, lflags, &iova);
	if (err)
		return vi_fail_lib(v, map_status(err), "MAP");
	return S_OK;
}

/* Does a mapping of @ioas contain @iova and reach outside [first, last]? */
static bool straddles(struct ioasid_virtio_iommu *v, uint32_t ioas, uint64_t iova, uint64_t first,
		      uint64_t last)
{
	struct ioasid_mapping m;

	if (ioasid_ioas_lookup(v->ctx, ioas, iova, &m))
		return false;
	return m.iova < first || m.iova + (m.length - 1) > last;
}

static uint8_t do_unmap(struct ioasid_virtio_iommu *v, const uint8_t *req)
{
	uint32_t domain = vi_le32(req + 4);
	uint64_t vstart = vi_le64(req + 8), vend = vi_le64(req + 16), len;
	struct vi_domain *d;
	int err;

	if (!vi_has(v, IOASID_VIRTIO_IOMMU_F_MAP_UNMAP))
		return vi_fail(v, S_UNSUPP, "UNMAP: VIRTIO_IOMMU_F_MAP_UNMAP is not negotiated");
	if (!zero(req + 24, 4))
		return vi_fail(v, S_INVAL, "UNMAP: reserved bytes are not zero");
	if (!domain_in_range(v, domain))
		return vi_fail(v, S_RANGE, "UNMAP: domain %u is outside [%u, %u]", domain,
			       v->cfg.domain_start, v->cfg.domain_end);
	d = dom_find(v, domain);
	if (!d)
		return vi_fail(v, S_NOENT, "UNMAP: no domain %u", domain);
	if (d->bypass)
		return vi_fail(v, S_INVAL, "UNMAP: domain %u is a bypass domain", domain);
	if (vend < vstart)
		return vi_fail(v, S_INVAL, "UNMAP: virt_end 0x%llx is below virt_start 0x%llx",
			       X(vend), X(vstart));
	len = vend - vstart + 1;
	/*
	 * The library takes (0, UINT64_MAX) as "everything" and no other
	 * length of 2^64 - 1: the two ranges of that length are decided here.
	 */
	if (!len || len == UINT64_MAX) {
		if (len && straddles(v, d->ioas, vstart ? 0 : UINT64_MAX, vstart, vend))
			goto range;
		err = ioasid_ioas_unmap(v->ctx, d->ioas, 0, UINT64_MAX, NULL);
		return err ? vi_fail_lib(v, ioasid_virtio_iommu_status_from_errno(err), "UNMAP") : S_OK;
	}
	/* the common case costs one call; only a refusal needs a closer look */
	err = ioasid_ioas_unmap(v->ctx, d->ioas, vstart, len, NULL);
	if (!err)
		return S_OK;
	if (err != -ENOENT)
		return vi_fail_lib(v, ioasid_virtio_iommu_status_from_errno(err), "UNMAP");
	if (straddles(v, d->ioas, vstart, vstart, vend) || straddles(v, d->ioas, vend, vstart, vend))
		goto range;
	return S_OK; /* nothing mapped there: gaps are fine */
range:
	return vi_fail(v, S_RANGE, "UNMAP: [0x%llx, 0x%llx] of domain %u would split a mapping",
		       X(vstart), X(vend), domain);
}

static uint8_t do_probe(struct ioasid_virtio_iommu *v, const uint8_t *req)
{
	uint32_t endpoint = vi_le32(req + 4);
	struct vi_endpoint *ep;

	if (!vi_has(v, IOASID_VIRTIO_IOMMU_F_PROBE))
		return vi_fail(v, S_UNSUPP, "PROBE: VIRTIO_IOMMU_F_PROBE is not negotiated");
	if (!zero(req + 8, 64))
		return vi_fail(v, S_INVAL, "PROBE: reserved bytes are not zero");
	ep = vi_ep_find(v, endpoint);
	if (!ep)
		return vi_fail(v, S_NOENT, "PROBE: no endpoint %u", endpoint);
	return vi_probe_fill(v, ep);
}

/* Device-readable bytes of each request type; 0 = unknown to this device. */
static size_t readable_size(const struct ioasid_virtio_iommu *v, uint8_t type)
{
	switch (type) {
	case IOASID_VIRTIO_IOMMU_T_ATTACH:
	case IOASID_VIRTIO_IOMMU_T_DETACH:
		return 20;
	case IOASID_VIRTIO_IOMMU_T_MAP:
		return 36;
	case IOASID_VIRTIO_IOMMU_T_UNMAP:
		return 28;
	case IOASID_VIRTIO_IOMMU_T_PROBE:
		return 72;
	case IOASID_VIRTIO_IOMMU_T_PAGE_RESP:
		return vi_has(v, IOASID_VIRTIO_IOMMU_F_FAULT_EXT) ? 24 : 0;
	default:
		return 0;
	}
}

static const char *type_name(uint8_t type)
{
	switch (type) {
	case IOASID_VIRTIO_IOMMU_T_ATTACH: return "ATTACH";
	case IOASID_VIRTIO_IOMMU_T_DETACH: return "DETACH";
	case IOASID_VIRTIO_IOMMU_T_MAP: return "MAP";
	case IOASID_VIRTIO_IOMMU_T_UNMAP: return "UNMAP";
	case IOASID_VIRTIO_IOMMU_T_PROBE: return "PROBE";
	case IOASID_VIRTIO_IOMMU_T_PAGE_RESP: return "PAGE_RESP";
	default: return "?";
	}
}

IOASID_EXPORT int ioasid_virtio_iommu_request(struct ioasid_virtio_iommu *v, const struct iovec *rd,
					unsigned int nr_rd, const struct iovec *wr,
					unsigned int nr_wr, size_t *ret_used)
{
	uint8_t req[72], tail[IOASID_VIRTIO_IOMMU_TAIL_SIZE] = { 0 };
	size_t got, need = 0, rd_len, wr_len, tail_off = 0;
	uint8_t type = 0, status;
	bool probe;

	if (!v || !ret_used || (!rd && nr_rd) || (!wr && nr_wr))
		return v ? ioasid_err(v->ctx, -EINVAL, "ioasid_virtio_iommu_request: NULL argument") :
			   -EINVAL;
	*ret_used = 0;
	pthread_mutex_lock(&v->lock);
	rd_len = vi_iov_len(rd, nr_rd);
	wr_len = vi_iov_len(wr, nr_wr);
	got = vi_iov_read(rd, nr_rd, 0, req, IOASID_VIRTIO_IOMMU_HEAD_SIZE);
	if (got) {
		type = req[0];
		need = readable_size(v, type);
		if (!need) {
			/* the spec's answer: the buffer goes back unwritten */
			v->st.unknown++;
			pthread_mutex_unlock(&v->lock);
			return ioasid_err(v->ctx, -EOPNOTSUPP,
					  "virtio-iommu: unknown request type %u: returned unwritten",
					  type);
		}
	}
	probe = type == IOASID_VIRTIO_IOMMU_T_PROBE;
	if (probe)
		tail_off = v->cfg.probe_size;
	if (wr_len < tail_off + IOASID_VIRTIO_IOMMU_TAIL_SIZE) {
		pthread_mutex_unlock(&v->lock);
		return ioasid_err(v->ctx, -EMSGSIZE,
				  "virtio-iommu: %s request with %zu device-writable bytes: its tail goes at byte %zu",
				  got ? type_name(type) : "empty", wr_len, tail_off);
	}
	if (got < IOASID_VIRTIO_IOMMU_HEAD_SIZE || rd_len < need) {
		/* not a whole request: a transport problem, not a bad parameter */
		status = vi_fail(v, S_IOERR,
				 "%s request has %zu device-readable bytes; its layout needs %zu",
				 got ? type_name(type) : "empty", rd_len,
				 need ? need : (size_t)IOASID_VIRTIO_IOMMU_HEAD_SIZE);
	} else {
		vi_iov_read(rd, nr_rd, 0, req, need);
		if (!zero(req + 1, 3)) {
			status = vi_fail(v, S_INVAL, "%s: reserved bytes of the head are not zero",
					 type_name(type));
		} else {
			switch (type) {
			case IOASID_VIRTIO_IOMMU_T_ATTACH:
				status = do_attach(v, req);
				break;
			case IOASID_VIRTIO_IOMMU_T_DETACH:
				status = do_detach(v, req);
				break;
			case IOASID_VIRTIO_IOMMU_T_MAP:
				status = do_map(v, req);
				break;
			case IOASID_VIRTIO_IOMMU_T_UNMAP:
				status = do_unmap(v, req);
				break;
			case IOASID_VIRTIO_IOMMU_T_PROBE:
				status = do_probe(v, req);
				break;
			default:
				status = vi_page_resp(v, req);
				break;
			}
		}
	}
	if (probe) {
		/* properties then tail; a failed PROBE reports no property */
		if (status != S_OK)
			memset(v->probe_buf, 0, tail_off);
		vi_iov_write(wr, nr_wr, 0, v->probe_buf, tail_off);
	}
	tail[0] = status;
	vi_iov_write(wr, nr_wr, tail_off, tail, sizeof(tail));
	*ret_used = tail_off + sizeof(tail);
	v->st.requests++;
	v->st.status[status]++;
	pthread_mutex_unlock(&v->lock);
	return 0;
}

IOASID_EXPORT int ioasid_virtio_iommu_request_buf(struct ioasid_virtio_iommu *v, const void *req,
					    size_t req_len, void *resp, size_t resp_len,
					    size_t *ret_used)
{
	struct iovec rd = { .iov_base = (void *)req, .iov_len = req_len };
	struct iovec wr = { .iov_base = resp, .iov_len = resp_len };

	if ((!req && req_len) || (!resp && resp_len))
		return v ? ioasid_err(v->ctx, -EINVAL, "ioasid_virtio_iommu_request_buf: NULL buffer") :
			   -EINVAL;
	return ioasid_virtio_iommu_request(v, &rd, 1, &wr, 1, ret_used);
}

/* ------------------------------------------------------------------------
 * Queries
 */

IOASID_EXPORT int ioasid_virtio_iommu_domain_ioas(struct ioasid_virtio_iommu *v, uint32_t domain,
					    uint32_t *ret_ioas)
{
	struct vi_domain *d;
	int err = 0;

	if (!v || !ret_ioas)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	d = dom_find(v, domain);
	if (d)
		*ret_ioas = d->ioas;
	else
		err = ioasid_err(v->ctx, -ENOENT, "virtio-iommu: no domain %u", domain);
	pthread_mutex_unlock(&v->lock);
	return err;
}

IOASID_EXPORT int ioasid_virtio_iommu_endpoint_domain(struct ioasid_virtio_iommu *v, uint32_t endpoint,
						uint32_t *ret_domain)
{
	struct vi_endpoint *ep;
	int err = 0;

	if (!v || !ret_domain)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	ep = vi_ep_find(v, endpoint);
	if (!ep)
		err = ioasid_err(v->ctx, -ENOENT, "virtio-iommu: no endpoint %u", endpoint);
	else if (!ep->attached)
		err = ioasid_err(v->ctx, -ENOENT, "virtio-iommu: endpoint %u is in no domain",
				 endpoint);
	else
		*ret_domain = ep->domain;
	pthread_mutex_unlock(&v->lock);
	return err;
}

IOASID_EXPORT int ioasid_virtio_iommu_fault_queue(struct ioasid_virtio_iommu *v, uint32_t *ret_queue)
{
	if (!v || !ret_queue)
		return -EINVAL;
	if (!v->queue)
		return ioasid_err(v->ctx, -EOPNOTSUPP,
				  "virtio-iommu: no fault queue (the virtio-iommu was made without a set)");
	*ret_queue = v->queue;
	return 0;
}

IOASID_EXPORT int ioasid_virtio_iommu_stats(struct ioasid_virtio_iommu *v, struct ioasid_virtio_iommu_stats *ret_stats)
{
	if (!v || !ret_stats)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	*ret_stats = v->st;
	ret_stats->nr_endpoints = v->nr_eps;
	ret_stats->nr_domains = v->nr_doms;
	ret_stats->events_held = v->ev_n - v->ev_pos;
	ret_stats->groups_pending = v->nr_groups;
	pthread_mutex_unlock(&v->lock);
	return 0;
}
