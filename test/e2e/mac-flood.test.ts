// SPDX-License-Identifier: Apache-2.0
// A tenant that cycles through 100,000 source MACs (fp_trafgen, the scaling
// bench's guest) on a network it shares with another tenant. Learning runs
// in bulk, a burst at a time: it must refuse past the port's MAC limit as
// it did frame by frame, count what it drops against the flooding tenant,
// and leave the neighbour's MACs where they are and its traffic flowing.
// The same guest with 1,000 MACs under a limit they fit: every MAC learned,
// on the port it came from.
import { basename } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Port__Output } from '../../src/api/gen/fastpath/v1/Port.js';
import { Trafgen } from '../../bench/lib/trafgen.js';
import { Daemon } from '../helpers/daemon.js';
import { until } from '../harness/wait.js';

let d: Daemon;
const guests: Array<{ g: Trafgen; name: string }> = [];
const port: Record<string, Port__Output> = {};
const LIMIT = 64;

async function stats(name: string): Promise<{ macs: number; rx: bigint; drops: Record<string, bigint> }> {
  const c = d.client;
  const s = (await c.unary(c.ports, c.ports.GetPortStats, { name })).stats[0]!;
  return { macs: s.macs, rx: BigInt(s.rxPackets), drops: Object.fromEntries(Object.entries(s.drops).map(([k, v]) => [k, BigInt(v)])) };
}

async function guest(name: string, ports: string[], macs: number, tag: number): Promise<Trafgen> {
  const g = await Trafgen.start({
    // A flood's frames mostly never come back: replace them after 1 ms.
    name, tag, ring: 'split', macs, flows: 1, size: 64, maxSize: 64, cpu: 0, refillMs: 1,
    sockets: ports.map((n) => ({
      hostDir: port[n]!.attach!.hostDir!, sock: basename(port[n]!.attach!.socketPath!), guestServes: port[n]!.spec!.mode === 'PORT_MODE_CLIENT',
    })),
  });
  guests.push({ g, name });
  await until(async () => Promise.all(ports.map(async (n) => (await d.client.unary(d.client.ports, d.client.ports.GetPort, { name: n })).port!.status!.linkUp)),
    (up) => up.every(Boolean), `${name}'s links up`, 30_000);
  await g.begin();
  return g;
}

describe('a tenant cycling through 100,000 source MACs', () => {
  beforeAll(async () => {
    d = await Daemon.start(Daemon.fresh('mac-flood'));
    const c = d.client;
    await c.unary(c.networks, c.networks.CreateNetwork, { network: { name: 'shared' } });
    await c.unary(c.networks, c.networks.CreateNetwork, { network: { name: 'roomy' } });
    for (const n of ['f0', 'f1']) port[n] = (await c.unary(c.ports, c.ports.CreatePort, { port: { name: n, network: 'shared', maxMacs: LIMIT } })).port!;
    for (const n of ['v0', 'v1']) port[n] = (await c.unary(c.ports, c.ports.CreatePort, { port: { name: n, network: 'shared' } })).port!;
    for (const n of ['r0', 'r1']) port[n] = (await c.unary(c.ports, c.ports.CreatePort, { port: { name: n, network: 'roomy', maxMacs: 600 } })).port!;
  });

  afterAll(async () => {
    for (const { g, name } of guests) {
      await g.stop();
      await Trafgen.leftovers(name);
    }
    await d?.dispose();
  });

  it('stays within its MAC limit, pays for its own drops, and its neighbour keeps its MACs and its traffic', async () => {
    const victim = await guest(`mf-victim-${process.pid}`, ['v0', 'v1'], 1, 2);
    await until(() => stats('v1'), (s) => s.rx > 10_000n, 'the neighbour forwarding', 15_000);
    await guest(`mf-flood-${process.pid}`, ['f0', 'f1'], 50_000, 1); // 50,000 a side
    // The flood runs long enough to go round its MACs several times.
    await until(() => stats('f0'), (s) => (s.drops.mac_limit ?? 0n) > 500_000n, 'MAC-limit drops on the flooding port', 30_000);
    const before = { v0: await stats('v0'), v1: await stats('v1'), g: await victim.stats() };
    await until(() => stats('f0'), (s) => (s.drops.mac_limit ?? 0n) > 1_000_000n, 'the flood going on', 30_000);
    const after = { f0: await stats('f0'), f1: await stats('f1'), v0: await stats('v0'), v1: await stats('v1'), g: await victim.stats() };

    // Learned: the limit and no more, on each flooding port.
    expect(after.f0.macs).toBe(LIMIT);
    expect(after.f1.macs).toBe(LIMIT);
    // The neighbour's two MACs are where they were, nothing of its own was
    // dropped by the switch, and it kept forwarding through the flood.
    expect([after.v0.macs, after.v1.macs]).toEqual([1, 1]);
    for (const p of ['v0', 'v1'] as const) {
      for (const reason of ['mac_limit', 'spoof', 'vlan', 'runt', 'hairpin']) {
        expect({ p, reason, n: (after[p].drops[reason] ?? 0n) - (before[p].drops[reason] ?? 0n) }).toEqual({ p, reason, n: 0n });
      }
    }
    expect(after.g.rx - before.g.rx).toBeGreaterThan(100_000);
    expect(after.v1.rx - before.v1.rx).toBeGreaterThan(50_000n);
  });

  it('learns every one of 1,000 MACs on the port it came from, when the limit allows', async () => {
    await guest(`mf-roomy-${process.pid}`, ['r0', 'r1'], 500, 3); // 500 a side
    const [r0, r1] = await until(async () => [await stats('r0'), await stats('r1')], ([a, b]) => a.macs === 500 && b.macs === 500, '500 MACs learned on each port', 30_000);
    expect([r0.macs, r1.macs]).toEqual([500, 500]);
    // Each side's MACs are sent only through its port: 500 on each is every MAC on its own port.
    expect((r0.drops.mac_limit ?? 0n) + (r1.drops.mac_limit ?? 0n)).toBe(0n);
  });
});
