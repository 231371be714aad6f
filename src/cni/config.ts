// SPDX-License-Identifier: Apache-2.0
// The plugin's input: CNI_* environment variables and the network
// configuration on stdin, validated into one typed request.
import { inRange, RANGES, rangeText, type Range } from '../dataplane/limits.js';
import { CNI_ERR, CniError } from './errors.js';
import { K8S_NAMESPACE, type PageSize, type Policy } from './policy.js';

const MAC_TEXT = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;

export const SUPPORTED_VERSIONS = ['1.0.0', '1.1.0'];

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'GC' | 'STATUS';

export interface Attachment {
  containerId: string;
  ifname: string;
}

export interface NetConf {
  cniVersion: string;
  /** The CNI network name (the NetworkAttachmentDefinition's config name). */
  name: string;
  /** fastpath network the ports join. */
  network: string;
  /** fastpath port mode: server (fastpath owns the socket) or client. */
  mode: 'server' | 'client';
  queues: number;
  vlan: number;
  socket: { uid?: number; gid?: number; mode: number; dirMode: number };
  /** Port security (off when absent): allowed source MACs (default: the
   * port's own) and addresses it may claim in ARP/ND. */
  portSecurity?: { allowedMacs: string[]; allowedIps: string[] };
  /** Learned source MACs the port may have (default: what the policy allows). */
  maxMacs?: number;
  /** A per-port hugepage reservation, when asked for. */
  hugepages?: { sizeMib: number; pageSize: PageSize; uid?: number; gid?: number; mode: number };
  /** Where the pod mounts its volume (only for the socket path we report). */
  podMountPath: string;
  runtimeConfig: { CNIDeviceInfoFile?: string; mac?: string };
  prevResult?: CniResult;
  validAttachments?: Attachment[];
}

export interface CniInterface {
  name: string;
  mac?: string;
  sandbox?: string;
  socketPath?: string;
}

export interface CniResult {
  cniVersion: string;
  interfaces?: CniInterface[];
  ips?: unknown[];
  dns?: object;
}

export interface CniEnv {
  command: CniCommand;
  containerId: string;
  netns: string;
  ifname: string;
  /** CNI_ARGS as key=value pairs (K8S_POD_UID, K8S_POD_NAME, MAC, ...). */
  args: Record<string, string>;
}

const COMMANDS: readonly string[] = ['ADD', 'DEL', 'CHECK', 'VERSION', 'GC', 'STATUS'];

/** The spec's container id: alphanumerics, then also _ . - */
const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;
/** A Linux interface name (IFNAMSIZ - 1), neither . nor .. */
const IFNAME = /^(?!\.\.?$)[A-Za-z0-9_.-]{1,15}$/;
/** CNI_ARGS values we use: what each may look like. */
const ARG_FORMS: Record<string, RegExp> = {
  K8S_POD_UID: /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/,
  K8S_POD_NAMESPACE: K8S_NAMESPACE,
  K8S_POD_NAME: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/,
  MAC: MAC_TEXT,
};

const printable = (v: string): string => JSON.stringify(v.length > 64 ? `${v.slice(0, 64)}…` : v);

export function parseEnv(env: NodeJS.ProcessEnv): CniEnv {
  const command = env.CNI_COMMAND ?? '';
  if (!COMMANDS.includes(command)) throw new CniError(CNI_ERR.invalidEnv, `CNI_COMMAND ${printable(command)} is not one of ${COMMANDS.join(', ')}`);
  const args: Record<string, string> = {};
  for (const kv of (env.CNI_ARGS ?? '').slice(0, 64 * 1024).split(';')) {
    const at = kv.indexOf('=');
    if (at <= 0) continue;
    const [k, v] = [kv.slice(0, at), kv.slice(at + 1)];
    if (ARG_FORMS[k] && !ARG_FORMS[k].test(v)) throw new CniError(CNI_ERR.invalidEnv, `CNI_ARGS ${k}=${printable(v)} is not a valid ${k}`);
    args[k] = v;
  }
  const e: CniEnv = { command: command as CniCommand, containerId: env.CNI_CONTAINERID ?? '', netns: env.CNI_NETNS ?? '', ifname: env.CNI_IFNAME ?? '', args };
  const need = command === 'ADD' ? ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'] : command === 'DEL' || command === 'CHECK' ? ['CNI_CONTAINERID', 'CNI_IFNAME'] : [];
  const missing = need.filter((k) => !env[k]);
  if (missing.length > 0) throw new CniError(CNI_ERR.invalidEnv, `missing ${missing.join(', ')}`);
  if (e.containerId && !CONTAINER_ID.test(e.containerId)) {
    throw new CniError(CNI_ERR.invalidEnv, `CNI_CONTAINERID ${printable(e.containerId)} is not a container id (letters, digits, _ . -; at most 255)`);
  }
  if (e.ifname && !IFNAME.test(e.ifname)) throw new CniError(CNI_ERR.invalidEnv, `CNI_IFNAME ${printable(e.ifname)} is not a valid interface name`);
  if (e.netns.length > 4096) throw new CniError(CNI_ERR.invalidEnv, 'CNI_NETNS is longer than 4096 bytes');
  return e;
}

/** Network-configuration keys that name host paths or the daemon: only the
 * node's policy may set them (policy.ts). */
const POLICY_ONLY = ['endpoint', 'kubeletRoot', 'podVolume', 'hostAttachDir', 'stateDir', 'deviceInfoDir', 'timeoutSeconds'];

function fail(what: string, range?: Range, more = ''): never {
  throw new CniError(CNI_ERR.invalidConfig, `${what} must be ${range ? `an integer in ${rangeText(range)}` : more}`);
}

function mode(v: unknown, dflt: number, range: Range, what: string): number {
  if (v === undefined) return dflt;
  // "0660" (a string, as people write modes) or 432 (a JSON number).
  const n = typeof v === 'string' && /^0?[0-7]{3,4}$/.test(v) ? parseInt(v, 8) : typeof v === 'number' ? v : NaN;
  if (!inRange(range, n)) fail(what, undefined, `an octal mode in ${rangeText(range)} such as "0660"`);
  return n;
}

function int(v: unknown, dflt: number | undefined, what: string, range: Range): number {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number' || !inRange(range, v)) fail(what, range);
  return v;
}

function id(v: unknown, what: string): number | undefined {
  return v === undefined ? undefined : int(v, undefined, what, RANGES.id);
}

function str(v: unknown, dflt: string, what: string, form = /^[^\0]{0,256}$/): string {
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !form.test(v)) fail(what, undefined, `a string (${form.source})`);
  return v;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function strings(v: unknown, what: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > 16 || !v.every((x) => typeof x === 'string' && x.length <= 64)) {
    fail(what, undefined, 'a list of at most 16 strings');
  }
  return v as string[];
}

/** true, or {allowedMacs, allowedIps}; the daemon checks each address. */
function portSecurity(v: unknown): { allowedMacs: string[]; allowedIps: string[] } {
  if (v === true) return { allowedMacs: [], allowedIps: [] };
  if (!isObj(v)) fail('portSecurity', undefined, 'true or {"allowedMacs": [...], "allowedIps": [...]}');
  return { allowedMacs: strings(v.allowedMacs, 'portSecurity.allowedMacs'), allowedIps: strings(v.allowedIps, 'portSecurity.allowedIps') };
}

/** The spec's network name. */
const NET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;
const ABS_PATH = /^\/(?!.*(^|\/)\.\.?(\/|$))[^\0]{0,255}$/;

export function parseConf(stdin: string, command: CniCommand): NetConf {
  let raw: unknown;
  try {
    raw = JSON.parse(stdin);
  } catch (e) {
    throw new CniError(CNI_ERR.decode, 'network configuration on stdin is not JSON', (e as Error).message);
  }
  if (!isObj(raw)) throw new CniError(CNI_ERR.decode, 'network configuration must be a JSON object');
  const cniVersion = typeof raw.cniVersion === 'string' ? raw.cniVersion : '';
  if (command !== 'VERSION' && !SUPPORTED_VERSIONS.includes(cniVersion)) {
    throw new CniError(CNI_ERR.incompatibleVersion, `cniVersion ${printable(cniVersion)} is not supported (supported: ${SUPPORTED_VERSIONS.join(', ')})`);
  }
  for (const k of POLICY_ONLY) {
    if (raw[k] !== undefined) {
      throw new CniError(CNI_ERR.unsupportedField, `${k} is set by the node's plugin policy (/etc/fastpath/cni.json), not by the network configuration`,
        `${k}=${(JSON.stringify(raw[k]) ?? '').slice(0, 128)}`);
    }
  }
  const name = str(raw.name, '', 'name', NET_NAME);
  if (command !== 'VERSION' && !name) throw new CniError(CNI_ERR.invalidConfig, 'name is required');
  const m = str(raw.mode, 'client', 'mode'); // client: pods ride through a daemon restart
  if (m !== 'server' && m !== 'client') fail('mode', undefined, '"server" or "client"');
  if (raw.socket !== undefined && !isObj(raw.socket)) fail('socket', undefined, 'an object');
  const sock = isObj(raw.socket) ? raw.socket : {};
  const hp = raw.hugepages;
  if (hp !== undefined && !isObj(hp)) fail('hugepages', undefined, 'an object');
  const pageSize = hp === undefined ? '2M' : str(hp.pageSize, '2M', 'hugepages.pageSize', /^(2M|1G)$/);
  const rc = isObj(raw.runtimeConfig) ? raw.runtimeConfig : {};
  const valid = raw['cni.dev/valid-attachments'];
  if (valid !== undefined && !Array.isArray(valid)) fail('cni.dev/valid-attachments', undefined, 'a list');
  return {
    cniVersion,
    name,
    network: str(raw.network, 'default', 'network', /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/),
    mode: m as 'server' | 'client',
    queues: int(raw.queues, 1, 'queues', RANGES.queues),
    vlan: int(raw.vlan, 0, 'vlan', RANGES.vlan),
    socket: {
      uid: id(sock.uid, 'socket.uid'), gid: id(sock.gid, 'socket.gid'),
      mode: mode(sock.mode, 0o660, RANGES.socketMode, 'socket.mode'), dirMode: mode(sock.dirMode, 0o750, RANGES.dirMode, 'socket.dirMode'),
    },
    portSecurity: raw.portSecurity === undefined ? undefined : portSecurity(raw.portSecurity),
    maxMacs: raw.maxMacs === undefined ? undefined : int(raw.maxMacs, undefined, 'maxMacs', RANGES.maxMacs),
    hugepages: hp === undefined ? undefined : {
      sizeMib: int(hp.sizeMib, undefined, 'hugepages.sizeMib', RANGES.hugepageMib), pageSize: pageSize as PageSize,
      uid: id(hp.uid, 'hugepages.uid'), gid: id(hp.gid, 'hugepages.gid'), mode: mode(hp.mode, 0o770, RANGES.dirMode, 'hugepages.mode'),
    },
    podMountPath: str(raw.podMountPath, '/run/fastpath', 'podMountPath', ABS_PATH),
    runtimeConfig: {
      CNIDeviceInfoFile: rc.CNIDeviceInfoFile === undefined ? undefined : str(rc.CNIDeviceInfoFile, '', 'runtimeConfig.CNIDeviceInfoFile', /^\/[^\0]{1,4095}$/),
      mac: rc.mac === undefined ? undefined : str(rc.mac, '', 'runtimeConfig.mac', MAC_TEXT),
    },
    prevResult: isObj(raw.prevResult) ? (raw.prevResult as unknown as CniResult) : undefined,
    validAttachments: (valid as unknown[] | undefined)?.filter(isObj).map((a) => ({ containerId: String(a.containerID ?? ''), ifname: String(a.ifname ?? '') })),
  };
}

const denied = (msg: string): never => { throw new CniError(CNI_ERR.policyDenied, msg); };

/**
 * What ADD may do, by the node's policy: the network must be open to the
 * caller's namespace and every number inside what the policy allows there.
 * Returns the configuration as it will be applied (port security forced on
 * where the policy requires it).
 */
export function authorize(conf: NetConf, env: CniEnv, policy: Policy): NetConf {
  const from = policy.file ? `the node's plugin policy ${policy.file}` : 'the default plugin policy (no /etc/fastpath/cni.json)';
  const np = Object.prototype.hasOwnProperty.call(policy.networks, conf.network) ? policy.networks[conf.network] : undefined;
  if (!np) return denied(`network ${conf.network} is not open to CNI attachments by ${from}`);
  const ns = env.args.K8S_POD_NAMESPACE;
  if (np.namespaces && !(ns && np.namespaces.includes(ns))) {
    denied(`${ns ? `namespace ${ns}` : 'a caller without K8S_POD_NAMESPACE'} may not join network ${conf.network} (${from})`);
  }
  if (!np.vlans.some(([lo, hi]) => conf.vlan >= lo && conf.vlan <= hi)) denied(`VLAN ${conf.vlan} is not allowed on network ${conf.network} (${from})`);
  if (conf.queues > np.maxQueues) denied(`${conf.queues} queues is more than the ${np.maxQueues} allowed on network ${conf.network} (${from})`);
  if (!np.modes.includes(conf.mode)) denied(`${conf.mode}-mode ports are not allowed on network ${conf.network} (${from})`);
  if (conf.maxMacs !== undefined && conf.maxMacs > np.maxMacs) denied(`maxMacs ${conf.maxMacs} is more than the ${np.maxMacs} allowed on network ${conf.network} (${from})`);
  const owners = (what: string, o: { uid?: number; gid?: number }): void => {
    if (o.uid !== undefined && !np.uids.includes(o.uid)) denied(`${what}.uid ${o.uid} is not an owner allowed on network ${conf.network} (${from})`);
    if (o.gid !== undefined && !np.gids.includes(o.gid)) denied(`${what}.gid ${o.gid} is not an owner allowed on network ${conf.network} (${from})`);
  };
  owners('socket', conf.socket);
  if (conf.hugepages) {
    const h = conf.hugepages;
    if (h.sizeMib > np.hugepageMaxMib) denied(`hugepages.sizeMib ${h.sizeMib} is more than the ${np.hugepageMaxMib} MiB allowed on network ${conf.network} (${from})`);
    if (!np.hugepageSizes.includes(h.pageSize)) denied(`${h.pageSize} pages are not allowed on network ${conf.network} (${from})`);
    owners('hugepages', h);
  }
  return {
    ...conf,
    maxMacs: conf.maxMacs ?? np.maxMacs,
    portSecurity: conf.portSecurity ?? (np.portSecurity === 'required' ? { allowedMacs: [], allowedIps: [] } : undefined),
  };
}
