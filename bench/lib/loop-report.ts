// SPDX-License-Identifier: Apache-2.0
// The loop bench's summaries: rows per (frame size, virtqueue layout,
// switch), the ratios the issue's targets are about (judged per cell; the
// targets themselves are stated for 64-byte frames), the terminal table,
// the JSON rows and the chart.
import type { RingLayout, SwitchName } from './args.js';
import { percentile, round, spread, table, type Spread } from './summary.js';
import type { TrialResult } from './trial.js';
import { NEAR_MAX_NS } from './xcpu.js';

/** From the issue: fastpath may cost at most this much more than io-fwd. */
export const TARGET_RATIO = 1.15;
/** From the issue: fastpath must carry at least this many times OVS-DPDK's loop Mpps at 64 B. */
export const OVS_TARGET_MPPS_RATIO = 1.3;
/** From the flow rules issue: fastpath with a 100 / 10,000-rule table vs io-fwd cycles/packet. */
export const ACL_TARGETS: Partial<Record<SwitchName, number>> = { 'fastpath-acl100': 1.25, 'fastpath-acl10k': 1.5 };
/** "Best seconds": this percentile of a row's per-second cycles/packet. */
export const BEST_PERCENTILE = 10;

export interface Cell {
  size: number;
  ring: RingLayout;
}

export const cellName = (c: Cell): string => `${c.size} B ${c.ring}`;

export interface Trial extends TrialResult {
  round: number;
  /** CPU 0 <-> 1 cache-line round trip just before the trial, ns. */
  probeNs: number;
}

export interface RowSummary extends Cell {
  name: SwitchName;
  cycles: Spread;
  mpps: Spread;
  switchMpps: Spread;
  busy: Spread;
  /** BEST_PERCENTILE-th percentile of the per-second cycles/packet. */
  bestCycles: number;
  drops: number;
  trials: Trial[];
}

export interface VsIo { ratio: number; paired: Spread; best: number }
export interface VsOvs { mpps: number; paired: Spread; cycles: number }

export interface CellSummary extends Cell {
  rows: RowSummary[];
  vsIo: VsIo | undefined;
  vsOvs: VsOvs | undefined;
  /** fastpath with flow tables, cycles/packet over io-fwd's, by row name. */
  vsIoAcl: Array<{ name: SwitchName; ratio: number; paired: Spread; target: number }>;
}

export function summarize(cell: Cell, name: SwitchName, rs: Trial[]): RowSummary {
  return {
    ...cell,
    name,
    cycles: spread(rs.map((r) => r.cyclesPerPacket)),
    mpps: spread(rs.map((r) => r.mpps)),
    switchMpps: spread(rs.map((r) => r.switchMpps)),
    busy: spread(rs.map((r) => r.busyPercent)),
    bestCycles: percentile(rs.flatMap((r) => r.perSecond.map((x) => x.cyclesPerPacket)), BEST_PERCENTILE),
    drops: rs.reduce((n, r) => n + r.drops, 0),
    trials: rs,
  };
}

export function summarizeCell(cell: Cell, rows: RowSummary[]): CellSummary {
  const row = (n: SwitchName): RowSummary | undefined => rows.find((x) => x.name === n);
  const fp = row('fastpath')!;
  const io = row('testpmd-io');
  const ovs = row('ovs-dpdk');
  // Rounds pair trials run back to back, close in time and so more often
  // under the same vCPU placement: their ratios are a second opinion.
  return {
    ...cell,
    rows,
    vsIo: io && {
      ratio: fp.cycles.median / io.cycles.median,
      paired: spread(fp.trials.map((t, i) => t.cyclesPerPacket / io.trials[i]!.cyclesPerPacket)),
      best: fp.bestCycles / io.bestCycles,
    },
    vsIoAcl: io ? Object.entries(ACL_TARGETS).flatMap(([name, target]) => {
      const r = row(name as SwitchName);
      return r ? [{
        name: name as SwitchName, target: target!, ratio: r.cycles.median / io.cycles.median,
        paired: spread(r.trials.map((t, i) => t.cyclesPerPacket / io.trials[i]!.cyclesPerPacket)),
      }] : [];
    }) : [],
    vsOvs: ovs && {
      mpps: fp.mpps.median / ovs.mpps.median,
      paired: spread(fp.trials.map((t, i) => t.mpps / ovs.trials[i]!.mpps)),
      cycles: ovs.cycles.median / fp.cycles.median,
    },
  };
}

const f1 = (x: number): string => x.toFixed(1);
const f2 = (x: number): string => x.toFixed(2);
const f3 = (x: number): string => x.toFixed(3);
/** Guest-side Gbit/s: loop Mpps times the frame size (no FCS, no preamble). */
export const gbps = (r: RowSummary): number => (r.mpps.median * r.size * 8) / 1000;

export function reportText(cells: CellSummary[], machine: string, trials: number, seconds: number): string {
  const out: string[] = ['', machine, `${trials} trial(s) per switch and cell x ${seconds} s, alternating; median (min - max) over trials`];
  out.push(table(
    ['size', 'ring', 'switch', 'cycles/packet', '(min - max)', 'loop Mpps', '(min - max)', 'Gbit/s', 'fwd lcore busy', 'drops'],
    cells.flatMap((c) => c.rows.map((r) => [
      `${r.size} B`, r.ring, r.name,
      f1(r.cycles.median), `(${f1(r.cycles.min)} - ${f1(r.cycles.max)})`,
      f3(r.mpps.median), `(${f3(r.mpps.min)} - ${f3(r.mpps.max)})`,
      f2(gbps(r)), `${r.busy.median.toFixed(0)}%`, String(r.drops),
    ])),
  ));
  for (const c of cells) {
    const at64 = c.size === 64;
    if (c.vsOvs) {
      const o = c.vsOvs;
      const met = o.mpps >= OVS_TARGET_MPPS_RATIO;
      out.push(
        `${cellName(c)}: fastpath/ovs-dpdk loop Mpps ${f2(o.mpps)}x` +
        `${at64 ? ` (target >= ${f2(OVS_TARGET_MPPS_RATIO)}x: ${met ? 'MET' : 'NOT MET'})` : ''}; ` +
        `same-round pairs: median ${f2(o.paired.median)}x (${f2(o.paired.min)} - ${f2(o.paired.max)}); ovs-dpdk/fastpath cycles/packet ${f2(o.cycles)}x`,
      );
    }
    for (const a of c.vsIoAcl) {
      out.push(
        `${cellName(c)}: ${a.name}/testpmd-io cycles/packet ${f2(a.ratio)}x` +
        `${at64 ? ` (target <= ${f2(a.target)}x: ${a.ratio <= a.target ? 'MET' : 'NOT MET'})` : ''}; ` +
        `same-round pairs: median ${f2(a.paired.median)}x (${f2(a.paired.min)} - ${f2(a.paired.max)})`,
      );
    }
    if (!c.vsIo) continue;
    const { ratio, paired, best } = c.vsIo;
    const met = ratio <= TARGET_RATIO;
    const fp = c.rows.find((r) => r.name === 'fastpath')!;
    const io = c.rows.find((r) => r.name === 'testpmd-io')!;
    out.push(
      `${cellName(c)}: fastpath/testpmd-io cycles/packet ${f2(ratio)}x` +
      `${at64 ? ` (target <= ${f2(TARGET_RATIO)}x: ${met ? 'MET' : 'NOT MET'})` : ''}; ` +
      `same-round pairs: median ${f2(paired.median)}x (${f2(paired.min)} - ${f2(paired.max)}); ` +
      `best ${BEST_PERCENTILE}% of seconds: ${f1(fp.bestCycles)} vs ${f1(io.bestCycles)}: ${f2(best)}x`,
    );
    if (paired.max / paired.min > 1.25 || (best <= TARGET_RATIO) !== met || (paired.median <= TARGET_RATIO) !== met) {
      out.push(
        `  WARNING (${cellName(c)}): the figures moved a lot between trials (see "cross-CPU ns" and the per-second values: ` +
        `a round trip over ${NEAR_MAX_NS} ns means the vCPUs sat on host cores without a shared cache); ` +
        'run more trials before drawing conclusions',
      );
    }
  }
  return out.join('\n');
}

export function rowJson(r: RowSummary): Record<string, unknown> {
  return {
    switch: r.name,
    size: r.size,
    ring: r.ring,
    cycles_per_packet: round(r.cycles.median, 1),
    cycles_per_packet_min: round(r.cycles.min, 1),
    cycles_per_packet_max: round(r.cycles.max, 1),
    mpps: round(r.mpps.median, 3),
    mpps_min: round(r.mpps.min, 3),
    mpps_max: round(r.mpps.max, 3),
    gbps: round(gbps(r), 3),
    switch_mpps: round(r.switchMpps.median, 3),
    busy_percent: round(r.busy.median, 1),
    cycles_per_packet_best_seconds: round(r.bestCycles, 1),
    drops: r.drops,
    trials: r.trials.map((t) => ({
      round: t.round,
      cycles_per_packet: round(t.cyclesPerPacket, 1),
      mpps: round(t.mpps, 3),
      switch_mpps: round(t.switchMpps, 3),
      busy_percent: round(t.busyPercent, 1),
      drops: t.drops,
      seconds: round(t.seconds, 3),
      cross_cpu_ns_before: Math.round(t.probeNs),
      ...(t.noise ? {
        forwarding_cpu: { cpu: t.noise.cpu, others_percent: round(t.noise.othersPercent, 2), steal_percent: round(t.noise.stealPercent, 2), others: t.noise.others },
      } : {}),
      per_second: t.perSecond.map((x) => ({ cycles_per_packet: round(x.cyclesPerPacket, 1), mpps: round(x.mpps, 3) })),
    })),
  };
}

export function cellJson(c: CellSummary): Record<string, unknown> {
  return {
    size: c.size,
    ring: c.ring,
    ...(c.vsIo && {
      ratio_cycles: round(c.vsIo.ratio, 3),
      ratio_cycles_paired_median: round(c.vsIo.paired.median, 3),
      ratio_cycles_paired_min: round(c.vsIo.paired.min, 3),
      ratio_cycles_paired_max: round(c.vsIo.paired.max, 3),
      ratio_cycles_best_seconds: round(c.vsIo.best, 3),
    }),
    ...Object.fromEntries(c.vsIoAcl.map((a) => [`ratio_cycles_${a.name.replace(/-/g, '_')}_over_io`, round(a.ratio, 3)])),
    ...(c.vsOvs && {
      ratio_mpps_fastpath_over_ovs: round(c.vsOvs.mpps, 3),
      ratio_mpps_fastpath_over_ovs_paired_median: round(c.vsOvs.paired.median, 3),
      ratio_mpps_fastpath_over_ovs_paired_min: round(c.vsOvs.paired.min, 3),
      ratio_mpps_fastpath_over_ovs_paired_max: round(c.vsOvs.paired.max, 3),
      ratio_cycles_ovs_over_fastpath: round(c.vsOvs.cycles, 3),
    }),
  };
}

/** The targets, judged where the issue states them: 64-byte frames (split ring when both ran). */
export function targetsJson(cells: CellSummary[]): Record<string, unknown> {
  const c = cells.find((x) => x.size === 64 && x.ring === 'split') ?? cells.find((x) => x.size === 64);
  if (!c) return { targets_judged_on: null };
  return {
    targets_judged_on: { size: c.size, ring: c.ring },
    ...(c.vsIo && { target_ratio: TARGET_RATIO, target_met: c.vsIo.ratio <= TARGET_RATIO }),
    ...(c.vsOvs && { ovs_target_mpps_ratio: OVS_TARGET_MPPS_RATIO, ovs_target_met: c.vsOvs.mpps >= OVS_TARGET_MPPS_RATIO }),
    ...(c.vsIoAcl.length > 0 && {
      acl_targets: Object.fromEntries(c.vsIoAcl.map((a) => [a.name, { ratio: round(a.ratio, 3), target: a.target, met: a.ratio <= a.target }])),
    }),
  };
}
