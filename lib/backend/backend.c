/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The backend table: the only global state of the library.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "backend.h"
#include "linux/linux.h"

static const struct ioasid_backend_ops *const backends[] = {
	&ioasid_sim_backend,
	&ioasid_iommufd_backend,
	&ioasid_vfio_backend,
};

const struct ioasid_backend_ops *backend_find(enum ioasid_backend_kind kind)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(backends); i++)
		if (backends[i]->kind == kind)
			return backends[i];
	return NULL;
}

const struct ioasid_backend_ops *backend_by_name(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(backends); i++)
		if (strlen(backends[i]->name) == len &&
		    !memcmp(backends[i]->name, name, len))
			return backends[i];
	return NULL;
}

/* ---- "auto" ---- */

/* Every misc device (iommufd's and VFIO's included) has this major. */
#define MISC_MAJOR 10

/*
 * The host's check: the misc major, then sysfs's name for the minor (both
 * iommufd's and VFIO's container node take a minor at load time).
 */
static bool host_is_misc(dev_t rdev, const char *name, char *what, size_t whatlen)
{
	if (major(rdev) != MISC_MAJOR) {
		snprintf(what, whatlen, "char %u:%u, not a misc device", major(rdev), minor(rdev));
		return false;
	}
	return ku_is_misc_dev(rdev, name, what, whatlen);
}

const struct backend_auto_env backend_auto_host = {
	.iommu = "/dev/iommu",
	.vfio = "/dev/vfio/vfio",
	.vfio_devices = "/dev/vfio/devices",
	.is_misc = host_is_misc,
};

/*
 * Is @path the misc device @name, and does it open read-write? A regular
 * file, another char device (a container runtime's bind mount of
 * /dev/null) or a node we may not open is not usable; @why says which.
 */
static bool node_is(const struct backend_auto_env *env, const char *path, const char *name,
		    char *why, size_t whylen)
{
	char what[160];
	struct stat st;
	int fd;

	if (stat(path, &st)) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return false;
	}
	if (!S_ISCHR(st.st_mode)) {
		snprintf(why, whylen, "%s is not a character device", path);
		return false;
	}
	if (!env->is_misc(st.st_rdev, name, what, sizeof(what))) {
		snprintf(why, whylen, "%s is %s, not the misc device '%s'", path, what, name);
		return false;
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

const struct ioasid_backend_ops *backend_pick_auto(const struct backend_auto_env *env, char *reason,
						   size_t len)
{
	char why1[256] = "", why2[256] = "";
	struct stat st;

	if (node_is(env, env->iommu, "iommu", why1, sizeof(why1))) {
		if (!stat(env->vfio_devices, &st) && S_ISDIR(st.st_mode)) {
			snprintf(reason, len, "auto: %s and %s are usable", env->iommu,
				 env->vfio_devices);
			return &ioasid_iommufd_backend;
		}
		snprintf(why1, sizeof(why1), "%s opens but %s is missing", env->iommu,
			 env->vfio_devices);
	}
	if (node_is(env, env->vfio, "vfio", why2, sizeof(why2))) {
		snprintf(reason, len, "auto: iommufd unusable (%s); %s is usable", why1, env->vfio);
		return &ioasid_vfio_backend;
	}
	snprintf(reason, len, "auto: iommufd unusable (%s); vfio unusable (%s)", why1, why2);
	return NULL;
}

int backend_not_built(struct ioasid_ctx *ctx, const char *name, const char *what)
{
	return ioasid_err(ctx, -EOPNOTSUPP,
			  "the %s backend%s%s is not implemented in libioasid %s yet; use --backend sim",
			  name, what ? " " : "", what ? what : "", PACKAGE_VERSION);
}

/* ---- kernel handles behind a context's objects ---- */

IOASID_EXPORT int ioasid_ctx_fd(struct ioasid_ctx *ctx, int *ret_fd)
{
	int err;

	if (!ctx || !ret_fd)
		return ioasid_err(ctx, -EINVAL, "ioasid_ctx_fd: NULL argument");
	ctx_lock(ctx);
	if (!ctx->ops->ctx_fd)
		err = ioasid_err(ctx, -EOPNOTSUPP, "the %s backend has no kernel fd",
				 ctx->ops->name);
	else
		err = ctx->ops->ctx_fd(ctx, ret_fd);
	ctx_unlock(ctx);
	return err;
}

IOASID_EXPORT int ioasid_obj_kernel_id(struct ioasid_ctx *ctx, uint32_t id,
				       uint32_t *ret_kernel_id)
{
	struct ioasid_obj *obj;
	int err;

	if (!ctx || !ret_kernel_id)
		return ioasid_err(ctx, -EINVAL, "ioasid_obj_kernel_id: NULL argument");
	obj = ctx_lock_lookup(ctx, id, IOASID_OBJ_NONE, &err);
	if (!obj)
		return err;
	if (!ctx->ops->obj_kernel_id)
		err = ioasid_err(ctx, -EOPNOTSUPP, "the %s backend has no kernel objects (%s %u)",
				 ctx->ops->name, obj_kind_name(obj->kind), id);
	else
		err = ctx->ops->obj_kernel_id(ctx, obj, ret_kernel_id);
	ctx_unlock(ctx);
	return err;
}
