// SPDX-License-Identifier: Apache-2.0
// Flow table installation through the real API: the time a controller
// waits for ReplaceFlows with 100, 1,000 and 10,000 rules (the rule sets of
// the loop bench: wildcard L3/L4 decoys plus two in_port rules), for one
// AddFlow into a full table (the classifier is rebuilt whole), and for
// ListFlows with counters. fastpathd runs as in the e2e tests.
//   npm run bench:flows -- [--reps N]
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import { toProtoSpec } from '../src/api/flow-convert.js';
import { parseFlow } from '../src/core/flows/flow-text.js';
import { Daemon } from '../test/helpers/daemon.js';
import { loopFlowTexts } from './lib/flow-rules.js';
import { cpuModel, describeMachine, machineLine } from './lib/machine.js';
import { round, spread, table, type Spread } from './lib/summary.js';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results', 'flow-install.json');
const SIZES = [100, 1_000, 10_000];
/** From the issue: installing 10,000 rules with ReplaceFlows. */
const TARGET_10K_MS = 1000;

function reps(): number {
  const i = process.argv.indexOf('--reps');
  const n = i > 0 ? Number(process.argv[i + 1]) : 5;
  if (!Number.isInteger(n) || n < 1) throw new Error('--reps needs a positive integer');
  return n;
}

async function main(): Promise<void> {
  const n = reps();
  const d = await Daemon.start(Daemon.fresh('bench-flows'));
  const c = d.client;
  const rows: Array<{ what: string; rules: number; ms: Spread }> = [];
  try {
    await c.unary(c.networks, c.networks.CreateNetwork, { network: { name: 'b' } });
    for (const p of ['p0', 'p1']) await c.unary(c.ports, c.ports.CreatePort, { port: { name: p, network: 'b' } });
    const time = async (what: string, rules: number, f: () => Promise<unknown>, before?: () => Promise<unknown>) => {
      const ms: number[] = [];
      for (let i = 1; i <= n; i++) {
        await before?.();
        const t0 = performance.now();
        await f();
        ms.push(performance.now() - t0);
        console.log(`${what}, ${rules} rules: ${i} of ${n}: ${ms.at(-1)!.toFixed(0)} ms`);
      }
      rows.push({ what, rules, ms: spread(ms) });
    };
    const empty = () => c.unary(c.flows, c.flows.ReplaceFlows, { network: 'b', specs: [] });
    for (const size of SIZES) {
      const specs = loopFlowTexts(size).map((t) => toProtoSpec(parseFlow(t)));
      // From an empty table each time: every rule is new (ids, counters).
      await time('ReplaceFlows', size, () => c.unary(c.flows, c.flows.ReplaceFlows, { network: 'b', specs }), empty);
    }
    const full = loopFlowTexts(10_000).map((t) => toProtoSpec(parseFlow(t)));
    await c.unary(c.flows, c.flows.ReplaceFlows, { network: 'b', specs: full.slice(0, 9_999) });
    const extra = toProtoSpec(parseFlow('priority=50,udp,tp_dst=4789,actions=drop'));
    await time('AddFlow into a full table', 10_000, () => c.unary(c.flows, c.flows.AddFlow, { network: 'b', spec: extra }),
      async () => { const l = await c.unary(c.flows, c.flows.ListFlows, { network: 'b' }); const f = l.flows.find((x) => x.text.includes('4789')); if (f) await c.unary(c.flows, c.flows.DeleteFlow, { network: 'b', id: f.id }); });
    await time('ListFlows', 10_000, () => c.unary(c.flows, c.flows.ListFlows, { network: 'b' }));
  } finally {
    await d.dispose();
  }
  const date = new Date().toISOString();
  const machine = describeMachine(0, 'DPDK 22.11');
  console.log(`\n${machineLine(machine, date)}\nCPU: ${cpuModel()}`);
  console.log(table(['call', 'rules', 'min ms', 'median ms', 'max ms'],
    rows.map((r) => [r.what, String(r.rules), r.ms.min.toFixed(0), r.ms.median.toFixed(0), r.ms.max.toFixed(0)])));
  const tenK = rows.find((r) => r.what === 'ReplaceFlows' && r.rules === 10_000)!;
  const met = tenK.ms.median <= TARGET_10K_MS;
  console.log(`ReplaceFlows with 10,000 rules: median ${tenK.ms.median.toFixed(0)} ms (target <= ${TARGET_10K_MS} ms): ${met ? 'met' : 'NOT met'}`);
  await mkdir(dirname(RESULTS), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify({
    rows: rows.map((r) => ({ call: r.what, rules: r.rules, ms: { min: round(r.ms.min, 1), median: round(r.ms.median, 1), max: round(r.ms.max, 1) } })),
    target: { replace_10k_ms: TARGET_10K_MS, met }, machine, date, reps: n,
  }, null, 2)}\n`);
  console.log(`wrote ${RESULTS}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
