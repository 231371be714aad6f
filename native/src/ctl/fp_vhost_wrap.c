/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The system calls librte_vhost makes on tenant input, seen through us. The
 * addon links a copy of librte_vhost.a in which each of these is renamed
 * fp_vhost_sys_<call> (objcopy --redefine-sym, native/CMakeLists.txt), so
 * every call the library makes lands here first and goes on to libc's.
 * Nothing else in the addon (EAL, the drivers, our own objects) comes here.
 *
 * - mmap64 / munmap: a shared file mapping made while the library handles a
 *   connection's message is that tenant's memory: register it with the
 *   fault guard before the library can touch it, forget it before it is
 *   unmapped. So the guard's table is exactly what is mapped, no window.
 * - accept / connect: the socket of a new connection, for new_connection,
 *   which the library calls next on the same thread (we need it to end a
 *   faulted tenant's connection without touching anyone else's). A client-
 *   mode port connects to a socket in a directory its container writes: the
 *   name may be a link to another tenant's socket, so connect goes through
 *   an O_PATH | O_NOFOLLOW descriptor of it (/proc/self/fd/N), which must be
 *   a socket, never through the link.
 * - sendmsg: replies never block. A front-end that stops reading would
 *   otherwise stall the vhost-events thread, which serves every tenant, and
 *   with it any worker waiting for a virtqueue lock that thread holds.
 * - recvmsg: descriptors arriving with a request that may not carry any
 *   are closed and dropped here. librte_vhost checks some requests before
 *   our pre-message hook sees them (SET_INFLIGHT_FD's queue count) and then
 *   ends the connection without closing what the message carried: a
 *   descriptor leak a tenant could repeat until the process has none left.
 * - close: a connection socket being closed is no longer ours to shut down.
 *
 * @pre whatever thread the library calls from (vhost-events, vhost-reconn,
 * fp-ctl inside rte_vhost_driver_start/unregister).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/fp_guard.h"
#include "fp_vhost.h"
#include "fp_vhost_msg.h"

void *fp_vhost_sys_mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int fp_vhost_sys_munmap(void *addr, size_t len);
int fp_vhost_sys_accept(int fd, struct sockaddr *sa, socklen_t *len);
int fp_vhost_sys_connect(int fd, const struct sockaddr *sa, socklen_t len);
ssize_t fp_vhost_sys_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t fp_vhost_sys_recvmsg(int fd, struct msghdr *msg, int flags);
int fp_vhost_sys_close(int fd);

void *
fp_vhost_sys_mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct fp_vhost_owner o = fp_vhost_cur;
	void *m = mmap64(addr, len, prot, flags, fd, off);
	struct stat st;
	size_t span = len;

	if (m == MAP_FAILED || fd < 0 || !(flags & MAP_SHARED) || o.token == 0)
		return m;
	/* The mapping ends at a page of the file's own size (2 MiB on
	 * hugetlbfs): the guard must cover, and later replace, all of it. */
	if (fstat(fd, &st) == 0 && st.st_blksize > 0)
		span = (len + (size_t)st.st_blksize - 1) / (size_t)st.st_blksize * (size_t)st.st_blksize;
	if (fp_guard_add(m, span, o.token, o.conn) != 0) {
		/* Unguarded tenant memory is worse than a refused mem table. */
		munmap(m, len);
		errno = ENOMEM;
		return MAP_FAILED;
	}
	return m;
}

int
fp_vhost_sys_munmap(void *addr, size_t len)
{
	fp_guard_forget_range(addr, len);
	return munmap(addr, len);
}

int
fp_vhost_sys_accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	int c = accept(fd, sa, len);

	fp_vhost_last_fd = c;
	return c;
}

/* Connect to the socket named by a unix path without following a link at
 * its last component (the tenant's). -1 with errno set on failure. */
static int
fp_connect_nofollow(int fd, const struct sockaddr_un *sa)
{
	char dir[sizeof(sa->sun_path)], *slash;
	struct sockaddr_un via = { .sun_family = AF_UNIX };
	struct stat st;
	int dfd, pfd, rc, e;

	memcpy(dir, sa->sun_path, sizeof(dir));
	dir[sizeof(dir) - 1] = '\0';
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	*slash = '\0';
	dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	pfd = openat(dfd, slash + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	e = errno;
	close(dfd);
	if (pfd < 0) {
		errno = e;
		return -1;
	}
	if (fstat(pfd, &st) != 0 || !S_ISSOCK(st.st_mode)) {
		close(pfd);
		fp_vhost_refused(sa->sun_path); /* counted and reported on the port */
		errno = ECONNREFUSED; /* a link, or anything but a socket */
		return -1;
	}
	snprintf(via.sun_path, sizeof(via.sun_path), "/proc/self/fd/%d", pfd);
	rc = connect(fd, (const struct sockaddr *)&via, sizeof(via));
	e = errno;
	close(pfd);
	errno = e;
	return rc;
}

int
fp_vhost_sys_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	int rc;

	if (sa != NULL && sa->sa_family == AF_UNIX && len > offsetof(struct sockaddr_un, sun_path) &&
	    ((const struct sockaddr_un *)sa)->sun_path[0] == '/')
		rc = fp_connect_nofollow(fd, (const struct sockaddr_un *)sa);
	else
		rc = connect(fd, sa, len);
	if (rc == 0 || errno == EINPROGRESS)
		fp_vhost_last_fd = fd;
	return rc;
}

ssize_t
fp_vhost_sys_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	ssize_t n = sendmsg(fd, msg, flags | MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		int e = errno;
		if (fp_vhost_fd_stalled(fd))
			shutdown(fd, SHUT_RDWR); /* the library sees EOF and ends it */
		errno = e;
	}
	return n;
}

ssize_t
fp_vhost_sys_recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t n = recvmsg(fd, msg, flags);
	uint32_t req;

	if (n < (ssize_t)sizeof(req) || msg->msg_controllen == 0 || msg->msg_iovlen < 1 ||
	    msg->msg_iov[0].iov_len < sizeof(req) || !fp_vhost_fd_tracked(fd))
		return n;
	memcpy(&req, msg->msg_iov[0].iov_base, sizeof(req));
	if (fp_vhu_takes_fds(req))
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k; i++) {
				int f;
				memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				close(f);
			}
		}
	}
	msg->msg_controllen = 0; /* the library sees a message without descriptors */
	return n;
}

int
fp_vhost_sys_close(int fd)
{
	fp_vhost_fd_closing(fd);
	return close(fd);
}
