/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The context lock's contended path. In a file of its own because the
 * error channel (error.c) takes the lock too, and the fuzz targets that
 * build the capability chain alone link error.c without the rest of ctx.c.
 */
#include <pthread.h>
#include <sched.h>

#include "private.h"

/*
 * The lock is held for microseconds at most, and on the fault path two
 * threads meet on it every round (the owner maps while the device
 * retries). Sleeping on the futex costs a wake-up — tens of microseconds
 * on a loaded machine — so a waiter first retries LOCK_SPIN_TRIES times,
 * pausing (some microseconds), and sleeps only when the holder takes
 * longer (e.g. it was preempted) — or at once when the holder took the
 * lock on this very CPU, where it cannot run while we spin.
 */
#define LOCK_SPIN_TRIES 256

void ctx_lock_slow(struct ioasid_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < LOCK_SPIN_TRIES; i++) {
		/* a holder on this CPU cannot run while we spin: sleep at once */
		if (__atomic_load_n(&ctx->lock_cpu, __ATOMIC_RELAXED) == sched_getcpu())
			break;
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
		if (pthread_mutex_trylock(&ctx->lock) == 0)
			return;
	}
	pthread_mutex_lock(&ctx->lock);
}
