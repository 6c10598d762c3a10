/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Config space (struct virtio_iommu_config, docs/kernel-uapi.md §3.2) and
 * feature negotiation (§3.1): what the guest is told, and the bypass rule
 * that both decide.
 */
#include <string.h>

#include "private.h"

void vi_config_compute(const struct ioasid_virtio_iommu *v, const struct vi_endpoint *extra,
		       uint64_t *ret_mask, uint64_t *ret_start, uint64_t *ret_end)
{
	uint64_t mask = v->pgsize_limit ? v->pgsize_limit : UINT64_MAX;
	uint64_t start = v->in_start, end = v->in_end;
	uint32_t i;

	for (i = 0; i < v->nr_eps; i++) {
		mask &= v->eps[i].pgsize;
		start = VI_MAX(start, v->eps[i].ap_start);
		end = VI_MIN(end, v->eps[i].ap_last);
	}
	if (extra) {
		mask &= extra->pgsize;
		start = VI_MAX(start, extra->ap_start);
		end = VI_MIN(end, extra->ap_last);
	}
	if (!v->nr_eps && !extra) {
		/* no endpoint yet: the host's page, if the VMM allows it */
		uint64_t hp = v->host_page;

		mask = v->pgsize_limit ? (v->pgsize_limit & hp ? hp : v->pgsize_limit &
								      -v->pgsize_limit) : hp;
	}
	*ret_mask = mask;
	*ret_start = start;
	*ret_end = end;
}

void vi_config_update(struct ioasid_virtio_iommu *v)
{
	vi_config_compute(v, NULL, &v->cfg.page_size_mask, &v->cfg.input_start, &v->cfg.input_end);
}

static void config_image(const struct ioasid_virtio_iommu *v, uint8_t img[IOASID_VIRTIO_IOMMU_CONFIG_SIZE])
{
	memset(img, 0, IOASID_VIRTIO_IOMMU_CONFIG_SIZE);
	vi_put_le64(img + IOASID_VIRTIO_IOMMU_CFG_PAGE_SIZE_MASK, v->cfg.page_size_mask);
	vi_put_le64(img + IOASID_VIRTIO_IOMMU_CFG_INPUT_START, v->cfg.input_start);
	vi_put_le64(img + IOASID_VIRTIO_IOMMU_CFG_INPUT_END, v->cfg.input_end);
	vi_put_le32(img + IOASID_VIRTIO_IOMMU_CFG_DOMAIN_START, v->cfg.domain_start);
	vi_put_le32(img + IOASID_VIRTIO_IOMMU_CFG_DOMAIN_END, v->cfg.domain_end);
	vi_put_le32(img + IOASID_VIRTIO_IOMMU_CFG_PROBE_SIZE, v->cfg.probe_size);
	img[IOASID_VIRTIO_IOMMU_CFG_BYPASS] = v->cfg.bypass;
}

IOASID_EXPORT int ioasid_virtio_iommu_config(struct ioasid_virtio_iommu *v, struct ioasid_virtio_iommu_config *ret_config)
{
	if (!v || !ret_config)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	*ret_config = v->cfg;
	pthread_mutex_unlock(&v->lock);
	return 0;
}

IOASID_EXPORT int ioasid_virtio_iommu_config_read(struct ioasid_virtio_iommu *v, uint32_t offset, void *buf,
					    uint32_t len)
{
	uint8_t img[IOASID_VIRTIO_IOMMU_CONFIG_SIZE];

	if (!v || (!buf && len))
		return -EINVAL;
	if (offset > sizeof(img) || len > sizeof(img) - offset)
		return ioasid_err_outer(v->ctx, -ERANGE,
					"virtio-iommu: config read of %u bytes at %u is beyond its %zu bytes",
					len, offset, sizeof(img));
	pthread_mutex_lock(&v->lock);
	config_image(v, img);
	pthread_mutex_unlock(&v->lock);
	memcpy(buf, img + offset, len);
	return 0;
}

IOASID_EXPORT int ioasid_virtio_iommu_config_write(struct ioasid_virtio_iommu *v, uint32_t offset,
					     const void *buf, uint32_t len)
{
	const uint8_t *b = buf;
	uint8_t val;
	int err = 0;

	if (!v || (!buf && len))
		return -EINVAL;
	if (offset > IOASID_VIRTIO_IOMMU_CONFIG_SIZE || len > IOASID_VIRTIO_IOMMU_CONFIG_SIZE - offset)
		return ioasid_err_outer(v->ctx, -ERANGE,
					"virtio-iommu: config write of %u bytes at %u is beyond its %u bytes",
					len, offset, IOASID_VIRTIO_IOMMU_CONFIG_SIZE);
	if (!len)
		return 0;
	/* bypass and the reserved bytes after it (a wider access); nothing else */
	if (offset != IOASID_VIRTIO_IOMMU_CFG_BYPASS)
		return ioasid_err_outer(v->ctx, -EPERM,
					"virtio-iommu: config byte %u is read-only (only bypass, at %u, is writable)",
					offset, IOASID_VIRTIO_IOMMU_CFG_BYPASS);
	val = b[0];
	pthread_mutex_lock(&v->lock);
	if (!vi_has(v, IOASID_VIRTIO_IOMMU_F_BYPASS_CONFIG)) {
		err = ioasid_err_outer(
			v->ctx, -EPERM,
			"virtio-iommu: bypass is writable only with VIRTIO_IOMMU_F_BYPASS_CONFIG negotiated");
	} else if (val > 1) {
		err = ioasid_err_outer(v->ctx, -EINVAL, "virtio-iommu: bypass %u is not 0 or 1",
				       val);
	} else if (val != v->cfg.bypass) {
		v->cfg.bypass = val;
		err = vi_park_unattached(v);
	}
	pthread_mutex_unlock(&v->lock);
	return err;
}

/* ---- features ---- */

uint64_t vi_offered_features(const struct ioasid_virtio_iommu *v)
{
	uint64_t f = IOASID_VIRTIO_IOMMU_F_INPUT_RANGE | IOASID_VIRTIO_IOMMU_F_DOMAIN_RANGE |
		     IOASID_VIRTIO_IOMMU_F_MAP_UNMAP | IOASID_VIRTIO_IOMMU_F_PROBE;

	if (v->flags & IOASID_VIRTIO_IOMMU_MMIO)
		f |= IOASID_VIRTIO_IOMMU_F_MMIO;
	if (v->bypass_ioas)
		f |= IOASID_VIRTIO_IOMMU_F_BYPASS | IOASID_VIRTIO_IOMMU_F_BYPASS_CONFIG;
	if (v->flags & IOASID_VIRTIO_IOMMU_EXT_PGSIZE_MASK)
		f |= IOASID_VIRTIO_IOMMU_F_PROBE_PGSIZE;
	if (v->flags & IOASID_VIRTIO_IOMMU_EXT_FAULT)
		f |= IOASID_VIRTIO_IOMMU_F_FAULT_EXT;
	return f;
}

bool vi_bypass_active(const struct ioasid_virtio_iommu *v)
{
	if (!v->bypass_ioas)
		return false;
	/* before negotiation, and with BYPASS_CONFIG, the config byte rules */
	if (!v->negotiated || (v->acked & IOASID_VIRTIO_IOMMU_F_BYPASS_CONFIG))
		return v->cfg.bypass;
	return v->acked & IOASID_VIRTIO_IOMMU_F_BYPASS;
}

IOASID_EXPORT uint64_t ioasid_virtio_iommu_device_features(struct ioasid_virtio_iommu *v)
{
	return v ? v->offered : 0;
}

IOASID_EXPORT int ioasid_virtio_iommu_set_driver_features(struct ioasid_virtio_iommu *v, uint64_t features)
{
	uint64_t dev_bits = features & VI_DEVICE_FEATURES_MASK;
	bool before;
	int err = 0;

	if (!v)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	if (dev_bits & ~v->offered) {
		err = ioasid_err_outer(v->ctx, -EINVAL,
				       "virtio-iommu: the driver accepted feature bits 0x%llx the device did not offer (offered 0x%llx)",
				       X(dev_bits & ~v->offered), X(v->offered));
		goto out;
	}
	before = vi_bypass_active(v);
	v->acked = dev_bits;
	v->negotiated = true;
	if (vi_bypass_active(v) != before)
		err = vi_park_unattached(v);
out:
	pthread_mutex_unlock(&v->lock);
	return err;
}
