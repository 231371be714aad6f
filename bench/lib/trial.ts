// SPDX-License-Identifier: Apache-2.0
// One trial of the loop: a fresh guest attaches to the switch, injects its
// frames, the loop warms up, then one measurement window. Every figure is a
// delta between two samples (the window's edges, or consecutive seconds),
// so start-up, MAC learning and the warm-up never reach them.
import type { LoopOptions } from './args.js';
import type { Cleanup } from './cleanup.js';
import { watchCpu, type CpuNoise } from './cpu-noise.js';
import { guestLeftovers, guestRxPackets, startGuest, type GuestTraffic } from './guest.js';
import type { SwitchSample, SwitchUnderTest } from './switch.js';
import { sleep, until } from '../../test/harness/wait.js';

export interface SecondSample {
  cyclesPerPacket: number;
  mpps: number;
}

export interface TrialResult {
  /** Busy cycles of the switch's forwarding lcore per packet it received. */
  cyclesPerPacket: number;
  /** Packets the guest received per second on both ports (= switch traversals). */
  mpps: number;
  /** Packets the switch received per second: a cross-check of mpps. */
  switchMpps: number;
  /** Share of the window the forwarding lcore spent on non-empty polls. */
  busyPercent: number;
  /** Frames the switch dropped during the window (the loop loses them for good). */
  drops: number;
  seconds: number;
  /** TSC rate the switch counted cycles at (0 if it did not say). */
  tscHz: number;
  /** The same figures for each second of the window. */
  perSecond: SecondSample[];
  /** Who else ran on the forwarding CPU during the window (when watched). */
  noise?: CpuNoise;
}

const LINK_TIMEOUT_MS = 30_000;

interface Edge {
  s: SwitchSample;
  rx: number;
  at: number;
}

function delta(a: Edge, b: Edge): { busy: number; packets: number; rx: number; secs: number } {
  return {
    busy: b.s.busyCycles - a.s.busyCycles,
    packets: b.s.packets - a.s.packets,
    rx: b.rx - a.rx,
    secs: (b.at - a.at) / 1000,
  };
}

async function sampleBoth(sw: SwitchUnderTest, rx: () => Promise<number>): Promise<Edge> {
  // Both at once, timed at the midpoint: the two reads take a few ms.
  const t0 = performance.now();
  const [s, r] = await Promise.all([sw.sample(), rx()]);
  const t1 = performance.now();
  return { s, rx: r, at: (t0 + t1) / 2 };
}

export async function runTrial(
  sw: SwitchUnderTest, opts: LoopOptions, cleanup: Cleanup, guestName: string, traffic: GuestTraffic, forwardingCpu?: number,
): Promise<TrialResult> {
  const guest = await startGuest(guestName, sw.sockets, traffic);
  const stopGuest = cleanup.defer(`stop guest ${guestName}`, async () => {
    await guest.stop();
    await guestLeftovers(guestName);
  });
  try {
    await sw.waitLinks(true, LINK_TIMEOUT_MS);
    const rx = (): Promise<number> => guestRxPackets(guest);
    const before = await rx();
    await guest.cmd(`start tx_first ${opts.bursts}`);
    // A loop that does not carry traffic would measure nothing: fail early.
    await until(rx, (n) => n > before + 64 * opts.bursts * 2, `${sw.name}: traffic around the loop`, 10_000);
    await sleep(opts.warmup * 1000);
    // One sample a second: the window's figures are first-to-last deltas,
    // the per-second ones show changes inside the window (the VM's vCPUs
    // move between host cores, see xcpu.ts). A sample costs the guest and
    // the switch a few microseconds of their main lcores, the same for both
    // switches.
    const endWatch = forwardingCpu === undefined ? undefined : watchCpu(forwardingCpu);
    const edges = [await sampleBoth(sw, rx)];
    const t0 = edges[0]!.at;
    for (let i = 1; i <= opts.seconds; i++) {
      await sleep(Math.max(0, t0 + i * 1000 - performance.now()));
      edges.push(await sampleBoth(sw, rx));
    }
    const perSecond: SecondSample[] = [];
    for (let i = 1; i < edges.length; i++) {
      const d = delta(edges[i - 1]!, edges[i]!);
      if (d.packets > 0) perSecond.push({ cyclesPerPacket: d.busy / d.packets, mpps: d.rx / d.secs / 1e6 });
    }
    const noise = endWatch?.();
    const a = edges[0]!;
    const b = edges[edges.length - 1]!;
    const w = delta(a, b);
    if (w.packets <= 0) throw new Error(`${sw.name}: no packet crossed the switch during the window`);
    const tscHz = b.s.tscHz || a.s.tscHz;
    return {
      cyclesPerPacket: w.busy / w.packets,
      mpps: w.rx / w.secs / 1e6,
      switchMpps: w.packets / w.secs / 1e6,
      busyPercent: tscHz > 0 ? (100 * w.busy) / (w.secs * tscHz) : NaN,
      drops: b.s.drops - a.s.drops,
      seconds: w.secs,
      tscHz,
      perSecond,
      ...(noise ? { noise } : {}),
    };
  } finally {
    await stopGuest();
  }
}
