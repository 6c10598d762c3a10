/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The op table: every op a scenario step may name, with its handler, the
 * argument keys it takes (their types, whether they are required, the
 * label kinds they accept, their limits), what its "as" names and its
 * optional load-time check. The loader checks each step against its row,
 * so a handler runs only on arguments of the right type and labels of the
 * right kind, and a malformed file fails before anything has run. Ops are
 * found with bsearch(), so the rows stay sorted by name (strcmp order);
 * op_table_check() refuses a table out of order at every load.
 *
 * Adding an op takes four things:
 *
 * 1. A row below, in sorted order: OP("name", op_name, ARGS(...)), with
 *    .makes = K_... when the op's "as" labels what it made, and
 *    .check = check_name when types and labels cannot say every rule
 *    (see the argument macros below; an argument the row types A_JSON is
 *    left to the check, which parses it into argval.arr / argval.n).
 *    Names for numbers (flags, enums) are a struct name_val list in
 *    names.c, declared in private.h.
 * 2. The handler, HANDLER(op_name) { ... }, in the ops-*.c file of its
 *    family (a new family is a new ops-FAMILY.c, added to Makefile.am),
 *    declared in that file's group at the end of private.h. It reads its
 *    arguments with arg(), has(), num(), obj_id(), pasid_arg() (args.c),
 *    returns 0 or a negative errno, puts what it reports in @value
 *    (objects by label, label_of_id(); a process address only through
 *    va_json(), a library message only through message_json(): values
 *    are not rewritten after the handler), and marks the labels it
 *    makes or ends with label_made() / label_ended(). A failure the
 *    library did not explain gets its message from harness_err(). A
 *    check goes in check.c (or the family's check-FAMILY.c), declared
 *    with the others at the end of private.h, and reports with lerr(),
 *    naming the key and the bad value.
 * 3. docs/scenario-format.md: the op in its section under "Ops", with its
 *    arguments, their defaults and the value it reports.
 * 4. A scenario test: steps that use the op (its errors too) in a file of
 *    tests/scenarios/ (a new NAME.json goes in SCENARIO_FILES in
 *    Makefile.am, with its NAME.expected written by
 *    `tests/scenarios/run.sh --update tests/scenarios/NAME.json` and read
 *    before committing), and a malformed step per check message in
 *    tests/cli/test-cli.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

/*
 * Row helpers. An argument is A(key, type, options...): .required, .kinds
 * (label kinds accepted), .max (numbers), .hex (shown as 0x... in tables).
 */
#define A(k, t, ...) { .key = (k), .type = (t), __VA_ARGS__ }
#define END_ARGS { .key = NULL }
#define ARGS(...) .args = (const struct arg_spec[]){ __VA_ARGS__, END_ARGS }
#define NO_ARGS .args = (const struct arg_spec[]){ END_ARGS }
#define OP(n, fn, ...) { .name = (n), .run = (fn), __VA_ARGS__ }

/*
 * The argument lists and the table are laid out by hand, one op per row
 * group, so that a reader scans them as a table: clang-format would reflow
 * them into something harder to read.
 */
/* clang-format off */
/* Arguments several ops share. */
#define ARG_IOAS A("ioas", A_LABEL, .required = true, .kinds = K_IOAS)
#define ARG_SET A("set", A_LABEL, .required = true, .kinds = K_SET)
#define ARG_DEV A("dev", A_LABEL, .required = true, .kinds = K_DEV)
#define ARG_PASID A("pasid", A_PASID)
#define ARG_ADDR(k) A(k, A_NUM, .hex = true)
#define ARG_ADDR_REQ(k) A(k, A_NUM, .hex = true, .required = true)
#define ARG_U32(k) A(k, A_NUM, .max = UINT32_MAX)
#define ARG_BOOL(k) A(k, A_BOOL)
#define ARG_PERM A("perm", A_PERM)
#define ARG_FLAGS A("flags", A_NUM, .max = UINT32_MAX, .hex = true)
#define ARG_BUFFER A("buffer", A_LABEL, .required = true, .kinds = K_BUFFER)
#define ARG_HWPT A("hwpt", A_LABEL, .required = true, .kinds = K_HWPT)
#define ARG_QUEUE A("queue", A_LABEL, .required = true, .kinds = K_QUEUE)
#define ARG_DMA A("dma", A_LABEL, .required = true, .kinds = K_DMA)
#define ARG_VIOMMU A("viommu", A_LABEL, .required = true, .kinds = K_VIOMMU)
#define ARG_VDEVICE A("vdevice", A_LABEL, .required = true, .kinds = K_VDEVICE)
#define ARG_VEVENTQ A("veventq", A_LABEL, .required = true, .kinds = K_VEVENTQ)
#define ARG_VIRTIO_IOMMU A("virtio_iommu", A_LABEL, .required = true, .kinds = K_VIRTIO_IOMMU)
/* attach and replace: the IOAS or HWPT (one), the acting set, a fault queue */
#define ARGS_ATTACH \
	ARGS(ARG_DEV, ARG_PASID, A("ioas", A_LABEL, .kinds = K_IOAS), \
	     A("set", A_LABEL, .kinds = K_SET), A("hwpt", A_LABEL, .kinds = K_HWPT), \
	     A("queue", A_LABEL, .kinds = K_QUEUE))
/* dma_read and dma_write: the device side is a buffer or fresh memory */
#define ARGS_DMA(...) \
	ARGS(ARG_DEV, ARG_PASID, ARG_ADDR_REQ("iova"), \
	     A("length", A_NUM, .hex = true, .max = DMA_MAX_LEN), \
	     A("buffer", A_LABEL, .kinds = K_BUFFER), ARG_ADDR("offset"), \
	     A("attrs", A_FLAGS, .names = dma_attr_names, .max = UINT32_MAX), __VA_ARGS__)

/* Sorted by name (strcmp order): op_find() uses bsearch. */
static const struct op_desc op_table[] = {
	OP("allow_iovas", op_allow_iovas,
	   ARGS(ARG_IOAS, A("ranges", A_RANGES, .required = true))),
	OP("attach", op_attach, ARGS_ATTACH, .check = check_pt),
	OP("buffer", op_buffer,
	   ARGS(ARG_ADDR_REQ("size"), ARG_ADDR("align"), ARG_BOOL("memfd")),
	   .makes = K_BUFFER, .check = check_buffer),
	OP("cache_stats", op_cache_stats, NO_ARGS),
	OP("clock_advance", op_clock_advance,
	   ARGS(A("ns", A_NUM, .required = true, .max = INT64_MAX)), .check = check_clock_advance),
	OP("copy", op_copy,
	   ARGS(A("src", A_LABEL, .required = true, .kinds = K_IOAS), ARG_ADDR_REQ("src_iova"),
		A("dst", A_LABEL, .required = true, .kinds = K_IOAS), ARG_ADDR("dst_iova"),
		ARG_ADDR_REQ("length"), ARG_PERM, ARG_FLAGS)),
	OP("destroy", op_destroy,
	   ARGS(A("object", A_LABEL, .required = true, .kinds = K_OBJECT))),
	OP("detach", op_detach, ARGS(ARG_DEV, ARG_PASID)),
	OP("dev_add", op_dev_add,
	   ARGS(A("name", A_STR, .required = true), A("bdf", A_STR),
		A("page_sizes", A_PGSIZES), A("pasid_width", A_NUM, .max = 32),
		ARG_BOOL("pri"), ARG_BOOL("ats"), ARG_BOOL("stall"), A("reserved", A_RESV))),
	OP("dev_bind", op_dev_bind,
	   ARGS(A("dev", A_STR, .required = true), A("vf_token", A_STR)),
	   .makes = K_DEV, .check = check_dev_bind),
	OP("dev_hw_info", op_dev_hw_info,
	   ARGS(ARG_DEV, A("data_type", A_ENUM, .names = hw_info_type_names, .max = UINT32_MAX),
		A("max", A_NUM, .max = 4096))),
	OP("dev_info", op_dev_info, ARGS(ARG_DEV)),
	OP("dev_list", op_dev_list, NO_ARGS),
	OP("dev_remove", op_dev_remove, ARGS(A("name", A_STR, .required = true))),
	OP("dev_unbind", op_dev_unbind, ARGS(ARG_DEV)),
	OP("dirty_read", op_dirty_read,
	   ARGS(ARG_HWPT, ARG_ADDR_REQ("iova"), ARG_ADDR_REQ("length"), ARG_ADDR("page_size"),
		ARG_BOOL("clear"))),
	OP("dirty_tracking", op_dirty_tracking,
	   ARGS(ARG_HWPT, A("enable", A_BOOL, .required = true))),
	OP("dma_poll", op_dma_poll, ARGS(ARG_DMA)),
	OP("dma_read", op_dma_read, ARGS_DMA(END_ARGS), .makes = K_DMA, .check = check_dma),
	/* it never sleeps (ops-sim.c); timeout_ns keeps the range it always had */
	OP("dma_wait", op_dma_wait,
	   ARGS(ARG_DMA, A("timeout_ns", A_NUM, .max = UINT64_C(10000000000)))),
	OP("dma_write", op_dma_write,
	   ARGS_DMA(A("data", A_HEX), A("byte", A_NUM, .max = 255)),
	   .makes = K_DMA, .check = check_dma),
	OP("dump", op_dump, NO_ARGS),
	OP("fault_queue_alloc", op_fault_queue_alloc,
	   ARGS(ARG_SET, ARG_U32("depth"), A("timeout_ns", A_NUM),
		A("timeout_code", A_ENUM, .names = fault_code_names, .max = UINT32_MAX)),
	   .makes = K_QUEUE),
	OP("fault_queue_destroy", op_fault_queue_destroy, ARGS(ARG_QUEUE)),
	OP("fault_read", op_fault_read, ARGS(ARG_QUEUE, A("max", A_NUM, .max = 4096))),
	OP("fault_respond", op_fault_respond,
	   ARGS(ARG_QUEUE, A("cookie", A_JSON, .required = true),
		A("code", A_ENUM, .required = true, .names = fault_code_names,
		  .max = UINT32_MAX)),
	   .check = check_fault_respond),
	OP("fault_stats", op_fault_stats, ARGS(ARG_QUEUE)),
	OP("fault_unrouted", op_fault_unrouted, ARGS(A("max", A_NUM, .max = 4096))),
	OP("hw_queue_alloc", op_hw_queue_alloc,
	   ARGS(ARG_VIOMMU, A("type", A_ENUM, .required = true, .names = hw_queue_type_names,
			      .max = UINT32_MAX),
		ARG_U32("index"), ARG_ADDR_REQ("iova"), ARG_ADDR_REQ("length"), ARG_FLAGS),
	   .makes = K_HW_QUEUE),
	OP("hw_queue_destroy", op_hw_queue_destroy,
	   ARGS(A("hw_queue", A_LABEL, .required = true, .kinds = K_HW_QUEUE))),
	OP("hwpt_alloc", op_hwpt_alloc,
	   ARGS(ARG_DEV, A("ioas", A_LABEL, .kinds = K_IOAS),
		A("hwpt", A_LABEL, .kinds = K_HWPT),
		A("flags", A_FLAGS, .names = hwpt_flag_names, .max = UINT32_MAX),
		A("queue", A_LABEL, .kinds = K_QUEUE),
		A("type", A_ENUM, .names = hwpt_type_names, .max = UINT32_MAX),
		A("s1", A_JSON), A("viommu", A_LABEL, .kinds = K_VIOMMU), A("data", A_HEX)),
	   .makes = K_HWPT, .check = check_hwpt_alloc),
	OP("hwpt_destroy", op_hwpt_destroy, ARGS(ARG_HWPT)),
	OP("invalidate", op_invalidate,
	   ARGS(ARG_HWPT, A("requests", A_JSON, .required = true)),
	   .check = check_invalidate),
	OP("invalidate_raw", op_invalidate_raw,
	   ARGS(ARG_HWPT, A("entries", A_JSON, .required = true), ARG_U32("data_type")),
	   .check = check_invalidate_raw),
	OP("ioas_alloc", op_ioas_alloc, NO_ARGS, .makes = K_IOAS),
	OP("ioas_destroy", op_ioas_destroy, ARGS(ARG_IOAS)),
	OP("ioas_stats", op_ioas_stats, ARGS(ARG_IOAS)),
	OP("iova_ranges", op_iova_ranges, ARGS(ARG_IOAS)),
	OP("lookup", op_lookup, ARGS(ARG_IOAS, ARG_ADDR_REQ("iova"))),
	OP("map", op_map,
	   ARGS(ARG_IOAS, ARG_ADDR("iova"), ARG_ADDR("length"),
		A("buffer", A_LABEL, .kinds = K_BUFFER), ARG_ADDR("offset"), ARG_PERM,
		ARG_FLAGS),
	   .makes = K_BUFFER, .check = check_map),
	OP("map_file", op_map_file,
	   ARGS(ARG_IOAS, ARG_BUFFER, ARG_ADDR("iova"), ARG_ADDR("length"), ARG_ADDR("offset"),
		ARG_PERM, ARG_FLAGS)),
	OP("mappings", op_mappings, ARGS(ARG_IOAS)),
	OP("option", op_option,
	   ARGS(ARG_IOAS, A("name", A_STR, .required = true), A("value", A_NUM)),
	   .check = check_option),
	OP("pasid_alloc", op_pasid_alloc,
	   ARGS(ARG_SET, ARG_U32("min"), ARG_U32("max"), ARG_PASID),
	   .makes = K_PASID, .check = check_pasid_alloc),
	OP("pasid_free", op_pasid_free,
	   ARGS(ARG_SET, A("pasid", A_PASID, .required = true))),
	OP("pinned", op_pinned, NO_ARGS),
	OP("pinned_limit", op_pinned_limit,
	   ARGS(ARG_ADDR("limit"), ARG_BOOL("cap_ipc_lock_exempt")),
	   .check = check_pinned_limit),
	OP("read", op_read, ARGS(ARG_BUFFER, ARG_ADDR("offset"), ARG_ADDR("length")),
	   .check = check_read),
	OP("replace", op_replace, ARGS_ATTACH, .check = check_pt),
	OP("reserve", op_reserve,
	   ARGS(ARG_IOAS, ARG_ADDR_REQ("start"), ARG_ADDR_REQ("last"))),
	OP("set_alloc", op_set_alloc,
	   ARGS(ARG_ADDR("owner"), ARG_U32("max_pasids"), ARG_U32("max_ioas")),
	   .makes = K_SET),
	OP("set_destroy", op_set_destroy, ARGS(ARG_SET)),
	OP("set_info", op_set_info, ARGS(ARG_SET)),
	OP("set_ioas_alloc", op_set_ioas_alloc, ARGS(ARG_SET), .makes = K_IOAS),
	OP("stale_events", op_stale_events, NO_ARGS),
	OP("stale_mode", op_stale_mode,
	   ARGS(A("mode", A_ENUM, .required = true, .names = stale_mode_names,
		  .max = UINT32_MAX))),
	OP("unmap", op_unmap,
	   ARGS(ARG_IOAS, ARG_ADDR_REQ("iova"), ARG_ADDR_REQ("length"))),
	OP("unreserve", op_unreserve,
	   ARGS(ARG_IOAS, ARG_ADDR_REQ("start"), ARG_ADDR_REQ("last"))),
	OP("vdevice_alloc", op_vdevice_alloc,
	   ARGS(ARG_VIOMMU, ARG_DEV, ARG_ADDR_REQ("virt_id")), .makes = K_VDEVICE),
	OP("vdevice_destroy", op_vdevice_destroy, ARGS(ARG_VDEVICE)),
	OP("vdevice_find", op_vdevice_find, ARGS(ARG_VIOMMU, ARG_ADDR_REQ("virt_id"))),
	OP("vdevice_of_dev", op_vdevice_of_dev, ARGS(ARG_DEV)),
	OP("veventq_alloc", op_veventq_alloc,
	   ARGS(ARG_VIOMMU, A("type", A_ENUM, .required = true, .names = veventq_type_names,
			      .max = UINT32_MAX),
		A("depth", A_NUM, .required = true, .max = UINT32_MAX),
		A("set", A_LABEL, .kinds = K_SET), ARG_FLAGS),
	   .makes = K_VEVENTQ),
	OP("veventq_destroy", op_veventq_destroy, ARGS(ARG_VEVENTQ)),
	OP("veventq_read", op_veventq_read, ARGS(ARG_VEVENTQ, A("max", A_NUM, .max = 4096))),
	OP("veventq_stats", op_veventq_stats, ARGS(ARG_VEVENTQ)),
	OP("viommu_alloc", op_viommu_alloc,
	   ARGS(ARG_DEV, ARG_HWPT, A("type", A_ENUM, .required = true, .names = viommu_type_names,
				     .max = UINT32_MAX),
		A("data", A_HEX), ARG_FLAGS),
	   .makes = K_VIOMMU),
	OP("viommu_destroy", op_viommu_destroy, ARGS(ARG_VIOMMU)),
	OP("viommu_info", op_viommu_info, ARGS(ARG_VIOMMU)),
	/* "viommu" may name a nested HWPT too: the library answers that call as the kernel does */
	OP("viommu_invalidate", op_viommu_invalidate,
	   ARGS(A("viommu", A_LABEL, .required = true, .kinds = K_VIOMMU | K_HWPT),
		A("data_type", A_ENUM, .required = true, .names = viommu_inv_type_names,
		  .max = UINT32_MAX),
		A("entries", A_JSON, .required = true), A("entry_len", A_NUM, .max = 8192)),
	   .check = check_viommu_invalidate),
	OP("virtio_iommu_config", op_virtio_iommu_config, ARGS(ARG_VIRTIO_IOMMU)),
	OP("virtio_iommu_endpoint_add", op_virtio_iommu_endpoint_add,
	   ARGS(ARG_VIRTIO_IOMMU, A("endpoint", A_NUM, .required = true, .max = UINT32_MAX), ARG_DEV,
		A("reserved", A_RESV)),
	   .check = check_virtio_iommu_endpoint_add),
	OP("virtio_iommu_endpoint_del", op_virtio_iommu_endpoint_del,
	   ARGS(ARG_VIRTIO_IOMMU, A("endpoint", A_NUM, .required = true, .max = UINT32_MAX))),
	OP("virtio_iommu_event", op_virtio_iommu_event, ARGS(ARG_VIRTIO_IOMMU, A("size", A_NUM, .max = 4096))),
	OP("virtio_iommu_features", op_virtio_iommu_features,
	   ARGS(ARG_VIRTIO_IOMMU, A("driver_features", A_FLAGS, .names = virtio_feature_names))),
	OP("virtio_iommu_new", op_virtio_iommu_new,
	   ARGS(A("set", A_LABEL, .kinds = K_SET), A("memory", A_JSON),
		A("features", A_FLAGS, .names = virtio_iommu_ext_names, .max = UINT32_MAX),
		ARG_BOOL("boot_bypass"), A("bypass_ioas", A_LABEL, .kinds = K_IOAS),
		A("page_size_mask", A_PGSIZES), ARG_ADDR("input_start"), ARG_ADDR("input_end"),
		ARG_U32("domain_start"), ARG_U32("domain_end"), ARG_U32("probe_size"),
		ARG_U32("fault_depth"), A("fault_timeout_ns", A_NUM)),
	   .makes = K_VIRTIO_IOMMU, .check = check_virtio_iommu_new),
	OP("virtio_iommu_request", op_virtio_iommu_request,
	   ARGS(ARG_VIRTIO_IOMMU, A("request", A_JSON, .required = true),
		A("writable", A_NUM, .max = VIOMMU_WRITABLE_MAX), A("split", A_JSON),
		A("writable_split", A_JSON)),
	   .check = check_virtio_iommu_request),
	OP("write", op_write,
	   ARGS(ARG_BUFFER, ARG_ADDR("offset"), ARG_ADDR("length"),
		A("byte", A_NUM, .max = 255), A("data", A_HEX)),
	   .check = check_write),
};
/* clang-format on */

static int op_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct op_desc *)elem)->name);
}

const struct op_desc *op_find(const char *name)
{
	return bsearch(name, op_table, sizeof(op_table) / sizeof(op_table[0]),
		       sizeof(op_table[0]), op_cmp);
}

/* bsearch needs the order; a row added out of place must not go unnoticed. */
void op_table_check(void)
{
	size_t i;

	for (i = 1; i < sizeof(op_table) / sizeof(op_table[0]); i++) {
		if (strcmp(op_table[i - 1].name, op_table[i].name) >= 0) {
			fprintf(stderr, "ioasidctl: internal error: op table not sorted at \"%s\"\n",
				op_table[i].name);
			abort();
		}
	}
}
