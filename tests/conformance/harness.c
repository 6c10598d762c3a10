// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The conformance suite's runner: reads the table (table.c), runs each case
 * in a child process against a fresh context of the backend it was given,
 * prints one line per case and the counts (docs/conformance.md).
 *
 *   conformance [--backend SPEC] [--viommu-backend SPEC] [--role ROLE=NAME]... [--list] [-v]
 *               [PATTERN...]
 *
 * The vIOMMU rows open --viommu-backend (default: --backend if given, else
 * the sim on tests/conformance/iommufd-mock-smmuv3.json).
 *
 * Exit: 0 when no case failed and no expected failure passed, 1 otherwise,
 * 2 usage.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cf.h"

size_t cf_page;

static const char *const role_names[CF_NR_ROLES] = {
	[CF_DEV] = "dev",
	[CF_DEV2] = "dev2",
	[CF_DEV3] = "dev3",
	[CF_DEV_PASID] = "dev_pasid",
	[CF_DEV_NODIRTY] = "dev_nodirty",
	[CF_DEV_PASID_NODIRTY] = "dev_pasid_nodirty",
};

/*
 * The devices of each backend. On the sim, the profile
 * tests/conformance/iommufd-mock.json (sim0 with PASIDs, sim1..3 without);
 * its IOMMU tracks dirty pages for every device, so there is no device
 * without. In the VM, the kernel's mock devices: a name with options makes
 * another device (lib/backend/iommufd/selftest.c), "iommufd-selftest:" is a
 * plain one distinct from "iommufd-selftest", and the third plain device
 * is a PASID-capable one used without PASIDs, named apart from dev_pasid
 * by a repeated option (both can be bound in one context).
 */
static const char *const sim_roles[CF_NR_ROLES] = {
	[CF_DEV] = "sim1",
	[CF_DEV2] = "sim2",
	[CF_DEV3] = "sim3",
	[CF_DEV_PASID] = "sim0",
};
static const char *const mock_roles[CF_NR_ROLES] = {
	[CF_DEV] = "iommufd-selftest",
	[CF_DEV2] = "iommufd-selftest:",
	[CF_DEV3] = "iommufd-selftest:pasid,pasid",
	[CF_DEV_PASID] = "iommufd-selftest:pasid",
	[CF_DEV_NODIRTY] = "iommufd-selftest:nodirty",
	[CF_DEV_PASID_NODIRTY] = "iommufd-selftest:pasid,nodirty",
};

/* Result classes; a child's exit status is one of them. */
enum cf_result {
	R_PASS,
	R_STRICT,
	R_XFAIL,
	R_FAIL,
	R_XPASS,
	R_WAIT,
	R_NA,
	R_UNAVAIL,
	R_NR
};
static const char *const result_tag[R_NR] = { "PASS",  "PASS-STRICTER", "XFAIL", "FAIL",
					      "XPASS", "WAITING",       "N/A",   "UNAVAILABLE" };

static const char *const status_name[] = {
	[CF_RUN] = "run",
	[CF_STRICTER] = "stricter",
	[CF_XFAIL] = "expected-fail",
	[CF_WAITING] = "waiting",
	[CF_NA] = "n/a",
};

static void case_name(const struct cf_case *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s.%s%s%s", c->fixture, c->variant[0] ? "." : "", c->variant,
		 c->test, c->part[0] ? "." : "", c->part);
}

/* Is deviation @id (NULL: any) of row @c expected on @backend? */
static bool xfail_expected(const struct cf_case *c, const char *backend, const char *id)
{
	const char *p = c->why;

	if (c->status != CF_XFAIL)
		return false;
	while (p && *p) {
		size_t n = strcspn(p, " "), idn = strcspn(p, "@ ");
		bool here = idn == n || (!strncmp(p + idn + 1, backend, n - idn - 1) &&
					 strlen(backend) == n - idn - 1);

		if (here && (!id || (strlen(id) == idn && !strncmp(p, id, idn))))
			return true;
		p += n;
		p += strspn(p, " ");
	}
	return false;
}

static bool has_token(const char *list, const char *tok)
{
	size_t n = strlen(tok);
	const char *p = list;

	while ((p = strstr(p, tok))) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '@' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

/*
 * The expected deviations of row @c on @backend that did not show in
 * @shown, space-separated into @buf; "" when all did.
 */
static void not_shown(const struct cf_case *c, const char *backend, const char *shown, char *buf,
		      size_t len)
{
	const char *p = c->why;

	buf[0] = '\0';
	while (c->status == CF_XFAIL && p && *p) {
		size_t n = strcspn(p, " "), idn = strcspn(p, "@ ");
		char id[64];

		snprintf(id, sizeof(id), "%.*s", (int)idn, p);
		if (xfail_expected(c, backend, id) && !has_token(shown, id))
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? " " : "",
				 id);
		p += n;
		p += strspn(p, " ");
	}
}

void cf_pass(struct cf_t *t)
{
	t->checks++;
}

void cf_fail(struct cf_t *t, const char *dev_id, const char *file, int line, const char *fmt, ...)
{
	bool soft = dev_id && xfail_expected(t->c, t->env->backend, dev_id);
	char msg[400];
	va_list ap;

	t->checks++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (t->env->verbose || !soft)
		printf("#   %s%s:%d: %s%s%s\n", soft ? "(expected) " : "",
		       strrchr(file, '/') ? strrchr(file, '/') + 1 : file, line, msg,
		       dev_id ? " — deviation " : "", dev_id ? dev_id : "");
	if (soft) {
		t->soft++;
		if (!has_token(t->shown, dev_id))
			snprintf(t->shown + strlen(t->shown), sizeof(t->shown) - strlen(t->shown),
				 "%s%s", t->shown[0] ? " " : "", dev_id);
		return;
	}
	t->hard++;
	longjmp(t->abort, 1);
}

int cf_ret_(struct cf_t *t, const char *dev_id, int got, int want, const char *expr,
	    const char *file, int line)
{
	if (got == want) {
		cf_pass(t);
		return 1;
	}
	/* a call that succeeded left no message of its own: do not show a stale one */
	cf_fail(t, dev_id, file, line, "%s == %s: got %s%s%s%s", expr, ioasid_strerrno(want),
		ioasid_strerrno(got), got ? " (" : "",
		got ? (t->ctx ? ioasid_ctx_errmsg(t->ctx) : ioasid_last_errmsg()) : "",
		got ? ")" : "");
	return 0;
}

/* What of the case's needs this environment lacks, or NULL. */
static const char *missing_need(const struct cf_env *env, const struct cf_case *c)
{
	static char buf[64];
	int r;

	for (r = 0; r < CF_NR_ROLES; r++)
		if ((c->needs & CF_NEED_ROLE(r)) && !env->role[r]) {
			snprintf(buf, sizeof(buf), "no %s device here", role_names[r]);
			return buf;
		}
	if ((c->needs & CF_NEED_NESTING) && !cf_oracle.nesting)
		return "no nested stage-1 format of the API here";
	if ((c->needs & CF_NEED_IOPF) && !cf_oracle.iopf)
		return "no way to raise a page request here";
	if ((c->needs & CF_NEED_DIRTY) && !cf_oracle.dirty)
		return "no way to dirty pages here";
	if ((c->needs & CF_NEED_DMABUF) && !cf_oracle.dmabuf_get)
		return "no dma-buf here (the sim imports none; the kernel's selftest makes one)";
	if ((c->needs & CF_NEED_VIOMMU) && !cf_oracle.viommu)
		return "no vIOMMU objects here";
	if ((c->needs & CF_NEED_VIOMMU_DATA) && !cf_oracle.viommu_data)
		return "no vIOMMU data echo or driver page here (the test driver's; an SMMUv3 "
		       "vIOMMU takes no data, and the sim models no Tegra241 CMDQV)";
	if ((c->needs & CF_NEED_HW_QUEUE) && !cf_oracle.hw_queue)
		return "no HW queues here (the test driver's; on an SMMUv3 only Tegra241 CMDQV "
		       "has them, which the sim does not model)";
	if ((c->needs & CF_NEED_VDEV_CACHE) && !cf_oracle.dev_cache_is)
		return "no per-device cache of the test driver's here (SMMUv3 invalidation "
		       "answers and batches differently: docs/conformance.md)";
	if ((c->needs & CF_NEED_HUGE_IOPTE) && !cf_oracle.huge_iopte)
		return "no way to have huge IOPTEs here (the mock's huge table is driver data of a "
		       "paging HWPT, which the API cannot pass)";
	return NULL;
}

static void free_case(struct cf_t *t)
{
	unsigned int i;

	if (cf_oracle.end)
		cf_oracle.end(t);
	ioasid_ctx_close(t->ctx);
	t->ctx = NULL;
	for (i = 0; i < 16; i++)
		if (t->mem[i])
			cf_mem_unmap(t, t->mem[i], t->mem_len[i]);
}

/* The body of the child: one case. */
static enum cf_result run_one(const struct cf_env *env, const struct cf_case *c)
{
	struct ioasid_ctx_opts opts = IOASID_OPTS_INIT(ioasid_ctx_opts);
	const char *spec;
	char gone[256];
	struct cf_t t;
	int err;

	memset(&t, 0, sizeof(t));
	t.c = c;
	t.env = env;
	/* the selftest runs as root, exempt from RLIMIT_MEMLOCK: no limit here either */
	opts.pinned_limit = UINT64_MAX;
	spec = (c->needs & CF_NEED_VIOMMU) ? env->spec_viommu : env->spec;
	err = ioasid_ctx_open(spec, &opts, &t.ctx);
	if (err) {
		printf("#   ioasid_ctx_open(%s): %s: %s\n", spec, ioasid_strerrno(err),
		       ioasid_last_errmsg());
		return R_FAIL;
	}
	if (!setjmp(t.abort))
		c->fn(&t);
	free_case(&t);
	if (env->verbose)
		printf("#   %u checks\n", t.checks);
	if (t.hard)
		return R_FAIL;
	not_shown(c, env->backend, t.shown, gone, sizeof(gone));
	if (gone[0]) {
		printf("#   expected deviation(s) not shown on %s: %s — remove them from the row\n",
		       env->backend, gone);
		return R_XPASS;
	}
	if (t.soft) {
		printf("#   deviation(s) shown: %s\n", t.shown);
		return R_XFAIL;
	}
	return c->status == CF_STRICTER ? R_STRICT : R_PASS;
}

static enum cf_result run_case(const struct cf_env *env, const struct cf_case *c)
{
	const char *miss;
	int status;
	pid_t pid;

	if (c->status == CF_WAITING)
		return R_WAIT;
	if (c->status == CF_NA)
		return R_NA;
	miss = missing_need(env, c);
	if (miss)
		return R_UNAVAIL;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return R_FAIL;
	}
	if (!pid) {
		enum cf_result r = run_one(env, c);

		fflush(stdout);
		exit((int)r);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) >= R_NR) {
		printf("#   the case's process ended abnormally (status 0x%x)\n", status);
		return R_FAIL;
	}
	return (enum cf_result)WEXITSTATUS(status);
}

static void list_cases(void)
{
	unsigned int i;
	int r;

	printf("# name\tfixture\tvariant\ttest\tneeds\tstatus\twhy\n");
	for (i = 0; i < cf_nr_cases; i++) {
		const struct cf_case *c = &cf_cases[i];
		char name[160], needs[160] = "";

		case_name(c, name, sizeof(name));
		for (r = 0; r < CF_NR_ROLES; r++)
			if (c->needs & CF_NEED_ROLE(r))
				snprintf(needs + strlen(needs), sizeof(needs) - strlen(needs),
					 "%s%s", needs[0] ? "," : "", role_names[r]);
		if (c->needs & CF_NEED_NESTING)
			strcat(needs, needs[0] ? ",nesting" : "nesting");
		if (c->needs & CF_NEED_IOPF)
			strcat(needs, needs[0] ? ",iopf" : "iopf");
		if (c->needs & CF_NEED_DIRTY)
			strcat(needs, needs[0] ? ",dirty" : "dirty");
		if (c->needs & CF_NEED_HUGE_IOPTE)
			strcat(needs, needs[0] ? ",huge_iopte" : "huge_iopte");
		if (c->needs & CF_NEED_DMABUF)
			strcat(needs, needs[0] ? ",dmabuf" : "dmabuf");
		if (c->needs & CF_NEED_VIOMMU)
			strcat(needs, needs[0] ? ",viommu" : "viommu");
		if (c->needs & CF_NEED_VIOMMU_DATA)
			strcat(needs, needs[0] ? ",viommu_data" : "viommu_data");
		if (c->needs & CF_NEED_HW_QUEUE)
			strcat(needs, needs[0] ? ",hw_queue" : "hw_queue");
		if (c->needs & CF_NEED_VDEV_CACHE)
			strcat(needs, needs[0] ? ",vdev_cache" : "vdev_cache");
		printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, c->fixture,
		       c->variant[0] ? c->variant : "-", c->test, needs[0] ? needs : "-",
		       status_name[c->status], c->why && c->why[0] ? c->why : "-");
	}
}

static int set_role(struct cf_env *env, const char *arg)
{
	const char *eq = strchr(arg, '=');
	int r;

	for (r = 0; eq && r < CF_NR_ROLES; r++)
		if (strlen(role_names[r]) == (size_t)(eq - arg) &&
		    !strncmp(arg, role_names[r], eq - arg)) {
			env->role[r] = eq[1] ? eq + 1 : NULL;
			return 0;
		}
	fprintf(stderr,
		"conformance: --role %s: ROLE=NAME with ROLE one of dev, dev2, dev3, "
		"dev_pasid, dev_nodirty, dev_pasid_nodirty (an empty NAME: none)\n",
		arg);
	return -1;
}

/*
 * The default backend: the sim on the profile that mirrors the kernel's
 * mock IOMMU; for the vIOMMU rows, the same on the sim's SMMUv3 model
 * (@viommu), whose vIOMMU stands in for the test driver's.
 */
static const char *default_spec(bool viommu)
{
	static char spec[2][4096];
	const char *top = getenv("top_srcdir");

	snprintf(spec[viommu], sizeof(spec[viommu]), "sim:%s/tests/conformance/iommufd-mock%s.json",
		 top ? top : ".", viommu ? "-smmuv3" : "");
	return spec[viommu];
}

static bool selected(const struct cf_case *c, char **pat, int npat)
{
	char name[160];
	int i;

	if (!npat)
		return true;
	case_name(c, name, sizeof(name));
	for (i = 0; i < npat; i++)
		if (strstr(name, pat[i]))
			return true;
	return false;
}

static void summary(const struct cf_env *env, const unsigned int *n, unsigned int total)
{
	printf("# conformance on %s (oracle %s): %u cases: %u pass (%u of them stricter on purpose), "
	       "%u expected-fail, %u fail, %u xpass, %u waiting, %u n/a, %u unavailable here\n",
	       env->spec, cf_oracle.name, total, n[R_PASS] + n[R_STRICT], n[R_STRICT], n[R_XFAIL],
	       n[R_FAIL], n[R_XPASS], n[R_WAIT], n[R_NA], n[R_UNAVAIL]);
}

int main(int argc, char **argv)
{
	struct cf_env env = { .spec = NULL };
	unsigned int n[R_NR] = { 0 }, total = 0, i;
	bool roles_given[CF_NR_ROLES] = { false };
	int a, npat = 0, r;
	char **pat = calloc((size_t)argc, sizeof(char *));

	cf_page = (size_t)sysconf(_SC_PAGESIZE);
	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--backend") && a + 1 < argc) {
			env.spec = argv[++a];
		} else if (!strcmp(argv[a], "--viommu-backend") && a + 1 < argc) {
			env.spec_viommu = argv[++a];
		} else if (!strcmp(argv[a], "--role") && a + 1 < argc) {
			const char *eq = strchr(argv[a + 1], '=');

			if (set_role(&env, argv[++a]))
				goto usage;
			for (r = 0; r < CF_NR_ROLES; r++)
				if (eq && !strncmp(argv[a], role_names[r], eq - argv[a]) &&
				    strlen(role_names[r]) == (size_t)(eq - argv[a]))
					roles_given[r] = true;
		} else if (!strcmp(argv[a], "--list")) {
			list_cases();
			free(pat);
			return 0;
		} else if (!strcmp(argv[a], "-v")) {
			env.verbose = 1;
		} else if (argv[a][0] == '-') {
			goto usage;
		} else {
			pat[npat++] = argv[a];
		}
	}
	if (!env.spec_viommu)
		env.spec_viommu = env.spec ? env.spec : default_spec(true);
	if (!env.spec)
		env.spec = default_spec(false);
	env.backend = !strncmp(env.spec, "sim", 3) ? "sim" : "iommufd";
	for (r = 0; r < CF_NR_ROLES; r++)
		if (!roles_given[r])
			env.role[r] = !strcmp(env.backend, "sim") ? sim_roles[r] : mock_roles[r];

	printf("# conformance: the kernel's iommufd selftest through libioasid, on %s\n", env.spec);
	if (strcmp(env.spec, env.spec_viommu))
		printf("# the vIOMMU rows on %s\n", env.spec_viommu);
	for (i = 0; i < cf_nr_cases; i++) {
		const struct cf_case *c = &cf_cases[i];
		enum cf_result res;
		char name[160];

		if (!selected(c, pat, npat))
			continue;
		case_name(c, name, sizeof(name));
		res = run_case(&env, c);
		n[res]++;
		total++;
		if (res == R_UNAVAIL)
			printf("%-13s %s [%s]\n", result_tag[res], name, missing_need(&env, c));
		else
			printf("%-13s %s%s%s%s\n", result_tag[res], name,
			       c->why && c->why[0] && res != R_PASS ? " [" : "",
			       c->why && c->why[0] && res != R_PASS ? c->why : "",
			       c->why && c->why[0] && res != R_PASS ? "]" : "");
		fflush(stdout);
	}
	summary(&env, n, total);
	free(pat);
	return n[R_FAIL] || n[R_XPASS] ? 1 : 0;
usage:
	fprintf(stderr, "usage: conformance [--backend SPEC] [--viommu-backend SPEC] "
			"[--role ROLE=NAME]... [--list] [-v] [PATTERN...]\n");
	free(pat);
	return 2;
}
