/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Flow tables shared by fp-ctl (builds them) and the workers (classify with
 * them). A table is immutable once published, like the snapshot that points
 * at it: fp-ctl replaces a network's table by publishing a snapshot with the
 * new one and frees the old after an RCU grace period. Only the per-worker
 * counter rows change while published (each by its own worker).
 */
#ifndef FP_FLOW_H
#define FP_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>

#include "fp/fp.h"

/*
 * What the classifier reads for each packet, in network byte order (rte_acl
 * compares multi-byte input as big-endian). rte_acl consumes the first field
 * as one byte, then whole 4-byte groups: each group below is one "input".
 * The Ethernet addresses sit exactly as in the frame, so the worker copies
 * 12 bytes. The trie reads inputs in input order, not key order: in_port
 * and VLAN come last, because rules that match only them (in_port=a,
 * actions=output:b) are otherwise wild where the many L3/L4 rules are
 * specific, and an early split on them copies every L3/L4 branch once per
 * port (it tripled the build time of a 10,000-rule table). The l4 bits
 * (fragments, transport header present) come last of all.
 */
struct fp_flow_key {
	uint8_t proto;       /*  0: in 0  IP protocol (0 when not IP) */
	uint8_t pad0[3];
	uint16_t dl_type;    /*  4: in 1  ethertype after the VLAN tag */
	uint16_t tcp_flags;  /*  6: in 1  low 12 bits of TCP's flags word */
	uint16_t vlan;       /*  8: in 14 VLAN id (access ports: theirs) */
	uint16_t in_port;    /* 10: in 14 ingress port slot */
	uint8_t dl_dst[6];   /* 12: in 2 (bytes 0-3), in 3 (bytes 4-5) */
	uint8_t dl_src[6];   /* 18: in 3 (bytes 0-1), in 4 (bytes 2-5) */
	uint32_t nw_src[4];  /* 24: in 5..8  IPv4 in [0], IPv6 in all four */
	uint32_t nw_dst[4];  /* 40: in 9..12 */
	uint16_t tp_src;     /* 56: in 13 */
	uint16_t tp_dst;     /* 58: in 13 */
	uint8_t pad1[3];     /* 60: in 15, with l4: rte_acl reads groups of 4 */
	uint8_t l4;          /* 63: FP_FLOW_L4_* bits (the low byte of input 15) */
} __rte_aligned(64);
_Static_assert(sizeof(struct fp_flow_key) == 64, "the flow key is one cache line, rte_acl's input");

/* struct fp_flow_key.l4: what the frame's IP header says about L4. */
#define FP_FLOW_L4_FRAG 0x01    /* a fragment (first or later) */
#define FP_FLOW_L4_LATER 0x02   /* a fragment after the first: no L4 header */
#define FP_FLOW_L4_PRESENT 0x04 /* the transport header was read: tp_* and
                                 * tcp_flags are the frame's. Rules on them
                                 * require this bit, so a later fragment, a
                                 * truncated header or an IPv6 extension chain
                                 * too long to walk never matches them. */

/* The classifier's fields, in key order. */
enum fp_flow_acl_field {
	FP_AF_PROTO,
	FP_AF_DL_TYPE,
	FP_AF_IN_PORT,
	FP_AF_VLAN,
	FP_AF_TCP_FLAGS,
	FP_AF_DST_HI,  /* dl_dst bytes 0-3 */
	FP_AF_DST_LO,  /* dl_dst bytes 4-5 */
	FP_AF_SRC_HI,  /* dl_src bytes 0-1 */
	FP_AF_SRC_LO,  /* dl_src bytes 2-5 */
	FP_AF_NW_SRC0, FP_AF_NW_SRC1, FP_AF_NW_SRC2, FP_AF_NW_SRC3,
	FP_AF_NW_DST0, FP_AF_NW_DST1, FP_AF_NW_DST2, FP_AF_NW_DST3,
	FP_AF_TP_SRC,
	FP_AF_TP_DST,
	FP_AF_L4,
	FP_AF_MAX
};

/*
 * Per-worker exact-match cache in front of the classifier (OVS's EMC in
 * front of dpcls): masked keys and the rule each classified to, valid for
 * the table generation it was looked up in. 4-way set associative, 4096
 * keys: a set's signatures, generations and rules fill one cache line, and
 * a key is read only when its signature matches. Direct-mapped with 1024
 * slots, 1,000 flows each way (2,000 keys) missed most of the time.
 */
#define FP_FLOW_CACHE_WAYS 4
#define FP_FLOW_CACHE_SETS 1024 /* power of two */
struct fp_flow_cache_set {
	uint32_t sig[FP_FLOW_CACHE_WAYS];  /* key hash | 1; 0: empty */
	uint32_t gen[FP_FLOW_CACHE_WAYS];  /* fp_flow_table.gen it is valid for */
	uint32_t rule[FP_FLOW_CACHE_WAYS]; /* classifier result: 0 = miss, else rule index */
	uint32_t next;                     /* the way the next insert replaces */
} __rte_aligned(64);

struct fp_flow_cache {
	struct fp_flow_cache_set set[FP_FLOW_CACHE_SETS];
	struct fp_flow_key key[FP_FLOW_CACHE_SETS][FP_FLOW_CACHE_WAYS]; /* masked */
};

/* What a worker needs to apply a rule: resolved, compact. */
struct fp_flow_action_dp {
	uint8_t verdict;  /* enum fp_flow_verdict */
	uint8_t vlan_op;  /* enum fp_flow_vlan_op */
	uint16_t push_vlan;
	uint8_t set_dst;
	uint8_t dst_mac[6];
	uint8_t n_out;    /* outputs that exist right now */
	uint32_t out_token[FP_FLOW_MAX_OUTPUTS]; /* port tokens, as MAC entries */
};

struct fp_flow_count {
	uint64_t packets;
	uint64_t bytes;
};

/* Indexed like the rules, plus [0] for the table miss. */
struct fp_flow_count_row {
	struct fp_flow_count *c; /* n_rules + 1; worker w: w, ctl: r */
};

struct fp_flow_table {
	/* Immutable once published (fp-ctl writes before publication). */
	struct rte_acl_ctx *acl;        /* NULL when there are no rules */
	uint32_t n_rules;
	uint8_t miss_drop;
	struct fp_flow_action_dp *act;  /* [1..n_rules]; userdata i -> act[i] */
	struct fp_flow_count_row row[FP_MAX_WORKERS];

	/* Bytes of fp_flow_key some rule looks at: keys are masked with it, so
	 * packets that differ only elsewhere share a flow cache entry. */
	uint64_t key_mask[sizeof(struct fp_flow_key) / 8];
	uint64_t key_bits;              /* the same, a bit per byte (fp_flow_key_bits) */
	uint32_t gen;                   /* unique per table, never 0: flow
	                                 * cache entries of other tables miss */

	/* fp-ctl only. */
	struct fp_flow_rule *conf;      /* [1..n_rules]: the rules as given */
	struct fp_flow_count *base;     /* [0..n_rules]: counts of earlier tables */
};

#endif
