// SPDX-License-Identifier: Apache-2.0
// A data plane in memory, for unit tests of the orchestrator, the flow
// manager and the kernel interfaces (as OVS tests its bridge against
// netdev-dummy): networks, ports, flow tables and punt settings kept in
// maps, the same validation as the real one (resolvePortSpec), events on
// demand, and any call made to fail once. The e2e tests prove the real
// thing; this proves rollback, idempotency and replay in milliseconds.
import { EventEmitter } from 'node:events';

import { defaultDataplaneConfig, type DataplaneConfig } from '../../src/dataplane/config.js';
import { DataplaneError } from '../../src/dataplane/errors.js';
import type {
  DataplaneEvents, DataplaneInfo, DataplaneStats, LinkEvent, NativeFlowRule, NativeFlowStats, NativePuntClass, NativeUplinkInfo, SwitchPlane, UplinkConf, VxlanConf,
} from '../../src/dataplane/index.js';
import { PUNT_CLASSES } from '../../src/dataplane/counters.js';
import { resolvePortSpec, type PortSpec, type ResolvedPort } from '../../src/dataplane/port-spec.js';

type Method = 'createNetwork' | 'deleteNetwork' | 'addPort' | 'removePort' | 'setRxqAffinity' | 'setFlowTable' | 'addKernelPort' | 'removeKernelPort' | 'setPunt'
  | 'addUplink' | 'removeUplink' | 'setVxlan';

export class FakeDataplane extends EventEmitter<DataplaneEvents> implements SwitchPlane {
  readonly config: DataplaneConfig;
  readonly networks = new Set<string>();
  readonly ports = new Map<string, ResolvedPort>();
  readonly flowTables = new Map<string, { missDrop: boolean; rules: NativeFlowRule[] }>();
  readonly kernelPorts = new Map<string, { network: string; kind: string; mac: string }>();
  readonly punt = new Map<string, Record<string, NativePuntClass>>();
  readonly uplinks = new Map<string, UplinkConf>();
  readonly vxlan = new Map<string, VxlanConf>();
  /** Every mutating call, in order: "addPort web0". */
  readonly calls: string[] = [];
  /** Counters a test sets for a port (as the data plane keeps them: uint64). */
  readonly counters = new Map<string, Partial<Pick<DataplaneStats['ports'][number], 'rxPackets' | 'rxBytes' | 'txPackets' | 'txBytes' | 'drops'>>>();
  private readonly failures = new Map<Method, Error>();

  constructor(config: Partial<DataplaneConfig> = {}) {
    super();
    this.config = { ...defaultDataplaneConfig(), socketRoot: '/run/fastpath-fake/ports', ...config };
  }

  /** The next call of method throws e (once). */
  failNext(method: Method, e: Error = new DataplaneError('ENOMEM', `injected ${method} failure`)): void {
    this.failures.set(method, e);
  }

  private enter(method: Method, what: string): void {
    this.calls.push(`${method} ${what}`);
    const e = this.failures.get(method);
    if (e) {
      this.failures.delete(method);
      throw e;
    }
  }

  /** A guest attaching or leaving, as the real one reports it. */
  link(ev: LinkEvent): void {
    this.emit('link', ev);
  }

  async createNetwork(name: string): Promise<void> {
    this.enter('createNetwork', name);
    if (this.networks.has(name)) throw new DataplaneError('EEXIST', `network ${name} already exists`);
    this.networks.add(name);
  }

  async deleteNetwork(name: string): Promise<void> {
    this.enter('deleteNetwork', name);
    if (!this.networks.delete(name)) throw new DataplaneError('ENOENT', `no network named ${name}`);
    this.flowTables.delete(name);
  }

  async addPort(spec: PortSpec): Promise<ResolvedPort> {
    this.enter('addPort', spec.name);
    const p = resolvePortSpec(spec, this.config.socketRoot);
    if (this.ports.has(p.name)) throw new DataplaneError('EEXIST', `port ${p.name} already exists`);
    if (!this.networks.has(p.network)) throw new DataplaneError('ENOENT', `no network named ${p.network}`);
    const bad = Object.values(p.rxqAffinity).find((l) => !this.workerLcores.includes(l));
    if (bad !== undefined) throw new DataplaneError('EINVAL', `lcore ${bad} is not a worker`);
    this.ports.set(p.name, p);
    return p;
  }

  async removePort(name: string): Promise<void> {
    this.enter('removePort', name);
    if (!this.ports.delete(name)) throw new DataplaneError('ENOENT', `no port named ${name}`);
  }

  /** Worker lcores of the fake (as --worker-cpus 1,2 would make). */
  workerLcores = [1, 2];

  async setRxqAffinity(name: string, affinity: Record<number, number>): Promise<void> {
    this.enter('setRxqAffinity', name);
    const p = this.ports.get(name);
    if (!p) throw new DataplaneError('ENOENT', `no port named ${name}`);
    const bad = Object.values(affinity).find((l) => !this.workerLcores.includes(l));
    if (bad !== undefined) throw new DataplaneError('EINVAL', `lcore ${bad} is not a worker`);
    p.rxqAffinity = { ...affinity };
  }

  async info(): Promise<DataplaneInfo> {
    return { dpdkVersion: 'fake', mainLcore: 0, workerLcores: this.workerLcores, hugePages: false, memoryReason: 'fake', eal: [], sharedCpus: [] };
  }

  port(name: string): ResolvedPort | undefined {
    return this.ports.get(name);
  }

  async stats(): Promise<DataplaneStats> {
    return {
      tscHz: 2_000_000_000, mbufs: { total: 8192, available: 8192, inUse: 0 }, guard: { regions: 0, lost: 0 }, workers: [],
      ports: [...this.ports.values()].map((p) => ({
        name: p.name, network: p.network, linkUp: false, queuePairs: 0, features: 0n, rxPackets: 0n, rxBytes: 0n, txPackets: 0n, txBytes: 0n,
        drops: {}, peerErrors: {}, rxNoL4: 0n, macs: 0, queues: [], ...this.counters.get(p.name),
      })),
    };
  }

  async setFlowTable(network: string, missDrop: boolean, rules: NativeFlowRule[]): Promise<void> {
    this.enter('setFlowTable', `${network} ${rules.length}`);
    if (!this.networks.has(network)) throw new DataplaneError('ENOENT', `no network named ${network}`);
    this.flowTables.set(network, { missDrop, rules });
  }

  async flowStats(network: string): Promise<NativeFlowStats> {
    const t = this.flowTables.get(network);
    const n = t?.rules.length ?? 0;
    return { ids: new Uint32Array(t?.rules.map((r) => r.id) ?? []), packets: new BigUint64Array(n + 1), bytes: new BigUint64Array(n + 1) };
  }

  async addKernelPort(network: string, iface: string, kind: 'tap' | 'vhost-net', mac: string): Promise<string> {
    this.enter('addKernelPort', iface);
    this.kernelPorts.set(iface, { network, kind, mac });
    return iface;
  }

  async removeKernelPort(iface: string): Promise<void> {
    this.enter('removeKernelPort', iface);
    this.kernelPorts.delete(iface);
  }

  async setPunt(network: string, classes: Record<string, NativePuntClass>): Promise<void> {
    this.enter('setPunt', network);
    this.punt.set(network, classes);
  }

  async puntStats(_network: string): Promise<Record<string, { passed: bigint; policed: bigint }>> {
    return Object.fromEntries(PUNT_CLASSES.map((c) => [c.name, { passed: 0n, policed: 0n }]));
  }

  puntClassNames(): string[] {
    return PUNT_CLASSES.map((c) => c.name);
  }

  async addUplink(u: UplinkConf): Promise<void> {
    this.enter('addUplink', u.name);
    if (this.uplinks.has(u.name) || this.ports.has(u.name)) throw new DataplaneError('EEXIST', `a port named ${u.name} already exists`);
    this.uplinks.set(u.name, u);
  }

  async removeUplink(name: string): Promise<void> {
    this.enter('removeUplink', name);
    if (!this.uplinks.has(name)) throw new DataplaneError('ENOENT', `no uplink named ${name}`);
    if ([...this.vxlan.values()].some((v) => v.uplink === name)) throw new DataplaneError('EBUSY', `uplink ${name} carries a network`);
    this.uplinks.delete(name);
  }

  async uplinkInfo(name: string): Promise<NativeUplinkInfo> {
    if (!this.uplinks.has(name)) throw new DataplaneError('ENOENT', `no uplink named ${name}`);
    return { linkUp: true, mac: '02:00:00:00:00:01', mtu: this.uplinks.get(name)!.mtu || 1500, neighbours: [] };
  }

  async setVxlan(network: string, v: VxlanConf | null): Promise<void> {
    this.enter('setVxlan', `${network} ${v ? `${v.vni} ${v.peers.join(',')}` : 'none'}`);
    if (!this.networks.has(network)) throw new DataplaneError('ENOENT', `no network named ${network}`);
    if (v === null) {
      this.vxlan.delete(network);
      return;
    }
    if (!this.uplinks.has(v.uplink)) throw new DataplaneError('ENOENT', `no uplink named ${v.uplink}`);
    for (const [n, o] of this.vxlan) {
      if (n !== network && o.uplink === v.uplink && o.vni === v.vni) throw new DataplaneError('EEXIST', `VNI ${v.vni} is network ${n}'s`);
    }
    this.vxlan.set(network, v);
  }
}
