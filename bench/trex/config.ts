// SPDX-License-Identifier: Apache-2.0
// trex_cfg.yaml for TRex on two fastpath memif ports. Stock TRex refuses
// virtio_user but accepts net_memif vdevs in `interfaces`; fastpath is the
// memif server on each port's socket and TRex connects as the client, with
// the port's MAC, so TRex's port_info and the switch agree on addresses:
// port 0 sends from port 0's MAC to port 1's, and the other way round.
import { stringify } from 'yaml';

/** What the config needs of one fastpath port (from CreatePort's answer). */
export interface MemifPort {
  name: string;
  mac: string;
  /** The socket on the host (attach.socketPath): TRex runs on the host. */
  socketPath: string;
  /** The vdev string fastpathd returned for a container (attach.vdev). */
  vdev: string;
}

/**
 * Where TRex's threads run. TRex needs its master (which serves RPC) and
 * latency threads on two different CPUs, and at least one data-plane CPU
 * apart from both ("You don't have enough physical cores for this
 * configuration"; with master == latency the master never runs). A host
 * without that many spare CPUs runs everything on one CPU in TRex's
 * low_end mode, which is slow but starts.
 */
export type TrexThreads =
  | { kind: 'platform'; master: number; latency: number; workers: number[] }
  | { kind: 'low-end'; core: number };

export interface TrexCfgOptions {
  /** DPDK file prefix of TRex (must differ from fastpathd's). */
  prefix: string;
  /** MB of hugepages TRex may take. */
  limitMemoryMb: number;
  threads: TrexThreads;
}

/** fastpathd's defaults take CPU 0 (fp-ctl) and CPU 1 (its worker). */
const FASTPATH_CPUS = 2;

/**
 * The layout for a host with `cpus` CPUs: TRex's master, latency and one
 * data-plane thread on CPUs fastpathd does not use when there are five or
 * more; else low_end on CPU 0, where fp-ctl mostly sleeps.
 */
export function defaultThreads(cpus: number): TrexThreads {
  return cpus >= FASTPATH_CPUS + 3
    ? { kind: 'platform', master: FASTPATH_CPUS, latency: FASTPATH_CPUS + 1, workers: [FASTPATH_CPUS + 2] }
    : { kind: 'low-end', core: 0 };
}

/** A layout TRex accepts on a host with `cpus` CPUs, or a message saying why not. */
export function checkThreads(t: TrexThreads, cpus: number): TrexThreads {
  const all = t.kind === 'platform' ? [t.master, t.latency, ...t.workers] : [t.core];
  const off = all.find((c) => c >= cpus);
  if (off !== undefined) throw new Error(`TRex thread layout: CPU ${off} does not exist on this host (it has ${cpus}: 0..${cpus - 1})`);
  if (t.kind === 'low-end') return t;
  if (t.master === t.latency) {
    throw new Error(`TRex thread layout: master and latency share CPU ${t.master}; TRex's master (which serves RPC) would never run. ` +
      'Give them different CPUs, or use --trex-low-end on a small host');
  }
  if (t.workers.length === 0) throw new Error('TRex thread layout: TRex needs at least one data-plane CPU');
  const clash = t.workers.find((w) => w === t.master || w === t.latency);
  if (clash !== undefined) throw new Error(`TRex thread layout: data-plane CPU ${clash} is also the master or latency CPU`);
  if (new Set(t.workers).size !== t.workers.length) throw new Error('TRex thread layout: data-plane CPUs must be distinct');
  return t;
}

/** Queue pairs TRex opens on each memif port: one per data-plane thread. */
export function trexQueues(t: TrexThreads): number {
  return t.kind === 'platform' ? t.workers.length : 1;
}

export const DEFAULT_TREX_CFG: TrexCfgOptions = {
  prefix: 'trex-fastpath',
  limitMemoryMb: 1024,
  threads: defaultThreads(FASTPATH_CPUS + 3),
};

/**
 * TRex's vdev for port `index` of the config: fastpathd's attach vdev with
 * the DPDK device renamed net_memif<index> (two memif vdevs need two names)
 * and the socket path the host sees instead of the container's.
 */
export function trexVdev(index: number, p: MemifPort): string {
  const [driver, ...kv] = p.vdev.split(',');
  if (!driver?.startsWith('net_memif')) throw new Error(`port ${p.name} is not a memif port (its vdev is ${p.vdev})`);
  const pairs = kv.map((x) => {
    const i = x.indexOf('=');
    return i < 0 ? [x, ''] as const : [x.slice(0, i), x.slice(i + 1)] as const;
  });
  const get = (k: string): string | undefined => pairs.find(([key]) => key === k)?.[1];
  if (get('role') !== 'client') throw new Error(`port ${p.name}: expected role=client in ${p.vdev}`);
  if (get('mac') !== undefined && get('mac')!.toLowerCase() !== p.mac.toLowerCase()) throw new Error(`port ${p.name}: vdev MAC ${get('mac')} is not the port's ${p.mac}`);
  if (p.socketPath.includes(',')) throw new Error(`port ${p.name}: a socket path with a comma cannot go into a vdev string`);
  const out = pairs.map(([k, v]) => (k === 'socket' ? ['socket', p.socketPath] : [k, v]));
  return `--vdev=${['net_memif' + String(index), ...out.map(([k, v]) => (v === '' ? k : `${k}=${v}`))].join(',')}`;
}

/** The config document: a one-element list, as TRex expects. */
export function trexConfig(ports: readonly [MemifPort, MemifPort], o: TrexCfgOptions = DEFAULT_TREX_CFG): unknown[] {
  const t = o.threads;
  return [{
    version: 2,
    port_limit: 2,
    interfaces: ports.map((p, i) => trexVdev(i, p)),
    // Data-plane threads per pair of ports.
    c: trexQueues(t),
    prefix: o.prefix,
    limit_memory: o.limitMemoryMb,
    port_info: [
      { src_mac: ports[0].mac, dest_mac: ports[1].mac },
      { src_mac: ports[1].mac, dest_mac: ports[0].mac },
    ],
    ...(t.kind === 'low-end'
      // TRex runs every thread on low_end_core and ignores platform.
      ? { low_end: true, low_end_core: t.core }
      : { platform: { master_thread_id: t.master, latency_thread_id: t.latency, dual_if: [{ socket: 0, threads: t.workers }] } }),
  }];
}

export function trexConfigYaml(ports: readonly [MemifPort, MemifPort], o: TrexCfgOptions, header: string[]): string {
  return `${header.map((l) => `# ${l}`).join('\n')}\n${stringify(trexConfig(ports, o))}`;
}
