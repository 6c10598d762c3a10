/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private: what the library knows about each IOMMU model, in one place.
 *
 * A model is a capability descriptor (lib/caps/fields.h) that names every
 * register field once — its register, bits, how it is decoded and shown —
 * and an ops table for what cannot be a table row: the generic properties
 * the registers encode (derive) and the inverse (sync), and the paging
 * domain Linux builds on such an IOMMU (domain). Everything that decodes
 * vendor registers goes through here: caps validation and the public
 * ioasid_cap_*_decode(), the caps JSON and text rows, the sim's profiles
 * and the iommufd backend.
 *
 * A model's register set is the public struct of its capability
 * (struct ioasid_cap_vtd, ...): its raw members are the registers, the
 * decoded members what vendor_decode() makes of them.
 */
#ifndef IOASID_VENDOR_H
#define IOASID_VENDOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ioasid/caps.h>

#include "caps/fields.h"

/* Room for the register set of any model. */
union vendor_regs {
	struct ioasid_cap_vtd vtd;
	struct ioasid_cap_smmuv3 smmuv3;
	struct ioasid_cap_amd amd;
	struct ioasid_cap_virtio_iommu virtio;
};

/* The generic properties a model's registers can encode. */
enum vendor_prop {
	VP_INPUT = 1u << 0,     /* input (IOVA) width */
	VP_OUTPUT = 1u << 1,    /* output address width */
	VP_LEVELS = 1u << 2,    /* page-table depths */
	VP_PGSIZES = 1u << 3,   /* page sizes */
	VP_PASID = 1u << 4,     /* PASID width */
	VP_NESTING = 1u << 5,
	VP_DIRTY = 1u << 6,     /* dirty tracking */
	VP_PRI = 1u << 7,
	VP_ATS = 1u << 8,
	VP_SCALABLE = 1u << 9,  /* VT-d scalable mode */
	VP_CACHING = 1u << 10,  /* VT-d caching mode */
	VP_APERTURE = 1u << 11, /* the IOVA window */
	VP_ALL = (1u << 12) - 1,
};

/*
 * Those properties as values: what a sim profile says. derive() fills it
 * from registers and sets in `mask` the properties they determine; sync()
 * reads it (mask ignored).
 */
struct vendor_props {
	unsigned int mask;            /* VP_* */
	uint8_t input_width, output_width;
	uint8_t levels;               /* bit n: n-level tables */
	uint8_t pasid_width;
	uint64_t page_sizes;
	uint64_t ap_start, ap_last;   /* aperture, inclusive */
	bool nesting, dirty, pri, ats, scalable, caching;
};

/* Page-table formats a model's paging domains are built in (the sim's pgtable formats). */
enum vendor_pt_format {
	VENDOR_PT_UNKNOWN = 0, /* the model does not say: the sim uses VT-d second stage */
	VENDOR_PT_ARM_S1,      /* VMSAv8-64 stage 1 */
	VENDOR_PT_ARM_S2,      /* VMSAv8-64 stage 2 */
	VENDOR_PT_AMD_V1,      /* AMD IOMMU v1 host table */
	VENDOR_PT_AMD_V2,      /* AMD IOMMU v2 table (x86-64 paging) */
};

/*
 * What a paging domain on an IOMMU of the model offers, as Linux builds
 * it (what iommufd can give us).
 */
struct vendor_domain {
	bool pasid_hwpt;        /* IOMMU_HWPT_ALLOC_PASID accepted */
	bool pasid_any_dev;     /* ... also for a device without PASIDs (Intel, SMMUv3) */
	uint64_t pgsizes;       /* 0 = unknown */
	unsigned int in_bits;   /* 0 = unknown */
	unsigned int out_bits;  /* 0 = unknown */
	bool nesting;           /* a nested stage-1 format exists */
	uint32_t vendor_s1;     /* its IOASID_HWPT_NESTED_* format */
	uint32_t fl_levels;     /* stage-1 depths, bit n = n levels */
	bool pri, ats;
	bool stall_known, stall;
	/*
	 * The table Linux builds for a paging domain (enum vendor_pt_format)
	 * and its input width, without and with IOMMU_HWPT_ALLOC_NEST_PARENT;
	 * pt_dirty: the format of a dirty-tracking domain (0: none can track).
	 */
	uint8_t pt_format, pt_in_bits;
	uint8_t pt_parent_format, pt_parent_in_bits;
	uint8_t pt_dirty_format;
	/*
	 * The format of an IOMMU_HWPT_ALLOC_PASID domain (0: pt_format), and
	 * whether the driver takes that flag only alone (AMD: with
	 * NEST_PARENT or DIRTY_TRACKING it is EOPNOTSUPP).
	 */
	uint8_t pt_pasid_format;
	bool pt_pasid_alone;
	/* the input width of that domain's table (0: 48, 4-level x86-64 paging) */
	uint8_t pt_pasid_in_bits;
	/*
	 * The Linux driver has no domain_alloc_paging_flags (virtio-iommu):
	 * IOMMU_HWPT_ALLOC with any flag is EOPNOTSUPP before anything else.
	 */
	bool no_alloc_flags;
};

/*
 * A register-level problem: the register's name and what is wrong. From
 * a profile rule (struct vendor_model.check ...), the key it is about.
 */
struct vendor_err {
	char reg[32]; /* e.g. "cap_reg", "idr[5]"; "levels", "registers.efr" */
	char msg[256];
};

/* Which register carries a property, for messages: the first entry whose mask has it. */
struct vendor_prop_reg {
	unsigned int mask;   /* VP_* */
	uint16_t reg;        /* offset of the register (whose value a message shows) */
	bool model;          /* no register: the model itself decides */
};

/* Every power of two from 4 KiB up: the most page sizes any model may list. */
#define VENDOR_PGSIZES_ANY (~(UINT64_C(0x1000) - 1))

/*
 * What an IOMMU of the model can be at all, by its architecture: what a
 * simulated one (a sim profile) is checked against.
 */
struct vendor_limits {
	uint8_t in_min, in_max;   /* input (IOVA) width */
	uint8_t out_min, out_max; /* output address width */
	uint8_t levels;           /* table depths defined: bit n = n levels */
	/* the registers tell only whether the input width is above this; 0: exactly */
	uint8_t input_coarse;
	/* the registers hold the aperture, and the input width is its width */
	bool aperture_reg;
	uint64_t page_sizes; /* every size that may appear */
	uint64_t granules;   /* base pages a table may be built on, besides the
				    * smallest size */
};

/* A region the model's Linux driver reserves in every device's IOVA space. */
struct vendor_resv {
	uint64_t start, last; /* inclusive */
	uint32_t type;        /* IOASID_RESV_*; 0 ends a list */
};

/*
 * A register as a sim profile file gives it under "registers": a number,
 * an array of numbers, or a range {"start", "end"}.
 */
struct vendor_profile_reg {
	const char *key; /* the label of a raw field of the model's table */
	const char *ids; /* a 32-bit range: what it numbers, for messages */
};

struct vendor_model {
	const char *name;                 /* "vtd", "smmuv3", "amd", "virtio-iommu" */
	const struct cap_desc *cap;
	/* the properties the registers of @cap determine; -EINVAL for a reserved encoding */
	int (*derive)(const void *cap, struct vendor_props *p, struct vendor_err *e);
	/* rewrite, in a decoded @cap, every decoded value a property determines */
	void (*sync)(const struct vendor_props *p, void *cap);
	/* what a Linux paging domain gets on an IOMMU with the registers of @cap */
	void (*domain)(const void *cap, struct vendor_domain *dom);
	const struct vendor_prop_reg *prop_regs; /* ends with a VP_ALL entry */

	/* For sim profiles: what an IOMMU of the model may be, and its devices. */
	const struct vendor_limits *limits;
	const struct vendor_resv *resv;                /* what every device gets by default */
	const struct vendor_profile_reg *profile_regs; /* in file order; ends with a NULL key */
	/*
	 * The model's own rules for properties @p with the decoded registers
	 * @cap, after the limits: -EINVAL with e->reg the profile key at fault.
	 * NULL: none.
	 */
	int (*check)(const struct vendor_props *p, const void *cap, struct vendor_err *e);
	/* rules for a device's PCI address @bdf (requester ID @rid); e->reg "bdf" */
	int (*check_rid)(const void *cap, const char *bdf, uint16_t rid, struct vendor_err *e);
	/* whether devices can be told of reserved regions; e->reg "reserved" */
	int (*check_resv)(const void *cap, struct vendor_err *e);
};

extern const struct vendor_model vendor_vtd, vendor_smmuv3, vendor_amd, vendor_virtio_iommu;
extern const struct cap_desc vendor_vtd_cap, vendor_smmuv3_cap, vendor_amd_cap,
	vendor_virtio_iommu_cap;

/* The models, NULL-terminated. */
extern const struct vendor_model *const vendor_models[];

/* The model whose capability id is @id, or NULL. */
const struct vendor_model *vendor_by_cap(uint16_t id);

/*
 * vendor_decode() - fill the decoded members of a capability from its
 * registers, and zero its reserved bytes. Bits first, then numbers, since
 * a number may need a bit (VT-d's PASID size means nothing without
 * ECAP.PASID).
 */
void vendor_decode(const struct cap_desc *d, void *cap);

/*
 * vendor_encode() - write back into the registers of @cap every decoded
 * value that differs from @before (the same capability, decoded, before
 * the change), then decode @cap again.
 */
void vendor_encode(const struct cap_desc *d, const void *before, void *cap);

/*
 * vendor_sync() - rewrite the register bits that the properties @p
 * determine and keep the others (implementation bits of a template).
 * Registers are consistent with @p exactly when this leaves them unchanged.
 */
void vendor_sync(const struct vendor_model *m, const struct vendor_props *p, void *cap);

/* vendor_derive() - the properties the registers of @cap determine. */
int vendor_derive(const struct vendor_model *m, const void *cap, struct vendor_props *p,
		  struct vendor_err *e);

/* vendor_domain() - m->domain on the registers of @cap. */
void vendor_domain(const struct vendor_model *m, const void *cap, struct vendor_domain *dom);

/*
 * vendor_reg_name() - the name of the register at @reg, as profile files
 * spell it: "cap_reg", "idr[5]", "input_range.start"; with @whole, a
 * range is named as one ("input_range").
 */
const char *vendor_reg_name(const struct cap_desc *d, unsigned int reg, bool whole, char *buf,
			    size_t len);

/*
 * vendor_prop_reg() - the register that carries property @prop (one VP_*),
 * by name (NULL when the model itself decides it), and its value in @cap.
 */
const char *vendor_prop_reg(const struct vendor_model *m, unsigned int prop, const void *cap,
			    uint64_t *ret_value, char *buf, size_t len);

/*
 * vendor_regs_differ() - the first register whose raw value differs
 * between @a and @b, by name (NULL: none), and both values.
 */
const char *vendor_regs_differ(const struct vendor_model *m, const void *a, const void *b,
			       uint64_t *ret_va, uint64_t *ret_vb, char *buf, size_t len);

/*
 * vendor_profile_field() - the raw field a sim profile's register key @r
 * names (struct vendor_profile_reg.key).
 */
const struct cap_field *vendor_profile_field(const struct vendor_model *m,
					     const struct vendor_profile_reg *r);

/* vendor_field_bits() - the raw register bits of decoded field @key in @cap. */
uint64_t vendor_field_bits(const struct vendor_model *m, const char *key, const void *cap);

/* vendor_field_holds() - whether decoded field @key can take the value @v. */
bool vendor_field_holds(const struct vendor_model *m, const char *key, uint64_t v);

/* vendor_field_values() - "32, 36, 40" : every value decoded field @key can take. */
const char *vendor_field_values(const struct vendor_model *m, const char *key, char *buf,
				size_t len);

/*
 * How messages write page-size sets and table depths:
 * vendor_pgsizes_str() "4K,2M,1G"; vendor_pgsizes_desc() "0x40201000
 * (4K,2M,1G)", "0x0 (none)"; vendor_levels_str() "[3,4]".
 */
const char *vendor_pgsizes_str(uint64_t sizes, char *buf, size_t len);
const char *vendor_pgsizes_desc(uint64_t sizes, char *buf, size_t len);
const char *vendor_levels_str(uint8_t levels, char *buf, size_t len);

/* vendor_width_of() - the bits needed to write @v: the width whose top address is @v. */
unsigned int vendor_width_of(uint64_t v);

#endif /* IOASID_VENDOR_H */
