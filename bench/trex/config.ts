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

export interface TrexCfgOptions {
  /** DPDK file prefix of TRex (must differ from fastpathd's). */
  prefix: string;
  /** MB of hugepages TRex may take. */
  limitMemoryMb: number;
  /** TRex's master and latency threads, then the data-plane threads (c of them). */
  masterThread: number;
  latencyThread: number;
  workerThreads: number[];
}

export const DEFAULT_TREX_CFG: TrexCfgOptions = {
  prefix: 'trex-fastpath',
  limitMemoryMb: 1024,
  // fastpathd's defaults: fp-ctl on CPU 0, its worker on 1. TRex's own
  // threads go elsewhere; its data-plane thread spins like our worker.
  masterThread: 2,
  latencyThread: 2,
  workerThreads: [3],
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
  if (o.workerThreads.length === 0) throw new Error('TRex needs at least one data-plane thread');
  return [{
    version: 2,
    port_limit: 2,
    interfaces: ports.map((p, i) => trexVdev(i, p)),
    // Data-plane threads per pair of ports.
    c: o.workerThreads.length,
    prefix: o.prefix,
    limit_memory: o.limitMemoryMb,
    port_info: [
      { src_mac: ports[0].mac, dest_mac: ports[1].mac },
      { src_mac: ports[1].mac, dest_mac: ports[0].mac },
    ],
    platform: {
      master_thread_id: o.masterThread,
      latency_thread_id: o.latencyThread,
      dual_if: [{ socket: 0, threads: o.workerThreads }],
    },
  }];
}

export function trexConfigYaml(ports: readonly [MemifPort, MemifPort], o: TrexCfgOptions, header: string[]): string {
  return `${header.map((l) => `# ${l}`).join('\n')}\n${stringify(trexConfig(ports, o))}`;
}
