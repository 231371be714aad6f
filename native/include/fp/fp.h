/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fastpath data plane: the C API the Node binding uses. No DPDK type leaks
 * through this header. Every function returns 0 or -errno and, on error,
 * writes a human-readable message into `err` (FP_ERR_LEN bytes).
 *
 * Threads: all functions except fp_counter_names() are called from any
 * thread that is neither fp-ctl nor a worker lcore (in practice: libuv's
 * thread pool). They hand the work to fp-ctl and block until it is done.
 */
#ifndef FP_H
#define FP_H

#include <stddef.h>
#include <stdint.h>

#include "fp_counters.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FP_ERR_LEN 256
#define FP_NAME_MAX 64   /* port and network names, including the NUL */
#define FP_PATH_MAX 108  /* sun_path size, including the NUL */
#define FP_MAX_WORKERS 16
#define FP_MAX_QUEUES 16 /* queue pairs per port */

enum fp_event_kind {
	FP_EVENT_LINK_UP = 1,  /* guest finished negotiation; features valid */
	FP_EVENT_LINK_DOWN,    /* guest went away (or port removed) */
	FP_EVENT_QUEUE_STATE,  /* a vring was enabled or disabled */
};

/* Small, self-contained: copied across to the JS thread. */
struct fp_event {
	enum fp_event_kind kind;
	char port[FP_NAME_MAX];
	uint64_t features; /* LINK_UP: negotiated virtio features */
	uint16_t queue_pairs;
	uint16_t vring;    /* QUEUE_STATE: vring index (even = to guest) */
	uint8_t enabled;   /* QUEUE_STATE */
};

/* Called on fp-ctl. Must not block; the binding copies and returns. */
typedef void (*fp_event_fn)(const struct fp_event *ev, void *ctx);

struct fp_start_conf {
	int argc;            /* EAL arguments, argv[0] included */
	char **argv;
	uint32_t n_mbufs;    /* shared mbuf pool size */
	uint32_t mac_table_size; /* entries per network */
	uint32_t mac_age_ms; /* learned entries idle this long are removed */
	fp_event_fn on_event;
	void *event_ctx;
};

struct fp_network_conf {
	char name[FP_NAME_MAX];
};

enum fp_port_mode { FP_PORT_SERVER = 0, FP_PORT_CLIENT = 1 };

/* vhost-user through librte_vhost, or any ethdev vdev (net_memif, net_tap). */
enum fp_port_kind { FP_PORT_VHOST = 0, FP_PORT_ETHDEV = 1 };

#define FP_DEVARGS_MAX 512

struct fp_port_conf {
	char name[FP_NAME_MAX];
	char network[FP_NAME_MAX];
	char path[FP_PATH_MAX];
	enum fp_port_mode mode;
	uint16_t queues;  /* queue pairs offered to the guest, 1..FP_MAX_QUEUES */
	uint16_t vlan;    /* 0: trunk (frames keep their tags); 1..4094: access */
	enum fp_port_kind kind;
	char driver[32];  /* ethdev: vdev driver, e.g. "net_memif" */
	char devargs[FP_DEVARGS_MAX]; /* ethdev: the driver's arguments */
};

struct fp_port_stats {
	char name[FP_NAME_MAX];
	char network[FP_NAME_MAX];
	int link_up;
	uint16_t queue_pairs;
	uint64_t features;
	uint64_t counters[FP_PORT_COUNTER_MAX];
};

struct fp_worker_stats {
	unsigned lcore;
	uint64_t counters[FP_WORKER_COUNTER_MAX];
};

struct fp_stats {
	uint64_t tsc_hz;
	uint32_t mbufs_total;
	uint32_t mbufs_available;
	uint32_t n_ports;
	uint32_t n_workers;
	struct fp_port_stats *ports;     /* n_ports entries */
	struct fp_worker_stats *workers; /* n_workers entries */
};

struct fp_info {
	char dpdk_version[64];
	unsigned main_lcore;
	unsigned n_workers;
	unsigned worker_lcores[FP_MAX_WORKERS];
	int huge_pages; /* 1 if EAL runs on hugepages, 0 with --no-huge */
};

/* Start fp-ctl, run rte_eal_init on it, launch workers. Once per process. */
int fp_start(const struct fp_start_conf *conf, char *err);
/* Remove all ports, stop workers, rte_eal_cleanup. */
int fp_stop(char *err);
int fp_get_info(struct fp_info *info, char *err);

/* Forwarding starts disabled so that state can be replayed first. */
int fp_set_forwarding(int enabled, char *err);

int fp_network_create(const struct fp_network_conf *conf, char *err);
int fp_network_delete(const char *name, char *err);

int fp_port_add(const struct fp_port_conf *conf, char *err);
int fp_port_remove(const char *name, char *err);

/* Fills *out; release with fp_stats_free. */
int fp_stats_read(struct fp_stats *out, char *err);
void fp_stats_free(struct fp_stats *s);

/* Names in counter order; any thread, no state. */
const char *fp_port_counter_name(unsigned i);
const char *fp_worker_counter_name(unsigned i);

#ifdef __cplusplus
}
#endif
#endif
