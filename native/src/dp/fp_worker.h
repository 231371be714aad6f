/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FP_WORKER_H
#define FP_WORKER_H

/*
 * Worker lcore entry point (rte_eal_remote_launch). `arg` is the worker's
 * struct fp_worker_local (fp_c.wl[i]), which fp-ctl allocated and only the
 * worker writes. Runs until fp_dp.stop is set.
 * @pre called on a worker lcore registered with fp_dp.qsv under wl->idx.
 */
int fp_worker_main(void *arg);

#endif
