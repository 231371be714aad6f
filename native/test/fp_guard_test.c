/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fault guard against real faults: a region whose file is truncated
 * under us faults on access; the guard patches it and reports the owner, on
 * this thread and on another one at the same time. A fault outside any
 * registered region still kills the process (checked in a child).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fp_guard.h"
#include "fp_check.h"

#define LEN (1u << 20)

static uint8_t *
tenant_region(int *fd_out)
{
	int fd = memfd_create("tenant", MFD_CLOEXEC);
	uint8_t *m;

	if (fd < 0 || ftruncate(fd, LEN) != 0)
		return NULL;
	m = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return NULL;
	memset(m, 0xab, LEN);
	*fd_out = fd;
	return m;
}

static void
test_contains_a_truncated_region(int wake)
{
	struct fp_guard_fault f[4];
	volatile uint8_t *m;
	uint64_t woken = 0;
	int fd = -1;

	m = tenant_region(&fd);
	CHECK(m != NULL);
	CHECK(fp_guard_add((void *)m, LEN, 0x10007, 3) == 0); /* slot 7, generation 1 */
	CHECK(fp_guard_count() == 1);
	CHECK(ftruncate(fd, 0) == 0); /* the tenant's move */
	CHECK(m[4096 * 3] == 0);      /* faults, is patched, reads zeros */
	m[100] = 1;                   /* and later writes land harmlessly */
	CHECK(fp_guard_drain(f, 4) == 1);
	CHECK(f[0].token == 0x10007 && f[0].conn == 3 && f[0].reason == FP_PEER_guest_fault);
	CHECK(f[0].addr == (uintptr_t)m + 4096 * 3);
	CHECK(fp_guard_port_faulted(7, 0x10007));
	CHECK(!fp_guard_port_faulted(7, 0x20007)); /* another port in that slot */
	CHECK(fp_guard_reason(7) == FP_PEER_guest_fault);
	CHECK(read(wake, &woken, sizeof(woken)) == sizeof(woken) && woken == 1);
	fp_guard_clear(7);
	CHECK(!fp_guard_port_faulted(7, 0x10007));
	fp_guard_forget_range((void *)m, LEN);
	CHECK(fp_guard_count() == 0);
	munmap((void *)m, LEN);
	close(fd);
}

struct toucher {
	volatile uint8_t *m;
	int zeros;
};

static void *
touch(void *arg)
{
	struct toucher *t = arg;

	for (unsigned i = 0; i < LEN; i += 4096)
		t->zeros += t->m[i] == 0;
	return NULL;
}

/* Two threads fault on one region: it is patched once, reported once. */
static void
test_two_threads_one_region(void)
{
	struct fp_guard_fault f[4];
	struct toucher t[2];
	pthread_t th[2];
	int fd = -1;
	uint8_t *m = tenant_region(&fd);

	CHECK(m != NULL && fp_guard_add(m, LEN, 0x10009, 1) == 0);
	CHECK(ftruncate(fd, 0) == 0);
	for (int i = 0; i < 2; i++) {
		t[i] = (struct toucher){ .m = m };
		pthread_create(&th[i], NULL, touch, &t[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK(t[0].zeros == LEN / 4096 && t[1].zeros == LEN / 4096);
	CHECK(fp_guard_drain(f, 4) == 1);
	fp_guard_forget_range(m, LEN);
	munmap(m, LEN);
	close(fd);
	fp_guard_clear(9);
}

/* The newest registration wins where two overlap (a stale entry must not
 * take the blame for a new mapping at the same address). */
static void
test_newest_owner_wins(void)
{
	struct fp_guard_fault f[4];
	int fd = -1;
	volatile uint8_t *m = tenant_region(&fd);

	CHECK(fp_guard_add((void *)m, LEN, 0x10001, 1) == 0);
	CHECK(fp_guard_add((void *)m, LEN, 0x10002, 5) == 0);
	CHECK(ftruncate(fd, 0) == 0);
	CHECK(m[0] == 0);
	CHECK(fp_guard_drain(f, 4) == 1 && f[0].token == 0x10002 && f[0].conn == 5);
	fp_guard_forget_range((void *)m, LEN);
	CHECK(fp_guard_count() == 0);
	munmap((void *)m, LEN);
	close(fd);
	fp_guard_clear(2);
}

/* Our own bugs still crash: a fault outside tenant memory is not hidden. */
static void
test_other_faults_still_crash(void)
{
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		volatile uint8_t *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core); /* the crash is the expected outcome */
		(void)p[0];
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
}

/* Workers report protocol violations without a system call. */
static void
test_report_from_a_worker(void)
{
	struct fp_guard_fault f[2];

	fp_guard_report(0x30004, 9, 0, FP_PEER_bad_ring, 0);
	CHECK(fp_guard_port_faulted(4, 0x30004) && fp_guard_reason(4) == FP_PEER_bad_ring);
	CHECK(fp_guard_drain(f, 2) == 1 && f[0].reason == FP_PEER_bad_ring && f[0].addr == 0);
	fp_guard_clear(4);
}

int
main(void)
{
	int wake = eventfd(0, EFD_NONBLOCK);

	CHECK(fp_guard_init(wake) == 0);
	test_contains_a_truncated_region(wake);
	test_two_threads_one_region();
	test_newest_owner_wins();
	test_report_from_a_worker();
	test_other_faults_still_crash();
	fp_guard_fini();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures != 0;
}
