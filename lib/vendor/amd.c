/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AMD IOMMU: the Extended Feature Registers EFR and EFR2 (AMD IOMMU spec,
 * pub. 48882, MMIO 0x30 and 0x1a0), and what they mean for a profile and
 * for a Linux domain.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "amd.h"
#include "model.h"

#define T struct ioasid_cap_amd
#define EFR(l, w) CF_REG(T, efr, l, w)
#define EFR2(l, w) CF_REG(T, efr2, l, w)
#define AT(m) CF_AT(T, m)

/* HATS 0/1/2: 4/5/6-level host (v1) tables; 3 is reserved. */
static const uint32_t hats_levels[4] = { 4, 5, 6, 0 };
/* GATS 0/1: 4/5-level guest (v2) tables; 2 and 3 are reserved. */
static const uint32_t gats_levels[4] = { 4, 5, 0, 0 };

static const struct cap_field fields[] = {
	{ CF_RAWREG("efr", J_HEX, T_HEXPAD), AT(efr) },
	{ CF_RAWREG("efr2", J_HEX, T_HEXPAD), AT(efr2) },
	{ CF_DEC("hats", J_INT, T_UINT), AT(hats), EFR(10, 2) },
	{ CF_DEC("gats", J_INT, T_UINT), AT(gats), EFR(12, 2) },
	/* GLXSup: 0 one-level, 1 two-level GCR3 tables */
	{ CF_DEC("glx", J_INT, T_UINT), AT(glx), EFR(14, 2) },
	{ CF_DEC("pasmax", J_INT, T_UINT), AT(pasmax), EFR(32, 5) },
	{ CF_DEC("host_levels", J_INT, T_UINT), AT(host_levels), EFR(10, 2),
	  CF_TABLE(hats_levels), .flags = CFF_VIEW },
	{ CF_DEC("guest_levels", J_INT, T_UINT), AT(guest_levels), EFR(12, 2),
	  CF_TABLE(gats_levels), .flags = CFF_VIEW },
	/* PASmax is the largest PASID's width minus one; PASIDs need GTSup */
	{ CF_DEC("pasid_bits", J_INT, T_UINT), AT(pasid_bits), EFR(32, 5), .map = MAP_ADD,
	  .arg = 1, .mask = IOASID_AMD_GT, .flags = CFF_VIEW },
	{ CF_DEC("snp_avic", J_INT, T_UINT), AT(snp_avic), EFR2(5, 3) },
	/* 0: 512 interrupt remapping entries per device, 1: 2048 */
	{ CF_DEC("num_int_remap", J_INT, T_UINT), AT(num_int_remap), EFR2(8, 2) },
	{ CF_BITF(IOASID_AMD_PREF, "pref"), EFR(0, 1) },
	{ CF_BITF(IOASID_AMD_PPR, "ppr"), EFR(1, 1) },
	{ CF_BITF(IOASID_AMD_XT, "xt"), EFR(2, 1) },
	{ CF_BITF(IOASID_AMD_NX, "nx"), EFR(3, 1) },
	{ CF_BITF(IOASID_AMD_GT, "gt"), EFR(4, 1) },
	{ CF_BITF(IOASID_AMD_IA, "ia"), EFR(6, 1) },
	{ CF_BITF(IOASID_AMD_GA, "ga"), EFR(7, 1) },
	{ CF_BITF(IOASID_AMD_HE, "he"), EFR(8, 1) },
	{ CF_BITF(IOASID_AMD_PC, "pc"), EFR(9, 1) },
	{ CF_BITF(IOASID_AMD_GAM_VAPIC, "gam_vapic"), EFR(21, 1) },
	{ CF_BITF(IOASID_AMD_GIO, "gio"), EFR(48, 1) },
	{ CF_BITF(IOASID_AMD_HA, "ha"), EFR(49, 1) },
	{ CF_BITF(IOASID_AMD_EPH, "eph"), EFR(50, 1) },
	{ CF_BITF(IOASID_AMD_HD, "hd"), EFR(52, 1) },
	{ CF_BITF(IOASID_AMD_SNP, "snp"), EFR(63, 1) },
	{ CF_BITF(IOASID_AMD_SEVSNPIO, "sevsnpio"), EFR2(1, 1) },
	{ CF_BITF(IOASID_AMD_GCR3TRP, "gcr3trp"), EFR2(3, 1) },
	{ CF_BITF(IOASID_AMD_HTRANGE_IGNORE, "htrange_ignore"), EFR2(11, 1) },
	{ CF_PADDING(T, pad) },
};

const struct cap_desc vendor_amd_cap = {
	.id = IOASID_CAP_AMD,
	.name = "amd",
	.size = sizeof(T),
	.raw_heading = "REGISTER",
	.bits_off = offsetof(T, bits),
	.bits_v1 = IOASID_AMD_BITS_V1,
	.fields = fields,
	.nfields = CF_ARRAY_SIZE(fields),
};

/*
 * What Linux makes of the feature bits (drivers/iommu/amd/amd_iommu.h and
 * iommu.c), which a register alone does not say: v2 (guest) tables need
 * GTSup and GIOSup; PASIDs and page requests need those and PPRSup and
 * EPHSup (amd_iommu_gt_ppr_supported(), which amd_iommu_pasid_supported()
 * and the PPR log's set-up ask); a nest parent needs GTSup, GIOSup and
 * EFR2 GCR3TRPMode (is_nest_parent_supported()).
 */
#define AMD_V2_BITS (IOASID_AMD_GT | IOASID_AMD_GIO)
#define AMD_PASID_BITS (AMD_V2_BITS | IOASID_AMD_PPR | IOASID_AMD_EPH)
#define AMD_NEST_BITS (AMD_V2_BITS | IOASID_AMD_GCR3TRP)

static bool amd_has(uint64_t bits, uint64_t want)
{
	return (bits & want) == want;
}

static int amd_derive(const void *cap, struct vendor_props *p, struct vendor_err *e)
{
	const T *c = cap;

	p->mask = VP_LEVELS | VP_PASID | VP_NESTING | VP_DIRTY | VP_PRI;
	if (!c->host_levels)
		return vendor_fail(e, &vendor_amd_cap, offsetof(T, efr),
				   "HATS encoding %u is reserved (efr 0x%016" PRIx64 ")",
				   c->hats, c->efr);
	/* v1 tables may be 1 up to HATS + 4 levels deep */
	p->levels = (uint8_t)(((1u << (c->host_levels + 1)) - 1) & ~1u);
	p->nesting = amd_has(c->bits, AMD_NEST_BITS);
	p->pasid_width = amd_has(c->bits, AMD_PASID_BITS) ? c->pasid_bits : 0;
	p->dirty = c->bits & IOASID_AMD_HD;
	p->pri = amd_has(c->bits, AMD_PASID_BITS);
	return 0;
}

/* The deepest table of @levels (bit n = n levels); 0: none. */
static unsigned int deepest(uint8_t levels)
{
	unsigned int top = 0;

	for (unsigned int l = 1; l < 8; l++)
		if (levels & (1u << l))
			top = l;
	return top;
}

static void amd_sync(const struct vendor_props *p, void *cap)
{
	T *c = cap;
	uint64_t b = c->bits & ~IOASID_AMD_HD;
	unsigned int top = deepest(p->levels);

	/*
	 * Set what a feature needs; for one that is off, clear the bit only it
	 * needs (EPHSup, GCR3TRPMode) and only if all were there, so registers
	 * that already leave it off (QEMU's GTSup without GIOSup) stay as they are.
	 */
	if (p->pri || p->pasid_width)
		b |= AMD_PASID_BITS;
	else if (amd_has(b, AMD_PASID_BITS))
		b &= ~IOASID_AMD_EPH;
	if (p->nesting)
		b |= AMD_NEST_BITS;
	else if (amd_has(b, AMD_NEST_BITS))
		b &= ~IOASID_AMD_GCR3TRP;
	c->pasmax = p->pasid_width ? p->pasid_width - 1 : 0;
	/* the deepest v1 table; anything else gets the reserved HATS 3 the checks refuse */
	c->host_levels = vendor_field_holds(&vendor_amd, "host_levels", top) ? top : 0;
	if (p->dirty)
		b |= IOASID_AMD_HD;
	c->bits = b;
}

static void amd_domain(const void *cap, struct vendor_domain *v)
{
	const T *d = cap;

	v->pgsizes = VSZ_4K | VSZ_2M | VSZ_1G;
	if (d->host_levels)
		v->in_bits = 12u + 9u * d->host_levels < 64u ? 12u + 9u * d->host_levels : 64u;
	v->pri = amd_has(d->bits, AMD_PASID_BITS);
	v->stall_known = true;
	/*
	 * A nest parent; the guest's DTE nests only through a vIOMMU (AMD has
	 * no domain_alloc_nested outside its vIOMMU ops), so no vendor_s1.
	 */
	v->nesting = amd_has(d->bits, AMD_NEST_BITS);
	/* v2 tables, which need PASID support */
	v->pasid_hwpt = amd_has(d->bits, AMD_PASID_BITS) ? d->pasid_bits : 0;
	/*
	 * amd_iommu_domain_alloc_paging_flags(): v1 by default (the kernel's
	 * amd_iommu_pgtable default), for a nesting parent and for dirty
	 * tracking (EFR HDSup); an IOMMU_HWPT_ALLOC_PASID domain is v2 (when
	 * the IOMMU has PASIDs) and takes no other flag.
	 */
	v->pt_format = VENDOR_PT_AMD_V1;
	v->pt_parent_format = VENDOR_PT_AMD_V1;
	if (d->bits & IOASID_AMD_HD)
		v->pt_dirty_format = VENDOR_PT_AMD_V1;
	if (d->pasid_bits)
		v->pt_pasid_format = VENDOR_PT_AMD_V2;
	/*
	 * Its depth is amd_iommu_gpt_level: 5 levels where EFR.GATS says so
	 * (Linux also asks the CPU for LA57, which the sim takes as there).
	 */
	v->pt_pasid_in_bits = d->guest_levels == 5 ? 57 : 48;
	v->pt_pasid_alone = true;
}

static const struct vendor_prop_reg prop_regs[] = {
	{ VP_ALL, offsetof(T, efr), false },
};

/*
 * v1 tables have 1..6 levels (64-bit at 6); the output is an x86-64 host
 * address: MAXPHYADDR at least 36, page table entries at most 52 bits.
 */
static const struct vendor_limits limits = {
	.in_min = 32,
	.in_max = 64,
	.out_min = 36,
	.out_max = 52,
	.levels = 0x7e,
	.page_sizes = VENDOR_PGSIZES_ANY,
};

/* amd_iommu_get_resv_regions(): the MSI window and the HyperTransport hole. */
static const struct vendor_resv resv[] = {
	{ VX86_MSI_START, VX86_MSI_LAST, IOASID_RESV_MSI },
	{ UINT64_C(0xfd00000000), UINT64_C(0xffffffffff), IOASID_RESV_RESERVED },
	{ 0 },
};

static const struct vendor_profile_reg profile_regs[] = {
	{ "efr", NULL },
	{ "efr2", NULL },
	{ NULL, NULL },
};

static int amd_check(const struct vendor_props *p, const void *cap, struct vendor_err *e)
{
	unsigned int top = deepest(p->levels);
	char b[64];

	/* v1 tables may be any depth from 1 up to HATS + 4 */
	if (top < 4 || p->levels != (uint8_t)(((1u << (top + 1)) - 1) & ~1u))
		return vendor_fail_key(e, "levels",
				       "%s; AMD v1 tables take every depth from 1 up to 4, 5 or 6 (EFR.HATS)",
				       vendor_levels_str(p->levels, b, sizeof(b)));
	if (p->pri != (p->pasid_width > 0))
		return vendor_fail_key(e, "pri",
				       "%s with pasid_width %u; on AMD page requests and PASIDs both need EFR GTSup, GIOSup, PPRSup and EPHSup (Linux's amd_iommu_gt_ppr_supported()), so they go together",
				       p->pri ? "true" : "false", p->pasid_width);
	/*
	 * A reserved GATS is taken, not refused: QEMU's amd-iommu sets GATS 2,
	 * and Linux reads every GATS but 1 as 4-level guest tables (init.c), as
	 * the sim does; the decoded guest_levels stays 0 to show the encoding.
	 */
	return 0;
}

const struct vendor_model vendor_amd = {
	.name = "amd",
	.cap = &vendor_amd_cap,
	.derive = amd_derive,
	.sync = amd_sync,
	.domain = amd_domain,
	.prop_regs = prop_regs,
	.limits = &limits,
	.resv = resv,
	.profile_regs = profile_regs,
	.check = amd_check,
};

/* ------------------------------------------------------------------------ */
/* A guest DTE for a nested domain                                          */

/* The GCR3 table root, bits 51:12, from its three pieces (14:12, 30:15, 51:31). */
static uint64_t gdte_gcr3_root(const uint64_t dte[4])
{
	return AMD_GET(dte[0], 60, 58) << 12 | AMD_GET(dte[1], 31, 16) << 15 |
	       AMD_GET(dte[1], 63, 43) << 31;
}

static int gdte_fail(struct vendor_err *e, unsigned int word, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int gdte_fail(struct vendor_err *e, unsigned int word, int err, const char *fmt, ...)
{
	va_list ap;

	snprintf(e->reg, sizeof(e->reg), "dte[%u]", word);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return err;
}

/*
 * validate_gdte_nested() of drivers/iommu/amd/nested.c, check for check:
 * the host owns the v1 table (Mode and its root must be zero), a valid
 * guest translation needs a GCR3 table, GuestPagingMode 0 or 1, GLX 3 is
 * reserved, and 5 levels only where the host has them. Nothing else of
 * the guest's DTE is looked at: set_dte_nested() takes only the fields of
 * struct vendor_amd_gdte.
 */
int vendor_amd_gdte_check(const uint64_t dte[4], unsigned int guest_levels,
			  struct vendor_amd_gdte *ret, struct vendor_err *e)
{
	unsigned int gpt = (unsigned int)(dte[2] >> AMD_DTE2_GPT_SHIFT) & 3u;
	unsigned int glx = (unsigned int)(dte[0] >> AMD_DTE0_GLX_SHIFT) & 3u;
	uint64_t root = gdte_gcr3_root(dte);

	if (dte[0] & AMD_DTE0_MODE)
		return gdte_fail(e, 0, -EINVAL,
				 "Mode %u (bits 11:9, 0x%016" PRIx64
				 "): the host owns the v1 table, a guest DTE must leave Mode 0",
				 (unsigned int)AMD_GET(dte[0], 11, 9), dte[0]);
	if (dte[0] & AMD_DTE0_HOST_TRP)
		return gdte_fail(e, 0, -EINVAL,
				 "host page table root 0x%" PRIx64
				 " (bits 51:12): a guest DTE must leave it 0",
				 dte[0] & AMD_DTE0_HOST_TRP);
	if ((dte[0] & AMD_DTE0_V) && (dte[0] & AMD_DTE0_GV) && !root)
		return gdte_fail(e, 1, -EINVAL,
				 "V and GV set with a zero GCR3 table root pointer (0x%016" PRIx64
				 ", 0x%016" PRIx64 ")",
				 dte[0], dte[1]);
	if (gpt > 1)
		return gdte_fail(e, 2, -EINVAL,
				 "GuestPagingMode %u (bits 183:182): only 0 (4 levels) and 1 (5 levels) are defined",
				 gpt);
	if (glx == 3)
		return gdte_fail(e, 0, -EINVAL, "GLX 3 (bits 57:56) is reserved");
	if (gpt == 1 && guest_levels < 5)
		return gdte_fail(e, 2, -EOPNOTSUPP,
				 "GuestPagingMode 1 (5-level guest tables): this IOMMU's guest tables have %u levels (EFR.GATS)",
				 guest_levels);
	ret->gcr3_root = root;
	ret->gcr3_levels = glx + 1;
	ret->gpt_levels = gpt ? 5 : 4;
	ret->gdom_id = (uint16_t)(dte[1] & AMD_DTE1_DOMID);
	ret->giov = dte[0] & AMD_DTE0_GIOV;
	ret->ppr = dte[0] & AMD_DTE0_PPR;
	return 0;
}
