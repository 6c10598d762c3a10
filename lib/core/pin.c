/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pinned-page accounting (kernel-uapi.md §4.5): the process-wide accounts,
 * the limit, the CAP_IPC_LOCK exemption and the RLIMIT mode. When pages are
 * pinned, and which, is io-pagetable.c's business; pin-check.c tells
 * whether process memory could be pinned at all.
 *
 * The kernel charges pinned pages to the user's locked_vm (RLIMIT mode 0)
 * or to the process's (mode 1), never to a file descriptor: every context
 * of a process draws on the same account, so that together they pin no
 * more than the limit. The library keeps one account per mode for the
 * whole process, shared by all its contexts; what the kernel also counts
 * there (other processes of the user, the process's mlock()ed memory,
 * io_uring) the library cannot see (docs/design.md).
 */
#include <linux/capability.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "private.h"
#include "backend/backend.h"
#include "trace-private.h"

#define X(v) ((unsigned long long)(v))

/* Pages charged, by RLIMIT mode, by every context of the process. */
static _Atomic uint64_t account[2];

uint64_t ioasid_page_size(void)
{
	static uint64_t pgsz;

	if (!pgsz) {
		long v = sysconf(_SC_PAGESIZE);

		pgsz = v > 0 ? (uint64_t)v : 4096;
	}
	return pgsz;
}

/* Does the calling thread hold capability @cap (as capable() asks)? */
static bool has_cap(unsigned int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

bool pin_exempt(struct ioasid_ctx *ctx)
{
	if (!ctx->exempt_enabled)
		return false;
	if (!ctx->exempt_checked) {
		ctx->has_cap_ipc_lock = has_cap(CAP_IPC_LOCK);
		ctx->exempt_checked = true;
	}
	return ctx->has_cap_ipc_lock;
}

/* The limit a charge of this context is held to, in pages. */
static uint64_t limit_pages(struct ioasid_ctx *ctx)
{
	uint64_t bytes = ctx->pinned_limit;

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

static bool over(uint64_t charged, uint64_t pages, uint64_t limit)
{
	return limit != UINT64_MAX && (pages > limit || charged > limit - pages);
}

/*
 * Add @pages to this context's account unless it would pass the limit, as
 * the kernel's incr_user_locked_vm() does: other contexts (other threads)
 * charge the same account concurrently.
 */
static int account_add(struct ioasid_ctx *ctx, uint64_t pages)
{
	_Atomic uint64_t *acct = &account[ctx->rlimit_mode];
	uint64_t cur = atomic_load_explicit(acct, memory_order_relaxed), limit;
	bool fresh = false;

	if (!ctx->rlimit_bytes || ++ctx->rlimit_age >= 1024) {
		refresh_rlimit(ctx);
		fresh = true;
	}
	limit = limit_pages(ctx);
	for (;;) {
		if (over(cur, pages, limit) && !fresh && !ctx->pinned_limit) {
			refresh_rlimit(ctx);
			fresh = true;
			limit = limit_pages(ctx);
		}
		if (over(cur, pages, limit))
			return ioasid_err(ctx, -ENOMEM,
					  "pinning %llu pages exceeds the limit of %llu pages (%s) by %llu: %llu already charged to the %s account of this process (all its contexts)",
					  X(pages), X(limit),
					  ctx->pinned_limit ? "context limit" : "RLIMIT_MEMLOCK",
					  X(cur + pages - limit), X(cur),
					  ctx->rlimit_mode ? "process's" : "user's");
		if (atomic_compare_exchange_weak_explicit(acct, &cur, cur + pages,
							  memory_order_relaxed,
							  memory_order_relaxed))
			return 0;
	}
}

int pin_charge(struct ioasid_ctx *ctx, uint64_t pages, bool charged)
{
	if (charged) {
		int err = account_add(ctx, pages);

		if (err)
			return err;
	}
	ctx->pinned_pages += pages;
	return 0;
}

void pin_uncharge(struct ioasid_ctx *ctx, uint64_t pages, bool charged)
{
	if (charged)
		atomic_fetch_sub_explicit(&account[ctx->rlimit_mode], pages, memory_order_relaxed);
	ctx->pinned_pages -= pages;
}

/* An object the kernel would count in its context (a set is the library's own). */
static uint32_t kernel_objects(struct ioasid_ctx *ctx)
{
	uint32_t pos = 0, sets = 0;

	while (obj_next(ctx, IOASID_OBJ_SET, &pos))
		sets++;
	return ctx->nr_objs - sets;
}

/* IOMMU_OPTION_RLIMIT_MODE's rules (iommufd's ioas.c), in its order. */
int pin_set_rlimit_mode(struct ioasid_ctx *ctx, uint64_t mode)
{
	uint32_t n;
	int err;

	if (!has_cap(CAP_SYS_RESOURCE))
		return ioasid_err(ctx, -EPERM,
				  "changing the RLIMIT mode needs CAP_SYS_RESOURCE, which this thread does not hold");
	n = kernel_objects(ctx);
	if (n)
		return ioasid_err(ctx, -EBUSY,
				  "the RLIMIT mode can change only while the context holds no object; it holds %u",
				  n);
	if (mode > IOASID_RLIMIT_MODE_MM)
		return ioasid_err(ctx, -EINVAL,
				  "RLIMIT mode %llu is neither %d (the user's account) nor %d (the process's)",
				  X(mode), IOASID_RLIMIT_MODE_USER, IOASID_RLIMIT_MODE_MM);
	if (ctx->ops->ctx_option) {
		err = ctx->ops->ctx_option(ctx, IOASID_CTX_OPT_RLIMIT_MODE, true, &mode);
		if (err)
			return err;
	}
	ctx->rlimit_mode = (uint32_t)mode;
	return 0;
}

IOASID_EXPORT int ioasid_ctx_set_pinned_limit(struct ioasid_ctx *ctx,
					      uint64_t bytes)
{
	if (!ctx)
		return -EINVAL;
	ctx_lock(ctx);
	ctx->pinned_limit = bytes;
	TRACE(ctx, trace_pinned_limit(ctx, &bytes, NULL, 0));
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
	TRACE(ctx, trace_pinned_limit(ctx, NULL, &on, 0));
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
	ret_info->exempt = pin_exempt(ctx);
	ret_info->limit_pages = ret_info->exempt ? UINT64_MAX : limit_pages(ctx);
	ret_info->page_size = ioasid_page_size();
	ret_info->rlimit_mode = ctx->rlimit_mode;
	ret_info->account_pages = atomic_load_explicit(&account[ctx->rlimit_mode],
						       memory_order_relaxed);
	ctx_unlock(ctx);
	return 0;
}
