// SPDX-License-Identifier: Apache-2.0
// Two "nodes" on one machine for the overlay tests and bench: a network
// namespace each, joined by a veth pair that is each node's uplink, and a
// fastpathd in each (own run directory, file prefix and gRPC socket; their
// worker lcores share CPU 1). Node A's uplink uses AF_XDP where this kernel
// has it, node B's AF_PACKET: both drivers run, and B's side stays visible
// to the kernel, where tcpdump captures what crosses the wire.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Daemon } from './daemon.js';
import { until } from './fixture.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FPCTL = join(ROOT, 'src', 'cli', 'fpctl.mjs');

export interface OverlayNode {
  name: 'a' | 'b';
  netns: string;
  iface: string;
  address: string;
  driver: 'af_xdp' | 'af_packet';
  mac: string;
  daemon: Daemon;
}

/** Whether this kernel has AF_XDP sockets. */
export function kernelHasXdp(): boolean {
  return readFileSync('/proc/net/protocols', 'utf8').split('\n').some((l) => l.split(/\s+/)[0] === 'XDP');
}

const ip = (...args: string[]): void => {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
};

/** Namespaces and the veth between them (any left from a crashed run go first). */
export function makeUnderlay(tag: string, mtu = 1500): { a: { netns: string; iface: string; mac: string }; b: { netns: string; iface: string; mac: string } } {
  const a = { netns: `fp-${tag}-a`, iface: `${tag}-a`, mac: '02:0e:00:00:00:0a' };
  const b = { netns: `fp-${tag}-b`, iface: `${tag}-b`, mac: '02:0e:00:00:00:0b' };
  removeUnderlay(tag);
  ip('netns', 'add', a.netns);
  ip('netns', 'add', b.netns);
  ip('link', 'add', a.iface, 'address', a.mac, 'netns', a.netns, 'type', 'veth', 'peer', 'name', b.iface, 'address', b.mac, 'netns', b.netns);
  for (const n of [a, b]) {
    ip('-n', n.netns, 'link', 'set', 'lo', 'up');
    ip('-n', n.netns, 'link', 'set', n.iface, 'mtu', String(mtu), 'up');
  }
  return { a, b };
}

export function removeUnderlay(tag: string): void {
  for (const s of ['a', 'b']) spawnSync('ip', ['netns', 'del', `fp-${tag}-${s}`], { stdio: 'ignore' });
}

export interface FpctlResult { code: number | null; stdout: string; stderr: string }

/** The real CLI against one node's daemon. */
export function fpctl(d: Daemon, ...args: string[]): Promise<FpctlResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [FPCTL, '--endpoint', `unix://${d.paths.grpcSocket}`, ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    p.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function fpctlOk(d: Daemon, ...args: string[]): Promise<string> {
  const r = await fpctl(d, ...args);
  if (r.code !== 0) throw new Error(`fpctl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

export async function fpctlJson<T>(d: Daemon, ...args: string[]): Promise<T> {
  return JSON.parse(await fpctlOk(d, ...args, '--json')) as T;
}

export const NODE_ADDRESSES = ['10.77.0.1', '10.77.0.2'] as const;

/** Both daemons up, each with its uplink (drivers: A's and B's; by
 * default AF_XDP on A where the kernel has it, AF_PACKET on B). */
export async function startNodes(tag: string, o: { mtu?: number; drivers?: { a: OverlayNode['driver']; b: OverlayNode['driver'] } } = {}): Promise<{ a: OverlayNode; b: OverlayNode }> {
  const u = makeUnderlay(tag, o.mtu);
  const addresses = NODE_ADDRESSES;
  const drivers = o.drivers ?? { a: kernelHasXdp() ? 'af_xdp' : 'af_packet', b: 'af_packet' } as const;
  const nodes = {} as { a: OverlayNode; b: OverlayNode };
  try {
    for (const [i, name] of (['a', 'b'] as const).entries()) {
      const paths = { ...Daemon.fresh(`${tag}-${name}`), netns: u[name].netns };
      const daemon = await Daemon.start(paths);
      nodes[name] = { name, netns: u[name].netns, iface: u[name].iface, address: addresses[i]!, driver: drivers[name], mac: u[name].mac, daemon };
    }
    for (const n of [nodes.a, nodes.b]) {
      await fpctlOk(n.daemon, 'uplink', 'add', n.iface, '--driver', n.driver, '--address', `${n.address}/24`);
    }
  } catch (e) {
    for (const n of [nodes.a, nodes.b]) await n?.daemon.dispose().catch(() => undefined);
    removeUnderlay(tag);
    throw e;
  }
  return nodes;
}

export interface UplinkJson {
  name: string;
  driver: string;
  status: { linkUp: boolean; neighbours: Array<{ ip: string; mac: string; resolved: boolean }>; drops: Record<string, string | number> };
}

/** Poll until the node's uplink resolved peer's address to peerMac. */
export async function waitNeighbour(n: OverlayNode, peer: string, peerMac: string, timeoutMs = 15_000): Promise<void> {
  await until(
    async () => fpctlJson<{ uplinks: UplinkJson[] }>(n.daemon, 'uplink', 'list'),
    (r) => r.uplinks.some((u) => u.status.neighbours.some((x) => x.ip === peer && x.resolved && x.mac === peerMac)),
    `node ${n.name} to resolve ${peer}`, timeoutMs,
  );
}

/** tcpdump on a node's uplink (in its namespace), written as pcap. */
export class Capture {
  private readonly proc: ChildProcess;
  private err = '';

  constructor(readonly node: OverlayNode, readonly file: string) {
    this.proc = spawn('ip', ['netns', 'exec', node.netns, 'tcpdump', '-i', node.iface, '-n', '-U', '--immediate-mode', '-s', '2048', '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc.stderr!.on('data', (b: Buffer) => { this.err += b.toString(); });
  }

  /** Resolves once tcpdump says it is listening. */
  async ready(): Promise<void> {
    await until(async () => this.err, (s) => /listening on/.test(s), `tcpdump on ${this.node.iface}`, 10_000);
  }

  async stop(): Promise<void> {
    const done = new Promise<void>((r) => this.proc.once('close', () => r()));
    this.proc.kill('SIGINT');
    await done;
  }
}

/** The fields of a VXLAN frame a test checks, from our own parser (not the switch's). */
export interface VxlanFrame {
  outerDst: string;
  outerSrc: string;
  ipSrc: string;
  ipDst: string;
  ttl: number;
  df: boolean;
  ipChecksumOk: boolean;
  ipTotalLenOk: boolean;
  udpSrc: number;
  udpDst: number;
  udpLenOk: boolean;
  udpChecksum: number;
  flags: number;
  vni: number;
  inner: Buffer;
}

const macStr = (b: Buffer, at: number): string => [...b.subarray(at, at + 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
const ipStr = (b: Buffer, at: number): string => [...b.subarray(at, at + 4)].join('.');

function ipv4Checksum(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < h.length; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return (~sum) & 0xffff;
}

/** A UDP/4789 frame as VXLAN; undefined for any other frame (ARP...). */
export function parseVxlan(f: Buffer): VxlanFrame | undefined {
  if (f.length < 14 + 20 + 8 + 8 || f.readUInt16BE(12) !== 0x0800) return undefined;
  const ihl = (f[14]! & 0x0f) * 4;
  if (f[14 + 9] !== 17) return undefined;
  const udp = 14 + ihl;
  if (f.readUInt16BE(udp + 2) !== 4789) return undefined;
  const totalLen = f.readUInt16BE(16);
  const udpLen = f.readUInt16BE(udp + 4);
  const vx = udp + 8;
  return {
    outerDst: macStr(f, 0), outerSrc: macStr(f, 6), ipSrc: ipStr(f, 26), ipDst: ipStr(f, 30),
    ttl: f[14 + 8]!, df: (f.readUInt16BE(20) & 0x4000) !== 0,
    ipChecksumOk: ipv4Checksum(f.subarray(14, 14 + ihl)) === 0,
    ipTotalLenOk: 14 + totalLen === f.length && totalLen === ihl + udpLen,
    udpSrc: f.readUInt16BE(udp), udpDst: 4789, udpLenOk: udpLen === f.length - udp, udpChecksum: f.readUInt16BE(udp + 6),
    flags: f[vx]!, vni: f.readUIntBE(vx + 4, 3), inner: f.subarray(vx + 8),
  };
}
