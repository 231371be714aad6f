// SPDX-License-Identifier: Apache-2.0
// A tenant truncates the files behind its own shared memory while the switch
// uses them: its hugepages (split and packed rings, server- and client-mode
// ports, while it sends and while it receives), its memfds (a --no-huge
// guest). The switch must stay up, the victims must keep
// forwarding, the attacker's port must report why it went down and come
// back once its container does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Dataplane, LinkEvent, PortSpec } from '../../src/dataplane/index.js';
import type { TestpmdContainer, TestpmdOptions } from '../harness/cnf/testpmd.js';
import {
  expectNoMbufLeak, mac, portStats, startCnf, startDataplane, stopCnf, teardown, until, waitLink,
} from '../helpers/fixture.js';
import { truncateHugepageFiles, truncateMemfds, watchGaps } from '../helpers/tenant.js';

const TAG = 'gfault';
let dp: Dataplane;
const events: LinkEvent[] = [];
let a: TestpmdContainer, b: TestpmdContainer;

interface Case {
  name: string;
  spec: Partial<PortSpec>;
  /** The attacker sends (the switch reads its rings) or receives (writes them). */
  role: 'sends' | 'receives';
  container: Partial<TestpmdOptions> & { packed?: boolean };
  truncate: (c: TestpmdContainer) => string[];
}

const CASES: Case[] = [
  { name: 'split ring, server-mode port', spec: {}, role: 'sends', container: {}, truncate: truncateHugepageFiles },
  { name: 'packed ring', spec: {}, role: 'sends', container: { packed: true }, truncate: truncateHugepageFiles },
  { name: 'client-mode port', spec: { mode: 'client' }, role: 'sends', container: {}, truncate: truncateHugepageFiles },
  { name: 'a guest that receives', spec: {}, role: 'receives', container: {}, truncate: truncateHugepageFiles },
  { name: 'a --no-huge guest (memfd)', spec: {}, role: 'sends', container: { hugeMb: 0 }, truncate: (c) => truncateMemfds(c, /./) },
];
// memif: DPDK's memif client seals its regions (F_SEAL_SHRINK), so a testpmd
// container cannot truncate them; test/e2e/hostile-peer.test.ts truncates an
// unsealed region under a connected memif port instead.

async function attacker(port: string, n: number, cs: Case): Promise<TestpmdContainer> {
  const p = dp.port(port)!;
  const txArgs = cs.role === 'sends' ? { forwardMode: 'txonly', extraArgs: [`--eth-peer=0,${mac(2)}`] } : {};
  const { packed, ...rest } = cs.container;
  return startCnf(dp, port, n, {
    ...txArgs, ...rest,
    ports: [{ hostDir: p.dir, mac: mac(n), server: p.mode === 'client', ...(packed ? { packedVq: true } : {}) }],
  });
}

describe('guest memory truncated under the switch', () => {
  beforeAll(async () => {
    dp = await startDataplane(TAG);
    dp.on('link', (e) => events.push(e));
    await dp.createNetwork('net');
    for (const name of ['a', 'b', 'c']) await dp.addPort({ name, network: 'net' });
    for (const [i, cs] of CASES.entries()) await dp.addPort({ name: `x${i}`, network: 'net', ...cs.spec });
    await dp.setForwarding(true);
    b = await startCnf(dp, 'b', 2);
    await waitLink(dp, 'b', true);
    await b.cmd('start');
    a = await startCnf(dp, 'a', 1, { forwardMode: 'txonly', extraArgs: [`--eth-peer=0,${mac(2)}`] });
    await waitLink(dp, 'a', true);
    await a.cmd('start');
  });

  afterAll(async () => {
    await teardown(dp, TAG);
  });

  for (const [i, cs] of CASES.entries()) {
    it(`survives a tenant truncating its memory: ${cs.name}`, async () => {
      const port = `x${i}`;
      const n = 10 + i;
      let feeder: TestpmdContainer | undefined;
      const x = await attacker(port, n, cs);
      await waitLink(dp, port, true);
      await x.cmd('start');
      if (cs.role === 'receives') {
        // A benign neighbour sends to the attacker, so the switch writes its rings.
        feeder = await startCnf(dp, 'c', 3, { forwardMode: 'txonly', extraArgs: [`--eth-peer=0,${mac(n)}`] });
        await waitLink(dp, 'c', true);
        await feeder.cmd('start');
      }
      const busy = (s: { rxPackets: number; txPackets: number }): number => (cs.role === 'sends' ? s.rxPackets : s.txPackets);
      await until(() => portStats(dp, port), (s) => busy(s) > 10_000, `${port} busy`);
      const victim = watchGaps(async () => (await portStats(dp, 'b')).txPackets);
      const before = events.length;
      try {
        cs.truncate(x);
        const down = await until(async () => events.slice(before).find((e) => e.port === port && !e.up),
          (e) => e !== undefined, `${port} disconnected`);
        expect(down!.reason).toBe('guest memory fault');
        const b1 = (await portStats(dp, 'b')).txPackets;
        await until(() => portStats(dp, 'b'), (s) => s.txPackets > b1 + 10_000, 'victims forwarding after the fault');
      } finally {
        await victim.stop();
      }
      const gap = await victim.stop();
      expect(gap.last).toBeGreaterThan(gap.first);
      expect(gap.longestGapMs).toBeLessThan(1000);
      const xs = await portStats(dp, port);
      expect(xs.peerErrors.guest_fault).toBeGreaterThanOrEqual(1);
      for (const v of ['a', 'b', 'c']) expect((await portStats(dp, v)).peerErrors.guest_fault).toBe(0);
      expect(events.slice(before).filter((e) => ['a', 'b'].includes(e.port))).toEqual([]);

      // The attacker's container (dead of its own fault, or not) is
      // replaced; the same port takes it and forwards again.
      if (feeder) await stopCnf(feeder);
      await x.kill();
      const x2 = await attacker(port, n, { ...cs, role: 'sends' });
      await waitLink(dp, port, true);
      const r0 = (await portStats(dp, port)).rxPackets;
      await x2.cmd('start');
      await until(() => portStats(dp, port), (s) => s.rxPackets > r0 + 10_000, `${port} forwarding again`);
      await x2.kill();
      await waitLink(dp, port, false);
    });
  }

  it('returns every mbuf and watches no tenant memory once the tenants are gone', async () => {
    await a.cmd('stop');
    await stopCnf(a);
    await stopCnf(b);
    await expectNoMbufLeak(dp);
    await until(() => dp.stats(), (s) => s.guard.regions === 0, 'no guarded regions left');
  });
});
