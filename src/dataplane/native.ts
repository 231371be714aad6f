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
  /** link-down: why fastpath ended the connection (absent: the peer left). */
  reason?: string;
}

export interface NativePortConf {
  name: string;
  network: string;
  path: string;
  client: boolean;
  queues: number;
  vlan: number;
  /** Learned source MACs the port may have; 0: no limit. */
  macLimit: number;
  /** Worker lcore per rx queue; -1: placed by load. */
  rxqAffinity?: number[];
  /** Port security on: allowed source MACs (6 bytes each) and addresses. */
  security?: { macs: Uint8Array[]; ip4: Uint8Array[]; ip6: Uint8Array[] };
  /** A memif port (fastpath serves it): the largest ring a client may use, log2. */
  memifRingLog2?: number;
  /** Set for an ethdev-backed port (e.g. "net_tap"), with its devargs. */
  driver?: string;
  devargs?: string;
  /** The network's kernel exception interface (ethdev ports only). */
  kernel?: boolean;
}

/** One punt class's settings, in puntClassNames() order. */
export interface NativePuntClass {
  enabled: boolean;
  pps: number;
  burst: number;
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
    peerErrors: BigUint64Array; // order: peerErrorNames()
    macs: number;
    queues: NativeQueueStats[];
  }>;
  guardRegions: number;
  guardLost: number;
  workers: Array<{ lcore: number; counters: BigUint64Array }>; // workerCounterNames()
}

/** One queue pair of a port (struct fp_queue_stats). */
export interface NativeQueueStats {
  /** The worker lcore polling its rx queue. */
  lcore: number;
  pinned: boolean;
  /** The peer enabled its side: frames are received (rx) or sent (tx) on it. */
  rxEnabled: boolean;
  txEnabled: boolean;
  rxPackets: bigint;
  txPackets: bigint;
  /** Busy cycles of the polls that returned frames. */
  rxCycles: bigint;
}

/** One flow rule as the C side takes it (struct fp_flow_rule). */
export interface NativeFlowRule {
  id: number;
  priority: number;
  match: {
    fields: number; // FLOW_FIELD bits
    inPort?: string;
    dlSrc?: Uint8Array; dlSrcMask?: Uint8Array;
    dlDst?: Uint8Array; dlDstMask?: Uint8Array;
    vlan?: number;
    dlType?: number;
    nwSrc?: Uint8Array; nwSrcLen?: number;
    nwDst?: Uint8Array; nwDstLen?: number;
    nwProto?: number;
    tpSrcLo?: number; tpSrcHi?: number; tpDstLo?: number; tpDstHi?: number;
    tcpFlags?: number; tcpFlagsMask?: number;
    frag?: number; fragMask?: number;
  };
  actions: {
    verdict: number; // FLOW_VERDICT
    vlanOp?: number; // FLOW_VLAN_OP
    pushVlan?: number;
    dstMac?: Uint8Array;
    outputs?: string[];
  };
}

/** enum fp_flow_field, enum fp_flow_verdict, enum fp_flow_vlan_op (native/include/fp/fp.h). */
export const FLOW_FIELD = {
  inPort: 1 << 0, dlSrc: 1 << 1, dlDst: 1 << 2, vlan: 1 << 3, dlType: 1 << 4, nwSrc: 1 << 5,
  nwDst: 1 << 6, nwProto: 1 << 7, tpSrc: 1 << 8, tpDst: 1 << 9, tcpFlags: 1 << 10, nwFrag: 1 << 11,
} as const;
export const FLOW_VERDICT = { normal: 0, drop: 1, output: 2, flood: 3, punt: 4 } as const;
export const FLOW_VLAN_OP = { keep: 0, push: 1, pop: 2 } as const;

/** Entry 0 is the table miss (id 0); the others follow the rules' order. */
export interface NativeFlowStats {
  ids: Uint32Array;
  packets: BigUint64Array;
  bytes: BigUint64Array;
}

/** fp_uplink_conf (native/include/fp/fp.h); addresses as 4 bytes. */
export interface NativeUplinkConf {
  name: string;
  /** vdev driver (net_af_xdp, net_af_packet) or "pci". */
  driver: string;
  /** vdev arguments, or the PCI address. */
  devargs: string;
  queues: number;
  ip: Uint8Array;
  prefixLen: number;
  gateway: Uint8Array;
  /** 0: the device's. */
  mtu: number;
  rxqAffinity?: number[];
}

export interface NativeUplinkInfo {
  linkUp: boolean;
  mac: string;
  mtu: number;
  neighbours: Array<{ ip: string; mac: string; resolved: boolean }>;
}

/** fp_vxlan_conf; uplink '' removes the network's overlay. */
export interface NativeVxlanConf {
  network: string;
  uplink: string;
  vni: number;
  peerMacLimit: number;
  peers: Uint8Array[];
  statics: Array<{ mac: Uint8Array; vlan: number; peer: Uint8Array }>;
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
  addUplink(conf: NativeUplinkConf): Promise<void>;
  removeUplink(name: string): Promise<void>;
  uplinkInfo(name: string): Promise<NativeUplinkInfo>;
  setVxlan(conf: NativeVxlanConf): Promise<void>;
  /** Worker lcore per rx queue, -1: placed by load. */
  setRxqAffinity(name: string, lcores: number[]): Promise<void>;
  stats(): Promise<NativeStats>;
  setFlowTable(network: string, missDrop: boolean, rules: NativeFlowRule[]): Promise<void>;
  flowStats(network: string): Promise<NativeFlowStats>;
  setPunt(network: string, classes: NativePuntClass[]): Promise<void>;
  puntStats(network: string): Promise<{ passed: BigUint64Array; policed: BigUint64Array }>;
  puntClassNames(): string[];
  peerErrorNames(): string[];
  /** Exclusive lock on a file for the life of the process (fp_os.h). */
  lockFile(path: string): { locked: true } | { locked: false; holder: number };
  /** The pid holding an fcntl lock on path (EAL's config file); 0: none. */
  lockHolder(path: string): number;
  /** Every thread of the process on that CPU (fp_os_pin_threads). */
  pinThreads(cpu: number): void;
  /** _exit(code): the process ends now, with no teardown (Dataplane.exitProcess). */
  exitNow(code: number): never;
  /** chmod/chown dir/name, never following a symbolic link; uid/gid -1: unchanged. */
  setAccess(dir: string, name: string, type: 'socket' | 'dir', mode: number, uid: number, gid: number): Promise<void>;
  /** Remove dir/name and below, never following a link; fails past maxEntries. */
  removeTree(dir: string, name: string, maxEntries: number): Promise<void>;
  portCounterNames(): string[];
  workerCounterNames(): string[];
}

export const NATIVE_FUNCTIONS: ReadonlyArray<keyof NativeAddon> = [
  'start', 'stop', 'info', 'setForwarding', 'createNetwork', 'deleteNetwork',
  'addPort', 'removePort', 'addUplink', 'removeUplink', 'uplinkInfo', 'setVxlan', 'setRxqAffinity', 'stats', 'setFlowTable', 'flowStats', 'setPunt', 'puntStats', 'puntClassNames',
  'peerErrorNames', 'portCounterNames', 'workerCounterNames', 'lockFile', 'lockHolder', 'pinThreads', 'exitNow', 'setAccess', 'removeTree',
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
