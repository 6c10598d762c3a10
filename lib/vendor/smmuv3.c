/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Arm SMMUv3: SMMU_IDR0..5, SMMU_IIDR and SMMU_AIDR (IHI 0070, §6.3.1-6.3.8),
 * the errata flags iommufd reports, and what they mean for a profile and
 * for a Linux domain.
 */
#include <inttypes.h>

#include "model.h"

#define T struct ioasid_cap_smmuv3
#define IDR(n, l, w) CF_REG(T, idr[n], l, w)
#define AT(m) CF_AT(T, m)

/* IDR5.OAS: output address size; 7 is reserved (56 bits from SMMUv3.3 on). */
static const uint32_t oas_bits[8] = { 32, 36, 40, 42, 44, 48, 52, 0 };
/* IDR5.VAX: 48- or 52-bit virtual addresses; 2 and 3 are reserved. */
static const uint32_t vax_bits[4] = { 48, 52, 0, 0 };

static const struct cap_field fields[] = {
	{ CF_RAWREG("flags", J_HEX, T_FLAGS), AT(flags) },
	{ CF_RAWREG("idr", J_HEX, T_HEXPAD), CF_ATN(T, idr, 6) },
	{ CF_RAWREG("iidr", J_HEX, T_HEXPAD), AT(iidr) },
	{ CF_RAWREG("aidr", J_HEX, T_HEXPAD), AT(aidr) },
	{ CF_PADDING(T, pad) },
	{ CF_DEC("st_level", J_INT, T_UINT), AT(st_level), IDR(0, 27, 2) },
	/* 0 stall and terminate, 1 terminate only, 2 stall forced */
	{ CF_DEC("stall_model", J_INT, T_UINT), AT(stall_model), IDR(0, 24, 2) },
	{ CF_DEC("ttf", J_INT, T_UINT), AT(ttf), IDR(0, 2, 2) },
	{ CF_DEC("ttendian", J_INT, T_UINT), AT(ttendian), IDR(0, 21, 2) },
	/* 0 none, 1 access flag, 2 access and dirty flags */
	{ CF_DEC("httu", J_INT, T_UINT), AT(httu), IDR(0, 6, 2) },
	{ CF_DEC("sidsize", J_INT, T_BITS), AT(sidsize), IDR(1, 0, 6) },
	{ CF_DEC("ssidsize", J_INT, T_BITS), AT(ssidsize), IDR(1, 6, 5) },
	{ CF_DECL("oas_bits", "oas", J_INT, T_BITS), AT(oas_bits), IDR(5, 0, 3), CF_TABLE(oas_bits) },
	{ CF_DECL("va_bits", "va", J_INT, T_BITS), AT(va_bits), IDR(5, 10, 2), CF_TABLE(vax_bits) },
	{ CF_DEC("bbml", J_INT, T_UINT), AT(bbml), IDR(3, 11, 2) },
	/* IIDR and AIDR (§6.3.7, §6.3.8) */
	{ CF_SHOWN("implementer", J_HEX), CF_REG(T, iidr, 0, 12) },
	{ CF_SHOWN("revision", J_INT), CF_REG(T, iidr, 12, 4) },
	{ CF_SHOWN("variant", J_INT), CF_REG(T, iidr, 16, 4) },
	{ CF_SHOWN("product_id", J_HEX), CF_REG(T, iidr, 20, 12) },
	{ CF_SHOWN("arch_minor", J_INT), CF_REG(T, aidr, 0, 4) },
	{ CF_BITF(IOASID_SMMUV3_S2P, "s2p"), IDR(0, 0, 1) },
	{ CF_BITF(IOASID_SMMUV3_S1P, "s1p"), IDR(0, 1, 1) },
	{ CF_BITF(IOASID_SMMUV3_TTF_AARCH32, "ttf_aarch32"), IDR(0, 2, 1), .flags = CFF_VIEW },
	{ CF_BITF(IOASID_SMMUV3_TTF_AARCH64, "ttf_aarch64"), IDR(0, 3, 1), .flags = CFF_VIEW },
	{ CF_BITF(IOASID_SMMUV3_COHACC, "cohacc"), IDR(0, 4, 1) },
	{ CF_BITF(IOASID_SMMUV3_BTM, "btm"), IDR(0, 5, 1) },
	{ CF_BITV(IOASID_SMMUV3_HA, "ha", 1u << 1 | 1u << 2), IDR(0, 6, 2) },
	{ CF_BITV(IOASID_SMMUV3_HD, "hd", 1u << 2), IDR(0, 6, 2) },
	{ CF_BITF(IOASID_SMMUV3_DORMHINT, "dormhint"), IDR(0, 8, 1) },
	{ CF_BITF(IOASID_SMMUV3_HYP, "hyp"), IDR(0, 9, 1) },
	{ CF_BITF(IOASID_SMMUV3_ATS, "ats"), IDR(0, 10, 1) },
	{ CF_BITF(IOASID_SMMUV3_NS1ATS, "ns1ats"), IDR(0, 11, 1) },
	{ CF_BITF(IOASID_SMMUV3_ASID16, "asid16"), IDR(0, 12, 1) },
	{ CF_BITF(IOASID_SMMUV3_MSI, "msi"), IDR(0, 13, 1) },
	{ CF_BITF(IOASID_SMMUV3_SEV, "sev"), IDR(0, 14, 1) },
	{ CF_BITF(IOASID_SMMUV3_ATOS, "atos"), IDR(0, 15, 1) },
	{ CF_BITF(IOASID_SMMUV3_PRI, "pri"), IDR(0, 16, 1) },
	{ CF_BITF(IOASID_SMMUV3_VMW, "vmw"), IDR(0, 17, 1) },
	{ CF_BITF(IOASID_SMMUV3_VMID16, "vmid16"), IDR(0, 18, 1) },
	{ CF_BITF(IOASID_SMMUV3_CD2L, "cd2l"), IDR(0, 19, 1) },
	{ CF_BITF(IOASID_SMMUV3_VATOS, "vatos"), IDR(0, 20, 1) },
	{ CF_BITF(IOASID_SMMUV3_TERM_MODEL, "term_model"), IDR(0, 26, 1) },
	{ CF_BITV(IOASID_SMMUV3_STALL, "stall", 1u << 0 | 1u << 2), IDR(0, 24, 2) },
	{ CF_BITV(IOASID_SMMUV3_STALL_FORCE, "stall_force", 1u << 2), IDR(0, 24, 2) },
	{ CF_BITF(IOASID_SMMUV3_HAD, "had"), IDR(3, 2, 1) },
	{ CF_BITF(IOASID_SMMUV3_MPAM, "mpam"), IDR(3, 7, 1) },
	{ CF_BITF(IOASID_SMMUV3_FWB, "fwb"), IDR(3, 8, 1) },
	{ CF_BITF(IOASID_SMMUV3_STT, "stt"), IDR(3, 9, 1) },
	{ CF_BITF(IOASID_SMMUV3_RIL, "ril"), IDR(3, 10, 1) },
	{ CF_BITF(IOASID_SMMUV3_E0PD, "e0pd"), IDR(3, 13, 1) },
	{ CF_BITF(IOASID_SMMUV3_PTWNNC, "ptwnnc"), IDR(3, 14, 1) },
	{ CF_BITF(IOASID_SMMUV3_DPT, "dpt"), IDR(3, 15, 1) },
	{ CF_BITF(IOASID_SMMUV3_DS, "ds"), IDR(5, 3, 1) },
	{ CF_BITF(IOASID_SMMUV3_GRAN4K, "gran4k"), IDR(5, 4, 1) },
	{ CF_BITF(IOASID_SMMUV3_GRAN16K, "gran16k"), IDR(5, 5, 1) },
	{ CF_BITF(IOASID_SMMUV3_GRAN64K, "gran64k"), IDR(5, 6, 1) },
	{ CF_FLAGF("errata_repeat_tlbi_cfgi", NULL), CF_REG(T, flags, 0, 1) },
	{ CF_PADDING(T, pad2) },
};

const struct cap_desc vendor_smmuv3_cap = {
	.id = IOASID_CAP_SMMUV3,
	.name = "smmuv3",
	.size = sizeof(T),
	.raw_heading = "REGISTER",
	.bits_off = offsetof(T, bits),
	.bits_v1 = IOASID_SMMUV3_BITS_V1,
	.fields = fields,
	.nfields = CF_ARRAY_SIZE(fields),
};

/* Each granule with the block sizes Linux's arm_smmu_device_hw_probe() adds to it. */
static uint64_t granule_sizes(uint64_t bits)
{
	uint64_t s = 0;

	if (bits & IOASID_SMMUV3_GRAN4K)
		s |= VSZ_4K | VSZ_2M | VSZ_1G;
	if (bits & IOASID_SMMUV3_GRAN16K)
		s |= VSZ_16K | VSZ_32M;
	if (bits & IOASID_SMMUV3_GRAN64K)
		s |= VSZ_64K | VSZ_512M;
	return s;
}

/* The granules whose pages or blocks are among @sizes. */
static uint64_t granules_of(uint64_t sizes)
{
	uint64_t b = 0;

	if (sizes & (VSZ_4K | VSZ_2M | VSZ_1G))
		b |= IOASID_SMMUV3_GRAN4K;
	if (sizes & (VSZ_16K | VSZ_32M))
		b |= IOASID_SMMUV3_GRAN16K;
	if (sizes & (VSZ_64K | VSZ_512M))
		b |= IOASID_SMMUV3_GRAN64K;
	return b;
}

static int smmuv3_derive(const void *cap, struct vendor_props *p, struct vendor_err *e)
{
	const T *c = cap;

	p->mask = VP_INPUT | VP_OUTPUT | VP_PGSIZES | VP_PASID | VP_NESTING | VP_DIRTY |
		  VP_PRI | VP_ATS;
	if (!c->oas_bits)
		return vendor_fail(e, &vendor_smmuv3_cap, offsetof(T, idr[5]),
				   "OAS encoding %" PRIu64 " is reserved (idr[5] 0x%08x)",
				   vendor_field_bits(&vendor_smmuv3, "oas_bits", c), c->idr[5]);
	if (!c->va_bits)
		return vendor_fail(e, &vendor_smmuv3_cap, offsetof(T, idr[5]),
				   "VAX encoding %" PRIu64 " is reserved (idr[5] 0x%08x)",
				   vendor_field_bits(&vendor_smmuv3, "va_bits", c), c->idr[5]);
	p->output_width = c->oas_bits;
	p->input_width = c->va_bits;
	p->page_sizes = granule_sizes(c->bits);
	p->pasid_width = c->ssidsize;
	p->nesting = (c->bits & IOASID_SMMUV3_S1P) && (c->bits & IOASID_SMMUV3_S2P);
	p->dirty = c->httu == 2;
	p->pri = c->bits & IOASID_SMMUV3_PRI;
	p->ats = c->bits & IOASID_SMMUV3_ATS;
	return 0;
}

static void smmuv3_sync(const struct vendor_props *p, void *cap)
{
	T *c = cap;
	uint64_t b = c->bits & ~(IOASID_SMMUV3_S2P | IOASID_SMMUV3_ATS | IOASID_SMMUV3_PRI |
				 IOASID_SMMUV3_GRAN4K | IOASID_SMMUV3_GRAN16K |
				 IOASID_SMMUV3_GRAN64K);

	/* Stage 1 is what every domain uses; stage 2 is only for nesting. */
	b |= IOASID_SMMUV3_S1P;
	if (p->nesting)
		b |= IOASID_SMMUV3_S2P;
	if (p->ats)
		b |= IOASID_SMMUV3_ATS;
	if (p->pri)
		b |= IOASID_SMMUV3_PRI;
	/* Dirty needs HTTU = 2; without it keep at most the access flag. */
	if (p->dirty)
		c->httu = 2;
	else if (c->httu > 1)
		c->httu = 1;
	c->ssidsize = p->pasid_width;
	/* A width that is not an OAS size gets the reserved encoding; checks refuse it. */
	c->oas_bits = vendor_field_holds(&vendor_smmuv3, "oas_bits", p->output_width) ?
		      p->output_width : 0;
	b |= granules_of(p->page_sizes);
	c->va_bits = p->input_width > 48 ? 52 : 48;
	c->bits = b;
}

/*
 * arm_smmu_domain_alloc_paging_flags(): stage 1 when the SMMU has it
 * (IDR0.S1P), else stage 2; a nesting parent is stage 2; dirty tracking is
 * stage 1 only, with HTTU's dirty state (IDR0.HTTU = 2). Stage 1's input
 * is 48 bits (52 with IDR5.VAX, capped at 48 with the 4 KiB granule the
 * sim builds), stage 2's the output size (IDR5.OAS).
 */
static void smmuv3_domain_tables(const T *d, struct vendor_domain *v)
{
	unsigned int s2_in = d->oas_bits > 48 ? 48 : d->oas_bits;

	v->pt_format = (d->bits & IOASID_SMMUV3_S1P) ? VENDOR_PT_ARM_S1 : VENDOR_PT_ARM_S2;
	v->pt_in_bits = v->pt_format == VENDOR_PT_ARM_S1 ? 48 : (uint8_t)s2_in;
	if (d->bits & IOASID_SMMUV3_S2P) {
		v->pt_parent_format = VENDOR_PT_ARM_S2;
		v->pt_parent_in_bits = (uint8_t)s2_in;
	}
	if ((d->bits & IOASID_SMMUV3_S1P) && d->httu == 2)
		v->pt_dirty_format = VENDOR_PT_ARM_S1;
}

static void smmuv3_domain(const void *cap, struct vendor_domain *v)
{
	const T *d = cap;

	v->pgsizes = granule_sizes(d->bits);
	v->out_bits = d->oas_bits;
	v->in_bits = d->oas_bits;
	v->pri = d->bits & IOASID_SMMUV3_PRI;
	v->ats = d->bits & IOASID_SMMUV3_ATS;
	v->stall_known = true;
	v->stall = d->bits & IOASID_SMMUV3_STALL;
	v->pasid_hwpt = d->bits & IOASID_SMMUV3_S1P; /* PASID domains are stage 1 */
	v->pasid_any_dev = v->pasid_hwpt;
	smmuv3_domain_tables(d, v);
}

static const struct vendor_prop_reg prop_regs[] = {
	{ VP_INPUT | VP_OUTPUT | VP_PGSIZES, offsetof(T, idr[5]), false },
	{ VP_PASID, offsetof(T, idr[1]), false },
	{ VP_ALL, offsetof(T, idr[0]), false },
};

/*
 * VMSAv8-64 tables of 1..4 levels; a 52-bit VA needs IDR5.VAX, which says
 * only "more than 48 bits"; the output must be one of the IDR5.OAS sizes
 * (checked by smmuv3_check). A table may start from any granule: a 52-bit
 * VA is 3 levels of 64K, but beyond 4 levels of 4K.
 */
static const struct vendor_limits limits = {
	.in_min = 32,
	.in_max = 52,
	.out_min = 32,
	.out_max = 52,
	.levels = 0x1e,
	.input_coarse = 48,
	.page_sizes = VSZ_4K | VSZ_2M | VSZ_1G | VSZ_16K | VSZ_32M | VSZ_64K | VSZ_512M,
	.granules = VSZ_4K | VSZ_16K | VSZ_64K,
};

/* arm_smmu_get_resv_regions(): the software MSI window, MSI_IOVA_BASE, 1 MiB. */
static const struct vendor_resv resv[] = {
	{ UINT64_C(0x8000000), UINT64_C(0x80fffff), IOASID_RESV_SW_MSI },
	{ 0 },
};

static const struct vendor_profile_reg profile_regs[] = {
	{ "idr", NULL },
	{ "iidr", NULL },
	{ "aidr", NULL },
	{ NULL, NULL },
};

static int smmuv3_check(const struct vendor_props *p, const void *cap, struct vendor_err *e)
{
	char b[200];

	(void)cap;
	if (!vendor_field_holds(&vendor_smmuv3, "oas_bits", p->output_width))
		return vendor_fail_key(e, "output_width", "%u is not an SMMUv3 OAS size (%s)",
				       p->output_width,
				       vendor_field_values(&vendor_smmuv3, "oas_bits", b,
							   sizeof(b)));
	/* Linux adds each granule with all its block sizes. */
	if (p->page_sizes != granule_sizes(granules_of(p->page_sizes)))
		return vendor_fail_key(e, "page_sizes",
				       "%s is not a union of whole granules (4K,2M,1G / 16K,32M / 64K,512M)",
				       vendor_pgsizes_desc(p->page_sizes, b, sizeof(b)));
	return 0;
}

/* A device's requester ID is its StreamID, which must fit IDR1.SIDSIZE. */
static int smmuv3_check_rid(const void *cap, const char *bdf, uint16_t rid, struct vendor_err *e)
{
	const T *c = cap;

	if (c->sidsize < 16 && rid >> c->sidsize)
		return vendor_fail_key(e, "bdf",
				       "\"%s\" is StreamID 0x%04x, beyond the %u-bit SIDSIZE of registers.idr[1]",
				       bdf, rid, c->sidsize);
	return 0;
}

const struct vendor_model vendor_smmuv3 = {
	.name = "smmuv3",
	.cap = &vendor_smmuv3_cap,
	.derive = smmuv3_derive,
	.sync = smmuv3_sync,
	.domain = smmuv3_domain,
	.prop_regs = prop_regs,
	.limits = &limits,
	.resv = resv,
	.profile_regs = profile_regs,
	.check = smmuv3_check,
	.check_rid = smmuv3_check_rid,
};
