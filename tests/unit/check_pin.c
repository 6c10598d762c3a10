/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pinning as the kernel does it (kernel-uapi.md §4.5), on the sim: one
 * account per process and RLIMIT mode shared by every context, the
 * IOMMU_OPTION_RLIMIT_MODE rules and errnos, EFAULT for memory that
 * cannot be pinned at the moment the kernel would pin it, and a sim DMA
 * that meets memory the VMM took away answering EFAULT instead of
 * killing the process.
 */
#include <linux/capability.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"
#include "core/private.h"

#define PG 4096ull
#define RW (IOASID_MAP_READ | IOASID_MAP_WRITE)
#define FIXED IOASID_MAP_FIXED_IOVA

/* A sim context with a limit of @pages, not exempt, and one IOAS. */
static struct ioasid_ctx *limited_ctx(uint64_t pages, uint32_t *ret_ioas)
{
	struct ioasid_ctx *ctx = test_sim_ctx();

	ck_assert_ok(ctx, ioasid_ctx_set_pinned_limit(ctx, pages * PG));
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, ret_ioas));
	return ctx;
}

static int map_at(struct ioasid_ctx *ctx, uint32_t ioas, uint64_t iova, void *va, uint64_t len,
		  uint32_t perm)
{
	return ioasid_ioas_map(ctx, ioas, va, len, perm | FIXED, &iova);
}

static uint64_t account_of(struct ioasid_ctx *ctx)
{
	struct ioasid_pinned_info pi;

	ck_assert_ok(ctx, ioasid_ctx_pinned(ctx, &pi));
	return pi.account_pages;
}

static bool thread_has_cap(unsigned int cap)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	return !syscall(SYS_capget, &hdr, d) && (d[cap / 32].effective & (1u << (cap % 32)));
}

/* Drop @cap from this thread's effective set (a forked child's). */
static void drop_cap(unsigned int cap)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	ck_assert_int_eq(syscall(SYS_capget, &hdr, d), 0);
	d[cap / 32].effective &= ~(1u << (cap % 32));
	ck_assert_int_eq(syscall(SYS_capset, &hdr, d), 0);
}

START_TEST(test_contexts_share_the_limit)
{
	uint32_t io1, io2, dev1 = 0, dev2 = 0;
	struct ioasid_ctx *c1 = limited_ctx(8, &io1), *c2 = limited_ctx(8, &io2);
	uint8_t *mem = test_mem(16 * PG);
	struct ioasid_pinned_info pi;

	test_domain(c1, &dev1, io1);
	test_domain(c2, &dev2, io2);
	ck_assert_ok(c1, map_at(c1, io1, 0x10000, mem, 5 * PG, RW));
	/* the second context sees the first one's pages in the account */
	ck_assert_int_eq(map_at(c2, io2, 0x10000, mem + 8 * PG, 4 * PG, RW), -ENOMEM);
	ck_assert_errmsg_has(c2, "5 already charged");
	ck_assert_errmsg_has(c2, "by 1");
	ck_assert_ok(c2, map_at(c2, io2, 0x10000, mem + 8 * PG, 3 * PG, RW));
	ck_assert_ok(c2, ioasid_ctx_pinned(c2, &pi));
	ck_assert_uint_eq(pi.pinned_pages, 3);
	ck_assert_uint_eq(pi.account_pages, 8);
	ck_assert_uint_eq(pi.rlimit_mode, IOASID_RLIMIT_MODE_USER);
	/* closing a context gives its pages back to the account */
	ioasid_ctx_close(c1);
	ck_assert_uint_eq(account_of(c2), 3);
	ck_assert_ok(c2, map_at(c2, io2, 0x20000, mem, 5 * PG, RW));
	ioasid_ctx_close(c2);
	munmap(mem, 16 * PG);
}
END_TEST

START_TEST(test_exempt_pages_not_charged)
{
	uint32_t io1, io2, dev1 = 0, dev2 = 0;
	struct ioasid_ctx *c1 = limited_ctx(4, &io1), *c2 = limited_ctx(4, &io2);
	uint8_t *mem = test_mem(8 * PG);
	struct ioasid_pinned_info pi;

	ck_assert_ok(c1, ioasid_ctx_set_cap_ipc_lock_exempt(c1, true));
	ck_assert_ok(c1, ioasid_ctx_pinned(c1, &pi));
	if (!pi.exempt) {
		ioasid_ctx_close(c1);
		ioasid_ctx_close(c2);
		munmap(mem, 8 * PG);
		return; /* not CAP_IPC_LOCK: nothing to see */
	}
	test_domain(c1, &dev1, io1);
	test_domain(c2, &dev2, io2);
	/* pinned, counted in the context, not charged: the other keeps its room */
	ck_assert_ok(c1, map_at(c1, io1, 0x10000, mem, 8 * PG, RW));
	ck_assert_ok(c1, ioasid_ctx_pinned(c1, &pi));
	ck_assert_uint_eq(pi.pinned_pages, 8);
	ck_assert_uint_eq(pi.account_pages, 0);
	ck_assert_ok(c2, map_at(c2, io2, 0x10000, mem, 4 * PG, RW));
	/* the exemption switched off later does not charge what was made under it */
	ck_assert_ok(c1, ioasid_ctx_set_cap_ipc_lock_exempt(c1, false));
	ck_assert_uint_eq(account_of(c1), 4);
	ioasid_ctx_close(c1);
	ck_assert_uint_eq(account_of(c2), 4);
	ioasid_ctx_close(c2);
	munmap(mem, 8 * PG);
}
END_TEST

START_TEST(test_rlimit_mode_accounts)
{
	uint32_t io1, io2, dev1 = 0, dev2 = 0;
	struct ioasid_ctx *c1 = limited_ctx(8, &io1), *c2 = test_sim_ctx();
	uint8_t *mem = test_mem(16 * PG);
	struct ioasid_pinned_info pi;
	uint64_t v = 7;

	ck_assert_ok(c2, ioasid_ctx_get_option(c2, IOASID_CTX_OPT_RLIMIT_MODE, &v));
	ck_assert_uint_eq(v, IOASID_RLIMIT_MODE_USER);
	if (!thread_has_cap(CAP_SYS_RESOURCE)) {
		ck_assert_int_eq(ioasid_ctx_set_option(c2, IOASID_CTX_OPT_RLIMIT_MODE, 1), -EPERM);
		goto out;
	}
	ck_assert_ok(c2,
		     ioasid_ctx_set_option(c2, IOASID_CTX_OPT_RLIMIT_MODE, IOASID_RLIMIT_MODE_MM));
	ck_assert_ok(c2, ioasid_ctx_get_option(c2, IOASID_CTX_OPT_RLIMIT_MODE, &v));
	ck_assert_uint_eq(v, IOASID_RLIMIT_MODE_MM);
	ck_assert_ok(c2, ioasid_ctx_set_pinned_limit(c2, 8 * PG));
	ck_assert_ok(c2, ioasid_ioas_alloc(c2, &io2));
	test_domain(c1, &dev1, io1);
	test_domain(c2, &dev2, io2);
	/* two accounts: each context may pin its whole limit */
	ck_assert_ok(c1, map_at(c1, io1, 0x10000, mem, 8 * PG, RW));
	ck_assert_ok(c2, map_at(c2, io2, 0x10000, mem + 8 * PG, 8 * PG, RW));
	ck_assert_int_eq(map_at(c2, io2, 0x40000, mem, PG, RW), -ENOMEM);
	ck_assert_errmsg_has(c2, "process's account");
	ck_assert_ok(c2, ioasid_ctx_pinned(c2, &pi));
	ck_assert_uint_eq(pi.rlimit_mode, IOASID_RLIMIT_MODE_MM);
	ck_assert_uint_eq(pi.account_pages, 8);
	ck_assert_uint_eq(account_of(c1), 8);
out:
	ioasid_ctx_close(c1);
	ioasid_ctx_close(c2);
	munmap(mem, 16 * PG);
}
END_TEST

START_TEST(test_rlimit_mode_rules)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint32_t ioas, set;
	uint64_t v;

	ck_assert_int_eq(ioasid_ctx_set_option(ctx, (enum ioasid_ctx_option)7, 0), -EOPNOTSUPP);
	ck_assert_errmsg_has(ctx, "option 7");
	ck_assert_int_eq(ioasid_ctx_get_option(ctx, (enum ioasid_ctx_option)7, &v), -EOPNOTSUPP);
	ck_assert_int_eq(ioasid_ctx_get_option(ctx, IOASID_CTX_OPT_RLIMIT_MODE, NULL), -EINVAL);
	if (thread_has_cap(CAP_SYS_RESOURCE)) {
		ck_assert_int_eq(ioasid_ctx_set_option(ctx, IOASID_CTX_OPT_RLIMIT_MODE, 2), -EINVAL);
		ck_assert_errmsg_has(ctx, "RLIMIT mode 2");
		/* a set is the library's own: the kernel would hold no object */
		ck_assert_ok(ctx, ioasid_set_alloc(ctx, NULL, &set));
		ck_assert_ok(ctx, ioasid_ctx_set_option(ctx, IOASID_CTX_OPT_RLIMIT_MODE, 0));
		ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
		/* EBUSY comes before the value's EINVAL, as in the kernel */
		ck_assert_int_eq(ioasid_ctx_set_option(ctx, IOASID_CTX_OPT_RLIMIT_MODE, 2), -EBUSY);
		ck_assert_errmsg_has(ctx, "holds 1");
		ck_assert_int_eq(ioasid_ctx_set_option(ctx, IOASID_CTX_OPT_RLIMIT_MODE, 1), -EBUSY);
		ck_assert_ok(ctx, ioasid_ioas_destroy(ctx, ioas));
		ck_assert_ok(ctx, ioasid_ctx_set_option(ctx, IOASID_CTX_OPT_RLIMIT_MODE, 1));
	} else {
		ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	}
	ioasid_ctx_close(ctx);
}
END_TEST

/* Without CAP_SYS_RESOURCE: EPERM before anything else (a child drops it). */
START_TEST(test_rlimit_mode_eperm)
{
	pid_t pid;
	int st;

	if (!thread_has_cap(CAP_SYS_RESOURCE))
		return; /* test_rlimit_mode_accounts saw the EPERM */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		struct ioasid_ctx *ctx = test_sim_ctx();
		uint32_t ioas;
		int r1, r2;

		drop_cap(CAP_SYS_RESOURCE);
		ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
		r1 = ioasid_ctx_set_option(ctx, IOASID_CTX_OPT_RLIMIT_MODE, 2);
		r2 = !strstr(ioasid_ctx_errmsg(ctx), "CAP_SYS_RESOURCE");
		ioasid_ctx_close(ctx);
		_exit(r1 == -EPERM && !r2 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "no EPERM without CAP_SYS_RESOURCE");
}
END_TEST

/* Memory to refuse: [0] mapped rw, [1] unmapped, [2] PROT_NONE, [3] read-only. */
static uint8_t *holey_mem(void)
{
	uint8_t *m = test_mem(4 * PG);

	ck_assert_int_eq(munmap(m + PG, PG), 0);
	ck_assert_int_eq(mprotect(m + 2 * PG, PG, PROT_NONE), 0);
	ck_assert_int_eq(mprotect(m + 3 * PG, PG, PROT_READ), 0);
	return m;
}

static void efault_cases(struct ioasid_ctx *ctx, uint32_t ioas, uint8_t *m)
{
	char want[64];

	/* the message names the first page that cannot be pinned */
	ck_assert_int_eq(map_at(ctx, ioas, 0x10000, m, 2 * PG, RW), -EFAULT);
	snprintf(want, sizeof(want), "page at %p", (void *)(m + PG));
	ck_assert_errmsg_has(ctx, want);
	ck_assert_int_eq(map_at(ctx, ioas, 0x10000, m + 2 * PG, PG, IOASID_MAP_READ), -EFAULT);
	/* read-only memory: a read-only map pins it, a writable one cannot */
	ck_assert_ok(ctx, map_at(ctx, ioas, 0x10000, m + 3 * PG, PG, IOASID_MAP_READ));
	ck_assert_int_eq(map_at(ctx, ioas, 0x20000, m + 3 * PG, PG, RW), -EFAULT);
	ck_assert_errmsg_has(ctx, "for write");
	ck_assert_ok(ctx, map_at(ctx, ioas, 0x20000, m, PG, RW));
}

START_TEST(test_efault_when_pinned)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint8_t *m = holey_mem();
	struct ioasid_pinned_info pi;
	struct ioas_snap before;
	uint32_t ioas, hwpt, dev = 0;
	uint64_t n;

	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	/* no domain: nothing is pinned, so the kernel takes the map */
	ck_assert_ok(ctx, map_at(ctx, ioas, 0x10000, m, 3 * PG, RW));
	ioas_snap_take(ctx, ioas, &before);
	/* the first domain pins, and fails, leaving everything as it was */
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev));
	ck_assert_int_eq(ioasid_hwpt_alloc(ctx, dev, ioas, NULL, &hwpt), -EFAULT);
	ck_assert_errmsg_has(ctx, "cannot pin");
	ck_assert_int_eq(ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, ioas, NULL), -EFAULT);
	ioas_snap_same(ctx, ioas, &before);
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas, 0, UINT64_MAX, &n));
	/* with a domain, the map itself pins */
	test_domain(ctx, &dev, ioas);
	efault_cases(ctx, ioas, m);
	ck_assert_ok(ctx, ioasid_ctx_pinned(ctx, &pi));
	ck_assert_uint_eq(pi.pinned_pages, 2);
	/* before Linux 5.14 the check cannot see write permission; the rest holds */
	pin_check_use_populate(false);
	ck_assert_int_eq(map_at(ctx, ioas, 0x30000, m, 2 * PG, RW), -EFAULT);
	ck_assert_int_eq(map_at(ctx, ioas, 0x30000, m + 2 * PG, PG, IOASID_MAP_READ), -EFAULT);
	ck_assert_ok(ctx, map_at(ctx, ioas, 0x30000, m, PG, RW));
	pin_check_use_populate(true);
	ioasid_ctx_close(ctx);
	munmap(m, 4 * PG);
}
END_TEST

/*
 * A small range the check accepted is asked again by touching its pages
 * (pin-check.c): memory taken away, protected or cut short since must
 * still be refused, with the populate's message, and accepted again once
 * it is back.
 */
START_TEST(test_efault_after_accepted)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint8_t *m = test_mem(4 * PG), *f;
	uint32_t ioas, dev = 0;
	char want[64];
	uint64_t n;
	int fd;

	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	test_domain(ctx, &dev, ioas);
	/* accepted, and remembered */
	ck_assert_ok(ctx, map_at(ctx, ioas, 0x10000, m, 4 * PG, RW));
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas, 0, UINT64_MAX, &n));
	ck_assert_ok(ctx, map_at(ctx, ioas, 0x10000, m + PG, PG, RW));
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas, 0, UINT64_MAX, &n));
	/* read-only now: a writable map is refused, a read-only one taken */
	ck_assert_int_eq(mprotect(m + PG, PG, PROT_READ), 0);
	ck_assert_int_eq(map_at(ctx, ioas, 0x10000, m + PG, PG, RW), -EFAULT);
	ck_assert_errmsg_has(ctx, "for write");
	ck_assert_ok(ctx, map_at(ctx, ioas, 0x10000, m + PG, PG, IOASID_MAP_READ));
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas, 0, UINT64_MAX, &n));
	ck_assert_int_eq(mprotect(m + PG, PG, PROT_READ | PROT_WRITE), 0);
	ck_assert_ok(ctx, map_at(ctx, ioas, 0x10000, m, 4 * PG, RW));
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas, 0, UINT64_MAX, &n));
	/* no access at all, then not mapped: refused for reading too */
	ck_assert_int_eq(mprotect(m + 2 * PG, PG, PROT_NONE), 0);
	ck_assert_int_eq(map_at(ctx, ioas, 0x10000, m + 2 * PG, PG, IOASID_MAP_READ), -EFAULT);
	ck_assert_int_eq(mprotect(m + 2 * PG, PG, PROT_READ | PROT_WRITE), 0);
	ck_assert_ok(ctx, map_at(ctx, ioas, 0x10000, m, 4 * PG, RW));
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas, 0, UINT64_MAX, &n));
	ck_assert_int_eq(munmap(m + 3 * PG, PG), 0);
	ck_assert_int_eq(map_at(ctx, ioas, 0x10000, m + 2 * PG, 2 * PG, RW), -EFAULT);
	snprintf(want, sizeof(want), "page at %p", (void *)(m + 3 * PG));
	ck_assert_errmsg_has(ctx, want);
	/* a file cut short: the page past its end (SIGBUS to a touch) */
	fd = memfd_create("pin-accepted", MFD_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)(2 * PG)), 0);
	f = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(f, MAP_FAILED);
	ck_assert_ok(ctx, map_at(ctx, ioas, 0x20000, f, 2 * PG, RW));
	ck_assert_ok(ctx, ioasid_ioas_unmap(ctx, ioas, 0, UINT64_MAX, &n));
	ck_assert_int_eq(ftruncate(fd, (off_t)PG), 0);
	ck_assert_int_eq(map_at(ctx, ioas, 0x20000, f + PG, PG, RW), -EFAULT);
	ck_assert_int_eq(map_at(ctx, ioas, 0x20000, f + PG, PG, IOASID_MAP_READ), -EFAULT);
	ck_assert_ok(ctx, map_at(ctx, ioas, 0x20000, f, PG, RW));
	ioasid_ctx_close(ctx);
	munmap(f, 2 * PG);
	close(fd);
	munmap(m, 3 * PG);
}
END_TEST

/*
 * Ranges above 2 MiB are checked by VMA (pin-check.c): every refusal of
 * the page-by-page check must still come, at the page it names, and a
 * good range is not made resident by the check.
 */
START_TEST(test_efault_large_ranges)
{
	const uint64_t len = 8ull << 20; /* 2048 pages */
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint32_t ioas, dev = 0;
	unsigned char vec[2048];
	uint64_t i, resident = 0;
	char want[64];
	uint8_t *m;
	int fd;

	ck_assert_ok(ctx, ioasid_ctx_set_pinned_limit(ctx, UINT64_MAX));
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	test_domain(ctx, &dev, ioas);

	/* a memfd mapped whole, then cut short: the pages past its end */
	fd = memfd_create("pin-large", MFD_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)len), 0);
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	ck_assert_ptr_ne(m, MAP_FAILED);
	ck_assert_ok(ctx, map_at(ctx, ioas, 0x40000000, m, len, RW));
	ck_assert_int_eq(mincore(m, len, vec), 0);
	for (i = 0; i < len / PG; i++)
		resident += vec[i] & 1;
	ck_assert_uint_le(resident, 2);
	ck_assert_int_eq(ftruncate(fd, (off_t)(len - 3 * PG)), 0);
	ck_assert_int_eq(map_at(ctx, ioas, 0x80000000, m, len, RW), -EFAULT);
	snprintf(want, sizeof(want), "page at %p", (void *)(m + len - 3 * PG));
	ck_assert_errmsg_has(ctx, want);
	munmap(m, len);
	close(fd);

	/* anonymous memory with a hole and a read-only stretch in the middle */
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
		 0);
	ck_assert_ptr_ne(m, MAP_FAILED);
	ck_assert_int_eq(mprotect(m + 1000 * PG, 10 * PG, PROT_READ), 0);
	ck_assert_int_eq(map_at(ctx, ioas, 0x80000000, m, len, RW), -EFAULT);
	snprintf(want, sizeof(want), "page at %p", (void *)(m + 1000 * PG));
	ck_assert_errmsg_has(ctx, want);
	ck_assert_errmsg_has(ctx, "for write");
	ck_assert_ok(ctx, map_at(ctx, ioas, 0x80000000, m, len, IOASID_MAP_READ));
	ck_assert_int_eq(munmap(m + 1500 * PG, PG), 0);
	ck_assert_int_eq(map_at(ctx, ioas, 0xc0000000, m, len, IOASID_MAP_READ), -EFAULT);
	snprintf(want, sizeof(want), "page at %p", (void *)(m + 1500 * PG));
	ck_assert_errmsg_has(ctx, want);
	/* a range whose end is not mapped (547 pages, still above 2 MiB) */
	ck_assert_int_eq(munmap(m + len - 16 * PG, 16 * PG), 0);
	ck_assert_int_eq(map_at(ctx, ioas, 0xc0000000, m + 1501 * PG, len - 1501 * PG,
				IOASID_MAP_READ),
			 -EFAULT);
	snprintf(want, sizeof(want), "page at %p", (void *)(m + len - 16 * PG));
	ck_assert_errmsg_has(ctx, want);
	ck_assert_ok(ctx, map_at(ctx, ioas, 0xc0000000, m + 1501 * PG, len - 1517 * PG,
				 IOASID_MAP_READ));
	ioasid_ctx_close(ctx);
	munmap(m, len);
}
END_TEST

/* A sim DMA through memory the VMM unmapped or protected answers EFAULT. */
START_TEST(test_dma_after_munmap)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	uint8_t *m = test_mem(4 * PG), buf[64] = { 0 };
	uint32_t ioas, dev;
	size_t done = 99;

	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, ioas, NULL));
	ck_assert_ok(ctx, map_at(ctx, ioas, 0x10000, m, 4 * PG, RW));
	/* warm the translation caches: the fast path is guarded too */
	m[PG] = 0x5a;
	ck_assert_ok(ctx, ioasid_sim_dma_read(ctx, dev, IOASID_PASID_NONE, 0x11000, buf, 8, NULL));
	ck_assert_uint_eq(buf[0], 0x5a);
	ck_assert_int_eq(munmap(m + PG, PG), 0);
	ck_assert_int_eq(ioasid_sim_dma_read(ctx, dev, IOASID_PASID_NONE, 0x11000, buf, 8, &done),
			 -EFAULT);
	ck_assert_uint_eq(done, 0);
	ck_assert_errmsg_has(ctx, "gone from the process");
	ck_assert_errmsg_has(ctx, "0x11000");
	/* a DMA across the hole stops at it, with what came before */
	ck_assert_int_eq(ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, 0x10ff0, buf, 32, &done),
			 -EFAULT);
	ck_assert_uint_eq(done, 16);
	/* write-protected after the map: reads go on, writes fault */
	ck_assert_int_eq(mprotect(m + 2 * PG, PG, PROT_READ), 0);
	ck_assert_ok(ctx, ioasid_sim_dma_read(ctx, dev, IOASID_PASID_NONE, 0x12000, buf, 8, NULL));
	ck_assert_int_eq(ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, 0x12000, buf, 8, NULL),
			 -EFAULT);
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, 0x13000, buf, 8, NULL));
	ioasid_ctx_close(ctx);
	munmap(m, 4 * PG);
}
END_TEST

/* A fault outside a DMA meets the action it had before the guard. */
START_TEST(test_other_faults_pass_on)
{
	struct ioasid_ctx *ctx = test_sim_ctx(); /* installs the guard */
	volatile uint8_t *m = test_mem(PG);
	pid_t pid;
	int st;

	ck_assert_int_eq(munmap((void *)m, PG), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		(void)m[0];
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	/* SIGSEGV's default, or a sanitizer's handler that was there first */
	ck_assert_msg(WIFSIGNALED(st) ? WTERMSIG(st) == SIGSEGV : WEXITSTATUS(st) != 0,
		      "a stray fault must end the process as without the guard, status 0x%x", st);
	ioasid_ctx_close(ctx);
}
END_TEST

/* The two-call pattern: count first with no array (UBSan: no memcpy(NULL)). */
START_TEST(test_iova_ranges_two_calls)
{
	struct ioasid_ctx *ctx = test_sim_ctx();
	struct ioasid_iova_range r[4];
	uint32_t ioas, n = 0;

	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	ck_assert_int_eq(ioasid_ioas_iova_ranges(ctx, ioas, NULL, &n, NULL), -EMSGSIZE);
	ck_assert_uint_ge(n, 1);
	ck_assert_uint_le(n, 4);
	ck_assert_ok(ctx, ioasid_ioas_iova_ranges(ctx, ioas, r, &n, NULL));
	ioasid_ctx_close(ctx);
}
END_TEST

Suite *pin_suite(void)
{
	Suite *s = suite_create("pin");
	TCase *tc = tcase_create("pin");

	tcase_add_test(tc, test_contexts_share_the_limit);
	tcase_add_test(tc, test_exempt_pages_not_charged);
	tcase_add_test(tc, test_rlimit_mode_accounts);
	tcase_add_test(tc, test_rlimit_mode_rules);
	tcase_add_test(tc, test_rlimit_mode_eperm);
	tcase_add_test(tc, test_efault_when_pinned);
	tcase_add_test(tc, test_efault_large_ranges);
	tcase_add_test(tc, test_efault_after_accepted);
	tcase_add_test(tc, test_dma_after_munmap);
	tcase_add_test(tc, test_other_faults_pass_on);
	tcase_add_test(tc, test_iova_ranges_two_calls);
	suite_add_tcase(s, tc);
	return s;
}
