// SPDX-License-Identifier: Apache-2.0
// The loop bench's matrix options and where its targets are judged.
import { describe, expect, it } from 'vitest';

import { parseArgs } from '../../bench/lib/args.js';
import { targetsJson, type CellSummary } from '../../bench/lib/loop-report.js';

describe('bench:loop options', () => {
  it('runs the full matrix by default: 64 and 1500 bytes, split and packed rings', () => {
    expect(parseArgs([])).toMatchObject({ seconds: 5, trials: 3, sizes: [64, 1500], rings: ['split', 'packed'] });
  });

  it('takes sizes and rings as lists, in canonical ring order, without duplicates', () => {
    expect(parseArgs(['--sizes', '1500,64,64', '--rings=packed,split'])).toMatchObject({ sizes: [1500, 64], rings: ['split', 'packed'] });
    expect(parseArgs(['--rings', 'packed'])).toMatchObject({ rings: ['packed'] });
  });

  it('refuses sizes out of range and unknown rings', () => {
    expect(() => parseArgs(['--sizes', '63'])).toThrow(/--sizes: integers in 64..1500/);
    expect(() => parseArgs(['--sizes', '9000'])).toThrow(/--sizes/);
    expect(() => parseArgs(['--rings', 'ring'])).toThrow(/unknown layout ring/);
  });
});

describe('bench:loop targets', () => {
  const cell = (size: number, ring: 'split' | 'packed', ratio: number, mpps: number): CellSummary => ({
    size, ring, rows: [],
    vsIo: { ratio, paired: { min: ratio, median: ratio, max: ratio }, best: ratio },
    vsOvs: { mpps, paired: { min: mpps, median: mpps, max: mpps }, cycles: mpps },
    vsIoAcl: [],
  });

  it('are judged on 64 B split, whatever the other cells say', () => {
    expect(targetsJson([cell(1500, 'split', 3, 0.5), cell(64, 'packed', 2, 1), cell(64, 'split', 1.01, 1.44)])).toEqual({
      targets_judged_on: { size: 64, ring: 'split' }, target_ratio: 1.15, target_met: true, ovs_target_mpps_ratio: 1.3, ovs_target_met: true,
    });
    expect(targetsJson([cell(64, 'packed', 1.2, 1.2)])).toMatchObject({ targets_judged_on: { size: 64, ring: 'packed' }, target_met: false, ovs_target_met: false });
    expect(targetsJson([cell(1500, 'split', 1, 2)])).toEqual({ targets_judged_on: null });
  });
});
