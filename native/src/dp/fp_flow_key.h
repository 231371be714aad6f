/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Build the classifier key (struct fp_flow_key) of one frame. Pure function
 * of the frame bytes, no DPDK state, so ctest covers it without EAL.
 * Header fields are copied in network byte order, as rte_acl wants them;
 * anything the frame does not carry (not IP, no L4, a non-first fragment,
 * truncated headers) stays zero.
 * @pre any thread.
 */
#ifndef FP_FLOW_KEY_H
#define FP_FLOW_KEY_H

#include <stdint.h>
#include <string.h>

#include "../common/fp_flow.h"

#define FP_ETHERTYPE_IPV4 0x0800
#define FP_ETHERTYPE_IPV6 0x86dd
#define FP_IPPROTO_TCP 6
#define FP_IPPROTO_UDP 17
#define FP_IPPROTO_SCTP 132

static inline uint16_t
fp_flow_be16(uint16_t v)
{
	return (uint16_t)(v << 8 | v >> 8);
}

static inline void
fp_flow_key_l4(struct fp_flow_key *k, const uint8_t *l4, uint32_t len)
{
	if (k->proto != FP_IPPROTO_TCP && k->proto != FP_IPPROTO_UDP &&
	    k->proto != FP_IPPROTO_SCTP)
		return;
	if (len < 4)
		return;
	memcpy(&k->tp_src, l4, 2);
	memcpy(&k->tp_dst, l4 + 2, 2);
	if (k->proto == FP_IPPROTO_TCP && len >= 14) /* data offset+flags word */
		k->tcp_flags = fp_flow_be16((uint16_t)((l4[12] & 0x0f) << 8 | l4[13]));
}

/*
 * frame/len: the frame as received (len >= 14; >= 18 when tagged, which
 * fp_frame_vlan guarantees). vid: the frame's VLAN inside the switch (an
 * access port's own VLAN for its untagged frames). in_slot: ingress port.
 */
static inline void
fp_flow_key_build(struct fp_flow_key *k, const uint8_t *frame, uint32_t len, uint16_t vid,
		  int tagged, uint16_t in_slot)
{
	uint32_t hdr = tagged ? 18 : 14, l3len;
	const uint8_t *l3;
	uint16_t type;

	memset(k, 0, sizeof(*k));
	memcpy(k->dl_dst, frame, 12); /* dl_dst then dl_src, as in the frame */
	k->in_port = fp_flow_be16(in_slot);
	k->vlan = fp_flow_be16(vid);
	memcpy(&k->dl_type, frame + hdr - 2, 2);
	type = (uint16_t)(frame[hdr - 2] << 8 | frame[hdr - 1]);
	l3 = frame + hdr;
	l3len = len - hdr;
	if (type == FP_ETHERTYPE_IPV4 && l3len >= 20) {
		uint32_t ihl = (uint32_t)(l3[0] & 0x0f) * 4;

		if ((l3[0] >> 4) != 4 || ihl < 20 || ihl > l3len)
			return;
		k->proto = l3[9];
		memcpy(&k->nw_src[0], l3 + 12, 4);
		memcpy(&k->nw_dst[0], l3 + 16, 4);
		if (((l3[6] & 0x1f) << 8 | l3[7]) != 0)
			return; /* a later fragment: no L4 header here */
		fp_flow_key_l4(k, l3 + ihl, l3len - ihl);
	} else if (type == FP_ETHERTYPE_IPV6 && l3len >= 40) {
		if ((l3[0] >> 4) != 6)
			return;
		k->proto = l3[6]; /* extension headers are not walked */
		memcpy(k->nw_src, l3 + 8, 16);
		memcpy(k->nw_dst, l3 + 24, 16);
		fp_flow_key_l4(k, l3 + 40, l3len - 40);
	}
}

#endif
