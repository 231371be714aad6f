// SPDX-License-Identifier: Apache-2.0
// Typed API over the native data plane. The only module that loads the
// addon (through ./native.ts). All methods are safe to call from the event
// loop: the native side runs the work on fp-ctl and settles a Promise.
import { EventEmitter } from 'node:events';
import { mkdirSync, rmSync } from 'node:fs';

import { defaultDataplaneConfig, type DataplaneConfig } from './config.js';
import { planEal, readHugepages, type EalPlan } from './eal-args.js';
import { DataplaneError, fromNative } from './errors.js';
import {
  loadAddon, type NativeAddon, type NativeEvent, type NativeFlowRule, type NativeFlowStats, type NativePuntClass, type NativeStats, type NativeQueueStats,
  type NativeUplinkInfo,
} from './native.js';
import {
  affinityArray, checkAffinity, cleanupPortDir, finishServerSocket, preparePortDir, resolvePortSpec, validateName,
  type PortSpec, type ResolvedPort,
} from './port-spec.js';

export { DataplaneError } from './errors.js';
export type { ErrnoCode } from './errors.js';
export type { DataplaneConfig } from './config.js';
export { defaultDataplaneConfig } from './config.js';
export type { PortSpec, ResolvedPort, PortMode, PortType, PortSecurityBytes } from './port-spec.js';
export { checkAffinity, resolvePortSpec, validateName, SUN_PATH_MAX } from './port-spec.js';
export { FLOW_FIELD, FLOW_VERDICT, FLOW_VLAN_OP } from './native.js';
export type { NativeFlowRule, NativeFlowStats, NativePuntClass, NativeQueueStats, NativeUplinkInfo } from './native.js';

/** An uplink as the data plane takes it (the orchestrator validated it). */
export interface UplinkConf {
  name: string;
  /** vdev driver (net_af_xdp, net_af_packet) or 'pci'. */
  driver: string;
  /** vdev arguments, or the PCI address. */
  devargs: string;
  queues: number;
  /** Tunnel endpoint, dotted quad, on a subnet of prefixLen bits. */
  address: string;
  prefixLen: number;
  /** Next hop for peers off the subnet. */
  gateway?: string;
  /** Underlay MTU; 0 or absent: the device's. */
  mtu?: number;
}

/** A network's VXLAN overlay (addresses as dotted quads). */
export interface VxlanConf {
  uplink: string;
  vni: number;
  peers: string[];
  /** MACs learned behind each peer; 0: no limit. */
  peerMacLimit?: number;
  staticMacs?: Array<{ mac: string; vlan?: number; peer: string }>;
}

/** Name of the tunnel port of a network's peer, as the data plane names it. */
export function tunnelPortName(network: string, peer: string): string {
  return `vxlan:${network}:${peer}`;
}

const ipBytes = (ip: string): Uint8Array => Uint8Array.from(ip.split('.').map(Number));
const macBytes = (mac: string): Uint8Array => Uint8Array.from(mac.split(':').map((x) => parseInt(x, 16)));

export interface LinkEvent {
  port: string;
  up: boolean;
  /** Negotiated virtio feature bits (link up only). */
  features?: bigint;
  queuePairs?: number;
  /** Link down: why fastpath ended the peer's connection ("guest memory
   * fault", ...); absent when the peer left on its own. */
  reason?: string;
}

export interface QueueEvent {
  port: string;
  vring: number;
  /** Even vrings carry frames to the guest, odd ones from it. */
  direction: 'to-guest' | 'from-guest';
  enabled: boolean;
}

export interface PortStats {
  name: string;
  network: string;
  linkUp: boolean;
  queuePairs: number;
  features: bigint;
  /* Counters are bigint, as the data plane keeps them (uint64): a byte
   * counter passes 2^53, where a number stops being exact, after about eight
   * days at 100 Gbit/s. */
  rxPackets: bigint;
  rxBytes: bigint;
  txPackets: bigint;
  txBytes: bigint;
  /** Drops by reason (see native/include/fp/fp_counters.h). */
  drops: Record<string, bigint>;
  /** What the port's peer did wrong, by kind (FP_PEER_ERRORS). */
  peerErrors: Record<string, bigint>;
  /** Classified frames whose transport header could not be reached. */
  rxNoL4: bigint;
  /** Source MACs learned on the port. */
  macs: number;
  /** Its queue pairs: which worker polls each, and what went through. */
  queues: NativeQueueStats[];
}

export interface WorkerStats {
  lcore: number;
  /** Cycle counts pass 2^53 after about a month at 3 GHz. */
  busyCycles: bigint;
  idleCycles: bigint;
  packets: bigint;
  iterations: bigint;
  /** Busy cycles per packet, as OVS pmd-perf-show reports it. */
  cyclesPerPacket: number;
  busyPercent: number;
}

export interface DataplaneStats {
  tscHz: number;
  mbufs: { total: number; available: number; inUse: number };
  /** Tenant memory regions the fault guard watches; faults its log dropped. */
  guard: { regions: number; lost: number };
  ports: PortStats[];
  workers: WorkerStats[];
}

export interface DataplaneInfo {
  dpdkVersion: string;
  mainLcore: number;
  workerLcores: number[];
  hugePages: boolean;
  memoryReason: string;
  eal: string[];
  /** CPUs running more than one lcore: functional, never fast. */
  sharedCpus: number[];
}

/** Something the data plane could not finish that is nobody's API error. */
export interface WarningEvent {
  port: string;
  message: string;
}

export interface DataplaneEvents {
  link: [LinkEvent];
  queue: [QueueEvent];
  warning: [WarningEvent];
}

export class Dataplane extends EventEmitter<DataplaneEvents> {
  readonly config: DataplaneConfig;
  private addon: NativeAddon | undefined;
  private plan: EalPlan | undefined;
  private readonly ports = new Map<string, ResolvedPort>();
  private readonly networks = new Set<string>();
  private state: 'new' | 'running' | 'stopped' = 'new';
  /** The worker lcores, once started. */
  private workerLcores: number[] = [];

  constructor(config: Partial<DataplaneConfig> = {}) {
    super();
    this.config = { ...defaultDataplaneConfig(), ...config };
  }

  /** Starts EAL on its own thread and the workers; forwarding stays off. */
  async start(): Promise<DataplaneInfo> {
    if (this.state !== 'new') throw new DataplaneError('EALREADY', 'the data plane was already started in this process (DPDK cannot be initialised twice; restart the process)');
    this.plan = planEal(this.config, readHugepages());
    this.addon = loadAddon();
    // Another EAL primary with this prefix holds its config file locked:
    // removing its runtime directory would hand its prefix to us.
    const holder = this.addon.lockHolder(`/var/run/dpdk/${this.config.filePrefix}/config`);
    if (holder > 0) {
      throw new DataplaneError('EBUSY', `EAL file prefix ${this.config.filePrefix} is in use by process ${holder}`);
    }
    // Synchronous up to the native start: an await here would let the
    // caller's module loading (daemon/main.ts) run first and hold EAL back.
    mkdirSync(this.config.socketRoot, { recursive: true, mode: 0o755 });
    this.removeRuntimeDir();
    this.state = 'stopped'; // a failed start cannot be retried in-process
    try {
      await this.addon.start(
        this.plan.argv,
        {
          nMbufs: this.config.nMbufs,
          macTableSize: this.config.macTableSize,
          macAgeMs: this.config.macAgeSec * 1000,
        },
        (ev) => this.onNativeEvent(ev),
      );
    } catch (e) {
      this.removeRuntimeDir();
      throw fromNative(e);
    }
    this.state = 'running';
    const info = await this.info();
    this.workerLcores = info.workerLcores;
    return info;
  }

  async info(): Promise<DataplaneInfo> {
    const i = await this.call((a) => a.info());
    return { ...i, memoryReason: this.plan?.memoryReason ?? '', eal: this.plan?.argv ?? [], sharedCpus: this.plan?.sharedCpus ?? [] };
  }

  /**
   * Removes every port and stops EAL. Port directories are removed too
   * unless keepPortDirs: a daemon that will come back keeps them, because
   * running containers have them bind-mounted (a new directory would be
   * invisible to them).
   */
  async stop(opts: { keepPortDirs?: boolean } = {}): Promise<void> {
    if (this.state !== 'running') return;
    for (const name of [...this.ports.keys()]) await this.removePortInternal(name, !opts.keepPortDirs);
    await this.call((a) => a.stop());
    this.state = 'stopped';
    this.networks.clear();
    this.removeRuntimeDir();
  }

  /**
   * Confines every thread of this process (and those it starts later) to
   * the main CPU, before start(): for a process that hosts the data plane
   * alone (fastpathd, the loop bench's host). Node's, libuv's and V8's
   * threads on a worker's CPU would take cycles from its poll loop, and get
   * few themselves. EAL then pins its own lcores.
   */
  confineToMainCpu(): void {
    loadAddon().pinThreads(this.config.mainCpu);
  }

  /**
   * Ends the process now, without stopping the data plane: for a daemon
   * whose API is closed and whose state is final. The kernel closes the
   * connections and taps as after a crash (which replay handles), so each
   * tenant's link drops once, when the process ends, instead of port by port
   * through an orderly teardown. Only EAL's runtime directory is removed.
   */
  exitProcess(code: number): never {
    if (this.state === 'running') this.removeRuntimeDir();
    return loadAddon().exitNow(code);
  }

  async setForwarding(enabled: boolean): Promise<void> {
    await this.call((a) => a.setForwarding(enabled));
  }

  async createNetwork(name: string): Promise<void> {
    validateName('network', name);
    if (this.networks.has(name)) throw new DataplaneError('EEXIST', `network ${name} already exists`);
    await this.call((a) => a.createNetwork(name));
    this.networks.add(name);
  }

  async deleteNetwork(name: string): Promise<void> {
    await this.call((a) => a.deleteNetwork(name));
    this.networks.delete(name);
  }

  /** Creates the port's directory and vhost-user socket. */
  async addPort(spec: PortSpec): Promise<ResolvedPort> {
    const p = resolvePortSpec(spec, this.config.socketRoot);
    this.requireRunning();
    if (this.ports.has(p.name)) throw new DataplaneError('EEXIST', `port ${p.name} already exists`);
    for (const q of this.ports.values()) {
      if (q.dir === p.dir) throw new DataplaneError('EEXIST', `directory ${p.dir} is already used by port ${q.name}`);
    }
    if (!this.networks.has(p.network)) throw new DataplaneError('ENOENT', `no network named ${p.network}`);
    this.workerAffinity(p.rxqAffinity);
    await preparePortDir(p, this.config.socketRoot);
    try {
      await this.call((a) => a.addPort({
        name: p.name, network: p.network, path: p.socketPath,
        client: p.mode === 'client', queues: p.queues, vlan: p.vlan, macLimit: p.macLimit,
        rxqAffinity: affinityArray(p.rxqAffinity, p.queues),
        ...(p.security ? { security: p.security } : {}),
        ...(p.type === 'memif' ? { memifRingLog2: p.memifRingLog2 } : {}),
      }));
    } catch (e) {
      await cleanupPortDir(p);
      throw e;
    }
    this.ports.set(p.name, p);
    if (p.mode === 'server') await finishServerSocket(p);
    return p;
  }

  async removePort(name: string): Promise<void> {
    await this.removePortInternal(name, true);
  }

  /** Pin rx queues to worker lcores (queue -> lcore); the queues not named
   * are placed by load. A queue that moves pauses for one grace period;
   * the others are polled throughout. */
  async setRxqAffinity(name: string, affinity: Record<number, number>): Promise<void> {
    const p = this.ports.get(name);
    if (!p) throw new DataplaneError('ENOENT', `no port named ${name}`);
    const a = this.workerAffinity(checkAffinity(affinity, p.queues));
    await this.call((x) => x.setRxqAffinity(name, affinityArray(a, p.queues)));
    p.rxqAffinity = a;
  }

  /** An affinity whose lcores are all workers of this data plane. */
  private workerAffinity(a: Record<number, number>): Record<number, number> {
    const bad = Object.entries(a).filter(([, l]) => !this.workerLcores.includes(l));
    if (bad.length > 0) {
      throw new DataplaneError('EINVAL', `rx queue ${bad[0]![0]} is pinned to lcore ${bad[0]![1]}, which is not a worker (workers: ${this.workerLcores.join(', ')})`);
    }
    return a;
  }

  private async removePortInternal(name: string, removeDir: boolean): Promise<void> {
    const p = this.ports.get(name);
    if (!p) throw new DataplaneError('ENOENT', `no port named ${name}`);
    await this.call((a) => a.removePort(name));
    this.ports.delete(name);
    if (!removeDir) return;
    // The port is gone either way: what the tenant left in its directory
    // (a mount, more entries than we remove) is its own problem, not a
    // failed DeletePort.
    await cleanupPortDir(p).catch((e: Error) => this.emit('warning', { port: name, message: `port directory ${p.dir} not fully removed: ${e.message}` }));
  }

  port(name: string): ResolvedPort | undefined {
    return this.ports.get(name);
  }

  async stats(): Promise<DataplaneStats> {
    const raw = await this.call((a) => a.stats());
    return convertStats(this.addon!, raw);
  }

  /**
   * Replace a network's flow rules at once (no rules and no miss drop:
   * plain L2 switching). Rules name ports; the data plane re-resolves them
   * whenever a named port comes or goes.
   */
  async setFlowTable(network: string, missDrop: boolean, rules: NativeFlowRule[]): Promise<void> {
    await this.call((a) => a.setFlowTable(network, missDrop, rules));
  }

  /**
   * The network's kernel exception interface: a tap netdev made by the
   * net_tap PMD, or (kind 'vhost-net') by virtio_user on /dev/vhost-net, so
   * that vhost.ko's kernel threads move the packets. Named "kernel:<iface>"
   * among the data plane's ports.
   */
  async addKernelPort(network: string, iface: string, kind: KernelPortKind, mac: string): Promise<string> {
    const name = kernelPortName(iface);
    const devargs = kind === 'tap'
      ? `iface=${iface},mac=${mac}`
      : `path=/dev/vhost-net,iface=${iface},mac=${mac},queues=1,queue_size=1024`;
    await this.call((a) => a.addPort({
      // No socket path: an ethdev port is reached through its device.
      // No learned-MAC limit: the host's side of the network is ours.
      name, network, path: '', client: false, queues: 1, vlan: 0, macLimit: 0,
      driver: kind === 'tap' ? 'net_tap' : 'net_virtio_user', devargs, kernel: true,
    }));
    return name;
  }

  async removeKernelPort(iface: string): Promise<void> {
    await this.call((a) => a.removePort(kernelPortName(iface)));
  }

  /** A host NIC in the data plane, carrying the overlay (fp.h, "Uplinks"). */
  async addUplink(u: UplinkConf): Promise<void> {
    await this.call((a) => a.addUplink({
      name: u.name, driver: u.driver, devargs: u.devargs, queues: u.queues,
      ip: ipBytes(u.address), prefixLen: u.prefixLen, gateway: ipBytes(u.gateway ?? '0.0.0.0'), mtu: u.mtu ?? 0,
    }));
  }

  async removeUplink(name: string): Promise<void> {
    await this.call((a) => a.removeUplink(name));
  }

  async uplinkInfo(name: string): Promise<NativeUplinkInfo> {
    return this.call((a) => a.uplinkInfo(name));
  }

  /** Set a network's overlay, or remove it (null). Tunnels of peers that
   * stay keep what they learned. */
  async setVxlan(network: string, v: VxlanConf | null): Promise<void> {
    await this.call((a) => a.setVxlan({
      network, uplink: v?.uplink ?? '', vni: v?.vni ?? 0, peerMacLimit: v?.peerMacLimit ?? 0,
      peers: (v?.peers ?? []).map(ipBytes),
      statics: (v?.staticMacs ?? []).map((m) => ({ mac: macBytes(m.mac), vlan: m.vlan ?? 0, peer: ipBytes(m.peer) })),
    }));
  }

  /** Punt classes of a network, by name; classes left out are disabled. */
  async setPunt(network: string, classes: Record<string, NativePuntClass>): Promise<void> {
    const names = this.puntClassNames();
    const unknown = Object.keys(classes).filter((c) => !names.includes(c));
    if (unknown.length) throw new DataplaneError('EINVAL', `unknown punt class ${unknown.join(', ')} (known: ${names.join(', ')})`);
    await this.call((a) => a.setPunt(network, names.map((n) => classes[n] ?? { enabled: false, pps: 0, burst: 0 })));
  }

  async puntStats(network: string): Promise<Record<string, { passed: bigint; policed: bigint }>> {
    const raw = await this.call((a) => a.puntStats(network));
    return Object.fromEntries(this.puntClassNames().map((n, i) => [n, { passed: raw.passed[i] ?? 0n, policed: raw.policed[i] ?? 0n }]));
  }

  puntClassNames(): string[] {
    return (this.addon ?? loadAddon()).puntClassNames();
  }

  /** Counters by rule id; id 0 is the table miss. */
  async flowStats(network: string): Promise<NativeFlowStats> {
    return this.call((a) => a.flowStats(network));
  }

  private requireRunning(): void {
    if (this.state !== 'running') throw new DataplaneError('ENODEV', 'data plane is not running');
  }

  private async call<T>(fn: (a: NativeAddon) => Promise<T>): Promise<T> {
    this.requireRunning();
    try {
      return await fn(this.addon!);
    } catch (e) {
      throw fromNative(e);
    }
  }

  private onNativeEvent(ev: NativeEvent): void {
    if (ev.kind === 'queue-state') {
      const vring = ev.vring ?? 0;
      this.emit('queue', {
        port: ev.port, vring, direction: vring % 2 === 0 ? 'to-guest' : 'from-guest', enabled: ev.enabled ?? false,
      });
    } else {
      this.emit('link', {
        port: ev.port,
        up: ev.kind === 'link-up',
        ...(ev.kind === 'link-up' ? { features: ev.features ?? 0n, queuePairs: ev.queuePairs ?? 0 } : {}),
        ...(ev.reason ? { reason: ev.reason } : {}),
      });
    }
  }

  private removeRuntimeDir(): void {
    rmSync(`/var/run/dpdk/${this.config.filePrefix}`, { recursive: true, force: true });
  }
}

export type KernelPortKind = 'tap' | 'vhost-net';

export function kernelPortName(iface: string): string {
  return `kernel:${iface}`;
}

function convertStats(addon: NativeAddon, raw: NativeStats): DataplaneStats {
  const pnames = addon.portCounterNames();
  const wnames = addon.workerCounterNames();
  const enames = addon.peerErrorNames();
  const ports = raw.ports.map((p) => {
    const v: Record<string, bigint> = {};
    pnames.forEach((n, i) => { v[n] = p.counters[i] ?? 0n; });
    const drops: Record<string, bigint> = {};
    for (const n of pnames) if (n.startsWith('drop_')) drops[n.slice(5)] = v[n] ?? 0n;
    const peerErrors = Object.fromEntries(enames.map((n, i) => [n, p.peerErrors[i] ?? 0n]));
    return {
      name: p.name, network: p.network, linkUp: p.linkUp, queuePairs: p.queuePairs, features: p.features,
      rxPackets: v.rx_packets ?? 0n, rxBytes: v.rx_bytes ?? 0n, txPackets: v.tx_packets ?? 0n, txBytes: v.tx_bytes ?? 0n,
      drops, peerErrors, rxNoL4: v.rx_no_l4 ?? 0n, macs: p.macs, queues: p.queues,
    };
  });
  const workers = raw.workers.map((w) => {
    const v: Record<string, bigint> = {};
    wnames.forEach((n, i) => { v[n] = w.counters[i] ?? 0n; });
    const busy = v.busy_cycles ?? 0n;
    const idle = v.idle_cycles ?? 0n;
    const packets = v.packets ?? 0n;
    return {
      lcore: w.lcore, busyCycles: busy, idleCycles: idle, packets, iterations: v.iterations ?? 0n,
      // Ratios need no exactness: doubles past 2^53 are still right to 1e-16.
      cyclesPerPacket: packets > 0n ? Number(busy) / Number(packets) : 0,
      busyPercent: busy + idle > 0n ? (100 * Number(busy)) / Number(busy + idle) : 0,
    };
  });
  return {
    tscHz: raw.tscHz,
    mbufs: { total: raw.mbufsTotal, available: raw.mbufsAvailable, inUse: raw.mbufsTotal - raw.mbufsAvailable },
    guard: { regions: raw.guardRegions, lost: raw.guardLost },
    ports,
    workers,
  };
}

/**
 * What the orchestrator, the flow manager and the kernel interfaces use of
 * the data plane: the real Dataplane, or test/harness/fake-dataplane.ts in
 * unit tests (as OVS tests against netdev-dummy).
 */
export type SwitchPlane = Pick<Dataplane,
  'config' | 'info' | 'createNetwork' | 'deleteNetwork' | 'addPort' | 'removePort' | 'setRxqAffinity' | 'port' | 'stats'
  | 'setFlowTable' | 'flowStats' | 'addKernelPort' | 'removeKernelPort' | 'setPunt' | 'puntStats' | 'puntClassNames'
  | 'addUplink' | 'removeUplink' | 'uplinkInfo' | 'setVxlan'> & {
  on<K extends keyof DataplaneEvents>(event: K, listener: (...args: DataplaneEvents[K]) => void): unknown;
};
