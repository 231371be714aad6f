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
}

export type ToHost = { type: 'stats'; id: number } | { type: 'stop' };

export type FromHost =
  | { type: 'ready'; dpdkVersion: string; sockets: SocketDir[]; flowInstallMs: number }
  | { type: 'stats'; id: number; sample: SwitchSample; links: boolean[] }
  | { type: 'error'; message: string }
  | { type: 'stopped' };
