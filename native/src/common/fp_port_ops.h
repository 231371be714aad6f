/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What differs between port kinds, one table per kind (in the spirit of
 * OVS's netdev_class): how the backend opens and closes (fp-ctl), and how a
 * burst is received and sent (workers, one indirect call per burst, never
 * per packet). Everything else (slots, rx queue assignment, publication,
 * flow re-resolution, counters, locking of shared tx queues) is common
 * code in ctl/fp_port.c and dp/fp_tx.h. A new kind is a ctl file, a dp file
 * and one entry in fp_port_ops.c.
 */
#ifndef FP_PORT_OPS_H
#define FP_PORT_OPS_H

#include <stdint.h>

#include <rte_mbuf.h>

struct fp_port;
struct fp_port_conf;

struct fp_port_ops {
	const char *name;
	/* 1: the port is reached through a socket path (fp_port_conf.path),
	 * unique among ports. */
	uint8_t has_path;
	/* 1: tx copies what it takes (the caller frees all n frames);
	 * 0: the device owns what it took (the caller frees the rest). */
	uint8_t tx_copies;
	/* 1: the device has a tx queue per worker (ethdev: we made them), so
	 * worker w sends on queue w without a lock; 0: frames are spread over
	 * the peer's enabled queues by flow hash (txq_mask), under a per-queue
	 * lock when there is more than one worker. */
	uint8_t tx_per_worker;
	/* fp-ctl. Start p's backend; p is in its slot with its rx queues
	 * assigned, not yet published. On failure nothing of the backend is
	 * left. */
	int (*open)(struct fp_port *p, const struct fp_port_conf *c, char *err);
	/* fp-ctl, after a grace period that unpublished p (p->removing set). */
	void (*close)(struct fp_port *p);
	/* fp-ctl: end the peer's connection (its memory faulted or it broke a
	 * rule); the port waits for a fresh one. NULL: the kind has no peer. */
	void (*kick)(struct fp_port *p);
	/* worker polling rx queue q: up to n frames, 0 when there is no peer. */
	uint16_t (*rx)(struct fp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n);
	/* worker holding tx queue q: send up to n frames, return how many were
	 * taken, add their bytes to *bytes. */
	uint16_t (*tx)(struct fp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n, uint64_t *bytes);
};

/* By enum fp_port_kind. */
extern const struct fp_port_ops fp_port_ops[];

#endif
