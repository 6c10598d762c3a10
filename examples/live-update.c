/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live update of a VMM process, end to end (docs/live-update.md).
 *
 *   live-update [SPEC [DEVICE]]
 *
 * SPEC is "sim" (the default; DEVICE defaults to sim0) or "iommufd" (DEVICE
 * a VFIO cdev or PCI address). The program plays both processes:
 *
 *  1. the old VMM: guest memory is a memfd; an IOAS maps it by file and
 *     offset; the device is attached; on the sim the device writes into
 *     guest memory (DMA), and the program checks it landed;
 *  2. it saves the context's state into another memfd and execs itself
 *     with "--successor STATE_FD IOAS DEV" (the iommufd, the device fds
 *     and the memfds inherited: the save made them so);
 *  3. the successor restores the context (same ids: the IOAS and the
 *     device are named by the ids the old process had), moves the pins
 *     with ioasid_ctx_change_process(), finds guest memory through the
 *     restored mapping (ioasid_ioas_backing()), checks what the old
 *     process and the device wrote, and on the sim has the device read and
 *     write again.
 *
 * On iommufd no kernel object is made, changed or destroyed on the way:
 * the device's DMA never stops (tests/vm/test-liveupdate.c drives QEMU's
 * edu device through it). Exit status 0 when every check held.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ioasid/ioasid.h>

#define GUEST_SIZE (64u * 1024)
#define GUEST_IOVA 0x100000ull
#define PAGE 4096u

static const char before_msg[] = "written by the old process";
static const char device_msg[] = "written by the device, before the update";
static const char after_msg[] = "written by the device, after the update";

static int fail(const char *what, int err)
{
	fprintf(stderr, "live-update: %s: %s (%s)\n", what, ioasid_strerrno(err),
		ioasid_last_errmsg());
	return 1;
}

/* The sim's device writes @msg at @iova and reads it back through guest memory @mem. */
static int device_writes(struct ioasid_ctx *ctx, uint32_t dev, uint64_t iova, const char *msg,
			 const char *mem)
{
	size_t done = 0;
	int err;

	err = ioasid_sim_dma_write(ctx, dev, IOASID_PASID_NONE, iova, msg, strlen(msg) + 1, &done);
	if (err)
		return fail("device DMA write", err);
	if (strcmp(mem + (iova - GUEST_IOVA), msg)) {
		fprintf(stderr, "live-update: the device's write did not land in guest memory\n");
		return 1;
	}
	return 0;
}

static int old_process(const char *self, const char *spec, const char *devname)
{
	struct ioasid_map_file_opts mo = IOASID_OPTS_INIT(ioasid_map_file_opts);
	struct ioasid_ctx *ctx;
	uint64_t iova = GUEST_IOVA;
	uint32_t ioas, dev;
	char *mem, a_state[16], a_ioas[16], a_dev[16];
	int mfd, sfd, err;
	bool sim;

	err = ioasid_ctx_open(spec, NULL, &ctx);
	if (err)
		return fail("open", err);
	sim = ioasid_ctx_backend(ctx) == IOASID_BACKEND_SIM;
	/* guest memory: a memfd, so that the successor can have it too */
	mfd = memfd_create("guest-ram", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, GUEST_SIZE))
		return fail("memfd", -errno);
	mem = mmap(NULL, GUEST_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (mem == MAP_FAILED)
		return fail("mmap", -errno);
	strcpy(mem, before_msg);

	err = ioasid_ioas_alloc(ctx, &ioas);
	err = err ?: ioasid_dev_bind(ctx, devname, &dev);
	err = err ?: ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, ioas, NULL);
	if (err)
		return fail("IOAS, bind, attach", err);
	mo.fd = mfd;
	mo.offset = 0;
	mo.length = GUEST_SIZE;
	mo.flags = IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA;
	err = ioasid_ioas_map_file(ctx, ioas, &mo, &iova);
	if (err)
		return fail("map the memfd", err);
	close(mfd); /* the library keeps its own reference */
	if (sim && device_writes(ctx, dev, GUEST_IOVA + PAGE, device_msg, mem))
		return 1;

	/* the state, in a memfd the successor inherits */
	sfd = memfd_create("ioasid-state", 0);
	if (sfd < 0)
		return fail("state memfd", -errno);
	err = ioasid_ctx_save_state(ctx, sfd);
	if (err)
		return fail("save", err);
	printf("old process %d: IOAS %u, device %u (%s) on %s; state saved, exec\n", (int)getpid(),
	       ioas, dev, devname, ioasid_ctx_backend_name(ctx));
	fflush(stdout);
	snprintf(a_state, sizeof(a_state), "%d", sfd);
	snprintf(a_ioas, sizeof(a_ioas), "%u", ioas);
	snprintf(a_dev, sizeof(a_dev), "%u", dev);
	/* not closed: closing would destroy what the successor takes over */
	execl("/proc/self/exe", self, "--successor", a_state, a_ioas, a_dev, (char *)NULL);
	return fail("exec", -errno);
}

/* Guest memory as the restored context knows it: the file behind IOAS @ioas at GUEST_IOVA. */
static char *find_guest_memory(struct ioasid_ctx *ctx, uint32_t ioas)
{
	struct ioasid_map_backing b;
	char *mem;
	int err;

	err = ioasid_ioas_backing(ctx, ioas, GUEST_IOVA, &b);
	if (err) {
		fail("backing of the guest memory", err);
		return NULL;
	}
	if (b.kind != IOASID_BACKING_FILE) {
		fprintf(stderr, "live-update: guest memory came back as backing kind %u\n", b.kind);
		return NULL;
	}
	mem = mmap(NULL, GUEST_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, b.fd, (off_t)b.offset);
	return mem == MAP_FAILED ? NULL : mem;
}

static int successor(int sfd, uint32_t ioas, uint32_t dev)
{
	struct ioasid_ctx *ctx;
	struct ioasid_mapping m;
	size_t done = 0;
	char *mem, buf[64];
	int err;

	if (lseek(sfd, 0, SEEK_SET))
		return fail("state fd", -errno);
	err = ioasid_ctx_restore_state(sfd, NULL, &ctx);
	if (err)
		return fail("restore", err);
	close(sfd);
	err = ioasid_ctx_change_process(ctx);
	if (err)
		return fail("change process", err);
	err = ioasid_ioas_lookup(ctx, ioas, GUEST_IOVA, &m);
	if (err)
		return fail("the mapping of IOAS (same id)", err);
	mem = find_guest_memory(ctx, ioas);
	if (!mem)
		return 1;
	if (strcmp(mem, before_msg)) {
		fprintf(stderr, "live-update: guest memory lost what the old process wrote\n");
		return 1;
	}
	if (ioasid_ctx_backend(ctx) == IOASID_BACKEND_SIM) {
		if (strcmp(mem + PAGE, device_msg)) {
			fprintf(stderr, "live-update: guest memory lost the device's write\n");
			return 1;
		}
		/* the device goes on: it reads what the old process wrote, and writes */
		err = ioasid_sim_dma_read(ctx, dev, IOASID_PASID_NONE, GUEST_IOVA, buf,
					  sizeof(before_msg), &done);
		if (err || strcmp(buf, before_msg))
			return fail("device DMA read after the update", err ?: -EIO);
		if (device_writes(ctx, dev, GUEST_IOVA + 2 * PAGE, after_msg, mem))
			return 1;
	}
	printf("successor %d: restored IOAS %u [0x%" PRIx64 ", 0x%" PRIx64
	       "] and device %u on %s; pins moved; OK\n",
	       (int)getpid(), ioas, m.iova, m.iova + m.length - 1, dev,
	       ioasid_ctx_backend_name(ctx));
	munmap(mem, GUEST_SIZE);
	ioasid_ctx_close(ctx);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "--successor"))
		return successor(atoi(argv[2]), (uint32_t)strtoul(argv[3], NULL, 0),
				 (uint32_t)strtoul(argv[4], NULL, 0));
	if (argc > 3 || (argc > 1 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: %s [SPEC [DEVICE]]   (SPEC sim or iommufd)\n", argv[0]);
		return 2;
	}
	return old_process(argv[0], argc > 1 ? argv[1] : "sim", argc > 2 ? argv[2] : "sim0");
}
