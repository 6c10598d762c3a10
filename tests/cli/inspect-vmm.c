/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A stand-in VMM for test-cli.sh's --connect checks, written against the
 * public API only: a sim context with an IOAS of 3000 areas and sim0
 * attached, an inspection endpoint at SOCKET, then one map and one unmap
 * every 20 ms until stdin ends (the test closes it to stop it).
 *
 *   inspect-vmm SOCKET
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ioasid/ioasid.h>

int main(int argc, char **argv)
{
	struct ioasid_inspect *ins;
	struct ioasid_ctx *ctx;
	uint32_t ioas, dev, i;
	char *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct pollfd p = { .fd = 0, .events = POLLIN };

	if (argc != 2 || mem == MAP_FAILED) {
		fprintf(stderr, "usage: inspect-vmm SOCKET\n");
		return 2;
	}
	if (ioasid_ctx_open("sim", NULL, &ctx) || ioasid_ioas_alloc(ctx, &ioas) ||
	    ioasid_dev_bind(ctx, "sim0", &dev) ||
	    ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, ioas, NULL))
		goto fail;
	for (i = 0; i < 3000; i++) {
		uint64_t io = 0x100000 + i * 0x2000ull;

		if (ioasid_ioas_map(ctx, ioas, mem, 4096,
				    IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA, &io))
			goto fail;
	}
	if (ioasid_inspect_start(ctx, argv[1], NULL, &ins))
		goto fail;
	printf("ready\n");
	fflush(stdout);
	while (poll(&p, 1, 20) == 0) {
		uint64_t io = 0x40000000, n;

		if (ioasid_ioas_map(ctx, ioas, mem, 4096, IOASID_MAP_READ | IOASID_MAP_FIXED_IOVA,
				    &io) ||
		    ioasid_ioas_unmap(ctx, ioas, io, 4096, &n))
			goto fail;
	}
	ioasid_inspect_stop(ins);
	ioasid_ctx_close(ctx);
	return 0;
fail:
	fprintf(stderr, "inspect-vmm: %s\n", ioasid_last_errmsg());
	return 1;
}
