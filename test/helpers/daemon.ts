// SPDX-License-Identifier: Apache-2.0
// Runs the real fastpathd as a child process on its own gRPC socket, state
// directory, socket root and EAL file prefix, and talks to it with the real
// gRPC client.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { FastpathClient } from '../../src/api/client.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// One process, no wrapper: signals (SIGTERM, SIGKILL) reach the daemon
// itself. The compiled daemon, as users run it (test/helpers/global-setup.ts
// keeps .dist current).
const NODE = process.execPath;
const MAIN = join(ROOT, '.dist', 'fastpathd', 'main.js'); // the bundle, as shipped
/** The environment a service manager gives fastpathd, not this shell's: a
 * runner's NODE_EXTRA_CA_CERTS makes Node parse a CA bundle at boot (~40 ms
 * of every start here) for a daemon that makes no TLS connection; the
 * caller's NODE_OPTIONS (flags, preloaded modules) are not the daemon's
 * either. */
const DAEMON_ENV = (() => {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS;
  return env;
})();

let built = false;
/** Benchmarks use this helper too, without vitest's global setup. */
function ensureBuilt(): void {
  if (built) return;
  const r = spawnSync('bash', [join(ROOT, 'deploy', 'host', 'build-js.sh'), '--if-stale'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('deploy/host/build-js.sh failed');
  built = true;
}

export interface DaemonPaths {
  /** A network namespace (ip netns) to run in, as a node of its own; the
   * mount namespace stays the host's (sockets, hugepage mounts). */
  netns?: string;
  base: string;
  grpcSocket: string;
  stateDir: string;
  socketRoot: string;
  filePrefix: string;
}

export function daemonPaths(tag: string): DaemonPaths {
  const base = `/run/fastpath-test/d-${tag}`;
  return {
    base,
    grpcSocket: join(base, 'fastpath.sock'),
    stateDir: `/tmp/fastpath-test-state-${tag}`,
    socketRoot: join(base, 'ports'),
    filePrefix: `fptest-d-${tag}`,
  };
}

export class Daemon {
  readonly paths: DaemonPaths;
  readonly client: FastpathClient;
  private proc: ChildProcess | undefined;
  private out = '';
  metricsUrl: string | undefined;

  private constructor(paths: DaemonPaths) {
    this.paths = paths;
    this.client = new FastpathClient(`unix://${paths.grpcSocket}`, 30_000);
  }

  /** Fresh directories (state included) for a new test file. */
  static fresh(tag: string): DaemonPaths {
    const p = daemonPaths(tag);
    rmSync(p.base, { recursive: true, force: true });
    rmSync(p.stateDir, { recursive: true, force: true });
    return p;
  }

  /** Start fastpathd and wait for its "ready" log line. */
  static async start(paths: DaemonPaths, extra: string[] = []): Promise<Daemon> {
    const d = new Daemon(paths);
    await d.spawn(extra);
    return d;
  }

  get logs(): string {
    return this.out;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  args(extra: string[] = []): string[] {
    ensureBuilt();
    const p = this.paths;
    return [
      MAIN,
      '--grpc-socket', p.grpcSocket, '--state-dir', p.stateDir, '--socket-root', p.socketRoot,
      '--file-prefix', p.filePrefix, '--main-cpu', '0', '--worker-cpus', '1', '--metrics', '127.0.0.1:0',
      '--hugepage-root', join(p.base, 'hugepages'),
      ...extra,
    ];
  }

  /** Run fastpathd to completion (for start-up failures): exit code and output. */
  static run(paths: DaemonPaths, extra: string[] = [], timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
    const d = new Daemon(paths);
    return new Promise((resolve) => {
      const proc = spawn(...d.command(extra), { cwd: ROOT, env: DAEMON_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      proc.stdout.on('data', (b: Buffer) => { output += b.toString(); });
      proc.stderr.on('data', (b: Buffer) => { output += b.toString(); });
      const t = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      // 'close': the output is complete (see stop()).
      proc.on('close', (code) => { clearTimeout(t); d.client.close(); resolve({ code, output }); });
    });
  }

  /** The program and its arguments: node itself, or nsenter, which execs
   * it in the namespace (the same process: signals still reach it). */
  private command(extra: string[]): [string, string[]] {
    const ns = this.paths.netns;
    return ns ? ['nsenter', [`--net=/run/netns/${ns}`, '--', NODE, ...this.args(extra)]] : [NODE, this.args(extra)];
  }

  private spawn(extra: string[]): Promise<void> {
    const proc = spawn(...this.command(extra), { cwd: ROOT, env: DAEMON_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    this.out = '';
    proc.stdout!.on('data', (b: Buffer) => { this.out += b.toString(); });
    proc.stderr!.on('data', (b: Buffer) => { this.out += b.toString(); });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { cleanup(); proc.kill('SIGKILL'); reject(new Error(`fastpathd not ready in 60 s:\n${this.out}`)); }, 60_000);
      const onData = (): void => {
        const m = /"metrics":"(http:[^"]+)"/.exec(this.out);
        if (m) this.metricsUrl = m[1];
        if (this.out.includes('"step":"ready"')) { cleanup(); resolve(); }
      };
      const onExit = (code: number | null): void => { cleanup(); reject(new Error(`fastpathd exited (${code}):\n${this.out}`)); };
      const cleanup = (): void => { clearTimeout(timer); proc.stdout!.off('data', onData); proc.off('exit', onExit); };
      proc.stdout!.on('data', onData);
      proc.once('exit', onExit);
    });
  }

  /** SIGTERM and wait. */
  async stop(): Promise<number | null> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return p?.exitCode ?? null;
    // 'close', not 'exit': the last log lines may still be in the pipe
    // when the process is gone.
    const done = new Promise<number | null>((r) => p.once('close', (c) => r(c)));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 20_000);
    const code = await done;
    clearTimeout(t);
    return code;
  }

  /** SIGKILL: a crash, as far as the daemon can tell. */
  async kill9(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const done = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGKILL');
    await done;
  }

  /** Start again on the same paths (and state). */
  async restart(extra: string[] = []): Promise<void> {
    await this.spawn(extra);
  }

  /** Stop, close the client, remove every directory of this daemon; fail if it lives on. */
  async dispose(): Promise<void> {
    await this.stop();
    this.client.close();
    // A reservation left mounted would outlive the directories removed below.
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m.startsWith(`${this.paths.base}/`));
    for (const m of mounts) spawnSync('umount', ['-l', m]);
    if (mounts.length > 0) throw new Error(`mounts left behind: ${mounts.join(', ')}`);
    const left = spawnSync('pgrep', ['-f', `--file-prefix ${this.paths.filePrefix}( |$)`], { encoding: 'utf8' }).stdout.trim();
    if (left) throw new Error(`fastpathd processes left behind (pids ${left.replace(/\n/g, ', ')})`);
    rmSync(this.paths.base, { recursive: true, force: true });
    rmSync(this.paths.stateDir, { recursive: true, force: true });
    if (existsSync(`/var/run/dpdk/${this.paths.filePrefix}`)) rmSync(`/var/run/dpdk/${this.paths.filePrefix}`, { recursive: true, force: true });
  }
}
