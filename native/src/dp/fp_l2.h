/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Packet classification helpers used by the worker. Pure functions on frame
 * bytes, no DPDK state, so they can be unit tested without EAL.
 * @pre any thread.
 */
#ifndef FP_L2_H
#define FP_L2_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FP_ETH_HLEN 14
#define FP_ETHERTYPE_VLAN 0x8100
#define FP_ETHERTYPE_QINQ 0x88a8     /* 802.1ad service tag */
#define FP_ETHERTYPE_QINQ_OLD 0x9100 /* pre-standard service tag */
#define FP_VLAN_NONE 0

/*
 * 64-bit MAC table key: MAC in the low 48 bits, VLAN id above. Reads 8
 * bytes and masks, rather than copying 6 into a zeroed word: one load, and
 * no store-to-load forwarding stall. @pre mac + 8 is inside the frame (true
 * for both MACs of any frame of at least FP_ETH_HLEN bytes).
 */
static inline uint64_t
fp_mac_key(const uint8_t *mac, uint16_t vlan)
{
	uint64_t k;
	memcpy(&k, mac, 8); /* little-endian: bytes 0..5 land in bits 0..47 */
	return (k & 0xffffffffffffULL) | ((uint64_t)(vlan & 0xfff) << 48);
}

/*
 * rte_hash's key compare for the MAC tables' 8-byte keys: rte_hash has its
 * own compare only for multiples of 16 bytes and calls memcmp for the rest
 * (9% of the forwarding CPU with 100,000 MACs). 0 when equal, like memcmp.
 * Called by rte_hash on workers (lookups, learning) and on fp-ctl (aging).
 */
static int __attribute__((unused))
fp_mac_key_cmp(const void *a, const void *b, size_t len)
{
	uint64_t x, y;

	(void)len; /* always 8: the tables are created with this key length */
	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	return x != y;
}

/*
 * Slot of a MAC key of network `net` in a cache of 2^bits entries. The
 * network is part of the slot, not only of the entry: networks are
 * separate L2 domains, and a tenant that uses a neighbour network's MACs
 * must not share (and keep evicting) that network's slots. Fibonacci
 * hashing: one multiply, the top bits index the table; the network id goes
 * above the key's 60 bits (MAC, VLAN id) and into its middle.
 */
static inline uint32_t
fp_mac_slot(uint64_t key, uint16_t net, unsigned bits)
{
	return (uint32_t)(((key ^ (uint64_t)net << 60 ^ (uint64_t)net << 32) *
			   0x9e3779b97f4a7c15ULL) >> (64 - bits));
}

static inline int
fp_mac_is_group(const uint8_t *mac)
{
	return mac[0] & 1; /* broadcast and multicast */
}

/*
 * Parse the outer VLAN tag. Returns the VLAN id of the frame (0 when
 * untagged or priority-tagged), or -1 for a frame that cannot be switched
 * (too short; VLAN id 4095 is reserved).
 */
static inline int
fp_frame_vlan(const uint8_t *frame, uint32_t len, int *tagged)
{
	uint16_t type, tci;

	*tagged = 0;
	if (len < FP_ETH_HLEN)
		return -1;
	type = (uint16_t)(frame[12] << 8 | frame[13]);
	if (type != FP_ETHERTYPE_VLAN)
		return FP_VLAN_NONE;
	if (len < FP_ETH_HLEN + 4)
		return -1;
	*tagged = 1;
	tci = (uint16_t)(frame[14] << 8 | frame[15]);
	if ((tci & 0xfff) == 0xfff)
		return -1;
	return tci & 0xfff;
}

static inline int
fp_is_vlan_tpid(uint16_t type)
{
	return type == FP_ETHERTYPE_VLAN || type == FP_ETHERTYPE_QINQ || type == FP_ETHERTYPE_QINQ_OLD;
}

/*
 * An access port's frame (vid, tagged: from fp_frame_vlan). Untagged frames
 * and priority-tagged ones (802.1Q, VID 0) belong to the port's VLAN: a
 * priority tag gets that VLAN id written in place, keeping its priority
 * bits, so a trunk port receives it tagged with the right VLAN. Refused
 * (-1): a non-zero VID, a service tag (802.1ad) outside, or another tag
 * inside a priority tag (a double tag aimed at a trunk's neighbour).
 * @pre frame writable (refcnt 1), len >= 14 and >= 18 when tagged.
 */
static inline int
fp_access_ingress(uint8_t *frame, uint32_t len, int vid, int tagged, uint16_t port_vlan)
{
	if (!tagged)
		return fp_is_vlan_tpid((uint16_t)(frame[12] << 8 | frame[13])) ? -1 : 0;
	if (vid != 0 || fp_is_vlan_tpid((uint16_t)(frame[16] << 8 | frame[17])))
		return -1;
	(void)len;
	frame[14] = (uint8_t)((frame[14] & 0xf0) | (port_vlan >> 8));
	frame[15] = (uint8_t)port_vlan;
	return 0;
}

#endif
