// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The oracle on the sim: what the kernel's selftest asks its mock driver,
 * asked of the simulated IOMMU through its DMA engine (include/ioasid/sim.h).
 *
 * - A mapping is checked by a DMA read through the device: it must return
 *   the bytes of the process memory behind it (the mock compares PFNs).
 * - Dirty bits are planted by DMA writes through the device, one byte per
 *   page (the mock sets them in its page table directly).
 * - A page request is a DMA to an unmapped IOVA by a PRI-capable device
 *   (the mock injects one); the DMA waits for the answer, and iopf_done()
 *   ends it by answering what the device raises after the case's answer.
 * - A vIOMMU event is a DMA fault through the guest's stage 1 (SMMUv3).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cf.h"

struct sim_state {
	uint64_t handle;
	uint8_t byte;
};

/*
 * A write-only mapping (the selftest copies with WRITEABLE alone) cannot be
 * read by the device: write the complement of the bytes through it, see
 * them arrive at @va, and put the bytes back.
 */
static int check_by_write(struct cf_t *t, uint32_t dev, uint64_t iova, const void *va, size_t len,
			  uint8_t *tmp, size_t *done)
{
	size_t i;
	int err;

	for (i = 0; i < len; i++)
		tmp[i] = (uint8_t) ~((const uint8_t *)va)[i];
	err = ioasid_sim_dma_write(t->ctx, dev, IOASID_PASID_NONE, iova, tmp, len, done);
	for (i = 0; !err && i < len; i++)
		if (((const uint8_t *)va)[i] != tmp[i])
			err = -EIO;
	for (i = 0; i < *done; i++)
		tmp[i] = (uint8_t)~tmp[i];
	memcpy((void *)va, tmp, *done);
	return err;
}

static int sim_check_map(struct cf_t *t, uint32_t dev, uint64_t iova, const void *va, size_t len)
{
	size_t done = 0;
	uint8_t *tmp = malloc(len ? len : 1);
	int err;

	if (!tmp)
		return -ENOMEM;
	err = ioasid_sim_dma_read(t->ctx, dev, IOASID_PASID_NONE, iova, tmp, len, &done);
	if (err == -EACCES && !done)
		err = check_by_write(t, dev, iova, va, len, tmp, &done);
	else if (!err && memcmp(tmp, va, len))
		err = -EIO;
	if (err && t->env->verbose)
		printf("#   sim DMA read of [0x%llx, +0x%zx) by device %u: %s (%zu bytes done)\n",
		       X(iova), len, dev, ioasid_strerrno(err), done);
	free(tmp);
	return err;
}

static int sim_plant_dirty(struct cf_t *t, uint32_t dev, uint32_t hwpt, uint64_t iova, uint64_t len,
			   uint64_t pgsz, const uint64_t *bits, uint64_t *ret_nr)
{
	uint64_t n, nr = 0;
	uint8_t b = 0x5a;
	int err;

	for (n = 0; n < len / pgsz; n++) {
		if (!(bits[n / 64] >> (n % 64) & 1))
			continue;
		err = ioasid_sim_dma_write(t->ctx, dev, IOASID_PASID_NONE, iova + n * pgsz, &b, 1,
					   NULL);
		if (err)
			return err;
		nr++;
	}
	*ret_nr = nr;
	return 0;
}

static int sim_raise_iopf(struct cf_t *t, uint32_t dev, uint32_t pasid, uint64_t addr)
{
	struct sim_state *s = t->oracle_state;
	size_t done = 0;
	int err;

	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -ENOMEM;
		t->oracle_state = s;
	}
	err = ioasid_sim_dma_submit(t->ctx, dev, pasid, addr, &s->byte, 1, false, &s->handle, &done);
	return err == -EAGAIN ? 0 : err ? err : -EINVAL;
}

/* Answer INVALID whatever the retry raised, until the DMA ends. */
static void sim_iopf_done(struct cf_t *t, uint32_t queue)
{
	struct sim_state *s = t->oracle_state;
	struct ioasid_fault f[4];
	int i, err = -EAGAIN;

	for (i = 0; s && s->handle && i < 16 && err == -EAGAIN; i++) {
		uint32_t n = 4, k;

		err = ioasid_sim_dma_poll(t->ctx, s->handle, NULL);
		if (err != -EAGAIN)
			break;
		if (ioasid_fault_read(t->ctx, queue, f, &n))
			break;
		for (k = 0; k < n; k++)
			if (f[k].flags & IOASID_FAULT_F_LAST)
				ioasid_fault_respond(t->ctx, queue, f[k].cookie,
						     IOASID_FAULT_INVALID);
	}
	if (s)
		s->handle = 0;
}

/*
 * A vIOMMU event from @dev: a DMA read through the guest's stage 1 of the
 * fixture (CF_VIOMMU_SMMUV3), at an address its empty table leaves
 * unmapped. The SMMU faults (F_TRANSLATION, recorded: the CD's R bit) and
 * reports it on the vIOMMU's vEVENTQ with the device's vSID, as the test
 * driver's TRIGGER_VEVENT reports its own record.
 */
static int sim_trigger_vevent(struct cf_t *t, uint32_t dev)
{
	uint8_t b;
	int err = ioasid_sim_dma_read(t->ctx, dev, IOASID_PASID_NONE, CF_S1_UNMAPPED_IOVA, &b, 1,
				      NULL);

	return err == -EFAULT ? 0 : err ? err : -EINVAL;
}

static void sim_end(struct cf_t *t)
{
	free(t->oracle_state);
	t->oracle_state = NULL;
}

const struct cf_oracle cf_oracle = {
	.name = "sim DMA",
	.check_map = sim_check_map,
	.plant_dirty = sim_plant_dirty,
	.raise_iopf = sim_raise_iopf,
	.iopf_done = sim_iopf_done,
	.end = sim_end,
	.nesting = true,
	.iopf = true,
	.dirty = true,
	.huge_iopte = true, /* the sim maps with the largest page that fits (docs/design.md) */
	.trigger_vevent = sim_trigger_vevent,
	/* the SMMUv3 model's vIOMMU (iommufd-mock-smmuv3.json); no test driver's extras */
	.viommu = CF_VIOMMU_SMMUV3,
};
