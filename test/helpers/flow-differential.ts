// SPDX-License-Identifier: Apache-2.0
// The differential run shared by test/e2e/flow-differential.test.ts (fixed
// seeds) and bench/flow-differential.ts (many seeds): random rules into the
// real fastpathd, random frames from two containers (a trunk port and an
// access port of VLAN 10) in two passes (caches cold, then warm), and every
// frame's fate compared with the reference (flow-reference.ts): where it
// went and its exact bytes there, or why it was dropped, and every rule's
// counter.
import type { Port__Output } from '../../src/api/gen/fastpath/v1/Port.js';
import { toProtoSpec } from '../../src/api/flow-convert.js';
import { formatFlow } from '../../src/core/flows/flow-text.js';
import type { FlowSpec } from '../../src/core/flows/flow-spec.js';
import type { Daemon } from './daemon.js';
import { refFate, type Fate, type RefPort } from './flow-reference.js';
import { pcapRound } from './pcap-cnf.js';
import { markerOf, randomFrames, randomRules } from './random-frames.js';

export const DIFF_NET = 'df';
export const SENDERS: readonly RefPort[] = [{ name: 'in', vlan: 0 }, { name: 'ina', vlan: 10 }];
export const RECEIVERS = ['o0', 'o1', 'o2', 'o3'] as const;
const RING = 4096; // above the frames a sender sends in one pass
const WORK = '/tmp/fastpath-test-differential';

export interface DiffPorts {
  ports: Record<string, Port__Output>;
}

/** The network, its ports and a drop miss action; once per daemon. */
export async function setUpDifferential(d: Daemon): Promise<DiffPorts> {
  const c = d.client;
  await c.unary(c.networks, c.networks.CreateNetwork, { network: { name: DIFF_NET } });
  const ports: Record<string, Port__Output> = {};
  for (const p of SENDERS) {
    // Twins flip bits in source MACs too: no learned-MAC limit in the way.
    ports[p.name] = (await c.unary(c.ports, c.ports.CreatePort, { port: { name: p.name, network: DIFF_NET, vlan: p.vlan, maxMacs: 65536 } })).port!;
  }
  for (const n of RECEIVERS) ports[n] = (await c.unary(c.ports, c.ports.CreatePort, { port: { name: n, network: DIFF_NET } })).port!;
  await c.unary(c.flows, c.flows.SetMissAction, { network: DIFF_NET, action: 'MISS_ACTION_DROP' });
  return { ports };
}

export interface DiffResult {
  seed: number;
  rules: number;
  frames: number;
  passes: number;
  delivered: number;
  dropped: Record<string, number>;
  ms: number;
  /** Empty when every fate matched. */
  mismatches: string[];
}

const hex = (b: Buffer): string => b.toString('hex').replace(/(..)/g, '$1 ').trim();

/** One seed: its rules, then its frames twice. */
export async function runDifferential(d: Daemon, setup: DiffPorts, seed: number, nFrames: number, nRules: number): Promise<DiffResult> {
  const c = d.client;
  const t0 = performance.now();
  const specs = randomRules(seed, nRules, RECEIVERS, SENDERS.map((p) => p.name));
  const installed = (await c.unary(c.flows, c.flows.ReplaceFlows, { network: DIFF_NET, specs: specs.map(toProtoSpec) })).flows;
  const rules: Array<{ id: number; spec: FlowSpec }> = installed.map((f, i) => ({ id: f.id, spec: specs[i]! }));
  const frames = Object.fromEntries(SENDERS.map((p, i) => [p.name, randomFrames(seed * 7 + i, nFrames, (i + 1) * 1_000_000)]));
  const want = new Map<number, { from: string; sent: Buffer; fate: Fate }>();
  const dropped: Record<string, number> = {};
  const perRule = new Map<number, number>();
  for (const p of SENDERS) {
    for (const f of frames[p.name]!) {
      const fate = refFate(f, p, rules);
      if (fate.kind === 'drop') dropped[fate.reason] = (dropped[fate.reason] ?? 0) + 1;
      const rule = fate.rule ?? -1;
      if (rule >= 0) perRule.set(rule, (perRule.get(rule) ?? 0) + 1);
      const id = markerOf(f);
      if (id !== undefined) want.set(id, { from: p.name, sent: f, fate });
    }
  }
  const expectedIds = new Map<string, number>();
  for (const [id, w] of want) if (w.fate.kind === 'out') expectedIds.set(w.fate.frame.toString('hex'), id);
  const ruleText = rules.map((r) => `  id ${r.id}: ${formatFlow(r.spec)}`).join('\n');
  const mismatches: string[] = [];
  const flows0 = await c.unary(c.flows, c.flows.ListFlows, { network: DIFF_NET });
  const passes = 2; // caches cold, then warm
  let delivered = 0;
  for (let pass = 1; pass <= passes && mismatches.length === 0; pass++) {
    const { got: byPort, before, after } = await pcapRound(d, DIFF_NET, setup.ports, frames, { workDir: WORK, ringSize: RING });
    for (const n of RECEIVERS) {
      const full = (after[n]!.drops.tx_full ?? 0) - (before[n]!.drops.tx_full ?? 0);
      if (full > 0) mismatches.push(`pass ${pass}: receiver ${n} overflowed (${full} tx_full drops): the run tells nothing`);
    }
    // A frame is known by its exact expected bytes; one that was not expected
    // anywhere, by its marker (with a tag the switch may have inserted into
    // it: a short frame's marker starts before byte 12).
    const got = new Map<number, Array<{ port: string; frame: Buffer }>>();
    for (const n of RECEIVERS) {
      for (const b of byPort[n]!) {
        const id = expectedIds.get(b.toString('hex')) ?? markerOf(b) ??
          (b.length >= 16 && b.readUInt16BE(12) === 0x8100 ? markerOf(Buffer.concat([b.subarray(0, 12), b.subarray(16)])) : undefined);
        if (id === undefined) continue;
        got.set(id, [...(got.get(id) ?? []), { port: n, frame: b }]);
        delivered++;
      }
    }
    for (const [id, w] of want) {
      const g = got.get(id) ?? [];
      const ok = w.fate.kind === 'drop'
        ? g.length === 0
        : g.length === 1 && g[0]!.port === w.fate.port && g[0]!.frame.equals(w.fate.frame);
      if (!ok && mismatches.length < 5) {
        mismatches.push([
          `seed ${seed}, pass ${pass}: frame ${id} from ${w.from} (${w.sent.length} bytes): ${hex(w.sent)}`,
          `  expected: ${w.fate.kind === 'drop' ? `drop (${w.fate.reason}, rule ${w.fate.rule ?? '-'})` : `${w.fate.port} (rule ${w.fate.rule}): ${hex(w.fate.frame)}`}`,
          `  got: ${g.length === 0 ? 'nothing' : g.map((x) => `${x.port}: ${hex(x.frame)}`).join('; ')}`,
        ].join('\n'));
      }
    }
    const drops = (reason: string): number => SENDERS.reduce((t, p) => t + (after[p.name]!.drops[reason] ?? 0) - (before[p.name]!.drops[reason] ?? 0), 0);
    for (const reason of ['runt', 'vlan', 'flow']) {
      if (drops(reason) !== (dropped[reason] ?? 0)) mismatches.push(`seed ${seed}, pass ${pass}: ${drops(reason)} ${reason} drops, expected ${dropped[reason] ?? 0}`);
    }
  }
  if (mismatches.length === 0) {
    const flows = await c.unary(c.flows, c.flows.ListFlows, { network: DIFF_NET });
    const pk = (l: typeof flows, id: number): number => Number(l.flows.find((f) => f.id === id)?.packets ?? 0);
    for (const r of rules) {
      const n = pk(flows, r.id) - pk(flows0, r.id);
      if (n !== passes * (perRule.get(r.id) ?? 0)) mismatches.push(`seed ${seed}: rule ${r.id} counted ${n}, expected ${passes * (perRule.get(r.id) ?? 0)}`);
    }
    const miss = Number(flows.missPackets) - Number(flows0.missPackets);
    if (miss !== passes * (perRule.get(0) ?? 0)) mismatches.push(`seed ${seed}: table miss counted ${miss}, expected ${passes * (perRule.get(0) ?? 0)}`);
  }
  if (mismatches.length > 0) mismatches.push(`rules of seed ${seed}:\n${ruleText}`);
  return {
    seed, rules: rules.length, frames: passes * SENDERS.length * nFrames, passes, delivered, dropped, ms: performance.now() - t0, mismatches,
  };
}
