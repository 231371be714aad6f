/* SPDX-License-Identifier: Apache-2.0 */
/* Process-wide state seen by both fp-ctl and the workers. */
#ifndef FP_GLOBALS_H
#define FP_GLOBALS_H

#include <stdint.h>

#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "fp_shared.h"

struct fp_dp_globals {
	struct fp_snapshot *snap;       /* ctl: w (release), dp: r (acquire) */
	struct rte_rcu_qsbr *qsv;       /* ctl: init; dp: quiescent; ctl/vhost: sync */
	struct rte_mempool *pool;       /* ctl: create/free; dp: get/put */
	volatile uint8_t stop;          /* ctl: w; dp: r, exits loop */
	unsigned n_workers;             /* ctl: w before launch; dp: r */
	uint64_t tsc_hz;                /* ctl: w before launch; dp: r */
	unsigned worker_lcore[FP_MAX_WORKERS]; /* ctl: w before launch */
	struct fp_worker_counters wstats[FP_MAX_WORKERS]; /* dp: w own row; ctl: r */
};

extern struct fp_dp_globals fp_dp;

#endif
