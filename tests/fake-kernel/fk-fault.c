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

uint32_t fk_new_with_fd(struct fk *k, enum fk_kind kind, int *ret_err)
{
	struct stat st;
	uint32_t id = fk_new(k, kind);
	int fd;

	*ret_err = -ENOMEM;
	if (!id)
		return 0;
	fd = eventfd(0, EFD_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		fk_free(k, id);
		*ret_err = -EMFILE;
		return 0;
	}
	k->obj[id].qfd = fd;
	k->obj[id].qdev = st.st_dev;
	k->obj[id].qino = st.st_ino;
	*ret_err = 0;
	return id;
}

int fk_fault_alloc(struct fk *k, struct ku_iommu_fault_alloc *a)
{
	uint32_t id;
	int err;

	if (a->flags)
		return -EOPNOTSUPP;
	id = fk_new_with_fd(k, FK_FAULT, &err);
	if (!id)
		return err;
	a->out_fault_id = id;
	a->out_fault_fd = (uint32_t)k->obj[id].qfd;
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
