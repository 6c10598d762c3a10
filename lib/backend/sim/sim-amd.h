/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sim's AMD IOMMU model, nested side (docs/sim-formats.md, "AMD
 * nested"): a nested HWPT made from a guest's DTE translates a request
 * through the guest's GCR3 table (PASID -> guest CR3) and the guest's v2
 * (x86-64) page tables, all in guest memory, every guest table access
 * translated by the nest parent's v1 table; the guest-physical output is
 * then translated by the parent too.
 *
 * The guest stage is walked here through a reader of guest memory
 * (struct sim_amd_gmem), so that it can be driven by hand-built tables in
 * a test as well as by a nest parent's table.
 */
#ifndef IOASID_SIM_AMD_H
#define IOASID_SIM_AMD_H

#include "pgtable.h"
#include "vendor/amd.h"

/* How the guest stage reaches guest memory: 8-byte, 8-aligned accesses. */
struct sim_amd_gmem {
	/* Read the entry at guest-physical @gpa. */
	int (*read64)(void *opaque, uint64_t gpa, uint64_t *val);
	/* Atomically OR @bits into the entry at @gpa (A/D updates). */
	int (*or64)(void *opaque, uint64_t gpa, uint64_t bits);
	void *opaque;
};

/* Where a guest-stage translation stopped. */
enum sim_amd_fault {
	SIM_AMD_OK = 0,
	SIM_AMD_PASID_RANGE,  /* the PASID is beyond the GCR3 table's levels */
	SIM_AMD_GCR3_INVALID, /* a GCR3 table entry on the way has V clear */
	SIM_AMD_GCR3_READ,    /* a GCR3 table entry is not reachable through the parent */
	SIM_AMD_GUEST_PT,     /* the guest's v2 walk faulted: see .walk */
};

/* The outcome of sim_amd_guest_xlate(). */
struct sim_amd_xlate {
	bool guest;         /* translated by the guest's tables (else GPA = IOVA) */
	uint64_t gcr3;      /* the guest CR3 used (its table root), when @guest */
	uint64_t gpa;       /* the guest-physical output */
	uint64_t page_size; /* of the guest's leaf; 0 when !@guest */
	uint32_t perm;      /* SIM_PT_R/W/X/U the guest's tables grant (all when !@guest) */
	bool dirty;         /* the guest leaf's D is set (after this walk's update) */
	unsigned int reads; /* guest table entries fetched (GCR3 and v2) */
	enum sim_amd_fault fault;
	struct sim_pt_result walk; /* the v2 walk, when it ran */
};

/* No PASID on the request (IOASID_PASID_NONE). */
#define SIM_AMD_NO_PASID UINT32_MAX

/**
 * sim_amd_gcr3_lookup() - the guest CR3 of @pasid in the GCR3 table of @g.
 * @g: the nested domain's guest DTE fields.
 * @m: guest memory.
 * @pasid: the PASID.
 * @ret_cr3: the guest's v2 table root (bits 51:12 of the entry).
 * @ret_reads: entries fetched (added to).
 * @ret_err: the reader's errno on SIM_AMD_GCR3_READ, else 0.
 *
 * The table has @g->gcr3_levels levels of 512 8-byte entries; level n
 * (from the root, n = levels - 1 .. 0) is indexed by PASID bits
 * 9n + 8 : 9n; an entry is valid with bit 0 set and points at the next
 * table, or at the last level holds the guest CR3.
 * Return: SIM_AMD_OK or the fault.
 */
enum sim_amd_fault sim_amd_gcr3_lookup(const struct vendor_amd_gdte *g,
				       const struct sim_amd_gmem *m, uint32_t pasid,
				       uint64_t *ret_cr3, unsigned int *ret_reads, int *ret_err);

/**
 * sim_amd_guest_xlate() - the guest stage of a nested AMD translation.
 * @g: the nested domain's guest DTE fields.
 * @m: guest memory.
 * @pasid: the request's PASID, or SIM_AMD_NO_PASID.
 * @iova: the request's address.
 * @flags: the access (SIM_PT_R/W/X, SIM_PT_U for a user-mode request),
 *         and SIM_PT_WALK_SET_AD to set A/D in the guest's entries as the
 *         IOMMU does (leave it out for a look that must change nothing).
 * @x: the outcome.
 *
 * A request without PASID goes through PASID 0's guest table when the
 * DTE's GIOV is set, else it skips the guest stage (its address is the
 * guest-physical one). Return: 0; -ENOENT a fault (x->fault, x->walk);
 * -EACCES the guest's tables do not grant the access; the reader's error.
 */
int sim_amd_guest_xlate(const struct vendor_amd_gdte *g, const struct sim_amd_gmem *m,
			uint32_t pasid, uint64_t iova, unsigned int flags, struct sim_amd_xlate *x);

/*
 * Guest memory behind a nest parent: each access is translated by the
 * parent's v1 table (host memory), then made on the process memory it
 * leads to, guarded (the VMM may have unmapped it). Reads need IR, A/D
 * updates IW. With @set_ad (the parent tracks dirty pages: HA/HD) the
 * parent's walk records the access in its own A/D bits.
 */
struct sim_amd_parent {
	struct sim_pt_walker w;
	uint64_t root;
	unsigned int flags; /* SIM_PT_WALK_SET_AD or 0 */
	unsigned int reads; /* parent entries fetched so far */
};

/* Make @m read and update guest memory through @pt, as described above. */
void sim_amd_parent_gmem(struct sim_amd_parent *p, const struct sim_pt *pt, bool set_ad,
			 struct sim_amd_gmem *m);

/* What stopped @x, in words (for messages). */
const char *sim_amd_fault_name(const struct sim_amd_xlate *x);

#endif
