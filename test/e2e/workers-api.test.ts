// SPDX-License-Identifier: Apache-2.0
// Rx queue pinning through the real daemon and API: fastpathd with two
// worker lcores (sharing CPU 1 here), pins given at creation and with
// SetRxqAffinity (and fpctl port set), shown by fpctl workers, kept across
// a graceful restart and a kill -9, set aside (not fatal) when the daemon
// comes back with fewer workers, and refused with clear errors.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Daemon } from '../helpers/daemon.js';
import { until } from '../helpers/fixture.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FPCTL = join(ROOT, 'src', 'cli', 'fpctl.mjs');
const TWO = ['--worker-cpus', '1,1'];
let d: Daemon;

const fpctl = async (...args: string[]) =>
  promisify(execFile)(process.execPath, [FPCTL, '--endpoint', d.paths.grpcSocket, ...args], { encoding: 'utf8' });

/** port -> [lcore, pinned] per queue, from GetPortStats. */
async function placement(): Promise<Record<string, Array<[number, boolean]>>> {
  const c = d.client;
  const st = (await c.unary(c.ports, c.ports.GetPortStats, { name: '' })).stats;
  return Object.fromEntries(st.map((s) => [s.name, s.queues.map((q) => [q.lcore, q.pinned] as [number, boolean])]));
}

describe('rx queue affinity through the API', () => {
  beforeAll(async () => {
    d = await Daemon.start(Daemon.fresh('workers'), TWO);
  });

  afterAll(async () => {
    await d.dispose();
  });

  it('runs two workers and warns that they share a CPU', async () => {
    const c = d.client;
    const info = await c.unary(c.system, c.system.GetSystemInfo, {});
    expect(info.workerLcores).toEqual([1, 2]);
    expect(d.logs).toMatch(/"sharedCpus":\[1\].*cannot be fast/);
  });

  it('pins queues at creation and with SetRxqAffinity; fpctl workers shows them', async () => {
    const c = d.client;
    await c.unary(c.networks, c.networks.CreateNetwork, { network: { name: 'net' } });
    await c.unary(c.ports, c.ports.CreatePort, { port: { name: 'a', network: 'net', queues: 2, rxqAffinity: { 1: 2 } } });
    await c.unary(c.ports, c.ports.CreatePort, { port: { name: 'b', network: 'net', queues: 2 } });
    // The same spec again changes nothing; other pins are another spec.
    expect((await c.unary(c.ports, c.ports.CreatePort, { port: { name: 'a', network: 'net', queues: 2, rxqAffinity: { 1: 2 } } })).created).toBe(false);
    await expect(c.unary(c.ports, c.ports.CreatePort, { port: { name: 'a', network: 'net', queues: 2, rxqAffinity: { 1: 1 } } }))
      .rejects.toMatchObject({ code: grpc.status.ALREADY_EXISTS });
    const set = await fpctl('port', 'set', 'b', '--rxq-affinity', '0:2,1:2');
    expect(set.stdout).toBe('port b: rx queues pinned 0:2,1:2; the others placed by load\n');
    const p = await placement();
    expect(p.a![1]).toEqual([2, true]);
    expect(p.a![0]![1]).toBe(false);
    expect(p.b).toEqual([[2, true], [2, true]]);
    // Three pinned queues on lcore 2: the unpinned one goes to lcore 1.
    expect(p.a![0]![0]).toBe(1);
    const table = (await fpctl('workers')).stdout;
    expect(table).toMatch(/^ *LCORE +BUSY%\(1s\) +CYCLES\/PKT\(1s\) +RXQS +PORT:QUEUE +RX_PKTS +SHARE$/m);
    expect(table).toMatch(/^ +1 +\S+ +\S+ +1 +a:0 \(off\) +0 +0\.0+%$/m);
    expect(table).toMatch(/^ +2 +\S+ +\S+ +3 +a:1\* \(off\) +0 +0\.0+%$/m);
    expect(table).toMatch(/^ +b:1\* \(off\)/m);
    expect((await fpctl('port', 'show', 'b')).stdout).toMatch(/^rxq affinity: +0:2,1:2$/m);
  });

  it('refuses what cannot be', async () => {
    const c = d.client;
    const call = (name: string, rxqAffinity: Record<number, number>) => c.unary(c.ports, c.ports.SetRxqAffinity, { name, rxqAffinity });
    await expect(call('a', { 0: 7 })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: /lcore 7.*not a worker \(workers: 1, 2\)/ });
    await expect(call('a', { 5: 1 })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: /rx queue/ });
    await expect(call('nope', {})).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    await expect(fpctl('port', 'set', 'a', '--rxq-affinity', '0-1')).rejects.toMatchObject({ code: 2, stderr: /'0-1' is not QUEUE:LCORE/ });
    expect((await placement()).a![1]).toEqual([2, true]); // unchanged
  });

  it('keeps the pins across a graceful restart and a kill -9', async () => {
    const before = await placement();
    await d.stop();
    await d.restart(TWO);
    expect(await placement()).toEqual(before);
    await d.kill9();
    await d.restart(TWO);
    expect(await placement()).toEqual(before);
  });

  it('sets pins aside when the daemon comes back with fewer workers, and applies them again with more', async () => {
    const before = await placement();
    await d.stop();
    await d.restart(['--worker-cpus', '1']);
    expect(d.logs).toMatch(/"port":"a".*rx queue pins to lcores that are not workers now/);
    const c = d.client;
    expect((await c.unary(c.ports, c.ports.GetPort, { name: 'a' })).port!.spec!.rxqAffinity).toEqual({ 1: 2 }); // kept
    expect(await placement()).toEqual({ a: [[1, false], [1, false]], b: [[1, false], [1, false]] });
    await d.stop();
    await d.restart(TWO);
    await until(placement, (p) => JSON.stringify(p) === JSON.stringify(before), 'the pins back');
    await fpctl('port', 'set', 'b', '--rxq-affinity', '');
    expect((await placement()).b!.every(([, pinned]) => !pinned)).toBe(true);
  });
});
