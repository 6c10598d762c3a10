/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The conformance suite: the kernel's own iommufd selftest
 * (tools/testing/selftests/iommu/iommufd.c, Linux 7.2.13) expressed case by
 * case through libioasid's public API, with the kernel's expected errnos
 * and values (docs/conformance.md).
 *
 * A case is a row of the table (table.c): its name, the selftest case it
 * comes from (fixture, variant, test), what it needs and its status. The
 * case bodies use only include/ioasid/; what only a backend can show — that
 * a translation really reaches the memory, planting dirty bits, raising a
 * page request — goes through an *oracle* (struct cf_oracle): the sim's
 * own DMA engine on the sim, the kernel's selftest commands in the VM.
 */
#ifndef IOASID_CF_H
#define IOASID_CF_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <ioasid/ioasid.h>

/* Devices a case binds, by role; the harness gives each role a name. */
enum cf_role {
	CF_DEV,               /* a plain device: dirty tracking, no PASID */
	CF_DEV2,              /* a second one, behind the same IOMMU */
	CF_DEV3,              /* a third one, made and removed inside a case */
	CF_DEV_PASID,         /* one with PASIDs (the mock's 20 bits) */
	CF_DEV_NODIRTY,       /* one whose IOMMU has no dirty tracking */
	CF_DEV_PASID_NODIRTY, /* PASIDs, no dirty tracking */
	CF_NR_ROLES,
};

/* What a case needs besides a context: roles, and these. */
#define CF_NEED_ROLE(r) (1u << (r))
#define CF_NEED_NESTING (1u << 8)     /* nested HWPTs in a stage-1 format the API knows */
#define CF_NEED_IOPF (1u << 9)        /* the oracle can raise a page request */
#define CF_NEED_DIRTY (1u << 10)      /* the oracle can dirty pages */
#define CF_NEED_HUGE_IOPTE (1u << 11) /* a huge-page area gets huge IOPTEs, knowably */
#define CF_NEED_DMABUF (1u << 12)     /* the oracle can make and revoke a dma-buf */
#define CF_NEED_VIOMMU (1u << 13)     /* the backend has vIOMMU objects (cf_oracle.viommu) */
/* The test driver's own vIOMMU behaviour, which no vIOMMU of a real IOMMU's type has: */
#define CF_NEED_VIOMMU_DATA (1u << 14) /* its vIOMMU data echo and its page to mmap() */
#define CF_NEED_HW_QUEUE (1u << 15)    /* its HW queues */
#define CF_NEED_VDEV_CACHE (1u << 16)  /* its per-device cache and invalidation entries */

enum cf_status {
	CF_RUN,      /* runs with the kernel's expectations */
	CF_STRICTER, /* runs; asserts the library's documented, stricter answer */
	CF_XFAIL,    /* runs; a known deviation (issue 11 §2) still shows */
	CF_WAITING,  /* the API cannot express it yet: waits for a feature */
	CF_NA,       /* its meaning is the kernel's or the mock's own business */
};

struct cf_t;

struct cf_case {
	const char *fixture, *variant, *test; /* the selftest's TEST_F (variant "" if none) */
	const char *part;                     /* "" or which part of that test this row is */
	uint32_t needs;                       /* CF_NEED_* */
	enum cf_status status;
	/*
	 * CF_XFAIL: the deviation ids, space-separated, each optionally
	 * "@sim" or "@iommufd" when it shows on one backend only; CF_WAITING:
	 * the feature; CF_NA: the reason; CF_STRICTER: what is stricter.
	 */
	const char *why;
	void (*fn)(struct cf_t *t);
	const void *arg; /* the variant's parameters */
};

extern const struct cf_case cf_cases[];
extern const unsigned int cf_nr_cases;

/*
 * Whose vIOMMU the iommufd_viommu rows use: the kernel's test driver
 * (IOASID_VIOMMU_SELFTEST and its data, in the VM), or an SMMUv3 vIOMMU
 * (IOASID_VIOMMU_ARM_SMMUV3, a guest vSTE over guest CD and stage-1 tables
 * in the parent's IOAS, SMMUv3 event records; on the sim's SMMUv3 model).
 */
enum cf_viommu_model {
	CF_VIOMMU_NONE,
	CF_VIOMMU_SELFTEST,
	CF_VIOMMU_SMMUV3,
};

/* An IOVA the fixture's guest stage 1 (CF_VIOMMU_SMMUV3) leaves unmapped. */
#define CF_S1_UNMAPPED_IOVA 0x100000ull

/* What only the backend can show (oracle-sim.c, oracle-mock.c). */
struct cf_oracle {
	const char *name;
	/* IOVA [iova, iova + len) of @dev, as attached now, reaches @va */
	int (*check_map)(struct cf_t *t, uint32_t dev, uint64_t iova, const void *va, size_t len);
	/*
	 * Dirty the page of each set bit of @bits (bit n: iova + n * @pgsz),
	 * as DMA by @dev through @hwpt would; *@ret_nr: how many.
	 */
	int (*plant_dirty)(struct cf_t *t, uint32_t dev, uint32_t hwpt, uint64_t iova, uint64_t len,
			   uint64_t pgsz, const uint64_t *bits, uint64_t *ret_nr);
	/* A one-page request group from (@dev, @pasid) at @addr. */
	int (*raise_iopf)(struct cf_t *t, uint32_t dev, uint32_t pasid, uint64_t addr);
	/* Settle what raise_iopf() left behind, after the case answered on @queue. */
	void (*iopf_done)(struct cf_t *t, uint32_t queue);
	/* Before a case of the variant with the kernel's temporary memory limit. */
	int (*set_memory_limit)(struct cf_t *t, unsigned int pages);
	/* After every case (may be NULL). */
	void (*end)(struct cf_t *t);
	/*
	 * A dma-buf of @len bytes an IOAS can import (the selftest's
	 * IOMMU_TEST_OP_DMABUF_GET): its fd in *@ret_fd; revoke it (or undo
	 * that). NULL: no dma-buf here (CF_NEED_DMABUF).
	 */
	int (*dmabuf_get)(struct cf_t *t, size_t len, int *ret_fd);
	int (*dmabuf_revoke)(struct cf_t *t, int fd, bool revoked);
	/*
	 * What CF_NEED_* it serves. huge_iopte: an area of huge pages, aligned
	 * and sized for the IOMMU's largest page up to 2 MiB, is mapped with
	 * such pages (the kernel picks the largest page that fits; the mock
	 * only with its own huge table, which the API cannot ask for).
	 */
	bool nesting, iopf, dirty, huge_iopte;
	/*
	 * The test driver's per-device cache entry @cache_id of @dev holds
	 * @value (IOMMU_TEST_OP_DEV_CHECK_CACHE): 0, or -EINVAL when it does
	 * not. NULL without vIOMMU objects.
	 */
	int (*dev_cache_is)(struct cf_t *t, uint32_t dev, uint32_t cache_id, uint32_t value);
	/*
	 * One event on @dev's vIOMMU: the test driver's
	 * (IOMMU_TEST_OP_TRIGGER_VEVENT), or with CF_VIOMMU_SMMUV3 a DMA by
	 * @dev at CF_S1_UNMAPPED_IOVA, which the guest's empty stage 1 of
	 * the fixture turns into an F_TRANSLATION record.
	 */
	int (*trigger_vevent)(struct cf_t *t, uint32_t dev);
	/* the vIOMMU the backend has (CF_NEED_VIOMMU), and what of the test driver's */
	enum cf_viommu_model viommu;
	bool viommu_data, hw_queue;
};

extern const struct cf_oracle cf_oracle;

/* The environment the harness runs the cases in. */
struct cf_env {
	const char *spec;              /* ioasid_ctx_open() spec */
	const char *spec_viommu;       /* the same for the CF_NEED_VIOMMU rows */
	const char *role[CF_NR_ROLES]; /* device names; NULL = none here */
	const char *backend;           /* "sim" or "iommufd", for @sim / @iommufd */
	int verbose;
};

/* One case's run. */
struct cf_t {
	const struct cf_case *c;
	const struct cf_env *env;
	struct ioasid_ctx *ctx;
	uint32_t dev[CF_NR_ROLES];       /* bound ids, 0 = not bound */
	unsigned int checks, hard, soft; /* checks made; failed ones, unexpected and expected */
	char shown[256];                 /* the deviations that showed, space-separated */
	jmp_buf abort;
	void *mem[16]; /* cf_mem() allocations, freed after the case */
	size_t mem_len[16];
	void *oracle_state;
};

/* ---- checks (harness.c) ---- */

void cf_fail(struct cf_t *t, const char *dev_id, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void cf_pass(struct cf_t *t);

/* expr must return want (0 or -errno); a failure ends the case. */
#define CF_RET(t, expr, want) cf_ret_((t), NULL, (expr), (want), #expr, __FILE__, __LINE__)
#define CF_OK(t, expr) CF_RET(t, expr, 0)
/* A check where deviation @id shows: if the row expects it, the case goes on. */
#define CF_DRET(t, id, expr, want) cf_ret_((t), (id), (expr), (want), #expr, __FILE__, __LINE__)
#define CF_TRUE(t, cond, ...)                                                \
	do {                                                                 \
		if (cond)                                                    \
			cf_pass(t);                                          \
		else                                                         \
			cf_fail((t), NULL, __FILE__, __LINE__, __VA_ARGS__); \
	} while (0)
#define CF_DTRUE(t, id, cond, ...)                                           \
	do {                                                                 \
		if (cond)                                                    \
			cf_pass(t);                                          \
		else                                                         \
			cf_fail((t), (id), __FILE__, __LINE__, __VA_ARGS__); \
	} while (0)
#define CF_EQ(t, a, b)                                                                   \
	CF_TRUE(t, (uint64_t)(a) == (uint64_t)(b), "%s == %s: 0x%llx != 0x%llx", #a, #b, \
		(unsigned long long)(a), (unsigned long long)(b))

#define CF_DEQ(t, id, a, b)                                                                   \
	CF_DTRUE(t, id, (uint64_t)(a) == (uint64_t)(b), "%s == %s: 0x%llx != 0x%llx", #a, #b, \
		 (unsigned long long)(a), (unsigned long long)(b))

int cf_ret_(struct cf_t *t, const char *dev_id, int got, int want, const char *expr,
	    const char *file, int line);

/* ---- helpers (util.c) ---- */

/* The device of @role, bound now if it is not (a failure ends the case). */
uint32_t cf_dev(struct cf_t *t, enum cf_role role);
/* Unbind it (it was made inside the case). */
void cf_unbind(struct cf_t *t, enum cf_role role);
/* @len bytes of zeroed shared anonymous memory, aligned to @align; freed after the case. */
void *cf_mem(struct cf_t *t, size_t len, size_t align);
/* As cf_mem(), backed by huge pages when the host has them. */
void *cf_mem_huge(struct cf_t *t, size_t len);
/*
 * @len bytes of a memfd (hugetlbfs with @huge when the host has huge
 * pages), mapped shared; its fd in *@ret_fd (closed when the case's
 * process ends). The selftest's memfd_mmap().
 */
void *cf_memfd(struct cf_t *t, size_t len, bool huge, int *ret_fd);
/* A read-write map of [@offset, +@len) of @fd at an IOVA the library chooses. */
int cf_map_file_auto(struct cf_t *t, uint32_t ioas, int fd, uint64_t offset, uint64_t len,
		     uint64_t *ret_iova);
/* Give back one cf_mem() block early (munmap). */
void cf_mem_unmap(struct cf_t *t, void *p, size_t len);
uint32_t cf_ioas(struct cf_t *t);
/* A paging HWPT with @flags and no data (the call's answer, unchecked). */
int cf_hwpt_alloc(struct cf_t *t, uint32_t dev, uint32_t pt, uint32_t flags, uint32_t *ret);
/* A read-write map at an IOVA the library chooses (the call's answer, unchecked). */
int cf_map_auto(struct cf_t *t, uint32_t ioas, void *va, uint64_t len, uint64_t *ret_iova);
void cf_fill(void *p, size_t len, uint64_t seed);

/* What a device's capability chain says. */
struct cf_geom {
	uint64_t pgsize;            /* smallest page of its IOMMU */
	uint64_t pgsizes;           /* every page size (bit n: 2^n bytes) */
	uint64_t ap_start, ap_last; /* the usable IOVA span of a domain */
	uint32_t nr_ranges;         /* IOVA ranges in the chain */
	uint32_t pasid_width;
	uint64_t features, known; /* IOASID_FEAT_* */
};
void cf_geom(struct cf_t *t, uint32_t dev, struct cf_geom *g);

/* The HWPT objects of the context (the automatic ones included), ascending. */
unsigned int cf_hwpts(struct cf_t *t, uint32_t *out, unsigned int max);
/* The one HWPT that appeared since @before (cf_hwpts() list), 0 if none. */
uint32_t cf_new_hwpt(struct cf_t *t, const uint32_t *before, unsigned int n);

/* A set holding the PASID @pasid (allocated exactly). */
uint32_t cf_set_with_pasid(struct cf_t *t, uint32_t pasid);
/* Attach options acting as @set. */
struct ioasid_attach_opts cf_as_set(uint32_t set);

/* The host's CPU page size (the selftest's PAGE_SIZE). */
extern size_t cf_page;
/* The selftest's BUFFER_SIZE: 16 CPU pages. */
#define CF_BUFFER_SIZE (16 * cf_page)
/* The selftest's MOCK_APERTURE_START: a base IOVA for IOASes without a domain. */
#define CF_NODOM_BASE (1ull << 24)

#define X(v) ((unsigned long long)(v))

#endif
