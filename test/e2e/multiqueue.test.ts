// SPDX-License-Identifier: Apache-2.0
// Multiqueue and more than one worker, through the real data plane with
// real testpmd containers: frames sent on every queue are switched, frames
// to a port are spread over the queues its guest enabled (one flow on one
// queue), a queue the guest disables is never used, every rx queue is
// polled by exactly one worker and can move between workers under traffic,
// and a port can go while another worker polls its neighbour. Two worker
// lcores share CPU 1 here: functional, not fast.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Dataplane } from '../../src/dataplane/index.js';
import type { TestpmdContainer } from '../harness/cnf/testpmd.js';
import {
  expectNoMbufLeak, mac, portStats, startCnf, startDataplane, stopCnf, teardown, until, waitLink, WORKER_CPU,
} from '../helpers/fixture.js';

const TAG = 'mq';
let dp!: Dataplane;
let workers!: number[];

type Stats = Awaited<ReturnType<typeof portStats>>;
const dropsOf = (s: Stats): number => Object.values(s.drops).reduce((a, b) => a + b, 0);

/** A testpmd container on `port` with `queues` queue pairs, in `mode`. */
async function guest(port: string, n: number, queues: number, mode: 'rxonly' | 'io', opts: { peer?: string; multiFlow?: boolean; packed?: boolean } = {}) {
  const p = dp.port(port)!;
  return startCnf(dp, port, n, {
    ports: [{ hostDir: p.dir, mac: mac(n), queues, ...(opts.packed ? { packedVq: true } : {}) }],
    forwardMode: mode,
    mbufs: 2048 + 1024 * queues, // every rx ring filled, and room to send
    hugeMb: 128,
    extraArgs: [
      `--rxq=${queues}`, `--txq=${queues}`,
      ...(opts.peer ? [`--eth-peer=0,${opts.peer}`] : []),
      ...(opts.multiFlow ? ['--txonly-multi-flow'] : []),
    ],
  });
}

/** Until the guest has enabled `queues` queue pairs on the port, both ways. */
async function queuesUp(port: string, queues: number): Promise<Stats> {
  return until(() => portStats(dp, port), (s) => s.linkUp
    && s.queues.filter((q) => q.rxEnabled && q.txEnabled).length === queues, `${port}: ${queues} queue pair(s) enabled`);
}

/**
 * Send `rounds` times `bursts` bursts of 32 frames on each of the sender's
 * queues (testpmd tx_first, so a round never holds more than the
 * receiver's rings), waiting for each round to reach the switch, then check
 * that every frame arrived exactly once: what the sender sent, the switch
 * received; everything went to the receiver, with no drop; the receiver
 * got exactly that.
 */
async function exchange(tx: TestpmdContainer, from: string, rx: TestpmdContainer, to: string, rounds: number, bursts = 2) {
  const f0 = await portStats(dp, from);
  const t0 = await portStats(dp, to);
  const r0 = await rx.portStats();
  const s0 = await tx.portStats();
  const perRound = bursts * 32 * f0.queues.length;
  for (let i = 1; i <= rounds; i++) {
    await tx.cmd(`start tx_first ${bursts}`);
    await until(() => portStats(dp, from), (s) => s.rxPackets >= f0.rxPackets + i * perRound, `round ${i} at the switch`);
    await tx.cmd('stop');
  }
  const sent = (await tx.portStats()).txPackets - s0.txPackets;
  expect(sent).toBe(rounds * perRound);
  const f1 = await until(() => portStats(dp, from), (s) => s.rxPackets - f0.rxPackets === sent, `the switch took in all ${sent} frames`);
  const t1 = await until(() => portStats(dp, to), (s) => s.txPackets - t0.txPackets >= sent || dropsOf(s) > dropsOf(t0), 'every frame sent on');
  expect({ delivered: t1.txPackets - t0.txPackets, drops: t1.drops }).toEqual({ delivered: sent, drops: t0.drops });
  expect(f1.drops).toEqual(f0.drops);
  const r1 = await rx.waitStats((s) => s.rxPackets >= r0.rxPackets + sent);
  expect(r1.rxPackets - r0.rxPackets).toBe(sent); // nothing more, nothing less
  const perQueue = (a: Stats, b: Stats, k: 'rxPackets' | 'txPackets') => b.queues.map((q, i) => q[k] - a.queues[i]![k]);
  return { sent, rxQueues: perQueue(f0, f1, 'rxPackets'), txQueues: perQueue(t0, t1, 'txPackets') };
}

beforeAll(async () => {
  // One data plane for the file (EAL starts once per process).
  dp = await startDataplane(TAG, { workerCpus: [WORKER_CPU, WORKER_CPU], nMbufs: 16384 });
  workers = (await dp.info()).workerLcores;
  await dp.setForwarding(true);
});

describe('multiqueue ports on two workers', () => {
  const g: Record<string, TestpmdContainer> = {};

  beforeAll(async () => {
    await dp.createNetwork('blue');
    await dp.createNetwork('red');
    for (const [name, net] of [['a', 'blue'], ['b', 'blue'], ['c', 'red'], ['d', 'red']] as const) {
      await dp.addPort({ name, network: net, queues: 2 });
    }
    g.b = await guest('b', 11, 2, 'rxonly');
    g.d = await guest('d', 13, 2, 'rxonly');
    g.a = await guest('a', 10, 2, 'io', { peer: mac(11), multiFlow: true });
    g.c = await guest('c', 12, 2, 'io', { peer: mac(13) });
    for (const n of ['a', 'b', 'c', 'd']) await queuesUp(n, 2);
    await g.b.cmd('start');
    await g.d.cmd('start');
  });

  it('polls every rx queue on exactly one worker, spread by load', async () => {
    expect(workers).toHaveLength(2);
    const st = await dp.stats();
    const lcores = st.ports.flatMap((p) => p.queues.map((q) => q.lcore));
    expect(lcores).toHaveLength(8);
    expect(lcores.every((l) => workers.includes(l))).toBe(true);
    for (const w of workers) expect(lcores.filter((l) => l === w)).toHaveLength(4);
  });

  it('switches frames sent on both queues and spreads flows over the receiver\'s queues', async () => {
    const r = await exchange(g.a!, 'a', g.b!, 'b', 20);
    expect(r.rxQueues.every((n) => n > 0)).toBe(true); // testpmd sent on both of a's queues
    expect(r.txQueues.every((n) => n > 0)).toBe(true); // and b's guest received on both
  });

  it('keeps one flow on one queue', async () => {
    const r = await exchange(g.c!, 'c', g.d!, 'd', 20);
    expect(r.rxQueues.every((n) => n > 0)).toBe(true);
    expect(r.txQueues.filter((n) => n > 0)).toHaveLength(1); // one flow: one queue, in order
  });

  it('never uses a queue the guest disabled, and follows a queue count changed at run time', async () => {
    const b = g.b!;
    /** The guest changes its queue count at run time, as testpmd lets a user. */
    const setQueues = async (n: number): Promise<void> => {
      for (const c of ['stop', 'port stop 0', `port config all rxq ${n}`, `port config all txq ${n}`, 'port start 0', 'start']) await b.cmd(c);
    };
    await setQueues(1);
    const one = await until(() => portStats(dp, 'b'), (s) => s.queues[0]!.txEnabled && !s.queues[1]!.txEnabled, 'b: only queue 0 enabled');
    expect(one.linkUp).toBe(true);
    const r = await exchange(g.a!, 'a', b, 'b', 10, 1);
    expect(r.txQueues[1]).toBe(0); // disabled: never used
    expect(r.txQueues[0]).toBe(r.sent);
    await setQueues(2);
    await queuesUp('b', 2);
    const r2 = await exchange(g.a!, 'a', b, 'b', 10);
    expect(r2.txQueues.every((n) => n > 0)).toBe(true);
  });

  it('moves a pinned queue to another worker under traffic; the other queues keep their workers', async () => {
    const before = await portStats(dp, 'a');
    const q0 = before.queues[0]!.lcore;
    const other = workers.find((w) => w !== q0)!;
    const rest = (await dp.stats()).ports.filter((p) => p.name !== 'a').map((p) => p.queues.map((q) => q.lcore));
    await g.a!.cmd('set fwd txonly'); // a steady stream, while the queue moves
    await g.a!.cmd('start');
    await dp.setRxqAffinity('a', { 0: other });
    const after = await portStats(dp, 'a');
    expect(after.queues[0]).toMatchObject({ lcore: other, pinned: true });
    expect(after.queues[1]!.pinned).toBe(false);
    // Still polled on its new worker: its counter moves on.
    await until(() => portStats(dp, 'a'), (s) => s.queues[0]!.rxPackets > after.queues[0]!.rxPackets + 1000, 'queue 0 polled on its new worker');
    await g.a!.cmd('stop');
    await g.a!.cmd('set fwd io');
    // Pinning one queue may rebalance unpinned ones, never more than needed.
    const now = (await dp.stats()).ports.filter((p) => p.name !== 'a').map((p) => p.queues.map((q) => q.lcore));
    const moved = now.flat().filter((l, i) => l !== rest.flat()[i]).length;
    expect(moved).toBeLessThanOrEqual(1);
    await expect(dp.setRxqAffinity('a', { 0: 99 })).rejects.toMatchObject({ code: 'EINVAL', message: /lcore 99.*not a worker/ });
    await expect(dp.setRxqAffinity('a', { 2: other })).rejects.toMatchObject({ code: 'EINVAL' });
    await dp.setRxqAffinity('a', {}); // back to placement by load
    expect((await portStats(dp, 'a')).queues.every((q) => !q.pinned)).toBe(true);
  });

  it('removes a port while another worker polls its neighbour, without a gap for the others', async () => {
    await g.a!.cmd('set fwd txonly');
    await g.a!.cmd('start');
    await until(() => portStats(dp, 'b'), (s) => s.txPackets > 0, 'traffic a -> b');
    await stopCnf(g.c!);
    delete g.c;
    await dp.removePort('c');
    const b0 = await portStats(dp, 'b');
    await until(() => portStats(dp, 'b'), (s) => s.txPackets > b0.txPackets + 5000, 'a -> b still forwarding');
    await g.a!.cmd('stop');
    await g.a!.cmd('set fwd io');
    // The queues left are spread again: 6 queues, 3 per worker.
    const lcores = (await dp.stats()).ports.flatMap((p) => p.queues.map((q) => q.lcore));
    for (const w of workers) expect(lcores.filter((l) => l === w)).toHaveLength(3);
  });

  it('leaves every mbuf back in the pool', async () => {
    for (const k of Object.keys(g)) {
      await stopCnf(g[k]!);
      delete g[k];
    }
    for (const p of ['a', 'b', 'd']) await dp.removePort(p);
    await expectNoMbufLeak(dp);
  });
});

describe.each([
  [1, false], [2, false], [4, false], [8, false],
  [1, true], [2, true], [4, true], [8, true],
])('%i queue pair(s), packed ring: %s', (queues, packed) => {
  it('switches every frame, on every queue, and accounts for each', async () => {
    const net = `n${queues}${packed ? 'p' : 's'}`;
    await dp.createNetwork(net);
    await dp.addPort({ name: `${net}tx`, network: net, queues });
    await dp.addPort({ name: `${net}rx`, network: net, queues });
    const rx = await guest(`${net}rx`, 21, queues, 'rxonly', { packed });
    const tx = await guest(`${net}tx`, 20, queues, 'io', { peer: mac(21), multiFlow: true, packed });
    await queuesUp(`${net}rx`, queues);
    await queuesUp(`${net}tx`, queues);
    await rx.cmd('start');
    const r = await exchange(tx, `${net}tx`, rx, `${net}rx`, 10, queues >= 4 ? 1 : 2);
    expect(r.rxQueues.every((n) => n > 0)).toBe(true);
    expect(r.txQueues.every((n) => n > 0)).toBe(true);
    await stopCnf(tx);
    await stopCnf(rx);
    await dp.removePort(`${net}tx`);
    await dp.removePort(`${net}rx`);
    await dp.deleteNetwork(net);
    await expectNoMbufLeak(dp);
  });
});

afterAll(async () => {
  await teardown(dp, TAG);
});
