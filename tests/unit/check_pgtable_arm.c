/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Arm VMSAv8-64 formats of the sim's page tables (pgtable-arm.c), 4 KiB
 * granule. The descriptors are known-answer numbers written from the Arm
 * ARM's bit layouts (D8.3), not from our encoder: type in bits 1:0 (0b11
 * table/page, 0b01 block), stage 1 AttrIndx 4:2, AP[2:1] 7:6, SH 9:8,
 * AF 10, nG 11, DBM 51, PXN 53, UXN 54, APTable 62:61; stage 2 MemAttr
 * 5:2, S2AP 7:6, XN 54. Walks of hand-built tables, then the encoder's
 * bytes, splits and the DBM dirty state; then an smmuv3 profile's HWPTs.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "suites.h"
#include "pgtable-entries.h"
#include "core/dev-private.h"
#include "core/hwpt-private.h"
#include "backend/sim/sim-private.h"

/*
 * Tables from Arm level 0 (ours 4) down to our @leaf_level for @iova, the
 * table descriptors being @tbl_bits | address, and @leaf at the bottom.
 */
static uint64_t build(uint64_t iova, unsigned int leaf_level, uint64_t tbl_bits, uint64_t leaf,
		      uint64_t **ret_leaf_table)
{
	uint64_t *t[6];
	unsigned int l;

	for (l = 4; l >= leaf_level; l--)
		t[l] = page();
	for (l = 4; l > leaf_level; l--)
		put(t[l], idx_of(iova, l), (uint64_t)(uintptr_t)t[l - 1] | tbl_bits);
	put(t[leaf_level], idx_of(iova, leaf_level), leaf);
	if (ret_leaf_table)
		*ret_leaf_table = t[leaf_level];
	return (uint64_t)(uintptr_t)t[4];
}

static int walk(enum sim_pt_format f, uint64_t root, uint64_t iova, unsigned int flags,
		struct sim_pt_result *r)
{
	struct sim_pt_walker w = { .format = f, .levels = 4 };

	return sim_pt_walk(&w, root, iova, flags, r);
}

#define IOVA UINT64_C(0x0000123456789000)
#define OA UINT64_C(0x0000000abcdef000)

START_TEST(test_s2_descriptors)
{
	struct sim_pt_result r;
	uint64_t root, *lt;

	/* page, S2AP = RW, AF: 0x4c3 */
	root = build(IOVA, 1, 0x3, OA | 0x4c3, &lt);
	ck_assert_int_eq(walk(SIM_PT_ARM_S2, root, IOVA + 0x123, SIM_PT_R | SIM_PT_W, &r), 0);
	ck_assert_uint_eq(r.oa, OA + 0x123);
	ck_assert_uint_eq(r.page_size, K4);
	ck_assert_uint_eq(r.reads, 4);
	/* S2AP = 01: read only */
	put(lt, idx_of(IOVA, 1), OA | 0x443);
	ck_assert_int_eq(walk(SIM_PT_ARM_S2, root, IOVA, SIM_PT_R, &r), 0);
	ck_assert_int_eq(walk(SIM_PT_ARM_S2, root, IOVA, SIM_PT_W, &r), -EACCES);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_PERM);
	/* S2AP = 10: write only */
	put(lt, idx_of(IOVA, 1), OA | 0x483);
	ck_assert_int_eq(walk(SIM_PT_ARM_S2, root, IOVA, SIM_PT_W, &r), 0);
	ck_assert_int_eq(walk(SIM_PT_ARM_S2, root, IOVA, SIM_PT_R, &r), -EACCES);
	/* type 0b01 at level 3 is invalid, not a block */
	put(lt, idx_of(IOVA, 1), OA | 0x4c1);
	ck_assert_int_eq(walk(SIM_PT_ARM_S2, root, IOVA, SIM_PT_R, &r), -ENOENT);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_NOT_PRESENT);
	ck_assert_uint_eq(r.fault_level, 1);
	/* XN (bit 54) refuses execute only */
	put(lt, idx_of(IOVA, 1), OA | 0x4c3 | UINT64_C(0x0040000000000000));
	ck_assert_int_eq(walk(SIM_PT_ARM_S2, root, IOVA, SIM_PT_R | SIM_PT_X, &r), -EACCES);
	ck_assert_int_eq(walk(SIM_PT_ARM_S2, root, IOVA, SIM_PT_R | SIM_PT_U, &r), 0);
	pages_free();

	/* a 2 MiB block at level 2 (ours 2): type 0b01 */
	root = build(IOVA & ~(M2 - 1), 2, 0x3, (OA & ~(M2 - 1)) | 0x4c1, NULL);
	ck_assert_int_eq(walk(SIM_PT_ARM_S2, root, IOVA, SIM_PT_R, &r), 0);
	ck_assert_uint_eq(r.page_size, M2);
	ck_assert_uint_eq(r.oa, (OA & ~(M2 - 1)) | (IOVA & (M2 - 1)));
	ck_assert_uint_eq(r.level, 2);
	pages_free();

	/* a block at level 0 (ours 4) is invalid with the 4 KiB granule */
	root = (uint64_t)(uintptr_t)page();
	put((uint64_t *)(uintptr_t)root, idx_of(IOVA, 4), 0x4c1);
	ck_assert_int_eq(walk(SIM_PT_ARM_S2, root, IOVA, SIM_PT_R, &r), -ENOENT);
	ck_assert_uint_eq(r.fault_level, 4);
	pages_free();
}
END_TEST

START_TEST(test_access_flag_and_dbm)
{
	struct sim_pt_result r;
	uint64_t root, *lt;
	unsigned int i = idx_of(IOVA, 1);

	/* AF clear: an access fault without HTTU, set by the walk with it */
	root = build(IOVA, 1, 0x3, OA | 0xc3, &lt);
	ck_assert_int_eq(walk(SIM_PT_ARM_S2, root, IOVA, SIM_PT_R, &r), -ENOENT);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_ACCESS);
	ck_assert_uint_eq(get(lt, i), OA | 0xc3);
	ck_assert_int_eq(walk(SIM_PT_ARM_S2, root, IOVA, SIM_PT_R | SIM_PT_WALK_SET_AD, &r), 0);
	ck_assert_uint_eq(get(lt, i), OA | 0x4c3);

	/* stage 2 writable-clean: DBM, S2AP = 01 */
	put(lt, i, OA | 0x443 | UINT64_C(0x0008000000000000));
	ck_assert_int_eq(walk(SIM_PT_ARM_S2, root, IOVA, SIM_PT_R, &r), 0);
	ck_assert(!r.dirty);
	ck_assert_int_eq(walk(SIM_PT_ARM_S2, root, IOVA, SIM_PT_W, &r), -EACCES);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_PERM);
	ck_assert_int_eq(walk(SIM_PT_ARM_S2, root, IOVA, SIM_PT_W | SIM_PT_WALK_SET_AD, &r), 0);
	ck_assert(r.dirty);
	ck_assert_uint_eq(get(lt, i), OA | 0x4c3 | UINT64_C(0x0008000000000000));
	pages_free();

	/* stage 1 writable-clean: DBM, AP = 10 (read-only, privileged) */
	root = build(IOVA, 1, 0x3, OA | 0x483 | UINT64_C(0x0008000000000000), &lt);
	ck_assert_int_eq(walk(SIM_PT_ARM_S1, root, IOVA, SIM_PT_W, &r), -EACCES);
	ck_assert_int_eq(walk(SIM_PT_ARM_S1, root, IOVA, SIM_PT_W | SIM_PT_WALK_SET_AD, &r), 0);
	ck_assert(r.dirty);
	ck_assert_uint_eq(get(lt, i), OA | 0x403 | UINT64_C(0x0008000000000000));
	/* without DBM, AP[2] is simply read-only */
	put(lt, i, OA | 0x483);
	ck_assert_int_eq(walk(SIM_PT_ARM_S1, root, IOVA, SIM_PT_W | SIM_PT_WALK_SET_AD, &r),
			 -EACCES);
	pages_free();
}
END_TEST

START_TEST(test_s1_permissions)
{
	struct sim_pt_result r;
	uint64_t root, *lt;
	unsigned int i = idx_of(IOVA, 1);

	/* AP = 00: privileged read/write, no EL0 (user) access */
	root = build(IOVA, 1, 0x3, OA | 0x403, &lt);
	ck_assert_int_eq(walk(SIM_PT_ARM_S1, root, IOVA, SIM_PT_R | SIM_PT_W | SIM_PT_X, &r), 0);
	ck_assert_int_eq(walk(SIM_PT_ARM_S1, root, IOVA, SIM_PT_R | SIM_PT_U, &r), -EACCES);
	/* AP = 01: read/write at both */
	put(lt, i, OA | 0x443);
	ck_assert_int_eq(walk(SIM_PT_ARM_S1, root, IOVA, SIM_PT_W | SIM_PT_U, &r), 0);
	/* AP = 11: read-only at both */
	put(lt, i, OA | 0x4c3);
	ck_assert_int_eq(walk(SIM_PT_ARM_S1, root, IOVA, SIM_PT_R | SIM_PT_U, &r), 0);
	ck_assert_int_eq(walk(SIM_PT_ARM_S1, root, IOVA, SIM_PT_W, &r), -EACCES);
	/* UXN (54) or PXN (53): no execute */
	put(lt, i, OA | 0x443 | UINT64_C(0x0020000000000000));
	ck_assert_int_eq(walk(SIM_PT_ARM_S1, root, IOVA, SIM_PT_R | SIM_PT_X, &r), -EACCES);
	pages_free();

	/* APTable[1] (62) above a writable page: no writes below */
	root = build(IOVA, 1, 0x3 | UINT64_C(0x4000000000000000), OA | 0x443, NULL);
	ck_assert_int_eq(walk(SIM_PT_ARM_S1, root, IOVA, SIM_PT_R | SIM_PT_U, &r), 0);
	ck_assert_int_eq(walk(SIM_PT_ARM_S1, root, IOVA, SIM_PT_W, &r), -EACCES);
	pages_free();
	/* APTable[0] (61): no EL0 access below; UXNTable (60): no execute */
	root = build(IOVA, 1, 0x3 | UINT64_C(0x3000000000000000), OA | 0x443, NULL);
	ck_assert_int_eq(walk(SIM_PT_ARM_S1, root, IOVA, SIM_PT_W, &r), 0);
	ck_assert_int_eq(walk(SIM_PT_ARM_S1, root, IOVA, SIM_PT_R | SIM_PT_U, &r), -EACCES);
	ck_assert_int_eq(walk(SIM_PT_ARM_S1, root, IOVA, SIM_PT_R | SIM_PT_X, &r), -EACCES);
	pages_free();
	/* stage-2 table descriptors have no attributes: the same bits are ignored */
	root = build(IOVA, 1, 0x3 | UINT64_C(0x7000000000000000), OA | 0x4c3, NULL);
	ck_assert_int_eq(walk(SIM_PT_ARM_S2, root, IOVA, SIM_PT_W | SIM_PT_U | SIM_PT_X, &r), 0);
	pages_free();
}
END_TEST

START_TEST(test_address_sizes)
{
	struct sim_pt_walker w = { .format = SIM_PT_ARM_S2, .levels = 4, .oa_bits = 40 };
	struct sim_pt_result r;
	uint64_t root;

	/* an output address at bit 44 is beyond a 40-bit OAS: Address Size fault */
	root = build(IOVA, 1, 0x3, UINT64_C(0x100000000000) | 0x4c3, NULL);
	ck_assert_int_eq(sim_pt_walk(&w, root, IOVA, SIM_PT_R, &r), -ENOENT);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_ADDR_SIZE);
	w.oa_bits = 48;
	ck_assert_int_eq(sim_pt_walk(&w, root, IOVA, SIM_PT_R, &r), 0);
	/* bits 51:48 are not output address with the 4 KiB granule */
	ck_assert_uint_eq(r.oa, UINT64_C(0x100000000000) | (IOVA & 0xfff));
	/* the input beyond 48 bits of a 4-level table; 3 levels: beyond 39 */
	ck_assert_int_eq(sim_pt_walk(&w, root, UINT64_C(1) << 48, SIM_PT_R, &r), -ENOENT);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_ADDRESS);
	w.levels = 3;
	ck_assert_int_eq(sim_pt_walk(&w, root, UINT64_C(1) << 39, SIM_PT_R, &r), -ENOENT);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_ADDRESS);
	w.levels = 5;
	ck_assert_int_eq(sim_pt_walk(&w, root, 0, SIM_PT_R, &r), -EINVAL);
	pages_free();
}
END_TEST

/* The leaf our encoder wrote for @iova, and the table holding it. */
static uint64_t leaf_of(const struct sim_pt *pt, uint64_t iova, unsigned int *ret_level)
{
	const uint64_t *t = (const uint64_t *)(uintptr_t)sim_pt_root(pt);
	unsigned int l;

	for (l = sim_pt_levels(pt);; l--) {
		uint64_t e = get(t, idx_of(iova, l));

		if (l == 1 || (e & 3) == 1) {
			*ret_level = l;
			return e;
		}
		ck_assert_uint_eq(e & ~SIM_ARM_ADDR_MASK, 0x3); /* a bare table descriptor */
		t = (const uint64_t *)(uintptr_t)(e & SIM_ARM_ADDR_MASK);
	}
}

START_TEST(test_encoder_bytes)
{
	struct sim_pt *s1 = sim_pt_new_flags(SIM_PT_ARM_S1, 4, ALLSZ, SIM_PT_NEW_DBM);
	struct sim_pt *s2 = sim_pt_new(SIM_PT_ARM_S2, 3, ALLSZ);
	unsigned int lvl;

	ck_assert_ptr_nonnull(s1);
	ck_assert_ptr_nonnull(s2);
	/*
	 * Stage 1, read/write for EL0 too, no execute, DBM (writable-dirty):
	 * page 0b11, AttrIndx 1, AP 01, SH 11, AF, nG; DBM, PXN, UXN.
	 */
	ck_assert_int_eq(sim_pt_map(s1, IOVA, OA, K4, SIM_PT_R | SIM_PT_W | SIM_PT_U), 0);
	ck_assert_uint_eq(leaf_of(s1, IOVA, &lvl), OA | UINT64_C(0x0068000000000f47));
	ck_assert_uint_eq(lvl, 1);
	/* read-only, privileged: AP 10, no DBM */
	ck_assert_int_eq(sim_pt_map(s1, 2 * G1, G1, M2, SIM_PT_R), 0);
	ck_assert_uint_eq(leaf_of(s1, 2 * G1, &lvl), G1 | UINT64_C(0x0060000000000f85));
	ck_assert_uint_eq(lvl, 2);
	/* stage 2, a 1 GiB block: 0b01, MemAttr 1111, S2AP 11, SH 11, AF; XN */
	ck_assert_int_eq(sim_pt_map(s2, G1, 3 * G1, G1, SIM_PT_R | SIM_PT_W), 0);
	ck_assert_uint_eq(leaf_of(s2, G1, &lvl), 3 * G1 | UINT64_C(0x00400000000007fd));
	ck_assert_uint_eq(lvl, 3);
	ck_assert_uint_eq(sim_pt_table_pages(s2), 1); /* 3 levels: the block is in the root */
	ck_assert_str_eq(sim_pt_format_name(SIM_PT_ARM_S2), "arm-stage2");

	/* splitting the block: the children are pages (0b11) with its attributes */
	ck_assert_int_eq(sim_pt_unmap(s2, G1 + M2 + K4, K4, NULL), 0);
	ck_assert_uint_eq(leaf_of(s2, G1 + M2, &lvl), (3 * G1 + M2) | UINT64_C(0x00400000000007ff));
	ck_assert_uint_eq(lvl, 1);
	ck_assert_uint_eq(leaf_of(s2, G1 + M2 + 2 * K4, &lvl),
			  (3 * G1 + M2 + 2 * K4) | UINT64_C(0x00400000000007ff));
	ck_assert_uint_eq(leaf_of(s2, G1 + 4 * M2, &lvl), (3 * G1 + 4 * M2) | UINT64_C(0x00400000000007fd));
	ck_assert_uint_eq(lvl, 2);
	sim_pt_free(s1);
	sim_pt_free(s2);
}
END_TEST

START_TEST(test_dirty_dbm)
{
	struct sim_pt *s1 = sim_pt_new_flags(SIM_PT_ARM_S1, 4, ALLSZ, SIM_PT_NEW_DBM);
	struct sim_pt *s2 = sim_pt_new_flags(SIM_PT_ARM_S2, 4, ALLSZ, SIM_PT_NEW_DBM);
	struct sim_pt *pts[2] = { s1, s2 };
	struct sim_pt_walker w;
	struct sim_pt_result r;
	unsigned int i, lvl;

	for (i = 0; i < 2; i++) {
		struct sim_pt *pt = pts[i];
		uint64_t bm = 0;

		/* mapped writable-dirty, as Linux maps with hardware dirty tracking */
		ck_assert_int_eq(sim_pt_map(pt, 0, OA, 4 * K4, SIM_PT_R | SIM_PT_W), 0);
		ck_assert_int_eq(sim_pt_map(pt, 8 * K4, OA, K4, SIM_PT_R), 0);
		ck_assert_int_eq(sim_pt_dirty_read(pt, 0, 16 * K4, K4, &bm, true), 0);
		ck_assert_uint_eq(bm, 0xf);
		/* cleaned: stage 1 sets AP[2] (bit 7), stage 2 clears S2AP[1] (bit 7) */
		ck_assert_uint_eq(leaf_of(pt, K4, &lvl) & 0x80, i == 0 ? 0x80 : 0);
		bm = 0;
		ck_assert_int_eq(sim_pt_dirty_read(pt, 0, 16 * K4, K4, &bm, false), 0);
		ck_assert_uint_eq(bm, 0);
		/* a write with HTTU makes one page dirty again */
		sim_pt_walker_init(&w, pt);
		ck_assert_int_eq(sim_pt_walk(&w, sim_pt_root(pt), 2 * K4 + 8,
					     SIM_PT_W | SIM_PT_WALK_SET_AD, &r), 0);
		ck_assert_int_eq(sim_pt_dirty_read(pt, 0, 16 * K4, K4, &bm, false), 0);
		ck_assert_uint_eq(bm, 0x4);
		sim_pt_free(pt);
	}
}
END_TEST

START_TEST(test_arm_limits)
{
	struct sim_pt *pt;
	unsigned int lvl;

	errno = 0;
	ck_assert_ptr_null(sim_pt_new(SIM_PT_ARM_S1, 5, ALLSZ)); /* 5 levels need LPA2 */
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(sim_pt_new(SIM_PT_ARM_S2, 2, ALLSZ));
	ck_assert_ptr_null(sim_pt_new_flags(SIM_PT_VTD_SL, 4, ALLSZ, SIM_PT_NEW_DBM));
	ck_assert_ptr_null(sim_pt_new_flags(SIM_PT_ARM_S2, 4, ALLSZ, 0x80));
	ck_assert_uint_eq(sim_pt_levels_for(SIM_PT_ARM_S2, 40), 4);
	ck_assert_uint_eq(sim_pt_levels_for(SIM_PT_ARM_S2, 39), 3);
	ck_assert_uint_eq(sim_pt_levels_for(SIM_PT_ARM_S1, 52), 4);
	ck_assert_uint_eq(sim_pt_levels_for(SIM_PT_VTD_SL, 39), 4);
	ck_assert_uint_eq(sim_pt_levels_for(SIM_PT_VTD_SL, 57), 5);

	pt = sim_pt_new(SIM_PT_ARM_S1, 3, ALLSZ);
	ck_assert_int_eq(sim_pt_map(pt, UINT64_C(1) << 39, 0, K4, SIM_PT_R), -EINVAL);
	ck_assert_int_eq(sim_pt_map(pt, (UINT64_C(1) << 39) - K4, 0, K4, SIM_PT_R), 0);
	/* stage 1 cannot say write-only: Linux maps it read-write */
	ck_assert_int_eq(sim_pt_map(pt, 0, 0, K4, SIM_PT_W), 0);
	ck_assert_uint_eq(leaf_of(pt, 0, &lvl) & (SIM_ARM_S1_AP2 | 3), 3); /* a page, writable */
	ck_assert_int_eq(sim_pt_unmap(pt, 0, K4, NULL), 0);
	ck_assert_int_eq(sim_pt_map(pt, 0, 0, K4, SIM_PT_U), -EINVAL);
	/* the output field is 48 bits */
	ck_assert_int_eq(sim_pt_map(pt, 0, UINT64_C(1) << 48, K4, SIM_PT_R), -ERANGE);
	ck_assert_int_eq(sim_pt_map(pt, 0, (UINT64_C(1) << 48) - K4, 2 * K4, SIM_PT_R), -ERANGE);
	sim_pt_free(pt);
	pt = sim_pt_new(SIM_PT_ARM_S2, 4, ALLSZ);
	ck_assert_int_eq(sim_pt_map(pt, 0, 0, K4, SIM_PT_W), 0); /* stage 2 can */
	ck_assert_int_eq(sim_pt_map(pt, 0, 0, K4, SIM_PT_U), -EINVAL);
	sim_pt_free(pt);
}
END_TEST

/* ---- an smmuv3 profile's HWPTs ---- */

static int hwpt_new(struct ioasid_ctx *ctx, uint32_t dev, uint32_t ioas, uint32_t flags,
		    uint32_t *ret)
{
	struct ioasid_hwpt_opts o = { .sz = sizeof(o), .flags = flags };

	return ioasid_hwpt_alloc(ctx, dev, ioas, &o, ret);
}

static struct sim_hwpt *sim_hwpt_of(struct ioasid_ctx *ctx, uint32_t id)
{
	return ((struct ioasid_hwpt *)obj_find(ctx, id, IOASID_OBJ_HWPT))->be;
}

START_TEST(test_smmuv3_hwpts)
{
	struct ioasid_ctx *ctx = test_sim_ctx_spec("sim:smmuv3");
	uint32_t ioas, dev, h0, hp, hd, dev2;
	uint8_t *mem = test_mem(2 * K4), buf[16] = { 1, 2, 3 };
	uint64_t iova = 0x100000, bm = 0;
	struct sim_hwpt *sh;
	unsigned int lvl;
	size_t done;

	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &ioas));
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim0", &dev));
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, 2 * K4,
					  IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA,
					  &iova));
	/* a plain paging HWPT is stage 1, as arm_smmu_domain_alloc_paging_flags() picks */
	ck_assert_ok(ctx, hwpt_new(ctx, dev, ioas, 0, &h0));
	sh = sim_hwpt_of(ctx, h0);
	ck_assert_int_eq(sim_pt_format(sh->pt), SIM_PT_ARM_S1);
	ck_assert_uint_eq(sh->levels, 4);
	ck_assert_uint_eq(leaf_of(sh->pt, iova, &lvl),
			  (uint64_t)(uintptr_t)mem | UINT64_C(0x0060000000000f47));
	/* a nesting parent is stage 2, input = OAS (48 bits) */
	ck_assert_ok(ctx, hwpt_new(ctx, dev, ioas, IOASID_HWPT_NEST_PARENT, &hp));
	ck_assert_int_eq(sim_pt_format(sim_hwpt_of(ctx, hp)->pt), SIM_PT_ARM_S2);
	/* dirty tracking is stage 1 with DBM leaves; stage 2 cannot (EOPNOTSUPP) */
	ck_assert_ok(ctx, hwpt_new(ctx, dev, ioas, IOASID_HWPT_DIRTY_TRACKING, &hd));
	sh = sim_hwpt_of(ctx, hd);
	ck_assert(sh->hw_dirty);
	ck_assert_uint_eq(leaf_of(sh->pt, iova, &lvl) & SIM_ARM_DBM, SIM_ARM_DBM);
	ck_assert_ret(ctx,
		      hwpt_new(ctx, dev, ioas, IOASID_HWPT_NEST_PARENT | IOASID_HWPT_DIRTY_TRACKING, &h0),
		      -EOPNOTSUPP);
	ck_assert_errmsg_has(ctx, "only in arm-stage1 tables, not in the arm-stage2");
	/* DMA through the DBM table: enabling tracking cleans, a write dirties */
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, hd, NULL));
	ck_assert_ok(ctx, ioasid_hwpt_set_dirty_tracking(ctx, hd, true));
	ck_assert_uint_eq(leaf_of(sh->pt, iova, &lvl) & SIM_ARM_S1_AP2, SIM_ARM_S1_AP2);
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, iova + K4, buf,
					       sizeof(buf), &done));
	ck_assert_ok(ctx, ioasid_hwpt_get_dirty_bitmap(ctx, hd, iova, 2 * K4, K4, &bm, 0));
	ck_assert_uint_eq(bm, 0x2);
	/* tracking off: the CD's HD stays on, writes still go through */
	ck_assert_ok(ctx, ioasid_hwpt_set_dirty_tracking(ctx, hd, false));
	ck_assert_ok(ctx, ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, iova, buf,
					       sizeof(buf), &done));
	ck_assert_int_eq(memcmp(mem, buf, sizeof(buf)), 0);
	/* the 64 KiB-granule device: refused before any table, as iommufd
	 * refuses a domain whose smallest page is above the CPU's */
	ck_assert_ok(ctx, ioasid_dev_bind(ctx, "sim2", &dev2));
	ck_assert_ret(ctx, hwpt_new(ctx, dev2, ioas, 0, &h0), -EINVAL);
	ioasid_ctx_close(ctx);
	munmap(mem, 2 * K4);
}
END_TEST

/* ---- the 16 KiB and 64 KiB granules ---- */

/* A zeroed table page of 2^@pg bytes, aligned to it, freed by pages_free(). */
static uint64_t *gpage(unsigned int pg)
{
	void *p = NULL;

	ck_assert_int_lt(pt_test_nr_pages, PT_TEST_MAX_PAGES);
	ck_assert_int_eq(posix_memalign(&p, (size_t)1 << pg, (size_t)1 << pg), 0);
	memset(p, 0, (size_t)1 << pg);
	pt_test_pages[pt_test_nr_pages++] = p;
	return p;
}

/* The index of @va at our @level with the 2^@pg granule: 11 or 13 bits a level. */
static unsigned int gidx(uint64_t va, unsigned int level, unsigned int pg)
{
	return (unsigned int)(va >> (pg + (pg - 3) * (level - 1))) & ((1u << (pg - 3)) - 1);
}

/* Tables of 2^@pg from our @top down to @leaf_level for @iova, @leaf at the bottom. */
static uint64_t gbuild(unsigned int pg, unsigned int top, uint64_t iova, unsigned int leaf_level,
		       uint64_t leaf)
{
	uint64_t *t[6] = { NULL };
	unsigned int l;

	for (l = top; l >= leaf_level; l--)
		t[l] = gpage(pg);
	for (l = top; l > leaf_level; l--)
		put(t[l], gidx(iova, l, pg), (uint64_t)(uintptr_t)t[l - 1] | 0x3);
	put(t[leaf_level], gidx(iova, leaf_level, pg), leaf);
	return (uint64_t)(uintptr_t)t[top];
}

static int gwalk(enum sim_pt_format f, unsigned int levels, uint64_t root, uint64_t iova,
		 unsigned int flags, struct sim_pt_result *r)
{
	struct sim_pt_walker w = { .format = f, .levels = levels };

	return sim_pt_walk(&w, root, iova, flags, r);
}

START_TEST(test_granule_16k)
{
	/* bit 47 set: index 1 of the 2-entry Arm level-0 table */
	const uint64_t iova = UINT64_C(0x0000812345678000) | 0x2abc, oa = UINT64_C(0xabcdec000);
	const uint64_t m32 = UINT64_C(1) << 25;
	struct sim_pt_result r;
	uint64_t root;

	ck_assert_int_eq(gidx(iova, 4, 14), 1);
	/* stage 2 page (S2AP RW, AF): OA bits 47:14, the offset 13:0 from the input */
	root = gbuild(14, 4, iova, 1, oa | 0x4c3);
	ck_assert_int_eq(gwalk(SIM_PT_ARM_S2_16K, 4, root, iova, SIM_PT_R | SIM_PT_W, &r), 0);
	ck_assert_uint_eq(r.oa, oa | 0x2abc);
	ck_assert_uint_eq(r.page_size, UINT64_C(1) << 14);
	ck_assert_uint_eq(r.reads, 4);
	ck_assert_uint_eq(r.leaf_index, gidx(iova, 1, 14));
	/* the same bytes as a 4K-granule table do not translate this address */
	ck_assert_int_ne(gwalk(SIM_PT_ARM_S2, 4, root, iova, SIM_PT_R, &r), 0);
	/* stage 1 page, read-only (AP[2]): writes refused */
	pages_free();
	root = gbuild(14, 4, iova, 1, oa | 0x4c3 | SIM_ARM_S1_AP2);
	ck_assert_int_eq(gwalk(SIM_PT_ARM_S1_16K, 4, root, iova, SIM_PT_R, &r), 0);
	ck_assert_uint_eq(r.oa, oa | 0x2abc);
	ck_assert_int_eq(gwalk(SIM_PT_ARM_S1_16K, 4, root, iova, SIM_PT_W, &r), -EACCES);
	pages_free();
	/* a 32 MiB block at level 2 (ours 2) */
	root = gbuild(14, 4, iova, 2, (oa & ~(m32 - 1)) | 0x4c1);
	ck_assert_int_eq(gwalk(SIM_PT_ARM_S2_16K, 4, root, iova, SIM_PT_R, &r), 0);
	ck_assert_uint_eq(r.page_size, m32);
	ck_assert_uint_eq(r.oa, (oa & ~(m32 - 1)) | (iova & (m32 - 1)));
	ck_assert_uint_eq(r.level, 2);
	pages_free();
	/* no level-1 block without LPA2: 0b01 at our level 3 is invalid, and at 4 */
	root = gbuild(14, 4, iova, 3, 0x4c1);
	ck_assert_int_eq(gwalk(SIM_PT_ARM_S2_16K, 4, root, iova, SIM_PT_R, &r), -ENOENT);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_NOT_PRESENT);
	ck_assert_uint_eq(r.fault_level, 3);
	pages_free();
	root = gbuild(14, 4, iova, 4, 0x4c1);
	ck_assert_int_eq(gwalk(SIM_PT_ARM_S2_16K, 4, root, iova, SIM_PT_R, &r), -ENOENT);
	ck_assert_uint_eq(r.fault_level, 4);
	pages_free();
	/* input beyond 48 bits, though 4 levels of 16K would index 58 */
	root = gbuild(14, 4, iova, 1, oa | 0x4c3);
	ck_assert_int_eq(gwalk(SIM_PT_ARM_S2_16K, 4, root, iova | UINT64_C(1) << 48, SIM_PT_R, &r),
			 -ENOENT);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_ADDRESS);
	pages_free();
	/* T0SZ 39 starts at Arm level 3 (ours 1): one table of 2048 pages */
	root = gbuild(14, 1, 0x1ffc000, 1, oa | 0x4c3);
	ck_assert_int_eq(gwalk(SIM_PT_ARM_S2_16K, 1, root, 0x1ffc010, SIM_PT_R, &r), 0);
	ck_assert_uint_eq(r.oa, oa | 0x10);
	ck_assert_uint_eq(r.reads, 1);
	pages_free();
}
END_TEST

START_TEST(test_granule_64k)
{
	/* Arm level 1 of a 48-bit input: 64 entries, index 0x30 */
	const uint64_t iova = UINT64_C(0x0000c12345670000) | 0xabcd, oa = UINT64_C(0xabcd0000);
	const uint64_t m512 = UINT64_C(1) << 29;
	struct sim_pt_result r;
	uint64_t root;

	ck_assert_int_eq(gidx(iova, 3, 16), 0x30);
	/* stage 1 page, EL0 read/write (AP[1]), AF: 0x443 */
	root = gbuild(16, 3, iova, 1, oa | 0x443);
	ck_assert_int_eq(gwalk(SIM_PT_ARM_S1_64K, 3, root, iova, SIM_PT_R | SIM_PT_W | SIM_PT_U, &r),
			 0);
	ck_assert_uint_eq(r.oa, oa | 0xabcd);
	ck_assert_uint_eq(r.page_size, UINT64_C(1) << 16);
	ck_assert_uint_eq(r.reads, 3);
	/* AF clear: an access fault, set by a walk with the hardware update */
	put((uint64_t *)(uintptr_t)r.leaf_table, r.leaf_index, oa | 0x043);
	ck_assert_int_eq(gwalk(SIM_PT_ARM_S1_64K, 3, root, iova, SIM_PT_R, &r), -ENOENT);
	ck_assert_int_eq(r.fault_reason, SIM_PT_FAULT_ACCESS);
	ck_assert_int_eq(gwalk(SIM_PT_ARM_S1_64K, 3, root, iova, SIM_PT_R | SIM_PT_WALK_SET_AD, &r),
			 0);
	ck_assert_uint_eq(get((uint64_t *)(uintptr_t)r.leaf_table, r.leaf_index), oa | 0x443);
	pages_free();
	/* a 512 MiB block at level 2 (ours 2) */
	root = gbuild(16, 3, iova, 2, (oa & ~(m512 - 1)) | 0x4c1);
	ck_assert_int_eq(gwalk(SIM_PT_ARM_S2_64K, 3, root, iova, SIM_PT_R, &r), 0);
	ck_assert_uint_eq(r.page_size, m512);
	ck_assert_uint_eq(r.oa, (oa & ~(m512 - 1)) | (iova & (m512 - 1)));
	pages_free();
	/* no level-1 block without LPA */
	root = gbuild(16, 3, iova, 3, 0x4c1);
	ck_assert_int_eq(gwalk(SIM_PT_ARM_S2_64K, 3, root, iova, SIM_PT_R, &r), -ENOENT);
	ck_assert_uint_eq(r.fault_level, 3);
	pages_free();
	/* 0b01 at level 3 (ours 1) is invalid */
	root = gbuild(16, 3, iova, 1, oa | 0x4c1);
	ck_assert_int_eq(gwalk(SIM_PT_ARM_S2_64K, 3, root, iova, SIM_PT_R, &r), -ENOENT);
	ck_assert_uint_eq(r.fault_level, 1);
	pages_free();
	/* 4 levels of 64K do not exist (48-bit input is 3) */
	ck_assert_int_eq(gwalk(SIM_PT_ARM_S2_64K, 4, 0, iova, SIM_PT_R, &r), -EINVAL);
}
END_TEST

/* Our own tables on the big granules: leaves, splits, alignment; the granule choice. */
START_TEST(test_granule_tables)
{
	const uint64_t k64 = UINT64_C(1) << 16, m512 = UINT64_C(1) << 29, iova = m512;
	struct sim_pt_walker w;
	struct sim_pt_result r;
	struct sim_pt *pt;
	uint64_t n;

	ck_assert_ptr_null(sim_pt_new(SIM_PT_ARM_S2_64K, 3, K4 | M2));
	ck_assert_ptr_null(sim_pt_new(SIM_PT_ARM_S2_64K, 4, k64));
	pt = sim_pt_new(SIM_PT_ARM_S2_64K, 3, k64 | m512);
	ck_assert_ptr_nonnull(pt);
	ck_assert_uint_eq(sim_pt_levels_for(SIM_PT_ARM_S2_64K, 48), 3);
	ck_assert_uint_eq(sim_pt_levels_for(SIM_PT_ARM_S2_16K, 48), 4);
	ck_assert_uint_eq(sim_pt_levels_for(SIM_PT_ARM_S1_16K, 36), 2);
	/* 4 KiB-aligned is not enough */
	ck_assert_int_eq(sim_pt_map(pt, iova + K4, 0x40000000, k64, SIM_PT_R), -EINVAL);
	ck_assert_int_eq(sim_pt_map(pt, iova, 0x40000000 + K4, k64, SIM_PT_R), -EINVAL);
	/* a block and a page after it */
	ck_assert_int_eq(sim_pt_map(pt, iova, 0x40000000, m512 + k64, SIM_PT_R | SIM_PT_W), 0);
	sim_pt_walker_init(&w, pt);
	ck_assert_int_eq(sim_pt_walk(&w, sim_pt_root(pt), iova + 0x1234567, SIM_PT_W, &r), 0);
	ck_assert_uint_eq(r.page_size, m512);
	ck_assert_uint_eq(r.oa, 0x40000000 + 0x1234567);
	/* the block's descriptor: 0b01, S2AP RW, SH inner, AF */
	ck_assert_uint_eq(r.leaf_entry & 0x7c3, 0x7c1);
	ck_assert_int_eq(sim_pt_walk(&w, sim_pt_root(pt), iova + m512 + 8, SIM_PT_R, &r), 0);
	ck_assert_uint_eq(r.page_size, k64);
	ck_assert_uint_eq(r.leaf_entry & 3, 3);
	/* unmapping 64K inside the block splits it into 8192 pages */
	ck_assert_int_eq(sim_pt_unmap(pt, iova + 4 * k64, k64, &n), 0);
	ck_assert_uint_eq(n, k64);
	ck_assert_int_eq(sim_pt_walk(&w, sim_pt_root(pt), iova + 4 * k64, SIM_PT_R, &r), -ENOENT);
	ck_assert_int_eq(sim_pt_walk(&w, sim_pt_root(pt), iova + 5 * k64 + 3, SIM_PT_R, &r), 0);
	ck_assert_uint_eq(r.oa, 0x40000000 + 5 * k64 + 3);
	ck_assert_uint_eq(r.page_size, k64);
	ck_assert_int_eq(sim_pt_walk(&w, sim_pt_root(pt), iova + m512 - 1, SIM_PT_R, &r), 0);
	ck_assert_uint_eq(r.leaf_index, 8191);
	sim_pt_free(pt);

	/* arm_lpae_restrict_pgsizes(): the CPU page, else the largest below, else the smallest */
	ck_assert_uint_eq(sim_pt_arm_granule(K4 | M2 | (1u << 14) | k64, K4), 12);
	ck_assert_uint_eq(sim_pt_arm_granule(SIM_PT_SZ_16K | k64, K4), 14);
	ck_assert_uint_eq(sim_pt_arm_granule(k64 | m512, K4), 16);
	ck_assert_uint_eq(sim_pt_arm_granule(K4 | SIM_PT_SZ_16K | k64, k64), 16);
	ck_assert_uint_eq(sim_pt_arm_granule(K4 | SIM_PT_SZ_16K, k64), 14);
	ck_assert_uint_eq(sim_pt_arm_granule(M2, K4), 0);
	ck_assert_int_eq(sim_pt_arm_format(true, 16), SIM_PT_ARM_S2_64K);
	ck_assert_int_eq(sim_pt_arm_format(false, 14), SIM_PT_ARM_S1_16K);
	ck_assert_int_eq(sim_pt_arm_format(false, 13), 0);
}
END_TEST

Suite *pgtable_arm_suite(void)
{
	Suite *s = suite_create("pgtable_arm");
	TCase *tc = tcase_create("arm");

	tcase_add_test(tc, test_s2_descriptors);
	tcase_add_test(tc, test_access_flag_and_dbm);
	tcase_add_test(tc, test_s1_permissions);
	tcase_add_test(tc, test_address_sizes);
	tcase_add_test(tc, test_encoder_bytes);
	tcase_add_test(tc, test_dirty_dbm);
	tcase_add_test(tc, test_arm_limits);
	tcase_add_test(tc, test_smmuv3_hwpts);
	tcase_add_test(tc, test_granule_16k);
	tcase_add_test(tc, test_granule_64k);
	tcase_add_test(tc, test_granule_tables);
	suite_add_tcase(s, tc);
	return s;
}
