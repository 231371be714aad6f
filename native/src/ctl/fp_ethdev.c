/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ports backed by an ethdev vdev: the kernel exception path's net_tap, or
 * virtio_user on /dev/vhost-net (memif ports are fastpath's own server,
 * fp_memif.c, not DPDK's net_memif). Commands run on fp-ctl; the link
 * state callback runs on EAL's interrupt thread and only records the link
 * and queues an event. Workers need no grace period on link down: an
 * ethdev's rx/tx bursts stay valid until the port is stopped, which happens
 * only after the port was unpublished and a grace period has passed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#include "fp_ctl.h"
#include "fp_port_kinds.h"

#define FP_ETH_DESC 1024
/* An uplink's rings: what arrives while its worker waits for a CPU it
 * shares, or sends a burst to a busy NIC, must fit (AF_XDP sizes its rings
 * from these; AF_PACKET from its framecnt devarg, set by the orchestrator). */
#define FP_UPLINK_DESC 4096

/*
 * Record p's link as the device reports it; queue an event if it changed.
 * @pre fp_c.ports_lock held. Returns 1 when an event was filled in.
 */
static int
fp_ethdev_update_link(struct fp_port *p, struct fp_event *ev)
{
	struct rte_eth_link link;
	uint32_t up;

	if (rte_eth_link_get_nowait(p->eth_port, &link) != 0)
		return 0;
	/* The kernel side of a tap or vhost-net port is ours: it may be down
	 * (or in another namespace, where the PMD cannot query it) while
	 * frames still flow through its file descriptor. */
	up = link.link_status || p->kernel ? 1 : 0;
	if (__atomic_load_n(&p->link_up, __ATOMIC_RELAXED) == up)
		return 0;
	__atomic_store_n(&p->link_up, up, __ATOMIC_RELEASE);
	memset(ev, 0, sizeof(*ev));
	ev->kind = up ? FP_EVENT_LINK_UP : FP_EVENT_LINK_DOWN;
	snprintf(ev->port, sizeof(ev->port), "%s", p->name);
	ev->queue_pairs = p->queue_pairs;
	return 1;
}

/* @pre EAL interrupt thread. */
static int
fp_ethdev_lsc(uint16_t port_id, enum rte_eth_event_type type, void *arg, void *ret)
{
	struct fp_event ev;
	int post = 0;
	uint16_t slot = 0;

	(void)type;
	(void)arg;
	(void)ret;
	pthread_mutex_lock(&fp_c.ports_lock);
	for (unsigned i = 0; i < FP_MAX_PORTS; i++) {
		struct fp_port *q = fp_c.ports[i];
		if (q != NULL && q->kind == FP_PORT_ETHDEV && q->eth_port == port_id && !q->removing) {
			post = fp_ethdev_update_link(q, &ev);
			slot = q->slot;
			break;
		}
	}
	pthread_mutex_unlock(&fp_c.ports_lock);
	if (post)
		fp_ctl_post_event(&ev, slot);
	return 0;
}

/* For PMDs without link interrupts. @pre fp-ctl, called every loop. */
void
fp_ethdev_poll_links(void)
{
	for (unsigned i = 0; i < FP_MAX_PORTS; i++) {
		struct fp_port *q = fp_c.ports[i];
		struct fp_event ev;
		int post = 0;

		if (q == NULL || q->kind != FP_PORT_ETHDEV || q->eth_port == UINT16_MAX)
			continue;
		pthread_mutex_lock(&fp_c.ports_lock);
		if (!q->removing)
			post = fp_ethdev_update_link(q, &ev);
		pthread_mutex_unlock(&fp_c.ports_lock);
		if (post && fp_c.conf.on_event != NULL)
			fp_c.conf.on_event(&ev, fp_c.conf.event_ctx);
	}
}

#ifndef AF_XDP
#define AF_XDP 44
#endif

/* Whether fd is an AF_XDP socket. */
static int
fp_is_xsk(int fd)
{
	int domain = 0;
	socklen_t len = sizeof(domain);

	return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_XDP;
}

/* The process's AF_XDP sockets, into fds (at most n); how many. */
static unsigned
fp_xsk_list(int *fds, unsigned n)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	unsigned k = 0;

	while (d != NULL && k < n && (e = readdir(d)) != NULL) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] != '.' && fd != dirfd(d) && fp_is_xsk(fd))
			fds[k++] = fd;
	}
	if (d != NULL)
		closedir(d);
	return k;
}

/*
 * DPDK 22.11's net_af_xdp, on close, leaves the socket that carries its
 * UMEM open (the one its mempool shares): the queue stays bound, and the
 * same interface cannot be opened again in this process (bind: EBUSY).
 * The sockets an open made are remembered (those that were not there
 * before) and closed after the device, if still open; none is another
 * live port's (fp-ctl opens one device at a time).
 */
static void
fp_xsk_remember(struct fp_port *p, const int *before, unsigned n_before)
{
	int now[64];
	unsigned n = fp_xsk_list(now, RTE_DIM(now)), k = 0;

	for (unsigned i = 0; i < RTE_DIM(p->xsk_fd); i++)
		p->xsk_fd[i] = -1;
	for (unsigned i = 0; i < n && k < RTE_DIM(p->xsk_fd); i++) {
		unsigned j;

		for (j = 0; j < n_before && before[j] != now[i]; j++)
			;
		if (j == n_before)
			p->xsk_fd[k++] = now[i];
	}
}

static void
fp_xsk_forget(struct fp_port *p)
{
	for (unsigned i = 0; i < RTE_DIM(p->xsk_fd); i++) {
		int fd = p->xsk_fd[i];
		int other = 0;

		if (fd < 0)
			continue;
		for (unsigned s = 0; s < FP_MAX_PORTS && !other; s++) {
			const struct fp_port *q = fp_c.ports[s];

			for (unsigned j = 0; q != NULL && q != p && j < RTE_DIM(q->xsk_fd); j++)
				other |= q->kind == FP_PORT_ETHDEV && q->xsk_fd[j] == fd;
		}
		if (!other && fp_is_xsk(fd))
			close(fd);
		p->xsk_fd[i] = -1;
	}
}

/* A PCI device is named by its address (it has a ':'); a vdev is ours,
 * "<driver>_fp<slot>". */
static const char *
fp_ethdev_bus(const struct fp_port *p)
{
	return strchr(p->devname, ':') != NULL ? "pci" : "vdev";
}

int
fp_ethdev_open(struct fp_port *p, const struct fp_port_conf *c, char *err)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t port_id, txq = (uint16_t)fp_dp.n_workers;
	int xdp = strcmp(c->driver, "net_af_xdp") == 0;
	int xsk_before[64];
	unsigned n_before = xdp ? fp_xsk_list(xsk_before, RTE_DIM(xsk_before)) : 0;
	int rc;

	if (strcmp(c->driver, "pci") == 0) { /* an uplink's NIC, bound to vfio-pci by the user */
		if (strlen(c->devargs) >= sizeof(p->devname))
			return fp_err(err, -EINVAL, "PCI address too long");
		memcpy(p->devname, c->devargs, strlen(c->devargs) + 1);
	} else
		snprintf(p->devname, sizeof(p->devname), "%s_fp%u", c->driver, p->slot);
	rc = rte_eal_hotplug_add(fp_ethdev_bus(p), p->devname, fp_ethdev_bus(p)[0] == 'p' ? "" : c->devargs);
	if (rc != 0)
		return fp_err(err, rc < 0 ? rc : -EIO, "cannot create %s device (%s): %s",
			      c->driver, c->devargs, rte_strerror(-rc));
	if (rte_eth_dev_get_port_by_name(p->devname, &port_id) != 0) {
		rte_eal_hotplug_remove(fp_ethdev_bus(p), p->devname);
		return fp_err(err, -ENODEV, "%s device has no ethdev port", c->driver);
	}
	p->eth_port = port_id;
	rte_eth_dev_info_get(port_id, &info);
	if (*info.dev_flags & RTE_ETH_DEV_INTR_LSC)
		conf.intr_conf.lsc = 1; /* else fp_ethdev_poll_links() */
	if (txq > info.max_tx_queues)
		txq = info.max_tx_queues;
	if (c->queues > info.max_rx_queues) {
		rc = fp_err(err, -EINVAL, "%s supports at most %u queues", c->driver,
			    info.max_rx_queues);
		goto fail;
	}
	rc = rte_eth_dev_configure(port_id, c->queues, txq, &conf);
	for (uint16_t q = 0; rc == 0 && q < c->queues; q++)
		rc = rte_eth_rx_queue_setup(port_id, q, p->uplink != NULL ? FP_UPLINK_DESC : FP_ETH_DESC,
					    rte_eth_dev_socket_id(port_id), NULL, fp_dp.pool);
	for (uint16_t q = 0; rc == 0 && q < txq; q++)
		rc = rte_eth_tx_queue_setup(port_id, q, p->uplink != NULL ? FP_UPLINK_DESC : FP_ETH_DESC,
					    rte_eth_dev_socket_id(port_id), NULL);
	if (rc != 0) {
		rc = fp_err(err, rc, "cannot configure %s: %s%s", c->driver, rte_strerror(-rc),
			    xdp ? " (AF_XDP: another AF_XDP socket or XDP program may hold the interface's "
				  "queue, or the kernel has not released one just closed)" : "");
		goto fail;
	}
	/* Each worker its own tx queue when the device has enough. */
	p->queue_pairs = txq;
	p->vring_enabled = UINT32_MAX; /* rx gating is the link alone */
	rte_eth_dev_callback_register(port_id, RTE_ETH_EVENT_INTR_LSC, fp_ethdev_lsc, NULL);
	rc = rte_eth_dev_start(port_id);
	if (rc != 0) {
		rte_eth_dev_callback_unregister(port_id, RTE_ETH_EVENT_INTR_LSC, fp_ethdev_lsc, NULL);
		rc = fp_err(err, rc, "cannot start %s: %s", c->driver, rte_strerror(-rc));
		goto fail;
	}
	rte_eth_promiscuous_enable(port_id); /* a switch port sees every frame */
	if (xdp)
		fp_xsk_remember(p, xsk_before, n_before);
	return 0;
fail:
	rte_eth_dev_close(port_id);
	rte_eal_hotplug_remove(fp_ethdev_bus(p), p->devname);
	if (xdp) { /* what a failed open left */
		fp_xsk_remember(p, xsk_before, n_before);
		fp_xsk_forget(p);
	}
	return rc;
}

/* @pre p unpublished and a grace period passed. */
void
fp_ethdev_close(struct fp_port *p)
{
	rte_eth_dev_callback_unregister(p->eth_port, RTE_ETH_EVENT_INTR_LSC, fp_ethdev_lsc, NULL);
	rte_eth_dev_stop(p->eth_port);
	rte_eth_dev_close(p->eth_port);
	rte_eal_hotplug_remove(fp_ethdev_bus(p), p->devname);
	fp_xsk_forget(p);
}
