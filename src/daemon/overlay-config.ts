// SPDX-License-Identifier: Apache-2.0
// The daemon configuration's optional `overlay` section (issue 18): this
// node's uplink and tunnel endpoint, the networks that cross nodes over
// VXLAN, and where the peers come from. Parsed whole before anything is
// created, so a typo stops fastpathd at start-up with the key that is
// wrong, not half-way through setting up the uplink.
//
//   "overlay": {
//     "uplink": { "iface": "eth1", "driver": "af_packet", "queues": 1,
//                 "address": "${NODE_IP}/24", "gateway": "10.1.0.1" },
//     "networks": { "default": { "vni": 100 } },
//     "peers": { "static": ["10.1.0.6"] }
//          or { "kubernetes": { "namespace": "fastpath", "labelSelector": "app.kubernetes.io/name=fastpathd",
//                               "nodeName": "${NODE_NAME}" } }
//   }
//
// ${NODE_IP} and ${NODE_NAME} are replaced from the environment (the
// DaemonSet sets them with the downward API: status.hostIP, spec.nodeName),
// so one ConfigMap serves every node. No other variable is expanded: the
// file is the operator's, the environment is not a second config language.
import { ApiError } from '../core/errors.js';
import { isUnicastIPv4, parseHostCidr, sameSubnet, tunnelPeerProblem } from '../core/uplinks/ipv4.js';
import { MAX_PEERS, VNI_MAX } from '../core/uplinks/overlay-limits.js';
import { NAME_RE } from '../dataplane/port-spec.js';
import { validateUplinkSpec, type UplinkDriver } from '../core/uplinks/uplink-spec.js';
import { ConfigError } from './config.js';

export const OVERLAY_ENV = ['NODE_IP', 'NODE_NAME'] as const;
const ENV_SOURCE: Record<(typeof OVERLAY_ENV)[number], string> = { NODE_IP: 'status.hostIP', NODE_NAME: 'spec.nodeName' };

export { MAX_PEERS, VNI_MAX } from '../core/uplinks/overlay-limits.js';
export const DEFAULT_PEER_SELECTOR = 'app.kubernetes.io/name=fastpathd';

const DNS_LABEL_RE = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN_RE = /^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/;
/** Label selector syntax (a=b, a!=b, a in (x,y), !a), and nothing that could bend a URL. */
const SELECTOR_RE = /^[A-Za-z0-9._/=!,() -]{1,1024}$/;

export interface OverlayUplink {
  /** Default: iface (the orchestrator names an uplink after its interface). */
  name: string;
  iface: string;
  driver: UplinkDriver;
  pci?: string;
  queues: number;
  /** This node's tunnel endpoint, CIDR: "10.1.0.5/24". */
  address: string;
  gateway?: string;
}

export type OverlayPeers =
  | { kind: 'static'; addresses: string[] }
  | { kind: 'kubernetes'; namespace: string; labelSelector: string; nodeName: string };

export interface OverlayConfig {
  uplink: OverlayUplink;
  /** Sorted by name. */
  networks: Array<{ name: string; vni: number }>;
  peers: OverlayPeers;
}

type Env = Readonly<Record<string, string | undefined>>;
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(path: string, msg: string): never {
  throw new ConfigError(`${path}: ${msg}`);
}

function object(path: string, v: unknown, keys: readonly string[]): Obj {
  if (!isObj(v)) fail(path, `must be an object, got ${JSON.stringify(v)}`);
  const unknown = Object.keys(v).filter((k) => !keys.includes(k));
  if (unknown.length > 0) fail(path, `unknown key ${JSON.stringify(unknown[0])} (known: ${keys.join(', ')})`);
  return v;
}

/** A string with ${NODE_IP} / ${NODE_NAME} expanded, once (an expanded value is not expanded again). */
function str(path: string, v: unknown, env: Env): string {
  if (typeof v !== 'string') fail(path, `must be a string, got ${JSON.stringify(v)}`);
  return v.replace(/\$\{([^}]*)\}/g, (_m, name: string) => {
    if (!(OVERLAY_ENV as readonly string[]).includes(name)) {
      fail(path, `\${${name}} is not expanded (only ${OVERLAY_ENV.map((n) => `\${${n}}`).join(' and ')} are)`);
    }
    const value = env[name];
    if (value === undefined || value === '') {
      fail(path, `uses \${${name}} but ${name} is not set (the DaemonSet sets it from the downward API, ${ENV_SOURCE[name as 'NODE_IP']})`);
    }
    return value;
  });
}

function uplink(raw: unknown, env: Env): OverlayUplink {
  const p = 'overlay.uplink';
  const o = object(p, raw, ['name', 'iface', 'driver', 'pci', 'queues', 'address', 'gateway']);
  const name = o.name === undefined ? undefined : str(`${p}.name`, o.name, env);
  if (name !== undefined && (!NAME_RE.test(name) || name.includes('..'))) fail(`${p}.name`, `must be 1-63 characters of letters, digits, '_', '.', '-', got ${JSON.stringify(name)}`);
  if (o.queues !== undefined && typeof o.queues !== 'number') fail(`${p}.queues`, `must be a number, got ${JSON.stringify(o.queues)}`);
  let spec;
  try {
    spec = validateUplinkSpec({
      iface: str(`${p}.iface`, o.iface, env),
      driver: str(`${p}.driver`, o.driver, env),
      pci: o.pci === undefined ? undefined : str(`${p}.pci`, o.pci, env),
      queues: o.queues as number | undefined,
    });
  } catch (e) {
    if (e instanceof ApiError) fail(p, e.message);
    throw e;
  }
  const address = str(`${p}.address`, o.address, env);
  const cidr = parseHostCidr(address);
  if (typeof cidr === 'string') fail(`${p}.address`, `${cidr} (the VXLAN underlay is IPv4), got ${JSON.stringify(address)}`);
  const out: OverlayUplink = { name: name ?? spec.iface, ...spec, address: `${cidr.address}/${cidr.prefix}` };
  if (o.gateway !== undefined) {
    const gw = str(`${p}.gateway`, o.gateway, env);
    if (!isUnicastIPv4(gw)) fail(`${p}.gateway`, `must be a unicast IPv4 address, got ${JSON.stringify(gw)}`);
    if (gw === cidr.address) fail(`${p}.gateway`, `is this node's own address ${gw}`);
    if (!sameSubnet(gw, cidr.address, cidr.prefix)) fail(`${p}.gateway`, `${gw} is not on ${out.address}'s subnet`);
    out.gateway = gw;
  }
  return out;
}

function networks(raw: unknown): OverlayConfig['networks'] {
  const p = 'overlay.networks';
  if (!isObj(raw) || Object.keys(raw).length === 0) fail(p, 'must be an object naming at least one network, like {"default": {"vni": 100}}');
  const byVni = new Map<number, string>();
  return Object.keys(raw).sort().map((name) => {
    if (!NAME_RE.test(name) || name.includes('..')) fail(p, `${JSON.stringify(name)} is not a network name`);
    const o = object(`${p}.${name}`, raw[name], ['vni']);
    const vni = o.vni;
    if (typeof vni !== 'number' || !Number.isInteger(vni) || vni < 1 || vni > VNI_MAX) {
      fail(`${p}.${name}.vni`, `must be an integer 1..${VNI_MAX}, got ${JSON.stringify(vni)}`);
    }
    // Two networks on one VNI would be one L2 segment on the wire.
    const other = byVni.get(vni);
    if (other !== undefined) fail(`${p}.${name}.vni`, `${vni} is already network ${other}'s`);
    byVni.set(vni, name);
    return { name, vni };
  });
}

function peers(raw: unknown, env: Env, up: OverlayUplink): OverlayPeers {
  const [own, len] = up.address.split('/') as [string, string];
  const p = 'overlay.peers';
  const o = object(p, raw, ['static', 'kubernetes']);
  if ((o.static === undefined) === (o.kubernetes === undefined)) fail(p, 'give exactly one of "static" (a list of addresses) or "kubernetes"');
  if (o.static !== undefined) {
    if (!Array.isArray(o.static)) fail(`${p}.static`, 'must be a list of IPv4 addresses');
    if (o.static.length > MAX_PEERS) fail(`${p}.static`, `at most ${MAX_PEERS} peers, got ${o.static.length}`);
    const seen = new Set<string>();
    const addresses = o.static.map((v, i) => {
      const a = str(`${p}.static[${i}]`, v, env);
      if (!isUnicastIPv4(a)) fail(`${p}.static[${i}]`, `must be a unicast IPv4 address, got ${JSON.stringify(a)}`);
      const problem = tunnelPeerProblem(a, own, Number(len), up.gateway !== undefined);
      if (problem !== undefined) fail(`${p}.static[${i}]`, problem);
      if (seen.has(a)) fail(`${p}.static[${i}]`, `${a} is listed twice`);
      seen.add(a);
      return a;
    });
    return { kind: 'static', addresses };
  }
  const k = object(`${p}.kubernetes`, o.kubernetes, ['namespace', 'labelSelector', 'nodeName']);
  const namespace = str(`${p}.kubernetes.namespace`, k.namespace, env);
  if (!DNS_LABEL_RE.test(namespace)) fail(`${p}.kubernetes.namespace`, `not a namespace name: ${JSON.stringify(namespace)}`);
  const labelSelector = str(`${p}.kubernetes.labelSelector`, k.labelSelector ?? DEFAULT_PEER_SELECTOR, env);
  if (!SELECTOR_RE.test(labelSelector)) fail(`${p}.kubernetes.labelSelector`, `not a label selector: ${JSON.stringify(labelSelector)}`);
  const nodeName = str(`${p}.kubernetes.nodeName`, k.nodeName, env);
  if (!DNS_SUBDOMAIN_RE.test(nodeName)) fail(`${p}.kubernetes.nodeName`, `not a node name: ${JSON.stringify(nodeName)}`);
  return { kind: 'kubernetes', namespace, labelSelector, nodeName };
}

/**
 * The parsed `overlay` section, or undefined when there is none (absent or
 * null). Throws ConfigError naming the key that is wrong.
 */
export function parseOverlayConfig(raw: unknown, env: Env): OverlayConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  const o = object('overlay', raw, ['uplink', 'networks', 'peers']);
  if (o.uplink === undefined) fail('overlay', 'needs "uplink"');
  if (o.peers === undefined) fail('overlay', 'needs "peers"');
  const up = uplink(o.uplink, env);
  return { uplink: up, networks: networks(o.networks), peers: peers(o.peers, env, up) };
}

/** What the orchestrator offers the overlay (structural: this module does not import it). */
export interface OverlayTarget {
  /** Idempotent. */
  addUplink(req: { name: string; iface: string; driver: UplinkDriver; pci?: string; queues?: number; address: string; gateway?: string }): Promise<unknown>;
  /** Idempotent; the network must exist. */
  setNetworkOverlay(network: string, o: { vni: number; uplink: string; peers: string[] } | null): Promise<unknown>;
  /** Replaces the peer list of a network that has an overlay. */
  setOverlayPeers(network: string, peers: string[]): Promise<unknown>;
  /**
   * Optional: the peers a network has now (replayed from state), undefined
   * without an overlay. With it, a restart keeps the tunnels the
   * Kubernetes peer watch set last, instead of none until its first list.
   */
  getOverlayPeers?(network: string): Promise<string[] | undefined>;
}

/** pino's Logger fits. */
export interface OverlayLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface OverlayApplied {
  /** Networks that now carry their VNI. */
  applied: string[];
  failed: Array<{ network: string; error: string }>;
}

/**
 * The uplink, then each network's overlay (with the static peers, or, when
 * the Kubernetes peer watch fills them in, those it has now: none on a
 * first start, the replayed ones on a restart). Calls are all
 * idempotent, so this runs on every start, after replay. A failed uplink
 * throws (no network could cross nodes); a failed network is logged and
 * the others still go on: one network an operator deleted must not keep
 * the whole node's switch from starting.
 */
export async function applyOverlayConfig(target: OverlayTarget, cfg: OverlayConfig, log: OverlayLog): Promise<OverlayApplied> {
  const { uplink: u } = cfg;
  await target.addUplink({
    name: u.name, iface: u.iface, driver: u.driver, queues: u.queues, address: u.address,
    ...(u.pci !== undefined ? { pci: u.pci } : {}), ...(u.gateway !== undefined ? { gateway: u.gateway } : {}),
  });
  log.info({ step: 'overlay', uplink: u.name, iface: u.iface, driver: u.driver, address: u.address }, 'uplink ready');
  const out: OverlayApplied = { applied: [], failed: [] };
  for (const { name, vni } of cfg.networks) {
    try {
      const peers = cfg.peers.kind === 'static' ? cfg.peers.addresses : ((await target.getOverlayPeers?.(name)) ?? []);
      await target.setNetworkOverlay(name, { vni, uplink: u.name, peers });
      out.applied.push(name);
      log.info({ step: 'overlay', network: name, vni, peers: peers.length, peerSource: cfg.peers.kind }, 'network overlay set');
    } catch (e) {
      out.failed.push({ network: name, error: (e as Error).message });
      log.error({ step: 'overlay', network: name, vni, err: (e as Error).message }, 'network overlay not set; the network stays on this node only');
    }
  }
  return out;
}
