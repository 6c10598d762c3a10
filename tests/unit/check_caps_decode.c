/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vendor register decoders against registers computed by hand from
 * the specs (caps-chain.h), and the names of ids, sources, region types
 * and decoded bits.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <check.h>

#include <ioasid/caps.h>

#include "caps-chain.h"
#include "suites.h"

START_TEST(test_decode_vtd_qemu)
{
	struct ioasid_cap_vtd v = { .cap_reg = QEMU_VTD_CAP, .ecap_reg = QEMU_VTD_ECAP };

	ck_assert_int_eq(ioasid_cap_vtd_decode(&v), 0);
	ck_assert_uint_eq(v.domains, 65536);  /* ND 6: 2^(4+12) */
	ck_assert_uint_eq(v.sagaw, 0x2);      /* 39-bit only */
	ck_assert_uint_eq(v.levels, 1u << 3); /* 3-level */
	ck_assert_uint_eq(v.mgaw, 39);
	ck_assert_uint_eq(v.sllps, 0x3);
	ck_assert_uint_eq(v.mamv, 18);
	ck_assert_uint_eq(v.pss, 0);
	ck_assert_uint_eq(v.pasid_bits, 0);
	ck_assert_uint_eq(v.mhmv, 0);
	ck_assert_uint_eq(v.bits, IOASID_VTD_PSI | IOASID_VTD_DWD | IOASID_VTD_DRD |
					  IOASID_VTD_SP_2M | IOASID_VTD_SP_1G | IOASID_VTD_QI |
					  IOASID_VTD_PT);
	ck_assert(!(v.bits & IOASID_VTD_CM));
	ck_assert(!(v.bits & IOASID_VTD_SMTS));
	ck_assert_int_eq(ioasid_cap_vtd_decode(NULL), -EINVAL);
}
END_TEST

START_TEST(test_decode_vtd_scalable)
{
	struct ioasid_cap_vtd v = { .cap_reg = SM_VTD_CAP, .ecap_reg = SM_VTD_ECAP };

	ioasid_cap_vtd_decode(&v);
	ck_assert_uint_eq(v.domains, 65536);
	ck_assert_uint_eq(v.sagaw, 0x6);
	ck_assert_uint_eq(v.levels, (1u << 3) | (1u << 4)); /* 3- and 4-level */
	ck_assert_uint_eq(v.mgaw, 57);
	ck_assert_uint_eq(v.pss, 19);
	ck_assert_uint_eq(v.pasid_bits, 20);
	ck_assert_uint_eq(v.bits, IOASID_VTD_CM | IOASID_VTD_PSI | IOASID_VTD_SP_2M |
					  IOASID_VTD_SP_1G | IOASID_VTD_FL1GP | IOASID_VTD_FL5LP |
					  IOASID_VTD_C | IOASID_VTD_QI | IOASID_VTD_DT |
					  IOASID_VTD_NEST | IOASID_VTD_PRS | IOASID_VTD_PASID |
					  IOASID_VTD_SMTS | IOASID_VTD_SLADS | IOASID_VTD_SLTS |
					  IOASID_VTD_FLTS);

	/* Reserved ND 7 decodes to 0 domains; PSS alone gives no PASID. */
	v.cap_reg = 7;
	v.ecap_reg = UINT64_C(19) << 35;
	ioasid_cap_vtd_decode(&v);
	ck_assert_uint_eq(v.domains, 0);
	ck_assert_uint_eq(v.pss, 19);
	ck_assert_uint_eq(v.pasid_bits, 0);
	ck_assert_uint_eq(v.mgaw, 1);
	ck_assert_uint_eq(v.bits, 0);
	/* All ones: every known bit, and nothing else. */
	v.cap_reg = v.ecap_reg = ~UINT64_C(0);
	ioasid_cap_vtd_decode(&v);
	ck_assert_uint_eq(v.bits, IOASID_VTD_BITS_V1);
	ck_assert_uint_eq(v.levels, 0x1f << 2);
	ck_assert_uint_eq(v.mgaw, 64);
	ck_assert_uint_eq(v.pasid_bits, 32);
}
END_TEST

START_TEST(test_decode_smmuv3)
{
	struct ioasid_cap_smmuv3 s;

	memset(&s, 0xaa, sizeof(s));
	memcpy(s.idr, SMMU_IDR, sizeof(s.idr));
	ck_assert_int_eq(ioasid_cap_smmuv3_decode(&s), 0);
	ck_assert_uint_eq(s.st_level, 1);
	ck_assert_uint_eq(s.stall_model, 1);
	ck_assert_uint_eq(s.ttf, 2);
	ck_assert_uint_eq(s.ttendian, 0);
	ck_assert_uint_eq(s.httu, 2);
	ck_assert_uint_eq(s.sidsize, 16);
	ck_assert_uint_eq(s.ssidsize, 20);
	ck_assert_uint_eq(s.oas_bits, 48);
	ck_assert_uint_eq(s.va_bits, 52);
	ck_assert_uint_eq(s.bbml, 2);
	ck_assert_uint_eq(s.pad, 0);
	for (size_t i = 0; i < sizeof(s.pad2); i++)
		ck_assert_uint_eq(s.pad2[i], 0);
	/* STALL_MODEL 1: no stall; HTTU 2: access and dirty. */
	ck_assert_uint_eq(s.bits, IOASID_SMMUV3_S2P | IOASID_SMMUV3_S1P |
					  IOASID_SMMUV3_TTF_AARCH64 | IOASID_SMMUV3_COHACC |
					  IOASID_SMMUV3_HA | IOASID_SMMUV3_HD | IOASID_SMMUV3_ATS |
					  IOASID_SMMUV3_ASID16 | IOASID_SMMUV3_PRI |
					  IOASID_SMMUV3_VMID16 | IOASID_SMMUV3_CD2L |
					  IOASID_SMMUV3_TERM_MODEL | IOASID_SMMUV3_RIL |
					  IOASID_SMMUV3_GRAN4K | IOASID_SMMUV3_GRAN64K);

	/* Stall forced, HTTU access only, OAS 7 and VAX 2 reserved. */
	memset(s.idr, 0, sizeof(s.idr));
	s.idr[0] = (2u << 24) | (1u << 6) | (3u << 2);
	s.idr[5] = 7 | (2u << 10) | (1u << 3);
	ioasid_cap_smmuv3_decode(&s);
	ck_assert_uint_eq(s.bits, IOASID_SMMUV3_STALL | IOASID_SMMUV3_STALL_FORCE |
					  IOASID_SMMUV3_HA | IOASID_SMMUV3_TTF_AARCH32 |
					  IOASID_SMMUV3_TTF_AARCH64 | IOASID_SMMUV3_DS);
	ck_assert_uint_eq(s.oas_bits, 0);
	ck_assert_uint_eq(s.va_bits, 0);
	ck_assert_uint_eq(s.ttf, 3);
	ck_assert_int_eq(ioasid_cap_smmuv3_decode(NULL), -EINVAL);
}
END_TEST

START_TEST(test_decode_amd)
{
	struct ioasid_cap_amd a;

	memset(&a, 0xaa, sizeof(a));
	a.efr = AMD_EFR;
	a.efr2 = AMD_EFR2;
	ck_assert_int_eq(ioasid_cap_amd_decode(&a), 0);
	ck_assert_uint_eq(a.hats, 1);
	ck_assert_uint_eq(a.host_levels, 5);
	ck_assert_uint_eq(a.gats, 1);
	ck_assert_uint_eq(a.guest_levels, 5);
	ck_assert_uint_eq(a.glx, 1);
	ck_assert_uint_eq(a.pasmax, 15);
	ck_assert_uint_eq(a.pasid_bits, 16);
	ck_assert_uint_eq(a.snp_avic, 1);
	ck_assert_uint_eq(a.num_int_remap, 1);
	for (size_t i = 0; i < sizeof(a.pad); i++)
		ck_assert_uint_eq(a.pad[i], 0);
	ck_assert_uint_eq(a.bits, IOASID_AMD_PPR | IOASID_AMD_NX | IOASID_AMD_GT | IOASID_AMD_IA |
					  IOASID_AMD_GA | IOASID_AMD_HE | IOASID_AMD_PC |
					  IOASID_AMD_GIO | IOASID_AMD_HA | IOASID_AMD_HD);

	/* HATS 3 and GATS 2 are reserved; PASmax without GTSup means none. */
	a.efr = (UINT64_C(3) << 10) | (UINT64_C(2) << 12) | (UINT64_C(19) << 32);
	a.efr2 = UINT64_C(1) << 11;
	ioasid_cap_amd_decode(&a);
	ck_assert_uint_eq(a.host_levels, 0);
	ck_assert_uint_eq(a.guest_levels, 0);
	ck_assert_uint_eq(a.pasid_bits, 0);
	ck_assert_uint_eq(a.bits, IOASID_AMD_HTRANGE_IGNORE);
	a.efr = a.efr2 = ~UINT64_C(0);
	ioasid_cap_amd_decode(&a);
	ck_assert_uint_eq(a.bits, IOASID_AMD_BITS_V1);
	ck_assert_int_eq(ioasid_cap_amd_decode(NULL), -EINVAL);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(ioasid_cap_id_name(IOASID_CAP_VTD), "vtd");
	ck_assert_str_eq(ioasid_cap_id_name(IOASID_CAP_VIRTIO_IOMMU), "virtio_iommu");
	ck_assert_ptr_null(ioasid_cap_id_name(0x4242));
	ck_assert_str_eq(ioasid_cap_source_name(IOASID_CAP_SRC_DERIVED), "derived");
	ck_assert_ptr_null(ioasid_cap_source_name(0));
	ck_assert_str_eq(ioasid_resv_type_name(IOASID_RESV_SW_MSI), "sw_msi");
	ck_assert_ptr_null(ioasid_resv_type_name(0));
	ck_assert_str_eq(ioasid_cap_bit_name(IOASID_CAP_FEATURES, 1), "dirty_tracking");
	ck_assert_str_eq(ioasid_cap_bit_name(IOASID_CAP_VTD, 35), "smts");
	ck_assert_str_eq(ioasid_cap_bit_name(IOASID_CAP_SMMUV3, 33), "gran4k");
	ck_assert_str_eq(ioasid_cap_bit_name(IOASID_CAP_AMD, 13), "hd");
	ck_assert_str_eq(ioasid_cap_bit_name(IOASID_CAP_VIRTIO_IOMMU, 6), "bypass_config");
	ck_assert_ptr_null(ioasid_cap_bit_name(IOASID_CAP_VTD, 63));
	ck_assert_ptr_null(ioasid_cap_bit_name(IOASID_CAP_PASID, 0));
	/* Every bit inside a vendor's V1 mask has a name, none outside. */
	for (unsigned int i = 0; i < 64; i++) {
		ck_assert_int_eq(!!ioasid_cap_bit_name(IOASID_CAP_VTD, i),
				 !!((IOASID_VTD_BITS_V1 >> i) & 1));
		ck_assert_int_eq(!!ioasid_cap_bit_name(IOASID_CAP_SMMUV3, i),
				 !!((IOASID_SMMUV3_BITS_V1 >> i) & 1));
		ck_assert_int_eq(!!ioasid_cap_bit_name(IOASID_CAP_AMD, i),
				 !!((IOASID_AMD_BITS_V1 >> i) & 1));
		ck_assert_int_eq(!!ioasid_cap_bit_name(IOASID_CAP_FEATURES, i),
				 !!((IOASID_FEAT_ALL >> i) & 1));
	}
}
END_TEST

/* ------------------------------------------------------------------------ */
/* JSON                                                                     */

Suite *caps_decode_suite(void)
{
	Suite *s = suite_create("caps_decode");
	TCase *tc;

	tc = tcase_create("decode");
	tcase_add_test(tc, test_decode_vtd_qemu);
	tcase_add_test(tc, test_decode_vtd_scalable);
	tcase_add_test(tc, test_decode_smmuv3);
	tcase_add_test(tc, test_decode_amd);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);

	return s;
}
