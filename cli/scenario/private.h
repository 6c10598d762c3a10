/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The scenario engine's internals, shared by the files of cli/scenario/.
 * The rest of the CLI sees only scenario.h.
 *
 * How the pieces fit, in the order a scenario meets them:
 *   load.c       reads a file, expands ${VAR}, checks every step against
 *                the op table and defines the labels; scenario_free()
 *   values.c     turns one JSON value into a checked argument (struct argval)
 *   check.c      the checks an op adds beyond types and labels: buffer
 *                bounds, arguments that exclude each other, nested objects
 *   check-virtio-iommu.c   the same for the virtio-iommu ops, whose
 *                requests are encoded here as a driver writes them
 *   optable.c    the op table: every op, its handler, arguments and check
 *   names.c      the names a file may use for numbers (flags, enums)
 *   run.c        runs the steps on a context
 *   ops-*.c      the handlers, one file per family of ops
 *   args.c       what handlers and checks read of their step
 *   mem.c        the memory a scenario allocates (and the buffer ops)
 *   output.c     prints what each step did (JSON Lines, --table, --dump)
 *   sanitize.c   keeps process addresses and object ids out of outputs
 *   text.c       small text and JSON helpers
 */
#ifndef IOASIDCTL_SCENARIO_PRIVATE_H
#define IOASIDCTL_SCENARIO_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <ioasid/ioasid.h>

#include "scenario.h"

struct table;

/* ------------------------------------------------------------------------ */
/* Types                                                                    */

/* What a label can name. A bit each, so an argument can accept several. */
enum label_kind {
	K_IOAS = 1u << 0,
	K_SET = 1u << 1,
	K_DEV = 1u << 2,
	K_BUFFER = 1u << 3,
	K_PASID = 1u << 4,
	K_HWPT = 1u << 5,
	K_QUEUE = 1u << 6, /* a fault queue */
	K_DMA = 1u << 7,   /* a DMA request that waits for a page response */
	K_VIRTIO_IOMMU = 1u << 8, /* a virtio-iommu device back-end (no library id) */
	K_VIOMMU = 1u << 9,
	K_VDEVICE = 1u << 10,
	K_VEVENTQ = 1u << 11,
	K_HW_QUEUE = 1u << 12,
};
/* library objects with an id */
#define K_OBJECT \
	(K_IOAS | K_SET | K_DEV | K_HWPT | K_QUEUE | K_VIOMMU | K_VDEVICE | K_VEVENTQ | K_HW_QUEUE)

enum arg_type {
	A_NUM,     /* JSON integer or "0x..."/decimal string, <= max */
	A_BOOL,
	A_STR,
	A_PERM,    /* "r", "w", "rw", "none" */
	A_LABEL,   /* a label of one of .kinds */
	A_PASID,   /* a number or a pasid label */
	A_RANGES,  /* [[start, last], ...] or [{"start", "last"}, ...] */
	A_RESV,    /* like A_RANGES, objects may add "type" */
	A_PGSIZES, /* a bitmap number or a list of sizes (4096, "2M", ...) */
	A_HEX,     /* bytes as a hex string: "deadbeef" */
	A_ENUM,    /* one of .names, or a number <= max (a raw escape hatch) */
	A_FLAGS,   /* a list of .names (OR'd), or a number <= max */
	A_JSON,    /* any JSON value; the op's check parses it (into arr, n) */
};

/* A name and the number it stands for, in lists ended by a NULL name. */
struct name_val {
	const char *name;
	uint64_t val;
};

struct arg_spec {
	const char *key;
	enum arg_type type;
	bool required;
	unsigned int kinds; /* A_LABEL */
	uint64_t max;       /* A_NUM, A_ENUM, A_FLAGS: largest value, 0 = UINT64_MAX */
	bool hex;           /* A_NUM: an address or size, shown as 0x... */
	const struct name_val *names; /* A_ENUM, A_FLAGS */
};

struct label;
struct mem;
struct dma_req;

/* A checked argument value. */
struct argval {
	bool present;
	json_t *json;        /* the value in the file (after ${VAR}) */
	uint64_t u;          /* A_NUM, A_BOOL, A_PERM (map flags), A_PGSIZES, A_PASID number,
				A_ENUM, A_FLAGS */
	const char *s;       /* A_STR */
	struct label *label; /* A_LABEL, A_PASID given as a label */
	void *arr;           /* A_RANGES, A_RESV, A_HEX, A_JSON (as its check made it) */
	size_t n;            /* entries of arr (bytes for A_HEX) */
};

struct label {
	char *name;
	unsigned int kind;
	size_t step;    /* defining step */
	uint64_t size;  /* K_BUFFER: bytes, known when the file is checked */
	/* set when the defining step succeeds */
	bool live;
	uint32_t id;    /* K_OBJECT; K_DMA: the request's handle */
	uint32_t pasid; /* K_PASID */
	struct mem *mem; /* K_BUFFER */
	uint64_t cookie; /* K_QUEUE: the last page request group read from it */
	struct dma_req *dma; /* K_DMA */
	struct ioasid_virtio_iommu *virtio_iommu; /* K_VIRTIO_IOMMU */
};

/*
 * A DMA the sim's engine runs for a dma_read/dma_write step. The device side
 * of the copy must stay valid until the request is collected, which may be
 * never: requests that wait live until scenario_free().
 */
struct dma_req {
	uint8_t *buf;   /* the device side: a scenario buffer, or @own */
	uint8_t *own;   /* memory the request owns, or NULL */
	size_t len;
	bool write;
	uint64_t iova;
	uint64_t handle; /* when it waits */
};

/* Memory a step allocated (a buffer, or the fresh memory of a map). */
struct mem {
	char *name;     /* the label, or "#N" for an unlabelled map of step N */
	uint8_t *va;
	size_t size;    /* bytes asked for */
	size_t maplen;  /* bytes mapped (whole pages, at least one) */
	int fd;         /* memfd, or -1 */
};

struct run;
struct step;
struct loader;

/*
 * An op's handler: run step @s on r->ctx; 0 or a negative errno, and on
 * success the step's value in @value (an object, empty when the op has
 * nothing to report). A failure the library did not explain gets its
 * message from harness_err().
 */
typedef int op_run_fn(struct run *r, const struct step *s, json_t *value);
/* An op's check beyond types and labels, at load time: 0 or CLI_EXIT_USAGE (lerr()). */
typedef int op_check_fn(struct loader *l, struct step *s);

/* One row of the op table (optable.c). */
struct op_desc {
	const char *name;
	op_run_fn *run;
	const struct arg_spec *args; /* the keys it takes, ended by a NULL key */
	unsigned int makes;          /* what its "as" names; 0: no "as" */
	op_check_fn *check;          /* optional */
};

struct step {
	size_t index;
	const struct op_desc *op;
	json_t *json;
	struct argval *vals; /* one per op->args entry */
	struct label *as;
	int expect;          /* -1: none; 0: "ok"; else the errno */
	json_t *expect_value; /* "expect_value": members the value must have, or NULL */
};

struct scenario {
	char *file;
	json_t *root;
	const char *backend;
	char *profile;
	struct step *steps;
	size_t nr_steps;
	struct label **labels; /* in definition order */
	size_t nr_labels;
	void *label_index; /* the labels by name (tsearch(), so loading is O(n log n)) */
	void *id_index;    /* by id, the newest label made of an object or DMA (args.c) */
	/* run time */
	struct mem **mems;
	size_t nr_mems;
	void *mem_index;       /* the mems by address (mem.c) */
	struct dma_req **dmas; /* requests that waited (their memory) */
	size_t nr_dmas;
	uint64_t now_ns;       /* the fault timeouts' clock (clock_advance) */
	struct ioasid_virtio_iommu **virtio_iommus; /* freed at the end of scenario_run() */
	size_t nr_virtio_iommus;
};

struct loader {
	struct scenario *sc;
	char path[128]; /* JSON path of the step being checked, "steps[3]" */
	uint64_t mem;   /* bytes of memory the steps so far allocate (SCEN_MEM_MAX) */
	uint64_t moved; /* bytes the steps so far move (SCEN_MOVED_MAX) */
	uint64_t clock; /* ns the clock_advance steps so far add (SCEN_CLOCK_MAX) */
};

struct run {
	struct scenario *sc;
	struct ioasid_ctx *ctx;
	char msg[512]; /* the harness's own message for a failure, else "" */
	/* what the run prints (output.c) */
	const struct scenario_run_opts *o;
	struct table *steps; /* --table: a row per step */
	size_t nr_run, nr_refused, nr_failed;
};

/* One typed invalidation request as the file gives it (check.c, ops-hwpt.c). */
struct inv_item {
	struct ioasid_inv_req req;
	struct label *pasid; /* a PASID label, or NULL: req.pasid holds it */
	struct label *dev;   /* a device label, or NULL: req.dev is 0 (every device) */
};

/* One region of virtio_iommu_new's "memory": guest-physical address -> buffer. */
struct vmem_item {
	struct label *buf;
	uint64_t gpa, off, size;
	bool mmio;
};

/* What a step did, as the three outputs report it. */
struct step_result {
	int err;          /* 0 or a negative errno */
	bool mismatch;    /* the step had "expect" and the result differs, or
			     "expect_value" and the value differs */
	const char *value_key; /* the first member of "expect_value" that differs */
	const char *name; /* "ok" or the errno name */
	json_t *value;    /* {} after a failure */
	char *message;    /* NULL on success; sanitized */
	char buf[16];
};

/*
 * What one scenario file may ask for in all (docs/scenario-format.md,
 * "Limits"): a file is untrusted input, and a run must end in bounded time
 * and memory whatever it says. The loader refuses a file past any of them
 * (exit 2), naming the limit. Memory is counted in whole 4 KiB pages (at
 * least one per allocation) on every machine, so a file loads alike on all.
 */
#define SCEN_FILE_MAX (UINT64_C(16) << 20) /* bytes of the file itself */
#define SCEN_MEM_MAX (UINT64_C(1) << 30)   /* memory its steps allocate */
#define SCEN_MEM_UNIT UINT64_C(4096)
#define SCEN_MOVED_MAX (UINT64_C(4) << 30)   /* bytes its write, read and DMA steps move */
#define SCEN_CLOCK_MAX ((uint64_t)INT64_MAX) /* ns its clock_advance steps add */

/* Limits that both a check (or the table) and a handler know. */
#define VTD_INV_ENTRY_LEN 24 /* struct iommu_hwpt_vtd_s1_invalidate */
#define DMA_MAX_LEN (UINT64_C(64) << 20) /* bytes one DMA step moves */
#define VIOMMU_WRITABLE_MAX ((UINT64_C(1) << 20) + 4096) /* above probe_size's 1 MiB */

/* ------------------------------------------------------------------------ */
/* text.c: small text and JSON helpers                                      */

/* A growing string; { 0 } is empty, free(b.s) when done. */
struct strbuf {
	char *s;
	size_t len, cap;
};

void sb_addf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The string so far ("" when nothing was added). */
const char *sb_str(struct strbuf *b);
/* A JSON value for a message: compact, cut at about 60 characters. */
const char *jshow(const json_t *v, char *buf, size_t len);
/* "r", "w", "rw" or "-" for IOASID_MAP_READ/WRITE. */
const char *perm_str(uint32_t flags);
/* "EEXIST" for -EEXIST (or EEXIST); "E123" for a number without a name. */
const char *result_name(int err, char *buf, size_t len);
/* A character of a ${VAR} name or a label ([A-Za-z_], digits unless @first). */
bool var_char(char c, bool first);
bool is_pow2(uint64_t v);
/*
 * @arr (of @nr elements of @size bytes) with room for one more: the array
 * doubles when @nr is 0 or a power of two, so appending n costs O(n).
 */
void *xgrow(void *arr, size_t nr, size_t size);
/* @len bytes as a string of hex pairs. */
json_t *hex_bytes_json(const uint8_t *p, size_t len);
/* The names of the bits of @v, unknown bits as one "0x..." at the end. */
json_t *bit_names_json(const struct name_val *names, uint64_t v);
/* The name of @v in @names, else the number. */
json_t *name_json(const struct name_val *names, uint64_t v);

/* ------------------------------------------------------------------------ */
/* load.c: reading and checking a file                                      */

/* "ioasidctl: FILE: steps[3].KEY: message" on stderr; returns CLI_EXIT_USAGE. */
int lerr(struct loader *l, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ------------------------------------------------------------------------ */
/* values.c: one JSON value into a checked argument                         */

/* A number: a JSON integer >= 0, or a string "0x..." (hex) or decimal. */
bool parse_num(const json_t *v, uint64_t *ret);
/* A number up to @max (0: any), else a message naming @key. */
int parse_num_max(struct loader *l, const char *key, const json_t *v, uint64_t max,
		  uint64_t *ret);
/* The label named @name, or NULL; label_add() puts one in the index. */
struct label *label_find(struct scenario *sc, const char *name);
void label_add(struct scenario *sc, struct label *lb);
/* A label defined earlier, of one of @kinds. */
int parse_label(struct loader *l, const char *key, const json_t *v, unsigned int kinds,
		struct label **ret);
/* A PASID: a number up to 0xffffffff, or a pasid label (*ret_label). */
int parse_pasid(struct loader *l, const char *key, const json_t *v, uint64_t *ret,
		struct label **ret_label);
/* A non-empty string of hex byte pairs, into a->arr / a->n. */
int parse_hex_bytes(struct loader *l, const char *key, const json_t *v, struct argval *a);
/* One of @names (with @list: a list of them, OR'd), or a number up to @max (0: any). */
int parse_named(struct loader *l, const char *key, const json_t *v,
		const struct name_val *names, bool list, uint64_t max, uint64_t *ret);
/*
 * An A_JSON argument that is a list of @what: a->n entries of @size bytes,
 * zeroed, in a->arr (freed with the step) for the check to fill in.
 */
int list_items(struct loader *l, const char *key, struct argval *a, size_t size,
	       const char *what);
/* @v as the argument @spec describes, into @a. */
int parse_arg(struct loader *l, const struct arg_spec *spec, json_t *v, struct argval *a);

/*
 * The members of an object argument ("s1", "requests[2]", ...): @key names
 * the object in messages, @field the member; an absent member is @def.
 */
int sub_keys(struct loader *l, const char *key, const json_t *v, const char *const *known);
int sub_num(struct loader *l, const char *key, const json_t *obj, const char *field,
	    uint64_t max, uint64_t def, uint64_t *ret);
int sub_named(struct loader *l, const char *key, const json_t *obj, const char *field,
	      const struct name_val *names, bool list, uint64_t max, uint64_t def,
	      uint64_t *ret);
int sub_bool(struct loader *l, const char *key, const json_t *obj, const char *field,
	     bool *ret);

/* ------------------------------------------------------------------------ */
/* optable.c: the op table                                                  */

const struct op_desc *op_find(const char *name);
/* Abort when the table is out of order: op_find() relies on it. */
void op_table_check(void);

/* ------------------------------------------------------------------------ */
/* names.c: the names a file may use for numbers                            */

extern const struct name_val hwpt_flag_names[], hwpt_type_names[], vtd_s1_flag_names[];
extern const struct name_val inv_kind_names[], inv_gran_names[];
extern const struct name_val stale_mode_names[], dma_attr_names[];
extern const struct name_val fault_code_names[];
extern const struct name_val virtio_iommu_ext_names[], virtio_feature_names[];
extern const struct name_val vreq_type_names[], vattach_flag_names[], vmap_flag_names[];
extern const struct name_val vpage_resp_flag_names[];
extern const struct name_val vfault_flag_names[], vfault_reason_names[];
extern const struct name_val vresv_subtype_names[];
extern const struct name_val viommu_type_names[], viommu_inv_type_names[], hw_info_type_names[];
extern const struct name_val veventq_type_names[], vevent_flag_names[], hw_queue_type_names[];

/* ------------------------------------------------------------------------ */
/* args.c: what handlers and checks read of their step                      */

/* The value of argument @key (a never-present one when the op lacks it). */
const struct argval *arg(const struct step *s, const char *key);
/* The same, for a check that fills it in (A_JSON); NULL when the op lacks @key. */
struct argval *arg_mut(struct step *s, const char *key);
bool has(const struct step *s, const char *key);
/* A number argument, @def when absent. */
uint64_t num(const struct step *s, const char *key, uint64_t def);
/* The id behind an object label; IOASID_ID_NONE when it names nothing. */
uint32_t obj_id(const struct step *s, const char *key);
/* An optional object of an options struct: 0 absent, UINT32_MAX naming nothing. */
uint32_t opt_obj_id(const struct step *s, const char *key);
/* A PASID argument, or IOASID_PASID_NONE when absent. */
uint32_t pasid_arg(const struct step *s, const char *key);
/* What an attach, replace or hwpt_alloc names: "ioas", "hwpt" or "viommu" (one). */
uint32_t pt_id(const struct step *s);
/*
 * A handler's result @err, after marking labels: when @err is 0, the
 * step's "as" names object @id (label_made) or the label of argument @key
 * names nothing any more (label_ended).
 */
int label_made(const struct step *s, int err, uint32_t id);
int label_ended(const struct step *s, const char *key, int err);
/*
 * After a step ran: when its label names an object (or a DMA) now, it is
 * the label of that id from here on (an older label of the same id named
 * an object that is gone, or the id could not have been reused).
 */
void label_note_id(struct scenario *sc, struct label *lb);
/* The live label of an object id (of @kinds), for values that name objects; NULL if none. */
const char *label_of_id(const struct scenario *sc, uint32_t id, unsigned int kinds);

/* ------------------------------------------------------------------------ */
/* mem.c: the memory a scenario allocates                                   */

int mem_alloc(struct run *r, const char *name, uint64_t size, uint64_t align, bool memfd,
	      struct mem **ret);
/* The memory holding process address @va (with @end_too: or ending there). */
const struct mem *mem_at(const struct scenario *sc, uint64_t va, uint64_t *off, bool end_too);
/* The memfd buffer whose file is @fd's (the library's duplicate), or NULL. */
const struct mem *mem_of_file(const struct scenario *sc, int fd);
/* The failure of a step that uses buffer @lb whose own step failed: -ENOENT. */
int buffer_missing(struct run *r, const struct label *lb);

/* ------------------------------------------------------------------------ */
/* sanitize.c: outputs that do not depend on addresses or ids               */

/*
 * A library message as outputs show it, free() it: "va 0x7f..." (hva, uva)
 * as "va LABEL+0xOFF", "IOAS 3" (set, HWPT, ...) as "IOAS LABEL" when a
 * live label names that object. Nothing else is rewritten.
 */
char *sanitize_text(const struct scenario *sc, const char *msg);
/* The same as a JSON string, for values that carry a library message. */
json_t *message_json(const struct scenario *sc, const char *msg);
/*
 * A process address for a value: "LABEL+0xOFF" inside the scenario's
 * memory, "?" elsewhere. Handlers report process addresses only this way.
 */
json_t *va_json(const struct scenario *sc, uint64_t va);
/* ioasid_json_ctx()'s document with its process addresses as va_json() shows them. */
void sanitize_dump(const struct scenario *sc, json_t *v);

/* ------------------------------------------------------------------------ */
/* ops-ioas.c helpers that the output uses too                              */

/* Every area of an IOAS, in IOVA order; free(*ret). */
int list_mappings(struct run *r, uint32_t ioas, struct ioasid_mapping **ret, size_t *ret_n);

/* ------------------------------------------------------------------------ */
/* run.c and output.c                                                       */

/* A failure of the harness itself (e.g. mmap), not of the library: returns @err. */
int harness_err(struct run *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Before the first step, after each step, after the last one. */
void output_begin(struct run *r);
void output_step(struct run *r, const struct step *s, const struct step_result *sr);
void output_end(struct run *r);

/* ------------------------------------------------------------------------ */
/* Handlers and checks, one group per file; the op table names them.        */

/*
 * A handler is written HANDLER(op_name) { ... }: the signature of
 * op_run_fn, each parameter allowed to go unused.
 */
#define UNUSED __attribute__((unused))
#define HANDLER(name) \
	int name(struct run *r UNUSED, const struct step *s UNUSED, json_t *value UNUSED)

/* ops-ctx.c: the context as a whole */
op_run_fn op_destroy, op_dump, op_pinned, op_pinned_limit;
/* ops-ioas.c: I/O address spaces */
op_run_fn op_allow_iovas, op_copy, op_ioas_alloc, op_ioas_destroy, op_ioas_stats, op_iova_ranges,
	op_lookup, op_map, op_map_file, op_mappings, op_option, op_reserve, op_unmap, op_unreserve;
/* ops-set.c: sets and PASIDs */
op_run_fn op_pasid_alloc, op_pasid_free, op_set_alloc, op_set_destroy, op_set_info,
	op_set_ioas_alloc;
/* ops-dev.c: devices and their attachments */
op_run_fn op_attach, op_detach, op_dev_bind, op_dev_hw_info, op_dev_info, op_dev_list,
	op_dev_unbind, op_replace;
/* ops-hwpt.c: hardware page tables */
op_run_fn op_dirty_read, op_dirty_tracking, op_hwpt_alloc, op_hwpt_destroy, op_invalidate,
	op_invalidate_raw;
/* ops-fault.c: fault queues and page requests */
op_run_fn op_clock_advance, op_fault_queue_alloc, op_fault_queue_destroy, op_fault_read,
	op_fault_respond, op_fault_stats, op_fault_unrouted;
/* ops-sim.c: the sim's hot-plug, DMA engine, caches and stale detector */
op_run_fn op_cache_stats, op_dev_add, op_dev_remove, op_dma_poll, op_dma_read, op_dma_wait,
	op_dma_write, op_stale_events, op_stale_mode;
/* ops-virtio-iommu.c: the virtio-iommu device back-end */
op_run_fn op_virtio_iommu_config, op_virtio_iommu_endpoint_add, op_virtio_iommu_endpoint_del,
	op_virtio_iommu_event, op_virtio_iommu_features, op_virtio_iommu_new,
	op_virtio_iommu_request;
/* ops-viommu.c: vIOMMUs, vDEVICEs, vEVENTQs, HW queues */
op_run_fn op_hw_queue_alloc, op_hw_queue_destroy, op_vdevice_alloc, op_vdevice_destroy,
	op_vdevice_find, op_vdevice_of_dev, op_veventq_alloc, op_veventq_destroy, op_veventq_read,
	op_veventq_stats, op_viommu_alloc, op_viommu_destroy, op_viommu_info, op_viommu_invalidate;
/* mem.c: the scenario's buffers */
op_run_fn op_buffer, op_read, op_write;

/* check.c */
op_check_fn check_buffer, check_clock_advance, check_dev_bind, check_dma, check_fault_respond,
	check_hwpt_alloc, check_invalidate, check_invalidate_raw, check_map, check_option,
	check_pasid_alloc, check_pinned_limit, check_pt, check_read, check_viommu_invalidate,
	check_write;
/* check-virtio-iommu.c */
op_check_fn check_virtio_iommu_endpoint_add, check_virtio_iommu_new,
	check_virtio_iommu_request;

#endif /* IOASIDCTL_SCENARIO_PRIVATE_H */
