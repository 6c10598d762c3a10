/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sim's accesses to process memory, safe against the VMM's munmap().
 *
 * The kernel pins the pages of a mapping, so a device's DMA never faults:
 * when the VMM unmaps (or protects) memory it mapped into an IOAS, the
 * pinned pages live on and the device keeps reading and writing them. The
 * sim reaches that memory through the VMM's own addresses, which such a
 * munmap() takes away, and a plain copy would kill the process with
 * SIGSEGV. The check when the pages are pinned (lib/core/pin-check.c) is
 * over by then, and a system call per DMA (process_vm_writev) would cost
 * several times the copy it guards (tests/bench/translate, dma_ratio_4k).
 *
 * So every access stays a plain copy, but armed: the thread notes which
 * process memory it touches and where to resume. A SIGSEGV or SIGBUS the
 * kernel raises for an address inside that memory ends the access with
 * -EFAULT; any other signal goes on to the handler that was installed
 * before (or gets the default action), as if this one were not there. The
 * handlers are installed once per process, by the first sim context; a
 * handler the program installs later without passing faults on takes this
 * protection away (docs/design.md).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "core/private.h"
#include "sim-guard.h"

#define X(v) ((unsigned long long)(v))

/* What this thread's access touches, while one runs. */
struct guard {
	sigjmp_buf *resume;
	uintptr_t lo, hi; /* [lo, hi) */
};

/* initial-exec: read in a signal handler, where lazy TLS allocation is not safe */
static __thread struct guard guard __attribute__((tls_model("initial-exec")));

static struct sigaction prev_segv, prev_bus;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int install_err;

/* A signal that is not ours: what would have happened without us. */
static void pass_on(int sig, siginfo_t *si, void *uc)
{
	const struct sigaction *prev = sig == SIGSEGV ? &prev_segv : &prev_bus;

	if (prev->sa_flags & SA_SIGINFO) {
		prev->sa_sigaction(sig, si, uc);
	} else if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
		prev->sa_handler(sig);
	} else {
		/* a fault recurs on return and meets the old action; a kill() does not */
		sigaction(sig, prev, NULL);
		if (si->si_code <= 0)
			raise(sig);
	}
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	struct guard *g = &guard;
	uintptr_t a = (uintptr_t)si->si_addr;
	sigjmp_buf *resume = g->resume;
	sigset_t set;

	if (!resume || si->si_code <= 0 || a < g->lo || a >= g->hi) {
		pass_on(sig, si, uc);
		return;
	}
	g->resume = NULL;
	/* a handler installed after ours may have called us with @sig blocked */
	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	siglongjmp(*resume, 1);
}

static void install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	/* NODEFER: leaving by siglongjmp() must not leave the signal blocked */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &prev_segv) || sigaction(SIGBUS, &sa, &prev_bus))
		install_err = -errno;
}

int sim_guard_init(void)
{
	pthread_once(&once, install);
	return install_err;
}

/*
 * The body of a guarded access to [@host, @host + @len): the compiler
 * fences keep the arming stores around the access, where the handler
 * needs them. A function that uses it returns its result.
 */
#define GUARDED(host, len, access)                         \
	do {                                               \
		sigjmp_buf resume;                         \
		if (sigsetjmp(resume, 0))                  \
			return -EFAULT;                    \
		guard.lo = (uintptr_t)(host);              \
		guard.hi = (uintptr_t)(host) + (len);      \
		guard.resume = &resume;                    \
		atomic_signal_fence(memory_order_seq_cst); \
		access;                                    \
		atomic_signal_fence(memory_order_seq_cst); \
		guard.resume = NULL;                       \
		return 0;                                  \
	} while (0)

int sim_guard_copy(void *dst, const void *src, size_t n, bool to_dst)
{
	GUARDED(to_dst ? dst : src, n, memcpy(dst, src, n));
}

int sim_guard_load64(const uint64_t *p, uint64_t *ret)
{
	GUARDED(p, sizeof(*p),
		*ret = atomic_load_explicit((const _Atomic uint64_t *)p, memory_order_relaxed));
}

int sim_guard_or64(uint64_t *p, uint64_t bits)
{
	GUARDED(p, sizeof(*p),
		atomic_fetch_or_explicit((_Atomic uint64_t *)p, bits, memory_order_relaxed));
}

int sim_guard_and64(uint64_t *p, uint64_t bits)
{
	GUARDED(p, sizeof(*p),
		atomic_fetch_and_explicit((_Atomic uint64_t *)p, bits, memory_order_relaxed));
}

int sim_guard_dma(struct ioasid_ctx *ctx, uint64_t host, void *buf, size_t n, bool write,
		  uint64_t iova)
{
	void *h = (void *)(uintptr_t)host;

	if (!(write ? sim_guard_copy(h, buf, n, true) : sim_guard_copy(buf, h, n, false)))
		return 0;
	return ioasid_err(ctx, -EFAULT,
			  "DMA %s of %zu bytes at iova 0x%llx: its memory at 0x%llx is gone from the process (unmapped or protected after it was mapped)",
			  write ? "write" : "read", n, X(iova), X(host));
}
