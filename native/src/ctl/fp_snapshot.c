/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Generation swap: build an immutable view of ports, networks, flood lists
 * and rx queue assignments (prepare: may fail, allocates everything), publish
 * it with one release-store (commit: cannot fail), then free the previous
 * one after an RCU grace period.
 */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "fp_ctl.h"

static void
fp_snapshot_free(struct fp_snapshot *s)
{
	if (s == NULL)
		return;
	for (unsigned i = 0; i < FP_MAX_NETS; i++)
		rte_free(s->flood[i]);
	for (unsigned i = 0; i < FP_MAX_WORKERS; i++)
		rte_free(s->worker[i].rxq);
	rte_free(s);
}

static int
fp_snapshot_build(struct fp_snapshot *s)
{
	uint16_t members[FP_MAX_NETS] = { 0 };
	uint32_t rxqs[FP_MAX_WORKERS] = { 0 };

	s->gen = ++fp_c.snap_gen;
	s->forwarding = fp_c.forwarding;
	for (unsigned i = 0; i < FP_MAX_NETS; i++)
		s->net[i] = fp_c.nets[i];
	for (unsigned i = 0; i < FP_MAX_NETS; i++)
		s->flows[i] = fp_c.flows[i];
	for (unsigned slot = 0; slot < FP_MAX_PORTS; slot++) {
		struct fp_port *p = fp_c.ports[slot];

		if (p == NULL || p->removing)
			continue;
		s->port[slot] = p;
		if (p->net != FP_NET_NONE)
			members[p->net]++;
		for (unsigned q = 0; q < p->queues; q++)
			if (!(p->rxq_moving & (1u << q)))
				rxqs[p->rxq_worker[q]]++;
	}
	for (unsigned i = 0; i < FP_MAX_NETS; i++) {
		if (members[i] == 0)
			continue;
		s->flood[i] = rte_zmalloc("fp_flood", sizeof(struct fp_flood) +
					  members[i] * sizeof(struct fp_port *), 0);
		if (s->flood[i] == NULL)
			return -ENOMEM;
	}
	for (unsigned w = 0; w < fp_dp.n_workers; w++) {
		if (rxqs[w] == 0)
			continue;
		s->worker[w].rxq = rte_zmalloc("fp_rxq", rxqs[w] * sizeof(struct fp_rxq),
					       RTE_CACHE_LINE_SIZE);
		if (s->worker[w].rxq == NULL)
			return -ENOMEM;
	}
	for (unsigned slot = 0; slot < FP_MAX_PORTS; slot++) {
		struct fp_port *p = s->port[slot];

		if (p == NULL)
			continue;
		if (p->net != FP_NET_NONE) /* an uplink is in no flood list */
			s->flood[p->net]->port[s->flood[p->net]->n++] = p;
		for (uint16_t q = 0; q < p->queues; q++) {
			struct fp_worker_rx *rx = &s->worker[p->rxq_worker[q]];

			if (p->rxq_moving & (1u << q))
				continue; /* polled by nobody for one grace period */
			rx->rxq[rx->n].port = p;
			rx->rxq[rx->n].queue = q;
			rx->n++;
		}
	}
	return 0;
}

int
fp_snapshot_publish(char *err)
{
	FP_CTL_ONLY();
	struct fp_snapshot *s, *old;

	s = rte_zmalloc("fp_snap", sizeof(*s), RTE_CACHE_LINE_SIZE);
	if (s == NULL)
		return fp_err(err, -ENOMEM, "out of memory building the forwarding tables");
	if (fp_snapshot_build(s) != 0) {
		fp_snapshot_free(s);
		fp_c.snap_gen--;
		return fp_err(err, -ENOMEM, "out of memory building the forwarding tables");
	}
	old = __atomic_exchange_n(&fp_dp.snap, s, __ATOMIC_ACQ_REL);
	rte_rcu_qsbr_synchronize(fp_dp.qsv, RTE_QSBR_THRID_INVALID);
	fp_snapshot_free(old);
	return 0;
}

void
fp_snapshot_release(void)
{
	fp_snapshot_free(__atomic_exchange_n(&fp_dp.snap, NULL, __ATOMIC_ACQ_REL));
}
