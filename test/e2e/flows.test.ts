// SPDX-License-Identifier: Apache-2.0
// Flow rules with real traffic: four testpmd containers attached through the
// API send hand-built frames (from pcap files) through fastpathd and record
// what reaches them. One table holds a rule per match field and action,
// each with frames that hit it and frames that just miss; the test checks
// which containers got each frame (and how it was rewritten) and every
// rule's counters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Port__Output } from '../../src/api/gen/fastpath/v1/Port.js';
import { formatFlow, parseFlow } from '../../src/core/flows/flow-text.js';
import { toProtoSpec } from '../../src/api/flow-convert.js';
import { Daemon } from '../helpers/daemon.js';
import { frame, markerOf, type FrameSpec } from '../helpers/frames.js';
import { pcapRound, portCounters } from '../helpers/pcap-cnf.js';

const NET = 'fl';
const NAMES = ['src', 'r1', 'r2', 'r3'] as const;
type Name = (typeof NAMES)[number];
const BCAST = 'ff:ff:ff:ff:ff:ff';
const WORK = '/tmp/fastpath-test-flows';

let d: Daemon;
const port: Partial<Record<Name, Port__Output>> = {};

interface Sent { from: Name; f: FrameSpec; to: Name[]; rule?: string }

/** One round: every container sends its frames; returns, per container, the frames it received. */
async function round(sent: Sent[]): Promise<Record<Name, Buffer[]>> {
  const frames = Object.fromEntries(NAMES.map((n) => [n, sent.filter((s) => s.from === n).map((s) => frame(s.f))]));
  const { got } = await pcapRound(d, NET, port as Record<Name, Port__Output>, frames, { workDir: WORK });
  return got as Record<Name, Buffer[]>;
}

function receiversOf(got: Record<Name, Buffer[]>, id: number): Name[] {
  return NAMES.filter((n) => got[n].some((b) => markerOf(b) === id));
}

function frameOf(got: Record<Name, Buffer[]>, n: Name, id: number): Buffer {
  const b = got[n].find((x) => markerOf(x) === id);
  if (!b) throw new Error(`${n} did not get frame ${id}`);
  return b;
}

describe('flow rules on real traffic', () => {
  beforeAll(async () => {
    d = await Daemon.start(Daemon.fresh('flows'));
    const c = d.client;
    await c.unary(c.networks, c.networks.CreateNetwork, { network: { name: NET } });
    for (const n of NAMES) port[n] = (await c.unary(c.ports, c.ports.CreatePort, { port: { name: n, network: NET } })).port!;
  });

  afterAll(async () => {
    await d.dispose();
  });

  it('matches every field and applies every action, with exact counters', async () => {
    const c = d.client;
    const rules = [
      /* 0 */ 'priority=100,in_port=r3,dl_type=0x88b5,actions=output:r2',
      /* 1 */ 'priority=100,dl_type=0x88b6,dl_src=02:bb:00:00:00:00/ff:ff:00:00:00:00,actions=output:r1',
      /* 2 */ 'priority=100,dl_dst=02:cc:00:00:00:01,actions=output:r3',
      /* 3 */ 'priority=100,dl_vlan=42,actions=pop_vlan,output:r1',
      /* 4 */ 'priority=100,ip,nw_dst=10.0.5.0/24,actions=push_vlan:77,output:r2',
      /* 5 */ 'priority=100,ip,nw_src=192.168.7.0/24,actions=drop',
      /* 6 */ 'priority=100,udp,nw_dst=10.0.7.1,tp_dst=1000-1999,actions=output:r3',
      /* 7 */ 'priority=100,tcp,nw_dst=10.0.8.1,tcp_flags=+syn-ack,actions=output:r1',
      /* 8 */ 'priority=100,tcp,nw_dst=10.0.8.2,tp_src=5555,actions=output:r2',
      /* 9 */ 'priority=100,ipv6,ipv6_dst=fd00:9::/64,actions=output:r3',
      /* 10 */ 'priority=100,ip,nw_dst=10.0.10.1,actions=set_dst_mac:02:dd:00:00:00:01,output:r1,output:r2',
      /* 11 */ 'priority=100,ip,nw_dst=10.0.11.1,actions=flood',
      /* 12 */ 'priority=200,ip,nw_dst=10.0.12.0/24,actions=normal',
      /* 13 */ 'priority=100,ip,nw_dst=10.0.12.1,actions=drop',
      /* 14 */ 'priority=100,ip,nw_dst=10.0.13.0/24,actions=output:r1',
      /* 15 */ 'priority=200,ip,nw_dst=10.0.13.128/25,actions=output:r2',
      /* 16 */ 'priority=100,arp,actions=output:r3',
      /* 17 */ 'priority=100,ip,nw_dst=10.0.14.1,actions=output:src,output:r1',
    ];
    const res = await c.unary(c.flows, c.flows.ReplaceFlows, { network: NET, specs: rules.map((r) => toProtoSpec(parseFlow(r))) });
    expect(res.flows.map((f) => f.text)).toEqual(rules.map((r) => formatFlow(parseFlow(r))));
    const all: Name[] = ['r1', 'r2', 'r3'];
    const S = port.src!.mac;
    const ip4 = (dst: string, extra: Partial<NonNullable<FrameSpec['ip']>> = {}) => ({ v: 4 as const, src: '10.1.0.1', dst, proto: 17, sport: 7, dport: 9, ...extra });
    const sent: Sent[] = [
      { from: 'r3', f: { id: 1, dst: BCAST, src: port.r3!.mac, type: 0x88b5 }, to: ['r2'], rule: rules[0] },
      { from: 'src', f: { id: 2, dst: BCAST, src: S, type: 0x88b5 }, to: all },
      { from: 'src', f: { id: 3, dst: BCAST, src: '02:bb:00:00:00:07', type: 0x88b6 }, to: ['r1'], rule: rules[1] },
      { from: 'src', f: { id: 4, dst: BCAST, src: '02:bc:00:00:00:07', type: 0x88b6 }, to: all },
      { from: 'src', f: { id: 5, dst: '02:cc:00:00:00:01', src: S }, to: ['r3'], rule: rules[2] },
      { from: 'src', f: { id: 6, dst: '02:cc:00:00:00:02', src: S }, to: all },
      { from: 'src', f: { id: 7, dst: BCAST, src: S, vlan: 42 }, to: ['r1'], rule: rules[3] },
      { from: 'src', f: { id: 8, dst: BCAST, src: S, vlan: 43 }, to: all },
      { from: 'src', f: { id: 9, dst: BCAST, src: S, ip: ip4('10.0.5.9') }, to: ['r2'], rule: rules[4] },
      { from: 'src', f: { id: 10, dst: BCAST, src: S, ip: ip4('10.0.6.9') }, to: all },
      { from: 'src', f: { id: 11, dst: BCAST, src: S, ip: ip4('10.0.99.1', { src: '192.168.7.5' }) }, to: [], rule: rules[5] },
      { from: 'src', f: { id: 12, dst: BCAST, src: S, ip: ip4('10.0.99.1', { src: '192.168.8.5' }) }, to: all },
      { from: 'src', f: { id: 13, dst: BCAST, src: S, ip: ip4('10.0.7.1', { dport: 1500 }) }, to: ['r3'], rule: rules[6] },
      { from: 'src', f: { id: 14, dst: BCAST, src: S, ip: ip4('10.0.7.1', { dport: 2000 }) }, to: all },
      { from: 'src', f: { id: 15, dst: BCAST, src: S, ip: ip4('10.0.7.1', { proto: 6, dport: 1500 }) }, to: all },
      { from: 'src', f: { id: 16, dst: BCAST, src: S, ip: ip4('10.0.8.1', { proto: 6, tcpFlags: 0x002 }) }, to: ['r1'], rule: rules[7] },
      { from: 'src', f: { id: 17, dst: BCAST, src: S, ip: ip4('10.0.8.1', { proto: 6, tcpFlags: 0x012 }) }, to: all },
      { from: 'src', f: { id: 18, dst: BCAST, src: S, ip: ip4('10.0.8.2', { proto: 6, sport: 5555 }) }, to: ['r2'], rule: rules[8] },
      { from: 'src', f: { id: 19, dst: BCAST, src: S, ip: ip4('10.0.8.2', { proto: 6, sport: 5556 }) }, to: all },
      { from: 'src', f: { id: 20, dst: BCAST, src: S, ip: { v: 6, src: 'fd00:1::1', dst: 'fd00:9::1', proto: 17, sport: 1, dport: 2 } }, to: ['r3'], rule: rules[9] },
      { from: 'src', f: { id: 21, dst: BCAST, src: S, ip: { v: 6, src: 'fd00:1::1', dst: 'fd00:a::1', proto: 17, sport: 1, dport: 2 } }, to: all },
      { from: 'src', f: { id: 22, dst: '02:ee:00:00:00:01', src: S, ip: ip4('10.0.10.1') }, to: ['r1', 'r2'], rule: rules[10] },
      { from: 'src', f: { id: 23, dst: '02:ee:00:00:00:01', src: S, ip: ip4('10.0.11.1') }, to: all, rule: rules[11] },
      { from: 'src', f: { id: 24, dst: BCAST, src: S, ip: ip4('10.0.12.1') }, to: all, rule: rules[12] },
      { from: 'src', f: { id: 25, dst: BCAST, src: S, ip: ip4('10.0.13.5') }, to: ['r1'], rule: rules[14] },
      { from: 'src', f: { id: 26, dst: BCAST, src: S, ip: ip4('10.0.13.200') }, to: ['r2'], rule: rules[15] },
      { from: 'src', f: { id: 27, dst: BCAST, src: S, type: 0x0806 }, to: ['r3'], rule: rules[16] },
      { from: 'src', f: { id: 28, dst: BCAST, src: S, ip: ip4('10.0.14.1') }, to: ['r1'], rule: rules[17] },
    ];
    const got = await round(sent);
    for (const s of sent) expect({ id: s.f.id, to: receiversOf(got, s.f.id) }).toEqual({ id: s.f.id, to: s.to });
    // Rewrites: the VLAN tag popped, pushed, and the destination MAC set.
    expect(frameOf(got, 'r1', 7).readUInt16BE(12)).not.toBe(0x8100);
    const pushed = frameOf(got, 'r2', 9);
    expect([pushed.readUInt16BE(12), pushed.readUInt16BE(14) & 0xfff]).toEqual([0x8100, 77]);
    for (const n of ['r1', 'r2'] as const) expect(frameOf(got, n, 22).subarray(0, 6).toString('hex')).toBe('02dd00000001');
    expect(frameOf(got, 'r2', 8).readUInt16BE(14) & 0xfff).toBe(43); // flooded with its tag

    const listed = await c.unary(c.flows, c.flows.ListFlows, { network: NET });
    const hits = (r: string) => sent.filter((s) => s.rule === r).length;
    for (const f of listed.flows) {
      const r = rules.find((x) => formatFlow(parseFlow(x)) === f.text)!;
      expect({ rule: r, packets: Number(f.packets) }).toEqual({ rule: r, packets: hits(r) });
    }
    expect(Number(listed.missPackets)).toBe(sent.filter((s) => !s.rule).length);
    expect((await portCounters(d)).src!.drops.flow).toBe(1);
  });
});
