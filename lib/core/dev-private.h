/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef IOASID_DEV_PRIVATE_H
#define IOASID_DEV_PRIVATE_H

#include "private.h"
#include "ioas-private.h"

/* What the backend found out about a device when it was bound. */
struct dev_props {
	uint64_t pgsize_bitmap;
	uint64_t aperture_start;
	uint64_t aperture_last;
	uint32_t pasid_width; /* 0 = no PASID */
	/*
	 * The IOMMU makes domains that may take PASIDs (IOMMU_HWPT_ALLOC_PASID
	 * accepted). Not the same as pasid_width: Linux's Intel and SMMUv3
	 * drivers accept the flag for any device, AMD only with v2 tables.
	 */
	bool pasid_hwpt;
	bool pri;
	bool ats;
	bool nesting;         /* the IOMMU can nest */
	bool dirty_tracking;  /* the IOMMU tracks dirty pages */
	uint32_t vendor_s1;   /* enum ioasid_hwpt_type of its stage-1 format, 0 = none */
	uint32_t fl_levels;   /* bit n: n-level stage-1 tables */
	struct ioas_resv *resv; /* reserved regions (kind/owner unused) */
	uint32_t nr_resv;
	char pci_addr[16]; /* "dddd:bb:dd.f", "" when the device is not PCI */
};

/* One (device, PASID) attachment. Allocated alone: its address is the
 * owner token of the domain constraints it put on the IOAS. */
struct dev_attach {
	uint32_t pasid; /* IOASID_PASID_NONE for the RID */
	uint32_t pt;    /* IOAS or HWPT id, as the caller named it */
	uint32_t set;   /* acting set, 0 = none */
	struct ioasid_hwpt *hwpt; /* the domain in use (automatic for an IOAS) */
};

struct ioasid_dev {
	struct ioasid_obj obj;
	char name[64];
	struct dev_props props;
	void *caps;      /* capability chain built at bind */
	size_t caps_len;
	struct dev_attach **att;
	uint32_t nr_att, cap_att;
	void *be;        /* backend state */
	/* while dev_bind / dev_bind_fd run: the VF token to bind with, or NULL */
	const uint8_t *bind_token;
	uint64_t *dmabufs; /* inodes of the dma-bufs of its BARs (ioasid_dev_bar_dmabuf()) */
	uint32_t nr_dmabufs, cap_dmabufs;
};

/* @dev is unbound: its BARs' dma-bufs are revoked (dmabuf.c). */
void dmabuf_exporter_gone(struct ioasid_ctx *ctx, struct ioasid_dev *dev);

/* Detach everything (context close). */
void dev_detach_all(struct ioasid_ctx *ctx);

extern const struct ioasid_obj_ops ioasid_dev_obj_ops;

#endif
