/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the sim's AMD vIOMMU model: the untrusted inputs of
 * AMD nesting are the guest's DTE (IOMMU_HWPT_ALLOC's data) and the
 * guest's GCR3 table and v2 page tables in guest memory, which the IOMMU
 * walks for every DMA. Each input is a fresh sim context on the `amd`
 * profile: 16 pages of guest RAM mapped by a v1 nest parent, a vIOMMU,
 * then the input's DTE, table entries and DMA requests.
 *
 * Checks, besides "no crash, no overread, no leak":
 *  - the nested HWPT is made exactly when the kernel's checks
 *    (validate_gdte_nested() of drivers/iommu/amd/nested.c, written again
 *    here from the kernel's text, independently of lib/vendor/amd.c) pass,
 *    with the kernel's errno when they do not;
 *  - a DMA ends in 0, -EFAULT or -EACCES only;
 *  - a DMA write that succeeds lands inside the guest RAM (the pattern is
 *    found there), and nothing outside it is touched (ASan).
 *
 * Input:
 *   32 bytes  the guest DTE (four little-endian words)
 *   1 byte    ctrl: bit 0 puts the GCR3 root at RAM page (ctrl >> 4) so
 *             that walks reach the tables; bit 1 sets PPR and GIOV
 *   then records of 6 bytes:
 *     op 0..1 entry:  u8 page, le16 index, u8 lo, u8 hi
 *             writes RAM page (page & 15), entry (index & 511) =
 *             GPA(hi & 15) | lo (flag bits) | bit 63 if hi & 0x80 |
 *             a bit beyond the RAM if hi & 0x40
 *     op 2    DMA by sim0 (PASIDs, PRI, ATS; no fault queue): u8 pasid
 *             (0xff: none), le16 iova page, u8 flags (bit 0 write), u8 unused
 *
 * Build (`make fuzz` has the rule): clang -fsanitize=fuzzer,address,undefined
 * with every library source, as fuzz_virtio_iommu.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <ioasid/ioasid.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PG 4096u
#define NPAGES 16u
#define GBASE 0x10000000ull
#define GPA(n) (GBASE + (uint64_t)(n)*PG)

static uint8_t *ram;

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void die(const char *what, int r)
{
	fprintf(stderr, "fuzz_amd_nested: %s: %d\n", what, r);
	abort();
}

/* The kernel's validate_gdte_nested() on the amd profile (4-level guest tables). */
static int expected_errno(const uint64_t *dte)
{
	uint64_t root = ((dte[0] >> 58) & 7) | ((dte[1] >> 16) & 0xffff) << 3 |
			((dte[1] >> 43) & 0x1fffff) << 19;
	unsigned int gpt = (unsigned int)(dte[2] >> 54) & 3, glx = (unsigned int)(dte[0] >> 56) & 3;

	if ((dte[0] >> 9) & 7)
		return -EINVAL; /* Mode */
	if ((dte[0] >> 12) & ((UINT64_C(1) << 40) - 1))
		return -EINVAL; /* host table root */
	if ((dte[0] & 1) && ((dte[0] >> 55) & 1) && !root)
		return -EINVAL; /* V, GV, no GCR3 table */
	if (gpt > 1)
		return -EINVAL;
	if (glx == 3)
		return -EINVAL;
	if (gpt == 1)
		return -EOPNOTSUPP; /* EFR.GATS 0 */
	return 0;
}

static void run(const uint8_t *data, size_t size)
{
	struct ioasid_hwpt_opts po = IOASID_OPTS_INIT(ioasid_hwpt_opts);
	struct ioasid_viommu_opts vo = IOASID_OPTS_INIT(ioasid_viommu_opts);
	struct ioasid_hwpt_opts no = IOASID_OPTS_INIT(ioasid_hwpt_opts);
	struct ioasid_hwpt_amd_guest d;
	struct ioasid_ctx *ctx = NULL;
	uint32_t ioas, dev, parent, viommu, nested;
	uint64_t iova = GBASE;
	unsigned int i, nreq = 0;
	uint8_t ctrl;
	int r, want;

	if (size < 33)
		return;
	for (i = 0; i < 4; i++)
		d.dte[i] = le64(data + 8 * i);
	ctrl = data[32];
	data += 33;
	size -= 33;
	if (ctrl & 1) {
		uint64_t root = GPA(ctrl >> 4);

		d.dte[0] = (d.dte[0] & ~(UINT64_C(7) << 58)) | ((root >> 12) & 7) << 58;
		d.dte[1] = (d.dte[1] & ~(UINT64_C(0xffff) << 16) & ~(UINT64_C(0x1fffff) << 43)) |
			   ((root >> 15) & 0xffff) << 16 | ((root >> 31) & 0x1fffff) << 43;
	}
	if (ctrl & 2)
		d.dte[0] |= UINT64_C(1) << 52 | UINT64_C(1) << 54;
	memset(ram, 0, NPAGES * PG);

	r = ioasid_ctx_open("sim:amd", NULL, &ctx);
	if (r)
		die("open", r);
	ioasid_ctx_set_pinned_limit(ctx, UINT64_MAX);
	if ((r = ioasid_ioas_alloc(ctx, &ioas)) ||
	    (r = ioasid_ioas_map(ctx, ioas, ram, NPAGES * PG,
				 IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA,
				 &iova)) ||
	    (r = ioasid_dev_bind(ctx, "sim0", &dev)))
		die("setup", r);
	po.flags = IOASID_HWPT_NEST_PARENT;
	if ((r = ioasid_hwpt_alloc(ctx, dev, ioas, &po, &parent)))
		die("parent", r);
	vo.type = 1;
	if ((r = ioasid_viommu_alloc(ctx, dev, parent, &vo, &viommu)))
		die("viommu", r);
	no.type = IOASID_HWPT_NESTED_AMD_GUEST;
	no.data = &d;
	no.data_len = sizeof(d);
	for (i = 0; i < 4; i++)
		d.dte[i] = htole64(d.dte[i]);
	r = ioasid_hwpt_alloc(ctx, dev, viommu, &no, &nested);
	for (i = 0; i < 4; i++)
		d.dte[i] = le64toh(d.dte[i]);
	want = expected_errno(d.dte);
	if (r != want) {
		fprintf(stderr,
			"DTE %016llx %016llx %016llx %016llx: %d, the kernel's checks say %d (%s)\n",
			(unsigned long long)d.dte[0], (unsigned long long)d.dte[1],
			(unsigned long long)d.dte[2], (unsigned long long)d.dte[3], r, want,
			ioasid_ctx_errmsg(ctx));
		abort();
	}
	if (r)
		goto out;
	if ((r = ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, nested, NULL)))
		die("attach", r);

	for (; size >= 6; data += 6, size -= 6) {
		uint8_t op = data[0] % 3;

		if (op < 2) {
			unsigned int pg = data[1] & (NPAGES - 1),
				     idx = (data[2] | data[3] << 8) & 511;
			uint8_t lo = data[4], hi = data[5];
			uint64_t e = GPA(hi & (NPAGES - 1)) | lo;

			if (hi & 0x80)
				e |= UINT64_C(1) << 63;
			if (hi & 0x40)
				e |= UINT64_C(1)
				     << 40; /* beyond the RAM, inside the address field */
			put64(ram + pg * PG + idx * 8, e);
		} else {
			uint32_t pasid = data[1] == 0xff ? IOASID_PASID_NONE : data[1];
			uint64_t va = (uint64_t)(data[2] | data[3] << 8) << 12;
			uint8_t buf[16] = "AMDfuzzPATTERN";
			size_t done;

			/* a pattern of its own per request: the check finds this write's bytes */
			buf[14] = (uint8_t)nreq;
			buf[15] = (uint8_t)(nreq++ >> 8);
			if (data[4] & 1) {
				r = ioasid_sim_dma_write(ctx, dev, pasid, va, buf, sizeof(buf),
							 &done);
				if (!r && !memmem(ram, NPAGES * PG, buf, sizeof(buf)))
					die("a DMA write landed outside the guest RAM", r);
			} else {
				r = ioasid_sim_dma_read(ctx, dev, pasid, va, buf, sizeof(buf),
							&done);
			}
			if (r && r != -EFAULT && r != -EACCES)
				die("DMA", r);
		}
	}
	ioasid_dev_detach(ctx, dev, IOASID_PASID_NONE);
out:
	ioasid_ctx_close(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ram) {
		ram = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
		if (ram == MAP_FAILED)
			abort();
	}
	run(data, size);
	return 0;
}
