/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flow stage of a burst: build one key per frame, classify the whole
 * burst with one rte_acl_classify() call, then apply each frame's rule
 * (count it, rewrite, and drop / output / flood it, or hand it back for
 * normal L2 switching). Runs only for networks that have a table.
 * @pre worker lcore; the table comes from the snapshot of this iteration.
 */
#ifndef FP_FLOW_DP_H
#define FP_FLOW_DP_H

#include <stdint.h>

#include <rte_acl.h>
#include <rte_mbuf.h>

#include "../common/fp_flow.h"
#include "fp_flow_key.h"
#include "fp_tx.h"

static inline void
fp_flow_drop(struct fp_worker_local *wl, struct fp_port *in, struct rte_mbuf *m)
{
	fp_count(in, wl->idx, FP_PORT_DROP_flow, 1);
	rte_pktmbuf_free(m);
}

/* Rewrites first: the frame is still ours alone (refcnt 1, just received). */
static inline void
fp_flow_rewrite(const struct fp_flow_action_dp *a, struct rte_mbuf *m, uint16_t *vid,
		uint8_t *tagged)
{
	uint8_t *eth = rte_pktmbuf_mtod(m, uint8_t *);

	if (a->set_dst)
		memcpy(eth, a->dst_mac, 6);
	if (a->vlan_op == FP_FLOW_VLAN_POP) {
		if (*tagged)
			rte_vlan_strip(m);
		*tagged = 0;
		*vid = 0;
	} else if (a->vlan_op == FP_FLOW_VLAN_PUSH) {
		if (*tagged) { /* retag in place, keeping the priority bits */
			eth[14] = (uint8_t)((eth[14] & 0xf0) | (a->push_vlan >> 8));
			eth[15] = (uint8_t)a->push_vlan;
		}
		/* Untagged frames get the tag on egress to trunk ports. */
		*vid = a->push_vlan;
	}
}

static inline void
fp_flow_output(struct fp_worker_local *wl, const struct fp_snapshot *s, struct fp_port *in,
	       const struct fp_flow_action_dp *a, struct rte_mbuf *m, uint16_t vid, int tagged)
{
	struct fp_port *out[FP_FLOW_MAX_OUTPUTS];
	unsigned n = 0;

	for (unsigned i = 0; i < a->n_out; i++) {
		struct fp_port *q = fp_port_of_token(s, a->out_token[i]);
		/* Like OpenFlow, output never sends back out of the ingress port. */
		if (q != NULL && q != in)
			out[n++] = q;
	}
	if (n == 0) {
		fp_flow_drop(wl, in, m);
		return;
	}
	if (n > 1)
		rte_mbuf_refcnt_update(m, (int16_t)(n - 1));
	for (unsigned i = 0; i < n; i++)
		fp_tx_enqueue(wl, out[i], m, vid, tagged, FP_TX_UNICAST);
}

/* Returns 1 when the frame goes on to normal switching (vid/tagged may have
 * changed), 0 when this stage consumed it. The caller counts. */
static inline int
fp_flow_apply(struct fp_worker_local *wl, const struct fp_snapshot *s, struct fp_port *in,
	      const struct fp_flow_table *ft, uint32_t r, struct rte_mbuf *m, uint16_t *vid,
	      uint8_t *tagged)
{
	const struct fp_flow_action_dp *a;

	if (r == 0) { /* no rule matched */
		if (ft->miss_drop) {
			fp_flow_drop(wl, in, m);
			return 0;
		}
		return 1;
	}
	a = &ft->act[r];
	if (a->verdict == FP_FLOW_DROP) {
		fp_flow_drop(wl, in, m);
		return 0;
	}
	if (unlikely(a->set_dst | a->vlan_op))
		fp_flow_rewrite(a, m, vid, tagged);
	switch (a->verdict) {
	case FP_FLOW_OUTPUT:
		fp_flow_output(wl, s, in, a, m, *vid, *tagged);
		return 0;
	case FP_FLOW_FLOOD:
		fp_flood(wl, s, in, m, *vid, *tagged);
		return 0;
	case FP_FLOW_PUNT: {
		struct fp_port *k = fp_port_of_token(
			s, __atomic_load_n(&in->netp->kernel_token, __ATOMIC_RELAXED));

		if (k != NULL && k != in)
			fp_tx_enqueue(wl, k, m, *vid, *tagged, FP_TX_PUNT);
		else
			fp_flow_drop(wl, in, m);
		return 0;
	}
	default:
		return 1;
	}
}

/* Keys are one aligned cache line: four vectors (SSE loads and stores may
 * alias anything, so the builder's typed stores are seen). */
static inline void
fp_flow_key_mask(struct fp_flow_key *k, const uint64_t *mask)
{
#ifdef __SSE4_1__
	__m128i *w = (__m128i *)(void *)k;
	const __m128i *m = (const __m128i *)(const void *)mask;

	for (unsigned i = 0; i < sizeof(*k) / 16; i++)
		_mm_store_si128(&w[i], _mm_and_si128(_mm_load_si128(&w[i]), _mm_loadu_si128(&m[i])));
#else
	fp_key_word *w = (fp_key_word *)k;

	for (unsigned i = 0; i < sizeof(*k) / 8; i++)
		w[i] &= mask[i];
#endif
}

static inline int
fp_flow_key_eq(const struct fp_flow_key *a, const struct fp_flow_key *b)
{
#ifdef __SSE4_1__
	const __m128i *x = (const __m128i *)(const void *)a, *y = (const __m128i *)(const void *)b;
	__m128i d = _mm_setzero_si128();

	for (unsigned i = 0; i < sizeof(*a) / 16; i++)
		d = _mm_or_si128(d, _mm_xor_si128(_mm_load_si128(&x[i]), _mm_load_si128(&y[i])));
	return _mm_testz_si128(d, d);
#else
	const fp_key_word *x = (const fp_key_word *)a, *y = (const fp_key_word *)b;
	uint64_t d = 0;

	for (unsigned i = 0; i < sizeof(*a) / 8; i++)
		d |= x[i] ^ y[i];
	return d == 0;
#endif
}

/* Whether an mbuf of ours can be read for 64 bytes from its data. */
static inline int
fp_flow_room64(const struct rte_mbuf *m)
{
	return m->buf_len >= m->data_off + 64u;
}

/* The port a rule's frames go to when it is a plain output to one other
 * port (no rewrite), so a run of them needs no fp_flow_apply; else NULL. */
static inline struct fp_port *
fp_flow_plain_output(const struct fp_snapshot *s, const struct fp_port *in,
		     const struct fp_flow_table *ft, uint32_t r)
{
	const struct fp_flow_action_dp *a = &ft->act[r];
	struct fp_port *q;

	if (r == 0 || a->verdict != FP_FLOW_OUTPUT || a->n_out != 1 || a->set_dst | a->vlan_op)
		return NULL;
	q = fp_port_of_token(s, a->out_token[0]);
	return q != in ? q : NULL; /* NULL: fp_flow_apply drops it, counted */
}

/* Multiply-xor over the words: independent multiplies, no carried chain. */
static inline uint32_t
fp_flow_key_hash(const struct fp_flow_key *k)
{
	const fp_key_word *w = (const fp_key_word *)k;
	uint64_t h = 0;

	for (unsigned i = 0; i < sizeof(*k) / 8; i++)
		h ^= (w[i] + i) * 0x9e3779b97f4a7c15ULL;
	return (uint32_t)((h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ULL >> 32);
}

/* The rule the cache holds for key (hash h) in generation gen, or -1. Only
 * a way whose signature matches has its key read. */
static inline int64_t
fp_flow_cache_find(const struct fp_flow_cache *c, const struct fp_flow_key *key, uint32_t h,
		   uint32_t gen)
{
	uint32_t si = h & (FP_FLOW_CACHE_SETS - 1);
	const struct fp_flow_cache_set *st = &c->set[si];

	for (unsigned w = 0; w < FP_FLOW_CACHE_WAYS; w++)
		if (st->sig[w] == (h | 1) && st->gen[w] == gen && fp_flow_key_eq(key, &c->key[si][w]))
			return st->rule[w];
	return -1;
}

/* Remember key's rule: in a way of an older generation (or an empty one)
 * if the set has one, else in the ways in turn. */
static inline void
fp_flow_cache_put(struct fp_flow_cache *c, const struct fp_flow_key *key, uint32_t h,
		  uint32_t gen, uint32_t rule)
{
	uint32_t si = h & (FP_FLOW_CACHE_SETS - 1);
	struct fp_flow_cache_set *st = &c->set[si];
	unsigned w = 0;

	while (w < FP_FLOW_CACHE_WAYS && st->gen[w] == gen)
		w++;
	if (w == FP_FLOW_CACHE_WAYS)
		w = st->next++ & (FP_FLOW_CACHE_WAYS - 1);
	st->sig[w] = h | 1;
	st->gen[w] = gen;
	st->rule[w] = rule;
	c->key[si][w] = *key;
}

/*
 * Classify and apply; frames consumed here become NULL in pkts. Returns
 * how many are left for L2 switching (rule `normal`, or no rule). Keys are
 * masked to the bytes the table looks at; a frame with the same key as the
 * one before it takes its result, others try the worker's exact-match
 * cache, and only what both miss goes to rte_acl_classify (one call).
 */
static uint16_t
fp_flow_burst(struct fp_worker_local *wl, const struct fp_snapshot *s, struct fp_port *in,
	      const struct fp_flow_table *ft, struct rte_mbuf **pkts, uint16_t n,
	      uint16_t *vids, uint8_t *tagged)
{
	/* Keys are built only for frames that need one (nk of them); dups of
	 * the frame before take its result without a key. */
	struct fp_flow_key keys[FP_BURST];
	const struct fp_flow_key *last = NULL; /* the newest key built */
	const uint8_t *kp[FP_BURST];
	uint32_t res[FP_BURST], mres[FP_BURST];
	uint16_t idx[FP_BURST], miss[FP_BURST];
	uint32_t mhash[FP_BURST]; /* the misses' key hashes */
	uint8_t dup[FP_BURST];
	uint16_t k = 0, nk = 0, n_miss = 0, no_l4 = 0, left = 0;
	/* The last frame whose key was built, and what building it read:
	 * frames that match it get its result (fp_flow_ref_match). */
	struct fp_flow_ref ref = { .vid = FP_FLOW_REF_NONE };

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct fp_flow_key *key = &keys[nk];

		if (m == NULL)
			continue;
		idx[k] = i;
		res[k] = 0;
		dup[k] = 0;
		if (ft->acl == NULL) { /* no rules: only the miss action */
			k++;
			continue;
		}
		const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
		uint32_t len = rte_pktmbuf_data_len(m);
		int room = fp_flow_room64(m);
		struct fp_flow_parse pa;

		/* The same bytes where the frame before's parse read (the
		 * frames of one flow, whatever their IP ids and sequence
		 * numbers): same result, no key needed. */
		if (fp_flow_ref_match(&ref, frame, len, vids[i], tagged[i], room)) {
			no_l4 += ref.p.no_l4;
			dup[k++] = 1;
			continue;
		}
		pa = fp_flow_key_parse(key, frame, len, vids[i], tagged[i], in->slot, ft->key_bits);
		fp_flow_ref_set(&ref, frame, len, pa, vids[i], tagged[i], room);
		no_l4 += pa.no_l4;
		fp_flow_key_mask(key, ft->key_mask);
		/* Frame k - 1's key is last: it was built or was a dup of it. */
		if (k > 0 && fp_flow_key_eq(key, last)) {
			dup[k++] = 1; /* same flow as the frame before: same result */
			continue;
		}
		last = key;
		nk++;
		uint32_t h = fp_flow_key_hash(key);
		int64_t hit = fp_flow_cache_find(&wl->flow_cache, key, h, ft->gen);

		if (hit >= 0) {
			res[k] = (uint32_t)hit;
		} else {
			kp[n_miss] = (const uint8_t *)key;
			mhash[n_miss] = h;
			miss[n_miss++] = k;
		}
		k++;
	}
	if (n_miss > 0) {
		rte_acl_classify(ft->acl, kp, mres, n_miss, 1);
		for (uint16_t j = 0; j < n_miss; j++) {
			res[miss[j]] = mres[j];
			fp_flow_cache_put(&wl->flow_cache, (const struct fp_flow_key *)(const void *)kp[j],
					  mhash[j], ft->gen, mres[j]);
		}
	}
	/* Counters are added once per run of frames of the same rule: a
	 * per-frame increment of the same counter would chain every frame's
	 * store to the next one's load. */
	struct fp_flow_count *row = ft->row[wl->idx].c;
	uint32_t cur = k > 0 ? res[0] : 0; /* frame 0 is never a dup */
	uint64_t run_pkts = 0, run_bytes = 0;
	/* The run's port when its rule is a plain output, resolved once. */
	struct fp_port *run_out = k > 0 ? fp_flow_plain_output(s, in, ft, cur) : NULL;

	for (uint16_t j = 0; j < k; j++) {
		uint16_t i = idx[j];

		if (dup[j])
			res[j] = res[j - 1];
		if (res[j] != cur) {
			row[cur].packets += run_pkts;
			row[cur].bytes += run_bytes;
			cur = res[j];
			run_pkts = run_bytes = 0;
			run_out = fp_flow_plain_output(s, in, ft, cur);
		}
		run_pkts++;
		run_bytes += rte_pktmbuf_pkt_len(pkts[i]);
		if (run_out != NULL) {
			fp_tx_enqueue(wl, run_out, pkts[i], vids[i], tagged[i], FP_TX_UNICAST);
			pkts[i] = NULL;
		} else if (!fp_flow_apply(wl, s, in, ft, res[j], pkts[i], &vids[i], &tagged[i])) {
			pkts[i] = NULL;
		} else {
			left++;
		}
	}
	if (run_pkts > 0) {
		row[cur].packets += run_pkts;
		row[cur].bytes += run_bytes;
	}
	if (unlikely(no_l4 > 0))
		fp_count(in, wl->idx, FP_PORT_rx_no_l4, no_l4);
	return left;
}

#endif
