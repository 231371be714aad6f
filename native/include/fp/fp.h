/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fastpath data plane: the C API the Node binding uses. No DPDK type leaks
 * through this header. Every function returns 0 or -errno and, on error,
 * writes a human-readable message into `err` (FP_ERR_LEN bytes).
 *
 * Threads: all functions except fp_counter_names() are called from any
 * thread that is neither fp-ctl nor a worker lcore (in practice: libuv's
 * thread pool). They hand the work to fp-ctl and block until it is done.
 */
#ifndef FP_H
#define FP_H

#include <stddef.h>
#include <stdint.h>

#include "fp_counters.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FP_ERR_LEN 256
#define FP_NAME_MAX 64   /* port and network names, including the NUL */
#define FP_PATH_MAX 108  /* sun_path size, including the NUL */
#define FP_MAX_WORKERS 16
#define FP_MAX_QUEUES 16 /* queue pairs per port */

enum fp_event_kind {
	FP_EVENT_LINK_UP = 1,  /* guest finished negotiation; features valid */
	FP_EVENT_LINK_DOWN,    /* guest went away (or port removed) */
	FP_EVENT_QUEUE_STATE,  /* a vring was enabled or disabled */
};

/* Small, self-contained: copied across to the JS thread. */
struct fp_event {
	enum fp_event_kind kind;
	char port[FP_NAME_MAX];
	uint64_t features; /* LINK_UP: negotiated virtio features */
	uint16_t queue_pairs;
	uint16_t vring;    /* QUEUE_STATE: vring index (even = to guest) */
	uint8_t enabled;   /* QUEUE_STATE */
	uint8_t reason;    /* LINK_DOWN: 0 = the peer left, else 1 + enum
	                    * fp_peer_error (we ended the connection) */
};

/* Called on fp-ctl. Must not block; the binding copies and returns. */
typedef void (*fp_event_fn)(const struct fp_event *ev, void *ctx);

struct fp_start_conf {
	int argc;            /* EAL arguments, argv[0] included */
	char **argv;
	uint32_t n_mbufs;    /* shared mbuf pool size */
	uint32_t mac_table_size; /* entries per network */
	uint32_t mac_age_ms; /* learned entries idle this long are removed */
	fp_event_fn on_event;
	void *event_ctx;
};

struct fp_network_conf {
	char name[FP_NAME_MAX];
};

enum fp_port_mode { FP_PORT_SERVER = 0, FP_PORT_CLIENT = 1 };

/* vhost-user through librte_vhost, memif served by fastpath, or an ethdev
 * vdev (net_tap, virtio_user on vhost-net: the kernel exception path). */
enum fp_port_kind { FP_PORT_VHOST = 0, FP_PORT_ETHDEV = 1, FP_PORT_MEMIF = 2, FP_PORT_KIND_MAX,
		    /* made by fp-ctl for an overlay, never by fp_port_add */
		    FP_PORT_TUNNEL = FP_PORT_KIND_MAX };

#define FP_DEVARGS_MAX 512

/* Port security: the source MACs a port may use and, if any are given, the
 * addresses it may claim in ARP and neighbour discovery. */
#define FP_PSEC_MAX_MACS 8
#define FP_PSEC_MAX_IPS 8
struct fp_port_security {
	uint8_t enabled;
	uint8_t n_macs;
	uint8_t macs[FP_PSEC_MAX_MACS][6];
	uint8_t n_ip4;
	uint8_t n_ip6;
	uint8_t ip4[FP_PSEC_MAX_IPS][4];
	uint8_t ip6[FP_PSEC_MAX_IPS][16];
};

struct fp_port_conf {
	char name[FP_NAME_MAX];
	char network[FP_NAME_MAX];
	char path[FP_PATH_MAX];
	enum fp_port_mode mode;
	uint16_t queues;  /* queue pairs offered to the guest, 1..FP_MAX_QUEUES */
	uint16_t vlan;    /* 0: trunk (frames keep their tags); 1..4094: access */
	enum fp_port_kind kind;
	uint8_t memif_log2_ring; /* memif: the largest ring a client may use (log2) */
	char driver[32];  /* ethdev: vdev driver, e.g. "net_tap" */
	char devargs[FP_DEVARGS_MAX]; /* ethdev: the driver's arguments */
	uint8_t kernel;   /* ethdev: the network's kernel exception interface
	                   * (at most one per network; its traffic is policed
	                   * per punt class; its link is ours, always up) */
	uint32_t mac_limit; /* source MACs the port may have learned; 0: no limit */
	struct fp_port_security sec;
	uint32_t rxq_pinned; /* bit q: rx queue q is polled by worker lcore rxq_lcore[q];
	                      * other queues go to the least loaded worker */
	uint16_t rxq_lcore[FP_MAX_QUEUES];
};

/* One queue pair of a port, as its workers count it. */
struct fp_queue_stats {
	unsigned lcore;      /* the worker polling its rx queue */
	int pinned;          /* placed there by the port's affinity */
	int rx_enabled;      /* the peer enabled its tx side (our rx) */
	int tx_enabled;      /* the peer enabled its rx side (our tx) */
	uint64_t rx_packets; /* received on this queue */
	uint64_t tx_packets; /* sent on this queue */
	uint64_t rx_cycles;  /* busy cycles of the polls that returned frames */
};

struct fp_port_stats {
	char name[FP_NAME_MAX];
	char network[FP_NAME_MAX];
	int link_up;
	uint16_t queue_pairs;
	uint64_t features;
	uint64_t counters[FP_PORT_COUNTER_MAX];
	uint64_t peer_errors[FP_PEER_ERROR_MAX];
	uint32_t macs;  /* source MACs learned on the port (recounted each second) */
	uint16_t queues; /* queue pairs configured; entries in queue[] */
	struct fp_queue_stats queue[FP_MAX_QUEUES];
};

struct fp_worker_stats {
	unsigned lcore;
	uint64_t counters[FP_WORKER_COUNTER_MAX];
};

struct fp_stats {
	uint64_t tsc_hz;
	uint32_t mbufs_total;
	uint32_t mbufs_available;
	uint32_t n_ports;
	uint32_t n_workers;
	uint32_t guard_regions; /* tenant memory regions watched for faults */
	uint64_t guard_lost;    /* faults that overflowed the guard's log */
	struct fp_port_stats *ports;     /* n_ports entries */
	struct fp_worker_stats *workers; /* n_workers entries */
};

struct fp_info {
	char dpdk_version[64];
	unsigned main_lcore;
	unsigned n_workers;
	unsigned worker_lcores[FP_MAX_WORKERS];
	int huge_pages; /* 1 if EAL runs on hugepages, 0 with --no-huge */
};

/* Start fp-ctl, run rte_eal_init on it, launch workers. Once per process. */
int fp_start(const struct fp_start_conf *conf, char *err);
/* Remove all ports, stop workers, rte_eal_cleanup. */
int fp_stop(char *err);
int fp_get_info(struct fp_info *info, char *err);

/* Forwarding starts disabled so that state can be replayed first. */
int fp_set_forwarding(int enabled, char *err);

int fp_network_create(const struct fp_network_conf *conf, char *err);
int fp_network_delete(const char *name, char *err);

int fp_port_add(const struct fp_port_conf *conf, char *err);
int fp_port_remove(const char *name, char *err);
/* Pin rx queues to worker lcores (bit q of pinned: queue q to lcore[q]);
 * queues not pinned are placed by load. Moving a queue pauses only it. */
int fp_port_set_rxq_affinity(const char *name, uint32_t pinned, const uint16_t lcore[FP_MAX_QUEUES],
			     char *err);

/*
 * Flow rules: a per-network table consulted before L2 switching. The whole
 * rule set of a network is replaced at once (prepare a new classifier,
 * publish it, free the old after a grace period); per-rule counters follow
 * rules by id across replacements. Port names in rules are resolved when the
 * table is built and again whenever a named port is added or removed: an
 * in_port that does not exist never matches, an output to a missing port is
 * skipped.
 */
#define FP_FLOW_MAX_OUTPUTS 8

/* Which fields of fp_flow_match are set (the others are wildcards). */
enum fp_flow_field {
	FP_FLOW_F_IN_PORT = 1u << 0,
	FP_FLOW_F_DL_SRC = 1u << 1,
	FP_FLOW_F_DL_DST = 1u << 2,
	FP_FLOW_F_VLAN = 1u << 3,
	FP_FLOW_F_DL_TYPE = 1u << 4,
	FP_FLOW_F_NW_SRC = 1u << 5,
	FP_FLOW_F_NW_DST = 1u << 6,
	FP_FLOW_F_NW_PROTO = 1u << 7,
	FP_FLOW_F_TP_SRC = 1u << 8,
	FP_FLOW_F_TP_DST = 1u << 9,
	FP_FLOW_F_TCP_FLAGS = 1u << 10,
	FP_FLOW_F_NW_FRAG = 1u << 11,
};

/* fp_flow_match.frag/frag_mask bits (ovs-ofctl's nw_frag): no = FRAG/FRAG
 * clear, yes = FRAG set, first = FRAG set and LATER clear, later = LATER
 * set, not_later = LATER clear. */
#define FP_FLOW_FRAG_ANY 0x01
#define FP_FLOW_FRAG_LATER 0x02

struct fp_flow_match {
	uint32_t fields;            /* enum fp_flow_field bits */
	char in_port[FP_NAME_MAX];
	uint8_t dl_src[6], dl_src_mask[6];
	uint8_t dl_dst[6], dl_dst_mask[6];
	uint16_t vlan;              /* 0: untagged, 1..4094 */
	uint16_t dl_type;
	/* IPv4 in the first 4 bytes (then dl_type is 0x0800), else IPv6. */
	uint8_t nw_src[16], nw_dst[16];
	uint8_t nw_src_len, nw_dst_len; /* prefix lengths */
	uint8_t nw_proto;
	uint16_t tp_src_lo, tp_src_hi, tp_dst_lo, tp_dst_hi; /* inclusive */
	uint16_t tcp_flags, tcp_flags_mask;
	uint8_t frag, frag_mask;    /* FP_FLOW_FRAG_* */
};

/* What a matching packet becomes: optional rewrites, then one verdict. */
enum fp_flow_verdict {
	FP_FLOW_NORMAL = 0, /* L2 switching */
	FP_FLOW_DROP,
	FP_FLOW_OUTPUT,     /* to every port in `outputs` */
	FP_FLOW_FLOOD,      /* every other port of the network (and VLAN) */
	FP_FLOW_PUNT,       /* to the network's kernel exception interface */
};

enum fp_flow_vlan_op { FP_FLOW_VLAN_KEEP = 0, FP_FLOW_VLAN_PUSH, FP_FLOW_VLAN_POP };

struct fp_flow_actions {
	uint8_t verdict;           /* enum fp_flow_verdict */
	uint8_t vlan_op;           /* enum fp_flow_vlan_op */
	uint16_t push_vlan;        /* FP_FLOW_VLAN_PUSH: 1..4094 */
	uint8_t set_dst;           /* rewrite the destination MAC */
	uint8_t dst_mac[6];
	uint8_t n_outputs;         /* FP_FLOW_OUTPUT: 1..FP_FLOW_MAX_OUTPUTS */
	char outputs[FP_FLOW_MAX_OUTPUTS][FP_NAME_MAX];
};

struct fp_flow_rule {
	uint32_t id;       /* stable across replacements; counters follow it */
	uint32_t priority; /* 0..65535, higher wins */
	struct fp_flow_match match;
	struct fp_flow_actions actions;
};

struct fp_flow_table_conf {
	char network[FP_NAME_MAX];
	uint8_t miss_drop;  /* no rule matched: 0 = normal switching, 1 = drop */
	uint32_t n_rules;
	const struct fp_flow_rule *rules;
};

struct fp_flow_counter {
	uint32_t id;        /* 0: the table-miss counter */
	uint64_t packets;
	uint64_t bytes;
};

struct fp_flow_stats {
	uint32_t n;                        /* n_rules + 1 */
	struct fp_flow_counter *counters;  /* [0] = miss, then rules in table order */
};

/* Replace a network's rule set (n_rules == 0 and !miss_drop removes the
 * table). Nothing changes when it fails. */
int fp_flow_table_set(const struct fp_flow_table_conf *conf, char *err);
/* Counters of a network's rules; release with fp_flow_stats_free. */
int fp_flow_stats_read(const char *network, struct fp_flow_stats *out, char *err);
void fp_flow_stats_free(struct fp_flow_stats *s);

/* Per punt class of a network: whether it reaches the kernel interface,
 * and its token bucket (packets per second, burst in packets). */
struct fp_punt_class_conf {
	uint8_t enabled;
	uint32_t pps;
	uint32_t burst;
};

struct fp_punt_stats {
	uint64_t passed[FP_PUNT_MAX];
	uint64_t policed[FP_PUNT_MAX]; /* over the rate, or class disabled */
};

/* Set a network's punt classes (they apply to its kernel port, if any). */
int fp_punt_set(const char *network, const struct fp_punt_class_conf conf[FP_PUNT_MAX],
		char *err);
int fp_punt_stats_read(const char *network, struct fp_punt_stats *out, char *err);
const char *fp_punt_class_name(unsigned i);

/*
 * Uplinks and the VXLAN overlay. An uplink is a host NIC in the data plane
 * (an ethdev: net_af_xdp, net_af_packet, or a PCI device bound to
 * vfio-pci) with this node's tunnel endpoint address. It belongs to no
 * network: what arrives on it is VXLAN for a network this node carries
 * (decapsulated and switched as if received on the tunnel port of the
 * sending peer), ARP for the endpoint (answered), or dropped and counted.
 * A network with an overlay has one tunnel port per peer, named
 * "vxlan:<network>:<peer address>": frames to MACs learned there are
 * encapsulated and sent on the uplink; floods reach every peer once
 * (head-end replication), never from one tunnel to another.
 */
#define FP_UPLINK_MAX_PEERS 64  /* peers per network */
#define FP_UPLINK_MAX_NEIGH 256 /* underlay next hops per uplink */
#define FP_VXLAN_MAX_STATIC 256 /* static remote MACs per network */

struct fp_uplink_conf {
	char name[FP_NAME_MAX];
	char driver[32];  /* vdev driver (net_af_xdp, net_af_packet) or "pci" */
	char devargs[FP_DEVARGS_MAX]; /* vdev: its arguments; pci: the address */
	uint16_t queues;  /* rx queues, 1..FP_MAX_QUEUES */
	uint8_t ip[4];    /* tunnel endpoint address (network byte order) */
	uint8_t prefix_len; /* of the underlay subnet: peers inside are on-link */
	uint8_t gateway[4]; /* next hop for peers outside it; 0.0.0.0: none */
	uint16_t mtu;     /* underlay MTU; 0: the device's */
	uint32_t rxq_pinned; /* as fp_port_conf */
	uint16_t rxq_lcore[FP_MAX_QUEUES];
};

struct fp_vxlan_static {
	uint8_t mac[6];
	uint16_t vlan;    /* 0..4094 */
	uint8_t peer[4];  /* one of the network's peers */
};

struct fp_vxlan_conf {
	char network[FP_NAME_MAX];
	char uplink[FP_NAME_MAX]; /* "": the network has no overlay (removes it) */
	uint32_t vni;     /* 1..2^24-1, unique among the uplink's networks */
	uint32_t peer_mac_limit; /* MACs learned behind each peer; 0: no limit */
	uint16_t n_peers;
	uint8_t peers[FP_UPLINK_MAX_PEERS][4];
	uint16_t n_static;
	struct fp_vxlan_static statics[FP_VXLAN_MAX_STATIC];
};

struct fp_uplink_neigh {
	uint8_t ip[4];
	uint8_t mac[6];
	uint8_t resolved;
};

struct fp_uplink_info {
	char name[FP_NAME_MAX];
	int link_up;
	uint8_t mac[6];
	uint16_t mtu;       /* underlay MTU in use */
	uint16_t n_neigh;
	struct fp_uplink_neigh neigh[FP_UPLINK_MAX_NEIGH];
};

int fp_uplink_add(const struct fp_uplink_conf *conf, char *err);
int fp_uplink_remove(const char *name, char *err);
int fp_uplink_read(const char *name, struct fp_uplink_info *out, char *err);
/* Set (or, with uplink "", remove) a network's overlay. Tunnel ports of
 * peers that stay keep their learned MACs; static MACs are replaced. */
int fp_network_vxlan_set(const struct fp_vxlan_conf *conf, char *err);

/* Fills *out; release with fp_stats_free. */
int fp_stats_read(struct fp_stats *out, char *err);
void fp_stats_free(struct fp_stats *s);

/* Names in counter order; any thread, no state. */
const char *fp_port_counter_name(unsigned i);
const char *fp_worker_counter_name(unsigned i);
const char *fp_peer_error_name(unsigned i);
/* What a disconnect for peer error i is reported as ("guest memory fault"). */
const char *fp_peer_error_reason(unsigned i);

#ifdef __cplusplus
}
#endif
#endif
