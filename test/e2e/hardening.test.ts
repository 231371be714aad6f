// SPDX-License-Identifier: Apache-2.0
// Classification and L2 hardening with hand-built frames through pcap
// containers and the real fastpathd: for each point, a frame that must pass
// and one that must not, with the counters that say why.
//   - a drop rule on tcp/22 holds with 40 bytes of IPv4 options and with an
//     IPv6 destination-options header, in bursts that alternate port 80 and
//     port 22 (the same-header shortcut must not carry one's verdict to the
//     other);
//   - IPv6 extension chains past the bound match no L4 rule and are counted;
//   - nw_frag: later fragments never match L4 fields, and can be dropped;
//   - access ports: priority-tagged frames join the port's VLAN (and leave
//     on trunks tagged with it), other tags and 802.1ad are dropped;
//   - port security: foreign source MACs, and ARP/ND claims of addresses the
//     port was not given, are dropped; router advertisements too;
//   - a port past its learned-MAC limit loses the frames from new MACs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Port__Output } from '../../src/api/gen/fastpath/v1/Port.js';
import { toProtoSpec } from '../../src/api/flow-convert.js';
import { parseFlow } from '../../src/core/flows/flow-text.js';
import { Daemon } from '../helpers/daemon.js';
import { frame, markerOf, type FrameSpec, type IpSpec } from '../helpers/frames.js';
import { pcapRound } from '../helpers/pcap-cnf.js';

const WORK = '/tmp/fastpath-test-hardening';
const BCAST = 'ff:ff:ff:ff:ff:ff';
const SRC = '02:bb:00:00:00:01';
let d: Daemon;
const port: Record<string, Port__Output> = {};

const tcp4 = (dport: number, extra: Partial<IpSpec> = {}): IpSpec => ({ v: 4, src: '10.0.0.1', dst: '10.0.0.2', proto: 6, sport: 40000, dport, ...extra });
const tcp6 = (dport: number, extra: Partial<IpSpec> = {}): IpSpec => ({ v: 6, src: 'fd00::1', dst: 'fd00::2', proto: 6, sport: 40000, dport, ...extra });

/** Which receivers got frame id. */
function where(got: Record<string, Buffer[]>, id: number): string[] {
  return Object.keys(got).filter((n) => got[n]!.some((b) => markerOf(b) === id)).sort();
}

function got1(got: Record<string, Buffer[]>, n: string, id: number): Buffer {
  const b = got[n]!.find((x) => markerOf(x) === id);
  if (!b) throw new Error(`${n} did not get frame ${id}`);
  return b;
}

describe('classification and L2 hardening', () => {
  beforeAll(async () => {
    d = await Daemon.start(Daemon.fresh('hardening'));
    const c = d.client;
    for (const network of ['fw', 'l2']) await c.unary(c.networks, c.networks.CreateNetwork, { network: { name: network } });
    const mk = async (name: string, network: string, extra: object = {}) => {
      port[name] = (await c.unary(c.ports, c.ports.CreatePort, { port: { name, network, ...extra } })).port!;
    };
    await mk('fw-in', 'fw');
    await mk('fw-out', 'fw');
    await mk('acc', 'l2', { vlan: 10 });
    await mk('ps', 'l2', { security: { allowedMacs: [], allowedIps: ['10.0.0.7', 'fd00::7'] } });
    await mk('lim', 'l2', { maxMacs: 4 });
    await mk('trunk', 'l2');
  });

  afterAll(async () => {
    await d?.dispose();
  });

  it('holds a drop rule against IP options, extension headers and fragments, and counts what has no L4', async () => {
    const c = d.client;
    const rules = ['priority=100,tcp,tp_dst=22,actions=drop', 'priority=100,tcp6,tp_dst=22,actions=drop', 'priority=90,ip,nw_frag=later,actions=drop'];
    await c.unary(c.flows, c.flows.ReplaceFlows, { network: 'fw', specs: rules.map((r) => toProtoSpec(parseFlow(r))) });
    const f = (id: number, ip: IpSpec): FrameSpec => ({ id, dst: BCAST, src: SRC, ip, size: 0 });
    const frames: FrameSpec[] = [];
    const want: Record<number, boolean> = {}; // id -> delivered
    let id = 1;
    // Pairs as the issue sent them: port 80 then port 22, back to back, so
    // the second frame's first 72 bytes equal the first's.
    const shapes: Array<(dport: number) => IpSpec> = [
      (p) => tcp4(p, { options: 40 }), (p) => tcp4(p), (p) => tcp6(p, { ext: [60] }), (p) => tcp6(p, { ext: [0, 43, 60] }),
    ];
    for (const shape of shapes) {
      for (let i = 0; i < 16; i++) {
        frames.push(f(id, shape(80))); want[id++] = true;
        frames.push(f(id, shape(22))); want[id++] = false;
      }
    }
    // Nine extension headers: past the bound, the frame has no L4 fields, so
    // no rule on tp_dst can match it (and rx_no_l4 counts it).
    const overlong = id;
    frames.push(f(id, tcp6(22, { ext: [60, 60, 60, 60, 60, 60, 60, 60, 60] }))); want[id++] = true;
    // Fragments: the first (with ports) meets the port rule; a later one
    // matches only nw_frag.
    frames.push(f(id, tcp4(22, { frag: { offset: 0, more: true } }))); want[id++] = false;
    frames.push(f(id, tcp4(80, { frag: { offset: 0, more: true } }))); want[id++] = true;
    frames.push(f(id, tcp4(80, { frag: { offset: 185, more: false } }))); want[id++] = false;
    frames.push(f(id, tcp6(22, { ext: [44], frag: { offset: 0, more: true } }))); want[id++] = false;
    frames.push(f(id, tcp6(80, { ext: [44], frag: { offset: 0, more: true } }))); want[id++] = true;

    const r = await pcapRound(d, 'fw', { 'fw-in': port['fw-in']!, 'fw-out': port['fw-out']! }, { 'fw-in': frames.map(frame) }, { workDir: WORK });
    for (const fr of frames) expect({ id: fr.id, to: where(r.got, fr.id) }).toEqual({ id: fr.id, to: want[fr.id] ? ['fw-out'] : [] });
    const dropped = Object.values(want).filter((v) => !v).length;
    expect(r.after['fw-in']!.drops.flow! - r.before['fw-in']!.drops.flow!).toBe(dropped);
    const st = (await c.unary(c.ports, c.ports.GetPortStats, { name: 'fw-in' })).stats[0]!;
    expect(Number(st.rxNoL4)).toBe(1);
    expect(where(r.got, overlong)).toEqual(['fw-out']);
    const flows = await c.unary(c.flows, c.flows.ListFlows, { network: 'fw' });
    const count = (t: string) => Number(flows.flows.find((x) => x.text === t)?.packets ?? -1);
    expect(count('priority=100,tcp,tp_dst=22,actions=drop')).toBe(2 * 16 + 1);
    expect(count('priority=100,tcp6,tp_dst=22,actions=drop')).toBe(2 * 16 + 1);
    expect(count('priority=90,ip,nw_frag=later,actions=drop')).toBe(1);
  });

  it('keeps access ports in their VLAN, enforces port security and the learned-MAC limit', async () => {
    const c = d.client;
    const acc = port.acc!.mac;
    const ps = port.ps!.mac;
    const f = (id: number, src: string, extra: Partial<FrameSpec> = {}): FrameSpec => ({ id, dst: BCAST, src, ...extra });
    const frames: Record<string, FrameSpec[]> = {
      acc: [
        f(1, acc),                                   // untagged: VLAN 10
        f(2, acc, { vlan: 0, pcp: 5 }),              // priority-tagged: VLAN 10, priority kept
        f(3, acc, { vlan: 5 }),                      // another VLAN: dropped
        f(4, acc, { vlan: 10, tpid: 0x88a8 }),       // 802.1ad: dropped
      ],
      ps: [
        f(11, ps),                                                                  // its own MAC
        f(12, '02:bb:00:00:00:99'),                                                 // another MAC: spoof
        f(13, ps, { arp: { senderMac: ps, senderIp: '10.0.0.7', targetIp: '10.0.0.1' } }),
        f(14, ps, { arp: { senderMac: ps, senderIp: '10.0.0.8', targetIp: '10.0.0.1' } }),  // not its address
        f(15, ps, { ip: { v: 6, src: 'fd00::7', dst: 'ff02::1', proto: 58, icmp6: { type: 136, target: 'fd00::7' } } }),
        f(16, ps, { ip: { v: 6, src: 'fd00::7', dst: 'ff02::1', proto: 58, icmp6: { type: 136, target: 'fd00::8' } } }),
        f(17, ps, { ip: { v: 6, src: 'fd00::7', dst: 'ff02::1', proto: 58, icmp6: { type: 134 } } }),  // a router advertisement
      ],
      // Six source MACs from a port allowed four: the last two are not learned, and not forwarded.
      lim: Array.from({ length: 6 }, (_, i) => f(21 + i, `02:bb:00:00:01:0${i}`)),
    };
    const r = await pcapRound(d, 'l2', { acc: port.acc!, ps: port.ps!, lim: port.lim!, trunk: port.trunk! },
      Object.fromEntries(Object.entries(frames).map(([n, fs]) => [n, fs.map(frame)])), { workDir: WORK });
    const pass = [1, 2, 11, 13, 15, 21, 22, 23, 24];
    for (const fs of Object.values(frames)) {
      for (const fr of fs) expect({ id: fr.id, trunk: where(r.got, fr.id).includes('trunk') }).toEqual({ id: fr.id, trunk: pass.includes(fr.id) });
    }
    // Both of the access port's frames leave on the trunk tagged with VLAN 10.
    for (const id of [1, 2]) expect(got1(r.got, 'trunk', id).readUInt16BE(12)).toBe(0x8100);
    expect(got1(r.got, 'trunk', 1).readUInt16BE(14) & 0xfff).toBe(10);
    expect(got1(r.got, 'trunk', 2).readUInt16BE(14)).toBe((5 << 13) | 10);
    const drops = (n: string, reason: string) => r.after[n]!.drops[reason]! - r.before[n]!.drops[reason]!;
    expect(drops('acc', 'vlan')).toBe(2);
    expect(drops('ps', 'spoof')).toBe(4);
    expect(drops('lim', 'mac_limit')).toBe(2);
    expect(drops('trunk', 'spoof') + drops('trunk', 'mac_limit') + drops('trunk', 'vlan')).toBe(0);
    const lim = (await c.unary(c.ports, c.ports.GetPortStats, { name: 'lim' })).stats[0]!;
    expect(lim.macs).toBe(4);
    // The spec reads back as set.
    const p = (await c.unary(c.ports, c.ports.GetPort, { name: 'ps' })).port!;
    expect(p.spec!.security).toMatchObject({ allowedMacs: [], allowedIps: ['10.0.0.7', 'fd00::7'] });
    expect((await c.unary(c.ports, c.ports.GetPort, { name: 'lim' })).port!.spec!.maxMacs).toBe(4);
  });
});
