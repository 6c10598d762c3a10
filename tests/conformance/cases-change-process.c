// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * FIXTURE(change_process): IOMMU_IOAS_CHANGE_PROCESS through
 * ioasid_ctx_change_process() (kernel-uapi.md §1.9, docs/live-update.md),
 * in the three accounting variants. The kernel case drops CAP_IPC_LOCK so
 * that the pins are charged; the library's switch for that is
 * ioasid_ctx_set_cap_ipc_lock_exempt(). Where the pins are real (iommufd)
 * the child checks that they moved from the parent's VmPin (and VmLck in
 * the process mode) to its own, as the kernel case does.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cases.h"

/* "VmPin" or "VmLck" of process @pid, in kB; -1 when unreadable. */
static long status_kb(pid_t pid, const char *field)
{
	char path[64], line[128];
	long kb = -1;
	size_t n = strlen(field);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':')
			kb = strtol(line + n + 1, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

/*
 * The kernel's case drops CAP_IPC_LOCK from the effective set: pins made
 * by a holder are never charged (kernel-uapi.md §4.5), so they would have
 * nothing to move. Raised again after the case (it stays permitted).
 */
static bool ipc_lock_effective(bool on)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	bool was;

	if (syscall(SYS_capget, &hdr, d))
		return false;
	was = d[CAP_IPC_LOCK / 32].effective & (1u << (CAP_IPC_LOCK % 32));
	if (on)
		d[CAP_IPC_LOCK / 32].effective |= 1u << (CAP_IPC_LOCK % 32);
	else
		d[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	(void)syscall(SYS_capset, &hdr, d);
	return was;
}

static bool may_set_rlimit_mode(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	return !syscall(SYS_capget, &hdr, d) &&
	       (d[CAP_SYS_RESOURCE / 32].effective & (1u << (CAP_SYS_RESOURCE % 32)));
}

/*
 * The child: the pins are the parent's (real ones on iommufd), the
 * change-process succeeds, then they are the child's. Exit status: 0, or
 * the number of the check that failed.
 */
static int child_takes_over(struct cf_t *t, pid_t parent, bool mm, bool real)
{
	long nlock = (long)(cf_page / 1024);

	if (real && status_kb(parent, "VmPin") != nlock)
		return 1;
	if (real && mm && status_kb(parent, "VmLck") != nlock)
		return 2;
	if (real && (status_kb(getpid(), "VmPin") != 0 || status_kb(getpid(), "VmLck") != 0))
		return 3;
	if (ioasid_ctx_change_process(t->ctx))
		return 4;
	if (real && (status_kb(parent, "VmPin") != 0 || status_kb(parent, "VmLck") != 0))
		return 5;
	if (real && status_kb(getpid(), "VmPin") != nlock)
		return 6;
	if (real && mm && status_kb(getpid(), "VmLck") != nlock)
		return 7;
	return 0;
}

static void change_process_basic(struct cf_t *t);

void c_change_process_basic(struct cf_t *t)
{
	bool had = ipc_lock_effective(false);

	change_process_basic(t);
	if (had)
		ipc_lock_effective(true);
}

static void change_process_basic(struct cf_t *t)
{
	const struct change_process_variant *v = t->c->arg;
	struct ioasid_map_file_opts o = { .sz = sizeof(o) };
	uint8_t *buffer = cf_mem(t, cf_page, cf_page);
	bool real = ioasid_ctx_backend(t->ctx) != IOASID_BACKEND_SIM;
	uint64_t iova = 0;
	uint32_t ioas;
	pid_t parent = getpid(), child;
	int mfd, status = -1, p[2] = { -1, -1 };
	char result = -1;

	CF_OK(t, ioasid_ctx_set_cap_ipc_lock_exempt(t->ctx, false));
	if (v->accounting != CP_ACCOUNT_NONE) {
		if (!may_set_rlimit_mode()) {
			/* the kernel's case needs root for this */
			CF_RET(t, ioasid_ctx_set_option(t->ctx, IOASID_CTX_OPT_RLIMIT_MODE, 1),
			       -EPERM);
			return;
		}
		CF_OK(t, ioasid_ctx_set_option(t->ctx, IOASID_CTX_OPT_RLIMIT_MODE,
					       v->accounting == CP_ACCOUNT_MM));
	}
	CF_OK(t, ioasid_ioas_alloc(t->ctx, &ioas));
	CF_OK(t, ioasid_dev_attach(t->ctx, cf_dev(t, CF_DEV), IOASID_PASID_NONE, ioas, NULL));

	/* process memory cannot move */
	CF_OK(t, ioasid_ioas_map(t->ctx, ioas, buffer, cf_page, IOASID_MAP_READ | IOASID_MAP_WRITE,
				 &iova));
	CF_RET(t, ioasid_ctx_change_process(t->ctx), -EINVAL);
	CF_OK(t, ioasid_ioas_unmap(t->ctx, ioas, iova, cf_page, NULL));

	/* a file map moves: in this process (nothing to do), then in a child */
	mfd = memfd_create("change-process", MFD_CLOEXEC);
	CF_TRUE(t, mfd >= 0 && !ftruncate(mfd, (off_t)cf_page), "a memfd of one page");
	o.fd = mfd;
	o.length = cf_page;
	o.flags = IOASID_MAP_READ | IOASID_MAP_WRITE;
	CF_OK(t, ioasid_ioas_map_file(t->ctx, ioas, &o, &iova));
	close(mfd);
	CF_OK(t, ioasid_ctx_change_process(t->ctx));
	fflush(NULL);
	CF_TRUE(t, !pipe(p), "a pipe");
	child = fork();
	if (!child) {
		/*
		 * The child reports through the pipe. On the sim its copy of
		 * the context is its own, closed so that memcheck finds no
		 * leak; on iommufd the objects are the kernel's, shared with
		 * the parent: closing would destroy them.
		 */
		result = (char)child_takes_over(t, parent, v->accounting == CP_ACCOUNT_MM, real);
		if (write(p[1], &result, 1) != 1)
			result = 99;
		if (!real)
			ioasid_ctx_close(t->ctx);
		_exit(0);
	}
	close(p[1]);
	CF_TRUE(t, child > 0 && read(p[0], &result, 1) == 1 && waitpid(child, &status, 0) == child,
		"a child process");
	close(p[0]);
	CF_TRUE(t, result == 0, "the child took the pins over (failed check %d)", result);
}
