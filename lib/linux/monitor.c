/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel uevents: a parser for the datagram format and a small monitor on
 * a NETLINK_KOBJECT_UEVENT socket opened through libnl-3.
 *
 * The parser treats its input as hostile: it is a public entry point and a
 * datagram may be built by anyone who can reach the caller. Nothing is
 * truncated (a cut DEVPATH would name another device), every field must
 * be KEY=VALUE, keys we care about may appear only once (otherwise a
 * second DEVPATH could hide behind the first), and the result is written
 * only once the whole message has been checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "core/private.h"

/* The multicast group the kernel sends uevents to (udev uses group 2). */
#define UEVENT_GROUP_KERNEL 1

/*
 * The kernel builds a uevent as "action@devpath\0" plus an environment of
 * at most UEVENT_BUFFER_SIZE (2048) bytes; devpath is bounded by PATH_MAX.
 * 16 KiB holds any of them; anything longer arrives truncated and is
 * refused (MSG_TRUNC), never parsed.
 */
#define MONITOR_BUF_SIZE (16 * 1024)

/* Ask for a large receive queue: a hotplug burst must not overflow it. */
#define MONITOR_RCVBUF (1024 * 1024)

struct ioasid_monitor {
	struct nl_sock *sk;
	int fd;
	unsigned char buf[MONITOR_BUF_SIZE];
};

/* ---- parser ------------------------------------------------------------ */

/* The header's parts fit where the fields of the same name go. */
#define UEVENT_ACTION_SIZE sizeof(((struct ioasid_uevent *)0)->action)
#define UEVENT_DEVPATH_SIZE sizeof(((struct ioasid_uevent *)0)->devpath)

static const char libudev_magic[8] = "libudev"; /* with its NUL */

enum {
	F_ACTION = 1u << 0,
	F_DEVPATH = 1u << 1,
	F_SUBSYSTEM = 1u << 2,
	F_DRIVER = 1u << 3,
	F_DEVNAME = 1u << 4,
	F_PCI_SLOT = 1u << 5,
	F_SEQNUM = 1u << 6,
};

#define STR_FIELD(key, bit, member)                                        \
	{ key, sizeof(key) - 1, bit, offsetof(struct ioasid_uevent, member), \
	  sizeof(((struct ioasid_uevent *)0)->member) }

/* The keys we keep; every other well-formed KEY=VALUE is skipped. */
static const struct {
	const char *key;
	size_t keylen;
	unsigned int bit;
	size_t off;  /* where in struct ioasid_uevent; 0 size = SEQNUM */
	size_t size;
} uevent_keys[] = {
	STR_FIELD("ACTION", F_ACTION, action),
	STR_FIELD("DEVPATH", F_DEVPATH, devpath),
	STR_FIELD("SUBSYSTEM", F_SUBSYSTEM, subsystem),
	STR_FIELD("DRIVER", F_DRIVER, driver),
	STR_FIELD("DEVNAME", F_DEVNAME, devname),
	STR_FIELD("PCI_SLOT_NAME", F_PCI_SLOT, pci_slot),
	{ "SEQNUM", sizeof("SEQNUM") - 1, F_SEQNUM, 0, 0 },
};

/*
 * A printable copy of (part of) an untrusted string for an error message:
 * control bytes and non-ASCII become '?', and long ones end with "...".
 */
static const char *excerpt(char *dst, size_t dstsz, const char *s, size_t n)
{
	size_t max = dstsz - 4, i;

	for (i = 0; i < n && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (i < n) {
		memcpy(dst + i, "...", 3);
		i += 3;
	}
	dst[i] = '\0';
	return dst;
}

/* Strict decimal: 1 to 20 digits that fit in 64 bits. */
static bool parse_u64(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 20)
		return false;
	for (i = 0; i < n; i++) {
		unsigned int d = (unsigned char)s[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*ret = v;
	return true;
}

/*
 * A devpath is what the kernel's kobject_get_path() makes: "/" followed by
 * kobject names joined by "/", none empty, "." or "..". Refusing anything
 * else keeps a forged event from steering a caller that opens
 * "/sys" + devpath out of /sys.
 */
static bool devpath_sane(const char *s, size_t n)
{
	size_t i = 1, start;

	if (n < 2 || s[0] != '/')
		return false;
	while (i <= n) {
		start = i;
		while (i < n && s[i] != '/')
			i++;
		if (i == start)
			return false; /* "//" or a trailing "/" */
		if (s[start] == '.' &&
		    (i - start == 1 || (i - start == 2 && s[start + 1] == '.')))
			return false;
		i++; /* past the '/' (or past the end) */
	}
	return true;
}

/* An action is a short word (add, remove, bind, ...): printable, no '/'. */
static bool action_sane(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || c == '/')
			return false;
	}
	return true;
}

/*
 * The header, ACTION@DEVPATH, the first string of @p (@len bytes, the last
 * a NUL): both parts checked and copied out; its length in @ret_hlen.
 */
static int parse_header(const char *p, size_t len, char (*ret_action)[UEVENT_ACTION_SIZE],
			char (*ret_devpath)[UEVENT_DEVPATH_SIZE], size_t *ret_hlen)
{
	size_t hlen = strnlen(p, len), alen, dlen;
	const char *at = memchr(p, '@', hlen);
	char x1[40];

	if (!at)
		return ioasid_err(NULL, -EINVAL, "uevent: offset 0: header '%s' has no '@'",
				  excerpt(x1, sizeof(x1), p, hlen));
	alen = (size_t)(at - p);
	dlen = hlen - alen - 1;
	if (alen >= sizeof(*ret_action))
		return ioasid_err(NULL, -ENAMETOOLONG,
				  "uevent: offset 0: header action '%s' is %zu bytes, at most %zu fit",
				  excerpt(x1, sizeof(x1), p, alen), alen, sizeof(*ret_action) - 1);
	if (!action_sane(p, alen))
		return ioasid_err(NULL, -EINVAL, "uevent: offset 0: header action '%s' is not a word",
				  excerpt(x1, sizeof(x1), p, alen));
	if (dlen >= sizeof(*ret_devpath))
		return ioasid_err(NULL, -ENAMETOOLONG,
				  "uevent: offset %zu: header devpath '%s' is %zu bytes, at most %zu fit",
				  alen + 1, excerpt(x1, sizeof(x1), at + 1, dlen), dlen,
				  sizeof(*ret_devpath) - 1);
	if (!devpath_sane(at + 1, dlen))
		return ioasid_err(NULL, -EINVAL,
				  "uevent: offset %zu: header devpath '%s' is not an absolute path of plain names",
				  alen + 1, excerpt(x1, sizeof(x1), at + 1, dlen));
	memcpy(*ret_action, p, alen);
	(*ret_action)[alen] = '\0';
	memcpy(*ret_devpath, at + 1, dlen);
	(*ret_devpath)[dlen] = '\0';
	*ret_hlen = hlen;
	return 0;
}

/* What the fields of one uevent have given so far. */
struct uevent_fields {
	struct ioasid_uevent ev; /* zeroed first: copies end in a NUL */
	unsigned int seen;       /* F_* of the keys met */
	size_t action_off, devpath_off;
};

/*
 * The KEY=VALUE field at offset @off of @p (@flen bytes, a NUL after it):
 * a key we keep is stored in @st, once; any other is skipped.
 */
static int parse_field(const char *p, size_t off, size_t flen, struct uevent_fields *st)
{
	const char *f = p + off, *eq = memchr(f, '=', flen), *val, *key;
	size_t klen, vlen, i;
	char x1[40];

	if (!eq)
		return ioasid_err(NULL, -EINVAL, "uevent: offset %zu: field '%s' has no '='", off,
				  excerpt(x1, sizeof(x1), f, flen));
	klen = (size_t)(eq - f);
	val = eq + 1;
	vlen = flen - klen - 1;
	if (klen == 0)
		return ioasid_err(NULL, -EINVAL, "uevent: offset %zu: field '%s' has an empty key",
				  off, excerpt(x1, sizeof(x1), f, flen));

	for (i = 0; i < ARRAY_SIZE(uevent_keys); i++)
		if (uevent_keys[i].keylen == klen && !memcmp(uevent_keys[i].key, f, klen))
			break;
	if (i == ARRAY_SIZE(uevent_keys))
		return 0;
	key = uevent_keys[i].key;
	if (st->seen & uevent_keys[i].bit)
		return ioasid_err(NULL, -EINVAL, "uevent: offset %zu: field %s appears twice", off,
				  key);
	st->seen |= uevent_keys[i].bit;
	if (uevent_keys[i].bit == F_ACTION)
		st->action_off = off;
	else if (uevent_keys[i].bit == F_DEVPATH)
		st->devpath_off = off;
	if (uevent_keys[i].size == 0) {
		if (!parse_u64(val, vlen, &st->ev.seqnum))
			return ioasid_err(NULL, -EINVAL,
					  "uevent: offset %zu: field %s value '%s' is not a 64-bit decimal",
					  off, key, excerpt(x1, sizeof(x1), val, vlen));
		return 0;
	}
	if (vlen >= uevent_keys[i].size)
		return ioasid_err(NULL, -ENAMETOOLONG,
				  "uevent: offset %zu: field %s value '%s' is %zu bytes, at most %zu fit",
				  off, key, excerpt(x1, sizeof(x1), val, vlen), vlen,
				  uevent_keys[i].size - 1);
	/* ev was zeroed: the copy is NUL-terminated */
	memcpy((char *)&st->ev + uevent_keys[i].off, val, vlen);
	return 0;
}

/* ACTION and DEVPATH are there and say what the header says. */
static int check_fields(const struct uevent_fields *st, size_t len, const char *hdr_action,
			const char *hdr_devpath)
{
	const struct ioasid_uevent *ev = &st->ev;
	char x1[40], x2[40];

	if (!(st->seen & F_ACTION))
		return ioasid_err(NULL, -EINVAL, "uevent: offset %zu: no ACTION field", len);
	if (!(st->seen & F_DEVPATH))
		return ioasid_err(NULL, -EINVAL, "uevent: offset %zu: no DEVPATH field", len);
	if (strcmp(ev->action, hdr_action))
		return ioasid_err(NULL, -EINVAL,
				  "uevent: offset %zu: field ACTION '%s' disagrees with the header's '%s'",
				  st->action_off,
				  excerpt(x1, sizeof(x1), ev->action, strlen(ev->action)),
				  excerpt(x2, sizeof(x2), hdr_action, strlen(hdr_action)));
	if (strcmp(ev->devpath, hdr_devpath))
		return ioasid_err(NULL, -EINVAL,
				  "uevent: offset %zu: field DEVPATH '%s' disagrees with the header's '%s'",
				  st->devpath_off,
				  excerpt(x1, sizeof(x1), ev->devpath, strlen(ev->devpath)),
				  excerpt(x2, sizeof(x2), hdr_devpath, strlen(hdr_devpath)));
	return 0;
}

IOASID_EXPORT int ioasid_uevent_parse(const void *buf, size_t len, struct ioasid_uevent *ret_ev)
{
	const char *p = buf;
	char hdr_action[UEVENT_ACTION_SIZE], hdr_devpath[UEVENT_DEVPATH_SIZE];
	struct uevent_fields st;
	size_t hlen = 0, off, flen;
	int r;

	if (!ret_ev)
		return ioasid_err(NULL, -EINVAL, "uevent: no event to fill in");
	if (len == 0)
		return ioasid_err(NULL, -EINVAL, "uevent: offset 0: empty message");
	if (!buf)
		return ioasid_err(NULL, -EINVAL, "uevent: NULL buffer of %zu bytes", len);
	if (len >= sizeof(libudev_magic) && !memcmp(p, libudev_magic, sizeof(libudev_magic)))
		return ioasid_err(NULL, -ENOMSG,
				  "uevent: offset 0: a libudev message, not a kernel uevent");
	/*
	 * Every string, the last one included, ends in a NUL: this makes all
	 * strnlen() below stop inside the buffer, and catches a cut datagram.
	 */
	if (p[len - 1] != '\0')
		return ioasid_err(NULL, -EINVAL,
				  "uevent: offset %zu: message of %zu bytes does not end with a NUL (truncated?)",
				  len - 1, len);

	r = parse_header(p, len, &hdr_action, &hdr_devpath, &hlen);
	if (r)
		return r;
	memset(&st, 0, sizeof(st));
	for (off = hlen + 1; off < len; off += flen + 1) {
		flen = strnlen(p + off, len - off);
		r = parse_field(p, off, flen, &st);
		if (r)
			return r;
	}
	r = check_fields(&st, len, hdr_action, hdr_devpath);
	if (r)
		return r;
	*ret_ev = st.ev;
	return 0;
}

IOASID_EXPORT bool ioasid_uevent_relevant(const struct ioasid_uevent *ev)
{
	static const char *const subsystems[] = {
		"vfio",     /* legacy VFIO groups: /dev/vfio/N */
		"vfio-dev", /* VFIO device cdevs: /dev/vfio/devices/vfioN */
		"iommu",    /* IOMMU instances (dmar0, ivhd0, smmu3.*) */
	};
	static const char *const pci_actions[] = { "add", "remove", "bind", "unbind" };
	size_t i;

	if (!ev)
		return false;
	for (i = 0; i < ARRAY_SIZE(subsystems); i++)
		if (!strcmp(ev->subsystem, subsystems[i]))
			return true;
	if (strcmp(ev->subsystem, "pci"))
		return false;
	for (i = 0; i < ARRAY_SIZE(pci_actions); i++)
		if (!strcmp(ev->action, pci_actions[i]))
			return true;
	return false;
}

/* ---- monitor ----------------------------------------------------------- */

/*
 * libnl returns its own NLE_* codes; turn them back into errnos. This is
 * the inverse of libnl's nl_syserr2nlerr() where that is one-to-one;
 * NLE_FAILURE and anything unknown fall back to the errno the failing
 * system call left, if any.
 */
static int nlerr_to_errno(int nlerr, int saved_errno)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_INTR:		return -EINTR;
	case NLE_BAD_SOCK:	return -EBADF;
	case NLE_AGAIN:		return -EAGAIN;
	case NLE_NOMEM:		return -ENOMEM;
	case NLE_EXIST:		return -EEXIST;
	case NLE_INVAL:		return -EINVAL;
	case NLE_RANGE:		return -ERANGE;
	case NLE_MSGSIZE:	return -EMSGSIZE;
	case NLE_OPNOTSUPP:	return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:	return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:	return -ENOENT;
	case NLE_NOADDR:	return -EADDRNOTAVAIL;
	case NLE_BUSY:		return -EBUSY;
	case NLE_PROTO_MISMATCH: return -EPROTONOSUPPORT;
	case NLE_NOACCESS:	return -EACCES;
	case NLE_PERM:		return -EPERM;
	case NLE_NODEV:		return -ENODEV;
	case NLE_MSG_TRUNC:	return -EMSGSIZE;
	default:
		return saved_errno > 0 ? -saved_errno : -EIO;
	}
}

#define monitor_nlerr(r, what)                                              \
	({                                                                   \
		int __saved = errno;                                         \
		int __e = nlerr_to_errno((r), __saved);                      \
		ioasid_err(NULL, __e, "uevent monitor: %s: %s (%s)", (what), \
			   nl_geterror(r), strerror(-__e));                  \
	})

/*
 * Connect @sk to the kernel's uevent multicast group, non-blocking, with a
 * receive queue of MONITOR_RCVBUF.
 */
static int monitor_connect(struct nl_sock *sk)
{
	int r;

	/* uevents are multicast datagrams, not replies to our requests */
	nl_socket_disable_seq_check(sk);

	errno = 0;
	r = nl_connect(sk, NETLINK_KOBJECT_UEVENT);
	if (r < 0)
		return monitor_nlerr(r, "nl_connect(NETLINK_KOBJECT_UEVENT)");
	errno = 0;
	r = nl_socket_add_membership(sk, UEVENT_GROUP_KERNEL);
	if (r < 0)
		return monitor_nlerr(r, "joining the kernel's uevent group");
	errno = 0;
	r = nl_socket_set_nonblocking(sk);
	if (r < 0)
		return monitor_nlerr(r, "making the socket non-blocking");
	/* the kernel caps this at net.core.rmem_max; a smaller queue still works */
	errno = 0;
	r = nl_socket_set_buffer_size(sk, MONITOR_RCVBUF, 0);
	if (r < 0)
		return monitor_nlerr(r, "setting the receive buffer");
	return 0;
}

/* The socket's fd: the biggest queue we may have, close-on-exec. */
static int monitor_fd_setup(struct ioasid_monitor *mon)
{
	int rcvbuf = MONITOR_RCVBUF;
	int flags;

	mon->fd = nl_socket_get_fd(mon->sk);
	if (mon->fd < 0)
		return ioasid_err(NULL, -EBADF, "uevent monitor: libnl gave no fd");
	/*
	 * With CAP_NET_ADMIN the cap can be lifted, as udevd does; without it
	 * this fails and the capped queue stays, which is fine.
	 */
	(void)setsockopt(mon->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	/*
	 * Recent libnl opens with SOCK_CLOEXEC; older ones do not, and a VMM
	 * that forks device helpers must not leak this socket into them.
	 */
	flags = fcntl(mon->fd, F_GETFD);
	if (flags < 0 || (!(flags & FD_CLOEXEC) && fcntl(mon->fd, F_SETFD, flags | FD_CLOEXEC) < 0))
		return ioasid_err(NULL, -errno, "uevent monitor: setting FD_CLOEXEC on fd %d: %s",
				  mon->fd, strerror(errno));
	return 0;
}

IOASID_EXPORT int ioasid_monitor_open(struct ioasid_monitor **ret_mon)
{
	struct ioasid_monitor *mon;
	int r;

	if (!ret_mon)
		return ioasid_err(NULL, -EINVAL, "uevent monitor: no place to return it");
	*ret_mon = NULL;

	mon = ioasid_calloc(1, sizeof(*mon));
	if (!mon)
		return ioasid_err(NULL, -ENOMEM, "uevent monitor: out of memory");
	mon->fd = -1;
	mon->sk = nl_socket_alloc();
	if (!mon->sk) {
		r = ioasid_err(NULL, -ENOMEM, "uevent monitor: nl_socket_alloc: out of memory");
		goto fail;
	}
	r = monitor_connect(mon->sk);
	if (r)
		goto fail;
	r = monitor_fd_setup(mon);
	if (r)
		goto fail;
	*ret_mon = mon;
	return 0;

fail:
	if (mon->sk)
		nl_socket_free(mon->sk); /* closes the fd too */
	ioasid_free(mon);
	return r;
}

IOASID_EXPORT int ioasid_monitor_fd(struct ioasid_monitor *mon, int *ret_fd)
{
	if (!mon || !ret_fd)
		return ioasid_err(NULL, -EINVAL, "uevent monitor: NULL argument");
	*ret_fd = mon->fd;
	return 0;
}

IOASID_EXPORT int ioasid_monitor_read(struct ioasid_monitor *mon,
				      struct ioasid_uevent *ret_ev)
{
	struct sockaddr_nl sa;
	struct iovec iov = { .iov_base = NULL, .iov_len = 0 };
	struct msghdr mh;
	ssize_t n;

	if (!mon || !ret_ev)
		return ioasid_err(NULL, -EINVAL, "uevent monitor: NULL %s",
				  mon ? "event" : "monitor");

	iov.iov_base = mon->buf;
	iov.iov_len = sizeof(mon->buf);
	memset(&sa, 0, sizeof(sa));
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &sa;
	mh.msg_namelen = sizeof(sa);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;

	do
		n = recvmsg(mon->fd, &mh, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int e = errno;

		if (e == EAGAIN || e == EWOULDBLOCK)
			return ioasid_err(NULL, -EAGAIN, "uevent monitor: no event pending");
		if (e == ENOBUFS)
			return ioasid_err(NULL, -ENOBUFS,
					  "uevent monitor: the socket queue overflowed and events were lost; rescan the devices");
		return ioasid_err(NULL, -e, "uevent monitor: recvmsg: %s", strerror(e));
	}
	if (mh.msg_flags & MSG_TRUNC)
		return ioasid_err(NULL, -EMSGSIZE,
				  "uevent monitor: a message longer than %zu bytes was cut; skipped",
				  sizeof(mon->buf));
	/*
	 * Only the kernel sends from port 0: a process's socket always has its
	 * own non-zero port, so this is what keeps user space (even a root
	 * process allowed to send to the group) from forging events.
	 */
	if (mh.msg_namelen < sizeof(sa) || sa.nl_family != AF_NETLINK)
		return ioasid_err(NULL, -EPERM,
				  "uevent monitor: a message without a netlink sender address; skipped");
	if (sa.nl_pid != 0)
		return ioasid_err(NULL, -EPERM,
				  "uevent monitor: a message from port %u, not from the kernel; skipped",
				  sa.nl_pid);
	return ioasid_uevent_parse(mon->buf, (size_t)n, ret_ev);
}

IOASID_EXPORT void ioasid_monitor_close(struct ioasid_monitor *mon)
{
	if (!mon)
		return;
	nl_socket_free(mon->sk);
	ioasid_free(mon);
}
