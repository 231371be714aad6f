/* SPDX-License-Identifier: Apache-2.0 */
/* VXLAN outer headers without EAL: what encapsulation writes (checked by
 * an independent reading, as a capture would), that parsing finds the
 * inner frame again, and every way a hostile underlay frame can lie:
 * truncation at every length (ending at a guard page), lengths that
 * disagree, fragments, options, checksums, flags, padding. */
#include <stdio.h>
#include <string.h>

#include "dp/fp_vxlan.h"
#include "fp_check.h"

static const uint8_t nh_mac[6] = { 0x02, 0x0e, 0, 0, 0, 2 };
static const uint8_t my_mac[6] = { 0x02, 0x0e, 0, 0, 0, 1 };
static const uint8_t my_ip[4] = { 192, 168, 50, 1 };
static const uint8_t peer_ip[4] = { 192, 168, 50, 2 };

/* An inner frame of n bytes: Ethernet, then a counting pattern. */
static void
inner_frame(uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 11 + 3);
	p[12] = 0x08;
	p[13] = 0x00;
}

/* The RFC 1071 checksum, written out again rather than shared. */
static uint16_t
ref_csum(const uint8_t *p, unsigned n)
{
	uint32_t s = 0;

	for (unsigned i = 0; i < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Encapsulate an inner frame of n bytes into buf; returns the total. */
static uint32_t
encap(uint8_t *buf, uint32_t n, uint32_t vni, uint16_t entropy)
{
	struct fp_vxlan_tmpl t;

	CHECK(fp_vxlan_tmpl_init(&t, nh_mac, my_mac, my_ip, peer_ip, vni) == 0);
	inner_frame(buf + FP_VXLAN_HDR_LEN, n);
	fp_vxlan_encap(&t, buf, (uint16_t)n, entropy);
	return FP_VXLAN_HDR_LEN + n;
}

static void
test_encap_reads_back(void)
{
	uint8_t buf[2048];
	uint32_t sizes[] = { 14, 60, 64, 1500, 1514, 1986 };

	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint32_t n = sizes[s], total = encap(buf, n, 0xabcdef, (uint16_t)(s * 7919));
		const uint8_t *ip = buf + 14, *udp = ip + 20, *vx = udp + 8;
		struct fp_vxlan_rx rx;

		/* What a capture would show, read field by field. */
		CHECK(memcmp(buf, nh_mac, 6) == 0 && memcmp(buf + 6, my_mac, 6) == 0);
		CHECK(buf[12] == 0x08 && buf[13] == 0x00);
		CHECK(ip[0] == 0x45 && (uint32_t)(ip[2] << 8 | ip[3]) == n + 36);
		CHECK(ip[6] == 0x40 && ip[7] == 0 && ip[8] == 64 && ip[9] == 17);
		CHECK(ref_csum(ip, 20) == 0);
		CHECK(memcmp(ip + 12, my_ip, 4) == 0 && memcmp(ip + 16, peer_ip, 4) == 0);
		CHECK((udp[0] << 8 | udp[1]) >= 49152);
		CHECK((udp[2] << 8 | udp[3]) == 4789 && (uint32_t)(udp[4] << 8 | udp[5]) == n + 16);
		CHECK(udp[6] == 0 && udp[7] == 0);
		CHECK(vx[0] == 0x08 && vx[1] == 0 && vx[2] == 0 && vx[3] == 0 && vx[7] == 0);
		CHECK(vx[4] == 0xab && vx[5] == 0xcd && vx[6] == 0xef);

		CHECK(fp_vxlan_parse(buf, total, &rx) == 0);
		CHECK(rx.vni == 0xabcdef && rx.inner_off == 50 && rx.inner_len == n);
		CHECK(memcmp(rx.src_ip, my_ip, 4) == 0 && memcmp(rx.dst_ip, peer_ip, 4) == 0);
		/* Ethernet padding after the packet is not inner data. */
		CHECK(fp_vxlan_parse(buf, total + 6, &rx) == 0 && rx.inner_len == n);
	}
	/* The flow's entropy goes into the source port, and only there. */
	{
		uint8_t a[128], b[128];

		encap(a, 64, 5, 1);
		encap(b, 64, 5, 2);
		CHECK(a[34] == b[34] && a[35] != b[35] && memcmp(a, b, 34) == 0 && memcmp(a + 36, b + 36, 78) == 0);
	}
	struct fp_vxlan_tmpl t;

	CHECK(fp_vxlan_tmpl_init(&t, nh_mac, my_mac, my_ip, peer_ip, 1u << 24) == -EINVAL);
	CHECK(fp_vxlan_tmpl_init(&t, nh_mac, my_mac, my_ip, peer_ip, FP_VXLAN_VNI_MAX) == 0);
}

static void
test_mtu(void)
{
	/* A 1500-byte IP packet (1514-byte frame) needs an underlay of 1550. */
	CHECK(fp_vxlan_fits(1514, 1550));
	CHECK(!fp_vxlan_fits(1514, 1549));
	CHECK(fp_vxlan_fits(1464, 1500) && !fp_vxlan_fits(1465, 1500));
	CHECK(!fp_vxlan_fits(13, 9000)); /* not even an Ethernet header */
}

/*
 * Every prefix of a valid frame, placed so that it ends right at a
 * PROT_NONE page: the parser must refuse it (or find a shorter packet
 * only when the lengths say so) and never read past it.
 */
static void
test_truncation(void)
{
	uint8_t *end = fp_guarded_end();
	uint8_t full[256];
	uint32_t total = encap(full, 100, 42, 9);

	if (end == NULL)
		return;
	for (uint32_t n = 0; n <= total; n++) {
		uint8_t *f = end - n;
		struct fp_vxlan_rx rx;
		int rc;

		memcpy(f, full, n);
		rc = fp_vxlan_parse(f, n, &rx);
		if (n == total)
			CHECK(rc == 0 && rx.inner_len == 100);
		else if (n < 34)
			CHECK(rc == -ENOENT); /* not even an IPv4 header: not ours to judge */
		else
			CHECK(rc == -EINVAL);
	}
	fp_guard_release(end);
}

/* A valid frame with one thing changed, and what the parser must say. */
static void
test_hostile_headers(void)
{
	uint8_t f[256], g[256];
	uint32_t total = encap(f, 80, 7, 3), n;
	struct fp_vxlan_rx rx;

#define MUTATE(stmt, want)                                          \
	do {                                                        \
		memcpy(g, f, sizeof(g));                            \
		n = total;                                          \
		stmt;                                               \
		CHECK(fp_vxlan_parse(g, n, &rx) == (want));         \
	} while (0)
	/* Recompute the IPv4 checksum after a change, as an attacker would. */
#define RESUM()                                                     \
	do {                                                        \
		uint32_t ihl_ = (uint32_t)(g[14] & 0x0f) * 4;       \
		g[24] = g[25] = 0;                                  \
		uint16_t c_ = ref_csum(g + 14, ihl_);               \
		g[24] = (uint8_t)(c_ >> 8);                         \
		g[25] = (uint8_t)c_;                                \
	} while (0)

	MUTATE((void)0, 0);
	MUTATE(g[12] = 0x08; g[13] = 0x06, -ENOENT);            /* ARP */
	MUTATE(g[12] = 0x86; g[13] = 0xdd, -ENOENT);            /* IPv6 */
	MUTATE(g[12] = 0x81; g[13] = 0x00, -ENOENT);            /* a tagged underlay */
	MUTATE(g[14] = 0x65; RESUM(), -ENOENT);                 /* IP version 6 in an IPv4 type */
	MUTATE(g[23] = 6; RESUM(), -ENOENT);                    /* TCP */
	MUTATE(g[36] = 0x12; g[37] = 0xb6; RESUM(), -ENOENT);   /* UDP 4790 */
	MUTATE(g[14] = 0x44; RESUM(), -EINVAL);                 /* IHL 4 */
	MUTATE(g[14] = 0x4f; RESUM(), -ENOENT);                 /* 40 bytes of options: UDP moves into data, */
	MUTATE(g[14] = 0x4f; g[76] = 0x12; g[77] = 0xb5; RESUM(), -EINVAL); /* ... to 4789: lengths disagree */
	MUTATE(n = 70; g[14] = 0x4f; RESUM(), -EINVAL);         /* options the frame does not hold */
	MUTATE(g[20] = 0x20; RESUM(), -EMSGSIZE);               /* MF */
	MUTATE(g[21] = 0x01; RESUM(), -EMSGSIZE);               /* an offset */
	MUTATE(g[20] = 0x60; RESUM(), -EMSGSIZE);               /* DF and MF */
	MUTATE(g[25] ^= 1, -EINVAL);                            /* checksum */
	MUTATE(g[16] = 0xff; g[17] = 0xff; RESUM(), -EINVAL);   /* total length past the frame */
	MUTATE(g[17] = (uint8_t)(g[17] - 1); RESUM(), -EINVAL); /* UDP length disagrees */
	MUTATE(g[38] = 0; g[39] = 8, -EINVAL);                  /* UDP length: no VXLAN header */
	MUTATE(g[39] = (uint8_t)(g[39] + 1), -EINVAL);          /* UDP length past the packet */
	MUTATE(g[42] = 0, -EINVAL);                             /* I flag clear */
	MUTATE(g[42] = 0xff, 0);                                /* reserved bits: ignored (RFC 7348) */
	/* The shortest inner frame (14 bytes) passes; 13 does not. */
	total = encap(f, 14, 7, 3);
	MUTATE((void)0, 0);
	MUTATE(g[16] = 0; g[17] = (uint8_t)(g[17] - 1); g[39] = (uint8_t)(g[39] - 1); RESUM(); n--, -EINVAL);
	/* IPv4 options (IHL 6) move the UDP header; the parser follows. */
	{
		uint8_t h[256];
		uint32_t m = encap(h, 60, 99, 1);

		memcpy(g, h, 34);
		memset(g + 34, 0, 4);            /* 4 bytes of options (NOPs would be 1s; any bytes) */
		memcpy(g + 38, h + 34, m - 34);
		g[14] = 0x46;
		g[16] = (uint8_t)((m - 14 + 4) >> 8);
		g[17] = (uint8_t)(m - 14 + 4);
		RESUM();
		CHECK(fp_vxlan_parse(g, m + 4, &rx) == 0 && rx.vni == 99 && rx.inner_off == 54 && rx.inner_len == 60);
	}
#undef MUTATE
#undef RESUM
}

int
main(void)
{
	test_encap_reads_back();
	test_mtu();
	test_truncation();
	test_hostile_headers();
	if (failures)
		return 1;
	printf("fp_vxlan_test: ok\n");
	return 0;
}
