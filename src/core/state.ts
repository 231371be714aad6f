// SPDX-License-Identifier: Apache-2.0
// The desired state the daemon persists and replays: what users asked for
// (and what was allocated for them), never runtime status.
import type { FlowSpec } from './flows/flow-spec.js';
import type { PortSecurity } from './port-security.js';
import type { KernelRecord } from './kernel/kernel-manager.js';

export interface NetworkRecord {
  name: string;
  vlan: number;
  mtu: number;
  /** Its kernel exception interface, when it has one. */
  kernel?: KernelRecord;
}

export type PortModeName = 'server' | 'client';

export type PortTypeName = 'vhost-user' | 'memif';

export interface PortRecord {
  name: string;
  network: string;
  /** Absent in state files written before memif ports: vhost-user. */
  type?: PortTypeName;
  memifRingLog2?: number;
  memifBufferSize?: number;
  mode: PortModeName;
  queues: number;
  /** As asked; 0 = the network's VLAN. */
  vlan: number;
  uid?: number;
  gid?: number;
  socketMode: number;
  dirMode: number;
  /** The MAC in use: asked for, or allocated from the pool. */
  mac: string;
  /** True when the user chose the MAC (part of the spec for idempotency). */
  macRequested: boolean;
  /** Port security, when on (absent: off). */
  security?: PortSecurity;
  /** Learned source MACs the port may have; absent in older state files: 64. */
  maxMacs?: number;
  /** Rx queues pinned to worker lcores (queue -> lcore); absent: none. */
  rxqAffinity?: Record<number, number>;
}

export interface HugepageRecord {
  owner: string;
  sizeMib: number;
  /** Page size in kB, as sysfs names pools (2048 or 1048576). */
  pageKb: number;
  mode: number;
  uid?: number;
  gid?: number;
}

/** A flow rule as asked for (canonical spec, see core/flows/flow-spec.ts). */
export interface FlowRecord {
  id: number;
  network: string;
  spec: FlowSpec;
}

/** An uplink: a host NIC in the data plane, with this node's tunnel endpoint. */
export interface UplinkRecord {
  /** Also its name among the data plane's ports. */
  name: string;
  iface: string;
  driver: 'af_xdp' | 'af_packet' | 'pci';
  pci?: string;
  queues: number;
  /** Endpoint address with its subnet, e.g. 10.1.0.5/24. */
  address: string;
  gateway?: string;
  /** Underlay MTU; absent: the device's. */
  mtu?: number;
}

/** A network's VXLAN overlay. */
export interface OverlayRecord {
  network: string;
  uplink: string;
  vni: number;
  /** Other nodes' endpoints, sorted. */
  peers: string[];
  staticMacs: Array<{ mac: string; vlan: number; peer: string }>;
  /** MACs learned behind each peer; 0: no limit. */
  peerMacLimit: number;
}

export interface DesiredState {
  networks: NetworkRecord[];
  ports: PortRecord[];
  hugepages: HugepageRecord[];
  /** Absent in state files written before flow rules. */
  flows?: FlowRecord[];
  /** Networks whose table-miss action is drop (default: normal switching). */
  flowMissDrop?: string[];
  /** Flow ids are never reused, so a deleted id cannot come back as another rule. */
  nextFlowId?: number;
  /** Where this daemon's MAC pool starts (random, chosen once; see mac-pool.ts). */
  macStart?: number;
  /** Absent in state files written before the overlay. */
  uplinks?: UplinkRecord[];
  overlays?: OverlayRecord[];
}

export function emptyState(): DesiredState {
  return { networks: [], ports: [], hugepages: [] };
}
