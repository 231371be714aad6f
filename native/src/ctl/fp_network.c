/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Networks: L2 domains, each with its own MAC table. Workers learn into the
 * table; fp-ctl ages entries out and forgets a removed port's entries, and
 * frees key slots only after a grace period (the table runs in lock-free
 * reader mode, which never frees on delete).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "../common/fp_overlay.h"
#include "../dp/fp_l2.h"
#include "fp_ctl.h"

struct fp_network *
fp_network_find(const char *name)
{
	for (unsigned i = 0; i < FP_MAX_NETS; i++)
		if (fp_c.nets[i] != NULL && strcmp(fp_c.nets[i]->name, name) == 0)
			return fp_c.nets[i];
	return NULL;
}

static void
fp_network_free(struct fp_network *n)
{
	if (n == NULL)
		return;
	rte_hash_free(n->mac);
	rte_free(n->entries);
	rte_free(n);
}

/*
 * Delete every key for which drop(entry) is true, then free the slots once
 * no worker can hold their positions any more.
 */
unsigned
fp_network_sweep(struct fp_network *n, int (*drop)(const struct fp_mac_entry *, uint64_t),
		 uint64_t arg)
{
	int32_t *freed;
	unsigned n_freed = 0;
	const void *key;
	void *data;
	uint32_t next = 0;
	int32_t pos;

	freed = malloc(n->n_entries * sizeof(*freed));
	if (freed == NULL)
		return 0; /* try again at the next sweep */
	while ((pos = rte_hash_iterate(n->mac, &key, &data, &next)) >= 0) {
		if ((uint32_t)pos < n->n_entries && drop(&n->entries[pos], arg)) {
			int32_t p = rte_hash_del_key(n->mac, key);
			if (p >= 0)
				freed[n_freed++] = p;
		}
	}
	if (n_freed > 0) {
		/* Workers' exact-match caches may still name these MACs. */
		__atomic_fetch_add(&n->version, 1, __ATOMIC_RELEASE);
		rte_rcu_qsbr_synchronize(fp_dp.qsv, RTE_QSBR_THRID_INVALID);
		for (unsigned i = 0; i < n_freed; i++)
			rte_hash_free_key_with_position(n->mac, freed[i]);
	}
	free(freed);
	return n_freed;
}

static int
fp_entry_of_token(const struct fp_mac_entry *e, uint64_t token)
{
	return __atomic_load_n(&e->token, __ATOMIC_RELAXED) == (uint32_t)token;
}

static int
fp_entry_expired(const struct fp_mac_entry *e, uint64_t now)
{
	uint32_t seen = __atomic_load_n(&e->seen, __ATOMIC_RELAXED);
	return seen != FP_MAC_STATIC && (uint32_t)now - seen > fp_c.mac_age_ticks;
}

void
fp_network_forget_port(struct fp_network *n, uint32_t token)
{
	if (n != NULL)
		fp_network_sweep(n, fp_entry_of_token, token);
}

/* Learned MACs per port, counted afresh: workers only ever add to a port's
 * count, so this is what brings it back down (aging, moves, removals). */
static void
fp_network_recount(void)
{
	static uint32_t tally[FP_MAX_PORTS];
	const void *key;
	void *data;

	memset(tally, 0, sizeof(tally));
	for (unsigned i = 0; i < FP_MAX_NETS; i++) {
		struct fp_network *n = fp_c.nets[i];
		uint32_t next = 0;
		int32_t pos;

		while (n != NULL && (pos = rte_hash_iterate(n->mac, &key, &data, &next)) >= 0) {
			uint32_t tok;

			if ((uint32_t)pos >= n->n_entries)
				continue;
			tok = __atomic_load_n(&n->entries[pos].token, __ATOMIC_RELAXED);
			if (fp_c.ports[tok & (FP_MAX_PORTS - 1)] != NULL &&
			    fp_c.ports[tok & (FP_MAX_PORTS - 1)]->token == tok)
				tally[tok & (FP_MAX_PORTS - 1)]++;
		}
	}
	for (unsigned slot = 0; slot < FP_MAX_PORTS; slot++)
		if (fp_c.ports[slot] != NULL)
			__atomic_store_n(&fp_c.ports[slot]->n_macs, tally[slot], __ATOMIC_RELAXED);
}

void
fp_network_age_all(void)
{
	FP_CTL_ONLY();
	uint64_t now = rte_get_tsc_cycles() >> FP_TICK_SHIFT;

	for (unsigned i = 0; i < FP_MAX_NETS; i++)
		if (fp_c.nets[i] != NULL)
			fp_network_sweep(fp_c.nets[i], fp_entry_expired, now);
	fp_network_recount();
}

int
fp_cmd_network_create(void *arg, char *err)
{
	FP_CTL_ONLY();
	const struct fp_network_conf *c = arg;
	struct rte_hash_parameters hp = { 0 };
	char hname[RTE_HASH_NAMESIZE];
	struct fp_network *n;
	int id = -1, rc;

	if (c->name[0] == '\0' || memchr(c->name, 0, FP_NAME_MAX) == NULL)
		return fp_err(err, -EINVAL, "network name must be 1..%d bytes",
			      FP_NAME_MAX - 1);
	if (fp_network_find(c->name) != NULL)
		return fp_err(err, -EEXIST, "network %s already exists", c->name);
	for (unsigned i = 0; i < FP_MAX_NETS && id < 0; i++)
		if (fp_c.nets[i] == NULL)
			id = (int)i;
	if (id < 0)
		return fp_err(err, -ENOSPC, "network table full (%d networks)", FP_MAX_NETS);

	n = rte_zmalloc("fp_net", sizeof(*n), RTE_CACHE_LINE_SIZE);
	if (n == NULL)
		return fp_err(err, -ENOMEM, "out of memory for network %s", c->name);
	snprintf(n->name, sizeof(n->name), "%s", c->name);
	n->id = (uint16_t)id;
	snprintf(hname, sizeof(hname), "fp_mac_%u", (unsigned)++fp_c.net_gen);
	hp.name = hname;
	hp.entries = fp_c.conf.mac_table_size;
	hp.key_len = sizeof(uint64_t);
	hp.hash_func = rte_hash_crc;
	hp.socket_id = (int)rte_socket_id();
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD;
	n->mac = rte_hash_create(&hp);
	if (n->mac == NULL) {
		rte_free(n);
		return fp_err(err, -ENOMEM, "cannot create MAC table for network %s",
			      c->name);
	}
	rte_hash_set_cmp_func(n->mac, fp_mac_key_cmp); /* not memcmp: see there */
	/* Multi-writer tables keep per-lcore slot caches: positions can exceed
	 * `entries`. */
	n->n_entries = (uint32_t)rte_hash_max_key_id(n->mac) + 1;
	n->entries = rte_zmalloc("fp_mac", n->n_entries * sizeof(*n->entries),
				 RTE_CACHE_LINE_SIZE);
	if (n->entries == NULL) {
		fp_network_free(n);
		return fp_err(err, -ENOMEM, "out of memory for network %s", c->name);
	}
	fp_c.nets[id] = n;
	rc = fp_snapshot_publish(err);
	if (rc != 0) {
		fp_c.nets[id] = NULL;
		fp_network_free(n);
	}
	return rc;
}

static int
fp_network_destroy(struct fp_network *n, char *err)
{
	struct fp_flow_table *ft = fp_c.flows[n->id];
	int rc;

	fp_c.nets[n->id] = NULL;
	fp_c.flows[n->id] = NULL;
	rc = fp_snapshot_publish(err);
	if (rc != 0) {
		fp_c.nets[n->id] = n; /* still published: keep it */
		fp_c.flows[n->id] = ft;
		return rc;
	}
	fp_flow_table_free(ft);
	fp_network_free(n);
	return 0;
}

int
fp_cmd_network_delete(void *arg, char *err)
{
	FP_CTL_ONLY();
	const char *name = arg;
	struct fp_network *n = fp_network_find(name);
	unsigned users = 0;

	if (n == NULL)
		return fp_err(err, -ENOENT, "no network named %s", name);
	for (unsigned i = 0; i < FP_MAX_PORTS; i++)
		if (fp_c.ports[i] != NULL && fp_c.ports[i]->net == n->id)
			users++;
	if (fp_overlay_uses_network(n->id))
		return fp_err(err, -EBUSY, "network %s has an overlay: remove it first", name);
	if (users > 0)
		return fp_err(err, -EBUSY, "network %s still has %u port(s)", name, users);
	return fp_network_destroy(n, err);
}

void
fp_network_destroy_all(void)
{
	for (unsigned i = 0; i < FP_MAX_NETS; i++)
		if (fp_c.nets[i] != NULL)
			fp_network_destroy(fp_c.nets[i], NULL);
}

int
fp_network_create(const struct fp_network_conf *conf, char *err)
{
	return fp_ctl_call(fp_cmd_network_create, (void *)(uintptr_t)conf, err);
}

int
fp_network_delete(const char *name, char *err)
{
	return fp_ctl_call(fp_cmd_network_delete, (void *)(uintptr_t)name, err);
}
