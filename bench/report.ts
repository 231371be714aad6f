// SPDX-License-Identifier: Apache-2.0
// bench/RESULTS.md from bench/results/*.json: every benchmark's figures in
// one place, as medians with their spread (min–max over the trials), never
// a chosen trial. The README and bench/README.md point here instead of
// quoting numbers that drift from the results. `npm run bench:report`
// rewrites it; test/unit/bench-report.test.ts fails when it is stale.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { spread as spreadOf, table } from './lib/summary.js';

const BENCH = dirname(fileURLToPath(import.meta.url));
export const RESULTS_MD = join(BENCH, 'RESULTS.md');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function load(name: string): Json | undefined {
  const f = join(BENCH, 'results', `${name}.json`);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Json) : undefined;
}

const fx = (v: number | undefined, d = 1): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '–');
const spread = (med: number, min: number, max: number, d = 1): string => `${fx(med, d)} [${fx(min, d)}–${fx(max, d)}]`;
const day = (d: Json): string => (typeof d.date === 'string' ? d.date.slice(0, 10) : 'undated');
const block = (t: string): string => `\`\`\`\n${t}\n\`\`\``;

function loop(d: Json): string {
  const rows = (d.rows as Json[]);
  const io = (size: number, ring: string) => rows.find((r) => r.switch === 'testpmd-io' && r.size === size && r.ring === ring);
  const body = rows.map((r) => {
    const base = io(r.size, r.ring);
    const ratio = base && r.switch !== 'testpmd-io' ? fx(r.cycles_per_packet / base.cycles_per_packet, 2) : '';
    return [`${r.switch} ${r.size} B ${r.ring}`, spread(r.cycles_per_packet, r.cycles_per_packet_min, r.cycles_per_packet_max),
      spread(r.mpps, r.mpps_min, r.mpps_max, 2), ratio];
  });
  return [
    `## Loop (\`npm run bench:loop\`, ${day(d)}, ${d.settings?.trials ?? '?'} trials per row)`,
    '',
    'The switch\'s busy cycles per packet and the loop\'s Mpps, median [min–max] over the trials; the ratio is',
    'the median cycles per packet over testpmd io-fwd\'s in the same run. On this VM both move with vCPU',
    'placement (bench/README.md): compare ratios within a run, not figures across runs.',
    '',
    block(table(['switch, frame, ring', 'cycles/packet', 'Mpps', 'x io-fwd'], body)),
  ].join('\n');
}

function flows(d: Json): string {
  const body = (d.rows as Json[]).map((r) => [`${r.call}, ${r.rules} rules`, spread(r.ms.median, r.ms.min, r.ms.max)]);
  return [`## Flow table installs (\`npm run bench:flows\`, ${day(d)}, ${d.reps} repetitions)`, '', block(table(['call', 'ms'], body))].join('\n');
}

function control(d: Json): string {
  const o = d.overall;
  const body = ['create', 'delete'].map((k) => [k, String(o[k].ports), String(o[k].ports_per_second), fx(o[k].p50_ms), fx(o[k].p99_ms), fx(o[k].max_ms)]);
  return [`## Control plane (\`npm run bench:control\`, ${typeof d.date === 'string' ? day(d) : 'latest run'})`, '',
    block(table(['operation', 'ports', 'ports/s', 'p50 ms', 'p99 ms', 'max ms'], body))].join('\n');
}

function exception(d: Json): string {
  const body = (d.rows as Json[]).map((r) => [`${r.path}, ${r.size} B`, spread(r.mpps.median, r.mpps.min, r.mpps.max, 4)]);
  return [`## Kernel exception path (\`npm run bench:exception\`, ${day(d)}; ${d.exception_path})`, '', block(table(['path, frame', 'Mpps'], body))].join('\n');
}

function overlay(d: Json): string {
  const body = (d.rows as Json[]).map((r) => [r.driver, `${r.mode}, ${r.size} B`, spread(r.mpps.median, r.mpps.min, r.mpps.max, 3),
    r.cross_over_same ? `${fx(r.cross_over_same.median, 3)}x` : '', fx(r.cycles_per_packet.a.median, 0),
    r.cycles_per_packet.b ? fx(r.cycles_per_packet.b.median, 0) : '', r.underlay_loss ? `${fx(100 * r.underlay_loss.median, 1)}%` : '']);
  return [`## Across nodes: VXLAN over an uplink (\`npm run bench:overlay\`, ${day(d)})`, '',
    'Both daemons\' workers share one CPU here: cross-node Mpps is that of two time-sliced switches; cycles/packet',
    '(each daemon\'s worker CPU time per packet it switched) is what carries over to real nodes.', '',
    block(table(['uplink', 'mode, frame', 'Mpps', 'cross/same', 'cyc/pkt A', 'cyc/pkt B', 'underlay loss'], body))].join('\n');
}

function hostile(d: Json): string {
  const body = (d.rows as Json[]).map((r) => [r.attack, spread(r.victimGapMs.median, r.victimGapMs.min, r.victimGapMs.max, 0),
    spread(r.victimMpps.median, r.victimMpps.min, r.victimMpps.max, 3), `${r.fds.before}/${r.fds.max}/${r.fds.after}`,
    `${fx(r.rssMb.before)}/${fx(r.rssMb.max)}/${fx(r.rssMb.after)}`]);
  return [`## Hostile tenants (\`npm run bench:hostile\`, ${day(d)}, ${d.settings?.trials ?? '?'} trials)`, '',
    'The victims\' longest forwarding gap (ms) and rate, and fastpathd\'s descriptors and RSS (MiB) before/max/after.', '',
    block(table(['attack', 'gap ms', 'victim Mpps', 'fds', 'RSS MiB'], body))].join('\n');
}

function cni(d: Json): string {
  const body = (d.rows as Json[]).map((r) => [r.op, spread(r.medianMs, r.minMs, r.maxMs)]);
  return [`## CNI plugin per call (\`npm run bench:cni\`, ${day(d)}, ${d.rounds} rounds)`, '', block(table(['call', 'ms'], body))].join('\n');
}

function differential(d: Json): string {
  const bad = (d.seeds as Json[]).filter((s) => !s.ok).length;
  return [`## Flow classification against a reference (\`npm run bench:differential\`, ${day(d)})`, '',
    `${d.totalFrames} frame fates over ${(d.seeds as Json[]).length} seeds in ${d.seconds} s: ${bad === 0 ? 'no mismatch' : `${bad} seeds with mismatches`}.`].join('\n');
}

function trex(d: Json): string {
  const row = (name: string, f: Json): string[] => [name, fx(f.rate_pps_per_direction / 1e6, 3), fx(f.aggregate_mpps, 3), fx(f.aggregate_gbps_l1, 2),
    f.lowest_failing_pps_per_direction === null ? 'none' : fx(f.lowest_failing_pps_per_direction / 1e6, 3)];
  const short = (d.trials as Json[]).filter((t) => t.short).length;
  return [`## TRex NDR/PDR through memif ports (\`npm run bench:trex\`, ${day(d)}, profile ${d.profile}, ${(d.trials as Json[]).length} trials of ${d.settings?.seconds} s)`, '',
    `${d.tool}; ${d.machine?.cores ?? '?'} CPUs. One search, so no spread: each figure is the highest rate that met its loss tolerance.`,
    d.machine?.cores !== undefined && d.machine.cores < 5
      ? 'On this host TRex runs in low_end mode on a CPU it shares with fp-ctl: the figures measure the test bed (the generator), not the switch.'
      : '',
    short > 0 ? `${short} trial(s) fell short of the asked rate and count at what TRex offered.` : '', '',
    block(table(['result', 'Mpps/direction', 'Mpps aggregate', 'Gbit/s L1', 'next failing Mpps/dir'], [row('NDR (0 loss)', d.ndr), row('PDR (<= 0.5 % loss)', d.pdr)])),
  ].filter((l, i, all) => l !== '' || all[i - 1] !== '').join('\n');
}

function restart(d: Json, graceful: boolean): string {
  const s = d.summary;
  return [`## Restarts${graceful ? ', graceful (SIGTERM)' : ' (kill -9)'} (\`npm run bench:restart${graceful ? ' -- --graceful' : ''}\`, ${day(d)}, ${(d.restarts as Json[]).length} restarts)`, '',
    'Two client-mode containers forwarding through the restarts; the gap is the longest stall of the receiver\'s counter (10 ms samples).', '',
    block(table(['', 'median', 'worst'], [
      ['API ready after the kill, ms', fx(s.apiMs.median, 0), fx(s.apiMs.worst, 0)],
      ['forwarding gap, ms', fx(s.gapMs.median, 0), fx(s.gapMs.worst, 0)],
      ['frames lost', fx(s.lost.median, 0), fx(s.lost.worst, 0)],
    ])),
    '', `Where the time goes (median ms after the ${graceful ? 'SIGTERM' : 'kill'}: the old process ${graceful ? 'stopping, stopped and ' : ''}gone, then each step of the new one's log): ${steps(d.restarts as Json[])}.`,
  ].join('\n');
}

function scale(d: Json): string {
  const sp = (x: Json | undefined, dd: number, suffix = ''): string => (x ? `${spread(x.median, x.min, x.max, dd)}${suffix}` : '');
  const dims = [...new Set((d.rows as Json[]).map((r) => r.dim as string))];
  const tables = dims.map((dim) => {
    const body = (d.rows as Json[]).filter((r) => r.dim === dim).map((r) => [
      `${r.point}${dim === 'sizes' ? ` ${r.ring}` : ''}`, r.switch, sp(r.cyclesPerPacket, 1), sp(r.mpps, 2), sp(r.vsBase, 2, 'x'), sp(r.vsIo, 2, 'x'), sp(r.vsOvs, 2, 'x'),
    ]);
    return [`### ${dim}`, '', block(table(['point', 'switch', 'cycles/packet', 'Mpps', 'x base', 'x io-fwd', 'x OVS'], body))].join('\n');
  });
  const w = d.worst as Json | undefined;
  const parts = w?.profile ? Object.entries(w.profile.parts as Record<string, number>).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}%`).join(', ') : '';
  return [
    `## Scaling (\`npm run bench:scale\`, ${day(d)}, ${(d.settings?.rounds ?? NaN) * (d.settings?.trials ?? NaN)} windows per point)`, '',
    'One thing grows at a time from the loop\'s case (2 ports, 2 MACs, 1 flow, 64 B). Busy cycles per packet on the',
    'forwarding lcore and the switch\'s Mpps, median [min–max] over the windows; x base and x io-fwd are medians of',
    'ratios of windows paired by trial and round (the same vCPU placement), against the dimension\'s first point on',
    'the same switch and against testpmd io-fwd and OVS-DPDK at the same point (x OVS under 1: fastpath spends',
    'fewer cycles per packet).', '',
    ...(d.targets as Json[]).map((t) => `- ${t.met === undefined || t.met === null ? 'not measured' : t.met ? 'met' : '**not met**'}: ${t.what}${t.ratio ? ` (${spread(t.ratio.median, t.ratio.min, t.ratio.max, 2)}x)` : ''}`),
    '', `Where cost per packet starts to grow (1.10x the base): ${(d.growth as string[]).join('; ')}.`,
    ...(w ? ['', `Worst point: ${w.dim}, ${w.point} (${w.ring}), ${fx(w.ratio, 2)}x ${w.against}${parts ? `; forwarding CPU by part: ${parts}` : ''}.`] : []),
    '', tables.join('\n\n'),
  ].join('\n');
}

/** Median time of each start-up step over the restarts that logged it, in log order. */
function steps(rows: Json[]): string {
  const names: string[] = [];
  for (const r of rows) for (const k of Object.keys(r.steps ?? {})) if (!names.includes(k)) names.push(k);
  return names.map((k) => `${k} ${fx(spreadOf(rows.filter((r) => r.steps?.[k] !== undefined).map((r) => r.steps[k] as number)).median, 0)}`).join(', ');
}

export function report(): string {
  const parts: Array<[string, (d: Json) => string]> = [
    ['loop', loop], ['flow-install', flows], ['control-plane', control], ['exception-path', exception],
    ['hostile', hostile], ['cni', cni], ['flow-differential', differential], ['trex', trex],
    ['restart', (d) => restart(d, false)], ['restart-graceful', (d) => restart(d, true)], ['scale', scale], ['overlay', overlay],
  ];
  const sections = parts.flatMap(([name, fn]) => {
    const d = load(name);
    return d ? [fn(d)] : [];
  });
  return [
    '<!-- SPDX-License-Identifier: Apache-2.0 -->',
    '<!-- Generated by bench/report.ts (npm run bench:report) from bench/results/*.json: do not edit. -->',
    '# Benchmark results',
    '',
    'Every figure is a median with its spread [min–max] over the trials of one run, on the machine the',
    'results file names; how each is measured is in bench/README.md.',
    '',
    sections.join('\n\n'),
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) writeFileSync(RESULTS_MD, report());
