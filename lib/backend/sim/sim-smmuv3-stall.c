/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which faults become page requests, by the profile's IOMMU.
 *
 * VT-d and AMD take PCIe page requests: a PRI device's translation fault
 * raises a group of requests (one per page, up to the group's size) with
 * the device's PRG index.
 *
 * Linux 7.2's arm-smmu-v3 takes recoverable faults only from stall-enabled
 * masters (master->stall_enabled, arm_smmu_probe_device(): IDR0.STALL_MODEL
 * 0 and the firmware's dma-can-stall, or STALL_MODEL 2). The SMMU holds the
 * faulting transaction and writes an event with Stall set and a stall tag;
 * arm_smmu_handle_event() makes it one IOMMU_FAULT_PAGE_REQ with LAST_PAGE
 * (a group of one) whose grpid is the STAG, PASID valid when SSV; the
 * response is CMD_RESUME (arm_smmu_page_response(): RETRY for SUCCESS,
 * ABORT otherwise). A PCIe PRI request reaches only arm_smmu_handle_ppr(),
 * which logs "unexpected PRI request received" and denies the group: no
 * page request, the DMA fails. A transaction that does not stall is
 * terminated, and its event goes to the vIOMMU's vEVENTQ only through a
 * vmaster, for a stage-1 fault (sim-viommu.c), else only to the log.
 *
 * Whether a nested HWPT's transaction stalls is the SMMUv3 vIOMMU model's
 * to say (the guest's CD.S and vSTE S1STALLD, the kernel's S2S): it sets
 * fi->vf.stall (sim-smmuv3.c). For a paging HWPT the kernel's own CD (S)
 * and STE (S2S) stall exactly for a stall-enabled master.
 */
#include "sim-private.h"
#include "core/fault-private.h"

bool sim_fault_recoverable(struct sim_ctx *sim, struct sim_dev *sd, const struct sim_fault_info *fi,
			   struct sim_recov *rv)
{
	bool stalled;

	if (sim->profile->vendor != SIM_VENDOR_SMMUV3) {
		if (!sd->dev->props.pri)
			return false;
		rv->max = FAULT_GROUP_MAX;
		rv->grpid = (uint16_t)(sd->next_grpid++ & 0x1ff); /* PCIe PRG index: 9 bits */
		/* a page request names a page */
		rv->exact = false;
		return true;
	}
	stalled = fi->hwpt && fi->hwpt->vi ? fi->vf.stall : sd->stall;
	if (!stalled)
		return false;
	rv->max = 1;
	rv->grpid = sim->next_stag++; /* EVTQ_1_STAG: 16 bits */
	rv->exact = true;             /* prm.addr = the event's InputAddr */
	return true;
}
