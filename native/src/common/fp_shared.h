/* SPDX-License-Identifier: Apache-2.0 */
/*
 * State shared between fp-ctl (the only writer of structure) and the worker
 * lcores (readers). Every field says who reads and writes it.
 *
 * Concurrency protocol
 * --------------------
 * - fp-ctl builds an immutable `struct fp_snapshot` (ports by slot, networks,
 *   flood lists, per-worker rx queue lists) and publishes it with a
 *   release-store to `fp_dp.snap`. Workers load it with acquire once per loop
 *   iteration and report a quiescent state (rte_rcu_qsbr) at the end of the
 *   iteration; they keep no pointer from it across iterations.
 * - To retire anything a worker might hold (old snapshot, removed port or
 *   network), fp-ctl publishes a snapshot without it, calls
 *   rte_rcu_qsbr_synchronize(), then frees it. Tx buffers are flushed before
 *   the quiescent report, so a retired port has no mbufs in flight.
 * - A port's `vid` is the only per-port field that changes while published:
 *   the vhost new_device callback stores it (release); destroy_device stores
 *   -1 and waits for a grace period before returning, so the vhost library
 *   never frees a device a worker is still using.
 * - MAC tables are rte_hash with lock-free readers (RW_CONCURRENCY_LF) and a
 *   writer lock (MULTI_WRITER_ADD): workers add (learning), fp-ctl deletes
 *   (aging, port removal) and frees key slots only after a grace period.
 */
#ifndef FP_SHARED_H
#define FP_SHARED_H

#include <stdint.h>

#include <rte_common.h>
#include <rte_spinlock.h>

#include "fp_port_ops.h"

#include "fp/fp.h"

struct fp_flow_table;
struct fp_memif;
struct fp_memif_dp;

#define FP_MAX_PORTS 1024
#define FP_MAX_NETS 256
#define FP_NET_NONE FP_MAX_NETS
#define FP_MAX_RXQ_PER_WORKER (FP_MAX_PORTS * 2)
#define FP_BURST 32
#define FP_TXBUF 64 /* per destination, per worker; flushed each iteration */

/* Learned entry for one (VLAN, MAC) key, indexed by rte_hash key position. */
struct fp_mac_entry {
	uint32_t token; /* port token (slot | gen << 16); dp: rw (learn), ctl: r */
	uint32_t seen;  /* coarse TSC (>> FP_TICK_SHIFT); dp: w, ctl: r */
};
#define FP_TICK_SHIFT 24 /* ~7 ms per tick at 2.3 GHz */

struct fp_port_counters {
	uint64_t v[FP_PORT_COUNTER_MAX]; /* single writer: the owning worker */
	uint64_t rxq[FP_MAX_QUEUES];        /* frames received per queue */
	uint64_t txq[FP_MAX_QUEUES];        /* frames sent per queue */
	uint64_t rxq_cycles[FP_MAX_QUEUES]; /* busy cycles polling the queue */
} __rte_cache_aligned;

struct fp_port {
	/* Immutable once published (written by fp-ctl before publication). */
	char name[FP_NAME_MAX];
	char path[FP_PATH_MAX];
	uint16_t slot;        /* index in fp_snapshot.port */
	uint32_t token;       /* slot | generation << 16; MAC entries store it */
	uint16_t net;         /* index in fp_snapshot.net; FP_NET_NONE: an
	                       * uplink, which belongs to no network */
	uint16_t vlan;        /* 0 = trunk, else access VLAN id */
	uint16_t queues;      /* queue pairs configured */
	enum fp_port_mode mode;
	uint8_t tx_shared;    /* more workers than queues: tx takes txlock */
	uint8_t kind;         /* enum fp_port_kind */
	const struct fp_port_ops *ops; /* &fp_port_ops[kind] */
	uint8_t kernel;       /* the network's kernel exception interface */
	struct fp_network *netp; /* its network (outlives the port) */
	uint16_t eth_port;    /* FP_PORT_ETHDEV: ethdev port id */
	char devname[64];     /* FP_PORT_ETHDEV: vdev name */
	int xsk_fd[FP_MAX_QUEUES + 1]; /* FP_PORT_ETHDEV on net_af_xdp: the AF_XDP
	                       * sockets its open made (fp-ctl only; -1: none) */
	uint32_t mac_limit;   /* learned source MACs allowed; 0: no limit */
	struct fp_port_security sec; /* checked on ingress when sec.enabled */
	uint32_t max_len;     /* longest frame it may be sent (a tunnel: what
	                       * fits the uplink's MTU once encapsulated);
	                       * UINT32_MAX for the other kinds */
	uint8_t is_tunnel;    /* split horizon: a flood from a tunnel skips tunnels */
	struct fp_uplink *uplink; /* an uplink's endpoint; NULL: not an uplink */
	struct fp_tunnel *tunnel; /* a tunnel port's peer (FP_PORT_TUNNEL) */

	/* Changed while published. */
	uint32_t n_macs;      /* learned MACs on this port: dp: atomic add when it
	                       * learns one; ctl: recounts every aging sweep */
	uint32_t link_up;     /* 1 while there is a peer to receive from and send
	                       * to: the kind's control code writes it (release:
	                       * after what its rx/tx need), dp reads (acquire).
	                       * Workers also skip a port whose peer faulted
	                       * (fp_guard_port_faulted), until fp-ctl ends it. */
	int vid;              /* vhost-user: the device, or -1; vhost cb: w
	                       * (before link_up), dp: r (acquire) */
	uint32_t vring_enabled; /* bit per vring; vhost cb: w, dp: r */
	uint32_t txq_mask;    /* queues the peer receives on now: bit q set while
	                       * q < min(queues, negotiated pairs) and the peer
	                       * enabled it. The kind's control code writes it
	                       * (vhost cbs under fp_c.ports_lock; memif on
	                       * fp-ctl), release; dp reads it once per flush
	                       * (acquire). Unused by tx_per_worker kinds. */
	uint64_t features;    /* negotiated; vhost cb: w, ctl: r */
	uint16_t queue_pairs; /* negotiated; vhost cb: w, ctl: r */
	rte_spinlock_t txlock[FP_MAX_QUEUES]; /* dp: taken when tx_shared */

	/* The peer (the tenant's end): one connection at a time. Under
	 * fp_c.ports_lock unless said otherwise. */
	int conn_vid;         /* vhost: device id of the connection, -1: none */
	uint32_t conn_seq;    /* connections accepted so far: names the current one */
	uint64_t peer_log_tsc; /* last peer error logged (rate limit) */
	uint64_t peer_err[FP_PEER_ERROR_MAX]; /* ctl and vhost threads: atomic add */
	struct fp_memif *memif; /* memif kind: connection state (fp-ctl only) */
	struct fp_memif_dp *memif_dp; /* memif kind: what workers use while the
	                       * peer is connected; ctl: w (release), dp: r (acquire) */

	/* Owned by fp-ctl only. */
	uint8_t removing;     /* under fp_c.ports_lock; vhost cbs ignore port */
	uint8_t rxq_worker[FP_MAX_QUEUES]; /* worker polling each rx queue */
	int8_t rxq_pin[FP_MAX_QUEUES]; /* worker an rx queue is pinned to, -1: any */
	uint32_t rxq_moving;  /* bit per rx queue left out of snapshots while it
	                       * moves to another worker (no two poll it) */

	struct fp_port_counters stats[FP_MAX_WORKERS]; /* dp: w (own row), ctl: r */
};

/* Punt class settings: each field is read on its own (relaxed), so a
 * change is seen field by field within an iteration; none depends on
 * another. ctl: w, dp: r. */
struct fp_punt_dp {
	uint32_t enabled;
	uint32_t pps_per_worker;
	uint32_t burst_per_worker;
};

struct fp_punt_counters {
	uint64_t passed[FP_PUNT_MAX];
	uint64_t policed[FP_PUNT_MAX];
} __rte_cache_aligned; /* single writer: its worker */

struct fp_network {
	/* Immutable once published. */
	char name[FP_NAME_MAX];
	uint16_t id;
	struct rte_hash *mac;          /* dp: lookup/add, ctl: delete/free */
	struct fp_mac_entry *entries;  /* by key position; see fp_mac_entry */
	uint32_t n_entries;

	/*
	 * Bumped (release) whenever a learned MAC may now map elsewhere: a
	 * worker moving it to another port, fp-ctl deleting it. Workers'
	 * exact-match caches remember the version they saw (acquire, before
	 * the table lookup) and trust an entry only while it is unchanged.
	 * dp: rw, ctl: rw. Own cache line: read on every burst.
	 */
	uint32_t version __rte_cache_aligned;

	/* Kernel exception path. kernel_token: the kernel port's token, 0 when
	 * the network has none (ctl: w relaxed, dp: r relaxed; a stale token
	 * resolves to no port). */
	uint32_t kernel_token;
	struct fp_punt_dp punt[FP_PUNT_MAX];
	struct fp_punt_counters punt_stats[FP_MAX_WORKERS]; /* dp: w own row; ctl: r */
};

/* Ports of one network, for flooding. Immutable, replaced on change. */
struct fp_flood {
	uint16_t n;
	struct fp_port *port[];
};

struct fp_rxq {
	struct fp_port *port;
	uint16_t queue;
};

struct fp_worker_rx {
	uint32_t n;
	struct fp_rxq *rxq; /* n entries, allocated with the snapshot */
};

/* Published by fp-ctl, read-only for workers. */
struct fp_snapshot {
	uint64_t gen;
	uint8_t forwarding;
	struct fp_port *port[FP_MAX_PORTS];
	struct fp_network *net[FP_MAX_NETS];
	struct fp_flood *flood[FP_MAX_NETS];
	struct fp_flow_table *flows[FP_MAX_NETS]; /* NULL: plain L2 switching */
	struct fp_worker_rx worker[FP_MAX_WORKERS];
};

struct fp_worker_counters {
	uint64_t v[FP_WORKER_COUNTER_MAX]; /* worker: w, ctl: r */
} __rte_cache_aligned;

#endif
