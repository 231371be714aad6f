// SPDX-License-Identifier: Apache-2.0
// The scaling bench's logic without DPDK: its options, the plan (setups and
// the order points take), ratios paired by trial and round (never a chosen
// window), the targets, and the perf report parser.
import { describe, expect, it } from 'vitest';

import { loopFlowTexts } from '../../bench/lib/flow-rules.js';
import { ovsFlowText } from '../../bench/lib/ovs-dpdk.js';
import { parsePerfReport, partOf } from '../../bench/lib/perf-profile.js';
import { parseScaleArgs } from '../../bench/lib/scale-args.js';
import { guestPortSplit, planDim, pointOrder, schedule, setupOrder } from '../../bench/lib/scale-plan.js';
import { growthStarts, summarizeDim, targets, worstRow, type SetupWindows } from '../../bench/lib/scale-report.js';
import type { ScaleWindow } from '../../bench/lib/scale-run.js';

const w = (point: string, trial: number, round: number, cyclesPerPacket: number): ScaleWindow => ({
  point, trial, round, cyclesPerPacket, mpps: 10, guestMpps: 10, busyPercent: 99, drops: 0, guestDrops: 0,
});

describe('bench:scale options', () => {
  it('defaults to every dimension and refuses what it does not know', () => {
    const o = parseScaleArgs([]);
    expect(o).toMatchObject({ dims: ['ports', 'macs', 'flows', 'sizes'], rounds: 3, trials: 2, profile: true });
    expect(parseScaleArgs(['--dims', 'flows,macs', '--no-profile'])).toMatchObject({ dims: ['macs', 'flows'], profile: false });
    expect(() => parseScaleArgs(['--dims', 'vlans'])).toThrow(/unknown vlans/);
    expect(() => parseScaleArgs(['--rounds', '0'])).toThrow(/integer in 1..50/);
    expect(() => parseScaleArgs(['--seconds'])).toThrow(/needs a value/);
    expect(() => parseScaleArgs(['--bogus', '1'])).toThrow(/unknown option/);
    expect(parseScaleArgs(['--help'])).toBe('help');
  });

  it('runs OVS-DPDK when installed unless told not to, and can install it', () => {
    expect(parseScaleArgs([])).toMatchObject({ ovs: undefined, installOvs: false });
    expect(parseScaleArgs(['--no-ovs'])).toMatchObject({ ovs: false });
    expect(parseScaleArgs(['--install-ovs'])).toMatchObject({ installOvs: true });
    expect(() => parseScaleArgs(['--no-ovs', '--install-ovs'])).toThrow(/contradict/);
  });
});

describe('bench:scale plan', () => {
  it('grows one thing per dimension, beside io-fwd only where it does the same work', () => {
    const ports = planDim('ports', ['split']);
    expect(ports.map((s) => `${s.switch}:${s.ports}`)).toEqual([
      'fastpath:2', 'testpmd-io:2', 'fastpath:8', 'testpmd-io:8', 'fastpath:32', 'testpmd-io:32', 'fastpath:128',
    ]);
    const [macs] = planDim('macs', ['split']);
    expect(macs!.points.map((p) => p.macs)).toEqual([2, 1000, 100_000]);
    expect(macs!.macTableSize).toBeGreaterThanOrEqual(200_000);
    const [flows] = planDim('flows', ['split']);
    expect(flows!.points.map((p) => `${p.rules}/${p.flows}`)).toEqual(['0/1', '100/1', '100/1000', '100/100000', '10000/1', '10000/1000', '10000/100000']);
    expect(planDim('sizes', ['split', 'packed']).map((s) => `${s.switch}:${s.ring}`)).toEqual([
      'fastpath:split', 'testpmd-io:split', 'fastpath:packed', 'testpmd-io:packed',
    ]);
  });

  it('puts OVS-DPDK beside fastpath wherever it does the same work', () => {
    expect(planDim('ports', ['split'], true).map((s) => `${s.switch}:${s.ports}`)).toEqual([
      'fastpath:2', 'testpmd-io:2', 'ovs-dpdk:2', 'fastpath:8', 'testpmd-io:8', 'ovs-dpdk:8',
      'fastpath:32', 'testpmd-io:32', 'ovs-dpdk:32', 'fastpath:128',
    ]);
    for (const dim of ['macs', 'flows'] as const) {
      const [fp, ovs, ...rest] = planDim(dim, ['split'], true);
      expect([fp!.switch, ovs!.switch, rest.length]).toEqual(['fastpath', 'ovs-dpdk', 0]);
      expect(ovs!.points).toEqual(fp!.points);
      expect(ovs!.macTableSize).toBe(fp!.macTableSize);
    }
    expect(planDim('sizes', ['packed'], true).map((s) => s.switch)).toEqual(['fastpath', 'testpmd-io', 'ovs-dpdk']);
  });

  it('gives OVS the benches\' rules in its own syntax: port ranges as value/mask', () => {
    expect(ovsFlowText('priority=100,udp,nw_dst=10.0.0.0,tp_dst=1024-1055,actions=drop'))
      .toBe('priority=100,udp,nw_dst=10.0.0.0,tp_dst=0x400/0xffe0,actions=drop');
    expect(ovsFlowText('priority=1,in_port=1,actions=output:2')).toBe('priority=1,in_port=1,actions=output:2');
    expect(ovsFlowText('tcp,tp_src=80-80,actions=drop')).toBe('tcp,tp_src=0x50/0xffff,actions=drop');
    // Every decoy of the largest table converts (an unaligned range would throw).
    expect(loopFlowTexts(10_000, ['1', '2']).map(ovsFlowText).filter((t) => /tp_dst=\d+-/.test(t))).toEqual([]);
    expect(() => ovsFlowText('udp,tp_dst=1000-1031,actions=drop')).toThrow(/aligned power-of-two/);
    expect(() => ovsFlowText('udp,tp_dst=1024-1054,actions=drop')).toThrow(/aligned power-of-two/);
  });

  it('alternates points inside a trial, keeping a rule count together, and setups between trials', () => {
    const [flows] = planDim('flows', ['split']);
    const r1 = pointOrder(flows!.points, 1).map((p) => p.rules);
    const r2 = pointOrder(flows!.points, 2).map((p) => p.rules);
    expect(r1).toEqual([0, 100, 100, 100, 10000, 10000, 10000]);
    expect(r2).toEqual([10000, 10000, 10000, 100, 100, 100, 0]);
    expect(pointOrder(flows!.points, 2).map((p) => p.flows).slice(0, 3)).toEqual([100_000, 1000, 1]);
    expect(setupOrder(['a', 'b'], 1)).toEqual(['a', 'b']);
    expect(setupOrder(['a', 'b'], 2)).toEqual(['b', 'a']);
    // Ratios across switch processes: many short trials, so paired windows are close in time.
    expect(schedule('sizes', 3, 2)).toEqual({ rounds: 1, trials: 6 });
    expect(schedule('ports', 3, 2)).toEqual({ rounds: 1, trials: 6 });
    expect(schedule('macs', 3, 2)).toEqual({ rounds: 3, trials: 2 });
    expect(guestPortSplit(128, 32)).toEqual([32, 32, 32, 32]);
    expect(guestPortSplit(8, 32)).toEqual([8]);
    expect(() => guestPortSplit(3, 32)).toThrow(/pairs/);
  });
});

describe('bench:scale report', () => {
  it('pairs ratios by trial and round, and judges targets on their median', () => {
    const [macs] = planDim('macs', ['split']);
    // Round 2 ran on a slower placement: both points slower, the ratio the same.
    const data: SetupWindows[] = [{
      setup: macs!, windows: [
        w('2 MACs', 1, 1, 100), w('2 MACs', 1, 2, 200),
        w('1,000 MACs', 1, 1, 105), w('1,000 MACs', 1, 2, 210),
        w('100,000 MACs', 1, 1, 160), w('100,000 MACs', 1, 2, 320),
      ],
    }];
    const rows = summarizeDim('macs', data);
    expect(rows.map((r) => r.vsBase?.median)).toEqual([undefined, 1.05, 1.6]);
    // Unpaired, min over max would have said 0.8x or 3.2x.
    expect(rows[2]!.vsBase).toEqual({ min: 1.6, median: 1.6, max: 1.6 });
    expect(growthStarts(rows)).toEqual(['macs: cost per packet grows from 100,000 MACs (1.60x the base)']);
    const t = targets(rows).find((x) => x.what.startsWith('100,000 MACs'))!;
    expect(t.met).toBe(false);
    expect(targets(rows).find((x) => x.what.startsWith('packed rings, 64'))!.met).toBeUndefined();
    expect(worstRow(rows)).toMatchObject({ ratio: 1.6, against: 'base', row: { point: '100,000 MACs' } });
  });

  it('compares fastpath with io-fwd at the same size and ring', () => {
    const sizes = planDim('sizes', ['packed']);
    const data: SetupWindows[] = sizes.map((setup) => ({
      setup,
      windows: setup.switch === 'fastpath'
        ? [w('64 B', 1, 1, 108), w('64 B', 2, 1, 90), w('1500 B', 1, 1, 400)]
        : [w('64 B', 1, 1, 100), w('64 B', 2, 1, 100), w('1500 B', 1, 1, 300)],
    }));
    const rows = summarizeDim('sizes', data);
    const fp64 = rows.find((r) => r.switch === 'fastpath' && r.point === '64 B')!;
    expect(fp64.vsIo).toEqual({ min: 0.9, median: 0.99, max: 1.08 });
    const t = targets(rows);
    expect(t.find((x) => x.what.startsWith('packed rings, 64'))!.met).toBe(true);
    expect(t.find((x) => x.what.startsWith('packed rings, 1500'))!.met).toBe(false);
  });

  it('compares fastpath with OVS-DPDK at the same point, paired by trial and round', () => {
    const data: SetupWindows[] = planDim('flows', ['split'], true).map((setup) => ({
      setup,
      windows: setup.switch === 'fastpath'
        ? [w('no rules, 1 flow', 1, 1, 100), w('100 rules, 1 flow', 1, 1, 105), w('100 rules, 1 flow', 1, 2, 210)]
        : [w('no rules, 1 flow', 1, 1, 400), w('100 rules, 1 flow', 1, 1, 300), w('100 rules, 1 flow', 1, 2, 700)],
    }));
    const rows = summarizeDim('flows', data);
    const fp = rows.find((r) => r.switch === 'fastpath' && r.point === '100 rules, 1 flow')!;
    expect([fp.vsOvs!.min, fp.vsOvs!.median, fp.vsOvs!.max].map((x) => x.toFixed(3))).toEqual(['0.300', '0.325', '0.350']);
    expect(rows.find((r) => r.switch === 'ovs-dpdk' && r.point === '100 rules, 1 flow')).toMatchObject({ vsBase: { median: 0.75 } });
    expect(rows.filter((r) => r.switch === 'ovs-dpdk').every((r) => r.vsOvs === undefined && r.vsIo === undefined)).toBe(true);
  });
});

describe('bench:scale profile parsing', () => {
  it('reads perf report lines and puts each symbol in its part of the switch', () => {
    const text = [
      '# Samples: 20K of event \'cpu-clock\'',
      '    22.60%  [.] fp_worker_main                          -      -',
      '    17.75%  [.] reserve_avail_buf_split.constprop.0     -      -',
      '     9.20%  [.] __memcmp_evex_movbe                     -      -',
      '     6.90%  [.] __rte_hash_lookup_with_hash              -      -',
      '     1.90%  [.] match_check_process_avx512x8            -      -',
      '     0.26%  [k] pvm_irq_enable                          -      -',
    ].join('\n');
    const e = parsePerfReport(text);
    expect(e.map((x) => [x.symbol, x.part])).toEqual([
      ['fp_worker_main', 'fastpath'], ['reserve_avail_buf_split.constprop.0', 'librte_vhost'],
      ['__memcmp_evex_movbe', 'libc'], ['__rte_hash_lookup_with_hash', 'rte_hash'], ['match_check_process_avx512x8', 'rte_acl'],
    ]);
    expect(parsePerfReport(text, 0.1).at(-1)).toMatchObject({ symbol: 'pvm_irq_enable', part: 'kernel' });
    expect(partOf('search_trie_avx512x8.constprop.0')).toBe('rte_acl');
    expect(partOf('io_forward')).toBe('testpmd');
  });
});
