/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for capability chains: arbitrary bytes through the
 * validator in strict and tolerant mode, iteration with the text rows of
 * each capability, every lookup, the JSON dump (details and brief) and the
 * VFIO-format walker. It must never crash, read out of
 * bounds, loop or leak; and whatever the parser accepts in strict mode the
 * builder must accept and rebuild into a chain that validates again.
 *
 * Build (see tests/fuzz/corpus/caps/ for seeds): `make fuzz`, which compiles
 * it with the sources Makefile.am lists in CAPS_SOURCES (the C files of
 * lib/caps and lib/vendor) plus lib/util/alloc.c and lib/core/error.c.
 *   ./fuzz_caps -max_total_time=60 tests/fuzz/corpus/caps
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <ioasid/caps.h>

#include "caps/caps-json.h"

static const uint16_t ids[] = {
	IOASID_CAP_PAGE_SIZES, IOASID_CAP_ADDR_WIDTH, IOASID_CAP_PASID,
	IOASID_CAP_IOVA_RANGES, IOASID_CAP_RESV_REGIONS, IOASID_CAP_FEATURES,
	IOASID_CAP_VTD, IOASID_CAP_SMMUV3, IOASID_CAP_AMD,
	IOASID_CAP_VIRTIO_IOMMU, 0x4242,
};

static void check(int cond)
{
	if (!cond)
		abort();
}

static void errno_ok(int ret)
{
	check(ret == 0 || ret == -EINVAL || ret == -EMSGSIZE ||
	      ret == -ENOENT);
}

/* Rebuild a strictly valid chain cap by cap; it must validate again. */
static void rebuild(const uint8_t *data, size_t size)
{
	struct ioasid_caps_builder *b;
	struct ioasid_cap_header h;
	void *out;
	size_t outlen;
	uint32_t off;
	int ret;

	if (ioasid_caps_builder_new(&b))
		return;
	ret = ioasid_caps_first(data, size, 0, &off, &h);
	while (!ret) {
		ret = ioasid_caps_add(b, data + off, h.size);
		check(ret == 0 || ret == -ENOMEM);
		ret = ioasid_caps_next(data, size, 0, off, &off, &h);
	}
	check(ret == -ENOENT);
	if (!ioasid_caps_builder_finish(b, &out, &outlen)) {
		check(ioasid_caps_validate(out, outlen, 0) == 0);
		ioasid_caps_free(out);
	}
	ioasid_caps_builder_free(b);
}

/* Every row must be whole text. */
static int row_ok(const struct ioasid_cap_row *row, void *data)
{
	(void)data;
	check(row->heading && row->label && row->value);
	check(row->section >= IOASID_CAP_SECT_MAIN && row->section <= IOASID_CAP_SECT_DECODED);
	check(strlen(row->value) < 4096);
	return 0;
}

static void walk(const uint8_t *data, size_t size, unsigned int flags)
{
	struct ioasid_cap_header h;
	uint8_t out[128];
	struct ioasid_cap_resv_region regions[4];
	uint32_t off, n, count;
	int ret;

	ret = ioasid_caps_validate(data, size, flags);
	errno_ok(ret);
	check(ret != -ENOENT);
	if (ret)
		check(ioasid_last_errmsg()[0] != '\0');
	if (!ret && !flags)
		rebuild(data, size);

	/* Iteration must end (offsets only increase) within size / 16 steps. */
	n = 0;
	ret = ioasid_caps_first(data, size, flags, &off, &h);
	while (!ret) {
		check(++n <= size / 16);
		check(off + (uint64_t)h.size <= size);
		/* rows check the chain strictly, so a tolerant-only cap may fail */
		errno_ok(ioasid_caps_rows(data, size, off, row_ok, NULL));
		ret = ioasid_caps_next(data, size, flags, off, &off, &h);
	}
	errno_ok(ret);

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		errno_ok(ioasid_caps_get(data, size, flags, ids[i], out,
					 sizeof(out), NULL));
		errno_ok(ioasid_caps_find(data, size, flags, ids[i], &off,
					  &h));
	}
	ret = ioasid_caps_get_array(data, size, flags, IOASID_CAP_RESV_REGIONS,
				    regions, 4, &count);
	errno_ok(ret);
	ret = ioasid_caps_get_array(data, size, flags, IOASID_CAP_IOVA_RANGES,
				    out, sizeof(out) / 16, &count);
	errno_ok(ret);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j;
	uint32_t off, avail, first;
	struct ioasid_vfio_cap_header vh;
	uint8_t *copy;

	/*
	 * Run on an exact-size heap copy so ASan sees any read past the end,
	 * and at an odd address so nothing may assume alignment.
	 */
	copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy + 1, data, size);

	walk(copy + 1, size, 0);
	walk(copy + 1, size, IOASID_CAPS_TOLERANT);

	for (int brief = 0; brief < 2; brief++) {
		j = brief ? ioasid_caps_to_json_brief(copy + 1, size) :
			    ioasid_caps_to_json(copy + 1, size);
		if (j) {
			char *s = json_dumps(j, JSON_COMPACT);

			free(s);
			json_decref(j);
		}
	}

	/* The same bytes as a VFIO info buffer, cap_offset from byte 16. */
	if (size >= 20) {
		memcpy(&first, data + 16, sizeof(first));
		for (uint16_t id = 1; id <= 5; id++) {
			errno_ok(ioasid_vfio_cap_find(copy + 1, size, first, id,
						      0, &off, &vh, &avail));
			errno_ok(ioasid_vfio_cap_find(copy + 1, size, first, id,
						      IOASID_CAPS_STRICT_ALIGN,
						      &off, &vh, &avail));
		}
	}
	free(copy);
	return 0;
}
