/* SPDX-License-Identifier: Apache-2.0 */
/* The classifier key of hand-built frames, without EAL: byte order, VLAN
 * offsets, IPv4/IPv6, L4 ports and TCP flags, fragments, truncation. */
#include <stdio.h>
#include <string.h>

#include "dp/fp_flow_key.h"
#include "fp_check.h"

static const uint8_t dst[6] = { 0x02, 0xfa, 0x57, 0, 0, 1 };
static const uint8_t src[6] = { 0x02, 0xfa, 0x57, 0, 0, 2 };

/* Ethernet (optionally tagged) + IPv4 + TCP; returns the frame length. */
static uint32_t
ipv4_tcp(uint8_t *f, int tag, uint16_t frag)
{
	uint8_t *ip;

	memset(f, 0, 128);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	if (tag) {
		f[12] = 0x81; f[13] = 0x00; f[14] = 0x00; f[15] = 100;
	}
	f[tag ? 16 : 12] = 0x08;
	ip = f + (tag ? 18 : 14);
	ip[0] = 0x45;
	ip[6] = (uint8_t)(frag >> 8); ip[7] = (uint8_t)frag;
	ip[9] = 6;
	ip[12] = 10; ip[13] = 0; ip[14] = 0; ip[15] = 1;
	ip[16] = 10; ip[17] = 0; ip[18] = 0; ip[19] = 2;
	ip[20] = 0x30; ip[21] = 0x39; /* sport 12345 */
	ip[22] = 0x00; ip[23] = 0x50; /* dport 80 */
	ip[32] = 0x50; ip[33] = 0x12; /* SYN|ACK */
	return (uint32_t)(ip - f) + 40;
}

static void
test_ipv4(void)
{
	uint8_t f[128];
	struct fp_flow_key k;
	uint32_t len = ipv4_tcp(f, 0, 0);

	fp_flow_key_build(&k, f, len, 0, 0, 3);
	CHECK(memcmp(k.dl_dst, dst, 6) == 0 && memcmp(k.dl_src, src, 6) == 0);
	CHECK(k.in_port == fp_flow_be16(3));
	CHECK(k.dl_type == fp_flow_be16(0x0800));
	CHECK(k.proto == 6);
	CHECK(((uint8_t *)k.nw_src)[0] == 10 && ((uint8_t *)k.nw_src)[3] == 1);
	CHECK(((uint8_t *)k.nw_dst)[3] == 2 && k.nw_dst[1] == 0);
	CHECK(k.tp_src == fp_flow_be16(12345) && k.tp_dst == fp_flow_be16(80));
	CHECK(k.tcp_flags == fp_flow_be16(0x012));

	len = ipv4_tcp(f, 1, 0); /* tagged: everything shifts by 4 bytes */
	fp_flow_key_build(&k, f, len, 100, 1, 3);
	CHECK(k.vlan == fp_flow_be16(100) && k.dl_type == fp_flow_be16(0x0800));
	CHECK(k.tp_dst == fp_flow_be16(80));

	len = ipv4_tcp(f, 0, 0x00b9); /* a later fragment: addresses, no ports */
	fp_flow_key_build(&k, f, len, 0, 0, 3);
	CHECK(k.proto == 6 && k.nw_dst[0] != 0 && k.tp_dst == 0 && k.tcp_flags == 0);

	len = ipv4_tcp(f, 0, 0);
	fp_flow_key_build(&k, f, 14 + 22, 0, 0, 3); /* L4 cut short */
	CHECK(k.proto == 6 && k.tp_src == 0);
	fp_flow_key_build(&k, f, 14 + 10, 0, 0, 3); /* IPv4 header cut short */
	CHECK(k.proto == 0 && k.nw_src[0] == 0 && k.dl_type == fp_flow_be16(0x0800));
}

static void
test_ipv6_udp(void)
{
	uint8_t f[128] = { 0 }, *ip = f + 14;
	struct fp_flow_key k;

	f[12] = 0x86; f[13] = 0xdd;
	ip[0] = 0x60; ip[6] = 17;
	ip[8] = 0xfd; ip[23] = 1;  /* src fd00::1 */
	ip[24] = 0xfd; ip[39] = 2; /* dst fd00::2 */
	ip[40] = 0x00; ip[41] = 53; ip[42] = 0x13; ip[43] = 0x88;
	fp_flow_key_build(&k, f, 14 + 48, 7, 0, 0);
	CHECK(k.proto == 17 && k.vlan == fp_flow_be16(7));
	CHECK(((uint8_t *)k.nw_src)[0] == 0xfd && ((uint8_t *)k.nw_src)[15] == 1);
	CHECK(((uint8_t *)k.nw_dst)[15] == 2);
	CHECK(k.tp_src == fp_flow_be16(53) && k.tp_dst == fp_flow_be16(5000));
	CHECK(k.tcp_flags == 0);
}

static void
test_not_ip(void)
{
	uint8_t f[64] = { 0 };
	struct fp_flow_key k;

	f[12] = 0x08; f[13] = 0x06; /* ARP */
	fp_flow_key_build(&k, f, 60, 0, 0, 1);
	CHECK(k.dl_type == fp_flow_be16(0x0806) && k.proto == 0 && k.nw_src[0] == 0);
	CHECK(sizeof(struct fp_flow_key) == 64);
}

int
main(void)
{
	test_ipv4();
	test_ipv6_udp();
	test_not_ip();
	if (failures)
		return 1;
	printf("fp_flow_key_test: ok\n");
	return 0;
}
