/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which of a destination's queues a frame goes to: a hash of its flow (IP
 * addresses and, for unfragmented TCP/UDP/SCTP, ports; else the MAC
 * addresses) spread over the queues the peer has enabled, so one flow
 * stays on one queue and in order. Only ports with more than one queue pay
 * for it. Reads only what the frame's first segment holds: a truncated
 * header falls back to the MACs, or to 0. @pre worker lcore.
 */
#ifndef FP_TXQ_H
#define FP_TXQ_H

#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

static inline uint32_t
fp_flow_hash(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m), off = 2 * RTE_ETHER_ADDR_LEN, h;
	uint16_t type;

	if (unlikely(len < RTE_ETHER_HDR_LEN))
		return 0;
	type = (uint16_t)(p[off] << 8 | p[off + 1]);
	off += 2;
	while ((type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ) && len >= off + 4) {
		type = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
		off += 4;
	}
	/* The MACs, unless an IP header says more. */
	h = rte_hash_crc(p, 2 * RTE_ETHER_ADDR_LEN, 0x9e3779b9);
	if (type == RTE_ETHER_TYPE_IPV4 && len >= off + sizeof(struct rte_ipv4_hdr)) {
		const struct rte_ipv4_hdr *ip = (const void *)(p + off);
		uint32_t ihl = (uint32_t)(ip->version_ihl & 0xf) * 4;
		int first = (rte_be_to_cpu_16(ip->fragment_offset) & 0x3fff) == 0; /* no MF, offset 0 */

		h = rte_hash_crc(&ip->src_addr, 8, ip->next_proto_id);
		if (first && ihl >= 20 && len >= off + ihl + 4 &&
		    (ip->next_proto_id == IPPROTO_TCP || ip->next_proto_id == IPPROTO_UDP ||
		     ip->next_proto_id == IPPROTO_SCTP))
			h = rte_hash_crc(p + off + ihl, 4, h); /* both ports */
	} else if (type == RTE_ETHER_TYPE_IPV6 && len >= off + 40) {
		uint8_t nh = p[off + 6];

		h = rte_hash_crc(p + off + 8, 32, nh); /* source and destination */
		if ((nh == IPPROTO_TCP || nh == IPPROTO_UDP || nh == IPPROTO_SCTP) && len >= off + 44)
			h = rte_hash_crc(p + off + 40, 4, h);
	}
	return h;
}

/* hash onto [0, n) without a division. */
static inline unsigned
fp_txq_pick(uint32_t hash, unsigned n)
{
	return (unsigned)(((uint64_t)hash * n) >> 32);
}

#endif
