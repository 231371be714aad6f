// SPDX-License-Identifier: Apache-2.0
// The TRex kit against the real TRex (v3.08, ../shared/trex): fastpathd
// makes two memif ports, `bench:trex --emit-config` writes the config the
// real TRex starts with on this 2-CPU machine (low_end), TRex connects to
// the ports, and a short NDR/PDR search runs on each profile through the
// real bench CLI. The search converges, its results JSON and chart are
// written, and TRex's sent and received counters equal fastpath's port
// counters frame for frame. A missing TRex fails this file with how to get
// it (like the other e2e prerequisites: they fail, never skip).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { DEFAULT_RING_LOG2 } from '../../bench/trex/args.js';
import { DEFAULT_TREX_CFG } from '../../bench/trex/config.js';
import { emitTrexConfig } from '../../bench/trex/emit-config.js';
import { PROFILES } from '../../bench/trex/streams.js';
import { Daemon } from '../helpers/daemon.js';
import { findTrex, TREX_HOWTO, TrexServer } from '../helpers/trex.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PREFIX = 'trex-e2e';
const { dir: TREX, tried } = findTrex();
if (!TREX) throw new Error(`TRex not found (looked in ${tried.join(', ')}): ${TREX_HOWTO}`);

let d: Daemon;
let trex: TrexServer | undefined;
const out = mkdtempSync(join(tmpdir(), 'fp-trex-'));

/** fastpath's rx and tx of the two memif ports, summed. */
async function fastpathCounts(): Promise<{ rx: number; tx: number }> {
  const c = d.client;
  const st = (await c.unary(c.ports, c.ports.GetPortStats, { name: '' })).stats.filter((s) => ['trex0', 'trex1'].includes(s.name));
  return { rx: st.reduce((n, s) => n + Number(s.rxPackets), 0), tx: st.reduce((n, s) => n + Number(s.txPackets), 0) };
}

describe('the TRex kit against the real TRex', () => {
  beforeAll(async () => {
    d = await Daemon.start(Daemon.fresh('trex'));
    const r = await emitTrexConfig(d.client, {
      outDir: out, network: 'trex-bench', portNames: ['trex0', 'trex1'], ringLog2: DEFAULT_RING_LOG2,
      cfg: { ...DEFAULT_TREX_CFG, prefix: PREFIX, threads: { kind: 'low-end', core: 0 } }, endpoint: d.paths.grpcSocket,
    });
    trex = await TrexServer.start(TREX!, r.files[0]!, PREFIX);
  }, 120_000);

  afterAll(async () => {
    await trex?.stop();
    await d?.dispose();
    rmSync(out, { recursive: true, force: true });
  });

  it('emits a config the real TRex starts with on 2 CPUs: low_end, one memif queue pair per thread', async () => {
    const cfg = (parse(readFileSync(join(out, 'trex_cfg.yaml'), 'utf8')) as Record<string, unknown>[])[0]!;
    expect(cfg).toMatchObject({ low_end: true, low_end_core: 0, c: 1, prefix: PREFIX });
    expect(cfg.platform).toBeUndefined();
    const c = d.client;
    const ports = (await c.unary(c.ports, c.ports.ListPorts, { network: 'trex-bench' })).ports;
    expect(ports.map((p) => [p.spec!.name, p.spec!.queues, p.spec!.memifRingLog2, p.status!.linkUp])).toEqual([['trex0', 1, 12, true], ['trex1', 1, 12, true]]);
    expect(trex!.log).not.toMatch(/enough physical cores/);
  });

  for (const profile of PROFILES) {
    it(`runs a short NDR/PDR search on ${profile}; TRex's counters equal fastpath's`, async () => {
      const before = await fastpathCounts();
      const file = join(out, `trex-${profile}.json`);
      const run = await promisify(execFile)(process.execPath, [
        join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'bench', 'trex.ts'), '--profile', profile, '--seconds', '1', '--drain', '0.5',
        '--max-rate', '2mpps', '--precision', '25', '--endpoint', `unix://${d.paths.grpcSocket}`, '--out', file,
      ], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
      expect(run.stdout).toMatch(/^NDR \(0 loss\): /m);
      expect(existsSync(file) && existsSync(file.replace(/\.json$/, '.svg'))).toBe(true);
      const r = JSON.parse(readFileSync(file, 'utf8')) as {
        tool: string; ndr: { rate_pps_per_direction: number }; pdr: { rate_pps_per_direction: number };
        trials: Array<{ tx_packets: number; rx_packets: number; loss_ratio: number; offered_pps_per_direction: number; short: boolean }>;
      };
      expect(r.tool).toMatch(/^TRex v3\.08/);
      expect(r.trials.length).toBeGreaterThan(0);
      if (r.trials[0]!.loss_ratio > 0) expect(r.trials.length).toBeGreaterThan(1); // it searched below the first rate
      expect(r.trials.length).toBeLessThanOrEqual(4 * 5); // converged within the cap (precision 25 %: 5 planned)
      expect(r.pdr.rate_pps_per_direction).toBeGreaterThanOrEqual(r.ndr.rate_pps_per_direction);
      // Every frame TRex sent, fastpath received; every frame fastpath sent, TRex received.
      const after = await fastpathCounts();
      const sent = r.trials.reduce((n, t) => n + t.tx_packets, 0);
      const got = r.trials.reduce((n, t) => n + t.rx_packets, 0);
      expect(after.rx - before.rx).toBe(sent);
      expect(after.tx - before.tx).toBe(got);
    }, 240_000);
  }
});
