// SPDX-License-Identifier: Apache-2.0
// Scaling bench: what a packet costs the switch as the work grows, one
// dimension at a time from the loop bench's case (2 ports, 2 MACs, 1 flow,
// 64 B): ports, MACs, flows against rules, frame size and ring layout.
// The guests are fp_trafgen processes (native/tools) that keep frames
// circulating and give them the MACs, 5-tuples and size of each point.
// Busy cycles per packet on the forwarding lcore are the figure, beside
// testpmd io-fwd where it does the same work (ports, sizes). Points of one
// setup alternate inside a trial; setups alternate between trials; every
// ratio pairs windows of the same trial and round.
//   npm run bench:scale -- [--dims ports,macs,flows,sizes] [--seconds N] [--rounds N] [--trials N]
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { benchRun } from './lib/bench-run.js';
import { NOISE_WARN_PERCENT, describeNoise } from './lib/cpu-noise.js';
import { SWITCH_MAIN_CPU, SWITCH_WORKER_CPU } from './lib/fastpath.js';
import { GUEST_CPU } from './lib/guest.js';
import { installOvs, OVS_INSTALL_HINT, ovsAvailable } from './lib/ovs-dpdk.js';
import { cpuModel, describeMachine, machineLine } from './lib/machine.js';
import { perfAvailable, type Profile } from './lib/perf-profile.js';
import { parseScaleArgs, SCALE_USAGE, type Dim, type ScaleOptions } from './lib/scale-args.js';
import { planDim, schedule, setupOrder, type Setup } from './lib/scale-plan.js';
import {
  dimChartSvg, dimTable, growthStarts, summarizeDim, targetLines, targets, worstRow, type ScaleRow, type SetupWindows,
} from './lib/scale-report.js';
import { runSetupTrial } from './lib/scale-run.js';
import { round } from './lib/summary.js';

const DEFAULT_OUT = join(dirname(fileURLToPath(import.meta.url)), 'results', 'scale.json');
/** Switch (256 MiB) plus guests: the 128-port point's four guests are the most. */
const HUGEPAGES_NEEDED = 512;
/** Start-up, links and teardown of one setup trial (measured: ~5 s, more with many ports). */
const SETUP_OVERHEAD_S = 6;

function minutes(setups: Setup[], o: ScaleOptions): number {
  const perSetup = (s: Setup): number => {
    const { rounds, trials } = schedule(s.dim, o.rounds, o.trials);
    return trials * (SETUP_OVERHEAD_S + s.points.length * (rounds * (o.seconds + o.settle) + (o.profile && s.switch === 'fastpath' ? o.seconds + o.settle : 0)));
  };
  return Math.ceil(setups.reduce((a, s) => a + perSetup(s), 0) / 60);
}

async function main(): Promise<void> {
  const parsed = parseScaleArgs(process.argv.slice(2));
  if (parsed === 'help') {
    console.log(SCALE_USAGE);
    return;
  }
  const opts = parsed;
  const out = opts.out ?? DEFAULT_OUT;
  await benchRun(HUGEPAGES_NEEDED, async (cleanup, root) => {
    if (opts.profile && !perfAvailable()) {
      console.log('note: perf is not installed (apt-get install linux-perf): no profiles; --no-profile silences this');
      opts.profile = false;
    }

    let ovs = opts.ovs !== false && ovsAvailable();
    if (opts.ovs !== false && !ovs) {
      if (opts.installOvs) {
        installOvs();
        ovs = true;
      } else {
        console.log(`note: OVS-DPDK (ovs-vswitchd-dpdk) is not installed, its rows are skipped; to add them: ${OVS_INSTALL_HINT}`);
      }
    }
    const plans = opts.dims.map((dim) => ({ dim, setups: planDim(dim, opts.rings, ovs) }));
    const all = plans.flatMap((p) => p.setups);
    console.log(machineLine(describeMachine(0, ''), new Date().toISOString()));
    console.log(`CPU: ${cpuModel()}`);
    console.log(
      `scale bench: dimensions ${opts.dims.join(', ')}; switch main lcore CPU ${SWITCH_MAIN_CPU}, forwarding lcore CPU ` +
      `${SWITCH_WORKER_CPU}, guests CPU ${GUEST_CPU}; ${opts.rounds} x ${opts.trials} window(s) of ${opts.seconds} s per point ` +
      `(after ${opts.settle} s to settle): macs and flows ${opts.rounds} round(s) in each of ${opts.trials} trial(s), ` +
      `ports and sizes one round in each of ${opts.rounds * opts.trials} trials; ${all.length} setups, about ${minutes(all, opts)} min`,
    );

    let tscHz = 0;
    const rows: ScaleRow[] = [];
    const profiles: Record<string, Record<string, Profile>> = {};
    const installs: Record<string, number[]> = {};
    const disturbed: string[] = [];
    let done = 0;
    const total = plans.reduce((a, p) => a + schedule(p.dim, opts.rounds, opts.trials).trials * p.setups.length, 0);
    for (const { dim, setups } of plans) {
      const data: SetupWindows[] = setups.map((setup) => ({ setup, windows: [] }));
      const sched = schedule(dim, opts.rounds, opts.trials);
      for (let t = 1; t <= sched.trials; t++) {
        for (const d of setupOrder(data, t)) {
          const s = d.setup;
          done++;
          const tag = `${dim[0]}${s.switch[0]}${s.ports}${s.ring[0]}${t}`;
          console.log(`[${done}/${total}] ${dim}: ${s.switch}, ${s.ports} ports, ${s.ring} rings, trial ${t}/${sched.trials} ...`);
          // One profile per point: the last trial's.
          const r = await runSetupTrial(s, { ...opts, ...sched, profile: opts.profile && t === sched.trials }, cleanup, root, tag, t, (text) => console.log(`  ${text}`));
          d.windows.push(...r.windows);
          tscHz ||= r.tscHz;
          for (const w of r.windows) {
            if (w.noise && describeNoise(w.noise).disturbed) disturbed.push(`${dim}, ${s.switch}, ${w.point}, trial ${t} round ${w.round}: ${describeNoise(w.noise).text}`);
          }
          if (Object.keys(r.profiles).length > 0) profiles[`${dim}|${s.ring}`] = { ...profiles[`${dim}|${s.ring}`], ...r.profiles };
          for (const [rules, ms] of Object.entries(r.ruleInstallMs)) (installs[`${s.switch}, ${rules}`] ??= []).push(...ms);
        }
      }
      const dimRows = summarizeDim(dim, data);
      rows.push(...dimRows);
      console.log(`\n${dim}:\n${dimTable(dimRows)}\n`);
    }

    const date = new Date().toISOString();
    const machine = describeMachine(tscHz, 'DPDK 22.11');
    const mline = machineLine(machine, date);
    const growth = growthStarts(rows);
    const ts = targets(rows);
    const worst = worstRow(rows);
    const worstProfile = worst ? profiles[`${worst.row.dim}|${worst.row.ring}`]?.[worst.row.point] : undefined;
    console.log(`${mline}\nwhere cost per packet starts to grow (${'>='} 1.10x the dimension's base):\n  ${growth.join('\n  ')}`);
    console.log(`\ntargets (median of paired windows):\n  ${targetLines(ts).join('\n  ')}`);
    if (worst) {
      console.log(`\nworst point: ${worst.row.dim}, ${worst.row.point} (${worst.row.ring}), ${worst.ratio.toFixed(2)}x ${worst.against}`);
      if (worstProfile) {
        console.log(`  forwarding CPU by part: ${Object.entries(worstProfile.parts).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}%`).join(', ')}`);
        for (const e of worstProfile.top) console.log(`  ${e.percent.toFixed(1).padStart(5)}%  ${e.symbol} (${e.part})`);
      } else {
        console.log('  (no profile: perf not available or --no-profile)');
      }
    }
    for (const [what, ms] of Object.entries(installs)) console.log(`flow table (switch, rules: ${what}) installed in ${ms.join(', ')} ms`);
    console.log(disturbed.length === 0
      ? `forwarding CPU ${SWITCH_WORKER_CPU}: no window was disturbed (other tasks and steal time under ${NOISE_WARN_PERCENT}%)`
      : `WARNING: ${disturbed.length} windows had another task or the hypervisor on the forwarding CPU:\n  ${disturbed.join('\n  ')}`);

    const json = {
      rows: rows.map((r) => ({
        ...r,
        cyclesPerPacket: roundSpread(r.cyclesPerPacket, 1), mpps: roundSpread(r.mpps, 3), busyPercent: round(r.busyPercent, 1),
        ...(r.vsBase && { vsBase: roundSpread(r.vsBase, 3) }), ...(r.vsIo && { vsIo: roundSpread(r.vsIo, 3) }),
        ...(r.vsOvs && { vsOvs: roundSpread(r.vsOvs, 3) }),
      })),
      growth, targets: ts, worst: worst && { dim: worst.row.dim, point: worst.row.point, ring: worst.row.ring, ratio: round(worst.ratio, 3), against: worst.against, profile: worstProfile },
      profiles, rule_install_ms: installs, disturbed, machine, date,
      settings: { ...opts, switch_cpus: { main: SWITCH_MAIN_CPU, forwarding: SWITCH_WORKER_CPU }, guest_cpu: GUEST_CPU },
    };
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(json, null, 2)}\n`);
    const written = [out];
    for (const dim of opts.dims) {
      const svg = out.replace(/\.json$/, '') + `-${dim}.svg`;
      const note = `median of ${opts.rounds * opts.trials} windows of ${opts.seconds} s per bar, whiskers min-max`;
      await writeFile(svg, dimChartSvg(dim as Dim, rows.filter((r) => r.dim === dim), mline, note));
      written.push(svg);
    }
    console.log(`\nwrote ${written.join(', ')}`);
  });
}

function roundSpread(s: { min: number; median: number; max: number }, d: number): { min: number; median: number; max: number } {
  return { min: round(s.min, d), median: round(s.median, d), max: round(s.max, d) };
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
