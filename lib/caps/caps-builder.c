/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Building capability chains. Every capability is checked exactly as the
 * parser would check it before it is linked in, so a built chain always
 * validates; vendor capabilities get their decoded members from
 * vendor_decode() first.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "caps-private.h"
#include "core/private.h"
#include "vendor/vendor.h"

struct ioasid_caps_builder {
	uint8_t *buf;
	size_t len;      /* bytes in use; 0 = no header written yet */
	size_t alloc;    /* bytes allocated */
	uint32_t last;   /* offset of the last capability, 0 = none */
	uint32_t seen;   /* bit i = cap_descs[i] already added */
};

/* So a single u32 can record which known ids a chain already has. */
_Static_assert(CAPS_MAX_KNOWN <= 32, "seen bitmap");

int ioasid_caps_builder_new(struct ioasid_caps_builder **ret_b)
{
	struct ioasid_caps_builder *b;

	if (!ret_b)
		return -EINVAL;
	b = ioasid_calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	*ret_b = b;
	return 0;
}

void ioasid_caps_builder_free(struct ioasid_caps_builder *b)
{
	if (!b)
		return;
	ioasid_free(b->buf);
	ioasid_free(b);
}

void ioasid_caps_free(void *buf)
{
	ioasid_free(buf);
}

static inline size_t round8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/*
 * Make room for @need more bytes past len, writing the chain header first
 * if there is none. The buffer comes from malloc/realloc, hence is at least
 * 8-byte aligned, and every capability size is a multiple of 8, so every
 * capability starts 8-byte aligned in memory too.
 */
static int builder_reserve(struct ioasid_caps_builder *b, size_t need)
{
	size_t want, base = b->len ? b->len : INFO_HDR_SIZE;
	uint8_t *nb;

	if (need > UINT32_MAX - base)
		return -E2BIG;
	want = base + need;
	if (want > b->alloc) {
		size_t n = b->alloc ? b->alloc : 256;

		while (n < want)
			n *= 2;
		nb = ioasid_realloc(b->buf, n);
		if (!nb)
			return -ENOMEM;
		b->buf = nb;
		b->alloc = n;
	}
	if (!b->len) {
		struct ioasid_info_hdr h = {
			.magic = IOASID_INFO_MAGIC,
			.version = IOASID_INFO_VERSION,
			.hdr_size = INFO_HDR_SIZE,
			.total_size = INFO_HDR_SIZE,
			.first_cap = 0,
		};

		memcpy(b->buf, &h, sizeof(h));
		b->len = INFO_HDR_SIZE;
	}
	return 0;
}

/* The builder's errors go to the thread's message (ioasid_last_errmsg()). */
static int builder_fail(struct ioasid_caps_builder *b, int ret,
			const char *what)
{
	(void)b;
	return ioasid_err(NULL, ret, "%s", what);
}

/*
 * Append a capability: @hdr's id/version/source, then @fixed_len bytes of
 * @fixed (the part after the header), then @count entries of @elem bytes,
 * the first @copy bytes of each taken from @arr (entries @stride apart),
 * the rest zero. The new capability is
 * checked exactly as the parser would check it before it is linked in, so
 * a built chain always validates; on any error nothing is linked.
 */
static int builder_append(struct ioasid_caps_builder *b,
			  const struct ioasid_cap_header *hdr,
			  const void *fixed, size_t fixed_len,
			  const void *arr, size_t stride, size_t copy,
			  uint32_t count, size_t elem)
{
	struct ioasid_cap_header h = *hdr;
	struct chain c;
	uint64_t raw;
	uint32_t off;
	uint8_t *p;
	size_t size;
	char msg[IOASID_ERRMSG_MAX];
	int ki, ret;

	raw = CAP_HDR_SIZE + (uint64_t)fixed_len + (uint64_t)count * elem;
	if (raw > UINT32_MAX)
		return builder_fail(b, -E2BIG, "capability larger than 4 GiB");
	size = round8((size_t)raw);
	ki = caps_known_index(h.id);
	if (ki >= 0 && (b->seen & (UINT32_C(1) << ki))) {
		return ioasid_err(NULL, -EEXIST,
				  "a cap with id %u (%s) is already in the chain", h.id,
				  ioasid_cap_id_name(h.id));
	}
	ret = builder_reserve(b, size);
	if (ret == -E2BIG)
		return builder_fail(b, ret, "chain would exceed 4 GiB");
	if (ret)
		return builder_fail(b, ret, "out of memory");

	off = (uint32_t)b->len;
	p = b->buf + off;
	memset(p, 0, size);
	h.next = 0;
	h.size = (uint32_t)size;
	memcpy(p, &h, sizeof(h));
	if (fixed_len)
		memcpy(p + CAP_HDR_SIZE, fixed, fixed_len);
	for (uint32_t i = 0; i < count; i++)
		memcpy(p + CAP_HDR_SIZE + fixed_len + (size_t)i * elem,
		       (const uint8_t *)arr + (size_t)i * stride, copy);

	c.buf = b->buf;
	c.total = off + (uint32_t)size;
	c.first = 0;
	c.hdr_size = INFO_HDR_SIZE;
	c.align = 8;
	ret = caps_cap_check(&c, off, off, &h, msg, sizeof(msg));
	if (ret)
		return ioasid_err(NULL, ret, "%s", msg);

	/* Link it: the previous cap's next (or first_cap), then total_size. */
	if (b->last) {
		memcpy(b->buf + b->last + offsetof(struct ioasid_cap_header, next),
		       &off, sizeof(off));
	} else {
		memcpy(b->buf + offsetof(struct ioasid_info_hdr, first_cap),
		       &off, sizeof(off));
	}
	b->last = off;
	b->len += size;
	{
		uint32_t total = (uint32_t)b->len;

		memcpy(b->buf + offsetof(struct ioasid_info_hdr, total_size),
		       &total, sizeof(total));
	}
	if (ki >= 0)
		b->seen |= UINT32_C(1) << ki;
	return 0;
}

int ioasid_caps_add(struct ioasid_caps_builder *b, const void *cap,
		    size_t size)
{
	struct ioasid_cap_header h;

	if (!b)
		return -EINVAL;
	if (!cap || size < CAP_HDR_SIZE)
		return builder_fail(b, -EINVAL,
				    "capability missing or smaller than its 16-byte header");
	memcpy(&h, cap, sizeof(h));
	return builder_append(b, &h, (const uint8_t *)cap + CAP_HDR_SIZE,
			      size - CAP_HDR_SIZE, NULL, 0, 0, 0, 0);
}

static struct ioasid_cap_header mkhdr(uint16_t id, uint32_t source)
{
	struct ioasid_cap_header h = {
		.id = id, .version = 1, .next = 0, .size = 0, .source = source,
	};

	return h;
}

/* The part of a fixed-size capability struct @s after its header. */
#define BODY(s) ((const uint8_t *)&(s) + CAP_HDR_SIZE), \
		(sizeof(s) - CAP_HDR_SIZE)

int ioasid_caps_add_page_sizes(struct ioasid_caps_builder *b, uint32_t source,
			       uint64_t bitmap)
{
	struct ioasid_cap_page_sizes c = { .bitmap = bitmap };
	struct ioasid_cap_header h = mkhdr(IOASID_CAP_PAGE_SIZES, source);

	if (!b)
		return -EINVAL;
	return builder_append(b, &h, BODY(c), NULL, 0, 0, 0, 0);
}

int ioasid_caps_add_addr_width(struct ioasid_caps_builder *b, uint32_t source,
			       uint32_t input_bits, uint32_t output_bits)
{
	struct ioasid_cap_addr_width c = {
		.input_bits = input_bits, .output_bits = output_bits,
	};
	struct ioasid_cap_header h = mkhdr(IOASID_CAP_ADDR_WIDTH, source);

	if (!b)
		return -EINVAL;
	return builder_append(b, &h, BODY(c), NULL, 0, 0, 0, 0);
}

int ioasid_caps_add_pasid(struct ioasid_caps_builder *b, uint32_t source,
			  uint32_t width)
{
	struct ioasid_cap_pasid c = { .width = width };
	struct ioasid_cap_header h = mkhdr(IOASID_CAP_PASID, source);

	if (!b)
		return -EINVAL;
	/* A width past 31 would be undefined to shift; the check refuses it. */
	c.max_pasids = width && width < 32 ? UINT32_C(1) << width : 0;
	return builder_append(b, &h, BODY(c), NULL, 0, 0, 0, 0);
}

int ioasid_caps_add_iova_ranges(struct ioasid_caps_builder *b, uint32_t source,
				const struct ioasid_cap_iova_range *ranges,
				uint32_t count)
{
	struct ioasid_cap_iova_ranges c = {
		.count = count,
		.elem_size = sizeof(struct ioasid_cap_iova_range),
	};
	struct ioasid_cap_header h = mkhdr(IOASID_CAP_IOVA_RANGES, source);

	if (!b)
		return -EINVAL;
	if (count && !ranges)
		return builder_fail(b, -EINVAL, "no ranges");
	return builder_append(b, &h, BODY(c), ranges, sizeof(*ranges),
			      sizeof(*ranges), count, sizeof(*ranges));
}

int ioasid_caps_add_resv_regions(struct ioasid_caps_builder *b,
				 uint32_t source,
				 const struct ioasid_cap_resv_region *regions,
				 uint32_t count)
{
	struct ioasid_cap_resv_regions c = {
		.count = count,
		.elem_size = sizeof(struct ioasid_cap_resv_region),
	};
	struct ioasid_cap_header h = mkhdr(IOASID_CAP_RESV_REGIONS, source);

	if (!b)
		return -EINVAL;
	if (count && !regions)
		return builder_fail(b, -EINVAL, "no regions");
	/*
	 * Copy start, last and type only: the caller's pad is not ours to
	 * publish, and the zeroed remainder keeps it 0 as version 1 requires.
	 */
	return builder_append(b, &h, BODY(c), regions, sizeof(*regions),
			      offsetof(struct ioasid_cap_resv_region, pad),
			      count, sizeof(*regions));
}

int ioasid_caps_add_features(struct ioasid_caps_builder *b, uint32_t source,
			     uint64_t features, uint64_t known)
{
	struct ioasid_cap_features c = { .features = features, .known = known };
	struct ioasid_cap_header h = mkhdr(IOASID_CAP_FEATURES, source);

	if (!b)
		return -EINVAL;
	return builder_append(b, &h, BODY(c), NULL, 0, 0, 0, 0);
}

int ioasid_caps_add_vtd(struct ioasid_caps_builder *b, uint32_t source,
			uint64_t cap_reg, uint64_t ecap_reg, uint32_t flags)
{
	struct ioasid_cap_vtd c = {
		.cap_reg = cap_reg, .ecap_reg = ecap_reg, .flags = flags,
	};
	struct ioasid_cap_header h = mkhdr(IOASID_CAP_VTD, source);

	if (!b)
		return -EINVAL;
	vendor_decode(&vendor_vtd_cap, &c);
	return builder_append(b, &h, BODY(c), NULL, 0, 0, 0, 0);
}

int ioasid_caps_add_smmuv3(struct ioasid_caps_builder *b, uint32_t source,
			   const uint32_t idr[6], uint32_t iidr, uint32_t aidr,
			   uint32_t flags)
{
	struct ioasid_cap_smmuv3 c = { .flags = flags, .iidr = iidr,
				       .aidr = aidr };
	struct ioasid_cap_header h = mkhdr(IOASID_CAP_SMMUV3, source);

	if (!b)
		return -EINVAL;
	if (!idr)
		return builder_fail(b, -EINVAL, "no IDR registers");
	memcpy(c.idr, idr, sizeof(c.idr));
	vendor_decode(&vendor_smmuv3_cap, &c);
	return builder_append(b, &h, BODY(c), NULL, 0, 0, 0, 0);
}

int ioasid_caps_add_amd(struct ioasid_caps_builder *b, uint32_t source,
			uint64_t efr, uint64_t efr2)
{
	struct ioasid_cap_amd c = { .efr = efr, .efr2 = efr2 };
	struct ioasid_cap_header h = mkhdr(IOASID_CAP_AMD, source);

	if (!b)
		return -EINVAL;
	vendor_decode(&vendor_amd_cap, &c);
	return builder_append(b, &h, BODY(c), NULL, 0, 0, 0, 0);
}

int ioasid_caps_add_virtio_iommu(struct ioasid_caps_builder *b,
				 uint32_t source,
				 const struct ioasid_cap_virtio_iommu *v)
{
	struct ioasid_cap_virtio_iommu c;
	struct ioasid_cap_header h = mkhdr(IOASID_CAP_VIRTIO_IOMMU, source);

	if (!b)
		return -EINVAL;
	if (!v)
		return builder_fail(b, -EINVAL, "no virtio-iommu config");
	c = *v;
	memset(c.pad, 0, sizeof(c.pad));
	return builder_append(b, &h, BODY(c), NULL, 0, 0, 0, 0);
}

int ioasid_caps_builder_finish(struct ioasid_caps_builder *b, void **ret_buf,
			       size_t *ret_len)
{
	int ret;

	if (!b || !ret_buf || !ret_len)
		return -EINVAL;
	/* An empty chain is still a header. */
	ret = builder_reserve(b, 0);
	if (ret)
		return builder_fail(b, ret, "out of memory");
	*ret_buf = b->buf;
	*ret_len = b->len;
	b->buf = NULL;
	b->len = 0;
	b->alloc = 0;
	b->last = 0;
	b->seen = 0;
	return 0;
}
