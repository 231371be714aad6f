// SPDX-License-Identifier: Apache-2.0
// A differential test that can find what we did not think of: thousands of
// random frames (Ethernet, 802.1Q, priority and 802.1ad tags, IPv4 with
// options and fragments, IPv6 with extension chains, truncations at every
// length, near-identical twins) against random rule sets, in bursts that
// mix them, through the real fastpathd; every frame's fate and bytes, every
// drop reason and every rule counter compared with a reference classifier
// written from the documented semantics (test/helpers/flow-reference.ts).
// Caches cold, then warm. Seeded: a failure prints the seed, the frame that
// disagreed and the rules; FP_DIFF_SEEDS=1,2,3 replays chosen seeds.
// bench/flow-differential.ts runs many more.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Daemon } from '../helpers/daemon.js';
import { runDifferential, setUpDifferential, type DiffPorts } from '../helpers/flow-differential.js';

const SEEDS = (process.env.FP_DIFF_SEEDS ?? '1,2').split(',').map(Number);
let d: Daemon;
let setup: DiffPorts;

describe('classification against a reference, on random frames and rules', () => {
  beforeAll(async () => {
    d = await Daemon.start(Daemon.fresh('diff'));
    setup = await setUpDifferential(d);
  });

  afterAll(async () => {
    await d?.dispose();
  });

  for (const seed of SEEDS) {
    it(`seed ${seed}: 2 x 2 x 1,500 frames, 40 rules, every fate as the reference says`, async () => {
      const r = await runDifferential(d, setup, seed, 1500, 40);
      expect(r.mismatches.join('\n\n')).toBe('');
      // The run means something: frames went to ports and were dropped for each reason.
      expect(r.delivered).toBeGreaterThan(200);
      for (const reason of ['flow', 'vlan', 'runt']) expect(r.dropped[reason]).toBeGreaterThan(10);
    });
  }
});
