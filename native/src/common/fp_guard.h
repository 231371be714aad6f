/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest-memory fault containment.
 *
 * Tenants hand us shared memory (vhost-user mem-table regions, memif
 * regions) and can truncate the file behind it at any time; the next access
 * then raises SIGBUS on whichever thread touches it (a worker copying a
 * frame, the vhost-events thread translating a ring, fp-ctl checking a memif
 * ring). Instead of dying, the process:
 *
 *   1. finds the region that contains the faulting address in a fixed table
 *      of tenant regions (fp_guard_add/forget), without locks;
 *   2. puts an anonymous mapping over the whole region with MAP_FIXED, so the
 *      access that faulted completes (reading zeros) and so do later ones;
 *   3. marks the owning port faulted (fp_guard_faulted[slot], which workers
 *      check before touching a port) and records the fault in a log that
 *      fp-ctl drains, waking it through an eventfd;
 *   4. fp-ctl then disconnects that tenant and reports the reason.
 *
 * A fault at any other address is passed on to the previous handler (V8's
 * WebAssembly trap handler, say) or, when there is none, to the default
 * action, which dumps core: our own bugs still crash loudly.
 *
 * Who writes what
 * ---------------
 * - The region table is written under one mutex by the threads that map and
 *   unmap tenant memory (the vhost-events thread through fp_vhost_wrap.c,
 *   fp-ctl for memif) and read without locks by the signal handler. Each
 *   entry is a seqlock: writers make `seq` odd, change the fields, make it
 *   even again (release); the handler retries an entry whose `seq` is odd or
 *   changed while it read. A region is removed before it is unmapped, so a
 *   stale entry never names memory that is not the tenant's.
 * - The handler moves an entry from LIVE to PATCHING to PATCHED with
 *   compare-and-swap, so a region that faults on two threads at once is
 *   patched once.
 * - fp_guard_faulted[slot]: handler and workers (fp_guard_report) write the
 *   port token; workers read it; fp-ctl clears it when the port's next peer
 *   connects.
 * - The fault log is a fixed ring: reporters take a slot with fetch-add and
 *   publish it by storing its sequence number (release); fp-ctl alone reads.
 *
 * Everything the handler does is async-signal-safe: atomic loads and
 * compare-and-swap on static memory, the mmap and write system calls (glibc's
 * wrappers take no lock), sigaction when passing a fault on. It allocates
 * nothing, takes no lock and does not log.
 */
#ifndef FP_GUARD_H
#define FP_GUARD_H

#include <stddef.h>
#include <stdint.h>

#include "fp_shared.h"

/* Tenant regions the table can hold: 8 per vhost-user connection and
 * FP_MEMIF_MAX_REGIONS per memif connection, for every port. */
#define FP_GUARD_MAX_REGIONS 16384
#define FP_GUARD_LOG_SIZE 256 /* power of two */

/* Why a port's peer is being disconnected (enum fp_peer_error order). */
struct fp_guard_fault {
	uint32_t token;  /* port token (slot | gen << 16) */
	uint32_t conn;   /* the port's connection number when it happened */
	uintptr_t addr;  /* faulting address (0 for a protocol violation) */
	uint8_t reason;  /* enum fp_peer_error */
};

/* Port token whose current peer is faulted, by slot; 0: none. And why
 * (enum fp_peer_error), written before the token. */
extern uint32_t fp_guard_faulted[FP_MAX_PORTS];
extern uint8_t fp_guard_why[FP_MAX_PORTS];

/* Install the SIGBUS/SIGSEGV handler; faults wake fp-ctl through wake_fd
 * (an eventfd). @pre fp-ctl, after rte_eal_init (EAL installs and removes
 * its own SIGBUS handler while it maps hugepages at start). */
int fp_guard_init(int wake_fd);
/* Restore the previous handlers. @pre fp-ctl, no tenant memory mapped. */
void fp_guard_fini(void);

/* Register [start, start + len) as memory a tenant handed to port `token`
 * (connection `conn`). Returns 0, or -ENOSPC when the table is full (the
 * caller must then not use the memory). @pre not in a signal handler. */
int fp_guard_add(void *start, size_t len, uint32_t token, uint32_t conn);
/* Forget every region that overlaps [start, start + len): before unmapping. */
void fp_guard_forget_range(void *start, size_t len);
/* Number of registered regions (tests, stats). */
unsigned fp_guard_count(void);

/*
 * Record that port `token`'s peer must go, for `reason`. Used by the signal
 * handler (wake = 1) and by workers that find a protocol violation in
 * shared memory (wake = 0: no system call on a worker; fp-ctl sees it on
 * its next tick).
 */
void fp_guard_report(uint32_t token, uint32_t conn, uintptr_t addr, uint8_t reason, int wake);

/* Take up to max recorded faults, oldest first. @pre fp-ctl. */
unsigned fp_guard_drain(struct fp_guard_fault *out, unsigned max);
/* Faults that did not fit in the log (the port is still marked faulted). */
uint64_t fp_guard_lost(void);

static inline int
fp_guard_port_faulted(uint16_t slot, uint32_t token)
{
	return __atomic_load_n(&fp_guard_faulted[slot], __ATOMIC_RELAXED) == token;
}

/* Why port slot's peer was marked faulted. @pre control threads, after
 * fp_guard_port_faulted() said it was. */
static inline uint8_t
fp_guard_reason(uint16_t slot)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&fp_guard_why[slot], __ATOMIC_RELAXED);
}

/* A new peer on port `token` starts clean. @pre fp-ctl or a vhost thread. */
static inline void
fp_guard_clear(uint16_t slot)
{
	__atomic_store_n(&fp_guard_faulted[slot], 0, __ATOMIC_RELEASE);
}

#endif
