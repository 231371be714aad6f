/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Compile a network's flow rules into an rte_acl classifier. Only the key
 * groups some rule actually constrains go into the trie: every group costs
 * each classified packet four transitions, and a table matching on, say,
 * nw_dst and tp_dst should not pay for MAC and IPv6 words nobody asked for.
 * @pre called on fp-ctl.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_acl.h>
#include <rte_lcore.h>

#include "fp_ctl.h"

_Static_assert(FP_FLOW_FRAG_ANY == FP_FLOW_L4_FRAG && FP_FLOW_FRAG_LATER == FP_FLOW_L4_LATER,
	       "nw_frag bits are the key's l4 bits");
_Static_assert(offsetof(struct fp_flow_key, l4) == offsetof(struct fp_flow_key, pad1) + 3,
	       "l4 is the last byte of its 4-byte input");

/* Input groups of struct fp_flow_key, in the order the trie reads them. */
enum { FP_AG_N = 16 };

static const struct {
	uint8_t type, size, group;
	uint16_t offset;
} fp_af[FP_AF_MAX] = {
	[FP_AF_PROTO] = { RTE_ACL_FIELD_TYPE_BITMASK, 1, 0, offsetof(struct fp_flow_key, proto) },
	[FP_AF_DL_TYPE] = { RTE_ACL_FIELD_TYPE_BITMASK, 2, 1, offsetof(struct fp_flow_key, dl_type) },
	[FP_AF_IN_PORT] = { RTE_ACL_FIELD_TYPE_BITMASK, 2, 14, offsetof(struct fp_flow_key, in_port) },
	[FP_AF_VLAN] = { RTE_ACL_FIELD_TYPE_BITMASK, 2, 14, offsetof(struct fp_flow_key, vlan) },
	[FP_AF_TCP_FLAGS] = { RTE_ACL_FIELD_TYPE_BITMASK, 2, 1, offsetof(struct fp_flow_key, tcp_flags) },
	[FP_AF_DST_HI] = { RTE_ACL_FIELD_TYPE_BITMASK, 4, 2, offsetof(struct fp_flow_key, dl_dst) },
	[FP_AF_DST_LO] = { RTE_ACL_FIELD_TYPE_BITMASK, 2, 3, offsetof(struct fp_flow_key, dl_dst) + 4 },
	[FP_AF_SRC_HI] = { RTE_ACL_FIELD_TYPE_BITMASK, 2, 3, offsetof(struct fp_flow_key, dl_src) },
	[FP_AF_SRC_LO] = { RTE_ACL_FIELD_TYPE_BITMASK, 4, 4, offsetof(struct fp_flow_key, dl_src) + 2 },
	[FP_AF_NW_SRC0] = { RTE_ACL_FIELD_TYPE_MASK, 4, 5, offsetof(struct fp_flow_key, nw_src) },
	[FP_AF_NW_SRC1] = { RTE_ACL_FIELD_TYPE_MASK, 4, 6, offsetof(struct fp_flow_key, nw_src) + 4 },
	[FP_AF_NW_SRC2] = { RTE_ACL_FIELD_TYPE_MASK, 4, 7, offsetof(struct fp_flow_key, nw_src) + 8 },
	[FP_AF_NW_SRC3] = { RTE_ACL_FIELD_TYPE_MASK, 4, 8, offsetof(struct fp_flow_key, nw_src) + 12 },
	[FP_AF_NW_DST0] = { RTE_ACL_FIELD_TYPE_MASK, 4, 9, offsetof(struct fp_flow_key, nw_dst) },
	[FP_AF_NW_DST1] = { RTE_ACL_FIELD_TYPE_MASK, 4, 10, offsetof(struct fp_flow_key, nw_dst) + 4 },
	[FP_AF_NW_DST2] = { RTE_ACL_FIELD_TYPE_MASK, 4, 11, offsetof(struct fp_flow_key, nw_dst) + 8 },
	[FP_AF_NW_DST3] = { RTE_ACL_FIELD_TYPE_MASK, 4, 12, offsetof(struct fp_flow_key, nw_dst) + 12 },
	[FP_AF_TP_SRC] = { RTE_ACL_FIELD_TYPE_RANGE, 2, 13, offsetof(struct fp_flow_key, tp_src) },
	[FP_AF_TP_DST] = { RTE_ACL_FIELD_TYPE_RANGE, 2, 13, offsetof(struct fp_flow_key, tp_dst) },
	/* A 4-byte field whose low byte (big-endian) is l4: a group of one
	 * byte is not something rte_acl reads correctly. */
	[FP_AF_L4] = { RTE_ACL_FIELD_TYPE_BITMASK, 4, 15, offsetof(struct fp_flow_key, pad1) },
};

/* One rule's value and mask (or range) per field, before compaction. */
struct fp_af_rule {
	uint64_t v[FP_AF_MAX];
	uint64_t m[FP_AF_MAX]; /* BITMASK: mask; MASK: prefix length; RANGE: high */
};

static uint32_t
fp_be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint16_t
fp_be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static void
fp_af_prefix(struct fp_af_rule *r, unsigned first, const uint8_t *addr, unsigned len)
{
	for (unsigned w = 0; w < 4; w++) {
		unsigned bits = len > 32 * w ? len - 32 * w : 0;

		if (bits > 32)
			bits = 32;
		r->v[first + w] = bits ? fp_be32(addr + 4 * w) &
					 (uint32_t)RTE_ACL_MASKLEN_TO_BITMASK((uint32_t)bits, 4)
				       : 0;
		r->m[first + w] = bits;
	}
}

/* Fill every field: wildcards where the rule says nothing. in_slot is the
 * resolved in_port slot, or UINT16_MAX when that port does not exist. */
static void
fp_af_from_match(struct fp_af_rule *r, const struct fp_flow_match *mt, uint16_t in_slot)
{
	memset(r, 0, sizeof(*r));
	r->m[FP_AF_TP_SRC] = UINT16_MAX;
	r->m[FP_AF_TP_DST] = UINT16_MAX;
	if (mt->fields & FP_FLOW_F_IN_PORT) {
		r->v[FP_AF_IN_PORT] = in_slot;
		r->m[FP_AF_IN_PORT] = UINT16_MAX;
	}
	if (mt->fields & FP_FLOW_F_DL_DST) {
		r->m[FP_AF_DST_HI] = fp_be32(mt->dl_dst_mask);
		r->v[FP_AF_DST_HI] = fp_be32(mt->dl_dst) & r->m[FP_AF_DST_HI];
		r->m[FP_AF_DST_LO] = fp_be16(mt->dl_dst_mask + 4);
		r->v[FP_AF_DST_LO] = fp_be16(mt->dl_dst + 4) & r->m[FP_AF_DST_LO];
	}
	if (mt->fields & FP_FLOW_F_DL_SRC) {
		r->m[FP_AF_SRC_HI] = fp_be16(mt->dl_src_mask);
		r->v[FP_AF_SRC_HI] = fp_be16(mt->dl_src) & r->m[FP_AF_SRC_HI];
		r->m[FP_AF_SRC_LO] = fp_be32(mt->dl_src_mask + 2);
		r->v[FP_AF_SRC_LO] = fp_be32(mt->dl_src + 2) & r->m[FP_AF_SRC_LO];
	}
	if (mt->fields & FP_FLOW_F_VLAN) {
		r->v[FP_AF_VLAN] = mt->vlan;
		r->m[FP_AF_VLAN] = 0xfff;
	}
	if (mt->fields & FP_FLOW_F_DL_TYPE) {
		r->v[FP_AF_DL_TYPE] = mt->dl_type;
		r->m[FP_AF_DL_TYPE] = UINT16_MAX;
	}
	if (mt->fields & FP_FLOW_F_NW_SRC)
		fp_af_prefix(r, FP_AF_NW_SRC0, mt->nw_src, mt->nw_src_len);
	if (mt->fields & FP_FLOW_F_NW_DST)
		fp_af_prefix(r, FP_AF_NW_DST0, mt->nw_dst, mt->nw_dst_len);
	if (mt->fields & FP_FLOW_F_NW_PROTO) {
		r->v[FP_AF_PROTO] = mt->nw_proto;
		r->m[FP_AF_PROTO] = UINT8_MAX;
	}
	if (mt->fields & FP_FLOW_F_TP_SRC) {
		r->v[FP_AF_TP_SRC] = mt->tp_src_lo;
		r->m[FP_AF_TP_SRC] = mt->tp_src_hi;
	}
	if (mt->fields & FP_FLOW_F_TP_DST) {
		r->v[FP_AF_TP_DST] = mt->tp_dst_lo;
		r->m[FP_AF_TP_DST] = mt->tp_dst_hi;
	}
	if (mt->fields & FP_FLOW_F_TCP_FLAGS) {
		r->m[FP_AF_TCP_FLAGS] = mt->tcp_flags_mask & 0xfff;
		r->v[FP_AF_TCP_FLAGS] = mt->tcp_flags & r->m[FP_AF_TCP_FLAGS];
	}
	if (mt->fields & FP_FLOW_F_NW_FRAG) {
		r->m[FP_AF_L4] = mt->frag_mask & (FP_FLOW_L4_FRAG | FP_FLOW_L4_LATER);
		r->v[FP_AF_L4] = mt->frag & r->m[FP_AF_L4];
	}
	/* L4 fields are the frame's only when its transport header was read. */
	if (mt->fields & (FP_FLOW_F_TP_SRC | FP_FLOW_F_TP_DST | FP_FLOW_F_TCP_FLAGS)) {
		r->m[FP_AF_L4] |= FP_FLOW_L4_PRESENT;
		r->v[FP_AF_L4] |= FP_FLOW_L4_PRESENT;
	}
}

static int
fp_af_is_wild(const struct fp_af_rule *r, unsigned f)
{
	if (fp_af[f].type == RTE_ACL_FIELD_TYPE_RANGE)
		return r->v[f] == 0 && r->m[f] == UINT16_MAX;
	return r->m[f] == 0;
}

static void
fp_af_store(struct rte_acl_field *dst, unsigned f, uint64_t v, uint64_t m)
{
	switch (fp_af[f].size) {
	case 1: dst->value.u8 = (uint8_t)v; dst->mask_range.u8 = (uint8_t)m; break;
	case 2: dst->value.u16 = (uint16_t)v; dst->mask_range.u16 = (uint16_t)m; break;
	default: dst->value.u32 = (uint32_t)v; dst->mask_range.u32 = (uint32_t)m; break;
	}
}

struct rte_acl_ctx *
fp_flow_acl_build(const struct fp_flow_rule *rules, const uint16_t *in_slot,
		  uint32_t n, uint32_t gen, uint64_t *key_mask, char *err)
{
	struct fp_af_rule *ar = calloc(n ? n : 1, sizeof(*ar));
	struct rte_acl_config cfg = { .num_categories = 1 };
	uint8_t used[FP_AG_N] = { [0] = 1 }; /* the 1-byte head is mandatory */
	uint8_t input[FP_AG_N];
	unsigned fields[FP_AF_MAX], nf = 0, ni = 0;
	struct rte_acl_param prm = { 0 };
	struct rte_acl_ctx *ctx = NULL;
	char name[RTE_ACL_NAMESIZE];
	uint8_t *buf = NULL;
	size_t rsz;
	int rc;

	if (ar == NULL) {
		fp_err(err, -ENOMEM, "out of memory compiling flow rules");
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++) {
		fp_af_from_match(&ar[i], &rules[i].match, in_slot[i]);
		for (unsigned f = 0; f < FP_AF_MAX; f++)
			if (!fp_af_is_wild(&ar[i], f))
				used[fp_af[f].group] = 1;
	}
	for (unsigned g = 0; g < FP_AG_N; g++)
		if (used[g])
			input[g] = (uint8_t)ni++;
	/* The trie is built field by field in this order: group order. Within
	 * a group, by offset: rte_acl reads the group's 4 bytes at the offset
	 * of its first field. */
	for (unsigned g = 0; g < FP_AG_N; g++) {
		unsigned in_group[4], k = 0;

		for (unsigned f = 0; f < FP_AF_MAX && used[g]; f++) {
			if (fp_af[f].group != g)
				continue;
			unsigned at = k++;
			while (at > 0 && fp_af[in_group[at - 1]].offset > fp_af[f].offset) {
				in_group[at] = in_group[at - 1];
				at--;
			}
			in_group[at] = f;
		}
		for (unsigned j = 0; j < k; j++) {
			unsigned f = in_group[j];

			cfg.defs[nf] = (struct rte_acl_field_def){
				.type = fp_af[f].type,
				.size = fp_af[f].size,
				.field_index = (uint8_t)nf,
				.input_index = input[g],
				.offset = fp_af[f].offset,
			};
			fields[nf++] = f;
		}
	}
	cfg.num_fields = nf;
	memset(key_mask, 0, sizeof(struct fp_flow_key));
	for (unsigned k = 0; k < nf; k++)
		memset((uint8_t *)key_mask + cfg.defs[k].offset, 0xff, cfg.defs[k].size);

	rsz = RTE_ACL_RULE_SZ(nf);
	buf = calloc(n ? n : 1, rsz);
	if (buf == NULL) {
		fp_err(err, -ENOMEM, "out of memory compiling flow rules");
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct rte_acl_rule *r = (struct rte_acl_rule *)(buf + i * rsz);

		r->data.category_mask = 1;
		r->data.priority = (int32_t)(RTE_ACL_MIN_PRIORITY + rules[i].priority);
		r->data.userdata = i + 1; /* 0 means no match */
		for (unsigned k = 0; k < nf; k++)
			fp_af_store(&r->field[k], fields[k], ar[i].v[fields[k]],
				    ar[i].m[fields[k]]);
	}
	snprintf(name, sizeof(name), "fp_flow_%u", gen);
	prm.name = name;
	prm.socket_id = (int)rte_socket_id();
	prm.rule_size = (uint32_t)rsz;
	prm.max_rule_num = n;
	ctx = rte_acl_create(&prm);
	if (ctx == NULL) {
		fp_err(err, -ENOMEM, "cannot create a classifier for %u rules", n);
		goto out;
	}
	rc = rte_acl_add_rules(ctx, (const struct rte_acl_rule *)buf, n);
	if (rc == 0)
		rc = rte_acl_build(ctx, &cfg);
	if (rc != 0) {
		fp_err(err, rc == -ENOMEM ? -ENOMEM : -EINVAL,
		       "cannot compile %u flow rules: %s", n, strerror(-rc));
		rte_acl_free(ctx);
		ctx = NULL;
	}
out:
	free(buf);
	free(ar);
	return ctx;
}
