// SPDX-License-Identifier: Apache-2.0
// The node's plugin policy: a root-owned file (/etc/fastpath/cni.json) that
// alone names host paths (kubelet root, pod volume, state, device-info and
// attach directories), fastpathd's endpoint, and what a network
// configuration may ask for on each fastpath network. A network
// configuration is written by whoever may write a
// NetworkAttachmentDefinition; the policy by whoever is root on the node.
// Absent, safe defaults: only network "default", untagged, root-owned
// sockets, at most 4 queues and 1 GiB of 2 MiB pages per attachment.
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';

import { inRange, RANGES, rangeText, type Range } from '../dataplane/limits.js';
import { CNI_ERR, CniError } from './errors.js';

export const DEFAULT_POLICY_FILE = '/etc/fastpath/cni.json';
/** Set by whoever starts the plugin (the runtime: root); tests use it. */
export const POLICY_ENV = 'FASTPATH_CNI_POLICY';

export type PageSize = '2M' | '1G';

export interface NetworkPolicy {
  /** Kubernetes namespaces whose pods may join; undefined: any caller. */
  namespaces?: string[];
  /** Allowed VLAN ids as inclusive ranges. */
  vlans: Array<[number, number]>;
  maxQueues: number;
  /** Socket and hugepage-mount owners a configuration may name. */
  uids: number[];
  gids: number[];
  hugepageMaxMib: number;
  hugepageSizes: PageSize[];
  maxMacs: number;
  /** "required": every attachment gets port security, asked or not. */
  portSecurity: 'required' | 'optional';
  modes: Array<'server' | 'client'>;
}

export interface Policy {
  /** The file it came from (undefined: defaults). */
  file?: string;
  endpoint: string;
  kubeletRoot: string;
  /** The pod's emptyDir volume ADD binds the port directory into. */
  podVolume: string;
  /** Without Kubernetes: <hostAttachDir>/<container name>/<ifname>. */
  hostAttachDir: string;
  stateDir: string;
  deviceInfoDir: string;
  timeoutMs: number;
  networks: Record<string, NetworkPolicy>;
}

export const DEFAULT_NETWORK_POLICY: NetworkPolicy = {
  vlans: [[0, 0]], maxQueues: 4, uids: [0], gids: [0], hugepageMaxMib: 1024, hugepageSizes: ['2M'],
  maxMacs: 64, portSecurity: 'optional', modes: ['server', 'client'],
};

export const DEFAULT_POLICY: Policy = {
  endpoint: 'unix:///run/fastpath/fastpath.sock',
  kubeletRoot: '/var/lib/kubelet',
  podVolume: 'fastpath',
  hostAttachDir: '/run/fastpath/attach',
  stateDir: '/var/lib/cni/fastpath',
  deviceInfoDir: '/var/run/k8s.cni.cncf.io/devinfo/cni',
  timeoutMs: 30_000,
  networks: { default: DEFAULT_NETWORK_POLICY },
};

/** A plain file or directory name: no separators, no dot names, no NUL. */
export const PLAIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;
export const K8S_NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class PolicyReader {
  constructor(private readonly file: string) {}

  fail(msg: string): never {
    throw new CniError(CNI_ERR.policyUnusable, `plugin policy ${this.file}: ${msg}`);
  }

  known(o: Obj, keys: string[], where: string): void {
    const extra = Object.keys(o).filter((k) => !keys.includes(k));
    if (extra.length > 0) this.fail(`unknown key${extra.length > 1 ? 's' : ''} ${extra.join(', ')} in ${where} (known: ${keys.join(', ')})`);
  }

  path(v: unknown, dflt: string, what: string): string {
    if (v === undefined) return dflt;
    if (typeof v !== 'string' || !isAbsolute(v) || v.length > 1024 || v.split('/').some((c) => c === '..' || c === '.')) {
      this.fail(`${what} must be an absolute path without . or .. components`);
    }
    return v.replace(/\/+$/, '') || '/';
  }

  name(v: unknown, dflt: string, what: string): string {
    if (v === undefined) return dflt;
    if (typeof v !== 'string' || !PLAIN_NAME.test(v)) this.fail(`${what} must be a plain name ([A-Za-z0-9_.-], not starting with . or -)`);
    return v;
  }

  int(v: unknown, dflt: number, range: Range, what: string): number {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !inRange(range, v)) this.fail(`${what} must be an integer in ${rangeText(range)}`);
    return v;
  }

  ids(v: unknown, dflt: number[], what: string): number[] {
    if (v === undefined) return dflt;
    if (!Array.isArray(v) || v.length > 1024 || !v.every((x) => typeof x === 'number' && inRange(RANGES.id, x))) {
      this.fail(`${what} must be a list of ids in ${rangeText(RANGES.id)}`);
    }
    return v as number[];
  }

  oneOf<T extends string>(v: unknown, choices: readonly T[], dflt: T[], what: string): T[] {
    if (v === undefined) return dflt;
    if (!Array.isArray(v) || !v.every((x) => choices.includes(x as T))) this.fail(`${what} must be a list of ${choices.join(', ')}`);
    return v as T[];
  }

  vlans(v: unknown): Array<[number, number]> {
    if (v === undefined) return DEFAULT_NETWORK_POLICY.vlans;
    if (!Array.isArray(v) || v.length > 4095) this.fail('vlans must be a list of VLAN ids or "lo-hi" ranges');
    return (v as unknown[]).map((x) => {
      const m = typeof x === 'string' ? /^(\d{1,4})-(\d{1,4})$/.exec(x) : null;
      const [lo, hi] = typeof x === 'number' ? [x, x] : m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
      if (!inRange(RANGES.vlan, lo) || !inRange(RANGES.vlan, hi) || lo > hi) this.fail(`vlans: ${JSON.stringify(x)} is not a VLAN id or range in ${rangeText(RANGES.vlan)}`);
      return [lo, hi] as [number, number];
    });
  }

  network(v: unknown, where: string): NetworkPolicy {
    if (!isObj(v)) this.fail(`${where} must be an object`);
    const o = v as Obj;
    this.known(o, ['namespaces', 'vlans', 'maxQueues', 'uids', 'gids', 'hugepageMaxMib', 'hugepageSizes', 'maxMacs', 'portSecurity', 'modes'], where);
    let namespaces: string[] | undefined;
    if (o.namespaces !== undefined) {
      if (!Array.isArray(o.namespaces) || !o.namespaces.every((n) => typeof n === 'string' && K8S_NAMESPACE.test(n))) {
        this.fail(`${where}.namespaces must be a list of Kubernetes namespace names`);
      }
      namespaces = o.namespaces as string[];
    }
    const d = DEFAULT_NETWORK_POLICY;
    const ps = o.portSecurity ?? d.portSecurity;
    if (ps !== 'required' && ps !== 'optional') this.fail(`${where}.portSecurity must be "required" or "optional"`);
    return {
      namespaces,
      vlans: this.vlans(o.vlans),
      maxQueues: this.int(o.maxQueues, d.maxQueues, RANGES.queues, `${where}.maxQueues`),
      uids: this.ids(o.uids, d.uids, `${where}.uids`),
      gids: this.ids(o.gids, d.gids, `${where}.gids`),
      hugepageMaxMib: this.int(o.hugepageMaxMib, d.hugepageMaxMib, { ...RANGES.hugepageMib, lo: 0 }, `${where}.hugepageMaxMib`),
      hugepageSizes: this.oneOf(o.hugepageSizes, ['2M', '1G'] as const, d.hugepageSizes, `${where}.hugepageSizes`),
      maxMacs: this.int(o.maxMacs, d.maxMacs, RANGES.maxMacs, `${where}.maxMacs`),
      portSecurity: ps,
      modes: this.oneOf(o.modes, ['server', 'client'] as const, d.modes, `${where}.modes`),
    };
  }

  policy(text: string): Policy {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      this.fail(`not JSON (${(e as Error).message})`);
    }
    if (!isObj(raw)) this.fail('must be a JSON object');
    const o = raw as Obj;
    this.known(o, ['endpoint', 'kubeletRoot', 'podVolume', 'hostAttachDir', 'stateDir', 'deviceInfoDir', 'timeoutSeconds', 'networks'], 'the policy');
    const d = DEFAULT_POLICY;
    if (o.endpoint !== undefined && (typeof o.endpoint !== 'string' || !/^unix:\/\/\/[^\0]{1,200}$/.test(o.endpoint))) {
      this.fail('endpoint must be unix:///<absolute path>');
    }
    let networks = d.networks;
    if (o.networks !== undefined) {
      if (!isObj(o.networks)) this.fail('networks must be an object keyed by fastpath network name');
      networks = {};
      for (const [name, n] of Object.entries(o.networks as Obj)) networks[name] = this.network(n, `networks.${name}`);
    }
    return {
      file: this.file,
      endpoint: (o.endpoint as string | undefined) ?? d.endpoint,
      kubeletRoot: this.path(o.kubeletRoot, d.kubeletRoot, 'kubeletRoot'),
      podVolume: this.name(o.podVolume, d.podVolume, 'podVolume'),
      hostAttachDir: this.path(o.hostAttachDir, d.hostAttachDir, 'hostAttachDir'),
      stateDir: this.path(o.stateDir, d.stateDir, 'stateDir'),
      deviceInfoDir: this.path(o.deviceInfoDir, d.deviceInfoDir, 'deviceInfoDir'),
      timeoutMs: this.int(o.timeoutSeconds, d.timeoutMs / 1000, { what: 'timeoutSeconds', lo: 1, hi: 600 }, 'timeoutSeconds') * 1000,
      networks,
    };
  }
}

/**
 * Only root may have written the policy: the file and every directory
 * above it are root-owned and writable by no one else (a group- or
 * world-writable directory on the way would let anyone swap the file).
 */
function checkOwnership(file: string, r: PolicyReader): void {
  let real: string;
  try {
    real = realpathSync(file);
  } catch (e) {
    r.fail((e as Error).message);
  }
  for (let p = dirname(real!); ; p = dirname(p)) {
    const st = lstatSync(p);
    if (st.uid !== 0 || (st.mode & 0o022) !== 0) r.fail(`directory ${p} must be owned by root and writable by no one else`);
    if (p === '/') break;
  }
}

export function loadPolicy(file = process.env[POLICY_ENV] || DEFAULT_POLICY_FILE): Policy {
  const r = new PolicyReader(file);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_POLICY;
    r.fail((e as NodeJS.ErrnoException).code === 'ELOOP' ? 'is a symbolic link' : (e as Error).message);
  }
  try {
    const st = fstatSync(fd!);
    if (!st.isFile()) r.fail('is not a regular file');
    if (st.uid !== 0 || (st.mode & 0o022) !== 0) r.fail('must be owned by root and writable by no one else');
    if (st.size > 1 << 20) r.fail('is larger than 1 MiB');
    checkOwnership(file, r);
    return r.policy(readFileSync(fd!, 'utf8'));
  } finally {
    closeSync(fd!);
  }
}

/** The policy in text (the file's ownership is loadPolicy's to check). */
export function parsePolicy(text: string, file: string): Policy {
  return new PolicyReader(file).policy(text);
}
