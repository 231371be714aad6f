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
 * changed), 0 when this stage consumed it. */
static inline int
fp_flow_apply(struct fp_worker_local *wl, const struct fp_snapshot *s, struct fp_port *in,
	      const struct fp_flow_table *ft, uint32_t r, struct rte_mbuf *m, uint16_t *vid,
	      uint8_t *tagged)
{
	struct fp_flow_count *c = &ft->row[wl->idx].c[r];
	const struct fp_flow_action_dp *a;

	c->packets++;
	c->bytes += rte_pktmbuf_pkt_len(m);
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

/* Classify and apply; frames consumed here become NULL in pkts. */
static void
fp_flow_burst(struct fp_worker_local *wl, const struct fp_snapshot *s, struct fp_port *in,
	      const struct fp_flow_table *ft, struct rte_mbuf **pkts, uint16_t n,
	      uint16_t *vids, uint8_t *tagged)
{
	struct fp_flow_key keys[FP_BURST];
	const uint8_t *kp[FP_BURST];
	uint32_t res[FP_BURST];
	uint16_t idx[FP_BURST];
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (m == NULL)
			continue;
		fp_flow_key_build(&keys[k], rte_pktmbuf_mtod(m, const uint8_t *),
				  rte_pktmbuf_data_len(m), vids[i], tagged[i], in->slot);
		kp[k] = (const uint8_t *)&keys[k];
		idx[k++] = i;
	}
	if (ft->acl != NULL)
		rte_acl_classify(ft->acl, kp, res, k, 1);
	else
		memset(res, 0, k * sizeof(res[0]));
	for (uint16_t j = 0; j < k; j++) {
		uint16_t i = idx[j];

		if (!fp_flow_apply(wl, s, in, ft, res[j], pkts[i], &vids[i], &tagged[i]))
			pkts[i] = NULL;
	}
}

#endif
