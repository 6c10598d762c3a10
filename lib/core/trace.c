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
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "private.h"
#include "backend/backend.h"
#include "dev-private.h"
#include "trace-private.h"

/* The kinds of object a trace names, by enum ioasid_obj_kind. */
static const char *const kind_prefix[] = {
	[IOASID_OBJ_IOAS] = "ioas", [IOASID_OBJ_SET] = "set",           [IOASID_OBJ_DEV] = "dev",
	[IOASID_OBJ_HWPT] = "hwpt", [IOASID_OBJ_FAULT_QUEUE] = "queue",
};

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

/* ---- writing ---- */

static void trace_write_failed(struct ioasid_ctx *ctx, struct ioasid_trace *t, int err)
{
	if (t->err)
		return;
	t->err = err;
	ioasid_log(ctx, IOASID_LOG_ERR, "trace %s: write failed (%s); recording stopped", t->path,
		   strerror(-err));
}

/* Write one step (and take it); nothing more once a write failed. */
static void emit(struct ioasid_ctx *ctx, struct ioasid_trace *t, json_t *step)
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

static json_t *hexnum(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_string(buf);
}

/* A step of @op with its result; the caller adds the arguments. */
static json_t *step_new(const char *op, int err)
{
	json_t *s = json_object();

	json_object_set_new(s, "op", json_string(op));
	json_object_set_new(s, "expect", json_string(err ? ioasid_strerrno(err) : "ok"));
	return s;
}

/* "expect_value": {key: v} on success (what the replay must get back). */
static void expect_value(json_t *s, int err, const char *key, json_t *v)
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
static json_t *label_ref(struct ioasid_trace *t, uint32_t id, unsigned int mask)
{
	char buf[48];

	if (id == 0 || id > t->nr_ids || !t->ids[id - 1].gen ||
	    !(mask & (1u << t->ids[id - 1].kind)))
		return NULL;
	label_name(&t->ids[id - 1], id, buf, sizeof(buf));
	return json_string(buf);
}

/* A new label for object @id of @kind, made by the step being written. */
static json_t *label_new(struct ioasid_trace *t, uint32_t id, enum ioasid_obj_kind kind)
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

#define M(kind) (1u << (kind))

/* Add argument @key = label of @id; false (and the step freed) when it has none. */
static bool add_ref(struct ioasid_trace *t, json_t *s, const char *key, uint32_t id,
		    unsigned int mask)
{
	json_t *l = label_ref(t, id, mask);

	if (!l) {
		t->skipped++;
		json_decref(s);
		return false;
	}
	json_object_set_new(s, key, l);
	return true;
}

/* The "as" of a step that made object *@ret_id (when it succeeded). */
static void add_made(struct ioasid_trace *t, json_t *s, int err, const uint32_t *ret_id,
		     enum ioasid_obj_kind kind)
{
	json_t *l;

	if (err || !ret_id || !*ret_id)
		return;
	l = label_new(t, *ret_id, kind);
	if (l)
		json_object_set_new(s, "as", l);
}

static const char *perm_name(uint32_t flags)
{
	switch (flags & (IOASID_MAP_READ | IOASID_MAP_WRITE)) {
	case IOASID_MAP_READ | IOASID_MAP_WRITE:
		return "rw";
	case IOASID_MAP_READ:
		return "r";
	case IOASID_MAP_WRITE:
		return "w";
	default:
		return "none";
	}
}

/* perm, and the flag bits perm and a given IOVA do not say (a raw "flags"). */
static void add_map_flags(json_t *s, uint32_t flags)
{
	uint32_t rest = flags & ~(IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA);

	json_object_set_new(s, "perm", json_string(perm_name(flags)));
	if (rest)
		json_object_set_new(s, "flags", hexnum(rest));
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
static void sync_contents(struct ioasid_ctx *ctx, struct ioasid_trace *t, struct trace_buf *b)
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

		if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != (ssize_t)n ||
		    !memcmp(chunk, b->shadow + pos, n))
			continue;
		memcpy(b->shadow + pos, chunk, n);
		for (i = 0; i < n; i++)
			snprintf(hex + 2 * i, 3, "%02x", chunk[i]);
		s = json_object();
		json_object_set_new(s, "op", json_string("write"));
		json_object_set_new(s, "buffer", json_string(b->label));
		json_object_set_new(s, "offset", hexnum(b->off + pos));
		json_object_set_new(s, "data", json_string(hex));
		emit(ctx, t, s);
	}
}

/* sync_contents() of every buffer, before a step that reads guest memory. */
static void sync_all_contents(struct ioasid_ctx *ctx, struct ioasid_trace *t)
{
	uint32_t i;

	if (!(t->flags & IOASID_TRACE_CONTENTS))
		return;
	for (i = 0; i < t->nr_buflist && !t->err; i++)
		sync_contents(ctx, t, t->buflist[i]);
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
static struct trace_buf *buffer_for(struct ioasid_ctx *ctx, struct ioasid_trace *t, const void *va,
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
	json_object_set_new(s, "size", hexnum(off + len));
	emit(ctx, t, s);
	return b;
}

/* ---- the profile of a kernel backend's devices ---- */

static json_t *profile_registers(const void *caps, size_t len, const char **ret_model)
{
	struct ioasid_cap_vtd vtd;
	struct ioasid_cap_smmuv3 smmu;
	struct ioasid_cap_amd amd;
	json_t *r = json_object(), *idr;
	int i;

	if (!ioasid_caps_get(caps, len, 0, IOASID_CAP_VTD, &vtd, sizeof(vtd), NULL)) {
		*ret_model = "vtd";
		json_object_set_new(r, "cap_reg", hexnum(vtd.cap_reg));
		json_object_set_new(r, "ecap_reg", hexnum(vtd.ecap_reg));
	} else if (!ioasid_caps_get(caps, len, 0, IOASID_CAP_SMMUV3, &smmu, sizeof(smmu), NULL)) {
		*ret_model = "smmuv3";
		idr = json_array();
		for (i = 0; i < 6; i++)
			json_array_append_new(idr, hexnum(smmu.idr[i]));
		json_object_set_new(r, "idr", idr);
		json_object_set_new(r, "iidr", hexnum(smmu.iidr));
		json_object_set_new(r, "aidr", hexnum(smmu.aidr));
	} else if (!ioasid_caps_get(caps, len, 0, IOASID_CAP_AMD, &amd, sizeof(amd), NULL)) {
		*ret_model = "amd";
		json_object_set_new(r, "efr", hexnum(amd.efr));
		json_object_set_new(r, "efr2", hexnum(amd.efr2));
	} else {
		*ret_model = "generic";
		json_decref(r);
		return NULL;
	}
	return r;
}

/* One device of the profile, from its capability chain. */
static json_t *profile_device(const struct trace_dev *d)
{
	struct ioasid_cap_page_sizes ps;
	struct ioasid_cap_pasid pasid;
	struct ioasid_cap_features feat;
	struct ioasid_cap_resv_region rr[16];
	uint32_t n = 0, i;
	json_t *o = json_object(), *resv;

	json_object_set_new(o, "name", json_string(d->name));
	if (!ioasid_caps_get(d->caps, d->caps_len, 0, IOASID_CAP_PAGE_SIZES, &ps, sizeof(ps), NULL) &&
	    ps.bitmap)
		json_object_set_new(o, "page_sizes", hexnum(ps.bitmap));
	if (!ioasid_caps_get(d->caps, d->caps_len, 0, IOASID_CAP_PASID, &pasid, sizeof(pasid), NULL))
		json_object_set_new(o, "pasid_width", json_integer(pasid.width));
	if (!ioasid_caps_get(d->caps, d->caps_len, 0, IOASID_CAP_FEATURES, &feat, sizeof(feat),
			     NULL)) {
		json_object_set_new(o, "pri", json_boolean(feat.features & IOASID_FEAT_PRI));
		json_object_set_new(o, "ats", json_boolean(feat.features & IOASID_FEAT_ATS));
	}
	if (!ioasid_caps_get_array(d->caps, d->caps_len, 0, IOASID_CAP_RESV_REGIONS, rr,
				   ARRAY_SIZE(rr), &n)) {
		resv = json_array();
		for (i = 0; i < n && i < ARRAY_SIZE(rr); i++) {
			const char *type = ioasid_resv_type_name(rr[i].type);

			json_array_append_new(resv, json_pack("{s:o,s:o,s:s}", "start",
							      hexnum(rr[i].start), "last",
							      hexnum(rr[i].last), "type",
							      type ? type : "reserved"));
		}
		json_object_set_new(o, "reserved", resv);
	}
	return o;
}

/*
 * Write the profile beside the trace: the IOMMU model and its registers
 * from the first device that has a vendor capability, and every device
 * bound so far. Written again at each bind, so it is whole whenever the
 * trace is read.
 */
static int profile_write(struct ioasid_trace *t)
{
	const char *model = "generic";
	json_t *p = json_object(), *regs = NULL, *devs = json_array();
	FILE *f;
	uint32_t i;
	int err = 0;

	for (i = 0; i < t->nr_devs && !regs; i++)
		regs = profile_registers(t->devs[i].caps, t->devs[i].caps_len, &model);
	for (i = 0; i < t->nr_devs; i++)
		json_array_append_new(devs, profile_device(&t->devs[i]));
	json_object_set_new(p, "version", json_integer(1));
	json_object_set_new(p, "name", json_string("trace"));
	json_object_set_new(p, "description",
			    json_string("written by libioasid's trace from the capability chains "
					"of the devices bound (docs/tracing.md)"));
	json_object_set_new(p, "model", json_string(model));
	if (regs)
		json_object_set_new(p, "registers", regs);
	json_object_set_new(p, "devices", devs);
	f = fopen(t->profile_path, "we");
	if (!f)
		err = -errno;
	else if (json_dumpf(p, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) || fputc('\n', f) == EOF)
		err = errno ? -errno : -EIO;
	if (f && fclose(f) && !err)
		err = errno ? -errno : -EIO;
	json_decref(p);
	return err;
}

/* A profile device name ([A-Za-z0-9_.-], < 32 bytes, unique) for @name. */
static void profile_dev_name(const struct ioasid_trace *t, const char *name, char *buf, size_t len)
{
	const char *base = strrchr(name, '/');
	size_t i, n = 0;

	base = base && base[1] ? base + 1 : name;
	for (i = 0; base[i] && n + 1 < len && n < 20; i++) {
		char c = base[i];

		buf[n++] = (char)((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
						  (c >= '0' && c <= '9') || c == '_' || c == '-' ||
						  c == '.' ?
					  c :
					  '_');
	}
	buf[n] = '\0';
	if (!n)
		snprintf(buf, len, "dev");
	for (i = 0; i < t->nr_devs; i++)
		if (!strcmp(t->devs[i].name, buf)) {
			snprintf(buf + strlen(buf), len - strlen(buf), "-%" PRIu32, t->nr_devs);
			break;
		}
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
	if (fputs(" \"steps\": [", t->f) < 0 || (t->profile_path && profile_write(t))) {
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

/* ---- the hooks ---- */

/* The trace, when it still records. */
static struct ioasid_trace *rec(struct ioasid_ctx *ctx)
{
	return ctx->trace && !ctx->trace->err ? ctx->trace : NULL;
}

void trace_ioas_alloc(struct ioasid_ctx *ctx, uint32_t set, const uint32_t *ret_id, int err)
{
	struct ioasid_trace *t = rec(ctx);
	json_t *s;

	if (!t)
		return;
	s = step_new(set ? "set_ioas_alloc" : "ioas_alloc", err);
	if (set && !add_ref(t, s, "set", set, M(IOASID_OBJ_SET)))
		return;
	add_made(t, s, err, ret_id, IOASID_OBJ_IOAS);
	emit(ctx, t, s);
}

/* ioas_destroy, set_destroy, hwpt_destroy, fault_queue_destroy, dev_unbind, destroy. */
void trace_destroy(struct ioasid_ctx *ctx, const char *op, uint32_t id, int err)
{
	static const struct {
		const char *op, *key;
		unsigned int mask;
	} ops[] = {
		{ "ioas_destroy", "ioas", M(IOASID_OBJ_IOAS) },
		{ "set_destroy", "set", M(IOASID_OBJ_SET) },
		{ "hwpt_destroy", "hwpt", M(IOASID_OBJ_HWPT) },
		{ "fault_queue_destroy", "queue", M(IOASID_OBJ_FAULT_QUEUE) },
		{ "dev_unbind", "dev", M(IOASID_OBJ_DEV) },
		{ "destroy", "object",
		  M(IOASID_OBJ_IOAS) | M(IOASID_OBJ_SET) | M(IOASID_OBJ_DEV) | M(IOASID_OBJ_HWPT) |
			  M(IOASID_OBJ_FAULT_QUEUE) },
	};
	struct ioasid_trace *t = rec(ctx);
	size_t i;
	json_t *s;

	if (!t)
		return;
	for (i = 0; i < ARRAY_SIZE(ops) && strcmp(ops[i].op, op); i++)
		;
	if (i == ARRAY_SIZE(ops))
		return;
	s = step_new(op, err);
	if (add_ref(t, s, ops[i].key, id, ops[i].mask))
		emit(ctx, t, s);
}

void trace_map(struct ioasid_ctx *ctx, uint32_t ioas, const void *va, uint64_t length,
	       uint32_t flags, const uint64_t *inout_iova, int err)
{
	struct ioasid_trace *t = rec(ctx);
	struct trace_buf *b;
	json_t *s;

	if (!t)
		return;
	if (!inout_iova || !length) {
		t->skipped++;
		return;
	}
	/* the IOAS first: no buffer step for a map the trace leaves out */
	s = step_new("map", err);
	if (!add_ref(t, s, "ioas", ioas, M(IOASID_OBJ_IOAS)))
		return;
	if (length > (UINT64_C(1) << 62)) {
		/* a length no buffer can have (a test of the overflow checks) */
		t->skipped++;
		json_decref(s);
		return;
	}
	b = buffer_for(ctx, t, va, length);
	if (!b) {
		json_decref(s);
		trace_write_failed(ctx, t, -ENOMEM);
		return;
	}
	if (!err && (t->flags & IOASID_TRACE_CONTENTS))
		sync_contents(ctx, t, b);
	json_object_set_new(s, "buffer", json_string(b->label));
	json_object_set_new(s, "offset", hexnum(b->off + ((uintptr_t)va - b->va)));
	json_object_set_new(s, "length", hexnum(length));
	if (flags & IOASID_MAP_FIXED_IOVA)
		json_object_set_new(s, "iova", hexnum(*inout_iova));
	add_map_flags(s, flags);
	expect_value(s, err, "iova", hexnum(*inout_iova));
	emit(ctx, t, s);
}

void trace_unmap(struct ioasid_ctx *ctx, uint32_t ioas, uint64_t iova, uint64_t length,
		 uint64_t unmapped, int err)
{
	struct ioasid_trace *t = rec(ctx);
	json_t *s;

	if (!t)
		return;
	s = step_new("unmap", err);
	if (!add_ref(t, s, "ioas", ioas, M(IOASID_OBJ_IOAS)))
		return;
	json_object_set_new(s, "iova", hexnum(iova));
	json_object_set_new(s, "length", hexnum(length));
	expect_value(s, err, "unmapped", hexnum(unmapped));
	emit(ctx, t, s);
}

void trace_copy(struct ioasid_ctx *ctx, uint32_t dst, uint32_t src, uint64_t src_iova,
		uint64_t length, uint32_t flags, const uint64_t *inout_dst_iova, int err)
{
	struct ioasid_trace *t = rec(ctx);
	json_t *s;

	if (!t)
		return;
	if (!inout_dst_iova) {
		t->skipped++;
		return;
	}
	s = step_new("copy", err);
	if (!add_ref(t, s, "dst", dst, M(IOASID_OBJ_IOAS)) ||
	    !add_ref(t, s, "src", src, M(IOASID_OBJ_IOAS)))
		return;
	json_object_set_new(s, "src_iova", hexnum(src_iova));
	json_object_set_new(s, "length", hexnum(length));
	if (flags & IOASID_MAP_FIXED_IOVA)
		json_object_set_new(s, "dst_iova", hexnum(*inout_dst_iova));
	add_map_flags(s, flags);
	expect_value(s, err, "dst_iova", hexnum(*inout_dst_iova));
	emit(ctx, t, s);
}

void trace_allow_iovas(struct ioasid_ctx *ctx, uint32_t ioas,
		       const struct ioasid_iova_range *ranges, uint32_t num, int err)
{
	struct ioasid_trace *t = rec(ctx);
	json_t *s, *list;
	uint32_t i;

	if (!t)
		return;
	if (num && !ranges) {
		t->skipped++;
		return;
	}
	s = step_new("allow_iovas", err);
	if (!add_ref(t, s, "ioas", ioas, M(IOASID_OBJ_IOAS)))
		return;
	list = json_array();
	for (i = 0; i < num; i++)
		json_array_append_new(list, json_pack("[o,o]", hexnum(ranges[i].start),
						      hexnum(ranges[i].last)));
	json_object_set_new(s, "ranges", list);
	emit(ctx, t, s);
}

void trace_reserve(struct ioasid_ctx *ctx, bool reserve, uint32_t ioas, uint64_t start,
		   uint64_t last, int err)
{
	struct ioasid_trace *t = rec(ctx);
	json_t *s;

	if (!t)
		return;
	s = step_new(reserve ? "reserve" : "unreserve", err);
	if (!add_ref(t, s, "ioas", ioas, M(IOASID_OBJ_IOAS)))
		return;
	json_object_set_new(s, "start", hexnum(start));
	json_object_set_new(s, "last", hexnum(last));
	emit(ctx, t, s);
}

void trace_ioas_option(struct ioasid_ctx *ctx, uint32_t ioas, int opt, uint64_t val, int err)
{
	struct ioasid_trace *t = rec(ctx);
	json_t *s;

	if (!t)
		return;
	if (opt != IOASID_IOAS_OPT_HUGE_PAGES) {
		/* no scenario op names another option */
		t->skipped++;
		return;
	}
	s = step_new("option", err);
	if (!add_ref(t, s, "ioas", ioas, M(IOASID_OBJ_IOAS)))
		return;
	json_object_set_new(s, "name", json_string("huge_pages"));
	json_object_set_new(s, "value", hexnum(val));
	expect_value(s, err, "huge_pages", json_integer((json_int_t)val));
	emit(ctx, t, s);
}

void trace_set_alloc(struct ioasid_ctx *ctx, const struct ioasid_set_opts *o,
		     const uint32_t *ret_set, int err)
{
	struct ioasid_trace *t = rec(ctx);
	json_t *s;

	if (!t)
		return;
	if (!o) {
		t->skipped++;
		return;
	}
	s = step_new("set_alloc", err);
	json_object_set_new(s, "owner", hexnum(o->owner));
	json_object_set_new(s, "max_pasids", json_integer(o->max_pasids));
	json_object_set_new(s, "max_ioas", json_integer(o->max_ioas));
	add_made(t, s, err, ret_set, IOASID_OBJ_SET);
	emit(ctx, t, s);
}

void trace_pasid_alloc(struct ioasid_ctx *ctx, uint32_t set, uint32_t min, uint32_t max,
		       const uint32_t *ret_pasid, int err)
{
	struct ioasid_trace *t = rec(ctx);
	json_t *s;

	if (!t)
		return;
	if (!ret_pasid) {
		t->skipped++;
		return;
	}
	s = step_new("pasid_alloc", err);
	if (!add_ref(t, s, "set", set, M(IOASID_OBJ_SET)))
		return;
	json_object_set_new(s, "min", json_integer(min));
	json_object_set_new(s, "max", json_integer(max));
	expect_value(s, err, "pasid", json_integer(*ret_pasid));
	emit(ctx, t, s);
}

void trace_pasid_free(struct ioasid_ctx *ctx, uint32_t set, uint32_t pasid, int err)
{
	struct ioasid_trace *t = rec(ctx);
	json_t *s;

	if (!t)
		return;
	s = step_new("pasid_free", err);
	if (!add_ref(t, s, "set", set, M(IOASID_OBJ_SET)))
		return;
	json_object_set_new(s, "pasid", json_integer(pasid));
	emit(ctx, t, s);
}

/*
 * The profile's name for the device the VMM bound as @name (kernel
 * backends): the one it got at its first bind, so a second bind of it (or
 * a refused one) names the same sim device; else a new one, added with the
 * device's chain when @id was bound. 0 or -ENOMEM.
 */
static int trace_dev_note(struct ioasid_ctx *ctx, struct ioasid_trace *t, uint32_t id, int err,
			  char *name, size_t len)
{
	struct ioasid_dev *dev = err ? NULL : obj_find(ctx, id, IOASID_OBJ_DEV);
	struct trace_dev *devs, *d;
	char orig[64];
	uint32_t i;

	snprintf(orig, sizeof(orig), "%s", name);
	for (i = 0; i < t->nr_devs; i++)
		if (!strcmp(t->devs[i].orig, orig)) {
			snprintf(name, len, "%s", t->devs[i].name);
			return 0;
		}
	profile_dev_name(t, orig, name, len);
	if (!dev)
		return 0;
	devs = realloc(t->devs, (t->nr_devs + 1) * sizeof(*devs));
	if (!devs)
		return -ENOMEM;
	t->devs = devs;
	d = &devs[t->nr_devs];
	memset(d, 0, sizeof(*d));
	snprintf(d->orig, sizeof(d->orig), "%s", orig);
	snprintf(d->name, sizeof(d->name), "%s", name);
	if (dev->caps_len) {
		d->caps = malloc(dev->caps_len);
		if (!d->caps)
			return -ENOMEM;
		memcpy(d->caps, dev->caps, dev->caps_len);
		d->caps_len = dev->caps_len;
	}
	t->nr_devs++;
	return profile_write(t);
}

void trace_dev_bind(struct ioasid_ctx *ctx, const char *name, const uint32_t *ret_dev, int err)
{
	struct ioasid_trace *t = rec(ctx);
	struct ioasid_dev *dev;
	char dname[64];
	json_t *s;
	int e;

	if (!t)
		return;
	/* a bind by fd (ioasid_dev_bind_fd()): the name the library gave the device */
	if (!name && !err && (dev = obj_find(ctx, *ret_dev, IOASID_OBJ_DEV)))
		name = dev->name;
	if (!name || !*name) {
		t->skipped++;
		return;
	}
	snprintf(dname, sizeof(dname), "%s", name);
	if (!t->sim) {
		/* the name the profile gives the device: the sim binds by it */
		e = trace_dev_note(ctx, t, *ret_dev, err, dname, sizeof(dname));
		if (e) {
			trace_write_failed(ctx, t, e);
			return;
		}
	}
	s = step_new("dev_bind", err);
	json_object_set_new(s, "dev", json_string(dname));
	add_made(t, s, err, ret_dev, IOASID_OBJ_DEV);
	emit(ctx, t, s);
}

void trace_attach(struct ioasid_ctx *ctx, bool replace, uint32_t dev, uint32_t pasid, uint32_t pt,
		  const struct ioasid_attach_opts *o, int err)
{
	struct ioasid_trace *t = rec(ctx);
	unsigned int kind;
	json_t *s;

	if (!t)
		return;
	s = step_new(replace ? "replace" : "attach", err);
	if (!add_ref(t, s, "dev", dev, M(IOASID_OBJ_DEV)))
		return;
	if (pasid != IOASID_PASID_NONE)
		json_object_set_new(s, "pasid", json_integer(pasid));
	kind = pt && pt <= t->nr_ids ? t->ids[pt - 1].kind : IOASID_OBJ_IOAS;
	if (!add_ref(t, s, kind == IOASID_OBJ_HWPT ? "hwpt" : "ioas", pt,
		     M(IOASID_OBJ_IOAS) | M(IOASID_OBJ_HWPT)))
		return;
	if (o && o->set && !add_ref(t, s, "set", o->set, M(IOASID_OBJ_SET)))
		return;
	if (o && o->fault_queue &&
	    !add_ref(t, s, "queue", o->fault_queue, M(IOASID_OBJ_FAULT_QUEUE)))
		return;
	emit(ctx, t, s);
}

void trace_detach(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid, int err)
{
	struct ioasid_trace *t = rec(ctx);
	json_t *s;

	if (!t)
		return;
	s = step_new("detach", err);
	if (!add_ref(t, s, "dev", dev, M(IOASID_OBJ_DEV)))
		return;
	if (pasid != IOASID_PASID_NONE)
		json_object_set_new(s, "pasid", json_integer(pasid));
	emit(ctx, t, s);
}

void trace_hwpt_alloc(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pt,
		      const struct ioasid_hwpt_opts *o, const uint32_t *ret_hwpt, int err)
{
	struct ioasid_trace *t = rec(ctx);
	const struct ioasid_hwpt_vtd_s1 *s1;
	unsigned int kind;
	json_t *s;

	if (!t)
		return;
	/* the one type-specific data a scenario can give is VT-d stage 1 */
	if (!o || !ret_hwpt ||
	    (o->data_len &&
	     (o->type != IOASID_HWPT_NESTED_VTD_S1 || !o->data || o->data_len != sizeof(*s1)))) {
		t->skipped++;
		return;
	}
	sync_all_contents(ctx, t);
	s = step_new("hwpt_alloc", err);
	if (!add_ref(t, s, "dev", dev, M(IOASID_OBJ_DEV)))
		return;
	kind = pt && pt <= t->nr_ids ? t->ids[pt - 1].kind : IOASID_OBJ_IOAS;
	if (!add_ref(t, s, kind == IOASID_OBJ_HWPT ? "hwpt" : "ioas", pt,
		     M(IOASID_OBJ_IOAS) | M(IOASID_OBJ_HWPT)))
		return;
	if (o->flags)
		json_object_set_new(s, "flags", hexnum(o->flags));
	if (o->type != IOASID_HWPT_PAGING)
		json_object_set_new(s, "type", json_integer(o->type));
	if (o->fault_queue && !add_ref(t, s, "queue", o->fault_queue, M(IOASID_OBJ_FAULT_QUEUE)))
		return;
	if (o->data_len) {
		s1 = o->data;
		json_object_set_new(s, "s1",
				    json_pack("{s:o,s:I,s:o,s:I}", "pgtbl_addr",
					      hexnum(s1->pgtbl_addr), "addr_width",
					      (json_int_t)s1->addr_width, "flags", hexnum(s1->flags),
					      "reserved", (json_int_t)s1->__reserved));
	}
	add_made(t, s, err, ret_hwpt, IOASID_OBJ_HWPT);
	emit(ctx, t, s);
}

void trace_dirty_tracking(struct ioasid_ctx *ctx, uint32_t hwpt, bool enable, int err)
{
	struct ioasid_trace *t = rec(ctx);
	json_t *s;

	if (!t)
		return;
	s = step_new("dirty_tracking", err);
	if (!add_ref(t, s, "hwpt", hwpt, M(IOASID_OBJ_HWPT)))
		return;
	json_object_set_new(s, "enable", json_boolean(enable));
	emit(ctx, t, s);
}

void trace_pinned_limit(struct ioasid_ctx *ctx, const uint64_t *limit, const bool *exempt, int err)
{
	struct ioasid_trace *t = rec(ctx);
	json_t *s;

	if (!t)
		return;
	s = step_new("pinned_limit", err);
	if (limit)
		json_object_set_new(s, "limit", hexnum(*limit));
	if (exempt)
		json_object_set_new(s, "cap_ipc_lock_exempt", json_boolean(*exempt));
	emit(ctx, t, s);
}

void trace_fault_queue_alloc(struct ioasid_ctx *ctx, const struct ioasid_fault_queue_opts *o,
			     const uint32_t *ret_queue, int err)
{
	struct ioasid_trace *t = rec(ctx);
	json_t *s;

	if (!t)
		return;
	if (!o || (o->flags & ~IOASID_FAULT_QUEUE_TIMEOUT_CODE)) {
		t->skipped++;
		return;
	}
	s = step_new("fault_queue_alloc", err);
	if (!add_ref(t, s, "set", o->set, M(IOASID_OBJ_SET)))
		return;
	json_object_set_new(s, "depth", json_integer(o->depth));
	json_object_set_new(s, "timeout_ns", hexnum(o->timeout_ns));
	if (o->flags & IOASID_FAULT_QUEUE_TIMEOUT_CODE)
		json_object_set_new(s, "timeout_code", json_integer(o->timeout_code));
	add_made(t, s, err, ret_queue, IOASID_OBJ_FAULT_QUEUE);
	emit(ctx, t, s);
}

void trace_fault_respond(struct ioasid_ctx *ctx, uint32_t queue, uint64_t cookie, uint32_t code,
			 int err)
{
	struct ioasid_trace *t = rec(ctx);
	json_t *s;

	if (!t)
		return;
	s = step_new("fault_respond", err);
	if (!add_ref(t, s, "queue", queue, M(IOASID_OBJ_FAULT_QUEUE)))
		return;
	json_object_set_new(s, "cookie", json_integer((json_int_t)cookie));
	json_object_set_new(s, "code", json_integer(code));
	emit(ctx, t, s);
}

/* ---- faults and the sim's DMA engine ---- */

static const struct {
	const char *name;
	uint32_t bit;
} fault_flags[] = {
	{ "read", IOASID_FAULT_F_READ },
	{ "write", IOASID_FAULT_F_WRITE },
	{ "exec", IOASID_FAULT_F_EXEC },
	{ "priv", IOASID_FAULT_F_PRIV },
	{ "last", IOASID_FAULT_F_LAST },
	{ "page_req", IOASID_FAULT_F_PAGE_REQ },
	{ "timed_out", IOASID_FAULT_F_TIMED_OUT },
	{ "addr_valid", IOASID_FAULT_F_ADDR_VALID },
	{ "pasid_valid", IOASID_FAULT_F_PASID_VALID },
	{ "group_valid", IOASID_FAULT_F_GROUP_VALID },
	{ "priv_valid", IOASID_FAULT_F_PRIV_VALID },
};

static const char *const fault_reasons[] = {
	[IOASID_FAULT_R_PAGE_REQUEST] = "page_request",
	[IOASID_FAULT_R_NOT_PRESENT] = "not_present",
	[IOASID_FAULT_R_PERMISSION] = "permission",
	[IOASID_FAULT_R_BLOCKED] = "blocked",
	[IOASID_FAULT_R_RESERVED] = "reserved",
};

/* A fault record as a scenario's fault_read value shows it (docs/scenario-format.md). */
static json_t *fault_value(struct ioasid_trace *t, const struct ioasid_fault *f)
{
	json_t *o = json_object(), *flags = json_array(), *l;
	uint32_t rest = f->flags;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fault_flags); i++)
		if (rest & fault_flags[i].bit) {
			json_array_append_new(flags, json_string(fault_flags[i].name));
			rest &= ~fault_flags[i].bit;
		}
	if (rest)
		json_array_append_new(flags, hexnum(rest));
	json_object_set_new(o, "flags", flags);
	json_object_set_new(o, "reason",
			    f->reason < ARRAY_SIZE(fault_reasons) && fault_reasons[f->reason] ?
				    json_string(fault_reasons[f->reason]) :
				    json_integer(f->reason));
	l = label_ref(t, f->dev, M(IOASID_OBJ_DEV));
	json_object_set_new(o, "dev", l ? l : json_null());
	json_object_set_new(o, "pasid",
			    (f->flags & IOASID_FAULT_F_PASID_VALID) ? json_integer(f->pasid) :
								      json_null());
	json_object_set_new(o, "addr",
			    (f->flags & IOASID_FAULT_F_ADDR_VALID) ? hexnum(f->addr) : json_null());
	json_object_set_new(o, "grpid",
			    (f->flags & IOASID_FAULT_F_GROUP_VALID) ? json_integer(f->grpid) :
								      json_null());
	/* an automatic domain has no label: the trace never saw it made */
	l = label_ref(t, f->hwpt, M(IOASID_OBJ_HWPT));
	json_object_set_new(o, "hwpt", l ? l : json_null());
	json_object_set_new(o, "cookie",
			    (f->flags & (IOASID_FAULT_F_PAGE_REQ | IOASID_FAULT_F_TIMED_OUT)) ?
				    json_integer((json_int_t)f->cookie) :
				    json_null());
	if (f->flags & IOASID_FAULT_F_PRIV_VALID)
		json_object_set_new(o, "private_data",
				    json_pack("[o,o]", hexnum(f->private_data[0]),
					      hexnum(f->private_data[1])));
	return o;
}

/* A scenario reads at most 4096 records a step (docs/scenario-format.md). */
#define FAULT_READ_MAX 4096u

void trace_fault_read(struct ioasid_ctx *ctx, uint32_t queue, uint32_t max,
		      const struct ioasid_fault *recs, uint32_t n, int err)
{
	struct ioasid_trace *t = rec(ctx);
	json_t *s, *list;
	uint32_t i;

	if (!t)
		return;
	if (max > FAULT_READ_MAX && n > FAULT_READ_MAX) {
		t->skipped++;
		return;
	}
	s = step_new("fault_read", err);
	if (!add_ref(t, s, "queue", queue, M(IOASID_OBJ_FAULT_QUEUE)))
		return;
	json_object_set_new(s, "max", json_integer(IOASID_MIN(max, FAULT_READ_MAX)));
	if (!err) {
		list = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(list, fault_value(t, &recs[i]));
		expect_value(s, err, "records", list);
	}
	emit(ctx, t, s);
}

/* The fault clock: the context's own (a scenario's starts at 0), else CLOCK_MONOTONIC. */
static uint64_t fault_clock_now(struct ioasid_ctx *ctx)
{
	struct timespec ts;

	if (ctx->clock)
		return ctx->clock(ctx->clock_data);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * ioasid_fault_expire() as a clock_advance step by the time since the last
 * one. A context with its own clock counts from 0, as a replay does; one on
 * the wall clock from its first expire (its timer thread's own expiries are
 * not calls, and are not recorded: docs/tracing.md).
 */
void trace_fault_expire(struct ioasid_ctx *ctx, uint32_t expired)
{
	struct ioasid_trace *t = rec(ctx);
	uint64_t now, delta;
	json_t *s;

	if (!t)
		return;
	now = fault_clock_now(ctx);
	if (!t->clock_started) {
		t->clock_started = true;
		t->clock_last = ctx->clock ? 0 : now;
	}
	delta = now > t->clock_last ? now - t->clock_last : 0;
	if (delta > (uint64_t)INT64_MAX)
		delta = (uint64_t)INT64_MAX;
	t->clock_last += delta;
	s = step_new("clock_advance", 0);
	json_object_set_new(s, "ns", json_integer((json_int_t)delta));
	expect_value(s, 0, "expired", json_integer(expired));
	emit(ctx, t, s);
}

static int handle_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A DMA that waits for a page response: its label, remembered for dma_poll/dma_wait. */
static json_t *dma_label_new(struct ioasid_trace *t, uint64_t handle)
{
	uint64_t *h = malloc(sizeof(*h));
	char buf[32];

	if (!h)
		return NULL;
	*h = handle;
	if (!tsearch(h, &t->dmas, handle_cmp)) {
		free(h);
		return NULL;
	}
	snprintf(buf, sizeof(buf), "dma%" PRIu64, handle);
	return json_string(buf);
}

/* The device side of a DMA write: its bytes when contents are asked for, else zeros. */
#define DMA_DATA_MAX (UINT64_C(1) << 16)
static void dma_write_data(struct ioasid_trace *t, json_t *s, const void *buf, size_t len)
{
	char *hex;
	size_t i;

	if (!(t->flags & IOASID_TRACE_CONTENTS) || !len || len > DMA_DATA_MAX ||
	    !(hex = malloc(2 * len + 1))) {
		json_object_set_new(s, "byte", json_integer(0));
		return;
	}
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", ((const uint8_t *)buf)[i]);
	json_object_set_new(s, "data", json_string(hex));
	free(hex);
}

void trace_dma(struct ioasid_ctx *ctx, uint32_t dev, uint32_t pasid, uint64_t iova, const void *buf,
	       size_t len, uint32_t rflags, const uint64_t *ret_handle, const size_t *ret_done,
	       int err)
{
	struct ioasid_trace *t = rec(ctx);
	bool write = rflags & IOASID_SIM_DMA_WRITE;
	json_t *s, *l;

	if (!t)
		return;
	/* a scenario's DMA moves at least a byte and at most 64 MiB */
	if (!len || len > (UINT64_C(64) << 20) || (err == -EAGAIN && !ret_handle)) {
		t->skipped++;
		return;
	}
	sync_all_contents(ctx, t);
	s = step_new(write ? "dma_write" : "dma_read", err);
	if (!add_ref(t, s, "dev", dev, M(IOASID_OBJ_DEV)))
		return;
	if (pasid != IOASID_PASID_NONE)
		json_object_set_new(s, "pasid", json_integer(pasid));
	json_object_set_new(s, "iova", hexnum(iova));
	json_object_set_new(s, "length", hexnum(len));
	if (rflags & ~IOASID_SIM_DMA_WRITE)
		json_object_set_new(s, "attrs", hexnum(rflags & ~IOASID_SIM_DMA_WRITE));
	if (write)
		dma_write_data(t, s, buf, len);
	if (err == -EAGAIN && (l = dma_label_new(t, *ret_handle)))
		json_object_set_new(s, "as", l);
	if (ret_done)
		expect_value(s, err, "done", hexnum(*ret_done));
	emit(ctx, t, s);
}

void trace_dma_collect(struct ioasid_ctx *ctx, bool wait, uint64_t handle, const size_t *ret_done,
		       int err)
{
	struct ioasid_trace *t = rec(ctx);
	char buf[32];
	json_t *s;

	if (!t)
		return;
	if (!tfind(&handle, &t->dmas, handle_cmp)) {
		t->skipped++;
		return;
	}
	/* a replayed wait never sleeps: one that timed out here is still waiting there */
	s = step_new(wait ? "dma_wait" : "dma_poll", err);
	snprintf(buf, sizeof(buf), "dma%" PRIu64, handle);
	json_object_set_new(s, "dma", json_string(buf));
	if (ret_done)
		expect_value(s, err, "done", hexnum(*ret_done));
	emit(ctx, t, s);
}

/* ---- invalidation, dirty tracking, the sim's stale mode ---- */

/* "handled" of a refusal is in the replay's message, not its value: only success compares it. */
void trace_invalidate(struct ioasid_ctx *ctx, uint32_t hwpt, const struct ioasid_inv_req *reqs,
		      uint32_t n, uint32_t handled, uint64_t dropped, int err)
{
	struct ioasid_trace *t = rec(ctx);
	json_t *s, *list, *o, *l;
	uint32_t i;

	if (!t)
		return;
	/* a scenario's request is this version's struct, with no reserved bits */
	if (n && (!reqs || reqs->size != sizeof(*reqs))) {
		t->skipped++;
		return;
	}
	for (i = 0; i < n; i++)
		if (reqs[i].size != sizeof(*reqs) || reqs[i].__reserved) {
			t->skipped++;
			return;
		}
	sync_all_contents(ctx, t);
	s = step_new("invalidate", err);
	if (!add_ref(t, s, "hwpt", hwpt, M(IOASID_OBJ_HWPT)))
		return;
	list = json_array();
	json_object_set_new(s, "requests", list);
	for (i = 0; i < n; i++) {
		const struct ioasid_inv_req *r = &reqs[i];

		o = json_object();
		json_object_set_new(o, "kind", json_integer(r->kind));
		json_object_set_new(o, "granularity", json_integer(r->granularity));
		if (r->pasid != IOASID_PASID_NONE)
			json_object_set_new(o, "pasid", json_integer(r->pasid));
		json_object_set_new(o, "addr", hexnum(r->addr));
		json_object_set_new(o, "npages", hexnum(r->npages));
		json_object_set_new(o, "log2_pgsize", json_integer(r->log2_pgsize));
		json_object_set_new(o, "flags", json_integer(r->flags));
		json_object_set_new(o, "version", json_integer(r->version));
		if (r->dev) {
			l = label_ref(t, r->dev, M(IOASID_OBJ_DEV));
			if (!l) {
				t->skipped++;
				json_decref(s);
				return;
			}
			json_object_set_new(o, "dev", l);
		}
		json_array_append_new(list, o);
	}
	expect_value(s, err, "handled", json_integer(handled));
	expect_value(s, err, "dropped", json_integer((json_int_t)dropped));
	emit(ctx, t, s);
}

/* VT-d stage-1 entries (struct iommu_hwpt_vtd_s1_invalidate), the one raw type a scenario gives. */
struct trace_vtd_inv {
	uint64_t addr, npages;
	uint32_t flags, reserved;
};

void trace_invalidate_raw(struct ioasid_ctx *ctx, uint32_t hwpt, uint32_t data_type,
			  const void *entries, uint32_t entry_len, uint32_t n, uint32_t handled,
			  int err)
{
	struct ioasid_trace *t = rec(ctx);
	struct trace_vtd_inv e;
	json_t *s, *list;
	uint32_t i;

	if (!t)
		return;
	if (!n || !entries || entry_len != sizeof(e)) {
		t->skipped++;
		return;
	}
	sync_all_contents(ctx, t);
	s = step_new("invalidate_raw", err);
	if (!add_ref(t, s, "hwpt", hwpt, M(IOASID_OBJ_HWPT)))
		return;
	json_object_set_new(s, "data_type", json_integer(data_type));
	list = json_array();
	json_object_set_new(s, "entries", list);
	for (i = 0; i < n; i++) {
		memcpy(&e, (const uint8_t *)entries + (size_t)i * sizeof(e), sizeof(e));
		json_array_append_new(list, json_pack("{s:o,s:o,s:I,s:I}", "addr", hexnum(e.addr),
						      "npages", hexnum(e.npages), "flags",
						      (json_int_t)e.flags, "reserved",
						      (json_int_t)e.reserved));
	}
	expect_value(s, err, "handled", json_integer(handled));
	emit(ctx, t, s);
}

/* A scenario's dirty_read lists at most 4096 addresses and reads at most 2^24 granules. */
#define DIRTY_LISTED_MAX 4096
#define DIRTY_BITS_MAX (UINT64_C(1) << 24)

void trace_dirty_read(struct ioasid_ctx *ctx, uint32_t hwpt, uint64_t iova, uint64_t length,
		      uint64_t page_size, const uint64_t *bitmap, uint32_t flags, int err)
{
	struct ioasid_trace *t = rec(ctx);
	uint64_t nbits = length / page_size, i, count = 0;
	json_t *s, *list;

	if (!t)
		return;
	if (nbits > DIRTY_BITS_MAX || page_size < 4096) {
		t->skipped++;
		return;
	}
	s = step_new("dirty_read", err);
	if (!add_ref(t, s, "hwpt", hwpt, M(IOASID_OBJ_HWPT)))
		return;
	json_object_set_new(s, "iova", hexnum(iova));
	json_object_set_new(s, "length", hexnum(length));
	json_object_set_new(s, "page_size", hexnum(page_size));
	json_object_set_new(s, "clear", json_boolean(!(flags & IOASID_DIRTY_NO_CLEAR)));
	if (!err) {
		list = json_array();
		for (i = 0; i < nbits; i++) {
			if (!(bitmap[i / 64] & (UINT64_C(1) << (i % 64))))
				continue;
			if (count++ < DIRTY_LISTED_MAX)
				json_array_append_new(list, hexnum(iova + i * page_size));
		}
		expect_value(s, err, "dirty", list);
		expect_value(s, err, "count", json_integer((json_int_t)count));
	}
	emit(ctx, t, s);
}

void trace_stale_mode(struct ioasid_ctx *ctx, int mode)
{
	struct ioasid_trace *t = rec(ctx);
	json_t *s;

	if (!t)
		return;
	s = step_new("stale_mode", 0);
	json_object_set_new(s, "mode", json_integer(mode));
	emit(ctx, t, s);
}
