// SPDX-License-Identifier: Apache-2.0
// bench/RESULTS.md is what bench/report.ts makes of bench/results/*.json
// (regenerate: npm run bench:report), and it quotes medians with spreads.
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { report, RESULTS_MD } from '../../bench/report.js';

describe('bench/RESULTS.md', () => {
  it('is current with bench/results/*.json', () => {
    expect(readFileSync(RESULTS_MD, 'utf8')).toBe(report());
  });

  it('shows every loop row as a median with its spread', () => {
    const md = report();
    expect(md).toMatch(/fastpath 64 B split\s+\d+\.\d \[\d+\.\d–\d+\.\d\]/);
    expect(md).toContain('## Loop');
  });
});
