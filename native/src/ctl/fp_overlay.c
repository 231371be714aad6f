/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The overlay's control side (fp.h: "Uplinks and the VXLAN overlay";
 * shared state in common/fp_overlay.h): uplink ports, each network's VNI
 * and peers as tunnel ports, the next hops they resolve with ARP, and the
 * static MACs set behind peers. Commands and the tick run on fp-ctl.
 *
 * Order of changes, so no worker ever holds something freed: a new tunnel
 * is published (a port like any other) before the VNI map names it; a
 * tunnel that goes is dropped from the map first, then unpublished (which
 * waits for a grace period, after which no worker holds the old map
 * either), then its next hop is released.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "../common/fp_overlay.h"
#include "../dp/fp_arp.h"
#include "../dp/fp_l2.h"
#include "fp_ctl.h"
#include "fp_port_kinds.h"
#include "fp_rxq.h"

#define FP_ARP_RETRY_MS 1000    /* an unresolved next hop: ask every second */
#define FP_ARP_REFRESH_MS 30000 /* a resolved one: ask again now and then */
#define FP_UPLINK_KERNEL_MTU_MAX 1900

/* A network's overlay as the API set it. fp-ctl only. */
struct fp_ovl_net {
	struct fp_port *uplink;
	struct fp_vxlan_conf conf;
	struct fp_port *tunnel[FP_UPLINK_MAX_PEERS]; /* by conf.peers index */
};

static struct fp_ovl_net *fp_ovl[FP_MAX_NETS]; /* by network id */
static uint64_t fp_ovl_next_static;            /* TSC of the next static re-assert */

static uint32_t
fp_ip(const uint8_t b[4])
{
	uint32_t v;

	memcpy(&v, b, 4);
	return v;
}

static void
fp_ip_str(const uint8_t b[4], char *out, size_t n)
{
	snprintf(out, n, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
}

int
fp_overlay_uses_network(uint16_t net)
{
	return net < FP_MAX_NETS && fp_ovl[net] != NULL;
}

/* ---- tunnels: a port kind with nothing to open ---- */

int
fp_tunnel_open(struct fp_port *p, const struct fp_port_conf *c, char *err)
{
	(void)c;
	(void)err;
	p->vring_enabled = UINT32_MAX;
	p->queue_pairs = FP_MAX_WORKERS; /* tx_per_worker: every worker its own */
	return 0; /* link_up: fp_overlay_tick, once the next hop resolves */
}

void
fp_tunnel_close(struct fp_port *p)
{
	(void)p; /* its fp_tunnel is fp_tunnel_remove's to free */
}

/* ---- next hops ---- */

static struct fp_neigh *
fp_neigh_get(struct fp_uplink *u, uint32_t ip)
{
	struct fp_neigh *free_slot = NULL;

	for (unsigned i = 0; i < FP_UPLINK_MAX_NEIGH; i++) {
		struct fp_neigh *nb = &u->neigh[i];

		if (nb->ip == ip && nb->refs > 0) {
			nb->refs++;
			return nb;
		}
		if (free_slot == NULL && nb->refs == 0)
			free_slot = nb;
	}
	if (free_slot == NULL)
		return NULL;
	__atomic_store_n(&free_slot->mac, 0, __ATOMIC_RELAXED);
	free_slot->next_arp = 0; /* ask at the next tick */
	free_slot->refs = 1;
	__atomic_store_n(&free_slot->ip, ip, __ATOMIC_RELAXED);
	return free_slot;
}

/* @pre no published tunnel uses nb any more. */
static void
fp_neigh_put(struct fp_neigh *nb)
{
	if (--nb->refs == 0)
		__atomic_store_n(&nb->ip, 0, __ATOMIC_RELAXED);
}

/* The next hop toward peer: itself on the uplink's subnet, else the
 * gateway (0: unreachable). */
static uint32_t
fp_next_hop(const struct fp_uplink *u, uint32_t peer)
{
	if ((peer & u->mask) == (u->ip & u->mask))
		return peer;
	return u->gateway;
}

/* ---- uplinks ---- */

static struct fp_port *
fp_uplink_find(const char *name)
{
	struct fp_port *p = fp_port_find(name);

	return p != NULL && p->uplink != NULL ? p : NULL;
}

static uint32_t
fp_prefix_mask(uint8_t len)
{
	uint32_t host = len == 0 ? 0 : ~0u << (32 - len); /* host order */
	uint8_t b[4] = { host >> 24, host >> 16, host >> 8, host };

	return fp_ip(b);
}

/* The kernel MTU of the interface an "iface=NAME" devarg names. */
static int
fp_iface_mtu(const char *devargs, uint16_t *mtu)
{
	const char *at = strstr(devargs, "iface=");
	struct ifreq ifr;
	size_t n;
	int fd, rc;

	if (at == NULL)
		return -ENOENT;
	at += strlen("iface=");
	n = strcspn(at, ",");
	if (n == 0 || n >= IFNAMSIZ)
		return -EINVAL;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, at, n);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = ioctl(fd, SIOCGIFMTU, &ifr) == 0 ? 0 : -errno;
	close(fd);
	if (rc == 0 && (ifr.ifr_mtu <= 0 || ifr.ifr_mtu > UINT16_MAX))
		rc = -ERANGE;
	if (rc == 0)
		*mtu = (uint16_t)ifr.ifr_mtu;
	return rc;
}

static int
fp_cmd_uplink_add(void *arg, char *err)
{
	FP_CTL_ONLY();
	const struct fp_uplink_conf *uc = arg;
	struct fp_port_conf c;
	struct rte_ether_addr mac;
	struct fp_uplink *u;
	struct fp_port *p = NULL;
	char ring[RTE_RING_NAMESIZE];
	uint16_t mtu = 0;
	int rc;

	if (uc->name[0] == '\0' || memchr(uc->name, 0, FP_NAME_MAX) == NULL)
		return fp_err(err, -EINVAL, "uplink name must be 1..%d bytes", FP_NAME_MAX - 1);
	if (fp_port_find(uc->name) != NULL)
		return fp_err(err, -EEXIST, "a port named %s already exists", uc->name);
	if (uc->queues < 1 || uc->queues > FP_MAX_QUEUES)
		return fp_err(err, -EINVAL, "uplink queues must be 1..%d", FP_MAX_QUEUES);
	if (uc->prefix_len < 1 || uc->prefix_len > 32 || fp_ip(uc->ip) == 0 || (uc->ip[0] & 0xf0) >= 0xe0)
		return fp_err(err, -EINVAL, "the endpoint must be a unicast IPv4 address with a prefix of 1..32");
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", uc->name);
	c.kind = FP_PORT_ETHDEV;
	c.queues = uc->queues;
	snprintf(c.driver, sizeof(c.driver), "%s", uc->driver);
	snprintf(c.devargs, sizeof(c.devargs), "%s", uc->devargs);
	c.rxq_pinned = uc->rxq_pinned;
	memcpy(c.rxq_lcore, uc->rxq_lcore, sizeof(c.rxq_lcore));
	rc = fp_rxq_check_pins(&c, err);
	if (rc != 0)
		return rc;
	u = rte_zmalloc("fp_uplink", sizeof(*u), RTE_CACHE_LINE_SIZE);
	if (u == NULL)
		return fp_err(err, -ENOMEM, "out of memory for uplink %s", uc->name);
	rc = fp_port_new(&c, NULL, &p, err);
	if (rc != 0) {
		rte_free(u);
		return rc;
	}
	snprintf(ring, sizeof(ring), "fp_ul%u_%u", p->slot, fp_c.port_gen[p->slot]);
	u->ctl_tx = rte_ring_create(ring, 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (u->ctl_tx == NULL) {
		rte_free(p);
		rte_free(u);
		return fp_err(err, -ENOMEM, "out of memory for uplink %s", uc->name);
	}
	memcpy(u->ip_b, uc->ip, 4);
	u->ip = fp_ip(uc->ip);
	u->mask = fp_prefix_mask(uc->prefix_len);
	u->gateway = fp_ip(uc->gateway);
	p->uplink = u; /* before publication: workers see an uplink from the start */
	rc = fp_port_start(p, &c, err); /* frees p on failure */
	if (rc != 0) {
		rte_ring_free(u->ctl_tx);
		rte_free(u);
		return rc;
	}
	/* Published, but no network names it yet: nothing is encapsulated
	 * before its MAC and MTU are set, nothing decapsulated (no map), and
	 * no ARP answered (mtu 0). */
	if (rte_eth_macaddr_get(p->eth_port, &mac) == 0)
		memcpy(u->mac, mac.addr_bytes, 6);
	/* An AF_XDP or AF_PACKET uplink is the kernel's interface: its MTU
	 * is the kernel's (the ethdev says 1500 until told otherwise); a PCI
	 * device's is what it was configured with. */
	if (fp_iface_mtu(uc->devargs, &mtu) != 0 &&
	    (rte_eth_dev_get_mtu(p->eth_port, &mtu) != 0 || mtu == 0))
		mtu = 1500;
	/* The kernel's drivers receive into one 2 KB mbuf (AF_XDP shares our
	 * pool; AF_PACKET's frames are 2 KB): a larger underlay frame could
	 * not arrive whole. A jumbo underlay needs a jumbo pool. */
	if (strcmp(uc->driver, "pci") != 0 && mtu > FP_UPLINK_KERNEL_MTU_MAX)
		mtu = FP_UPLINK_KERNEL_MTU_MAX;
	/* Last, with release: workers answer ARP only once it is set. */
	__atomic_store_n(&u->mtu, uc->mtu != 0 && uc->mtu < mtu ? uc->mtu : mtu, __ATOMIC_RELEASE);
	return 0;
}

static void
fp_uplink_free(struct fp_uplink *u)
{
	struct rte_mbuf *m;

	while (rte_ring_dequeue(u->ctl_tx, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(u->ctl_tx);
	rte_free(u->vmap);
	rte_free(u);
}

static int
fp_cmd_uplink_remove(void *arg, char *err)
{
	FP_CTL_ONLY();
	const char *name = arg;
	struct fp_port *p = fp_uplink_find(name);
	struct fp_uplink *u;
	int rc;

	if (p == NULL)
		return fp_err(err, -ENOENT, "no uplink named %s", name);
	for (unsigned i = 0; i < FP_MAX_NETS; i++)
		if (fp_ovl[i] != NULL && fp_ovl[i]->uplink == p)
			return fp_err(err, -EBUSY, "uplink %s carries network %s: remove its overlay first",
				      name, fp_c.nets[i]->name);
	u = p->uplink;
	rc = fp_port_destroy(p, err);
	if (rc == 0)
		fp_uplink_free(u);
	return rc;
}

/* ---- the VNI map ---- */

/* Rebuild the uplink's map from the networks it carries and publish it;
 * the old one is freed by the caller's next grace period (returned). */
static int
fp_vmap_publish(struct fp_port *up, struct fp_vni_map **old, char *err)
{
	struct fp_uplink *u = up->uplink;
	struct fp_vni_map *vm;
	unsigned n = 0;

	for (unsigned i = 0; i < FP_MAX_NETS; i++)
		n += fp_ovl[i] != NULL && fp_ovl[i]->uplink == up;
	vm = rte_zmalloc("fp_vmap", sizeof(*vm) + n * sizeof(vm->e[0]), RTE_CACHE_LINE_SIZE);
	if (vm == NULL)
		return fp_err(err, -ENOMEM, "out of memory for the VNI map");
	for (unsigned i = 0; i < FP_MAX_NETS; i++) {
		const struct fp_ovl_net *o = fp_ovl[i];
		struct fp_vni_entry *e;

		if (o == NULL || o->uplink != up)
			continue;
		e = &vm->e[vm->n++];
		e->vni = o->conf.vni;
		for (unsigned j = 0; j < o->conf.n_peers; j++) {
			e->peer_ip[e->n_peers] = fp_ip(o->conf.peers[j]);
			e->tunnel[e->n_peers++] = o->tunnel[j];
		}
	}
	*old = __atomic_exchange_n(&u->vmap, vm, __ATOMIC_ACQ_REL);
	return 0;
}

/* ---- tunnels ---- */

static int
fp_tunnel_add(struct fp_network *net, struct fp_port *up, const struct fp_vxlan_conf *vc,
	      unsigned j, struct fp_port **out, char *err)
{
	struct fp_uplink *u = up->uplink;
	struct fp_port_conf c;
	struct fp_tunnel *t;
	struct fp_port *p = NULL;
	char ip[16];
	uint32_t peer = fp_ip(vc->peers[j]);
	int rc;

	memset(&c, 0, sizeof(c));
	fp_ip_str(vc->peers[j], ip, sizeof(ip));
	if ((size_t)snprintf(c.name, sizeof(c.name), "vxlan:%s:%s", net->name, ip) >= sizeof(c.name))
		return fp_err(err, -ENAMETOOLONG, "network name %s too long for a tunnel port name", net->name);
	if (fp_port_find(c.name) != NULL)
		return fp_err(err, -EEXIST, "a port named %s already exists", c.name);
	c.kind = FP_PORT_TUNNEL;
	c.mac_limit = vc->peer_mac_limit;
	t = rte_zmalloc("fp_tunnel", sizeof(*t), RTE_CACHE_LINE_SIZE);
	if (t == NULL)
		return fp_err(err, -ENOMEM, "out of memory for tunnel %s", c.name);
	t->uplink = up;
	t->peer_ip = peer;
	t->nh = fp_neigh_get(u, fp_next_hop(u, peer));
	if (t->nh == NULL) {
		rte_free(t);
		return fp_err(err, -ENOSPC, "uplink %s has %d next hops already", up->name,
			      FP_UPLINK_MAX_NEIGH);
	}
	{
		static const uint8_t none[6];
		fp_vxlan_tmpl_init(&t->tmpl, none, u->mac, u->ip_b, vc->peers[j], vc->vni);
	}
	rc = fp_port_new(&c, net, &p, err);
	if (rc != 0) {
		fp_neigh_put(t->nh);
		rte_free(t);
		return rc;
	}
	p->tunnel = t;
	p->is_tunnel = 1;
	/* Inner frame + 50 - 14 (the outer Ethernet header the MTU does not
	 * count) within the underlay's MTU. */
	p->max_len = (uint32_t)u->mtu + 14 - FP_VXLAN_MTU_OVERHEAD;
	rc = fp_port_start(p, &c, err); /* frees p (not t) on failure */
	if (rc != 0) {
		fp_neigh_put(t->nh);
		rte_free(t);
		return rc;
	}
	*out = p;
	return 0;
}

static void
fp_tunnel_remove(struct fp_port *p)
{
	struct fp_neigh *nb = p->tunnel->nh;
	char err[FP_ERR_LEN];

	struct fp_tunnel *t = p->tunnel;

	if (fp_port_destroy(p, err) != 0) { /* out of memory: try once more */
		RTE_LOG(ERR, USER1, "tunnel %s not removed: %s\n", p->name, err);
		if (fp_port_destroy(p, err) != 0)
			return;
	}
	fp_neigh_put(nb);
	rte_free(t);
}

/* ---- static MACs ---- */

static int
fp_entry_static(const struct fp_mac_entry *e, uint64_t unused)
{
	(void)unused;
	return __atomic_load_n(&e->seen, __ATOMIC_RELAXED) == FP_MAC_STATIC;
}

/* (Re)write the network's static MACs: a worker that learned one of them
 * in the instant before it became static is overruled here, within a
 * second (fp_overlay_tick). */
static void
fp_statics_assert(struct fp_network *net, const struct fp_ovl_net *o)
{
	for (unsigned i = 0; i < o->conf.n_static; i++) {
		const struct fp_vxlan_static *st = &o->conf.statics[i];
		struct fp_port *t = NULL;
		uint64_t key = 0;
		int32_t pos;

		for (unsigned j = 0; j < o->conf.n_peers && t == NULL; j++)
			if (memcmp(o->conf.peers[j], st->peer, 4) == 0)
				t = o->tunnel[j];
		if (t == NULL)
			continue;
		memcpy(&key, st->mac, 6);
		key |= (uint64_t)(st->vlan & 0xfff) << 48;
		pos = rte_hash_add_key(net->mac, &key);
		if (pos < 0 || (uint32_t)pos >= net->n_entries)
			continue; /* table full: flooded until there is room */
		if (__atomic_load_n(&net->entries[pos].token, __ATOMIC_RELAXED) == t->token &&
		    __atomic_load_n(&net->entries[pos].seen, __ATOMIC_RELAXED) == FP_MAC_STATIC)
			continue;
		__atomic_store_n(&net->entries[pos].token, t->token, __ATOMIC_RELAXED);
		__atomic_store_n(&net->entries[pos].seen, FP_MAC_STATIC, __ATOMIC_RELAXED);
		/* Caches may hold where it was before. */
		__atomic_fetch_add(&net->version, 1, __ATOMIC_RELEASE);
	}
}

/* ---- a network's overlay ---- */

static int
fp_vxlan_validate(const struct fp_vxlan_conf *vc, const struct fp_network *net,
		  const struct fp_port *up, char *err)
{
	const struct fp_uplink *u = up->uplink;
	char ip[16];

	if (vc->vni < 1 || vc->vni > FP_VXLAN_VNI_MAX)
		return fp_err(err, -EINVAL, "VNI must be 1..%u, got %u", FP_VXLAN_VNI_MAX, vc->vni);
	for (unsigned i = 0; i < FP_MAX_NETS; i++)
		if (fp_ovl[i] != NULL && i != net->id && fp_ovl[i]->uplink == up &&
		    fp_ovl[i]->conf.vni == vc->vni)
			return fp_err(err, -EEXIST, "VNI %u is network %s's on uplink %s", vc->vni,
				      fp_c.nets[i]->name, up->name);
	if (vc->n_peers > FP_UPLINK_MAX_PEERS || vc->n_static > FP_VXLAN_MAX_STATIC)
		return fp_err(err, -EINVAL, "at most %d peers and %d static MACs", FP_UPLINK_MAX_PEERS,
			      FP_VXLAN_MAX_STATIC);
	for (unsigned j = 0; j < vc->n_peers; j++) {
		uint32_t peer = fp_ip(vc->peers[j]);

		fp_ip_str(vc->peers[j], ip, sizeof(ip));
		if (peer == 0 || (vc->peers[j][0] & 0xf0) >= 0xe0 || peer == u->ip ||
		    (peer | u->mask) == 0xffffffffu)
			return fp_err(err, -EINVAL, "peer %s is not another node's unicast address", ip);
		if (fp_next_hop(u, peer) == 0)
			return fp_err(err, -EINVAL, "peer %s is off uplink %s's subnet and the uplink has no gateway",
				      ip, up->name);
		for (unsigned k = 0; k < j; k++)
			if (fp_ip(vc->peers[k]) == peer)
				return fp_err(err, -EINVAL, "peer %s is listed twice", ip);
	}
	for (unsigned i = 0; i < vc->n_static; i++) {
		const struct fp_vxlan_static *st = &vc->statics[i];
		static const uint8_t zero[6];
		unsigned j;

		if ((st->mac[0] & 1) || memcmp(st->mac, zero, 6) == 0 || st->vlan > 4094)
			return fp_err(err, -EINVAL, "static MAC %u: a unicast MAC on VLAN 0..4094", i);
		for (j = 0; j < vc->n_peers && memcmp(vc->peers[j], st->peer, 4) != 0; j++)
			;
		if (j == vc->n_peers) {
			fp_ip_str(st->peer, ip, sizeof(ip));
			return fp_err(err, -EINVAL, "static MAC %u is behind %s, which is not a peer", i, ip);
		}
	}
	return 0;
}

/* Remove the whole overlay of network id (its tunnels, their MACs). */
static void
fp_vxlan_clear(uint16_t id)
{
	struct fp_ovl_net *o = fp_ovl[id];
	struct fp_vni_map *old = NULL;
	char err[FP_ERR_LEN];

	if (o == NULL)
		return;
	fp_ovl[id] = NULL;
	if (fp_vmap_publish(o->uplink, &old, err) != 0) {
		/* Out of memory: an empty map instead (every network of the
		 * uplink stops decapsulating until the next change). */
		old = __atomic_exchange_n(&o->uplink->uplink->vmap, NULL, __ATOMIC_ACQ_REL);
	}
	for (unsigned j = 0; j < o->conf.n_peers; j++)
		if (o->tunnel[j] != NULL)
			fp_tunnel_remove(o->tunnel[j]); /* each waits a grace period */
	rte_rcu_qsbr_synchronize(fp_dp.qsv, RTE_QSBR_THRID_INVALID);
	rte_free(old);
	rte_free(o);
}

/* A change that failed half-way: its new tunnels go, the ones it took over
 * from the previous set go back to it, and o is freed. */
static void
fp_vxlan_undo(struct fp_ovl_net *o, struct fp_ovl_net *prev)
{
	for (unsigned j = 0; j < o->conf.n_peers; j++) {
		for (unsigned k = 0; prev != NULL && k < prev->conf.n_peers && o->tunnel[j] != NULL; k++)
			if (memcmp(prev->conf.peers[k], o->conf.peers[j], 4) == 0) {
				prev->tunnel[k] = o->tunnel[j];
				o->tunnel[j] = NULL;
			}
		if (o->tunnel[j] != NULL)
			fp_tunnel_remove(o->tunnel[j]);
	}
	rte_free(o);
}

static int
fp_cmd_vxlan_set(void *arg, char *err)
{
	FP_CTL_ONLY();
	const struct fp_vxlan_conf *vc = arg;
	struct fp_network *net = fp_network_find(vc->network);
	struct fp_ovl_net *o, *prev;
	struct fp_vni_map *old = NULL;
	struct fp_port *up;
	int rc = 0;

	if (net == NULL)
		return fp_err(err, -ENOENT, "no network named %s", vc->network);
	if (vc->uplink[0] == '\0') {
		fp_vxlan_clear(net->id);
		return 0;
	}
	up = fp_uplink_find(vc->uplink);
	if (up == NULL)
		return fp_err(err, -ENOENT, "no uplink named %s", vc->uplink);
	rc = fp_vxlan_validate(vc, net, up, err);
	if (rc != 0)
		return rc;
	prev = fp_ovl[net->id];
	/* Another uplink or VNI changes every tunnel's outer headers. */
	if (prev != NULL && (prev->uplink != up || prev->conf.vni != vc->vni)) {
		fp_vxlan_clear(net->id);
		prev = NULL;
	}
	o = rte_zmalloc("fp_ovl", sizeof(*o), 0);
	if (o == NULL)
		return fp_err(err, -ENOMEM, "out of memory for network %s's overlay", vc->network);
	o->uplink = up;
	o->conf = *vc;
	/* Keep the tunnels of peers that stay (and what they learned). */
	for (unsigned j = 0; prev != NULL && j < vc->n_peers; j++)
		for (unsigned k = 0; k < prev->conf.n_peers; k++)
			if (prev->tunnel[k] != NULL && memcmp(prev->conf.peers[k], vc->peers[j], 4) == 0) {
				o->tunnel[j] = prev->tunnel[k];
				prev->tunnel[k] = NULL;
				__atomic_store_n(&o->tunnel[j]->mac_limit, vc->peer_mac_limit,
						 __ATOMIC_RELAXED);
			}
	for (unsigned j = 0; j < vc->n_peers && rc == 0; j++)
		if (o->tunnel[j] == NULL)
			rc = fp_tunnel_add(net, up, vc, j, &o->tunnel[j], err);
	if (rc != 0) {
		fp_vxlan_undo(o, prev);
		return rc;
	}
	fp_ovl[net->id] = o;
	rc = fp_vmap_publish(up, &old, err);
	if (rc != 0) { /* the previous map still stands: keep the previous set */
		fp_ovl[net->id] = prev;
		fp_vxlan_undo(o, prev);
		return rc;
	}
	/* Peers that left: their tunnels are in no map now. */
	for (unsigned k = 0; prev != NULL && k < prev->conf.n_peers; k++)
		if (prev->tunnel[k] != NULL)
			fp_tunnel_remove(prev->tunnel[k]);
	rte_rcu_qsbr_synchronize(fp_dp.qsv, RTE_QSBR_THRID_INVALID);
	rte_free(old);
	rte_free(prev);
	/* Static MACs: the new set replaces the old. */
	fp_network_sweep(net, fp_entry_static, 0);
	fp_statics_assert(net, o);
	return 0;
}

/* ---- the tick: ARP, tunnel links, static MACs ---- */

static void
fp_arp_send(struct fp_port *up, const struct fp_neigh *nb)
{
	struct fp_uplink *u = up->uplink;
	struct rte_mbuf *m = rte_pktmbuf_alloc(fp_dp.pool);
	uint8_t target[4];
	uint8_t *f;

	if (m == NULL)
		return;
	f = (uint8_t *)rte_pktmbuf_append(m, 60); /* padded to the Ethernet minimum */
	if (f == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	memset(f, 0, 60);
	memcpy(target, &nb->ip, 4);
	fp_arp_request(f, u->mac, u->ip_b, target);
	if (rte_ring_sp_enqueue(u->ctl_tx, m) != 0)
		rte_pktmbuf_free(m);
}

static void
fp_tunnel_link(struct fp_port *t)
{
	struct fp_event ev;
	uint32_t up = __atomic_load_n(&t->tunnel->uplink->link_up, __ATOMIC_ACQUIRE) &&
		      (__atomic_load_n(&t->tunnel->nh->mac, __ATOMIC_RELAXED) & FP_NEIGH_VALID) ? 1 : 0;

	if (__atomic_load_n(&t->link_up, __ATOMIC_RELAXED) == up)
		return;
	__atomic_store_n(&t->link_up, up, __ATOMIC_RELEASE);
	memset(&ev, 0, sizeof(ev));
	ev.kind = up ? FP_EVENT_LINK_UP : FP_EVENT_LINK_DOWN;
	snprintf(ev.port, sizeof(ev.port), "%s", t->name);
	ev.queue_pairs = 1;
	if (fp_c.conf.on_event != NULL)
		fp_c.conf.on_event(&ev, fp_c.conf.event_ctx);
}

void
fp_overlay_tick(void)
{
	uint64_t now = rte_get_tsc_cycles();

	for (unsigned i = 0; i < FP_MAX_PORTS; i++) {
		struct fp_port *p = fp_c.ports[i];

		if (p == NULL || p->removing)
			continue;
		if (p->tunnel != NULL) {
			fp_tunnel_link(p);
			continue;
		}
		if (p->uplink == NULL || !__atomic_load_n(&p->link_up, __ATOMIC_ACQUIRE))
			continue;
		for (unsigned j = 0; j < FP_UPLINK_MAX_NEIGH; j++) {
			struct fp_neigh *nb = &p->uplink->neigh[j];

			if (nb->refs == 0 || now < nb->next_arp)
				continue;
			fp_arp_send(p, nb);
			nb->next_arp = now + fp_c.tsc_hz / 1000 *
				(__atomic_load_n(&nb->mac, __ATOMIC_RELAXED) & FP_NEIGH_VALID
				 ? FP_ARP_REFRESH_MS : FP_ARP_RETRY_MS);
		}
	}
	if (now >= fp_ovl_next_static) {
		fp_ovl_next_static = now + fp_c.tsc_hz;
		for (unsigned i = 0; i < FP_MAX_NETS; i++)
			if (fp_ovl[i] != NULL && fp_ovl[i]->conf.n_static > 0)
				fp_statics_assert(fp_c.nets[i], fp_ovl[i]);
	}
}

void
fp_overlay_remove_all(void)
{
	for (unsigned i = 0; i < FP_MAX_NETS; i++)
		fp_vxlan_clear((uint16_t)i);
	for (unsigned i = 0; i < FP_MAX_PORTS; i++) {
		struct fp_port *p = fp_c.ports[i];
		struct fp_uplink *u;

		if (p == NULL || p->uplink == NULL)
			continue;
		u = p->uplink;
		if (fp_port_destroy(p, NULL) == 0)
			fp_uplink_free(u);
	}
}

/* ---- what the uplink knows ---- */

static int
fp_cmd_uplink_info(void *arg, char *err)
{
	FP_CTL_ONLY();
	struct fp_uplink_info *out = arg;
	struct fp_port *p = fp_uplink_find(out->name);
	const struct fp_uplink *u;

	if (p == NULL)
		return fp_err(err, -ENOENT, "no uplink named %s", out->name);
	u = p->uplink;
	out->link_up = (int)__atomic_load_n(&p->link_up, __ATOMIC_ACQUIRE);
	memcpy(out->mac, u->mac, 6);
	out->mtu = u->mtu;
	out->n_neigh = 0;
	for (unsigned j = 0; j < FP_UPLINK_MAX_NEIGH; j++) {
		const struct fp_neigh *nb = &u->neigh[j];
		struct fp_uplink_neigh *o;
		uint64_t mac;

		if (nb->refs == 0)
			continue;
		o = &out->neigh[out->n_neigh++];
		memcpy(o->ip, &nb->ip, 4);
		mac = __atomic_load_n(&nb->mac, __ATOMIC_RELAXED);
		o->resolved = (mac & FP_NEIGH_VALID) != 0;
		memcpy(o->mac, &mac, 6);
	}
	return 0;
}

/* ---- the API ---- */

int
fp_uplink_add(const struct fp_uplink_conf *conf, char *err)
{
	return fp_ctl_call(fp_cmd_uplink_add, (void *)(uintptr_t)conf, err);
}

int
fp_uplink_remove(const char *name, char *err)
{
	return fp_ctl_call(fp_cmd_uplink_remove, (void *)(uintptr_t)name, err);
}

int
fp_uplink_read(const char *name, struct fp_uplink_info *out, char *err)
{
	memset(out, 0, sizeof(*out));
	if (strlen(name) >= sizeof(out->name))
		return fp_err(err, -EINVAL, "uplink name too long");
	snprintf(out->name, sizeof(out->name), "%s", name);
	return fp_ctl_call(fp_cmd_uplink_info, out, err);
}

int
fp_network_vxlan_set(const struct fp_vxlan_conf *conf, char *err)
{
	return fp_ctl_call(fp_cmd_vxlan_set, (void *)(uintptr_t)conf, err);
}
