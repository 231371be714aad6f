/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The overlay's shared state (fp.h: "Uplinks and the VXLAN overlay"): an
 * uplink's endpoint, its next hops on the underlay, the map from VNI and
 * peer to tunnel port, and each tunnel port's outer headers. Every field
 * says who reads and writes it; fp-ctl is the only writer of structure.
 */
#ifndef FP_OVERLAY_H
#define FP_OVERLAY_H

#include <stdint.h>

#include "../dp/fp_vxlan.h"
#include "fp/fp.h"

struct fp_port;
struct rte_ring;

/* fp_neigh.mac: the MAC in the low 48 bits (as its 6 bytes load on a
 * little-endian CPU), this bit once an ARP from the next hop set it. */
#define FP_NEIGH_VALID (1ULL << 48)

/* One next hop on the underlay: a peer on the uplink's subnet, or its
 * gateway. Shared by the tunnels that go through it. */
struct fp_neigh {
	uint32_t ip;      /* as its 4 bytes load; 0: free slot. fp-ctl writes it
	                   * before publishing a tunnel that uses it and clears
	                   * it only after unpublishing the last one; dp: r */
	uint32_t refs;    /* tunnels using it; fp-ctl only */
	uint64_t mac;     /* dp: w (relaxed) when an ARP from ip arrives;
	                   * fp-ctl: r, and w 0 when it takes a free slot */
	uint64_t next_arp; /* fp-ctl only: TSC of the next request it sends */
};

/* One network on the uplink: its VNI and the tunnel port of each peer. */
struct fp_vni_entry {
	uint32_t vni;
	uint16_t n_peers;
	uint32_t peer_ip[FP_UPLINK_MAX_PEERS]; /* as the 4 bytes load */
	struct fp_port *tunnel[FP_UPLINK_MAX_PEERS];
};

/* Immutable once published: fp-ctl builds a new one on every change,
 * stores it (release) and frees the old one after a grace period. */
struct fp_vni_map {
	uint16_t n;
	struct fp_vni_entry e[];
};

struct fp_uplink {
	/* Immutable once published. */
	uint32_t ip;        /* endpoint, as its 4 bytes load */
	uint8_t ip_b[4];
	uint8_t mac[6];     /* the device's */
	uint16_t mtu;       /* underlay MTU */
	uint32_t mask;      /* subnet mask, as its 4 bytes load */
	uint32_t gateway;   /* 0: none */
	struct rte_ring *ctl_tx; /* frames fp-ctl sends (ARP requests): fp-ctl
	                    * enqueues, the worker polling rx queue 0 sends */

	/* Changed while published. */
	struct fp_vni_map *vmap; /* fp-ctl: w (release), dp: r (acquire, once
	                    * per burst; not kept across iterations) */
	struct fp_neigh neigh[FP_UPLINK_MAX_NEIGH];
};

/* A tunnel port's peer. Immutable once published. */
struct fp_tunnel {
	struct fp_port *uplink; /* outlives its tunnels */
	struct fp_neigh *nh;    /* the next hop toward the peer */
	uint32_t peer_ip;       /* as its 4 bytes load */
	struct fp_vxlan_tmpl tmpl; /* destination MAC written per burst */
};

/* A static MAC table entry (a MAC set behind a peer by the API) has this
 * `seen`: it never ages, and learning never moves it. */
#define FP_MAC_STATIC UINT32_MAX

#endif
