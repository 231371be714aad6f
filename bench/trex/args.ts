// SPDX-License-Identifier: Apache-2.0
// Command-line options of `npm run bench:trex`: either emit a TRex config
// for a running fastpathd, or run the NDR/PDR search against a running TRex
// (or, with --simulate, against a simulated device).
import { availableParallelism } from 'node:os';

import { DEFAULT_ENDPOINT } from '../../src/api/client.js';
import { checkThreads, DEFAULT_TREX_CFG, defaultThreads, type TrexCfgOptions, type TrexThreads } from './config.js';
import { DEFAULT_RPC_PORT } from './client.js';
import { PROFILES, type ProfileName } from './streams.js';

export interface EmitArgs {
  mode: 'emit';
  outDir: string;
  endpoint: string;
  network: string;
  portNames: [string, string];
  ringLog2: number | undefined;
  cfg: TrexCfgOptions;
}

export interface SearchArgs {
  mode: 'search';
  server: string;
  rpcPort: number;
  connectTimeoutMs: number;
  ports: [number, number];
  profile: ProfileName;
  /** Packets/s per direction. */
  maxRate: number;
  seconds: number;
  /** Fractions (0.005), not percent. */
  precision: number;
  pdrLoss: number;
  drainSeconds: number;
  /** fastpathd, for the DPDK version in the machine line (optional). */
  endpoint: string;
  /** Simulated device: NDR and PDR in packets/s per direction. */
  simulate: { ndr: number; pdr: number } | undefined;
  out: string | undefined;
}

/** memif rings of the bench ports: 4,096 frames (see --memif-ring-log2). */
export const DEFAULT_RING_LOG2 = 12;

export const TREX_USAGE = `usage: npm run bench:trex -- --emit-config DIR [options]    write trex_cfg.yaml + STL profiles
       npm run bench:trex -- [options]                       run the NDR/PDR search against TRex
config (needs a running fastpathd):
  --endpoint URI          fastpathd's gRPC endpoint (default: $FASTPATH_ENDPOINT, else ${DEFAULT_ENDPOINT})
  --network NAME          bench network, created if missing (default trex-bench)
  --port-names A,B        the two memif ports, created if missing (default trex0,trex1)
  --memif-ring-log2 N     memif ring size of the ports, log2 (default 12: 4,096 frames absorb the pauses of a
                          TRex that shares CPUs; 10 lost frames at 0.125 Mpps on a 2-CPU host)
  --trex-threads M,L,W..  TRex master, latency and data-plane thread CPUs, all different (default with 5 or
                          more CPUs: 2,3,4, beside fastpathd's 0 and 1); the memif ports get one queue pair
                          per data-plane thread
  --trex-low-end CPU      run every TRex thread on CPU (TRex's low_end mode; the default below 5 CPUs: 0)
  --host-cpus N           CPUs of the host TRex will run on (default: this one's, ${availableParallelism()})
  --prefix NAME           TRex's DPDK file prefix (default ${DEFAULT_TREX_CFG.prefix})
  --limit-memory MB       hugepage memory TRex may take (default ${DEFAULT_TREX_CFG.limitMemoryMb})
search (needs TRex started with -i on the emitted config):
  --server HOST           TRex host (default 127.0.0.1)
  --rpc-port N            TRex's JSON-RPC port (default ${DEFAULT_RPC_PORT})
  --connect-timeout MS    give up when TRex does not answer the handshake (default 3000)
  --ports A,B             TRex port pair (default 0,1); traffic is bidirectional
  --profile NAME          ${PROFILES.join(' | ')} (default 64b-1flow)
  --max-rate RATE         first and highest rate per direction: 10mpps, 500kpps, 2000000 (default 10mpps)
  --seconds N             trial length (default 10; RFC 2544 asks for 60)
  --precision PCT         stop when the interval is at most PCT % of --max-rate (default 0.5)
  --pdr-loss PCT          loss PDR tolerates, percent (default 0.5)
  --drain S               wait after each trial before reading counters (default 1)
  --simulate NDR,PDR      no TRex: a simulated device with these rates per direction (e.g. 4mpps,5mpps)
  --out FILE              results JSON (default bench/results/trex.json, or trex-simulated.json with --simulate; the chart goes next to it as .svg)`;

/** "10mpps", "2.5Mpps", "500kpps", "2e6", "2000000pps" -> packets/s. */
export function parseRate(s: string): number {
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([kmg]?)(?:pps)?\s*$/i.exec(s);
  if (!m) throw new Error(`bad rate '${s}' (e.g. 10mpps, 500kpps, 2000000)`);
  const mult = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  const v = Number(m[1]) * mult;
  if (!(v > 0)) throw new Error(`rate must be > 0, got '${s}'`);
  return v;
}

function num(key: string, raw: string, lo: number, hi: number, int: boolean): number {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || v < lo || v > hi || (int && !Number.isInteger(v))) {
    throw new Error(`--${key} must be ${int ? 'an integer' : 'a number'} in ${lo}..${hi}, got ${raw}`);
  }
  return v;
}

function pair<T>(key: string, raw: string, conv: (s: string) => T): [T, T] {
  const parts = raw.split(',').map((s) => s.trim());
  if (parts.length !== 2 || parts.some((p) => p === '')) throw new Error(`--${key} needs two comma-separated values, got ${raw}`);
  return [conv(parts[0]!), conv(parts[1]!)];
}

const EMIT_KEYS = ['network', 'port-names', 'memif-ring-log2', 'trex-threads', 'trex-low-end', 'host-cpus', 'prefix', 'limit-memory'];
const SEARCH_KEYS = ['server', 'rpc-port', 'connect-timeout', 'ports', 'profile', 'max-rate', 'seconds', 'precision', 'pdr-loss', 'drain', 'simulate', 'out'];

export function parseTrexArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): EmitArgs | SearchArgs | 'help' {
  const v = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') return 'help';
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(a);
    const key = m?.[1];
    if (!m || key === undefined || ![...EMIT_KEYS, ...SEARCH_KEYS, 'emit-config', 'endpoint'].includes(key)) throw new Error(`unknown option ${a}\n${TREX_USAGE}`);
    const raw = m[2] ?? argv[++i];
    if (raw === undefined) throw new Error(`--${key} needs a value`);
    v.set(key, raw);
  }
  const rawEndpoint = v.get('endpoint') ?? (env.FASTPATH_ENDPOINT || DEFAULT_ENDPOINT);
  const endpoint = rawEndpoint.startsWith('/') ? `unix://${rawEndpoint}` : rawEndpoint;
  const outDir = v.get('emit-config');
  if (outDir !== undefined) {
    const stray = SEARCH_KEYS.filter((k) => v.has(k));
    if (stray.length > 0) throw new Error(`--${stray[0]} is a search option; --emit-config only writes the config`);
    const cpus = num('host-cpus', v.get('host-cpus') ?? String(availableParallelism()), 1, 4096, true);
    if (v.has('trex-threads') && v.has('trex-low-end')) throw new Error('--trex-threads and --trex-low-end exclude each other');
    const list = (v.get('trex-threads') ?? '').split(',').filter(Boolean).map((s) => num('trex-threads', s, 0, 4095, true));
    if (v.has('trex-threads') && list.length < 3) throw new Error('--trex-threads needs master, latency and at least one data-plane CPU');
    const threads: TrexThreads = v.has('trex-threads')
      ? { kind: 'platform', master: list[0]!, latency: list[1]!, workers: list.slice(2) }
      : v.has('trex-low-end') ? { kind: 'low-end', core: num('trex-low-end', v.get('trex-low-end')!, 0, 4095, true) } : defaultThreads(cpus);
    const ring = v.get('memif-ring-log2');
    return {
      mode: 'emit', outDir, endpoint,
      network: v.get('network') ?? 'trex-bench',
      portNames: pair('port-names', v.get('port-names') ?? 'trex0,trex1', (s) => s),
      ringLog2: num('memif-ring-log2', ring ?? String(DEFAULT_RING_LOG2), 4, 14, true),
      cfg: {
        prefix: v.get('prefix') ?? DEFAULT_TREX_CFG.prefix,
        limitMemoryMb: num('limit-memory', v.get('limit-memory') ?? String(DEFAULT_TREX_CFG.limitMemoryMb), 64, 1 << 20, true),
        threads: checkThreads(threads, cpus),
      },
    };
  }
  const stray = EMIT_KEYS.filter((k) => v.has(k));
  if (stray.length > 0) throw new Error(`--${stray[0]} only goes with --emit-config`);
  const profile = v.get('profile') ?? '64b-1flow';
  if (!(PROFILES as readonly string[]).includes(profile)) throw new Error(`--profile must be one of ${PROFILES.join(', ')}, got ${profile}`);
  const sim = v.get('simulate');
  const simulate = sim === undefined ? undefined : (() => {
    const [ndr, pdr] = pair('simulate', sim, parseRate);
    if (!(pdr > ndr)) throw new Error('--simulate: the PDR must be above the NDR');
    return { ndr, pdr };
  })();
  const ports = pair('ports', v.get('ports') ?? '0,1', (s) => num('ports', s, 0, 255, true));
  if (ports[0] === ports[1]) throw new Error('--ports needs two different ports');
  return {
    mode: 'search',
    server: v.get('server') ?? '127.0.0.1',
    rpcPort: num('rpc-port', v.get('rpc-port') ?? String(DEFAULT_RPC_PORT), 1, 65535, true),
    connectTimeoutMs: num('connect-timeout', v.get('connect-timeout') ?? '3000', 100, 600_000, true),
    ports,
    profile: profile as ProfileName,
    maxRate: parseRate(v.get('max-rate') ?? '10mpps'),
    seconds: num('seconds', v.get('seconds') ?? '10', 1, 3600, false),
    precision: num('precision', v.get('precision') ?? '0.5', 0.001, 50, false) / 100,
    pdrLoss: num('pdr-loss', v.get('pdr-loss') ?? '0.5', 0.0001, 50, false) / 100,
    drainSeconds: num('drain', v.get('drain') ?? '1', 0, 60, false),
    endpoint,
    simulate,
    out: v.get('out'),
  };
}
