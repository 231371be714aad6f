// SPDX-License-Identifier: Apache-2.0
// The declared shape of the native addon (native/binding/addon.cc) and its
// loader. This is the only file that loads the .node binary; a test checks
// that the binary exports exactly NATIVE_FUNCTIONS.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeStartOptions {
  nMbufs: number;
  macTableSize: number;
  macAgeMs: number;
}

export interface NativeEvent {
  kind: 'link-up' | 'link-down' | 'queue-state';
  port: string;
  features?: bigint;
  queuePairs?: number;
  vring?: number;
  enabled?: boolean;
}

export interface NativePortConf {
  name: string;
  network: string;
  path: string;
  client: boolean;
  queues: number;
  vlan: number;
  /** Set for an ethdev-backed port (e.g. "net_memif"), with its devargs. */
  driver?: string;
  devargs?: string;
}

export interface NativeInfo {
  dpdkVersion: string;
  mainLcore: number;
  workerLcores: number[];
  hugePages: boolean;
}

export interface NativeStats {
  tscHz: number;
  mbufsTotal: number;
  mbufsAvailable: number;
  ports: Array<{
    name: string;
    network: string;
    linkUp: boolean;
    queuePairs: number;
    features: bigint;
    counters: BigUint64Array; // order: portCounterNames()
  }>;
  workers: Array<{ lcore: number; counters: BigUint64Array }>; // workerCounterNames()
}

export interface NativeAddon {
  start(argv: string[], opts: NativeStartOptions, onEvent: (ev: NativeEvent) => void): Promise<void>;
  stop(): Promise<void>;
  info(): Promise<NativeInfo>;
  setForwarding(enabled: boolean): Promise<void>;
  createNetwork(name: string): Promise<void>;
  deleteNetwork(name: string): Promise<void>;
  addPort(conf: NativePortConf): Promise<void>;
  removePort(name: string): Promise<void>;
  stats(): Promise<NativeStats>;
  portCounterNames(): string[];
  workerCounterNames(): string[];
}

export const NATIVE_FUNCTIONS: ReadonlyArray<keyof NativeAddon> = [
  'start', 'stop', 'info', 'setForwarding', 'createNetwork', 'deleteNetwork',
  'addPort', 'removePort', 'stats', 'portCounterNames', 'workerCounterNames',
];

const here = dirname(fileURLToPath(import.meta.url));
export const ADDON_PATH = join(here, '..', '..', 'native', 'build', 'Release', 'fastpath.node');

let cached: NativeAddon | undefined;

export function loadAddon(): NativeAddon {
  if (cached) return cached;
  if (!existsSync(ADDON_PATH)) {
    throw new Error(`native addon not built (${ADDON_PATH}); run: npm run build:native`);
  }
  cached = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
  return cached;
}
