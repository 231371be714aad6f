// SPDX-License-Identifier: Apache-2.0
// Networks and ports: validation, allocation (MACs, limits), the data plane
// calls, and their part of the persisted desired state (StateKeeper).
// Data plane errors (errno codes) pass through as they are: the API adapter
// is the one place that turns them into statuses.
import { EventEmitter } from 'node:events';

import {
  checkAffinity, resolvePortSpec, validateName, type LinkEvent, type SwitchPlane, type PortStats as DpPortStats, type QueueEvent,
} from '../dataplane/index.js';
import { attachFor, type AttachInfo, type HugepageMount } from './attach.js';
import { exhausted, exists, invalid, notFound, precondition } from './errors.js';
import { withoutNetworkFlows } from './flows/flow-manager.js';
import { sameKernel, type KernelInterfaces, type KernelRecord, type KernelRequest } from './kernel/kernel-manager.js';
import { intIn, RANGES } from '../dataplane/limits.js';
import { MacPool, normaliseMac } from './mac-pool.js';
import {
  DEFAULT_MAX_MACS, normalisePortSecurity, sameSecurity, securityBytes, type PortSecurityInput,
} from './port-security.js';
import type { NetworkRecord, PortModeName, PortRecord, PortTypeName } from './state.js';
import type { StateKeeper } from './state-keeper.js';

export interface Limits {
  maxPorts: number;
  maxQueues: number;
  maxNetworks: number;
  /** Flow rules per network (ReplaceFlows and AddFlow beyond it: RESOURCE_EXHAUSTED). */
  maxFlowsPerNetwork: number;
  /** Flow rules across all networks: each network's table is built and held in memory. */
  maxFlowsTotal: number;
}

export interface NetworkSpec {
  name: string;
  vlan?: number;
  mtu?: number;
  /** A kernel exception interface (fp-<name> unless named) with these gateway addresses. */
  kernel?: KernelRequest;
}

export interface PortRequest {
  name: string;
  network: string;
  type?: PortTypeName;
  memifRingLog2?: number;
  memifBufferSize?: number;
  mode?: PortModeName;
  queues?: number;
  vlan?: number;
  uid?: number;
  gid?: number;
  socketMode?: number;
  dirMode?: number;
  mac?: string;
  /** Port security on, with these allowed MACs and addresses. */
  security?: PortSecurityInput;
  /** Learned source MACs the port may have (0 or absent: 64). */
  maxMacs?: number;
  /** Rx queues pinned to worker lcores (queue -> lcore). */
  rxqAffinity?: Record<number, number>;
}

export interface PortView {
  record: PortRecord;
  attach: AttachInfo;
  linkUp: boolean;
  features: bigint;
  queuePairs: number;
}

export type PortEventKind = 'connected' | 'disconnected' | 'queue-state';

export interface PortEventView {
  port: string;
  kind: PortEventKind;
  features?: bigint;
  queuePairs?: number;
  vring?: number;
  enabled?: boolean;
  /** disconnected: why fastpath ended the connection; absent if the guest left. */
  reason?: string;
  timeMs: number;
}

export interface OrchestratorEvents {
  'port-event': [PortEventView];
}

interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** proto3 cannot tell 0 from unset: an API number of 0 takes the default. */
const unset0 = (v: number | undefined): number | undefined => (v === 0 ? undefined : v);


export class Orchestrator extends EventEmitter<OrchestratorEvents> {
  private readonly links = new Map<string, { up: boolean; features: bigint; queuePairs: number }>();

  constructor(
    private readonly dp: SwitchPlane,
    private readonly keeper: StateKeeper,
    private readonly macs: MacPool,
    private readonly limits: Limits,
    private readonly log: Logger,
    /** The hugepage reservation tied to a port: the one whose owner is its name. */
    private readonly hugepagesOf: (owner: string) => HugepageMount | undefined = () => undefined,
    /** Kernel exception interfaces; without it, networks cannot have one. */
    private readonly kernel?: KernelInterfaces,
  ) {
    super();
    dp.on('link', (ev) => this.onLink(ev));
    dp.on('queue', (ev) => this.onQueue(ev));
    dp.on('warning', (ev) => this.log.warn({ port: ev.port }, ev.message));
  }

  /** Recreate every network and port of the state, before forwarding. */
  async replay(): Promise<{ networks: number; ports: number; failed: string[] }> {
    const failed: string[] = [];
    for (const n of this.keeper.state.networks) {
      await this.dp.createNetwork(n.name);
      if (!n.kernel) continue;
      try {
        if (!this.kernel) throw new Error('this daemon has no kernel exception path');
        await this.kernel.create(n.name, n.kernel, n.mtu);
      } catch (e) {
        // The network works without it; deleting and re-creating it, or a
        // restart once the name is free, brings the interface back.
        failed.push(`kernel:${n.kernel.name}`);
        this.log.error({ network: n.name, iface: n.kernel.name, err: (e as Error).message }, 'kernel interface could not be recreated from state');
      }
    }
    const workers = (await this.dp.info()).workerLcores;
    // All ports at once: fp-ctl takes their commands one by one anyway, but
    // their directories and sockets are prepared meanwhile, and client-mode
    // ports start reconnecting to their containers sooner.
    await Promise.all(this.keeper.state.ports.map(async (p) => {
      try {
        const spec = this.dpSpec(p);
        // Pins to lcores this daemon no longer has (fewer worker CPUs than
        // before) are set aside, not fatal: those queues go by load.
        const lost = Object.entries(spec.rxqAffinity).filter(([, l]) => !workers.includes(l));
        if (lost.length > 0) {
          this.log.warn({ port: p.name, pins: Object.fromEntries(lost), workers }, 'rx queue pins to lcores that are not workers now: those queues are placed by load');
          spec.rxqAffinity = Object.fromEntries(Object.entries(spec.rxqAffinity).filter(([, l]) => workers.includes(l)));
        }
        await this.dp.addPort(spec);
      } catch (e) {
        // Kept in the state: a later restart, or deleting it, settles it.
        failed.push(p.name);
        this.log.error({ port: p.name, err: (e as Error).message }, 'port could not be recreated from state');
      }
    }));
    failed.sort((a, b) => a.localeCompare(b));
    return { networks: this.keeper.state.networks.length, ports: this.keeper.state.ports.length - failed.length, failed };
  }

  // ---- networks ----

  createNetwork(spec: NetworkSpec): Promise<{ network: NetworkRecord; created: boolean }> {
    return this.keeper.serial(async () => {
      const rec: NetworkRecord = {
        name: validateName('network', spec.name),
        vlan: intIn(RANGES.vlan, unset0(spec.vlan), 0),
        mtu: intIn(RANGES.mtu, unset0(spec.mtu), 1500),
      };
      if (spec.kernel && !this.kernel) throw precondition('this fastpathd has no kernel exception path');
      const kernelWant = spec.kernel ? this.kernel!.normalise(rec.name, spec.kernel) : undefined;
      const have = this.keeper.state.networks.find((n) => n.name === rec.name);
      if (have) {
        if (have.vlan === rec.vlan && have.mtu === rec.mtu && sameKernel(have.kernel, kernelWant)) return { network: have, created: false };
        throw exists(`network ${rec.name} already exists with a different spec (vlan ${have.vlan}, mtu ${have.mtu}${have.kernel ? `, kernel interface ${have.kernel.name}` : ''})`);
      }
      if (this.keeper.state.networks.length >= this.limits.maxNetworks) {
        throw exhausted(`network limit reached (${this.limits.maxNetworks})`);
      }
      if (kernelWant) {
        const taken = this.keeper.state.networks.find((n) => n.kernel?.name === kernelWant.name);
        if (taken) throw exists(`kernel interface ${kernelWant.name} belongs to network ${taken.name}`);
        await this.kernel!.precheck(kernelWant);
        rec.kernel = { ...kernelWant, mac: this.macs.allocate(this.usedMacs()) };
      }
      await this.dp.createNetwork(rec.name);
      try {
        if (rec.kernel) await this.kernel!.create(rec.name, rec.kernel, rec.mtu);
      } catch (e) {
        await this.dp.deleteNetwork(rec.name).catch(() => undefined);
        throw e;
      }
      await this.keeper.commit({ ...this.keeper.state, networks: [...this.keeper.state.networks, rec] }, async () => {
        if (rec.kernel) await this.kernel!.remove(rec.kernel).catch(() => undefined);
        await this.dp.deleteNetwork(rec.name);
      });
      this.log.info({ network: rec.name, vlan: rec.vlan, mtu: rec.mtu, kernel: rec.kernel?.name }, 'network created');
      return { network: rec, created: true };
    });
  }

  getNetwork(name: string): NetworkRecord & { portCount: number } {
    const n = this.keeper.state.networks.find((x) => x.name === validateName('network', name));
    if (!n) throw notFound(`no network named ${name}`, 'NETWORK_NOT_FOUND');
    return { ...n, portCount: this.keeper.state.ports.filter((p) => p.network === n.name).length };
  }

  listNetworks(): Array<NetworkRecord & { portCount: number }> {
    return [...this.keeper.state.networks].sort((a, b) => a.name.localeCompare(b.name)).map((n) => this.getNetwork(n.name));
  }

  deleteNetwork(name: string, allowMissing: boolean): Promise<void> {
    return this.keeper.serial(async () => {
      const n = this.keeper.state.networks.find((x) => x.name === validateName('network', name));
      if (!n) {
        if (allowMissing) return;
        throw notFound(`no network named ${name}`, 'NETWORK_NOT_FOUND');
      }
      const ovl = (this.keeper.state.overlays ?? []).find((o) => o.network === name);
      if (ovl) throw precondition(`network ${name} carries VXLAN VNI ${ovl.vni} over uplink ${ovl.uplink}: remove its overlay first (fpctl overlay del ${name})`, 'NETWORK_IN_USE');
      const users = this.keeper.state.ports.filter((p) => p.network === name).map((p) => p.name);
      if (users.length > 0) {
        throw precondition(`network ${name} still has ${users.length} port(s): ${users.slice(0, 5).join(', ')}${users.length > 5 ? ', …' : ''}; delete them first`, 'NETWORK_IN_USE');
      }
      // Its kernel interface first: the data plane counts it as a port.
      // (Absent after a failed replay: then there is nothing to remove.)
      if (n.kernel) await this.kernel?.remove(n.kernel).catch(() => undefined);
      await this.dp.deleteNetwork(name);
      // Its flow rules go with it (the data plane freed its table).
      await this.keeper.commit(withoutNetworkFlows({ ...this.keeper.state, networks: this.keeper.state.networks.filter((x) => x.name !== name) }, name));
      this.log.info({ network: name }, 'network deleted');
    });
  }

  // ---- ports ----

  createPort(req: PortRequest): Promise<{ port: PortView; created: boolean }> {
    return this.keeper.serial(async () => {
      const name = validateName('port', req.name);
      const network = validateName('network', req.network);
      const type = req.type ?? 'vhost-user';
      // vhost-user ports are client mode unless asked: the container serves
      // the socket and fastpath reconnects after its own restart (DPDK
      // 22.11's virtio_user never reconnects as a client). memif: server.
      const mode = req.mode ?? (type === 'memif' ? 'server' : 'client');
      if (type === 'memif' && mode !== 'server') throw invalid('a memif port is the memif server: its mode must be server');
      const want: Omit<PortRecord, 'mac' | 'macRequested'> = {
        name,
        network,
        ...(type === 'memif' ? {
          type,
          memifRingLog2: intIn(RANGES.memifRingLog2, unset0(req.memifRingLog2), 10),
          memifBufferSize: intIn(RANGES.memifBufferSize, unset0(req.memifBufferSize), 2048),
        } : {}),
        mode,
        queues: intIn(RANGES.queues, unset0(req.queues), 1, this.limits.maxQueues),
        vlan: intIn(RANGES.vlan, unset0(req.vlan), 0),
        ...(req.uid !== undefined ? { uid: intIn(RANGES.id, req.uid, 0) } : {}),
        ...(req.gid !== undefined ? { gid: intIn(RANGES.id, req.gid, 0) } : {}),
        socketMode: intIn(RANGES.socketMode, unset0(req.socketMode), 0o660),
        dirMode: intIn(RANGES.dirMode, unset0(req.dirMode), 0o750),
        ...(req.security ? { security: normalisePortSecurity(req.security) } : {}),
        maxMacs: intIn(RANGES.maxMacs, unset0(req.maxMacs), DEFAULT_MAX_MACS),
      };
      const affinity = checkAffinity(req.rxqAffinity ?? {}, want.queues);
      if (Object.keys(affinity).length > 0) want.rxqAffinity = affinity;
      const mac = req.mac ? normaliseMac(req.mac) : undefined;
      const net = this.keeper.state.networks.find((n) => n.name === network);

      const have = this.keeper.state.ports.find((p) => p.name === name);
      if (have) {
        const same = have.network === want.network && have.mode === want.mode && have.queues === want.queues &&
          (have.type ?? 'vhost-user') === (want.type ?? 'vhost-user') &&
          have.memifRingLog2 === want.memifRingLog2 && have.memifBufferSize === want.memifBufferSize &&
          have.vlan === want.vlan && have.uid === want.uid && have.gid === want.gid &&
          have.socketMode === want.socketMode && have.dirMode === want.dirMode &&
          sameSecurity(have.security, want.security) && (have.maxMacs ?? DEFAULT_MAX_MACS) === want.maxMacs &&
          sameAffinity(have.rxqAffinity, want.rxqAffinity) &&
          (mac === undefined ? !have.macRequested : have.mac === mac);
        if (same) return { port: this.view(have), created: false };
        throw exists(`port ${name} already exists with a different spec`);
      }
      if (!net) throw notFound(`no network named ${network}`, 'NETWORK_NOT_FOUND');
      if (this.keeper.state.ports.length >= this.limits.maxPorts) throw exhausted(`port limit reached (${this.limits.maxPorts})`);
      const used = this.usedMacs();
      if (mac !== undefined && used.has(mac)) {
        const owner = this.keeper.state.ports.find((p) => p.mac === mac)?.name ??
          `the kernel interface of network ${this.keeper.state.networks.find((n) => n.kernel?.mac === mac)?.name}`;
        throw exists(`MAC ${mac} is already used by ${owner.startsWith('the ') ? owner : `port ${owner}`}`);
      }
      const rec: PortRecord = { ...want, mac: mac ?? this.macs.allocate(used), macRequested: mac !== undefined };
      await this.dp.addPort(this.dpSpec(rec));
      await this.keeper.commit({ ...this.keeper.state, ports: [...this.keeper.state.ports, rec] }, () => this.dp.removePort(rec.name));
      this.log.info({ port: name, network, mode, mac: rec.mac, socket: this.dp.port(name)?.socketPath }, 'port created');
      return { port: this.view(rec), created: true };
    });
  }

  /** Pin rx queues to worker lcores (replacing the port's pins). */
  setRxqAffinity(name: string, affinity: Record<number, number>): Promise<PortView> {
    return this.keeper.serial(async () => {
      const p = this.keeper.state.ports.find((x) => x.name === validateName('port', name));
      if (!p) throw notFound(`no port named ${name}`, 'PORT_NOT_FOUND');
      const want = checkAffinity(affinity, p.queues);
      if (sameAffinity(p.rxqAffinity, want)) return this.view(p);
      if (!this.dp.port(name)) throw precondition(`port ${name} is not in the data plane (it failed to come back at start-up)`);
      await this.dp.setRxqAffinity(name, want);
      const rec: PortRecord = { ...p };
      if (Object.keys(want).length > 0) rec.rxqAffinity = want;
      else delete rec.rxqAffinity;
      await this.keeper.commit({ ...this.keeper.state, ports: this.keeper.state.ports.map((x) => (x.name === name ? rec : x)) },
        () => this.dp.setRxqAffinity(name, p.rxqAffinity ?? {}));
      this.log.info({ port: name, rxqAffinity: want }, 'rx queue affinity set');
      return this.view(rec);
    });
  }

  getPort(name: string): PortView {
    const p = this.keeper.state.ports.find((x) => x.name === validateName('port', name));
    if (!p) throw notFound(`no port named ${name}`, 'PORT_NOT_FOUND');
    return this.view(p);
  }

  listPorts(network?: string): PortView[] {
    return this.keeper.state.ports
      .filter((p) => !network || p.network === network)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((p) => this.view(p));
  }

  deletePort(name: string, allowMissing: boolean): Promise<void> {
    return this.keeper.serial(async () => {
      const p = this.keeper.state.ports.find((x) => x.name === validateName('port', name));
      if (!p) {
        if (allowMissing) return;
        throw notFound(`no port named ${name}`, 'PORT_NOT_FOUND');
      }
      // A port that failed to come back at replay is not in the data plane.
      if (this.dp.port(name)) await this.dp.removePort(name);
      await this.keeper.commit({ ...this.keeper.state, ports: this.keeper.state.ports.filter((x) => x.name !== name) });
      this.links.delete(name);
      this.log.info({ port: name }, 'port deleted');
    });
  }

  async portStats(name?: string): Promise<DpPortStats[]> {
    if (name) this.getPort(name);
    const all = (await this.dp.stats()).ports;
    return all.filter((p) => !name || p.name === name).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The kernel interface's path and, when live, its status and punt counters (iproute2 and the data plane: GetNetwork, not listings). */
  async kernelStatus(network: string, live = true) {
    const n = this.getNetwork(network);
    if (!n.kernel || !this.kernel) return undefined;
    const path = this.kernel.describe();
    return live ? { path, ...(await this.kernel.status(n.name, n.kernel)) } : { path, punt: {} };
  }

  hasKernelInterface(network: string): boolean {
    return this.keeper.state.networks.some((n) => n.name === network && n.kernel !== undefined);
  }

  hasPort(name: string): boolean {
    return this.keeper.state.ports.some((p) => p.name === name);
  }

  // ---- internals ----

  /** MACs of ports and kernel interfaces: one pool for both. */
  private usedMacs(): Set<string> {
    return new Set([
      ...this.keeper.state.ports.map((p) => p.mac),
      ...this.keeper.state.networks.flatMap((n) => (n.kernel ? [n.kernel.mac] : [])),
    ]);
  }

  private dpSpec(p: PortRecord) {
    const net = this.keeper.state.networks.find((n) => n.name === p.network);
    return {
      name: p.name,
      network: p.network,
      ...(p.type === 'memif' ? { type: p.type, memifRingLog2: p.memifRingLog2, memifBufferSize: p.memifBufferSize } : {}),
      mode: p.mode,
      queues: p.queues,
      vlan: p.vlan || net?.vlan || 0,
      socketMode: p.socketMode,
      dirMode: p.dirMode,
      ...(p.uid !== undefined ? { uid: p.uid } : {}),
      ...(p.gid !== undefined ? { gid: p.gid } : {}),
      macLimit: p.maxMacs ?? DEFAULT_MAX_MACS,
      ...(p.security ? { security: securityBytes(p.security, p.mac) } : {}),
      rxqAffinity: p.rxqAffinity ?? {},
    };
  }

  private view(p: PortRecord): PortView {
    const rp = this.dp.port(p.name) ?? resolvePortSpec(this.dpSpec(p), this.dp.config.socketRoot);
    const link = this.links.get(p.name);
    return {
      record: p,
      attach: attachFor(p, rp.socketPath, rp.dir, this.hugepagesOf(p.name)),
      linkUp: link?.up ?? false,
      features: link?.up ? link.features : 0n,
      queuePairs: link?.up ? link.queuePairs : 0,
    };
  }

  private onLink(ev: LinkEvent): void {
    const features = ev.features ?? 0n;
    this.links.set(ev.port, { up: ev.up, features, queuePairs: ev.queuePairs ?? 0 });
    this.emit('port-event', {
      port: ev.port, kind: ev.up ? 'connected' : 'disconnected', timeMs: Date.now(),
      ...(ev.up ? { features, queuePairs: ev.queuePairs ?? 0 } : {}),
      ...(ev.reason ? { reason: ev.reason } : {}),
    });
    if (ev.reason) this.log.warn({ port: ev.port, reason: ev.reason }, 'ended the connection of a misbehaving guest');
  }

  private onQueue(ev: QueueEvent): void {
    this.emit('port-event', { port: ev.port, kind: 'queue-state', vring: ev.vring, enabled: ev.enabled, timeMs: Date.now() });
  }
}

/** Same pins (absent and empty alike). */
function sameAffinity(a: Record<number, number> | undefined, b: Record<number, number> | undefined): boolean {
  const ka = Object.entries(a ?? {}).sort();
  const kb = Object.entries(b ?? {}).sort();
  return JSON.stringify(ka) === JSON.stringify(kb);
}
