// SPDX-License-Identifier: Apache-2.0
// Kernel exception path throughput next to the fast path, in one run, with
// the loop bench's guest (one testpmd, two virtio_user ports a and b, `mac`
// forwarding, frames injected with tx_first circulating forever):
//   - fast path: the frames go a -> b -> a ... switched by the data plane;
//   - kernel: flow rules punt everything the guest sends into fp-<net>,
//     where a tc mirred action on its ingress sends it straight back out of
//     fp-<net>, and the data plane delivers it to the guest's other port:
//     every traversal is container -> kernel -> container. (Routing would
//     decrement the TTL and end the loop; a bridge would keep the source
//     MACs, so frames come back from the kernel with the guest's addresses:
//     both rows therefore forward by flow rules, not by learning.)
// The figure is the guest's receive rate (one packet = one traversal).
//   npm run bench:exception -- [--seconds N] [--trials N] [--sizes 64,1500]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { toProtoSpec } from '../src/api/flow-convert.js';
import type { TestpmdContainer } from '../test/harness/cnf/testpmd.js';
import { parseFlow } from '../src/core/flows/flow-text.js';
import { Daemon } from '../test/helpers/daemon.js';
import { until } from '../test/helpers/fixture.js';
import { GUEST_MACS, guestRxPackets, startGuest } from './lib/guest.js';
import { cpuModel, describeMachine, machineLine } from './lib/machine.js';
import { round, spread, table, type Spread } from './lib/summary.js';
import { sleep } from '../test/harness/wait.js';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results', 'exception-path.json');
const NS = 'fpbench-kp';
const NET = 'kp';
const PATHS = ['kernel', 'fast path'] as const;

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

function sh(args: string[]): void {
  execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
}


async function main(): Promise<void> {
  const seconds = Number(arg('seconds', '5'));
  const trials = Number(arg('trials', '3'));
  const sizes = arg('sizes', '64,1500').split(',').map(Number);
  spawnSync('ip', ['netns', 'del', NS]);
  sh(['ip', 'netns', 'add', NS]);
  const d = await Daemon.start(Daemon.fresh('bench-exception'));
  const c = d.client;
  let guest: TestpmdContainer | undefined;
  const rows: Array<{ path: string; size: number; mpps: Spread; trials: number[] }> = [];
  let kind = '';
  try {
    const wide = { enabled: true, pps: 10_000_000, burst: 100_000 };
    const net = (await c.unary(c.networks, c.networks.CreateNetwork, {
      network: { name: NET, kernelInterface: { netns: NS, punt: [{ name: 'flow', ...wide }, { name: 'gateway', ...wide }] } },
    })).network!;
    const k = net.kernelInterface!;
    kind = `${k.kind} (${k.reason})`;
    console.log(`kernel interface ${k.name}: ${kind}, in netns ${NS}, sending back what it receives (tc mirred)`);
    sh(['ip', 'netns', 'exec', NS, 'tc', 'qdisc', 'add', 'dev', k.name, 'clsact']);
    sh(['ip', 'netns', 'exec', NS, 'tc', 'filter', 'add', 'dev', k.name, 'ingress', 'u32', 'match', 'u32', '0', '0',
      'action', 'mirred', 'egress', 'redirect', 'dev', k.name]);
    const ports = [];
    for (const name of ['a', 'b']) ports.push((await c.unary(c.ports, c.ports.CreatePort, { port: { name, network: NET } })).port!);
    const [m0, m1] = GUEST_MACS;
    const rules = {
      kernel: ['priority=20,in_port=a,actions=punt', 'priority=20,in_port=b,actions=punt',
        `priority=10,dl_dst=${m1},actions=output:b`, `priority=10,dl_dst=${m0},actions=output:a`],
      'fast path': ['priority=20,in_port=a,actions=output:b', 'priority=20,in_port=b,actions=output:a'],
    };

    const total = sizes.length * PATHS.length * trials;
    let n = 0;
    for (const size of sizes) {
      const got: Record<string, number[]> = { kernel: [], 'fast path': [] };
      for (let t = 1; t <= trials; t++) {
        for (const path of t % 2 ? PATHS : [...PATHS].reverse()) {
          await c.unary(c.flows, c.flows.ReplaceFlows, { network: NET, specs: rules[path].map((t) => toProtoSpec(parseFlow(t))) });
          guest = await startGuest(`bx-${size}-${t}`, ports.map((p) => ({ hostDir: p.attach!.hostDir, sock: 'sock' })), { size, ring: 'split' });
          await until(() => c.unary(c.ports, c.ports.ListPorts, { network: NET }), (r) => r.ports.every((p) => p.status!.linkUp), 'ports up');
          await guest.cmd('start tx_first 8');
          await sleep(1000); // warm-up window
          const r0 = await guestRxPackets(guest);
          const t0 = performance.now();
          await sleep(seconds * 1000); // the measurement window
          const mpps = (await guestRxPackets(guest) - r0) / ((performance.now() - t0) / 1000) / 1e6;
          await guest.stop();
          guest = undefined;
          got[path]!.push(mpps);
          console.log(`trial ${++n} of ${total}: ${path}, ${size} B: ${mpps.toFixed(3)} Mpps (guest receive rate)`);
        }
      }
      for (const path of PATHS) rows.push({ path, size, mpps: spread(got[path]!), trials: got[path]! });
    }
  } finally {
    await guest?.kill();
    await d.dispose();
    spawnSync('ip', ['netns', 'del', NS]);
  }
  const date = new Date().toISOString();
  const machine = describeMachine(0, 'DPDK 22.11');
  console.log(`\n${machineLine(machine, date)}\nCPU: ${cpuModel()}\nexception path: ${kind}`);
  console.log(table(['path', 'size', 'Mpps min', 'median', 'max', 'kernel/fast'], rows.map((r) => {
    const fast = rows.find((x) => x.size === r.size && x.path === 'fast path')!;
    return [r.path, `${r.size} B`, r.mpps.min.toFixed(3), r.mpps.median.toFixed(3), r.mpps.max.toFixed(3),
      r.path === 'kernel' ? `${(r.mpps.median / fast.mpps.median).toFixed(3)}x` : ''];
  })));
  await mkdir(dirname(RESULTS), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify({
    exception_path: kind,
    rows: rows.map((r) => ({ path: r.path, size: r.size, mpps: { min: round(r.mpps.min, 4), median: round(r.mpps.median, 4), max: round(r.mpps.max, 4) }, trials: r.trials.map((x) => round(x, 4)) })),
    machine, date, settings: { seconds, trials, sizes },
  }, null, 2)}\n`);
  console.log(`wrote ${RESULTS}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
