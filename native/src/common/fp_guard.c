/* SPDX-License-Identifier: Apache-2.0 */
/* Guest-memory fault containment: see fp_guard.h for the protocol. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_pause.h>

#include "fp_guard.h"

enum { FP_GR_FREE = 0, FP_GR_LIVE, FP_GR_PATCHING, FP_GR_PATCHED };

/* A handler that keeps meeting an already patched region is not looking at
 * tenant memory any more: pass the fault on rather than loop. */
#define FP_GR_MAX_REFAULTS 64

struct fp_guard_region {
	uint32_t seq;      /* even: stable; writers: odd while changing */
	uint32_t state;    /* FP_GR_*; writers: FREE/LIVE, handler: LIVE->PATCHED */
	uintptr_t start;   /* [start, end) */
	uintptr_t end;
	uint32_t token;
	uint32_t conn;
	uint64_t order;    /* registration number: the newest overlapping wins */
	uint32_t refaults; /* handler only */
};

struct fp_guard_log_entry {
	uint32_t seq; /* position + 1 once written (release) */
	struct fp_guard_fault f;
};

static struct {
	pthread_mutex_t lock;     /* writers of regions[] */
	uint32_t hw;              /* entries in use are below this (release) */
	uint64_t next_order;      /* under lock */
	unsigned count;           /* live entries, under lock */
	int wake_fd;
	int installed;
	struct sigaction old_bus, old_segv;
	uint32_t log_head;        /* reporters: fetch-add */
	uint32_t log_tail;        /* fp-ctl */
	uint64_t lost;
	struct fp_guard_log_entry log[FP_GUARD_LOG_SIZE];
	struct fp_guard_region regions[FP_GUARD_MAX_REGIONS];
} fp_g = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake_fd = -1 };

uint32_t fp_guard_faulted[FP_MAX_PORTS];
uint8_t fp_guard_why[FP_MAX_PORTS];

/* ---- writers (never in a signal handler) ---- */

static void
fp_gr_begin(struct fp_guard_region *r)
{
	__atomic_store_n(&r->seq, r->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void
fp_gr_end(struct fp_guard_region *r)
{
	__atomic_store_n(&r->seq, r->seq + 1, __ATOMIC_RELEASE);
}

int
fp_guard_add(void *start, size_t len, uint32_t token, uint32_t conn)
{
	struct fp_guard_region *r = NULL;
	uint32_t hw;

	if (len == 0)
		return -EINVAL;
	pthread_mutex_lock(&fp_g.lock);
	hw = fp_g.hw;
	for (uint32_t i = 0; i < hw; i++) {
		if (__atomic_load_n(&fp_g.regions[i].state, __ATOMIC_RELAXED) == FP_GR_FREE) {
			r = &fp_g.regions[i];
			break;
		}
	}
	if (r == NULL) {
		if (hw == FP_GUARD_MAX_REGIONS) {
			pthread_mutex_unlock(&fp_g.lock);
			return -ENOSPC;
		}
		r = &fp_g.regions[hw];
	}
	fp_gr_begin(r);
	__atomic_store_n(&r->start, (uintptr_t)start, __ATOMIC_RELAXED);
	__atomic_store_n(&r->end, (uintptr_t)start + len, __ATOMIC_RELAXED);
	__atomic_store_n(&r->token, token, __ATOMIC_RELAXED);
	__atomic_store_n(&r->conn, conn, __ATOMIC_RELAXED);
	__atomic_store_n(&r->order, ++fp_g.next_order, __ATOMIC_RELAXED);
	__atomic_store_n(&r->refaults, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&r->state, FP_GR_LIVE, __ATOMIC_RELAXED);
	fp_gr_end(r);
	if (r == &fp_g.regions[hw])
		__atomic_store_n(&fp_g.hw, hw + 1, __ATOMIC_RELEASE);
	fp_g.count++;
	pthread_mutex_unlock(&fp_g.lock);
	return 0;
}

void
fp_guard_forget_range(void *start, size_t len)
{
	uintptr_t lo = (uintptr_t)start, hi = lo + len;

	pthread_mutex_lock(&fp_g.lock);
	for (uint32_t i = 0; i < fp_g.hw; i++) {
		struct fp_guard_region *r = &fp_g.regions[i];
		uint32_t st = __atomic_load_n(&r->state, __ATOMIC_ACQUIRE);

		if (st == FP_GR_FREE || r->end <= lo || r->start >= hi)
			continue;
		/* A handler still patching this region finishes first. */
		while (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) == FP_GR_PATCHING)
			rte_pause();
		fp_gr_begin(r);
		__atomic_store_n(&r->state, FP_GR_FREE, __ATOMIC_RELAXED);
		fp_gr_end(r);
		fp_g.count--;
	}
	pthread_mutex_unlock(&fp_g.lock);
}

unsigned
fp_guard_count(void)
{
	unsigned n;

	pthread_mutex_lock(&fp_g.lock);
	n = fp_g.count;
	pthread_mutex_unlock(&fp_g.lock);
	return n;
}

/* ---- the fault log (any thread, signal handlers included) ---- */

void
fp_guard_report(uint32_t token, uint32_t conn, uintptr_t addr, uint8_t reason, int wake)
{
	uint32_t h = __atomic_fetch_add(&fp_g.log_head, 1, __ATOMIC_RELAXED);

	if (h - __atomic_load_n(&fp_g.log_tail, __ATOMIC_ACQUIRE) >= FP_GUARD_LOG_SIZE) {
		__atomic_fetch_add(&fp_g.lost, 1, __ATOMIC_RELAXED);
	} else {
		struct fp_guard_log_entry *e = &fp_g.log[h & (FP_GUARD_LOG_SIZE - 1)];
		e->f.token = token;
		e->f.conn = conn;
		e->f.addr = addr;
		e->f.reason = reason;
		__atomic_store_n(&e->seq, h + 1, __ATOMIC_RELEASE);
	}
	if (token != 0) {
		__atomic_store_n(&fp_guard_why[token & (FP_MAX_PORTS - 1)], reason, __ATOMIC_RELAXED);
		__atomic_store_n(&fp_guard_faulted[token & (FP_MAX_PORTS - 1)], token,
				 __ATOMIC_RELEASE);
	}
	if (wake && fp_g.wake_fd >= 0) {
		uint64_t one = 1;
		ssize_t rc = write(fp_g.wake_fd, &one, sizeof(one));
		(void)rc; /* a full eventfd is already awake */
	}
}

unsigned
fp_guard_drain(struct fp_guard_fault *out, unsigned max)
{
	unsigned n = 0;
	uint32_t t = fp_g.log_tail;

	while (n < max && t != __atomic_load_n(&fp_g.log_head, __ATOMIC_ACQUIRE)) {
		struct fp_guard_log_entry *e = &fp_g.log[t & (FP_GUARD_LOG_SIZE - 1)];
		if (__atomic_load_n(&e->seq, __ATOMIC_ACQUIRE) != t + 1)
			break; /* taken but not yet written: next time */
		out[n++] = e->f;
		t++;
		__atomic_store_n(&fp_g.log_tail, t, __ATOMIC_RELEASE);
	}
	return n;
}

uint64_t
fp_guard_lost(void)
{
	return __atomic_load_n(&fp_g.lost, __ATOMIC_RELAXED);
}

/* ---- the signal handler ---- */

/* The newest live region containing a, read without locks. */
static struct fp_guard_region *
fp_guard_find(uintptr_t a, uint32_t *token, uint32_t *conn)
{
	struct fp_guard_region *best = NULL;
	uint64_t best_order = 0;
	uint32_t hw = __atomic_load_n(&fp_g.hw, __ATOMIC_ACQUIRE);

	for (uint32_t i = 0; i < hw; i++) {
		struct fp_guard_region *r = &fp_g.regions[i];
		uintptr_t start, end;
		uint32_t s1, st, tok, cn;
		uint64_t order;

		for (;;) {
			s1 = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
			if (s1 & 1) {
				rte_pause(); /* a writer is between two stores */
				continue;
			}
			st = __atomic_load_n(&r->state, __ATOMIC_RELAXED);
			start = __atomic_load_n(&r->start, __ATOMIC_RELAXED);
			end = __atomic_load_n(&r->end, __ATOMIC_RELAXED);
			tok = __atomic_load_n(&r->token, __ATOMIC_RELAXED);
			cn = __atomic_load_n(&r->conn, __ATOMIC_RELAXED);
			order = __atomic_load_n(&r->order, __ATOMIC_RELAXED);
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (__atomic_load_n(&r->seq, __ATOMIC_RELAXED) == s1)
				break;
		}
		if (st != FP_GR_FREE && a >= start && a < end && order > best_order) {
			best = r;
			best_order = order;
			*token = tok;
			*conn = cn;
		}
	}
	return best;
}

/* Make r harmless. 1: this call patched it; 0: already done (or being done
 * by another thread, waited for); -1: cannot (pass the fault on). */
static int
fp_guard_patch(struct fp_guard_region *r)
{
	uint32_t exp = FP_GR_LIVE;

	if (__atomic_compare_exchange_n(&r->state, &exp, FP_GR_PATCHING, 0, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		/* The region's bounds cannot change while it is PATCHING: writers
		 * wait (fp_guard_forget_range). */
		void *m = mmap((void *)r->start, r->end - r->start, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
		__atomic_store_n(&r->state, m == MAP_FAILED ? FP_GR_LIVE : FP_GR_PATCHED,
				 __ATOMIC_RELEASE);
		return m == MAP_FAILED ? -1 : 1;
	}
	while (exp == FP_GR_PATCHING) {
		rte_pause();
		exp = __atomic_load_n(&r->state, __ATOMIC_ACQUIRE);
	}
	if (__atomic_fetch_add(&r->refaults, 1, __ATOMIC_RELAXED) >= FP_GR_MAX_REFAULTS)
		return -1;
	return 0;
}

static void
fp_guard_pass_on(int sig, siginfo_t *si, void *uc)
{
	const struct sigaction *old = sig == SIGBUS ? &fp_g.old_bus : &fp_g.old_segv;
	struct sigaction dfl;

	if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction != NULL) {
		old->sa_sigaction(sig, si, uc);
		return;
	}
	if (!(old->sa_flags & SA_SIGINFO) && old->sa_handler != SIG_DFL &&
	    old->sa_handler != SIG_IGN) {
		old->sa_handler(sig);
		return;
	}
	/* Default action: return and let the access fault again, now fatal,
	 * with a core dump that shows where. */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	if (si->si_code <= 0)
		raise(sig); /* sent by kill(): there is no access to repeat */
}

static void
fp_guard_handler(int sig, siginfo_t *si, void *uc)
{
	int saved_errno = errno;
	struct fp_guard_region *r = NULL;
	uint32_t token = 0, conn = 0;
	int rc = -1;

	if (si->si_code > 0) /* a fault, not kill() */
		r = fp_guard_find((uintptr_t)si->si_addr, &token, &conn);
	if (r != NULL)
		rc = fp_guard_patch(r);
	if (rc < 0) {
		fp_guard_pass_on(sig, si, uc);
	} else if (rc == 1) {
		fp_guard_report(token, conn, (uintptr_t)si->si_addr, FP_PEER_guest_fault, 1);
	}
	errno = saved_errno;
}

int
fp_guard_init(int wake_fd)
{
	struct sigaction sa;

	if (fp_g.installed)
		return 0;
	fp_g.wake_fd = wake_fd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fp_guard_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &fp_g.old_bus) != 0)
		return -errno;
	if (sigaction(SIGSEGV, &sa, &fp_g.old_segv) != 0) {
		int e = errno;
		sigaction(SIGBUS, &fp_g.old_bus, NULL);
		return -e;
	}
	fp_g.installed = 1;
	return 0;
}

void
fp_guard_fini(void)
{
	if (!fp_g.installed)
		return;
	sigaction(SIGBUS, &fp_g.old_bus, NULL);
	sigaction(SIGSEGV, &fp_g.old_segv, NULL);
	fp_g.installed = 0;
	fp_g.wake_fd = -1;
}
