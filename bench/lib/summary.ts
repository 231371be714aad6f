// SPDX-License-Identifier: Apache-2.0
// Min/median/max over trials: the median is what we compare (one noisy
// trial on a shared 2-CPU VM must not decide the result), min/max show the
// spread.

import { renderRows } from '../../src/cli/table.js';

export interface Spread {
  min: number;
  median: number;
  max: number;
}

export function spread(values: number[]): Spread {
  if (values.length === 0) return { min: NaN, median: NaN, max: NaN };
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { min: v[0]!, median, max: v[v.length - 1]! };
}

/** Nearest-rank percentile (p in 0..100): a value that was measured, never an interpolation. */
export function percentile(values: number[], p: number): number {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))]!;
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Plain-text table: first column left-aligned, the others right-aligned, a rule under the header. */
export function table(header: string[], rows: string[][]): string {
  const width = header.map((_, c) => Math.max(...[header, ...rows].map((r) => (r[c] ?? '').length)));
  return renderRows([header, width.map((w) => '-'.repeat(w)), ...rows], header.map((_, c) => (c === 0 ? 'left' : 'right')));
}
