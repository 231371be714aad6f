// SPDX-License-Identifier: Apache-2.0
// Messages between the bench and its fastpath-host child (IPC channel).
import type { SocketDir } from './guest.js';
import type { SwitchSample } from './switch.js';

export interface HostConfig {
  mainCpu: number;
  workerCpu: number;
  filePrefix: string;
  socketRoot: string;
  memoryMb: number;
  nMbufs: number;
  /** Flow rules to install (bench/lib/flow-rules.ts); 0: plain L2 switching. */
  flows: number;
  /** Queue pairs per port. */
  queues: number;
  /** Port pairs, each in a network of its own (default 1: the loop's two ports). */
  pairs?: number;
  /** MAC table entries per network (default: the data plane's). */
  macTableSize?: number;
}

export type ToHost =
  | { type: 'stats'; id: number }
  /** Replace every network's flow table with `rules` rules (0: none). */
  | { type: 'rules'; id: number; rules: number }
  | { type: 'stop' };

export type FromHost =
  | { type: 'ready'; dpdkVersion: string; sockets: SocketDir[]; flowInstallMs: number }
  | { type: 'stats'; id: number; sample: SwitchSample; links: boolean[] }
  /** The install time, or why it failed. */
  | { type: 'rules'; id: number; ms: number; error?: string }
  | { type: 'error'; message: string }
  | { type: 'stopped' };
