/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Misbehaving peers: the fault guard (a signal handler), the vhost message
 * hooks and the workers only mark a port and log what happened (see
 * fp_guard.h); fp-ctl, here, counts it and ends the peer's connection. The
 * port stays and takes a fresh connection when the tenant comes back.
 */
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_log.h>

#include "../common/fp_guard.h"
#include "fp_ctl.h"
#include "fp_memif.h"
#include "fp_vhost.h"

static const char *const peer_error_names[] = {
#define FP_X(n, d) #n,
	FP_PEER_ERRORS(FP_X)
#undef FP_X
};

static const char *const peer_error_reasons[] = {
#define FP_X(n, d) d,
	FP_PEER_ERRORS(FP_X)
#undef FP_X
};

const char *
fp_peer_error_name(unsigned i)
{
	return i < FP_PEER_ERROR_MAX ? peer_error_names[i] : NULL;
}

const char *
fp_peer_error_reason(unsigned i)
{
	return i < FP_PEER_ERROR_MAX ? peer_error_reasons[i] : NULL;
}

static struct fp_port *
fp_port_of(uint32_t token)
{
	struct fp_port *p = token ? fp_c.ports[token & (FP_MAX_PORTS - 1)] : NULL;
	return p != NULL && p->token == token ? p : NULL;
}

void
fp_peer_tick(void)
{
	struct fp_guard_fault f[32];
	unsigned n;

	while ((n = fp_guard_drain(f, RTE_DIM(f))) > 0) {
		for (unsigned i = 0; i < n; i++) {
			struct fp_port *p = fp_port_of(f[i].token);
			uint64_t now = rte_get_tsc_cycles();

			if (p == NULL || f[i].reason >= FP_PEER_ERROR_MAX)
				continue; /* the port is gone already */
			__atomic_fetch_add(&p->peer_err[f[i].reason], 1, __ATOMIC_RELAXED);
			if (now - p->peer_log_tsc >= fp_c.tsc_hz) {
				p->peer_log_tsc = now;
				if (f[i].addr != 0)
					RTE_LOG(WARNING, USER1, "port %s: %s at %#lx; ending the peer's connection\n",
						p->name, peer_error_reasons[f[i].reason], (unsigned long)f[i].addr);
				else
					RTE_LOG(WARNING, USER1, "port %s: %s; ending the peer's connection\n",
						p->name, peer_error_reasons[f[i].reason]);
			}
		}
	}
	/* Every marked port whose peer is still connected loses it. Marks stay
	 * until the next peer connects, so this also covers reports that did
	 * not fit the log. */
	for (unsigned slot = 0; slot < FP_MAX_PORTS; slot++) {
		struct fp_port *p = fp_c.ports[slot];

		if (p == NULL || !fp_guard_port_faulted((uint16_t)slot, p->token))
			continue;
		if (p->ops->kick != NULL)
			p->ops->kick(p);
	}
}
