/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What each object kind's dump op (in the kind's own file) builds its JSON
 * object with; json.c builds the documents around them (schema
 * "ioasid/1", docs/ioasid-schema.json).
 */
#ifndef IOASID_JSON_PRIVATE_H
#define IOASID_JSON_PRIVATE_H

#include <jansson.h>

#include "private.h"

/* 64-bit values as "0x..." strings: JSON numbers lose bits above 2^53. */
json_t *dump_hex(uint64_t v);
/* {"start": "0x...", "last": "0x..."} */
json_t *dump_range(uint64_t start, uint64_t last);
/*
 * Add @v (stolen) to @obj under @key, or to the array @arr. A NULL @v (a
 * json_pack() that failed) is -ENOMEM, so calls chain on one error.
 */
int dump_add(json_t *obj, const char *key, json_t *v);
int dump_append(json_t *arr, json_t *v);

#endif
