// SPDX-License-Identifier: Apache-2.0
// Wall time of one fastpath-cni call as a runtime makes it (a new process,
// CNI_* in its environment, the configuration on stdin), against the real
// fastpathd: ADD and DEL the Kubernetes way (pod volume bind mount, device
// info, a 64 MiB hugepage reservation), CHECK, and VERSION (no daemon). In
// the same run, in alternating rounds: `node -e 0` (the floor any plugin
// written for Node pays on this machine) and ADD/DEL through the
// TypeScript loader the plugin used before it was compiled (tsx).
//   npm run bench:cni -- [--rounds N]
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Daemon } from '../test/helpers/daemon.js';
import { cpuModel } from './lib/machine.js';
import { percentile, round, spread, table } from './lib/summary.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results', 'cni.json');
const PLUGIN = join(ROOT, 'deploy', 'cni', 'fastpath-cni');
const TSX_LOADER = `file://${join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')}`;

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

interface Call {
  cmd: string;
  args: string[];
  env: Record<string, string>;
  stdin: string;
}

/** Spawn to exit, in milliseconds; fails on a non-zero exit. */
function timed(c: Call): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(c.cmd, c.args, { env: c.env, cwd: '/', stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    p.stderr.on('data', (b: Buffer) => { out += b.toString(); });
    p.on('error', reject);
    p.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) reject(new Error(`${c.cmd} ${c.args.join(' ')} (${c.env.CNI_COMMAND ?? ''}) exited ${code}: ${out}`));
      else resolve(ms);
    });
    p.stdin.end(c.stdin);
  });
}

async function main(): Promise<void> {
  const rounds = Number(arg('rounds', '20'));
  const d = await Daemon.start(Daemon.fresh('bench-cni'));
  const work = join(d.paths.base, 'cni');
  const kubelet = join(work, 'kubelet');
  const policy = join(work, 'cni.json');
  mkdirSync(work, { recursive: true, mode: 0o755 });
  writeFileSync(policy, JSON.stringify({
    endpoint: `unix://${d.paths.grpcSocket}`, kubeletRoot: kubelet, stateDir: join(work, 'state'),
    deviceInfoDir: join(work, 'devinfo'), hostAttachDir: join(work, 'attach'),
    networks: { bench: { namespaces: ['default'], hugepageMaxMib: 64 } },
  }), { mode: 0o644 });
  await d.client.unary(d.client.networks, d.client.networks.CreateNetwork, { network: { name: 'bench' } });

  const conf = JSON.stringify({
    cniVersion: '1.1.0', name: 'bench', type: 'fastpath-cni', network: 'bench', hugepages: { sizeMib: 64 },
  });
  const env = (command: string, n: number): Record<string, string> => {
    const uid = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    mkdirSync(join(kubelet, 'pods', uid, 'volumes', 'kubernetes.io~empty-dir', 'fastpath'), { recursive: true });
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin', FASTPATH_CNI_POLICY: policy, CNI_COMMAND: command, CNI_PATH: '/opt/cni/bin',
      CNI_CONTAINERID: `bench${String(n).padStart(8, '0')}`, CNI_NETNS: '/var/run/netns/bench', CNI_IFNAME: 'net1',
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=bench-${n};K8S_POD_UID=${uid}`,
    };
  };
  const plugin = (command: string, n: number, stdin = conf): Call => ({ cmd: PLUGIN, args: [], env: env(command, n), stdin });
  const viaTsx = (command: string, n: number): Call => ({
    cmd: process.execPath, args: ['--import', TSX_LOADER, join(ROOT, 'src', 'cni', 'main.ts')], env: env(command, n), stdin: conf,
  });
  const ops: Array<[string, (n: number) => Promise<number>]> = [
    ['node -e 0 (floor)', () => timed({ cmd: process.execPath, args: ['-e', '0'], env: { PATH: process.env.PATH ?? '' }, stdin: '' })],
    ['VERSION', (n) => timed(plugin('VERSION', n, '{"cniVersion":"1.1.0"}'))],
    ['ADD', (n) => timed(plugin('ADD', n))],
    ['CHECK', async (n) => {
      // CHECK needs ADD's result: run a fresh ADD outside the clock.
      const add = plugin('ADD', n);
      const result = await new Promise<string>((resolve) => {
        const p = spawn(add.cmd, [], { env: add.env });
        let out = '';
        p.stdout.on('data', (b: Buffer) => { out += b.toString(); });
        p.on('exit', () => resolve(out));
        p.stdin.end(add.stdin);
      });
      return timed(plugin('CHECK', n, JSON.stringify({ ...JSON.parse(conf), prevResult: JSON.parse(result) })));
    }],
    ['DEL', (n) => timed(plugin('DEL', n))],
    ['ADD via tsx (before)', (n) => timed(viaTsx('ADD', 100_000 + n))],
    ['DEL via tsx (before)', (n) => timed(viaTsx('DEL', 100_000 + n))],
  ];
  const samples: Record<string, number[]> = Object.fromEntries(ops.map(([name]) => [name, []]));
  // One warm-up round (page cache, tsx's own cache), not counted.
  for (let r = -1; r < rounds; r++) {
    // Alternate which goes first (ADD before its CHECK and DEL either way).
    const order = r % 2 === 0 ? ops : [...ops.slice(5), ...ops.slice(2, 5), ...ops.slice(0, 2)];
    for (const [name, op] of order) {
      const ms = await op(1000 + Math.max(r, 0) * 10 + (r < 0 ? 9 : 0));
      if (r >= 0) samples[name]!.push(ms);
    }
    if (r >= 0) process.stdout.write(`round ${r + 1}/${rounds}\r`);
  }
  await d.dispose();

  const rows = ops.map(([name]) => {
    const s = spread(samples[name]!);
    return { op: name, medianMs: round(s.median, 1), minMs: round(s.min, 1), p90Ms: round(percentile(samples[name]!, 90), 1), maxMs: round(s.max, 1), samples: samples[name]!.map((x) => round(x, 1)) };
  });
  console.log(`\nfastpath-cni wall time per call, ${rounds} alternating rounds, fastpathd running (its worker spinning on CPU 1); ${cpuModel()}`);
  console.log(table(['operation', 'median ms', 'min', 'p90', 'max'], rows.map((r) => [r.op, r.medianMs.toFixed(1), r.minMs.toFixed(1), r.p90Ms.toFixed(1), r.maxMs.toFixed(1)])));
  await mkdir(dirname(RESULTS), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify({ date: new Date().toISOString(), rounds, cpu: cpuModel(), node: process.version, rows }, null, 2)}\n`);
  console.log(`results: ${RESULTS}`);
}

await main();
