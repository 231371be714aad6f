// SPDX-License-Identifier: Apache-2.0
// VLAN-aware switching: access ports belong to one VLAN and see untagged
// frames; trunks carry the tag; VLANs do not leak into each other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Dataplane } from '../../src/dataplane/index.js';
import type { TestpmdContainer } from '../harness/cnf/testpmd.js';
import { portStats, startCnf, startDataplane, teardown, until, waitLink } from '../helpers/fixture.js';

const TAG = 'vlan';
let dp: Dataplane;
const c: Record<string, TestpmdContainer> = {};

describe('VLANs', () => {
  beforeAll(async () => {
    dp = await startDataplane(TAG);
    await dp.createNetwork('net');
    await dp.addPort({ name: 'a10', network: 'net', vlan: 10 });
    await dp.addPort({ name: 'b10', network: 'net', vlan: 10 });
    await dp.addPort({ name: 'c20', network: 'net', vlan: 20 });
    await dp.addPort({ name: 'trunk', network: 'net' });
    await dp.setForwarding(true);
    let n = 1;
    for (const name of ['a10', 'b10', 'c20', 'trunk']) {
      c[name] = await startCnf(dp, name, n++);
      await waitLink(dp, name, true);
      await c[name]!.cmd('set verbose 1'); // rxonly prints each frame's ethertype
      await c[name]!.cmd('start');
    }
  });

  afterAll(async () => {
    await teardown(dp, TAG);
  });

  it('floods an access port\'s broadcast to its VLAN untagged and to trunks tagged, never to other VLANs', async () => {
    const before = await Promise.all(['b10', 'c20', 'trunk'].map((n) => c[n]!.portStats()));
    await c.a10!.cmd('stop');
    await c.a10!.cmd('set eth-peer 0 ff:ff:ff:ff:ff:ff');
    const trunkOut0 = c.trunk!.output.length;
    await c.a10!.cmd('start tx_first 1');
    await c.b10!.waitStats((s) => s.rxPackets === before[0]!.rxPackets + 32);
    await c.trunk!.waitStats((s) => s.rxPackets === before[2]!.rxPackets + 32);
    expect((await c.c20!.portStats()).rxPackets).toBe(before[1]!.rxPackets);
    // The trunk got them with an 802.1Q tag (testpmd shows the outer type).
    expect(c.trunk!.output.slice(trunkOut0)).toMatch(/type=0x8100/);
    const b10 = await portStats(dp, 'b10');
    expect(b10.txBytes).toBe(32 * 64); // untagged on the access port
    const trunk = await portStats(dp, 'trunk');
    expect(trunk.txBytes).toBe(32 * 68); // 4 more bytes each: the tag
  });

  it('keeps untagged trunk traffic (VLAN 0) away from access ports', async () => {
    // Untagged frames from the trunk are VLAN 0: no access port sees them.
    const a0 = await c.a10!.portStats();
    await c.trunk!.cmd('stop');
    await c.trunk!.cmd('set eth-peer 0 ff:ff:ff:ff:ff:ff');
    await c.trunk!.cmd('start tx_first 1');
    const ts = await until(() => portStats(dp, 'trunk'), (s) => s.rxPackets >= 32, 'trunk frames at the switch');
    expect(ts.drops.no_dest).toBe(32); // VLAN 0 has no other member
    expect((await c.a10!.portStats()).rxPackets).toBe(a0.rxPackets);
  });
});
