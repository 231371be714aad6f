// SPDX-License-Identifier: Apache-2.0
// The desired state the daemon persists and replays: what users asked for
// (and what was allocated for them), never runtime status.

export interface NetworkRecord {
  name: string;
  vlan: number;
  mtu: number;
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

export interface DesiredState {
  networks: NetworkRecord[];
  ports: PortRecord[];
  hugepages: HugepageRecord[];
}

export function emptyState(): DesiredState {
  return { networks: [], ports: [], hugepages: [] };
}
