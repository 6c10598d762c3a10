/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the virtio-iommu request decoder: each input is a
 * fresh sim context with a virtio-iommu over sim0..sim2 (devices, set, fault
 * queue, guest memory) and a script of operations, mostly requests whose
 * readable and writable parts are split at fuzzer-chosen bytes. Besides
 * "no crash, no overread, no leak", it checks what a VMM relies on: only
 * the documented return values, a used length that is exactly the tail's
 * end (or 0), a status the spec defines, PROBE answers that the guest-side
 * parser accepts, and event records of the negotiated size. Between
 * requests the VMM changes the memory layout (regions come, go, move, split,
 * device memory appears), and after every step the fuzzer checks that what
 * each endpoint's device can reach is exactly what the records say: the
 * device is attached where its endpoint's domain says, every mapping of
 * that address space lies in memory of the current table (never in memory
 * the VMM took away), a DMA through a mapping reads the memory the mapping
 * names (or is refused for lack of READ), and a DMA where no mapping is
 * fails.
 *
 * Input: byte 0 = virtio-iommu flags (bit 0 EXT_PGSIZE_MASK, 1 EXT_FAULT, 2
 * BOOT_BYPASS, 3 domain range [1, 64], 4 probe_size 40, 5 at most 4
 * mappings per domain and 6 in all, 6 MMIO), byte 1 = driver
 * features (bits 0..6 = virtio bits 0..6, bit 7 = both extensions), then
 * operations, each an opcode byte and its arguments:
 *   0..3 request:  u8 split, u8 wsel, le16 len, len readable bytes
 *   4    config write: u8 offset, u8 value
 *   5    event pop: u8 buffer size
 *   6    DMA: u8 device, le16 page, u8 write (sim0 asynchronously)
 *   7    misc: u8 what: & 7 = 0 reset, 1 features, 2 endpoint del/add,
 *        3 parse the rest, 4..7 memory layout what >> 3 (layout_table())
 *
 * Build (the lead's `make fuzz` has the rule):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -include config.h \
 *     -Iinclude -Ilib tests/fuzz/fuzz_virtio_iommu.c <every lib/ source> \
 *     $(pkg-config --cflags --libs jansson libnl-3.0) -pthread -o fuzz_virtio_iommu
 *   ./fuzz_virtio_iommu -max_len=4096 -max_total_time=60 tests/fuzz/corpus/virtio_iommu
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ioasid/ioasid.h>
#include <ioasid/virtio-iommu.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PG 4096u
#define RAM_GPA 0x40000000ull
#define RAM_SIZE (64u * PG)
#define MMIO_SIZE (4u * PG)

static uint8_t *ram, *mmio;
static uint8_t dmabuf[2 * PG];

/* The memory table the VMM gave last: what a mapping may point into. */
static struct ioasid_virtio_iommu_mem table[4];
static uint32_t nr_table;

/* Abort (a finding) naming the line of the broken rule. */
static void check_at(int cond, int line)
{
	if (!cond) {
		fprintf(stderr, "fuzz_virtio_iommu.c:%d: check failed\n", line);
		abort();
	}
}
#define check(cond) check_at(!!(cond), __LINE__)

static uint64_t fake_clock(void *data)
{
	(void)data;
	return 1; /* time stands still: no timer thread, no timeouts */
}

struct in {
	const uint8_t *p;
	size_t n;
};

static int take(struct in *in, uint8_t *b)
{
	if (!in->n)
		return 0;
	*b = *in->p++;
	in->n--;
	return 1;
}

static void do_request(struct ioasid_virtio_iommu *v, uint32_t probe_size, struct in *in)
{
	uint8_t split = 0, wsel = 0, l0 = 0, l1 = 0, wr[600];
	struct iovec rd[2], w[3];
	size_t len, wlen, ks, kw, used = 12345;
	int ret;

	take(in, &split);
	take(in, &wsel);
	take(in, &l0);
	take(in, &l1);
	len = (size_t)(l0 | l1 << 8);
	if (len > in->n)
		len = in->n;
	switch (wsel & 3) {
	case 0:
		wlen = 4;
		break;
	case 1:
		wlen = probe_size + 4;
		break;
	case 2:
		wlen = wsel >> 2;
		break;
	default:
		wlen = probe_size + 4 + (wsel >> 2);
		break;
	}
	if (wlen > sizeof(wr))
		wlen = sizeof(wr);
	ks = len ? split % (len + 1) : 0;
	kw = wlen ? (size_t)(split * 7u) % (wlen + 1) : 0;
	/* separate copies, so that a read past the end of the request is caught */
	{
		uint8_t *a = malloc(ks ? ks : 1), *b = malloc(len - ks ? len - ks : 1);

		memcpy(a, in->p, ks);
		memcpy(b, in->p + ks, len - ks);
		rd[0] = (struct iovec){ a, ks };
		rd[1] = (struct iovec){ b, len - ks };
		memset(wr, 0xa5, sizeof(wr));
		w[0] = (struct iovec){ wr, kw };
		w[1] = (struct iovec){ NULL, 0 };
		w[2] = (struct iovec){ wr + kw, wlen - kw };
		ret = ioasid_virtio_iommu_request(v, rd, 2, w, 3, &used);
		free(a);
		free(b);
	}
	in->p += len;
	in->n -= len;
	check(ret == 0 || ret == -EOPNOTSUPP || ret == -EMSGSIZE);
	if (ret) {
		check(used == 0);
		for (size_t i = 0; i < sizeof(wr); i++)
			check(wr[i] == 0xa5); /* nothing written */
		return;
	}
	check(used == 4 || used == probe_size + 4);
	check(used <= wlen);
	check(wr[used - 4] <= IOASID_VIRTIO_IOMMU_S_MAX);
	check(!wr[used - 3] && !wr[used - 2] && !wr[used - 1]);
	for (size_t i = used; i < sizeof(wr); i++)
		check(wr[i] == 0xa5); /* nothing past the tail */
	if (used == probe_size + 4 && used != 4 &&
	    wr[probe_size] == IOASID_VIRTIO_IOMMU_S_OK) {
		struct ioasid_virtio_iommu_resv_mem r[4];
		struct ioasid_virtio_iommu_probe_props pp = { .resv = r, .max_resv = 4 };

		check(ioasid_virtio_iommu_probe_parse(wr, probe_size, &pp) == 0);
	}
}

static void do_event(struct ioasid_virtio_iommu *v, struct in *in)
{
	uint8_t sz = 0, buf[64];
	size_t used = 0;
	int ret;

	take(in, &sz);
	ret = ioasid_virtio_iommu_event_pop_buf(v, buf, sz % sizeof(buf), &used);
	check(ret == 0 || ret == -EAGAIN || ret == -EMSGSIZE);
	check(ret ? used == 0 : (used == 24 || used == 48));
}

static void do_dma(struct ioasid_ctx *ctx, const uint32_t *dev, struct in *in)
{
	uint8_t d = 0, l0 = 0, l1 = 0, wr = 0;
	uint64_t iova, h;
	size_t done;
	int ret;

	take(in, &d);
	take(in, &l0);
	take(in, &l1);
	take(in, &wr);
	iova = (uint64_t)(l0 | l1 << 8) * PG + (RAM_GPA & (wr & 0x80 ? ~0ull : 0));
	d %= 3;
	if (d == 0) {
		/* PRI: a page request would wait; submit, look once, move on */
		ret = ioasid_sim_dma_submit(ctx, dev[0], IOASID_PASID_NONE, iova, dmabuf, 64,
					    wr & 1, &h, &done);
		if (ret == -EAGAIN)
			ioasid_sim_dma_poll(ctx, h, &done);
	} else {
		ret = ioasid_sim_dma(ctx, dev[d], IOASID_PASID_NONE, iova, dmabuf, 64, wr & 1,
				     &done);
	}
	(void)ret;
}

/*
 * The memory layout @l: the first half of ram at RAM_GPA (two regions
 * contiguous in both spaces with bit 2); the second half (bit 0) right
 * after it or (bit 1) 64 pages further up; device memory (bit 3) at
 * RAM_GPA + 256 pages. Layout 1 is the boot layout: ram as one block.
 */
static uint32_t layout_table(uint8_t l, struct ioasid_virtio_iommu_mem *t)
{
	const uint64_t half = RAM_SIZE / 2;
	uint32_t n = 0;

	if (l & 4) {
		t[n++] = (struct ioasid_virtio_iommu_mem){ .gpa = RAM_GPA,
							   .size = half / 2,
							   .hva = ram };
		t[n++] = (struct ioasid_virtio_iommu_mem){ .gpa = RAM_GPA + half / 2,
							   .size = half / 2,
							   .hva = ram + half / 2 };
	} else {
		t[n++] = (struct ioasid_virtio_iommu_mem){ .gpa = RAM_GPA, .size = half, .hva = ram };
	}
	if (l & 1)
		t[n++] = (struct ioasid_virtio_iommu_mem){ .gpa = RAM_GPA +
								  (l & 2 ? 2 * RAM_SIZE : half),
							   .size = half,
							   .hva = ram + half };
	if (l & 8)
		t[n++] = (struct ioasid_virtio_iommu_mem){ .gpa = RAM_GPA + 256ull * PG,
							   .size = MMIO_SIZE,
							   .hva = mmio,
							   .flags = IOASID_VIRTIO_IOMMU_MEM_MMIO };
	return n;
}

static void do_layout(struct ioasid_virtio_iommu *v, uint8_t l)
{
	struct ioasid_virtio_iommu_mem t[4];
	uint32_t n = layout_table(l, t);

	check(ioasid_virtio_iommu_set_memory(v, t, n) == 0);
	memcpy(table, t, sizeof(t));
	nr_table = n;
}

/* Is host memory [uva, uva + len) inside the current table (one region or several)? */
static bool in_table(uint64_t uva, uint64_t len)
{
	uint32_t i;

	while (len) {
		for (i = 0; i < nr_table; i++) {
			uint64_t start = (uintptr_t)table[i].hva;

			if (uva >= start && uva - start < table[i].size)
				break;
		}
		if (i == nr_table)
			return false;
		{
			uint64_t room = (uintptr_t)table[i].hva + table[i].size - uva;

			if (room >= len)
				return true;
			uva += room;
			len -= room;
		}
	}
	return true;
}

/* A DMA read by @dev at @iova does what the records of @ioas say. */
static void check_dma_at(struct ioasid_ctx *ctx, uint32_t dev, uint32_t ioas, uint64_t iova)
{
	struct ioasid_mapping m;
	uint8_t got[8];
	size_t len, done = 0;
	int ret;

	if (ioasid_ioas_lookup(ctx, ioas, iova, &m)) {
		check(ioasid_sim_dma_read(ctx, dev, IOASID_PASID_NONE, iova, got, 1, &done) < 0);
		return;
	}
	len = m.iova + (m.length - 1) - iova + 1 < sizeof(got) ?
		      m.iova + (m.length - 1) - iova + 1 :
		      sizeof(got);
	ret = ioasid_sim_dma_read(ctx, dev, IOASID_PASID_NONE, iova, got, len, &done);
	if (!(m.flags & IOASID_MAP_READ)) {
		check(ret == -EACCES);
		return;
	}
	check(ret == 0 && done == len);
	check(!memcmp(got, (const void *)(uintptr_t)(m.uva + (iova - m.iova)), len));
}

/*
 * What endpoint @ep (device @dev) can reach is what the records say; with
 * @dma, checked by DMA too (not for sim0, whose faults become page
 * requests that wait for the guest); with @limits, no more than the
 * 4 mappings a domain may hold.
 */
static void check_endpoint(struct ioasid_ctx *ctx, struct ioasid_virtio_iommu *v, uint32_t ep,
			   uint32_t dev, bool dma, bool limits)
{
	struct ioasid_mapping m[16];
	uint32_t pt = 0, dom, dioas, n, i, seen = 0;
	uint64_t from = 0;
	uint8_t got[1];
	size_t done;

	if (ioasid_dev_attached(ctx, dev, IOASID_PASID_NONE, &pt)) {
		check(ioasid_virtio_iommu_endpoint_domain(v, ep, &dom) != 0);
		if (dma)
			check(ioasid_sim_dma_read(ctx, dev, IOASID_PASID_NONE, RAM_GPA, got, 1,
						  &done) < 0);
		return;
	}
	if (!ioasid_virtio_iommu_endpoint_domain(v, ep, &dom))
		check(!ioasid_virtio_iommu_domain_ioas(v, dom, &dioas) && dioas == pt);
	if (dma) {
		check_dma_at(ctx, dev, pt, 0);
		check_dma_at(ctx, dev, pt, RAM_GPA);
	}
	do {
		n = 16;
		check(ioasid_ioas_mappings(ctx, pt, from, m, &n) == 0);
		for (i = 0; i < n; i++) {
			check(in_table(m[i].uva, m[i].length));
			if (!dma)
				continue;
			check_dma_at(ctx, dev, pt, m[i].iova);
			check_dma_at(ctx, dev, pt, m[i].iova + (m[i].length - 1));
			if (m[i].iova)
				check_dma_at(ctx, dev, pt, m[i].iova - 1);
			if (m[i].iova + (m[i].length - 1) != UINT64_MAX)
				check_dma_at(ctx, dev, pt, m[i].iova + m[i].length);
		}
		seen += n;
		if (n)
			from = m[n - 1].iova + m[n - 1].length;
	} while (n == 16 && from && seen < 64);
	/* a domain's mappings, or the bypass IOAS's regions (at most 3 of RAM) */
	check(!limits || seen <= 4);
}

/* After every step: what the devices reach, and the VMM's bounds (@limits: 4 / 6). */
static void check_reach(struct ioasid_ctx *ctx, struct ioasid_virtio_iommu *v, const uint32_t *dev,
			bool ep2, bool limits)
{
	struct ioasid_virtio_iommu_stats st;

	check_endpoint(ctx, v, 1, dev[0], false, limits);
	check_endpoint(ctx, v, 2, dev[1], true, limits);
	if (ep2)
		check_endpoint(ctx, v, 3, dev[2], true, limits);
	check(ioasid_virtio_iommu_stats(v, &st) == 0);
	check(st.nr_mappings <= (limits ? 6 : IOASID_VIRTIO_IOMMU_MAX_MAPPINGS_DEFAULT));
}

/*
 * A virtio-iommu over the three sim devices (endpoints 1..3) with the
 * extensions and options of @flags and the driver features of @feat;
 * *ret_probe_size is its PROBE size.
 */
static struct ioasid_virtio_iommu *make_virtio_iommu(struct ioasid_ctx *ctx, const uint32_t *dev,
						     uint8_t flags, uint8_t feat,
						     uint32_t *ret_probe_size)
{
	struct ioasid_virtio_iommu_config c;
	struct ioasid_virtio_iommu *v = NULL;
	struct ioasid_set_opts so = { .sz = sizeof(struct ioasid_set_opts),
				      .max_ioas = 4 }; /* 2 domains */
	uint64_t want = (feat & 0x7f) | (feat & 0x80 ? 3ull << 22 : 0);
	uint32_t set;

	check(ioasid_set_alloc(ctx, &so, &set) == 0);
	nr_table = layout_table(1, table);
	{
		struct ioasid_virtio_iommu_opts o = {
			.sz = sizeof(struct ioasid_virtio_iommu_opts),
			.set = set,
			.mem = table,
			.nr_mem = nr_table,
			.flags = (flags & 1 ? IOASID_VIRTIO_IOMMU_EXT_PGSIZE_MASK : 0) |
				 (flags & 2 ? IOASID_VIRTIO_IOMMU_EXT_FAULT : 0) |
				 (flags & 4 ? IOASID_VIRTIO_IOMMU_BOOT_BYPASS : 0) |
				 (flags & 8 ? IOASID_VIRTIO_IOMMU_DOMAIN_RANGE : 0) |
				 (flags & 64 ? IOASID_VIRTIO_IOMMU_MMIO : 0),
			.domain_start = 1,
			.domain_end = 64,
			.probe_size = flags & 16 ? 40 : 0,
			.fault_depth = 16,
			.max_domain_mappings = flags & 32 ? 4 : 0,
			.max_mappings = flags & 32 ? 6 : 0
		};

		check(ioasid_virtio_iommu_new(ctx, &o, &v) == 0);
	}
	ioasid_virtio_iommu_config(v, &c);
	*ret_probe_size = c.probe_size;
	check(ioasid_virtio_iommu_endpoint_add(v, 1, dev[0], NULL) == 0);
	check(ioasid_virtio_iommu_endpoint_add(v, 2, dev[1], NULL) == 0);
	check(ioasid_virtio_iommu_endpoint_add(v, 3, dev[2], NULL) == 0);
	check(ioasid_virtio_iommu_set_driver_features(v, ioasid_virtio_iommu_device_features(v) &
								 want) == 0);
	return v;
}

/*
 * The device's life rather than its requests: a reset, new driver
 * features, endpoint 3 unplugged or plugged back (*ep2: whether it is
 * there), or the rest of the input as PROBE properties.
 */
static void do_control(struct ioasid_virtio_iommu *v, const uint32_t *dev, struct in *in, bool *ep2)
{
	uint8_t b = 0;

	take(in, &b);
	switch (b & 7) {
	case 0:
		ioasid_virtio_iommu_reset(v);
		break;
	case 1:
		ioasid_virtio_iommu_set_driver_features(v, ioasid_virtio_iommu_device_features(v) &
								   ((uint64_t)b << 22 | b));
		break;
	case 2:
		if (*ep2) {
			check(ioasid_virtio_iommu_endpoint_del(v, 3) == 0);
			*ep2 = false;
		} else {
			*ep2 = ioasid_virtio_iommu_endpoint_add(v, 3, dev[2], NULL) == 0;
		}
		break;
	case 3: {
		struct ioasid_virtio_iommu_probe_props pp = { 0 };
		int ret = ioasid_virtio_iommu_probe_parse(in->p, in->n, &pp);

		check(ret == 0 || ret == -EINVAL || ret == -EMSGSIZE);
		check(ret || pp.used <= in->n);
		in->n = 0;
		break;
	}
	default:
		do_layout(v, b >> 3);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ioasid_virtio_iommu *v;
	struct ioasid_ctx *ctx = NULL;
	uint32_t dev[3], probe_size;
	uint8_t op;
	struct in in;
	bool ep2 = true;

	if (size < 2)
		return 0;
	if (!ram) {
		ram = aligned_alloc(PG, RAM_SIZE);
		mmio = aligned_alloc(PG, MMIO_SIZE);
		check(ram && mmio);
		/* every byte different from its neighbours': a DMA that reads the wrong page shows */
		for (size_t i = 0; i < RAM_SIZE; i++)
			ram[i] = (uint8_t)(i * 7 + (i >> 12) * 13);
		memset(mmio, 0x6d, MMIO_SIZE);
	}
	in = (struct in){ data + 2, size - 2 };
	check(ioasid_ctx_open("sim", NULL, &ctx) == 0);
	ioasid_ctx_set_pinned_limit(ctx, UINT64_MAX);
	ioasid_ctx_set_clock(ctx, fake_clock, NULL);
	check(!ioasid_dev_bind(ctx, "sim0", &dev[0]) && !ioasid_dev_bind(ctx, "sim1", &dev[1]) &&
	      !ioasid_dev_bind(ctx, "sim2", &dev[2]));
	v = make_virtio_iommu(ctx, dev, data[0], data[1], &probe_size);
	while (take(&in, &op)) {
		switch (op & 7) {
		case 0: case 1: case 2: case 3:
			do_request(v, probe_size, &in);
			break;
		case 4: {
			uint8_t off = 0, val = 0;

			take(&in, &off);
			take(&in, &val);
			ioasid_virtio_iommu_config_write(v, off % 44, &val, 1);
			break;
		}
		case 5:
			do_event(v, &in);
			break;
		case 6:
			do_dma(ctx, dev, &in);
			break;
		default:
			do_control(v, dev, &in, &ep2);
			break;
		}
		check_reach(ctx, v, dev, ep2, data[0] & 32);
	}
	ioasid_virtio_iommu_free(v);
	ioasid_ctx_close(ctx);
	return 0;
}
