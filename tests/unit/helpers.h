/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared helpers of the unit tests. */
#ifndef IOASID_TEST_HELPERS_H
#define IOASID_TEST_HELPERS_H

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <ioasid/ioasid.h>

/* Assert a call returns @want (0 or a negative errno), showing the message. */
#define ck_assert_ret(ctx, expr, want)                                           \
	do {                                                                     \
		int __r = (expr);                                                \
		ck_assert_msg(__r == (want), "%s returned %d (%s), wanted %d (%s): %s", \
			      #expr, __r, ioasid_strerrno(__r), (int)(want),     \
			      ioasid_strerrno(want), ioasid_ctx_errmsg(ctx));    \
	} while (0)

#define ck_assert_ok(ctx, expr) ck_assert_ret(ctx, expr, 0)

/* The last message of @ctx contains @needle. */
#define ck_assert_errmsg_has(ctx, needle)                                        \
	ck_assert_msg(strstr(ioasid_ctx_errmsg(ctx), (needle)) != NULL,          \
		      "message '%s' does not contain '%s'", ioasid_ctx_errmsg(ctx), \
		      (needle))

/* A sim context of backend spec @spec ("sim", "sim:smmuv3", ...). */
static inline struct ioasid_ctx *test_sim_ctx_spec(const char *spec)
{
	struct ioasid_ctx *ctx = NULL;
	int r = ioasid_ctx_open(spec, NULL, &ctx);

	ck_assert_msg(r == 0, "%s open: %d %s", spec, r, ioasid_last_errmsg());
	/* Tests run as root in CI: see the limit as an ordinary user would. */
	ioasid_ctx_set_cap_ipc_lock_exempt(ctx, false);
	ioasid_ctx_set_pinned_limit(ctx, UINT64_MAX);
	return ctx;
}

static inline struct ioasid_ctx *test_sim_ctx(void)
{
	return test_sim_ctx_spec("sim");
}

/*
 * Give IOAS @ioas a paging domain, an HWPT of sim0 (bound at the first
 * call, *@dev 0 until then): pages are pinned, and charged, only while
 * their IOAS has one (kernel-uapi.md §4.5). Returns the HWPT's id.
 */
static inline uint32_t test_domain(struct ioasid_ctx *ctx, uint32_t *dev, uint32_t ioas)
{
	uint32_t hwpt;

	if (!*dev)
		ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", dev));
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, *dev, ioas, NULL, &hwpt));
	return hwpt;
}

/* Page-aligned anonymous memory of @len bytes. */
static inline void *test_mem(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_msg(p != MAP_FAILED, "mmap %zu", len);
	return p;
}

/*
 * A snapshot of an IOAS to check "nothing changed": its areas, usable
 * ranges, alignment and the context's pinned pages.
 */
struct ioas_snap {
	struct ioasid_mapping maps[64];
	uint32_t nr_maps;
	struct ioasid_iova_range ranges[32];
	uint32_t nr_ranges;
	uint64_t alignment;
	uint64_t pinned;
};

static inline void ioas_snap_take(struct ioasid_ctx *ctx, uint32_t ioas,
				  struct ioas_snap *s)
{
	struct ioasid_pinned_info pi;

	memset(s, 0, sizeof(*s));
	s->nr_maps = 64;
	ck_assert_ok(ctx, ioasid_ioas_mappings(ctx, ioas, 0, s->maps, &s->nr_maps));
	s->nr_ranges = 32;
	ck_assert_ok(ctx, ioasid_ioas_iova_ranges(ctx, ioas, s->ranges, &s->nr_ranges,
						  &s->alignment));
	ck_assert_ok(ctx, ioasid_ctx_pinned(ctx, &pi));
	s->pinned = pi.pinned_pages;
}

static inline void ioas_snap_same(struct ioasid_ctx *ctx, uint32_t ioas,
				  const struct ioas_snap *before)
{
	struct ioas_snap now;

	ioas_snap_take(ctx, ioas, &now);
	ck_assert_msg(!memcmp(before, &now, sizeof(now)),
		      "IOAS %u changed: %u->%u areas, %u->%u ranges, pinned %llu->%llu",
		      ioas, before->nr_maps, now.nr_maps, before->nr_ranges, now.nr_ranges,
		      (unsigned long long)before->pinned, (unsigned long long)now.pinned);
}

/*
 * A thread doing @count sim DMA reads of 16 bytes by @dev, one a 4 KiB page
 * up from 4 GiB * (@idx + 1), so threads never share a page; @ok counts
 * the reads that completed whole (those that faulted wait for their answer).
 */
struct test_dma_reader {
	struct ioasid_ctx *ctx;
	uint32_t dev;
	int idx;
	int count;
	int ok;
};

static inline void *test_dma_reader_main(void *arg)
{
	struct test_dma_reader *d = arg;
	int i;

	for (i = 0; i < d->count; i++) {
		uint64_t iova = 0x100000000ull * (d->idx + 1) + (uint64_t)i * 4096;
		size_t done;
		char b[16];

		if (ioasid_sim_dma_read(d->ctx, d->dev, IOASID_PASID_NONE, iova, b, sizeof(b),
					&done) == 0 &&
		    done == sizeof(b))
			d->ok++;
	}
	return NULL;
}

#endif
