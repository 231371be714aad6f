/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Port security on ingress: a port may send only from its allowed MACs and,
 * when it has allowed addresses, claim only those in ARP (sender address)
 * and neighbour discovery (a solicitation's source, an advertisement's
 * target); router advertisements and redirects from it are dropped (a
 * container must not become its neighbours' router). Pure function of the
 * frame bytes. @pre any thread.
 */
#ifndef FP_PSEC_H
#define FP_PSEC_H

#include <stdint.h>
#include <string.h>

#include "fp/fp.h"

#define FP_ETHERTYPE_ARP 0x0806
#define FP_ICMP6_RA 134
#define FP_ICMP6_NS 135
#define FP_ICMP6_NA 136
#define FP_ICMP6_REDIRECT 137

static inline int
fp_psec_mac_ok(const struct fp_port_security *ps, const uint8_t *mac)
{
	for (unsigned i = 0; i < ps->n_macs; i++)
		if (memcmp(ps->macs[i], mac, 6) == 0)
			return 1;
	return 0;
}

static inline int
fp_psec_ip4_ok(const struct fp_port_security *ps, const uint8_t *a)
{
	for (unsigned i = 0; i < ps->n_ip4; i++)
		if (memcmp(ps->ip4[i], a, 4) == 0)
			return 1;
	return 0;
}

static inline int
fp_psec_ip6_ok(const struct fp_port_security *ps, const uint8_t *a)
{
	for (unsigned i = 0; i < ps->n_ip6; i++)
		if (memcmp(ps->ip6[i], a, 16) == 0)
			return 1;
	return 0;
}

/* 1: the frame may enter. frame/len as received; tagged: an 802.1Q tag. */
static inline int
fp_psec_ok(const struct fp_port_security *ps, const uint8_t *frame, uint32_t len, int tagged)
{
	static const uint8_t zero[16];
	uint32_t l3 = tagged ? 18 : 14;
	uint16_t type;

	if (!fp_psec_mac_ok(ps, frame + 6))
		return 0;
	if (ps->n_ip4 == 0 && ps->n_ip6 == 0)
		return 1;
	type = (uint16_t)(frame[l3 - 2] << 8 | frame[l3 - 1]);
	if (type == FP_ETHERTYPE_ARP) {
		/* htype, ptype, hlen, plen, op, then sender MAC and address */
		if (len < l3 + 28 || memcmp(frame + l3 + 8, frame + 6, 6) != 0)
			return 0;
		/* 0.0.0.0: an address probe (RFC 5227) claims nothing */
		return memcmp(frame + l3 + 14, zero, 4) == 0 || fp_psec_ip4_ok(ps, frame + l3 + 14);
	}
	if (type == 0x86dd && len >= l3 + 40 && frame[l3 + 6] == 58) { /* ICMPv6, no extension */
		const uint8_t *icmp = frame + l3 + 40;

		if (len < l3 + 41)
			return 0;
		switch (icmp[0]) {
		case FP_ICMP6_RA:
		case FP_ICMP6_REDIRECT:
			return 0;
		case FP_ICMP6_NS: /* :: is duplicate address detection */
			return memcmp(frame + l3 + 8, zero, 16) == 0 || fp_psec_ip6_ok(ps, frame + l3 + 8);
		case FP_ICMP6_NA:
			return len >= l3 + 40 + 24 && fp_psec_ip6_ok(ps, icmp + 8);
		default:
			return 1;
		}
	}
	return 1;
}

#endif
