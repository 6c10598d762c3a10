/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A guest's SMMUv3 driver for one device, emulated end to end on the sim
 * (docs/viommu.md, docs/sim-formats.md "SMMUv3 nesting through a vIOMMU").
 *
 *   smmuv3-guest [PROFILE]      (default: the built-in "smmuv3")
 *
 * Two roles in one program, as in a VMM with an accelerated vSMMUv3:
 *
 *  - the VMM: guest RAM mapped in an IOAS at guest-physical GUEST_PA, a
 *    nest-parent HWPT (stage 2), a vIOMMU, the device's vSID as a vDEVICE,
 *    a vEVENTQ; it turns the guest's STE writes into nested HWPTs and its
 *    command-queue entries into ioasid_viommu_invalidate(), and forwards
 *    vEVENTQ records into the guest's event queue;
 *  - the guest driver: it writes a CD table and stage-1 translation tables
 *    (Arm VMSAv8-64, 4 KiB granule) into its RAM as descriptor bytes, an STE
 *    pointing at the CD table, and CMDQ commands; the device (the sim's
 *    DMA engine) translates through all of it.
 *
 * The steps: DMA through the guest's tables; a fault at an unmapped
 * address read back as an F_TRANSLATION event with the guest's StreamID;
 * a page moved without CMD_TLBI_NH_VA, caught by the sim's stale detector,
 * then fixed by the command. Exit status 0 when every check held. The
 * descriptor bits are the architecture's (IHI 0070, Arm ARM D8.3), spelled
 * out here as a guest driver would have them.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <ioasid/ioasid.h>

#define MB (1ull << 20)
#define PG 4096ull
#define GUEST_PA 0x40000000ull /* guest RAM, as the guest sees it */
#define GUEST_RAM (4 * MB)
#define VSID 0x10u /* the device's StreamID in the guest */
#define ASID 1u
#define DEV_VA 0x200000ull /* the address the guest gives its device */

/* stage-1 descriptors */
#define D_TABLE 0x3ull       /* table (levels 0-2) or page (level 3) */
#define D_AF (1ull << 10)    /* access flag */
#define D_AP_EL0 (1ull << 6) /* AP[1]: unprivileged access */
#define D_PAGE_RW (D_TABLE | D_AF | D_AP_EL0)
/* the Context Descriptor: T0SZ 16 (48-bit VA), 4K, IPS 48, AA64, R, A, V, ASID */
#define CD0                                                                       \
	(16ull | 1ull << 31 | 5ull << 32 | 1ull << 41 | 1ull << 45 | 1ull << 46 | \
	 (uint64_t)ASID << 48)
/* the STE: V, Config = stage-1 translate (5), linear CD table, one CD */
#define STE0_S1 (1ull | 5ull << 1)
/* commands and events */
#define CMD_TLBI_NH_VA 0x12ull
#define CMD_CFGI_CD 0x05ull
#define EVT_F_TRANSLATION 0x10u

/* Guest physical layout: CD table, four table levels, two data pages. */
#define PA_CD (GUEST_PA)
#define PA_TT(n) (GUEST_PA + (1 + (n)) * PG)
#define PA_DATA (GUEST_PA + 0x100000)
#define PA_DATA2 (GUEST_PA + 0x101000)

struct vmm {
	struct ioasid_ctx *ctx;
	uint32_t ioas, dev, parent, viommu, vdev, evq, nested;
	uint8_t *ram;
};

static int fail(const char *what, int err)
{
	fprintf(stderr, "smmuv3-guest: %s: %s (%s)\n", what, ioasid_strerrno(err),
		ioasid_last_errmsg());
	return 1;
}

static uint64_t *gpa(struct vmm *v, uint64_t pa)
{
	return (uint64_t *)(v->ram + (pa - GUEST_PA));
}

/* ---- the VMM ---- */

static int vmm_setup(struct vmm *v, const char *profile)
{
	struct ioasid_hwpt_opts po = { .sz = sizeof(po), .flags = IOASID_HWPT_NEST_PARENT };
	struct ioasid_viommu_opts vo = { .sz = sizeof(vo), .type = IOASID_VIOMMU_ARM_SMMUV3 };
	struct ioasid_veventq_opts qo = { .sz = sizeof(qo),
					  .type = IOASID_VEVENTQ_ARM_SMMUV3,
					  .depth = 64 };
	char spec[256];
	uint64_t iova = GUEST_PA;
	int err;

	snprintf(spec, sizeof(spec), "sim:%s", profile);
	err = ioasid_ctx_open(spec, NULL, &v->ctx);
	if (err)
		return fail("open", err);
	v->ram = mmap(NULL, GUEST_RAM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v->ram == MAP_FAILED)
		return fail("guest RAM", -ENOMEM);
	memset(v->ram, 0, GUEST_RAM);
	if ((err = ioasid_ioas_alloc(v->ctx, &v->ioas)) ||
	    (err = ioasid_dev_bind(v->ctx, "sim0", &v->dev)) ||
	    (err = ioasid_ioas_map(v->ctx, v->ioas, v->ram, GUEST_RAM,
				   IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA,
				   &iova)) ||
	    (err = ioasid_hwpt_alloc(v->ctx, v->dev, v->ioas, &po, &v->parent)) ||
	    (err = ioasid_viommu_alloc(v->ctx, v->dev, v->parent, &vo, &v->viommu)) ||
	    (err = ioasid_vdevice_alloc(v->ctx, v->viommu, v->dev, VSID, &v->vdev)) ||
	    (err = ioasid_veventq_alloc(v->ctx, v->viommu, &qo, &v->evq)))
		return fail("VMM setup", err);
	return 0;
}

/* The guest wrote STE @vsid: make it a nested HWPT and install it. */
static int vmm_ste_written(struct vmm *v, uint32_t vsid, uint64_t ste0, uint64_t ste1)
{
	struct ioasid_hwpt_arm_smmuv3 d = { .ste = { htole64(ste0), htole64(ste1) } };
	struct ioasid_hwpt_opts o = { .sz = sizeof(o),
				      .type = IOASID_HWPT_NESTED_ARM_SMMUV3,
				      .data = &d,
				      .data_len = sizeof(d) };
	uint32_t dev, vdev, h;
	int err;

	err = ioasid_vdevice_find(v->ctx, v->viommu, vsid, &vdev, &dev);
	if (!err)
		err = ioasid_hwpt_alloc(v->ctx, dev, v->viommu, &o, &h);
	if (!err)
		err = v->nested ? ioasid_dev_replace(v->ctx, dev, IOASID_PASID_NONE, h, NULL) :
				  ioasid_dev_attach(v->ctx, dev, IOASID_PASID_NONE, h, NULL);
	if (err)
		return fail("installing the guest's STE", err);
	if (v->nested)
		ioasid_hwpt_destroy(v->ctx, v->nested);
	v->nested = h;
	return 0;
}

/* The guest's command queue had @n commands: forward them, raw. */
static int vmm_cmdq(struct vmm *v, const struct ioasid_smmuv3_cmd *cmds, uint32_t n)
{
	uint32_t done = n;
	int err = ioasid_viommu_invalidate(v->ctx, v->viommu, IOASID_VIOMMU_INV_ARM_SMMUV3, cmds,
					   sizeof(*cmds), &done);

	/* a real VMM would set CMDQ_CONS to @done and raise CERROR_ILL on an error */
	if (err)
		return fail("forwarding the guest's commands", err);
	return 0;
}

/* Move what the vEVENTQ holds into the guest's event queue: here, print and count. */
static int vmm_events(struct vmm *v, uint32_t want_id, uint64_t want_addr)
{
	struct ioasid_vevent ev[8];
	uint32_t n = 0, i, found = 0;
	int err = ioasid_veventq_read(v->ctx, v->evq, ev, 8, &n);

	if (err)
		return fail("reading the vEVENTQ", err);
	for (i = 0; i < n; i++) {
		uint64_t w[4];

		if (ev[i].flags & IOASID_VEVENT_LOST_EVENTS) {
			printf("  vEVENTQ overflowed (sequence %u): the guest gets EVTQ overflow\n",
			       ev[i].sequence);
			continue;
		}
		memcpy(w, ev[i].data, sizeof(w));
		printf("  event 0x%02x, StreamID 0x%x, address 0x%llx (sequence %u)\n",
		       (unsigned int)(le64toh(w[0]) & 0xff), (unsigned int)(le64toh(w[0]) >> 32),
		       (unsigned long long)le64toh(w[2]), ev[i].sequence);
		found += (le64toh(w[0]) & 0xff) == want_id && (le64toh(w[0]) >> 32) == VSID &&
			 le64toh(w[2]) == want_addr;
	}
	if (found != 1) {
		fprintf(stderr, "smmuv3-guest: expected one event 0x%x at 0x%llx\n", want_id,
			(unsigned long long)want_addr);
		return 1;
	}
	return 0;
}

/* ---- the guest driver ---- */

static void guest_map(struct vmm *v, uint64_t va, uint64_t pa)
{
	/* DEV_VA: L0 index 0, L1 index 0, L2 index 1, L3 index (va >> 12) & 511 */
	gpa(v, PA_TT(0))[0] = htole64(PA_TT(1) | D_TABLE);
	gpa(v, PA_TT(1))[0] = htole64(PA_TT(2) | D_TABLE);
	gpa(v, PA_TT(2))[(va >> 21) & 511] = htole64(PA_TT(3) | D_TABLE);
	gpa(v, PA_TT(3))[(va >> 12) & 511] = htole64(pa | D_PAGE_RW);
}

static struct ioasid_smmuv3_cmd tlbi_va(uint64_t va)
{
	struct ioasid_smmuv3_cmd c = { .cmd = { htole64(CMD_TLBI_NH_VA | (uint64_t)ASID << 48),
						htole64(va | 1) } };
	return c;
}

static int guest_driver(struct vmm *v)
{
	struct ioasid_smmuv3_cmd c[2] = {
		{ .cmd = { htole64(CMD_CFGI_CD | (uint64_t)VSID << 32), htole64(1) } },
	};
	struct ioasid_sim_stale_event st[4];
	uint32_t nst = 4;
	char buf[32] = "";
	size_t done;
	int err;

	/* probe: CD 0, stage-1 tables, the STE; CFGI_CD as a driver issues it */
	gpa(v, PA_CD)[0] = htole64(CD0);
	gpa(v, PA_CD)[1] = htole64(PA_TT(0));
	guest_map(v, DEV_VA, PA_DATA);
	strcpy((char *)v->ram + (PA_DATA - GUEST_PA), "hello from guest RAM");
	if (vmm_ste_written(v, VSID, STE0_S1 | PA_CD, 0) || vmm_cmdq(v, c, 1))
		return 1;

	/* the device reads through stage 1 and stage 2 */
	err = ioasid_sim_dma_read(v->ctx, v->dev, IOASID_PASID_NONE, DEV_VA, buf, 21, &done);
	if (err)
		return fail("device DMA", err);
	printf("device read at 0x%llx: \"%s\"\n", DEV_VA, buf);
	if (strcmp(buf, "hello from guest RAM"))
		return 1;

	/* a fault: an address the guest never mapped */
	err = ioasid_sim_dma_read(v->ctx, v->dev, IOASID_PASID_NONE, DEV_VA + 0x5000, buf, 4, &done);
	printf("device read at 0x%llx: %s\n", DEV_VA + 0x5000, ioasid_strerrno(err));
	if (err != -EFAULT || vmm_events(v, EVT_F_TRANSLATION, DEV_VA + 0x5000))
		return 1;

	/* a buggy guest: it moves the page and forgets CMD_TLBI_NH_VA */
	strcpy((char *)v->ram + (PA_DATA2 - GUEST_PA), "the new page");
	guest_map(v, DEV_VA, PA_DATA2);
	ioasid_sim_dma_read(v->ctx, v->dev, IOASID_PASID_NONE, DEV_VA, buf, 13, &done);
	err = ioasid_sim_stale_events(v->ctx, st, &nst);
	if (err || nst != 1 || st[0].cached_gpa != PA_DATA || st[0].current_gpa != PA_DATA2)
		return fail("the stale entry was not caught", err ? err : -EINVAL);
	printf("forgot the TLBI: the device still read \"%.12s\"; stale detector: cached 0x%llx, tables 0x%llx\n",
	       buf, (unsigned long long)st[0].cached_gpa, (unsigned long long)st[0].current_gpa);
	/* the fix */
	c[0] = tlbi_va(DEV_VA);
	if (vmm_cmdq(v, c, 1))
		return 1;
	err = ioasid_sim_dma_read(v->ctx, v->dev, IOASID_PASID_NONE, DEV_VA, buf, 13, &done);
	if (err)
		return fail("device DMA after the TLBI", err);
	printf("after CMD_TLBI_NH_VA: \"%s\"\n", buf);
	return strcmp(buf, "the new page") != 0;
}

int main(int argc, char **argv)
{
	struct vmm v = { 0 };
	int r;

	r = vmm_setup(&v, argc > 1 ? argv[1] : "smmuv3");
	if (!r)
		r = guest_driver(&v);
	ioasid_ctx_close(v.ctx);
	if (v.ram && v.ram != MAP_FAILED)
		munmap(v.ram, GUEST_RAM);
	printf("smmuv3-guest: %s\n", r ? "FAILED" : "all checks held");
	return r ? 1 : 0;
}
