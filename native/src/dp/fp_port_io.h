/* SPDX-License-Identifier: Apache-2.0 */
/* Each port kind's rx and tx bursts (fp_port_ops.h). Worker lcores only. */
#ifndef FP_PORT_IO_H
#define FP_PORT_IO_H

#include <stdint.h>

#include <rte_mbuf.h>

struct fp_port;

uint16_t fp_vhost_rx(struct fp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n);
uint16_t fp_vhost_tx(struct fp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n, uint64_t *bytes);
uint16_t fp_memif_rx_burst(struct fp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n);
uint16_t fp_memif_tx_burst(struct fp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n, uint64_t *bytes);
uint16_t fp_ethdev_rx(struct fp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n);
uint16_t fp_ethdev_tx(struct fp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n, uint64_t *bytes);

uint16_t fp_tunnel_tx(struct fp_port *p, uint16_t w, struct rte_mbuf **pkts, uint16_t n, uint64_t *bytes);
uint16_t fp_tunnel_rx(struct fp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n);

#endif
