/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pinned-page accounting (kernel-uapi.md §4.5).
 *
 * Pages are charged once per map source against a limit: RLIMIT_MEMLOCK by
 * default, or a per-context override. A process holding CAP_IPC_LOCK is not
 * charged at all, as in the kernel, unless the context switched that
 * exemption off. The kernel charges the user (shared by all of the user's
 * processes); the library can only see its own context, so it charges the
 * context — documented in docs/design.md.
 */
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "private.h"

uint64_t ioasid_page_size(void)
{
	static uint64_t pgsz;

	if (!pgsz) {
		long v = sysconf(_SC_PAGESIZE);

		pgsz = v > 0 ? (uint64_t)v : 4096;
	}
	return pgsz;
}

static bool process_has_cap_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[CAP_IPC_LOCK / 32].effective & (1u << (CAP_IPC_LOCK % 32));
}

static bool exempt(struct ioasid_ctx *ctx)
{
	if (!ctx->exempt_enabled)
		return false;
	if (!ctx->exempt_checked) {
		ctx->has_cap_ipc_lock = process_has_cap_ipc_lock();
		ctx->exempt_checked = true;
	}
	return ctx->has_cap_ipc_lock;
}

uint64_t pin_limit_pages(struct ioasid_ctx *ctx)
{
	uint64_t bytes = ctx->pinned_limit;

	if (exempt(ctx))
		return UINT64_MAX;
	if (!bytes)
		bytes = ctx->rlimit_bytes;
	if (bytes == UINT64_MAX)
		return UINT64_MAX;
	return bytes / ioasid_page_size();
}

/*
 * getrlimit() is a system call, too slow for every map on the hot path, so
 * RLIMIT_MEMLOCK is re-read every 1024 charges and before any refusal: a
 * raised limit is seen at once, a lowered one within 1024 maps.
 */
static void refresh_rlimit(struct ioasid_ctx *ctx)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY)
		ctx->rlimit_bytes = UINT64_MAX;
	else
		ctx->rlimit_bytes = rl.rlim_cur;
	ctx->rlimit_age = 0;
}

static bool over(struct ioasid_ctx *ctx, uint64_t pages, uint64_t limit)
{
	return limit != UINT64_MAX &&
	       (pages > limit || ctx->pinned_pages > limit - pages);
}

int pin_charge(struct ioasid_ctx *ctx, uint64_t pages)
{
	uint64_t limit;

	if (!ctx->rlimit_bytes || ++ctx->rlimit_age >= 1024)
		refresh_rlimit(ctx);
	limit = pin_limit_pages(ctx);
	if (over(ctx, pages, limit) && !ctx->pinned_limit) {
		refresh_rlimit(ctx);
		limit = pin_limit_pages(ctx);
	}
	if (over(ctx, pages, limit))
		return ioasid_err(ctx, -ENOMEM,
				  "pinning %llu pages exceeds the limit of %llu pages (%s) by %llu: %llu already pinned",
				  (unsigned long long)pages, (unsigned long long)limit,
				  ctx->pinned_limit ? "context limit" : "RLIMIT_MEMLOCK",
				  (unsigned long long)(ctx->pinned_pages + pages - limit),
				  (unsigned long long)ctx->pinned_pages);
	ctx->pinned_pages += pages;
	return 0;
}

void pin_uncharge(struct ioasid_ctx *ctx, uint64_t pages)
{
	ctx->pinned_pages -= pages;
}

IOASID_EXPORT int ioasid_ctx_set_pinned_limit(struct ioasid_ctx *ctx,
					      uint64_t bytes)
{
	if (!ctx)
		return -EINVAL;
	ctx_lock(ctx);
	ctx->pinned_limit = bytes;
	ctx_unlock(ctx);
	return 0;
}

IOASID_EXPORT int ioasid_ctx_set_cap_ipc_lock_exempt(struct ioasid_ctx *ctx,
						     bool on)
{
	if (!ctx)
		return -EINVAL;
	ctx_lock(ctx);
	ctx->exempt_enabled = on;
	ctx_unlock(ctx);
	return 0;
}

IOASID_EXPORT int ioasid_ctx_pinned(struct ioasid_ctx *ctx,
				    struct ioasid_pinned_info *ret_info)
{
	if (!ctx || !ret_info)
		return -EINVAL;
	ctx_lock(ctx);
	refresh_rlimit(ctx);
	ret_info->pinned_pages = ctx->pinned_pages;
	ret_info->limit_pages = pin_limit_pages(ctx);
	ret_info->page_size = ioasid_page_size();
	ret_info->exempt = exempt(ctx);
	ret_info->__reserved = 0;
	ctx_unlock(ctx);
	return 0;
}
