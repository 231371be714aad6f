// SPDX-License-Identifier: Apache-2.0
// Restart bench: two client-mode containers forward (A txonly -> B rxonly)
// while fastpathd is killed (kill -9, or SIGTERM with --graceful) and
// started again, N times in a row. Per restart: the time from the kill to
// the API answering ("ready"), the forwarding gap the receiving container
// saw (the longest stretch its rx counter did not move, sampled every
// 10 ms), and the frames lost; then the median and the worst, and a check
// that no port was left down.
//   npm run bench:restart -- [--restarts N] [--graceful] [--rate-pps N]
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Port__Output } from '../src/api/gen/fastpath/v1/Port.js';
import { TestpmdContainer } from '../test/harness/cnf/testpmd.js';
import { sleep, until } from '../test/harness/wait.js';
import { Daemon } from '../test/helpers/daemon.js';
import { describeMachine, machineLine } from './lib/machine.js';
import { round, spread, table } from './lib/summary.js';

const OUT = join(dirname(fileURLToPath(import.meta.url)), 'results', 'restart.json');
const SAMPLE_MS = 10;
const TENANT_CPU = 1;

interface Args { restarts: number; graceful: boolean }

function parse(argv: string[]): Args {
  const a: Args = { restarts: 20, graceful: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--graceful') a.graceful = true;
    else if (k === '--restarts' && /^\d{1,4}$/.test(argv[i + 1] ?? '') && Number(argv[i + 1]) >= 1) a.restarts = Number(argv[++i]);
    else throw new Error(`unknown or bad option ${k}\nusage: npm run bench:restart -- [--restarts N (1..9999, default 20)] [--graceful]`);
  }
  return a;
}

/** The receiver's rx counter over time: (ms since epoch, packets). */
class Sampler {
  readonly samples: Array<[number, number]> = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(read: () => Promise<number>) {
    this.loop = (async () => {
      while (this.running) {
        this.samples.push([Date.now(), await read()]);
        await sleep(SAMPLE_MS);
      }
    })();
    // A failed read ends sampling; stop() reports it. Unhandled until then,
    // it would end this process before the daemon and containers are removed.
    this.loop.catch(() => { this.running = false; });
  }

  /** First time at or after t the counter moved. */
  movedAfter(t: number): number | undefined {
    for (let i = 1; i < this.samples.length; i++) {
      const [ts, v] = this.samples[i]!;
      if (ts >= t && v !== this.samples[i - 1]![1]) return ts;
    }
    return undefined;
  }

  /** The longest stretch in [from, to] the counter did not move: the
   * frames already in the receiver's ring keep it moving for a while after
   * the kill, so the gap is the longest stall, not the first one. */
  longestStall(from: number, to: number): number {
    // From the first sample in the window, not from its start: the sampler
    // may have begun inside it (the first restart), and a stretch with no
    // samples is not a stall.
    let lastChange: number | undefined;
    let longest = 0;
    for (let i = 1; i < this.samples.length; i++) {
      const [ts, v] = this.samples[i]!;
      if (ts < from || ts > to) continue;
      lastChange ??= ts;
      if (v !== this.samples[i - 1]![1]) {
        longest = Math.max(longest, ts - lastChange);
        lastChange = ts;
      }
    }
    return longest;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}


async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const d = await Daemon.start(Daemon.fresh('restart-bench'));
  const cnfs: TestpmdContainer[] = [];
  try {
    const c = d.client;
    await c.unary(c.networks, c.networks.CreateNetwork, { network: { name: 'net' } });
    const port = async (name: string): Promise<Port__Output> =>
      (await c.unary(c.ports, c.ports.CreatePort, { port: { name, network: 'net', mode: 'PORT_MODE_CLIENT' } })).port!;
    const [pa, pb] = [await port('a'), await port('b')];
    const start = async (p: Port__Output, mode: string): Promise<TestpmdContainer> => {
      const t = await TestpmdContainer.start({
        // Tenants off the control CPU (0: fp-ctl, the vhost thread and
        // Node), as on a real host: they share CPU 1 with the worker.
        name: `rb-${p.spec!.name}`, forwardMode: mode, attachArgs: p.attach!.ealArgs, cpu: TENANT_CPU,
        ports: [{ hostDir: p.attach!.hostDir, mac: p.mac, server: true }],
      });
      cnfs.push(t);
      return t;
    };
    const b = await start(pb, 'rxonly');
    const a = await start(pa, 'txonly');
    const linksUp = async (): Promise<boolean> =>
      (await c.unary(c.ports, c.ports.ListPorts, {})).ports.every((p) => p.status!.linkUp);
    await until(linksUp, Boolean, 'both links up');
    await b.cmd('start');
    await a.cmd(`set eth-peer 0 ${pb.mac}`);
    await a.cmd('start');
    await b.waitStats((s) => s.rxPackets > 10_000);
    const sampler = new Sampler(async () => (await b.portStats()).rxPackets);
    const date = new Date().toISOString();
    const mline = machineLine(describeMachine(0, 'fastpathd restarts'), date);
    console.log(mline);
    console.log(`${args.restarts} ${args.graceful ? 'graceful (SIGTERM)' : 'kill -9'} restarts with two client-mode containers forwarding; gap sampled every ${SAMPLE_MS} ms`);
    const rows: Array<{ n: number; apiMs: number; gapMs: number; lost: number; steps: Record<string, number> }> = [];
    for (let n = 1; n <= args.restarts; n++) {
      await sleep(500); // steady traffic before each restart
      const sent0 = (await a.portStats()).txPackets;
      const got0 = (await b.portStats()).rxPackets;
      const t0 = Date.now();
      if (args.graceful) await d.stop();
      else await d.kill9();
      const exited = Date.now() - t0; // the old process is gone
      // A graceful stop's own steps, from the old process's log.
      const stopSteps = Object.fromEntries(d.logs.split('\n').filter((l) => /"msg":"(shutting down|stopped; state kept)"/.test(l)).map((l) => {
        const j = JSON.parse(l) as { msg: string; time: number };
        return [j.msg === 'shutting down' ? 'stopping' : 'stopped', j.time - t0];
      }));
      await d.restart();
      const apiMs = Date.now() - t0;
      // When each start-up step finished, from the daemon's log (ms after the kill).
      const steps = { ...stopSteps, exited, ...Object.fromEntries(d.logs.split('\n').filter((l) => l.includes('"step"')).map((l) => {
        const j = JSON.parse(l) as { step: string; time: number };
        return [j.step, j.time - t0];
      })) };
      // Traffic again: the counter moves after the new daemon came up.
      const back = await until(async () => sampler.movedAfter(t0 + apiMs - 200), (x) => x !== undefined, `restart ${n}: traffic again`, 30_000);
      await until(linksUp, Boolean, `restart ${n}: both links up`, 10_000);
      await sleep(300);
      // Lost: what A sent over the restart that B never got (A keeps
      // sending into its ring while nobody reads it).
      const lost = ((await a.portStats()).txPackets - sent0) - ((await b.portStats()).rxPackets - got0);
      const row = { n, apiMs, gapMs: sampler.longestStall(t0 - 1000, back!), lost: Math.max(0, lost), steps };
      rows.push(row);
      console.log(`restart ${n}/${args.restarts}: API ready after ${apiMs} ms, forwarding gap ${row.gapMs} ms, ${row.lost} frames lost `
        + `(steps, ms after the kill: ${Object.entries(steps).map(([k, v]) => `${k} ${v}`).join(', ')})`);
    }
    await sampler.stop();
    const stat = (k: 'apiMs' | 'gapMs' | 'lost') => {
      const s = spread(rows.map((r) => r[k]));
      return { median: s.median, worst: s.max };
    };
    const s = { apiMs: stat('apiMs'), gapMs: stat('gapMs'), lost: stat('lost') };
    console.log(`\n${mline}`);
    console.log(table(['', 'median', 'worst'], [
      ['API ready after the kill, ms', String(s.apiMs.median), String(s.apiMs.worst)],
      ['forwarding gap, ms', String(s.gapMs.median), String(s.gapMs.worst)],
      ['frames lost', String(round(s.lost.median, 0)), String(s.lost.worst)],
    ]));
    console.log(`every port up after every restart: yes (${args.restarts} of ${args.restarts})`);
    await mkdir(dirname(OUT), { recursive: true });
    const out = args.graceful ? OUT.replace(/\.json$/, '-graceful.json') : OUT;
    await writeFile(out, `${JSON.stringify({ date, machine: describeMachine(0, 'fastpathd restarts'), settings: { ...args, sampleMs: SAMPLE_MS }, summary: s, restarts: rows }, null, 2)}\n`);
    console.log(`wrote ${out}`);
  } finally {
    for (const t of cnfs) await t.kill();
    await d.dispose();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
