/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policing of what goes to a network's kernel exception interface: each
 * frame is put in a punt class (fp_counters.h) and passes only if the
 * class is enabled and its token bucket (per worker, per network, per
 * class) has a packet's worth of tokens. Only frames to the kernel port
 * come here, so the cost stays off the container-to-container path.
 * @pre worker lcore (fp_punt_class_of: any thread, pure).
 */
#ifndef FP_PUNT_DP_H
#define FP_PUNT_DP_H

#include <stdint.h>

#include <rte_cycles.h>

#include "../common/fp_globals.h"
#include "../common/fp_worker_local.h"

/* Why a frame is headed for a port. */
enum fp_tx_why {
	FP_TX_UNICAST = 0, /* its destination MAC was learned there */
	FP_TX_FLOOD,       /* broadcast, multicast or unknown unicast */
	FP_TX_PUNT,        /* a flow rule's punt action */
};

static inline unsigned
fp_punt_l4_dport(const uint8_t *l4, uint32_t len)
{
	return len >= 4 ? (unsigned)(l4[2] << 8 | l4[3]) : 0;
}

/* frame: at least 14 bytes (18 when tagged), as the switch accepted it. */
static inline unsigned
fp_punt_class_of(const uint8_t *eth, uint32_t len, unsigned why)
{
	uint32_t hdr = eth[12] == 0x81 && eth[13] == 0x00 ? 18 : 14;
	uint16_t type = (uint16_t)(eth[hdr - 2] << 8 | eth[hdr - 1]);
	const uint8_t *l3 = eth + hdr;
	uint32_t l3len = len - hdr;

	if (why == FP_TX_PUNT)
		return FP_PUNT_flow;
	if (type == 0x0806)
		return FP_PUNT_arp_nd;
	if (type == 0x88cc)
		return FP_PUNT_lldp;
	if (type == 0x0800 && l3len >= 20 && l3[9] == 17) {
		uint32_t ihl = (uint32_t)(l3[0] & 0x0f) * 4;
		unsigned d = ihl <= l3len ? fp_punt_l4_dport(l3 + ihl, l3len - ihl) : 0;
		if (d == 67 || d == 68)
			return FP_PUNT_dhcp;
	} else if (type == 0x86dd && l3len >= 41) {
		if (l3[6] == 58 && l3[40] >= 133 && l3[40] <= 137) /* RS RA NS NA redirect */
			return FP_PUNT_arp_nd;
		if (l3[6] == 17) {
			unsigned d = fp_punt_l4_dport(l3 + 40, l3len - 40);
			if (d == 546 || d == 547)
				return FP_PUNT_dhcp;
		}
	}
	if (why == FP_TX_UNICAST)
		return FP_PUNT_gateway;
	return eth[0] & 1 ? FP_PUNT_other : FP_PUNT_unknown;
}

/* 1: the frame may go to the kernel port q; 0: policed (counted here). */
static inline int
fp_punt_admit(struct fp_worker_local *wl, const struct fp_port *q, const struct rte_mbuf *m,
	      unsigned why)
{
	struct fp_network *n = q->netp;
	unsigned c = fp_punt_class_of(rte_pktmbuf_mtod(m, const uint8_t *),
				      rte_pktmbuf_data_len(m), why);
	struct fp_punt_counters *pc = &n->punt_stats[wl->idx];
	struct fp_punt_bucket *b = &wl->punt[n->id][c];
	uint64_t hz = fp_dp.tsc_hz, now, elapsed, cap;
	uint32_t pps, burst;

	if (!__atomic_load_n(&n->punt[c].enabled, __ATOMIC_RELAXED)) {
		pc->policed[c]++;
		return 0;
	}
	pps = __atomic_load_n(&n->punt[c].pps_per_worker, __ATOMIC_RELAXED);
	burst = __atomic_load_n(&n->punt[c].burst_per_worker, __ATOMIC_RELAXED);
	now = rte_rdtsc();
	elapsed = now - b->last;
	if (elapsed > hz) /* a full bucket needs at most a second (burst <= pps) */
		elapsed = hz;
	b->last = now;
	cap = (uint64_t)burst * hz;
	b->tokens += elapsed * pps;
	if (b->tokens > cap)
		b->tokens = cap;
	if (b->tokens < hz) {
		pc->policed[c]++;
		return 0;
	}
	b->tokens -= hz;
	pc->passed[c]++;
	return 1;
}

#endif
