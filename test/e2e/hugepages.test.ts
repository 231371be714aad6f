// SPDX-License-Identifier: Apache-2.0
// Hugepage reservations with the real kernel: hugetlbfs mounts with a size=
// quota, a testpmd container living inside its quota (and refused past it),
// owners isolated from each other, release, refusal past the pool, restart
// with the mounts intact, and the accounting checked against sysfs at each step.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Reservation__Output } from '../../src/api/gen/fastpath/v1/Reservation.js';
import { TestpmdContainer } from '../harness/cnf/testpmd.js';
import { readPool } from '../../src/core/hugepages/pool.js';
import { Daemon, type DaemonPaths } from '../helpers/daemon.js';

let d: Daemon;
let paths: DaemonPaths;
let hugeRoot: string;
const cnfs: TestpmdContainer[] = [];
const CONTAINER_SH = join(dirname(fileURLToPath(import.meta.url)), '../harness/cnf/container.sh');

const sysfs = () => readPool(2048)!;
const c = () => d.client;
const pool2M = async () => (await c().unary(c().hugepages, c().hugepages.GetPool, {})).pools.find((p) => p.pageSize === 'PAGE_SIZE_2M')!;
const list = async () => (await c().unary(c().hugepages, c().hugepages.List, {})).reservations;
const reserve = (owner: string, sizeMib: number) => c().unary(c().hugepages, c().hugepages.Reserve, { owner, sizeMib });
const release = (owner: string, force = false) => c().unary(c().hugepages, c().hugepages.Release, { owner, force });
const mountLine = (path: string) => readFileSync('/proc/mounts', 'utf8').split('\n').find((l) => l.split(' ')[1] === path);
const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as grpc.ServiceError);

/** What fastpath reports is what the kernel says, read at the same moment. */
async function expectAccountingMatches(): Promise<void> {
  const p = await pool2M();
  const k = sysfs();
  expect([p.total, p.free, p.kernelReserved]).toEqual([k.total, k.free, k.reserved]);
  expect(p.available).toBe(Math.max(0, k.free - k.reserved));
  const ours = (await list()).filter((r) => r.pageSize === 'PAGE_SIZE_2M').reduce((n, r) => n + r.pages, 0);
  expect(p.reservedByFastpath).toBe(ours);
}

describe('hugepage reservations', () => {
  let start: ReturnType<typeof sysfs>;

  beforeAll(async () => {
    paths = Daemon.fresh('huge');
    hugeRoot = join(paths.base, 'hugepages');
    d = await Daemon.start(paths); // the fixture puts reservations in <base>/hugepages
    start = sysfs();
  });

  afterAll(async () => {
    for (const x of cnfs) await x.kill();
    await release('c1', true).catch(() => undefined);
    await release('c2', true).catch(() => undefined);
    await d.dispose();
  });

  it('reserves 64 MiB for c1 as a hugetlbfs mount with a size= quota, and the kernel sets 32 pages aside', async () => {
    await expectAccountingMatches();
    const before = sysfs();
    const r = await reserve('c1', 64);
    expect(r.created).toBe(true);
    expect(r.reservation).toMatchObject({ owner: 'c1', sizeMib: '64', pages: 32, mountPath: join(hugeRoot, 'c1'), mounted: true });
    expect(mountLine(join(hugeRoot, 'c1'))).toMatch(/hugetlbfs .*pagesize=2M,size=67108864,min_size=67108864/);
    expect(sysfs().reserved).toBe(before.reserved + 32);
    expect(sysfs().free).toBe(before.free);
    expect((await reserve('c1', 64)).created).toBe(false); // idempotent
    await expectAccountingMatches();
  });

  it('lets a container with that mount and -m 32 start and forward, and the port attach names the mount', async () => {
    await c().unary(c().networks, c().networks.CreateNetwork, { network: { name: 'hp' } });
    const p1 = (await c().unary(c().ports, c().ports.CreatePort, { port: { name: 'c1', network: 'hp', mode: 'PORT_MODE_SERVER' } })).port!;
    const peer = (await c().unary(c().ports, c().ports.CreatePort, { port: { name: 'peer', network: 'hp', mode: 'PORT_MODE_SERVER' } })).port!;
    expect(p1.attach!.ealArgs.slice(3)).toEqual(['--huge-dir=/dev/hugepages', '-m', '64']);
    expect(p1.attach!.dockerRun).toContain(`-v ${join(hugeRoot, 'c1')}:/dev/hugepages`);
    expect(peer.attach!.ealArgs).not.toContain('--huge-dir=/dev/hugepages');

    const a = await TestpmdContainer.start({
      name: 'hp-c1', hugeDir: join(hugeRoot, 'c1'), memMb: 32, attachArgs: p1.attach!.ealArgs.slice(0, 3),
      ports: [{ hostDir: p1.attach!.hostDir, mac: p1.mac }],
    });
    cnfs.push(a);
    const b = await TestpmdContainer.start({ name: 'hp-peer', ports: [{ hostDir: peer.attach!.hostDir, mac: peer.mac }] });
    cnfs.push(b);
    await b.cmd('start');
    await a.cmd(`set eth-peer 0 ${peer.mac}`);
    await a.cmd('start tx_first 4');
    expect((await b.waitStats((s) => s.rxPackets >= 128)).rxPackets).toBe(128);
    const c1 = (await list()).find((r) => r.owner === 'c1')!;
    expect(Number(c1.usedBytes)).toBeGreaterThan(0);
    expect(Number(c1.usedBytes)).toBeLessThanOrEqual(64 << 20);
    await expectAccountingMatches();
  });

  it('keeps owners apart: c2 sees none of c1\'s hugepage files', async () => {
    await reserve('c2', 16);
    const seen = (dir: string) => execFileSync('unshare', ['--mount', '--net', '--fork', '--', CONTAINER_SH, 'ls', '-A', '/dev/hugepages'], {
      env: { ...process.env, FP_PORT_DIR: d.paths.base, FP_HUGE_DIR: dir }, encoding: 'utf8',
    }).trim();
    expect(seen(join(hugeRoot, 'c1'))).not.toBe(''); // c1's testpmd files
    expect(seen(join(hugeRoot, 'c2'))).toBe('');
    await expectAccountingMatches();
  });

  it('refuses to release a reservation in use, naming the holder, and changes nothing', async () => {
    const err = await failure(release('c1'));
    expect(err?.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(err?.details).toMatch(/hugepages of c1 are in use by pid \d+ \((dpdk-testpmd|rte-\w+|\S+)\); stop it first, or release with force/);
    expect(mountLine(join(hugeRoot, 'c1'))).toBeDefined();
  });

  it('stops a container that asks for more than its quota (-m 128), with the EAL error the docs explain', async () => {
    await cnfs[0]!.stop();
    const p1 = (await c().unary(c().ports, c().ports.GetPort, { name: 'c1' })).port!;
    const err = await TestpmdContainer.start({
      name: 'hp-c1-big', hugeDir: join(hugeRoot, 'c1'), memMb: 128, attachArgs: p1.attach!.ealArgs.slice(0, 3),
      ports: [{ hostDir: p1.attach!.hostDir, mac: p1.mac }], timeoutMs: 20_000,
    }).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/EAL: FATAL: Cannot init memory/);
    expect(err?.message).toMatch(/Cannot init EAL: Cannot allocate memory/);
  });

  it('refuses a reservation past the pool with RESOURCE_EXHAUSTED and the numbers, changing nothing', async () => {
    const before = { sys: sysfs(), list: await list() };
    const err = await failure(reserve('huge', 1 << 20));
    expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(err?.details).toMatch(/asked 1048576 MiB \(524288 pages of 2M\) for huge, but only \d+ pages \(\d+ MiB\) of 2M are available/);
    expect(await list()).toEqual(before.list);
    expect(sysfs()).toEqual(before.sys);
    expect(existsSync(join(hugeRoot, 'huge'))).toBe(false);
    const nf = await failure(release('nobody'));
    expect(nf?.code).toBe(grpc.status.NOT_FOUND);
    expect(nf?.details).toBe('no hugepage reservation for owner nobody');
  });

  it('survives a daemon restart with the mounts intact, and re-mounts one that went missing', async () => {
    const before = await list();
    expect(await d.stop()).toBe(0);
    expect(mountLine(join(hugeRoot, 'c1'))).toBeDefined(); // kept while fastpathd is down
    execFileSync('umount', [join(hugeRoot, 'c2')]); // someone removed one
    await d.restart();
    expect(d.logs).toMatch(/"step":"hugepages".*"ok":1,"remounted":\["c2"\]/);
    const after = await list();
    const strip = (l: Reservation__Output[]) => l.map((r) => ({ ...r, usedBytes: 0 }));
    expect(strip(after)).toEqual(strip(before));
    expect(after.every((r) => r.mounted)).toBe(true);
    await expectAccountingMatches();
  });

  it('releases: unmounted, directory gone, pages back to the pool', async () => {
    for (const x of cnfs) await x.kill();
    await c().unary(c().ports, c().ports.DeletePort, { name: 'c1' });
    await c().unary(c().ports, c().ports.DeletePort, { name: 'peer' });
    await release('c1');
    await release('c2');
    for (const o of ['c1', 'c2']) {
      expect(mountLine(join(hugeRoot, o))).toBeUndefined();
      expect(existsSync(join(hugeRoot, o))).toBe(false);
    }
    expect(await list()).toEqual([]);
    expect(sysfs().reserved).toBe(start.reserved);
    await expectAccountingMatches();
  });
});
