// SPDX-License-Identifier: Apache-2.0
// A tenant truncates the files behind its own shared memory while the switch
// uses them. The switch must stay up, the victims must keep forwarding, and
// the attacker's port must come back once its container does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Dataplane, LinkEvent } from '../../src/dataplane/index.js';
import type { TestpmdContainer } from '../../src/cnf/testpmd.js';
import { mac, portStats, startCnf, startDataplane, stopCnf, teardown, until, waitLink, expectNoMbufLeak } from '../helpers/fixture.js';
import { truncateHugepageFiles, watchGaps } from '../helpers/tenant.js';

const TAG = 'gfault';
let dp: Dataplane;
const events: LinkEvent[] = [];
let a: TestpmdContainer, b: TestpmdContainer;

/** A container that sends to B without pause. */
function sender(name: string, n: number, packed = false): Promise<TestpmdContainer> {
  return startCnf(dp, name, n, {
    forwardMode: 'txonly',
    extraArgs: [`--eth-peer=0,${mac(2)}`],
    ...(packed ? { ports: [{ hostDir: dp.port(name)!.dir, mac: mac(n), packedVq: true }] } : {}),
  });
}

describe('guest memory truncated under the switch', () => {
  beforeAll(async () => {
    dp = await startDataplane(TAG);
    dp.on('link', (e) => events.push(e));
    await dp.createNetwork('net');
    for (const name of ['a', 'b', 'x', 'y']) await dp.addPort({ name, network: 'net' });
    await dp.setForwarding(true);
    b = await startCnf(dp, 'b', 2);
    await waitLink(dp, 'b', true);
    await b.cmd('start');
    a = await sender('a', 1);
    await waitLink(dp, 'a', true);
    await a.cmd('start');
  });

  afterAll(async () => {
    await teardown(dp, TAG);
  });

  for (const packed of [false, true]) {
    const ring = packed ? 'packed' : 'split';
    it(`survives a tenant truncating its hugepages while sending (${ring} ring)`, async () => {
      const port = packed ? 'y' : 'x';
      const x = await sender(port, packed ? 4 : 3, packed);
      await waitLink(dp, port, true);
      await x.cmd('start');
      await until(() => portStats(dp, port), (s) => s.rxPackets > 10_000, `${port} forwarding`);
      const victim = watchGaps(async () => (await portStats(dp, 'b')).txPackets);
      const before = events.length;

      truncateHugepageFiles(x);
      const down = await until(async () => events.slice(before).find((e) => e.port === port && !e.up),
        (e) => e !== undefined, `${port} disconnected`);
      expect(down!.reason).toBe('guest memory fault');
      // The victims go on: B's counter grows after the attack as well.
      const b1 = (await portStats(dp, 'b')).txPackets;
      await until(() => portStats(dp, 'b'), (s) => s.txPackets > b1 + 10_000, 'victim forwarding after the fault');
      const gap = await victim.stop();
      expect(gap.last).toBeGreaterThan(gap.first);
      expect(gap.longestGapMs).toBeLessThan(1000);
      const xs = await portStats(dp, port);
      expect(xs.linkUp).toBe(false);
      expect(xs.peerErrors.guest_fault).toBeGreaterThanOrEqual(1);
      expect((await portStats(dp, 'a')).peerErrors.guest_fault).toBe(0);

      // The attacker's container dies of its own SIGBUS; a new one on the
      // same port forwards again.
      await x.kill();
      await stopCnf(x);
      const x2 = await sender(port, packed ? 4 : 3, packed);
      await waitLink(dp, port, true);
      const r0 = (await portStats(dp, port)).rxPackets;
      await x2.cmd('start');
      await until(() => portStats(dp, port), (s) => s.rxPackets > r0 + 10_000, `${port} forwarding again`);
      await x2.cmd('stop');
      await stopCnf(x2);
    });
  }

  it('returns every mbuf', async () => {
    await a.cmd('stop');
    await expectNoMbufLeak(dp);
  });
});
