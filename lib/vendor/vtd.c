/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Intel VT-d: the Capability and Extended Capability registers (VT-d spec
 * rev 4.x, §11.4.2 CAP_REG, §11.4.3 ECAP_REG), the errata flags iommufd
 * reports, and what they mean for a profile and for a Linux domain.
 * First/second-level names are the pre-4.0 spelling of first/second-stage.
 */
#include <stdio.h>

#include <ioasid/hwpt.h>

#include "model.h"

#define T struct ioasid_cap_vtd
#define CAP(l, w) CF_REG(T, cap_reg, l, w)
#define ECAP(l, w) CF_REG(T, ecap_reg, l, w)
#define AT(m) CF_AT(T, m)

/* CAP.ND: 2^(4 + 2 * ND) domain ids; ND 7 is reserved. */
static const uint32_t nd_domains[8] = {
	1u << 4, 1u << 6, 1u << 8, 1u << 10, 1u << 12, 1u << 14, 1u << 16, 0,
};
/* SAGAW bit n: an (n + 2)-level table (the 2-level bit 0 is deprecated). */
static const char *const sagaw_names[] = { NULL, "39-bit", "48-bit", "57-bit" };
/* SLLPS: second-stage superpages; bits 2 and 3 (512G, 1T) are reserved. */
static const char *const sllps_names[] = { "2M", "1G" };

static const struct cap_field fields[] = {
	{ CF_RAWREG("cap_reg", J_HEX, T_HEXPAD), AT(cap_reg) },
	{ CF_RAWREG("ecap_reg", J_HEX, T_HEXPAD), AT(ecap_reg) },
	{ CF_RAWREG("flags", J_HEX, T_FLAGS), AT(flags) },
	{ CF_DEC("domains", J_INT, T_UINT), AT(domains), CAP(0, 3), CF_TABLE(nd_domains) },
	{ CF_DEC("sagaw", J_HEX, T_HEXNAMES), AT(sagaw), CAP(8, 5), CF_NAMES(sagaw_names) },
	/* bit n = n-level tables */
	{ CF_DEC("levels", J_BITLIST, T_HEX), AT(levels), CAP(8, 5), .map = MAP_SHL, .arg = 2,
	  .flags = CFF_VIEW },
	{ CF_DEC("mgaw", J_INT, T_BITS), AT(mgaw), CAP(16, 6), .map = MAP_ADD, .arg = 1 },
	{ CF_DEC("sllps", J_HEX, T_HEXNAMES), AT(sllps), CAP(34, 4), CF_NAMES(sllps_names) },
	{ CF_DEC("pss", J_INT, T_UINT), AT(pss), ECAP(35, 5) },
	/* the PASID size field means nothing without ECAP.PASID (§11.4.3) */
	{ CF_DEC("pasid_bits", J_INT, T_UINT), AT(pasid_bits), ECAP(35, 5), .map = MAP_ADD,
	  .arg = 1, .mask = IOASID_VTD_PASID, .flags = CFF_VIEW },
	{ CF_DEC("mamv", J_INT, T_UINT), AT(mamv), CAP(48, 6) },
	{ CF_DEC("mhmv", J_INT, T_UINT), AT(mhmv), ECAP(20, 4) },
	{ CF_BITF(IOASID_VTD_AFL, "afl"), CAP(3, 1) },
	{ CF_BITF(IOASID_VTD_RWBF, "rwbf"), CAP(4, 1) },
	{ CF_BITF(IOASID_VTD_PLMR, "plmr"), CAP(5, 1) },
	{ CF_BITF(IOASID_VTD_PHMR, "phmr"), CAP(6, 1) },
	{ CF_BITF(IOASID_VTD_CM, "cm"), CAP(7, 1) },
	{ CF_BITF(IOASID_VTD_ZLR, "zlr"), CAP(22, 1) },
	{ CF_BITF(IOASID_VTD_PSI, "psi"), CAP(39, 1) },
	{ CF_BITF(IOASID_VTD_DWD, "dwd"), CAP(54, 1) },
	{ CF_BITF(IOASID_VTD_DRD, "drd"), CAP(55, 1) },
	{ CF_BITF(IOASID_VTD_FL1GP, "fl1gp"), CAP(56, 1) },
	{ CF_BITF(IOASID_VTD_PI, "pi"), CAP(59, 1) },
	{ CF_BITF(IOASID_VTD_FL5LP, "fl5lp"), CAP(60, 1) },
	{ CF_BITF(IOASID_VTD_ECMDS, "ecmds"), CAP(61, 1) },
	{ CF_BITF(IOASID_VTD_ESIRTPS, "esirtps"), CAP(62, 1) },
	{ CF_BITF(IOASID_VTD_ESRTPS, "esrtps"), CAP(63, 1) },
	{ CF_BITF(IOASID_VTD_SP_2M, "sp_2m"), CAP(34, 1), .flags = CFF_VIEW },
	{ CF_BITF(IOASID_VTD_SP_1G, "sp_1g"), CAP(35, 1), .flags = CFF_VIEW },
	{ CF_BITF(IOASID_VTD_C, "c"), ECAP(0, 1) },
	{ CF_BITF(IOASID_VTD_QI, "qi"), ECAP(1, 1) },
	{ CF_BITF(IOASID_VTD_DT, "dt"), ECAP(2, 1) },
	{ CF_BITF(IOASID_VTD_IR, "ir"), ECAP(3, 1) },
	{ CF_BITF(IOASID_VTD_EIM, "eim"), ECAP(4, 1) },
	{ CF_BITF(IOASID_VTD_PT, "pt"), ECAP(6, 1) },
	{ CF_BITF(IOASID_VTD_SC, "sc"), ECAP(7, 1) },
	{ CF_BITF(IOASID_VTD_MTS, "mts"), ECAP(25, 1) },
	{ CF_BITF(IOASID_VTD_NEST, "nest"), ECAP(26, 1) },
	{ CF_BITF(IOASID_VTD_DIS, "dis"), ECAP(27, 1) },
	{ CF_BITF(IOASID_VTD_PRS, "prs"), ECAP(29, 1) },
	{ CF_BITF(IOASID_VTD_ERS, "ers"), ECAP(30, 1) },
	{ CF_BITF(IOASID_VTD_SRS, "srs"), ECAP(31, 1) },
	{ CF_BITF(IOASID_VTD_NWFS, "nwfs"), ECAP(33, 1) },
	{ CF_BITF(IOASID_VTD_EAFS, "eafs"), ECAP(34, 1) },
	{ CF_BITF(IOASID_VTD_PASID, "pasid"), ECAP(40, 1) },
	{ CF_BITF(IOASID_VTD_DIT, "dit"), ECAP(41, 1) },
	{ CF_BITF(IOASID_VTD_PDS, "pds"), ECAP(42, 1) },
	{ CF_BITF(IOASID_VTD_SMTS, "smts"), ECAP(43, 1) },
	{ CF_BITF(IOASID_VTD_VCS, "vcs"), ECAP(44, 1) },
	{ CF_BITF(IOASID_VTD_SLADS, "slads"), ECAP(45, 1) },
	{ CF_BITF(IOASID_VTD_SLTS, "slts"), ECAP(46, 1) },
	{ CF_BITF(IOASID_VTD_FLTS, "flts"), ECAP(47, 1) },
	{ CF_BITF(IOASID_VTD_SMPWC, "smpwc"), ECAP(48, 1) },
	{ CF_BITF(IOASID_VTD_RPS, "rps"), ECAP(49, 1) },
	{ CF_BITF(IOASID_VTD_PMS, "pms"), ECAP(51, 1) },
	{ CF_FLAGF("errata_772415_spr17", "erratum 772415 SPR17"), CF_REG(T, flags, 0, 1) },
};

const struct cap_desc vendor_vtd_cap = {
	.id = IOASID_CAP_VTD,
	.name = "vtd",
	.size = sizeof(T),
	.raw_heading = "REGISTER",
	.bits_off = offsetof(T, bits),
	.bits_v1 = IOASID_VTD_BITS_V1,
	.fields = fields,
	.nfields = CF_ARRAY_SIZE(fields),
};

static int vtd_derive(const void *cap, struct vendor_props *p, struct vendor_err *e)
{
	const T *c = cap;

	p->mask = VP_INPUT | VP_LEVELS | VP_PGSIZES | VP_PASID | VP_NESTING | VP_DIRTY |
		  VP_PRI | VP_ATS | VP_SCALABLE | VP_CACHING;
	p->input_width = c->mgaw;
	p->levels = c->levels;
	if (c->sllps & ~3u)
		return vendor_fail(e, &vendor_vtd_cap, offsetof(T, cap_reg),
				   "SLLPS 0x%x sets reserved bits (512G/1T)", c->sllps);
	p->page_sizes = VSZ_4K | (c->sllps & 1 ? VSZ_2M : 0) | (c->sllps & 2 ? VSZ_1G : 0);
	p->pasid_width = c->pasid_bits;
	p->nesting = c->bits & IOASID_VTD_NEST;
	p->dirty = c->bits & IOASID_VTD_SLADS; /* second-stage A/D bits */
	p->pri = c->bits & IOASID_VTD_PRS;
	p->ats = c->bits & IOASID_VTD_DT; /* device TLB */
	p->scalable = c->bits & IOASID_VTD_SMTS;
	p->caching = c->bits & IOASID_VTD_CM;
	return 0;
}

static void vtd_sync(const struct vendor_props *p, void *cap)
{
	T *c = cap;
	uint64_t b = c->bits & ~(IOASID_VTD_CM | IOASID_VTD_FL1GP | IOASID_VTD_FL5LP |
				 IOASID_VTD_DT | IOASID_VTD_NEST | IOASID_VTD_PRS |
				 IOASID_VTD_PASID | IOASID_VTD_SMTS | IOASID_VTD_SLADS |
				 IOASID_VTD_SLTS);

	/* SAGAW bit n = (n + 2)-level table */
	c->sagaw = (uint8_t)((p->levels >> 2) & 0x1f);
	c->mgaw = p->input_width;
	c->sllps = (p->page_sizes & VSZ_2M ? 1 : 0) | (p->page_sizes & VSZ_1G ? 2 : 0);
	c->pss = p->pasid_width ? p->pasid_width - 1 : 0;
	if (p->caching)
		b |= IOASID_VTD_CM;
	if (p->ats)
		b |= IOASID_VTD_DT;
	if (p->nesting)
		b |= IOASID_VTD_NEST;
	if (p->pri)
		b |= IOASID_VTD_PRS;
	if (p->pasid_width)
		b |= IOASID_VTD_PASID;
	if (p->dirty)
		b |= IOASID_VTD_SLADS;
	/*
	 * Scalable mode brings second-stage tables (SLTS); first-stage tables
	 * (FLTS) are an implementation choice kept from the template, except
	 * that nesting needs them and legacy mode has neither. The first-stage
	 * large-page and 5-level bits follow the generic fields.
	 */
	if (p->scalable) {
		b |= IOASID_VTD_SMTS | IOASID_VTD_SLTS;
		if (p->nesting)
			b |= IOASID_VTD_FLTS;
	} else {
		b &= ~IOASID_VTD_FLTS;
	}
	if (b & IOASID_VTD_FLTS) {
		if (p->page_sizes & VSZ_1G)
			b |= IOASID_VTD_FL1GP;
		if (p->levels & (1u << 5))
			b |= IOASID_VTD_FL5LP;
	}
	c->bits = b;
}

static void vtd_domain(const void *cap, struct vendor_domain *v)
{
	const T *d = cap;
	unsigned int lvl_bits = 0, l;

	/* scalable mode with first-stage tables: paging domains use first stage */
	if ((d->bits & IOASID_VTD_SMTS) && (d->bits & IOASID_VTD_FLTS)) {
		v->pgsizes = VSZ_4K | VSZ_2M | ((d->bits & IOASID_VTD_FL1GP) ? VSZ_1G : 0);
		v->in_bits = (d->bits & IOASID_VTD_FL5LP) ? 57 : 48;
	} else {
		v->pgsizes = VSZ_4K | ((d->sllps & 1) ? VSZ_2M : 0) | ((d->sllps & 2) ? VSZ_1G : 0);
		for (l = 3; l <= 5; l++)
			if (d->levels & (1u << l))
				lvl_bits = 12 + 9 * l;
		v->in_bits = lvl_bits && lvl_bits < d->mgaw ? lvl_bits : d->mgaw;
	}
	/* no register holds the host address width: MGAW is its closest bound */
	v->out_bits = d->mgaw;
	if ((d->bits & IOASID_VTD_NEST) && (d->bits & IOASID_VTD_SMTS)) {
		v->nesting = true;
		v->vendor_s1 = IOASID_HWPT_NESTED_VTD_S1;
	}
	v->fl_levels = (1u << 4) | ((d->bits & IOASID_VTD_FL5LP) ? 1u << 5 : 0);
	v->pri = d->bits & IOASID_VTD_PRS;
	v->ats = d->bits & IOASID_VTD_DT;
	v->stall_known = true;
	v->pasid_hwpt = true; /* the Intel driver takes ALLOC_PASID on any device */
	v->pasid_any_dev = true;
}

static const struct vendor_prop_reg prop_regs[] = {
	{ VP_INPUT | VP_LEVELS | VP_PGSIZES | VP_CACHING, offsetof(T, cap_reg), false },
	{ VP_ALL, offsetof(T, ecap_reg), false },
};

/*
 * SAGAW defines 3-, 4- and 5-level tables (39/48/57 bits; the 2-level
 * encoding is deprecated since VT-d 3.0). Second-stage leaves are 4 KiB,
 * 2 MiB and 1 GiB (SLLPS bits 2-3 are reserved). The output is the host
 * address width of an x86-64 machine: MAXPHYADDR is at least 36 and page
 * table entries hold at most 52 address bits.
 */
static const struct vendor_limits limits = {
	.in_min = 32,
	.in_max = 57,
	.out_min = 36,
	.out_max = 52,
	.levels = 0x38,
	.page_sizes = VSZ_4K | VSZ_2M | VSZ_1G,
};

/* intel_iommu_get_resv_regions(): the IOAPIC/MSI range. */
static const struct vendor_resv resv[] = { { VX86_MSI_START, VX86_MSI_LAST, IOASID_RESV_MSI },
					   { 0 } };

static const struct vendor_profile_reg profile_regs[] = {
	{ "cap_reg", NULL },
	{ "ecap_reg", NULL },
	{ NULL, NULL },
};

static int vtd_check(const struct vendor_props *p, const void *cap, struct vendor_err *e)
{
	char b[200];

	(void)cap;
	if (!(p->page_sizes & VSZ_4K))
		return vendor_fail_key(e, "page_sizes", "%s lacks 4K, the VT-d base page",
				       vendor_pgsizes_desc(p->page_sizes, b, sizeof(b)));
	/* VT-d 3.0+: PASIDs, nesting, A/D bits and PRS need scalable mode. */
	if (p->scalable)
		return 0;
	if (p->pasid_width)
		return vendor_fail_key(e, "pasid_width", "%u, but PASIDs need scalable_mode",
				       p->pasid_width);
	if (p->nesting)
		return vendor_fail_key(e, "nesting", "true, but nesting needs scalable_mode");
	if (p->dirty)
		return vendor_fail_key(e, "dirty_tracking",
				       "true, but second-stage dirty bits need scalable_mode");
	if (p->pri)
		return vendor_fail_key(e, "pri", "true, but page requests need scalable_mode");
	return 0;
}

const struct vendor_model vendor_vtd = {
	.name = "vtd",
	.cap = &vendor_vtd_cap,
	.derive = vtd_derive,
	.sync = vtd_sync,
	.domain = vtd_domain,
	.prop_regs = prop_regs,
	.limits = &limits,
	.resv = resv,
	.profile_regs = profile_regs,
	.check = vtd_check,
};
