// SPDX-License-Identifier: Apache-2.0
// A dpdk-testpmd "container": its own network and mount namespaces, seeing
// only its port directory (at /run/fastpath) and its own hugetlbfs instance,
// attached to a fastpath port with virtio_user. Driven through testpmd's
// interactive prompt on stdin. Used by the e2e tests, the demo and the bench.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONTAINER_SH = join(dirname(fileURLToPath(import.meta.url)), 'container.sh');
const PROMPT = 'testpmd> ';

export interface VirtioPort {
  /** Host directory of the fastpath port; seen as /run/fastpath inside. */
  hostDir: string;
  /** Socket file name inside hostDir. */
  sock?: string;
  mac: string;
  /** virtio_user serves the socket (fastpath port in client mode). */
  server?: boolean;
  queues?: number;
  packedVq?: boolean;
}

export interface TestpmdOptions {
  name: string;
  /** One port is the common case; the loop bench uses two. */
  ports: VirtioPort[];
  /** CPU for both the main and the forwarding lcore. */
  cpu?: number;
  /** Separate CPU for the forwarding lcore. */
  fwdCpu?: number;
  /** hugetlbfs quota in MiB; 0 runs testpmd with --no-huge. */
  hugeMb?: number;
  /** EAL -m; defaults to hugeMb / 2 (or 64 without hugepages). */
  memMb?: number;
  forwardMode?: string;
  mbufs?: number;
  /** Extra testpmd (application) arguments. */
  extraArgs?: string[];
  /** Milliseconds allowed for start-up and for each command. */
  timeoutMs?: number;
}

export interface TestpmdPortStats {
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
}

export class TestpmdContainer {
  readonly name: string;
  private readonly proc: ChildProcessWithoutNullStreams;
  private out = '';
  private exited: Promise<number | null>;
  private busy: Promise<unknown> = Promise.resolve();
  private readonly timeoutMs: number;

  private constructor(opts: TestpmdOptions, proc: ChildProcessWithoutNullStreams) {
    this.name = opts.name;
    this.proc = proc;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    proc.stdout.on('data', (d: Buffer) => { this.out += d.toString(); });
    proc.stderr.on('data', (d: Buffer) => { this.out += d.toString(); });
    this.exited = new Promise((done) => proc.once('exit', (code) => done(code)));
  }

  static args(opts: TestpmdOptions): { argv: string[]; env: Record<string, string> } {
    if (opts.ports.length === 0) throw new Error('testpmd container needs at least one port');
    const dirs = new Set(opts.ports.map((p) => p.hostDir));
    if (dirs.size !== 1) throw new Error('all ports of one container must share its directory');
    const cpu = opts.cpu ?? 0;
    const huge = opts.hugeMb ?? 64;
    const mem = opts.memMb ?? (huge > 0 ? Math.floor(huge / 2) : 64);
    const vdevs = opts.ports.map((p, i) => {
      const kv = [
        `path=/run/fastpath/${p.sock ?? 'sock'}`, `mac=${p.mac}`, `queues=${p.queues ?? 1}`,
        ...(p.server ? ['server=1'] : []), ...(p.packedVq ? ['packed_vq=1'] : []),
      ];
      return `--vdev=net_virtio_user${i},${kv.join(',')}`;
    });
    const argv = [
      // stdout is a pipe: unbuffer it so output and prompts stay in order.
      'stdbuf', '-o0', '-e0',
      'dpdk-testpmd',
      '--lcores', `0@${cpu},1@${opts.fwdCpu ?? cpu}`,
      '--file-prefix', `cnf-${opts.name}`,
      '--single-file-segments',
      '-m', String(mem),
      '--no-pci',
      '--log-level', '*:notice',
      ...(huge > 0 ? ['--huge-dir', '/dev/hugepages'] : ['--no-huge']),
      ...vdevs,
      '--',
      '-i',
      `--total-num-mbufs=${opts.mbufs ?? 2048}`,
      '--nb-cores=1',
      `--forward-mode=${opts.forwardMode ?? 'rxonly'}`,
      ...(opts.extraArgs ?? []),
    ];
    const served = opts.ports.filter((p) => p.server).map((p) => p.sock ?? 'sock');
    return { argv, env: { FP_PORT_DIR: [...dirs][0]!, FP_HUGE_MB: String(huge), FP_SERVER_SOCKS: served.join(' ') } };
  }

  /** Start the container and wait for testpmd's first prompt. */
  static async start(opts: TestpmdOptions): Promise<TestpmdContainer> {
    const { argv, env } = TestpmdContainer.args(opts);
    const proc = spawn('unshare', ['--mount', '--net', '--fork', '--kill-child', '--', CONTAINER_SH, ...argv], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const c = new TestpmdContainer(opts, proc);
    try {
      await c.waitFor(PROMPT, 0);
    } catch (e) {
      proc.kill('SIGKILL');
      throw e;
    }
    return c;
  }

  get output(): string {
    return this.out;
  }

  /** Run one command at the prompt; resolves with what it printed. */
  cmd(line: string): Promise<string> {
    const run = async (): Promise<string> => {
      const from = this.out.length;
      this.proc.stdin.write(`${line}\n`);
      const at = await this.waitFor(PROMPT, from);
      return this.out.slice(from, at);
    };
    const p = this.busy.then(run, run);
    this.busy = p.catch(() => undefined);
    return p;
  }

  async portStats(port = 0): Promise<TestpmdPortStats> {
    const text = await this.cmd(`show port stats ${port}`);
    const num = (re: RegExp): number => {
      const m = re.exec(text);
      if (!m) throw new Error(`${this.name}: cannot parse port stats:\n${text}`);
      return Number(m[1]);
    };
    return {
      rxPackets: num(/RX-packets:\s+(\d+)/),
      txPackets: num(/TX-packets:\s+(\d+)/),
      rxBytes: num(/RX-bytes:\s+(\d+)/),
      txBytes: num(/TX-bytes:\s+(\d+)/),
    };
  }

  /** Poll port stats until pred holds or the deadline passes. */
  async waitStats(pred: (s: TestpmdPortStats) => boolean, port = 0, timeoutMs = this.timeoutMs): Promise<TestpmdPortStats> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.portStats(port);
      if (pred(s)) return s;
      if (Date.now() > deadline) {
        throw new Error(`${this.name}: port ${port} stats never matched: ${JSON.stringify(s)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Quit testpmd (SIGKILL if it does not leave in time). */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.stdin.write('quit\n');
    this.proc.stdin.end();
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(t);
  }

  /** Abrupt end, as when a container is killed. */
  async kill(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await this.exited;
  }

  private waitFor(needle: string, from: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const at = this.out.indexOf(needle, from);
        if (at < 0) return false;
        cleanup();
        resolve(at);
        return true;
      };
      const onExit = (): void => {
        cleanup();
        reject(new Error(`${this.name}: testpmd exited:\n${this.out.slice(-3000)}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.name}: no '${needle.trim()}' within ${this.timeoutMs} ms:\n${this.out.slice(-3000)}`));
      }, this.timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.proc.stdout.off('data', onData);
        this.proc.stderr.off('data', onData);
        this.proc.off('exit', onExit);
      };
      // Registered after the constructor's listeners, so `out` is current.
      const onData = (): void => { check(); };
      this.proc.stdout.on('data', onData);
      this.proc.stderr.on('data', onData);
      this.proc.once('exit', onExit);
      check();
    });
  }
}
