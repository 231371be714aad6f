// SPDX-License-Identifier: Apache-2.0
// The third switch under test: Open vSwitch 3.1 with its DPDK datapath
// (Debian `openvswitch-switch-dpdk`), as people deploy it for vhost-user
// guests: bridge br0 (datapath_type=netdev), two dpdkvhostuserclient ports
// and two OpenFlow rules (port 1 -> 2, 2 -> 1). The scaling bench asks for
// more: a bridge per port pair (br<i>, ports 1 and 2 of each), MAC learning
// (the NORMAL action, what fastpath's L2 switching does) and rule tables
// replaced at run time (setRules). Never the system service:
// every trial starts its own ovsdb-server and ovs-vswitchd with their own
// database, run, log and socket directories under the bench root, the
// same CPUs (main lcore 0, one PMD thread on CPU 1) and 256 MiB of
// hugepages like the other switches.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { Cleanup } from './cleanup.js';
import { loopFlowTexts } from './flow-rules.js';
import { SWITCH_MAIN_CPU, SWITCH_MEMORY_MB, SWITCH_WORKER_CPU } from './fastpath.js';
import type { SocketDir } from './guest.js';
import type { SwitchSample, SwitchUnderTest } from './switch.js';
import { until } from '../../test/harness/wait.js';
import { removeEalRuntimeDir } from './util.js';

export const OVS_VSWITCHD_DPDK = '/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk';
const OVS_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';
export const OVS_INSTALL_HINT = 'apt-get install -y openvswitch-switch-dpdk (or run the bench with --install-ovs)';
const START_TIMEOUT_MS = 60_000;
const CMD_TIMEOUT_MS = 15_000;

export interface OvsOptions {
  /** Port pairs, bridge br<i> for pair i (default 1). */
  pairs?: number;
  /** loop: in_port rules 1 -> 2 and 2 -> 1 (the loop bench); normal: MAC learning. */
  mode?: 'loop' | 'normal';
  /** MAC learning table entries per bridge (OVS's default is 2048). */
  macTableSize?: number;
  /** The ports' MTU (mtu_request) for frames over 1514 bytes; OVS drops
   * bigger frames than its 1500 default, where the others take them. */
  mtu?: number;
}

/**
 * One of the benches' flow texts (bench/lib/flow-rules.ts) as ovs-ofctl
 * takes it: OVS matches transport ports by value/mask, not by range, so a
 * range must be an aligned power-of-two block (the decoys' are).
 */
export function ovsFlowText(text: string): string {
  return text.replace(/\b(tp_(?:src|dst))=(\d+)-(\d+)/g, (_m, f: string, a: string, b: string) => {
    const lo = Number(a);
    const size = Number(b) - lo + 1;
    if (size <= 0 || (size & (size - 1)) !== 0 || lo % size !== 0) throw new Error(`OVS cannot match ${f}=${a}-${b}: not an aligned power-of-two block`);
    return `${f}=0x${lo.toString(16)}/0x${((0xffff & ~(size - 1)) >>> 0).toString(16)}`;
  });
}

export function ovsAvailable(): boolean {
  return existsSync(OVS_VSWITCHD_DPDK) && existsSync(OVS_SCHEMA);
}

/** The benches' --install-ovs. */
export function installOvs(): void {
  console.log('installing OVS-DPDK: apt-get install -y openvswitch-switch-dpdk');
  const r = spawnSync('apt-get', ['install', '-y', 'openvswitch-switch-dpdk'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0 || !ovsAvailable()) throw new Error(`apt-get install openvswitch-switch-dpdk failed (${r.status ?? r.signal ?? r.error?.message})`);
}

/** `ovs-vswitchd-dpdk --version`, e.g. "3.1.0" and "DPDK 22.11.x". */
export function ovsVersion(): Promise<string> {
  return run(OVS_VSWITCHD_DPDK, ['--version'], {}).then((t) => t.split('\n').filter(Boolean).join(', '));
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = CMD_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.once('error', (e) => { clearTimeout(t); reject(e); });
    p.once('close', (code, sig) => {
      clearTimeout(t);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')}: exit ${code ?? sig}\n${err}${out}`));
    });
  });
}

export interface PmdStats {
  packets: number;
  processingCycles: number;
  idleCycles: number;
}

/**
 * Parse `ovs-appctl dpif-netdev/pmd-stats-show -pmd <core>`: "packets
 * received: N", "idle cycles: N (x%)", "processing cycles: N (y%)".
 * Processing cycles are the TSC cycles of PMD iterations that received at
 * least one packet (with their lookup and tx), idle cycles the others.
 */
export function parsePmdStats(text: string): PmdStats {
  const num = (re: RegExp): number => {
    const m = re.exec(text);
    if (!m) throw new Error(`no ${re.source} in pmd-stats-show:\n${text}`);
    return Number(m[1]);
  };
  return {
    packets: num(/packets received:\s*(\d+)/),
    processingCycles: num(/processing cycles:\s*(\d+)/),
    idleCycles: num(/idle cycles:\s*(\d+)/),
  };
}

/** Sum of the RX and TX "dropped" counters of `ovs-appctl dpctl/show -s`. */
export function parseDpctlDrops(text: string): number {
  return [...text.matchAll(/[RT]X packets:\d+ errors:\d+ dropped:(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
}

export class OvsDpdkSwitch implements SwitchUnderTest {
  readonly name = 'ovs-dpdk';
  private first: { at: number; cycles: number } | undefined;
  private tscHz = 0;

  private constructor(
    readonly sockets: readonly SocketDir[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly vswitchdCtl: string,
    private readonly undo: Array<() => Promise<void>>,
    private readonly base: string,
    private readonly mode: 'loop' | 'normal',
  ) {}

  static async start(cleanup: Cleanup, root: string, tag: string, o: OvsOptions = {}): Promise<OvsDpdkSwitch> {
    const pairs = o.pairs ?? 1;
    const mode = o.mode ?? 'loop';
    if (!ovsAvailable()) throw new Error(`OVS-DPDK is not installed: ${OVS_INSTALL_HINT}`);
    const prefix = `fpbench-ovs-${process.pid}-${tag}`;
    const base = join(root, `ovs-${tag}`);
    const run_ = join(base, 'run');
    // One directory per socket, as for the other switches. The guest's
    // virtio_user serves them (server=1); OVS connects as the client
    // (dpdkvhostuserclient, the port type OVS recommends) and reconnects.
    const sockets: SocketDir[] = Array.from({ length: 2 * pairs }, (_, i) => ({ hostDir: join(base, `p${i}`), sock: 'sock', guestServes: true }));
    const undo = [cleanup.defer(`remove ${base}`, () => rm(base, { recursive: true, force: true }))];
    for (const d of [run_, ...sockets.map((s) => s.hostDir)]) await mkdir(d, { recursive: true, mode: 0o755 });
    undo.push(cleanup.defer(`remove /var/run/dpdk/${prefix}`, () => removeEalRuntimeDir(prefix)));
    // Everything OVS would put in /var/run/openvswitch, /var/log/openvswitch
    // and /etc/openvswitch goes to our directory instead.
    const env: NodeJS.ProcessEnv = { OVS_RUNDIR: run_, OVS_LOGDIR: run_, OVS_DBDIR: run_, OVS_SYSCONFDIR: run_, OVS_PKGDATADIR: '/usr/share/openvswitch' };
    const db = join(run_, 'conf.db');
    const dbSock = join(run_, 'db.sock');
    const vswitchdCtl = join(run_, 'ovs-vswitchd.ctl');
    await run('ovsdb-tool', ['create', db, OVS_SCHEMA], env);

    const daemon = (what: string, argv: string[]): ChildProcess => {
      // Foreground children that die with us even if we are SIGKILLed, in
      // their own process group: a Ctrl-C reaches only the bench, whose
      // cleanup stops ovs-vswitchd before ovsdb-server.
      const p = spawn('setpriv', ['--pdeathsig', 'KILL', '--', ...argv], {
        env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], detached: true,
      });
      let err = '';
      p.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-4000); });
      const exited = new Promise<void>((done) => p.once('exit', () => done()));
      p.once('exit', (code, sig) => {
        if (stopping) return;
        const log = join(run_, `${what}.log`);
        const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-20).join('\n') : '';
        console.error(`${what} exited (${code ?? sig}) during the trial:\n${err}${tail}`);
      });
      let stopping = false;
      undo.push(cleanup.defer(`stop ${what}`, async () => {
        stopping = true;
        if (p.exitCode !== null || p.signalCode !== null) return;
        p.kill('SIGTERM');
        const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }));
      return p;
    };

    daemon('ovsdb-server', [
      'ovsdb-server', db,
      `--remote=punix:${dbSock}`,
      `--unixctl=${join(run_, 'ovsdb-server.ctl')}`,
      `--pidfile=${join(run_, 'ovsdb-server.pid')}`,
      `--log-file=${join(run_, 'ovsdb-server.log')}`, '-vconsole:off',
    ]);
    await until(async () => existsSync(dbSock), (x) => x, 'ovsdb-server socket', START_TIMEOUT_MS);
    const vsctl = (...args: string[]): Promise<string> => run('ovs-vsctl', [`--db=unix:${dbSock}`, '--timeout=10', ...args], env);
    await vsctl('--no-wait', 'init');
    await vsctl(
      '--no-wait', 'set', 'Open_vSwitch', '.',
      'other_config:dpdk-init=true',
      `other_config:dpdk-lcore-mask=0x${(1 << SWITCH_MAIN_CPU).toString(16)}`,
      `other_config:pmd-cpu-mask=0x${(1 << SWITCH_WORKER_CPU).toString(16)}`,
      `other_config:dpdk-socket-mem=${SWITCH_MEMORY_MB}`,
      `other_config:dpdk-socket-limit=${SWITCH_MEMORY_MB}`,
      `other_config:dpdk-hugepage-dir=/dev/hugepages`,
      `other_config:dpdk-extra=--file-prefix=${prefix} --no-pci --huge-unlink`,
      // One rx queue per port, both polled by the one PMD thread.
      'other_config:pmd-auto-lb=false',
    );
    daemon('ovs-vswitchd', [
      OVS_VSWITCHD_DPDK, `unix:${dbSock}`,
      `--unixctl=${vswitchdCtl}`,
      `--pidfile=${join(run_, 'ovs-vswitchd.pid')}`,
      `--log-file=${join(run_, 'ovs-vswitchd.log')}`, '-vconsole:off',
    ]);
    // DPDK init and the mempools take a few seconds; vsctl waits for the
    // daemon to apply each change (no --no-wait from here on).
    await until(async () => existsSync(vswitchdCtl), (x) => x, 'ovs-vswitchd control socket', START_TIMEOUT_MS);
    for (let b = 0; b < pairs; b++) {
      const br = `br${b}`;
      await vsctl(
        'add-br', br, '--', 'set', 'bridge', br, 'datapath_type=netdev', 'fail-mode=secure',
        ...(o.macTableSize ? [`other_config:mac-table-size=${o.macTableSize}`] : []),
      );
      for (const side of [0, 1]) {
        const i = 2 * b + side;
        await vsctl(
          'add-port', br, `vhu${i}`, '--', 'set', 'Interface', `vhu${i}`, 'type=dpdkvhostuserclient',
          `options:vhost-server-path=${join(sockets[i]!.hostDir, sockets[i]!.sock)}`, `ofport_request=${side + 1}`,
          ...(o.mtu ? [`mtu_request=${o.mtu}`] : []),
        );
      }
    }
    const sw = new OvsDpdkSwitch(sockets, env, vswitchdCtl, undo, base, mode);
    await sw.setRules(0);
    return sw;
  }

  /**
   * Replace every bridge's flow table: n of the benches' rules
   * (loopFlowTexts: decoys, then in_port 1 -> 2 and 2 -> 1), or with n = 0
   * the switch's own mode. Returns how long ovs-ofctl took, ms.
   */
  async setRules(n: number): Promise<number> {
    const texts = n > 0 ? loopFlowTexts(n, ['1', '2']).map(ovsFlowText)
      : this.mode === 'normal' ? ['priority=0,actions=NORMAL'] : ['in_port=1,actions=output:2', 'in_port=2,actions=output:1'];
    const file = join(this.base, 'flows.txt');
    await writeFile(file, `${texts.join('\n')}\n`);
    const t0 = performance.now();
    for (let b = 0; b < this.sockets.length / 2; b++) await run('ovs-ofctl', ['replace-flows', `br${b}`, file], this.env, CMD_TIMEOUT_MS * 8);
    return performance.now() - t0;
  }

  private appctl(...args: string[]): Promise<string> {
    return run('ovs-appctl', ['-t', this.vswitchdCtl, ...args], this.env);
  }

  /** Stop ovs-vswitchd, then ovsdb-server, and remove their directories. */
  async stop(): Promise<void> {
    for (const step of this.undo.reverse()) await step();
    this.undo.length = 0;
  }

  async waitLinks(up: boolean, timeoutMs: number): Promise<void> {
    await until(
      async () => {
        const out = await run('ovs-vsctl', [`--db=unix:${join(this.env.OVS_RUNDIR!, 'db.sock')}`, '--bare', '--columns=link_state', 'find', 'Interface', 'type=dpdkvhostuserclient'], this.env);
        return out.split('\n').map((l) => l.trim()).filter(Boolean);
      },
      (links) => links.length === this.sockets.length && links.every((l) => l === (up ? 'up' : 'down')),
      `ovs-dpdk vhost ports ${up ? 'up' : 'down'}`,
      timeoutMs,
    );
    if (up) {
      // Counters from here on only (the trial uses deltas anyway).
      await this.appctl('dpif-netdev/pmd-stats-clear');
    }
  }

  async sample(): Promise<SwitchSample> {
    const [pmd, dp] = await Promise.all([
      this.appctl('dpif-netdev/pmd-stats-show', '-pmd', String(SWITCH_WORKER_CPU)),
      this.appctl('dpctl/show', '-s'),
    ]);
    const at = performance.now();
    const s = parsePmdStats(pmd);
    // OVS does not print its TSC rate; the PMD thread spins all the time,
    // so its idle + processing cycles over wall time are the TSC rate.
    const cycles = s.idleCycles + s.processingCycles;
    if (!this.first) this.first = { at, cycles };
    else if (at - this.first.at > 500) this.tscHz = ((cycles - this.first.cycles) / (at - this.first.at)) * 1000;
    return { busyCycles: s.processingCycles, packets: s.packets, drops: parseDpctlDrops(dp), tscHz: this.tscHz };
  }
}
