/* SPDX-License-Identifier: Apache-2.0 */
/*
 * memif rx and tx bursts on a worker (copy mode, fastpath as server). The
 * tenant's descriptors are read once into locals and checked before use:
 * see src/common/fp_memif_shm.h. No system calls, no allocation beyond
 * mbufs, no logging. @pre worker lcore; rx: the worker polling queue q;
 * tx: the holder of tx queue q.
 */
#ifndef FP_MEMIF_DP_H
#define FP_MEMIF_DP_H

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_memcpy.h>

#include "../common/fp_memif_shm.h"

/* Append len bytes to the mbuf chain head..*tail. 0, or -1 out of mbufs. */
static inline int
fp_memif_append(struct rte_mempool *mp, struct rte_mbuf *head, struct rte_mbuf **tail,
		const uint8_t *src, uint32_t len)
{
	while (len > 0) {
		struct rte_mbuf *t = *tail;
		uint16_t room = rte_pktmbuf_tailroom(t), c;

		if (room == 0) {
			struct rte_mbuf *s = rte_pktmbuf_alloc(mp);
			if (unlikely(s == NULL))
				return -1;
			t->next = s;
			head->nb_segs++;
			*tail = s;
			continue;
		}
		c = len < room ? (uint16_t)len : room;
		rte_memcpy(rte_pktmbuf_mtod_offset(t, uint8_t *, t->data_len), src, c);
		t->data_len += c;
		head->pkt_len += c;
		src += c;
		len -= c;
	}
	return 0;
}

/*
 * Frames the client put on ring q, up to max, copied into mbufs. *bad is set
 * when the ring or a descriptor is invalid (the caller reports the peer).
 * A frame whose last slot is not yet published stays for the next poll.
 */
static inline uint16_t
fp_memif_rx(struct fp_memif_dp *d, uint16_t q, struct rte_mempool *mp, struct rte_mbuf **pkts,
	    uint16_t max, int *bad)
{
	struct fp_memif_dp_ring *r;
	struct fp_memif_ring *ring;
	uint16_t head, avail, cur, got = 0;

	if (q >= d->n_c2s)
		return 0;
	r = &d->c2s[q];
	ring = r->ring;
	head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
	cur = r->last;
	avail = (uint16_t)(head - cur);
	if (avail == 0)
		return 0;
	if (unlikely(avail > (uint16_t)(r->mask + 1))) {
		*bad = 1; /* a head no producer could have written */
		return 0;
	}
	while (avail > 0 && got < max) {
		uint16_t start = cur;
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp), *tail = m;
		int complete = 0;

		if (unlikely(m == NULL))
			break;
		while (avail > 0) {
			const volatile struct fp_memif_desc *dv = &ring->desc[cur & r->mask];
			uint16_t flags = dv->flags, region = dv->region;
			uint32_t len = dv->length, off = dv->offset;
			const uint8_t *src = fp_memif_buf(d, region, off, len);

			cur++;
			avail--;
			if (unlikely(src == NULL || m->pkt_len + len > FP_MEMIF_MAX_FRAME)) {
				rte_pktmbuf_free(m);
				*bad = 1;
				goto out;
			}
			if (unlikely(fp_memif_append(mp, m, &tail, src, len) != 0)) {
				rte_pktmbuf_free(m);
				cur = start; /* out of mbufs: retry the frame later */
				goto out;
			}
			if (!(flags & FP_MEMIF_DESC_FLAG_NEXT)) {
				complete = 1;
				break;
			}
		}
		if (!complete) {
			rte_pktmbuf_free(m);
			cur = start; /* the rest of the chain is not published yet */
			break;
		}
		pkts[got++] = m;
	}
out:
	r->last = cur;
	__atomic_store_n(&ring->tail, cur, __ATOMIC_RELEASE);
	return got;
}

/*
 * Copy frames into the buffers the client posted on ring q (it posts a
 * buffer by writing its descriptor and moving head; its length is the
 * buffer's capacity). Returns how many frames were sent; the caller keeps
 * ownership of every mbuf (they were copied). *bytes: bytes sent.
 */
static inline uint16_t
fp_memif_tx(struct fp_memif_dp *d, uint16_t q, struct rte_mbuf **pkts, uint16_t n,
	    uint64_t *bytes, int *bad)
{
	struct fp_memif_dp_ring *r;
	struct fp_memif_ring *ring;
	uint16_t head, free_slots, slot, sent = 0;

	if (unlikely(q >= d->n_s2c))
		return 0;
	r = &d->s2c[q];
	ring = r->ring;
	head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
	slot = r->last;
	free_slots = (uint16_t)(head - slot);
	if (unlikely(free_slots > (uint16_t)(r->mask + 1))) {
		*bad = 1;
		return 0;
	}
	for (; sent < n; sent++) {
		const struct rte_mbuf *seg = pkts[sent];
		uint16_t start = slot;
		uint32_t seg_off = 0, left = rte_pktmbuf_pkt_len(seg);

		do {
			volatile struct fp_memif_desc *dv;
			uint16_t region;
			uint32_t off, cap, done = 0;
			uint8_t *dst;

			if (free_slots == 0) {
				slot = start; /* no room for the whole frame */
				goto out;
			}
			dv = &ring->desc[slot & r->mask];
			region = dv->region;
			off = dv->offset;
			cap = dv->length;
			dst = fp_memif_buf(d, region, off, cap);
			if (unlikely(dst == NULL || cap == 0)) {
				*bad = 1;
				slot = start;
				goto out;
			}
			while (done < cap && left > 0) {
				uint32_t c = seg->data_len - seg_off;
				if (c == 0) {
					if (seg->next == NULL)
						break; /* pkt_len promised more than the segments hold */
					seg = seg->next;
					seg_off = 0;
					continue;
				}
				if (c > cap - done)
					c = cap - done;
				rte_memcpy(dst + done, rte_pktmbuf_mtod_offset(seg, const uint8_t *, seg_off), c);
				done += c;
				left -= c;
				seg_off += c;
			}
			if (done < cap && left > 0)
				left = 0;
			dv->length = done;
			dv->flags = left > 0 ? FP_MEMIF_DESC_FLAG_NEXT : 0;
			slot++;
			free_slots--;
		} while (left > 0);
		*bytes += rte_pktmbuf_pkt_len(pkts[sent]);
	}
out:
	r->last = slot;
	__atomic_store_n(&ring->tail, slot, __ATOMIC_RELEASE);
	return sent;
}

#endif
