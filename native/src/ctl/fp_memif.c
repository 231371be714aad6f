/* SPDX-License-Identifier: Apache-2.0 */
/*
 * memif ports, served by fastpath itself (protocol version 2.0, copy mode,
 * fastpath as server): the control channel runs on fp-ctl, the rings on the
 * workers (src/dp/fp_memif_dp.h).
 *
 * The client is a tenant. Its control messages are checked against the
 * connection's state and the port's limits before anything is kept; its
 * region files must hold every byte it declares; its regions are registered
 * with the fault guard before the first access and forgotten before they are
 * unmapped; each ring must lie inside its region. (DPDK's memif client in
 * zero-copy mode declares each memseg list as a region far larger than the
 * file behind it: it is refused; its default copy mode works.) Anything
 * else ends the
 * connection with a DISCONNECT message naming the reason. One connection per
 * port: another one is accepted and closed at once (extra_conn).
 *
 * Wire format (the memif specification, as DPDK, VPP and libmemif speak
 * it): SOCK_SEQPACKET, one 128-byte message per packet, descriptors passed
 * with SCM_RIGHTS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "../common/fp_guard.h"
#include "../common/fp_memif_shm.h"
#include "fp_ctl.h"
#include "fp_memif.h"
#include "fp_port_kinds.h"

#define FP_MIF_VERSION 0x0200 /* 2.0 */
#define FP_MIF_NAME "fastpath"
#define FP_MIF_RING_C2S 1     /* ADD_RING flag */
#define FP_MIF_MAX_REGION_SIZE (1ULL << 32) /* descriptors carry 32-bit offsets */
#define FP_MIF_MAX_MEM (64ULL << 30)        /* per connection, as for vhost-user */
#define FP_MIF_MSGS_PER_WAKE 16

enum fp_mif_type {
	FP_MIF_T_ACK = 1,
	FP_MIF_T_HELLO,
	FP_MIF_T_INIT,
	FP_MIF_T_ADD_REGION,
	FP_MIF_T_ADD_RING,
	FP_MIF_T_CONNECT,
	FP_MIF_T_CONNECTED,
	FP_MIF_T_DISCONNECT,
};

struct fp_mif_msg {
	uint16_t type;
	union {
		struct {
			uint8_t name[32];
			uint16_t min_version, max_version, max_region;
			uint16_t max_s2c_ring, max_c2s_ring;
			uint8_t max_log2_ring_size;
		} __attribute__((packed)) hello;
		struct {
			uint16_t version;
			uint32_t id;
			uint8_t mode;
			uint8_t secret[24];
			uint8_t name[32];
		} __attribute__((packed)) init;
		struct {
			uint16_t index;
			uint64_t size;
		} __attribute__((packed)) add_region;
		struct {
			uint16_t flags, index, region;
			uint32_t offset;
			uint8_t log2_ring_size;
			uint16_t private_hdr_size;
		} __attribute__((packed)) add_ring;
		struct {
			uint8_t if_name[32];
		} connect, connected;
		struct {
			uint32_t code;
			uint8_t string[96];
		} __attribute__((packed)) disconnect;
	};
} __attribute__((packed, aligned(128)));

_Static_assert(sizeof(struct fp_mif_msg) == 128, "memif message size");

enum fp_mif_state { FP_MIF_IDLE, FP_MIF_HELLO_SENT, FP_MIF_INITED, FP_MIF_UP };

struct fp_mif_ring_conf {
	uint8_t added;
	uint8_t log2;
	uint16_t region;
	uint32_t offset;
};

struct fp_memif {
	struct fp_port *port;
	uint8_t max_log2;
	struct fp_ctl_watch lsn;   /* listening socket */
	struct fp_ctl_watch conn;  /* the peer's connection; fd -1: none */
	enum fp_mif_state state;
	uint32_t conn_no;          /* p->conn_seq when it was accepted */
	uint16_t n_regions;
	uint64_t mem;              /* bytes declared so far */
	struct {
		int fd;
		uint64_t size;
		uint8_t *addr;
		size_t span;
	} region[FP_MEMIF_MAX_REGIONS];
	struct fp_mif_ring_conf c2s[FP_MAX_QUEUES], s2c[FP_MAX_QUEUES];
	struct fp_memif_dp *dp;    /* published while UP */
};

static int
fp_mif_send(struct fp_memif *m, const struct fp_mif_msg *msg)
{
	ssize_t n = send(m->conn.fd, msg, sizeof(*msg), MSG_DONTWAIT | MSG_NOSIGNAL);
	return n == (ssize_t)sizeof(*msg) ? 0 : -1;
}

static void
fp_mif_send_type(struct fp_memif *m, uint16_t type, int *failed)
{
	struct fp_mif_msg msg = { .type = type };

	if (type == FP_MIF_T_CONNECTED) /* the port's name, cut to the field */
		memcpy(msg.connected.if_name, m->port->name,
		       RTE_MIN(strlen(m->port->name), sizeof(msg.connected.if_name)));
	if (fp_mif_send(m, &msg) != 0)
		*failed = 1;
}

static void
fp_mif_post_link(struct fp_memif *m, enum fp_event_kind kind, uint8_t reason)
{
	struct fp_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	snprintf(ev.port, sizeof(ev.port), "%s", m->port->name);
	ev.queue_pairs = m->port->queue_pairs;
	ev.reason = reason;
	if (fp_c.conf.on_event != NULL)
		fp_c.conf.on_event(&ev, fp_c.conf.event_ctx);
}

/*
 * End the connection: workers stop (unpublish, grace period), regions are
 * forgotten by the guard and unmapped, descriptors closed. reason: 1 +
 * enum fp_peer_error when we end it, 0 when the peer left.
 */
static void
fp_mif_teardown(struct fp_memif *m, uint8_t reason)
{
	struct fp_port *p = m->port;

	if (reason == 0 && fp_guard_port_faulted(p->slot, p->token))
		reason = fp_guard_reason(p->slot) + 1;
	if (m->dp != NULL) {
		__atomic_store_n(&p->link_up, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&p->txq_mask, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&p->memif_dp, NULL, __ATOMIC_RELEASE);
		rte_rcu_qsbr_synchronize(fp_dp.qsv, RTE_QSBR_THRID_INVALID);
		rte_free(m->dp);
		m->dp = NULL;
		fp_mif_post_link(m, FP_EVENT_LINK_DOWN, reason);
	}
	for (unsigned i = 0; i < m->n_regions; i++) {
		if (m->region[i].addr != NULL) {
			fp_guard_forget_range(m->region[i].addr, m->region[i].span);
			munmap(m->region[i].addr, m->region[i].span);
		}
		if (m->region[i].fd >= 0)
			close(m->region[i].fd);
	}
	memset(m->region, 0, sizeof(m->region));
	m->n_regions = 0;
	m->mem = 0;
	memset(m->c2s, 0, sizeof(m->c2s));
	memset(m->s2c, 0, sizeof(m->s2c));
	if (m->conn.fd >= 0) {
		fp_ctl_watch_del(&m->conn);
		close(m->conn.fd);
		m->conn.fd = -1;
	}
	m->state = FP_MIF_IDLE;
}

/* The peer broke the protocol: tell it why, count it, end the connection. */
static void
fp_mif_refuse(struct fp_memif *m, enum fp_peer_error err, const char *why)
{
	struct fp_port *p = m->port;
	struct fp_mif_msg msg = { .type = FP_MIF_T_DISCONNECT };
	uint64_t now = rte_get_tsc_cycles();

	msg.disconnect.code = 1;
	snprintf((char *)msg.disconnect.string, sizeof(msg.disconnect.string), "%s", why);
	fp_mif_send(m, &msg); /* best effort */
	__atomic_fetch_add(&p->peer_err[err], 1, __ATOMIC_RELAXED);
	if (now - p->peer_log_tsc >= fp_c.tsc_hz) {
		p->peer_log_tsc = now;
		RTE_LOG(WARNING, USER1, "port %s: memif peer refused (%s)\n", p->name, why);
	}
	fp_mif_teardown(m, (uint8_t)(err + 1));
}

static void
fp_mif_close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/* Map the regions (guarded before the first access), check the rings and
 * publish them to the workers. NULL on success, else why not. */
static const char *
fp_mif_connect(struct fp_memif *m)
{
	struct fp_port *p = m->port;
	struct fp_memif_dp *d;
	uint16_t n_c2s = 0, n_s2c = 0;

	while (n_c2s < FP_MAX_QUEUES && m->c2s[n_c2s].added)
		n_c2s++;
	while (n_s2c < FP_MAX_QUEUES && m->s2c[n_s2c].added)
		n_s2c++;
	if (n_c2s == 0 || n_s2c == 0)
		return "a ring in each direction is needed";
	for (unsigned q = 0; q < FP_MAX_QUEUES; q++)
		if ((q >= n_c2s && m->c2s[q].added) || (q >= n_s2c && m->s2c[q].added))
			return "ring indexes must be contiguous from 0";
	for (unsigned i = 0; i < m->n_regions; i++) {
		struct stat st;
		size_t blk = 4096;
		void *a;

		if (fstat(m->region[i].fd, &st) == 0 && st.st_blksize > 0)
			blk = (size_t)st.st_blksize;
		m->region[i].span = (m->region[i].size + blk - 1) / blk * blk;
		a = mmap(NULL, m->region[i].span, PROT_READ | PROT_WRITE, MAP_SHARED, m->region[i].fd, 0);
		if (a == MAP_FAILED)
			return "a region cannot be mapped";
		if (fp_guard_add(a, m->region[i].span, p->token, m->conn_no) != 0) {
			munmap(a, m->region[i].span);
			return "too many tenant memory regions in this daemon";
		}
		m->region[i].addr = a;
		close(m->region[i].fd); /* the mapping keeps the file */
		m->region[i].fd = -1;
	}
	d = rte_zmalloc("fp_memif_dp", sizeof(*d), RTE_CACHE_LINE_SIZE);
	if (d == NULL)
		return "out of memory";
	d->token = p->token;
	d->conn = m->conn_no;
	d->n_regions = m->n_regions;
	d->n_c2s = n_c2s;
	d->n_s2c = n_s2c;
	for (unsigned i = 0; i < m->n_regions; i++) {
		d->region[i].addr = m->region[i].addr;
		d->region[i].size = m->region[i].size;
	}
	for (unsigned dir = 0; dir < 2; dir++) {
		const struct fp_mif_ring_conf *rc = dir == 0 ? m->c2s : m->s2c;
		struct fp_memif_dp_ring *dr = dir == 0 ? d->c2s : d->s2c;

		for (unsigned q = 0; q < (dir == 0 ? n_c2s : n_s2c); q++) {
			struct fp_memif_ring *ring =
				(struct fp_memif_ring *)(m->region[rc[q].region].addr + rc[q].offset);

			/* A truncated file faults here: the guard turns it into zeros. */
			if (__atomic_load_n(&ring->cookie, __ATOMIC_RELAXED) != FP_MEMIF_COOKIE) {
				rte_free(d);
				return "a ring has no memif cookie";
			}
			__atomic_store_n(&ring->head, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&ring->tail, 0, __ATOMIC_RELAXED);
			if (dir == 0)
				ring->flags = FP_MEMIF_RING_FLAG_MASK_INT; /* we poll */
			dr[q].ring = ring;
			dr[q].mask = (uint16_t)((1u << rc[q].log2) - 1);
			dr[q].last = 0;
		}
	}
	m->dp = d;
	p->queue_pairs = n_s2c;
	__atomic_store_n(&p->txq_mask, (1u << RTE_MIN(n_s2c, p->queues)) - 1, __ATOMIC_RELEASE);
	__atomic_store_n(&p->memif_dp, d, __ATOMIC_RELEASE);
	__atomic_store_n(&p->link_up, 1, __ATOMIC_RELEASE);
	fp_mif_post_link(m, FP_EVENT_LINK_UP, 0);
	return NULL;
}

static const char *
fp_mif_add_region(struct fp_memif *m, const struct fp_mif_msg *msg, int fd)
{
	uint16_t idx = msg->add_region.index;
	uint64_t size = msg->add_region.size;
	struct stat st;

	if (idx != m->n_regions || idx >= FP_MEMIF_MAX_REGIONS)
		return "region index out of order or too large";
	if (size == 0 || size > FP_MIF_MAX_REGION_SIZE || m->mem + size > FP_MIF_MAX_MEM)
		return "region size out of range";
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return "region is not backed by a file";
	if ((uint64_t)st.st_size < size)
		return "region is larger than its file";
	m->region[idx].fd = fd;
	m->region[idx].size = size;
	m->n_regions++;
	m->mem += size;
	return NULL;
}

static const char *
fp_mif_add_ring(struct fp_memif *m, const struct fp_mif_msg *msg)
{
	uint16_t flags = msg->add_ring.flags, idx = msg->add_ring.index;
	uint16_t region = msg->add_ring.region;
	uint32_t off = msg->add_ring.offset;
	uint8_t log2 = msg->add_ring.log2_ring_size;
	struct fp_mif_ring_conf *rc;

	if ((flags & ~FP_MIF_RING_C2S) != 0 || msg->add_ring.private_hdr_size != 0)
		return "unsupported ring flags";
	if (idx >= m->port->queues)
		return "more rings than the port has queues";
	rc = (flags & FP_MIF_RING_C2S) ? &m->c2s[idx] : &m->s2c[idx];
	if (rc->added)
		return "ring added twice";
	if (region >= m->n_regions)
		return "ring in a region not added";
	if (log2 < 1 || log2 > m->max_log2)
		return "ring size out of range";
	if (off % 64 != 0 ||
	    (uint64_t)off + sizeof(struct fp_memif_ring) +
	    ((uint64_t)sizeof(struct fp_memif_desc) << log2) > m->region[region].size)
		return "ring outside its region or misaligned";
	*rc = (struct fp_mif_ring_conf){ .added = 1, .log2 = log2, .region = region, .offset = off };
	return NULL;
}

/* One message from the peer; fds are closed here unless kept. */
static void
fp_mif_handle(struct fp_memif *m, const struct fp_mif_msg *msg, int *fds, int nfds)
{
	const char *why = NULL;
	int failed = 0;

	if (msg->type == FP_MIF_T_DISCONNECT) {
		fp_mif_close_fds(fds, nfds);
		fp_mif_teardown(m, 0); /* the peer leaves */
		return;
	}
	switch (m->state) {
	case FP_MIF_HELLO_SENT:
		if (msg->type != FP_MIF_T_INIT || nfds != 0)
			why = "expected INIT";
		else if (msg->init.version != FP_MIF_VERSION)
			why = "unsupported memif version";
		else if (msg->init.id != 0 || msg->init.mode != 0)
			why = "only interface id 0 in ethernet mode";
		if (why == NULL) {
			m->state = FP_MIF_INITED;
			fp_mif_send_type(m, FP_MIF_T_ACK, &failed);
		}
		break;
	case FP_MIF_INITED:
		if (msg->type == FP_MIF_T_ADD_REGION) {
			why = nfds != 1 ? "ADD_REGION needs one descriptor" : fp_mif_add_region(m, msg, fds[0]);
			if (why == NULL) {
				nfds = 0; /* kept */
				fp_mif_send_type(m, FP_MIF_T_ACK, &failed);
			}
		} else if (msg->type == FP_MIF_T_ADD_RING) {
			/* Its descriptor is the ring's interrupt eventfd: we poll. */
			why = nfds != 1 ? "ADD_RING needs one descriptor" : fp_mif_add_ring(m, msg);
			if (why == NULL)
				fp_mif_send_type(m, FP_MIF_T_ACK, &failed);
		} else if (msg->type == FP_MIF_T_CONNECT && nfds == 0) {
			why = fp_mif_connect(m);
			if (why == NULL) {
				m->state = FP_MIF_UP;
				fp_mif_send_type(m, FP_MIF_T_CONNECTED, &failed);
			}
		} else {
			why = "unexpected message";
		}
		break;
	default:
		why = "unexpected message";
		break;
	}
	fp_mif_close_fds(fds, nfds);
	if (why != NULL)
		fp_mif_refuse(m, FP_PEER_bad_message, why);
	else if (failed)
		fp_mif_refuse(m, FP_PEER_not_reading, "peer not reading its socket");
}

/* 1: a message; 0: the peer closed; -EAGAIN: none now; else malformed. */
static int
fp_mif_recv(int fd, struct fp_mif_msg *msg, int *fds, int *nfds)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = { .iov_base = msg, .iov_len = sizeof(*msg) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	*nfds = 0;
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -EIO;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			for (int i = 0; i < k && *nfds < 4; i++)
				memcpy(&fds[(*nfds)++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
		}
	}
	if (n == 0 && *nfds == 0)
		return 0;
	if (n != (ssize_t)sizeof(*msg) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return -EPROTO;
	return 1;
}

static void
fp_mif_on_conn(struct fp_ctl_watch *w, uint32_t events)
{
	struct fp_memif *m = container_of(w, struct fp_memif, conn);

	(void)events;
	for (int i = 0; i < FP_MIF_MSGS_PER_WAKE && m->conn.fd >= 0; i++) {
		struct fp_mif_msg msg;
		int fds[4], nfds, rc;

		memset(&msg, 0, sizeof(msg));
		rc = fp_mif_recv(m->conn.fd, &msg, fds, &nfds);
		if (rc == -EAGAIN)
			return;
		if (rc == 0) {
			fp_mif_teardown(m, 0);
			return;
		}
		if (rc < 0) {
			fp_mif_close_fds(fds, nfds);
			fp_mif_refuse(m, FP_PEER_bad_message, "malformed message");
			return;
		}
		fp_mif_handle(m, &msg, fds, nfds);
	}
}

static void
fp_mif_on_listen(struct fp_ctl_watch *w, uint32_t events)
{
	struct fp_memif *m = container_of(w, struct fp_memif, lsn);
	struct fp_port *p = m->port;

	(void)events;
	for (int i = 0; i < FP_MIF_MSGS_PER_WAKE; i++) {
		struct fp_mif_msg hello = { .type = FP_MIF_T_HELLO };
		int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		if (m->conn.fd >= 0) {
			close(fd); /* one peer per port */
			__atomic_fetch_add(&p->peer_err[FP_PEER_extra_conn], 1, __ATOMIC_RELAXED);
			continue;
		}
		m->conn.fd = fd;
		if (fp_ctl_watch_add(&m->conn, EPOLLIN) != 0) {
			close(fd);
			m->conn.fd = -1;
			continue;
		}
		pthread_mutex_lock(&fp_c.ports_lock);
		m->conn_no = ++p->conn_seq;
		pthread_mutex_unlock(&fp_c.ports_lock);
		fp_guard_clear(p->slot);
		m->state = FP_MIF_HELLO_SENT;
		snprintf((char *)hello.hello.name, sizeof(hello.hello.name), FP_MIF_NAME);
		hello.hello.min_version = FP_MIF_VERSION;
		hello.hello.max_version = FP_MIF_VERSION;
		hello.hello.max_region = FP_MEMIF_MAX_REGIONS - 1;
		hello.hello.max_c2s_ring = (uint16_t)(p->queues - 1);
		hello.hello.max_s2c_ring = (uint16_t)(p->queues - 1);
		hello.hello.max_log2_ring_size = m->max_log2;
		if (fp_mif_send(m, &hello) != 0)
			fp_mif_teardown(m, 0);
	}
}

int
fp_memif_open(struct fp_port *p, uint8_t max_log2_ring, char *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct fp_memif *m;
	int fd;

	if (max_log2_ring < 1 || max_log2_ring > FP_MEMIF_MAX_LOG2_RING)
		return fp_err(err, -EINVAL, "memif ring size 2^%u: 1..%d", max_log2_ring,
			      FP_MEMIF_MAX_LOG2_RING);
	if (strlen(p->path) >= sizeof(sa.sun_path))
		return fp_err(err, -ENAMETOOLONG, "socket path too long: %s", p->path);
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return fp_err(err, -ENOMEM, "out of memory");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p->path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 8) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		free(m);
		return fp_err(err, -e, "memif: cannot listen on %s: %s", p->path, strerror(e));
	}
	m->port = p;
	m->max_log2 = max_log2_ring;
	m->conn.fd = -1;
	m->conn.cb = fp_mif_on_conn;
	m->lsn.fd = fd;
	m->lsn.cb = fp_mif_on_listen;
	if (fp_ctl_watch_add(&m->lsn, EPOLLIN) != 0) {
		int e = errno;
		close(fd);
		unlink(p->path);
		free(m);
		return fp_err(err, -e, "memif: cannot watch %s", p->path);
	}
	p->memif = m;
	p->vring_enabled = UINT32_MAX; /* rx gating is the link alone */
	return 0;
}

int
fp_memif_port_open(struct fp_port *p, const struct fp_port_conf *c, char *err)
{
	return fp_memif_open(p, c->memif_log2_ring, err);
}

void
fp_memif_kick(struct fp_port *p)
{
	struct fp_memif *m = p->memif;

	if (m != NULL && m->conn.fd >= 0)
		fp_mif_teardown(m, 0);
}

void
fp_memif_close(struct fp_port *p)
{
	struct fp_memif *m = p->memif;

	if (m == NULL)
		return;
	fp_mif_teardown(m, 0);
	fp_ctl_watch_del(&m->lsn);
	close(m->lsn.fd);
	unlink(p->path);
	free(m);
	p->memif = NULL;
}
