/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Uevents and the host scan: recorded kernel messages parse to the right
 * fields, every kind of malformed message is refused with its errno and a
 * message that says where, the relevance filter, the sysfs scan against a
 * fake tree built in a temporary directory, and a live round trip through
 * the kernel (a synthetic "add" written to a sysfs uevent file).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem, mkdtemp */
#endif
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>

#include <ioasid/ioasid.h>

#include "util/alloc.h"
#include "linux/host-scan.h"
#include "suites.h"

Suite *monitor_suite(void);

/* ---- recorded uevents ---- */

/*
 * As the kernel sends them (layout of lib/kobject_uevent.c: header, then
 * ACTION, DEVPATH, SUBSYSTEM, the bus's own variables, SEQNUM); the
 * trailing NUL of each literal is the last field's terminator.
 */
#define DEV01 "/devices/pci0000:00/0000:00:01.0"

/* echo 0000:00:01.0 > /sys/bus/pci/drivers/vfio-pci/bind */
static const char ev_bind[] =
	"bind@" DEV01 "\0"
	"ACTION=bind\0"
	"DEVPATH=" DEV01 "\0"
	"SUBSYSTEM=pci\0"
	"DRIVER=vfio-pci\0"
	"PCI_CLASS=20000\0"
	"PCI_ID=8086:10D3\0"
	"PCI_SUBSYS_ID=8086:A01F\0"
	"PCI_SLOT_NAME=0000:00:01.0\0"
	"MODALIAS=pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00\0"
	"SEQNUM=4321";

/* the VFIO device cdev that vfio-pci creates right after */
static const char ev_vfio_dev_add[] =
	"add@" DEV01 "/vfio-dev/vfio0\0"
	"ACTION=add\0"
	"DEVPATH=" DEV01 "/vfio-dev/vfio0\0"
	"SUBSYSTEM=vfio-dev\0"
	"MAJOR=239\0"
	"MINOR=0\0"
	"DEVNAME=vfio/devices/vfio0\0"
	"SEQNUM=4322";

/* echo 0000:00:01.0 > /sys/bus/pci/drivers/vfio-pci/unbind */
static const char ev_unbind[] =
	"unbind@" DEV01 "\0"
	"ACTION=unbind\0"
	"DEVPATH=" DEV01 "\0"
	"SUBSYSTEM=pci\0"
	"PCI_CLASS=20000\0"
	"PCI_ID=8086:10D3\0"
	"PCI_SUBSYS_ID=8086:A01F\0"
	"PCI_SLOT_NAME=0000:00:01.0\0"
	"MODALIAS=pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00\0"
	"SEQNUM=4330";

/*
 * IOMMU group 12 appearing to VFIO: the kernel announces no uevent for
 * the group kobject under /sys/kernel/iommu_groups itself, so what a VMM
 * sees is the group's VFIO node /dev/vfio/12 being added.
 */
static const char ev_group_add[] =
	"add@/devices/virtual/vfio/12\0"
	"ACTION=add\0"
	"DEVPATH=/devices/virtual/vfio/12\0"
	"SUBSYSTEM=vfio\0"
	"MAJOR=240\0"
	"MINOR=1\0"
	"DEVNAME=vfio/12\0"
	"SEQNUM=4310";

/* an IOMMU instance registering (boot, or a virtio-iommu probe) */
static const char ev_iommu_add[] =
	"add@/devices/virtual/iommu/dmar0\0"
	"ACTION=add\0"
	"DEVPATH=/devices/virtual/iommu/dmar0\0"
	"SUBSYSTEM=iommu\0"
	"SEQNUM=17";

/* something no VMM cares about */
static const char ev_mem_change[] =
	"change@/devices/virtual/mem/null\0"
	"ACTION=change\0"
	"DEVPATH=/devices/virtual/mem/null\0"
	"SUBSYSTEM=mem\0"
	"MAJOR=1\0"
	"MINOR=3\0"
	"DEVNAME=null\0"
	"DEVMODE=0666\0"
	"SEQNUM=820";

static void parse_ok(const void *buf, size_t len, struct ioasid_uevent *ev)
{
	int r = ioasid_uevent_parse(buf, len, ev);

	ck_assert_msg(r == 0, "parse: %d (%s)", r, ioasid_last_errmsg());
}

START_TEST(test_parse_recorded)
{
	struct ioasid_uevent ev;

	parse_ok(ev_bind, sizeof(ev_bind), &ev);
	ck_assert_str_eq(ev.action, "bind");
	ck_assert_str_eq(ev.devpath, DEV01);
	ck_assert_str_eq(ev.subsystem, "pci");
	ck_assert_str_eq(ev.driver, "vfio-pci");
	ck_assert_str_eq(ev.devname, "");
	ck_assert_str_eq(ev.pci_slot, "0000:00:01.0");
	ck_assert_uint_eq(ev.seqnum, 4321);

	parse_ok(ev_vfio_dev_add, sizeof(ev_vfio_dev_add), &ev);
	ck_assert_str_eq(ev.action, "add");
	ck_assert_str_eq(ev.devpath, DEV01 "/vfio-dev/vfio0");
	ck_assert_str_eq(ev.subsystem, "vfio-dev");
	ck_assert_str_eq(ev.driver, "");
	ck_assert_str_eq(ev.devname, "vfio/devices/vfio0");
	ck_assert_str_eq(ev.pci_slot, "");
	ck_assert_uint_eq(ev.seqnum, 4322);

	parse_ok(ev_unbind, sizeof(ev_unbind), &ev);
	ck_assert_str_eq(ev.action, "unbind");
	ck_assert_str_eq(ev.devpath, DEV01);
	ck_assert_str_eq(ev.subsystem, "pci");
	ck_assert_str_eq(ev.driver, "");
	ck_assert_str_eq(ev.pci_slot, "0000:00:01.0");
	ck_assert_uint_eq(ev.seqnum, 4330);

	parse_ok(ev_group_add, sizeof(ev_group_add), &ev);
	ck_assert_str_eq(ev.action, "add");
	ck_assert_str_eq(ev.devpath, "/devices/virtual/vfio/12");
	ck_assert_str_eq(ev.subsystem, "vfio");
	ck_assert_str_eq(ev.devname, "vfio/12");
	ck_assert_uint_eq(ev.seqnum, 4310);

	parse_ok(ev_iommu_add, sizeof(ev_iommu_add), &ev);
	ck_assert_str_eq(ev.subsystem, "iommu");
	ck_assert_str_eq(ev.devpath, "/devices/virtual/iommu/dmar0");
	ck_assert_uint_eq(ev.seqnum, 17);
}
END_TEST

/* The longest values that fit are kept whole; no SEQNUM reads as 0. */
START_TEST(test_parse_limits)
{
	struct ioasid_uevent ev;
	char msg[1024], drv[32], dp[256];
	size_t n;

	memset(drv, 'd', sizeof(drv) - 1);
	drv[sizeof(drv) - 1] = '\0';
	dp[0] = '/';
	memset(dp + 1, 'p', sizeof(dp) - 2);
	dp[sizeof(dp) - 1] = '\0';
	n = (size_t)snprintf(msg, sizeof(msg), "add@%s%cACTION=add%cDEVPATH=%s%cDRIVER=%s%c",
			     dp, 0, 0, dp, 0, drv, 0);
	ck_assert_uint_lt(n, sizeof(msg));
	parse_ok(msg, n, &ev); /* n counts the last %c's NUL */
	ck_assert_str_eq(ev.devpath, dp);
	ck_assert_str_eq(ev.driver, drv);
	ck_assert_uint_eq(ev.seqnum, 0);

	/* unknown keys, an empty value and '=' inside a value are fine */
	static const char odd[] = "move@/devices/a\0ACTION=move\0DEVPATH=/devices/a\0"
				  "DEVPATH_OLD=/devices/b\0X=\0SUBSYSTEM=\0Y=a=b\0SEQNUM=18446744073709551615";
	parse_ok(odd, sizeof(odd), &ev);
	ck_assert_str_eq(ev.action, "move");
	ck_assert_str_eq(ev.subsystem, "");
	ck_assert_uint_eq(ev.seqnum, UINT64_MAX);
}
END_TEST

/* ---- malformed messages ---- */

struct bad_case {
	const char *what;
	const char *buf;
	size_t len;
	int err;
	const char *needle; /* in the message */
};

#define BAD(what, lit, err, needle) { what, lit, sizeof(lit), err, needle }

static const struct bad_case bad_cases[] = {
	BAD("no '@'", "add/devices/x\0ACTION=add\0DEVPATH=/devices/x", -EINVAL,
	    "offset 0: header 'add/devices/x' has no '@'"),
	BAD("no '='", "add@/devices/x\0ACTION=add\0SUBSYSTEMpci\0DEVPATH=/devices/x",
	    -EINVAL, "offset 26: field 'SUBSYSTEMpci' has no '='"),
	BAD("empty field", "add@/devices/x\0ACTION=add\0\0DEVPATH=/devices/x", -EINVAL,
	    "offset 26: field '' has no '='"),
	BAD("empty key", "add@/devices/x\0ACTION=add\0=pci\0DEVPATH=/devices/x", -EINVAL,
	    "offset 26: field '=pci' has an empty key"),
	BAD("long DRIVER", "add@/devices/x\0ACTION=add\0DEVPATH=/devices/x\0"
	    "DRIVER=0123456789abcdef0123456789abcdef", -ENAMETOOLONG,
	    "offset 45: field DRIVER value '0123456789abcdef0123456789abcdef' is 32 bytes, at most 31"),
	BAD("long ACTION field", "add@/devices/x\0ACTION=addaddaddaddaddadd\0DEVPATH=/devices/x",
	    -ENAMETOOLONG, "offset 15: field ACTION"),
	BAD("long header action", "addaddaddaddaddadd@/devices/x\0ACTION=add\0DEVPATH=/devices/x",
	    -ENAMETOOLONG, "offset 0: header action 'addaddaddaddaddadd' is 18 bytes"),
	BAD("long PCI_SLOT_NAME", "add@/devices/x\0ACTION=add\0DEVPATH=/devices/x\0"
	    "PCI_SLOT_NAME=0000:00:01.0-0000:00:01.0-0000:00:01.0", -ENAMETOOLONG,
	    "field PCI_SLOT_NAME"),
	BAD("ACTION disagrees", "add@/devices/x\0ACTION=remove\0DEVPATH=/devices/x", -EINVAL,
	    "offset 15: field ACTION 'remove' disagrees with the header's 'add'"),
	BAD("DEVPATH disagrees", "add@/devices/x\0ACTION=add\0DEVPATH=/devices/y", -EINVAL,
	    "offset 26: field DEVPATH '/devices/y' disagrees with the header's '/devices/x'"),
	BAD("no ACTION", "add@/devices/x\0DEVPATH=/devices/x\0SUBSYSTEM=pci", -EINVAL,
	    "no ACTION field"),
	BAD("no DEVPATH", "add@/devices/x\0ACTION=add\0SUBSYSTEM=pci", -EINVAL,
	    "no DEVPATH field"),
	BAD("header only", "add@/devices/x", -EINVAL, "offset 15: no ACTION field"),
	BAD("DEVPATH twice", "add@/devices/x\0ACTION=add\0DEVPATH=/devices/x\0DEVPATH=/devices/y",
	    -EINVAL, "offset 45: field DEVPATH appears twice"),
	BAD("bad SEQNUM", "add@/devices/x\0ACTION=add\0DEVPATH=/devices/x\0SEQNUM=12a", -EINVAL,
	    "field SEQNUM value '12a' is not a 64-bit decimal"),
	BAD("SEQNUM overflow", "add@/devices/x\0ACTION=add\0DEVPATH=/devices/x\0"
	    "SEQNUM=18446744073709551616", -EINVAL, "not a 64-bit decimal"),
	BAD("empty SEQNUM", "add@/devices/x\0ACTION=add\0DEVPATH=/devices/x\0SEQNUM=", -EINVAL,
	    "field SEQNUM"),
	BAD("empty action", "@/devices/x\0ACTION=\0DEVPATH=/devices/x", -EINVAL,
	    "header action '' is not a word"),
	BAD("relative devpath", "add@devices/x\0ACTION=add\0DEVPATH=devices/x", -EINVAL,
	    "header devpath 'devices/x'"),
	BAD("dot-dot devpath", "add@/devices/../../etc\0ACTION=add\0DEVPATH=/devices/../../etc",
	    -EINVAL, "header devpath '/devices/../../etc' is not an absolute path"),
	BAD("dot devpath", "add@/devices/./x\0ACTION=add\0DEVPATH=/devices/./x", -EINVAL,
	    "header devpath"),
	BAD("double slash", "add@/devices//x\0ACTION=add\0DEVPATH=/devices//x", -EINVAL,
	    "header devpath"),
	BAD("trailing slash", "add@/devices/x/\0ACTION=add\0DEVPATH=/devices/x/", -EINVAL,
	    "header devpath"),
	BAD("control byte in message", "add\n@/devices/x\0ACTION=add\n\0DEVPATH=/devices/x",
	    -EINVAL, "header action 'add?' is not a word"),
	BAD("libudev", "libudev\0\xfe\xed\xca\xfe\0\0\0\0", -ENOMSG, "libudev"),
	{ "no final NUL", "add@/devices/x\0ACTION=add\0DEVPATH=/devices/x", 41, -EINVAL,
	  "offset 40: message of 41 bytes does not end with a NUL" },
	{ "empty buffer", "", 0, -EINVAL, "offset 0: empty message" },
	{ "lone NUL", "", 1, -EINVAL, "header '' has no '@'" },
};

START_TEST(test_parse_malformed)
{
	const struct bad_case *c = &bad_cases[_i];
	struct ioasid_uevent ev, before;
	int r;

	memset(&ev, 0xa5, sizeof(ev));
	before = ev;
	r = ioasid_uevent_parse(c->buf, c->len, &ev);
	ck_assert_msg(r == c->err, "%s: got %d, wanted %d (%s)", c->what, r, c->err,
		      ioasid_last_errmsg());
	ck_assert_msg(strstr(ioasid_last_errmsg(), c->needle),
		      "%s: message '%s' lacks '%s'", c->what, ioasid_last_errmsg(), c->needle);
	/* a refused message leaves the event as it was */
	ck_assert_mem_eq(&ev, &before, sizeof(ev));
}
END_TEST

/* Over-long devpaths, in the header and in the field, are refused. */
START_TEST(test_parse_long_devpath)
{
	struct ioasid_uevent ev;
	char dp[300], msg[1024];
	size_t n;

	dp[0] = '/';
	memset(dp + 1, 'p', sizeof(dp) - 2);
	dp[sizeof(dp) - 1] = '\0';
	n = (size_t)snprintf(msg, sizeof(msg), "add@%s%cACTION=add%cDEVPATH=%s", dp, 0, 0, dp);
	ck_assert_int_eq(ioasid_uevent_parse(msg, n + 1, &ev), -ENAMETOOLONG);
	ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(), "offset 4: header devpath"));
	ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(), "is 299 bytes, at most 255"));

	n = (size_t)snprintf(msg, sizeof(msg), "add@/x%cACTION=add%cDEVPATH=%s", 0, 0, dp);
	ck_assert_int_eq(ioasid_uevent_parse(msg, n + 1, &ev), -ENAMETOOLONG);
	ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(), "offset 18: field DEVPATH"));
}
END_TEST

/*
 * Every cut of every recorded message: a cut inside a string has no final
 * NUL and is -EINVAL; a cut at a field boundary is a shorter but complete
 * message, valid exactly when it still holds ACTION and DEVPATH.
 */
START_TEST(test_parse_truncated)
{
	static const struct {
		const char *buf;
		size_t len;
	} msgs[] = {
		{ ev_bind, sizeof(ev_bind) },
		{ ev_vfio_dev_add, sizeof(ev_vfio_dev_add) },
		{ ev_unbind, sizeof(ev_unbind) },
		{ ev_group_add, sizeof(ev_group_add) },
	};
	struct ioasid_uevent ev;
	size_t m, len;

	for (m = 0; m < sizeof(msgs) / sizeof(msgs[0]); m++) {
		for (len = 1; len < msgs[m].len; len++) {
			const char *b = msgs[m].buf;
			int r;

			/* a heap copy of exactly @len bytes: ASan sees any overread */
			char *copy = malloc(len);

			ck_assert_ptr_nonnull(copy);
			memcpy(copy, b, len);
			r = ioasid_uevent_parse(copy, len, &ev);
			if (b[len - 1] != '\0') {
				ck_assert_msg(r == -EINVAL, "msg %zu cut at %zu: %d", m, len, r);
				ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(), "does not end with a NUL"));
			} else {
				bool has_both = memmem(copy, len, "\0ACTION=", 8) &&
						memmem(copy, len, "\0DEVPATH=", 9);

				ck_assert_msg(r == (has_both ? 0 : -EINVAL), "msg %zu cut at %zu: %d (%s)",
					      m, len, r, ioasid_last_errmsg());
			}
			free(copy);
		}
	}
}
END_TEST

START_TEST(test_parse_bad_args)
{
	struct ioasid_uevent ev;

	ck_assert_int_eq(ioasid_uevent_parse(ev_bind, sizeof(ev_bind), NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(), "no event"));
	ck_assert_int_eq(ioasid_uevent_parse(NULL, 10, &ev), -EINVAL);
	ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(), "NULL buffer"));
	ck_assert_int_eq(ioasid_uevent_parse(NULL, 0, &ev), -EINVAL);
	ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(), "empty"));
}
END_TEST

/* ---- relevance ---- */

START_TEST(test_relevant)
{
	static const struct {
		const char *buf;
		size_t len;
		bool want;
	} cases[] = {
		{ ev_bind, sizeof(ev_bind), true },
		{ ev_vfio_dev_add, sizeof(ev_vfio_dev_add), true },
		{ ev_unbind, sizeof(ev_unbind), true },
		{ ev_group_add, sizeof(ev_group_add), true },
		{ ev_iommu_add, sizeof(ev_iommu_add), true },
		{ ev_mem_change, sizeof(ev_mem_change), false },
	};
	struct ioasid_uevent ev;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parse_ok(cases[i].buf, cases[i].len, &ev);
		ck_assert_msg(ioasid_uevent_relevant(&ev) == cases[i].want, "case %zu", i);
	}

	/* PCI: only the driver and presence changes matter */
	memset(&ev, 0, sizeof(ev));
	strcpy(ev.subsystem, "pci");
	strcpy(ev.action, "add");
	ck_assert(ioasid_uevent_relevant(&ev));
	strcpy(ev.action, "remove");
	ck_assert(ioasid_uevent_relevant(&ev));
	strcpy(ev.action, "change");
	ck_assert(!ioasid_uevent_relevant(&ev));
	strcpy(ev.action, "online");
	ck_assert(!ioasid_uevent_relevant(&ev));
	/* whatever happens to VFIO objects matters */
	strcpy(ev.subsystem, "vfio-dev");
	strcpy(ev.action, "remove");
	ck_assert(ioasid_uevent_relevant(&ev));
	strcpy(ev.subsystem, "vfio");
	strcpy(ev.action, "change");
	ck_assert(ioasid_uevent_relevant(&ev));
	strcpy(ev.subsystem, "usb");
	strcpy(ev.action, "bind");
	ck_assert(!ioasid_uevent_relevant(&ev));
	strcpy(ev.subsystem, "");
	ck_assert(!ioasid_uevent_relevant(&ev));
	ck_assert(!ioasid_uevent_relevant(NULL));
}
END_TEST

/* ---- host scan over a fake sysfs ---- */

static char fake_root[64];

static void fake_mkdir(const char *rel)
{
	char path[PATH_MAX], *s;

	snprintf(path, sizeof(path), "%s/%s", fake_root, rel);
	for (s = path + strlen(fake_root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		ck_assert_msg(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s: %m", path);
		*s = '/';
	}
	ck_assert_msg(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s: %m", path);
}

/* A symlink @rel -> @target (relative, as sysfs makes them). */
static void fake_link(const char *rel, const char *target)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", fake_root, rel);
	ck_assert_msg(symlink(target, path) == 0, "symlink %s: %m", path);
}

/*
 * One PCI device under devices/pci0000:00 with the bus/pci/devices link;
 * NULL for a link it lacks. @iommu is relative to the device directory.
 */
static void fake_pci(const char *bdf, const char *group, const char *driver,
		     const char *iommu, const char *vfio_dev)
{
	char rel[256], tgt[256];

	fake_mkdir("bus/pci/devices");
	snprintf(rel, sizeof(rel), "devices/pci0000:00/%s", bdf);
	fake_mkdir(rel);
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s", bdf);
	snprintf(tgt, sizeof(tgt), "../../../devices/pci0000:00/%s", bdf);
	fake_link(rel, tgt);
	if (group) {
		snprintf(rel, sizeof(rel), "kernel/iommu_groups/%s", group);
		fake_mkdir(rel);
		snprintf(rel, sizeof(rel), "devices/pci0000:00/%s/iommu_group", bdf);
		snprintf(tgt, sizeof(tgt), "../../../kernel/iommu_groups/%s", group);
		fake_link(rel, tgt);
	}
	if (driver) {
		snprintf(rel, sizeof(rel), "bus/pci/drivers/%s", driver);
		fake_mkdir(rel);
		snprintf(rel, sizeof(rel), "devices/pci0000:00/%s/driver", bdf);
		snprintf(tgt, sizeof(tgt), "../../../bus/pci/drivers/%s", driver);
		fake_link(rel, tgt);
	}
	if (iommu) {
		snprintf(rel, sizeof(rel), "devices/pci0000:00/%s/iommu", bdf);
		fake_link(rel, iommu);
	}
	if (vfio_dev) {
		snprintf(rel, sizeof(rel), "devices/pci0000:00/%s/vfio-dev/%s", bdf, vfio_dev);
		fake_mkdir(rel);
	}
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void fake_setup(void)
{
	strcpy(fake_root, "/tmp/ioasid-sysfs-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fake_root));
}

static void fake_teardown(void)
{
	if (fake_root[0])
		nftw(fake_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	fake_root[0] = '\0';
}

/* A small host with one device of each IOMMU kind. */
static void fake_host(void)
{
	fake_mkdir("bus/pci/devices");
	fake_mkdir("devices/virtual/iommu/dmar0");
	fake_mkdir("devices/virtual/iommu/foo0");
	fake_mkdir("devices/pci0000:00/0000:00:00.2/iommu/ivhd0");
	fake_mkdir("devices/platform/arm-smmu-v3.0.auto/iommu/smmu3.0x0000000009050000");
	/* virtio-iommu on virtio-pci 0000:00:02.0: its instance is named after it */
	fake_mkdir("devices/pci0000:00/0000:00:02.0/virtio1/iommu/0000:00:02.0");
	fake_mkdir("bus/virtio/drivers/virtio_iommu");
	fake_link("devices/pci0000:00/0000:00:02.0/virtio1/iommu/0000:00:02.0/device",
		  "../../../virtio1");
	fake_link("devices/pci0000:00/0000:00:02.0/virtio1/driver",
		  "../../../../bus/virtio/drivers/virtio_iommu");

	/* listed out of order: the result is sorted */
	fake_pci("0000:00:06.0", "8", "vfio-pci", "../0000:00:02.0/virtio1/iommu/0000:00:02.0",
		 "vfio3");
	fake_pci("0000:00:01.0", "5", "vfio-pci", "../../virtual/iommu/dmar0", "vfio0");
	fake_pci("0000:00:03.0", "6", "nvme", "../0000:00:00.2/iommu/ivhd0", NULL);
	fake_pci("0000:00:04.0", NULL, "virtio-pci", NULL, NULL); /* no group: skipped */
	fake_pci("0000:00:05.0", "7", NULL,
		 "../../platform/arm-smmu-v3.0.auto/iommu/smmu3.0x0000000009050000", NULL);
	fake_pci("0000:00:07.0", "9", "nvme", "../../virtual/iommu/foo0", NULL);
	fake_pci("0000:00:08.0", "10", "vfio-pci", NULL, "vfio1"); /* noiommu-like */
	/* virtio-mmio transport, links not resolvable: recognized by its path */
	fake_pci("0000:00:09.0", "11", "mlx5_vfio_pci",
		 "../../platform/10000.virtio_mmio/virtio2/iommu/10000.virtio_mmio", "vfio2");
}

static const struct {
	const char *name, *bdf, *iommu, *driver, *group;
} fake_want[] = {
	{ "/dev/vfio/devices/vfio0", "0000:00:01.0", "vtd", "vfio-pci", "5" },
	{ "0000:00:03.0", "0000:00:03.0", "amd", "nvme", "6" },
	{ "0000:00:05.0", "0000:00:05.0", "smmuv3", "", "7" },
	{ "/dev/vfio/devices/vfio3", "0000:00:06.0", "virtio-iommu", "vfio-pci", "8" },
	{ "0000:00:07.0", "0000:00:07.0", "unknown", "nvme", "9" },
	{ "/dev/vfio/devices/vfio1", "0000:00:08.0", "unknown", "vfio-pci", "10" },
	{ "/dev/vfio/devices/vfio2", "0000:00:09.0", "virtio-iommu", "mlx5_vfio_pci", "11" },
};

#define NR_WANT (sizeof(fake_want) / sizeof(fake_want[0]))

static void check_entry(const struct ioasid_dev_entry *e, size_t i)
{
	ck_assert_str_eq(e->name, fake_want[i].name);
	ck_assert_str_eq(e->bdf, fake_want[i].bdf);
	ck_assert_str_eq(e->iommu, fake_want[i].iommu);
	ck_assert_str_eq(e->driver, fake_want[i].driver);
	ck_assert_str_eq(e->group, fake_want[i].group);
	ck_assert_uint_eq(e->bound, 0);
}

START_TEST(test_host_scan_fake)
{
	struct ioasid_dev_entry out[16];
	uint32_t num = 16;
	size_t i;
	int r;

	fake_host();
	memset(out, 0x5a, sizeof(out));
	r = host_scan_root(fake_root, out, &num);
	ck_assert_msg(r == 0, "scan: %d (%s)", r, ioasid_last_errmsg());
	ck_assert_uint_eq(num, NR_WANT);
	for (i = 0; i < NR_WANT; i++)
		check_entry(&out[i], i);
	/* entries past the total are not touched */
	ck_assert_uint_eq((unsigned char)out[NR_WANT].name[0], 0x5a);

	/* too small: the first entries and the total, and -EMSGSIZE */
	memset(out, 0x5a, sizeof(out));
	num = 3;
	ck_assert_int_eq(host_scan_root(fake_root, out, &num), -EMSGSIZE);
	ck_assert_uint_eq(num, NR_WANT);
	ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(), "7 devices, room for 3"));
	for (i = 0; i < 3; i++)
		check_entry(&out[i], i);
	ck_assert_uint_eq((unsigned char)out[3].name[0], 0x5a);

	/* asking for the count only */
	num = 0;
	ck_assert_int_eq(host_scan_root(fake_root, NULL, &num), -EMSGSIZE);
	ck_assert_uint_eq(num, NR_WANT);

	num = 2;
	ck_assert_int_eq(host_scan_root(fake_root, NULL, &num), -EINVAL);
	ck_assert_uint_eq(num, 2);
	ck_assert_int_eq(host_scan_root(fake_root, out, NULL), -EINVAL);
}
END_TEST

START_TEST(test_host_scan_empty)
{
	struct ioasid_dev_entry out[4];
	char path[PATH_MAX];
	uint32_t num;

	/* no bus/pci at all */
	num = 4;
	ck_assert_int_eq(host_scan_root(fake_root, out, &num), 0);
	ck_assert_uint_eq(num, 0);
	num = 0;
	ck_assert_int_eq(host_scan_root(fake_root, NULL, &num), 0);
	ck_assert_uint_eq(num, 0);
	snprintf(path, sizeof(path), "%s/does-not-exist", fake_root);
	num = 4;
	ck_assert_int_eq(host_scan_root(path, out, &num), 0);
	ck_assert_uint_eq(num, 0);

	/* a PCI bus whose devices have no IOMMU group */
	fake_pci("0000:00:04.0", NULL, "virtio-pci", NULL, NULL);
	fake_pci("0000:00:05.0", NULL, NULL, "../../virtual/iommu/dmar0", NULL);
	num = 4;
	ck_assert_int_eq(host_scan_root(fake_root, out, &num), 0);
	ck_assert_uint_eq(num, 0);
}
END_TEST

START_TEST(test_host_scan_enomem)
{
	uint32_t num = 0;
	unsigned long before;
	int r;

	fake_host();
	before = ioasid_alloc_count();
	ck_assert_int_eq(host_scan_root(fake_root, NULL, &num), -EMSGSIZE);
	ck_assert_uint_gt(ioasid_alloc_count(), before);

	num = 0;
	ioasid_alloc_fail_nth(1);
	r = host_scan_root(fake_root, NULL, &num);
	ioasid_alloc_fail_nth(0);
	ck_assert_int_eq(r, -ENOMEM);
	ck_assert(ioasid_alloc_failed());
	ck_assert_uint_eq(num, 0);
}
END_TEST

/* The real host: whatever it has, the answer is consistent. */
START_TEST(test_host_devices_real)
{
	struct ioasid_dev_entry *out;
	uint32_t num = 0, again;
	int r;

	r = ioasid_host_devices(NULL, &num);
	ck_assert_msg(r == 0 || r == -EMSGSIZE, "%d (%s)", r, ioasid_last_errmsg());
	ck_assert_int_eq(r, num ? -EMSGSIZE : 0);
	out = calloc(num + 1, sizeof(*out));
	ck_assert_ptr_nonnull(out);
	again = num + 1;
	ck_assert_int_eq(ioasid_host_devices(out, &again), 0);
	ck_assert_uint_eq(again, num);
	for (uint32_t i = 0; i < num; i++) {
		ck_assert_str_ne(out[i].bdf, "");
		ck_assert_str_ne(out[i].iommu, "");
		ck_assert_str_ne(out[i].group, "");
	}
	free(out);
}
END_TEST

/* ---- live monitor ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read what is queued, so a later -EAGAIN or match means something. */
static void drain(struct ioasid_monitor *mon)
{
	struct ioasid_uevent ev;
	int i;

	for (i = 0; i < 10000; i++)
		if (ioasid_monitor_read(mon, &ev) == -EAGAIN)
			return;
}

/*
 * Wait up to @secs for an event with @action and @devpath.
 * Return: 1 seen, 0 not seen. *@nperm counts -EPERM reads (forgeries).
 */
static int wait_event(struct ioasid_monitor *mon, const char *action,
		      const char *devpath, double secs, int *nperm)
{
	struct pollfd pfd = { .fd = -1, .events = POLLIN };
	double end = now_s() + secs;

	ck_assert_int_eq(ioasid_monitor_fd(mon, &pfd.fd), 0);

	for (;;) {
		struct ioasid_uevent ev;
		double left = end - now_s();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&pfd, 1, (int)(left * 1000) + 1);
		ck_assert_msg(r >= 0 || errno == EINTR, "poll: %m");
		if (r <= 0)
			continue;
		while ((r = ioasid_monitor_read(mon, &ev)) != -EAGAIN) {
			if (r == -EPERM && nperm) {
				ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(),
							     "not from the kernel"));
				(*nperm)++;
			}
			if (r)
				continue; /* malformed or forged: skipped */
			if (!strcmp(ev.action, action) && !strcmp(ev.devpath, devpath))
				return 1;
		}
	}
}

/* Append to the reason a live test gives for skipping. */
static void __attribute__((format(printf, 3, 4)))
add_reason(char *why, size_t size, const char *fmt, ...)
{
	size_t n = strlen(why);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why + n, size - n, fmt, ap);
	va_end(ap);
}

START_TEST(test_monitor_live)
{
	static const char *const candidates[] = {
		"/sys/devices/virtual/mem/null",
		"/sys/class/mem/null",
		"/sys/devices/virtual/mem/zero",
		"/sys/devices/virtual/tty/tty",
		"/sys/devices/virtual/misc/tun",
	};
	struct ioasid_monitor *mon = NULL;
	char real[PATH_MAX], file[PATH_MAX + 16], devpath[PATH_MAX] = "", why[512] = "";
	struct ioasid_uevent ev;
	size_t i;
	int r, fd, flags;

	r = ioasid_monitor_open(&mon);
	if (r) {
		fprintf(stderr, "SKIP: monitor_live: no uevent socket here: %s (%s)\n",
			ioasid_strerrno(r), ioasid_last_errmsg());
		return;
	}
	ck_assert_int_eq(ioasid_monitor_fd(mon, &fd), 0);
	ck_assert_int_ge(fd, 0);
	flags = fcntl(fd, F_GETFD);
	ck_assert_int_ge(flags, 0);
	ck_assert_msg(flags & FD_CLOEXEC, "monitor fd lacks FD_CLOEXEC");
	flags = fcntl(fd, F_GETFL);
	ck_assert_msg(flags & O_NONBLOCK, "monitor fd is blocking");
	drain(mon);
	ck_assert_int_eq(ioasid_monitor_read(mon, &ev), -EAGAIN);
	ck_assert_int_eq(ioasid_monitor_read(NULL, &ev), -EINVAL);
	ck_assert_int_eq(ioasid_monitor_read(mon, NULL), -EINVAL);

	/* a synthetic "add": the kernel sends it as for a real one */
	for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		ssize_t n;
		int w;

		if (!realpath(candidates[i], real) || strncmp(real, "/sys/", 5)) {
			add_reason(why, sizeof(why), " %s: %s;", candidates[i], strerror(errno));
			continue;
		}
		snprintf(file, sizeof(file), "%s/uevent", real);
		w = open(file, O_WRONLY | O_CLOEXEC);
		if (w < 0) {
			add_reason(why, sizeof(why), " %s: %s;", file, strerror(errno));
			continue;
		}
		n = write(w, "add", 3);
		if (n != 3)
			add_reason(why, sizeof(why), " writing %s: %s;", file,
				   n < 0 ? strerror(errno) : "short write");
		close(w);
		if (n == 3) {
			snprintf(devpath, sizeof(devpath), "%s", real + 4);
			break;
		}
	}
	if (!devpath[0]) {
		fprintf(stderr, "SKIP: monitor_live: cannot trigger a uevent here:%s\n", why);
		ioasid_monitor_close(mon);
		return;
	}
	ck_assert_msg(wait_event(mon, "add", devpath, 2.0, NULL),
		      "wrote 'add' to %s/uevent but no add@%s arrived within 2 s",
		      real, devpath);
	ioasid_monitor_close(mon);
}
END_TEST

/*
 * A process that may send to the uevent group (root) must still not be
 * able to pass a message off as the kernel's: the monitor refuses it.
 */
START_TEST(test_monitor_forged)
{
	static const char forged[] = "add@/devices/virtual/forged/f0\0ACTION=add\0"
				     "DEVPATH=/devices/virtual/forged/f0\0SUBSYSTEM=vfio-dev\0"
				     "DEVNAME=vfio/devices/vfio99\0SEQNUM=1";
	struct sockaddr_nl dst = { .nl_family = AF_NETLINK, .nl_pid = 0, .nl_groups = 1 };
	struct ioasid_monitor *mon = NULL;
	int r, s, nperm = 0;

	r = ioasid_monitor_open(&mon);
	if (r) {
		fprintf(stderr, "SKIP: monitor_forged: no uevent socket here: %s (%s)\n",
			ioasid_strerrno(r), ioasid_last_errmsg());
		return;
	}
	drain(mon);
	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	ck_assert_msg(s >= 0, "socket: %m");
	if (sendto(s, forged, sizeof(forged), 0, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		fprintf(stderr, "SKIP: monitor_forged: this process may not send to the uevent group (%s), so nobody here can forge\n",
			strerror(errno));
		close(s);
		ioasid_monitor_close(mon);
		return;
	}
	close(s);
	ck_assert_msg(!wait_event(mon, "add", "/devices/virtual/forged/f0", 1.0, &nperm),
		      "a forged uevent was accepted");
	ck_assert_msg(nperm >= 1, "the forged message never arrived to be refused");
	ioasid_monitor_close(mon);
}
END_TEST

START_TEST(test_monitor_args)
{
	struct ioasid_monitor *mon;
	int fd;

	ck_assert_int_eq(ioasid_monitor_open(NULL), -EINVAL);
	ck_assert_int_eq(ioasid_monitor_fd(NULL, &fd), -EINVAL);
	ioasid_monitor_close(NULL);

	/* the monitor's own allocation failing */
	mon = (struct ioasid_monitor *)1;
	ioasid_alloc_fail_nth(1);
	ck_assert_int_eq(ioasid_monitor_open(&mon), -ENOMEM);
	ioasid_alloc_fail_nth(0);
	ck_assert_ptr_null(mon);
	ck_assert_ptr_nonnull(strstr(ioasid_last_errmsg(), "out of memory"));
}
END_TEST

Suite *monitor_suite(void)
{
	Suite *s = suite_create("monitor");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_parse_recorded);
	tcase_add_test(tc, test_parse_limits);
	tcase_add_loop_test(tc, test_parse_malformed, 0,
			    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, test_parse_long_devpath);
	tcase_add_test(tc, test_parse_truncated);
	tcase_add_test(tc, test_parse_bad_args);
	tcase_add_test(tc, test_relevant);
	suite_add_tcase(s, tc);

	tc = tcase_create("host_scan");
	tcase_add_checked_fixture(tc, fake_setup, fake_teardown);
	tcase_add_test(tc, test_host_scan_fake);
	tcase_add_test(tc, test_host_scan_empty);
	tcase_add_test(tc, test_host_scan_enomem);
	tcase_add_test(tc, test_host_devices_real);
	suite_add_tcase(s, tc);

	tc = tcase_create("live");
	tcase_set_timeout(tc, 15);
	tcase_add_test(tc, test_monitor_args);
	tcase_add_test(tc, test_monitor_live);
	tcase_add_test(tc, test_monitor_forged);
	suite_add_tcase(s, tc);
	return s;
}
