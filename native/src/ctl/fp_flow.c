/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Flow table lifecycle on fp-ctl: prepare a complete table (classifier,
 * resolved actions, counter rows) that may fail; commit it by publishing a
 * snapshot that points at it (cannot fail once prepared); after the grace
 * period the publication waits for, carry the old table's final counts over
 * to the new one by rule id, and free the old. Workers therefore see either
 * the old rule set or the new one for any given burst, never a mix.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_acl.h>
#include <rte_malloc.h>

#include "../dp/fp_flow_key.h"
#include "fp_ctl.h"

#define FP_FLOW_MAX_RULES (1u << 20)

void
fp_flow_table_free(struct fp_flow_table *t)
{
	if (t == NULL)
		return;
	rte_acl_free(t->acl);
	for (unsigned w = 0; w < FP_MAX_WORKERS; w++)
		rte_free(t->row[w].c);
	rte_free(t->act);
	free(t->conf);
	free(t->base);
	rte_free(t);
}

/* The port named `name` in network `net`, or NULL. */
static struct fp_port *
fp_flow_port(uint16_t net, const char *name)
{
	struct fp_port *p = fp_port_find(name);

	return p != NULL && p->net == net && !p->removing ? p : NULL;
}

static void
fp_flow_resolve(struct fp_flow_action_dp *a, const struct fp_flow_actions *c, uint16_t net)
{
	memset(a, 0, sizeof(*a));
	a->verdict = c->verdict;
	a->vlan_op = c->vlan_op;
	a->push_vlan = c->push_vlan;
	a->set_dst = c->set_dst;
	memcpy(a->dst_mac, c->dst_mac, sizeof(a->dst_mac));
	for (unsigned i = 0; i < c->n_outputs && i < FP_FLOW_MAX_OUTPUTS; i++) {
		struct fp_port *q = fp_flow_port(net, c->outputs[i]);
		if (q != NULL)
			a->out_token[a->n_out++] = q->token;
	}
}

static int
fp_flow_check(const struct fp_flow_rule *r, char *err)
{
	const struct fp_flow_actions *a = &r->actions;

	if (r->id == 0)
		return fp_err(err, -EINVAL, "flow id 0 is reserved");
	if (memchr(r->match.in_port, 0, FP_NAME_MAX) == NULL)
		return fp_err(err, -EINVAL, "flow %u: in_port name too long", r->id);
	for (unsigned i = 0; i < a->n_outputs && i < FP_FLOW_MAX_OUTPUTS; i++)
		if (memchr(a->outputs[i], 0, FP_NAME_MAX) == NULL)
			return fp_err(err, -EINVAL, "flow %u: output port name too long", r->id);
	if (r->priority > UINT16_MAX)
		return fp_err(err, -EINVAL, "flow %u: priority %u out of 0..65535", r->id,
			      r->priority);
	if (a->verdict > FP_FLOW_PUNT || a->vlan_op > FP_FLOW_VLAN_POP)
		return fp_err(err, -EINVAL, "flow %u: unknown action", r->id);
	if (a->verdict == FP_FLOW_OUTPUT &&
	    (a->n_outputs == 0 || a->n_outputs > FP_FLOW_MAX_OUTPUTS))
		return fp_err(err, -EINVAL, "flow %u: output needs 1..%d ports", r->id,
			      FP_FLOW_MAX_OUTPUTS);
	if (a->vlan_op == FP_FLOW_VLAN_PUSH && (a->push_vlan == 0 || a->push_vlan > 4094))
		return fp_err(err, -EINVAL, "flow %u: push_vlan id must be 1..4094", r->id);
	if ((r->match.fields & FP_FLOW_F_NW_SRC && r->match.nw_src_len > 128) ||
	    (r->match.fields & FP_FLOW_F_NW_DST && r->match.nw_dst_len > 128))
		return fp_err(err, -EINVAL, "flow %u: prefix longer than 128 bits", r->id);
	return 0;
}

/* Resolve names and compile: everything that can fail. t->conf is set. */
static int
fp_flow_prepare(struct fp_flow_table *t, uint16_t net, char *err)
{
	uint16_t *in_slot = malloc((t->n_rules ? t->n_rules : 1) * sizeof(*in_slot));

	if (in_slot == NULL)
		return fp_err(err, -ENOMEM, "out of memory for flow rules");
	t->act = rte_zmalloc("fp_flow_act", (t->n_rules + 1) * sizeof(*t->act),
			     RTE_CACHE_LINE_SIZE);
	t->base = calloc(t->n_rules + 1, sizeof(*t->base));
	if (t->act == NULL || t->base == NULL)
		goto nomem;
	for (unsigned w = 0; w < fp_dp.n_workers; w++) {
		t->row[w].c = rte_zmalloc("fp_flow_cnt", (t->n_rules + 1) * sizeof(struct fp_flow_count),
					  RTE_CACHE_LINE_SIZE);
		if (t->row[w].c == NULL)
			goto nomem;
	}
	for (uint32_t i = 1; i <= t->n_rules; i++) {
		const struct fp_flow_rule *r = &t->conf[i];
		struct fp_port *p = (r->match.fields & FP_FLOW_F_IN_PORT)
					    ? fp_flow_port(net, r->match.in_port) : NULL;

		in_slot[i - 1] = p != NULL ? p->slot : UINT16_MAX;
		fp_flow_resolve(&t->act[i], &r->actions, net);
	}
	if (t->n_rules > 0) {
		t->acl = fp_flow_acl_build(&t->conf[1], in_slot, t->n_rules, t->gen, t->key_mask, err);
		if (t->acl == NULL) {
			free(in_slot);
			return -EINVAL;
		}
		t->key_bits = fp_flow_key_bits(t->key_mask);
	}
	free(in_slot);
	return 0;
nomem:
	free(in_slot);
	return fp_err(err, -ENOMEM, "out of memory for flow rules");
}

static int
fp_id_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Old's final counts (base + every worker's row), keyed by rule id, added to
 * the rules of t that kept their id. @pre old is no longer published and a
 * grace period has passed. */
static void
fp_flow_carry_counts(struct fp_flow_table *t, const struct fp_flow_table *old)
{
	uint64_t *idx = malloc((old->n_rules + 1) * sizeof(*idx));

	for (uint32_t i = 0; i <= old->n_rules; i++) {
		struct fp_flow_count c = old->base[i];

		for (unsigned w = 0; w < fp_dp.n_workers; w++) {
			c.packets += old->row[w].c[i].packets;
			c.bytes += old->row[w].c[i].bytes;
		}
		if (i == 0) { /* the miss counter always carries over */
			t->base[0].packets += c.packets;
			t->base[0].bytes += c.bytes;
		} else {
			old->base[i] = c; /* old is ours now: park the totals */
		}
		if (idx != NULL)
			idx[i] = (uint64_t)old->conf[i].id << 32 | i;
	}
	if (idx == NULL)
		return; /* counts of surviving rules restart from zero */
	qsort(&idx[1], old->n_rules, sizeof(*idx), fp_id_cmp);
	for (uint32_t j = 1; j <= t->n_rules; j++) {
		uint64_t key = (uint64_t)t->conf[j].id << 32;
		uint32_t lo = 1, hi = old->n_rules + 1;

		while (lo < hi) { /* first entry with id >= key's */
			uint32_t mid = (lo + hi) / 2;
			if (idx[mid] < key)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo <= old->n_rules && idx[lo] >> 32 == t->conf[j].id) {
			const struct fp_flow_count *c = &old->base[(uint32_t)idx[lo]];
			t->base[j].packets += c->packets;
			t->base[j].bytes += c->bytes;
		}
	}
	free(idx);
}

/*
 * Install a table built from `rules` (n of them, miss action) for network
 * net, replacing what was there. Takes ownership of conf (a [0..n] array
 * whose [0] is unused) on success and failure alike.
 */
static int
fp_flow_install(uint16_t net, struct fp_flow_rule *conf, uint32_t n, uint8_t miss_drop,
		char *err)
{
	FP_CTL_ONLY();
	struct fp_flow_table *old = fp_c.flows[net], *t = NULL;
	int rc;

	if (n == 0 && !miss_drop) {
		free(conf);
	} else {
		t = rte_zmalloc("fp_flow", sizeof(*t), RTE_CACHE_LINE_SIZE);
		if (t == NULL) {
			free(conf);
			return fp_err(err, -ENOMEM, "out of memory for flow rules");
		}
		t->conf = conf;
		t->n_rules = n;
		t->miss_drop = miss_drop;
		t->gen = ++fp_c.flow_gen;
		rc = fp_flow_prepare(t, net, err);
		if (rc != 0) {
			fp_flow_table_free(t);
			return rc;
		}
	}
	fp_c.flows[net] = t;
	rc = fp_snapshot_publish(err); /* waits for the grace period */
	if (rc != 0) {
		fp_c.flows[net] = old;
		fp_flow_table_free(t);
		return rc;
	}
	if (old != NULL && t != NULL)
		fp_flow_carry_counts(t, old);
	fp_flow_table_free(old);
	return 0;
}

int
fp_cmd_flow_table_set(void *arg, char *err)
{
	FP_CTL_ONLY();
	const struct fp_flow_table_conf *c = arg;
	struct fp_network *n = fp_network_find(c->network);
	struct fp_flow_rule *conf;
	int rc;

	if (n == NULL)
		return fp_err(err, -ENOENT, "no network named %s", c->network);
	if (c->n_rules > FP_FLOW_MAX_RULES)
		return fp_err(err, -ENOSPC, "%u flow rules: at most %u per network", c->n_rules,
			      FP_FLOW_MAX_RULES);
	for (uint32_t i = 0; i < c->n_rules; i++)
		if ((rc = fp_flow_check(&c->rules[i], err)) != 0)
			return rc;
	conf = malloc((c->n_rules + 1) * sizeof(*conf));
	if (conf == NULL)
		return fp_err(err, -ENOMEM, "out of memory for flow rules");
	memset(&conf[0], 0, sizeof(conf[0]));
	if (c->n_rules > 0)
		memcpy(&conf[1], c->rules, c->n_rules * sizeof(*conf));
	return fp_flow_install(n->id, conf, c->n_rules, c->miss_drop, err);
}

static int
fp_flow_names_port(const struct fp_flow_table *t, const char *name)
{
	for (uint32_t i = 1; i <= t->n_rules; i++) {
		const struct fp_flow_rule *r = &t->conf[i];

		if ((r->match.fields & FP_FLOW_F_IN_PORT) && strcmp(r->match.in_port, name) == 0)
			return 1;
		for (unsigned o = 0; o < r->actions.n_outputs; o++)
			if (strcmp(r->actions.outputs[o], name) == 0)
				return 1;
	}
	return 0;
}

int
fp_flow_port_changed(uint16_t net, const char *name, char *err)
{
	struct fp_flow_table *t = fp_c.flows[net];
	struct fp_flow_rule *conf;

	if (t == NULL || !fp_flow_names_port(t, name))
		return 0;
	conf = malloc((t->n_rules + 1) * sizeof(*conf));
	if (conf == NULL)
		return fp_err(err, -ENOMEM, "out of memory for flow rules");
	memcpy(conf, t->conf, (t->n_rules + 1) * sizeof(*conf));
	return fp_flow_install(net, conf, t->n_rules, t->miss_drop, err);
}

struct fp_flow_stats_arg {
	const char *network;
	struct fp_flow_stats *out;
};

int
fp_cmd_flow_stats(void *arg, char *err)
{
	FP_CTL_ONLY();
	struct fp_flow_stats_arg *a = arg;
	struct fp_network *n = fp_network_find(a->network);
	const struct fp_flow_table *t;
	struct fp_flow_counter *c;
	uint32_t cnt;

	if (n == NULL)
		return fp_err(err, -ENOENT, "no network named %s", a->network);
	t = fp_c.flows[n->id];
	cnt = t != NULL ? t->n_rules + 1 : 1;
	c = calloc(cnt, sizeof(*c));
	if (c == NULL)
		return fp_err(err, -ENOMEM, "out of memory reading flow counters");
	for (uint32_t i = 0; t != NULL && i < cnt; i++) {
		c[i].id = t->conf[i].id;
		c[i].packets = t->base[i].packets;
		c[i].bytes = t->base[i].bytes;
		for (unsigned w = 0; w < fp_dp.n_workers; w++) {
			c[i].packets += __atomic_load_n(&t->row[w].c[i].packets, __ATOMIC_RELAXED);
			c[i].bytes += __atomic_load_n(&t->row[w].c[i].bytes, __ATOMIC_RELAXED);
		}
	}
	a->out->n = cnt;
	a->out->counters = c;
	return 0;
}

int
fp_flow_table_set(const struct fp_flow_table_conf *conf, char *err)
{
	return fp_ctl_call(fp_cmd_flow_table_set, (void *)(uintptr_t)conf, err);
}

int
fp_flow_stats_read(const char *network, struct fp_flow_stats *out, char *err)
{
	struct fp_flow_stats_arg a = { network, out };

	memset(out, 0, sizeof(*out));
	return fp_ctl_call(fp_cmd_flow_stats, &a, err);
}

void
fp_flow_stats_free(struct fp_flow_stats *s)
{
	if (s == NULL)
		return;
	free(s->counters);
	s->counters = NULL;
	s->n = 0;
}
