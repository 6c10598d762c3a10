/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fake VFIO type-1 kernel (fk-vfio.h): containers, groups, device fds
 * and DMA mappings, answering as 7.2.13's vfio and vfio_iommu_type1 do
 * (kernel-uapi.md §2.4). A container's IOMMU and every mapping exist only
 * while a group is in it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "backend/vfio/vfio-private.h"
#include "fk-vfio.h"

#define PGSIZES (0x1000ull | 0x200000ull | 0x40000000ull)

/* ---- open file descriptions ---- */

static bool same(int fd, off_t token)
{
	return fd >= 0 && lseek(fd, 0, SEEK_CUR) == token;
}

static off_t mark(struct fkv *k, int fd)
{
	off_t t = k->next_token++;

	ck_assert_int_eq(lseek(fd, t, SEEK_SET), t);
	return t;
}

static void drop_from_container(struct fkv *k, struct fkv_group *g)
{
	struct fkv_cont *c = &k->cont[g->cont];

	g->cont = -1;
	if (--c->groups)
		return;
	/* the last group left: type-1 releases the IOMMU and every mapping */
	c->iommu = false;
	c->nr_maps = 0;
	if (c->fd < 0)
		c->used = false;
}

void fkv_reap(struct fkv *k)
{
	int i;

	for (i = 0; i < FKV_MAX_GROUPS; i++) {
		struct fkv_group *g = &k->group[i];

		if (g->dev_fd >= 0 && !same(g->dev_fd, g->dev_token))
			g->dev_fd = -1;
		if (g->fd >= 0 && !same(g->fd, g->token))
			g->fd = -1;
		/* an open device keeps its group (and so its container) */
		if (g->fd < 0 && g->dev_fd < 0 && g->cont >= 0)
			drop_from_container(k, g);
	}
	for (i = 0; i < FKV_MAX_CONT; i++) {
		struct fkv_cont *c = &k->cont[i];

		if (c->used && c->fd >= 0 && !same(c->fd, c->token)) {
			c->fd = -1;
			if (!c->groups)
				c->used = false;
		}
	}
}

/* What @fd is: a container (*ret_c) or a group (*ret_g); a new one is marked. */
static int identify(struct fkv *k, int fd, struct fkv_cont **ret_c, struct fkv_group **ret_g)
{
	struct stat st;
	int i;

	*ret_c = NULL;
	*ret_g = NULL;
	for (i = 0; i < FKV_MAX_CONT; i++)
		if (k->cont[i].used && k->cont[i].fd == fd && same(fd, k->cont[i].token))
			return *ret_c = &k->cont[i], 0;
	for (i = 0; i < FKV_MAX_GROUPS; i++)
		if (k->group[i].fd == fd && same(fd, k->group[i].token))
			return *ret_g = &k->group[i], 0;
	if (fstat(fd, &st))
		return -EBADF;
	if (st.st_ino == k->cont_ino) {
		for (i = 0; i < FKV_MAX_CONT && k->cont[i].used; i++)
			;
		ck_assert_int_lt(i, FKV_MAX_CONT);
		memset(&k->cont[i], 0, sizeof(k->cont[i]));
		k->cont[i].used = true;
		k->cont[i].fd = fd;
		k->cont[i].token = mark(k, fd);
		return *ret_c = &k->cont[i], 0;
	}
	for (i = 0; i < FKV_MAX_GROUPS; i++) {
		if (st.st_ino != k->group_ino[i])
			continue;
		if (k->group[i].fd >= 0)
			return -EBUSY; /* one opener at a time */
		k->group[i].fd = fd;
		k->group[i].token = mark(k, fd);
		return *ret_g = &k->group[i], 0;
	}
	return -ENOTTY;
}

/*
 * Learn of the descriptions opened but not used yet (a container the
 * library opened for an IOAS no device has joined): the kernel knows them
 * from the open, the fake from scanning the process's fds.
 */
void fkv_discover(struct fkv *k)
{
	struct fkv_group *g;
	struct fkv_cont *c;
	struct stat st;
	int fd, i;

	fkv_reap(k);
	for (fd = 0; fd < 256; fd++) {
		if (fstat(fd, &st))
			continue;
		if (st.st_ino != k->cont_ino) {
			for (i = 0; i < FKV_MAX_GROUPS && st.st_ino != k->group_ino[i]; i++)
				;
			if (i == FKV_MAX_GROUPS)
				continue;
		}
		identify(k, fd, &c, &g);
	}
}

/* ---- the container ---- */

static int get_info(struct fkv_cont *c, struct ku_vfio_iommu_type1_info *info)
{
	/* header 24, IOVA_RANGE cap: header 8, nr 4, reserved 4, two ranges */
	const uint32_t need = 24 + 16 + 2 * 16;
	uint8_t *p = (uint8_t *)info;
	uint32_t hdr = KU_VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE | (1u << 16), nr = 2, next = 0;
	uint64_t r[4] = { 0, FK_MSI_START - 1, FK_MSI_LAST + 1, FK_APERTURE_LAST };

	if (!c->iommu || info->argsz < 16)
		return -EINVAL;
	info->flags = KU_VFIO_IOMMU_INFO_PGSIZES | KU_VFIO_IOMMU_INFO_CAPS;
	info->iova_pgsizes = PGSIZES;
	if (info->argsz < need) {
		info->argsz = need;
		info->cap_offset = 0;
		return 0;
	}
	info->cap_offset = 24;
	memcpy(p + 24, &hdr, 4);
	memcpy(p + 28, &next, 4);
	memcpy(p + 32, &nr, 4);
	memset(p + 36, 0, 4);
	memcpy(p + 40, r, sizeof(r));
	return 0;
}

static bool meets(const struct fkv_cont *c, uint64_t iova, uint64_t size)
{
	uint32_t i;

	for (i = 0; i < c->nr_maps; i++)
		if (iova < c->maps[i].iova + c->maps[i].size && c->maps[i].iova < iova + size)
			return true;
	return false;
}

static int map_dma(struct fkv_cont *c, struct ku_vfio_iommu_type1_dma_map *m)
{
	const uint32_t rw = KU_VFIO_DMA_MAP_FLAG_READ | KU_VFIO_DMA_MAP_FLAG_WRITE;

	if (!c->iommu || m->argsz < sizeof(*m) || (m->flags & ~rw))
		return -EINVAL;
	if (!m->size || !(m->flags & rw) || (m->vaddr | m->iova | m->size) & 0xfff)
		return -EINVAL;
	if (m->iova + m->size - 1 < m->iova)
		return -EOVERFLOW;
	if (meets(c, m->iova, m->size))
		return -EEXIST;
	if (c->nr_maps >= c->limit || c->nr_maps == FKV_MAX_MAPS)
		return -ENOSPC;
	if (m->iova + m->size - 1 > FK_APERTURE_LAST ||
	    (m->iova <= FK_MSI_LAST && m->iova + m->size - 1 >= FK_MSI_START))
		return -EINVAL;
	c->maps[c->nr_maps].iova = m->iova;
	c->maps[c->nr_maps++].size = m->size;
	return 0;
}

/* Type-1v2: a range that cuts a mapping is EINVAL and removes nothing. */
static int unmap_dma(struct fkv_cont *c, struct ku_vfio_iommu_type1_dma_unmap *u)
{
	uint64_t done = 0, last = u->iova + u->size - 1;
	uint32_t i;

	if (!c->iommu || u->argsz < sizeof(*u) || u->flags || !u->size ||
	    (u->iova | u->size) & 0xfff)
		return -EINVAL;
	for (i = 0; i < c->nr_maps; i++) {
		const struct fkv_map *m = &c->maps[i];

		if (m->iova <= last && u->iova <= m->iova + m->size - 1 &&
		    (m->iova < u->iova || m->iova + m->size - 1 > last))
			return -EINVAL;
	}
	for (i = 0; i < c->nr_maps;) {
		if (c->maps[i].iova >= u->iova && c->maps[i].iova <= last) {
			done += c->maps[i].size;
			c->maps[i] = c->maps[--c->nr_maps];
		} else {
			i++;
		}
	}
	u->size = done;
	return 0;
}

static int container_ioctl(struct fkv *k, struct fkv_cont *c, unsigned long req, void *arg)
{
	uintptr_t v = (uintptr_t)arg;

	switch (req) {
	case KU_VFIO_GET_API_VERSION:
		return KU_VFIO_API_VERSION;
	case KU_VFIO_CHECK_EXTENSION:
		return v == KU_VFIO_TYPE1v2_IOMMU || v == KU_VFIO_TYPE1_IOMMU ||
		       v == KU_VFIO_DMA_CC_IOMMU;
	case KU_VFIO_SET_IOMMU:
		if (!c->groups || c->iommu || v != KU_VFIO_TYPE1v2_IOMMU)
			return -EINVAL;
		c->iommu = true;
		c->limit = k->dma_limit; /* the parameter as it is now */
		return 0;
	case KU_VFIO_IOMMU_GET_INFO:
		return get_info(c, arg);
	case KU_VFIO_IOMMU_MAP_DMA:
		return map_dma(c, arg);
	case KU_VFIO_IOMMU_UNMAP_DMA:
		return unmap_dma(c, arg);
	default:
		return c->iommu ? -ENOTTY : -EINVAL;
	}
}

/* ---- groups ---- */

static int identify(struct fkv *k, int fd, struct fkv_cont **ret_c, struct fkv_group **ret_g);

/* The container fd may be new to the fake: a group can join before its first ioctl. */
static int set_container(struct fkv *k, struct fkv_group *g, const int32_t *cfd)
{
	struct fkv_group *other;
	struct fkv_cont *c;

	if (g->cont >= 0)
		return -EINVAL;
	if (identify(k, *cfd, &c, &other) || !c)
		return -EBADF;
	g->cont = (int)(c - k->cont);
	c->groups++;
	return 0;
}

static int get_device_fd(struct fkv *k, struct fkv_group *g, const char *name)
{
	char want[32], path[96];
	int idx = (int)(g - k->group), fd;

	snprintf(want, sizeof(want), "0000:00:0%d.0", idx + 1);
	if (g->cont < 0 || !k->cont[g->cont].iommu || strcmp(name, want))
		return -EINVAL;
	if (g->dev_fd >= 0)
		return -EBUSY;
	snprintf(path, sizeof(path), "%s/dev%d", k->dir, idx);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -EMFILE;
	g->dev_fd = fd;
	g->dev_token = mark(k, fd);
	return fd;
}

static int group_ioctl(struct fkv *k, struct fkv_group *g, unsigned long req, void *arg)
{
	switch (req) {
	case KU_VFIO_GROUP_GET_STATUS: {
		struct ku_vfio_group_status *st = arg;

		if (st->argsz < sizeof(*st))
			return -EINVAL;
		st->flags = KU_VFIO_GROUP_FLAGS_VIABLE |
			    (g->cont >= 0 ? KU_VFIO_GROUP_FLAGS_CONTAINER_SET : 0);
		return 0;
	}
	case KU_VFIO_GROUP_SET_CONTAINER:
		return set_container(k, g, arg);
	case KU_VFIO_GROUP_UNSET_CONTAINER:
		if (g->cont < 0)
			return -EINVAL;
		if (g->dev_fd >= 0)
			return -EBUSY;
		drop_from_container(k, g);
		return 0;
	case KU_VFIO_GROUP_GET_DEVICE_FD:
		return get_device_fd(k, g, arg);
	default:
		return -ENOTTY;
	}
}

/* ---- the entry ---- */

static const struct {
	unsigned long req;
	const char *name;
	int err;
} reqs[] = {
	{ KU_VFIO_GET_API_VERSION, "GET_API_VERSION", -ENOMEM },
	{ KU_VFIO_CHECK_EXTENSION, "CHECK_EXTENSION", -ENOMEM },
	{ KU_VFIO_SET_IOMMU, "SET_IOMMU", -ENOMEM },
	{ KU_VFIO_GROUP_GET_STATUS, "GROUP_GET_STATUS", -ENOMEM },
	{ KU_VFIO_GROUP_SET_CONTAINER, "GROUP_SET_CONTAINER", -ENOMEM },
	{ KU_VFIO_GROUP_UNSET_CONTAINER, "GROUP_UNSET_CONTAINER", -EBUSY },
	{ KU_VFIO_GROUP_GET_DEVICE_FD, "GROUP_GET_DEVICE_FD", -ENOMEM },
	{ KU_VFIO_IOMMU_GET_INFO, "IOMMU_GET_INFO", -ENOMEM },
	{ KU_VFIO_IOMMU_MAP_DMA, "MAP_DMA", -ENOSPC },
	{ KU_VFIO_IOMMU_UNMAP_DMA, "UNMAP_DMA", -EBUSY },
	{ 0, "?", -EINVAL }, /* any other */
};

static size_t req_index(unsigned long req)
{
	size_t i;

	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]) - 1; i++)
		if (reqs[i].req == req)
			break;
	return i;
}

int fkv_ioctl(void *data, int fd, unsigned long req, void *arg)
{
	struct fkv *k = data;
	size_t r = req_index(req);
	struct fkv_group *g;
	struct fkv_cont *c;
	int err;

	fkv_reap(k);
	if (fk_inject_hit(&k->inj, reqs[r].name))
		return reqs[r].err;
	err = identify(k, fd, &c, &g);
	if (err)
		return err;
	return c ? container_ioctl(k, c, req, arg) : group_ioctl(k, g, req, arg);
}

/* ---- set up ---- */

static ino_t touch(struct fkv *k, const char *name)
{
	char path[96];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", k->dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	close(fd);
	return st.st_ino;
}

void fkv_init(struct fkv *k)
{
	char name[16];
	int i;

	memset(k, 0, sizeof(*k));
	snprintf(k->dir, sizeof(k->dir), "/tmp/ioasid-fkv.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(k->dir));
	k->cont_ino = touch(k, "vfio");
	for (i = 0; i < FKV_MAX_GROUPS; i++) {
		snprintf(name, sizeof(name), "%d", FKV_FIRST_GROUP + i);
		k->group_ino[i] = touch(k, name);
		k->group[i].fd = k->group[i].dev_fd = k->group[i].cont = -1;
	}
	k->next_token = 1 << 20;
	k->dma_limit = 65535;
}

void fkv_set_dma_limit(struct fkv *k, uint32_t limit, bool tell)
{
	static const char *const dirs[] = { "module", "module/vfio_iommu_type1",
					    "module/vfio_iommu_type1/parameters" };
	char path[256];
	size_t i;
	FILE *f;

	k->dma_limit = limit;
	if (!tell)
		return;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fk_sysfs_root(), dirs[i]);
		mkdir(path, 0755);
	}
	snprintf(path, sizeof(path), "%s/%s/dma_entry_limit", fk_sysfs_root(), dirs[2]);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "%u\n", limit);
	fclose(f);
}

void fkv_fini(struct fkv *k)
{
	fk_rm_tree(k->dir);
}

struct ioasid_ctx *fkv_ctx(struct fkv *k)
{
	struct vfio_test_kernel tk = {
		.ioctl = fkv_ioctl,
		.ioctl_data = k,
		.dev_dir = k->dir,
		.sysfs = fk_sysfs_root(),
	};
	struct ioasid_ctx *ctx = NULL;
	int err = vfio_ctx_open_test(&tk, &ctx);

	ck_assert_msg(err == 0, "vfio_ctx_open_test: %d %s", err, ioasid_last_errmsg());
	ioasid_ctx_set_pinned_limit(ctx, UINT64_MAX);
	return ctx;
}
