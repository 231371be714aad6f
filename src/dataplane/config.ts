// SPDX-License-Identifier: Apache-2.0
// Data plane configuration with embedded defaults.

export interface DataplaneConfig {
  /** CPU for fp-ctl (the EAL main lcore). */
  mainCpu: number;
  /** One worker lcore per CPU listed; at least one. */
  workerCpus: number[];
  /** EAL memory in MiB (mbuf pool, MAC tables, vhost state). */
  memoryMb: number;
  /** 'auto': hugepages when enough are free on hugeDir, else --no-huge. */
  hugepages: 'auto' | 'on' | 'off';
  hugeDir: string;
  /** Unique per process; the EAL runtime dir is /var/run/dpdk/<prefix>. */
  filePrefix: string;
  nMbufs: number;
  macTableSize: number;
  macAgeSec: number;
  /** Every port socket lives in its own directory below this one. */
  socketRoot: string;
  /** EAL log level (DPDK syntax, e.g. '*:notice'). */
  logLevel: string;
  extraEalArgs: string[];
}

export function defaultDataplaneConfig(): DataplaneConfig {
  return {
    mainCpu: 0,
    workerCpus: [1],
    memoryMb: 256,
    hugepages: 'auto',
    hugeDir: '/dev/hugepages',
    filePrefix: `fastpath-${process.pid}`,
    nMbufs: 16384,
    macTableSize: 65536,
    macAgeSec: 300,
    socketRoot: '/run/fastpath/ports',
    logLevel: '*:notice',
    extraEalArgs: [],
  };
}
