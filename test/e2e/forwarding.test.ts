// SPDX-License-Identifier: Apache-2.0
// Switching through the real data plane between real testpmd containers:
// exact delivery, MAC learning, broadcast, network isolation, and what a
// container can see of the host.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Dataplane } from '../../src/dataplane/index.js';
import type { TestpmdContainer } from '../harness/cnf/testpmd.js';
import { expectNoMbufLeak, mac, portStats, startCnf, startDataplane, stopCnf, teardown, waitLink } from '../helpers/fixture.js';

const TAG = 'fwd';
const BURST = 32;
let dp: Dataplane;
const cnf: Record<string, TestpmdContainer> = {};

/** Send `bursts` bursts of 64-byte frames from `from` to `dst` MAC, then keep receiving. */
async function send(from: TestpmdContainer, dst: string, bursts: number): Promise<void> {
  await from.cmd('stop');
  await from.cmd(`set eth-peer 0 ${dst}`);
  await from.cmd(`start tx_first ${bursts}`);
}

describe('L2 switching between testpmd containers', () => {
  beforeAll(async () => {
    dp = await startDataplane(TAG);
    await dp.createNetwork('blue');
    await dp.createNetwork('red');
    for (const name of ['a', 'b', 'c']) await dp.addPort({ name, network: 'blue' });
    await dp.addPort({ name: 'd', network: 'red' });
    await dp.setForwarding(true);
    let n = 10;
    for (const name of ['a', 'b', 'c', 'd']) {
      cnf[name] = await startCnf(dp, name, n++);
      await waitLink(dp, name, true);
      await cnf[name]!.cmd('start'); // rxonly
    }
  });

  afterAll(async () => {
    await teardown(dp, TAG);
  });

  it('a container sees only its own socket and its own hugetlbfs', () => {
    const sh = join(dirname(fileURLToPath(import.meta.url)), '../harness/cnf/container.sh');
    const out = execFileSync('unshare', ['--mount', '--net', '--fork', '--', sh, 'sh', '-c',
      'ls -A /run/fastpath; echo ---; find /run -type s; echo ---; ls -A /dev/hugepages; grep " /dev/hugepages " /proc/mounts'], {
      env: { ...process.env, FP_PORT_DIR: dp.port('a')!.dir, FP_HUGE_MB: '16' },
      encoding: 'utf8',
    });
    const [own, run, huge] = out.split('---\n');
    expect(own!.trim()).toBe('sock');
    expect(run!.trim()).toBe('/run/fastpath/sock'); // no other port's socket
    // The last mount on /dev/hugepages is the one the container uses.
    expect(huge!.trim().split("\n").pop()).toMatch(/^fp-huge \/dev\/hugepages hugetlbfs .*size=16777216/);
  });

  it('delivers exactly N packets from A to B, and the counters agree', async () => {
    const a0 = await portStats(dp, 'a');
    const b0 = await cnf.b!.portStats();
    await send(cnf.a!, mac(11), 4);
    const N = 4 * BURST;
    const b1 = await cnf.b!.waitStats((s) => s.rxPackets >= b0.rxPackets + N);
    expect(b1.rxPackets - b0.rxPackets).toBe(N);
    const a1 = await portStats(dp, 'a');
    expect(a1.rxPackets - a0.rxPackets).toBe(N);
    expect(a1.rxBytes - a0.rxBytes).toBe(N * 64);
    const bs = await portStats(dp, 'b');
    expect(bs.txPackets).toBeGreaterThanOrEqual(N);
    expect(Object.values(a1.drops).every((v) => v === 0)).toBe(true);
    // What B's guest received is exactly what the switch sent to B.
    expect(bs.txPackets).toBe(b1.rxPackets);
  });

  it('learns MACs: unicast reaches only its destination, broadcast reaches all others', async () => {
    // B talks first, so the switch learns B (its frames flood to A and C).
    await send(cnf.b!, mac(10), 1);
    await cnf.a!.waitStats((s) => s.rxPackets > 0);
    const c0 = await cnf.c!.waitStats(() => true);
    const bBefore = await cnf.b!.portStats();

    await send(cnf.a!, mac(11), 8); // A -> B, B is known
    await cnf.b!.waitStats((s) => s.rxPackets >= bBefore.rxPackets + 8 * BURST);
    // C got no copy. Check after B has everything, so nothing is in flight.
    expect((await cnf.c!.portStats()).rxPackets).toBe(c0.rxPackets);
    expect((await cnf.b!.portStats()).rxPackets).toBe(bBefore.rxPackets + 8 * BURST);

    const b1 = await cnf.b!.portStats();
    const c1 = await cnf.c!.portStats();
    await send(cnf.a!, 'ff:ff:ff:ff:ff:ff', 2);
    await cnf.b!.waitStats((s) => s.rxPackets === b1.rxPackets + 2 * BURST);
    await cnf.c!.waitStats((s) => s.rxPackets === c1.rxPackets + 2 * BURST);
  });

  it('follows a MAC that moves to another port (no stale cached destination)', async () => {
    // Warm every cache with A -> B unicast first.
    const b0 = await cnf.b!.portStats();
    await send(cnf.a!, mac(11), 2);
    await cnf.b!.waitStats((s) => s.rxPackets === b0.rxPackets + 2 * BURST);
    // C's container comes back with B's MAC and speaks once: the switch
    // moves mac(11) from port b to port c.
    await stopCnf(cnf.c!);
    cnf.c = await startCnf(dp, 'c', 11);
    await waitLink(dp, 'c', true);
    await send(cnf.c, mac(10), 1);
    const b1 = await cnf.b!.portStats();
    const c1 = await cnf.c.portStats();
    await send(cnf.a!, mac(11), 4);
    await cnf.c.waitStats((s) => s.rxPackets === c1.rxPackets + 4 * BURST);
    expect((await cnf.b!.portStats()).rxPackets).toBe(b1.rxPackets);
    // Put C back on its own MAC, and let B claim mac(11) again.
    await stopCnf(cnf.c);
    cnf.c = await startCnf(dp, 'c', 12);
    await waitLink(dp, 'c', true);
    await cnf.c.cmd('start');
    await send(cnf.b!, mac(10), 1);
    const b2 = await cnf.b!.portStats();
    const c2 = await cnf.c.portStats();
    await send(cnf.a!, mac(11), 1);
    await cnf.b!.waitStats((s) => s.rxPackets === b2.rxPackets + BURST);
    expect((await cnf.c.portStats()).rxPackets).toBe(c2.rxPackets);
  });

  it('keeps networks apart', async () => {
    const d0 = await cnf.d!.portStats();
    const others0 = await Promise.all(['a', 'b', 'c'].map((n) => cnf[n]!.portStats()));
    await send(cnf.a!, 'ff:ff:ff:ff:ff:ff', 2); // blue broadcast
    await send(cnf.d!, 'ff:ff:ff:ff:ff:ff', 3); // red broadcast: no one else in red
    await cnf.b!.waitStats((s) => s.rxPackets === others0[1]!.rxPackets + 2 * BURST);
    await cnf.c!.waitStats((s) => s.rxPackets === others0[2]!.rxPackets + 2 * BURST);
    const ds = await portStats(dp, 'd');
    expect(ds.drops.no_dest).toBeGreaterThanOrEqual(3 * BURST);
    expect((await cnf.d!.portStats()).rxPackets).toBe(d0.rxPackets);
    expect((await cnf.a!.portStats()).rxPackets).toBe(others0[0]!.rxPackets);
    expect((await cnf.b!.portStats()).rxPackets).toBe(others0[1]!.rxPackets + 2 * BURST);
  });

  it('returns every mbuf once traffic stops', async () => {
    await expectNoMbufLeak(dp);
  });
});
