/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private: a capability chain as JSON (jansson), for `ioasidctl info --json`,
 * the library's object dumps and, at the brief level, the summary of the
 * scenario op dev_info.
 */
#ifndef IOASID_CAPS_JSON_H
#define IOASID_CAPS_JSON_H

#include <stddef.h>

#include <jansson.h>

/*
 * ioasid_caps_to_json() - dump a chain
 * @buf: the chain (untrusted; checked in strict mode first)
 * @len: bytes readable at @buf
 *
 * The chain becomes an array with one object per capability, in chain
 * order. Every object has "id" (the name, e.g. "page_sizes", "vtd", or
 * "unknown"), "id_num", "version", "source" (name, or the number when it
 * has none), "offset" and "size". Then, per id:
 *   page_sizes    "bitmap"
 *   addr_width    "input_bits", "output_bits"
 *   pasid         "width", "max_pasids"
 *   iova_ranges   "ranges": [{"start", "last"}]
 *   resv_regions  "regions": [{"start", "last", "type"}]
 *   features      "bits", "known", "features": {name: true|false|null}
 *                 (null = not known)
 *   vtd           "cap_reg", "ecap_reg", "flags", "decoded": {...}
 *   smmuv3        "flags", "idr": [6], "iidr", "aidr", "decoded": {...}
 *   amd           "efr", "efr2", "decoded": {...}
 *   virtio_iommu  "features", "page_size_mask", "input_start", "input_end",
 *                 "domain_start", "domain_end", "probe_size", "bypass",
 *                 "decoded": {feature name: bool}
 *   unknown ids   "data": the bytes after the header as hex (at most
 *                 4096 of them; "data_truncated": true when cut)
 * "decoded" holds the decoded numeric fields and every named decoded bit
 * as a boolean. Raw registers, addresses, bitmaps and any 64-bit value are
 * "0x..." strings (JSON numbers lose precision above 2^53); small counts
 * and widths are integers. The keys, formats and order are those of the
 * field tables (fields.h).
 *
 * Return: a new reference, or NULL with the thread's message set (a bad
 * chain, or out of memory).
 */
json_t *ioasid_caps_to_json(const void *buf, size_t len);

/*
 * ioasid_caps_to_json_brief() - the essentials of a chain as one object
 * @buf: the chain (untrusted; checked in strict mode first)
 * @len: bytes readable at @buf
 *
 * The fields the tables give a brief key, from every capability in chain
 * order: "page_sizes" (["4K", ...]), "input_bits", "output_bits",
 * "pasid_width", "iova_ranges" ([{"start", "last"}]), "reserved"
 * ([{"start", "last", "type"}], an unnamed type as "reserved"),
 * "features" (the names of the present ones), and "vendor" (the name of a
 * vendor capability). Unknown ids add nothing.
 *
 * Return: as ioasid_caps_to_json().
 */
json_t *ioasid_caps_to_json_brief(const void *buf, size_t len);

#endif
