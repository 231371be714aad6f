/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Build the classifier key (struct fp_flow_key) of one frame. Pure function
 * of the frame bytes, no DPDK state, so ctest covers it without EAL.
 * Header fields are copied in network byte order, as rte_acl wants them;
 * anything the frame does not carry (not IP, no L4, a non-first fragment,
 * truncated headers) stays zero, and the key's l4 bits say which of those it
 * was, so that no L4 rule can match a frame whose transport header was not
 * read.
 *
 * The builder also says which bytes the key depends on (struct
 * fp_flow_parse): caches in front of the classifier may reuse a key only for
 * a frame that is identical over that span (see fp_flow_same_headers).
 * @pre any thread.
 */
#ifndef FP_FLOW_KEY_H
#define FP_FLOW_KEY_H

#include <stdint.h>
#include <string.h>
#ifdef __SSE4_1__
#include <smmintrin.h>
#endif

#include "../common/fp_flow.h"

#define FP_ETHERTYPE_IPV4 0x0800
#define FP_ETHERTYPE_IPV6 0x86dd
#define FP_IPPROTO_TCP 6
#define FP_IPPROTO_UDP 17
#define FP_IPPROTO_SCTP 132
/* IPv6 extension headers walked to the transport header (RFC 8200, 7045). */
#define FP_IP6_HOPOPTS 0
#define FP_IP6_ROUTING 43
#define FP_IP6_FRAGMENT 44
#define FP_IP6_ESP 50
#define FP_IP6_AH 51
#define FP_IP6_NONE 59
#define FP_IP6_DSTOPTS 60
#define FP_IP6_MOBILITY 135
#define FP_IP6_HIP 139
#define FP_IP6_SHIM6 140
/* More extension headers than this, and the transport header is not looked
 * for: the frame matches no L4 rule and counts as rx_no_l4. */
#define FP_FLOW_MAX_EXT_HDRS 8

/* What building a key read. */
struct fp_flow_parse {
	uint16_t span;  /* the key depends on frame bytes [0, span) only ... */
	uint8_t cut;    /* ... and, when set, on the frame's length too (a header
	                 * ended early, or a length decided what was read) */
	uint8_t no_l4;  /* an IP frame whose transport header could not be
	                 * reached (truncated, extension chain too long or
	                 * malformed): counted, as rx_no_l4 */
};

/*
 * Whether x and y hold the same n bytes, reading nothing outside [0, n) of
 * either: 16-byte vectors, then the last 16 bytes (overlapping the previous
 * vector) for the rest; 8-byte words for spans under 16. @pre n >= 8.
 * Every frame's header span gets this, so it is branch-light and has no
 * loop-carried dependency beyond the OR.
 */
static inline int
fp_span_equal(const uint8_t *x, const uint8_t *y, uint32_t n)
{
#ifdef __SSE4_1__
	if (n >= 16) {
		__m128i d = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)(x + n - 16)),
					  _mm_loadu_si128((const __m128i *)(const void *)(y + n - 16)));

		for (uint32_t i = 0; i + 16 < n; i += 16)
			d = _mm_or_si128(d, _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)(x + i)),
							  _mm_loadu_si128((const __m128i *)(const void *)(y + i))));
		return _mm_testz_si128(d, d);
	}
#endif
	uint64_t d = 0, u, v;

	for (uint32_t i = 0; i + 8 < n; i += 8) {
		memcpy(&u, x + i, 8);
		memcpy(&v, y + i, 8);
		d |= u ^ v;
	}
	memcpy(&u, x + n - 8, 8);
	memcpy(&v, y + n - 8, 8);
	return (d | (u ^ v)) == 0;
}

/*
 * fp_span_equal for spans of at most 64 bytes where both buffers can be
 * read for 64 bytes (a header span in an mbuf of ours): four vector
 * compares masked to the span, no loop and no branch. The bytes past the
 * span are read but never count. @pre 8 <= n <= 64, x and y readable for 64.
 */
static inline int
fp_span_equal64(const uint8_t *x, const uint8_t *y, uint32_t n)
{
#ifdef __SSE4_1__
	const __m128i lim = _mm_set1_epi8((char)n);
	__m128i d = _mm_setzero_si128();

	for (int i = 0; i < 64; i += 16) { /* unrolled by the compiler */
		const __m128i at = _mm_add_epi8(_mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
							      12, 13, 14, 15),
						_mm_set1_epi8((char)i));
		__m128i v = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)(x + i)),
					  _mm_loadu_si128((const __m128i *)(const void *)(y + i)));

		d = _mm_or_si128(d, _mm_and_si128(v, _mm_cmpgt_epi8(lim, at)));
	}
	return _mm_testz_si128(d, d);
#else
	return fp_span_equal(x, y, n);
#endif
}

static inline uint16_t
fp_flow_be16(uint16_t v)
{
	return (uint16_t)(v << 8 | v >> 8);
}

/* Bytes of fixed header a transport protocol must have before its ports
 * (and TCP's flags) count: TCP 20, UDP 8, SCTP 12. 0: not one we match. */
static inline uint32_t
fp_flow_l4_min(uint8_t proto)
{
	return proto == FP_IPPROTO_TCP ? 20 : proto == FP_IPPROTO_UDP ? 8 :
	       proto == FP_IPPROTO_SCTP ? 12 : 0;
}

/* l4 at frame offset off, len the frame's length. */
static inline void
fp_flow_key_l4(struct fp_flow_key *k, struct fp_flow_parse *p, const uint8_t *frame,
	       uint32_t off, uint32_t len)
{
	uint32_t need = fp_flow_l4_min(k->proto);

	if (need == 0)
		return;
	if (off + need > len) {
		p->cut = 1;
		p->no_l4 = 1;
		return;
	}
	if (off + need > p->span)
		p->span = (uint16_t)(off + need);
	memcpy(&k->tp_src, frame + off, 2);
	memcpy(&k->tp_dst, frame + off + 2, 2);
	if (k->proto == FP_IPPROTO_TCP) /* data offset+flags word */
		k->tcp_flags = fp_flow_be16((uint16_t)((frame[off + 12] & 0x0f) << 8 | frame[off + 13]));
	k->l4 |= FP_FLOW_L4_PRESENT;
}

/* Extend the span to cover [0, end), or say the frame ends first. */
static inline int
fp_flow_need(struct fp_flow_parse *p, uint32_t end, uint32_t len)
{
	if (end > len) {
		p->cut = 1;
		return 0;
	}
	if (end > p->span)
		p->span = (uint16_t)end;
	return 1;
}

static inline void
fp_flow_key_ipv4(struct fp_flow_key *k, struct fp_flow_parse *p, const uint8_t *frame,
		 uint32_t l3, uint32_t len)
{
	uint32_t ihl, frag;

	if (!fp_flow_need(p, l3 + 20, len))
		return;
	ihl = (uint32_t)(frame[l3] & 0x0f) * 4;
	if ((frame[l3] >> 4) != 4 || ihl < 20)
		return;
	if (!fp_flow_need(p, l3 + ihl, len)) /* options cut short */
		return;
	k->proto = frame[l3 + 9];
	memcpy(&k->nw_src[0], frame + l3 + 12, 4);
	memcpy(&k->nw_dst[0], frame + l3 + 16, 4);
	frag = (uint32_t)(frame[l3 + 6] & 0x3f) << 8 | frame[l3 + 7]; /* MF and offset */
	if (frag != 0)
		k->l4 |= FP_FLOW_L4_FRAG;
	if ((frag & 0x1fff) != 0) {
		k->l4 |= FP_FLOW_L4_LATER; /* no transport header in here */
		return;
	}
	fp_flow_key_l4(k, p, frame, l3 + ihl, len);
}

static inline void
fp_flow_key_ipv6(struct fp_flow_key *k, struct fp_flow_parse *p, const uint8_t *frame,
		 uint32_t l3, uint32_t len)
{
	uint32_t off = l3 + 40;
	uint8_t next;

	if (!fp_flow_need(p, off, len))
		return;
	if ((frame[l3] >> 4) != 6)
		return;
	memcpy(k->nw_src, frame + l3 + 8, 16);
	memcpy(k->nw_dst, frame + l3 + 24, 16);
	next = frame[l3 + 6];
	for (unsigned n = 0;; n++) {
		uint32_t hlen;

		switch (next) {
		case FP_IP6_HOPOPTS:
		case FP_IP6_ROUTING:
		case FP_IP6_DSTOPTS:
		case FP_IP6_MOBILITY:
		case FP_IP6_HIP:
		case FP_IP6_SHIM6:
		case FP_IP6_AH:
		case FP_IP6_FRAGMENT:
			break;
		default: /* the upper-layer protocol (ESP and "no next header" too) */
			k->proto = next;
			fp_flow_key_l4(k, p, frame, off, len);
			return;
		}
		k->proto = next; /* where the walk stops, if it stops here */
		if (n == FP_FLOW_MAX_EXT_HDRS || !fp_flow_need(p, off + 8, len)) {
			p->no_l4 = 1; /* too many extension headers, or cut short */
			return;
		}
		if (next == FP_IP6_FRAGMENT) {
			uint32_t fo = (uint32_t)frame[off + 2] << 5 | frame[off + 3] >> 3;

			if (fo != 0 || (frame[off + 3] & 1))
				k->l4 |= FP_FLOW_L4_FRAG; /* not an atomic fragment */
			next = frame[off];
			off += 8;
			if (fo != 0) {
				k->l4 |= FP_FLOW_L4_LATER;
				k->proto = next;
				return;
			}
			continue;
		}
		hlen = next == FP_IP6_AH ? ((uint32_t)frame[off + 1] + 2) * 4
					 : ((uint32_t)frame[off + 1] + 1) * 8;
		next = frame[off];
		off += hlen;
		if (!fp_flow_need(p, off, len)) {
			p->no_l4 = 1;
			return;
		}
	}
}

/*
 * frame/len: the frame as received (len >= 14; >= 18 when tagged, which
 * fp_frame_vlan guarantees). vid: the frame's VLAN inside the switch (an
 * access port's own VLAN for its untagged frames). in_slot: ingress port.
 */
static inline struct fp_flow_parse
fp_flow_key_build(struct fp_flow_key *k, const uint8_t *frame, uint32_t len, uint16_t vid,
		  int tagged, uint16_t in_slot)
{
	uint32_t hdr = tagged ? 18 : 14;
	struct fp_flow_parse p = { .span = (uint16_t)hdr };
	uint16_t type;

	memset(k, 0, sizeof(*k));
	memcpy(k->dl_dst, frame, 12); /* dl_dst then dl_src, as in the frame */
	k->in_port = fp_flow_be16(in_slot);
	k->vlan = fp_flow_be16(vid);
	memcpy(&k->dl_type, frame + hdr - 2, 2);
	type = (uint16_t)(frame[hdr - 2] << 8 | frame[hdr - 1]);
	if (type == FP_ETHERTYPE_IPV4)
		fp_flow_key_ipv4(k, &p, frame, hdr, len);
	else if (type == FP_ETHERTYPE_IPV6)
		fp_flow_key_ipv6(k, &p, frame, hdr, len);
	return p;
}

#endif
