// SPDX-License-Identifier: Apache-2.0
// Loop benchmark: a guest testpmd bounces frames (64 and 1500 bytes, over
// split and packed virtqueues) between its two virtio_user ports through
// the switch under test, forever. Measured side
// by side in one run: fastpath (our data plane), dpdk-testpmd io-fwd
// between two net_vhost ports (the cheapest possible vhost-user forwarder)
// and, when installed, OVS-DPDK 3.1 (two dpdkvhostuserclient ports, two
// OpenFlow rules). The figure that matters is busy cycles per packet on the
// switch's forwarding lcore; loop Mpps is measured on the guest side.
//   npm run bench:loop -- [--seconds N] [--trials N] [--warmup N] [--bursts N]
//                         [--switches fastpath,testpmd-io,ovs-dpdk] [--sizes 64,1500]
//                         [--rings split,packed] [--install-ovs]
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ALL_SWITCHES, parseArgs, USAGE, type LoopOptions, type SwitchName } from './lib/args.js';
import { benchRun } from './lib/bench-run.js';
import type { Cleanup } from './lib/cleanup.js';
import { describeNoise, NOISE_WARN_PERCENT } from './lib/cpu-noise.js';
import { FastpathSwitch, SWITCH_MAIN_CPU, SWITCH_MEMORY_MB, SWITCH_WORKER_CPU } from './lib/fastpath.js';
import { GUEST_CPU } from './lib/guest.js';
import { loopChartSvg } from './lib/loop-chart.js';
import {
  BEST_PERCENTILE, cellJson, cellName, reportText, rowJson, summarize, summarizeCell, targetsJson,
  type Cell, type CellSummary, type Trial,
} from './lib/loop-report.js';
import { cpuModel, describeMachine, machineLine } from './lib/machine.js';
import { installOvs, OVS_INSTALL_HINT, ovsAvailable, OvsDpdkSwitch, ovsVersion } from './lib/ovs-dpdk.js';
import type { SwitchUnderTest } from './lib/switch.js';
import { TestpmdIoSwitch } from './lib/testpmd-io.js';
import { runTrial, type TrialResult } from './lib/trial.js';
import { crossCpuRoundTripNs } from './lib/xcpu.js';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results', 'loop.json');
/** Pages: one switch at a time plus the guest's quota. */
const HUGEPAGES_NEEDED = SWITCH_MEMORY_MB / 2 + 128 / 2;
/** Cost of one trial besides its window and warm-up: switch and guest start-up, links, teardown (measured: ~3 s). */
const TRIAL_OVERHEAD_S = 3;

async function startSwitch(name: SwitchName, cleanup: Cleanup, root: string, tag: string): Promise<SwitchUnderTest & { stop(): Promise<void> }> {
  switch (name) {
    case 'fastpath': return FastpathSwitch.start(cleanup, root, tag);
    case 'fastpath-acl100':
    case 'fastpath-acl10k':
    case 'fastpath-mq2': return FastpathSwitch.start(cleanup, root, tag, name);
    case 'testpmd-io': return TestpmdIoSwitch.start(cleanup, root, tag);
    case 'ovs-dpdk': return OvsDpdkSwitch.start(cleanup, root, tag);
  }
}

/** The switches to run: --switches, else all three when OVS-DPDK is installed (or --install-ovs). */
function chooseSwitches(opts: LoopOptions): SwitchName[] {
  const wanted = opts.switches ?? [...ALL_SWITCHES];
  if (!wanted.includes('ovs-dpdk') || ovsAvailable()) return wanted;
  if (opts.installOvs) {
    installOvs();
    return wanted;
  }
  if (opts.switches) throw new Error(`--switches includes ovs-dpdk, but OVS-DPDK is not installed: ${OVS_INSTALL_HINT}`);
  console.log(`note: OVS-DPDK (ovs-vswitchd-dpdk) is not installed, its row is skipped; to add it: ${OVS_INSTALL_HINT}`);
  return wanted.filter((n) => n !== 'ovs-dpdk');
}

async function main(): Promise<void> {
  const parsed = parseArgs(process.argv.slice(2));
  if (parsed === 'help') {
    console.log(USAGE);
    return;
  }
  const opts = parsed;
  await benchRun(HUGEPAGES_NEEDED, async (cleanup, root) => {
    const switches = chooseSwitches(opts);
    const ovs = switches.includes('ovs-dpdk') ? await ovsVersion() : undefined;

    const cells: Cell[] = opts.sizes.flatMap((size) => opts.rings.map((ring) => ({ size, ring })));
    const total = cells.length * opts.trials * switches.length;
    const dpdk = pkgDpdkVersion();
    // Stamped on every figure; the TSC rate joins once fastpath has said it.
    let machineNow = machineLine(describeMachine(0, dpdk), new Date().toISOString());
    console.log(machineNow);
    console.log(
      `loop bench: guest testpmd mac-fwd on 2 virtio_user ports (tx_first ${opts.bursts}: ` +
      `${opts.bursts * 32 * 2} frames in flight); switch main lcore CPU ${SWITCH_MAIN_CPU}, forwarding lcore ` +
      `CPU ${SWITCH_WORKER_CPU}, guest lcores CPU ${GUEST_CPU}; cells: ${cells.map(cellName).join(', ')}; ` +
      `${opts.trials} trial(s) per switch and cell x ${opts.seconds} s after ${opts.warmup} s warm-up; switches: ${switches.join(', ')}; ` +
      `${total} trials, about ${Math.ceil((total * (opts.seconds + opts.warmup + TRIAL_OVERHEAD_S)) / 60)} min`,
    );
    if (ovs) console.log(`OVS: ${ovs}`);
    console.log(`CPU: ${cpuModel()}`);

    // The switches take turns, one trial each per round, and swap who goes
    // first every round (ABBA): on this VM the hypervisor moves our vCPUs
    // between host cores that do or do not share a cache every few seconds
    // to minutes (xcpu.ts), which moves both figures by up to 2x. Blocks of
    // trials per switch would hand each switch a different share of good
    // and bad placements; alternating gives them the same. Every trial gets
    // a fresh switch and guest, so the trials are alike. Cells (size, ring)
    // run one after another, each with its own alternating rounds.
    let dpdkVersion = '';
    let tscHz = 0;
    let n = 0;
    const summaries: CellSummary[] = [];
    /** Trials during which something else took part of the forwarding CPU. */
    const disturbed: string[] = [];
    for (const cell of cells) {
      const results = Object.fromEntries(ALL_SWITCHES.map((s) => [s, [] as Trial[]])) as Record<SwitchName, Trial[]>;
      for (let r = 1; r <= opts.trials; r++) {
        const order = r % 2 === 1 ? switches : [...switches].reverse();
        for (const name of order) {
          // Measured while nothing spins, right before the trial (informative:
          // the placement may change during it).
          const probeNs = await crossCpuRoundTripNs(SWITCH_MAIN_CPU, SWITCH_WORKER_CPU);
          const tag = `${cell.size}${cell.ring[0]}${r}`;
          n++;
          console.log(`trial ${n} of ${total}: ${name}, ${cellName(cell)}, round ${r}/${opts.trials} ...`);
          const sw = await startSwitch(name, cleanup, root, tag);
          let t: TrialResult;
          try {
            t = await runTrial(sw, opts, cleanup, `bench-${process.pid}-${name}-${tag}`, cell, SWITCH_WORKER_CPU);
            if (sw instanceof FastpathSwitch) dpdkVersion = sw.dpdkVersion;
          } finally {
            await sw.stop();
          }
          if (name === 'fastpath' && t.tscHz > 0 && tscHz === 0) {
            tscHz = t.tscHz;
            machineNow = machineLine(describeMachine(tscHz, dpdkVersion || dpdk), new Date().toISOString());
          }
          results[name].push({ ...t, round: r, probeNs });
          const secs = t.perSecond.map((x) => x.cyclesPerPacket.toFixed(0)).join(' ');
          const noise = t.noise ? describeNoise(t.noise) : undefined;
          if (noise?.disturbed) disturbed.push(`trial ${n} (${name}, ${cellName(cell)}): ${noise.text}`);
          console.log(
            `trial ${n} of ${total}: ${name}, ${cellName(cell)}: ${t.cyclesPerPacket.toFixed(1)} cycles/packet, ` +
            `${t.mpps.toFixed(3)} Mpps loop (switch rx ${t.switchMpps.toFixed(3)} Mpps, busy ${t.busyPercent.toFixed(0)}%` +
            `${t.drops > 0 ? `, ${t.drops} DROPPED` : ''}); cross-CPU ${probeNs.toFixed(0)} ns before; per second: ${secs}` +
            `${noise ? `; ${noise.text}` : ''}` +
            ` [${machineNow}]`,
          );
        }
      }
      summaries.push(summarizeCell(cell, switches.map((name) => summarize(cell, name, results[name]))));
    }

    const date = new Date().toISOString();
    const machine = describeMachine(tscHz, dpdkVersion || dpdk);
    const mline = machineLine(machine, date);
    console.log(reportText(summaries, mline, opts.trials, opts.seconds));
    console.log(disturbed.length === 0
      ? `forwarding CPU ${SWITCH_WORKER_CPU}: no trial was disturbed (other tasks and steal time under ${NOISE_WARN_PERCENT}% of every window)`
      : `WARNING: ${disturbed.length} of ${n} trials had another task or the hypervisor on the forwarding CPU ${SWITCH_WORKER_CPU} (over ${NOISE_WARN_PERCENT}% of the window); their figures are not the switch's alone:\n  ${disturbed.join('\n  ')}`);

    const json = {
      rows: summaries.flatMap((c) => c.rows.map(rowJson)),
      cells: summaries.map(cellJson),
      ...targetsJson(summaries),
      ...(ovs && { ovs_version: ovs }),
      machine,
      date,
      settings: {
        ...opts, best_seconds_percentile: BEST_PERCENTILE,
        switch_cpus: { main: SWITCH_MAIN_CPU, forwarding: SWITCH_WORKER_CPU }, guest_cpu: GUEST_CPU,
      },
    };
    await mkdir(dirname(RESULTS), { recursive: true });
    await writeFile(RESULTS, `${JSON.stringify(json, null, 2)}\n`);
    const svg = RESULTS.replace(/\.json$/, '.svg');
    await writeFile(svg, loopChartSvg(summaries, mline, opts));
    console.log(`\nwrote ${RESULTS} and ${svg}`);
  });
}

/** The DPDK release installed (what testpmd, the guest and fastpath link against). */
function pkgDpdkVersion(): string {
  const r = spawnSync('pkg-config', ['--modversion', 'libdpdk'], { encoding: 'utf8' });
  return r.status === 0 ? `DPDK ${r.stdout.trim()}` : 'DPDK ?';
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
