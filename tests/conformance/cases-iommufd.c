// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * FIXTURE(iommufd): a bare /dev/iommu. The parts about the ioctl ABI itself
 * (a NULL argument, an unknown request, each command's size word) have no
 * counterpart in a C API; what they mean for a caller does.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cases.h"

/* Opening and closing a context; the harness does both. */
void c_simple_close(struct cf_t *t)
{
	CF_TRUE(t, t->ctx, "a context");
}

/* An object id that does not exist is ENOENT (id 0 never exists). */
void c_cmd_fail(struct cf_t *t)
{
	CF_RET(t, ioasid_obj_destroy(t->ctx, 0), -ENOENT);
}

/*
 * A caller built against a newer header: a longer struct with a zero tail
 * is read as the known part (the call then fails for its own reason,
 * ENOENT here), a non-zero tail is E2BIG. The library's option structs
 * follow the kernel's size rule (include/ioasid/common.h); the kernel's
 * fourth check, a size below the command's minimum, has no counterpart:
 * the library takes any older, shorter struct.
 */
void c_cmd_ex_fail(struct cf_t *t)
{
	struct {
		struct ioasid_hwpt_opts o;
		uint64_t future;
	} big;
	uint32_t h = 0;

	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	CF_RET(t, ioasid_hwpt_alloc(t->ctx, 0, 0, &big.o, &h), -ENOENT);
	big.future = 1;
	CF_RET(t, ioasid_hwpt_alloc(t->ctx, 0, 0, &big.o, &h), -E2BIG);
	big.o.sz = sizeof(big.o);
	CF_RET(t, ioasid_hwpt_alloc(t->ctx, 0, 0, &big.o, &h), -ENOENT);
}

/* Does this thread hold CAP_SYS_RESOURCE (what the kernel's capable() asks)? */
static bool has_cap_sys_resource(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	return !syscall(SYS_capget, &hdr, d) &&
	       (d[CAP_SYS_RESOURCE / 32].effective & (1u << (CAP_SYS_RESOURCE % 32)));
}

/*
 * RLIMIT_MODE on a fresh context: 0, settable to 1 and back, EINVAL for 2.
 * The kernel's case runs as root; without CAP_SYS_RESOURCE (a container)
 * every set is the kernel's EPERM, whatever the value.
 */
void c_global_options_rlimit_mode(struct cf_t *t)
{
	uint64_t v = 1;

	CF_RET(t, ioasid_ctx_get_option(t->ctx, IOASID_CTX_OPT_RLIMIT_MODE, &v), 0);
	CF_TRUE(t, v == 0, "a new context is in RLIMIT mode 0");
	if (!has_cap_sys_resource()) {
		CF_RET(t, ioasid_ctx_set_option(t->ctx, IOASID_CTX_OPT_RLIMIT_MODE, 1), -EPERM);
		CF_RET(t, ioasid_ctx_set_option(t->ctx, IOASID_CTX_OPT_RLIMIT_MODE, 2), -EPERM);
		return;
	}
	CF_RET(t, ioasid_ctx_set_option(t->ctx, IOASID_CTX_OPT_RLIMIT_MODE, 1), 0);
	CF_RET(t, ioasid_ctx_set_option(t->ctx, IOASID_CTX_OPT_RLIMIT_MODE, 2), -EINVAL);
	CF_RET(t, ioasid_ctx_get_option(t->ctx, IOASID_CTX_OPT_RLIMIT_MODE, &v), 0);
	CF_TRUE(t, v == 1, "RLIMIT mode 1 after setting it");
	CF_RET(t, ioasid_ctx_set_option(t->ctx, IOASID_CTX_OPT_RLIMIT_MODE, 0), 0);
}

/* HUGE_PAGES names an IOAS: object 0 is ENOENT, to read and to set. */
void c_global_options_huge_pages(struct cf_t *t)
{
	uint64_t v = 0;

	CF_RET(t, ioasid_ioas_get_option(t->ctx, 0, IOASID_IOAS_OPT_HUGE_PAGES, &v), -ENOENT);
	CF_RET(t, ioasid_ioas_set_option(t->ctx, 0, IOASID_IOAS_OPT_HUGE_PAGES, 0), -ENOENT);
}
