// SPDX-License-Identifier: Apache-2.0
// A tenant speaks vhost-user and memif badly on purpose (fp_hostile: random
// bytes, short headers, 4 GiB sizes, every request with wrong sizes, vring
// indexes out of range, mem tables of 0, 9 and 200 regions, descriptors that
// are not memory, regions past the end of their file, inflight-fd floods,
// connection storms, a peer that does not read, a ring truncated under the
// switch; and for memif bad handshakes, bad rings, bad descriptors), while
// two other containers forward. The real fastpathd must keep them
// forwarding, hold its descriptors bounded, return to its baseline, change
// no other port's state, and take the attacker back once it behaves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Port__Output } from '../../src/api/gen/fastpath/v1/Port.js';
import type { PortEvent__Output } from '../../src/api/gen/fastpath/v1/PortEvent.js';
import { TestpmdContainer } from '../harness/cnf/testpmd.js';
import { Daemon } from '../helpers/daemon.js';
import { counts, until } from '../helpers/fixture.js';
import { fdCount, maxDuring, rssMb, runHostile } from '../helpers/hostile.js';
import { watchGaps } from '../helpers/tenant.js';

let d: Daemon;
const events: PortEvent__Output[] = [];
const cnfs: TestpmdContainer[] = [];
const port: Record<string, Port__Output> = {};

async function attach(p: Port__Output, name: string, forwardMode: string, extraArgs: string[] = []): Promise<TestpmdContainer> {
  const c = await TestpmdContainer.start({
    name, ports: [{ hostDir: p.attach!.hostDir, mac: p.mac }], attachArgs: p.attach!.ealArgs, forwardMode, extraArgs,
  });
  cnfs.push(c);
  return c;
}

async function stats(name: string) {
  const c = d.client;
  return counts((await c.unary(c.ports, c.ports.GetPortStats, { name })).stats[0]!);
}

async function linkUp(name: string, up: boolean): Promise<void> {
  const c = d.client;
  await until(() => c.unary(c.ports, c.ports.GetPort, { name }), (r) => r.port!.status!.linkUp === up, `port ${name} link ${up ? 'up' : 'down'}`);
}

describe('hostile vhost-user and memif peers', () => {
  let baseFds = 0;
  let baseRss = 0;

  beforeAll(async () => {
    d = await Daemon.start(Daemon.fresh('hostile'));
    const c = d.client;
    const s = c.ports.WatchPortEvents({});
    s.on('data', (m: { event: PortEvent__Output }) => events.push(m.event));
    s.on('error', () => undefined);
    await c.unary(c.networks, c.networks.CreateNetwork, { network: { name: 'net' } });
    for (const [name, type] of [['a', 'PORT_TYPE_VHOST_USER'], ['b', 'PORT_TYPE_VHOST_USER'], ['vx', 'PORT_TYPE_VHOST_USER'], ['mx', 'PORT_TYPE_MEMIF']] as const) {
      port[name] = (await c.unary(c.ports, c.ports.CreatePort, { port: { name, network: 'net', type, mode: 'PORT_MODE_SERVER' } })).port!;
    }
    const b = await attach(port.b!, 'hp-b', 'rxonly');
    await linkUp('b', true);
    await b.cmd('start');
    const a = await attach(port.a!, 'hp-a', 'txonly', [`--eth-peer=0,${port.b!.mac}`]);
    await linkUp('a', true);
    await a.cmd('start');
    await until(() => stats('b'), (st) => st.txPackets > 50_000, 'victims forwarding');
    baseFds = fdCount(d.pid!);
    baseRss = rssMb(d.pid!);
  });

  afterAll(async () => {
    for (const c of cnfs) await c.kill();
    await d?.dispose();
  });

  for (const kind of ['vhost', 'memif'] as const) {
    const target = kind === 'vhost' ? 'vx' : 'mx';
    it(`keeps the victims forwarding through a hostile ${kind} front-end, and returns to its baseline`, async () => {
      const before = events.length;
      const victim = watchGaps(async () => Number((await stats('b')).txPackets));
      const rounds = kind === 'vhost' ? 52 : 36; // every attack kind 4 times
      const attack = maxDuring(() => fdCount(d.pid!), runHostile(kind, port[target]!.attach!.socketPath, 7, rounds));
      const { result, max } = await attack.finally(() => victim.stop());
      const gap = await victim.stop();

      expect(result.rounds).toBe(rounds);
      expect(result.closedBySwitch).toBeGreaterThan(rounds / 2);
      // Victims forwarded throughout (and the attack did not stall them).
      expect(gap.last).toBeGreaterThan(gap.first);
      expect(gap.longestGapMs).toBeLessThan(1000);
      await until(() => stats('b'), (st) => Number(st.txPackets) > gap.last + 50_000, 'victims forwarding after the attack');
      // One peer per port: the storm never holds more than a few descriptors.
      expect(max - baseFds).toBeLessThan(40);
      await until(async () => fdCount(d.pid!), (n) => n <= baseFds, `descriptors back to ${baseFds}`, 10_000);
      expect(rssMb(d.pid!)).toBeLessThan(baseRss + 64);
      // No other port changed state.
      const others = events.slice(before).filter((e) => e.port !== target && e.type !== 'PORT_EVENT_TYPE_QUEUE_STATE');
      expect(others).toEqual([]);
      for (const v of ['a', 'b']) expect((await stats(v)).linkUp).toBe(true);
      const errs = (await stats(target)).peerErrors;
      expect(errs.bad_message).toBeGreaterThan(0);
      expect(errs.extra_conn).toBeGreaterThan(0);
      expect(errs.guest_fault).toBeGreaterThan(0); // a ring truncated under the switch
      if (kind === 'memif') expect(errs.bad_ring).toBeGreaterThan(0);
      for (const v of ['a', 'b']) expect(Object.values((await stats(v)).peerErrors).every((n) => Number(n) === 0)).toBe(true);
    });

    it(`takes the ${kind} attacker back once it behaves`, async () => {
      const x = await attach(port[target]!, `hp-${target}`, 'rxonly');
      await linkUp(target, true);
      await x.cmd('start');
      // a's frames go to b; broadcast from b would reach x: use x's own counter.
      await x.cmd('stop');
      await x.cmd(`set eth-peer 0 ${port.b!.mac}`);
      await x.cmd('start tx_first 8');
      await until(() => stats(target), (st) => Number(st.rxPackets) >= 256, `${target} forwards again`);
      await x.kill();
      await linkUp(target, false);
    });
  }
});
