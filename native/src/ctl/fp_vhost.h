/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vhost-user ports: the hooks that keep one tenant's front-end from hurting
 * the others. Shared by fp_vhost.c (callbacks, run by librte_vhost's
 * threads) and fp_vhost_wrap.c (the system calls librte_vhost makes, which
 * the addon is linked to pass through us).
 */
#ifndef FP_VHOST_H
#define FP_VHOST_H

#include <stdint.h>

#include "../common/fp_shared.h"

/* The connection whose message this thread is handling, set by the
 * pre-message hook and cleared after: memory the library maps meanwhile is
 * that tenant's. token 0: none. @pre thread-local, no locking. */
struct fp_vhost_owner {
	uint32_t token;
	uint32_t conn;
};
extern __thread struct fp_vhost_owner fp_vhost_cur;

/* The socket this thread last accepted or connected: new_connection, which
 * the library calls next on the same thread, adopts it. */
extern __thread int fp_vhost_last_fd;

/* The library is closing fd: if it is a connection we track, stop using it.
 * @pre any thread; takes only the connection table's lock. */
void fp_vhost_fd_closing(int fd);
/* 1 when fd is a vhost-user connection we track. @pre any thread. */
int fp_vhost_fd_tracked(int fd);
/* A reply could not be sent without blocking: if fd is a connection we
 * track, its peer does not read its socket; report it and return 1 (the
 * caller shuts the socket down). */
int fp_vhost_fd_stalled(int fd);

/* A client-mode connect refused what it found at path (a link, or not a
 * socket): count it on the port and report it, at most once a second.
 * @pre any thread but a worker; takes fp_c.ports_lock. */
void fp_vhost_refused(const char *path);

/* Register, start, stop a vhost-user socket. @pre fp-ctl. */
int fp_vhost_open(struct fp_port *p, char *err);
int fp_vhost_start(struct fp_port *p, char *err);
void fp_vhost_close(struct fp_port *p);
/* End p's current connection (the library then tears it down on its own
 * thread). @pre fp-ctl. */
void fp_vhost_kick(struct fp_port *p);

#endif
