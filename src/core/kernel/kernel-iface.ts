// SPDX-License-Identifier: Apache-2.0
// The kernel side of a network's exception interface, configured with
// iproute2 and checked afterwards: optional move into a named network
// namespace, MTU, gateway addresses, link up. Every step is checked, and a
// failure says which one.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { promisify } from 'node:util';

import { exists, invalid, notFound } from '../errors.js';

const run = promisify(execFile);

export const IFNAMSIZ = 16; // including the NUL
const IFNAME_RE = /^[A-Za-z0-9_.-]+$/;

export interface KernelIfaceSpec {
  name: string;
  /** "10.77.0.1/24", "fd00:77::1/64". */
  addresses: string[];
  mtu: number;
  netns?: string;
}

export function defaultIfaceName(network: string): string {
  return `fp-${network}`;
}

export function validateIfaceName(name: string): string {
  if (name.length === 0 || name.length > IFNAMSIZ - 1 || !IFNAME_RE.test(name) || name === '.' || name === '..') {
    throw invalid(`kernel interface name must be 1..${IFNAMSIZ - 1} characters of [A-Za-z0-9_.-], got ${JSON.stringify(name)}`);
  }
  return name;
}

/** "10.77.0.1/24" (host address with prefix), canonical as given; throws INVALID_ARGUMENT. */
export function validateAddress(a: string): string {
  const [ip, len, extra] = a.trim().split('/');
  const fam = isIP(ip ?? '');
  const max = fam === 4 ? 32 : 128;
  if (fam === 0 || extra !== undefined || len === undefined || !/^\d{1,3}$/.test(len) || Number(len) > max || Number(len) === 0) {
    throw invalid(`gateway address must be an IPv4 or IPv6 address with a prefix length, like 10.77.0.1/24, got ${JSON.stringify(a)}`);
  }
  return `${ip!.toLowerCase()}/${Number(len)}`;
}

/** A name `ip netns` made: a plain file name below /run/netns. */
export function validateNetns(ns: string): string {
  if (!IFNAME_RE.test(ns) || ns.length > 64 || ns === '.' || ns === '..') {
    throw invalid(`network namespace name must be 1..64 characters of [A-Za-z0-9_.-], not . or .., got ${JSON.stringify(ns)}`);
  }
  return ns;
}

/** Refuse what would fail half-way: a name in use, a missing namespace. */
export async function checkCanCreate(name: string, netns?: string): Promise<void> {
  if (netns !== undefined && !existsSync(`/run/netns/${netns}`)) {
    throw notFound(`no network namespace named ${netns} (ip netns add ${netns})`);
  }
  if (existsSync(`/sys/class/net/${name}`)) throw exists(`a network interface named ${name} already exists`);
  if (netns !== undefined && (await ip(['-n', netns, 'link', 'show', 'dev', name]).then(() => true, () => false))) {
    throw exists(`a network interface named ${name} already exists in namespace ${netns}`);
  }
}

async function ip(args: string[]): Promise<string> {
  try {
    return (await run('ip', args, { timeout: 10_000 })).stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')}: ${(err.stderr ?? err.message).trim()}`);
  }
}

interface IpAddrJson {
  ifname: string;
  mtu: number;
  flags: string[];
  address?: string;
  addr_info?: Array<{ local: string; prefixlen: number }>;
  stats64?: { rx: { packets: number; bytes: number }; tx: { packets: number; bytes: number } };
}

/** Configure the interface (it exists: the data plane just made it), then check it. */
export async function configureKernelIface(spec: KernelIfaceSpec): Promise<void> {
  const ns = spec.netns !== undefined ? ['-n', spec.netns] : [];
  if (spec.netns !== undefined) await ip(['link', 'set', 'dev', spec.name, 'netns', spec.netns]);
  await ip([...ns, 'link', 'set', 'dev', spec.name, 'mtu', String(spec.mtu)]);
  for (const a of spec.addresses) {
    await ip([...ns, 'addr', 'add', a, 'dev', spec.name, ...(a.includes(':') ? ['nodad'] : [])]);
  }
  await ip([...ns, 'link', 'set', 'dev', spec.name, 'up']);
  const st = await kernelIfaceStatus(spec.name, spec.netns);
  const have = new Set((st.addresses));
  const missing = spec.addresses.filter((a) => !have.has(a));
  if (!st.up || st.mtu !== spec.mtu || missing.length > 0) {
    throw new Error(`${spec.name} is not as configured: up=${st.up} mtu=${st.mtu} (want ${spec.mtu}), missing ${missing.join(', ') || 'none'}`);
  }
}

export interface KernelIfaceStatus {
  up: boolean;
  mtu: number;
  mac: string;
  addresses: string[];
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
}

export async function kernelIfaceStatus(name: string, netns?: string): Promise<KernelIfaceStatus> {
  const ns = netns !== undefined ? ['-n', netns] : [];
  const [addr] = JSON.parse(await ip([...ns, '-j', 'addr', 'show', 'dev', name])) as IpAddrJson[];
  const [link] = JSON.parse(await ip([...ns, '-j', '-s', 'link', 'show', 'dev', name])) as IpAddrJson[];
  if (!addr || !link) throw new Error(`ip shows no interface ${name}`);
  return {
    up: addr.flags.includes('UP'),
    mtu: addr.mtu,
    mac: addr.address ?? '',
    addresses: (addr.addr_info ?? []).map((x) => `${x.local}/${x.prefixlen}`),
    rxPackets: link.stats64?.rx.packets ?? 0,
    txPackets: link.stats64?.tx.packets ?? 0,
    rxBytes: link.stats64?.rx.bytes ?? 0,
    txBytes: link.stats64?.tx.bytes ?? 0,
  };
}
