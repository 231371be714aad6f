/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The worker's side of an uplink (common/fp_overlay.h): what arrives on it
 * is VXLAN for a network this node carries (decapsulated in place and
 * handed back, grouped by tunnel port, for the worker to switch as if the
 * tunnel port had received it), ARP that names the endpoint or one of its
 * next hops (answered, or learned), or anything else: dropped and counted
 * on the uplink. Everything on the underlay is attacker input; the parsers
 * (fp_vxlan.h, fp_arp.h) read nothing past a frame's first segment.
 * Static inline, included by the worker's translation unit only.
 * @pre worker lcore.
 */
#ifndef FP_OVERLAY_DP_H
#define FP_OVERLAY_DP_H

#include <string.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "../common/fp_overlay.h"
#include "fp_arp.h"
#include "fp_tx.h"
#include "fp_vxlan.h"

/* Frames of one tunnel port, pkts[from, from + n) after classification. */
struct fp_uplink_run {
	struct fp_port *tunnel;
	uint16_t from, n;
};

static inline uint32_t
fp_ip_load(const uint8_t b[4])
{
	uint32_t v;

	memcpy(&v, b, 4);
	return v;
}

/* The tunnel port of (vni, peer), or NULL. A few networks of a few peers:
 * a scan, skipped for the common case of a run from one peer. */
static inline struct fp_port *
fp_vni_lookup(const struct fp_vni_map *vm, uint32_t vni, uint32_t peer)
{
	for (uint16_t i = 0; vm != NULL && i < vm->n; i++) {
		const struct fp_vni_entry *e = &vm->e[i];

		if (e->vni != vni)
			continue;
		for (uint16_t j = 0; j < e->n_peers; j++)
			if (e->peer_ip[j] == peer)
				return e->tunnel[j];
		return NULL; /* a VNI is on one entry only */
	}
	return NULL;
}

/* An ARP from one of our next hops teaches its MAC; a request for the
 * endpoint is answered in place (m becomes the reply). 1: m was sent. */
static inline int
fp_uplink_arp(struct fp_worker_local *wl, struct fp_port *up, struct rte_mbuf *m,
	      const struct fp_arp *a)
{
	struct fp_uplink *u = up->uplink;
	uint32_t spa = fp_ip_load(a->spa);
	uint8_t *f;

	for (unsigned i = 0; spa != 0 && i < FP_UPLINK_MAX_NEIGH; i++) {
		struct fp_neigh *nb = &u->neigh[i];
		uint64_t mac = 0;

		if (__atomic_load_n(&nb->ip, __ATOMIC_RELAXED) != spa)
			continue;
		memcpy(&mac, a->sha, 6);
		__atomic_store_n(&nb->mac, mac | FP_NEIGH_VALID, __ATOMIC_RELAXED);
		break;
	}
	f = rte_pktmbuf_mtod(m, uint8_t *);
	if (__atomic_load_n(&u->mtu, __ATOMIC_ACQUIRE) == 0 || /* MAC not known yet */
	    fp_arp_reply(f, a, u->mac, u->ip_b) != 0)
		return 0;
	/* The reply is 42 bytes in the request's place (at least as long). */
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - FP_ARP_FRAME_LEN));
	fp_tx_enqueue(wl, up, m, 0, 0, FP_TX_UNICAST);
	return 1;
}

/*
 * Sort out an uplink's burst: pkts[0, returned runs' end) are inner frames
 * (the outer headers and any Ethernet padding removed), grouped by tunnel
 * port into runs; everything else was answered, or dropped and counted on
 * the uplink. Returns the number of runs.
 */
static inline unsigned
fp_uplink_classify(struct fp_worker_local *wl, struct fp_port *up, struct rte_mbuf **pkts,
		   uint16_t n, struct fp_uplink_run *runs)
{
	const struct fp_uplink *u = up->uplink;
	const struct fp_vni_map *vm = __atomic_load_n(&u->vmap, __ATOMIC_ACQUIRE);
	struct fp_port *last = NULL;
	uint32_t last_vni = 0, last_peer = 0;
	unsigned nr = 0;
	uint16_t k = 0;
	uint64_t bytes = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
		struct fp_vxlan_rx vx;
		struct fp_arp a;
		struct fp_port *t;
		uint32_t peer;
		int rc;

		bytes += rte_pktmbuf_pkt_len(m);
		/* The parsers see the first segment only: a chained frame's
		 * headers could straddle segments. */
		rc = m->nb_segs == 1 ? fp_vxlan_parse(f, rte_pktmbuf_data_len(m), &vx) : -EINVAL;
		if (rc == -ENOENT) {
			if (fp_arp_parse(f, rte_pktmbuf_data_len(m), &a) == 0 &&
			    fp_uplink_arp(wl, up, m, &a))
				continue;
			fp_count(up, wl->idx, FP_PORT_DROP_uplink_other, 1);
			goto drop;
		}
		if (rc != 0 || fp_ip_load(vx.dst_ip) != u->ip) {
			fp_count(up, wl->idx, FP_PORT_DROP_vxlan_bad, 1);
			goto drop;
		}
		peer = fp_ip_load(vx.src_ip);
		if (last != NULL && vx.vni == last_vni && peer == last_peer) {
			t = last;
		} else {
			t = fp_vni_lookup(vm, vx.vni, peer);
			if (t == NULL) {
				fp_count(up, wl->idx, FP_PORT_DROP_vxlan_unknown, 1);
				goto drop;
			}
		}
		rte_pktmbuf_adj(m, (uint16_t)vx.inner_off);
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - vx.inner_len));
		pkts[k] = m;
		if (t != last || nr == 0) {
			runs[nr].tunnel = t;
			runs[nr].from = k;
			runs[nr].n = 0;
			nr++;
		}
		runs[nr - 1].n++;
		k++;
		last = t;
		last_vni = vx.vni;
		last_peer = peer;
		continue;
drop:
		rte_pktmbuf_free(m);
	}
	fp_count(up, wl->idx, FP_PORT_rx_packets, n);
	fp_count(up, wl->idx, FP_PORT_rx_bytes, bytes);
	return nr;
}

/* Send what fp-ctl queued for the uplink (its ARP requests): only the
 * worker polling rx queue 0 takes them (the ring has one consumer). */
static inline void
fp_uplink_ctl_tx(struct fp_worker_local *wl, struct fp_port *up)
{
	struct rte_mbuf *m[8];
	unsigned n;

	if (likely(rte_ring_empty(up->uplink->ctl_tx)))
		return;
	n = rte_ring_sc_dequeue_burst(up->uplink->ctl_tx, (void **)m, RTE_DIM(m), NULL);
	for (unsigned i = 0; i < n; i++)
		fp_tx_enqueue(wl, up, m[i], 0, 0, FP_TX_UNICAST);
}

#endif
