/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A stateful fake of legacy VFIO type-1 (kernel-uapi.md §2.4) for the vfio
 * backend: containers with their type-1 IOMMU and DMA mappings, groups and
 * the containers they are in, device fds. The library opens the nodes
 * itself (a container at DIR/vfio, group N at DIR/N, both regular files
 * here) and closes fds without telling anyone, so the fake knows each open
 * file description by a token it writes into the file offset the first
 * time it sees the fd, and notices a close when the offset no longer reads
 * back (fk_vfio_reap(), run on every ioctl and before every comparison).
 */
#ifndef IOASID_FAKE_KERNEL_FK_VFIO_H
#define IOASID_FAKE_KERNEL_FK_VFIO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <ioasid/ioasid.h>

#include "fk.h"

#define FKV_MAX_CONT 8
#define FKV_MAX_GROUPS 3 /* groups 5, 6, 7: devices 0000:00:01.0 .. 03.0 */
#define FKV_MAX_MAPS 32
#define FKV_FIRST_GROUP 5

struct fkv_map {
	uint64_t iova, size;
};

struct fkv_cont {
	bool used;
	int fd; /* -1 once closed */
	off_t token;
	bool iommu;      /* VFIO_SET_IOMMU done */
	uint32_t limit;  /* its budget of mappings: dma_entry_limit when it was set */
	uint32_t groups; /* groups in it */
	struct fkv_map maps[FKV_MAX_MAPS];
	uint32_t nr_maps;
};

struct fkv_group {
	int fd; /* -1 while not open */
	off_t token;
	int cont;   /* index of its container, -1 none */
	int dev_fd; /* the open device fd, -1 none */
	off_t dev_token;
};

struct fkv {
	char dir[64]; /* the stand-in for /dev/vfio */
	struct fkv_cont cont[FKV_MAX_CONT];
	struct fkv_group group[FKV_MAX_GROUPS];
	ino_t cont_ino, group_ino[FKV_MAX_GROUPS];
	off_t next_token;
	uint32_t dma_limit; /* the module's dma_entry_limit, read by each VFIO_SET_IOMMU */
	struct fk_inject inj;
};

/* Make the node directory; fk_sysfs() must have made the sysfs tree. */
void fkv_init(struct fkv *k);
void fkv_fini(struct fkv *k);
/*
 * Set the module's dma_entry_limit (the type-1 IOMMUs set from now on
 * take at most @limit mappings); @tell: also in the sysfs tree (fk_sysfs())
 * where the library reads it, else the library does not see the change.
 */
void fkv_set_dma_limit(struct fkv *k, uint32_t limit, bool tell);
/* A vfio context whose kernel is @k. */
struct ioasid_ctx *fkv_ctx(struct fkv *k);
int fkv_ioctl(void *data, int fd, unsigned long req, void *arg);
/* Notice the descriptions the library closed; and, also, those it opened. */
void fkv_reap(struct fkv *k);
void fkv_discover(struct fkv *k);

/* State lines, as fk_state_*() (fk-state.c):
 *   container C [iommu]          a container (C: its fd, the library's kernel id)
 *   container C map 0xIOVA+0xLEN a DMA mapping
 *   group G open                 an open group
 *   group G container C          the container it is in
 *   group G device               its device fd is open
 */
char *fkv_state_kernel(struct fkv *k);
char *fkv_state_library(struct ioasid_ctx *ctx);

#endif
