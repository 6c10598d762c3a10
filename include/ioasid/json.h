/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libioasid: JSON dumps of every object, for debugging and tools.
 *
 * Every document has "schema": "ioasid/1" at its top; the schema is
 * docs/ioasid-schema.json. Strings are returned so that jansson stays out
 * of the ABI; free them with ioasid_json_free(). 64-bit values are written
 * as "0x..." strings, since JSON numbers above 2^53 lose precision.
 */
#ifndef IOASID_JSON_H
#define IOASID_JSON_H

#include <ioasid/ctx.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The "schema" member of every JSON document the library writes (docs/ioasid-schema.json). */
#define IOASID_JSON_SCHEMA "ioasid/1"

/* Flags of the dump calls. */
#define IOASID_JSON_COMPACT  (1u << 0) /* one line, no indentation */
#define IOASID_JSON_NO_MAPS  (1u << 1) /* address spaces without their areas */
/*
 * ioasid_json_caps() only: "caps" is the chain's brief form, one object with
 * its essentials instead of every capability: "page_sizes" (["4K", ...]),
 * "input_bits", "output_bits", "pasid_width", "iova_ranges" ([{"start",
 * "last"}]), "reserved" ([{"start", "last", "type"}]), "features" (the names
 * of the present ones) and "vendor" (the vendor capability's name), each
 * when the chain has the capability it comes from.
 */
#define IOASID_JSON_BRIEF    (1u << 2)

/**
 * ioasid_json_ctx() - the whole context: backend, sets, address spaces
 * with their mappings, devices with their capability chains, attachments.
 * @ctx: the context.
 * @flags: IOASID_JSON_*.
 * @ret_doc: the document (free with ioasid_json_free()).
 * Return: 0; -EINVAL unknown flags; -ENOMEM.
 */
IOASID_EXPORT int ioasid_json_ctx(struct ioasid_ctx *ctx, uint32_t flags,
				  char **ret_doc);

/**
 * ioasid_json_object() - one object by id.
 * @ctx: the context.
 * @id: the object.
 * @flags: IOASID_JSON_*.
 * @ret_doc: the document.
 * Return: 0; -ENOENT unknown id; -ENOMEM.
 */
IOASID_EXPORT int ioasid_json_object(struct ioasid_ctx *ctx, uint32_t id,
				     uint32_t flags, char **ret_doc);

/**
 * ioasid_json_caps() - a capability chain (caps.h) as a document.
 * @buf: the chain.
 * @len: its size.
 * @flags: IOASID_JSON_*, IOASID_JSON_BRIEF among them.
 * @ret_doc: the document.
 * Return: 0; -EINVAL malformed chain (ioasid_last_errmsg() says where);
 * -ENOMEM.
 */
IOASID_EXPORT int ioasid_json_caps(const void *buf, size_t len, uint32_t flags,
				   char **ret_doc);

/**
 * ioasid_json_free() - free a document returned by this library.
 * @s: the document; NULL is fine.
 */
IOASID_EXPORT void ioasid_json_free(char *s);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_JSON_H */
