/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the live-update state reader
 * (ioasid_ctx_restore_state(), lib/core/state-restore.c): each input is a
 * document as the successor process would read it. Besides "no crash, no
 * overread, no leak", it checks what docs/live-update.md promises: a
 * refusal is a negative errno with a message that begins "restore state: "
 * and never leaves a context; a document that is accepted saves again
 * into one that restores to the same context (same objects, same ids,
 * same dump).
 *
 * Build (`make fuzz` has the rule): as fuzz_virtio_iommu, from every
 * library source. Seeds: tests/fuzz/corpus/state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ioasid/ioasid.h>

static int fd_with(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-state", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}

static char *dump(struct ioasid_ctx *ctx)
{
	char *s = NULL;

	if (ioasid_json_ctx(ctx, IOASID_JSON_COMPACT, &s))
		abort();
	return s;
}

/* An accepted document saves and restores to the same context. */
static void round_trip(struct ioasid_ctx *ctx)
{
	struct ioasid_ctx *again = NULL;
	char *a, *b;
	int fd = memfd_create("fuzz-state-2", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	if (ioasid_ctx_save_state(ctx, fd)) {
		/* what the reader accepted, the writer must be able to write */
		fprintf(stderr, "save after restore: %s\n", ioasid_ctx_errmsg(ctx));
		abort();
	}
	if (lseek(fd, 0, SEEK_SET) != 0 || ioasid_ctx_restore_state(fd, NULL, &again)) {
		fprintf(stderr, "restore of a saved state: %s\n", ioasid_last_errmsg());
		abort();
	}
	a = dump(ctx);
	b = dump(again);
	if (strcmp(a, b)) {
		fprintf(stderr, "round trip differs:\n%s\n%s\n", a, b);
		abort();
	}
	ioasid_json_free(a);
	ioasid_json_free(b);
	ioasid_ctx_close(again);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ioasid_ctx *ctx = (struct ioasid_ctx *)1;
	int fd = fd_with(data, size);
	int r = ioasid_ctx_restore_state(fd, NULL, &ctx);

	if (r > 0 || (r < 0 && ctx) || (!r && !ctx))
		abort();
	if (r < 0 && strncmp(ioasid_last_errmsg(), "restore state: ", 15)) {
		fprintf(stderr, "message without its prefix: %s\n", ioasid_last_errmsg());
		abort();
	}
	if (!r) {
		round_trip(ctx);
		ioasid_ctx_close(ctx);
	}
	close(fd);
	return 0;
}
