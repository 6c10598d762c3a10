/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Linked into a build of ioasidctl (tests/vm/run.sh: ioasidctl-fake), this
 * puts the fake kernel behind every iommufd context the program opens, so
 * that the scenario files the VM runs on the real kernel run on the fake
 * as well, and the two outputs can be compared step for step (issue 17:
 * the fake is checked against the kernel by the same scenarios).
 *
 * The devices are the fake's: bind "/dev/null", "/dev/zero" or "/dev/full"
 * (FK_MAX_DEVS cdevs described by the fake's sysfs tree); the context is
 * "iommufd:/dev/null". FK_CLI_NESTING in the environment gives the fake
 * IOMMU nesting (the ECAP bits of FK_VTD_ECAP_NESTING).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <check.h>

#include "backend/iommufd/iommufd-private.h"
#include "fk.h"

/*
 * The fake checks its own invariants with check's assertions, made for a
 * running test; here no test runs, so they are answered here: a passing
 * one is nothing, a failing one ends the program with its message.
 */
void _mark_point(const char *file, int line)
{
	(void)file;
	(void)line;
}

void _ck_assert_failed(const char *file, int line, const char *expr, const char *msg, ...)
{
	va_list ap;

	fprintf(stderr, "fake kernel: %s:%d: %s", file, line, expr);
	if (msg) {
		fputs(": ", stderr);
		va_start(ap, msg);
		vfprintf(stderr, msg, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
	abort();
}

static struct fk fake;

__attribute__((constructor)) static void fk_cli_start(void)
{
	fk_init(&fake);
	/*
	 * tests/scenarios/fake/ asks for an IOMMU that nests (the vIOMMU
	 * scenarios need nest parents); the VM's differential never does.
	 */
	if (getenv("FK_CLI_NESTING"))
		fake.ecap = FK_VTD_ECAP_NESTING;
	fk_sysfs();
	/* the VM's QEMU VT-d shows its registers: no PASIDs, as the kernel says */
	fk_sysfs_iommu(FK_VTD_CAP, fake.ecap);
	iommufd_set_open_any_node(true);
	iommufd_set_test_defaults(fk_ioctl, &fake, fk_fault_io, &fake, fk_sysfs_root());
}

__attribute__((destructor)) static void fk_cli_stop(void)
{
	fk_sysfs_rm();
}
