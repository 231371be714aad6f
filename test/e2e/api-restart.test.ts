// SPDX-License-Identifier: Apache-2.0
// Crash and restart: fastpathd is killed with SIGKILL under traffic between
// two client-mode ports (the containers serve their sockets); started again
// on the same state, it brings back the same ports (paths, MACs) and the
// traffic resumes. Five times in a row. A tenant that points its socket at
// its neighbour's while the daemon is down is refused at the reconnect.
import { existsSync, lstatSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Port__Output } from '../../src/api/gen/fastpath/v1/Port.js';
import { TestpmdContainer } from '../harness/cnf/testpmd.js';
import { Daemon } from '../helpers/daemon.js';
import { until } from '../helpers/fixture.js';

let d: Daemon;
const cnfs: TestpmdContainer[] = [];

async function ports(): Promise<Record<string, Port__Output>> {
  const c = d.client;
  const list = (await c.unary(c.ports, c.ports.ListPorts, {})).ports;
  return Object.fromEntries(list.map((p) => [p.spec!.name, p]));
}

describe('fastpathd restart from state', () => {
  beforeAll(async () => {
    d = await Daemon.start(Daemon.fresh('restart'));
  });

  afterAll(async () => {
    for (const c of cnfs) await c.kill();
    await d.dispose();
  });

  it('survives kill -9 under traffic, 5 times in a row, with the same ports and traffic resuming', async () => {
    const c = d.client;
    await c.unary(c.networks, c.networks.CreateNetwork, { network: { name: 'net' } });
    for (const name of ['a', 'b']) {
      await c.unary(c.ports, c.ports.CreatePort, { port: { name, network: 'net', mode: 'PORT_MODE_CLIENT' } });
    }
    const before = await ports();
    const start = async (p: Port__Output, mode: string): Promise<TestpmdContainer> => {
      const t = await TestpmdContainer.start({
        name: `rs-${p.spec!.name}`, forwardMode: mode, attachArgs: p.attach!.ealArgs,
        ports: [{ hostDir: p.attach!.hostDir, mac: p.mac, server: true }],
      });
      cnfs.push(t);
      return t;
    };
    const b = await start(before.b!, 'rxonly');
    const a = await start(before.a!, 'txonly');
    await until(ports, (p) => p.a!.status!.linkUp && p.b!.status!.linkUp, 'both links up');
    await b.cmd('start');
    await a.cmd(`set eth-peer 0 ${before.b!.mac}`);
    await a.cmd('start'); // continuous traffic A -> B
    await b.waitStats((s) => s.rxPackets > 10_000);

    for (let round = 1; round <= 5; round++) {
      await d.kill9();
      const frozen = (await b.portStats()).rxPackets;
      await d.restart();
      const after = await ports();
      for (const n of ['a', 'b']) {
        expect(after[n]!.attach!.socketPath).toBe(before[n]!.attach!.socketPath);
        expect(after[n]!.mac).toBe(before[n]!.mac);
        expect(after[n]!.attach!.ealArgs).toEqual(before[n]!.attach!.ealArgs);
      }
      await until(ports, (p) => p.a!.status!.linkUp && p.b!.status!.linkUp, `links up after restart ${round}`)
        .catch((e: Error) => { throw new Error(`${e.message}\n--- daemon log:\n${d.logs.slice(-4000)}\n--- a:\n${a.output.slice(-1500)}`); });
      await b.waitStats((s) => s.rxPackets > frozen + 10_000, 0, 30_000);
    }
    expect(d.logs).toMatch(/"step":"replay","networks":2,"ports":2,"failed":\[\]/);
    await a.cmd('stop');
  });

  it('a tenant that swaps its socket for a link to its neighbour\'s while fastpathd is down: the reconnect refuses it (counted); the neighbour keeps its own connection', async () => {
    const before = await ports();
    const b = cnfs[0]!; // started first: rs-b, rxonly
    await d.kill9();
    // Tenant a's part: its own socket name now points at b's socket.
    const aSock = join(before.a!.attach!.hostDir, 'sock');
    rmSync(aSock);
    symlinkSync(join(before.b!.attach!.hostDir, 'sock'), aSock);
    await d.restart();
    const st = async (name: string) => (await d.client.unary(d.client.ports, d.client.ports.GetPortStats, { name })).stats[0]!;
    await until(() => st('a'), (s) => Number(s.peerErrors.bad_socket) >= 1, 'the link refused and counted as bad_socket');
    await until(() => st('b'), (s) => s.linkUp, 'b reconnected to its own container');
    // b's container talks to port b, and nothing reached port a.
    await b.cmd('stop');
    await b.cmd('set fwd txonly');
    await b.cmd('start');
    await until(() => st('b'), (s) => BigInt(s.rxPackets) > 1000n, 'frames from b\'s container on port b');
    await b.cmd('stop');
    const sa = await st('a');
    expect([sa.linkUp, sa.rxPackets, sa.txPackets]).toEqual([false, '0', '0']);
    expect(lstatSync(aSock).isSymbolicLink()).toBe(true); // refused, not "repaired"
  });

  it('stops cleanly on SIGTERM, keeping the state and the port directories containers mount', async () => {
    const dirs = Object.values(await ports()).map((p) => p.attach!.hostDir);
    expect(await d.stop()).toBe(0);
    expect(d.logs).toMatch(/"keptPortDirs":true,"msg":"stopped; state kept"/);
    for (const dir of dirs) expect(existsSync(dir)).toBe(true);
    await d.restart(['--remove-port-dirs-on-stop']);
    expect(Object.keys(await ports()).sort()).toEqual(['a', 'b']);
    expect(await d.stop()).toBe(0);
    for (const dir of dirs) expect(existsSync(dir)).toBe(false);
  });
});
