// SPDX-License-Identifier: Apache-2.0
// The switch under test: our data plane as the e2e fixture runs it (fp-ctl
// on CPU 0, one worker on CPU 1), with one network and two server-mode
// ports for the guest. One data plane per trial, each in a fastpath-host
// child process (see there for why), so trials of both switches can
// alternate.
import { fork, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { SwitchName } from './args.js';
import type { Cleanup } from './cleanup.js';
import type { FromHost, HostConfig, ToHost } from './fastpath-ipc.js';
import type { SocketDir } from './guest.js';
import type { SwitchSample, SwitchUnderTest } from './switch.js';
import { until } from '../../test/harness/wait.js';
import { removeEalRuntimeDir } from './util.js';

export const SWITCH_MAIN_CPU = 0;
export const SWITCH_WORKER_CPU = 1;
/** Same pool and memory as the testpmd-io baseline gets. */
export const SWITCH_MBUFS = 16384;
export const SWITCH_MEMORY_MB = 256;

/** fastpath rows of the loop bench: rules in the flow table the traffic meets. */
export type FastpathVariant = Extract<SwitchName, 'fastpath' | 'fastpath-acl100' | 'fastpath-acl10k' | 'fastpath-mq2'>;
export const FLOW_RULES: Record<FastpathVariant, number> = { fastpath: 0, 'fastpath-acl100': 100, 'fastpath-acl10k': 10_000, 'fastpath-mq2': 0 };
/** Beyond the loop's two ports (the scaling bench): port pairs, each in a network of its own, and MAC table size. */
export type SwitchShape = Pick<HostConfig, 'pairs' | 'macTableSize'>;

/** Queue pairs per port (the guest uses as many). */
export const QUEUES: Record<FastpathVariant, number> = { fastpath: 1, 'fastpath-acl100': 1, 'fastpath-acl10k': 1, 'fastpath-mq2': 2 };

const HOST = fileURLToPath(new URL('./fastpath-host.ts', import.meta.url));
const START_TIMEOUT_MS = 60_000;
const CALL_TIMEOUT_MS = 10_000;

export class FastpathSwitch implements SwitchUnderTest {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (m: FromHost & { type: 'stats' | 'rules' }) => void; reject: (e: Error) => void }>();
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly sockets: readonly SocketDir[],
    readonly dpdkVersion: string,
    private readonly undo: Array<() => Promise<void>>,
    readonly name: FastpathVariant,
    /** How long the data plane took to install its flow table (0: none). */
    readonly flowInstallMs: number,
  ) {
    this.exited = new Promise((done) => {
      if (child.exitCode !== null || child.signalCode !== null) done();
      else child.once('exit', () => done());
    });
    child.on('message', (m: FromHost) => {
      if (m.type !== 'stats' && m.type !== 'rules') return;
      this.pending.get(m.id)?.resolve(m);
      this.pending.delete(m.id);
    });
    child.once('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`fastpath host exited (${code})`));
      this.pending.clear();
    });
  }

  static async start(
    cleanup: Cleanup, root: string, tag: string, name: FastpathVariant = 'fastpath', shape: SwitchShape = {},
  ): Promise<FastpathSwitch> {
    const flows = FLOW_RULES[name];
    const cfg: HostConfig = {
      mainCpu: SWITCH_MAIN_CPU,
      workerCpu: SWITCH_WORKER_CPU,
      filePrefix: `fpbench-fp-${process.pid}-${tag}`,
      socketRoot: join(root, `fastpath-${tag}`, 'ports'),
      memoryMb: SWITCH_MEMORY_MB,
      nMbufs: SWITCH_MBUFS,
      flows,
      queues: QUEUES[name],
      ...shape,
    };
    // Registered before the child starts: whatever it leaves behind if it
    // dies half-way goes too.
    const undo = [
      cleanup.defer(`remove ${cfg.socketRoot}`, () => rm(join(root, `fastpath-${tag}`), { recursive: true, force: true })),
      cleanup.defer(`remove /var/run/dpdk/${cfg.filePrefix}`, () => removeEalRuntimeDir(cfg.filePrefix)),
    ];
    // fork() passes this process's execArgv (the tsx loader) to the child.
    const child = fork(HOST, [JSON.stringify(cfg)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    undo.push(cleanup.defer('stop the fastpath host', async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: 'stop' } satisfies ToHost);
      else child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    }));
    const ready = await new Promise<FromHost & { type: 'ready' }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fastpath host not ready within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      child.on('message', (m: FromHost) => {
        if (m.type === 'ready') { clearTimeout(timer); resolve(m); }
        if (m.type === 'error') { clearTimeout(timer); reject(new Error(`fastpath host: ${m.message}`)); }
      });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`fastpath host exited (${code}) before it was ready`)); });
    });
    return new FastpathSwitch(child, ready.sockets, ready.dpdkVersion, undo, name, ready.flowInstallMs);
  }

  /** Stop the data plane (the worker stops spinning on CPU 1) and remove its files. */
  async stop(): Promise<void> {
    for (const step of this.undo.reverse()) await step();
    this.undo.length = 0;
    await this.exited;
  }

  private call<T extends 'stats' | 'rules'>(msg: { type: T; rules?: number }, timeoutMs = CALL_TIMEOUT_MS): Promise<FromHost & { type: T }> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`fastpath host did not answer a ${msg.type} request`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (m) => { clearTimeout(timer); resolve(m as FromHost & { type: T }); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.child.send({ ...msg, id } as unknown as ToHost);
    });
  }

  private stats(): Promise<FromHost & { type: 'stats' }> {
    return this.call<'stats'>({ type: 'stats' });
  }

  /** Replace every network's flow table with `n` rules (0: none); resolves with the install time, ms. */
  async setRules(n: number): Promise<number> {
    const r = await this.call<'rules'>({ type: 'rules', rules: n }, 120_000);
    if (r.error !== undefined) throw new Error(`fastpath host: ${n} rules: ${r.error}`);
    return r.ms;
  }

  async waitLinks(up: boolean, timeoutMs: number): Promise<void> {
    await until(
      async () => (await this.stats()).links,
      (links) => links.length === this.sockets.length && links.every((l) => l === up),
      `fastpath ports ${up ? 'up' : 'down'}`,
      timeoutMs,
    );
  }

  async sample(): Promise<SwitchSample> {
    return (await this.stats()).sample;
  }
}
