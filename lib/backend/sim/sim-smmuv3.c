/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sim's SMMUv3 vIOMMU model (issue #13): what Linux's
 * arm-smmu-v3-iommufd.c lets a VMM do, and what an SMMUv3 does with it.
 *
 *  - vIOMMU: IOMMU_VIOMMU_TYPE_ARM_SMMUV3 on a nest parent (a stage-2
 *    Arm table, lib/vendor/smmuv3.c's domain rules), on an SMMU with
 *    stages 1 and 2 that is coherent or has S2FWB, as
 *    arm_smmu_get_viommu_size() requires. Its VMID is the parent's.
 *  - vDEVICE: the guest's StreamID (vSID) of a device.
 *  - nested HWPT: the guest's vSTE (IOMMU_HWPT_DATA_ARM_SMMUV3), checked
 *    as arm_smmu_validate_vste() checks it: V = 0 is an abort STE; any bit
 *    beyond the nesting-allowed ones, a Config other than abort, bypass
 *    and stage-1 translate, or an EATS other than 0/1 is -EIO.
 *  - translation: Config bypass is stage 2 only; stage-1 translate finds
 *    the CD of the request's SubstreamID in the guest's CD table (linear
 *    or 2-level, S1FMT 0-2), then walks the guest's stage-1 tables (Arm
 *    VMSAv8-64 in the CD.TG0 granule IDR5 offers, pgtable-arm.c); the CD
 *    and every table entry are read through stage 2, and so is the output.
 *  - caches: the TLB holds combined translations tagged (VMID, ASID)
 *    (global leaves under a sub-tag every ASID matches, stage-2-only ones
 *    under a sub-tag no ASID has), the CD cache holds
 *    CDs by (device, SSID), the ATC (ATS devices with EATS = 1) holds
 *    translations by (VMID, SSID); the STE cache is the context cache,
 *    refreshed by every attach (the kernel's CFGI_STE), which also drops
 *    the device's CDs. Only the guest's commands drop the rest, so a guest
 *    that forgets one keeps translating through the stale entry, which the
 *    stale detector (sim-dma-translate.c) records.
 *  - invalidation (sim-smmuv3-cmdq.c): the raw CMDQ commands
 *    arm_vsmmu_cache_invalidate() takes, with its handled count (batches
 *    of 63, a refused command leaves the commands of its batch before it
 *    unissued).
 *  - events: stage-1 faults and configuration errors become event records
 *    (struct ioasid_vevent_smmuv3) with the guest's StreamID on the
 *    vIOMMU's vEVENTQ; stage-2 faults are the host's (the kernel reports
 *    an event with S2 set to the host, not to the VM).
 *
 * docs/sim-formats.md lists the fields honoured and ignored.
 */
#include <stdarg.h>
#include <string.h>

#include "sim-viommu.h"
#include "sim-smmuv3.h"

/* Per nested HWPT: the vSTE as the kernel keeps it (EATS taken out). */
struct vste {
	uint64_t ste[2];
	unsigned int cfg; /* SMMU_STE_CFG_*: abort for V = 0 */
	bool ats;         /* EATS was 1 on a stage-1 STE: ATS stays on */
};

/* A CD, decoded. */
struct cd {
	uint64_t raw[2];
	uint64_t ttb;
	unsigned int in_bits, oa_bits;
	unsigned int levels;   /* our level of the initial lookup: 4 (Arm 0) .. 1 (Arm 3) */
	unsigned int pg_shift; /* the TG0 granule: 12, 14 or 16 */
	enum sim_pt_format fmt;
	uint16_t asid;
	bool epd0, ha, hd, record;
	bool stall; /* S: a fault stalls (where the STE and the SMMU let it) */
};

/* Where a translation stopped, before it becomes a message and a record. */
struct smmu_fault {
	uint32_t id;  /* SMMU_EVT_* */
	uint32_t cls; /* SMMU_EVT_CLASS_* */
	bool s2;      /* stage 2 found it: the host's */
	bool record;  /* the guest's structures ask for a record */
	bool cd_stall; /* a stage-1 fault under a CD with S set */
	uint64_t ipa; /* s2: the intermediate address */
	uint64_t fetch;
	unsigned int level;
	int err;
	char why[160];
};

/* The resolved configuration of one request. */
struct smmu_cfg {
	bool s2only;
	uint32_t ssid; /* the CD used */
	struct cd cd;
};

static void sfault(struct smmu_fault *f, uint32_t id, uint32_t cls, int err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void sfault(struct smmu_fault *f, uint32_t id, uint32_t cls, int err, const char *fmt, ...)
{
	va_list ap;

	f->id = id;
	f->cls = cls;
	f->err = err;
	f->record = true;
	va_start(ap, fmt);
	vsnprintf(f->why, sizeof(f->why), fmt, ap);
	va_end(ap);
}

static const char *evt_name(uint32_t id)
{
	switch (id) {
	case SMMU_EVT_C_BAD_STE:
		return "C_BAD_STE";
	case SMMU_EVT_F_STREAM_DISABLED:
		return "F_STREAM_DISABLED";
	case SMMU_EVT_C_BAD_SUBSTREAMID:
		return "C_BAD_SUBSTREAMID";
	case SMMU_EVT_F_CD_FETCH:
		return "F_CD_FETCH";
	case SMMU_EVT_C_BAD_CD:
		return "C_BAD_CD";
	case SMMU_EVT_F_WALK_EABT:
		return "F_WALK_EABT";
	case SMMU_EVT_F_TRANSLATION:
		return "F_TRANSLATION";
	case SMMU_EVT_F_ADDR_SIZE:
		return "F_ADDR_SIZE";
	case SMMU_EVT_F_ACCESS:
		return "F_ACCESS";
	case SMMU_EVT_F_PERMISSION:
		return "F_PERMISSION";
	default:
		return "event";
	}
}

/* ---- vIOMMU, vDEVICE ---- */

/* The profile's ID registers, decoded (a profile keeps the raw ones). */
static struct ioasid_cap_smmuv3 smmu_regs(struct ioasid_ctx *ctx)
{
	struct ioasid_cap_smmuv3 regs = ((struct sim_ctx *)ctx->be)->profile->regs.smmuv3;

	vendor_decode(&vendor_smmuv3_cap, &regs);
	return regs;
}

/* arm_smmu_get_viommu_size(): the type, nesting, coherency. */
static int smmu_viommu_check(struct ioasid_ctx *ctx, struct ioasid_dev *dev, uint32_t type)
{
	const struct ioasid_cap_smmuv3 c = smmu_regs(ctx);

	(void)dev;
	if (!(c.bits & IOASID_SMMUV3_S1P) || !(c.bits & IOASID_SMMUV3_S2P))
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "the SMMU has no nesting (IDR0.S1P and S2P both needed; idr[0] 0x%08x)",
				  c.idr[0]);
	if (!(c.bits & IOASID_SMMUV3_COHACC) && !(c.bits & IOASID_SMMUV3_FWB))
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "the SMMU is neither coherent (IDR0.COHACC) nor has S2FWB (IDR3.FWB): Linux gives it no vIOMMU");
	if (type != IOASID_VIOMMU_ARM_SMMUV3)
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "vIOMMU type 0x%x: an SMMUv3 without an implementation's extension (Tegra241 CMDQV) has only IOMMU_VIOMMU_TYPE_ARM_SMMUV3 (1)",
				  type);
	return 0;
}

static int smmu_viommu_init(struct ioasid_ctx *ctx, struct sim_viommu *sv, struct ioasid_dev *dev,
			    void *data, uint32_t data_len)
{
	struct vsmmu *vs;

	/* the driver ignores the data of a plain SMMUv3 vIOMMU */
	(void)data;
	(void)data_len;
	(void)dev;
	vs = ioasid_calloc(1, sizeof(*vs));
	if (!vs)
		return ioasid_err(ctx, -ENOMEM, "out of memory for an SMMUv3 vIOMMU");
	vs->regs_copy = smmu_regs(ctx);
	vs->regs = &vs->regs_copy;
	vs->asid_mask = (vs->regs->bits & IOASID_SMMUV3_ASID16) ? 0xffff : 0xff;
	sv->priv = vs;
	return 0;
}

static void smmu_viommu_fini(struct sim_viommu *sv)
{
	ioasid_free(sv->priv);
	sv->priv = NULL;
}

/* ---- nested HWPTs: the vSTE ---- */

/* arm_smmu_validate_vste(): 0, or -EIO (reserved for invalid STE data). */
static int vste_validate(struct ioasid_ctx *ctx, struct vste *v)
{
	uint64_t bad0 = v->ste[0] & ~SMMU_STE0_NESTING_ALLOWED;
	uint64_t bad1 = v->ste[1] & ~SMMU_STE1_NESTING_ALLOWED;
	unsigned int eats;

	if (!(v->ste[0] & SMMU_STE0_V)) {
		/* a non-valid STE: the kernel zeroes it and installs an abort STE */
		memset(v->ste, 0, sizeof(v->ste));
		v->cfg = SMMU_STE_CFG_ABORT;
		return 0;
	}
	if (bad0 || bad1)
		return ioasid_err(ctx, -EIO,
				  "vSTE word %d sets bits 0x%016llx a guest may not set (allowed: V, Config, S1Fmt, S1ContextPtr, S1CDMax; S1DSS, S1CIR/COR/CSH, S1STALLD, EATS)",
				  bad0 ? 0 : 1, X(bad0 ? bad0 : bad1));
	v->cfg = (unsigned int)SMMU_GET(v->ste[0], SMMU_STE0_CFG_H, SMMU_STE0_CFG_L);
	if (v->cfg != SMMU_STE_CFG_ABORT && v->cfg != SMMU_STE_CFG_BYPASS &&
	    v->cfg != SMMU_STE_CFG_S1_TRANS)
		return ioasid_err(ctx, -EIO,
				  "vSTE Config %u: a guest STE is abort (0), bypass (4) or stage-1 translate (5)",
				  v->cfg);
	eats = (unsigned int)SMMU_GET(v->ste[1], SMMU_STE1_EATS_H, SMMU_STE1_EATS_L);
	v->ste[1] &= ~SMMU_MASK(SMMU_STE1_EATS_H, SMMU_STE1_EATS_L);
	if (eats != SMMU_EATS_ABT && eats != SMMU_EATS_TRANS)
		return ioasid_err(ctx, -EIO,
				  "vSTE EATS %u: only 0 (no ATS) and 1 (full ATS) are supported",
				  eats);
	v->ats = v->cfg == SMMU_STE_CFG_S1_TRANS && eats == SMMU_EATS_TRANS;
	return 0;
}

static int smmu_nested_alloc(struct ioasid_ctx *ctx, struct sim_viommu *sv, struct ioasid_hwpt *h,
			     struct sim_hwpt *sh)
{
	struct vste *v;
	uint32_t i;
	int err;

	(void)sv;
	/* arm_vsmmu_alloc_domain_nested(): flags (FAULT_ID_VALID is iommufd's) */
	if (h->flags & IOASID_HWPT_PASID)
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "an SMMUv3 nested HWPT takes no IOMMU_HWPT_ALLOC_PASID: its substreams are the guest's CD table");
	/* iommu_copy_struct_from_user(): the type, the length, a zero tail */
	if (h->type != IOASID_HWPT_NESTED_ARM_SMMUV3)
		return ioasid_err(ctx, -EINVAL,
				  "nested HWPT data type %u on an SMMUv3 vIOMMU: it takes IOMMU_HWPT_DATA_ARM_SMMUV3 (%u)",
				  h->type, IOASID_HWPT_NESTED_ARM_SMMUV3);
	if (h->vdata_len < SMMU_VSTE_LEN)
		return ioasid_err(ctx, -EINVAL, "vSTE data of %u bytes: the vSTE is %u bytes",
				  h->vdata_len, SMMU_VSTE_LEN);
	for (i = SMMU_VSTE_LEN; i < h->vdata_len; i++)
		if (h->vdata[i])
			return ioasid_err(ctx, -E2BIG,
					  "vSTE data of %u bytes: byte %u past the %u-byte vSTE is not zero",
					  h->vdata_len, i, SMMU_VSTE_LEN);
	v = ioasid_calloc(1, sizeof(*v));
	if (!v)
		return ioasid_err(ctx, -ENOMEM, "out of memory for a vSTE");
	memcpy(v->ste, h->vdata, sizeof(v->ste));
	v->ste[0] = le64toh(v->ste[0]);
	v->ste[1] = le64toh(v->ste[1]);
	err = vste_validate(ctx, v);
	if (err) {
		ioasid_free(v);
		return err;
	}
	sh->vpriv = v;
	sh->levels = 0;
	return 0;
}

static void smmu_nested_free(struct sim_hwpt *sh)
{
	ioasid_free(sh->vpriv);
}

/* arm_smmu_attach_dev_nested() and arm_smmu_attach_prepare_vmaster(). */
static int smmu_attach_check(struct ioasid_ctx *ctx, struct sim_viommu *sv, struct sim_dev *sd,
			     uint32_t pasid, struct sim_hwpt *sh)
{
	const struct vste *v = sh->vpriv;
	uint32_t i;

	if (pasid != IOASID_PASID_NONE)
		return ioasid_err(ctx, -EOPNOTSUPP,
				  "an SMMUv3 nested HWPT is attached to a device's stream, not to PASID %u",
				  pasid);
	for (i = 0; i < sd->nr_routes; i++)
		if (sd->routes[i].pasid != IOASID_PASID_NONE)
			return ioasid_err(ctx, -EBUSY,
					  "%s has PASID %u attached: its substreams are in use",
					  sd->dev->name, sd->routes[i].pasid);
	if (v->cfg == SMMU_STE_CFG_S1_TRANS && !sim_viommu_vdev_of(sv, sd))
		return ioasid_err(ctx, -ENOENT,
				  "%s has no vDEVICE on vIOMMU %u: a stage-1 vSTE needs its vSID (for CD and ATC invalidations and events) before the attach",
				  sd->dev->name, sv->v->obj.id);
	return 0;
}

/* ---- the CD table in guest memory ---- */

static struct cd_entry *cd_slot(struct vsmmu *vs, uint32_t dev, uint32_t ssid)
{
	return &vs->cds[(dev * 31u + ssid) % CD_CACHE];
}

/* A stage-2 fault on an access of class @cls at @ipa: the host's. */
static void s2_fault(struct smmu_fault *f, const struct sim_pt_result *r, int err, uint32_t cls,
		     uint64_t ipa)
{
	uint32_t id = r->fault_reason == SIM_PT_FAULT_PERM      ? SMMU_EVT_F_PERMISSION :
		      r->fault_reason == SIM_PT_FAULT_ACCESS    ? SMMU_EVT_F_ACCESS :
		      r->fault_reason == SIM_PT_FAULT_ADDR_SIZE ? SMMU_EVT_F_ADDR_SIZE :
								  SMMU_EVT_F_TRANSLATION;

	if (err == -EFAULT) {
		sfault(f, cls == SMMU_EVT_CLASS_CD ? SMMU_EVT_F_CD_FETCH : SMMU_EVT_F_WALK_EABT,
		       cls, -EFAULT, "guest memory at IPA 0x%llx is gone from the process", X(ipa));
		f->fetch = ipa;
	} else {
		sfault(f, id, cls, err, "stage 2 refuses IPA 0x%llx (%s)", X(ipa),
		       cls == SMMU_EVT_CLASS_CD ? "a CD fetch" :
		       cls == SMMU_EVT_CLASS_TT ? "a stage-1 table fetch" :
						  "the stage-1 output");
		f->ipa = ipa;
	}
	f->s2 = true;
	f->level = r->fault_level;
}

/* Read the raw CD of @ssid from the guest's CD table. */
static int cd_fetch(const struct sim_viommu *sv, const struct vste *v, uint32_t ssid,
		    uint64_t raw[2], struct smmu_fault *f)
{
	const uint64_t base = v->ste[0] & SMMU_STE0_CTXPTR_MASK;
	const unsigned int fmt = (unsigned int)SMMU_GET(v->ste[0], SMMU_STE0_S1FMT_H,
							SMMU_STE0_S1FMT_L);
	struct sim_pt_result r;
	uint64_t addr = base + (uint64_t)ssid * SMMU_CD_SIZE, l1;
	int err;

	if (fmt != SMMU_S1FMT_LINEAR) {
		const unsigned int split = fmt == SMMU_S1FMT_4K_L2 ? 6 : 10;
		const uint64_t l1a = base + (uint64_t)(ssid >> split) * 8;

		err = sim_viommu_gpa_read(sv, l1a, &l1, sizeof(l1), &r);
		if (err) {
			s2_fault(f, &r, err, SMMU_EVT_CLASS_CD, l1a);
			return err;
		}
		l1 = le64toh(l1);
		if (!(l1 & SMMU_L1CD_V)) {
			sfault(f, SMMU_EVT_C_BAD_SUBSTREAMID, 0, -EFAULT,
			       "the L1 CD descriptor of SSID %u (at IPA 0x%llx) is not valid", ssid,
			       X(l1a));
			return -EFAULT;
		}
		addr = (l1 & SMMU_L1CD_L2PTR_MASK) +
		       (uint64_t)(ssid & ((1u << split) - 1)) * SMMU_CD_SIZE;
	}
	err = sim_viommu_gpa_read(sv, addr, raw, 2 * sizeof(uint64_t), &r);
	if (err) {
		s2_fault(f, &r, err, SMMU_EVT_CLASS_CD, addr);
		return err;
	}
	raw[0] = le64toh(raw[0]);
	raw[1] = le64toh(raw[1]);
	return 0;
}

/* IPS, and the OAS it is capped to (IDR5). */
static const unsigned int ips_bits[8] = { 32, 36, 40, 42, 44, 48, 52, 0 };

/*
 * TG0 (0 4K, 1 64K, 2 16K) as log2 of the granule, if IDR5 offers it; 0
 * with *@why set otherwise.
 */
static unsigned int tg0_granule(const struct vsmmu *vs, unsigned int tg0, const char **why)
{
	static const unsigned int shift[3] = { 12, 16, 14 };
	static const uint64_t gran[3] = { IOASID_SMMUV3_GRAN4K, IOASID_SMMUV3_GRAN64K,
					  IOASID_SMMUV3_GRAN16K };
	static const char *const no[3] = {
		"TG0 selects the 4K granule, which IDR5.GRAN4K does not offer",
		"TG0 selects the 64K granule, which IDR5.GRAN64K does not offer",
		"TG0 selects the 16K granule, which IDR5.GRAN16K does not offer",
	};

	if (tg0 > 2) {
		*why = "TG0 3 is reserved";
		return 0;
	}
	if (!(vs->regs->bits & gran[tg0])) {
		*why = no[tg0];
		return 0;
	}
	return shift[tg0];
}

/* Decode a CD; a CD the SMMU cannot use is C_BAD_CD. */
static int cd_decode(const struct vsmmu *vs, const uint64_t raw[2], uint32_t ssid, struct cd *cd,
		     struct smmu_fault *f)
{
	const uint64_t w0 = raw[0];
	unsigned int t0sz = (unsigned int)SMMU_GET(w0, SMMU_CD0_T0SZ_H, SMMU_CD0_T0SZ_L);
	unsigned int tg0 = (unsigned int)SMMU_GET(w0, SMMU_CD0_TG0_H, SMMU_CD0_TG0_L);
	unsigned int ips = ips_bits[SMMU_GET(w0, SMMU_CD0_IPS_H, SMMU_CD0_IPS_L)];
	const char *why = NULL;
	unsigned int pg = 0, stride;

	memset(cd, 0, sizeof(*cd));
	cd->raw[0] = raw[0];
	cd->raw[1] = raw[1];
	if (!(w0 & SMMU_CD0_V))
		why = "V is clear";
	else if (!(w0 & SMMU_CD0_AA64))
		why = "AA64 is clear (AArch32 tables: IDR0.TTF has AArch64 only here)";
	else if (!(pg = tg0_granule(vs, tg0, &why)))
		;
	else if (t0sz < 16 || t0sz > 39)
		why = "T0SZ is outside 16..39 (the range of every granule without FEAT_TTST)";
	else if (w0 & SMMU_CD0_ENDI)
		why = "ENDI selects big-endian tables, which the sim does not model";
	if (why) {
		sfault(f, SMMU_EVT_C_BAD_CD, 0, -EFAULT, "the CD of SSID %u (0x%016llx): %s", ssid,
		       X(w0), why);
		return -EFAULT;
	}
	cd->in_bits = 64 - t0sz;
	cd->pg_shift = pg;
	cd->fmt = sim_pt_arm_format(false, pg);
	/*
	 * The initial lookup level: the fewest levels of 2^stride entries over
	 * the page offset covering the input (4K: Arm 0-2; 16K: 0-3; 64K: 1-3).
	 */
	stride = pg - 3;
	cd->levels = (cd->in_bits - pg + stride - 1) / stride;
	/* an IPS above the OAS (or reserved) behaves as the OAS */
	cd->oa_bits = vs->regs->oas_bits;
	if (ips && ips < cd->oa_bits)
		cd->oa_bits = ips;
	if (cd->oa_bits > 48)
		cd->oa_bits = 48; /* no LPA2 (4K, 16K) nor LPA (64K): 52-bit OA not modelled */
	cd->ttb = raw[1] & SMMU_CD1_TTB0_MASK;
	cd->asid = (uint16_t)(SMMU_GET(w0, SMMU_CD0_ASID_H, SMMU_CD0_ASID_L) & vs->asid_mask);
	cd->epd0 = w0 & SMMU_CD0_EPD0;
	/* HTTU: the CD's HA / HD count only as far as IDR0.HTTU has them */
	cd->ha = (w0 & SMMU_CD0_HA) && vs->regs->httu >= 1;
	cd->hd = cd->ha && (w0 & SMMU_CD0_HD) && vs->regs->httu >= 2;
	cd->record = w0 & SMMU_CD0_R;
	cd->stall = w0 & SMMU_CD0_S;
	return 0;
}

/*
 * The configuration of request (@pasid) under vSTE @v: stage 2 only, or
 * the CD to use, from the CD cache when @use_cache (else fetched afresh).
 * *@cached says where it came from.
 */
static int resolve(const struct sim_vreq *rq, const struct vste *v, bool use_cache,
		   struct smmu_cfg *cfg, bool *cached, struct smmu_fault *f)
{
	struct sim_viommu *sv = rq->sh->vi;
	struct vsmmu *vs = vsmmu_of(sv);
	const unsigned int cdmax = (unsigned int)SMMU_GET(v->ste[0], SMMU_STE0_CDMAX_H,
							  SMMU_STE0_CDMAX_L);
	const unsigned int s1dss = (unsigned int)SMMU_GET(v->ste[1], SMMU_STE1_S1DSS_H,
							  SMMU_STE1_S1DSS_L);
	const bool ssv = rq->pasid != IOASID_PASID_NONE;
	struct cd_entry *ce;
	uint64_t raw[2];
	int err;

	memset(cfg, 0, sizeof(*cfg));
	*cached = false;
	if (v->cfg == SMMU_STE_CFG_BYPASS) {
		if (ssv) {
			sfault(f, SMMU_EVT_C_BAD_SUBSTREAMID, 0, -EFAULT,
			       "SSID %u on a stream whose vSTE bypasses stage 1", rq->pasid);
			return -EFAULT;
		}
		cfg->s2only = true;
		return 0;
	}
	/* Config stage-1 translate: the STE's own checks first */
	if (SMMU_GET(v->ste[0], SMMU_STE0_S1FMT_H, SMMU_STE0_S1FMT_L) == 3 ||
	    (cdmax && cdmax > vs->regs->ssidsize)) {
		sfault(f, SMMU_EVT_C_BAD_STE, 0, -EFAULT,
		       "the vSTE (0x%016llx) has S1Fmt 3 (reserved) or S1CDMax %u above IDR1.SSIDSIZE %u",
		       X(v->ste[0]), cdmax, vs->regs->ssidsize);
		return -EFAULT;
	}
	if (!ssv) {
		if (cdmax && s1dss == SMMU_S1DSS_TERMINATE) {
			sfault(f, SMMU_EVT_F_STREAM_DISABLED, 0, -EFAULT,
			       "a request without SSID, and the vSTE's S1DSS terminates them");
			return -EFAULT;
		}
		if (cdmax && s1dss == SMMU_S1DSS_BYPASS) {
			cfg->s2only = true;
			return 0;
		}
		cfg->ssid = 0;
	} else {
		if (!cdmax || rq->pasid >> cdmax || (rq->pasid == 0 && s1dss == SMMU_S1DSS_SSID0)) {
			sfault(f, SMMU_EVT_C_BAD_SUBSTREAMID, 0, -EFAULT,
			       "SSID %u is beyond the vSTE's S1CDMax %u%s", rq->pasid, cdmax,
			       rq->pasid == 0 && cdmax ? " (or SSID 0 with S1DSS = 0b10)" : "");
			return -EFAULT;
		}
		cfg->ssid = rq->pasid;
	}
	ce = cd_slot(vs, rq->sd->id, cfg->ssid);
	if (use_cache && ce->valid && ce->dev == rq->sd->id && ce->ssid == cfg->ssid &&
	    ce->gen == rq->sd->cfg_gen) {
		raw[0] = ce->cd[0];
		raw[1] = ce->cd[1];
		*cached = true;
		rq->sim->ctx_cache_hits++;
	} else {
		err = cd_fetch(sv, v, cfg->ssid, raw, f);
		if (err)
			return err;
		if (use_cache) {
			ce->valid = true;
			ce->dev = rq->sd->id;
			ce->ssid = cfg->ssid;
			ce->gen = rq->sd->cfg_gen;
			ce->cd[0] = raw[0];
			ce->cd[1] = raw[1];
		}
	}
	return cd_decode(vs, raw, cfg->ssid, &cfg->cd, f);
}

/* ---- the walk ---- */

static uint32_t evt_of(enum sim_pt_fault why)
{
	switch (why) {
	case SIM_PT_FAULT_PERM:
		return SMMU_EVT_F_PERMISSION;
	case SIM_PT_FAULT_ACCESS:
		return SMMU_EVT_F_ACCESS;
	case SIM_PT_FAULT_ADDR_SIZE:
		return SMMU_EVT_F_ADDR_SIZE;
	default:
		return SMMU_EVT_F_TRANSLATION;
	}
}

/* The stage-1 walk from the CD's initial lookup level. */
static int s1_walk(struct sim_viommu_walk *vw, const struct cd *cd, uint64_t iova,
		   unsigned int flags, struct sim_pt_result *r)
{
	return sim_pt_walk_from(&vw->w, cd->ttb, cd->levels, SIM_PT_PERM_MASK, iova, flags, r);
}

/* Our level @l as the Arm lookup level of a table of @levels. */
static unsigned int arm_level(unsigned int l)
{
	return l ? 4 - l : 0;
}

/*
 * Translate @iova under @cfg with access @acc (SIM_PT_*), without any
 * cache; @update: the hardware's AF / dirty updates (off for the stale
 * detector's look, which must change nothing). *@global (if not NULL):
 * the stage-1 leaf is global (nG clear).
 */
static int walk(const struct sim_vreq *rq, const struct smmu_cfg *cfg, unsigned int acc,
		bool update, struct sim_xlate *x, struct smmu_fault *f, bool *global)
{
	const struct sim_viommu *sv = rq->sh->vi;
	const struct sim_hwpt *ph = sv->parent;
	const unsigned int s2acc = acc & (SIM_PT_R | SIM_PT_W | SIM_PT_X);
	const bool wr = acc & SIM_PT_W;
	struct sim_viommu_walk vw;
	struct sim_pt_result r1, r2;
	bool d1, d2;
	int err;

	rq->sim->walks++;
	if (cfg->s2only) {
		err = sim_viommu_s2(sv, rq->iova, s2acc, update, &r2);
		rq->sim->walk_reads += r2.reads;
		if (err) {
			s2_fault(f, &r2, err, SMMU_EVT_CLASS_IN, rq->iova);
			return err;
		}
		x->host = r2.oa;
		x->page_size = r2.page_size;
		x->gpa = rq->iova;
		d2 = !ph->dirty || r2.dirty || (wr && update);
		x->perm = r2.perm | ((r2.perm & SIM_PT_W) ? XL_S2W : 0) | (d2 ? XL_DIRTY : 0);
		return 0;
	}
	if (cfg->cd.epd0 || rq->iova >> cfg->cd.in_bits) {
		sfault(f, SMMU_EVT_F_TRANSLATION, SMMU_EVT_CLASS_IN, -EFAULT,
		       cfg->cd.epd0 ? "the CD's EPD0 disables TTB0 walks" :
				      "the input address is beyond the CD's %u-bit T0SZ range",
		       cfg->cd.in_bits);
		f->record = cfg->cd.record;
		f->cd_stall = cfg->cd.stall;
		return -EFAULT;
	}
	/*
	 * 4K: a walker of 3 levels at least (the format's); a level-2 start
	 * begins below its top. The other granules take any start level.
	 */
	sim_viommu_walk_init(&vw, sv, cfg->cd.fmt,
			     cfg->cd.pg_shift == 12 ? IOASID_MAX(cfg->cd.levels, 3u) :
						      cfg->cd.levels,
			     cfg->cd.oa_bits, update);
	if (update && cfg->cd.ha && !cfg->cd.hd && wr) {
		/*
		 * HA without HD: DBM means nothing, a writable-clean leaf
		 * (DBM, AP[2] set) is read-only. Look without updates first;
		 * only an access flag fault on a leaf the write may use takes
		 * the walk that sets AF.
		 */
		err = s1_walk(&vw, &cfg->cd, rq->iova, acc, &r1);
		if (err && r1.fault_reason == SIM_PT_FAULT_ACCESS && !vw.s2_failed &&
		    (r1.leaf_entry & (SIM_ARM_DBM | SIM_ARM_S1_AP2)) ==
			    (SIM_ARM_DBM | SIM_ARM_S1_AP2)) {
			r1.fault_reason = SIM_PT_FAULT_PERM;
			err = -EACCES;
		} else if (err && r1.fault_reason == SIM_PT_FAULT_ACCESS && !vw.s2_failed) {
			rq->sim->walk_reads += r1.reads;
			err = s1_walk(&vw, &cfg->cd, rq->iova, acc | SIM_PT_WALK_SET_AD, &r1);
		}
	} else {
		err = s1_walk(&vw, &cfg->cd, rq->iova,
			      acc | (update && cfg->cd.ha ? SIM_PT_WALK_SET_AD : 0), &r1);
	}
	rq->sim->walk_reads += r1.reads + vw.reads;
	if (err && vw.s2_failed) {
		const unsigned int l = r1.fault_level, pg = cfg->cd.pg_shift;
		const uint64_t idx = (rq->iova >> (pg + (pg - 3) * (l - 1))) &
				     ((UINT64_C(1) << (pg - 3)) - 1);

		s2_fault(f, &vw.s2_fault, err, SMMU_EVT_CLASS_TT, r1.path[l].table + idx * 8);
		return err;
	}
	if (err) {
		sfault(f, evt_of(r1.fault_reason), SMMU_EVT_CLASS_IN, err,
		       "stage 1 (ASID %u, TTB0 0x%llx): %s at level %u", cfg->cd.asid,
		       X(cfg->cd.ttb),
		       r1.fault_reason == SIM_PT_FAULT_PERM      ? "permission fault" :
		       r1.fault_reason == SIM_PT_FAULT_ACCESS    ? "access flag fault" :
		       r1.fault_reason == SIM_PT_FAULT_ADDR_SIZE ? "address size fault" :
								   "translation fault",
		       arm_level(r1.fault_level));
		f->level = arm_level(r1.fault_level);
		f->record = cfg->cd.record;
		f->cd_stall = cfg->cd.stall;
		return err == -EACCES ? -EACCES : -EFAULT;
	}
	err = sim_viommu_s2(sv, r1.oa, s2acc, update, &r2);
	rq->sim->walk_reads += r2.reads;
	if (err) {
		s2_fault(f, &r2, err, SMMU_EVT_CLASS_IN, r1.oa);
		return err;
	}
	x->host = r2.oa;
	x->page_size = IOASID_MIN(r1.page_size, r2.page_size);
	x->gpa = r1.oa;
	if (global)
		*global = !(r1.leaf_entry & SIM_ARM_NG);
	/* a leaf without DBM, or without HD, has no dirty state to set */
	d1 = !cfg->cd.hd || !(r1.leaf_entry & SIM_ARM_DBM) || r1.dirty || (wr && update);
	d2 = !ph->dirty || r2.dirty || (wr && update);
	x->perm = (r1.perm & r2.perm) | ((r2.perm & SIM_PT_W) ? XL_S2W : 0) |
		  (d1 && d2 ? XL_DIRTY : 0);
	return 0;
}

/* ---- translation with the caches ---- */

static enum ioasid_fault_reason reason_of(uint32_t id)
{
	switch (id) {
	case SMMU_EVT_F_PERMISSION:
		return IOASID_FAULT_R_PERMISSION;
	case SMMU_EVT_F_TRANSLATION:
	case SMMU_EVT_F_ACCESS:
		return IOASID_FAULT_R_NOT_PRESENT;
	case SMMU_EVT_F_ADDR_SIZE:
		return IOASID_FAULT_R_RESERVED;
	default:
		return IOASID_FAULT_R_BLOCKED;
	}
}

static const char *dma_kind(uint32_t rflags)
{
	return (rflags & IOASID_SIM_DMA_EXEC)  ? "execute" :
	       (rflags & IOASID_SIM_DMA_WRITE) ? "write" :
						 "read";
}

/*
 * Does the faulting transaction stall? Only a translation-class fault
 * (F_TRANSLATION .. F_PERMISSION; configuration errors terminate) of a
 * stall-enabled master: the kernel's STE sets S2S for it (stage 2) and
 * leaves S1STALLD to the guest's vSTE, whose CD's S decides (stage 1); a
 * stall-forced SMMU stalls whatever the CD says. A master the kernel did
 * not enable is taken as terminating even when the guest asks for stalls
 * (on the hardware it would stall and the kernel never resume it).
 */
static bool stalls(const struct sim_vreq *rq, const struct smmu_fault *f)
{
	const struct vste *v = rq->sh->vpriv;
	const struct vsmmu *vs = vsmmu_of(rq->sh->vi);

	if (!rq->sd->stall || f->id < SMMU_EVT_F_TRANSLATION || f->id > SMMU_EVT_F_PERMISSION)
		return false;
	if (f->s2 || (vs->regs->bits & IOASID_SMMUV3_STALL_FORCE))
		return true;
	return f->cd_stall && !(v->ste[1] & SMMU_STE1_S1STALLD);
}

/* @f as the DMA's failure: message, fault info and the event record. */
static int fail(const struct sim_vreq *rq, const struct smmu_fault *f, struct sim_fault_info *fi)
{
	struct sim_vfault *vf = &fi->vf;

	fi->reason = reason_of(f->id);
	/* no page request fixes a configuration error (the events below 0x10) */
	fi->entry = f->id < SMMU_EVT_F_TRANSLATION;
	vf->id = f->id;
	vf->cls = f->cls;
	vf->s2 = f->s2;
	vf->host = f->s2;
	/* a stalled transaction is reported as a page request, not to the vmaster */
	vf->stall = stalls(rq, f);
	vf->valid = !f->s2 && f->record && !vf->stall;
	vf->ssv = rq->pasid != IOASID_PASID_NONE;
	vf->ssid = vf->ssv ? rq->pasid : 0;
	vf->iova = rq->iova;
	vf->ipa = f->ipa;
	vf->fetch = f->fetch;
	vf->write = rq->rflags & IOASID_SIM_DMA_WRITE;
	vf->priv = rq->rflags & IOASID_SIM_DMA_PRIV;
	vf->exec = rq->rflags & IOASID_SIM_DMA_EXEC;
	vf->level = f->level;
	return ioasid_err(rq->ctx, f->err == -EACCES ? -EACCES : -EFAULT,
			  "%s %s at iova 0x%llx (%s%d, HWPT %u): SMMUv3 %s%s: %s",
			  rq->sd->dev->name, dma_kind(rq->rflags), X(rq->iova),
			  vf->ssv ? "SSID " : "PASID ", (int)rq->pasid, rq->sh->id, evt_name(f->id),
			  f->s2 ? " (stage 2)" : "", f->why);
}

/* Does a translation granting @perm allow @acc? */
static bool access_ok(uint32_t perm, unsigned int acc)
{
	uint32_t need = acc & SIM_PT_PERM_MASK;

	return (perm & need) == need;
}

/*
 * A fresh look for the stale detector: the configuration from guest
 * memory (no CD cache) and a walk without updates.
 */
static int fresh(const struct sim_vreq *rq, const struct vste *v, unsigned int acc,
		 struct sim_xlate *now)
{
	struct smmu_fault f = { 0 };
	struct smmu_cfg cfg;
	bool cached;
	int err;

	now->gpa = NO_GPA;
	err = resolve(rq, v, false, &cfg, &cached, &f);
	return err ? err : walk(rq, &cfg, acc, false, now, &f, NULL);
}

/* The IOTLB entry size for a leaf of @ps bytes: the largest of 4K, 2M, 1G within it. */
static uint64_t tlb_size(uint64_t ps)
{
	return ps >= SIM_PT_SZ_1G ? SIM_PT_SZ_1G : ps >= SIM_PT_SZ_2M ? SIM_PT_SZ_2M : SIM_PT_SZ_4K;
}

static void cache_insert(const struct sim_vreq *rq, bool ats, uint32_t subtag,
			 const struct sim_xlate *x)
{
	const uint32_t tag = rq->sh->vi->tag;
	const uint64_t ps = tlb_size(x->page_size), oa = x->host & ~(ps - 1),
		       gpa = x->gpa & ~(ps - 1);
	struct vsmmu *vs = vsmmu_of(rq->sh->vi);

	if (ps != x->page_size && x->page_size > vs->wide)
		vs->wide = x->page_size;

	sim_iotlb_insert(rq->sim->iotlb, tag, subtag, rq->iova, ps, oa, x->perm, gpa);
	if (ats)
		sim_iotlb_insert(rq->sd->devtlb, tag, rq->pasid, rq->iova, ps, oa, x->perm, gpa);
}

static void from_entry(const struct sim_iotlb_entry *e, uint64_t iova, struct sim_xlate *x)
{
	const uint64_t psz = sim_iotlb_entry_size(e);

	x->host = e->oa + (iova & (psz - 1));
	x->page_size = psz;
	x->perm = e->perm;
	x->gpa = e->data + (iova & (psz - 1));
}

/*
 * The global entries of @tag at @iova: the second half of the one lookup
 * whose ASID half just missed, so a hit here turns its miss into a hit.
 */
static const struct sim_iotlb_entry *global_lookup(struct sim_iotlb *t, uint32_t tag, uint64_t iova)
{
	const uint64_t ctx = (uint64_t)tag << 32 | SUBTAG_GLOBAL;
	const struct sim_iotlb_entry *e = NULL;
	unsigned int k;

	for (k = SIM_IOTLB_K_4K; !e && k <= SIM_IOTLB_K_1G; k++)
		if (t->kinds & (1u << k))
			e = sim_iotlb_probe(t, k, ctx, iova);
	if (e) {
		t->st.misses--;
		t->st.hits++;
	}
	return e;
}

static int smmu_translate(const struct sim_vreq *rq, struct sim_xlate *x, struct sim_fault_info *fi)
{
	const struct vste *v = rq->sh->vpriv;
	struct sim_viommu *sv = rq->sh->vi;
	struct sim_ctx *sim = rq->sim;
	const struct sim_iotlb_entry *e = NULL;
	/* ATS: the kernel keeps it on for a bypass vSTE, and as EATS says for stage 1 */
	const bool ats = rq->sd->devtlb && (v->cfg == SMMU_STE_CFG_BYPASS || v->ats);
	/* PnU and InD of the request: a request without PASID is unprivileged data */
	const unsigned int acc = ((rq->rflags & IOASID_SIM_DMA_WRITE) ? SIM_PT_W : SIM_PT_R) |
				 ((rq->rflags & IOASID_SIM_DMA_EXEC) ? SIM_PT_X : 0) |
				 ((rq->rflags & IOASID_SIM_DMA_PRIV) ? 0 : SIM_PT_U);
	struct smmu_fault f = { 0 };
	struct smmu_cfg cfg;
	struct sim_xlate now;
	bool cd_cached = false, hit = false, global = false;
	uint32_t subtag = 0;
	int err;

	fi->hwpt = rq->sh;
	if (v->cfg == SMMU_STE_CFG_ABORT) {
		fi->reason = IOASID_FAULT_R_BLOCKED;
		fi->entry = true;
		/* an abort STE terminates silently: no event (the VMM may make C_BAD_STE itself) */
		return ioasid_err(rq->ctx, -EFAULT,
				  "%s %s at iova 0x%llx: the guest's vSTE (HWPT %u) aborts the stream",
				  rq->sd->dev->name, dma_kind(rq->rflags), X(rq->iova), rq->sh->id);
	}
	/* the ATC first: a translated request needs no configuration */
	if (ats) {
		e = sim_iotlb_lookup(rq->sd->devtlb, sv->tag, rq->pasid, rq->iova);
		if (e)
			sim->devtlb_hits++;
		else
			sim->devtlb_misses++;
	}
	if (!e) {
		err = resolve(rq, v, true, &cfg, &cd_cached, &f);
		if (err)
			return fail(rq, &f, fi);
		subtag = cfg.s2only ? SUBTAG_S2 : cfg.cd.asid;
		e = sim_iotlb_lookup(sim->iotlb, sv->tag, subtag, rq->iova);
		/* a global entry matches every ASID (of the VMID) */
		if (!e && !cfg.s2only)
			e = global_lookup(sim->iotlb, sv->tag, rq->iova);
	} else {
		hit = true;
	}
	if (e) {
		from_entry(e, rq->iova, x);
		/* the guest may have changed its structures without invalidating */
		err = fresh(rq, v, acc, &now);
		if (sim_viommu_stale(rq, x, &now, err)) {
			fi->reason = 0; /* refused (strict mode), not a translation fault */
			return -EIO;
		}
		if (!access_ok(x->perm, acc)) {
			sfault(&f, SMMU_EVT_F_PERMISSION, SMMU_EVT_CLASS_IN, -EACCES,
			       "the cached translation does not grant the access");
			f.record = true;
			f.cd_stall = !hit && !cfg.s2only && cfg.cd.stall;
			return fail(rq, &f, fi);
		}
		/* a write that must still set a dirty state walks again */
		if (!(acc & SIM_PT_W) || (x->perm & XL_DIRTY)) {
			/* an ATS translation request served by the TLB fills the ATC */
			if (ats && !hit)
				sim_iotlb_insert(rq->sd->devtlb, sv->tag, rq->pasid, rq->iova,
						 x->page_size, x->host & ~(x->page_size - 1),
						 x->perm, x->gpa & ~(x->page_size - 1));
			return 0;
		}
		if (hit) {
			err = resolve(rq, v, true, &cfg, &cd_cached, &f);
			if (err)
				return fail(rq, &f, fi);
			subtag = cfg.s2only ? SUBTAG_S2 : cfg.cd.asid;
		}
	}
	err = walk(rq, &cfg, acc, true, x, &f, &global);
	if (err)
		return fail(rq, &f, fi);
	if (global && !cfg.s2only)
		subtag = SUBTAG_GLOBAL;
	if (cd_cached) {
		/* a CD changed without CFGI_CD: the cached one still decides, as on the hardware */
		err = fresh(rq, v, acc, &now);
		if (sim_viommu_stale(rq, x, &now, err)) {
			fi->reason = 0;
			return -EIO;
		}
	}
	cache_insert(rq, ats, subtag, x);
	return 0;
}

/* ---- event records ---- */

static void smmu_encode_event(const struct sim_viommu *sv, const struct sim_vfault *vf,
			      uint64_t virt_id, uint8_t *rec)
{
	uint64_t evt[4] = { 0, 0, 0, 0 };
	unsigned int i;

	(void)sv;
	evt[0] = SMMU_PUT(vf->id, 7, 0) | SMMU_PUT(virt_id, SMMU_EVT0_SID_H, SMMU_EVT0_SID_L);
	if (vf->ssv)
		evt[0] |= SMMU_EVT0_SSV | SMMU_PUT(vf->ssid, SMMU_EVT0_SSID_H, SMMU_EVT0_SSID_L);
	if (vf->id >= SMMU_EVT_F_WALK_EABT) {
		/* the translation faults: what the request was, and where */
		evt[1] = (vf->priv ? SMMU_EVT1_PNU : 0) | (vf->exec ? SMMU_EVT1_IND : 0) |
			 (vf->write ? 0 : SMMU_EVT1_RNW) | (vf->s2 ? SMMU_EVT1_S2 : 0) |
			 SMMU_PUT(vf->cls, SMMU_EVT1_CLASS_H, SMMU_EVT1_CLASS_L);
		evt[2] = vf->iova;
		if (vf->s2)
			evt[3] = vf->ipa & SMMU_EVT3_IPA_MASK;
	} else if (vf->id == SMMU_EVT_F_CD_FETCH) {
		evt[3] = vf->fetch & SMMU_EVT3_FETCH_MASK;
	}
	for (i = 0; i < 4; i++)
		evt[i] = htole64(evt[i]);
	memcpy(rec, evt, sizeof(evt));
}

const struct sim_viommu_model sim_viommu_smmuv3 = {
	.name = "smmuv3",
	.vendor = SIM_VENDOR_SMMUV3,
	.hwpt_type = IOASID_HWPT_NESTED_ARM_SMMUV3,
	.inv_type = IOASID_VIOMMU_INV_ARM_SMMUV3,
	.vevent_type = IOASID_VEVENTQ_ARM_SMMUV3,
	.vevent_len = SMMU_VEVENT_LEN,
	.viommu_check = smmu_viommu_check,
	.viommu_init = smmu_viommu_init,
	.viommu_fini = smmu_viommu_fini,
	.nested_alloc = smmu_nested_alloc,
	.nested_free = smmu_nested_free,
	.attach_check = smmu_attach_check,
	.translate = smmu_translate,
	.invalidate = sim_smmuv3_invalidate,
	.encode_event = smmu_encode_event,
};
