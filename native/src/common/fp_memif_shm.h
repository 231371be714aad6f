/* SPDX-License-Identifier: Apache-2.0 */
/*
 * memif shared memory (protocol version 2.0) as a memif server sees it, and
 * what fp-ctl publishes for the workers of a connected memif port.
 *
 * In memif the client owns all the memory: it creates the regions, puts the
 * rings and the packet buffers in them and hands us file descriptors. So
 * every ring index, descriptor and length we read from a region was written
 * by the tenant, possibly while we read it. The data path therefore copies a
 * descriptor's fields once into locals, checks them (region index, offset
 * plus length inside the region) and uses only the copies; a bad one ends
 * the connection (FP_PEER_bad_ring). DPDK's net_memif PMD (22.11, and 23.11)
 * indexes its region table and computes buffer addresses straight from the
 * peer's descriptors, which lets a peer read and write our memory, so
 * fastpath serves memif itself.
 */
#ifndef FP_MEMIF_SHM_H
#define FP_MEMIF_SHM_H

#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>

#include "fp/fp.h"

#define FP_MEMIF_COOKIE 0x3E31F20u
#define FP_MEMIF_RING_FLAG_MASK_INT 1 /* the reader polls: no interrupts */
#define FP_MEMIF_DESC_FLAG_NEXT 1     /* the frame goes on in the next slot */
#define FP_MEMIF_MAX_REGIONS 16       /* per connection */
#define FP_MEMIF_MAX_LOG2_RING 14
#define FP_MEMIF_MAX_FRAME 9216       /* bytes; longer frames end the connection */

struct fp_memif_desc {
	uint16_t flags;
	uint16_t region;
	uint32_t length;
	uint32_t offset;
	uint32_t metadata;
} __attribute__((packed));

struct fp_memif_ring {
	uint32_t cookie;
	uint16_t flags;
	uint16_t head;        /* written by the ring's producer */
	uint8_t pad0[56];
	uint16_t tail;        /* written by the ring's consumer */
	uint8_t pad1[62];
	struct fp_memif_desc desc[];
};

_Static_assert(sizeof(struct fp_memif_desc) == 16, "memif descriptor");
_Static_assert(offsetof(struct fp_memif_ring, tail) == 64, "memif ring: tail on line 1");
_Static_assert(offsetof(struct fp_memif_ring, desc) == 128, "memif ring: descriptors on line 2");

/* One ring as a worker uses it. `last` is the worker's own position: for a
 * client-to-server ring, the head it has consumed up to (it publishes it as
 * tail); for a server-to-client ring, the slot it fills next (published as
 * tail). Never read back from shared memory, which the tenant can change. */
struct fp_memif_dp_ring {
	struct fp_memif_ring *ring;
	uint16_t mask;  /* ring size - 1 */
	uint16_t last;  /* dp: rw (the worker polling / the tx queue's owner) */
} __rte_cache_aligned;

struct fp_memif_dp_region {
	uint8_t *addr;
	uint64_t size;  /* bytes the tenant declared; its file holds them all */
};

/* Immutable but for the rings' `last`; published by fp-ctl with the port's
 * link (p->memif_dp, release) and freed after a grace period. */
struct fp_memif_dp {
	uint32_t token;  /* port token and connection number, for fault reports */
	uint32_t conn;
	uint16_t n_regions;
	uint16_t n_c2s;  /* rings from the client: our rx queues */
	uint16_t n_s2c;  /* rings to the client: our tx queues */
	struct fp_memif_dp_region region[FP_MEMIF_MAX_REGIONS];
	struct fp_memif_dp_ring c2s[FP_MAX_QUEUES];
	struct fp_memif_dp_ring s2c[FP_MAX_QUEUES];
};

/* A buffer the tenant names, if it lies inside one of its regions. */
static inline uint8_t *
fp_memif_buf(const struct fp_memif_dp *d, uint16_t region, uint32_t offset, uint32_t len)
{
	if (unlikely(region >= d->n_regions ||
		     (uint64_t)offset + len > d->region[region].size))
		return NULL;
	return d->region[region].addr + offset;
}

#endif
