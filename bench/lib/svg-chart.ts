// SPDX-License-Identifier: Apache-2.0
// A dependency-free SVG writer for the bench charts: an x/y chart (the TRex
// search: offered against received rate) and a grouped bar chart with
// min-max whiskers (the loop bench). Plain SVG 1.1, readable in any
// browser and on GitHub; every chart carries its machine line, because a
// figure without the machine it came from means little.

export interface Series {
  name: string;
  points: { x: number; y: number }[];
  /** Connect the points in x order (default) or only mark them. */
  line?: boolean;
}

export interface XyChart {
  title: string;
  /** Lines under the plot: the machine, the date, the settings. */
  notes: string[];
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Draw y = x (e.g. "received = offered"). */
  diagonal?: boolean;
  /** Vertical markers, e.g. NDR and PDR. */
  markers?: { x: number; label: string }[];
}

export interface Bar {
  series: string;
  value: number;
  min?: number;
  max?: number;
}

export interface BarChart {
  title: string;
  notes: string[];
  yLabel: string;
  groups: { label: string; bars: Bar[] }[];
}

const W = 880;
const H = 520;
const M = { left: 80, right: 190, top: 48, bottom: 70 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** About `count` round tick values from 0 to at least max. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${escapeXml(s)}</text>`;
}

/** Notes longer than the chart is wide break at their ' | ' separators (the machine line has several). */
export function wrapNote(note: string, max = 120): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const part of note.split(' | ')) {
    const next = cur === '' ? part : `${cur} | ${part}`;
    if (next.length > max && cur !== '') {
      lines.push(cur);
      cur = `  ${part}`;
    } else {
      cur = next;
    }
  }
  lines.push(cur);
  return lines;
}

function frame(title: string, rawNotes: string[], body: string[], height = H): string {
  const notes = rawNotes.flatMap((n) => wrapNote(n));
  const foot = notes.map((n, i) => text(M.left - 60, height - M.bottom + 40 + i * 15, n, 'font-size="11" fill="#444"'));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height + notes.length * 15}" viewBox="0 0 ${W} ${height + notes.length * 15}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    text(W / 2, 26, title, 'text-anchor="middle" font-size="15" font-weight="bold"'),
    ...body,
    ...foot,
    '</svg>',
    '',
  ].join('\n');
}

interface Axes {
  body: string[];
  sx: (v: number) => number;
  sy: (v: number) => number;
}

function axes(xMax: number | undefined, yMax: number, xLabel: string | undefined, yLabel: string): Axes {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const yt = niceTicks(yMax);
  const yTop = yt[yt.length - 1]!;
  const sy = (v: number): number => M.top + ph - (v / yTop) * ph;
  const body: string[] = [];
  for (const t of yt) {
    body.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" stroke="#e4e4e4"/>`);
    body.push(text(M.left - 6, sy(t) + 4, fmt(t), 'text-anchor="end"'));
  }
  let sx = (v: number): number => M.left + v;
  if (xMax !== undefined) {
    const xt = niceTicks(xMax);
    const xRight = xt[xt.length - 1]!;
    sx = (v: number): number => M.left + (v / xRight) * pw;
    for (const t of xt) {
      body.push(`<line x1="${sx(t).toFixed(1)}" x2="${sx(t).toFixed(1)}" y1="${M.top}" y2="${M.top + ph}" stroke="#f0f0f0"/>`);
      body.push(text(sx(t), M.top + ph + 16, fmt(t), 'text-anchor="middle"'));
    }
  }
  body.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  if (xLabel) body.push(text(M.left + pw / 2, M.top + ph + 34, xLabel, 'text-anchor="middle"'));
  body.push(text(18, M.top + ph / 2, yLabel, `text-anchor="middle" transform="rotate(-90 18 ${M.top + ph / 2})"`));
  return { body, sx, sy };
}

function legend(names: string[]): string[] {
  const x = W - M.right + 14;
  return names.flatMap((n, i) => [
    `<rect x="${x}" y="${M.top + i * 20}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`,
    text(x + 18, M.top + i * 20 + 10, n),
  ]);
}

export function xyChartSvg(c: XyChart): string {
  const all = c.series.flatMap((s) => s.points);
  const xMax = Math.max(...all.map((p) => p.x), ...(c.markers ?? []).map((m) => m.x), 0);
  const yMax = Math.max(...all.map((p) => p.y), c.diagonal ? xMax : 0, 0);
  const a = axes(xMax, yMax, c.xLabel, c.yLabel);
  const body = [...a.body];
  if (c.diagonal) {
    body.push(`<line x1="${a.sx(0).toFixed(1)}" y1="${a.sy(0).toFixed(1)}" x2="${a.sx(xMax).toFixed(1)}" y2="${a.sy(xMax).toFixed(1)}" stroke="#aaa" stroke-dasharray="4 4"/>`);
  }
  for (const m of c.markers ?? []) {
    body.push(`<line x1="${a.sx(m.x).toFixed(1)}" x2="${a.sx(m.x).toFixed(1)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#555" stroke-dasharray="2 3"/>`);
    body.push(text(a.sx(m.x) + 3, M.top + 12, m.label, 'font-size="11"'));
  }
  c.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts = [...s.points].sort((p, q) => p.x - q.x);
    if (s.line !== false && pts.length > 1) {
      body.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts.map((p) => `${a.sx(p.x).toFixed(1)},${a.sy(p.y).toFixed(1)}`).join(' ')}"/>`);
    }
    for (const p of pts) body.push(`<circle cx="${a.sx(p.x).toFixed(1)}" cy="${a.sy(p.y).toFixed(1)}" r="3.5" fill="${color}"/>`);
  });
  body.push(...legend(c.series.map((s) => s.name)));
  return frame(c.title, c.notes, body);
}

export function barChartSvg(c: BarChart): string {
  const names = [...new Set(c.groups.flatMap((g) => g.bars.map((b) => b.series)))];
  const yMax = Math.max(0, ...c.groups.flatMap((g) => g.bars.map((b) => Math.max(b.value, b.max ?? 0))));
  const a = axes(undefined, yMax, undefined, c.yLabel);
  const body = [...a.body];
  const pw = W - M.left - M.right;
  const gw = pw / Math.max(1, c.groups.length);
  const bw = Math.min(36, (gw * 0.8) / Math.max(1, names.length));
  c.groups.forEach((g, gi) => {
    const x0 = M.left + gi * gw + (gw - bw * names.length) / 2;
    for (const b of g.bars) {
      const si = names.indexOf(b.series);
      const x = x0 + si * bw;
      body.push(`<rect x="${x.toFixed(1)}" y="${a.sy(b.value).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${(a.sy(0) - a.sy(b.value)).toFixed(1)}" fill="${COLORS[si % COLORS.length]}"/>`);
      if (b.min !== undefined && b.max !== undefined) {
        const cx = x + (bw - 2) / 2;
        body.push(`<line x1="${cx.toFixed(1)}" x2="${cx.toFixed(1)}" y1="${a.sy(b.min).toFixed(1)}" y2="${a.sy(b.max).toFixed(1)}" stroke="#222"/>`);
      }
      body.push(text(x + (bw - 2) / 2, a.sy(b.value) - 4, fmt(Number(b.value.toFixed(2))), 'text-anchor="middle" font-size="10"'));
    }
    body.push(text(M.left + gi * gw + gw / 2, H - M.bottom + 16, g.label, 'text-anchor="middle"'));
  });
  body.push(...legend(names));
  return frame(c.title, c.notes, body);
}
