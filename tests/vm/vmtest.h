/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers of the tests that run in the VM (tests/vm/run.sh): TAP-like
 * lines ("ok N - what" / "not ok N - what: why"), a failure count, and the
 * edu device's DMA engine driven through a VFIO device fd.
 */
#ifndef IOASID_VMTEST_H
#define IOASID_VMTEST_H

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <ioasid/ioasid.h>

static int vt_n, vt_failed, vt_skipped;

static inline void vt_report(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void vt_report(int ok, const char *fmt, ...)
{
	va_list ap;

	vt_n++;
	if (!ok)
		vt_failed++;
	printf("%s %d - ", ok ? "ok" : "not ok", vt_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline void vt_skip(const char *why)
{
	vt_n++;
	vt_skipped++;
	printf("ok %d # SKIP %s\n", vt_n, why);
	fflush(stdout);
}

/* @expr must return @want (0 or -errno); the context's message on failure. */
#define VT_RET(ctx, expr, want)                                                    \
	({                                                                         \
		int __r = (expr);                                                  \
		vt_report(__r == (want), "%s == %s%s%s", #expr,                     \
			  ioasid_strerrno(want), __r == (want) ? "" : ": got ",      \
			  __r == (want) ? "" : ioasid_strerrno(__r));               \
		if (__r != (want))                                                 \
			printf("#   message: %s\n", ioasid_ctx_errmsg(ctx));          \
		__r == (want);                                                     \
	})
#define VT_OK(ctx, expr) VT_RET(ctx, expr, 0)

#define VT_TRUE(cond, ...)                                                         \
	({                                                                         \
		int __c = !!(cond);                                                \
		vt_report(__c, __VA_ARGS__);                                       \
		if (!__c)                                                          \
			printf("#   failed: %s\n", #cond);                            \
		__c;                                                               \
	})

static inline int vt_done(const char *name)
{
	printf("# %s: %d checks, %d failed, %d skipped\n", name, vt_n, vt_failed, vt_skipped);
	fflush(stdout);
	return vt_failed ? 1 : 0;
}

static inline uint64_t vt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* @len bytes of zeroed anonymous memory to map; exits on failure. */
static inline void *vt_mem(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	memset(p, 0, len);
	return p;
}

/*
 * QEMU's edu device (as QEMU documents it; tests/vm/README.md): BAR0
 * registers 0x80 source, 0x88 destination, 0x90 count, 0x98 command (bit 0
 * start/busy, bit 1 to RAM), its buffer at 0x40000 (4 KiB; keep a transfer
 * <= 4095 bytes), DMA addresses masked to 28 bits, completion on a 100 ms
 * virtual timer, and bus mastering needed (PCI command bit 2).
 * The VFIO region layout comes from the kernel's own header: this is test
 * code built against $KDIR/headers.
 */
#ifdef VT_WITH_EDU
#include <linux/vfio.h>

#define EDU_BUF 0x40000ull

struct edu {
	int fd;
	uint64_t bar0;
	uint64_t cfg;
};

static inline int edu_open(struct edu *e, int fd)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = VFIO_PCI_BAR0_REGION_INDEX };
	struct vfio_region_info ci = { .argsz = sizeof(ci), .index = VFIO_PCI_CONFIG_REGION_INDEX };
	uint16_t cmd;
	uint32_t v;

	e->fd = fd;
	if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ri) || ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ci))
		return -errno;
	e->bar0 = ri.offset;
	e->cfg = ci.offset;
	if (pread(fd, &cmd, 2, e->cfg + 4) != 2)
		return -EIO;
	cmd |= 0x6; /* memory space + bus master */
	if (pwrite(fd, &cmd, 2, e->cfg + 4) != 2)
		return -EIO;
	/* liveness register: reads back the complement */
	v = 0x12345678;
	if (pwrite(fd, &v, 4, e->bar0 + 4) != 4 || pread(fd, &v, 4, e->bar0 + 4) != 4)
		return -EIO;
	return v == ~0x12345678u ? 0 : -ENODEV;
}

static inline int edu_w64(struct edu *e, uint64_t reg, uint64_t v)
{
	return pwrite(e->fd, &v, 8, e->bar0 + reg) == 8 ? 0 : -EIO;
}

static inline int edu_r64(struct edu *e, uint64_t reg, uint64_t *v)
{
	return pread(e->fd, v, 8, e->bar0 + reg) == 8 ? 0 : -EIO;
}

/* One transfer; @to_ram: edu buffer -> RAM (IOVA @dst), else RAM -> buffer. */
static inline int edu_dma(struct edu *e, uint64_t src, uint64_t dst, uint64_t len, int to_ram)
{
	uint64_t st;
	int i;

	if (edu_w64(e, 0x80, src) || edu_w64(e, 0x88, dst) || edu_w64(e, 0x90, len) ||
	    edu_w64(e, 0x98, 1 | (to_ram ? 2 : 0)))
		return -EIO;
	for (i = 0; i < 1000; i++) {
		if (edu_r64(e, 0x98, &st))
			return -EIO;
		if (!(st & 1))
			return 0;
		usleep(5000);
	}
	return -ETIMEDOUT;
}
#endif

#endif
