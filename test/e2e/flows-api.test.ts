// SPDX-License-Identifier: Apache-2.0
// FlowService against the real fastpathd: errors leave the table as it was,
// the 10,000-rule limit, ReplaceFlows swapping rule sets under steady
// traffic without losing or duplicating a packet, and flows coming back
// after a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { toProtoSpec } from '../../src/api/flow-convert.js';
import type { FlowSpec as ProtoFlowSpec } from '../../src/api/gen/fastpath/v1/FlowSpec.js';
import type { Port__Output } from '../../src/api/gen/fastpath/v1/Port.js';
import { TestpmdContainer } from '../harness/cnf/testpmd.js';
import { parseFlow } from '../../src/core/flows/flow-text.js';
import { loopFlowTexts } from '../../bench/lib/flow-rules.js';
import { Daemon } from '../helpers/daemon.js';
import { counts, until } from '../helpers/fixture.js';
import { codeOf } from '../helpers/grpc-status.js';

const NET = 'fa';
let d: Daemon;
const ports: Record<string, Port__Output> = {};
const cnfs: TestpmdContainer[] = [];

const spec = (text: string): ProtoFlowSpec => toProtoSpec(parseFlow(text));

async function flows(network = NET) {
  const c = d.client;
  return c.unary(c.flows, c.flows.ListFlows, { network });
}

async function startCnf(p: Port__Output, forwardMode: string): Promise<TestpmdContainer> {
  const c = await TestpmdContainer.start({
    name: `fa-${p.spec!.name}`,
    ports: [{ hostDir: p.attach!.hostDir, mac: p.mac }],
    attachArgs: p.attach!.ealArgs,
    forwardMode,
  });
  cnfs.push(c);
  return c;
}

describe('FlowService end to end', () => {
  beforeAll(async () => {
    d = await Daemon.start(Daemon.fresh('flows-api'));
    const c = d.client;
    await c.unary(c.networks, c.networks.CreateNetwork, { network: { name: NET } });
    await c.unary(c.networks, c.networks.CreateNetwork, { network: { name: 'other' } });
    for (const [n, net] of [['src', NET], ['r1', NET], ['r2', NET], ['x', 'other']] as const) {
      ports[n] = (await c.unary(c.ports, c.ports.CreatePort, { port: { name: n, network: net } })).port!;
    }
  });

  afterAll(async () => {
    for (const c of cnfs) await c.kill();
    await d.dispose();
  });

  it('is idempotent, and refuses bad rules with a precise status, leaving the table unchanged', async () => {
    const c = d.client;
    const add = (s: ProtoFlowSpec, network = NET) => c.unary(c.flows, c.flows.AddFlow, { network, spec: s });
    const first = await add(spec('priority=10,ip,nw_dst=10.0.0.0/24,actions=output:r1'));
    const again = await add(spec('priority=10,dl_type=0x800,nw_dst=10.0.0.9/24,actions=output:r1'));
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, flow: { id: first.flow!.id } });
    const before = await flows();

    const bad: Array<[Promise<unknown>, RegExp]> = [
      [add(spec('priority=10,ip,nw_dst=10.0.0.0/24,actions=drop')), /^ALREADY_EXISTS: flow \d+ has the same priority and match/],
      [add({ ...spec('actions=drop'), match: { dlType: 0x0800, nwDst: '10.0.0.0/40' } }), /^INVALID_ARGUMENT: nw_dst: prefix length must be 0..32/],
      [add({ ...spec('actions=drop'), match: { dlType: 0x0800, nwDst: '10.0.0.256' } }), /^INVALID_ARGUMENT: nw_dst: not an IPv4 or IPv6 address/],
      [add(spec('actions=output:nosuch')), /^NOT_FOUND: no port named nosuch/],
      [add(spec('actions=output:x')), /^INVALID_ARGUMENT: port x is in network other, not fa/],
      [add(spec('in_port=nosuch,actions=drop')), /^NOT_FOUND: no port named nosuch/],
      [add({ ...spec('actions=drop'), priority: 70000 }), /^INVALID_ARGUMENT: priority must be an integer in 0..65535/],
      [add({ priority: 1, actions: [{ type: 'FLOW_ACTION_TYPE_DROP' }, { type: 'FLOW_ACTION_TYPE_OUTPUT', port: 'r1' }] }), /^INVALID_ARGUMENT: output conflicts with drop/],
      [add({ priority: 1, actions: [] }), /^INVALID_ARGUMENT: a flow needs at least one action/],
      [add(spec('actions=punt')), /^FAILED_PRECONDITION: punt needs a kernel exception interface/],
      [add(spec('actions=drop'), 'nonet'), /^NOT_FOUND: no network named nonet/],
      [c.unary(c.flows, c.flows.DeleteFlow, { network: NET, id: 999_999 }), /^NOT_FOUND: network fa has no flow 999999/],
      [c.unary(c.flows, c.flows.ReplaceFlows, { network: NET, specs: [spec('actions=drop'), spec('actions=output:r1')] }), /^INVALID_ARGUMENT: specs 0 and 1 have the same priority and match/],
      [c.unary(c.flows, c.flows.ReplaceFlows, { network: NET, specs: [spec('actions=drop'), spec('priority=3,actions=output:zz')] }), /^NOT_FOUND: spec 1: no port named zz/],
      [c.unary(c.flows, c.flows.SetMissAction, { network: NET, action: 'MISS_ACTION_UNSPECIFIED' }), /^INVALID_ARGUMENT: action must be/],
    ];
    for (const [p, re] of bad) expect(await codeOf(p)).toMatch(re);
    expect(await flows()).toEqual(before);
    expect(await codeOf(c.unary(c.flows, c.flows.DeleteFlow, { network: NET, id: 999_999, allowMissing: true }))).toBe('OK');
    await c.unary(c.flows, c.flows.DeleteFlow, { network: NET, id: first.flow!.id });
    expect((await flows()).flows).toEqual([]);
  });

  it('takes 10,000 rules in one ReplaceFlows and refuses the 10,001st', async () => {
    const c = d.client;
    const specs = loopFlowTexts(10_000, ['src', 'r1']).map(spec);
    const t0 = performance.now();
    const res = await c.unary(c.flows, c.flows.ReplaceFlows, { network: NET, specs });
    const ms = performance.now() - t0;
    expect(res.flows).toHaveLength(10_000);
    console.log(`ReplaceFlows with 10,000 rules: ${ms.toFixed(0)} ms (the bench reports this figure)`);
    expect(await codeOf(c.unary(c.flows, c.flows.AddFlow, { network: NET, spec: spec('priority=9,udp,tp_dst=7,actions=drop') })))
      .toMatch(/^RESOURCE_EXHAUSTED: network fa has 10000 flows, its limit/);
    expect(await codeOf(c.unary(c.flows, c.flows.ReplaceFlows, { network: NET, specs: [...specs, spec('priority=9,udp,tp_dst=7,actions=drop')] })))
      .toMatch(/^RESOURCE_EXHAUSTED: 10001 flows exceed/);
    const listed = await flows();
    expect(listed.flows.map((f) => f.id).sort((a, b) => a - b)).toEqual(res.flows.map((f) => f.id).sort((a, b) => a - b));
    await c.unary(c.flows, c.flows.ReplaceFlows, { network: NET, specs: [] });
  });

  it('swaps rule sets under steady traffic: every packet is delivered once or dropped by a rule', async () => {
    const c = d.client;
    const sets = [
      ['priority=10,in_port=src,actions=output:r1'],
      ['priority=10,in_port=src,actions=output:r2'],
      ['priority=10,in_port=src,actions=drop'],
    ].map((s) => s.map(spec));
    await c.unary(c.flows, c.flows.ReplaceFlows, { network: NET, specs: sets[0]! });
    const r1 = await startCnf(ports.r1!, 'rxonly');
    const r2 = await startCnf(ports.r2!, 'rxonly');
    const src = await startCnf(ports.src!, 'txonly');
    await until(() => c.unary(c.ports, c.ports.ListPorts, { network: NET }), (r) => r.ports.every((p) => p.status!.linkUp), 'ports up');
    await r1.cmd('start');
    await r2.cmd('start');
    await src.cmd('start');
    const swaps = 30;
    for (let i = 1; i <= swaps; i++) {
      // Wait for traffic between swaps, so that each set sees some.
      const seen = (await src.portStats()).txPackets;
      await src.waitStats((s) => s.txPackets > seen + 1000);
      await c.unary(c.flows, c.flows.ReplaceFlows, { network: NET, specs: sets[i % sets.length]! });
    }
    await src.cmd('stop');
    const sent = (await src.portStats()).txPackets;
    const stats = async () => Object.fromEntries((await c.unary(c.ports, c.ports.GetPortStats, { name: '' })).stats.map((s) => [s.name, counts(s)]));
    const fp = await until(stats, (s) => s.src!.rxPackets === sent, 'fastpath took in every packet sent');
    const r1got = await r1.waitStats((s) => s.rxPackets >= fp.r1!.txPackets);
    const r2got = await r2.waitStats((s) => s.rxPackets >= fp.r2!.txPackets);
    const drops = Object.values(fp).reduce((n, p) => n + Object.values(p.drops).reduce((a, b) => a + b, 0), 0);
    // Nothing duplicated: the containers got exactly what fastpath sent them.
    expect([r1got.rxPackets, r2got.rxPackets]).toEqual([fp.r1!.txPackets, fp.r2!.txPackets]);
    // Nothing lost: every packet sent was delivered or dropped, with a reason.
    expect(r1got.rxPackets + r2got.rxPackets + drops).toBe(sent);
    expect(fp.src!.drops.flow).toBeGreaterThan(0); // the drop set saw traffic
    expect(r1got.rxPackets).toBeGreaterThan(0);
    expect(r2got.rxPackets).toBeGreaterThan(0);
    // The table's counters, carried across the swaps, agree: the current
    // set's one rule has every packet since it was installed; the miss
    // counter has none (every packet from src matched a rule).
    expect((await flows()).missPackets).toBe('0');
    console.log(`${swaps} swaps under ${sent} packets: r1 ${r1got.rxPackets}, r2 ${r2got.rxPackets}, dropped ${drops} (by rule ${fp.src!.drops.flow})`);
    for (const x of [src, r1, r2]) await x.stop();
  });

  it('brings flows back after a restart, installed before forwarding starts', async () => {
    const c = d.client;
    await c.unary(c.flows, c.flows.ReplaceFlows, { network: NET, specs: [spec('priority=5,tcp,tp_dst=22,actions=drop'), spec('priority=4,in_port=r1,actions=output:r2')] });
    await c.unary(c.flows, c.flows.SetMissAction, { network: NET, action: 'MISS_ACTION_DROP' });
    const before = await flows();
    expect(await d.stop()).toBe(0);
    await d.restart();
    const after = await flows();
    expect(after.flows.map((f) => [f.id, f.text])).toEqual(before.flows.map((f) => [f.id, f.text]));
    expect(after.missAction).toBe('MISS_ACTION_DROP');
    const replay = d.logs.split('\n').find((l) => l.includes('"step":"replay"'));
    expect(replay).toMatch(/"flowTables":1,"flows":2,"failedFlowTables":\[\].*forwarding enabled/);
    // Traffic after the restart meets the table: the miss action drops it.
    const src = await startCnf(ports.src!, 'txonly');
    await until(() => c.unary(c.ports, c.ports.GetPort, { name: 'src' }), (r) => r.port!.status!.linkUp, 'src up');
    await src.cmd('start tx_first 1');
    const fp = await until(() => c.unary(c.ports, c.ports.GetPortStats, { name: 'src' }), (r) => Number(r.stats[0]!.rxPackets) >= 32, 'packets in');
    expect(fp.stats[0]!.drops.flow).toBe(fp.stats[0]!.rxPackets);
    await src.stop();
  });
});
