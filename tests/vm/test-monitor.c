/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Device events in the VM: the monitor (and, when it is built, `ioasidctl
 * monitor`) sees edu unbound from vfio-pci and bound again, with its VFIO
 * cdev going and coming back. Runs last: it changes the device's binding.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "vmtest.h"

static int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Read events for up to @ms; record what we were looking for. */
static void collect(struct ioasid_monitor *mon, int ms, const char *bdf, int *pci_unbind,
		    int *pci_bind, int *cdev_remove, int *cdev_add)
{
	struct pollfd p = { .fd = -1, .events = POLLIN };
	uint64_t end = vt_now_ns() + (uint64_t)ms * 1000000ull;
	struct ioasid_uevent ev;

	ioasid_monitor_fd(mon, &p.fd);

	while (vt_now_ns() < end) {
		if (poll(&p, 1, 50) <= 0)
			continue;
		while (ioasid_monitor_read(mon, &ev) != -EAGAIN) {
			if (!ev.action[0])
				continue;
			printf("# uevent %s %s subsystem=%s driver=%s devname=%s relevant=%d\n", ev.action,
			       ev.devpath, ev.subsystem, ev.driver, ev.devname,
			       ioasid_uevent_relevant(&ev));
			if (!strcmp(ev.subsystem, "pci") && strstr(ev.devpath, bdf)) {
				*pci_unbind |= !strcmp(ev.action, "unbind");
				*pci_bind |= !strcmp(ev.action, "bind") && !strcmp(ev.driver, "vfio-pci");
			}
			if (!strcmp(ev.subsystem, "vfio-dev") && strstr(ev.devpath, bdf)) {
				*cdev_remove |= !strcmp(ev.action, "remove");
				*cdev_add |= !strcmp(ev.action, "add");
			}
			memset(&ev, 0, sizeof(ev));
		}
	}
}

int main(void)
{
	const char *bdf = getenv("VMTEST_PCI_BDF");
	const char *cli = getenv("CLI");
	struct ioasid_monitor *mon = NULL;
	int unb = 0, bnd = 0, crm = 0, cad = 0, r, pipefd[2] = { -1, -1 };
	pid_t child = -1;
	char path[128];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!bdf) {
		vt_skip("no edu device");
		return vt_done("monitor");
	}
	r = ioasid_monitor_open(&mon);
	if (!VT_TRUE(r == 0, "monitor opens (kernel with CONFIG_NET): %s", r ? ioasid_last_errmsg() : "ok"))
		return vt_done("monitor");
	/* ioasidctl monitor alongside, when the CLI is there */
	if (cli && access(cli, X_OK) == 0 && pipe(pipefd) == 0) {
		child = fork();
		if (child == 0) {
			dup2(pipefd[1], 1);
			close(pipefd[0]);
			execl(cli, cli, "monitor", (char *)NULL);
			_exit(127);
		}
		close(pipefd[1]);
		usleep(300000);
	}
	r = sysfs_write("/sys/bus/pci/drivers/vfio-pci/unbind", bdf);
	VT_TRUE(r == 0, "unbind %s from vfio-pci (%s)", bdf, ioasid_strerrno(r));
	collect(mon, 1500, bdf, &unb, &bnd, &crm, &cad);
	VT_TRUE(unb, "the monitor saw the PCI unbind of %s", bdf);
	VT_TRUE(crm, "the monitor saw its VFIO cdev removed");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	sysfs_write(path, "vfio-pci");
	r = sysfs_write("/sys/bus/pci/drivers_probe", bdf);
	VT_TRUE(r == 0, "rebind %s to vfio-pci (%s)", bdf, ioasid_strerrno(r));
	collect(mon, 1500, bdf, &unb, &bnd, &crm, &cad);
	VT_TRUE(bnd, "the monitor saw the bind of %s to vfio-pci", bdf);
	VT_TRUE(cad, "the monitor saw its VFIO cdev added");
	ioasid_monitor_close(mon);
	if (child > 0) {
		char out[8192];
		ssize_t n, got = 0;
		int st = 0;

		kill(child, SIGTERM);
		while ((n = read(pipefd[0], out + got, sizeof(out) - 1 - got)) > 0)
			got += n;
		out[got] = '\0';
		waitpid(child, &st, 0);
		printf("# ioasidctl monitor said:\n%s", out);
		VT_TRUE(strstr(out, bdf) && strstr(out, "unbind"),
			"ioasidctl monitor reported the unbind of %s", bdf);
		VT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0, "ioasidctl monitor ends with 0 on SIGTERM (%d)", st);
		close(pipefd[0]);
	} else {
		vt_skip("ioasidctl not built: only the library's monitor was checked");
	}
	return vt_done("monitor");
}
