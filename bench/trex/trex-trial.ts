// SPDX-License-Identifier: Apache-2.0
// One search trial against TRex: both ports transmit for the trial's
// length at the same rate (bidirectional), TRex stops them itself
// (start_traffic's duration), the switch gets time to drain, then the
// counters are read. TRex never clears counters on the server side, so
// every figure is a difference of two readings.
import type { PortStats, TrexClient } from './client.js';
import type { RunTrial, TrialOutcome } from './search.js';
import { profileStreams, type PortAddresses, type ProfileName } from './streams.js';
import { sleep } from '../../test/harness/wait.js';

const STOP_GRACE_MS = 5000;

/** Each port's own MAC and its peer's, as TRex has them from trex_cfg.yaml's
 * port_info (get_port_status: attr.layer_cfg.ether, where TRex's own
 * Python client reads them). */
export async function portAddresses(c: TrexClient, ports: readonly number[]): Promise<PortAddresses[]> {
  const out: PortAddresses[] = [];
  for (const p of ports) {
    const s = await c.portStatus(p);
    out.push({ srcMac: s.srcMac, dstMac: s.dstMac });
  }
  return out;
}

/** Acquire the pair, clear their streams, and load the profile's streams on both. */
export async function prepare(c: TrexClient, ports: readonly [number, number], profile: ProfileName): Promise<void> {
  const macs = await portAddresses(c, ports);
  for (const [i, p] of ports.entries()) {
    await c.acquire(p);
    await c.reset(p);
    const streams = profileStreams(profile, i, macs[i]!);
    for (const [id, s] of streams.entries()) await c.addStream(p, id + 1, s);
  }
}

export function trexTrial(c: TrexClient, ports: readonly [number, number], seconds: number, drainSeconds: number): RunTrial {
  const read = (): Promise<PortStats[]> => Promise.all(ports.map((p) => c.getPortStats(p)));
  return async (ratePps: number): Promise<TrialOutcome> => {
    const before = await read();
    for (const p of ports) await c.startTraffic(p, { type: 'pps', value: ratePps }, seconds);
    await sleep(seconds * 1000);
    // TRex stops at the end of the duration; past a grace period, stop it.
    const deadline = Date.now() + STOP_GRACE_MS;
    for (const p of ports) {
      while ((await c.portState(p)) === 'TX') {
        if (Date.now() > deadline) {
          await c.stopTraffic(p);
          break;
        }
        await sleep(100);
      }
    }
    await sleep(drainSeconds * 1000); // frames still queued in the switch reach TRex
    const after = await read();
    let tx = 0;
    let rx = 0;
    for (let i = 0; i < ports.length; i++) {
      tx += after[i]!.opackets - before[i]!.opackets;
      rx += after[i]!.ipackets - before[i]!.ipackets;
    }
    return { txPackets: tx, rxPackets: rx, seconds };
  };
}
