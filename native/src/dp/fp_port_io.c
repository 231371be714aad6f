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
#include "../common/fp_shared.h"
#include "fp_memif_dp.h"
#include "fp_port_io.h"

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
