/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Worker lcore loop: rx bursts from the guests' tx vrings, L2 switching with
 * learning per (network, VLAN), flooding, batched tx into the guests' rx
 * vrings. Runs on worker lcores only: no syscalls (beyond the vhost kick the
 * library does when a guest asks for interrupts), no logging, no malloc.
 * See fp_shared.h for who may touch what.
 */
#include <stdint.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_net.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_vhost.h>

#include "../common/fp_globals.h"
#include "../common/fp_guard.h"
#include "../common/fp_worker_local.h"
#include "fp_flow_dp.h"
#include "fp_overlay_dp.h"
#include "fp_psec.h"
#include "fp_l2.h"
#include "fp_tx.h"
#include "fp_worker.h"

/* Re-confirm a learned source at most this often (in ticks, ~0.5 s). */
#define FP_LEARN_REFRESH 64

/* A port with a limit may learn one more MAC while under it. fp-ctl
 * recounts every second (moves away are not subtracted here), so the count
 * errs high for at most that long. */
static inline int
fp_learn_allowed(const struct fp_port *in)
{
	return in->mac_limit == 0 ||
	       __atomic_load_n(&in->n_macs, __ATOMIC_RELAXED) < in->mac_limit;
}

static inline struct fp_emc_entry *
fp_emc_slot(struct fp_worker_local *wl, uint64_t key, uint16_t net)
{
	return &wl->emc[fp_mac_slot(key, net, FP_EMC_BITS)];
}

/* Whether the exact-match cache says this source is at this port already,
 * refreshed recently: then there is nothing to learn. */
static inline int
fp_learn_fresh(struct fp_worker_local *wl, const struct fp_network *net, uint32_t version,
	       const struct fp_port *in, uint64_t key, uint32_t tick)
{
	const struct fp_emc_entry *c = fp_emc_slot(wl, key, net->id);

	return c->key == key && c->net == net->id && c->version == version &&
	       c->token == in->token && tick - c->learned < FP_LEARN_REFRESH;
}

/* Learn (or refresh) a source the table had at pos at the burst's bulk
 * lookup (-1: it had not). -1: a new MAC for this port past its limit: the
 * frame must be dropped (else every reply to it would flood the network). */
static inline int
fp_learn_at(struct fp_worker_local *wl, struct fp_network *net, uint32_t version,
	    struct fp_port *in, uint64_t key, int32_t pos, uint32_t tick)
{
	struct fp_emc_entry *c;
	struct fp_mac_entry *e;
	int moved = 0;

	if (pos < 0) /* an earlier source of this burst may have added it since */
		pos = rte_hash_lookup(net->mac, &key);
	if (pos >= 0) {
		/* Set by the API behind a peer: neither refreshed nor moved. */
		if (unlikely(__atomic_load_n(&net->entries[pos].seen, __ATOMIC_RELAXED) ==
			     FP_MAC_STATIC))
			return 0;
		moved = __atomic_load_n(&net->entries[pos].token, __ATOMIC_RELAXED) !=
			in->token;
		if (unlikely(moved && !fp_learn_allowed(in)))
			return -1;
	} else {
		if (unlikely(!fp_learn_allowed(in)))
			return -1;
		/* New key: no cache can hold it (fp-ctl bumps the version when
		 * it deletes one), so nothing to invalidate. */
		pos = rte_hash_add_key(net->mac, &key);
		if (pos < 0)
			return 0; /* table full: keep flooding to this MAC */
		moved = -1;
	}
	e = &net->entries[pos];
	__atomic_store_n(&e->token, in->token, __ATOMIC_RELAXED);
	__atomic_store_n(&e->seen, tick != FP_MAC_STATIC ? tick : tick - 1, __ATOMIC_RELAXED);
	if (moved != 0)
		__atomic_fetch_add(&in->n_macs, 1, __ATOMIC_RELAXED);
	if (moved > 0) /* the cache entry below then never matches: fine */
		__atomic_fetch_add((uint32_t *)&net->version, 1, __ATOMIC_RELEASE);
	c = fp_emc_slot(wl, key, net->id);
	c->key = key;
	c->net = net->id;
	c->token = in->token;
	c->version = version;
	c->learned = tick;
	return 0;
}

#define FP_NO_LEARN 0xff

/* Sources of a burst the exact-match cache did not confirm, for one bulk lookup
 * (with many MACs, that is every frame's: one lookup each would cost more). */
struct fp_learn_batch {
	uint16_t n;
	uint8_t of[FP_BURST]; /* frame i's entry, or FP_NO_LEARN */
	uint64_t key[FP_BURST];
	const void *kp[FP_BURST];
};

static inline void
fp_learn_queue(struct fp_learn_batch *lb, uint16_t i, uint64_t key)
{
	/* Runs of one source (a bulk transfer) take one entry. */
	if (lb->n == 0 || lb->key[lb->n - 1] != key) {
		lb->key[lb->n] = key;
		lb->kp[lb->n] = &lb->key[lb->n];
		lb->n++;
	}
	lb->of[i] = (uint8_t)(lb->n - 1);
}

/* Learn the burst's queued sources, in frame order; drop the frames whose
 * source the port may not learn (its MAC limit). */
static void
fp_learn_burst(struct fp_worker_local *wl, struct fp_network *net, uint32_t version,
	       struct fp_port *in, struct rte_mbuf **pkts, uint16_t n, struct fp_learn_batch *lb,
	       uint32_t tick)
{
	int32_t pos[FP_BURST];
	uint8_t refused[FP_BURST];
	unsigned any = 0;

	rte_hash_lookup_bulk(net->mac, lb->kp, lb->n, pos);
	for (uint16_t j = 0; j < lb->n; j++) {
		refused[j] = fp_learn_at(wl, net, version, in, lb->key[j], pos[j], tick) != 0;
		any |= refused[j];
	}
	if (likely(!any))
		return;
	for (uint16_t i = 0; i < n; i++) {
		if (pkts[i] == NULL || lb->of[i] == FP_NO_LEARN || !refused[lb->of[i]])
			continue;
		fp_count(in, wl->idx, FP_PORT_DROP_mac_limit, 1);
		rte_pktmbuf_free(pkts[i]);
		pkts[i] = NULL;
	}
}

/* Destinations that need the table, collected for one bulk lookup. */
struct fp_l2_miss {
	uint16_t n;
	uint16_t idx[FP_BURST];
	uint64_t key[FP_BURST];
	const void *kp[FP_BURST];
};

/* Unicast destination from the exact-match cache, or queued for the table. */
static inline void
fp_l2_lookup(struct fp_worker_local *wl, const struct fp_network *net, uint32_t version,
	     const uint8_t *eth, uint16_t vid, uint16_t i, uint32_t *tok, uint8_t *uc,
	     struct fp_l2_miss *ms)
{
	tok[i] = 0;
	uc[i] = !fp_mac_is_group(eth);
	if (uc[i]) {
		uint64_t key = fp_mac_key(eth, vid);
		const struct fp_emc_entry *c = fp_emc_slot(wl, key, net->id);

		if (c->key == key && c->net == net->id && c->version == version) {
			tok[i] = c->token;
		} else {
			ms->key[ms->n] = key;
			ms->kp[ms->n] = &ms->key[ms->n];
			ms->idx[ms->n++] = i;
		}
	}
}

static void
fp_switch_burst(struct fp_worker_local *wl, const struct fp_snapshot *s,
		struct fp_port *in, struct rte_mbuf **pkts, uint16_t n, uint32_t tick)
{
	struct fp_network *net = s->net[in->net];
	const struct fp_flow_table *ft = s->flows[in->net];
	/* Read before any table lookup: see fp_network.version. */
	uint32_t version = __atomic_load_n(&net->version, __ATOMIC_ACQUIRE);
	struct fp_l2_miss ms;
	struct fp_learn_batch lb;
	int32_t pos[FP_BURST];
	uint32_t tok[FP_BURST];
	uint16_t vids[FP_BURST];
	uint8_t tagged[FP_BURST], uc[FP_BURST];
	uint64_t bytes = 0;

	ms.n = 0;
	lb.n = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *eth = rte_pktmbuf_mtod(m, const uint8_t *);
		int t, vid;

		lb.of[i] = FP_NO_LEARN;

		bytes += rte_pktmbuf_pkt_len(m);
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		vid = fp_frame_vlan(eth, rte_pktmbuf_data_len(m), &t);
		if (unlikely(vid < 0)) {
			fp_count(in, wl->idx, FP_PORT_DROP_runt, 1);
			goto drop;
		}
		if (in->vlan != 0) {
			if (unlikely(fp_access_ingress(rte_pktmbuf_mtod(m, uint8_t *),
						       rte_pktmbuf_data_len(m), vid, t, in->vlan) != 0)) {
				fp_count(in, wl->idx, FP_PORT_DROP_vlan, 1);
				goto drop;
			}
			vid = in->vlan;
		}
		if (unlikely(in->sec.enabled) &&
		    !fp_psec_ok(&in->sec, eth, rte_pktmbuf_data_len(m), t)) {
			fp_count(in, wl->idx, FP_PORT_DROP_spoof, 1);
			goto drop;
		}
		vids[i] = (uint16_t)vid;
		tagged[i] = (uint8_t)t;
		if (likely(!fp_mac_is_group(eth + 6))) {
			uint64_t src = fp_mac_key(eth + 6, (uint16_t)vid);

			if (!fp_learn_fresh(wl, net, version, in, src, tick))
				fp_learn_queue(&lb, i, src);
		}
		/* A frame the learning below drops may have its destination
		 * looked up for nothing: the last loop skips it. */
		if (likely(ft == NULL))
			fp_l2_lookup(wl, net, version, eth, (uint16_t)vid, i, tok, uc, &ms);
		continue;
drop:
		rte_pktmbuf_free(m);
		pkts[i] = NULL;
	}
	if (lb.n > 0)
		fp_learn_burst(wl, net, version, in, pkts, n, &lb, tick);
	fp_count(in, wl->idx, FP_PORT_rx_packets, n);
	fp_count(in, wl->idx, FP_PORT_rx_bytes, bytes);

	if (unlikely(ft != NULL)) {
		/* Flow rules first; what they leave to `normal` is switched below,
		 * with the VLAN and destination MAC they may have rewritten. */
		if (fp_flow_burst(wl, s, in, ft, pkts, n, vids, tagged) == 0)
			return; /* every frame had its fate: nothing to switch */
		for (uint16_t i = 0; i < n; i++)
			if (pkts[i] != NULL)
				fp_l2_lookup(wl, net, version,
					     rte_pktmbuf_mtod(pkts[i], const uint8_t *), vids[i],
					     i, tok, uc, &ms);
	}

	if (ms.n > 0) {
		rte_hash_lookup_bulk(net->mac, ms.kp, ms.n, pos);
		for (uint16_t u = 0; u < ms.n; u++) {
			struct fp_emc_entry *c;

			if (pos[u] < 0)
				continue; /* unknown: flood, and do not cache */
			tok[ms.idx[u]] = __atomic_load_n(&net->entries[pos[u]].token,
							 __ATOMIC_RELAXED);
			c = fp_emc_slot(wl, ms.key[u], net->id);
			c->key = ms.key[u];
			c->net = net->id;
			c->token = tok[ms.idx[u]];
			c->version = version;
			c->learned = tick - FP_LEARN_REFRESH; /* a lookup refreshes nothing */
		}
	}

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct fp_port *q = NULL;

		if (m == NULL)
			continue;
		if (uc[i] && tok[i] != 0)
			q = fp_port_of_token(s, tok[i]);
		if (q == NULL) {
			fp_flood(wl, s, in, m, vids[i], tagged[i]);
		} else if (unlikely(q == in)) {
			fp_count(in, wl->idx, FP_PORT_DROP_hairpin, 1);
			rte_pktmbuf_free(m);
		} else if (unlikely(!fp_vlan_ok(q, vids[i]))) {
			fp_count(in, wl->idx, FP_PORT_DROP_vlan, 1);
			rte_pktmbuf_free(m);
		} else {
			fp_tx_enqueue(wl, q, m, vids[i], tagged[i], FP_TX_UNICAST);
		}
	}
}

/* An uplink's burst: its VXLAN frames switched as their tunnel ports'. */
static void
fp_uplink_burst(struct fp_worker_local *wl, const struct fp_snapshot *s,
		struct fp_port *up, struct rte_mbuf **pkts, uint16_t n, uint32_t tick)
{
	struct fp_uplink_run runs[FP_BURST];
	unsigned nr = fp_uplink_classify(wl, up, pkts, n, runs);

	for (unsigned r = 0; r < nr; r++) {
		struct fp_port *t = runs[r].tunnel;

		/* The map may name a tunnel this snapshot does not have yet (or
		 * any more): its network is only certain once it does. */
		if (unlikely(s->port[t->slot] != t)) {
			fp_count(up, wl->idx, FP_PORT_DROP_vxlan_unknown, runs[r].n);
			rte_pktmbuf_free_bulk(&pkts[runs[r].from], runs[r].n);
			continue;
		}
		fp_switch_burst(wl, s, t, &pkts[runs[r].from], runs[r].n, tick);
	}
}

/* One rx burst, switched and sent: what a "busy" poll costs. */
static uint32_t
fp_poll_rxq(struct fp_worker_local *wl, const struct fp_snapshot *s,
	    const struct fp_rxq *rq, uint32_t tick)
{
	struct fp_port *p = rq->port;
	struct rte_mbuf *pkts[FP_BURST];
	uint16_t vring = (uint16_t)(rq->queue * 2 + 1); /* the peer's tx: vhost's numbering */
	uint16_t n;

	if (!__atomic_load_n(&p->link_up, __ATOMIC_ACQUIRE) ||
	    !(__atomic_load_n(&p->vring_enabled, __ATOMIC_RELAXED) & (1u << vring)) ||
	    unlikely(fp_guard_port_faulted(p->slot, p->token)))
		return 0;
	if (unlikely(p->uplink != NULL) && rq->queue == 0)
		fp_uplink_ctl_tx(wl, p);
	n = p->ops->rx(p, rq->queue, pkts, FP_BURST); /* per burst: the kind's own */
	if (n > 0) {
		p->stats[wl->idx].rxq[rq->queue] += n;
		if (unlikely(p->uplink != NULL))
			fp_uplink_burst(wl, s, p, pkts, n, tick);
		else
			fp_switch_burst(wl, s, p, pkts, n, tick);
	}
	if (wl->n_dirty > 0)
		fp_tx_flush_all(wl);
	return n;
}

/*
 * Cycle accounting follows testpmd --record-core-cycles (and OVS's busy
 * cycles): the time of a poll that returned packets, including switching
 * and sending them, is busy; empty polls are idle. The TSC is read once per
 * poll (rdtsc is slow in VMs): each poll is charged from the previous read,
 * so the loop's own few instructions go with the next poll.
 */
int
fp_worker_main(void *arg)
{
	struct fp_worker_local *wl = arg;
	struct fp_worker_counters *wc = &fp_dp.wstats[wl->idx];
	uint64_t prev = rte_rdtsc();

	rte_rcu_qsbr_thread_online(fp_dp.qsv, wl->idx);
	while (!__atomic_load_n(&fp_dp.stop, __ATOMIC_RELAXED)) {
		const struct fp_snapshot *s =
			__atomic_load_n(&fp_dp.snap, __ATOMIC_ACQUIRE);
		uint32_t npkts = 0;
		uint64_t busy = 0, start = prev;

		if (s != NULL && s->forwarding) {
			const struct fp_worker_rx *rx = &s->worker[wl->idx];
			uint32_t tick = (uint32_t)(prev >> FP_TICK_SHIFT);

			for (uint32_t i = 0; i < rx->n; i++) {
				const struct fp_rxq *rq = &rx->rxq[i];
				uint32_t n = fp_poll_rxq(wl, s, rq, tick);
				uint64_t now = rte_rdtsc();

				if (n > 0) {
					busy += now - prev;
					rq->port->stats[wl->idx].rxq_cycles[rq->queue] += now - prev;
					npkts += n;
				}
				prev = now;
			}
		}
		if (prev == start) /* nothing polled: still account the time */
			prev = rte_rdtsc();
		wc->v[FP_WORKER_iterations]++;
		wc->v[FP_WORKER_busy_cycles] += busy;
		wc->v[FP_WORKER_idle_cycles] += prev - start - busy;
		if (npkts > 0) {
			wc->v[FP_WORKER_packets] += npkts;
			wc->v[FP_WORKER_busy_iterations]++;
		}
		/* Nothing from s is used past this point. */
		rte_rcu_qsbr_quiescent(fp_dp.qsv, wl->idx);
	}
	rte_rcu_qsbr_thread_offline(fp_dp.qsv, wl->idx);
	return 0;
}
