/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libioasid: record what a context does as a scenario file that
 * `ioasidctl run` replays on the simulated IOMMU (docs/tracing.md).
 *
 * Every public call that changes a context's state is written, in the
 * order the library serialized the calls (under the context's lock), as a
 * scenario step (docs/scenario-format.md) with its result ("expect") and
 * the values it returned ("expect_value": IOVAs, PASIDs, byte counts). The
 * file names the sim profile that matches the devices bound (for a kernel
 * backend, a profile file written beside the trace from the devices'
 * capability chains). Setting IOASID_TRACE=FILE in the environment starts a
 * trace when a context is opened; these calls start and stop one by hand.
 */
#ifndef IOASID_TRACE_H
#define IOASID_TRACE_H

#include <ioasid/common.h>

struct ioasid_ctx;

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Record the contents of process memory each map covers, as it is at the
 * time of the map (a "write" step of the buffer before the "map"). Without
 * it, buffers are recorded by size and alignment only.
 */
#define IOASID_TRACE_CONTENTS (1u << 0)

/* Options of ioasid_ctx_trace_start(); see IOASID_OPTS_INIT(). */
struct ioasid_trace_opts {
	size_t sz;
	uint32_t flags;      /* IOASID_TRACE_* */
	uint32_t __reserved; /* 0 */
};

/**
 * ioasid_ctx_trace_start() - start recording @ctx's calls into a file.
 * @ctx: the context.
 * @path: the trace file, created or truncated (mode 0600). For a kernel
 *        backend the profile is written to @path with ".profile.json"
 *        added.
 * @opts: options or NULL (no contents).
 *
 * Objects made before the trace starts are not in it: a step that uses one
 * is left out (the file's description counts them). IOASID_TRACE=FILE in
 * the environment starts a trace in ioasid_ctx_open() and
 * ioasid_ctx_open_fd() before any object exists, with
 * IOASID_TRACE_CONTENTS when IOASID_TRACE_CONTENTS=1 is set too; the open
 * fails with this function's error when the file cannot be created.
 * Return: 0; -EINVAL NULL @path or unknown flags; -E2BIG a non-zero
 * unknown tail of @opts; -EBUSY a trace is already running; the errno of
 * creating the file (-ENOENT, -EACCES, ...), with a message naming it;
 * -ENOMEM.
 */
IOASID_EXPORT int ioasid_ctx_trace_start(struct ioasid_ctx *ctx, const char *path,
					 const struct ioasid_trace_opts *opts);

/**
 * ioasid_ctx_trace_stop() - end the trace: write the end of the file and
 * close it. ioasid_ctx_close() does the same for a trace still running.
 * @ctx: the context.
 *
 * A write that failed while the trace ran (a full disk, /dev/full) does not
 * fail the call being recorded: it is logged (IOASID_LOG_ERR), recording
 * stops, and the error comes back here.
 * Return: 0; -ENOENT no trace is running; the errno of the first failed
 * write (-ENOSPC, -EIO, ...), with a message naming the file.
 */
IOASID_EXPORT int ioasid_ctx_trace_stop(struct ioasid_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_TRACE_H */
