/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The memory a scenario allocates: buffers and the fresh memory of a map,
 * placed so that the IOVAs a run reports do not depend on where mmap()
 * put them; the names outputs give to addresses inside them; the buffer,
 * write and read ops.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <search.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../ioasidctl.h"
#include "private.h"

/*
 * The alignment memory gets when the file asks for less: its size rounded
 * up to a power of two (at most 1 TiB). An automatic IOVA keeps the low
 * bits of the process address up to that size (the kernel does so to allow
 * huge pages, kernel-uapi.md §4.3), so without this the IOVAs a scenario
 * reports would depend on where mmap() happened to put the memory.
 */
static uint64_t natural_align(uint64_t size)
{
	uint64_t a = 1;

	while (a < size && a < (UINT64_C(1) << 40))
		a <<= 1;
	return a;
}

/* Back @maplen bytes at @start (reserved already) with anonymous memory or a memfd. */
static int mem_back(struct run *r, const char *name, uintptr_t start, uint64_t maplen,
		    bool memfd, int *ret_fd)
{
	int fd = -1, err;
	void *p;

	if (memfd) {
		fd = memfd_create(name, MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, maplen) < 0) {
			err = -errno;
			harness_err(r, err, "memfd for %s (0x%" PRIx64 " bytes): %s", name,
				    maplen, strerror(errno));
			goto fail;
		}
		p = mmap((void *)start, maplen, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, fd, 0);
	} else {
		p = mmap((void *)start, maplen, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	}
	if (p == MAP_FAILED) {
		err = -errno;
		harness_err(r, err, "cannot map 0x%" PRIx64 " bytes of memory for %s: %s",
			    maplen, name, strerror(errno));
		goto fail;
	}
	*ret_fd = fd;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	return err;
}

/* Memory by address: two mems never overlap, so overlapping means "the same". */
static int mem_cmp(const void *a, const void *b)
{
	const struct mem *x = a, *y = b;
	uintptr_t xs = (uintptr_t)x->va, ys = (uintptr_t)y->va;

	if (xs + x->maplen <= ys)
		return -1;
	if (ys + y->maplen <= xs)
		return 1;
	return 0;
}

/* The memory holding byte @va, or NULL. */
static const struct mem *mem_holding(const struct scenario *sc, uint64_t va)
{
	struct mem key = { .va = (uint8_t *)(uintptr_t)va, .maplen = 1 };
	struct mem **slot;

	if (va >= UINTPTR_MAX)
		return NULL;
	slot = tfind(&key, &sc->mem_index, mem_cmp);
	return slot ? *slot : NULL;
}

/*
 * Allocate @size bytes aligned to @align (at least a page, at least the
 * natural alignment): reserve room for the alignment without backing it,
 * place the memory at the aligned address and give back the rest, so
 * munmap() of the result frees all.
 */
int mem_alloc(struct run *r, const char *name, uint64_t size, uint64_t align, bool memfd,
	      struct mem **ret)
{
	struct scenario *sc = r->sc;
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t maplen, resv;
	uintptr_t base, start;
	struct mem *m;
	void *p;
	int fd = -1, err;

	if (align < natural_align(size))
		align = natural_align(size);
	if (align < pg)
		align = pg;
	if (size > SIZE_MAX - pg)
		return harness_err(r, -ENOMEM, "cannot allocate 0x%" PRIx64 " bytes of memory for %s",
				   size, name);
	maplen = ((size ? size : 1) + pg - 1) & ~(pg - 1);
	if (maplen > SIZE_MAX - align)
		return harness_err(r, -ENOMEM, "cannot allocate 0x%" PRIx64 " bytes aligned to 0x%"
				   PRIx64 " for %s", size, align, name);
	resv = maplen + align - pg;
	p = mmap(NULL, resv, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return harness_err(r, -errno, "cannot reserve 0x%" PRIx64 " bytes of memory for %s: %s",
				   resv, name, strerror(errno));
	base = (uintptr_t)p;
	start = (base + align - 1) & ~(uintptr_t)(align - 1);
	err = mem_back(r, name, start, maplen, memfd, &fd);
	if (err) {
		munmap((void *)base, resv);
		return err;
	}
	if (start > base)
		munmap((void *)base, start - base);
	if (base + resv > start + maplen)
		munmap((void *)(start + maplen), base + resv - (start + maplen));
	m = xcalloc(1, sizeof(*m));
	m->name = xstrdup(name);
	m->va = (uint8_t *)start;
	m->size = size;
	m->maplen = maplen;
	m->fd = fd;
	if (!tsearch(m, &sc->mem_index, mem_cmp))
		cli_oom();
	sc->mems = xgrow(sc->mems, sc->nr_mems, sizeof(*sc->mems));
	sc->mems[sc->nr_mems++] = m;
	*ret = m;
	return 0;
}

int buffer_missing(struct run *r, const struct label *lb)
{
	return harness_err(r, -ENOENT, "buffer %s was not allocated (steps[%zu] failed)",
			   lb->name, lb->step);
}

/*
 * The memory holding process address @va, for naming it. With @end_too,
 * an address one past the end of some memory names it too (messages name
 * ends), but only when no memory holds the address itself: allocations
 * are often adjacent, and the start of one must not read as the end of
 * its neighbour.
 */
const struct mem *mem_at(const struct scenario *sc, uint64_t va, uint64_t *off, bool end_too)
{
	const struct mem *m = mem_holding(sc, va);

	if (!m && end_too && va) {
		m = mem_holding(sc, va - 1);
		if (m && va - (uintptr_t)m->va != m->maplen)
			m = NULL;
	}
	if (m)
		*off = va - (uintptr_t)m->va;
	return m;
}

const struct mem *mem_of_file(const struct scenario *sc, int fd)
{
	struct stat a, b;
	size_t i;

	if (fd < 0 || fstat(fd, &a))
		return NULL;
	for (i = 0; i < sc->nr_mems; i++)
		if (sc->mems[i]->fd >= 0 && !fstat(sc->mems[i]->fd, &b) && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino)
			return sc->mems[i];
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Ops: buffers                                                             */

HANDLER(op_buffer)
{
	struct mem *m;
	char name[32];
	int err;

	snprintf(name, sizeof(name), "#%zu", s->index);
	err = mem_alloc(r, s->as ? s->as->name : name, num(s, "size", 0),
			num(s, "align", 0), num(s, "memfd", 0), &m);
	if (err)
		return err;
	if (s->as) {
		s->as->mem = m;
		s->as->live = true;
	}
	return 0;
}

/* The bytes a write or read covers; NULL when the buffer was never made. */
static uint8_t *buf_range(struct run *r, const struct step *s, size_t *len)
{
	const struct argval *b = arg(s, "buffer");
	uint64_t off = num(s, "offset", 0);

	if (!b->label->mem) {
		buffer_missing(r, b->label);
		return NULL;
	}
	*len = num(s, "length", b->label->mem->size - off);
	return b->label->mem->va + off;
}

HANDLER(op_write)
{
	const struct argval *data = arg(s, "data");
	size_t len, i;
	uint8_t *p = buf_range(r, s, &len);

	if (!p)
		return -ENOENT;
	if (data->present) {
		/* the pattern repeats over the range */
		for (i = 0; i < len; i++)
			p[i] = ((const uint8_t *)data->arr)[i % data->n];
	} else {
		memset(p, (int)num(s, "byte", 0), len);
	}
	return 0;
}

HANDLER(op_read)
{
	size_t len;
	uint8_t *p = buf_range(r, s, &len);

	if (!p)
		return -ENOENT;
	json_object_set_new(value, "data", hex_bytes_json(p, len));
	return 0;
}
