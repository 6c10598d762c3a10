/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writes real dumps into DIR for tests/tools/check-json-schema.py: for
 * every built-in profile, a context with sets, PASIDs, address spaces with
 * mappings and every device bound (the first attached), each object on its
 * own, and each device's capability chain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ioasid/ioasid.h>

static int write_doc(const char *dir, const char *profile, const char *what, char *doc)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s-%s.json", dir, profile, what);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return -1;
	}
	fputs(doc, f);
	fclose(f);
	ioasid_json_free(doc);
	return 0;
}

#define CHECK(call)                                                              \
	do {                                                                     \
		int __r = (call);                                                \
		if (__r) {                                                       \
			fprintf(stderr, "%s: %s: %s\n", #call, ioasid_strerrno(__r), \
				ctx ? ioasid_ctx_errmsg(ctx) : ioasid_last_errmsg()); \
			return 1;                                                \
		}                                                                \
	} while (0)

static int dump_profile(const char *dir, const char *profile, void *mem)
{
	struct ioasid_ctx *ctx = NULL;
	struct ioasid_dev_entry devs[16];
	uint32_t ndev = 16, ioas, set, dev0 = 0, i, pasid;
	uint64_t io = 0x100000;
	char spec[64], *doc, what[64];
	size_t len = 0;
	void *caps;

	snprintf(spec, sizeof(spec), "sim:%s", profile);
	CHECK(ioasid_ctx_open(spec, NULL, &ctx));
	ioasid_ctx_set_pinned_limit(ctx, UINT64_MAX);
	{
		struct ioasid_set_opts so = { .sz = sizeof(struct ioasid_set_opts), .owner = 0x1234, .max_pasids = 4, .max_ioas = 2 };
		if (ioasid_set_alloc(ctx, &so, &set)) {
			so.max_pasids = 0; /* an IOMMU without PASIDs */
			CHECK(ioasid_set_alloc(ctx, &so, &set));
		}
	}
	CHECK(ioasid_set_ioas_alloc(ctx, set, &ioas));
	CHECK(ioasid_ioas_map(ctx, ioas, mem, 0x4000,
			      IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA, &io));
	CHECK(ioasid_ioas_map(ctx, ioas, mem, 0x1000, IOASID_MAP_READ, &io));
	{
		/* a file area: its dump carries a "backing" object */
		struct ioasid_map_file_opts fo = { .sz = sizeof(fo), .flags = IOASID_MAP_READ };
		int fd = memfd_create("dump-json", MFD_CLOEXEC);

		fo.fd = fd;
		fo.offset = 0x1000;
		fo.length = 0x1000;
		if (fd < 0 || ftruncate(fd, 0x2000))
			return 1;
		CHECK(ioasid_ioas_map_file(ctx, ioas, &fo, &io));
		close(fd);
	}
	CHECK(ioasid_ioas_reserve(ctx, ioas, 0x40000000, 0x4fffffff));
	CHECK(ioasid_dev_list(ctx, devs, &ndev));
	for (i = 0; i < ndev; i++) {
		uint32_t d;

		CHECK(ioasid_dev_bind(ctx, devs[i].name, &d));
		if (!dev0) {
			dev0 = d;
			CHECK(ioasid_dev_attach(ctx, d, IOASID_PASID_NONE, ioas, NULL));
		}
		ioasid_dev_info(ctx, d, NULL, 0, &len);
		caps = malloc(len);
		CHECK(ioasid_dev_info(ctx, d, caps, len, &len));
		CHECK(ioasid_json_caps(caps, len, 0, &doc));
		snprintf(what, sizeof(what), "caps-%s", devs[i].name);
		if (write_doc(dir, profile, what, doc)) {
			free(caps);
			return 1;
		}
		CHECK(ioasid_json_caps(caps, len, IOASID_JSON_BRIEF, &doc));
		free(caps);
		snprintf(what, sizeof(what), "brief-%s", devs[i].name);
		if (write_doc(dir, profile, what, doc))
			return 1;
	}
	if (ioasid_ctx_pinned(ctx, &(struct ioasid_pinned_info){ 0 }) == 0 &&
	    ioasid_pasid_alloc(ctx, set, 1, 100, &pasid) == 0) {
		/* PASID-capable profiles: one attached PASID as well */
		struct ioasid_attach_opts ao = { .sz = sizeof(struct ioasid_attach_opts), .set = set };
		uint32_t ioas2;

		CHECK(ioasid_set_ioas_alloc(ctx, set, &ioas2));
		if (ioasid_dev_attach(ctx, dev0, pasid, ioas2, &ao) != 0)
			fprintf(stderr, "%s: (no PASID attach: %s)\n", profile, ioasid_ctx_errmsg(ctx));
	}
	CHECK(ioasid_json_ctx(ctx, 0, &doc));
	if (write_doc(dir, profile, "ctx", doc))
		return 1;
	CHECK(ioasid_json_ctx(ctx, IOASID_JSON_COMPACT | IOASID_JSON_NO_MAPS, &doc));
	if (write_doc(dir, profile, "ctx-nomaps", doc))
		return 1;
	for (i = 1; i <= 8; i++) {
		if (ioasid_obj_kind(ctx, i) == IOASID_OBJ_NONE)
			continue;
		CHECK(ioasid_json_object(ctx, i, 0, &doc));
		snprintf(what, sizeof(what), "obj%u", i);
		if (write_doc(dir, profile, what, doc))
			return 1;
	}
	ioasid_ctx_close(ctx);
	return 0;
}

int main(int argc, char **argv)
{
	const char *const *p;
	void *mem;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	for (p = ioasid_sim_profiles(); *p; p++)
		if (dump_profile(argv[1], *p, mem))
			return 1;
	munmap(mem, 0x10000);
	return 0;
}
