/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private: the one table of capability fields.
 *
 * Every capability id the library knows has a struct cap_desc, and every
 * field of it one struct cap_field: where it lives (a member of the
 * public struct, or bits of a raw register it is decoded from), how it is
 * checked, how it is written in JSON (details and brief levels) and how
 * `ioasidctl info` shows it. The generic capabilities are described in
 * caps-table.c, the vendor ones beside their register knowledge in
 * lib/vendor/. Generic code walks these tables:
 *   caps-check.c  validation (the parser and the builder)
 *   caps-json.c   JSON, details and brief
 *   caps-text.c   the text rows of ioasid_caps_rows()
 *   vendor.c      decoding registers into the decoded members, encoding back
 * so a new field is one line in one table. Macros at the bottom keep that
 * line short.
 */
#ifndef IOASID_CAPS_FIELDS_H
#define IOASID_CAPS_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ioasid/caps.h>

#define CF_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* What a field is. */
enum cf_kind {
	CF_MEMBER = 1, /* a member of the struct: a raw register, a config or generic value;
			* .count > 1 for an array member */
	CF_RANGE,      /* two members, .off to .off2, an inclusive range */
	CF_ARRAY,      /* the counted entries after the fixed part, each described by .sub */
	CF_TRISTATE,   /* named bits (.off) with the bits known (.off2): present/absent/unknown */
	CF_PAD,        /* reserved bytes: 0 in version 1; decoding zeroes them */
	CF_NUM,        /* decoded: register bits through .map into the member at .off */
	CF_BIT,        /* decoded: bit .mask of the `bits` member, set when the register
			* bits hold one of the values in .vals (bit v set = value v) */
	CF_SHOW,       /* decoded when shown, not stored: register bits through .map */
	CF_FLAG,       /* a flag bit of a register, shown as a boolean, not stored */
};

/* Where a field is shown. */
enum cf_sect {
	CS_MAIN = 1, /* generic capabilities: the chain's one table; JSON top level */
	CS_RAW,      /* a vendor capability's registers (JSON top level) */
	CS_DECODED,  /* what is decoded from them (JSON "decoded" object) */
};

/* JSON format of the value. */
enum cf_json {
	J_NONE = 0,
	J_INT,     /* integer */
	J_HEX,     /* "0x..." string */
	J_BITLIST, /* array of the numbers of the set bits */
	J_NAMES,   /* every named bit as "name": true|false, in the enclosing object */
	J_ENUM,    /* the value's name from .names, else the integer */
};

/* Text format in the rows of ioasid_caps_rows(). */
enum cf_text {
	T_NONE = 0,
	T_UINT,     /* "%u" */
	T_BITS,     /* "%u bits" */
	T_HEX,      /* "0x%x" */
	T_HEXPAD,   /* "0x" and every hex digit of the member's size */
	T_FLAGS,    /* T_HEX, then " (label)" for each set CF_FLAG of this member; shown
		     * after the other registers */
	T_HEXNAMES, /* "0x%x (name name)": the names of the set bits */
	T_PGSIZES,  /* page sizes as words: "4K 2M 1G" */
	T_PASID,    /* "%u bits (%u PASIDs)" with the count at .off2, or "0 (no PASID support)" */
	T_NAMES,    /* the names of the set bits as words */
	T_RANGE,    /* "start-end", hex when the JSON format is */
	T_ENUM,     /* the value's name, or "type %u (reserved)" */
	T_TRISTATE, /* rows "features", "absent" and (when any) "not known" */
};

/* Format in the brief JSON (ioasid_json_caps() with IOASID_JSON_BRIEF). */
enum cf_brief {
	B_NONE = 0,
	B_INT,   /* integer */
	B_SIZES, /* array of the page sizes, "4K" ... */
	B_NAMES, /* array of the names of the set bits ("bitN" when unnamed) */
	B_ARRAY, /* array of the entries, each an object of its brief fields */
	B_HEX,   /* "0x..." (both ends of a range) */
	B_ENUM,  /* the value's name, else the name of value .arg */
};

/* The rule a field's value must follow. */
enum cf_check {
	CK_NONE = 0,
	CK_NONZERO, /* not 0 */
	CK_BETWEEN, /* .min <= v <= .max */
	CK_WIDTH,   /* v <= .max bits */
	CK_BOOL,    /* 0 or 1 */
	CK_ORDERED, /* a range whose start is not above its end */
	CK_SUBSET,  /* tristate: the present bits are all known */
	CK_SORTED,  /* array: entries sorted by start and disjoint */
};

/* How register bits become a decoded number. */
enum cf_map {
	MAP_NONE = 0, /* as they are */
	MAP_ADD,      /* plus .arg */
	MAP_SHL,      /* shifted left by .arg */
	MAP_TABLE,    /* .table[bits]; a 0 entry marks a reserved encoding */
};

/* Field flags. */
#define CFF_VIEW (1u << 0) /* reads register bits another field decodes too */

struct cap_field {
	const char *key;   /* JSON key (the name for CF_BIT and CF_FLAG) */
	const char *key2;  /* CF_RANGE: JSON key of the end */
	const char *label; /* text row label; NULL: not in the text rows; for
			    * CF_FLAG the annotation of its register's row */
	const char *brief; /* key in the brief JSON; NULL: not in it */
	const char *what;  /* noun in messages; NULL: the key */
	const char *const *names; /* names of bits (T_HEXNAMES, J_NAMES, ...) or of values (J_ENUM) */
	const uint32_t *table;    /* MAP_TABLE: 1 << width entries */
	const struct cap_field *sub; /* CF_ARRAY: the fields of one entry */
	uint64_t mask;     /* CF_BIT: its bit in `bits`; CF_NUM: 0, or a bit of `bits` that
			    * must be set for the number to mean anything (else it is 0) */
	uint64_t min, max; /* CK_BETWEEN, CK_WIDTH */
	uint32_t vals;     /* CF_BIT: register values that set the bit */
	uint16_t off;      /* member offset in the capability struct (entry, for .sub) */
	uint16_t off2;     /* second member (CF_RANGE end, CF_TRISTATE known, T_PASID count) */
	uint16_t reg;      /* offset of the register a decoded field reads */
	uint8_t kind, sect, json, text, bfmt, check;
	uint8_t size;      /* bytes of the member: 1, 2, 4 or 8 */
	uint8_t count;     /* elements of an array member; 0 or 1: a scalar */
	uint8_t rsize;     /* bytes of the register at .reg */
	uint8_t lo, width; /* the register bits [lo + width - 1 : lo] */
	uint8_t map, arg;  /* enum cf_map and its argument */
	uint8_t nnames;    /* entries of .names */
	uint8_t nsub;      /* entries of .sub */
	uint8_t flags;     /* CFF_* */
};

/* One capability id. */
struct cap_desc {
	uint16_t id;
	const char *name;         /* ioasid_cap_id_name() */
	uint32_t size;            /* bytes of the version-1 struct */
	uint32_t elem_size;       /* bytes of a version-1 array entry; 0: no array */
	const char *raw_heading;  /* title of the register rows ("REGISTER", "CONFIG");
				   * NULL for a generic capability */
	uint16_t bits_off;        /* offset of the decoded `bits` member; 0: none */
	uint64_t bits_v1;         /* bits of `bits` that version 1 defines */
	const struct cap_field *fields;
	unsigned int nfields;
	/* rules between fields that no per-field check says; NULL: none */
	int (*check)(const uint8_t *cap, char *msg, size_t msglen);
};

/* ------------------------------------------------------------------------ */
/* The registry (caps-table.c)                                              */

/* The descriptor of @id, or NULL for an id this library does not know. */
const struct cap_desc *cap_desc_find(uint16_t id);

/* Every descriptor, for walks over all of them (tests); NULL-terminated. */
extern const struct cap_desc *const cap_descs[];

/* Resv type names, index = enum ioasid_resv_type. */
extern const char *const cap_resv_type_names[];
extern const unsigned int cap_resv_type_nnames;

/* ------------------------------------------------------------------------ */
/* Reading and writing values (fields.c)                                    */

/* The member of @size bytes (1, 2, 4 or 8; others read as 0) at @off of @cap (any alignment). */
uint64_t cf_get(const void *cap, unsigned int off, unsigned int size);
void cf_put(void *cap, unsigned int off, unsigned int size, uint64_t v);

/* The register bits a decoded field reads, before its map. */
uint64_t cf_reg_bits(const struct cap_field *f, const void *cap);
/* Replace them. */
void cf_set_reg_bits(const struct cap_field *f, void *cap, uint64_t v);

/* Register bits through the field's map (no gate). */
uint64_t cf_map(const struct cap_field *f, uint64_t bits);
/*
 * The register bits that give @v through the map: 0 when @v is 0 and the
 * map cannot give 0, a reserved encoding (a 0 table entry) when @v is
 * not in the table. Return: true when the map gives @v back exactly.
 */
bool cf_unmap(const struct cap_field *f, uint64_t v, uint64_t *ret_bits);

/* The value a CF_NUM or CF_SHOW field has for the registers of @cap. */
uint64_t cf_decode(const struct cap_desc *d, const struct cap_field *f, const void *cap);

/* The name of bit or value @i in @f's names, or NULL. */
const char *cf_name(const struct cap_field *f, unsigned int i);

/* The field of @d whose key is @key, or NULL. */
const struct cap_field *cf_find(const struct cap_desc *d, const char *key);

/* The name ioasid_cap_bit_name() gives bit @bit of @d; NULL: none. */
const char *cap_desc_bit_name(const struct cap_desc *d, unsigned int bit);

/* Every bit ioasid_cap_bit_name() names for @id. */
uint64_t cap_named_bits(uint16_t id);


/* ------------------------------------------------------------------------ */
/* Macros for the tables                                                    */

/* The member @m of struct type @T. */
#define CF_AT(T, m) .off = offsetof(T, m), .size = sizeof(((T *)0)->m)
/* Bits [lo + w - 1 : lo] of register member @m of @T. */
#define CF_REG(T, m, l, w)                                                   \
	.reg = offsetof(T, m), .rsize = sizeof(((T *)0)->m), .lo = (l),      \
	.width = (w)
/* A raw register or config member, with its text format. */
#define CF_RAWREG(k, j, t) .kind = CF_MEMBER, .sect = CS_RAW, .key = (k),    \
	.label = (k), .json = (j), .text = (t)
/* A decoded number. */
#define CF_DEC(k, j, t) .kind = CF_NUM, .sect = CS_DECODED, .key = (k),      \
	.label = (k), .json = (j), .text = (t)
/* A decoded boolean: bit @m of `bits`, set when the register bit is 1. */
#define CF_BITF(m, name) .kind = CF_BIT, .sect = CS_DECODED, .key = (name),  \
	.mask = (m), .vals = 2
/* A number decoded for JSON only. */
#define CF_SHOWN(k, j) .kind = CF_SHOW, .sect = CS_DECODED, .key = (k),      \
	.json = (j)
/* Reserved bytes. */
#define CF_PADDING(T, m) .kind = CF_PAD, .key = #m, CF_AT(T, m)
/* A value table. */
#define CF_TABLE(t) .map = MAP_TABLE, .table = (t)
/* Names of bits or values. */
#define CF_NAMES(n) .names = (n), .nnames = CF_ARRAY_SIZE(n)

#endif /* IOASID_CAPS_FIELDS_H */
