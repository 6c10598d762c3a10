/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the files of the trace share (lib/core/trace*.c; docs/tracing.md):
 *   trace.c           the trace itself: start and stop, writing steps,
 *                     labels for object ids, buffers for process memory
 *   trace-profile.c   the sim profile of a kernel backend's devices
 *   trace-hooks.c     the hooks of address spaces, sets, devices, HWPTs,
 *                     fault queues and the pinned-memory limit
 *   trace-hooks-dma.c the hooks of what devices do: fault records and
 *                     clocks, the sim's DMA engine, invalidation, dirty
 *                     tracking, the sim's stale mode
 *   trace-hooks-viommu.c the hooks of vIOMMUs, vDEVICEs, vEVENTQs and
 *                     HW queues
 * The hooks themselves are declared in trace-private.h, for the entry
 * points that call them.
 */
#ifndef IOASID_TRACE_INTERNAL_H
#define IOASID_TRACE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "private.h"
#include "trace-private.h"

/* What the trace knows of one object id. */
struct trace_id {
	uint32_t gen;  /* objects the trace saw made with this id; 0: none */
	uint32_t kind; /* the kind of the latest */
};

/* Process memory the trace made a "buffer" step for, found by address. */
struct trace_buf {
	uintptr_t va;
	uint64_t len; /* bytes from va the buffer holds */
	uint64_t off; /* where va is in the buffer */
	char label[24];
	uint8_t *shadow; /* IOASID_TRACE_CONTENTS: the contents last recorded */
	int fd;          /* a memfd buffer (map_file): the trace's dup of the file; else -1 */
	uint64_t dev, ino; /* the memfd's identity */
};

/* A device bound while the trace ran: a row of the profile (kernel backends). */
struct trace_dev {
	char orig[64]; /* what the VMM bound: a path, a PCI address */
	char name[32];
	void *caps;
	size_t caps_len;
};

struct ioasid_trace {
	FILE *f;
	char *path;
	char *profile_path; /* kernel backends: the profile written beside the trace */
	uint32_t flags;
	int err;          /* the first failed write, or 0 */
	uint64_t steps;   /* steps written */
	uint64_t skipped; /* calls left out: objects the trace never saw made */
	struct trace_id *ids;
	uint32_t nr_ids;
	void *bufs; /* tsearch() tree of struct trace_buf, by address */
	uint32_t nr_bufs;
	struct trace_buf **buflist; /* the same, in the order made (and those replaced) */
	uint32_t nr_buflist;
	struct trace_dev *devs;
	uint32_t nr_devs;
	bool sim;
	void *dmas;          /* tsearch() tree of the DMA handles labelled (uint64_t *) */
	bool clock_started;  /* clock_last is set */
	uint64_t clock_last; /* the fault clock at the last clock_advance step */
};

/* An argument's label kinds, as bits of enum ioasid_obj_kind. */
#define M(kind) (1u << (kind))

/* trace.c */
/* Log the first failed write (or -ENOMEM) and stop recording. */
void trace_write_failed(struct ioasid_ctx *ctx, struct ioasid_trace *t, int err);
/* Write one step and take it (NULL: out of memory); nothing once a write failed. */
void trace_emit(struct ioasid_ctx *ctx, struct ioasid_trace *t, json_t *step);
/* "0x..." */
json_t *trace_hex(uint64_t v);
/* A step of @op with its result ("expect"); the caller adds the arguments. */
json_t *trace_step(const char *op, int err);
/* "expect_value": {key: v} on success (takes @v). */
void trace_expect(json_t *s, int err, const char *key, json_t *v);
/* The label of object @id for an argument taking the kinds @mask, or NULL. */
json_t *trace_label_ref(struct ioasid_trace *t, uint32_t id, unsigned int mask);
/* A new label for object @id of @kind (or NULL when out of memory). */
json_t *trace_label_new(struct ioasid_trace *t, uint32_t id, enum ioasid_obj_kind kind);
/* Argument @key = the label of @id; false (the step freed, the call counted as left out) when none. */
bool trace_add_ref(struct ioasid_trace *t, json_t *s, const char *key, uint32_t id,
		   unsigned int mask);
/* The "as" of a step that made object *@ret_id, when it succeeded. */
void trace_add_made(struct ioasid_trace *t, json_t *s, int err, const uint32_t *ret_id,
		    enum ioasid_obj_kind kind);
/* Write steps for the memory of @b that changed since last recorded (contents). */
void trace_sync_buffer(struct ioasid_ctx *ctx, struct ioasid_trace *t, struct trace_buf *b);
/* With IOASID_TRACE_CONTENTS: trace_sync_buffer() of every buffer. */
void trace_sync_contents(struct ioasid_ctx *ctx, struct ioasid_trace *t);
/* The buffer step that holds [va, va + len) (made when needed), or NULL. */
struct trace_buf *trace_buffer_for(struct ioasid_ctx *ctx, struct ioasid_trace *t, const void *va,
				   uint64_t len);
/*
 * The buffer step a map_file of @fd maps, in @label: a memfd buffer of the
 * file's size (made when needed, *@ret_b), or a new anonymous page when @fd
 * is no open file (the replay's map_file then fails as the call did, and
 * *@ret_b is NULL). 0; -EOPNOTSUPP a file no buffer step can be (not shmem:
 * a dma-buf, hugetlbfs, an empty file); -ENOMEM.
 */
int trace_file_buffer(struct ioasid_ctx *ctx, struct ioasid_trace *t, int fd, char *label,
		      size_t label_len, struct trace_buf **ret_b);
/* The trace, when it still records; else NULL. */
struct ioasid_trace *trace_rec(struct ioasid_ctx *ctx);

/* trace-hooks-viommu.c */
/* @len bytes as hex pairs (NULL when out of memory). */
json_t *trace_hex_bytes(const void *p, size_t len);

/* trace-profile.c */
/* Write the profile file; 0 or a negative errno. */
int trace_profile_write(struct ioasid_trace *t);
/* The profile's name for the device bound as @name (in place), added when bound. */
int trace_dev_note(struct ioasid_ctx *ctx, struct ioasid_trace *t, uint32_t id, int err, char *name,
		   size_t len);

#endif
