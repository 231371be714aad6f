/* SPDX-License-Identifier: Apache-2.0 */
/* Tx queues of tx_per_worker ports (fp_port_ops.h), for fp_tx.h and the
 * tunnel's tx, which sends on its uplink's. @pre worker lcore. */
#ifndef FP_TXQ_WORKER_H
#define FP_TXQ_WORKER_H

#include <stdint.h>

#include "../common/fp_globals.h"
#include "../common/fp_shared.h"

/* The tx queue of worker w on a tx_per_worker port: its own, unless the
 * device has fewer tx queues than there are workers (an AF_XDP or
 * AF_PACKET uplink on a NIC with one queue): then workers share them, and
 * every sender locks (fp_txq_shared). */
static inline uint16_t
fp_txq_of_worker(const struct fp_port *q, unsigned w)
{
	return (uint16_t)(likely(w < q->queue_pairs) ? w : w % q->queue_pairs);
}

static inline int
fp_txq_shared(const struct fp_port *q)
{
	return unlikely(fp_dp.n_workers > q->queue_pairs);
}

#endif
