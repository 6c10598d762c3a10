/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libioasid: the simulated IOMMU's own controls.
 *
 * A sim context runs one profile: an IOMMU model plus named devices
 * ("sim0", "sim1", ...), a built-in (ioasid_sim_profiles()) or a JSON file
 * (docs/profile-format.md). Devices can be added and removed at run time,
 * as hot-plug would; ioasidctl's `monitor` reports those events on the sim.
 */
#ifndef IOASID_SIM_H
#define IOASID_SIM_H

#include <stdbool.h>
#include <ioasid/ctx.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * ioasid_sim_profiles() - the names of the built-in profiles, NULL-ended.
 */
IOASID_EXPORT const char *const *ioasid_sim_profiles(void);

/**
 * ioasid_sim_profile_name() - the profile a sim context runs.
 * @ctx: a sim context.
 * Return: its name, or NULL when @ctx is not a sim context.
 */
IOASID_EXPORT const char *ioasid_sim_profile_name(struct ioasid_ctx *ctx);

/* A reserved region of a simulated device. */
struct ioasid_sim_resv {
	uint64_t start;
	uint64_t last;  /* inclusive */
	uint32_t type;  /* IOASID_RESV_* of caps.h */
	uint32_t __reserved;
};

/* A device to add at run time; see IOASID_OPTS(). */
struct ioasid_sim_dev_desc {
	size_t sz;
	const char *name;        /* unique in the context */
	const char *bdf;         /* PCI address or NULL */
	uint64_t pgsize_bitmap;  /* never 0 */
	uint32_t pasid_width;    /* 0 = no PASID; at most the IOMMU's */
	uint32_t flags;          /* IOASID_SIM_DEV_PRI, IOASID_SIM_DEV_ATS */
	const struct ioasid_sim_resv *resv;
	uint32_t nr_resv;
	uint32_t __reserved;
};

#define IOASID_SIM_DEV_PRI (1u << 0)
#define IOASID_SIM_DEV_ATS (1u << 1)

/**
 * ioasid_sim_dev_add() - add a device to the running profile.
 * @ctx: a sim context.
 * @desc: the device.
 * Return: 0; -EINVAL a bad field (message names it and its value);
 * -EEXIST the name is taken; -EOPNOTSUPP not a sim context; -E2BIG
 * non-zero unknown tail; -ENOMEM.
 */
IOASID_EXPORT int ioasid_sim_dev_add(struct ioasid_ctx *ctx,
				     const struct ioasid_sim_dev_desc *desc);

/**
 * ioasid_sim_dev_remove() - remove a device (hot unplug).
 * @ctx: a sim context.
 * @name: its name.
 * Return: 0; -ENOENT unknown name; -EBUSY while it is bound.
 */
IOASID_EXPORT int ioasid_sim_dev_remove(struct ioasid_ctx *ctx,
					const char *name);

/* A sim hot-plug event. */
enum ioasid_sim_event {
	IOASID_SIM_DEV_ADDED = 1,
	IOASID_SIM_DEV_REMOVED = 2,
};

/*
 * Called after a device was added or removed, without the context lock
 * held.
 */
typedef void (*ioasid_sim_event_cb)(void *data, struct ioasid_ctx *ctx,
				    enum ioasid_sim_event ev, const char *name);

/**
 * ioasid_sim_set_event_cb() - set (or clear with NULL) the hot-plug callback.
 * @ctx: a sim context.
 * @cb: callback.
 * @data: passed to @cb.
 * Return: 0, or -EOPNOTSUPP when @ctx is not a sim context.
 */
IOASID_EXPORT int ioasid_sim_set_event_cb(struct ioasid_ctx *ctx,
					  ioasid_sim_event_cb cb, void *data);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_SIM_H */
