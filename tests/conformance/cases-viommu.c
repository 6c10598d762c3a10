// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * FIXTURE(iommufd_viommu): variant mock_viommu has a device attached to an
 * IOAS, a nest-parent HWPT over it, a vIOMMU of the test driver's type on
 * that parent, and a nested HWPT of the test driver's format on the vIOMMU;
 * variant no_viommu has the IOAS only. The cases are the kernel's rules
 * for vIOMMU, vDEVICE and HW queue objects (include/ioasid/viommu.h).
 *
 * Every row needs CF_NEED_VIOMMU. Whose vIOMMU is the oracle's
 * (cf_oracle.viommu):
 *
 *  - CF_VIOMMU_SELFTEST (the VM): the kernel's test driver, its types the
 *    public IOASID_*_SELFTEST values; its nested HWPT data is one word,
 *    the IOTLB tag it starts with (the kernel's struct iommu_hwpt_selftest);
 *    its event a 4-byte virtual id.
 *  - CF_VIOMMU_SMMUV3 (the sim's SMMUv3 model): IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
 *    the nested HWPT is the guest's vSTE (stage-1 translate) over a CD
 *    table and an empty stage-1 table the fixture writes into guest memory
 *    (mapped in the parent's IOAS); its events are SMMUv3 records, an
 *    F_TRANSLATION with the vSID for the test driver's trigger. The rows
 *    that check the test driver's own behaviour (its data and page, its
 *    HW queues, its per-device cache) need what SMMUv3 lacks
 *    (docs/conformance.md).
 */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "cases.h"

/* struct iommu_hwpt_selftest of the kernel's test driver, and its default tag. */
struct mock_nested_data {
	uint32_t iotlb;
};
#define MOCK_IOTLB_DEFAULT 0xbadbeefu

struct viommu_fx {
	uint32_t ioas, dev, parent, viommu, nested; /* 0 in variant no_viommu */
	uint64_t cd_ipa;                            /* CF_VIOMMU_SMMUV3: the guest's CD table */
	uint64_t *cd;                               /* and the CD itself, as the guest writes it */
};

/* SMMUv3 guest structures (IHI 0070 5.2, 5.4, 7.3): the bits a guest driver writes. */
#define STE0_V (1ull << 0)
#define STE0_CFG_S1 (5ull << 1) /* Config: stage-1 translate; S1Fmt 0 (linear), S1CDMax 0 */
/* CD word 0: T0SZ 16 (48-bit input), TG0 4K, V, IPS 48 bits, AA64, R (record), A, ASID 1 */
#define CD0 (16ull | 1ull << 31 | 5ull << 32 | 1ull << 41 | 1ull << 45 | 1ull << 46 | 1ull << 48)
#define CD0_S (1ull << 44) /* stall: a fault is a page request, not an event */
#define EVT_F_TRANSLATION 0x10u

static uint32_t viommu_type(void)
{
	return cf_oracle.viommu == CF_VIOMMU_SMMUV3 ? IOASID_VIOMMU_ARM_SMMUV3 :
						      IOASID_VIOMMU_SELFTEST;
}

static uint32_t veventq_type(void)
{
	return cf_oracle.viommu == CF_VIOMMU_SMMUV3 ? IOASID_VEVENTQ_ARM_SMMUV3 :
						      IOASID_VEVENTQ_SELFTEST;
}

/*
 * The guest's CD table (one CD, ASID 1, recording faults) and the empty
 * stage-1 table its TTB0 names, in two pages mapped in @ioas at the top of
 * @dev's aperture (guest-physical = IOVA of the parent). Returns the CD's.
 */
static uint64_t smmu_guest_tables(struct cf_t *t, uint32_t dev, uint32_t ioas, uint64_t **ret_cd)
{
	uint64_t *mem = cf_mem(t, 2 * 4096, 4096), iova;
	struct cf_geom g;

	cf_geom(t, dev, &g);
	iova = (g.ap_last + 1) - 2 * 4096;
	mem[0] = htole64(CD0);
	mem[1] = htole64(iova + 4096); /* TTB0 */
	*ret_cd = mem;
	CF_OK(t, ioasid_ioas_map(t->ctx, ioas, mem, 2 * 4096,
				 IOASID_MAP_FIXED_IOVA | IOASID_MAP_READ | IOASID_MAP_WRITE, &iova));
	return iova;
}

static int viommu_of(struct cf_t *t, uint32_t dev, uint32_t parent, uint32_t type, void *data,
		     uint32_t data_len, uint32_t *ret)
{
	struct ioasid_viommu_opts vo = IOASID_OPTS_INIT(ioasid_viommu_opts);

	vo.type = type;
	vo.data = data;
	vo.data_len = data_len;
	return ioasid_viommu_alloc(t->ctx, dev, parent, &vo, ret);
}

/* A nested HWPT on the fixture's vIOMMU: the test driver's data, or a stage-1 vSTE. */
static int nested_on(struct cf_t *t, const struct viommu_fx *f, uint32_t flags,
		     uint32_t fault_queue, uint32_t *ret)
{
	static const struct mock_nested_data data = { .iotlb = MOCK_IOTLB_DEFAULT };
	struct ioasid_hwpt_opts ho = IOASID_OPTS_INIT(ioasid_hwpt_opts);
	struct ioasid_hwpt_arm_smmuv3 vste;

	ho.type = IOASID_HWPT_NESTED_SELFTEST;
	ho.data = &data;
	ho.data_len = sizeof(data);
	if (cf_oracle.viommu == CF_VIOMMU_SMMUV3) {
		vste.ste[0] = htole64(STE0_V | STE0_CFG_S1 | f->cd_ipa);
		vste.ste[1] = 0;
		ho.type = IOASID_HWPT_NESTED_ARM_SMMUV3;
		ho.data = &vste;
		ho.data_len = sizeof(vste);
	}
	ho.flags = flags;
	ho.fault_queue = fault_queue;
	return ioasid_hwpt_alloc(t->ctx, f->dev, f->viommu, &ho, ret);
}

static void viommu_setup(struct cf_t *t, struct viommu_fx *f)
{
	const struct viommu_variant *v = t->c->arg;

	memset(f, 0, sizeof(*f));
	f->ioas = cf_ioas(t);
	if (!v->viommu)
		return;
	f->dev = cf_dev(t, CF_DEV);
	CF_OK(t, ioasid_dev_attach(t->ctx, f->dev, IOASID_PASID_NONE, f->ioas, NULL));
	CF_OK(t, cf_hwpt_alloc(t, f->dev, f->ioas, IOASID_HWPT_NEST_PARENT, &f->parent));
	CF_OK(t, viommu_of(t, f->dev, f->parent, viommu_type(), NULL, 0, &f->viommu));
	if (cf_oracle.viommu == CF_VIOMMU_SMMUV3)
		f->cd_ipa = smmu_guest_tables(t, f->dev, f->ioas, &f->cd);
	CF_OK(t, nested_on(t, f, 0, 0, &f->nested));
}

static int replace(struct cf_t *t, struct viommu_fx *f, uint32_t pt)
{
	return ioasid_dev_replace(t->ctx, f->dev, IOASID_PASID_NONE, pt, NULL);
}

void c_viommu_auto_destroy(struct cf_t *t)
{
	struct viommu_fx f;

	/* The fixture itself, left for the context's close to take down. */
	viommu_setup(t, &f);
}

void c_viommu_negative_tests(struct cf_t *t)
{
	struct viommu_fx f;
	uint32_t plain = 0, v = 0;

	viommu_setup(t, &f);
	if (!f.dev) {
		CF_RET(t, viommu_of(t, 0, 0, viommu_type(), NULL, 0, &v), -ENOENT);
		return;
	}
	CF_RET(t, viommu_of(t, f.dev, 0, viommu_type(), NULL, 0, &v), -ENOENT);
	CF_OK(t, cf_hwpt_alloc(t, f.dev, f.ioas, 0, &plain));
	CF_RET(t, viommu_of(t, f.dev, plain, viommu_type(), NULL, 0, &v), -EINVAL);
	CF_OK(t, ioasid_hwpt_destroy(t->ctx, plain));
	CF_RET(t, viommu_of(t, f.dev, f.parent, 0xdead, NULL, 0, &v), -EOPNOTSUPP);
	CF_RET(t, ioasid_hwpt_destroy(t->ctx, f.parent), -EBUSY);
	CF_RET(t, ioasid_viommu_destroy(t->ctx, f.viommu), -EBUSY);
}

/* A fault queue owned by a set without PASIDs (the device has none). */
static uint32_t fault_queue(struct cf_t *t)
{
	struct ioasid_fault_queue_opts qo = IOASID_OPTS_INIT(ioasid_fault_queue_opts);
	struct ioasid_set_opts so = IOASID_OPTS_INIT(ioasid_set_opts);
	uint32_t q = 0;

	so.max_ioas = 64;
	CF_OK(t, ioasid_set_alloc(t->ctx, &so, &qo.set));
	CF_OK(t, ioasid_fault_queue_alloc(t->ctx, &qo, &q));
	return q;
}

void c_viommu_alloc_nested_iopf(struct cf_t *t)
{
	struct viommu_fx f;
	uint32_t q, iopf = 0, vdev = 0;

	viommu_setup(t, &f);
	q = fault_queue(t);
	CF_RET(t, nested_on(t, &f, IOASID_HWPT_FAULT_ID_VALID, UINT32_MAX, &iopf), -ENOENT);
	CF_RET(t, nested_on(t, &f, IOASID_HWPT_FAULT_ID_VALID | (1u << 31), q, &iopf), -EOPNOTSUPP);
	CF_OK(t, nested_on(t, &f, IOASID_HWPT_FAULT_ID_VALID, q, &iopf));

	/* A device needs its vDEVICE before it attaches to a nested HWPT. */
	CF_RET(t, replace(t, &f, iopf), -ENOENT);
	CF_OK(t, ioasid_vdevice_alloc(t->ctx, f.viommu, f.dev, 0x99, &vdev));
	/*
	 * SMMUv3: Linux takes recoverable faults only as stalls (a stall-capable
	 * master, the guest's CD asking for them); the test driver has no CD.
	 */
	if (f.cd)
		f.cd[0] = htole64(CD0 | CD0_S);
	CF_OK(t, replace(t, &f, iopf));
	CF_RET(t, ioasid_hwpt_destroy(t->ctx, iopf), -EBUSY);
	cf_iopf_round(t, f.dev, IOASID_PASID_NONE, q, iopf, CF_S1_UNMAPPED_IOVA);

	CF_OK(t, replace(t, &f, f.ioas));
	CF_OK(t, ioasid_hwpt_destroy(t->ctx, iopf));
	CF_OK(t, ioasid_fault_queue_destroy(t->ctx, q));
}

void c_viommu_alloc_with_data(struct cf_t *t)
{
	struct ioasid_viommu_selftest data = { .in_data = 0xbeef };
	struct viommu_fx f;
	uint32_t *test;
	int fd = -1;

	viommu_setup(t, &f);
	CF_OK(t, viommu_of(t, f.dev, f.parent, IOASID_VIOMMU_SELFTEST, &data, sizeof(data),
			   &f.viommu));
	CF_EQ(t, data.out_data, data.in_data);

	/* The driver's page is mapped through the context's fd, exactly as offered. */
	CF_OK(t, ioasid_ctx_fd(t->ctx, &fd));
	CF_TRUE(t, data.out_mmap_length > 0, "the driver offers a page to map");
	{
		const struct {
			size_t len;
			uint64_t off;
		} bad[] = {
			{ data.out_mmap_length, data.out_mmap_offset + cf_page },
			{ data.out_mmap_length, data.out_mmap_offset + 2 * cf_page },
			{ data.out_mmap_length / 2, data.out_mmap_offset },
			{ data.out_mmap_length * 2, data.out_mmap_offset },
		};
		unsigned int i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			void *p = mmap(NULL, bad[i].len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
				       (off_t)bad[i].off);
			int e = errno;

			if (p != MAP_FAILED)
				munmap(p, bad[i].len);
			CF_TRUE(t, p == MAP_FAILED && e == ENXIO,
				"mmap of 0x%zx bytes at offset 0x%llx: ENXIO (got %s)", bad[i].len,
				X(bad[i].off), p == MAP_FAILED ? strerror(e) : "a map");
		}
	}
	test = mmap(NULL, data.out_mmap_length, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    (off_t)data.out_mmap_offset);
	CF_TRUE(t, test != MAP_FAILED, "mmap of the driver's page: %s", strerror(errno));
	CF_EQ(t, *test, data.in_data);
	/* A vIOMMU whose page is mapped stays. */
	CF_RET(t, ioasid_viommu_destroy(t->ctx, f.viommu), -EBUSY);
	munmap(test, data.out_mmap_length);
}

static int hw_queue(struct cf_t *t, uint32_t viommu, uint32_t type, uint32_t index, uint64_t iova,
		    uint64_t len, uint32_t *ret)
{
	struct ioasid_hw_queue_opts o = IOASID_OPTS_INIT(ioasid_hw_queue_opts);

	o.type = type;
	o.index = index;
	o.iova = iova;
	o.length = len;
	return ioasid_hw_queue_alloc(t->ctx, viommu, &o, ret);
}

/* The test driver's number of HW queues (IOMMU_TEST_HW_QUEUE_MAX). */
#define MOCK_HW_QUEUE_MAX 2

void c_hw_queue(struct cf_t *t)
{
	const uint32_t st = IOASID_HW_QUEUE_SELFTEST;
	uint64_t iova = CF_NODOM_BASE, iova2 = 0;
	uint32_t q[2] = { 0, 0 };
	struct viommu_fx f;
	uint8_t *buffer;

	viommu_setup(t, &f);
	buffer = cf_mem(t, CF_BUFFER_SIZE, cf_page);
	CF_RET(t, hw_queue(t, f.viommu, 0, 0, iova, cf_page, &q[0]), -EOPNOTSUPP);
	CF_RET(t, hw_queue(t, f.viommu, st, 0, iova, 0, &q[0]), -EINVAL);
	CF_RET(t, hw_queue(t, f.viommu, st, 0, ~(uint64_t)0, cf_page, &q[0]), -EOVERFLOW);
	CF_RET(t, hw_queue(t, f.viommu, st, 0, iova, cf_page, &q[0]), -ENOENT);

	CF_OK(t, cf_map_auto(t, f.ioas, buffer, cf_page, &iova));
	CF_OK(t, cf_map_auto(t, f.ioas, buffer + cf_page, cf_page, &iova2));

	/* Index 0 first; the driver's last index is out of range. */
	CF_RET(t, hw_queue(t, f.viommu, st, 1, iova, cf_page, &q[0]), -EIO);
	CF_RET(t, hw_queue(t, f.viommu, st, MOCK_HW_QUEUE_MAX, iova, cf_page, &q[0]), -EINVAL);

	CF_OK(t, hw_queue(t, f.viommu, st, 0, iova, cf_page, &q[0]));
	CF_RET(t, hw_queue(t, f.viommu, st, 0, iova, cf_page, &q[1]), -EEXIST);
	/* The queue's page is the queue's while it lives; the other page is free. */
	CF_RET(t, ioasid_ioas_unmap(t->ctx, f.ioas, iova, cf_page, NULL), -EBUSY);
	CF_OK(t, ioasid_ioas_unmap(t->ctx, f.ioas, iova2, cf_page, NULL));

	CF_OK(t, hw_queue(t, f.viommu, st, 1, iova + cf_page / 2, cf_page / 2, &q[1]));
	CF_RET(t, ioasid_hw_queue_destroy(t->ctx, q[0]), -EBUSY);
	CF_OK(t, ioasid_hw_queue_destroy(t->ctx, q[1]));
	CF_OK(t, ioasid_hw_queue_destroy(t->ctx, q[0]));
	CF_OK(t, ioasid_ioas_unmap(t->ctx, f.ioas, iova, cf_page, NULL));
}

void c_vdevice_tombstone(struct cf_t *t)
{
	struct viommu_fx f;
	uint32_t vdev = 0;

	viommu_setup(t, &f);
	CF_OK(t, ioasid_vdevice_alloc(t->ctx, f.viommu, f.dev, 0x99, &vdev));
	/*
	 * The selftest destroys its mock device (attached, with a vDEVICE):
	 * the kernel detaches it and destroys the vDEVICE behind the caller's
	 * back, leaving a tombstone id. The library refuses the unbind of an
	 * attached device and of one with a vDEVICE (EBUSY, kernel-uapi.md
	 * §1.8: its records never lie); once both are undone, the vDEVICE's
	 * id is unknown as the tombstone's is.
	 */
	CF_RET(t, ioasid_dev_unbind(t->ctx, f.dev), -EBUSY);
	CF_OK(t, ioasid_dev_detach(t->ctx, f.dev, IOASID_PASID_NONE));
	CF_RET(t, ioasid_dev_unbind(t->ctx, f.dev), -EBUSY);
	CF_OK(t, ioasid_vdevice_destroy(t->ctx, vdev));
	cf_unbind(t, CF_DEV);
	CF_RET(t, ioasid_vdevice_destroy(t->ctx, vdev), -ENOENT);
}

/* The test driver's per-device cache: entries 0..3, each starting at this value. */
#define MOCK_DEV_CACHE_ID_MAX 3
#define MOCK_DEV_CACHE_DEFAULT 0xbaddadu
/* A data type the test driver refuses (IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID). */
#define MOCK_INV_DATA_INVALID 0xdadbeefu
#define MOCK_INV_FLAG_ALL (1u << 0)

/* Entries 0..3 of @dev's cache hold @v0..@v3. */
static void cache_is(struct cf_t *t, uint32_t dev, uint32_t v0, uint32_t v1, uint32_t v2,
		     uint32_t v3)
{
	const uint32_t v[MOCK_DEV_CACHE_ID_MAX + 1] = { v0, v1, v2, v3 };
	uint32_t i;

	for (i = 0; i <= MOCK_DEV_CACHE_ID_MAX; i++)
		CF_TRUE(t, !cf_oracle.dev_cache_is(t, dev, i, v[i]),
			"cache entry %u of device %u holds 0x%x", i, dev, v[i]);
}

static int inv(struct cf_t *t, uint32_t viommu, uint32_t type, const void *reqs, uint32_t len,
	       uint32_t *num)
{
	return ioasid_viommu_invalidate(t->ctx, viommu, type, reqs, len, num);
}

/* An invalidation refused with @want before its first entry: num comes back 0. */
static void inv_refused(struct cf_t *t, uint32_t viommu, uint32_t type, const void *reqs,
			uint32_t len, int want)
{
	uint32_t num = 1;

	CF_RET(t, inv(t, viommu, type, reqs, len, &num), want);
	CF_EQ(t, num, 0);
}

/* The refusals before any entry: the data type, the entry size, the entry. */
static void inv_refusals(struct cf_t *t, uint32_t viommu)
{
	const uint32_t st = IOASID_VIOMMU_INV_SELFTEST;
	struct ioasid_viommu_inv_selftest r = { 0 };
	/* the selftest's array: an entry one byte longer reads a zero byte of the next */
	const struct ioasid_viommu_inv_selftest two[2] = { 0 };
	const uint32_t sz = sizeof(r);

	inv_refused(t, viommu, MOCK_INV_DATA_INVALID, &r, sz, -EINVAL);
	inv_refused(t, viommu, st, two, sz + 1, -EINVAL);
	inv_refused(t, viommu, st, &r, 1, -EINVAL);
	r = (struct ioasid_viommu_inv_selftest){ .flags = 0xffffffff, .vdev_id = 0x99 };
	inv_refused(t, viommu, st, &r, sz, -EOPNOTSUPP);
	r = (struct ioasid_viommu_inv_selftest){ .vdev_id = 0x99 };
	inv_refused(t, viommu, st, NULL, sz, -EINVAL);
	inv_refused(t, viommu, st, &r, 0, -EINVAL);
	r.cache_id = MOCK_DEV_CACHE_ID_MAX + 1;
	inv_refused(t, viommu, st, &r, sz, -EINVAL);
	r = (struct ioasid_viommu_inv_selftest){ .vdev_id = 0x9 };
	inv_refused(t, viommu, st, &r, sz, -EINVAL);
}

void c_vdevice_cache(struct cf_t *t)
{
	const uint32_t st = IOASID_VIOMMU_INV_SELFTEST, def = MOCK_DEV_CACHE_DEFAULT;
	struct ioasid_viommu_inv_selftest r[2];
	const uint32_t sz = sizeof(r[0]);
	struct viommu_fx f;
	uint32_t vdev = 0, num;

	viommu_setup(t, &f);
	memset(r, 0, sizeof(r));
	CF_OK(t, ioasid_vdevice_alloc(t->ctx, f.viommu, f.dev, 0x99, &vdev));
	cache_is(t, f.dev, def, def, def, def);

	/* An empty array checks the data type only. */
	num = 0;
	CF_OK(t, inv(t, f.viommu, st, r, sz, &num));
	CF_EQ(t, num, 0);

	inv_refusals(t, f.viommu);

	/* The first entry is done, the second refused (its flags): num 1. */
	num = 2;
	r[0] = (struct ioasid_viommu_inv_selftest){ .vdev_id = 0x99, .cache_id = 0 };
	r[1] = (struct ioasid_viommu_inv_selftest){ .flags = 0xffffffff,
						    .vdev_id = 0x99,
						    .cache_id = 1 };
	CF_RET(t, inv(t, f.viommu, st, r, sz, &num), -EOPNOTSUPP);
	CF_EQ(t, num, 1);
	cache_is(t, f.dev, 0, def, def, def);

	/* The same with the second refused for its cache id. */
	num = 2;
	r[1] = (struct ioasid_viommu_inv_selftest){ .vdev_id = 0x99,
						    .cache_id = MOCK_DEV_CACHE_ID_MAX + 1 };
	CF_RET(t, inv(t, f.viommu, st, r, sz, &num), -EINVAL);
	CF_EQ(t, num, 1);
	cache_is(t, f.dev, 0, def, def, def);

	num = 1;
	r[0] = (struct ioasid_viommu_inv_selftest){ .vdev_id = 0x99, .cache_id = 1 };
	CF_OK(t, inv(t, f.viommu, st, r, sz, &num));
	CF_EQ(t, num, 1);
	cache_is(t, f.dev, 0, 0, def, def);

	num = 2;
	r[0] = (struct ioasid_viommu_inv_selftest){ .vdev_id = 0x99, .cache_id = 2 };
	r[1] = (struct ioasid_viommu_inv_selftest){ .vdev_id = 0x99, .cache_id = 3 };
	CF_OK(t, inv(t, f.viommu, st, r, sz, &num));
	CF_EQ(t, num, 2);
	cache_is(t, f.dev, 0, 0, 0, 0);

	/* Every entry of the device at once. */
	num = 1;
	r[0] = (struct ioasid_viommu_inv_selftest){ .flags = MOCK_INV_FLAG_ALL, .vdev_id = 0x99 };
	CF_OK(t, inv(t, f.viommu, st, r, sz, &num));
	CF_EQ(t, num, 1);
	cache_is(t, f.dev, 0, 0, 0, 0);
	CF_OK(t, ioasid_vdevice_destroy(t->ctx, vdev));
}

static int veventq(struct cf_t *t, uint32_t viommu, uint32_t depth, uint32_t *ret)
{
	struct ioasid_veventq_opts o = IOASID_OPTS_INIT(ioasid_veventq_opts);

	o.type = veventq_type();
	o.depth = depth;
	return ioasid_veventq_alloc(t->ctx, viommu, &o, ret);
}

/*
 * Read @n events from @q as the selftest's read_vevents(): 0 when all are
 * @virt_id's with no loss and no gap after *@prev_seq; -EOVERFLOW at a
 * LOST_EVENTS mark or a gap. An event of the test driver is a 4-byte
 * virtual id; an SMMUv3 one a 32-byte record, here an F_TRANSLATION whose
 * StreamID is the vSID.
 */
static int read_vevents(struct cf_t *t, uint32_t q, uint32_t n, uint32_t virt_id, int64_t *prev_seq)
{
	struct ioasid_vevent ev[4];
	uint32_t got = 0, i, id;
	int err;

	err = ioasid_veventq_read(t->ctx, q, ev, n, &got);
	if (err)
		return err;
	CF_EQ(t, got, n);
	for (i = 0; i < got; i++) {
		bool gap = *prev_seq >= 0 && ev[i].sequence - *prev_seq > 1;

		*prev_seq = ev[i].sequence;
		if ((ev[i].flags & IOASID_VEVENT_LOST_EVENTS) || gap)
			return -EOVERFLOW;
		if (cf_oracle.viommu == CF_VIOMMU_SMMUV3) {
			uint64_t evt[4];

			CF_EQ(t, ev[i].data_len, sizeof(evt));
			memcpy(evt, ev[i].data, sizeof(evt));
			CF_EQ(t, le64toh(evt[0]) & 0xff, EVT_F_TRANSLATION);
			CF_EQ(t, le64toh(evt[2]), CF_S1_UNMAPPED_IOVA);
			id = (uint32_t)(le64toh(evt[0]) >> 32);
		} else {
			CF_EQ(t, ev[i].data_len, sizeof(id));
			memcpy(&id, ev[i].data, sizeof(id));
		}
		if (id != virt_id)
			return -EINVAL;
	}
	return 0;
}

#define VEVENTQ_MAX_DEPTH (1u << 19)

void c_vdevice_alloc(struct cf_t *t)
{
	uint32_t vdev = 0, q = 0, q2 = 0;
	int64_t prev_seq = -1;
	struct viommu_fx f;

	viommu_setup(t, &f);
	if (!f.dev) {
		CF_RET(t, ioasid_vdevice_alloc(t->ctx, 0, 0, 0x99, &vdev), -ENOENT);
		return;
	}
	CF_RET(t, replace(t, &f, f.nested), -ENOENT);

	CF_RET(t, veventq(t, f.viommu, 0, &q), -EINVAL);
	CF_RET(t, veventq(t, f.viommu, VEVENTQ_MAX_DEPTH + 1, &q), -EINVAL);
	CF_OK(t, veventq(t, f.viommu, VEVENTQ_MAX_DEPTH, &q));
	CF_OK(t, ioasid_veventq_destroy(t->ctx, q));

	CF_OK(t, veventq(t, f.viommu, 2, &q));
	CF_RET(t, veventq(t, f.viommu, 2, &q2), -EEXIST);
	/*
	 * The selftest's reads of 0 and of fewer bytes than a header (EINVAL)
	 * are read(2) on the queue's fd, which the library does for the
	 * caller with a whole event's room (ioasid_veventq_read()).
	 */

	CF_OK(t, ioasid_vdevice_alloc(t->ctx, f.viommu, f.dev, 0x99, &vdev));
	CF_OK(t, replace(t, &f, f.nested));
	CF_OK(t, cf_oracle.trigger_vevent(t, f.dev));
	CF_OK(t, read_vevents(t, q, 1, 0x99, &prev_seq));
	CF_RET(t, ioasid_vdevice_alloc(t->ctx, f.viommu, f.dev, 0x99, &q2), -EEXIST);
	CF_OK(t, replace(t, &f, f.ioas));
	CF_OK(t, ioasid_vdevice_destroy(t->ctx, vdev));

	CF_OK(t, ioasid_vdevice_alloc(t->ctx, f.viommu, f.dev, 0x88, &vdev));
	CF_OK(t, replace(t, &f, f.nested));
	/* Three events in a queue of two: the loss shows. */
	CF_OK(t, cf_oracle.trigger_vevent(t, f.dev));
	CF_OK(t, cf_oracle.trigger_vevent(t, f.dev));
	CF_OK(t, cf_oracle.trigger_vevent(t, f.dev));
	CF_RET(t, read_vevents(t, q, 3, 0x88, &prev_seq), -EOVERFLOW);
	/* and is gone once read */
	CF_OK(t, cf_oracle.trigger_vevent(t, f.dev));
	CF_OK(t, read_vevents(t, q, 1, 0x88, &prev_seq));
	CF_OK(t, replace(t, &f, f.ioas));
	CF_OK(t, ioasid_vdevice_destroy(t->ctx, vdev));
	CF_OK(t, ioasid_veventq_destroy(t->ctx, q));
}
