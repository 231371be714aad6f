// SPDX-License-Identifier: Apache-2.0
// Aligned plain-text tables, like `ovs-vsctl list` or `docker ps`: columns
// padded with spaces (no box drawing) so the output stays grep- and
// awk-friendly.

export interface Column {
  header: string;
  /** Numbers read better right-aligned, so their digits line up. */
  align?: 'left' | 'right';
}

const GAP = '  ';

/** Rows with their columns padded to a common width; no header. */
export function renderRows(rows: string[][], align: Array<'left' | 'right' | undefined> = []): string {
  const n = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: n }, (_, i) => Math.max(0, ...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((cells) =>
      widths
        .map((w, i) => (align[i] === 'right' ? (cells[i] ?? '').padStart(w) : (cells[i] ?? '').padEnd(w)))
        .join(GAP)
        .trimEnd(),
    )
    .join('\n');
}

/** Rows under a header line; every row has one cell per column. */
export function renderTable(columns: Column[], rows: string[][]): string {
  return renderRows([columns.map((c) => c.header), ...rows], columns.map((c) => c.align));
}

/** "key:   value" lines with the values aligned, for one object. */
export function renderFields(fields: Array<[string, string]>, indent = ''): string {
  const w = Math.max(0, ...fields.map(([k]) => k.length + 1));
  return fields.map(([k, v]) => `${indent}${`${k}:`.padEnd(w)} ${v}`.trimEnd()).join('\n');
}
