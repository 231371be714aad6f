/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VXLAN (RFC 7348) over IPv4, the overlay that carries a network's frames
 * between nodes: the outer headers a worker puts in front of a frame it
 * sends to a remote node (fp_vxlan_encap), and the checks a frame from the
 * uplink passes before its inner frame is switched (fp_vxlan_parse).
 *
 * Everything that arrives on an uplink is attacker input: any node, or
 * anything on the underlay, can send any bytes to UDP 4789. The parser
 * reads nothing past the frame's length, believes no length field it has
 * not checked against the ones around it, and takes no fragment (a
 * reassembly buffer is memory an attacker fills). Pure functions of their
 * arguments, no DPDK state: ctest covers them without EAL.
 * @pre any thread.
 */
#ifndef FP_VXLAN_H
#define FP_VXLAN_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#define FP_VXLAN_UDP_PORT 4789
/* Outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8 in front of the frame. */
#define FP_VXLAN_HDR_LEN 50
/* What the overlay costs a network's MTU: the outer Ethernet header is the
 * underlay's own, so 36 bytes, plus the inner Ethernet header the MTU does
 * not count (RFC 7348, section 4.3): a frame's IP packet must be at most
 * the uplink's MTU minus 50. */
#define FP_VXLAN_MTU_OVERHEAD 50
#define FP_VXLAN_VNI_MAX 0xffffffu /* 24 bits */
#define FP_VXLAN_FLAG_I 0x08       /* the VNI is valid */
#define FP_VXLAN_TTL 64

/*
 * A tunnel's outer headers, prebuilt by fp-ctl when the network's endpoint
 * or a peer changes: everything but the lengths, the UDP source port and
 * the IPv4 checksum, which depend on the frame. Immutable once published.
 */
struct fp_vxlan_tmpl {
	uint8_t hdr[FP_VXLAN_HDR_LEN];
	/* The IPv4 header's ones'-complement sum with total length 0 and
	 * checksum 0, not yet folded: a frame adds its length and folds. */
	uint32_t ip_sum;
};

static inline uint32_t
fp_vxlan_sum16(const uint8_t *p, uint32_t n, uint32_t sum)
{
	for (uint32_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static inline uint16_t
fp_vxlan_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static inline void
fp_vxlan_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t
fp_vxlan_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * Fill t for frames from this node (src_mac, src_ip) to a peer (dst_ip)
 * through the underlay next hop (dst_mac), in network vni. Addresses in
 * network byte order. -EINVAL for a VNI over 24 bits.
 */
static inline int
fp_vxlan_tmpl_init(struct fp_vxlan_tmpl *t, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		   const uint8_t src_ip[4], const uint8_t dst_ip[4], uint32_t vni)
{
	uint8_t *h = t->hdr, *ip = h + 14, *udp = ip + 20, *vx = udp + 8;

	if (vni > FP_VXLAN_VNI_MAX)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	memcpy(h, dst_mac, 6);
	memcpy(h + 6, src_mac, 6);
	fp_vxlan_put16(h + 12, 0x0800);
	ip[0] = 0x45;
	fp_vxlan_put16(ip + 6, 0x4000); /* DF: the underlay must not fragment */
	ip[8] = FP_VXLAN_TTL;
	ip[9] = 17; /* UDP */
	memcpy(ip + 12, src_ip, 4);
	memcpy(ip + 16, dst_ip, 4);
	fp_vxlan_put16(udp + 2, FP_VXLAN_UDP_PORT);
	/* UDP checksum 0: allowed over IPv4 (RFC 7348, section 5). */
	vx[0] = FP_VXLAN_FLAG_I;
	vx[4] = (uint8_t)(vni >> 16);
	vx[5] = (uint8_t)(vni >> 8);
	vx[6] = (uint8_t)vni;
	t->ip_sum = fp_vxlan_sum16(ip, 20, 0);
	return 0;
}

/*
 * Write the outer headers for an inner frame of inner_len bytes to out
 * (FP_VXLAN_HDR_LEN bytes, right in front of the frame). entropy: a hash
 * of the inner frame's flow, so the underlay's ECMP spreads flows, not
 * frames (RFC 7348: source port 49152-65535). The caller has checked the
 * frame fits (fp_vxlan_fits).
 */
static inline void
fp_vxlan_encap(const struct fp_vxlan_tmpl *t, uint8_t *out, uint16_t inner_len, uint16_t entropy)
{
	uint8_t *ip = out + 14, *udp = ip + 20;
	uint16_t ip_len = (uint16_t)(inner_len + 36);

	memcpy(out, t->hdr, FP_VXLAN_HDR_LEN);
	fp_vxlan_put16(ip + 2, ip_len);
	fp_vxlan_put16(ip + 10, fp_vxlan_fold(t->ip_sum + ip_len));
	fp_vxlan_put16(udp, (uint16_t)(0xc000 | entropy));
	fp_vxlan_put16(udp + 4, (uint16_t)(inner_len + 16));
}

/* Whether an inner frame of inner_len bytes (its Ethernet header included,
 * no FCS) fits an underlay of this MTU once encapsulated. */
static inline int
fp_vxlan_fits(uint32_t inner_len, uint32_t uplink_mtu)
{
	return inner_len >= 14 && inner_len - 14 + FP_VXLAN_MTU_OVERHEAD <= uplink_mtu;
}

/* What a VXLAN frame from the uplink carries. */
struct fp_vxlan_rx {
	uint8_t src_ip[4]; /* the sending node (network byte order) */
	uint8_t dst_ip[4]; /* ours, if it was meant for us */
	uint32_t vni;
	uint32_t inner_off; /* the inner Ethernet frame: [inner_off, +inner_len) */
	uint32_t inner_len;
};

/*
 * Check a frame from the uplink and find its inner frame.
 *   0        a well-formed VXLAN frame: rx filled in;
 *   -ENOENT  not VXLAN at all (not IPv4/UDP to port 4789): the uplink's
 *            other traffic (ARP, the node's own), for the caller to handle;
 *   -EINVAL  addressed to VXLAN but malformed (truncated, lengths that
 *            disagree, a bad IPv4 checksum, options past the frame, the I
 *            flag clear, an inner frame shorter than an Ethernet header):
 *            dropped and counted;
 *   -EMSGSIZE a fragment: never reassembled, dropped and counted.
 * Untagged underlay frames only (the uplink is the node's interface; a
 * tagged underlay is the NIC's or the kernel's job): a tag is -ENOENT.
 * Ethernet padding past the IPv4 total length is ignored, never counted
 * as inner bytes.
 */
static inline int
fp_vxlan_parse(const uint8_t *f, uint32_t len, struct fp_vxlan_rx *rx)
{
	const uint8_t *ip = f + 14, *udp, *vx;
	uint32_t ihl, ip_len, udp_len;

	if (len < 14 + 20 || fp_vxlan_get16(f + 12) != 0x0800)
		return -ENOENT;
	if ((ip[0] >> 4) != 4)
		return -ENOENT;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (ip[9] != 17)
		return -ENOENT;
	if (ihl < 20 || 14 + ihl + 8 > len)
		return -EINVAL; /* UDP, but its header cannot be where IHL says */
	udp = ip + ihl;
	if (fp_vxlan_get16(udp + 2) != FP_VXLAN_UDP_PORT)
		return -ENOENT;
	if ((fp_vxlan_get16(ip + 6) & 0x3fff) != 0)
		return -EMSGSIZE; /* MF or an offset: a fragment */
	ip_len = fp_vxlan_get16(ip + 2);
	if (ip_len < ihl + 8 || 14 + ip_len > len)
		return -EINVAL;
	if (fp_vxlan_fold(fp_vxlan_sum16(ip, ihl, 0)) != 0)
		return -EINVAL;
	udp_len = fp_vxlan_get16(udp + 4);
	if (udp_len != ip_len - ihl || udp_len < 8 + 8 + 14)
		return -EINVAL;
	vx = udp + 8;
	if (!(vx[0] & FP_VXLAN_FLAG_I))
		return -EINVAL;
	memcpy(rx->src_ip, ip + 12, 4);
	memcpy(rx->dst_ip, ip + 16, 4);
	rx->vni = (uint32_t)vx[4] << 16 | (uint32_t)vx[5] << 8 | vx[6];
	rx->inner_off = 14 + ihl + 16;
	rx->inner_len = udp_len - 16;
	return 0;
}

#endif
