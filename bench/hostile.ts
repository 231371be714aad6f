// SPDX-License-Identifier: Apache-2.0
// What a hostile tenant costs the others, on the real fastpathd: two victim
// containers forward (a sends to b without pause) while an attacker, on its
// own port, does one thing at a time:
//   - truncates the files behind its memory while the switch uses it: split
//     ring, packed ring, client-mode port, while it receives, --no-huge guest;
//   - floods its socket with 1,100 connections held at once (vhost-user and
//     memif);
//   - speaks vhost-user or memif badly on purpose (native/test/fp_hostile).
// For each: the victims' longest forwarding gap (b's counter at the switch,
// sampled every 10 ms), their rate during the attack, and the daemon's open
// descriptors and resident memory before, at most during, and after.
//   npm run bench:hostile -- [--trials N]
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Port__Output } from '../src/api/gen/fastpath/v1/Port.js';
import { TestpmdContainer } from '../test/harness/cnf/testpmd.js';
import { Daemon } from '../test/helpers/daemon.js';
import { until } from '../test/helpers/fixture.js';
import { fdCount, maxDuring, rssMb, runHostile } from '../test/helpers/hostile.js';
import { truncateHugepageFiles, truncateMemfds, watchGaps } from '../test/helpers/tenant.js';
import { cpuModel, describeMachine, machineLine } from './lib/machine.js';
import { round, spread, table, type Spread } from './lib/summary.js';
import { sleep } from '../test/harness/wait.js';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results', 'hostile.json');

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

interface Sample {
  gapMs: number;
  mpps: number;
  fds: [number, number, number];
  rssMb: [number, number, number];
  ms: number;
}

async function main(): Promise<void> {
  const trials = Number(arg('trials', '3'));
  const d = await Daemon.start(Daemon.fresh('bench-hostile'));
  const c = d.client;
  const pid = d.pid!;
  const cnfs: TestpmdContainer[] = [];
  const port: Record<string, Port__Output> = {};
  const rows: Array<{ attack: string; gap: Spread; mpps: Spread; fds: number[]; rss: number[]; samples: Sample[] }> = [];

  const mk = async (name: string, spec: object = {}) => {
    port[name] = (await c.unary(c.ports, c.ports.CreatePort, { port: { name, network: 'net', ...spec } })).port!;
  };
  const attach = async (name: string, forwardMode: string, extra: { packed?: boolean; noHuge?: boolean; peer?: string } = {}) => {
    const p = port[name]!;
    const cnf = await TestpmdContainer.start({
      name: `bh-${name}`, cpu: 0, hugeMb: extra.noHuge ? 0 : 64,
      ports: [{ hostDir: p.attach!.hostDir, mac: p.mac, server: p.spec!.mode === 'PORT_MODE_CLIENT', packedVq: extra.packed }],
      forwardMode, extraArgs: extra.peer ? [`--eth-peer=0,${extra.peer}`] : [],
      ...(extra.packed || extra.noHuge ? {} : { attachArgs: p.attach!.ealArgs }),
    });
    cnfs.push(cnf);
    await until(() => c.unary(c.ports, c.ports.GetPort, { name }), (r) => r.port!.status!.linkUp, `${name} up`);
    await cnf.cmd('start');
    return cnf;
  };
  const stats = async (name: string) => (await c.unary(c.ports, c.ports.GetPortStats, { name })).stats[0]!;
  const settle = async (fds0: number) => {
    await until(async () => fdCount(pid), (n) => n <= fds0, 'descriptors back to their baseline', 15_000).catch(() => undefined);
  };

  /** Run one attack with the victims watched; returns what it cost them. */
  const measure = async (attack: () => Promise<unknown>): Promise<Sample> => {
    const fds0 = fdCount(pid);
    const rss0 = rssMb(pid);
    const b0 = Number((await stats('b')).txPackets);
    const t0 = performance.now();
    const victim = watchGaps(async () => Number((await stats('b')).txPackets), 10);
    let maxFds = fds0;
    let maxRss = rss0;
    try {
      const r = await maxDuring(() => { maxRss = Math.max(maxRss, rssMb(pid)); return fdCount(pid); }, attack(), 10);
      maxFds = r.max;
      await sleep(500); // the victims after the attack count too
    } finally {
      await victim.stop();
    }
    const gap = await victim.stop();
    const ms = performance.now() - t0;
    const mpps = (Number((await stats('b')).txPackets) - b0) / (ms / 1000) / 1e6;
    await settle(fds0);
    return { gapMs: gap.longestGapMs, mpps, fds: [fds0, maxFds, fdCount(pid)], rssMb: [rss0, maxRss, rssMb(pid)], ms };
  };

  try {
    await c.unary(c.networks, c.networks.CreateNetwork, { network: { name: 'net' } });
    for (const n of ['a', 'b', 'feeder']) await mk(n);
    await mk('xs');
    await mk('xp');
    await mk('xc', { mode: 'PORT_MODE_CLIENT' });
    await mk('xr');
    await mk('xn');
    await mk('vx');
    await mk('mx', { type: 'PORT_TYPE_MEMIF' });
    await attach('b', 'rxonly');
    await attach('a', 'txonly', { peer: port.b!.mac });
    await until(() => stats('b'), (s) => Number(s.txPackets) > 1e6, 'victims forwarding');

    const truncation = (name: string, how: { packed?: boolean; noHuge?: boolean; receives?: boolean }) => async () => {
      const x = await attach(name, how.receives ? 'rxonly' : 'txonly', { ...how, peer: port.b!.mac });
      let feeder: TestpmdContainer | undefined;
      if (how.receives) feeder = await attach('feeder', 'txonly', { peer: port[name]!.mac });
      await sleep(300);
      const s = await measure(async () => {
        const down = until(() => c.unary(c.ports, c.ports.GetPort, { name }), (r) => !r.port!.status!.linkUp, `${name} down`);
        if (how.noHuge) truncateMemfds(x, /./);
        else truncateHugepageFiles(x);
        await down;
      });
      await feeder?.kill();
      await x.kill();
      return s;
    };
    const attacks: Array<[string, () => Promise<Sample>]> = [
      ['none (baseline)', () => measure(() => sleep(1000))],
      ['truncate: split ring', truncation('xs', {})],
      ['truncate: packed ring', truncation('xp', { packed: true })],
      ['truncate: client-mode port', truncation('xc', {})],
      ['truncate: receiving guest', truncation('xr', { receives: true })],
      ['truncate: --no-huge guest', truncation('xn', { noHuge: true })],
      ['flood: 1,100 vhost-user connections', () => measure(() => runHostile('vhost', port.vx!.attach!.socketPath, 1, 3, 0, 'connect_storm'))],
      ['flood: 1,100 memif connections', () => measure(() => runHostile('memif', port.mx!.attach!.socketPath, 1, 3, 0, 'connect_storm'))],
      ['hostile vhost-user front-end (all kinds)', () => measure(() => runHostile('vhost', port.vx!.attach!.socketPath, 3, 48))],
      ['hostile memif peer (all kinds)', () => measure(() => runHostile('memif', port.mx!.attach!.socketPath, 3, 36))],
    ];
    let n = 0;
    for (const [name, run] of attacks) {
      const samples: Sample[] = [];
      for (let t = 1; t <= trials; t++) {
        const s = await run();
        samples.push(s);
        console.log(`${++n} of ${attacks.length * trials}: ${name}, trial ${t}: longest victim gap ${s.gapMs} ms, ` +
          `${s.mpps.toFixed(3)} Mpps, fds ${s.fds.join(' / ')}, RSS ${s.rssMb.map((x) => x.toFixed(0)).join(' / ')} MiB`);
      }
      rows.push({
        attack: name, gap: spread(samples.map((s) => s.gapMs)), mpps: spread(samples.map((s) => s.mpps)),
        fds: [Math.min(...samples.map((s) => s.fds[0])), Math.max(...samples.map((s) => s.fds[1])), Math.max(...samples.map((s) => s.fds[2]))],
        rss: [Math.min(...samples.map((s) => s.rssMb[0])), Math.max(...samples.map((s) => s.rssMb[1])), Math.max(...samples.map((s) => s.rssMb[2]))],
        samples,
      });
    }
  } finally {
    for (const x of cnfs) await x.kill();
    await d.dispose();
  }
  const date = new Date().toISOString();
  const machine = describeMachine(0, 'DPDK 22.11');
  console.log(`\n${machineLine(machine, date)}\nCPU: ${cpuModel()}\n`);
  console.log(table(['attack', 'gap ms min', 'median', 'max', 'victim Mpps median', 'fds before/max/after', 'RSS MiB before/max/after'],
    rows.map((r) => [r.attack, String(r.gap.min), String(r.gap.median), String(r.gap.max), r.mpps.median.toFixed(3),
      r.fds.join(' / '), r.rss.map((x) => x.toFixed(0)).join(' / ')])));
  await mkdir(dirname(RESULTS), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify({
    rows: rows.map((r) => ({
      attack: r.attack, victimGapMs: r.gap, victimMpps: { min: round(r.mpps.min, 3), median: round(r.mpps.median, 3), max: round(r.mpps.max, 3) },
      fds: { before: r.fds[0], max: r.fds[1], after: r.fds[2] },
      rssMb: { before: round(r.rss[0]!, 1), max: round(r.rss[1]!, 1), after: round(r.rss[2]!, 1) },
      trials: r.samples.map((s) => ({ gapMs: s.gapMs, mpps: round(s.mpps, 3), fds: s.fds, rssMb: s.rssMb.map((x) => round(x, 1)) })),
    })),
    machine, date, settings: { trials, sampleMs: 10 },
  }, null, 2)}\n`);
  console.log(`wrote ${RESULTS}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
