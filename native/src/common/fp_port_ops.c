/* SPDX-License-Identifier: Apache-2.0 */
/* The port kinds: fp_port_ops.h. */
#include "fp/fp.h"
#include "fp_port_ops.h"
#include "../ctl/fp_port_kinds.h"
#include "../dp/fp_port_io.h"

const struct fp_port_ops fp_port_ops[] = {
	[FP_PORT_VHOST] = { .name = "vhost-user", .has_path = 1, .tx_copies = 1,
			    .open = fp_vhost_port_open, .close = fp_vhost_close, .kick = fp_vhost_kick,
			    .rx = fp_vhost_rx, .tx = fp_vhost_tx },
	[FP_PORT_MEMIF] = { .name = "memif", .has_path = 1, .tx_copies = 1,
			    .open = fp_memif_port_open, .close = fp_memif_close, .kick = fp_memif_kick,
			    .rx = fp_memif_rx_burst, .tx = fp_memif_tx_burst },
	[FP_PORT_ETHDEV] = { .name = "ethdev", .has_path = 0, .tx_copies = 0, .tx_per_worker = 1,
			     .open = fp_ethdev_open, .close = fp_ethdev_close,
			     .rx = fp_ethdev_rx, .tx = fp_ethdev_tx },
	/* Made by fp-ctl (ctl/fp_overlay.c), never opened through fp_port_add. */
	[FP_PORT_TUNNEL] = { .name = "vxlan", .has_path = 0, .tx_copies = 0, .tx_per_worker = 1,
			     .open = fp_tunnel_open, .close = fp_tunnel_close,
			     .rx = fp_tunnel_rx, .tx = fp_tunnel_tx },
};
