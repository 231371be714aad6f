// SPDX-License-Identifier: Apache-2.0
// Client-mode ports: the container serves the socket (virtio_user
// server=1) and the switch reconnects whenever it comes back.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Dataplane, LinkEvent } from '../../src/dataplane/index.js';
import type { TestpmdContainer } from '../harness/cnf/testpmd.js';
import { expectNoMbufLeak, mac, portStats, startCnf, startDataplane, stopCnf, teardown, waitLink } from '../helpers/fixture.js';

const TAG = 'client';
let dp: Dataplane;
let a: TestpmdContainer;
const events: LinkEvent[] = [];

describe('client-mode port', () => {
  beforeAll(async () => {
    dp = await startDataplane(TAG);
    dp.on('link', (ev) => events.push(ev));
    await dp.createNetwork('net');
    await dp.addPort({ name: 'a', network: 'net' });
    await dp.addPort({ name: 'b', network: 'net', mode: 'client' });
    await dp.setForwarding(true);
    a = await startCnf(dp, 'a', 1);
    await waitLink(dp, 'a', true);
  });

  afterAll(async () => {
    await teardown(dp, TAG);
  });

  it('comes back up and forwards after each container restart, 3 times', async () => {
    expect((await portStats(dp, 'b')).linkUp).toBe(false); // nobody serves it yet
    // Started as a user would: server=1 in its arguments and nothing else.
    // A crashed predecessor leaves its socket file behind; the CNF
    // entrypoint (deploy/images/cnf-entrypoint.sh) removes it, or the next
    // one could not bind.
    const args = ['--file-prefix', 'cnf-b', '--single-file-segments', `--vdev=net_virtio_user0,path=/run/fastpath/sock,mac=${mac(2)},queues=1,server=1`];
    for (let round = 1; round <= 3; round++) {
      const b = await startCnf(dp, 'b', 2, { ports: [{ hostDir: dp.port('b')!.dir, mac: mac(2) }], attachArgs: args }); // fastpath connects to it
      await waitLink(dp, 'b', true);
      await b.cmd('start');
      await a.cmd('stop');
      await a.cmd(`set eth-peer 0 ${mac(2)}`);
      await a.cmd('start tx_first 4');
      const got = await b.waitStats((s) => s.rxPackets >= 128);
      expect(got.rxPackets).toBe(128); // a fresh guest each round
      if (round % 2 === 1) await b.kill(); // crash: the socket file stays
      else await stopCnf(b); // clean exit
      await waitLink(dp, 'b', false);
      if (round === 1) expect(existsSync(join(dp.port('b')!.dir, 'sock'))).toBe(true);
    }
    const b = events.filter((e) => e.port === 'b').map((e) => e.up);
    expect(b).toEqual([true, false, true, false, true, false]);
    const up = events.find((e) => e.port === 'b' && e.up)!;
    expect(up.queuePairs).toBe(1);
    // VIRTIO_F_VERSION_1 (bit 32) is negotiated by every modern virtio_user.
    expect((up.features! >> 32n) & 1n).toBe(1n);
    await a.cmd('stop');
    await expectNoMbufLeak(dp);
  });
});
