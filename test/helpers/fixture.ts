// SPDX-License-Identifier: Apache-2.0
// Shared set-up for e2e tests: a real data plane on its own socket root and
// EAL file prefix, testpmd containers attached to its ports, and the checks
// every e2e file ends with (no mbuf leak, no stray process, no leftovers).
export { bigintJson, until } from '../harness/wait.js';
import { until } from '../harness/wait.js';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { Dataplane, type DataplaneConfig } from '../../src/dataplane/index.js';
import { TestpmdContainer, type TestpmdOptions } from '../harness/cnf/testpmd.js';

export const CNF_CPU = 0;
export const WORKER_CPU = 1;

export function mac(n: number): string {
  return `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`;
}

export function testRoot(tag: string): string {
  return `/run/fastpath-test/${tag}`;
}

export async function startDataplane(tag: string, cfg: Partial<DataplaneConfig> = {}): Promise<Dataplane> {
  const root = testRoot(tag);
  rmSync(root, { recursive: true, force: true });
  const dp = new Dataplane({
    mainCpu: CNF_CPU,
    workerCpus: [WORKER_CPU],
    filePrefix: `fptest-${tag}`,
    socketRoot: join(root, 'ports'),
    memoryMb: 256,
    nMbufs: 8192,
    ...cfg,
  });
  await dp.start();
  return dp;
}

const containers = new Set<TestpmdContainer>();

export async function startCnf(dp: Dataplane, port: string, n: number, opts: Partial<TestpmdOptions> = {}): Promise<TestpmdContainer> {
  const p = dp.port(port);
  if (!p) throw new Error(`no port ${port}`);
  const c = await TestpmdContainer.start({
    name: port,
    cpu: CNF_CPU,
    hugeMb: 64,
    ports: [{ hostDir: p.dir, mac: mac(n), server: p.mode === 'client' }],
    ...opts,
  });
  containers.add(c);
  return c;
}

export async function stopCnf(c: TestpmdContainer): Promise<void> {
  await c.stop();
  containers.delete(c);
}

export async function stopAllCnfs(): Promise<void> {
  for (const c of containers) await c.kill();
  containers.clear();
}


/** A port's counters as numbers, to compare with testpmd's: test traffic
 * stays far below 2^53 (test/unit/u64.test.ts covers exactness). */
export async function portStats(dp: Dataplane, name: string) {
  const s = (await dp.stats()).ports.find((p) => p.name === name);
  if (!s) throw new Error(`no stats for port ${name}`);
  return {
    ...counts(s),
    queues: s.queues.map((q) => ({ ...q, rxPackets: Number(q.rxPackets), txPackets: Number(q.txPackets), rxCycles: Number(q.rxCycles) })),
  };
}

type Wide = bigint | string;
interface WidePortStats {
  rxPackets: Wide; rxBytes: Wide; txPackets: Wide; txBytes: Wide; rxNoL4: Wide;
  drops: Record<string, Wide>; peerErrors: Record<string, Wide>;
}

/** Port counters from the data plane (bigint) or the API (decimal strings)
 * as numbers for assertions. */
export function counts<T extends WidePortStats>(s: T) {
  return {
    ...s,
    rxPackets: Number(s.rxPackets), rxBytes: Number(s.rxBytes), txPackets: Number(s.txPackets), txBytes: Number(s.txBytes),
    rxNoL4: Number(s.rxNoL4), drops: numbers(s.drops), peerErrors: numbers(s.peerErrors),
  };
}

/** Counter maps (bigint from the data plane, decimal strings from the API)
 * as numbers for assertions. */
export function numbers(m: Record<string, Wide>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Number(v)]));
}

export async function waitLink(dp: Dataplane, name: string, up: boolean) {
  return until(() => portStats(dp, name), (s) => s.linkUp === up, `port ${name} link ${up ? 'up' : 'down'}`);
}

/** Mempool back to its start value: every mbuf returned. */
export async function expectNoMbufLeak(dp: Dataplane): Promise<void> {
  await until(() => dp.stats(), (s) => s.mbufs.inUse === 0, 'all mbufs back in the pool', 10_000);
}

/** What every e2e file checks at the end. */
export async function teardown(dp: Dataplane | undefined, tag: string): Promise<void> {
  await stopAllCnfs();
  if (dp) await dp.stop();
  // --kill-child delivers SIGKILL to testpmd as unshare exits: poll for it.
  const stray = await until(async () => {
    try {
      return execFileSync('pgrep', ['-af', 'dpdk-testpmd'], { encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  }, (s) => s === '', 'no dpdk-testpmd process left', 10_000).catch((e: Error) => e.message);
  if (stray) throw new Error(`stray testpmd processes: ${stray}`);
  const ports = join(testRoot(tag), 'ports');
  const left = existsSync(ports) ? readdirSync(ports) : [];
  if (left.length > 0) throw new Error(`leftover port directories: ${left.join(', ')}`);
  if (existsSync(`/var/run/dpdk/fptest-${tag}`)) throw new Error('leftover EAL runtime directory');
  rmSync(testRoot(tag), { recursive: true, force: true });
}
