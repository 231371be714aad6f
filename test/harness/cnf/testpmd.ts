// SPDX-License-Identifier: Apache-2.0
// A dpdk-testpmd "container": its own network and mount namespaces, seeing
// only its port directories (at /run/fastpath) and its own hugetlbfs
// instance, attached to fastpath ports with virtio_user. Driven through
// testpmd's interactive prompt on stdin. Used by the e2e tests, the demo and
// the bench (which also drives a plain host testpmd with TestpmdProcess).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONTAINER_SH = join(dirname(fileURLToPath(import.meta.url)), 'container.sh');
const PROMPT = 'testpmd> ';
const OUTPUT_TAIL = 256 * 1024; // characters of output kept for diagnostics
/** testpmd's eth_event_callback: printf("\nPort %u: %s event\n", ...). */
const PORT_EVENT = /\nPort \d+: [^\n]* event\n/g;
/** The end of a chunk that may be the start of one. */
const PARTIAL_EVENT = /\n(?:P(?:o(?:r(?:t(?: \d*(?::[^\n]*)?)?)?)?)?)?$/;

export interface VirtioPort {
  /**
   * Host directory of the fastpath port. When every port of the container
   * shares one directory it is seen as /run/fastpath; with several distinct
   * directories, the n-th one (in order of first use) is /run/fastpath/<n>.
   */
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
  /** A host hugetlbfs mount (a fastpath reservation) to use as /dev/hugepages. */
  hugeDir?: string;
  /** EAL -m; defaults to hugeMb / 2 (or 64 without hugepages). */
  memMb?: number;
  forwardMode?: string;
  mbufs?: number;
  /** Extra testpmd (application) arguments. */
  extraArgs?: string[];
  /**
   * The EAL attach arguments exactly as fastpath's API returned them
   * (--vdev, --single-file-segments, --file-prefix): used instead of the
   * ones built from `ports`, which then only says what to mount.
   */
  attachArgs?: string[];
  /** More vdevs after the fastpath ports (which stay ports 0..n-1), e.g. net_pcap. */
  extraVdevs?: string[];
  /** Milliseconds allowed for start-up and for each command. */
  timeoutMs?: number;
}

export interface TestpmdPortStats {
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
}

export interface TestpmdSpawnOptions {
  env?: Record<string, string>;
  /** Milliseconds allowed for start-up and for each command. */
  timeoutMs?: number;
}

/**
 * Any interactive testpmd (`-i`) whose stdin/stdout we own: commands are
 * written one at a time and each answer ends at the next prompt.
 */
export class TestpmdProcess {
  readonly name: string;
  protected readonly proc: ChildProcessWithoutNullStreams;
  /** stdout and stderr interleaved, for error messages. */
  private out = '';
  /** stdout alone: prompts are found here, since a stderr line can land in
   * the middle of one (testpmd writes "testpmd> " in pieces). */
  private stdoutText = '';
  /** stdout not yet in stdoutText: what may be the start of a port event. */
  private held = '';
  private readonly exited: Promise<number | null>;
  private busy: Promise<unknown> = Promise.resolve();
  protected readonly timeoutMs: number;
  /** What ends every answer: testpmd's, or another interactive DPDK tool's. */
  private readonly prompt: string;

  protected constructor(name: string, proc: ChildProcessWithoutNullStreams, timeoutMs: number, prompt = PROMPT) {
    this.name = name;
    this.proc = proc;
    this.timeoutMs = timeoutMs;
    this.prompt = prompt;
    proc.stdout.on('data', (d: Buffer) => {
      const text = d.toString();
      this.keep(text);
      this.takeStdout(text);
    });
    proc.stderr.on('data', (d: Buffer) => { this.keep(d.toString()); });
    this.exited = new Promise((done) => proc.once('exit', (code) => done(code)));
  }

  /**
   * Start argv (an interactive testpmd command line, possibly behind
   * wrappers such as stdbuf) and wait for its first prompt.
   */
  static async spawn(name: string, argv: string[], opts: TestpmdSpawnOptions = {}): Promise<TestpmdProcess> {
    const [cmd, ...args] = argv;
    if (cmd === undefined) throw new Error('empty testpmd command line');
    const proc = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const t = new TestpmdProcess(name, proc, opts.timeoutMs ?? 30_000);
    await t.ready();
    return t;
  }

  /** The tail of everything it printed, for diagnostics: bounded, because
   * a bench polls stats 100 times a second for minutes, and a string that
   * only grows makes every search of it slower (the harness's own CPU then
   * competes with what it measures). */
  get output(): string {
    return this.out;
  }

  /**
   * testpmd prints port events ("\nPort 0: link state change event\n")
   * from its interrupt thread, at any moment: also in the middle of its
   * prompt ("t" + event + "estpmd> "), which then never appears whole and a
   * command seems to hang. Events are dropped whole, and a tail that may be
   * the start of one waits for the next chunk.
   */
  private takeStdout(chunk: string): void {
    const text = (this.held + chunk).replace(PORT_EVENT, '');
    const partial = PARTIAL_EVENT.exec(text);
    const cut = partial ? partial.index : text.length;
    this.stdoutText += text.slice(0, cut);
    this.held = text.slice(cut);
  }

  private keep(text: string): void {
    this.out += text;
    if (this.out.length > 2 * OUTPUT_TAIL) this.out = this.out.slice(-OUTPUT_TAIL);
  }

  /** Pid of the process we spawned (a wrapper's pid when there is one). */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Run one command at the prompt; resolves with what it printed. */
  cmd(line: string): Promise<string> {
    const run = async (): Promise<string> => {
      const from = this.stdoutText.length;
      this.proc.stdin.write(`${line}\n`);
      const at = await this.waitFor(this.prompt, from);
      const text = this.stdoutText.slice(from, at);
      this.stdoutText = this.stdoutText.slice(at + this.prompt.length); // answered: searched no more
      return text;
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

  /** Wait for the first prompt; a testpmd that never gets there is killed. */
  protected async ready(): Promise<void> {
    try {
      await this.waitFor(this.prompt, 0);
    } catch (e) {
      this.proc.kill('SIGKILL');
      throw e;
    }
  }

  private waitFor(needle: string, from: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const at = this.stdoutText.indexOf(needle, from);
        if (at < 0) return false;
        cleanup();
        resolve(at);
        return true;
      };
      const onExit = (): void => {
        cleanup();
        reject(new Error(`${this.name}: exited:\n${this.out.slice(-3000)}`));
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

/** What a DPDK application in a container needs on the EAL side. */
export type ContainerEalOptions = Pick<TestpmdOptions, 'name' | 'ports' | 'cpu' | 'fwdCpu' | 'hugeMb' | 'hugeDir' | 'memMb' | 'attachArgs' | 'extraVdevs'>;

/**
 * The EAL arguments of a containerised DPDK application on fastpath ports
 * (vdevs, lcores, memory), and the environment container.sh reads to
 * mount its port directories and hugepages.
 */
export function containerEal(opts: ContainerEalOptions): { eal: string[]; env: Record<string, string> } {
  if (opts.ports.length === 0) throw new Error('a DPDK container needs at least one port');
  // Distinct directories in order of first use: their index is where the
  // container sees them when there are several.
  const dirs = [...new Set(opts.ports.map((p) => p.hostDir))];
  if (dirs.some((d) => d.includes('\n'))) throw new Error('port directories must not contain a newline');
  // One directory keeps the historic layout (/run/fastpath/<sock>).
  const inside = (p: VirtioPort): string => {
    const sock = p.sock ?? 'sock';
    return dirs.length === 1 ? sock : `${dirs.indexOf(p.hostDir)}/${sock}`;
  };
  const cpu = opts.cpu ?? 0;
  const huge = opts.hugeMb ?? 64;
  const mem = opts.memMb ?? (huge > 0 ? Math.floor(huge / 2) : 64);
  const vdevs = opts.ports.map((p, i) => {
    const kv = [
      `path=/run/fastpath/${inside(p)}`, `mac=${p.mac}`, `queues=${p.queues ?? 1}`,
      ...(p.server ? ['server=1'] : []), ...(p.packedVq ? ['packed_vq=1'] : []),
    ];
    return `--vdev=net_virtio_user${i},${kv.join(',')}`;
  });
  const eal = [
    '--lcores', `0@${cpu},1@${opts.fwdCpu ?? cpu}`,
    ...(opts.attachArgs ?? ['--file-prefix', `cnf-${opts.name}`, '--single-file-segments', ...vdevs]),
    ...(opts.extraVdevs ?? []).map((v) => `--vdev=${v}`),
    '-m', String(mem),
    '--no-pci',
    '--log-level', '*:notice',
    ...(huge > 0 ? ['--huge-dir', '/dev/hugepages'] : ['--no-huge']),
  ];
  const served = opts.ports.filter((p) => p.server).map(inside);
  const where: Record<string, string> = dirs.length === 1 ? { FP_PORT_DIR: dirs[0]! } : { FP_PORT_DIRS: dirs.join('\n') };
  return { eal, env: { ...where, FP_HUGE_MB: String(huge), FP_SERVER_SOCKS: served.join(' '), ...(opts.hugeDir ? { FP_HUGE_DIR: opts.hugeDir } : {}) } };
}

/** Run argv in a fresh container: own network and mount namespaces (container.sh). */
export function spawnInContainer(argv: string[], env: Record<string, string>): ChildProcessWithoutNullStreams {
  // FP_PORT_DIR/FP_PORT_DIRS select the layout: never inherit the other.
  const base = { ...process.env };
  delete base.FP_PORT_DIR;
  delete base.FP_PORT_DIRS;
  return spawn('unshare', ['--mount', '--net', '--fork', '--kill-child', '--', CONTAINER_SH, ...argv], {
    env: { ...base, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export class TestpmdContainer extends TestpmdProcess {
  private constructor(opts: TestpmdOptions, proc: ChildProcessWithoutNullStreams) {
    super(opts.name, proc, opts.timeoutMs ?? 30_000);
  }

  static args(opts: TestpmdOptions): { argv: string[]; env: Record<string, string> } {
    if (opts.ports.length === 0) throw new Error('testpmd container needs at least one port');
    const { eal, env } = containerEal(opts);
    const argv = [
      // stdout is a pipe: unbuffer it so output and prompts stay in order.
      'stdbuf', '-o0', '-e0',
      'dpdk-testpmd',
      ...eal,
      '--',
      '-i',
      `--total-num-mbufs=${opts.mbufs ?? 2048}`,
      '--nb-cores=1',
      `--forward-mode=${opts.forwardMode ?? 'rxonly'}`,
      ...(opts.extraArgs ?? []),
    ];
    return { argv, env };
  }

  /** Start the container and wait for testpmd's first prompt. */
  static async start(opts: TestpmdOptions): Promise<TestpmdContainer> {
    const { argv, env } = TestpmdContainer.args(opts);
    const c = new TestpmdContainer(opts, spawnInContainer(argv, env));
    await c.ready();
    return c;
  }
}
