/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Could the kernel pin this process memory? (kernel-uapi.md §1.4 IOAS_MAP,
 * §4.5). The kernel pins an area's pages with pin_user_pages(), for write
 * when the area is writable, and answers EFAULT for memory it cannot pin:
 * not mapped, not readable, read-only under a writable map, device memory
 * (VM_IO, VM_PFNMAP), a file mapping past its end. A backend whose kernel
 * does not pin (the sim) asks here at the moment the kernel would pin, so
 * that it refuses what the kernel refuses.
 *
 * The question is put to the kernel, so that it cannot fault the process:
 * MADV_POPULATE_READ / MADV_POPULATE_WRITE (Linux 5.14) fault the pages in
 * as a pin does, with the pin's access, without reading or writing a byte
 * (so a concurrent writer loses nothing). Their costs, measured on 4 KiB,
 * 2 MiB and 64 MiB of resident memory: 2.7 / 79 / 6300 us, against 9.6 /
 * 590 / 32500 us for process_vm_readv() into a scratch page and more for a
 * write() into a pipe. Before 5.14, process_vm_readv() on our own pid
 * tells whether the pages are mapped and readable; a write permission is
 * not checked there (docs/design.md).
 *
 * Populating is as dear as a pin: about 0.4 us a resident 4 KiB page here,
 * and a first touch on memory never used (issue 14 measured 11% of the
 * cost of touching 1 GiB of guest RAM once, and a 16 GiB guest would have
 * been made resident whole). So a range larger than POPULATE_MAX is asked
 * by VMA instead: /proc/self/maps gives the mappings that cover it (a gap
 * is the kernel's EFAULT for memory not mapped), and every VMA's first and
 * last page in the range is populated. What a pin refuses is a property
 * of the whole VMA (its permissions, VM_IO, VM_PFNMAP) or, for a file, of
 * its end (a page past EOF), so the two pages answer for all the others.
 * Not seen that way: guard markers installed inside a VMA
 * (MADV_GUARD_INSTALL, Linux 6.13), which a pin refuses page by page.
 *
 * A system call costs about 1.6 us on a paravirtualised machine (a
 * populate of one resident page 2.2 us), and a VMM answering page faults
 * maps a page or a few at a time, the same pages again and again: the
 * populate was 70% of a fault round trip (tests/bench/fault). So small
 * ranges that a populate accepted are remembered (known[]: what a pin
 * refuses for good, device memory, was not there), and a range inside
 * one is asked again by touching each of its pages, through the sim's
 * guarded access (sim-guard.c), with the pin's access: a load, or an
 * atomic OR of 0, which writes nothing a concurrent writer could lose,
 * and like a pin for write breaks copy-on-write. Whatever a pin refuses
 * at that moment faults the touch (not mapped, PROT_NONE, read-only for a
 * write, past a file's end, a guard marker) and the question goes back
 * to the populate, which words the answer; the range is forgotten then.
 * Not seen that way: memory unmapped and replaced by device memory
 * (VM_IO, VM_PFNMAP) at the same address while it is remembered; the
 * populate sees that only for ranges it has not accepted before.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include "private.h"
#include "backend/sim/sim-guard.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define X(v) ((unsigned long long)(v))

enum {
	POPULATE_UNKNOWN,
	POPULATE_YES,
	POPULATE_NO
};
static _Atomic int populate = POPULATE_UNKNOWN;

/* A page this file owns, mapped and writable: the probe's target. */
static uint8_t probe_page[1] __attribute__((aligned(16)));

/* Ranges [lo, hi) a populate accepted (see the top of the file). */
#define KNOWN_MAX 8
#define TOUCH_MAX_PAGES 64 /* larger ranges are populated, or asked by VMA */

static struct {
	uint64_t lo, hi;
} known[KNOWN_MAX];
static unsigned int known_next;
static pthread_mutex_t known_lock = PTHREAD_MUTEX_INITIALIZER;

static bool known_covers(uint64_t lo, uint64_t hi)
{
	bool yes = false;
	unsigned int i;

	pthread_mutex_lock(&known_lock);
	for (i = 0; i < KNOWN_MAX && !yes; i++)
		yes = known[i].lo <= lo && hi <= known[i].hi;
	pthread_mutex_unlock(&known_lock);
	return yes;
}

/* Remember [@lo, @hi), joined to a range it meets (each part was accepted). */
static void known_add(uint64_t lo, uint64_t hi)
{
	unsigned int i;

	pthread_mutex_lock(&known_lock);
	for (i = 0; i < KNOWN_MAX; i++) {
		if (known[i].hi && lo <= known[i].hi && known[i].lo <= hi) {
			known[i].lo = IOASID_MIN(known[i].lo, lo);
			known[i].hi = hi > known[i].hi ? hi : known[i].hi;
			break;
		}
	}
	if (i == KNOWN_MAX) {
		known[known_next].lo = lo;
		known[known_next].hi = hi;
		known_next = (known_next + 1) % KNOWN_MAX;
	}
	pthread_mutex_unlock(&known_lock);
}

/* Forget every range that meets [@lo, @hi): something there changed. */
static void known_forget(uint64_t lo, uint64_t hi)
{
	unsigned int i;

	pthread_mutex_lock(&known_lock);
	for (i = 0; i < KNOWN_MAX; i++)
		if (known[i].hi && lo < known[i].hi && known[i].lo < hi)
			known[i].lo = known[i].hi = 0;
	pthread_mutex_unlock(&known_lock);
}

void pin_check_use_populate(bool on)
{
	atomic_store(&populate, on ? POPULATE_UNKNOWN : POPULATE_NO);
	known_forget(0, UINT64_MAX);
}

/* 0 when every page of [@start, @start + @len) takes the pin's access. */
static int touch(uint64_t start, uint64_t len, bool write)
{
	uint64_t pg = ioasid_page_size(), a, v;

	for (a = start; a < start + len; a += pg)
		if (write ? sim_guard_or64((uint64_t *)(uintptr_t)a, 0) :
			    sim_guard_load64((const uint64_t *)(uintptr_t)a, &v))
			return -1;
	return 0;
}

/* Does this kernel know MADV_POPULATE_*? Unknown advice is EINVAL. */
static bool have_populate(void)
{
	int v = atomic_load(&populate);
	uint64_t pg = ioasid_page_size();

	if (v == POPULATE_UNKNOWN) {
		uintptr_t p = (uintptr_t)probe_page & ~(uintptr_t)(pg - 1);

		v = madvise((void *)p, pg, MADV_POPULATE_WRITE) ? POPULATE_NO : POPULATE_YES;
		atomic_store(&populate, v);
	}
	return v == POPULATE_YES;
}

/* Larger ranges are checked by VMA (see the top of the file). */
#define POPULATE_MAX (2ull << 20)

static int populate_range(uint64_t start, uint64_t len, bool write)
{
	return madvise((void *)(uintptr_t)start, len,
		       write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ) ?
		       errno :
		       0;
}

/*
 * The VMA way: 0, the positive errno of a failing page, ENOMEM for a gap,
 * or -1 when /proc/self/maps cannot be read (the caller populates then).
 */
static int probe_by_vma(uint64_t start, uint64_t len, bool write)
{
	uint64_t pg = ioasid_page_size(), end = start + len, pos = start;
	char line[512];
	int e = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return -1;
	while (!e && pos < end && fgets(line, sizeof(line), f)) {
		uint64_t lo, hi, a, b;
		char *p = line, *q;

		/* a line longer than the buffer continues: skip the rest */
		if (!strchr(line, '\n')) {
			int c;

			while ((c = fgetc(f)) != EOF && c != '\n')
				;
		}
		lo = strtoull(p, &q, 16);
		if (q == p || *q != '-')
			continue;
		p = q + 1;
		hi = strtoull(p, &q, 16);
		if (q == p || hi <= pos)
			continue;
		if (lo > pos) {
			e = ENOMEM; /* pos is in no mapping */
			break;
		}
		a = pos;
		b = IOASID_MIN(hi, end); /* [a, b) lies in this VMA */
		e = populate_range(a, pg, write);
		if (!e && b - a > pg)
			e = populate_range(b - pg, pg, write);
		pos = b;
	}
	fclose(f);
	if (!e && pos < end)
		e = ENOMEM; /* the range runs past the last mapping */
	return e;
}

/* 0, or the positive errno of the first failure in [@start, @start + @len). */
static int probe(uint64_t start, uint64_t len, bool write)
{
	if (have_populate()) {
		int e = len > POPULATE_MAX ? probe_by_vma(start, len, write) : -1;

		return e >= 0 ? e : populate_range(start, len, write);
	}
	/* every chunk is read into the same scratch page: only the answer counts */
	{
		uint8_t scratch[4096];
		struct iovec local[64], remote;
		uint64_t done = 0;
		ssize_t n;
		int i;

		for (i = 0; i < 64; i++)
			local[i] = (struct iovec){ scratch, sizeof(scratch) };
		while (done < len) {
			remote.iov_base = (void *)(uintptr_t)(start + done);
			remote.iov_len = IOASID_MIN(len - done, 64 * sizeof(scratch));
			n = process_vm_readv(getpid(), local, 64, &remote, 1, 0);
			/* EFAULT is the answer; anything else means it cannot tell */
			if (n < 0)
				return errno == EFAULT ? EFAULT : 0;
			if (n == 0)
				return EFAULT;
			done += (uint64_t)n;
		}
		return 0;
	}
}

static const char *why(int e, bool write)
{
	switch (e) {
	case ENOMEM:
		return "not mapped";
	case EINVAL:
		return write ? "not writable, or not memory that can be pinned" :
			       "not readable, or not memory that can be pinned";
	case EFAULT:
		return "not backed (an access would raise SIGBUS), or not mapped";
	default:
		return strerror(e);
	}
}

int pin_check_memory(struct ioasid_ctx *ctx, uint64_t uva, uint64_t len, bool write)
{
	uint64_t pg = ioasid_page_size();
	uint64_t start = uva & ~(pg - 1), end = (uva + len - 1) | (pg - 1), lo, hi;
	bool small = (end - start + 1) / pg <= TOUCH_MAX_PAGES;
	int e, e2;

	/* the populate would say yes to a range it accepted, if the touch does */
	if (small && have_populate() && known_covers(start, end + 1) && !sim_guard_init() &&
	    !touch(start, end - start + 1, write))
		return 0;
	e = probe(start, end - start + 1, write);
	if (!e) {
		if (small && have_populate())
			known_add(start, end + 1);
		return 0;
	}
	known_forget(start, end + 1);
	/* the first page that fails, by halves: only the refusal pays for it */
	lo = start;
	hi = end;
	while (hi - lo + 1 > pg) {
		uint64_t mid = lo + ((hi - lo + 1) / pg / 2) * pg;

		e2 = probe(lo, mid - lo, write);
		if (e2) {
			e = e2;
			hi = mid - 1;
		} else {
			lo = mid;
		}
	}
	e2 = probe(lo, pg, write);
	if (e2)
		e = e2;
	return ioasid_err(ctx, -EFAULT,
			  "cannot pin va 0x%llx length 0x%llx%s: the page at 0x%llx is %s", X(uva),
			  X(len), write ? " for write" : "", X(lo), why(e, write));
}

/*
 * memfd_pin_folios() pins only shmem (memfd, tmpfs) and hugetlbfs pages,
 * whole pages inside the file's size, and answers EINVAL for anything else; the
 * kernel asks it where it pins (kernel-uapi.md §4.9), so the map itself
 * accepts any open file.
 */
int pin_check_file(struct ioasid_ctx *ctx, int fd, uint64_t offset, uint64_t len)
{
	uint64_t pg = ioasid_page_size(), end = ((offset + len - 1) | (pg - 1)) + 1;
	struct statfs sfs;
	struct stat st;

	if (fstatfs(fd, &sfs) || fstat(fd, &st))
		return ioasid_err(ctx, -EBADF, "cannot read the mapped file: %s", strerror(errno));
	if (sfs.f_type != TMPFS_MAGIC && sfs.f_type != HUGETLBFS_MAGIC)
		return ioasid_err(ctx, -EINVAL,
				  "cannot pin offset 0x%llx length 0x%llx of the mapped file: it is on a filesystem of type 0x%llx; only memfd/shmem and hugetlbfs pages can be pinned",
				  X(offset), X(len), X(sfs.f_type));
	/* whole pages are pinned: the last one must lie inside the file */
	if (end > (uint64_t)st.st_size)
		return ioasid_err(ctx, -EINVAL,
				  "cannot pin offset 0x%llx length 0x%llx of the mapped file: its last page ends at 0x%llx, past the file's size 0x%llx",
				  X(offset), X(len), X(end), X(st.st_size));
	return 0;
}
