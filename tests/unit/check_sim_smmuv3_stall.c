/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Recoverable faults on the sim's SMMUv3 as Linux 7.2 takes them: only a
 * stall-enabled master's stalled transaction becomes a page request
 * (arm_smmu_handle_event(): one IOMMU_FAULT_PAGE_REQ with LAST_PAGE, grpid
 * the event's STAG, PASID valid with SSV), answered by CMD_RESUME
 * (arm_smmu_page_response(): retry on SUCCESS, abort otherwise). PCIe PRI
 * is not taken (arm_smmu_handle_ppr()). VT-d and AMD keep PRI.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"
#include "profile-fixture.h"
#include "backend/sim/pgtable.h"
#include "vendor/smmuv3-defs.h"

#define PG 4096ull
#define MB (1ull << 20)
#define RW (IOASID_MAP_READ | IOASID_MAP_WRITE)
#define FIXED IOASID_MAP_FIXED_IOVA
#define IO 0x100000ull /* the DMA's IOVA: only its first page is mapped */

/* The built-in smmuv3's IDR0 (STALL_MODEL 0) with another STALL_MODEL. */
#define IDR0_MODEL(m) ((0x080d769bull & ~(3ull << 24)) | ((uint64_t)(m) << 24))

static struct ioasid_ctx *ctx;
static uint8_t *mem;
static uint32_t set, q;

static void open_ctx(const char *spec)
{
	struct ioasid_set_opts so = { .sz = sizeof(so), .max_pasids = 8, .max_ioas = 8 };
	struct ioasid_fault_queue_opts qo = { .sz = sizeof(qo), .depth = 8 };

	ctx = test_sim_ctx_spec(spec);
	ck_assert_ok(ctx, ioasid_set_alloc(ctx, &so, &set));
	qo.set = set;
	ck_assert_ok(ctx, ioasid_fault_queue_alloc(ctx, &qo, &q));
}

static void setup(void)
{
	setup_tmp();
	mem = test_mem(16 * PG);
	memset(mem, 0, 16 * PG);
	ctx = NULL;
}

static void teardown(void)
{
	ioasid_ctx_close(ctx);
	munmap(mem, 16 * PG);
	teardown_tmp();
}

static uint32_t bind(const char *name)
{
	uint32_t d;

	ck_assert_ok(ctx, ioasid_dev_bind(ctx, name, &d));
	return d;
}

/*
 * (@dev, @pasid) on a paging HWPT that reports to the queue, over a fresh
 * IOAS with one page mapped at IO (holding "page-one"). Returns the IOAS.
 */
static uint32_t attach_queue_flags(uint32_t dev, uint32_t pasid, uint32_t flags)
{
	struct ioasid_hwpt_opts ho = { .sz = sizeof(ho),
				       .flags = IOASID_HWPT_FAULT_ID_VALID | flags,
				       .fault_queue = q };
	struct ioasid_attach_opts ao = { .sz = sizeof(ao), .set = set };
	uint64_t io = IO;
	uint32_t ioas, h;

	memcpy(mem, "page-one", 8);
	ck_assert_ok(ctx, ioasid_set_ioas_alloc(ctx, set, &ioas));
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem, PG, RW | FIXED, &io));
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, dev, ioas, &ho, &h));
	ck_assert_ok(ctx, ioasid_dev_attach(ctx, dev, pasid, h, &ao));
	return ioas;
}

static uint32_t attach_queue(uint32_t dev, uint32_t pasid)
{
	return attach_queue_flags(dev, pasid, 0);
}

/* Page requests on the queue: their count, the records in @f. */
static uint32_t read_queue(struct ioasid_fault *f, uint32_t cap)
{
	uint32_t n = cap;

	ck_assert_ok(ctx, ioasid_fault_read(ctx, q, f, &n));
	return n;
}

/* A DMA of three pages from IO + 0x10 by @dev: the first translates, the rest do not. */
static int dma3(uint32_t dev, uint32_t pasid, bool write, uint8_t *buf, uint64_t *handle,
		size_t *done)
{
	return ioasid_sim_dma_submit(ctx, dev, pasid, IO + 0x10, buf, 3 * PG - 0x10, write, handle,
				     done);
}

/*
 * A stall-capable master (the built-in's sim3, dma-can-stall) on an SMMU
 * that stalls (STALL_MODEL 0): each page that does not translate stalls the
 * DMA once, as a group of one page request with LAST, grpid the stall tag,
 * addressed at the faulting byte (the event's InputAddr); SUCCESS resumes
 * it (a retry).
 */
START_TEST(test_stall_is_a_group_of_one)
{
	uint32_t dev, ioas, n;
	struct ioasid_fault f[16];
	uint8_t buf[3 * PG];
	uint64_t handle, io;
	size_t done;

	open_ctx("sim:smmuv3");
	dev = bind("sim3");
	ioas = attach_queue(dev, IOASID_PASID_NONE);
	ck_assert_int_eq(dma3(dev, IOASID_PASID_NONE, false, buf, &handle, &done), -EAGAIN);
	ck_assert_uint_eq(done, PG - 0x10);
	/* PRI would ask for both missing pages at once; a stall is one transaction */
	n = read_queue(f, 16);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_ne(f[0].flags & IOASID_FAULT_F_PAGE_REQ, 0);
	ck_assert_uint_ne(f[0].flags & IOASID_FAULT_F_LAST, 0);
	ck_assert_uint_ne(f[0].flags & IOASID_FAULT_F_READ, 0);
	ck_assert_uint_eq(f[0].flags & IOASID_FAULT_F_WRITE, 0);
	ck_assert_uint_eq(f[0].flags & IOASID_FAULT_F_PASID_VALID, 0);
	ck_assert_uint_eq(f[0].addr, IO + PG);
	ck_assert_uint_eq(f[0].grpid, 0); /* the SMMU's first stall tag */
	ck_assert_uint_eq(f[0].dev, dev);
	memcpy(mem + PG, "page-two", 8);
	io = IO + PG;
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem + PG, PG, RW | FIXED, &io));
	ck_assert_ok(ctx, ioasid_fault_respond(ctx, q, f[0].cookie, IOASID_FAULT_SUCCESS));
	/* the retry goes on to the third page, which stalls with the next tag */
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, handle, &done), -EAGAIN);
	ck_assert_uint_eq(done, 2 * PG - 0x10);
	n = read_queue(f, 16);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(f[0].addr, IO + 2 * PG);
	ck_assert_uint_eq(f[0].grpid, 1);
	memcpy(mem + 2 * PG, "page-3", 6);
	io = IO + 2 * PG;
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, ioas, mem + 2 * PG, PG, RW | FIXED, &io));
	ck_assert_ok(ctx, ioasid_fault_respond(ctx, q, f[0].cookie, IOASID_FAULT_SUCCESS));
	ck_assert_ok(ctx, ioasid_sim_dma_poll(ctx, handle, &done));
	ck_assert_uint_eq(done, 3 * PG - 0x10);
	ck_assert_int_eq(memcmp(buf + PG - 0x10, "page-two", 8), 0);
	ck_assert_int_eq(memcmp(buf + 2 * PG - 0x10, "page-3", 6), 0);
}
END_TEST

/*
 * The answer resumes or ends the stalled transaction: FAILURE and INVALID
 * abort it (CMDQ_RESUME_0_RESP_ABORT); a write's request says W; with a
 * SubstreamID the record has the PASID (SSV).
 */
START_TEST(test_stall_terminate_and_pasid)
{
	uint32_t dev, n, pasid;
	struct ioasid_fault f[4];
	uint8_t buf[3 * PG];
	uint64_t handle;
	size_t done;

	open_ctx("sim:smmuv3");
	dev = bind("sim3");
	ck_assert_ok(ctx, ioasid_pasid_alloc(ctx, set, 5, 100, &pasid));
	/* a PASID attaches where its RID's domain allows PASIDs */
	attach_queue_flags(dev, IOASID_PASID_NONE, IOASID_HWPT_PASID);
	attach_queue_flags(dev, pasid, IOASID_HWPT_PASID);
	memset(buf, 'w', sizeof(buf));
	ck_assert_int_eq(dma3(dev, pasid, true, buf, &handle, &done), -EAGAIN);
	n = read_queue(f, 4);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_ne(f[0].flags & IOASID_FAULT_F_WRITE, 0);
	ck_assert_uint_ne(f[0].flags & IOASID_FAULT_F_PASID_VALID, 0);
	ck_assert_uint_ne(f[0].flags & IOASID_FAULT_F_LAST, 0);
	ck_assert_uint_eq(f[0].pasid, pasid);
	ck_assert_ok(ctx, ioasid_fault_respond(ctx, q, f[0].cookie, IOASID_FAULT_FAILURE));
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, handle, &done), -EIO);
	ck_assert_uint_eq(done, PG - 0x10);
	/*
	 * INVALID ends it too; tags go on per SMMU. A transaction that starts
	 * inside an unmapped page is reported at its own address (the event's
	 * InputAddr), not its page's as a PCIe page request would be.
	 */
	ck_assert_int_eq(ioasid_sim_dma_submit(ctx, dev, IOASID_PASID_NONE, IO + PG + 0x24, buf, 8,
					       false, &handle, &done),
			 -EAGAIN);
	n = read_queue(f, 4);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(f[0].flags & IOASID_FAULT_F_PASID_VALID, 0);
	ck_assert_uint_eq(f[0].addr, IO + PG + 0x24);
	ck_assert_uint_eq(f[0].grpid, 1);
	ck_assert_ok(ctx, ioasid_fault_respond(ctx, q, f[0].cookie, IOASID_FAULT_INVALID));
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, handle, &done), -EFAULT);
}
END_TEST

/*
 * A PCIe PRI device (sim0: PRI, ATS) on an SMMUv3: Linux 7.2 takes no page
 * requests from it (arm_smmu_handle_ppr() logs and denies them), and the
 * attach of an HWPT with a fault queue succeeds without enabling anything
 * (arm_smmu_enable_iopf() returns 0 for a master that cannot stall). The
 * DMA fails at once; nothing waits on the queue. Same for a device with
 * neither (sim1).
 */
START_TEST(test_pri_is_not_taken)
{
	const char *const names[] = { "sim0", "sim1" };
	struct ioasid_fault f[16];
	uint8_t buf[3 * PG];
	uint64_t handle;
	size_t done;
	uint32_t dev, n;

	open_ctx("sim:smmuv3");
	for (unsigned int i = 0; i < 2; i++) {
		dev = bind(names[i]);
		attach_queue(dev, IOASID_PASID_NONE);
		ck_assert_int_eq(dma3(dev, IOASID_PASID_NONE, false, buf, &handle, &done), -EFAULT);
		ck_assert_uint_eq(done, PG - 0x10);
		n = read_queue(f, 16);
		for (uint32_t k = 0; k < n; k++)
			ck_assert_uint_eq(f[k].flags & IOASID_FAULT_F_PAGE_REQ, 0);
		ck_assert_ok(ctx, ioasid_dev_detach(ctx, dev, IOASID_PASID_NONE));
	}
}
END_TEST

/* A profile file of the built-in smmuv3 whose IDR0 has STALL_MODEL @model. */
static void stall_model_profile(unsigned int model, char *spec, size_t len)
{
	char text[512], path[256];

	snprintf(text, sizeof(text),
		 "{\"base\": \"smmuv3\", \"registers\": {\"idr\": [\"0x%llx\", \"0x2739d10\", \"0x0\","
		 " \"0x400\", \"0x0\", \"0x800075\"]}%s}",
		 (unsigned long long)IDR0_MODEL(model),
		 model == 2 ? "" :
			      ", \"devices\": [{\"name\": \"sim0\", \"pri\": true, \"ats\": true},"
			      " {\"name\": \"sim1\"}]");
	write_file("stall.json", text, path, sizeof(path));
	snprintf(spec, len, "sim:%s", path);
}

/* STALL_MODEL 2 (stall forced): every master stalls, dma-can-stall or not. */
START_TEST(test_stall_force)
{
	const char *const names[] = { "sim0", "sim1", "sim3" };
	struct ioasid_fault f[16];
	uint8_t buf[3 * PG];
	char spec[300];
	uint64_t handle;
	size_t done;
	uint32_t dev;

	stall_model_profile(2, spec, sizeof(spec));
	open_ctx(spec);
	for (unsigned int i = 0; i < 3; i++) {
		dev = bind(names[i]);
		attach_queue(dev, IOASID_PASID_NONE);
		ck_assert_int_eq(dma3(dev, IOASID_PASID_NONE, false, buf, &handle, &done), -EAGAIN);
		ck_assert_uint_eq(read_queue(f, 16), 1);
		ck_assert_uint_ne(f[0].flags & IOASID_FAULT_F_LAST, 0);
		ck_assert_uint_eq(f[0].grpid, i);
		ck_assert_ok(ctx, ioasid_fault_respond(ctx, q, f[0].cookie, IOASID_FAULT_FAILURE));
		ck_assert_int_eq(ioasid_sim_dma_poll(ctx, handle, &done), -EIO);
		ck_assert_ok(ctx, ioasid_dev_detach(ctx, dev, IOASID_PASID_NONE));
	}
}
END_TEST

/*
 * STALL_MODEL 1 (terminate only): no master stalls; a device that says it
 * can is a profile error naming the value, as a stall device off SMMUv3
 * is. Hot-adding one obeys the same rules.
 */
START_TEST(test_stall_needs_a_stalling_smmu)
{
	struct ioasid_sim_dev_desc d = { .sz = sizeof(d),
					 .name = "plat0",
					 .pgsize_bitmap = 0x1000,
					 .flags = IOASID_SIM_DEV_STALL };
	struct ioasid_fault f[16];
	struct ioasid_ctx *vtd;
	uint8_t buf[3 * PG];
	char spec[300], err[512], path[256];
	uint64_t handle;
	size_t done;
	uint32_t dev;
	struct sim_profile *p;

	/* the built-in's devices keep dma-can-stall on sim3: refused */
	write_file("terminate.json",
		   "{\"base\": \"smmuv3\", \"registers\": {\"idr\": [\"0x90d769b\", \"0x2739d10\","
		   " \"0x0\", \"0x400\", \"0x0\", \"0x800075\"]}}",
		   path, sizeof(path));
	ck_assert_int_eq(sim_profile_load(path, &p, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "devices[3].stall") && strstr(err, "STALL_MODEL is 1"), "%s", err);
	write_file("vtd-stall.json",
		   "{\"base\": \"vtd\", \"devices\": [{\"name\": \"sim0\", \"stall\": true}]}",
		   path, sizeof(path));
	ck_assert_int_eq(sim_profile_load(path, &p, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "devices[0].stall") && strstr(err, "vtd"), "%s", err);
	write_file("bad-stall.json", "{\"base\": \"smmuv3\", \"devices\": [{\"stall\": 1}]}", path,
		   sizeof(path));
	ck_assert_int_eq(sim_profile_load(path, &p, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "devices[0].stall"), "%s", err);

	/* terminate only: the faults of a queue-backed attach end the DMA */
	stall_model_profile(1, spec, sizeof(spec));
	open_ctx(spec);
	ck_assert_ret(ctx, ioasid_sim_dev_add(ctx, &d), -EINVAL);
	ck_assert_errmsg_has(ctx, "STALL_MODEL is 1");
	dev = bind("sim1");
	attach_queue(dev, IOASID_PASID_NONE);
	ck_assert_int_eq(dma3(dev, IOASID_PASID_NONE, false, buf, &handle, &done), -EFAULT);
	for (uint32_t k = 0, n = read_queue(f, 16); k < n; k++)
		ck_assert_uint_eq(f[k].flags & IOASID_FAULT_F_PAGE_REQ, 0);

	vtd = test_sim_ctx_spec("sim:vtd");
	ck_assert_ret(vtd, ioasid_sim_dev_add(vtd, &d), -EINVAL);
	ck_assert_errmsg_has(vtd, "smmuv3 only");
	ioasid_ctx_close(vtd);
}
END_TEST

/* A hot-added stall-capable device on the built-in smmuv3 stalls. */
START_TEST(test_stall_hot_added)
{
	struct ioasid_sim_dev_desc d = { .sz = sizeof(d),
					 .name = "plat0",
					 .pgsize_bitmap = 0x1000,
					 .flags = IOASID_SIM_DEV_STALL };
	struct ioasid_fault f[4];
	uint8_t buf[3 * PG];
	uint64_t handle;
	size_t done;
	uint32_t dev;

	open_ctx("sim:smmuv3");
	ck_assert_ok(ctx, ioasid_sim_dev_add(ctx, &d));
	dev = bind("plat0");
	attach_queue(dev, IOASID_PASID_NONE);
	ck_assert_int_eq(dma3(dev, IOASID_PASID_NONE, false, buf, &handle, &done), -EAGAIN);
	ck_assert_uint_eq(read_queue(f, 4), 1);
	ck_assert_ok(ctx, ioasid_fault_respond(ctx, q, f[0].cookie, IOASID_FAULT_INVALID));
	ck_assert_int_eq(ioasid_sim_dma_poll(ctx, handle, &done), -EFAULT);
}
END_TEST

/*
 * VT-d and AMD keep PCIe PRI: one group for every page that does not
 * translate, the last one LAST, a 9-bit PRG index.
 */
START_TEST(test_pri_models_unchanged)
{
	const char *const specs[] = { "sim:vtd", "sim:amd" };
	struct ioasid_fault f[16];
	uint8_t buf[3 * PG];
	uint64_t handle;
	size_t done;
	uint32_t dev;

	for (unsigned int i = 0; i < 2; i++) {
		open_ctx(specs[i]);
		dev = bind("sim0");
		attach_queue(dev, IOASID_PASID_NONE);
		ck_assert_int_eq(dma3(dev, IOASID_PASID_NONE, false, buf, &handle, &done), -EAGAIN);
		ck_assert_uint_eq(read_queue(f, 16), 2);
		ck_assert_uint_eq(f[0].addr, IO + PG);
		ck_assert_uint_eq(f[1].addr, IO + 2 * PG);
		ck_assert_uint_eq(f[0].flags & IOASID_FAULT_F_LAST, 0);
		ck_assert_uint_ne(f[1].flags & IOASID_FAULT_F_LAST, 0);
		ck_assert_uint_eq(f[0].grpid, f[1].grpid);
		ck_assert_ok(ctx, ioasid_fault_respond(ctx, q, f[0].cookie, IOASID_FAULT_INVALID));
		ck_assert_int_eq(ioasid_sim_dma_poll(ctx, handle, &done), -EFAULT);
		ioasid_ctx_close(ctx);
		ctx = NULL;
	}
}
END_TEST

/* ---- nested: the guest's CD and vSTE decide, through a vIOMMU ---- */

#define G 0x10000000ull     /* guest RAM: GPA of its first byte */
#define GVA 0x400000ull     /* L2 index 2, L3 index 0 */
#define DATA (G + 0x100000) /* where the leaf points */
#define CDTAB G
#define TT(n) (G + (1 + (n)) * PG)
#define VSID 0x42u
#define LEAF_RW (SIM_ARM_VALID | SIM_ARM_TABLE | SIM_ARM_AF | SIM_ARM_S1_AP1 | SIM_ARM_NG)
#define TABLE (SIM_ARM_VALID | SIM_ARM_TABLE)

static uint8_t *graw, *gmem;
static uint32_t ndev, nviommu, nevq, nioas;
static bool nattached;

static uint64_t *gp(uint64_t gpa)
{
	return (uint64_t *)(gmem + (gpa - G));
}

/* sim3 behind an SMMUv3 vIOMMU, its vDEVICE and vEVENTQ; the guest's tables map GVA. */
static void nested_setup(void)
{
	struct ioasid_hwpt_opts po = { .sz = sizeof(po), .flags = IOASID_HWPT_NEST_PARENT };
	struct ioasid_viommu_opts vo = { .sz = sizeof(vo), .type = IOASID_VIOMMU_ARM_SMMUV3 };
	struct ioasid_veventq_opts eo = { .sz = sizeof(eo),
					  .type = IOASID_VEVENTQ_ARM_SMMUV3,
					  .depth = 8 };
	uint64_t iova = G;
	uint32_t parent, vdev;

	open_ctx("sim:smmuv3");
	ndev = bind("sim3");
	nattached = false;
	graw = test_mem(10 * MB);
	gmem = (uint8_t *)(((uintptr_t)graw + 2 * MB - 1) & ~(2 * MB - 1));
	memset(gmem, 0, 8 * MB);
	ck_assert_ok(ctx, ioasid_ioas_alloc(ctx, &nioas));
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, nioas, gmem, 8 * MB, RW | FIXED, &iova));
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, ndev, nioas, &po, &parent));
	ck_assert_ok(ctx, ioasid_viommu_alloc(ctx, ndev, parent, &vo, &nviommu));
	ck_assert_ok(ctx, ioasid_vdevice_alloc(ctx, nviommu, ndev, VSID, &vdev));
	ck_assert_ok(ctx, ioasid_veventq_alloc(ctx, nviommu, &eo, &nevq));
	gp(TT(0))[0] = htole64(TT(1) | TABLE);
	gp(TT(1))[0] = htole64(TT(2) | TABLE);
	gp(TT(2))[2] = htole64(TT(3) | TABLE);
	gp(TT(3))[0] = htole64(DATA | LEAF_RW);
}

/* A nested HWPT of a stage-1 vSTE (@w1: its word 1) whose CD has @cd_bits; attached. */
static uint32_t nested_attach(uint64_t cd_bits, uint64_t w1, bool with_queue)
{
	struct ioasid_hwpt_arm_smmuv3 d = {
		.ste = { htole64(SMMU_STE0_V |
				 SMMU_PUT(SMMU_STE_CFG_S1_TRANS, SMMU_STE0_CFG_H, SMMU_STE0_CFG_L) |
				 CDTAB),
			 htole64(w1) }
	};
	struct ioasid_hwpt_opts o = { .sz = sizeof(o),
				      .type = IOASID_HWPT_NESTED_ARM_SMMUV3,
				      .flags = with_queue ? IOASID_HWPT_FAULT_ID_VALID : 0,
				      .fault_queue = with_queue ? q : 0,
				      .data = &d,
				      .data_len = sizeof(d) };
	uint32_t h;

	gp(CDTAB)[0] = htole64(SMMU_PUT(16, SMMU_CD0_T0SZ_H, SMMU_CD0_T0SZ_L) | SMMU_CD0_V |
			       SMMU_CD0_AA64 | SMMU_PUT(5, SMMU_CD0_IPS_H, SMMU_CD0_IPS_L) |
			       SMMU_CD0_R | SMMU_CD0_A |
			       SMMU_PUT(7, SMMU_CD0_ASID_H, SMMU_CD0_ASID_L) | cd_bits);
	gp(CDTAB)[1] = htole64(TT(0));
	ck_assert_ok(ctx, ioasid_hwpt_alloc(ctx, ndev, nviommu, &o, &h));
	/* each attach refreshes the STE and drops the device's cached CDs */
	if (nattached)
		ck_assert_ok(ctx, ioasid_dev_replace(ctx, ndev, IOASID_PASID_NONE, h, NULL));
	else
		ck_assert_ok(ctx, ioasid_dev_attach(ctx, ndev, IOASID_PASID_NONE, h, NULL));
	nattached = true;
	return h;
}

static uint32_t nevents(void)
{
	struct ioasid_vevent ev[4];
	uint32_t n = 0;

	ck_assert_ok(ctx, ioasid_veventq_read(ctx, nevq, ev, 4, &n));
	return n;
}

static int nrd(uint64_t iova, uint8_t *b, uint64_t *handle)
{
	size_t done;

	return ioasid_sim_dma_submit(ctx, ndev, IOASID_PASID_NONE, iova, b, 8, false, handle, &done);
}

/*
 * A stall-enabled master under a guest's CD with S set: the stage-1 fault
 * stalls and is the nested HWPT's page request, never the guest's event.
 * With S clear, or the vSTE's S1STALLD set, it terminates and the guest
 * gets the event. A stall no queue takes is aborted, with no event either.
 */
START_TEST(test_nested_stall)
{
	struct ioasid_fault f[4];
	uint64_t handle;
	size_t done;
	uint8_t b[8];

	nested_setup();
	nested_attach(SMMU_CD0_S, 0, true);
	ck_assert_int_eq(nrd(GVA + PG, b, &handle), -EAGAIN);
	ck_assert_uint_eq(read_queue(f, 4), 1);
	ck_assert_uint_ne(f[0].flags & IOASID_FAULT_F_PAGE_REQ, 0);
	ck_assert_uint_ne(f[0].flags & IOASID_FAULT_F_LAST, 0);
	ck_assert_uint_eq(f[0].addr, GVA + PG);
	ck_assert_uint_eq(nevents(), 0);
	/* the guest maps the page; the answer resumes the transaction */
	gp(TT(3))[1] = htole64((DATA + PG) | LEAF_RW);
	memcpy(gmem + (DATA + PG - G), "resumed!", 8);
	ck_assert_ok(ctx, ioasid_fault_respond(ctx, q, f[0].cookie, IOASID_FAULT_SUCCESS));
	ck_assert_ok(ctx, ioasid_sim_dma_poll(ctx, handle, &done));
	ck_assert_int_eq(memcmp(b, "resumed!", 8), 0);

	/* CD.S clear: terminated, the guest's event */
	nested_attach(0, 0, true);
	ck_assert_int_eq(nrd(GVA + 2 * PG, b, &handle), -EFAULT);
	ck_assert_uint_eq(nevents(), 1);
	ck_assert_uint_eq(read_queue(f, 4), 0);
	/* S1STALLD in the guest's vSTE: no stall whatever the CD says */
	nested_attach(SMMU_CD0_S, SMMU_STE1_S1STALLD, true);
	ck_assert_int_eq(nrd(GVA + 2 * PG, b, &handle), -EFAULT);
	ck_assert_uint_eq(nevents(), 1);
	ck_assert_uint_eq(read_queue(f, 4), 0);
	/* a stall with no fault handler: aborted (iopf_error_response()), no event */
	nested_attach(SMMU_CD0_S, 0, false);
	ck_assert_int_eq(nrd(GVA + 2 * PG, b, &handle), -EFAULT);
	ck_assert_uint_eq(nevents(), 0);
	ck_assert_uint_eq(read_queue(f, 4), 0);
	munmap(graw, 10 * MB);
}
END_TEST

/*
 * A stage-2 fault of a stall-enabled master stalls whatever the guest's CD
 * says (the kernel's STE sets S2S for it): the nested HWPT's page request,
 * at the input address; the VMM maps the IPA and the transaction resumes.
 */
START_TEST(test_nested_stage2_stall)
{
	struct ioasid_fault f[4];
	uint64_t handle, iova = G + 8 * MB;
	size_t done;
	uint8_t b[8];

	nested_setup();
	nested_attach(0, 0, true);
	gp(TT(3))[3] = htole64((G + 8 * MB) | LEAF_RW); /* an IPA stage 2 does not map */
	ck_assert_int_eq(nrd(GVA + 3 * PG + 8, b, &handle), -EAGAIN);
	ck_assert_uint_eq(read_queue(f, 4), 1);
	ck_assert_uint_ne(f[0].flags & IOASID_FAULT_F_LAST, 0);
	ck_assert_uint_eq(f[0].addr, GVA + 3 * PG + 8);
	ck_assert_uint_eq(nevents(), 0);
	memcpy(mem + 8, "from-s2!", 8);
	ck_assert_ok(ctx, ioasid_ioas_map(ctx, nioas, mem, PG, RW | FIXED, &iova));
	ck_assert_ok(ctx, ioasid_fault_respond(ctx, q, f[0].cookie, IOASID_FAULT_SUCCESS));
	ck_assert_ok(ctx, ioasid_sim_dma_poll(ctx, handle, &done));
	ck_assert_int_eq(memcmp(b, "from-s2!", 8), 0);
	munmap(graw, 10 * MB);
}
END_TEST

/* The built-in smmuv3 has its stall master, and a dump says which device stalls. */
START_TEST(test_profile_stall_key)
{
	struct sim_profile *p = load_ok("smmuv3"), *v = load_ok("vtd");
	const struct sim_dev_desc *d = sim_profile_find_device(p, "sim3");
	json_t *j = sim_profile_to_json(p), *jv = sim_profile_to_json(v);

	ck_assert_ptr_nonnull(d);
	ck_assert(d->stall && !d->pri && !d->ats);
	ck_assert(sim_profile_dev_stalls(p, d));
	ck_assert(!sim_profile_dev_stalls(p, sim_profile_find_device(p, "sim0")));
	ck_assert_uint_eq(sim_profile_stall_model(p), SIM_STALL_BOTH);
	ck_assert(json_is_true(
		json_object_get(json_array_get(json_object_get(j, "devices"), 3), "stall")));
	ck_assert(json_is_false(
		json_object_get(json_array_get(json_object_get(j, "devices"), 0), "stall")));
	/* an SMMUv3-only key: not in another model's dump */
	ck_assert_ptr_null(
		json_object_get(json_array_get(json_object_get(jv, "devices"), 0), "stall"));
	ck_assert_uint_eq(sim_profile_stall_model(v), SIM_STALL_NONE);
	json_decref(j);
	json_decref(jv);
	sim_profile_free(p);
	sim_profile_free(v);
	p = load_ok("qemu-smmuv3");
	ck_assert_uint_eq(sim_profile_stall_model(p), SIM_STALL_NONE);
	sim_profile_free(p);
}
END_TEST

Suite *sim_smmuv3_stall_suite(void)
{
	Suite *s = suite_create("sim_smmuv3_stall");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_stall_is_a_group_of_one);
	tcase_add_test(tc, test_stall_terminate_and_pasid);
	tcase_add_test(tc, test_pri_is_not_taken);
	tcase_add_test(tc, test_stall_force);
	tcase_add_test(tc, test_stall_needs_a_stalling_smmu);
	tcase_add_test(tc, test_stall_hot_added);
	tcase_add_test(tc, test_pri_models_unchanged);
	tcase_add_test(tc, test_nested_stall);
	tcase_add_test(tc, test_nested_stage2_stall);
	tcase_add_test(tc, test_profile_stall_key);
	suite_add_tcase(s, tc);
	return s;
}
