// SPDX-License-Identifier: Apache-2.0
// Control-plane benchmark: the real fastpathd (the test fixture's Daemon,
// on private paths), one network, then N server-mode ports created one
// after another over gRPC and deleted again. Per port: create-to-socket-
// ready latency (CreatePort returned and the socket file is a socket) and
// delete latency (DeletePort returned and the socket file is gone); per
// phase: ports/s; the daemon's RSS before, after the creates, after using
// the API once with all ports, and after the deletes. The issue's targets:
// p99 create <= 20 ms, RSS growth <= 50 MB for 1,000 ports.
//   npm run bench:control -- [--ports N] [--rounds R]
//
// The bench never connects to a port's socket: the vhost library would take
// the connection for a guest. It only stat()s the path.
import { execFileSync } from 'node:child_process';
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import * as grpc from '@grpc/grpc-js';

import type { FastpathClient } from '../src/api/client.js';
import { Daemon } from '../test/helpers/daemon.js';
import { Cleanup } from './lib/cleanup.js';
import { CONTROL_USAGE, parseControlArgs, type ControlOptions } from './lib/control-args.js';
import { cpuModel, describeMachine, machineLine } from './lib/machine.js';
import { innermostWithArg, otherDpdkProcesses, pidsWithArg, procMemory, type ProcMemory } from './lib/proc.js';
import { percentile, round, table } from './lib/summary.js';
import { sleep } from '../test/harness/wait.js';
import { removeEalRuntimeDir } from './lib/util.js';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results', 'control-plane.json');
const NETWORK = 'cpbench';
/** From the issue. */
const TARGET_P99_CREATE_MS = 20;
const TARGET_RSS_GROWTH_MB = 50;
const TARGET_RSS_PORTS = 1000;
/** After the RPC returned, the socket must show up (or go away) within this. */
const SOCKET_DEADLINE_MS = 2000;
/** Quiet time before each RSS reading (pending logging, lazily freed buffers). */
const SETTLE_MS = 1000;
const PROGRESS_EVERY = 100;

interface Failure {
  phase: 'create' | 'delete' | 'check';
  round: number;
  /** 0-based index of the port in its round (-1: not about one port). */
  index: number;
  port: string;
  code: string;
  message: string;
}

interface PhaseResult {
  /** Ports that completed this phase. */
  done: number;
  /** Wall time of the phase, s. */
  seconds: number;
  /** Per port: RPC sent -> RPC returned and the socket in the expected state, ms. */
  ms: number[];
  /** Per port: RPC sent -> RPC returned, ms. */
  rpcMs: number[];
  /** Ports whose socket was not yet in the expected state when the RPC returned. */
  late: number;
  /** Server-side handler time from the daemon's own histogram (sum / count), ms. */
  serverMeanMs: number | undefined;
}

interface RoundResult {
  round: number;
  ports: number;
  create: PhaseResult;
  delete: PhaseResult;
  /** afterUse: after creating, then a /metrics scrape, ListPorts and GetPortStats. */
  mem: { before: MemSample; afterCreate: MemSample; afterUse: MemSample; afterDelete: MemSample };
  checks: string[];
}

interface Stats {
  n: number;
  portsPerSec: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

const mb = (kb: number): number => kb / 1024;

function stats(p: PhaseResult): Stats {
  const v = p.ms;
  return {
    n: v.length,
    portsPerSec: p.seconds > 0 ? p.done / p.seconds : NaN,
    p50: percentile(v, 50),
    p90: percentile(v, 90),
    p99: percentile(v, 99),
    max: v.length ? Math.max(...v) : NaN,
    mean: v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN,
  };
}

function merge(ps: PhaseResult[]): PhaseResult {
  const known = ps.filter((p) => p.serverMeanMs !== undefined);
  return {
    done: ps.reduce((n, p) => n + p.done, 0),
    seconds: ps.reduce((n, p) => n + p.seconds, 0),
    ms: ps.flatMap((p) => p.ms),
    rpcMs: ps.flatMap((p) => p.rpcMs),
    late: ps.reduce((n, p) => n + p.late, 0),
    serverMeanMs: known.length
      ? known.reduce((s, p) => s + p.serverMeanMs! * p.done, 0) / known.reduce((n, p) => n + p.done, 0)
      : undefined,
  };
}

const isSocket = (path: string): boolean => statSync(path, { throwIfNoEntry: false })?.isSocket() ?? false;
const exists = (path: string): boolean => lstatSync(path, { throwIfNoEntry: false }) !== undefined;

/** Poll (1 ms) until pred holds; false if it never did within the deadline. */
async function waitFor(pred: () => boolean, deadlineMs: number): Promise<boolean> {
  const end = performance.now() + deadlineMs;
  while (!pred()) {
    if (performance.now() > end) return false;
    await sleep(1);
  }
  return true;
}

class BenchError extends Error {
  constructor(readonly failure: Failure) {
    super(`${failure.phase} ${failure.port || ''} (round ${failure.round}, #${failure.index + 1}): ${failure.code}: ${failure.message}`);
  }
}

function grpcFailure(e: unknown, phase: Failure['phase'], r: number, index: number, port: string): BenchError {
  const err = e as Partial<grpc.ServiceError>;
  const code = typeof err.code === 'number' ? (grpc.status[err.code] ?? String(err.code)) : 'ERROR';
  return new BenchError({ phase, round: r, index, port, code, message: err.details ?? err.message ?? String(e) });
}

/** The daemon's /metrics, unlabelled and labelled series alike, by their full name ("a{b=\"c\"}"). */
type Scrape = Map<string, number> | undefined;

/**
 * Scraped between phases only, never while timing, and after the RSS
 * reading of that moment: with N ports a scrape builds per-port series.
 */
async function scrape(url: string | undefined): Promise<Scrape> {
  if (!url) return undefined;
  try {
    const body = await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).text();
    const out = new Map<string, number>();
    for (const line of body.split('\n')) {
      const m = /^([a-zA-Z_:][^ ]*) (\S+)$/.exec(line);
      if (m) out.set(m[1]!, Number(m[2]));
    }
    return out;
  } catch {
    return undefined; // informative only
  }
}

/** Mean server-side handler time of one method between two scrapes, ms (fastpath_grpc_request_duration_seconds). */
function serverMean(a: Scrape, b: Scrape, method: string): number | undefined {
  const h = 'fastpath_grpc_request_duration_seconds';
  const get = (s: Scrape, what: string): number => s?.get(`${h}_${what}{method="${method}"}`) ?? 0;
  if (!a || !b || get(b, 'count') <= get(a, 'count')) return undefined;
  return ((get(b, 'sum') - get(a, 'sum')) / (get(b, 'count') - get(a, 'count'))) * 1000;
}

interface MemSample extends ProcMemory {
  /** V8 heap of fastpathd (its prom-client default metrics), MB. */
  heapUsedMb?: number;
  heapTotalMb?: number;
  externalMb?: number;
}

function withHeap(m: ProcMemory, s: Scrape): MemSample {
  const mbOf = (k: string): number | undefined => {
    const v = s?.get(`fastpathd_nodejs_${k}`);
    return v === undefined ? undefined : v / 2 ** 20;
  };
  const out: MemSample = { ...m };
  const used = mbOf('heap_size_used_bytes');
  const total = mbOf('heap_size_total_bytes');
  const ext = mbOf('external_memory_bytes');
  if (used !== undefined) out.heapUsedMb = used;
  if (total !== undefined) out.heapTotalMb = total;
  if (ext !== undefined) out.externalMb = ext;
  return out;
}

function progress(verb: string, done: number, total: number, t0: number, ms: number[]): string {
  return `  ${verb} ${done}/${total} in ${((performance.now() - t0) / 1000).toFixed(1)} s, ` +
    `p99 so far ${percentile(ms, 99).toFixed(2)} ms, max ${Math.max(...ms).toFixed(2)} ms`;
}

async function settledMemory(pid: number): Promise<ProcMemory> {
  await sleep(SETTLE_MS);
  return procMemory(pid);
}

/** The commit the daemon ran from (tsx loads the working tree: dirty if it differs), for the record. */
function codeVersion(): { commit: string; dirty: boolean } | null {
  try {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    const git = (...a: string[]): string => execFileSync('git', a, { cwd: root, encoding: 'utf8' }).trim();
    return { commit: git('rev-parse', '--short', 'HEAD'), dirty: git('status', '--porcelain', '--', 'src', 'native').length > 0 };
  } catch {
    return null;
  }
}

const portName = (i: number): string => `cp-${String(i).padStart(4, '0')}`;

const emptyPhase = (): PhaseResult => ({ done: 0, seconds: 0, ms: [], rpcMs: [], late: 0, serverMeanMs: undefined });

/** Fills `res` as it goes, so a failure half-way keeps the figures so far. */
async function createPorts(c: FastpathClient, r: number, n: number, created: Map<string, string>, res: PhaseResult): Promise<void> {
  const t0 = performance.now();
  try {
    for (let i = 0; i < n; i++) {
      const name = portName(i);
      const s = performance.now();
      let out;
      try {
        out = await c.unary(c.ports, c.ports.CreatePort, { port: { name, network: NETWORK, mode: 'PORT_MODE_SERVER' } });
      } catch (e) {
        throw grpcFailure(e, 'create', r, i, name);
      }
      const rpc = performance.now();
      const path = out.port?.attach?.socketPath;
      if (!out.created || !path) {
        throw new BenchError({ phase: 'create', round: r, index: i, port: name, code: 'UNEXPECTED',
          message: `created=${out.created}, socket path ${JSON.stringify(path)}` });
      }
      created.set(name, path);
      let late = false;
      if (!isSocket(path)) {
        late = true;
        if (!(await waitFor(() => isSocket(path), SOCKET_DEADLINE_MS))) {
          throw new BenchError({ phase: 'create', round: r, index: i, port: name, code: 'NO_SOCKET',
            message: `${path} is not a socket ${SOCKET_DEADLINE_MS} ms after CreatePort returned` });
        }
      }
      const e = performance.now();
      res.ms.push(e - s);
      res.rpcMs.push(rpc - s);
      if (late) res.late++;
      res.done++;
      if (res.done % PROGRESS_EVERY === 0 || res.done === n) console.log(progress('created', res.done, n, t0, res.ms));
    }
  } finally {
    res.seconds = (performance.now() - t0) / 1000;
  }
}

async function deletePorts(c: FastpathClient, r: number, created: Map<string, string>, res: PhaseResult): Promise<void> {
  const n = created.size;
  const t0 = performance.now();
  let i = 0;
  try {
    // In creation order; each one leaves the map once it is gone.
    for (const [name, path] of [...created]) {
      const s = performance.now();
      try {
        await c.unary(c.ports, c.ports.DeletePort, { name, allowMissing: false });
      } catch (e) {
        throw grpcFailure(e, 'delete', r, i, name);
      }
      const rpc = performance.now();
      created.delete(name);
      let late = false;
      if (exists(path)) {
        late = true;
        if (!(await waitFor(() => !exists(path), SOCKET_DEADLINE_MS))) {
          throw new BenchError({ phase: 'delete', round: r, index: i, port: name, code: 'SOCKET_LEFT',
            message: `${path} still exists ${SOCKET_DEADLINE_MS} ms after DeletePort returned` });
        }
      }
      const e = performance.now();
      res.ms.push(e - s);
      res.rpcMs.push(rpc - s);
      if (late) res.late++;
      res.done++;
      i++;
      if (res.done % PROGRESS_EVERY === 0 || res.done === n) console.log(progress('deleted', res.done, n, t0, res.ms));
    }
  } finally {
    res.seconds = (performance.now() - t0) / 1000;
  }
}

/** With every port created: does the rest of the API still see all of them? */
async function checkAllThere(c: FastpathClient, r: number, created: Map<string, string>): Promise<string[]> {
  const n = created.size;
  const fail = (message: string): BenchError =>
    new BenchError({ phase: 'check', round: r, index: -1, port: '', code: 'CHECK', message });
  const listed = (await c.unary(c.ports, c.ports.ListPorts, { network: NETWORK })).ports.length;
  if (listed !== n) throw fail(`ListPorts returned ${listed} ports, ${n} were created`);
  const count = (await c.unary(c.networks, c.networks.GetNetwork, { name: NETWORK })).network?.portCount;
  if (count !== n) throw fail(`GetNetwork says port_count ${count}, ${n} were created`);
  const st = (await c.unary(c.ports, c.ports.GetPortStats, { name: '' })).stats.length;
  if (st !== n) throw fail(`GetPortStats returned ${st} ports, ${n} were created`);
  const gone = [...created].filter(([, p]) => !isSocket(p)).map(([name]) => name);
  if (gone.length > 0) throw fail(`${gone.length} socket(s) vanished after creation: ${gone.slice(0, 5).join(', ')}`);
  return [`ListPorts ${listed}`, `port_count ${count}`, `GetPortStats ${st}`, `${n} sockets present`];
}

async function checkAllGone(c: FastpathClient, r: number, socketRoot: string): Promise<string[]> {
  const fail = (message: string): BenchError =>
    new BenchError({ phase: 'check', round: r, index: -1, port: '', code: 'CHECK', message });
  const listed = (await c.unary(c.ports, c.ports.ListPorts, { network: NETWORK })).ports.length;
  if (listed !== 0) throw fail(`ListPorts still returns ${listed} ports after deleting all`);
  const count = (await c.unary(c.networks, c.networks.GetNetwork, { name: NETWORK })).network?.portCount;
  if (count !== 0) throw fail(`GetNetwork says port_count ${count} after deleting all ports`);
  const left = readdirSync(socketRoot);
  if (left.length > 0) throw fail(`${left.length} entries left in ${socketRoot}: ${left.slice(0, 5).join(', ')}`);
  return ['ListPorts 0', 'port_count 0', 'socket root empty'];
}

/** Lines of the daemon's output that report errors (pino level >= 50, DPDK errors). */
function daemonErrors(logs: string): string[] {
  return logs.split('\n').filter((l) =>
    /"level":(5|6)\d/.test(l) || /VHOST_CONFIG|fdset|EAL: .*(error|fail)/i.test(l)).slice(-20);
}

async function main(): Promise<void> {
  const parsed = parseControlArgs(process.argv.slice(2));
  if (parsed === 'help') {
    console.log(CONTROL_USAGE);
    return;
  }
  const opts = parsed;
  const cleanup = new Cleanup();
  cleanup.installSignalHandlers();
  const maxPorts = Math.max(TARGET_RSS_PORTS, opts.ports);
  // Private per run: Daemon.fresh's paths (/run/fastpath-test/d-<tag>,
  // /tmp/fastpath-test-state-<tag>, EAL prefix fptest-d-<tag>).
  const tag = `cpbench-${process.pid}`;
  let failure: Failure | undefined;
  let daemon: Daemon | undefined;
  try {
    const p = Daemon.fresh(tag);
    cleanup.defer(`remove ${p.base}, ${p.stateDir}`, async () => {
      await rm(p.base, { recursive: true, force: true });
      await rm(p.stateDir, { recursive: true, force: true });
      await removeEalRuntimeDir(p.filePrefix);
    });
    // Last resort, should the fixture's stop not get there (an interrupted
    // start, tsx killed before its child): our daemon by its unique prefix.
    cleanup.defer('stop leftover fastpathd processes', async () => {
      const signal = (sig: NodeJS.Signals): number => {
        const pids = pidsWithArg('--file-prefix', p.filePrefix);
        for (const pid of pids) {
          try { process.kill(pid, sig); } catch { /* gone meanwhile */ }
        }
        return pids.length;
      };
      if (signal('SIGTERM') === 0) return;
      const end = Date.now() + 10_000;
      while (pidsWithArg('--file-prefix', p.filePrefix).length > 0 && Date.now() < end) await sleep(100);
      signal('SIGKILL');
    });

    console.log(
      `control-plane bench: ${opts.ports} server-mode port(s) per round, created one after another over gRPC, ` +
      `then deleted; ${opts.rounds} round(s) on one fastpathd (--max-ports ${maxPorts}, main lcore CPU 0, worker CPU 1)`,
    );
    console.log(`CPU: ${cpuModel()}`);
    const code = codeVersion();
    const d = await Daemon.start(p, ['--max-ports', String(maxPorts)]);
    daemon = d;
    cleanup.defer('stop fastpathd', () => d.dispose());
    // The fixture runs fastpathd as one process (node --import tsx); older
    // versions put the tsx CLI in front of it: measure the one with EAL.
    const pid = innermostWithArg(d.pid!, '--file-prefix', p.filePrefix);
    const c = d.client;
    const info = await c.unary(c.system, c.system.GetSystemInfo, {});
    console.log(`fastpathd pid ${pid}${pid === d.pid ? '' : ` (started through tsx, pid ${d.pid})`}` +
      `${code ? ` from ${code.commit}${code.dirty ? ' + local changes in src/ or native/' : ''}` : ''}, ${info.dpdkVersion}, ${info.hugePages ? 'hugepages' : 'no hugepages'}: ${info.memory}`);
    await c.unary(c.networks, c.networks.CreateNetwork, { network: { name: NETWORK } });

    const rounds: RoundResult[] = [];
    const created = new Map<string, string>();
    let lastScrape: Scrape;
    // Other DPDK processes seen at the phase boundaries (a short job that
    // came and went within a phase escapes this).
    const others = new Map<number, string>();
    const lookAround = (when: string): void => {
      for (const o of otherDpdkProcesses([pid])) {
        if (!others.has(o.pid)) console.log(`  WARNING: another DPDK process is running (${when}): pid ${o.pid} ${o.comm}`);
        others.set(o.pid, o.comm);
      }
    };
    lookAround('at start');
    const scrapeAfter = async (): Promise<Scrape> => (lastScrape = await scrape(d.metricsUrl));
    for (let r = 1; r <= opts.rounds && !failure; r++) {
      console.log(`round ${r}/${opts.rounds}`);
      // Order matters: RSS first, then the scrape (it allocates per port);
      // the checks after the scrape; nothing of that while timing.
      const before = withHeap(await settledMemory(pid), await scrapeAfter());
      const mBefore = lastScrape;
      const create = emptyPhase();
      const del = emptyPhase();
      const checks: string[] = [];
      const fail = (e: unknown): void => {
        // Interrupted: the daemon is going away; leave quietly (main's catch).
        if (!(e instanceof BenchError) || cleanup.interruptedBy) throw e;
        failure ??= e.failure;
        console.log(`  FAILED: ${e.message}`);
      };
      try {
        await createPorts(c, r, opts.ports, created, create);
      } catch (e) {
        fail(e);
      }
      lookAround('after the creates');
      const afterCreate = withHeap(await settledMemory(pid), await scrapeAfter());
      const mCreate = lastScrape;
      create.serverMeanMs = serverMean(mBefore, mCreate, 'CreatePort');
      if (!failure) {
        try {
          checks.push(...await checkAllThere(c, r, created));
        } catch (e) {
          fail(e);
        }
      }
      // The same N ports once the API has been used with all of them: the
      // scrape above and the checks' ListPorts and GetPortStats.
      const afterUse = withHeap(await settledMemory(pid), await scrapeAfter());
      const mUse = lastScrape;
      if (failure) console.log(`  deleting the ${created.size} port(s) that were created`);
      try {
        await deletePorts(c, r, created, del);
        checks.push(...await checkAllGone(c, r, p.socketRoot));
      } catch (e) {
        fail(e);
      }
      lookAround('after the deletes');
      const afterDelete = withHeap(await settledMemory(pid), await scrapeAfter());
      del.serverMeanMs = serverMean(mUse, lastScrape, 'DeletePort');
      rounds.push({ round: r, ports: opts.ports, create, delete: del, mem: { before, afterCreate, afterUse, afterDelete }, checks });
      console.log(
        `  RSS ${mb(before.rssKb).toFixed(1)} -> ${mb(afterCreate.rssKb).toFixed(1)} (created) -> ` +
        `${mb(afterUse.rssKb).toFixed(1)} (API used) -> ${mb(afterDelete.rssKb).toFixed(1)} MB (deleted), ` +
        `fds ${before.fds} -> ${afterCreate.fds} -> ${afterDelete.fds}; checks: ${checks.join(', ') || 'none'}`,
      );
    }
    if (failure) {
      const errs = daemonErrors(d.logs);
      if (errs.length > 0) console.log(`daemon errors (last ${errs.length}):\n${errs.map((l) => `  ${l}`).join('\n')}`);
    }

    const date = new Date().toISOString();
    const machine = describeMachine(0, info.dpdkVersion);
    const summary = report(rounds, opts, machineLine(machine, date), failure);
    if (others.size > 0) {
      console.log(`WARNING: other DPDK processes ran during this measurement (${[...others].map(([p, c]) => `${p} ${c}`).join(', ')}): ` +
        'they compete for the same 2 CPUs; run again when the machine is quiet');
    }

    const phaseJson = (ph: PhaseResult): object => {
      const s = stats(ph);
      return {
        ports: ph.done,
        seconds: round(ph.seconds, 3),
        ports_per_second: round(s.portsPerSec, 1),
        p50_ms: round(s.p50, 3), p90_ms: round(s.p90, 3), p99_ms: round(s.p99, 3), max_ms: round(s.max, 3), mean_ms: round(s.mean, 3),
        rpc_p50_ms: round(percentile(ph.rpcMs, 50), 3), rpc_p99_ms: round(percentile(ph.rpcMs, 99), 3),
        server_mean_ms: ph.serverMeanMs === undefined ? null : round(ph.serverMeanMs, 3),
        socket_not_ready_at_return: ph.late,
        latencies_ms: ph.ms.map((x) => round(x, 3)),
      };
    };
    const memJson = (m: MemSample): object => ({
      rss_mb: round(mb(m.rssKb), 2), hwm_mb: round(mb(m.hwmKb), 2), anon_mb: round(mb(m.anonKb), 2), file_mb: round(mb(m.fileKb), 2),
      shmem_mb: round(mb(m.shmemKb), 2), hugetlb_mb: round(mb(m.hugetlbKb), 2), threads: m.threads, fds: m.fds,
      v8_heap_used_mb: m.heapUsedMb === undefined ? null : round(m.heapUsedMb, 2),
      v8_heap_total_mb: m.heapTotalMb === undefined ? null : round(m.heapTotalMb, 2),
      external_mb: m.externalMb === undefined ? null : round(m.externalMb, 2),
    });
    const json = {
      ok: failure === undefined,
      failure: failure ?? null,
      overall: { create: phaseJson(merge(rounds.map((r) => r.create))), delete: phaseJson(merge(rounds.map((r) => r.delete))) },
      rounds: rounds.map((r) => ({
        round: r.round,
        create: phaseJson(r.create),
        delete: phaseJson(r.delete),
        memory: {
          before: memJson(r.mem.before), after_create: memJson(r.mem.afterCreate),
          after_api_use: memJson(r.mem.afterUse), after_delete: memJson(r.mem.afterDelete),
          rss_growth_mb: round(mb(r.mem.afterCreate.rssKb - r.mem.before.rssKb), 2),
          rss_growth_with_api_use_mb: round(mb(r.mem.afterUse.rssKb - r.mem.before.rssKb), 2),
        },
        checks: r.checks,
      })),
      targets: {
        p99_create_ms: TARGET_P99_CREATE_MS,
        p99_create_measured_ms: round(summary.p99, 3),
        p99_create_met: summary.p99Met,
        rss_growth_mb_per_1000_ports: TARGET_RSS_GROWTH_MB,
        rss_growth_measured_mb: round(summary.rssGrowthMb, 2),
        rss_growth_met: summary.rssMet,
      },
      other_dpdk_processes_seen: [...others].map(([p, c]) => ({ pid: p, comm: c })),
      daemon: { pid, code, dpdk: info.dpdkVersion, huge_pages: info.hugePages, memory: info.memory, max_ports: maxPorts },
      machine,
      date,
      settings: {
        ...opts, network: NETWORK, mode: 'server', settle_ms: SETTLE_MS, socket_deadline_ms: SOCKET_DEADLINE_MS,
        cpus: { main_lcore: 0, worker: 1 },
      },
    };
    await mkdir(dirname(RESULTS), { recursive: true });
    await writeFile(RESULTS, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`\nwrote ${RESULTS}`);
    if (failure) process.exitCode = 1;
  } catch (e) {
    // After a signal the pending calls fail as the daemon goes away: noise.
    if (!cleanup.interruptedBy) {
      if (daemon) {
        const errs = daemonErrors(daemon.logs);
        if (errs.length > 0) console.error(`daemon errors (last ${errs.length}):\n${errs.join('\n')}`);
      }
      throw e;
    }
  } finally {
    await cleanup.runAll(); // the same run as the signal handler's, if any
  }
}

interface Verdict {
  /** Worst round's p99 create latency, ms. */
  p99: number;
  p99Met: boolean;
  /** Worst round's RSS growth per 1,000 ports (scaled when N != 1000), MB. */
  rssGrowthMb: number;
  rssMet: boolean;
}

function report(rounds: RoundResult[], opts: ControlOptions, machine: string, failure: Failure | undefined): Verdict {
  const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '-');
  const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-');
  const row = (op: string, r: string, ph: PhaseResult): string[] => {
    const s = stats(ph);
    return [op, r, String(ph.done), f1(s.portsPerSec), f2(s.p50), f2(s.p90), f2(s.p99), f2(s.max),
      ph.serverMeanMs === undefined ? '-' : f2(ph.serverMeanMs), String(ph.late)];
  };
  const rows: string[][] = [];
  for (const r of rounds) rows.push(row('create', String(r.round), r.create), row('delete', String(r.round), r.delete));
  const all = { create: merge(rounds.map((r) => r.create)), delete: merge(rounds.map((r) => r.delete)) };
  if (rounds.length > 1) rows.push(row('create', 'all', all.create), row('delete', 'all', all.delete));

  console.log('');
  console.log(machine);
  console.log(
    `${opts.ports} server-mode port(s) x ${opts.rounds} round(s), one RPC at a time; latency = RPC sent -> RPC returned and ` +
    'socket file a socket (create) / gone (delete)',
  );
  console.log(table(['op', 'round', 'ports', 'ports/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'server mean ms', 'socket late'], rows));
  console.log('');
  console.log(`daemon memory (VmRSS, after ${SETTLE_MS / 1000} s quiet; V8 heap used from its /metrics), MB:`);
  const heap = (m: MemSample): string => (m.heapUsedMb === undefined ? '-' : f1(m.heapUsedMb));
  console.log(table(
    ['round', 'RSS before', 'created', 'API used', 'deleted', 'growth', 'per port KB', 'growth w/ API use', 'left after delete',
      'V8 heap used b/c/u/d', 'fds b/c/d'],
    rounds.map((r) => {
      const { before: b, afterCreate: c, afterUse: u, afterDelete: d } = r.mem;
      const g = c.rssKb - b.rssKb;
      return [String(r.round), f1(mb(b.rssKb)), f1(mb(c.rssKb)), f1(mb(u.rssKb)), f1(mb(d.rssKb)),
        f1(mb(g)), r.create.done > 0 ? f1(g / r.create.done) : '-', f1(mb(u.rssKb - b.rssKb)), f1(mb(d.rssKb - b.rssKb)),
        `${heap(b)}/${heap(c)}/${heap(u)}/${heap(d)}`, `${b.fds}/${c.fds}/${d.fds}`];
    }),
  ));
  console.log('(created: right after the creates; API used: after a /metrics scrape, ListPorts and GetPortStats with all ports)');
  const huge = rounds[0]?.mem.before.hugetlbKb ?? 0;
  const hugeAfter = rounds[0]?.mem.afterCreate.hugetlbKb ?? 0;
  console.log(`(hugetlbfs pages mapped, not in VmRSS: ${f1(mb(huge))} MB before, ${f1(mb(hugeAfter))} MB after creating)`);

  // Judged on the worst round, like the memory: later rounds run on a
  // warmed-up daemon and would flatter a pooled figure.
  const p99s = rounds.map((r) => stats(r.create).p99);
  const p99 = p99s.length ? Math.max(...p99s) : NaN;
  const complete = !failure && rounds.every((r) => r.create.done === opts.ports);
  const p99Met = complete && p99 <= TARGET_P99_CREATE_MS;
  console.log('');
  console.log(`p99 create-to-socket-ready: ${f2(p99)} ms` +
    `${rounds.length > 1 ? `, worst round (${p99s.indexOf(p99) + 1}; all rounds pooled: ${f2(stats(all.create).p99)} ms)` : ''}` +
    ` (target <= ${TARGET_P99_CREATE_MS} ms): ${p99Met ? 'MET' : 'NOT MET'}${complete ? '' : ' (run incomplete)'}`);
  const growths = rounds.filter((r) => r.create.done > 0).map((r) => (r.mem.afterCreate.rssKb - r.mem.before.rssKb) / r.create.done);
  const perPortKb = growths.length ? Math.max(...growths) : NaN;
  const scaled = mb(perPortKb * TARGET_RSS_PORTS);
  const rssMet = complete && scaled <= TARGET_RSS_GROWTH_MB;
  const exact = opts.ports === TARGET_RSS_PORTS;
  // Scaling a small run up counts its one-time costs (first port, JIT,
  // the vhost-events thread) N/1000 times over: an overestimate.
  const scaledNote = exact ? '' : ` (scaled linearly from ${opts.ports} ports: one-time costs make this an overestimate)`;
  console.log(
    `RSS growth for ${TARGET_RSS_PORTS} ports: ${f1(scaled)} MB${scaledNote}` +
    `${rounds.length > 1 ? ', worst round' : ''} (target <= ${TARGET_RSS_GROWTH_MB} MB): ${rssMet ? 'MET' : 'NOT MET'}` +
    `${complete ? '' : ' (run incomplete)'}`,
  );
  const withUse = rounds.filter((r) => r.create.done > 0).map((r) => (r.mem.afterUse.rssKb - r.mem.before.rssKb) / r.create.done);
  if (withUse.length > 0) {
    const u = mb(Math.max(...withUse) * TARGET_RSS_PORTS);
    console.log(
      `  with the API used once with all ports (a /metrics scrape, ListPorts, GetPortStats): ${f1(u)} MB` +
      `${exact ? '' : ' (scaled)'}, ${u <= TARGET_RSS_GROWTH_MB ? 'also within' : 'OVER'} the target`,
    );
  }
  if (failure) {
    console.log(`FAILED: ${failure.phase} of ${failure.port || '(all ports)'} in round ${failure.round}` +
      `${failure.index >= 0 ? ` (#${failure.index + 1} of ${opts.ports})` : ''}: ${failure.code}: ${failure.message}`);
  }
  return { p99, p99Met, rssGrowthMb: scaled, rssMet };
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
