/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fp-ctl: the thread that owns EAL. fp_start() creates it and waits while it
 * runs rte_eal_init() (which pins the calling thread to the main lcore, so
 * this must never be Node's event-loop thread), creates the mbuf pool and
 * the RCU state, and launches the workers. Then it serves commands and
 * events until fp_stop().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_version.h>

#include "../common/fp_guard.h"
#include "../dp/fp_worker.h"
#include "fp_ctl.h"

struct fp_ctl fp_c = {
	.ports_lock = PTHREAD_MUTEX_INITIALIZER,
	.q_lock = PTHREAD_MUTEX_INITIALIZER,
	.epfd = -1,
	.wake_fd = -1,
};
struct fp_dp_globals fp_dp;

struct fp_cmd {
	int (*fn)(void *arg, char *err);
	void *arg;
	char *err;
	int rc;
	sem_t done;
	struct fp_cmd *next;
};

/* Lifecycle, guarded by life_lock (callers' threads). */
static pthread_mutex_t life_lock = PTHREAD_MUTEX_INITIALIZER;
static enum { FP_NEW, FP_RUNNING, FP_STOPPING, FP_DONE } life = FP_NEW;
static pthread_t ctl_thread;
static sem_t start_sem;
static int start_rc;
static char start_err[FP_ERR_LEN];

/* Any thread (async-signal-safe): fp-ctl leaves epoll_wait. */
static void
fp_ctl_wake(void)
{
	uint64_t one = 1;
	ssize_t rc = write(fp_c.wake_fd, &one, sizeof(one));
	(void)rc; /* EAGAIN: the counter is full, so fp-ctl is awake anyway */
}

/* Queue cmd for fp-ctl and wait. @pre life_lock held; released here. */
static int
fp_ctl_submit(struct fp_cmd *cmd)
{
	int rc;

	sem_init(&cmd->done, 0, 0);
	pthread_mutex_lock(&fp_c.q_lock);
	if (fp_c.cmd_tail != NULL)
		fp_c.cmd_tail->next = cmd;
	else
		fp_c.cmd_head = cmd;
	fp_c.cmd_tail = cmd;
	pthread_mutex_unlock(&fp_c.q_lock);
	fp_ctl_wake();
	pthread_mutex_unlock(&life_lock);

	while (sem_wait(&cmd->done) != 0 && errno == EINTR)
		;
	rc = cmd->rc;
	sem_destroy(&cmd->done);
	return rc;
}

int
fp_ctl_call(int (*fn)(void *arg, char *err), void *arg, char *err)
{
	struct fp_cmd cmd = { .fn = fn, .arg = arg, .err = err };

	pthread_mutex_lock(&life_lock);
	if (life != FP_RUNNING) {
		pthread_mutex_unlock(&life_lock);
		return fp_err(err, -ENODEV, "data plane is not running");
	}
	return fp_ctl_submit(&cmd);
}

void
fp_ctl_post_event(const struct fp_event *ev, uint16_t slot)
{
	slot &= FP_MAX_PORTS - 1;
	pthread_mutex_lock(&fp_c.q_lock);
	/* Every port within its share fits: FP_EVQ_SIZE is all the shares. */
	if (fp_c.ev_queued[slot] < FP_EV_PER_PORT) {
		fp_c.evq[fp_c.ev_tail % FP_EVQ_SIZE] = (struct fp_evq_entry){ .ev = *ev, .slot = slot };
		fp_c.ev_tail++;
		fp_c.ev_queued[slot]++;
	} else {
		fp_c.ev_dropped++;
	}
	pthread_mutex_unlock(&fp_c.q_lock);
	fp_ctl_wake();
}

int
fp_ctl_watch_add(struct fp_ctl_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(fp_c.epfd, EPOLL_CTL_ADD, w->fd, &ev) == 0 ? 0 : -errno;
}

void
fp_ctl_watch_del(struct fp_ctl_watch *w)
{
	epoll_ctl(fp_c.epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

static int
fp_setup(char *err)
{
	unsigned lcore, n = 0;
	size_t sz;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (n == FP_MAX_WORKERS)
			return fp_err(err, -EINVAL, "at most %d worker lcores are supported",
				      FP_MAX_WORKERS);
		fp_dp.worker_lcore[n++] = lcore;
	}
	if (n == 0)
		return fp_err(err, -EINVAL,
			      "no worker lcore: --lcores must list one besides the main lcore");
	fp_dp.n_workers = n;
	fp_dp.tsc_hz = rte_get_tsc_hz();
	fp_c.tsc_hz = rte_get_tsc_hz();
	fp_c.mac_age_ticks = (uint32_t)((fp_c.tsc_hz * fp_c.conf.mac_age_ms / 1000) >>
					FP_TICK_SHIFT);

	fp_dp.pool = rte_pktmbuf_pool_create("fp_mbuf", fp_c.conf.n_mbufs, 256, 0,
					     RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (fp_dp.pool == NULL)
		return fp_err(err, -ENOMEM,
			      "cannot allocate the mbuf pool (%u mbufs, ~%u MiB): %s; "
			      "give the data plane more memory",
			      fp_c.conf.n_mbufs,
			      (unsigned)((uint64_t)fp_c.conf.n_mbufs *
					 (RTE_MBUF_DEFAULT_BUF_SIZE + 128 + 64) >> 20),
			      rte_strerror(rte_errno));

	/* After rte_eal_init: EAL swaps SIGBUS handlers while it maps memory. */
	if (fp_guard_init(fp_c.wake_fd) != 0)
		return fp_err(err, -errno, "cannot install the guest-memory fault handler");

	sz = rte_rcu_qsbr_get_memsize(n);
	fp_dp.qsv = rte_zmalloc("fp_qsv", sz, RTE_CACHE_LINE_SIZE);
	if (fp_dp.qsv == NULL)
		return fp_err(err, -ENOMEM, "cannot allocate RCU state");
	rte_rcu_qsbr_init(fp_dp.qsv, n);

	for (unsigned i = 0; i < n; i++) {
		lcore = fp_dp.worker_lcore[i];
		fp_c.wl[i] = rte_zmalloc_socket("fp_wl", sizeof(*fp_c.wl[i]),
						RTE_CACHE_LINE_SIZE,
						(int)rte_lcore_to_socket_id(lcore));
		if (fp_c.wl[i] == NULL)
			return fp_err(err, -ENOMEM, "cannot allocate worker state");
		fp_c.wl[i]->idx = i;
		fp_c.wl[i]->lcore = lcore;
		rte_rcu_qsbr_thread_register(fp_dp.qsv, i);
	}
	return fp_snapshot_publish(err);
}

static void
fp_teardown(void)
{
	__atomic_store_n(&fp_dp.stop, 1, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	fp_snapshot_release();
	for (unsigned i = 0; i < FP_MAX_WORKERS; i++) {
		rte_free(fp_c.wl[i]);
		fp_c.wl[i] = NULL;
	}
	rte_free(fp_dp.qsv);
	fp_dp.qsv = NULL;
	rte_mempool_free(fp_dp.pool);
	fp_dp.pool = NULL;
	fp_guard_fini();
}

static int
fp_cmd_stop(void *arg, char *err)
{
	FP_CTL_ONLY();
	(void)arg;
	(void)err;
	fp_overlay_remove_all(); /* tunnels use uplinks: both before the rest */
	fp_port_remove_all();
	fp_network_destroy_all();
	fp_teardown();
	fp_c.exiting = 1;
	return 0;
}

static void
fp_ctl_loop(void)
{
	uint64_t next_age = rte_get_tsc_cycles() + fp_c.tsc_hz;

	while (!fp_c.exiting) {
		struct epoll_event fdev[16];
		struct fp_cmd *cmds;
		struct fp_event evs[64];
		unsigned n_ev = 0;
		int busy, n_fd;

		pthread_mutex_lock(&fp_c.q_lock);
		busy = fp_c.cmd_head != NULL || fp_c.ev_head != fp_c.ev_tail;
		pthread_mutex_unlock(&fp_c.q_lock);
		/* 100 ms at most: link polling, aging, and faults that workers
		 * report without a system call. */
		n_fd = epoll_wait(fp_c.epfd, fdev, RTE_DIM(fdev), busy ? 0 : 100);
		for (int i = 0; i < n_fd; i++) {
			struct fp_ctl_watch *w = fdev[i].data.ptr;
			if (w == NULL) {
				uint64_t v;
				ssize_t rc = read(fp_c.wake_fd, &v, sizeof(v));
				(void)rc;
			} else {
				w->cb(w, fdev[i].events);
			}
		}

		pthread_mutex_lock(&fp_c.q_lock);
		cmds = fp_c.cmd_head;
		fp_c.cmd_head = fp_c.cmd_tail = NULL;
		while (fp_c.ev_head != fp_c.ev_tail && n_ev < RTE_DIM(evs)) {
			const struct fp_evq_entry *e = &fp_c.evq[fp_c.ev_head++ % FP_EVQ_SIZE];
			fp_c.ev_queued[e->slot]--;
			evs[n_ev++] = e->ev;
		}
		pthread_mutex_unlock(&fp_c.q_lock);

		/* Events first: they happened before the commands were seen. */
		for (unsigned i = 0; i < n_ev; i++)
			if (fp_c.conf.on_event != NULL)
				fp_c.conf.on_event(&evs[i], fp_c.conf.event_ctx);
		while (cmds != NULL) {
			struct fp_cmd *next = cmds->next;
			cmds->rc = cmds->fn(cmds->arg, cmds->err);
			sem_post(&cmds->done); /* cmds may vanish now */
			cmds = next;
		}
		if (fp_c.exiting)
			break;
		fp_peer_tick();
		fp_ethdev_poll_links();
		fp_overlay_tick();
		if (rte_get_tsc_cycles() >= next_age) {
			fp_network_age_all();
			next_age = rte_get_tsc_cycles() + fp_c.tsc_hz;
		}
	}
}

static void *
fp_ctl_main(void *unused)
{
	int rc;

	(void)unused;
	pthread_setname_np(pthread_self(), "fp-ctl");
	fp_c.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	fp_c.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (fp_c.wake_fd < 0 || fp_c.epfd < 0 ||
	    epoll_ctl(fp_c.epfd, EPOLL_CTL_ADD, fp_c.wake_fd,
		      &(struct epoll_event){ .events = EPOLLIN, .data.ptr = NULL }) != 0) {
		start_rc = fp_err(start_err, -errno, "cannot create fp-ctl's event descriptors: %s",
				  strerror(errno));
		sem_post(&start_sem);
		return NULL;
	}
	rc = rte_eal_init(fp_c.conf.argc, fp_c.conf.argv);
	if (rc < 0) {
		int e = rte_errno ? rte_errno : EINVAL;
		start_rc = fp_err(start_err, -e, "rte_eal_init failed: %s (see the EAL log)",
				  rte_strerror(e));
		sem_post(&start_sem);
		return NULL;
	}
	rc = fp_setup(start_err);
	if (rc == 0) {
		for (unsigned i = 0; i < fp_dp.n_workers; i++)
			rte_eal_remote_launch(fp_worker_main, fp_c.wl[i], fp_dp.worker_lcore[i]);
	} else {
		fp_teardown();
		rte_eal_cleanup();
		start_rc = rc;
		sem_post(&start_sem);
		return NULL;
	}
	start_rc = 0;
	sem_post(&start_sem);
	fp_ctl_loop();
	rte_eal_cleanup();
	return NULL;
}

int
fp_start(const struct fp_start_conf *conf, char *err)
{
	int rc;

	pthread_mutex_lock(&life_lock);
	if (life != FP_NEW) {
		pthread_mutex_unlock(&life_lock);
		return fp_err(err, -EALREADY,
			      "the data plane was already started in this process "
			      "(DPDK cannot be initialised twice; restart the process)");
	}
	life = FP_DONE; /* a failed start cannot be retried either */
	fp_c.conf = *conf;
	fp_c.conf.argv = calloc((size_t)conf->argc + 1, sizeof(char *));
	if (fp_c.conf.argv == NULL) {
		pthread_mutex_unlock(&life_lock);
		return fp_err(err, -ENOMEM, "out of memory");
	}
	for (int i = 0; i < conf->argc; i++)
		fp_c.conf.argv[i] = strdup(conf->argv[i]);

	sem_init(&start_sem, 0, 0);
	rc = pthread_create(&ctl_thread, NULL, fp_ctl_main, NULL);
	if (rc != 0) {
		pthread_mutex_unlock(&life_lock);
		return fp_err(err, -rc, "cannot create fp-ctl thread: %s", strerror(rc));
	}
	while (sem_wait(&start_sem) != 0 && errno == EINTR)
		;
	if (start_rc != 0) {
		pthread_join(ctl_thread, NULL);
		pthread_mutex_unlock(&life_lock);
		snprintf(err, FP_ERR_LEN, "%s", start_err);
		return start_rc;
	}
	life = FP_RUNNING;
	pthread_mutex_unlock(&life_lock);
	return 0;
}

int
fp_stop(char *err)
{
	struct fp_cmd cmd = { .fn = fp_cmd_stop, .err = err };

	pthread_mutex_lock(&life_lock);
	if (life != FP_RUNNING) {
		pthread_mutex_unlock(&life_lock);
		return fp_err(err, -ENODEV, "data plane is not running");
	}
	/* Commands queued before this one still run; later ones are refused. */
	life = FP_STOPPING;
	fp_ctl_submit(&cmd);
	pthread_join(ctl_thread, NULL);
	pthread_mutex_lock(&life_lock);
	life = FP_DONE;
	pthread_mutex_unlock(&life_lock);
	return 0;
}

static int
fp_cmd_info(void *arg, char *err)
{
	FP_CTL_ONLY();
	struct fp_info *info = arg;

	(void)err;
	snprintf(info->dpdk_version, sizeof(info->dpdk_version), "%s", rte_version());
	info->main_lcore = rte_get_main_lcore();
	info->n_workers = fp_dp.n_workers;
	for (unsigned i = 0; i < fp_dp.n_workers; i++)
		info->worker_lcores[i] = fp_dp.worker_lcore[i];
	info->huge_pages = rte_eal_has_hugepages();
	return 0;
}

int
fp_get_info(struct fp_info *info, char *err)
{
	return fp_ctl_call(fp_cmd_info, info, err);
}

static int
fp_cmd_forwarding(void *arg, char *err)
{
	FP_CTL_ONLY();
	uint8_t old = fp_c.forwarding;
	int rc;

	fp_c.forwarding = (uint8_t)(*(int *)arg != 0);
	rc = fp_snapshot_publish(err);
	if (rc != 0)
		fp_c.forwarding = old;
	return rc;
}

int
fp_set_forwarding(int enabled, char *err)
{
	return fp_ctl_call(fp_cmd_forwarding, &enabled, err);
}
