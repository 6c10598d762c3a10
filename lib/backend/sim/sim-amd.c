/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sim's AMD model, guest stage (sim-amd.h): the GCR3 table and the
 * guest's v2 tables, read from guest memory.
 *
 * The GCR3 table is what Linux's own driver builds for itself
 * (drivers/iommu/amd/iommu.c, __get_gcr3_pte() and update_gcr3()): 4 KiB
 * tables of 512 entries, GLX + 1 levels, indexed by 9 PASID bits each from
 * the top; an entry is valid with bit 0 (GCR3_VALID) and carries the next
 * table's, or at the bottom the guest CR3's, address in bits 51:12. The
 * other bits of an entry are ignored (the spec's GCR3 entry has no other
 * field the sim models). The guest CR3 is the root of x86-64 4- or 5-level
 * tables (the DTE's GuestPagingMode), walked by the sim's amd-v2 format.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "sim-amd.h"
#include "sim-guard.h"

enum sim_amd_fault sim_amd_gcr3_lookup(const struct vendor_amd_gdte *g,
				       const struct sim_amd_gmem *m, uint32_t pasid,
				       uint64_t *ret_cr3, unsigned int *ret_reads, int *ret_err)
{
	uint64_t table = g->gcr3_root;
	unsigned int l;

	*ret_err = 0;
	if (g->gcr3_levels < 1 || g->gcr3_levels > 3 || ((uint64_t)pasid >> (9 * g->gcr3_levels)))
		return SIM_AMD_PASID_RANGE;
	for (l = g->gcr3_levels; l-- > 0;) {
		uint64_t e;
		int err = m->read64(m->opaque, table + ((pasid >> (9 * l)) & 0x1ffu) * 8u, &e);

		if (err) {
			*ret_err = err;
			return SIM_AMD_GCR3_READ;
		}
		(*ret_reads)++;
		if (!(e & AMD_GCR3_VALID))
			return SIM_AMD_GCR3_INVALID;
		table = e & AMD_GCR3_ADDR;
	}
	*ret_cr3 = table;
	return SIM_AMD_OK;
}

/* The v2 walker's entry reads and A/D updates, through guest memory. */
static int gmem_read_entry(void *opaque, uint64_t table, unsigned int index, uint64_t *entry)
{
	const struct sim_amd_gmem *m = opaque;

	return m->read64(m->opaque, table + index * 8ull, entry);
}

static int gmem_set_bits(void *opaque, uint64_t table, unsigned int index, uint64_t bits)
{
	const struct sim_amd_gmem *m = opaque;

	return m->or64(m->opaque, table + index * 8ull, bits);
}

int sim_amd_guest_xlate(const struct vendor_amd_gdte *g, const struct sim_amd_gmem *m,
			uint32_t pasid, uint64_t iova, unsigned int flags, struct sim_amd_xlate *x)
{
	struct sim_pt_walker w = {
		.format = SIM_PT_AMD_V2,
		.levels = g->gpt_levels,
		.read_entry = gmem_read_entry,
		.set_bits = gmem_set_bits,
		.opaque = (void *)m,
	};
	int err;

	memset(x, 0, sizeof(*x));
	if (pasid == SIM_AMD_NO_PASID) {
		if (!g->giov) {
			/* no guest translation for untagged requests: GPA = IOVA */
			x->gpa = iova;
			x->perm = SIM_PT_PERM_MASK;
			return 0;
		}
		pasid = 0;
	}
	x->fault = sim_amd_gcr3_lookup(g, m, pasid, &x->gcr3, &x->reads, &err);
	if (x->fault != SIM_AMD_OK)
		return err ? err : -ENOENT;
	x->guest = true;
	err = sim_pt_walk(&w, x->gcr3, iova, flags, &x->walk);
	x->reads += x->walk.reads;
	if (err) {
		x->fault = SIM_AMD_GUEST_PT;
		return err;
	}
	x->gpa = x->walk.oa;
	x->page_size = x->walk.page_size;
	x->perm = x->walk.perm;
	x->dirty = x->walk.dirty;
	return 0;
}

/* ---- guest memory behind a nest parent ---- */

static int parent_host(struct sim_amd_parent *p, uint64_t gpa, unsigned int access, uint64_t *host)
{
	struct sim_pt_result r;
	int err = sim_pt_walk(&p->w, p->root, gpa, access | p->flags, &r);

	p->reads += r.reads;
	if (err)
		return err;
	*host = r.oa;
	return 0;
}

static int parent_read64(void *opaque, uint64_t gpa, uint64_t *val)
{
	uint64_t host, v;
	int err = parent_host(opaque, gpa, SIM_PT_R, &host);

	if (err)
		return err;
	err = sim_guard_load64((const uint64_t *)(uintptr_t)host, &v);
	if (!err)
		*val = le64toh(v);
	return err;
}

static int parent_or64(void *opaque, uint64_t gpa, uint64_t bits)
{
	uint64_t host;
	int err = parent_host(opaque, gpa, SIM_PT_W, &host);

	if (err)
		return err;
	return sim_guard_or64((uint64_t *)(uintptr_t)host, htole64(bits));
}

void sim_amd_parent_gmem(struct sim_amd_parent *p, const struct sim_pt *pt, bool set_ad,
			 struct sim_amd_gmem *m)
{
	memset(p, 0, sizeof(*p));
	sim_pt_walker_init(&p->w, pt);
	p->root = sim_pt_root(pt);
	p->flags = set_ad ? SIM_PT_WALK_SET_AD : 0;
	m->read64 = parent_read64;
	m->or64 = parent_or64;
	m->opaque = p;
}

const char *sim_amd_fault_name(const struct sim_amd_xlate *x)
{
	switch (x->fault) {
	case SIM_AMD_OK:
		return "no fault";
	case SIM_AMD_PASID_RANGE:
		return "PASID beyond the GCR3 table (GLX)";
	case SIM_AMD_GCR3_INVALID:
		return "GCR3 table entry not valid";
	case SIM_AMD_GCR3_READ:
		return "GCR3 table not reachable through the parent";
	case SIM_AMD_GUEST_PT:
		switch (x->walk.fault_reason) {
		case SIM_PT_FAULT_NOT_PRESENT:
			return "guest page table entry not present";
		case SIM_PT_FAULT_RESERVED_BIT:
			return "guest page table entry with a reserved bit set";
		case SIM_PT_FAULT_ADDRESS:
			return "address beyond the guest table's width";
		case SIM_PT_FAULT_PERM:
			return "guest page table denies the access";
		case SIM_PT_FAULT_READ:
			return "guest page table not reachable through the parent";
		default:
			return "guest page table fault";
		}
	}
	return "fault";
}
