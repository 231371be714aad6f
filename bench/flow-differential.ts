// SPDX-License-Identifier: Apache-2.0
// The differential classification test, longer: many seeds (each a new
// random rule set and new random frames, sent twice: caches cold, then warm)
// through the real fastpathd, every fate compared with the reference
// classifier (test/helpers/flow-reference.ts). Stops at the first seed that
// disagrees and prints it, so `FP_DIFF_SEEDS=<seed> npx vitest run
// test/e2e/flow-differential.test.ts` replays it.
//   npm run bench:differential -- [--seeds N] [--first S] [--frames N] [--rules N]
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Daemon } from '../test/helpers/daemon.js';
import { runDifferential, setUpDifferential, type DiffResult } from '../test/helpers/flow-differential.js';
import { describeMachine } from './lib/machine.js';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results', 'flow-differential.json');

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

async function main(): Promise<void> {
  const seeds = Number(arg('seeds', '20'));
  const first = Number(arg('first', '100'));
  const frames = Number(arg('frames', '2000'));
  const rules = Number(arg('rules', '60'));
  const d = await Daemon.start(Daemon.fresh('bench-diff'));
  const results: DiffResult[] = [];
  const t0 = performance.now();
  try {
    const setup = await setUpDifferential(d);
    for (let s = first; s < first + seeds; s++) {
      const r = await runDifferential(d, setup, s, frames, rules);
      results.push(r);
      console.log(`seed ${s}: ${r.frames} frames, ${r.rules} rules, ${r.delivered} delivered, drops ${JSON.stringify(r.dropped)} per pass, ` +
        `${(r.ms / 1000).toFixed(1)} s: ${r.mismatches.length === 0 ? 'all as the reference says' : 'MISMATCH'}`);
      if (r.mismatches.length > 0) {
        console.log(r.mismatches.join('\n\n'));
        process.exitCode = 1;
        break;
      }
    }
  } finally {
    await d.dispose();
  }
  const total = results.reduce((t, r) => t + r.frames, 0);
  const secs = (performance.now() - t0) / 1000;
  console.log(`\n${results.length} seeds, ${total} frame fates compared in ${secs.toFixed(0)} s; ${process.exitCode ? 'a mismatch' : 'no mismatch'}`);
  await mkdir(dirname(RESULTS), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify({
    seeds: results.map((r) => ({ seed: r.seed, frames: r.frames, rules: r.rules, delivered: r.delivered, dropped: r.dropped, ms: Math.round(r.ms), ok: r.mismatches.length === 0 })),
    totalFrames: total, seconds: Math.round(secs), machine: describeMachine(0, 'DPDK 22.11'), date: new Date().toISOString(),
    settings: { seeds, first, frames, rules },
  }, null, 2)}\n`);
  console.log(`wrote ${RESULTS}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
