/* SPDX-License-Identifier: Apache-2.0 */
/* Frame classification and counter-name tables, without EAL. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "dp/fp_l2.h"
#include "dp/fp_psec.h"
#include "fp/fp.h"
#include "fp_check.h"

static void
test_vlan_parse(void)
{
	uint8_t f[64] = { 0 };
	int tagged;

	f[12] = 0x08; /* IPv4, untagged */
	CHECK(fp_frame_vlan(f, 60, &tagged) == 0 && !tagged);
	CHECK(fp_frame_vlan(f, 13, &tagged) == -1); /* runt */
	f[12] = 0x81; f[13] = 0x00; f[14] = 0x20; f[15] = 0x64; /* PCP 1, VID 100 */
	CHECK(fp_frame_vlan(f, 60, &tagged) == 100 && tagged);
	CHECK(fp_frame_vlan(f, 16, &tagged) == -1); /* tag cut short */
	f[14] = 0x0f; f[15] = 0xff; /* VID 4095 is reserved */
	CHECK(fp_frame_vlan(f, 60, &tagged) == -1);
	f[14] = 0x00; f[15] = 0x00; /* priority tag */
	CHECK(fp_frame_vlan(f, 60, &tagged) == 0 && tagged);
}

static void
test_mac_key(void)
{
	/* Keys read 8 bytes: trailing bytes (here 0xee) must not leak in. */
	const uint8_t a[8] = { 0x02, 0, 0, 0, 0, 0x0a, 0xee, 0xee };
	const uint8_t b[8] = { 0x02, 0, 0, 0, 0, 0x0b, 0xee, 0xee };

	CHECK(fp_mac_key(a, 0) != fp_mac_key(b, 0));
	CHECK(fp_mac_key(a, 1) != fp_mac_key(a, 2)); /* same MAC, other VLAN */
	CHECK(fp_mac_key(a, 4094) >> 48 == 4094);
	CHECK((fp_mac_key(a, 0) & 0xffffffffffffULL) == 0x0a0000000002ULL);
	CHECK(fp_mac_key(a, 0) >> 48 == 0);
	CHECK(!fp_mac_is_group(a));
	CHECK(fp_mac_is_group((const uint8_t[]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }));
	CHECK(fp_mac_is_group((const uint8_t[]){ 0x01, 0x00, 0x5e, 0, 0, 1 }));
}

static void
test_counter_names(void)
{
	unsigned n = 0;

	while (fp_port_counter_name(n) != NULL)
		n++;
	CHECK(n == FP_PORT_COUNTER_MAX);
	CHECK(strcmp(fp_port_counter_name(FP_PORT_DROP_tx_full), "drop_tx_full") == 0);
	n = 0;
	while (fp_worker_counter_name(n) != NULL)
		n++;
	CHECK(n == FP_WORKER_COUNTER_MAX);
}

/* An access port of VLAN 10: untagged and priority-tagged frames are its
 * own; any other tag, an 802.1ad outer tag or a tag inside a priority tag is
 * not. */
static void
test_access_ingress(void)
{
	uint8_t f[64] = { 0 };
	int tagged, vid;

	f[12] = 0x08; /* untagged IPv4 */
	vid = fp_frame_vlan(f, 60, &tagged);
	CHECK(fp_access_ingress(f, 60, vid, tagged, 10) == 0);
	f[12] = 0x88; f[13] = 0xa8; /* 802.1ad outer tag */
	vid = fp_frame_vlan(f, 60, &tagged);
	CHECK(fp_access_ingress(f, 60, vid, tagged, 10) == -1);
	f[12] = 0x81; f[13] = 0x00; f[14] = 0xa0; f[15] = 0x00; /* PCP 5, VID 0 */
	f[16] = 0x08; f[17] = 0x00;
	vid = fp_frame_vlan(f, 60, &tagged);
	CHECK(vid == 0 && tagged);
	CHECK(fp_access_ingress(f, 60, vid, tagged, 10) == 0);
	CHECK(f[14] == 0xa0 && f[15] == 10); /* now VLAN 10, priority kept */
	f[14] = 0x00; f[15] = 0x05; /* VID 5 */
	vid = fp_frame_vlan(f, 60, &tagged);
	CHECK(fp_access_ingress(f, 60, vid, tagged, 10) == -1);
	f[15] = 0x00; f[16] = 0x81; f[17] = 0x00; /* priority tag around a C-tag */
	vid = fp_frame_vlan(f, 60, &tagged);
	CHECK(fp_access_ingress(f, 60, vid, tagged, 10) == -1);
}

static void
test_port_security(void)
{
	struct fp_port_security ps = { .enabled = 1, .n_macs = 1, .macs = { { 2, 0, 0, 0, 0, 7 } },
				       .n_ip4 = 1, .ip4 = { { 10, 0, 0, 7 } },
				       .n_ip6 = 1, .ip6 = { { 0xfd, [15] = 7 } } };
	uint8_t f[128] = { 0 }, *arp = f + 14, *ip6 = f + 14, *icmp = f + 14 + 40;

	memcpy(f + 6, ps.macs[0], 6);
	f[12] = 0x08; /* IPv4: only the source MAC is checked */
	CHECK(fp_psec_ok(&ps, f, 60, 0));
	f[11] = 8; /* another source MAC */
	CHECK(!fp_psec_ok(&ps, f, 60, 0));
	f[11] = 7;
	f[13] = 0x06; /* ARP from 10.0.0.7, then from 10.0.0.8 */
	memcpy(arp + 8, ps.macs[0], 6);
	memcpy(arp + 14, ps.ip4[0], 4);
	CHECK(fp_psec_ok(&ps, f, 60, 0));
	arp[17] = 8;
	CHECK(!fp_psec_ok(&ps, f, 60, 0));
	memset(arp + 14, 0, 4); /* a probe claims no address */
	CHECK(fp_psec_ok(&ps, f, 60, 0));
	memcpy(arp + 14, ps.ip4[0], 4);
	arp[13] = 9; /* sender MAC is not the frame's */
	CHECK(!fp_psec_ok(&ps, f, 60, 0));
	CHECK(!fp_psec_ok(&ps, f, 14 + 20, 0)); /* ARP cut short */

	memset(f + 12, 0, 100);
	f[12] = 0x86; f[13] = 0xdd;
	ip6[0] = 0x60; ip6[6] = 58;
	icmp[0] = 136; /* NA for fd00::7, then for fd00::8 */
	memcpy(icmp + 8, ps.ip6[0], 16);
	CHECK(fp_psec_ok(&ps, f, 14 + 40 + 24, 0));
	icmp[8 + 15] = 8;
	CHECK(!fp_psec_ok(&ps, f, 14 + 40 + 24, 0));
	icmp[0] = 135; /* NS from :: (DAD), then from fd00::9 */
	CHECK(fp_psec_ok(&ps, f, 14 + 40 + 24, 0));
	ip6[8] = 0xfd; ip6[23] = 9;
	CHECK(!fp_psec_ok(&ps, f, 14 + 40 + 24, 0));
	icmp[0] = 134; /* router advertisements never */
	CHECK(!fp_psec_ok(&ps, f, 14 + 40 + 24, 0));
	ps.n_ip4 = ps.n_ip6 = 0; /* no addresses: ND is not checked */
	CHECK(fp_psec_ok(&ps, f, 14 + 40 + 24, 0));
}

/*
 * The MAC cache's slots: the same 1,000 MACs in two networks (a tenant
 * copying its neighbour's addresses) land in different slots almost always,
 * so one network cannot keep evicting the other's entries; and one
 * network's MACs spread over the table like random keys would.
 */
static void
test_mac_slot(void)
{
	enum { N = 1000, BITS = 12 };
	static uint8_t used[1u << BITS];
	unsigned same = 0, distinct = 0;

	for (uint32_t i = 0; i < N; i++) {
		uint8_t mac[8] = { 0x02, 0x00, 0x00, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i, 0, 0 };
		uint64_t k = fp_mac_key(mac, 0);
		uint32_t a = fp_mac_slot(k, 1, BITS), b = fp_mac_slot(k, 2, BITS);

		CHECK(a < (1u << BITS) && b < (1u << BITS));
		same += a == b;
		if (!used[a]++)
			distinct++;
	}
	/* Random placement: ~1 of 1,000 shared by chance; 1,000 keys in 4,096
	 * slots fill ~887 distinct ones. */
	CHECK(same <= 5);
	CHECK(distinct >= 850);
}

int
main(void)
{
	test_mac_slot();
	test_vlan_parse();
	test_access_ingress();
	test_port_security();
	test_mac_key();
	test_counter_names();
	printf("fp_l2_test: %s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
