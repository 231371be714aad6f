// SPDX-License-Identifier: Apache-2.0
// The VXLAN overlay between two "nodes" on one machine (issue 18): two
// fastpathd in two network namespaces, joined by a veth pair that is each
// one's uplink (node A on AF_XDP where this kernel allows it, node B on
// AF_PACKET), testpmd containers on each, configured through the real fpctl.
// Every frame is accounted for at both ends; floods cross once; a network
// without a VNI never leaks; oversize frames are dropped and counted; a MAC
// that moves between nodes is followed; a restarted node recovers; and a
// capture of the wire parses as well-formed VXLAN.
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Port__Output } from '../../src/api/gen/fastpath/v1/Port.js';
import { readPcap } from '../helpers/frames.js';
import { until } from '../helpers/fixture.js';
import {
  Capture, fpctlJson, fpctlOk, fpctl, parseVxlan, removeUnderlay, startNodes, waitNeighbour, type OverlayNode, type UplinkJson,
} from '../helpers/overlay-nodes.js';
import { TestpmdContainer } from '../harness/cnf/testpmd.js';

const TAG = 'ovl';
const VNI = 4242;
const BURST = 32;
let A: OverlayNode;
let B: OverlayNode;
const cnfs = new Map<string, TestpmdContainer>();
const ports = new Map<string, Port__Output>();

interface TunnelJson { peer: string; port: string; linkUp: boolean; rxPackets: string | number; txPackets: string | number; drops: Record<string, string | number> }
interface OverlayJson { network: string; vni: number; maxFrame: number; tunnels: TunnelJson[] }

const num = (v: string | number | undefined): number => Number(v ?? 0);
const dropOf = (t: TunnelJson, reason: string): number => num(t.drops[reason]);

/** The node's tunnel toward the other node, in network net. */
async function tunnel(n: OverlayNode, net: string): Promise<TunnelJson> {
  const r = await fpctlJson<{ overlays: OverlayJson[] }>(n.daemon, 'overlay', 'list', net);
  const t = r.overlays[0]?.tunnels[0];
  if (!t) throw new Error(`node ${n.name}: network ${net} has no tunnel`);
  return t;
}

/** A port and its container; mac: the container uses this one (not the
 * port's), as a pod with its own address would. */
async function addPort(n: OverlayNode, name: string, network: string, mac?: string): Promise<Port__Output> {
  const c = n.daemon.client;
  const p = (await c.unary(c.ports, c.ports.CreatePort, { port: { name, network } })).port!;
  ports.set(name, p);
  const t = await TestpmdContainer.start({
    name: `${TAG}-${name}`, cpu: 0, hugeMb: 64,
    ports: [{ hostDir: p.attach!.hostDir, mac: mac ?? p.mac, server: p.spec!.mode === 'PORT_MODE_CLIENT' }],
    ...(mac ? {} : { attachArgs: p.attach!.ealArgs }),
  });
  cnfs.set(name, t);
  await t.cmd('start'); // rxonly: counts what arrives
  return p;
}

const cnf = (name: string): TestpmdContainer => cnfs.get(name)!;
const macOf = (name: string): string => ports.get(name)!.mac;

/** bursts x 32 frames from a container to a destination MAC. */
async function send(from: string, dst: string, bursts: number, size = 64): Promise<void> {
  const c = cnf(from);
  await c.cmd('stop');
  await c.cmd(`set txpkts ${size}`);
  await c.cmd(`set eth-peer 0 ${dst}`);
  await c.cmd(`start tx_first ${bursts}`);
}

async function rx(name: string): Promise<number> {
  return (await cnf(name).portStats()).rxPackets;
}

/** Wait until a tunnel counter reaches want, then check it stays there. */
async function tunnelCount(n: OverlayNode, net: string, what: 'rxPackets' | 'txPackets', want: number): Promise<void> {
  await until(async () => num((await tunnel(n, net))[what]), (v) => v >= want, `node ${n.name} tunnel ${what} to reach ${want}`, 15_000);
  expect(num((await tunnel(n, net))[what])).toBe(want);
}

describe('VXLAN overlay between two nodes', () => {
  beforeAll(async () => {
    ({ a: A, b: B } = await startNodes(TAG));
    // eslint-disable-next-line no-console
    console.log(`overlay: node A uplink driver ${A.driver}, node B uplink driver ${B.driver}`);
    for (const n of [A, B]) {
      const peer = n === A ? B : A;
      for (const net of ['blue', 'red']) {
        const c = n.daemon.client;
        await c.unary(c.networks, c.networks.CreateNetwork, { network: { name: net } });
      }
      await fpctlOk(n.daemon, 'overlay', 'set', 'blue', '--uplink', n.iface, '--vni', String(VNI), '--peer', peer.address);
    }
    await addPort(A, 'a1', 'blue');
    await addPort(A, 'a3', 'blue');
    await addPort(A, 'a2', 'red');
    await addPort(B, 'b1', 'blue');
    await addPort(B, 'b2', 'red');
  }, 180_000);

  afterAll(async () => {
    for (const c of cnfs.values()) await c.kill();
    for (const n of [A, B]) await n?.daemon.dispose();
    removeUnderlay(TAG);
  });

  it('resolves each node\'s next hop with ARP, on the driver it says', async () => {
    await waitNeighbour(A, B.address, B.mac);
    await waitNeighbour(B, A.address, A.mac);
    const up = await fpctlJson<{ uplinks: UplinkJson[] }>(A.daemon, 'uplink', 'list');
    expect(up.uplinks[0]).toMatchObject({ name: A.iface, driver: A.driver, status: { linkUp: true } });
    await until(async () => (await tunnel(A, 'blue')).linkUp, (v) => v, 'tunnel link up', 10_000);
  });

  it('carries unicast both ways, every frame accounted for at both ends', async () => {
    // a1 -> b1's MAC: unknown at first (flooded to the tunnel once), then
    // b1 -> a1: B learned a1 behind its tunnel from the decapsulated frames.
    await send('a1', macOf('b1'), 4);
    await cnf('b1').waitStats((s) => s.rxPackets >= 4 * BURST, 0, 15_000);
    await tunnelCount(A, 'blue', 'txPackets', 4 * BURST);
    await tunnelCount(B, 'blue', 'rxPackets', 4 * BURST);
    expect(await rx('b1')).toBe(4 * BURST);
    await send('b1', macOf('a1'), 3);
    await cnf('a1').waitStats((s) => s.rxPackets >= 3 * BURST, 0, 15_000);
    await tunnelCount(B, 'blue', 'txPackets', 3 * BURST);
    await tunnelCount(A, 'blue', 'rxPackets', 3 * BURST);
    expect(await rx('a1')).toBe(3 * BURST);
    // Unicast to a learned MAC reached no other container.
    expect(await rx('a3')).toBe(4 * BURST); // a1's first frames were floods on A
    expect(await rx('a2')).toBe(0);
    expect(await rx('b2')).toBe(0);
  });

  it('sends a broadcast to the other node once, and never back', async () => {
    const [b1, a3, aTx, aRx] = [await rx('b1'), await rx('a3'), num((await tunnel(A, 'blue')).txPackets), num((await tunnel(A, 'blue')).rxPackets)];
    await send('a1', 'ff:ff:ff:ff:ff:ff', 2);
    await cnf('b1').waitStats((s) => s.rxPackets >= b1 + 2 * BURST, 0, 15_000);
    await tunnelCount(A, 'blue', 'txPackets', aTx + 2 * BURST);
    expect(await rx('b1')).toBe(b1 + 2 * BURST);
    expect(await rx('a3')).toBe(a3 + 2 * BURST);
    // Split horizon: B floods what came from a tunnel to its containers only.
    expect(num((await tunnel(A, 'blue')).rxPackets)).toBe(aRx);
    // Unknown unicast floods the same way.
    await send('a1', '02:99:00:00:00:01', 1);
    await cnf('b1').waitStats((s) => s.rxPackets >= b1 + 3 * BURST, 0, 15_000);
    await tunnelCount(A, 'blue', 'txPackets', aTx + 3 * BURST);
    expect(await rx('b1')).toBe(b1 + 3 * BURST);
  });

  it('never carries a network without a VNI (red) to the other node', async () => {
    const aTx = num((await tunnel(A, 'blue')).txPackets);
    const b2 = await rx('b2');
    await send('a2', 'ff:ff:ff:ff:ff:ff', 4);
    // a2 had nobody else on red at A: every frame is a no_dest drop there.
    await until(async () => {
      const c = A.daemon.client;
      const r = await c.unary(c.ports, c.ports.GetPortStats, { name: 'a2' });
      return num(r.stats.find((x) => x.name === 'a2')?.rxPackets);
    }, (v) => v >= 4 * BURST, 'a2 rx counted', 15_000);
    expect(await rx('b2')).toBe(b2);
    expect(num((await tunnel(A, 'blue')).txPackets)).toBe(aTx);
  });

  it('drops and counts a frame too big for the uplink once encapsulated, never truncating it', async () => {
    const t = await fpctlJson<{ overlays: OverlayJson[] }>(A.daemon, 'overlay', 'list', 'blue');
    expect(t.overlays[0]!.maxFrame).toBe(1500 + 14 - 50);
    const [b1, drops] = [await cnf('b1').portStats(), dropOf(await tunnel(A, 'blue'), 'mtu')];
    await send('a1', macOf('b1'), 2, 1500);
    await until(async () => dropOf(await tunnel(A, 'blue'), 'mtu'), (v) => v >= drops + 2 * BURST, 'mtu drops counted', 15_000);
    expect(await rx('b1')).toBe(b1.rxPackets);
    await send('a1', macOf('b1'), 1, 1464); // the largest that fits arrives whole
    const after = await cnf('b1').waitStats((s) => s.rxPackets >= b1.rxPackets + BURST, 0, 15_000);
    expect(after.rxPackets - b1.rxPackets).toBe(BURST);
    expect(after.rxBytes - b1.rxBytes).toBe(BURST * 1464);
  });

  it('follows a MAC that moves from one node to the other', async () => {
    // A pod with MAC M on node B, then (B's gone) one with M on node A.
    const M = '02:4d:00:00:00:01';
    await addPort(B, 'bm', 'blue', M);
    await send('bm', 'ff:ff:ff:ff:ff:ff', 1);
    await until(async () => { await send('a1', M, 1); return rx('bm'); }, (v) => v >= BURST, 'frames to M reaching node B', 15_000);
    const [aTx0, bm0] = [num((await tunnel(A, 'blue')).txPackets), await rx('bm')];
    await send('a1', M, 2);
    await cnf('bm').waitStats((s) => s.rxPackets >= bm0 + 2 * BURST, 0, 15_000);
    await tunnelCount(A, 'blue', 'txPackets', aTx0 + 2 * BURST); // unicast through the tunnel: learned there
    await cnf('bm').kill();
    await addPort(A, 'am', 'blue', M);
    await send('am', 'ff:ff:ff:ff:ff:ff', 1);
    await until(async () => { await send('a1', M, 1); return rx('am'); }, (v) => v >= BURST, 'frames to M reaching node A', 15_000);
    const [aTx, am] = [num((await tunnel(A, 'blue')).txPackets), await rx('am')];
    await send('a1', M, 2);
    await cnf('am').waitStats((s) => s.rxPackets >= am + 2 * BURST, 0, 15_000);
    expect(await rx('am')).toBe(am + 2 * BURST);
    expect(num((await tunnel(A, 'blue')).txPackets)).toBe(aTx); // local now: nothing through the tunnel
  });

  it('sends to a static MAC behind a peer without flooding, and no local port can take it', async () => {
    const S = '02:5a:00:00:00:01';
    await fpctlOk(A.daemon, 'overlay', 'set', 'blue', '--uplink', A.iface, '--vni', String(VNI), '--peer', B.address, '--static-mac', `${S}@${B.address}`);
    // a3 claims S as its source: learning must not move a static entry.
    // (fastpath re-asserts static entries every second: the claim comes
    // right before the frames to S, milliseconds apart, so a move would be
    // seen.)
    await addPort(A, 'as', 'blue', S);
    const [a3, aTx] = [await rx('a3'), num((await tunnel(A, 'blue')).txPackets)];
    await send('as', 'ff:ff:ff:ff:ff:ff', 1);
    await send('a1', S, 2);
    await tunnelCount(A, 'blue', 'txPackets', aTx + 3 * BURST); // the claim's flood, then a1's frames to node B
    await cnf('a3').waitStats((st) => st.rxPackets >= a3 + BURST, 0, 15_000); // the claim's broadcast
    expect(await rx('a3')).toBe(a3 + BURST); // a1's frames were not flooded
    expect(await rx('as')).toBe(0); // nor sent to the port that claimed S
    await fpctlOk(A.daemon, 'overlay', 'set', 'blue', '--uplink', A.iface, '--vni', String(VNI), '--peer', B.address);
  });

  it('writes well-formed VXLAN on the wire', async () => {
    const file = `/tmp/fastpath-test-${TAG}.pcap`;
    const cap = new Capture(B, file);
    await cap.ready();
    const b1 = await rx('b1');
    await send('a1', macOf('b1'), 1);
    await cnf('b1').waitStats((s) => s.rxPackets >= b1 + BURST, 0, 10_000);
    await cap.stop(); // tcpdump -U wrote each frame as it came
    const vx = readPcap(file).map(parseVxlan).filter((f) => f !== undefined);
    rmSync(file, { force: true });
    // What A sends arrives on B's veth, where the kernel sees it; what B
    // sends does not pass the kernel's taps (AF_PACKET bypasses the qdisc
    // layer), so the capture holds A's side: both sides encapsulate with
    // the same code, and Linux's own VXLAN accepts it (the test above).
    const aToB = vx.filter((f) => f.ipSrc === A.address);
    expect(aToB.length).toBeGreaterThanOrEqual(BURST);
    for (const f of vx) {
      const fromA = f.ipSrc === A.address;
      expect(f).toMatchObject({
        outerSrc: fromA ? A.mac : B.mac, outerDst: fromA ? B.mac : A.mac, ipDst: fromA ? B.address : A.address,
        ttl: 64, df: true, ipChecksumOk: true, ipTotalLenOk: true, udpLenOk: true, udpChecksum: 0, flags: 0x08, vni: VNI,
      });
      expect(f.udpSrc).toBeGreaterThanOrEqual(49152);
      expect(f.inner.length).toBeGreaterThanOrEqual(60);
    }
    const inner = aToB[0]!.inner;
    expect([...inner.subarray(0, 6)].map((x) => x.toString(16).padStart(2, '0')).join(':')).toBe(macOf('b1'));
    expect([...inner.subarray(6, 12)].map((x) => x.toString(16).padStart(2, '0')).join(':')).toBe(macOf('a1'));
  });

  it('takes nothing from a node that is not a peer, and interoperates with Linux VXLAN once it is one', async () => {
    // A third "node": Linux's own VXLAN device in B's namespace, on the
    // same wire (the kernel still owns B's veth beside AF_PACKET), VNI of
    // blue. It resolves node A's endpoint through A's ARP responder.
    const K = '10.77.0.99';
    const sh = (cmd: string): string => execFileSync('ip', ['netns', 'exec', B.netns, 'sh', '-c', cmd], { encoding: 'utf8' });
    const upDrop = async (reason: string): Promise<number> =>
      num((await fpctlJson<{ uplinks: UplinkJson[] }>(A.daemon, 'uplink', 'list')).uplinks[0]!.status.drops[reason]);
    const kernelRx = (): number => Number((JSON.parse(sh('ip -s -j link show vxk')) as Array<{ stats64: { rx: { packets: number } } }>)[0]!.stats64.rx.packets);
    sh(`ip addr add ${K}/24 dev ${B.iface} && ip link add vxk type vxlan id ${VNI} remote ${A.address} local ${K} dstport 4789 dev ${B.iface}` +
      ' && ip link set vxk address 02:6b:00:00:00:99 && ip addr add 192.168.77.99/24 dev vxk && ip link set vxk up');
    try {
      // Not a peer: its frames (ARP for 192.168.77.1, inside VNI 4242) are
      // counted on A's uplink and reach no container.
      const [a1, unknown] = [await rx('a1'), await upDrop('vxlan_unknown')];
      spawnSync('ip', ['netns', 'exec', B.netns, 'ping', '-c', '2', '-i', '0.2', '-W', '1', '192.168.77.1']);
      await until(() => upDrop('vxlan_unknown'), (v) => v >= unknown + 1, 'frames from a stranger counted', 10_000);
      expect(await rx('a1')).toBe(a1);
      // A peer now: its broadcasts reach blue's containers on A, and never
      // go on to node B (split horizon); A's floods reach it, and Linux
      // accepts what fastpath encapsulated.
      await fpctlOk(A.daemon, 'overlay', 'set', 'blue', '--uplink', A.iface, '--vni', String(VNI), '--peer', B.address, '--peer', K);
      await waitNeighbour(A, K, B.mac); // the kernel answers for K with the veth's MAC
      const bRx = num((await tunnel(B, 'blue')).rxPackets);
      spawnSync('ip', ['netns', 'exec', B.netns, 'ping', '-c', '2', '-i', '0.2', '-W', '1', '192.168.77.1']);
      await cnf('a1').waitStats((s) => s.rxPackets >= a1 + 1, 0, 10_000);
      const k0 = kernelRx();
      await send('a1', 'ff:ff:ff:ff:ff:ff', 1);
      await until(async () => kernelRx(), (v) => v >= k0 + BURST, 'Linux VXLAN receiving A\'s flood', 10_000);
      expect(num((await tunnel(B, 'blue')).rxPackets)).toBe(bRx + BURST); // B got the flood once, nothing of K's
    } finally {
      await fpctlOk(A.daemon, 'overlay', 'set', 'blue', '--uplink', A.iface, '--vni', String(VNI), '--peer', B.address);
      sh(`ip link del vxk; ip addr del ${K}/24 dev ${B.iface}`);
    }
  });

  it('refuses what cannot work, with the reason', async () => {
    const bad = await fpctl(A.daemon, 'overlay', 'set', 'red', '--uplink', A.iface, '--vni', String(VNI), '--peer', B.address);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr + bad.stdout).toMatch(/VNI 4242 is network blue's/);
    const self = await fpctl(A.daemon, 'overlay', 'set', 'red', '--uplink', A.iface, '--vni', '7', '--peer', A.address);
    expect(self.stderr + self.stdout).toMatch(/own endpoint/);
    const busy = await fpctl(A.daemon, 'uplink', 'del', A.iface);
    expect(busy.stderr + busy.stdout).toMatch(/remove their overlays first/);
  });

  it('recovers when one node\'s daemon restarts', async () => {
    await B.daemon.stop();
    await B.daemon.restart();
    await waitNeighbour(B, A.address, A.mac);
    await until(async () => (await tunnel(B, 'blue')).linkUp, (v) => v, 'tunnel up after restart', 15_000);
    // The container on B reconnects (fastpath dials its socket again).
    const b1 = await rx('b1');
    await cnf('b1').cmd('start');
    await until(async () => { await send('a1', macOf('b1'), 1); return rx('b1'); }, (v) => v >= b1 + BURST, 'frames to b1 after the restart', 30_000);
  });
});
