/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fake kernel of the iommufd backend's unit tests (fake-kernel.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "backend/iommufd/iommufd-private.h"
#include "fake-kernel.h"

static struct fake_fq *fake_fq_of(struct fake *k, int fd)
{
	uint32_t i;

	for (i = 0; i < k->nr_fq; i++)
		if (k->fq[i].fd == fd && !k->fq[i].destroyed)
			return &k->fq[i];
	ck_abort_msg("fault io on fd %d, which is no fake fault queue", fd);
	return NULL;
}

static void fake_fq_signal(struct fake_fq *f)
{
	uint64_t v = 1;

	if (f->nr)
		ck_assert_int_eq(write(f->fd, &v, sizeof(v)), sizeof(v));
	else
		(void)!read(f->fd, &v, sizeof(v));
}
void fake_fq_raise(struct fake_fq *f, uint32_t dev_id, bool pasid_valid, uint32_t pasid,
		   uint64_t addr, uint32_t perm, uint32_t n)
{
	uint32_t i;

	ck_assert_uint_le(f->nr + n, FQ_MAX);
	for (i = 0; i < n; i++) {
		struct ku_iommu_hwpt_pgfault *r = &f->recs[f->nr++];

		memset(r, 0, sizeof(*r));
		r->flags = (pasid_valid ? 1u : 0) | (i == n - 1 ? 2u : 0);
		r->dev_id = dev_id;
		r->pasid = pasid_valid ? pasid : 0;
		r->grpid = 5;
		r->perm = perm;
		r->addr = addr + 4096ull * i;
	}
	fake_fq_signal(f);
}
ssize_t fake_fault_io(void *data, int fd, void *buf, size_t len, bool is_write)
{
	struct fake_fq *f = fake_fq_of(data, fd);
	size_t done = 0;

	if (is_write) {
		struct ku_iommu_hwpt_page_response r;

		if (len % sizeof(r))
			return -ESPIPE;
		for (; done < len; done += sizeof(r)) {
			memcpy(&r, (uint8_t *)buf + done, sizeof(r));
			if (r.code > 1 || r.cookie == 0 || r.cookie > FQ_MAX ||
			    !f->outstanding[r.cookie])
				return done ? (ssize_t)done : -EINVAL;
			f->outstanding[r.cookie] = false;
			f->writes++;
			f->last = r;
		}
		return (ssize_t)done;
	}
	if (len % sizeof(f->recs[0]))
		return -ESPIPE;
	while (f->nr) {
		uint32_t n, i, cookie;

		for (n = 0; n < f->nr && !(f->recs[n].flags & 2u); n++)
			;
		n++;
		if (n * sizeof(f->recs[0]) > len - done) {
			if (!done)
				return f->old_kernel ? 0 : -EINVAL;
			break;
		}
		for (cookie = 1; f->outstanding[cookie]; cookie++)
			;
		f->outstanding[cookie] = true;
		for (i = 0; i < n; i++) {
			f->recs[i].cookie = cookie;
			memcpy((uint8_t *)buf + done, &f->recs[i], sizeof(f->recs[0]));
			done += sizeof(f->recs[0]);
		}
		memmove(f->recs, f->recs + n, (f->nr - n) * sizeof(f->recs[0]));
		f->nr -= n;
	}
	fake_fq_signal(f);
	return (ssize_t)done;
}
/* IOMMU_DESTROY: a fault queue's object goes after the library closed its fd. */
static int fake_destroy(struct fake *k, struct ku_iommu_destroy *d)
{
	uint32_t i;

	k->destroys++;
	for (i = 0; i < k->nr_fq; i++) {
		if (k->fq[i].id == d->id && !k->fq[i].destroyed) {
			/* the library closed the fd first (it holds the object) */
			k->fq[i].fd_was_closed = fcntl(k->fq[i].fd, F_GETFD) < 0 && errno == EBADF;
			k->fq[i].destroyed = true;
		}
	}
	return 0;
}

static int fake_fault_queue_alloc(struct fake *k, struct ku_iommu_fault_alloc *a)
{
	struct fake_fq *f;

	ck_assert_ptr_nonnull(k->fq);
	ck_assert_uint_eq(a->size, sizeof(*a));
	ck_assert_uint_eq(a->flags, 0);
	f = &k->fq[k->nr_fq++];
	memset(f, 0, sizeof(*f));
	/* neither close-on-exec nor non-blocking: the library sets both */
	f->fd = eventfd(0, 0);
	ck_assert_int_ge(f->fd, 0);
	f->id = k->next_id++;
	a->out_fault_id = f->id;
	a->out_fault_fd = (uint32_t)f->fd;
	return 0;
}

/* IOMMU_GET_HW_INFO of the bound device: QEMU's VT-d with the test's ECAP. */
static int fake_hw_info(struct fake *k, struct ku_iommu_hw_info *h)
{
	struct ku_iommu_hw_info_vtd v = { .cap_reg = QEMU_VTD_CAP, .ecap_reg = k->ecap };

	ck_assert_uint_eq(h->dev_id, 77);
	memcpy((void *)(uintptr_t)h->data_uptr, &v, IOASID_MIN(h->data_len, sizeof(v)));
	h->data_len = sizeof(v);
	h->data_type = KU_IOMMU_HW_INFO_TYPE_INTEL_VTD;
	h->out_max_pasid_log2 = 0;
	h->out_capabilities = 0;
	return 0;
}

static int fake_attach(struct fake *k, struct ku_vfio_device_attach_iommufd_pt *a)
{
	k->attaches++;
	k->last_attach = *a;
	a->pt_id = 500 + a->pt_id;
	return 0;
}

/* Every IOAS has the two ranges around the x86 MSI window, of 39 bits. */
static int fake_iova_ranges(struct ku_iommu_ioas_iova_ranges *q)
{
	struct ku_iommu_iova_range *r = (void *)(uintptr_t)q->allowed_iovas;

	q->out_iova_alignment = 4096;
	if (q->num_iovas < 2) {
		q->num_iovas = 2;
		return -EMSGSIZE;
	}
	q->num_iovas = 2;
	r[0].start = 0;
	r[0].last = 0xfedfffff;
	r[1].start = 0xfef00000;
	r[1].last = (1ull << 39) - 1;
	return 0;
}

static int fake_hwpt_alloc(struct fake *k, struct ku_iommu_hwpt_alloc *a)
{
	if (a->data_type == KU_IOMMU_HWPT_DATA_VTD_S1)
		memcpy(&k->last_s1, (void *)(uintptr_t)a->data_uptr, sizeof(k->last_s1));
	a->out_hwpt_id = k->next_id++;
	k->last_hwpt = *a;
	return 0;
}

static int fake_invalidate(struct fake *k, struct ku_iommu_hwpt_invalidate *inv)
{
	k->last_inv = *inv;
	if (inv->entry_num && inv->entry_len >= sizeof(k->last_entry))
		memcpy(&k->last_entry, (void *)(uintptr_t)inv->data_uptr, sizeof(k->last_entry));
	return 0;
}

/* The ioctl seam (iommufd_set_ioctl_hook), data a struct fake. */
static int fake_ioctl(void *data, int fd, unsigned long req, void *arg)
{
	struct fake *k = data;

	if (req == k->fail_req && k->fail_err)
		return k->fail_err;
	switch (req) {
	case KU_IOMMU_IOAS_ALLOC:
		((struct ku_iommu_ioas_alloc *)arg)->out_ioas_id = k->next_id++;
		return 0;
	case KU_IOMMU_DESTROY:
		return fake_destroy(k, arg);
	case KU_IOMMU_FAULT_QUEUE_ALLOC:
		return fake_fault_queue_alloc(k, arg);
	case KU_IOMMU_IOAS_MAP:
		k->maps++;
		k->last_map = *(struct ku_iommu_ioas_map *)arg;
		return 0;
	case KU_IOMMU_IOAS_MAP_FILE:
		k->maps++;
		k->last_map_file = *(struct ku_iommu_ioas_map_file *)arg;
		return 0;
	case KU_IOMMU_IOAS_UNMAP:
		k->unmaps++;
		k->last_unmap = *(struct ku_iommu_ioas_unmap *)arg;
		return 0;
	case KU_VFIO_DEVICE_BIND_IOMMUFD:
		k->bound++;
		((struct ku_vfio_device_bind_iommufd *)arg)->out_devid = 77;
		return 0;
	case KU_IOMMU_GET_HW_INFO:
		return fake_hw_info(k, arg);
	case KU_VFIO_DEVICE_ATTACH_IOMMUFD_PT:
		return fake_attach(k, arg);
	case KU_VFIO_DEVICE_DETACH_IOMMUFD_PT:
		k->detaches++;
		return 0;
	case KU_IOMMU_IOAS_IOVA_RANGES:
		return fake_iova_ranges(arg);
	case KU_IOMMU_HWPT_ALLOC:
		return fake_hwpt_alloc(k, arg);
	case KU_IOMMU_HWPT_INVALIDATE:
		return fake_invalidate(k, arg);
	case KU_IOMMU_IOAS_CHANGE_PROCESS:
		k->changes++;
		return ((struct ku_iommu_ioas_change_process *)arg)->__reserved ? -EOPNOTSUPP : 0;
	default:
		return -ENOTTY;
	}
}

static char fake_root[64];

static void mkpath(const char *rel, const char *content)
{
	char path[256], *s;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fake_root, rel);
	for (s = path + strlen(fake_root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	if (content) {
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fputs(content, f);
		fclose(f);
	} else {
		mkdir(path, 0755);
	}
}

static void mklink(const char *rel, const char *target)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", fake_root, rel);
	ck_assert_int_eq(symlink(target, path), 0);
}

void fake_sysfs(void)
{
	char cfg[256];
	FILE *f;

	snprintf(fake_root, sizeof(fake_root), "/tmp/ioasid-fakesys.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fake_root));
	mkpath("devices/pci0000:00/0000:00:01.0/vfio-dev/vfio0", NULL);
	mkpath("kernel/iommu_groups/5/reserved_regions",
	       "0x00000000fee00000 0x00000000feefffff msi\n");
	mkpath("devices/virtual/iommu/dmar0/intel-iommu/cap", "d2008c22260286\n");
	mkpath("bus/pci/devices/x", NULL);
	mkpath("dev/char/x", NULL);
	mklink("bus/pci/devices/0000:00:01.0", "../../../devices/pci0000:00/0000:00:01.0");
	mklink("dev/char/1:3", "../../devices/pci0000:00/0000:00:01.0/vfio-dev/vfio0");
	mklink("devices/pci0000:00/0000:00:01.0/iommu_group", "../../../kernel/iommu_groups/5");
	/* conventional PCI config space */
	memset(cfg, 0, sizeof(cfg));
	{
		char path[256];

		snprintf(path, sizeof(path), "%s/devices/pci0000:00/0000:00:01.0/config", fake_root);
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(fwrite(cfg, 1, sizeof(cfg), f), sizeof(cfg));
		fclose(f);
	}
}

void fake_sysfs_rm(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fake_root);
	ck_assert_int_eq(system(cmd), 0);
}

struct ioasid_ctx *fake_ctx(struct fake *k)
{
	struct ioasid_ctx *ctx = NULL;

	memset(k, 0, sizeof(*k));
	k->next_id = 1;
	k->ecap = QEMU_VTD_ECAP;
	iommufd_set_open_any_node(true); /* /dev/null stands in for /dev/iommu */
	ck_assert_int_eq(ioasid_ctx_open("iommufd:/dev/null", NULL, &ctx), 0);
	ck_assert_int_eq(iommufd_set_ioctl_hook(ctx, fake_ioctl, k), 0);
	ck_assert_int_eq(iommufd_set_sysfs_root(ctx, fake_root), 0);
	ioasid_ctx_set_pinned_limit(ctx, UINT64_MAX);
	return ctx;
}

uint32_t find_hwpt(struct ioasid_ctx *ctx)
{
	uint32_t id;

	for (id = 1; id < 64; id++)
		if (ioasid_obj_kind(ctx, id) == IOASID_OBJ_HWPT)
			return id;
	return 0;
}
