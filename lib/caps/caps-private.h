/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to lib/caps: what the parser, the checks and the builder share.
 */
#ifndef IOASID_CAPS_PRIVATE_H
#define IOASID_CAPS_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include <ioasid/caps.h>

#include "fields.h"

#define CAP_HDR_SIZE ((uint32_t)sizeof(struct ioasid_cap_header))
#define INFO_HDR_SIZE ((uint32_t)sizeof(struct ioasid_info_hdr))

/* An opened chain: its header checked against the buffer. */
struct chain {
	const uint8_t *buf;
	uint32_t total;  /* checked: <= the caller's len */
	uint32_t first;  /* 0 = no capability */
	uint32_t hdr_size;
	uint32_t align;  /* 8, or 4 when tolerant */
};

/* A message into @err (when there is room); returns @ret. */
int caps_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* As caps_fail(), the message starting by naming the capability at @off. */
int caps_cap_fail(char *err, size_t errlen, int ret, uint32_t off,
		  const struct ioasid_cap_header *h, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Open a chain (caps-parse.c). */
int caps_chain_open(const void *buf, size_t len, unsigned int flags, struct chain *c,
		    char *err, size_t errlen);

/*
 * Check the capability at @off, which must not lie before @min (the end of
 * the header or of the previous capability): its header, its size against
 * the chain and against its id, and the content of a known id
 * (caps-parse.c).
 */
int caps_cap_check(const struct chain *c, uint32_t off, uint32_t min,
		   struct ioasid_cap_header *h, char *err, size_t errlen);

/*
 * Check the content of a known capability (caps-check.c): @p holds h->size
 * bytes, at least the version-1 struct of @d.
 */
int caps_check_content(const struct cap_desc *d, const uint8_t *p, uint32_t off,
		       const struct ioasid_cap_header *h, char *err, size_t errlen);

/* The index of @id among cap_descs[], or -1; below CAPS_MAX_KNOWN. */
#define CAPS_MAX_KNOWN 32
int caps_known_index(uint16_t id);

#endif /* IOASID_CAPS_PRIVATE_H */
