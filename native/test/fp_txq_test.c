/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tx queue flow hash on what a tenant can send: frames of every length
 * from 0 to a full header chain, cut off right before an unreadable page,
 * so a read past the frame crashes the test; one flow always hashes the
 * same, fragments never by ports, and the queue pick stays in range.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_mbuf.h>

#include "dp/fp_txq.h"
#include "fp_check.h"

static uint8_t *page; /* one readable page followed by a PROT_NONE one */
static long psz;

/* An mbuf whose len bytes end exactly at the guard page. */
static uint32_t
hash_tail(const uint8_t *frame, uint32_t len)
{
	struct rte_mbuf m;
	uint8_t *at = page + psz - len;

	memcpy(at, frame, len);
	memset(&m, 0, sizeof(m));
	m.buf_addr = at;
	m.data_off = 0;
	m.data_len = (uint16_t)len;
	m.pkt_len = len;
	return fp_flow_hash(&m);
}

static size_t
udp4(uint8_t *f, uint16_t sport, uint16_t frag, int vlan)
{
	size_t o = 12;

	memset(f, 0, 128);
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (vlan) {
		f[o++] = 0x81, f[o++] = 0x00, f[o++] = 0x00, f[o++] = 0x0a;
	}
	f[o++] = 0x08, f[o++] = 0x00;
	f[o] = 0x45;
	f[o + 6] = (uint8_t)(frag >> 8), f[o + 7] = (uint8_t)frag;
	f[o + 9] = 17; /* UDP */
	memcpy(f + o + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	f[o + 20] = (uint8_t)(sport >> 8), f[o + 21] = (uint8_t)sport, f[o + 23] = 53;
	return o + 28;
}

static size_t
tcp6(uint8_t *f, uint16_t sport)
{
	memset(f, 0, 128);
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x86\xdd", 14);
	f[14] = 0x60, f[20] = 6; /* next header TCP */
	f[22 + 15] = 1, f[38 + 15] = 2;
	f[54] = (uint8_t)(sport >> 8), f[55] = (uint8_t)sport, f[57] = 80;
	return 54 + 20;
}

int
main(void)
{
	uint8_t f[128];
	size_t n;

	psz = sysconf(_SC_PAGESIZE);
	page = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(page != MAP_FAILED);
	CHECK(mprotect(page + psz, psz, PROT_NONE) == 0);

	/* Every truncation of every shape: no read past the frame. */
	for (int shape = 0; shape < 3; shape++) {
		n = shape == 0 ? udp4(f, 1000, 0, 0) : shape == 1 ? udp4(f, 1000, 0, 1) : tcp6(f, 1000);
		for (uint32_t len = 0; len <= n; len++)
			(void)hash_tail(f, len);
	}

	/* One flow, one hash; another source port, another hash. */
	n = udp4(f, 1000, 0, 0);
	CHECK(hash_tail(f, n) == hash_tail(f, n));
	uint32_t a = hash_tail(f, n);
	n = udp4(f, 1001, 0, 0);
	CHECK(hash_tail(f, n) != a);
	/* A tag does not change the flow. */
	n = udp4(f, 1000, 0, 1);
	CHECK(hash_tail(f, n) == a);
	/* Fragments (first and later) hash by addresses only, so the fragments
	 * of one datagram stay on one queue whatever the ports say. */
	n = udp4(f, 1000, 0x2000, 0);
	uint32_t fr = hash_tail(f, n);
	n = udp4(f, 4242, 0x2000, 0);
	CHECK(hash_tail(f, n) == fr);
	n = udp4(f, 4242, 0x0010, 0);
	CHECK(hash_tail(f, n) == fr);
	n = tcp6(f, 1000);
	uint32_t t6 = hash_tail(f, n);
	n = tcp6(f, 1001);
	CHECK(hash_tail(f, n) != t6);

	/* The pick stays below the number of queues, and uses them all. */
	for (unsigned q = 1; q <= 16; q++) {
		unsigned seen = 0;
		for (uint32_t i = 0; i < 4096; i++) {
			unsigned k = fp_txq_pick(i * 2654435761u, q);
			CHECK(k < q);
			seen |= 1u << k;
		}
		CHECK(seen == (q == 32 ? ~0u : (1u << q) - 1));
	}
	CHECK(fp_txq_pick(UINT32_MAX, 16) == 15 && fp_txq_pick(0, 16) == 0);
	return failures ? 1 : 0;
}
