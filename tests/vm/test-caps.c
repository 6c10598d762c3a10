// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-caps: runs in the VM under any emulated IOMMU (tests/vm/run.sh boots
 * one guest per IOMMU). It checks, for the edu device bound to vfio-pci:
 *
 *  1. the capability chain iommufd gives for it against the chain the sim
 *     gives for "sim0" under the profile that models this QEMU IOMMU
 *     (VMTEST_SIM_PROFILE: qemu-vtd, qemu-amd, qemu-virtio, qemu-smmuv3), row for row:
 *     every capability, every register and decoded field, as the text rows
 *     of ioasidctl info show them, so a field no comparison names cannot
 *     drift unseen;
 *  2. real DMA through the IOMMU: edu copies a buffer through an IOVA
 *     mapped by the library and back, and a DMA to an IOVA that is not
 *     mapped leaves the buffer alone.
 *
 * Rows the kernel shows and the sim cannot are listed as differences, not
 * skipped; the profile is what must change.
 */
#define VT_WITH_EDU
#include "vmtest.h"

#include <fcntl.h>

#include <ioasid/caps.h>

#define X(v) ((unsigned long long)(v))

struct row {
	char key[160]; /* capability name / section heading / label (+ index) */
	char value[160];
};

struct rows {
	struct row *v;
	size_t n, cap;
	const char *capname;
	unsigned int more; /* index of a MORE row within its item */
};

static int add_row(const struct ioasid_cap_row *r, void *data)
{
	struct rows *rs = data;
	struct row *e;

	if (rs->n == rs->cap) {
		size_t ncap = rs->cap ? 2 * rs->cap : 64;
		struct row *nv = realloc(rs->v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		rs->v = nv;
		rs->cap = ncap;
	}
	rs->more = (r->flags & IOASID_CAP_ROW_MORE) ? rs->more + 1 : 0;
	e = &rs->v[rs->n++];
	snprintf(e->key, sizeof(e->key), "%s/%s/%s#%u", rs->capname, r->heading ? r->heading : "",
		 r->label ? r->label : "", rs->more);
	snprintf(e->value, sizeof(e->value), "%s", r->value ? r->value : "");
	return 0;
}

/* Every row of every capability of a chain, in chain order. */
static int chain_rows(const void *buf, size_t len, struct rows *rs)
{
	uint32_t off;
	int r;

	struct ioasid_cap_header h;

	for (r = ioasid_caps_first(buf, len, 0, &off, &h); r == 0;
	     r = ioasid_caps_next(buf, len, 0, off, &off, &h)) {
		rs->capname = ioasid_cap_id_name(h.id) ? ioasid_cap_id_name(h.id) : "unknown";
		r = ioasid_caps_rows(buf, len, off, add_row, rs);
		if (r && r != -ENOENT)
			return r;
	}
	return r == -ENOENT ? 0 : r;
}

static const struct row *find(const struct rows *rs, const char *key)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (!strcmp(rs->v[i].key, key))
			return &rs->v[i];
	return NULL;
}

/*
 * The one difference QEMU under TCG shows from the profile, which models
 * QEMU under KVM as a VMM runs it: VT-d's EIM (x2APIC interrupt remapping,
 * ECAP bit 4) needs KVM's split irqchip. Accepted only when it is exactly
 * that bit: the register differs in bit 4 alone, the decoded bits in "eim".
 */
static const char *known_tcg_difference(const char *profile, const struct row *k,
					const struct row *s)
{
	static const char why[] = "EIM: QEMU offers x2APIC interrupt remapping only under KVM";
	char want[sizeof(s->value)], *p;

	if (strcmp(profile, "qemu-vtd") || !s)
		return NULL;
	if (!strcmp(k->key, "vtd/REGISTER/ecap_reg#0"))
		return (strtoull(k->value, NULL, 16) ^ strtoull(s->value, NULL, 16)) == (1ull << 4) ?
			       why :
			       NULL;
	if (!strcmp(k->key, "vtd/DECODED/bits#0")) {
		snprintf(want, sizeof(want), "%s", s->value);
		p = strstr(want, " eim");
		if (!p)
			return NULL;
		memmove(p, p + 4, strlen(p + 4) + 1);
		return !strcmp(want, k->value) ? why : NULL;
	}
	return NULL;
}

/*
 * The kernel's sysfs names both kinds of MSI window "msi" (iommu.c's
 * iommu_group_resv_type_string[]), so on the kernel the library cannot tell
 * an SMMUv3's software MSI window (IOMMU_RESV_SW_MSI) from a hardware one.
 * Accepted only when the rows are equal with the sim's "sw_msi" read as "msi".
 */
static const char *known_sysfs_difference(const struct row *k, const struct row *s)
{
	static const char why[] = "sysfs shows a software MSI window as msi";
	char want[sizeof(s->value)], *p;

	if (!s || strncmp(k->key, "resv_regions/", 13))
		return NULL;
	snprintf(want, sizeof(want), "%s", s->value);
	while ((p = strstr(want, " sw_msi")))
		memmove(p + 1, p + 4, strlen(p + 4) + 1);
	return !strcmp(want, k->value) ? why : NULL;
}

/* Is @word one of the blank-separated words of @words? */
static int has_word(const char *words, const char *word)
{
	size_t n = strlen(word);
	const char *p = words;

	while ((p = strstr(p, word))) {
		if ((p == words || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

static const char *row_value(const struct rows *rs, const char *key)
{
	const struct row *r = find(rs, key);

	return r ? r->value : "";
}

#define FEAT_PRESENT "features/CAPABILITY/features#0"
#define FEAT_ABSENT "features/CAPABILITY/absent#0"
#define FEAT_UNKNOWN "features/CAPABILITY/not known#0"

/*
 * The feature rows: the features present must be the same; a feature the
 * kernel says is absent the sim must say is absent; and a feature the sim
 * says is absent the kernel may leave "not known" (the library cannot ask
 * the kernel whether, say, a virtio-iommu or AMD IOMMU stalls), but not
 * claim. Returns the number of differences.
 */
static size_t compare_features(const char *profile, const struct rows *k, const struct rows *s)
{
	const char *kp = row_value(k, FEAT_PRESENT), *sp = row_value(s, FEAT_PRESENT);
	const char *ka = row_value(k, FEAT_ABSENT), *sa = row_value(s, FEAT_ABSENT);
	const char *ku = row_value(k, FEAT_UNKNOWN);
	char w[64];
	const char *p;
	size_t diffs = 0;
	int n;

	if (strcmp(kp, sp)) {
		vt_report(0, "caps features: kernel \"%s\", sim %s \"%s\"", kp, profile, sp);
		diffs++;
	}
	for (p = ka; sscanf(p, " %63s%n", w, &n) == 1; p += n)
		if (!has_word(sa, w)) {
			vt_report(0, "caps feature %s: absent on the kernel, not on sim %s", w,
				  profile);
			diffs++;
		}
	for (p = sa; sscanf(p, " %63s%n", w, &n) == 1; p += n) {
		if (has_word(ka, w))
			continue;
		if (has_word(ku, w)) {
			printf("# feature %s: absent on sim %s, not known to the library on the kernel\n",
			       w, profile);
			continue;
		}
		vt_report(0, "caps feature %s: absent on sim %s, not on the kernel", w, profile);
		diffs++;
	}
	return diffs;
}

/*
 * A vendor capability the kernel cannot show: it gives user space no
 * virtio-iommu data (IOMMU_GET_HW_INFO answers type NONE), so the sim's
 * virtio_iommu rows have nothing to be compared with.
 */
static int kernel_cannot_show(const struct rows *k, const char *key)
{
	size_t i;

	if (strncmp(key, "virtio_iommu/", 13))
		return 0;
	for (i = 0; i < k->n; i++)
		if (!strncmp(k->v[i].key, "virtio_iommu/", 13))
			return 0;
	return 1;
}

static void compare_chains(const char *profile, const void *kc, size_t klen, const void *sc,
			   size_t slen)
{
	struct rows k = { 0 }, s = { 0 };
	size_t i, diffs;
	int r;

	r = chain_rows(kc, klen, &k);
	if (!VT_TRUE(r == 0, "rows of the kernel's chain: %s", ioasid_strerrno(r)))
		goto out;
	r = chain_rows(sc, slen, &s);
	if (!VT_TRUE(r == 0, "rows of the sim's chain: %s", ioasid_strerrno(r)))
		goto out;
	diffs = compare_features(profile, &k, &s);
	for (i = 0; i < k.n; i++) {
		const struct row *o = find(&s, k.v[i].key);
		const char *why;

		if (!strncmp(k.v[i].key, "features/CAPABILITY/", 20))
			continue;

		if (o && !strcmp(o->value, k.v[i].value))
			continue;
		why = known_tcg_difference(profile, &k.v[i], o);
		if (!why)
			why = known_sysfs_difference(&k.v[i], o);
		if (why) {
			printf("# %s: kernel \"%s\", sim \"%s\" (%s)\n", k.v[i].key, k.v[i].value,
			       o ? o->value : "(none)", why);
			continue;
		}
		vt_report(0, "caps %s: kernel \"%s\", sim %s \"%s\"", k.v[i].key, k.v[i].value,
			  profile, o ? o->value : "(no such row)");
		diffs++;
	}
	for (i = 0; i < s.n; i++) {
		if (find(&k, s.v[i].key) || !strncmp(s.v[i].key, "features/CAPABILITY/", 20))
			continue;
		if (kernel_cannot_show(&k, s.v[i].key)) {
			printf("# %s: sim \"%s\"; the kernel gives user space no virtio-iommu data\n",
			       s.v[i].key, s.v[i].value);
			continue;
		}
		vt_report(0, "caps %s: the sim %s shows \"%s\", the kernel has no such row",
			  s.v[i].key, profile, s.v[i].value);
		diffs++;
	}
	vt_report(diffs == 0, "the kernel's chain of edu (%zu rows) equals sim %s's (%zu rows)",
		  k.n, profile, s.n);
out:
	free(k.v);
	free(s.v);
}

/* edu copies a pattern out through IOVA @iova and back in through @iova2. */
static void dma_through(struct ioasid_ctx *ctx, const char *cdev)
{
	const size_t pg = (size_t)sysconf(_SC_PAGESIZE), xfer = 2048;
	uint8_t *buf = vt_mem(4 * pg);
	uint64_t iova = 0x100000, iova2 = 0x200000;
	uint32_t d, a;
	struct edu e;
	int fd, r;
	size_t i;

	for (i = 0; i < xfer; i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	if (!VT_OK(ctx, ioasid_dev_bind(ctx, cdev, &d)))
		return;
	VT_OK(ctx, ioasid_ioas_alloc(ctx, &a));
	VT_OK(ctx, ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, a, NULL));
	VT_OK(ctx,
	      ioasid_ioas_map(ctx, a, buf, pg,
			      IOASID_MAP_FIXED_IOVA | IOASID_MAP_READ | IOASID_MAP_WRITE, &iova));
	VT_OK(ctx,
	      ioasid_ioas_map(ctx, a, buf + 2 * pg, pg,
			      IOASID_MAP_FIXED_IOVA | IOASID_MAP_READ | IOASID_MAP_WRITE, &iova2));
	r = ioasid_dev_fd(ctx, d, &fd);
	if (!VT_TRUE(r == 0 && edu_open(&e, fd) == 0, "edu's registers through the device fd"))
		goto out;
	/* RAM (iova) -> edu buffer -> RAM (iova2) */
	r = edu_dma(&e, iova, EDU_BUF, xfer, 0);
	if (!r)
		r = edu_dma(&e, EDU_BUF, iova2, xfer, 1);
	VT_TRUE(r == 0 && !memcmp(buf, buf + 2 * pg, xfer),
		"edu copied %zu bytes through IOVAs 0x%llx and 0x%llx (%s)", xfer, X(iova),
		X(iova2), ioasid_strerrno(r));
	/* unmapped: the write is blocked by the IOMMU, the buffer keeps its bytes */
	VT_OK(ctx, ioasid_ioas_unmap(ctx, a, iova2, pg, NULL));
	memset(buf + 2 * pg, 0xa5, xfer);
	edu_dma(&e, EDU_BUF, iova2, xfer, 1);
	for (i = 0; i < xfer && buf[2 * pg + i] == 0xa5; i++)
		;
	VT_TRUE(i == xfer, "a DMA to the unmapped IOVA 0x%llx changed nothing in the buffer",
		X(iova2));
out:
	VT_OK(ctx, ioasid_dev_detach(ctx, d, IOASID_PASID_NONE));
	VT_OK(ctx, ioasid_dev_unbind(ctx, d));
	munmap(buf, 4 * pg);
}

int main(void)
{
	const char *cdev = getenv("VMTEST_VFIO_CDEV");
	const char *profile = getenv("VMTEST_SIM_PROFILE");
	const char *iommu = getenv("VMTEST_IOMMU");
	struct ioasid_ctx *ctx = NULL, *sim = NULL;
	static uint8_t kc[8192], sc[8192];
	size_t klen = 0, slen = 0;
	char spec[96];
	uint32_t d, sd;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!cdev || !profile) {
		vt_skip("no edu device (VMTEST_VFIO_CDEV) or no VMTEST_SIM_PROFILE");
		return vt_done("caps");
	}
	printf("# iommu %s: edu %s against sim:%s\n", iommu ? iommu : "?", cdev, profile);
	r = ioasid_ctx_open("iommufd", NULL, &ctx);
	if (!VT_TRUE(r == 0, "open iommufd: %s", r ? ioasid_last_errmsg() : "ok"))
		return vt_done("caps");
	snprintf(spec, sizeof(spec), "sim:%s", profile);
	r = ioasid_ctx_open(spec, NULL, &sim);
	if (!VT_TRUE(r == 0, "open %s: %s", spec, r ? ioasid_last_errmsg() : "ok"))
		goto out;
	if (VT_OK(ctx, ioasid_dev_bind(ctx, cdev, &d)) &&
	    VT_OK(ctx, ioasid_dev_info(ctx, d, kc, sizeof(kc), &klen)) &&
	    VT_OK(sim, ioasid_dev_bind(sim, "sim0", &sd)) &&
	    VT_OK(sim, ioasid_dev_info(sim, sd, sc, sizeof(sc), &slen))) {
		VT_TRUE(ioasid_caps_validate(kc, klen, 0) == 0,
			"the kernel's chain is valid (%zu bytes)", klen);
		compare_chains(profile, kc, klen, sc, slen);
		VT_OK(ctx, ioasid_dev_unbind(ctx, d));
	}
	dma_through(ctx, cdev);
out:
	ioasid_ctx_close(sim);
	ioasid_ctx_close(ctx);
	return vt_done("caps");
}
