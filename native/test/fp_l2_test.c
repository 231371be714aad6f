/* SPDX-License-Identifier: Apache-2.0 */
/* Frame classification and counter-name tables, without EAL. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "dp/fp_l2.h"
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

int
main(void)
{
	test_vlan_parse();
	test_mac_key();
	test_counter_names();
	printf("fp_l2_test: %s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
