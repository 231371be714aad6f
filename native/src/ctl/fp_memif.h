/* SPDX-License-Identifier: Apache-2.0 */
/* memif ports: fastpath is the memif server on the port's socket. */
#ifndef FP_MEMIF_H
#define FP_MEMIF_H

#include "../common/fp_shared.h"

/* Listen on p->path. max_log2_ring: the largest ring a client may ask for.
 * @pre fp-ctl, p in fp_c.ports (the socket's events look it up). */
int fp_memif_open(struct fp_port *p, uint8_t max_log2_ring, char *err);
/* End the connection, stop listening, unlink the socket. @pre fp-ctl, p
 * unpublished (workers no longer see it). */
void fp_memif_close(struct fp_port *p);
/* End p's current connection, if any; keep listening. @pre fp-ctl. */
void fp_memif_kick(struct fp_port *p);

#endif
