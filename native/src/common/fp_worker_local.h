/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-worker private state. Allocated by fp-ctl before the worker is
 * launched and freed after it has stopped; in between only its worker
 * touches it.
 */
#ifndef FP_WORKER_LOCAL_H
#define FP_WORKER_LOCAL_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "fp_flow.h"
#include "fp_shared.h"

/* Frames waiting for one destination port. Empty at every iteration end. */
struct fp_txbuf {
	uint16_t n;
	uint8_t dirty; /* listed in fp_worker_local.dirty */
	struct rte_mbuf *m[FP_TXBUF];
};

/*
 * Exact-match cache in front of the MAC tables (OVS's EMC, in spirit), for
 * destinations and sources alike: an entry says the table held `key` at the
 * port of `token` as of `version`. For a destination that is the answer;
 * for a source arriving on that same port it means there is nothing to
 * learn, unless `learned` (the tick the worker last refreshed the table's
 * entry) is old enough to refresh the MAC's age again. 4096 entries (96
 * KiB, in L2): 1,000 MACs in 1,024 direct-mapped slots missed one lookup in
 * three.
 */
#define FP_EMC_BITS 12
#define FP_EMC_SIZE (1u << FP_EMC_BITS)
struct fp_emc_entry {
	uint64_t key;     /* fp_mac_key() */
	uint32_t token;   /* port token the table held */
	uint32_t version; /* fp_network.version when looked up */
	uint16_t net;
	uint32_t learned; /* tick of this worker's last refresh of the table's entry */
};

/* Token bucket of one punt class of one network, on one worker. Tokens are
 * in TSC cycles: a packet costs tsc_hz, a second of waiting earns
 * pps * tsc_hz (so no division on the fast path). */
struct fp_punt_bucket {
	uint64_t tokens;
	uint64_t last; /* TSC of the last refill */
};

struct fp_worker_local {
	unsigned idx;   /* worker index: qsbr thread id, stats row */
	unsigned lcore;
	uint16_t n_dirty;
	struct fp_port *dirty[FP_MAX_PORTS];
	struct fp_txbuf tx[FP_MAX_PORTS];        /* by port slot */
	struct fp_emc_entry emc[FP_EMC_SIZE];
	struct fp_punt_bucket punt[FP_MAX_NETS][FP_PUNT_MAX];
	struct fp_flow_cache flow_cache;
};

#endif
