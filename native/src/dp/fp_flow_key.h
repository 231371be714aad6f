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
 * fp_flow_parse): the span it needed, and which of the first 64 bytes it
 * read, either to decide where to go next or to copy into a field the
 * table's rules look at. A frame equal to it in those bytes (and long
 * enough) gets the same masked key: whatever the parse of the first frame
 * read, the parse of the second reads too, in the same order, and finds
 * the same. Bytes it never reads (IPv4 id, TTL, checksum, TCP sequence
 * numbers, the addresses no rule matches) may differ, so the frames of one
 * real flow share a classification (fp_flow_ref_match).
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

/* The key as 8-byte words (masking, comparing, hashing). The builder
 * writes its fields with their own types; without may_alias the compiler
 * may read the words before those writes (strict aliasing), and did once
 * the builder was inlined beside the word loops. */
typedef uint64_t fp_key_word __attribute__((may_alias));

/* What building a key read. */
struct fp_flow_parse {
	uint64_t read;  /* bit i: frame byte i (< 64) was read, see above */
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
 * fp_flow_ref_match falls back to it for headers past 64 bytes (IPv4
 * options, IPv6 extension headers): branch-light, no loop-carried
 * dependency beyond the OR.
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

static inline uint16_t
fp_flow_be16(uint16_t v)
{
	return (uint16_t)(v << 8 | v >> 8);
}

/* The parse read frame bytes [off, off + n) (n < 64): only those under 64
 * are recorded; a span past 64 is compared whole (fp_flow_ref_match). */
static inline void
fp_flow_saw(struct fp_flow_parse *p, uint32_t off, uint32_t n)
{
	if (off < 64)
		p->read |= ((1ull << n) - 1) << off;
}

/* Copy n bytes (n < 64) of frame at off into the key at koff; they count as
 * read only where the table's mask keeps that key byte (key_bits, bit k:
 * key byte k), since elsewhere they are masked off. */
static inline void
fp_flow_copy(struct fp_flow_key *k, struct fp_flow_parse *p, uint64_t key_bits, size_t koff,
	     const uint8_t *frame, uint32_t off, uint32_t n)
{
	memcpy((uint8_t *)k + koff, frame + off, n);
	if (off < 64)
		p->read |= ((key_bits >> koff) & ((1ull << n) - 1)) << off;
}

#define FP_KOFF(f) offsetof(struct fp_flow_key, f)

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
fp_flow_key_l4(struct fp_flow_key *k, struct fp_flow_parse *p, uint64_t key_bits,
	       const uint8_t *frame, uint32_t off, uint32_t len)
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
	fp_flow_copy(k, p, key_bits, FP_KOFF(tp_src), frame, off, 2);
	fp_flow_copy(k, p, key_bits, FP_KOFF(tp_dst), frame, off + 2, 2);
	if (k->proto == FP_IPPROTO_TCP) { /* data offset+flags word */
		k->tcp_flags = fp_flow_be16((uint16_t)((frame[off + 12] & 0x0f) << 8 | frame[off + 13]));
		if ((key_bits >> FP_KOFF(tcp_flags)) & 3)
			fp_flow_saw(p, off + 12, 2);
	}
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
fp_flow_key_ipv4(struct fp_flow_key *k, struct fp_flow_parse *p, uint64_t key_bits,
		 const uint8_t *frame, uint32_t l3, uint32_t len)
{
	uint32_t ihl, frag;

	if (!fp_flow_need(p, l3 + 20, len))
		return;
	fp_flow_saw(p, l3, 1);
	ihl = (uint32_t)(frame[l3] & 0x0f) * 4;
	if ((frame[l3] >> 4) != 4 || ihl < 20)
		return;
	if (!fp_flow_need(p, l3 + ihl, len)) /* options cut short */
		return;
	fp_flow_saw(p, l3 + 9, 1); /* it decides the transport parse */
	k->proto = frame[l3 + 9];
	fp_flow_copy(k, p, key_bits, FP_KOFF(nw_src), frame, l3 + 12, 4);
	fp_flow_copy(k, p, key_bits, FP_KOFF(nw_dst), frame, l3 + 16, 4);
	fp_flow_saw(p, l3 + 6, 2);
	frag = (uint32_t)(frame[l3 + 6] & 0x3f) << 8 | frame[l3 + 7]; /* MF and offset */
	if (frag != 0)
		k->l4 |= FP_FLOW_L4_FRAG;
	if ((frag & 0x1fff) != 0) {
		k->l4 |= FP_FLOW_L4_LATER; /* no transport header in here */
		return;
	}
	fp_flow_key_l4(k, p, key_bits, frame, l3 + ihl, len);
}

static inline void
fp_flow_key_ipv6(struct fp_flow_key *k, struct fp_flow_parse *p, uint64_t key_bits,
		 const uint8_t *frame, uint32_t l3, uint32_t len)
{
	uint32_t off = l3 + 40;
	uint8_t next;

	if (!fp_flow_need(p, off, len))
		return;
	fp_flow_saw(p, l3, 1);
	if ((frame[l3] >> 4) != 6)
		return;
	fp_flow_copy(k, p, key_bits, FP_KOFF(nw_src), frame, l3 + 8, 16);
	fp_flow_copy(k, p, key_bits, FP_KOFF(nw_dst), frame, l3 + 24, 16);
	fp_flow_saw(p, l3 + 6, 1);
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
			fp_flow_key_l4(k, p, key_bits, frame, off, len);
			return;
		}
		k->proto = next; /* where the walk stops, if it stops here */
		if (n == FP_FLOW_MAX_EXT_HDRS || !fp_flow_need(p, off + 8, len)) {
			p->no_l4 = 1; /* too many extension headers, or cut short */
			return;
		}
		fp_flow_saw(p, off, next == FP_IP6_FRAGMENT ? 4 : 2);
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
 * key_bits: the key bytes the table's mask keeps (bit k: byte k), which
 * decides which copied bytes count as read.
 */
static inline struct fp_flow_parse
fp_flow_key_parse(struct fp_flow_key *k, const uint8_t *frame, uint32_t len, uint16_t vid,
		  int tagged, uint16_t in_slot, uint64_t key_bits)
{
	uint32_t hdr = tagged ? 18 : 14;
	struct fp_flow_parse p = { .span = (uint16_t)hdr };
	uint16_t type;

	_Static_assert(FP_KOFF(dl_src) == FP_KOFF(dl_dst) + 6,
		       "the key holds the addresses as the frame does");
	memset(k, 0, sizeof(*k));
	/* dl_dst then dl_src, as in the frame */
	fp_flow_copy(k, &p, key_bits, FP_KOFF(dl_dst), frame, 0, 12);
	k->in_port = fp_flow_be16(in_slot);
	k->vlan = fp_flow_be16(vid);
	/* The tag (vid and tagged are the caller's to compare) and the type. */
	fp_flow_saw(&p, 12, hdr - 12);
	memcpy(&k->dl_type, frame + hdr - 2, 2);
	type = (uint16_t)(frame[hdr - 2] << 8 | frame[hdr - 1]);
	if (type == FP_ETHERTYPE_IPV4)
		fp_flow_key_ipv4(k, &p, key_bits, frame, hdr, len);
	else if (type == FP_ETHERTYPE_IPV6)
		fp_flow_key_ipv6(k, &p, key_bits, frame, hdr, len);
	return p;
}

/* fp_flow_key_parse for a table whose rules look at every key byte. */
static inline struct fp_flow_parse
fp_flow_key_build(struct fp_flow_key *k, const uint8_t *frame, uint32_t len, uint16_t vid,
		  int tagged, uint16_t in_slot)
{
	return fp_flow_key_parse(k, frame, len, vid, tagged, in_slot, ~0ull);
}

/* The key bytes a mask keeps, as bits (bit k: key byte k is not 0). */
static inline uint64_t
fp_flow_key_bits(const uint64_t *key_mask)
{
	const uint8_t *m = (const uint8_t *)key_mask;
	uint64_t bits = 0;

	for (unsigned i = 0; i < sizeof(struct fp_flow_key); i++)
		if (m[i] != 0)
			bits |= 1ull << i;
	return bits;
}

/*
 * A classified frame that the next frames of a burst are compared with, so
 * that one that would get the same key needs no parse (fp_flow_ref_match).
 * Setting it costs a few stores: with many flows, every frame sets it.
 */
/* A reference no frame matches (VLAN ids have 12 bits). */
#define FP_FLOW_REF_NONE UINT16_MAX

struct fp_flow_ref {
	const uint8_t *frame;
	uint32_t len;
	struct fp_flow_parse p;
	uint16_t vid;
	uint8_t tagged;
	uint8_t fast; /* span <= 64 and the frame readable for 64: vectors */
#ifdef __SSE4_1__
	__m128i m[4]; /* 0xff at the bytes its parse read (p.read) */
#endif
};

#ifdef __SSE4_1__
/* Byte j of the result is 0xff when bit j of bits is set, else 0. */
static inline __m128i
fp_bits_to_bytes(uint16_t bits)
{
	const __m128i sel = _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
	__m128i b = _mm_shuffle_epi8(_mm_cvtsi32_si128(bits),
				     _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));

	return _mm_cmpeq_epi8(_mm_and_si128(b, sel), sel);
}
#endif

/* frame/len/vid/tagged as given to fp_flow_key_parse, p what it returned;
 * room64: the frame's buffer can be read for 64 bytes from its start. */
static inline void
fp_flow_ref_set(struct fp_flow_ref *r, const uint8_t *frame, uint32_t len, struct fp_flow_parse p,
		uint16_t vid, uint8_t tagged, int room64)
{
#ifdef __SSE4_1__
	/* Frames of one layout read the same bytes: the mask often stays. */
	int same_mask = r->fast && r->p.read == p.read;
#endif

	r->frame = frame;
	r->len = len;
	r->p = p;
	r->vid = vid;
	r->tagged = tagged;
	r->fast = p.span <= 64 && room64;
#ifdef __SSE4_1__
	if (r->fast && !same_mask)
		for (int i = 0; i < 4; i++)
			r->m[i] = fp_bits_to_bytes((uint16_t)(p.read >> (16 * i)));
#endif
}

/*
 * Whether frame y (len, vid, tagged as for fp_flow_key_parse) would get the
 * masked key r's frame got, without parsing it: the same VLAN state, a
 * length that keeps every length check the same (at least r's span, or,
 * when a length decided something for r (p.cut), exactly r's length), and
 * the same bytes wherever r's parse read. Headers past 64 bytes, or frames
 * not readable for 64 (room64: y is), compare the whole span instead:
 * never wrong, only slower. Four vector compares in the common case.
 */
static inline int
fp_flow_ref_match(const struct fp_flow_ref *r, const uint8_t *y, uint32_t len, uint16_t vid,
		  uint8_t tagged, int room64)
{
	if (vid != r->vid || tagged != r->tagged || (r->p.cut ? len != r->len : len < r->p.span))
		return 0;
#ifdef __SSE4_1__
	if (__builtin_expect(r->fast && room64, 1)) {
		__m128i d = _mm_setzero_si128();

		for (int i = 0; i < 4; i++) { /* unrolled by the compiler */
			__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(r->frame + 16 * i));
			__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(y + 16 * i));

			d = _mm_or_si128(d, _mm_and_si128(_mm_xor_si128(a, b), r->m[i]));
		}
		return _mm_testz_si128(d, d);
	}
#endif
	return fp_span_equal(r->frame, y, r->p.span);
}

#endif
