// SPDX-License-Identifier: Apache-2.0
// The overlay's limits, shared by the orchestrator (which enforces them),
// the daemon's overlay configuration and the Kubernetes peer watch (which
// keep to them), and matching the data plane's (native/include/fp/fp.h).

/** VXLAN network identifiers are 24 bits; 0 is not used. */
export const VNI_MAX = 0xffffff;
/** Peers per network (FP_UPLINK_MAX_PEERS). */
export const MAX_PEERS = 64;
/** Static MACs per network (FP_VXLAN_MAX_STATIC). */
export const MAX_STATIC_MACS = 256;
/** VXLAN over IPv4 adds 50 bytes: outer Ethernet, IPv4, UDP, VXLAN. */
export const VXLAN_OVERHEAD = 50;
