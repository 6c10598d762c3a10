/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Device-information capability chains: the untrusted-buffer parser.
 *
 * Rules the parser enforces (see include/ioasid/caps.h for the errnos):
 *  - every read is bounded by the chain's total_size, which must fit in the
 *    caller's buffer; fields are copied out with memcpy, so neither the
 *    buffer nor a tolerant (4-byte aligned) capability needs alignment;
 *  - a capability's `next` must lie at or past its end. Offsets therefore
 *    strictly increase, capabilities cannot overlap, and a walk visits at
 *    most total_size / 16 capabilities: loops are impossible without any
 *    bookkeeping;
 *  - a known id must be at least as large as its version-1 struct, and its
 *    content must follow its field table (caps-check.c);
 *  - unknown ids are skipped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "caps-private.h"
#include "core/private.h"

/* ------------------------------------------------------------------------ */
/* Messages                                                                 */

int caps_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	      {
	      va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

int caps_cap_fail(char *err, size_t errlen, int ret, uint32_t off,
		  const struct ioasid_cap_header *h, const char *fmt, ...)
		  {
		  const char *name = ioasid_cap_id_name(h->id);
	char what[160];
	va_list ap;

	if (!err || !errlen)
		return ret;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "cap at offset %u (id %u%s%s, version %u): %s",
		 off, h->id, name ? " " : "", name ? name : "", h->version,
		 what);
	return ret;
}

int caps_known_index(uint16_t id)
{
	for (int i = 0; cap_descs[i]; i++)
		if (cap_descs[i]->id == id)
			return i;
	return -1;
}

/* ------------------------------------------------------------------------ */
/* Walking                                                                  */

int caps_chain_open(const void *buf, size_t len, unsigned int flags,
		      struct chain *c, char *err, size_t errlen)
{
	struct ioasid_info_hdr h;

	if (!buf)
		return caps_fail(err, errlen, -EINVAL, "no buffer");
	if (flags & ~IOASID_CAPS_TOLERANT)
		return caps_fail(err, errlen, -EINVAL, "unknown flags 0x%x",
				 flags & ~IOASID_CAPS_TOLERANT);
	if (len < INFO_HDR_SIZE)
		return caps_fail(err, errlen, -EMSGSIZE,
				 "buffer of %zu bytes is shorter than the %u-byte chain header",
				 len, INFO_HDR_SIZE);
	memcpy(&h, buf, sizeof(h));
	c->buf = buf;
	c->align = (flags & IOASID_CAPS_TOLERANT) ? 4 : 8;
	if (h.magic != IOASID_INFO_MAGIC)
		return caps_fail(err, errlen, -EINVAL,
				 "offset 0: bad magic 0x%08x (want 0x%08x)",
				 h.magic, IOASID_INFO_MAGIC);
	/* A newer header version keeps these fields; it may only grow. */
	if (h.version == 0)
		return caps_fail(err, errlen, -EINVAL, "offset 4: header version 0");
	if (h.hdr_size < INFO_HDR_SIZE || h.hdr_size % c->align)
		return caps_fail(err, errlen, -EINVAL,
				 "offset 6: header size %u (must be >= %u and a multiple of %u)",
				 h.hdr_size, INFO_HDR_SIZE, c->align);
	if (h.total_size < h.hdr_size || h.total_size % c->align)
		return caps_fail(err, errlen, -EINVAL,
				 "offset 8: total_size %u (must be >= header size %u and a multiple of %u)",
				 h.total_size, h.hdr_size, c->align);
	if (h.total_size > len)
		return caps_fail(err, errlen, -EMSGSIZE,
				 "offset 8: total_size %u exceeds the %zu-byte buffer (truncated chain)",
				 h.total_size, len);
	if (h.first_cap && h.first_cap < h.hdr_size)
		return caps_fail(err, errlen, -EINVAL,
				 "offset 12: first_cap %u lies inside the %u-byte header",
				 h.first_cap, h.hdr_size);
	c->total = h.total_size;
	c->first = h.first_cap;
	c->hdr_size = h.hdr_size;
	return 0;
}

/*
 * Check the capability at @off, which must not lie before @min (the end of
 * the header or of the previous capability): its header, its size against
 * the chain and against its id, and the content of a known id.
 */
int caps_cap_check(const struct chain *c, uint32_t off, uint32_t min,
		     struct ioasid_cap_header *h, char *err, size_t errlen)
{
	const struct cap_desc *d;

	if (off < min)
		return caps_fail(err, errlen, -EINVAL,
				 "cap offset %u lies before offset %u, the end of what precedes it (chains only move forward)",
				 off, min);
	if (off % c->align)
		return caps_fail(err, errlen, -EINVAL,
				 "cap offset %u is not a multiple of %u", off,
				 c->align);
	if (off > c->total || c->total - off < CAP_HDR_SIZE)
		return caps_fail(err, errlen, -EMSGSIZE,
				 "cap header at offset %u runs past total_size %u",
				 off, c->total);
	memcpy(h, c->buf + off, sizeof(*h));
	if (h->size < CAP_HDR_SIZE)
		return caps_cap_fail(err, errlen, -EINVAL, off, h,
				     "size %u is below the %u-byte cap header",
				     h->size, CAP_HDR_SIZE);
	if (h->size > c->total - off)
		return caps_cap_fail(err, errlen, -EMSGSIZE, off, h,
				     "size %u runs past total_size %u", h->size,
				     c->total);
	if (h->size % c->align)
		return caps_cap_fail(err, errlen, -EINVAL, off, h,
				     "size %u is not a multiple of %u", h->size,
				     c->align);
	if (!h->id)
		return caps_cap_fail(err, errlen, -EINVAL, off, h, "id 0");
	if (!h->version)
		return caps_cap_fail(err, errlen, -EINVAL, off, h, "version 0");
	if (!h->source)
		return caps_cap_fail(err, errlen, -EINVAL, off, h, "source 0");
	if (h->next && h->next < off + h->size)
		return caps_cap_fail(err, errlen, -EINVAL, off, h,
				     "next %u points before the end of this cap (%u): loop or overlap",
				     h->next, off + h->size);

	d = cap_desc_find(h->id);
	if (!d)
		return 0; /* unknown: skipped, not an error */
	if (h->size < d->size)
		return caps_cap_fail(err, errlen, -EMSGSIZE, off, h,
				     "size %u is below the %u-byte struct of this id",
				     h->size, d->size);
	return caps_check_content(d, c->buf + off, off, h, err, errlen);
}

static int caps_first(const void *buf, size_t len, unsigned int flags,
		      uint32_t *ret_off, struct ioasid_cap_header *ret_hdr,
		      char *err, size_t errlen)
{
	struct ioasid_cap_header h;
	struct chain c;
	int ret;

	if (!ret_off)
		return caps_fail(err, errlen, -EINVAL, "no ret_off");
	ret = caps_chain_open(buf, len, flags, &c, err, errlen);
	if (ret)
		return ret;
	if (!c.first)
		return caps_fail(err, errlen, -ENOENT, "chain has no capability");
	ret = caps_cap_check(&c, c.first, c.hdr_size, &h, err, errlen);
	if (ret)
		return ret;
	*ret_off = c.first;
	if (ret_hdr)
		*ret_hdr = h;
	return 0;
}

static int caps_next(const void *buf, size_t len, unsigned int flags,
		     uint32_t off, uint32_t *ret_off,
		     struct ioasid_cap_header *ret_hdr, char *err,
		     size_t errlen)
{
	struct ioasid_cap_header h, n;
	struct chain c;
	int ret;

	if (!ret_off)
		return caps_fail(err, errlen, -EINVAL, "no ret_off");
	ret = caps_chain_open(buf, len, flags, &c, err, errlen);
	if (ret)
		return ret;
	/*
	 * Re-check the current capability rather than trust @off: it gives
	 * `next` and the end the next one must not precede.
	 */
	ret = caps_cap_check(&c, off, c.hdr_size, &h, err, errlen);
	if (ret)
		return ret;
	if (!h.next)
		return caps_fail(err, errlen, -ENOENT, "end of chain");
	ret = caps_cap_check(&c, h.next, off + h.size, &n, err, errlen);
	if (ret)
		return ret;
	*ret_off = h.next;
	if (ret_hdr)
		*ret_hdr = n;
	return 0;
}

/*
 * The walk used by validate and find: calls @visit for each capability
 * until it returns non-zero (1 = stop, found; < 0 = error).
 */
static int walk(const void *buf, size_t len, unsigned int flags,
		int (*visit)(void *ctx, uint32_t off,
			     const struct ioasid_cap_header *h, char *err,
			     size_t errlen),
		void *ctx, char *err, size_t errlen)
{
	struct ioasid_cap_header h;
	struct chain c;
	uint32_t off, min;
	int ret;

	ret = caps_chain_open(buf, len, flags, &c, err, errlen);
	if (ret)
		return ret;
	for (off = c.first, min = c.hdr_size; off; off = h.next) {
		ret = caps_cap_check(&c, off, min, &h, err, errlen);
		if (ret)
			return ret;
		ret = visit(ctx, off, &h, err, errlen);
		if (ret)
			return ret;
		min = off + h.size;
	}
	return 0;
}

static int visit_validate(void *ctx, uint32_t off,
			  const struct ioasid_cap_header *h, char *err,
			  size_t errlen)
{
	bool *seen = ctx;
	int ki = caps_known_index(h->id);

	if (ki < 0)
		return 0;
	/* Two page-size caps (say) would leave a reader to guess. */
	if (seen[ki])
		return caps_cap_fail(err, errlen, -EINVAL, off, h,
				     "second cap with this id");
	seen[ki] = true;
	return 0;
}

static int caps_validate(const void *buf, size_t len, unsigned int flags,
			 char *err, size_t errlen)
{
	bool seen[CAPS_MAX_KNOWN] = { false };

	return walk(buf, len, flags, visit_validate, seen, err, errlen);
}

struct find_ctx {
	uint16_t id;
	uint32_t off;
	struct ioasid_cap_header h;
};

static int visit_find(void *ctx, uint32_t off,
		      const struct ioasid_cap_header *h, char *err,
		      size_t errlen)
{
	struct find_ctx *f = ctx;

	(void)err;
	(void)errlen;
	if (h->id != f->id)
		return 0;
	f->off = off;
	f->h = *h;
	return 1;
}

static int caps_find(const void *buf, size_t len, unsigned int flags,
		     uint16_t id, uint32_t *ret_off,
		     struct ioasid_cap_header *ret_hdr, char *err,
		     size_t errlen)
{
	struct find_ctx f = { .id = id };
	int ret;

	if (!ret_off)
		return caps_fail(err, errlen, -EINVAL, "no ret_off");
	ret = walk(buf, len, flags, visit_find, &f, err, errlen);
	if (ret < 0)
		return ret;
	if (!ret) {
		const char *name = ioasid_cap_id_name(id);

		return caps_fail(err, errlen, -ENOENT, "no cap with id %u%s%s", id,
				 name ? " " : "", name ? name : "");
	}
	*ret_off = f.off;
	if (ret_hdr)
		*ret_hdr = f.h;
	return 0;
}

static int caps_get(const void *buf, size_t len, unsigned int flags,
		    uint16_t id, void *out, size_t outsz, uint32_t *ret_size,
		    char *err, size_t errlen)
{
	struct ioasid_cap_header h;
	uint32_t off;
	size_t n;
	int ret;

	if (!out && outsz)
		return caps_fail(err, errlen, -EINVAL, "no output buffer");
	ret = caps_find(buf, len, flags, id, &off, &h, err, errlen);
	if (ret)
		return ret;
	n = h.size < outsz ? h.size : outsz;
	if (n)
		memcpy(out, (const uint8_t *)buf + off, n);
	if (outsz > n)
		memset((uint8_t *)out + n, 0, outsz - n);
	if (ret_size)
		*ret_size = h.size;
	return 0;
}

static int caps_get_array(const void *buf, size_t len, unsigned int flags,
			  uint16_t id, void *out, uint32_t max,
			  uint32_t *ret_count, char *err, size_t errlen)
{
	const uint8_t *p, *e;
	struct ioasid_cap_header h;
	const struct cap_desc *d;
	uint32_t off, count, elem, known, n;
	int ret;

	d = cap_desc_find(id);
	if (!d || !d->elem_size)
		return caps_fail(err, errlen, -EINVAL, "cap id %u has no array", id);
	if (!ret_count || (!out && max))
		return caps_fail(err, errlen, -EINVAL, "no output buffer");
	ret = caps_find(buf, len, flags, id, &off, &h, err, errlen);
	if (ret)
		return ret;
	/* find checked the cap, so count and elem_size are known to fit. */
	p = (const uint8_t *)buf + off;
	memcpy(&count, p + offsetof(struct ioasid_cap_iova_ranges, count), 4);
	memcpy(&elem, p + offsetof(struct ioasid_cap_iova_ranges, elem_size), 4);
	known = d->elem_size;
	n = count < max ? count : max;
	e = p + d->size;
	for (uint32_t i = 0; i < n; i++, e += elem)
		memcpy((uint8_t *)out + (size_t)i * known, e, known);
	*ret_count = count;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* VFIO-format chains                                                       */

static int vfio_cap_find(const void *buf, size_t len, uint32_t first,
			 uint16_t id, unsigned int flags, uint32_t *ret_off,
			 struct ioasid_vfio_cap_header *ret_hdr,
			 uint32_t *ret_avail, char *err, size_t errlen)
{
	const uint32_t hsz = sizeof(struct ioasid_vfio_cap_header);
	struct ioasid_vfio_cap_header h;
	uint32_t align, off, end;

	if (!buf || !ret_off)
		return caps_fail(err, errlen, -EINVAL, "no buffer");
	if (flags & ~IOASID_CAPS_STRICT_ALIGN)
		return caps_fail(err, errlen, -EINVAL, "unknown flags 0x%x",
				 flags & ~IOASID_CAPS_STRICT_ALIGN);
	align = (flags & IOASID_CAPS_STRICT_ALIGN) ? 8 : 4;
	/* Offsets are 32-bit: nothing past 4 GiB can be reached. */
	if (len > UINT32_MAX)
		len = UINT32_MAX;
	/*
	 * Each `next` must move past the current header, so offsets strictly
	 * increase and the walk ends within len / 8 steps.
	 */
	for (off = first; off; off = h.next) {
		if (off % align)
			return caps_fail(err, errlen, -EINVAL,
					 "vfio cap offset %u is not a multiple of %u",
					 off, align);
		if ((uint64_t)off + hsz > len)
			return caps_fail(err, errlen, -EMSGSIZE,
					 "vfio cap header at offset %u runs past the %zu-byte buffer",
					 off, len);
		memcpy(&h, (const uint8_t *)buf + off, sizeof(h));
		if (h.next && h.next < off + hsz)
			return caps_fail(err, errlen, -EINVAL,
					 "vfio cap at offset %u (id %u): next %u does not move forward",
					 off, h.id, h.next);
		if (h.id != id)
			continue;
		end = h.next && h.next < len ? h.next : (uint32_t)len;
		*ret_off = off;
		if (ret_hdr)
			*ret_hdr = h;
		if (ret_avail)
			*ret_avail = end - off;
		return 0;
	}
	return caps_fail(err, errlen, -ENOENT, "no vfio cap with id %u", id);
}

/* ------------------------------------------------------------------------ */
/* Public parsing calls: their message goes to the thread's last error      */

/* Publish @msg as this thread's message when @ret is an error. */
static int publish(int ret, const char *msg)
{
	return ret ? ioasid_err(NULL, ret, "%s", msg) : 0;
}

int ioasid_caps_validate(const void *buf, size_t len, unsigned int flags)
{
	char m[IOASID_ERRMSG_MAX] = "";

	return publish(caps_validate(buf, len, flags, m, sizeof(m)), m);
}

int ioasid_caps_first(const void *buf, size_t len, unsigned int flags,
		      uint32_t *ret_off, struct ioasid_cap_header *ret_hdr)
{
	char m[IOASID_ERRMSG_MAX] = "";

	return publish(caps_first(buf, len, flags, ret_off, ret_hdr, m, sizeof(m)), m);
}

int ioasid_caps_next(const void *buf, size_t len, unsigned int flags,
		     uint32_t off, uint32_t *ret_off,
		     struct ioasid_cap_header *ret_hdr)
{
	char m[IOASID_ERRMSG_MAX] = "";

	return publish(caps_next(buf, len, flags, off, ret_off, ret_hdr, m, sizeof(m)), m);
}

int ioasid_caps_find(const void *buf, size_t len, unsigned int flags,
		     uint16_t id, uint32_t *ret_off,
		     struct ioasid_cap_header *ret_hdr)
{
	char m[IOASID_ERRMSG_MAX] = "";

	return publish(caps_find(buf, len, flags, id, ret_off, ret_hdr, m, sizeof(m)), m);
}

int ioasid_caps_get(const void *buf, size_t len, unsigned int flags,
		    uint16_t id, void *out, size_t outsz, uint32_t *ret_size)
{
	char m[IOASID_ERRMSG_MAX] = "";

	return publish(caps_get(buf, len, flags, id, out, outsz, ret_size, m, sizeof(m)), m);
}

int ioasid_caps_get_array(const void *buf, size_t len, unsigned int flags,
			  uint16_t id, void *out, uint32_t max,
			  uint32_t *ret_count)
{
	char m[IOASID_ERRMSG_MAX] = "";

	return publish(caps_get_array(buf, len, flags, id, out, max, ret_count, m,
				      sizeof(m)), m);
}

int ioasid_vfio_cap_find(const void *buf, size_t len, uint32_t first,
			 uint16_t id, unsigned int flags, uint32_t *ret_off,
			 struct ioasid_vfio_cap_header *ret_hdr,
			 uint32_t *ret_avail)
{
	char m[IOASID_ERRMSG_MAX] = "";

	return publish(vfio_cap_find(buf, len, first, id, flags, ret_off, ret_hdr,
				     ret_avail, m, sizeof(m)), m);
}

