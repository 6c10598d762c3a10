/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to the profile code: what its files share.
 *
 *   profile.c         names, the generic fields, built-ins, load, hot-plug
 *   profile-json.c    the strict reader of profile files,
 *   profile-json-values.c   and its readers of one value
 *   profile-check.c   the rules every profile follows
 *   profile-dump.c    the writer (sim_profile_to_json)
 *   profiles/NAME.json the built-ins, compiled in by tools/gen-profiles.sh
 *                     and read by the same reader as any profile file
 */
#ifndef IOASID_SIM_PROFILE_PRIVATE_H
#define IOASID_SIM_PROFILE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "profile.h"

/* ------------------------------------------------------------------------
 * Errors (profile.c)
 */

/* Where a message goes and what it is about ("file.json", "built-in vtd"). */
struct perr {
	char *buf;
	size_t len;
	const char *src;
};

/*
 * Format "SRC: PATH: message" into the caller's buffer and return @ret, so
 * every failure is one statement: return profile_fail(e, -EINVAL, path, ...).
 */
int profile_fail(struct perr *e, int ret, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A vendor rule's failure: its key, under @pfx ("devices[2]") when given. */
int profile_fail_vendor(struct perr *e, const char *pfx, const struct vendor_err *ve);

/* "@prefix.@key", or "@key" when there is no prefix. */
void profile_subpath(char *buf, size_t len, const char *prefix, const char *key);

/* ------------------------------------------------------------------------
 * Names, models and values (profile.c)
 */

/* The vendor model of @v; NULL for generic (and for no such vendor). */
const struct vendor_model *profile_model_of(enum sim_vendor v);
/* Whether @v is a vendor at all (generic included). */
bool profile_vendor_known(enum sim_vendor v);
/* The vendor called @s in profile files; -1 when there is none. */
int profile_vendor_from_name(const char *s, enum sim_vendor *ret_vendor);
/* "vtd, smmuv3, amd, virtio-iommu, generic" */
const char *profile_model_list(char *buf, size_t len);
/* Whether @t is a region type at all. */
bool profile_resv_known(enum sim_resv_type t);
/* The region type called @s; -1 when there is none. */
int profile_resv_from_name(const char *s, enum sim_resv_type *ret_type);

/* The characters of profile and device names: A-Z a-z 0-9 _ . - */
bool profile_name_char_ok(char c);
/* The value of hex digit @c, or -1. */
int profile_hexval(char c);
/*
 * Parse "dddd:bb:dd.f" or "bb:dd.f" into the normalised lower-case long
 * form, and the requester ID; -1 when it is not one.
 */
int profile_bdf_normalise(const char *s, char out[SIM_BDF_MAX], uint16_t *ret_rid);
/* The largest address of a @w-bit space. */
uint64_t profile_width_mask(unsigned int w);

/* The reserved regions a device of @v gets when its profile names none. */
void profile_default_regions(enum sim_vendor v, struct sim_dev_desc *d);

/* The profile's registers, decoded (struct vendor_model's hooks read these). */
void profile_decoded_regs(const struct sim_profile *p, union vendor_regs *ret_regs);

/* ------------------------------------------------------------------------
 * The generic fields: one table drives the reader, the agreement with
 * the registers, the writer and the properties handed to the vendor model
 */

enum profile_kind {
	PF_WIDTH = 1, /* 1..64 */
	PF_LEVELS,    /* table depths, bit n = n levels */
	PF_PGSIZES,   /* a page-size bitmap */
	PF_PASID,     /* 0..20 */
	PF_BOOL,
	PF_U32,
	PF_RANGE, /* start and last, inclusive: two members in a row */
};

struct profile_field {
	const char *key;   /* in profile files */
	unsigned int kind; /* enum profile_kind */
	unsigned int prop; /* the vendor property (VP_*); 0: none */
	size_t off;        /* of the member in struct sim_profile */
	size_t voff;       /* of the member in struct vendor_props */
	unsigned int size; /* bytes of the member (of each, for a range) */
	bool vtd_only;     /* a key only model vtd has */
};

extern const struct profile_field profile_fields[];
extern const unsigned int profile_nfields;

/* The profile's fields as the vendor model's properties (mask 0). */
void profile_props(const struct sim_profile *p, struct vendor_props *ret_props);

/* ------------------------------------------------------------------------
 * Built-ins (profile.c; their text is generated from profiles/NAME.json)
 */

/* "vtd, qemu-vtd, smmuv3, amd, virtio-iommu, generic" */
const char *profile_builtin_list(char *buf, size_t len);

/*
 * Fill @p with built-in @name. Return: 0, -ENOENT (no such built-in; no
 * message) or what reading its text failed with (-ENOMEM).
 */
int profile_builtin_copy(struct sim_profile *p, const char *name, struct perr *e);

/* Generated: the names and the JSON text of the built-ins, NULL-terminated. */
extern const char *const sim_builtin_names[];
extern const char *const sim_builtin_json[];

/* ------------------------------------------------------------------------
 * Reading one value (profile-json-values.c). Each fails with a message
 * naming @path and the value.
 */

/* A short, allocation-free rendering of a JSON value for messages. */
const char *profile_jdesc(const json_t *v, char *buf, size_t len);

/* Whether @key is in the NULL-terminated @list (a const char *const *). */
bool profile_key_in_list(const char *key, const void *list);

/* Refuse any key of @obj that @known does not know; @pfx is the object's key path. */
int profile_check_keys(json_t *obj, const char *pfx, bool (*known)(const char *key, const void *arg),
		       const void *arg, struct perr *e);

/* "expected @what, got VALUE" unless @ok. */
int profile_expect(json_t *v, bool ok, const char *what, const char *path, struct perr *e);

/* A number: a JSON integer >= 0, or a "0x..." string (for >= 2^63). */
int profile_get_u64(json_t *v, const char *path, uint64_t *out, struct perr *e);
/* A number up to @max. */
int profile_get_bounded(json_t *v, const char *path, uint64_t max, uint64_t *out, struct perr *e);
int profile_get_u32(json_t *v, const char *path, uint32_t *out, struct perr *e);
/* An address width, 1..64. */
int profile_get_width(json_t *v, const char *path, uint8_t *out, struct perr *e);
/* A PASID width, 0..20. */
int profile_get_pasid_width(json_t *v, const char *path, uint8_t *out, struct perr *e);
int profile_get_bool(json_t *v, const char *path, bool *out, struct perr *e);
/* Page sizes: a bitmap, one size ("4K") or an array of sizes; never 0. */
int profile_get_pgsizes(json_t *v, const char *path, uint64_t *out, struct perr *e);
/* Table depths: a non-empty array of 1..6, as a bitmap (bit n = n levels). */
int profile_get_levels(json_t *v, const char *path, uint8_t *out, struct perr *e);
/*
 * {"start": NUM, "last"|"end": NUM}, both required. With @strict, no other
 * key is allowed; a caller with more keys checks them itself.
 */
int profile_get_range(json_t *v, const char *path, const char *lastkey, bool strict,
		      uint64_t *start, uint64_t *last, struct perr *e);

/* ------------------------------------------------------------------------
 * Reading profile files (profile-json.c)
 */

/* Read the profile file at @path into a zeroed @p, and check it. */
int profile_read_file(const char *path, struct sim_profile *p, struct perr *e);

/*
 * Read the text of built-in @name into a zeroed @p, and check it. A
 * built-in is defined from nothing: "model" starts from an IOMMU of that
 * model with every value 0, so the file says all there is.
 */
int profile_read_builtin(const char *name, const char *text, struct sim_profile *p, struct perr *e);

/* ------------------------------------------------------------------------
 * The rules (profile-check.c)
 */

/* Everything sim_profile_check() checks. */
int profile_check(const struct sim_profile *p, struct perr *e);

/* A profile or device name of at most @max bytes with the NUL, at @path. */
int profile_check_name(const char *name, size_t max, const char *path, struct perr *e);

/*
 * One device against its IOMMU. @pfx is the device's key path
 * ("devices[2]", or the name for a hot-added one). Uniqueness is the
 * caller's business.
 */
int profile_check_device(const struct sim_profile *p, const struct sim_dev_desc *d, const char *pfx,
			 struct perr *e);

/* The properties the registers determine, and their values. */
int profile_derive(const struct sim_profile *p, struct vendor_props *ret_props, struct perr *e);

/* The registers must be what the fields synthesize. */
int profile_check_synced(const struct sim_profile *p, struct perr *e);

/*
 * The register (as a key path) that carries property @prop, and its value,
 * for messages.
 */
const char *profile_prop_reg(const struct sim_profile *p, unsigned int prop, uint64_t *ret_value,
			     char *buf, size_t len);

#endif /* IOASID_SIM_PROFILE_PRIVATE_H */
