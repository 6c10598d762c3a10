/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fake kernel's fault queues (kernel-uapi.md §1.4
 * IOMMU_FAULT_QUEUE_ALLOC, §1.5): an object and an fd (an eventfd here,
 * known by its inode since fd numbers are reused) that holds it. No fake
 * device raises page requests: a read finds nothing, a response names no
 * outstanding group.
 */
#include <errno.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fk.h"

int fk_fault_alloc(struct fk *k, struct ku_iommu_fault_alloc *a)
{
	struct stat st;
	uint32_t id;
	int fd;

	if (a->flags)
		return -EOPNOTSUPP;
	id = fk_new(k, FK_FAULT);
	if (!id)
		return -ENOMEM;
	fd = eventfd(0, EFD_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		fk_free(k, id);
		return -EMFILE;
	}
	k->obj[id].qfd = fd;
	k->obj[id].qdev = st.st_dev;
	k->obj[id].qino = st.st_ino;
	a->out_fault_id = id;
	a->out_fault_fd = (uint32_t)fd;
	return 0;
}

bool fk_fault_fd_open(const struct fk_obj *o)
{
	struct stat st;

	return o->qfd >= 0 && !fstat(o->qfd, &st) && st.st_dev == o->qdev && st.st_ino == o->qino;
}

ssize_t fk_fault_io(void *data, int fd, void *buf, size_t len, bool is_write)
{
	ssize_t r = is_write ? -EBADF : fk_veventq_read(data, fd, buf, len);

	/* the same seam reads the vEVENTQ fds (fk-viommu.c) */
	if (r != -EBADF)
		return r;
	if (len % (is_write ? sizeof(struct ku_iommu_hwpt_page_response) :
			      sizeof(struct ku_iommu_hwpt_pgfault)))
		return -ESPIPE;
	return is_write ? -EINVAL : 0;
}
