/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sim's accesses to process memory, which cannot fault the process
 * (sim-guard.c): each is a plain copy or load, and a SIGSEGV or SIGBUS
 * the kernel raises inside the memory it touches ends it with -EFAULT.
 */
#ifndef IOASID_SIM_GUARD_H
#define IOASID_SIM_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ioasid_ctx;

/*
 * Install the process's SIGSEGV and SIGBUS handlers, once (every sim
 * context calls it at open). Return: 0 or the negative errno of
 * sigaction().
 */
int sim_guard_init(void);

/*
 * Copy @n bytes between the device's buffer @buf and process memory at
 * @host: to @host when @write. Return: 0; -EFAULT, with a message naming
 * @iova and @host, when the memory at @host faulted (the VMM unmapped or
 * protected it after mapping it).
 */
int sim_guard_dma(struct ioasid_ctx *ctx, uint64_t host, void *buf, size_t n, bool write,
		  uint64_t iova);

/* As above without a message: the DMA fast path's copy. */
int sim_guard_copy(void *dst, const void *src, size_t n, bool to_dst);

/* An atomic 64-bit load / fetch-or on process memory; 0 or -EFAULT. */
int sim_guard_load64(const uint64_t *p, uint64_t *ret);
int sim_guard_or64(uint64_t *p, uint64_t bits);
/* An atomic 64-bit fetch-and (@bits: those kept); 0 or -EFAULT. */
int sim_guard_and64(uint64_t *p, uint64_t bits);

#endif
