/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every counter the data plane keeps, declared once (VPP-style X-macros) so
 * that the enum, the names shown to users and the stats arrays that cross
 * into JS can never drift apart.
 */
#ifndef FP_COUNTERS_H
#define FP_COUNTERS_H

/* Per-port traffic counters: X(name). rx_no_l4: frames a flow table
 * classified whose transport header could not be reached (cut short, or an
 * IPv6 extension chain over FP_FLOW_MAX_EXT_HDRS or malformed): they match
 * no rule on L4 fields. */
#define FP_PORT_TRAFFIC_COUNTERS(X) \
	X(rx_packets)                   \
	X(rx_bytes)                     \
	X(tx_packets)                   \
	X(tx_bytes)                     \
	X(rx_no_l4)

/*
 * Drop reasons: X(name, description). A drop is counted on the port where it
 * happens: ingress reasons on the receiving port, egress ones on the
 * destination port.
 */
#define FP_DROP_REASONS(X)                                                        \
	X(runt, "ingress: frame shorter than an Ethernet header")                     \
	X(vlan, "ingress: VLAN-tagged (not priority-tagged) or 802.1ad frame on an access port, or VLAN id 4095") \
	X(hairpin, "ingress: destination was learned on the ingress port")            \
	X(no_dest, "ingress: flood with no other port in the network/VLAN")           \
	X(flow, "ingress: a flow rule, or the network's table-miss action, said drop") \
	X(spoof, "ingress: port security: a source MAC, or an ARP/ND address, the port may not use") \
	X(mac_limit, "ingress: a new source MAC past the port's limit of learned MACs") \
	X(link_down, "egress: destination port has no connected guest")              \
	X(tx_full, "egress: guest ring full or queue not enabled")                    \
	X(no_mbuf, "egress: no mbuf left to copy a frame (VLAN tagging, a flooded frame to encapsulate)") \
	X(mtu, "egress: tunnel: the frame does not fit the uplink's MTU once encapsulated (50 bytes)") \
	X(vxlan_bad, "ingress: uplink: VXLAN that is malformed, fragmented, or not for this endpoint") \
	X(vxlan_unknown, "ingress: uplink: VXLAN for a VNI this node does not carry, or not from one of the network's peers") \
	X(uplink_other, "ingress: uplink: neither VXLAN nor ARP for the endpoint (the underlay's other traffic)") \
	X(rx_missed, "ingress: an ethdev port (uplink, kernel interface): the device or the kernel dropped it, its receive ring full")

enum fp_port_counter {
#define FP_X(n) FP_PORT_##n,
	FP_PORT_TRAFFIC_COUNTERS(FP_X)
#undef FP_X
#define FP_X(n, d) FP_PORT_DROP_##n,
	FP_DROP_REASONS(FP_X)
#undef FP_X
	FP_PORT_COUNTER_MAX
};

/*
 * Classes of traffic sent to a network's kernel exception interface: X(name,
 * description). Each has its own token bucket; what exceeds it is policed
 * (dropped and counted), so a container flooding the kernel cannot starve
 * the host.
 */
#define FP_PUNT_CLASSES(X)                                                          \
	X(arp_nd, "ARP, and IPv6 neighbour/router discovery")                         \
	X(gateway, "unicast to the kernel interface's MAC (the gateway)")             \
	X(dhcp, "DHCP and DHCPv6")                                                    \
	X(lldp, "LLDP")                                                               \
	X(unknown, "unicast to a MAC the switch has not learned (flooded)")           \
	X(flow, "sent by a flow rule's punt action")                                  \
	X(other, "any other broadcast or multicast")

enum fp_punt_class {
#define FP_X(n, d) FP_PUNT_##n,
	FP_PUNT_CLASSES(FP_X)
#undef FP_X
	FP_PUNT_MAX
};

/*
 * What a port's peer (the tenant's end of the socket and of the shared
 * memory) did wrong: X(name, reason shown when it disconnects the peer).
 * Counted per port by the control threads. Every one but extra_conn ends the
 * peer's connection; the port then waits for a fresh one. bad_socket: a
 * client-mode port found something other than its container's socket at
 * its path, and did not connect.
 */
#define FP_PEER_ERRORS(X)                                                        \
	X(guest_fault, "guest memory fault")                                          \
	X(bad_message, "refused message")                                             \
	X(bad_ring, "invalid descriptor in a shared ring")                            \
	X(not_reading, "peer not reading its socket")                                 \
	X(extra_conn, "second connection refused")                                    \
	X(bad_socket, "its socket was swapped for a link or another file")

enum fp_peer_error {
#define FP_X(n, d) FP_PEER_##n,
	FP_PEER_ERRORS(FP_X)
#undef FP_X
	FP_PEER_ERROR_MAX
};

/* Per-worker-lcore counters, like OVS pmd-perf-show. */
#define FP_WORKER_COUNTERS(X) \
	X(busy_cycles)            \
	X(idle_cycles)            \
	X(packets)                \
	X(iterations)             \
	X(busy_iterations)

enum fp_worker_counter {
#define FP_X(n) FP_WORKER_##n,
	FP_WORKER_COUNTERS(FP_X)
#undef FP_X
	FP_WORKER_COUNTER_MAX
};

#endif
