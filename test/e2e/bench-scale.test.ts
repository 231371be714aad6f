// SPDX-License-Identifier: Apache-2.0
// npm run bench:scale end to end, at its smallest (one dimension, one round
// of one-second windows): real fastpath, real fp_trafgen guests. Its
// figures are not judged here (performance lives in bench/), only that it
// measures every point, writes its JSON and charts, and leaves no DPDK
// process, runtime directory or socket directory behind.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
let dir = '';

function run(args: string[]): Promise<{ code: number | null; out: string; pid: number }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'scale.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    p.once('exit', (code) => resolve({ code, out, pid: p.pid ?? -1 }));
  });
}

const ours = (pid: number): string[] => (existsSync('/var/run/dpdk') ? readdirSync('/var/run/dpdk') : []).filter((n) => n.includes(`-${pid}-`) || n.startsWith(`cnf-scale-${pid}-`));

describe('npm run bench:scale', () => {
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('measures every point of a dimension, writes JSON and a chart, and cleans up', async () => {
    dir = await mkdtemp(join(tmpdir(), 'fp-scale-'));
    const out = join(dir, 'scale.json');
    // --no-ovs: whether OVS-DPDK is installed must not change what this
    // test measures (npm test never installs it: on a host with systemd its
    // package starts a switch); its rows are covered by the unit tests and
    // the bench's own runs.
    const r = await run(['--dims', 'macs', '--rounds', '1', '--seconds', '1', '--settle', '0', '--trials', '1', '--no-profile', '--no-ovs', '--out', out]);
    expect(r.code, r.out.slice(-3000)).toBe(0);
    // Progress for every window, then the table.
    expect(r.out).toMatch(/100,000 MACs, round 1\/1: [\d.]+ cycles\/packet/);
    const j = JSON.parse(readFileSync(out, 'utf8')) as { rows: Array<{ point: string; cyclesPerPacket: { median: number }; vsBase?: { median: number }; drops: number }>; targets: Array<{ what: string; met?: boolean }> };
    expect(j.rows.map((x) => x.point)).toEqual(['2 MACs', '1,000 MACs', '100,000 MACs']);
    for (const row of j.rows) expect(row.cyclesPerPacket.median).toBeGreaterThan(0);
    expect(j.rows[2]!.vsBase!.median).toBeGreaterThan(0);
    expect(j.targets.find((t) => t.what.startsWith('100,000 MACs'))!.met).toBeTypeOf('boolean');
    expect(existsSync(join(dir, 'scale-macs.svg'))).toBe(true);
    // Nothing left: the bench's pid is in every name it gives.
    expect(ours(r.pid)).toEqual([]);
    expect(existsSync(`/run/fastpath-bench/${r.pid}`)).toBe(false);
  });
});
