/* SPDX-License-Identifier: Apache-2.0 */
/* ARP for the tunnel endpoint without EAL: a request and a reply as a
 * capture shows them, the answer to a who-has for our address and to
 * nothing else, and malformed or hostile ARP (truncated at every length up
 * to a guard page, other hardware or protocol types, group and zero
 * senders, other operations). */
#include <stdio.h>
#include <string.h>

#include "dp/fp_arp.h"
#include "fp_check.h"

static const uint8_t my_mac[6] = { 0x02, 0x0e, 0, 0, 0, 1 };
static const uint8_t my_ip[4] = { 192, 168, 50, 1 };
static const uint8_t nh_mac[6] = { 0x02, 0x0e, 0, 0, 0, 2 };
static const uint8_t nh_ip[4] = { 192, 168, 50, 254 };

static void
test_request_and_reply(void)
{
	uint8_t req[64] = { 0 }, rep[64] = { 0 };
	static const uint8_t expect_req[42] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x0e, 0, 0, 0, 1, 0x08, 0x06,
		0, 1, 0x08, 0, 6, 4, 0, 1,
		0x02, 0x0e, 0, 0, 0, 1, 192, 168, 50, 1,
		0, 0, 0, 0, 0, 0, 192, 168, 50, 254,
	};
	struct fp_arp a, b;

	fp_arp_request(req, my_mac, my_ip, nh_ip);
	CHECK(memcmp(req, expect_req, sizeof(expect_req)) == 0);
	/* The next hop answers it as we would answer its request. */
	CHECK(fp_arp_parse(req, 60, &a) == 0 && a.op == FP_ARP_OP_REQUEST);
	CHECK(fp_arp_reply(rep, &a, nh_mac, nh_ip) == 0);
	CHECK(memcmp(rep, my_mac, 6) == 0 && memcmp(rep + 6, nh_mac, 6) == 0);
	CHECK(fp_arp_parse(rep, 42, &b) == 0 && b.op == FP_ARP_OP_REPLY);
	CHECK(memcmp(b.sha, nh_mac, 6) == 0 && memcmp(b.spa, nh_ip, 4) == 0);
	CHECK(memcmp(b.tha, my_mac, 6) == 0 && memcmp(b.tpa, my_ip, 4) == 0);
	CHECK(memcmp(b.eth_src, nh_mac, 6) == 0);
}

static void
test_answers_only_for_us(void)
{
	uint8_t req[64] = { 0 }, out[64];
	static const uint8_t other[4] = { 192, 168, 50, 9 };
	struct fp_arp a;

	fp_arp_request(req, nh_mac, nh_ip, other); /* who has .9: not us */
	CHECK(fp_arp_parse(req, 42, &a) == 0 && fp_arp_reply(out, &a, my_mac, my_ip) == -ENOENT);
	fp_arp_request(req, nh_mac, my_ip, my_ip); /* gratuitous, claiming our address */
	CHECK(fp_arp_parse(req, 42, &a) == 0 && fp_arp_reply(out, &a, my_mac, my_ip) == -ENOENT);
	fp_arp_request(req, nh_mac, nh_ip, my_ip);
	CHECK(fp_arp_parse(req, 42, &a) == 0 && fp_arp_reply(out, &a, my_mac, my_ip) == 0);
	a.op = FP_ARP_OP_REPLY; /* a reply asks nothing */
	CHECK(fp_arp_reply(out, &a, my_mac, my_ip) == -ENOENT);
}

static void
test_hostile(void)
{
	uint8_t *end = fp_guarded_end();
	uint8_t f[64] = { 0 }, g[64];
	struct fp_arp a;

	fp_arp_request(f, nh_mac, nh_ip, my_ip);
	if (end == NULL)
		return;
	for (uint32_t n = 0; n <= 42; n++) { /* every prefix, ending at the guard */
		uint8_t *p = end - n;

		memcpy(p, f, n);
		CHECK(fp_arp_parse(p, n, &a) == (n == 42 ? 0 : n < 14 ? -ENOENT : -EINVAL));
	}
	fp_guard_release(end);

#define MUTATE(stmt, want)                                  \
	do {                                                \
		memcpy(g, f, sizeof(g));                    \
		stmt;                                       \
		CHECK(fp_arp_parse(g, 60, &a) == (want));   \
	} while (0)
	MUTATE((void)0, 0);
	MUTATE(g[13] = 0x00, -ENOENT);          /* IPv4, not ARP */
	MUTATE(g[15] = 6, -EINVAL);             /* IEEE 802 hardware type */
	MUTATE(g[16] = 0x86; g[17] = 0xdd, -EINVAL); /* IPv6 protocol type */
	MUTATE(g[18] = 8, -EINVAL);             /* hlen 8 */
	MUTATE(g[19] = 16, -EINVAL);            /* plen 16 */
	MUTATE(g[21] = 3, -EINVAL);             /* RARP request */
	MUTATE(g[20] = 1, -EINVAL);             /* op 257 */
	MUTATE(g[22] = 0x01, -EINVAL);          /* a multicast sender */
	MUTATE(memset(g + 22, 0xff, 6), -EINVAL); /* broadcast sender */
	MUTATE(memset(g + 22, 0, 6), -EINVAL);  /* zero sender */
#undef MUTATE
}

int
main(void)
{
	test_request_and_reply();
	test_answers_only_for_us();
	test_hostile();
	if (failures)
		return 1;
	printf("fp_arp_test: ok\n");
	return 0;
}
