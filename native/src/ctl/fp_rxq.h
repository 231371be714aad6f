/* SPDX-License-Identifier: Apache-2.0 */
/* Rx queue placement on workers (fp_rxq.c). @pre fp-ctl. */
#ifndef FP_RXQ_H
#define FP_RXQ_H

#include "../common/fp_shared.h"

/* Worker index of a worker lcore, -1 if it is none. */
int fp_rxq_worker_of_lcore(unsigned lcore);
/* The conf's pins name the port's queues and worker lcores. */
int fp_rxq_check_pins(const struct fp_port_conf *c, char *err);
/* Assign a new port's queues (before its first publication). */
void fp_rxq_place(struct fp_port *p, const struct fp_port_conf *c);
/* Give back a removed port's queues (after its last publication). */
void fp_rxq_release(struct fp_port *p);
/* Even out unpinned queues over the workers, moving them without a gap
 * for the others. */
int fp_rxq_rebalance(char *err);
/* Command: arg is a struct fp_port_conf with name, rxq_pinned, rxq_lcore. */
int fp_cmd_port_set_rxq_affinity(void *arg, char *err);

#endif
