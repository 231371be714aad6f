/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ARP (RFC 826) for a node's tunnel endpoint on its uplink: answer who-has
 * for the endpoint's address (fp_arp_reply), ask for the underlay next
 * hop's MAC (fp_arp_request), and read what comes back (fp_arp_parse).
 * Only Ethernet/IPv4 ARP; anything else on the wire is not ours.
 *
 * The underlay is attacker input like everything else: the parser reads
 * nothing past the frame, and takes only well-formed Ethernet/IPv4 ARP;
 * whether a reply is believed (one we asked for, from the address we
 * asked) is the resolver's decision, not the parser's. Pure functions, no
 * DPDK state: ctest covers them without EAL.
 * @pre any thread.
 */
#ifndef FP_ARP_H
#define FP_ARP_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#define FP_ARP_FRAME_LEN 42 /* Ethernet 14 + ARP 28, before padding */
#define FP_ARP_OP_REQUEST 1
#define FP_ARP_OP_REPLY 2

struct fp_arp {
	uint16_t op;
	uint8_t sha[6]; /* sender hardware address */
	uint8_t spa[4]; /* sender protocol address (network byte order) */
	uint8_t tha[6];
	uint8_t tpa[4];
	uint8_t eth_src[6];
};

/*
 * 0 and *a filled in for an Ethernet/IPv4 ARP request or reply; -ENOENT
 * for any other frame (not ARP: not ours to judge); -EINVAL for ARP that
 * is truncated, not Ethernet/IPv4, of another operation, or whose sender
 * is a group or zero MAC (nothing may be learned from it).
 */
static inline int
fp_arp_parse(const uint8_t *f, uint32_t len, struct fp_arp *a)
{
	const uint8_t *p = f + 14;
	static const uint8_t zero[6];

	if (len < 14 || f[12] != 0x08 || f[13] != 0x06)
		return -ENOENT;
	if (len < FP_ARP_FRAME_LEN)
		return -EINVAL;
	/* htype 1 (Ethernet), ptype 0x0800, hlen 6, plen 4 */
	if (p[0] != 0 || p[1] != 1 || p[2] != 0x08 || p[3] != 0 || p[4] != 6 || p[5] != 4)
		return -EINVAL;
	a->op = (uint16_t)(p[6] << 8 | p[7]);
	if (a->op != FP_ARP_OP_REQUEST && a->op != FP_ARP_OP_REPLY)
		return -EINVAL;
	if ((p[8] & 1) || memcmp(p + 8, zero, 6) == 0)
		return -EINVAL;
	memcpy(a->sha, p + 8, 6);
	memcpy(a->spa, p + 14, 4);
	memcpy(a->tha, p + 18, 6);
	memcpy(a->tpa, p + 24, 4);
	memcpy(a->eth_src, f + 6, 6);
	return 0;
}

static inline void
fp_arp_write(uint8_t *out, const uint8_t eth_dst[6], const uint8_t my_mac[6], uint16_t op,
	     const uint8_t my_ip[4], const uint8_t tha[6], const uint8_t tpa[4])
{
	uint8_t *p = out + 14;

	memcpy(out, eth_dst, 6);
	memcpy(out + 6, my_mac, 6);
	out[12] = 0x08;
	out[13] = 0x06;
	p[0] = 0;
	p[1] = 1;
	p[2] = 0x08;
	p[3] = 0;
	p[4] = 6;
	p[5] = 4;
	p[6] = (uint8_t)(op >> 8);
	p[7] = (uint8_t)op;
	memcpy(p + 8, my_mac, 6);
	memcpy(p + 14, my_ip, 4);
	memcpy(p + 18, tha, 6);
	memcpy(p + 24, tpa, 4);
}

/*
 * The answer to request q when it asks for my_ip, into out
 * (FP_ARP_FRAME_LEN bytes): unicast to the asker. -ENOENT when q is not a
 * request for my_ip (someone else's address, or a reply), so nothing is
 * sent; a gratuitous request (sender address = target) is not answered.
 */
static inline int
fp_arp_reply(uint8_t *out, const struct fp_arp *q, const uint8_t my_mac[6], const uint8_t my_ip[4])
{
	if (q->op != FP_ARP_OP_REQUEST || memcmp(q->tpa, my_ip, 4) != 0 || memcmp(q->spa, q->tpa, 4) == 0)
		return -ENOENT;
	fp_arp_write(out, q->sha, my_mac, FP_ARP_OP_REPLY, my_ip, q->sha, q->spa);
	return 0;
}

/* Who has target_ip, tell my_ip: a broadcast request into out
 * (FP_ARP_FRAME_LEN bytes). */
static inline void
fp_arp_request(uint8_t *out, const uint8_t my_mac[6], const uint8_t my_ip[4], const uint8_t target_ip[4])
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t none[6];

	fp_arp_write(out, bcast, my_mac, FP_ARP_OP_REQUEST, my_ip, none, target_ip);
}

#endif
