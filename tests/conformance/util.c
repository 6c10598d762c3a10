// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the cases share: devices by role, memory, the geometry a device's
 * capability chain gives, finding HWPTs. Public API only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cf.h"

uint32_t cf_dev(struct cf_t *t, enum cf_role role)
{
	if (!t->dev[role])
		CF_OK(t, ioasid_dev_bind(t->ctx, t->env->role[role], &t->dev[role]));
	return t->dev[role];
}

void cf_unbind(struct cf_t *t, enum cf_role role)
{
	CF_OK(t, ioasid_dev_unbind(t->ctx, t->dev[role]));
	t->dev[role] = 0;
}

static void *remember(struct cf_t *t, void *p, size_t len)
{
	unsigned int i;

	for (i = 0; i < 16; i++)
		if (!t->mem[i]) {
			t->mem[i] = p;
			t->mem_len[i] = len;
			return p;
		}
	munmap(p, len);
	CF_TRUE(t, 0, "more than 16 memory blocks in one case");
	return NULL;
}

/*
 * Shared anonymous memory, as the selftest's buffers are, aligned by
 * mapping more and giving the slack back.
 */
void *cf_mem(struct cf_t *t, size_t len, size_t align)
{
	size_t span = len + (align > cf_page ? align : 0);
	uint8_t *p, *q;

	p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CF_TRUE(t, p != MAP_FAILED, "mmap of %zu bytes: %s", span, strerror(errno));
	q = align > cf_page ? (uint8_t *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1)) : p;
	if (q > p)
		munmap(p, (size_t)(q - p));
	if (q + len < p + span)
		munmap(q + len, (size_t)(p + span - (q + len)));
	return remember(t, q, len);
}

/*
 * The selftest maps MAP_HUGETLB memory for its huge-page variants; a host
 * without reserved huge pages gets transparent huge pages instead (2 MiB
 * aligned, MADV_HUGEPAGE): to the API both are memory at those addresses.
 */
void *cf_mem_huge(struct cf_t *t, size_t len)
{
	const size_t huge = 2u << 20;
	void *p;

	len = (len + huge - 1) & ~(huge - 1);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
	if (p != MAP_FAILED)
		return remember(t, p, len);
	p = cf_mem(t, len, huge);
	madvise(p, len, MADV_HUGEPAGE);
	return p;
}

void *cf_memfd(struct cf_t *t, size_t len, bool huge, int *ret_fd)
{
	const size_t hp = 2u << 20;
	int fd = huge ? memfd_create("cf-buffer", MFD_CLOEXEC | MFD_HUGETLB) : -1;
	void *p = MAP_FAILED;

	/*
	 * A host without reserved huge pages (the mmap fails) gets a plain
	 * memfd, as cf_mem_huge() falls back.
	 */
	if (fd >= 0 && !ftruncate(fd, (off_t)((len + hp - 1) & ~(hp - 1))))
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		if (fd >= 0)
			close(fd);
		fd = memfd_create("cf-buffer", MFD_CLOEXEC);
		CF_TRUE(t, fd >= 0 && !ftruncate(fd, (off_t)len), "memfd of %zu bytes: %s", len,
			strerror(errno));
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	}
	CF_TRUE(t, p != MAP_FAILED, "mmap of a memfd of %zu bytes: %s", len, strerror(errno));
	*ret_fd = fd;
	return remember(t, p, len);
}

int cf_map_file_auto(struct cf_t *t, uint32_t ioas, int fd, uint64_t offset, uint64_t len,
		     uint64_t *ret_iova)
{
	struct ioasid_map_file_opts o = IOASID_OPTS_INIT(ioasid_map_file_opts);

	o.fd = fd;
	o.offset = offset;
	o.length = len;
	o.flags = IOASID_MAP_READ | IOASID_MAP_WRITE;
	*ret_iova = 0;
	return ioasid_ioas_map_file(t->ctx, ioas, &o, ret_iova);
}

void cf_mem_unmap(struct cf_t *t, void *p, size_t len)
{
	unsigned int i;

	for (i = 0; i < 16; i++) {
		uint8_t *b = t->mem[i];

		if (!b || (uint8_t *)p < b || (uint8_t *)p >= b + t->mem_len[i])
			continue;
		munmap(p, len);
		/* a block given back whole (or from its start to its end) is forgotten */
		if ((uint8_t *)p == b && len >= t->mem_len[i]) {
			t->mem[i] = NULL;
		} else if ((uint8_t *)p == b) {
			t->mem[i] = b + len;
			t->mem_len[i] -= len;
		} else if ((uint8_t *)p + len >= b + t->mem_len[i]) {
			t->mem_len[i] = (size_t)((uint8_t *)p - b);
		}
		return;
	}
	munmap(p, len);
}

/* A pseudo-random pattern: no two pages of a buffer alike, for the oracle's comparisons. */
void cf_fill(void *p, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[i] = (uint8_t)x;
	}
}

uint32_t cf_ioas(struct cf_t *t)
{
	uint32_t id = 0;

	CF_OK(t, ioasid_ioas_alloc(t->ctx, &id));
	return id;
}

int cf_hwpt_alloc(struct cf_t *t, uint32_t dev, uint32_t pt, uint32_t flags, uint32_t *ret)
{
	struct ioasid_hwpt_opts o = IOASID_OPTS_INIT(ioasid_hwpt_opts);

	o.flags = flags;
	return ioasid_hwpt_alloc(t->ctx, dev, pt, &o, ret);
}

int cf_map_auto(struct cf_t *t, uint32_t ioas, void *va, uint64_t len, uint64_t *ret_iova)
{
	*ret_iova = 0;
	return ioasid_ioas_map(t->ctx, ioas, va, len, IOASID_MAP_READ | IOASID_MAP_WRITE, ret_iova);
}

/*
 * The chain, by the two-call pattern. The first call's answer is not
 * checked here: a short buffer answers -EMSGSIZE today and 0 once the
 * hw-info deviation is fixed; get_hw_info checks it.
 */
static void *read_chain(struct cf_t *t, uint32_t dev, size_t *ret_len)
{
	size_t len = 0;
	void *buf;

	ioasid_dev_info(t->ctx, dev, NULL, 0, &len);
	CF_TRUE(t, len > 0, "ioasid_dev_info() of device %u gives no length", dev);
	buf = calloc(1, len);
	CF_TRUE(t, buf, "out of memory");
	if (ioasid_dev_info(t->ctx, dev, buf, len, ret_len)) {
		free(buf);
		CF_TRUE(t, 0, "ioasid_dev_info() of device %u: %s", dev, ioasid_ctx_errmsg(t->ctx));
	}
	return buf;
}

void cf_geom(struct cf_t *t, uint32_t dev, struct cf_geom *g)
{
	struct ioasid_cap_iova_range r[8];
	struct ioasid_cap_page_sizes ps;
	struct ioasid_cap_features f;
	struct ioasid_cap_pasid pa;
	uint32_t n = 0, i;
	size_t len = 0;
	void *c = read_chain(t, dev, &len);
	int e1, e2, e3, e4;

	memset(g, 0, sizeof(*g));
	e1 = ioasid_caps_get(c, len, 0, IOASID_CAP_PAGE_SIZES, &ps, sizeof(ps), NULL);
	e2 = ioasid_caps_get_array(c, len, 0, IOASID_CAP_IOVA_RANGES, r, 8, &n);
	e3 = ioasid_caps_get(c, len, 0, IOASID_CAP_PASID, &pa, sizeof(pa), NULL);
	e4 = ioasid_caps_get(c, len, 0, IOASID_CAP_FEATURES, &f, sizeof(f), NULL);
	free(c);
	CF_TRUE(t, !e1 && !e2 && n >= 1 && n <= 8,
		"device %u's chain: page sizes %d, IOVA ranges %d (%u)", dev, e1, e2, n);
	g->pgsize = ps.bitmap & -ps.bitmap;
	g->pgsizes = ps.bitmap;
	g->nr_ranges = n;
	g->ap_start = r[0].start;
	g->ap_last = r[0].last;
	for (i = 1; i < n; i++)
		g->ap_last = r[i].last > g->ap_last ? r[i].last : g->ap_last;
	g->pasid_width = e3 ? 0 : pa.width;
	if (!e4) {
		g->features = f.features;
		g->known = f.known;
	}
}

/*
 * The API has no call that names the automatic HWPT of an attachment
 * (issue 11 §4); the HWPTs are objects of the context, found by their kind.
 */
unsigned int cf_hwpts(struct cf_t *t, uint32_t *out, unsigned int max)
{
	unsigned int n = 0;
	uint32_t id;

	for (id = 1; id < 4096 && n < max; id++)
		if (ioasid_obj_kind(t->ctx, id) == IOASID_OBJ_HWPT)
			out[n++] = id;
	return n;
}

uint32_t cf_new_hwpt(struct cf_t *t, const uint32_t *before, unsigned int n)
{
	uint32_t now[64];
	unsigned int m = cf_hwpts(t, now, 64), i, j;

	for (i = 0; i < m; i++) {
		for (j = 0; j < n && before[j] != now[i]; j++)
			;
		if (j == n)
			return now[i];
	}
	return 0;
}

uint32_t cf_set_with_pasid(struct cf_t *t, uint32_t pasid)
{
	struct ioasid_set_opts so = IOASID_OPTS_INIT(ioasid_set_opts);
	uint32_t set = 0, got = 0;

	so.max_pasids = 64;
	so.max_ioas = 64;
	CF_OK(t, ioasid_set_alloc(t->ctx, &so, &set));
	if (pasid)
		CF_OK(t, ioasid_pasid_alloc(t->ctx, set, pasid, pasid, &got));
	return set;
}

struct ioasid_attach_opts cf_as_set(uint32_t set)
{
	struct ioasid_attach_opts o = IOASID_OPTS_INIT(ioasid_attach_opts);

	o.set = set;
	return o;
}
