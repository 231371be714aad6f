/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which worker polls which rx queue (every queue of every port is polled by
 * exactly one): placement when a port comes (its pinned worker, else the
 * worker with the fewest queues, then the fewest busy cycles), pinning
 * changes, and rebalancing when ports go, in the spirit of OVS's
 * pmd-rxq-assign and pmd-rxq-affinity.
 *
 * A queue changes worker in two publications: first out of every worker's
 * list (after the grace period nobody polls it: the vhost library, our memif
 * rings and ethdev queues all want one poller), then into its new worker's.
 * Only that queue pauses, for one grace period; every other queue keeps
 * its worker and is polled throughout.
 *
 * @pre fp-ctl (every function here).
 */
#include <errno.h>
#include <string.h>

#include "../common/fp_err.h"
#include "../common/fp_globals.h"
#include "fp_ctl.h"
#include "fp_rxq.h"

int
fp_rxq_worker_of_lcore(unsigned lcore)
{
	for (unsigned w = 0; w < fp_dp.n_workers; w++)
		if (fp_dp.worker_lcore[w] == lcore)
			return (int)w;
	return -1;
}

/* Fewest queues, then the fewest busy cycles so far (the lighter worker). */
static unsigned
fp_rxq_lightest(void)
{
	unsigned best = 0;

	for (unsigned w = 1; w < fp_dp.n_workers; w++) {
		uint64_t cw = fp_dp.wstats[w].v[FP_WORKER_busy_cycles];
		uint64_t cb = fp_dp.wstats[best].v[FP_WORKER_busy_cycles];

		if (fp_c.rxq_load[w] < fp_c.rxq_load[best] ||
		    (fp_c.rxq_load[w] == fp_c.rxq_load[best] && cw < cb))
			best = w;
	}
	return best;
}

int
fp_rxq_check_pins(const struct fp_port_conf *c, char *err)
{
	for (unsigned q = 0; q < FP_MAX_QUEUES; q++) {
		if (!(c->rxq_pinned & (1u << q)))
			continue;
		if (q >= c->queues)
			return fp_err(err, -EINVAL, "rx queue %u is pinned, but the port has %u queue(s)",
				      q, c->queues);
		if (fp_rxq_worker_of_lcore(c->rxq_lcore[q]) < 0)
			return fp_err(err, -EINVAL, "rx queue %u is pinned to lcore %u, which is not a worker",
				      q, c->rxq_lcore[q]);
	}
	return 0;
}

void
fp_rxq_place(struct fp_port *p, const struct fp_port_conf *c)
{
	for (unsigned q = 0; q < FP_MAX_QUEUES; q++)
		p->rxq_pin[q] = -1;
	for (unsigned q = 0; q < p->queues; q++) {
		int w = (c->rxq_pinned & (1u << q)) ? fp_rxq_worker_of_lcore(c->rxq_lcore[q]) : -1;

		p->rxq_pin[q] = (int8_t)w;
		p->rxq_worker[q] = (uint8_t)(w >= 0 ? (unsigned)w : fp_rxq_lightest());
		fp_c.rxq_load[p->rxq_worker[q]]++;
	}
}

void
fp_rxq_release(struct fp_port *p)
{
	for (unsigned q = 0; q < p->queues; q++)
		fp_c.rxq_load[p->rxq_worker[q]]--;
}

/* The worker each queue should have, by slot * FP_MAX_QUEUES + queue;
 * filled from the current placement, then changed by the caller. */
static uint8_t fp_rxq_want[FP_MAX_PORTS * FP_MAX_QUEUES];

static uint8_t *
fp_rxq_current(void)
{
	for (unsigned slot = 0; slot < FP_MAX_PORTS; slot++)
		for (unsigned q = 0; fp_c.ports[slot] != NULL && q < fp_c.ports[slot]->queues; q++)
			fp_rxq_want[slot * FP_MAX_QUEUES + q] = fp_c.ports[slot]->rxq_worker[q];
	return fp_rxq_want;
}

/* Move every queue whose want[] differs from its worker. Both
 * publications synchronize. */
static int
fp_rxq_move(const uint8_t *want, char *err)
{
	int moving = 0, rc;

	for (unsigned slot = 0; slot < FP_MAX_PORTS; slot++) {
		struct fp_port *p = fp_c.ports[slot];

		for (unsigned q = 0; p != NULL && !p->removing && q < p->queues; q++)
			if (want[slot * FP_MAX_QUEUES + q] != p->rxq_worker[q]) {
				p->rxq_moving |= 1u << q;
				moving = 1;
			}
	}
	if (!moving)
		return 0;
	rc = fp_snapshot_publish(err);
	for (unsigned slot = 0; slot < FP_MAX_PORTS; slot++) {
		struct fp_port *p = fp_c.ports[slot];

		for (unsigned q = 0; p != NULL && q < p->queues; q++) {
			if (!(p->rxq_moving & (1u << q)))
				continue;
			if (rc == 0) { /* nobody polls it now: hand it over */
				fp_c.rxq_load[p->rxq_worker[q]]--;
				p->rxq_worker[q] = want[slot * FP_MAX_QUEUES + q];
				fp_c.rxq_load[p->rxq_worker[q]]++;
			}
			p->rxq_moving &= ~(1u << q);
		}
	}
	/* A failed first publication changed nothing; a failed second one
	 * leaves the old snapshot (without the moved queues) until the next
	 * publication, which every later command makes. */
	return rc != 0 ? rc : fp_snapshot_publish(err);
}

/*
 * Even out the queues that are not pinned: while the busiest worker has two
 * more queues than the idlest, move one of its unpinned queues over. Ports
 * coming and going leave at most one queue of difference.
 */
int
fp_rxq_rebalance(char *err)
{
	uint32_t load[FP_MAX_WORKERS];
	uint8_t *want;

	if (fp_dp.n_workers < 2)
		return 0;
	memcpy(load, fp_c.rxq_load, sizeof(load));
	want = fp_rxq_current();
	for (;;) {
		unsigned hi = 0, lo = 0, moved = 0;

		for (unsigned w = 1; w < fp_dp.n_workers; w++) {
			if (load[w] > load[hi])
				hi = w;
			if (load[w] < load[lo])
				lo = w;
		}
		if (load[hi] < load[lo] + 2)
			break;
		for (unsigned slot = 0; slot < FP_MAX_PORTS && !moved; slot++) {
			struct fp_port *p = fp_c.ports[slot];

			for (unsigned q = 0; p != NULL && !p->removing && q < p->queues && !moved; q++) {
				uint8_t *w = &want[slot * FP_MAX_QUEUES + q];

				if (*w == hi && p->rxq_pin[q] < 0) {
					*w = (uint8_t)lo;
					load[hi]--;
					load[lo]++;
					moved = 1;
				}
			}
		}
		if (!moved)
			break; /* the rest is pinned */
	}
	return fp_rxq_move(want, err);
}

int
fp_cmd_port_set_rxq_affinity(void *arg, char *err)
{
	FP_CTL_ONLY();
	struct fp_port_conf c = *(const struct fp_port_conf *)arg; /* name, rxq_pinned, rxq_lcore */
	struct fp_port *p = fp_port_find(c.name);
	uint8_t *want;
	int rc;

	if (p == NULL)
		return fp_err(err, -ENOENT, "no port named %s", c.name);
	c.queues = p->queues;
	rc = fp_rxq_check_pins(&c, err);
	if (rc != 0)
		return rc;
	want = fp_rxq_current();
	for (unsigned q = 0; q < p->queues; q++) {
		int w = (c.rxq_pinned & (1u << q)) ? fp_rxq_worker_of_lcore(c.rxq_lcore[q]) : -1;

		p->rxq_pin[q] = (int8_t)w;
		if (w >= 0)
			want[p->slot * FP_MAX_QUEUES + q] = (uint8_t)w;
	}
	rc = fp_rxq_move(want, err);
	if (rc != 0)
		return rc;
	return fp_rxq_rebalance(err); /* unpinned queues around the new pins */
}
