/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live update on the real kernel (issue 12, docs/live-update.md), with
 * QEMU's edu device doing DMA before, during and after the hand-over.
 *
 * The old process: the library's refusals of process memory
 * (change-process, save) repeated as the raw IOMMU_IOAS_CHANGE_PROCESS
 * with the same errno, and the kernel's EOPNOTSUPP for a non-zero
 * reserved field; then guest memory is a memfd mapped by file into an
 * IOAS that edu is attached to, a DMA round trip lands, a change-process
 * from the owner succeeds with nothing to move, a last DMA is started
 * (edu completes it on a 100 ms timer: while the process execs), the
 * state is saved and the program execs itself.
 *
 * The successor ("--successor ..."): a restore with a wrong kernel IOAS id
 * is refused (-ENOENT) without touching anything; the real restore gives
 * the same ids and kernel ids; VmPin is 0 before the change-process and
 * the guest memory's size after it; the DMA started before the exec
 * landed; a new DMA round trip lands.
 */
#define VT_WITH_EDU
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/syscall.h>

#include "vmtest.h"
#include "linux/uapi.h"

#define GUEST_SIZE (64u * 1024)
#define GUEST_IOVA 0x100000ull
#define XFER 256u
#define F IOASID_MAP_FIXED_IOVA
#define RW (IOASID_MAP_READ | IOASID_MAP_WRITE)

static uint64_t pg;

/* The VmPin line of /proc/self/status, in kB; -1 when missing. */
static long vm_pinned_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/*
 * Pins made while holding CAP_IPC_LOCK are never charged, so they would
 * have no charge to move (kernel-uapi.md §4.5): drop it from the effective
 * set first, as the kernel's change_process selftest does.
 */
static void drop_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (!syscall(SYS_capget, &hdr, d)) {
		d[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
		(void)syscall(SYS_capset, &hdr, d);
	}
}

static int raw_change_process(int ifd, uint32_t reserved)
{
	struct ku_iommu_ioas_change_process c = { .size = sizeof(c), .__reserved = reserved };

	return ioctl(ifd, KU_IOMMU_IOAS_CHANGE_PROCESS, &c) ? -errno : 0;
}

/* Process memory cannot move: the library and the kernel both say EINVAL. */
static void anon_refused(struct ioasid_ctx *ctx, int ifd, uint32_t ioas)
{
	uint8_t *buf = vt_mem(pg);
	uint64_t iova = 0x800000;
	int fd = memfd_create("state", MFD_CLOEXEC), lib, raw;

	VT_OK(ctx, ioasid_ioas_map(ctx, ioas, buf, pg, F | RW, &iova));
	lib = ioasid_ctx_change_process(ctx);
	raw = raw_change_process(ifd, 0);
	VT_TRUE(lib == -EINVAL && raw == -EINVAL,
		"change-process with process memory mapped: library %s, kernel %s (%s)",
		ioasid_strerrno(lib), ioasid_strerrno(raw), ioasid_ctx_errmsg(ctx));
	VT_RET(ctx, ioasid_ctx_save_state(ctx, fd), -EINVAL);
	VT_OK(ctx, ioasid_ioas_unmap(ctx, ioas, iova, pg, NULL));
	VT_TRUE(raw_change_process(ifd, 1) == -EOPNOTSUPP,
		"the kernel: a non-zero reserved field is EOPNOTSUPP");
	close(fd);
	munmap(buf, pg);
}

static int dma_round_trip(struct edu *e, uint8_t *mem, uint64_t dst_page, uint8_t seed)
{
	uint32_t i;
	int r;

	for (i = 0; i < XFER; i++)
		mem[i] = (uint8_t)(i * 7 + seed);
	memset(mem + dst_page * pg, 0, XFER);
	r = edu_dma(e, GUEST_IOVA, EDU_BUF, XFER, 0);
	r = r ? r : edu_dma(e, EDU_BUF, GUEST_IOVA + dst_page * pg, XFER, 1);
	return r ? r : memcmp(mem, mem + dst_page * pg, XFER) ? -EIO : 0;
}

static int old_process(const char *self, const char *cdev)
{
	struct ioasid_map_file_opts mo = IOASID_OPTS_INIT(ioasid_map_file_opts);
	struct ioasid_ctx *ctx = NULL;
	uint32_t ioas, dev, kioas = 0;
	uint64_t iova = GUEST_IOVA;
	char args[4][24];
	uint8_t *mem;
	struct edu e;
	int mfd, sfd, ifd = -1, dfd = -1;

	drop_ipc_lock();
	if (!VT_TRUE(!ioasid_ctx_open("iommufd", NULL, &ctx), "open iommufd: %s",
		     ioasid_last_errmsg()))
		return vt_done("liveupdate");
	VT_OK(ctx, ioasid_ctx_fd(ctx, &ifd));
	VT_OK(ctx, ioasid_ioas_alloc(ctx, &ioas));
	anon_refused(ctx, ifd, ioas);
	mfd = memfd_create("guest-ram", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, GUEST_SIZE))
		return vt_done("liveupdate");
	mem = mmap(NULL, GUEST_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	VT_OK(ctx, ioasid_dev_bind(ctx, cdev, &dev));
	VT_OK(ctx, ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, ioas, NULL));
	mo.fd = mfd;
	mo.length = GUEST_SIZE;
	mo.flags = F | RW;
	if (!VT_OK(ctx, ioasid_ioas_map_file(ctx, ioas, &mo, &iova)))
		return vt_done("liveupdate");
	VT_OK(ctx, ioasid_dev_fd(ctx, dev, &dfd));
	if (!VT_TRUE(!edu_open(&e, dfd), "edu answers through the library's device fd"))
		return vt_done("liveupdate");
	VT_TRUE(!dma_round_trip(&e, mem, 1, 3), "before: DMA RAM -> edu -> RAM through the memfd");
	VT_OK(ctx, ioasid_ctx_change_process(ctx));
	VT_TRUE(vm_pinned_kb() == GUEST_SIZE / 1024, "before: VmPin %ld kB (the memfd's pages)",
		vm_pinned_kb());
	VT_OK(ctx, ioasid_obj_kernel_id(ctx, ioas, &kioas));
	/* during: edu writes its buffer (the pattern above) to page 2 while we exec */
	memset(mem + 2 * pg, 0, XFER);
	VT_TRUE(!edu_w64(&e, 0x80, EDU_BUF) && !edu_w64(&e, 0x88, GUEST_IOVA + 2 * pg) &&
			!edu_w64(&e, 0x90, XFER) && !edu_w64(&e, 0x98, 1 | 2),
		"during: a DMA started before the exec");
	sfd = memfd_create("ioasid-state", 0);
	VT_OK(ctx, ioasid_ctx_save_state(ctx, sfd));
	snprintf(args[0], sizeof(args[0]), "%d", sfd);
	snprintf(args[1], sizeof(args[1]), "%u", ioas);
	snprintf(args[2], sizeof(args[2]), "%u", dev);
	snprintf(args[3], sizeof(args[3]), "%u", kioas);
	printf("# old process: %d checks, %d failed; exec\n", vt_n, vt_failed);
	fflush(stdout);
	if (vt_failed)
		return vt_done("liveupdate");
	execl("/proc/self/exe", self, "--successor", args[0], args[1], args[2], args[3],
	      (char *)NULL);
	VT_TRUE(0, "exec: %s", strerror(errno));
	return vt_done("liveupdate");
}

/* The state with the IOAS's kernel id replaced by one the kernel does not have. */
static int wrong_kernel_id_refused(int sfd, uint32_t kioas)
{
	char *doc = calloc(1, 1 << 16), *p, key[32];
	struct ioasid_ctx *ctx = (void *)1;
	ssize_t n = pread(sfd, doc, (1 << 16) - 1, 0);
	int fd = memfd_create("bad-state", MFD_CLOEXEC), r;

	snprintf(key, sizeof(key), "\"kernel_id\": %u", kioas);
	p = n > 0 ? strstr(doc, key) : NULL;
	if (!p) {
		free(doc);
		return -EINVAL;
	}
	memcpy(p + strlen("\"kernel_id\": "), "9", 1); /* a digit more or another: no such IOAS */
	if (write(fd, doc, (size_t)n) != n || lseek(fd, 0, SEEK_SET))
		r = -EIO;
	else
		r = ioasid_ctx_restore_state(fd, NULL, &ctx);
	printf("#   wrong kernel id: %s\n", ioasid_last_errmsg());
	close(fd);
	free(doc);
	return ctx ? -EEXIST : r;
}

/*
 * The state with @from replaced by @to: the kernel's IOAS then maps other
 * than the state says, which the restore must see (IOMMU_IOAS_COPY
 * probes) and refuse with EINVAL, its message containing @msg.
 */
static void edited_state_refused(int sfd, const char *from, const char *to, const char *msg)
{
	char *doc = calloc(1, 1 << 16), *out = calloc(1, (1 << 16) + 64), *p;
	struct ioasid_ctx *ctx = (void *)1;
	ssize_t n = pread(sfd, doc, (1 << 16) - 1, 0);
	int fd = memfd_create("bad-state", MFD_CLOEXEC), r = -EIO;
	size_t len;

	p = n > 0 ? strstr(doc, from) : NULL;
	if (p) {
		len = (size_t)(p - doc);
		memcpy(out, doc, len);
		len += (size_t)snprintf(out + len, 64, "%s", to);
		strcpy(out + len, p + strlen(from));
		if (write(fd, out, strlen(out)) == (ssize_t)strlen(out) && !lseek(fd, 0, SEEK_SET))
			r = ioasid_ctx_restore_state(fd, NULL, &ctx);
	}
	VT_TRUE(p && r == -EINVAL && !ctx && strstr(ioasid_last_errmsg(), msg),
		"a state with %s for %s: %s (%s)", to, from, ioasid_strerrno(r),
		ioasid_last_errmsg());
	close(fd);
	free(doc);
	free(out);
}

static int successor(int sfd, uint32_t ioas, uint32_t dev, uint32_t kioas)
{
	struct ioasid_map_backing b;
	struct ioasid_ctx *ctx = NULL;
	uint32_t kid = 0;
	uint8_t *mem = MAP_FAILED;
	struct edu e;
	uint64_t st = 1;
	long before;
	int dfd = -1, i, r;

	r = wrong_kernel_id_refused(sfd, kioas);
	VT_TRUE(r == -ENOENT, "a state naming a kernel IOAS that does not exist: %s",
		ioasid_strerrno(r));
	edited_state_refused(sfd, "\"iova\": \"0x100000\"", "\"iova\": \"0x900000\"",
			     "does not map all of areas[0] [0x900000, 0x90ffff]");
	edited_state_refused(sfd, "\"length\": \"0x10000\"", "\"length\": \"0x8000\"",
			     "maps 0x108000, the page after areas[0] [0x100000, 0x107fff]");
	if (lseek(sfd, 0, SEEK_SET))
		return vt_done("liveupdate");
	if (!VT_TRUE(!ioasid_ctx_restore_state(sfd, NULL, &ctx), "restore: %s",
		     ioasid_last_errmsg()))
		return vt_done("liveupdate");
	VT_OK(ctx, ioasid_obj_kernel_id(ctx, ioas, &kid));
	VT_TRUE(kid == kioas, "IOAS %u is kernel IOAS %u again (%u)", ioas, kioas, kid);
	before = vm_pinned_kb();
	VT_OK(ctx, ioasid_ctx_change_process(ctx));
	VT_TRUE(before == 0 && vm_pinned_kb() == GUEST_SIZE / 1024,
		"the pins moved: VmPin %ld kB before change-process, %ld kB after", before,
		vm_pinned_kb());
	if (VT_OK(ctx, ioasid_ioas_backing(ctx, ioas, GUEST_IOVA, &b)))
		mem = mmap(NULL, GUEST_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, b.fd,
			   (off_t)b.offset);
	VT_OK(ctx, ioasid_dev_fd(ctx, dev, &dfd));
	if (!VT_TRUE(mem != MAP_FAILED && !edu_open(&e, dfd), "guest memory and edu again"))
		return vt_done("liveupdate");
	for (i = 0; i < 1000 && (st & 1); i++) {
		if (edu_r64(&e, 0x98, &st))
			break;
		usleep(5000);
	}
	VT_TRUE(!(st & 1) && !memcmp(mem, mem + 2 * pg, XFER),
		"during: the DMA started before the exec landed in guest memory");
	VT_TRUE(!dma_round_trip(&e, mem, 3, 11), "after: DMA RAM -> edu -> RAM through the memfd");
	munmap(mem, GUEST_SIZE);
	ioasid_ctx_close(ctx);
	return vt_done("liveupdate");
}

int main(int argc, char **argv)
{
	const char *cdev = getenv("VMTEST_VFIO_CDEV");

	pg = (uint64_t)sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 6 && !strcmp(argv[1], "--successor")) {
		vt_n = 100; /* the old process's checks came first */
		return successor(atoi(argv[2]), (uint32_t)atoi(argv[3]), (uint32_t)atoi(argv[4]),
				 (uint32_t)atoi(argv[5]));
	}
	if (!cdev) {
		vt_skip("no edu device (VMTEST_VFIO_CDEV)");
		return vt_done("liveupdate");
	}
	return old_process(argv[0], cdev);
}
