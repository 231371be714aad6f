// SPDX-License-Identifier: Apache-2.0
// The kernel exception path with a real kernel: a network's fp-<net>
// interface (net_tap on the development VM, whose kernel has no vhost-net;
// vhost-net where it works) in a network
// namespace of our own, pings to a testpmd container answering in
// icmpecho mode, frames from a container to the gateway MAC and through a
// punt flow arriving on the tap, a flood policed to its class's rate,
// bad input refused with nothing left behind, and the interface coming
// back after a restart (and refused when vhost-net is forced).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { toProtoSpec } from '../../src/api/flow-convert.js';
import type { Network__Output } from '../../src/api/gen/fastpath/v1/Network.js';
import type { Port__Output } from '../../src/api/gen/fastpath/v1/Port.js';
import { TestpmdContainer } from '../harness/cnf/testpmd.js';
import { parseFlow } from '../../src/core/flows/flow-text.js';
import { Daemon } from '../helpers/daemon.js';
import { AUTO_KIND, AUTO_PATH_RE, HAS_VHOST_NET } from '../helpers/exception-path.js';
import { counts, until } from '../helpers/fixture.js';
import { codeOf } from '../helpers/grpc-status.js';
import { frame } from '../helpers/frames.js';
import { PcapCnf } from '../helpers/pcap-cnf.js';

const NS = 'fptest-exc';
const NET = 'ex';
const IFACE = 'fp-ex';
let d: Daemon;
const cnfs: TestpmdContainer[] = [];

function nsExec(args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', NS, ...args], { encoding: 'utf8', timeout: 60_000 });
}

function ping(count: number, target = '10.77.0.2'): { sent: number; received: number } {
  const r = spawnSync('ip', ['netns', 'exec', NS, 'ping', '-n', '-c', String(count), '-i', '0.05', '-W', '2', target], { encoding: 'utf8', timeout: 60_000 });
  const m = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout);
  if (!m) throw new Error(`ping: ${r.stdout}${r.stderr}`);
  return { sent: Number(m[1]), received: Number(m[2]) };
}

/** The network, with its kernel interface's counters as numbers. */
async function network(name = NET) {
  const c = d.client;
  const n = (await c.unary(c.networks, c.networks.GetNetwork, { name })).network!;
  const k = n.kernelInterface!;
  return {
    ...n,
    kernelInterface: {
      ...k, rxPackets: Number(k.rxPackets), txPackets: Number(k.txPackets),
      punt: k.punt.map((p) => ({ ...p, passed: Number(p.passed), policed: Number(p.policed) })),
    },
  };
}

async function kernelPortStats() {
  const c = d.client;
  return counts((await c.unary(c.ports, c.ports.GetPortStats, { name: '' })).stats.find((s) => s.name === `kernel:${IFACE}`)!);
}

function punt(n: Awaited<ReturnType<typeof network>>, cls: string) {
  return n.kernelInterface!.punt.find((p) => p.name === cls)!;
}

describe('kernel exception path', () => {
  let c1: Port__Output;

  beforeAll(async () => {
    spawnSync('ip', ['netns', 'del', NS]);
    execFileSync('ip', ['netns', 'add', NS]);
    d = await Daemon.start(Daemon.fresh('exception'));
  });

  afterAll(async () => {
    for (const c of cnfs) await c.kill();
    await d.dispose();
    spawnSync('ip', ['netns', 'del', NS]);
  });

  it(`chooses ${AUTO_KIND} on this kernel and says why`, async () => {
    const c = d.client;
    const info = (await c.unary(c.system, c.system.GetSystemInfo, {}));
    expect(info.exceptionPath).toMatch(AUTO_PATH_RE);
  });

  it('creates fp-<net> with the gateway address in a namespace, and the host pings a container through it', async () => {
    const c = d.client;
    const res = await c.unary(c.networks, c.networks.CreateNetwork, {
      network: { name: NET, kernelInterface: { addresses: ['10.77.0.1/24', 'fd00:77::1/64'], netns: NS, punt: [{ name: 'other', enabled: true, pps: 200, burst: 20 }] } },
    });
    const k = res.network!.kernelInterface!;
    expect(k).toMatchObject({ name: IFACE, kind: AUTO_KIND, up: true, netns: NS, addresses: ['10.77.0.1/24', 'fd00:77::1/64'] });
    expect(`${k.kind} (${k.reason})`).toMatch(AUTO_PATH_RE);
    expect(nsExec(['ip', '-br', 'addr', 'show', 'dev', IFACE])).toMatch(/10\.77\.0\.1\/24.*fd00:77::1\/64/);
    expect(existsSync(`/sys/class/net/${IFACE}`)).toBe(false); // it is in the namespace, not here

    c1 = (await c.unary(c.ports, c.ports.CreatePort, { port: { name: 'c1', network: NET } })).port!;
    const echo = await TestpmdContainer.start({
      name: 'exc-c1', ports: [{ hostDir: c1.attach!.hostDir, mac: c1.mac }], attachArgs: c1.attach!.ealArgs, forwardMode: 'icmpecho',
    });
    cnfs.push(echo);
    await echo.cmd('start');
    await until(() => c.unary(c.ports, c.ports.GetPort, { name: 'c1' }), (r) => r.port!.status!.linkUp, 'c1 up');
    const p = ping(20);
    expect(p).toEqual({ sent: 20, received: 20 });

    // The tap's counters and the kernel port's agree, both ways.
    const agree = await until(async () => ({ n: await network(), fp: await kernelPortStats() }),
      (x) => x.n.kernelInterface!.txPackets === x.fp.rxPackets && x.n.kernelInterface!.rxPackets === x.fp.txPackets, 'tap and port counters agree');
    expect(agree.fp.rxPackets).toBeGreaterThanOrEqual(21); // ARP + 20 echo requests
    expect(punt(agree.n, 'gateway').passed).toBeGreaterThanOrEqual(20); // the echo replies
    expect(punt(agree.n, 'arp_nd').passed).toBeGreaterThanOrEqual(1);
  });

  it('delivers a container\'s frames to the gateway MAC, and a punt flow\'s, to the tap', async () => {
    const c = d.client;
    const before = await network();
    const gw = before.kernelInterface!.mac;
    await c.unary(c.flows, c.flows.AddFlow, { network: NET, spec: toProtoSpec(parseFlow('priority=10,udp,tp_dst=5000,actions=punt')) });
    const udp = (id: number, dst: string, dport: number) => frame({ id, dst, src: c1.mac, ip: { v: 4, src: '10.77.0.2', dst: '10.77.0.1', proto: 17, sport: 7, dport } });
    const frames = [
      ...Array.from({ length: 30 }, (_, i) => udp(i, gw, 9)),
      ...Array.from({ length: 12 }, (_, i) => udp(100 + i, '02:ee:00:00:00:09', 5000)), // unknown unicast, punted by the flow
    ];
    // c1 is busy answering pings: a second container on a second port sends.
    const c2 = (await c.unary(c.ports, c.ports.CreatePort, { port: { name: 'c2', network: NET } })).port!;
    const sender = await PcapCnf.start(c2, '/tmp/fastpath-test-exc', frames);
    await until(() => c.unary(c.ports, c.ports.GetPort, { name: 'c2' }), (r) => r.port!.status!.linkUp, 'c2 up');
    await sender.go();
    const after = await until(network, (n) => punt(n, 'gateway').passed - punt(before, 'gateway').passed >= 30 && punt(n, 'flow').passed - punt(before, 'flow').passed >= 12, 'frames on the tap');
    expect(punt(after, 'gateway').passed - punt(before, 'gateway').passed).toBe(30);
    expect(punt(after, 'flow').passed - punt(before, 'flow').passed).toBe(12);
    await until(network, (n) => n.kernelInterface!.rxPackets - before.kernelInterface!.rxPackets >= 42, 'the tap counted them');
    await sender.collect();
    await c.unary(c.ports, c.ports.DeletePort, { name: 'c2' });
  });

  it('polices a broadcast flood to its class\'s rate: the kernel sees only that', async () => {
    const c = d.client;
    const c3 = (await c.unary(c.ports, c.ports.CreatePort, { port: { name: 'c3', network: NET } })).port!;
    const flood = await TestpmdContainer.start({
      name: 'exc-c3', ports: [{ hostDir: c3.attach!.hostDir, mac: c3.mac }], attachArgs: c3.attach!.ealArgs, forwardMode: 'txonly',
      extraArgs: ['--eth-peer=0,ff:ff:ff:ff:ff:ff'],
    });
    cnfs.push(flood);
    await until(() => c.unary(c.ports, c.ports.GetPort, { name: 'c3' }), (r) => r.port!.status!.linkUp, 'c3 up');
    const before = await network();
    const t0 = Date.now();
    await flood.cmd('start');
    await until(async () => Date.now(), (t) => t - t0 >= 2000, '2 s of flood', 5000);
    await flood.cmd('stop');
    const seconds = (Date.now() - t0) / 1000;
    // Every flood frame fastpath took in was headed for the kernel, and was
    // either passed or policed (the policer counts both).
    const c3In = async () => Number((await c.unary(c.ports, c.ports.GetPortStats, { name: 'c3' })).stats[0]!.rxPackets);
    const settled = await until(async () => ({ n: await network(), rx: await c3In() }),
      (x) => punt(x.n, 'other').passed + punt(x.n, 'other').policed - punt(before, 'other').passed - punt(before, 'other').policed === x.rx,
      'every flood frame passed or policed');
    const after = settled.n;
    const passed = punt(after, 'other').passed - punt(before, 'other').passed;
    const policed = punt(after, 'other').policed - punt(before, 'other').policed;
    const tapRx = after.kernelInterface!.rxPackets - before.kernelInterface!.rxPackets;
    console.log(`flood: ${passed} passed, ${policed} policed in ${seconds.toFixed(2)} s (class other: 200 pps, burst 20); the tap received ${tapRx}`);
    expect(policed).toBeGreaterThan(10 * passed); // it really was a flood
    expect(passed).toBeGreaterThanOrEqual(Math.floor(200 * (seconds - 0.5)));
    expect(passed).toBeLessThanOrEqual(Math.ceil(200 * (seconds + 0.5)) + 20);
    // The kernel got what passed, not the flood (a few other frames, e.g.
    // IPv6 neighbour discovery, may have come through their own classes).
    expect(tapRx).toBeGreaterThanOrEqual(passed);
    expect(tapRx).toBeLessThanOrEqual(passed + 20);
    expect(passed + policed).toBe(settled.rx);
    await flood.stop();
    await c.unary(c.ports, c.ports.DeletePort, { name: 'c3' });
  });

  it('refuses bad kernel interface specs and leaves nothing behind', async () => {
    const c = d.client;
    const create = (name: string, k: object) => c.unary(c.networks, c.networks.CreateNetwork, { network: { name, kernelInterface: k } });
    const cases: Array<[string, object, RegExp]> = [
      ['bad1', { name: 'a-very-long-name', addresses: ['10.78.0.1/24'] }, /^INVALID_ARGUMENT: kernel interface name must be 1..15/],
      ['bad2', { name: 'lo', addresses: ['10.78.0.1/24'] }, /^ALREADY_EXISTS: a network interface named lo already exists/],
      ['bad3', { addresses: ['10.78.0.300/24'] }, /^INVALID_ARGUMENT: gateway address must be/],
      ['bad4', { addresses: ['10.78.0.1'] }, /^INVALID_ARGUMENT: gateway address must be/],
      ['bad5', { addresses: ['10.78.0.1/24'], netns: 'fptest-nosuch' }, /^NOT_FOUND: no network namespace named fptest-nosuch/],
      ['bad6', { name: IFACE, addresses: ['10.78.0.1/24'] }, /^ALREADY_EXISTS: kernel interface fp-ex belongs to network ex/],
      ['bad7', { punt: [{ name: 'telepathy', enabled: true }] }, /^INVALID_ARGUMENT: unknown punt class telepathy/],
      ['bad8', { punt: [{ name: 'dhcp', enabled: true, pps: 10, burst: 50 }] }, /^INVALID_ARGUMENT: punt class dhcp: burst must be 1..pps/],
    ];
    for (const [name, k, re] of cases) {
      expect(await codeOf(create(name, k))).toMatch(re);
      expect(await codeOf(c.unary(c.networks, c.networks.GetNetwork, { name }))).toMatch(/^NOT_FOUND/);
      expect(existsSync(`/sys/class/net/fp-${name}`)).toBe(false);
    }
  });

  it('removes the interface with its network, and brings it back after a restart', async () => {
    const c = d.client;
    for (const x of cnfs.splice(0)) await x.kill();
    await c.unary(c.ports, c.ports.DeletePort, { name: 'c1' });
    await c.unary(c.networks, c.networks.DeleteNetwork, { name: NET });
    expect(spawnSync('ip', ['-n', NS, 'link', 'show', IFACE]).status).not.toBe(0);

    await c.unary(c.networks, c.networks.CreateNetwork, { network: { name: 'ex2', kernelInterface: { addresses: ['10.79.0.1/24'], netns: NS } } });
    const mac = (await network('ex2')).kernelInterface!.mac;
    expect(await d.stop()).toBe(0);
    expect(spawnSync('ip', ['-n', NS, 'link', 'show', 'fp-ex2']).status).not.toBe(0); // gone with the data plane
    await d.restart();
    const back = await network('ex2');
    expect(back.kernelInterface).toMatchObject({ name: 'fp-ex2', up: true, mac, addresses: ['10.79.0.1/24'] });
    expect(nsExec(['ip', '-br', 'addr', 'show', 'dev', 'fp-ex2'])).toMatch(/10\.79\.0\.1\/24/);

    // Forcing the other path: where /dev/vhost-net is missing, forcing
    // vhost-net is a clear refusal (and ex2 cannot come back on it); where
    // it works, forcing tap gives a tap.
    expect(await d.stop()).toBe(0);
    await d.restart(['--exception-path', HAS_VHOST_NET ? 'tap' : 'vhost-net']);
    const ex3 = c.unary(c.networks, c.networks.CreateNetwork, { network: { name: 'ex3', kernelInterface: { addresses: ['10.80.0.1/24'] } } });
    if (HAS_VHOST_NET) {
      expect((await ex3).network!.kernelInterface).toMatchObject({ kind: 'tap', reason: 'configured: tap' });
      await c.unary(c.networks, c.networks.DeleteNetwork, { name: 'ex3' });
    } else {
      expect(await codeOf(ex3)).toMatch(/^FAILED_PRECONDITION: exception path vhost-net was asked for, but \/dev\/vhost-net does not exist/);
      expect(await codeOf(c.unary(c.networks, c.networks.GetNetwork, { name: 'ex3' }))).toMatch(/^NOT_FOUND/);
      expect(d.logs).toMatch(/kernel interface could not be recreated from state/); // ex2's, on this daemon
    }
    await c.unary(c.networks, c.networks.DeleteNetwork, { name: 'ex2' });
  });
});
