/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rx and tx bursts of each port kind (fp_port_ops.h), called once per
 * burst through the kind's table. No system calls, no logging, no
 * allocation beyond mbufs. @pre worker lcore; rx: the worker polling queue
 * q; tx: the holder of tx queue q (fp_tx.h takes the lock when shared).
 */
#include <rte_ethdev.h>
#include <rte_vhost.h>

#include "../common/fp_globals.h"
#include "../common/fp_guard.h"
#include "../common/fp_overlay.h"
#include "../common/fp_shared.h"
#include "fp_memif_dp.h"
#include "fp_port_io.h"
#include "fp_txq.h"
#include "fp_txq_worker.h"

/* vhost-user: the guest's tx vring of queue pair q is 2q+1, its rx 2q. */
uint16_t
fp_vhost_rx(struct fp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	int vid = __atomic_load_n(&p->vid, __ATOMIC_ACQUIRE);

	return vid < 0 ? 0 : rte_vhost_dequeue_burst(vid, (uint16_t)(q * 2 + 1), fp_dp.pool, pkts, n);
}

uint16_t
fp_vhost_tx(struct fp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n, uint64_t *bytes)
{
	int vid = __atomic_load_n(&p->vid, __ATOMIC_ACQUIRE);
	uint16_t sent;

	if (vid < 0)
		return 0;
	sent = rte_vhost_enqueue_burst(vid, (uint16_t)(q * 2), pkts, n);
	for (uint16_t i = 0; i < sent; i++)
		*bytes += rte_pktmbuf_pkt_len(pkts[i]);
	return sent; /* the library copied them */
}

/* memif: fastpath's own server; a bad descriptor from the peer ends it. */
uint16_t
fp_memif_rx_burst(struct fp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct fp_memif_dp *d = __atomic_load_n(&p->memif_dp, __ATOMIC_ACQUIRE);
	int bad = 0;
	uint16_t got;

	if (d == NULL)
		return 0;
	got = fp_memif_rx(d, q, fp_dp.pool, pkts, n, &bad);
	if (unlikely(bad))
		fp_guard_report(p->token, d->conn, 0, FP_PEER_bad_ring, 0);
	return got;
}

uint16_t
fp_memif_tx_burst(struct fp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n, uint64_t *bytes)
{
	struct fp_memif_dp *d = __atomic_load_n(&p->memif_dp, __ATOMIC_ACQUIRE);
	int bad = 0;
	uint16_t sent;

	if (d == NULL)
		return 0;
	sent = fp_memif_tx(d, q, pkts, n, bytes, &bad);
	if (unlikely(bad))
		fp_guard_report(p->token, d->conn, 0, FP_PEER_bad_ring, 0);
	return sent;
}

/* ethdev (net_tap, virtio_user on vhost-net): the PMD owns what it sent. */
uint16_t
fp_ethdev_rx(struct fp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_rx_burst(p->eth_port, q, pkts, n);
}

uint16_t
fp_ethdev_tx(struct fp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n, uint64_t *bytes)
{
	uint64_t all = 0;
	uint16_t sent;

	for (uint16_t i = 0; i < n; i++)
		all += rte_pktmbuf_pkt_len(pkts[i]);
	sent = rte_eth_tx_burst(p->eth_port, q, pkts, n);
	/* What was not taken is still ours, and still readable. */
	for (uint16_t i = sent; i < n; i++)
		all -= rte_pktmbuf_pkt_len(pkts[i]);
	*bytes += all;
	return sent;
}

/*
 * A tunnel port (fp_overlay.h): encapsulate for its peer and send on the
 * uplink, on the tx queue of worker w (tunnels are tx_per_worker: q is the
 * worker's index). A frame this worker alone holds gets its outer headers
 * in its headroom; one a flood shares (or without the room) is copied
 * first, as each peer needs its own headers. Frames that fp_tx_enqueue let
 * through fit the uplink's MTU (fp_port.max_len). What the uplink does not
 * take goes back to the caller, encapsulated, to free and count.
 */
uint16_t
fp_tunnel_tx(struct fp_port *p, uint16_t w, struct rte_mbuf **pkts, uint16_t n, uint64_t *bytes)
{
	const struct fp_tunnel *t = p->tunnel;
	struct fp_port *up = t->uplink;
	uint64_t nh = __atomic_load_n(&t->nh->mac, __ATOMIC_RELAXED);
	uint64_t outer = 0;
	uint16_t k, sent, txq;
	int shared;

	if (unlikely(!(nh & FP_NEIGH_VALID))) /* fp-ctl keeps the link down till then */
		return 0;
	for (k = 0; k < n; k++) {
		struct rte_mbuf *m = pkts[k];
		uint32_t len = rte_pktmbuf_pkt_len(m);
		uint16_t entropy;
		uint8_t *h;

		if (rte_mbuf_refcnt_read(m) != 1 || !RTE_MBUF_DIRECT(m) ||
		    rte_pktmbuf_headroom(m) < FP_VXLAN_HDR_LEN) {
			struct rte_mbuf *c = rte_pktmbuf_copy(m, fp_dp.pool, 0, UINT32_MAX);

			if (unlikely(c == NULL))
				break;
			rte_pktmbuf_free(m);
			pkts[k] = m = c;
		}
		entropy = (uint16_t)fp_flow_hash(m); /* the inner flow's */
		h = (uint8_t *)rte_pktmbuf_prepend(m, FP_VXLAN_HDR_LEN);
		if (unlikely(h == NULL))
			break;
		fp_vxlan_encap(&t->tmpl, h, (uint16_t)len, entropy);
		memcpy(h, &nh, 6); /* the next hop's MAC, as fp_neigh.mac holds it */
	}
	txq = fp_txq_of_worker(up, w);
	shared = fp_txq_shared(up);
	if (shared)
		rte_spinlock_lock(&up->txlock[txq]);
	sent = rte_eth_tx_burst(up->eth_port, txq, pkts, k);
	if (shared)
		rte_spinlock_unlock(&up->txlock[txq]);
	for (uint16_t i = 0; i < sent; i++)
		outer += rte_pktmbuf_pkt_len(pkts[i]);
	*bytes += outer - (uint64_t)sent * FP_VXLAN_HDR_LEN;
	/* The uplink's own counters: what it sent for its tunnels. */
	up->stats[w].v[FP_PORT_tx_packets] += sent;
	up->stats[w].v[FP_PORT_tx_bytes] += outer;
	up->stats[w].txq[txq] += sent;
	return sent;
}

/* Tunnel ports have no rx queues: what their peer sends arrives on the
 * uplink (fp_overlay_dp.h). */
uint16_t
fp_tunnel_rx(struct fp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	(void)p;
	(void)q;
	(void)pkts;
	(void)n;
	return 0;
}
