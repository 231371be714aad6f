// SPDX-License-Identifier: Apache-2.0
// memif ports (an ethdev-backed port kind): a testpmd container attached
// with net_memif (role=client) exchanges packets with a virtio_user
// container through fastpath, both ways, with counters that agree.
import { statSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Dataplane } from '../../src/dataplane/index.js';
import { TestpmdContainer } from '../harness/cnf/testpmd.js';
import { expectNoMbufLeak, mac, portStats, startCnf, startDataplane, teardown, waitLink } from '../helpers/fixture.js';

const TAG = 'memif';
let dp: Dataplane;
let m: TestpmdContainer, v: TestpmdContainer;

describe('memif ports', () => {
  beforeAll(async () => {
    dp = await startDataplane(TAG);
    await dp.createNetwork('net');
    const mp = await dp.addPort({ name: 'm', network: 'net', type: 'memif' });
    await dp.addPort({ name: 'v', network: 'net' });
    await dp.setForwarding(true);
    expect(statSync(mp.socketPath).isSocket()).toBe(true); // fastpath is the memif server
    m = await TestpmdContainer.start({
      name: 'memif-m',
      ports: [{ hostDir: mp.dir, mac: mac(1) }], // what to mount; the vdev is memif's:
      attachArgs: ['--file-prefix', 'cnf-memif-m', `--vdev=net_memif0,role=client,socket=/run/fastpath/sock,socket-abstract=no,id=0,mac=${mac(1)}`],
    });
    v = await startCnf(dp, 'v', 2);
    await waitLink(dp, 'm', true);
    await waitLink(dp, 'v', true);
    await m.cmd('start');
    await v.cmd('start');
  });

  afterAll(async () => {
    await m?.kill();
    await teardown(dp, TAG);
  });

  it('switches memif <-> virtio_user both ways, exactly', async () => {
    await m.cmd('stop');
    await m.cmd(`set eth-peer 0 ${mac(2)}`);
    await m.cmd('start tx_first 4');
    expect((await v.waitStats((s) => s.rxPackets >= 128)).rxPackets).toBe(128);
    await v.cmd('stop');
    await v.cmd(`set eth-peer 0 ${mac(1)}`);
    await v.cmd('start tx_first 2');
    expect((await m.waitStats((s) => s.rxPackets >= 64)).rxPackets).toBe(64);
    const sm = await portStats(dp, 'm');
    const sv = await portStats(dp, 'v');
    expect([sm.rxPackets, sm.txPackets, sv.rxPackets, sv.txPackets]).toEqual([128, 64, 64, 128]);
    expect(sm.rxBytes).toBe(128 * 64);
    await expectNoMbufLeak(dp);
  });

  it('brings the memif link down when the container leaves, and removes the port cleanly', async () => {
    await m.kill();
    await waitLink(dp, 'm', false);
    await dp.removePort('m');
    await expectNoMbufLeak(dp);
  });
});
