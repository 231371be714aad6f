/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vhost-user ports, driven through librte_vhost directly (not the net_vhost
 * PMD: ethdev caps ports at RTE_MAX_ETHPORTS, 32 in Debian's build, and we
 * want a thousand).
 *
 * Threads: fp_vhost_open/close/kick run on fp-ctl. The callbacks run on the
 * library's threads (vhost-events; vhost-reconn for client-mode reconnects;
 * fp-ctl inside rte_vhost_driver_start/unregister). They only record state
 * the workers need and queue an event, except destroy_device, which must
 * also wait for a grace period so that no worker still uses the device when
 * the library frees it.
 *
 * Tenant isolation:
 * - One peer per port: new_connection refuses a second connection while the
 *   first lives (counted as extra_conn), so one tenant cannot take the
 *   library's device slots and descriptors that the others need.
 * - Every message goes through fp_vhu_check (fp_vhost_msg.c) before the
 *   library acts on it; a refused one ends the connection.
 * - Memory the library maps while handling a connection's message is
 *   registered with the fault guard under that connection (fp_vhost_wrap.c),
 *   so a truncated guest file ends that connection, not the process.
 *
 * The connection table (by vhost device id) is guarded by conn_lock, which is
 * never held while calling into the library or taking fp_c.ports_lock; the
 * order is ports_lock, then conn_lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_log.h>
#include <rte_rcu_qsbr.h>
#include <rte_vhost.h>

#include "../common/fp_guard.h"
#include "fp_ctl.h"
#include "fp_port_kinds.h"
#include "fp_vhost.h"
#include "fp_vhost_msg.h"

/* The switch does no checksum or segmentation work: offer no offloads, so
 * guests hand us complete frames and accept plain ones (as OVS does by
 * default). No dirty-page logging either: nobody live-migrates a container. */
#define FP_VHOST_DISABLED_FEATURES                                               \
	((1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |       \
	 (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) | \
	 (1ULL << VIRTIO_NET_F_GUEST_ECN) | (1ULL << VIRTIO_NET_F_GUEST_UFO) |   \
	 (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) |   \
	 (1ULL << VIRTIO_NET_F_HOST_ECN) | (1ULL << VIRTIO_NET_F_HOST_UFO) |     \
	 (1ULL << VHOST_F_LOG_ALL))

/* Protocol features offered: multiqueue, reply-ack and device status, what
 * virtio_user uses. Not: log shmfd, RARP, MTU, slave channel, crypto,
 * host notifiers, postcopy, inflight tracking (fp_vhu_check refuses their
 * messages too). */
#define FP_VHOST_PROTOCOL_FEATURES                                           \
	((1ULL << VHOST_USER_PROTOCOL_F_MQ) | (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) | \
	 (1ULL << VHOST_USER_PROTOCOL_F_STATUS))

__thread struct fp_vhost_owner fp_vhost_cur;
__thread int fp_vhost_last_fd = -1;

struct fp_vhost_conn {
	uint32_t token;  /* port token; 0: unused */
	uint32_t conn;   /* the port's connection number */
	int fd;          /* the connection's socket; -1: unknown or closed */
	uint16_t queues; /* the port's queue pairs: bound on vring indexes */
};

static pthread_mutex_t conn_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fp_vhost_conn conns[RTE_MAX_VHOST_DEVICE]; /* by vid, conn_lock */
static unsigned n_conns;                                  /* conn_lock */

static struct fp_vhost_conn
fp_vhost_conn_get(int vid)
{
	struct fp_vhost_conn c = { .fd = -1 };

	if (vid < 0 || vid >= RTE_MAX_VHOST_DEVICE)
		return c;
	pthread_mutex_lock(&conn_lock);
	c = conns[vid];
	pthread_mutex_unlock(&conn_lock);
	return c;
}

/* @pre fp_c.ports_lock held. */
static struct fp_port *
fp_port_by_vid_path(int vid)
{
	char path[FP_PATH_MAX];

	if (rte_vhost_get_ifname(vid, path, sizeof(path)) != 0)
		return NULL;
	for (unsigned i = 0; i < FP_MAX_PORTS; i++) {
		struct fp_port *p = fp_c.ports[i];
		if (p != NULL && p->kind == FP_PORT_VHOST && !p->removing &&
		    strcmp(p->path, path) == 0)
			return p;
	}
	return NULL;
}

/* @pre fp_c.ports_lock held. */
static struct fp_port *
fp_port_by_token(uint32_t token)
{
	struct fp_port *p = token ? fp_c.ports[token & (FP_MAX_PORTS - 1)] : NULL;
	return p != NULL && p->token == token ? p : NULL;
}

/* Returns the port's slot, for fp_ctl_post_event. @pre ports_lock held. */
static uint16_t
fp_event_init(struct fp_event *ev, enum fp_event_kind kind, const struct fp_port *p)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	snprintf(ev->port, sizeof(ev->port), "%s", p->name);
	return p->slot;
}

/* The queues the guest receives on now: enabled by it, and within what we
 * offered and it negotiated. @pre fp_c.ports_lock held. */
static void
fp_vhost_update_txq(struct fp_port *p)
{
	uint16_t qp = RTE_MIN(p->queues, __atomic_load_n(&p->queue_pairs, __ATOMIC_RELAXED));
	uint32_t en = __atomic_load_n(&p->vring_enabled, __ATOMIC_RELAXED), mask = 0;

	for (uint16_t q = 0; q < qp; q++)
		if (en & (1u << (2 * q))) /* vring 2q: to the guest */
			mask |= 1u << q;
	__atomic_store_n(&p->txq_mask, mask, __ATOMIC_RELEASE);
}

/* @pre vhost-events thread. */
static int
fp_vhost_new_device(int vid)
{
	struct fp_event ev;
	struct fp_port *p;
	uint64_t features = 0;
	uint16_t qp, slot;

	pthread_mutex_lock(&fp_c.ports_lock);
	p = fp_port_by_vid_path(vid);
	if (p == NULL || p->conn_vid != vid) {
		pthread_mutex_unlock(&fp_c.ports_lock);
		return -1; /* being removed, or not the port's peer: refuse */
	}
	rte_vhost_get_negotiated_features(vid, &features);
	qp = (uint16_t)(rte_vhost_get_vring_num(vid) / 2);
	/* We poll; ask the guest not to kick us. */
	for (uint16_t v = 0; v < qp * 2; v++)
		rte_vhost_enable_guest_notification(vid, v, 0);
	p->features = features;
	__atomic_store_n(&p->queue_pairs, qp, __ATOMIC_RELAXED);
	fp_vhost_update_txq(p);
	__atomic_store_n(&p->vid, vid, __ATOMIC_RELEASE);
	__atomic_store_n(&p->link_up, 1, __ATOMIC_RELEASE);
	slot = fp_event_init(&ev, FP_EVENT_LINK_UP, p);
	ev.features = features;
	ev.queue_pairs = qp;
	pthread_mutex_unlock(&fp_c.ports_lock);
	fp_ctl_post_event(&ev, slot);
	return 0;
}

/* @pre vhost-events thread, or fp-ctl inside rte_vhost_driver_unregister. */
static void
fp_vhost_destroy_device(int vid)
{
	struct fp_event ev;
	struct fp_port *p = NULL;
	uint16_t slot = 0;

	pthread_mutex_lock(&fp_c.ports_lock);
	for (unsigned i = 0; i < FP_MAX_PORTS; i++) {
		struct fp_port *q = fp_c.ports[i];
		if (q != NULL && q->kind == FP_PORT_VHOST &&
		    __atomic_load_n(&q->vid, __ATOMIC_RELAXED) == vid) {
			p = q;
			break;
		}
	}
	if (p != NULL) {
		__atomic_store_n(&p->link_up, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&p->vid, -1, __ATOMIC_RELEASE);
		/* The next connection enables its own rings. */
		__atomic_store_n(&p->vring_enabled, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&p->queue_pairs, 0, __ATOMIC_RELAXED);
		fp_vhost_update_txq(p);
		slot = fp_event_init(&ev, FP_EVENT_LINK_DOWN, p);
		ev.reason = fp_guard_port_faulted(p->slot, p->token) ? fp_guard_reason(p->slot) + 1 : 0;
	}
	pthread_mutex_unlock(&fp_c.ports_lock);
	if (p == NULL)
		return;
	/* Workers that loaded the old vid finish their iteration first. */
	rte_rcu_qsbr_synchronize(fp_dp.qsv, RTE_QSBR_THRID_INVALID);
	fp_ctl_post_event(&ev, slot);
}

/* @pre vhost-events thread. May come before new_device. */
static int
fp_vhost_vring_state_changed(int vid, uint16_t vring, int enable)
{
	struct fp_event ev;
	struct fp_port *p;
	uint16_t slot;

	if (vring >= 32)
		return 0;
	pthread_mutex_lock(&fp_c.ports_lock);
	p = fp_port_by_vid_path(vid);
	if (p == NULL || p->conn_vid != vid) {
		pthread_mutex_unlock(&fp_c.ports_lock);
		return 0;
	}
	if (enable)
		__atomic_fetch_or(&p->vring_enabled, 1u << vring, __ATOMIC_RELEASE);
	else
		__atomic_fetch_and(&p->vring_enabled, ~(1u << vring), __ATOMIC_RELEASE);
	fp_vhost_update_txq(p);
	slot = fp_event_init(&ev, FP_EVENT_QUEUE_STATE, p);
	ev.vring = vring;
	ev.enabled = (uint8_t)(enable != 0);
	pthread_mutex_unlock(&fp_c.ports_lock);
	fp_ctl_post_event(&ev, slot);
	return 0;
}

/* Log a tenant's misbehaviour at most once a second per port.
 * @pre fp_c.ports_lock held. */
static int
fp_vhost_log_ok(struct fp_port *p)
{
	uint64_t now = rte_get_tsc_cycles();

	if (now - p->peer_log_tsc < fp_c.tsc_hz)
		return 0;
	p->peer_log_tsc = now;
	return 1;
}

void
fp_vhost_refused(const char *path)
{
	struct fp_event ev;
	struct fp_port *p = NULL;
	uint16_t slot = 0;
	int report = 0;

	pthread_mutex_lock(&fp_c.ports_lock);
	for (unsigned i = 0; i < FP_MAX_PORTS && p == NULL; i++)
		if (fp_c.ports[i] != NULL && fp_c.ports[i]->kind == FP_PORT_VHOST && !fp_c.ports[i]->removing &&
		    strcmp(fp_c.ports[i]->path, path) == 0)
			p = fp_c.ports[i];
	if (p != NULL) {
		__atomic_fetch_add(&p->peer_err[FP_PEER_bad_socket], 1, __ATOMIC_RELAXED);
		report = fp_vhost_log_ok(p);
		if (report) {
			slot = fp_event_init(&ev, FP_EVENT_LINK_DOWN, p);
			ev.reason = FP_PEER_bad_socket + 1;
			RTE_LOG(WARNING, USER1, "port %s: %s is not a socket of its container (a link or another file): not connecting\n",
				p->name, path);
		}
	}
	pthread_mutex_unlock(&fp_c.ports_lock);
	if (report)
		fp_ctl_post_event(&ev, slot);
}

/* Check every message before librte_vhost acts on it. @pre vhost thread. */
static enum rte_vhost_msg_result
fp_vhost_pre_msg(int vid, void *msg)
{
	static int layout_warned;
	struct fp_vhu_ctx *ctx = msg;
	struct fp_vhost_conn c = fp_vhost_conn_get(vid);
	char why[FP_ERR_LEN] = "";
	int layout = fp_vhu_layout_ok(ctx);
	struct fp_port *p;

	fp_vhost_cur = (struct fp_vhost_owner){ c.token, c.conn };
	if (!layout) {
		snprintf(why, sizeof(why), "message bookkeeping does not match DPDK 22.11's");
		if (!__atomic_exchange_n(&layout_warned, 1, __ATOMIC_RELAXED))
			RTE_LOG(CRIT, USER1, "vhost: librte_vhost's message layout is not the one "
				"fastpath was built for; refusing vhost-user connections\n");
	} else if (c.token == 0) {
		snprintf(why, sizeof(why), "connection not known");
	} else if (fp_vhu_check(ctx, c.queues, why) == 0) {
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED; /* the library handles it */
	}

	/* Refused: close what it carried, and drop a reply-ack so that the
	 * library ends the connection instead of answering. */
	if (layout)
		fp_vhu_close_fds(ctx);
	ctx->flags &= ~(uint32_t)FP_VHU_NEED_REPLY;
	fp_vhost_cur = (struct fp_vhost_owner){ 0, 0 };
	if (c.token != 0)
		fp_guard_report(c.token, c.conn, 0, FP_PEER_bad_message, 1);
	pthread_mutex_lock(&fp_c.ports_lock);
	p = fp_port_by_token(c.token);
	if (p != NULL && fp_vhost_log_ok(p))
		RTE_LOG(WARNING, USER1, "port %s: refused vhost-user message (%s); closing the "
			"connection\n", p->name, why);
	pthread_mutex_unlock(&fp_c.ports_lock);
	return RTE_VHOST_MSG_RESULT_ERR;
}

static enum rte_vhost_msg_result
fp_vhost_post_msg(int vid, void *msg)
{
	(void)vid;
	(void)msg;
	fp_vhost_cur = (struct fp_vhost_owner){ 0, 0 };
	return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
}

static const struct rte_vhost_user_extern_ops fp_vhost_msg_ops = {
	.pre_msg_handle = fp_vhost_pre_msg,
	.post_msg_handle = fp_vhost_post_msg,
};

/* A socket was accepted (server) or connected (client) for a port.
 * @pre the thread that accepted or connected it. */
static int
fp_vhost_new_connection(int vid)
{
	int fd = fp_vhost_last_fd;
	struct fp_port *p;
	struct fp_vhost_conn c;

	fp_vhost_last_fd = -1;
	if (vid < 0 || vid >= RTE_MAX_VHOST_DEVICE)
		return -1;
	pthread_mutex_lock(&fp_c.ports_lock);
	p = fp_port_by_vid_path(vid);
	if (p == NULL) {
		pthread_mutex_unlock(&fp_c.ports_lock);
		return -1;
	}
	if (p->conn_vid >= 0) {
		__atomic_fetch_add(&p->peer_err[FP_PEER_extra_conn], 1, __ATOMIC_RELAXED);
		if (fp_vhost_log_ok(p))
			RTE_LOG(WARNING, USER1, "port %s: refused a second connection\n", p->name);
		pthread_mutex_unlock(&fp_c.ports_lock);
		return -1;
	}
	p->conn_vid = vid;
	p->conn_seq++;
	fp_guard_clear(p->slot); /* a new peer starts clean */
	c = (struct fp_vhost_conn){ p->token, p->conn_seq, fd, p->queues };
	pthread_mutex_lock(&conn_lock);
	if (conns[vid].token == 0)
		n_conns++;
	conns[vid] = c;
	pthread_mutex_unlock(&conn_lock);
	pthread_mutex_unlock(&fp_c.ports_lock);
	if (rte_vhost_extern_callback_register(vid, &fp_vhost_msg_ops, NULL) != 0)
		return -1; /* the library never calls destroy_connection then */
	return 0;
}

/* @pre librte_vhost thread, before the library frees the device. */
static void
fp_vhost_destroy_connection(int vid)
{
	struct fp_vhost_conn c = { .fd = -1 };
	struct fp_port *p;

	if (vid < 0 || vid >= RTE_MAX_VHOST_DEVICE)
		return;
	pthread_mutex_lock(&fp_c.ports_lock);
	pthread_mutex_lock(&conn_lock);
	c = conns[vid];
	if (c.token != 0)
		n_conns--;
	conns[vid] = (struct fp_vhost_conn){ .fd = -1 };
	pthread_mutex_unlock(&conn_lock);
	p = fp_port_by_token(c.token);
	if (p != NULL && p->conn_vid == vid)
		p->conn_vid = -1;
	pthread_mutex_unlock(&fp_c.ports_lock);
	if (fp_vhost_cur.token == c.token && fp_vhost_cur.conn == c.conn)
		fp_vhost_cur = (struct fp_vhost_owner){ 0, 0 };
}

static const struct rte_vhost_device_ops fp_vhost_ops = {
	.new_device = fp_vhost_new_device,
	.destroy_device = fp_vhost_destroy_device,
	.vring_state_changed = fp_vhost_vring_state_changed,
	.new_connection = fp_vhost_new_connection,
	.destroy_connection = fp_vhost_destroy_connection,
};

void
fp_vhost_fd_closing(int fd)
{
	if (fd < 0 || __atomic_load_n(&n_conns, __ATOMIC_RELAXED) == 0)
		return;
	pthread_mutex_lock(&conn_lock);
	for (unsigned i = 0; i < RTE_MAX_VHOST_DEVICE; i++)
		if (conns[i].token != 0 && conns[i].fd == fd)
			conns[i].fd = -1;
	pthread_mutex_unlock(&conn_lock);
}

int
fp_vhost_fd_tracked(int fd)
{
	int hit = 0;

	if (fd < 0 || __atomic_load_n(&n_conns, __ATOMIC_RELAXED) == 0)
		return 0;
	pthread_mutex_lock(&conn_lock);
	for (unsigned i = 0; i < RTE_MAX_VHOST_DEVICE && !hit; i++)
		hit = conns[i].token != 0 && conns[i].fd == fd;
	pthread_mutex_unlock(&conn_lock);
	return hit;
}

int
fp_vhost_fd_stalled(int fd)
{
	uint32_t token = 0, conn = 0;

	pthread_mutex_lock(&conn_lock);
	for (unsigned i = 0; i < RTE_MAX_VHOST_DEVICE; i++) {
		if (conns[i].token != 0 && conns[i].fd == fd) {
			token = conns[i].token;
			conn = conns[i].conn;
			break;
		}
	}
	pthread_mutex_unlock(&conn_lock);
	if (token != 0)
		fp_guard_report(token, conn, 0, FP_PEER_not_reading, 1);
	return token != 0;
}

void
fp_vhost_kick(struct fp_port *p)
{
	int vid;

	pthread_mutex_lock(&fp_c.ports_lock);
	vid = p->conn_vid;
	pthread_mutex_unlock(&fp_c.ports_lock);
	if (vid < 0 || vid >= RTE_MAX_VHOST_DEVICE)
		return;
	pthread_mutex_lock(&conn_lock);
	/* Under conn_lock: the library cannot close (and reuse) the fd meanwhile. */
	if (conns[vid].token == p->token && conns[vid].fd >= 0)
		shutdown(conns[vid].fd, SHUT_RDWR); /* the library sees EOF and tears down */
	pthread_mutex_unlock(&conn_lock);
}

int
fp_vhost_open(struct fp_port *p, char *err)
{
	uint64_t flags = 0;

	if (p->mode == FP_PORT_CLIENT)
		flags |= RTE_VHOST_USER_CLIENT; /* reconnects by default */
	if (rte_vhost_driver_register(p->path, flags) != 0)
		return fp_err(err, -EIO, "vhost: cannot register socket %s (see the log)", p->path);
	rte_vhost_driver_disable_features(p->path, FP_VHOST_DISABLED_FEATURES);
	rte_vhost_driver_set_protocol_features(p->path, FP_VHOST_PROTOCOL_FEATURES);
	rte_vhost_driver_callback_register(p->path, &fp_vhost_ops);
	return 0;
}

int
fp_vhost_start(struct fp_port *p, char *err)
{
	if (rte_vhost_driver_start(p->path) != 0)
		/* The orchestrator clears stale socket files first, so the usual
		 * cause is the vhost library's fd table (1024 entries, shared by
		 * listening sockets and guest connections) being full. */
		return fp_err(err, -ENOSPC,
			      "vhost: cannot start socket %s: its table of 1024 sockets and "
			      "connections is probably full (see the VHOST_CONFIG log)", p->path);
	return 0;
}

int
fp_vhost_port_open(struct fp_port *p, const struct fp_port_conf *c, char *err)
{
	int rc;

	(void)c;
	rc = fp_vhost_open(p, err);
	if (rc != 0)
		return rc;
	rc = fp_vhost_start(p, err);
	if (rc != 0) {
		/* Callbacks may have found p in its slot: they must ignore it now. */
		pthread_mutex_lock(&fp_c.ports_lock);
		p->removing = 1;
		pthread_mutex_unlock(&fp_c.ports_lock);
		fp_vhost_close(p);
	}
	return rc;
}

/* Calls destroy_device for a connected guest (on this thread), unmaps its
 * memory, closes its socket. @pre p unpublished, p->removing set. */
void
fp_vhost_close(struct fp_port *p)
{
	rte_vhost_driver_unregister(p->path);
	if (p->mode == FP_PORT_SERVER)
		unlink(p->path);
	/* unregister ends connections without destroy_connection. */
	pthread_mutex_lock(&fp_c.ports_lock);
	pthread_mutex_lock(&conn_lock);
	for (unsigned i = 0; i < RTE_MAX_VHOST_DEVICE; i++) {
		if (conns[i].token == p->token) {
			conns[i] = (struct fp_vhost_conn){ .fd = -1 };
			n_conns--;
		}
	}
	pthread_mutex_unlock(&conn_lock);
	p->conn_vid = -1;
	pthread_mutex_unlock(&fp_c.ports_lock);
}
