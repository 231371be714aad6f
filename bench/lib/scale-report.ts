// SPDX-License-Identifier: Apache-2.0
// The scaling bench's summary: per dimension, each (switch, ports, ring,
// point) row with its cycles/packet and Mpps (median, min-max over windows)
// and its ratios, each taken window by window against a window of the same
// trial and round (the same vCPU placement, as far as this VM allows):
//   vs base   against the dimension's first point on the same switch;
//   vs io-fwd against testpmd io-fwd at the same point, ports and ring;
//   vs OVS    against OVS-DPDK likewise (under 1: fastpath spends less).
// Then where cost per packet starts to grow, the targets, and the
// charts. Pure: unit tested.
import type { Dim } from './scale-args.js';
import type { ScaleSwitch, Setup } from './scale-plan.js';
import type { ScaleWindow } from './scale-run.js';
import { barChartSvg } from './svg-chart.js';
import { round, spread, table, type Spread } from './summary.js';

/** Windows of one (switch, ports, ring) setup, with where they came from. */
export interface SetupWindows {
  setup: Setup;
  windows: ScaleWindow[];
}

export interface ScaleRow {
  dim: Dim;
  switch: ScaleSwitch;
  ports: number;
  ring: string;
  point: string;
  cyclesPerPacket: Spread;
  mpps: Spread;
  busyPercent: number;
  drops: number;
  windows: number;
  vsBase?: Spread;
  vsIo?: Spread;
  vsOvs?: Spread;
}

/** A cost grows past this ratio: where the report says growth starts. */
export const GROWTH_RATIO = 1.1;

const key = (w: ScaleWindow): string => `${w.trial}/${w.round}`;

function ratios(a: ScaleWindow[], b: ScaleWindow[]): Spread | undefined {
  const byKey = new Map(b.map((w) => [key(w), w.cyclesPerPacket]));
  const r = a.flatMap((w) => {
    const d = byKey.get(key(w));
    return d !== undefined && d > 0 ? [w.cyclesPerPacket / d] : [];
  });
  return r.length > 0 ? spread(r) : undefined;
}

export function summarizeDim(dim: Dim, data: SetupWindows[]): ScaleRow[] {
  const of = (sw: ScaleSwitch, ports: number, ring: string, point: string): ScaleWindow[] =>
    data.filter((d) => d.setup.switch === sw && d.setup.ports === ports && d.setup.ring === ring)
      .flatMap((d) => d.windows.filter((w) => w.point === point));
  const rows: ScaleRow[] = [];
  const seen = new Set<string>();
  for (const { setup } of data) {
    const id = `${setup.switch}|${setup.ports}|${setup.ring}`;
    if (seen.has(id)) continue;
    seen.add(id);
    // The dimension's base on this switch: the first setup's first point.
    const baseSetup = data.find((d) => d.setup.switch === setup.switch && d.setup.ring === setup.ring)!.setup;
    const base = of(setup.switch, baseSetup.ports, baseSetup.ring, baseSetup.points[0]!.label);
    for (const p of setup.points) {
      const ws = of(setup.switch, setup.ports, setup.ring, p.label);
      if (ws.length === 0) continue;
      const isBase = setup.ports === baseSetup.ports && p.label === baseSetup.points[0]!.label;
      const peer = (sw: ScaleSwitch): Spread | undefined => {
        const o = setup.switch === 'fastpath' ? of(sw, setup.ports, setup.ring, p.label) : [];
        return o.length > 0 ? ratios(ws, o) : undefined;
      };
      const vsBase = isBase ? undefined : ratios(ws, base);
      const vsIo = peer('testpmd-io');
      const vsOvs = peer('ovs-dpdk');
      rows.push({
        dim, switch: setup.switch, ports: setup.ports, ring: setup.ring, point: p.label,
        cyclesPerPacket: spread(ws.map((w) => w.cyclesPerPacket)),
        mpps: spread(ws.map((w) => w.mpps)),
        busyPercent: spread(ws.map((w) => w.busyPercent)).median,
        drops: ws.reduce((a, w) => a + w.drops, 0),
        windows: ws.length,
        ...(vsBase && { vsBase }),
        ...(vsIo && { vsIo }),
        ...(vsOvs && { vsOvs }),
      });
    }
  }
  return rows;
}

const fmt = (s: Spread | undefined, d = 2, suffix = ''): string =>
  s === undefined ? '-' : `${s.median.toFixed(d)}${suffix} (${s.min.toFixed(d)}-${s.max.toFixed(d)})`;

export function dimTable(rows: ScaleRow[]): string {
  return table(
    ['point', 'switch', 'ports', 'ring', 'cycles/packet (min-max)', 'Mpps (min-max)', 'busy', 'vs base', 'vs io-fwd', 'vs OVS', 'drops'],
    rows.map((r) => [
      r.point, r.switch, String(r.ports), r.ring, fmt(r.cyclesPerPacket, 1), fmt(r.mpps, 3), `${r.busyPercent.toFixed(0)}%`,
      fmt(r.vsBase, 2, 'x'), fmt(r.vsIo, 2, 'x'), fmt(r.vsOvs, 2, 'x'), String(r.drops),
    ]),
  );
}

/** The first fastpath point whose cost per packet is GROWTH_RATIO over the base, per dimension (sizes: see vs io-fwd). */
export function growthStarts(rows: ScaleRow[]): string[] {
  const out: string[] = [];
  const groups = new Map<string, ScaleRow[]>();
  // A bigger frame costs more to copy by nature: sizes are judged against io-fwd, not their 64 B base.
  for (const r of rows.filter((x) => x.switch === 'fastpath' && x.dim !== 'sizes')) {
    groups.set(r.dim, [...(groups.get(r.dim) ?? []), r]);
  }
  for (const [dim, rs] of groups) {
    const first = rs.find((r) => (r.vsBase?.median ?? 0) >= GROWTH_RATIO);
    out.push(first
      ? `${dim}: cost per packet grows from ${first.point} (${first.vsBase!.median.toFixed(2)}x the base)`
      : `${dim}: no point costs ${GROWTH_RATIO}x the base or more`);
  }
  return out;
}

export interface Target {
  what: string;
  limit: number;
  ratio: Spread | undefined;
  met: boolean | undefined;
}

/** The targets, each judged on the median of its paired windows. */
export function targets(rows: ScaleRow[]): Target[] {
  const find = (dim: Dim, point: string, ring = 'split'): ScaleRow | undefined =>
    rows.find((r) => r.dim === dim && r.switch === 'fastpath' && r.point === point && r.ring === ring && r.ports === 2);
  const t = (what: string, limit: number, ratio: Spread | undefined): Target =>
    ({ what, limit, ratio, met: ratio === undefined ? undefined : round(ratio.median, 2) <= limit });
  return [
    t('packed rings, 64 B: fastpath within 1.10x of io-fwd', 1.1, find('sizes', '64 B', 'packed')?.vsIo),
    t('packed rings, 1500 B: fastpath within 1.10x of io-fwd', 1.1, find('sizes', '1500 B', 'packed')?.vsIo),
    t('split rings, 1500 B: fastpath within 1.10x of io-fwd', 1.1, find('sizes', '1500 B', 'split')?.vsIo),
    t('100 rules, traffic that hits the caches: within 1.05x of no rules', 1.05, find('flows', '100 rules, 1 flow')?.vsBase),
    t('100,000 MACs: within 1.5x of 2 MACs', 1.5, find('macs', '100,000 MACs')?.vsBase),
  ];
}

export function targetLines(ts: Target[]): string[] {
  return ts.map((x) => `${x.met === undefined ? 'not measured' : x.met ? 'MET    ' : 'NOT MET'}  ${x.what}: ${fmt(x.ratio, 2, 'x')}`);
}

/** The fastpath row furthest over its base or io-fwd: the one worth a profile. */
export function worstRow(rows: ScaleRow[]): { row: ScaleRow; ratio: number; against: string } | undefined {
  let best: { row: ScaleRow; ratio: number; against: string } | undefined;
  for (const r of rows.filter((x) => x.switch === 'fastpath')) {
    for (const [against, s] of [['base', r.dim === 'sizes' ? undefined : r.vsBase], ['io-fwd', r.vsIo]] as const) {
      if (s && (!best || s.median > best.ratio)) best = { row: r, ratio: s.median, against };
    }
  }
  return best;
}

export function dimChartSvg(dim: Dim, rows: ScaleRow[], machine: string, note: string): string {
  const groupLabel = (r: ScaleRow): string => (dim === 'sizes' ? `${r.ring} ${r.point}` : r.point);
  const labels = [...new Set(rows.map(groupLabel))];
  return barChartSvg({
    title: `fastpath scaling: ${dim} (busy cycles per packet on the forwarding lcore; lower is better)`,
    notes: [machine, note],
    yLabel: 'cycles/packet',
    groups: labels.map((label) => ({
      label,
      bars: rows.filter((r) => groupLabel(r) === label).map((r) => ({
        series: r.switch, value: r.cyclesPerPacket.median, min: r.cyclesPerPacket.min, max: r.cyclesPerPacket.max,
      })),
    })),
  });
}
