/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Record and replay (docs/tracing.md): the public calls that change a
 * context's state, written as the steps of a scenario file that
 * `ioasidctl run` replays on the sim, checking each step's result
 * ("expect") and returned values ("expect_value").
 *
 * Every hook runs with the context's lock held (trace-private.h), so steps
 * are written in the order the library serialized the calls, whatever
 * thread made them. Objects are named by labels, as scenarios name them:
 * "ioas3" for IOAS 3, "ioas3.2" for the second IOAS to get id 3 while the
 * trace ran. Process memory becomes "buffer" steps that keep what a map's
 * outcome depends on: the length, the in-page offset and the alignment of
 * the address (which guides the automatic IOVA, io-pagetable.c).
 *
 * A failed write does not fail the call being recorded: it is logged, the
 * trace stops writing, and ioasid_ctx_trace_stop() returns the error.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include "backend/backend.h"
#include "trace-internal.h"

/* The kinds of object a trace names, by enum ioasid_obj_kind. */
static const char *const kind_prefix[] = {
	[IOASID_OBJ_IOAS] = "ioas",         [IOASID_OBJ_SET] = "set",
	[IOASID_OBJ_DEV] = "dev",           [IOASID_OBJ_HWPT] = "hwpt",
	[IOASID_OBJ_FAULT_QUEUE] = "queue", [IOASID_OBJ_VIOMMU] = "viommu",
	[IOASID_OBJ_VDEVICE] = "vdevice",   [IOASID_OBJ_VEVENTQ] = "veventq",
	[IOASID_OBJ_HW_QUEUE] = "hw_queue",
};

/* ---- writing ---- */

void trace_write_failed(struct ioasid_ctx *ctx, struct ioasid_trace *t, int err)
{
	if (t->err)
		return;
	t->err = err;
	ioasid_log(ctx, IOASID_LOG_ERR, "trace %s: write failed (%s); recording stopped", t->path,
		   strerror(-err));
}

/* Write one step (and take it); nothing more once a write failed. */
void trace_emit(struct ioasid_ctx *ctx, struct ioasid_trace *t, json_t *step)
{
	if (!step) {
		trace_write_failed(ctx, t, -ENOMEM);
		return;
	}
	if (!t->err) {
		errno = 0;
		if (fputs(t->steps ? ",\n" : "\n", t->f) < 0 ||
		    json_dumpf(step, t->f, JSON_COMPACT | JSON_SORT_KEYS) < 0 || fflush(t->f))
			trace_write_failed(ctx, t, errno ? -errno : -EIO);
		else
			t->steps++;
	}
	json_decref(step);
}

json_t *trace_hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_string(buf);
}

/* A step of @op with its result; the caller adds the arguments. */
json_t *trace_step(const char *op, int err)
{
	json_t *s = json_object();

	json_object_set_new(s, "op", json_string(op));
	json_object_set_new(s, "expect", json_string(err ? ioasid_strerrno(err) : "ok"));
	return s;
}

/* "expect_value": {key: v} on success (what the replay must get back). */
void trace_expect(json_t *s, int err, const char *key, json_t *v)
{
	json_t *ev;

	if (err) {
		json_decref(v);
		return;
	}
	ev = json_object_get(s, "expect_value");
	if (!ev) {
		ev = json_object();
		json_object_set_new(s, "expect_value", ev);
	}
	json_object_set_new(ev, key, v);
}

/* ---- labels ---- */

static void label_name(const struct trace_id *ti, uint32_t id, char *buf, size_t len)
{
	if (ti->gen > 1)
		snprintf(buf, len, "%s%" PRIu32 ".%" PRIu32, kind_prefix[ti->kind], id, ti->gen);
	else
		snprintf(buf, len, "%s%" PRIu32, kind_prefix[ti->kind], id);
}

/*
 * The label of object @id for an argument that takes the kinds in @mask
 * (bits 1 << kind), or NULL when the trace cannot name it: made before the
 * trace started, or of another kind. An object since destroyed keeps its
 * last label, which names nothing when replayed (ENOENT there as here).
 */
json_t *trace_label_ref(struct ioasid_trace *t, uint32_t id, unsigned int mask)
{
	char buf[48];

	if (id == 0 || id > t->nr_ids || !t->ids[id - 1].gen ||
	    !(mask & (1u << t->ids[id - 1].kind)))
		return NULL;
	label_name(&t->ids[id - 1], id, buf, sizeof(buf));
	return json_string(buf);
}

/* A new label for object @id of @kind, made by the step being written. */
json_t *trace_label_new(struct ioasid_trace *t, uint32_t id, enum ioasid_obj_kind kind)
{
	char buf[48];

	if (id > t->nr_ids) {
		uint32_t n = IOASID_MAX(id, t->nr_ids * 2);
		struct trace_id *ids = realloc(t->ids, n * sizeof(*ids));

		if (!ids)
			return NULL;
		memset(ids + t->nr_ids, 0, (n - t->nr_ids) * sizeof(*ids));
		t->ids = ids;
		t->nr_ids = n;
	}
	t->ids[id - 1].gen++;
	t->ids[id - 1].kind = kind;
	label_name(&t->ids[id - 1], id, buf, sizeof(buf));
	return json_string(buf);
}

/* Add argument @key = label of @id; false (and the step freed) when it has none. */
bool trace_add_ref(struct ioasid_trace *t, json_t *s, const char *key, uint32_t id,
		   unsigned int mask)
{
	json_t *l = trace_label_ref(t, id, mask);

	if (!l) {
		t->skipped++;
		json_decref(s);
		return false;
	}
	json_object_set_new(s, key, l);
	return true;
}

/* The "as" of a step that made object *@ret_id (when it succeeded). */
void trace_add_made(struct ioasid_trace *t, json_t *s, int err, const uint32_t *ret_id,
		    enum ioasid_obj_kind kind)
{
	json_t *l;

	if (err || !ret_id || !*ret_id)
		return;
	l = trace_label_new(t, *ret_id, kind);
	if (l)
		json_object_set_new(s, "as", l);
}

/* ---- buffers ---- */

static int buf_cmp(const void *a, const void *b)
{
	uintptr_t x = ((const struct trace_buf *)a)->va, y = ((const struct trace_buf *)b)->va;

	return x < y ? -1 : x > y;
}

/*
 * With IOASID_TRACE_CONTENTS: "write" steps for the chunks of @b's memory
 * that changed since they were last recorded (a fresh buffer is zero), so
 * the replay's memory holds what the VMM's held. Run at each map and before
 * each step that reads guest memory (a DMA, a nested HWPT's tables), since
 * the VMM writes its memory without calling the library. The copy this
 * compares against costs as much memory as the buffers (docs/tracing.md).
 * process_vm_readv() reads our own memory without faulting on an address
 * that is not mapped: such a chunk is left as it was.
 */
#define CONTENTS_CHUNK (UINT64_C(1) << 12)
static void sync_buffer(struct ioasid_ctx *ctx, struct ioasid_trace *t, struct trace_buf *b,
			bool emit)
{
	uint8_t chunk[CONTENTS_CHUNK];
	char hex[2 * CONTENTS_CHUNK + 1];
	uint64_t pos;

	if (!b->shadow) {
		b->shadow = calloc(1, b->len);
		if (!b->shadow) {
			trace_write_failed(ctx, t, -ENOMEM);
			return;
		}
	}
	for (pos = 0; pos < b->len && !t->err; pos += CONTENTS_CHUNK) {
		size_t n = (size_t)IOASID_MIN(CONTENTS_CHUNK, b->len - pos), i;
		struct iovec local = { chunk, n }, remote = { (void *)(b->va + pos), n };
		json_t *s;

		if (b->fd >= 0 ? pread(b->fd, chunk, n, (off_t)pos) != (ssize_t)n :
				 process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != (ssize_t)n)
			continue;
		if (!memcmp(chunk, b->shadow + pos, n))
			continue;
		memcpy(b->shadow + pos, chunk, n);
		if (!emit)
			continue;
		for (i = 0; i < n; i++)
			snprintf(hex + 2 * i, 3, "%02x", chunk[i]);
		s = json_object();
		json_object_set_new(s, "op", json_string("write"));
		json_object_set_new(s, "buffer", json_string(b->label));
		json_object_set_new(s, "offset", trace_hex(b->off + pos));
		json_object_set_new(s, "data", json_string(hex));
		/* a write without one repeats its data to the buffer's end */
		json_object_set_new(s, "length", trace_hex(n));
		trace_emit(ctx, t, s);
	}
}

void trace_sync_buffer(struct ioasid_ctx *ctx, struct ioasid_trace *t, struct trace_buf *b)
{
	sync_buffer(ctx, t, b, true);
}

/* trace_sync_buffer() of every buffer, before a step that reads guest memory. */
void trace_sync_contents(struct ioasid_ctx *ctx, struct ioasid_trace *t)
{
	uint32_t i;

	if (!(t->flags & IOASID_TRACE_CONTENTS))
		return;
	for (i = 0; i < t->nr_buflist && !t->err; i++)
		sync_buffer(ctx, t, t->buflist[i], true);
}

void trace_contents_before(struct ioasid_ctx *ctx)
{
	struct ioasid_trace *t = trace_rec(ctx);

	if (t)
		trace_sync_contents(ctx, t);
}

/*
 * The buffer that holds [va, va + len): the one made for an earlier map at
 * the same address when it is long enough, else a new "buffer" step. Its
 * layout keeps what the automatic IOVA depends on (io-pagetable.c): the
 * in-page offset and, up to the length rounded to a power of two, the
 * alignment of the address. A replayed buffer is aligned to at least its
 * size rounded up to a power of two, so the address is placed at offset
 * 2^ctz(va) when the recorded alignment is below that; then its alignment
 * is exactly the recorded one.
 */
struct trace_buf *trace_buffer_for(struct ioasid_ctx *ctx, struct ioasid_trace *t, const void *va,
				   uint64_t len)
{
	struct trace_buf key = { .va = (uintptr_t)va }, *b, **found, **list;
	uint64_t pg = ioasid_page_size(), want, off;
	json_t *s;

	found = tfind(&key, &t->bufs, buf_cmp);
	if (found && (*found)->len >= len)
		return *found;
	if (len > (UINT64_C(1) << 62))
		return NULL; /* no scenario buffer is that large */
	want = len <= 1 ? 1 : UINT64_C(1) << (64 - __builtin_clzll(len - 1));
	off = key.va ? UINT64_C(1) << __builtin_ctzll(key.va) : 0;
	if (off >= want || off >= (UINT64_C(1) << 40))
		off = key.va % pg;
	if (len > UINT64_MAX - off)
		return NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->fd = -1;
	b->va = key.va;
	b->len = len;
	b->off = off;
	snprintf(b->label, sizeof(b->label), "buf%" PRIu32, ++t->nr_bufs);
	list = realloc(t->buflist, (t->nr_buflist + 1) * sizeof(*list));
	if (!list) {
		free(b);
		return NULL;
	}
	t->buflist = list;
	if (found) {
		/* a longer map at the same address: the new buffer replaces it */
		*found = b;
	} else if (!tsearch(b, &t->bufs, buf_cmp)) {
		free(b);
		return NULL;
	}
	t->buflist[t->nr_buflist++] = b;
	s = json_object();
	json_object_set_new(s, "op", json_string("buffer"));
	json_object_set_new(s, "as", json_string(b->label));
	json_object_set_new(s, "size", trace_hex(off + len));
	trace_emit(ctx, t, s);
	return b;
}

/* shmem (a memfd's file system): what a replay's memfd buffer is */
#define TRACE_TMPFS_MAGIC 0x01021994

int trace_file_buffer(struct ioasid_ctx *ctx, struct ioasid_trace *t, int fd, char *label,
		      size_t label_len, struct trace_buf **ret_b)
{
	struct trace_buf *b, **list;
	struct statfs sfs;
	struct stat st;
	uint32_t i;
	json_t *s;

	*ret_b = NULL;
	if (fd < 0 || fstat(fd, &st)) {
		/* no file: the replay maps an anonymous buffer, which has no fd */
		snprintf(label, label_len, "buf%" PRIu32, ++t->nr_bufs);
		s = json_pack("{s:s, s:s, s:o}", "op", "buffer", "as", label, "size",
			      trace_hex(ioasid_page_size()));
		trace_emit(ctx, t, s);
		return 0;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || fstatfs(fd, &sfs) ||
	    (unsigned long)sfs.f_type != TRACE_TMPFS_MAGIC)
		return -EOPNOTSUPP;
	for (i = 0; i < t->nr_buflist; i++) {
		b = t->buflist[i];
		if (b->fd >= 0 && b->dev == (uint64_t)st.st_dev && b->ino == (uint64_t)st.st_ino &&
		    b->len == (uint64_t)st.st_size) {
			snprintf(label, label_len, "%s", b->label);
			*ret_b = b;
			return 0;
		}
	}
	b = calloc(1, sizeof(*b));
	list = realloc(t->buflist, (t->nr_buflist + 1) * sizeof(*list));
	if (list)
		t->buflist = list;
	if (!b || !list) {
		free(b);
		return -ENOMEM;
	}
	/* the trace's own fd: the contents are read from it, after the VMM closed its own */
	b->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (b->fd < 0) {
		free(b);
		return -errno;
	}
	b->len = (uint64_t)st.st_size;
	b->dev = (uint64_t)st.st_dev;
	b->ino = (uint64_t)st.st_ino;
	snprintf(b->label, sizeof(b->label), "buf%" PRIu32, ++t->nr_bufs);
	t->buflist[t->nr_buflist++] = b;
	s = json_pack("{s:s, s:s, s:o, s:b}", "op", "buffer", "as", b->label, "size",
		      trace_hex(b->len), "memfd", 1);
	trace_emit(ctx, t, s);
	snprintf(label, label_len, "%s", b->label);
	*ret_b = b;
	return 0;
}

/* ---- start and stop ---- */

/* The backend and profile the header names. */
static json_t *header_profile(struct ioasid_ctx *ctx, struct ioasid_trace *t)
{
	const char *colon = strchr(ctx->spec, ':'), *base;
	char *abs;
	json_t *v;

	if (t->sim) {
		if (!colon || !colon[1])
			return NULL;
		/* a file: absolute, since the trace is read from elsewhere */
		if (!strchr(colon + 1, '/') && !strstr(colon + 1, ".json"))
			return json_string(colon + 1);
		abs = realpath(colon + 1, NULL);
		v = json_string(abs ? abs : colon + 1);
		free(abs);
		return v;
	}
	base = strrchr(t->profile_path, '/');
	return json_string(base ? base + 1 : t->profile_path);
}

/* The tree's nodes are in buflist too, which frees them. */
static void tdestroy_nop(void *p)
{
	(void)p;
}

static void trace_free(struct ioasid_trace *t)
{
	uint32_t i;

	if (!t)
		return;
	if (t->f)
		fclose(t->f);
	tdestroy(t->bufs, tdestroy_nop);
	for (i = 0; i < t->nr_buflist; i++) {
		if (t->buflist[i]->fd >= 0)
			close(t->buflist[i]->fd);
		free(t->buflist[i]->shadow);
		free(t->buflist[i]);
	}
	free(t->buflist);
	tdestroy(t->dmas, free);
	for (i = 0; i < t->nr_devs; i++)
		free(t->devs[i].caps);
	free(t->devs);
	free(t->ids);
	free(t->path);
	free(t->profile_path);
	free(t);
}

static int trace_start_locked(struct ioasid_ctx *ctx, const char *path, uint32_t flags)
{
	struct ioasid_trace *t;
	json_t *prof;
	int fd, err;

	if (ctx->trace)
		return ioasid_err(ctx, -EBUSY, "a trace is already running (to %s)",
				  ctx->trace->path);
	t = calloc(1, sizeof(*t));
	if (!t || !(t->path = strdup(path)))
		goto nomem;
	t->flags = flags;
	t->sim = ctx->ops->kind == IOASID_BACKEND_SIM;
	if (!t->sim && asprintf(&t->profile_path, "%s.profile.json", path) < 0) {
		t->profile_path = NULL;
		goto nomem;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		trace_free(t);
		return ioasid_err(ctx, err, "trace file %s: %s", path, strerror(-err));
	}
	t->f = fdopen(fd, "w");
	if (!t->f) {
		close(fd);
		goto nomem;
	}
	fprintf(t->f, "{\"backend\": \"sim\",");
	prof = header_profile(ctx, t);
	if (prof) {
		fputs(" \"profile\": ", t->f);
		json_dumpf(prof, t->f, JSON_ENCODE_ANY);
		fputc(',', t->f);
		json_decref(prof);
	}
	/*
	 * Buffered until the first step: a file that takes no data (a full
	 * disk) fails that step's write, which the VMM's call never sees.
	 */
	if (fputs(" \"steps\": [", t->f) < 0 || (t->profile_path && trace_profile_write(t))) {
		err = errno ? -errno : -EIO;
		unlink(path);
		trace_free(t);
		return ioasid_err(ctx, err, "trace file %s: %s", path, strerror(-err));
	}
	ctx->trace = t;
	return 0;
nomem:
	trace_free(t);
	return ioasid_err(ctx, -ENOMEM, "out of memory for a trace");
}

/* Write the end of the file; 0 or the first write error. */
static int trace_stop_locked(struct ioasid_ctx *ctx)
{
	struct ioasid_trace *t = ctx->trace;
	int err;

	ctx->trace = NULL;
	if (!t->err) {
		fprintf(t->f,
			"\n], \"description\": \"libioasid trace of a %s context: %" PRIu64
			" steps; %" PRIu64
			" calls left out (on objects made before the trace started)\"}\n",
			ctx->ops->name, t->steps, t->skipped);
		if (fflush(t->f))
			t->err = errno ? -errno : -EIO;
	}
	if (fclose(t->f) && !t->err)
		t->err = errno ? -errno : -EIO;
	t->f = NULL;
	err = t->err;
	if (err)
		ioasid_err(ctx, err, "trace file %s: write failed: %s", t->path, strerror(-err));
	trace_free(t);
	return err;
}

IOASID_EXPORT int ioasid_ctx_trace_start(struct ioasid_ctx *ctx, const char *path,
					 const struct ioasid_trace_opts *opts)
{
	struct ioasid_trace_opts o = { 0 };
	int err;

	if (!ctx)
		return -EINVAL;
	if (!path || !*path)
		return ioasid_err(ctx, -EINVAL, "trace file path is %s", path ? "empty" : "NULL");
	if (opts) {
		err = ioasid_opts_check(ctx, opts, opts->sz, sizeof(o), "struct ioasid_trace_opts");
		if (err)
			return err;
		memcpy(&o, opts, IOASID_MIN(opts->sz, sizeof(o)));
	}
	if (o.flags & ~IOASID_TRACE_CONTENTS)
		return ioasid_err(ctx, -EINVAL, "unknown trace flags 0x%x",
				  o.flags & ~IOASID_TRACE_CONTENTS);
	if (o.__reserved)
		return ioasid_err(ctx, -EINVAL, "trace opts __reserved is 0x%x, not 0",
				  o.__reserved);
	ctx_lock(ctx);
	err = trace_start_locked(ctx, path, o.flags);
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_ctx_trace_stop(struct ioasid_ctx *ctx)
{
	int err;

	if (!ctx)
		return -EINVAL;
	ctx_lock(ctx);
	if (!ctx->trace)
		err = ioasid_err(ctx, -ENOENT, "no trace is running");
	else
		err = trace_stop_locked(ctx);
	ctx_unlock(ctx);
	return err;
}

int trace_ctx_open(struct ioasid_ctx *ctx)
{
	const char *path = getenv("IOASID_TRACE"), *c = getenv("IOASID_TRACE_CONTENTS");
	int err;

	if (!path || !*path)
		return 0;
	ctx_lock(ctx);
	err = trace_start_locked(ctx, path, c && !strcmp(c, "1") ? IOASID_TRACE_CONTENTS : 0);
	ctx_unlock(ctx);
	if (err)
		return ioasid_err_prefix(ctx, err, "IOASID_TRACE=%s", path);
	return 0;
}

void trace_ctx_close(struct ioasid_ctx *ctx)
{
	int err;

	if (!ctx->trace)
		return;
	err = trace_stop_locked(ctx);
	if (err)
		ioasid_log(ctx, IOASID_LOG_ERR, "%s", ctx->errmsg);
}

/* The trace, when it still records. */
struct ioasid_trace *trace_rec(struct ioasid_ctx *ctx)
{
	return ctx->trace && !ctx->trace->err ? ctx->trace : NULL;
}
