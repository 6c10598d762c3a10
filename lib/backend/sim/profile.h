/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Simulated IOMMU profiles: one IOMMU model plus its named devices.
 *
 * Private to the sim backend. A profile is a plain value: the backend loads
 * one per context (sim_profile_load() returns a fresh copy every time), then
 * owns it. Nothing here locks; the backend serialises hot add/remove with its
 * context lock, like every other mutation of the simulated machine.
 *
 * The generic fields (widths, levels, page sizes, PASID width, features) and
 * the vendor registers describe the same hardware twice. Every profile that
 * leaves this file has them in agreement: a loaded profile either gives raw
 * registers (the generic fields are decoded from them and must not contradict
 * what the file says) or gives fields (the registers are synthesized from
 * them). docs/profile-format.md has the JSON format; profile-private.h
 * says which file does what.
 */
#ifndef IOASID_SIM_PROFILE_H
#define IOASID_SIM_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vendor/vendor.h"

/*
 * Capacities. Fixed so a profile is one allocation and a device descriptor
 * can be copied by value; going past one is an error (-E2BIG) that names the
 * value, never a silent truncation.
 */
#define SIM_PROFILE_MAX_DEVICES	64
#define SIM_DEV_MAX_REGIONS	16
#define SIM_PROFILE_NAME_MAX	64	/* bytes, including the NUL */
#define SIM_DEV_NAME_MAX	32	/* bytes, including the NUL */
#define SIM_BDF_MAX		16	/* "dddd:bb:dd.f" + NUL fits */

/* PCIe PASIDs are 20 bits wide (PCIe 6.0 §6.20); no IOMMU reports more. */
#define SIM_PASID_WIDTH_MAX	20

enum sim_vendor {
	SIM_VENDOR_GENERIC = 0,	/* no vendor registers */
	SIM_VENDOR_VTD,		/* Intel VT-d */
	SIM_VENDOR_SMMUV3,	/* Arm SMMUv3 */
	SIM_VENDOR_AMD,		/* AMD-Vi */
	SIM_VENDOR_VIRTIO_IOMMU,	/* virtio-iommu (device ID 23) */
};

/* Same meanings as the kernel's enum iommu_resv_type. */
enum sim_resv_type {
	SIM_RESV_RESERVED = 0,		/* never mappable */
	SIM_RESV_MSI,			/* hardware MSI window (x86 0xfee00000) */
	SIM_RESV_SW_MSI,		/* software-managed MSI IOVA (Arm) */
	SIM_RESV_DIRECT,		/* must stay identity mapped (RMRR) */
	SIM_RESV_DIRECT_RELAXABLE,	/* identity map the device can live without */
};

struct sim_resv_region {
	uint64_t start;
	uint64_t last;			/* inclusive */
	enum sim_resv_type type;
};

/* One simulated endpoint. */
struct sim_dev_desc {
	char name[SIM_DEV_NAME_MAX];	/* "sim0"; [A-Za-z0-9_.-], no ':' or '/' */
	char bdf[SIM_BDF_MAX];		/* normalised "dddd:bb:dd.f", lower case */
	uint64_t page_sizes;		/* bitmap of mappable sizes, never 0 */
	uint8_t pasid_width;		/* 0 = no PASID */
	bool pri;			/* PCIe Page Request Interface */
	bool ats;			/* PCIe Address Translation Services */
	/*
	 * SMMUv3 only: the firmware's "dma-can-stall" (IORT named component
	 * flag, DT property, the HiSilicon quirk): a master whose faulting
	 * transactions the SMMU may stall (arm_smmu_probe_device())
	 */
	bool stall;
	unsigned int nr_regions;
	struct sim_resv_region regions[SIM_DEV_MAX_REGIONS];
};

struct sim_profile {
	char name[SIM_PROFILE_NAME_MAX];
	enum sim_vendor vendor;

	uint8_t input_width;		/* IOVA bits the IOMMU translates */
	uint8_t output_width;		/* physical (or IPA) address bits */
	uint8_t levels;			/* bit n set: n-level tables walkable (1..6) */
	uint64_t page_sizes;		/* every size the IOMMU can map */
	uint8_t pasid_width;		/* IOMMU-wide maximum, <= 20; 0 = none */
	bool nesting;			/* two-stage (nested) translation */
	bool dirty_tracking;		/* hardware dirty bits usable */
	bool pri;			/* can take page requests */
	bool ats;			/* serves ATS translation requests */
	bool scalable_mode;		/* VT-d only: scalable (not legacy) mode */
	bool caching_mode;		/* VT-d only: CM, not-present entries cached */
	uint32_t iotlb_size;		/* simulated IOTLB entries; 0 = no IOTLB */
	uint64_t aperture_start;	/* IOVA window a domain translates */
	uint64_t aperture_last;		/* inclusive */

	/*
	 * The vendor registers, in the capability struct of the model
	 * (lib/vendor/vendor.h): regs.vtd.cap_reg, regs.smmuv3.idr[],
	 * regs.amd.efr, regs.virtio.page_size_mask, ... Only the raw
	 * registers (and virtio's config) count; unused for GENERIC.
	 */
	union vendor_regs regs;

	unsigned int nr_devices;
	struct sim_dev_desc devices[SIM_PROFILE_MAX_DEVICES];
};

/**
 * sim_profile_load() - load a built-in profile or a JSON profile file
 * @name_or_path: a built-in name (no '/' and not ending in ".json"), else a
 *                file path
 * @out: on success, a new profile; free it with sim_profile_free()
 * @err: buffer for a message naming the file, key path and bad value; may
 *       be NULL
 * @errlen: size of @err
 *
 * Return: 0 or a negative errno: -ENOENT (no such file, unknown built-in),
 * -EINVAL (not JSON, wrong type, bad or inconsistent value, unknown key),
 * -E2BIG (more devices, regions or name bytes than the fixed capacity),
 * -ENOMEM, -EISDIR, or the errno of opening the file (-EACCES, ...).
 * jansson reports a few allocation failures inside its lexer as syntax
 * errors; those come back as -EINVAL.
 */
int sim_profile_load(const char *name_or_path, struct sim_profile **out,
		     char *err, size_t errlen);

/** sim_profile_free() - free a profile; NULL is fine. */
void sim_profile_free(struct sim_profile *p);

/** sim_profile_builtin_names() - NULL-terminated list; the first is the default. */
const char *const *sim_profile_builtin_names(void);

/**
 * sim_profile_check() - check that a profile is valid and self-consistent
 *
 * The same checks sim_profile_load() applies to every profile it returns:
 * value ranges, device rules, and registers that agree with the fields.
 *
 * Return: 0, -EINVAL or -E2BIG with a message in @err.
 */
int sim_profile_check(const struct sim_profile *p, char *err, size_t errlen);

/**
 * sim_profile_sync_registers() - rewrite the field-derived register bits
 *
 * Recomputes every register bit that a generic field determines (e.g. VT-d
 * MGAW from input_width) and keeps the others (e.g. VT-d fault-recording
 * offset). Call after changing fields of a loaded profile.
 */
void sim_profile_sync_registers(struct sim_profile *p);

/**
 * sim_profile_add_device() - hot-add a device, with the load-time rules
 * @desc: the device; an empty name becomes the first free "simN", an empty
 *        bdf the first free "0000:NN:00.0". The copy lands at
 *        p->devices[p->nr_devices - 1].
 *
 * Return: 0, -EINVAL (bad value), -EEXIST (name or BDF taken), -E2BIG
 * (already SIM_PROFILE_MAX_DEVICES devices, or too many regions). On error
 * the profile is unchanged.
 */
int sim_profile_add_device(struct sim_profile *p,
			   const struct sim_dev_desc *desc,
			   char *err, size_t errlen);

/**
 * sim_profile_remove_device() - hot-remove a device by name
 *
 * Later devices move down one slot (pointers into p->devices go stale).
 *
 * Return: 0 or -ENOENT.
 */
int sim_profile_remove_device(struct sim_profile *p, const char *name,
			      char *err, size_t errlen);

/** sim_profile_find_device() - the device called @name, or NULL. */
const struct sim_dev_desc *sim_profile_find_device(const struct sim_profile *p,
						   const char *name);

/**
 * sim_profile_to_json() - dump a profile in the profile-file format
 *
 * The result is itself a valid profile file (registers and fields both
 * given), so a dump can be edited and loaded back.
 *
 * Return: a new reference, or NULL when out of memory.
 */
json_t *sim_profile_to_json(const struct sim_profile *p);

/** sim_profile_model() - the vendor model of the profile's IOMMU; NULL for generic. */
const struct vendor_model *sim_profile_model(const struct sim_profile *p);

/**
 * sim_profile_domain() - what a Linux paging domain gets on the profile's
 * IOMMU, as its vendor model says (vendor_domain()); all 0 for generic.
 */
void sim_profile_domain(const struct sim_profile *p, struct vendor_domain *ret_dom);

/*
 * SMMUv3's IDR0.STALL_MODEL as Linux reads it (arm_smmu_device_hw_probe()):
 * 0 stall and terminate (FEAT_STALLS), 1 terminate only, 2 stall forced
 * (FEAT_STALL_FORCE and FEAT_STALLS), 3 reserved (neither). Other models:
 * SIM_STALL_NONE.
 */
enum {
	SIM_STALL_BOTH = 0,
	SIM_STALL_NONE = 1,
	SIM_STALL_FORCE = 2
};

/** sim_profile_stall_model() - the profile's SMMU stall model, SIM_STALL_NONE off SMMUv3. */
unsigned int sim_profile_stall_model(const struct sim_profile *p);

/**
 * sim_profile_dev_stalls() - whether Linux makes @d a stall-enabled master
 * on @p's IOMMU (master->stall_enabled): an SMMUv3 whose stall model is 0
 * and a device with dma-can-stall (@d->stall), or a stall-forced SMMUv3.
 */
bool sim_profile_dev_stalls(const struct sim_profile *p, const struct sim_dev_desc *d);

/** Names used in profile files: "vtd", "smmuv3", ..., "msi", "sw_msi", ... */
const char *sim_vendor_name(enum sim_vendor v);
const char *sim_resv_type_name(enum sim_resv_type t);

#endif
