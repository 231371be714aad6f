/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host file-system operations that must not be fooled by what a tenant can
 * write: a container owns its port directory, so any name in it may be a
 * symbolic link (to /etc/shadow, to another tenant's socket) or be swapped
 * for one at any moment. These never follow a link at the last component:
 * they open it O_PATH | O_NOFOLLOW and act on that descriptor, or work
 * through directory descriptors with the *at() calls. Besides them, the
 * process-wide thread placement fastpathd starts with (fp_os_pin_threads).
 * No DPDK; any thread (the binding runs them on libuv's pool).
 * Returns 0 or -errno, with a message in err (FP_ERR_LEN).
 */
#ifndef FP_OS_H
#define FP_OS_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Take an exclusive lock on path (created 0644) for the life of the
 * process, and write our pid in it. -EWOULDBLOCK: another process holds it;
 * *holder is the pid it wrote (0 if unknown). */
int fp_os_lock(const char *path, int *holder, char *err);

/* The pid holding a POSIX (fcntl) write lock on path, as EAL holds one on
 * its runtime directory's config file; 0 when none (or no such file). */
int fp_os_lock_holder(const char *path);

/* chmod (mode) and chown (uid, gid; -1: unchanged) dir/name, which must be
 * of type want (S_IFSOCK, S_IFDIR, or 0 for anything but a symbolic link). */
int fp_os_set_access(const char *dir, const char *name, unsigned want, int mode, long uid, long gid,
		     char *err);

/* Confine every thread of this process to one CPU; threads it creates later
 * inherit that. For fastpathd's control threads (Node's, libuv's pool, V8's
 * platform threads): on a worker's CPU they would take cycles from its poll
 * loop, and get few themselves. EAL then pins the threads it creates. */
int fp_os_pin_threads(int cpu, char *err);

/* Remove dir/name and everything below it, never following a link and
 * never crossing into another file system; -E2BIG after max_entries. A
 * missing name is success. */
int fp_os_remove_tree(const char *dir, const char *name, unsigned max_entries, char *err);

#ifdef __cplusplus
}
#endif
#endif
