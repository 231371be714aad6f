// SPDX-License-Identifier: Apache-2.0
// The plugin's input: CNI_* environment variables and the network
// configuration on stdin, validated into one typed request.
import { CNI_ERR, CniError } from './errors.js';

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
  /** fastpathd's gRPC endpoint. */
  endpoint: string;
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
  /** Learned source MACs the port may have (default 64). */
  maxMacs: number;
  /** A per-port hugepage reservation, when asked for. */
  hugepages?: { sizeMib: number; uid?: number; gid?: number; mode: number };
  /** Kubernetes: the pod's emptyDir volume the port directory is bound into. */
  podVolume: string;
  /** Where the pod mounts that volume (for the device-info path). */
  podMountPath: string;
  kubeletRoot: string;
  /** What ADD did, per attachment, for DEL/CHECK/GC to undo or verify. */
  stateDir: string;
  deviceInfoDir: string;
  timeoutMs: number;
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

export function parseEnv(env: NodeJS.ProcessEnv): CniEnv {
  const command = env.CNI_COMMAND ?? '';
  if (!COMMANDS.includes(command)) throw new CniError(CNI_ERR.invalidEnv, `CNI_COMMAND '${command}' is not one of ${COMMANDS.join(', ')}`);
  const args: Record<string, string> = {};
  for (const kv of (env.CNI_ARGS ?? '').split(';')) {
    const at = kv.indexOf('=');
    if (at > 0) args[kv.slice(0, at)] = kv.slice(at + 1);
  }
  const e: CniEnv = { command: command as CniCommand, containerId: env.CNI_CONTAINERID ?? '', netns: env.CNI_NETNS ?? '', ifname: env.CNI_IFNAME ?? '', args };
  const need = command === 'ADD' ? ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'] : command === 'DEL' || command === 'CHECK' ? ['CNI_CONTAINERID', 'CNI_IFNAME'] : [];
  const missing = need.filter((k) => !env[k]);
  if (missing.length > 0) throw new CniError(CNI_ERR.invalidEnv, `missing ${missing.join(', ')}`);
  if (e.ifname && !/^[A-Za-z0-9_.-]{1,15}$/.test(e.ifname)) throw new CniError(CNI_ERR.invalidEnv, `CNI_IFNAME '${e.ifname}' is not a valid interface name`);
  return e;
}

function mode(v: unknown, dflt: number, what: string): number {
  if (v === undefined) return dflt;
  // "0660" (a string, as people write modes) or 432 (a JSON number).
  const n = typeof v === 'string' && /^0?[0-7]{3,4}$/.test(v) ? parseInt(v, 8) : typeof v === 'number' ? v : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 0o7777) throw new CniError(CNI_ERR.invalidConfig, `${what} must be an octal mode such as "0660"`);
  return n;
}

function id(v: unknown, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new CniError(CNI_ERR.invalidConfig, `${what} must be a non-negative integer`);
  return v;
}

function str(v: unknown, dflt: string, what: string): string {
  if (v === undefined) return dflt;
  if (typeof v !== 'string') throw new CniError(CNI_ERR.invalidConfig, `${what} must be a string`);
  return v;
}

function int(v: unknown, dflt: number, what: string, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new CniError(CNI_ERR.invalidConfig, `${what} must be an integer in ${min}..${max}`);
  return v;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function strings(v: unknown, what: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > 16 || !v.every((x) => typeof x === 'string' && x.length <= 64)) {
    throw new CniError(CNI_ERR.invalidConfig, `${what} must be a list of at most 16 strings`);
  }
  return v as string[];
}

/** true, or {allowedMacs, allowedIps}; the daemon checks each address. */
function portSecurity(v: unknown): { allowedMacs: string[]; allowedIps: string[] } {
  if (v === true) return { allowedMacs: [], allowedIps: [] };
  if (!isObj(v)) throw new CniError(CNI_ERR.invalidConfig, 'portSecurity must be true or {"allowedMacs": [...], "allowedIps": [...]}');
  return { allowedMacs: strings(v.allowedMacs, 'portSecurity.allowedMacs'), allowedIps: strings(v.allowedIps, 'portSecurity.allowedIps') };
}

export function parseConf(stdin: string, command: CniCommand): NetConf {
  let raw: unknown;
  try {
    raw = JSON.parse(stdin);
  } catch (e) {
    throw new CniError(CNI_ERR.decode, 'network configuration on stdin is not JSON', (e as Error).message);
  }
  if (!isObj(raw)) throw new CniError(CNI_ERR.decode, 'network configuration must be a JSON object');
  const cniVersion = str(raw.cniVersion, '', 'cniVersion');
  if (command !== 'VERSION' && !SUPPORTED_VERSIONS.includes(cniVersion)) {
    throw new CniError(CNI_ERR.incompatibleVersion, `cniVersion '${cniVersion}' is not supported (supported: ${SUPPORTED_VERSIONS.join(', ')})`);
  }
  const name = str(raw.name, '', 'name');
  if (command !== 'VERSION' && !name) throw new CniError(CNI_ERR.invalidConfig, 'name is required');
  const m = str(raw.mode, 'server', 'mode');
  if (m !== 'server' && m !== 'client') throw new CniError(CNI_ERR.invalidConfig, 'mode must be "server" or "client"');
  const sock = isObj(raw.socket) ? raw.socket : {};
  const hp = raw.hugepages;
  if (hp !== undefined && !isObj(hp)) throw new CniError(CNI_ERR.invalidConfig, 'hugepages must be an object');
  const rc = isObj(raw.runtimeConfig) ? raw.runtimeConfig : {};
  const valid = raw['cni.dev/valid-attachments'];
  if (valid !== undefined && !Array.isArray(valid)) throw new CniError(CNI_ERR.invalidConfig, 'cni.dev/valid-attachments must be a list');
  return {
    cniVersion,
    name,
    endpoint: str(raw.endpoint, 'unix:///run/fastpath/fastpath.sock', 'endpoint'),
    network: str(raw.network, 'default', 'network'),
    mode: m,
    queues: int(raw.queues, 1, 'queues', 1, 64),
    vlan: int(raw.vlan, 0, 'vlan', 0, 4094),
    socket: { uid: id(sock.uid, 'socket.uid'), gid: id(sock.gid, 'socket.gid'), mode: mode(sock.mode, 0o660, 'socket.mode'), dirMode: mode(sock.dirMode, 0o750, 'socket.dirMode') },
    portSecurity: raw.portSecurity === undefined ? undefined : portSecurity(raw.portSecurity),
    maxMacs: int(raw.maxMacs, 64, 'maxMacs', 1, 65536),
    hugepages: hp === undefined ? undefined : {
      sizeMib: int(hp.sizeMib, 0, 'hugepages.sizeMib', 2, 1 << 20),
      uid: id(hp.uid, 'hugepages.uid'), gid: id(hp.gid, 'hugepages.gid'), mode: mode(hp.mode, 0o770, 'hugepages.mode'),
    },
    podVolume: str(raw.podVolume, 'fastpath', 'podVolume'),
    podMountPath: str(raw.podMountPath, '/run/fastpath', 'podMountPath'),
    kubeletRoot: str(raw.kubeletRoot, '/var/lib/kubelet', 'kubeletRoot'),
    stateDir: str(raw.stateDir, '/var/lib/cni/fastpath', 'stateDir'),
    deviceInfoDir: str(raw.deviceInfoDir, '/var/run/k8s.cni.cncf.io/devinfo/cni', 'deviceInfoDir'),
    timeoutMs: int(raw.timeoutSeconds, 30, 'timeoutSeconds', 1, 600) * 1000,
    runtimeConfig: {
      CNIDeviceInfoFile: typeof rc.CNIDeviceInfoFile === 'string' ? rc.CNIDeviceInfoFile : undefined,
      mac: typeof rc.mac === 'string' ? rc.mac : undefined,
    },
    prevResult: isObj(raw.prevResult) ? (raw.prevResult as unknown as CniResult) : undefined,
    validAttachments: valid?.filter(isObj).map((a) => ({ containerId: String(a.containerID ?? ''), ifname: String(a.ifname ?? '') })),
  };
}
