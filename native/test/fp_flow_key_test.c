/* SPDX-License-Identifier: Apache-2.0 */
/* The classifier key of hand-built frames, without EAL: byte order, VLAN
 * offsets, IPv4/IPv6, L4 ports and TCP flags, fragments, truncation. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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
	return (uint32_t)(ip - f) + 40; /* 20 of IP, 20 of TCP */
}

static void
test_ipv4(void)
{
	uint8_t f[128];
	struct fp_flow_key k;
	struct fp_flow_parse p;
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
	p = fp_flow_key_build(&k, f, len, 0, 0, 3);
	CHECK(k.proto == 6 && k.nw_dst[0] != 0 && k.tp_dst == 0 && k.tcp_flags == 0);
	CHECK(k.l4 == (FP_FLOW_L4_FRAG | FP_FLOW_L4_LATER) && !p.no_l4);

	len = ipv4_tcp(f, 0, 0x2000); /* the first fragment (MF): ports are there */
	fp_flow_key_build(&k, f, len, 0, 0, 3);
	CHECK(k.l4 == (FP_FLOW_L4_FRAG | FP_FLOW_L4_PRESENT) && k.tp_dst == fp_flow_be16(80));

	len = ipv4_tcp(f, 0, 0);
	p = fp_flow_key_build(&k, f, len, 0, 0, 3);
	CHECK(k.l4 == FP_FLOW_L4_PRESENT && p.span == 14 + 20 + 20 && !p.cut && !p.no_l4);
	p = fp_flow_key_build(&k, f, 14 + 22, 0, 0, 3); /* L4 cut short */
	CHECK(k.proto == 6 && k.tp_src == 0 && k.l4 == 0 && p.cut && p.no_l4);
	p = fp_flow_key_build(&k, f, 14 + 30, 0, 0, 3); /* a TCP header of 10 bytes */
	CHECK(k.tp_src == 0 && k.l4 == 0 && p.no_l4);
	p = fp_flow_key_build(&k, f, 14 + 10, 0, 0, 3); /* IPv4 header cut short */
	CHECK(k.proto == 0 && k.nw_src[0] == 0 && k.dl_type == fp_flow_be16(0x0800) && p.cut);
}

/* 40 bytes of IP options: the TCP header starts at byte 74. */
static void
test_ipv4_options(void)
{
	uint8_t f[160] = { 0 }, *ip = f + 14, *tcp = ip + 60;
	struct fp_flow_key k;
	struct fp_flow_parse p;

	f[12] = 0x08;
	ip[0] = 0x4f; /* IHL 15 */
	ip[9] = 6;
	memset(ip + 20, 0x01, 40); /* NOPs */
	tcp[2] = 0x00; tcp[3] = 22;
	tcp[12] = 0x50; tcp[13] = 0x02;
	p = fp_flow_key_build(&k, f, 14 + 60 + 20, 0, 0, 1);
	CHECK(k.tp_dst == fp_flow_be16(22) && k.l4 == FP_FLOW_L4_PRESENT);
	/* The key depends on everything up to the end of the TCP header. */
	CHECK(p.span == 14 + 60 + 20 && !p.cut);
	p = fp_flow_key_build(&k, f, 14 + 50, 0, 0, 1); /* options cut short */
	CHECK(k.proto == 0 && p.cut);
}

static uint32_t
ipv6_head(uint8_t *f, uint8_t next)
{
	memset(f, 0, 512);
	f[12] = 0x86; f[13] = 0xdd;
	f[14] = 0x60; f[14 + 6] = next;
	f[14 + 8] = 0xfd; f[14 + 23] = 1;
	f[14 + 24] = 0xfd; f[14 + 39] = 2;
	return 14 + 40;
}

static void
test_ipv6_extension_headers(void)
{
	uint8_t f[512], *e;
	struct fp_flow_key k;
	struct fp_flow_parse p;
	uint32_t off;

	/* destination options (16 bytes) then TCP to port 22 */
	off = ipv6_head(f, 60);
	e = f + off;
	e[0] = 6; e[1] = 1;
	e[16 + 2] = 0; e[16 + 3] = 22; e[16 + 12] = 0x50;
	p = fp_flow_key_build(&k, f, off + 16 + 20, 0, 0, 0);
	CHECK(k.proto == 6 && k.tp_dst == fp_flow_be16(22) && k.l4 == FP_FLOW_L4_PRESENT && !p.no_l4);
	CHECK(p.span == off + 16 + 20);

	/* hop-by-hop, routing, AH (12 bytes: length 1), then UDP */
	off = ipv6_head(f, 0);
	e = f + off;
	e[0] = 43; e[1] = 0;           /* hop-by-hop, 8 bytes */
	e[8] = 51; e[9] = 0;           /* routing, 8 bytes */
	e[16] = 17; e[17] = 1;         /* AH: (1 + 2) * 4 = 12 bytes */
	e[28] = 0x13; e[29] = 0x88; e[30] = 0; e[31] = 53;
	fp_flow_key_build(&k, f, off + 28 + 8, 0, 0, 0);
	CHECK(k.proto == 17 && k.tp_src == fp_flow_be16(5000) && k.tp_dst == fp_flow_be16(53));

	/* nine destination-options headers: over the bound, no L4 */
	off = ipv6_head(f, 60);
	for (int i = 0; i < 9; i++) {
		f[off + 8 * i] = i < 8 ? 60 : 6;
		f[off + 8 * i + 1] = 0;
	}
	p = fp_flow_key_build(&k, f, off + 72 + 20, 0, 0, 0);
	CHECK(k.l4 == 0 && k.tp_dst == 0 && p.no_l4 && k.proto == 60);
	/* eight are fine */
	f[off + 8 * 7] = 6;
	p = fp_flow_key_build(&k, f, off + 64 + 20, 0, 0, 0);
	CHECK(k.proto == 6 && k.l4 == FP_FLOW_L4_PRESENT && !p.no_l4);

	/* an extension header claiming more bytes than the frame has */
	off = ipv6_head(f, 60);
	f[off] = 6; f[off + 1] = 200;
	p = fp_flow_key_build(&k, f, off + 64, 0, 0, 0);
	CHECK(k.l4 == 0 && p.no_l4 && p.cut);

	/* fragment header: first fragment (offset 0, M) then TCP */
	off = ipv6_head(f, 44);
	f[off] = 6; f[off + 3] = 1;
	f[off + 8 + 3] = 22; f[off + 8 + 12] = 0x50;
	fp_flow_key_build(&k, f, off + 8 + 20, 0, 0, 0);
	CHECK(k.proto == 6 && k.l4 == (FP_FLOW_L4_FRAG | FP_FLOW_L4_PRESENT) && k.tp_dst == fp_flow_be16(22));
	/* a later fragment (offset 185): no ports, even where the bytes look like TCP */
	f[off + 2] = 0x05; f[off + 3] = 0xc9;
	p = fp_flow_key_build(&k, f, off + 8 + 20, 0, 0, 0);
	CHECK(k.proto == 6 && k.l4 == (FP_FLOW_L4_FRAG | FP_FLOW_L4_LATER) && k.tp_dst == 0 && !p.no_l4);
	/* an atomic fragment (offset 0, no M) is not a fragment */
	f[off + 2] = 0; f[off + 3] = 0;
	fp_flow_key_build(&k, f, off + 8 + 20, 0, 0, 0);
	CHECK(k.l4 == FP_FLOW_L4_PRESENT);

	/* ESP: the walk ends, nothing to read */
	off = ipv6_head(f, 50);
	p = fp_flow_key_build(&k, f, off + 20, 0, 0, 0);
	CHECK(k.proto == 50 && k.l4 == 0 && !p.no_l4);
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
}

/*
 * fp_span_equal: every length from 8 to 200 (both the 8-byte and the 16-byte
 * paths, every tail overlap), a difference at each byte is seen, nothing
 * past n counts, and no byte past n is read: both spans end right at a
 * PROT_NONE page, as a tenant's frame may end at the end of its buffer.
 * fp_flow_ref_match's vector compare likewise over its 64 bytes.
 */
static void
test_span_equal(void)
{
	long psz = sysconf(_SC_PAGESIZE);
	uint8_t *mem = mmap(NULL, (size_t)psz * 4, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(mem != MAP_FAILED);
	if (mem == MAP_FAILED)
		return;
	/* [page A][guard][page B][guard] */
	CHECK(mprotect(mem + psz, (size_t)psz, PROT_NONE) == 0);
	CHECK(mprotect(mem + 3 * psz, (size_t)psz, PROT_NONE) == 0);
	for (uint32_t n = 8; n <= 200; n++) {
		uint8_t *x = mem + psz - n, *y = mem + 3 * psz - n;

		for (uint32_t i = 0; i < n; i++)
			x[i] = y[i] = (uint8_t)(i * 7 + n);
		CHECK(fp_span_equal(x, y, n));
		for (uint32_t i = 0; i < n; i++) {
			y[i] ^= 0x10;
			CHECK(!fp_span_equal(x, y, n));
			y[i] ^= 0x10;
		}
		/* A byte just before the spans is not theirs. */
		x[-1] = 1;
		y[-1] = 2;
		CHECK(fp_span_equal(x, y, n));
	}
	/* fp_flow_ref_match's vector compare: 64 readable bytes ending at
	 * the guard pages, a parse's read bits of every shape; a byte counts
	 * exactly when its bit is set. */
	for (uint32_t n = 0; n < 200; n++) {
		uint8_t *x = mem + psz - 64, *y = mem + 3 * psz - 64;
		struct fp_flow_parse p = { .span = 64, .read = 0 };
		struct fp_flow_ref r = { .vid = FP_FLOW_REF_NONE };

		for (uint32_t i = 0; i < 64; i++) {
			x[i] = y[i] = (uint8_t)(i * 5 + n);
			if ((i * 7 + n * 13) % 5 < 2 || n == 0)
				p.read |= 1ull << i;
		}
		fp_flow_ref_set(&r, x, 64, p, 0, 0, 1);
		CHECK(fp_flow_ref_match(&r, y, 64, 0, 0, 1));
		for (uint32_t i = 0; i < 64; i++) {
			y[i] ^= 0x80;
			CHECK(fp_flow_ref_match(&r, y, 64, 0, 0, 1) == !((p.read >> i) & 1));
			y[i] ^= 0x81;
			CHECK(fp_flow_ref_match(&r, y, 64, 0, 0, 1) == !((p.read >> i) & 1));
			y[i] ^= 0x01;
		}
		/* Not readable for 64: the whole span counts, read or not. */
		y[63] ^= 0x20;
		CHECK(!fp_flow_ref_match(&r, y, 64, 0, 0, 0));
		y[63] ^= 0x20;
		CHECK(fp_flow_ref_match(&r, y, 64, 0, 0, 0));
		CHECK(!fp_flow_ref_match(&r, y, 64, 1, 0, 1)); /* another VLAN */
		CHECK(!fp_flow_ref_match(&r, y, 64, 0, 1, 1)); /* tagged */
		CHECK(!fp_flow_ref_match(&r, y, 63, 0, 0, 1)); /* shorter than the span */
	}
	munmap(mem, (size_t)psz * 4);
}

static uint32_t rng = 12345;

static uint32_t
next_rand(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

/* A key mask with the given key bytes [off, off + len) set. */
static void
mask_bytes(uint64_t *mask, size_t off, size_t len)
{
	memset((uint8_t *)mask + off, 0xff, len);
}

/* a, a frame of a random kind: IPv4 TCP (later fragments too) or IPv6
 * with UDP or a hop-by-hop header, tagged or not; returns its length. */
static uint32_t
random_frame(uint8_t *a, int *tag)
{
	uint32_t r = next_rand(), len;

	*tag = r & 1;
	len = ipv4_tcp(a, *tag, (r & 6) == 0 ? 0x00b9 : 0);
	if (r & 8) {
		uint8_t *ip = a + (*tag ? 18 : 14);

		ip[-2] = 0x86;
		ip[-1] = 0xdd;
		ip[0] = 0x60;
		ip[6] = 17; /* UDP, or one extension header that ends in 64 bytes */
		if (r & 16) {
			ip[6] = r & 32 ? FP_IP6_HOPOPTS : FP_IP6_FRAGMENT;
			ip[40] = FP_IP6_NONE;
			ip[43] = (uint8_t)(r & 64 ? 0x08 : 0x01); /* a later fragment, or MF */
		}
		len = 100;
	}
	return len;
}

/*
 * The promise fp_flow_ref_match makes, for every kind of table: a frame
 * that matches the reference gets the reference's masked key. Frames are
 * a tenant's choice, so b is a random frame a with random bits flipped
 * anywhere in its first 64 bytes (addresses, ethertype, tag, IHL, fragment
 * bits, next headers, ids, checksums, sequence numbers) and a random
 * length. And the point of it: frames of one flow that differ only in
 * what no rule reads (IPv4 id, TTL, checksum, TCP sequence numbers, the
 * addresses when no rule matches them) do match.
 */
static void
test_ref_match(void)
{
	static const struct { size_t off, len; } fields[] = {
		{ offsetof(struct fp_flow_key, nw_dst), 16 },
		{ offsetof(struct fp_flow_key, tp_src), 4 },
		{ offsetof(struct fp_flow_key, dl_dst), 4 }, /* a group of 4 bytes */
		{ offsetof(struct fp_flow_key, dl_dst) + 4, 4 },
		{ offsetof(struct fp_flow_key, dl_src) + 2, 4 },
		{ offsetof(struct fp_flow_key, nw_src), 16 },
		{ offsetof(struct fp_flow_key, dl_type), 4 }, /* with tcp_flags */
	};
	unsigned matched = 0, compared = 0, ids = 0;

	for (unsigned set = 0; set < 128; set++) {
		uint64_t mask[8] = { 0 }, bits;

		mask_bytes(mask, 0, 1); /* proto: every table reads the head */
		for (unsigned f = 0; f < 7; f++)
			if (set & (1u << f))
				mask_bytes(mask, fields[f].off, fields[f].len);
		bits = fp_flow_key_bits(mask);
		/* One reference for the whole run, as in a burst: it keeps its
		 * mask while the layout does, and must not when it changes. */
		struct fp_flow_ref r = { .vid = FP_FLOW_REF_NONE };

		for (unsigned i = 0; i < 64; i++)
			CHECK(((bits >> i) & 1) == (((uint8_t *)mask)[i] != 0));
		for (unsigned t = 0; t < 3000; t++) {
			_Alignas(16) uint8_t a[128], b[128];
			struct fp_flow_key ka, kb;
			int tag;
			uint32_t la = random_frame(a, &tag), lb;
			uint16_t vid = tag ? 100 : 0;
			struct fp_flow_parse pa;
			int id_only = 1;

			memcpy(b, a, sizeof(b));
			for (unsigned c = 1 + next_rand() % 3; c > 0; c--) {
				unsigned at = next_rand() % 64;

				b[at] ^= (uint8_t)(1u << (next_rand() % 8));
				/* IPv4 TOS, length, id, TTL, checksum; TCP
				 * sequence numbers (untagged IPv4 TCP) */
				id_only &= !tag && a[12] == 0x08 &&
					   ((at >= 15 && at < 20) || at == 22 || at == 24 || at == 25 ||
					    (at >= 38 && at < 46));
			}
			lb = (next_rand() & 3) ? la : la - 1 - next_rand() % 30;
			pa = fp_flow_key_parse(&ka, a, la, vid, tag, 1, bits);
			fp_flow_ref_set(&r, a, la, pa, vid, (uint8_t)tag, 1);
			if (!fp_flow_ref_match(&r, b, lb, vid, (uint8_t)tag, 1)) {
				/* A flow's own frames must not miss (when the
				 * ids alone changed and the length did not). */
				CHECK(!(id_only && lb == la && (a[20] & 0x1f) == 0 && a[21] == 0));
				continue;
			}
			compared++;
			fp_flow_key_parse(&kb, b, lb, vid, tag, 1, bits);
			for (unsigned w = 0; w < 8; w++) {
				((fp_key_word *)&ka)[w] &= mask[w];
				((fp_key_word *)&kb)[w] &= mask[w];
			}
			CHECK(memcmp(&ka, &kb, sizeof(ka)) == 0);
			matched += memcmp(a, b, 64) != 0;
			ids += id_only && memcmp(a, b, 64) != 0;
		}
	}
	/* The shortcut is taken, for frames that differ. */
	CHECK(compared > 50000 && matched > 20000 && ids > 1000);
	printf("ref match: %u of %u random pairs matched, %u of them different frames, %u in ids only\n",
	       compared, 128u * 3000u, matched, ids);
}

int
main(void)
{
	test_ref_match();
	test_span_equal();
	test_ipv4();
	test_ipv4_options();
	test_ipv6_udp();
	test_ipv6_extension_headers();
	test_not_ip();
	if (failures)
		return 1;
	printf("fp_flow_key_test: ok\n");
	return 0;
}
