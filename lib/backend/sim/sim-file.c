/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * File maps on the sim (ioasid_ioas_map_file()). The sim's page tables
 * map an IOVA to a process address and its DMA is a copy there, so a file
 * area needs the file's range in the process's memory: the sim maps it
 * itself, MAP_SHARED, so that what a device writes lands in the file's
 * pages (and what the VMM writes through its own mapping of the memfd is
 * what a device reads), as with the kernel's DMA into the pinned pages.
 *
 * Only a file the kernel could pin gets a view (shmem, hugetlbfs): the
 * core refuses the others where the kernel pins them, before the sim's
 * page tables could point at the view. The sim is stricter than the
 * kernel in one way (docs/file-maps.md): a writable map needs a writable
 * shared mapping, which a read-only fd or a write-sealed memfd refuses
 * (the kernel pins their pages for DMA writes anyway).
 */
#include <linux/magic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "sim-private.h"

#define X(v) ((unsigned long long)(v))

/* The granule of a mapping of the file: the huge page size on hugetlbfs. */
static uint64_t view_granule(int fd, bool *ret_pinnable)
{
	struct statfs sfs;
	struct stat st;

	*ret_pinnable = false;
	if (fstatfs(fd, &sfs) || fstat(fd, &st))
		return ioasid_page_size();
	*ret_pinnable = sfs.f_type == TMPFS_MAGIC || sfs.f_type == HUGETLBFS_MAGIC;
	if (sfs.f_type == HUGETLBFS_MAGIC && st.st_blksize > 0)
		return (uint64_t)st.st_blksize;
	return ioasid_page_size();
}

int sim_file_view(struct ioasid_ctx *ctx, int fd, uint64_t offset, uint64_t length, bool write,
		  uint64_t *ret_uva)
{
	bool pinnable;
	uint64_t g = view_granule(fd, &pinnable), base = offset & ~(g - 1);
	uint64_t span = ((offset + length - 1) | (g - 1)) + 1 - base;
	void *p;

	*ret_uva = 0;
	if (!pinnable)
		return 0;
	p = mmap(NULL, span, PROT_READ | (write ? PROT_WRITE : 0), MAP_SHARED, fd, (off_t)base);
	if (p == MAP_FAILED)
		return ioasid_err(
			ctx, -errno,
			"the sim cannot map offset 0x%llx length 0x%llx of fd %d%s into the process: %s%s",
			X(offset), X(length), fd, write ? " for write" : "", strerror(errno),
			write && (errno == EACCES || errno == EPERM) ?
				" (a read-only fd or a write-sealed memfd; the kernel would pin it, the sim needs a writable view)" :
				"");
	*ret_uva = (uint64_t)(uintptr_t)p + (offset - base);
	return 0;
}

void sim_file_unview(struct ioasid_ctx *ctx, int fd, uint64_t uva, uint64_t length)
{
	bool pinnable;
	uint64_t g = view_granule(fd, &pinnable), base = uva & ~(g - 1);
	uint64_t span = ((uva + length - 1) | (g - 1)) + 1 - base;

	(void)ctx;
	munmap((void *)(uintptr_t)base, span);
}
