/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A hostile tenant's front-end: speaks vhost-user or memif badly on purpose,
 * for a fixed number of rounds, each round one attack on a fresh connection.
 * Used by test/e2e/hostile-peer.test.ts and bench/hostile.ts; not shipped.
 *
 *   [FP_HOSTILE_ONLY=<attack>] fp_hostile vhost SOCKET SEED ROUNDS
 *   [FP_HOSTILE_ONLY=<attack>] fp_hostile memif SOCKET SEED ROUNDS
 *
 * Prints one JSON line: rounds, connections made, attacks per kind, and how
 * many connections the switch ended itself. Exits 1 only when the switch
 * stops answering (no connection possible for 10 s).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static uint64_t rng;
static unsigned long n_conns, n_closed_by_switch;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned
pick(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int
dial(const char *path, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timespec t0, t;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			n_conns++;
			return fd;
		}
		if (fd >= 0)
			close(fd);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 10) {
			fprintf(stderr, "fp_hostile: %s: no connection for 10 s: %s\n", path, strerror(errno));
			exit(1);
		}
		sleep_ms(20);
	}
}

/* Read (and discard) until the switch closes the connection or ms pass. */
static void
drain_until_closed(int fd, unsigned ms)
{
	char buf[4096];
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long left;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = (long)ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			n_closed_by_switch++;
			break;
		}
	}
	close(fd);
}

static ssize_t
send_fds(int fd, const void *buf, size_t len, const int *fds, int nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 253)];
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds > 0) {
		struct cmsghdr *c;
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	return sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static int
memfd(size_t size)
{
	int fd = memfd_create("hostile", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
		perror("memfd");
		exit(2);
	}
	return fd;
}

/* 1,100 connections to one port at once (more than the vhost library's
 * 1,024 descriptors), held a moment, then dropped. */
#define STORM 1100
static void
storm(const char *path, int type)
{
	static int fds[STORM];

	for (int i = 0; i < STORM; i++)
		fds[i] = dial(path, type);
	sleep_ms(100);
	for (int i = 0; i < STORM; i++)
		close(fds[i]);
}

/* ---- vhost-user ---- */

struct vhu_region {
	uint64_t gpa, size, uaddr, offset;
};

static int
vhu(int fd, uint32_t req, uint32_t flags, const void *payload, uint32_t size, const int *fds, int nfds)
{
	uint8_t buf[12 + 4096];
	uint32_t hdr[3] = { req, flags, size };
	size_t len = 12 + (size < 4096 ? size : 4096);

	memcpy(buf, hdr, 12);
	if (payload != NULL)
		memcpy(buf + 12, payload, len - 12);
	else
		memset(buf + 12, 0, len - 12);
	return send_fds(fd, buf, len, fds, nfds) < 0 ? -1 : 0;
}

static int
vhu_u64(int fd, uint32_t req, uint64_t v, const int *fds, int nfds)
{
	return vhu(fd, req, 1, &v, 8, fds, nfds);
}

static int
vhu_state(int fd, uint32_t req, uint32_t index, uint32_t num)
{
	uint32_t s[2] = { index, num };
	return vhu(fd, req, 1, s, 8, NULL, 0);
}

static int
vhu_mem(int fd, const struct vhu_region *r, uint32_t n, const int *fds, int nfds)
{
	uint8_t p[8 + 8 * 32];
	uint32_t cnt[2] = { n, 0 };

	memset(p, 0, sizeof(p));
	memcpy(p, cnt, 8);
	memcpy(p + 8, r, (n < 8 ? n : 8) * sizeof(*r));
	return vhu(fd, 5, 1, p, 8 + n * 32, fds, nfds);
}

/* The start of every virtio_user handshake. */
static void
vhu_hello(int fd)
{
	vhu(fd, 1, 1, NULL, 0, NULL, 0);              /* GET_FEATURES */
	vhu(fd, 3, 1, NULL, 0, NULL, 0);              /* SET_OWNER */
	vhu_u64(fd, 2, 1ULL << 32, NULL, 0);          /* SET_FEATURES: VERSION_1 */
}

enum vattack {
	V_RANDOM, V_SHORT_HEADER, V_HUGE_SIZE, V_EVERY_REQUEST, V_BAD_VRING, V_REGION_COUNT,
	V_NOT_MEMORY, V_PAST_END, V_INFLIGHT, V_STORM, V_NOT_READING, V_TRUNCATE_RING, V_EVENT_FLOOD, V_MAX
};
static const char *const vnames[] = {
	"random_bytes", "short_header", "huge_size", "every_request", "bad_vring", "region_count",
	"not_memory", "past_end", "inflight", "connect_storm", "not_reading", "truncate_ring", "event_flood",
};

static void
vhost_round(const char *path, enum vattack a)
{
	int fd = dial(path, SOCK_STREAM);

	switch (a) {
	case V_RANDOM: {
		uint8_t b[2048];
		size_t n = 1 + pick(sizeof(b));
		for (size_t i = 0; i < n; i++)
			b[i] = (uint8_t)rnd();
		send(fd, b, n, MSG_NOSIGNAL);
		break;
	}
	case V_SHORT_HEADER: {
		uint32_t h[3] = { 1, 1, 0 };
		send(fd, h, 1 + pick(11), MSG_NOSIGNAL);
		shutdown(fd, SHUT_WR); /* the rest never comes */
		break;
	}
	case V_HUGE_SIZE: {
		static const uint32_t sizes[] = { 0xffffffffu, 0x80000000u, 633, 4096, 65536 };
		uint32_t h[3] = { 1 + pick(40), 1, sizes[pick(5)] };
		send(fd, h, 12, MSG_NOSIGNAL);
		break;
	}
	case V_EVERY_REQUEST:
		vhu_hello(fd);
		for (uint32_t req = 0; req <= 50; req++) {
			uint8_t p[64];
			int fds[2] = { memfd(4096), memfd(0) };
			for (size_t i = 0; i < sizeof(p); i++)
				p[i] = (uint8_t)rnd();
			if (vhu(fd, req, 1 | (pick(2) ? 8 : 0), p, pick(65), fds, (int)pick(3)) != 0) {
				close(fds[0]);
				close(fds[1]);
				break;
			}
			close(fds[0]);
			close(fds[1]);
		}
		break;
	case V_BAD_VRING: {
		static const uint32_t idx[] = { 2, 31, 32, 200, 255, 256, 0xffffffffu };
		uint32_t i = idx[pick(7)];
		vhu_hello(fd);
		switch (pick(4)) {
		case 0: vhu_state(fd, 8, i, 256); break;       /* SET_VRING_NUM */
		case 1: vhu_state(fd, 10, i, 0); break;        /* SET_VRING_BASE */
		case 2: vhu_state(fd, 18, i, 1); break;        /* SET_VRING_ENABLE */
		default: {
			int e = eventfd(0, EFD_CLOEXEC);
			vhu_u64(fd, 12, i & 0xff, &e, 1);        /* SET_VRING_KICK */
			close(e);
		}
		}
		break;
	}
	case V_REGION_COUNT: {
		static const uint32_t counts[] = { 0, 9, 200 };
		struct vhu_region r[8];
		int fds[8];
		uint32_t n = counts[pick(3)];
		for (int i = 0; i < 8; i++) {
			fds[i] = memfd(1 << 20);
			r[i] = (struct vhu_region){ 0x100000ull * (i + 1), 1 << 20, 0x7f0000000000ull + (1ull << 20) * i, 0 };
		}
		vhu_hello(fd);
		vhu_mem(fd, r, n, fds, n < 8 ? (int)n : 8);
		for (int i = 0; i < 8; i++)
			close(fds[i]);
		break;
	}
	case V_NOT_MEMORY: {
		struct vhu_region r = { 0x100000, 1 << 20, 0x7f0000000000ull, 0 };
		int p[2], s[2], f;
		if (pipe(p) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, s) != 0)
			exit(2);
		switch (pick(5)) {
		case 0: f = p[0]; break;
		case 1: f = s[0]; break;
		case 2: f = open("/dev/null", O_RDWR | O_CLOEXEC); break;
		case 3: f = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC); break;
		default: f = eventfd(0, EFD_CLOEXEC); break;
		}
		vhu_hello(fd);
		vhu_mem(fd, &r, 1, &f, 1);
		close(p[0]);
		close(p[1]);
		close(s[0]);
		close(s[1]);
		if (f != p[0] && f != s[0])
			close(f);
		break;
	}
	case V_PAST_END: {
		int f = memfd(4096);
		struct vhu_region r = { 0x100000, 1ull << 30, 0x7f0000000000ull, pick(2) ? 0 : 4096 };
		vhu_hello(fd);
		vhu_mem(fd, &r, 1, &f, 1);
		close(f);
		break;
	}
	case V_INFLIGHT: {
		uint64_t inflight[3] = { 0, 0, 0xffffULL | 0xffffULL << 16 }; /* 65535 queues of 65535 */
		vhu_hello(fd);
		if (pick(2) == 0) {
			for (int i = 0; i < 50; i++)
				if (vhu(fd, 31, 1, inflight, 20, NULL, 0) != 0) /* GET_INFLIGHT_FD */
					break;
		} else {
			int f = memfd(0);
			vhu(fd, 32, 1, inflight, 20, &f, 1);         /* SET_INFLIGHT_FD */
			close(f);
		}
		break;
	}
	case V_STORM:
		storm(path, SOCK_STREAM);
		break;
	case V_NOT_READING:
		/* Replies pile up unread in our receive buffer, then in the
		 * switch's send buffer. */
		for (int i = 0; i < 20000; i++)
			if (vhu(fd, 1, 1, NULL, 0, NULL, 0) != 0 && errno != EAGAIN)
				break;
		sleep_ms(300);
		break;
	case V_TRUNCATE_RING: {
		/* A valid memory table, then its file cut to nothing before the
		 * switch reads the ring it names. */
		const uint64_t base = 0x7f0000000000ull, len = 2u << 20;
		struct vhu_region r = { 0x100000, len, base, 0 };
		/* index and flags, then the desc, used, avail and log addresses */
		uint64_t addr[5] = { 0, base + 0x10000, base + 0x20000, base + 0x30000, 0 };
		int f = memfd(len), e = eventfd(0, EFD_CLOEXEC);
		vhu_hello(fd);
		vhu_mem(fd, &r, 1, &f, 1);
		vhu_state(fd, 8, 0, 256);                 /* SET_VRING_NUM */
		vhu(fd, 9, 1, addr, 40, NULL, 0);          /* SET_VRING_ADDR */
		vhu_state(fd, 10, 0, 0);                  /* SET_VRING_BASE */
		sleep_ms(20);
		if (ftruncate(f, 0) != 0)
			exit(2);
		vhu_u64(fd, 12, 0, &e, 1);                /* SET_VRING_KICK: translates the ring */
		close(f);
		close(e);
		break;
	}
	case V_EVENT_FLOOD: {
		/* A ready queue (memory, ring, kick and call), then its enable bit
		 * flipped as fast as we can write: every flip is a queue-state
		 * event the switch sends to each API watcher. */
		const uint64_t base = 0x7f0000000000ull, len = 2u << 20;
		struct vhu_region r = { 0x100000, len, base, 0 };
		uint64_t addr[5] = { 0, base + 0x10000, base + 0x20000, base + 0x30000, 0 };
		int f = memfd(len), kick = eventfd(0, EFD_CLOEXEC), call = eventfd(0, EFD_CLOEXEC);
		vhu_hello(fd);
		vhu_mem(fd, &r, 1, &f, 1);
		vhu_state(fd, 8, 0, 256);                 /* SET_VRING_NUM */
		vhu(fd, 9, 1, addr, 40, NULL, 0);          /* SET_VRING_ADDR */
		vhu_state(fd, 10, 0, 0);                  /* SET_VRING_BASE */
		vhu_u64(fd, 12, 0, &kick, 1);             /* SET_VRING_KICK */
		vhu_u64(fd, 13, 0, &call, 1);             /* SET_VRING_CALL */
		for (int i = 0; i < 4000; i++) {
			/* Sends do not block: wait for room (5 s at most) rather
			 * than stop at the first full socket buffer. */
			struct pollfd pw = { .fd = fd, .events = POLLOUT };
			if (vhu_state(fd, 18, 0, (uint32_t)(i & 1)) == 0) /* SET_VRING_ENABLE */
				continue;
			if (errno != EAGAIN || poll(&pw, 1, 5000) != 1 || (pw.revents & POLLOUT) == 0)
				break;
			i--;
		}
		close(f);
		close(kick);
		close(call);
		break;
	}
	default:
		break;
	}
	drain_until_closed(fd, 300);
}

/* ---- memif ---- */

struct mif_msg {
	uint16_t type;
	uint8_t body[126];
} __attribute__((packed, aligned(128)));

static int
mif_send(int fd, uint16_t type, const void *body, size_t len, const int *fds, int nfds)
{
	struct mif_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	memcpy(m.body, body, len < sizeof(m.body) ? len : sizeof(m.body));
	return send_fds(fd, &m, sizeof(m), fds, nfds) == sizeof(m) ? 0 : -1;
}

static int
mif_recv(int fd, struct mif_msg *m)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, 1000) == 1 && recv(fd, m, sizeof(*m), 0) == sizeof(*m) ? 0 : -1;
}

struct __attribute__((packed)) mif_init { uint16_t version; uint32_t id; uint8_t mode; uint8_t secret[24]; uint8_t name[32]; };
struct __attribute__((packed)) mif_region { uint16_t index; uint64_t size; };
struct __attribute__((packed)) mif_ring { uint16_t flags, index, region; uint32_t offset; uint8_t log2; uint16_t priv; };

#define RING_BYTES(log2) (128u + (16u << (log2)))

/* A correct handshake, after HELLO, up to CONNECTED: region 0 holds two rings (c2s at 0,
 * s2c after it) and packet buffers after those. Returns 0 when connected. */
static int
mif_connect_ok(int fd, int *region_fd, uint8_t **region, size_t len)
{
	struct mif_msg m;
	struct mif_init in = { .version = 0x0200 };
	struct mif_region rg = { 0, len };
	struct mif_ring c2s = { 1, 0, 0, 0, 8, 0 }, s2c = { 0, 0, 0, RING_BYTES(8), 8, 0 };
	int e1 = eventfd(0, EFD_CLOEXEC), e2 = eventfd(0, EFD_CLOEXEC);
	uint8_t *mem;

	*region_fd = memfd(len);
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, *region_fd, 0);
	if (mem == MAP_FAILED)
		exit(2);
	*region = mem;
	*(uint32_t *)mem = 0x3E31F20;
	*(uint32_t *)(mem + RING_BYTES(8)) = 0x3E31F20;
	mif_send(fd, 3, &in, sizeof(in), NULL, 0); /* HELLO was read by the caller */
	if (mif_recv(fd, &m) != 0 || m.type != 1)
		return -1;
	mif_send(fd, 4, &rg, sizeof(rg), region_fd, 1);
	if (mif_recv(fd, &m) != 0 || m.type != 1)
		return -1;
	mif_send(fd, 5, &c2s, sizeof(c2s), &e1, 1);
	mif_send(fd, 5, &s2c, sizeof(s2c), &e2, 1);
	close(e1);
	close(e2);
	if (mif_recv(fd, &m) != 0 || mif_recv(fd, &m) != 0)
		return -1;
	mif_send(fd, 6, "hostile", 8, NULL, 0);
	return mif_recv(fd, &m) == 0 && m.type == 7 ? 0 : -1;
}

enum mattack {
	M_RANDOM, M_OUT_OF_ORDER, M_BAD_INIT, M_BAD_REGION, M_BAD_RING, M_BAD_DESC, M_HEAD_JUMP,
	M_TRUNCATE, M_STORM, M_MAX
};
static const char *const mnames[] = {
	"random_bytes", "out_of_order", "bad_init", "bad_region", "bad_ring", "bad_descriptor",
	"head_jump", "truncate_region", "connect_storm",
};

static void
memif_round(const char *path, enum mattack a)
{
	int fd = dial(path, SOCK_SEQPACKET), rfd = -1;
	struct mif_msg m;
	uint8_t *mem = NULL;
	const size_t len = 4u << 20;

	if (a != M_STORM && a != M_RANDOM && mif_recv(fd, &m) != 0) {
		drain_until_closed(fd, 100);
		return;
	}
	switch (a) {
	case M_RANDOM: {
		uint8_t b[512];
		size_t n = 1 + pick(sizeof(b));
		for (size_t i = 0; i < n; i++)
			b[i] = (uint8_t)rnd();
		send(fd, b, n, MSG_NOSIGNAL);
		break;
	}
	case M_OUT_OF_ORDER: {
		struct mif_region rg = { 0, 4096 };
		int f = memfd(4096);
		mif_send(fd, (uint16_t)(4 + pick(5)), &rg, sizeof(rg), &f, 1);
		close(f);
		break;
	}
	case M_BAD_INIT: {
		struct mif_init in = { .version = pick(2) ? 0x0100 : 0x0200, .id = 1 + pick(100), .mode = (uint8_t)pick(3) };
		mif_send(fd, 3, &in, sizeof(in), NULL, 0);
		break;
	}
	case M_BAD_REGION: {
		struct mif_init in = { .version = 0x0200 };
		struct mif_region rg = { (uint16_t)(pick(2) ? 3 : 0), pick(2) ? 1ull << 40 : 1u << 20 };
		int f = pick(2) ? memfd(4096) : eventfd(0, EFD_CLOEXEC);
		mif_send(fd, 3, &in, sizeof(in), NULL, 0);
		mif_recv(fd, &m);
		int with_fd = pick(4) != 0; /* sometimes without its descriptor */
		mif_send(fd, 4, &rg, sizeof(rg), with_fd ? &f : NULL, with_fd);
		close(f);
		break;
	}
	case M_BAD_RING: {
		struct mif_init in = { .version = 0x0200 };
		struct mif_region rg = { 0, 1u << 20 };
		struct mif_ring r = { 1, (uint16_t)pick(40), (uint16_t)pick(3), (uint32_t)(pick(2) ? (1u << 20) - 64 : 8),
				      (uint8_t)(8 + pick(10)), 0 };
		int f = memfd(1u << 20), e = eventfd(0, EFD_CLOEXEC);
		mif_send(fd, 3, &in, sizeof(in), NULL, 0);
		mif_recv(fd, &m);
		mif_send(fd, 4, &rg, sizeof(rg), &f, 1);
		mif_recv(fd, &m);
		mif_send(fd, 5, &r, sizeof(r), &e, 1);
		mif_recv(fd, &m);
		mif_send(fd, 6, "x", 1, NULL, 0); /* connect with whatever was accepted */
		close(f);
		close(e);
		break;
	}
	case M_BAD_DESC:
	case M_HEAD_JUMP:
	case M_TRUNCATE:
		if (mif_connect_ok(fd, &rfd, &mem, len) != 0)
			break;
		if (a == M_TRUNCATE) {
			if (ftruncate(rfd, 0) != 0)
				exit(2);
		} else {
			/* Frames on the c2s ring (at offset 0, 256 slots). */
			for (unsigned i = 0; i < 256; i++) {
				uint8_t *d = mem + 128 + 16 * i;
				uint16_t region = (uint16_t)(a == M_BAD_DESC && pick(2) ? 1 + pick(300) : 0);
				uint32_t off = a == M_BAD_DESC && region == 0 ? (uint32_t)(len - 32 + pick(64)) : 1u << 20;
				uint32_t l = a == M_BAD_DESC && region == 0 ? 64 + (uint32_t)pick(1u << 20) : 64;
				memcpy(d + 2, &region, 2);
				memcpy(d + 4, &l, 4);
				memcpy(d + 8, &off, 4);
			}
			__atomic_store_n((uint16_t *)(mem + 6), a == M_HEAD_JUMP ? 5000 : 200, __ATOMIC_RELEASE);
		}
		break;
	case M_STORM:
		storm(path, SOCK_SEQPACKET);
		break;
	default:
		break;
	}
	drain_until_closed(fd, 500);
	if (mem != NULL)
		munmap(mem, len);
	if (rfd >= 0)
		close(rfd);
}

int
main(int argc, char **argv)
{
	unsigned long per_kind[16] = { 0 };
	unsigned rounds;
	int vhost;

	if (argc != 5 || (strcmp(argv[1], "vhost") != 0 && strcmp(argv[1], "memif") != 0)) {
		fprintf(stderr, "usage: fp_hostile vhost|memif SOCKET SEED ROUNDS\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	{
		struct rlimit nofile;
		if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < 4096) {
			nofile.rlim_cur = nofile.rlim_max < 4096 ? nofile.rlim_max : 4096;
			setrlimit(RLIMIT_NOFILE, &nofile); /* the storm holds 1,100 */
		}
	}
	vhost = strcmp(argv[1], "vhost") == 0;
	rng = strtoull(argv[3], NULL, 0) * 0x9e3779b97f4a7c15ULL + 1;
	rounds = (unsigned)strtoul(argv[4], NULL, 0);
	/* FP_HOSTILE_ONLY=<name>: that kind of attack alone. */
	const char *want = getenv("FP_HOSTILE_ONLY");
	int only = -1;
	for (unsigned k = 0; want != NULL && k < (vhost ? V_MAX : M_MAX); k++)
		if (strcmp(want, vhost ? vnames[k] : mnames[k]) == 0)
			only = (int)k;
	if (want != NULL && only < 0) {
		fprintf(stderr, "fp_hostile: no %s attack named %s\n", argv[1], want);
		return 2;
	}
	for (unsigned r = 0; r < rounds; r++) {
		/* Every kind in turn, so that any number of rounds covers them. */
		unsigned k = only >= 0 ? (unsigned)only : r % (vhost ? V_MAX : M_MAX);
		per_kind[k]++;
		if (vhost)
			vhost_round(argv[2], (enum vattack)k);
		else
			memif_round(argv[2], (enum mattack)k);
	}
	printf("{\"rounds\":%u,\"connections\":%lu,\"closedBySwitch\":%lu,\"attacks\":{", rounds, n_conns,
	       n_closed_by_switch);
	for (unsigned k = 0; k < (vhost ? V_MAX : M_MAX); k++)
		printf("%s\"%s\":%lu", k ? "," : "", vhost ? vnames[k] : mnames[k], per_kind[k]);
	printf("}}\n");
	return 0;
}
