/* SPDX-License-Identifier: Apache-2.0 */
/* The control half of each port kind (common/fp_port_ops.h). fp-ctl only. */
#ifndef FP_PORT_KINDS_H
#define FP_PORT_KINDS_H

struct fp_port;
struct fp_port_conf;

/* vhost-user (fp_vhost.c): register the socket and start listening or
 * connecting. */
int fp_vhost_port_open(struct fp_port *p, const struct fp_port_conf *c, char *err);
void fp_vhost_close(struct fp_port *p);
void fp_vhost_kick(struct fp_port *p);

/* memif (fp_memif.c): fastpath's own server on the socket. */
int fp_memif_port_open(struct fp_port *p, const struct fp_port_conf *c, char *err);
void fp_memif_close(struct fp_port *p);
void fp_memif_kick(struct fp_port *p);

/* ethdev (fp_ethdev.c): a vdev (net_tap, virtio_user on vhost-net). */
int fp_ethdev_open(struct fp_port *p, const struct fp_port_conf *c, char *err);
void fp_ethdev_close(struct fp_port *p);

/* VXLAN tunnel (fp_overlay.c): nothing to open or close, the uplink is
 * the device. */
int fp_tunnel_open(struct fp_port *p, const struct fp_port_conf *c, char *err);
void fp_tunnel_close(struct fp_port *p);

/* An uplink (fp_overlay.c) is an ethdev: open/close above. */

#endif
