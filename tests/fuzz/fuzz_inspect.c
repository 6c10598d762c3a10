/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the live inspection protocol (lib/core/
 * inspect-proto.c, docs/inspection.md): each input is what a client could
 * send, cut into lines at each newline as the endpoint cuts it. Every line
 * goes through the request parser and, when accepted, through the query
 * that answers it, on a sim context with objects of every kind the queries
 * read (an IOAS with mappings, a device attached, a fault queue with a
 * pending page request group). Besides "no crash, no overread, no leak",
 * it checks what the protocol promises: a refused line has a message that
 * names the problem and is either fatal (not a JSON object) or not; every
 * answer is one JSON object on one line, ending in its newline, with "v"
 * and "ok"; and no request writes the context's error message.
 *
 * Each input is then also sent whole, through a connection, to an
 * endpoint of that context (ioasid_inspect_start()), which cuts it into
 * lines itself (lib/core/inspect.c): every line that comes back must be
 * such an answer, and a closing error must be the last.
 *
 * Build (`make fuzz` has the rule): as fuzz_state, from every library
 * source. Seeds: tests/fuzz/corpus/inspect; dictionary: inspect.dict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "core/inspect-private.h"

static struct ioasid_ctx *ctx;
static struct ioasid_inspect *ins;
static struct sockaddr_un addr = { .sun_family = AF_UNIX };

/* At exit: the socket file goes with the endpoint. */
static void teardown(void)
{
	ioasid_inspect_stop(ins);
	ioasid_ctx_close(ctx);
}

static void setup(void)
{
	struct ioasid_set_opts so = { .sz = sizeof(so), .max_pasids = 8, .max_ioas = 4 };
	struct ioasid_fault_queue_opts qo = { .sz = sizeof(qo), .timeout_ns = 3600000000000ull };
	struct ioasid_attach_opts ao = { .sz = sizeof(ao) };
	uint32_t ioas, dev, set, q, i;
	static char buf[64];
	uint64_t io, handle;
	size_t done;
	void *mem = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED || ioasid_ctx_open("sim", NULL, &ctx) ||
	    ioasid_dev_bind(ctx, "sim0", &dev) || ioasid_set_alloc(ctx, &so, &set))
		abort();
	qo.set = set;
	ao.set = set;
	if (ioasid_fault_queue_alloc(ctx, &qo, &q) || ioasid_set_ioas_alloc(ctx, set, &ioas))
		abort();
	ao.fault_queue = q;
	if (ioasid_dev_attach(ctx, dev, IOASID_PASID_NONE, ioas, &ao))
		abort();
	for (i = 0; i < 4; i++) {
		io = 0x100000 + i * 0x10000;
		if (ioasid_ioas_map(ctx, ioas, (char *)mem + i * 4096, 4096,
				    IOASID_MAP_READ | IOASID_MAP_FIXED_IOVA, &io))
			abort();
	}
	if (ioasid_sim_dma_submit(ctx, dev, IOASID_PASID_NONE, 0x900000, buf, sizeof(buf), true,
				  &handle, &done) != -EAGAIN)
		abort();
	snprintf(addr.sun_path, sizeof(addr.sun_path), "/tmp/fuzz-inspect-%d.sock", (int)getpid());
	if (ioasid_inspect_start(ctx, addr.sun_path, NULL, &ins))
		abort();
	atexit(teardown);
	/* a message of the VMM's own, which no request may replace */
	ioasid_obj_destroy(ctx, 4000);
}

/* One answer line: a JSON object with "v": 1 and "ok", and one newline, at its end. */
static void check_line_n(const char *s, size_t len)
{
	json_t *j;

	if (!len || s[len - 1] != '\n' || memchr(s, '\n', len - 1) || memchr(s, '\0', len))
		abort();
	j = json_loadb(s, len - 1, 0, NULL);
	if (!json_is_object(j) || json_integer_value(json_object_get(j, "v")) != 1 ||
	    !json_is_boolean(json_object_get(j, "ok")))
		abort();
	json_decref(j);
}

static void one_line(const char *line, size_t len)
{
	struct inspect_req req;
	char msg[256], *resp = NULL;
	size_t rlen = 0;
	bool fatal;
	int err = inspect_parse(line, len, &req, msg, sizeof(msg), &fatal);

	if (err) {
		if (err >= 0 || !*msg)
			abort();
		resp = inspect_error_line(req.tag, err, msg, fatal, &rlen);
		if (!resp)
			abort();
		check_line_n(resp, rlen);
		free(resp);
		return;
	}
	if (req.op == INSPECT_OP_SUBSCRIBE || req.op == INSPECT_OP_UNSUBSCRIBE)
		return; /* the endpoint's, with a connection */
	if (inspect_answer(ctx, &req, NULL, &resp, &rlen))
		abort();
	check_line_n(resp, rlen);
	free(resp);
}

/* The whole input through a connection: every answer well-formed, a closing one last. */
static void through_socket(const uint8_t *data, size_t size)
{
	static char buf[1 << 20];
	size_t got = 0, off = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t n;
	char *p, *nl;

	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
		abort();
	while (off < size && (n = send(fd, data + off, size - off, MSG_NOSIGNAL)) > 0)
		off += (size_t)n;
	shutdown(fd, SHUT_WR);
	while (got < sizeof(buf) - 1 && (n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
	for (p = buf; p < buf + got; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(buf + got - p));
		if (!nl)
			abort(); /* every answer is a whole line */
		check_line_n(p, (size_t)(nl - p + 1));
		*nl = '\0';
		if (strstr(p, "\"closing\":true") && nl + 1 != buf + got)
			abort(); /* nothing after a closing error */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	if (!ctx)
		setup();
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		one_line(p, len);
		p += len + 1;
	}
	through_socket(data, size);
	if (!strstr(ioasid_ctx_errmsg(ctx), "4000"))
		abort();
	return 0;
}
