// SPDX-License-Identifier: Apache-2.0
// Uplinks and networks' VXLAN overlays: validation, idempotency, the host
// check, the data plane's objects, and their part of the persisted desired
// state (replayed after networks, before forwarding). Every address and
// number here comes from a caller who may be careless or hostile: a peer
// must be one unicast host on the uplink's subnet (or behind its gateway),
// never our own endpoint, a broadcast or a multicast group.
import { tunnelPortName, type NativeUplinkInfo, type PortStats, type SwitchPlane, type VxlanConf } from '../../dataplane/index.js';
import { validateName } from '../../dataplane/port-spec.js';
import { exists, invalid, notFound, precondition } from '../errors.js';
import type { OverlayRecord, UplinkRecord } from '../state.js';
import type { StateKeeper } from '../state-keeper.js';
import { normaliseMac } from '../mac-pool.js';
import { isUnicastIPv4, parseHostCidr, sameSubnet, tunnelPeerProblem } from './ipv4.js';
import { MAX_PEERS, MAX_STATIC_MACS, VNI_MAX, VXLAN_OVERHEAD } from './overlay-limits.js';
import { checkUplinkHost, uplinkDevargs, validateUplinkSpec, type UplinkHost } from './uplink-spec.js';

export { MAX_PEERS, MAX_STATIC_MACS, VNI_MAX, VXLAN_OVERHEAD } from './overlay-limits.js';

export interface UplinkRequest {
  /** The host interface; also the uplink's name. */
  iface: string;
  driver: string;
  pci?: string;
  queues?: number;
  /** Endpoint with its subnet, like 10.1.0.5/24. */
  address: string;
  gateway?: string;
  mtu?: number;
}

export interface OverlayRequest {
  uplink: string;
  vni: number;
  peers: string[];
  /** "MAC@PEER" or objects. */
  staticMacs?: Array<{ mac: string; vlan?: number; peer: string }>;
  peerMacLimit?: number;
}

export interface UplinkView extends UplinkRecord {
  linkUp: boolean;
  mac: string;
  /** The MTU in use (the device's, or the one asked if lower). */
  mtuInUse: number;
  neighbours: NativeUplinkInfo['neighbours'];
  stats?: PortStats;
}

export interface OverlayView extends OverlayRecord {
  /** Largest frame a container may send to a peer (Ethernet header included). */
  maxFrame: number;
  tunnels: Array<{ peer: string; port: string; linkUp: boolean; stats?: PortStats }>;
}

interface Logger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** How the data plane names the driver. */
const DP_DRIVER = { af_xdp: 'net_af_xdp', af_packet: 'net_af_packet', pci: 'pci' } as const;

export class OverlayManager {
  constructor(
    private readonly dp: SwitchPlane,
    private readonly keeper: StateKeeper,
    private readonly log: Logger,
    private readonly host?: UplinkHost,
  ) {}

  private get uplinks(): UplinkRecord[] {
    return this.keeper.state.uplinks ?? [];
  }

  private get overlays(): OverlayRecord[] {
    return this.keeper.state.overlays ?? [];
  }

  /** Uplinks, then overlays, after networks and before forwarding. */
  async replay(): Promise<{ uplinks: number; overlays: number; failed: string[] }> {
    const failed: string[] = [];
    for (const u of this.uplinks) {
      try {
        await this.addDpUplink(u);
      } catch (e) {
        failed.push(`uplink:${u.name}`);
        this.log.error({ uplink: u.name, err: (e as Error).message }, 'uplink could not be recreated from state');
      }
    }
    for (const o of this.overlays) {
      try {
        await this.dp.setVxlan(o.network, this.dpVxlan(o));
      } catch (e) {
        failed.push(`overlay:${o.network}`);
        this.log.error({ network: o.network, err: (e as Error).message }, 'overlay could not be recreated from state');
      }
    }
    return { uplinks: this.uplinks.length, overlays: this.overlays.length, failed };
  }

  // ---- uplinks ----

  addUplink(req: UplinkRequest): Promise<{ uplink: UplinkRecord; created: boolean }> {
    return this.keeper.serial(async () => {
      const rec = this.normaliseUplink(req);
      const have = this.uplinks.find((u) => u.name === rec.name);
      if (have) {
        if (JSON.stringify(have) === JSON.stringify(rec)) return { uplink: have, created: false };
        throw exists(`uplink ${rec.name} already exists with a different spec (${have.driver}, ${have.address})`);
      }
      if (this.keeper.state.ports.some((p) => p.name === rec.name)) throw exists(`a port named ${rec.name} already exists`);
      const other = this.uplinks.find((u) => u.address.split('/')[0] === rec.address.split('/')[0]);
      if (other) throw exists(`address ${rec.address} is uplink ${other.name}'s endpoint`);
      await checkUplinkHost(validateUplinkSpec(req), this.host);
      await this.addDpUplink(rec);
      await this.keeper.commit({ ...this.keeper.state, uplinks: [...this.uplinks, rec] }, async () => this.dp.removeUplink(rec.name));
      this.log.info({ uplink: rec.name, driver: rec.driver, address: rec.address }, 'uplink added');
      return { uplink: rec, created: true };
    });
  }

  deleteUplink(name: string, allowMissing: boolean): Promise<void> {
    return this.keeper.serial(async () => {
      const u = this.uplinks.find((x) => x.name === name);
      if (!u) {
        if (allowMissing) return;
        throw notFound(`no uplink named ${name}`);
      }
      const users = this.overlays.filter((o) => o.uplink === name).map((o) => o.network);
      if (users.length > 0) throw precondition(`uplink ${name} carries network(s) ${users.join(', ')}: remove their overlays first`);
      await this.dp.removeUplink(name);
      await this.keeper.commit({ ...this.keeper.state, uplinks: this.uplinks.filter((x) => x.name !== name) });
      this.log.info({ uplink: name }, 'uplink deleted');
    });
  }

  async listUplinks(): Promise<UplinkView[]> {
    const stats = await this.dp.stats().catch(() => undefined);
    return Promise.all([...this.uplinks].sort((a, b) => a.name.localeCompare(b.name)).map(async (u) => {
      const info = await this.dp.uplinkInfo(u.name).catch(() => undefined);
      const st = stats?.ports.find((p) => p.name === u.name);
      return {
        ...u, linkUp: info?.linkUp ?? false, mac: info?.mac ?? '', mtuInUse: info?.mtu ?? 0, neighbours: info?.neighbours ?? [],
        ...(st ? { stats: st } : {}),
      };
    }));
  }

  // ---- overlays ----

  /** Set a network's overlay (idempotent), or remove it (null). */
  setOverlay(network: string, req: OverlayRequest | null): Promise<{ overlay?: OverlayRecord; changed: boolean }> {
    return this.keeper.serial(async () => {
      validateName('network', network);
      if (!this.keeper.state.networks.some((n) => n.name === network)) throw notFound(`no network named ${network}`, 'NETWORK_NOT_FOUND');
      const have = this.overlays.find((o) => o.network === network);
      if (req === null) {
        if (!have) return { changed: false };
        await this.dp.setVxlan(network, null);
        await this.keeper.commit({ ...this.keeper.state, overlays: this.overlays.filter((o) => o.network !== network) }, async () => this.dp.setVxlan(network, this.dpVxlan(have)));
        this.log.info({ network }, 'overlay removed');
        return { changed: true };
      }
      const rec = this.normaliseOverlay(network, req);
      if (have && JSON.stringify(have) === JSON.stringify(rec)) return { overlay: have, changed: false };
      await this.dp.setVxlan(network, this.dpVxlan(rec));
      const rest = this.overlays.filter((o) => o.network !== network);
      await this.keeper.commit({ ...this.keeper.state, overlays: [...rest, rec] }, async () => this.dp.setVxlan(network, have ? this.dpVxlan(have) : null));
      this.log.info({ network, vni: rec.vni, uplink: rec.uplink, peers: rec.peers }, 'overlay set');
      return { overlay: rec, changed: true };
    });
  }

  /** Replace the peers of a network that has an overlay (the Kubernetes
   * peer watcher's call); static MACs behind peers that left are dropped. */
  async setPeers(network: string, peers: string[]): Promise<void> {
    const have = this.overlays.find((o) => o.network === network);
    if (!have) throw precondition(`network ${network} has no overlay`);
    const kept = have.staticMacs.filter((m) => peers.includes(m.peer));
    await this.setOverlay(network, { uplink: have.uplink, vni: have.vni, peers, staticMacs: kept, peerMacLimit: have.peerMacLimit });
  }

  /** The network's peers now; undefined without an overlay. */
  peersOf(network: string): string[] | undefined {
    return this.overlays.find((o) => o.network === network)?.peers;
  }

  /** Its static MACs behind any of these peers. */
  staticMacsOf(network: string, peers: string[]): OverlayRecord['staticMacs'] {
    return (this.overlays.find((o) => o.network === network)?.staticMacs ?? []).filter((m) => peers.includes(m.peer));
  }

  hasOverlay(network: string): boolean {
    return this.overlays.some((o) => o.network === network);
  }

  async listOverlays(network?: string): Promise<OverlayView[]> {
    const stats = await this.dp.stats().catch(() => undefined);
    const list = this.overlays.filter((o) => network === undefined || o.network === network);
    if (network !== undefined && list.length === 0) {
      if (!this.keeper.state.networks.some((n) => n.name === network)) throw notFound(`no network named ${network}`, 'NETWORK_NOT_FOUND');
    }
    return Promise.all([...list].sort((a, b) => a.network.localeCompare(b.network)).map(async (o) => {
      const info = await this.dp.uplinkInfo(o.uplink).catch(() => undefined);
      return {
        ...o,
        maxFrame: (info?.mtu ?? 1500) + 14 - VXLAN_OVERHEAD,
        tunnels: o.peers.map((peer) => {
          const port = tunnelPortName(o.network, peer);
          const st = stats?.ports.find((p) => p.name === port);
          return { peer, port, linkUp: st?.linkUp ?? false, ...(st ? { stats: st } : {}) };
        }),
      };
    }));
  }

  // ---- validation ----

  private normaliseUplink(req: UplinkRequest): UplinkRecord {
    const spec = validateUplinkSpec(req);
    const cidr = parseHostCidr(String(req.address ?? ''));
    if (typeof cidr === 'string') throw invalid(`uplink address: ${cidr}`);
    const rec: UplinkRecord = { name: spec.iface, iface: spec.iface, driver: spec.driver, queues: spec.queues, address: `${cidr.address}/${cidr.prefix}` };
    if (spec.pci) rec.pci = spec.pci;
    if (req.gateway) {
      if (!isUnicastIPv4(req.gateway)) throw invalid(`uplink gateway must be a unicast IPv4 address, got ${JSON.stringify(req.gateway)}`);
      if (!sameSubnet(req.gateway, cidr.address, cidr.prefix)) throw invalid(`gateway ${req.gateway} is not on ${rec.address}`);
      if (req.gateway === cidr.address) throw invalid('the gateway cannot be the endpoint itself');
      rec.gateway = req.gateway;
    }
    if (req.mtu !== undefined && req.mtu !== 0) {
      if (!Number.isInteger(req.mtu) || req.mtu < 576 || req.mtu > 9000) throw invalid(`uplink MTU must be 576..9000, got ${req.mtu}`);
      rec.mtu = req.mtu;
    }
    return rec;
  }

  private normaliseOverlay(network: string, req: OverlayRequest): OverlayRecord {
    // "vxlan:<network>:<a.b.c.d>" must fit the data plane's 63-byte names.
    if (network.length > 63 - 'vxlan::255.255.255.255'.length) throw invalid(`network name ${network} is too long for an overlay (at most 41 characters)`);
    const up = this.uplinks.find((u) => u.name === req.uplink);
    if (!up) throw notFound(`no uplink named ${JSON.stringify(req.uplink ?? '')}`);
    if (!Number.isInteger(req.vni) || req.vni < 1 || req.vni > VNI_MAX) throw invalid(`VNI must be 1..${VNI_MAX}, got ${req.vni}`);
    const taken = this.overlays.find((o) => o.network !== network && o.uplink === up.name && o.vni === req.vni);
    if (taken) throw exists(`VNI ${req.vni} is network ${taken.network}'s on uplink ${up.name}`);
    const [self, len] = up.address.split('/') as [string, string];
    const prefix = Number(len);
    const peers = [...new Set(req.peers ?? [])].sort();
    if (peers.length !== (req.peers ?? []).length) throw invalid('a peer is listed twice');
    if (peers.length > MAX_PEERS) throw invalid(`at most ${MAX_PEERS} peers, got ${peers.length}`);
    for (const p of peers) {
      const problem = tunnelPeerProblem(p, self, prefix, up.gateway !== undefined);
      if (problem) throw invalid(`peer ${problem}`);
    }
    const staticMacs = (req.staticMacs ?? []).map((m) => {
      const mac = normaliseMac(String(m.mac ?? ''));
      const vlan = m.vlan ?? 0;
      if (!Number.isInteger(vlan) || vlan < 0 || vlan > 4094) throw invalid(`static MAC ${mac}: VLAN must be 0..4094`);
      if (!peers.includes(m.peer)) throw invalid(`static MAC ${mac} is behind ${JSON.stringify(m.peer)}, which is not a peer`);
      return { mac, vlan, peer: m.peer };
    }).sort((a, b) => a.mac.localeCompare(b.mac) || a.vlan - b.vlan);
    if (staticMacs.length > MAX_STATIC_MACS) throw invalid(`at most ${MAX_STATIC_MACS} static MACs`);
    if (new Set(staticMacs.map((m) => `${m.mac}/${m.vlan}`)).size !== staticMacs.length) throw invalid('a static MAC is listed twice');
    const peerMacLimit = req.peerMacLimit ?? 0;
    if (!Number.isInteger(peerMacLimit) || peerMacLimit < 0 || peerMacLimit > 1_000_000) throw invalid('peer MAC limit must be 0 (none)..1000000');
    return { network, uplink: up.name, vni: req.vni, peers, staticMacs, peerMacLimit };
  }

  /**
   * The kernel releases an AF_XDP socket asynchronously: binding the same
   * queue again right after an uplink was removed (or a daemon restarted)
   * fails for a moment. Such an uplink is retried for up to two seconds;
   * the data plane undoes each failed attempt.
   */
  private async addDpUplink(u: UplinkRecord): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.dp.addUplink(this.dpUplink(u));
        return;
      } catch (e) {
        if (u.driver !== 'af_xdp' || attempt >= 20) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private dpUplink(u: UplinkRecord) {
    return {
      name: u.name, driver: DP_DRIVER[u.driver],
      devargs: uplinkDevargs({ iface: u.iface, driver: u.driver, queues: u.queues, ...(u.pci ? { pci: u.pci } : {}) }),
      queues: u.queues, address: u.address.split('/')[0]!, prefixLen: Number(u.address.split('/')[1]),
      ...(u.gateway ? { gateway: u.gateway } : {}), ...(u.mtu ? { mtu: u.mtu } : {}),
    };
  }

  private dpVxlan(o: OverlayRecord): VxlanConf {
    return { uplink: o.uplink, vni: o.vni, peers: o.peers, peerMacLimit: o.peerMacLimit, staticMacs: o.staticMacs };
  }
}
