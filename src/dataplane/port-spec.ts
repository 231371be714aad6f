// SPDX-License-Identifier: Apache-2.0
// Port specification: validation (pure) and the socket directory on disk.
import { createConnection } from 'node:net';
import { lstat, mkdir, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';

import { intIn, RANGES } from './limits.js';
import { DataplaneError, fromNative } from './errors.js';
import { loadAddon } from './native.js';

export const SUN_PATH_MAX = 107; // bytes, without the NUL
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
export const MAX_QUEUES = RANGES.queues.hi;

export type PortMode = 'server' | 'client';

/** vhost-user (virtio_user guests) or memif (TRex, memif CNFs). */
export type PortType = 'vhost-user' | 'memif';

export interface PortSpec {
  name: string;
  network: string;
  type?: PortType;
  /** server: the switch owns the socket; client: the container serves it. */
  mode?: PortMode;
  /** memif: log2 of the ring size (default 10) and buffer size (default 2048). */
  memifRingLog2?: number;
  memifBufferSize?: number;
  queues?: number;
  /** 0 = trunk (tags pass), 1..4094 = access port of that VLAN. */
  vlan?: number;
  /** Default `<socketRoot>/<name>/sock`. Must be below socketRoot. */
  socketPath?: string;
  dirMode?: number;
  socketMode?: number;
  uid?: number;
  gid?: number;
  /** Learned source MACs the port may have (0: no limit; default 64). */
  macLimit?: number;
  /** Port security: frames from other source MACs, or claiming other
   * addresses in ARP/ND (when ip4/ip6 are given), are dropped. */
  security?: PortSecurityBytes;
  /** Rx queues pinned to worker lcores (queue -> lcore), as OVS's
   * pmd-rxq-affinity; queues not named are placed by load. */
  rxqAffinity?: Record<number, number>;
}

export interface PortSecurityBytes {
  macs: Uint8Array[];
  ip4: Uint8Array[];
  ip6: Uint8Array[];
}

export interface ResolvedPort {
  name: string;
  network: string;
  type: PortType;
  mode: PortMode;
  memifRingLog2: number;
  memifBufferSize: number;
  queues: number;
  vlan: number;
  socketPath: string;
  dir: string;
  dirMode: number;
  socketMode: number;
  uid: number | undefined;
  gid: number | undefined;
  macLimit: number;
  security: PortSecurityBytes | undefined;
  rxqAffinity: Record<number, number>;
}

export function validateName(kind: string, name: unknown): string {
  if (typeof name !== 'string' || !NAME_RE.test(name) || name.includes('..')) {
    throw new DataplaneError(
      'EINVAL',
      `${kind} name must be 1-63 characters of letters, digits, '_', '.', '-', start with a letter or digit, and not contain '..'; got ${JSON.stringify(name)}`,
    );
  }
  return name;
}


/** Pure validation: everything that can be checked without the disk. */
export function resolvePortSpec(spec: PortSpec, socketRoot: string): ResolvedPort {
  const name = validateName('port', spec.name);
  const network = validateName('network', spec.network);
  const mode = spec.mode ?? 'server';
  if (mode !== 'server' && mode !== 'client') {
    throw new DataplaneError('EINVAL', `mode must be 'server' or 'client', got ${JSON.stringify(mode)}`);
  }
  const type = spec.type ?? 'vhost-user';
  if (type !== 'vhost-user' && type !== 'memif') {
    throw new DataplaneError('EINVAL', `type must be 'vhost-user' or 'memif', got ${JSON.stringify(type)}`);
  }
  if (type === 'memif' && mode !== 'server') {
    throw new DataplaneError('EINVAL', 'a memif port is a memif server (role=server): mode must be server');
  }
  const root = resolve(socketRoot);
  const socketPath = spec.socketPath ?? join(root, name, 'sock');
  if (!isAbsolute(socketPath) || resolve(socketPath) !== socketPath) {
    throw new DataplaneError('EINVAL', `socket path must be absolute and normalised: ${socketPath}`);
  }
  const dir = dirname(socketPath);
  if (!dir.startsWith(root + sep)) {
    throw new DataplaneError('EINVAL', `socket path ${socketPath} is outside the socket root ${root}`);
  }
  const bytes = Buffer.byteLength(socketPath);
  if (bytes > SUN_PATH_MAX) {
    throw new DataplaneError(
      'ENAMETOOLONG',
      `socket path is ${bytes} bytes, over the ${SUN_PATH_MAX}-byte limit of a unix socket: ${socketPath}`,
    );
  }
  return {
    name,
    network,
    type,
    mode,
    memifRingLog2: intIn(RANGES.memifRingLog2, spec.memifRingLog2, 10),
    memifBufferSize: intIn(RANGES.memifBufferSize, spec.memifBufferSize, 2048),
    queues: intIn(RANGES.queues, spec.queues, 1),
    vlan: intIn(RANGES.vlan, spec.vlan, 0),
    socketPath,
    dir,
    dirMode: intIn(RANGES.dirMode, spec.dirMode, 0o750),
    socketMode: intIn(RANGES.socketMode, spec.socketMode, 0o660),
    uid: spec.uid === undefined ? undefined : intIn(RANGES.id, spec.uid, 0),
    gid: spec.gid === undefined ? undefined : intIn(RANGES.id, spec.gid, 0),
    macLimit: intIn({ ...RANGES.maxMacs, lo: 0 }, spec.macLimit, 64),
    security: spec.security ? checkSecurity(spec.security) : undefined,
    rxqAffinity: checkAffinity(spec.rxqAffinity ?? {}, intIn(RANGES.queues, spec.queues, 1)),
  };
}

/** queue -> worker lcore, for queues the port has. Whether each lcore is a
 * worker is the running data plane's to say. */
export function checkAffinity(a: Record<number, number>, queues: number): Record<number, number> {
  const out: Record<number, number> = {};
  for (const [k, v] of Object.entries(a)) {
    const q = intIn({ ...RANGES.queues, lo: 0, hi: queues - 1, what: `rx queue (the port has ${queues})` }, Number(k), 0);
    out[q] = intIn(RANGES.lcore, v, 0);
  }
  return out;
}

/** The addon's form: lcore per queue, -1 where the queue is placed by load. */
export function affinityArray(a: Record<number, number>, queues: number): number[] {
  return Array.from({ length: queues }, (_, q) => a[q] ?? -1);
}

/** The data plane's limits (FP_PSEC_MAX_*): 1..8 MACs, 8 addresses per family. */
function checkSecurity(s: PortSecurityBytes): PortSecurityBytes {
  const ok = (list: Uint8Array[], len: number, min: number): boolean =>
    list.length >= min && list.length <= 8 && list.every((b) => b.length === len);
  if (!ok(s.macs, 6, 1) || !ok(s.ip4, 4, 0) || !ok(s.ip6, 16, 0)) {
    throw new DataplaneError('EINVAL', 'port security: 1..8 MACs (6 bytes) and at most 8 IPv4 (4 bytes) and 8 IPv6 (16 bytes) addresses');
  }
  return s;
}

async function isLiveSocket(path: string): Promise<boolean> {
  return new Promise((done) => {
    const c = createConnection(path);
    c.once('connect', () => { c.destroy(); done(true); });
    c.once('error', () => done(false));
  });
}

/**
 * Create the port's own directory (mode/owner as asked) and clear a stale
 * socket left by a crash. Refuses a directory that resolves outside root
 * (symlinks) or a socket somebody is still listening on.
 */
export async function preparePortDir(p: ResolvedPort, socketRoot: string): Promise<void> {
  await mkdir(p.dir, { recursive: true, mode: p.dirMode });
  const realRoot = await realpath(socketRoot);
  const realDir = await realpath(p.dir);
  if (!realDir.startsWith(realRoot + sep)) {
    throw new DataplaneError('EINVAL', `port directory ${p.dir} resolves outside the socket root (${realDir})`);
  }
  await loadAddon().setAccess(dirname(p.dir), basename(p.dir), 'dir', p.dirMode, p.uid ?? -1, p.gid ?? -1).catch(rethrow);
  if (p.mode === 'server') {
    const st = await lstat(p.socketPath).catch(() => undefined);
    if (st?.isSocket() && await isLiveSocket(p.socketPath)) {
      throw new DataplaneError('EADDRINUSE', `${p.socketPath} is in use by another process`);
    }
    // A stale socket, or whatever the tenant put in its place (a link, a
    // file, a tree): removed without following anything.
    if (st) await loadAddon().removeTree(p.dir, basename(p.socketPath), PORT_DIR_MAX_ENTRIES).catch(rethrow);
  }
}

/**
 * After the switch created a server socket: apply mode and owner. The
 * directory is the tenant's: by now the name may be a link to any file on
 * the host, so this never follows one (fp_os_set_access).
 */
export async function finishServerSocket(p: ResolvedPort): Promise<void> {
  await loadAddon().setAccess(p.dir, basename(p.socketPath), 'socket', p.socketMode, p.uid ?? -1, p.gid ?? -1).catch(rethrow);
}

/** Entries a port directory may hold for its removal to finish. */
export const PORT_DIR_MAX_ENTRIES = 10_000;

/**
 * Remove the port's directory with whatever is in it: the port is gone, and a
 * client-mode socket left by the container would only be stale (a container
 * still listening keeps its file descriptor). What the tenant put there is
 * removed without following a link or entering another file system.
 */
export async function cleanupPortDir(p: ResolvedPort): Promise<void> {
  await loadAddon().removeTree(dirname(p.dir), basename(p.dir), PORT_DIR_MAX_ENTRIES).catch(rethrow);
}

function rethrow(e: unknown): never {
  throw fromNative(e);
}
