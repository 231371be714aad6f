// SPDX-License-Identifier: Apache-2.0
// Removing a port while traffic flows: the switch survives, the others keep
// forwarding, and every mbuf comes back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Dataplane } from '../../src/dataplane/index.js';
import type { TestpmdContainer } from '../harness/cnf/testpmd.js';
import { expectNoMbufLeak, startCnf, startDataplane, stopCnf, teardown, until, waitLink } from '../helpers/fixture.js';

const TAG = 'rm';
let dp: Dataplane;
let a: TestpmdContainer, b: TestpmdContainer, c: TestpmdContainer;

describe('port removal under traffic', () => {
  beforeAll(async () => {
    dp = await startDataplane(TAG);
    await dp.createNetwork('net');
    for (const name of ['a', 'b', 'c']) await dp.addPort({ name, network: 'net' });
    await dp.setForwarding(true);
    a = await startCnf(dp, 'a', 1, { forwardMode: 'txonly' });
    b = await startCnf(dp, 'b', 2);
    c = await startCnf(dp, 'c', 3);
    for (const n of ['a', 'b', 'c']) await waitLink(dp, n, true);
    await b.cmd('start');
    await c.cmd('start');
  });

  afterAll(async () => {
    await teardown(dp, TAG);
  });

  it('keeps forwarding to the other ports and leaks no mbuf', async () => {
    const inUse0 = (await dp.stats()).mbufs.inUse;
    // Broadcast flood from A reaches B and C continuously.
    await a.cmd('set eth-peer 0 ff:ff:ff:ff:ff:ff');
    await a.cmd('start');
    await b.waitStats((s) => s.rxPackets > 10_000);
    await c.waitStats((s) => s.rxPackets > 10_000);

    // Remove B in the middle of it (its guest still attached and polling).
    await dp.removePort('b');
    expect(dp.port('b')).toBeUndefined();
    expect((await dp.stats()).ports.map((p) => p.name).sort()).toEqual(['a', 'c']);

    // C still gets the flood after the removal; B's guest, still polling
    // its rings, gets nothing more (what it had may still be draining).
    const bMid = (await b.portStats()).rxPackets;
    const cMid = await c.portStats();
    await c.waitStats((s) => s.rxPackets > cMid.rxPackets + 10_000);
    const bSettled = (await b.portStats()).rxPackets;
    await c.waitStats((s) => s.rxPackets > cMid.rxPackets + 20_000);
    expect((await b.portStats()).rxPackets).toBe(bSettled);
    expect(bSettled - bMid).toBeLessThan(4096); // at most what its rings held

    // Re-adding a port with the same name works and is switched again.
    await stopCnf(b);
    await dp.addPort({ name: 'b', network: 'net' });
    b = await startCnf(dp, 'b', 2);
    await waitLink(dp, 'b', true);
    await b.cmd('start');
    await b.waitStats((s) => s.rxPackets > 1_000);

    await a.cmd('stop');
    expect(inUse0).toBe(0);
    await expectNoMbufLeak(dp);
  });

  it('brings the link down when a container goes away, and the pool stays whole', async () => {
    const down = new Promise<void>((resolve) => {
      dp.on('link', (ev) => { if (ev.port === 'c' && !ev.up) resolve(); });
    });
    await a.cmd('start');
    await c.kill(); // abrupt, under traffic
    await down;
    await waitLink(dp, 'c', false);
    const b0 = await b.portStats();
    await b.waitStats((s) => s.rxPackets > b0.rxPackets + 1_000);
    await a.cmd('stop');
    await dp.removePort('c');
    await expectNoMbufLeak(dp);
    await until(() => dp.stats(), (s) => s.workers.every((w) => w.packets > 0), 'worker counters');
  });
});
