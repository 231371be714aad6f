/* SPDX-License-Identifier: Apache-2.0 */
/* Host file-system operations that do not follow symbolic links: fp_os.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fp/fp.h"
#include "fp/fp_os.h"
#include "../common/fp_err.h"

#define FP_OS_MAX_DEPTH 32


int
fp_os_lock(const char *path, int *holder, char *err)
{
	char buf[32];
	ssize_t n;
	int fd, e;

	*holder = 0;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return fp_err(err, -errno, "cannot open lock file %s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		e = errno;
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		if (n > 0) {
			buf[n] = '\0';
			*holder = atoi(buf);
		}
		close(fd);
		return fp_err(err, e == EWOULDBLOCK ? -EWOULDBLOCK : -e, "%s is locked%s", path,
				 e == EWOULDBLOCK ? " by another process" : "");
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
		e = errno;
		close(fd);
		return fp_err(err, -e, "cannot write lock file %s: %s", path, strerror(e));
	}
	/* Never closed: the kernel releases the lock when the process ends,
	 * however it ends. */
	return 0;
}

int
fp_os_lock_holder(const char *path)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int pid = 0;

	if (fd < 0)
		return 0;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		pid = fl.l_pid;
	close(fd);
	return pid;
}

int
fp_os_pin_threads(int cpu, char *err)
{
	cpu_set_t set;
	int changed = 1;

	if (cpu < 0 || cpu >= CPU_SETSIZE)
		return fp_err(err, -EINVAL, "CPU %d is out of range", cpu);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* Again until a pass finds every thread already confined: one started
	 * during a pass inherits whichever mask its creator had. */
	for (int pass = 0; changed && pass < 8; pass++) {
		DIR *d = opendir("/proc/self/task");
		struct dirent *e;

		if (d == NULL)
			return fp_err(err, -errno, "cannot list this process's threads: %s", strerror(errno));
		changed = 0;
		while ((e = readdir(d)) != NULL) {
			pid_t tid = (pid_t)atoi(e->d_name);
			cpu_set_t cur;

			if (tid <= 0 || (sched_getaffinity(tid, sizeof(cur), &cur) == 0 && CPU_EQUAL(&cur, &set)))
				continue;
			if (sched_setaffinity(tid, sizeof(set), &set) != 0 && errno != ESRCH) {
				int en = errno;
				closedir(d);
				if (en == EINVAL)
					return fp_err(err, -en, "CPU %d is not available to this process "
							  "(absent, offline, or outside its cpuset)", cpu);
				return fp_err(err, -en, "cannot confine thread %d to CPU %d: %s", (int)tid, cpu, strerror(en));
			}
			changed = 1;
		}
		closedir(d);
	}
	return 0;
}

static const char *
fp_os_type_name(unsigned t)
{
	return t == S_IFSOCK ? "a socket" : t == S_IFDIR ? "a directory" : "what was expected";
}

int
fp_os_set_access(const char *dir, const char *name, unsigned want, int mode, long uid, long gid,
		 char *err)
{
	char proc[64];
	struct stat st;
	int dfd, fd, rc = 0;

	if (strchr(name, '/') != NULL || strcmp(name, "..") == 0 || strcmp(name, ".") == 0)
		return fp_err(err, -EINVAL, "%s is not a plain name", name);
	dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0)
		return fp_err(err, -errno, "cannot open %s: %s", dir, strerror(errno));
	fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = fp_err(err, -errno, "cannot open %s/%s: %s", dir, name, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		rc = fp_err(err, -errno, "cannot stat %s/%s: %s", dir, name, strerror(errno));
	} else if (S_ISLNK(st.st_mode)) {
		rc = fp_err(err, -ELOOP, "%s/%s is a symbolic link", dir, name);
	} else if (want != 0 && (st.st_mode & S_IFMT) != want) {
		rc = fp_err(err, -EEXIST, "%s/%s is not %s", dir, name, fp_os_type_name(want));
	} else {
		/* The descriptor names the inode itself: /proc/self/fd/N leads
		 * there and nowhere else, whatever the name now points to. */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (chmod(proc, (mode_t)mode) != 0)
			rc = fp_err(err, -errno, "cannot chmod %s/%s: %s", dir, name, strerror(errno));
		else if ((uid >= 0 || gid >= 0) &&
			 fchownat(fd, "", (uid_t)uid, (gid_t)gid, AT_EMPTY_PATH) != 0)
			rc = fp_err(err, -errno, "cannot chown %s/%s: %s", dir, name, strerror(errno));
	}
	close(fd);
out:
	close(dfd);
	return rc;
}

/* Which mount fd is on: the mount id where the kernel gives one (a bind
 * mount of the same file system has the same st_dev), else st_dev. */
static int
fp_os_mount_of(int fd, uint64_t *id)
{
	struct statx stx;
	struct stat st;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) == 0 && (stx.stx_mask & STATX_MNT_ID)) {
		*id = stx.stx_mnt_id;
		return 0;
	}
	if (fstat(fd, &st) != 0)
		return -errno;
	*id = (uint64_t)st.st_dev | (1ull << 63);
	return 0;
}

static int
fp_os_rm_at(int dfd, uint64_t mnt, const char *name, unsigned *budget, int depth, char *err)
{
	struct dirent *e;
	struct stat st;
	uint64_t here = 0;
	DIR *d;
	int fd, rc = 0;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : fp_err(err, -errno, "cannot stat %s: %s", name, strerror(errno));
	if (*budget == 0)
		return fp_err(err, -E2BIG, "too many entries to remove");
	(*budget)--;
	if (!S_ISDIR(st.st_mode)) {
		/* Files, sockets and links alike: unlinkat never follows. */
		if (unlinkat(dfd, name, 0) != 0 && errno != ENOENT)
			return fp_err(err, -errno, "cannot remove %s: %s", name, strerror(errno));
		return 0;
	}
	if (depth >= FP_OS_MAX_DEPTH)
		return fp_err(err, -ELOOP, "directories nested deeper than %d", FP_OS_MAX_DEPTH);
	/* Swapped for a link since fstatat: O_NOFOLLOW refuses to enter it. */
	fd = openat(dfd, name, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fp_err(err, -errno, "cannot open %s: %s", name, strerror(errno));
	/* Checked on what we opened, not the name: a mount (even a bind of
	 * the same file system) is never entered. */
	if (fp_os_mount_of(fd, &here) != 0 || here != mnt) {
		close(fd);
		return fp_err(err, -EXDEV, "%s is another file system (a mount): left alone", name);
	}
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return fp_err(err, -errno, "cannot read %s: %s", name, strerror(errno));
	}
	/* Past an entry we must leave (a mount), the rest still goes; the
	 * first error is the one reported. Out of budget stops everything. */
	while ((e = readdir(d)) != NULL) {
		int r;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		r = fp_os_rm_at(dirfd(d), mnt, e->d_name, budget, depth + 1, rc == 0 ? err : NULL);
		if (r != 0 && rc == 0)
			rc = r;
		if (r == -E2BIG)
			break;
	}
	closedir(d);
	if (rc == 0 && unlinkat(dfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
		rc = fp_err(err, -errno, "cannot remove %s: %s", name, strerror(errno));
	return rc;
}

int
fp_os_remove_tree(const char *dir, const char *name, unsigned max_entries, char *err)
{
	uint64_t mnt;
	unsigned budget = max_entries;
	int dfd, rc;

	if (strchr(name, '/') != NULL || strcmp(name, "..") == 0 || strcmp(name, ".") == 0)
		return fp_err(err, -EINVAL, "%s is not a plain name", name);
	dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0)
		return errno == ENOENT ? 0 : fp_err(err, -errno, "cannot open %s: %s", dir, strerror(errno));
	rc = fp_os_mount_of(dfd, &mnt);
	if (rc != 0)
		rc = fp_err(err, rc, "cannot stat %s: %s", dir, strerror(-rc));
	else
		rc = fp_os_rm_at(dfd, mnt, name, &budget, 0, err);
	close(dfd);
	return rc;
}
