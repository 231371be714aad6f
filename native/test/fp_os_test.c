/* SPDX-License-Identifier: Apache-2.0 */
/* fp_os: a lock held once, access changes and removals that never follow a
 * tenant's symbolic links, and a removal racing a tenant that swaps a
 * directory for a link. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fp/fp.h"
#include "fp/fp_os.h"
#include "fp_check.h"

static char root[64];

static void
path(char *out, const char *rel)
{
	snprintf(out, 256, "%s/%s", root, rel);
}

static void
touch(const char *rel, const char *content)
{
	char p[256];
	FILE *f;

	path(p, rel);
	f = fopen(p, "w");
	fputs(content, f);
	fclose(f);
}

static void
sock_at(const char *rel)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	path(sa.sun_path, rel);
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	close(fd);
}

static void
test_lock(void)
{
	char p[256], err[FP_ERR_LEN];
	int holder = -1;

	path(p, "lock");
	CHECK(fp_os_lock(p, &holder, err) == 0);
	CHECK(fp_os_lock(p, &holder, err) == -EWOULDBLOCK && holder == getpid());
}

static void
test_set_access(void)
{
	char port[256], victim[256], err[FP_ERR_LEN];
	struct stat st;

	path(port, "port");
	mkdir(port, 0755);
	touch("victim", "secret");
	path(victim, "victim");
	chmod(victim, 0600);
	sock_at("port/sock");
	CHECK(fp_os_set_access(port, "sock", S_IFSOCK, 0660, 1234, 5678, err) == 0);
	CHECK(stat(port, &st) == 0);
	path(port, "port/sock");
	CHECK(lstat(port, &st) == 0 && (st.st_mode & 0777) == 0660 && st.st_uid == 1234 && st.st_gid == 5678);
	/* The tenant swaps its socket for a link to a host file. */
	unlink(port);
	CHECK(symlink(victim, port) == 0);
	path(port, "port");
	CHECK(fp_os_set_access(port, "sock", S_IFSOCK, 0666, 1234, 5678, err) == -ELOOP);
	CHECK(stat(victim, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_uid == 0);
	CHECK(fp_os_set_access(port, "../victim", 0, 0666, -1, -1, err) == -EINVAL);
	unlink(victim);
}

static void
test_remove_tree(void)
{
	char p[256], q[256], err[FP_ERR_LEN];
	struct stat st;

	path(p, "keep");
	mkdir(p, 0755);
	touch("keep/file", "x");
	path(p, "t");
	mkdir(p, 0755);
	path(p, "t/a");
	mkdir(p, 0755);
	touch("t/a/f", "x");
	path(q, "keep");
	path(p, "t/link");
	CHECK(symlink(q, p) == 0);      /* a link to a directory outside */
	path(p, "t/a/flink");
	path(q, "keep/file");
	CHECK(symlink(q, p) == 0);      /* a link to a file outside */
	CHECK(fp_os_remove_tree(root, "t", 100, err) == 0);
	path(p, "t");
	CHECK(lstat(p, &st) != 0);
	path(p, "keep/file");
	CHECK(stat(p, &st) == 0);
	CHECK(fp_os_remove_tree(root, "t", 100, err) == 0); /* gone already: fine */

	path(p, "big");
	mkdir(p, 0755);
	for (int i = 0; i < 20; i++) {
		char n[32];
		snprintf(n, sizeof(n), "big/%d", i);
		touch(n, "x");
	}
	CHECK(fp_os_remove_tree(root, "big", 10, err) == -E2BIG);
	CHECK(fp_os_remove_tree(root, "big", 100, err) == 0);
}

/* A tenant swaps t/d between a directory and a link to keep/ while the
 * switch removes t: keep/ must come out whole, whatever the timing. */
/* A bind mount of the same file system has the same st_dev: removal must
 * still stop at it (it is how a victim's files would be reached). */
static void
test_remove_stops_at_bind_mount(void)
{
	char p[256], q[256], err[FP_ERR_LEN];
	struct stat st;

	path(p, "bvictim");
	mkdir(p, 0755);
	touch("bvictim/file", "precious");
	path(p, "b");
	mkdir(p, 0755);
	path(p, "b/mnt");
	mkdir(p, 0755);
	path(q, "bvictim");
	if (mount(q, p, NULL, MS_BIND, NULL) != 0) {
		fprintf(stderr, "bind mount: %s (needs root)\n", strerror(errno));
		exit(1);
	}
	CHECK(fp_os_remove_tree(root, "b", 100, err) == -EXDEV);
	path(p, "bvictim/file");
	CHECK(stat(p, &st) == 0 && st.st_size == 8);
	path(p, "b/mnt");
	CHECK(umount2(p, MNT_DETACH) == 0);
	CHECK(fp_os_remove_tree(root, "b", 100, err) == 0);
}

static volatile int racing;

static void *
swapper(void *arg)
{
	char d[256], tmp[256], keep[256];

	(void)arg;
	path(d, "r/d");
	path(tmp, "r/d.tmp");
	path(keep, "keep");
	while (racing) {
		mkdir(tmp, 0755);
		rename(tmp, d);      /* a directory ... */
		unlink(tmp);
		symlink(keep, tmp);
		rename(tmp, d);      /* ... or a link to keep/ */
	}
	return NULL;
}

static void
test_remove_race(void)
{
	char p[256], err[FP_ERR_LEN];
	struct stat st;
	pthread_t t;

	for (int round = 0; round < 200; round++) {
		path(p, "r");
		mkdir(p, 0755);
		path(p, "r/d");
		mkdir(p, 0755);
		racing = 1;
		pthread_create(&t, NULL, swapper, NULL);
		fp_os_remove_tree(root, "r", 100, err); /* may fail; must not harm */
		racing = 0;
		pthread_join(t, NULL);
		fp_os_remove_tree(root, "r", 100, err);
		path(p, "keep/file");
		CHECK(stat(p, &st) == 0);
	}
}

int
main(void)
{
	char err[FP_ERR_LEN];

	snprintf(root, sizeof(root), "/tmp/fp_os_test.%d", (int)getpid());
	mkdir(root, 0755);
	test_lock();
	test_remove_stops_at_bind_mount();
	test_set_access();
	test_remove_tree();
	test_remove_race();
	fp_os_remove_tree("/tmp", root + 5, 1000, err);
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures != 0;
}
