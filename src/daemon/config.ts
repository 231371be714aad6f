// SPDX-License-Identifier: Apache-2.0
// fastpathd configuration: embedded defaults, then a JSON file (--config,
// FASTPATH_CONFIG, or /etc/fastpath/fastpathd.json when present), then
// environment variables, then command-line flags. `npm start` needs none.
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import type { DataplaneConfig } from '../dataplane/index.js';
import type { HugepageConfig } from '../core/hugepages/manager.js';
import type { Limits } from '../core/orchestrator.js';
import { parseOverlayConfig, type OverlayConfig } from './overlay-config.js';

export interface DaemonConfig {
  /** streamBacklog: messages queued to a watcher that does not read before it is dropped. */
  grpc: { socket: string; socketMode: number; tcp?: string; streamBacklog: number };
  stateDir: string;
  metrics: { enabled: boolean; listen: string };
  limits: Limits;
  macPrefix: string;
  macPoolSize: number;
  /** Remove port directories on shutdown (default: keep; containers have them mounted). */
  removePortDirsOnStop: boolean;
  resetState: boolean;
  hugepages: HugepageConfig;
  /** Network created on the very first start (no state file yet); '' = none. */
  defaultNetwork: string;
  logLevel: string;
  /** Networks' kernel interfaces: auto (vhost-net when /dev/vhost-net works, else tap), vhost-net or tap. */
  exceptionPath: string;
  dataplane: Partial<DataplaneConfig>;
  /** This node's uplink and the networks that cross nodes (config file only; see overlay-config.ts). */
  overlay?: OverlayConfig;
}

export const DEFAULT_CONFIG_FILE = '/etc/fastpath/fastpathd.json';

export function defaultConfig(): DaemonConfig {
  return {
    grpc: { socket: '/run/fastpath/fastpath.sock', socketMode: 0o660, streamBacklog: 1024 },
    stateDir: '/var/lib/fastpath',
    metrics: { enabled: true, listen: '127.0.0.1:9464' },
    // DPDK 22.11's vhost library watches at most 1024 fds, listening sockets
    // and guest connections alike: 500 server-mode ports can all have a guest.
    limits: { maxPorts: 500, maxQueues: 8, maxNetworks: 256, maxFlowsPerNetwork: 10_000, maxFlowsTotal: 100_000 },
    macPrefix: '02:fa:57',
    macPoolSize: 0xffffff,
    removePortDirsOnStop: false,
    resetState: false,
    defaultNetwork: 'default',
    hugepages: { root: '/run/fastpath/hugepages', headroomPages: 0, allowGrowPool: false },
    logLevel: 'info',
    exceptionPath: 'auto',
    dataplane: { socketRoot: '/run/fastpath/ports', filePrefix: 'fastpathd' },
  };
}

export class ConfigError extends Error {}

const cpus = (s: string): number[] => s.split(',').filter(Boolean).map((x) => {
  const n = Number(x);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`bad CPU list: ${s}`);
  return n;
});

function num(what: string, s: string): number {
  const n = Number(s);
  if (!/^\d{1,15}$/.test(s.trim()) || !Number.isSafeInteger(n)) throw new ConfigError(`${what} must be a non-negative integer, got ${s}`);
  return n;
}

function merge(base: DaemonConfig, over: Partial<DaemonConfig>): DaemonConfig {
  return {
    ...base,
    ...over,
    grpc: { ...base.grpc, ...over.grpc },
    metrics: { ...base.metrics, ...over.metrics },
    limits: { ...base.limits, ...over.limits },
    dataplane: { ...base.dataplane, ...over.dataplane },
    hugepages: { ...base.hugepages, ...over.hugepages },
  };
}

type Source = Record<string, string | boolean | undefined>;

/** Applies the flat keys shared by env and flags. */
function applyFlat(c: DaemonConfig, s: Source): DaemonConfig {
  const str = (k: string): string | undefined => (typeof s[k] === 'string' ? (s[k] as string) : undefined);
  const out = merge(c, {});
  if (str('grpc-socket')) out.grpc.socket = str('grpc-socket')!;
  if (str('grpc-tcp')) out.grpc.tcp = str('grpc-tcp')!;
  if (str('stream-backlog')) out.grpc.streamBacklog = num('stream-backlog', str('stream-backlog')!);
  if (str('state-dir')) out.stateDir = str('state-dir')!;
  if (str('socket-root')) out.dataplane.socketRoot = str('socket-root')!;
  if (str('file-prefix')) out.dataplane.filePrefix = str('file-prefix')!;
  if (str('metrics')) {
    const m = str('metrics')!;
    out.metrics = m === 'off' ? { ...out.metrics, enabled: false } : { enabled: true, listen: m };
  }
  if (str('log-level')) out.logLevel = str('log-level')!;
  if (str('exception-path')) {
    const e = str('exception-path')!;
    if (e !== 'auto' && e !== 'vhost-net' && e !== 'tap') throw new ConfigError(`exception-path must be auto, vhost-net or tap, got ${e}`);
    out.exceptionPath = e;
  }
  if (typeof s['default-network'] === 'string') out.defaultNetwork = s['default-network'];
  if (str('hugepage-root')) out.hugepages.root = str('hugepage-root')!;
  if (s['allow-grow-pool'] === true || s['allow-grow-pool'] === '1') out.hugepages.allowGrowPool = true;
  if (str('main-cpu')) out.dataplane.mainCpu = num('main-cpu', str('main-cpu')!);
  if (str('worker-cpus')) out.dataplane.workerCpus = cpus(str('worker-cpus')!);
  if (str('memory-mb')) out.dataplane.memoryMb = num('memory-mb', str('memory-mb')!);
  if (str('hugepages')) {
    const h = str('hugepages')!;
    if (h !== 'auto' && h !== 'on' && h !== 'off') throw new ConfigError(`hugepages must be auto, on or off, got ${h}`);
    out.dataplane.hugepages = h;
  }
  if (str('max-ports')) out.limits.maxPorts = num('max-ports', str('max-ports')!);
  if (str('max-flows')) out.limits.maxFlowsPerNetwork = num('max-flows', str('max-flows')!);
  if (str('max-flows-total')) out.limits.maxFlowsTotal = num('max-flows-total', str('max-flows-total')!);
  if (str('mac-pool-size')) out.macPoolSize = num('mac-pool-size', str('mac-pool-size')!);
  if (s['reset-state'] === true || s['reset-state'] === '1') out.resetState = true;
  if (s['remove-port-dirs-on-stop'] === true || s['remove-port-dirs-on-stop'] === '1') out.removePortDirsOnStop = true;
  return out;
}

const KEYS = ['grpc-socket', 'grpc-tcp', 'stream-backlog', 'state-dir', 'exception-path', 'socket-root', 'file-prefix', 'metrics', 'log-level', 'default-network', 'hugepage-root', 'allow-grow-pool', 'main-cpu',
  'worker-cpus', 'memory-mb', 'hugepages', 'max-ports', 'max-flows', 'max-flows-total', 'mac-pool-size', 'reset-state', 'remove-port-dirs-on-stop'] as const;
const BOOLEAN = new Set(['reset-state', 'remove-port-dirs-on-stop', 'allow-grow-pool']);

export const USAGE = `usage: fastpathd [--config FILE] ${KEYS.map((k) => (BOOLEAN.has(k) ? `[--${k}]` : `[--${k} V]`)).join(' ')}
Each option also reads from FASTPATH_<NAME> (e.g. FASTPATH_GRPC_SOCKET); flags win over the environment,
which wins over the config file (JSON, same shape as the defaults), which wins over the defaults.`;

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): { config: DaemonConfig; sources: string[] } {
  const options: Record<string, { type: 'string' | 'boolean' }> = { config: { type: 'string' }, help: { type: 'boolean' } };
  for (const k of KEYS) options[k] = { type: BOOLEAN.has(k) ? 'boolean' : 'string' };
  let flags: Source;
  try {
    flags = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Source;
  } catch (e) {
    throw new ConfigError(`${(e as Error).message}\n${USAGE}`);
  }
  if (flags.help) throw new ConfigError(USAGE);
  const sources = ['defaults'];
  let c = defaultConfig();
  const file = (flags.config as string | undefined) ?? env.FASTPATH_CONFIG ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  if (file) {
    let raw: Partial<DaemonConfig> & { overlay?: unknown };
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<DaemonConfig> & { overlay?: unknown };
    } catch (e) {
      throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
    }
    const { overlay, ...rest } = raw;
    c = merge(c, rest);
    // Its own parser: it substitutes ${NODE_IP} and friends from env.
    const o = parseOverlayConfig(overlay, env);
    if (o) c.overlay = o;
    sources.push(file);
  }
  const fromEnv: Source = {};
  for (const k of KEYS) {
    const v = env[`FASTPATH_${k.toUpperCase().replace(/-/g, '_')}`];
    if (v !== undefined) fromEnv[k] = v;
  }
  if (Object.keys(fromEnv).length > 0) sources.push('environment');
  c = applyFlat(c, fromEnv);
  if (KEYS.some((k) => flags[k] !== undefined)) sources.push('flags');
  c = applyFlat(c, flags);
  if (c.grpc.tcp !== undefined) {
    const host = c.grpc.tcp.slice(0, c.grpc.tcp.lastIndexOf(':'));
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) {
      throw new ConfigError(`gRPC TCP listener must be on loopback, got ${c.grpc.tcp} (the API has no authentication)`);
    }
  }
  return { config: c, sources };
}
