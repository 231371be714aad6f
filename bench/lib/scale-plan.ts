// SPDX-License-Identifier: Apache-2.0
// What the scaling bench measures: for each dimension, the setups (what
// needs a fresh switch and guest: the switch, the port count, the ring
// layout) and their points (what the running guest and switch change
// between windows: MACs, flows, rules, frame size). Points of one setup take
// turns inside a trial, so their ratios come from the same vCPU placement;
// setups take turns between trials. Pure: unit tested.
import type { RingLayout } from './args.js';
import type { Dim } from './scale-args.js';

export type ScaleSwitch = 'fastpath' | 'testpmd-io' | 'ovs-dpdk';

export interface Point {
  /** What the reader sees, e.g. "100,000 MACs" or "10,000 rules, 1,000 flows". */
  label: string;
  /** MACs in each network, both sides (the guest uses half per side). */
  macs: number;
  flows: number;
  /** Flow rules in each network (0: plain L2 switching). */
  rules: number;
  size: number;
}

export interface Setup {
  dim: Dim;
  switch: ScaleSwitch;
  ports: number;
  ring: RingLayout;
  points: Point[];
  /** MAC table entries per network the switch needs. */
  macTableSize: number;
}

/** The loop bench's case, from which each dimension grows one thing. */
export const BASE: Point = { label: 'base', macs: 2, flows: 1, rules: 0, size: 64 };
export const PORT_COUNTS = [2, 8, 32, 128] as const;
export const MAC_COUNTS = [2, 1000, 100_000] as const;
export const FLOW_COUNTS = [1, 1000, 100_000] as const;
export const RULE_COUNTS = [100, 10_000] as const;
export const SIZES = [64, 512, 1500, 9000] as const;
/** testpmd's net_vhost ports are ethdev ports: Debian's DPDK has 32 at most. */
export const IO_MAX_PORTS = 32;
/** OVS-DPDK runs the port counts io-fwd runs, so the three meet at each. */
export const OVS_MAX_PORTS = IO_MAX_PORTS;

const n = (x: number): string => x.toLocaleString('en-US');

/** Room for every MAC twice over (rte_hash fills to about half before misses add up). */
function tableFor(macs: number): number {
  return Math.max(4096, 2 ** Math.ceil(Math.log2(macs * 2)));
}

/**
 * The setups of a dimension. OVS-DPDK (when `ovs`) runs beside fastpath
 * wherever it can do the same work: MAC learning (its NORMAL action) for
 * ports, MACs and sizes, the same rule tables for flows. testpmd io-fwd
 * learns nothing and has no rules: ports and sizes only.
 */
export function planDim(dim: Dim, rings: RingLayout[], ovs = false): Setup[] {
  const base = { dim, ring: 'split' as RingLayout, macTableSize: 4096 };
  const peers = (...sws: ScaleSwitch[]): ScaleSwitch[] => ['fastpath', ...sws, ...(ovs ? ['ovs-dpdk' as const] : [])];
  switch (dim) {
    case 'ports':
      return PORT_COUNTS.flatMap((ports) => peers('testpmd-io')
        .filter((sw) => sw === 'fastpath' || ports <= (sw === 'ovs-dpdk' ? OVS_MAX_PORTS : IO_MAX_PORTS))
        .map((sw) => ({ ...base, switch: sw, ports, points: [{ ...BASE, label: `${ports} ports` }] })));
    case 'macs':
      return peers().map((sw) => ({
        ...base, switch: sw, ports: 2, macTableSize: tableFor(Math.max(...MAC_COUNTS)),
        points: MAC_COUNTS.map((macs) => ({ ...BASE, label: `${n(macs)} MACs`, macs })),
      }));
    case 'flows':
      return peers().map((sw) => ({
        ...base, switch: sw, ports: 2,
        points: [
          { ...BASE, label: 'no rules, 1 flow' },
          ...RULE_COUNTS.flatMap((rules) => FLOW_COUNTS.map((flows) => ({
            ...BASE, label: `${n(rules)} rules, ${n(flows)} flow${flows === 1 ? '' : 's'}`, rules, flows,
          }))),
        ],
      }));
    case 'sizes':
      return rings.flatMap((ring) => peers('testpmd-io').map((sw) => ({
        ...base, switch: sw, ports: 2, ring,
        points: SIZES.map((size) => ({ ...BASE, label: `${size} B`, size })),
      })));
  }
}

/**
 * The order points take in round r (from 1) of a trial: forwards, then
 * backwards, so no point always follows the same one. Points with the same
 * rule count stay together: a new table costs an install (10,000 rules take
 * a while), so rules change as seldom as the alternation allows.
 */
export function pointOrder(points: readonly Point[], round: number): Point[] {
  const groups: Point[][] = [];
  for (const p of points) {
    const g = groups.find((x) => x[0]!.rules === p.rules);
    if (g) g.push(p);
    else groups.push([p]);
  }
  const flip = round % 2 === 0;
  return (flip ? [...groups].reverse() : groups).flatMap((g) => (flip ? [...g].reverse() : g));
}

/** Setup order in trial t (from 1): ABBA, as the loop bench alternates its switches. */
export function setupOrder<T>(setups: readonly T[], trial: number): T[] {
  return trial % 2 === 1 ? [...setups] : [...setups].reverse();
}

/** Guests a setup needs: one trafgen drives at most `perGuest` ports, in pairs. */
export function guestPortSplit(ports: number, perGuest: number): number[] {
  if (ports % 2 !== 0) throw new Error(`ports come in pairs: ${ports}`);
  const out: number[] = [];
  for (let left = ports; left > 0; left -= Math.min(left, perGuest)) out.push(Math.min(left, perGuest));
  return out;
}

/**
 * Trials and rounds a dimension runs. Where ratios pair windows of two
 * switch processes (ports: the base is another setup; sizes: io-fwd is), a
 * trial runs one round and there are rounds x trials of them, so paired
 * windows are seconds apart rather than a minute: this VM's vCPU placement
 * moves at the scale of minutes. Within one setup (macs, flows) the points
 * alternate inside a trial, round after round.
 */
export function schedule(dim: Dim, rounds: number, trials: number): { rounds: number; trials: number } {
  return dim === 'ports' || dim === 'sizes' ? { rounds: 1, trials: rounds * trials } : { rounds, trials };
}
