/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Egress helpers of the worker: per-destination tx batches, VLAN fix-up on
 * egress, flooding. Static inline, included by the worker's translation
 * unit only (the flow path and L2 switching share them without calls).
 * @pre worker lcore.
 */
#ifndef FP_TX_H
#define FP_TX_H

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "../common/fp_globals.h"
#include "../common/fp_guard.h"
#include "../common/fp_worker_local.h"
#include "fp_punt_dp.h"
#include "fp_txq.h"
#include "fp_txq_worker.h"

static inline void
fp_count(struct fp_port *p, unsigned w, enum fp_port_counter c, uint64_t n)
{
	p->stats[w].v[c] += n;
}

/* One burst on one queue: the kind's own tx, once per burst. Shared queues
 * (more than one worker may send there) are locked. */
static inline uint16_t
fp_tx_burst(struct fp_worker_local *wl, struct fp_port *q, uint16_t txq, int shared,
	    struct rte_mbuf **m, uint16_t n)
{
	const struct fp_port_ops *ops = q->ops;
	uint64_t bytes = 0;
	uint16_t sent;

	if (unlikely(shared)) {
		rte_spinlock_lock(&q->txlock[txq]);
		sent = ops->tx(q, txq, m, n, &bytes);
		rte_spinlock_unlock(&q->txlock[txq]);
	} else {
		sent = ops->tx(q, txq, m, n, &bytes);
	}
	fp_count(q, wl->idx, FP_PORT_tx_packets, sent);
	fp_count(q, wl->idx, FP_PORT_tx_bytes, bytes);
	q->stats[wl->idx].txq[txq] += sent;
	if (unlikely(sent < n))
		fp_count(q, wl->idx, FP_PORT_DROP_tx_full, n - sent);
	/* Copied (and possibly shared by a flood): ours to free, all of them;
	 * else the device owns what it took. */
	if (q->ops->tx_copies)
		rte_pktmbuf_free_bulk(m, n);
	else if (sent < n)
		rte_pktmbuf_free_bulk(&m[sent], n - sent);
	return sent;
}

/*
 * Spread a destination's frames over the queues its peer enabled, by the
 * flow hash fp_tx_enqueue stored (counting sort: each queue's frames keep
 * their order), one burst per queue.
 */
static void
fp_tx_spread(struct fp_worker_local *wl, struct fp_port *q, uint32_t mask, int shared,
	     struct rte_mbuf **m, uint16_t n)
{
	struct rte_mbuf *out[FP_TXBUF];
	uint8_t qid[FP_MAX_QUEUES], sel[FP_TXBUF];
	uint16_t cnt[FP_MAX_QUEUES] = { 0 }, at[FP_MAX_QUEUES];
	unsigned nq = 0;

	for (uint32_t b = mask; b != 0; b &= b - 1)
		qid[nq++] = (uint8_t)__builtin_ctz(b);
	for (uint16_t i = 0; i < n; i++) {
		sel[i] = (uint8_t)fp_txq_pick(m[i]->hash.rss, nq);
		cnt[sel[i]]++;
	}
	at[0] = 0;
	for (unsigned j = 1; j < nq; j++)
		at[j] = (uint16_t)(at[j - 1] + cnt[j - 1]);
	for (uint16_t i = 0; i < n; i++)
		out[at[sel[i]]++] = m[i];
	for (unsigned j = 0, from = 0; j < nq; from += cnt[j], j++)
		if (cnt[j] > 0)
			fp_tx_burst(wl, q, qid[j], shared, &out[from], cnt[j]);
}

static void
fp_tx_flush(struct fp_worker_local *wl, struct fp_port *q)
{
	struct fp_txbuf *b = &wl->tx[q->slot];
	uint16_t n = b->n;
	uint32_t mask;

	if (n == 0)
		return;
	b->n = 0;
	if (unlikely(!__atomic_load_n(&q->link_up, __ATOMIC_ACQUIRE) || fp_guard_port_faulted(q->slot, q->token))) {
		fp_count(q, wl->idx, FP_PORT_DROP_link_down, n);
		rte_pktmbuf_free_bulk(b->m, n);
		return;
	}
	if (q->ops->tx_per_worker) { /* a queue of our own: no lock */
		uint16_t txq = fp_txq_of_worker(q, wl->idx);

		fp_tx_burst(wl, q, txq, fp_txq_shared(q), b->m, n);
		return;
	}
	mask = __atomic_load_n(&q->txq_mask, __ATOMIC_ACQUIRE);
	if (unlikely(mask == 0)) { /* the peer receives on no queue yet */
		fp_count(q, wl->idx, FP_PORT_DROP_tx_full, n);
		rte_pktmbuf_free_bulk(b->m, n);
	} else if (likely((mask & (mask - 1)) == 0)) {
		fp_tx_burst(wl, q, (uint16_t)__builtin_ctz(mask), fp_dp.n_workers > 1, b->m, n);
	} else {
		fp_tx_spread(wl, q, mask, fp_dp.n_workers > 1, b->m, n);
	}
}

/*
 * Frames travel untagged inside the switch when they came in untagged;
 * egress fixes the tag only when the destination needs it different. That
 * costs a copy (the mbuf may be shared by a flood), which is fine off the
 * common untagged path.
 */
static inline struct rte_mbuf *
fp_vlan_fixup(struct fp_worker_local *wl, struct fp_port *q, struct rte_mbuf *m,
	      uint16_t vid, int tagged)
{
	int strip = q->vlan != 0 && tagged;
	int push = q->vlan == 0 && vid != 0 && !tagged;
	struct rte_mbuf *c;

	if (likely(!strip && !push))
		return m;
	c = rte_pktmbuf_copy(m, fp_dp.pool, 0, UINT32_MAX);
	rte_pktmbuf_free(m);
	if (unlikely(c == NULL)) {
		fp_count(q, wl->idx, FP_PORT_DROP_no_mbuf, 1);
		return NULL;
	}
	if (strip) {
		rte_vlan_strip(c);
	} else {
		c->vlan_tci = vid;
		if (rte_vlan_insert(&c) != 0) {
			rte_pktmbuf_free(c);
			fp_count(q, wl->idx, FP_PORT_DROP_no_mbuf, 1);
			return NULL;
		}
	}
	return c;
}

/* why: enum fp_tx_why, for the kernel port's punt classes. */
static inline void
fp_tx_enqueue(struct fp_worker_local *wl, struct fp_port *q, struct rte_mbuf *m,
	      uint16_t vid, int tagged, unsigned why)
{
	struct fp_txbuf *b = &wl->tx[q->slot];

	if (unlikely(q->kernel) && !fp_punt_admit(wl, q, m, why)) {
		rte_pktmbuf_free(m);
		return;
	}
	m = fp_vlan_fixup(wl, q, m, vid, tagged);
	if (unlikely(m == NULL))
		return;
	if (unlikely(rte_pktmbuf_pkt_len(m) > q->max_len)) { /* never truncated */
		fp_count(q, wl->idx, FP_PORT_DROP_mtu, 1);
		rte_pktmbuf_free(m);
		return;
	}
	if (q->queues > 1 && !q->ops->tx_per_worker) /* the queue is chosen at flush */
		m->hash.rss = fp_flow_hash(m);
	if (unlikely(b->n == FP_TXBUF))
		fp_tx_flush(wl, q);
	if (!b->dirty) {
		b->dirty = 1;
		wl->dirty[wl->n_dirty++] = q;
	}
	b->m[b->n++] = m;
}

static inline int
fp_vlan_ok(const struct fp_port *q, uint16_t vid)
{
	return q->vlan == 0 || q->vlan == vid;
}

static void
fp_flood(struct fp_worker_local *wl, const struct fp_snapshot *s,
	 struct fp_port *in, struct rte_mbuf *m, uint16_t vid, int tagged)
{
	const struct fp_flood *fl = s->flood[in->net];
	struct fp_port *out[FP_MAX_PORTS];
	uint16_t n = 0;

	for (uint16_t i = 0; fl != NULL && i < fl->n; i++) {
		struct fp_port *q = fl->port[i];
		/* A port with no guest is skipped, not counted as a drop. */
		if (q != in && fp_vlan_ok(q, vid) && !(q->is_tunnel & in->is_tunnel) &&
		    __atomic_load_n(&q->link_up, __ATOMIC_RELAXED) &&
		    !fp_guard_port_faulted(q->slot, q->token))
			out[n++] = q;
	}
	if (n == 0) {
		fp_count(in, wl->idx, FP_PORT_DROP_no_dest, 1);
		rte_pktmbuf_free(m);
		return;
	}
	if (n > 1)
		rte_mbuf_refcnt_update(m, (int16_t)(n - 1));
	for (uint16_t i = 0; i < n; i++)
		fp_tx_enqueue(wl, out[i], m, vid, tagged, FP_TX_FLOOD);
}

static inline struct fp_port *
fp_port_of_token(const struct fp_snapshot *s, uint32_t tok)
{
	struct fp_port *q = s->port[tok & (FP_MAX_PORTS - 1)];
	return q != NULL && q->token == tok ? q : NULL; /* stale: port gone */
}

/* Flush every destination touched since the last flush. */
static inline void
fp_tx_flush_all(struct fp_worker_local *wl)
{
	for (uint16_t i = 0; i < wl->n_dirty; i++) {
		fp_tx_flush(wl, wl->dirty[i]);
		wl->tx[wl->dirty[i]->slot].dirty = 0;
	}
	wl->n_dirty = 0;
}

#endif
