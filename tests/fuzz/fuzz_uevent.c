/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: ioasid_uevent_parse() on arbitrary bytes.
 *
 * Besides "no crash, no overread" (ASan/UBSan), it checks what a caller
 * relies on: only the documented errnos come back, a refused message
 * leaves the event untouched, and an accepted one holds NUL-terminated
 * fields with an action and an absolute devpath that occur in the input.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Ilib \
 *     tests/fuzz/fuzz_uevent.c lib/linux/monitor.c lib/util/alloc.c lib/core/error.c \
 *     $(pkg-config --cflags --libs libnl-3.0) -o fuzz_uevent
 *   mkdir -p corpus && ./fuzz_uevent -max_len=4096 -max_total_time=60 corpus
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ioasid/monitor.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, size_t size)
{
	if (!memchr(s, '\0', size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ioasid_uevent ev, before;
	uint8_t *copy;
	int r;

	/* an exact-size heap copy, so that reading one byte past it is caught */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);

	memset(&ev, 0x5a, sizeof(ev));
	before = ev;
	r = ioasid_uevent_parse(copy, size, &ev);
	switch (r) {
	case 0:
		check_str(ev.action, sizeof(ev.action));
		check_str(ev.devpath, sizeof(ev.devpath));
		check_str(ev.subsystem, sizeof(ev.subsystem));
		check_str(ev.driver, sizeof(ev.driver));
		check_str(ev.devname, sizeof(ev.devname));
		check_str(ev.pci_slot, sizeof(ev.pci_slot));
		if (!ev.action[0] || ev.devpath[0] != '/')
			abort();
		if (strstr(ev.devpath, "/../") || strstr(ev.devpath, "//"))
			abort();
		/* the header holds "action@devpath" verbatim */
		if (size < strlen(ev.action) + 1 + strlen(ev.devpath) ||
		    memcmp(copy, ev.action, strlen(ev.action)) ||
		    copy[strlen(ev.action)] != '@' ||
		    memcmp(copy + strlen(ev.action) + 1, ev.devpath, strlen(ev.devpath)))
			abort();
		(void)ioasid_uevent_relevant(&ev);
		break;
	case -EINVAL:
	case -ENAMETOOLONG:
	case -ENOMSG:
		if (memcmp(&ev, &before, sizeof(ev)))
			abort();
		break;
	default:
		abort();
	}
	free(copy);
	return 0;
}
