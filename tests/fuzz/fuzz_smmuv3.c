/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the sim's SMMUv3 vIOMMU model (issue #13): the
 * guest's untrusted inputs — vSTEs, the CD tables and stage-1 tables in
 * guest memory, CMDQ commands — against a fresh sim:smmuv3 context with
 * guest RAM in a nest parent, a vIOMMU, sim0 as vSID 1 and a vEVENTQ.
 * Besides "no crash, no overread, no leak" it checks the contracts a VMM
 * relies on: only the kernel's errnos (vSTE: EIO/EINVAL/E2BIG/EOPNOTSUPP;
 * attach: ENOENT/EBUSY; invalidation: EIO with a handled count below the
 * array, EINVAL/E2BIG with none handled, all handled on success), DMA
 * answers 0/EFAULT/EACCES only, a successful DMA read gives bytes of guest
 * RAM, and every vEVENTQ record is a 32-byte SMMUv3 event of a known kind
 * with the guest's StreamID and consecutive sequence numbers (or a
 * LOST_EVENTS mark).
 *
 * Input: operations, each an opcode byte (& 7) and its arguments:
 *   0 RAM write:  le16 slot (8-byte word of the 64 KiB of RAM), 8 bytes
 *   1 vSTE:       16 bytes; made and attached (replacing) when accepted
 *   2 DMA:        u8 flags (bit 0 write, 1 with SSID = bits 4-7), le32 iova
 *   3 commands:   u8 n (1 + & 3), u8 entry length (& 1 ? 24 : 16), n x 16 bytes
 *   4 events:     read and check them
 *   5 vDEVICE:    destroy and make again at vSID (u8)
 * A template guest (CD 0, tables mapping 0x400000 to RAM) is written first,
 * so that mutations start from translations that work.
 *
 * Build: `make tests/fuzz/fuzz_smmuv3` (every library source, as fuzz_state).
 */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <ioasid/ioasid.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PG 4096ull
#define RAM_GPA 0x10000000ull
#define RAM_SIZE (16 * PG)

static uint8_t *ram;

struct st {
	struct ioasid_ctx *ctx;
	uint32_t dev, viommu, vdev, evq, nested;
	uint64_t vsid;
	bool seq_known;
	uint32_t next_seq;
};

#define CHECK(cond, ...)                                                  \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, __VA_ARGS__);                     \
			fprintf(stderr, " (%s)\n", ioasid_last_errmsg()); \
			abort();                                          \
		}                                                         \
	} while (0)

static uint64_t le64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static void put64(uint64_t gpa, uint64_t v)
{
	v = htole64(v);
	memcpy(ram + (gpa - RAM_GPA), &v, 8);
}

/* CD 0 at RAM page 0, tables at pages 1-4, 0x400000 -> page 8. */
static void template_guest(void)
{
	memset(ram, 0, RAM_SIZE);
	put64(RAM_GPA, 16 | 1ull << 31 | 5ull << 32 | 1ull << 41 | 1ull << 45 | 1ull << 46 |
			       1ull << 43 | 3ull << 48);
	put64(RAM_GPA + 8, RAM_GPA + PG);
	put64(RAM_GPA + PG, (RAM_GPA + 2 * PG) | 3);
	put64(RAM_GPA + 2 * PG, (RAM_GPA + 3 * PG) | 3);
	put64(RAM_GPA + 3 * PG + 2 * 8, (RAM_GPA + 4 * PG) | 3);
	put64(RAM_GPA + 4 * PG, (RAM_GPA + 8 * PG) | 3 | 1ull << 10 | 1ull << 6);
	memset(ram + 8 * PG, 0xa5, PG);
}

static bool setup(struct st *s)
{
	struct ioasid_hwpt_opts po = { .sz = sizeof(po), .flags = IOASID_HWPT_NEST_PARENT };
	struct ioasid_viommu_opts vo = { .sz = sizeof(vo), .type = IOASID_VIOMMU_ARM_SMMUV3 };
	struct ioasid_veventq_opts qo = { .sz = sizeof(qo),
					  .type = IOASID_VEVENTQ_ARM_SMMUV3,
					  .depth = 4 };
	uint32_t ioas, parent;
	uint64_t iova = RAM_GPA;

	memset(s, 0, sizeof(*s));
	if (ioasid_ctx_open("sim:smmuv3", NULL, &s->ctx))
		return false;
	ioasid_ctx_set_pinned_limit(s->ctx, UINT64_MAX);
	template_guest();
	s->vsid = 1;
	CHECK(!ioasid_ioas_alloc(s->ctx, &ioas) && !ioasid_dev_bind(s->ctx, "sim0", &s->dev) &&
		      !ioasid_ioas_map(s->ctx, ioas, ram, RAM_SIZE,
				       IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA,
				       &iova) &&
		      !ioasid_hwpt_alloc(s->ctx, s->dev, ioas, &po, &parent) &&
		      !ioasid_viommu_alloc(s->ctx, s->dev, parent, &vo, &s->viommu) &&
		      !ioasid_vdevice_alloc(s->ctx, s->viommu, s->dev, s->vsid, &s->vdev) &&
		      !ioasid_veventq_alloc(s->ctx, s->viommu, &qo, &s->evq),
	      "setup failed");
	return true;
}

static void op_vste(struct st *s, const uint8_t *p)
{
	struct ioasid_hwpt_arm_smmuv3 d;
	struct ioasid_hwpt_opts o = { .sz = sizeof(o),
				      .type = IOASID_HWPT_NESTED_ARM_SMMUV3,
				      .data = &d,
				      .data_len = sizeof(d) };
	uint32_t h;
	int r;

	memcpy(&d, p, sizeof(d));
	r = ioasid_hwpt_alloc(s->ctx, s->dev, s->viommu, &o, &h);
	CHECK(r == 0 || r == -EIO, "vSTE: %d", r);
	if (r)
		return;
	r = s->nested ? ioasid_dev_replace(s->ctx, s->dev, IOASID_PASID_NONE, h, NULL) :
			ioasid_dev_attach(s->ctx, s->dev, IOASID_PASID_NONE, h, NULL);
	CHECK(r == 0 || r == -ENOENT, "attach: %d", r);
	if (r) {
		CHECK(!ioasid_hwpt_destroy(s->ctx, h), "destroy");
		return;
	}
	if (s->nested)
		CHECK(!ioasid_hwpt_destroy(s->ctx, s->nested), "destroy old");
	s->nested = h;
}

static void op_dma(struct st *s, uint8_t flags, uint32_t page)
{
	uint8_t b[16];
	uint32_t pasid = (flags & 2) ? (uint32_t)(flags >> 4) : IOASID_PASID_NONE;
	uint64_t iova = ((uint64_t)page << 12) | ((page >> 20) & 0xff0);
	size_t done = 0;
	int r;

	memset(b, 0x5a, sizeof(b));
	if (flags & 1)
		r = ioasid_sim_dma_write(s->ctx, s->dev, pasid, iova, b, sizeof(b), &done);
	else
		r = ioasid_sim_dma_read(s->ctx, s->dev, pasid, iova, b, sizeof(b), &done);
	CHECK(r == 0 || r == -EFAULT || r == -EACCES, "DMA: %d", r);
	CHECK(!r || done < sizeof(b), "a failed DMA of %zu bytes", done);
	if (!r && !(flags & 1)) {
		/* the bytes are guest RAM's: somewhere in it */
		CHECK(memmem(ram, RAM_SIZE, b, done) != NULL, "DMA read bytes not in guest RAM");
	}
}

static void op_cmds(struct st *s, const uint8_t *p, uint32_t n, uint32_t len)
{
	uint8_t buf[4 * 24];
	uint32_t i, handled = n;
	int r;

	memset(buf, 0, sizeof(buf));
	for (i = 0; i < n; i++)
		memcpy(buf + i * len, p + i * 16, 16);
	if (len > 16 && (p[0] & 0x80))
		buf[len - 1] = 1; /* a non-zero tail */
	r = ioasid_viommu_invalidate(s->ctx, s->viommu, 1, buf, len, &handled);
	CHECK(r == 0 || r == -EIO || r == -E2BIG, "invalidate: %d", r);
	CHECK(r || handled == n, "success with %u of %u handled", handled, n);
	CHECK(r != -EIO || handled < n, "EIO with all %u handled", n);
	CHECK(r != -E2BIG || handled == 0, "E2BIG with %u handled", handled);
}

static void op_events(struct st *s)
{
	struct ioasid_vevent ev[8];
	uint32_t n = 0, i;

	CHECK(!ioasid_veventq_read(s->ctx, s->evq, ev, 8, &n), "read");
	for (i = 0; i < n; i++) {
		uint64_t w0 = le64_at(ev[i].data);
		unsigned int id = (unsigned int)(w0 & 0xff);

		if (s->seq_known && !(ev[i].flags & IOASID_VEVENT_LOST_EVENTS))
			CHECK(ev[i].sequence == s->next_seq || s->next_seq == 0xffffffffu,
			      "sequence %u after %u", ev[i].sequence, s->next_seq);
		s->seq_known = !(ev[i].flags & IOASID_VEVENT_LOST_EVENTS);
		s->next_seq = (ev[i].sequence + 1) & 0x7fffffff;
		if (ev[i].flags & IOASID_VEVENT_LOST_EVENTS) {
			CHECK(ev[i].data_len == 0, "a mark with data");
			continue;
		}
		CHECK(ev[i].data_len == 32, "record of %u bytes", ev[i].data_len);
		CHECK(id == 0x04 || id == 0x06 || id == 0x08 || id == 0x0a ||
			      (id >= 0x10 && id <= 0x13),
		      "event 0x%x", id);
		CHECK((w0 >> 32) < 256, "StreamID 0x%llx", (unsigned long long)(w0 >> 32));
	}
	if (n == 8)
		s->seq_known = false; /* more may wait: a loss between reads is the kernel's mark */
}

static void op_vdev(struct st *s, uint8_t vsid)
{
	int r;

	if (s->vdev) {
		r = ioasid_vdevice_destroy(s->ctx, s->vdev);
		CHECK(r == 0 || r == -EBUSY, "vDEVICE destroy: %d", r);
		if (r)
			return;
		s->vdev = 0;
	}
	r = ioasid_vdevice_alloc(s->ctx, s->viommu, s->dev, vsid, &s->vdev);
	CHECK(r == 0, "vDEVICE alloc: %d", r);
	s->vsid = vsid;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct st s;
	size_t at = 0;
	unsigned int ops = 0;

	if (!ram) {
		ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			   0);
		if (ram == MAP_FAILED)
			abort();
	}
	if (!setup(&s))
		return 0;
	/* the guest's stage-1 vSTE first: linear CD table at RAM page 0 */
	{
		uint8_t ste[16] = { 0 };
		uint64_t w0 = htole64(1 | 5u << 1 | RAM_GPA);

		memcpy(ste, &w0, 8);
		op_vste(&s, ste);
	}
	while (at < size && ops++ < 64) {
		uint8_t op = data[at++] & 7;

		if (op == 0 && at + 10 <= size) {
			uint32_t slot = (data[at] | (uint32_t)data[at + 1] << 8) % (RAM_SIZE / 8);

			memcpy(ram + slot * 8, data + at + 2, 8);
			at += 10;
		} else if (op == 1 && at + 16 <= size) {
			op_vste(&s, data + at);
			at += 16;
		} else if (op == 2 && at + 5 <= size) {
			op_dma(&s, data[at],
			       data[at + 1] | (uint32_t)data[at + 2] << 8 |
				       (uint32_t)data[at + 3] << 16 | (uint32_t)data[at + 4] << 24);
			at += 5;
		} else if (op == 3 && at + 2 <= size) {
			uint32_t n = 1 + (data[at] & 3), len = (data[at + 1] & 1) ? 24 : 16;

			at += 2;
			if (at + n * 16 > size)
				break;
			op_cmds(&s, data + at, n, len);
			at += n * 16;
		} else if (op == 4) {
			op_events(&s);
		} else if (op == 5 && at + 1 <= size) {
			op_vdev(&s, data[at++]);
		} else {
			break;
		}
	}
	op_events(&s);
	ioasid_ctx_close(s.ctx);
	return 0;
}
