/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ports: adding and removing them, whatever their kind; what differs is in
 * the kind's table (common/fp_port_ops.h: vhost-user in fp_vhost.c, memif
 * in fp_memif.c, ethdev in fp_ethdev.c). Commands run on fp-ctl.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_vhost.h>

#include "fp_ctl.h"
#include "fp_memif.h"
#include "fp_rxq.h"
#include "fp_vhost.h"

struct fp_port *
fp_port_find(const char *name)
{
	for (unsigned i = 0; i < FP_MAX_PORTS; i++)
		if (fp_c.ports[i] != NULL && strcmp(fp_c.ports[i]->name, name) == 0)
			return fp_c.ports[i];
	return NULL;
}

static int
fp_port_validate(const struct fp_port_conf *c, char *err)
{
	if (c->name[0] == '\0' || memchr(c->name, 0, FP_NAME_MAX) == NULL)
		return fp_err(err, -EINVAL, "port name must be 1..%d bytes", FP_NAME_MAX - 1);
	if ((unsigned)c->kind >= FP_PORT_KIND_MAX)
		return fp_err(err, -EINVAL, "unknown port kind %d", (int)c->kind);
	if (memchr(c->path, 0, FP_PATH_MAX) == NULL ||
	    (fp_port_ops[c->kind].has_path ? c->path[0] != '/' : c->path[0] != '\0'))
		return fp_err(err, -ENAMETOOLONG, fp_port_ops[c->kind].has_path
			      ? "socket path must be absolute and at most %d bytes"
			      : "this kind of port has no socket path (got one of up to %d bytes)",
			      FP_PATH_MAX - 1);
	if (c->queues < 1 || c->queues > FP_MAX_QUEUES)
		return fp_err(err, -EINVAL, "queues must be 1..%d, got %u", FP_MAX_QUEUES,
			      c->queues);
	if (c->vlan > 4094)
		return fp_err(err, -EINVAL, "VLAN id must be 0 (trunk) or 1..4094, got %u",
			      c->vlan);
	if (c->sec.n_macs > FP_PSEC_MAX_MACS || c->sec.n_ip4 > FP_PSEC_MAX_IPS ||
	    c->sec.n_ip6 > FP_PSEC_MAX_IPS || (c->sec.enabled && c->sec.n_macs == 0))
		return fp_err(err, -EINVAL, "port security: 1..%d MACs and at most %d addresses "
			      "of each family", FP_PSEC_MAX_MACS, FP_PSEC_MAX_IPS);
	if (fp_port_find(c->name) != NULL)
		return fp_err(err, -EEXIST, "port %s already exists", c->name);
	for (unsigned i = 0; c->path[0] != '\0' && i < FP_MAX_PORTS; i++)
		if (fp_c.ports[i] != NULL && strcmp(fp_c.ports[i]->path, c->path) == 0)
			return fp_err(err, -EEXIST, "socket %s is already used by port %s",
				      c->path, fp_c.ports[i]->name);
	return 0;
}

static int
fp_port_slot(void)
{
	for (unsigned i = 0; i < FP_MAX_PORTS; i++)
		if (fp_c.ports[i] == NULL)
			return (int)i;
	return -1;
}

static void
fp_port_set_slot(unsigned slot, struct fp_port *p)
{
	pthread_mutex_lock(&fp_c.ports_lock);
	fp_c.ports[slot] = p;
	pthread_mutex_unlock(&fp_c.ports_lock);
}

/*
 * Flow rules name ports: re-resolve them now that p came or went. A failure
 * (out of memory) leaves the previous resolution in place, which is logged:
 * the port change itself has already happened.
 */
static void
fp_port_flows_refresh(const struct fp_port *p)
{
	char err[FP_ERR_LEN];

	if (fp_flow_port_changed(p->net, p->name, err) != 0)
		RTE_LOG(ERR, USER1, "flow rules of port %s not re-resolved: %s\n", p->name, err);
}

/*
 * A port for conf c in network net (NULL: an uplink, in no network),
 * filled in but not yet in its slot: the caller may set what its kind
 * needs (an uplink's endpoint, a tunnel's peer) before fp_port_start.
 */
int
fp_port_new(const struct fp_port_conf *c, struct fp_network *net, struct fp_port **out, char *err)
{
	struct fp_port *p;
	int slot = fp_port_slot();

	if (slot < 0)
		return fp_err(err, -ENOSPC, "port table full (%d ports)", FP_MAX_PORTS);
	p = rte_zmalloc("fp_port", sizeof(*p), RTE_CACHE_LINE_SIZE);
	if (p == NULL)
		return fp_err(err, -ENOMEM, "out of memory for port %s", c->name);
	snprintf(p->name, sizeof(p->name), "%s", c->name);
	snprintf(p->path, sizeof(p->path), "%s", c->path);
	p->slot = (uint16_t)slot;
	if (++fp_c.port_gen[slot] == 0) /* token 0 means "no port" to workers */
		fp_c.port_gen[slot] = 1;
	p->token = (uint32_t)slot | (uint32_t)fp_c.port_gen[slot] << 16;
	p->net = net != NULL ? net->id : FP_NET_NONE;
	p->vlan = c->vlan;
	p->queues = c->queues;
	p->mode = c->mode;
	p->kind = (uint8_t)c->kind;
	p->ops = &fp_port_ops[c->kind];
	p->kernel = c->kernel;
	p->netp = net;
	p->eth_port = UINT16_MAX; /* no ethdev yet: matches no LSC event */
	p->vid = -1;
	p->conn_vid = -1;
	p->mac_limit = c->mac_limit;
	p->sec = c->sec;
	p->max_len = UINT32_MAX;
	for (unsigned i = 0; i < RTE_DIM(p->xsk_fd); i++)
		p->xsk_fd[i] = -1;
	for (unsigned q = 0; q < FP_MAX_QUEUES; q++)
		rte_spinlock_init(&p->txlock[q]);
	*out = p;
	return 0;
}

/* Place p's rx queues, open its backend, publish it. On failure nothing
 * of it is left and p is freed. */
int
fp_port_start(struct fp_port *p, const struct fp_port_conf *c, char *err)
{
	int rc;

	fp_rxq_place(p, c);
	/* In its slot before the backend starts: its first callbacks (a
	 * vhost connection, an LSC event) must find it. */
	fp_port_set_slot(p->slot, p);
	rc = p->ops->open(p, c, err);
	if (rc == 0) {
		rc = fp_snapshot_publish(err);
		if (rc != 0) {
			pthread_mutex_lock(&fp_c.ports_lock);
			p->removing = 1;
			pthread_mutex_unlock(&fp_c.ports_lock);
			p->ops->close(p);
		}
	}
	if (rc != 0) {
		fp_port_set_slot(p->slot, NULL);
		fp_rxq_release(p);
		rte_free(p);
		return rc;
	}
	if (p->kernel)
		__atomic_store_n(&p->netp->kernel_token, p->token, __ATOMIC_RELAXED);
	if (p->netp != NULL)
		fp_port_flows_refresh(p);
	return 0;
}

int
fp_cmd_port_add(void *arg, char *err)
{
	FP_CTL_ONLY();
	const struct fp_port_conf *c = arg;
	struct fp_network *net;
	struct fp_port *p = NULL;
	int rc;

	rc = fp_port_validate(c, err);
	if (rc == 0)
		rc = fp_rxq_check_pins(c, err);
	if (rc != 0)
		return rc;
	net = fp_network_find(c->network);
	if (net == NULL)
		return fp_err(err, -ENOENT, "no network named %s", c->network);
	if (c->kernel && (c->kind != FP_PORT_ETHDEV || net->kernel_token != 0))
		return fp_err(err, -EEXIST, c->kind != FP_PORT_ETHDEV
			      ? "a kernel interface port must be an ethdev (net_tap or virtio_user)"
			      : "network %s already has a kernel interface", c->network);
	rc = fp_port_new(c, net, &p, err);
	return rc != 0 ? rc : fp_port_start(p, c, err);
}

/* Unpublish, wait for workers, close the backend, free. */
int
fp_port_destroy(struct fp_port *p, char *err)
{
	int rc;

	pthread_mutex_lock(&fp_c.ports_lock);
	p->removing = 1;
	pthread_mutex_unlock(&fp_c.ports_lock);
	if (p->kernel)
		__atomic_store_n(&p->netp->kernel_token, 0, __ATOMIC_RELAXED);
	rc = fp_snapshot_publish(err); /* synchronizes: no worker sees p now */
	if (rc != 0) {
		pthread_mutex_lock(&fp_c.ports_lock);
		p->removing = 0;
		pthread_mutex_unlock(&fp_c.ports_lock);
		if (p->kernel)
			__atomic_store_n(&p->netp->kernel_token, p->token, __ATOMIC_RELAXED);
		return rc;
	}
	p->ops->close(p);
	fp_port_set_slot(p->slot, NULL);
	fp_rxq_release(p);
	if (p->netp != NULL) {
		fp_network_forget_port(p->netp, p->token);
		fp_port_flows_refresh(p);
	}
	rte_free(p);
	return 0;
}

int
fp_cmd_port_remove(void *arg, char *err)
{
	FP_CTL_ONLY();
	const char *name = arg;
	struct fp_port *p = fp_port_find(name);
	char rerr[FP_ERR_LEN];
	int rc;

	if (p == NULL)
		return fp_err(err, -ENOENT, "no port named %s", name);
	/* The overlay's own ports go with what made them (fp_overlay.c): the
	 * VNI map and the tunnels name them. */
	if (p->uplink != NULL || p->tunnel != NULL)
		return fp_err(err, -EBUSY, "port %s is %s", name, p->uplink != NULL
			      ? "an uplink: remove it as one" : "a tunnel: change its network's overlay");
	rc = fp_port_destroy(p, err);
	if (rc == 0 && fp_rxq_rebalance(rerr) != 0) /* the port is gone either way */
		RTE_LOG(ERR, USER1, "rx queues not rebalanced after removing %s: %s\n", name, rerr);
	return rc;
}

void
fp_port_remove_all(void)
{
	for (unsigned i = 0; i < FP_MAX_PORTS; i++)
		if (fp_c.ports[i] != NULL)
			fp_port_destroy(fp_c.ports[i], NULL);
}

int
fp_port_add(const struct fp_port_conf *conf, char *err)
{
	return fp_ctl_call(fp_cmd_port_add, (void *)(uintptr_t)conf, err);
}

int
fp_port_remove(const char *name, char *err)
{
	return fp_ctl_call(fp_cmd_port_remove, (void *)(uintptr_t)name, err);
}

int
fp_port_set_rxq_affinity(const char *name, uint32_t pinned, const uint16_t lcore[FP_MAX_QUEUES], char *err)
{
	struct fp_port_conf c;

	memset(&c, 0, sizeof(c));
	if (strlen(name) >= sizeof(c.name))
		return fp_err(err, -EINVAL, "port name too long");
	snprintf(c.name, sizeof(c.name), "%s", name);
	c.rxq_pinned = pinned;
	memcpy(c.rxq_lcore, lcore, sizeof(c.rxq_lcore));
	return fp_ctl_call(fp_cmd_port_set_rxq_affinity, &c, err);
}
