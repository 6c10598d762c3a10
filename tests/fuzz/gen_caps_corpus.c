/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writes the seed corpus of fuzz_caps into the directory given as argv[1]
 * (tests/fuzz/corpus/caps/). Run by hand when the chain format changes:
 *   cc -Iinclude -Ilib tests/fuzz/gen_caps_corpus.c lib/caps/[a-z]*.c \
 *     lib/vendor/[a-z]*.c lib/util/alloc.c lib/core/error.c \
 *     $(pkg-config --cflags --libs jansson) -o gen && ./gen tests/fuzz/corpus/caps
 * Seeds: one valid chain per vendor, a chain with every generic cap, an
 * empty chain, a 4-byte-aligned (tolerant-only) chain and a VFIO type-1
 * info buffer laid out as kernels before 6.6 did.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ioasid/caps.h>

static const char *dir;

static void save(const char *name, const void *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void finish(struct ioasid_caps_builder *b, const char *name)
{
	void *buf;
	size_t len;

	if (ioasid_caps_builder_finish(b, &buf, &len) ||
	    ioasid_caps_validate(buf, len, 0)) {
		fprintf(stderr, "%s: %s\n", name, ioasid_last_errmsg());
		exit(1);
	}
	save(name, buf, len);
	ioasid_caps_free(buf);
}

#define OK(x) do { if (x) { fprintf(stderr, "%s: %s\n", #x, \
			ioasid_last_errmsg()); exit(1); } } while (0)

/* Chains the builder makes: empty, generic caps, each vendor's. */
static void save_built(struct ioasid_caps_builder *b)
{
	static const struct ioasid_cap_iova_range ranges[] = {
		{ 0, 0xfedfffff }, { 0xfef00000, 0xffffffffffffULL },
	};
	static const struct ioasid_cap_resv_region regions[] = {
		{ 0xfee00000, 0xfeefffff, IOASID_RESV_MSI, 0 },
		{ 0x8000000, 0x80fffff, IOASID_RESV_SW_MSI, 0 },
	};
	static const uint32_t idr[6] = { 0x0d0d149b, 0x510, 0, 0x1400, 0, 0x455 };
	struct ioasid_cap_virtio_iommu v = {
		.features = 0x17, .page_size_mask = 0xfffffffffffff000ULL,
		.input_end = 0xffffffffffULL, .domain_end = 0xffff,
		.probe_size = 512,
	};
	const uint32_t m = IOASID_CAP_SRC_MEASURED;

	finish(b, "empty");

	OK(ioasid_caps_add_page_sizes(b, m, 0x40201000));
	OK(ioasid_caps_add_addr_width(b, m, 48, 46));
	OK(ioasid_caps_add_pasid(b, m, 20));
	OK(ioasid_caps_add_iova_ranges(b, m, ranges, 2));
	OK(ioasid_caps_add_resv_regions(b, m, regions, 2));
	OK(ioasid_caps_add_features(b, IOASID_CAP_SRC_DERIVED, 0x1b, 0x3ff));
	finish(b, "generic");

	OK(ioasid_caps_add_page_sizes(b, m, 0x40201000));
	OK(ioasid_caps_add_vtd(b, m, 0x00d2008c22260206ULL, 0xf42, 0));
	finish(b, "vtd-qemu");

	OK(ioasid_caps_add_vtd(b, m, 0x1100008c00380686ULL,
			       0xe99824000007ULL, 1));
	OK(ioasid_caps_add_pasid(b, m, 20));
	finish(b, "vtd-scalable");

	OK(ioasid_caps_add_smmuv3(b, IOASID_CAP_SRC_CONFIGURED, idr, 0x4b0,
				  0x2, 0));
	finish(b, "smmuv3");

	OK(ioasid_caps_add_amd(b, m, 0x0013000f000057daULL, 0x120));
	OK(ioasid_caps_add_iova_ranges(b, m, ranges, 1));
	finish(b, "amd");

	OK(ioasid_caps_add_virtio_iommu(b, m, &v));
	OK(ioasid_caps_add_resv_regions(b, m, regions, 1));
	finish(b, "virtio-iommu");
}

/*
 * A chain only tolerant parsing accepts: header | unknown cap, 20 bytes |
 * page_sizes at offset 36.
 */
static void save_tolerant(void)
{
	const uint32_t m = IOASID_CAP_SRC_MEASURED;
	uint8_t t[64] = { 0 };
	struct ioasid_info_hdr h = { IOASID_INFO_MAGIC, 1, 16, 64, 16 };
	struct ioasid_cap_header u = { 0x5555, 1, 36, 20, m };
	struct ioasid_cap_header p = { IOASID_CAP_PAGE_SIZES, 1, 0, 24, m };
	uint64_t bitmap = 0x1000;

	memcpy(t, &h, sizeof(h));
	memcpy(t + 16, &u, sizeof(u));
	memcpy(t + 36, &p, sizeof(p));
	memcpy(t + 52, &bitmap, sizeof(bitmap));
	save("tolerant", t, sizeof(t));
}

/*
 * A VFIO type-1 info as kernels before 6.6 lay it out: IOVA_RANGE @24,
 * DMA_AVAIL @56, MIGRATION @68.
 */
static void save_vfio_pre66(void)
{
	uint8_t t[100] = { 0 };
	uint32_t w;

#define PUT(off, val, bytes) do { w = (val); memcpy(t + (off), &w, bytes); } while (0)
	PUT(0, 100, 4);
	PUT(16, 24, 4);
	PUT(24, 1, 2);
	PUT(26, 1, 2);
	PUT(28, 56, 4);
	PUT(32, 1, 4);
	PUT(48, 0xfedfffff, 4);
	PUT(56, 3, 2);
	PUT(58, 1, 2);
	PUT(60, 68, 4);
	PUT(64, 65535, 4);
	PUT(68, 2, 2);
	PUT(70, 1, 2);
	save("vfio-type1-pre66", t, sizeof(t));
}

int main(int argc, char **argv)
{
	struct ioasid_caps_builder *b;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	if (ioasid_caps_builder_new(&b))
		return 1;
	save_built(b);
	ioasid_caps_builder_free(b);
	save_tolerant();
	save_vfio_pre66();
	return 0;
}
