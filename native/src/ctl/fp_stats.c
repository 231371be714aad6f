/* SPDX-License-Identifier: Apache-2.0 */
/* Counters: per-lcore rows (single writer each) summed on read by fp-ctl. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "../common/fp_guard.h"
#include "fp_ctl.h"

static const char *const port_counter_names[] = {
#define FP_X(n) #n,
	FP_PORT_TRAFFIC_COUNTERS(FP_X)
#undef FP_X
#define FP_X(n, d) "drop_" #n,
	FP_DROP_REASONS(FP_X)
#undef FP_X
};

static const char *const worker_counter_names[] = {
#define FP_X(n) #n,
	FP_WORKER_COUNTERS(FP_X)
#undef FP_X
};

const char *
fp_port_counter_name(unsigned i)
{
	return i < RTE_DIM(port_counter_names) ? port_counter_names[i] : NULL;
}

const char *
fp_worker_counter_name(unsigned i)
{
	return i < RTE_DIM(worker_counter_names) ? worker_counter_names[i] : NULL;
}

int
fp_cmd_stats(void *arg, char *err)
{
	FP_CTL_ONLY();
	struct fp_stats *st = arg;
	unsigned n = 0;

	memset(st, 0, sizeof(*st));
	for (unsigned i = 0; i < FP_MAX_PORTS; i++)
		if (fp_c.ports[i] != NULL)
			n++;
	st->ports = calloc(n ? n : 1, sizeof(*st->ports));
	st->workers = calloc(fp_dp.n_workers, sizeof(*st->workers));
	if (st->ports == NULL || st->workers == NULL) {
		fp_stats_free(st);
		return fp_err(err, -ENOMEM, "out of memory reading stats");
	}
	st->tsc_hz = fp_c.tsc_hz;
	st->mbufs_total = fp_dp.pool->size;
	st->mbufs_available = rte_mempool_avail_count(fp_dp.pool);
	st->guard_regions = fp_guard_count();
	st->guard_lost = fp_guard_lost();
	for (unsigned i = 0; i < FP_MAX_PORTS; i++) {
		const struct fp_port *p = fp_c.ports[i];
		struct fp_port_stats *ps;

		if (p == NULL)
			continue;
		ps = &st->ports[st->n_ports++];
		snprintf(ps->name, sizeof(ps->name), "%s", p->name);
		snprintf(ps->network, sizeof(ps->network), "%s", p->netp != NULL ? p->netp->name : "");
		ps->link_up = (int)__atomic_load_n(&p->link_up, __ATOMIC_ACQUIRE);
		ps->queue_pairs = __atomic_load_n(&p->queue_pairs, __ATOMIC_RELAXED);
		ps->features = p->features;
		for (unsigned w = 0; w < fp_dp.n_workers; w++)
			for (unsigned c = 0; c < FP_PORT_COUNTER_MAX; c++)
				ps->counters[c] +=
					__atomic_load_n(&p->stats[w].v[c], __ATOMIC_RELAXED);
		ps->macs = __atomic_load_n(&p->n_macs, __ATOMIC_RELAXED);
		ps->queues = p->queues;
		for (unsigned q = 0; q < p->queues; q++) {
			struct fp_queue_stats *qs = &ps->queue[q];
			uint32_t en = __atomic_load_n(&p->vring_enabled, __ATOMIC_RELAXED);

			qs->lcore = fp_dp.worker_lcore[p->rxq_worker[q]];
			qs->pinned = p->rxq_pin[q] >= 0;
			qs->rx_enabled = ps->link_up && (en & (1u << (2 * q + 1))) != 0;
			qs->tx_enabled = p->ops->tx_per_worker ? ps->link_up
				: (__atomic_load_n(&p->txq_mask, __ATOMIC_RELAXED) & (1u << q)) != 0;
			for (unsigned w = 0; w < fp_dp.n_workers; w++) {
				qs->rx_packets += __atomic_load_n(&p->stats[w].rxq[q], __ATOMIC_RELAXED);
				qs->tx_packets += __atomic_load_n(&p->stats[w].txq[q], __ATOMIC_RELAXED);
				qs->rx_cycles += __atomic_load_n(&p->stats[w].rxq_cycles[q], __ATOMIC_RELAXED);
			}
		}
		for (unsigned e = 0; e < FP_PEER_ERROR_MAX; e++)
			ps->peer_errors[e] = __atomic_load_n(&p->peer_err[e], __ATOMIC_RELAXED);
		/* What the device dropped before a worker saw it (its rx ring
		 * was full): the kernel's count for AF_XDP, AF_PACKET and tap. */
		if (p->kind == FP_PORT_ETHDEV && p->eth_port != UINT16_MAX) {
			struct rte_eth_stats es;

			if (rte_eth_stats_get(p->eth_port, &es) == 0)
				ps->counters[FP_PORT_DROP_rx_missed] = es.imissed + es.ierrors;
		}
	}
	for (unsigned w = 0; w < fp_dp.n_workers; w++) {
		struct fp_worker_stats *ws = &st->workers[st->n_workers++];
		ws->lcore = fp_dp.worker_lcore[w];
		for (unsigned c = 0; c < FP_WORKER_COUNTER_MAX; c++)
			ws->counters[c] = __atomic_load_n(&fp_dp.wstats[w].v[c], __ATOMIC_RELAXED);
	}
	return 0;
}

int
fp_stats_read(struct fp_stats *out, char *err)
{
	return fp_ctl_call(fp_cmd_stats, out, err);
}

void
fp_stats_free(struct fp_stats *s)
{
	free(s->ports);
	free(s->workers);
	s->ports = NULL;
	s->workers = NULL;
}
