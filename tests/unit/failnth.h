/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fail-nth driver (check_failnth.c) and its operations: those of the
 * iommufd backend (check_failnth.c) and of the vfio backend
 * (check_failnth_vfio.c), each over its stateful fake kernel
 * (tests/fake-kernel/).
 */
#ifndef IOASID_TEST_FAILNTH_H
#define IOASID_TEST_FAILNTH_H

#include <stdbool.h>
#include <stdint.h>

#include <check.h>

#include "../fake-kernel/fk-vfio.h"
#include "../fake-kernel/fk.h"

#define RW (IOASID_MAP_READ | IOASID_MAP_WRITE)
#define FIX (RW | IOASID_MAP_FIXED_IOVA)
#define MEM_LEN (16 * 4096)

/* One run's world: a fake kernel, a context over it, some memory, ids. */
struct env {
	bool vfio;
	struct fk k;   /* iommufd */
	struct fkv kv; /* vfio */
	struct ioasid_ctx *ctx;
	uint8_t *mem;
	uint32_t set, dev[2], ioas, ioas2, hwpt, hwpt2, queue, pasid;
	int fd[2];
};

struct op {
	const char *name;
	void (*setup)(struct env *e); /* must succeed: no failure is armed */
	int (*run)(struct env *e);    /* the operation tried at every step */
	bool lets_go;  /* the library lets go of its devices: a bare binding is the caller's */
	bool may_fail; /* the op fails even without an injected failure */
};

/* A mismatch known today: the op, the request made to fail and which of
 * the op's calls of it (1-based; "none", 0: with no failure at all). */
struct known {
	const char *op, *req;
	unsigned int nth;
	const char *what;
};

/* The vfio backend's operations and known mismatches (check_failnth_vfio.c). */
extern const struct op failnth_vfio_ops[];
extern const unsigned int failnth_vfio_nr_ops;
extern const struct known failnth_vfio_known[];
/* The vfio backend's other tests of this suite. */
void failnth_vfio_tests(TCase *tc);

/* The steps both backends share (check_failnth.c): no setup; attach
 * dev[0] to ioas; replace it onto ioas2, or onto ioas again; unmap
 * [0, 4 MiB) of ioas; detach dev[0]; unbind it; close the context. */
void failnth_nothing(struct env *e);
int failnth_op_attach(struct env *e);
int failnth_op_replace(struct env *e);
int failnth_op_replace_same(struct env *e);
int failnth_op_unmap(struct env *e);
int failnth_op_detach(struct env *e);
int failnth_op_unbind(struct env *e);
int failnth_op_close(struct env *e);

/* Map @len bytes of e->mem at @off to @iova of @ioas (must succeed). */
void failnth_map(struct env *e, uint32_t ioas, uint64_t iova, size_t off, size_t len);

#endif
