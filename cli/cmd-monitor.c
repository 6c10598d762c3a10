/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ioasidctl monitor [--count N] [--timeout SECS] [--script FILE]: print
 * device events until SIGINT or SIGTERM (exit 0), N events, or SECS.
 *
 * Real hosts: kernel uevents (ioasid_monitor_open()), filtered with
 * ioasid_uevent_relevant(). No backend context is needed for that, so the
 * monitor also runs while no backend is usable yet — waiting for a device
 * to be bound to vfio-pci is what it is for.
 *
 * The sim has no outside event source: the monitor reports the profile's
 * devices as "present", then the hot-plug events of the sim itself
 * (ioasid_sim_set_event_cb()). With --script, the steps of a scenario file
 * (dev_add, dev_remove, ...) run on the monitored context and the monitor
 * ends when the script does; that is how the monitor is tested.
 *
 * SIGINT and SIGTERM are blocked and read from a signalfd polled with the
 * event source, so a signal is never lost between two polls.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "ioasidctl.h"
#include "scenario/scenario.h"

static const char monitor_usage[] =
	"Usage: ioasidctl [GLOBAL OPTIONS] monitor [--count N] [--timeout SECS] [--script FILE]\n"
	"  --count N       exit after N events\n"
	"  --timeout SECS  exit after SECS seconds (decimals allowed)\n"
	"  --script FILE   sim only: run FILE's steps (dev_add, dev_remove, ...) while\n"
	"                  monitoring, then exit\n";

enum { OPT_COUNT = 1, OPT_TIMEOUT, OPT_SCRIPT, OPT_HELP };

static const struct cli_opt monitor_opts[] = {
	{ "count", true, OPT_COUNT },
	{ "timeout", true, OPT_TIMEOUT },
	{ "script", true, OPT_SCRIPT },
	{ "help", false, OPT_HELP },
	{ NULL, false, 0 },
};

/* A sim device we have reported, so a "remove" can still show its BDF. */
struct known_dev {
	char name[64];
	char bdf[32];
};

struct monitor {
	bool json;
	uint64_t count;   /* 0 = no limit */
	uint64_t printed;
	struct ioasid_ctx *ctx;
	struct known_dev *devs;
	size_t nr_devs;
};

static bool limit_reached(void *data)
{
	const struct monitor *m = data;

	return m->count && m->printed >= m->count;
}

static void print_header(const struct monitor *m)
{
	if (!m->json) {
		printf("%-8s %-10s %-24s %s\n", "EVENT", "SUBSYSTEM", "DEVICE", "DETAIL");
		fflush(stdout);
	}
}

static void emit_sim(struct monitor *m, const char *event, const char *name,
		     const char *bdf)
{
	json_t *o;

	if (limit_reached(m))
		return;
	if (m->json) {
		o = json_pack("{s:s, s:s, s:s, s:s}", "event", event, "source", "sim",
			      "name", name, "bdf", bdf);
		json_print_line(stdout, o);
		json_decref(o);
	} else {
		printf("%-8s %-10s %-24s %s%s\n", event, "sim", name, *bdf ? "bdf " : "", bdf);
	}
	fflush(stdout);
	m->printed++;
}

static void known_add(struct monitor *m, const char *name, const char *bdf)
{
	struct known_dev *d;

	m->devs = xrealloc(m->devs, (m->nr_devs + 1) * sizeof(*m->devs));
	d = &m->devs[m->nr_devs++];
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
}

/* Called by the library, without the context lock, after a hot-plug. */
static void on_sim_event(void *data, struct ioasid_ctx *ctx,
			 enum ioasid_sim_event ev, const char *name)
{
	struct monitor *m = data;
	struct ioasid_dev_entry *e;
	char bdf[32] = "";
	uint32_t n, i;
	size_t j;

	if (ev == IOASID_SIM_DEV_ADDED) {
		if (!cli_dev_entries(ctx, &e, &n)) {
			for (i = 0; i < n; i++)
				if (!strcmp(e[i].name, name))
					snprintf(bdf, sizeof(bdf), "%s", e[i].bdf);
			free(e);
		}
		known_add(m, name, bdf);
		emit_sim(m, "add", name, bdf);
		return;
	}
	for (j = 0; j < m->nr_devs; j++) {
		if (!strcmp(m->devs[j].name, name)) {
			snprintf(bdf, sizeof(bdf), "%s", m->devs[j].bdf);
			m->devs[j] = m->devs[--m->nr_devs];
			break;
		}
	}
	emit_sim(m, "remove", name, bdf);
}

static void emit_uevent(struct monitor *m, const struct ioasid_uevent *ev)
{
	const char *dev, *slash;
	json_t *o;

	if (m->json) {
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "event", ev->action,
			      "source", "uevent", "subsystem", ev->subsystem,
			      "devpath", ev->devpath, "driver", ev->driver,
			      "devname", ev->devname, "pci_slot", ev->pci_slot,
			      "seqnum", (json_int_t)ev->seqnum);
		json_print_line(stdout, o);
		json_decref(o);
	} else {
		slash = strrchr(ev->devpath, '/');
		dev = *ev->devname ? ev->devname : *ev->pci_slot ? ev->pci_slot :
		      slash ? slash + 1 : ev->devpath;
		printf("%-8s %-10s %-24s %s%s%s%s\n", ev->action, ev->subsystem, dev,
		       *ev->driver ? "driver " : "", ev->driver, *ev->driver ? " " : "",
		       ev->devpath);
	}
	fflush(stdout);
	m->printed++;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds until @deadline for poll(): -1 = none, 0 = now. */
static int poll_timeout(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	if (left <= 0)
		return 0;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

/*
 * Wait for a signal, the deadline, or events on @evfd (handled by @on_ready,
 * which returns non-zero to stop with that exit code). Return an exit code.
 */
static int wait_loop(struct monitor *m, int sigfd, int evfd, int64_t deadline,
		     int (*on_ready)(struct monitor *m, void *data), void *data)
{
	struct pollfd pfd[2] = {
		{ .fd = sigfd, .events = POLLIN },
		{ .fd = evfd, .events = POLLIN },
	};
	struct signalfd_siginfo si;
	int n, rc;

	while (!limit_reached(m)) {
		n = poll(pfd, evfd >= 0 ? 2 : 1, poll_timeout(deadline));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			cli_err("monitor: poll: %s", strerror(errno));
			return CLI_EXIT_FAIL;
		}
		if (n == 0)
			return CLI_EXIT_OK; /* the deadline */
		if (pfd[0].revents & POLLIN) {
			/* SIGINT or SIGTERM: the normal way to stop */
			if (read(sigfd, &si, sizeof(si)) < 0 && errno != EAGAIN)
				cli_err("monitor: signalfd: %s", strerror(errno));
			return CLI_EXIT_OK;
		}
		if (evfd >= 0 && pfd[1].revents) {
			rc = on_ready(m, data);
			if (rc)
				return rc;
		}
	}
	return CLI_EXIT_OK;
}

static int uevents_ready(struct monitor *m, void *data)
{
	struct ioasid_monitor *mon = data;
	struct ioasid_uevent ev;
	int err;

	while (!limit_reached(m)) {
		err = ioasid_monitor_read(mon, &ev);
		if (err == -EAGAIN)
			return 0;
		/* malformed and libudev messages are skipped, not fatal */
		if (err == -EINVAL || err == -ENAMETOOLONG || err == -ENOMSG)
			continue;
		if (err) {
			cli_err("monitor: reading uevents: %s", strerror(-err));
			return CLI_EXIT_FAIL;
		}
		if (ioasid_uevent_relevant(&ev))
			emit_uevent(m, &ev);
	}
	return 0;
}

static int monitor_host(struct monitor *m, int sigfd, int64_t deadline)
{
	struct ioasid_monitor *mon = NULL;
	int err, rc, fd = -1;

	err = ioasid_monitor_open(&mon);
	if (err) {
		cli_err("monitor: cannot subscribe to kernel uevents: %s",
			*ioasid_last_errmsg() ? ioasid_last_errmsg() : strerror(-err));
		return err == -ENOMEM ? CLI_EXIT_FAIL : CLI_EXIT_UNAVAIL;
	}
	print_header(m);
	ioasid_monitor_fd(mon, &fd);
	rc = wait_loop(m, sigfd, fd, deadline, uevents_ready, mon);
	ioasid_monitor_close(mon);
	return rc;
}

static int monitor_sim(struct monitor *m, const char *spec, struct scenario *sc,
		       int sigfd, int64_t deadline)
{
	struct scenario_run_opts o = {
		.output = SCENARIO_OUT_NONE, .stop = limit_reached, .data = m,
	};
	struct ioasid_dev_entry *e = NULL;
	uint32_t n = 0, i;
	int rc, err;

	rc = cli_open_ctx(spec, &m->ctx);
	if (rc)
		return rc;
	err = ioasid_sim_set_event_cb(m->ctx, on_sim_event, m);
	if (!err)
		err = cli_dev_entries(m->ctx, &e, &n);
	if (err) {
		cli_err("monitor: %s", ioasid_ctx_errmsg(m->ctx));
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	print_header(m);
	for (i = 0; i < n; i++) {
		known_add(m, e[i].name, e[i].bdf);
		emit_sim(m, "present", e[i].name, e[i].bdf);
	}
	free(e);
	if (sc)
		rc = scenario_run(sc, m->ctx, &o);
	else
		rc = wait_loop(m, sigfd, -1, deadline, NULL, NULL);
out:
	ioasid_sim_set_event_cb(m->ctx, NULL, NULL);
	ioasid_ctx_close(m->ctx);
	return rc;
}

/* What monitor_args() returns when the command goes on. */
#define MONITOR_GO_ON (-1)

/* The options into @m, @deadline and @script; MONITOR_GO_ON or an exit code. */
static int monitor_args(struct cli_args *it, struct monitor *m, int64_t *deadline,
			const char **script)
{
	const char *val;
	double secs;
	char *end;
	int k;

	while ((k = cli_next(it, monitor_opts, &val)) != CLI_ARG_END) {
		switch (k) {
		case CLI_ARG_ERR:
			return CLI_EXIT_USAGE;
		case CLI_ARG_POS:
			return cli_usage_err("monitor: unexpected argument '%s'", val);
		case OPT_COUNT:
			errno = 0;
			m->count = strtoull(val, &end, 10);
			if (errno || *end || !*val || *val == '-' || !m->count)
				return cli_usage_err("monitor: --count '%s' is not a positive integer", val);
			break;
		case OPT_TIMEOUT:
			errno = 0;
			secs = strtod(val, &end);
			if (errno || *end || !*val || !isfinite(secs) || secs < 0 || secs > 1e9)
				return cli_usage_err("monitor: --timeout '%s' is not a number of seconds", val);
			*deadline = now_ms() + (int64_t)(secs * 1000);
			break;
		case OPT_SCRIPT:
			*script = val;
			break;
		case OPT_HELP:
			fputs(monitor_usage, stdout);
			return CLI_EXIT_OK;
		}
	}
	return MONITOR_GO_ON;
}

/*
 * Kernel uevents on a host backend. They need no backend, but a malformed
 * spec is still a usage error; an unusable backend is not (see above).
 */
static int monitor_host_spec(struct monitor *m, const char *spec, int sigfd, int64_t deadline)
{
	struct ioasid_ctx *ctx = NULL;
	int err = ioasid_ctx_open(spec, NULL, &ctx);

	ioasid_ctx_close(ctx);
	if (err && cli_exit_for_open_error(err) == CLI_EXIT_USAGE) {
		cli_err("backend %s: %s", spec, ioasid_last_errmsg());
		return CLI_EXIT_USAGE;
	}
	return monitor_host(m, sigfd, deadline);
}

int cmd_monitor(const struct cli_global *g, int argc, char **argv)
{
	struct cli_args it = { .argc = argc, .argv = argv, .cmd = "monitor" };
	struct monitor m = { .json = g->json };
	struct scenario *sc = NULL;
	const char *script = NULL;
	int64_t deadline = -1;
	sigset_t mask, old;
	char spec[512];
	int rc, sigfd;

	rc = monitor_args(&it, &m, &deadline, &script);
	if (rc != MONITOR_GO_ON)
		return rc;
	if (script) {
		rc = scenario_load(script, &sc);
		if (rc)
			return rc;
	}
	rc = cli_resolve_spec(g, sc ? scenario_backend(sc) : NULL,
			      sc ? scenario_profile(sc) : NULL, spec, sizeof(spec));
	if (!rc && sc && !cli_spec_is_sim(spec))
		rc = cli_usage_err("monitor: --script runs on the sim only, not on backend %s", spec);
	if (rc) {
		scenario_free(sc);
		return rc;
	}

	/* block first, so a signal that arrives during setup is not lost */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0) {
		cli_err("monitor: signalfd: %s", strerror(errno));
		sigprocmask(SIG_SETMASK, &old, NULL);
		scenario_free(sc);
		return CLI_EXIT_FAIL;
	}
	if (cli_spec_is_sim(spec))
		rc = monitor_sim(&m, spec, sc, sigfd, deadline);
	else
		rc = monitor_host_spec(&m, spec, sigfd, deadline);
	close(sigfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	scenario_free(sc);
	free(m.devs);
	return rc;
}
