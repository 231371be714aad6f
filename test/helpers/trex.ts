// SPDX-License-Identifier: Apache-2.0
// Where the real TRex server is (the team's build of v3.08, see
// ../shared/trex/README.md), and running it for a test.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { TrexClient } from '../../bench/trex/client.js';
import { until } from '../harness/wait.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** FASTPATH_TREX_DIR, else ../shared/trex beside the checkout, else the team machines' copy. */
export function findTrex(env: NodeJS.ProcessEnv = process.env): { dir: string | undefined; tried: string[] } {
  const tried = env.FASTPATH_TREX_DIR ? [resolve(env.FASTPATH_TREX_DIR)] : [resolve(ROOT, '..', 'shared', 'trex'), '/work/shared/trex'];
  return { dir: tried.find((d) => existsSync(join(d, 'run-trex'))), tried };
}

export const TREX_HOWTO = 'TRex v3.08 is not in any package registry here: build it from trex-core (or use the team\'s build in ' +
  '../shared/trex, see its README.md) and set FASTPATH_TREX_DIR to the folder holding run-trex';

export class TrexServer {
  private constructor(readonly proc: ChildProcess, readonly prefix: string, private output: string) {}

  get log(): string {
    return this.output;
  }

  /** Start run-trex on a config and wait for its RPC to answer. */
  static async start(dir: string, cfg: string, prefix: string, timeoutMs = 60_000): Promise<TrexServer> {
    const proc = spawn(join(dir, 'run-trex'), ['--cfg', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    const t = new TrexServer(proc, prefix, '');
    const take = (b: Buffer): void => { t.output += b.toString(); };
    proc.stdout!.on('data', take);
    proc.stderr!.on('data', take);
    const gone = new Promise<never>((_, reject) => proc.once('exit', (code, sig) => reject(new Error(`TRex exited (${code ?? sig}) before its RPC answered:\n${t.output.slice(-2000)}`))));
    await Promise.race([gone, until(async () => {
      const c = await TrexClient.connect({ host: '127.0.0.1', timeoutMs: 1000 }).catch(() => undefined);
      c?.close();
      return c !== undefined;
    }, Boolean, 'TRex RPC answering', timeoutMs)]);
    return t;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise((done) => this.proc.once('exit', done));
      this.proc.kill('SIGINT');
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    await rm(`/var/run/dpdk/${this.prefix}`, { recursive: true, force: true });
  }
}
