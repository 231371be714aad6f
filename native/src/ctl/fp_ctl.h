/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fp-ctl internals. fp-ctl is the EAL main lcore: it runs every command the
 * binding sends, is the single writer of the published snapshot, and turns
 * vhost callbacks into events for JS. Everything in `struct fp_ctl` is
 * fp-ctl-only unless a field says otherwise.
 */
#ifndef FP_CTL_H
#define FP_CTL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_debug.h>
#include <rte_lcore.h>

#include "../common/fp_err.h"
#include "../common/fp_flow.h"
#include "../common/fp_globals.h"
#include "../common/fp_worker_local.h"

/* Events one port may have waiting for fp-ctl. A tenant that makes events
 * faster (a guest flipping a vring's enable bit in a loop) loses its own
 * past that; the queue holds every port's share, so nobody else's link
 * event is ever dropped. */
#define FP_EV_PER_PORT 8
#define FP_EVQ_SIZE (FP_MAX_PORTS * FP_EV_PER_PORT)

struct fp_evq_entry {
	struct fp_event ev;
	uint16_t slot;
};

struct fp_ctl {
	struct fp_start_conf conf;    /* copied at start; argv owned here */
	uint64_t tsc_hz;
	uint32_t mac_age_ticks;

	/* Objects. ports[] changes under ports_lock, which vhost callbacks
	 * (vhost-events thread) take to find a port; fp-ctl never holds it
	 * while calling into the vhost library. */
	pthread_mutex_t ports_lock;
	struct fp_port *ports[FP_MAX_PORTS]; /* by slot */
	uint16_t port_gen[FP_MAX_PORTS];
	struct fp_network *nets[FP_MAX_NETS];
	uint16_t net_gen;
	struct fp_flow_table *flows[FP_MAX_NETS]; /* by network id; NULL: none */
	uint32_t flow_gen;
	struct fp_worker_local *wl[FP_MAX_WORKERS];
	uint32_t rxq_load[FP_MAX_WORKERS];   /* rx queues assigned per worker */
	uint8_t forwarding;
	uint64_t snap_gen;

	/* fp-ctl sleeps in epoll_wait on epfd: wake_fd (an eventfd any thread,
	 * a signal handler included, writes to when it queues work) and the
	 * sockets fp-ctl serves (memif). */
	int epfd;
	int wake_fd;

	/* Event queue: vhost callbacks push (any thread), fp-ctl pops. */
	pthread_mutex_t q_lock;
	struct fp_cmd *cmd_head, *cmd_tail;   /* under q_lock */
	struct fp_evq_entry evq[FP_EVQ_SIZE]; /* under q_lock */
	uint32_t ev_head, ev_tail;            /* under q_lock */
	uint8_t ev_queued[FP_MAX_PORTS];      /* under q_lock: waiting, by port slot */
	uint64_t ev_dropped;                  /* under q_lock: past a port's share */
	uint8_t exiting;                      /* fp-ctl: w; loop: r */
};

extern struct fp_ctl fp_c;

/* First line of what only fp-ctl may run (it is EAL's main lcore): commands,
 * publication, flow tables, aging. A call from another thread is our bug
 * and must not go unnoticed. */
#define FP_CTL_ONLY()                                                                     \
	do {                                                                              \
		if (unlikely(rte_lcore_id() != rte_get_main_lcore()))                      \
			rte_panic("%s called off fp-ctl (lcore %u)\n", __func__, rte_lcore_id()); \
	} while (0)

/* Run fn(arg, err) on fp-ctl and wait for its return value.
 * @pre not called on fp-ctl or a worker. */
int fp_ctl_call(int (*fn)(void *arg, char *err), void *arg, char *err);

/* Queue an event of the port in slot for JS; dropped past the port's
 * share (FP_EV_PER_PORT waiting). @pre any thread (vhost callbacks). */
void fp_ctl_post_event(const struct fp_event *ev, uint16_t slot);

/* A socket fp-ctl watches; cb runs on fp-ctl with the epoll events. The
 * struct must live until fp_ctl_watch_del. */
struct fp_ctl_watch {
	int fd;
	void (*cb)(struct fp_ctl_watch *w, uint32_t events);
};
/* @pre fp-ctl. */
int fp_ctl_watch_add(struct fp_ctl_watch *w, uint32_t events);
void fp_ctl_watch_del(struct fp_ctl_watch *w);

/* Disconnect the peers the fault guard marked and count what they did.
 * @pre fp-ctl, every loop. */
void fp_peer_tick(void);

/* Build a snapshot from fp_c and publish it, then free the old one after a
 * grace period. Nothing changes when it fails. @pre called on fp-ctl. */
int fp_snapshot_publish(char *err);
/* Unpublish and free the last snapshot. @pre fp-ctl, workers stopped. */
void fp_snapshot_release(void);

/* @pre called on fp-ctl. */
struct fp_network *fp_network_find(const char *name);
void fp_network_forget_port(struct fp_network *n, uint32_t token);
/* Delete the entries drop(entry, arg) picks; frees their slots after a
 * grace period. Returns how many. */
unsigned fp_network_sweep(struct fp_network *n, int (*drop)(const struct fp_mac_entry *, uint64_t),
			  uint64_t arg);
void fp_network_age_all(void);
void fp_network_destroy_all(void);
struct fp_port *fp_port_find(const char *name);
void fp_port_remove_all(void);
/* A port in two steps, for kinds fp-ctl makes itself (uplinks, tunnels):
 * fp_port_new fills *out in (network net, NULL for none) without placing
 * it; the caller sets what its kind needs; fp_port_start places, opens and
 * publishes it (and frees it on failure). fp_port_destroy undoes both. */
int fp_port_new(const struct fp_port_conf *c, struct fp_network *net, struct fp_port **out,
		char *err);
int fp_port_start(struct fp_port *p, const struct fp_port_conf *c, char *err);
int fp_port_destroy(struct fp_port *p, char *err);

/* The overlay (fp_overlay.c). @pre fp-ctl. */
void fp_overlay_tick(void);         /* every loop: ARP, tunnel links, static MACs */
void fp_overlay_remove_all(void);   /* before the ports go */
int fp_overlay_uses_network(uint16_t net); /* 1: the network has an overlay */

/* Ethdev-backed ports (open/close: fp_port_kinds.h). @pre called on fp-ctl. */
void fp_ethdev_poll_links(void);

/* Flow tables. @pre called on fp-ctl. */
/* key_mask: sizeof(struct fp_flow_key) bytes, set to the bytes the
 * classifier reads. */
struct rte_acl_ctx *fp_flow_acl_build(const struct fp_flow_rule *rules, const uint16_t *in_slot,
				      uint32_t n, uint32_t gen, uint64_t *key_mask, char *err);
void fp_flow_table_free(struct fp_flow_table *t);
/* Re-resolve network net's rules if they name this port (added or removed). */
int fp_flow_port_changed(uint16_t net, const char *name, char *err);

/* Commands, run on fp-ctl through fp_ctl_call. */
int fp_cmd_network_create(void *arg, char *err);
int fp_cmd_network_delete(void *arg, char *err);
int fp_cmd_port_add(void *arg, char *err);
int fp_cmd_port_remove(void *arg, char *err);
int fp_cmd_stats(void *arg, char *err);
int fp_cmd_flow_table_set(void *arg, char *err);
int fp_cmd_flow_stats(void *arg, char *err);

#endif
