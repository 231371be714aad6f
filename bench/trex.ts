// SPDX-License-Identifier: Apache-2.0
// TRex bench: RFC 2544 NDR/PDR search through fastpath's memif ports.
//   npm run bench:trex -- --emit-config DIR   fastpathd -> trex_cfg.yaml + STL profiles
//   npm run bench:trex -- [--profile ...]     search against a running TRex
//   npm run bench:trex -- --simulate 4mpps,5mpps   the same against a simulated device
// The team's TRex v3.08 is in ../shared/trex (test/e2e/trex.test.ts runs it
// in CI); the procedure on any host is in bench/README.md ("TRex").
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { FastpathClient } from '../src/api/client.js';
import type { GetSystemInfoResponse__Output } from '../src/api/gen/fastpath/v1/GetSystemInfoResponse.js';
import { describeMachine, machineLine } from './lib/machine.js';
import { round } from './lib/summary.js';
import { xyChartSvg } from './lib/svg-chart.js';
import { parseTrexArgs, TREX_USAGE, type EmitArgs, type SearchArgs } from './trex/args.js';
import { TrexClient, TrexUnreachableError } from './trex/client.js';
import { emitTrexConfig } from './trex/emit-config.js';
import { searchNdrPdr, type Found, type RunTrial, type SearchResult } from './trex/search.js';
import { simTrial } from './trex/sim-device.js';
import { meanWireSize } from './trex/streams.js';
import { prepare, trexTrial } from './trex/trex-trial.js';

const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'results');
// A simulated run never overwrites a real one's results.
const RESULTS = (simulated: boolean): string => join(RESULTS_DIR, simulated ? 'trex-simulated.json' : 'trex.json');
const mpps = (pps: number): string => (pps / 1e6).toFixed(3);

async function emit(a: EmitArgs): Promise<void> {
  const c = new FastpathClient(a.endpoint, 15_000);
  try {
    const r = await emitTrexConfig(c, { ...a });
    const said = (b: boolean): string => (b ? 'created' : 'already there');
    console.log(`network ${a.network}: ${said(r.created.network)}`);
    r.ports.forEach((p, i) => console.log(`port ${p.spec!.name}: ${said(r.created.ports[i]!)}, MAC ${p.mac}, memif socket ${p.attach!.socketPath}`));
    for (const f of r.files) console.log(`wrote ${f}`);
    console.log(`\nnext: sudo ./t-rex-64 -i --cfg ${r.files[0]}   (in TRex's directory), then: npm run bench:trex`);
  } catch (e) {
    const code = (e as { code?: number }).code;
    if (code === 14 /* UNAVAILABLE */) throw new Error(`fastpathd is not reachable at ${a.endpoint} (start it with npm start, or pass --endpoint)`, { cause: e });
    throw e;
  } finally {
    c.close();
  }
}

/** fastpathd's DPDK version for the machine line, when it answers. */
async function dutInfo(endpoint: string): Promise<string> {
  const c = new FastpathClient(endpoint, 3000);
  try {
    const r: GetSystemInfoResponse__Output = await c.unary(c.system, c.system.GetSystemInfo, {});
    return `fastpathd ${r.version}, ${r.dpdkVersion}`;
  } catch {
    return 'fastpathd not queried';
  } finally {
    c.close();
  }
}

function found(f: Found, wire: number): Record<string, unknown> {
  return {
    rate_pps_per_direction: round(f.rate, 0),
    aggregate_mpps: round((2 * f.rate) / 1e6, 4),
    // L1: preamble, start of frame and inter-frame gap (20 bytes) count on a wire.
    aggregate_gbps_l1: round((2 * f.rate * (wire + 20) * 8) / 1e9, 3),
    loss_ratio: f.trial ? f.trial.lossRatio : null,
    trial: f.trial?.n ?? null,
    lowest_failing_pps_per_direction: f.failedAt === undefined ? null : round(f.failedAt, 0),
  };
}

async function search(a: SearchArgs): Promise<void> {
  let run: RunTrial;
  let tool: string;
  let client: TrexClient | undefined;
  if (a.simulate) {
    run = simTrial({ ...a.simulate, pdrLoss: a.pdrLoss }, a.seconds);
    tool = `simulated device (NDR ${mpps(a.simulate.ndr)}, PDR ${mpps(a.simulate.pdr)} Mpps per direction)`;
  } else {
    client = await TrexClient.connect({ host: a.server, port: a.rpcPort, timeoutMs: a.connectTimeoutMs });
    const v = await client.getVersion().catch(() => ({ version: '?' }));
    tool = `TRex ${v.version ?? '?'} at ${client.endpoint}`;
    await prepare(client, a.ports, a.profile);
    run = trexTrial(client, a.ports, a.seconds, a.drainSeconds);
  }
  const stop = async (): Promise<void> => {
    await client?.dispose();
  };
  process.once('SIGINT', () => void stop().finally(() => process.exit(130)));
  try {
    const dut = a.simulate ? 'no device' : await dutInfo(a.endpoint);
    const date = new Date().toISOString();
    const machine = describeMachine(0, `${tool} | DUT: ${dut}`);
    const mline = machineLine(machine, date);
    console.log(mline);
    console.log(
      `RFC 2544 search, profile ${a.profile}, bidirectional on ports ${a.ports.join(',')}, ${a.seconds} s trials, ` +
      `max ${mpps(a.maxRate)} Mpps per direction, precision ${(a.precision * 100).toFixed(2)} % of max, PDR loss <= ${(a.pdrLoss * 100).toFixed(2)} %`,
    );
    const r = await searchNdrPdr(run, {
      maxRate: a.maxRate, precision: a.precision, pdrLoss: a.pdrLoss,
      onTrial: (t, planned) => console.log(
        `trial ${t.n} of <= ${planned} (${t.target}): asked ${mpps(t.askedRate)}, offered ${mpps(t.offeredRate)} Mpps/dir` +
        `${t.short ? ' (SHORT: the generator did not reach the asked rate; the trial counts at what it offered)' : ''}, ` +
        `received ${mpps(t.receivedRate)} Mpps/dir, loss ${(t.lossRatio * 100).toFixed(4)} % (${t.txPackets - t.rxPackets} of ${t.txPackets})`,
      ),
    });
    await write(a, r, mline, machine, date, tool);
  } finally {
    await stop();
  }
}

async function write(a: SearchArgs, r: SearchResult, mline: string, machine: object, date: string, tool: string): Promise<void> {
  const wire = meanWireSize(a.profile);
  console.log(`\n${mline}`);
  const line = (name: string, f: Found): string =>
    `${name}: ${mpps(f.rate)} Mpps per direction, ${mpps(2 * f.rate)} Mpps aggregate, ` +
    `${((2 * f.rate * (wire + 20) * 8) / 1e9).toFixed(2)} Gbit/s L1 (${f.failedAt === undefined ? 'the maximum rate passed: raise --max-rate' : `next failing rate ${mpps(f.failedAt)}`})`;
  if (r.trials.some((t) => t.short)) {
    console.log('note: the generator fell short of the asked rate in some trials (marked SHORT); those count at what it offered, '
      + 'so a result at the generator\'s limit measures the test bed, not the switch');
  }
  console.log(line('NDR (0 loss)', r.ndr));
  console.log(line(`PDR (<= ${(a.pdrLoss * 100).toFixed(2)} % loss)`, r.pdr));
  const out = a.out ?? RESULTS(a.simulate !== undefined);
  const svg = out.replace(/\.json$/, '') + '.svg';
  const json = {
    tool, machine, date, profile: a.profile, mean_wire_bytes: round(wire, 1),
    settings: { ...a, mode: undefined, out: undefined },
    ndr: found(r.ndr, wire), pdr: found(r.pdr, wire),
    // offered: what TRex really sent (its opackets over the trial); a
    // trial short of the asked rate counts at that, never at the asked one.
    generator_limited: r.trials.some((t) => t.short),
    trials: r.trials.map((t) => ({
      n: t.n, search: t.target, asked_pps_per_direction: round(t.askedRate, 0), offered_pps_per_direction: round(t.offeredRate, 0),
      short: t.short, counted_pps_per_direction: round(t.rate, 0), received_pps_per_direction: round(t.receivedRate, 0),
      tx_packets: t.txPackets, rx_packets: t.rxPackets, loss_ratio: t.lossRatio, seconds: t.seconds,
    })),
  };
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(svg, xyChartSvg({
    title: `fastpath through TRex: received vs offered (${a.profile}, both directions)`,
    notes: [mline, `${a.seconds} s trials; NDR ${mpps(2 * r.ndr.rate)}, PDR ${mpps(2 * r.pdr.rate)} Mpps aggregate`],
    xLabel: 'offered, Mpps (both directions)', yLabel: 'received, Mpps (both directions)',
    diagonal: true,
    series: [{ name: 'trials', points: r.trials.map((t) => ({ x: (2 * t.rate) / 1e6, y: (2 * t.receivedRate) / 1e6 })) }],
    markers: [{ x: (2 * r.ndr.rate) / 1e6, label: 'NDR' }, { x: (2 * r.pdr.rate) / 1e6, label: 'PDR' }],
  }));
  console.log(`\nwrote ${out} and ${svg}`);
}

async function main(): Promise<void> {
  const a = parseTrexArgs(process.argv.slice(2));
  if (a === 'help') return console.log(TREX_USAGE);
  if (a.mode === 'emit') return emit(a);
  return search(a);
}

main().catch((e: unknown) => {
  if (e instanceof TrexUnreachableError) console.error(`bench:trex: ${e.message}`);
  else console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = e instanceof TrexUnreachableError ? 2 : 1;
});
