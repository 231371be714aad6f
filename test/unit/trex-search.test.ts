// SPDX-License-Identifier: Apache-2.0
// The RFC 2544 NDR/PDR search against deterministic simulated devices whose
// NDR and PDR are known: what it finds must lie within the precision below
// the true value, never above it.
import { describe, expect, it } from 'vitest';

import { parseRate, parseTrexArgs } from '../../bench/trex/args.js';
import { bounds, lossRatio, plannedTrials, searchNdrPdr, type RunTrial, type TrialRecord } from '../../bench/trex/search.js';
import { simReceived, simTrial } from '../../bench/trex/sim-device.js';

const PDR_LOSS = 0.005;

describe('simulated device', () => {
  const d = { ndr: 4e6, pdr: 5e6, pdrLoss: PDR_LOSS };
  it('loses nothing up to its NDR, exactly pdrLoss at its PDR, more above', () => {
    expect(simReceived(d, 4e6)).toBe(4e6);
    expect(1 - simReceived(d, 5e6) / 5e6).toBeCloseTo(PDR_LOSS, 12);
    expect(1 - simReceived(d, 6e6) / 6e6).toBeGreaterThan(PDR_LOSS);
  });
  it('loses at least one frame just above its NDR', async () => {
    const run = simTrial(d, 10);
    expect(lossRatio(await run(4e6, 1))).toBe(0);
    expect(lossRatio(await run(4e6 + 1, 1))).toBeGreaterThan(0);
  });
});

describe('NDR/PDR binary search', () => {
  for (const dev of [
    { ndr: 4e6, pdr: 5e6 },
    { ndr: 1.234e6, pdr: 1.3e6 },
    { ndr: 7.77e6, pdr: 9.99e6 },
    { ndr: 0.2e6, pdr: 0.45e6 },
  ]) {
    it(`finds NDR ${dev.ndr / 1e6} and PDR ${dev.pdr / 1e6} Mpps within 0.5 % of max, from below`, async () => {
      const opts = { maxRate: 10e6, precision: 0.005, pdrLoss: PDR_LOSS };
      const seen: TrialRecord[] = [];
      const r = await searchNdrPdr(simTrial({ ...dev, pdrLoss: PDR_LOSS }, 10), { ...opts, onTrial: (t) => seen.push(t) });
      const res = opts.precision * opts.maxRate;
      expect(r.ndr.rate).toBeLessThanOrEqual(dev.ndr);
      expect(r.ndr.rate).toBeGreaterThan(dev.ndr - res);
      expect(r.ndr.failedAt!).toBeGreaterThan(dev.ndr);
      expect(r.ndr.trial!.lossRatio).toBe(0);
      expect(r.pdr.rate).toBeLessThanOrEqual(dev.pdr);
      expect(r.pdr.rate).toBeGreaterThan(dev.pdr - res);
      expect(r.pdr.trial!.lossRatio).toBeLessThanOrEqual(PDR_LOSS);
      expect(r.trials.length).toBeLessThanOrEqual(plannedTrials(opts.precision));
      expect(seen.map((t) => t.n)).toEqual(r.trials.map((_, i) => i + 1));
      expect(r.trials[0]!.rate).toBe(opts.maxRate);
    });
  }

  it('stops after one trial when the maximum rate loses nothing', async () => {
    const r = await searchNdrPdr(simTrial({ ndr: 20e6, pdr: 30e6, pdrLoss: PDR_LOSS }, 1), { maxRate: 10e6, precision: 0.01, pdrLoss: PDR_LOSS });
    expect(r.trials).toHaveLength(1);
    expect([r.ndr.rate, r.pdr.rate, r.ndr.failedAt]).toEqual([10e6, 10e6, undefined]);
  });

  it('reports 0 when even the lowest rate tried loses frames', async () => {
    const lossy: RunTrial = (rate) => Promise.resolve({ txPackets: 2 * rate, rxPackets: 2 * rate * 0.9, seconds: 1 });
    const r = await searchNdrPdr(lossy, { maxRate: 1e6, precision: 0.01, pdrLoss: PDR_LOSS });
    expect([r.ndr.rate, r.pdr.rate, r.ndr.trial]).toEqual([0, 0, undefined]);
    expect(r.ndr.failedAt!).toBeLessThanOrEqual(0.01e6);
    expect(r.trials.length).toBeLessThanOrEqual(plannedTrials(0.01));
  });

  it('moves down, never up, when a device loses below a rate that passed', () => {
    const t = (n: number, rate: number, loss: number): TrialRecord => ({
      n, rate, askedRate: rate, offeredRate: rate, short: false, lossRatio: loss, txPackets: 1, rxPackets: 1, seconds: 1, receivedRate: rate, target: 'NDR',
    });
    // 6 passed, then 5 lost (a noisy moment): the NDR is below 5, i.e. 3.
    const b = bounds([t(1, 10, 0.2), t(2, 6, 0), t(3, 3, 0), t(4, 5, 0.001)], 0);
    expect([b.rate, b.failedAt]).toEqual([3, 5]);
    expect(bounds([t(1, 10, 0.2), t(2, 6, 0), t(3, 3, 0), t(4, 5, 0.001)], PDR_LOSS)).toMatchObject({ rate: 6, failedAt: 10 });
  });

  it('counts a trial at what the generator offered when it fell short, and says so', async () => {
    // The device would pass 6 Mpps, but the generator tops out at 4.
    const run = simTrial({ ndr: 6e6, pdr: 8e6, pdrLoss: PDR_LOSS, generatorMax: 4e6 }, 1);
    const r = await searchNdrPdr(run, { maxRate: 10e6, precision: 0.01, pdrLoss: PDR_LOSS });
    expect(r.trials[0]).toMatchObject({ askedRate: 10e6, offeredRate: 4e6, short: true, rate: 4e6, lossRatio: 0 });
    expect([r.ndr.rate, r.pdr.rate]).toEqual([4e6, 4e6]); // never 10e6: that rate was not carried
    expect(r.ndr.trial!.short).toBe(true);
    // Within the margin a trial counts at the asked rate.
    const close: RunTrial = (rate) => Promise.resolve({ txPackets: Math.round(2 * rate * 0.99), rxPackets: Math.round(2 * rate * 0.99), seconds: 1 });
    const c = await searchNdrPdr(close, { maxRate: 1e6, precision: 0.01, pdrLoss: PDR_LOSS });
    expect(c.trials[0]).toMatchObject({ short: false, rate: 1e6 });
  });

  it('refuses nonsense options', async () => {
    const run = simTrial({ ndr: 1, pdr: 2, pdrLoss: PDR_LOSS }, 1);
    await expect(searchNdrPdr(run, { maxRate: 0, precision: 0.01, pdrLoss: 0 })).rejects.toThrow(/maxRate/);
    await expect(searchNdrPdr(run, { maxRate: 1, precision: 1, pdrLoss: 0 })).rejects.toThrow(/precision/);
  });
});

describe('bench:trex options', () => {
  it('parses rates with units', () => {
    expect([parseRate('10mpps'), parseRate('2.5Mpps'), parseRate('500kpps'), parseRate('2e6'), parseRate('1000')]).toEqual([10e6, 2.5e6, 500e3, 2e6, 1000]);
    expect(() => parseRate('fast')).toThrow(/bad rate/);
  });

  it('has search defaults, percent options as fractions, and keeps the two modes apart', () => {
    expect(parseTrexArgs([], {})).toMatchObject({
      mode: 'search', server: '127.0.0.1', rpcPort: 4501, ports: [0, 1], profile: '64b-1flow', maxRate: 10e6, seconds: 10, precision: 0.005, pdrLoss: 0.005,
    });
    expect(parseTrexArgs(['--emit-config', '/tmp/x', '--trex-threads', '4,5,6,7', '--host-cpus', '8'], { FASTPATH_ENDPOINT: '/run/fp.sock' })).toMatchObject({
      mode: 'emit', outDir: '/tmp/x', endpoint: 'unix:///run/fp.sock', portNames: ['trex0', 'trex1'],
      cfg: { threads: { kind: 'platform', master: 4, latency: 5, workers: [6, 7] } },
    });
    expect(parseTrexArgs(['--emit-config', '/tmp/x', '--host-cpus', '2'], {})).toMatchObject({ cfg: { threads: { kind: 'low-end', core: 0 } } });
    expect(parseTrexArgs(['--emit-config', '/tmp/x', '--memif-ring-log2', '12'], {})).toMatchObject({ ringLog2: 12 }); // a digit in its name
    expect(parseTrexArgs(['--emit-config', '/tmp/x', '--host-cpus', '2', '--trex-low-end', '1'], {})).toMatchObject({ cfg: { threads: { kind: 'low-end', core: 1 } } });
    expect(() => parseTrexArgs(['--emit-config', '/tmp/x', '--trex-threads', '2,2,3', '--host-cpus', '8'], {})).toThrow(/master and latency share CPU 2/);
    expect(() => parseTrexArgs(['--emit-config', '/tmp/x', '--seconds', '5'], {})).toThrow(/search option/);
    expect(() => parseTrexArgs(['--profile', 'jumbo'], {})).toThrow(/--profile must be one of/);
    expect(() => parseTrexArgs(['--simulate', '5mpps,4mpps'], {})).toThrow(/PDR must be above/);
  });
});
