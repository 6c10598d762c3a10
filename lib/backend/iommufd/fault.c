/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iommufd fault queues (kernel-uapi.md §1.4 IOMMU_FAULT_QUEUE_ALLOC,
 * §1.5): the kernel object and its fd, reading page-request groups into
 * the library's records (lib/linux/fault-record.c converts the format)
 * with the kernel's ids mapped to the library's, and answering them.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "iommufd-private.h"

#define PGFAULT_SIZE ((uint32_t)sizeof(struct ku_iommu_hwpt_pgfault))
#define FAULT_READ_CHUNK 256u /* records per read(); a bigger group gets a bigger buffer */

int iommufd_fault_alloc(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q, int *ret_fd)
{
	struct ku_iommu_fault_alloc a = { .size = sizeof(a) };
	struct ifd_fault *kq;
	int err, fd, fl;

	kq = ioasid_calloc(1, sizeof(*kq));
	if (!kq)
		return ioasid_err(ctx, -ENOMEM, "out of memory for fault queue %u", q->obj.id);
	err = kioctl(ctx, ifd_of(ctx)->fd, KU_IOMMU_FAULT_QUEUE_ALLOC, &a);
	if (err) {
		ioasid_free(kq);
		return ioasid_err(ctx, err,
				  "IOMMU_FAULT_QUEUE_ALLOC for fault queue %u: the kernel says %s%s",
				  q->obj.id, strerror(-err),
				  err == -ENOTTY ? " (a kernel before 6.11 has no fault queues)" :
						   "");
	}
	kq->id = a.out_fault_id;
	fd = (int)a.out_fault_fd;
	/* the kernel makes it close-on-exec; reads never block, but say so */
	fl = fcntl(fd, F_GETFL);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) || fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK)) {
		err = -errno;
		close(fd);
		ifd_kdestroy(ctx, kq->id);
		ioasid_free(kq);
		return ioasid_err(ctx, err, "fault fd %d of kernel fault queue %u: fcntl: %s", fd,
				  a.out_fault_id, strerror(-err));
	}
	q->be = kq;
	*ret_fd = fd;
	return 0;
}

int iommufd_fault_destroy(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q)
{
	struct ifd_fault *kq = q->be;
	int err;

	/*
	 * the open fd holds the kernel object: close it first (once: a retry
	 * finds it closed); not the inherited fd of a failed restore
	 */
	if (q->efd >= 0 && !ifd_of(ctx)->forgetting)
		close(q->efd);
	q->efd = -1;
	err = ifd_kdestroy(ctx, kq->id);
	if (err) {
		err = ioasid_err(ctx, err,
				 "IOMMU_DESTROY of kernel fault queue %u (queue %u): the kernel says %s%s",
				 kq->id, q->obj.id, strerror(-err),
				 err == -EBUSY ?
					 " (another thread still polls or reads its fd, or a dup of it is open; destroy it again once it is done)" :
					 "");
		if (!ctx->closing)
			return err;
	}
	ioasid_free(kq);
	q->be = NULL;
	return err;
}

static struct ioasid_dev *dev_by_kid(struct ioasid_ctx *ctx, uint32_t kid)
{
	struct ioasid_dev *dev;

	for (dev = dev_next(ctx, NULL); dev; dev = dev_next(ctx, dev))
		if (dev->be && ((struct ifd_dev *)dev->be)->devid == kid)
			return dev;
	return NULL;
}

/*
 * The HWPT a fault of (dev, pasid) came through: what is attached there,
 * or for a PASID without its own attachment the RID's domain (the kernel
 * routes there for nested domains with a user PASID table) — if it
 * reports to @q.
 */
static uint32_t fault_hwpt(struct ifd_dev *d, uint32_t pasid, const struct ioasid_fault_queue *q)
{
	struct ifd_att *a = ifd_att_get(d, pasid);

	if (!a && pasid != IOASID_PASID_NONE)
		a = ifd_att_get(d, IOASID_PASID_NONE);
	if (a && a->hwpt->fault_q == q)
		return a->hwpt->obj.id;
	return 0;
}

/* The kernel's device ids to the library's, and the HWPT where it can tell. */
static void fault_map_ids(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q,
			  struct ioasid_fault *f, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct ioasid_dev *dev = dev_by_kid(ctx, f[i].dev);

		if (!dev) {
			ioasid_log(ctx, IOASID_LOG_WARN,
				   "fault queue %u: a fault of kernel device %u, which this context has not bound",
				   q->obj.id, f[i].dev);
			f[i].dev = 0;
			f[i].hwpt = 0;
			continue;
		}
		f[i].dev = dev->obj.id;
		f[i].hwpt = fault_hwpt(dev->be,
				       (f[i].flags & IOASID_FAULT_F_PASID_VALID) ? f[i].pasid :
										   IOASID_PASID_NONE,
				       q);
	}
}

/* Is a group waiting in the kernel queue (POLLIN)? */
static bool fault_fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/*
 * Groups the kernel handed out but that cannot be converted (a malformed
 * record): answer each INVALID by its raw cookie, so no device waits.
 */
static void fault_refuse_raw(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q,
			     const uint8_t *buf, size_t len)
{
	struct ifd_ctx *s = ifd_of(ctx);
	uint32_t last = 0;
	size_t off;

	for (off = 0; off + PGFAULT_SIZE <= len; off += PGFAULT_SIZE) {
		struct ku_iommu_hwpt_pgfault r;
		uint8_t resp[8];

		memcpy(&r, buf + off, sizeof(r));
		if (r.cookie == last ||
		    ioasid_fault_response_iommufd(r.cookie, IOASID_FAULT_INVALID, resp))
			continue;
		last = r.cookie;
		s->fault_io(s->fault_io_data, q->efd, resp, sizeof(resp), true);
	}
}

/*
 * One read() of at most @want records into *@buf (grown as needed).
 * Return: the bytes read (whole groups only), 0 when nothing waits,
 * -EMSGSIZE when the first waiting group does not fit, or -errno. 7.x
 * kernels fail a read that cannot take the first group with EINVAL; older
 * ones return 0 while the fd stays readable: a second read that still
 * returns 0 tells "too big" from "it arrived just now".
 */
static ssize_t fault_read_once(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q, uint8_t **buf,
			       uint32_t *bufcap, uint32_t want)
{
	struct ifd_ctx *s = ifd_of(ctx);
	size_t len = (size_t)want * PGFAULT_SIZE;
	ssize_t r;

	if (!*buf || want > *bufcap) {
		uint8_t *nb = ioasid_malloc((size_t)IOASID_MAX(want, 1u) * PGFAULT_SIZE);

		if (!nb)
			return -ENOMEM;
		ioasid_free(*buf);
		*buf = nb;
		*bufcap = IOASID_MAX(want, 1u);
	}
	r = s->fault_io(s->fault_io_data, q->efd, *buf, len, false);
	if (r == 0 && fault_fd_readable(q->efd))
		r = s->fault_io(s->fault_io_data, q->efd, *buf, len, false) ?: -EINVAL;
	if (r == -EAGAIN)
		r = 0;
	return r == -EINVAL ? -EMSGSIZE : r;
}

int iommufd_fault_read(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q,
		       struct ioasid_fault *out, uint32_t cap, uint32_t *ret_n)
{
	uint32_t n = 0, bufcap = 0, want, m;
	uint8_t *buf = NULL;
	ssize_t r;
	int err = 0;

	do {
		want = IOASID_MIN(cap - n, FAULT_READ_CHUNK);
		r = fault_read_once(ctx, q, &buf, &bufcap, want);
		/* a group above the chunk: once more with all the room there is */
		if (r == -EMSGSIZE && want < cap - n) {
			want = cap - n;
			r = fault_read_once(ctx, q, &buf, &bufcap, want);
		}
		if (r <= 0) {
			if (r == -EMSGSIZE && !n)
				err = ioasid_err(ctx, -EMSGSIZE,
						 "the next group of fault queue %u does not fit in %u record(s) (the kernel does not say how many it has)",
						 q->obj.id, cap);
			else if (r < 0 && r != -EMSGSIZE && !n)
				err = ioasid_err(ctx, (int)r,
						 "reading fault queue %u (kernel queue %u): %s",
						 q->obj.id, ((struct ifd_fault *)q->be)->id,
						 strerror((int)-r));
			break;
		}
		m = cap - n;
		err = ioasid_fault_from_iommufd(buf, (size_t)r, out + n, &m);
		if (err) {
			char msg[IOASID_ERRMSG_MAX];

			snprintf(msg, sizeof(msg), "%s", ioasid_last_errmsg());
			fault_refuse_raw(ctx, q, buf, (size_t)r);
			err = n ? 0 :
				  ioasid_err(ctx, -EPROTO,
					     "fault queue %u: the kernel handed out records the library cannot read (answered INVALID): %s",
					     q->obj.id, msg);
			break;
		}
		fault_map_ids(ctx, q, out + n, m);
		n += m;
		/* a short read: the kernel had no more that fit */
	} while (n < cap && (size_t)r == (size_t)want * PGFAULT_SIZE);
	ioasid_free(buf);
	*ret_n = n;
	return err;
}

int iommufd_fault_respond(struct ioasid_ctx *ctx, struct ioasid_fault_queue *q, uint32_t kcookie,
			  uint32_t code)
{
	struct ifd_ctx *s = ifd_of(ctx);
	uint8_t resp[8];
	ssize_t r;

	/* FAILURE goes as INVALID: iommufd has no Response Failure */
	if (ioasid_fault_response_iommufd(kcookie, code, resp))
		return -EINVAL;
	r = s->fault_io(s->fault_io_data, q->efd, resp, sizeof(resp), true);
	if (r == (ssize_t)sizeof(resp))
		return 0;
	return r < 0 ? (int)r : -EIO;
}
